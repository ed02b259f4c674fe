"""Ctrl-C in any example command, at any point of its main: one line on stderr and exit status
130, never a traceback. (examples/train.py and examples/adam_l2_vs_adamw.py add a hint; their
tests check it.)"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path

import pytest

from minigrad.cli import exit_on_interrupt

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

import adam_l2_vs_adamw  # noqa: E402
import benchmark  # noqa: E402
import demo  # noqa: E402
import optimizer_tour  # noqa: E402
import sklearn_gridsearch  # noqa: E402
from tour import runner  # noqa: E402

spec = importlib.util.spec_from_file_location("train_example", EXAMPLES / "train.py")
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)


def ctrl_c(*args, **kwargs):
    raise KeyboardInterrupt


def assert_one_line_and_status_130(stop, capsys, script):
    err = capsys.readouterr().err
    assert stop.value.code == 130 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == f"{Path(script.__file__).name}: interrupted"


def test_ctrl_c_becomes_one_line_and_status_130(capsys):
    with pytest.raises(SystemExit) as stop, exit_on_interrupt("tool.py") as interruption:
        interruption.hint = "rerun to resume"
        ctrl_c()
    assert stop.value.code == 130 and capsys.readouterr().err == "tool.py: interrupted; rerun to resume\n"


def test_a_hint_given_as_a_function_is_asked_for_when_ctrl_c_comes(capsys):
    progress = []
    with pytest.raises(SystemExit), exit_on_interrupt("tool.py") as interruption:
        interruption.hint = lambda: f"{len(progress)} steps done"
        progress.append("step")
        ctrl_c()
    assert capsys.readouterr().err == "tool.py: interrupted; 1 steps done\n"


def test_other_errors_go_through(capsys):
    with pytest.raises(ValueError), exit_on_interrupt("tool.py"):
        raise ValueError("not an interruption")
    assert capsys.readouterr().err == ""


def test_the_exit_carries_no_chained_keyboard_interrupt():
    """The SystemExit is raised 'from None': a caller that prints it (a runner, a wrapper's log) shows no
    KeyboardInterrupt traceback under 'During handling of the above exception'."""
    with pytest.raises(SystemExit) as stop, exit_on_interrupt("tool.py"):
        ctrl_c()
    assert stop.value.__suppress_context__ and stop.value.__cause__ is None
    assert "KeyboardInterrupt" not in "".join(traceback.format_exception(stop.value))


@pytest.mark.parametrize("script, module, function", [
    (demo, demo, "fit"),
    (optimizer_tour, runner, "run"),
    (sklearn_gridsearch, sklearn_gridsearch, "run_search"),
    (benchmark, benchmark, "time_training_steps"),
], ids=["demo", "optimizer_tour", "sklearn_gridsearch", "benchmark"])
def test_every_example_stops_on_ctrl_c_with_one_line_and_status_130(script, module, function, tmp_path,
                                                                    monkeypatch, capsys):
    monkeypatch.setattr(module, function, ctrl_c)
    out = [] if script is demo else ["--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as stop:
        script.main(["--quick", *out])
    assert_one_line_and_status_130(stop, capsys, script)


@pytest.mark.parametrize("script", [demo, optimizer_tour, sklearn_gridsearch, benchmark, adam_l2_vs_adamw, train],
                         ids=["demo", "optimizer_tour", "sklearn_gridsearch", "benchmark", "adam_l2_vs_adamw", "train"])
def test_ctrl_c_while_the_options_are_read_is_one_line_and_status_130(script, monkeypatch, capsys):
    monkeypatch.setattr(script, "parse_seed", ctrl_c)
    with pytest.raises(SystemExit) as stop:
        script.main(["--seed", "1"])
    assert_one_line_and_status_130(stop, capsys, script)


@pytest.mark.parametrize("script, function", [(train, "load_dataset"), (train, "evaluate"), (demo, "evaluate")],
                         ids=["train-loading", "train-evaluating", "demo-evaluating"])
def test_ctrl_c_before_or_after_training_is_one_line_and_status_130(script, function, monkeypatch, capsys):
    monkeypatch.setattr(script, function, ctrl_c)
    with pytest.raises(SystemExit) as stop:
        script.main(["--quick", "--dataset", "moons", "--no-progress"] if script is train else ["--quick"])
    assert_one_line_and_status_130(stop, capsys, script)
