"""Training data: text -> token ids in OLMo-core's numpy format (a flat memory-mapped array of
token ids, each document followed by the tokenizer's EOS; uint16 for vocabularies up to 65,536).

The built-in corpus `python-docs` is the English prose that ships with every CPython: the
documentation topics of `pydoc_data` and the docstrings of the standard library's modules,
classes and functions (tests excluded). Licence: the Python Software Foundation License
(PSF-2.0), which permits this use; it is built from the running interpreter, so nothing is
downloaded.
"""

from __future__ import annotations

import ast
import json
import sysconfig
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from ladder.errors import LadderError
from ladder.files import atomic_write, read_lines
from ladder.spec.train import BUILTIN_CORPORA, TokenizerSpec, TrainSpec

MIN_DOCSTRING_CHARS = 200
HELD_OUT_EVERY = 50  # a built-in corpus's validation text: every 50th document, never trained on
SKIPPED_STDLIB = ("test", "idlelib", "lib2to3", "site-packages", "ensurepip", "turtledemo")


def python_docs() -> Iterator[str]:
    """The built-in corpus, one document per pydoc topic or stdlib docstring, in a fixed order."""
    from pydoc_data.topics import topics

    for name in sorted(topics):
        yield topics[name]
    root = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(root.rglob("*.py")):
        if any(part in SKIPPED_STDLIB for part in path.relative_to(root).parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                if doc and len(doc) >= MIN_DOCSTRING_CHARS:
                    yield doc


def read_documents(paths: Sequence[Path], field: str = "text") -> Iterator[str]:
    """Documents from text files (one document per file) and JSON Lines (one per line, the
    `field` value); raise LadderError naming the file and line of anything else."""
    for path in paths:
        if not path.is_file():
            raise LadderError(f"{path}: no such file")
        if path.suffix not in (".jsonl", ".json"):
            try:
                yield path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                raise LadderError(f"{path}: not UTF-8 text") from None
            continue
        for number, line in read_lines(path):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise LadderError(f"{path}:{number}: not a JSON object") from None
            if not isinstance(record, dict) or not isinstance(record.get(field), str):
                raise LadderError(f"{path}:{number}: no string field {field!r}")
            yield record[field]


def tokenize(
    documents: Iterable[str],
    tokenizer: TokenizerSpec,
    out: Path,
    batch: int = 256,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Encode documents (each followed by EOS) into `out`; return the number of tokens.

    Written atomically, so an interrupted run leaves no partial corpus.
    """
    from ladder.runs.tokenizer import load_tokenizer, token_config

    ids = token_config(tokenizer)
    encoder = load_tokenizer(tokenizer)
    dtype = np.uint16 if ids.vocab_size <= 2**16 else np.uint32
    total = 0

    def write(tmp: Path) -> None:
        nonlocal total
        with tmp.open("wb") as handle:
            pending: list[str] = []

            def flush() -> None:
                nonlocal total
                for tokens in encoder.encode_batch(pending, add_special_tokens=False):
                    array = np.asarray([*tokens, ids.eos_token_id], dtype=dtype)
                    handle.write(array.tobytes())
                    total += len(array)
                if progress is not None:
                    progress(len(pending))
                pending.clear()

            for document in documents:
                if document.strip():
                    pending.append(document)
                if len(pending) >= batch:
                    flush()
            if pending:
                flush()
        if total == 0:
            raise LadderError("no text to tokenize: every document was empty")

    atomic_write(out, write)
    return total


def builtin_documents(name: str) -> Iterator[str]:
    if name not in BUILTIN_CORPORA:
        raise LadderError(f"unknown built-in corpus {name!r}: one of {', '.join(BUILTIN_CORPORA)}")
    return python_docs()


def builtin_corpus_missing(train: TrainSpec) -> bool:
    """Whether the spec names a built-in corpus whose token file (or validation file) is not
    there yet."""
    files = [train.corpus[0], *([train.validation] if train.validation else [])]
    return train.builtin_corpus is not None and not all(path.is_file() for path in files)


def build_builtin_corpus(train: TrainSpec, progress: Callable[[int], None] | None = None) -> int:
    """Tokenize the spec's built-in corpus into its (one) corpus file, and every
    HELD_OUT_EVERY-th document into its validation file instead when it names one; return
    the corpus's tokens."""
    documents = builtin_documents(train.builtin_corpus)
    if train.validation is None:
        return tokenize(documents, train.tokenizer, train.corpus[0], progress=progress)
    documents = list(documents)
    held_out = documents[::HELD_OUT_EVERY]
    kept = [doc for i, doc in enumerate(documents) if i % HELD_OUT_EVERY]
    tokenize(held_out, train.tokenizer, train.validation, progress=progress)
    return tokenize(kept, train.tokenizer, train.corpus[0], progress=progress)
