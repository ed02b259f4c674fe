"""The Adam+L2 vs AdamW study (examples/adam_l2_vs_adamw.py): its facts, on small problems,
and its machinery (quick run, report, resume, Dask)."""

from __future__ import annotations

import errno
import json
import math
import re
import shlex
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

import adam_l2_vs_adamw  # noqa: E402
import models  # noqa: E402
import optim  # noqa: E402
from l2study import (convergence, equivalences, grid, per_parameter, plots, report, runs,  # noqa: E402
                     same_number, study, training)
from l2study.data import digits  # noqa: E402
from l2study.runs import RunStore, config_key  # noqa: E402
from l2study.settings import Settings  # noqa: E402
from l2study.training import make_optimizer, run_mlp  # noqa: E402
from minigrad import Tensor, no_grad  # noqa: E402
from minigrad.data import load_dataset  # noqa: E402

QUICK = Settings(quick=True, seeds=1)


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# ---------------------------------------------------------------------------- the facts
@pytest.mark.parametrize("config", equivalences.configs(Settings(), None),
                         ids=lambda c: f"{c['a']}-vs-{c['b']}")
def test_part1_equivalent_pairs_agree_to_rounding_and_different_pairs_do_not(config):
    expected = {(a, b): e for a, b, e in equivalences.COMPARISONS}[config["a"], config["b"]]
    gap = equivalences.run(config)["max_abs_diff"]
    if expected == "equal":
        assert gap < 1e-12
    else:
        assert gap > 1e-2


def _least_squares(kind: str) -> dict:
    return convergence.run({"kind": "least_squares", "problem": "synthetic", "optimizer": kind,
                            "weight_decay": 2.0, "lr": 0.01, "steps": 2000, "seed": 0})


def test_part2_adam_l2_lands_on_ridge_and_adamw_near_the_box_solution_far_from_ridge():
    adam, adamw = _least_squares("adam_l2"), _least_squares("adamw")
    assert np.sum(np.abs(adam["ls"]) > 1 / 2.0) >= 2  # the box cuts some coefficients
    assert adam["to_ridge"] < 1e-10
    assert adamw["to_box"] < 0.1
    assert adamw["to_ridge"] > 0.2
    assert adam["to_box"] > 0.2


def test_part2_summary_counts_the_coefficients_the_box_cuts(tmp_path):
    # made-up runs: least squares has two of its three coefficients outside the box |θᵢ| ≤ 1/λ,
    # and the box solution holds those two at its walls
    store = RunStore(tmp_path / "results.jsonl")
    configs = convergence.configs(QUICK, None)
    for config in configs:
        bound = 1 / config["weight_decay"]
        ls = [3 * bound, 0.5 * bound, -2 * bound]
        box = [bound, 0.5 * bound, -bound]
        store.append(config, {"theta": box, "ls": ls, "ridge": [0.0] * 3, "box": box,
                              "to_ridge": 1.0, "to_box": 0.0}, 0.0)
    rows = convergence.summarize(QUICK, store)["rows"]
    assert len(rows) == len(configs) // 2
    for row in rows:
        assert row["bound"] == 1 / row["weight_decay"]
        assert (row["n_coefficients"], row["n_active"], row["n_ls_outside"]) == (3, 2, 2)


def test_part2_report_concludes_penalty_versus_constraint_only_when_the_distances_show_it():
    row = {"problem": "synthetic", "weight_decay": 1.0, "bound": 1.0, "n_ls_outside": 2, "n_coefficients": 8,
           "adam_l2_to_ridge": 0.3, "adam_l2_to_box": 0.4, "adamw_to_box": 0.5, "adamw_to_ridge": 0.01}
    text = report._convergence({"rows": [row, row], "steps": 100, "lr": 0.01})
    assert "and only that" not in text and "thus solve different problems" not in text
    assert "farther than 1e-06 in 2 of 2 cases" in text
    assert "AdamW ended no closer to the box than to ridge in 2 of 2 cases" in text


def _rates(**changes) -> dict:
    return {"epoch": 4, "n": 100, "excluded": 10, "p5": 1e-4, "median": 1e-3, "p95": 1e-2, "spread": 100.0,
            "slope": -1.0, "stationary_error": 0.01, "sqrt_vhat_p5": 1e-3, "sqrt_vhat_p95": 1e-2, **changes}


def _per_parameter_text(adam_l2: dict, adamw: dict) -> str:
    summary = {"hidden": 8, "lr": 1e-3, "weight_decay": 1e-2,
               "optimizers": {"adam_l2": {"stats": [adam_l2]}, "adamw": {"stats": [adamw]}}}
    return report._per_parameter(summary).split("\n\n")[-1]


def test_part3_report_reads_the_rates_as_measured():
    uniform = _rates(p5=1e-5, median=1e-5, p95=1e-5, spread=1.0, slope=0.0)
    expected = _per_parameter_text(_rates(), uniform)
    assert "AdamW's rates are all γλ" in expected and "fall with the weight's gradient RMS" in expected
    assert "regularized least" in expected and "because √v̂ ≪ 1" in expected

    odd = _per_parameter_text(_rates(slope=0.8, stationary_error=0.5, median=5e-6, sqrt_vhat_p95=2.0),
                              _rates(p5=1e-5, median=2e-5, p95=4e-5, spread=4.0))
    assert "AdamW's rates are not all γλ" in odd and "Every weight shrinks by the same factor" not in odd
    assert "rise with the weight's gradient RMS (log-log slope 0.80" in odd and "fall with" not in odd
    assert "They do not match the stationary prediction" in odd
    assert "regularized least" not in odd and "≪" not in odd and "median rate is 0.5× AdamW's." in odd


def _decay_statistics(kind: str) -> dict:
    config = next(c for c in per_parameter.configs(QUICK, None) if c["optimizer"] == kind)
    last = per_parameter.run(config)["measurements"][-1]
    return per_parameter.rate_statistics(np.array(last["sqrt_vhat"]), np.array(last["rate"]),
                                         np.array(last["fed"]), last["lr"], config["weight_decay"], last["eps"])


@pytest.mark.parametrize("kind, weights_decay, rule", [("adam", 0.0, optim.Adam), ("adam_l2", 0.1, optim.Adam),
                                                      ("adamw", 0.1, optim.AdamW)])
def test_the_studys_optimizers_decay_the_weights_only_and_adam_not_at_all(kind, weights_decay, rule):
    model = models.MLP(4, (3,), 2, rng=0)
    optimizer = make_optimizer(kind, model, 1e-3, 0.1)
    assert type(optimizer) is rule
    decay = {id(p): group["weight_decay"] for group in optimizer.param_groups for p in group["params"]}
    assert {name: decay[id(p)] for name, p in model.named_parameters()} == {
        "0.weight": weights_decay, "0.bias": 0.0, "2.weight": weights_decay, "2.bias": 0.0}


def test_part3_measures_at_the_last_step_of_each_watched_epoch():
    config = {**per_parameter.configs(QUICK, None)[0], "hidden": 8, "epochs": 4, "batch_size": 64}
    n_train = len(digits(config["seed"]).y_train)
    assert n_train % 64  # a short last batch: an epoch is ⌈n / 64⌉ steps, not ⌊n / 64⌋
    measurements = per_parameter.run(config)["measurements"]
    assert [(m["epoch"], m["step"]) for m in measurements] == [(e, e * math.ceil(n_train / 64)) for e in (1, 2, 4)]


def test_part3_adam_l2_decay_spreads_over_orders_of_magnitude_with_sqrt_v_while_adamw_is_uniform():
    adam, adamw = _decay_statistics("adam_l2"), _decay_statistics("adamw")
    # the first layer's weights from pixels constant in the training rows get no loss gradient:
    # left out for both optimizers (under Adam+L2 their √v̂ comes from λθ alone)
    constant_pixels = int(np.sum(digits(QUICK.seed).X_train.std(axis=0) == 0))
    hidden = per_parameter.configs(QUICK, None)[0]["hidden"]
    assert constant_pixels > 0
    assert min(adam["excluded"], adamw["excluded"]) >= constant_pixels * hidden
    assert adam["spread"] > 10
    assert -1.2 < adam["slope"] < -0.8  # r ∝ 1/√v̂
    assert adam["stationary_error"] < 0.2
    assert adamw["spread"] < 1 + 1e-9
    assert adamw["median"] == pytest.approx(1e-3 * 1e-2, rel=1e-9)  # γλ


def _recorded_runs(tmp_path: Path, configs: list[dict], run) -> RunStore:
    """A store holding made-up MLP runs: ``run(config)`` gives (validation accuracy, test
    accuracy, final ‖W‖); ‖W‖ starts at 5."""
    store = RunStore(tmp_path / "results.jsonl")
    for config in configs:
        val, test, norm = run(config)
        store.append(config, {"val_accuracy": val, "test_accuracy": test, "train_accuracy": test,
                              "train_loss": 0.5, "weight_norms": [5.0, norm]}, 0.0)
    return store


def _recorded(tmp_path: Path, configs: list[dict], accuracy) -> RunStore:
    """Made-up runs whose validation and test accuracy are both ``accuracy(config)``, and whose
    ‖W‖ ends at that fraction of its start."""
    return _recorded_runs(tmp_path, configs, lambda c: (accuracy(c), accuracy(c), 5.0 * accuracy(c)))


def _grid_report(tmp_path: Path, settings: Settings, accuracy) -> tuple[dict, str]:
    store = _recorded(tmp_path, grid.configs(settings, None), accuracy)
    summary = grid.summarize(settings, store)
    return summary, report._grid(summary)


def test_part4_rows_whose_good_decays_reach_an_end_of_the_grid_are_left_out_of_the_slope():
    lrs, wds = [1e-3, 1e-2, 1e-1, 1.0], [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    inside = [[1e-4], [1e-3], [1e-2]]  # λ ∝ γ: slope 1
    fit = grid.coupling_slope(lrs, [[1e-5, 1e-4]] + inside, wds)
    assert fit == {"slope": pytest.approx(1.0), "rows": 3, "dropped": 1}
    assert grid.coupling_slope(lrs, inside + [[1e-1, 1.0]], wds)["dropped"] == 1
    assert grid.coupling_slope(lrs, [[1e-5, 1e-4], [1e-5], [1e-3], [1e-2]], wds)["slope"] is None


def test_part4_report_says_the_slope_cannot_be_measured_when_the_good_decays_reach_the_grid_edge(tmp_path):
    # accuracy flat from the smallest λ of the grid up to its middle one, at every learning rate
    settings = Settings(quick=True, seeds=3)
    top = {kind: wds[-1] for kind, wds in grid.axes(settings)[1].items()}
    summary, text = _grid_report(tmp_path, settings, lambda c: (0.5 if c["weight_decay"] == top[c["optimizer"]]
                                                                 else 0.95 + 0.001 * c["seed"]))
    assert summary["optimizers"]["adam_l2"]["slope"] is None
    assert "≤ 0.0001 … 0.01" in text
    assert text.count("only 0 of 3 rows keep their good λ inside the grid") == 2
    assert "on this grid the slope cannot be measured" in text
    assert "cannot say whether the paper's pattern holds" in text


def test_part4_a_best_cell_is_resolved_only_when_no_other_cell_is_within_one_std(tmp_path):
    settings = Settings(quick=True, seeds=3)
    middle = {kind: wds[1] for kind, wds in grid.axes(settings)[1].items()}

    def accuracy(config):  # best cells 0.96 ± 0.01; one other Adam+L2 cell 0.955
        if (config["lr"], config["weight_decay"]) == (1e-2, middle[config["optimizer"]]):
            return 0.95 + 0.01 * config["seed"]
        return 0.955 if (config["optimizer"], config["lr"], config["weight_decay"]) == ("adam_l2", 3e-3, 1e-2) else 0.5

    summary, text = _grid_report(tmp_path, settings, accuracy)
    assert [summary["optimizers"][kind]["near_best"] for kind in ("adam_l2", "adamw")] == [2, 1]
    assert "1 other Adam+L2 cell is within one standard deviation" in text
    assert "no other AdamW cell is within one standard deviation of its best mean validation accuracy " \
           "(a resolved best)" in text
    assert text.count("resolved") == 1
    assert "With 3 seeds the standard deviation is itself a rough estimate" in text


def _middle_best_grid(tmp_path: Path) -> tuple[dict, str]:
    """Part 4 for made-up runs whose best λ is the middle one of the grid at every learning rate."""
    settings = Settings(quick=True, seeds=1)
    middle = {kind: wds[1] for kind, wds in grid.axes(settings)[1].items()}
    return _grid_report(tmp_path, settings, lambda c: 0.9 if c["weight_decay"] == middle[c["optimizer"]] else 0.5)


def test_part4_report_names_gamma_lambda_the_papers_own_weight_decay_not_its_normalized_one(tmp_path):
    summary, text = _middle_best_grid(tmp_path)
    assert summary["optimizers"]["adamw"]["slope"] == pytest.approx(0.0, abs=1e-9)
    assert "normalized parameter" not in text
    assert "λ_p = γλ, the paper's own weight decay λ (not its normalized weight decay λ_p/√(b/(BT))" in text


def test_part4_figure_frames_the_cell_of_best_validation_accuracy(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    summary, _ = _middle_best_grid(tmp_path)
    heat, paper = plots._grid(plt, summary)
    titles = [ax.get_title() for ax in heat.axes]
    assert "Adam+L2: final ‖W‖ (box: best validation accuracy)" in titles
    assert not any(title.endswith("(box: best accuracy)") for title in titles)
    plt.close("all")


def test_part3_figure_leaves_out_the_weights_the_statistics_leave_out():
    plt = pytest.importorskip("matplotlib.pyplot")
    fed = [True, True, True, False, False]  # the last two: inputs from constant pixels
    measurement = {"epoch": 1, "eps": 1e-8, "sqrt_vhat": [1e-3, 1e-2, 1e-1, 1e-4, 1e-4],
                   "rate": [1e-2, 1e-3, 1e-4, 1e-1, 1e-1], "fed": fed}
    summary = {"lr": 1e-3, "weight_decay": 1e-2,
               "optimizers": {"adam_l2": {"measurements": [measurement]}}}
    [figure] = plots._per_parameter(plt, summary)
    [points] = figure.axes[0].collections
    assert points.get_offsets().tolist() == [[1e-3, 1e-2], [1e-2, 1e-3], [1e-1, 1e-4]]
    plt.close("all")


def _mlp(kind: str) -> dict:
    return run_mlp({"kind": "mlp", "optimizer": kind, "lr": 1e-2, "weight_decay": 1.0, "seed": 0,
                    "hidden": 16, "epochs": 4, "batch_size": 64})


def test_part5_a_large_weight_decay_collapses_adam_l2_to_zero_weights_but_not_adamw():
    adam, adamw = _mlp("adam_l2"), _mlp("adamw")
    assert adam["test_accuracy"] < 0.2
    assert adam["weight_norms"][-1] < 0.05 * adam["weight_norms"][0]
    assert adamw["test_accuracy"] > 0.8
    assert adamw["weight_norms"][-1] > 0.5 * adamw["weight_norms"][0]


def _same_number_text(tmp_path: Path, at_largest: dict[str, float]) -> str:
    """Part 5's paragraph for made-up runs: accuracy 0.95 (‖W‖ at 95 % of its start) at every λ
    but the largest, where it is ``at_largest[optimizer]``."""
    settings = Settings(quick=True, seeds=1)
    top = same_number.weight_decays(settings)[-1]
    store = _recorded(tmp_path, same_number.configs(settings, None),
                      lambda c: at_largest[c["optimizer"]] if c["weight_decay"] == top else 0.95)
    return report._same_number(same_number.summarize(settings, store)).split("\n\n")[-1]


def test_part5_report_says_adam_l2_collapsed_to_zero_weights_and_adamw_kept_its_accuracy_only_when_measured(tmp_path):
    collapsed = _same_number_text(tmp_path / "collapsed", {"adam_l2": 0.08, "adamw": 0.94})
    assert "pulled toward the all-zero weights" in collapsed and "duly finds" in collapsed
    assert "AdamW at the same λ keeps 0.940" in collapsed and "a bound, not a pull to zero" in collapsed

    held = _same_number_text(tmp_path / "held", {"adam_l2": 0.9, "adamw": 0.6})
    assert "all-zero weights, whose output" not in held and "duly finds" not in held
    assert "the penalty has not pulled the network to the all-zero weights" in held
    assert "keeps" not in held and "AdamW at the same λ drops to 0.600" in held

    chance = _same_number_text(tmp_path / "chance", {"adam_l2": 0.15, "adamw": 0.95})
    assert "duly finds" not in chance and "its weights are not near zero" in chance


def test_the_same_config_gives_bit_identical_metrics():
    config = {"kind": "mlp", "optimizer": "adamw", "lr": 1e-2, "weight_decay": 0.1, "seed": 3,
              "hidden": 8, "epochs": 1, "batch_size": 64}
    assert json.dumps(run_mlp(config)) == json.dumps(run_mlp(config))


def test_the_test_accuracy_of_an_mlp_run_is_measured_on_the_test_rows(monkeypatch):
    built = []
    real_make_mlp = training.make_mlp
    monkeypatch.setattr(training, "make_mlp", lambda *args: built.append(real_make_mlp(*args)) or built[-1])
    metrics = run_mlp({"kind": "mlp", "optimizer": "adamw", "lr": 1e-2, "weight_decay": 0.1, "seed": 2,
                       "hidden": 8, "epochs": 2, "batch_size": 64})
    data = load_dataset("digits", test_size=0.25, val_size=0.15, seed=2, dtype=np.float64)
    with no_grad():
        predicted = built[0](Tensor(data.X_test)).data.argmax(axis=1)
    assert len(built) == 1 and metrics["test_accuracy"] == np.mean(predicted == data.y_test)


# ---------------------------------------------------------------------- the machinery
def test_quick_study_writes_every_section_figures_and_records(tmp_path, capsys):
    assert adam_l2_vs_adamw.main(["--quick", "--seeds", "1", "--jobs", "2", "--out", str(tmp_path)]) == 0
    report = (tmp_path / "report.md").read_text()
    for part in study.PARTS:
        assert f"## {part.TITLE}" in report
    assert "Not run yet" not in report and "skipped" not in report
    assert "own range of λ: Adam+L2 0.0001 … 1 (3 values); AdamW 0.01 … 10 (3 values)." in report
    assert "-0.00" not in report and "-0.000" not in report
    for figure in ("convergence_coefficients", "per_parameter_decay", "grid_heatmaps", "grid_paper",
                   "same_number", "weight_norm"):
        assert (tmp_path / f"{figure}.png").stat().st_size > 0
        assert f"]({figure}.png)" in report
    keys = [config_key(r["config"]) for r in _records(tmp_path / "results.jsonl")]
    assert len(keys) == len(set(keys))
    out = capsys.readouterr().out
    assert "total time" in out and "1 equivalences" in out and "6 final" in out

    # The runs do not depend on the number of processes: redo one part alone, sequentially.
    again = tmp_path / "again"
    assert adam_l2_vs_adamw.main(["--quick", "--seeds", "1", "--jobs", "1", "--part", "per-parameter",
                                  "--out", str(again)]) == 0
    first = {config_key(r["config"]): r["metrics"] for r in _records(tmp_path / "results.jsonl")}
    for record in _records(again / "results.jsonl"):
        assert record["metrics"] == first[config_key(record["config"])]
    assert "Not run yet" in (again / "report.md").read_text()


def test_an_interrupted_study_resumes_without_duplicates_and_redoes_a_corrupted_last_line(tmp_path, monkeypatch):
    configs = equivalences.configs(QUICK, None)
    calls = []
    real = study.KINDS["equivalence"]

    def interrupted_after_two(config):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(config_key(config))
        return real(config)

    monkeypatch.setitem(study.KINDS, "equivalence", interrupted_after_two)
    path = tmp_path / "results.jsonl"
    with pytest.raises(KeyboardInterrupt):
        study.perform(configs, RunStore(path), jobs=1, label="test")
    assert len(_records(path)) == 2

    # Damage the last record as a crash in the middle of a write would.
    text = path.read_text()
    path.write_text(text[: len(text) - 20])
    with pytest.warns(UserWarning, match="incomplete"):
        store = RunStore(path)
    assert len(store) == 1 and len(_records(path)) == 1

    calls.clear()
    monkeypatch.setitem(study.KINDS, "equivalence", lambda c: calls.append(config_key(c)) or real(c))
    study.perform(configs, store, jobs=1, label="test")
    assert len(calls) == len(configs) - 1  # the intact run is not redone
    keys = [config_key(r["config"]) for r in _records(path)]
    assert sorted(keys) == sorted(config_key(c) for c in configs)
    assert not RunStore(path).pending(configs)


def test_the_code_fingerprint_follows_every_python_file_and_its_name(tmp_path):
    package = tmp_path / "package"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("x = 1\n")
    (package / "sub" / "b.py").write_text("y = 2\n")
    first = runs.fingerprint([package])
    (package / "notes.txt").write_text("not code")
    assert runs.fingerprint([package]) == first
    (package / "sub" / "b.py").write_text("y = 3\n")
    changed = runs.fingerprint([package])
    (package / "sub" / "b.py").rename(package / "sub" / "c.py")
    assert len({first, changed, runs.fingerprint([package])}) == 3
    study_code = tmp_path / "l2study"
    study_code.mkdir()
    (study_code / "training.py").write_text("steps = 1\n")
    for presentation in ("report.py", "plots.py"):  # a wording change leaves the runs current
        before = runs.fingerprint([study_code])
        (study_code / presentation).write_text("title = 'new'\n")
        assert runs.fingerprint([study_code]) == before
    assert [folder.name for folder in runs.source_folders()] == ["l2study", "minigrad", "models", "optim"]


def test_runs_recorded_by_other_code_are_not_reused_but_redone_after_one_warning(tmp_path, monkeypatch):
    configs = [{"kind": "equivalence", "n": n} for n in range(3)]
    path = tmp_path / "results.jsonl"
    store = RunStore(path)
    for config in configs:
        store.append(config, {"value": 1.0}, 0.1)
    records = _records(path)
    assert {record["code"] for record in records} == {runs.code_fingerprint()}
    records[0]["code"] = "0123456789abcdef"  # another version of the code
    del records[1]["code"]  # a record from before fingerprints
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    with pytest.warns(UserWarning, match="2 recorded runs were made by other code"):
        store = RunStore(path)
    assert store.pending(configs) == configs[:2]
    with pytest.raises(KeyError):
        store.metrics(configs[0])

    monkeypatch.setitem(study.KINDS, "equivalence", lambda config: {"value": 2.0})
    study.perform(configs, store, jobs=1, label="test")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the stale lines are superseded: no warning any more
        again = RunStore(path)
    assert [again.metrics(config)["value"] for config in configs] == [2.0, 2.0, 1.0]


def _notes(report_text: str) -> dict[str, str]:
    """The note of each part the report leaves out, by part name."""
    notes = [line for line in report_text.splitlines() if line.startswith("*Not run yet")]
    return {re.search(r"--part ([\w-]+)", line)[1]: line for line in notes}


def test_a_missing_part_says_why_and_gives_the_command_that_fills_this_report(tmp_path):
    settings, out = Settings(seed=7, seeds=2, quick=True), tmp_path / "my study"
    out.mkdir()
    other_code = [{"config": config, "metrics": {}, "code": "0123456789abcdef"}
                  for config in equivalences.configs(settings, None)]
    (out / "results.jsonl").write_text("".join(json.dumps(record) + "\n" for record in other_code))
    with pytest.warns(UserWarning, match="made by other code"):
        study.run(settings, [], out, jobs=1)
    notes = _notes((out / "report.md").read_text())
    assert list(notes) == list(study.PART_NAMES)
    options = f"--quick --seed 7 --seeds 2 --out '{out}'"
    assert notes["equivalences"] == (
        f"*Not run yet with the current code: its runs with these settings were made by other code, which "
        f"are not reused. To run it: `python examples/adam_l2_vs_adamw.py --part equivalences {options}`.*")
    assert notes["grid"] == (
        f"*Not run yet, or not finished, with these settings (runs with other settings do not count). To "
        f"run it: `python examples/adam_l2_vs_adamw.py --part grid {options}`.*")

    command = shlex.split(notes["equivalences"].split("`")[1])
    with pytest.warns(UserWarning, match="made by other code"):  # (the stale records stay in the file)
        assert adam_l2_vs_adamw.main(command[2:] + ["--jobs", "1"]) == 0  # fills the section of this report
    assert list(_notes((out / "report.md").read_text())) == list(study.PART_NAMES[1:])


def test_a_run_made_by_other_code_is_refused_and_not_recorded(tmp_path, monkeypatch):
    monkeypatch.setattr(study, "execute", lambda config: (config, {"value": 1.0}, 0.1, "0123456789abcdef"))
    store = RunStore(tmp_path / "results.jsonl")
    with pytest.raises(study.BackendError, match="a run was made by other code"):
        study.perform([{"kind": "equivalence", "n": 0}], store, jobs=1, label="test")
    assert len(store) == 0


def test_a_damaged_line_before_the_last_is_refused(tmp_path):
    path = tmp_path / "results.jsonl"
    store = RunStore(path)
    store.append({"kind": "x", "n": 1}, {"value": 1.0}, 0.1)
    store.append({"kind": "x", "n": 2}, {"value": 2.0}, 0.1)
    lines = path.read_text().splitlines()
    path.write_text("not json\n" + lines[1] + "\n")
    with pytest.raises(ValueError, match="results.jsonl, line 1: not a run record; fix or remove that line"):
        RunStore(path)


def test_without_matplotlib_the_report_says_figures_were_skipped(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = study.run(Settings(), ["equivalences"], tmp_path, jobs=1)
    assert result["figures"] is None
    assert "Figures were skipped" in (tmp_path / "report.md").read_text()


def test_runs_go_to_a_dask_cluster_through_joblib(tmp_path):
    distributed = pytest.importorskip("distributed")
    configs = equivalences.configs(QUICK, None)
    store = RunStore(tmp_path / "results.jsonl")
    with distributed.LocalCluster(n_workers=1, processes=False, threads_per_worker=2,
                                  dashboard_address=None) as cluster:
        with study.backend("dask", cluster.scheduler_address):
            study.perform(configs, store, jobs=2, label="dask")
    assert not store.pending(configs)
    for config in configs:
        assert store.metrics(config) == equivalences.run(config)


def test_a_damaged_line_before_the_last_is_a_one_line_error_from_the_command(tmp_path, capsys):
    store = RunStore(tmp_path / "results.jsonl")
    store.append({"kind": "x", "n": 1}, {"value": 1.0}, 0.1)
    store.append({"kind": "x", "n": 2}, {"value": 2.0}, 0.1)
    lines = store.path.read_text().splitlines()
    store.path.write_text("not json\n" + lines[1] + "\n")
    assert adam_l2_vs_adamw.main(["--part", "equivalences", "--jobs", "1", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"adam_l2_vs_adamw.py: error: {store.path}, line 1: not a run record; fix or remove that line"


@pytest.mark.parametrize("figure", ["convergence_coefficients.png", "grid_paper.png", "weight_norm.png"])
def test_a_folder_where_a_figure_goes_is_refused_before_anything_runs(tmp_path, monkeypatch, capsys, figure):
    (tmp_path / figure).mkdir()
    monkeypatch.setattr(study, "run", lambda *args, **options: pytest.fail("the study ran"))
    with pytest.raises(SystemExit) as stop:
        adam_l2_vs_adamw.main(["--part", "grid", "--out", str(tmp_path)])
    assert stop.value.code == 2
    assert f"cannot write {tmp_path / figure} (Is a directory)" in capsys.readouterr().err


def test_a_file_the_study_cannot_write_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    def disk_full(*args, **options):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "report.md"))

    monkeypatch.setattr(study, "run", disk_full)
    assert adam_l2_vs_adamw.main(["--part", "grid", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"adam_l2_vs_adamw.py: error: [Errno 28] No space left on device: '{tmp_path / 'report.md'}'"


def test_ctrl_c_exits_with_130_saying_that_rerunning_resumes(tmp_path, monkeypatch, capsys):
    real = study.KINDS["equivalence"]
    calls = []

    def interrupted_after_one(config):
        if calls:
            raise KeyboardInterrupt
        calls.append(config)
        return real(config)

    monkeypatch.setitem(study.KINDS, "equivalence", interrupted_after_one)
    with pytest.raises(SystemExit) as stop:
        adam_l2_vs_adamw.main(["--quick", "--part", "equivalences", "--jobs", "1", "--out", str(tmp_path)])
    assert stop.value.code == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (f"adam_l2_vs_adamw.py: interrupted; the finished runs are in "
                                            f"{tmp_path / 'results.jsonl'}: run the same command again to resume")
    assert len(_records(tmp_path / "results.jsonl")) == 1


@pytest.mark.parametrize("args, message", [
    (["--jobs", "-5"], "--jobs must be a positive number, or -1 for all cores, got -5"),
    (["--jobs", "0"], "--jobs must be a positive number, or -1 for all cores, got 0"),
    (["--seeds", "0"], "seeds must be at least 1, got 0"),
    (["--seed", "-1"], "argument --seed: must be an integer from 0 to 2**32 - 1 = 4294967295, got '-1'"),
    (["--seed", "4294967295", "--seeds", "3"], "the last seed, seed + seeds - 1 = 4294967297, is past the "
                                               "largest one, 2**32 - 1 = 4294967295"),
    (["--out", "a_file"], "argument --out: a_file is a file, not a folder"),
    (["--out", "a_file/study"], "argument --out: cannot create the folder a_file/study (Not a directory)"),
])
def test_bad_options_are_refused_before_any_run(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("not a folder")
    with pytest.raises(SystemExit) as stop:
        adam_l2_vs_adamw.parse_args(["--quick", "--part", "grid", *args])
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"adam_l2_vs_adamw.py: error: {message}"


@pytest.mark.parametrize("address, reason", [
    ("notanaddress", "missing port number in address 'notanaddress'"),
    ("tcp://127.0.0.1:1", "Timed out trying to connect to tcp://127.0.0.1:1 after 1 s"),
])
def test_an_unreachable_dask_scheduler_is_a_one_line_error_naming_it(tmp_path, capsys, address, reason):
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    earlier = {id(client) for client in dask_clients()}
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        status = adam_l2_vs_adamw.main(["--quick", "--part", "equivalences", "--backend", "dask",
                                        "--scheduler", address, "--out", str(tmp_path / "study")])
    assert status == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"adam_l2_vs_adamw.py: error: cannot connect to the Dask scheduler at {address}: {reason}"]
    assert not (tmp_path / "study").exists()  # nothing was run, so no output folder was made
    # The failed Client is already collected: left for a later garbage collection, its __del__
    # could run inside another Client's start and deadlock (it hung the next test).
    assert [client for client in dask_clients() if id(client) not in earlier] == []


def dask_clients() -> list:
    """The distributed Clients alive (or garbage not yet collected) in this process."""
    import gc

    return [o for o in gc.get_objects()
            if type(o).__name__ == "Client" and type(o).__module__.startswith("distributed")]


def test_report_numbers_that_round_to_zero_have_no_minus_sign():
    assert report._coupling(-1e-17) == "hardly move with the learning rate (log-log slope 0.00)"
    assert report._coupling(-0.25).endswith("(log-log slope -0.25)")
