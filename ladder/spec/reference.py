"""The spec reference (docs/spec.md), written from the spec's own models so that it cannot
drift from what the loader accepts: every key, its type and range, its default and its meaning.

    python -m ladder.spec.reference > docs/spec.md
"""

from __future__ import annotations

from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ladder.spec.ladder import FitOptions, LadderSpec, TargetSpec, TaskSpec
from ladder.spec.presets import Method
from ladder.spec.train import EvalSpec, Size, SlurmSpec, TokenizerSpec, TrainSpec, WSDSSpec

SECTIONS: tuple[tuple[str, type[BaseModel], str], ...] = (
    ("The spec (top level)", LadderSpec, ""),
    ("`fit`", FitOptions, "fit."),
    ("`targets` (a list)", TargetSpec, "targets[]."),
    ("`tasks` (a list)", TaskSpec, "tasks[]."),
    ("`methods` (a mapping of names to methods)", Method, "methods.NAME."),
    ("`train`", TrainSpec, "train."),
    ("`train.sizes` (a list; a name alone is an OLMo-core size)", Size, "train.sizes[]."),
    ("`train.tokenizer` (or a name alone)", TokenizerSpec, "train.tokenizer."),
    ("`train.eval`", EvalSpec, "train.eval."),
    ("`train.wsds`", WSDSSpec, "train.wsds."),
    ("`train.slurm`", SlurmSpec, "train.slurm."),
)


NAMES = {int: "whole number", float: "number", str: "text", bool: "true/false", Path: "path"}
BOUNDS = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))


def _bounds(metadata: list[Any]) -> str:
    """The range the metadata sets (annotated-types constraints, possibly inside a FieldInfo)."""
    found = []
    for item in metadata:
        for inner in getattr(item, "metadata", [item]):
            found += [f"{sign} {getattr(inner, n)}" for n, sign in BOUNDS if hasattr(inner, n)]
    return f" ({', '.join(found)})" if found else ""


def _name(kind: Any) -> str:
    """A type as a reader of YAML thinks of it, with its range."""
    origin, args = get_origin(kind), get_args(kind)
    if origin is Annotated:
        return _name(args[0]) + _bounds(list(args[1:]))
    if origin in (Union, UnionType):
        named = [_name(arg) for arg in args if arg is not type(None)]
        return " or ".join(named) + (" or null" if type(None) in args else "")
    if origin is tuple:
        return f"list of {_name(args[0])}"
    if origin is dict:
        return f"mapping of names to {_name(args[1])}"
    if origin is Literal:
        return "one of " + ", ".join(f"`{arg}`" for arg in args)
    return NAMES.get(kind, getattr(kind, "__name__", str(kind)))


def _type(field: FieldInfo) -> str:
    return _name(field.annotation) + _bounds(field.metadata)


def _default(field: FieldInfo) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value: Any = field.default_factory() if field.default_factory else field.default
    if isinstance(value, BaseModel):
        return "(below)"
    if value is None:
        return "-"
    if value in ((), {}, ""):
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def reference() -> str:
    """docs/spec.md's text."""
    lines = [
        "# Spec reference",
        "",
        "A ladder spec is a YAML file (see `configs/olmo-paper.yaml` and `configs/tiny.yaml`). "
        "Every key below is checked when the spec is loaded: an unknown key, a value of the "
        "wrong type (a boolean is never a number, nor a number a boolean) or out of its range "
        "is one error naming the key. Numbers may be written 6.9e9. Paths are relative to the "
        "spec file. Units: N in parameters, D in tokens, C = 6 N D in FLOPs, task loss in bits "
        "per byte, accuracies as fractions in [0, 1].",
        "",
        "Written by `python -m ladder.spec.reference > docs/spec.md` from the spec's own models "
        "(`ladder/spec/ladder.py`, `ladder/spec/train.py`); a test checks that it is up to date.",
    ]
    for title, model, prefix in SECTIONS:
        lines += ["", f"## {title}", ""]
        doc = (model.__doc__ or "").strip().splitlines()[0]
        lines += [doc, "", "| key | type | default | meaning |", "| --- | --- | --- | --- |"]
        for name, field in model.model_fields.items():
            meaning = (field.description or "").replace("|", "\\|")
            kind = _type(field).replace("|", "or")
            lines.append(f"| `{prefix}{name}` | {kind} | {_default(field)} | {meaning} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(reference(), end="")
