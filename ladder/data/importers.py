"""The importers by kind: files of evaluation results in, validated observation rows out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ladder.data import lm_eval, observations, obsscaling, olmo_logs, pythia
from ladder.errors import LadderError


@dataclass(frozen=True)
class ImportOptions:
    """What an importer may need beyond its files: N (parameters) per run name or size
    (`params`), lm-eval's checkpoint side table, or for one model its `run`, D (`tokens`) and
    `step`, and the tasks to keep (all when empty)."""

    params: Mapping[str, int] = field(default_factory=dict)
    checkpoints: str | Path | None = None
    run: str | None = None
    tokens: int | None = None
    step: int = 0
    tasks: tuple[str, ...] = ()


def _csv(paths: Sequence[str | Path], _: ImportOptions) -> pd.DataFrame:
    return observations.concat([observations.read(path) for path in paths])


def _olmo_logs(paths: Sequence[str | Path], options: ImportOptions) -> pd.DataFrame:
    return olmo_logs.import_logs(paths, dict(options.params))


def _lm_eval(paths: Sequence[str | Path], options: ImportOptions) -> pd.DataFrame:
    if options.checkpoints:
        if options.run:
            raise LadderError("give either a checkpoints side table or run/params/tokens")
        where = lm_eval.read_checkpoints(options.checkpoints)
    elif options.run and options.tokens is not None:
        if options.params:
            n = olmo_logs.params_for_run(options.run, dict(options.params))
        else:
            n = lm_eval.reported_params(paths)
        where = lm_eval.Checkpoint(options.run, n, options.tokens, options.step)
    else:
        raise LadderError(
            "lm-eval results do not say N and D: pass a checkpoints side table (columns "
            "model, revision, run, params, tokens, step) or, for one model, its run name and "
            "tokens (and params where the results lack model_num_parameters)"
        )
    return lm_eval.import_results(paths, where, list(options.tasks) or None)


def _public(convert: Callable[[str | Path], pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """An importer of a public suite's folder (one path)."""

    def read(paths: Sequence[str | Path], _: ImportOptions) -> pd.DataFrame:
        if len(paths) != 1:
            raise LadderError("give the one folder (or file) of the public suite's results")
        return convert(paths[0])

    return read


IMPORTERS: dict[str, Callable[[Sequence[str | Path], ImportOptions], pd.DataFrame]] = {
    "olmo-logs": _olmo_logs,
    "lm-eval": _lm_eval,
    "csv": _csv,
    "pythia": _public(pythia.convert),
    "obsscaling": _public(obsscaling.convert),
}


def import_rows(
    kind: str, paths: Sequence[str | Path], options: ImportOptions = ImportOptions()
) -> pd.DataFrame:
    """The observation rows of files of `kind` (one of IMPORTERS); LadderError for another."""
    if kind not in IMPORTERS:
        raise LadderError(f"unknown import kind {kind!r}: {', '.join(IMPORTERS)}")
    return IMPORTERS[kind](paths, options)
