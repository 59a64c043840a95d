"""The batched solver behind every law: Levenberg-Marquardt for many bounded least-squares
problems at once (multi-start fits, bootstrap refits), with Huber's loss by iteratively
reweighted least squares, an active set at the bounds and projection onto them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

TINY = 1e-12


def huber(r: np.ndarray, delta: float | None) -> np.ndarray:
    """Huber's rho (0.5 r^2 inside delta, linear outside); plain 0.5 r^2 when delta is None."""
    if delta is None:
        return 0.5 * r**2
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))


def huber_weight(r: np.ndarray, delta: float | None) -> np.ndarray:
    """IRLS weight psi(r) / r of Huber's loss."""
    if delta is None:
        return np.ones_like(r)
    return np.minimum(1.0, delta / np.maximum(np.abs(r), TINY))


def _solve(matrices: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Batched solve of (B, p, p) systems; the pseudo-inverse where one is singular."""
    try:
        return np.linalg.solve(matrices, vectors[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return (np.linalg.pinv(matrices) @ vectors[..., None])[..., 0]


def levenberg_marquardt(
    residuals: Callable[[np.ndarray], np.ndarray],
    jacobian: Callable[[np.ndarray], np.ndarray],
    weights: np.ndarray,
    starts: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    delta: float | None,
    max_iter: int = 1000,
    rtol: float = 1e-9,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve one weighted problem per row of `weights` (B, n) from the row of `starts` (B, p):
    `residuals(theta)` (B, n) and `jacobian(theta)` (B, n, p) of a batch of parameter vectors,
    Huber threshold `delta` (None: least squares), parameters kept in `bounds` (low, high).
    Returns (thetas (B, p), converged (B,) booleans)."""
    low, high = bounds
    n_batch, p = starts.shape
    theta = np.array(starts, dtype=float)
    eye = np.eye(p)

    def objective(t: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r = residuals(t)
        obj = np.sum(w * huber(r, delta), axis=-1)
        return r, np.where(np.isfinite(obj), obj, np.inf)

    with np.errstate(all="ignore"):
        r, obj = objective(theta, weights)
        lam = np.full(n_batch, 1e-3)
        done = np.zeros(n_batch, dtype=bool)
        converged = np.zeros(n_batch, dtype=bool)
        for _ in range(max_iter):
            active = ~done
            if not active.any():
                break
            t, ra = theta[active], r[active]
            jac = jacobian(t)
            jtw = np.swapaxes(jac, -1, -2) * (weights[active] * huber_weight(ra, delta))[:, None, :]
            hess = jtw @ jac
            grad = (jtw @ ra[..., None])[..., 0]
            # active set: a parameter at a bound that the gradient pushes outwards stays
            frozen = ((t <= low) & (grad > 0)) | ((t >= high) & (grad < 0))
            keep = ~frozen
            hess = hess * (keep[:, :, None] & keep[:, None, :]) + frozen[:, :, None] * eye
            grad = np.where(frozen, 0.0, grad)
            diag = np.einsum("bii->bi", hess)
            lam_used = lam[active]
            damped = hess + (lam_used[:, None] * (diag + TINY))[..., None] * eye
            step = -_solve(damped, grad)
            # the gain the quadratic model promises for this step: with little damping it
            # is the Newton decrement, how much any step could still gain
            decrement = -np.einsum("bi,bi->b", grad, step) - 0.5 * np.einsum(
                "bi,bij,bj->b", step, hess, step
            )
            candidate = np.clip(t + step, low, high)
            rc, objc = objective(candidate, weights[active])
            better = objc < obj[active]
            scale = np.maximum(obj[active], TINY)
            gain = (obj[active] - objc) / scale
            idx = np.flatnonzero(active)
            upd = idx[better]
            theta[upd], r[upd], obj[upd] = candidate[better], rc[better], objc[better]
            lam[idx] = np.where(better, np.maximum(lam[idx] / 3, 1e-12), lam[idx] * 4)
            # converged: a negligible gain, or a nearly undamped step that promises none, or
            # no step at all improves (numerically at the minimum)
            finished = (
                (better & (gain < rtol))
                | ((lam_used < 1.0) & (np.abs(decrement) / scale < rtol))
                | (lam[idx] > 1e10)
            )
            converged[idx[finished]] = True
            done[idx[finished]] = True
    converged &= np.all(np.isfinite(theta), axis=-1) & np.isfinite(obj)
    return theta, converged
