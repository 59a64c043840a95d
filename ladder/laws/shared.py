"""Step 1 for several tasks at once, with the exponents shared across them:

    L_t(N, D) = E_t + A_t / N**alpha + B_t / D**beta      (t = 0 .. T-1; L in bits per byte)

Following Choshen et al. (arXiv 2410.11840) and later work: a per-task five-parameter law fitted
on 16 points is poorly conditioned (its exponents trade off against its coefficients), while
the exponents, which describe how the model improves with scale, are largely shared across
tasks. Per-task E_t, A_t, B_t keep each task's level. Fitted on log residuals with the paper's
Huber loss, from a grid of exponent starting points (the fit is multi-modal). `task_law(t)` gives
one task's law as a fitted PowerLaw of (N, D).
"""

from __future__ import annotations

import numpy as np

from ladder.laws.base import Law, Param
from ladder.laws.power import DEFAULT_HUBER_DELTA, PowerLaw

EXPONENT_GRID = (0.1, 0.2, 0.3, 0.5)


class SharedPowerLaw(Law):
    """`x`: rows of (N, D, task index in 0..n_tasks-1), shape (n, 3)."""

    inputs = ("N", "D", "task")
    log_residuals = True

    def __init__(
        self,
        n_tasks: int,
        huber_delta: float | None = DEFAULT_HUBER_DELTA,
        n_starts: int = len(EXPONENT_GRID) ** 2,
        seed: int = 0,
    ):
        if n_tasks < 1:
            raise ValueError("a shared law needs at least one task")
        super().__init__(huber_delta=huber_delta, n_starts=n_starts, seed=seed)
        self.n_tasks = n_tasks

    @property
    def parameters(self) -> tuple[Param, ...]:
        t = range(self.n_tasks)
        return (
            *(Param(f"E_{i}", 0.5, (0.0, 1.0), min=0.0) for i in t),
            *(Param(f"ln_A_{i}", 3.0, (0.0, 12.0), min=0.0, max=60.0) for i in t),
            *(Param(f"ln_B_{i}", 6.0, (0.0, 12.0), min=0.0, max=60.0) for i in t),
            Param("alpha", 0.2, (0.05, 0.6), min=0.0, max=3.0),
            Param("beta", 0.2, (0.05, 0.6), min=0.0, max=3.0),
        )

    def _parts(self, theta: np.ndarray, x: np.ndarray):
        """The task index of each point and its E, A term and B term, shape (..., n)."""
        t = self.n_tasks
        task = x[..., 2].astype(int)
        log_n, log_d = np.log(x[..., 0]), np.log(x[..., 1])
        alpha, beta = theta[..., -2, None], theta[..., -1, None]
        term_a = np.exp(theta[..., t + task] - alpha * log_n)
        term_b = np.exp(theta[..., 2 * t + task] - beta * log_d)
        return task, theta[..., task], term_a, term_b, log_n, log_d

    def _model(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        _, floor, term_a, term_b, _, _ = self._parts(theta, x)
        return floor + term_a + term_b

    def _jacobian(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        task, _, term_a, term_b, log_n, log_d = self._parts(theta, x)
        t, n = self.n_tasks, x.shape[-2]
        jac = np.zeros((*term_a.shape, 3 * t + 2))
        rows = np.arange(n)
        jac[..., rows, task] = 1.0
        jac[..., rows, t + task] = term_a
        jac[..., rows, 2 * t + task] = term_b
        jac[..., -2] = -term_a * log_n
        jac[..., -1] = -term_b * log_d
        return jac

    def _starts(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """A grid of shared exponents; each task's floor at half its mean loss and its two
        terms at a quarter of it at the median N and D."""
        task = x[:, 2].astype(int)
        mean = np.array(
            [y[task == i].mean() if (task == i).any() else 1.0 for i in range(self.n_tasks)]
        )
        log_n, log_d = np.log(np.median(x[:, 0])), np.log(np.median(x[:, 1]))
        starts = []
        for alpha in EXPONENT_GRID:
            for beta in EXPONENT_GRID:
                starts.append(
                    np.concatenate(
                        [
                            0.5 * mean,
                            np.log(0.25 * mean) + alpha * log_n,
                            np.log(0.25 * mean) + beta * log_d,
                            [alpha, beta],
                        ]
                    )
                )
        return np.array(starts[: self.n_starts])

    def fit(self, x: np.ndarray, y: np.ndarray) -> SharedPowerLaw:
        super().fit(x, y)
        self.task_index_ = self.as_x(x)[:, 2].astype(int)
        return self

    def task_law(self, index: int) -> PowerLaw:
        """Task `index` as a fitted law of (N, D): its E, A and B with the shared exponents,
        their standard errors, and its own points' residuals."""
        self.check_fitted()
        names = [f"E_{index}", f"ln_A_{index}", "alpha", f"ln_B_{index}", "beta"]
        law = PowerLaw(("N", "D"), huber_delta=self.huber_delta, seed=self.seed)
        law.theta_ = np.array([self.params_[name] for name in names])
        law.params_ = dict(zip(law.names, law.theta_.tolist(), strict=True))
        law.stderr_ = {own: self.stderr_[name] for own, name in zip(law.names, names, strict=True)}
        law.residuals_ = self.residuals_[self.task_index_ == index]
        law.n_obs_ = len(law.residuals_)
        return law

    def form(self) -> str:
        p = self.params_
        return (
            f"L_t(N, D) = E_t + A_t / N^{p['alpha']:.4g} + B_t / D^{p['beta']:.4g} "
            f"({self.n_tasks} tasks)"
        )
