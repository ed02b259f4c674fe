"""The Adam+L2 vs AdamW study's summaries and report sentences, on made-up runs whose
validation and test accuracies differ (so a choice made on the wrong rows shows), and the
store's recovery from a damaged last line."""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

from l2study import equivalences, grid, report, same_number, training, weight_norm  # noqa: E402
from l2study.runs import RunStore  # noqa: E402
from l2study.settings import Settings  # noqa: E402

from tests.test_adam_l2_vs_adamw import _rates, _recorded_runs  # noqa: E402

QUICK = Settings(quick=True, seeds=1)


def _cell(config: dict) -> tuple[str, float, float]:
    return config["optimizer"], config["lr"], config["weight_decay"]


# ---------------------------------------------------------------------------- seed statistics
def test_the_spread_over_seeds_is_the_sample_standard_deviation(tmp_path):
    # [0, 1]: deviations ±0.5, squares 0.5 in all, over n − 1 = 1: √0.5 (not √(0.5/2) = 0.5)
    assert training._mean_std([0.0, 1.0]) == (0.5, pytest.approx(math.sqrt(0.5)))
    assert training._mean_std([0.7]) == (0.7, 0.0)
    configs = training.mlp_configs(Settings(quick=True, seeds=2), "adamw", 1e-2, 0.1)
    test, val, norm = {0: 0.8, 1: 0.9}, {0: 0.7, 1: 0.7}, {0: 4.0, 1: 6.0}
    store = _recorded_runs(tmp_path, configs, lambda c: (val[c["seed"]], test[c["seed"]], norm[c["seed"]]))
    stats = training.over_seeds(store, configs)
    # test: 0.85 ± √(2·0.05²/1) = 0.05·√2; ‖W‖: 5 ± √(2·1²/1) = √2; validation: 0.7 ± 0
    assert stats["accuracy"] == pytest.approx(0.85) and stats["accuracy_std"] == pytest.approx(0.05 * math.sqrt(2))
    assert stats["val_accuracy"] == pytest.approx(0.7) and stats["val_accuracy_std"] == pytest.approx(0.0)
    assert stats["norm"] == pytest.approx(5.0) and stats["norm_std"] == pytest.approx(math.sqrt(2))
    assert stats["norm_ratio"] == pytest.approx(1.0) and stats["norms"] == pytest.approx([5.0, 5.0])


# ---------------------------------------------------------------------------- part 1
def _equivalence_summary(tmp_path: Path, gaps: list[float]) -> dict:
    """Part 1's summary for made-up gaps, one per comparison in ``equivalences.COMPARISONS``
    order (three pairs the spec calls equal, then two it calls different)."""
    store = RunStore(tmp_path / "results.jsonl")
    for config, gap in zip(equivalences.configs(Settings(), store), gaps, strict=True):
        store.append(config, {"max_abs_diff": gap}, 0.0)
    return equivalences.summarize(Settings(), store)


def test_part1_summary_takes_the_worst_equivalent_pair_and_the_closest_different_one(tmp_path):
    summary = _equivalence_summary(tmp_path, [0.0, 1e-3, 0.0, 0.5, 0.2])
    assert (summary["worst_equal"], summary["smallest_difference"]) == (1e-3, 0.2)


@pytest.mark.parametrize("gaps, held", [
    ([0.0, 1e-3, 0.0, 0.5, 0.2], False),  # an equivalent pair drifts apart
    ([0.0, 0.0, 0.0, 0.5, 1e-3], False),  # a different pair agrees to 1e-3 (< DIFFERENT = 1e-2)
    ([0.0, 1e-15, 0.0, 0.5, 0.2], True),
], ids=["equal-pair-apart", "different-pair-close", "as-the-spec-says"])
def test_part1_report_says_the_facts_hold_only_when_both_kinds_of_pair_behave(tmp_path, gaps, held):
    text = report._equivalences(_equivalence_summary(tmp_path, gaps))
    assert ("All three facts of the optimizer spec hold." in text) == held
    assert ("**Not as the spec says**" in text) == (not held)


# ---------------------------------------------------------------------------- part 2
def _convergence_row(to_ridge: float, box: float, ridge: float) -> dict:
    return {"adam_l2_to_ridge": to_ridge, "adamw_to_box": box, "adamw_to_ridge": ridge}


def test_part2_headline_gives_the_farthest_adam_l2_ended_from_ridge():
    rows = [_convergence_row(1e-3, 0.01, 0.5), _convergence_row(1e-9, 0.02, 0.4)]
    [line] = report.headlines({"convergence": {"rows": rows}})
    assert line.startswith("2 convergence: Adam+L2 → ridge ≤ 1.0e-03; ")


def test_part2_a_tie_between_box_and_ridge_does_not_show_the_constraint():
    # Adam+L2 on ridge everywhere; AdamW nearer the box once, and as near to ridge as to the box once
    rows = [_convergence_row(1e-9, 0.01, 0.5), _convergence_row(1e-9, 0.2, 0.2)]
    verdict = report._convergence_verdict(rows)
    assert "solve different problems" not in verdict
    assert "AdamW ended no closer to the box than to ridge in 1 of 2 cases" in verdict  # (a tie: not "closer to ridge")
    assert "do not show the constraint" in verdict
    assert "solve different problems" in report._convergence_verdict(rows[:1])


# ---------------------------------------------------------------------------- part 3
def test_part3_adamw_rates_are_all_gamma_lambda_only_if_uniform_at_gamma_lambda():
    decay = 1e-3 * 1e-2  # γλ
    uniform = {"spread": 1.0, "slope": 0.0}
    assert report._adamw_rates({**uniform, "median": 1e-5}, decay).startswith("AdamW's rates are all γλ = 1.0e-05")
    elsewhere = report._adamw_rates({**uniform, "median": 2e-5}, decay)  # uniform, but at 2γλ
    assert elsewhere.startswith("AdamW's rates are not all γλ = 1.0e-05")


def test_part3_small_roots_explain_adam_l2s_rate_only_when_it_exceeds_adamws():
    decay = 1e-3 * 1e-2  # γλ = 1e-5; √v̂ at p95 is 1e-2 < SMALL_ROOT everywhere below
    larger = report._l2_rates(_rates(median=1e-3), decay)
    assert larger.endswith("median rate is 100× AdamW's, because √v̂ ≪ 1 here.")
    smaller = report._l2_rates(_rates(median=5e-6), decay)  # γλ/(√v̂ + ε) > γλ cannot give 0.5×
    assert smaller.endswith("median rate is 0.5× AdamW's.") and "≪" not in smaller


# ---------------------------------------------------------------------------- part 4
def test_part4_best_cell_is_chosen_on_validation_accuracy_not_test(tmp_path):
    by_val = {("adam_l2", 1e-2, 1e-2), ("adamw", 3e-3, 10.0)}
    by_test = {("adam_l2", 3e-2, 1.0), ("adamw", 1e-2, 1.0)}

    def run(config):
        cell = _cell(config)
        if cell in by_val:
            return 0.9, 0.6, 5.0
        return (0.7, 0.97, 5.0) if cell in by_test else (0.5, 0.5, 5.0)

    store = _recorded_runs(tmp_path, grid.configs(QUICK, None), run)
    assert grid.best_cells(QUICK, store) == {"adam_l2": (1e-2, 1e-2), "adamw": (3e-3, 10.0)}


def test_part4_a_tie_for_the_best_cell_goes_to_the_first_cell(tmp_path):
    # the grid is walked by learning rate, then by λ: γ = 3e-3 comes before γ = 3e-2
    tied = {("adam_l2", 3e-3, 1.0), ("adam_l2", 3e-2, 1e-4), ("adamw", 1e-2, 1e-2), ("adamw", 3e-2, 1e-2)}
    store = _recorded_runs(tmp_path, grid.configs(QUICK, None),
                      lambda c: (0.9, 0.8, 5.0) if _cell(c) in tied else (0.5, 0.5, 5.0))
    assert grid.best_cells(QUICK, store) == {"adam_l2": (3e-3, 1.0), "adamw": (1e-2, 1e-2)}


def test_part4_band_centre_is_the_geometric_mean():
    assert grid.band_centre([1e-4, 1e-3, 1e-2]) == pytest.approx(1e-3)  # arithmetic: 3.7e-3
    assert grid.band_centre([1e-3, 1e-1]) == pytest.approx(1e-2)
    assert grid.band_centre([0.5]) == pytest.approx(0.5)


def test_part4_summary_reads_best_and_good_decays_on_validation_and_gives_both_slopes(tmp_path):
    settings = Settings(seeds=1)  # lrs 1e-3 … 1e-1 by half decades
    lrs, wds = grid.axes(settings)
    assert lrs == (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
    # the λ of validation accuracy 0.9 in each row (the others 0.6); at γ = 3e-3 and 3e-2 every λ,
    # so those rows reach both ends of the grid and are left out of the slope
    good = {"adam_l2": {1e-3: {1e-3, 1e-2}, 1e-2: {1e-3}, 1e-1: {1e-4}},
            "adamw": {1e-3: {1.0}, 1e-2: {0.1}, 1e-1: {1e-2}}}

    def run(config):
        kind, lr, wd = _cell(config)
        val = 0.9 if wd in good[kind].get(lr, wds[kind]) else 0.6
        test = 0.97 if wd == wds[kind][-1] else 0.5  # on the test rows the largest λ would win
        return val, test, 5.0

    summary = grid.summarize(settings, _recorded_runs(tmp_path, grid.configs(settings, None), run))
    l2, w = summary["optimizers"]["adam_l2"], summary["optimizers"]["adamw"]
    assert l2["best_wd_per_lr"] == [1e-3, 1e-5, 1e-3, 1e-5, 1e-4]  # the first of a row's ties
    assert w["best_wd_per_lr"] == [1.0, 1e-3, 0.1, 1e-3, 1e-2]
    assert l2["bands"][0] == [1e-3, 1e-2] and l2["bands"][1] == list(wds["adam_l2"])
    assert (l2["slope_rows"], l2["slope_dropped"], w["slope_rows"], w["slope_dropped"]) == (3, 2, 3, 2)
    # AdamW: log λ = −3 − log γ at γ = 1e-3, 1e-2, 1e-1 → slope −1; in the paper's λ_p = γλ,
    # log λ_p = log γ + log λ, so slope −1 + 1 = 0
    assert w["slope"] == pytest.approx(-1.0) and w["slope_paper"] == pytest.approx(0.0, abs=1e-9)
    # Adam+L2: centres √(1e-3·1e-2) = 10^−2.5, 1e-3, 1e-4 at log γ = −3, −2, −1; mean log γ −2,
    # mean log λ −9.5/3; slope Σ(x − x̄)(y − ȳ)/Σ(x − x̄)² = ((−1)(2/3) + (1)(−5/6))/2 = −0.75
    assert l2["slope"] == pytest.approx(-0.75) and l2["slope_paper"] == pytest.approx(0.25)


def _slopes(l2_slope: float, adamw_slope: float) -> dict:
    """A part 4 summary reduced to what ``_pattern`` reads: each slope of λ against γ (the
    paper's λ_p = γλ has that slope + 1) and the final ‖W‖ with the least decay."""
    def optimizer(slope):
        return {"slope": slope, "slope_paper": slope + 1, "norm": [[1.0], [2.0]]}
    return {"lrs": [1e-3, 1e-1], "optimizers": {"adam_l2": optimizer(l2_slope), "adamw": optimizer(adamw_slope)}}


@pytest.mark.parametrize("l2_slope, adamw_slope, verdict", [
    (-1.0, -1.0, "This grid shows the paper's pattern."),  # AdamW's λ_p flat in γ
    (-1.0, 0.0, "This grid does not show the paper's pattern."),  # AdamW's λ flat, so λ_p rises
    (0.5, -1.0, "This grid does not show the paper's pattern."),  # only Adam+L2's λ rises
    (0.5, 0.0, "This grid does not show the paper's pattern: both optimizers want more decay at larger "
               "learning rates, and with the least decay of the grid the final ‖W‖ goes from 1 at γ = 0.001 "
               "to 2 at γ = 0.1 (Adam+L2; AdamW: 1 to 2)."),
])
def test_part4_the_papers_pattern_is_read_on_adamws_slope_in_the_papers_parameterization(l2_slope, adamw_slope,
                                                                                          verdict):
    assert report._pattern(_slopes(l2_slope, adamw_slope)) == verdict


@pytest.mark.parametrize("seeds, caveat", [(1, "With one seed"), (2, "With 2 seeds"), (4, "With 4 seeds"),
                                           (5, None), (10, None)])
def test_part4_fewer_than_five_seeds_get_a_caveat(seeds, caveat):
    text = report._seed_caveat(seeds)
    if caveat is None:
        assert text == ""
    else:
        assert text.startswith(" " + caveat)


# ---------------------------------------------------------------------------- part 5
def _collapse_at(tmp_path: Path, accuracies: list[float]):
    """Part 5's ``collapse_at`` for Adam+L2 whose mean test accuracy at the three quick λ is
    ``accuracies`` (validation accuracy 0.9 throughout; AdamW 0.95 throughout)."""
    wds = same_number.weight_decays(QUICK)
    assert wds == (1e-4, 1e-2, 1.0)
    test = dict(zip(wds, accuracies))
    store = _recorded_runs(tmp_path, same_number.configs(QUICK, None),
                      lambda c: (0.9, test[c["weight_decay"]] if c["optimizer"] == "adam_l2" else 0.95, 5.0))
    optimizers = same_number.summarize(QUICK, store)["optimizers"]
    assert optimizers["adamw"]["collapse_at"] is None
    return optimizers["adam_l2"]["collapse_at"]


def test_part5_collapse_is_at_the_smallest_decay_whose_test_accuracy_falls_below_the_threshold(tmp_path):
    assert _collapse_at(tmp_path / "two", [0.9, 0.1, 0.05]) == 1e-2
    assert _collapse_at(tmp_path / "at-threshold", [0.9, 0.2, 0.1]) == 1.0  # 0.2 is not below 0.2
    assert _collapse_at(tmp_path / "never", [0.9, 0.5, 0.3]) is None


# ---------------------------------------------------------------------------- part 6
def test_part6_settings_come_from_the_grid_on_validation_and_undecayed_adam_at_their_rates(tmp_path):
    best = {("adam_l2", 3e-2, 1e-2), ("adamw", 3e-3, 1.0)}  # by validation accuracy
    adam_val, adam_test = {3e-3: 0.5, 1e-2: 0.9, 3e-2: 0.6}, {3e-3: 0.5, 1e-2: 0.6, 3e-2: 0.95}
    adam_norm = {3e-3: 7.0, 1e-2: 8.0, 3e-2: 9.0}

    def run(config):
        if config["optimizer"] == "adam":
            lr = config["lr"]
            return adam_val[lr], adam_test[lr], adam_norm[lr]
        return (0.9, 0.5, 2.0) if _cell(config) in best else (0.5, 0.9, 3.0)

    adam_runs = [c for group in weight_norm.adam_configs(QUICK).values() for c in group]
    store = _recorded_runs(tmp_path, grid.configs(QUICK, None) + adam_runs, run)
    assert grid.complete(QUICK, store)
    summary = weight_norm.summarize(QUICK, store)
    assert summary["from_grid"] is True
    curves = summary["curves"]
    assert (curves["adam"]["lr"], curves["adam"]["norms"]) == (1e-2, [5.0, 8.0])
    assert [(curves[k]["lr"], curves[k]["weight_decay"]) for k in ("adam_l2", "adamw")] == [(3e-2, 1e-2), (3e-3, 1.0)]
    undecayed = summary["undecayed"]
    assert (undecayed["adam_l2"]["lr"], undecayed["adam_l2"]["norms"]) == (3e-2, [5.0, 9.0])
    assert (undecayed["adamw"]["lr"], undecayed["adamw"]["norms"]) == (3e-3, [5.0, 7.0])


def test_part6_report_gives_each_decayed_norm_as_a_percentage_of_the_undecayed_one():
    def curve(lr, wd, norms):
        return {"lr": lr, "weight_decay": wd, "accuracy": 0.9, "accuracy_std": 0.0, "norms": norms}

    summary = {"from_grid": True,
               "curves": {"adam": curve(1e-2, 0.0, [5.0, 9.0, 8.0]), "adam_l2": curve(3e-2, 1e-2, [5.0, 4.0, 2.0]),
                          "adamw": curve(3e-3, 1.0, [5.0, 7.0, 6.0])},
               "undecayed": {"adam_l2": {"lr": 3e-2, "norms": [5.0, 9.0, 8.0]},
                             "adamw": {"lr": 3e-3, "norms": [5.0, 10.0, 8.0]}}}
    text = report._weight_norm(summary)
    # 2 of 8 is 25 %, 6 of 8 is 75 %
    assert "Adam+L2 ends at 2 (peak 5), against 8 for Adam without decay at the same γ = 0.03: 25 %" in text
    assert "AdamW ends at 6 (peak 7), against 8 for Adam without decay at the same γ = 0.003: 75 %" in text


# ---------------------------------------------------------------------------- the store
def test_a_damaged_last_line_ending_in_a_newline_is_cut_off_whole(tmp_path):
    path = tmp_path / "results.jsonl"
    RunStore(path).append({"kind": "x", "n": 1}, {"value": 1.0}, 0.1)
    intact = path.read_text()
    with open(path, "a", encoding="utf-8") as file:
        file.write('{"config": {"kind": "x", "n": 2}, "metr\n')  # damaged, yet newline-terminated
    with pytest.warns(UserWarning, match="incomplete"):
        store = RunStore(path)
    assert len(store) == 1 and store.metrics({"kind": "x", "n": 1}) == {"value": 1.0}
    assert path.read_text() == intact
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing left to cut
        assert len(RunStore(path)) == 1
