"""The one pipeline behind `ladder fit`, the plots and the notebooks: from an observation table
and a LadderSpec, fit both steps per task, bootstrap them, and predict every target.

Units: N in parameters, D in tokens, C = 6 N D in FLOPs, task loss in bits per byte, accuracy
in [0, 1]. Pure: takes DataFrames, returns dataclasses; never touches files.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ladder.errors import LadderError
from ladder.laws.base import Bootstrap
from ladder.laws.chain import ChainedPredictor, single_step_baseline
from ladder.laws.power import PowerLaw
from ladder.laws.sigmoid import Sigmoid
from ladder.laws.uncertainty import checkpoint_weights, interval, run_counts
from ladder.points import checkpoint_points, final_points, task_frame
from ladder.spec import LadderSpec, TargetSpec, TaskSpec

MIN_CONVERGED = 0.5
FLOPS_PER_PARAM_TOKEN = 6


@dataclass
class Estimate:
    """A prediction with its interval, and the actual value where known."""

    predicted: float
    lower: float
    upper: float
    actual: float | None = None

    @property
    def abs_error(self) -> float | None:
        return None if self.actual is None else abs(self.predicted - self.actual)

    @property
    def rel_error(self) -> float | None:
        """|predicted - actual| / actual, as in the paper's tables."""
        if self.actual is None or self.actual == 0:
            return None
        return abs(self.predicted - self.actual) / abs(self.actual)

    @property
    def covered(self) -> bool | None:
        """Whether the actual lies inside the interval."""
        return None if self.actual is None else bool(self.lower <= self.actual <= self.upper)

    def to_dict(self) -> dict[str, Any]:
        return {
            "predicted": self.predicted,
            "lower": self.lower,
            "upper": self.upper,
            "actual": self.actual,
            "abs_error": self.abs_error,
            "rel_error": self.rel_error,
            "covered": self.covered,
        }


@dataclass
class TargetPrediction:
    """One target and task. `chained` is the headline (accuracy); `step1` is the task loss;
    `step2` is the accuracy predicted from the target's actual task loss; `single_step` and
    `flops` (chained through L(C)) are the baselines. Accuracy parts are None for loss-only
    data, `step2` also when the target's actual loss is unknown."""

    target: TargetSpec
    step1: Estimate
    flops_step1: Estimate
    chained: Estimate | None = None
    step2: Estimate | None = None
    single_step: Estimate | None = None
    flops: Estimate | None = None


@dataclass
class TaskFit:
    """The fitted laws of one task, their points, and the predictions for every target."""

    task: TaskSpec
    step1: PowerLaw
    step1_flops: PowerLaw
    step1_points: pd.DataFrame
    step2: Sigmoid | None = None
    single_step: PowerLaw | None = None
    step2_points: pd.DataFrame | None = None
    bootstrap: dict[str, Bootstrap] = field(default_factory=dict)
    predictions: dict[str, TargetPrediction] = field(default_factory=dict)

    @property
    def converged(self) -> dict[str, float]:
        """Fraction of bootstrap refits that converged, per law."""
        return {key: boot.converged_fraction for key, boot in self.bootstrap.items()}

    @property
    def chained(self) -> ChainedPredictor | None:
        return None if self.step2 is None else ChainedPredictor(self.step1, self.step2)


@dataclass
class LadderFit:
    spec: LadderSpec
    tasks: dict[str, TaskFit]

    def table(self) -> pd.DataFrame:
        """One row per (target, task): chained accuracy and interval, actual, errors, and the
        step-1 (task loss) and step-2 errors."""
        rows = []
        for name, fit in self.tasks.items():
            for target, p in fit.predictions.items():
                row: dict[str, Any] = {"target": target, "task": name}
                for part in ("chained", "step1", "step2", "single_step", "flops"):
                    estimate = getattr(p, part)
                    for key, value in (estimate.to_dict() if estimate else {}).items():
                        row[f"{part}_{key}"] = value
                rows.append(row)
        return pd.DataFrame(rows)


def _flops(nd: np.ndarray) -> np.ndarray:
    """Training FLOPs C = 6 N D for rows of (N, D)."""
    return FLOPS_PER_PARAM_TOKEN * nd.prod(axis=1)


def _step2_xy(points: pd.DataFrame, anchor: bool) -> tuple[np.ndarray, np.ndarray]:
    """Step 2's task losses and accuracies, with the ideal point (0, 1) appended if asked."""
    x = points["task_loss"].to_numpy(dtype=float)
    y = points["accuracy"].to_numpy(dtype=float)
    return (np.append(x, 0.0), np.append(y, 1.0)) if anchor else (x, y)


def _estimate(point: float, samples: np.ndarray, level: float, actual: float | None) -> Estimate:
    lower, upper = interval(samples, level)
    actual = None if actual is None or not np.isfinite(actual) else float(actual)
    return Estimate(float(point), lower, upper, actual)


def fit_task(
    table: pd.DataFrame, spec: LadderSpec, task: TaskSpec, seed_offset: int = 0
) -> TaskFit:
    """Fit step 1 (and, when the table has accuracy, step 2 and the baselines) for one task,
    bootstrap every law with the same run draws, and predict all of spec's targets."""
    opts = spec.options
    frame = task_frame(table, task)
    points1 = final_points(frame, spec.fit_runs, opts.final_window)
    nd = points1[["params", "tokens"]].to_numpy(dtype=float)
    loss = points1["task_loss"].to_numpy(dtype=float)
    kw = {"n_starts": opts.n_starts, "seed": opts.seed}
    where = f"task {task.name!r}"
    try:
        step1 = PowerLaw(("N", "D"), huber_delta=opts.huber_delta, **kw).fit(nd, loss)
        step1_flops = PowerLaw(("C",), huber_delta=opts.huber_delta, **kw).fit(_flops(nd), loss)
    except LadderError as exc:
        raise LadderError(f"{where}, step 1: {exc}") from None
    fit = TaskFit(task=task, step1=step1, step1_flops=step1_flops, step1_points=points1)

    has_accuracy = bool(frame["accuracy"].notna().any())
    if has_accuracy:
        if points1["accuracy"].isna().any():
            run = points1.loc[points1["accuracy"].isna(), "run"].iloc[0]
            raise LadderError(f"{where}: run {run!r} has task loss but no accuracy")
        points2 = checkpoint_points(frame, spec.fit_runs, opts.skip_fraction, opts.moving_average)
        if points2["accuracy"].isna().any():
            raise LadderError(f"{where}: some checkpoints of the fit runs have no accuracy")
        x2, y2 = _step2_xy(points2, opts.anchor)
        try:
            fit.step2 = Sigmoid(chance=task.chance, **kw).fit(x2, y2)
            fit.single_step = single_step_baseline(opts.huber_delta, **kw).fit(
                nd, points1["accuracy"].to_numpy(dtype=float)
            )
        except LadderError as exc:
            raise LadderError(f"{where}, step 2: {exc}") from None
        fit.step2_points = points2

    _predict_targets(fit, spec, frame, seed_offset)
    return fit


def _bootstrap(fit: TaskFit, spec: LadderSpec, rng: np.random.Generator) -> dict[str, Bootstrap]:
    """Refit every law of the task on the same resampled runs (see laws.uncertainty)."""
    n_boot = spec.options.bootstrap
    points1 = fit.step1_points
    nd = points1[["params", "tokens"]].to_numpy(dtype=float)
    loss = points1["task_loss"].to_numpy(dtype=float)
    counts = run_counts(rng, len(points1), n_boot)
    boots = {
        "step1": fit.step1.bootstrap(nd, loss, counts, rng),
        "flops": fit.step1_flops.bootstrap(_flops(nd), loss, counts, rng),
    }
    if fit.step2 is not None and fit.single_step is not None and fit.step2_points is not None:
        run_index = pd.Categorical(fit.step2_points["run"], categories=list(points1["run"])).codes
        weights = checkpoint_weights(rng, np.asarray(run_index), counts)
        x2, y2 = _step2_xy(fit.step2_points, spec.options.anchor)
        if spec.options.anchor:
            weights = np.hstack([weights, np.ones((n_boot, 1))])
        boots["step2"] = fit.step2.bootstrap(x2, y2, weights, rng)
        accuracy = points1["accuracy"].to_numpy(dtype=float)
        boots["single_step"] = fit.single_step.bootstrap(nd, accuracy, counts, rng)
    for key in ("step1", "step2"):
        if key in boots and boots[key].converged_fraction < MIN_CONVERGED:
            raise LadderError(
                f"task {fit.task.name!r}: only {boots[key].converged_fraction:.0%} of the "
                f"{key} bootstrap refits converged; these runs do not pin the law down"
            )
    return boots


def _predict_targets(fit: TaskFit, spec: LadderSpec, frame: pd.DataFrame, seed: int) -> None:
    opts = spec.options
    rng = np.random.default_rng([opts.seed, seed])
    boots = fit.bootstrap = _bootstrap(fit, spec, rng) if opts.bootstrap else {}
    empty = np.array([])

    def draws(key: str, x: np.ndarray) -> np.ndarray:
        return boots[key].predict(np.repeat(x, opts.bootstrap, axis=0)) if boots else empty

    def accuracy_draws(losses: np.ndarray) -> np.ndarray:
        return boots["step2"].predict(losses) if boots else empty

    for target in spec.targets:
        x_nd = np.array([[target.params, target.tokens]], dtype=float)
        x_c = _flops(x_nd)
        actual_loss = actual_acc = None
        if target.run is not None:
            actual = final_points(frame, [target.run], opts.final_window).iloc[0]
            actual_loss, actual_acc = actual["task_loss"], actual["accuracy"]
        loss_draws, flops_draws = draws("step1", x_nd), draws("flops", x_c)
        p = TargetPrediction(
            target=target,
            step1=_estimate(fit.step1.predict(x_nd)[0], loss_draws, opts.level, actual_loss),
            flops_step1=_estimate(
                fit.step1_flops.predict(x_c)[0], flops_draws, opts.level, actual_loss
            ),
        )
        if fit.step2 is not None and fit.single_step is not None:
            sigmoid = fit.step2
            p.chained = _estimate(
                sigmoid.predict([p.step1.predicted])[0],
                accuracy_draws(loss_draws),
                opts.level,
                actual_acc,
            )
            p.flops = _estimate(
                sigmoid.predict([p.flops_step1.predicted])[0],
                accuracy_draws(flops_draws),
                opts.level,
                actual_acc,
            )
            if actual_loss is not None:
                p.step2 = _estimate(
                    sigmoid.predict([actual_loss])[0],
                    accuracy_draws(np.full(opts.bootstrap, actual_loss)),
                    opts.level,
                    actual_acc,
                )
            p.single_step = _estimate(
                fit.single_step.predict(x_nd)[0], draws("single_step", x_nd), opts.level, actual_acc
            )
        fit.predictions[target.name] = p


def fit_ladder(
    table: pd.DataFrame, spec: LadderSpec, progress: bool = False, workers: int | None = None
) -> LadderFit:
    """Fit every task of `spec` on `table` and predict every target (see fit_task).

    Tasks run in `workers` processes (default: one per core); results do not depend on it.
    """
    runs = set(table["run"].unique())
    for target in spec.targets:
        if target.run is not None and target.run not in runs:
            raise LadderError(
                f"target {target.name!r}: run {target.run!r} is not in the data "
                f"(runs present: {', '.join(sorted(runs))})"
            )
    if not spec.tasks:
        raise LadderError("no tasks to fit")
    workers = min(len(spec.tasks), os.cpu_count() or 1) if workers is None else workers
    bar = tqdm(total=len(spec.tasks), desc="fitting tasks", unit="task", disable=not progress)
    jobs = [(table, spec, task, i) for i, task in enumerate(spec.tasks)]
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
