"""One runner per tool, each training the same MLP 64-H-H-10 (ReLU, softmax cross-entropy,
AdamW with lr 1e-3 and weight decay 1e-2, float32) on the same digits minibatches.

A runner is built from the initial layers [(W, b), ...] (W of shape (out, in)) and offers
``steps(k)``: k training steps (forward, backward, optimizer step) on consecutive batches, and
``gradients(x, y)``: the loss gradients of the current weights on one batch, as float64
[(dW, db), ...], so that a test can check that every tool does the same work.
"""

from __future__ import annotations

import warnings

import numpy as np

import minigrad.functional as F
from minigrad import Tensor
from models import MLP
from optim import AdamW

from benchmarks.numpy_reference import Layers, NumpyMLP

LR, WEIGHT_DECAY = 1e-3, 1e-2


class Batches:
    """Consecutive minibatches of a fixed dataset, wrapping around (no shuffling: equal work)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int) -> None:
        self.X, self.y, self.batch_size, self.start = X, y, batch_size, 0

    def next(self) -> tuple[np.ndarray, np.ndarray]:
        if self.start + self.batch_size > len(self.X):
            self.start = 0
        s = slice(self.start, self.start + self.batch_size)
        self.start += self.batch_size
        return self.X[s], self.y[s]


def initial_layers(hidden: int, seed: int = 0) -> Layers:
    """The starting weights every tool copies: those of ``models.MLP`` with this seed."""
    ps = MLP(64, (hidden, hidden), 10, rng=seed, dtype=np.float32).parameters()
    return [(ps[i].data.copy(), ps[i + 1].data.copy()) for i in range(0, len(ps), 2)]


class MinigradRunner:
    name = "minigrad"

    def __init__(self, layers: Layers, batches: Batches) -> None:
        hidden = layers[0][0].shape[0]
        self.model = MLP(64, (hidden, hidden), 10, dtype=np.float32)
        self.model.load_state_dict(
            {f"{2 * i}.{k}": a for i, (w, b) in enumerate(layers) for k, a in (("weight", w), ("bias", b))}
        )
        self.optimizer = AdamW(self.model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        self.batches = batches

    def steps(self, k: int) -> None:
        model, optimizer = self.model, self.optimizer
        for _ in range(k):
            x, y = self.batches.next()
            loss = F.cross_entropy(model(Tensor(x)), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    def gradients(self, x: np.ndarray, y: np.ndarray) -> Layers:
        self.model.zero_grad()
        F.cross_entropy(self.model(Tensor(x)), y).backward()
        ps = self.model.parameters()
        return [(ps[i].grad.astype(np.float64), ps[i + 1].grad.astype(np.float64)) for i in range(0, len(ps), 2)]


class NumpyRunner:
    name = "numpy"

    def __init__(self, layers: Layers, batches: Batches) -> None:
        self.net = NumpyMLP(layers, lr=LR, weight_decay=WEIGHT_DECAY)
        self.batches = batches

    def steps(self, k: int) -> None:
        for _ in range(k):
            self.net.train_step(*self.batches.next())

    def gradients(self, x: np.ndarray, y: np.ndarray) -> Layers:
        self.net.loss_and_grad(x, y)
        return [(gw.astype(np.float64), gb.astype(np.float64)) for gw, gb in self.net.grads]


class SklearnRunner:
    """scikit-learn's MLPClassifier(solver="adam"). It has no decoupled weight decay: its
    ``alpha`` is an L2 penalty, set here to the same λ, which costs the same arithmetic.

    ``fit`` runs one epoch over exactly k prepared batches (k Adam steps); ``warm_start``
    keeps the weights between calls, so the timing holds sklearn's per-``fit`` overhead
    (input checks, label encoding) spread over k steps, but not its weight initialisation.
    """

    name = "sklearn"

    def __init__(self, layers: Layers, batches: Batches) -> None:
        from sklearn.neural_network import MLPClassifier

        hidden = layers[0][0].shape[0]
        self.layers, self.batches, self.prepared = layers, batches, {}
        self.clf = MLPClassifier(
            hidden_layer_sizes=(hidden, hidden), solver="adam", learning_rate_init=LR,
            alpha=WEIGHT_DECAY, batch_size=batches.batch_size, max_iter=1, shuffle=False,
            tol=0.0, n_iter_no_change=10**9, warm_start=True, random_state=0,
        )
        self.steps(1)

    def _data(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        if k not in self.prepared:
            xs, ys = zip(*(self.batches.next() for _ in range(k)))
            self.prepared[k] = np.concatenate(xs), np.concatenate(ys)
        return self.prepared[k]

    def steps(self, k: int) -> None:
        X, y = self._data(k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: one epoch is intended
            self.clf.fit(X, y)

    def gradients(self, x: np.ndarray, y: np.ndarray) -> Layers:
        """The gradients from sklearn's own backprop (a private method) at our weights."""
        from sklearn.preprocessing import LabelBinarizer

        clf = self.clf
        clf.coefs_ = [w.T.astype(np.float64) for w, _ in self.layers]
        clf.intercepts_ = [b.astype(np.float64) for _, b in self.layers]
        clf.alpha = 0.0
        onehot = LabelBinarizer().fit(np.arange(10)).transform(y).astype(np.float64)
        n = len(self.layers)
        coef_grads = [np.empty_like(c) for c in clf.coefs_]
        intercept_grads = [np.empty_like(b) for b in clf.intercepts_]
        x64 = x.astype(np.float64)
        clf._backprop(x64, onehot, None, [x64] + [None] * n, [None] * n, coef_grads, intercept_grads)
        return [(gw.T, gb) for gw, gb in zip(coef_grads, intercept_grads)]


class TorchRunner:
    """PyTorch on the CPU (only when it is installed)."""

    name = "pytorch"

    def __init__(self, layers: Layers, batches: Batches) -> None:
        import torch

        self.torch = torch
        hidden = layers[0][0].shape[0]
        self.model = torch.nn.Sequential(
            torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, hidden),
            torch.nn.ReLU(), torch.nn.Linear(hidden, 10),
        )
        linears = [m for m in self.model if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for layer, (w, b) in zip(linears, layers):
                layer.weight.copy_(torch.from_numpy(w))
                layer.bias.copy_(torch.from_numpy(b))
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        self.batches = batches

    def steps(self, k: int) -> None:
        torch = self.torch
        for _ in range(k):
            x, y = self.batches.next()
            loss = torch.nn.functional.cross_entropy(self.model(torch.from_numpy(x)), torch.from_numpy(y))
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def gradients(self, x: np.ndarray, y: np.ndarray) -> Layers:
        torch = self.torch
        self.optimizer.zero_grad()
        torch.nn.functional.cross_entropy(self.model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        ps = [p.grad.numpy().astype(np.float64) for p in self.model.parameters()]
        return [(ps[i], ps[i + 1]) for i in range(0, len(ps), 2)]


def available_runners() -> tuple[list[type], list[str]]:
    """The runner classes that can run here, and notes on those that cannot."""
    runners: list[type] = [MinigradRunner, NumpyRunner, SklearnRunner]
    notes = []
    try:
        import torch  # noqa: F401

        runners.append(TorchRunner)
    except ImportError:
        notes.append("PyTorch is not installed: skipped (pip install torch to include it)")
    return runners, notes
