"""The evaluation settings of ProxyLM (arXiv 2406.09334) as lists of folds: which records
train the regressor and which test it.

- random: a seeded `test_fraction` split per seed (stratified on a column if asked);
- leave one group out: for each value of the group columns (e.g. a language, which may be
  the source or the target language), train on the records that do not have it in any of
  the columns and test on those that have it, one test part per column;
- unseen groups: train on the records without any of the given values and test on each
  value's records, then the reverse (train on the records without any of the others);
- cross data set: train on one table of records, test on another.

A value found in every record (English in MT560, where every pair is to or from English)
cannot be left out (nothing would remain to train on) and is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sklearn.model_selection import train_test_split

from ladder.errors import LadderError

SETTINGS = ("random", "lolo", "unseen", "cross")


@dataclass
class Fold:
    """One training set and its named test parts. `label` is what results are averaged
    over (a seed's split, a held-out group, a direction); `seed` seeds the regressor."""

    label: str
    seed: int
    train: pd.DataFrame
    tests: dict[str, pd.DataFrame]


def random_folds(
    records: pd.DataFrame,
    seeds: Sequence[int],
    test_fraction: float = 0.3,
    stratify: str | None = None,
) -> list[Fold]:
    """One random train/test split per seed (seeded by it)."""
    if stratify is not None:
        _require(records, [stratify])
    folds = []
    for seed in seeds:
        try:
            train, test = train_test_split(
                records,
                test_size=test_fraction,
                random_state=seed,
                stratify=None if stratify is None else records[stratify],
            )
        except ValueError as exc:
            raise LadderError(f"random split: {exc}") from None
        folds.append(Fold(f"seed {seed}", seed, train, {"test": test}))
    return folds


def group_values(records: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The values of the group columns that can be left out (not in every record), sorted."""
    _require(records, columns)
    values = sorted({str(v) for c in columns for v in records[c].dropna().unique()})
    return [v for v in values if not _touching(records, columns, [v]).all()]


def lolo_folds(
    records: pd.DataFrame,
    columns: Sequence[str],
    seeds: Sequence[int],
    groups: Sequence[str] | None = None,
) -> list[Fold]:
    """Leave each group (default: every value of the columns that can be) out in turn."""
    if not columns:
        raise LadderError("leave-one-group-out needs the group column(s)")
    possible = group_values(records, columns)
    groups = list(groups) if groups else possible
    _known(groups, possible, columns)
    folds = []
    for group in groups:
        train = records[~_touching(records, columns, [group])]
        tests = _parts(records, columns, [group])
        folds += [Fold(group, seed, train, tests) for seed in seeds]
    return folds


def unseen_folds(
    records: pd.DataFrame, columns: Sequence[str], unseen: Sequence[str], seeds: Sequence[int]
) -> list[Fold]:
    """Train on the records without the `unseen` values, test on each of them ("seen ->
    unseen"); and the reverse ("unseen -> seen")."""
    if not columns or not unseen:
        raise LadderError("the unseen setting needs the group column(s) and the unseen values")
    possible = group_values(records, columns)
    _known(unseen, possible, columns)
    seen = [v for v in possible if v not in set(unseen)]
    if not seen:
        raise LadderError("every group is unseen: nothing is left to train on")
    folds = []
    for label, held in (("seen -> unseen", list(unseen)), ("unseen -> seen", seen)):
        train = records[~_touching(records, columns, held)]
        tests = _parts(records, columns, held)
        folds += [Fold(label, seed, train, tests) for seed in seeds]
    return folds


def cross_folds(
    train: pd.DataFrame, test: pd.DataFrame, seeds: Sequence[int], label: str = "cross"
) -> list[Fold]:
    """Train on one table of records and test on another."""
    return [Fold(label, seed, train, {"test": test}) for seed in seeds]


def _require(records: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in records.columns]
    if missing:
        raise LadderError(f"records: no group column {missing[0]!r}")


def _known(values: Sequence[str], possible: Sequence[str], columns: Sequence[str]) -> None:
    unknown = [v for v in values if v not in set(possible)]
    if unknown:
        raise LadderError(
            f"group {unknown[0]!r} is not a value of {', '.join(columns)} that can be left out "
            f"(values: {', '.join(possible) or 'none'})"
        )


def _touching(records: pd.DataFrame, columns: Sequence[str], values: Sequence[str]) -> pd.Series:
    """Whether each record has one of `values` in one of the group columns."""
    mask = pd.Series(False, index=records.index)
    for column in columns:
        mask |= records[column].astype(str).isin(values)
    return mask


def _parts(
    records: pd.DataFrame, columns: Sequence[str], values: Sequence[str]
) -> dict[str, pd.DataFrame]:
    """The records of each value, one part per column that has it ("source_lang=xho")."""
    parts = {}
    for value in values:
        for column in columns:
            rows = records[records[column].astype(str) == value]
            if len(rows):
                parts[f"{column}={value}"] = rows
    return parts
