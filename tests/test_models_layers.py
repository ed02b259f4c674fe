"""Linear, its named uses, Dropout, activation and loss modules."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

import minigrad
import minigrad.functional as F
import models
from minigrad import Tensor


def test_linear_computes_x_times_w_transposed_plus_b():
    layer = models.Linear(3, 2, rng=0, dtype=np.float64)
    x = np.random.default_rng(1).normal(size=(5, 3))
    expected = x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-12)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)


def test_linear_without_bias_has_only_a_weight():
    """bias=False: no bias parameter, x Wᵀ alone, and the repr says bias=False."""
    layer = models.Linear(3, 2, bias=False, rng=0)
    assert layer.bias is None
    assert repr(layer) == "Linear(in_features=3, out_features=2, bias=False)"
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    np.testing.assert_allclose(layer(Tensor(np.eye(3, dtype=np.float32))).data, layer.weight.data.T)


@pytest.mark.parametrize("make", [models.Linear, models.LinearRegression, models.LogisticRegression])
@pytest.mark.parametrize("bias", ["no", 0, None, np.array([True])])
def test_bias_must_be_true_or_false(make, bias):
    # "no" counted as True and made a bias
    with pytest.raises(TypeError, match=re.escape(f"Invalid bias: {bias!r} (expected True or False)")):
        make(3, 2, bias=bias)


def test_linear_init_is_uniform_within_one_over_sqrt_fan_in():
    layer = models.Linear(16, 400, rng=0)
    bound = 1 / np.sqrt(16)
    for param in (layer.weight, layer.bias):
        assert np.abs(param.data).max() <= bound
        assert np.abs(param.data).max() > 0.95 * bound
    assert abs(layer.weight.data.mean()) < 0.01
    # the variance of U(-a, a) is a²/3
    np.testing.assert_allclose(layer.weight.data.var(), bound**2 / 3, rtol=0.05)


def test_linear_dtype_defaults_to_float32_and_can_be_float64():
    assert models.Linear(2, 2, rng=0).weight.dtype == np.float32
    assert models.Linear(2, 2, rng=0, dtype=np.float64).bias.dtype == np.float64


def test_the_same_seed_or_generator_state_gives_the_same_layer():
    np.testing.assert_array_equal(models.Linear(4, 3, rng=7).weight.data, models.Linear(4, 3, rng=7).weight.data)
    first = models.Linear(4, 3, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(first.weight.data, models.Linear(4, 3, rng=7).weight.data)
    assert not np.array_equal(first.weight.data, models.Linear(4, 3, rng=8).weight.data)


@pytest.mark.parametrize("make", [models.Linear, models.LinearRegression, models.LogisticRegression])
def test_a_seeded_layer_draws_its_weight_then_its_bias_from_numpy_default_rng_of_that_seed(make):
    bound = 1 / math.sqrt(3)
    stream = np.random.default_rng(11)
    weight, bias = stream.uniform(-bound, bound, size=(4, 3)), stream.uniform(-bound, bound, size=4)
    layer = make(3, 4, rng=11, dtype=np.float64)
    np.testing.assert_array_equal(layer.weight.data, weight)
    np.testing.assert_array_equal(layer.bias.data, bias)


def test_manual_seed_makes_default_initialisation_reproducible():
    minigrad.manual_seed(3)
    first = models.Linear(4, 3)
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(first.weight.data, models.Linear(4, 3).weight.data)


@pytest.mark.parametrize("seed, error", [(None, TypeError), (True, TypeError), (1.5, TypeError), ("3", TypeError),
                                         (-1, ValueError)])
def test_manual_seed_must_be_an_integer_of_at_least_zero(seed, error):
    # (None would seed from the system: two calls, two streams)
    with pytest.raises(error, match=re.escape(f"manual_seed's seed must be an integer >= 0, got {seed!r}")):
        minigrad.manual_seed(seed)


def test_an_rng_seed_must_be_at_least_zero():
    with pytest.raises(ValueError, match="an rng seed must be an integer >= 0, got -1"):
        models.Linear(2, 2, rng=-1)
    with pytest.raises(TypeError, match="rng must be a numpy Generator, an int seed or None, got float"):
        models.Linear(2, 2, rng=1.5)
    with pytest.raises(TypeError, match="rng must be a numpy Generator, an int seed or None, got bool"):
        models.Linear(2, 2, rng=True)  # (a bool is not a seed, though it is an int)


@pytest.mark.parametrize("in_features, out_features", [(0, 2), (2, -1), (2.5, 2), (True, 2)])
def test_linear_rejects_sizes_that_are_not_positive_integers(in_features, out_features):
    with pytest.raises(ValueError, match="must be a positive integer"):
        models.Linear(in_features, out_features)


def test_linear_and_logistic_regression_are_named_linear_layers():
    regression = models.LinearRegression(4, rng=0)
    assert isinstance(regression, models.Linear) and regression.out_features == 1
    classifier = models.LogisticRegression(4, 3, rng=0)
    assert classifier.weight.shape == (3, 4)
    assert repr(classifier) == "LogisticRegression(in_features=4, out_features=3, bias=True)"
    with pytest.raises(ValueError, match="n_classes >= 2"):
        models.LogisticRegression(4, 1)


@pytest.mark.parametrize("n_classes", [0, -2, 2.5, 1.0, True])
def test_logistic_regression_names_n_classes_that_is_not_a_positive_integer(n_classes):
    """The error names n_classes, the argument given, not the out_features it becomes."""
    with pytest.raises(ValueError, match=re.escape(f"n_classes must be a positive integer, got {n_classes!r}")):
        models.LogisticRegression(4, n_classes)


# ------------------------------------------------------------------------------------ Dropout
def test_dropout_is_the_identity_in_eval_mode():
    dropout = models.Dropout(0.5, rng=0).eval()
    x = Tensor(np.ones((3, 4)))
    assert dropout(x) is x


def test_dropout_defaults_to_p_one_half_as_in_pytorch():
    dropout = models.Dropout()
    assert dropout.p == 0.5 and repr(dropout) == "Dropout(p=0.5)"


def test_dropout_in_training_zeroes_about_p_and_scales_survivors_by_one_over_one_minus_p():
    p = 0.3
    out = models.Dropout(p, rng=0)(Tensor(np.ones(100_000))).data
    survivors = out[out != 0]
    np.testing.assert_allclose(survivors, 1 / (1 - p), rtol=1e-6)
    assert abs((out == 0).mean() - p) < 0.01
    assert abs(out.mean() - 1) < 0.02


def test_dropout_gradient_is_the_same_mask():
    x = Tensor(np.ones((50, 20)), requires_grad=True)
    out = models.Dropout(0.5, rng=0)(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.data)


def test_dropout_masks_are_seeded_and_change_from_call_to_call():
    x = Tensor(np.ones(64))
    a, b = models.Dropout(0.5, rng=5), models.Dropout(0.5, rng=5)
    first = a(x).data
    np.testing.assert_array_equal(first, b(x).data)
    assert not np.array_equal(first, a(x).data)


def test_dropout_without_rng_draws_from_the_default_generator_current_at_call_time():
    """Dropout(rng=None) draws its masks from the generator manual_seed installs, even one
    installed after the layer was made: reseeding repeats the mask."""
    dropout = models.Dropout(0.5)
    x = Tensor(np.ones(64))
    minigrad.manual_seed(4)
    first = dropout(x).data
    minigrad.manual_seed(4)
    np.testing.assert_array_equal(dropout(x).data, first)
    assert set(np.unique(first)) == {0.0, 2.0}


@pytest.mark.parametrize("p", [0.5, 0.0])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("x", [np.ones((2, 3)), [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]], ids=["ndarray", "list"])
def test_dropout_takes_an_array_or_a_list_as_linear_does_and_returns_a_tensor(x, training, p):
    # (an array came back as a bare ndarray, a list in training raised AttributeError)
    out = models.Dropout(p, rng=0).train(training)(x)
    assert isinstance(out, Tensor) and out.shape == (2, 3) and not out.requires_grad
    assert set(np.unique(out.data)) <= ({0.0, 1 / (1 - p)} if training else {1.0})


def test_dropout_of_something_that_is_not_numbers_is_refused_by_name():
    with pytest.raises(TypeError, match="cannot make a Tensor from str"):
        models.Dropout(0.5, rng=0)("1.0")


def test_dropout_keeps_the_input_dtype():
    assert models.Dropout(0.5, rng=0)(Tensor(np.ones(8, dtype=np.float32))).dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, "0.5", True, False])  # (False would pass for 0)
def test_dropout_rejects_p_outside_zero_to_one(p):
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        models.Dropout(p)


# ----------------------------------------------------------------------- activations, losses
ACTIVATION_CASES = [
    (models.ReLU(), lambda x: np.maximum(x, 0)),
    (models.Tanh(), np.tanh),
    (models.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (models.GELU(), lambda x: np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])),
    (models.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (models.LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x)),  # PyTorch's default slope
    (models.Identity(), lambda x: x),
]


@pytest.mark.parametrize("module, reference", ACTIVATION_CASES, ids=lambda c: type(c).__name__)
def test_activation_modules_compute_their_function(module, reference):
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(module(Tensor(x)).data, reference(x), rtol=1e-12)
    assert module.parameters() == []


def test_loss_modules_match_the_functional_losses():
    rng = np.random.default_rng(0)
    logits = Tensor(rng.normal(size=(6, 3)))
    classes = rng.integers(0, 3, size=6)
    labels = rng.integers(0, 2, size=(6, 3)).astype(float)
    cases = [
        (models.MSELoss(), F.mse_loss, labels),
        (models.CrossEntropyLoss(), F.cross_entropy, classes),
        (models.BCEWithLogitsLoss(reduction="sum"), F.binary_cross_entropy_with_logits, labels),
    ]
    for module, function, target in cases:
        expected = function(logits, target, module.reduction).data
        np.testing.assert_array_equal(module(logits, target).data, expected)


@pytest.mark.parametrize("loss, inputs, targets, expected", [
    (models.MSELoss(), [1.0, 3.0], [0.0, 1.0], 2.5),  # squared errors 1 and 4
    (models.CrossEntropyLoss(), [[0.0, 0.0], [0.0, 0.0]], [0, 1], math.log(2)),  # each row: -log(1/2)
    (models.BCEWithLogitsLoss(), [0.0, 0.0], [1.0, 0.0], math.log(2)),  # σ(0) = 1/2: each -log(1/2)
], ids=["MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss"])
def test_loss_modules_default_to_the_mean_over_elements(loss, inputs, targets, expected):
    np.testing.assert_allclose(loss(Tensor(np.array(inputs)), np.array(targets)).data, expected, rtol=1e-12)


@pytest.mark.parametrize("reduction, expected", [("sum", 14.0), ("none", [[1.0, 0.0], [4.0, 9.0]])])
def test_mse_loss_module_applies_its_reduction(reduction, expected):
    # squared differences (1-0)², (2-2)², (3-5)², (4-1)²: 1, 0, 4, 9
    prediction = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    loss = models.MSELoss(reduction)(prediction, np.array([[0.0, 2.0], [5.0, 1.0]]))
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12, strict=True)


@pytest.mark.parametrize("reduction, expected", [("sum", math.log(32 / 3)), ("none", [math.log(4 / 3), math.log(8)])])
def test_cross_entropy_loss_module_applies_its_reduction(reduction, expected):
    # softmax([0, ln 3]) = [1/4, 3/4] and softmax([ln 7, 0]) = [7/8, 1/8]; both targets are class 1
    logits = Tensor(np.array([[0.0, math.log(3)], [math.log(7), 0.0]]))
    loss = models.CrossEntropyLoss(reduction)(logits, np.array([1, 1]))
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12, strict=True)


def test_loss_modules_validate_and_show_their_reduction():
    with pytest.raises(ValueError, match="reduction must be one of"):
        models.MSELoss(reduction="avg")
    assert repr(models.CrossEntropyLoss(reduction="none")) == "CrossEntropyLoss(reduction='none')"


def test_numpy_numbers_given_as_sizes_or_probability_are_kept_as_python_numbers():
    """Linear's sizes and Dropout's p are stored as int and float (JSON-ready), not numpy scalars."""
    layer, dropout = models.Linear(np.int64(3), np.int64(2), rng=0), models.Dropout(np.float32(0.5))
    assert dropout.p == 0.5 and type(dropout.p) is float
    assert (layer.in_features, layer.out_features) == (3, 2)
    assert type(layer.in_features) is type(layer.out_features) is int
    assert json.dumps([layer.in_features, layer.out_features, dropout.p]) == "[3, 2, 0.5]"


@pytest.mark.parametrize("seed", [np.int64(7), np.uint8(7)])
def test_a_numpy_integer_seed_seeds_as_the_same_python_int(seed):
    """A seed taken from np.arange or a saved array is an np.integer: it gives numpy's default_rng(7)
    stream, through manual_seed and through rng= alike."""
    expected = np.random.default_rng(7).random(3)
    np.testing.assert_array_equal(minigrad.manual_seed(seed).random(3), expected)
    np.testing.assert_array_equal(minigrad.random.as_generator(seed).random(3), expected)
    np.testing.assert_array_equal(models.Linear(4, 3, rng=seed).weight.data, models.Linear(4, 3, rng=7).weight.data)
