"""A first run: train a small network on handwritten digits from scratch, in a few seconds.

    python examples/demo.py

It loads the 8×8 digits scikit-learn ships (standardized, split into train / validation /
test), builds an MLP 64 → 64 → 10, trains it with AdamW on minibatches, and prints how the
validation accuracy grows and the final test accuracy. Everything is seeded: the same numbers
come out on every run.
"""

from __future__ import annotations

import time

import models
import optim
from minigrad.data import load_dataset
from minigrad.train import evaluate, fit


def main() -> None:
    data = load_dataset("digits", val_size=0.1, seed=0)
    print(data)
    model = models.MLP(data.n_features, (64,), data.n_classes, rng=0)
    print(model)
    optimizer = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    loss_fn = models.CrossEntropyLoss()

    start = time.perf_counter()
    history = fit(model, optimizer, loss_fn, data.train, epochs=10, val_data=data.val,
                  batch_size=32, seed=0)
    seconds = time.perf_counter() - start

    for epoch, loss, accuracy in zip(history.epoch, history.train_loss, history.val_metric):
        print(f"epoch {epoch:2d}   train loss {loss:.4f}   validation accuracy {accuracy:.3f}")
    test = evaluate(model, data.test, loss_fn)
    print(f"test accuracy {test['accuracy']:.3f} after {len(history.epoch)} epochs ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
