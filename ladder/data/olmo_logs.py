"""Importer for OLMo / OLMo-core in-loop evaluation logs exported from W&B as CSV.

One CSV per run (the file stem is the run name), one row per evaluated step, with columns
`_step`, `throughput/total_tokens`, `batch_size_in_tokens`, `optim/learning_rate_group0`, and
per downstream task `eval/downstream_bpb/<task>_bpb` (task loss, bits per byte),
`eval/downstream/<task>_len_norm` and/or `..._acc` (accuracy), `eval/downstream_soft/<task>_soft`
and `eval/downstream_soft_log/<task>_soft_log` (the probability of the correct choice
normalized over the choices, and its log), and per validation set
`eval/<set>/CrossEntropyLoss` (nats per token).

Every signal is kept: one row per (run, step, task) with `task_loss` and `accuracy` (length-
normalized where logged, plain for BoolQ) plus the optional columns `len_norm`, `acc`, `soft`,
`soft_log` and `learning_rate`; each validation set is a task of its own (e.g.
`c4_en-validation`) whose `task_loss` is its cross-entropy with `loss_unit` "nats per token".
Logged tasks without a task loss (the targets' multiple-choice "mc" formats) are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ladder.data.observations import BITS_PER_BYTE, NATS_PER_TOKEN, validate
from ladder.errors import LadderError
from ladder.files import read_table
from ladder.runs.rungs import multiplier_in_name
from ladder.runs.sizes import tokens_for

BPB_PREFIX = "eval/downstream_bpb/"
ACC_PREFIX = "eval/downstream/"
METRIC_COLUMNS = {  # optional column -> the log's column for a task
    "len_norm": "eval/downstream/{task}_len_norm",
    "acc": "eval/downstream/{task}_acc",
    "soft": "eval/downstream_soft/{task}_soft",
    "soft_log": "eval/downstream_soft_log/{task}_soft_log",
}
VALIDATION = ("eval/", "/CrossEntropyLoss")
TOKENS = "throughput/total_tokens"
STEP = "_step"
BATCH = "batch_size_in_tokens"
LEARNING_RATE = "optim/learning_rate_group0"
TOKEN_TOLERANCE = 0.05


def params_for_run(run: str, params: Mapping[str, int]) -> int:
    """N for a run: the value of the longest key of `params` that the run name starts with."""
    keys = [key for key in params if run.startswith(key)]
    if not keys:
        raise LadderError(
            f"run {run!r}: no parameter count given; pass --params PREFIX=N for it "
            f"(known prefixes: {', '.join(sorted(params)) or 'none'})"
        )
    return int(params[max(keys, key=len)])


def _numbers(log: pd.DataFrame, column: str, source: Path) -> np.ndarray:
    """A log column as floats; LadderError naming the column and its first cell that is not a
    number (a word, a date)."""
    raw = log[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & raw.notna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise LadderError(
            f"{source}: row {row + 2}, column {column!r}: not a number ({raw.iloc[row]!r})"
        )
    return values


def read_run(path: str | Path, params: int) -> pd.DataFrame:
    """Convert one run's log into observation rows (see ladder.data.observations)."""
    path = Path(path)
    log = read_table(path)
    run = path.stem
    if log.empty:
        raise LadderError(f"{path}: no rows (a header only): no evaluation to import")
    if TOKENS in log.columns:
        tokens = _numbers(log, TOKENS, path)
    elif STEP in log.columns and BATCH in log.columns:
        tokens = _numbers(log, STEP, path) * _numbers(log, BATCH, path)
    else:
        raise LadderError(f"{path}: needs {TOKENS!r}, or {STEP!r} and {BATCH!r}, to give D")
    if STEP in log.columns:
        steps = _numbers(log, STEP, path)
    elif BATCH in log.columns:
        steps = np.round(tokens / _numbers(log, BATCH, path))
    else:
        raise LadderError(f"{path}: needs {STEP!r}, or {BATCH!r} to derive the step")
    tasks = [c[len(BPB_PREFIX) : -len("_bpb")] for c in log.columns if c.startswith(BPB_PREFIX)]
    if not tasks:
        raise LadderError(f"{path}: no {BPB_PREFIX}<task>_bpb columns; is this an OLMo eval log?")
    common = {"run": run, "params": params, "tokens": tokens, "step": steps}
    if LEARNING_RATE in log.columns:
        common["learning_rate"] = _numbers(log, LEARNING_RATE, path)
    frames = []
    for task in tasks:
        metrics = {
            name: _numbers(log, column.format(task=task), path)
            for name, column in METRIC_COLUMNS.items()
            if column.format(task=task) in log.columns
        }
        accuracy = metrics.get("len_norm", metrics.get("acc"))
        frame = {
            **common,
            "task": task,
            "task_loss": _numbers(log, f"{BPB_PREFIX}{task}_bpb", path),
            "loss_unit": BITS_PER_BYTE,
            "accuracy": np.nan if accuracy is None else accuracy,
            **metrics,
        }
        frames.append(pd.DataFrame(frame))
    for column in log.columns:
        if column.startswith(VALIDATION[0]) and column.endswith(VALIDATION[1]):
            name = column[len(VALIDATION[0]) : -len(VALIDATION[1])]
            frames.append(
                pd.DataFrame(
                    {
                        **common,
                        "task": name,
                        "task_loss": _numbers(log, column, path),
                        "loss_unit": NATS_PER_TOKEN,
                        "accuracy": np.nan,
                    }
                )
            )
    rows = pd.concat(frames, ignore_index=True)
    logged = tokens[np.isfinite(tokens)]
    if logged.size:  # none logged: validation names the missing cell
        check_tokens_against_name(run, params, float(logged.max()), source=str(path))
    return rows


def check_tokens_against_name(run: str, params: int, final_tokens: float, source: str) -> None:
    """A run named "...-kxC" must end near k x 20 N tokens; raise LadderError otherwise."""
    multiplier = multiplier_in_name(run)
    if multiplier is None:
        return
    expected = tokens_for(multiplier, params)
    if abs(final_tokens / expected - 1) > TOKEN_TOLERANCE:
        raise LadderError(
            f"{source}: run {run!r} ends at D = {final_tokens:.4g} tokens, but its name "
            f"implies {multiplier:g} x 20 N = {expected:.4g} (N = {params}); check N or the log"
        )


def import_logs(paths: Sequence[str | Path], params: Mapping[str, int]) -> pd.DataFrame:
    """Convert OLMo eval-log CSVs into one validated observation table."""
    if not paths:
        raise LadderError("no log files given")
    for path in paths:
        if not Path(path).is_file():
            raise LadderError(f"{path}: no such file")
    frames = [read_run(path, params_for_run(Path(path).stem, params)) for path in paths]
    return validate(pd.concat(frames, ignore_index=True), source="imported logs")
