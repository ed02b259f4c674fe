"""Module: registration by attribute, stable names, tree traversal, modes, repr, state dicts."""

from __future__ import annotations

import re

import numpy as np
import pytest

import models
from minigrad import Tensor


class Block(models.Module):
    """Parameters assigned out of alphabetical order, plus a child, a list and a ModuleList."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = models.Parameter(np.ones(3, np.float32))
        self.inner = models.Linear(3, 2, rng=0)
        self.offset = models.Parameter(np.zeros(2, np.float32))
        self.unregistered = [models.Linear(2, 2, rng=1)]
        self.heads = models.ModuleList([models.Linear(2, 1, rng=2), models.Linear(2, 1, rng=3)])

    def forward(self, x):
        return self.inner(x * self.scale) + self.offset


def test_parameters_are_named_by_dotted_path_in_assignment_order():
    names = [name for name, _ in Block().named_parameters()]
    assert names == [
        "scale", "offset", "inner.weight", "inner.bias",
        "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias",
    ]


def test_named_parameters_order_is_the_same_on_every_call_and_across_instances():
    block = Block()
    first = [name for name, _ in block.named_parameters()]
    assert first == [name for name, _ in block.named_parameters()]
    assert first == [name for name, _ in Block().named_parameters()]


def test_reassigning_an_attribute_keeps_its_place_in_the_order():
    block = Block()
    block.scale = models.Parameter(np.full(3, 2.0))
    assert [name for name, _ in block.named_parameters()][:2] == ["scale", "offset"]
    assert block.parameters()[0] is block.scale


def test_parameters_in_a_plain_list_are_not_registered_but_a_module_list_is():
    block = Block()
    registered = {id(p) for p in block.parameters()}
    assert id(block.unregistered[0].weight) not in registered
    assert id(block.heads[1].weight) in registered


def test_module_list_indexes_iterates_and_appends():
    layers = models.ModuleList([models.ReLU(), models.Tanh()])
    layers.append(models.Linear(2, 2, rng=0))
    assert len(layers) == 3
    assert isinstance(layers[-1], models.Linear)
    assert [type(m).__name__ for m in layers] == ["ReLU", "Tanh", "Linear"]
    assert [name for name, _ in layers.named_parameters()] == ["2.weight", "2.bias"]
    with pytest.raises(TypeError, match="ModuleList holds Modules"):
        layers.append(np.zeros(2))


def test_a_shared_parameter_is_listed_once():
    shared = models.Linear(2, 2, rng=0)
    model = models.Sequential(shared, models.ReLU(), shared)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(model.modules()) == 3


def test_children_and_modules_walk_the_tree_depth_first():
    block = Block()
    assert block.children() == [block.inner, block.heads]
    assert [name for name, _ in block.named_modules()] == ["", "inner", "heads", "heads.0", "heads.1"]


def test_call_runs_forward():
    block = Block()
    x = Tensor(np.ones((4, 3), np.float32))
    np.testing.assert_array_equal(block(x).data, block.forward(x).data)


def test_zero_grad_sets_none_or_zeros_in_place():
    block = Block()
    block(Tensor(np.ones((4, 3), np.float32))).sum().backward()
    grad = block.inner.weight.grad
    assert grad is not None
    block.zero_grad(set_to_none=False)
    assert block.inner.weight.grad is grad and not grad.any()
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())


def test_train_and_eval_set_the_flag_on_every_module_and_return_self():
    block = Block()
    assert all(m.training for m in block.modules())
    assert block.eval() is block
    assert not any(m.training for m in block.modules())
    block.train()
    assert all(m.training for m in block.modules())


def test_repr_shows_the_layer_tree():
    model = models.Sequential(
        models.Linear(2, 3, rng=0), models.LeakyReLU(0.1), models.Sequential(models.Dropout(0.25))
    )
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): LeakyReLU(negative_slope=0.1)\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.25)\n"
        "  )\n"
        ")"
    )


def test_repr_of_a_module_with_children_keeps_its_own_arguments_above_them():
    class Scaled(models.Module):
        def __init__(self):
            super().__init__()
            self.body = models.Identity()

        def extra_repr(self):
            return "scale=2"

    assert repr(Scaled()) == "Scaled(\n  scale=2\n  (body): Identity()\n)"


def test_parameter_requires_grad_and_says_what_it_is():
    param = models.Parameter([1.0, 2.0])
    assert param.requires_grad and param.is_leaf
    assert repr(param).startswith("Parameter containing:\n")


# ------------------------------------------------------------------------------ state dicts
def test_state_dict_round_trip_reproduces_the_model():
    source, target = models.MLP(3, (5,), 2, rng=0), models.MLP(3, (5,), 2, rng=1)
    target.load_state_dict(source.state_dict())
    x = Tensor(np.random.default_rng(0).normal(size=(4, 3)), dtype=np.float32)
    np.testing.assert_array_equal(target(x).data, source(x).data)


def test_state_dict_is_a_snapshot_of_copies():
    model = models.Linear(2, 2, rng=0)
    state = model.state_dict()
    model.weight.data += 1
    assert not np.array_equal(state["weight"], model.weight.data)


def test_load_state_dict_copies_into_the_existing_arrays():
    model = models.Linear(2, 2, rng=0)
    weight_array = model.weight.data
    model.load_state_dict({"weight": np.eye(2), "bias": np.zeros(2)})
    assert model.weight.data is weight_array
    np.testing.assert_array_equal(weight_array, np.eye(2))
    assert weight_array.dtype == np.float32


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda sd: sd.pop("0.bias"), "missing key\\(s\\): 0.bias"),
        (lambda sd: sd.update(extra=np.zeros(1)), "unexpected key\\(s\\): extra"),
        (lambda sd: sd.update({"2.weight": np.zeros((3, 2))}), "size mismatch for 2.weight"),
        (lambda sd: sd.update({"2.bias": np.array(["a", "b"])}), "2.bias: expected a real numeric"),
        (lambda sd: sd.update({"2.bias": np.array([True, False])}), "2.bias: expected a real numeric"),
        # these two were numpy's and Python's words: "setting an array element with a sequence",
        # "sequence item 0: expected str instance, int found"
        (lambda sd: sd.update({"2.bias": [[1.0], [2.0, 3.0]]}),
         re.escape("2.bias: not a rectangular array of numbers, got [[1.0], [2.0, 3.0]]")),
        (lambda sd: sd.update({0: np.zeros(2)}),
         re.escape("key(s) that are not strings: [0] (the keys are parameter names")),
    ],
)
def test_a_bad_state_dict_raises_and_leaves_the_model_unchanged(edit, message):
    model = models.MLP(3, (4,), 2, rng=0)
    before = model.state_dict()
    state = {name: value + 1 for name, value in before.items()}
    edit(state)
    with pytest.raises(RuntimeError, match=message):
        model.load_state_dict(state)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_all_problems_are_reported_together():
    model = models.Linear(2, 2, rng=0)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict({"weight": np.zeros((2, 3)), "stray": np.zeros(1)})
    text = str(error.value)
    assert "missing key(s): bias" in text and "unexpected key(s): stray" in text
    assert "size mismatch for weight" in text and "(2, 3)" in text


def test_non_strict_load_reports_skipped_keys_and_loads_the_rest():
    model = models.Linear(2, 2, rng=0)
    bias_before = model.bias.data.copy()
    result = model.load_state_dict({"weight": np.eye(2), "stray": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["stray"]
    np.testing.assert_array_equal(model.weight.data, np.eye(2))
    np.testing.assert_array_equal(model.bias.data, bias_before)
    with pytest.raises(RuntimeError, match="size mismatch"):
        model.load_state_dict({"weight": np.eye(3)}, strict=False)


class Tied(models.Module):
    """A decoder whose weight is the encoder's: one Parameter held under two names."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = models.Linear(3, 2, rng=0)
        self.decoder_weight = self.encoder.weight


def shared_twice() -> models.Sequential:
    shared = models.Linear(2, 2, rng=0)
    return models.Sequential(shared, models.ReLU(), shared)


# The keys PyTorch's state_dict gives the same two models (torch.nn.Sequential(shared, ReLU,
# shared), and a module with own attribute head = encoder.weight): every path to a parameter,
# a module's own parameters before its children's; and the names its named_parameters() gives,
# each parameter's first.
@pytest.mark.parametrize(
    "make, keys, holders, listed",
    [
        (shared_twice, ["0.weight", "0.bias", "2.weight", "2.bias"],
         lambda m: [m.children()[0].weight, m.children()[0].bias, m.children()[2].weight, m.children()[2].bias],
         ["0.weight", "0.bias"]),
        (Tied, ["decoder_weight", "encoder.weight", "encoder.bias"],
         lambda m: [m.decoder_weight, m.encoder.weight, m.encoder.bias],
         ["decoder_weight", "encoder.bias"]),
    ],
)
def test_a_shared_parameter_is_saved_under_each_of_its_names_and_listed_once(make, keys, holders, listed):
    model = make()
    state = model.state_dict()
    assert list(state) == keys
    holder_of = dict(zip(keys, holders(model)))
    assert [(name, id(p)) for name, p in model.named_parameters()] == [(n, id(holder_of[n])) for n in listed]
    assert [id(p) for p in model.parameters()] == [id(holder_of[n]) for n in listed]
    for name, param in zip(keys, holders(model)):
        np.testing.assert_array_equal(state[name], param.data)


def test_a_state_dict_with_shared_parameters_round_trips_and_keeps_them_shared():
    source, target = shared_twice(), shared_twice()
    for p in source.parameters():
        p.data += 1
    target.load_state_dict(source.state_dict())
    layers = target.children()
    assert layers[0] is layers[2]
    for p, q in zip(source.parameters(), target.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_a_shared_parameter_needs_only_one_of_its_names():
    model, saved = shared_twice(), {"0.weight": np.eye(2), "0.bias": np.ones(2)}
    model.load_state_dict(saved)  # (a dict saved with each parameter once)
    np.testing.assert_array_equal(model.children()[2].weight.data, np.eye(2))
    result = model.load_state_dict({"0.weight": np.eye(2)}, strict=False)
    assert result.missing_keys == ["0.bias", "2.bias"]  # no name of the bias was given


def test_two_names_of_one_parameter_with_different_values_are_refused():
    model = shared_twice()
    before = model.state_dict()
    state = {**before, "2.weight": before["0.weight"] + 1}
    with pytest.raises(RuntimeError, match="0.weight and 2.weight name one shared parameter but hold different"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model.children()[0].weight.data, before["0.weight"])


def test_parameters_walk_each_module_once_not_every_path(monkeypatch):
    # every path to a parameter is only for state dicts: with nested sharing their number
    # doubles at each level, so parameters() and optimizers must not walk them
    monkeypatch.setattr(models.Module, "_parameter_paths", lambda self: pytest.fail("walked every path"))
    model = shared_twice()
    assert len(model.parameters()) == 2 and len(model.named_parameters()) == 2


def test_a_module_that_holds_itself_is_walked_once():
    model = models.Linear(2, 2, rng=0)
    model.again = model
    assert list(model.state_dict()) == ["weight", "bias"]


def test_a_parameter_cannot_silently_become_a_plain_attribute():
    layer = models.Linear(2, 2, rng=0)
    with pytest.raises(TypeError, match="cannot assign a ndarray to the parameter 'weight' of Linear"):
        layer.weight = np.zeros((2, 2))
    with pytest.raises(TypeError, match="cannot assign a Tensor"):
        layer.weight = Tensor(np.zeros((2, 2)))
    layer.weight = models.Parameter(np.zeros((2, 2)))  # a Parameter is fine
    layer.bias = None  # and so is removing one
    assert [name for name, _ in layer.named_parameters()] == ["weight"]


def test_values_too_large_for_the_parameters_dtype_are_refused_and_nothing_is_loaded():
    layer = models.Linear(2, 1, dtype=np.float32, rng=0)
    before = layer.weight.data.copy()
    with pytest.raises(RuntimeError, match="weight: values too large for float32"):
        layer.load_state_dict({"weight": np.array([[1e300, 0.0]]), "bias": np.zeros(1)})
    np.testing.assert_array_equal(layer.weight.data, before)
    layer.load_state_dict({"weight": np.array([[np.inf, 0.0]]), "bias": np.zeros(1)})  # inf is inf
    assert layer.weight.data[0, 0] == np.inf


def test_a_sub_module_cannot_be_replaced_by_a_plain_value():
    net = models.Sequential(models.Linear(2, 2, rng=0))
    holder = models.Module()
    holder.fc = models.Linear(2, 2, rng=0)
    with pytest.raises(TypeError, match="cannot assign a int to the sub-module 'fc'"):
        holder.fc = 3
    assert len(holder.parameters()) == 2
    holder.fc = None  # removing it is allowed, as in PyTorch
    assert holder.parameters() == [] and len(net.parameters()) == 2


def test_train_takes_a_bool_and_refuses_anything_else_with_pytorchs_value_error():
    with pytest.raises(ValueError, match="training mode is expected to be boolean .*got 'False'"):
        models.Linear(2, 2, rng=0).train("False")
    assert models.Linear(2, 2, rng=0).train(np.bool_(False)).training is False


class KeepsDropoutOff(models.Module):
    """A block whose own train() keeps its dropout in eval mode."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = models.Linear(2, 2, rng=0)
        self.drop = models.Dropout(0.5)

    def train(self, mode: bool = True) -> "KeepsDropoutOff":
        super().train(mode)
        self.drop.eval()
        return self


def test_train_and_eval_call_each_childs_own_train_as_pytorch_does():
    model = models.Sequential(KeepsDropoutOff(), models.Dropout(0.5))
    assert model.eval() is model and not any(m.training for m in model.modules())
    assert model.train() is model
    assert [(name, m.training) for name, m in model.named_modules()] == [
        ("", True), ("0", True), ("0.fc", True), ("0.drop", False), ("1", True),
    ]


def test_train_and_eval_reach_a_module_that_holds_itself_or_an_ancestor_once():
    model = models.Module()
    model.fc = models.Linear(2, 2, rng=0)
    model.again = model
    model.fc.parent = model
    assert model.eval() is model and not model.training and not model.fc.training
    model.train()
    assert model.training and model.fc.training


def test_train_in_one_thread_does_not_hide_a_shared_module_from_another():
    import threading

    entered, release = threading.Event(), threading.Event()

    class WaitsInTheOtherThread(models.Module):
        def train(self, mode=True):
            if threading.current_thread() is not threading.main_thread():
                entered.set()
                release.wait(5)
            return super().train(mode)

    block = models.Sequential(models.Linear(2, 2, rng=0), WaitsInTheOtherThread(), models.Dropout(0.5))
    other_thread = threading.Thread(target=models.Sequential(block).eval)
    other_thread.start()
    entered.wait(5)  # the other thread is inside block.train(False), before the Dropout
    models.Sequential(block).eval()  # this thread must still reach the Dropout itself
    dropout_training = block[2].training
    release.set()
    other_thread.join()
    assert dropout_training is False


def test_a_module_list_item_can_be_replaced_and_deleted_as_in_pytorch():
    a, b, c = (models.Linear(1, 1, rng=i) for i in range(3))
    layers = models.ModuleList([a, b, c])
    del layers[0]
    assert list(layers) == [b, c] and [n for n, _ in layers.named_children()] == ["0", "1"]
    layers.append(a)
    assert list(layers) == [b, c, a]
    layers[1] = a
    assert list(layers) == [b, a, a] and len(layers.parameters()) == 4  # a once, as a shared module
    with pytest.raises(IndexError, match="out of range for a ModuleList of 3"):
        layers[3] = b
    with pytest.raises(TypeError, match="holds Modules"):
        layers[0] = 3


@pytest.mark.parametrize(
    "not_a_dict", [[np.zeros((2, 2)), np.zeros(2)], (("weight", np.zeros((2, 2))),), None]
)
def test_load_state_dict_refuses_anything_but_a_mapping_as_pytorch_does(not_a_dict):
    layer = models.Linear(2, 2, rng=0)
    with pytest.raises(TypeError, match=f"Expected state_dict to be dict-like .*got {type(not_a_dict)}"):
        layer.load_state_dict(not_a_dict)


def test_a_key_that_is_not_a_string_is_refused_also_when_not_strict():
    model = models.Linear(2, 2, rng=0)
    with pytest.raises(RuntimeError, match=re.escape("key(s) that are not strings: [0, 1.5]")):
        model.load_state_dict({**model.state_dict(), 0: np.zeros(2), 1.5: np.zeros(2)}, strict=False)


@pytest.mark.parametrize("value", ["no", 1, None, np.array([True])])
def test_strict_and_set_to_none_must_be_true_or_false(value):
    # "no" counted as True: strict="no" was strict, set_to_none="no" set the gradients to None
    model = models.Linear(2, 2, rng=0)
    model.weight.grad = np.ones((2, 2), np.float32)
    message = "(expected True or False)"
    with pytest.raises(TypeError, match=re.escape(f"Invalid strict: {value!r} {message}")):
        model.load_state_dict(model.state_dict(), strict=value)
    with pytest.raises(TypeError, match=re.escape(f"Invalid set_to_none: {value!r} {message}")):
        model.zero_grad(set_to_none=value)
    assert model.weight.grad is not None
    model.zero_grad(set_to_none=np.False_)
    assert model.load_state_dict(model.state_dict(), strict=np.True_).missing_keys == []


def test_a_child_that_holds_itself_is_walked_once():
    # (the walk must remember every module on the path, not only the root)
    model = models.Sequential(models.Linear(2, 2, rng=0))
    model[0].again = model[0]
    assert list(model.state_dict()) == ["0.weight", "0.bias"]
    model.load_state_dict({"0.weight": np.eye(2), "0.bias": np.ones(2)})
    np.testing.assert_array_equal(model[0].weight.data, np.eye(2))


def test_a_shared_parameter_holding_nan_loads_under_both_of_its_names():
    # NaN is not equal to itself, but the two names hold the same values (a diverged run's dict)
    source, target = shared_twice(), shared_twice()
    source.children()[0].weight.data[0, 0] = np.nan
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(target.children()[2].weight.data, source.children()[0].weight.data)


def test_load_state_dict_takes_any_mapping_not_only_a_dict():
    from types import MappingProxyType

    model = models.Linear(2, 2, rng=0)
    model.load_state_dict(MappingProxyType({"weight": np.eye(2), "bias": np.ones(2)}))
    np.testing.assert_array_equal(model.weight.data, np.eye(2))
