"""Importer for the Pythia suite's evaluations over its checkpoints (Biderman et al. 2023, arXiv
2304.01373; EleutherAI/pythia's evals/pythia-v1, Apache-2.0): the long CSV of one row per (model,
setting, step, task, metric) into observation rows.

Facts of the suite (the paper and model cards):
- D at a step: step x 2,097,152 tokens (1,024 sequences of 2,048); every model trains 143,000
  steps (about 300B tokens; the deduplicated suite sees its 207B-token Pile about 1.5 times).
- Learning rate: linear warm-up over the first 1% of steps, then cosine decay to 10% of the
  peak at step 143,000; the peak per size is PEAK_LR.
- N: `params` is the model card's non-embedding count (Kaplan et al.'s: the input embedding
  and the untied output layer both left out, 18.9M of Pythia-70M's 70.4M), not ladder's N (all
  but the input embedding, 44.7M; ladder.runs.sizes), because it gives cleaner laws across
  sizes where embeddings are a large share; the corpus fits Pythia with Pythia only, so one
  count throughout. `params_total` keeps the card's total. Both are columns of the table.
- Tasks: `<task>_0shot` and `<task>_5shot`; accuracy is lm-eval's acc_norm where the task
  has it (ARC, PIQA, SciQ, LogiQA), else acc; `acc` and `len_norm` keep both. LAMBADA's
  perplexity of the final word gives its task loss, ln ppl, in nats per word; no other task
  has one.
- Step 0 (the untrained model, D = 0) is left out: no power law of D passes through it.

Runs are the model names (`pythia-1.4b`, `pythia-1.4b-deduped`, and the variants
`pythia-1b-bf16`, `pythia-1b-0.5MtokBS`, `pythia-70m-0.25MtokBS`, whose batch differs); the
column `suite` says standard, deduped or variant.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ladder.data.observations import BITS_PER_BYTE, NATS_PER_WORD, validate
from ladder.errors import LadderError
from ladder.files import read_table

SOURCE_FILE = "pythia_v1_core_tasks_long.csv"
TOKENS_PER_STEP = 2_097_152
TOTAL_STEPS = 143_000
WARMUP_FRACTION = 0.01
FINAL_LR_FRACTION = 0.1
PARAMS_TOTAL = {
    "70m": 70_426_624,
    "160m": 162_322_944,
    "410m": 405_334_016,
    "1b": 1_011_781_632,
    "1.4b": 1_414_647_808,
    "2.8b": 2_775_208_960,
    "6.9b": 6_857_302_016,
    "12b": 11_846_072_320,
}
PARAMS_NON_EMBEDDING = {
    "70m": 18_915_328,
    "160m": 85_056_000,
    "410m": 302_311_424,
    "1b": 805_736_448,
    "1.4b": 1_208_602_624,
    "2.8b": 2_517_652_480,
    "6.9b": 6_444_163_072,
    "12b": 11_327_027_200,
}
PEAK_LR = {
    "70m": 1e-3,
    "160m": 6e-4,
    "410m": 3e-4,
    "1b": 3e-4,
    "1.4b": 2e-4,
    "2.8b": 1.6e-4,
    "6.9b": 1.2e-4,
    "12b": 1.2e-4,
}
# tokens per step of the variants with another batch (sequences of 2,048 tokens)
VARIANT_TOKENS_PER_STEP = {"pythia-1b-0.5MtokBS": 256 * 2048, "pythia-70m-0.25MtokBS": 128 * 2048}
SETTINGS = {"zero-shot": "0shot", "five-shot": "5shot"}
NORMALIZED = "acc_norm"
LOSS_TASK = "lambada_openai"


def size_of(model: str) -> str:
    """The size key of a model name: pythia-1.4b-deduped -> 1.4b."""
    size = model.removeprefix("pythia-").split("-")[0]
    if size not in PARAMS_TOTAL:
        raise LadderError(f"{model}: not a Pythia model of a known size")
    return size


def suite_of(model: str) -> str:
    """standard, deduped or variant."""
    rest = model.removeprefix(f"pythia-{size_of(model)}")
    return {"": "standard", "-deduped": "deduped"}.get(rest, "variant")


def learning_rate(size: str, step: np.ndarray, total: int = TOTAL_STEPS) -> np.ndarray:
    """The rate of step `step`'s update: linear warm-up over 1% of `total` steps, then cosine
    to 10% of the peak at `total`."""
    peak, warmup = PEAK_LR[size], WARMUP_FRACTION * total
    step = np.asarray(step, dtype=float)
    progress = np.clip((step - warmup) / (total - warmup), 0.0, 1.0)
    cosine = FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * 0.5 * (1 + np.cos(math.pi * progress))
    return np.where(step < warmup, peak * step / warmup, peak * cosine)


def convert(source: str | Path) -> pd.DataFrame:
    """The validated observation table of the long CSV in folder (or file) `source`."""
    path = Path(source)
    path = path / SOURCE_FILE if path.is_dir() else path
    long = read_table(path)
    expected = {"model", "setting", "step", "task", "metric", "value"}
    if not expected <= set(long.columns):
        raise LadderError(f"{path}: expected columns {', '.join(sorted(expected))}")
    long = long[long["step"] > 0]
    wide = long.pivot_table(
        index=["model", "setting", "step", "task"], columns="metric", values="value"
    ).reset_index()
    wide["size"] = wide["model"].map(size_of)
    per_step = wide["model"].map(VARIANT_TOKENS_PER_STEP).fillna(TOKENS_PER_STEP)
    total = (TOTAL_STEPS * TOKENS_PER_STEP / per_step).round()
    rows = pd.DataFrame(
        {
            "run": wide["model"],
            "suite": wide["model"].map(suite_of),
            "params": wide["size"].map(PARAMS_NON_EMBEDDING),
            "params_total": wide["size"].map(PARAMS_TOTAL),
            "tokens": (wide["step"] * per_step).astype("int64"),
            "step": wide["step"].astype("int64"),
            "task": wide["task"] + "_" + wide["setting"].map(SETTINGS),
            "accuracy": wide[NORMALIZED].fillna(wide["acc"]),
            "acc": wide["acc"],
            "len_norm": wide[NORMALIZED],
        }
    )
    rows["learning_rate"] = [
        float(learning_rate(size, step, int(t)))
        for size, step, t in zip(wide["size"], wide["step"], total, strict=True)
    ]
    loss = wide["task"].eq(LOSS_TASK)
    rows["task_loss"] = np.where(loss, np.log(wide.get("ppl", np.nan)), np.nan)
    rows["loss_unit"] = np.where(loss, NATS_PER_WORD, BITS_PER_BYTE)
    return validate(rows, source=str(path))
