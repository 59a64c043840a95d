"""The one config mechanism: every spec section is a frozen pydantic model, validated the same
way whether it comes from YAML, command-line flags, a table or Python.

- numbers are strict: a boolean is never read as a number nor a number as a boolean; integers
  accept integral floats and numeric strings (YAML reads ``6.9e9`` as a string) and must fit
  in int64; floats must be finite;
- unknown keys are errors that list the allowed ones;
- every failure is one LadderError line naming the source and the key;
- `Config.replace` re-validates, so an override cannot slip past a bound;
- YAML is read with aliases refused (no alias bombs) and as UTF-8 only.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, ValidationError

from ladder.errors import LadderError

INT64_MAX = 2**63 - 1
MAX_YAML_BYTES = 1 << 20
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+=-]{0,127}$")
SAFE_NAME_RULE = "letters, digits and . _ + = - (not first), at most 128 characters"


def _number(value: Any, kind: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a {kind}, got a boolean")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError(f"expected a {kind}, got {value!r}") from None
    if not isinstance(value, int | float):
        raise ValueError(f"expected a {kind}, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected a finite {kind}, got {value}")
    return value


def _strict_int(value: Any) -> int:
    number = _number(value, "whole number")
    if isinstance(number, float):
        if number != int(number):
            raise ValueError(f"expected a whole number, got {value!r}")
        number = int(number)
    if abs(number) > INT64_MAX:
        raise ValueError(f"{number:.3g} is out of range (at most {INT64_MAX:.3g})")
    return number


def _strict_float(value: Any) -> float:
    return float(_number(value, "number"))


def _safe_name(value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValueError(f"expected a name, got {type(value).__name__}")
    text = str(value)
    if not SAFE_NAME.match(text):
        raise ValueError(f"{text!r} is not a safe name ({SAFE_NAME_RULE})")
    return text


Int = Annotated[int, BeforeValidator(_strict_int)]
Float = Annotated[float, BeforeValidator(_strict_float)]
Bool = StrictBool
PositiveInt = Annotated[Int, Field(gt=0)]
PositiveFloat = Annotated[Float, Field(gt=0)]
SafeName = Annotated[str, BeforeValidator(_safe_name)]
"""A name that may become part of a path or a script line (spec, size, target names)."""


def safe_name(text: str, fallback: str = "ladder") -> str:
    """A safe name made from a file's stem: other characters become '-', leading ones that
    may not come first (a dot, a dash) are dropped ("my data" -> my-data, .hidden -> hidden)."""
    name = re.sub(r"[^A-Za-z0-9._+=-]", "-", text)
    name = re.sub(r"^[^A-Za-z0-9]+", "", name)[:128]
    return name or fallback


def check_name(value: str, what: str) -> str:
    """`value` if it is a safe name, else LadderError naming `what`."""
    try:
        return _safe_name(value)
    except ValueError as exc:
        raise LadderError(f"{what}: {exc}") from None


class Config(BaseModel):
    """Base of every spec section: frozen, no unknown keys, finite numbers, validated defaults."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True
    )

    @classmethod
    def parse(cls, raw: Any, where: str, base: Path | None = None) -> Self:
        """Validate a mapping (from YAML or flags); LadderError "WHERE: KEY: problem". Relative
        paths in it are relative to `base` (the spec file's folder)."""
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise LadderError(f"{where}: expected a mapping, got {type(raw).__name__}")
        try:
            return cls.model_validate(raw, context={"base": base})
        except ValidationError as exc:
            raise LadderError(describe(exc, where, cls)) from None

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes` applied, validated like a new config."""
        data = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self).parse({**data, **changes}, self.source_name())

    def source_name(self) -> str:
        """How errors in a changed copy name it."""
        return type(self).__name__


def describe(exc: ValidationError, where: str, model: type[BaseModel] | None) -> str:
    """The first problem of a ValidationError as one line naming the key."""
    error = exc.errors(include_url=False)[0]
    loc = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
    ).lstrip(".")
    key = f"{where}: {loc}" if loc else where
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, error["loc"][:-1]) if model else []
        return f"{where}: unknown key {loc!r} (allowed: {', '.join(allowed)})"
    if kind == "missing":
        return f"{key}: missing"
    message = error["msg"].removeprefix("Value error, ")
    given = error.get("input")
    if getattr(given, "shape", None) == ():  # a numpy scalar: 1.5, not np.float64(1.5)
        given = given.item()
    shown = "" if kind.startswith("value_error") or isinstance(given, dict) else f" (got {given!r})"
    return f"{key}: {message}{shown}"


def _allowed_keys(model: type[BaseModel], path: tuple) -> list[str]:
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        inner = getattr(field, "annotation", None) if field else None
        candidates = [inner, *getattr(inner, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return sorted(model.model_fields)


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases: `*ref` could expand to gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.YAMLError(f"aliases (*name) are not allowed (line {mark.line + 1})")
        return super().compose_node(parent, index)


def load_yaml(path: str | Path) -> Any:
    """A YAML file's content (UTF-8, at most 1 MiB, no aliases); LadderError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise LadderError(f"{path}: no such file")
    if path.stat().st_size > MAX_YAML_BYTES:
        raise LadderError(f"{path}: larger than {MAX_YAML_BYTES >> 20} MiB; not a ladder spec")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LadderError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LadderError(f"{path}: not valid YAML ({first})") from None
