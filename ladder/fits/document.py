"""A fit as a document: what `ladder fit` writes and `ladder plot`, `report` and `predict` read
back without refitting.

Schema (versioned, `schema_version`), in named groups: the spec (data named by file name only,
never a machine path), the units; per task its method, its predictor and interval strategy and
baselines as estimator documents (ladder.laws.estimator: kind, version, parameters, and each
law's fitted values with standard errors and bootstrap draws, arrays stored exactly as base64
float64), and the points they were fitted on; per target the predictions: the headline
(`metric`: accuracy, or task_loss for loss-only data) and every part; the selection (how the
method was chosen, with every candidate's rollout predictions); the warnings. Accuracies are
fractions in [0, 1] in JSON; printed reports use points. Law parameters are named
unambiguously: the power laws' ln_A and ln_B are natural logarithms of A and B; the sigmoid's
a, L0, k, b are its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ladder import __version__
from ladder.errors import LadderError
from ladder.fits.fit import LadderFit, TargetPrediction, TaskFit, TaskPoints
from ladder.fits.selection import Selection
from ladder.laws.base import decode, encode
from ladder.laws.bootstrap import Estimate
from ladder.laws.estimator import from_document as estimator_document
from ladder.runs.sizes import N_MEANS
from ladder.spec.ladder import LadderSpec

SCHEMA = "ladder-fit"
SCHEMA_VERSION = 2
UNITS = {
    "N": N_MEANS,
    "D": "tokens",
    "C": "training FLOPs, 6 N D",
    "task_loss": "bits per byte of the correct answer",
    "accuracy": "fraction in [0, 1]",
}
PARAMETERS = {
    "PowerLaw": "L = E + exp(ln_A) / N^alpha + exp(ln_B) / D^beta (or of C alone: E + exp(ln_A) "
    "/ C^alpha; sign -1: accuracy rising to E)",
    "Sigmoid": "acc = a / (1 + exp(-k (L - L0))) + b",
    "LRPowerLaw": "L = E + exp(ln_A) / N^alpha + exp(ln_B) / S1^beta - C R",
}


def to_document(fit: LadderFit) -> dict[str, Any]:
    """The whole fit as plain data (JSON-ready)."""
    spec = fit.spec
    spec_data = spec.model_dump(mode="json")
    spec_data["data"] = None if spec.data is None else spec.data.name
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "ladder_version": __version__,
        "units": UNITS,
        "law_parameters": PARAMETERS,
        "spec": spec_data,
        "targets": {
            target.name: {
                "params": target.params,
                "tokens": target.tokens,
                "run": target.run,
                "tasks": {
                    name: prediction_dict(task_fit.predictions[target.name])
                    for name, task_fit in fit.tasks.items()
                },
            }
            for target in spec.targets
        },
        "tasks": {name: task_dict(task_fit) for name, task_fit in fit.tasks.items()},
        "selection": None if fit.selection is None else selection_dict(fit.selection),
        "warnings": fit.warnings,
    }


def prediction_dict(p: TargetPrediction) -> dict[str, Any]:
    """The headline (chained accuracy, or task loss for loss-only data) and each part."""
    out: dict[str, Any] = {"metric": p.metric, **p.headline.to_dict()}
    for part, estimate in p.parts().items():
        out[part] = estimate.to_dict()
    if p.members:
        out["members"] = p.members
    return out


def selection_dict(selection: Selection) -> dict[str, Any]:
    """How the method was chosen and its intervals calibrated, with the evidence: every
    candidate's rollout predictions."""
    calibration = selection.calibration
    return {
        "asked": selection.asked,
        "candidates": selection.candidates,
        "unavailable": selection.unavailable,
        "chosen": selection.chosen,
        "rule": selection.rule,
        "ranking": selection.ranking().to_dict(),
        "calibration": None if calibration is None else calibration.to_document(),
        "rollout_coverage": selection.coverage.to_dict("records"),
        "noise": selection.noise,
        "scores": selection.scores.to_dict("records"),
    }


def task_dict(task_fit: TaskFit) -> dict[str, Any]:
    """One task's method, predictor, interval strategy, baselines and points."""
    points = task_fit.points
    encoded = {"final": encode_frame(points.final)}
    if points.checkpoints is not None:
        encoded["checkpoints"] = encode_frame(points.checkpoints)
    return {
        "method": task_fit.method,
        "feature": points.feature,
        "predictor": task_fit.predictor.to_document(),
        "intervals": task_fit.intervals.to_document(),
        "baselines": {name: b.to_document() for name, b in task_fit.baselines.items()},
        "noise": task_fit.noise,
        "bootstrap_converged": task_fit.converged,
        "points": encoded,
    }


def encode_frame(frame: pd.DataFrame) -> dict[str, Any]:
    """A points table: text columns as categories and codes, numbers exactly (base64)."""
    out: dict[str, Any] = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            categorical = pd.Categorical(values.astype(str))
            out[column] = {
                "categories": list(categorical.categories),
                "codes": encode(categorical.codes),
            }
        else:
            out[column] = {"dtype": str(values.dtype), **encode(values.to_numpy(dtype=float))}
    return out


def decode_frame(data: dict[str, Any]) -> pd.DataFrame:
    columns = {}
    for column, value in data.items():
        if "categories" in value:
            codes = decode(value["codes"]).astype(int)
            columns[column] = np.asarray(value["categories"], dtype=object)[codes]
        else:
            columns[column] = decode(value).astype(value["dtype"])
    return pd.DataFrame(columns)


def from_document(document: Any, source: str = "fit file") -> LadderFit:
    """A LadderFit from `to_document`'s output: predictors with their draws, points,
    predictions; LadderError naming `source` when it is not one."""
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise LadderError(f'{source}: not a ladder fit (no "schema": "{SCHEMA}")')
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        raise LadderError(
            f"{source}: fit schema version {version!r}; this ladder {__version__} reads "
            f"version {SCHEMA_VERSION} (refit with `ladder fit`)"
        )
    try:
        spec = LadderSpec.parse(document["spec"], f"{source}: spec")
        tasks = {}
        for task in spec.tasks:
            raw = document["tasks"][task.name]
            points = raw["points"]
            task_points = TaskPoints(
                task=task,
                final=decode_frame(points["final"]),
                checkpoints=decode_frame(points["checkpoints"])
                if "checkpoints" in points
                else None,
                feature=str(raw["feature"]),
                window=spec.fit.final_window,
            )
            task_fit = TaskFit(
                task_points,
                str(raw["method"]),
                estimator_document(raw["predictor"]),
                estimator_document(raw["intervals"]),
                {name: estimator_document(b) for name, b in raw["baselines"].items()},
                float(raw["noise"]),
            )
            for target in spec.targets:
                task_fit.predictions[target.name] = _prediction(
                    target, document["targets"][target.name]["tasks"][task.name]
                )
            tasks[task.name] = task_fit
        raw_selection = document.get("selection")
        selection = None if raw_selection is None else _selection(raw_selection)
        warnings = list(document.get("warnings", []))
    except (KeyError, TypeError, ValueError) as exc:
        raise LadderError(f"{source}: a malformed fit ({type(exc).__name__}: {exc})") from None
    return LadderFit(spec=spec, tasks=tasks, selection=selection, warnings=warnings)


def _selection(raw: dict[str, Any]) -> Selection:
    calibration = raw["calibration"]
    return Selection(
        str(raw["asked"]),
        list(raw["candidates"]),
        dict(raw["unavailable"]),
        pd.DataFrame(raw["scores"]),
        list(raw["chosen"]),
        str(raw["rule"]),
        None if calibration is None else estimator_document(calibration),
        pd.DataFrame(raw["rollout_coverage"]),
        {k: float(v) for k, v in raw["noise"].items()},
    )


def _prediction(target: Any, raw: dict[str, Any]) -> TargetPrediction:
    def estimate(part: str) -> Estimate | None:
        if part not in raw:
            return None
        e = raw[part]
        return Estimate(
            float(e["predicted"]),
            _float(e["lower"]),
            _float(e["upper"]),
            None if e["actual"] is None else float(e["actual"]),
            bool(e.get("clipped", False)),
        )

    return TargetPrediction(
        target=target,
        step1=estimate("step1"),
        flops_step1=estimate("flops_step1"),
        chained=estimate("chained"),
        step2=estimate("step2"),
        single_step=estimate("single_step"),
        flops=estimate("flops"),
        forecast=estimate("forecast"),
    )


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def load(path: str | Path) -> LadderFit:
    """Read a fit file written by `ladder fit`."""
    from ladder.files import read_json

    return from_document(read_json(path, "ladder fit file"), str(path))
