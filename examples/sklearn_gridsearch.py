"""Adam with L2 against AdamW: a scikit-learn GridSearchCV over optimizer × lr × weight_decay.

    python examples/sklearn_gridsearch.py              # 16 settings × 5 folds, about a minute
    python examples/sklearn_gridsearch.py --quick      # 4 settings × 3 folds, a few seconds
    python examples/sklearn_gridsearch.py --seed 1 --out DIR

The same number λ = weight_decay means two different things. Adam adds λθ to the gradient
before its moments (coupled L2: the loss gains λ/2·‖W‖², and Adam's per-coordinate scaling
rescales the decay with the rest of the gradient); AdamW shrinks θ by γλθ at every step, outside
the moments (decoupled decay, scaled by the learning rate γ). So the same numbers are not a fair
grid for both: at γ = 3e-3, AdamW's accuracy is flat for every λ from 1e-4 to 1 (its decay hardly
acts there) while Adam's collapses at λ = 1. Each optimizer therefore gets its own four decades
of λ around where its decay acts, as the study's part 4 does (``examples/l2study/grid.py``):
Adam 1e-4 … 0.1 and AdamW 0.01 … 10, both at the same learning rates; the search says which
setting generalizes best, and the printout says how many of the top settings are within one CV
standard deviation of the best, that is, which ones the folds cannot tell apart.

The estimator is ``Pipeline(StandardScaler, models.estimators.MLPClassifier)`` on the digits
(8×8 images of handwritten digits, 10 classes, in float32, which minigrad trains faster). A
stratified 20 % of the rows is the test set; the grid is ranked by stratified k-fold
cross-validated accuracy on the rest, and the best setting, refit on all of it, is scored once
on the test set.

Prints the ranked table, and writes into ``--out``: ``results.json`` (every setting's fold
scores, mean, standard deviation, rank and fit time, how many settings are within one CV
standard deviation of the best, and the test accuracy) and, when
matplotlib is installed, ``gridsearch.png`` (CV accuracy against λ, a line per optimizer and
learning rate).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, ParameterGrid, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from tqdm import tqdm

from minigrad.cli import exit_on_interrupt, fill_default_out, output_folder_for
from minigrad.data import parse_seed
from minigrad.files import make_folder, save_figure, write_text
from models.estimators import MLPClassifier

def per_optimizer(lrs: list[float], weight_decays: dict[str, list[float]]) -> list[dict[str, list[Any]]]:
    """A GridSearchCV grid: the learning rates ``lrs`` for every optimizer, each with its own λ."""
    return [{"optimizer": [name], "lr": lrs, "weight_decay": wds} for name, wds in weight_decays.items()]


GRID = per_optimizer([1e-3, 3e-3], {"adam": [1e-4, 1e-3, 1e-2, 1e-1], "adamw": [1e-2, 1e-1, 1.0, 10.0]})
QUICK_GRID = per_optimizer([3e-3], {"adam": [1e-4, 1e-1], "adamw": [1e-1, 10.0]})


def ticking_accuracy(bar: tqdm) -> Callable[[Any, np.ndarray, np.ndarray], float]:
    """A GridSearchCV scorer: the estimator's accuracy, advancing ``bar`` by one fold."""

    def accuracy(estimator: Any, X: np.ndarray, y: np.ndarray) -> float:
        bar.update()
        return estimator.score(X, y)

    return accuracy


def run_search(quick: bool, seed: int) -> dict[str, Any]:
    """Run the grid search; return its ranked rows, the best setting and its test accuracy."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X.astype(np.float32), y, test_size=0.2, stratify=y, random_state=seed)
    grid = QUICK_GRID if quick else GRID
    mlp = MLPClassifier(hidden_layer_sizes=(32,) if quick else (64,), epochs=3 if quick else 20, random_state=seed)
    pipeline = Pipeline([("scale", StandardScaler()), ("mlp", mlp)])
    folds = StratifiedKFold(n_splits=3 if quick else 5, shuffle=True, random_state=seed)
    n_folds = len(ParameterGrid(grid)) * folds.get_n_splits()
    with tqdm(total=n_folds, desc="grid search", unit="fold") as bar:
        search = GridSearchCV(pipeline, [{f"mlp__{name}": values for name, values in part.items()} for part in grid],
                              cv=folds, scoring=ticking_accuracy(bar))
        search.fit(X_train, y_train)
    results = search.cv_results_
    rows = [{
        "rank": int(results["rank_test_score"][i]),
        "mean": float(results["mean_test_score"][i]),
        "std": float(results["std_test_score"][i]),
        "folds": [float(results[f"split{k}_test_score"][i]) for k in range(folds.get_n_splits())],
        "fit_seconds": float(results["mean_fit_time"][i]),
        "params": {name.removeprefix("mlp__"): value for name, value in results["params"][i].items()},
    } for i in range(len(results["params"]))]
    rows.sort(key=lambda row: (row["rank"], -row["mean"]))
    return {"rows": rows, "best": rows[0]["params"], "near_best": near_best(rows),
            "test_accuracy": float(search.best_estimator_.score(X_test, y_test))}


def table(rows: list[dict[str, Any]]) -> str:
    """The ranked rows as aligned text: rank, mean ± std CV accuracy, the parameters."""
    lines = [f"{'rank':>4}  {'CV accuracy':<17}  {'optimizer':<9}  {'lr':>6}  {'weight_decay':>12}"]
    for row in rows:
        params = row["params"]
        lines.append(f"{row['rank']:>4}  {row['mean']:.4f} ± {row['std']:.4f}    {params['optimizer']:<9}  "
                     f"{params['lr']:>6g}  {params['weight_decay']:>12g}")
    return "\n".join(lines)


def near_best(rows: list[dict[str, Any]]) -> int:
    """How many of the ranked ``rows`` (the best included) have a mean CV accuracy within one
    standard deviation (over the folds) of the best's."""
    best = rows[0]
    return sum(row["mean"] >= best["mean"] - best["std"] for row in rows)


def resolution(rows: list[dict[str, Any]]) -> str:
    """Whether the folds tell the best setting from the next ones (a line)."""
    tied, std = near_best(rows), rows[0]["std"]
    if tied == 1:
        return f"no other setting is within one CV standard deviation ({std:.4f}) of the best"
    return (f"the top {tied} settings are within one CV standard deviation ({std:.4f}) of the best: "
            f"the folds cannot tell them apart")


def plot(rows: list[dict[str, Any]], path: Path) -> bool:
    """CV accuracy against weight_decay, a line per (optimizer, lr); False if no matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return False
    figure = Figure(figsize=(6, 4), layout="tight")
    axes = figure.subplots()
    lines: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for row in rows:
        lines.setdefault((row["params"]["optimizer"], row["params"]["lr"]), []).append(row)
    for (optimizer, lr), members in sorted(lines.items()):
        members.sort(key=lambda row: row["params"]["weight_decay"])
        axes.errorbar([row["params"]["weight_decay"] for row in members], [row["mean"] for row in members],
                      yerr=[row["std"] for row in members], marker="o", capsize=3, label=f"{optimizer}, lr={lr:g}")
    axes.set(xscale="log", xlabel="weight_decay λ", ylabel="CV accuracy", title="digits: Adam + L2 vs AdamW")
    axes.legend()
    save_figure(figure, path, dpi=110)
    return True


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The options: --quick, --seed and --out."""
    parser = argparse.ArgumentParser(prog="sklearn_gridsearch.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small grid and short runs (a few seconds)")
    parser.add_argument("--seed", type=parse_seed, default=0,
                        help="seed of the test split, the folds and the networks (0 to 2**32 - 1)")
    out_type = output_folder_for("results.json", "gridsearch.png")
    parser.add_argument("--out", type=out_type, default=None,
                        help="folder for results.json and gridsearch.png (default: results/sklearn_gridsearch/, "
                             "or its quick/ subfolder with --quick)")
    args = parser.parse_args(argv)
    fill_default_out(parser, args, "sklearn_gridsearch", out_type)
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Search the grid as the command line asks, write its files, print the ranking; return the results."""
    with exit_on_interrupt("sklearn_gridsearch.py"):
        args = parse_args(argv)
        began = time.perf_counter()
        result = {"seed": args.seed, "quick": args.quick, **run_search(args.quick, args.seed)}
        result["seconds"] = time.perf_counter() - began
        make_folder(args.out)
        write_text(args.out / "results.json", json.dumps(result, indent=1))
        plotted = plot(result["rows"], args.out / "gridsearch.png")
        print(table(result["rows"]))
        print(resolution(result["rows"]))
        best = ", ".join(f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}"
                         for name, value in result["best"].items())
        print(f"best: {best}; refit on all training rows, test accuracy {result['test_accuracy']:.4f}")
        print(f"{len(result['rows'])} settings in {result['seconds']:.1f} s; results.json"
              + (" and gridsearch.png" if plotted else " (figure skipped: no matplotlib)") + f" in {args.out}")
        return result


if __name__ == "__main__":
    main()
