"""Coupled L2 regularization (L' = L + λ/2·‖θ‖²) and the decay / no-decay parameter groups."""

from __future__ import annotations

import re

import numpy as np
import pytest

import models
from minigrad import Tensor


def ids(tensors: list) -> list[int]:
    return [id(t) for t in tensors]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weight_decay", [0.0, 1e-4, 0.3, 2.0])
def test_gradient_of_l2_penalty_is_exactly_lambda_theta(dtype, weight_decay):
    model = models.MLP(3, (4,), 2, rng=0, dtype=dtype)
    models.l2_penalty(model.parameters(), weight_decay).backward()
    for param in model.parameters():
        np.testing.assert_array_equal(param.grad, dtype(weight_decay) * param.data)


def test_l2_penalty_value_is_half_lambda_times_the_squared_norm():
    params = [Tensor(np.array([1.0, -2.0]), requires_grad=True), Tensor(np.array([[3.0]]), requires_grad=True)]
    assert models.l2_penalty(params, 0.5).item() == pytest.approx(0.25 * (1 + 4 + 9))


def test_adding_the_penalty_to_a_loss_adds_lambda_theta_to_its_gradient():
    model = models.LinearRegression(3, rng=0, dtype=np.float64)
    x = Tensor(np.random.default_rng(0).normal(size=(8, 3)))
    y = np.random.default_rng(1).normal(size=(8, 1))
    models.MSELoss()(model(x), y).backward()
    plain = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    (models.MSELoss()(model(x), y) + models.l2_penalty(model.parameters(), 0.1)).backward()
    for param, grad in zip(model.parameters(), plain):
        np.testing.assert_allclose(param.grad, grad + 0.1 * param.data, rtol=1e-12)


def test_l2_penalty_rejects_negative_decay_and_empty_parameters():
    params = [Tensor(np.ones(2), requires_grad=True)]
    with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
        models.l2_penalty(params, -0.1)
    for bad in (float("nan"), float("inf"), None, "1e-3"):  # (inf gave an infinite penalty)
        with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
            models.l2_penalty(params, bad)
    used_up = iter(params)
    list(used_up)
    with pytest.raises(ValueError, match="no parameters"):
        models.l2_penalty(used_up, 0.1)


def test_param_groups_decay_weights_but_not_biases():
    model = models.MLP(3, (4,), 2, rng=0)
    decayed, not_decayed = models.param_groups(model, 0.01)
    assert decayed["weight_decay"] == 0.01 and not_decayed["weight_decay"] == 0.0
    assert ids(decayed["params"]) == ids([model[0].weight, model[2].weight])
    assert ids(not_decayed["params"]) == ids([model[0].bias, model[2].bias])


def test_param_groups_match_whole_name_parts_or_full_names():
    class Scaled(models.Module):
        def __init__(self):
            super().__init__()
            self.body = models.Linear(2, 2, rng=0)
            self.unbiased_gain = models.Parameter(np.ones(2))

    model = Scaled()
    groups = models.param_groups(model, 0.1, no_decay=("body.weight",))
    assert ids(groups[0]["params"]) == ids([model.unbiased_gain, model.body.bias])
    assert ids(groups[1]["params"]) == ids([model.body.weight])
    whole_module = models.param_groups(model, 0.1, no_decay="body")
    assert ids(whole_module[0]["params"]) == ids([model.unbiased_gain])


def test_param_groups_default_no_decay_matches_the_name_part_bias_not_names_containing_it():
    class Named(models.Module):
        def __init__(self):
            super().__init__()
            self.biases = models.Parameter(np.ones(2))
            self.unbiased_w = models.Parameter(np.ones(2))
            self.head = models.Linear(2, 2, rng=0)

    model = Named()
    decayed, not_decayed = models.param_groups(model, 0.1)
    assert ids(decayed["params"]) == ids([model.biases, model.unbiased_w, model.head.weight])
    assert ids(not_decayed["params"]) == ids([model.head.bias])


def test_param_groups_leave_out_an_empty_group():
    model = models.Linear(2, 2, bias=False, rng=0)
    assert models.param_groups(model, 0.1) == [{"params": [model.weight], "weight_decay": 0.1}]


def test_param_groups_leave_out_frozen_parameters_as_optimizers_refuse_them():
    import optim

    model = models.MLP(3, (4,), 2, rng=0)
    model[0].weight.requires_grad = False
    model[2].bias.requires_grad = False
    decayed, not_decayed = models.param_groups(model, 0.01)
    assert ids(decayed["params"]) == ids([model[2].weight])
    assert ids(not_decayed["params"]) == ids([model[0].bias])
    optim.AdamW(models.param_groups(model, 0.01))  # accepted


def test_param_groups_reject_negative_decay():
    with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
        models.param_groups(models.Linear(2, 2, rng=0), -1.0)


def test_l2_penalty_refuses_a_module_or_named_parameters_saying_to_pass_parameters():
    model = models.MLP(2, (3,), 1, rng=0)
    for module in (model, model[0]):  # (a Sequential is iterable, a Linear is not)
        with pytest.raises(TypeError, match=f"not the {type(module).__name__} itself: pass model.parameters"):
            models.l2_penalty(module, 0.1)
    with pytest.raises(TypeError, match="of Tensors such as model.parameters\\(\\); got a tuple in it"):
        models.l2_penalty(model.named_parameters(), 0.1)
    with pytest.raises(TypeError, match="takes an iterable of Tensors .*; got float"):
        models.l2_penalty(0.5, 0.1)


@pytest.mark.parametrize(
    "no_decay, got", [(None, "got NoneType"), (3, "got int"), (["bias", None], "got a NoneType in it")]
)
def test_param_groups_name_what_no_decay_must_be(no_decay, got):
    with pytest.raises(TypeError, match=f"no_decay must be parameter names or name parts .*; {got}"):
        models.param_groups(models.Linear(2, 2, rng=0), 0.01, no_decay=no_decay)


def test_param_groups_no_decay_of_parameters_is_refused_rather_than_decaying_them():
    model = models.Linear(2, 2, rng=0)
    with pytest.raises(TypeError, match="got a Parameter in it"):
        models.param_groups(model, 0.01, no_decay=[model.bias])


def test_param_groups_refuse_a_no_decay_entry_that_nearly_matches_a_parameter_name():
    """A misspelt name would leave the parameters it meant decayed without a word."""
    model = models.MLP(3, (4,), 2, rng=0)
    with pytest.raises(ValueError, match=re.escape("no_decay entry 'bais' matches no parameter of the model: did you "
                                                   "mean 'bias'? (its parameters: 0.weight, 0.bias, 2.weight, "
                                                   "2.bias)")):
        models.param_groups(model, 0.01, no_decay=("bias", "bais"))
    with pytest.raises(ValueError, match="entry '2.wieght' matches no parameter of the model: did you mean '2.weight'"):
        models.param_groups(model, 0.01, no_decay="2.wieght")
    with pytest.raises(ValueError, match="entry '0.bias.x' matches no parameter .* did you mean '0.bias'"):
        models.param_groups(model, 0.01, no_decay="0.bias.x")  # (parts are whole, not prefixes)


@pytest.mark.parametrize("hidden_sizes, rest", [((2, 2, 2, 2), " and 2 more"), ((2, 2, 2), "")],
                         ids=["ten-parameters", "eight-parameters"])
def test_param_groups_no_decay_error_lists_up_to_eight_names_and_counts_the_rest(hidden_sizes, rest):
    model = models.MLP(2, hidden_sizes, 1, rng=0)  # 5 layers and 10 parameters, or 4 layers and 8
    with pytest.raises(ValueError, match=re.escape("its parameters: 0.weight, 0.bias, 2.weight, 2.bias, 4.weight, "
                                                   f"4.bias, 6.weight, 6.bias{rest})")):
        models.param_groups(model, 0.01, no_decay="Bias")


@pytest.mark.parametrize("no_decay", [("bias",), ["bias", "LayerNorm.weight"], "norm"])
def test_param_groups_accept_no_decay_entries_that_match_nothing_at_all(no_decay):
    """As a script written for other models gives them (or the default, on a model without biases)."""
    model = models.MLP(3, (4,), 2, bias=False, rng=0)
    assert models.param_groups(model, 0.1, no_decay=no_decay) == [
        {"params": model.parameters(), "weight_decay": 0.1}]


def test_param_groups_accept_a_no_decay_name_that_matches_only_frozen_parameters():
    model = models.MLP(3, (4,), 2, rng=0)
    model[2].weight.requires_grad = False
    decayed, not_decayed = models.param_groups(model, 0.01, no_decay=("bias", "2.weight"))
    assert ids(decayed["params"]) == ids([model[0].weight])
    assert ids(not_decayed["params"]) == ids([model[0].bias, model[2].bias])


def test_param_groups_take_a_module():
    model = models.Linear(2, 2, rng=0)
    with pytest.raises(TypeError, match="param_groups takes the model \\(a Module\\), got list"):
        models.param_groups(model.parameters(), 0.01)
