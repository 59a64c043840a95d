"""The train verb's API: plan a spec's rungs and train the unfinished ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ladder.api._progress import progress_bar
from ladder.spec.ladder import LadderSpec

if TYPE_CHECKING:
    from ladder.runs.folder import RungPlan
    from ladder.train.launch import Job


@dataclass
class TrainResult:
    """The rungs planned and what each launcher did with them (empty for a dry run)."""

    plan: list[RungPlan]
    jobs: list[Job]
    corpus_tokens: int | None = None
    problems: list[str] = field(default_factory=list)


def train(
    spec: LadderSpec,
    config: str | Path,
    rungs: Sequence[str] = (),
    dry_run: bool = False,
    progress: bool = False,
) -> TrainResult:
    """Plan the spec's rungs (those named in `rungs`, default all) and train the unfinished
    ones with the spec's launcher; a dry run only plans (and writes Slurm scripts)."""
    from ladder.train import data, launch

    plan = launch.ladder_plan(spec, rungs)
    config = Path(config)
    if dry_run:
        problems = launch.readiness(spec)
        slurm = spec.train.launcher == "slurm"
        jobs = launch.run_slurm(spec, config, plan, dry_run=True) if slurm else []
        return TrainResult(plan, jobs, None, problems)
    tokens = None
    if data.builtin_corpus_missing(spec.train):
        with progress_bar(
            progress, desc=f"tokenizing {spec.train.builtin_corpus}", unit="doc"
        ) as bar:
            tokens = data.build_builtin_corpus(spec.train, progress=bar.update)
    with progress_bar(
        progress, total=sum(r.steps for r in plan), desc="ladder", unit="step"
    ) as total:

        def on_rung(rung: RungPlan) -> Callable[[int, int], None]:
            bar = progress_bar(progress, nested=True, total=rung.steps, desc=rung.name, unit="step")

            def on_step(step: int, steps: int) -> None:
                total.update(step - bar.n)
                bar.update(step - bar.n)
                if step >= steps:
                    bar.close()

            return on_step

        jobs = launch.launch(spec, config, plan, on_rung)
    return TrainResult(plan, jobs, tokens)
