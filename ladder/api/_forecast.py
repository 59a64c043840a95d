"""The forecast verb's API: one run's task loss and accuracy at later steps and at the end of its
schedule, from its checkpoints so far and the ladder (ladder.fit.forecast_runs)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ladder.api._fit import observations_for
from ladder.spec.ladder import LadderSpec

if TYPE_CHECKING:
    import pandas as pd

    from ladder.fit.forecast_runs import Forecast


def forecast(
    spec: LadderSpec,
    run: str,
    until: float | None = None,
    end_step: int | None = None,
    warmup_steps: int | None = None,
    data: pd.DataFrame | None = None,
    progress: bool = False,
) -> Forecast:
    """Forecast `run` (a table run, or a spec target with `checkpoints`) from its checkpoints
    up to `until` x its last step (None: all the table has) and the spec's fit runs, on `data`
    (default: the spec's table); see ladder.fit.forecast_runs.forecast_run."""
    from ladder.fit.forecast_runs import forecast_run
    from ladder.fit.points import FeatureFrames

    frames = FeatureFrames(observations_for(spec, data))
    return forecast_run(frames, spec, run, until, end_step, warmup_steps, progress)


def save_forecast_figure(
    result: Forecast,
    output_dir: str | Path,
    formats: tuple[str, ...] = ("png",),
    width: str = "page",
    labels: Mapping[str, str] | None = None,
) -> list[Path]:
    """The forecast figure (ladder.figures.forecast) as output_dir/forecast-<run>.<format>,
    `width` page (7 in) or column (3.3 in), panels titled by `labels` (task name -> display
    name: LadderSpec.task_labels)."""
    from ladder.figures.forecast import plot_forecast
    from ladder.figures.plots import save

    figure = plot_forecast(result.tasks, result.run, width, labels)
    return save(figure, Path(output_dir), f"forecast-{result.run}", formats)
