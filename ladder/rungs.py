"""Rungs: runs of the ladder at a size and a token multiplier, "<size>-<k>xC" (1xC = 20 N
tokens), and a size's WSD-S run "<size>-wsds". The one home of the run-name grammar and of
finding a table's rungs.

A run is a rung when its name is exactly "<size>-<k>xC" (e.g. 190M-1xC; reruns such as
190M-1xC-rerun and the targets are not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ladder.sizes import training_flops

if TYPE_CHECKING:
    import pandas as pd

MULTIPLIER = r"(?P<multiplier>\d+(?:\.\d+)?)xC"
RUNG = re.compile(rf"^(?P<size>[^-/]+)-{MULTIPLIER}$")
MULTIPLIER_IN_NAME = re.compile(rf"-{MULTIPLIER}(?:\b|-|$)")


def multiplier_label(multiplier: float) -> str:
    """0.5 -> "0.5", 1.0 -> "1": the k of a "<size>-<k>xC" run name."""
    return f"{multiplier:g}"


def rung_name(size: str, multiplier: float) -> str:
    """The run name of a rung: "<size>-<k>xC"."""
    return f"{size}-{multiplier_label(multiplier)}xC"


def wsds_run_name(size: str) -> str:
    """The run name of a size's WSD-S run: "<size>-wsds" (not a rung; its decay bottoms are
    the rungs "<size>-<k>xC")."""
    return f"{size}-wsds"


def parse_rung(run: str) -> tuple[str, float] | None:
    """(size, multiplier) of a run named like a rung, else None."""
    match = RUNG.match(run)
    return (match["size"], float(match["multiplier"])) if match else None


def multiplier_in_name(run: str) -> float | None:
    """The k of a "-kxC" anywhere in a run name (reruns included), else None."""
    match = MULTIPLIER_IN_NAME.search(run)
    return float(match["multiplier"]) if match else None


@dataclass(frozen=True)
class Rung:
    run: str
    size: str
    multiplier: float
    params: int
    tokens: int  # D at the run's last evaluation

    @property
    def flops(self) -> float:
        """Training compute C = 6 N D, in FLOPs."""
        return training_flops(self.params, self.tokens)


def run_finals(table: pd.DataFrame) -> pd.DataFrame:
    """Per run (the index): N and the final D (tokens at its last evaluation)."""
    return table.groupby("run").agg(params=("params", "first"), tokens=("tokens", "max"))


def rungs(table: pd.DataFrame) -> list[Rung]:
    """Every run of the table named like a rung, by N then D."""
    found = []
    for run, row in run_finals(table).iterrows():
        parsed = parse_rung(str(run))
        if parsed:
            found.append(Rung(str(run), *parsed, int(row["params"]), int(row["tokens"])))
    return sorted(found, key=lambda r: (r.params, r.tokens))
