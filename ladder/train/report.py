"""The training plan as text: each rung's size, tokens, batch, learning rate, steps, FLOPs and
GPU-hours, and for WSD-S runs their decay points and the compute saved."""

from __future__ import annotations

from typing import Any

from ladder.fits.report import format_frame
from ladder.train.plan import decay_frame, plan_frame, saving

PLAN_FORMATS = {
    "name": "",
    "params": ",",
    "tokens": ",",
    "batch_size": ",",
    "tokens_per_step": ",",
    "learning_rate": ".3g",
    "warmup_steps": ",",
    "steps": ",",
    "flops": ".3g",
    "gpu_hours": ".3g",
}


DECAY_FORMATS = {
    "rung": "",
    "run": "",
    "pre_decay_step": ",",
    "bottom_step": ",",
    "decay_steps": ",",
    "tokens": ",",
    "cosine_flops": ".3g",
}


def format_plan(rungs: list[Any], train: Any) -> str:
    """The training plan as a table (N as sizes.N_MEANS, D tokens, batch in sequences,
    peak LR, steps, FLOPs = 6ND, GPU-hours at the spec's MFU), with the ladder's totals; for
    WSD-S runs also their decay points (steps, D at each bottom, what a cosine rung of that D
    costs) and the compute saved against the cosine ladder of the same points."""
    frame = plan_frame(rungs)
    cost = f"GPU-hours on {train.gpu.upper()} at {train.mfu:.0%} MFU; launcher {train.launcher}"
    schedule = train.schedule_strategy.describe(train)
    lines = [
        f"sequence length {train.sequence_length:,}; {schedule}; {cost}",
        format_frame(frame, PLAN_FORMATS),
        f"total: {len(frame)} runs, {frame['tokens'].sum():,.0f} tokens, "
        f"{frame['flops'].sum():.3g} FLOPs, {frame['gpu_hours'].sum():,.1f} GPU-hours",
    ]
    saved = saving(rungs)
    if saved is not None:
        decays = decay_frame(rungs)
        lines += [
            "",
            f"decay points (annealed rungs): checkpoints every {train.checkpoint_interval:,} "
            "steps and at each pre-decay and bottom step, evaluated there too",
            format_frame(decays, DECAY_FORMATS),
            f"a cosine ladder of the same {len(decays)} points: {saved.cosine_flops:.3g} FLOPs; "
            f"the WSD-S runs save {saved.fraction:.0%} of it ({saved.wsds_flops:.3g} FLOPs)",
        ]
    return "\n".join(lines)
