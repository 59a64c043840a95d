"""Full fine-tuning of a rung on a small data set, in a plain torch loop (AdamW, linear warmup
then linear decay to 0, gradient clipping at 1; OLMo-core's trainer is built for pretraining
runs, not a few hundred steps on one file).

The tuned model is written as a rung folder of its own beside the ladder's (train.output/<name>):
the base's `rung.json` under the new name, one OLMo-core checkpoint `stepN` at the base's step
(N and D stay the base's: D counts pretraining tokens), `tune.json` (what it was tuned on and
how) and DONE, so that every reader of rung folders (`ladder proxy-tune`, this module) loads it.
A Hugging Face model is tuned the same way and saved with `save_pretrained`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ladder.errors import LadderError
from ladder.files import write_text
from ladder.runs.folder import mark_done, single_process_checkpoints, write_rung

if TYPE_CHECKING:
    from ladder.spec.train import TrainSpec

TUNE_FILE = "tune.json"


@dataclass(frozen=True)
class TuneSettings:
    """Fine-tuning: passes over the data (epochs), sequences per step (batch_size), the peak
    learning rate (None: lr_fraction x the rung's pretraining peak, or 1e-4 for a Hugging Face
    model), the warmup as a fraction of the steps, and the seed of the window order."""

    epochs: int = 1
    batch_size: int = 4
    learning_rate: float | None = None
    lr_fraction: float = 0.1
    warmup_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise LadderError("epochs and batch size must be >= 1")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise LadderError(f"learning rate {self.learning_rate}: expected a number > 0")
        if not 0 < self.lr_fraction <= 1 or not 0 <= self.warmup_fraction < 1:
            raise LadderError("lr_fraction must be in (0, 1] and warmup_fraction in [0, 1)")


@dataclass(frozen=True)
class TuneResult:
    """What tuning did: the folder written, the base model's name, optimizer steps, tokens seen,
    the peak learning rate, and the training loss (nats per token) of the first and last step."""

    folder: Path
    base: str
    data: str
    steps: int
    tokens: int
    learning_rate: float
    first_loss: float
    last_loss: float


def train_loop(
    forward: Callable,
    parameters: list,
    windows: np.ndarray,
    settings: TuneSettings,
    learning_rate: float,
    on_step: Callable[[int, int, float], None] | None = None,
) -> list[float]:
    """Minimize next-token cross-entropy on `windows` (W, S) token ids; return each step's loss
    (nats per token). forward: token ids (B, S) -> logits (B, S, V)."""
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(settings.seed)
    batches = [
        order[start : start + settings.batch_size]
        for order in (rng.permutation(len(windows)) for _ in range(settings.epochs))
        for start in range(0, len(order), settings.batch_size)
    ]
    warmup = math.ceil(settings.warmup_fraction * len(batches))

    def factor(step: int) -> float:  # linear warmup to the peak, then linear decay to 0
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (len(batches) - step) / max(1, len(batches) - warmup))

    optimizer = torch.optim.AdamW(parameters, lr=learning_rate, betas=(0.9, 0.95))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    losses = []
    for step, batch in enumerate(batches):
        ids = torch.from_numpy(windows[batch])
        logits = forward(ids)
        loss = F.cross_entropy(logits[:, :-1].flatten(0, 1).float(), ids[:, 1:].flatten())
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if on_step is not None:
            on_step(step + 1, len(batches), losses[-1])
    return losses


def tune(
    model: str | Path,
    train: TrainSpec,
    documents: Iterable[str],
    data_name: str,
    name: str | None = None,
    output: Path | None = None,
    settings: TuneSettings = TuneSettings(),
    on_step: Callable[[int, int, float], None] | None = None,
) -> TuneResult:
    """Fine-tune `model` (a rung or checkpoint of the spec `train`, or a Hugging Face folder; see
    ladder.proxy_tuning.models) on `documents` (texts) and write it to `output` (default:
    train.output/<name>, name default "<model>-<data_name>"). Returns what it did."""
    import torch

    from ladder.proxy_tuning import data, models
    from ladder.runs.tokenizer import load_tokenizer, token_config

    if train is None:
        raise LadderError("tuning needs the ladder's spec with a `train` section (its tokenizer)")
    source = models.locate(model, train)
    name = name or f"{source.name}-{data_name}"
    output = output or train.output / name
    if output.exists() and any(output.iterdir()):
        raise LadderError(f"{output}: exists and is not empty; remove it or choose another name")
    ids = token_config(train.tokenizer)
    texts = [text for text in documents if text.strip()]
    tokens = load_tokenizer(train.tokenizer).encode_batch(texts, add_special_tokens=False)
    length = source.rung.sequence_length if source.rung is not None else 256
    windows = data.windows(tokens, ids.eos_token_id, length)
    torch.manual_seed(settings.seed)
    if source.rung is None:
        module = models.load(model, train).module.train()
        forward = lambda x: module(input_ids=x, use_cache=False).logits  # noqa: E731
        peak = settings.learning_rate or 1e-4
    else:
        module = models.load_olmo_core(source, train).train()
        forward = module
        peak = settings.learning_rate or settings.lr_fraction * source.rung.learning_rate
    losses = train_loop(forward, list(module.parameters()), windows, settings, peak, on_step)
    module.eval()
    output.mkdir(parents=True, exist_ok=True)
    if source.rung is None:
        with models.quiet_transformers():
            module.save_pretrained(output)
    else:
        _save_olmo(module, output / f"step{source.step}")
        write_rung(output, replace(source.rung, name=name))
    tuned = settings.epochs * windows.size
    result = TuneResult(
        output, source.name, data_name, len(losses), tuned, peak, losses[0], losses[-1]
    )
    record = {**asdict(result), "folder": str(output), "settings": asdict(settings)}
    write_text(output / TUNE_FILE, json.dumps(record, indent=2))
    if source.rung is not None:
        mark_done(output, source.rung.steps)
    return result


def _save_olmo(model, checkpoint: Path) -> None:
    """An OLMo-core checkpoint folder (model weights, no optimizer state) with its digest, that
    ladder.collect.checkpoints.load_olmo and runfolder.checkpoints read."""
    from olmo_core.distributed.checkpoint import save_model_and_optim_state
    from olmo_core.train.checkpoint import CheckpointMetadata

    from ladder.runs.checkpoint import write_digest

    with single_process_checkpoints():
        save_model_and_optim_state(str(checkpoint / "model_and_optim"), model, save_overwrite=True)
    metadata = CheckpointMetadata().as_dict(json_safe=True)
    write_text(checkpoint / ".metadata.json", json.dumps(metadata))
    write_digest(checkpoint)
