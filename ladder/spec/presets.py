"""The named methods `ladder fit --method` offers, as specs (ladder.fit.methods builds and fits
them), and the names of the intermediate features they use: kept apart from the numerics so
that the command line lists them without importing numpy, pandas or scipy."""

from __future__ import annotations

from ladder.spec.ladder import Method

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
