"""Rung names: "<size>-<k>xC" (e.g. 190M-1xC), the size and token multiplier they encode."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

RUNG = re.compile(r"^(?P<size>[^-]+)-(?P<multiplier>\d+(?:\.\d+)?)xC$")


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
        return 6.0 * self.params * self.tokens


def run_finals(table: pd.DataFrame) -> pd.DataFrame:
    """Per run (the index): N and the final D (tokens at its last evaluation)."""
    return table.groupby("run").agg(params=("params", "first"), tokens=("tokens", "max"))


def rungs(table: pd.DataFrame) -> list[Rung]:
    """Every run of the table named like a rung (reruns and targets are not), by N then D."""
    found = []
    for run, row in run_finals(table).iterrows():
        match = RUNG.match(str(run))
        if match:
            found.append(
                Rung(
                    str(run),
                    match["size"],
                    float(match["multiplier"]),
                    int(row["params"]),
                    int(row["tokens"]),
                )
            )
    return sorted(found, key=lambda r: (r.params, r.tokens))
