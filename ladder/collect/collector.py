"""`ladder collect`: score every checkpoint that has no observations yet and append the rows.

Idempotent (checkpoints whose (run, step, task) rows are all in the table are skipped; rows
already there are never duplicated) and atomic (each checkpoint's rows are appended under a
lock with a rename, so a kill leaves a valid table).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ladder.collect.checkpoints import load_hf, load_olmo
from ladder.collect.evaluate import Evaluator, to_rows
from ladder.collect.logits import LogitsAt, hf_logits, olmo_core_logits
from ladder.data import observations
from ladder.errors import LadderError
from ladder.runs.folder import checkpoints, model_config, read_rung, rung_dir
from ladder.runs.schedule import schedule_columns
from ladder.runs.sizes import params_of
from ladder.spec.ladder import LadderSpec


@dataclass(frozen=True)
class Pending:
    """A checkpoint to score: run name, N, D (tokens), step, its loader (the model's logits at
    the answer positions) and the columns that say where it is in its run's schedule (see
    schedule.schedule_columns; none if unknown)."""

    run: str
    params: int
    tokens: int
    step: int
    load: Callable[[], LogitsAt]
    schedule: dict[str, Any] = field(default_factory=dict)


def pending_checkpoints(
    spec: LadderSpec, tasks: Sequence[str], have: set[tuple[str, int, str]], device: str
) -> list[Pending]:
    """The OLMo-core checkpoints of the spec's rungs that lack a (run, step, task) key of
    `have` for some task; not the initial step0 checkpoint (D = 0: no point of a law in D,
    not scored in-loop)."""
    out = []
    for name in spec.train.run_names():
        folder = rung_dir(spec.train, name)
        if not folder.is_dir():
            continue
        rung = read_rung(folder)
        config = model_config(spec.train, rung.size)
        for step, path in checkpoints(folder):
            if step == 0 or all((rung.name, step, task) in have for task in tasks):
                continue
            out.append(
                Pending(
                    rung.name,
                    rung.params,
                    step * rung.tokens_per_step,
                    step,
                    lambda path=path, config=config: olmo_core_logits(
                        load_olmo(path, config, device)
                    ),
                    schedule_columns(rung, step),
                )
            )
    return out


def score_and_append(
    pending: Sequence[Pending],
    evaluator: Evaluator,
    table: Path,
    device: str = "cpu",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Score each pending checkpoint and append its rows; return the rows added."""
    added = 0
    for item in pending:
        scores = evaluator.score(item.load(), device=device, progress=progress)
        rows = to_rows(scores, item.run, item.params, item.tokens, item.step).assign(
            **item.schedule
        )
        added += observations.append(rows, table)
    return added


def hf_pending(
    folder: Path, run: str, params: int | None, tokens: int, step: int, vocab: int, device: str
) -> Pending:
    """A Hugging Face folder as one checkpoint; N defaults to its count (params_of)."""
    if tokens < 0 or step < 0:
        raise LadderError("--tokens and --step must be >= 0")
    model = load_hf(folder, vocab, device)
    if params is None:
        params = params_of(model)
    return Pending(run, int(params), tokens, step, lambda: hf_logits(model))
