"""Checks on the mappings of a YAML spec, with one error naming the key: shared by the spec's
sections (ladder.spec) and its `train` section (ladder.train.config)."""

from __future__ import annotations

from typing import Any

from ladder.errors import LadderError


def require(mapping: dict, key: str, where: str) -> Any:
    """mapping[key], or LadderError "WHERE: missing key 'KEY'"."""
    if key not in mapping:
        raise LadderError(f"{where}: missing key {key!r}")
    return mapping[key]


def check_keys(mapping: Any, allowed: set[str], where: str) -> dict:
    """The mapping itself; LadderError if it is not a mapping or has a key not in `allowed`."""
    if not isinstance(mapping, dict):
        raise LadderError(f"{where}: expected a mapping, got {type(mapping).__name__}")
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise LadderError(
            f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
        )
    return mapping
