"""The noise floor: checkpoint-to-checkpoint noise of task loss and accuracy at the end of
training, the scale that a prediction error should be compared with.

Over the last evaluations a run still improves, and the spread of the raw values counts that
trend as noise (noise of SD 0.006 bpb on a run still learning reads 0.019). The noise floor is
therefore detrended by default: the SD of the residuals from a least-squares line over the
window (its two parameters taken out of the degrees of freedom). `detrend=False` gives the
paper's Table 4: the population SD of the raw values."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ladder.data.observations import require_runs
from ladder.errors import LadderError
from ladder.fit.points import task_frame
from ladder.spec.ladder import TaskSpec


def spread(steps: np.ndarray, values: np.ndarray, detrend: bool = True) -> float:
    """The noise SD of `values` at training `steps`: of the residuals from a least-squares line
    in the step (sqrt(RSS / (n - 2)); NaN under 3 values), or with `detrend` False the
    population SD of the raw values (the paper's; NaN under 2)."""
    if len(values) < (3 if detrend else 2) or not np.isfinite(values).all():
        return float("nan")
    if not detrend:
        return float(np.std(values))
    residuals = np.polynomial.Polynomial.fit(steps, values, 1)(steps) - values
    return float(np.sqrt(np.sum(residuals**2) / (len(values) - 2)))


def noise_floor(
    table: pd.DataFrame,
    tasks: Sequence[TaskSpec],
    runs: Sequence[str],
    last_n: int = 10,
    detrend: bool = True,
) -> pd.DataFrame:
    """Per task and run: the noise SD (`spread`, detrended unless `detrend` is False) and
    coefficient of variation (SD / mean) of the task loss and accuracy over the run's last
    `last_n` evaluations. Too few evaluations give NaN, never a made-up zero."""
    if last_n < (3 if detrend else 2):
        raise LadderError(
            f"last_n must be at least {3 if detrend else 2} (got {last_n}): "
            + ("a detrended SD fits a line" if detrend else "an SD needs two values")
        )
    require_runs(table, runs, "noise floor")
    rows = []
    for task in tasks:
        frame = task_frame(table, task)
        for run in runs:
            last = frame[frame["run"] == run].sort_values("step").tail(last_n)
            row = {"task": task.name, "display": task.label, "run": run, "n": len(last)}
            for column, key in (("task_loss", "loss"), ("accuracy", "accuracy")):
                values = last[column].to_numpy(dtype=float)
                sd = spread(last["step"].to_numpy(dtype=float), values, detrend)
                row[f"{key}_sd"] = sd
                row[f"{key}_cv"] = sd / float(np.mean(values)) if np.isfinite(sd) else sd
            rows.append(row)
    return pd.DataFrame(rows)


def score_noise(
    table: pd.DataFrame,
    tasks: Sequence[TaskSpec],
    runs: Sequence[str],
    metric: str = "accuracy",
    last_n: int = 10,
    detrend: bool = True,
) -> dict[str, float]:
    """Each task's noise in `metric` (accuracy, a fraction; or task_loss): the SD over the
    last `last_n` evaluations of each run (`spread`), median over the runs (0 where no run
    has enough)."""
    column = "accuracy_sd" if metric == "accuracy" else "loss_sd"
    medians = noise_floor(table, tasks, runs, last_n, detrend).groupby("task")[column].median()
    return {task: float(0.0 if np.isnan(value) else value) for task, value in medians.items()}


def summarize(noise: pd.DataFrame) -> pd.DataFrame:
    """Per task: the median over runs of each noise column (robust to one noisy run)."""
    columns = ["loss_sd", "loss_cv", "accuracy_sd", "accuracy_cv"]
    return noise.groupby(["task", "display"], sort=False)[columns].median().reset_index()
