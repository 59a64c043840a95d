"""Compute-optimal allocation of a fit: per task and training budget C (FLOPs), the N
(parameters) and D (tokens) with C = 6 N D that minimize the predicted task loss (bits per byte)
or maximize the predicted accuracy (ladder.laws.allocation), with intervals.

What is reported, and why: the prediction at the optimum with the fit's own interval there
(bootstrap percentiles or the conformal calibration, as `ladder predict` gives at any point), and
the range of N whose predicted score at the same C lies within that interval (at least its lower
end for an accuracy, at most its upper end for a loss): the allocations the fit cannot tell from
the optimum. That range exists under every interval strategy, whereas a spread of N* over
bootstrap draws would not: conformal intervals and ensembles carry no joint draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ladder.errors import LadderError
from ladder.fits.distance import far_message, warning
from ladder.fits.fit import ACCURACY, LadderFit
from ladder.fits.report import as_unit, labels_of, warning_list
from ladder.laws.allocation import RATIO_BOUNDS, optimal_allocation, params_bounds, params_within

NO_LAW = "no (N, D) law: the prediction at a fixed C does not depend on N and D"
AT_BOUND = (
    f"no optimum within {RATIO_BOUNDS[0]:g} to {RATIO_BOUNDS[1]:g} tokens per parameter: "
    "the prediction keeps improving to the search's end"
)


def budget_name(compute: float) -> str:
    """A compute budget as the allocation table and its warnings name it."""
    return f"C = {compute:.3g}"


def allocate(fit: LadderFit, compute: Sequence[float]) -> pd.DataFrame:
    """One row per (budget, task): the optimum's `params` N and `tokens` D at each `compute` C
    (FLOPs), `tokens_per_param`, the prediction with its interval (`clipped`: an end moved into
    [chance, 1]), `params_low` and `params_high` (the range of N whose prediction lies within
    the interval) and a `note` (a task without an (N, D) law, an optimum at the search's end).
    LadderError for a non-positive compute or when no task's method has an (N, D) law."""
    bad = [c for c in compute if not (np.isfinite(c) and c > 0)]
    if not compute or bad:
        raise LadderError(f"the compute must be positive numbers of FLOPs, got {list(compute)}")
    if not any(t.predictor.allocates for t in fit.tasks.values()):
        methods = ", ".join(dict.fromkeys(t.method for t in fit.tasks.values()))
        raise LadderError(
            f"allocation needs a law of (N, D), and method {methods} predicts from C (or N) "
            "alone: fit with a method of (N, D), e.g. `ladder fit --method paper`"
        )
    rows: list[dict[str, Any]] = []
    for c in compute:
        for name, task_fit in fit.tasks.items():
            row: dict[str, Any] = {"compute": c, "task": name, "metric": task_fit.metric}
            if not task_fit.predictor.allocates:
                rows.append(row | {"note": NO_LAW})
                continue
            maximize = task_fit.metric == ACCURACY
            best = optimal_allocation(task_fit.predictor, c, maximize)
            e = task_fit.estimate(best.params, best.tokens)
            low, high = params_within(
                task_fit.predictor, best, e.lower if maximize else e.upper, maximize
            )
            rows.append(
                row
                | {
                    "params": best.params,
                    "tokens": best.tokens,
                    "tokens_per_param": best.tokens / best.params,
                    "predicted": e.predicted,
                    "lower": e.lower,
                    "upper": e.upper,
                    "clipped": e.clipped,
                    "params_low": low,
                    "params_high": high,
                    "note": AT_BOUND if best.at_bound else None,
                }
            )
    return pd.DataFrame(rows)


def allocation_warnings(fit: LadderFit, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The `far` warning `ladder fit` gives a target, for each optimum of `frame` (allocate's)
    far beyond its task's fit runs, the target named by budget_name."""
    out = []
    for r in frame.dropna(subset=["params"]).itertuples():
        message = far_message(fit.tasks[r.task].points.final, r.params, r.tokens)
        if message is not None:
            out.append(warning(r.task, "far", message, budget_name(r.compute)))
    return out


def format_allocation(fit: LadderFit, frame: pd.DataFrame, warnings: list[dict[str, Any]]) -> str:
    """`ladder allocate`'s table: per budget, each task's N*, D*, D*/N*, the prediction with
    its interval and the range of N within it (rows marked ! where a warning concerns them),
    then the notes and warnings."""
    labels = labels_of(fit)
    flagged = {(w["task"], w["target"]) for w in warnings}
    level = 100 * fit.spec.fit.level
    lines, notes = [], []
    for c, rows in frame.groupby("compute", sort=False):
        budget = budget_name(c)
        lines.append(f"{budget} FLOPs")
        width = max(8, *(len(labels[t]) + 4 for t in rows["task"]))
        lines.append(
            f"  {'task':<{width}}{'N*':>10}{'D*':>10}{'D*/N*':>10}{'pred':>7}  "
            f"{f'{level:g}% interval':<15}N within it"
        )
        for r in rows.itertuples():
            label = labels[r.task] + (" !" if (r.task, budget) in flagged else "")
            if isinstance(r.note, str):
                notes.append(f"  {labels[r.task]}, {budget}: {r.note}")
            if not np.isfinite(r.params):
                lines.append(f"  {label:<{width}}{'-':>10}{'-':>10}{'-':>10}{'-':>7}")
                continue
            interval = f"[{as_unit(r.lower, r.metric)}, {as_unit(r.upper, r.metric)}]"
            interval += "c" if r.clipped else ""
            ends = zip((r.params_low, r.params_high), params_bounds(c), ("<", ">"), strict=True)
            within = ", ".join(
                (mark if np.isclose(end, bound) else "") + f"{end:.3g}" for end, bound, mark in ends
            )
            lines.append(
                f"  {label:<{width}}{r.params:>10.3g}{r.tokens:>10.3g}{r.tokens_per_param:>10.3g}"
                f"{as_unit(r.predicted, r.metric):>7}  {interval:<15}"
                + (f"[{within}]" if np.isfinite([r.params_low, r.params_high]).all() else "-")
            )
        lines.append("")
    if notes:
        lines += ["Notes:", *dict.fromkeys(notes), ""]
    if warnings:
        lines += ["Warnings (rows marked !):", *warning_list(warnings, labels), ""]
    lines.append(
        "N*, D* (C = 6 N D) maximize the predicted accuracy (in points; minimize a task loss, "
        "bits per byte); N within it: the model sizes whose prediction at the same C lies within "
        f"the optimum's interval (<, >: up to the search's ends, {RATIO_BOUNDS[1]:g} and "
        f"{RATIO_BOUNDS[0]:g} tokens per parameter); c: clipped to [chance, 100]."
    )
    return "\n".join(lines)
