"""Step 2: the sigmoid from task loss to accuracy.

    accuracy(L) = a / (1 + exp(-k (L - L0))) + b      (L in bits per byte, accuracy in [0, 1])

With a in [-1, 0] accuracy falls as loss rises: it tends to b as L -> 0 and to a + b (about
chance) as L grows. The starting point follows the paper: a = chance - 1, L0 = 0.9, k = 3,
b = 1, for task losses in bits per byte; with `data_starts` (any other intermediate feature,
e.g. a validation loss in nats per token), the starts span the data's own range of L instead.
Residuals are plain accuracy differences (least squares, or Huber when asked).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ladder.laws.base import Law, Param


class Sigmoid(Law):
    """Task loss -> accuracy. `x` for fit/predict: task losses, shape (n,) or (n, 1)."""

    log_residuals = False

    def __init__(
        self,
        chance: float = 0.25,
        huber_delta: float | None = None,
        n_starts: int = 8,
        seed: int = 0,
        data_starts: bool = False,
    ):
        if not 0.0 <= chance < 1.0:
            raise ValueError(f"chance must be in [0, 1), not {chance}")
        super().__init__(huber_delta=huber_delta, n_starts=n_starts, seed=seed)
        self.chance = chance
        self.data_starts = data_starts

    inputs = ("L",)

    def _starts(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The paper's starts, or (`data_starts`) the midpoint L0 at quantiles of the data's
        L and the slope k spread around 4 / (the data's range of L)."""
        if not self.data_starts:
            return super()._starts(x, y)
        loss = x[:, 0][x[:, 0] > 0] if (x[:, 0] > 0).any() else x[:, 0]
        spread = max(float(np.ptp(loss)), 1e-3)
        midpoints = np.quantile(loss, np.linspace(0.1, 0.9, self.n_starts))
        slopes = (4.0 / spread) * np.geomspace(0.5, 2.0, self.n_starts)[::-1]
        return np.column_stack(
            [
                np.full(self.n_starts, self.chance - 1.0),
                midpoints,
                slopes,
                np.full(self.n_starts, min(1.0, float(np.max(y)) + 0.05)),
            ]
        )

    @property
    def parameters(self) -> tuple[Param, ...]:
        return (
            Param("a", self.chance - 1.0, (-1.0, -0.3), min=-1.0, max=0.0),
            Param("L0", 0.9, (0.2, 2.0), min=0.0, max=np.inf),
            Param("k", 3.0, (0.5, 15.0), min=0.0, max=np.inf),
            Param("b", 1.0, (0.6, 1.0), min=0.0, max=1.0),
        )

    @staticmethod
    def _logistic(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """1 / (1 + exp(-k (L - L0))), without overflow for any k and L."""
        return expit(theta[..., 2, None] * (x[..., 0] - theta[..., 1, None]))

    def _model(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        return theta[..., 0, None] * self._logistic(theta, x) + theta[..., 3, None]

    def _jacobian(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        s = self._logistic(theta, x)
        a, x0, k = theta[..., 0, None], theta[..., 1, None], theta[..., 2, None]
        a_ds = a * s * (1.0 - s)
        jac = np.empty((*s.shape, 4))
        jac[..., 0] = s
        jac[..., 1] = -k * a_ds
        jac[..., 2] = (x[..., 0] - x0) * a_ds
        jac[..., 3] = 1.0
        return jac

    def form(self) -> str:
        p = self.params_
        return (
            f"acc(L) = {p['a']:.4g} / (1 + exp(-{p['k']:.4g} (L - {p['L0']:.4g}))) + {p['b']:.4g}"
        )
