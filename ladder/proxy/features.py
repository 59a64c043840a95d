"""Which columns of a table of experiment records the regressor reads, and the checks on them.

A record is one past experiment: the score of the model of interest (the target), the scores
of cheap proxy models on the same experiment, and other numeric features (of the task, the
data, the language). The baseline (NLPerf in the paper) is the same regressor without the
proxy scores, on `baseline_features` (default: the other features).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ladder.errors import LadderError

SHOWN_COLUMNS = 12


@dataclass(frozen=True)
class FeatureSet:
    """The target column, the proxy-score columns and the other feature columns."""

    target: str
    proxies: tuple[str, ...]
    features: tuple[str, ...] = ()
    baseline_features: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.proxies:
            raise LadderError("name at least one proxy-score column")
        columns = [*self.proxies, *self.features]
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise LadderError(f"column {repeated[0]!r} is named twice among the features")
        if self.target in columns or self.target in (self.baseline_features or ()):
            raise LadderError(f"the target column {self.target!r} cannot also be a feature")

    @property
    def columns(self) -> list[str]:
        """The regressor's columns with proxies: the other features, then the proxy scores."""
        return [*self.features, *self.proxies]

    @property
    def baseline(self) -> list[str]:
        """The baseline's columns (no proxy scores)."""
        return list(self.features if self.baseline_features is None else self.baseline_features)

    def used(self) -> list[str]:
        """Every column either regressor reads, and the target."""
        return list(dict.fromkeys([*self.columns, *self.baseline, self.target]))

    def check(self, records: pd.DataFrame, source: str = "records") -> pd.DataFrame:
        """The records with the used columns as floats; LadderError naming the first missing
        or non-numeric column, or a missing target value."""
        return check_records(records, self.used(), self.target, source)


def check_records(
    records: pd.DataFrame, columns: Sequence[str], target: str | None, source: str = "records"
) -> pd.DataFrame:
    """A copy of `records` whose `columns` are numeric (floats; features may be missing, the
    `target` may not). LadderError naming the first bad column and row."""
    if records.empty:
        raise LadderError(f"{source}: no rows")
    missing = [c for c in columns if c not in records.columns]
    if missing:
        have = list(map(str, records.columns))
        shown = ", ".join(have[:SHOWN_COLUMNS]) + (", ..." if len(have) > SHOWN_COLUMNS else "")
        raise LadderError(f"{source}: no column {missing[0]!r} (columns: {shown})")
    numeric = {}
    for column in columns:
        values = records[column]
        if values.dtype == bool:
            values = values.astype(float)
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna() & values.notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise LadderError(
                f"{source}: column {column!r} is not numeric (row {row + 2}: {values.iloc[row]!r})"
            )
        numbers = numbers.astype(float)
        if not np.isfinite(numbers.dropna().to_numpy()).all():
            raise LadderError(f"{source}: column {column!r} has an infinite value")
        numeric[column] = numbers
    out = records.assign(**numeric)
    if target is not None and out[target].isna().any():
        row = int(np.flatnonzero(out[target].isna().to_numpy())[0])
        count = int(out[target].isna().sum())
        raise LadderError(
            f"{source}: the target column {target!r} has {count} missing value(s) "
            f"(first in row {row + 2}); drop those records or fill them"
        )
    return out
