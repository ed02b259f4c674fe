"""The Tensor as a container: dtype rules, array-like properties, operators with numbers and
numpy arrays on either side, comparisons."""

from __future__ import annotations

import math
import operator

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
    with pytest.raises(TypeError, match="must be a floating dtype such as np.float64, got None"):
        minigrad.set_default_dtype(None)  # (numpy reads None as float64)
    assert minigrad.get_default_dtype() == np.float32


def test_a_complex_default_dtype_is_refused_and_the_default_kept():
    previous = minigrad.get_default_dtype()
    try:
        with pytest.raises(TypeError, match="must be a floating dtype, got complex128"):
            minigrad.set_default_dtype(np.complex128)
        assert minigrad.get_default_dtype() == previous
    finally:
        minigrad.set_default_dtype(previous)


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


OPERATORS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
             "pow": operator.pow, "matmul": operator.matmul}
CONSTANTS = {"number": 2.5, "array": np.array([[0.5, 2.0], [1.5, 4.0]])}


@pytest.mark.parametrize("name, constant", [
    (name, constant) for name in OPERATORS for constant in CONSTANTS
    if (name, constant) != ("matmul", "number")
])
def test_an_operator_with_a_constant_on_either_side_computes_what_numpy_computes(name, constant):
    # the reflected operators (2.5 - x, array @ x, ...) must keep the constant on the left
    op, c = OPERATORS[name], CONSTANTS[constant]
    a = np.array([[0.5, 1.5], [3.0, 0.25]])
    np.testing.assert_allclose(op(Tensor(a), c).data, op(a, c), strict=True)
    np.testing.assert_allclose(op(c, Tensor(a)).data, op(c, a), strict=True)


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


def test_a_one_element_tensor_reads_as_a_number_as_in_pytorch():
    loss = (Tensor(np.array([1.25, 2.0]), requires_grad=True) * 2).mean()
    assert float(loss) == 3.25 and int(Tensor([[3.75]])) == 3 and float(Tensor([[2.5]])) == 2.5
    assert f"{loss:.3f}" == "3.250" and f"{loss}" == "3.25" and f"{loss:>6}" == "  3.25"
    with pytest.raises(ValueError, match=r"one element, got shape \(2,\)"):
        float(Tensor([1.0, 2.0]))
    with pytest.raises(TypeError):  # only a 0-d tensor formats as a number, as in PyTorch
        f"{Tensor([1.0, 2.0]):.2f}"
    assert f"{Tensor([1.0, 2.0])}" == str(Tensor([1.0, 2.0]))


def test_repr_is_readable():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "Tensor([1., 2.], dtype=float32, requires_grad=True)"
    assert "grad_fn=Mul" in repr(x * 2)


def test_bool_of_a_multi_element_tensor_is_ambiguous():
    with pytest.raises(ValueError):
        bool(Tensor([1.0, 2.0]))
    assert bool(Tensor([1.0]))


A = np.random.default_rng(1).normal(size=(3, 4))  # both signs, no ties
B = np.random.default_rng(2).normal(size=(3, 4))
LABELS = np.array([0, 3, 1])
PROBABILITIES = np.linspace(0, 1, 12).reshape(3, 4)
erf = np.vectorize(math.erf)


def numpy_log_softmax(a, axis):
    return a - np.log(np.exp(a).sum(axis, keepdims=True))


def numpy_cross_entropies(a):
    """-log softmax(aᵢ)[tᵢ] = log Σⱼ e^aᵢⱼ - aᵢ[tᵢ] for each row i, with the targets t = LABELS."""
    return np.log(np.exp(a).sum(1)) - a[np.arange(len(a)), LABELS]


def numpy_binary_cross_entropies(a):
    """-[p·log σ(a) + (1 - p)·log(1 - σ(a))] elementwise, σ(a) = 1/(1 + e⁻ᵃ), p = PROBABILITIES."""
    sigmoid = 1 / (1 + np.exp(-a))
    return -(PROBABILITIES * np.log(sigmoid) + (1 - PROBABILITIES) * np.log(1 - sigmoid))


# Each op's forward as minigrad computes it from tensors x, y, and as numpy computes it from
# their arrays a, b (written out from the op's definition where numpy has no such function).
FORWARD = {
    "add": (lambda x, y: x + y, lambda a, b: a + b),
    "sub": (lambda x, y: x - y, lambda a, b: a - b),
    "mul": (lambda x, y: x * y, lambda a, b: a * b),
    "div": (lambda x, y: x / y, lambda a, b: a / b),
    "pow": (lambda x, y: x.abs() ** y, lambda a, b: np.abs(a) ** b),
    "pow_negative_base": (lambda x, y: x**3, lambda a, b: a**3),
    "neg": (lambda x, y: -x, lambda a, b: -a),
    "matmul": (lambda x, y: x @ y.T, lambda a, b: a @ b.T),
    "matmul_vectors": (lambda x, y: x[0] @ y[1], lambda a, b: a[0] @ b[1]),
    "linear": (lambda x, y: F.linear(x, y, y[:, 0]), lambda a, b: a @ b.T + b[:, 0]),
    "linear_relu": (lambda x, y: F.linear_relu(x, y, y[:, 0]),
                    lambda a, b: np.maximum(a @ b.T + b[:, 0], 0)),
    "sum": (lambda x, y: x.sum(axis=0), lambda a, b: a.sum(axis=0)),
    "mean": (lambda x, y: x.mean(axis=1, keepdims=True), lambda a, b: a.mean(axis=1, keepdims=True)),
    "max": (lambda x, y: x.max(axis=1), lambda a, b: a.max(axis=1)),
    "max_all": (lambda x, y: x.max(), lambda a, b: a.max()),
    "min": (lambda x, y: x.min(axis=0), lambda a, b: a.min(axis=0)),
    "min_all": (lambda x, y: x.min(), lambda a, b: a.min()),
    "maximum": (lambda x, y: minigrad.maximum(x, y), np.maximum),
    "minimum": (lambda x, y: minigrad.minimum(x, y), np.minimum),
    "where": (lambda x, y: minigrad.where(A > B, x, y), lambda a, b: np.where(A > B, a, b)),
    "clip": (lambda x, y: x.clip(-0.5, 0.5), lambda a, b: np.clip(a, -0.5, 0.5)),
    "clip_below": (lambda x, y: x.clip(0.2), lambda a, b: np.maximum(a, 0.2)),
    "exp": (lambda x, y: x.exp(), lambda a, b: np.exp(a)),
    "log": (lambda x, y: x.abs().log(), lambda a, b: np.log(np.abs(a))),
    "sqrt": (lambda x, y: x.abs().sqrt(), lambda a, b: np.sqrt(np.abs(a))),
    "abs": (lambda x, y: x.abs(), lambda a, b: np.abs(a)),
    "tanh": (lambda x, y: x.tanh(), lambda a, b: np.tanh(a)),
    "sigmoid": (lambda x, y: x.sigmoid(), lambda a, b: 1 / (1 + np.exp(-a))),
    "relu": (lambda x, y: x.relu(), lambda a, b: np.maximum(a, 0)),
    "leaky_relu_default_slope_0.01": (lambda x, y: F.leaky_relu(x),
                                      lambda a, b: np.where(a > 0, a, 0.01 * a)),
    "leaky_relu_slope_0.2": (lambda x, y: F.leaky_relu(x, 0.2), lambda a, b: np.where(a > 0, a, 0.2 * a)),
    # GELU(a) = a·Φ(a), with the standard normal CDF Φ(a) = (1 + erf(a/√2))/2
    "gelu": (lambda x, y: F.gelu(x), lambda a, b: a * 0.5 * (1 + erf(a / math.sqrt(2)))),
    "softmax": (lambda x, y: F.softmax(x), lambda a, b: np.exp(a) / np.exp(a).sum(1, keepdims=True)),
    "softmax_axis_0": (lambda x, y: F.softmax(x, axis=0), lambda a, b: np.exp(a) / np.exp(a).sum(0)),
    "log_softmax": (lambda x, y: F.log_softmax(x), lambda a, b: numpy_log_softmax(a, 1)),
    "log_softmax_axis_0": (lambda x, y: F.log_softmax(x, axis=0), lambda a, b: numpy_log_softmax(a, 0)),
    "logsumexp": (lambda x, y: F.logsumexp(x), lambda a, b: np.log(np.exp(a).sum(-1))),
    "logsumexp_axes": (lambda x, y: F.logsumexp(x, axis=(0, 1), keepdims=True),
                       lambda a, b: np.log(np.exp(a).sum(keepdims=True))),
    "getitem_slices": (lambda x, y: x[1:, ::2], lambda a, b: a[1:, ::2]),
    "getitem_repeated_rows": (lambda x, y: x[[2, 0, 2]], lambda a, b: a[[2, 0, 2]]),
    "reshape": (lambda x, y: x.reshape(2, 6), lambda a, b: a.reshape(2, 6)),
    "transpose": (lambda x, y: x.T, lambda a, b: a.T),
    "concatenate": (lambda x, y: minigrad.concatenate([x, y[:1]]),
                    lambda a, b: np.concatenate([a, b[:1]])),
    "stack": (lambda x, y: minigrad.stack([x, y], axis=1), lambda a, b: np.stack([a, b], axis=1)),
}


@pytest.mark.parametrize("name", FORWARD)
def test_forward_values_match_numpy(name):
    ours, theirs = FORWARD[name]
    # strict: the shapes must be equal too (no broadcasting of a scalar against an array)
    np.testing.assert_allclose(ours(Tensor(A), Tensor(B)).data, theirs(A, B), strict=True)


# Each loss with its target, and the loss of each element as numpy computes it from A.
LOSSES = {
    "cross_entropy": (F.cross_entropy, LABELS, numpy_cross_entropies),
    "binary_cross_entropy": (F.binary_cross_entropy_with_logits, PROBABILITIES, numpy_binary_cross_entropies),
    "mse": (F.mse_loss, B, lambda a: (a - B) ** 2),
}
REDUCTIONS = {"mean": np.mean, "sum": np.sum, "none": lambda losses: losses}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", LOSSES)
def test_loss_values_match_numpy(name, reduction):
    loss, target, elementwise = LOSSES[name]
    expected = REDUCTIONS[reduction](elementwise(A))
    np.testing.assert_allclose(loss(Tensor(A), target, reduction=reduction).data, expected, strict=True)


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


def test_tuples_and_numpy_integers_join_the_computation_in_its_dtype():
    # as lists and Python numbers do: not rounded to float32 inside a float64 computation
    x64 = Tensor(np.array([1.0, 2.0]))
    np.testing.assert_array_equal((x64 * (0.1, 0.1)).data, [0.1, 0.2])
    assert (x64 + np.int64(2**24 + 1)).data[0] == 2**24 + 2  # 2**24 + 1 is not a float32


@pytest.mark.parametrize("dtype, constant", [
    (np.float16, np.float32(0.1)),  # a numpy float scalar, as a Python float: not float32 here
    (np.float16, np.array([True, False])),  # a boolean mask, as an integer array: not float32 here
], ids=["numpy-float", "boolean-array"])
def test_numpy_float_scalars_and_boolean_arrays_join_the_computation_in_its_dtype(dtype, constant):
    x = Tensor(np.array([1.0, 3.0], dtype))
    product = x * constant
    assert product.dtype == dtype
    np.testing.assert_array_equal(product.data, x.data * np.asarray(constant).astype(dtype))


def test_requires_grad_given_as_a_numpy_bool_is_stored_as_a_python_bool():
    assert Tensor([1.0], requires_grad=np.True_).requires_grad is True
    assert Tensor([1.0], requires_grad=np.False_).requires_grad is False


def test_item_of_an_empty_tensor_names_its_shape():
    with pytest.raises(ValueError, match=r"item\(\) needs a tensor with one element, got shape \(0,\)"):
        Tensor(np.zeros(0)).item()


def test_only_a_0d_tensor_formats_as_a_number_not_a_one_element_array():
    assert f"{Tensor(2.5):.2f}" == "2.50"
    with pytest.raises(TypeError):
        f"{Tensor([[2.5]]):.2f}"


def test_np_array_of_a_tensor_is_a_copy_and_np_asarray_is_its_array():
    x = Tensor(np.array([1.0, 2.0]))
    copy = np.array(x)
    copy[0] = 99.0
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    assert np.asarray(x) is x.data


def test_a_tensor_made_from_a_float_array_shares_its_memory():
    # (the README: "Tensor(array) shares memory with array")
    array = np.array([1.0, 2.0], np.float32)
    assert np.shares_memory(Tensor(array).data, array)
    assert np.shares_memory(Tensor(array, dtype=np.float32).data, array)


@pytest.mark.parametrize("op, expected", [
    (operator.lt, [True, False, False]),
    (operator.le, [True, True, False]),
    (operator.gt, [False, False, True]),
    (operator.ge, [False, True, True]),
    (operator.eq, [False, True, False]),
    (operator.ne, [True, False, True]),
], ids=["lt", "le", "gt", "ge", "eq", "ne"])
def test_each_comparison_at_below_and_above_the_other_side(op, expected):
    np.testing.assert_array_equal(op(Tensor([1.0, 2.0, 3.0]), 2.0), expected)


@pytest.mark.parametrize("array", [np.array([1.0, 2.0], dtype=object), np.array([1 + 2j])], ids=["object", "complex"])
def test_a_numpy_array_that_is_not_real_numbers_is_refused_naming_its_dtype(array):
    # (an object array of numbers would otherwise be read element by element)
    with pytest.raises(TypeError, match=f"cannot make a Tensor from a numpy array of dtype {array.dtype}"):
        Tensor(array)


@pytest.mark.parametrize("data", [1 + 2j, [1.0, 2j]], ids=["number", "list"])
def test_complex_numbers_are_refused_not_cut_to_their_real_part(data):
    with pytest.raises(TypeError, match="cannot make a Tensor from"):
        Tensor(data)


def test_reshape_takes_a_numpy_integer_as_a_size():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.reshape(np.int64(6)).shape == (6,)
    assert x.transpose(np.int64(1), np.int64(0)).shape == (3, 2)


# ------------------------------------------------------------------- concatenate and stack
@pytest.mark.parametrize("join", [minigrad.concatenate, minigrad.stack], ids=["concatenate", "stack"])
@pytest.mark.parametrize("given", [Tensor(np.ones((2, 3))), np.ones((2, 3))], ids=["Tensor", "ndarray"])
def test_joining_one_tensor_instead_of_a_list_is_refused_not_joining_its_rows(join, given):
    # (concatenate gave shape (6,), stack a copy, as they iterated over the rows)
    with pytest.raises(TypeError, match=f"{join.__name__} takes a list \\(or other sequence\\) of Tensors"):
        join(given)


@pytest.mark.parametrize("join", [minigrad.concatenate, minigrad.stack], ids=["concatenate", "stack"])
def test_joining_takes_any_iterable_of_tensors(join):
    parts = [Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]
    expected = join(parts).data
    np.testing.assert_array_equal(join(p for p in parts).data, expected)
    np.testing.assert_array_equal(join(tuple(parts)).data, expected)
    with pytest.raises(ValueError, match=f"{join.__name__} needs at least one tensor"):
        join(p for p in [])


@pytest.mark.parametrize("position", [0, 1])
def test_concatenating_a_0d_tensor_anywhere_is_refused_naming_it(position):
    parts = [Tensor([1.0, 2.0])]
    parts.insert(position, Tensor(2.0))
    message = f"cannot concatenate 0-d tensors \\(zero-dimensional, as the one at position {position} is\\): stack"
    with pytest.raises(ValueError, match=message):
        minigrad.concatenate(parts)


@pytest.mark.parametrize("join", [minigrad.concatenate, minigrad.stack], ids=["concatenate", "stack"])
@pytest.mark.parametrize("axis", [True, np.True_, 1.0])
def test_a_join_axis_must_be_an_integer_not_a_bool(join, axis):
    # (stack read True as axis 1)
    with pytest.raises(TypeError, match="an axis must be an integer"):
        join([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 3)))], axis=axis)


def test_stack_takes_a_negative_axis_counting_the_new_one():
    a, b = Tensor(np.zeros((2, 3))), Tensor(np.ones((2, 3)))
    assert minigrad.stack([a, b], axis=-1).shape == (2, 3, 2)
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        minigrad.stack([a, b], axis=3)


# -------------------------------------------------------------------------------- reshape
@pytest.mark.parametrize("shape", [(-2, 3), ((3, -3),)])
def test_reshape_refuses_a_negative_size_other_than_minus_one_naming_the_shape(shape):
    # (numpy read any negative size as -1)
    with pytest.raises(ValueError, match="invalid size -[23] in shape"):
        Tensor(np.ones((2, 3))).reshape(*shape)


@pytest.mark.parametrize("shape", [None, "6", 6.0])
def test_reshape_of_something_that_is_not_sizes_says_what_reshape_takes(shape):
    with pytest.raises(TypeError, match="reshape takes sizes as ints or as one tuple or list of ints, got"):
        Tensor(np.ones((2, 3))).reshape(shape)


def test_reshape_refuses_a_size_that_is_not_an_integer():
    with pytest.raises(TypeError, match="a size must be an integer, got True"):
        Tensor(np.ones((2, 3))).reshape(True, 6)


def test_reshape_takes_its_sizes_in_any_of_the_usual_forms():
    x = Tensor(np.arange(6.0))
    for shape in [(3, 2), ((3, 2),), ([3, -1],), (np.array([3, 2]),), (map(int, "32"),), (np.int64(3), 2)]:
        assert x.reshape(*shape).shape == (3, 2)
    assert x[0].reshape(()).shape == ()
    assert x.reshape(np.array(6)).shape == (6,)  # (one size as a 0-d array, as numpy takes it)


@pytest.mark.parametrize("given, name, itemsize", [(np.float64, "float64", 8), ("float16", "float16", 2),
                                                   (float, "float64", 8)])
def test_the_default_dtype_is_given_back_as_a_numpy_dtype(given, name, itemsize):
    """Whatever form set_default_dtype is given (a scalar type, a string, Python's float), get_default_dtype
    returns np.dtype(given), so .name and .itemsize work on it (np.dtype(float) is float64)."""
    previous = minigrad.get_default_dtype()
    try:
        minigrad.set_default_dtype(given)
        got = minigrad.get_default_dtype()
        assert isinstance(got, np.dtype) and got.name == name and got.itemsize == itemsize
    finally:
        minigrad.set_default_dtype(previous)
