"""The observation table: one row per (run, step, task); validate, read and write it.

Required columns: run, params (N, parameters), tokens (D, tokens seen at this step), step,
task, and a score: task_loss (the intermediate feature; its unit is the row's `loss_unit`, bits
per byte of the correct answer unless said otherwise) or accuracy (a fraction in [0, 1]) or both;
a task has each of them on all its rows or on none (loss-only data, accuracy-only data such as
public leaderboards'). Optional columns with a meaning (OPTIONAL) are checked too; any other column
(seed, split, ...) is kept as it is.
`ladder train` and `ladder collect` add learning_rate (AdamW's learning rate of the step's
update) and lr_phase (warmup, stable, decay or bottom: see ladder.runs.schedule; `bottom` rows are
annealed points).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ladder.data.plausible import warn_implausible
from ladder.errors import LadderError
from ladder.files import TABLE_SUFFIXES, atomic_write, check_suffix, locked, read_table
from ladder.runs.rates import RateSchedule

BITS_PER_BYTE = "bits per byte"
NATS_PER_TOKEN = "nats per token"
NATS_PER_WORD = "nats per word"  # e.g. LAMBADA's perplexity of the final word, ln ppl
LOSS_UNITS = (BITS_PER_BYTE, NATS_PER_TOKEN, NATS_PER_WORD)
INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Column:
    """A numeric column: its meaning and unit, and the closed range its values must lie in."""

    meaning: str
    low: float = -np.inf
    high: float = np.inf
    whole: bool = False  # an integer column
    open_low: bool = False  # `low` itself excluded (a task loss of 0 is no measurement)

    def outside(self, values: pd.Series) -> pd.Series:
        """Where `values` lie outside the range."""
        below = values <= self.low if self.open_low else values < self.low
        return below | (values > self.high)

    def describe(self) -> str:
        """The range as an error says it: "outside (0, inf]"."""
        return f"outside {'(' if self.open_low else '['}{self.low:g}, {self.high:g}]"


REQUIRED = {
    "params": Column("N, parameters", 1, INT64_MAX, whole=True),
    "tokens": Column("D, tokens seen at this step", 0, INT64_MAX, whole=True),
    "step": Column("training step", 0, INT64_MAX, whole=True),
}
SCORES = ("task_loss", "accuracy")  # a row has at least one, a task each on all rows or none
OPTIONAL = {
    "task_loss": Column("the intermediate feature, in the row's loss_unit", 0, open_low=True),
    "accuracy": Column("the accuracy predicted (length-normalized for rc tasks), fraction", 0, 1),
    "len_norm": Column("length-normalized accuracy, fraction", 0, 1),
    "acc": Column("plain accuracy, fraction", 0, 1),
    "soft": Column("probability of the correct choice normalized over the choices", 0, 1),
    "soft_log": Column("the natural log of `soft`", high=0),
    "ce_loss": Column("cross-entropy of the correct answer per character, nats", 0),
    "learning_rate": Column("the learning rate at this step", 0),
}
TEXT = ("run", "task")
FRACTIONS = ("accuracy", "len_norm", "acc", "soft")
LR_PHASES = (
    "warmup",
    "stable",
    "decay",
    "bottom",
)  # a row's place in its schedule (ladder.runs.schedule)


def validate(table: pd.DataFrame, source: str = "table") -> pd.DataFrame:
    """Check the schema and return a normalized copy; raise LadderError naming the first bad cell.

    Rows are never dropped silently: a missing or non-finite required value, a numeric column
    of booleans or dates, a row with neither task loss nor accuracy, a value outside its
    column's range (N and D within int64, task losses > 0, other losses >= 0, accuracies in
    [0, 1]), zero tokens after step 0, an unknown loss unit, a task with task loss or accuracy
    on some rows but not others, or a duplicated (run, step, task) is an error.
    """
    table = table.rename(columns=known_name)
    missing = [c for c in (*TEXT, *REQUIRED) if c not in table.columns]
    if missing:
        raise LadderError(
            f"{source}: missing column(s) {', '.join(missing)}; required: "
            f"{', '.join((*TEXT, *REQUIRED))} and task_loss or accuracy; found: "
            f"{', '.join(map(str, table.columns))}"
        )
    if table.empty:
        raise LadderError(f"{source}: the table has no rows")

    def fail(mask: pd.Series, column: str, problem: str) -> None:
        if mask.any():
            row = int(np.flatnonzero(mask.to_numpy())[0])
            value = table[column].iloc[row] if column in table.columns else None
            value = value.item() if isinstance(value, np.generic) else value  # 0, not np.int64(0)
            raise LadderError(f"{source}: row {row + 2}, column {column!r}: {problem} ({value!r})")

    out = table.copy()
    for column in TEXT:
        fail(out[column].isna() | (out[column].astype(str).str.strip() == ""), column, "missing")
        out[column] = out[column].astype(str)
    if "loss_unit" not in out.columns:
        out["loss_unit"] = BITS_PER_BYTE
    out["loss_unit"] = out["loss_unit"].fillna(BITS_PER_BYTE)
    fail(~out["loss_unit"].isin(LOSS_UNITS), "loss_unit", f"one of {', '.join(LOSS_UNITS)}")
    if not set(SCORES) & set(out.columns):
        raise LadderError(f"{source}: no score column: give task_loss, accuracy or both")
    for column in SCORES:
        if column not in out.columns:
            out[column] = np.nan
    if "lr_phase" in out.columns:
        phase = out["lr_phase"]
        fail(phase.notna() & ~phase.isin(LR_PHASES), "lr_phase", f"one of {', '.join(LR_PHASES)}")
    for column, rule in (REQUIRED | OPTIONAL).items():
        if column not in out.columns:
            continue
        raw = out[column]
        kind = _not_numeric(raw)
        if kind:
            fail(raw.notna(), column, f"{kind}, not a number")
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        fail(values.isna() & raw.notna(), column, "not a number")
        if column in REQUIRED:
            fail(values.isna(), column, "missing")
        fail(np.isinf(values), column, "not finite")
        percent = column in FRACTIONS and values.max() <= 100
        hint = "; a percentage? give fractions (25.6 -> 0.256)" if percent else ""
        fail(rule.outside(values), column, rule.describe() + hint)
        if rule.whole:
            fail(values.notna() & (values != values.round()), column, "not a whole number")
            out[column] = values.astype("int64")
        else:
            out[column] = values
    fail((out["tokens"] == 0) & (out["step"] > 0), "tokens", "zero tokens seen after step 0")
    fail(out[list(SCORES)].isna().all(axis=1), "task_loss", "missing, and so is accuracy")
    for column in SCORES:
        known = out.groupby("task")[column].agg(lambda a: a.notna().any())
        partial = out[column].isna() & out["task"].map(known)
        fail(partial, column, f"missing, although the task has {column} on other rows")
    duplicated = out.duplicated(["run", "step", "task"])
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise LadderError(
            f"{source}: row {row + 2}: duplicate (run, step, task) = "
            f"({out['run'].iloc[row]}, {out['step'].iloc[row]}, {out['task'].iloc[row]})"
        )
    return out.sort_values(["run", "task", "step"], kind="stable").reset_index(drop=True)


def known_name(column: object) -> object:
    """A column's name as the schema spells it when it differs only in case, surrounding
    spaces, or spaces for underscores ("Task Loss" -> task_loss), else the name as given."""
    name = str(column).strip().lower().replace(" ", "_")
    return name if name in (*TEXT, *REQUIRED, *OPTIONAL, "loss_unit", "lr_phase") else column


def _not_numeric(column: pd.Series) -> str | None:
    """What a column's type is when it cannot hold numbers (booleans, dates), else None."""
    types = pd.api.types
    if types.is_bool_dtype(column):
        return "a boolean"
    if types.is_datetime64_any_dtype(column) or types.is_timedelta64_dtype(column):
        return "a date or time"
    return None


def concat(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Several validated tables as one (a (run, step, task) in two of them is an error)."""
    if not tables:
        raise LadderError("no tables given")
    return validate(pd.concat(tables, ignore_index=True), source="combined tables")


def read(path: str | os.PathLike) -> pd.DataFrame:
    """Read and validate an observation table from Parquet or (optionally compressed) CSV;
    what looks wrong but is valid (ladder.data.plausible) is warned of."""
    table = validate(read_table(path), source=str(path))
    warn_implausible(table, str(path))
    return table


def write(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Validate and write atomically (temporary file, then rename): a kill leaves the old file."""
    path = check_suffix(path, TABLE_SUFFIXES, "an observation table")
    table = validate(table, source=str(path))

    def save(tmp: Path) -> None:
        if path.suffix == ".parquet":
            table.to_parquet(tmp, index=False, compression="zstd")
        else:
            table.to_csv(tmp, index=False)

    return atomic_write(path, save)


def require(table: pd.DataFrame, column: str, names: Sequence[str], what: str) -> None:
    """LadderError naming `what` and the first of `names` that the table's `column` (run or
    task) does not have, with those it has."""
    present = set(table[column].unique())
    missing = [name for name in names if name not in present]
    if missing:
        raise LadderError(
            f"{what}: {column} {missing[0]!r} is not in the data "
            f"({column}s present: {', '.join(sorted(present))})"
        )


def match_runs(table: pd.DataFrame, patterns: Sequence[str], what: str) -> list[str]:
    """The runs the names or shell-style patterns (fnmatch: `*-1xC`, `190M-*`) select, in the
    table's order, each once; LadderError naming `what` and a pattern that matches no run, or a
    plain name the table lacks."""
    present = list(dict.fromkeys(table["run"]))
    runs: list[str] = []
    for pattern in patterns:
        if not any(char in pattern for char in "*?["):
            require_runs(table, [pattern], what)
            runs.append(pattern)
            continue
        matched = fnmatch.filter(present, pattern)
        if not matched:
            raise LadderError(
                f"{what}: pattern {pattern!r} matches no run (runs present: "
                f"{', '.join(sorted(present))})"
            )
        runs.extend(matched)
    return list(dict.fromkeys(runs))


def require_runs(table: pd.DataFrame, runs: Sequence[str], what: str) -> None:
    """LadderError naming `what` and the first of `runs` that the table does not have."""
    require(table, "run", runs, what)


def append(rows: pd.DataFrame, path: str | os.PathLike) -> int:
    """Add the rows whose (run, step, task) the table at `path` lacks; return how many.

    Idempotent (a row already there is never duplicated nor changed) and atomic under a lock:
    concurrent writers queue, and a kill leaves the previous table.
    """
    path = check_suffix(path, TABLE_SUFFIXES, "an observation table")
    rows = validate(rows, source="new observations")
    with locked(path):
        if path.is_file():
            table = read(path)
            have = set(keys_of_rows(table))
            fresh = rows[[key not in have for key in keys_of_rows(rows)]]
            if fresh.empty:
                return 0
            combined = pd.concat([table, fresh], ignore_index=True)
        else:
            fresh, combined = rows, rows
        write(combined, path)
    return len(fresh)


def replace(rows: pd.DataFrame, path: str | os.PathLike) -> int:
    """Replace the table at `path` with `rows` (validated, atomic, under the table's lock);
    return the rows written."""
    path = check_suffix(path, TABLE_SUFFIXES, "an observation table")
    rows = validate(rows, source="new observations")
    with locked(path):
        write(rows, path)
    return len(rows)


def keys_in(path: str | os.PathLike) -> set[tuple[str, int, str]]:
    """The (run, step, task) keys the table at `path` has (none if there is no file yet)."""
    path = Path(path)
    return set(keys_of_rows(read(path))) if path.is_file() else set()


def keys_of_rows(table: pd.DataFrame) -> list[tuple[str, int, str]]:
    """The (run, step, task) key of each row, in order."""
    return list(zip(table["run"], table["step"].astype(int), table["task"], strict=True))


def with_schedule(table: pd.DataFrame, schedule: RateSchedule) -> pd.DataFrame:
    """The table with `learning_rate` filled from `schedule` (relative to its peak unless it
    names one) on the rows of every run that logged no rate, each run's schedule ending at its
    last step unless the schedule gives `steps`; runs with logged rates keep them."""
    rates = table["learning_rate"] if "learning_rate" in table else pd.Series(np.nan, table.index)
    missing = rates.isna().groupby(table["run"]).transform("all")
    last = table["step"].groupby(table["run"]).transform("max")
    filled = rates.copy()
    for end, rows in table[missing].groupby(last[missing]):
        filled.loc[rows.index] = schedule.rates(rows["step"].to_numpy(), int(end))
    return table.assign(learning_rate=filled.astype(float))
