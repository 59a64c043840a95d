"""The data verbs' API: importing evaluation logs into an observation table, tokenizing a corpus."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ladder.api._progress import progress_bar
from ladder.errors import LadderError

if TYPE_CHECKING:
    import pandas as pd


def import_observations(
    kind: str,
    paths: Sequence[str | Path],
    output: str | Path,
    params: Mapping[str, int] | None = None,
    checkpoints: str | Path | None = None,
    run: str | None = None,
    tokens: int | None = None,
    step: int = 0,
    tasks: Sequence[str] | None = None,
    replace: bool = False,
) -> tuple[pd.DataFrame, int]:
    """Convert files of `kind` (olmo-logs, lm-eval, csv) into observation rows and add them to
    the table at `output`: rows whose (run, step, task) the table has are kept as they are
    (`replace`: the table is replaced instead). Returns the imported rows and how many were
    added."""
    from ladder.data import observations
    from ladder.data.importers import ImportOptions, import_rows

    options = ImportOptions(dict(params or {}), checkpoints, run, tokens, step, tuple(tasks or ()))
    rows = import_rows(kind, paths, options)
    if replace:
        return rows, observations.replace(rows, output)
    return rows, observations.append(rows, output)


def write_family_ladders(table: str | Path, folder: str | Path) -> list[Path]:
    """One ladder spec (YAML) per model family of an ObsScaling table that makes a ladder
    (ladder.data.obsscaling.family_ladders), its `data` relative to `folder`."""
    import os

    import yaml

    from ladder.data import observations
    from ladder.data.obsscaling import family_ladders
    from ladder.files import write_text

    folder = Path(folder)
    data = Path(os.path.relpath(Path(table).resolve(), folder.resolve()))
    written = []
    for spec in family_ladders(observations.read(table)):
        text = yaml.safe_dump({"name": spec["name"], "data": str(data), **spec}, sort_keys=False)
        header = "# Written by `ladder import obsscaling ... --ladders`; see data/README.md.\n"
        written.append(write_text(folder / f"{spec['name']}.yaml", header + text))
    return written


def prepare_data(
    output: str | Path,
    inputs: Sequence[str | Path] = (),
    builtin: str | None = None,
    field: str = "text",
    tokenizer: str = "gpt_neox_olmo_dolma_v1_5",
    tokenizer_file: str | Path | None = None,
    progress: bool = False,
) -> int:
    """Tokenize text files / JSON Lines (or a built-in corpus) into an OLMo-core token file;
    returns the number of tokens."""
    from ladder.spec.train import TokenizerSpec
    from ladder.train import data

    if bool(inputs) == bool(builtin):
        raise LadderError("give input files or a built-in corpus (one of the two)")
    documents = (
        data.builtin_documents(builtin)
        if builtin
        else data.read_documents([Path(p) for p in inputs], field=field)
    )
    spec = TokenizerSpec.parse(
        {"name": tokenizer, "file": str(tokenizer_file) if tokenizer_file else None}, "tokenizer"
    )
    with progress_bar(progress, desc="tokenizing", unit="doc") as bar:
        return data.tokenize(documents, spec, Path(output), progress=bar.update)
