"""Benchmark: minigrad's training step against hand-written numpy, scikit-learn and PyTorch.

The same MLP 64-H-H-10 (ReLU, cross-entropy, AdamW, float32) is trained on digits minibatches
by every tool at three sizes. Measurements are interleaved (one timed block per tool in turn,
repeated), and each tool's time per step is the median over the blocks. Also measured: the
per-op overhead of the engine, backward through a 100,000-op chain, and the peak memory (RSS)
of a training run.

    python examples/benchmark.py                 # full run, a few minutes
    python examples/benchmark.py --quick         # smoke test, seconds
    python examples/benchmark.py --seed 1        # other initial weights (default 0)
    python examples/benchmark.py --out results/benchmark   # also JSON and a PNG
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmarks.runners import Batches, available_runners, initial_layers  # noqa: E402

from minigrad import Tensor  # noqa: E402
from minigrad.cli import exit_on_interrupt, output_folder_for  # noqa: E402
from minigrad.data import parse_seed  # noqa: E402
from minigrad.files import make_folder, save_figure, write_text  # noqa: E402

SIZES = [(32, 32), (256, 64), (1024, 256)]  # (hidden width H, batch size)


def digits() -> tuple[np.ndarray, np.ndarray]:
    """Digits, standardized, float32 features and int64 labels."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8)
    return X.astype(np.float32), y.astype(np.int64)


def steps_per_block(hidden: int, quick: bool) -> int:
    """Enough steps that one timed block lasts ~50 ms (fewer in quick mode)."""
    full = {32: 200, 256: 50, 1024: 5}.get(hidden, 5)
    return max(1, full // 20) if quick else full


def time_training_steps(hidden: int, batch: int, rounds: int, quick: bool, seed: int = 0) -> dict[str, float]:
    """Median µs per training step of every available tool, measured interleaved, all starting
    from the initial weights of ``seed``."""
    X, y = digits()
    runner_classes, _ = available_runners()
    layers = initial_layers(hidden, seed)
    runners = [cls(layers, Batches(X, y, batch)) for cls in runner_classes]
    k = steps_per_block(hidden, quick)
    samples: dict[str, list[float]] = {r.name: [] for r in runners}
    for r in runners:
        r.steps(k)  # warm-up: caches, lazy allocations, sklearn's first fit
    for _ in range(rounds):
        for r in runners:
            # A pause first: thread pools of the previous tool (PyTorch's OpenMP threads, BLAS
            # threads) busy-wait for a while after their work, and would steal this block's CPU.
            # Then a few untimed steps, so the block starts with warm caches.
            time.sleep(0.05)
            r.steps(max(1, k // 5))
            start = time.perf_counter()
            r.steps(k)
            samples[r.name].append((time.perf_counter() - start) / k * 1e6)
    return {name: float(np.median(times)) for name, times in samples.items()}


def matmul_time(hidden: int, batch: int, repeats: int = 20) -> float:
    """µs for the matrix products alone of one training step (3 forward, 3 weight gradients,
    2 input gradients): the part of a step that is BLAS, whoever calls it."""
    rng = np.random.default_rng(0)
    widths = [64, hidden, hidden, 10]
    ws = [rng.normal(size=(o, i)).astype(np.float32) for i, o in zip(widths, widths[1:])]
    hs = [rng.normal(size=(batch, i)).astype(np.float32) for i in widths]

    def products() -> None:
        for i, w in enumerate(ws):
            hs[i] @ w.T
            hs[i + 1].T @ hs[i]
            if i > 0:
                hs[i + 1] @ w

    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        products()
        best = min(best, time.perf_counter() - start)
    return best * 1e6


def per_op_overhead(n_ops: int = 1000, repeats: int = 20) -> float:
    """µs per op, forward + backward, of a chain of small elementwise ops (best of repeats)."""
    x = Tensor(np.ones(8, dtype=np.float32), requires_grad=True)
    c = Tensor(np.full(8, 0.999, dtype=np.float32))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        y = x
        for i in range(n_ops // 2):
            y = (y * c) + c
        y.sum().backward()
        best = min(best, time.perf_counter() - start)
        x.grad = None
    return best / n_ops * 1e6


def deep_chain_backward(n_ops: int = 100_000) -> float:
    """Seconds for backward through a chain of n_ops ops (it must not hit a recursion limit)."""
    x = Tensor(np.ones(1), requires_grad=True)
    y = x
    for _ in range(n_ops):
        y = y * 1.0
    start = time.perf_counter()
    y.sum().backward()
    return time.perf_counter() - start


PEAK_MEMORY_SCRIPT = """
import sys
sys.path.insert(0, {examples!r})
from benchmark import digits, peak_rss_kib
from benchmarks.runners import Batches, MinigradRunner, initial_layers
X, y = digits()
before = peak_rss_kib()
MinigradRunner(initial_layers({hidden}, {seed}), Batches(X, y, {batch})).steps({steps})
print(before, peak_rss_kib())
"""


def peak_rss_kib() -> int:
    """This process's peak resident set size in KiB. Linux's VmHWM is per program; getrusage's
    ru_maxrss would also count the parent's peak before the exec that started us."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_memory(hidden: int, batch: int, steps: int, seed: int = 0) -> dict[str, float]:
    """Peak resident set size (MiB) of a fresh process before and after a training run from
    the initial weights of ``seed``."""
    script = PEAK_MEMORY_SCRIPT.format(examples=str(Path(__file__).resolve().parent),
                                       hidden=hidden, batch=batch, steps=steps, seed=seed)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    before, after = (int(v) / 1024 for v in out.stdout.split())
    return {"hidden": hidden, "batch": batch, "steps": steps,
            "rss_before_mib": before, "rss_peak_mib": after}


def format_table(results: list[dict]) -> str:
    tools = [t for t in results[0]["us_per_step"]]
    header = f"{'H':>5} {'batch':>5} " + " ".join(f"{t:>16}" for t in tools)
    lines = [header, "-" * len(header)]
    for row in results:
        ref = row["us_per_step"]["numpy"]
        cells = " ".join(
            f"{us:>9,.0f} ({us / ref:4.2f})" for us in row["us_per_step"].values()
        )
        lines.append(f"{row['hidden']:>5} {row['batch']:>5} {cells}   {row['matmul_share_of_numpy_step']:6.0%}")
    lines[0] += "   matmul share"
    lines.append("µs per training step (ratio to the hand-written numpy reference); matmul share: the")
    lines.append("fraction of the numpy reference's step spent in matrix products (the rest is overhead)")
    return "\n".join(lines)


def plot(results: list[dict], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(6, 4))
    hs = [r["hidden"] for r in results]
    for tool in results[0]["us_per_step"]:
        ax.plot(hs, [r["us_per_step"][tool] for r in results], marker="o", label=tool)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("hidden width H (batch 32 / 64 / 256)")
    ax.set_ylabel("µs per training step")
    ax.set_title("MLP 64-H-H-10, AdamW, float32")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    plt.close(fig)
    return True


def measure(rounds: int, quick: bool, seed: int) -> dict:
    """Every measurement, printing a line per size of the training step as it is timed."""
    _, notes = available_runners()
    results = []
    for hidden, batch in SIZES:
        us = time_training_steps(hidden, batch, rounds, quick, seed)
        blas = matmul_time(hidden, batch, repeats=3 if quick else 20)
        results.append({"hidden": hidden, "batch": batch, "us_per_step": us,
                        "ratio_to_numpy": {t: v / us["numpy"] for t, v in us.items()},
                        "matmul_us": blas, "matmul_share_of_numpy_step": blas / us["numpy"]})
        print(f"H={hidden:<5} batch={batch:<4} " + "  ".join(f"{t}: {v:,.0f} µs" for t, v in us.items()), flush=True)
    return {
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "cpus": os.cpu_count()},
        "seed": seed,
        "training_steps": results,
        "per_op_overhead_us": per_op_overhead(repeats=3 if quick else 20),
        "backward_100k_chain_s": deep_chain_backward(10_000 if quick else 100_000),
        "peak_memory": peak_memory(256, 64, 20 if quick else 500, seed),
        "notes": notes,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The options; --rounds defaults to 15, or 2 with --quick."""
    parser = argparse.ArgumentParser(prog="benchmark.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few steps per tool: a smoke test")
    parser.add_argument("--seed", type=parse_seed, default=0, help="seed of the initial weights every tool starts from")
    parser.add_argument("--rounds", type=int, default=None, help="timed blocks per tool (default 15, quick 2)")
    parser.add_argument("--out", type=output_folder_for("benchmark.json", "benchmark.png"), default=None,
                        help="folder for benchmark.json and benchmark.png")
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 2 if args.quick else 15
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: list[str] | None = None) -> dict:
    """Measure as the command line asks, print the table (and write --out's files); return the report."""
    with exit_on_interrupt("benchmark.py"):
        args = parse_args(argv)
        report = measure(args.rounds, args.quick, args.seed)
        results, notes = report["training_steps"], report["notes"]
        print()
        print(format_table(results))
        print(f"per-op overhead (forward + backward): {report['per_op_overhead_us']:.1f} µs per op")
        chain = "10,000" if args.quick else "100,000"
        print(f"backward through a {chain}-op chain: {report['backward_100k_chain_s']:.2f} s")
        mem = report["peak_memory"]
        print(f"peak RSS of a training run (H=256, {mem['steps']} steps): {mem['rss_peak_mib']:.0f} MiB "
              f"(after imports and data: {mem['rss_before_mib']:.0f} MiB)")
        for note in notes:
            print("note:", note)
        if args.out:
            make_folder(args.out)
            write_text(args.out / "benchmark.json", json.dumps(report, indent=2))
            drawn = plot(results, args.out / "benchmark.png")
            print(f"wrote {args.out / 'benchmark.json'}" + (" and benchmark.png" if drawn else
                  " (no PNG: matplotlib is not installed)"))
        return report


if __name__ == "__main__":
    main()
