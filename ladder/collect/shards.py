"""`ladder collect` spread over processes: the pending checkpoints split into shards, each
scored by its own process (a task of a Slurm array job, or a torchrun rank) that writes its
rows to its own shard file; the shard files are merged into the table under its lock.

The work folder beside the table (`<table>.collect/`) holds `plan.json` (what each shard
scores and how, written by the launcher), `shard-<k>.parquet` (shard k's rows, appended after
each checkpoint) and, for Slurm, `job.sbatch` and the tasks' `slurm-<job>_<k>.out` logs.

No row is lost or duplicated: a shard file and the table are only written by
`observations.append` (atomic, idempotent, locked), and a shard file is merged into the table
and removed under the shard file's lock, which its shard's appends take too. A shard that is
killed leaves the checkpoints it finished in its file; running the same command again merges
every shard file left there, then scores (in new shards) whatever still has no rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ladder.collect.collector import Pending, pending_checkpoints, score_and_append
from ladder.collect.settings import EvalSettings
from ladder.data import observations
from ladder.errors import LadderError
from ladder.files import locked, read_json, write_json, write_text
from ladder.runs.cluster import directive, quote, slurm_directives, submit, torchrun
from ladder.spec.train import SlurmSpec

PLAN = "plan.json"
WORKER = "ladder.collect.worker"


@dataclass(frozen=True)
class Plan:
    """What the shards of one sharded collect score, and how: the spec file (the workers read
    the rungs and model sizes from it), the table, the evaluation settings (their tokenizer
    pinned) and, per shard, its checkpoints as (run, step)."""

    config: str
    table: str
    settings: EvalSettings
    shards: list[list[tuple[str, int]]]


def work_dir(table: Path) -> Path:
    """The folder of a sharded collect into `table`: `<table>.collect` beside it."""
    return table.with_name(f"{table.name}.collect")


def split(pending: Sequence[Pending], count: int) -> list[list[tuple[str, int]]]:
    """The checkpoints dealt round-robin into at most `count` shards (neighbouring steps of
    a rung, alike in cost, go to different shards)."""
    count = max(1, min(count, len(pending)))
    return [[(p.run, p.step) for p in pending[k::count]] for k in range(count)]


def write_plan(plan: Plan) -> Path:
    return write_json(work_dir(Path(plan.table)) / PLAN, asdict(plan))


def read_plan(path: Path) -> Plan:
    raw = read_json(path, "collect plan")
    try:
        settings = EvalSettings(**raw["settings"])
        shards = [[(str(run), int(step)) for run, step in shard] for shard in raw["shards"]]
        return Plan(**{**raw, "settings": settings, "shards": shards})
    except (KeyError, TypeError, ValueError) as exc:
        raise LadderError(f"{path}: not a plan written by `ladder collect` ({exc})") from None


def shard_file(folder: Path, shard: int) -> Path:
    return folder / f"shard-{shard}.parquet"


def merge(part: Path, table: Path) -> int:
    """Append the rows of a shard file to the table and remove it (under the shard file's
    lock, so no append to it falls in between); the rows added."""
    with locked(part):
        if not part.is_file():
            return 0
        added = observations.append(observations.read(part), table)
        part.unlink()
    return added


def merge_all(table: Path) -> int:
    """Merge every shard file left in the table's work folder (shards killed or still
    running); the rows added."""
    folder = work_dir(table)
    parts = sorted(folder.glob("shard-*.parquet")) if folder.is_dir() else []
    return sum(merge(part, table) for part in parts)


def shard_device(device: str) -> str:
    """A torchrun rank's own GPU for `cuda` (LOCAL_RANK), else `device`."""
    local = os.environ.get("LOCAL_RANK")
    return f"cuda:{local}" if device == "cuda" and local is not None else device


def run_shard(plan_path: Path, shard: int) -> int:
    """Score shard `shard` of a plan: each of its checkpoints that neither the table nor the
    shard file has rows for, appending the rows to the shard file checkpoint by checkpoint;
    then merge the file into the table. The rows added to the table."""
    from ladder.runs.tokenizer import load_tokenizer
    from ladder.spec.ladder import load_spec

    plan = read_plan(plan_path)
    table = Path(plan.table)
    if shard >= len(plan.shards):  # a task of an older, larger plan
        return 0
    part = shard_file(work_dir(table), shard)
    assigned = set(plan.shards[shard])
    have = observations.keys_in(table) | observations.keys_in(part)
    settings = replace(plan.settings, device=shard_device(plan.settings.device))
    spec = load_spec(Path(plan.config))
    pending = pending_checkpoints(spec, settings.tasks, have, settings.device)
    todo = [item for item in pending if (item.run, item.step) in assigned]
    if todo:
        evaluator = settings.evaluator(load_tokenizer(settings.tokenizer_spec(spec)))
        for item in todo:
            score_and_append([item], evaluator, part, settings.device)
            print(f"shard {shard}: {item.run} step {item.step} scored", flush=True)
    return merge(part, table)


def slurm_script(plan_path: Path, shards: int, slurm: SlurmSpec) -> str:
    """An array job of `shards` tasks, task k running shard k on one GPU (with slurm.gpus)."""
    folder = plan_path.parent.resolve()
    lines = [
        "#!/bin/bash",
        directive("job-name", "ladder-collect"),
        directive("array", f"0-{shards - 1}"),
        directive("ntasks", 1),
        directive("output", f"{folder}/slurm-%A_%a.out"),
    ]
    if slurm.gpus:
        lines.append(directive("gpus", 1))
    lines += slurm_directives(slurm)
    worker = [quote(sys.executable), "-m", WORKER, "--plan", quote(plan_path.resolve())]
    lines += ["set -euo pipefail", " ".join([*worker, '--shard "$SLURM_ARRAY_TASK_ID"']), ""]
    return "\n".join(lines)


def launch_slurm(plan_path: Path, shards: int, slurm: SlurmSpec) -> str:
    """Write the array job's script beside the plan and submit it; the job id."""
    script = write_text(plan_path.parent / "job.sbatch", slurm_script(plan_path, shards, slurm))
    return submit(script)


def launch_torchrun(plan_path: Path, shards: int) -> None:
    """Run the shards as the ranks of one torchrun on this node and wait for them."""
    program = (sys.executable, "-m", "torch.distributed.run")  # this environment's torchrun
    command = [*torchrun(shards, program=program), "-m", WORKER, "--plan", str(plan_path)]
    result = subprocess.run(command, check=False)
    if result.returncode:
        raise LadderError(
            f"torchrun exited with {result.returncode}; run the same command again to merge "
            "what the shards finished and score the rest"
        )
