"""Two ladders' fits compared: both predictions at the first fit's targets, the difference
(second - first) with its own interval and a verdict on it, and the observed rungs won.

Two overlapping intervals do not mean "no difference": two ladders built alike share much of
their error, which cancels in the difference. The difference gets its own interval:

- bootstrap intervals (both fits): the central interval of the draws' differences, draw i of
  one less draw i of the other. Fits with the same seed and the same rungs refit the same
  resample of rungs in draw i, so this is a paired bootstrap;
- conformal intervals (both fits): split-conformal on paired rollout residuals. A rollout of
  each ladder predicts the same held-out rung; r = ln(predicted / actual) of the second less
  that of the first is the error of ln(second / first), scaled by the distance like a fit's
  own calibration (ladder.fit.calibration.calibrate), and bounds ln(B / A) at the target;
- otherwise (no matching rollouts, or one fit of each kind): the two intervals' half widths
  added in quadrature, as if the fits' errors were independent (wider than a paired interval
  when they share error).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ladder.errors import LadderError
from ladder.fit.calibration import calibrate
from ladder.fits.fit import ACCURACY, LadderFit, TaskFit
from ladder.laws.bootstrap import interval
from ladder.laws.intervals import Bootstrap, Conformal, distance

BOOTSTRAP, PAIRED, INDEPENDENT = "paired bootstrap", "paired rollouts", "independent"


def rungs_won(first: TaskFit, second: TaskFit) -> tuple[int, int]:
    """How many of the runs both ladders have (by name) the second scores better on at its
    final evaluation (higher accuracy, or lower task loss), and how many there are."""
    column = "accuracy" if first.metric == ACCURACY else "task_loss"
    both = first.points.final.merge(second.points.final, on="run", suffixes=("_a", "_b"))
    sign = 1 if column == "accuracy" else -1
    won = sign * (both[f"{column}_b"] - both[f"{column}_a"]) > 0
    return int(won.sum()), len(both)


def paired_residuals(first: LadderFit, second: LadderFit, task: str) -> pd.DataFrame:
    """The rollout predictions both conformal fits made of the same held-out run of `task`:
    per (rollout, run), log_ratio the second's ln(predicted / actual) less the first's, and
    the first's distance."""
    a, b = (
        fit.selection.mean_of(fit.tasks[task].method.split("+"), task) for fit in (first, second)
    )
    both = a.merge(b, on=["rollout", "run"], suffixes=("_a", "_b"))
    out = pd.DataFrame(
        {"log_ratio": both["log_ratio_b"] - both["log_ratio_a"], "distance": both["distance_a"]}
    )
    return out.dropna()


def difference_interval(
    first: LadderFit, second: LadderFit, task: str, x: np.ndarray, a: pd.Series, b: pd.Series
) -> tuple[float, float, str, int]:
    """The interval of (second - first) at the single point x (rows a and b of the fits'
    predictions there), how it was made (see the module docstring) and from how many draws or
    paired residuals."""
    fa, fb = first.tasks[task], second.tasks[task]
    level = first.spec.fit.level
    if isinstance(fa.intervals, Bootstrap) and isinstance(fb.intervals, Bootstrap):
        da, db = fa.predictor.sample(x)[:, 0], fb.predictor.sample(x)[:, 0]
        n = min(len(da), len(db))
        if n:
            return (*interval(db[:n] - da[:n], level), BOOTSTRAP, n)
    if isinstance(fa.intervals, Conformal) and isinstance(fb.intervals, Conformal):
        paired = paired_residuals(first, second, task)
        if len(paired):
            calibration = calibrate(paired, level)
            params, tokens = x[0]
            d = distance(params, tokens, fa.points.final["params"], fa.points.final["tokens"])
            h = calibration.half_width(d)
            pa, pb = a["predicted"], b["predicted"]
            return pb * math.exp(-h) - pa, pb * math.exp(h) - pa, PAIRED, len(paired)
    diff = b["predicted"] - a["predicted"]
    low = math.hypot(b["predicted"] - b["lower"], a["upper"] - a["predicted"])
    high = math.hypot(b["upper"] - b["predicted"], a["predicted"] - a["lower"])
    return diff - low, diff + high, INDEPENDENT, 0


def verdict(lower: float, upper: float, metric: str) -> str:
    """Which ladder the difference's interval favours: "second", "first" (higher accuracy, or
    lower task loss) or "neither" (the interval holds 0, or is unknown)."""
    if not (np.isfinite(lower) and np.isfinite(upper)) or lower <= 0 <= upper:
        return "neither"
    second_higher = lower > 0
    return "second" if second_higher == (metric == ACCURACY) else "first"


def compare_fits(first: LadderFit, second: LadderFit) -> pd.DataFrame:
    """For each task both fits have, at each of the first fit's targets (N, D): both
    predictions and intervals, the difference (second - first) with its own interval
    (`difference_lower`, `difference_upper`, made by `difference_method` from `difference_n`
    draws or paired residuals), the `verdict` on it ("first", "second", "neither") and the
    ladders' common runs the second scores better on (`rungs_won` of `rungs`). LadderError if
    they share no task or the first has no target."""
    shared = [name for name in first.tasks if name in second.tasks]
    if not shared:
        raise LadderError(
            f"the fits share no task ({', '.join(first.tasks)} vs {', '.join(second.tasks)})"
        )
    if not first.spec.targets:
        raise LadderError("the first fit has no targets to compare at")
    won = {task: rungs_won(first.tasks[task], second.tasks[task]) for task in shared}
    rows = []
    for target in first.spec.targets:
        a = first.predict(target.params, target.tokens).set_index("task")
        b = second.predict(target.params, target.tokens).set_index("task")
        x = np.array([[target.params, target.tokens]], dtype=float)
        for task in shared:
            ra, rb = a.loc[task], b.loc[task]
            low, high, how, n = difference_interval(first, second, task, x, ra, rb)
            rows.append(
                {
                    "target": target.name,
                    "params": target.params,
                    "tokens": target.tokens,
                    "task": task,
                    "metric": ra["metric"],
                    "first": ra["predicted"],
                    "first_lower": ra["lower"],
                    "first_upper": ra["upper"],
                    "second": rb["predicted"],
                    "second_lower": rb["lower"],
                    "second_upper": rb["upper"],
                    "difference": rb["predicted"] - ra["predicted"],
                    "difference_lower": low,
                    "difference_upper": high,
                    "difference_method": how,
                    "difference_n": n,
                    "verdict": verdict(low, high, ra["metric"]),
                    "rungs_won": won[task][0],
                    "rungs": won[task][1],
                    "overlap": bool(ra["lower"] <= rb["upper"] and rb["lower"] <= ra["upper"]),
                }
            )
    return pd.DataFrame(rows)
