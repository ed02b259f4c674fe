"""The Optimizer base contract: parameters and groups, zero_grad, step and its closure, skipped
parameters, and state dicts (plain, snapshots, exact resumption, safe loading)."""

from __future__ import annotations

import copy
import json
import math
import re

import numpy as np
import pytest

import models
import optim
from optim.transforms import Transform, TransformOptimizer
from minigrad import Tensor

ALL_OPTIMIZERS = [
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (optim.SGD, {"lr": 0.05}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01}),
    (optim.RMSprop, {"centered": True, "momentum": 0.5, "weight_decay": 0.01}),
    (optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01}),
    (optim.AdamW, {"lr": 0.01}),
    (optim.NAdam, {"weight_decay": 0.01}),
    (optim.Adamax, {"weight_decay": 0.01}),
    (optim.RAdam, {"weight_decay": 0.01}),
    (optim.Lion, {"lr": 1e-3, "weight_decay": 0.1}),
    (optim.Muon, {"lr": 0.02}),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(ALL_OPTIMIZERS)]


def make_params(seed: int = 0, shapes=((3, 4), (4, 2))) -> list[Tensor]:
    rng = np.random.default_rng(seed)
    return [Tensor(rng.normal(size=s), requires_grad=True) for s in shapes]


def set_grads(params: list[Tensor], step: int) -> None:
    """A gradient depending on θ and on the step: θ³ − θ + sin(step)·0.5."""
    for p in params:
        p.grad = p.data**3 - p.data + 0.5 * np.sin(step + np.arange(p.data.size).reshape(p.shape))


class LrOnlyOptimizer(optim.Optimizer):
    """The bookkeeping of this file's own small optimizers: one setting, lr, taken unchecked.
    Each subclass supplies ``_init_state`` and ``_update``."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, {"lr": lr})

    def _check_hyperparameters(self, group):
        pass


def train(optimizer: optim.Optimizer, params: list[Tensor], steps: range) -> None:
    for step in steps:
        set_grads(params, step)
        optimizer.step()


def assert_same_tree(a, b) -> None:
    """Equal structure, bit-identical arrays, equal numbers."""
    assert type(a) is type(b) or (np.isscalar(a) and np.isscalar(b)), (a, b)
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same_tree(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_tree(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    else:
        assert a == b


def assert_plain(value) -> None:
    """Only dicts, lists/tuples, numbers, strings and numpy arrays: savable without pickle."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, (str, int))
            assert_plain(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            assert_plain(v)
    else:
        assert isinstance(value, (bool, int, float, str, np.ndarray)), type(value)


# ------------------------------------------------------------------------------- parameters
@pytest.mark.parametrize("single", [lambda: make_params()[0], lambda: {"params": make_params()}],
                         ids=["Tensor", "dict"])
def test_a_bare_tensor_or_group_instead_of_a_list_is_a_type_error(single):
    """One Tensor, or one parameter group not wrapped in a list, is named as such (a dict
    would otherwise be iterated over its keys)."""
    value = single()
    with pytest.raises(TypeError, match=f"iterable.*got a single {type(value).__name__}; wrap it in a list"):
        optim.SGD(value)


def test_a_model_instead_of_its_parameters_is_a_type_error_that_says_what_to_pass():
    import models

    with pytest.raises(TypeError, match=r"got the model itself \(a MLP\); pass model.parameters\(\)"):
        optim.AdamW(models.MLP(2, (3,), 1, rng=0))


def test_an_empty_parameter_list_is_rejected():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam(p for p in [])
    # and so is a group without parameters, at construction or added later
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam([{"params": make_params()}, {"params": []}])
    opt = optim.Adam(make_params())
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        opt.add_param_group({"params": [], "lr": 0.1})
    assert len(opt.param_groups) == 1


def test_parameters_in_a_set_are_refused():
    # a state dict refers to parameters by position; a set's order can change between runs
    a, b = make_params()
    with pytest.raises(TypeError, match="ordered collection such as a list, not a set"):
        optim.SGD({a, b}, lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        optim.SGD([{"params": frozenset([a, b])}], lr=0.1)


def test_a_state_dict_does_not_follow_later_changes_to_group_settings():
    params = make_params()
    opt = optim.Adam(params)
    opt.param_groups[0]["betas"] = [0.9, 0.99]  # a list, set by hand
    saved = opt.state_dict()
    opt.param_groups[0]["betas"][0] = 0.5
    assert saved["param_groups"][0]["betas"] == [0.9, 0.99]


def test_a_loaded_state_dict_does_not_share_its_group_settings():
    params = make_params()
    saved = optim.Adam(params).state_dict()
    saved["param_groups"][0]["betas"] = [0.9, 0.99]
    opt = optim.Adam(params)
    opt.load_state_dict(saved)
    saved["param_groups"][0]["betas"][0] = 5.0
    assert list(opt.param_groups[0]["betas"]) == [0.9, 0.99]


def test_a_parameter_in_two_groups_is_rejected():
    a, b = make_params()
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([{"params": [a, b]}, {"params": [a]}])
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([a, b, a])


def test_a_parameter_that_does_not_require_grad_is_rejected_saying_how_to_freeze_one():
    with pytest.raises(ValueError, match=r"does not require grad: create it with requires_grad=True"):
        optim.SGD([Tensor(np.zeros(3))])
    # a frozen parameter of a model is left out, as the message says
    model = models.MLP(3, (4,), 2, rng=0)
    frozen = model.parameters()[0]
    frozen.requires_grad = False
    message = "leave it out (e.g. [p for p in model.parameters() if p.requires_grad])"
    with pytest.raises(ValueError, match=re.escape(message)):
        optim.SGD(model.parameters(), lr=0.1)
    optimizer = optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    before = frozen.data.copy()
    model(Tensor(np.ones((2, 3), np.float32))).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(frozen.data, before)


def test_a_non_leaf_tensor_is_rejected():
    a = make_params()[0]
    with pytest.raises(ValueError, match="not a leaf"):
        optim.SGD([a * 2])


def test_something_else_than_a_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="ndarray"):
        optim.SGD([np.zeros(3)])


def test_groups_take_the_defaults_they_do_not_override():
    a, b = make_params()
    opt = optim.Adam([{"params": [a]}, {"params": b, "lr": 0.5, "weight_decay": 0.0}], lr=0.1,
                     weight_decay=0.01)
    first, second = opt.param_groups
    assert first["lr"] == 0.1 and first["weight_decay"] == 0.01 and first["betas"] == (0.9, 0.999)
    assert second["lr"] == 0.5 and second["weight_decay"] == 0.0 and second["params"] == [b]


def test_add_param_group_appends_a_checked_group():
    a, b = make_params()
    opt = optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": [b], "momentum": 0.9})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["lr"] == 0.1
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        opt.add_param_group({"params": [make_params(1)[0]], "lr": -1})
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [a]})
    assert len(opt.param_groups) == 2


# ---------------------------------------------------------------------------- zero_grad, step
def test_zero_grad_sets_grads_to_none_by_default():
    params = make_params()
    set_grads(params, 0)
    optim.SGD(params).zero_grad()
    assert all(p.grad is None for p in params)


def test_zero_grad_can_zero_in_place():
    params = make_params()
    set_grads(params, 0)
    arrays = [p.grad for p in params]
    optim.SGD(params).zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any() for p, g in zip(params, arrays))


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_reaches_every_group(set_to_none):
    """The gradients of the parameters of every group are forgotten, not only the first's."""
    params = make_params(shapes=((3,), (4,), (2,)))
    set_grads(params, 0)
    opt = optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.1}])
    opt.zero_grad(set_to_none=set_to_none)
    assert all(p.grad is None if set_to_none else not p.grad.any() for p in params)


@pytest.mark.parametrize("value", ["no", 0, None])
def test_zero_grad_takes_only_true_or_false(value):
    """As Module.zero_grad: "no" used to count as True and set the gradients to None."""
    params = make_params()
    set_grads(params, 0)
    with pytest.raises(TypeError, match=re.escape(f"Invalid set_to_none: {value!r} (expected True or False)")):
        optim.SGD(params).zero_grad(set_to_none=value)
    assert all(p.grad is not None for p in params)


def test_zero_grad_in_place_leaves_a_missing_gradient_missing():
    """zero_grad(set_to_none=False) zeroes the gradients there are and leaves None as None
    (no error, and no zero gradient made up, which would make the next step move it)."""
    with_grad, without = make_params()
    set_grads([with_grad], 0)
    optim.SGD([with_grad, without]).zero_grad(set_to_none=False)
    assert not with_grad.grad.any() and without.grad is None


def test_step_calls_the_closure_once_and_returns_its_loss():
    (p,) = make_params(shapes=((3,),))
    opt = optim.SGD([p], lr=0.1)
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    before = p.data.copy()
    loss = opt.step(closure)
    assert len(calls) == 1 and loss.item() == pytest.approx(np.sum(before**2))
    np.testing.assert_allclose(p.data, before - 0.1 * 2 * before)
    assert opt.step() is None


@pytest.mark.parametrize("cls,kwargs", ALL_OPTIMIZERS, ids=IDS)
def test_a_parameter_without_grad_is_skipped_entirely(cls, kwargs):
    with_grad, without = make_params()
    opt = cls([with_grad, without], **kwargs)
    before = without.data.copy()
    for step in range(3):
        set_grads([with_grad], step)
        opt.step()
    assert without.grad is None and np.array_equal(without.data, before)
    assert without not in opt.state and with_grad in opt.state and opt.state[with_grad]["step"] == 3


@pytest.mark.parametrize("which", [0, 1], ids=["first", "second"])
@pytest.mark.parametrize("replace", [lambda shape: np.zeros(shape[::-1]), lambda shape: np.zeros(shape, np.float32)],
                         ids=["shape", "dtype"])
@pytest.mark.parametrize("cls,kwargs", ALL_OPTIMIZERS[:1] + ALL_OPTIMIZERS[2:], ids=IDS[:1] + IDS[2:])
def test_state_that_no_longer_fits_a_replaced_data_is_named_and_nothing_moves(cls, kwargs, replace, which):
    """Whichever parameter of the group had its .data replaced, its state is found not to fit."""
    params = make_params()
    opt = cls(params, **kwargs)
    train(opt, params, range(2))
    shape = params[which].shape
    params[which].data = replace(shape)
    set_grads(params, 2)
    params[which].grad = params[which].grad.astype(params[which].dtype)
    kept = [p.data.copy() for p in params]
    with pytest.raises(ValueError, match=re.escape(f"of shape {shape} and dtype float64") + r".*\.data was replaced"):
        opt.step()
    for p, before in zip(params, kept):
        np.testing.assert_array_equal(p.data, before)
    assert all(s["step"] == 2 for s in opt.state.values())


def test_plain_sgd_has_no_state_to_outgrow_a_replaced_data():
    params = make_params()
    opt = optim.SGD(params, lr=0.5)
    train(opt, params, range(2))
    params[0].data = np.zeros((2, 6))
    set_grads(params, 2)
    opt.step()
    np.testing.assert_array_equal(params[0].data, -0.5 * params[0].grad)


def test_a_transform_chain_names_its_nested_state_that_no_longer_fits():
    from optim.transforms import chain, scale_by_adam, scale_by_learning_rate

    params = make_params()
    opt = TransformOptimizer(params, chain(scale_by_adam(), scale_by_learning_rate(0.01)))
    train(opt, params, range(2))
    params[0].data = np.zeros((2, 6))
    set_grads(params, 2)
    with pytest.raises(ValueError, match=r"state\['transform'\]\['0'\]\['mu'\] of shape \(3, 4\)"):
        opt.step()


@pytest.mark.parametrize("cls,kwargs", ALL_OPTIMIZERS, ids=IDS)
def test_float32_parameters_and_state_stay_float32(cls, kwargs):
    params = [Tensor(p.data.astype(np.float32), requires_grad=True) for p in make_params()]
    opt = cls(params, **kwargs)
    for step in range(3):
        for p in params:
            p.grad = np.full(p.shape, 0.5, dtype=np.float32)
        opt.step()
    assert all(p.data.dtype == np.float32 for p in params)
    arrays = [v for state in opt.state.values() for v in state.values() if isinstance(v, np.ndarray)]
    assert all(a.dtype == np.float32 for a in arrays)


# ------------------------------------------------------------------------------- state dicts
@pytest.mark.parametrize("cls,kwargs", ALL_OPTIMIZERS, ids=IDS)
def test_resuming_from_a_state_dict_is_bit_identical_to_not_stopping(cls, kwargs):
    uninterrupted = make_params()
    opt = cls(uninterrupted, **kwargs)
    train(opt, uninterrupted, range(40))

    first_half = make_params()
    opt = cls(first_half, **kwargs)
    train(opt, first_half, range(20))
    saved = opt.state_dict()
    values = [p.data.copy() for p in first_half]

    resumed = [Tensor(v, requires_grad=True) for v in values]
    fresh = cls(resumed, lr=123.0)  # the loaded state dict restores the hyperparameters too
    fresh.load_state_dict(saved)
    train(fresh, resumed, range(20, 40))
    for a, b in zip(uninterrupted, resumed):
        assert np.array_equal(a.data, b.data)


def test_a_muon_with_an_adamw_group_resumes_bit_identically():
    def muon_with_biases(params: list[Tensor]) -> optim.Muon:
        return optim.Muon([{"params": params[:1]}, {"params": params[1:], "use_muon": False}], lr=0.02)

    shapes = ((3, 4), (4,))
    uninterrupted = make_params(shapes=shapes)
    train(muon_with_biases(uninterrupted), uninterrupted, range(30))
    first_half = make_params(shapes=shapes)
    opt = muon_with_biases(first_half)
    train(opt, first_half, range(15))
    resumed = [Tensor(p.data.copy(), requires_grad=True) for p in first_half]
    fresh = muon_with_biases(resumed)
    fresh.load_state_dict(json.loads(json.dumps(opt.state_dict(), default=np.ndarray.tolist)))
    train(fresh, resumed, range(15, 30))
    for a, b in zip(uninterrupted, resumed):
        assert np.array_equal(a.data, b.data)


@pytest.mark.parametrize("cls,kwargs", ALL_OPTIMIZERS, ids=IDS)
def test_a_state_dict_is_a_plain_snapshot(cls, kwargs):
    params = make_params()
    opt = cls(params, **kwargs)
    train(opt, params, range(3))
    saved = opt.state_dict()
    assert_plain(saved)
    assert set(saved) == {"optimizer", "state", "param_groups"}
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1]]
    frozen = copy.deepcopy(saved)
    train(opt, params, range(3, 6))
    assert_same_tree(saved, frozen)  # later steps (in place, on flat buffers) did not reach it


STATE_ENTRIES = [  # PyTorch's names, so that state dicts read the same
    (optim.SGD, {}, set()),
    (optim.SGD, {"momentum": 0.9}, {"momentum_buffer"}),
    (optim.Adagrad, {}, {"sum"}),
    (optim.RMSprop, {}, {"square_avg"}),
    (optim.RMSprop, {"centered": True}, {"square_avg", "grad_avg"}),
    (optim.RMSprop, {"momentum": 0.5}, {"square_avg", "momentum_buffer"}),
    (optim.Adam, {}, {"exp_avg", "exp_avg_sq"}),
    (optim.Adam, {"amsgrad": True}, {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
    (optim.AdamW, {}, {"exp_avg", "exp_avg_sq"}),
    (optim.NAdam, {}, {"exp_avg", "exp_avg_sq", "mu_product"}),
    (optim.Adamax, {}, {"exp_avg", "exp_inf"}),
    (optim.RAdam, {}, {"exp_avg", "exp_avg_sq"}),
    (optim.Lion, {}, {"exp_avg"}),
]


@pytest.mark.parametrize("cls, kwargs, entries", STATE_ENTRIES,
                         ids=[c.__name__ + "(" + ",".join(f"{k}={v}" for k, v in kw.items()) + ")"
                              for c, kw, _ in STATE_ENTRIES])
def test_the_state_holds_what_the_settings_need_and_nothing_else(cls, kwargs, entries):
    """A parameter's state (and its state dict) holds the step count and the spec's state for
    the settings it has: no momentum buffer without momentum, no ḡ unless centered."""
    params = make_params()
    opt = trained(cls, params, **kwargs)
    assert all(set(opt.state[p]) == {"step"} | entries for p in params)
    assert all(set(s) == {"step"} | entries for s in opt.state_dict()["state"].values())


@pytest.mark.parametrize("shapes", [((3, 4),), ((3, 4), (4, 2))], ids=["per parameter", "flat"])
def test_a_loaded_state_dict_is_copied_not_shared(shapes):
    # (one parameter is stepped on its own state arrays; a group of two on flat buffers, which copy)
    params = make_params(shapes=shapes)
    opt = optim.Adam(params, lr=0.01)
    train(opt, params, range(3))
    saved = opt.state_dict()
    fresh = optim.Adam(params)
    fresh.load_state_dict(saved)
    kept = fresh.state_dict()
    train(fresh, params, range(3, 6))
    saved["state"][0]["exp_avg"][...] = 7.0
    assert not np.any(fresh.state[params[0]]["exp_avg"] == 7.0)
    assert not np.array_equal(kept["state"][0]["exp_avg"], fresh.state_dict()["state"][0]["exp_avg"])


def test_a_state_dict_loads_into_an_optimizer_of_another_dtype_cast_to_its_parameters_dtype():
    (source,) = make_params(shapes=((3, 4),))
    saved = trained(optim.Adam, [source], lr=0.01).state_dict()
    param = Tensor(source.data.astype(np.float32), requires_grad=True)
    opt = optim.Adam([param], lr=0.01)
    opt.load_state_dict(saved)
    for key in ("exp_avg", "exp_avg_sq"):
        assert opt.state[param][key].dtype == np.float32
        np.testing.assert_array_equal(opt.state[param][key], saved["state"][0][key].astype(np.float32))
    param.grad = np.ones((3, 4), np.float32)
    opt.step()  # (float64 state would be refused here as not fitting the parameter)
    assert param.data.dtype == np.float32


def test_a_loaded_state_dict_replaces_the_whole_state_dropping_parameters_it_has_none_for():
    saved_params = make_params()
    saved = optim.Adam(saved_params, lr=0.01)
    set_grads(saved_params[:1], 0)
    saved.step()  # state for the first parameter only
    params = make_params()
    opt = trained(optim.Adam, params, lr=0.01)  # state for both, three steps old
    opt.load_state_dict(saved.state_dict())
    assert list(opt.state) == [params[0]] and opt.state[params[0]]["step"] == 1
    for p, q in zip(params, saved_params):
        p.data[...] = q.data
    train(opt, params, range(1, 3))
    train(saved, saved_params, range(1, 3))
    assert_same_tree(opt.state_dict(), saved.state_dict())
    for p, q in zip(params, saved_params):
        assert np.array_equal(p.data, q.data)


def trained(cls, params, **kwargs):
    opt = cls(params, **kwargs)
    train(opt, [p for group in opt.param_groups for p in group["params"]], range(3))
    return opt


MISMATCHES = {
    "another optimizer": lambda: trained(optim.SGD, make_params(), momentum=0.9).state_dict(),
    "Adam into AdamW": lambda: trained(optim.Adam, make_params()).state_dict(),
    "more groups": lambda: trained(optim.AdamW, [{"params": [p]} for p in make_params()]).state_dict(),
    "fewer parameters": lambda: trained(optim.AdamW, make_params()[:1]).state_dict(),
    "other shapes": lambda: trained(optim.AdamW, make_params(shapes=((4, 3), (4, 2)))).state_dict(),
    "missing hyperparameter": lambda: {
        **(sd := trained(optim.AdamW, make_params()).state_dict()),
        "param_groups": [{k: v for k, v in sd["param_groups"][0].items() if k != "betas"}],
    },
    "invalid hyperparameter": lambda: {
        **(sd := trained(optim.AdamW, make_params()).state_dict()),
        "param_groups": [{**sd["param_groups"][0], "lr": -1.0}],
    },
    "missing state entry": lambda: {
        **(sd := trained(optim.AdamW, make_params()).state_dict()),
        "state": {0: {"step": 3, "exp_avg": sd["state"][0]["exp_avg"]}, 1: sd["state"][1]},
    },
    "extra state entry": lambda: {  # (amsgrad's state, with amsgrad off)
        **(sd := trained(optim.AdamW, make_params()).state_dict()),
        "state": {0: {**sd["state"][0], "max_exp_avg_sq": sd["state"][0]["exp_avg_sq"]}, 1: sd["state"][1]},
    },
    "state for an unknown parameter": lambda: {
        **(sd := trained(optim.AdamW, make_params()).state_dict()),
        "state": {**sd["state"], 5: sd["state"][0]},
    },
    "a fractional step count": lambda: {
        **(sd := trained(optim.AdamW, make_params()).state_dict()),
        "state": {**sd["state"], 0: {**sd["state"][0], "step": 2.7}},
    },
    "a step count too large for a float": lambda: {
        **(sd := trained(optim.AdamW, make_params()).state_dict()),
        "state": {**sd["state"], 0: {**sd["state"][0], "step": 10**400}},
    },
    "a step count given as text": lambda: {
        **(sd := trained(optim.AdamW, make_params()).state_dict()),
        "state": {**sd["state"], 0: {**sd["state"][0], "step": "3"}},
    },
    "a step count beyond 2**53": lambda: {
        **(sd := trained(optim.AdamW, make_params()).state_dict()),
        "state": {**sd["state"], 0: {**sd["state"][0], "step": 1e300}},
    },
    "a negative step count": lambda: {
        **(sd := trained(optim.AdamW, make_params()).state_dict()),
        "state": {**sd["state"], 0: {**sd["state"][0], "step": -3}},
    },
    "no state entry": lambda: {
        k: v for k, v in trained(optim.AdamW, make_params()).state_dict().items() if k != "state"
    },
}


# What each is refused with: the check meant for it, not a later one that happens to fire.
MISMATCH_MESSAGES = {
    "another optimizer": "cannot load a state dict saved by SGD into AdamW",
    "Adam into AdamW": "cannot load a state dict saved by Adam into AdamW",
    "more groups": "the state dict has 2 parameter groups, this optimizer has 1",
    "fewer parameters": "parameter group 0 has 1 parameters in the state dict, 2 here",
    "other shapes": "state[0]['exp_avg'] has shape (4, 3), expected (3, 4)",
    "missing hyperparameter": "parameter group 0 of the state dict lacks ['betas']",
    "invalid hyperparameter": "Invalid learning rate: -1.0",
    "missing state entry": "state[0] has entries ['exp_avg', 'step'], expected ['exp_avg', 'exp_avg_sq', 'step']",
    "extra state entry": "state[0] has entries ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step'], expected "
                         "['exp_avg', 'exp_avg_sq', 'step']",
    "state for an unknown parameter": "the state dict has state for parameter 5, which is not in any group",
    "a fractional step count": "state[0]['step'] is 2.7, expected a whole number from 0 to 2**53",
    "a step count too large for a float":
        "state[0]['step'] is 100000000000000000...0000000000000000000, expected a whole number",
    "a step count given as text": "state[0]['step'] is '3', expected a whole number",
    "a step count beyond 2**53": "state[0]['step'] is 1e+300, expected a whole number",
    "a negative step count": "state[0]['step'] is -3, expected a whole number",
    "no state entry": "the optimizer state dict lacks the entries ['state']",
}


@pytest.mark.parametrize("name", MISMATCHES)
def test_loading_a_mismatched_state_dict_raises_and_changes_nothing(name):
    params = make_params()
    opt = optim.AdamW(params, lr=0.01)
    train(opt, params, range(2))
    before = opt.state_dict()
    groups_before = opt.param_groups
    with pytest.raises(ValueError, match=re.escape(MISMATCH_MESSAGES[name])):
        opt.load_state_dict(MISMATCHES[name]())
    assert opt.param_groups is groups_before
    assert_same_tree(opt.state_dict(), before)


def test_repr_lists_the_groups_and_their_settings():
    a, b = make_params()
    text = repr(optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1))
    assert "SGD" in text and "group 0: 1 params, lr=0.1" in text and "group 1: 1 params, lr=0.5" in text
    assert "Tensor(" not in text  # (the parameters are counted, not printed)


@pytest.mark.parametrize("cls, kwargs", [c for c in ALL_OPTIMIZERS if c[0] is not optim.Muon],
                         ids=[i for i, c in zip(IDS, ALL_OPTIMIZERS) if c[0] is not optim.Muon])
def test_a_scalar_parameter_steps_alone_and_in_a_group(cls, kwargs):
    # alone: the per-parameter path; with a matrix: the flat path, then (the matrix without a
    # gradient) the per-parameter path again. Each must move the scalar as the rule says,
    # which a one-element vector stepped by its own optimizer shows.
    scalar, matrix = Tensor(np.array(1.5), requires_grad=True), make_params(shapes=((2, 2),))[0]
    vector = Tensor(np.array([1.5]), requires_grad=True)
    grouped, alone = cls([scalar, matrix], **kwargs), cls([vector], **kwargs)
    for step in range(4):
        scalar.grad, vector.grad = np.array(0.5 - step), np.array([0.5 - step])
        matrix.grad = np.ones((2, 2)) if step < 2 else None
        grouped.step()
        alone.step()
        assert scalar.data.shape == () and scalar.data == vector.data[0]


@pytest.mark.parametrize("n_params", [1, 2], ids=["per parameter", "flat"])
def test_momentum_switched_on_between_steps_starts_as_at_step_one(n_params):
    params = make_params(shapes=((3,),) * n_params)
    opt = optim.SGD(params, lr=0.1, dampening=0.5)
    grads = [np.full(3, 1.0), np.full(3, 2.0), np.full(3, 3.0), np.full(3, 4.0)]
    start = params[0].data.copy()
    for g in grads[:2]:
        for p in params:
            p.grad = g
        opt.step()
    opt.param_groups[0]["momentum"] = 0.9
    for g in grads[2:]:
        for p in params:
            p.grad = g
        opt.step()
    # as PyTorch, whose buffer is None until momentum is on: b = g₃ = 3 at the first step
    # with momentum, then b = 0.9·3 + (1 − 0.5)·4 = 4.7, so θ = θ₀ − 0.1·(1 + 2 + 3 + 4.7)
    np.testing.assert_allclose(params[0].data, start - 0.1 * (1 + 2 + 3 + 4.7))


@pytest.mark.parametrize("cls, switch", [(optim.Adam, "amsgrad"), (optim.RMSprop, "centered")])
def test_state_for_a_switch_turned_on_between_steps_is_created(cls, switch):
    params = make_params()
    opt = cls(params, lr=0.01)
    train(opt, params, range(2))
    opt.param_groups[0][switch] = True
    train(opt, params, range(2, 4))
    assert all(np.isfinite(p.data).all() for p in params)
    key = {"amsgrad": "max_exp_avg_sq", "centered": "grad_avg"}[switch]
    assert all(key in opt.state[p] for p in params)


def test_centered_rmsprop_stays_finite_when_rounding_makes_the_variance_negative():
    # A constant gradient: v − ḡ² = g²·[(1 − αᵗ) − (1 − αᵗ)²] ≥ 0, but in float32 rounding makes
    # it slightly negative at some coordinates, and √ of that is NaN.
    param = Tensor(np.zeros(1000, np.float32), requires_grad=True)
    opt = optim.RMSprop([param], lr=1e-3, alpha=0.9, centered=True)
    gradient = np.random.default_rng(0).uniform(0.1, 10, 1000).astype(np.float32)
    for _ in range(200):
        param.grad = gradient
        opt.step()
    assert np.isfinite(param.data).all()


def test_centered_rmsprop_takes_a_negative_variance_as_zero():
    """Where v − ḡ² comes out negative (only rounding makes it so in a run; here a state made
    by hand, v = 0 and ḡ = 1, makes it plain), the variance is taken as 0, so d = ε."""
    from optim.rmsprop import rmsprop_update

    param, grad = np.array([1.0]), np.array([1e-3])
    square_avg, grad_avg = np.array([0.0]), np.array([1.0])
    rmsprop_update(param, grad, square_avg, grad_avg, None, lr=1e-6, alpha=0.5, eps=1e-2,
                   weight_decay=0.0, momentum=0.0, centered=True)
    # v = 0.5·0 + 0.5·1e-6, ḡ = 0.5·1 + 0.5·1e-3: v − ḡ² < 0, so θ = 1 − 1e-6·1e-3 / 1e-2
    np.testing.assert_allclose(square_avg, [5e-7], rtol=1e-15)
    np.testing.assert_allclose(grad_avg, [0.5005], rtol=1e-15)
    np.testing.assert_allclose(param, [1 - 1e-7], rtol=1e-15)


def test_a_switch_turned_off_and_on_again_gives_every_parameter_its_state():
    # the first parameter misses the step in between: its state must follow the settings too
    first, second = make_params(shapes=((3,), (4,)))
    opt = optim.Adam([first, second], lr=0.01, amsgrad=True)
    first.grad, second.grad = np.ones(3), np.ones(4)
    opt.step()
    opt.param_groups[0]["amsgrad"] = False
    first.grad = None
    opt.step()
    assert "max_exp_avg_sq" not in opt.state[second]  # the switch is off: its state is dropped
    opt.param_groups[0]["amsgrad"] = True
    first.grad = np.ones(3)
    opt.step()
    assert all("max_exp_avg_sq" in opt.state[p] for p in (first, second))


def test_a_muon_group_switched_to_adamw_counts_adamws_steps_from_one():
    switched, fresh = make_params(shapes=((3, 4),)), make_params(shapes=((3, 4),))
    opt = optim.Muon(switched, lr=1e-3, weight_decay=0.0)
    train(opt, switched, range(20))
    opt.param_groups[0]["use_muon"] = False
    adamw = optim.AdamW(fresh, lr=1e-3, weight_decay=0.0)
    fresh[0].data[...] = switched[0].data
    train(opt, switched, range(20, 40))
    train(adamw, fresh, range(20, 40))
    assert opt.state[switched[0]]["step"] == 20 and set(opt.state[switched[0]]) == {"step", "exp_avg", "exp_avg_sq"}
    np.testing.assert_array_equal(switched[0].data, fresh[0].data)


def test_a_state_dict_between_two_switches_changes_nothing():
    param = Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([param], lr=0.1, momentum=0.9)
    for momentum in (0.9, 0.9, None, 0.9):
        if momentum is None:  # switched off, saved, and on again before any step
            opt.param_groups[0]["momentum"] = 0.0
            saved = opt.state_dict()
            opt.param_groups[0]["momentum"] = 0.9
            continue
        param.grad = np.array([1.0])
        opt.step()
    assert "momentum_buffer" not in saved["state"][0]  # (the snapshot follows the settings)
    # b = 1, 1.9, then 0.9·1.9 + 1 = 2.71 (the buffer kept, as in PyTorch): θ = 1 − 0.1·(1 + 1.9 + 2.71)
    np.testing.assert_allclose(param.data, [1 - 0.1 * (1 + 1.9 + 2.71)], rtol=1e-15)


def test_the_state_a_subclass_makes_may_read_the_parameters_shape():
    class MatrixSums(LrOnlyOptimizer):  # for matrices only: its _init_state reads two sizes
        def _init_state(self, param, group):
            rows, columns = param.shape
            return {"sums": np.zeros((rows, columns))}

        def _update(self, param, grad, state, group):
            state["sums"] += grad
            param -= group["lr"] * grad

    params = make_params()
    opt = MatrixSums(params)
    train(opt, params, range(2))
    opt.param_groups[0]["lr"] = 0.05
    opt.state_dict()
    train(opt, params, range(2, 3))
    assert [opt.state[p]["step"] for p in params] == [3, 3]


def test_the_state_a_subclass_makes_may_depend_on_the_parameters_dtype():
    """Keys that differ by dtype (Kahan-compensated SGD: only float32 parameters carry their
    rounding error) are asked of an empty array of each parameter's own dtype when a setting
    changes, so neither state is taken for one that needs rebuilding: both keep their step
    counts (and their carries) through the change."""
    class KahanSGD(LrOnlyOptimizer):
        def _init_state(self, param, group):
            return {"carry": np.zeros_like(param)} if param.dtype == np.float32 else {}

        def _update(self, param, grad, state, group):
            if "carry" not in state:
                param -= group["lr"] * grad
                return
            change = -group["lr"] * grad - state["carry"]
            moved = param + change
            state["carry"][...] = (moved - param) - change
            param[...] = moved

    wide, narrow = make_params(shapes=((3, 4), (4, 2)))
    params = [wide, Tensor(narrow.data.astype(np.float32), requires_grad=True)]
    opt = KahanSGD(params)
    for step in range(3):
        if step == 2:
            opt.param_groups[0]["lr"] = 0.05
            saved = opt.state_dict()
            assert [saved["state"][i]["step"] for i in (0, 1)] == [2, 2]
            assert [set(saved["state"][i]) for i in (0, 1)] == [{"step"}, {"step", "carry"}]
        for p in params:
            p.grad = np.full(p.shape, 0.1, p.dtype)
        opt.step()
    assert [opt.state[p]["step"] for p in params] == [3, 3]


@pytest.mark.parametrize("first", ["add_decayed_weights", "scale_by_learning_rate"])
def test_transforms_with_numpy_float64_settings_keep_float32_state(first):
    from optim.transforms import add_decayed_weights, chain, scale_by_adam, scale_by_learning_rate

    before = {"add_decayed_weights": add_decayed_weights(np.float64(0.01)),
              "scale_by_learning_rate": scale_by_learning_rate(lambda count: np.float64(1.0))}[first]
    param = Tensor(np.ones(3, np.float32), requires_grad=True)
    opt = TransformOptimizer([param], chain(before, scale_by_adam(np.float64(0.9), np.float64(0.99)),
                                            scale_by_learning_rate(np.float64(0.1))))
    for _ in range(3):
        param.grad = np.ones(3, np.float32)
        opt.step()
    assert opt.state[param]["transform"]["1"]["mu"].dtype == np.float32


def test_a_state_dict_is_refused_while_a_setting_is_invalid():
    params = make_params()
    opt = optim.Adam(params, lr=0.01)
    opt.param_groups[0]["betas"] = (0.9, 1.0)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        opt.state_dict()


def test_a_state_dict_saved_right_after_a_switch_changed_loads():
    params = make_params()
    opt = optim.Adam(params, lr=0.01)
    train(opt, params, range(2))
    opt.param_groups[0]["amsgrad"] = True
    saved = opt.state_dict()
    fresh = optim.Adam(make_params(), lr=0.01)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["amsgrad"] and all("max_exp_avg_sq" in s for s in fresh.state.values())


@pytest.mark.parametrize("betas", [[0.9, 0.999], np.array([0.9, 0.999])], ids=["list", "array"])
def test_betas_changed_in_place_are_checked_again(betas):
    """A group's betas, a list or a numpy array, changed in place are seen as changed."""
    params = make_params()
    opt = optim.Adam([{"params": params, "betas": betas}], lr=0.01)
    train(opt, params, range(1))
    opt.param_groups[0]["betas"][0] = 1.0
    set_grads(params, 1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 1.0"):
        opt.step()


def test_betas_may_be_a_numpy_pair():
    assert optim.Adam(make_params(), betas=np.array([0.8, 0.99])).defaults["betas"] == (0.8, 0.99)


def test_a_state_dict_that_is_not_a_dict_is_named():
    opt = optim.AdamW(make_params(), lr=0.01)
    with pytest.raises(TypeError, match="state dict must be a dict, got NoneType"):
        opt.load_state_dict(None)


@pytest.mark.parametrize("step", [3.0, 0, 2**53, float(2**53)])
def test_a_whole_step_count_from_0_to_2_to_the_53_loads_as_an_int(step):
    """Both ends of the range the refusal names ("a whole number from 0 to 2**53") load."""
    params = make_params()
    opt = trained(optim.AdamW, params)
    saved = opt.state_dict()
    saved["state"][0]["step"] = step
    fresh = optim.AdamW(make_params())
    fresh.load_state_dict(saved)
    loaded = fresh.state_dict()["state"][0]["step"]
    assert type(loaded) is int and loaded == step


@pytest.mark.parametrize("change, error, message", [
    ({"state": None}, TypeError, "state must be a dict"),
    ({"param_groups": None}, TypeError, "param_groups must be a list"),
    ({"param_groups": [None]}, TypeError, "parameter group 0 of the state dict must be a dict"),
    ({"param_groups": [{"lr": 0.1}]}, ValueError, "no list of 'params'"),
    ({"state": {"x": {}}}, ValueError, "refers to a parameter as 'x'"),
    ({"state": {0.7: {}}}, ValueError, "refers to a parameter as 0.7"),
    ({"state": {"\u0661": {}}}, ValueError, "refers to a parameter as '\u0661'"),  # (an Arabic-Indic 1)
    ({"param_groups": [{"params": [None, 1]}]}, ValueError, "refers to a parameter as None"),
    ({"param_groups": [{"params": [0, 0]}]}, ValueError, "a parameter twice"),
])
def test_a_malformed_state_dict_is_named_not_a_raw_error(change, error, message):
    params = make_params()
    opt = trained(optim.AdamW, params)
    before = opt.state_dict()
    with pytest.raises(error, match=message):
        opt.load_state_dict({**before, **change})
    assert_same_tree(opt.state_dict(), before)


@pytest.mark.parametrize("value", [10**400, "0.5", True, math.nan], ids=["huge", "text", "bool", "nan"])
def test_a_number_in_the_state_that_is_not_a_finite_number_is_refused(value):
    opt = trained(optim.NAdam, make_params())
    saved = opt.state_dict()
    saved["state"][0]["mu_product"] = value
    with pytest.raises(ValueError, match=r"mu_product'\] is .*expected a finite number"):
        optim.NAdam(make_params()).load_state_dict(saved)


def test_a_state_array_of_whole_numbers_loads_cast_to_the_parameters_dtype():
    """State arrays written as whole numbers (a JSON list of ints, say) are numbers too: loaded,
    cast to the parameter's dtype."""
    saved = trained(optim.AdamW, make_params()).state_dict()
    saved["state"][0]["exp_avg"] = [[1, 0, -2, 3]] * 3
    opt = optim.AdamW(make_params())
    opt.load_state_dict(saved)
    loaded = opt.state_dict()["state"][0]["exp_avg"]
    assert loaded.dtype == np.float64
    np.testing.assert_array_equal(loaded, [[1.0, 0.0, -2.0, 3.0]] * 3)


@pytest.mark.parametrize("dtype", [str, np.complex128])
def test_a_state_array_of_text_or_of_complex_numbers_is_refused(dtype):
    """Real numbers only: a complex array cast to the parameter's float dtype would lose its
    imaginary parts without a word."""
    saved = trained(optim.AdamW, make_params()).state_dict()
    saved["state"][0]["exp_avg"] = saved["state"][0]["exp_avg"].astype(dtype)
    message = f"state[0]['exp_avg'] holds {saved['state'][0]['exp_avg'].dtype} values, expected numbers"
    with pytest.raises(ValueError, match=re.escape(message)):
        optim.AdamW(make_params()).load_state_dict(saved)


def test_state_under_the_same_parameter_twice_is_refused():
    saved = trained(optim.AdamW, make_params()).state_dict()
    saved["state"]["0"] = saved["state"][0]
    with pytest.raises(ValueError, match="names a parameter twice"):
        optim.AdamW(make_params()).load_state_dict(saved)


def test_a_groups_indices_are_matched_to_its_parameters_by_position():
    """As in PyTorch, the k-th index a saved group lists is the k-th parameter of the group,
    whatever the numbers: a group saved as [1, 0] gives state 1 to the first parameter."""
    params = make_params()
    saved = trained(optim.AdamW, params).state_dict()
    first, second = saved["state"][0], saved["state"][1]
    saved["param_groups"][0]["params"] = [1, 0]
    saved["state"] = {1: first, 0: second}
    opt = optim.AdamW(make_params())
    opt.load_state_dict(saved)
    loaded = opt.state_dict()["state"]  # (saved again in the order of the groups)
    assert_same_tree(loaded, {0: first, 1: second})


def test_a_state_dict_whose_lists_became_tuples_loads():
    """param_groups and each group's params may be tuples (a state dict frozen, or read back by
    a reader that makes tuples of lists): the same state is loaded."""
    saved = trained(optim.AdamW, make_params()).state_dict()
    frozen = {**saved, "param_groups": tuple({**g, "params": tuple(g["params"])} for g in saved["param_groups"])}
    fresh = optim.AdamW(make_params())
    fresh.load_state_dict(frozen)
    assert_same_tree(fresh.state_dict()["state"], saved["state"])


def test_indices_saved_as_whole_floats_or_0d_arrays_load():
    params = make_params()
    saved = trained(optim.AdamW, params).state_dict()
    saved["param_groups"][0]["params"] = [0.0, np.asarray(1)]
    saved["state"] = {np.float64(0): saved["state"][0], np.int64(1): saved["state"][1]}
    fresh = optim.AdamW(make_params())
    fresh.load_state_dict(saved)
    assert sorted(fresh.state_dict()["state"]) == [0, 1]


def test_a_transform_whose_state_holds_a_flag_saves_and_loads():
    def init(param):
        return {"seen": False}

    def update(u, state, param):
        state["seen"] = True
        return -0.1 * u

    params = make_params()
    opt = TransformOptimizer(params, Transform(init, update))
    train(opt, params, range(2))
    fresh = TransformOptimizer(make_params(), Transform(init, update))
    saved = opt.state_dict()
    fresh.load_state_dict(saved)
    assert fresh.state_dict()["state"][0]["transform"]["seen"] is True
    # a flag that is not True or False ("no" would count as True) is refused, and nothing changes
    saved["state"][0]["transform"]["seen"] = "no"
    with pytest.raises(ValueError, match=re.escape("state[0]['transform']['seen'] is 'no', expected True or False")):
        fresh.load_state_dict(saved)
    assert fresh.state_dict()["state"][0]["transform"]["seen"] is True


def _transform_adam(params):
    from optim.transforms import chain, scale_by_adam, scale_by_learning_rate
    return TransformOptimizer(params, chain(scale_by_adam(), scale_by_learning_rate(0.01)))


# Where each optimizer keeps an accumulation of squares or magnitudes, and the path to it in
# state[0] (the transform chain nests its transforms' states by position).
NEVER_NEGATIVE = [
    (lambda ps: optim.Adam(ps, lr=0.01), ["exp_avg_sq"]),
    (lambda ps: optim.AdamW(ps, lr=0.01, amsgrad=True), ["max_exp_avg_sq"]),
    (lambda ps: optim.NAdam(ps, lr=0.01), ["exp_avg_sq"]),
    (lambda ps: optim.RAdam(ps, lr=0.01), ["exp_avg_sq"]),
    (lambda ps: optim.Adamax(ps, lr=0.01), ["exp_inf"]),
    (lambda ps: optim.Adagrad(ps, lr=0.01), ["sum"]),
    (lambda ps: optim.RMSprop(ps, lr=0.01, centered=True), ["square_avg"]),
    (_transform_adam, ["transform", "0", "nu"]),
]


@pytest.mark.parametrize("make, path", NEVER_NEGATIVE, ids=lambda v: "/".join(v) if isinstance(v, list) else "")
def test_a_state_dict_with_a_negative_second_moment_is_refused_and_changes_nothing(make, path):
    """v < 0 cannot come from any run (it is a mean of g², or a sum, or a max of |g|): loaded, the
    next step would take √v and put NaN into the parameters without a word."""
    params = make_params()
    saved = make(params)
    train(saved, params, range(2))
    state_dict = saved.state_dict()
    entry = state_dict["state"][0]
    for key in path[:-1]:
        entry = entry[key]
    entry[path[-1]].flat[1] = -1e-3
    fresh_params = make_params()
    fresh = make(fresh_params)
    where = "state[0]" + "".join(f"[{key!r}]" for key in path)
    with pytest.raises(ValueError, match=re.escape(f"{where} holds negative values (down to -0.001)")):
        fresh.load_state_dict(state_dict)
    assert fresh.state == {}
    entry[path[-1]].flat[1] = 0.0  # the same dict with a zero there loads
    fresh.load_state_dict(state_dict)


def test_a_subclass_of_its_own_keeps_signed_state_of_any_name():
    """Only the keys an optimizer names in never_negative_state are checked: a user's optimizer
    whose "sum" is a running sum of gradients (signed) loads its negative entries."""

    class SignDescent(LrOnlyOptimizer):
        def _init_state(self, param, group):
            return {"sum": np.zeros_like(param)}

        def _update(self, param, grad, state, group):
            state["sum"] += grad
            param -= group["lr"] * np.sign(state["sum"])

    params = make_params()
    saved = SignDescent(params)
    for p in params:
        p.grad = -np.ones_like(p.data)
    saved.step()
    state_dict = saved.state_dict()
    assert (state_dict["state"][0]["sum"] < 0).all()
    fresh = SignDescent(make_params())
    fresh.load_state_dict(state_dict)
    np.testing.assert_array_equal(fresh.state[fresh.param_groups[0]["params"][0]]["sum"], -1.0)


def test_a_transform_of_its_own_keeps_signed_state_of_any_name_beside_scale_by_adam():
    """Only the arrays a Transform names in never_negative are checked, at their place in the
    chain: a user's transform whose "nu" is a running sum of updates (signed) loads its negative
    entries, while scale_by_adam's "nu" after it is still refused when negative."""
    from optim.transforms import chain, scale_by_adam

    def init(param):
        return {"nu": np.zeros_like(param)}

    def update(u, state, param):
        state["nu"] = state["nu"] + u
        return u

    def make(params):
        return TransformOptimizer(params, chain(Transform(init, update), scale_by_adam()))

    saved = make(make_params())
    for p in saved.param_groups[0]["params"]:
        p.grad = -np.ones_like(p.data)
    saved.step()
    state_dict = saved.state_dict()
    np.testing.assert_array_equal(state_dict["state"][0]["transform"]["0"]["nu"], -1.0)
    fresh = make(make_params())
    fresh.load_state_dict(state_dict)
    np.testing.assert_array_equal(fresh.state[fresh.param_groups[0]["params"][0]]["transform"]["0"]["nu"], -1.0)
    state_dict["state"][0]["transform"]["1"]["nu"].flat[0] = -1e-3
    with pytest.raises(ValueError, match=re.escape("state[0]['transform']['1']['nu'] holds negative values")):
        make(make_params()).load_state_dict(state_dict)


@pytest.mark.parametrize("never_negative", [{"nu"}, ["nu"], "nu", {("nu", 0)}])
def test_never_negative_paths_that_are_not_tuples_of_keys_are_refused(never_negative):
    """Given as {"nu"} (names, as never_negative_state is written), it failed with Python's
    tuple-concatenation error; ("nu", 0) would have checked nothing. Both are refused by name."""
    from optim.transforms import chain

    transform = Transform(lambda param: {"nu": np.zeros_like(param)}, lambda u, state, param: u, never_negative)
    shown = f"never_negative={never_negative!r}; it must be a set of key paths into the state, tuples of strings"
    with pytest.raises(TypeError, match=re.escape(f"chain's argument 0 has {shown}")):
        chain(transform)
    with pytest.raises(TypeError, match=re.escape(f"the transform has {shown}")):
        TransformOptimizer(make_params(), transform)


def _nested_state(param):
    return {"acc": {"sq": np.zeros_like(param)}, "n": 0.0, "v": np.zeros_like(param)}


@pytest.mark.parametrize("path", [("acc",), ("n",), ("vv",), (), ("v", "x")],
                         ids=["a dict", "a number", "a missing key", "the state itself", "past an array"])
def test_a_never_negative_path_that_names_no_array_of_the_state_is_refused_at_the_first_step(path):
    """A path one level off would check nothing, and a negative entry would load without a word."""
    params = make_params()
    opt = TransformOptimizer(params, Transform(_nested_state, lambda u, state, param: u, {path}))
    with pytest.raises(TypeError, match=re.escape(f"the transform's never_negative names {path!r}, which is not "
                                                  f"an array of its state")):
        train(opt, params, range(1))


def test_the_never_negative_paths_are_those_given_at_construction():
    """A set the caller changes afterwards (here, a name added by mistake) changes nothing."""
    paths = {("acc", "sq")}
    params = make_params()
    opt = TransformOptimizer(params, Transform(_nested_state, lambda u, state, param: u, paths))
    paths.add("nu")
    train(opt, params, range(1))
    state_dict = opt.state_dict()
    state_dict["state"][0]["transform"]["v"].flat[0] = -1.0  # (not declared: loads)
    opt.load_state_dict(state_dict)
    state_dict["state"][0]["transform"]["acc"]["sq"].flat[0] = -1.0
    with pytest.raises(ValueError, match=re.escape("state[0]['transform']['acc']['sq'] holds negative values")):
        opt.load_state_dict(state_dict)
