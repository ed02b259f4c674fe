"""Part 3: the decay each weight actually receives, per step, under Adam+L2 and AdamW.

What is measured. Adam's first moment is linear in what it averages, so with coupled L2 it
splits exactly as m = m_L + m_λ: the average of the loss gradients plus the average of the
λθ terms. We keep m_L ourselves (same β1, same start at zero) and read v, the step count and
γ from the optimizer. For every weight θ_i at a watched step, with θ_i the value before it,

    gradient part   s_L,i = γ·m̂_L,i/(√v̂_i + ε)          (m̂_L = m_L/(1 − β1^t), v̂ = v/(1 − β2^t))
    decay part      s_λ,i = (θ_i − θ_i') − s_L,i          (θ_i' the value after the step)
    decay rate      r_i   = s_λ,i / θ_i

r_i is the fraction of the weight removed by the decay in that step: the per-step shrink
factor. For AdamW the decay is θ ← θ(1 − γλ) before an Adam step on the loss alone, so
r_i = γλ for every weight. For Adam+L2, s_λ,i = γ·m̂_λ,i/(√v̂_i + ε), and once m̂_λ has caught up
with λθ (θ moves slowly compared with β1's memory), r_i ≈ γλ/(√v̂_i + ε): the same λ acts
on each weight through its own gradient history √v̂_i. Weights whose m̂_λ and θ disagree in
sign (θ just crossed zero) have r_i ≤ 0, and weights fed by a constant input pixel (always 0
after standardization) have no loss gradient at all; both kinds are counted and left out of
the statistics, which are taken on logarithms. (Under Adam+L2 the latter's √v̂_i comes from
λθ alone, and left in they would set the spread's upper end: they are found by a running
mean of their loss gradients' squares that stays exactly 0.)

Both optimizers train the same MLP with the same numeric λ at a constant learning rate, so
that γλ is one number and the only difference is the division by √v̂.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from l2study.data import digits
from l2study.runs import Config, RunStore
from l2study.settings import Settings
from l2study.training import make_mlp, make_optimizer, mlp_shape, train_classifier
from optim import Optimizer

NAME = "per-parameter"
TITLE = "3. Decay seen per parameter"
LR, WEIGHT_DECAY = 1e-3, 1e-2


def watched_epochs(epochs: int) -> list[int]:
    """Epochs at whose last step the decay is measured: the first, a quarter, half, the last."""
    return sorted({max(1, e) for e in (1, epochs // 4, epochs // 2, epochs)})


def configs(settings: Settings, store: RunStore) -> list[Config]:
    return [{"kind": "per_parameter", "optimizer": kind, "lr": LR, "weight_decay": WEIGHT_DECAY,
             "seed": settings.seed, **mlp_shape(settings)} for kind in ("adam_l2", "adamw")]


class DecayProbe:
    """A stand-in for ``optimizer.step()`` that also measures, at the watched steps, every
    decayed weight's √v̂ and decay rate r (see the module docstring)."""

    def __init__(self, optimizer: Optimizer, watch: dict[int, int]) -> None:
        self.optimizer = optimizer
        self.group = optimizer.param_groups[0]  # models.param_groups puts the decayed weights first
        self.m_loss = [np.zeros_like(p.data) for p in self.group["params"]]
        self.v_loss = [np.zeros_like(p.data) for p in self.group["params"]]  # 0: no loss gradient yet
        self.watch = watch  # step → epoch
        self.steps = 0
        self.measurements: list[dict[str, Any]] = []

    def __call__(self) -> None:
        self.steps += 1
        params = self.group["params"]
        beta1, beta2 = self.group["betas"]
        for m, v, p in zip(self.m_loss, self.v_loss, params):
            m *= beta1
            m += (1 - beta1) * p.grad
            v *= beta2
            v += (1 - beta2) * p.grad**2
        if self.steps not in self.watch:
            self.optimizer.step()
            return
        before = [p.data.copy() for p in params]
        lr, eps = self.group["lr"], self.group["eps"]
        self.optimizer.step()
        sqrt_vhat, rate, fed = [], [], []
        for m, v, p, theta in zip(self.m_loss, self.v_loss, params, before):
            state = self.optimizer.state[p]
            t = state["step"]
            root = np.sqrt(state["exp_avg_sq"] / (1 - beta2**t))
            gradient_part = lr * (m / (1 - beta1**t)) / (root + eps)
            decay_part = (theta - p.data) - gradient_part
            sqrt_vhat.append(root.ravel())
            rate.append((decay_part / theta).ravel())
            fed.append((v > 0).ravel())
        self.measurements.append({"epoch": self.watch[self.steps], "step": self.steps, "lr": lr, "eps": eps,
                                  "sqrt_vhat": np.concatenate(sqrt_vhat).tolist(),
                                  "rate": np.concatenate(rate).tolist(),
                                  "fed": np.concatenate(fed).tolist()})


def run(config: Config) -> dict[str, Any]:
    """Train with a constant learning rate, measuring at the last step of the watched epochs."""
    data = digits(config["seed"])
    model = make_mlp(data, config["hidden"], config["seed"])
    optimizer = make_optimizer(config["optimizer"], model, config["lr"], config["weight_decay"])
    per_epoch = -(-len(data.y_train) // config["batch_size"])  # batches per epoch, the last one short
    watch = {epoch * per_epoch: epoch for epoch in watched_epochs(config["epochs"])}
    probe = DecayProbe(optimizer, watch)
    result = train_classifier(model, optimizer, data, epochs=config["epochs"],
                              batch_size=config["batch_size"], seed=config["seed"], cosine=False,
                              step=probe)
    return {"test_accuracy": result["test_accuracy"], "measurements": probe.measurements}


def usable(sqrt_vhat: np.ndarray, rate: np.ndarray, fed: np.ndarray) -> np.ndarray:
    """The weights the statistics (and the figure) use: a loss gradient (``fed``), √v̂ > 0, r > 0."""
    return (rate > 0) & (sqrt_vhat > 0) & fed


def rate_statistics(sqrt_vhat: np.ndarray, rate: np.ndarray, fed: np.ndarray, lr: float,
                    weight_decay: float, eps: float) -> dict[str, float]:
    """Spread of the decay rates of the ``usable`` weights: percentiles, the ratio p95/p5, the
    log-log slope of r against √v̂, and how far r is from the stationary prediction
    γλ/(√v̂ + ε) (median of |r/prediction − 1|)."""
    used = usable(sqrt_vhat, rate, fed)
    r, root = rate[used], sqrt_vhat[used]
    p5, p50, p95 = np.percentile(r, [5, 50, 95])
    slope = np.polyfit(np.log10(root), np.log10(r), 1)[0]
    prediction = lr * weight_decay / (root + eps)
    return {"n": int(rate.size), "excluded": int(np.sum(~used)), "p5": float(p5),
            "median": float(p50), "p95": float(p95), "spread": float(p95 / p5),
            "slope": float(slope), "sqrt_vhat_p5": float(np.percentile(root, 5)),
            "sqrt_vhat_p95": float(np.percentile(root, 95)),
            "stationary_error": float(np.median(np.abs(r / prediction - 1)))}


def summarize(settings: Settings, store: RunStore) -> dict[str, Any]:
    """Per optimizer: the statistics at every watched epoch, and the measurements themselves
    (for the plots)."""
    result: dict[str, Any] = {"lr": LR, "weight_decay": WEIGHT_DECAY, **mlp_shape(settings),
                              "optimizers": {}}
    for config in configs(settings, store):
        metrics = store.metrics(config)
        stats = [{"epoch": m["epoch"], **rate_statistics(np.array(m["sqrt_vhat"]), np.array(m["rate"]),
                                                         np.array(m["fed"]), m["lr"], config["weight_decay"],
                                                         m["eps"])}
                 for m in metrics["measurements"]]
        result["optimizers"][config["optimizer"]] = {
            "test_accuracy": metrics["test_accuracy"], "stats": stats,
            "measurements": metrics["measurements"]}
    return result
