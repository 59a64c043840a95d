"""The spec reference (docs/spec.md), written from the spec's own models so that it cannot
drift from what the loader accepts: every key, its type and range, its default and its meaning.

    python -m ladder.specdoc > docs/spec.md
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ladder.spec import FitOptions, LadderSpec, Method, TargetSpec, TaskSpec
from ladder.train_spec import EvalSpec, Size, SlurmSpec, TokenizerSpec, TrainSpec

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
    ("`train.slurm`", SlurmSpec, "train.slurm."),
)


WORDS = (
    (r"tuple\[(.+?), \.\.\.\]", r"list of \1"),
    (r"dict\[str, (.+?)\]", r"mapping of names to \1"),
    (r"Literal\[(.+?)\]", r"one of \1"),
    (r"\bPath\b", "path"),
    (r"\bstr\b", "text"),
    (r"\bbool\b", "true/false"),
    (r"\bint\b", "whole number"),
    (r"\bfloat\b", "number"),
    (r"\bNone\b", "null"),
)


def _type(field: FieldInfo) -> str:
    """The field's type, as a reader of YAML thinks of it, with its range."""
    text = str(field.annotation).replace("typing.", "").replace("pathlib.", "")
    text = re.sub(r"<class '([\w.]+)'>", r"\1", text)
    text = re.sub(r"Annotated\[([\w.]+), [^\]]*\]", r"\1", text)
    text = re.sub(r"\b(?:ladder\.\w+\.)", "", text)
    for pattern, words in WORDS:
        text = re.sub(pattern, words, text)
    bounds = []
    for item in field.metadata:
        for name, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(item, name, None) is not None:
                bounds.append(f"{sign} {getattr(item, name)}")
    return text + (f" ({', '.join(bounds)})" if bounds else "")


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
        "Written by `python -m ladder.specdoc > docs/spec.md` from the spec's own models "
        "(`ladder/spec.py`, `ladder/train_spec.py`); a test checks that it is up to date.",
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
