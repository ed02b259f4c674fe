"""The Tensor as a container: dtype rules, array-like properties, operators with numbers and
numpy arrays on either side, comparisons."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.functional as F
from minigrad import Tensor


def test_dtype_rules():
    assert Tensor([1, 2]).dtype == np.float32
    assert Tensor(3.0).dtype == np.float32
    assert Tensor(np.array([1, 2])).dtype == np.float32  # integer arrays become the default
    assert Tensor(np.array([1.0], dtype=np.float64)).dtype == np.float64
    assert Tensor(np.array([1.0], dtype=np.float16)).dtype == np.float16
    assert Tensor([1.0], dtype=np.float64).dtype == np.float64


def test_set_default_dtype():
    previous = minigrad.get_default_dtype()
    try:
        minigrad.set_default_dtype(np.float64)
        assert Tensor([1.0]).dtype == np.float64
    finally:
        minigrad.set_default_dtype(previous)
    assert Tensor([1.0]).dtype == np.float32


def test_python_numbers_take_the_tensor_dtype_and_are_not_rounded():
    x32 = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    x64 = Tensor(np.array([1.0, 2.0]))
    assert (x32 * 0.1).dtype == np.float32
    assert (0.1 + x32).dtype == np.float32
    assert (x64 * 0.1).dtype == np.float64
    np.testing.assert_array_equal((x64 * 0.1).data, x64.data * 0.1)  # 0.1 not rounded to float32


def test_float32_stays_float32_through_forward_and_backward():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(4, 3)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.normal(size=(2, 3)).astype(np.float32), requires_grad=True)
    h = F.gelu(F.linear(x, w)) ** 2 / 3 + x.sum(axis=1, keepdims=True).sigmoid()
    loss = F.cross_entropy(h, np.array([0, 1, 1, 0])) + h.max() + F.logsumexp(h).mean()
    assert loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_numpy_arrays_are_constants_on_either_side():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 4.0]) * x + x - np.array([1.0, 1.0])
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [4.0, 5.0])
    assert isinstance(np.ones((2, 2)) @ x, Tensor)


def test_comparisons_return_boolean_arrays():
    x = Tensor([1.0, 2.0, 3.0])
    result = x > 1.5
    assert isinstance(result, np.ndarray) and result.dtype == bool
    np.testing.assert_array_equal(result, [False, True, True])
    np.testing.assert_array_equal(x == Tensor([1.0, 0.0, 3.0]), [True, False, True])
    assert len({x, Tensor([1.0])}) == 2  # tensors stay hashable


def test_array_like_properties():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    assert x.T.shape == (3, 2) and x.transpose(1, 0).shape == (3, 2)
    assert x.reshape(3, 2).shape == (3, 2) and x.reshape((6,)).shape == (6,)
    assert np.asarray(x) is x.data and x.numpy() is x.data
    assert Tensor([[2.5]]).item() == 2.5
    assert x.is_leaf and x.grad is None


def test_repr_is_readable():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "Tensor([1., 2.], dtype=float32, requires_grad=True)"
    assert "grad_fn=Mul" in repr(x * 2)


def test_bool_of_a_multi_element_tensor_is_ambiguous():
    with pytest.raises(ValueError):
        bool(Tensor([1.0, 2.0]))
    assert bool(Tensor([1.0]))


def test_forward_values_match_numpy():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 4))
    x = Tensor(a)
    np.testing.assert_allclose(F.softmax(x, axis=0).data, np.exp(a) / np.exp(a).sum(0))
    np.testing.assert_allclose(F.logsumexp(x, axis=1).data, np.log(np.exp(a).sum(1)))
    np.testing.assert_allclose(x.clip(-0.5, 0.5).data, np.clip(a, -0.5, 0.5))
    np.testing.assert_allclose(x[1:, ::2].data, a[1:, ::2])
    np.testing.assert_allclose(minigrad.where(a > 0, x, 0.0).data, np.where(a > 0, a, 0.0))
    np.testing.assert_allclose(minigrad.stack([x, x], axis=1).data, np.stack([a, a], axis=1))
    np.testing.assert_allclose(F.gelu(Tensor(np.array([1.0]))).data, [0.8413447460685429])
    labels = np.array([0, 3, 1])
    expected = np.mean(np.log(np.exp(a).sum(1)) - a[np.arange(3), labels])
    np.testing.assert_allclose(F.cross_entropy(x, labels).data, expected)


def test_constants_join_the_computation_in_its_dtype():
    x64 = Tensor(np.array([1.0, 2.0]))
    # lists and integer arrays: not rounded to float32 inside a float64 computation
    np.testing.assert_array_equal((x64 * [0.1, 0.1]).data, x64.data * 0.1)
    assert (x64 + np.array([16777217])).data[0] == 16777218.0  # 2**24 + 1 is not a float32
    x32 = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    assert (x32 * [0.1, 0.1]).dtype == np.float32
    # with no tensor operand, a number takes the dtype of a float array operand
    where = minigrad.where(np.array([True, False]), np.zeros(2), 0.1)
    assert where.dtype == np.float64 and where.data[1] == 0.1
    # float arrays keep their own dtype, as in numpy
    assert (x32 * np.ones(2)).dtype == np.float64


def test_a_tensor_is_not_accepted_as_an_index():
    x = Tensor([10.0, 20.0, 30.0])
    mask = np.array([True, False, True])
    with pytest.raises(TypeError, match="not with a Tensor"):
        x[Tensor(mask)]  # as floats the mask would read as positions [1, 0, 1]
    np.testing.assert_array_equal(x[mask].data, [10.0, 30.0])


@pytest.mark.parametrize("constant", [np.array([1 + 2j, 3]), np.array(["2", "3"]), np.array([1, 2], dtype="m8[s]")],
                         ids=["complex", "strings", "timedelta"])
def test_constants_that_are_not_real_numbers_are_refused(constant):
    with pytest.raises(TypeError, match="cannot make a Tensor"):
        Tensor(np.ones(2, np.float32)) + constant
