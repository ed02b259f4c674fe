"""optim.transforms: the optax-style chains equal the optimizer classes step by step, and the
Adam+L2 / AdamW difference is the order of two transformations."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optim
from minigrad import Tensor
from optim.lr_scheduler import LambdaLR
from optim.transforms import (TransformOptimizer, add_decayed_weights, chain, scale_by_adam,
                              scale_by_learning_rate)

STEPS = 50
ROUNDING = 1e-12


def start() -> list[Tensor]:
    rng = np.random.default_rng(0)
    return [Tensor(rng.normal(size=s), requires_grad=True) for s in [(3, 4), (4,)]]


def gradient(theta: np.ndarray, step: int) -> np.ndarray:
    """A θ-dependent gradient with coordinates of very different scales."""
    scales = np.logspace(-2, 1, theta.size).reshape(theta.shape)
    return scales * (theta - 1.0) + 0.1 * np.cos(step + theta)


def trajectory(make_optimizer, schedule=None) -> list[list[np.ndarray]]:
    params = start()
    opt = make_optimizer(params)
    scheduler = LambdaLR(opt, schedule) if schedule else None
    out = []
    for step in range(STEPS):
        for p in params:
            p.grad = gradient(p.data, step)
        opt.step()
        if scheduler:
            scheduler.step()
        out.append([p.data.copy() for p in params])
    return out


def max_difference(a, b) -> float:
    return max(float(np.max(np.abs(x - y))) for xs, ys in zip(a, b) for x, y in zip(xs, ys))


hyperparameters = dict(lr=st.floats(1e-3, 0.1), lam=st.floats(1e-3, 0.5), b1=st.floats(0.0, 0.95),
                       b2=st.floats(0.5, 0.999))


@settings(max_examples=10)
@given(**hyperparameters)
def test_decay_before_adam_is_adam_with_l2(lr, lam, b1, b2):
    adam_l2 = chain(add_decayed_weights(lam), scale_by_adam(b1, b2), scale_by_learning_rate(lr))
    ours = trajectory(lambda params: TransformOptimizer(params, adam_l2))
    theirs = trajectory(lambda params: optim.Adam(params, lr=lr, betas=(b1, b2), weight_decay=lam))
    assert max_difference(ours, theirs) < ROUNDING


@settings(max_examples=10)
@given(**hyperparameters)
def test_decay_after_adam_is_adamw(lr, lam, b1, b2):
    adamw = chain(scale_by_adam(b1, b2), add_decayed_weights(lam), scale_by_learning_rate(lr))
    ours = trajectory(lambda params: TransformOptimizer(params, adamw))
    theirs = trajectory(lambda params: optim.AdamW(params, lr=lr, betas=(b1, b2), weight_decay=lam))
    assert max_difference(ours, theirs) < ROUNDING


def test_moving_one_line_changes_the_optimizer():
    adam_l2 = chain(add_decayed_weights(0.1), scale_by_adam(), scale_by_learning_rate(0.05))
    adamw = chain(scale_by_adam(), add_decayed_weights(0.1), scale_by_learning_rate(0.05))
    a = trajectory(lambda params: TransformOptimizer(params, adam_l2))
    b = trajectory(lambda params: TransformOptimizer(params, adamw))
    assert max_difference(a, b) > 1e-2


def test_a_scheduled_learning_rate_matches_adamw_under_the_same_schedule():
    def schedule(count: int) -> float:
        return 0.05 / (1 + 0.1 * count)

    adamw = chain(scale_by_adam(), add_decayed_weights(0.1), scale_by_learning_rate(schedule))
    ours = trajectory(lambda params: TransformOptimizer(params, adamw))
    theirs = trajectory(lambda params: optim.AdamW(params, lr=0.05, weight_decay=0.1),
                        schedule=lambda epoch: 1 / (1 + 0.1 * epoch))
    assert max_difference(ours, theirs) < ROUNDING


def test_a_transform_optimizer_saves_and_resumes_exactly():
    def make(params):
        return TransformOptimizer(params, chain(scale_by_adam(), scale_by_learning_rate(0.01)))

    uninterrupted = trajectory(make)[-1]
    params = start()
    opt = make(params)
    for step in range(STEPS):
        if step == 20:
            saved = opt.state_dict()
            params = [Tensor(p.data.copy(), requires_grad=True) for p in params]
            opt = make(params)
            opt.load_state_dict(saved)
        for p in params:
            p.grad = gradient(p.data, step)
        opt.step()
    assert all(np.array_equal(p.data, u) for p, u in zip(params, uninterrupted))


@pytest.mark.parametrize("make, message", [
    (lambda: scale_by_adam(b1=1.0), "Invalid beta parameter at index 0: 1.0"),
    (lambda: scale_by_adam(b2=1.5), "Invalid beta parameter at index 1: 1.5"),
    (lambda: scale_by_adam(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (lambda: add_decayed_weights(-1), "Invalid weight_decay value: -1"),
    (lambda: add_decayed_weights("x"), "Invalid weight_decay value: 'x'"),
    (lambda: scale_by_learning_rate(float("nan")), "Invalid learning rate: nan"),
])
def test_transform_arguments_are_checked(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def failing_on_the_second(rate: float) -> tuple[TransformOptimizer, Tensor, Tensor]:
    """Adam at rate 0.1, then ``rate`` from each parameter's second step on; the second parameter
    has taken one step, so at the next step (both have gradients) the schedule fails on it only,
    after the first parameter's update and Adam's moments of both were computed."""
    first, second = Tensor(np.ones(3), requires_grad=True), Tensor(np.full(2, 2.0), requires_grad=True)
    schedule = scale_by_learning_rate(lambda count: 0.1 if count < 1 else rate)
    opt = TransformOptimizer([first, second], chain(scale_by_adam(), schedule))
    second.grad = np.ones(2)
    opt.step()
    first.grad = np.ones(3)
    return opt, first, second


@pytest.mark.parametrize("rate", [float("nan"), -0.1])
def test_a_schedule_rate_is_checked_at_each_step_and_a_failed_step_changes_nothing(rate):
    opt, first, second = failing_on_the_second(rate)
    before = opt.state_dict(), first.data.copy(), second.data.copy()
    with pytest.raises(ValueError, match=re.escape(f"Invalid learning rate at step 1: {rate}")):
        opt.step()
    after = opt.state_dict(), first.data, second.data
    np.testing.assert_equal(after, before)


def test_the_step_after_a_failed_one_applies_its_own_updates_only():
    """The first parameter's update of the failed step is not kept for later: the next step,
    without the second parameter, moves the first by its first Adam step, −0.1·g/(|g| + ε), once."""
    opt, first, second = failing_on_the_second(float("nan"))
    with pytest.raises(ValueError, match=re.escape("Invalid learning rate at step 1: nan")):
        opt.step()
    second.grad = None
    opt.step()
    np.testing.assert_allclose(first.data, 1 - 0.1 * 1 / (1 + 1e-8), rtol=1e-15)
    np.testing.assert_allclose(second.data, 2.0 - 0.1 * 1 / (1 + 1e-8), rtol=1e-15)


def test_a_chain_within_a_chain_checks_its_never_negative_arrays_by_their_whole_key_path():
    """The inner chain's scale_by_adam keeps ν under '0' of the inner state, itself under '1' of
    the outer: a negative entry there is refused at that path, as the next √ν would be NaN."""
    def make(params):
        inner = chain(scale_by_adam(), scale_by_learning_rate(0.01))
        return TransformOptimizer(params, chain(add_decayed_weights(0.1), inner))

    params = start()
    opt = make(params)
    for p in params:
        p.grad = gradient(p.data, 0)
    opt.step()
    saved = opt.state_dict()
    saved["state"][1]["transform"]["1"]["0"]["nu"][2] = -0.25
    fresh = make(start())
    message = "state[1]['transform']['1']['0']['nu'] holds negative values (down to -0.25)"
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        fresh.load_state_dict(saved)
    assert fresh.state == {}


def test_a_schedule_may_give_its_rate_as_a_0d_array():
    # as np.where gives it (LambdaLR and PyTorch accept this too)
    param = Tensor(np.ones(3), requires_grad=True)
    schedule = scale_by_learning_rate(lambda count: np.where(count < 10, 0.1, 0.01))
    opt = TransformOptimizer([param], chain(scale_by_adam(), schedule))
    param.grad = np.ones(3)
    opt.step()
    np.testing.assert_allclose(param.data, 1 - 0.1, rtol=1e-6)


@pytest.mark.parametrize("given, kind", [(3, "int"), (None, "NoneType"), (lambda u: u, "function")])
def test_chain_names_an_argument_that_is_not_a_transform(given, kind):
    """(It was accepted, and the first step failed inside: "'int' object has no attribute 'init'".)"""
    with pytest.raises(TypeError, match=re.escape(f"chain takes Transforms (such as scale_by_adam()); argument 1 is "
                                                  f"a {kind}")):
        chain(scale_by_adam(), given)


def test_a_transform_optimizer_needs_a_transform():
    with pytest.raises(TypeError, match="transform must be a Transform"):
        TransformOptimizer([Tensor(np.zeros(2), requires_grad=True)], 3)
