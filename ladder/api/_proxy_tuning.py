"""The tune and proxy-tune verbs' API: tune a rung, steer a base with a tuned pair."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ladder.api._progress import progress_bar
from ladder.api._train import train
from ladder.collect.settings import DEFAULT_CONTEXT_LENGTH, EvalSettings
from ladder.errors import LadderError
from ladder.spec.ladder import LadderSpec

if TYPE_CHECKING:
    import pandas as pd


def tune(
    spec: LadderSpec,
    model: str | Path,
    files: Sequence[str | Path] = (),
    builtin: str | None = None,
    name: str | None = None,
    output: str | Path | None = None,
    epochs: int = 1,
    batch_size: int = 4,
    learning_rate: float | None = None,
    lr_fraction: float = 0.1,
    progress: bool = False,
):
    """Fine-tune `model` (a rung name, rung or checkpoint folder, or Hugging Face folder) on
    text files or a built-in tuning set; the tuned model is written as a rung folder
    train.output/<name> (default "<model>-<set or first file's stem>"). Returns a
    proxy_tuning.tune.TuneResult."""
    from ladder.proxy_tuning import data
    from ladder.proxy_tuning import tune as tuning

    if spec.train is None:
        raise LadderError(f"spec {spec.name!r} has no `train` section: which tokenizer?")
    paths = [Path(p) for p in files]
    texts = data.documents(builtin, paths)
    settings = tuning.TuneSettings(epochs, batch_size, learning_rate, lr_fraction)
    label = builtin or paths[0].stem
    with progress_bar(progress, desc=f"tuning on {label}", unit="step") as bar:

        def on_step(step: int, steps: int, loss: float) -> None:
            bar.total = steps
            bar.update(step - bar.n)
            bar.set_postfix(loss=f"{loss:.3f}")

        return tuning.tune(
            model, spec.train, texts, label, name, output and Path(output), settings, on_step
        )


def _steered(spec: LadderSpec | None, base, expert, anti_expert, alpha: float, device: str):
    from ladder.proxy_tuning.steer import load_steered

    train = spec.train if spec is not None else None
    return load_steered(base, expert, anti_expert, alpha, train, device)


def proxy_score(
    spec: LadderSpec | None,
    base: str | Path,
    expert: str | Path,
    anti_expert: str | Path,
    alpha: float = 1.0,
    settings: EvalSettings | None = None,
    output: str | Path | None = None,
    progress: bool = False,
) -> tuple[pd.DataFrame, Path | None]:
    """Score the base steered by (expert - anti-expert) x alpha on olmo_eval tasks with
    `settings` (default: EvalSettings(), the spec's train.eval tasks and limit; context length:
    the base rung's), as `ladder collect` scores one model; the rows (run
    "<base>+<alpha>x(<expert> - <anti-expert>)", with columns base, expert, anti_expert, alpha)
    are appended to `output` when given. Returns the rows and the table written."""
    from ladder.data import observations
    from ladder.proxy_tuning.steer import steered_rows
    from ladder.runs.tokenizer import load_tokenizer

    settings = (settings or EvalSettings()).for_spec(spec)
    steered = _steered(spec, base, expert, anti_expert, alpha, settings.device)
    rung = steered.base.source.rung
    settings = settings.with_context_length(
        rung.sequence_length if rung is not None else DEFAULT_CONTEXT_LENGTH
    )
    evaluator = settings.evaluator(load_tokenizer(settings.tokenizer_spec(spec)))
    with progress_bar(
        progress, total=evaluator.request_count, unit="req", desc=steered.name
    ) as bar:
        rows = steered_rows(steered, evaluator, settings.device, bar.update)
    if output is None:
        return rows, None
    observations.append(rows, Path(output))
    return rows, Path(output)


def proxy_generate(
    spec: LadderSpec | None,
    base: str | Path,
    expert: str | Path,
    anti_expert: str | Path,
    prompts: Sequence[str],
    alpha: float = 1.0,
    max_new_tokens: int = 32,
    sample: bool = False,
    temperature: float = 1.0,
    top_p: float = 1.0,
    seed: int = 0,
    device: str = "cpu",
) -> list[str]:
    """Each prompt's continuation from the base steered by (expert - anti-expert) x alpha
    (greedy, or sampled with temperature and top-p after the combination)."""
    from ladder.collect.settings import tokenizer_for
    from ladder.proxy_tuning.steer import generate
    from ladder.runs.tokenizer import load_tokenizer

    if not prompts:
        raise LadderError("no prompt to continue")
    if not temperature > 0 or not 0 < top_p <= 1:
        raise LadderError("temperature must be > 0 and top-p in (0, 1]")
    steered = _steered(spec, base, expert, anti_expert, alpha, device)
    tokenizer = load_tokenizer(tokenizer_for(spec))
    return generate(
        steered,
        prompts,
        tokenizer,
        max_new_tokens,
        sample,
        temperature,
        top_p,
        seed,
        device=device,
    )


@dataclass
class ProxyStudyResult:
    """The study's summary (per base size), its observation rows, what tuning did per rung,
    the files written and the wall seconds of each phase (train, tune, score)."""

    summary: pd.DataFrame
    rows: pd.DataFrame
    tuned: dict[str, Any]
    files: list[Path]
    seconds: dict[str, float]


def proxy_study(
    spec: LadderSpec,
    config: str | Path,
    multiplier: float | None = None,
    tuning_set: str = "arc_easy-test",
    task: str = "arc_easy_rc_0shot",
    alpha: float = 1.0,
    epochs: int = 2,
    lr_fraction: float = 0.1,
    output_dir: str | Path | None = None,
    progress: bool = False,
) -> ProxyStudyResult:
    """The tiny-ladder question end to end: train one rung per size at `multiplier` (default:
    the largest; finished rungs are reused), tune each on `tuning_set`, steer each with the
    smallest's pair, score all on `task` (all its documents) and write the summary, the
    observation rows and the figure to `output_dir` (default train.output/proxy-study)."""
    import time

    from ladder.collect.evaluate import check_tasks
    from ladder.proxy_tuning import study
    from ladder.proxy_tuning import tune as tuning
    from ladder.proxy_tuning.combine import check_alpha
    from ladder.runs.tokenizer import load_tokenizer
    from ladder.train import launch

    if spec.train is None or not spec.train.schedule_strategy.one_run_per_rung:
        raise LadderError("the study needs a spec that trains cosine rungs (configs/tiny.yaml)")
    check_tasks([task])
    check_alpha(alpha)
    rungs = study.study_rungs(launch.ladder_plan(spec), multiplier)
    seconds, start = {}, time.perf_counter()
    train(spec, config, [r.name for r in rungs], progress=progress)
    seconds["train"] = time.perf_counter() - start
    settings = tuning.TuneSettings(epochs=epochs, lr_fraction=lr_fraction)
    with progress_bar(progress, desc="tuning", unit="step") as bar:

        def on_step(name: str):
            def update(step: int, steps: int, loss: float) -> None:
                bar.set_description(f"tuning {name}")
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.3f}")

            return update

        tuned = study.tune_rungs(spec.train, rungs, tuning_set, settings, on_step)
    seconds["tune"] = time.perf_counter() - start - seconds["train"]
    settings = EvalSettings(tasks=(task,), context_length=spec.train.sequence_length)
    evaluator = settings.evaluator(load_tokenizer(spec.train.tokenizer))
    total = evaluator.request_count * 3 * len(rungs)  # untuned, tuned, proxy-tuned
    with progress_bar(progress, total=total, unit="req", desc="scoring") as bar:
        rows = study.score(spec.train, rungs, tuning_set, evaluator, alpha, bar.update)
    seconds["score"] = time.perf_counter() - start - seconds["train"] - seconds["tune"]
    result = study.StudyResult(study.summarize(rows), rows, tuned)
    folder = Path(output_dir) if output_dir else spec.train.output / "proxy-study"
    files = study.write(result, folder, tuning_set)
    return ProxyStudyResult(result.summary, rows, tuned, files, seconds)
