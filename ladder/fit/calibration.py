"""Prediction intervals calibrated on the ladder's own rollout backtests (split-conformal).

Each rollout prediction of a held-out run has a log-ratio residual r = ln(predicted / actual)
and an extrapolation distance d (ladder.laws.intervals.distance: how far beyond the fit runs it
lies, in ln N or ln C, at least ln 2). Errors grow with the distance, so the conformity score is
|r| / d**gamma, with gamma fitted to the residuals (the slope of ln |r| on ln d, kept in [0, 1]:
from "as far as the rollouts reached" to "in proportion to the distance"); the interval
strategy is ladder.laws.intervals.Conformal.

Few held-out runs make the quantile coarse: with n scores the conformal quantile is the
ceil((n + 1) level)-th smallest, and below 1 / (1 - level) - 1 scores it does not exist. So the
ladder's scores are pooled with a prior (`Prior`): pseudo-scores drawn evenly from the benchmark
corpus's rollout scores (PRIOR), as many as the ladder's own residuals fall short of the
prior's size, so that they decide for a ladder with few residuals or none and vanish for one
with many; gamma is the corpus's below MIN_GAMMA_RESIDUALS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ladder.laws.intervals import Conformal

MIN_GAMMA_RESIDUALS = 30  # fewer residuals than this: gamma is the prior's


@dataclass(frozen=True)
class Prior:
    """The corpus's conformity scores |r| / d**gamma at its `gamma`, as their quantiles at
    evenly spaced levels (`quantiles`), and the number of scores (`size`) that a ladder's own
    residuals and the prior's pseudo-scores make together."""

    gamma: float
    quantiles: tuple[float, ...]
    size: int

    def pseudo(self, own: int) -> np.ndarray:
        """max(0, size - own) pseudo-scores at evenly spaced levels of the corpus's scores."""
        count = max(0, self.size - own)
        stored = (np.arange(len(self.quantiles)) + 0.5) / len(self.quantiles)
        return np.interp((np.arange(count) + 0.5) / max(count, 1), stored, self.quantiles)


# chosen leave-one-ladder-out on the benchmark corpus, all 25 ladders informing it: the
# conformity scores of the shipped rule's rollout residuals on every ladder (each ladder weighing
# the same), gamma the mean of the ladders' own where their residuals span several distances
# (written by benchmarks/defaults.py; benchmarks/defaults.md)
PRIOR = Prior(
    gamma=0.1506,
    quantiles=(0.001449, 0.002841, 0.005349, 0.005903, 0.007128, 0.008252, 0.009165, 0.010075,
               0.012101, 0.013563, 0.014533, 0.015925, 0.017663, 0.020853, 0.0236, 0.029085,
               0.03109, 0.032329, 0.037391, 0.042059, 0.045451, 0.047274, 0.054432, 0.0555,
               0.056553, 0.061653, 0.067027, 0.069941, 0.072699, 0.077522, 0.079912, 0.084838,
               0.088628, 0.102767, 0.143358, 0.16096, 0.184771, 0.193629, 0.232209, 0.554352),
    size=30,
)  # fmt: skip


def fit_gamma(residuals: pd.DataFrame) -> float:
    """The growth of |r| with the distance: the least-squares slope of ln |r| on ln d over
    the residuals, in [0, 1] (0 when the distances do not vary)."""
    r = residuals["log_ratio"].abs().to_numpy(dtype=float)
    d = residuals["distance"].to_numpy(dtype=float)
    keep = np.isfinite(r) & (r > 0) & np.isfinite(d)
    if keep.sum() < 3 or np.ptp(np.log(d[keep])) < 1e-9:
        return 0.0
    slope = np.polyfit(np.log(d[keep]), np.log(r[keep]), 1)[0]
    return float(np.clip(slope, 0.0, 1.0))


def calibrate(residuals: pd.DataFrame, level: float, prior: Prior | None = None) -> Conformal:
    """The split-conformal quantile of |r| / d**gamma at coverage `level` over the residuals'
    scores pooled with the `prior`'s (none: the residuals alone)."""
    ok = residuals.dropna(subset=["log_ratio"])
    few = prior is not None and len(ok) < MIN_GAMMA_RESIDUALS
    gamma = prior.gamma if few else fit_gamma(ok)
    own = ok["log_ratio"].abs().to_numpy() / ok["distance"].to_numpy() ** gamma
    pseudo = prior.pseudo(len(own)) if prior is not None else np.empty(0)
    scores = np.sort(np.concatenate([own, pseudo]))
    n = len(scores)
    if n == 0:
        return Conformal(level, float("nan"), gamma, 0)
    rank = min(math.ceil((n + 1) * level), n)
    return Conformal(level, float(scores[rank - 1]), gamma, len(own), len(pseudo))


def rollout_coverage(residuals: pd.DataFrame, level: float) -> pd.DataFrame:
    """Honest coverage on the backtests: each rollout's residuals judged by a calibration on
    the other rollouts' (none when there is only one): per rollout, the share of held-out
    predictions inside their interval and the mean interval width (in ln accuracy)."""
    rows = []
    for name, held in residuals.groupby("rollout"):
        others = residuals[residuals["rollout"] != name]
        if others.empty:
            continue
        calibration = calibrate(others, level)
        widths = np.array([calibration.half_width(d) for d in held["distance"]])
        inside = held["log_ratio"].abs().to_numpy() <= widths
        rows.append(
            {
                "rollout": name,
                "n": len(held),
                "coverage": float(inside.mean()),
                "mean_half_width": float(widths.mean()),
            }
        )
    return pd.DataFrame(rows)
