"""The Adam+L2 vs AdamW study's numbers against independent computations: each part's runs
redone in plain numpy from the update rules the docstrings state (least squares, Adam, AdamW,
SGD, the cosine schedule), its references checked by their optimality conditions, its data
by the properties the data module promises, its statistics on inputs whose answer is known by
construction; and the report sentences that carry those numbers. Every run here is tiny."""

from __future__ import annotations

import copy
import math
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

import adam_l2_vs_adamw  # noqa: E402
import models  # noqa: E402
from l2study import (convergence, data, equivalences, grid, per_parameter, report, runs,  # noqa: E402
                     same_number, training, weight_norm)
from l2study.runs import RunStore  # noqa: E402
from l2study.settings import Settings  # noqa: E402
from minigrad import Tensor, no_grad  # noqa: E402
from minigrad.data import MAX_SEED  # noqa: E402

from tests.test_adam_l2_vs_adamw import _rates, _recorded_runs  # noqa: E402

QUICK = Settings(quick=True, seeds=1)
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8  # Adam's and AdamW's defaults, which the study keeps


def _adam_step(theta, g, m, v, t, lr):
    """One Adam step from its docstring: m ← β1m + (1−β1)g, v ← β2v + (1−β2)g², then
    θ ← θ − γ·m̂/(√v̂ + ε) with m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t). Returns (θ, m, v)."""
    m = BETA1 * m + (1 - BETA1) * g
    v = BETA2 * v + (1 - BETA2) * g * g
    return theta - lr * (m / (1 - BETA1**t)) / (np.sqrt(v / (1 - BETA2**t)) + EPS), m, v


def _gradient(x, y, theta):
    """∇ of L(θ) = (1/2n)‖Xθ − y‖²: Xᵀ(Xθ − y)/n."""
    return x.T @ (x @ theta - y) / len(y)


# ---------------------------------------------------------------------------- settings and CLI
def test_the_last_seed_may_be_the_largest_one_scikit_learn_takes_but_not_beyond():
    assert Settings(seed=MAX_SEED, seeds=1).seed_list == [MAX_SEED]
    assert Settings(seed=MAX_SEED - 2, seeds=3).seed_list == [MAX_SEED - 2, MAX_SEED - 1, MAX_SEED]
    with pytest.raises(ValueError, match="the last seed"):
        Settings(seed=MAX_SEED - 1, seeds=3)


def test_the_seeds_are_the_base_seed_and_the_ones_after_it():
    assert Settings(seed=5, seeds=3).seed_list == [5, 6, 7]


def test_the_command_defaults_are_the_readmes_default_run_seed_0_and_3_seeds(tmp_path):
    # README, "The main study": "What the default run measured (seed 0, 3 seeds)"
    args = adam_l2_vs_adamw.parse_args(["--out", str(tmp_path)])
    assert args.settings == Settings(seed=0, seeds=3, quick=False)


def test_every_part_runs_on_the_seeds_of_its_settings():
    settings = Settings(seed=7, seeds=2, quick=True)
    for part in (equivalences, convergence, per_parameter):  # the single-seed parts: the base seed
        assert {config["seed"] for config in part.configs(settings, None)} == {7}
    for configs in (list(grid.cell_configs(settings).values()) + list(same_number.setting_configs(settings).values())
                    + list(weight_norm.adam_configs(settings).values())):
        assert [config["seed"] for config in configs] == [7, 8]


def test_the_quick_study_is_a_reduced_one():
    quick, full = training.mlp_shape(Settings(quick=True)), training.mlp_shape(Settings())
    assert quick["epochs"] < full["epochs"] and quick["hidden"] <= full["hidden"]
    assert convergence.steps(Settings(quick=True)) < convergence.steps(Settings())
    assert len(grid.configs(Settings(quick=True), None)) < len(grid.configs(Settings(), None))


# ---------------------------------------------------------------------------- data
@pytest.mark.parametrize("problem", ["synthetic", "diabetes"])
def test_least_squares_columns_are_standardized_and_y_centred(problem):
    x, y = data.least_squares(problem, 3)
    assert np.allclose(x.mean(axis=0), 0, atol=1e-12) and np.allclose(x.std(axis=0), 1, atol=1e-12)
    assert abs(y.mean()) < 1e-12
    if problem == "diabetes":
        assert y.std() == pytest.approx(1.0, abs=1e-12)  # "y also scaled to unit variance"


def test_a_constant_column_standardizes_to_zeros_without_a_division_by_zero():
    with np.errstate(all="raise"):
        z = data._standardize(np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 6.0]]))
    # column 2: mean 4, σ = √(8/3)
    assert z.tolist() == [[0.0, pytest.approx(-math.sqrt(1.5))], [0.0, 0.0], [0.0, pytest.approx(math.sqrt(1.5))]]


def test_the_synthetic_problem_is_the_documented_one():
    # x = z + 0.5·s (z, s standard normal): every column has variance 1.25 and any two columns
    # covariance 0.25, correlation 0.2 (which standardizing keeps). y = xθ* + 0.5·noise, so least
    # squares on the standardized columns finds θ*_j·σ_j ≈ 1.12·θ*_j, and residuals of std ≈ 0.5.
    theta = np.array([3.0, -2.0, 1.5, -1.0, 0.5, -0.25, 0.1, 0.0])
    x, y = data.least_squares("synthetic", 0)
    assert x.shape == (200, 8)
    correlation = np.corrcoef(x.T)[np.triu_indices(8, 1)]
    assert 0.1 < correlation.mean() < 0.3
    ls = np.linalg.lstsq(x, y, rcond=None)[0]
    assert np.all((0.9 < ls[:4] / theta[:4]) & (ls[:4] / theta[:4] < 1.35))
    assert 0.4 < np.std(y - x @ ls) < 0.6


# ---------------------------------------------------------------------------- training
def test_the_weight_norm_is_the_frobenius_norm_over_the_weight_matrices_without_the_biases():
    model = models.MLP(2, (2,), 1, rng=0, dtype=np.float64)
    named = dict(model.named_parameters())
    named["0.weight"].data[...] = [[1.0, 2.0], [2.0, 0.0]]
    named["2.weight"].data[...] = [[4.0, -2.0]]
    named["0.bias"].data[...] = 100.0
    named["2.bias"].data[...] = -100.0
    assert training.weight_norm(model) == pytest.approx(math.sqrt(1 + 4 + 4 + 16 + 4))  # √29


def _tiny_training(kind: str, epochs: int, cosine: bool = True, seed: int = 0):
    """A 4-unit MLP trained on the digits in batches of 512 (⌈1077/512⌉ = 3 steps per epoch);
    returns the result and the learning rate of every step."""
    digits = data.digits(seed)
    model = training.make_mlp(digits, 4, seed)
    optimizer = training.make_optimizer(kind, model, 0.1, 0.01)
    lrs = []

    def step():
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()

    result = training.train_classifier(model, optimizer, digits, epochs=epochs, batch_size=512, seed=seed,
                                       cosine=cosine, step=step)
    return result, lrs


def test_the_cosine_learning_rate_is_stepped_once_per_epoch():
    result, lrs = _tiny_training("adamw", epochs=4)
    assert len(data.digits(0).y_train) == 1077
    # γ_e = γ_0·(1 + cos(πe/4))/2 for the 3 steps of epoch e = 0 … 3: 0.1, 0.0854, 0.05, 0.0146
    expected = [0.1 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4) for _ in range(3)]
    assert lrs == pytest.approx(expected, rel=1e-12)
    assert len(result["weight_norms"]) == 4 + 1
    _, constant = _tiny_training("adamw", epochs=2, cosine=False)
    assert constant == [0.1] * 6


def test_the_batches_are_shuffled_by_a_seeded_stream_apart_from_the_weights_one(monkeypatch):
    states = []
    real = training.batches

    def spy(x, y, batch_size, rng):
        states.append(copy.deepcopy(rng.bit_generator.state))
        return real(x, y, batch_size, rng=rng)

    monkeypatch.setattr(training, "batches", spy)
    for seed in (0, 1):
        _tiny_training("adam", epochs=1, seed=seed)
    assert states[0] != states[1]  # each seed its own batch order
    for seed, state in zip((0, 1), states):  # and not the generator MLP(rng=seed) draws the weights from
        assert state != np.random.default_rng(seed).bit_generator.state


def test_an_mlp_run_anneals_to_zero_and_measures_validation_train_accuracy_and_last_epochs_loss(monkeypatch):
    built, optimizers, losses = [], [], []
    real_make_mlp, real_make_optimizer, real_cross_entropy = training.make_mlp, training.make_optimizer, \
        training.F.cross_entropy
    monkeypatch.setattr(training, "make_mlp", lambda *args: built.append(real_make_mlp(*args)) or built[-1])
    monkeypatch.setattr(training, "make_optimizer",
                        lambda *args: optimizers.append(real_make_optimizer(*args)) or optimizers[-1])

    def cross_entropy(logits, targets):
        loss = real_cross_entropy(logits, targets)
        losses.append(loss.item())
        return loss

    monkeypatch.setattr(training.F, "cross_entropy", cross_entropy)
    metrics = training.run_mlp({"kind": "mlp", "optimizer": "adamw", "lr": 1e-2, "weight_decay": 0.1, "seed": 2,
                                "hidden": 8, "epochs": 2, "batch_size": 512})
    monkeypatch.undo()
    # the cosine schedule has run its course: γ_2 = γ_0·(1 + cos(π·2/2))/2 = 0
    assert optimizers[0].param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-15)
    # 2 epochs of ⌈1077/512⌉ = 3 batches (512, 512 and 53 rows): the last epoch's are the 4th to 6th
    # losses, and its mean training loss is per row, the batch means weighted by their sizes
    assert metrics["train_loss"] == pytest.approx(np.average(losses[3:6], weights=[512, 512, 53]), rel=1e-12)
    digits = data.digits(2)
    with no_grad():
        for rows in ("val", "train"):
            x, y = getattr(digits, f"X_{rows}"), getattr(digits, f"y_{rows}")
            predicted = built[0](Tensor(x)).data.argmax(axis=1)
            assert metrics[f"{rows}_accuracy"] == np.mean(predicted == y)


def test_seed_statistics_take_the_last_epochs_norm_against_the_first(tmp_path):
    configs = training.mlp_configs(Settings(quick=True, seeds=2), "adamw", 1e-2, 0.1)
    store = RunStore(tmp_path / "results.jsonl")
    for config, norms in zip(configs, ([4.0, 9.0, 2.0], [5.0, 7.0, 6.0])):
        store.append(config, {"val_accuracy": 0.5, "test_accuracy": 0.5, "train_accuracy": 0.5, "train_loss": 1.0,
                              "weight_norms": norms}, 0.0)
    stats = training.over_seeds(store, configs)
    # final norms 2 and 6: mean 4, sample std √8; ratios 2/4 and 6/5: mean 0.85
    assert stats["norm"] == pytest.approx(4.0) and stats["norm_std"] == pytest.approx(math.sqrt(8))
    assert stats["norm_ratio"] == pytest.approx(0.85) and stats["norms"] == pytest.approx([4.5, 8.0, 4.0])


# ---------------------------------------------------------------------------- part 1
def _reference_trajectory(variant: str, x, y, theta0, *, steps: int, lr: float, weight_decay: float):
    """θ_0 … θ_steps of ``variant`` written out from equivalences' docstring: coupled forms add
    λθ to ∇L (the penalty λ/2‖θ‖² has gradient λθ), decoupled forms first shrink θ by (1 − γλ);
    then an Adam step, a momentum step (b ← g on step 1, then b ← μb + g; θ ← θ − γb), or a
    plain step θ ← θ − γg."""
    theta, m, v, b = theta0.copy(), np.zeros_like(theta0), np.zeros_like(theta0), None
    out = [theta.copy()]
    for t in range(1, steps + 1):
        g = _gradient(x, y, theta)
        if variant in ("adam_wd", "adam_penalty", "sgd_wd", "sgd_penalty", "sgdm_wd"):
            g = g + weight_decay * theta
        else:
            theta = theta * (1 - lr * weight_decay)
        if variant.startswith("adam"):
            theta, m, v = _adam_step(theta, g, m, v, t, lr)
        elif variant.startswith("sgdm"):
            b = g if b is None else 0.9 * b + g
            theta = theta - lr * b
        else:
            theta = theta - lr * g
        out.append(theta.copy())
    return np.array(out)


def _start(x, y, seed):
    """θ_0, the same for every variant: any start serves, so it is read from the code."""
    return equivalences.trajectory("adam_wd", x, y, steps=0, lr=0.1, weight_decay=0.1, seed=seed)[0]


@pytest.mark.parametrize("variant", list(equivalences.VARIANTS))
def test_part1_each_variant_follows_its_update_rule(variant):
    x, y = data.least_squares("synthetic", 1)
    common = dict(steps=30, lr=0.05, weight_decay=0.1)
    thetas = equivalences.trajectory(variant, x, y, seed=1, **common)
    assert thetas.shape == (31, 8)
    assert np.allclose(thetas, _reference_trajectory(variant, x, y, _start(x, y, 1), **common), rtol=0, atol=1e-10)


def test_part1_the_gap_is_the_largest_over_all_steps_on_the_seeds_problem():
    settings = Settings(seed=1)
    x, y = data.least_squares("synthetic", 1)
    for config in equivalences.configs(settings, None):
        common = dict(steps=config["steps"], lr=config["lr"], weight_decay=config["weight_decay"])
        assert config["steps"] == 100  # README: "(float64, 100 steps)"
        a, b = (_reference_trajectory(config[k], x, y, _start(x, y, 1), **common) for k in ("a", "b"))
        assert equivalences.run(config)["max_abs_diff"] == pytest.approx(np.max(np.abs(a - b)), rel=1e-6, abs=1e-12)


# ---------------------------------------------------------------------------- part 2
def _reference_fit(x, y, kind: str, *, weight_decay: float, lr: float, steps: int, seed: int):
    """Full-batch Adam+L2 (λθ added to ∇L) or AdamW (θ ← θ(1 − γ_kλ) first) on (1/2n)‖Xθ − y‖²,
    step k (0-based) at γ_k = γ(1 + cos(πk/steps))/2: the cosine from γ down to 0."""
    theta = models.LinearRegression(x.shape[1], 1, bias=False, rng=seed, dtype=np.float64).weight.data.ravel()
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for k in range(steps):
        lr_k = lr * (1 + math.cos(math.pi * k / steps)) / 2
        g = _gradient(x, y, theta)
        if kind == "adam_l2":
            g = g + weight_decay * theta
        else:
            theta = theta * (1 - lr_k * weight_decay)
        theta, m, v = _adam_step(theta, g, m, v, k + 1, lr_k)
    return theta


@pytest.mark.parametrize("kind", ["adam_l2", "adamw"])
def test_part2_fit_is_adam_l2_or_adamw_under_a_cosine_down_to_zero(kind):
    x, y = data.least_squares("synthetic", 2)
    common = dict(weight_decay=1.0, lr=0.01, steps=300, seed=2)
    theta = convergence.fit(x, y, kind, **common)
    assert np.allclose(theta, _reference_fit(x, y, kind, **common), rtol=0, atol=1e-10)


def test_part2_references_are_ridge_with_alpha_n_lambda_and_the_box_of_half_width_one_over_lambda():
    x, y = data.least_squares("synthetic", 0)
    n, weight_decay = len(y), 2.0
    refs = convergence.references(x, y, weight_decay)
    # ridge: the minimiser of (1/2n)‖Xθ − y‖² + λ/2‖θ‖² solves (XᵀX/n + λI)θ = Xᵀy/n
    assert np.allclose(refs["ridge"], np.linalg.solve(x.T @ x / n + weight_decay * np.eye(8), x.T @ y / n))
    assert np.allclose(x.T @ (x @ refs["ls"] - y), 0, atol=1e-9)
    # box: KKT of min ‖Xθ − y‖² s.t. |θ_i| ≤ 1/λ: inside, ∇ = 0; on a face, ∇ pushes outward
    box, g, bound = refs["box"], _gradient(x, y, refs["box"]), 1 / weight_decay
    assert np.all(np.abs(box) <= bound + 1e-12)
    on_face = np.abs(box) > bound - 1e-9
    assert on_face.sum() >= 2 and np.all(np.sign(box[on_face]) * g[on_face] < 0)
    assert np.allclose(g[~on_face], 0, atol=1e-9)


def test_part2_run_gives_the_largest_coordinate_distance_to_each_reference():
    config = {"kind": "least_squares", "problem": "synthetic", "optimizer": "adamw", "weight_decay": 2.0,
              "lr": 0.01, "steps": 300, "seed": 0}
    result = convergence.run(config)
    theta = np.array(result["theta"])
    x, y = data.least_squares("synthetic", 0)
    ridge = np.linalg.solve(x.T @ x / len(y) + 2.0 * np.eye(8), x.T @ y / len(y))
    assert result["to_ridge"] == pytest.approx(np.max(np.abs(theta - ridge)), rel=1e-9)
    assert result["to_box"] == pytest.approx(np.max(np.abs(theta - np.array(result["box"]))), rel=1e-12)


def test_part2_the_quick_study_takes_the_middle_decay_of_each_problem():
    quick = {(c["problem"], c["weight_decay"]) for c in convergence.configs(Settings(quick=True), None)}
    assert quick == {(problem, sorted(wds)[1]) for problem, wds in convergence.WEIGHT_DECAYS.items()}


def test_part2_summary_keeps_each_optimizers_distances_apart(tmp_path):
    store = RunStore(tmp_path / "results.jsonl")
    refs = {"ls": [3.0, 0.2], "ridge": [0.5, 0.1], "box": [1.0, 0.2]}
    made_up = {"adam_l2": {"theta": [0.5, 0.1], "to_ridge": 1e-12, "to_box": 0.4},
               "adamw": {"theta": [0.99, 0.2], "to_ridge": 0.49, "to_box": 0.01}}
    for config in convergence.configs(QUICK, None):
        store.append(config, {**refs, **made_up[config["optimizer"]]}, 0.0)
    for row in convergence.summarize(QUICK, store)["rows"]:
        assert (row["adam_l2_to_ridge"], row["adam_l2_to_box"]) == (1e-12, 0.4)
        assert (row["adamw_to_ridge"], row["adamw_to_box"]) == (0.49, 0.01)
        assert row["coefficients"]["Adam+L2"] == [0.5, 0.1] and row["coefficients"]["AdamW"] == [0.99, 0.2]


# ---------------------------------------------------------------------------- part 3
def test_part3_watched_epochs_are_the_first_a_quarter_half_and_the_last():
    assert per_parameter.watched_epochs(20) == [1, 5, 10, 20]
    assert per_parameter.watched_epochs(4) == [1, 2, 4]
    assert per_parameter.watched_epochs(2) == [1, 2]  # a quarter of 2 epochs rounds to 0: not an epoch
    assert per_parameter.watched_epochs(1) == [1]


def test_part3_statistics_of_rates_known_by_construction():
    # 101 usable weights with r = 1e-5·√v̂^(−1/2)·wobble, plus 6 to leave out: 3 with no loss
    # gradient, one with √v̂ = 0, two with r ≤ 0. Percentiles of 101 values at 5/50/95 are the
    # 6th, 51st and 96th smallest; the slope is the least-squares one of log r on log √v̂.
    root = np.logspace(-4, -1, 101)
    wobble = 10 ** (0.5 * np.sin(np.arange(101)))
    r = 1e-5 * root**-0.5 * wobble
    sqrt_vhat = np.concatenate([root, [1e-3, 1e-3, 1e-3, 0.0, 1e-2, 1e-2]])
    rate = np.concatenate([r, [1.0, 1.0, 1.0, 1.0, 0.0, -1e-3]])
    fed = np.concatenate([np.ones(101, bool), [False, False, False, True, True, True]])
    stats = per_parameter.rate_statistics(sqrt_vhat, rate, fed, lr=1e-3, weight_decay=1e-2, eps=1e-8)
    ordered = np.sort(r)
    lx, ly = np.log10(root), np.log10(r)
    slope = np.sum((lx - lx.mean()) * (ly - ly.mean())) / np.sum((lx - lx.mean()) ** 2)
    assert (stats["n"], stats["excluded"]) == (107, 6)
    assert (stats["p5"], stats["median"], stats["p95"]) == pytest.approx((ordered[5], ordered[50], ordered[95]))
    assert stats["spread"] == pytest.approx(ordered[95] / ordered[5])
    reverse = np.sum((ly - ly.mean()) ** 2) / np.sum((lx - lx.mean()) * (ly - ly.mean()))  # log √v̂ on log r
    assert stats["slope"] == pytest.approx(slope) and abs(reverse - slope) > 0.01  # (the wobble tells them apart)
    assert (stats["sqrt_vhat_p5"], stats["sqrt_vhat_p95"]) == pytest.approx((root[5], root[95]))


def test_part3_stationary_error_is_the_median_distance_to_the_prediction_with_epsilon():
    # r = γλ/(√v̂ + ε)·(1 + e), 51 weights off by e = 0.1 and 50 by e = 2: the median of |e| is 0.1
    # (the mean would be ≈ 1.04); ε = 1e-2 is not negligible against √v̂ ∈ [1e-4, 1e-1]
    root, eps = np.logspace(-4, -1, 101), 1e-2
    e = np.where(np.arange(101) % 2 == 0, 0.1, 2.0)
    rate = 1e-3 * 1e-2 / (root + eps) * (1 + e)
    stats = per_parameter.rate_statistics(root, rate, np.ones(101, bool), lr=1e-3, weight_decay=1e-2, eps=eps)
    assert stats["stationary_error"] == pytest.approx(0.1)


# ---------------------------------------------------------------------------- part 4
def test_part4_good_band_is_within_one_std_of_the_rows_best_cell_its_std_not_others():
    # best 0.90 ± 0.03: the band is λ with accuracy ≥ 0.87; 0.85 is out (it would be in at 2 std),
    # and the first cell's large std does not widen the band
    wds = [1e-3, 1e-2, 1e-1, 1.0]
    band = grid.good_band(wds, np.array([0.85, 0.90, 0.88, 0.50]), np.array([0.5, 0.03, 0.01, 0.01]))
    assert band == [1e-2, 1e-1]


def test_part4_each_optimizer_gets_five_consecutive_decades_of_decay():
    lrs, wds = grid.axes(Settings())
    for kind in grid.OPTIMIZERS:
        assert len(wds[kind]) == 5 and np.allclose(np.diff(np.log10(wds[kind])), 1.0)


def test_part4_summary_reports_the_best_cells_test_accuracy_and_counts_near_best_on_validation(tmp_path):
    # one seed (no spread); validation accuracy by (γ index, λ index), test accuracy 1.2 − validation,
    # so that the best validation cell (1e-2, middle λ) has the worst test score, 0.3
    val = [[0.5, 0.6, 0.7], [0.5, 0.9, 0.5], [0.8, 0.5, 0.5]]
    lrs, wds = grid.axes(QUICK)

    def run(config):
        accuracy = val[lrs.index(config["lr"])][wds[config["optimizer"]].index(config["weight_decay"])]
        return accuracy, 1.2 - accuracy, 5.0

    summary = grid.summarize(QUICK, _recorded_runs(tmp_path, grid.configs(QUICK, None), run))
    for kind in grid.OPTIMIZERS:
        o = summary["optimizers"][kind]
        assert (o["best"]["lr"], o["best"]["weight_decay"]) == (1e-2, wds[kind][1])
        assert o["best"]["accuracy"] == pytest.approx(0.3) and o["best"]["val_accuracy"] == pytest.approx(0.9)
        assert o["best_accuracy_per_lr"] == pytest.approx([0.7, 0.9, 0.8])  # row maxima (columns: 0.8, 0.9, 0.7)
        assert o["near_best"] == 1  # the best cell itself: with no spread, only a tie would be near it


# ---------------------------------------------------------------------------- part 5
def test_part5_runs_at_the_readmes_learning_rate_over_decays_from_1e_4_to_1():
    # README, "The main study", 5: "at λ = 1 (γ 1e-3)"; module docstring: "λ runs from 1e-4 to 1"
    assert {c["lr"] for c in same_number.configs(Settings(), None)} == {1e-3}
    for settings in (Settings(), Settings(quick=True)):
        wds = same_number.weight_decays(settings)
        assert (wds[0], wds[-1]) == (1e-4, 1.0) and list(wds) == sorted(wds)


# ---------------------------------------------------------------------------- the store
def test_a_runs_identity_does_not_depend_on_the_order_of_its_config_keys():
    assert runs.config_key({"seed": 1, "lr": 0.1}) == runs.config_key({"lr": 0.1, "seed": 1})


def test_pending_runs_are_each_given_once_in_their_order():
    a, b = {"kind": "x", "n": 1}, {"kind": "x", "n": 2}
    assert RunStore(Path("/nonexistent/results.jsonl")).pending([a, b, dict(a), b]) == [a, b]


# ---------------------------------------------------------------------------- report
def test_part1_report_gives_each_different_pairs_own_gap():
    rows = [{"a": "a", "b": equivalences.DESCRIPTIONS[b], "expected": e, "max_abs_diff": gap}
            for (_, b, e), gap in zip(equivalences.COMPARISONS, [0.0, 0.0, 0.0, 0.49, 0.2])]
    text = report._equivalences({"rows": rows, "steps": 100, "lr": 0.05, "weight_decay": 0.1, "momentum": 0.9,
                                 "worst_equal": 0.0, "smallest_difference": 0.2})
    assert "momentum 0.9 move up to 0.49 apart" in text and "AdamW(weight_decay=λ) up to 0.2 (Adam" in text


def test_part2_report_text_gives_adamws_distances_to_the_box_and_to_ridge_and_the_cut_coefficients():
    def row(box, ridge):
        return {"problem": "synthetic", "weight_decay": 2.0, "bound": 0.5, "n_ls_outside": 3, "n_active": 2,
                "n_coefficients": 8, "adam_l2_to_ridge": 1e-12, "adam_l2_to_box": 0.4, "adamw_to_box": box,
                "adamw_to_ridge": ridge}

    text = report._convergence({"rows": [row(0.01, 0.5), row(0.03, 0.7)], "steps": 100, "lr": 0.01})
    assert "AdamW ends 1.0e-02 to 3.0e-02 from the box-constrained" in text
    assert "and 5.0e-01 to 7.0e-01 from ridge; it is closer to the box solution in 2 of 2 cases" in text
    assert "| 3/8 |" in text  # least-squares coefficients outside the box, not those the box holds


def test_part3_report_reads_a_flat_slope_as_flat():
    text = report._l2_rates(_rates(slope=0.1), 1e-5)
    assert "hardly depend on the weight's gradient RMS (log-log slope 0.10" in text and "fall with" not in text


def test_part3_report_and_headline_read_the_last_watched_epoch():
    first, last = _rates(epoch=1, spread=3.0, slope=0.5), _rates(epoch=4, spread=100.0, slope=-1.0)
    uniform = _rates(epoch=4, p5=1e-5, median=1e-5, p95=1e-5, spread=1.0, slope=0.0)
    summary = {"hidden": 8, "lr": 1e-3, "weight_decay": 1e-2,
               "optimizers": {"adam_l2": {"stats": [first, last]}, "adamw": {"stats": [_rates(epoch=1), uniform]}}}
    text = report._per_parameter(summary).split("\n\n")[-1]
    assert "At epoch 4, AdamW's rates are all γλ" in text and "a factor 100, and fall with" in text
    [line] = report.headlines({"per-parameter": summary})
    assert line == "3 per-parameter decay p95/p5: Adam+L2 100 (slope vs √v̂ -1.00), AdamW 1.000000"


def test_part4_report_reads_the_direction_of_a_slope_and_gives_gamma_lambda():
    assert report._coupling(-0.5) == "fall by about 0.5 decades per decade of learning rate"
    assert report._coupling(1.5) == "rise by about 1.5 decades per decade of learning rate"
    best = {"lr": 0.03, "weight_decay": 1.0, "accuracy": 0.976, "accuracy_std": 0.006}
    assert report._grid_best({"best": best}) == "γ = 0.03, λ = 1 (λ_p = γλ = 3.0e-02): 0.976 ± 0.006"


def test_part4_a_band_of_one_decay_at_an_edge_is_marked_at_that_edge():
    wds = [1e-2, 1e-1, 1.0]
    assert [report._band({"bands": [[wd]], "weight_decays": wds}, 0) for wd in wds] == ["≤ 0.01", "0.1", "≥ 1"]


def test_part4_per_lr_table_gives_adamws_good_decays_per_step_as_gamma_lambda():
    o = {"best_wd_per_lr": [0.1], "best_accuracy_per_lr": [0.9], "bands": [[0.1]], "weight_decays": [1e-2, 0.1, 1.0]}
    table = report._per_lr_table({"lrs": [1e-2], "optimizers": {"adam_l2": o, "adamw": o}})
    assert table.splitlines()[-1] == "| 0.01 | 0.1 (0.900) | 0.1 | 0.1 (0.900) | 0.1 | 1e-03 |"  # 0.01 · 0.1


def test_part4_a_slope_halfway_to_the_diagonal_is_not_the_papers_pattern():
    def optimizer(slope):
        return {"slope": slope, "slope_paper": slope + 1, "norm": [[1.0], [2.0]]}
    summary = {"lrs": [1e-3, 1e-1], "optimizers": {"adam_l2": optimizer(-0.4), "adamw": optimizer(-1.0)}}
    assert report._pattern(summary) == "This grid does not show the paper's pattern."


def test_part5_report_gives_the_shrink_per_step_and_the_bound_of_the_largest_decay():
    stat = {"accuracy": 0.9, "accuracy_std": 0.0, "norm": 4.0, "norm_ratio": 0.8}
    o = {"stats": [stat, stat], "collapse_at": None}
    text = report._same_number({"lr": 1e-3, "weight_decays": [1e-4, 0.5], "optimizers": {"adam_l2": o, "adamw": o}})
    assert "γλ = 5e-04 per step" in text and "1/λ = 2 (part 2)" in text  # 1e-3 · 0.5 and 1/0.5


def test_headlines_of_parts_5_and_6_give_the_largest_decay_and_the_final_norm():
    def stat(accuracy, norm):
        return {"accuracy": accuracy, "norm": norm}
    same = {"weight_decays": [1e-4, 1.0], "optimizers": {"adam_l2": {"stats": [stat(0.95, 5.0), stat(0.14, 0.2)]},
                                                        "adamw": {"stats": [stat(0.96, 5.0), stat(0.94, 3.0)]}}}
    norms = {"curves": {"adam": {"norms": [5.0, 9.0, 8.0]}, "adamw": {"norms": [5.0, 7.0, 4.0]}}}
    assert report.headlines({"same-number": same, "weight-norm": norms}) == [
        "5 same λ = 1: Adam+L2 accuracy 0.140, ‖W‖ 0.2; AdamW accuracy 0.940, ‖W‖ 3",
        "6 final ‖W‖: Adam (no decay) 8, AdamW 4"]
