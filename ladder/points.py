"""From the observation table to the points each step fits (pure pandas, no files).

- task_frame: one task's rows (a weighted average over its source tasks, per run and step)
- final_points: step 1's points, one per run, averaged over its last evaluations
- checkpoint_points: step 2's points, every checkpoint after the skipped start, smoothed
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ladder.errors import LadderError
from ladder.observations import require_runs
from ladder.spec import TaskSpec

KEYS = ["run", "step"]
VALUES = ["params", "tokens", "task_loss", "accuracy"]


def task_frame(table: pd.DataFrame, task: TaskSpec) -> pd.DataFrame:
    """Rows (run, params, tokens, step, task_loss, accuracy) of one spec task.

    A task with several sources is their weighted mean at each (run, step) that has all of
    them; a missing source task is an error that lists the tasks the table has.
    """
    present = set(table["task"].unique())
    missing = [name for name in task.sources if name not in present]
    if missing:
        raise LadderError(
            f"task {task.name!r}: {missing[0]!r} is not in the table "
            f"(it has: {', '.join(sorted(present))})"
        )
    parts = []
    for name, weight in task.sources.items():
        part = table.loc[
            table["task"] == name, [*KEYS, "params", "tokens", "task_loss", "accuracy"]
        ]
        parts.append(part.set_index(KEYS).assign(weight=weight))
    if len(parts) == 1:
        return parts[0].drop(columns="weight").reset_index()
    stacked = pd.concat(parts)
    counts = stacked.groupby(level=KEYS).size()
    complete = counts[counts == len(parts)].index
    stacked = stacked.loc[stacked.index.isin(complete)]
    w = stacked["weight"]
    total = w.groupby(level=KEYS).sum()
    out = pd.DataFrame(
        {
            "params": stacked["params"].groupby(level=KEYS).first(),
            "tokens": stacked["tokens"].groupby(level=KEYS).first(),
            "task_loss": (stacked["task_loss"] * w).groupby(level=KEYS).sum() / total,
            "accuracy": (stacked["accuracy"] * w).groupby(level=KEYS).sum(min_count=1) / total,
        }
    )
    return out.reset_index()


def _runs(frame: pd.DataFrame, runs: Sequence[str], what: str) -> pd.DataFrame:
    require_runs(frame, runs, what)
    return frame[frame["run"].isin(runs)].sort_values(KEYS, kind="stable")


def final_points(frame: pd.DataFrame, runs: Sequence[str], window: int) -> pd.DataFrame:
    """One point per run: N, the final D, and task loss and accuracy averaged over the run's
    last `window` evaluations (the paper's 5), in the order of `runs`."""
    selected = _runs(frame, runs, "final points")
    last = selected.groupby("run", sort=False).tail(window)
    grouped = last.groupby("run", sort=False)
    points = pd.DataFrame(
        {
            "params": grouped["params"].last(),
            "tokens": grouped["tokens"].last(),
            "task_loss": grouped["task_loss"].mean(),
            "accuracy": grouped["accuracy"].mean(),
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
    frame: pd.DataFrame, runs: Sequence[str], skip_fraction: float, window: int
) -> pd.DataFrame:
    """Every checkpoint of each run after its first ceil(skip_fraction x count) ones, with
    task loss and accuracy smoothed by a trailing moving average of `window` checkpoints."""
    selected = _runs(frame, runs, "checkpoint points")
    parts = []
    for run in runs:
        rows = selected[selected["run"] == run]
        rows = rows.iloc[int(np.ceil(skip_fraction * len(rows))) :]
        parts.append(
            rows.assign(
                task_loss=trailing_mean(rows["task_loss"].to_numpy(), window),
                accuracy=trailing_mean(rows["accuracy"].to_numpy(), window),
            )
        )
    return pd.concat(parts, ignore_index=True)
