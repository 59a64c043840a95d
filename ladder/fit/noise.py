"""The noise floor: checkpoint-to-checkpoint noise of task loss and accuracy at the end of
training, the scale that a prediction error should be compared with (the paper's Table 4)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ladder.data.observations import require_runs
from ladder.errors import LadderError
from ladder.fit.points import task_frame
from ladder.spec.ladder import TaskSpec


def noise_floor(
    table: pd.DataFrame, tasks: Sequence[TaskSpec], runs: Sequence[str], last_n: int = 10
) -> pd.DataFrame:
    """Per task and run: the standard deviation (population, as the paper) and coefficient of
    variation (SD / mean) of the raw task loss and accuracy over the run's last `last_n`
    evaluations. A run with fewer than two evaluations gives NaN, never a made-up zero."""
    if last_n < 2:
        raise LadderError(f"last_n must be at least 2 (got {last_n})")
    require_runs(table, runs, "noise floor")
    rows = []
    for task in tasks:
        frame = task_frame(table, task)
        for run in runs:
            last = frame[frame["run"] == run].sort_values("step").tail(last_n)
            row = {"task": task.name, "display": task.label, "run": run, "n": len(last)}
            for column, key in (("task_loss", "loss"), ("accuracy", "accuracy")):
                values = last[column].to_numpy(dtype=float)
                ok = len(values) >= 2 and np.isfinite(values).all()
                sd = float(np.std(values)) if ok else float("nan")
                row[f"{key}_sd"] = sd
                row[f"{key}_cv"] = sd / float(np.mean(values)) if ok else float("nan")
            rows.append(row)
    return pd.DataFrame(rows)


def score_noise(
    table: pd.DataFrame,
    tasks: Sequence[TaskSpec],
    runs: Sequence[str],
    metric: str = "accuracy",
    last_n: int = 10,
) -> dict[str, float]:
    """Each task's noise in `metric` (accuracy, a fraction; or task_loss): the SD over the
    last `last_n` evaluations of each run, median over the runs (0 where no run has two)."""
    column = "accuracy_sd" if metric == "accuracy" else "loss_sd"
    medians = noise_floor(table, tasks, runs, last_n).groupby("task")[column].median()
    return {task: float(0.0 if np.isnan(value) else value) for task, value in medians.items()}


def summarize(noise: pd.DataFrame) -> pd.DataFrame:
    """Per task: the median over runs of each noise column (robust to one noisy run)."""
    columns = ["loss_sd", "loss_cv", "accuracy_sd", "accuracy_cv"]
    return noise.groupby(["task", "display"], sort=False)[columns].median().reset_index()
