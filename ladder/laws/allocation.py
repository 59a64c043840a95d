"""Compute-optimal allocation: for a training budget C (FLOPs), the model size N (parameters)
and token count D = C / 6N that minimize a predictor's task loss (bits per byte) or maximize
its accuracy, and the range of N whose prediction is as good as a given threshold.

At fixed C the prediction is a function of ln N alone; scipy's bounded Brent minimizer finds its
optimum inside the bracket of the best point of a coarse grid (so that an ensemble's mean, which
need not be unimodal, is searched as a whole), and brentq the ends of a range. The search spans
RATIO_BOUNDS tokens per parameter. For L(N, D) = E + A / N^alpha + B / D^beta the optimum is
Hoffmann et al.'s closed form N* = G (C/6)^(beta/(alpha+beta)), G = (alpha A / (beta B))^(1/(
alpha+beta)). Only a predictor that `allocates` (a law with both an N and a D term) has one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from ladder.errors import LadderError
from ladder.laws.flops import training_flops

RATIO_BOUNDS = (1e-2, 1e6)  # tokens per parameter (D / N) the search spans
GRID = 41  # coarse grid over ln N that brackets the optimum


@dataclass(frozen=True)
class Allocation:
    """The optimum at `compute` FLOPs: `params` N and `tokens` D with 6 N D = C, and whether N
    sits at an end of the search (`at_bound`: no optimum inside RATIO_BOUNDS)."""

    compute: float
    params: float
    tokens: float
    at_bound: bool


def split(params: Any, compute: float) -> np.ndarray:
    """Rows (N, D) of models of `params` parameters that each spend `compute` FLOPs."""
    params = np.atleast_1d(np.asarray(params, dtype=float))
    return np.column_stack([params, compute / training_flops(params, 1.0)])


def params_bounds(
    compute: float, ratios: tuple[float, float] = RATIO_BOUNDS
) -> tuple[float, float]:
    """The search's ends: N at the largest and at the smallest tokens per parameter r of
    `ratios`, 6 N (r N) = `compute`."""
    low, high = (np.sqrt(compute / training_flops(r, 1.0)) for r in sorted(ratios)[::-1])
    return float(low), float(high)


def _loss(predictor: Any, compute: float, maximize: bool) -> Callable[[np.ndarray], np.ndarray]:
    """What the search minimizes, as a function of ln N: the prediction, negated to maximize."""
    sign = -1.0 if maximize else 1.0

    def loss(ln_params: np.ndarray) -> np.ndarray:
        return sign * predictor.predict(split(np.exp(ln_params), compute))

    return loss


def _check(predictor: Any, compute: float) -> None:
    if not (np.isfinite(compute) and compute > 0):
        raise LadderError(f"the compute must be a positive number of FLOPs, got {compute}")
    if not predictor.allocates:
        raise LadderError(
            f"{type(predictor).__name__} has no law of (N, D): its prediction at a fixed "
            "compute does not depend on how it splits into N and D"
        )


def optimal_allocation(
    predictor: Any,
    compute: float,
    maximize: bool = False,
    ratios: tuple[float, float] = RATIO_BOUNDS,
) -> Allocation:
    """The N and D = C / 6N with the lowest prediction (`maximize`: the highest) at `compute`
    FLOPs; LadderError for a non-positive compute or a predictor that does not allocate."""
    _check(predictor, compute)
    low, high = np.log(params_bounds(compute, ratios))
    loss = _loss(predictor, compute, maximize)
    grid = np.linspace(low, high, GRID)
    values = loss(grid)
    if not np.isfinite(values).any():
        raise LadderError(f"the prediction is not finite at any N for C = {compute:.3g}")
    best = int(np.nanargmin(np.where(np.isfinite(values), values, np.nan)))
    bracket = grid[max(best - 1, 0)], grid[min(best + 1, GRID - 1)]
    result = minimize_scalar(
        lambda v: float(loss(np.array([v]))[0]),
        bounds=bracket,
        method="bounded",
        options={"xatol": 1e-9},
    )
    ln_n = float(result.x)
    at_bound = min(ln_n - low, high - ln_n) < 1e-6 * (high - low)
    params = float(np.exp(ln_n))
    return Allocation(compute, params, float(split(params, compute)[0, 1]), bool(at_bound))


def params_within(
    predictor: Any,
    allocation: Allocation,
    threshold: float,
    maximize: bool = False,
    ratios: tuple[float, float] = RATIO_BOUNDS,
) -> tuple[float, float]:
    """The smallest and largest N around the optimum `allocation` whose prediction at its
    compute is no worse than `threshold` (at most it; `maximize`: at least it), an end at the
    search's bound (params_bounds) where the prediction stays that good; NaN ends for a NaN
    threshold."""
    _check(predictor, allocation.compute)
    if not np.isfinite(threshold):
        return float("nan"), float("nan")
    loss = _loss(predictor, allocation.compute, maximize)
    sign = -1.0 if maximize else 1.0

    def excess(ln_params: float) -> float:
        return float(loss(np.array([ln_params]))[0]) - sign * threshold

    center = float(np.log(allocation.params))
    if excess(center) > 0:
        return allocation.params, allocation.params
    ends = []
    for bound in np.log(params_bounds(allocation.compute, ratios)):
        inside = not excess(bound) > 0  # a NaN prediction at the bound counts as inside
        ends.append(bound if inside else brentq(excess, center, bound, xtol=1e-9))
    return float(np.exp(ends[0])), float(np.exp(ends[1]))
