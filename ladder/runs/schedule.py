"""Learning-rate schedules as strategies: each owns how it plans a size's runs, the learning rate
and phase of each step (as OLMo-core runs it), how the plan report describes it and how its
runs feed the fit. `SCHEDULES` maps the spec's `train.schedule` to its class.

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

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import replace
from itertools import pairwise
from typing import TYPE_CHECKING, ClassVar

from ladder.errors import LadderError
from ladder.runs.folder import DecayPoint, RungPlan
from ladder.runs.rungs import multiplier_label, parse_rung, rung_name, wsds_run_name

if TYPE_CHECKING:
    from olmo_core.optim import Scheduler

    from ladder.spec.train import TrainSpec


class Schedule(ABC):
    """A learning-rate schedule: which runs train a size's rungs, each run's schedule fields,
    its OLMo-core scheduler, the phase of each step and the runs' role in the fit."""

    name: ClassVar[str]
    """The spec's `train.schedule` value, saved in each run's plan."""
    knobs_key: ClassVar[str | None] = None
    """The `train` key of the schedule's knobs (None: it has none)."""
    one_run_per_rung: ClassVar[bool]
    """Whether each rung "<size>-<k>xC" is a run of its own, annealed at its last step."""

    @abstractmethod
    def runs(self, size: str, multipliers: Sequence[float]) -> dict[str, tuple[float, ...]]:
        """The runs that train one size's rungs: each run's name and the multipliers
        (ascending) whose points it trains; the run ends at the last one's D."""

    @abstractmethod
    def plan(self, train: TrainSpec, run: RungPlan, ends: Mapping[float, int]) -> RungPlan:
        """`run` (planned at the rules' peak LR and uncut warm-up, in steps) with this
        schedule's fields; `ends` is the step (ascending) at which each multiplier's point
        ends. LadderError if the schedule does not fit the steps."""

    @abstractmethod
    def scheduler(self, rung: RungPlan) -> Scheduler:
        """The OLMo-core scheduler that trains the run (in optimizer steps)."""

    def phase_at(self, rung: RungPlan, step: int) -> str:
        """The schedule phase of step `step` (one of observations.LR_PHASES). warmup: before
        the peak; stable: at the peak (a WSD-S run's pre-decay checkpoints too); decay: falling
        (all of a cosine run after its warm-up); bottom: the end of a decay, an annealed point
        (a cosine run's last step, a WSD-S run's k x C points)."""
        return "warmup" if step < rung.warmup_steps else self.phase_after_warmup(rung, step)

    @abstractmethod
    def phase_after_warmup(self, rung: RungPlan, step: int) -> str:
        """The phase of a step at or after the end of the warm-up."""

    @abstractmethod
    def describe(self, train: TrainSpec) -> str:
        """The schedule in a phrase, as the plan report heads the plan with it."""

    @abstractmethod
    def annealed_runs(self, train: TrainSpec) -> dict[str, str]:
        """The runs (run name -> size name) whose decay bottoms stand in for the rungs
        "<size>-<k>xC" in the fit (see ladder.data.annealed)."""

    @abstractmethod
    def step2_runs(self, train: TrainSpec, fit_runs: tuple[str, ...]) -> tuple[str, ...]:
        """Step 2's default runs for these fit runs."""


class Cosine(Schedule):
    """The paper's: one run per rung, cosine decay to final_lr_fraction x peak at its last
    step."""

    name = "cosine"
    one_run_per_rung = True

    def runs(self, size: str, multipliers: Sequence[float]) -> dict[str, tuple[float, ...]]:
        return {rung_name(size, k): (k,) for k in sorted(multipliers)}

    def plan(self, train: TrainSpec, run: RungPlan, ends: Mapping[float, int]) -> RungPlan:
        return replace(
            run,
            warmup_steps=max(0, min(run.steps - 1, run.warmup_steps)),
            schedule=self.name,
            final_lr_fraction=train.final_lr_fraction,
        )

    def scheduler(self, rung: RungPlan) -> Scheduler:
        from olmo_core.optim import CosWithWarmup

        return CosWithWarmup(warmup=rung.warmup_steps, alpha_f=rung.final_lr_fraction)

    def phase_after_warmup(self, rung: RungPlan, step: int) -> str:
        return "bottom" if step >= rung.steps else "decay"

    def describe(self, train: TrainSpec) -> str:
        return f"cosine decay to {train.final_lr_fraction:.0%} of peak"

    def annealed_runs(self, train: TrainSpec) -> dict[str, str]:
        return {}

    def step2_runs(self, train: TrainSpec, fit_runs: tuple[str, ...]) -> tuple[str, ...]:
        """The fit runs themselves."""
        return fit_runs


class WSDS(Schedule):
    """WSD-S: one run per size, at the peak LR (`wsds.lr_factor` x the cosine rule's) after
    warm-up, with a linear decay to zero ending at each multiplier's step, each
    `wsds.decay_fraction` of its period (the steps since the previous bottom)."""

    name = "wsds"
    knobs_key = "wsds"
    one_run_per_rung = False

    def runs(self, size: str, multipliers: Sequence[float]) -> dict[str, tuple[float, ...]]:
        return {wsds_run_name(size): tuple(sorted(multipliers))}

    def plan(self, train: TrainSpec, run: RungPlan, ends: Mapping[float, int]) -> RungPlan:
        """Decays rounded as OLMo-core's WSDS rounds them; LadderError when two multipliers
        end at the same step, a decay is under one step, or the warm-up and the first decay do
        not fit before the first bottom."""
        options = train.wsds_options
        decays = []
        previous_end, previous_k = 0, None
        for k, end in ends.items():
            period = end - previous_end
            if period <= 0:
                raise LadderError(
                    f"run {run.name}: the {multiplier_label(previous_k)}xC and "
                    f"{multiplier_label(k)}xC points both end at step {end}; space the "
                    "multipliers further apart or lower batch_size / sequence_length"
                )
            length = round(options.decay_fraction * period)
            if length < 1:
                raise LadderError(
                    f"run {run.name}: the decay ending at {multiplier_label(k)}xC is "
                    f"{options.decay_fraction:g} x {period} steps, under one step; raise "
                    "wsds.decay_fraction or lower batch_size / sequence_length"
                )
            decays.append(DecayPoint(k, end - length, end))
            previous_end, previous_k = end, k
        first = decays[0]
        if run.warmup_steps + first.steps > first.end:
            raise LadderError(
                f"run {run.name}: the warm-up ({run.warmup_steps} steps) and the first decay "
                f"({first.steps} steps) do not fit before the "
                f"{multiplier_label(first.multiplier)}xC bottom at step {first.end}; lower "
                "warmup_tokens_per_param or raise the smallest multiplier"
            )
        return replace(
            run,
            learning_rate=run.learning_rate * options.lr_factor,
            schedule=self.name,
            final_lr_fraction=0.0,
            decay_fraction=options.decay_fraction,
            decays=tuple(decays),
        )

    def scheduler(self, rung: RungPlan) -> Scheduler:
        from olmo_core.optim import WSDS as OlmoWSDS

        ends = [0, *(d.end for d in rung.decays)]
        return OlmoWSDS(
            period_lengths=[b - a for a, b in pairwise(ends)],
            warmup=rung.warmup_steps,
            decay_fraction=rung.decay_fraction,
            decay_min_lr=rung.final_lr_fraction * rung.learning_rate,
        )

    def phase_after_warmup(self, rung: RungPlan, step: int) -> str:
        for decay in rung.decays:
            if step == decay.end:
                return "bottom"
            if decay.start < step < decay.end:
                return "decay"
        return "stable"

    def describe(self, train: TrainSpec) -> str:
        options = train.wsds_options
        return (
            f"WSD-S: one run per size, the peak LR ({options.lr_factor:g} x the cosine rule's) "
            f"after warm-up, linear decays to 0 over {options.decay_fraction:.0%} of each "
            "period, ending at each multiplier"
        )

    def annealed_runs(self, train: TrainSpec) -> dict[str, str]:
        return {wsds_run_name(size.name): size.name for size in train.sizes}

    def step2_runs(self, train: TrainSpec, fit_runs: tuple[str, ...]) -> tuple[str, ...]:
        """The WSD-S runs of the fit runs' sizes, whose every checkpoint is a point of step 2."""
        sizes = {parsed[0] for run in fit_runs if (parsed := parse_rung(run))}
        return tuple(run for run, size in self.annealed_runs(train).items() if size in sizes)


SCHEDULES: dict[str, type[Schedule]] = {schedule.name: schedule for schedule in (Cosine, WSDS)}


def schedule_of(rung: RungPlan) -> Schedule:
    """The schedule that trains a planned run."""
    return SCHEDULES[rung.schedule]()


def scheduler(rung: RungPlan) -> Scheduler:
    """The OLMo-core scheduler that trains the run (in optimizer steps)."""
    return schedule_of(rung).scheduler(rung)


def learning_rate_at(rung: RungPlan, step: int) -> float:
    """The learning rate of step `step`'s update."""
    return float(scheduler(rung).get_lr(rung.learning_rate, step, rung.steps))


def phase_at(rung: RungPlan, step: int) -> str:
    """The schedule phase of step `step` (one of observations.LR_PHASES)."""
    return schedule_of(rung).phase_at(rung, step)


def schedule_columns(rung: RungPlan, step: int) -> dict[str, float | str]:
    """The observation columns that say where step `step` is in the run's schedule:
    learning_rate (AdamW's, of that step's update) and lr_phase (one of observations.LR_PHASES)."""
    return {"learning_rate": learning_rate_at(rung, step), "lr_phase": phase_at(rung, step)}
