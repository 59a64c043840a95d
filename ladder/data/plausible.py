"""Checks of a table a user wrote by hand that no schema can make: N written in millions, and N
and D against what a run's name says ("150M-1xC": N about 1.5e8, D about 1 x 20 N tokens).
Each finding is a warning (ladder.errors.LadderWarning) naming the run, never an error: names
are conventions, and a table may rightly differ from them."""

from __future__ import annotations

import re
import warnings

import pandas as pd

from ladder.errors import LadderWarning
from ladder.runs.rungs import parse_rung, run_finals
from ladder.runs.sizes import tokens_for

SMALL_N = 1e5  # fewer parameters than this: N is likely written in millions
NAME_FACTOR = 2.0  # N or D off from the run's name by more than this factor is said
SIZE = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<unit>[KMBT])$", re.IGNORECASE)
UNITS = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def size_params(size: str) -> float | None:
    """N of a size label ("150M" -> 1.5e8, "1.3B" -> 1.3e9), else None ("d8")."""
    match = SIZE.match(size)
    return float(match["number"]) * UNITS[match["unit"].upper()] if match else None


def findings(table: pd.DataFrame) -> list[str]:
    """What looks wrong in a validated table, one line per kind of finding (its first run
    and how many more): N below SMALL_N, N or final D more than NAME_FACTOR away from its
    "<size>-<k>xC" name."""
    found: dict[str, list[str]] = {"millions": [], "size": [], "tokens": []}
    for run, row in run_finals(table).iterrows():
        n, d = float(row["params"]), float(row["tokens"])
        rung = parse_rung(str(run))
        named = size_params(rung[0]) if rung else None
        if n < SMALL_N:
            found["millions"].append(
                f"run {run!r}: N = {n:g} parameters; if that is millions, write N in parameters "
                f"({n:g}M -> {n * 1e6:.0f})"
            )
        elif named is not None and not 1 / NAME_FACTOR <= n / named <= NAME_FACTOR:
            found["size"].append(f"run {run!r}: N = {n:.3g} parameters; its name says {rung[0]}")
        elif named is not None:
            expected = tokens_for(rung[1], round(n))
            if not 1 / NAME_FACTOR <= d / expected <= NAME_FACTOR:
                found["tokens"].append(
                    f"run {run!r}: its last D = {d:.3g} tokens; its name says {rung[1]:g}xC "
                    f"({rung[1]:g} x 20 N = {expected:.3g} tokens)"
                )
    return [
        lines[0] + (f" (and {len(lines) - 1} more runs alike)" if len(lines) > 1 else "")
        for lines in found.values()
        if lines
    ]


def warn_implausible(table: pd.DataFrame, source: str) -> None:
    """Each of `findings` as a LadderWarning naming `source`."""
    for finding in findings(table):
        warnings.warn(f"{source}: {finding}", LadderWarning, stacklevel=2)
