"""Importer for lm-evaluation-harness results (`lm_eval ... --output_path DIR --log_samples`).

lm-eval writes, per evaluated model, `results_<date>.json` (aggregate metrics per task, with
`config.model_args` naming the checkpoint) and, with `--log_samples`, one
`samples_<task>_<date>.jsonl` per task beside it: one line per document with the
(context, continuation) of every choice in `arguments`, their log-likelihoods (nats) in
`filtered_resps` and the gold index in `target`.

The task loss is not in the aggregate file: it is computed from the samples as OLMo's
in-loop evaluator defines it (olmo_eval's `bpb_v1`, what `ladder collect` records), the bits
per byte of the correct continuation, -log p(gold) / (ln 2 x UTF-8 bytes of the continuation
without its leading space), averaged over documents. A task without its samples file is an
error, never a row without a loss.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from ladder.data.observations import validate
from ladder.errors import LadderError
from ladder.files import read_lines, read_table

ACCURACY_METRICS = ("acc_norm", "acc")
RESULTS_PREFIX = "results_"


@dataclass(frozen=True)
class Checkpoint:
    """Where a results file's numbers belong: run name, N (parameters), D (tokens), step."""

    run: str
    params: int
    tokens: int
    step: int


def _load_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LadderError(f"{path}: not an lm-eval results JSON file ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise LadderError(
            f"{path}: not an lm-eval results file (no 'results' object); expected the "
            "results_<date>.json that `lm_eval --output_path` writes"
        )
    return data


def reported_params(paths: Sequence[str | Path]) -> int:
    """N as lm-eval reports it (`config.model_num_parameters`: every parameter of the model,
    its embeddings included), the same in every results file; LadderError when one lacks it."""
    counts = {}
    for path in paths:
        count = (_load_json(Path(path)).get("config") or {}).get("model_num_parameters")
        if not isinstance(count, int) or count <= 0:
            raise LadderError(f"{path}: no config.model_num_parameters; give N with --params RUN=N")
        counts[count] = path
    if len(counts) > 1:
        raise LadderError(
            "the results files report different model_num_parameters ("
            + ", ".join(f"{n} in {path}" for n, path in counts.items())
            + "): one model's files only, or a --checkpoints side table"
        )
    return next(iter(counts))


def model_of(results: Mapping, source: str = "results") -> tuple[str, str]:
    """The (pretrained, revision) a results file names in `config.model_args`."""
    args = (results.get("config") or {}).get("model_args")
    if isinstance(args, dict):
        fields = {str(k): str(v) for k, v in args.items()}
    elif isinstance(args, str):
        fields = dict(part.split("=", 1) for part in args.split(",") if "=" in part)
    else:
        raise LadderError(f"{source}: no config.model_args naming the model")
    if "pretrained" not in fields:
        raise LadderError(f"{source}: config.model_args has no pretrained=... ({args!r})")
    return fields["pretrained"], fields.get("revision", "")


def read_checkpoints(path: str | Path) -> dict[tuple[str, str], Checkpoint]:
    """A side table (CSV): columns model, revision (optional), run, params, tokens, step.

    `model` and `revision` are matched against lm-eval's `pretrained=` and `revision=`.
    """
    path = Path(path)
    table = read_table(path, dtype={"model": str, "revision": str, "run": str})
    missing = [c for c in ("model", "run", "params", "tokens", "step") if c not in table.columns]
    if missing:
        raise LadderError(
            f"{path}: missing column(s) {', '.join(missing)}; expected model, revision "
            "(optional), run, params, tokens, step"
        )
    revision = table["revision"] if "revision" in table.columns else pd.Series("", table.index)
    out: dict[tuple[str, str], Checkpoint] = {}
    for i, row in table.iterrows():
        try:
            checkpoint = Checkpoint(
                run=str(row["run"]),
                params=int(row["params"]),
                tokens=int(row["tokens"]),
                step=int(row["step"]),
            )
        except (TypeError, ValueError) as exc:
            raise LadderError(f"{path}: row {i + 2}: {exc}") from exc
        key = (str(row["model"]), "" if pd.isna(revision[i]) else str(revision[i]))
        if key in out:
            raise LadderError(f"{path}: row {i + 2}: model {key[0]} {key[1]} listed twice")
        out[key] = checkpoint
    return out


def _choices(sample: Mapping, source: str) -> tuple[np.ndarray, list[str]]:
    """Log-likelihoods (nats) and continuation strings of a sample's choices."""
    arguments = sample.get("arguments")
    try:
        if isinstance(arguments, dict):  # lm-eval >= 0.4.3: {"gen_args_i": {"arg_0": ...}}
            pairs = [arguments[f"gen_args_{i}"] for i in range(len(arguments))]
            continuations = [pair.get("arg_1") for pair in pairs]
        else:  # older: [[context, continuation], ...]
            continuations = [pair[1] if len(pair) > 1 else None for pair in arguments]
    except (KeyError, AttributeError, TypeError) as exc:
        raise LadderError(f"{source}: a sample's 'arguments' are not lm-eval's ({exc})") from exc
    responses = sample.get("filtered_resps")
    if not isinstance(responses, list) or len(responses) != len(continuations):
        raise LadderError(f"{source}: a sample's filtered_resps do not match its arguments")
    values = []
    for response in responses:
        while isinstance(response, list):  # [loglikelihood, is_greedy], as strings since 0.4.3
            response = response[0] if response else None
        try:
            values.append(float(response))
        except (TypeError, ValueError):
            values.append(math.nan)
    if any(not isinstance(c, str) for c in continuations) or not np.isfinite(values).all():
        raise LadderError(
            f"{source}: not a log-likelihood (multiple-choice) task; only tasks scored by "
            "log-likelihood of continuations have a task loss"
        )
    return np.asarray(values, dtype=float), continuations


def _gold(sample: Mapping, continuations: Sequence[str], source: str) -> int:
    target = str(sample.get("target", ""))
    if target.isdigit() and int(target) < len(continuations):
        return int(target)
    stripped = [c.strip() for c in continuations]
    if target.strip() in stripped:
        return stripped.index(target.strip())
    raise LadderError(
        f"{source}: doc {sample.get('doc_id')}: target {target!r} is neither a choice index "
        "nor one of the choices"
    )


def answer_text(continuation: str) -> str:
    """The continuation without the one leading space lm-eval's target delimiter adds; the
    bytes of this are bpb's denominator, as in olmo_eval's bpb_v1."""
    return continuation[1:] if continuation[:1].isspace() else continuation


@dataclass(frozen=True)
class SampleMetrics:
    """What a samples file gives, averaged over its documents: the task loss (bits per byte
    of the correct continuation), soft (the probability of the correct choice normalized over
    the choices) and soft_log (its natural log), the mean of the per-sample accuracy metric
    (None where the samples lack it) and the number of documents."""

    task_loss: float
    soft: float
    soft_log: float
    score: float | None
    documents: int


def task_loss(samples_path: str | Path, metric: str) -> SampleMetrics:
    """The metrics of one samples file (SampleMetrics)."""
    path = Path(samples_path)
    losses, scores, soft_logs = [], [], []
    for number, line in read_lines(path):
        source = f"{path}:{number}"
        try:
            sample = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LadderError(f"{source}: not JSON ({exc})") from exc
        loglik, continuations = _choices(sample, source)
        gold = _gold(sample, continuations, source)
        size = len(answer_text(continuations[gold]).encode("utf-8"))
        if size == 0:
            raise LadderError(f"{source}: the correct continuation is empty")
        losses.append(-loglik[gold] / (math.log(2) * size))
        soft_logs.append(loglik[gold] - logsumexp(loglik))
        scores.append(sample.get(metric))
    if not losses:
        raise LadderError(f"{path}: no samples")
    score = None if None in scores else float(np.mean(scores))
    soft_log = np.asarray(soft_logs)
    return SampleMetrics(
        float(np.mean(losses)),
        float(np.mean(np.exp(soft_log))),
        float(np.mean(soft_log)),
        score,
        len(losses),
    )


def samples_file(results_path: Path, task: str) -> Path:
    """The samples file lm-eval wrote with this results file for `task` (same date stamp)."""
    stamp = results_path.stem.removeprefix(RESULTS_PREFIX)
    for name in (f"samples_{task}_{stamp}.jsonl", f"samples_{task}.jsonl"):
        if (results_path.parent / name).is_file():
            return results_path.parent / name
    raise LadderError(
        f"{results_path}: task {task!r} has no samples_{task}_{stamp}.jsonl beside it; the "
        "task loss (bits per byte of the correct answer) needs lm-eval's per-sample "
        "log-likelihoods: rerun lm_eval with --log_samples"
    )


def _fraction(results: Mapping, task: str, metric: str, source: Path) -> float:
    """The results' `metric` of `task`, a number in [0, 1]; LadderError naming it otherwise
    (null, NaN, a word)."""
    value = results[task][f"{metric},none"]
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not 0 <= number <= 1:
        raise LadderError(f"{source}: task {task!r}: {metric} is {value!r}, not a fraction")
    return number


def _rows(
    path: Path, data: Mapping, checkpoint: Checkpoint, tasks: Sequence[str] | None
) -> list[dict]:
    """Observation rows for one results file; each checked against its samples file."""
    results = data["results"]
    groups = {group for group, members in (data.get("group_subtasks") or {}).items() if members}
    scored = [t for t, metrics in results.items() if "acc,none" in metrics and t not in groups]
    wanted = list(tasks) if tasks else scored
    unknown = [task for task in wanted if task not in scored]
    if unknown:
        raise LadderError(
            f"{path}: no per-task accuracy for {', '.join(unknown)} (a group's average has "
            f"no task loss: import its members); scored here: {', '.join(scored) or 'none'}"
        )
    if not wanted:
        raise LadderError(f"{path}: no task with an accuracy (acc) in 'results'")
    rows = []
    for task in wanted:
        metric = next(m for m in ACCURACY_METRICS if f"{m},none" in results[task])
        accuracy = _fraction(results, task, metric, path)
        samples = samples_file(path, task)
        measured = task_loss(samples, metric)
        documents, score = measured.documents, measured.score
        expected = ((data.get("n-samples") or {}).get(task) or {}).get("effective", documents)
        if documents != expected or (score is not None and abs(score - accuracy) > 1e-6):
            raise LadderError(
                f"{samples}: does not belong to {path.name} ({documents} documents with mean "
                f"{metric} {score}; the results say {expected} and {accuracy})"
            )
        rows.append(
            {
                "run": checkpoint.run,
                "params": checkpoint.params,
                "tokens": checkpoint.tokens,
                "step": checkpoint.step,
                "task": task,
                "task_loss": measured.task_loss,
                "accuracy": accuracy,
                "accuracy_metric": metric,
                "acc": _fraction(results, task, "acc", path),
                "soft": measured.soft,
                "soft_log": measured.soft_log,
                "documents": documents,
            }
        )
    return rows


def import_results(
    paths: Sequence[str | Path],
    checkpoints: Mapping[tuple[str, str], Checkpoint] | Checkpoint,
    tasks: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Validated observation rows (see ladder.data.observations) for lm-eval results files.

    Accuracy is lm-eval's `acc_norm` where the task reports it, else `acc` (the column
    `accuracy_metric` says which); `tasks` limits the import (default: every task scored by
    log-likelihood, i.e. with an `acc`, except group averages).

    `checkpoints` maps lm-eval's (pretrained, revision) to a Checkpoint, or is one Checkpoint
    when all files are of the same model (then exactly one model may appear).
    """
    rows: list[dict] = []
    models: dict[tuple[str, str], Path] = {}
    for raw in paths:
        path = Path(raw)
        data = _load_json(path)
        model = model_of(data, source=str(path))
        if model in models:
            raise LadderError(f"{path}: model {model[0]} {model[1]} also in {models[model]}")
        models[model] = path
        if isinstance(checkpoints, Checkpoint):
            if len(models) > 1:
                raise LadderError(
                    f"{path}: a second model ({model[0]} {model[1]}); give N, D and step of "
                    "each in a side table (--checkpoints) instead of one --params/--tokens"
                )
            checkpoint = checkpoints
        elif model in checkpoints:
            checkpoint = checkpoints[model]
        else:
            raise LadderError(
                f"{path}: model {model[0]!r} revision {model[1]!r} is not in the side table"
            )
        rows += _rows(path, data, checkpoint, tasks)
    if not rows:
        raise LadderError("no results files given")
    return validate(pd.DataFrame(rows), source="lm-eval results")
