"""What a fit is, whatever the method: per task its points, one predictor with one interval
strategy (and the paper method's baselines), and the predictions for every target (an estimate
with its interval, the actual where known).

Units: N in parameters, D in tokens, C = 6 N D in FLOPs, task loss in bits per byte, accuracy
as a fraction in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ladder.errors import LadderError
from ladder.fits.distance import far_message, point_name, warning
from ladder.fits.selection import Selection
from ladder.laws.base import Law
from ladder.laws.bootstrap import Estimate
from ladder.laws.flops import training_flops
from ladder.laws.intervals import Bootstrap, Conformal, distance
from ladder.laws.predictors import Chained, Ensemble, primary
from ladder.spec.ladder import LadderSpec, TargetSpec, TaskSpec

PARTS = ("chained", "step1", "step2", "single_step", "flops", "flops_step1", "forecast")
ACCURACY, TASK_LOSS = "accuracy", "task_loss"


@dataclass
class TaskPoints:
    """One task's points for its method: step 1's final point of each fit run (`final`: run,
    params, tokens, task_loss, accuracy, the method's intermediate `feature`, evaluations) and
    step 2's smoothed checkpoints (`checkpoints`, None for loss-only data); `frame`, every row
    of the task, is kept while fitting and not in documents."""

    task: TaskSpec
    final: pd.DataFrame
    checkpoints: pd.DataFrame | None
    feature: str = TASK_LOSS
    window: int = 5
    frame: pd.DataFrame | None = None

    @cached_property
    def nd(self) -> np.ndarray:
        """(N, D) of each fit run, shape (R, 2)."""
        return self.final[["params", "tokens"]].to_numpy(dtype=float)

    @property
    def has_accuracy(self) -> bool:
        return self.checkpoints is not None

    @cached_property
    def runs(self) -> list[str]:
        """Every run either step fits on: step 1's, then any others of step 2."""
        first = list(self.final["run"])
        others = [] if self.checkpoints is None else self.checkpoints["run"].unique()
        return first + [run for run in others if run not in first]

    @cached_property
    def run_index(self) -> np.ndarray:
        """Each step-2 checkpoint's run, as an index into `runs`."""
        return np.asarray(pd.Categorical(self.checkpoints["run"], categories=self.runs).codes)


@dataclass
class TargetPrediction:
    """One target and task. `chained` is the headline (accuracy); `step1` is the task loss;
    `step2` is the accuracy predicted from the target's actual task loss; `single_step`,
    `flops` (chained through L(C)) and `flops_step1` (L(C) itself) are the paper method's
    baselines; `members` an ensemble's members' predicted accuracies; `forecast` the headline
    metric forecast from the target's own checkpoints (fit.target_checkpoints). Accuracy parts
    are None for loss-only data, `step2` also when the target's actual loss is unknown; a
    method without a task-loss step (e.g. the direct law) has no `step1`."""

    target: TargetSpec
    step1: Estimate | None = None
    flops_step1: Estimate | None = None
    chained: Estimate | None = None
    step2: Estimate | None = None
    single_step: Estimate | None = None
    flops: Estimate | None = None
    members: dict[str, float] = field(default_factory=dict)
    forecast: Estimate | None = None

    @property
    def metric(self) -> str:
        return ACCURACY if self.chained is not None else TASK_LOSS

    @property
    def headline(self) -> Estimate:
        """The prediction a user reads first: chained accuracy, else step 1's task loss."""
        return self.chained if self.chained is not None else self.step1

    def parts(self) -> dict[str, Estimate]:
        """Every estimate there is, by name."""
        return {name: e for name in PARTS if (e := getattr(self, name)) is not None}


@dataclass
class TaskFit:
    """One task's fit: its points, the `method`'s `predictor` of accuracy at rows of (N, D)
    (for loss-only data, of the task loss), its interval strategy (`intervals`: the bootstrap's
    draws, or a conformal calibration on the ladder's rollouts, widened by the task's accuracy
    `noise`), the paper method's `baselines` (by part name: "flops", "single_step", or for
    loss-only data "flops_step1") and the predictions for every target."""

    points: TaskPoints
    method: str
    predictor: Any
    intervals: Bootstrap | Conformal
    baselines: dict[str, Any] = field(default_factory=dict)
    noise: float = 0.0
    predictions: dict[str, TargetPrediction] = field(default_factory=dict)

    @property
    def task(self) -> TaskSpec:
        return self.points.task

    @property
    def metric(self) -> str:
        return ACCURACY if self.points.has_accuracy else TASK_LOSS

    @property
    def step1(self) -> Any:
        """The task-loss law of (N, D) the step figures draw (None if the method has none)."""
        if self.metric == TASK_LOSS:
            return self.predictor
        chained = primary(self.predictor)
        return None if chained is None else chained.step1

    @property
    def step2(self) -> Law | None:
        """The sigmoid from task loss to accuracy the step figures draw (None if none)."""
        chained = primary(self.predictor)
        return None if chained is None else chained.step2

    def headline_laws(self) -> dict[str, Law]:
        """The fitted laws the headline prediction rests on, named by method and role
        ("paper step1", or by member for an ensemble: "flops step1")."""
        laws = self.predictor.laws()
        if isinstance(self.predictor, Ensemble):
            return laws
        return {f"{self.method} {key}".strip(): law for key, law in laws.items()}

    @property
    def converged(self) -> dict[str, float]:
        """Fraction of bootstrap refits that converged, per law (headline and baselines)."""
        laws = dict(self.headline_laws())
        for name, baseline in self.baselines.items():
            laws |= {f"{name} {key}".strip(): law for key, law in baseline.laws().items()}
        return {
            k: law.draws_.converged_fraction for k, law in laws.items() if hasattr(law, "draws_")
        }

    def _clip(self, estimate: Estimate, metric: str) -> Estimate:
        return estimate.clip(self.task.chance, 1.0) if metric == ACCURACY else estimate

    def estimate(self, params: float, tokens: float, actual: float | None = None) -> Estimate:
        """The headline prediction at N = `params`, D = `tokens` with its interval (an
        accuracy clipped to [chance, 1])."""
        x = np.array([[params, tokens]], dtype=float)
        d = distance(params, tokens, self.points.final["params"], self.points.final["tokens"])
        bounds = (self.task.chance, 1.0) if self.metric == ACCURACY else (-np.inf, np.inf)
        e = self.intervals.estimate(
            self.predictor, x, actual, distance=d, noise=self.noise, bounds=bounds
        )
        return self._clip(e, self.metric)

    def predict(
        self, target: TargetSpec, loss: float | None = None, accuracy: float | None = None
    ) -> TargetPrediction:
        """Every part's estimate for a target, given its actual task loss and accuracy when
        known: the headline, the task-loss step and step 2 at the actual loss (points only
        under a conformal calibration, which is the headline's), the baselines and an
        ensemble's members."""
        x = np.array([[target.params, target.tokens]], dtype=float)
        part = self.intervals.part
        if self.metric == TASK_LOSS:
            p = TargetPrediction(target=target, step1=self.estimate(*x[0], loss))
        else:
            p = TargetPrediction(target=target, chained=self.estimate(*x[0], accuracy))
            if isinstance(self.predictor, Ensemble):
                p.members = {n: float(m.predict(x)[0]) for n, m in self.predictor.members.items()}
            chained = primary(self.predictor)
            if chained is not None:
                p.step1 = part(chained.step1, x, loss)
                if loss is not None:
                    p.step2 = self._clip(part(chained.step2, np.array([loss]), accuracy), ACCURACY)
        for name, baseline in self.baselines.items():
            metric = TASK_LOSS if name.endswith("step1") else ACCURACY
            actual = loss if metric == TASK_LOSS else accuracy
            setattr(p, name, self._clip(part(baseline, x, actual), metric))
            if isinstance(baseline, Chained):
                setattr(p, f"{name}_step1", part(baseline.step1, x, loss))
        return p


def grid_points(params: Any, tokens: Any) -> list[tuple[float, float]]:
    """(N, D) pairs of `params` and `tokens`: scalars or equally long sequences, broadcast."""
    points = np.broadcast_arrays(np.atleast_1d(params), np.atleast_1d(tokens))
    return [(float(n), float(d)) for n, d in zip(*points, strict=True)]


@dataclass
class LadderFit:
    """A whole fit: the spec, each task's fit, how the method was chosen (`selection`; None for
    a method asked by name with bootstrap intervals) and the trust checks' warnings."""

    spec: LadderSpec
    tasks: dict[str, TaskFit]
    selection: Selection | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def predict(self, params: Any, tokens: Any) -> pd.DataFrame:
        """The headline prediction and interval of every task at each (N, D): N in parameters
        and D in tokens, scalars or equally long sequences; one row per (point, task), with
        whether an end was clipped to the metric's range."""
        rows = []
        for n, d in grid_points(params, tokens):
            if not (np.isfinite([n, d]).all() and n > 0 and d > 0):
                raise LadderError(f"N and D must be positive numbers, got N = {n}, D = {d}")
            for name, task_fit in self.tasks.items():
                e = task_fit.estimate(n, d)
                rows.append(
                    {
                        "params": n,
                        "tokens": d,
                        "flops": training_flops(n, d),
                        "task": name,
                        "metric": task_fit.metric,
                        "predicted": e.predicted,
                        "lower": e.lower,
                        "upper": e.upper,
                        "clipped": e.clipped,
                    }
                )
        return pd.DataFrame(rows)

    def far_warnings(self, params: Any, tokens: Any) -> list[dict[str, Any]]:
        """The `far` warning `ladder fit` gives a target, for each task at each (N, D) of
        `params` and `tokens` (scalars or equally long sequences), the target named by
        point_name."""
        out = []
        for n, d in grid_points(params, tokens):
            for name, task_fit in self.tasks.items():
                message = far_message(task_fit.points.final, n, d)
                if message is not None:
                    out.append(warning(name, "far", message, point_name(n, d)))
        return out

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
