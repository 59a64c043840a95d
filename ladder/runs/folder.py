"""A trained rung's folder, shared by `ladder train` (which writes it) and `ladder collect`
(which reads it), so that neither imports the other.

Layout of train.output/<run> (a rung "<size>-<k>xC", or a WSD-S run "<size>-wsds"): `rung.json`
(the run's plan), OLMo-core's `stepN` checkpoints (complete once their `.metadata.json` is
written; a WSD-S run has one right before and one at the bottom of each decay besides the
regular ones) and, once the last step is saved, `DONE`.
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

    from ladder.spec.train import TrainSpec

DONE = "DONE"
RUNG_FILE = "rung.json"
STEP = re.compile(r"^step(\d+)$")


@dataclass(frozen=True)
class DecayPoint:
    """One decay of a WSD-S run, ending at its k x C point: the learning rate is at its peak
    up to step `start` (the pre-decay checkpoint) and falls linearly to the floor over steps
    start + 1 ... `end` (the decay bottom: the annealed rung "<size>-<k>xC", D = end x tokens
    per step)."""

    multiplier: float
    start: int
    end: int

    @property
    def steps(self) -> int:
        """The decay's length in optimizer steps."""
        return self.end - self.start


@dataclass(frozen=True)
class RungPlan:
    """One run of the ladder. params: N (sizes.N_MEANS); tokens: D as trained (whole steps);
    batch_size in sequences; learning_rate is the peak; warmup_steps and steps in optimizer
    steps; flops = 6 N D. schedule names its strategy in ladder.runs.schedule.SCHEDULES:
    `cosine` (decay to final_lr_fraction x peak at the last step) or `wsds` (decays to
    final_lr_fraction x peak ending at each of `decays`, each decay_fraction of its period; the
    run's `multiplier` is the last one's). Plans written before schedules existed read as
    cosine with the 10% floor they were trained with."""

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
    schedule: str = "cosine"
    final_lr_fraction: float = 0.1
    decay_fraction: float | None = None
    decays: tuple[DecayPoint, ...] = ()

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.sequence_length

    @property
    def fixed_steps(self) -> tuple[int, ...]:
        """The steps checkpointed and evaluated besides the regular intervals: right before
        and at the bottom of each decay (none for a cosine run)."""
        return tuple(sorted({step for d in self.decays for step in (d.start, d.end)}))


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
        fields = json.loads(path.read_text(encoding="utf-8"))
        fields["decays"] = tuple(DecayPoint(**d) for d in fields.get("decays", ()))
        return RungPlan(**fields)
    except (ValueError, TypeError, AttributeError) as exc:
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
    from ladder.runs.sizes import padded_vocab_size
    from ladder.runs.tokenizer import token_config

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
