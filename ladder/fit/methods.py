"""Methods: the ways of predicting a task's accuracy at (N, D) from a ladder, as building blocks
that a spec (`fit.method`, or per task) and the command line (`--method`) name.

A method is one of
- chained: an intermediate feature (the task's loss in bits per byte, a validation loss such as
  C4's, or -log of the choice-normalized probability of the correct answer), a step-1 law from
  scale to that feature (per task in (N, D) or in FLOPs C; with exponents shared across tasks;
  or learning-rate-aware over every checkpoint) and a step-2 sigmoid from the feature to
  accuracy (on the checkpoints after a skipped start, or on the late ones only, with or without
  the ideal point (0, 1));
- direct: one law from (N, D) to accuracy, -log((acc - chance) / (1 - chance)) =
  A / N**alpha + B / D**beta (Krajewski et al., arXiv 2512.08894);
- ensemble: the mean of several methods' predictions.

The presets are the candidates that `auto` chooses among by rollout backtests on the ladder
itself (ladder.fit.rollouts); `paper` is the reproduction of arXiv 2412.04403 with its bootstrap
intervals (ladder.fit.paper).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ladder.errors import LadderError
from ladder.fit.points import (
    FeatureFrames,
    checkpoint_points,
    final_points,
)
from ladder.laws.base import Law
from ladder.laws.chain import ChainedPredictor, DirectAccuracy, Predictor
from ladder.laws.lr import EndOfRun, LRPowerLaw
from ladder.laws.power import PowerLaw
from ladder.laws.shared import SharedPowerLaw, TaskSlice
from ladder.laws.sigmoid import Sigmoid
from ladder.runs.sizes import training_flops
from ladder.spec.ladder import FitOptions, Method, TaskSpec
from ladder.spec.presets import PRESETS, SOFT_LOG, TASK_LOSS


def method(name: str, known: Mapping[str, Method] = PRESETS) -> Method:
    """A named method (a preset, or one the spec defines); LadderError naming the known ones."""
    if name not in known:
        raise LadderError(f"unknown method {name!r} (known: {', '.join(known)}, auto, ensemble)")
    return known[name]


@dataclass
class MethodData:
    """One task's data for a method: the task, its rows with the method's feature, the fit
    runs' final points and step 2's checkpoints (with the feature column)."""

    task: TaskSpec
    feature: str
    frame: pd.DataFrame
    final: pd.DataFrame
    checkpoints: pd.DataFrame
    frames: FeatureFrames


def method_data(
    frames: FeatureFrames,
    task: TaskSpec,
    feature: str,
    runs: Sequence[str],
    step2_runs: Sequence[str],
    opts: FitOptions,
    late_fraction: float | None = None,
) -> MethodData:
    """The points a method with this feature fits on for one task."""
    frame = frames.get(task, feature)
    return MethodData(
        task,
        feature,
        frame,
        final_points(frame, runs, opts.final_window),
        checkpoint_points(
            frame, step2_runs, opts.skip_fraction, opts.moving_average, late_fraction
        ),
        frames,
    )


def available(name: str, table: pd.DataFrame, known: Mapping[str, Method] = PRESETS) -> str | None:
    """Why a method cannot run on this table (its feature or learning rates are missing), or
    None when it can."""
    spec = method(name, known)
    if spec.kind == "ensemble":
        reasons = [why for m in spec.members if (why := available(m, table, known))]
        return reasons[0] if reasons else None
    if spec.feature == SOFT_LOG and (SOFT_LOG not in table or table[SOFT_LOG].isna().all()):
        return "the table has no soft_log"
    if spec.feature not in (TASK_LOSS, SOFT_LOG) and not (table["task"] == spec.feature).any():
        return f"the table has no {spec.feature} task"
    if spec.step1 == "lr" and ("learning_rate" not in table or table["learning_rate"].isna().all()):
        return "the table has no learning_rate"
    return None


@dataclass
class TaskModel:
    """A method fitted for one task: `predict` gives accuracy at rows of (N, D); a chained one
    also gives its intermediate feature; an ensemble keeps its members."""

    method: str
    predictor: Predictor
    feature: str | None = None
    laws: dict[str, Law] = field(default_factory=dict)
    members: dict[str, TaskModel] = field(default_factory=dict)

    def predict(self, nd: np.ndarray) -> np.ndarray:
        return self.predictor.predict(np.asarray(nd, dtype=float).reshape(-1, 2))

    def predict_feature(self, nd: np.ndarray) -> np.ndarray | None:
        if not isinstance(self.predictor, ChainedPredictor):
            return None
        return self.predictor.predict_feature(np.asarray(nd, dtype=float).reshape(-1, 2))

    def primary(self) -> ChainedPredictor | None:
        """The chained predictor on the task's own loss: this one, or an ensemble's first such
        member (None if there is none)."""
        if isinstance(self.predictor, ChainedPredictor) and self.feature == TASK_LOSS:
            return self.predictor
        return next((m.primary() for m in self.members.values() if m.primary()), None)


@dataclass
class Ensemble(Predictor):
    """The mean of several predictors' accuracies."""

    members: list[Predictor]
    inputs = ("N", "D")

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.mean([m.predict(x) for m in self.members], axis=0)

    def sample(self, x: np.ndarray) -> np.ndarray:
        return np.empty((0, len(np.asarray(x).reshape(-1, 2))))


def _law_kwargs(opts: FitOptions) -> dict[str, Any]:
    return {"n_starts": opts.n_starts, "seed": opts.seed}


def _step2(data: MethodData, spec: Method, opts: FitOptions) -> Sigmoid:
    x = data.checkpoints["feature"].to_numpy(dtype=float)
    y = data.checkpoints["accuracy"].to_numpy(dtype=float)
    anchor = opts.anchor if spec.anchor is None else spec.anchor
    if anchor:
        x, y = np.append(x, 0.0), np.append(y, 1.0)
    return Sigmoid(chance=data.task.chance, data_starts=True, **_law_kwargs(opts)).fit(x, y)


def _nd(points: pd.DataFrame) -> np.ndarray:
    return points[["params", "tokens"]].to_numpy(dtype=float)


def _lr_points(data: MethodData, runs: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, S1, R) and the feature at every checkpoint of the fit runs after the learning rate's
    peak, and (N, S1, R) at each run's last checkpoint."""
    frame = data.frame[data.frame["run"].isin(runs)].merge(data.frames.areas(), on=["run", "step"])
    rows, values, ends = [], [], []
    for run in runs:
        part = frame[frame["run"] == run].sort_values("step")
        if part.empty:
            raise LadderError(f"run {run!r} has no learning_rate")
        x = part[["params", "s1", "share"]].to_numpy(dtype=float)
        after = np.arange(len(part)) >= int(np.argmax(part["learning_rate"].to_numpy()))
        rows.append(x[after])
        values.append(part["feature"].to_numpy(dtype=float)[after])
        ends.append(x[-1])
    return np.vstack(rows), np.concatenate(values), np.array(ends)


def _step1(data: MethodData, spec: Method, opts: FitOptions, runs: Sequence[str]):
    """The fitted step-1 law of a chained method, as a law of rows of (N, D)."""
    kw = {"huber_delta": opts.huber_delta, **_law_kwargs(opts)}
    y = data.final["feature"].to_numpy(dtype=float)
    if spec.step1 == "flops":
        return FlopsOfND(PowerLaw(("C",), **kw).fit(training_flops(*_nd(data.final).T), y))
    if spec.step1 == "lr":
        x, values, ends = _lr_points(data, runs)
        law = LRPowerLaw(**kw).fit(x, values)
        per_token = np.median(ends[:, 1] / data.final["tokens"].to_numpy(dtype=float))
        return EndOfRun(law, float(per_token), float(np.median(ends[:, 2])))
    return PowerLaw(("N", "D"), **kw).fit(_nd(data.final), y)


@dataclass
class FlopsOfND:
    """A law of C used as a law of (N, D): C = 6 N D."""

    law: PowerLaw
    inputs = ("N", "D")

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float).reshape(-1, 2)
        return self.law.predict(training_flops(x[:, 0], x[:, 1]))


def fit_method(
    name: str,
    datas: Mapping[str, MethodData],
    opts: FitOptions,
    runs: Sequence[str],
    known: Mapping[str, Method] = PRESETS,
) -> dict[str, TaskModel]:
    """Fit a named method for every task of `datas` (built with the method's feature), the
    shared-exponent step 1 jointly across them; LadderError naming the task on failure."""
    spec = method(name, known)
    if spec.kind == "ensemble":
        raise LadderError("fit an ensemble's members with fit_method, then ensemble()")
    shared = _fit_shared(datas, opts) if spec.step1 == "shared" else None
    models = {}
    for i, (task, data) in enumerate(datas.items()):
        try:
            if spec.kind == "direct":
                models[task] = _fit_direct(name, data, opts)
                continue
            step1 = TaskSlice(shared, i) if shared is not None else _step1(data, spec, opts, runs)
            step2 = _step2(data, spec, opts)
        except LadderError as exc:
            raise LadderError(f"task {task!r}, method {name!r}: {exc}") from None
        laws = {"step1": getattr(step1, "law", step1), "step2": step2}
        models[task] = TaskModel(name, ChainedPredictor(step1, step2), spec.feature, laws)
    return models


def _fit_shared(datas: Mapping[str, MethodData], opts: FitOptions) -> SharedPowerLaw:
    x = np.vstack(
        [
            np.column_stack([_nd(d.final), np.full(len(d.final), i)])
            for i, d in enumerate(datas.values())
        ]
    )
    y = np.concatenate([d.final["feature"].to_numpy(dtype=float) for d in datas.values()])
    try:
        return SharedPowerLaw(len(datas), huber_delta=opts.huber_delta, seed=opts.seed).fit(x, y)
    except LadderError as exc:
        raise LadderError(f"method 'shared', step 1: {exc}") from None


def _fit_direct(name: str, data: MethodData, opts: FitOptions) -> TaskModel:
    chance = data.task.chance
    accuracy = data.final["accuracy"].to_numpy(dtype=float)
    above = accuracy > chance
    if above.sum() < 4:
        raise LadderError(
            f"only {int(above.sum())} fit run(s) score above chance ({chance:g}); the direct "
            "law needs 4"
        )
    y = -np.log((accuracy[above] - chance) / (1 - chance))
    law = PowerLaw(("N", "D"), floor=False, huber_delta=opts.huber_delta, **_law_kwargs(opts))
    law.fit(_nd(data.final)[above], y)
    return TaskModel(name, DirectAccuracy(law, chance), laws={"direct": law})


def ensemble(name: str, members: Mapping[str, dict[str, TaskModel]]) -> dict[str, TaskModel]:
    """Per task, the mean of the member methods' predictions."""
    tasks = next(iter(members.values()))
    return {
        task: TaskModel(
            name,
            Ensemble([models[task].predictor for models in members.values()]),
            members={member: models[task] for member, models in members.items()},
        )
        for task in tasks
    }


def model_to_dict(model: TaskModel) -> dict[str, Any]:
    """A fitted TaskModel as plain data (its laws exactly, see Law.to_dict)."""
    out: dict[str, Any] = {"method": model.method, "feature": model.feature}
    predictor = model.predictor
    if model.members:
        out["kind"] = "ensemble"
        out["members"] = {name: model_to_dict(m) for name, m in model.members.items()}
    elif isinstance(predictor, DirectAccuracy):
        out |= {"kind": "direct", "law": predictor.law.to_dict(), "chance": predictor.chance}
    else:
        step1 = predictor.step1
        if isinstance(step1, FlopsOfND):
            first = {"form": "flops", "law": step1.law.to_dict()}
        elif isinstance(step1, TaskSlice):
            first = {"form": "shared", "law": step1.law.to_dict(), "index": step1.index}
        elif isinstance(step1, EndOfRun):
            first = {
                "form": "lr",
                "law": step1.law.to_dict(),
                "s1_per_token": step1.s1_per_token,
                "share": step1.share,
            }
        else:
            first = {"form": "nd", "law": step1.to_dict()}
        out |= {"kind": "chained", "step1": first, "step2": predictor.step2.to_dict()}
    return out


def model_from_dict(data: Mapping[str, Any]) -> TaskModel:
    """The TaskModel `model_to_dict` wrote; LadderError when it is not one."""
    from ladder.laws.base import law_from_dict

    try:
        kind = data["kind"]
        if kind == "ensemble":
            members = {name: model_from_dict(m) for name, m in data["members"].items()}
            predictor = Ensemble([m.predictor for m in members.values()])
            return TaskModel(data["method"], predictor, data["feature"], members=members)
        if kind == "direct":
            law = law_from_dict(data["law"])
            return TaskModel(
                data["method"], DirectAccuracy(law, float(data["chance"])), laws={"direct": law}
            )
        first, law = data["step1"], law_from_dict(data["step1"]["law"])
        step1 = {
            "nd": lambda: law,
            "flops": lambda: FlopsOfND(law),
            "shared": lambda: TaskSlice(law, int(first["index"])),
            "lr": lambda: EndOfRun(law, float(first["s1_per_token"]), float(first["share"])),
        }[first["form"]]()
        step2 = law_from_dict(data["step2"])
        predictor = ChainedPredictor(step1, step2)
        laws = {"step1": law, "step2": step2}
        return TaskModel(data["method"], predictor, data["feature"], laws)
    except (KeyError, TypeError, ValueError) as exc:
        raise LadderError(f"not a fitted method ({type(exc).__name__}: {exc})") from None
