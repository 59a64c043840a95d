"""The one entry behind `ladder fit`, the plots and the notebooks: from an observation table and
a LadderSpec, fit every task and predict every target, with bootstrap intervals
(ladder.fit.bootstrapped) or conformal ones calibrated on the ladder's rollouts
(ladder.fit.calibrated), as `fit.intervals` says; with `fit.target_checkpoints`, each
target's forecast from its own checkpoints (ladder.fit.forecast_runs); then the trust checks.

Units: N in parameters, D in tokens, C = 6 N D in FLOPs, task loss in bits per byte, accuracy
in [0, 1]. Pure: takes DataFrames, returns a LadderFit; never touches files.
"""

from __future__ import annotations

import pandas as pd
from tqdm import tqdm

from ladder.data.observations import require_runs
from ladder.errors import LadderError
from ladder.fit import bootstrapped
from ladder.fit.calibrated import fit_calibrated
from ladder.fit.diagnostics import diagnose
from ladder.fit.forecast_runs import forecast_targets
from ladder.fit.noise import score_noise
from ladder.fit.points import FeatureFrames, final_points, task_points
from ladder.fits.fit import ACCURACY, TASK_LOSS, LadderFit, TaskFit
from ladder.parallel import map_processes
from ladder.spec.ladder import LadderSpec
from ladder.spec.presets import PRESETS


def fit_ladder(
    table: pd.DataFrame, spec: LadderSpec, progress: bool = False, workers: int | None = None
) -> LadderFit:
    """Fit every task of `spec` on `table` and predict every target (see the module
    docstring). Tasks run in `workers` processes (default: one per core); results do not depend
    on it."""
    for target in spec.targets:
        if target.run is not None:
            require_runs(table, [target.run], f"target {target.name!r}")
    if not spec.tasks:
        raise LadderError("no tasks to fit")
    opts = spec.fit
    known = {**PRESETS, **spec.methods}
    frames = FeatureFrames(table)
    points = [
        task_points(frames, task, "task_loss", spec.fit_runs, spec.step2_runs, opts)
        for task in spec.tasks
    ]
    has_accuracy = all(p.has_accuracy for p in points)
    metric = ACCURACY if has_accuracy else TASK_LOSS
    selection = None
    if opts.interval_strategy() == "conformal":
        tasks, selection = fit_calibrated(frames, spec, known, progress, metric)
    else:
        # a loss-only table fits the paper's step 1 whatever the method
        names = [(task.method or opts.method) if has_accuracy else "paper" for task in spec.tasks]
        for name in set(names):
            bootstrapped.check_method(name, known)
        jobs = [
            (p, spec, name, known, i) for i, (p, name) in enumerate(zip(points, names, strict=True))
        ]
        with tqdm(
            total=len(points), desc="fitting tasks", unit="task", disable=not progress
        ) as bar:
            fits = map_processes(bootstrapped.fit_task, jobs, workers, bar.update)
        tasks = {fit.task.name: fit for fit in fits}
    for task_fit in tasks.values():
        predict_targets(task_fit, spec)
    if opts.target_checkpoints is not None:
        forecast_targets(tasks, spec, frames, progress)
    fit = LadderFit(spec=spec, tasks=tasks, selection=selection)
    noise = (
        selection.noise
        if selection is not None
        else score_noise(table, spec.tasks, spec.fit_runs, metric)
    )
    fit.warnings = diagnose(fit, noise)
    return fit


def predict_targets(task_fit: TaskFit, spec: LadderSpec) -> None:
    """Predict each of spec's targets, with its actual task loss and accuracy (the mean of its
    run's last `final_window` evaluations) where it names a run."""
    frame = task_fit.points.frame
    for target in spec.targets:
        loss = accuracy = None
        if target.run is not None:
            row = final_points(frame, [target.run], spec.fit.final_window).iloc[0]
            loss, accuracy = float(row["task_loss"]), float(row["accuracy"])
        task_fit.predictions[target.name] = task_fit.predict(target, loss, accuracy)
