"""Importer for OLMo / OLMo-core in-loop evaluation logs exported from W&B as CSV.

One CSV per run (the file stem is the run name), one row per evaluated step, with columns
`_step`, `throughput/total_tokens`, `batch_size_in_tokens`, and per task
`eval/downstream_bpb/<task>_bpb` (task loss, bits per byte) and
`eval/downstream/<task>_len_norm` or `..._acc` (accuracy; length-normalized where logged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ladder.errors import LadderError
from ladder.observations import validate
from ladder.rungs import multiplier_in_name
from ladder.sizes import tokens_for

BPB_PREFIX = "eval/downstream_bpb/"
ACC_PREFIX = "eval/downstream/"
TOKENS = "throughput/total_tokens"
STEP = "_step"
BATCH = "batch_size_in_tokens"
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


def _accuracy_column(columns: Sequence[str], task: str) -> str | None:
    for suffix in ("_len_norm", "_acc"):
        if f"{ACC_PREFIX}{task}{suffix}" in columns:
            return f"{ACC_PREFIX}{task}{suffix}"
    return None


def read_run(path: str | Path, params: int) -> pd.DataFrame:
    """Convert one run's log into observation rows (see ladder.observations)."""
    path = Path(path)
    if not path.is_file():
        raise LadderError(f"{path}: no such file")
    try:
        log = pd.read_csv(path)
    except Exception as exc:
        raise LadderError(f"{path}: cannot be read as CSV ({exc})") from exc
    run = path.stem
    if TOKENS in log.columns:
        tokens = log[TOKENS].to_numpy(dtype=float)
    elif STEP in log.columns and BATCH in log.columns:
        tokens = log[STEP].to_numpy(dtype=float) * log[BATCH].to_numpy(dtype=float)
    else:
        raise LadderError(f"{path}: needs {TOKENS!r}, or {STEP!r} and {BATCH!r}, to give D")
    if STEP in log.columns:
        steps = log[STEP].to_numpy(dtype=float)
    elif BATCH in log.columns:
        steps = np.round(tokens / log[BATCH].to_numpy(dtype=float))
    else:
        raise LadderError(f"{path}: needs {STEP!r}, or {BATCH!r} to derive the step")
    tasks = [c[len(BPB_PREFIX) : -len("_bpb")] for c in log.columns if c.startswith(BPB_PREFIX)]
    if not tasks:
        raise LadderError(f"{path}: no {BPB_PREFIX}<task>_bpb columns; is this an OLMo eval log?")
    frames = []
    for task in tasks:
        accuracy_column = _accuracy_column(log.columns, task)
        frames.append(
            pd.DataFrame(
                {
                    "run": run,
                    "params": params,
                    "tokens": tokens,
                    "step": steps,
                    "task": task,
                    "task_loss": log[f"{BPB_PREFIX}{task}_bpb"].to_numpy(dtype=float),
                    "accuracy": (
                        log[accuracy_column].to_numpy(dtype=float) if accuracy_column else np.nan
                    ),
                }
            )
        )
    rows = pd.concat(frames, ignore_index=True)
    check_tokens_against_name(run, params, float(np.nanmax(tokens)), source=str(path))
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
    frames = [read_run(path, params_for_run(Path(path).stem, params)) for path in paths]
    return validate(pd.concat(frames, ignore_index=True), source="imported logs")
