"""Output folders (``--out``): a bad one is refused while the options are read, and a good one is
made only when a command writes into it, so a command refused after all leaves no empty folder."""

from __future__ import annotations

import argparse
import json
import importlib.util
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from minigrad.cli import output_folder, output_folder_for

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

import adam_l2_vs_adamw  # noqa: E402
import benchmark  # noqa: E402
import optimizer_tour  # noqa: E402
import sklearn_gridsearch  # noqa: E402


def train_main(argv):
    spec = importlib.util.spec_from_file_location("train_example", EXAMPLES / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(argv)


def test_a_folder_that_could_be_made_is_accepted_but_not_made(tmp_path):
    assert output_folder(str(tmp_path / "a" / "b")) == tmp_path / "a" / "b"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("take", ["folder", "read-only file"])
def test_a_folder_where_an_output_file_cannot_be_written_is_refused(tmp_path, monkeypatch, take):
    (tmp_path / "out").mkdir()
    blocked = tmp_path / "out" / "report.md"
    if take == "folder":
        blocked.mkdir()
    else:
        blocked.write_text("")
        blocked.chmod(0o444)  # (root may write it anyway: the process is told it may not)
        monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != blocked)
    reason = "Is a directory" if take == "folder" else "Permission denied"
    with pytest.raises(argparse.ArgumentTypeError, match=re.escape(f"cannot write {blocked} ({reason})")):
        output_folder_for("results.json", "report.md")(str(tmp_path / "out"))
    assert output_folder_for("results.json")(str(tmp_path / "out")) == tmp_path / "out"


def test_an_output_file_linked_into_a_missing_folder_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.md").symlink_to(tmp_path / "missing" / "report.md")
    message = f"cannot write {tmp_path / 'out' / 'report.md'} (its folder {tmp_path / 'missing'} does not exist)"
    with pytest.raises(argparse.ArgumentTypeError, match=re.escape(message)):
        output_folder_for("report.md")(str(tmp_path / "out"))


@pytest.mark.parametrize("where, message", [
    ("a_file", "a_file is a file, not a folder"),
    ("a_file/results", "cannot create the folder a_file/results (Not a directory)"),
    ("a_file/results/deeper", "cannot create the folder a_file/results/deeper (Not a directory)"),
])
def test_a_folder_that_cannot_be_made_is_refused(tmp_path, monkeypatch, where, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("")
    with pytest.raises(argparse.ArgumentTypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        output_folder(where)


@pytest.mark.parametrize("where", ["link", "link/results", "link/results/deeper"])
def test_a_folder_at_or_under_a_symbolic_link_to_nothing_is_refused(tmp_path, monkeypatch, where):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link").symlink_to("nowhere")
    message = rf"cannot create the folder {where} \(.*link is a symbolic link to nowhere, which does not exist\)"
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        output_folder(where)


def test_a_folder_under_one_where_nothing_can_be_written_is_refused():
    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux's /proc")
    with pytest.raises(argparse.ArgumentTypeError, match="cannot create the folder /proc/results"):
        output_folder("/proc/results")


@pytest.mark.parametrize("main, argv", [
    (optimizer_tour.main, ["--out", "results/tour", "--seed", "-3"]),
    (adam_l2_vs_adamw.main, ["--seeds", "0"]),
    (sklearn_gridsearch.main, ["--out", "results/search", "--seed", "-1"]),
    (benchmark.main, ["--out", "results/benchmark", "--rounds", "0"]),
    (train_main, ["--out", "results/train", "--lr", "-1"]),
    (train_main, ["--out", "results/train", "--val-size", "0.6"]),
], ids=["optimizer_tour", "adam_l2_vs_adamw", "sklearn_gridsearch", "benchmark", "train", "train-late-check"])
def test_a_refused_command_leaves_no_output_folder(tmp_path, monkeypatch, capsys, main, argv):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(argv)
    assert list(tmp_path.iterdir()) == []


def test_a_command_makes_its_output_folder_when_it_writes(tmp_path, monkeypatch, capsys):
    rows = [{"rank": 1, "mean": 0.9, "std": 0.01, "folds": [0.9], "fit_seconds": 0.1,
             "params": {"optimizer": "adam", "lr": 0.001, "weight_decay": 0.01}}]
    monkeypatch.setattr(sklearn_gridsearch, "run_search",
                        lambda quick, seed: {"rows": rows, "best": rows[0]["params"], "test_accuracy": 0.9})
    sklearn_gridsearch.main(["--out", str(tmp_path / "new" / "search")])
    assert (tmp_path / "new" / "search" / "results.json").is_file()


@pytest.mark.parametrize("module, name", [
    (adam_l2_vs_adamw, "adam_l2_vs_adamw"),
    (optimizer_tour, "optimizer_tour"),
    (sklearn_gridsearch, "sklearn_gridsearch"),
])
def test_a_quick_run_writes_beside_the_full_run_by_default(tmp_path, monkeypatch, capsys, module, name):
    """A smoke run (--quick) must not replace the full run's report: its default folder is the
    full run's quick/ subfolder; --out still wins, and a default folder that cannot be written
    is refused like one given on the command line."""
    monkeypatch.chdir(tmp_path)
    assert module.parse_args([]).out == Path("results", name)
    assert module.parse_args(["--quick"]).out == Path("results", name, "quick")
    assert module.parse_args(["--quick", "--out", "mine"]).out == Path("mine")
    (tmp_path / "results" / name).mkdir(parents=True)
    (tmp_path / "results" / name / "quick").write_text("")
    with pytest.raises(SystemExit):
        module.parse_args(["--quick"])
    assert f"argument --out: results/{name}/quick is a file, not a folder" in capsys.readouterr().err


def test_near_best_counts_the_settings_at_or_above_the_best_mean_less_one_std_and_says_so():
    def row(mean, std):
        return {"mean": mean, "std": std}

    tied = [row(0.75, 0.25), row(0.5, 0.1), row(0.375, 0.0)]  # 0.5 is exactly 0.75 - 0.25; 0.375 is not
    assert sklearn_gridsearch.near_best(tied) == 2
    assert sklearn_gridsearch.resolution(tied) == ("the top 2 settings are within one CV standard deviation "
                                                   "(0.2500) of the best: the folds cannot tell them apart")
    alone = [row(0.75, 0.125), row(0.5, 0.0)]
    assert sklearn_gridsearch.near_best(alone) == 1
    assert sklearn_gridsearch.resolution(alone) == ("no other setting is within one CV standard deviation "
                                                    "(0.1250) of the best")


def test_run_search_splits_stratified_folds_by_the_seed_and_ranks_the_rows_best_first(monkeypatch):
    seen = {}

    class Search:
        def __init__(self, pipeline, grid, cv, scoring):
            seen["cv"] = cv

        def fit(self, X, y):
            seen["y"] = y
            self.cv_results_ = {
                "rank_test_score": np.array([2, 1]), "mean_test_score": np.array([0.5, 0.75]),
                "std_test_score": np.array([0.0, 0.0]), "mean_fit_time": np.array([1.0, 1.0]),
                "split0_test_score": np.array([0.5, 0.75]), "split1_test_score": np.array([0.5, 0.75]),
                "split2_test_score": np.array([0.5, 0.75]),
                "params": [{"mlp__lr": 0.1}, {"mlp__lr": 0.2}],
            }
            self.best_estimator_ = type("Best", (), {"score": lambda self, X, y: 0.25})()

    monkeypatch.setattr(sklearn_gridsearch, "GridSearchCV", Search)
    result = sklearn_gridsearch.run_search(quick=True, seed=7)
    assert (seen["cv"].n_splits, seen["cv"].random_state) == (3, 7)
    digits = sklearn_gridsearch.load_digits().target
    share = np.bincount(seen["y"]) / np.bincount(digits)  # stratified: about 80 % of every class
    assert np.all(np.abs(share - 0.8) < 0.01)
    assert [row["rank"] for row in result["rows"]] == [1, 2]
    assert result["best"] == {"lr": 0.2} and result["test_accuracy"] == 0.25


def test_results_json_holds_the_seed_the_ranked_rows_the_best_setting_and_its_test_accuracy(tmp_path, monkeypatch,
                                                                                          capsys):
    rows = [{"rank": 1, "mean": 0.75, "std": 0.25, "folds": [0.5, 1.0], "fit_seconds": 0.5,
             "params": {"optimizer": "adamw", "lr": 0.003, "weight_decay": 1.0}}]
    found = {"rows": rows, "best": rows[0]["params"], "near_best": 1, "test_accuracy": 0.5}
    monkeypatch.setattr(sklearn_gridsearch, "run_search", lambda quick, seed: found)
    monkeypatch.setattr(sklearn_gridsearch, "plot", lambda rows, path: False)
    sklearn_gridsearch.main(["--quick", "--seed", "4", "--out", str(tmp_path)])
    written = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert written.pop("seconds") >= 0
    assert written == {"seed": 4, "quick": True, **found}


def test_the_grid_gives_each_optimizer_four_decades_of_weight_decay_where_its_decay_acts():
    decades = {part["optimizer"][0]: (part["lr"], np.log10(part["weight_decay"])) for part in sklearn_gridsearch.GRID}
    assert decades["adam"][0] == decades["adamw"][0] == [1e-3, 3e-3]
    assert np.allclose(decades["adam"][1], [-4, -3, -2, -1]) and np.allclose(decades["adamw"][1], [-2, -1, 0, 1])
