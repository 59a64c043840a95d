"""LadderSpec: what to fit and predict, validated once on every path (YAML, flags, table mode,
Python) by the config mechanism of ladder.spec.config.

A spec names the observation table (`data`, relative to the spec file), the fit options and
the runs to fit on (`fit`), the targets to predict (N in parameters, D in tokens, and
optionally the run holding their actual results), the tasks (each a table task, or a weighted
average of several, with its chance accuracy) and, for `ladder train`, the `train` section.
The YAML keys and the model's fields are the same names, so an error names the YAML key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from ladder.errors import LadderError
from ladder.runs.rates import checked_schedule
from ladder.runs.sizes import N_MEANS
from ladder.spec.chance import ASSUMED, chance_of
from ladder.spec.config import (
    Bool,
    Config,
    Float,
    Int,
    PositiveFloat,
    PositiveInt,
    SafeName,
    load_yaml,
    safe_name,
)
from ladder.spec.presets import Method
from ladder.spec.train import TrainSpec, resolve_path

MAX_BOOTSTRAP = 100_000
MIN_TAIL_RESAMPLES = 5  # resamples beyond each end of an interval, at least


class TaskSpec(Config):
    """A task to predict (an item of `tasks`)."""

    name: str = Field(min_length=1, description="The task's name in reports and fit files.")
    source: dict[str, PositiveFloat] = Field(
        default_factory=dict,
        min_length=0,
        description="The table task it is (a name; default: `name`), or a mapping of table "
        "tasks to positive weights whose weighted mean it is (e.g. MMLU's four groups).",
    )
    display: str = Field("", description="The label in printed tables and figures.")
    chance: Annotated[Float, Field(ge=0.0, lt=1.0)] = Field(
        ASSUMED,
        description="Accuracy of guessing, a fraction: the sigmoid's floor and the lower clip "
        "of intervals. Default: 1 / the number of choices of the sources' task family "
        "(ladder/spec/chance.py); 0.25 for an unknown family, with a warning.",
    )
    chance_from: Literal["spec", "task", "assumed"] = Field(
        "spec", description="Where `chance` came from (set by ladder; not to be written)."
    )
    method: str | None = Field(
        None, description="This task's own method (default: `fit.method`); see `fit.method`."
    )

    @model_validator(mode="before")
    @classmethod
    def _source(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            source = raw.get("source", raw.get("name"))
            if isinstance(source, str):
                raw = {**raw, "source": {source: 1.0}}
            if raw.get("chance") is None and "chance_from" not in raw:
                sources = raw.get("source") or {}
                known = (
                    {chance_of(str(name)) for name in sources}
                    if isinstance(sources, dict)
                    else set()
                )
                single = known.pop() if len(known) == 1 else None
                raw = {
                    **{k: v for k, v in raw.items() if k != "chance"},
                    "chance": ASSUMED if single is None else single,
                    "chance_from": "assumed" if single is None else "task",
                }
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

    name: SafeName = Field(description="The target's name (letters, digits, . _ + = -).")
    params: PositiveInt = Field(description=f"N, {N_MEANS} (6.9e9 style numbers are fine).")
    tokens: PositiveInt = Field(description="D, training tokens.")
    run: str | None = Field(
        None, description="The table run holding its actual results, if it was trained."
    )
    checkpoints: str | None = Field(
        None,
        description="The table run holding its intermediate checkpoints, if any "
        "(`ladder forecast` forecasts the target from them).",
    )


class FitOptions(Config):
    """How the laws are fitted and the targets predicted (the spec's `fit` section)."""

    runs: tuple[str, ...] | None = Field(
        None, description="The runs to fit the laws on (default: every rung `train` trains)."
    )
    step2_runs: tuple[str, ...] | None = Field(
        None,
        description="The runs whose checkpoints step 2 is fitted on (default: `runs`, or with "
        "train.schedule: wsds the WSD-S runs of their sizes): other models may serve, e.g. "
        "public ones.",
    )
    ladder_runs: tuple[str, ...] | None = Field(
        None,
        description="The runs besides the fit runs that rollout backtests may hold out and "
        "predict (default: every run of the table below the targets; [] for a table that "
        "holds other ladders' runs too).",
    )
    final_window: PositiveInt = Field(
        5, description="Step 1 uses the mean of each run's last this many evaluations."
    )
    skip_fraction: Annotated[Float, Field(ge=0.0, lt=1.0)] = Field(
        0.1, description="Step 2 drops this share of each run's earliest checkpoints."
    )
    moving_average: PositiveInt = Field(
        5, description="Step 2 smooths task loss and accuracy over this many checkpoints."
    )
    huber_delta: PositiveFloat = Field(
        1e-3, description="Huber threshold on step 1's log residuals (the paper's 1e-3)."
    )
    n_starts: Annotated[Int, Field(ge=1, le=1000)] = Field(
        8, description="Starting points of each law's fit."
    )
    anchor: Bool = Field(True, description="Step 2 also fits the ideal point (loss 0, acc 1).")
    bootstrap: Annotated[Int, Field(ge=0, le=MAX_BOOTSTRAP)] = Field(
        1000,
        description="Resamples of the paper method's bootstrap intervals (0: none; at least "
        "5 beyond each end of the interval, 200 for 95%).",
    )
    level: Annotated[Float, Field(gt=0.0, lt=1.0)] = Field(
        0.95, description="The intervals' coverage, a fraction."
    )
    seed: Annotated[Int, Field(ge=0)] = Field(0, description="Seed of every random draw.")
    method: str = Field(
        "auto",
        description="How accuracy is predicted: auto (the mean of the `top_k` candidates that "
        "best predict the ladder's own held-out rungs), ensemble (the mean of every "
        "candidate), or one method: paper (arXiv 2412.04403; with bootstrap intervals it "
        "reproduces the paper), flops, shared, lr, multipower, c4, soft, direct, or the spec's "
        "`methods`.",
    )
    intervals: Literal["auto", "bootstrap", "conformal"] = Field(
        "auto",
        description="How intervals are made: bootstrap (refits on resampled runs and "
        "checkpoints; the paper's, for methods chained through a law of N and D or of C), "
        "conformal (calibrated on the ladder's own rollout backtests), or auto: bootstrap for "
        "the paper method, conformal otherwise.",
    )
    top_k: Annotated[Int, Field(ge=1, le=20)] = Field(
        5,
        description="How many candidates auto averages (5: chosen across the benchmark "
        "corpus, benchmarks/defaults.md).",
    )
    candidates: tuple[str, ...] | None = Field(
        None,
        description="The methods auto chooses among (default: every preset the table allows).",
    )
    target_checkpoints: Annotated[Float, Field(gt=0.0, le=1.0)] | None = Field(
        None,
        description="Also forecast each target that names a `checkpoints` run from its "
        "checkpoints up to this fraction of its steps (1: every one the table has), as "
        "`ladder forecast` does, beside the ladder's prediction (the `forecast` part).",
    )
    schedule: Annotated[str, AfterValidator(checked_schedule)] | None = Field(
        None,
        description="The learning-rate schedule of runs that logged no learning_rate, so that "
        "the whole-curve methods (lr, multipower) fit them: SHAPE[:KEY=VALUE,...] with SHAPE "
        "cosine, linear, constant or wsd and KEYs warmup (a share of the steps below 1, else "
        "steps), floor (the last step's rate over the peak), decay (wsd: the share of the "
        "steps its decay lasts), steps (default: each run's last step), peak; e.g. "
        "cosine:warmup=0.01,floor=0.1 (Pythia's).",
    )

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

    def interval_strategy(self) -> str:
        """The interval strategy, bootstrap or conformal, with auto resolved (see `intervals`)."""
        if self.intervals != "auto":
            return self.intervals
        return "bootstrap" if self.method == "paper" else "conformal"

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

    name: SafeName = Field(
        description="The spec's name, used for its default fit file (default: the file name)."
    )
    description: str = Field("", description="Free text.")
    data: Path | None = Field(None, description="The observation table, relative to the spec file.")
    fit: FitOptions = Field(default_factory=FitOptions, description="How to fit (below).")
    targets: tuple[TargetSpec, ...] = Field((), description="The models to predict.")
    tasks: tuple[TaskSpec, ...] = Field((), description="The tasks to predict.")
    methods: dict[str, Method] = Field(
        default_factory=dict, description="Methods of the spec's own, by name (below)."
    )
    train: TrainSpec | None = Field(
        None, description="How to train the ladder's rungs (`ladder train`; below)."
    )

    @field_validator("data", mode="after")
    @classmethod
    def _relative_to_spec(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else resolve_path(value, info)

    @model_validator(mode="after")
    def _consistent(self) -> LadderSpec:
        if self.fit.runs is None and self.train is None:
            raise ValueError("fit.runs: missing (the runs to fit the laws on)")
        fitted = set(self.fit.runs or ())
        for target in self.targets:
            if target.run is not None and target.run in fitted:
                raise ValueError(
                    f"target {target.name!r}: its run {target.run!r} is a fit run (a target "
                    "is predicted, never fitted)"
                )
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

    def task_labels(self) -> dict[str, str]:
        """Each task's display name, by task name."""
        return {task.name: task.label for task in self.tasks}

    def with_tasks(self, names: Sequence[str]) -> LadderSpec:
        """A copy with only the named tasks (by name or display name, in any case), in that
        order; LadderError for an unknown one."""
        names = canonical_tasks(names, self.task_labels())
        known = {task.name: task for task in self.tasks}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise LadderError(
                f"unknown task {unknown[0]!r} (spec tasks: {', '.join(known) or 'none'})"
            )
        return self.replace(tasks=tuple(known[name] for name in names))


def canonical_tasks(asked: Sequence[str], labels: Mapping[str, str]) -> list[str]:
    """Each of `asked` as the name of the task it names among `labels` (name -> display name),
    matched on the name, else the display name, in any case (MMLU -> mmlu); one that matches
    none is kept as given, for the caller's error."""
    keys = {label.casefold(): name for name, label in labels.items()}
    keys |= {name.casefold(): name for name in labels}
    return [name if name in labels else keys.get(name.casefold(), name) for name in asked]


def parse_spec(raw: Any, source: str = "spec", base: Path | None = None) -> LadderSpec:
    """Validate a spec mapping (as loaded from YAML); relative paths are relative to `base`."""
    if isinstance(raw, dict) and "name" not in raw:
        raw = {**raw, "name": safe_name(Path(source).stem)}
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
