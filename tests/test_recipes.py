"""minigrad.recipes: the schedules the command lines and estimators build by name."""

from __future__ import annotations

import math
import pickle
import re

import numpy as np
import pytest

import models
import optim
from minigrad import Tensor, recipes
from minigrad.data import load_dataset
from minigrad.recipes import build_optimizer, build_scheduler, sgdr_periods
from minigrad.train import History


def rates(name: str, epochs: int, steps: int | None = None) -> list[float]:
    """The learning rate of each of ``epochs`` epochs under schedule ``name`` (γ₀ = 1), or of
    the first ``steps`` epochs of it (more than ``epochs``: past its end)."""
    optimizer = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=1.0)
    scheduler = build_scheduler(name, optimizer, epochs)
    seen = []
    for _ in range(epochs if steps is None else steps):
        seen.append(optimizer.param_groups[0]["lr"])
        if scheduler is not None:  # (the constant schedule has none)
            scheduler.step()
    return seen


CLASSES = {"sgd": optim.SGD, "adagrad": optim.Adagrad, "rmsprop": optim.RMSprop, "adam": optim.Adam,
           "adamw": optim.AdamW, "nadam": optim.NAdam, "adamax": optim.Adamax, "radam": optim.RAdam,
           "lion": optim.Lion, "muon": optim.Muon}


def bias_free_model() -> models.MLP:
    """A network of matrices only (which every optimizer, Muon too, takes), in one group."""
    return models.MLP(2, (3,), 1, bias=False, rng=0)


@pytest.mark.parametrize("name", CLASSES)
def test_an_optimizer_recipe_is_its_class_with_the_given_rate_and_decay_and_else_its_defaults(name):
    # only SGD changes a default: "sgd" (momentum 0.9), as the estimators' docstring says
    optimizer = build_optimizer(name, bias_free_model(), lr=0.05, weight_decay=0.01)
    cls = CLASSES[name]
    expected = {**cls(bias_free_model().parameters()).defaults, "lr": 0.05, "weight_decay": 0.01}
    if name == "sgd":
        expected["momentum"] = 0.9
    assert type(optimizer) is cls
    assert [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups] == [expected]


class KernelMatrixGain(models.Module):
    """A 3-D kernel, a matrix and a scalar gain, none named bias (so all in the decayed group)."""

    def __init__(self) -> None:
        super().__init__()
        self.kernel = models.Parameter(np.ones((2, 2, 2)))
        self.weight = models.Parameter(np.ones((2, 3)))
        self.gain = models.Parameter(np.ones(()))


def test_the_muon_recipe_gives_muon_the_2d_parameters_only_not_those_of_more_or_fewer_dimensions():
    model = KernelMatrixGain()
    optimizer = build_optimizer("muon", model, weight_decay=0.01)
    assert [([id(p) for p in g["params"]], g["use_muon"]) for g in optimizer.param_groups] == [
        ([id(model.weight)], True), ([id(model.kernel), id(model.gain)], False)]


def test_the_muon_recipe_puts_what_is_not_a_matrix_in_an_adamw_group_at_adamws_rate():
    model = models.MLP(2, (3,), 1, rng=0)
    optimizer = build_optimizer("muon", model, lr=0.05, weight_decay=0.01)
    weights = [model[0].weight, model[2].weight]
    biases = [model[0].bias, model[2].bias]
    assert [([id(p) for p in g["params"]], g["use_muon"], g["lr"], g["weight_decay"])
            for g in optimizer.param_groups] == [
        ([id(p) for p in weights], True, 0.05, 0.01), ([id(p) for p in biases], False, 1e-3, 0.0)]


@pytest.mark.parametrize("name, lr", [
    # the spec's (PyTorch's) default rates, which the recipes of these optimizers take when given none
    ("adagrad", 1e-2), ("adam", 1e-3), ("adamw", 1e-3), ("nadam", 2e-3), ("adamax", 2e-3), ("radam", 1e-3),
    ("lion", 1e-4),
    # the recipes' own where the class's default differs: SGD's 1e-2 (as the estimators' docstring
    # says), RMSprop's 1e-3 (Keras's default, Hinton's suggestion), and Muon's 0.02, the rate of
    # Keller Jordan's reference implementation
    ("sgd", 1e-2), ("rmsprop", 1e-3), ("muon", 2e-2)])
def test_an_optimizer_recipe_given_no_rate_takes_the_usual_one(name, lr):
    assert build_optimizer(name, bias_free_model()).param_groups[0]["lr"] == lr


def test_an_optimizer_recipe_given_a_rate_of_zero_keeps_it():
    # (zero is a rate, not "none given")
    assert build_optimizer("adam", bias_free_model(), lr=0.0).param_groups[0]["lr"] == 0.0


def warmup_then_cosine(warmup: int, epochs: int) -> list[float]:
    """warmup_cosine's rates: linearly from 0.01 up to 1 over ``warmup`` epochs, then a cosine
    from 1 down to 0 at ``epochs``."""
    return [0.01 + 0.99 * e / warmup if e < warmup else (1 + math.cos(math.pi * (e - warmup) / (epochs - warmup))) / 2
            for e in range(epochs)]


@pytest.mark.parametrize("name, epochs, expected", [
    ("constant", 6, [1.0] * 6),
    ("step", 9, [1.0] * 3 + [0.1] * 3 + [0.1**2] * 3),  # ×0.1 after each third
    ("cosine", 8, [(1 + math.cos(math.pi * e / 8)) / 2 for e in range(8)]),
    ("warmup-cosine", 20, warmup_then_cosine(2, 20)),  # a warm-up over the first tenth,
    ("warmup-cosine", 5, warmup_then_cosine(1, 5)),  # of at least one epoch,
    ("warmup-cosine", 15, warmup_then_cosine(1, 15)),  # of the whole epochs in it (1 of 1.5),
    ("warmup-cosine", 2, warmup_then_cosine(1, 2)),  # and over 2 epochs, the fewest it takes
    ("step", 10, [1.0] * 4 + [0.1] * 3 + [0.1**2] * 3),  # from epoch 10/3 = 3.3 on, and 20/3 = 6.7
], ids=["constant", "step", "cosine", "warmup-cosine", "warmup-cosine-short", "warmup-cosine-15",
        "warmup-cosine-2", "step-10"])
def test_each_schedule_gives_the_rates_its_description_states(name, epochs, expected):
    assert rates(name, epochs) == pytest.approx(expected, rel=1e-12, abs=1e-15)


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


@pytest.mark.parametrize("name", ["constant", "step", "cosine", "warmup-cosine", "sgdr"])
@pytest.mark.parametrize("epochs", [0, 2.5])
def test_a_schedule_over_no_whole_number_of_epochs_is_refused_by_name(name, epochs):
    # (step and sgdr divided by zero)
    optimizer = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match=f"a schedule needs epochs >= 1, got epochs={epochs}"):
        build_scheduler(name, optimizer, epochs)


def test_the_step_schedule_stays_at_a_hundredth_past_its_epochs():
    assert rates("step", 6, steps=9) == pytest.approx([1.0] * 2 + [0.1] * 2 + [0.1**2] * 5, rel=1e-12)


def test_sgdr_past_its_epochs_goes_on_with_cycles_twice_as_long():
    optimizer = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=1.0)
    scheduler = build_scheduler("sgdr", optimizer, 7)  # cycles 1, 2, 4; then 8
    lr = []
    for _ in range(16):
        lr.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    assert [lr[e] for e in (7, 11, 15)] == [1.0, pytest.approx(0.5), 1.0]
    restored = pickle.loads(pickle.dumps(scheduler))
    restored.step()
    scheduler.step()
    assert restored.get_last_lr() == scheduler.get_last_lr() != [1.0]


@pytest.mark.parametrize("kind", ["mlp", "linear"])
def test_a_model_recipe_draws_its_initial_weights_from_its_seed(kind):
    data = load_dataset("iris", seed=0)

    def weights(seed: int) -> list[np.ndarray]:
        return [p.data for p in recipes.build_model(kind, data, hidden=(4,), seed=seed).parameters()]

    assert all(np.array_equal(a, b) for a, b in zip(weights(1), weights(1)))
    assert not any(np.array_equal(a, b) for a, b in zip(weights(1), weights(2)) if a.ndim == 2)


@pytest.mark.parametrize("val_loss, val_metric, left, right", [
    ([1.2, 0.7], [0.1, 0.4], [[1.0, 0.5], [1.2, 0.7]], [[0.1, 0.4]]),
    ([], [], [[1.0, 0.5]], []),
], ids=["validation", "none"])
def test_the_history_plot_shows_the_losses_left_and_the_validation_metric_right(monkeypatch, tmp_path, val_loss,
                                                                                 val_metric, left, right):
    saved = []
    monkeypatch.setattr(recipes, "save_figure", lambda figure, path, dpi: saved.append(figure))
    history = History(metric="r2", epoch=[1, 2], train_loss=[1.0, 0.5], val_loss=val_loss, val_metric=val_metric)
    assert recipes.plot_history(history, tmp_path / "curves.png")
    axes = saved[0].axes
    assert [[list(line.get_ydata()) for line in ax.lines] for ax in axes] == [left, right]


@pytest.mark.parametrize("call, error, message", [
    (lambda: recipes.loss_for("clf"), ValueError, "unknown task 'clf'; known: classification, regression"),
    (lambda: sgdr_periods(0), ValueError, "sgdr needs a positive whole number of epochs, got 0"),
    (lambda: sgdr_periods(-3), ValueError, "sgdr needs a positive whole number of epochs, got -3"),
    (lambda: build_optimizer(["adam"], models.MLP(2, (3,), 2)), ValueError, "unknown optimizer ['adam']; known: sgd"),
    (lambda: recipes.build_model("mlp", None), TypeError, "data must be a minigrad.data.Dataset"),
    (lambda: recipes.build_model("mlp", load_dataset("iris"), hidden=5), TypeError,
     "hidden_sizes must be a sequence of layer widths such as (5,), got the int 5"),
], ids=["task", "sgdr 0", "sgdr -3", "optimizer list", "data None", "hidden int"])
def test_recipes_name_what_they_do_not_know(call, error, message):
    # (each gave Python's words: a silent MSELoss for 'clf', (-3,) cycles, 'unhashable type', ...)
    with pytest.raises(error, match=re.escape(message)):
        call()
