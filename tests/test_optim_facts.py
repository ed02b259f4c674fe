"""Closed forms, and the spec's two equivalences and one difference (float64, through autograd).

1. Adam(weight_decay=λ) ≡ Adam on L + λ/2‖θ‖²           (to rounding)
2. SGD(weight_decay=λ) ≡ SGD + L2 ≡ decoupled SGD        (to rounding; with momentum they differ)
3. AdamW(weight_decay=λ) ≠ Adam(weight_decay=λ)          (max |Δθ| ≈ 0.34 here after 100 steps)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import models
import optim
from minigrad import Tensor
from optim.lr_scheduler import LambdaLR, StepLR

ROUNDING = 1e-12


# ------------------------------------------------------------------------------ closed forms
nonzero_gradients = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=4),
    elements=st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3),
)


@settings(max_examples=25)
@given(g=nonzero_gradients, lr=st.floats(1e-4, 1.0), beta1=st.floats(0.0, 0.99),
       beta2=st.floats(0.0, 0.9999))
def test_adams_first_step_is_lr_times_the_sign_of_the_gradient(g, lr, beta1, beta2):
    theta = Tensor(np.zeros_like(g), requires_grad=True)
    theta.grad = g
    optim.Adam([theta], lr=lr, betas=(beta1, beta2)).step()
    # exactly −γ·g/(|g| + ε), whatever the betas: bias correction makes m̂ = g and v̂ = g²
    np.testing.assert_allclose(theta.data, -lr * g / (np.abs(g) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(theta.data, -lr * np.sign(g), rtol=1e-5)


@settings(max_examples=10)
@given(g=nonzero_gradients, lr=st.floats(1e-3, 1.0))
def test_adagrad_with_a_constant_gradient_has_effective_rate_lr_over_sqrt_t_abs_g(g, lr):
    theta = Tensor(np.zeros_like(g), requires_grad=True)
    opt = optim.Adagrad([theta], lr=lr)
    for t in range(1, 101):
        before = theta.data.copy()
        theta.grad = g
        opt.step()
        effective_rate = (before - theta.data) / g
        np.testing.assert_allclose(effective_rate, lr / (math.sqrt(t) * np.abs(g)), rtol=1e-7)


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("mu", [0.5, 0.9])
def test_sgd_momentum_on_a_constant_gradient_follows_the_geometric_series(mu, nesterov):
    g, lr = np.array([0.3, -2.0]), 0.01
    theta = Tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([theta], lr=lr, momentum=mu, nesterov=nesterov)
    for t in range(1, 61):
        before = theta.data.copy()
        theta.grad = g
        opt.step()
        # the buffer after t steps is g·(1 + μ + … + μ^(t−1)); Nesterov looks one term ahead
        terms = t + 1 if nesterov else t
        expected_step = lr * g * (1 - mu**terms) / (1 - mu)
        np.testing.assert_allclose(before - theta.data, expected_step, rtol=1e-12)
    # and the speed tends to the terminal velocity γ·g/(1 − μ)
    np.testing.assert_allclose(before - theta.data, lr * g / (1 - mu), rtol=1e-2)


# ------------------------------------------------------------------- a least-squares problem
class LeastSquares:
    """Mean squared error of a linear model on 50 points with feature scales 0.1 … 10."""

    def __init__(self, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.X = rng.normal(size=(50, 5)) * np.logspace(-1, 1, 5)
        self.y = self.X @ rng.normal(size=(5, 1)) + 0.1 * rng.normal(size=(50, 1))
        self.start = [rng.normal(size=(5, 1)), rng.normal(size=(1,))]

    def params(self) -> list[Tensor]:
        return [Tensor(s.copy(), requires_grad=True) for s in self.start]

    def loss(self, params: list[Tensor]) -> Tensor:
        w, b = params
        return ((self.X @ w + b - self.y) ** 2).mean()

    def run(self, cls, l2: float = 0.0, decoupled_decay: float = 0.0, **hyperparameters) -> list[np.ndarray]:
        """100 steps of ``cls(params, **hyperparameters)`` from the fixed start."""
        params = self.params()
        return self.train(cls(params, **hyperparameters), params, l2=l2, decoupled_decay=decoupled_decay)

    def train(self, optimizer: optim.Optimizer, params: list[Tensor], steps: int = 100,
              l2: float = 0.0, decoupled_decay: float = 0.0) -> list[np.ndarray]:
        """Full-batch steps; ``l2`` adds models.l2_penalty to the loss, ``decoupled_decay`` applies
        θ ← θ(1 − γλ) by hand before each optimizer step."""
        for _ in range(steps):
            optimizer.zero_grad()
            loss = self.loss(params)
            if l2:
                loss = loss + models.l2_penalty(params, l2)
            loss.backward()
            for group in optimizer.param_groups:
                for p in group["params"]:
                    p.data *= 1 - group["lr"] * decoupled_decay
            optimizer.step()
        return [p.data.copy() for p in params]


def max_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


def test_fact_1_adam_weight_decay_is_an_l2_penalty_in_the_loss():
    problem, lam = LeastSquares(), 0.1
    with_weight_decay = problem.run(optim.Adam, lr=0.05, weight_decay=lam)
    with_penalty = problem.run(optim.Adam, lr=0.05, l2=lam)
    assert max_difference(with_weight_decay, with_penalty) < ROUNDING


def test_fact_2_plain_sgd_weight_decay_l2_and_decoupled_decay_coincide():
    problem, lam, lr = LeastSquares(), 0.1, 0.01
    with_weight_decay = problem.run(optim.SGD, lr=lr, weight_decay=lam)
    with_penalty = problem.run(optim.SGD, lr=lr, l2=lam)
    decoupled = problem.run(optim.SGD, lr=lr, decoupled_decay=lam)
    assert max_difference(with_weight_decay, with_penalty) < ROUNDING
    assert max_difference(with_weight_decay, decoupled) < ROUNDING


def test_fact_2_with_momentum_coupled_and_decoupled_sgd_differ():
    problem, lam, lr = LeastSquares(), 0.1, 0.01
    coupled = problem.run(optim.SGD, lr=lr, momentum=0.9, weight_decay=lam)
    decoupled = problem.run(optim.SGD, lr=lr, momentum=0.9, decoupled_decay=lam)
    assert max_difference(coupled, decoupled) > 1e-3


def test_fact_3_adamw_is_not_adam_with_l2():
    problem, lam = LeastSquares(), 0.1
    adam_l2 = problem.run(optim.Adam, lr=0.05, weight_decay=lam)
    adamw = problem.run(optim.AdamW, lr=0.05, weight_decay=lam)
    assert max_difference(adam_l2, adamw) > 0.05


def test_adamw_is_adam_plus_decoupled_decay_by_hand():
    problem, lam = LeastSquares(), 0.1
    adamw = problem.run(optim.AdamW, lr=0.05, weight_decay=lam)
    by_hand = problem.run(optim.Adam, lr=0.05, decoupled_decay=lam)
    assert max_difference(adamw, by_hand) < ROUNDING


# ------------------------------------------------------------------ groups and schedules
DECAYING = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9}), (optim.Adagrad, {}), (optim.RMSprop, {"centered": True}),
    (optim.Adam, {"lr": 0.1}), (optim.AdamW, {"lr": 0.1}), (optim.NAdam, {}), (optim.Adamax, {}),
    (optim.RAdam, {}), (optim.Lion, {"lr": 0.1}), (optim.Muon, {"lr": 0.1}),
]


@pytest.mark.parametrize("cls,kwargs", DECAYING, ids=[c.__name__ for c, _ in DECAYING])
def test_a_group_with_zero_weight_decay_is_not_decayed(cls, kwargs):
    decayed, undecayed = (Tensor(np.full((2, 3), 2.0), requires_grad=True) for _ in range(2))
    opt = cls([{"params": [decayed], "weight_decay": 0.5},
               {"params": [undecayed], "weight_decay": 0.0}], **kwargs)
    for _ in range(5):
        decayed.grad, undecayed.grad = np.zeros((2, 3)), np.zeros((2, 3))
        opt.step()
    assert np.array_equal(undecayed.data, np.full((2, 3), 2.0))
    assert np.all(decayed.data < 2.0)


@pytest.mark.parametrize("cls", [optim.AdamW, optim.Lion, optim.Muon])
def test_decoupled_decay_shrinks_by_one_minus_lr_times_lambda_each_step(cls):
    theta = Tensor(np.full((2, 2), 3.0), requires_grad=True)
    opt = cls([theta], lr=0.1, weight_decay=0.5)
    for _ in range(10):
        theta.grad = np.zeros((2, 2))
        opt.step()
    np.testing.assert_allclose(theta.data, 3.0 * 0.95**10, rtol=1e-14)


def test_adamws_decay_uses_the_scheduled_learning_rate():
    theta = Tensor(np.full(3, 1.0), requires_grad=True)
    opt = optim.AdamW([theta], lr=0.2, weight_decay=0.5)
    scheduler = StepLR(opt, step_size=3, gamma=0.1)
    expected = 1.0
    for _ in range(9):
        expected *= 1 - scheduler.get_last_lr()[0] * 0.5
        theta.grad = np.zeros(3)
        opt.step()
        scheduler.step()
    np.testing.assert_allclose(theta.data, expected, rtol=1e-14)
    assert expected == pytest.approx(0.9**3 * 0.99**3 * 0.999**3)


def test_a_schedule_scales_adamws_decay_and_step_alike():
    """AdamW under a schedule ≡ Adam plus decay by hand with the same scheduled rate."""
    problem, lam = LeastSquares(), 0.1
    params = problem.params()
    adamw = optim.AdamW(params, lr=0.05, weight_decay=lam)
    schedule = LambdaLR(adamw, lambda epoch: 1 / (1 + epoch))
    by_hand_params = problem.params()
    adam = optim.Adam(by_hand_params, lr=0.05)
    by_hand_schedule = LambdaLR(adam, lambda epoch: 1 / (1 + epoch))
    for _ in range(30):
        problem.train(adamw, params, steps=1)
        problem.train(adam, by_hand_params, steps=1, decoupled_decay=lam)
        schedule.step()
        by_hand_schedule.step()
    assert max_difference([p.data for p in params], [p.data for p in by_hand_params]) < ROUNDING
