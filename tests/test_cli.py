"""Ctrl-C in any example command: one line on stderr and exit status 130, never a traceback.
(examples/train.py and examples/adam_l2_vs_adamw.py add a hint; their tests check it.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from minigrad.cli import exit_on_interrupt

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

import benchmark  # noqa: E402
import demo  # noqa: E402
import optimizer_tour  # noqa: E402
import sklearn_gridsearch  # noqa: E402
from tour import runner  # noqa: E402


def ctrl_c(*args, **kwargs):
    raise KeyboardInterrupt


def test_ctrl_c_becomes_one_line_and_status_130(capsys):
    with pytest.raises(SystemExit) as stop, exit_on_interrupt("tool.py", "rerun to resume"):
        ctrl_c()
    assert stop.value.code == 130 and capsys.readouterr().err == "tool.py: interrupted; rerun to resume\n"


def test_other_errors_go_through(capsys):
    with pytest.raises(ValueError), exit_on_interrupt("tool.py"):
        raise ValueError("not an interruption")
    assert capsys.readouterr().err == ""


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
    err = capsys.readouterr().err
    assert stop.value.code == 130 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == f"{Path(script.__file__).name}: interrupted"
