"""`ladder fit`: fit the two-step law and predict the targets."""

from __future__ import annotations

import argparse
from typing import Any

from ladder import api
from ladder.cli.common import (
    add_anchor,
    add_config,
    add_output,
    add_quiet,
    add_verb,
    fraction,
    pairs,
    progress,
    split,
)
from ladder.errors import LadderError
from ladder.spec.presets import PRESETS


def register(sub: Any) -> None:
    fit = add_verb(
        sub,
        "fit",
        "fit the two-step law and predict the targets",
        "Fit step 1 (task loss from N and D, on each fit run's final checkpoints) and step 2 "
        "(accuracy from task loss, on their intermediate checkpoints), chain them, and print "
        "per target and task: predicted accuracy, interval, actual, errors. Without a TABLE "
        "or --config: the bundled ladder of arXiv 2412.04403. Writes the fit (laws, "
        "bootstrap draws, predictions) as JSON to --output, by default to the user's data "
        f"folder ({api.fits_home()}/<spec>.json); `ladder plot FIT.json` reads it back.",
        [
            "ladder fit",
            "ladder fit -c configs/olmo-paper.yaml -o report.json",
            "ladder fit --target-checkpoints 0.25",
            "ladder fit --method paper --no-anchor --tasks mmlu",
            "ladder fit runs.csv --fit-runs 150M-1xC,150M-2xC,300M-1xC,300M-2xC,600M-1xC,"
            "600M-2xC --target 7B=6.9e9,2e12 --chance piqa=0.5",
        ],
    )
    fit.add_argument("table", nargs="?", help="an observation table (.parquet or .csv)")
    add_config(fit)
    fit.add_argument("--fit-runs", help="comma-separated runs to fit on (overrides the spec)")
    fit.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NAME=N,D[,RUN]",
        help="a model to predict: N parameters, D tokens, RUN holding its actual results "
        "(repeatable; overrides the spec's targets)",
    )
    fit.add_argument(
        "--tasks", help="comma-separated tasks, by name or display name in any case (default: all)"
    )
    fit.add_argument(
        "--chance",
        action="append",
        default=[],
        metavar="TASK=P",
        help="chance accuracy of a table task (default 0.25; repeatable)",
    )
    fit.add_argument(
        "--method",
        help="auto (the default: the mean of the candidate methods that best predict the "
        "ladder's own held-out rungs), paper (arXiv 2412.04403 exactly, bootstrap intervals), "
        "ensemble (every candidate), or one method: "
        + "; ".join(f"{name} ({m.about})" for name, m in PRESETS.items()),
    )
    add_anchor(fit)
    fit.add_argument(
        "--schedule",
        metavar="SHAPE[:KEY=VALUE,...]",
        help="the learning-rate schedule of runs that logged no learning_rate, for the "
        "whole-curve methods (lr, multipower): cosine, linear, constant or wsd, with warmup "
        "(share of steps below 1, else steps), floor (last rate / peak), decay (wsd: share of "
        "steps), steps (default: each run's last), peak; e.g. --schedule "
        "cosine:warmup=0.01,floor=0.1 --method multipower",
    )
    fit.add_argument("--top-k", type=int, help="auto: how many candidates to average (3)")
    fit.add_argument(
        "--final-window", type=int, help="step 1: average each run's last K evaluations (5)"
    )
    fit.add_argument(
        "--skip-fraction", type=float, help="step 2: drop each run's first share of checkpoints"
    )
    fit.add_argument("--moving-average", type=int, help="step 2: smooth over K checkpoints (5)")
    fit.add_argument("--bootstrap", type=int, help="paper method: bootstrap resamples (1000)")
    fit.add_argument("--level", type=fraction, help="interval coverage (0.95)")
    fit.add_argument("--seed", type=int, help="random seed of the fits (0)")
    fit.add_argument(
        "--target-checkpoints",
        type=float,
        metavar="FRACTION",
        help="also forecast each target that names a checkpoints run from its checkpoints up "
        "to this fraction of its steps (1: all the table has), as `ladder forecast` does; "
        "e.g. --target-checkpoints 0.25",
    )
    add_output(fit, "write the fit here (JSON)")
    add_quiet(fit)
    fit.set_defaults(func=run)


OPTION_FLAGS = (
    "method",
    "anchor",
    "schedule",
    "top_k",
    "final_window",
    "skip_fraction",
    "moving_average",
    "bootstrap",
    "seed",
    "level",
    "target_checkpoints",
)


def fit_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The fit options given as flags (validated with the spec)."""
    values = {key: getattr(args, key, None) for key in OPTION_FLAGS}
    return {key: value for key, value in values.items() if value is not None}


def spec_and_table(args: argparse.Namespace):
    """The spec (a config, or a table with runs/targets from flags) and its table."""
    from ladder.spec.ladder import parse_target

    targets = [parse_target(text) for text in args.target]
    if args.table is not None:
        if args.config:
            raise LadderError("give either a table or --config, not both")
        if not args.fit_runs:
            raise LadderError("--fit-runs is required with a table (the runs to fit the laws on)")
        return api.table_spec(
            args.table,
            split(args.fit_runs, "--fit-runs"),
            targets,
            split(args.tasks, "--tasks") or None,
            pairs(args.chance, "--chance"),
            **fit_overrides(args),
        )
    if args.chance:
        raise LadderError("--chance is for a plain table; a spec sets each task's chance")
    spec = api.spec(args.config)
    changes = fit_overrides(args)
    if args.fit_runs:
        changes["runs"] = split(args.fit_runs, "--fit-runs")
    spec = spec.with_fit(**changes)
    if targets:
        spec = spec.replace(targets=targets)
    if args.tasks:
        spec = spec.with_tasks(split(args.tasks, "--tasks"))
    return spec, api.table(spec)


def run(args: argparse.Namespace) -> int:
    from ladder.fits.report import format_text

    spec, table = spec_and_table(args)
    fit = api.fit(spec, table, progress=progress(args))
    print(format_text(fit))
    path = api.save_fit(fit, args.output)
    print(f"\nwrote {path}")
    return 0
