"""The figures of the seven claims, drawn with matplotlib if it is installed (the ``plot`` extra).

``pyplot()`` imports matplotlib lazily, with a file-only backend, and returns None where it is
missing; ``save`` draws one claim's figure, ``claimN.png``, from the arrays the claim recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from minigrad import Tensor, no_grad
from minigrad.files import save_figure
from tour.claim import Claim, figure_file, format_lr
from tour.scales import SCALE_FAMILIES
from tour.valley import ROSENBROCK, VALLEY, VALLEY_FAMILIES, Landscape


COLORS = {"SGD": "tab:gray", "SGD+momentum": "tab:blue", "AdaGrad": "tab:green", "RMSProp": "tab:orange",
          "Adam": "tab:red", "Adam+L2": "tab:red", "AdamW": "tab:purple"}


def _contours(ax: Any, land: Landscape, values: np.ndarray) -> None:
    """Log-spaced contour lines of a landscape's ``values`` over its plot window (no ticks: the
    window is given in the landscape's description)."""
    x0, x1, y0, y1 = land.window
    xs, ys = np.meshgrid(np.linspace(x0, x1, values.shape[1]), np.linspace(y0, y1, values.shape[0]))
    ax.contour(xs, ys, values, levels=np.geomspace(max(values.min(), 1e-3), values.max(), 18),
               colors="lightgray", linewidths=0.7)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), aspect="equal", xticks=[], yticks=[])


def _grid_values(land: Landscape, size: int = 200) -> np.ndarray:
    """The landscape's loss on a size × size grid over its window (rows are y, columns x)."""
    x0, x1, y0, y1 = land.window
    xs, ys = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y0, y1, size))
    with no_grad():
        return land.loss(Tensor(np.stack([xs.ravel(), ys.ravel()], axis=1))).data.reshape(xs.shape)


def _finish(ax: Any, title: str, **settings: Any) -> None:
    """Title, axis settings (labels, limits) and legend of one panel."""
    ax.set(title=title, **settings)
    ax.legend(fontsize=8)


def figure_1(claim: Claim, plt: Any) -> Any:
    fig = plt.figure(figsize=(15, 11))
    panels = fig.add_gridspec(3, 4)
    for row, land in enumerate((VALLEY, ROSENBROCK)):
        values = _grid_values(land)
        losses = fig.add_subplot(panels[2, 2 * row: 2 * row + 2])
        for column, name in enumerate(VALLEY_FAMILIES):
            key = f"{land.name}.{name}"
            label = f"{name}, γ = {format_lr(claim.numbers[key + '.lr'])}"
            ax = fig.add_subplot(panels[row, column])
            _contours(ax, land, values)
            path = claim.arrays[key + ".path"]
            ax.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=0.8, color=COLORS[name])
            steps = claim.numbers[key + ".steps"]
            arrives = f"arrives and stays in {steps:.0f} steps" if np.isfinite(steps) else "does not arrive and stay"
            ax.set_title(f"{land.name}: {label}\n{arrives}; {claim.numbers[key + '.bounce']:.0%} of its "
                         "steps bounce", fontsize=9)
            losses.semilogy(claim.arrays[key + ".loss"], color=COLORS[name], label=label)
        losses.axhline(land.threshold, color="k", ls=":", lw=0.8, label="threshold")
        losses.set_xscale("symlog", linthresh=100)
        _finish(losses, f"{land.name}: loss", xlabel="step (linear to 100, then logarithmic)", ylabel="loss",
                xlim=(0, None), ylim=(1e-8, 1e4))
    fig.suptitle("1. Trajectories at each optimizer's best learning rate")
    return fig


def figure_2(claim: Claim, plt: Any) -> Any:
    fig, axes = plt.subplots(1, len(SCALE_FAMILIES), figsize=(14, 3.6), sharey=True)
    lr = claim.arrays["lr"]
    for ax, name in zip(axes, SCALE_FAMILIES):
        error = np.clip(claim.arrays[f"{name}.final_error"], 1e-17, 1e3)
        ax.loglog(lr, error[:, 0], "o-", ms=3, label="x (gradient 1.5)")
        ax.loglog(lr, error[:, 1], "s--", ms=3, label="y (gradient 150)")
        ax.set(title=name, xlabel="learning rate")
    axes[0].set_ylabel("final |error| (clipped to 1e3)")
    axes[0].legend(fontsize=8, loc="lower left")
    fig.suptitle("2. Final error of each coordinate against the learning rate")
    return fig


def figure_3(claim: Claim, plt: Any) -> Any:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name in ("AdaGrad", "RMSProp"):
        step = claim.arrays[f"{name}.step"]
        ax.loglog(np.arange(1, step.size + 1), step, color=COLORS[name], label=name)
    t = np.arange(1, claim.arrays["AdaGrad.step"].size + 1)
    ax.loglog(t, 1 / np.sqrt(t), "k:", lw=0.8, label="1/√t")
    _finish(ax, "3. Effective step under a steady gradient", xlabel="step t",
            ylabel="effective step |Δθ|/|g|, in units of γ/|g|")
    return fig


def figure_4(claim: Claim, plt: Any) -> Any:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    for name, marker in (("AdaGrad", "o"), ("SGD", "s")):
        step = claim.arrays[f"{name}.step"]
        t = np.arange(1, step.shape[0] + 1)
        left.semilogy(t, step[:, 0], color=COLORS[name], lw=1, label=f"{name}, frequent feature")
        seen = np.isfinite(step[:, 1])
        left.semilogy(t[seen], step[seen, 1], marker, ms=4, color=COLORS[name], ls="none",
                      label=f"{name}, rare feature")
        errors = claim.arrays[f"{name}.errors"]
        finite = np.isfinite(errors).all(axis=1)
        right.loglog(errors[finite, 0], errors[finite, 1], marker + "-", ms=4, color=COLORS[name],
                     label=f"{name}, one point per γ")
        chosen = list(claim.arrays["lr"]).index(claim.numbers[f"{name}.lr"])
        right.loglog(*errors[chosen], marker, ms=11, mfc="none", color=COLORS[name],
                     label=f"{name}'s best, γ = {format_lr(claim.numbers[f'{name}.lr'])}")
    _finish(left, "step per unit gradient (first stream, at each one's best γ)", xlabel="example",
            ylabel="|Δw|/|g|")
    _finish(right, "final errors over the learning-rate grid", xlabel="error of the frequent weight",
            ylabel="error of the rare weight")
    fig.suptitle("4. A rare feature keeps a large AdaGrad step")
    return fig


def figure_5(claim: Claim, plt: Any) -> Any:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    t = np.arange(1, claim.arrays["measured"].size + 1)
    ax.plot(t, claim.arrays["uncorrected"], color=COLORS["Adam"], ls="--", label="without bias correction γ·m/√v")
    ax.plot(t, claim.arrays["corrected"], color=COLORS["Adam"], label="with bias correction γ·m̂/√v̂")
    ax.plot(t, claim.arrays["measured"], "k.", ms=3, label="Adam's measured step |Δθ|")
    _finish(ax, "5. Adam's first steps under a steady gradient", xlabel="step t",
            ylabel="step size, in units of γ", ylim=(0, None))
    return fig


def figure_6(claim: Claim, plt: Any) -> Any:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name in ("RMSProp", "Adam"):
        path = claim.arrays[f"{name}.path"]
        left.plot(path[:400, 0], path[:400, 1], lw=0.8, color=COLORS[name], label=f"{name}, first 400 steps")
        right.hist(claim.arrays[f"{name}.steps"].ravel(), bins=60, alpha=0.6, color=COLORS[name],
                   label=f"{name}: spread {claim.numbers[f'{name}.step_spread']:.2f}γ")
    _finish(left, "paths", xlabel="θ₁", ylabel="θ₂")
    _finish(right, "steps after the warm-up", xlabel="step Δθ per coordinate, in units of γ",
            ylabel="count")
    fig.suptitle("6. The same noisy gradients, with and without momentum")
    return fig


def figure_7(claim: Claim, plt: Any) -> Any:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name, style in (("Adam+L2", "-"), ("AdamW", "--")):
        kept = claim.arrays[f"{name}.kept"]
        ax.plot(kept[:, 0], style, color=COLORS[name], label=f"{name}, gradient scale 1")
        ax.plot(kept[:, 1], style, color=COLORS[name], alpha=0.45, lw=3, label=f"{name}, gradient scale 100")
    _finish(ax, "7. How much weight decay each parameter receives", xlabel="step",
            ylabel="weight kept (decay run / no-decay run)")
    return fig


FIGURES: dict[int, Callable[[Claim, Any], Any]] = {
    1: figure_1, 2: figure_2, 3: figure_3, 4: figure_4, 5: figure_5, 6: figure_6, 7: figure_7,
}


def pyplot() -> Any:
    """matplotlib.pyplot with a file-only backend, or None where matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(claim: Claim, plt: Any, out: Path) -> None:
    """Draw the figure of ``claim`` with ``plt`` and write it to ``out/claimN.png``."""
    fig = FIGURES[claim.number](claim, plt)
    fig.tight_layout()
    save_figure(fig, out / figure_file(claim.number), dpi=110)
    plt.close(fig)
