"""Training the runs of one experiment side by side.

The R runs of an experiment share a loss; their parameters θ_r are stacked into one tensor P of
shape (R, …), so one graph and one ``backward()`` of Σ_r L_r(θ_r) per step give every run its own
gradient, since ∂(Σ_s L_s)/∂θ_r = ∂L_r/∂θ_r. ``effective_step`` reads |Δθ_t|/|g_t| off a record:
γ for SGD, γ/(√s_t + ε) for AdaGrad, γ/(√v_t + ε) for RMSProp. ``tilted_plane`` is the loss
L_t(θ) = Σ (s + σ·ξ_t)·θ, whose gradient is a steady s plus fresh noise σ·ξ_t at each step.
``Runs`` keeps the runs' parameters and optimizers, so that some runs can be trained on later.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Hashable

import numpy as np
from numpy.typing import ArrayLike

from minigrad import Tensor, stack
from optim import Optimizer

Loss = Callable[[Tensor], Tensor]
MakeOptimizer = Callable[[list[Tensor]], Optimizer]
# An optimizer family of a learning-rate sweep: its class and the settings other than lr.
Family = tuple[type[Optimizer], dict[str, Any]]


@dataclass
class Race:
    """The record of runs trained side by side: for run r (row ``keys.index(key)``),
    ``path[r, t]`` is θ after t steps (t = 0 … T), ``loss[r, t]`` the loss at ``path[r, t]`` and
    ``grad[r, t]`` its gradient (t = 0 … T−1)."""

    keys: list[Hashable]
    path: np.ndarray
    loss: np.ndarray
    grad: np.ndarray

    def row(self, key: Hashable) -> int:
        return self.keys.index(key)

    @property
    def steps(self) -> np.ndarray:
        """Δθ_t = θ_t − θ_{t−1}, shape (R, T, …)."""
        return np.diff(self.path, axis=1)

    def then(self, later: Race) -> Race:
        """This record followed by ``later``, the record of some of its runs trained on from its end."""
        rows = [self.row(key) for key in later.keys]
        return Race(later.keys, np.concatenate([self.path[rows, :-1], later.path], axis=1),
                    np.concatenate([self.loss[rows], later.loss], axis=1),
                    np.concatenate([self.grad[rows], later.grad], axis=1))


class Runs:
    """The runs of an experiment: one copy of the parameters and one optimizer per run, all
    started at ``start``. ``train`` goes on from wherever the last call left them."""

    def __init__(self, runs: dict[Hashable, MakeOptimizer], start: ArrayLike) -> None:
        start = np.asarray(start, dtype=np.float64)
        self.params = {key: Tensor(start.copy(), requires_grad=True) for key in runs}
        self.optimizers = {key: make([self.params[key]]) for key, make in runs.items()}

    def train(self, loss: Loss, steps: int, keys: list[Hashable] | None = None) -> Race:
        """Train the runs ``keys`` (all by default) side by side on ``loss`` for ``steps`` more steps.

        Their copies θ_r are stacked into one tensor P of shape (R, …); ``loss(P)`` returns the
        R losses L_r(θ_r), and one backward of Σ_r L_r gives every run its own gradient, since
        ∂(Σ_s L_s)/∂θ_r = ∂L_r/∂θ_r. Anything random inside ``loss`` is drawn once per step and
        shared by all runs (common random numbers), so differences between runs are the
        optimizers'. Diverging runs (a learning rate too large, in a sweep) are kept and end as
        inf or nan.
        """
        keys = list(self.params) if keys is None else keys
        params = [self.params[key] for key in keys]
        optimizers = [self.optimizers[key] for key in keys]
        shape = params[0].shape
        record = Race(keys, np.empty((len(keys), steps + 1) + shape), np.empty((len(keys), steps)),
                      np.empty((len(keys), steps) + shape))
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(steps):
                record.path[:, t] = [p.data for p in params]
                for p in params:
                    p.grad = None
                losses = loss(stack(params))
                losses.sum().backward()
                record.loss[:, t] = losses.data
                record.grad[:, t] = [p.grad for p in params]
                for optimizer in optimizers:
                    optimizer.step()
        record.path[:, steps] = [p.data for p in params]
        return record


def race(loss: Loss, runs: dict[Hashable, MakeOptimizer], start: ArrayLike, steps: int) -> Race:
    """Train one copy of the parameters per run, from ``start``, all on the same loss, for
    ``steps`` steps (see ``Runs.train``)."""
    return Runs(runs, start).train(loss, steps)


def lr_runs(families: dict[str, Family], grid: np.ndarray) -> dict[Hashable, MakeOptimizer]:
    """One run for every family at every learning rate of ``grid``, keyed (name, lr)."""
    return {(name, lr): partial(cls, lr=lr, **settings)
            for name, (cls, settings) in families.items() for lr in grid}


def sweep(loss: Loss, families: dict[str, Family], grid: np.ndarray, start: ArrayLike, steps: int) -> Race:
    """``race`` every family at every learning rate of ``grid``; run keys are (name, lr)."""
    return race(loss, lr_runs(families, grid), start, steps)


def effective_step(record: Race, row: int) -> np.ndarray:
    """|Δθ_t| / |g_t| per coordinate: the step per unit of gradient, which for SGD is γ, for
    AdaGrad γ/(√s_t + ε) and for RMSProp γ/(√v_t + ε) (neither with momentum); nan where g_t = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(record.steps[row]) / np.abs(record.grad[row])
    return np.where(record.grad[row] != 0, ratio, np.nan)


def tilted_plane(slope: ArrayLike, noise: ArrayLike = 0.0, rng: np.random.Generator | None = None,
                 noise_shape: tuple[int, ...] | None = None) -> Loss:
    """L_t(θ) = Σ (s + σ·ξ_t)·θ: a steady gradient s, plus (when an ``rng`` is given) fresh noise
    σ·ξ_t at each step, ξ_t ~ N(0, 1) of ``noise_shape``, broadcast over the parameter."""
    slope = np.asarray(slope, dtype=np.float64)

    def loss(P: Tensor) -> Tensor:
        gradient = slope if rng is None else slope + noise * rng.standard_normal(noise_shape)
        return (P * gradient).reshape(P.shape[0], -1).sum(axis=1)

    return loss
