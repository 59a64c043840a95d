"""From the observation table to the points each step fits (pure pandas, no files).

- task_frame: one task's rows (a weighted average over its source tasks, per run and step),
  with its intermediate feature (`feature`: the task loss, a validation loss, or the
  choice-normalized probability of the correct answer as -log p)
- final_points: step 1's points, one per run, averaged over its last evaluations
- checkpoint_points: step 2's points, the checkpoints after the skipped start (or only the late
  ones), smoothed; a run with a single evaluation contributes that one
- lr_areas, multipower_inputs: what the learning-rate-aware laws see at every checkpoint of a run
- task_points: a task's points for a method (ladder.fits.fit.TaskPoints)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from ladder.data.observations import require, require_runs
from ladder.errors import LadderError
from ladder.fits.fit import TaskPoints
from ladder.laws.lr import LRPowerLaw
from ladder.laws.multipower import INPUTS as MULTIPOWER_INPUTS
from ladder.laws.multipower import KNOTS
from ladder.spec.ladder import FitOptions, TaskSpec
from ladder.spec.presets import SOFT_LOG, TASK_LOSS

KEYS = ["run", "step"]
FEATURE_UNITS = {TASK_LOSS: "bits per byte", SOFT_LOG: "nats (-log p of the correct choice)"}
LR_MOMENTUM = 0.999  # Tissue et al.'s decay of the annealing momentum, per optimizer step
MIN_RATE = 1e-4  # the multi-power law's rates are floored here (a rate of 0 has no eta^-gamma)


def task_frame(table: pd.DataFrame, task: TaskSpec, feature: str = TASK_LOSS) -> pd.DataFrame:
    """Rows (run, params, tokens, step, task_loss, accuracy, feature[, learning_rate]) of one
    spec task.

    A task with several sources is their weighted mean at each (run, step) that has all of
    them. `feature` is the intermediate feature: "task_loss" (the task's own bits per byte),
    "soft_log" (-log of the probability of the correct choice normalized over the choices,
    weighted over the sources), or the name of another table task whose loss is used (e.g.
    the validation set "c4_en-validation"); checkpoints without it are dropped. A missing
    source task or column is an error naming it.
    """
    require(table, "task", list(task.sources), f"task {task.name!r}")
    values = ["task_loss", "accuracy"]
    if feature == SOFT_LOG:
        if SOFT_LOG not in table.columns:
            raise LadderError(f"task {task.name!r}: the table has no soft_log column")
        values.append(SOFT_LOG)
    carried = ["learning_rate"] if "learning_rate" in table.columns else []
    parts = []
    for name, weight in task.sources.items():
        part = table.loc[table["task"] == name, [*KEYS, "params", "tokens", *carried, *values]]
        parts.append(part.set_index(KEYS).assign(weight=weight))
    stacked = pd.concat(parts)
    counts = stacked.groupby(level=KEYS).size()
    stacked = stacked.loc[stacked.index.isin(counts[counts == len(parts)].index)]
    w = stacked["weight"]
    grouped = stacked.groupby(level=KEYS)
    out = pd.DataFrame({"params": grouped["params"].first(), "tokens": grouped["tokens"].first()})
    for column in carried:
        out[column] = grouped[column].first()
    for column in values:
        weighted = (stacked[column] * w).groupby(level=KEYS).sum(min_count=1)
        out[column] = weighted / w.groupby(level=KEYS).sum()
    out = out.reset_index()
    if feature == TASK_LOSS:
        return out.assign(feature=out["task_loss"])
    if feature == SOFT_LOG:
        if out[SOFT_LOG].isna().any():
            raise LadderError(f"task {task.name!r}: soft_log is missing on some checkpoints")
        return out.assign(feature=-out.pop(SOFT_LOG))
    require(table, "task", [feature], f"task {task.name!r}, feature")
    other = table.loc[table["task"] == feature, [*KEYS, "task_loss"]]
    return out.merge(other.rename(columns={"task_loss": "feature"}), on=KEYS, how="inner")


class FeatureFrames:
    """The task frames of one table, each (task, feature) built once, and the inputs of the
    learning-rate-aware laws at every checkpoint of each run with learning rates: what the
    rollout backtests and the final fits of all methods share."""

    def __init__(self, table: pd.DataFrame):
        self.table = table
        self._frames: dict[tuple[str, str], pd.DataFrame] = {}
        self._curves: dict[str, pd.DataFrame] = {}

    def get(self, task: TaskSpec, feature: str = TASK_LOSS) -> pd.DataFrame:
        """task_frame(table, task, feature), built on first use."""
        key = (task.name, feature)
        if key not in self._frames:
            self._frames[key] = task_frame(self.table, task, feature)
        return self._frames[key]

    def curves(self, step1: str) -> pd.DataFrame:
        """(run, step, then the law's inputs after N): CURVE_INPUTS[step1] at every evaluated
        step of each run that logged its learning rate at every step, built on first use."""
        if step1 not in self._curves:
            columns = ["run", "step", "tokens", "learning_rate"]
            steps = self.table[columns].drop_duplicates(["run", "step"]).sort_values(KEYS)
            inputs, names = CURVE_INPUTS[step1]
            parts = []
            for run, rows in steps.groupby("run", sort=False):
                if rows["learning_rate"].notna().all() and rows["learning_rate"].max() > 0:
                    x = inputs(rows["step"], rows["tokens"], rows["learning_rate"])
                    part = pd.DataFrame(x, columns=list(names), index=rows.index)
                    parts.append(part.assign(run=run, step=rows["step"]))
            self._curves[step1] = (
                pd.concat(parts, ignore_index=True)
                if parts
                else pd.DataFrame(columns=["run", "step", *names])
            )
        return self._curves[step1]


def feature_unit(table: pd.DataFrame, feature: str) -> str:
    """The unit of an intermediate feature (a validation task's `loss_unit`)."""
    if feature in FEATURE_UNITS:
        return FEATURE_UNITS[feature]
    units = table.loc[table["task"] == feature, "loss_unit"]
    return str(units.iloc[0]) if len(units) else "unknown"


def _runs(frame: pd.DataFrame, runs: Sequence[str], what: str) -> pd.DataFrame:
    require_runs(frame, runs, what)
    return frame[frame["run"].isin(runs)].sort_values(KEYS, kind="stable")


def _values(frame: pd.DataFrame) -> list[str]:
    return [c for c in ("task_loss", "accuracy", "feature") if c in frame.columns]


def final_points(frame: pd.DataFrame, runs: Sequence[str], window: int) -> pd.DataFrame:
    """One point per run: N, the final D, and the values (task loss, accuracy, feature)
    averaged over the run's last `window` evaluations (the paper's 5), in the order of
    `runs`; `evaluations` says how many were averaged (fewer than `window` for a short run)."""
    selected = _runs(frame, runs, "final points")
    last = selected.groupby("run", sort=False).tail(window)
    grouped = last.groupby("run", sort=False)
    points = pd.DataFrame(
        {
            "params": grouped["params"].last(),
            "tokens": grouped["tokens"].last(),
            **{column: grouped[column].mean() for column in _values(frame)},
            "evaluations": grouped["step"].size(),
        }
    )
    return points.loc[list(runs)].rename_axis("run").reset_index()


def trailing_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average; the first window-1 points average what exists so far."""
    cumsum = np.cumsum(values, dtype=float)
    out = cumsum.copy()
    out[window:] = cumsum[window:] - cumsum[:-window]
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return out / counts


def checkpoint_points(
    frame: pd.DataFrame,
    runs: Sequence[str],
    skip_fraction: float,
    window: int,
    late_fraction: float | None = None,
) -> pd.DataFrame:
    """Step 2's points: each run's checkpoints after its first ceil(skip_fraction x count)
    ones (with `late_fraction`, instead only those at D >= late_fraction x its final D),
    smoothed by a trailing moving average of `window` checkpoints, in the order of `runs`. A
    run whose selection would be empty (a single evaluation: a table of final checkpoints)
    contributes its last one."""
    require_runs(frame, runs, "checkpoint points")
    selected = frame[frame["run"].isin(runs)]
    order = pd.Categorical(selected["run"], categories=list(runs))
    selected = selected.assign(_order=order.codes).sort_values(["_order", "step"], kind="stable")
    by_run = selected.groupby("_order", sort=False)
    position = by_run.cumcount()
    count = by_run["step"].transform("size")
    if late_fraction is not None:
        kept = selected["tokens"] >= late_fraction * by_run["tokens"].transform("max")
    else:
        kept = position >= np.ceil(skip_fraction * count)
    kept |= (
        (by_run["step"].transform(lambda _: 0) == 0)
        & (position == count - 1)
        & ~kept.groupby(selected["_order"]).transform("any")
    )
    rows = selected[kept]
    group = rows["_order"]
    rank = rows.groupby(group).cumcount().to_numpy()
    smoothed = {}
    for column in _values(frame):
        total = rows[column].groupby(group).cumsum()
        earlier = total.groupby(group).shift(window, fill_value=0.0)
        smoothed[column] = (total - earlier).to_numpy() / np.minimum(rank + 1, window)
    return rows.assign(**smoothed).drop(columns="_order").reset_index(drop=True)


def _relative_rate(
    steps: np.ndarray, tokens: np.ndarray, learning_rate: np.ndarray
) -> tuple[np.ndarray, float]:
    """The learning rate relative to its peak at every step 1..last (linearly interpolated
    between the evaluated steps, from 0 at step 0) and the tokens per step; LadderError
    without a usable learning rate."""
    steps = np.asarray(steps, dtype=float)
    rate = np.asarray(learning_rate, dtype=float)
    if not np.all(np.isfinite(rate)) or rate.max() <= 0 or steps[-1] < 1:
        raise LadderError("the learning rate is missing or zero on these checkpoints")
    grid = np.arange(1, int(steps[-1]) + 1, dtype=float)
    relative = np.interp(grid, np.concatenate([[0.0], steps]), np.concatenate([[0.0], rate]))
    return relative / relative.max(), float(np.asarray(tokens, dtype=float)[-1] / steps[-1])


def _at(steps: np.ndarray, length: int) -> np.ndarray:
    """Indices into a per-step grid of `length` steps of the evaluated steps."""
    return np.clip(np.asarray(steps).astype(int), 1, length) - 1


def lr_areas(
    steps: np.ndarray, tokens: np.ndarray, learning_rate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The forward area S1 and the annealed share R = S2 / S1 at each checkpoint of one run
    (ladder.laws.lr), from the learning rate at its evaluated steps (linearly interpolated
    between them, from 0 at step 0). S1 counts tokens weighted by the rate relative to its
    peak; S2 sums the momentum (0.999 per step) of the rate's drops (warm-up rises excluded),
    in tokens. Steps and tokens ascending; LadderError without a usable learning rate."""
    relative, tokens_per_step = _relative_rate(steps, tokens, learning_rate)
    s1 = np.cumsum(relative) * tokens_per_step
    drops = np.maximum(-np.diff(relative, prepend=relative[0]), 0.0)
    s2 = np.cumsum(lfilter([1.0], [1.0, -LR_MOMENTUM], drops)) * tokens_per_step
    at = _at(steps, len(relative))
    return s1[at], s2[at] / s1[at]


def multipower_inputs(
    steps: np.ndarray, tokens: np.ndarray, learning_rate: np.ndarray
) -> np.ndarray:
    """The multi-power law's inputs after N (ladder.laws.multipower) at each checkpoint of one
    run, shape (checkpoints, 1 + 3 KNOTS): the area S (tokens weighted by the rate relative to
    its peak), then per bin of the rate's drops its drop, drop-weighted mean rate and area since
    its drop-weighted mean step (tokens). Bins split the run's cumulative drop into KNOTS equal
    shares, cut at each checkpoint; an empty bin is (0, 1, 0). Inputs as lr_areas'."""
    relative, tokens_per_step = _relative_rate(steps, tokens, learning_rate)
    area = np.cumsum(relative) * tokens_per_step
    drop = np.maximum(-np.diff(relative, prepend=relative[0]), 0.0)
    cumulative = np.cumsum(drop)
    edges = np.searchsorted(cumulative, cumulative[-1] * np.arange(KNOTS + 1) / KNOTS)
    edges[-1] = len(drop)
    sums = [np.concatenate([[0.0], np.cumsum(w)]) for w in (drop, drop * relative, drop * area)]
    end = _at(steps, len(relative))[:, None] + 1  # steps 1..end of each checkpoint
    low, high = np.minimum(edges[None, :-1], end), np.minimum(edges[None, 1:], end)
    total, rate, mean_area = (s[high] - s[low] for s in sums)
    some = total > 0
    safe = np.where(some, total, 1.0)
    rate = np.where(some, np.maximum(rate / safe, MIN_RATE), 1.0)
    since = np.where(some, area[end - 1] - mean_area / safe, 0.0)
    return np.column_stack([area[end[:, 0] - 1], total, rate, np.maximum(since, 0.0)])


CURVE_INPUTS: dict[str, tuple[Callable[..., np.ndarray], tuple[str, ...]]] = {
    "lr": (lambda *run: np.column_stack(lr_areas(*run)), LRPowerLaw.inputs[1:]),
    "multipower": (multipower_inputs, MULTIPOWER_INPUTS[1:]),
}
"""Per learning-rate-aware step 1: its inputs after N from (steps, tokens, learning_rate)."""


def task_points(
    frames: FeatureFrames,
    task: TaskSpec,
    feature: str,
    runs: Sequence[str],
    step2_runs: Sequence[str],
    opts: FitOptions,
    late_fraction: float | None = None,
) -> TaskPoints:
    """One task's points for a method with this intermediate feature: the fit runs' final
    points and, when the task has accuracy, step 2's checkpoints (see checkpoint_points);
    LadderError when a fit run or checkpoint lacks the accuracy the task has elsewhere."""
    frame = frames.get(task, feature)
    final = final_points(frame, runs, opts.final_window)
    where = f"task {task.name!r}"
    if (final["tokens"] <= 0).any():
        run = final.loc[final["tokens"] <= 0, "run"].iloc[0]
        raise LadderError(f"{where}: fit run {run!r} ends at D = 0 tokens (its step 0 only)")
    checkpoints = None
    if frame["accuracy"].notna().any():
        if final["accuracy"].isna().any():
            run = final.loc[final["accuracy"].isna(), "run"].iloc[0]
            raise LadderError(f"{where}: run {run!r} has task loss but no accuracy")
        checkpoints = checkpoint_points(
            frame, step2_runs, opts.skip_fraction, opts.moving_average, late_fraction
        )
        if checkpoints["accuracy"].isna().any():
            raise LadderError(f"{where}: some checkpoints of the fit runs have no accuracy")
    return TaskPoints(task, final, checkpoints, feature, opts.final_window, frame)
