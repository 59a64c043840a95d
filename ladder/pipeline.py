"""The one pipeline behind `ladder fit`, the plots and the notebooks: from an observation table
and a LadderSpec, build each task's points once, fit and bootstrap its laws, and predict every
target with the predictors of ladder.laws.chain.

Units: N in parameters, D in tokens, C = 6 N D in FLOPs, task loss in bits per byte, accuracy
in [0, 1]. Pure: takes DataFrames, returns dataclasses; never touches files.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ladder.errors import LadderError
from ladder.laws.base import Law
from ladder.laws.bootstrap import Estimate, checkpoint_weights, run_counts
from ladder.laws.chain import ChainedPredictor, Direct, single_step_baseline
from ladder.laws.power import PowerLaw
from ladder.laws.sigmoid import Sigmoid
from ladder.observations import require_runs
from ladder.points import checkpoint_points, final_points, task_frame
from ladder.sizes import training_flops
from ladder.spec import FitOptions, LadderSpec, TargetSpec, TaskSpec

MIN_CONVERGED = 0.5
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
        return cls(task, frame, points1, points2, opts.anchor)

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
    `flops` (chained through L(C)) and `flops_step1` (L(C) itself) are the baselines.
    Accuracy parts are None for loss-only data, `step2` also when the target's actual loss is
    unknown."""

    target: TargetSpec
    step1: Estimate
    flops_step1: Estimate
    chained: Estimate | None = None
    step2: Estimate | None = None
    single_step: Estimate | None = None
    flops: Estimate | None = None

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
    """The fitted laws of one task (with their bootstrap draws), its points, and the
    predictions for every target."""

    data: TaskData
    laws: dict[str, Law]
    predictions: dict[str, TargetPrediction] = field(default_factory=dict)

    @property
    def task(self) -> TaskSpec:
        return self.data.task

    @property
    def step1(self) -> PowerLaw:
        return self.laws["step1"]

    @property
    def step1_flops(self) -> PowerLaw:
        return self.laws["step1_flops"]

    @property
    def step2(self) -> Sigmoid | None:
        return self.laws.get("step2")

    @property
    def single_step(self) -> PowerLaw | None:
        return self.laws.get("single_step")

    @property
    def step1_points(self) -> pd.DataFrame:
        return self.data.step1_points

    @property
    def step2_points(self) -> pd.DataFrame | None:
        return self.data.step2_points

    @property
    def chained(self) -> ChainedPredictor | None:
        """Accuracy from (N, D) through both steps."""
        return None if self.step2 is None else ChainedPredictor(self.step1, self.step2)

    @property
    def converged(self) -> dict[str, float]:
        """Fraction of bootstrap refits that converged, per law."""
        return {
            key: law.draws_.converged_fraction
            for key, law in self.laws.items()
            if hasattr(law, "draws_")
        }

    def predict(self, target: TargetSpec, level: float, window: int) -> TargetPrediction:
        """Every part's estimate for a target (with its actuals when it names a run)."""
        x_nd = np.array([[target.params, target.tokens]], dtype=float)
        x_c = training_flops(x_nd[:, 0], x_nd[:, 1])
        loss = acc = None
        if target.run is not None:
            loss, acc = self.data.actual(target.run, window)
        p = TargetPrediction(
            target=target,
            step1=Direct(self.step1).estimate(x_nd, level, loss),
            flops_step1=Direct(self.step1_flops).estimate(x_c, level, loss),
        )
        if self.step2 is not None and self.single_step is not None:
            p.chained = self.chained.estimate(x_nd, level, acc)
            p.flops = ChainedPredictor(self.step1_flops, self.step2).estimate(x_c, level, acc)
            if loss is not None:
                p.step2 = Direct(self.step2).estimate(np.array([loss]), level, acc)
            p.single_step = Direct(self.single_step).estimate(x_nd, level, acc)
        return p


@dataclass
class LadderFit:
    spec: LadderSpec
    tasks: dict[str, TaskFit]

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


def fit_laws(data: TaskData, opts: FitOptions) -> dict[str, Law]:
    """Fit step 1 (N, D and FLOPs forms) and, with accuracy, step 2 and the single-step
    baseline; LadderError naming the task and step when a fit fails."""
    kw = {"n_starts": opts.n_starts, "seed": opts.seed}
    where = f"task {data.task.name!r}"
    try:
        laws: dict[str, Law] = {
            "step1": PowerLaw(("N", "D"), huber_delta=opts.huber_delta, **kw).fit(
                data.nd, data.loss
            ),
            "step1_flops": PowerLaw(("C",), huber_delta=opts.huber_delta, **kw).fit(
                data.flops, data.loss
            ),
        }
    except LadderError as exc:
        raise LadderError(f"{where}, step 1: {exc}") from None
    if data.has_accuracy:
        try:
            laws["step2"] = Sigmoid(chance=data.task.chance, **kw).fit(*data.step2_xy)
            laws["single_step"] = single_step_baseline(opts.huber_delta, **kw).fit(
                data.nd, data.accuracy
            )
        except LadderError as exc:
            raise LadderError(f"{where}, step 2: {exc}") from None
    return laws


def bootstrap_laws(
    data: TaskData, laws: dict[str, Law], n_boot: int, rng: np.random.Generator
) -> None:
    """Refit every law of the task on the same resampled runs (see laws.bootstrap); the draws
    are kept on each law. LadderError when step 1 or 2 converge too rarely to be trusted."""
    first = len(data.step1_points)
    counts = run_counts(rng, first, n_boot)
    if len(data.runs) > first:  # step 2's own runs are resampled too
        counts = np.hstack([counts, run_counts(rng, len(data.runs) - first, n_boot)])
    laws["step1"].bootstrap(data.nd, data.loss, counts[:, :first], rng)
    laws["step1_flops"].bootstrap(data.flops, data.loss, counts[:, :first], rng)
    if "step2" in laws:
        weights = checkpoint_weights(rng, data.run_index, counts)
        if data.anchor:
            weights = np.hstack([weights, np.ones((n_boot, 1))])
        laws["step2"].bootstrap(*data.step2_xy, weights, rng)
        laws["single_step"].bootstrap(data.nd, data.accuracy, counts[:, :first], rng)
    for key in ("step1", "step2"):
        fraction = laws[key].draws_.converged_fraction if key in laws else 1.0
        if fraction < MIN_CONVERGED:
            raise LadderError(
                f"task {data.task.name!r}: only {fraction:.0%} of the {key} bootstrap refits "
                "converged; these runs do not pin the law down"
            )


def fit_task(data: TaskData, spec: LadderSpec, seed_offset: int = 0) -> TaskFit:
    """Fit and bootstrap one task's laws and predict all of spec's targets."""
    opts = spec.fit
    laws = fit_laws(data, opts)
    if opts.bootstrap:
        bootstrap_laws(data, laws, opts.bootstrap, np.random.default_rng([opts.seed, seed_offset]))
    fit = TaskFit(data, laws)
    for target in spec.targets:
        fit.predictions[target.name] = fit.predict(target, opts.level, opts.final_window)
    return fit


def fit_ladder(
    table: pd.DataFrame, spec: LadderSpec, progress: bool = False, workers: int | None = None
) -> LadderFit:
    """Fit every task of `spec` on `table` and predict every target (see fit_task).

    Tasks run in `workers` processes (default: one per core); results do not depend on it.
    """
    for target in spec.targets:
        if target.run is not None:
            require_runs(table, [target.run], f"target {target.name!r}")
    if not spec.tasks:
        raise LadderError("no tasks to fit")
    datas = [TaskData.build(table, spec, task) for task in spec.tasks]
    workers = min(len(datas), os.cpu_count() or 1) if workers is None else workers
    bar = tqdm(total=len(datas), desc="fitting tasks", unit="task", disable=not progress)
    jobs = [(data, spec, i) for i, data in enumerate(datas)]
    if workers <= 1:
        fits = []
        for job in jobs:
            fits.append(fit_task(*job))
            bar.update()
    else:
        # tasks are independent: one process each, as many at once as there are cores
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(fit_task, *job) for job in jobs]
            for _ in as_completed(futures):
                bar.update()
            fits = [future.result() for future in futures]
    bar.close()
    return LadderFit(spec=spec, tasks={fit.task.name: fit for fit in fits})
