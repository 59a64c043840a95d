"""LadderSpec: load and validate a ladder spec (configs/*.yaml), one error per mistake.

A spec names the observation table, the runs to fit (the rungs), the targets to predict
(N in parameters, D in tokens, and optionally the run holding their actual results), the tasks
(each a table task, or a weighted average of several, with its chance accuracy) and the fit
options. A relative `data` path is relative to the spec file's directory.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ladder.errors import LadderError
from ladder.keys import check_keys, require
from ladder.train.config import TrainSpec, parse_train
from ladder.train.plan import rung_name


@dataclass(frozen=True)
class TaskSpec:
    """A task to predict: `sources` maps table task names to weights (one entry: a plain task)."""

    name: str
    sources: dict[str, float]
    display: str = ""
    chance: float = 0.25

    @property
    def label(self) -> str:
        return self.display or self.name


@dataclass(frozen=True)
class TargetSpec:
    """A model to predict: N (parameters) and D (tokens); `run` holds its actual results."""

    name: str
    params: int
    tokens: int
    run: str | None = None


@dataclass(frozen=True)
class FitOptions:
    """How the two steps are fitted.

    final_window: step 1 uses the mean of the last `final_window` evaluations of each run.
    skip_fraction: step 2 drops this fraction of each run's earliest checkpoints.
    moving_average: step 2 smooths task loss and accuracy over this many checkpoints.
    huber_delta: Huber threshold on step 1's log residuals.
    anchor: step 2 also fits the ideal point (loss 0, accuracy 1).
    bootstrap: resamples for the intervals (0: none); level: the intervals' coverage.
    """

    final_window: int = 5
    skip_fraction: float = 0.1
    moving_average: int = 5
    huber_delta: float = 1e-3
    n_starts: int = 8
    anchor: bool = True
    bootstrap: int = 1000
    level: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        checks = {
            "final_window": self.final_window >= 1,
            "moving_average": self.moving_average >= 1,
            "skip_fraction": 0.0 <= self.skip_fraction < 1.0,
            "huber_delta": self.huber_delta > 0,
            "n_starts": self.n_starts >= 1,
            "bootstrap": self.bootstrap >= 0,
            "level": 0.0 < self.level < 1.0,
        }
        for key, ok in checks.items():
            if not ok:
                raise LadderError(f"fit option {key!r}: invalid value {getattr(self, key)!r}")


@dataclass(frozen=True)
class LadderSpec:
    name: str
    fit_runs: tuple[str, ...]
    targets: tuple[TargetSpec, ...] = ()
    tasks: tuple[TaskSpec, ...] = ()
    data: Path | None = None
    options: FitOptions = field(default_factory=FitOptions)
    train: TrainSpec | None = None

    def __post_init__(self) -> None:
        if not self.fit_runs:
            raise LadderError("no runs to fit on")
        duplicates = sorted({run for run in self.fit_runs if self.fit_runs.count(run) > 1})
        if duplicates:
            raise LadderError(f"fit run {duplicates[0]!r} is listed twice")


def _int(value: Any, where: str) -> int:
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        raise LadderError(f"{where}: expected a positive number, got {value!r}") from None
    if number <= 0:
        raise LadderError(f"{where}: expected a positive number, got {value!r}")
    return number


def parse_task(raw: Any, where: str) -> TaskSpec:
    raw = check_keys(raw, {"name", "source", "display", "chance"}, where)
    name = str(require(raw, "name", where))
    source = raw.get("source", name)
    if isinstance(source, str):
        sources = {source: 1.0}
    elif isinstance(source, dict) and source:
        try:
            sources = {str(k): float(v) for k, v in source.items()}
        except (TypeError, ValueError):
            raise LadderError(f"{where}.source: weights must be numbers") from None
        if any(w <= 0 for w in sources.values()):
            raise LadderError(f"{where}.source: weights must be positive")
    else:
        raise LadderError(f"{where}.source: a task name or a mapping of task names to weights")
    chance = float(raw.get("chance", 0.25))
    if not 0.0 <= chance < 1.0:
        raise LadderError(f"{where}.chance: must be in [0, 1), got {chance}")
    return TaskSpec(name=name, sources=sources, display=str(raw.get("display", "")), chance=chance)


def parse_target(raw: Any, where: str) -> TargetSpec:
    raw = check_keys(raw, {"name", "params", "tokens", "run"}, where)
    run = raw.get("run")
    return TargetSpec(
        name=str(require(raw, "name", where)),
        params=_int(require(raw, "params", where), f"{where}.params"),
        tokens=_int(require(raw, "tokens", where), f"{where}.tokens"),
        run=None if run is None else str(run),
    )


_OPTION_TYPES = {f.name: f.type for f in dataclasses.fields(FitOptions)}
_OPTION_NAMES = tuple(_OPTION_TYPES)


def parse_options(raw: Any, where: str = "fit") -> FitOptions:
    """Fit options from a mapping (the spec's `fit` section; its `runs` key is skipped)."""
    raw = check_keys(raw or {}, set(_OPTION_NAMES) | {"runs"}, where)
    values = {k: v for k, v in raw.items() if k != "runs"}
    types = _OPTION_TYPES
    converted = {}
    for key, value in values.items():
        kind = {"int": int, "float": float, "bool": bool}[types[key]]
        if kind is bool and not isinstance(value, bool):
            raise LadderError(f"{where}.{key}: expected true or false, got {value!r}")
        try:
            converted[key] = kind(value)
        except (TypeError, ValueError):
            raise LadderError(f"{where}.{key}: expected a {kind.__name__}, got {value!r}") from None
    return FitOptions(**converted)


def parse_spec(raw: Any, source: str = "spec", base: Path = Path()) -> LadderSpec:
    """Validate a spec mapping (as loaded from YAML) into a LadderSpec; `base` is the folder
    that relative paths in the `train` section are relative to."""
    raw = check_keys(
        raw, {"name", "description", "data", "fit", "targets", "tasks", "train"}, source
    )
    train = parse_train(raw["train"], base, f"{source}: train") if raw.get("train") else None
    fit = check_keys(require(raw, "fit", source), set(_OPTION_NAMES) | {"runs"}, f"{source}: fit")
    runs = fit.get("runs")
    if runs is None and train is not None:  # fit on every rung the spec trains
        runs = [rung_name(size.name, m) for size in train.sizes for m in sorted(train.multipliers)]
    if not isinstance(runs, list) or not runs:
        raise LadderError(f"{source}: fit.runs must be a non-empty list of run names")
    tasks = raw.get("tasks") or []
    targets = raw.get("targets") or []
    if not isinstance(tasks, list) or not isinstance(targets, list):
        raise LadderError(f"{source}: tasks and targets must be lists")
    parsed_tasks = tuple(parse_task(t, f"{source}: tasks[{i}]") for i, t in enumerate(tasks))
    parsed_targets = tuple(
        parse_target(t, f"{source}: targets[{i}]") for i, t in enumerate(targets)
    )
    for kind, items in (("task", parsed_tasks), ("target", parsed_targets)):
        names = [item.name for item in items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise LadderError(f"{source}: {kind} {duplicates[0]!r} is defined twice")
    return LadderSpec(
        name=str(raw.get("name", Path(source).stem)),
        fit_runs=tuple(str(r) for r in runs),
        targets=parsed_targets,
        tasks=parsed_tasks,
        data=Path(raw["data"]) if raw.get("data") else None,
        options=parse_options(fit, f"{source}: fit"),
        train=train,
    )


def load_spec(path: str | Path) -> LadderSpec:
    """Read a YAML ladder spec; raise LadderError naming the file and key on any mistake."""
    path = Path(path)
    if not path.is_file():
        raise LadderError(f"{path}: no such file")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise LadderError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    spec = parse_spec(raw, source=str(path), base=path.parent)
    if spec.data is not None and not spec.data.is_absolute():
        spec = dataclasses.replace(spec, data=Path(os.path.normpath(path.parent / spec.data)))
    return spec
