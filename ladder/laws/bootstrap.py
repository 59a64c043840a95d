"""The bootstrap: resampling weights, a law's refitted draws, and estimates with intervals.

The bootstrap is two-level, because checkpoints of one run are not independent: each resample
draws the runs with replacement (a run drawn twice counts twice in both steps), then, within
each run, its checkpoints with replacement (step 2 only). Each resample is a weighted refit of
the same points, so all resamples are solved together (Law.refit). A law's `Draws` hold its
refitted parameters and one residual per resample (the scatter of a new observation around the
law), so that intervals are prediction intervals, not only confidence intervals for the curve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def run_counts(rng: np.random.Generator, n_runs: int, n_resamples: int) -> np.ndarray:
    """How often each run is drawn in each resample: shape (n_resamples, n_runs)."""
    return rng.multinomial(n_runs, np.full(n_runs, 1.0 / n_runs), size=n_resamples).astype(float)


def checkpoint_weights(
    rng: np.random.Generator, run_index: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Weights of each checkpoint in each resample, shape (n_resamples, n_points): the count of
    its run times how often the checkpoint is drawn within its run."""
    weights = np.zeros((counts.shape[0], len(run_index)))
    for run in np.unique(run_index):
        members = np.flatnonzero(run_index == run)
        draws = rng.multinomial(
            len(members), np.full(len(members), 1.0 / len(members)), size=counts.shape[0]
        )
        weights[:, members] = draws * counts[:, [run]]
    return weights


def residual_draws(rng: np.random.Generator, residuals: np.ndarray, n: int) -> np.ndarray:
    """n residuals drawn with replacement: the scatter of a new observation around the law."""
    residuals = np.asarray(residuals, dtype=float)
    residuals = residuals[np.isfinite(residuals)]
    if residuals.size == 0:
        return np.zeros(n)
    return rng.choice(residuals, size=n, replace=True)


def interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    """Central percentile interval of the finite samples at coverage `level`."""
    samples = np.asarray(samples, dtype=float)
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return float("nan"), float("nan")
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(samples, [tail, 100 - tail])
    return float(low), float(high)


@dataclass
class Draws:
    """A law's bootstrap: refitted parameters (B, p) (NaN rows: not converged) and one residual
    draw per resample, in the law's fitting space (log or plain)."""

    thetas: np.ndarray
    noise: np.ndarray
    converged_fraction: float

    def __len__(self) -> int:
        return len(self.thetas)


@dataclass
class Estimate:
    """A prediction with its interval, and the actual value where known."""

    predicted: float
    lower: float
    upper: float
    actual: float | None = None
    clipped: bool = False  # the prediction or an end was moved into the metric's range

    @classmethod
    def from_samples(
        cls, point: float, samples: np.ndarray, level: float, actual: float | None = None
    ) -> Estimate:
        """The point with the central `level` interval of bootstrap `samples` (NaN bounds
        when there are none)."""
        lower, upper = interval(samples, level)
        known = actual is not None and np.isfinite(actual)
        return cls(float(point), lower, upper, float(actual) if known else None)

    def clip(self, low: float, high: float) -> Estimate:
        """This estimate with its prediction and ends moved into [low, high] (an accuracy:
        [chance, 1]); `clipped` says whether anything moved. NaN ends stay NaN."""

        def into(value: float) -> float:
            return value if np.isnan(value) else float(min(max(value, low), high))

        ends = (into(self.predicted), into(self.lower), into(self.upper))
        moved = ends != (self.predicted, self.lower, self.upper) and not (
            np.isnan(self.lower) and np.isnan(ends[1])
        )
        return Estimate(*ends, self.actual, self.clipped or bool(moved))

    @property
    def abs_error(self) -> float | None:
        return None if self.actual is None else abs(self.predicted - self.actual)

    @property
    def rel_error(self) -> float | None:
        """|predicted - actual| / actual, as in the paper's tables."""
        if self.actual is None or self.actual == 0:
            return None
        return abs(self.predicted - self.actual) / abs(self.actual)

    @property
    def covered(self) -> bool | None:
        """Whether the actual lies inside the interval (None without an actual or interval)."""
        if self.actual is None or not np.isfinite([self.lower, self.upper]).all():
            return None
        return bool(self.lower <= self.actual <= self.upper)

    def to_dict(self) -> dict[str, Any]:
        return {
            "predicted": self.predicted,
            "lower": self.lower,
            "upper": self.upper,
            "actual": self.actual,
            "abs_error": self.abs_error,
            "rel_error": self.rel_error,
            "covered": self.covered,
            "clipped": self.clipped,
        }
