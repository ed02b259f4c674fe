"""optim: optimizers and learning-rate schedules for minigrad, PyTorch-shaped.

    from optim import AdamW
    from optim.lr_scheduler import CosineAnnealingLR

    optimizer = AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    scheduler = CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(epochs):
        for x, y in batches:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
        scheduler.step()

Each optimizer is a small class (hyperparameters, checks, state) and a pure update function
whose docstring gives the rule (``optim.adam.adam_update`` and so on). ``optim.transforms``
tells the same story as composable, optax-style transformations.
"""

from optim import lr_scheduler, transforms
from optim.adagrad import Adagrad
from optim.adam import Adam, AdamW
from optim.adamax import Adamax
from optim.lion import Lion
from optim.muon import Muon
from optim.nadam import NAdam
from optim.optimizer import Optimizer
from optim.radam import RAdam
from optim.rmsprop import RMSprop
from optim.sgd import SGD

__all__ = [
    "Adagrad", "Adam", "AdamW", "Adamax", "Lion", "Muon", "NAdam", "Optimizer", "RAdam", "RMSprop",
    "SGD", "lr_scheduler", "transforms",
]
