"""The simple baselines every method must beat, as laws of rows (N, D):

- LogLinear: y = a + b ln X, X = N (parameters) or C = 6 N D (FLOPs): a score linear in the log
  of scale, fitted on the fit runs' final points (accuracy, or task loss in bits per byte);
- Carry: the score of the fit run with the most compute, carried forward unchanged;
- Chinchilla: the textbook loss fit of Hoffmann et al. (arXiv 2203.15556, as replicated by
  Besiroglu et al., arXiv 2404.10102): L = E + A / N^alpha + B / D^beta in the log-sum-exp
  form, Huber loss (delta 1e-3) on log L, L-BFGS-B from a grid of starting points.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

from ladder.errors import LadderError
from ladder.laws.base import Law, Param, as_rows
from ladder.laws.estimator import Estimator
from ladder.laws.flops import training_flops
from ladder.laws.solver import huber

ND = ("N", "D")


def _scale(x: np.ndarray, variable: str) -> np.ndarray:
    """ln N or ln C of rows (N, D)."""
    return np.log(x[..., 0] if variable == "N" else training_flops(x[..., 0], x[..., 1]))


class LogLinear(Law):
    """y = a + b ln X, X = N or C = 6 N D, on rows of (N, D); plain least squares."""

    inputs = ND
    log_residuals = False

    def __init__(self, variable: str = "N", n_starts: int = 1, seed: int = 0):
        if variable not in ("N", "C"):
            raise ValueError(f"variable must be 'N' or 'C', not {variable!r}")
        super().__init__(huber_delta=None, n_starts=n_starts, seed=seed)
        self.variable = variable

    @property
    def parameters(self) -> tuple[Param, ...]:
        return (Param("a", 0.0, (-1.0, 1.0)), Param("b", 0.0, (-0.1, 0.1)))

    def _starts(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The least-squares solution itself (the problem is linear)."""
        s = _scale(x, self.variable)
        b, a = np.polyfit(s, y, 1) if np.ptp(s) > 0 else (0.0, float(np.mean(y)))
        return np.array([[a, b]])

    def _model(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        return theta[..., 0, None] + theta[..., 1, None] * _scale(x, self.variable)

    def _jacobian(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        s = _scale(x, self.variable)
        jac = np.empty((*np.broadcast_shapes((*theta.shape[:-1], 1), s.shape), 2))
        jac[..., 0] = 1.0
        jac[..., 1] = s
        return jac

    def form(self) -> str:
        p = self.params_
        return f"y = {p['a']:.4g} + {p['b']:.4g} ln {self.variable}"


class Carry(Estimator):
    """The score of the fit run with the most compute (C = 6 N D), predicted everywhere."""

    inputs = ND

    def __init__(self) -> None:
        pass

    def is_fitted(self) -> bool:
        return hasattr(self, "level_")

    def fit(self, x: np.ndarray, y: np.ndarray) -> Carry:
        x = as_rows(x, ND, type(self).__name__)
        y = np.asarray(y, dtype=float)
        if len(y) == 0 or not np.isfinite(y).all():
            raise LadderError("Carry: needs at least one finite score to carry forward")
        self.level_ = float(y[int(np.argmax(training_flops(x[:, 0], x[:, 1])))])
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.check_fitted()
        return np.full(len(as_rows(x, ND, type(self).__name__)), self.level_)

    def sample(self, x: np.ndarray) -> np.ndarray:
        self.check_fitted()
        return np.empty((0, len(as_rows(x, ND, type(self).__name__))))

    def laws(self) -> dict[str, Law]:
        return {}

    def _fitted_state(self) -> dict[str, Any]:
        return {"fitted": {"level": self.level_}} if self.is_fitted() else {}

    def _restore(self, document: dict[str, Any]) -> None:
        if "fitted" in document:
            self.level_ = float(document["fitted"]["level"])

    def summary(self) -> str:
        if not self.is_fitted():
            return f"{self!r}: not fitted"
        return f"{self!r}: carries {self.level_:.4g} forward"


# a thinned version of Hoffmann et al.'s grid of starting points (72 starts; Besiroglu et al.
# use a finer one): ln A, ln B, ln E, alpha, beta
GRID = {
    "a": (5.0, 15.0),
    "b": (5.0, 15.0),
    "e": (-1.0, 0.5),
    "alpha": (0.2, 0.5, 1.0),
    "beta": (0.2, 0.5, 1.0),
}
CHINCHILLA_DELTA = 1e-3


class Chinchilla(Estimator):
    """The textbook loss fit (see the module docstring) on rows (N, D) of final points;
    parameters E, A, alpha, B, beta of L = E + A / N^alpha + B / D^beta."""

    inputs = ND
    allocates = True

    def __init__(self, delta: float = CHINCHILLA_DELTA):
        self.delta = delta

    def is_fitted(self) -> bool:
        return hasattr(self, "params_")

    @staticmethod
    def _log_model(theta: np.ndarray, log_n: np.ndarray, log_d: np.ndarray) -> np.ndarray:
        a, b, e, alpha, beta = theta
        return logsumexp(
            np.stack([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)]), axis=0
        )

    def fit(self, x: np.ndarray, y: np.ndarray) -> Chinchilla:
        x = as_rows(x, ND, type(self).__name__)
        y = np.asarray(y, dtype=float)
        if len(y) < 5 or not np.isfinite(y).all() or (y <= 0).any():
            raise LadderError("Chinchilla: needs at least 5 positive, finite losses")
        log_n, log_d, log_y = np.log(x[:, 0]), np.log(x[:, 1]), np.log(y)

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            a, b, e, alpha, beta = theta
            terms = np.stack([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)])
            lse = logsumexp(terms, axis=0)
            r = lse - log_y
            psi = np.clip(r, -self.delta, self.delta)  # Huber's derivative
            w = np.exp(terms - lse) * psi  # d lse / d term, times psi
            grad = [
                w[0].sum(),
                w[1].sum(),
                w[2].sum(),
                -(w[0] * log_n).sum(),
                -(w[1] * log_d).sum(),
            ]
            return float(np.sum(huber(r, self.delta))), np.array(grad)

        best = None
        for start in itertools.product(*GRID.values()):
            with np.errstate(all="ignore"):
                result = minimize(objective, np.array(start), jac=True, method="L-BFGS-B")
            if np.isfinite(result.fun) and (best is None or result.fun < best.fun):
                best = result
        if best is None:
            raise LadderError("Chinchilla: the fit did not converge from any start")
        self._set(best.x)
        return self

    def _set(self, theta: np.ndarray) -> None:
        """The fitted state from theta = (ln A, ln B, ln E, alpha, beta)."""
        self.theta_ = np.array(theta, dtype=float)
        a, b, e, alpha, beta = self.theta_
        self.params_ = {
            "E": float(np.exp(e)),
            "A": float(np.exp(a)),
            "alpha": float(alpha),
            "B": float(np.exp(b)),
            "beta": float(beta),
        }

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.check_fitted()
        x = as_rows(x, ND, type(self).__name__)
        return np.exp(self._log_model(self.theta_, np.log(x[:, 0]), np.log(x[:, 1])))

    def sample(self, x: np.ndarray) -> np.ndarray:
        return np.empty((0, len(self.predict(x))))

    def laws(self) -> dict[str, Law]:
        return {}

    def _fitted_state(self) -> dict[str, Any]:
        return {"fitted": {"theta": self.theta_.tolist()}} if self.is_fitted() else {}

    def _restore(self, document: dict[str, Any]) -> None:
        if "fitted" in document:
            self._set(np.array(document["fitted"]["theta"], dtype=float))

    def summary(self) -> str:
        if not self.is_fitted():
            return f"{self!r}: not fitted"
        p = self.params_
        return (
            f"{self!r}: L = {p['E']:.4g} + {p['A']:.4g} / N^{p['alpha']:.4g} + "
            f"{p['B']:.4g} / D^{p['beta']:.4g}"
        )
