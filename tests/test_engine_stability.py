"""Softmax-family functions, sigmoid and the losses stay finite at inputs of ±1e4, and the
softmax family gives what PyTorch gives over an empty axis."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad
import minigrad.functional as F
from minigrad import Tensor

EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "fn",
    [
        lambda x: F.softmax(x),
        lambda x: F.log_softmax(x),
        lambda x: F.logsumexp(x),
        lambda x: F.cross_entropy(x, np.array([1, 0, 2])),
        lambda x: x.sigmoid(),
        lambda x: F.binary_cross_entropy_with_logits(x, np.ones_like(EXTREME) * 0.5),
    ],
    ids=["softmax", "log_softmax", "logsumexp", "cross_entropy", "sigmoid", "bce_with_logits"],
)
def test_finite_values_and_gradients_at_1e4(fn, dtype):
    x = Tensor(EXTREME.astype(dtype), requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = fn(x)
        out.backward(np.ones_like(out.data))
    assert np.all(np.isfinite(out.data))
    assert np.all(np.isfinite(x.grad))


def test_extreme_values_are_exact_where_known():
    x = Tensor(np.array([[1e4, -1e4]]), requires_grad=True)
    np.testing.assert_allclose(F.softmax(x).data, [[1.0, 0.0]])
    np.testing.assert_allclose(F.log_softmax(x).data, [[0.0, -2e4]])
    np.testing.assert_allclose(F.logsumexp(x).data, np.array([1e4]), strict=True)  # one per row
    loss = F.cross_entropy(x, np.array([1]))
    np.testing.assert_allclose(loss.data, 2e4)
    loss.backward()
    np.testing.assert_allclose(x.grad, [[1.0, -1.0]])
    np.testing.assert_allclose(Tensor(np.array([-1e4, 1e4])).sigmoid().data, [0.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_keeps_the_tiny_loss_of_a_confident_right_answer(dtype):
    # The loss is -log σ(x) = log(1 + e⁻ˣ) for target 1 and -log(1 - σ(x)) = x + log(1 + e⁻ˣ)
    # for target 0. At x = 40 (or -40 with the targets swapped), u = e⁻⁴⁰ ≈ 4e-18, and
    # log(1 + u) = u - u²/2 + … equals u to far better than float precision: the right answer
    # costs e⁻⁴⁰, not 0 (1 + u rounds to 1), and the wrong one costs 40 + e⁻⁴⁰, which is 40.
    logits = Tensor(np.array([40.0, -40.0, 40.0, -40.0], dtype))
    targets = np.array([1.0, 0.0, 0.0, 1.0])
    tiny = math.exp(-40)
    expected = np.array([tiny, tiny, 40.0, 40.0], dtype)
    loss = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    np.testing.assert_allclose(loss.data, expected, rtol=10 * np.finfo(dtype).eps, strict=True)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax], ids=["softmax", "log_softmax"])
def test_normalising_over_an_empty_axis_gives_an_empty_result(fn):
    x = Tensor(np.zeros((3, 0)), requires_grad=True)
    with np.errstate(all="raise"):
        out = fn(x, axis=-1)
        out.sum().backward()
    assert out.shape == (3, 0) and x.grad.shape == (3, 0)


def test_logsumexp_of_nothing_is_minus_infinity():
    # log Σ over an empty set = log 0; an all −∞ row is the same sum of zeros.
    x = Tensor(np.zeros((3, 0)), requires_grad=True)
    with np.errstate(all="raise"):
        out = F.logsumexp(x, axis=1)
    np.testing.assert_array_equal(out.data, [-np.inf] * 3)
    out.sum().backward()
    assert x.grad.shape == (3, 0)
    np.testing.assert_array_equal(F.logsumexp(Tensor(np.full((2, 3), -np.inf)), axis=1).data, [-np.inf] * 2)


@pytest.mark.parametrize("masked", [
    lambda x: x.relu(),
    lambda x: x.clip(0, None),
    lambda x: minigrad.maximum(x, 0.0),
    lambda x: F.linear_relu(x.reshape(3, 1), Tensor(np.ones((1, 1)))).reshape(3),
], ids=["relu", "clip", "maximum", "linear_relu"])
def test_an_infinite_gradient_does_not_pass_where_the_output_does_not_depend_on_the_input(masked):
    # √ of the masked output: its derivative is infinite at the masked-out zeros, where the
    # input's gradient is nevertheless 0 (as in PyTorch), not 0·∞ = NaN.
    x = Tensor(np.array([-1.0, -0.5, 4.0]), requires_grad=True)
    with np.errstate(divide="ignore"):
        masked(x).sqrt().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.25])


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_relu_passes_large_finite_gradients_without_a_floating_point_error(dtype):
    # (a finiteness test by Σ g² would overflow here)
    x = Tensor(np.array([1.0, -1.0, 2.0], dtype), requires_grad=True)
    big = 3e4 if dtype == np.float16 else 1e30
    with np.errstate(all="raise"):
        x.relu().backward(np.full(3, big, dtype))
    np.testing.assert_array_equal(x.grad, np.array([big, 0, big], dtype))


INF, NAN = np.inf, np.nan


# At x = 0, -1, 4, each value and gradient from the formulas as real-number limits, as PyTorch
# gives them: ln 0 = -inf and d/dx ln x = 1/x = inf there; √-1 = NaN; d/dx √x = 1/(2√x);
# d/dx x⁻¹ = -x⁻²; x/x is 0/0 = NaN at 0, and its gradient 1/x - x/x² is NaN there, 0 elsewhere.
@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("op, values, gradients", [
    (lambda x: x.log(), [-INF, NAN, np.log(4.0)], [INF, -1.0, 0.25]),
    (lambda x: x.sqrt(), [0.0, NAN, 2.0], [INF, NAN, 0.25]),
    (lambda x: x**-1.0, [INF, -1.0, 0.25], [-INF, -1.0, -1 / 16]),
    (lambda x: x**0.5, [0.0, NAN, 2.0], [INF, NAN, 0.25]),
    (lambda x: 1.0 / x, [INF, -1.0, 0.25], [-INF, -1.0, -1 / 16]),
    (lambda x: x / x, [NAN, 1.0, 1.0], [NAN, 0.0, 0.0]),
], ids=["log", "sqrt", "pow-1", "pow-half", "reciprocal", "x/x"])
def test_singular_points_give_infinities_and_nans_without_numpy_warnings(op, values, gradients):
    x = Tensor(np.array([0.0, -1.0, 4.0]), requires_grad=True)
    out = op(x)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, values)  # (NaN matches NaN here, and only NaN)
    np.testing.assert_array_equal(x.grad, gradients)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("b, base_gradient, exponent_gradient", [
    (2.0, [0.0, -2.0, 8.0], 16.0 * math.log(4.0)),
    # 0⁻¹ = ∞, and ∞·ln 0 has no value: the a = 0 term is 0 as for b > 0, not NaN; d/da a⁻¹ = -a⁻² = -∞ there
    (-1.0, [-INF, -1.0, -1 / 16], 0.25 * math.log(4.0)),
], ids=["positive", "negative"])
def test_the_exponents_gradient_at_a_base_of_zero_or_below_is_zero_without_numpy_warnings(
        b, base_gradient, exponent_gradient):
    # d/db a^b = a^b·ln a, where ln a is undefined for a ≤ 0: the gradient is 0 there (the limit
    # at a = 0 for b > 0), and no "divide by zero in log" warning is printed on the way.
    base = Tensor(np.array([0.0, -1.0, 4.0]), requires_grad=True)
    exponent = Tensor(np.array(b), requires_grad=True)
    (base**exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad, exponent_gradient)
    np.testing.assert_array_equal(base.grad, base_gradient)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_exp_overflows_to_infinity_without_a_numpy_warning():
    x = Tensor(np.array([1000.0, 0.0]), requires_grad=True)
    out = x.exp()
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [np.inf, 1.0])
    np.testing.assert_array_equal(x.grad, [np.inf, 1.0])  # d/dx eˣ = eˣ
