"""`ladder forecast`: forecast one run's task loss and accuracy while it trains."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ladder import api
from ladder.cli.analyses import add_figure_args
from ladder.cli.common import (
    add_ladder_args,
    add_output,
    add_quiet,
    add_verb,
    count,
    ladder_spec,
    progress,
    split,
)

if TYPE_CHECKING:
    from ladder.fit.forecast_runs import Forecast


def register(sub: Any) -> None:
    forecast = add_verb(
        sub,
        "forecast",
        "forecast a run's task loss and accuracy at the end of its schedule",
        "Forecast one run (a spec target with a `checkpoints` run, or any table run) from its "
        "checkpoints so far and the ladder's whole curves: the learning-rate-aware law (arXiv "
        "2408.11029) fitted on the fit runs' curves sets the shape, the run's own recent "
        "checkpoints its level; accuracy through step 2's sigmoid. 95% intervals from "
        "backtests (each fit run cut at 10, 25 and 50% of its steps). The learning rates are "
        "the table's, else the spec's cosine schedule. Prints per task the forecast at the "
        "end (and at later checkpoints the table holds: their actual values beside).",
        [
            "ladder forecast --run 7B-4T --until 0.25",
            "ladder forecast -c configs/olmo-paper.yaml --run 1B-10xC --until 0.5 -o f.json",
            "ladder forecast --run 13B-5T --until 0.1 --output-dir plots --width column",
            "ladder forecast runs.csv --fit-runs 150M-1xC,300M-1xC,600M-1xC --run 1B-1xC",
        ],
    )
    add_ladder_args(forecast)
    forecast.add_argument(
        "--run", required=True, help="the run to forecast: a spec target or a table run"
    )
    forecast.add_argument(
        "--until",
        type=float,
        help="use only the run's checkpoints up to this fraction of its steps (a backtest; "
        "default: every checkpoint the table has)",
    )
    forecast.add_argument(
        "--end-step",
        type=count,
        help="the schedule's last step (default: a target's D over its tokens per step, "
        "else the run's last checkpoint)",
    )
    forecast.add_argument(
        "--warmup-steps",
        type=count,
        help="warm-up of the cosine schedule when the table has no learning rates "
        "(default: the spec's warmup_tokens_per_param x N tokens)",
    )
    forecast.add_argument(
        "--tasks", help="comma-separated tasks, by name or display name in any case (default: all)"
    )
    forecast.add_argument("--output-dir", metavar="DIR", help="write the forecast's figure here")
    add_figure_args(forecast, tasks=None)
    add_output(forecast, "write the forecast here (JSON)")
    add_quiet(forecast)
    forecast.set_defaults(func=run)


def _cell(predicted: float, lower: float, upper: float, digits: int) -> str:
    return f"{predicted:.{digits}f} [{lower:.{digits}f}, {upper:.{digits}f}]"


def _actual(value: float, digits: int) -> str:
    return "-" if value != value else f"{value:.{digits}f}"


ACCURACY_COLUMNS = ("accuracy", "accuracy_lower", "accuracy_upper", "actual_accuracy")


def format_forecast(result: Forecast, labels: dict[str, str]) -> str:
    """The forecast as text: per task (by its label) its end-of-schedule row and three earlier
    steps ahead; accuracy in points, like every verb's tables."""
    lines = [
        f"forecast of {result.run}: checkpoints to step {result.cut_step} of {result.end_step} "
        f"({result.cut_step / result.end_step:.0%}); learning rates: {result.rates}",
        f"{'task':<14} {'step':>8}  {'task loss (bpb) [95%]':<25} {'actual':>6}  "
        f"{'accuracy [95%]':<19} {'actual':>6}",
    ]
    for name, forecast in result.tasks.items():
        table = forecast.table
        picks = sorted({round(q * (len(table) - 1)) for q in (0.25, 0.5, 0.75, 1.0)})
        for _, row in table.iloc[picks].iterrows():
            points = [100 * row.get(k, float("nan")) for k in ACCURACY_COLUMNS]
            accuracy = _cell(*points[:3], 1) if "accuracy" in row else "-"
            lines.append(
                f"{labels.get(name, name):<14} {int(row['step']):>8}  "
                f"{_cell(row['loss'], row['loss_lower'], row['loss_upper'], 4):<25} "
                f"{_actual(row['actual_loss'], 4):>6}  {accuracy:<19} "
                f"{_actual(points[3], 1):>6}"
            )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ladder.files import write_json

    spec, table = ladder_spec(args, split(args.tasks, "--tasks") or None)
    result = api.forecast(
        spec,
        args.run,
        args.until,
        args.end_step,
        args.warmup_steps,
        table,
        progress=progress(args),
    )
    labels = spec.task_labels()
    print(format_forecast(result, labels))
    if args.output:
        print(f"wrote {write_json(args.output, result.to_dict())}")
    if args.output_dir:
        formats = tuple(split(args.formats, "--formats"))
        for path in api.save_forecast_figure(result, args.output_dir, formats, args.width, labels):
            print(f"wrote {path}")
    return 0
