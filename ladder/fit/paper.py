"""The one pipeline behind `ladder fit`, the plots and the notebooks: from an observation table
and a LadderSpec, fit every task and predict every target.

`fit_ladder` sends every method but the paper's to ladder.fit.auto (chosen by rollout
backtests, intervals calibrated on them); the paper method (arXiv 2412.04403, `method:
paper`) is here: build each task's points once, fit and bootstrap its laws, and predict every
target with the predictors of ladder.laws.chain. A table without accuracy (loss only) is
fitted the paper's way too: step 1 and its bootstrap intervals, in the task loss.

Units: N in parameters, D in tokens, C = 6 N D in FLOPs, task loss in bits per byte, accuracy
in [0, 1]. Pure: takes DataFrames, returns dataclasses; never touches files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ladder.data.observations import require_runs
from ladder.errors import LadderError
from ladder.fit.diagnostics import diagnose
from ladder.fit.noise import accuracy_noise
from ladder.fits.fit import LadderFit, TaskData, TaskFit
from ladder.laws.base import Law
from ladder.laws.bootstrap import checkpoint_weights, run_counts
from ladder.laws.chain import single_step_baseline
from ladder.laws.power import PowerLaw
from ladder.laws.sigmoid import Sigmoid
from ladder.parallel import map_processes
from ladder.spec.ladder import FitOptions, LadderSpec

MIN_CONVERGED = 0.5


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
    if spec.fit.method != "paper" and all(data.has_accuracy for data in datas):
        from ladder.fit.auto import fit_methods

        return fit_methods(table, spec, progress)
    jobs = [(data, spec, i) for i, data in enumerate(datas)]
    with tqdm(total=len(datas), desc="fitting tasks", unit="task", disable=not progress) as bar:
        fits = map_processes(fit_task, jobs, workers, bar.update)
    fit = LadderFit(spec=spec, tasks={fit.task.name: fit for fit in fits})
    noise = accuracy_noise(table, spec.tasks, spec.fit_runs) if datas[0].has_accuracy else {}
    fit.warnings = diagnose(fit, noise)
    return fit
