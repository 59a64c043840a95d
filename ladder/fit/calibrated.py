"""Fits with conformal intervals: choose by rollout backtests, fit on the fit runs, predict each
target with an interval calibrated on the rollouts (ladder.fit.rollouts, ladder.fit.methods,
ladder.fit.calibration).

`auto` (the default) predicts each task by the mean of the `top_k` candidates with the lowest
rollout error over all tasks; `ensemble` by the mean of every candidate; a method's name by that
method; a task may name its own. The targets' rows are never read until the predictions are
compared with them. The steps are separate functions (`candidate_pool`, `members_of`,
`fit_methods`, `assemble`) so that the ladder benchmark can score every candidate once and
assemble any method's fit from the same evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ladder.errors import LadderError
from ladder.fit.calibration import PRIOR, calibrate, rollout_coverage
from ladder.fit.methods import fit_method, method
from ladder.fit.noise import score_noise
from ladder.fit.points import FeatureFrames, task_points
from ladder.fit.rollouts import score, select
from ladder.fits.fit import ACCURACY, TaskFit
from ladder.fits.selection import Selection
from ladder.laws.predictors import Ensemble
from ladder.parallel import map_processes
from ladder.spec.ladder import LadderSpec
from ladder.spec.presets import CANDIDATES, FALLBACK, MIN_HELD_OUT, Method

CHOOSING = ("auto", "ensemble")


def _members(name: str, known: Mapping[str, Method]) -> list[str]:
    """The methods a name stands for: an ensemble's members, else itself."""
    spec = method(name, known)
    return list(spec.members) if spec.kind == "ensemble" else [name]


def candidate_pool(spec: LadderSpec, known: Mapping[str, Method]) -> tuple[list[str], list[str]]:
    """The candidates auto and ensemble choose among, and every method the fit may use (the
    candidates when a task asks for auto or ensemble, and every method a task names)."""
    candidates = list(spec.fit.candidates or CANDIDATES)
    asked = [task.method or spec.fit.method for task in spec.tasks]
    pool = list(candidates) if set(CHOOSING) & set(asked) else []
    for name in asked:
        if name not in CHOOSING:
            pool += [m for m in _members(name, known) if m not in pool]
    return candidates, pool


def members_of(
    spec: LadderSpec,
    known: Mapping[str, Method],
    candidates: Sequence[str],
    scores: pd.DataFrame,
    unavailable: Mapping[str, str],
) -> tuple[Selection, dict[str, list[str]]]:
    """From the rollout scores, the choice and each task's member methods (one, or an
    ensemble's); auto falls back to the corpus's choice (presets.FALLBACK) when the rollouts
    held out too few runs to choose on. LadderError when a method asked for cannot run here."""
    opts = spec.fit
    asked = {task.name: task.method or opts.method for task in spec.tasks}
    runnable = [c for c in candidates if c not in unavailable]
    held = scores.dropna(subset=["predicted"]).drop_duplicates(["rollout", "run"])
    enough = len(held) >= MIN_HELD_OUT
    chosen = select(scores, runnable, opts.top_k) if "auto" in asked.values() and enough else []
    fallback = "auto" in asked.values() and not chosen
    if fallback:
        chosen = [m for m in FALLBACK if m in runnable]
        if not chosen:
            raise LadderError(
                f"auto: the rollout backtests held out {len(held)} run(s) (a choice needs "
                f"{MIN_HELD_OUT}: 3 fit sizes, or 2 and larger runs) and the fallback, "
                f"{' and '.join(FALLBACK)}, cannot run among these candidates; choose with --method"
            )
    named = {"auto": chosen, "ensemble": runnable}
    members = {
        task: named[name] if name in named else _members(name, known)
        for task, name in asked.items()
    }
    missing = {m for names in members.values() for m in names} & set(unavailable)
    if missing:
        name = sorted(missing)[0]
        raise LadderError(f"method {name!r} cannot run on this table: {unavailable[name]}")
    if fallback:
        rule = (
            f"the mean of {' and '.join(chosen)}: the rollout backtests held out {len(held)} "
            f"run(s), fewer than the {MIN_HELD_OUT} a choice needs (benchmarks/defaults.md)"
        )
    elif chosen:
        rule = (
            f"the mean of the {len(chosen)} of {len(runnable)} candidates with the lowest mean "
            f"relative error over {scores['rollout'].nunique()} rollout backtest(s) on the ladder"
        )
    else:
        rule = "as asked"
    return Selection(opts.method, runnable, dict(unavailable), scores, chosen, rule), members


def fit_methods(
    frames: FeatureFrames,
    spec: LadderSpec,
    names: Sequence[str],
    known: Mapping[str, Method],
    metric: str,
    tasks: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Each method of `names` fitted on the fit runs (in parallel), for every task or the
    `tasks` each one serves: method -> task -> predictor."""
    jobs = []
    for name in names:
        chosen = method(name, known)
        points = {
            task.name: task_points(
                frames, task, chosen.feature, spec.fit_runs, spec.step2_runs, spec.fit,
                chosen.late_fraction,
            )
            for task in spec.tasks
            if tasks is None or task.name in tasks[name]
        }  # fmt: skip
        jobs.append((name, points, spec.fit, spec.fit_runs, frames, dict(known), metric))
    return dict(zip(names, map_processes(fit_method, jobs), strict=True))


def assemble(
    frames: FeatureFrames,
    spec: LadderSpec,
    selection: Selection,
    members: Mapping[str, Sequence[str]],
    fitted: Mapping[str, Mapping[str, Any]],
    metric: str,
) -> dict[str, TaskFit]:
    """Each task's fit: its members' predictors (one, or their ensemble), the conformal
    calibration on those members' rollout residuals, and the task's noise in `metric`; the
    calibration, its honest coverage and the noise are recorded on `selection`."""
    opts = spec.fit
    residuals = pd.concat(
        [selection.mean_of(members[task], task) for task in members], ignore_index=True
    )
    selection.calibration = calibrate(residuals, opts.level, PRIOR)
    selection.coverage = rollout_coverage(residuals, opts.level)
    selection.noise = score_noise(frames.table, spec.tasks, spec.fit_runs, metric)
    tasks = {}
    for task in spec.tasks:
        names = list(members[task.name])
        predictors = {name: fitted[name][task.name] for name in names}
        predictor = predictors[names[0]] if len(names) == 1 else Ensemble(predictors)
        points = task_points(frames, task, "task_loss", spec.fit_runs, spec.step2_runs, opts)
        noise = selection.noise[task.name]
        tasks[task.name] = TaskFit(
            points, "+".join(names), predictor, selection.calibration, noise=noise
        )
    return tasks


def fit_calibrated(
    frames: FeatureFrames,
    spec: LadderSpec,
    known: Mapping[str, Method],
    progress: bool = False,
    metric: str = ACCURACY,
) -> tuple[dict[str, TaskFit], Selection]:
    """Choose, fit, calibrate (see the module docstring) to predict `metric` (accuracy, or
    task_loss for a loss-only table); the task fits without predictions."""
    candidates, pool = candidate_pool(spec, known)
    scores, unavailable = score(frames, spec, pool, known, progress, metric=metric)
    selection, members = members_of(spec, known, candidates, scores, unavailable)
    needed = list(dict.fromkeys(m for names in members.values() for m in names))
    serves = {name: [t for t, names in members.items() if name in names] for name in needed}
    fitted = fit_methods(frames, spec, needed, known, metric, serves)
    return assemble(frames, spec, selection, members, fitted, metric), selection
