"""Rungs: runs of the ladder at a size and a token multiplier, "<size>-<k>xC" (1xC = 20 N
tokens), and a size's WSD-S run "<size>-wsds". The one home of the run-name grammar and of
finding a table's rungs.

A run is a rung when its name is "<size>-<k>xC" (190M-1xC), or ends so (OLMo-ladder's own
peteish-final-190M-1xC), or, named otherwise, when its final D is a standard multiple of 20 N
(within 3%; its size then named from N). Reruns (190M-1xC-rerun), runs at a size and multiple
already taken, and the runs a caller excludes (the targets') are not rungs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ladder.laws.flops import training_flops
from ladder.runs.sizes import TOKENS_PER_PARAM_AT_1XC

if TYPE_CHECKING:
    import pandas as pd

MULTIPLIER = r"(?P<multiplier>\d+(?:\.\d+)?)xC"
RUNG = re.compile(rf"^(?:.*-)?(?P<size>[^-/]+)-{MULTIPLIER}$")
MULTIPLIER_IN_NAME = re.compile(rf"-{MULTIPLIER}(?:\b|-|$)")
STANDARD_MULTIPLIERS = (0.25, 0.5, 1, 2, 4, 5, 8, 10, 16, 20, 32, 40, 50, 100)
SAME_MULTIPLE = 0.03


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
    """(size, multiplier) of a run named like a rung (or ending so), else None."""
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


def size_label(params: float) -> str:
    """A size named from N: 190354176 -> "190M", 1279395840 -> "1.28B"."""
    for scale, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if params >= scale:
            return f"{params / scale:.3g}{unit}"
    return f"{params:g}"


def standard_multiplier(params: float, tokens: float) -> float | None:
    """The standard multiplier k whose k x 20 N tokens D is within 3%, else None."""
    multiple = tokens / (TOKENS_PER_PARAM_AT_1XC * params)
    near = min(STANDARD_MULTIPLIERS, key=lambda m: abs(multiple / m - 1))
    return float(near) if abs(multiple / near - 1) <= SAME_MULTIPLE else None


def rungs(table: pd.DataFrame, exclude: Iterable[str] = ()) -> list[Rung]:
    """Every run of the table that is a rung (see the module docstring), by N then D."""
    excluded = set(exclude)
    finals = run_finals(table)
    named, inferred = [], []
    for run, row in finals.iterrows():
        run = str(run)
        if run in excluded or (multiplier_in_name(run) is not None and not parse_rung(run)):
            continue  # a target's, or a rerun ("-1xC-rerun")
        params, tokens = int(row["params"]), int(row["tokens"])
        parsed = parse_rung(run)
        if parsed:
            named.append(Rung(run, *parsed, params, tokens))
        elif (multiplier := standard_multiplier(params, tokens)) is not None:
            inferred.append(Rung(run, size_label(params), multiplier, params, tokens))
    taken = {(r.params, r.multiplier) for r in named}
    found = named + [r for r in inferred if (r.params, r.multiplier) not in taken]
    return sorted(found, key=lambda r: (r.params, r.tokens))
