"""Methods: the ways of predicting a task's accuracy at (N, D) from a ladder, as building blocks
that a spec (`fit.method`, or per task) and the command line (`--method`) name; each fits into
one predictor of ladder.laws.predictors.

A method is one of
- chained: an intermediate feature (the task's loss in bits per byte, a validation loss such as
  C4's, or -log of the choice-normalized probability of the correct answer), a step-1 law from
  scale to that feature (per task in (N, D) or in FLOPs C; with exponents shared across tasks;
  or learning-rate-aware over every checkpoint: Tissue et al.'s annealing law or Luo et al.'s
  multi-power law) and a step-2 sigmoid from the feature to accuracy (on the checkpoints after
  a skipped start, or on the late ones only, with or without the ideal point (0, 1), from the
  paper's starting point or the data's);
- direct: one law from (N, D) to accuracy, -log((acc - chance) / (1 - chance)) =
  A / N**alpha + B / D**beta (Krajewski et al., arXiv 2512.08894);
- ensemble: the mean of several methods' predictions.

The presets are the candidates that `auto` chooses among by rollout backtests on the ladder
itself (ladder.fit.rollouts); `paper` is arXiv 2412.04403's method, which with bootstrap
intervals (ladder.fit.bootstrapped) reproduces the paper's tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ladder.errors import LadderError
from ladder.fit.points import CURVE_INPUTS, FeatureFrames
from ladder.fits.fit import ACCURACY, TaskPoints
from ladder.laws.baselines import Carry, Chinchilla, LogLinear
from ladder.laws.lr import LRPowerLaw
from ladder.laws.multipower import MultiPowerLaw
from ladder.laws.power import PowerLaw
from ladder.laws.predictors import Chained, ComputeLaw, DirectAccuracy, EndOfRun
from ladder.laws.shared import SharedPowerLaw
from ladder.laws.sigmoid import Sigmoid
from ladder.spec.ladder import FitOptions
from ladder.spec.presets import PRESETS, SOFT_LOG, TASK_LOSS, Method

CURVE_LAWS = {"lr": LRPowerLaw, "multipower": MultiPowerLaw}  # step 1 over whole loss curves


def method(name: str, known: Mapping[str, Method] = PRESETS) -> Method:
    """A named method (a preset, or one the spec defines); LadderError naming the known ones."""
    if name not in known:
        raise LadderError(f"unknown method {name!r} (known: {', '.join(known)}, auto, ensemble)")
    return known[name]


def available(
    name: str,
    table: pd.DataFrame,
    known: Mapping[str, Method] = PRESETS,
    metric: str = ACCURACY,
) -> str | None:
    """Why a method cannot predict `metric` (accuracy, or task_loss for a loss-only table) on
    this table (its feature, the task loss or learning rates are missing), or None when it can."""
    spec = method(name, known)
    if spec.kind == "ensemble":
        reasons = [why for m in spec.members if (why := available(m, table, known, metric))]
        return reasons[0] if reasons else None
    if spec.kind == "direct" and metric != ACCURACY:
        return "it predicts accuracy; the table has none"
    if spec.kind == "chinchilla" and metric == ACCURACY:
        return "it predicts the task loss; use it on loss-only tables"
    if spec.kind != "chained":
        return None
    if metric != ACCURACY and spec.feature != TASK_LOSS:
        return f"it predicts through {spec.feature}, not the task loss"
    if spec.feature == TASK_LOSS and table["task_loss"].isna().all():
        return "the table has no task loss"
    if spec.feature == SOFT_LOG and (SOFT_LOG not in table or table[SOFT_LOG].isna().all()):
        return "the table has no soft_log"
    if spec.feature not in (TASK_LOSS, SOFT_LOG) and not (table["task"] == spec.feature).any():
        return f"the table has no {spec.feature} task"
    if spec.step1 in CURVE_LAWS and (
        "learning_rate" not in table or table["learning_rate"].isna().all()
    ):
        return "the table has no learning_rate (name its schedule: --schedule or fit.schedule)"
    return None


def _law_kwargs(opts: FitOptions) -> dict[str, Any]:
    return {"n_starts": opts.n_starts, "seed": opts.seed}


def step2_sigmoid(points: TaskPoints, spec: Method, opts: FitOptions) -> Sigmoid:
    """Step 2's sigmoid fitted on the checkpoints (with the ideal point (0, 1) if anchored)."""
    x = points.checkpoints["feature"].to_numpy(dtype=float)
    y = points.checkpoints["accuracy"].to_numpy(dtype=float)
    anchor = opts.anchor if spec.anchor is None else spec.anchor
    if anchor:
        x, y = np.append(x, 0.0), np.append(y, 1.0)
    sigmoid = Sigmoid(
        chance=points.task.chance, data_starts=spec.starts == "data", **_law_kwargs(opts)
    )
    return sigmoid.fit(x, y)


def curve_points(
    points: TaskPoints, frames: FeatureFrames, runs: Sequence[str], step1: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The learning-rate-aware law's rows (N, then CURVE_INPUTS[step1]) and the feature at
    every checkpoint of the fit runs from the learning rate's peak on, and its row at each
    run's last checkpoint."""
    curves = frames.curves(step1)
    frame = points.frame[points.frame["run"].isin(runs)].merge(curves, on=["run", "step"])
    inputs = ["params", *CURVE_INPUTS[step1][1]]
    rows, values, ends = [], [], []
    for run in runs:
        part = frame[frame["run"] == run].sort_values("step")
        if part.empty:
            raise LadderError(f"run {run!r} has no learning_rate")
        x = part[inputs].to_numpy(dtype=float)
        after = np.arange(len(part)) >= int(np.argmax(part["learning_rate"].to_numpy()))
        rows.append(x[after])
        values.append(part["feature"].to_numpy(dtype=float)[after])
        ends.append(x[-1])
    return np.vstack(rows), np.concatenate(values), np.array(ends)


def _step1(
    points: TaskPoints, spec: Method, opts: FitOptions, runs: Sequence[str], frames: FeatureFrames
) -> Any:
    """The fitted step-1 law of a chained method, as a predictor of rows of (N, D)."""
    kw = {"huber_delta": opts.huber_delta, **_law_kwargs(opts)}
    y = points.final["feature"].to_numpy(dtype=float)
    if spec.step1 == "flops":
        return ComputeLaw(PowerLaw(("C",), **kw)).fit(points.nd, y)
    if spec.step1 in CURVE_LAWS:
        law = CURVE_LAWS[spec.step1](**kw)
        x, values, ends = curve_points(points, frames, runs, spec.step1)
        scaled = np.isin(law.inputs[1:], law.per_token)
        tokens = points.final["tokens"].to_numpy(dtype=float)[:, None]
        end = np.median(ends[:, 1:] / np.where(scaled, tokens, 1.0), axis=0)
        return EndOfRun(law, end.tolist()).fit(x, values)
    return PowerLaw(("N", "D"), **kw).fit(points.nd, y)


def fit_method(
    name: str,
    points: Mapping[str, TaskPoints],
    opts: FitOptions,
    runs: Sequence[str],
    frames: FeatureFrames,
    known: Mapping[str, Method] = PRESETS,
    metric: str = ACCURACY,
) -> dict[str, Any]:
    """Fit a named method for every task of `points` (built with the method's feature) to
    predict `metric` (accuracy; or task_loss, where a chained method predicts with its step 1),
    the shared-exponent step 1 jointly across tasks; the predictors by task. LadderError
    naming the task on failure."""
    spec = method(name, known)
    if spec.kind == "ensemble":
        raise LadderError(
            "fit an ensemble's members one by one (ladder.fit.calibrated.fit_methods)"
        )
    shared = (
        _fit_shared(points, opts) if spec.kind == "chained" and spec.step1 == "shared" else None
    )
    models = {}
    for i, (task, data) in enumerate(points.items()):
        y = data.final[ACCURACY if metric == ACCURACY else "feature"].to_numpy(dtype=float)
        try:
            if spec.kind != "chained":
                models[task] = _baseline(spec, data, opts).fit(data.nd, y)
                continue
            if data.final["feature"].isna().any():
                raise LadderError(
                    f"the table has no {spec.feature} for this task's fit runs, and the method "
                    "predicts through it: fit the tasks that have it (--tasks) or use a method "
                    "of accuracy alone (direct, linear_n, linear_c, carry)"
                )
            step1 = (
                shared.task_law(i) if shared is not None else _step1(data, spec, opts, runs, frames)
            )
            if metric != ACCURACY:
                models[task] = step1
                continue
            models[task] = Chained(step1, step2_sigmoid(data, spec, opts), spec.feature)
        except LadderError as exc:
            raise LadderError(f"task {task!r}, method {name!r}: {exc}") from None
    return models


def _baseline(spec: Method, points: TaskPoints, opts: FitOptions) -> Any:
    """An unfitted predictor of rows (N, D) for a method that is not chained."""
    if spec.kind == "direct":
        law = PowerLaw(("N", "D"), floor=False, huber_delta=opts.huber_delta, **_law_kwargs(opts))
        return DirectAccuracy(law, points.task.chance)
    if spec.kind == "linear":
        return LogLinear(spec.variable)
    if spec.kind == "carry":
        return Carry()
    return Chinchilla()


def _fit_shared(points: Mapping[str, TaskPoints], opts: FitOptions) -> SharedPowerLaw:
    x = np.vstack(
        [np.column_stack([p.nd, np.full(len(p.nd), i)]) for i, p in enumerate(points.values())]
    )
    y = np.concatenate([p.final["feature"].to_numpy(dtype=float) for p in points.values()])
    try:
        return SharedPowerLaw(len(points), huber_delta=opts.huber_delta, seed=opts.seed).fit(x, y)
    except LadderError as exc:
        raise LadderError(f"method 'shared', step 1: {exc}") from None
