"""Argument checks: every invalid hyperparameter raises a ValueError that names it and its value,
at construction and in parameter groups; valid edge values are accepted."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optim
from minigrad import Tensor

ALL = [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW, optim.NAdam, optim.Adamax,
       optim.RAdam, optim.Lion, optim.Muon]
WITH_EPS = [optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW, optim.NAdam, optim.Adamax,
            optim.RAdam, optim.Muon]
WITH_BETAS = [optim.Adam, optim.AdamW, optim.NAdam, optim.Adamax, optim.RAdam, optim.Lion]


def matrix() -> list[Tensor]:
    return [Tensor(np.zeros((2, 3)), requires_grad=True)]


def raises_exactly(message: str):
    return pytest.raises(ValueError, match="^" + re.escape(message))


@settings(max_examples=20)
@given(cls=st.sampled_from(ALL), lr=st.floats(max_value=-1e-300) | st.just(float("nan")))
def test_a_negative_or_nan_learning_rate_is_rejected(cls, lr):
    with raises_exactly(f"Invalid learning rate: {lr}"):
        cls(matrix(), lr=lr)


@pytest.mark.parametrize("cls", ALL)
def test_a_negative_weight_decay_is_rejected(cls):
    with raises_exactly("Invalid weight_decay value: -0.01"):
        cls(matrix(), weight_decay=-0.01)


@pytest.mark.parametrize("cls", WITH_EPS)
def test_a_negative_epsilon_is_rejected(cls):
    with raises_exactly("Invalid epsilon value: -1e-08"):
        cls(matrix(), eps=-1e-8)


@pytest.mark.parametrize("cls", WITH_BETAS)
@pytest.mark.parametrize("betas,message", [
    ((1.0, 0.999), "Invalid beta parameter at index 0: 1.0"),
    ((-0.1, 0.999), "Invalid beta parameter at index 0: -0.1"),
    ((0.9, 1.5), "Invalid beta parameter at index 1: 1.5"),
    ((0.9, float("nan")), "Invalid beta parameter at index 1: nan"),
    ((0.9,), "Invalid betas: (0.9,)"),
    ((0.9, 0.99, 0.9), "Invalid betas: (0.9, 0.99, 0.9); expected a pair (beta1, beta2)"),
])
def test_betas_outside_zero_to_one_are_rejected(cls, betas, message):
    with raises_exactly(message):
        cls(matrix(), betas=betas)


@pytest.mark.parametrize("cls,kwargs,message", [
    (optim.SGD, {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    (optim.SGD, {"dampening": 1.5}, "Invalid dampening value: 1.5"),
    (optim.SGD, {"nesterov": True}, "Nesterov momentum requires a momentum > 0 and zero dampening"),
    (optim.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "Nesterov momentum requires a momentum > 0 and zero dampening"),
    (optim.Adagrad, {"lr_decay": -1.0}, "Invalid lr_decay value: -1.0"),
    (optim.Adagrad, {"initial_accumulator_value": -1.0}, "Invalid initial_accumulator_value value: -1.0"),
    (optim.RMSprop, {"alpha": -0.1}, "Invalid alpha value: -0.1"),
    (optim.RMSprop, {"alpha": 1.5}, "Invalid alpha value: 1.5"),
    (optim.RMSprop, {"momentum": -0.1}, "Invalid momentum value: -0.1"),
    (optim.NAdam, {"momentum_decay": -1.0}, "Invalid momentum_decay value: -1.0"),
    (optim.Muon, {"momentum": 1.0}, "Invalid momentum value: 1.0"),
    (optim.Muon, {"ns_steps": 0}, "Invalid ns_steps value: 0"),
    (optim.Muon, {"ns_steps": 2.5}, "Invalid ns_steps value: 2.5"),
])
def test_each_optimizer_specific_hyperparameter_is_checked(cls, kwargs, message):
    with raises_exactly(message):
        cls(matrix(), **kwargs)


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), ()])
def test_muon_rejects_parameters_that_are_not_matrices_naming_the_shape(shape):
    weight = matrix()[0]
    other = Tensor(np.zeros(shape), requires_grad=True)
    with pytest.raises(ValueError, match=re.escape(f"2-D parameters, got one of shape {shape}")):
        optim.Muon([weight, other])
    opt = optim.Muon([weight])
    with pytest.raises(ValueError, match=re.escape(str(shape))):
        opt.add_param_group({"params": other})
    assert len(opt.param_groups) == 1


def test_muon_takes_any_shape_in_a_group_with_use_muon_false():
    weight, bias = matrix()[0], Tensor(np.zeros(3), requires_grad=True)
    opt = optim.Muon([{"params": [weight]}, {"params": [bias], "use_muon": False}])
    weight.grad, bias.grad = np.ones((2, 3)), np.ones(3)
    opt.step()
    assert set(opt.state[weight]) == {"step", "momentum_buffer"}
    assert set(opt.state[bias]) == {"step", "exp_avg", "exp_avg_sq"}
    np.testing.assert_allclose(bias.data, -1e-3)  # AdamW's first step: -lr·sign(g), no decay of 0


def test_muon_refuses_a_negative_second_moment_of_an_adamw_group_but_loads_a_negative_momentum():
    """The v of a use_muon=False group is a mean of g², so a negative entry in a loaded state would
    put √v = NaN into the next step; the Muon group's momentum buffer is signed and loads as it is."""
    def made():
        weight, bias = matrix()[0], Tensor(np.zeros(3), requires_grad=True)
        return optim.Muon([{"params": [weight]}, {"params": [bias], "use_muon": False}]), weight, bias

    opt, weight, bias = made()
    weight.grad, bias.grad = -np.ones((2, 3)), np.ones(3)
    opt.step()
    saved = opt.state_dict()
    assert (saved["state"][0]["momentum_buffer"] < 0).all()
    saved["state"][1]["exp_avg_sq"][1] = -0.5
    fresh = made()[0]
    with raises_exactly("state[1]['exp_avg_sq'] holds negative values (down to -0.5), which no step can put there"):
        fresh.load_state_dict(saved)
    assert fresh.state == {}
    saved["state"][1]["exp_avg_sq"][1] = 0.0
    fresh.load_state_dict(saved)
    np.testing.assert_allclose(fresh.state_dict()["state"][0]["momentum_buffer"], (1 - 0.95) * -1.0, rtol=1e-15)


def test_muon_checks_a_group_switched_to_use_muon_before_stepping_it():
    bias = Tensor(np.zeros(3), requires_grad=True)
    opt = optim.Muon([{"params": [bias], "use_muon": False}])
    opt.param_groups[0]["use_muon"] = True
    bias.grad = np.ones(3)
    with pytest.raises(ValueError, match=re.escape("got one of shape (3,); put it in a group with use_muon=False")):
        opt.step()
    np.testing.assert_array_equal(bias.data, 0.0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(adamw_betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    (dict(adamw_eps=-1.0), "Invalid adamw_eps value: -1.0"),
])
def test_muon_checks_the_settings_of_its_adamw_groups(kwargs, message):
    with raises_exactly(message):
        optim.Muon([{"params": matrix(), **kwargs}])


def test_hyperparameters_of_a_group_are_checked_too():
    a, b = matrix(), matrix()
    with raises_exactly("Invalid beta parameter at index 1: 1.0"):
        optim.Adam([{"params": a}, {"params": b, "betas": (0.9, 1.0)}])


def test_an_invalid_default_is_refused_even_when_every_group_overrides_it():
    """The defaults are checked themselves, as in PyTorch: a group added later would take them."""
    with raises_exactly("Invalid learning rate: -1.0"):
        optim.SGD([{"params": matrix(), "lr": 0.1}], lr=-1.0)
    with raises_exactly("Invalid beta parameter at index 0: 1.0"):
        optim.Adam([{"params": matrix(), "betas": (0.9, 0.999)}], betas=(1.0, 0.999))


@pytest.mark.parametrize("cls,kwargs", [
    (optim.SGD, {"lr": 0.0, "momentum": 0.0, "dampening": 1.0, "weight_decay": 0.0}),
    (optim.SGD, {"momentum": 1.0, "nesterov": True}),  # (no upper bound, as in PyTorch)
    (optim.Adam, {"lr": 0.0, "betas": (0.0, 0.0), "eps": 0.0}),
    (optim.RMSprop, {"alpha": 0.0}),
    (optim.RMSprop, {"alpha": 1.0}),
    (optim.Muon, {"momentum": 0.0, "ns_steps": 1}),
])
def test_edge_values_are_accepted(cls, kwargs):
    cls(matrix(), **kwargs)


def test_the_spec_defaults():
    defaults = {
        optim.SGD: dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False),
        optim.Adagrad: dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10),
        optim.RMSprop: dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False),
        optim.Adam: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                         maximize=False),
        optim.AdamW: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                          maximize=False),
        optim.NAdam: dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3),
        optim.Adamax: dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0),
        optim.RAdam: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0),
        optim.Lion: dict(lr=1e-4, betas=(0.9, 0.99), weight_decay=0),
        # (the groups with use_muon=False take AdamW's betas and eps)
        optim.Muon: dict(lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, ns_steps=5, eps=1e-7,
                         use_muon=True, adamw_betas=(0.9, 0.999), adamw_eps=1e-8),
    }
    for cls, expected in defaults.items():
        assert cls(matrix()).defaults == expected, cls.__name__


@pytest.mark.parametrize("cls, kwargs, message", [
    (optim.SGD, dict(momentum=0.9, nesterov="no"), "Invalid nesterov: 'no' (expected True or False)"),
    (optim.Adam, dict(amsgrad=1), "Invalid amsgrad: 1 (expected True or False)"),
    (optim.AdamW, dict(maximize="yes"), "Invalid maximize: 'yes' (expected True or False)"),
    (optim.SGD, dict(maximize="no"), "Invalid maximize: 'no' (expected True or False)"),
    (optim.RMSprop, dict(centered=None), "Invalid centered: None (expected True or False)"),
    (optim.Muon, dict(use_muon="no"), "Invalid use_muon: 'no' (expected True or False)"),
])
def test_switches_must_be_booleans(cls, kwargs, message):
    with pytest.raises(TypeError, match="^" + re.escape(message)):
        cls([{"params": matrix(), **kwargs}])  # (use_muon is a group's setting only)


@pytest.mark.parametrize("cls, kwargs, message", [
    (optim.Muon, dict(ns_steps=True), "Invalid ns_steps value: True"),
    (optim.SGD, dict(lr=float("inf")), "Invalid learning rate: inf (expected a finite number)"),
    (optim.Adam, dict(lr="0.1"), "Invalid learning rate: '0.1' (expected a finite number)"),
    (optim.Adam, dict(betas=0.9), "Invalid betas: 0.9; expected a pair (beta1, beta2)"),
    # a Fraction would make numpy compute with Python objects, and fail deep inside a step
    (optim.SGD, dict(lr=Fraction(1, 10)), "Invalid learning rate: Fraction(1, 10) (expected a finite number)"),
    (optim.Adam, dict(betas=(Fraction(9, 10), 0.999)), "Invalid beta parameter at index 0: Fraction(9, 10)"),
    (optim.SGD, dict(lr=10**400), "Invalid learning rate: 1000"),  # too large for a float
])
def test_numbers_must_be_finite_numbers(cls, kwargs, message):
    with raises_exactly(message):
        cls(matrix(), **kwargs)


@pytest.mark.parametrize("grad", [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], Tensor(np.zeros((2, 3)))])
def test_a_gradient_that_is_not_a_numpy_array_is_named(grad):
    params = matrix()
    opt = optim.SGD(params, lr=0.1)
    params[0].grad = grad
    with pytest.raises(TypeError, match=r"gradient of type (list|Tensor); .grad must be a numpy array"):
        opt.step()


def test_a_hyperparameter_changed_in_a_group_is_checked_at_the_next_step_before_any_update():
    first, second = matrix(), matrix()
    opt = optim.Adam([{"params": first}, {"params": second}], lr=0.1)
    for p in first + second:
        p.grad = np.ones((2, 3))
    opt.step()
    before = [p.data.copy() for p in first + second]
    opt.param_groups[1]["betas"] = (1.0, 0.999)
    with raises_exactly("Invalid beta parameter at index 0: 1.0"):
        opt.step()
    for p, b in zip(first + second, before):
        np.testing.assert_array_equal(p.data, b)  # the first group was not stepped either
    opt.param_groups[1]["betas"] = (0.9, 0.999)
    opt.param_groups[0]["lr"] = -1.0
    with raises_exactly("Invalid learning rate: -1.0"):
        opt.step()


@pytest.mark.parametrize("grad_dtype", [np.float32, np.complex128, np.int64, np.bool_])
def test_a_gradient_of_another_dtype_is_refused_before_any_group_is_stepped(grad_dtype):
    # A float32 gradient on float64 parameters would be rounded in a flat block but not on the
    # per-parameter path; a complex one failed inside the update after earlier groups moved.
    first, second = matrix(), matrix()
    opt = optim.Adam([{"params": first}, {"params": second}], lr=0.1)
    first[0].grad = np.ones((2, 3))
    second[0].grad = np.ones((2, 3), dtype=grad_dtype)
    with pytest.raises(TypeError, match=f"dtype float64 has a gradient of dtype {np.dtype(grad_dtype)}"):
        opt.step()
    np.testing.assert_array_equal(first[0].data, 0.0)
    assert opt.state == {}


def test_muon_refuses_a_set_of_parameters_in_a_group():
    with pytest.raises(TypeError, match="not a set"):
        optim.Muon([{"params": {matrix()[0], matrix()[0]}}])


@pytest.mark.parametrize("params", [None, 3, [{"params": None}]], ids=["None", "a number", "a group of None"])
def test_parameters_that_are_not_a_collection_are_named(params):
    with pytest.raises(TypeError, match=re.escape("parameters must be given as a list of Tensors (or of "
                                                  "parameter groups), got")):
        optim.SGD(params, lr=0.1)


def test_a_closure_that_is_not_a_function_is_refused_before_any_change():
    params = matrix()
    opt = optim.SGD(params, lr=0.1)
    params[0].grad = np.ones((2, 3))
    with pytest.raises(TypeError, match="closure must be a function that computes the loss and its gradients, "
                                        "got int"):
        opt.step(closure=1)
    np.testing.assert_array_equal(params[0].data, 0.0)


@pytest.mark.parametrize("data, grad", [(np.ones(3, np.int64), np.ones(3, np.int64)),
                                        (np.ones(3, np.int64), np.ones(3)),
                                        (np.ones(3, np.bool_), np.ones(3, np.bool_)),
                                        (np.ones(3, np.complex128), np.ones(3, np.complex128))])
def test_a_parameter_whose_data_was_replaced_by_a_non_floating_array_is_named(data, grad):
    for params in (matrix(), matrix() + matrix()):  # the per-parameter path and the flat one
        opt = optim.SGD(params, lr=0.1)
        for p in params:
            p.grad = np.ones(p.shape)
        opt.step()
        params[-1].data, params[-1].grad = data, grad
        with pytest.raises(TypeError, match=f"a parameter of shape \\(3,\\) holds {data.dtype} values: its .data "
                                            f"was replaced by a non-floating array"):
            opt.step()


@pytest.mark.parametrize("cls, key, near", [(optim.AdamW, "weight_decy", "weight_decay"), (optim.SGD, "lrr", "lr"),
                                            (optim.Adam, "beta", "betas"), (optim.SGD, "nestrov", "nesterov"),
                                            (optim.Muon, "use_muon_", "use_muon")])
def test_a_group_key_that_is_a_near_miss_of_a_setting_is_refused(cls, key, near):
    """A misspelt setting would leave the default in force without a word."""
    with raises_exactly(f"parameter group 1 has the key {key!r}, which {cls.__name__} does not use: did you "
                        f"mean {near!r}?"):
        cls([{"params": matrix()}, {"params": matrix(), key: 0.5}], lr=0.1)


def test_a_muon_group_given_adamws_betas_is_told_muon_calls_them_adamw_betas():
    with raises_exactly("parameter group 1 has the key 'betas', which Muon does not use: did you mean 'adamw_betas'?"):
        optim.Muon([{"params": matrix()}, {"params": matrix(), "use_muon": False, "betas": (0.9, 0.95)}])


def test_a_scheduler_stepped_every_batch_does_not_look_for_near_misses_again_each_step(monkeypatch):
    """Changed settings are checked again at the next step; the search for a near miss of the
    scheduler's initial_lr is made once, not at every step (it cost ~30 µs a group)."""
    import difflib

    from optim.lr_scheduler import StepLR

    params = matrix()
    opt = optim.AdamW(params, lr=0.1)
    scheduler = StepLR(opt, step_size=1, gamma=0.5)
    params[0].grad = np.ones((2, 3))
    opt.step()
    scheduler.step()
    searches = []
    monkeypatch.setattr(difflib, "get_close_matches", lambda *args, **kwargs: searches.append(args) or [])
    for _ in range(3):
        opt.step()
        scheduler.step()
    assert searches == [] and opt.param_groups[0]["lr"] == 0.1 * 0.5**4


def test_a_misspelt_key_set_by_hand_later_is_refused_at_the_next_step_before_any_update():
    params = matrix()
    opt = optim.AdamW(params, lr=0.1)
    params[0].grad = np.ones((2, 3))
    opt.step()
    before = params[0].data.copy()
    opt.param_groups[0]["weight_decy"] = 0.0
    with raises_exactly("parameter group 0 has the key 'weight_decy', which AdamW does not use: did you mean "
                        "'weight_decay'?"):
        opt.step()
    np.testing.assert_array_equal(params[0].data, before)


def test_a_setting_deleted_from_a_group_by_hand_is_named_at_the_next_step():
    params = matrix()
    opt = optim.Adam(params, lr=0.1)
    params[0].grad = np.ones((2, 3))
    opt.step()
    del opt.param_groups[0]["eps"]
    with raises_exactly("parameter group 0 lacks ['eps']; a group holds every setting of Adam"):
        opt.step()


def test_keys_of_other_uses_are_kept_as_in_pytorch():
    """A scheduler's initial_lr and the user's own tags are not near misses of a setting."""
    from optim.lr_scheduler import StepLR

    opt = optim.AdamW([{"params": matrix(), "name": "weights", "tag": 1}], lr=0.1)
    StepLR(opt, step_size=1)
    opt.param_groups[0]["params"][0].grad = np.ones((2, 3))
    opt.step()
    assert opt.param_groups[0]["name"] == "weights" and "initial_lr" in opt.param_groups[0]


@pytest.mark.parametrize("cls, kwargs, message", [
    (optim.SGD, dict(lr=-1.0), "Invalid learning rate: -1.0 (expected a value ≥ 0.0)"),
    (optim.RMSprop, dict(alpha=1.5), "Invalid alpha value: 1.5 (expected a value ≥ 0.0 and ≤ 1.0)"),
    (optim.Muon, dict(momentum=1.0), "Invalid momentum value: 1.0 (expected a value ≥ 0.0 and < 1.0)"),
    (optim.Adam, dict(betas=(0.9, 1.0)),
     "Invalid beta parameter at index 1: 1.0 (expected a value ≥ 0.0 and < 1.0)"),
])
def test_a_value_out_of_range_is_told_the_whole_range(cls, kwargs, message):
    """The message ends with the allowed range: no upper bound for a learning rate, '≤ 1.0' where 1 is allowed
    (RMSprop's alpha), '< 1.0' where it is not (a momentum or a beta)."""
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        cls(matrix(), **kwargs)
