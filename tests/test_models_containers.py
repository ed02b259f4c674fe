"""ModuleList and Sequential as list-likes: slicing, deleting, inserting, extending, as in torch.nn."""

from __future__ import annotations

import numpy as np
import pytest

import models
from minigrad import Tensor


def kinds(modules) -> list[str]:
    return [type(m).__name__ for m in modules]


def names(container: models.Module) -> list[str]:
    return [name for name, _ in container.named_children()]


def four_layers() -> models.ModuleList:
    return models.ModuleList(
        [models.ReLU(), models.Linear(1, 1, rng=0), models.Tanh(), models.Linear(1, 2, rng=1)]
    )


@pytest.mark.parametrize("make", [models.ModuleList, lambda ms: models.Sequential(*ms)])
def test_deleting_a_slice_removes_those_modules_and_renumbers_the_rest(make):
    layers = make([models.ReLU(), models.Tanh(), models.Sigmoid()])
    del layers[0:2]
    assert kinds(layers) == ["Sigmoid"] and names(layers) == ["0"]


def test_deleting_a_stepped_slice_renumbers_the_state_dict_as_pytorch_does():
    layers = four_layers()
    kept = [layers[1], layers[3]]
    del layers[::2]
    assert list(layers) == kept
    assert list(layers.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]  # (torch 2.13)


def test_deleting_an_empty_slice_or_from_an_mlp_works_too():
    layers = four_layers()
    del layers[3:1]
    assert len(layers) == 4
    mlp = models.MLP(2, (3,), 1, rng=0)
    del mlp[-2:]
    assert kinds(mlp) == ["Linear"]


@pytest.mark.parametrize("index", [[0, 1], 1.0, "0", None])
def test_an_index_that_is_not_an_int_or_slice_is_a_type_error(index):
    layers = four_layers()
    message = "ModuleList indices must be integers \\(or slices, to read or delete\\), not " + type(index).__name__
    uses = (
        lambda: layers[index], lambda: layers.__delitem__(index),
        lambda: layers.__setitem__(index, models.ReLU()), lambda: layers.insert(index, models.ReLU()),
    )
    for use in uses:
        with pytest.raises(TypeError, match=message):
            use()
    assert len(layers) == 4


def test_numpy_integers_and_negative_indices_are_positions():
    layers = four_layers()
    assert layers[np.int64(2)] is layers[-2]
    with pytest.raises(IndexError, match="index -5 is out of range for a ModuleList of 4"):
        layers[-5]
    with pytest.raises(IndexError, match="index 4 is out of range for a Sequential of 4"):
        del models.Sequential(*four_layers())[4]


def test_a_slice_of_a_module_list_is_a_module_list_of_the_same_modules():
    layers = four_layers()
    part = layers[1::2]
    assert type(part) is models.ModuleList
    assert list(part) == [layers[1], layers[3]] and names(part) == ["0", "1"]


class Blocks(models.ModuleList):
    """A ModuleList subclass, as one might write to give a list of layers methods of its own."""


def test_a_slice_of_a_module_list_subclass_is_a_plain_module_list():
    layers = Blocks(list(four_layers()))
    part = layers[:2]
    assert type(part) is models.ModuleList and list(part) == list(layers)[:2]


def test_a_slice_of_a_sequential_is_a_sequential_that_runs():
    model = models.Sequential(models.Linear(2, 3, rng=0), models.ReLU(), models.Linear(3, 1, rng=1))
    head = model[:-1]
    assert type(head) is models.Sequential and list(head) == list(model)[:2]
    x = Tensor(np.array([[1.0, -2.0]], np.float32))
    np.testing.assert_array_equal(model[2](head(x)).data, model(x).data)


def test_a_slice_of_an_mlp_is_a_plain_sequential_giving_the_same_numbers():
    mlp = models.MLP(2, (4, 4), 1, rng=0)
    x = Tensor(np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32))
    assert type(mlp[:]) is models.Sequential
    np.testing.assert_allclose(mlp[2:](mlp[:2](x)).data, mlp(x).data, rtol=1e-6)


def test_append_adds_the_module_under_the_next_number_and_returns_the_list():
    layers, tanh = models.ModuleList([models.ReLU()]), models.Tanh()
    assert layers.append(tanh).append(models.GELU()) is layers
    assert kinds(layers) == ["ReLU", "Tanh", "GELU"] and names(layers) == ["0", "1", "2"] and layers[1] is tanh


def test_extend_and_plus_equals_append_every_module_or_none():
    layers = models.ModuleList([models.ReLU()])
    assert layers.extend([models.Tanh()]) is layers
    same = layers
    layers += (m for m in [models.Sigmoid(), models.GELU()])
    assert layers is same and kinds(layers) == ["ReLU", "Tanh", "Sigmoid", "GELU"]
    with pytest.raises(TypeError, match="ModuleList holds Modules, got int"):
        layers += [models.Identity(), 3]
    with pytest.raises(TypeError, match="ModuleList.extend takes an iterable of Modules, got Identity"):
        layers.extend(models.Identity())
    assert len(layers) == 4
    sequential = models.Sequential(models.Linear(2, 2, rng=0))
    sequential += [models.ReLU()]
    assert type(sequential) is models.Sequential and names(sequential) == ["0", "1"]


def test_insert_shifts_the_modules_after_it_as_in_pytorch_sequential():
    relu, tanh, sigmoid, identity = models.ReLU(), models.Tanh(), models.Sigmoid(), models.Identity()
    layers = models.Sequential(relu, tanh, sigmoid)
    assert layers.insert(-1, identity) is layers  # (PyTorch's Sequential.insert returns it)
    assert list(layers) == [relu, tanh, identity, sigmoid] and names(layers) == ["0", "1", "2", "3"]
    layers.insert(4, models.GELU())
    layers.insert(0, models.LeakyReLU())
    assert kinds(layers) == ["LeakyReLU", "ReLU", "Tanh", "Identity", "Sigmoid", "GELU"]
    with pytest.raises(IndexError, match="index 7 is out of range for a Sequential of 6"):
        layers.insert(7, models.ReLU())
    with pytest.raises(TypeError, match="ModuleList holds Modules, got int"):
        layers.insert(0, 3)
    assert len(layers) == 6


def test_pop_removes_and_returns_a_module():
    layers = four_layers()
    last, first = layers[-1], layers[0]
    assert layers.pop() is last and layers.pop(0) is first
    assert kinds(layers) == ["Linear", "Tanh"] and names(layers) == ["0", "1"]


@pytest.mark.parametrize("make", [models.ModuleList, lambda ms: models.Sequential(*ms)])
def test_insert_at_minus_len_puts_the_module_first_and_one_further_is_out_of_range(make):
    """As list.insert and PyTorch's Sequential.insert: -len(self) is the first place; -len-1 is refused."""
    layers = make([models.ReLU(), models.Tanh(), models.Sigmoid()])
    layers.insert(-3, models.Identity())
    assert kinds(layers) == ["Identity", "ReLU", "Tanh", "Sigmoid"] and names(layers) == ["0", "1", "2", "3"]
    with pytest.raises(IndexError, match="index -5 is out of range"):
        layers.insert(-5, models.GELU())
    assert len(layers) == 4


def test_assigning_to_a_negative_index_replaces_that_module_under_its_own_name():
    """layers[-1] = m replaces the last module (named "3"), as in a list; nothing is added."""
    layers = four_layers()
    first, new = layers[0], models.Identity()
    layers[-1] = new
    layers[-4] = models.GELU()
    assert kinds(layers) == ["GELU", "Linear", "Tanh", "Identity"] and names(layers) == ["0", "1", "2", "3"]
    assert layers[3] is new and first not in list(layers)
    with pytest.raises(IndexError, match="index -5 is out of range for a ModuleList of 4"):
        layers[-5] = models.ReLU()
