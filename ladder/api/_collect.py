"""The collect verb's API: score checkpoints or a Hugging Face folder on olmo_eval tasks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ladder.api._progress import progress_bar
from ladder.errors import LadderError
from ladder.spec.ladder import LadderSpec

if TYPE_CHECKING:
    from ladder.collect.shards import Plan


@dataclass
class CollectResult:
    """The table written, the checkpoints scored (or handed to shards) and the rows added; for
    a sharded collect the number of shards and, with Slurm, the array job's id (its rows are
    merged into the table as its tasks end)."""

    table: Path
    checkpoints: int
    added: int
    shards: int = 1
    job: str | None = None


COLLECT_LAUNCHERS = ("local", "torchrun", "slurm")


SLURM_SHARDS = 32


def _eval_tasks(
    spec: LadderSpec | None, tasks: Sequence[str], limit: int | None
) -> tuple[list[str], int | None]:
    """The olmo_eval tasks to score and their document limit: the ones named, else the spec's
    in-loop evaluation's (and its limit when none is given); LadderError if none or unknown."""
    from ladder.collect.evaluate import check_tasks

    evaluation = spec.train.eval if spec is not None and spec.train is not None else None
    tasks = list(tasks) or (list(evaluation.tasks) if evaluation else [])
    if not tasks:
        raise LadderError("no tasks: name them, or give the spec a train.eval.tasks list")
    check_tasks(tasks)
    if limit is None and evaluation is not None:
        limit = evaluation.limit
    return tasks, limit


def collect(
    spec: LadderSpec | None,
    tasks: Sequence[str] = (),
    output: str | Path | None = None,
    hf: str | Path | None = None,
    run: str | None = None,
    params: int | None = None,
    tokens: int = 0,
    step: int = 0,
    limit: int | None = None,
    batch_size: int = 32,
    context_length: int | None = None,
    device: str = "cpu",
    tokenizer: str | None = None,
    tokenizer_file: str | Path | None = None,
    progress: bool = False,
    launcher: str = "local",
    shards: int | None = None,
    config: str | Path | None = None,
) -> CollectResult:
    """Score every checkpoint of the spec's rungs that lacks rows in the table (default: the
    spec's data), or one Hugging Face folder `hf`, on olmo_eval tasks (default: the spec's
    train.eval tasks and limit), and append the rows.

    `launcher` local scores in this process; torchrun and slurm split the checkpoints into
    `shards` (default: train.gpus_per_node ranks under torchrun, one Slurm array task per
    checkpoint up to SLURM_SHARDS), whose workers read the spec file `config` (see
    ladder.collect.shards). Running it again merges what killed shards left and scores the
    rest."""
    from ladder.collect import collector
    from ladder.collect.evaluate import Evaluator
    from ladder.data import observations
    from ladder.runs.tokenizer import load_tokenizer

    if launcher not in COLLECT_LAUNCHERS:
        raise LadderError(f"launcher {launcher!r}: one of {', '.join(COLLECT_LAUNCHERS)}")
    tasks, limit = _eval_tasks(spec, tasks, limit)
    tokenizer_spec = collector.tokenizer_for(spec, tokenizer, tokenizer_file)
    if hf:
        if not output or not run:
            raise LadderError("a Hugging Face folder needs a run name and an output table")
        if launcher != "local":
            raise LadderError("a Hugging Face folder is one checkpoint: use the local launcher")
        out = Path(output)
        loaded_tokenizer = collector.hf_tokenizer(Path(hf), spec, tokenizer, tokenizer_file)
        vocab = loaded_tokenizer.vocab_size
        pending = [collector.hf_pending(Path(hf), run, params, tokens, step, vocab, device)]
    else:
        if spec is None or spec.train is None:
            raise LadderError("the spec has no `train` section: which checkpoints to score?")
        out = Path(output) if output else spec.data
        if out is None:
            raise LadderError(f"spec {spec.name!r} names no data table; give an output table")
        context_length = context_length or spec.train.sequence_length
        loaded_tokenizer = load_tokenizer(tokenizer_spec)
        if launcher != "local":
            from ladder.collect.shards import Plan

            if config is None:
                raise LadderError("a sharded collect needs the spec file its workers read")
            settings = Plan(
                config=str(Path(config).resolve()),
                table=str(out.resolve()),
                tasks=tasks,
                limit=limit,
                batch_size=batch_size,
                context_length=context_length,
                device=device,
                tokenizer=(tokenizer_spec.name, tokenizer_spec.file and str(tokenizer_spec.file)),
                shards=[],
            )
            return _collect_sharded(spec, settings, launcher, shards)
        pending = collector.pending_checkpoints(spec, tasks, observations.keys_in(out), device)
    if not pending:
        return CollectResult(out, 0, 0)
    evaluator = Evaluator(tasks, loaded_tokenizer, context_length or 2048, limit, batch_size)
    total = evaluator.request_count * len(pending)
    with progress_bar(
        progress, total=total, unit="req", desc=f"{len(pending)} checkpoint(s)"
    ) as bar:
        added = collector.score_and_append(pending, evaluator, out, device, bar.update)
    return CollectResult(out, len(pending), added)


def _collect_sharded(
    spec: LadderSpec, settings: Plan, launcher: str, shards: int | None
) -> CollectResult:
    """Merge what earlier shards left, split the checkpoints still lacking rows into shards
    (`settings`: a shards.Plan without them) and run them with torchrun, or submit them as a
    Slurm array job."""
    from dataclasses import replace

    from ladder.collect import collector
    from ladder.collect import shards as sharding
    from ladder.data import observations

    table = Path(settings.table)
    before = len(observations.keys_in(table))
    sharding.merge_all(table)
    have = observations.keys_in(table)
    pending = collector.pending_checkpoints(spec, settings.tasks, have, settings.device)
    if not pending:
        return CollectResult(table, 0, len(have) - before)
    default = spec.train.gpus_per_node if launcher == "torchrun" else SLURM_SHARDS
    plan = replace(settings, shards=sharding.split(pending, shards or default))
    path = sharding.write_plan(plan)
    if launcher == "slurm":
        job = sharding.launch_slurm(path, len(plan.shards), spec.train.slurm)
        return CollectResult(table, len(pending), len(have) - before, len(plan.shards), job)
    sharding.launch_torchrun(path, len(plan.shards))
    sharding.merge_all(table)
    added = len(observations.keys_in(table)) - before
    return CollectResult(table, len(pending), added, len(plan.shards))
