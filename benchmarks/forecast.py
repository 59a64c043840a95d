"""`ladder forecast` on the bundled ladder (run by hand; results in benchmarks/forecast.md).

    python benchmarks/forecast.py

(a) Each fit rung's final task loss forecast from its first 10, 25 and 50% of checkpoints
    (the law refitted without it, ladder.fit.forecast.backtests): mean relative error over
    16 rungs x 8 tasks, beside the law alone (no points of the run) at its end.
(b) 7B-4T and 13B-5T: the end-of-schedule accuracy forecast from each target's first 10, 25
    and 50% of steps plus the ladder, per task, relative error and whether the actual is in
    the 95% interval, beside `ladder fit`'s default (auto) prediction of the same target.
"""

from __future__ import annotations

import time

import pandas as pd

from ladder import api
from ladder.fit.forecast import backtests
from ladder.fit.methods import step2_sigmoid
from ladder.fit.points import FeatureFrames, task_points
from ladder.spec.presets import PRESETS

FRACTIONS = (0.1, 0.25, 0.5)


def rungs(spec, table) -> pd.DataFrame:
    """(a): the backtests of every task, pooled."""
    frames = FeatureFrames(table)
    parts = []
    for task in spec.tasks:
        points = task_points(frames, task, "task_loss", spec.fit_runs, spec.step2_runs, spec.fit)
        sigmoid = step2_sigmoid(points, PRESETS["lr"], spec.fit)
        rows = backtests(points, frames, spec.fit_runs, spec.fit, sigmoid, FRACTIONS)
        parts.append(rows.assign(task=task.name))
    out = pd.concat(parts, ignore_index=True)
    out["forecast_error"] = (out["loss"] / out["actual_loss"] - 1).abs()
    out["law_error"] = (out["law_loss"] / out["actual_loss"] - 1).abs()
    return out


def targets(spec) -> pd.DataFrame:
    """(b): per target, fraction and task, the forecast's and `ladder fit`'s accuracy errors."""
    fit = api.fit(spec)
    rows = []
    for target in spec.targets:
        for fraction in FRACTIONS:
            result = api.forecast(spec, target.name, fraction)
            for name, forecast in result.tasks.items():
                end = forecast.table.iloc[-1]
                chained = fit.tasks[name].predictions[target.name].chained
                actual = chained.actual
                rows.append(
                    {
                        "target": target.name,
                        "fraction": fraction,
                        "task": name,
                        "actual": actual,
                        "forecast": end["accuracy"],
                        "forecast_error": abs(end["accuracy"] / actual - 1),
                        "forecast_inside": end["accuracy_lower"] <= actual <= end["accuracy_upper"],
                        "fit": chained.predicted,
                        "fit_error": abs(chained.predicted / actual - 1),
                        "fit_inside": chained.lower <= actual <= chained.upper,
                    }
                )
    return pd.DataFrame(rows)


def main() -> None:
    spec = api.spec()
    table = api.table(spec)
    start = time.perf_counter()
    a = rungs(spec, table)
    print(f"(a) fit rungs' final task loss, leave-one-out ({time.perf_counter() - start:.0f} s)")
    summary = a.groupby("fraction")[["forecast_error", "law_error"]].mean().mul(100)
    print(summary.round(2).to_string())
    start = time.perf_counter()
    b = targets(spec)
    print(f"\n(b) targets' final accuracy ({time.perf_counter() - start:.0f} s)")
    columns = ["forecast_error", "forecast_inside", "fit_error", "fit_inside"]
    summary = b.groupby(["target", "fraction"])[columns].mean()
    summary[["forecast_error", "fit_error"]] *= 100
    print(summary.round(2).to_string())
    wins = b.assign(better=b["forecast_error"] < b["fit_error"]).groupby("fraction")["better"]
    print("\nshare of (target, task) where the forecast beats `ladder fit`:")
    print(wins.mean().round(2).to_string())
    print("\nper task (relative error %, forecast | fit):")
    b["cell"] = [
        f"{100 * f:.1f} | {100 * g:.1f}"
        for f, g in zip(b["forecast_error"], b["fit_error"], strict=True)
    ]
    print(
        b.pivot_table(
            index=["target", "fraction"], columns="task", values="cell", aggfunc="first"
        ).to_string()
    )


if __name__ == "__main__":
    main()
