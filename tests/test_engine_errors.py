"""Bad input raises a clear error at the call that is wrong, naming the shapes or values."""

from __future__ import annotations

import numpy as np
import pytest

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


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_an_empty_batch_backpropagates_an_empty_gradient(reduction):
    logits = Tensor(np.zeros((0, 3)), requires_grad=True)
    with np.errstate(invalid="ignore"):  # the mean of no losses is nan, as in numpy
        loss = F.cross_entropy(logits, np.zeros(0, dtype=int), reduction=reduction)
    loss.backward(np.ones(loss.shape))
    assert logits.grad.shape == (0, 3)


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
    with pytest.raises(ValueError, match="not a permutation"):
        Tensor(np.zeros((2, 2))).transpose(0, 0)


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


def test_unsigned_cross_entropy_targets_work():
    logits = Tensor(np.zeros((2, 3)), requires_grad=True)
    F.cross_entropy(logits, np.array([0, 2], dtype=np.uint64)).backward()
    np.testing.assert_allclose(logits.grad, [[-1 / 3, 1 / 6, 1 / 6], [1 / 6, 1 / 6, -1 / 3]])


def test_where_without_a_condition_is_refused():
    with pytest.raises(TypeError, match="needs a condition"):
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
    with pytest.raises(TypeError, match="an axis must be an integer, got 'a'"):
        Tensor([1.0, 2.0]).sum(axis="a")
    with pytest.raises(TypeError, match="got True"):  # a bool is not an axis (numpy reads it as 1)
        Tensor(np.ones((2, 2))).sum(axis=True)


def test_a_numpy_error_whose_type_needs_more_arguments_still_names_the_op():
    # numpy's "no loop for these dtypes" error takes extra constructor arguments
    with pytest.raises(TypeError, match=r"clip of shapes \(2,\)"):
        Tensor([1.0, 2.0]).clip("a")


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
    with pytest.raises(TypeError, match="condition, got dtype <U1"):
        minigrad.where(np.array(["a", "b"]), Tensor([1.0, 2.0]), 0.0)
