"""A trained rung's folder, shared by `ladder train` (which writes it) and `ladder collect`
(which reads it), so that neither imports the other.

Layout of train.output/<rung>: `rung.json` (the rung's plan), OLMo-core's `stepN` checkpoints
(complete once their `.metadata.json` is written) and, once the last step is saved, `DONE`.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ladder.errors import LadderError
from ladder.files import write_text

if TYPE_CHECKING:
    from olmo_core.nn.transformer import TransformerConfig

    from ladder.train_spec import TrainSpec

DONE = "DONE"
RUNG_FILE = "rung.json"
STEP = re.compile(r"^step(\d+)$")


@dataclass(frozen=True)
class RungPlan:
    """One run of the ladder. params: N (non-embedding); tokens: D as trained (whole steps);
    batch_size in sequences; warmup_steps and steps in optimizer steps; flops = 6 N D."""

    name: str
    size: str
    multiplier: float
    params: int
    total_params: int
    tokens: int
    sequence_length: int
    batch_size: int
    learning_rate: float
    warmup_steps: int
    steps: int
    flops: float
    gpu_hours: float

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.sequence_length


def rung_dir(train: TrainSpec, name: str) -> Path:
    """The folder of rung `name` (a safe name: sizes are checked by the spec)."""
    return train.output / name


def is_done(train: TrainSpec, name: str) -> bool:
    return (rung_dir(train, name) / DONE).is_file()


def mark_done(folder: Path, steps: int) -> None:
    write_text(folder / DONE, f"{steps}\n")


def write_rung(folder: Path, rung: RungPlan) -> None:
    write_text(folder / RUNG_FILE, json.dumps(asdict(rung), indent=2))


def read_rung(folder: Path) -> RungPlan:
    """The plan `ladder train` wrote beside a rung's checkpoints."""
    path = folder / RUNG_FILE
    if not path.is_file():
        raise LadderError(f"{folder}: no {RUNG_FILE}; was it trained by `ladder train`?")
    try:
        return RungPlan(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise LadderError(f"{path}: not a rung plan written by `ladder train` ({exc})") from None


def checkpoints(folder: Path) -> list[tuple[int, Path]]:
    """The complete OLMo-core checkpoints in a rung folder, by step (OLMo-core writes a
    checkpoint's `.metadata.json` last)."""
    found = []
    for path in folder.iterdir() if folder.is_dir() else []:
        match = STEP.match(path.name)
        if match and (path / ".metadata.json").is_file():
            found.append((int(match.group(1)), path))
    return sorted(found)


def padded_vocab(train: TrainSpec) -> int:
    """The embedding rows of the spec's tokenizer (its vocabulary padded to a multiple of 128)."""
    from ladder.sizes import padded_vocab_size
    from ladder.tokenizer import token_config

    return padded_vocab_size(token_config(train.tokenizer).vocab_size)


def model_config(train: TrainSpec, size: str) -> TransformerConfig:
    """The OLMo-core TransformerConfig of a rung's size, at the spec's padded vocabulary."""
    return train.size(size).transformer_config(padded_vocab(train))


@contextmanager
def single_process_checkpoints() -> Iterator[None]:
    """Silence torch.distributed.checkpoint's warning that it saves or loads in one process:
    on one CPU process that is what is meant, and it would print at every checkpoint."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "torch.distributed is disabled", UserWarning)
        yield
