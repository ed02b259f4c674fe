"""The benchmark compares equal work: every tool computes the same gradients on the same batch.
And its quick mode runs end to end (no timing is asserted anywhere in the tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

import benchmark  # noqa: E402
from benchmarks.runners import Batches, available_runners, initial_layers  # noqa: E402


def test_every_tool_computes_the_same_gradients_on_the_same_batch():
    X, y = benchmark.digits()
    x, labels = X[:32], y[:32]
    layers = initial_layers(16)
    runner_classes, _ = available_runners()
    grads = {cls.name: cls(layers, Batches(X, y, 32)).gradients(x, labels) for cls in runner_classes}
    assert {"minigrad", "numpy", "sklearn"} <= set(grads)
    reference = grads.pop("numpy")
    for name, tool_grads in grads.items():
        for (dw, db), (rw, rb) in zip(tool_grads, reference, strict=True):  # (every layer)
            np.testing.assert_allclose(dw, rw, rtol=1e-4, atol=1e-6, err_msg=name)
            np.testing.assert_allclose(db, rb, rtol=1e-4, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("block_bytes", [None, 64], ids=["one block", "blocks of 16"])
def test_numpy_reference_adamw_step_matches_optim_adamw(block_bytes, monkeypatch):
    from benchmarks.runners import MinigradRunner, NumpyRunner
    from optim import flat

    if block_bytes:
        monkeypatch.setattr(flat, "BLOCK_BYTES", block_bytes)

    X, y = benchmark.digits()
    layers = initial_layers(8)
    ours, ref = MinigradRunner(layers, Batches(X, y, 16)), NumpyRunner(layers, Batches(X, y, 16))
    ours.steps(5)
    ref.steps(5)
    params = ours.model.parameters()
    for i, (w, b) in enumerate(ref.net.params):
        np.testing.assert_allclose(params[2 * i].data, w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(params[2 * i + 1].data, b, rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore")
def test_quick_mode_runs_and_writes_json(tmp_path, monkeypatch):
    seeds = []

    def recording_initial_layers(hidden, seed=0):
        seeds.append(seed)
        return initial_layers(hidden, seed)

    monkeypatch.setattr(benchmark, "initial_layers", recording_initial_layers)
    report = benchmark.main(["--quick", "--seed", "3", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "benchmark.json").read_text())
    assert seeds == [3, 3, 3] and saved["seed"] == 3  # --seed gives the initial weights of every size
    assert [r["hidden"] for r in saved["training_steps"]] == [32, 256, 1024]
    assert saved["per_op_overhead_us"] > 0 and saved["peak_memory"]["rss_peak_mib"] > 0
    assert report["training_steps"][0]["ratio_to_numpy"]["numpy"] == 1.0


def test_help_lists_the_seed_option():
    result = subprocess.run([sys.executable, str(EXAMPLES / "benchmark.py"), "--help"], capture_output=True,
                            text=True, check=True, timeout=60)
    assert "--seed" in result.stdout and "--quick" in result.stdout


@pytest.mark.parametrize("argv, message", [
    (["--rounds", "0"], "--rounds must be at least 1"),
    (["--seed", "-1"], "argument --seed"),
    (["--out", "{a_file}/out"], "argument --out"),
])
def test_bad_options_are_refused_before_any_timing(argv, message, capsys, monkeypatch, tmp_path):
    (tmp_path / "a_file").write_text("")
    monkeypatch.setattr(benchmark, "time_training_steps", None)  # would raise if timing started
    with pytest.raises(SystemExit):
        benchmark.main([arg.format(a_file=tmp_path / "a_file") for arg in argv])
    assert message in capsys.readouterr().err


def test_batches_take_every_full_batch_before_wrapping_around():
    X, y = np.arange(12.0).reshape(6, 2), np.arange(6)
    batches = Batches(X, y, 3)
    assert [batches.next()[1].tolist() for _ in range(3)] == [[0, 1, 2], [3, 4, 5], [0, 1, 2]]
    uneven = Batches(X, y, 4)  # the 2 rows left over are skipped: every batch is full
    assert [uneven.next()[1].tolist() for _ in range(2)] == [[0, 1, 2, 3], [0, 1, 2, 3]]


def test_each_tools_step_time_is_the_median_of_its_blocks(monkeypatch):
    class Idle:  # a tool whose steps take no time: only the clock below says how long a block took
        name = "idle"

        def __init__(self, layers, batches):
            pass

        def steps(self, k):
            pass

    ticks = iter(np.cumsum([0.0, 1e-6, 0.0, 1e-6, 0.0, 10e-6]))  # blocks of 1, 1 and 10 µs (one step each)
    monkeypatch.setattr(benchmark, "available_runners", lambda: ([Idle], []))
    monkeypatch.setattr(benchmark, "steps_per_block", lambda hidden, quick: 1)
    monkeypatch.setattr(benchmark.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(benchmark.time, "perf_counter", lambda: next(ticks))
    assert benchmark.time_training_steps(32, 32, rounds=3, quick=True, seed=0) == {"idle": pytest.approx(1.0)}


def test_the_report_divides_each_tools_time_by_the_references(monkeypatch):
    times = {"minigrad": 300.0, "numpy": 150.0, "sklearn": 450.0}
    monkeypatch.setattr(benchmark, "time_training_steps", lambda hidden, batch, rounds, quick, seed: dict(times))
    monkeypatch.setattr(benchmark, "matmul_time", lambda hidden, batch, repeats: 30.0)
    monkeypatch.setattr(benchmark, "per_op_overhead", lambda repeats: 1.0)
    monkeypatch.setattr(benchmark, "deep_chain_backward", lambda n: 0.1)
    monkeypatch.setattr(benchmark, "peak_memory", lambda hidden, batch, steps, seed: {})
    first = benchmark.measure(rounds=1, quick=True, seed=0)["training_steps"][0]
    assert first["ratio_to_numpy"] == {"minigrad": 2.0, "numpy": 1.0, "sklearn": 3.0}
    assert first["matmul_share_of_numpy_step"] == pytest.approx(0.2)  # 30 µs of the reference's 150
