"""How far a point (N, D) lies from the fit runs, and the `far` warning: pure, on a task's final
points, so that `ladder fit` (ladder.fit.diagnostics) and `ladder predict` say the same.

A point is far beyond FAR_COMPUTE x the largest fit run's compute, FAR_PARAMS x its N, or
FAR_RATIO x the fit runs' tokens-per-parameter range.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ladder.laws.flops import training_flops

FAR_COMPUTE = 1000.0
FAR_PARAMS = 30.0
FAR_RATIO = 10.0


def warning(task: str, check: str, message: str, target: str | None = None) -> dict[str, Any]:
    """A fit warning: `task`, `target` (None: about the task's laws), `check`, `message`."""
    return {"task": task, "target": target, "check": check, "message": message}


def extrapolation(points: pd.DataFrame, params: float, tokens: float) -> dict[str, float]:
    """How many times a target's N, D and C = 6 N D exceed the largest fit run's, and its
    tokens per parameter."""
    n = points["params"].to_numpy(dtype=float)
    d = points["tokens"].to_numpy(dtype=float)
    return {
        "params_ratio": params / n.max(),
        "tokens_ratio": tokens / d.max(),
        "compute_ratio": training_flops(params, tokens) / training_flops(n, d).max(),
        "tokens_per_param": tokens / params,
    }


def far_message(points: pd.DataFrame, params: float, tokens: float) -> str | None:
    """The `far` warning's message for (N, D) = (`params`, `tokens`) against the fit runs'
    final `points`; None when it is within reach."""
    far = extrapolation(points, params, tokens)
    ratio = points["tokens"].to_numpy(dtype=float) / points["params"].to_numpy(dtype=float)
    outside = (
        far["tokens_per_param"] > FAR_RATIO * ratio.max()
        or far["tokens_per_param"] < ratio.min() / FAR_RATIO
    )
    if not (far["compute_ratio"] > FAR_COMPUTE or far["params_ratio"] > FAR_PARAMS or outside):
        return None
    return (
        f"{far['params_ratio']:.3g}x the largest fit N, {far['tokens_ratio']:.3g}x its "
        f"D, {far['compute_ratio']:.3g}x its compute, {far['tokens_per_param']:.3g} "
        "tokens per parameter: far outside what the ladder measured"
    )


def point_name(params: float, tokens: float) -> str:
    """A point of a prediction grid as `ladder predict` prints it."""
    return f"N = {params:.4g}, D = {tokens:.4g}"
