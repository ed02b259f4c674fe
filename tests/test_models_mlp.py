"""MLP: structure, activations by name, reproducibility, and gradients checked numerically."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import minigrad.random
import models
from minigrad import Tensor, gradcheck, no_grad
from models.activations import ACTIVATIONS, activation_class


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_mlp_gradients_with_respect_to_input_and_every_parameter_pass_gradcheck(activation):
    model = models.MLP(3, (4, 3), 2, activation=activation, rng=0, dtype=np.float64)
    x = Tensor(np.random.default_rng(1).normal(size=(5, 3)), requires_grad=True)
    # gradcheck perturbs its inputs themselves, so the model may use its parameters as usual
    assert gradcheck(lambda x, *params: model(x), [x, *model.parameters()])


def test_mlp_through_a_loss_passes_gradcheck():
    model = models.MLP(2, (5,), 3, activation="tanh", rng=0, dtype=np.float64)
    x = Tensor(np.random.default_rng(2).normal(size=(6, 2)))
    y = np.array([0, 1, 2, 2, 1, 0])
    loss = models.CrossEntropyLoss()
    assert gradcheck(lambda *params: loss(model(x), y), model.parameters())


def test_mlp_stacks_linear_layers_with_activations_between_and_none_at_the_output():
    model = models.MLP(2, (16, 8), 1, activation="tanh", rng=0)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert [(m.in_features, m.out_features) for m in model if isinstance(m, models.Linear)] == [
        (2, 16), (16, 8), (8, 1)
    ]
    assert model(Tensor(np.ones((7, 2), np.float32))).shape == (7, 1)


def test_mlp_without_hidden_layers_is_a_linear_model():
    model = models.MLP(4, (), 3, rng=0)
    assert len(model) == 1 and isinstance(model[0], models.Linear)


def test_mlp_dropout_follows_each_hidden_activation_and_is_off_in_eval():
    model = models.MLP(2, (8, 8), 1, dropout=0.5, rng=0)
    assert [type(m).__name__ for m in model] == [
        "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"
    ]
    x = Tensor(np.ones((3, 2), np.float32))
    model.eval()
    # in eval the network is the one without dropout layers, as they are unscaled identities
    without = models.MLP(2, (8, 8), 1, rng=0)
    for ours, theirs in zip(without.parameters(), model.parameters(), strict=True):
        ours.data = theirs.data.copy()
    np.testing.assert_array_equal(model(x).data, without(x).data)


def test_the_same_seed_builds_identical_models():
    a, b = models.MLP(3, (6, 6), 2, rng=11), models.MLP(3, (6, 6), 2, rng=11)
    for (name_a, pa), (name_b, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert name_a == name_b
        np.testing.assert_array_equal(pa.data, pb.data)
    different = models.MLP(3, (6, 6), 2, rng=12)
    assert not np.array_equal(a[0].weight.data, different[0].weight.data)


def test_the_same_seed_gives_the_same_dropout_masks_and_another_seed_other_ones():
    first, again, other = (models.MLP(3, (64,), 2, dropout=0.5, rng=seed) for seed in (7, 7, 8))
    other.load_state_dict(first.state_dict())  # the same weights: only the masks can differ
    x = Tensor(np.ones((4, 3), np.float32))
    out = first(x).data
    np.testing.assert_array_equal(again(x).data, out)
    assert not np.array_equal(other(x).data, out)


def test_layers_draw_from_one_stream_so_they_differ_from_each_other():
    model = models.MLP(4, (4,), 4, rng=0)
    assert not np.array_equal(model[0].weight.data, model[2].weight.data)


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError) as error:
        models.MLP(2, (4,), 1, activation="swish")
    for name in ACTIVATIONS:
        assert name in str(error.value)


# each name's function, written out from its definition (GELU: x·Φ(x), Φ(x) = (1 + erf(x/√2))/2)
NAMED_FUNCTIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "gelu": lambda x: x * 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2))),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "identity": lambda x: x,
}


@pytest.mark.parametrize("name", sorted(NAMED_FUNCTIONS))
def test_each_activation_name_gives_the_class_computing_that_function(name):
    assert sorted(ACTIVATIONS) == sorted(NAMED_FUNCTIONS)
    cls = activation_class(name)
    assert cls is ACTIVATIONS[name]
    x = np.array([-2.0, -0.5, 0.0, 0.7, 3.0])
    np.testing.assert_allclose(cls()(Tensor(x)).data, NAMED_FUNCTIONS[name](x), rtol=1e-12, atol=1e-15)


def test_mlp_validates_hidden_sizes_and_dropout():
    with pytest.raises(TypeError, match="sequence of layer widths"):
        models.MLP(2, 4, 1)
    with pytest.raises(ValueError, match="positive integer"):
        models.MLP(2, (4, 0), 1)
    with pytest.raises(ValueError, match="dropout probability"):
        models.MLP(2, (), 1, dropout=1.0)


@pytest.mark.parametrize("width", [4, np.int64(4)], ids=["int", "numpy-int"])
def test_a_single_int_for_hidden_sizes_is_refused_with_the_tuple_to_write(width):
    with pytest.raises(TypeError, match=re.escape("hidden_sizes must be a sequence of layer widths such as (4,), "
                                                  "got the int 4")):
        models.MLP(2, width, 1)


def test_a_hidden_size_that_is_not_a_positive_integer_is_named():
    with pytest.raises(ValueError, match=r"hidden_sizes\[1\] must be a positive integer, got 3.0"):
        models.MLP(2, [4, 3.0], 1)


@pytest.mark.parametrize("hidden_sizes", [None, 1.5, "64"])
def test_hidden_sizes_that_are_not_a_sequence_are_named(hidden_sizes):
    # None gave "'NoneType' object is not iterable"; "64" gave layers of widths '6' and '4'
    message = f"hidden_sizes must be a sequence of layer widths such as (64, 64), or () for none, got {hidden_sizes!r}"
    with pytest.raises(TypeError, match=re.escape(message)):
        models.MLP(3, hidden_sizes, 2)


@pytest.mark.parametrize("bias", ["no", 0, None])
def test_bias_must_be_true_or_false(bias):
    # "no" gave every layer a bias
    with pytest.raises(TypeError, match=re.escape(f"Invalid bias: {bias!r} (expected True or False)")):
        models.MLP(3, (4,), 2, bias=bias)
    assert all(layer.bias is None for layer in models.MLP(3, (4,), 2, bias=np.False_)[::2])


class ShiftedLinear(models.Linear):
    """A Linear subclass with its own forward: the MLP must call it, not fuse past it."""

    def forward(self, x):
        return super().forward(x) + 1.0


def shift_on_the_instance(model):
    layer = model[0]
    layer.forward = lambda x: models.Linear.forward(layer, x) + 1.0


def replace_first_layer(model):
    vars(model)["0"] = ShiftedLinear(5, 7, rng=1)


class CappedReLU(models.ReLU):
    """A ReLU subclass with its own forward (min(relu(x), 0.5)): not to be fused into its Linear."""

    def forward(self, x):
        return super().forward(x).clip(None, 0.5)


def replace_first_activation(model):
    vars(model)["1"] = CappedReLU()


@pytest.mark.parametrize("activation, dropout, options, change, x_shape", [
    ("relu", 0.0, {}, None, (4, 5)),
    ("relu", 0.3, {}, None, (4, 5)),
    ("tanh", 0.0, {}, None, (4, 5)),
    ("relu", 0.0, {"bias": False, "dtype": np.float64}, None, (2, 4, 5)),
    ("relu", 0.0, {}, replace_first_layer, (4, 5)),
    ("relu", 0.0, {}, shift_on_the_instance, (4, 5)),
    ("relu", 0.0, {}, replace_first_activation, (4, 5)),
], ids=["relu", "relu+dropout", "tanh", "no-bias-float64-3d", "linear-subclass", "forward-set-on-a-layer",
        "relu-subclass"])
def test_the_fused_forward_gives_the_numbers_of_the_layers_run_one_by_one(activation, dropout, options, change,
                                                                          x_shape):
    # MLP runs each Linear+ReLU pair as one node; Sequential's forward runs every layer alone
    model = models.MLP(5, (7, 6), 3, activation=activation, dropout=dropout, rng=0, **options)
    if change is not None:
        change(model)
    x = np.random.default_rng(1).normal(size=x_shape).astype(options.get("dtype", np.float32))
    results = []
    for forward in (model.forward, lambda t: models.Sequential.forward(model, t)):
        model.zero_grad()
        for i, layer in enumerate(model):
            if isinstance(layer, models.Dropout):  # the same masks for both runs
                layer.rng = np.random.default_rng(i)
        out = forward(Tensor(x))
        (out * out).sum().backward()
        results.append([out.data] + [p.grad for p in model.parameters()])
    for fused, alone in zip(*results):
        np.testing.assert_array_equal(fused, alone)


def test_the_fused_layers_under_no_grad_and_backward_twice():
    model = models.MLP(5, (7,), 3, rng=0)
    x = Tensor(np.random.default_rng(1).normal(size=(4, 5)).astype(np.float32))
    with no_grad():
        out = model(x)
    assert out.is_leaf and not out.requires_grad
    loss = (model(x) ** 2).sum()
    loss.backward(retain_graph=True)
    once = [p.grad.copy() for p in model.parameters()]
    loss.backward()
    for p, g in zip(model.parameters(), once):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-6)


def test_hidden_sizes_may_be_a_generator():
    net = models.MLP(4, (h for h in [8, 8]), 2, rng=0)
    assert [p.shape for p in net.parameters()][::2] == [(8, 4), (8, 8), (2, 8)]


def test_dropout_of_a_model_built_without_rng_draws_from_the_default_generator_at_call_time(monkeypatch):
    # rng=None: the masks come from the generator manual_seed sets later, so the same seed before
    # each call gives the same masks (not from the default generator there was at construction)
    monkeypatch.setattr(minigrad.random, "_generator", np.random.default_rng(0))  # (restored after)
    model = models.MLP(3, (64,), 2, dropout=0.5, rng=None)
    x = Tensor(np.ones((8, 3), np.float32))
    outputs = []
    for _ in range(2):
        minigrad.random.manual_seed(5)
        outputs.append(model(x).data)
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert not np.array_equal(outputs[1], model(x).data)  # (no re-seeding: other masks)
