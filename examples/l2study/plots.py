"""The figures, drawn with matplotlib if it is installed (the ``plot`` extra).

``draw`` returns, per part, the PNG files it wrote (relative to the output folder), or None
when matplotlib is missing: the report then says the figures were skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from l2study.per_parameter import usable
from l2study.training import LABELS
from minigrad.files import save_figure

COLORS = {"adam": "tab:gray", "adam_l2": "tab:red", "adamw": "tab:blue"}

# The PNG files of each part, in the order its painter draws them: known before anything runs,
# so that the command can check at once that it may write them.
FIGURES = {
    "convergence": ("convergence_coefficients.png",),
    "per-parameter": ("per_parameter_decay.png",),
    "grid": ("grid_heatmaps.png", "grid_paper.png"),
    "same-number": ("same_number.png",),
    "weight-norm": ("weight_norm.png",),
}
ALL_FIGURES = tuple(name for names in FIGURES.values() for name in names)


def draw(summaries: dict[str, dict[str, Any]], out: Path) -> dict[str, list[str]] | None:
    """Draw the figures of every summarised part into ``out``; None without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    painters = {"convergence": _convergence, "per-parameter": _per_parameter, "grid": _grid,
                "same-number": _same_number, "weight-norm": _weight_norm}
    figures: dict[str, list[str]] = {}
    with plt.rc_context({"figure.constrained_layout.use": True, "savefig.dpi": 100}):
        for name, summary in summaries.items():
            if name not in painters:
                continue
            for filename, figure in zip(FIGURES[name], painters[name](plt, summary), strict=True):
                save_figure(figure, out / filename)
                plt.close(figure)
            figures[name] = list(FIGURES[name])
    return figures


def _convergence(plt: Any, summary: dict[str, Any]) -> list[Any]:
    """Bars of the coefficients of both optimizers beside LS, ridge and box, at each problem's
    middle λ, with the box ±1/λ dashed."""
    problems = sorted({row["problem"] for row in summary["rows"]}, reverse=True)
    figure, axes = plt.subplots(1, len(problems), figsize=(6.5 * len(problems), 4), squeeze=False)
    for ax, problem in zip(axes[0], problems):
        rows = [row for row in summary["rows"] if row["problem"] == problem]
        row = rows[len(rows) // 2]
        series = row["coefficients"]
        index = np.arange(row["n_coefficients"])
        width = 0.8 / len(series)
        for k, (label, values) in enumerate(series.items()):
            ax.bar(index + (k - (len(series) - 1) / 2) * width, values, width, label=label)
        for sign in (-1, 1):
            ax.axhline(sign * row["bound"], color="k", linestyle="--", linewidth=0.8)
        ax.set(title=f"{problem}, λ = {row['weight_decay']:g} (box ±{row['bound']:.3g})",
               xlabel="coefficient i", ylabel="θ_i", xticks=index)
        ax.legend(fontsize=7)
    return [figure]


def _per_parameter(plt: Any, summary: dict[str, Any]) -> list[Any]:
    """Log-log scatter of each weight's decay rate r against its √v̂, one colour per watched
    epoch, with the lines γλ/(√v̂ + ε) and γλ: the weights the statistics use
    (``per_parameter.usable``), so not those fed by constant pixels."""
    kinds = list(summary["optimizers"])
    figure, axes = plt.subplots(1, len(kinds), figsize=(6 * len(kinds), 4.5), sharey=True, squeeze=False)
    decay = summary["lr"] * summary["weight_decay"]
    for ax, kind in zip(axes[0], kinds):
        measurements = summary["optimizers"][kind]["measurements"]
        colors = plt.cm.viridis(np.linspace(0, 0.9, len(measurements)))
        roots = []
        for color, m in zip(colors, measurements):
            root, rate = np.array(m["sqrt_vhat"]), np.array(m["rate"])
            used = usable(root, rate, np.array(m["fed"]))
            roots.append(root[used])
            ax.scatter(root[used], rate[used], s=3, alpha=0.4, color=color, label=f"epoch {m['epoch']}")
        grid = np.geomspace(min(r.min() for r in roots), max(r.max() for r in roots), 50)
        ax.plot(grid, decay / (grid + measurements[-1]["eps"]), "k--", linewidth=1, label="γλ/(√v̂ + ε)")
        ax.axhline(decay, color="k", linestyle=":", linewidth=1, label="γλ")
        ax.set(xscale="log", yscale="log", title=LABELS[kind], xlabel="√v̂ (gradient RMS)",
               ylabel="decay per step r = (decay part of the step)/θ")
        ax.legend(fontsize=7, markerscale=3)
    return [figure]


def _heatmap(ax: Any, values: np.ndarray, lrs: list[float], wds: list[float], best: tuple[int, int],
             title: str, fmt: str, log: bool = False) -> None:
    """One lr × λ heatmap (rows λ, columns lr), values written in the cells, best cell boxed;
    ``log``: a logarithmic colour scale (for norms spanning decades)."""
    from matplotlib.colors import LogNorm, Normalize

    norm = LogNorm(values.min(), values.max()) if log else Normalize(values.min(), values.max())
    image = ax.imshow(values.T, origin="lower", cmap="viridis", aspect="auto", norm=norm)
    for i in range(len(lrs)):
        for j in range(len(wds)):
            ink = "k" if norm(values[i, j]) > 0.6 else "w"
            ax.text(i, j, format(values[i, j], fmt), ha="center", va="center", fontsize=7, color=ink)
    ax.add_patch(_best_box(best))
    ax.set(xticks=range(len(lrs)), xticklabels=[f"{v:g}" for v in lrs], yticks=range(len(wds)),
           yticklabels=[f"{v:g}" for v in wds], xlabel="learning rate γ", ylabel="weight_decay λ",
           title=title)
    ax.figure.colorbar(image, ax=ax, shrink=0.8)


def _best_box(cell: tuple[int, int]) -> Any:
    """A red frame around heatmap cell (column, row)."""
    from matplotlib.patches import Rectangle

    return Rectangle((cell[0] - 0.5, cell[1] - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2.5)


def _grid(plt: Any, summary: dict[str, Any]) -> list[Any]:
    """Heatmaps of mean test accuracy and final ‖W‖ (PyTorch's parameterization), and the
    accuracy in the paper's (AdamW at λ_p = γλ), best cells marked."""
    lrs = summary["lrs"]
    kinds = list(summary["optimizers"])
    heat, axes = plt.subplots(2, len(kinds), figsize=(6 * len(kinds), 9), squeeze=False)
    paper, paper_axes = plt.subplots(1, len(kinds), figsize=(6 * len(kinds), 4.5), squeeze=False)
    for column, kind in enumerate(kinds):
        s = summary["optimizers"][kind]
        wds = s["weight_decays"]
        best = (lrs.index(s["best"]["lr"]), wds.index(s["best"]["weight_decay"]))
        accuracy = np.array(s["accuracy"])
        _heatmap(axes[0, column], accuracy, lrs, wds, best,
                 f"{LABELS[kind]}: mean test accuracy ({summary['seeds']} seeds)", ".3f")
        _heatmap(axes[1, column], np.array(s["norm"]), lrs, wds, best,
                 f"{LABELS[kind]}: final ‖W‖ (box: best validation accuracy)", ".3g", log=True)
        ax = paper_axes[0, column]
        x, y = np.meshgrid(lrs, wds, indexing="ij")
        if kind == "adamw":
            y = x * y
        points = ax.scatter(x.ravel(), y.ravel(), c=accuracy.ravel(), marker="s", s=500, cmap="viridis")
        ax.scatter([x[best]], [y[best]], marker="s", s=700, facecolors="none", edgecolors="red", linewidths=2)
        ax.margins(0.15)
        ylabel = "decay per step λ_p = γλ (the paper's λ)" if kind == "adamw" else "L2 factor λ"
        ax.set(xscale="log", yscale="log", xlabel="learning rate γ", ylabel=ylabel,
               title=f"{LABELS[kind]}: mean test accuracy, paper's axes")
        paper.colorbar(points, ax=ax, shrink=0.8)
    return [heat, paper]


def _same_number(plt: Any, summary: dict[str, Any]) -> list[Any]:
    """Test accuracy and final ‖W‖ against the same numeric λ, both optimizers."""
    wds = summary["weight_decays"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    for kind, s in summary["optimizers"].items():
        stats = s["stats"]
        left.errorbar(wds, [x["accuracy"] for x in stats], yerr=[x["accuracy_std"] for x in stats],
                      marker="o", color=COLORS[kind], label=LABELS[kind], capsize=3)
        right.errorbar(wds, [x["norm"] for x in stats], yerr=[x["norm_std"] for x in stats],
                       marker="o", color=COLORS[kind], label=LABELS[kind], capsize=3)
    left.axhline(0.1, color="k", linestyle=":", linewidth=1, label="chance")
    left.set(xscale="log", xlabel="weight_decay λ", ylabel="test accuracy", title=f"γ = {summary['lr']:g}")
    right.set(xscale="log", yscale="log", xlabel="weight_decay λ", ylabel="final ‖W‖")
    left.legend()
    right.legend()
    return [figure]


def _weight_norm(plt: Any, summary: dict[str, Any]) -> list[Any]:
    """‖W‖ after each epoch (mean over seeds), each optimizer at its best setting; dashed, Adam
    without decay at the same learning rates."""
    figure, ax = plt.subplots(figsize=(6.5, 4.2))
    for kind, s in summary["curves"].items():
        ax.plot(range(len(s["norms"])), s["norms"], color=COLORS[kind],
                label=f"{LABELS[kind]} (γ = {s['lr']:g}, λ = {s['weight_decay']:g})")
    for kind, s in summary["undecayed"].items():
        ax.plot(range(len(s["norms"])), s["norms"], color=COLORS[kind], linestyle="--", linewidth=1,
                label=f"Adam, no decay, at {LABELS[kind]}'s γ = {s['lr']:g}")
    ax.set(xlabel="epoch", ylabel="‖W‖ (mean over seeds)", title="Weight norm over training")
    ax.legend(fontsize=8)
    return [figure]
