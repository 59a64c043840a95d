"""Step 1: the power law from scale to task loss.

    L(N, D) = E + A / N**alpha + B / D**beta      (N parameters, D tokens; L in bits per byte)
    L(C)    = E + A / C**alpha                    (C training FLOPs)

With `floor=False` there is no E: y = A / N**alpha + B / D**beta, the form of the direct
accuracy law (ladder.laws.predictors.DirectAccuracy), which vanishes at infinite scale.

A and B are fitted on a log scale (parameters ln_A, ln_B) so that N ~ 1e9 and D ~ 1e12 stay
well conditioned. Residuals are log(predicted) - log(observed) under a Huber loss, as in the paper.
With `sign=-1` the same form rises with scale, E - A / N**alpha - B / D**beta: the single-step
baseline that maps (N, D) straight to accuracy (fitted on plain, not log, residuals, since
accuracy minus its terms can approach zero).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ladder.laws.base import Law, Param

DEFAULT_HUBER_DELTA = 1e-3


class PowerLaw(Law):
    """Sum of power laws in one variable (C) or two (N, D), plus an irreducible term E
    (unless `floor` is False).

    `x` for fit/predict: an array of shape (n, 2) of (N, D), or (n,) / (n, 1) of C.
    """

    def __init__(
        self,
        variables: Sequence[str] = ("N", "D"),
        sign: int = 1,
        huber_delta: float | None = DEFAULT_HUBER_DELTA,
        log_residuals: bool = True,
        n_starts: int = 8,
        seed: int = 0,
        floor: bool = True,
    ):
        variables = tuple(variables)
        if variables not in (("N", "D"), ("C",)):
            raise ValueError(f"variables must be ('N', 'D') or ('C',), not {variables}")
        if sign not in (1, -1):
            raise ValueError("sign must be +1 (loss falls with scale) or -1 (accuracy rises)")
        super().__init__(huber_delta=huber_delta, n_starts=n_starts, seed=seed)
        self.variables = variables
        self.sign = sign
        self.log_residuals = log_residuals
        self.floor = floor

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.variables

    @property
    def allocates(self) -> bool:
        return self.variables == ("N", "D")

    @property
    def parameters(self) -> tuple[Param, ...]:
        rising = self.sign < 0
        terms = [("ln_A", "alpha"), ("ln_B", "beta")][: len(self.variables)]
        params = [
            # E: the loss floor (>= 0), or for accuracy the ceiling (in [0, 1])
            Param(
                "E",
                1.0,
                (0.0, 1.5) if not rising else (0.5, 1.0),
                min=0.0,
                max=1.0 if rising else np.inf,
            ),
        ][: int(self.floor)]
        for i, (coef, exponent) in enumerate(terms):
            # the paper's starting point: a = 3 (A ~ 20), b = 6 (B ~ 400), exponents 0.1 / 0.2
            init_coef = 2.0 if rising else (3.0, 6.0)[i]
            init_exp = 0.2 if rising else (0.1, 0.2)[i]
            # ln A: A >= 1 for losses (the paper's bound); accuracy terms may be small
            params.append(
                Param(coef, init_coef, (0.0, 12.0), min=-30.0 if rising else 0.0, max=60.0)
            )
            params.append(Param(exponent, init_exp, (0.05, 0.6), min=0.0, max=3.0))
        return tuple(params)

    def _terms(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Each power-law term A_i / X_i**alpha_i, shape (..., n, k)."""
        first = int(self.floor)
        coef = theta[..., first::2][..., None, :]
        exponent = theta[..., first + 1 :: 2][..., None, :]
        return np.exp(coef - exponent * np.log(x))

    def _model(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        total = self.sign * self._terms(theta, x).sum(axis=-1)
        return theta[..., 0, None] + total if self.floor else total

    def _jacobian(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        terms = self.sign * self._terms(theta, x)
        k, first = terms.shape[-1], int(self.floor)
        jac = np.empty((*terms.shape[:-1], first + 2 * k))
        if self.floor:
            jac[..., 0] = 1.0
        jac[..., first::2] = terms
        jac[..., first + 1 :: 2] = -terms * np.log(x)
        return jac

    def form(self) -> str:
        p = self.params_
        op = "+" if self.sign > 0 else "-"
        parts = [f"{p['E']:.4g}"] if self.floor else []
        parts.append(f"{op} {np.exp(p['ln_A']):.4g} / {self.variables[0]}^{p['alpha']:.4g}")
        if len(self.variables) == 2:
            parts.append(f"{op} {np.exp(p['ln_B']):.4g} / D^{p['beta']:.4g}")
        text = " ".join(parts)
        return f"L({', '.join(self.variables)}) = " + (text if self.floor else text[2:])
