"""The same MLP training step as minigrad's, written out by hand in numpy: the speed limit.

An MLP 64-H-H-10 with ReLU, softmax cross-entropy (mean over the batch) and AdamW. Written the
way a careful numpy programmer would: all parameters, gradients and moments live in single flat
buffers (the per-layer arrays are views into them), so the AdamW update is a handful of
vectorised in-place calls over everything at once (block by block, so that the passes over one
block stay in cache, and with every buffer starting on a cache line), and matmuls write into
preallocated outputs.
"""

from __future__ import annotations

import math

import numpy as np

from optim import flat

# [(W, b), ...] of an MLP, input to output, W of shape (out, in): how the tools exchange weights.
Layers = list[tuple[np.ndarray, np.ndarray]]


class NumpyMLP:
    """Layers given as a list of (W, b) with W of shape (out, in), copied into flat buffers."""

    def __init__(self, layers: Layers, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        dtype = layers[0][0].dtype
        sizes = [a.size for w, b in layers for a in (w, b)]
        self.theta, self.grad, self.m, self.v, self.scratch = (flat.aligned_zeros(sum(sizes), dtype) for _ in range(5))
        self.params = self._views(self.theta, layers)
        self.grads = self._views(self.grad, layers)
        for (w, b), (w_in, b_in) in zip(self.params, layers):
            w[...] = w_in
            b[...] = b_in
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        size = flat.BLOCK_BYTES // self.theta.itemsize
        self.blocks = [tuple(a[lo:lo + size] for a in (self.theta, self.grad, self.m, self.v, self.scratch))
                       for lo in range(0, self.theta.size, size)]
        self.t = 0

    @staticmethod
    def _views(buffer: np.ndarray, layers: Layers) -> Layers:
        views, offset = [], 0
        for w, b in layers:
            wv = buffer[offset:offset + w.size].reshape(w.shape)
            offset += w.size
            bv = buffer[offset:offset + b.size]
            offset += b.size
            views.append((wv, bv))
        return views

    def loss_and_grad(self, x: np.ndarray, y: np.ndarray) -> float:
        """Forward and backward; gradients land in the flat ``grad`` buffer."""
        activations = [x]
        h = x
        last = len(self.params) - 1
        for i, (w, b) in enumerate(self.params):
            z = h @ w.T
            z += b
            if i < last:
                np.maximum(z, 0, out=z)
            activations.append(z)
            h = z
        logits = h
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        n, classes = logits.shape
        picked = np.arange(0, n * classes, classes) + y  # where logits[i, y[i]] lies in logits.ravel()
        loss = float(np.mean(np.log(total[:, 0]) - shifted.reshape(-1)[picked]))
        delta = exp / total  # softmax
        delta.reshape(-1)[picked] -= 1
        delta /= n
        for i in range(last, -1, -1):
            w, _ = self.params[i]
            gw, gb = self.grads[i]
            h_in = activations[i]
            np.matmul(delta.T, h_in, out=gw)
            delta.sum(axis=0, out=gb)
            if i > 0:
                delta = delta @ w
                delta *= np.sign(h_in)  # ReLU'(z): 1 where the layer's output was positive, else 0
        return loss

    def adamw_step(self) -> None:
        """θ ← θ(1 − γλ);  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
        θ ← θ − γ√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε√(1−β2ᵗ)), in place on the flat buffers, one
        cache-sized block at a time (as minigrad's optimizers do: see ``optim.flat``). The blocks
        start on cache lines: the buffers do, and a block holds a whole number of lines."""
        self.t += 1
        beta1, beta2 = self.betas
        decay = 1 - self.lr * self.weight_decay
        root_c2 = math.sqrt(1 - beta2**self.t)
        eps_hat = self.eps * root_c2
        step_size = self.lr * root_c2 / (1 - beta1**self.t)
        for theta, g, m, v, tmp in self.blocks:
            theta *= decay
            m *= beta1
            np.multiply(g, 1 - beta1, out=tmp)
            m += tmp
            v *= beta2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - beta2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += eps_hat
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            theta -= tmp

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        loss = self.loss_and_grad(x, y)
        self.adamw_step()
        return loss
