"""`ladder fit`: fit the two-step law and predict the targets."""

from __future__ import annotations

import argparse
from typing import Any

from ladder import api
from ladder.cli.common import (
    add_anchor,
    add_ladder_args,
    add_output,
    add_quiet,
    add_verb,
    fraction,
    ladder_spec,
    progress,
    split,
)
from ladder.spec.presets import FALLBACK, MIN_HELD_OUT, PRESETS


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
        f"folder ({api.fits_home()}/<spec>.json); `ladder plot FIT.json` reads it back. "
        "What auto needs: its rollouts fit the smallest fit sizes and predict the larger runs, "
        f"so it chooses among the candidates when they hold out at least {MIN_HELD_OUT} runs "
        "(3 fit sizes with 2 or more runs at the largest, e.g. 3 sizes x 2 token multipliers; "
        "or 2 fit sizes and 2 larger non-target runs in the table). With fewer it predicts "
        f"with the mean of {' and '.join(FALLBACK)} and says so on its Method line; fit runs "
        "of a single (N, D) are an error. Steps 1 and 2 use each run's last evaluations "
        "and its checkpoints: a table of final checkpoints only fits, with a warning. A task "
        "without accuracy predicts its task loss, fitted apart from the tasks with accuracy.",
        [
            "ladder fit",
            "ladder fit -c configs/olmo-paper.yaml -o report.json",
            "ladder fit --target-checkpoints 0.25",
            "ladder fit --method paper --no-anchor --tasks mmlu",
            "ladder fit runs.csv --fit-runs 150M-1xC,150M-2xC,300M-1xC,300M-2xC,600M-1xC,"
            "600M-2xC --target 7B=6.9e9,2e12 --chance piqa=0.5",
        ],
    )
    add_ladder_args(fit)
    fit.add_argument(
        "--tasks", help="comma-separated tasks, by name or display name in any case (default: all)"
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
    fit.add_argument("--top-k", type=int, help="auto: how many candidates to average (5)")
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
    """The fit options' flags (None: not given; validated with the spec)."""
    return {key: getattr(args, key, None) for key in OPTION_FLAGS}


def run(args: argparse.Namespace) -> int:
    from ladder.fits.report import format_text

    spec, table = ladder_spec(args, split(args.tasks, "--tasks") or None, **fit_overrides(args))
    fit = api.fit(spec, table, progress=progress(args))
    print(format_text(fit))
    path = api.save_fit(fit, args.output)
    print(f"\nwrote {path}")
    return 0
