"""Step 1 over every checkpoint by the multi-power law (Luo et al., "A Multi-Power Law for Loss
Curve Prediction Across Learning Rate Schedules", arXiv 2503.12811), extended across sizes N:

    L(N, t) = E + A_N / N**alpha_N + A / S(t)**alpha - LD(t)
    LD(t)   = B sum_k (eta_{k-1} - eta_k) G(eta_k**-gamma S_k(t)),  G(x) = 1 - (C x + 1)**-beta

eta is the learning rate relative to its peak, S(t) the tokens seen weighted by it (the paper's
S1(t) + S_W, warm-up included), S_k(t) = S(t) - S(k) the area after step k; Luo et al.'s L0 is
E + A_N / N**alpha_N. The rate's drops are summed over KNOTS bins per run, each holding an equal
share of the run's total drop up to the checkpoint (ladder.fit.points.multipower_inputs): a bin
enters with its drop, its drop-weighted mean rate and its area since its drop-weighted mean step
(G at the bin's mean area, a midpoint rule: exact when each bin holds one drop; on cosine and
WSD schedules within 3e-3 of the per-step sum, a few percent of the drop midway through a
decay, tests/test_multipower.py). Areas are in tokens.
"""

from __future__ import annotations

import numpy as np

from ladder.laws.base import Law, Param
from ladder.laws.power import DEFAULT_HUBER_DELTA

KNOTS = 32  # bins of the loss-drop sum per checkpoint
INPUTS = (
    "N",
    "S",
    *(f"drop{j}" for j in range(KNOTS)),
    *(f"rate{j}" for j in range(KNOTS)),
    *(f"area{j}" for j in range(KNOTS)),
)
# (alpha_N, alpha, beta, gamma) of the starting points; C starts where C x = 1 at a tenth of the
# median area, B at the loss drop the data show at the median checkpoint
EXPONENT_GRID = (
    (0.2, 0.3, 0.5, 0.5),
    (0.3, 0.5, 0.5, 0.3),
    (0.2, 0.3, 1.0, 0.6),
    (0.4, 0.2, 0.3, 0.5),
)


class MultiPowerLaw(Law):
    """`x`: rows of (N, S, drops, rates, areas), shape (n, 2 + 3 KNOTS) (see INPUTS); L in the
    intermediate feature's unit."""

    inputs = INPUTS
    per_token = ("S", *(f"area{j}" for j in range(KNOTS)))
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
            Param("ln_AN", 3.0, (0.0, 12.0), min=0.0, max=60.0),
            Param("alpha_N", 0.2, (0.05, 0.6), min=0.0, max=3.0),
            Param("ln_A", 6.0, (0.0, 12.0), min=0.0, max=60.0),
            Param("alpha", 0.3, (0.05, 0.6), min=0.0, max=3.0),
            Param("B", 0.1, (0.0, 1.0), min=0.0, max=20.0),
            Param("ln_C", -20.0, (-30.0, -10.0), min=-80.0, max=20.0),
            Param("beta", 0.5, (0.1, 1.0), min=1e-3, max=5.0),
            Param("gamma", 0.5, (0.1, 1.0), min=0.0, max=3.0),
        )

    @staticmethod
    def _split(x: np.ndarray) -> tuple[np.ndarray, ...]:
        k = KNOTS
        return (
            x[..., 0],
            x[..., 1],
            x[..., 2 : 2 + k],
            x[..., 2 + k : 2 + 2 * k],
            x[..., 2 + 2 * k :],
        )

    def _parts(self, theta: np.ndarray, x: np.ndarray) -> dict[str, np.ndarray]:
        """The terms of the model and what its Jacobian reuses, broadcast over theta's batch."""
        n, s, drops, rates, areas = self._split(x)
        t = theta[..., None, None]  # (..., p, 1, 1): parameter i is t[..., i, :, :]
        log_rate = np.log(rates)
        u = np.exp(t[..., 6, :, :] - t[..., 8, :, :] * log_rate) * areas
        base = 1.0 + u
        decay = base ** -t[..., 7, :, :]
        return {
            "term_n": np.exp(theta[..., 1, None] - theta[..., 2, None] * np.log(n)),
            "term_s": np.exp(theta[..., 3, None] - theta[..., 4, None] * np.log(s)),
            "drop": np.sum(drops * (1.0 - decay), axis=-1),
            "slope": drops * t[..., 7, :, :] * decay / base * u,  # d G / d ln C, times the drop
            "d_beta": np.sum(drops * decay * np.log(base), axis=-1),
            "log_rate": log_rate,
            "n": n,
            "s": s,
        }

    def _model(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        p = self._parts(theta, x)
        return theta[..., 0, None] + p["term_n"] + p["term_s"] - theta[..., 5, None] * p["drop"]

    def _jacobian(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        p = self._parts(theta, x)
        b = theta[..., 5, None]
        shape = np.broadcast_shapes(p["term_n"].shape, p["term_s"].shape, p["drop"].shape)
        jac = np.empty((*shape, 9))
        jac[..., 0] = 1.0
        jac[..., 1] = p["term_n"]
        jac[..., 2] = -p["term_n"] * np.log(p["n"])
        jac[..., 3] = p["term_s"]
        jac[..., 4] = -p["term_s"] * np.log(p["s"])
        jac[..., 5] = -p["drop"]
        jac[..., 6] = -b * np.sum(p["slope"], axis=-1)
        jac[..., 7] = -b * p["d_beta"]
        jac[..., 8] = b * np.sum(p["slope"] * p["log_rate"], axis=-1)
        return jac

    def _starts(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """A grid of exponents; the floor at half the mean loss, the N and S terms a quarter of
        it at the median N and S, C x = 1 at a tenth of the median S, B a tenth of the mean."""
        mean = float(np.mean(y))
        log_n, log_s = np.log(np.median(x[:, 0])), np.log(np.median(x[:, 1]))
        ln_c = -log_s + np.log(10.0)
        quarter = np.log(0.25 * mean)
        starts = [
            [
                0.5 * mean,
                quarter + an * log_n,
                an,
                quarter + a * log_s,
                a,
                0.1 * mean,
                ln_c,
                beta,
                gamma,
            ]
            for an, a, beta, gamma in EXPONENT_GRID
        ]
        return np.array(starts[: self.n_starts])

    def form(self) -> str:
        p = self.params_
        return (
            f"L(N, t) = {p['E']:.4g} + {np.exp(p['ln_AN']):.4g} / N^{p['alpha_N']:.4g} + "
            f"{np.exp(p['ln_A']):.4g} / S^{p['alpha']:.4g} - {p['B']:.4g} sum_k drop_k "
            f"(1 - ({np.exp(p['ln_C']):.4g} eta_k^-{p['gamma']:.4g} S_k + 1)^-{p['beta']:.4g})"
        )
