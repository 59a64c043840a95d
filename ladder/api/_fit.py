"""The fit verb's API: the spec and its table, a plain table as a spec, fit, save and load."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ladder.errors import LadderError
from ladder.spec.config import safe_name
from ladder.spec.ladder import LadderSpec, TargetSpec, TaskSpec, canonical_tasks, load_spec

if TYPE_CHECKING:
    import pandas as pd

    from ladder.fits.fit import LadderFit


REPO = Path(__file__).resolve().parents[2]


DEFAULT_SPEC = Path("configs/olmo-paper.yaml")


def default_spec_path() -> Path:
    """configs/olmo-paper.yaml here, else the one beside the package (a source checkout)."""
    return DEFAULT_SPEC if DEFAULT_SPEC.is_file() else REPO / DEFAULT_SPEC


def spec(config: str | Path | None = None) -> LadderSpec:
    """The spec of `config` (default: the bundled paper ladder)."""
    return load_spec(config or default_spec_path())


def table(spec: LadderSpec) -> pd.DataFrame:
    """The spec's observation table, validated."""
    from ladder.data import observations

    if spec.data is None:
        raise LadderError(f"spec {spec.name!r} names no data table")
    return observations.read(spec.data)


def observations_for(spec: LadderSpec, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """What the spec fits on: `data` (default: its table) with the learning rates of
    `fit.schedule` on runs that logged none, and, when its schedule's decay bottoms stand in
    for rungs (WSD-S runs), those bottoms as the rungs "<size>-<k>xC" (see
    ladder.data.annealed)."""
    data = table(spec) if data is None else data
    if spec.fit.schedule is not None:
        from ladder.data.observations import with_schedule
        from ladder.runs.rates import parse_schedule

        data = with_schedule(data, parse_schedule(spec.fit.schedule))
    runs = {} if spec.train is None else spec.train.schedule_strategy.annealed_runs(spec.train)
    if not runs:
        return data
    from ladder.data.annealed import with_annealed_rungs

    return with_annealed_rungs(data, runs, spec.train.multipliers)


def spec_and_table(
    config: str | Path | None = None,
    path: str | Path | None = None,
    fit_runs: Sequence[str] = (),
    targets: Sequence[TargetSpec] = (),
    tasks: Sequence[str] | None = None,
    chance: Mapping[str, float] | None = None,
    **fit: Any,
) -> tuple[LadderSpec, pd.DataFrame]:
    """The spec and table every fitting verb works on: a plain table at `path` with its fit
    runs and targets (see table_spec), else the spec `config` (default: the bundled
    ladder) with those given replacing its own. `fit_runs` are names or shell-style patterns
    (`*-1xC`, `190M-*`); `chance` is for a plain table only (a spec sets each task's)."""
    if path is not None:
        if config:
            raise LadderError("give either a table or --config, not both")
        return table_spec(path, fit_runs, targets, tasks, chance, **fit)
    from ladder.data.observations import match_runs

    if chance:
        raise LadderError("--chance is for a plain table; a spec sets each task's chance")
    ladder = spec(config)
    frame = table(ladder)
    if fit_runs:
        fit["runs"] = match_runs(frame, fit_runs, "--fit-runs")
    ladder = ladder.with_fit(**fit)
    if targets:
        ladder = ladder.replace(targets=list(targets))
    if tasks:
        ladder = ladder.with_tasks(tasks)
    return ladder, frame


def table_spec(
    path: str | Path,
    fit_runs: Sequence[str],
    targets: Sequence[TargetSpec] = (),
    tasks: Sequence[str] | None = None,
    chance: Mapping[str, float] | None = None,
    **fit: Any,
) -> tuple[LadderSpec, pd.DataFrame]:
    """A spec for a plain observation table (no YAML): the runs to fit, the targets, the
    tasks (default: every task of the table) with their chance accuracy (default: from the
    task's family, ladder.spec.chance, else 0.25, flagged as assumed), and fit options; returns
    it with the table. `fit_runs` (required) are names or shell-style patterns (`*-1xC`)."""
    from ladder.data import observations

    frame = observations.read(path)
    if not fit_runs:
        raise LadderError("--fit-runs is required with a table (the runs to fit the laws on)")
    fit_runs = observations.match_runs(frame, fit_runs, "--fit-runs")
    present = set(frame["task"].unique())
    names = canonical_tasks(tasks, {n: n for n in present}) if tasks else sorted(present)
    unknown = [name for name in names if name not in present]
    if unknown:
        raise LadderError(
            f"task {unknown[0]!r} is not in the table (it has: {', '.join(sorted(present))})"
        )
    chance = dict(chance or {})
    stray = sorted(set(chance) - set(names))
    if stray:
        raise LadderError(f"chance {stray[0]}: not one of the tasks fitted")
    task_specs = [
        TaskSpec.parse({"name": name, "chance": chance.get(name)}, f"task {name!r}")
        for name in names
    ]
    spec = LadderSpec.parse(
        {
            "name": table_name(path),
            "data": Path(path),
            "fit": {**fit, "runs": list(fit_runs)},
            "targets": list(targets),
            "tasks": task_specs,
        },
        str(path),
    )
    return spec, frame


def table_name(path: str | Path) -> str:
    """A table's name for its spec (and default fit file): the file name without its table
    suffixes (exp.v1.csv.gz -> exp.v1), so that exp.v1.csv and exp.v2.csv stay apart, made
    safe ("my data.csv" -> my-data, .hidden.csv -> hidden)."""
    name = Path(path).name
    for suffix in (".gz", ".bz2", ".xz", ".zst", ".csv", ".parquet", ".pq"):
        name = name.removesuffix(suffix)
    return safe_name(name, fallback="table")


def fit(
    spec: LadderSpec,
    data: pd.DataFrame | None = None,
    progress: bool = False,
    workers: int | None = None,
) -> LadderFit:
    """Fit every task of the spec and predict its targets (see ladder.fit.ladder)."""
    from ladder.fit.ladder import fit_ladder

    return fit_ladder(observations_for(spec, data), spec, progress, workers)


def fits_home() -> Path:
    """Where `ladder fit` writes fits by default: $XDG_DATA_HOME/ladder/fits (usually
    ~/.local/share/ladder/fits), never the repository."""
    import os

    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "ladder" / "fits"


def save_fit(fit: LadderFit, output: str | Path | None = None) -> Path:
    """Write a fit as JSON to `output` (default: fits_home()/<spec name>.json)."""
    from ladder.files import write_json
    from ladder.fits.document import to_document

    return write_json(output or fits_home() / f"{fit.spec.name}.json", to_document(fit))


def load_fit(path: str | Path) -> LadderFit:
    """A fit written by `ladder fit` (its laws, draws, points and predictions; no refit)."""
    from ladder.fits import document

    return document.load(path)
