"""The plan of a ladder: every rung's model, N, D, batch, LR schedule, steps, FLOPs and cost.

Rules of arXiv 2412.04403 (see ladder.sizes): D = k x 20 N for "kxC"; global batch
160 (N/108M)^(2/3) sequences at length 2,048 scaled to the sequence length and rounded to a
multiple of 64; peak LR 0.0047 (N/108M)^(-1/3) / 4; linear warm-up over N tokens, cosine decay
to 10% of peak. A rung's D is rounded up to whole steps.
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from ladder import sizes
from ladder.errors import LadderError
from ladder.runfolder import RungPlan
from ladder.rungs import multiplier_label, rung_name
from ladder.train_spec import Size, TrainSpec


def plan_rung(train: TrainSpec, size: Size, multiplier: float, vocab_size: int) -> RungPlan:
    """Plan one rung; raise LadderError if its batch does not divide or it has no steps."""
    config = size.transformer_config(sizes.padded_vocab_size(vocab_size))
    params = int(config.num_non_embedding_params)
    name = rung_name(size.name, multiplier)
    batch = train.batch_size or sizes.batch_size(
        params, train.sequence_length, train.batch_multiple
    )
    ranks = train.nodes * train.gpus_per_node
    per_rank, remainder = divmod(batch, ranks)
    if remainder:
        raise LadderError(
            f"rung {name}: the global batch of {batch} sequences does not divide over "
            f"{ranks} devices ({train.nodes} node(s) x {train.gpus_per_node})"
        )
    if train.microbatch and per_rank % train.microbatch:
        raise LadderError(
            f"rung {name}: {per_rank} sequences per device do not divide into microbatches "
            f"of {train.microbatch}"
        )
    tokens_per_step = batch * train.sequence_length
    target = sizes.tokens_for(multiplier, params)
    if target < tokens_per_step / 2:
        raise LadderError(
            f"rung {name}: {multiplier_label(multiplier)} x C = {target:,} tokens is less "
            f"than half a step ({tokens_per_step:,} tokens): zero steps; raise the multiplier "
            "or lower batch_size / sequence_length"
        )
    steps = max(1, round(target / tokens_per_step))
    warmup = min(steps - 1, round(train.warmup_tokens_per_param * params / tokens_per_step))
    tokens = steps * tokens_per_step
    flops = sizes.training_flops(params, tokens)
    return RungPlan(
        name=name,
        size=size.name,
        multiplier=multiplier,
        params=params,
        total_params=int(config.num_params),
        tokens=tokens,
        sequence_length=train.sequence_length,
        batch_size=batch,
        learning_rate=sizes.learning_rate(params, train.lr_divisor),
        warmup_steps=max(0, warmup),
        steps=steps,
        flops=flops,
        gpu_hours=sizes.gpu_hours(flops, train.gpu, train.mfu),
    )


def plan_ladder(train: TrainSpec, vocab_size: int) -> list[RungPlan]:
    """Every rung, sizes in the spec's order, then multipliers ascending."""
    return [
        plan_rung(train, size, multiplier, vocab_size)
        for size in train.sizes
        for multiplier in sorted(train.multipliers)
    ]


def plan_frame(rungs: list[RungPlan]) -> pd.DataFrame:
    """The plan as a table, one row per rung, plus its tokens per step."""
    frame = pd.DataFrame([asdict(r) for r in rungs])
    frame.insert(
        frame.columns.get_loc("batch_size") + 1,
        "tokens_per_step",
        [r.tokens_per_step for r in rungs],
    )
    return frame
