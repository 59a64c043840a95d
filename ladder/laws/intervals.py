"""Interval strategies: how a prediction gets its interval.

- Bootstrap: the central percentile interval of the predictor's bootstrap draws (the paper's
  method: two-level resampling of runs and checkpoints, ladder.laws.bootstrap).
- Conformal: split-conformal on rollout residuals (ladder.fit.calibration computes it). Each
  held-out rollout prediction has a log-ratio residual r = ln(predicted / actual) and an
  extrapolation distance d (`distance`). The conformity score is |r| / d**gamma; the interval at
  a target of distance d is ln(predicted) +- q d**gamma, q the conformal quantile at the asked
  coverage, widened by the checkpoint-to-checkpoint noise of the task's accuracy (added in
  quadrature, relative to the prediction).

Both return an Estimate; the caller clips an accuracy to [chance, 1]. A conformal interval is
built around the prediction moved into `bounds` first: around a point below chance its ends
would both fall below chance and clip to a zero-width interval.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from ladder.laws.bootstrap import Estimate
from ladder.laws.estimator import Estimator
from ladder.laws.flops import training_flops

MIN_DISTANCE = float(np.log(2.0))  # one rung step: the least extrapolation a prediction has


def distance(params: float, tokens: float, fit_params: np.ndarray, fit_tokens: np.ndarray) -> float:
    """How far (N, D) lies beyond the fit runs' final points (N, D): the larger of
    ln(N / max N) and ln(C / max C), at least ln 2 (one rung step)."""
    fit_params = np.asarray(fit_params, dtype=float)
    flops = training_flops(fit_params, np.asarray(fit_tokens, dtype=float))
    return max(
        float(np.log(params / fit_params.max())),
        float(np.log(training_flops(float(params), float(tokens)) / flops.max())),
        MIN_DISTANCE,
    )


class Bootstrap(Estimator):
    """The central `level` interval of the predictor's bootstrap draws (NaN ends without)."""

    def __init__(self, level: float = 0.95):
        self.level = level

    def is_fitted(self) -> bool:
        return True

    def estimate(
        self, predictor: Any, x: np.ndarray, actual: float | None = None, **_: Any
    ) -> Estimate:
        """The prediction at the single point x (shape (1, k)) with its interval."""
        point = float(predictor.predict(x)[0])
        return Estimate.from_samples(point, predictor.sample(x)[:, 0], self.level, actual)

    part = estimate  # every part (a step, a baseline) has its own draws


class Conformal(Estimator):
    """q and gamma of the conformity score |r| / d**gamma at coverage `level`, from `n` rollout
    residuals of the ladder and `prior` pseudo-residuals of the benchmark corpus."""

    def __init__(self, level: float, quantile: float, gamma: float, n: int, prior: int = 0):
        self.level = level
        self.quantile = quantile
        self.gamma = gamma
        self.n = n
        self.prior = prior

    def is_fitted(self) -> bool:
        return True

    def half_width(self, distance: float, noise: float = 0.0, predicted: float = 1.0) -> float:
        """The interval's half width in ln(prediction) at `distance`, with the noise SD
        `noise` (in the prediction's unit) added in quadrature."""
        z = stats.norm.ppf(0.5 + self.level / 2)
        law = self.quantile * distance**self.gamma
        return math.sqrt(law**2 + (z * noise / max(predicted, 1e-9)) ** 2)

    def estimate(
        self,
        predictor: Any,
        x: np.ndarray,
        actual: float | None = None,
        *,
        distance: float,
        noise: float = 0.0,
        bounds: tuple[float, float] = (-math.inf, math.inf),
    ) -> Estimate:
        """The calibrated interval around the prediction at the single point x, moved into
        `bounds` (an accuracy's [chance, 1]) first."""
        raw = float(predictor.predict(x)[0])
        predicted = min(max(raw, bounds[0]), bounds[1])
        h = self.half_width(distance, noise, predicted)
        ends = predicted * math.exp(-h), predicted * math.exp(h)
        return Estimate(predicted, *ends, actual, clipped=predicted != raw)

    def part(
        self, predictor: Any, x: np.ndarray, actual: float | None = None, **_: Any
    ) -> Estimate:
        """A part other than the headline (a step): its point, no interval (the calibration is
        the headline's)."""
        nan = float("nan")
        return Estimate(float(predictor.predict(x)[0]), nan, nan, actual)
