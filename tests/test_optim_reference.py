"""Every optimizer, every option, step by step against the spec's formula.

Each reference below is written plainly from ../shared/optimizer-spec.md (new arrays at every
line, no in-place tricks) and shares no code with the package. Both run 60 steps in float64 on
the same noisy, ill-scaled quadratic with two parameters (a tall and a wide matrix, so Muon's
transposition is covered); after every step they must agree to 1e-12.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest

import optim
from minigrad import Tensor

SHAPES = [(4, 3), (2, 5)]
STEPS = 60
TOLERANCE = 1e-12


class Problem:
    """g_t(θ) = c ⊙ (θ − θ*) + noise_t for each parameter: curvatures c from 0.1 to 3."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.start = [rng.normal(size=s) for s in SHAPES]
        self.target = [rng.normal(size=s) for s in SHAPES]
        self.curvature = [np.exp(rng.uniform(np.log(0.1), np.log(3.0), size=s)) for s in SHAPES]
        self.noise = [[0.3 * rng.normal(size=s) for s in SHAPES] for _ in range(STEPS)]

    def grad(self, i: int, step: int, theta: np.ndarray) -> np.ndarray:
        return self.curvature[i] * (theta - self.target[i]) + self.noise[step][i]


def run_package(cls, kwargs: dict, problem: Problem) -> list[list[np.ndarray]]:
    params = [Tensor(s.copy(), requires_grad=True) for s in problem.start]
    optimizer = cls(params, **kwargs)
    trajectory = []
    for step in range(STEPS):
        for i, p in enumerate(params):
            p.grad = problem.grad(i, step, p.data)
        optimizer.step()
        trajectory.append([p.data.copy() for p in params])
    return trajectory


def run_reference(reference, kwargs: dict, problem: Problem) -> list[list[np.ndarray]]:
    thetas = [s.copy() for s in problem.start]
    states: list[dict] = [{} for _ in thetas]
    trajectory = []
    for step in range(STEPS):
        grads = [problem.grad(i, step, theta) for i, theta in enumerate(thetas)]
        thetas = [reference(theta, g, state, step + 1, **kwargs)
                  for theta, g, state in zip(thetas, grads, states)]
        trajectory.append(thetas)
    return trajectory


# --------------------------------------------------------------------------- the references
def ref_sgd(theta, g, s, t, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
            nesterov=False, maximize=False):
    if maximize:
        g = -g
    g = g + weight_decay * theta
    if momentum != 0:
        s["b"] = g.copy() if t == 1 else momentum * s["b"] + (1 - dampening) * g
        g = g + momentum * s["b"] if nesterov else s["b"]
    return theta - lr * g


def ref_adagrad(theta, g, s, t, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                initial_accumulator_value=0.0, eps=1e-10):
    g = g + weight_decay * theta
    lr_t = lr / (1 + (t - 1) * lr_decay)
    s["sum"] = s.get("sum", np.full(theta.shape, initial_accumulator_value)) + g**2
    return theta - lr_t * g / (np.sqrt(s["sum"]) + eps)


def ref_rmsprop(theta, g, s, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                centered=False):
    g = g + weight_decay * theta
    s["v"] = alpha * s.get("v", 0.0) + (1 - alpha) * g**2
    if centered:
        s["gbar"] = alpha * s.get("gbar", 0.0) + (1 - alpha) * g
        d = np.sqrt(s["v"] - s["gbar"] ** 2) + eps
    else:
        d = np.sqrt(s["v"]) + eps
    if momentum > 0:
        s["b"] = momentum * s.get("b", 0.0) + g / d
        return theta - lr * s["b"]
    return theta - lr * g / d


def ref_adam(theta, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
             amsgrad=False, maximize=False, decoupled=False):
    b1, b2 = betas
    if maximize:
        g = -g
    if decoupled:
        theta = theta * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * theta
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
    v = s["v"]
    if amsgrad:
        s["vmax"] = np.maximum(s.get("vmax", 0.0), s["v"])
        v = s["vmax"]
    m_hat = s["m"] / (1 - b1**t)
    v_hat = v / (1 - b2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_adamw(theta, g, s, t, weight_decay=1e-2, **kwargs):
    return ref_adam(theta, g, s, t, weight_decay=weight_decay, decoupled=True, **kwargs)


def ref_nadam(theta, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              momentum_decay=4e-3):
    b1, b2 = betas
    g = g + weight_decay * theta
    mu_t = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    s["prod"] = s.get("prod", 1.0) * mu_t
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
    d = np.sqrt(s["v"] / (1 - b2**t)) + eps
    return (theta - lr * (1 - mu_t) / (1 - s["prod"]) * g / d
            - lr * mu_next / (1 - s["prod"] * mu_next) * s["m"] / d)


def ref_adamax(theta, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    g = g + weight_decay * theta
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["u"] = np.maximum(b2 * s.get("u", 0.0), np.abs(g) + eps)
    return theta - lr / (1 - b1**t) * s["m"] / s["u"]


def ref_radam(theta, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    g = g + weight_decay * theta
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
    m_hat = s["m"] / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho_t > 5:
        r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return theta - lr * m_hat * r * math.sqrt(1 - b2**t) / (np.sqrt(s["v"]) + eps)
    return theta - lr * m_hat


def ref_lion(theta, g, s, t, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
    b1, b2 = betas
    m = s.get("m", np.zeros_like(theta))
    c = b1 * m + (1 - b1) * g
    s["m"] = b2 * m + (1 - b2) * g
    return theta * (1 - lr * weight_decay) - lr * np.sign(c)


def ref_newton_schulz(u, steps, eps):
    a, b, c = 3.4445, -4.7750, 2.0315
    transposed = u.shape[0] > u.shape[1]
    x = u.T if transposed else u
    x = x / (np.sqrt(np.sum(x**2)) + eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if transposed else x


def ref_muon(theta, g, s, t, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, ns_steps=5,
             eps=1e-7):
    s["B"] = momentum * s.get("B", 0.0) + (1 - momentum) * g
    u = (1 - momentum) * g + momentum * s["B"] if nesterov else s["B"]
    o = ref_newton_schulz(u, ns_steps, eps)
    rows, cols = theta.shape
    lr_adjusted = lr * math.sqrt(max(1, rows / cols))
    return theta * (1 - lr * weight_decay) - lr_adjusted * o


# β2 at which the spec's ρ_t, computed in float64 as written, is exactly 5 at step 6 (found by
# bisection on ρ_6(β2) = 5 and a scan of the neighbouring floats): the step must then take the
# SGD branch, as "ρ_t > 5" says, and not the adaptive one.
RHO_IS_5_AT_STEP_6 = 0.8397685748659791

CASES = [
    (optim.SGD, ref_sgd, {}),
    (optim.SGD, ref_sgd, {"lr": 0.05}),
    (optim.SGD, ref_sgd, {"lr": 0.05, "momentum": 0.9}),
    (optim.SGD, ref_sgd, {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    (optim.SGD, ref_sgd, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (optim.SGD, ref_sgd, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.SGD, ref_sgd, {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1, "nesterov": True}),
    (optim.SGD, ref_sgd, {"lr": 0.01, "momentum": 0.5, "maximize": True}),
    (optim.SGD, ref_sgd, {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}),
    (optim.Adagrad, ref_adagrad, {}),
    (optim.Adagrad, ref_adagrad, {"lr": 0.1, "lr_decay": 0.01}),
    (optim.Adagrad, ref_adagrad, {"lr": 0.1, "weight_decay": 0.1}),
    (optim.Adagrad, ref_adagrad, {"initial_accumulator_value": 0.5, "eps": 1e-3}),
    (optim.RMSprop, ref_rmsprop, {}),
    (optim.RMSprop, ref_rmsprop, {"alpha": 0.9, "eps": 1e-3}),
    (optim.RMSprop, ref_rmsprop, {"centered": True}),
    (optim.RMSprop, ref_rmsprop, {"momentum": 0.9}),
    (optim.RMSprop, ref_rmsprop, {"centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    (optim.Adam, ref_adam, {}),
    (optim.Adam, ref_adam, {"lr": 0.05, "betas": (0.8, 0.99)}),
    (optim.Adam, ref_adam, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.Adam, ref_adam, {"lr": 0.05, "amsgrad": True}),
    (optim.Adam, ref_adam, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "eps": 1e-3}),
    (optim.Adam, ref_adam, {"lr": 0.01, "maximize": True}),
    (optim.Adam, ref_adam, {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    (optim.AdamW, ref_adamw, {}),
    (optim.AdamW, ref_adamw, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.AdamW, ref_adamw, {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    (optim.AdamW, ref_adamw, {"lr": 0.01, "maximize": True, "betas": (0.5, 0.9)}),
    (optim.NAdam, ref_nadam, {}),
    (optim.NAdam, ref_nadam, {"lr": 0.05, "weight_decay": 0.1, "momentum_decay": 0.01}),
    (optim.NAdam, ref_nadam, {"betas": (0.8, 0.99), "eps": 1e-3}),
    (optim.Adamax, ref_adamax, {}),
    (optim.Adamax, ref_adamax, {"lr": 0.05, "weight_decay": 0.1, "betas": (0.8, 0.99)}),
    (optim.Adamax, ref_adamax, {"eps": 1e-2}),
    (optim.RAdam, ref_radam, {}),
    (optim.RAdam, ref_radam, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.RAdam, ref_radam, {"lr": 0.05, "betas": (0.9, 0.9), "eps": 1e-3}),
    (optim.RAdam, ref_radam, {"lr": 0.05, "betas": (0.9, RHO_IS_5_AT_STEP_6)}),
    (optim.Lion, ref_lion, {}),
    (optim.Lion, ref_lion, {"lr": 1e-2, "weight_decay": 0.1}),
    (optim.Lion, ref_lion, {"lr": 1e-2, "betas": (0.5, 0.9)}),
    (optim.Muon, ref_muon, {}),
    (optim.Muon, ref_muon, {"lr": 0.02, "nesterov": False}),
    (optim.Muon, ref_muon, {"lr": 0.02, "weight_decay": 0.0, "momentum": 0.8}),
    (optim.Muon, ref_muon, {"lr": 0.02, "ns_steps": 3, "eps": 1e-3}),
]


def test_radams_rho_is_exactly_5_at_step_6_for_the_boundary_case():
    """The premise of the RAdam case at RHO_IS_5_AT_STEP_6: ρ_6 is 5 exactly, ρ_5 below it."""
    b2, t = RHO_IS_5_AT_STEP_6, 6
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
    assert rho_t == 5.0
    assert rho_inf - 2 * (t - 1) * b2 ** (t - 1) / (1 - b2 ** (t - 1)) < 5  # (the steps before: SGD too)


def case_id(case) -> str:
    cls, _, kwargs = case
    return cls.__name__ + "(" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_every_step_matches_the_spec_formula(case):
    cls, reference, kwargs = case
    problem = Problem()
    ours = run_package(cls, kwargs, problem)
    theirs = run_reference(reference, kwargs, problem)
    for step, (a, b) in enumerate(zip(ours, theirs), start=1):
        for i in range(len(SHAPES)):
            np.testing.assert_allclose(a[i], b[i], rtol=TOLERANCE, atol=TOLERANCE,
                                       err_msg=f"{case_id(case)}, parameter {i}, step {step}")
    # and the comparison is not vacuous: every parameter really moved
    assert all(np.max(np.abs(f - s)) > 1e-3 for f, s in zip(ours[-1], problem.start))


def test_muon_updates_a_group_with_use_muon_false_by_the_adamw_formula():
    """A Muon over two groups, the tall matrix by Muon and the wide one by AdamW (use_muon=False),
    follows ref_muon for the first and ref_adamw, with adamw_betas and adamw_eps, for the second."""
    problem = Problem()
    params = [Tensor(s.copy(), requires_grad=True) for s in problem.start]
    optimizer = optim.Muon([{"params": [params[0]]},
                            {"params": [params[1]], "use_muon": False, "lr": 0.05}],
                           lr=0.02, weight_decay=0.1, adamw_betas=(0.8, 0.99), adamw_eps=1e-3)
    references = [partial(ref_muon, lr=0.02, weight_decay=0.1),
                  partial(ref_adamw, lr=0.05, weight_decay=0.1, betas=(0.8, 0.99), eps=1e-3)]
    thetas = [s.copy() for s in problem.start]
    states: list[dict] = [{}, {}]
    for step in range(STEPS):
        for i, p in enumerate(params):
            p.grad = problem.grad(i, step, p.data)
        optimizer.step()
        thetas = [reference(theta, problem.grad(i, step, theta), state, step + 1)
                  for i, (reference, theta, state) in enumerate(zip(references, thetas, states))]
        for i, (p, theta) in enumerate(zip(params, thetas)):
            np.testing.assert_allclose(p.data, theta, rtol=TOLERANCE, atol=TOLERANCE,
                                       err_msg=f"parameter {i}, step {step + 1}")
    assert all(np.max(np.abs(p.data - s)) > 1e-3 for p, s in zip(params, problem.start))


# A switch turned on between steps: the state the new setting needs starts at zero, as at step
# one, while the moments and the step count the optimizer had are kept. The reference is handed
# the same switch at the same step with its own state dict, which it keeps.
SWITCHED_ON = [
    (optim.Adam, ref_adam, {"lr": 0.05}, {"amsgrad": True}),
    (optim.AdamW, ref_adamw, {"lr": 0.05, "weight_decay": 0.1}, {"amsgrad": True}),
    (optim.RMSprop, ref_rmsprop, {}, {"centered": True}),
    (optim.RMSprop, ref_rmsprop, {"weight_decay": 0.1}, {"momentum": 0.5}),
]


@pytest.mark.parametrize("cls, reference, kwargs, switch", SWITCHED_ON,
                         ids=[f"{c.__name__}+{next(iter(s))}" for c, _, _, s in SWITCHED_ON])
def test_a_switch_turned_on_mid_run_keeps_the_moments_and_the_step_count(cls, reference, kwargs, switch):
    """amsgrad, centered or momentum turned on after 30 steps: v_max, ḡ or b start at zero, but m,
    v and t go on (Adam's bias corrections use t = 31, not 1), step by step as the spec says."""
    problem = Problem()
    params = [Tensor(s.copy(), requires_grad=True) for s in problem.start]
    optimizer = cls(params, **kwargs)
    thetas = [s.copy() for s in problem.start]
    states: list[dict] = [{} for _ in thetas]
    settings = dict(kwargs)
    for step in range(STEPS):
        if step == STEPS // 2:
            optimizer.param_groups[0].update(switch)
            settings.update(switch)
        for i, p in enumerate(params):
            p.grad = problem.grad(i, step, p.data)
        optimizer.step()
        thetas = [reference(theta, problem.grad(i, step, theta), state, step + 1, **settings)
                  for i, (theta, state) in enumerate(zip(thetas, states))]
        for i, (p, theta) in enumerate(zip(params, thetas)):
            np.testing.assert_allclose(p.data, theta, rtol=TOLERANCE, atol=TOLERANCE,
                                       err_msg=f"parameter {i}, step {step + 1}")
    assert optimizer.state[params[0]]["step"] == STEPS
