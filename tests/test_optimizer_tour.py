"""The optimizer tour (examples/optimizer_tour.py): each claim's experiment is run, and the claim is
asserted from the numbers it measures, against values derived here independently (closed forms
of the update rules) wherever there is one."""

from __future__ import annotations

import errno
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import optimizer_tour  # noqa: E402
from optim import Adam, AdamW  # noqa: E402
from tour import bias_correction, plots, runner, weight_decay  # noqa: E402
from tour.adagrad import claim_3_adagrad_dies  # noqa: E402
from tour.bias_correction import claim_5_bias_correction  # noqa: E402
from tour.claim import Claim, steps_to_stay_below  # noqa: E402
from tour.noise import claim_6_momentum_smooths  # noqa: E402
from tour.race import race, sweep  # noqa: E402
from tour.scales import claim_2_two_scales  # noqa: E402
from tour.sparse import claim_4_rare_features, last_present  # noqa: E402
from tour.valley import (QUARTER_DECADES, ROSENBROCK, VALLEY, VALLEY_FAMILIES, arrival,  # noqa: E402
                         bounce_fraction, claim_1_valley)
from tour.weight_decay import claim_7_weight_decay  # noqa: E402

WINDOW, HORIZON = 200, 400          # claim 1, small: SGD (174) and momentum (62, 89) arrive within it


@pytest.fixture(scope="module")
def valley() -> Claim:
    return claim_1_valley(window=WINDOW, horizon=HORIZON)


def test_sgd_on_the_valley_arrives_when_the_closed_form_says(valley):
    # In the valley's eigenbasis SGD scales the offsets (−10, 1) by (1 − γ) and (1 − 100γ) per step.
    lr = valley.numbers["valley.SGD.lr"]
    t = np.arange(HORIZON)
    loss = 0.5 * (100 * (1 - lr) ** (2 * t) + 100 * (1 - 100 * lr) ** (2 * t))
    assert valley.numbers["valley.SGD.steps"] == steps_to_stay_below(loss, VALLEY.threshold) < WINDOW


def test_sgd_bounces_across_the_valley_at_its_best_learning_rate(valley):
    lr = valley.numbers["valley.SGD.lr"]
    assert 1 - 100 * lr < 0                     # the steep offset changes sign on every step
    assert valley.numbers["valley.SGD.bounce"] > 0.9
    assert valley.numbers["valley.SGD.bounce"] > valley.numbers["valley.SGD+momentum.bounce"]
    assert valley.numbers["valley.SGD.bounce"] > valley.numbers["valley.Adam.bounce"]


def test_sgd_needs_more_steps_than_momentum(valley):
    n = valley.numbers
    assert n["valley.SGD.steps"] > 2 * n["valley.SGD+momentum.steps"]
    assert math.isinf(n["Rosenbrock.SGD.steps"]) and n["Rosenbrock.SGD+momentum.steps"] < WINDOW
    assert valley.holds


def test_bounce_fraction_counts_sign_changes_across_the_valley():
    across = lambda points: np.broadcast_to([0.0, 1.0], points.shape)  # noqa: E731
    zigzag = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 1.0], [4.0, 1.5]])
    assert bounce_fraction(zigzag, across) == pytest.approx(2 / 3)


def test_steps_to_stay_below_ignores_a_visit_that_does_not_last():
    assert steps_to_stay_below(np.array([5.0, 0.5, 5.0, 0.5, 0.2]), 1.0) == 3
    assert math.isinf(steps_to_stay_below(np.array([5.0, 0.5, 5.0]), 1.0))
    assert steps_to_stay_below(np.array([0.5, 0.2]), 1.0) == 0


def test_a_run_that_climbs_back_out_after_the_window_has_not_arrived():
    loss = np.array([5.0, 0.5, 0.5, 0.5, 0.5, 5.0, 0.5, 0.5])   # below at step 1, out again at step 5
    assert math.isinf(arrival(loss, 1.0, window=5))              # stays below only from step 6
    assert arrival(loss, 1.0, window=7) == 6
    assert math.isinf(arrival(loss, 1.0, window=6))              # arrival must come within the window


def test_a_full_sweep_to_the_horizon_picks_the_same_learning_rates(valley):
    # The claim runs to the horizon only the runs that can still arrive; running all of them and
    # choosing by the definition (soonest arrival, else lowest loss at the end of the window) agrees.
    for land in (VALLEY, ROSENBROCK):
        record = sweep(land.loss, VALLEY_FAMILIES, QUARTER_DECADES, land.start, HORIZON)
        for name in VALLEY_FAMILIES:
            rows = [record.row((name, lr)) for lr in QUARTER_DECADES]
            arrivals = [arrival(record.loss[r], land.threshold, WINDOW) for r in rows]
            at_window = np.nan_to_num(record.loss[rows, WINDOW - 1], nan=np.inf)
            best = int(np.lexsort((at_window, arrivals))[0])
            assert valley.numbers[f"{land.name}.{name}.lr"] == QUARTER_DECADES[best]
            assert valley.numbers[f"{land.name}.{name}.steps"] == arrivals[best]


def test_adam_gets_below_the_threshold_sooner_than_it_stays_there(valley):
    n = valley.numbers
    assert n["valley.Adam.first_below"] < n["valley.Adam.steps"]
    assert n["valley.Adam.first_below_relapses"] > 0
    # a visit below the threshold that does not last is not an arrival, alone as in the sweep
    lr = n["valley.Adam.first_below_lr"]
    cls, settings = VALLEY_FAMILIES["Adam"]
    alone = race(VALLEY.loss, {"Adam": lambda params: cls(params, lr=lr, **settings)}, VALLEY.start, HORIZON)
    assert np.min(alone.loss[0, :WINDOW]) < VALLEY.threshold
    assert steps_to_stay_below(alone.loss[0], VALLEY.threshold) > n["valley.Adam.first_below"]


def test_one_learning_rate_cannot_serve_two_gradient_scales_but_adaptive_ones_can():
    claim = claim_2_two_scales()
    n = claim.numbers
    # SGD's one-step learning rate for curvature h is 1/h: 1 for x, 1/100 for y.
    assert (n["SGD.best_lr_x"], n["SGD.best_lr_y"], n["SGD.lr_ratio"]) == (1.0, 0.01, pytest.approx(100))
    # y is stable only for γ < 2/100, but x needs (1 − γ)^200 · 1.5 < 1e-3, i.e. γ > 0.036.
    assert 1 - (1e-3 / 1.5) ** (1 / 200) > 2 / 100
    assert n["SGD.lrs_for_both"] == 0 and math.isinf(n["SGD.steps_for_both"])  # no one γ brings both in
    for name in ("AdaGrad", "RMSProp", "Adam"):
        assert n[f"{name}.lr_ratio"] == 1 and n[f"{name}.lrs_for_both"] > 0
        error = claim.arrays[f"{name}.final_error"]
        np.testing.assert_allclose(error[:, 0], error[:, 1], rtol=1e-4, atol=1e-12)   # equal but for ε
    assert claim.holds


def rmsprop_step(t: int, alpha: float = 0.99) -> float:
    """RMSProp's step under a steady gradient, in units of γ/|g|: v_t = (1 − α^t)·g²."""
    return 1 / math.sqrt(1 - alpha**t)


def test_adagrad_step_dies_like_one_over_root_t_while_rmsprop_levels_off():
    claim = claim_3_adagrad_dies(steps=10_000)
    n = claim.numbers
    assert n["AdaGrad.last_over_first"] == pytest.approx(1 / math.sqrt(10_000), rel=1e-6)
    assert n["AdaGrad.last_decade"] == pytest.approx(1 / math.sqrt(10), rel=1e-6)
    assert n["RMSProp.first"] == pytest.approx(rmsprop_step(1), rel=1e-6)
    assert n["RMSProp.at_100"] == pytest.approx(rmsprop_step(100), rel=1e-6)
    assert n["RMSProp.last_decade"] == pytest.approx(rmsprop_step(10_000) / rmsprop_step(1000), rel=1e-6)
    assert abs(n["RMSProp.last_decade"] - 1) < 0.01
    assert claim.holds


def test_rmsprop_still_filling_its_average_is_not_called_level():
    # Over t = 100 → 1000 RMSProp's step still falls to 0.80 of itself: the check must say no.
    claim = claim_3_adagrad_dies(steps=1000)
    assert claim.numbers["RMSProp.last_decade"] == pytest.approx(rmsprop_step(1000) / rmsprop_step(100), rel=1e-6)
    assert not claim.holds


def test_last_present_reads_the_last_finite_step_of_each_column():
    step = np.array([[1.0, np.nan, np.nan], [2.0, 5.0, np.nan], [3.0, np.nan, np.nan]])
    np.testing.assert_array_equal(last_present(step), [3.0, 5.0, np.nan])


@pytest.mark.parametrize("seed", [0, 1])
def test_adagrad_keeps_a_larger_step_for_a_rare_feature_and_ends_nearer_the_target(seed):
    claim = claim_4_rare_features(seed=seed)
    n = claim.numbers
    assert n["ratio_vs_gradients"] < 1e-6           # the step ratio is √(Σ g_frequent² / Σ g_rare²)
    assert 1 / 1.5 < n["AdaGrad.ratio_median"] * math.sqrt(0.02) < 1.5      # about 1/√p
    # Both are tuned on the same grid by the same rule: the smallest |w − w*|, whose root mean
    # square over streams is the hypotenuse of the two weights' errors.
    for name in ("AdaGrad", "SGD"):
        distance = np.hypot(*claim.arrays[f"{name}.errors"].T)
        assert n[f"{name}.lr"] == claim.arrays["lr"][np.argmin(distance)]
        assert n[f"{name}.distance"] == pytest.approx(distance.min(), rel=1e-12)
    assert n["AdaGrad.distance"] < n["SGD.distance"]
    assert n["AdaGrad.rare_error"] < n["SGD.rare_error"] and n["AdaGrad.frequent_error"] < n["SGD.frequent_error"]
    assert claim.holds


def test_uncorrected_first_adam_step_is_3_16_times_the_corrected_one():
    claim = claim_5_bias_correction()
    n = claim.numbers
    beta1, beta2 = 0.9, 0.999
    assert n["first_ratio"] == pytest.approx(math.sqrt(1 / (1 - beta2)) * (1 - beta1), rel=1e-5)
    assert n["first_ratio"] == pytest.approx(3.162, abs=1e-3)
    assert n["predicted_first_ratio"] == pytest.approx(0.1 * math.sqrt(1000), rel=1e-12)  # the verdict prints it
    assert n["first_corrected"] == pytest.approx(1.0, rel=1e-6)
    assert n["motion_vs_intended"] < 1e-6           # every step of Adam's is γ
    assert n["formula_vs_motion"] < 1e-12           # our m̂, v̂ are Adam's: same motion
    t = np.arange(1, 51)
    closed = (1 - beta1**t) / np.sqrt(1 - beta2**t)     # steady gradient: m = (1 − β1^t)g, v = (1 − β2^t)g²
    np.testing.assert_allclose(claim.arrays["uncorrected"], closed, rtol=1e-6)
    assert n["peak_step"] == t[np.argmax(closed)]
    assert claim.holds


def test_the_bias_correction_check_looks_at_adams_motion(monkeypatch):
    # An "Adam" stepping 2γ leaves the algebra of the uncorrected step as it was: the check must say no.
    monkeypatch.setattr(bias_correction, "Adam", lambda params, lr, **settings: Adam(params, lr=2 * lr, **settings))
    claim = claim_5_bias_correction()
    assert claim.numbers["motion_vs_intended"] == pytest.approx(1.0, rel=1e-6)
    assert not claim.holds


@pytest.mark.parametrize("seed", [0, 1])
def test_momentum_reduces_the_spread_of_steps_under_noise(seed):
    claim = claim_6_momentum_smooths(seed=seed)
    n = claim.numbers
    assert n["spread_ratio"] < 0.5
    assert n["spread_ratio"] == pytest.approx(math.sqrt(0.1 / 1.9), rel=0.2)
    assert n["Adam.mean_step"] == pytest.approx(n["RMSProp.mean_step"], rel=0.1)
    assert claim.holds


@pytest.mark.parametrize("seed", [0, 1])
def test_adam_l2_decays_the_two_parameters_unequally_and_adamw_equally(seed):
    claim = claim_7_weight_decay(seed=seed)
    n = claim.numbers
    decay = 0.01 * 0.1                                               # γλ
    # Adam+L2 divides the decay by √v̂ ≈ c, the gradient scale; AdamW multiplies by (1 − γλ).
    assert n["Adam+L2.rate_small_gradient"] == pytest.approx(-math.log(1 - decay), rel=0.05)
    assert n["Adam+L2.rate_large_gradient"] == pytest.approx(-math.log(1 - decay / 100), rel=0.05)
    assert n["AdamW.rate_small_gradient"] == pytest.approx(-math.log(1 - decay), rel=0.05)
    assert n["AdamW.rate_large_gradient"] == pytest.approx(-math.log(1 - decay), rel=0.05)
    assert n["AdamW.rate_ratio"] == pytest.approx(1, abs=1e-6)
    assert claim.holds


def test_the_weight_decay_check_compares_each_rate_with_its_prediction(monkeypatch):
    # An "AdamW" decaying twice as fast still decays both parameters alike: the check must say no.
    monkeypatch.setattr(weight_decay, "AdamW",
                        lambda params, lr, weight_decay: AdamW(params, lr=lr, weight_decay=2 * weight_decay))
    claim = claim_7_weight_decay(steps=300, replicas=64)
    assert claim.numbers["AdamW.rate_ratio"] == pytest.approx(1, abs=1e-6)
    assert claim.numbers["rate_vs_prediction"] > 0.5
    assert not claim.holds


def test_the_seed_fixes_the_noisy_experiments():
    first, again = (claim_7_weight_decay(steps=50, replicas=8, seed=3) for _ in range(2))
    other = claim_7_weight_decay(steps=50, replicas=8, seed=4)
    assert first.numbers == again.numbers
    assert first.numbers != other.numbers


def _files(out: Path) -> set[str]:
    return {p.name for p in out.iterdir()}


def test_quick_tour_writes_tour_md_results_and_figures(tmp_path, capsys):
    claims = optimizer_tour.main(["--quick", "--out", str(tmp_path), "--seed", "1"])
    text = (tmp_path / "tour.md").read_text(encoding="utf-8")
    assert [c.number for c in claims] == list(range(1, 8))
    assert all(c.holds for c in claims)
    for c in claims:
        assert f"## {c.number}. {c.title}" in text and c.verdict in text
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert [c["number"] for c in results["claims"]] == list(range(1, 8)) and results["seed"] == 1
    assert "claim3.AdaGrad.step" in np.load(tmp_path / "raw.npz").files
    if plots.pyplot() is not None:
        assert {f"claim{i}.png" for i in range(1, 8)} <= _files(tmp_path)
        assert "![claim 7](claim7.png)" in text
    assert "7 claims" in capsys.readouterr().out


def test_without_matplotlib_the_tour_still_writes_its_verdicts(tmp_path, monkeypatch):
    monkeypatch.setattr(plots, "pyplot", lambda: None)
    monkeypatch.setattr(runner, "plan", lambda quick, seed: [(claim_5_bias_correction, {})])
    optimizer_tour.main(["--quick", "--out", str(tmp_path)])
    text = (tmp_path / "tour.md").read_text(encoding="utf-8")
    assert "Figures were skipped" in text and "3.162" in text
    assert not any(name.endswith(".png") for name in _files(tmp_path))


def test_help_names_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        optimizer_tour.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert all(option in text for option in ("--out", "--quick", "--seed"))


@pytest.mark.parametrize("argv, quick, seed, command", [
    ([], False, 0, "python examples/optimizer_tour.py --seed 0"),
    (["--quick", "--seed", "5"], True, 5, "python examples/optimizer_tour.py --quick --seed 5"),
])
def test_the_tour_runs_with_the_options_given_and_seed_0_by_default(tmp_path, monkeypatch, capsys, argv, quick,
                                                                       seed, command):
    calls = []
    monkeypatch.setattr(runner, "run", lambda *given: calls.append(given) or runner.Outcome([], True, 0.0))
    optimizer_tour.main([*argv, "--out", str(tmp_path)])
    assert calls == [(quick, seed, tmp_path, command)]


@pytest.mark.parametrize("figures, ending", [
    (True, " and figures in "),
    (False, " (figures skipped: no matplotlib) in "),
])
def test_the_summary_says_which_claims_hold_and_whether_figures_were_drawn(tmp_path, monkeypatch, capsys, figures,
                                                                           ending):
    claims = [Claim(number=n, title=f"t{n}", setup="s", verdict=f"v{n}", holds=n == 1, numbers={}, arrays={})
              for n in (1, 2)]
    monkeypatch.setattr(runner, "run", lambda *given: runner.Outcome(claims, figures, 2.0))
    optimizer_tour.main(["--out", str(tmp_path)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == ["1. t1: borne out", "   v1", "2. t2: NOT borne out", "   v2"]
    assert lines[4] == f"2 claims in 2.0 s; tour.md, results.json, raw.npz{ending}{tmp_path}"


@pytest.mark.parametrize("args, message", [
    (["--seed", "-1"], "argument --seed: must be an integer from 0 to 2**32 - 1 = 4294967295, got '-1'"),
    (["--out", "a_file"], "argument --out: a_file is a file, not a folder"),
    (["--out", "a_file/tour"], "argument --out: cannot create the folder a_file/tour (Not a directory)"),
])
def test_a_bad_seed_or_output_folder_is_refused_before_the_tour(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("not a folder")
    monkeypatch.setattr(runner, "plan", lambda quick, seed: pytest.fail("the tour ran"))
    with pytest.raises(SystemExit) as stop:
        optimizer_tour.main(["--quick", *args])
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"optimizer_tour.py: error: {message}"


@pytest.mark.parametrize("figure", ["claim1.png", "claim7.png", "raw.npz"])
def test_a_folder_where_a_figure_or_the_arrays_go_is_refused_before_anything_runs(tmp_path, monkeypatch, capsys,
                                                                                  figure):
    (tmp_path / figure).mkdir()
    monkeypatch.setattr(runner, "run", lambda quick, seed, out, command: pytest.fail("the tour ran"))
    with pytest.raises(SystemExit) as stop:
        optimizer_tour.main(["--quick", "--out", str(tmp_path)])
    assert stop.value.code == 2
    assert f"cannot write {tmp_path / figure} (Is a directory)" in capsys.readouterr().err


def test_a_file_the_tour_cannot_write_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    def disk_full(quick, seed, out, command):
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "tour.md"))

    monkeypatch.setattr(runner, "run", disk_full)
    with pytest.raises(SystemExit) as stop:
        optimizer_tour.main(["--quick", "--out", str(tmp_path)])
    assert stop.value.code == f"optimizer_tour.py: error: [Errno 28] No space left on device: '{tmp_path / 'tour.md'}'"


def test_a_tour_stopped_part_way_leaves_an_earlier_runs_files_as_they_were(tmp_path, monkeypatch):
    earlier = {"tour.md": "earlier tour", "claim1.png": "earlier figure", "results.json": "{}"}
    for name, text in earlier.items():
        (tmp_path / name).write_text(text)
    done = Claim(number=1, title="t", setup="s", verdict="v", holds=True, numbers={"x": 1.0},
                 arrays={"a": np.zeros(3)})

    def interrupted() -> Claim:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "plan", lambda quick, seed: [(lambda: done, {}), (interrupted, {})])
    with pytest.raises(KeyboardInterrupt):
        runner.run(True, 0, tmp_path, "optimizer_tour.py --quick")
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == earlier
