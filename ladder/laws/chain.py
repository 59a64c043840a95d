"""Predictors: a fitted law used on its own, and the chained two-step predictor.

Chained: accuracy(x) = step2(step1(x)), step 2 applied to step 1's predicted intermediate
feature, for any pair of laws (x: (N, D) or C; the feature: task loss, a validation loss...).
Its bootstrap pairs the draws row by row: resample b's step-1 prediction goes through resample
b's step-2 law, with each law's residual draw, so the interval carries both steps' uncertainty.
Single step: accuracy(N, D) = E - A / N**alpha - B / D**beta fitted on accuracy directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ladder.laws.base import Law
from ladder.laws.bootstrap import Estimate, sample
from ladder.laws.power import DEFAULT_HUBER_DELTA, PowerLaw


class Predictor:
    """What every predictor offers: `predict(x)`, `sample(x)` (bootstrap draws, shape (B, n);
    (0, n) when its laws have none) and `estimate` at one point."""

    @property
    def inputs(self) -> tuple[str, ...]:
        raise NotImplementedError

    def predict(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def sample(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def estimate(self, x: np.ndarray, level: float, actual: float | None = None) -> Estimate:
        """The prediction at the single point x (shape (1, k)) with its `level` interval."""
        return Estimate.from_samples(self.predict(x)[0], self.sample(x)[:, 0], level, actual)


@dataclass
class Direct(Predictor):
    """One fitted law as a predictor (step 1's loss, step 2 at a given loss, single step)."""

    law: Law

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.law.inputs

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.law.predict(x)

    def sample(self, x: np.ndarray) -> np.ndarray:
        if not hasattr(self.law, "draws_"):
            return np.empty((0, len(self.law._as_x(x))))
        return sample(self.law, x)


@dataclass
class ChainedPredictor(Predictor):
    """Composes a step-1 law (x -> intermediate feature) and a step-2 law (feature ->
    accuracy); `fit` fits both, `predict` and `sample` chain them."""

    step1: Law
    step2: Law

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.step1.inputs

    def fit(
        self, x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray
    ) -> ChainedPredictor:
        self.step1.fit(x1, y1)
        self.step2.fit(x2, y2)
        return self

    def predict_feature(self, x: np.ndarray) -> np.ndarray:
        """Step 1 alone: the intermediate feature (e.g. task loss in bits per byte) at x."""
        return self.step1.predict(x)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.step2.predict(self.predict_feature(x))

    def sample(self, x: np.ndarray) -> np.ndarray:
        if not (hasattr(self.step1, "draws_") and hasattr(self.step2, "draws_")):
            return np.empty((0, len(self.step1._as_x(x))))
        return sample(self.step2, sample(self.step1, x), paired=True)


@dataclass
class DirectAccuracy(Predictor):
    """Accuracy straight from (N, D) (Krajewski et al., arXiv 2512.08894): a law without a
    floor fitted on y = -log((acc - chance) / (1 - chance)); acc = chance + (1 - chance) e^-y,
    which tends to 1 at infinite scale and to chance at none."""

    law: PowerLaw
    chance: float

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.law.inputs

    def _accuracy(self, y: np.ndarray) -> np.ndarray:
        return self.chance + (1 - self.chance) * np.exp(-y)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._accuracy(self.law.predict(x))

    def sample(self, x: np.ndarray) -> np.ndarray:
        if not hasattr(self.law, "draws_"):
            return np.empty((0, len(self.law._as_x(x))))
        return self._accuracy(sample(self.law, x))


def single_step_baseline(
    huber_delta: float | None = DEFAULT_HUBER_DELTA, n_starts: int = 8, seed: int = 0
) -> PowerLaw:
    """The baseline that maps (N, D) straight to accuracy: a rising power law."""
    return PowerLaw(
        ("N", "D"),
        sign=-1,
        huber_delta=huber_delta,
        log_residuals=False,
        n_starts=n_starts,
        seed=seed,
    )
