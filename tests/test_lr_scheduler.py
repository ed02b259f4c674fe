"""Learning-rate schedules follow their closed forms, drive every group of the optimizer, chain
(warm-up then cosine), and save / restore as plain numbers."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optim
from minigrad import Tensor
from optim.lr_scheduler import (CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, LambdaLR,
                                LinearLR, SequentialLR, StepLR, warmup_cosine)

BASE_LRS = (0.1, 0.03)
EPOCHS = 40


def optimizer(base_lrs: tuple[float, float] = BASE_LRS) -> optim.SGD:
    """An optimizer with two groups of different base rates."""
    a, b = (Tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    return optim.SGD([{"params": [a], "lr": base_lrs[0]}, {"params": [b], "lr": base_lrs[1]}])


def follow(make_scheduler, epochs: int = EPOCHS) -> list[list[float]]:
    """The rates of both groups at epochs 0 … epochs−1 (read from the optimizer itself)."""
    opt = optimizer()
    scheduler = make_scheduler(opt)
    rates = []
    for _ in range(epochs):
        rates.append([group["lr"] for group in opt.param_groups])
        assert scheduler.get_last_lr() == rates[-1]
        scheduler.step()
    return rates


def assert_closed_form(make_scheduler, closed_form) -> None:
    expected = [[closed_form(base, e) for base in BASE_LRS] for e in range(EPOCHS)]
    np.testing.assert_allclose(follow(make_scheduler), expected, rtol=1e-13, atol=1e-16)


@settings(max_examples=10)
@given(step_size=st.integers(1, 10), gamma=st.floats(0.05, 1.0))
def test_step_lr(step_size, gamma):
    assert_closed_form(lambda opt: StepLR(opt, step_size, gamma),
                       lambda base, e: base * gamma ** (e // step_size))


@settings(max_examples=10)
@given(gamma=st.floats(0.5, 1.0))
def test_exponential_lr(gamma):
    assert_closed_form(lambda opt: ExponentialLR(opt, gamma), lambda base, e: base * gamma**e)


@settings(max_examples=10)
@given(t_max=st.integers(1, 50), eta_min=st.floats(0.0, 0.01))
def test_cosine_annealing_lr(t_max, eta_min):
    assert_closed_form(lambda opt: CosineAnnealingLR(opt, t_max, eta_min),
                       lambda base, e: eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2)


def test_cosine_annealing_reaches_eta_min_at_t_max_and_the_midpoint_halfway():
    rates = follow(lambda opt: CosineAnnealingLR(opt, T_max=10, eta_min=0.001), epochs=11)
    assert rates[0][0] == pytest.approx(0.1)
    assert rates[5][0] == pytest.approx((0.1 + 0.001) / 2)
    assert rates[10][0] == pytest.approx(0.001)


@settings(max_examples=10)
@given(t_0=st.integers(1, 8), t_mult=st.integers(1, 3), eta_min=st.floats(0.0, 0.01))
def test_cosine_annealing_warm_restarts(t_0, t_mult, eta_min):
    # the epochs since the last restart and the current period, counted one epoch at a time
    since, period, positions = 0, t_0, []
    for _ in range(EPOCHS):
        positions.append((since, period))
        since += 1
        if since == period:
            since, period = 0, period * t_mult
    assert_closed_form(
        lambda opt: CosineAnnealingWarmRestarts(opt, t_0, t_mult, eta_min),
        lambda base, e: eta_min + (base - eta_min) * (1 + math.cos(math.pi * positions[e][0] / positions[e][1])) / 2,
    )


def test_sgdr_restarts_at_the_base_rate_after_periods_growing_by_t_mult():
    rates = [r[0] for r in follow(lambda opt: CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2), epochs=15)]
    restarts = [e for e, r in enumerate(rates) if r == pytest.approx(0.1)]
    assert restarts == [0, 2, 6, 14]


@settings(max_examples=10)
@given(start=st.floats(0.01, 1.0), end=st.floats(0.0, 1.0), total=st.integers(1, 20))
def test_linear_lr(start, end, total):
    assert_closed_form(lambda opt: LinearLR(opt, start, end, total),
                       lambda base, e: base * (start + (end - start) * min(e, total) / total))


# The defaults of the spec (and of PyTorch): StepLR gamma 0.1, eta_min 0, T_mult 1, and LinearLR
# from a third of the rate to all of it over 5 epochs.
@pytest.mark.parametrize("default, explicit", [
    (lambda opt: StepLR(opt, 3), lambda opt: StepLR(opt, 3, gamma=0.1)),
    (lambda opt: CosineAnnealingLR(opt, 10), lambda opt: CosineAnnealingLR(opt, 10, eta_min=0.0)),
    (lambda opt: CosineAnnealingWarmRestarts(opt, 3),
     lambda opt: CosineAnnealingWarmRestarts(opt, 3, T_mult=1, eta_min=0.0)),
    (lambda opt: LinearLR(opt), lambda opt: LinearLR(opt, start_factor=1 / 3, end_factor=1.0, total_iters=5)),
], ids=["step", "cosine", "sgdr", "linear"])
def test_default_arguments_are_those_of_the_spec(default, explicit):
    assert follow(default) == follow(explicit)


def test_lambda_lr():
    assert_closed_form(lambda opt: LambdaLR(opt, lambda e: 1 / (1 + e)), lambda base, e: base / (1 + e))


def test_lambda_lr_takes_one_function_per_group_as_pytorch_does():
    functions = [lambda e: 1 / (1 + e), lambda e: 0.9**e]
    expected = [[BASE_LRS[0] / (1 + e), BASE_LRS[1] * 0.9**e] for e in range(EPOCHS)]
    for given_as in (list, tuple):
        np.testing.assert_allclose(follow(lambda opt: LambdaLR(opt, given_as(functions))), expected, rtol=1e-13)
    # also as a phase of a SequentialLR
    def make(opt):
        return SequentialLR(opt, [LambdaLR(opt, lambda e: 1.0), LambdaLR(opt, functions)], milestones=[3])

    np.testing.assert_allclose(follow(make, epochs=6), [list(BASE_LRS)] * 3 + expected[:3], rtol=1e-13)


@pytest.mark.parametrize("name", ["lambda", "warmup-cosine", "step"])
def test_lr_at_gives_the_rate_stepping_sets(name):
    # (recipes and users call lr_at on a LambdaLR or a SequentialLR too)
    expected = follow(SCHEDULERS[name], epochs=12)
    scheduler = SCHEDULERS[name](optimizer())
    assert [[scheduler.lr_at(base, e) for base in BASE_LRS] for e in range(12)] == expected
    with pytest.raises(TypeError, match="one function per parameter group; it has no single lr_at"):
        LambdaLR(optimizer(), [lambda e: 1.0, lambda e: 0.5]).lr_at(1.0, 0)


def test_a_sequential_lr_made_after_a_group_was_added_schedules_it_in_every_phase():
    opt = optimizer()
    warm = LambdaLR(opt, lambda e: 0.5)
    opt.add_param_group({"params": [Tensor(np.zeros(1), requires_grad=True)], "lr": 1.0})
    sequential = SequentialLR(opt, [warm, LinearLR(opt, 1.0, 0.1, 4)], milestones=[2])
    sequential.step()
    assert [g["lr"] for g in opt.param_groups] == sequential.get_last_lr() == [0.05, 0.015, 0.5]
    sequential.load_state_dict(sequential.state_dict())
    # one function per group, for fewer groups than the optimizer has: refused, naming both counts
    opt = optimizer()
    per_group = LambdaLR(opt, [lambda e: 1.0, lambda e: 0.5])
    opt.add_param_group({"params": [Tensor(np.zeros(1), requires_grad=True)], "lr": 1.0})
    with pytest.raises(ValueError, match="LambdaLR got 2 lr_lambdas for 3 parameter groups"):
        SequentialLR(opt, [per_group, StepLR(opt, 2)], milestones=[2])


def test_lambda_lr_needs_one_function_per_group_each_callable():
    with pytest.raises(ValueError, match="LambdaLR got 3 lr_lambdas for 2 parameter groups"):
        LambdaLR(optimizer(), [lambda e: 1.0] * 3)
    with pytest.raises(TypeError, match="lr_lambda for group 1 must be callable, got float"):
        LambdaLR(optimizer(), [lambda e: 1.0, 0.5])


def test_warm_up_then_cosine_with_sequential_lr():
    def make(opt):
        warmup = LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=5)
        cosine = CosineAnnealingLR(opt, T_max=20, eta_min=0.0)
        return SequentialLR(opt, [warmup, cosine], milestones=[5])

    def closed_form(base, e):
        if e < 5:
            return base * (0.1 + 0.9 * e / 5)
        return base * (1 + math.cos(math.pi * (e - 5) / 20)) / 2

    assert_closed_form(make, closed_form)
    assert_closed_form(lambda opt: warmup_cosine(opt, 5, 25, start_factor=0.1), closed_form)


def test_a_scheduler_that_fails_to_start_replaces_nothing():
    opt = optimizer()
    first = StepLR(opt, step_size=1, gamma=0.5)
    with pytest.raises(ZeroDivisionError):
        LambdaLR(opt, lambda e: 1 / 0)
    first.step()
    assert [g["lr"] for g in opt.param_groups] == [0.5 * lr for lr in BASE_LRS]


def test_a_scheduler_pickled_before_schedulers_were_numbered_still_steps():
    # such a scheduler and its optimizer carry no number (the attributes are missing)
    import pickle

    opt = optimizer()
    scheduler = StepLR(opt, step_size=1, gamma=0.5)
    del vars(scheduler)["_number"], vars(opt)["_schedulers_made"]
    restored = pickle.loads(pickle.dumps(scheduler))
    restored.step()
    assert [g["lr"] for g in restored.optimizer.param_groups] == [0.5 * lr for lr in BASE_LRS]


def test_sequential_lr_switches_at_the_milestone_epoch_itself():
    # two constant phases, so that a switch one epoch late shows (warm-up into cosine is
    # continuous at the milestone and would hide it)
    def make(opt):
        return SequentialLR(opt, [LambdaLR(opt, lambda e: 1.0), LambdaLR(opt, lambda e: 0.5)], milestones=[3])

    assert follow(make, epochs=6) == [list(BASE_LRS)] * 3 + [[0.5 * lr for lr in BASE_LRS]] * 3


def test_schedulers_record_the_initial_rate_and_share_it():
    opt = optimizer()
    StepLR(opt, step_size=1, gamma=0.5).step()
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.015]
    second = ExponentialLR(opt, gamma=0.9)
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASE_LRS)
    assert second.get_last_lr() == list(BASE_LRS)


def test_a_scheduler_replaced_by_a_newer_one_refuses_to_step():
    # two schedulers would each write their own formula into the rates (PyTorch multiplies
    # their factors instead): the older one is refused, not silently overwritten
    opt = optimizer()
    first = ExponentialLR(opt, gamma=0.9)
    saved = first.state_dict()
    second = StepLR(opt, step_size=3, gamma=0.5)
    with pytest.raises(RuntimeError, match="ExponentialLR no longer drives its optimizer.*LambdaLR"):
        first.step()
    with pytest.raises(RuntimeError, match="no longer drives"):
        first.load_state_dict(saved)
    for _ in range(7):
        second.step()
    assert [g["lr"] for g in opt.param_groups] == [base * 0.5**2 for base in BASE_LRS]


# ------------------------------------------------------------------------------- state dicts
def is_plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(is_plain(v) for v in value)
    return isinstance(value, (int, float))


SCHEDULERS = {
    "step": lambda opt: StepLR(opt, 3, 0.5),
    "exponential": lambda opt: ExponentialLR(opt, 0.9),
    "cosine": lambda opt: CosineAnnealingLR(opt, 10, 1e-3),
    "sgdr": lambda opt: CosineAnnealingWarmRestarts(opt, 3, 2),
    "linear": lambda opt: LinearLR(opt, 0.2, 1.0, 12),  # still warming up at the epoch saved
    "lambda": lambda opt: LambdaLR(opt, lambda e: 0.95**e),
    "warmup-cosine": lambda opt: warmup_cosine(opt, 4, 20),
}


# The same kinds built with other arguments (each one differing) for optimizers with other base
# rates: a state dict loaded into one of them must bring the saved scheduler's back.
OTHER_ARGUMENTS = {
    "step": lambda opt: StepLR(opt, 5, 0.9),
    "exponential": lambda opt: ExponentialLR(opt, 0.5),
    "cosine": lambda opt: CosineAnnealingLR(opt, 4, 0.0),
    "sgdr": lambda opt: CosineAnnealingWarmRestarts(opt, 5, 1, 1e-3),
    "linear": lambda opt: LinearLR(opt, 0.5, 0.8, 6),
    "lambda": SCHEDULERS["lambda"],  # (its function is not part of the state dict)
    "warmup-cosine": lambda opt: warmup_cosine(opt, 2, 10, start_factor=0.5, eta_min=1e-3),
}


@pytest.mark.parametrize("into", ["same arguments", "other arguments"])
@pytest.mark.parametrize("name", SCHEDULERS)
def test_a_restored_scheduler_continues_exactly(name, into):
    make = SCHEDULERS[name]
    uninterrupted = follow(make, epochs=20)

    opt = optimizer()
    scheduler = make(opt)
    for _ in range(8):
        scheduler.step()
    saved = scheduler.state_dict()
    assert is_plain(saved) and "lr_lambda" not in saved

    if into == "same arguments":
        fresh_opt = optimizer()
        fresh = make(fresh_opt)
    else:
        fresh_opt = optimizer(base_lrs=(0.5, 0.2))
        fresh = OTHER_ARGUMENTS[name](fresh_opt)
    fresh.load_state_dict(saved)
    # the rates of the restored epoch are in force at once, not those construction set
    assert [g["lr"] for g in fresh_opt.param_groups] == uninterrupted[8]
    scheduler.step()  # the saved dict is a copy: it does not follow the old scheduler
    assert fresh.last_epoch == 8
    resumed = []
    for _ in range(9, 20):
        fresh.step()
        resumed.append(fresh.get_last_lr())
    assert resumed == uninterrupted[9:]


def test_loading_another_schedulers_state_raises_and_changes_nothing():
    opt = optimizer()
    cosine = CosineAnnealingLR(opt, 10)
    cosine.step()
    before = cosine.state_dict()
    message = ("this CosineAnnealingLR state dict has entries ['_last_lr', 'base_lrs', 'gamma', 'last_epoch', "
               "'step_size'], expected ['T_max'")
    with pytest.raises(ValueError, match=re.escape(message)):
        cosine.load_state_dict(StepLR(optimizer(), 3).state_dict())
    one_group = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="one rate per parameter group"):
        cosine.load_state_dict(CosineAnnealingLR(one_group, 10).state_dict())
    assert cosine.state_dict() == before


def test_a_state_dict_with_one_entry_more_than_the_schedulers_is_refused_and_changes_nothing():
    """A StepLR's state dict holds every entry of an ExponentialLR's, and step_size besides: it is
    not an ExponentialLR's, and loading it must not leave a stray step_size in the scheduler."""
    exponential = ExponentialLR(optimizer(), 0.9)
    exponential.step()
    before = exponential.state_dict()
    message = ("this ExponentialLR state dict has entries ['_last_lr', 'base_lrs', 'gamma', 'last_epoch', "
               "'step_size'], expected ['_last_lr', 'base_lrs', 'gamma', 'last_epoch']")
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        exponential.load_state_dict(StepLR(optimizer(), 3, 0.9).state_dict())
    assert exponential.state_dict() == before


def test_a_sequential_lr_with_other_inner_schedulers_raises_and_changes_nothing():
    scheduler = warmup_cosine(optimizer(), 4, 20)
    before = scheduler.state_dict()
    opt = optimizer()
    other = SequentialLR(opt, [StepLR(opt, 2), CosineAnnealingLR(opt, 10)], milestones=[4])
    with pytest.raises(ValueError):
        scheduler.load_state_dict(other.state_dict())
    assert scheduler.state_dict() == before


@pytest.mark.parametrize("name", SCHEDULERS)
def test_a_state_dict_holds_no_bookkeeping_and_loads_into_a_fresh_scheduler(name):
    # (a LambdaLR saved its number once, and a fresh one could then no longer step)
    scheduler = SCHEDULERS[name](optimizer())
    saved = scheduler.state_dict()
    assert "_number" not in saved and "optimizer" not in saved
    fresh = SCHEDULERS[name](optimizer())
    fresh.load_state_dict(saved)
    fresh.step()


# -------------------------------------------------------------------------------- arguments
@pytest.mark.parametrize("make,message", [
    (lambda opt: StepLR(opt, 0), "Invalid step_size: 0"),
    (lambda opt: StepLR(opt, 2.5), "Invalid step_size: 2.5"),
    (lambda opt: StepLR(opt, 2, gamma=-0.1), "Invalid gamma: -0.1"),
    (lambda opt: ExponentialLR(opt, float("nan")), "Invalid gamma: nan"),
    (lambda opt: CosineAnnealingLR(opt, 0), "Invalid T_max: 0"),
    (lambda opt: CosineAnnealingLR(opt, 10, eta_min=-1.0), "Invalid eta_min: -1.0"),
    (lambda opt: CosineAnnealingWarmRestarts(opt, 0), "Invalid T_0: 0"),
    (lambda opt: CosineAnnealingWarmRestarts(opt, 5, T_mult=0), "Invalid T_mult: 0"),
    (lambda opt: LinearLR(opt, start_factor=0.0), "Invalid start_factor: 0.0"),
    (lambda opt: LinearLR(opt, end_factor=1.5), "Invalid end_factor: 1.5"),
    (lambda opt: LinearLR(opt, total_iters=0), "Invalid total_iters: 0"),
    (lambda opt: SequentialLR(opt, [StepLR(opt, 2), StepLR(opt, 3)], milestones=[]), "Invalid milestones"),
    (lambda opt: SequentialLR(opt, [StepLR(opt, 2), StepLR(opt, 3)], milestones=[0]), "Invalid milestones"),
    # (a repeated milestone would leave the scheduler between them no epoch)
    (lambda opt: SequentialLR(opt, [StepLR(opt, 2), StepLR(opt, 3), StepLR(opt, 4)], milestones=[3, 3]),
     "Invalid milestones: [3, 3]"),
    (lambda opt: SequentialLR(opt, [StepLR(optimizer(), 2), StepLR(opt, 3)], milestones=[3]),
     "same optimizer"),
    (lambda opt: warmup_cosine(opt, 10, 10), "Invalid warmup_epochs: 10"),
    (lambda opt: StepLR(opt, True), "Invalid step_size: True"),
    (lambda opt: StepLR(opt, 2, gamma="a"), "Invalid gamma: 'a' (expected a finite number)"),
    (lambda opt: LinearLR(opt, start_factor="x"), "Invalid start_factor: 'x' (expected a finite number)"),
    (lambda opt: CosineAnnealingLR(opt, 10, eta_min=math.inf), "Invalid eta_min: inf (expected a finite number)"),
    (lambda opt: SequentialLR(opt, [], []), "needs at least one scheduler"),
])
def test_invalid_arguments_raise_naming_them(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make(optimizer())


@pytest.mark.parametrize("args, message", [
    ((2, 10.5), "Invalid total_epochs: 10.5"),
    ((2.5, 10), "Invalid warmup_epochs: 2.5"),
    ((None, 10), "Invalid warmup_epochs: None"),
    ((1, 1), "Invalid total_epochs: 1"),  # (a warm-up and a cosine need two epochs at least)
    ((2, 10, 0.01, -1.0), "Invalid eta_min: -1.0"),  # refused after the warm-up was made
])
@pytest.mark.parametrize("scheduled_before", [True, False], ids=["scheduled before", "never scheduled"])
def test_warmup_cosine_names_a_bad_argument_and_leaves_the_optimizer_as_it_was(args, message, scheduled_before):
    """Never scheduled, the groups get no initial_lr either: a scheduler made later must start
    from the rate the group has then, not from the one a failed warmup_cosine saw."""
    opt = optimizer()
    driver = StepLR(opt, 3) if scheduled_before else None
    before = [{k: v for k, v in group.items()} for group in opt.param_groups]
    with pytest.raises(ValueError, match=re.escape(message)):
        warmup_cosine(opt, *args)
    assert opt.param_groups == before
    if driver:
        driver.step()  # still the optimizer's scheduler


def test_a_scheduler_needs_an_optimizer_and_lambda_lr_a_function():
    with pytest.raises(TypeError, match="not an Optimizer"):
        StepLR([Tensor(np.zeros(1), requires_grad=True)], 2)
    with pytest.raises(TypeError, match="lr_lambda must be callable, got float"):
        LambdaLR(optimizer(), 0.5)


def test_an_optimizer_without_a_learning_rate_cannot_be_scheduled():
    params = [Tensor(np.zeros(1), requires_grad=True)]
    transformer = optim.transforms.TransformOptimizer(params, optim.transforms.scale_by_learning_rate(0.1))
    with pytest.raises(ValueError, match="no learning rate"):
        StepLR(transformer, 2)


def test_a_sequential_lr_inside_a_sequential_lr_saves_and_resumes_exactly():
    def make(opt):
        inner = warmup_cosine(opt, 3, 8)
        return SequentialLR(opt, [inner, ExponentialLR(opt, 0.9)], milestones=[8])

    uninterrupted = follow(make, epochs=16)
    opt = optimizer()
    scheduler = make(opt)
    for _ in range(5):
        scheduler.step()
    fresh_opt = optimizer()
    fresh = make(fresh_opt)
    fresh.load_state_dict(scheduler.state_dict())
    resumed = [[g["lr"] for g in fresh_opt.param_groups]]
    for _ in range(10):
        fresh.step()
        resumed.append(fresh.get_last_lr())
    assert resumed == uninterrupted[5:16]


@pytest.mark.parametrize("change, message", [
    ({"step_size": 0}, "Invalid step_size: 0"),
    ({"gamma": -0.5}, "Invalid gamma: -0.5"),
    ({"last_epoch": "x"}, "Invalid last_epoch: 'x'"),
    ({"last_epoch": -1}, "Invalid last_epoch: -1"),
    ({"_last_lr": [-1.0, 0.1]}, "Invalid _last_lr entry: -1.0"),
    ({"base_lrs": [0.1]}, "one rate per parameter group"),
])
def test_a_state_dict_with_invalid_values_is_refused_and_changes_nothing(change, message):
    opt = optimizer()
    scheduler = StepLR(opt, 3, 0.5)
    scheduler.step()
    before, rates = scheduler.state_dict(), [g["lr"] for g in opt.param_groups]
    with pytest.raises(ValueError, match=re.escape(message)):
        scheduler.load_state_dict({**before, **change})
    assert scheduler.state_dict() == before
    assert [g["lr"] for g in opt.param_groups] == rates


def overwrite_numbers_in_lists(value) -> None:
    """Set every number in the lists of a state dict (its inner state dicts' too) to 5.0, in place."""
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        overwrite_numbers_in_lists(child)
    if isinstance(value, list):
        value[:] = [5.0 if isinstance(v, (int, float)) else v for v in value]


@pytest.mark.parametrize("name", SCHEDULERS)
def test_the_rates_after_a_load_are_the_schedules_not_those_written_in_the_dict(name):
    # a hand-edited _last_lr would have trained the next epoch at its rate
    expected = follow(SCHEDULERS[name], epochs=7)[5:]
    scheduler = SCHEDULERS[name](optimizer())
    for _ in range(5):
        scheduler.step()
    edited = {**scheduler.state_dict(), "_last_lr": [5.0, 5.0]}
    fresh_opt = optimizer()
    fresh = SCHEDULERS[name](fresh_opt)
    fresh.load_state_dict(edited)
    assert [g["lr"] for g in fresh_opt.param_groups] == fresh.get_last_lr() == expected[0]
    # and the dict shares no list with the scheduler that saved it or the one that loaded it:
    # editing (or reusing) it afterwards changes neither
    overwrite_numbers_in_lists(edited)
    assert edited["base_lrs"] == [5.0, 5.0]
    scheduler.step()
    fresh.step()
    assert scheduler.get_last_lr() == fresh.get_last_lr() == expected[1]


def test_a_load_whose_schedule_fails_at_the_restored_epoch_changes_nothing():
    opt = optimizer()
    scheduler = LambdaLR(opt, lambda e: 1.0 if e < 2 else 1 / 0)
    before, rates = scheduler.state_dict(), [g["lr"] for g in opt.param_groups]
    other = LambdaLR(optimizer(), lambda e: 1.0)
    for _ in range(3):
        other.step()
    with pytest.raises(ZeroDivisionError):
        scheduler.load_state_dict(other.state_dict())
    assert scheduler.state_dict() == before and scheduler.last_epoch == 0
    assert [g["lr"] for g in opt.param_groups] == rates


def test_a_group_added_after_the_scheduler_was_made_is_not_left_unscheduled():
    opt = optimizer()
    scheduler = StepLR(opt, 1, 0.5)
    saved = scheduler.state_dict()
    opt.add_param_group({"params": [Tensor(np.zeros(1), requires_grad=True)], "lr": 1.0})
    message = "made for 2 parameter groups, but its optimizer now has 3: make the scheduler after"
    with pytest.raises(RuntimeError, match=message):
        scheduler.step()
    with pytest.raises(RuntimeError, match=message):
        scheduler.load_state_dict(saved)
    assert [g["lr"] for g in opt.param_groups] == [*BASE_LRS, 1.0]


def test_an_invalid_inner_state_of_a_sequential_lr_changes_nothing():
    scheduler = warmup_cosine(optimizer(), 4, 20)
    scheduler.step()
    before = scheduler.state_dict()
    damaged = {**before, "schedulers": [before["schedulers"][0], {**before["schedulers"][1], "T_max": 0}]}
    with pytest.raises(ValueError, match="Invalid T_max: 0"):
        scheduler.load_state_dict(damaged)
    assert scheduler.state_dict() == before
    with pytest.raises(TypeError, match="must be a dict"):
        scheduler.load_state_dict(None)


def test_sequential_lr_milestones_must_be_whole_epochs():
    opt = optimizer()
    with pytest.raises(ValueError, match=re.escape("Invalid milestones: [2.5]")):
        SequentialLR(opt, [StepLR(opt, 2), StepLR(opt, 3)], milestones=[2.5])


def test_a_schedule_that_gives_an_invalid_rate_is_refused_and_the_epoch_stays():
    with pytest.raises(ValueError, match="Invalid learning rate at epoch 0"):
        LambdaLR(optimizer(), lambda e: -1.0)
    opt = optimizer()
    scheduler = LambdaLR(opt, lambda e: 1.0 if e < 2 else math.inf)
    scheduler.step()
    with pytest.raises(ValueError, match="Invalid learning rate at epoch 2: inf"):
        scheduler.step()
    assert scheduler.last_epoch == 1 and [g["lr"] for g in opt.param_groups] == list(BASE_LRS)
    fresh = LambdaLR(optimizer(), lambda e: 1.0)
    fresh.load_state_dict(scheduler.state_dict())  # what a scheduler saves, it can load


def test_a_rate_that_overflows_is_named():
    opt = optimizer()
    scheduler = ExponentialLR(opt, 1e10)
    for _ in range(30):
        scheduler.step()
    with pytest.raises(ValueError, match="Invalid learning rate at epoch 31: it overflows"):
        scheduler.step()
    assert scheduler.last_epoch == 30


@pytest.mark.parametrize("factor", ["x", None, True], ids=["text", "None", "bool"])
def test_a_lambda_returning_no_number_is_named_with_its_epoch(factor):
    # (text and None failed deep in the arithmetic)
    with pytest.raises(TypeError, match=re.escape(f"lr_lambda returned {factor!r} at epoch 0; it must return a "
                                                  "number")):
        LambdaLR(optimizer(), lambda epoch: factor)


@pytest.mark.parametrize("schedulers, milestones, message", [
    (lambda opt: [StepLR(opt, 1), StepLR(opt, 1)], 3, "SequentialLR's milestones must be a list, got int"),
    (lambda opt: [StepLR(opt, 1), StepLR(opt, 1)], "3", "SequentialLR's milestones must be a list, got str"),
    (lambda opt: StepLR(opt, 1), [3], "SequentialLR's schedulers must be a list, got StepLR"),
    (lambda opt: [1, 2], [3], "SequentialLR's schedulers must be schedulers (of optim.lr_scheduler), got [1, 2]"),
])
def test_sequential_lr_names_schedulers_or_milestones_that_are_not_lists_of_their_kind(schedulers, milestones,
                                                                                      message):
    opt = optimizer()
    with pytest.raises(TypeError, match=re.escape(message)):
        SequentialLR(opt, schedulers(opt), milestones)


def test_a_lambda_may_return_a_0d_array_and_milestones_may_be_any_sequence():
    # (np.where gives a 0-d array back; a range or an array of milestones is a sequence too)
    opt = optimizer()
    LambdaLR(opt, lambda epoch: np.where(epoch < 5, 0.5, 0.1))
    assert [g["lr"] for g in opt.param_groups] == [0.5 * base for base in BASE_LRS]
    for milestones in (range(2, 3), np.array([2])):
        opt = optimizer()
        SequentialLR(opt, [StepLR(opt, 10), StepLR(opt, 10, gamma=0.5)], milestones)
