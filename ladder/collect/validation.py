"""Validation loss: a model's language-modelling loss on held-out text (a token file in the
training corpus's format, see ladder.train.data), in bits per byte, recorded as a task named
after the file (its stem, e.g. `python-docs-validation`) with no accuracy.

The file is cut into windows of the run's sequence length (a shorter file is one window);
every token of a window after its first is predicted from those before it, EOS included, and
bits per byte = the summed cross-entropy / ln 2 / the UTF-8 bytes those tokens decode to, the
unit of every task loss in the observation table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ladder.collect.evaluate import TaskScore
from ladder.collect.logits import Forward
from ladder.errors import LadderError

if TYPE_CHECKING:
    from olmo_eval import Tokenizer


TOKENS_PER_FORWARD = 2048  # the logits of 2,048 tokens x a 50k vocabulary: 0.4 GB (float32)


@dataclass(frozen=True)
class HeldOutText:
    """The windows of a validation file (token ids, shape (W, S)) and the UTF-8 bytes of the
    tokens they predict; `batch_size` windows go through the model at once."""

    task: str
    windows: np.ndarray
    target_bytes: int
    batch_size: int

    @classmethod
    def load(cls, path: Path, tokenizer: Tokenizer, sequence_length: int) -> HeldOutText:
        """Read a validation token file; LadderError if it holds fewer than two tokens."""
        dtype = np.uint16 if tokenizer.vocab_size <= 2**16 else np.uint32
        tokens = np.fromfile(path, dtype=dtype).astype(np.int64)
        if len(tokens) < 2:
            raise LadderError(f"validation file {path}: fewer than two tokens")
        count = max(1, len(tokens) // sequence_length)
        width = min(sequence_length, len(tokens))
        windows = tokens[: count * width].reshape(count, width)
        texts = tokenizer.decode_batch(windows[:, 1:].tolist())
        batch_size = max(1, TOKENS_PER_FORWARD // width)
        return cls(path.stem, windows, sum(len(t.encode("utf-8")) for t in texts), batch_size)

    def score(self, forward: Forward, device: str = "cpu") -> TaskScore:
        """The model's bits per byte on the held-out text (accuracy and soft scores: NaN)."""
        import torch
        import torch.nn.functional as F

        nats = 0.0
        with torch.no_grad():
            for start in range(0, len(self.windows), self.batch_size):
                ids = torch.from_numpy(self.windows[start : start + self.batch_size]).to(device)
                logits = forward(ids).float()
                targets = F.pad(ids[:, 1:], (0, 1), value=-100)  # the last logit predicts none
                nats += F.cross_entropy(
                    logits.view(-1, logits.shape[-1]), targets.reshape(-1), reduction="sum"
                ).item()
        nan = float("nan")
        return TaskScore(
            task=self.task,
            task_loss=nats / math.log(2) / max(1, self.target_bytes),
            ce_loss=nan,
            acc=nan,
            len_norm=nan,
            accuracy=nan,
            soft=nan,
            soft_log=nan,
            documents=len(self.windows),
            requests=len(self.windows),
        )
