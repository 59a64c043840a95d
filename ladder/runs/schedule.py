"""A planned run's learning-rate schedule, as OLMo-core runs it, and the phase of each step.

- cosine, the paper's (arXiv 2412.04403): linear warm-up, then cosine decay to
  final_lr_fraction x peak at the last step (OLMo-core's CosWithWarmup). One run per
  (size, multiplier); only each run's end is annealed.
- wsds, warmup-stable-decay-simplified (Wen et al. 2024, arXiv 2410.05192; OLMo-core's WSDS):
  linear warm-up, then the peak LR, with a linear decay to zero ending at each decay point
  and the peak again right after each bottom. One run per size; every bottom is an annealed
  point, at the same D as the cosine rung "<size>-<k>xC" (see ladder.train.plan).

Why these WSD-S rules:
- Decays to zero, not to the cosine's 10%: as OLMo-core's WSD-S ladder
  (olmo_core.model_ladder.WSDSChinchillaRunConfigurator, on its main branch) and the
  cooldowns of Hägele et al. 2024 ("Scaling Laws and Compute-Optimal Training Beyond Fixed
  Training Durations", arXiv 2405.18392), whose constant-LR runs with a cooldown match cosine
  runs of the same length, which is what lets a bottom stand in for a cosine rung. Bergsma et
  al. 2025 (arXiv 2502.15938) also find linear decay to zero better than cosine to 10%.
- Each decay lasts `wsds.decay_fraction` (default 0.2) of its period, the steps since the
  previous bottom: 10% of the point's tokens on a doubling ladder (20% for the first point).
  That is twice OLMo-core's default (0.1 of the period) and nearer the cooldown of about 20%
  of the steps with which Hägele et al. match cosine, since a bottom short of the cosine rung's
  loss would bias every step-1 point the same way; longer decays would leave the run less time
  at the peak between points.
- Peak LR `wsds.lr_factor` (default 2) times the cosine rule's: the paper's ladder divides
  0.0047 (N/108M)^(-1/3) by 4, OLMo-core's WSD-S ladder by 2, which its authors found
  "empirically near optimal, at least for OLMo models" (an empirical choice, not a derived one;
  benchmarks/README.md has what it does on the tiny ladder).

Step s's learning rate is the one OLMo-core applies in step s's optimizer update (the trainer
counts the step before the update), so the checkpoint of step s was last updated at that rate.
Learning rates are AdamW's (per update, unitless).
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

from ladder.runs.folder import RungPlan

if TYPE_CHECKING:
    from olmo_core.optim import Scheduler

"""warmup: before the peak; stable: at the peak (a WSD-S run's pre-decay checkpoints too);
decay: falling (all of a cosine run after its warm-up); bottom: the end of a decay, an
annealed point (a cosine run's last step, a WSD-S run's k x C points)."""


def scheduler(rung: RungPlan) -> Scheduler:
    """The OLMo-core scheduler that trains the run (in optimizer steps)."""
    from olmo_core.optim import WSDS, CosWithWarmup

    if rung.schedule == "wsds":
        ends = [0, *(d.end for d in rung.decays)]
        return WSDS(
            period_lengths=[b - a for a, b in pairwise(ends)],
            warmup=rung.warmup_steps,
            decay_fraction=rung.decay_fraction,
            decay_min_lr=rung.final_lr_fraction * rung.learning_rate,
        )
    return CosWithWarmup(warmup=rung.warmup_steps, alpha_f=rung.final_lr_fraction)


def learning_rate_at(rung: RungPlan, step: int) -> float:
    """The learning rate of step `step`'s update."""
    return float(scheduler(rung).get_lr(rung.learning_rate, step, rung.steps))


def phase_at(rung: RungPlan, step: int) -> str:
    """The schedule phase of step `step` (one of observations.LR_PHASES)."""
    if step < rung.warmup_steps:
        return "warmup"
    if rung.schedule != "wsds":
        return "bottom" if step >= rung.steps else "decay"
    for decay in rung.decays:
        if step == decay.end:
            return "bottom"
        if decay.start < step < decay.end:
            return "decay"
    return "stable"


def schedule_columns(rung: RungPlan, step: int) -> dict[str, float | str]:
    """The observation columns that say where step `step` is in the run's schedule:
    learning_rate (AdamW's, of that step's update) and lr_phase (one of observations.LR_PHASES)."""
    return {"learning_rate": learning_rate_at(rung, step), "lr_phase": phase_at(rung, step)}
