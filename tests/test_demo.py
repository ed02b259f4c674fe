"""The README's ten-second demo runs and learns digits."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from minigrad.data import load_dataset

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo.py"


def test_demo_trains_digits_to_high_accuracy():
    out = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True, check=True).stdout
    accuracy = float(re.search(r"test accuracy (\d\.\d+)", out).group(1))
    assert accuracy > 0.95  # the docstring promises about 97 %
    assert out.count("epoch") >= 10


def test_help_lists_seed_and_quick_without_training():
    result = subprocess.run([sys.executable, str(DEMO), "--help"], capture_output=True, text=True, check=True,
                            timeout=60)
    assert "--seed" in result.stdout and "--quick" in result.stdout
    assert "train loss" not in result.stdout and "test accuracy" not in result.stdout


def test_quick_mode_trains_two_epochs_and_the_seed_changes_the_run():
    def losses(seed):
        out = subprocess.run([sys.executable, str(DEMO), "--quick", "--seed", seed], capture_output=True,
                             text=True, check=True).stdout
        assert re.search(r"test accuracy \d\.\d+ after 2 epochs", out)
        return re.findall(r"train loss (\d\.\d+)", out)

    first = losses("1")
    assert len(first) == 2 and first != losses("2")


def test_a_seed_scikit_learn_cannot_take_is_refused_in_one_line_before_training():
    result = subprocess.run([sys.executable, str(DEMO), "--quick", "--seed", "-1"], capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == ("demo.py: error: argument --seed: must be an integer from 0 to "
                                              "2**32 - 1 = 4294967295, got '-1'")


def test_the_accuracy_printed_as_test_is_measured_on_the_test_rows(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("demo_example", DEMO)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    evaluated = []
    real_evaluate = demo.evaluate
    monkeypatch.setattr(demo, "evaluate", lambda model, split, *rest: evaluated.append(split[0]) or real_evaluate(
        model, split, *rest))
    demo.main(["--quick"])
    expected = load_dataset("digits", val_size=0.1, seed=0).X_test
    assert len(evaluated) == 1 and np.array_equal(evaluated[0], expected)


def test_the_seed_given_fixes_the_split_the_initial_weights_and_the_shuffling(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("demo_example", DEMO)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    seeds = {}
    real_mlp = demo.models.MLP

    def load(name, **options):
        seeds["split"] = options["seed"]
        return SimpleNamespace(n_features=64, n_classes=10, train=None, val=None, test=None)

    def mlp(*layers, rng):
        seeds["weights"] = rng
        return real_mlp(*layers, rng=rng)

    def fit(model, optimizer, loss_fn, train, **options):
        seeds["shuffling"], seeds["epochs"] = options["seed"], options["epochs"]
        return SimpleNamespace(epoch=[], train_loss=[], val_metric=[])

    monkeypatch.setattr(demo, "load_dataset", load)
    monkeypatch.setattr(demo.models, "MLP", mlp)
    monkeypatch.setattr(demo, "fit", fit)
    monkeypatch.setattr(demo, "evaluate", lambda model, split, loss_fn: {"accuracy": 0.0})
    demo.main(["--quick", "--seed", "3"])
    assert seeds == {"split": 3, "weights": 3, "shuffling": 3, "epochs": 2}
