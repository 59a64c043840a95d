"""Bootstrap resampling weights and percentile intervals (vectorized over resamples).

The bootstrap is two-level, because checkpoints of one run are not independent: each resample
draws the runs with replacement (a run drawn twice counts twice in both steps), then, within each
run, its checkpoints with replacement (step 2 only). Each resample is a weighted refit of the same
points, so all resamples are solved together (see Law.refit).
"""

from __future__ import annotations

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
