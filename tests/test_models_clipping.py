"""models.clip_grad_norm_: the total norm, the scaling c = min(1, max_norm / (‖g‖ + 1e-6)), and
the arguments it refuses. Expected norms are computed here from the concatenated gradients."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import models
from minigrad import Tensor


def _params_with_grads(shapes, scale=1.0, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for shape in shapes:
        p = models.Parameter(np.zeros(shape, dtype))
        p.grad = (scale * rng.standard_normal(shape)).astype(dtype)
        params.append(p)
    return params


def _concatenated(grads):
    return np.concatenate([np.ravel(g).astype(np.float64) for g in grads])


@pytest.mark.parametrize("norm_type, norm", [
    (2.0, lambda v: math.sqrt(sum(x * x for x in v))),
    (1, lambda v: sum(abs(x) for x in v)),
    (math.inf, lambda v: max(abs(x) for x in v)),
    (3.0, lambda v: sum(abs(x) ** 3 for x in v) ** (1 / 3)),
    ("inf", lambda v: max(abs(x) for x in v)),
    (0.5, lambda v: sum(abs(x) ** 0.5 for x in v) ** 2),
])
def test_clip_scales_every_gradient_by_max_norm_over_the_total_norm(norm_type, norm):
    params = _params_with_grads([(3, 4), (4,), (2, 1, 3)])
    before = [p.grad.copy() for p in params]
    expected_total = norm(_concatenated(before).tolist())
    total = models.clip_grad_norm_(params, 0.5, norm_type=norm_type)
    assert type(total) is np.float64 and total.item() == total  # (a float, with PyTorch's .item())
    assert total == pytest.approx(expected_total, rel=1e-12)
    c = 0.5 / (expected_total + 1e-6)
    for p, g in zip(params, before):
        np.testing.assert_allclose(p.grad, g * c, rtol=1e-12)
    assert norm(_concatenated([p.grad for p in params]).tolist()) == pytest.approx(0.5, rel=1e-5)


def test_gradients_shorter_than_max_norm_are_left_exactly_as_they_are():
    params = _params_with_grads([(5,), (2, 2)], scale=0.01)
    arrays = [p.grad for p in params]
    before = [g.copy() for g in arrays]
    total = models.clip_grad_norm_(params, 1.0)
    assert total == pytest.approx(np.linalg.norm(_concatenated(before)), rel=1e-12)
    for p, a, g in zip(params, arrays, before):
        assert p.grad is a  # in place
        np.testing.assert_array_equal(p.grad, g)


def test_max_norm_inf_measures_without_clipping():
    params = _params_with_grads([(3,), (2, 2)], scale=1e20)
    before = [p.grad.copy() for p in params]
    total = models.clip_grad_norm_(params, math.inf)
    assert total == pytest.approx(np.linalg.norm(_concatenated(before)), rel=1e-12)
    for p, g in zip(params, before):
        np.testing.assert_array_equal(p.grad, g)


def test_the_gradient_arrays_are_scaled_in_place_and_keep_their_dtype():
    params = _params_with_grads([(3,), (2, 2)], scale=10.0, dtype=np.float32)
    arrays = [p.grad for p in params]
    models.clip_grad_norm_(params, 1.0)
    assert all(p.grad is a and a.dtype == np.float32 for p, a in zip(params, arrays))


def test_parameters_without_a_gradient_are_skipped_and_none_at_all_give_zero():
    with_grad = _params_with_grads([(2,)])[0]
    with_grad.grad = np.array([3.0, 4.0])
    without = models.Parameter(np.ones(3))
    assert models.clip_grad_norm_([without, with_grad], 1.0) == 5.0
    np.testing.assert_allclose(with_grad.grad, [3 / (5 + 1e-6), 4 / (5 + 1e-6)], rtol=1e-12)
    assert without.grad is None
    assert models.clip_grad_norm_([without], 1.0) == 0.0
    assert models.clip_grad_norm_([], 1.0) == 0.0


def test_a_single_tensor_and_a_generator_of_parameters_are_taken():
    net = models.Linear(3, 2, rng=0)
    (net(Tensor(np.ones((4, 3), np.float32))) * 100).sum().backward()
    total = math.sqrt(sum(float((p.grad.astype(np.float64) ** 2).sum()) for p in net.parameters()))
    assert models.clip_grad_norm_(net.parameters(), 1.0) == pytest.approx(total, rel=1e-7)
    weight_norm = float(np.linalg.norm(net.weight.grad.astype(np.float64)))
    assert models.clip_grad_norm_(net.weight, 10.0) == pytest.approx(weight_norm, rel=1e-7)
    assert models.clip_grad_norm_((p for p in net.parameters()), 10.0) == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("size, clipped", [(1e30, [0.6, 0.8]), (1e-30, [3e-30, 4e-30])])
def test_the_norm_of_float32_gradients_is_taken_in_float64(size, clipped):
    """Squares of 1e30 overflow float32 (max 3.4e38), and squares of 1e-30 underflow it (its
    smallest subnormal is 1.4e-45): the norm of (3, 4)·size must still be 5·size. The tiny
    gradients are under max_norm and stay as they are."""
    p = models.Parameter(np.zeros(2, np.float32))
    p.grad = np.array([3 * size, 4 * size], np.float32)
    total = models.clip_grad_norm_([p], 1.0)
    assert total == pytest.approx(5 * size, rel=1e-6, abs=0)  # (approx's default abs=1e-12 would pass 0)
    np.testing.assert_allclose(p.grad, np.array(clipped, np.float32), rtol=1e-6)


@pytest.mark.parametrize("norm_type, entry, pattern, total", [
    # two parameters of two entries ±e each: ‖g‖_p = e·4^(1/p)
    (2.0, 1e200, (1, -1), 2e200),             # the squares, 1e400, overflow float64
    (3.0, 1e110, (1, -1), 1e110 * 4 ** (1 / 3)),
    (0.5, 1e300, (1, -1), 1e300 * 16),        # (4·√e)² = 16e: the sum of roots is fine, its square is not
    (1, 1e308, (1, -1), math.inf),            # 4e308 itself is beyond float64: not finite, left alone
    # each gradient (0, -e): ‖g‖_2 = e·√2; the largest |gᵢ| is neither the first entry nor the largest gᵢ
    (2.0, 1e200, (0, -1), 1e200 * math.sqrt(2)),
])
def test_the_norm_of_huge_float64_gradients_is_rescaled_not_overflowed(norm_type, entry, pattern, total):
    """PyTorch's norm overflows to ∞ here and leaves the gradients unclipped; the largest |gᵢ|
    taken out first gives the norm, and the clip then leaves a norm of max_norm."""
    params = [models.Parameter(np.zeros(2)) for _ in range(2)]
    for p in params:
        p.grad = entry * np.array(pattern, float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no numpy overflow warning on the way)
        result = models.clip_grad_norm_(params, 1.0, norm_type=norm_type)
    assert result == pytest.approx(total, rel=1e-12)
    if math.isfinite(total):
        vector = _concatenated([p.grad for p in params])
        ec = -vector[1]  # (each gradient's second entry, -e, is now -e·c)
        assert ec > 0 and np.all(vector == ec * np.tile(pattern, 2))  # (direction kept)
        assert sum(abs(x) ** norm_type for x in vector) ** (1 / norm_type) == pytest.approx(1.0, rel=1e-6)
    else:
        for p in params:
            np.testing.assert_array_equal(p.grad, entry * np.array(pattern, float))


@pytest.mark.parametrize("data_dtype, grad_dtype", [
    (np.float64, np.int64), (np.int64, np.int64), (np.float64, np.float32), (np.complex128, np.complex128),
])
def test_a_gradient_not_of_its_parameters_float_dtype_is_refused_before_any_is_scaled(data_dtype, grad_dtype):
    """An int64 gradient cannot be scaled in place; as the optimizers do, its dtype is named, also
    when the parameter's .data was replaced by integers too. A float32 gradient of a float64
    parameter is refused as the optimizers refuse it, and a complex one is not floating-point
    (its norm in float64 would drop the imaginary parts), even of complex .data."""
    params = _params_with_grads([(3,), (2,)], scale=100.0)
    params[1].data = np.zeros(2, data_dtype)
    params[1].grad = np.array([3, 4], grad_dtype)
    before = params[0].grad.copy()
    message = (f"a parameter of shape (2,) and dtype {np.dtype(data_dtype)} has a gradient of dtype "
               f"{np.dtype(grad_dtype)}; .grad must be floating-point, of its parameter's dtype")
    with pytest.raises(TypeError, match=re.escape(message)):
        models.clip_grad_norm_(params, 1.0)
    np.testing.assert_array_equal(params[0].grad, before)


def test_an_empty_parameter_counts_as_zero_for_every_norm():
    empty = models.Parameter(np.zeros((0, 3)))
    empty.grad = np.zeros((0, 3))
    p = models.Parameter(np.zeros(2))
    p.grad = np.array([-2.0, 1.0])
    assert models.clip_grad_norm_([empty, p], 10.0, norm_type=math.inf) == 2.0


@pytest.mark.parametrize("bad, total", [(math.nan, math.nan), (math.inf, math.inf), (-math.inf, math.inf)])
def test_a_gradient_that_is_not_finite_is_left_alone_or_refused_on_request(bad, total):
    params = _params_with_grads([(3,), (2,)], scale=100.0)
    params[1].grad[0] = bad
    before = [p.grad.copy() for p in params]
    result = models.clip_grad_norm_(params, 1.0)
    assert result == total or (math.isnan(result) and math.isnan(total))
    for p, g in zip(params, before):
        np.testing.assert_array_equal(p.grad, g)
    with pytest.raises(RuntimeError, match=f"the total 2.0-norm of the gradients is {total}, so they cannot be "
                                           f"clipped; pass error_if_nonfinite=False"):
        models.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clipping_bounds_the_step_of_sgd():
    """Clipped, one SGD step moves the parameters by lr·max_norm at most (here exactly, to 1e-6)."""
    import optim

    net = models.MLP(4, (8,), 3, rng=0, dtype=np.float64)
    before = np.concatenate([p.data.ravel().copy() for p in net.parameters()])
    sgd = optim.SGD(net.parameters(), lr=0.1)
    (net(Tensor(np.full((5, 4), 50.0))) ** 2).sum().backward()
    assert models.clip_grad_norm_(net.parameters(), 2.0) > 2.0
    sgd.step()
    after = np.concatenate([p.data.ravel() for p in net.parameters()])
    assert np.linalg.norm(after - before) == pytest.approx(0.1 * 2.0, rel=1e-6)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(max_norm=-1.0), ValueError, "max_norm must be a number >= 0 (math.inf: measure only), got -1.0"),
    (dict(max_norm=math.nan), ValueError, "max_norm must be a number >= 0 (math.inf: measure only), got nan"),
    (dict(max_norm="1"), ValueError, "max_norm must be a number >= 0 (math.inf: measure only), got '1'"),
    (dict(max_norm=1.0, norm_type=0), ValueError, "norm_type must be a number > 0, or math.inf or 'inf', got 0"),
    (dict(max_norm=1.0, norm_type="2"), ValueError, "norm_type must be a number > 0, or math.inf or 'inf', got '2'"),
    (dict(max_norm=1.0, error_if_nonfinite="no"), TypeError, "Invalid error_if_nonfinite: 'no'"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    params = _params_with_grads([(2,)])
    before = params[0].grad.copy()
    with pytest.raises(error, match=re.escape(match)):
        models.clip_grad_norm_(params, **kwargs)
    np.testing.assert_array_equal(params[0].grad, before)


def test_a_module_or_a_non_array_gradient_is_refused_with_what_to_pass():
    net = models.Linear(2, 2, rng=0)
    with pytest.raises(TypeError, match="clip_grad_norm_ takes the parameters, not the Linear itself: pass "
                                        "model.parameters\\(\\)"):
        models.clip_grad_norm_(net, 1.0)
    with pytest.raises(TypeError, match="clip_grad_norm_ takes an iterable of Tensors such as "
                                        "model.parameters\\(\\); got a tuple in it"):
        models.clip_grad_norm_(net.named_parameters(), 1.0)
    net.weight.grad = [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(TypeError, match="a parameter of shape \\(2, 2\\) has a gradient of type list"):
        models.clip_grad_norm_(net.parameters(), 1.0)


def test_max_norm_zero_sets_every_gradient_to_zero_as_pytorch_does():
    """c = min(1, 0 / (‖g‖ + 1e-6)) = 0: every gradient is multiplied by 0, and the norm returned is
    the one before (‖(3, -4)‖ = 5, ‖(0,)‖ = 0, so 5 in total)."""
    p, q = models.Parameter(np.zeros(2)), models.Parameter(np.zeros(1))
    p.grad, q.grad = np.array([3.0, -4.0]), np.array([0.0])
    assert models.clip_grad_norm_([p, q], 0) == 5.0
    np.testing.assert_array_equal(p.grad, [0.0, 0.0])
    np.testing.assert_array_equal(q.grad, [0.0])


def test_the_norm_is_a_numpy_float64_even_when_no_parameter_has_a_gradient():
    """The docstring's promise (a float with .item(), as PyTorch's tensor) holds for the 0.0 of no gradient too."""
    without = models.Parameter(np.ones(3))
    for params in ([], [without]):
        total = models.clip_grad_norm_(params, 1.0)
        assert type(total) is np.float64 and total == 0.0
