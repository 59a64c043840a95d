"""Fits with bootstrap intervals: a method chained through a law of (N, D) or of C (the paper's
method, arXiv 2412.04403, by default), the paper's baselines beside it, and every law refitted on
the same resampled runs and checkpoints (ladder.laws.bootstrap), so that an interval carries both
steps' uncertainty. A table without accuracy (loss only) is fitted the same way in the task loss:
step 1 and its FLOPs form. With `method: paper` this reproduces the paper's published tables
(tests/test_published.py).

Units: N in parameters, D in tokens, task loss in bits per byte, accuracy in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ladder.errors import LadderError
from ladder.fit.methods import fit_method, method
from ladder.fits.fit import TaskFit, TaskPoints
from ladder.laws.base import Law
from ladder.laws.bootstrap import checkpoint_weights, run_counts
from ladder.laws.intervals import Bootstrap
from ladder.laws.power import PowerLaw
from ladder.laws.predictors import Chained, ComputeLaw, single_step_baseline
from ladder.spec.ladder import LadderSpec
from ladder.spec.presets import Method

MIN_CONVERGED = 0.5
STEP1_FORMS = ("nd", "flops")


def check_method(name: str, known: Mapping[str, Method]) -> None:
    """LadderError unless the method can be bootstrapped here (chained, step 1 nd or flops)."""
    spec = method(name, known)
    if spec.kind != "chained" or spec.step1 not in STEP1_FORMS:
        raise LadderError(
            f"bootstrap intervals need a method chained through a law of N and D or of C "
            f"(e.g. paper, flops); {name!r} is not one: use conformal intervals"
        )


def _step1_flops(points: TaskPoints, spec: LadderSpec) -> ComputeLaw:
    opts = spec.fit
    law = PowerLaw(("C",), huber_delta=opts.huber_delta, n_starts=opts.n_starts, seed=opts.seed)
    return ComputeLaw(law).fit(points.nd, points.final["feature"].to_numpy(dtype=float))


def fit_task(
    points: TaskPoints, spec: LadderSpec, name: str, known: Mapping[str, Method], seed_offset: int
) -> TaskFit:
    """Fit one task's method and baselines, bootstrap them, predict all of spec's targets."""
    opts = spec.fit
    where = f"task {points.task.name!r}"
    baselines: dict = {}
    if points.has_accuracy:
        predictor = fit_method(name, {points.task.name: points}, opts, spec.fit_runs, None, known)
        predictor = predictor[points.task.name]
        try:
            flops = Chained(_step1_flops(points, spec), predictor.step2, predictor.feature)
            single = single_step_baseline(opts.huber_delta, n_starts=opts.n_starts, seed=opts.seed)
            accuracy = points.final["accuracy"].to_numpy(dtype=float)
            baselines = {"flops": flops, "single_step": single.fit(points.nd, accuracy)}
        except LadderError as exc:
            raise LadderError(f"{where}, baselines: {exc}") from None
    else:
        try:
            predictor = PowerLaw(
                ("N", "D"), huber_delta=opts.huber_delta, n_starts=opts.n_starts, seed=opts.seed
            ).fit(points.nd, points.final["feature"].to_numpy(dtype=float))
            baselines = {"flops_step1": _step1_flops(points, spec)}
        except LadderError as exc:
            raise LadderError(f"{where}, step 1: {exc}") from None
    if opts.bootstrap:
        rng = np.random.default_rng([opts.seed, seed_offset])
        _bootstrap(points, predictor, baselines, method(name, known), spec, rng)
    return TaskFit(points, name, predictor, Bootstrap(opts.level), baselines)


def _bootstrap(
    points: TaskPoints,
    predictor: Law | Chained,
    baselines: dict,
    chosen: Method,
    spec: LadderSpec,
    rng: np.random.Generator,
) -> None:
    """Refit every law of the task on the same resampled runs (see laws.bootstrap); the draws
    are kept on each law. LadderError when step 1 or 2 converge too rarely to be trusted."""
    n_boot = spec.fit.bootstrap
    first = len(points.final)
    counts = run_counts(rng, first, n_boot)
    if len(points.runs) > first:  # step 2's own runs are resampled too
        counts = np.hstack([counts, run_counts(rng, len(points.runs) - first, n_boot)])
    loss = points.final["feature"].to_numpy(dtype=float)
    step1 = predictor.step1 if isinstance(predictor, Chained) else predictor
    flops = baselines["flops"].step1 if "flops" in baselines else baselines["flops_step1"]
    _bootstrap_step1(step1, points, loss, counts[:, :first], rng)
    _bootstrap_step1(flops, points, loss, counts[:, :first], rng)
    checked = {"step1": step1}
    if isinstance(predictor, Chained):
        weights = checkpoint_weights(rng, points.run_index, counts)
        x = points.checkpoints["feature"].to_numpy(dtype=float)
        y = points.checkpoints["accuracy"].to_numpy(dtype=float)
        anchor = spec.fit.anchor if chosen.anchor is None else chosen.anchor
        if anchor:
            x, y = np.append(x, 0.0), np.append(y, 1.0)
            weights = np.hstack([weights, np.ones((n_boot, 1))])
        predictor.step2.bootstrap(x, y, weights, rng)
        accuracy = points.final["accuracy"].to_numpy(dtype=float)
        baselines["single_step"].bootstrap(points.nd, accuracy, counts[:, :first], rng)
        checked["step2"] = predictor.step2
    for key, law in checked.items():
        fraction = law.draws_.converged_fraction
        if fraction < MIN_CONVERGED:
            raise LadderError(
                f"task {points.task.name!r}: only {fraction:.0%} of the {key} bootstrap refits "
                "converged; these runs do not pin the law down"
            )


def _bootstrap_step1(
    step1: Law | ComputeLaw,
    points: TaskPoints,
    loss: np.ndarray,
    counts: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Bootstrap a step-1 law of (N, D), or the law of C inside a ComputeLaw."""
    if isinstance(step1, ComputeLaw):
        step1.law.bootstrap(step1.flops(points.nd), loss, counts, rng)
    else:
        step1.bootstrap(points.nd, loss, counts, rng)
