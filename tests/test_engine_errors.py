"""Bad input raises a clear error at the call that is wrong, naming the shapes or values."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
import minigrad.functional as F
from minigrad import Tensor


def test_matmul_of_incompatible_shapes_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5, 2\).*inner dimensions"):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match="at least one dimension"):
        Tensor(2.0) @ Tensor(np.ones(3))


def test_shapes_that_do_not_broadcast_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"add of shapes \(2, 3\), \(4,\)"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"mul of shapes \(2,\), \(3,\)"):
        Tensor(np.ones(2)) * np.ones(3)


def test_backward_grad_of_the_wrong_shape():
    y = Tensor(np.ones(3), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"shape \(2,\) for a tensor of shape \(3,\)"):
        y.backward(np.ones(2))


def test_backward_on_non_scalar_without_grad():
    y = Tensor(np.ones((2, 2)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"scalar output.*\(2, 2\)"):
        y.backward()


def test_backward_on_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2).sum().backward()


def test_cross_entropy_targets_out_of_range_or_wrong_dtype():
    logits = Tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"\[0, 3\).*from 0 to 3"):
        F.cross_entropy(logits, np.array([0, 3]))
    with pytest.raises(ValueError, match="from -1"):
        F.cross_entropy(logits, np.array([-1, 0]))
    with pytest.raises(TypeError, match="integer class indices.*float64"):
        F.cross_entropy(logits, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        F.cross_entropy(logits, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        F.cross_entropy(Tensor(np.zeros(3)), np.array([0]))


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_cross_entropy_of_an_empty_batch_backpropagates_an_empty_gradient(reduction):
    logits = Tensor(np.zeros((0, 3)), requires_grad=True)
    loss = F.cross_entropy(logits, np.zeros(0, dtype=int), reduction=reduction)
    loss.backward(np.ones(loss.shape))
    assert logits.grad.shape == (0, 3)


@pytest.mark.parametrize("loss", [
    lambda x: F.cross_entropy(x, np.zeros(0, dtype=int)),
    lambda x: F.binary_cross_entropy_with_logits(x, np.zeros((0, 3))),
    lambda x: F.mse_loss(x, np.zeros((0, 3))),
    lambda x: x.mean(),
], ids=["cross_entropy", "bce", "mse", "mean"])
def test_the_mean_over_an_empty_batch_is_refused_alike_by_every_loss(loss):
    # (numpy and PyTorch give a NaN that would then spread through training unnoticed)
    with pytest.raises(ValueError, match="the mean loss over an empty batch has no value|mean of an empty selection"):
        loss(Tensor(np.zeros((0, 3)), requires_grad=True))


def test_loss_shape_mismatches_are_not_silently_broadcast():
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)"):
        F.mse_loss(Tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match="do not match"):
        F.binary_cross_entropy_with_logits(Tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        F.binary_cross_entropy_with_logits(Tensor(np.zeros(2)), np.array([0.0, 2.0]))


def test_bad_reduction_and_axes():
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.mse_loss(Tensor(np.zeros(2)), np.zeros(2), reduction="avg")
    with pytest.raises(ValueError, match="axis 2 is out of range for a tensor with 2 dimensions"):
        Tensor(np.zeros((2, 2))).sum(axis=2)
    with pytest.raises(ValueError, match="axis 0 is out of range for a tensor with 0 dimensions"):
        Tensor(1.0).max(axis=0)
    square = Tensor(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"repeated axis in \(0, 0\)"):
        square.transpose(0, 0)
    with pytest.raises(ValueError, match=r"axes \(1,\) are not a permutation of the 2 axes"):
        square.transpose((1,))
    with pytest.raises(ValueError, match="axis -3 is out of range for a tensor with 2 dimensions"):
        square.transpose(1, -3)
    with pytest.raises(TypeError, match="an axis must be an integer, got 1.0"):
        square.transpose(0, 1.0)


def test_bad_tensor_construction():
    with pytest.raises(TypeError, match="cannot make a Tensor"):
        Tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="cannot make a Tensor"):
        Tensor("abc")
    with pytest.raises(TypeError, match="floating dtype"):
        Tensor([1, 2], dtype=np.int64)
    with pytest.raises(TypeError, match="floating dtype"):
        minigrad.set_default_dtype(np.int32)


def test_index_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=r"getitem of shapes \(3,\)"):
        Tensor(np.zeros(3))[5]


def test_item_of_many_elements():
    with pytest.raises(ValueError, match=r"one element.*\(2,\)"):
        Tensor([1.0, 2.0]).item()


def test_a_second_backward_through_two_freed_nodes_names_the_problem():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y1, y2 = x * 2, x * 3
    (y1 + y2).sum().backward()
    with pytest.raises(RuntimeError, match="already freed"):
        (y1 * y2).sum().backward()


@pytest.mark.parametrize("grad_shape, input_shape", [((3,), (3, 4)), ((3,), (1, 3)), ((3,), (3, 1))])
def test_a_backward_returning_a_gradient_of_the_wrong_shape_is_named(grad_shape, input_shape):
    class Broken(minigrad.autograd.Function):
        def forward(self, a):
            return a.copy()

        def backward(self, g):
            return (np.ones(grad_shape),)

    x = Tensor(np.ones(input_shape), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Broken.backward returned a gradient of the wrong shape"):
        Broken.apply(x).sum().backward()


def test_binary_cross_entropy_targets_that_require_grad_are_refused():
    logits = Tensor(np.zeros(3), requires_grad=True)
    targets = Tensor(np.full(3, 0.5), requires_grad=True)
    with pytest.raises(ValueError, match="constants"):
        F.binary_cross_entropy_with_logits(logits, targets)
    F.binary_cross_entropy_with_logits(logits, targets.detach()).backward()


@pytest.mark.parametrize("targets", [[-0.5, 1.0], [0.0, 1.5], [np.nan, 0.0], [-1.0, 1.0]])
def test_binary_cross_entropy_targets_outside_0_1_are_refused(targets):
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        F.binary_cross_entropy_with_logits(Tensor(np.zeros(2)), np.array(targets))


def test_binary_cross_entropy_takes_targets_at_and_between_0_and_1():
    loss = F.binary_cross_entropy_with_logits(Tensor(np.zeros(3)), np.array([0.0, 0.3, 1.0]))
    assert loss.item() == pytest.approx(np.log(2))  # σ(0) = ½ whatever y: −[y·log ½ + (1 − y)·log ½]


def test_unsigned_cross_entropy_targets_work():
    logits = Tensor(np.zeros((2, 3)), requires_grad=True)
    F.cross_entropy(logits, np.array([0, 2], dtype=np.uint64)).backward()
    np.testing.assert_allclose(logits.grad, [[-1 / 3, 1 / 6, 1 / 6], [1 / 6, 1 / 6, -1 / 3]])


def test_where_without_a_condition_is_refused():
    with pytest.raises(TypeError, match="cannot make where\\(\\)'s condition from NoneType"):
        minigrad.where(None, Tensor([1.0]), Tensor([2.0]))


def test_an_axis_of_the_wrong_type_names_the_op_and_shape():
    with pytest.raises(TypeError, match=r"sum of shapes \(3,\)"):
        Tensor([1.0, 2.0, 3.0]).sum(axis=1.0)


def test_none_is_not_a_number():
    with pytest.raises(TypeError, match="from None"):
        Tensor([1.0]) + None
    with pytest.raises(TypeError, match="from None"):
        Tensor(None)


def test_an_axis_that_is_not_an_integer_is_named():
    with pytest.raises(TypeError, match="an axis must be an integer or a tuple of integers, got 'a'"):
        Tensor([1.0, 2.0]).sum(axis="a")
    with pytest.raises(TypeError, match="got True"):  # a bool is not an axis (numpy reads it as 1)
        Tensor(np.ones((2, 2))).sum(axis=True)


def test_a_numpy_error_whose_type_needs_more_arguments_still_names_the_op():
    # numpy's "no loop for these dtypes" error takes extra constructor arguments
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"x \+= y with x of shape \(2,\)"), minigrad.no_grad():
        x += np.array(["a", "b"])


def test_losses_need_their_prediction_as_a_tensor():
    with pytest.raises(TypeError, match="cross_entropy: logits must be a Tensor.*list"):
        F.cross_entropy([[1.0, 2.0]], np.array([0]))
    with pytest.raises(TypeError, match="mse_loss: prediction must be a Tensor.*ndarray"):
        F.mse_loss(np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="binary_cross_entropy_with_logits: logits must be a Tensor"):
        F.binary_cross_entropy_with_logits([0.5], [1.0])


def test_leaky_relu_slope_and_where_condition_are_checked():
    with pytest.raises(TypeError, match="negative_slope must be a number, got None"):
        F.leaky_relu(Tensor([-1.0]), None)
    with pytest.raises(ValueError, match="negative_slope must be finite, got nan"):
        F.leaky_relu(Tensor([-1.0]), float("nan"))  # (it made every negative input NaN)
    with pytest.raises(TypeError, match="cannot make where\\(\\)'s condition.*'a'"):
        minigrad.where(np.array(["a", "b"]), Tensor([1.0, 2.0]), 0.0)


@pytest.mark.parametrize("call, message", [
    (lambda x: F.softmax(x, axis=2), "axis 2 is out of range for a tensor with 2 dimensions"),
    (lambda x: F.log_softmax(x, axis=None), "an axis must be an integer, got None"),
    (lambda x: minigrad.concatenate([x, x], axis=2), "axis 2 is out of range for a tensor with 2 dimensions"),
    (lambda x: minigrad.concatenate([x, x], axis=None), "an axis must be an integer, got None"),
    (lambda x: minigrad.concatenate([x[0, 0], x[0, 1]]), "cannot concatenate 0-d tensors"),
    (lambda x: x.sum(axis=1.0), "an axis must be an integer or a tuple of integers, got 1.0"),
    (lambda x: x.sum(axis=(1, -1)), "repeated axis in (1, -1)"),  # (the same axis counted from the end)
    (lambda x: x.clip(np.zeros(3), None), "clip bounds must be numbers or None"),
    (lambda x: x.clip(), "clip needs at least one bound"),
    (lambda x: x.clip(None, float("nan")), "clip bounds must not be NaN"),
    (lambda x: F.leaky_relu(x, True), "negative_slope must be a number, got True"),
    (lambda x: Tensor([1.0], requires_grad="False"), "requires_grad must be True or False, got 'False'"),
])
def test_a_bad_axis_or_bound_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=re.escape(message)):
        call(Tensor(np.ones((2, 3))))


REDUCTIONS = {
    "sum": lambda x, **kw: x.sum(**kw), "mean": lambda x, **kw: x.mean(**kw), "max": lambda x, **kw: x.max(**kw),
    "min": lambda x, **kw: x.min(**kw), "logsumexp": lambda x, **kw: F.logsumexp(x, **kw),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@given(keepdims=st.one_of(st.none(), st.text(), st.integers(), st.floats(), st.lists(st.booleans(), max_size=2),
                          st.just(np.array(True)), st.just(np.int64(1))))
def test_a_keepdims_that_is_not_a_bool_is_refused_by_name(name, keepdims):
    with pytest.raises(TypeError, match=rf"^{name} of shapes \(2, 3\): keepdims must be True or False, got "
                                        + re.escape(repr(keepdims))):
        REDUCTIONS[name](Tensor(np.ones((2, 3))), axis=1, keepdims=keepdims)


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("keepdims", [False, True, np.False_, np.True_])
def test_keepdims_takes_python_and_numpy_bools(name, keepdims):
    x, expected = (Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True) for _ in range(2))
    out = REDUCTIONS[name](x, axis=1, keepdims=keepdims)
    assert out.shape == ((2, 1) if keepdims else (2,))
    REDUCTIONS[name](expected, axis=1, keepdims=bool(keepdims)).sum().backward()
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, expected.grad)


def test_max_over_a_nonempty_axis_of_an_empty_tensor_is_empty_and_over_an_empty_axis_refused():
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    out = x.max(axis=1)
    assert out.shape == (0,)
    out.sum().backward()
    assert x.grad.shape == (0, 3)
    with pytest.raises(ValueError, match=r"max over an empty axis \(shape \(0, 3\)\)"):
        x.max(axis=0)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("axis", [None, (0, 1), (1, 0)])
def test_max_and_min_over_several_axes_one_of_them_empty_are_refused_by_name(name, axis):
    # (the other axis has 3 entries: one empty axis is enough for there to be no value)
    message = f"{name} of shapes (0, 3): {name} over an empty axis (shape (0, 3)) has no value"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        getattr(Tensor(np.zeros((0, 3))), name)(axis=axis)


def test_cross_entropy_needs_a_class():
    with pytest.raises(ValueError, match=r"at least one class, got logits of shape \(0, 0\)"):
        F.cross_entropy(Tensor(np.zeros((0, 0))), np.zeros(0, dtype=int), reduction="sum")


def test_a_zero_dimensional_tensor_cannot_be_iterated_and_others_iterate_over_rows():
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(Tensor(2.0))
    rows = list(Tensor(np.arange(6.0).reshape(3, 2)))
    assert [r.data.tolist() for r in rows] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]


@pytest.mark.parametrize("data", [[None, 1.0], ["1.5"], [[1.0, 2.0], [3.0]]])
def test_data_that_is_not_numbers_is_refused_not_read_as_nan_or_parsed(data):
    with pytest.raises(TypeError, match="cannot make a Tensor"):
        Tensor(data)


def test_a_backward_gradient_that_is_not_numbers_is_refused():
    x = Tensor(np.ones(2), requires_grad=True)
    y = x * 2
    for grad in ["a", [None, None]]:
        with pytest.raises(TypeError, match="cannot make a gradient"):
            y.backward(grad, retain_graph=True)
    assert x.grad is None


def test_an_integer_too_large_for_int64_still_makes_a_tensor():
    assert Tensor(2**70, dtype=np.float64).item() == float(2**70)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: F.binary_cross_entropy_with_logits(x, ["a", "b"]), TypeError,
     "cannot make binary_cross_entropy_with_logits targets"),
    (lambda x: F.binary_cross_entropy_with_logits(x, [np.nan, 1.0]), ValueError, r"lie in \[0, 1\]"),
    (lambda x: F.mse_loss(x, None), TypeError, "cannot make mse_loss target from NoneType"),
    (lambda x: F.cross_entropy(x.reshape(1, 2), ["a"]), TypeError, "cannot make cross_entropy targets from list"),
])
def test_loss_targets_that_are_not_numbers_or_out_of_range_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call(Tensor(np.zeros(2), requires_grad=True))


def test_a_constant_takes_the_promoted_dtype_of_all_tensor_operands():
    # The first tensor is float32, the computation float64: the list must not be rounded.
    joined = minigrad.concatenate([Tensor(np.zeros(1, np.float32)), Tensor(np.zeros(1)), [0.1]])
    assert joined.dtype == np.float64 and joined.data[2] == 0.1
    stacked = minigrad.stack([Tensor(np.zeros(1, np.float32)), Tensor(np.zeros(1)), [0.1]])
    assert stacked.data[2, 0] == 0.1


@pytest.mark.parametrize("product", [
    lambda a, b: a @ b,
    lambda a, b: F.linear(a, b),
    lambda a, b: F.linear(a, b, Tensor(np.zeros(2, b.dtype))),
])
def test_a_matrix_product_of_float32_and_float64_is_refused_as_in_pytorch(product):
    # numpy would compute it in float64: a float32 model fed float64 data would silently run
    # in float64
    x32, w64 = Tensor(np.ones((2, 2), np.float32)), Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(TypeError, match="is float32 but the .* is float64"):
        product(x32, w64)
    with pytest.raises(TypeError, match="is float64 but the .* is float32"):
        product(Tensor(np.ones((2, 2))), Tensor(np.ones((2, 2), np.float32)))


def test_the_dtype_error_of_a_weight_on_the_left_does_not_name_a_model_dtype():
    weight = Tensor(np.ones((3, 4), np.float32), requires_grad=True)
    with pytest.raises(TypeError) as error:
        weight @ np.ones((4, 2))
    assert "float64 model" not in str(error.value) and "<the model's dtype>" in str(error.value)


@pytest.mark.parametrize("make_target", [lambda y: y, lambda y: Tensor(y)], ids=["array", "constant-tensor"])
def test_mse_loss_takes_data_targets_in_the_prediction_dtype(make_target):
    prediction = Tensor(np.zeros((3, 1), np.float32), requires_grad=True)
    loss = F.mse_loss(prediction, make_target(np.full((3, 1), 0.1)))
    loss.backward()
    assert loss.dtype == np.float32 and prediction.grad.dtype == np.float32
    assert loss.item() == np.float32(0.1) ** 2


def test_a_numpy_float64_clip_bound_keeps_float32():
    x = Tensor(np.array([0.2, 0.9], np.float32))
    assert x.clip(np.float64(0.5)).dtype == np.float32


def test_clip_with_equal_bounds_is_the_constant_bound_not_an_error():
    # lo == hi is allowed, as in PyTorch; the gradient passes only where x is at the bound
    x = Tensor(np.array([0.2, 0.5, 0.9]), requires_grad=True)
    out = x.clip(0.5, 0.5)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("activation", [lambda x: F.leaky_relu(x, 0.1), F.gelu], ids=["leaky_relu", "gelu"])
def test_leaky_relu_and_gelu_keep_a_low_precision_dtype(activation, dtype):
    # (their slope and Φ(x) are computed apart from x: as float64 they would promote the output)
    x = Tensor(np.array([-1.0, 0.0, 2.0], dtype), requires_grad=True)
    out = activation(x)
    out.sum().backward()
    assert out.dtype == dtype and x.grad.dtype == dtype


@pytest.mark.parametrize("make", [lambda: Tensor(10**400), lambda: Tensor([1, -(10**400)]),
                                  lambda: Tensor([1.0]) * 10**400],
                         ids=["number", "list", "operand"])
def test_an_integer_beyond_any_float_is_named(make):
    with pytest.raises(ValueError, match=r"cannot make a Tensor from .*: a number too large for float32"):
        make()


@pytest.mark.parametrize("bounds", [(10**400, None), (None, -(10**400))])
def test_a_clip_bound_beyond_any_float_is_named(bounds):
    with pytest.raises(ValueError, match="clip bounds must fit in a float"):
        Tensor([1.0, 2.0]).clip(*bounds)


@pytest.mark.parametrize("beyond, shown", [(10**400, "10000"), (-(10**400), "-1000")], ids=["positive", "negative"])
@pytest.mark.parametrize("use", [lambda x, n: x > n, lambda x, n: x == n], ids=["compare", "equal"])
def test_a_comparison_with_an_integer_beyond_any_float_is_named(use, beyond, shown):
    with pytest.raises(ValueError, match=rf"^{shown}0*\.\.\.0+ is a number too large for any float$"):
        use(Tensor([1.0]), beyond)
    # ones that fit, up to the largest float64 itself, written as an int
    for fits in (10**30, int(np.finfo(np.float64).max), -int(np.finfo(np.float64).max)):
        assert use(Tensor(np.array([1.0])), fits).tolist() == [use(1.0, float(fits))]


@pytest.mark.parametrize("call, message", [
    (lambda: Tensor(np.ones(3)) @ Tensor(2.0), "matmul needs tensors with at least one dimension"),
    (lambda: F.linear(Tensor(np.ones((2, 3))), Tensor(np.ones(3))),
     "weight (out, in); got input (2, 3) and weight (3,)"),
    (lambda: F.linear(Tensor(1.0), Tensor(np.ones((4, 1)))), "weight (out, in); got input () and weight (4, 1)"),
    # (a (4, 1) bias would broadcast against a batch of 4 rows into a silently wrong output)
    (lambda: F.linear(Tensor(np.ones((4, 3))), Tensor(np.ones((4, 3))), Tensor(np.ones((4, 1)))),
     "linear bias must have shape (4,), got (4, 1)"),
    (lambda: F.linear(Tensor(np.ones((2, 3))), Tensor(np.ones((4, 3))), Tensor(0.0)),
     "linear bias must have shape (4,), got ()"),
], ids=["matmul-0d-right", "linear-vector-weight", "linear-0d-input", "linear-column-bias", "linear-0d-bias"])
def test_a_matrix_product_or_linear_map_of_operands_of_the_wrong_rank_is_refused_by_name(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
