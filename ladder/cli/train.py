"""`ladder train`: plan and train the ladder's rungs with OLMo-core."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ladder import api
from ladder.cli.common import add_config, add_quiet, add_verb, progress, split
from ladder.spec.train import LAUNCHERS


def register(sub: Any) -> None:
    train = add_verb(
        sub,
        "train",
        "train the ladder's rungs with OLMo-core",
        "Plan every rung of the spec's `train` section (N, D = k x 20 N, batch and LR by the "
        "paper's rules, steps, FLOPs, GPU-hours; with `schedule: wsds` one run per size whose "
        "decays end at every multiplier, and the compute that saves) and train the unfinished "
        "ones: in this process "
        "(local: CPU or one GPU), with torchrun on this node's GPUs, or as one Slurm job per "
        "rung. Checkpoints go to train.output/<rung>; re-running resumes each unfinished rung "
        "from its latest checkpoint and skips finished ones. With train.eval, the in-loop "
        "evaluator appends task loss and accuracy to the spec's `data` table.",
        [
            "ladder train --dry-run",
            "ladder train -c configs/tiny.yaml && ladder fit -c configs/tiny.yaml",
            "ladder train --dry-run -c configs/olmo-paper-wsds.yaml",
        ],
    )
    add_config(train)
    train.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan and the checks, train nothing; with the slurm launcher also write "
        "each rung's job script (train.output/<rung>/job.sbatch) to read, submitting none",
    )
    train.add_argument("--launcher", choices=LAUNCHERS, help="override the spec's train.launcher")
    train.add_argument("--rungs", help="comma-separated rungs to train (default: all)")
    train.add_argument("--output-dir", metavar="DIR", help="override the spec's train.output")
    add_quiet(train)
    train.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ladder.errors import LadderError
    from ladder.train.report import format_plan

    config = args.config or api.default_spec_path()
    spec = api.spec(config)
    if spec.train is None:
        raise LadderError(f"{config}: no `train` section (see configs/tiny.yaml)")
    changes = {"output": args.output_dir, "launcher": args.launcher}
    changes = {key: value for key, value in changes.items() if value is not None}
    if changes:
        spec = spec.replace(train=spec.train.replace(**changes))
    result = api.train(spec, config, split(args.rungs, "--rungs"), args.dry_run, progress(args))
    if args.dry_run:
        print(format_plan(result.plan, spec.train))
        checks = [f"  not ready: {p}" for p in result.problems] or ["  ready to train"]
        print("\n".join(["checks:", *checks]))
    if result.corpus_tokens is not None:
        print(f"{spec.train.corpus[0]}: {result.corpus_tokens:,} tokens of the built-in corpus")
    scripts = [Path(job.detail) for job in result.jobs if job.status == "written"]
    if scripts:
        folder = Path(os.path.commonpath([script.parent.parent for script in scripts]))
        print(
            f"wrote {len(scripts)} Slurm job scripts, one per rung, to {folder}/<rung>/"
            f"{scripts[0].name} (nothing submitted; `ladder train` submits them)"
        )
    for job in result.jobs:
        if job.status != "written":
            print(f"{job.rung}: {job.status} {job.detail}".rstrip())
    return 0
