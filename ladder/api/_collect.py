"""The collect verb's API: score checkpoints or a Hugging Face folder on olmo_eval tasks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ladder.api._progress import progress_bar
from ladder.collect.settings import EvalSettings
from ladder.errors import LadderError
from ladder.spec.ladder import LadderSpec

if TYPE_CHECKING:
    from olmo_eval import Tokenizer

    from ladder.collect.collector import Pending
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


def collect(
    spec: LadderSpec | None,
    settings: EvalSettings | None = None,
    output: str | Path | None = None,
    hf: str | Path | None = None,
    run: str | None = None,
    params: int | None = None,
    tokens: int = 0,
    step: int = 0,
    progress: bool = False,
    launcher: str = "local",
    shards: int | None = None,
    config: str | Path | None = None,
) -> CollectResult:
    """Score every checkpoint of the spec's rungs that lacks rows in the table (default: the
    spec's data), or one Hugging Face folder `hf` (as `run` with N `params`, D `tokens` at
    `step`), on olmo_eval tasks with `settings` (default: EvalSettings(); see
    ladder.collect.settings), and append the rows.

    `launcher` local scores in this process; torchrun and slurm split the checkpoints into
    `shards` (default: train.gpus_per_node ranks under torchrun, one Slurm array task per
    checkpoint up to SLURM_SHARDS), whose workers read the spec file `config` (see
    ladder.collect.shards). Running it again merges what killed shards left and scores the
    rest."""
    from ladder.collect import collector
    from ladder.collect.checkpoints import require_hf_folder
    from ladder.data import observations
    from ladder.runs.tokenizer import load_tokenizer

    if launcher not in COLLECT_LAUNCHERS:
        raise LadderError(f"launcher {launcher!r}: one of {', '.join(COLLECT_LAUNCHERS)}")
    settings = (settings or EvalSettings()).for_spec(spec)
    if hf:
        if not output or not run:
            raise LadderError("a Hugging Face folder needs a run name and an output table")
        if launcher != "local":
            raise LadderError("a Hugging Face folder is one checkpoint: use the local launcher")
        require_hf_folder(Path(hf))  # before its tokenizer files are looked for
        tokenizer = settings.hf_tokenizer(Path(hf), spec)
        vocab, device = tokenizer.vocab_size, settings.device
        item = collector.hf_pending(Path(hf), run, params, tokens, step, vocab, device)
        return _score(settings, tokenizer, [item], Path(output), progress)
    if spec is None or spec.train is None:
        raise LadderError("the spec has no `train` section: which checkpoints to score?")
    out = Path(output) if output else spec.data
    if out is None:
        raise LadderError(f"spec {spec.name!r} names no data table; give an output table")
    settings = settings.with_context_length(spec.train.sequence_length)
    tokenizer_spec = settings.tokenizer_spec(spec)
    tokenizer = load_tokenizer(tokenizer_spec)
    if launcher != "local":
        from ladder.collect.shards import Plan

        if config is None:
            raise LadderError("a sharded collect needs the spec file its workers read")
        plan = Plan(
            config=str(Path(config).resolve()),
            table=str(out.resolve()),
            settings=settings.pinned(tokenizer_spec),
            shards=[],
        )
        return _collect_sharded(spec, plan, launcher, shards)
    have = observations.keys_in(out)
    pending = collector.pending_checkpoints(spec, settings.tasks, have, settings.device)
    return _score(settings, tokenizer, pending, out, progress)


def _score(
    settings: EvalSettings,
    tokenizer: Tokenizer,
    pending: list[Pending],
    table: Path,
    progress: bool,
) -> CollectResult:
    """Score the pending checkpoints in this process and append their rows to `table`."""
    from ladder.collect import collector

    if not pending:
        return CollectResult(table, 0, 0)
    evaluator = settings.evaluator(tokenizer)
    total = evaluator.request_count * len(pending)
    with progress_bar(
        progress, total=total, unit="req", desc=f"{len(pending)} checkpoint(s)"
    ) as bar:
        added = collector.score_and_append(pending, evaluator, table, settings.device, bar.update)
    return CollectResult(table, len(pending), added)


def _collect_sharded(
    spec: LadderSpec, plan: Plan, launcher: str, shards: int | None
) -> CollectResult:
    """Merge what earlier shards left, split the checkpoints still lacking rows into shards
    (`plan`: a shards.Plan without them) and run them with torchrun, or submit them as a
    Slurm array job."""
    from dataclasses import replace

    from ladder.collect import collector
    from ladder.collect import shards as sharding
    from ladder.data import observations

    table = Path(plan.table)
    before = len(observations.keys_in(table))
    sharding.merge_all(table)
    have = observations.keys_in(table)
    pending = collector.pending_checkpoints(spec, plan.settings.tasks, have, plan.settings.device)
    if not pending:
        return CollectResult(table, 0, len(have) - before)
    default = spec.train.gpus_per_node if launcher == "torchrun" else SLURM_SHARDS
    plan = replace(plan, shards=sharding.split(pending, shards or default))
    path = sharding.write_plan(plan)
    if launcher == "slurm":
        job = sharding.launch_slurm(path, len(plan.shards), spec.train.slurm)
        return CollectResult(table, len(pending), len(have) - before, len(plan.shards), job)
    sharding.launch_torchrun(path, len(plan.shards))
    sharding.merge_all(table)
    added = len(observations.keys_in(table)) - before
    return CollectResult(table, len(pending), added, len(plan.shards))
