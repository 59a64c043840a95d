"""Launchers: run a ladder's unfinished rungs in this process (`local`), under torchrun on one
node's GPUs (`torchrun`), or as one Slurm job per rung running torchrun across nodes (`slurm`).

Every launcher checks the whole plan and the corpus first, so bad input fails before anything
starts, and skips rungs whose folder says DONE; an unfinished rung resumes from its latest
checkpoint.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ladder.errors import LadderError
from ladder.files import write_text
from ladder.runs.cluster import directive, quote, slurm_directives, submit, torchrun
from ladder.runs.folder import RungPlan, is_done, model_config, rung_dir
from ladder.spec.ladder import LadderSpec
from ladder.train.olmo import check_corpus
from ladder.train.plan import plan_ladder

WORKER = "ladder.train.worker"


@dataclass(frozen=True)
class Job:
    """What a launcher did with one rung: 'done' (skipped), 'trained', 'submitted' (a Slurm
    job id in `detail`) or 'written' (a script, --dry-run)."""

    rung: str
    status: str
    detail: str = ""


def ladder_plan(spec: LadderSpec, only: Sequence[str] = ()) -> list[RungPlan]:
    """The spec's rungs (or those named in `only`); LadderError if the spec cannot train."""
    from ladder.collect.evaluate import check_tasks
    from ladder.runs.tokenizer import token_config

    if spec.train is None:
        raise LadderError("the spec has no `train` section (see configs/tiny.yaml)")
    if spec.train.eval is not None:
        check_tasks(spec.train.eval.tasks)
        evaluated = set(spec.train.eval.tasks)
        if spec.train.validation is not None:  # its loss is recorded as a task of its own
            evaluated.add(spec.train.validation.stem)
        for task in spec.tasks:
            missing = [source for source in task.sources if source not in evaluated]
            if missing:
                raise LadderError(
                    f"task {task.name!r}: its source {missing[0]!r} is not among the tasks "
                    "training evaluates, so it would record nothing for it (evaluated: "
                    f"{', '.join(sorted(evaluated))})"
                )
    rungs = plan_ladder(spec.train, token_config(spec.train.tokenizer).vocab_size)
    if only:
        names = {r.name for r in rungs}
        unknown = [name for name in only if name not in names]
        if unknown:
            raise LadderError(f"unknown rung {unknown[0]!r}; the plan has {', '.join(names)}")
        rungs = [r for r in rungs if r.name in only]
    return rungs


def readiness(spec: LadderSpec) -> list[str]:
    """What would stop the ladder from training now, as sentences (none: ready): corpus files
    not there (unless a built-in corpus will be tokenized), a tokenizer file not there, an
    output folder that cannot be created."""
    import os

    from ladder.runs.tokenizer import tokenizer_file

    train, problems = spec.train, []
    missing = [str(p) for p in train.corpus if not p.is_file() or p.stat().st_size == 0]
    if missing and train.builtin_corpus is None:
        problems.append(f"corpus file(s) missing: {', '.join(missing)} (`ladder prepare-data`)")
    if train.eval is not None:
        try:
            tokenizer_file(train.tokenizer)
        except LadderError as exc:
            problems.append(f"evaluation tokenizer: {exc}")
    folder = train.output
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        problems.append(f"output folder {train.output}: {folder} is not a writable folder")
    return problems


def unfinished(spec: LadderSpec, rungs: Sequence[RungPlan], jobs: list[Job]) -> list[RungPlan]:
    """The rungs not yet DONE; a 'done' Job is recorded in `jobs` for each of the others."""
    todo = []
    for rung in rungs:
        if is_done(spec.train, rung.name):
            jobs.append(Job(rung.name, "done"))
        else:
            todo.append(rung)
    return todo


def worker_args(config: Path, rung: RungPlan) -> list[str]:
    return ["-m", WORKER, "--config", str(config.resolve()), "--rung", rung.name]


def run_local(
    spec: LadderSpec,
    rungs: Sequence[RungPlan],
    on_rung: Callable[[RungPlan], Callable[[int, int], None] | None] = lambda r: None,
) -> list[Job]:
    """Train each unfinished rung in this process, one after another."""
    from ladder.train.olmo import train_rung

    check_corpus(spec.train)
    jobs: list[Job] = []
    for rung in unfinished(spec, rungs, jobs):
        config = model_config(spec.train, rung.size)
        train_rung(spec.train, rung, config, on_step=on_rung(rung), observations=spec.data)
        jobs.append(Job(rung.name, "trained"))
    return jobs


def run_torchrun(spec: LadderSpec, config: Path, rungs: Sequence[RungPlan]) -> list[Job]:
    """Train each unfinished rung with torchrun on this node's GPUs, one after another."""
    check_corpus(spec.train)
    jobs: list[Job] = []
    for rung in unfinished(spec, rungs, jobs):
        command = [*torchrun(spec.train.gpus_per_node), *worker_args(config, rung)]
        result = subprocess.run(command, check=False)
        if result.returncode:
            raise LadderError(f"rung {rung.name}: torchrun exited with {result.returncode}")
        jobs.append(Job(rung.name, "trained"))
    return jobs


def slurm_script(spec: LadderSpec, config: Path, rung: RungPlan) -> str:
    """The sbatch script of one rung: one task per node, each running torchrun."""
    train = spec.train
    folder = rung_dir(train, rung.name).resolve()
    lines = [
        "#!/bin/bash",
        directive("job-name", f"ladder-{rung.name}"),
        directive("nodes", train.nodes),
        directive("ntasks-per-node", 1),
        directive("output", f"{folder}/slurm-%j.out"),
    ]
    if train.slurm.gpus:
        lines.append(directive("gpus-per-node", train.gpus_per_node))
    lines += slurm_directives(train.slurm)
    python = quote(sys.executable)
    worker = [quote(arg) for arg in worker_args(config, rung)]
    if train.gpus_per_node > 1 or train.nodes > 1:
        program = (python, "-m", "torch.distributed.run")  # the venv's torchrun on every node
        run = " ".join([*torchrun(train.gpus_per_node, train.nodes, program), *worker])
    else:
        run = " ".join([python, *worker])
    lines += [
        "set -euo pipefail",
        'export MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"',
        f"srun {run}",
        "",
    ]
    return "\n".join(lines)


def launch(
    spec: LadderSpec,
    config: Path,
    rungs: Sequence[RungPlan],
    on_rung: Callable[[RungPlan], Callable[[int, int], None] | None] = lambda r: None,
) -> list[Job]:
    """Train the unfinished rungs with the spec's launcher (local, torchrun or slurm)."""
    launcher = spec.train.launcher
    if launcher == "slurm":
        return run_slurm(spec, config, rungs)
    if launcher == "torchrun":
        return run_torchrun(spec, config, rungs)
    return run_local(spec, rungs, on_rung)


def run_slurm(
    spec: LadderSpec, config: Path, rungs: Sequence[RungPlan], dry_run: bool = False
) -> list[Job]:
    """Write one sbatch script per unfinished rung into its folder and submit it (not with
    dry_run). Rungs are independent jobs; Slurm runs as many at once as the cluster allows."""
    if not dry_run:
        check_corpus(spec.train)
    jobs: list[Job] = []
    for rung in unfinished(spec, rungs, jobs):
        folder = rung_dir(spec.train, rung.name)
        folder.mkdir(parents=True, exist_ok=True)
        script = folder / "job.sbatch"
        write_text(script, slurm_script(spec, config, rung))
        if dry_run:
            jobs.append(Job(rung.name, "written", str(script)))
            continue
        jobs.append(Job(rung.name, "submitted", submit(script)))
    return jobs
