"""Shared estimator machinery for the laws, in the style of scikit-learn and lmfit.

A law defines its parameters (bounds, a first starting value and a range for further starting
values), its model f(theta, x) and Jacobian, vectorized over a leading batch of parameter
vectors. `fit` runs lmfit from several starting points and keeps the best; `refit` solves many
weighted versions of the same problem at once (the bootstrap), warm-started at the fit;
`bootstrap` keeps the refits as the law's `draws_`, which `sample` turns into predictions. A law
follows the contract of ladder.laws.estimator (get_params, repr, documents, NotFittedError) and
is itself a predictor of its inputs.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import numpy as np

from ladder.errors import LadderError
from ladder.laws.bootstrap import Draws, residual_draws
from ladder.laws.estimator import Estimator
from ladder.laws.solver import TINY, huber, levenberg_marquardt

START_ITERATIONS = 150  # the batched solver's budget per start before lmfit polishes the best


@dataclass(frozen=True)
class Param:
    """One fitted parameter: bounds, the first starting value, the range for further starts."""

    name: str
    init: float
    start_range: tuple[float, float]
    min: float = -np.inf
    max: float = np.inf


def as_rows(x: np.ndarray, inputs: tuple[str, ...], who: str) -> np.ndarray:
    """x as an (n, k) float array, one row of `inputs` per point ((n,) too when k is 1);
    LadderError naming `who` for any other shape (a flat (N, D) pair is not two values of one
    input)."""
    x = np.asarray(x, dtype=float)
    k = len(inputs)
    if x.ndim == 1 and k == 1:
        return x[:, None]
    if x.ndim != 2 or x.shape[1] != k:
        raise LadderError(
            f"{who}: x must have shape (n, {k}), one row of ({', '.join(inputs)}) per point"
            f"{' or (n,)' if k == 1 else ''}; got shape {x.shape}"
        )
    return x


class Law(Estimator, abstract=True):
    """Base class: subclasses set `parameters`, `inputs`, `log_residuals`, `_model` and
    `_jacobian`, and store each constructor argument under its own name.

    Fitted attributes (after `fit`): `theta_` (array of parameter values), `params_` (dict),
    `stderr_` (dict, NaN where lmfit could not estimate it), `residuals_` (at the fit, in
    the fitting space: log or plain), `n_obs_`; after `bootstrap`, `draws_` (Draws).
    """

    log_residuals: bool = False
    per_token: tuple[str, ...] = ()  # inputs in tokens, which scale with a run's D

    def __init__(self, huber_delta: float | None = None, n_starts: int = 8, seed: int = 0):
        self.huber_delta = huber_delta
        self.n_starts = n_starts
        self.seed = seed

    # -- what a law defines -------------------------------------------------------------
    @property
    def parameters(self) -> tuple[Param, ...]:
        raise NotImplementedError

    @property
    def inputs(self) -> tuple[str, ...]:
        """The columns of x, e.g. ("N", "D")."""
        raise NotImplementedError

    def _model(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """theta (..., p), x (n, k) -> predictions (..., n)."""
        raise NotImplementedError

    def _jacobian(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """theta (..., p), x (n, k) -> d model / d theta, shape (..., n, p)."""
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.array([p.min for p in self.parameters]),
            np.array([p.max for p in self.parameters]),
        )

    def _residuals(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        pred = self._model(theta, x)
        if self.log_residuals:
            return np.log(np.maximum(pred, TINY)) - np.log(y)
        return pred - y

    def _residual_jacobian(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        jac = self._jacobian(theta, x)
        if self.log_residuals:
            return jac / np.maximum(self._model(theta, x), TINY)[..., None]
        return jac

    def _starts(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Starting points, shape (n_starts, p): the first parameters' `init`, then draws from
        their start ranges (seeded). Laws whose scale depends on the data override this."""
        rng = np.random.default_rng(self.seed)
        first = np.array([p.init for p in self.parameters])
        low = np.array([p.start_range[0] for p in self.parameters])
        high = np.array([p.start_range[1] for p in self.parameters])
        others = rng.uniform(low, high, size=(max(self.n_starts - 1, 0), len(first)))
        return np.vstack([first, others])

    def as_x(self, x: np.ndarray) -> np.ndarray:
        """x as an (n, k) array of the law's inputs (see as_rows)."""
        return as_rows(x, self.inputs, type(self).__name__)

    def fit(self, x: np.ndarray, y: np.ndarray) -> Law:
        """Fit by bounded least squares (Huber loss when huber_delta is set): the batched
        solver runs `n_starts` starting points at once, lmfit polishes the best of them (and
        reports standard errors). Raise LadderError when there are fewer points than
        parameters or lmfit does not converge."""
        import lmfit  # 0.5 s to import: only when a law is fitted

        x, y = self.as_x(x), np.asarray(y, dtype=float)
        p = len(self.parameters)
        if len(y) < p:
            raise LadderError(
                f"{type(self).__name__}: {len(y)} point(s) to fit {p} parameters; need at least {p}"
            )
        if not np.all(np.isfinite(x)) or not np.all(np.isfinite(y)):
            raise LadderError(f"{type(self).__name__}: the data to fit contain NaN or infinity")
        if self.log_residuals and np.any(y <= 0):
            raise LadderError(f"{type(self).__name__}: values must be positive for a log fit")

        def values(params: lmfit.Parameters) -> np.ndarray:
            return np.array([params[name].value for name in self.names])

        def residual(params: lmfit.Parameters) -> np.ndarray:
            return self._residuals(values(params), x, y)

        def jacobian(params: lmfit.Parameters) -> np.ndarray:
            return self._residual_jacobian(values(params), x)

        # every start at once by the batched solver, then lmfit polishes the best one
        starts = np.clip(self._starts(x, y), *self._bounds())
        thetas, _ = self._solve_batch(
            x, y, np.ones((len(starts), len(y))), starts, max_iter=START_ITERATIONS, rtol=1e-6
        )
        with np.errstate(all="ignore"):
            objectives = np.sum(huber(self._residuals(thetas, x, y), self.huber_delta), axis=-1)
        objectives[~np.isfinite(objectives)] = np.inf
        kws = {"loss": "huber", "f_scale": self.huber_delta} if self.huber_delta else {}
        best = None
        for start in (thetas[np.argmin(objectives)], starts[0]):
            params = lmfit.Parameters()
            for spec, value in zip(self.parameters, start, strict=True):
                params.add(spec.name, value=float(value), min=spec.min, max=spec.max)
            with np.errstate(all="ignore"):
                try:
                    result = lmfit.minimize(
                        residual, params, method="least_squares", Dfun=jacobian, **kws
                    )
                except (ValueError, FloatingPointError):
                    continue
            if not result.success or not np.all(np.isfinite(result.residual)):
                continue
            objective = float(np.sum(huber(result.residual, self.huber_delta)))
            if best is None or objective < best[0]:
                best = (objective, result)
            if np.isfinite(objectives).any():
                break  # the polished best start is enough; the fixed start is the fallback
        if best is None:
            raise LadderError(f"{type(self).__name__}: the fit did not converge from any start")
        fitted = best[1].params
        self.theta_ = np.array([fitted[name].value for name in self.names])
        self.params_ = dict(zip(self.names, self.theta_.tolist(), strict=True))
        self.stderr_ = {
            name: float("nan") if fitted[name].stderr is None else float(fitted[name].stderr)
            for name in self.names
        }
        self.residuals_ = self._residuals(self.theta_, x, y)
        self.n_obs_ = len(y)
        return self

    def predict(
        self, x: np.ndarray, theta: np.ndarray | None = None, checked: bool = True
    ) -> np.ndarray:
        """Vectorized prediction at x of shape (n, k); `theta` of shape (B, p) gives a (B, n)
        batch. `checked=False` skips the shape check (x broadcast against theta, e.g. a
        (B, n, k) array paired with B parameter vectors)."""
        if theta is None:
            self.check_fitted()
        theta = self.theta_ if theta is None else np.asarray(theta, dtype=float)
        x = self.as_x(x) if checked else np.asarray(x, dtype=float)
        with np.errstate(over="ignore", invalid="ignore"):
            return self._model(theta, x)

    def add_noise(self, predictions: np.ndarray, residuals: np.ndarray) -> np.ndarray:
        """Predictions moved by residuals of the fitting space (log or plain)."""
        if self.log_residuals:
            return predictions * np.exp(residuals)
        return predictions + residuals

    def refit(
        self,
        x: np.ndarray,
        y: np.ndarray,
        weights: np.ndarray,
        max_iter: int = 1000,
        rtol: float = 1e-9,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Solve B weighted fits at once (weights of shape (B, n), e.g. bootstrap counts),
        warm-started at `theta_`. Returns (thetas (B, p), converged (B,) booleans)."""
        x = self.as_x(x)
        weights = np.asarray(weights, dtype=float)
        starts = np.broadcast_to(self.theta_, (weights.shape[0], len(self.theta_)))
        return self._solve_batch(x, np.asarray(y, dtype=float), weights, starts, max_iter, rtol)

    def _solve_batch(
        self,
        x: np.ndarray,
        y: np.ndarray,
        weights: np.ndarray,
        starts: np.ndarray,
        max_iter: int = 1000,
        rtol: float = 1e-9,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The batched solver (ladder.laws.solver) on this law's residuals and bounds."""
        return levenberg_marquardt(
            lambda t: self._residuals(t, x, y),
            lambda t: self._residual_jacobian(t, x),
            weights,
            starts,
            self._bounds(),
            self.huber_delta,
            max_iter,
            rtol,
        )

    def bootstrap(
        self, x: np.ndarray, y: np.ndarray, weights: np.ndarray, rng: np.random.Generator
    ) -> Draws:
        """Refit under each row of `weights` and draw one residual of the fit per resample;
        rows that did not converge become NaN, so that they drop out of intervals. The draws
        are kept as `draws_` and returned."""
        thetas, converged = self.refit(x, y, weights)
        thetas[~converged] = np.nan
        noise = residual_draws(rng, self.residuals_, len(thetas))
        self.draws_ = Draws(thetas, noise, float(converged.mean()))
        return self.draws_

    def at_bounds(self) -> list[str]:
        """The fitted parameters that sit at one of their bounds."""
        return [
            spec.name
            for spec, value in zip(self.parameters, self.theta_, strict=True)
            if np.isclose(value, [spec.min, spec.max], rtol=1e-6, atol=1e-8).any()
        ]

    def __str__(self) -> str:
        return self.form() if hasattr(self, "params_") else "unfitted"

    def form(self) -> str:
        """The fitted law written out with its parameters' values."""
        raise NotImplementedError

    def summary(self) -> str:
        """A short fit report: the law, each parameter with its standard error, residuals."""
        if not self.is_fitted():
            return f"{self!r}: not fitted"
        lines = [f"{type(self).__name__}: {self}", f"  points: {self.n_obs_}"]
        bounded = set(self.at_bounds())
        for spec, value in zip(self.parameters, self.theta_, strict=True):
            bound = "  (at its bound)" if spec.name in bounded else ""
            lines.append(f"  {spec.name:>6} = {value:.6g} +/- {self.stderr_[spec.name]:.3g}{bound}")
        space = "log " if self.log_residuals else ""
        rms = float(np.sqrt(np.mean(self.residuals_**2)))
        lines.append(f"  rms {space}residual: {rms:.4g}")
        return "\n".join(lines)

    def is_fitted(self) -> bool:
        return hasattr(self, "theta_")

    def laws(self) -> dict[str, Law]:
        """The fitted laws a prediction rests on, by role ("" for the law itself)."""
        return {"": self}

    def sample(self, x: np.ndarray, paired: bool = False) -> np.ndarray:
        """Bootstrap predictions, each resample's parameters with its residual draw: at every
        row of x (n, k) (or (n,)), shape (B, n); (0, n) when the law has no draws. With
        `paired`, x has one row per resample, shape (B, n, k) or (B, n): resample b at its own
        points (how a chained predictor feeds step 1's draws into step 2)."""
        if not hasattr(self, "draws_"):
            self.check_fitted()
            return np.empty((0, np.shape(x)[-1] if paired else len(self.as_x(x))))
        draws = self.draws_
        if paired:
            x = np.asarray(x, dtype=float)
            x = x[..., None] if x.ndim == 2 else x
            predictions = self.predict(x, draws.thetas, checked=False)
        else:
            predictions = self.predict(x, draws.thetas)
        return self.add_noise(predictions, draws.noise[:, None])

    def _fitted_state(self) -> dict[str, Any]:
        """Parameters with standard errors, residuals and (after `bootstrap`) the draws, arrays
        encoded exactly; the law's form, inputs and bounds hit, for a reader of the JSON."""
        if not self.is_fitted():
            return {}
        out: dict[str, Any] = {
            "inputs": list(self.inputs),
            "form": str(self),
            "fitted": {
                "params": self.params_,
                "stderr": self.stderr_,
                "at_bounds": self.at_bounds(),
                "points": self.n_obs_,
                "residual_space": "log" if self.log_residuals else "linear",
                "rms_residual": float(np.sqrt(np.mean(self.residuals_**2))),
                "residuals": encode(self.residuals_),
            },
        }
        if hasattr(self, "draws_"):
            out["fitted"]["draws"] = {
                "thetas": encode(self.draws_.thetas),
                "noise": encode(self.draws_.noise),
                "converged_fraction": self.draws_.converged_fraction,
            }
        return out

    def _restore(self, document: dict[str, Any]) -> None:
        if "fitted" not in document:
            return
        data = document["fitted"]
        self.theta_ = np.array([float(data["params"][name]) for name in self.names])
        self.params_ = dict(zip(self.names, self.theta_.tolist(), strict=True))
        self.stderr_ = {
            name: float("nan") if data["stderr"][name] is None else float(data["stderr"][name])
            for name in self.names
        }
        self.residuals_ = decode(data["residuals"])
        self.n_obs_ = int(data["points"])
        if "draws" in data:
            draws = data["draws"]
            self.draws_ = Draws(
                decode(draws["thetas"]), decode(draws["noise"]), float(draws["converged_fraction"])
            )


def encode(array: np.ndarray) -> dict[str, Any]:
    """An array as base64 of its little-endian float64 bytes, with its shape (exact)."""
    array = np.ascontiguousarray(array, dtype="<f8")
    return {"shape": list(array.shape), "float64": base64.b64encode(array.tobytes()).decode()}


def decode(data: dict[str, Any]) -> np.ndarray:
    """The array `encode` wrote."""
    raw = base64.b64decode(data["float64"], validate=True)
    return np.frombuffer(raw, dtype="<f8").reshape(data["shape"]).copy()
