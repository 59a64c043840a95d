"""Resuming a run safely: a digest is written beside every checkpoint as it is saved, and
before a run resumes, its newest checkpoints that fail ladder.runs.checkpoint's checks
(truncated, corrupted, unreadable metadata) are set aside, renamed `stepN.unloadable`, so that
OLMo-core resumes from the newest one that loads."""

from __future__ import annotations

from pathlib import Path

from olmo_core.distributed.utils import get_rank
from olmo_core.train.callbacks import Callback

from ladder.errors import LadderError
from ladder.runs.checkpoint import check_checkpoint, write_digest
from ladder.runs.folder import checkpoints


class DigestCallback(Callback):
    """Writes the digest of each checkpoint once OLMo-core has saved it (rank 0)."""

    def post_checkpoint_saved(self, path) -> None:
        if get_rank() == 0:
            write_digest(Path(path))


def set_aside_unloadable(folder: Path) -> list[str]:
    """Rename the run folder's newest checkpoints that fail the checks, newest first, until
    one passes; return one line per checkpoint set aside (what was wrong with it)."""
    notes = []
    for _, checkpoint in reversed(checkpoints(folder)):
        try:
            check_checkpoint(checkpoint)
        except LadderError as exc:
            aside = checkpoint.with_name(f"{checkpoint.name}.unloadable")
            if aside.exists():
                raise LadderError(f"{aside} exists; move it away to resume {folder}") from exc
            checkpoint.rename(aside)
            notes.append(f"{exc}; set aside as {aside.name}")
        else:
            break
    return notes
