"""Choosing a method without peeking: rollout backtests on the ladder itself.

The fit runs are grouped into sizes by N. A rollout fits every candidate method on the fit runs
of the smallest k sizes and predicts every run of every larger size of the ladder; k is the
number of fit sizes less one, and all of them (for the paper's ladder: 190M-760M -> the 1B and
3B rungs, and 190M-1B -> the 3B rungs, which the fit leaves out); the ladder's other runs of
those sizes (0.5xC rungs, reruns) are held out too. Runs of the targets, and any run at least
as large as the smallest target, are never read. The candidates are ranked by their mean
relative error over all tasks and held-out runs (per rollout, then averaged over the rollouts;
pooled over tasks, since a task alone has a handful of held-out runs, too few to pick from
without overfitting); the default prediction is the mean of the best `top_k`.

The scores are cached per data and spec (ladder.files cache folder), since computing them means
fitting every candidate on every rollout.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from ladder import __version__
from ladder.errors import LadderError
from ladder.fit.methods import available, fit_method, method
from ladder.fit.points import CURVE_INPUTS, FeatureFrames, final_points, task_points
from ladder.fits.fit import TaskPoints
from ladder.fits.selection import add_errors, ranking_error
from ladder.laws.intervals import distance
from ladder.parallel import map_processes
from ladder.runs.rungs import run_finals
from ladder.spec.ladder import LadderSpec
from ladder.spec.presets import PRESETS, Method

SCORE_COLUMNS = [
    "method",
    "rollout",
    "run",
    "task",
    "params",
    "tokens",
    "predicted",
    "actual",
    "distance",
]


@dataclass(frozen=True)
class Rollout:
    """Fit on `fit_runs` (the smallest sizes), predict `held_out` (the next size's runs)."""

    name: str
    fit_runs: tuple[str, ...]
    held_out: tuple[str, ...]


def ladder_runs(table: pd.DataFrame, spec: LadderSpec) -> pd.DataFrame:
    """N and final D of every run that may be held out: the fit runs and `fit.ladder_runs`
    (by default every run of the table), never a target's run, and, when a target is larger
    than every fit run, smaller than the smallest such target (its siblings, e.g. other runs
    of a 7B target, are not ladder rungs)."""
    finals = run_finals(table)
    keep = ~finals.index.isin({t.run for t in spec.targets if t.run})
    if spec.fit.ladder_runs is not None:
        keep &= finals.index.isin({*spec.fit_runs, *spec.fit.ladder_runs})
    largest = finals.loc[list(spec.fit_runs), "params"].max()
    beyond = [t.params for t in spec.targets if t.params > largest]
    if beyond:
        keep &= finals["params"] < min(beyond)
    return finals[keep]


def rollouts(table: pd.DataFrame, spec: LadderSpec) -> list[Rollout]:
    """The rollouts of a ladder: fit sizes[:k] for k = (number of fit sizes) - 1 and k = all,
    each predicting the runs of every larger size (when the table has one)."""
    finals = ladder_runs(table, spec)
    fit_finals = run_finals(table).loc[list(spec.fit_runs)]
    fit_sizes = sorted(fit_finals["params"].unique())
    all_sizes = sorted(set(finals["params"]) | set(fit_sizes))
    out = []
    for k in (len(fit_sizes) - 1, len(fit_sizes)):
        if k < 2:
            continue
        larger = [n for n in all_sizes if n > fit_sizes[k - 1]]
        if not larger:
            continue
        fitted = tuple(r for r in spec.fit_runs if fit_finals.loc[r, "params"] <= fit_sizes[k - 1])
        held = tuple(sorted(finals.index[finals["params"].isin(larger)]))
        sizes = ", ".join(f"{n:.3g}" for n in larger)
        out.append(Rollout(f"{k} sizes -> N = {sizes}", fitted, held))
    return out


def _step2_runs(spec: LadderSpec, fit_runs: Sequence[str], table: pd.DataFrame) -> list[str]:
    largest = run_finals(table).loc[list(fit_runs), "params"].max()
    params = run_finals(table)["params"]
    return [r for r in spec.step2_runs if params[r] <= largest]


def rollout_scores(
    frames: FeatureFrames,
    spec: LadderSpec,
    candidates: Sequence[str],
    known: Mapping[str, Method] = PRESETS,
    progress: bool = False,
    workers: int | None = None,
    metric: str = "accuracy",
) -> pd.DataFrame:
    """One row per (method, rollout, held-out run, task): predicted and actual `metric`, the
    relative error, the log ratio ln(predicted / actual) and the extrapolation distance. The
    candidates run in `workers` processes (default: one per core)."""
    table = frames.table
    splits = rollouts(table, spec)
    if not splits:  # too few sizes: no rollout, no scores
        return pd.DataFrame(columns=SCORE_COLUMNS)
    for name in candidates:  # build what the candidates share once, before the processes copy it
        for task in spec.tasks:
            frames.get(task, method(name, known).feature)
        if method(name, known).step1 in CURVE_INPUTS:
            frames.curves(method(name, known).step1)
    with tqdm(total=len(candidates), desc="rollout backtests", disable=not progress) as bar:
        jobs = [(frames, spec, splits, name, dict(known), metric) for name in candidates]
        results = map_processes(_rollouts_of_one, jobs, workers, bar.update)
    return pd.DataFrame([row for rows in results for row in rows])


def _rollouts_of_one(
    frames: FeatureFrames,
    spec: LadderSpec,
    splits: Sequence[Rollout],
    name: str,
    known: Mapping[str, Method],
    metric: str,
) -> list[dict]:
    """One candidate's rows on every rollout (a failed fit is a row saying why)."""
    chosen, rows = method(name, known), []
    for split in splits:
        step2 = _step2_runs(spec, split.fit_runs, frames.table)
        points = {
            task.name: task_points(
                frames, task, chosen.feature, split.fit_runs, step2, spec.fit,
                chosen.late_fraction,
            )
            for task in spec.tasks
        }  # fmt: skip
        try:
            predictors = fit_method(name, points, spec.fit, split.fit_runs, frames, known, metric)
        except LadderError as exc:  # a method that cannot fit a rollout scores as missing
            rows.append({"method": name, "rollout": split.name, "failed": str(exc)})
            continue
        rows += _score(name, split, points, predictors, spec, metric)
    return rows


def _score(
    name: str,
    split: Rollout,
    points: dict[str, TaskPoints],
    predictors: dict,
    spec: LadderSpec,
    metric: str,
) -> list[dict]:
    rows = []
    for task, data in points.items():
        held = final_points(data.frame, list(split.held_out), spec.fit.final_window)
        nd = held[["params", "tokens"]].to_numpy(dtype=float)
        predicted = predictors[task].predict(nd)
        for (_, run), p, x in zip(held.iterrows(), predicted, nd, strict=True):
            rows.append(
                {
                    "method": name,
                    "rollout": split.name,
                    "run": run["run"],
                    "task": task,
                    "params": x[0],
                    "tokens": x[1],
                    "predicted": float(p),
                    "actual": float(run[metric]),
                    "distance": distance(x[0], x[1], data.final["params"], data.final["tokens"]),
                }
            )
    return rows


def select(scores: pd.DataFrame, candidates: Sequence[str], top_k: int) -> list[str]:
    """The `top_k` candidates with the lowest rollout error (ranking_error); none when no
    candidate predicted any rollout (a ladder too small for rollouts)."""
    ranking = ranking_error(scores[scores["method"].isin(candidates)])
    return list(ranking.index[:top_k])


def score(
    frames: FeatureFrames,
    spec: LadderSpec,
    pool: Sequence[str],
    known: Mapping[str, Method] = PRESETS,
    progress: bool = False,
    cache: bool = True,
    metric: str = "accuracy",
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rollout scores of the methods of `pool` that can predict `metric` on this table (from
    the cache when the same data and spec were scored before), and why the others cannot."""
    table = frames.table
    unavailable = {c: why for c in pool if (why := available(c, table, known, metric))}
    runnable = [c for c in pool if c not in unavailable]
    if not runnable:
        raise LadderError(
            "no method can run on this table ("
            + "; ".join(f"{c}: {why}" for c, why in unavailable.items())
            + ")"
        )
    path = _cache_path(table, spec, runnable, known, metric) if cache else None
    if path is not None and path.is_file():
        scores = pd.DataFrame(json.loads(path.read_text()))
    else:
        scores = rollout_scores(frames, spec, runnable, known, progress, metric=metric)
        if path is not None:
            from ladder.files import write_text

            write_text(path, scores.to_json(orient="records"))
    return add_errors(
        scores.reindex(columns=list(dict.fromkeys([*SCORE_COLUMNS, *scores])))
    ), unavailable


def _cache_path(
    table: pd.DataFrame,
    spec: LadderSpec,
    candidates: Sequence[str],
    known: Mapping[str, Method],
    metric: str,
) -> Path:
    """A file named by a hash of what the scores depend on: the rows of the spec's task sources
    and features, the fit options and runs, the tasks, the candidates, the metric, ladder's
    version."""
    names = {s for task in spec.tasks for s in task.sources} | {
        method(c, known).feature for c in candidates
    }
    rows = table[table["task"].isin(names)]
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
    fit = spec.fit.model_dump(mode="json", exclude={"bootstrap", "level", "method", "top_k"})
    described = {
        "fit": fit,
        "step2_runs": list(spec.step2_runs),
        "tasks": [t.model_dump(mode="json") for t in spec.tasks],
        "targets": [t.model_dump(mode="json") for t in spec.targets],
        "candidates": {c: method(c, known).model_dump(mode="json") for c in candidates},
        "rollouts": [vars(r) for r in rollouts(table, spec)],
        "metric": metric,
        "version": __version__,
    }
    digest.update(json.dumps(described, sort_keys=True).encode())
    home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(home) / "ladder" / "selection" / f"{digest.hexdigest()[:24]}.json"
