"""A method's spec (Method: a spec's `fit.methods` and per-task `method`) and the named methods
`ladder fit --method` offers (ladder.fit.methods builds and fits them), and the names of the
intermediate features they use: kept apart from the numerics so that the command line lists
them without importing numpy, pandas or scipy."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ladder.spec.config import Bool, Config, Float


class Method(Config):
    """One way of predicting a task's score at (N, D) (ladder.fit.methods): `kind` chained (an
    intermediate `feature`: task_loss, soft_log or a table task such as c4_en-validation; a
    `step1` form: nd, flops, shared, lr or multipower; step 2 with the ideal point if `anchor`,
    None: the fit's, on checkpoints at D >= `late_fraction` of each run's final D if given;
    `starts` the data's or the paper's), direct (the direct accuracy law), a baseline (linear
    in ln N or ln C as `variable` says, carry, or the textbook chinchilla loss fit), or
    ensemble (the mean of the named `members`). On a loss-only table a chained method predicts
    with its step 1."""

    kind: Literal["chained", "direct", "linear", "carry", "chinchilla", "ensemble"] = Field(
        "chained",
        description="chained (scale -> feature -> accuracy), direct (accuracy straight from "
        "N and D, Krajewski et al.), linear (the score linear in ln N or ln C), carry (the "
        "largest fit run's score), chinchilla (the textbook loss fit; loss-only tables) or "
        "ensemble (the mean of `members`).",
    )
    variable: Literal["N", "C"] = Field(
        "N", description="A linear baseline's variable: N (parameters) or C = 6 N D (FLOPs)."
    )
    feature: str = Field(
        "task_loss",
        description="The intermediate feature: task_loss (the task's bits per byte), soft_log "
        "(-ln of the probability of the correct choice normalized over the choices) or a "
        "table task whose loss is used (e.g. c4_en-validation, nats per token).",
    )
    step1: Literal["nd", "flops", "shared", "lr", "multipower"] = Field(
        "nd",
        description="Step 1's form: nd (E + A/N^alpha + B/D^beta per task), flops (E + "
        "A/C^alpha, C = 6ND), shared (exponents shared across the tasks), lr (every "
        "checkpoint, learning-rate-aware: arXiv 2408.11029) or multipower (every checkpoint, "
        "the multi-power law of arXiv 2503.12811).",
    )
    anchor: Bool | None = Field(
        None, description="Whether step 2 also fits (loss 0, accuracy 1); default: fit.anchor."
    )
    starts: Literal["data", "paper"] = Field(
        "data",
        description="Step 2's starting points: data (midpoints and slopes spread over the "
        "feature's own range) or paper (arXiv 2412.04403's a = chance - 1, L0 = 0.9, k = 3, "
        "b = 1, for task losses in bits per byte).",
    )
    late_fraction: Annotated[Float, Field(gt=0.0, le=1.0)] | None = Field(
        None,
        description="Step 2 on the checkpoints at D >= this share of each run's final D only "
        "(default: all after fit.skip_fraction).",
    )
    members: tuple[str, ...] = Field((), description="An ensemble's member methods.")
    about: str = Field("", description="A line on the method, shown in --help.")


TASK_LOSS = "task_loss"  # the task's bits per byte of the correct answer
SOFT_LOG = "soft_log"  # ln of the choice-normalized probability of the correct answer (nats)
C4 = "c4_en-validation"

PRESETS: dict[str, Method] = {
    "paper": Method(starts="paper", about="task bpb, L(N, D) per task; arXiv 2412.04403"),
    "flops": Method(step1="flops", about="task bpb, L(C) per task; arXiv 2412.04403 sec. 5"),
    "shared": Method(
        step1="shared", about="task bpb, exponents shared across tasks; arXiv 2410.11840"
    ),
    "lr": Method(step1="lr", about="task bpb over every checkpoint, LR-aware; arXiv 2408.11029"),
    "multipower": Method(
        step1="multipower", about="task bpb over every checkpoint, multi-power; arXiv 2503.12811"
    ),
    "c4": Method(
        feature=C4, anchor=False, about="C4 validation loss as the feature; 2412.04403 v2"
    ),
    "soft": Method(
        feature=SOFT_LOG, about="-log p(correct choice) as the feature; arXiv 2504.11393"
    ),
    "direct": Method(kind="direct", about="accuracy straight from (N, D); arXiv 2512.08894"),
    "linear_n": Method(kind="linear", variable="N", about="baseline: the score linear in ln N"),
    "linear_c": Method(kind="linear", variable="C", about="baseline: the score linear in ln C"),
    "carry": Method(kind="carry", about="baseline: the largest fit run's score carried forward"),
    "chinchilla": Method(
        kind="chinchilla", about="baseline: the textbook Chinchilla fit of the loss (loss only)"
    ),
}
BASELINES = ("linear_n", "linear_c", "carry", "chinchilla")
# auto chooses by its rollout backtests when they hold out at least MIN_HELD_OUT runs, and
# otherwise (a ladder of two or three sizes) predicts with the mean of FALLBACK: both chosen
# leave-one-ladder-out on the benchmark corpus (benchmarks/defaults.md)
MIN_HELD_OUT = 2
FALLBACK = ("linear_c", "carry")
CANDIDATES = ("paper", "flops", "shared", "lr", "c4", "soft", "direct", *BASELINES)
