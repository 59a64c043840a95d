"""One shard of a sharded `ladder collect`: `python -m ladder.collect.worker --plan PLAN
[--shard K]`.

What the Slurm array tasks (`--shard $SLURM_ARRAY_TASK_ID`) and the torchrun ranks (the shard
is the rank) run; see ladder.collect.shards.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ladder.errors import LadderError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ladder.collect.worker")
    parser.add_argument("--plan", required=True, help="the plan.json written by ladder collect")
    parser.add_argument("--shard", type=int, help="the shard to score (default: $RANK)")
    args = parser.parse_args(argv)
    from ladder.collect.shards import run_shard

    shard = args.shard if args.shard is not None else int(os.environ.get("RANK", "0"))
    try:
        added = run_shard(Path(args.plan), shard)
    except LadderError as exc:
        print(f"ladder collect worker: error: {exc}", file=sys.stderr)
        return 2
    print(f"shard {shard}: {added} rows merged into the table", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
