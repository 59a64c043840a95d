"""The observation table: one row per (run, step, task); validate, read and write it.

Columns (see design.md): run, params (N, parameters), tokens (D, tokens seen), step, task,
task_loss (bits per byte of the correct answer), accuracy (in [0, 1]; may be missing for
loss-only data). Optional columns (flops, seed, split, other metrics) are kept as they are;
`ladder train` and `ladder collect` add learning_rate (AdamW's learning rate of the step's
update) and lr_phase (warmup, stable, decay or bottom: see ladder.schedule; `bottom` rows are
annealed points).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ladder.errors import LadderError
from ladder.files import atomic_write, locked

REQUIRED = ("run", "params", "tokens", "step", "task", "task_loss")
OPTIONAL_ACCURACY = "accuracy"
INTEGER_COLUMNS = ("params", "tokens", "step")


def validate(table: pd.DataFrame, source: str = "table") -> pd.DataFrame:
    """Check the schema and return a normalized copy; raise LadderError naming the first bad cell.

    Rows are never dropped silently: a NaN in a required column, a non-positive N or D, an
    accuracy outside [0, 1] or a duplicated (run, step, task) is an error.
    """
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise LadderError(
            f"{source}: missing column(s) {', '.join(missing)}; "
            f"required: {', '.join(REQUIRED)} (and optionally {OPTIONAL_ACCURACY})"
        )
    if table.empty:
        raise LadderError(f"{source}: the table has no rows")
    out = table.copy()
    if OPTIONAL_ACCURACY not in out.columns:
        out[OPTIONAL_ACCURACY] = np.nan
    for column in (*REQUIRED, OPTIONAL_ACCURACY):
        if column in ("run", "task"):
            bad = out[column].isna() | (out[column].astype(str).str.strip() == "")
            out[column] = out[column].astype(str)
        else:
            values = pd.to_numeric(out[column], errors="coerce")
            bad = values.isna() & (out[column].notna() if column == OPTIONAL_ACCURACY else True)
            if column != OPTIONAL_ACCURACY:
                bad |= ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
            out[column] = values
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise LadderError(
                f"{source}: row {row + 2}, column {column!r}: "
                f"missing or not a number ({table[column].iloc[row]!r})"
            )
    for column, low in (("params", 1), ("tokens", 0), ("step", 0)):
        bad = out[column] < low
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise LadderError(f"{source}: row {row + 2}, column {column!r}: must be >= {low}")
    for column in INTEGER_COLUMNS:
        out[column] = out[column].round().astype("int64")
    accuracy = out[OPTIONAL_ACCURACY]
    bad = accuracy.notna() & ((accuracy < 0) | (accuracy > 1))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise LadderError(
            f"{source}: row {row + 2}, column 'accuracy': {accuracy.iloc[row]} is outside [0, 1]"
        )
    duplicated = out.duplicated(["run", "step", "task"])
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise LadderError(
            f"{source}: row {row + 2}: duplicate (run, step, task) = "
            f"({out['run'].iloc[row]}, {out['step'].iloc[row]}, {out['task'].iloc[row]})"
        )
    return out.sort_values(["run", "task", "step"], kind="stable").reset_index(drop=True)


def concat(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Several validated tables as one (a (run, step, task) in two of them is an error)."""
    if not tables:
        raise LadderError("no tables given")
    return validate(pd.concat(tables, ignore_index=True), source="combined tables")


def read(path: str | os.PathLike) -> pd.DataFrame:
    """Read and validate an observation table from Parquet or (optionally compressed) CSV."""
    path = Path(path)
    if not path.is_file():
        raise LadderError(f"{path}: no such file")
    try:
        table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # the readers raise many types; name the file and the reason
        raise LadderError(f"{path}: cannot be read as a table ({exc})") from exc
    return validate(table, source=str(path))


def write(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Validate and write atomically (temporary file, then rename): a kill leaves the old file."""
    path = Path(path)
    table = validate(table, source=str(path))

    def save(tmp: Path) -> None:
        if path.suffix == ".parquet":
            table.to_parquet(tmp, index=False, compression="zstd")
        else:
            table.to_csv(tmp, index=False)

    return atomic_write(path, save)


def require_runs(table: pd.DataFrame, runs: Sequence[str], what: str) -> None:
    """LadderError naming `what` and the first of `runs` that the table does not have."""
    present = set(table["run"].unique())
    missing = [run for run in runs if run not in present]
    if missing:
        raise LadderError(
            f"{what}: run {missing[0]!r} is not in the data "
            f"(runs present: {', '.join(sorted(present))})"
        )


def append(rows: pd.DataFrame, path: str | os.PathLike) -> int:
    """Add the rows whose (run, step, task) the table at `path` lacks; return how many.

    Idempotent (a row already there is never duplicated nor changed) and atomic under a lock:
    concurrent writers queue, and a kill leaves the previous table.
    """
    path = Path(path)
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
