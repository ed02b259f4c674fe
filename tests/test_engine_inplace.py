"""x += y, x -= y, x *= y, x /= y: inside no_grad() they change a leaf's data in place (an
optimizer step written by hand); elsewhere x names the result x + y, recorded where needed, and
no array a graph may read is changed (refused on a leaf that requires grad, as in PyTorch). x
never changes shape or dtype."""

from __future__ import annotations

import numpy as np
import pytest

import models
from minigrad import Tensor, no_grad


def test_a_hand_written_sgd_step_updates_the_parameter_the_model_holds():
    layer = models.Linear(2, 1, rng=0, dtype=np.float64)
    w = layer.weight
    before = w.data.copy()
    (layer(Tensor(np.ones((1, 2)))).sum()).backward()
    with no_grad():
        w -= 0.1 * w.grad
    assert layer.weight is w and w.requires_grad
    np.testing.assert_array_equal(w.data, before - 0.1 * np.ones((1, 2)))


@pytest.mark.parametrize("update, expected", [
    (lambda x: x.__iadd__(2.0), [3.0, 4.0]),
    (lambda x: x.__isub__(np.array([1.0, 1.0])), [0.0, 1.0]),
    (lambda x: x.__imul__(Tensor([3.0, 3.0])), [3.0, 6.0]),
    (lambda x: x.__itruediv__(2), [0.5, 1.0]),
])
def test_inside_no_grad_each_operator_changes_the_same_array_and_keeps_the_dtype(update, expected):
    x = Tensor(np.array([1.0, 2.0], np.float32))
    array = x.data
    with no_grad():
        assert update(x) is x
    assert x.data is array and x.dtype == np.float32
    np.testing.assert_array_equal(x.data, expected)


def test_changing_a_leaf_that_requires_grad_outside_no_grad_is_refused():
    w = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad, outside no_grad"):
        w -= 1.0
    np.testing.assert_array_equal(w.data, 1.0)


def test_where_autograd_records_x_names_the_recorded_result():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (w * w).sum()
    loss += (3 * w).sum()  # the PyTorch idiom for adding a penalty
    x = Tensor(np.ones(2))
    constant = x.data
    x *= w  # x now depends on w; the constant's array is left alone
    (loss + x.sum()).backward()
    np.testing.assert_array_equal(w.grad, 2 * w.data + 3 + 1)
    np.testing.assert_array_equal(constant, 1.0)


def test_a_frozen_weight_changed_after_forward_leaves_the_gradients_right():
    # Without version counters a change in place here would halve x's gradient unnoticed.
    layer = models.Linear(2, 1, rng=0, dtype=np.float64)
    layer.weight.requires_grad = False
    x = Tensor(np.ones((1, 2)), requires_grad=True)
    out = layer(x).sum()
    weight = layer.weight.data.copy()
    with pytest.raises(TypeError, match=r"inside no_grad\(\)"):
        layer.weight *= 0.5
    out.backward()
    np.testing.assert_array_equal(x.grad, weight)
    with no_grad():
        layer.weight *= 0.5  # after backward, the way to change it
    np.testing.assert_array_equal(layer.weight.data, weight * 0.5)
    plain = np.ones(2)
    t = Tensor(plain)
    t -= 1.0
    np.testing.assert_array_equal(plain, 1.0)  # the caller's array is not changed


def test_a_recorded_result_is_not_changed_in_place_even_in_no_grad():
    w = Tensor(np.ones(2), requires_grad=True)
    y = w * 2
    with no_grad():
        z = y
        z *= 3
    np.testing.assert_array_equal(y.data, 2.0)
    np.testing.assert_array_equal(z.data, 6.0)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 2.0])


def test_x_keeps_its_shape_and_dtype_or_the_operator_is_refused():
    w = Tensor(np.ones(3, np.float32), requires_grad=True)
    x = w * 2
    with pytest.raises(ValueError, match=r"turn x of shape \(3,\) and dtype float32 into shape \(2, 3\)"):
        x += np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="dtype float32 into shape \\(3,\\) and dtype float64"):
        x += Tensor(np.ones(3))
    plain = Tensor(np.zeros(3))
    with pytest.raises(ValueError, match=r"x \+= y with x of shape \(3,\)"), no_grad():
        plain += np.ones((2, 3))


@pytest.mark.parametrize("data, y, message", [
    # a complex y is not cut to its real part into a float x
    (np.array([1.0, 2.0]), np.array([1 + 2j, 0j]), "cannot make a Tensor from a numpy array of dtype complex128"),
    # nor, by numpy's same_kind casting, a float y to whole numbers in an x whose data was made integers
    (np.array([1, 2]), Tensor([1.5, 1.5]), r"Cannot cast ufunc 'add' output from dtype\('float64'\) to "
                                           r"dtype\('int64'\) with casting rule 'same_kind'"),
], ids=["complex-y", "integer-x"])
def test_inside_no_grad_a_value_x_cannot_hold_is_refused_and_x_kept(data, y, message):
    x = Tensor(np.zeros(2))
    x.data = data.copy()
    with pytest.raises(TypeError, match=r"x \+= y with x of shape \(2,\): " + message), no_grad():
        x += y
    np.testing.assert_array_equal(x.data, data)


@pytest.mark.parametrize("y, message", [
    (None, "cannot make a Tensor from None"),
    (1j, "cannot make a Tensor from complex"),
    ("1.5", "cannot make a Tensor from str"),
    ([1.0, None], "cannot make a Tensor from list"),
], ids=["None", "complex", "str", "list-with-None"])
def test_inside_no_grad_y_is_refused_as_x_plus_y_refuses_it(y, message):
    # (numpy's "Cannot cast ufunc 'add' output from dtype('O')" came out instead)
    x = Tensor(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=message):
        x + y
    with pytest.raises(TypeError, match=rf"x \+= y with x of shape \(2,\): {message}"), no_grad():
        x += y
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


def test_inside_no_grad_a_list_or_number_joins_in_xs_dtype_as_in_x_plus_y():
    """y = 2⁻²⁴ + 2⁻⁵⁰ is 2⁻²⁴ in float32, and 1 + 2⁻²⁴ rounds to 1 there (a tie, to even); added in
    float64 first, 1 + y is past the tie and rounds up to 1 + 2⁻²³ in float32."""
    y = 2.0**-24 + 2.0**-50
    x = Tensor(np.array([1.0], np.float32))
    expected = (x + [y]).data
    assert expected[0] == np.float32(1.0)
    with no_grad():
        x += [y]
    np.testing.assert_array_equal(x.data, expected)
