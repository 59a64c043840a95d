"""The chained two-step predictor, and the single-step baseline it is compared with.

Chained: accuracy(N, D) = sigmoid(L(N, D)), step 2 applied to step 1's predicted task loss.
Single step: accuracy(N, D) = E - A / N**alpha - B / D**beta fitted on accuracy directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ladder.laws.power import DEFAULT_HUBER_DELTA, PowerLaw
from ladder.laws.sigmoid import Sigmoid


@dataclass
class ChainedPredictor:
    """Composes a fitted step-1 law (PowerLaw) and a fitted step-2 law (Sigmoid)."""

    step1: PowerLaw
    step2: Sigmoid

    def predict_loss(self, x: np.ndarray, theta1: np.ndarray | None = None) -> np.ndarray:
        """Task loss (bits per byte) at x = (N, D) rows, or C for a FLOPs law."""
        return self.step1.predict(x, theta1)

    def predict(
        self,
        x: np.ndarray,
        theta1: np.ndarray | None = None,
        theta2: np.ndarray | None = None,
    ) -> np.ndarray:
        """Accuracy at x; with (B, p) parameter batches, a (B, n) batch of predictions."""
        loss = self.predict_loss(x, theta1)
        return self.step2.predict(loss[..., None], theta2)


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
