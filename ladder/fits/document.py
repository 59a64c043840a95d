"""A fit as a document: what `ladder fit` writes and `ladder plot`, `report` and `predict` read
back without refitting.

Schema (versioned, `schema_version`): the spec (data named by file name only, never a machine
path), the units, and per task its fitted laws (parameters with standard errors and the
bootstrap draws, arrays stored exactly as base64 float64), the points they were fitted on, and
per target the predictions: the headline (`metric`: accuracy, or task_loss for loss-only
data) and every part. Accuracies are fractions in [0, 1] in JSON; printed reports use points.
Law parameters are named unambiguously: the power laws' ln_A and ln_B are natural logarithms of
A and B; the sigmoid's a, L0, k, b are its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ladder import __version__
from ladder.errors import LadderError
from ladder.fit.calibration import Calibration
from ladder.fit.methods import model_from_dict, model_to_dict
from ladder.fit.rollouts import Selection
from ladder.fits.fit import LadderFit, MethodsInfo, TargetPrediction, TaskData, TaskFit
from ladder.laws.base import decode, encode, law_from_dict
from ladder.laws.bootstrap import Estimate
from ladder.spec.ladder import LadderSpec

SCHEMA = "ladder-fit"
SCHEMA_VERSION = 1
UNITS = {
    "N": "parameters (all but the output embedding)",
    "D": "tokens",
    "C": "training FLOPs, 6 N D",
    "task_loss": "bits per byte of the correct answer",
    "accuracy": "fraction in [0, 1]",
}
LAW_NAMES = {
    "step1": "task loss from (N, D): L = E + exp(ln_A) / N^alpha + exp(ln_B) / D^beta",
    "step1_flops": "task loss from C: L = E + exp(ln_A) / C^alpha",
    "step2": "accuracy from task loss: acc = a / (1 + exp(-k (L - L0))) + b",
    "single_step": "accuracy from (N, D): acc = E - exp(ln_A) / N^alpha - exp(ln_B) / D^beta",
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
        "laws_explained": LAW_NAMES,
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
        "method": None if fit.methods is None else methods_dict(fit.methods),
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


def methods_dict(info: MethodsInfo) -> dict[str, Any]:
    """How the method was chosen and its intervals calibrated, with the evidence: every
    candidate's rollout predictions."""
    selection = info.selection
    return {
        "asked": info.method,
        "candidates": selection.candidates,
        "unavailable": selection.unavailable,
        "chosen": selection.chosen,
        "rule": selection.rule,
        "ranking": selection.ranking().to_dict(),
        "calibration": info.calibration.to_dict(),
        "rollout_coverage": info.coverage.to_dict("records"),
        "noise": info.noise,
        "scores": selection.scores.to_dict("records"),
    }


def task_dict(task_fit: TaskFit) -> dict[str, Any]:
    data = task_fit.data
    points = {"step1": encode_frame(data.step1_points)}
    if data.step2_points is not None:
        points["step2"] = encode_frame(data.step2_points)
    out = {
        "laws": {key: law.to_dict() for key, law in task_fit.laws.items()},
        "bootstrap_converged": task_fit.converged,
        "anchor": data.anchor,
        "points": points,
    }
    if task_fit.model is not None:
        out["model"] = model_to_dict(task_fit.model)
    return out


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
    """A LadderFit from `to_document`'s output: laws with their draws, points, predictions;
    LadderError naming `source` when it is not one."""
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
            data = TaskData(
                task=task,
                frame=None,
                step1_points=decode_frame(points["step1"]),
                step2_points=decode_frame(points["step2"]) if "step2" in points else None,
                anchor=bool(raw["anchor"]),
                window=spec.fit.final_window,
            )
            laws = {key: law_from_dict(law) for key, law in raw["laws"].items()}
            model = model_from_dict(raw["model"]) if "model" in raw else None
            task_fit = TaskFit(data, laws, model=model)
            for target in spec.targets:
                task_fit.predictions[target.name] = _prediction(
                    target, document["targets"][target.name]["tasks"][task.name]
                )
            tasks[task.name] = task_fit
        methods = None if document.get("method") is None else _methods(document["method"])
        warnings = list(document.get("warnings", []))
    except (KeyError, TypeError, ValueError) as exc:
        raise LadderError(f"{source}: a malformed fit ({type(exc).__name__}: {exc})") from None
    if methods is not None:
        for name, task_fit in tasks.items():
            task_fit.calibration, task_fit.noise = methods.calibration, methods.noise[name]
    return LadderFit(spec=spec, tasks=tasks, methods=methods, warnings=warnings)


def _methods(raw: dict[str, Any]) -> MethodsInfo:
    selection = Selection(
        list(raw["candidates"]),
        dict(raw["unavailable"]),
        pd.DataFrame(raw["scores"]),
        list(raw["chosen"]),
        str(raw["rule"]),
    )
    return MethodsInfo(
        raw["asked"],
        selection,
        Calibration(**raw["calibration"]),
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
    )


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def load(path: str | Path) -> LadderFit:
    """Read a fit file written by `ladder fit`."""
    from ladder.files import read_json

    return from_document(read_json(path, "ladder fit file"), str(path))
