"""Every method but the paper's: choose by rollout backtests, fit on the fit runs, predict each
target with an interval calibrated on the rollouts (ladder.fit.rollouts, ladder.fit.methods,
ladder.fit.calibration).

`auto` (the default) predicts each task by the mean of the `top_k` candidates with the lowest
rollout error over all tasks; `ensemble` by the mean of every candidate; a method's name by that
method; a task may name its own. The targets' rows are never read until the predictions are
compared with them.
"""

from __future__ import annotations

import pandas as pd

from ladder.errors import LadderError
from ladder.fit.calibration import calibrate, rollout_coverage
from ladder.fit.diagnostics import diagnose
from ladder.fit.methods import (
    TaskModel,
    ensemble,
    fit_method,
    method,
    method_data,
)
from ladder.fit.noise import accuracy_noise
from ladder.fit.points import FeatureFrames
from ladder.fit.rollouts import Selection, score, select
from ladder.fits.fit import LadderFit, MethodsInfo, TaskData, TaskFit
from ladder.parallel import map_processes
from ladder.spec.ladder import LadderSpec, Method
from ladder.spec.presets import CANDIDATES, PRESETS


def _members(name: str, known: dict[str, Method]) -> list[str]:
    """The methods a name stands for: an ensemble's members, else itself."""
    spec = method(name, known)
    return list(spec.members) if spec.kind == "ensemble" else [name]


def fit_methods(table: pd.DataFrame, spec: LadderSpec, progress: bool = False) -> LadderFit:
    """Choose, fit, calibrate and predict (see the module docstring)."""
    opts = spec.fit
    known = {**PRESETS, **spec.methods}
    candidates = list(opts.candidates or CANDIDATES)
    asked = {task.name: task.method or opts.method for task in spec.tasks}
    pool = list(candidates) if {"auto", "ensemble"} & set(asked.values()) else []
    for name in asked.values():
        if name not in ("auto", "ensemble"):
            pool += [m for m in _members(name, known) if m not in pool]
    frames = FeatureFrames(table)
    scores, unavailable = score(frames, spec, pool, known, progress)
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
    selection = Selection(runnable, unavailable, scores, chosen, rule)
    models = _fit_models(frames, spec, members, known)
    residuals = pd.concat(
        [selection.mean_of(members[task], task) for task in members], ignore_index=True
    )
    calibration = calibrate(residuals, opts.level)
    coverage = rollout_coverage(residuals, opts.level)
    noise = accuracy_noise(table, spec.tasks, spec.fit_runs)
    tasks = {}
    for task in spec.tasks:
        data = TaskData.build(table, spec, task)
        fit = TaskFit(data, {}, model=models[task.name], calibration=calibration)
        fit.noise = noise[task.name]
        for target in spec.targets:
            fit.predictions[target.name] = fit.predict(target, opts.level, opts.final_window)
        tasks[task.name] = fit
    info = MethodsInfo(opts.method, selection, calibration, coverage, noise)
    fit = LadderFit(spec=spec, tasks=tasks, methods=info)
    fit.warnings = diagnose(fit, noise)
    return fit


def _fit_models(
    frames: FeatureFrames,
    spec: LadderSpec,
    members: dict[str, list[str]],
    known: dict[str, Method],
) -> dict[str, TaskModel]:
    """Each task's model: its one method fitted on the fit runs, or the ensemble of several."""
    needed = list(dict.fromkeys(m for names in members.values() for m in names))
    jobs = []
    for name in needed:
        chosen = method(name, known)
        tasks = [t for t in spec.tasks if name in members[t.name]]
        datas = {
            task.name: method_data(
                frames, task, chosen.feature, spec.fit_runs, spec.step2_runs, spec.fit,
                chosen.late_fraction,
            )
            for task in tasks
        }  # fmt: skip
        jobs.append((name, datas, spec.fit, spec.fit_runs, known))
    fitted = dict(zip(needed, map_processes(fit_method, jobs), strict=True))
    models = {}
    for task, names in members.items():
        if len(names) == 1:
            models[task] = fitted[names[0]][task]
        else:
            label = "+".join(names)
            models[task] = ensemble(label, {n: {task: fitted[n][task]} for n in names})[task]
    return models
