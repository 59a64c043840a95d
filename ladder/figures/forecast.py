"""The forecast of one run (ladder.fit.forecast) in ladder.figures.style's look: per task, its
accuracy against tokens, the checkpoints observed, the forecast with its band to the end of
the schedule, the end point, and the later checkpoints where the table has them."""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ladder.figures.legend import LegendEntries, finish
from ladder.figures.style import (
    ACTUAL_MARKER,
    EXTRAPOLATED,
    NEUTRAL,
    PREDICTED_MARKER,
    accuracy_y,
    grid,
    log_x,
    panel_titles,
    styled,
)
from ladder.fit.forecast import TaskForecast

OBSERVED = "#1f77b4"
FORECAST = "#d62728"


@styled
def plot_forecast(
    forecasts: Mapping[str, TaskForecast],
    run: str,
    width: str = "page",
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Accuracy (in points) against tokens D for each task of a run's forecast (task loss where
    the task has no accuracy), each panel titled by the task's display name in `labels`
    (task name -> display name, as every figure titles a task; default: the name)."""
    layout = grid(len(forecasts), width)
    legend = LegendEntries()
    for ax, f in zip(layout.axes, forecasts.values(), strict=True):
        metric = "accuracy" if "accuracy" in f.table else "loss"
        seen = f.observed.dropna(subset=[metric])
        seen = seen[seen["tokens"] > 0]  # step 0 has no place on a log axis, nor in its y range
        ax.plot(seen["tokens"], seen[metric], color=OBSERVED, lw=1)
        ahead = f.table
        ax.fill_between(
            ahead["tokens"],
            ahead[f"{metric}_lower"],
            ahead[f"{metric}_upper"],
            color=FORECAST,
            alpha=0.15,
            lw=0,
        )
        ax.plot(ahead["tokens"], ahead[metric], color=FORECAST, ls=EXTRAPOLATED, lw=1)
        actual = ahead.dropna(subset=[f"actual_{metric}"])
        ax.plot(actual["tokens"], actual[f"actual_{metric}"], color=NEUTRAL, lw=0.6)
        end = ahead.iloc[-1]
        ax.plot(end["tokens"], end[metric], PREDICTED_MARKER, color=FORECAST, ms=5)
        if end[f"actual_{metric}"] == end[f"actual_{metric}"]:
            ax.plot(end["tokens"], end[f"actual_{metric}"], ACTUAL_MARKER, color=NEUTRAL)
        log_x(ax)
        if metric == "accuracy":
            accuracy_y(ax)
    panel_titles(layout, [((labels or {}).get(name, name), ()) for name in forecasts])
    layout.label("tokens D", "accuracy (%)" if metric == "accuracy" else "task loss (bpb)")
    legend.add("curves", "observed", Line2D([], [], color=OBSERVED))
    legend.add("curves", "forecast", Line2D([], [], color=FORECAST, ls=EXTRAPOLATED), 1)
    legend.add("curves", "interval", Patch(color=FORECAST, alpha=0.15), 2)
    legend.add("curves", "later checkpoints", Line2D([], [], color=NEUTRAL, lw=0.6), 3)
    legend.add("targets", "end forecast", Line2D([], [], color=FORECAST, marker="x", ls="none"))
    legend.add("targets", "end actual", Line2D([], [], color=NEUTRAL, marker="o", ls="none"), 1)
    return finish(layout, legend, f"Forecast of {run}")
