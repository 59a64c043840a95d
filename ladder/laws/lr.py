"""Step 1 over every checkpoint, aware of the learning-rate schedule (after Tissue et al., "Scaling
Law with Learning Rate Annealing", arXiv 2408.11029):

    L(N, S1, R) = E + A / N**alpha + B / S1**beta - C * R

S1, the forward area, is the number of tokens weighted by the learning rate relative to its
peak (equal to D at a constant rate); R = S2 / S1 is the annealed share, S2 the annealing area
(the drops of the relative rate, smoothed by a momentum of 0.999 per step as in the paper, in
tokens). Tissue et al. write the annealing term as C * S2 for one model; dividing by S1 makes
it dimensionless, so that one C serves rungs whose steps hold different numbers of tokens.
Every checkpoint after the warm-up is a point, not only each run's last: the law sees the
whole loss curve of every rung. Inputs are computed by ladder.fit.points.lr_areas;
ladder.laws.predictors.EndOfRun uses the law at the end of a run.
"""

from __future__ import annotations

import numpy as np

from ladder.laws.base import Law, Param
from ladder.laws.power import DEFAULT_HUBER_DELTA

EXPONENT_GRID = ((0.2, 0.1), (0.2, 0.3), (0.4, 0.1), (0.4, 0.3))


class LRPowerLaw(Law):
    """`x`: rows of (N, S1, R), shape (n, 3); L in the intermediate feature's unit."""

    inputs = ("N", "S1", "R")
    per_token = ("S1",)
    log_residuals = True

    def __init__(
        self,
        huber_delta: float | None = DEFAULT_HUBER_DELTA,
        n_starts: int = len(EXPONENT_GRID),
        seed: int = 0,
    ):
        super().__init__(huber_delta=huber_delta, n_starts=n_starts, seed=seed)

    @property
    def parameters(self) -> tuple[Param, ...]:
        return (
            Param("E", 0.5, (0.0, 1.0), min=0.0),
            Param("ln_A", 3.0, (0.0, 12.0), min=0.0, max=60.0),
            Param("alpha", 0.2, (0.05, 0.6), min=0.0, max=3.0),
            Param("ln_B", 6.0, (0.0, 12.0), min=0.0, max=60.0),
            Param("beta", 0.2, (0.05, 0.6), min=0.0, max=3.0),
            Param("C", 0.0, (0.0, 0.5), min=0.0, max=10.0),
        )

    def _terms(self, theta: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        term_a = np.exp(theta[..., 1, None] - theta[..., 2, None] * np.log(x[..., 0]))
        term_b = np.exp(theta[..., 3, None] - theta[..., 4, None] * np.log(x[..., 1]))
        return term_a, term_b

    def _model(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        term_a, term_b = self._terms(theta, x)
        return theta[..., 0, None] + term_a + term_b - theta[..., 5, None] * x[..., 2]

    def _jacobian(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        term_a, term_b = self._terms(theta, x)
        jac = np.empty((*term_a.shape, 6))
        jac[..., 0] = 1.0
        jac[..., 1] = term_a
        jac[..., 2] = -term_a * np.log(x[..., 0])
        jac[..., 3] = term_b
        jac[..., 4] = -term_b * np.log(x[..., 1])
        jac[..., 5] = -x[..., 2]
        return np.broadcast_to(jac, (*term_a.shape, 6)).copy()

    def _starts(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """A grid of exponents; the floor at half the mean loss, each term a quarter of it at
        the median N and S1, no annealing gain."""
        mean = float(np.mean(y))
        log_n, log_s = np.log(np.median(x[:, 0])), np.log(np.median(x[:, 1]))
        starts = [
            [0.5 * mean, np.log(0.25 * mean) + a * log_n, a, np.log(0.25 * mean) + b * log_s, b, 0]
            for a, b in EXPONENT_GRID
        ]
        return np.array(starts[: self.n_starts])

    def form(self) -> str:
        p = self.params_
        return (
            f"L(N, S1, R) = {p['E']:.4g} + {np.exp(p['ln_A']):.4g} / N^{p['alpha']:.4g} + "
            f"{np.exp(p['ln_B']):.4g} / S1^{p['beta']:.4g} - {p['C']:.4g} R"
        )
