"""LadderSpec: what to fit and predict, validated once on every path (YAML, flags, table mode,
Python) by the config mechanism of ladder.config.

A spec names the observation table (`data`, relative to the spec file), the fit options and
the runs to fit on (`fit`), the targets to predict (N in parameters, D in tokens, and
optionally the run holding their actual results), the tasks (each a table task, or a weighted
average of several, with its chance accuracy) and, for `ladder train`, the `train` section.
The YAML keys and the model's fields are the same names, so an error names the YAML key.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ladder.config import (
    Bool,
    Config,
    Float,
    Int,
    PositiveFloat,
    PositiveInt,
    SafeName,
    load_yaml,
)
from ladder.errors import LadderError
from ladder.train_spec import TrainSpec, resolve_path

MAX_BOOTSTRAP = 100_000
MIN_TAIL_RESAMPLES = 5  # resamples beyond each end of an interval, at least


class TaskSpec(Config):
    """A task to predict: `source` maps table task names to weights (one name: a plain task);
    `chance`: the accuracy of guessing, the sigmoid's floor."""

    name: str = Field(min_length=1)
    source: dict[str, PositiveFloat] = Field(default_factory=dict, min_length=0)
    display: str = ""
    chance: Annotated[Float, Field(ge=0.0, lt=1.0)] = 0.25

    @model_validator(mode="before")
    @classmethod
    def _source(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            source = raw.get("source", raw.get("name"))
            if isinstance(source, str):
                raw = {**raw, "source": {source: 1.0}}
        return raw

    @field_validator("source")
    @classmethod
    def _some_source(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("a task name or a mapping of task names to weights")
        return value

    @property
    def sources(self) -> dict[str, float]:
        return self.source

    @property
    def label(self) -> str:
        return self.display or self.name


class TargetSpec(Config):
    """A model to predict: N (parameters) and D (tokens); `run` holds its actual results."""

    name: SafeName
    params: PositiveInt
    tokens: PositiveInt
    run: str | None = None


class FitOptions(Config):
    """How the two steps are fitted (the spec's `fit` section).

    runs: the runs to fit the laws on (default: every rung of the `train` section).
    step2_runs: the runs whose checkpoints step 2 is fitted on (default: `runs`, or with
    `train.schedule: wsds` the WSD-S runs of their sizes); they may be other models than step
    1's (public ones, or a WSD-S run whose decay bottoms are step 1's).
    final_window: step 1 uses the mean of the last `final_window` evaluations of each run.
    skip_fraction: step 2 drops this fraction of each run's earliest checkpoints.
    moving_average: step 2 smooths task loss and accuracy over this many checkpoints.
    huber_delta: Huber threshold on step 1's log residuals.
    anchor: step 2 also fits the ideal point (loss 0, accuracy 1).
    bootstrap: resamples for the intervals (0: none); level: the intervals' coverage.
    """

    runs: tuple[str, ...] | None = None
    step2_runs: tuple[str, ...] | None = None
    final_window: PositiveInt = 5
    skip_fraction: Annotated[Float, Field(ge=0.0, lt=1.0)] = 0.1
    moving_average: PositiveInt = 5
    huber_delta: PositiveFloat = 1e-3
    n_starts: Annotated[Int, Field(ge=1, le=1000)] = 8
    anchor: Bool = True
    bootstrap: Annotated[Int, Field(ge=0, le=MAX_BOOTSTRAP)] = 1000
    level: Annotated[Float, Field(gt=0.0, lt=1.0)] = 0.95
    seed: Annotated[Int, Field(ge=0)] = 0

    @field_validator("runs", "step2_runs")
    @classmethod
    def _distinct(cls, runs: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if runs is None:
            return None
        if not runs:
            raise ValueError("an empty list; name the runs to fit on")
        repeated = sorted({run for run in runs if runs.count(run) > 1})
        if repeated:
            raise ValueError(f"run {repeated[0]!r} is listed twice")
        return runs

    @model_validator(mode="after")
    def _enough_resamples(self) -> FitOptions:
        needed = min_bootstrap(self.level)
        if 0 < self.bootstrap < needed:
            raise ValueError(
                f"bootstrap {self.bootstrap} is too few for a {self.level:.0%} interval: "
                f"use 0 (no interval) or at least {needed}"
            )
        return self


def min_bootstrap(level: float) -> int:
    """The fewest resamples with MIN_TAIL_RESAMPLES beyond each end of a `level` interval."""
    return math.ceil(MIN_TAIL_RESAMPLES / ((1 - level) / 2) - 1e-9)


class LadderSpec(Config):
    """A ladder spec: the data, the fit, the targets and tasks, and optionally `train`."""

    name: SafeName
    description: str = ""
    data: Path | None = None
    fit: FitOptions = Field(default_factory=FitOptions)
    targets: tuple[TargetSpec, ...] = ()
    tasks: tuple[TaskSpec, ...] = ()
    train: TrainSpec | None = None

    @field_validator("data", mode="after")
    @classmethod
    def _relative_to_spec(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else resolve_path(value, info)

    @model_validator(mode="after")
    def _consistent(self) -> LadderSpec:
        if self.fit.runs is None and self.train is None:
            raise ValueError("fit.runs: missing (the runs to fit the laws on)")
        for kind, items in (("task", self.tasks), ("target", self.targets)):
            names = [item.name for item in items]
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ValueError(f"{kind} {repeated[0]!r} is defined twice")
        return self

    @property
    def fit_runs(self) -> tuple[str, ...]:
        """The runs to fit on: fit.runs, else every rung the train section trains."""
        return self.fit.runs if self.fit.runs is not None else tuple(self.train.rung_names())

    @property
    def step2_runs(self) -> tuple[str, ...]:
        """The runs whose checkpoints step 2 is fitted on: fit.step2_runs, else the fit runs
        (for a WSD-S ladder, the WSD-S runs of their sizes: see TrainSpec.step2_runs_of)."""
        if self.fit.step2_runs is not None:
            return self.fit.step2_runs
        return self.fit_runs if self.train is None else self.train.step2_runs_of(self.fit_runs)

    def without_runs(self, held_out: Sequence[str]) -> LadderSpec:
        """A copy fitted on `runs` and `step2_runs` minus the held-out runs (backtests)."""
        held = set(held_out)
        changes: dict[str, Any] = {"runs": [r for r in self.fit_runs if r not in held]}
        if self.fit.step2_runs is not None:
            changes["step2_runs"] = [r for r in self.fit.step2_runs if r not in held]
        return self.with_fit(**changes)

    def source_name(self) -> str:
        return f"spec {self.name!r}"

    def with_fit(self, **changes: Any) -> LadderSpec:
        """A copy with fit options changed (validated; `runs` too)."""
        fit = {name: getattr(self.fit, name) for name in FitOptions.model_fields}
        return self.replace(fit={**fit, **changes})

    def with_tasks(self, names: Sequence[str]) -> LadderSpec:
        """A copy with only the named tasks, in that order; LadderError for an unknown one."""
        known = {task.name: task for task in self.tasks}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise LadderError(
                f"unknown task {unknown[0]!r} (spec tasks: {', '.join(known) or 'none'})"
            )
        return self.replace(tasks=tuple(known[name] for name in names))


def parse_spec(raw: Any, source: str = "spec", base: Path | None = None) -> LadderSpec:
    """Validate a spec mapping (as loaded from YAML); relative paths are relative to `base`."""
    if isinstance(raw, dict) and "name" not in raw:
        raw = {**raw, "name": Path(source).stem}
    return LadderSpec.parse(raw, source, base=base)


def load_spec(path: str | Path) -> LadderSpec:
    """Read a YAML ladder spec; LadderError naming the file and key on any mistake."""
    path = Path(path)
    return parse_spec(load_yaml(path), source=str(path), base=path.parent)


def parse_target(text: str) -> TargetSpec:
    """A target from NAME=N,D[,RUN] (N parameters, D tokens, RUN holding its actual results)."""
    name, sep, rest = text.partition("=")
    parts = [item.strip() for item in rest.split(",") if item.strip()]
    if not sep or not name or len(parts) not in (2, 3):
        raise LadderError(f"target {text!r}: expected NAME=N,D or NAME=N,D,RUN")
    fields = {"name": name.strip(), "params": parts[0], "tokens": parts[1]}
    if len(parts) == 3:
        fields["run"] = parts[2]
    return TargetSpec.parse(fields, f"target {text!r}")
