"""The one contract of laws, predictors and interval strategies, in scikit-learn's style, and the
registry that serializes them.

- `__init__` stores its arguments under their own names; `get_params` reads them back through
  the signature (never written by hand) and `__repr__` shows those that differ from the
  defaults.
- `fit(...)` returns self; fitted attributes end in `_`; `predict` before `fit` raises
  NotFittedError (a LadderError: one line).
- `to_document()` is plain JSON-ready data naming the class (`kind`) and its `version`, with the
  constructor arguments (nested estimators as their own documents) and the fitted state;
  `from_document(document)` dispatches on `kind` through the registry, so no caller chains
  isinstance checks. Every subclass registers itself by being defined.
- `summary()` is a human report (text), like lmfit's `fit_report`.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from ladder.errors import LadderError, NotFittedError

REGISTRY: dict[str, type[Estimator]] = {}


@runtime_checkable
class Predictor(Protocol):
    """What every law and predictor offers: rows of `inputs` in, one value per row out."""

    inputs: tuple[str, ...]

    def fit(self, *args: Any) -> Predictor: ...

    def predict(self, x: np.ndarray) -> np.ndarray: ...

    def sample(self, x: np.ndarray) -> np.ndarray: ...

    def get_params(self) -> dict[str, Any]: ...

    def to_document(self) -> dict[str, Any]: ...

    def summary(self) -> str: ...


class Estimator:
    """Base of every law, predictor and interval strategy (see the module docstring).

    Subclasses register under their class name (a base declares `abstract=True`), set
    `version` when their document changes, and override `_fitted_state` /
    `_restore` when they hold fitted state of their own (a law's parameters); composites hold
    theirs in nested estimators, which serialize themselves.
    """

    version: ClassVar[int] = 1
    # whether the estimator predicts from rows (N, D) through a law with both an N and a D
    # term, so that its prediction at a fixed compute C = 6 N D depends on the split and has
    # an optimum (ladder.laws.allocation); a law of C alone, or of ln N alone, has none
    allocates: ClassVar[bool] = False

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not abstract:
            REGISTRY[cls.__name__] = cls

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            name
            for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, read from the attributes of the same names."""
        return {name: getattr(self, name) for name in self._param_names()}

    def __repr__(self) -> str:
        signature = inspect.signature(type(self).__init__)
        shown = []
        for name, value in self.get_params().items():
            default = signature.parameters[name].default
            if default is inspect.Parameter.empty or not _same(value, default):
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    # -- fitted or not ------------------------------------------------------------------
    def is_fitted(self) -> bool:
        """Whether `fit` has run (composites: whether every part has)."""
        parts = [v for v in _estimators(self.get_params())]
        return bool(parts) and all(p.is_fitted() for p in parts)

    def check_fitted(self) -> None:
        """NotFittedError unless fitted."""
        if not self.is_fitted():
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit first")

    # -- documents ----------------------------------------------------------------------
    def to_document(self) -> dict[str, Any]:
        """The estimator as plain data (see the module docstring)."""
        params = {name: _encode(value) for name, value in self.get_params().items()}
        return {
            "kind": type(self).__name__,
            "version": self.version,
            "params": params,
            **self._fitted_state(),
        }

    def _fitted_state(self) -> dict[str, Any]:
        return {}

    @classmethod
    def upgrade(cls, params: dict[str, Any], version: int) -> dict[str, Any]:
        """The constructor arguments of a document of an older `version` (its decoded params)."""
        return params

    def _restore(self, document: Mapping[str, Any]) -> None:
        """Set the fitted state `_fitted_state` wrote."""

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Estimator:
        """The estimator `to_document` wrote; LadderError when it is not one."""
        return from_document(document)

    def summary(self) -> str:
        """A human report; composites list their parts' reports."""
        lines = [repr(self)]
        for name, part in self.get_params().items():
            for i, estimator in enumerate(_estimators({name: part})):
                label = name if not isinstance(part, list | tuple | dict) else f"{name}[{i}]"
                body = estimator.summary().replace("\n", "\n    ")
                lines.append(f"  {label}: {body}")
        return "\n".join(lines)


def from_document(document: Any, expect: type | None = None) -> Any:
    """An estimator from its document, found by `kind` in the registry; LadderError for an
    unknown kind, a newer version, or malformed data (and when it is not an `expect`)."""
    try:
        kind = document["kind"]
        cls = registry()[kind]
    except (KeyError, TypeError):
        raise LadderError(
            f"not a law or predictor document (kind {_kind(document)!r}; known: "
            f"{', '.join(sorted(registry()))})"
        ) from None
    version = document.get("version", 1)
    if not isinstance(version, int) or version > cls.version:
        raise LadderError(
            f"{kind} document version {version!r}: this ladder reads up to {cls.version}"
        )
    try:
        params = {name: _decode(value) for name, value in document["params"].items()}
        estimator = cls(**cls.upgrade(params, version))
        estimator._restore(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise LadderError(f"not a fitted {kind} ({type(exc).__name__}: {exc})") from None
    if expect is not None and not isinstance(estimator, expect):
        raise LadderError(f"a {kind} where a {expect.__name__} was expected")
    return estimator


# The modules that define estimators: a document may name a kind of any of them, whichever
# module its reader happened to import (ladder.laws stays light: the CLI's parser imports it).
ESTIMATOR_MODULES = (
    "power",
    "sigmoid",
    "shared",
    "lr",
    "multipower",
    "baselines",
    "predictors",
    "intervals",
)


def registry() -> dict[str, type[Estimator]]:
    """Every estimator class by name, its modules imported."""
    for module in ESTIMATOR_MODULES:
        importlib.import_module(f"ladder.laws.{module}")
    return REGISTRY


def _kind(document: Any) -> Any:
    return document.get("kind") if isinstance(document, Mapping) else type(document).__name__


def _encode(value: Any) -> Any:
    if isinstance(value, Estimator):
        return value.to_document()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "kind" in value and "params" in value:
        return from_document(value)  # LadderError for a kind the registry does not know
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    return value


def _estimators(params: Mapping[str, Any]) -> list[Estimator]:
    out: list[Estimator] = []
    for value in params.values():
        if isinstance(value, Estimator):
            out.append(value)
        elif isinstance(value, list | tuple):
            out += [v for v in value if isinstance(v, Estimator)]
        elif isinstance(value, dict):
            out += [v for v in value.values() if isinstance(v, Estimator)]
    return out


def _same(value: Any, default: Any) -> bool:
    try:
        return bool(value == default) or (
            isinstance(value, tuple | list)
            and isinstance(default, tuple | list)
            and list(value) == list(default)
        )
    except (TypeError, ValueError):
        return False
