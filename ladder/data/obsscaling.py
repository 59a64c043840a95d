"""Importer for the public base models of "Observational Scaling Laws" (Ruan, Maddison,
Hashimoto 2024, arXiv 2405.10938; ryoungj/ObsScaling's eval_results, Apache-2.0): one row per
model and benchmark, and the small final-only ladders its model families make.

- run: the Hugging Face model id; `family` its family; N (`params`) the model's total
  parameters (all the source gives: `Model Size (B)` x 1e9), D (`tokens`) its pretraining tokens
  (`Pretraining Data Size (T)` x 1e12); models without a data size are left out (no D).
- step: 0 (the source gives the final checkpoint only; no step is known).
- tasks (accuracy, a fraction; no task loss): mmlu (5-shot), arc_challenge (25-shot),
  hellaswag (10-shot), winogrande (5-shot), truthfulqa_mc2 (0-shot), gsm8k (5-shot),
  xwinograd, humaneval (pass@1); an empty score is left out.

A family is a ladder (`family_ladders`) when, after models without D, at least two models of
distinct N lie below its largest N: fit those, predict every model at the largest N, on the
tasks every member was scored on (but those of NOT_IN_LADDERS).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ladder.data.observations import validate
from ladder.errors import LadderError
from ladder.files import read_table

SOURCE_FILE = "base_llm_benchmark_eval.csv"
TASKS = {
    "MMLU": "mmlu",
    "ARC-C": "arc_challenge",
    "HellaSwag": "hellaswag",
    "Winograd": "winogrande",
    "TruthfulQA": "truthfulqa_mc2",
    "GSM8K": "gsm8k",
    "XWinograd": "xwinograd",
    "HumanEval": "humaneval",
}
# chance per task: 1 / choices; TruthfulQA mc2's is the share of true answers per question,
# about 0.2-0.3 (the source's README), taken as 0.25; generated answers have none
CHANCE = {
    "mmlu": 0.25,
    "arc_challenge": 0.25,
    "hellaswag": 0.25,
    "winogrande": 0.5,
    "truthfulqa_mc2": 0.25,
    "gsm8k": 0.0,
    "xwinograd": 0.5,
    "humaneval": 0.0,
}
MIN_FIT_SIZES = 2
# the ladders leave out: tasks whose answer is generated (chance 0: a relative error of an
# accuracy near 0 means nothing), and the Pythia family (its own ladder, every checkpoint,
# in data/pythia.parquet)
NOT_IN_LADDERS = {"tasks": ("gsm8k", "humaneval"), "families": ("Pythia",)}


def convert(source: str | Path) -> pd.DataFrame:
    """The validated observation table of the CSV in folder (or file) `source`."""
    path = Path(source)
    path = path / SOURCE_FILE if path.is_dir() else path
    wide = read_table(path)
    needed = {"Model", "Model Family", "Model Size (B)", "Pretraining Data Size (T)", *TASKS}
    if not needed <= set(wide.columns):
        raise LadderError(f"{path}: expected columns {', '.join(sorted(needed))}")
    wide = wide.dropna(subset=["Pretraining Data Size (T)"])
    long = wide.melt(
        id_vars=["Model", "Model Family", "Model Size (B)", "Pretraining Data Size (T)"],
        value_vars=list(TASKS),
        var_name="benchmark",
        value_name="accuracy",
    ).dropna(subset=["accuracy"])
    rows = pd.DataFrame(
        {
            "run": long["Model"],
            "family": long["Model Family"],
            "params": (long["Model Size (B)"] * 1e9).round().astype("int64"),
            "tokens": (long["Pretraining Data Size (T)"] * 1e12).round().astype("int64"),
            "step": 0,
            "task": long["benchmark"].map(TASKS),
            "accuracy": long["accuracy"],
        }
    )
    return validate(rows, source=str(path))


def family_ladders(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The ladder spec (as YAML-ready data, `data` left to the caller) of every family that
    makes one (see the module docstring): fit runs below the largest N, targets at it."""
    models = table.drop_duplicates("run")[["run", "family", "params", "tokens"]]
    out = []
    for family, group in models.groupby("family", sort=True):
        if family in NOT_IN_LADDERS["families"]:
            continue
        largest = group["params"].max()
        fit = group[group["params"] < largest].sort_values(["params", "run"])
        if fit["params"].nunique() < MIN_FIT_SIZES:
            continue
        targets = group[group["params"] == largest].sort_values("run")
        members = table[table["run"].isin(group["run"])]
        counts = members.groupby("task")["run"].nunique()
        scored = counts.index[counts == len(group)]  # scored for every member
        tasks = sorted(t for t in scored if t not in NOT_IN_LADDERS["tasks"])
        out.append(
            {
                "name": "obsscaling-" + _slug(family),
                "description": f"ObsScaling family {family}: fit the smaller models, predict "
                "the largest (final checkpoints, accuracy only).",
                "fit": {"runs": list(fit["run"]), "ladder_runs": []},
                "targets": [
                    {
                        "name": _slug(run.split("/")[-1]),
                        "params": int(n),
                        "tokens": int(d),
                        "run": run,
                    }
                    for run, n, d in zip(
                        targets["run"], targets["params"], targets["tokens"], strict=True
                    )
                ],
                "tasks": [{"name": task, "chance": CHANCE[task]} for task in tasks],
            }
        )
    return out


def _slug(text: str) -> str:
    """A safe name: letters, digits, '.', '_', '+', '=', '-' (others become '-')."""
    return "".join(c if c.isalnum() or c in "._+=-" else "-" for c in text).strip("-").lower()
