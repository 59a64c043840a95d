"""What a fit produces, whatever the method: each task's points, fitted laws or model, and the
predictions for every target (an estimate with its interval, the actual where known).

Units: N in parameters, D in tokens, C = 6 N D in FLOPs, task loss in bits per byte, accuracy
as a fraction in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ladder.errors import LadderError
from ladder.fit.calibration import Calibration, distance
from ladder.fit.points import checkpoint_points, final_points, task_frame
from ladder.laws.base import Law
from ladder.laws.bootstrap import Estimate
from ladder.laws.chain import ChainedPredictor, Direct
from ladder.runs.sizes import training_flops
from ladder.spec.ladder import LadderSpec, TargetSpec, TaskSpec

if TYPE_CHECKING:
    from ladder.fit.methods import TaskModel
    from ladder.fit.rollouts import Selection

if TYPE_CHECKING:
    pass

PARTS = ("chained", "step1", "step2", "single_step", "flops", "flops_step1")


@dataclass
class TaskData:
    """One task's points and arrays, built once: step 1's final point of each fit run (N, D,
    task loss, accuracy) and step 2's smoothed checkpoints (task loss, accuracy, with the
    (0, 1) anchor appended when asked, and each checkpoint's run)."""

    task: TaskSpec
    frame: pd.DataFrame
    step1_points: pd.DataFrame
    step2_points: pd.DataFrame | None
    anchor: bool
    window: int = 5

    @classmethod
    def build(cls, table: pd.DataFrame, spec: LadderSpec, task: TaskSpec) -> TaskData:
        opts = spec.fit
        frame = task_frame(table, task)
        points1 = final_points(frame, spec.fit_runs, opts.final_window)
        points2 = None
        if frame["accuracy"].notna().any():
            where = f"task {task.name!r}"
            if points1["accuracy"].isna().any():
                run = points1.loc[points1["accuracy"].isna(), "run"].iloc[0]
                raise LadderError(f"{where}: run {run!r} has task loss but no accuracy")
            points2 = checkpoint_points(
                frame, spec.step2_runs, opts.skip_fraction, opts.moving_average
            )
            if points2["accuracy"].isna().any():
                raise LadderError(f"{where}: some checkpoints of the fit runs have no accuracy")
        return cls(task, frame, points1, points2, opts.anchor, opts.final_window)

    @cached_property
    def nd(self) -> np.ndarray:
        """(N, D) of each fit run, shape (R, 2)."""
        return self.step1_points[["params", "tokens"]].to_numpy(dtype=float)

    @cached_property
    def flops(self) -> np.ndarray:
        """C = 6 N D of each fit run."""
        return training_flops(*self.nd.T)

    @cached_property
    def loss(self) -> np.ndarray:
        return self.step1_points["task_loss"].to_numpy(dtype=float)

    @cached_property
    def accuracy(self) -> np.ndarray:
        return self.step1_points["accuracy"].to_numpy(dtype=float)

    @property
    def has_accuracy(self) -> bool:
        return self.step2_points is not None

    @cached_property
    def step2_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """Step 2's task losses and accuracies, with the ideal point (0, 1) if asked."""
        x = self.step2_points["task_loss"].to_numpy(dtype=float)
        y = self.step2_points["accuracy"].to_numpy(dtype=float)
        return (np.append(x, 0.0), np.append(y, 1.0)) if self.anchor else (x, y)

    @cached_property
    def runs(self) -> list[str]:
        """Every run either step fits on: step 1's, then any others of step 2."""
        first = list(self.step1_points["run"])
        others = [] if self.step2_points is None else self.step2_points["run"].unique()
        return first + [run for run in others if run not in first]

    @cached_property
    def run_index(self) -> np.ndarray:
        """Each step-2 checkpoint's run, as an index into `runs`."""
        return np.asarray(pd.Categorical(self.step2_points["run"], categories=self.runs).codes)

    def actual(self, run: str, window: int) -> tuple[float, float]:
        """A target run's final task loss and accuracy (mean of its last `window` evaluations)."""
        row = final_points(self.frame, [run], window).iloc[0]
        return float(row["task_loss"]), float(row["accuracy"])


@dataclass
class TargetPrediction:
    """One target and task. `chained` is the headline (accuracy); `step1` is the task loss;
    `step2` is the accuracy predicted from the target's actual task loss; `single_step`,
    `flops` (chained through L(C)) and `flops_step1` (L(C) itself) are the paper method's
    baselines; `members` an ensemble's members' predicted accuracies. Accuracy parts are None
    for loss-only data, `step2` also when the target's actual loss is unknown; a method without
    a task-loss step (e.g. the direct law) has no `step1`."""

    target: TargetSpec
    step1: Estimate | None = None
    flops_step1: Estimate | None = None
    chained: Estimate | None = None
    step2: Estimate | None = None
    single_step: Estimate | None = None
    flops: Estimate | None = None
    members: dict[str, float] = field(default_factory=dict)

    @property
    def metric(self) -> str:
        return "accuracy" if self.chained is not None else "task_loss"

    @property
    def headline(self) -> Estimate:
        """The prediction a user reads first: chained accuracy, else step 1's task loss."""
        return self.chained if self.chained is not None else self.step1

    def parts(self) -> dict[str, Estimate]:
        """Every estimate there is, by name."""
        return {name: e for name in PARTS if (e := getattr(self, name)) is not None}


@dataclass
class TaskFit:
    """One task's points, its fitted laws (the paper method's, with their bootstrap draws) or
    model (any other method, ladder.fit.methods), and the predictions for every target.

    `step1` and `step2` are the task-loss laws drawn in the step figures: the paper's, or those
    of the model's first chained member on the task loss (None if it has none)."""

    data: TaskData
    laws: dict[str, Law]
    predictions: dict[str, TargetPrediction] = field(default_factory=dict)
    model: TaskModel | None = None
    calibration: Calibration | None = None
    noise: float = 0.0

    @property
    def task(self) -> TaskSpec:
        return self.data.task

    def _primary(self) -> ChainedPredictor | None:
        return None if self.model is None else self.model.primary()

    @property
    def step1(self) -> Any:
        if self.model is not None:
            primary = self._primary()
            return None if primary is None else primary.step1
        return self.laws["step1"]

    @property
    def step1_flops(self) -> Any:
        return self.laws.get("step1_flops")

    @property
    def step2(self) -> Any:
        if self.model is not None:
            primary = self._primary()
            return None if primary is None else primary.step2
        return self.laws.get("step2")

    @property
    def single_step(self) -> Any:
        return self.laws.get("single_step")

    @property
    def step1_points(self) -> pd.DataFrame:
        return self.data.step1_points

    @property
    def window(self) -> int:
        """How many final evaluations of each run step 1's points average."""
        return self.data.window

    @property
    def step2_points(self) -> pd.DataFrame | None:
        return self.data.step2_points

    @property
    def chained(self) -> Any:
        """Accuracy from (N, D): the model's predictor, or the paper's two steps chained."""
        if self.model is not None:
            return self.model.predictor
        return None if self.step2 is None else ChainedPredictor(self.step1, self.step2)

    def headline_laws(self) -> dict[str, Law]:
        """The laws the headline prediction rests on: the paper's step1 and step2, or each of
        the model's (an ensemble's by member: "flops step1", ...)."""
        if self.model is None:
            return {key: law for key, law in self.laws.items() if key in ("step1", "step2")}
        models = self.model.members or {self.model.method: self.model}
        return {f"{name} {key}": law for name, m in models.items() for key, law in m.laws.items()}

    @property
    def converged(self) -> dict[str, float]:
        """Fraction of bootstrap refits that converged, per law."""
        return {
            key: law.draws_.converged_fraction
            for key, law in self.laws.items()
            if hasattr(law, "draws_")
        }

    def estimate(
        self, params: float, tokens: float, level: float, actual: float | None = None
    ) -> Estimate:
        """The headline prediction at N = `params`, D = `tokens` with its `level` interval: a
        model's, calibrated on its rollouts (needs `calibration`); the paper's chained
        accuracy from its bootstrap draws; or step 1's task loss for loss-only data."""
        x = np.array([[params, tokens]], dtype=float)
        if self.model is not None:
            point = float(self.model.predict(x)[0])
            d = distance(params, tokens, self.step1_points)
            return self.calibration.estimate(point, d, self.task.chance, self.noise, actual)
        if self.step2 is None:
            return Direct(self.step1).estimate(x, level, actual)
        return self.chained.estimate(x, level, actual).clip(self.task.chance, 1.0)

    def predict(self, target: TargetSpec, level: float, window: int) -> TargetPrediction:
        """Every part's estimate for a target (with its actuals when it names a run)."""
        x_nd = np.array([[target.params, target.tokens]], dtype=float)
        x_c = training_flops(x_nd[:, 0], x_nd[:, 1])
        loss = acc = None
        if target.run is not None:
            loss, acc = self.data.actual(target.run, window)
        if self.model is not None:
            return self._predict_model(target, level, loss, acc)
        p = TargetPrediction(
            target=target,
            step1=Direct(self.step1).estimate(x_nd, level, loss),
            flops_step1=Direct(self.step1_flops).estimate(x_c, level, loss),
        )
        if self.step2 is not None and self.single_step is not None:
            chance = self.task.chance
            p.chained = self.chained.estimate(x_nd, level, acc).clip(chance, 1.0)
            flops = ChainedPredictor(self.step1_flops, self.step2)
            p.flops = flops.estimate(x_c, level, acc).clip(chance, 1.0)
            if loss is not None:
                p.step2 = Direct(self.step2).estimate(np.array([loss]), level, acc)
                p.step2 = p.step2.clip(chance, 1.0)
            p.single_step = Direct(self.single_step).estimate(x_nd, level, acc).clip(chance, 1.0)
        return p

    def _predict_model(
        self, target: TargetSpec, level: float, loss: float | None, acc: float | None
    ) -> TargetPrediction:
        """A model's headline, its members' predictions, and the task loss and step 2 of its
        chained task-loss predictor (without intervals: the calibration is the headline's)."""
        x = np.array([[target.params, target.tokens]], dtype=float)
        p = TargetPrediction(
            target=target,
            chained=self.estimate(target.params, target.tokens, level, acc),
            members={name: float(m.predict(x)[0]) for name, m in self.model.members.items()},
        )
        primary = self.model.primary()
        if primary is not None:
            nan = float("nan")
            p.step1 = Estimate(float(primary.predict_feature(x)[0]), nan, nan, loss)
            if loss is not None:
                p.step2 = Estimate(float(primary.step2.predict([loss])[0]), nan, nan, acc)
        return p


@dataclass
class MethodsInfo:
    """How a fit other than the paper's chose and calibrated its predictions: the method asked
    for, the rollout selection (scores, chosen candidates), the interval calibration, its
    honest coverage on the rollouts, and each task's accuracy noise (SD, a fraction)."""

    method: str
    selection: Selection
    calibration: Calibration
    coverage: pd.DataFrame
    noise: dict[str, float]


@dataclass
class LadderFit:
    spec: LadderSpec
    tasks: dict[str, TaskFit]
    methods: MethodsInfo | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def predict(self, params: Any, tokens: Any) -> pd.DataFrame:
        """The headline prediction and interval of every task at each (N, D): N in parameters
        and D in tokens, scalars or equally long sequences; one row per (point, task)."""
        points = np.broadcast_arrays(np.atleast_1d(params), np.atleast_1d(tokens))
        level = self.spec.fit.level
        rows = []
        for n, d in zip(*(np.asarray(p, dtype=float) for p in points), strict=True):
            if not (np.isfinite([n, d]).all() and n > 0 and d > 0):
                raise LadderError(f"N and D must be positive numbers, got N = {n}, D = {d}")
            for name, task_fit in self.tasks.items():
                e = task_fit.estimate(n, d, level)
                rows.append(
                    {
                        "params": n,
                        "tokens": d,
                        "flops": training_flops(n, d),
                        "task": name,
                        "metric": "accuracy" if task_fit.step2 or task_fit.model else "task_loss",
                        "predicted": e.predicted,
                        "lower": e.lower,
                        "upper": e.upper,
                    }
                )
        return pd.DataFrame(rows)

    def table(self) -> pd.DataFrame:
        """One row per (target, task): every part's prediction, interval, actual and errors
        (columns <part>_<field>, e.g. chained_predicted, step1_rel_error)."""
        rows = []
        for name, fit in self.tasks.items():
            for target, p in fit.predictions.items():
                row: dict[str, Any] = {"target": target, "task": name, "metric": p.metric}
                for part, estimate in p.parts().items():
                    row |= {f"{part}_{key}": value for key, value in estimate.to_dict().items()}
                rows.append(row)
        return pd.DataFrame(rows)
