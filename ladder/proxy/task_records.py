"""The ladder's rungs as proxy models: experiment records from an observation table, one per
(task, model), and leave-one-task-out predictions of the targets.

A record's proxy scores are the fit runs' final accuracies on the task (each run's mean over
its last `final_window` evaluations, as step 1's points); its other features are log10 N and
log10 D of the model scored; its target is that model's final accuracy on the task. Models
scored ("record models"): the rungs larger than every fit run (the 3B rungs of the paper's
ladder) and, unless `with_targets` is off, the spec's targets that name a run.

Leave one task out: a spec task is predicted by a regressor trained only on the records of
the other tasks. Every table task with accuracies (each split of each benchmark; not the
loss-only held-out validation sets) is a record task; those of the same benchmark as the
held-out task (another split, or a part of it such as an MMLU group) are left out with it, so
nothing of the held-out task reaches the regressor.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from ladder.errors import LadderError
from ladder.fit.points import final_points, task_frame
from ladder.fits.fit import LadderFit
from ladder.proxy.features import FeatureSet
from ladder.proxy.regressor import ProxyRegressor
from ladder.runs.rungs import rungs
from ladder.spec.ladder import LadderSpec, TaskSpec

SPLIT = re.compile(r"_(?:train|val|dev|test)(?=_|$)")
SCALE = ("log10_params", "log10_tokens")


def family(task: str) -> str:
    """A table task's benchmark: its name without the split ("arc_easy_val_rc_5shot" and
    "arc_easy_test_rc_5shot" -> "arc_easy_rc_5shot")."""
    return SPLIT.sub("", task)


@dataclass
class RecordModel:
    """A model whose scores are record targets: a name, its run, N and final D."""

    name: str
    run: str
    params: float
    tokens: float


def record_models(table: pd.DataFrame, spec: LadderSpec, with_targets: bool) -> list[RecordModel]:
    """The rungs above the largest fit run, then (`with_targets`) the targets with a run."""
    fit_runs = set(spec.fit_runs)
    largest = max(r.params for r in rungs(table) if r.run in fit_runs) if fit_runs else 0
    models = [
        RecordModel(r.run, r.run, r.params, r.tokens)
        for r in rungs(table)
        if r.params > largest and r.run not in fit_runs
    ]
    if with_targets:
        models += [RecordModel(t.name, t.run, t.params, t.tokens) for t in spec.targets if t.run]
    return models


def task_records(
    table: pd.DataFrame, spec: LadderSpec, task: TaskSpec, models: list[RecordModel]
) -> pd.DataFrame:
    """One task's records: one row per model, the fit runs' final accuracies as columns."""
    frame = task_frame(table, task)
    window = spec.fit.final_window
    proxies = final_points(frame, spec.fit_runs, window).set_index("run")["accuracy"]
    finals = final_points(frame, [m.run for m in models], window).set_index("run")["accuracy"]
    rows = [
        {
            "task": task.name,
            "model": m.name,
            SCALE[0]: np.log10(m.params),
            SCALE[1]: np.log10(m.tokens),
            **proxies.to_dict(),
            "accuracy": finals[m.run],
        }
        for m in models
    ]
    return pd.DataFrame(rows)


def ladder_features(spec: LadderSpec) -> FeatureSet:
    """Target accuracy; proxies the fit runs' accuracies; features log10 N and log10 D."""
    return FeatureSet(target="accuracy", proxies=tuple(spec.fit_runs), features=SCALE)


@dataclass
class LeaveOneTaskOut:
    """Per spec task and target: the proxy regressor's prediction and the actual accuracy;
    the records it was trained on and the mean feature importances."""

    predictions: pd.DataFrame
    records: pd.DataFrame
    importances: pd.Series


def leave_one_task_out(
    table: pd.DataFrame,
    spec: LadderSpec,
    regressor: str = "xgb",
    grid: str | dict = "default",
    cv_folds: int = 5,
    seed: int = 0,
    with_targets: bool = True,
    n_jobs: int = 1,
    progress: bool = False,
) -> LeaveOneTaskOut:
    """Predict every target with a run on every spec task from the records of the other
    tasks (see the module's docstring)."""
    targets = [t for t in spec.targets if t.run]
    if not targets:
        raise LadderError("the ladder as proxies needs targets with actual results (a run)")
    models = record_models(table, spec, with_targets)
    if not models:
        raise LadderError("no records: no rung is larger than the fit runs and no target")
    if "accuracy" not in table.columns:
        raise LadderError("the ladder as proxies needs accuracies: the table has none")
    scored = table.loc[table["accuracy"].notna(), "task"].unique()
    single = [TaskSpec.parse({"name": name}, f"task {name!r}") for name in scored]
    records = pd.concat([task_records(table, spec, t, models) for t in single], ignore_index=True)
    features = ladder_features(spec)
    records = features.check(records, "ladder records")
    rows, importances = [], []
    for task in tqdm(spec.tasks, desc="leave one task out", disable=not progress):
        held = {family(name) for name in task.sources}
        train = records[~records["task"].map(family).isin(held)]
        fitted = ProxyRegressor(regressor, grid, cv_folds, seed, n_jobs).fit(
            train[features.columns], train[features.target]
        )
        importances.append(fitted.importances())
        test = task_records(
            table, spec, task, [RecordModel(t.name, t.run, t.params, t.tokens) for t in targets]
        )
        for (_, row), predicted in zip(test.iterrows(), fitted.predict(test), strict=True):
            rows.append(
                {
                    "task": task.name,
                    "target": row["model"],
                    "predicted": float(predicted),
                    "actual": float(row["accuracy"]),
                    "n_train": len(train),
                    "cv_rmse": fitted.cv_rmse_,
                }
            )
    mean_importance = pd.concat(importances, axis=1).mean(axis=1).sort_values(ascending=False)
    return LeaveOneTaskOut(pd.DataFrame(rows), records, mean_importance)


@dataclass
class ProxyLadder:
    """Leave-one-task-out proxy predictions beside the two-step law's, per task and target:
    columns task, target, actual, two_step, <regressor> (predicted accuracies) and
    <method>_error (absolute errors); the records and mean importances per regressor."""

    table: pd.DataFrame
    records: pd.DataFrame
    importances: dict[str, pd.Series]

    def errors(self) -> pd.DataFrame:
        """Mean absolute error per target and method."""
        errors = [c for c in self.table.columns if c.endswith("_error")]
        return self.table.groupby("target", sort=False)[errors].mean()


def beside_two_step(
    data: pd.DataFrame,
    spec: LadderSpec,
    two_step: LadderFit,
    regressors: Sequence[str],
    with_targets: bool,
    grid: str | dict[str, list[Any]],
    n_jobs: int = 1,
    progress: bool = False,
) -> ProxyLadder:
    """The ladder's fit runs as proxy models: every target on every task predicted from the
    other tasks' records by each regressor (leave_one_task_out), beside the two-step fit's
    prediction, with the absolute errors of each."""
    rows = [
        {
            "task": name,
            "target": target,
            "actual": p.headline.actual,
            "two_step": p.headline.predicted,
        }
        for name, task_fit in two_step.tasks.items()
        for target, p in task_fit.predictions.items()
        if p.headline.actual is not None
    ]
    out = pd.DataFrame(rows)
    importances, records = {}, None
    for name in regressors:
        loto = leave_one_task_out(
            data, spec, name, grid, with_targets=with_targets, n_jobs=n_jobs, progress=progress
        )
        predicted = loto.predictions.set_index(["task", "target"])["predicted"]
        out[name] = [predicted[(t, g)] for t, g in zip(out["task"], out["target"], strict=True)]
        importances[name], records = loto.importances, loto.records
    for method in ("two_step", *regressors):
        out[f"{method}_error"] = (out[method] - out["actual"]).abs()
    return ProxyLadder(out, records, importances)
