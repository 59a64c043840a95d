"""The annealed points of WSD-S runs as rungs: each decay bottom of a "<size>-wsds" run (its
rows marked lr_phase `bottom`) becomes the rung "<size>-<k>xC" of the multiplier k it ends at,
so that step 1, backtests and reports read a WSD-S ladder as they read a cosine one, while step
2 fits every checkpoint of the WSD-S runs themselves. Pure: DataFrames in and out.

The new rows are copies of the bottom rows (same N, D, step, losses) with the rung's name as
`run` and the WSD-S run's in `annealed_from`; applying the transform again replaces them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ladder.errors import LadderError
from ladder.runs.rungs import multiplier_label, rung_name
from ladder.runs.sizes import TOKENS_PER_PARAM_AT_1XC

SOURCE = "annealed_from"
MAX_ROUNDING = 0.25  # a bottom's D may be off k x 20 N by whole-step rounding, not by more


def multiplier_of(params: int, tokens: int, multipliers: Sequence[float]) -> float | None:
    """The multiplier k whose k x 20 N is nearest D (in ratio), or None when D is more than
    MAX_ROUNDING away from every k x 20 N."""
    ratios = [abs(math.log(tokens / (k * TOKENS_PER_PARAM_AT_1XC * params))) for k in multipliers]
    best = int(np.argmin(ratios))
    return multipliers[best] if ratios[best] <= math.log1p(MAX_ROUNDING) else None


def with_annealed_rungs(
    table: pd.DataFrame, runs: Mapping[str, str], multipliers: Sequence[float]
) -> pd.DataFrame:
    """`table` plus, for each WSD-S run in `runs` (run name -> size name) that it has, one
    rung "<size>-<k>xC" per decay bottom. LadderError when a WSD-S run's rows do not say their
    phase, a bottom is at no multiplier's D, two bottoms are at the same one, or the table
    already has a run of that name (a cosine rung: keep the two ladders in separate tables)."""
    if SOURCE in table.columns:
        table = table[table[SOURCE].isna()].drop(columns=SOURCE)
    present = [run for run in runs if run in set(table["run"])]
    if not present:
        return table
    if "lr_phase" not in table.columns:
        raise LadderError(
            f"run {present[0]!r}: the table has no lr_phase column, so its decay bottoms are "
            "unknown; score its checkpoints with `ladder collect` into a new table"
        )
    parts = [table]
    taken = set(table["run"])
    for run in present:
        bottoms = table[(table["run"] == run) & (table["lr_phase"] == "bottom")]
        for step, rows in bottoms.groupby("step", sort=True):
            first = rows.iloc[0]
            k = multiplier_of(int(first["params"]), int(first["tokens"]), multipliers)
            if k is None:
                raise LadderError(
                    f"run {run!r}: the decay bottom at step {step} (D = {first['tokens']:,}) "
                    f"is at none of the multipliers {', '.join(map(multiplier_label, multipliers))}"
                )
            name = rung_name(runs[run], k)
            if name in taken:
                raise LadderError(
                    f"run {run!r}: its {multiplier_label(k)}xC bottom would be the rung {name!r}, "
                    "which the table already has (two bottoms at one multiplier, or a cosine "
                    "rung of that name: keep a cosine and a WSD-S ladder in separate tables)"
                )
            taken.add(name)
            parts.append(rows.assign(run=name, **{SOURCE: run}))
    return pd.concat(parts, ignore_index=True)
