"""Fits with conformal intervals: choose by rollout backtests, fit on the fit runs, predict each
target with an interval calibrated on the rollouts (ladder.fit.rollouts, ladder.fit.methods,
ladder.fit.calibration).

`auto` (the default) predicts each task by the mean of the `top_k` candidates with the lowest
rollout error over all tasks; `ensemble` by the mean of every candidate; a method's name by that
method; a task may name its own. The targets' rows are never read until the predictions are
compared with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ladder.errors import LadderError
from ladder.fit.calibration import calibrate, rollout_coverage
from ladder.fit.methods import ensemble, fit_method, method
from ladder.fit.noise import score_noise
from ladder.fit.points import FeatureFrames, task_points
from ladder.fit.rollouts import score, select
from ladder.fits.fit import ACCURACY, TaskFit
from ladder.fits.selection import Selection
from ladder.parallel import map_processes
from ladder.spec.ladder import LadderSpec, Method
from ladder.spec.presets import CANDIDATES

CHOOSING = ("auto", "ensemble")


def _members(name: str, known: Mapping[str, Method]) -> list[str]:
    """The methods a name stands for: an ensemble's members, else itself."""
    spec = method(name, known)
    return list(spec.members) if spec.kind == "ensemble" else [name]


def choose(
    frames: FeatureFrames,
    spec: LadderSpec,
    known: Mapping[str, Method],
    progress: bool = False,
    metric: str = ACCURACY,
) -> tuple[Selection, dict[str, list[str]]]:
    """The rollout scores of every method the fit may use, the choice, and each task's
    member methods (one, or an ensemble's)."""
    opts = spec.fit
    candidates = list(opts.candidates or CANDIDATES)
    asked = {task.name: task.method or opts.method for task in spec.tasks}
    pool = list(candidates) if set(CHOOSING) & set(asked.values()) else []
    for name in asked.values():
        if name not in CHOOSING:
            pool += [m for m in _members(name, known) if m not in pool]
    scores, unavailable = score(frames, spec, pool, known, progress, metric=metric)
    runnable = [c for c in candidates if c not in unavailable]
    chosen = select(scores, runnable, opts.top_k) if "auto" in asked.values() else []
    named = {"auto": chosen, "ensemble": runnable}
    members = {
        task: named[name] if name in named else _members(name, known)
        for task, name in asked.items()
    }
    missing = {m for names in members.values() for m in names} & set(unavailable)
    if missing:
        name = sorted(missing)[0]
        raise LadderError(f"method {name!r} cannot run on this table: {unavailable[name]}")
    rule = (
        f"the mean of the {len(chosen)} of {len(runnable)} candidates with the lowest mean "
        f"relative error over {scores['rollout'].nunique()} rollout backtest(s) on the ladder"
        if chosen
        else "as asked"
    )
    selection = Selection(opts.method, runnable, unavailable, scores, chosen, rule)
    return selection, members


def fit_calibrated(
    frames: FeatureFrames,
    spec: LadderSpec,
    known: Mapping[str, Method],
    progress: bool = False,
    metric: str = ACCURACY,
) -> tuple[dict[str, TaskFit], Selection]:
    """Choose, fit, calibrate (see the module docstring) to predict `metric` (accuracy, or
    task_loss for a loss-only table); the task fits without predictions."""
    opts = spec.fit
    selection, members = choose(frames, spec, known, progress, metric)
    predictors = _fit_predictors(frames, spec, members, known, metric)
    residuals = pd.concat(
        [selection.mean_of(members[task], task) for task in members], ignore_index=True
    )
    selection.calibration = calibrate(residuals, opts.level)
    selection.coverage = rollout_coverage(residuals, opts.level)
    selection.noise = score_noise(frames.table, spec.tasks, spec.fit_runs, metric)
    tasks = {}
    for task in spec.tasks:
        points = task_points(frames, task, "task_loss", spec.fit_runs, spec.step2_runs, opts)
        name = "+".join(members[task.name])
        tasks[task.name] = TaskFit(
            points,
            name,
            predictors[task.name],
            selection.calibration,
            noise=selection.noise[task.name],
        )
    return tasks, selection


def _fit_predictors(
    frames: FeatureFrames,
    spec: LadderSpec,
    members: dict[str, list[str]],
    known: Mapping[str, Method],
    metric: str,
) -> dict[str, Any]:
    """Each task's predictor: its one method fitted on the fit runs, or the ensemble of several."""
    needed = list(dict.fromkeys(m for names in members.values() for m in names))
    jobs = []
    for name in needed:
        chosen = method(name, known)
        points = {
            task.name: task_points(
                frames, task, chosen.feature, spec.fit_runs, spec.step2_runs, spec.fit,
                chosen.late_fraction,
            )
            for task in spec.tasks
            if name in members[task.name]
        }  # fmt: skip
        jobs.append((name, points, spec.fit, spec.fit_runs, frames, dict(known), metric))
    fitted = dict(zip(needed, map_processes(fit_method, jobs), strict=True))
    out = {}
    for task, names in members.items():
        if len(names) == 1:
            out[task] = fitted[names[0]][task]
        else:
            out[task] = ensemble({n: {task: fitted[n][task]} for n in names})[task]
    return out
