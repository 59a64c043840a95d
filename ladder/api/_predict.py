"""The predict, allocate and compare verbs' API: predictions at any (N, D) from a fit, the
compute-optimal N and D, two fits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ladder.errors import LadderError

if TYPE_CHECKING:
    import pandas as pd

    from ladder.fits.fit import LadderFit


def grid(
    params: Sequence[float] = (),
    tokens: Sequence[float] = (),
    compute: Sequence[float] = (),
    tokens_per_param: float = 20.0,
) -> tuple[list[float], list[float]]:
    """The (N, D) points to predict at: every N with every D, or for each compute C (FLOPs)
    the model of `tokens_per_param` (20: Chinchilla's) with C = 6 N D."""
    import math

    if compute:
        if params or tokens:
            raise LadderError("give either N and D, or the compute (with tokens per parameter)")
        if tokens_per_param <= 0 or any(c <= 0 for c in compute):
            raise LadderError("compute and tokens per parameter must be positive")
        ns = [math.sqrt(c / (6 * tokens_per_param)) for c in compute]
        return ns, [tokens_per_param * n for n in ns]
    if not params or not tokens:
        raise LadderError("give N and D (each one or more values), or the compute")
    return [n for n in params for _ in tokens], [d for _ in params for d in tokens]


def predict(fit: LadderFit, params: Sequence[float], tokens: Sequence[float]) -> pd.DataFrame:
    """Every task's prediction and interval at each (N, D) (LadderFit.predict)."""
    return fit.predict(list(params), list(tokens))


def allocate(fit: LadderFit, compute: Sequence[float]) -> pd.DataFrame:
    """Per compute C (FLOPs) and task, the N and D = C / 6N with the best predicted score, the
    prediction with its interval and the range of N within it (ladder.fits.allocation)."""
    from ladder.fits.allocation import allocate as allocate_fit

    return allocate_fit(fit, list(compute))


def compare(first: LadderFit, second: LadderFit) -> pd.DataFrame:
    """Two fits side by side at the first fit's targets (ladder.analyses.compare)."""
    from ladder.analyses.compare import compare_fits

    return compare_fits(first, second)
