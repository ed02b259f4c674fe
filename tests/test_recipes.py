"""minigrad.recipes: the schedules the command lines and estimators build by name."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import optim
from minigrad import Tensor
from minigrad.recipes import build_scheduler, sgdr_periods


def rates(name: str, epochs: int) -> list[float]:
    """The learning rate of each of ``epochs`` epochs under schedule ``name`` (γ₀ = 1)."""
    optimizer = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=1.0)
    scheduler = build_scheduler(name, optimizer, epochs)
    seen = []
    for _ in range(epochs):
        seen.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    return seen


@pytest.mark.parametrize("epochs", range(1, 130))
def test_sgdr_cycles_add_up_to_the_epochs_in_the_proportion_1_2_4(epochs):
    periods = sgdr_periods(epochs)
    assert sum(periods) == epochs and min(periods) >= 1
    assert len(periods) == (3 if epochs >= 7 else 2 if epochs >= 3 else 1)
    ideal = [epochs * 2**i / (2 ** len(periods) - 1) for i in range(len(periods))]
    assert np.all(np.abs(np.cumsum(periods) - np.cumsum(ideal)) <= 0.5)


@pytest.mark.parametrize("epochs", range(2, 130))
def test_sgdr_ends_at_the_bottom_of_its_last_cycle_not_just_after_a_restart(epochs):
    lr = rates("sgdr", epochs)
    starts = set(np.cumsum([0, *sgdr_periods(epochs)[:-1]]).tolist())
    assert all(lr[e] == 1.0 if e in starts else lr[e] < lr[e - 1] for e in range(epochs))
    assert lr[-1] < lr[-2] and lr[-1] <= (0.5 if epochs < 7 else 0.15)


def test_sgdr_past_its_epochs_goes_on_with_cycles_twice_as_long():
    optimizer = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=1.0)
    scheduler = build_scheduler("sgdr", optimizer, 7)  # cycles 1, 2, 4; then 8
    assert [scheduler.lr_at(1.0, e) for e in (7, 11, 15)] == [1.0, pytest.approx(0.5), 1.0]
    assert pickle.loads(pickle.dumps(scheduler)).lr_at(1.0, 9) == scheduler.lr_at(1.0, 9)
