"""Every differentiable op agrees with central finite differences in float64, on random shapes
drawn by hypothesis, including broadcasting (added leading axes, size-1 axes) and batches."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
import minigrad.functional as F
from minigrad import Tensor, gradcheck
from tests.strategies import broadcast_pairs, leaf, nonempty_shapes, seeds, small_shapes

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "maximum": minigrad.maximum,
    "minimum": minigrad.minimum,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=broadcast_pairs, seed=seeds)
def test_binary_ops_match_finite_differences_under_broadcasting(name, shapes, seed):
    shape_a, shape_b = shapes.input_shapes
    # pow needs a positive base for d/db; div needs a denominator away from 0
    a = leaf(shape_a, seed, 0.5, 2.0) if name == "pow" else leaf(shape_a, seed)
    b = leaf(shape_b, seed + 1, away_from_zero=0.5)
    assert gradcheck(BINARY[name], [a, b])


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
@given(shape=small_shapes, seed=seeds, number=st.floats(0.5, 3.0))
def test_binary_ops_with_python_numbers_on_either_side(name, shape, seed, number):
    x = leaf(shape, seed, 0.5, 2.0)
    op = BINARY[name]
    assert gradcheck(lambda t: op(t, number), [x])
    assert gradcheck(lambda t: op(number, t), [x])


UNARY = {
    "neg": (lambda x: -x, {}),
    "exp": (lambda x: x.exp(), {}),
    "log": (lambda x: x.log(), {"low": 0.2, "high": 3.0}),
    "sqrt": (lambda x: x.sqrt(), {"low": 0.2, "high": 3.0}),
    "abs": (lambda x: x.abs(), {"away_from_zero": 0.1}),
    "tanh": (lambda x: x.tanh(), {}),
    "sigmoid": (lambda x: x.sigmoid(), {}),
    "relu": (lambda x: x.relu(), {"away_from_zero": 0.1}),
    "clip": (lambda x: x.clip(-1.0, 1.0), {"low": -0.9, "high": 0.9, "away_from_zero": 0.0}),
    "clip_outside": (lambda x: x.clip(-0.5, 0.5), {"low": 0.6, "high": 2.0}),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), {"away_from_zero": 0.1}),
    "gelu": (F.gelu, {}),
    "square_negative_base": (lambda x: x**2, {"low": -2.0, "high": -0.1}),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=small_shapes, seed=seeds)
def test_unary_ops_match_finite_differences(name, shape, seed):
    fn, value_range = UNARY[name]
    assert gradcheck(fn, [leaf(shape, seed, **value_range)])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_on_transposed_inputs(name):
    # a transpose is Fortran-ordered: ops that index or reshape flat buffers must not assume C
    fn, value_range = UNARY[name]
    x = leaf((3, 4), 7, **value_range)
    assert gradcheck(lambda t: fn(t.T), [x])


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_on_transposed_inputs(name):
    a, b = leaf((4, 3), 1, 0.5, 2.0), leaf((3, 4), 2, 0.5, 2.0)
    assert gradcheck(lambda a, b: BINARY[name](a.T, b), [a, b])


def reducer(reduction, axis, keepdims):
    """The reduction (a Tensor method, or F.logsumexp) as a function of one tensor."""
    if reduction == "logsumexp":
        return lambda t: F.logsumexp(t, axis=axis, keepdims=keepdims)
    return lambda t: getattr(t, reduction)(axis=axis, keepdims=keepdims)


@given(shape=nonempty_shapes, seed=seeds, data=st.data())
@pytest.mark.parametrize("reduction", ["sum", "mean", "max", "min", "logsumexp"])
def test_reductions_over_any_axes(reduction, shape, seed, data):
    axis = data.draw(
        st.none()
        | st.integers(-len(shape), len(shape) - 1)
        | st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True).map(tuple)
    )
    keepdims = data.draw(st.booleans())
    x = leaf(shape, seed)
    assert gradcheck(reducer(reduction, axis, keepdims), [x])


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1, (0, 2), None])
@pytest.mark.parametrize("reduction", ["sum", "mean", "max", "min", "logsumexp"])
def test_reductions_over_each_axis_of_a_3d_tensor(reduction, axis, keepdims):
    # the random axes above may miss a case (e.g. reducing a leading axis only): every one, here
    x = leaf((2, 3, 4), 11)
    assert gradcheck(reducer(reduction, axis, keepdims), [x])


@given(shapes=hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2, max_side=4), seed=seeds)
def test_matmul_vectors_matrices_and_broadcast_batches(shapes, seed):
    shape_a, shape_b = shapes.input_shapes
    assert gradcheck(lambda a, b: a @ b, [leaf(shape_a, seed), leaf(shape_b, seed + 1)])


@pytest.mark.parametrize("shape_a, shape_b", [
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((3,), (2, 3, 4)), ((2, 4, 3), (3,)),
], ids=["vector-vector", "vector-matrix", "matrix-vector", "vector-batch", "batch-vector"])
def test_matmul_with_vectors_longer_than_one(shape_a, shape_b):
    # the strategy above draws vector @ vector only as (1,) @ (1,), where a reversed vector is the same
    assert gradcheck(lambda a, b: a @ b, [leaf(shape_a, 0), leaf(shape_b, 1)])


@given(batch=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3), n_in=st.integers(1, 4),
       n_out=st.integers(1, 4), bias=st.booleans(), seed=seeds)
@pytest.mark.parametrize("fused", [F.linear, F.linear_relu], ids=["linear", "linear_relu"])
def test_fused_linear(fused, batch, n_in, n_out, bias, seed):
    x = leaf(batch + (n_in,), seed)
    w = leaf((n_out, n_in), seed + 1)
    inputs = [x, w] + ([leaf((n_out,), seed + 2)] if bias else [])
    assert gradcheck(fused, inputs)


@given(shape=nonempty_shapes, seed=seeds, data=st.data())
def test_reshape_and_transpose(shape, seed, data):
    x = leaf(shape, seed)
    permutation = data.draw(st.permutations(range(len(shape))))
    assert gradcheck(lambda t: t.reshape(-1) * 2, [x])
    assert gradcheck(lambda t: t.transpose(*permutation), [x])
    assert gradcheck(lambda t: t.T, [x])


@given(shape=nonempty_shapes, seed=seeds, data=st.data())
def test_getitem_basic_slices(shape, seed, data):
    x = leaf(shape, seed)
    index = tuple(
        data.draw(st.integers(0, n - 1) | st.slices(n)) for n in shape
    )
    assert gradcheck(lambda t: t[index], [x])


@given(rows=st.integers(1, 5), cols=st.integers(1, 3), seed=seeds, data=st.data())
def test_getitem_integer_arrays_with_repeats(rows, cols, seed, data):
    x = leaf((rows, cols), seed)
    picks = np.array(data.draw(st.lists(st.integers(0, rows - 1), min_size=1, max_size=8)))
    assert gradcheck(lambda t: t[picks], [x])
    assert gradcheck(lambda t: t[picks, picks % cols], [x])


@pytest.mark.parametrize("shape, index, expected", [
    ((3,), np.array([0, 0, 2, 0]), [3.0, 0.0, 1.0]),
    # a slice beside the integers: still one gradient per pick, not the last pick's alone
    ((2, 3), (slice(None), np.array([0, 0, 2])), [[2.0, 0.0, 1.0], [2.0, 0.0, 1.0]]),
    ((3, 2), (np.array([1, 1]), slice(1, None)), [[0.0, 0.0], [0.0, 2.0], [0.0, 0.0]]),
], ids=["integers", "slice-then-integers", "integers-then-slice"])
def test_repeated_index_gradients_accumulate(shape, index, expected):
    x = Tensor(np.zeros(shape), requires_grad=True)
    x[index].sum().backward()
    np.testing.assert_array_equal(x.grad, expected)


@given(shape=nonempty_shapes, count=st.integers(1, 3), seed=seeds, data=st.data())
def test_concatenate_and_stack(shape, count, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    parts = [leaf(shape, seed + i) for i in range(count)]
    assert gradcheck(lambda *ts: minigrad.concatenate(ts, axis=axis), parts)
    assert gradcheck(lambda *ts: minigrad.stack(ts, axis=axis), parts)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenating_parts_of_different_sizes_gives_each_its_own_slice(axis):
    # sizes 1, 3, 2 along the axis: each part's gradient is its own slice of g, not an equal share
    shapes = [[2, 3, 4] for _ in range(3)]
    for shape, size in zip(shapes, [1, 3, 2]):
        shape[axis] = size
    parts = [leaf(shape, i) for i, shape in enumerate(shapes)]
    assert gradcheck(lambda *ts: minigrad.concatenate(ts, axis=axis), parts)


@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3), seed=seeds)
def test_where_with_broadcasting(shapes, seed):
    shape_c, shape_a, shape_b = shapes.input_shapes
    cond = np.random.default_rng(seed).random(shape_c) > 0.5
    assert gradcheck(lambda a, b: minigrad.where(cond, a, b), [leaf(shape_a, seed), leaf(shape_b, seed + 1)])


@pytest.mark.parametrize("constant_first", [True, False], ids=["constant-a", "constant-b"])
def test_where_differentiates_either_operand_when_the_other_is_a_constant(constant_first):
    cond = np.array([[True, False, True], [False, False, True]])
    constant = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    operands = lambda t: (constant, t) if constant_first else (t, constant)  # noqa: E731
    assert gradcheck(lambda t: minigrad.where(cond, *operands(t)), [leaf((2, 3), 4)])


@given(batch=st.integers(1, 5), classes=st.integers(2, 5), seed=seeds, axis=st.sampled_from([0, 1, -1]))
def test_softmax_family(batch, classes, seed, axis):
    x = leaf((batch, classes), seed, -3, 3)
    assert gradcheck(lambda t: F.softmax(t, axis=axis), [x])
    assert gradcheck(lambda t: F.log_softmax(t, axis=axis), [x])


@given(shape=nonempty_shapes, seed=seeds, data=st.data())
def test_softmax_and_log_softmax_over_any_shape_and_axis(shape, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = leaf(shape, seed, -3, 3)
    assert gradcheck(lambda t: F.softmax(t, axis=axis), [x])
    assert gradcheck(lambda t: F.log_softmax(t, axis=axis), [x])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(shape=small_shapes, seed=seeds)
def test_elementwise_losses_over_any_shape(reduction, shape, seed):
    # (their prediction and target must have one shape: they refuse to broadcast)
    prediction, target = leaf(shape, seed, -3, 3), leaf(shape, seed + 1)
    assert gradcheck(lambda p, t: F.mse_loss(p, t, reduction=reduction), [prediction, target])
    probabilities = np.random.default_rng(seed).random(shape)
    assert gradcheck(lambda t: F.binary_cross_entropy_with_logits(t, probabilities, reduction=reduction),
                     [prediction])


def test_gradcheck_passes_an_output_that_does_not_depend_on_its_input():
    assert gradcheck(lambda a: Tensor(np.ones(2)) * 2, [leaf((2, 3), 0)])  # 0, numerically too
    # ... but an output computed from the input outside the graph is caught, as in PyTorch
    with pytest.raises(minigrad.GradcheckError, match="analytic 0.0"):
        gradcheck(lambda a: Tensor(a.data * 2), [leaf((2, 3), 0)])


def test_gradcheck_with_no_input_that_requires_grad_is_refused_rather_than_passed():
    # (with nothing to check, it would return True for any fn)
    with pytest.raises(ValueError, match="gradcheck needs at least one input Tensor with requires_grad=True"):
        gradcheck(lambda a, b: a * b, [Tensor(np.ones(2)), np.ones(2)])


def test_gradcheck_needs_fn_to_return_a_tensor():
    with pytest.raises(TypeError, match="gradcheck needs fn to return a Tensor, got float64"):
        gradcheck(lambda a: a.data.sum(), [leaf((2,), 0)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(batch=st.integers(1, 5), classes=st.integers(2, 5), seed=seeds)
def test_losses(reduction, batch, classes, seed):
    rng = np.random.default_rng(seed)
    logits = leaf((batch, classes), seed, -3, 3)
    labels = rng.integers(0, classes, size=batch)
    assert gradcheck(lambda t: F.cross_entropy(t, labels, reduction=reduction), [logits])
    probabilities = rng.random((batch, classes))
    assert gradcheck(
        lambda t: F.binary_cross_entropy_with_logits(t, probabilities, reduction=reduction), [logits]
    )
    target = rng.normal(size=(batch, classes))
    assert gradcheck(lambda t: F.mse_loss(t, target, reduction=reduction), [logits])


def test_composite_expression_reusing_inputs():
    a = leaf((3, 4), 1)
    b = leaf((4,), 2)
    fn = lambda a, b: ((a * b + a).tanh() @ b.reshape(4, 1)).sum() + (a / (b * b + 1)).mean()  # noqa: E731
    assert gradcheck(fn, [a, b])


def square_with_gradient_times(factor):
    """a² as an op whose backward gives factor·2a (the right gradient for factor 1)."""

    class Square(minigrad.autograd.Function):
        def forward(self, a):
            self.a = a
            return a * a

        def backward(self, g):
            return (g * 2 * self.a * factor,)

    return Square.apply


@pytest.mark.parametrize("factor", [0.5, 0.99, 1.01])
def test_gradcheck_catches_a_gradient_off_by_one_percent_or_more(factor):
    with pytest.raises(minigrad.GradcheckError, match="input 0 at element"):
        gradcheck(square_with_gradient_times(factor), [leaf((2, 2), 0)])


def test_gradcheck_names_a_wrong_element_of_a_matrix_by_its_row_and_column():
    class SquareWrongAtRow1Column0(minigrad.autograd.Function):
        """a², with a backward right (2a) everywhere but at [1, 0], where it gives 0."""

        def forward(self, a):
            self.a = a
            return a * a

        def backward(self, g):
            grad = g * 2 * self.a
            grad[1, 0] = 0.0
            return (grad,)

    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), requires_grad=True)
    with pytest.raises(minigrad.GradcheckError, match=re.escape("input 0 at element (1, 0):")):
        gradcheck(lambda a: SquareWrongAtRow1Column0.apply(a).sum(), [x])


def test_gradcheck_names_an_input_by_its_position_among_fns_arguments():
    # the first argument is a constant, not checked: the wrong gradient is still input 1's
    wrong = square_with_gradient_times(1.5)
    with pytest.raises(minigrad.GradcheckError, match=re.escape("gradient mismatch for input 1 at element (0,):")):
        gradcheck(lambda c, a: wrong(a) + c, [Tensor(np.ones(2)), leaf((2,), 0)])


def test_gradcheck_with_zero_tolerances_passes_a_gradient_equal_to_the_numerical_one():
    # the bound is inclusive: at x = 0 with eps = 0.5, the central difference of 2x is
    # (1 - (-1)) / (2·0.5) = 2 exactly in floating point, the analytic gradient
    x = Tensor(np.zeros(1), requires_grad=True)
    assert gradcheck(lambda t: (t * 2).sum(), [x], eps=0.5, atol=0.0, rtol=0.0)


@pytest.mark.parametrize("factor", [1.0, 1.0005])
def test_gradcheck_passes_a_gradient_within_its_relative_tolerance_of_one_in_a_thousand(factor):
    assert gradcheck(square_with_gradient_times(factor), [leaf((2, 2), 0)])


@pytest.mark.parametrize("option, value, message", [
    ("rtol", float("inf"), "gradcheck's rtol must be a number with 0 <= rtol < 1, got inf"),  # passed a wrong gradient
    ("rtol", 1.0, "gradcheck's rtol must be a number with 0 <= rtol < 1, got 1.0"),  # passes a gradient of 0
    ("rtol", -0.1, "gradcheck's rtol must be a number with 0 <= rtol < 1, got -0.1"),
    ("atol", -1, "gradcheck's atol must be a finite number >= 0, got -1"),  # failed a right gradient
    ("atol", float("inf"), "gradcheck's atol must be a finite number >= 0, got inf"),
    ("atol", "0", "gradcheck's atol must be a finite number >= 0, got '0'"),
    ("eps", -1, "gradcheck's eps must be a finite number > 0, got -1"),
    ("eps", 0, "gradcheck's eps must be a finite number > 0, got 0"),  # was a ZeroDivisionError
    ("eps", float("nan"), "gradcheck's eps must be a finite number > 0, got nan"),
    ("eps", "1e-6", "gradcheck's eps must be a finite number > 0, got '1e-6'"),  # was numpy's UFuncTypeError
])
def test_gradcheck_refuses_tolerances_and_steps_that_cannot_judge_a_gradient(option, value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        gradcheck(square_with_gradient_times(1.0), [leaf((2, 2), 0)], **{option: value})


@pytest.mark.parametrize("factor, passes", [(1.0010005, False), (0.9990005, True)])
def test_gradcheck_measures_its_relative_tolerance_against_the_numerical_gradient(factor, passes):
    # |analytic − numeric| ≤ atol + rtol·|numeric|: with atol 0 and numeric = 2a, an analytic
    # gradient off by 1.0005e-3 of it fails and one off by 0.9995e-3 passes (against |analytic|
    # as the scale, it would be the other way round)
    check = lambda: gradcheck(square_with_gradient_times(factor), [leaf((2, 2), 0)], atol=0.0)  # noqa: E731
    if passes:
        assert check()
    else:
        with pytest.raises(minigrad.GradcheckError):
            check()


def test_gradcheck_checks_an_input_that_is_not_a_leaf_in_float64():
    # a non-leaf (here float32) stands for a float64 leaf copy of it; the tensor itself is kept
    base = Tensor(np.array([[0.3, -1.2], [2.0, 0.7]], np.float32), requires_grad=True)
    scaled = base * 3
    assert gradcheck(lambda t: (t * t * t).sum(), [scaled], atol=0.0, rtol=1e-6)
    assert scaled.dtype == np.float32 and not scaled.is_leaf and base.grad is None
    with pytest.raises(minigrad.GradcheckError):
        gradcheck(square_with_gradient_times(1.01), [base * 3])


def test_gradcheck_takes_numpy_numbers_as_tolerances_and_a_large_eps():
    # (a large eps measures a secant, exact for a square: it is the caller's choice)
    x = leaf((2, 2), 0)
    assert gradcheck(square_with_gradient_times(1.0), (x,), eps=np.float32(1e3), atol=np.float64(0),
                     rtol=np.float32(0.5))


@pytest.mark.parametrize("inputs, kind", [(Tensor(np.ones((3, 2)), requires_grad=True), "Tensor"),
                                          (np.ones(3), "ndarray"), ("ab", "str")])
def test_gradcheck_refuses_one_input_not_in_a_list_saying_to_wrap_it(inputs, kind):
    # gradcheck ran fn on the rows: "takes 1 positional argument but 3 were given"
    message = (f"gradcheck's inputs must be a list (or tuple) of fn's arguments, got a {kind}; "
               f"for one Tensor x, pass [x]")
    with pytest.raises(TypeError, match=re.escape(message)):
        gradcheck(lambda a: (a * a).sum(), inputs)


def test_gradcheck_refuses_an_fn_that_is_not_a_function():
    with pytest.raises(TypeError, match=re.escape("gradcheck's fn must be a function, got 5")):
        gradcheck(5, [leaf((2, 2), 0)])


def test_gradcheck_of_a_scalar_output_reports_the_gradient_of_fn_itself():
    # (the random weights that reduce a non-scalar output are not applied to a scalar one)
    square = square_with_gradient_times(1.5)
    with pytest.raises(minigrad.GradcheckError) as error:
        gradcheck(lambda a: square(a).sum(), [Tensor(np.ones(1), requires_grad=True)])
    analytic, numerical = map(float, re.findall(r"(?:analytic|numerical) ([^,\s]+)", str(error.value)))
    assert analytic == 3.0 and numerical == pytest.approx(2.0, rel=1e-8)


def test_gradcheck_checks_a_models_own_parameters_passed_as_inputs():
    # fn reads the parameters through the model, not through its arguments: gradcheck must
    # perturb the parameters themselves (it once perturbed copies, and passed anything)
    import models

    class Twice(models.Module):
        def __init__(self, op):
            self.weight = models.Parameter(np.linspace(-1, 1, 6).reshape(2, 3), dtype=np.float32)
            self.op = op

        def forward(self, x):
            return self.op(x @ self.weight)

    x = Tensor(np.ones((4, 2)))
    wrong = Twice(square_with_gradient_times(1.5))
    with pytest.raises(minigrad.GradcheckError, match="input 0 at element"):
        gradcheck(lambda *params: wrong(x).sum(), wrong.parameters())
    right = Twice(square_with_gradient_times(1.0))
    weight, grad = right.weight.data, np.full((2, 3), 7.0, np.float32)
    right.weight.grad = grad
    assert gradcheck(lambda *params: right(x), right.parameters())
    # the parameter gets its own float32 array and gradient back
    assert right.weight.data is weight and right.weight.data.dtype == np.float32 and right.weight.grad is grad


def test_gradcheck_weights_nonscalar_outputs_so_softmax_errors_show():
    # softmax rows sum to 1, so d(sum softmax)/dx = 0 for ANY backward; a weighted sum is needed.
    class SoftmaxWithZeroGrad(minigrad.autograd.Function):
        def forward(self, a):
            e = np.exp(a - a.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)

        def backward(self, g):
            return (np.zeros_like(g),)

    with pytest.raises(minigrad.GradcheckError):
        gradcheck(SoftmaxWithZeroGrad.apply, [leaf((2, 3), 0)])


def test_gradcheck_perturbs_inputs_of_any_memory_layout():
    # gradcheck works on a float64 copy of each input; the copy of a Fortran-ordered (here:
    # transposed) array must still be perturbed through its flat view, or every numerical
    # gradient would be 0 and any backward returning zeros would pass.
    class ZeroGrad(minigrad.autograd.Function):
        def forward(self, a):
            return a * 3

        def backward(self, g):
            return (np.zeros_like(g),)

    transposed = Tensor(np.arange(6.0).reshape(2, 3).T, requires_grad=True)
    with pytest.raises(minigrad.GradcheckError):
        gradcheck(ZeroGrad.apply, [transposed])
    assert gradcheck(lambda a: a * 2, [transposed])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_transposed_logits(reduction):
    # logits that are a transpose (not row-major): the -onehot term must still reach them
    h = leaf((3, 4), 0)
    assert gradcheck(lambda h: F.cross_entropy(h.T, np.array([0, 2, 1, 1]), reduction=reduction), [h])


def test_cross_entropy_backward_twice_with_retain_graph():
    x = leaf((2, 3), 0)
    loss = F.cross_entropy(x, np.array([1, 2]))
    loss.backward(retain_graph=True)
    once = x.grad.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * once)


def test_no_nan_from_pow_and_log_at_zero_in_an_unused_branch():
    x = Tensor(np.array([0.0, 4.0]), requires_grad=True)
    (x**0).sum().backward()  # a constant: slope 0 everywhere, also at 0
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    x.grad = None
    ((x**0.5) * np.array([0.0, 1.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.25])
    x.grad = None
    with np.errstate(divide="ignore"):
        minigrad.where(x.data > 0, x.log(), 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.25])


def test_a_linear_bias_of_another_dtype_is_refused_as_in_pytorch():
    # (it made a float32 layer's output, and all after it, float64)
    x = Tensor(np.ones((2, 3), np.float32))
    w = Tensor(np.ones((4, 3), np.float32))
    b = Tensor(np.full(4, 0.1), requires_grad=True)  # float64
    with pytest.raises(TypeError, match="linear: the bias is float64 but the weight is float32"):
        F.linear(x, w, b)
    assert F.linear(x, w, [0.1] * 4).dtype == np.float32  # a list takes the layer's dtype


def test_gradcheck_of_a_float32_model_says_it_needs_a_float64_one():
    import models

    net = models.MLP(3, (4,), 2, rng=0)
    x = Tensor(np.ones((5, 3), np.float32), requires_grad=True)
    message = "gradcheck runs fn in float64.*pass the parameters as inputs.*dtype=np.float64"
    with pytest.raises(TypeError, match=message):
        gradcheck(net, [x])
    assert gradcheck(models.MLP(3, (4,), 2, rng=0, dtype=np.float64), [x])


@pytest.mark.parametrize("fn", [
    lambda h: F.softmax(h.T), lambda h: F.log_softmax(h.T), lambda h: F.logsumexp(h.T),
    lambda h: F.binary_cross_entropy_with_logits(h.T, np.linspace(0, 1, 12).reshape(4, 3)),
    lambda h: F.mse_loss(h.T, np.ones((4, 3))), lambda h: h.T.max(axis=1), lambda h: h.T[1:, ::2],
], ids=["softmax", "log_softmax", "logsumexp", "bce", "mse", "max", "getitem"])
def test_softmax_family_losses_and_selection_on_transposed_inputs(fn):
    assert gradcheck(fn, [leaf((3, 4), 3)])


def test_no_nan_in_the_exponents_gradient_through_an_unused_branch():
    # 0^b (b < 0) is infinite and (-1)^0.5 is NaN, but where g is 0 they must not poison db
    a = np.array([0.0, 2.0])
    b = Tensor(np.array(-1.0), requires_grad=True)
    with np.errstate(divide="ignore"):
        minigrad.where(a > 0, Tensor(a) ** b, 0.0).sum().backward()
    np.testing.assert_allclose(b.grad, 0.5 * np.log(2))
    e = Tensor(np.array(0.5), requires_grad=True)
    with np.errstate(invalid="ignore"):
        minigrad.where(np.array([False, True]), Tensor(np.array([-1.0, 4.0])) ** e, 0.0).sum().backward()
    np.testing.assert_allclose(e.grad, 2 * np.log(4))


@pytest.mark.parametrize("axes", [(2, 0, 1), (-1, 0, -2)], ids=["positive", "negative"])
def test_transpose_with_negative_axes_puts_the_gradient_back_as_with_positive_ones(axes):
    # a 3-cycle, so a backward that used the permutation itself instead of its inverse would fail
    x = leaf((2, 3, 4), 5)
    assert x.transpose(*axes).shape == (4, 2, 3)
    assert gradcheck(lambda t: t.transpose(*axes), [x])


@pytest.mark.parametrize("reduction, numpy_fn", [
    ("sum", np.sum), ("mean", np.mean), ("max", np.max), ("min", np.min),
    ("logsumexp", lambda a, axis: np.log(np.sum(np.exp(a), axis=axis))),
])
def test_reductions_take_a_list_of_axes_as_numpy_takes_a_tuple(reduction, numpy_fn):
    x = leaf((2, 3, 4), 8)
    out = reducer(reduction, [2, 0], False)(x)
    np.testing.assert_allclose(out.data, numpy_fn(x.data, axis=(0, 2)))
    assert gradcheck(reducer(reduction, [2, 0], False), [x])


@pytest.mark.parametrize("op", [minigrad.maximum, minigrad.minimum], ids=["maximum", "minimum"])
def test_maximum_and_minimum_at_ties_split_the_gradient_as_central_differences_do(op):
    # at a = b, (op(a + ε, b) - op(a - ε, b)) / 2ε = ½ for either operand (one side has slope 1,
    # the other 0), which is the equal split; away from ties the whole gradient goes to one side
    a = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    b = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    assert gradcheck(op, [a, b])
    op(a, b).sum().backward()
    winner_a = 0.0 if op is minigrad.maximum else 1.0
    np.testing.assert_array_equal(a.grad, [0.5, 0.5, winner_a])
    np.testing.assert_array_equal(b.grad, [0.5, 0.5, 1.0 - winner_a])
