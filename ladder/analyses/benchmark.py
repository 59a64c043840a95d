"""The ladder benchmark: methods scored on a corpus of public ladders, each with its fixed split
(fit runs, targets), beside the simple baselines.

Per ladder, every candidate is scored once on the ladder's rollouts and fitted once on its fit
runs (ladder.fit.calibrated's steps); each method asked for is then assembled from that evidence
exactly as `ladder fit` assembles it, and its predictions of the targets are compared with their
actual scores. The targets' rows are read only for that comparison. Per (ladder, method):
mean and max relative error, coverage of the interval, its mean width (points of accuracy, or
bits per byte of loss), the ratio of the mean error to the best baseline's on the ladder, and
whether an excess over TOLERANCE x the best baseline's error is beyond the targets' own noise
(the larger of the fit runs' checkpoint-to-checkpoint noise and the binomial standard error of
an accuracy measured on the task's number of questions, ladder.spec.chance.items_of): a
difference the targets' measurement cannot resolve is no evidence against a method.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ladder.errors import LadderError
from ladder.fit.calibrated import assemble, candidate_pool, fit_methods, members_of
from ladder.fit.ladder import predict_targets
from ladder.fit.methods import method
from ladder.fit.points import FeatureFrames, task_points
from ladder.fit.rollouts import score
from ladder.fits.fit import ACCURACY, TASK_LOSS
from ladder.fits.report import format_frame
from ladder.laws.intervals import distance
from ladder.spec.chance import items_of
from ladder.spec.ladder import LadderSpec
from ladder.spec.presets import BASELINES, PRESETS, Method

DEFAULT_METHODS = ("auto", *BASELINES)
TOLERANCE = 1.1  # a method may lose to the best baseline on a ladder by this factor at most


def target_noise(actual: float, task: str, checkpoint_noise: float, metric: str) -> float:
    """A target's noise in `metric`: the fit runs' checkpoint-to-checkpoint SD, or for an
    accuracy the binomial standard error on the task's number of questions, if larger."""
    items = items_of(task.lower()) if metric == ACCURACY else None
    binomial = np.sqrt(actual * (1 - actual) / items) if items and 0 <= actual <= 1 else 0.0
    return float(max(checkpoint_noise or 0.0, binomial))


@dataclass
class LadderResult:
    """One ladder's benchmark: a row per (method, target, task) (`rows`), the residuals each
    method's interval was calibrated on (`residuals`), every candidate's rollout scores
    (`scores`), why a method could not run (`failures`), and the seconds it took."""

    name: str
    metric: str
    rows: pd.DataFrame
    residuals: pd.DataFrame
    scores: pd.DataFrame
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def _fit_each(frames: FeatureFrames, spec: LadderSpec, names: Sequence[str], known, metric):
    """fit_methods for each method alone: a method that cannot fit is left out, with why."""
    fitted, failed = {}, {}
    for name in names:
        try:
            fitted |= fit_methods(frames, spec, [name], known, metric)
        except LadderError as exc:
            failed[name] = str(exc)
    return fitted, failed


def run_ladder(
    spec: LadderSpec,
    table: pd.DataFrame,
    methods: Sequence[str] = DEFAULT_METHODS,
    known: Mapping[str, Method] | None = None,
) -> LadderResult:
    """Score `methods` on one ladder (see the module docstring)."""
    started = time.perf_counter()
    known = {**PRESETS, **spec.methods, **(known or {})}
    frames = FeatureFrames(table)
    opts = spec.fit
    has_accuracy = all(
        task_points(frames, t, "task_loss", spec.fit_runs, spec.step2_runs, opts).has_accuracy
        for t in spec.tasks
    )
    metric = ACCURACY if has_accuracy else TASK_LOSS
    specs = {name: spec.with_fit(method=name, intervals="conformal") for name in methods}
    pools = [candidate_pool(s, known) for s in specs.values()]
    candidates = pools[0][0]
    pool = list(dict.fromkeys(m for _, p in pools for m in p))
    scores, unavailable = score(frames, spec, pool, known, metric=metric)
    runnable = [m for m in pool if m not in unavailable]
    fitted, failed = _fit_each(frames, spec, runnable, known, metric)
    unavailable = {**unavailable, **failed}
    rows, residuals, failures = [], [], {}
    for name, sub in specs.items():
        try:
            selection, members = members_of(sub, known, candidates, scores, unavailable)
            tasks = assemble(frames, sub, selection, members, fitted, metric)
        except LadderError as exc:
            failures[name] = str(exc)
            continue
        used = sorted({m for names in members.values() for m in names})
        for task, task_fit in tasks.items():
            predict_targets(task_fit, sub)
            rows += _rows(spec, name, "+".join(used), task_fit)
            mean = selection.mean_of(members[task], task)
            residuals.append(mean.assign(method=name))
    return LadderResult(
        spec.name,
        metric,
        pd.DataFrame(rows),
        pd.concat(residuals, ignore_index=True) if residuals else pd.DataFrame(),
        scores,
        failures,
        time.perf_counter() - started,
    )


def _rows(spec: LadderSpec, name: str, members: str, task_fit: Any) -> list[dict[str, Any]]:
    final = task_fit.points.final
    scale = 100.0 if task_fit.metric == ACCURACY else 1.0
    out = []
    for target in spec.targets:
        e = task_fit.predictions[target.name].headline
        out.append(
            {
                "ladder": spec.name,
                "method": name,
                "members": members,
                "target": target.name,
                "task": task_fit.task.name,
                "predicted": e.predicted,
                "lower": e.lower,
                "upper": e.upper,
                "actual": e.actual,
                "rel_error": e.rel_error,
                "covered": e.covered,
                "width": scale * (e.upper - e.lower),
                "distance": distance(
                    target.params, target.tokens, final["params"], final["tokens"]
                ),
                "noise": task_fit.noise,
                "target_noise": target_noise(
                    e.actual, task_fit.task.name, task_fit.noise, task_fit.metric
                ),
                "chance": task_fit.task.chance,
            }
        )
    return out


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (ladder, method): pairs predicted, mean and max relative error, coverage, mean
    width, the ratio of the mean error to the best baseline's on that ladder, and whether the
    error exceeds TOLERANCE x the best baseline's by more than the targets' relative noise."""
    ok = rows.dropna(subset=["rel_error"]).assign(
        rel_noise=lambda r: r["target_noise"] / r["actual"].abs()
    )
    table = (
        ok.groupby(["ladder", "method"], sort=False)
        .agg(
            n=("rel_error", "size"),
            mean_rel_error=("rel_error", "mean"),
            max_rel_error=("rel_error", "max"),
            coverage=("covered", "mean"),
            mean_width=("width", "mean"),
            target_noise=("rel_noise", "mean"),
        )
        .reset_index()
    )
    baselines = table[table["method"].isin(BASELINES)]
    best = table["ladder"].map(baselines.groupby("ladder")["mean_rel_error"].min())
    table["vs_best_baseline"] = table["mean_rel_error"] / best
    table["beyond_noise"] = table["mean_rel_error"] - TOLERANCE * best > table["target_noise"]
    return table


def overall(summary: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Per method over the corpus: the mean over ladders of the mean relative error (each
    ladder counts once), the coverage of all its pairs, the lowest coverage of any ladder,
    the largest ratio to a ladder's best baseline, the ladders where it loses to that baseline
    by more than TOLERANCE and the targets' noise, and how many ladders it ran on."""
    ok = rows.dropna(subset=["rel_error"])
    per = summary.groupby("method", sort=False).agg(
        ladders=("ladder", "nunique"),
        mean_rel_error=("mean_rel_error", "mean"),
        worst_ladder_coverage=("coverage", "min"),
        max_vs_best_baseline=("vs_best_baseline", "max"),
        beyond_noise=("beyond_noise", "sum"),
    )
    per["coverage"] = ok.groupby("method", sort=False)["covered"].mean()
    return per.reset_index()


@dataclass
class Benchmark:
    """A benchmark over ladders: every ladder's rows and residuals, the per-ladder summary and
    the corpus overall, and what could not run."""

    ladders: list[LadderResult]

    @property
    def rows(self) -> pd.DataFrame:
        return pd.concat([r.rows for r in self.ladders if not r.rows.empty], ignore_index=True)

    def summary_table(self) -> pd.DataFrame:
        return summarize(self.rows)

    def overall_table(self) -> pd.DataFrame:
        return overall(self.summary_table(), self.rows)


def method_names(names: Sequence[str], known: Mapping[str, Method] = PRESETS) -> list[str]:
    """The methods to benchmark, checked: auto, ensemble or named ones."""
    for name in names:
        if name not in ("auto", "ensemble"):
            method(name, known)
    if not names:
        raise LadderError("no method to benchmark")
    return list(dict.fromkeys(names))


BENCHMARK_FORMATS = {
    "ladder": "",
    "method": "",
    "n": "d",
    "mean_rel_error": ".2%",
    "max_rel_error": ".2%",
    "coverage": ".0%",
    "mean_width": ".3g",
    "target_noise": ".2%",
    "vs_best_baseline": ".2f",
    "beyond_noise": "",
}
OVERALL_FORMATS = {
    "method": "",
    "ladders": "d",
    "mean_rel_error": ".2%",
    "coverage": ".0%",
    "worst_ladder_coverage": ".0%",
    "max_vs_best_baseline": ".2f",
    "beyond_noise": "d",
}


def format_benchmark(result: Benchmark) -> str:
    """`ladder benchmark`'s tables: per ladder and method, then per method over the corpus,
    and the methods that could not run on a ladder."""
    lines = [
        "Per ladder (relative errors of the targets' headline predictions; coverage of the "
        "interval; width in points of accuracy, or in the loss's unit; target_noise: the "
        "targets' own noise relative to their score; vs_best_baseline: the mean error over "
        f"the best baseline's on that ladder; beyond_noise: above {TOLERANCE:g}x that by more "
        "than the targets' noise; over the corpus, how many ladders are):",
        format_frame(result.summary_table(), BENCHMARK_FORMATS),
        "",
        "Over the corpus (each ladder counts once in the mean error; coverage of every pair):",
        format_frame(result.overall_table(), OVERALL_FORMATS),
    ]
    failed = [
        f"  {r.name}: {name}: {why}"
        for r in result.ladders
        for name, why in r.failures.items()
        if "cannot run on this table" not in why
    ]
    if failed:
        lines += ["", "Could not run:", *failed]
    return "\n".join(lines)
