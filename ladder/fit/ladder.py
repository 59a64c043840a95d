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
from ladder.runs.rungs import run_finals
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
    require_runs(table, spec.fit_runs, "fit runs")
    finals = run_finals(table).loc[list(spec.fit_runs)]
    if finals.drop_duplicates().shape[0] < 2:
        raise LadderError(
            f"the fit runs ({', '.join(spec.fit_runs)}) are one (N, D): every method needs fit "
            "runs of at least 2 sizes or token budgets (auto: see `ladder fit --help`)"
        )
    opts = spec.fit
    known = {**PRESETS, **spec.methods}
    frames = FeatureFrames(table)
    points = [
        task_points(frames, task, "task_loss", spec.fit_runs, spec.step2_runs, opts)
        for task in spec.tasks
    ]
    groups = {  # tasks with accuracy predict it; loss-only tasks their task loss, fitted apart
        metric: [t for t, p in zip(spec.tasks, points, strict=True) if has == p.has_accuracy]
        for metric, has in ((ACCURACY, True), (TASK_LOSS, False))
    }
    groups = {metric: group for metric, group in groups.items() if group}
    selection, tasks, noise = None, {}, {}
    if opts.interval_strategy() == "conformal":
        for metric, group in groups.items():
            fitted, chosen = fit_calibrated(
                frames, spec.replace(tasks=group), known, progress, metric
            )
            tasks.update(fitted)
            noise.update(chosen.noise)
            selection = selection or chosen  # the report's method: the first group's
    else:
        # a loss-only task fits the paper's step 1 whatever the method
        names = [
            (task.method or opts.method) if p.has_accuracy else "paper"
            for task, p in zip(spec.tasks, points, strict=True)
        ]
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
        for metric, group in groups.items():
            noise.update(score_noise(table, group, spec.fit_runs, metric))
    tasks = {task.name: tasks[task.name] for task in spec.tasks}
    for task_fit in tasks.values():
        predict_targets(task_fit, spec)
    if opts.target_checkpoints is not None:
        forecast_targets(tasks, spec, frames, progress)
    fit = LadderFit(spec=spec, tasks=tasks, selection=selection)
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
