"""One rung's training process: `python -m ladder.train.worker --config SPEC --rung NAME`.

What torchrun and the Slurm scripts run on every rank: it sets up OLMo-core's distributed
environment (gloo on CPU, NCCL on GPUs) and trains the rung, resuming from its latest checkpoint.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ladder.errors import LadderError


def _backend() -> str | None:
    """NCCL (with gloo for CPU collectives) on GPUs; gloo across CPU processes; none for one
    CPU process (a Slurm task without torchrun)."""
    import os

    import torch

    if torch.cuda.is_available():
        return "cpu:gloo,cuda:nccl"
    ranks = int(os.environ.get("WORLD_SIZE", os.environ.get("SLURM_NTASKS", "1")))
    return "gloo" if ranks > 1 else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ladder.train.worker")
    parser.add_argument("--config", required=True, help="the ladder spec (YAML)")
    parser.add_argument("--rung", required=True, help="the rung to train, e.g. 190M-1xC")
    args = parser.parse_args(argv)
    from olmo_core.train import prepare_training_environment, teardown_training_environment

    from ladder.runs.folder import model_config
    from ladder.spec.ladder import load_spec
    from ladder.train.launch import ladder_plan
    from ladder.train.olmo import train_rung

    try:
        spec = load_spec(Path(args.config))
        (rung,) = ladder_plan(spec, [args.rung])
        prepare_training_environment(seed=spec.train.seed, backend=_backend())
        try:
            config = model_config(spec.train, rung.size)
            train_rung(spec.train, rung, config, observations=spec.data)
        finally:
            teardown_training_environment()
    except LadderError as exc:
        print(f"ladder worker: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
