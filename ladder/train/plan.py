"""The plan of a ladder: every run's model, N, D, batch, LR schedule, steps, FLOPs and cost.

Rules of arXiv 2412.04403 (see ladder.runs.sizes): D = k x 20 N for "kxC"; global batch
160 (N/108M)^(2/3) sequences at length 2,048 scaled to the sequence length and rounded to a
multiple of 64; peak LR 0.0047 (N/108M)^(-1/3) / 4; linear warm-up over N tokens, cosine decay
to 10% of peak. A rung's D is rounded to whole steps.

The spec's schedule (a strategy of ladder.runs.schedule) groups the points into runs and sets
each run's schedule. With `schedule: wsds` each size is one run: its decays end at the steps the
cosine rungs would end at, so every "<size>-<k>xC" point has the cosine rung's D, batch and
warm-up; the peak LR is `wsds.lr_factor` times the cosine rule's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from ladder.errors import LadderError
from ladder.laws.flops import training_flops
from ladder.runs import sizes
from ladder.runs.folder import RungPlan
from ladder.runs.rungs import multiplier_label, rung_name
from ladder.spec.train import Size, TrainSpec


@dataclass(frozen=True)
class SizePlan:
    """What every run of one size shares: N (sizes.N_MEANS) and the total, the global batch in
    sequences and the tokens per step."""

    size: str
    params: int
    total_params: int
    batch_size: int
    tokens_per_step: int


def plan_size(train: TrainSpec, size: Size, vocab_size: int, run: str) -> SizePlan:
    """N and batch of a size; LadderError (naming `run`) if the batch does not divide."""
    config = size.transformer_config(sizes.padded_vocab_size(vocab_size))
    params = int(config.num_non_embedding_params)
    batch = train.batch_size or sizes.batch_size(
        params, train.sequence_length, train.batch_multiple
    )
    ranks = train.nodes * train.gpus_per_node
    per_rank, remainder = divmod(batch, ranks)
    if remainder:
        raise LadderError(
            f"run {run}: the global batch of {batch} sequences does not divide over "
            f"{ranks} devices ({train.nodes} node(s) x {train.gpus_per_node})"
        )
    if train.microbatch and per_rank % train.microbatch:
        raise LadderError(
            f"run {run}: {per_rank} sequences per device do not divide into microbatches "
            f"of {train.microbatch}"
        )
    return SizePlan(size.name, params, int(config.num_params), batch, batch * train.sequence_length)


def steps_for(multiplier: float, size: SizePlan) -> int:
    """Optimizer steps of a "kxC" rung: k x 20 N tokens rounded to whole steps; LadderError
    when that is under half a step."""
    target = sizes.tokens_for(multiplier, size.params)
    if target < size.tokens_per_step / 2:
        raise LadderError(
            f"rung {rung_name(size.size, multiplier)}: {multiplier_label(multiplier)} x C = "
            f"{target:,} tokens is less than half a step ({size.tokens_per_step:,} tokens): "
            "zero steps; raise the multiplier or lower batch_size / sequence_length"
        )
    return max(1, round(target / size.tokens_per_step))


def warmup_steps(train: TrainSpec, size: SizePlan) -> int:
    """The warm-up: warmup_tokens_per_param x N tokens, in whole steps."""
    return round(train.warmup_tokens_per_param * size.params / size.tokens_per_step)


def plan_run(
    train: TrainSpec, size: Size, name: str, multipliers: tuple[float, ...], vocab_size: int
) -> RungPlan:
    """Plan run `name`, which trains the points of `multipliers` (ascending) and ends at the
    last one's D, by the spec's schedule; LadderError if its batch does not divide, a point has
    no steps or the schedule does not fit them."""
    shared = plan_size(train, size, vocab_size, name)
    ends = {k: steps_for(k, shared) for k in multipliers}
    steps = ends[multipliers[-1]]
    tokens = steps * shared.tokens_per_step
    flops = training_flops(shared.params, tokens)
    run = RungPlan(
        name=name,
        size=size.name,
        multiplier=multipliers[-1],
        params=shared.params,
        total_params=shared.total_params,
        tokens=tokens,
        sequence_length=train.sequence_length,
        batch_size=shared.batch_size,
        learning_rate=sizes.learning_rate(shared.params, train.lr_divisor),
        warmup_steps=warmup_steps(train, shared),
        steps=steps,
        flops=flops,
        gpu_hours=sizes.gpu_hours(flops, train.gpu, train.mfu),
    )
    return train.schedule_strategy.plan(train, run, ends)


def plan_ladder(train: TrainSpec, vocab_size: int) -> list[RungPlan]:
    """Every run, sizes in the spec's order, as the schedule groups their points (cosine: one
    rung per multiplier, ascending; WSD-S: one run per size)."""
    return [
        plan_run(train, size, name, multipliers, vocab_size)
        for size in train.sizes
        for name, multipliers in train.schedule_strategy.runs(size.name, train.multipliers).items()
    ]


def plan_frame(rungs: list[RungPlan]) -> pd.DataFrame:
    """The plan as a table, one row per run, plus its tokens per step."""
    frame = pd.DataFrame([asdict(r) for r in rungs]).drop(columns="decays")
    frame.insert(
        frame.columns.get_loc("batch_size") + 1,
        "tokens_per_step",
        [r.tokens_per_step for r in rungs],
    )
    return frame


def decay_frame(rungs: list[RungPlan]) -> pd.DataFrame:
    """One row per decay point of the WSD-S runs: the annealed rung it gives, the pre-decay
    and bottom steps, the decay's steps, D at the bottom (tokens) and the FLOPs a cosine rung
    of that D would cost on its own (6 N D)."""
    rows = [
        {
            "rung": rung_name(r.size, d.multiplier),
            "run": r.name,
            "multiplier": d.multiplier,
            "pre_decay_step": d.start,
            "bottom_step": d.end,
            "decay_steps": d.steps,
            "tokens": d.end * r.tokens_per_step,
            "cosine_flops": training_flops(r.params, d.end * r.tokens_per_step),
        }
        for r in rungs
        for d in r.decays
    ]
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Saving:
    """The compute of WSD-S runs against the cosine ladder of the same points (FLOPs)."""

    wsds_flops: float
    cosine_flops: float

    @property
    def fraction(self) -> float:
        """The share of the cosine ladder's compute saved."""
        return 1 - self.wsds_flops / self.cosine_flops


def saving(rungs: list[RungPlan]) -> Saving | None:
    """What the WSD-S runs of a plan save against one cosine run per decay point (None for a
    plan with no decay points)."""
    decays = decay_frame(rungs)
    if decays.empty:
        return None
    wsds = sum(r.flops for r in rungs if r.decays)
    return Saving(wsds, float(decays["cosine_flops"].sum()))
