"""A run's forecast on every task (ladder.fit.forecast does one): the run's rows (a table run, or
a spec target's checkpoints run and final run), its learning rates (the table's, else the
spec's cosine schedule), and the result (`Forecast`) that `ladder forecast` prints and `ladder
fit --target-checkpoints` sets beside each target's prediction. Pure: takes DataFrames."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from ladder.data.observations import require_runs
from ladder.errors import LadderError
from ladder.fit.forecast import MIN_CHECKPOINTS, TaskForecast, forecast_task, run_curve
from ladder.fit.points import FeatureFrames, task_points
from ladder.fits.fit import TaskFit
from ladder.laws.bootstrap import Estimate
from ladder.runs.rates import RateSchedule
from ladder.spec.ladder import LadderSpec

SCHEDULE_POINTS = 2000  # steps at which a cosine schedule is evaluated (interpolated between)


@dataclass(frozen=True)
class Forecast:
    """A run's forecast: its name, the last step of its schedule (`end_step`), the last step
    observed (`cut_step`), where its learning rates came from (`rates`: the table's or a schedule's
    description) and per task a TaskForecast (losses in bits per byte)."""

    run: str
    end_step: int
    cut_step: int
    rates: str
    tasks: dict[str, TaskForecast]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document: the run, its steps, and per task the forecast rows, the
        observed checkpoints, the backtests and the calibrations (q, gamma)."""

        def calibration(c: Any) -> dict[str, float] | None:
            return None if c is None else {"quantile": c.quantile, "gamma": c.gamma, "n": c.n}

        return {
            "run": self.run,
            "end_step": self.end_step,
            "cut_step": self.cut_step,
            "rates": self.rates,
            "units": {"loss": "bits per byte", "accuracy": "fraction"},
            "tasks": {
                name: {
                    "forecast": f.table.to_dict(orient="records"),
                    "observed": f.observed.to_dict(orient="records"),
                    "backtests": f.backtests.to_dict(orient="records"),
                    "loss_calibration": calibration(f.loss_calibration),
                    "accuracy_calibration": calibration(f.accuracy_calibration),
                }
                for name, f in self.tasks.items()
            },
        }


def run_rows(
    spec: LadderSpec, table: pd.DataFrame, run: str
) -> tuple[list[str], list[str], int | None]:
    """The table runs holding `run`'s rows (a target's checkpoints run and final run, or the
    table run itself), those of them that are its checkpoints so far (not a target's final
    run, its actual) and, for a target, its D in tokens."""
    target = next((t for t in spec.targets if t.name == run), None)
    if target is None:
        require_runs(table, [run], "forecast")
        return [run], [run], None
    if target.checkpoints is None:
        raise LadderError(f"target {run!r} names no checkpoints run in the spec")
    runs = [r for r in (target.checkpoints, target.run) if r is not None]
    require_runs(table, runs, f"target {run!r}")
    return runs, [target.checkpoints], target.tokens


def run_rates(
    spec: LadderSpec, curve: pd.DataFrame, end_step: int, warmup_steps: int | None
) -> tuple[tuple[Any, Any], str]:
    """The run's learning rates (steps, rates) from the table when it logged them to its end,
    else the spec's cosine schedule (its warm-up and final fraction); LadderError without."""
    logged = curve.get("learning_rate")
    known = logged is not None and logged.notna().all() and logged.max() > 0
    if known and curve["step"].max() >= end_step:
        return (curve["step"].to_numpy(), logged.to_numpy()), "the table's learning_rate"
    if spec.train is None or spec.train.schedule != "cosine":
        raise LadderError(
            "no learning rates known for the run: the table has none to its last step and the "
            "spec has no cosine train schedule"
        )
    tokens_per_step = float(curve["tokens"].iloc[-1] / max(curve["step"].iloc[-1], 1))
    if warmup_steps is None:
        warmup_steps = round(spec.train.warmup_tokens_per_param * curve["params"].iloc[0])
        warmup_steps = round(warmup_steps / tokens_per_step)
    fraction = spec.train.final_lr_fraction
    steps = np.unique(np.linspace(0, end_step, SCHEDULE_POINTS + 1).round().astype(int))
    cosine = RateSchedule("cosine", warmup=warmup_steps, floor=fraction, steps=end_step)
    rates = cosine.rates(steps, end_step)
    about = f"cosine, {warmup_steps} warm-up steps, to {fraction:g} x peak at step {end_step}"
    return (steps, rates), about


def forecast_run(
    frames: FeatureFrames,
    spec: LadderSpec,
    run: str,
    until: float | None = None,
    end_step: int | None = None,
    warmup_steps: int | None = None,
    progress: bool = False,
) -> Forecast:
    """Forecast `run` (a table run, or a spec target with `checkpoints`) from its checkpoints
    up to `until` x its last step (None: all the table has) and the spec's fit runs. Its last
    step: `end_step`, else a target's D over its tokens per step, else the run's last
    checkpoint. Its learning rates: the table's, else the spec's cosine schedule
    (`warmup_steps` overrides the warm-up). LadderError for an unknown run, fewer than 3
    checkpoints, checkpoints beyond the schedule or no learning rates."""
    if until is not None and not 0 < until <= 1:
        raise LadderError(f"--until {until:g}: give a fraction of the run's steps in (0, 1]")
    runs, so_far, tokens = run_rows(spec, frames.table, run)
    out: dict[str, TaskForecast] = {}
    cut_step, rates_about, last = 0, "", 0
    with tqdm(total=len(spec.tasks), desc=f"forecast {run}", disable=not progress) as bar:
        for task in spec.tasks:
            frame = frames.get(task)
            curve = frame[frame["run"].isin(runs)].sort_values("step")
            curve = curve.drop_duplicates("step", keep="last").reset_index(drop=True)
            if curve.empty:
                raise LadderError(f"run {run!r} has no checkpoints of task {task.name!r}")
            per_step = float(curve["tokens"].iloc[-1] / max(curve["step"].iloc[-1], 1))
            last = end_step or (round(tokens / per_step) if tokens else int(curve["step"].max()))
            seen = curve.loc[curve["run"].isin(so_far), "step"].max()
            cut = float(seen) / last if until is None else until
            if (curve["step"] <= cut * last).sum() < MIN_CHECKPOINTS:
                raise LadderError(
                    f"run {run!r}: {int((curve['step'] <= cut * last).sum())} checkpoint(s) up "
                    f"to step {int(cut * last)}; a forecast needs at least {MIN_CHECKPOINTS}"
                )
            rates, rates_about = run_rates(spec, curve, last, warmup_steps)
            rows = run_curve(run, curve, last, cut, rates)
            points = task_points(
                frames, task, "task_loss", spec.fit_runs, spec.step2_runs, spec.fit
            )
            out[task.name] = forecast_task(points, frames, spec.fit_runs, rows, cut, spec.fit)
            cut_step = int(rows.observed["step"].max())
            bar.update()
    return Forecast(run, last, cut_step, rates_about, out)


def forecast_targets(
    tasks: Mapping[str, TaskFit], spec: LadderSpec, frames: FeatureFrames, progress: bool = False
) -> None:
    """Set the `forecast` part of each target that names a checkpoints run: its headline
    metric at the end of its schedule, forecast from its checkpoints up to
    fit.target_checkpoints of its steps (1: all), against the prediction's actual."""
    until = spec.fit.target_checkpoints
    for target in spec.targets:
        if target.checkpoints is None:
            continue
        result = forecast_run(
            frames, spec, target.name, None if until == 1 else until, None, None, progress
        )
        for name, task_fit in tasks.items():
            end = result.tasks[name].table.iloc[-1]
            p = task_fit.predictions[target.name]
            metric = "accuracy" if p.chained is not None else "loss"
            low, high = end[f"{metric}_lower"], end[f"{metric}_upper"]
            p.forecast = Estimate(float(end[metric]), float(low), float(high), p.headline.actual)
