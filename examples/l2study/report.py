"""report.md and the stdout summary, written from the parts' summaries.

Every number in the text comes from the measurements; where the result could have gone either
way, the sentence is chosen by the numbers (and says which way it went).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Collection, Sequence

from l2study import grid, same_number
from l2study.settings import Settings
from l2study.training import LABELS
from minigrad.files import write_text

ROUNDING, DIFFERENT = 1e-12, 1e-2  # what "equal to rounding" and "different" mean in part 1
ON_RIDGE = 1e-6  # part 2: Adam+L2 has reached ridge if it ends closer than this
UNIFORM = 1e-6  # part 3: AdamW's rates are all γλ if p95/p5 and median/γλ are this close to 1
MATCHED = 0.1  # part 3: a median relative error to the stationary prediction that counts as a match
SMALL_ROOT = 0.1  # part 3: √v̂ ≪ 1 if its 95th percentile is below this
SLOPE_MATTERS = 0.3  # parts 3 and 4: a log-log slope smaller than this in size reads as flat
FEW_SEEDS = 5  # with fewer seeds, a standard deviation over seeds is a rough estimate
NEAR_ZERO = 0.1  # part 5: ‖W‖ under this fraction of its start is near the all-zero network
KEPT = 0.02  # part 5: accuracy lost at the largest λ, against the smallest, that still counts as kept


def _e(x: float) -> str:
    return f"{x:.1e}"


def _fixed(x: float, digits: int) -> str:
    """``x`` with ``digits`` decimals, and no minus sign when that rounds to zero ("0.00", not
    "-0.00": adding 0.0 turns -0.0 into 0.0)."""
    return f"{round(x, digits) + 0.0:.{digits}f}"


def _span(values: list[float]) -> str:
    return f"{_e(min(values))} to {_e(max(values))}"


def _pm(mean: float, std: float) -> str:
    return f"{mean:.3f} ± {std:.3f}"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _images(files: list[str]) -> str:
    return "\n\n".join(f"![{Path(f).stem}]({f})" for f in files)


# ------------------------------------------------------------------------------ part 1
def _equivalences(s: dict[str, Any]) -> str:
    rows = [[r["a"], r["b"], r["expected"], _e(r["max_abs_diff"])] for r in s["rows"]]
    table = _table(["variant a", "variant b", "spec says", "max_t ‖θ_a − θ_b‖_∞"], rows)
    held = s["worst_equal"] < ROUNDING and s["smallest_difference"] > DIFFERENT
    differ = {r["b"]: r["max_abs_diff"] for r in s["rows"] if r["expected"] == "differ"}
    momentum, adamw = differ.values()
    verdict = ("All three facts of the optimizer spec hold." if held else
               f"**Not as the spec says**: an equivalent pair differs by {_e(s['worst_equal'])} or a "
               f"different pair agrees to {_e(s['smallest_difference'])}.")
    text = (
        f"On a synthetic least-squares problem in float64, each variant takes {s['steps']} steps "
        f"(γ = {s['lr']}, λ = {s['weight_decay']}) from the same start. The pairs the spec calls "
        f"equivalent never move apart by more than {_e(s['worst_equal'])} (0 means bitwise "
        f"identical: the very same floating-point operations). Putting λθ into the gradient or "
        f"λ/2‖θ‖² into the loss is one and the same thing, and for plain SGD so is shrinking θ "
        f"by (1 − γλ). The other two pairs are different algorithms: coupled and decoupled SGD "
        f"with momentum {s['momentum']} move up to {momentum:.3g} apart along the way (in the "
        f"coupled one, λθ accumulates in the momentum buffer), and Adam(weight_decay=λ) and "
        f"AdamW(weight_decay=λ) up to {adamw:.3g} (Adam divides λθ by √v̂, AdamW does not); the "
        f"gaps are the largest over all steps. {verdict}")
    return f"{table}\n\n{text}"


# ------------------------------------------------------------------------------ part 2
def _ridge(rs: list[dict[str, Any]]) -> str:
    """Where Adam+L2 ended against ridge (a sentence)."""
    worst = max(r["adam_l2_to_ridge"] for r in rs)
    if worst < ON_RIDGE:
        return (f"Adam+L2 ends within {_e(worst)} of the ridge solution (Ridge with α = nλ, no "
                f"intercept) in every case: it minimises the penalised loss (1/2n)‖Xθ − y‖² + λ/2‖θ‖², "
                f"and only that.")
    far = sum(r["adam_l2_to_ridge"] >= ON_RIDGE for r in rs)
    return (f"Adam+L2 ends up to {_e(worst)} from the ridge solution (Ridge with α = nλ, no "
            f"intercept), farther than {ON_RIDGE:g} in {far} of {len(rs)} cases: there it has not "
            f"reached the minimiser of the penalised loss (1/2n)‖Xθ − y‖² + λ/2‖θ‖².")


def _convergence_verdict(rs: list[dict[str, Any]]) -> str:
    """Whether the runs show a penalty against a constraint (a sentence)."""
    on_ridge = max(r["adam_l2_to_ridge"] for r in rs) < ON_RIDGE
    closer = sum(r["adamw_to_box"] < r["adamw_to_ridge"] for r in rs)
    if on_ridge and closer == len(rs):
        return ("The two weight decays with the same λ thus solve different problems: a penalty "
                "(ridge) and a constraint (a box).")
    if closer < len(rs):
        return (f"Here, though, AdamW ended no closer to the box than to ridge in {len(rs) - closer} of "
                f"{len(rs)} cases, so these runs do not show the constraint this predicts.")
    return "AdamW matched the box in every case, but Adam+L2 did not reach ridge in all of them."


def _convergence(s: dict[str, Any]) -> str:
    rows = [[r["problem"], f"{r['weight_decay']:g}", f"{r['bound']:.3g}",
             f"{r['n_ls_outside']}/{r['n_coefficients']}", _e(r["adam_l2_to_ridge"]),
             _e(r["adam_l2_to_box"]), _e(r["adamw_to_box"]), _e(r["adamw_to_ridge"])]
            for r in s["rows"]]
    table = _table(["problem", "λ", "box 1/λ", "LS coefs outside box", "Adam+L2 → ridge",
                    "Adam+L2 → box", "AdamW → box", "AdamW → ridge"], rows)
    rs = s["rows"]
    closer = sum(r["adamw_to_box"] < r["adamw_to_ridge"] for r in rs)
    text = (
        f"Distances are max_i |θ_i − θ_ref,i| after {s['steps']} full-batch steps, the learning "
        f"rate annealed by a cosine from {s['lr']} to 0. {_ridge(rs)} AdamW ends "
        f"{_span([r['adamw_to_box'] for r in rs])} from the box-constrained least-squares solution "
        f"(|θ_i| ≤ 1/λ, `scipy.optimize.lsq_linear`) and {_span([r['adamw_to_ridge'] for r in rs])} "
        f"from ridge; "
        f"it is closer to the box solution in {closer} of {len(rs)} cases. Why a box is expected: AdamW's step "
        f"is θ ← θ(1 − γλ) − γ·m̂/(√v̂ + ε). With a full batch, near its limit the gradient g is "
        f"almost constant, so m̂ → g and √v̂ → |g|, and a fixed point needs λθ_i = −g_i/(|g_i| + ε). "
        f"A coordinate whose gradient has not vanished (|g_i| ≫ ε) therefore sits at "
        f"θ_i = −sign(g_i)/λ, on the box's face with the loss pushing outward; any other coordinate "
        f"has g_i ≈ 0. These are exactly the optimality conditions of least squares under the "
        f"bounds |θ_i| ≤ 1/λ. The agreement is only approximate because near that point Adam's "
        f"normalised step reacts to the sign of the gradient more than to its size, so the free "
        f"coordinates settle slowly, and ε softens the corner between the two cases. "
        f"{_convergence_verdict(rs)}")
    return f"{table}\n\n{text}"


# ------------------------------------------------------------------------------ part 3
def _adamw_rates(w: dict[str, Any], decay: float) -> str:
    """Whether AdamW's decay rates are all γλ (sentences)."""
    numbers = f"median {_e(w['median'])}, p95/p5 = {w['spread']:.6f}, slope {w['slope']:.1e}"
    if w["spread"] - 1 < UNIFORM and abs(w["median"] / decay - 1) < UNIFORM:
        return (f"AdamW's rates are all γλ = {_e(decay)}: {numbers}. Every weight shrinks by the same "
                f"factor, whatever its gradient history.")
    return f"AdamW's rates are not all γλ = {_e(decay)}: {numbers}."


def _l2_trend(l2: dict[str, Any]) -> str:
    """How Adam+L2's rates go with √v̂ (a clause whose subject is the rates)."""
    slope = _fixed(l2["slope"], 2)
    if l2["slope"] < -SLOPE_MATTERS:
        return (f"fall with the weight's gradient RMS with log-log slope {slope} (−1 would be exact "
                f"inverse proportion)")
    if l2["slope"] > SLOPE_MATTERS:
        return f"rise with the weight's gradient RMS (log-log slope {slope}, where −1 is predicted)"
    return f"hardly depend on the weight's gradient RMS (log-log slope {slope}, where −1 is predicted)"


def _l2_rates(l2: dict[str, Any], decay: float) -> str:
    """What Adam+L2's decay rates are, against the prediction γλ/(√v̂ + ε) and AdamW's γλ (sentences)."""
    fit = "match" if l2["stationary_error"] < MATCHED else "do not match"
    text = (f"Adam+L2's rates run from {_e(l2['p5'])} (p5) to {_e(l2['p95'])} (p95), a factor "
            f"{l2['spread']:.3g}, and {_l2_trend(l2)}. They {fit} the stationary prediction "
            f"γλ/(√v̂ + ε), with a median relative error of {_e(l2['stationary_error'])}.")
    if l2["slope"] < -SLOPE_MATTERS:
        text += (f" The weights with the most gradient history (√v̂ at p95: {_e(l2['sqrt_vhat_p95'])}) "
                 f"are regularized least, those with the least (p5: {_e(l2['sqrt_vhat_p5'])}) most.")
    ratio = l2["median"] / decay
    small_roots = ratio > 1 and l2["sqrt_vhat_p95"] < SMALL_ROOT
    return (text + f" With the same number λ, Adam+L2's median rate is {ratio:.3g}× AdamW's"
            + (", because √v̂ ≪ 1 here." if small_roots else "."))


def _per_parameter(s: dict[str, Any]) -> str:
    rows = []
    for kind, o in s["optimizers"].items():
        for st in o["stats"]:
            rows.append([LABELS[kind], st["epoch"], f"{st['n'] - st['excluded']}/{st['n']}",
                         _e(st["p5"]), _e(st["median"]), _e(st["p95"]), f"{st['spread']:.4g}",
                         _fixed(st["slope"], 3), _e(st["stationary_error"])])
    table = _table(["optimizer", "epoch", "weights used", "r p5", "r median", "r p95", "p95/p5",
                    "slope of log r vs log √v̂", "median \\|r/(γλ/(√v̂+ε)) − 1\\|"], rows)
    l2, w = s["optimizers"]["adam_l2"]["stats"][-1], s["optimizers"]["adamw"]["stats"][-1]
    decay = s["lr"] * s["weight_decay"]
    text = (
        f"Both optimizers train the same MLP (one hidden layer of {s['hidden']}) with the same "
        f"numbers, γ = {s['lr']:g} (constant) and λ = {s['weight_decay']:g}. The decay rate r of a "
        f"weight is the part of its step not explained by the loss gradient, divided by the "
        f"weight: the fraction of it that the decay removes in that step (measured exactly: "
        f"Adam's first moment is linear, so we track the loss gradients' share of it and read v "
        f"from the optimizer; see `per_parameter.py`). At epoch {w['epoch']}, {_adamw_rates(w, decay)} "
        f"{_l2_rates(l2, decay)} {l2['excluded']} Adam+L2 weights and {w['excluded']} AdamW weights are "
        f"left out (r ≤ 0 just after a sign change, or no gradient at all: inputs from pixels "
        f"that are constant in the data).")
    return f"{table}\n\n{text}"


# ------------------------------------------------------------------------------ part 4
def _grid_tables(s: dict[str, Any], kind: str) -> str:
    o = s["optimizers"][kind]
    wds = o["weight_decays"]
    headers = ["γ \\ λ"] + [f"{wd:g}" for wd in wds]
    best = (o["best"]["lr"], o["best"]["weight_decay"])

    def cell(i: int, j: int, name: str) -> str:
        value = _pm(o[name][i][j], o[name + "_std"][i][j])
        return f"**{value}**" if (s["lrs"][i], wds[j]) == best else value

    accuracy = [[f"{lr:g}"] + [cell(i, j, "accuracy") for j in range(len(wds))]
                for i, lr in enumerate(s["lrs"])]
    norm = [[f"{lr:g}"] + [cell(i, j, "norm") for j in range(len(wds))] for i, lr in enumerate(s["lrs"])]
    return (f"**{LABELS[kind]}**, test accuracy (mean ± std over {s['seeds']} seeds; in bold the "
            f"cell with the best validation accuracy):\n\n"
            f"{_table(headers, accuracy)}\n\n**{LABELS[kind]}**, final ‖W‖:\n\n{_table(headers, norm)}")


def _values(axis: list[float]) -> str:
    """A grid axis in words, e.g. "1e-05 … 0.1 (5 values)"."""
    return f"{min(axis):g} … {max(axis):g} ({len(axis)} values)"


def _coupling(slope: float) -> str:
    """How a log-log slope of the good decays against lr reads (a plural subject)."""
    if abs(slope) <= SLOPE_MATTERS:
        return f"hardly move with the learning rate (log-log slope {_fixed(slope, 2)})"
    direction = "fall" if slope < 0 else "rise"
    return f"{direction} by about {abs(slope):.1f} decades per decade of learning rate"


def _band(o: dict[str, Any], i: int, scale: float = 1.0, fmt: str = "g") -> str:
    """Row ``i``'s good λ (times ``scale``), "≤" or "≥" marking an end at the edge of the grid."""
    band = o["bands"][i]
    low_edge, high_edge = grid.edges(band, o["weight_decays"])
    low = ("≤ " if low_edge else "") + format(scale * band[0], fmt)
    high = ("≥ " if high_edge else "") + format(scale * band[-1], fmt)
    if len(band) > 1:
        return f"{low} … {high}"
    return high if high_edge else low


def _per_lr_table(s: dict[str, Any]) -> str:
    l2, w = s["optimizers"]["adam_l2"], s["optimizers"]["adamw"]
    return _table(
        ["γ", "Adam+L2 best λ (val. accuracy)", "Adam+L2 good λ", "AdamW best λ (val. accuracy)", "AdamW good λ",
         "AdamW good λ_p = γλ"],
        [[f"{lr:g}", f"{l2['best_wd_per_lr'][i]:g} ({l2['best_accuracy_per_lr'][i]:.3f})", _band(l2, i),
          f"{w['best_wd_per_lr'][i]:g} ({w['best_accuracy_per_lr'][i]:.3f})", _band(w, i), _band(w, i, lr, ".0e")]
         for i, lr in enumerate(s["lrs"])])


def _grid_best(o: dict[str, Any]) -> str:
    b = o["best"]
    return (f"γ = {b['lr']:g}, λ = {b['weight_decay']:g} (λ_p = γλ = {b['lr'] * b['weight_decay']:.1e}): "
            f"{_pm(b['accuracy'], b['accuracy_std'])}")


def _slope(o: dict[str, Any], rows: int) -> str:
    """How the good λ move with γ, or why that cannot be measured (a clause)."""
    if o["slope"] is None:
        return (f"only {o['slope_rows']} of {rows} rows keep their good λ inside the grid, too few "
                f"(fewer than {grid.MIN_ROWS}): on this grid the slope cannot be measured")
    return (f"over the {o['slope_rows']} of {rows} rows whose good λ stay inside the grid, the good λ "
            f"{_coupling(o['slope'])}")


def _near_best(name: str, o: dict[str, Any]) -> str:
    """How many other cells are within one standard deviation of the best one (a clause)."""
    others = o["near_best"] - 1  # near_best counts the best cell itself
    if others == 0:
        return (f"no other {name} cell is within one standard deviation of its best mean validation "
                f"accuracy (a resolved best)")
    cell = "cell is" if others == 1 else "cells are"
    return (f"{others} other {name} {cell} within one standard deviation of its best mean validation "
            f"accuracy (the seeds cannot tell {'it' if others == 1 else 'them'} from the best)")


def _seed_caveat(seeds: int) -> str:
    """What the number of seeds does to the one-standard-deviation bands (a sentence, or nothing)."""
    if seeds == 1:
        return (" With one seed there is no standard deviation: the good λ and these counts hold only "
                "exact ties.")
    if seeds < FEW_SEEDS:
        return (f" With {seeds} seeds the standard deviation is itself a rough estimate, so the good λ "
                f"and these counts are thin evidence.")
    return ""


def _pattern(s: dict[str, Any]) -> str:
    """Whether the grid shows the paper's pattern, as far as the slopes can say."""
    l2, w = s["optimizers"]["adam_l2"], s["optimizers"]["adamw"]
    if l2["slope"] is None or w["slope"] is None:
        return ("So this grid cannot say whether the paper's pattern holds here; a grid reaching "
                "further in λ could.")
    if l2["slope"] <= -0.7 and abs(w["slope_paper"]) <= SLOPE_MATTERS:
        return "This grid shows the paper's pattern."
    if l2["slope"] > SLOPE_MATTERS and w["slope_paper"] > SLOPE_MATTERS:
        return ("This grid does not show the paper's pattern: both optimizers want more decay at "
                f"larger learning rates, and with the least decay of the grid the final ‖W‖ goes "
                f"from {l2['norm'][0][0]:.3g} at γ = {s['lrs'][0]:g} to {l2['norm'][-1][0]:.3g} at "
                f"γ = {s['lrs'][-1]:g} (Adam+L2; AdamW: {w['norm'][0][0]:.3g} to {w['norm'][-1][0]:.3g}).")
    return "This grid does not show the paper's pattern."


def _grid(s: dict[str, Any]) -> str:
    intro = (f"MLP 64 → {s['hidden']} → 10 (ReLU), {s['epochs']} epochs of minibatches of "
             f"{s['batch_size']}, cosine learning-rate schedule, weights decayed (biases not), "
             f"{s['seeds']} seeds per cell. The same numeric λ is a far stronger decay in Adam+L2 "
             f"than in AdamW (part 5), so each optimizer gets its own range of λ: "
             + "; ".join(f"{LABELS[kind]} {_values(o['weight_decays'])}" for kind, o in s["optimizers"].items())
             + ".")
    parts = [intro] + [_grid_tables(s, kind) for kind in s["optimizers"]]
    l2, w = s["optimizers"]["adam_l2"], s["optimizers"]["adamw"]
    rows = len(s["lrs"])
    cells = rows * len(l2["weight_decays"])
    paper_slope = ("" if w["slope_paper"] is None else
                   f", so the good per-step decays λ_p = γλ, the paper's own weight decay λ (not its "
                   f"normalized weight decay λ_p/√(b/(BT)), which is proportional to λ_p on this grid), "
                   f"{_coupling(w['slope_paper'])}")
    text = (
        f"Cells are chosen on the validation rows and reported on the test rows, so that a best "
        f"cell's score is not the maximum of many noisy test scores. Best Adam+L2: {_grid_best(l2)} "
        f"(test). Best AdamW: {_grid_best(w)} (test). A row's good λ are those within one standard "
        f"deviation (over seeds) of the row's best mean validation accuracy; how they move with γ is "
        f"the least-squares slope of log λ against log γ, λ the geometric centre of each row's good "
        f"λ. A row whose good λ reach the first or last λ of the grid (≤ or ≥ in the table) is left "
        f"out of that slope: its good λ may go on beyond the grid, so their centre is set by where "
        f"the grid ends, not by the training. Adam+L2's λ is the L2 factor, which the paper also puts "
        f"on its axis; {_slope(l2, rows)}. For AdamW, {_slope(w, rows)}{paper_slope}. "
        f"The paper's picture is a diagonal band of good cells for "
        f"coupled L2 (if what matters is the decay per step, ∝ γλ, the best λ falls one decade "
        f"per decade of γ: slope −1) and an axis-aligned band for AdamW in its axes (best λ_p "
        f"independent of γ: slope 0); it was seen on BatchNorm ResNets trained far from "
        f"convergence. {_pattern(s)} Of the {cells} cells of each grid, "
        f"{_near_best('Adam+L2', l2)}; {_near_best('AdamW', w)}.{_seed_caveat(s['seeds'])}")
    return "\n\n".join(parts + ["**Best and good λ for each learning rate** (by mean validation accuracy; "
                                 "≤ and ≥ mark a band that reaches the grid's edge):",
                                 _per_lr_table(s), text])


# ------------------------------------------------------------------------------ part 5
def _fate(name: str, o: dict[str, Any]) -> str:
    if o["collapse_at"] is None:
        return f"{name} never falls below {same_number.COLLAPSE_ACCURACY} test accuracy"
    return f"{name} falls below {same_number.COLLAPSE_ACCURACY} test accuracy from λ = {o['collapse_at']:g} on"


def _at_largest(name: str, stats: list[dict[str, Any]], smallest: float) -> str:
    """What the largest λ left of ``name``'s accuracy and ‖W‖, against the smallest λ (a clause)."""
    first, last = stats[0], stats[-1]
    accuracy = _pm(last["accuracy"], last["accuracy_std"])
    if last["accuracy"] < same_number.COLLAPSE_ACCURACY:
        outcome = f"falls to {accuracy}"
    elif last["accuracy"] >= first["accuracy"] - KEPT:
        outcome = f"keeps {accuracy}"
    else:
        outcome = f"drops to {accuracy} (from {first['accuracy']:.3f} at λ = {smallest:g})"
    return (f"{name} {outcome} with ‖W‖ = {last['norm']:.3g}, {100 * last['norm_ratio']:.3g} % of its value at "
            f"initialization")


def _penalty_reading(last: dict[str, Any]) -> str:
    """What Adam+L2's outcome at the largest λ says about its penalty (a clause)."""
    collapsed = last["accuracy"] < same_number.COLLAPSE_ACCURACY
    near_zero = last["norm_ratio"] < NEAR_ZERO
    if collapsed and near_zero:
        return ("the network has been pulled toward the all-zero weights, whose output ignores the "
                "input. W = 0 (with the biases fitting the class frequencies) is a stationary point of "
                "the penalised loss, since the data's gradient on every weight vanishes there, and once "
                "the penalty's curvature λ outweighs the data's it is a minimum, which Adam+L2 duly finds")
    if collapsed:
        return (f"its accuracy is down to chance level, although its weights are not near zero (under "
                f"{100 * NEAR_ZERO:.0f} % of their start)")
    if near_zero:
        return "its weights are near zero, yet it still classifies well above chance"
    return "at this λ the penalty has not pulled the network to the all-zero weights"


def _same_number(s: dict[str, Any]) -> str:
    l2, w = s["optimizers"]["adam_l2"], s["optimizers"]["adamw"]
    wds = s["weight_decays"]
    rows = [[f"{wd:g}", _pm(a["accuracy"], a["accuracy_std"]), f"{a['norm']:.3g}", f"{a['norm_ratio']:.3g}",
             _pm(b["accuracy"], b["accuracy_std"]), f"{b['norm']:.3g}", f"{b['norm_ratio']:.3g}"]
            for wd, a, b in zip(wds, l2["stats"], w["stats"])]
    table = _table(["λ", "Adam+L2 accuracy", "‖W‖", "‖W‖/‖W₀‖", "AdamW accuracy", "‖W‖", "‖W‖/‖W₀‖"], rows)
    top = wds[-1]
    bound = ("a bound, not a pull to zero" if w["stats"][-1]["norm_ratio"] >= NEAR_ZERO else
             "a bound, and yet its weights end near zero too")
    text = (
        f"At γ = {s['lr']:g}, {_fate('Adam+L2', l2)}, and {_fate('AdamW', w)}. At λ = {top:g}, "
        f"{_at_largest('Adam+L2', l2['stats'], wds[0])}: {_penalty_reading(l2['stats'][-1])}. "
        f"{_at_largest('AdamW at the same λ', w['stats'], wds[0])}: its λ only sets a shrink of "
        f"γλ = {s['lr'] * top:.0e} per step, and at its fixed points |θ_i| is at most about "
        f"1/λ = {1 / top:g} (part 2): {bound}. The same number means a penalty strength in one "
        f"optimizer and a shrink rate in the other.")
    return f"{table}\n\n{text}"


# ------------------------------------------------------------------------------ part 6
def _weight_norm(s: dict[str, Any]) -> str:
    rows = [[LABELS[kind], f"{c['lr']:g}", f"{c['weight_decay']:g}", _pm(c["accuracy"], c["accuracy_std"]),
             f"{c['norms'][0]:.3g}", f"{max(c['norms']):.3g}", f"{c['norms'][-1]:.3g}"]
            for kind, c in s["curves"].items()]
    table = _table(["optimizer", "γ", "λ", "test accuracy", "‖W‖ at start", "max ‖W‖", "‖W‖ at end"], rows)
    source = ("Adam+L2 and AdamW at their best grid cells (part 4)" if s["from_grid"] else
              "Adam+L2 and AdamW at the documented defaults of `weight_norm.DEFAULTS`, because the "
              "grid (part 4) has not been run")
    c, u = s["curves"], s["undecayed"]
    final = {kind: c[kind]["norms"][-1] for kind in c}
    peak = {kind: max(c[kind]["norms"]) for kind in c}

    def against_undecayed(kind: str) -> str:
        plain = u[kind]["norms"][-1]
        return (f"{LABELS[kind]} ends at {final[kind]:.3g} (peak {peak[kind]:.3g}), against {plain:.3g} "
                f"for Adam without decay at the same γ = {u[kind]['lr']:g}: "
                f"{100 * final[kind] / plain:.0f} %")

    text = (
        f"Settings (chosen on validation accuracy): Adam without decay at its best learning rate "
        f"over the grid's, {source}. "
        f"‖W‖ (mean over seeds) goes from {c['adam']['norms'][0]:.3g} at initialization to "
        f"{final['adam']:.3g} for Adam without decay (γ = {c['adam']['lr']:g}). "
        f"{against_undecayed('adam_l2')}. {against_undecayed('adamw')}. The dashed curves in the "
        f"figure are those undecayed runs: the gap between a solid and a dashed curve of one colour "
        f"is what that decay holds back.")
    return f"{table}\n\n{text}"


SECTIONS: dict[str, Callable[[dict[str, Any]], str]] = {
    "equivalences": _equivalences, "convergence": _convergence, "per-parameter": _per_parameter,
    "grid": _grid, "same-number": _same_number, "weight-norm": _weight_norm,
}


def command(settings: Settings, out: Path, part: str) -> str:
    """The command that runs ``part`` with ``settings`` into ``out``: the options that choose
    which runs a report there shows (those that differ from their defaults, and ``--out``)."""
    default = Settings()
    words = ["python", "examples/adam_l2_vs_adamw.py", "--part", part]
    words += ["--quick"] if settings.quick else []
    words += ["--seed", str(settings.seed)] if settings.seed != default.seed else []
    words += ["--seeds", str(settings.seeds)] if settings.seeds != default.seeds else []
    return shlex.join(words + ["--out", str(out)])


def write(path: Path, settings: Settings, parts: Sequence[ModuleType], summaries: dict[str, dict[str, Any]],
          figures: dict[str, list[str]] | None, stale: Collection[str]) -> Path:
    """Write report.md (atomically): a header, then one section per part in ``parts`` (modules with NAME
    and TITLE): its text, or why it is missing (``stale``: the parts whose runs with these settings
    were made only by other code) and the command that fills it."""
    mode = "quick (reduced) study" if settings.quick else "full study"
    lines = [
        "# Coupled L2 in Adam vs AdamW's decoupled weight decay",
        "",
        f"{mode.capitalize()}, seed {settings.seed}, {settings.seeds} seeds for the multi-seed "
        f"parts. Generated by `examples/adam_l2_vs_adamw.py`; raw runs in `results.jsonl`.",
        "",
        "Notation: γ the learning rate, λ the `weight_decay` argument. Adam+L2 is "
        "`Adam(weight_decay=λ)`: g ← g + λθ before the moments. AdamW is `AdamW(weight_decay=λ)`: "
        "θ ← θ(1 − γλ) before the Adam step; the AdamW paper's λ_p is γλ.",
    ]
    if figures is None:
        lines += ["", "*Figures were skipped: matplotlib is not installed (`pip install -e \".[plot]\"`).*"]
    for part in parts:
        lines += ["", f"## {part.TITLE}", ""]
        if part.NAME not in summaries:
            why = ("Not run yet with the current code: its runs with these settings were made by other "
                   "code, which are not reused" if part.NAME in stale else
                   "Not run yet, or not finished, with these settings (runs with other settings do not count)")
            lines.append(f"*{why}. To run it: `{command(settings, path.parent, part.NAME)}`.*")
            continue
        lines.append(SECTIONS[part.NAME](summaries[part.NAME]))
        if figures and figures.get(part.NAME):
            lines += ["", _images(figures[part.NAME])]
    return write_text(path, "\n".join(lines) + "\n")


def headlines(summaries: dict[str, dict[str, Any]]) -> list[str]:
    """A line or two per summarised part, for stdout."""
    out = []
    if "equivalences" in summaries:
        s = summaries["equivalences"]
        out.append(f"1 equivalences: equivalent pairs ≤ {_e(s['worst_equal'])}, different pairs ≥ "
                   f"{_e(s['smallest_difference'])}")
    if "convergence" in summaries:
        rs = summaries["convergence"]["rows"]
        out.append(f"2 convergence: Adam+L2 → ridge ≤ {_e(max(r['adam_l2_to_ridge'] for r in rs))}; "
                   f"AdamW → box {_span([r['adamw_to_box'] for r in rs])}, "
                   f"→ ridge {_span([r['adamw_to_ridge'] for r in rs])}")
    if "per-parameter" in summaries:
        o = summaries["per-parameter"]["optimizers"]
        l2, w = o["adam_l2"]["stats"][-1], o["adamw"]["stats"][-1]
        out.append(f"3 per-parameter decay p95/p5: Adam+L2 {l2['spread']:.3g} (slope vs √v̂ "
                   f"{_fixed(l2['slope'], 2)}), AdamW {w['spread']:.6f}")
    if "grid" in summaries:
        o = summaries["grid"]["optimizers"]
        out.append("4 grid best: " + "; ".join(
            f"{LABELS[k]} γ={b['lr']:g} λ={b['weight_decay']:g} {_pm(b['accuracy'], b['accuracy_std'])}"
            for k, b in ((k, o[k]["best"]) for k in o)))
    if "same-number" in summaries:
        s = summaries["same-number"]
        top = s["weight_decays"][-1]
        out.append(f"5 same λ = {top:g}: " + "; ".join(
            f"{LABELS[k]} accuracy {o['stats'][-1]['accuracy']:.3f}, ‖W‖ {o['stats'][-1]['norm']:.3g}"
            for k, o in s["optimizers"].items()))
    if "weight-norm" in summaries:
        c = summaries["weight-norm"]["curves"]
        out.append("6 final ‖W‖: " + ", ".join(f"{LABELS[k]} {v['norms'][-1]:.3g}" for k, v in c.items()))
    return out
