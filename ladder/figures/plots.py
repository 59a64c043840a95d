"""Paper-style figures of a LadderFit (matplotlib) in ladder.figures.style's look: step 1 (task
loss against tokens), step 2 (accuracy against task loss), the chained prediction (accuracy
against tokens) and the residuals (ladder.figures.analyses draws the noise floor and compute
against error).

Every figure takes a width ("page": 7 in, "column": 3.3 in) and those of a fit the tasks to
draw (default: all; one task, one panel); each returns a Figure with a legend of every mark
it draws, and `save` / `save_figures` write them atomically in each format asked. Accuracy is
shown in points (%), task loss in bits per byte, N in parameters, D in tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.style
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ladder.errors import LadderError
from ladder.figures.legend import LegendEntries, finish
from ladder.figures.style import (
    EXTRAPOLATED,
    FITTED,
    NEUTRAL,
    STYLE,
    Palette,
    accuracy_y,
    grid,
    log_x,
    panel_titles,
    styled,
)
from ladder.files import atomic_write
from ladder.fits.fit import LadderFit, TaskFit
from ladder.laws.bootstrap import interval
from ladder.laws.predictors import Ensemble, primary
from ladder.spec.ladder import canonical_tasks

ACCURACY = "accuracy (%)"
TASK_LOSS = "task loss (bits per byte)"
METADATA = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}  # the same bytes each time


def select_tasks(fit: LadderFit, tasks: Sequence[str] | None = None) -> list[TaskFit]:
    """The fits of `tasks` (by name or display name, in any case; default: every task), in
    the order given; LadderError naming an unknown one."""
    if tasks is None:
        return list(fit.tasks.values())
    labels = {name: task_fit.task.label for name, task_fit in fit.tasks.items()}
    names = list(dict.fromkeys(canonical_tasks(tasks, labels)))
    if not names:
        raise LadderError("no task to draw: name at least one")
    unknown = [name for name in names if name not in fit.tasks]
    if unknown:
        raise LadderError(f"task {unknown[0]!r} is not in the fit (it has: {', '.join(fit.tasks)})")
    return [fit.tasks[name] for name in names]


def palette(fit: LadderFit) -> Palette:
    """The fit's colours: every size drawn in any task, and the targets in the spec's order."""
    frames = [tf.points.final[["run", "params", "tokens"]] for tf in fit.tasks.values()]
    frames += [
        tf.points.checkpoints[["run", "params"]].assign(tokens=np.nan)  # not a final D
        for tf in fit.tasks.values()
        if tf.points.checkpoints is not None
    ]
    return Palette.of(pd.concat(frames), [t.name for t in fit.spec.targets])


def _interval_name(fit: LadderFit) -> str:
    """What a target's error bar is: a bootstrap interval (paper) or a calibrated one."""
    how = "bootstrap" if fit.selection is None else "calibrated"
    return f"{fit.spec.fit.level:.0%} interval ({how})"


def _members_drawn(task_fits: Sequence[TaskFit]) -> tuple[list[str], str]:
    """For an ensemble: the members whose step-1 and step-2 laws the step figures show (its
    first member chained on the task loss) and the ensemble's method; ([], "") otherwise."""
    names = set()
    for tf in task_fits:
        if isinstance(tf.predictor, Ensemble):
            members = tf.predictor.members
            names.add(next((k for k, m in members.items() if primary(m) is not None), None))
    names.discard(None)
    method = next((tf.method for tf in task_fits if isinstance(tf.predictor, Ensemble)), "")
    return sorted(names), method


def _laws_of(task_fits: Sequence[TaskFit]) -> str:
    """The step figures' title suffix naming the ensemble member drawn (see _members_drawn)."""
    names, method = _members_drawn(task_fits)
    return f" ({' / '.join(names)} member of {method})" if names else ""


def _note_errors(legend: LegendEntries, task_fits: Sequence[TaskFit], part: str) -> None:
    """The legend's key to the errors in the panel titles: for a step of an ensemble, the
    drawn member's own (TaskFit.predict's step parts are that member's)."""
    names, _ = _members_drawn(task_fits)
    whose = f"{' / '.join(names)} member's " if names and part != "chained" else ""
    legend.add("targets", f"in titles: {whose}relative error", Line2D([], [], ls="none"), rank=3)


def _no_data(ax: Axes, why: str) -> None:
    ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes, color=NEUTRAL)
    ax.set_xticks([])
    ax.set_yticks([])


@styled
def _against_tokens(
    fit: LadderFit, part: str, tasks: Sequence[str] | None, width: str, title: str
) -> Figure:
    """One panel per task against tokens D: a curve per model size and per target from the
    `part` predictor ("step1": task loss, "chained": accuracy), the rungs' final points, and
    each target's prediction with its interval beside its actual; the targets' relative
    errors in the panel titles."""
    task_fits = select_tasks(fit, tasks)
    look, legend = palette(fit), LegendEntries()
    layout = grid(len(task_fits), width)
    column = "task_loss" if part == "step1" else "accuracy"
    titles = []
    for ax, tf in zip(layout.axes, task_fits, strict=True):
        law = tf.step1 if part == "step1" else tf.predictor if tf.metric == "accuracy" else None
        errors: list[str] = []
        titles.append((tf.task.label, errors))
        if law is None:
            _no_data(ax, "no task-loss law" if part == "step1" else "no accuracy")
            continue
        points = tf.points.final
        top = max([points["tokens"].max(), *(t.tokens for t in fit.spec.targets)])
        ds = np.geomspace(points["tokens"].min() / 1.25, top * 1.5, 120)

        def curve(n: float, ds: np.ndarray = ds, law=law) -> np.ndarray:
            return law.predict(np.column_stack([np.full_like(ds, n), ds]))

        for n in sorted(points["params"].unique()):
            ax.plot(ds, curve(n), FITTED, color=look.color(n), lw=0.9)
        legend.add("curves", "fitted, per size", Line2D([], [], color=NEUTRAL, ls=FITTED))
        look.rungs(ax, points, "tokens", points[column], legend)
        for name, p in tf.predictions.items():
            e = getattr(p, part)
            if e is None:
                continue
            ax.plot(ds, curve(p.target.params), EXTRAPOLATED, color=look.targets[name], lw=1)
            legend.add(
                "curves", "target, extrapolated", Line2D([], [], color=NEUTRAL, ls=EXTRAPOLATED)
            )
            look.target(ax, name, p.target.tokens, e, legend, _interval_name(fit))
            if e.rel_error is not None:
                errors.append(f"{name} {100 * e.rel_error:.1f}%")
                _note_errors(legend, task_fits, part)
        log_x(ax)
        if part == "chained":
            accuracy_y(ax)
    panel_titles(layout, titles)
    layout.label("tokens D", TASK_LOSS if part == "step1" else ACCURACY)
    return finish(layout, legend, title)


def plot_step1(fit: LadderFit, tasks: Sequence[str] | None = None, width: str = "page") -> Figure:
    """Task loss (bits per byte) against tokens D: one fitted curve per model size, the rungs'
    final points, and each target's predicted loss (with its interval where the fit has one)
    beside its actual; panel titles give the targets' relative errors."""
    title = f"Step 1: task loss from (N, D){_laws_of(select_tasks(fit, tasks))}"
    return _against_tokens(fit, "step1", tasks, width, title)


def plot_chained(fit: LadderFit, tasks: Sequence[str] | None = None, width: str = "page") -> Figure:
    """Accuracy against tokens D through both steps (or the fit's model): one curve per model
    size, the rungs' final accuracies, and each target's prediction with its interval beside
    its actual; panel titles give the targets' relative errors."""
    return _against_tokens(fit, "chained", tasks, width, "Prediction: accuracy from (N, D)")


def _band(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    bounds = np.array([interval(column, level) for column in samples.T])
    return bounds[:, 0], bounds[:, 1]


@styled
def plot_step2(fit: LadderFit, tasks: Sequence[str] | None = None, width: str = "page") -> Figure:
    """Accuracy against task loss: the rungs' smoothed checkpoints (dots) and final points,
    the fitted sigmoid with its bootstrap band (paper fits), and at each target's actual task
    loss the accuracy step 2 predicts there (with its interval where the fit has one) beside
    the actual accuracy; panel titles give step 2's relative errors."""
    task_fits = select_tasks(fit, tasks)
    look, legend = palette(fit), LegendEntries()
    layout = grid(len(task_fits), width)
    level = fit.spec.fit.level
    titles = []
    for ax, tf in zip(layout.axes, task_fits, strict=True):
        law, points = tf.step2, tf.points.checkpoints
        errors: list[str] = []
        titles.append((tf.task.label, errors))
        if law is None or points is None:
            _no_data(ax, "no accuracy" if points is None else "no step-2 law")
            continue
        for n, rows in points.groupby("params"):
            ax.scatter(
                rows["task_loss"],
                rows["accuracy"],
                s=1.5,
                color=look.color(n),
                alpha=0.35,
                edgecolors="none",
                rasterized=True,
            )
        checkpoint = Line2D([], [], color=NEUTRAL, marker=".", ls="none", alpha=0.6)
        legend.add("curves", "checkpoints", checkpoint)
        look.rungs(ax, tf.points.final, "task_loss", tf.points.final["accuracy"], legend)
        actual = [p.step1.actual for p in tf.predictions.values() if p.step1 and p.step1.actual]
        low = min([points["task_loss"].min(), *actual])
        xs = np.linspace(low - 0.05 * abs(low), points["task_loss"].max() * 1.02, 150)
        ax.plot(xs, law.predict(xs), FITTED, color="black", lw=1)
        legend.add("curves", "fitted sigmoid", Line2D([], [], color="black", ls=FITTED))
        draws = getattr(law, "draws_", None)
        if draws is not None:
            lower, upper = _band(law.predict(xs, draws.thetas), level)
            ax.fill_between(xs, lower, upper, color="0.5", alpha=0.25, lw=0)
            legend.add(
                "curves", f"{level:.0%} band (bootstrap)", Patch(color="0.5", alpha=0.25, lw=0)
            )
        for name, p in tf.predictions.items():
            if p.step2 is None or p.step1 is None or p.step1.actual is None:
                continue
            look.target(ax, name, p.step1.actual, p.step2, legend, _interval_name(fit))
            if p.step2.rel_error is not None:
                errors.append(f"{name} {100 * p.step2.rel_error:.1f}%")
                _note_errors(legend, task_fits, "step2")
        accuracy_y(ax)
    panel_titles(layout, titles)
    layout.label(TASK_LOSS, ACCURACY)
    title = f"Step 2: accuracy from task loss{_laws_of(task_fits)}"
    return finish(layout, legend, title)


@styled
def plot_residuals(
    fit: LadderFit, tasks: Sequence[str] | None = None, width: str = "page"
) -> Figure:
    """Per task, two panels: step 1's residual per rung (relative, predicted / observed - 1,
    in %) against D, and step 2's per checkpoint (predicted - observed accuracy, in points)
    against task loss: structure here is what extrapolation will amplify."""
    task_fits = select_tasks(fit, tasks)
    look, legend = palette(fit), LegendEntries()
    layout = grid(len(task_fits), width, rows_per_panel=2, aspect=0.5)
    for i, tf in enumerate(task_fits):
        top, bottom = layout.axes[2 * i], layout.axes[2 * i + 1]
        first_column = i % layout.columns == 0
        points = tf.points.final
        if tf.step1 is None:
            _no_data(top, "no task-loss law")
        else:
            fitted = tf.step1.predict(points[["params", "tokens"]].to_numpy(dtype=float))
            relative = fitted / points["task_loss"].to_numpy(dtype=float) - 1
            look.rungs(top, points, "tokens", 100 * relative, legend)
            top.axhline(0, color="black", lw=0.6)
            log_x(top)
            top.set_xlabel("tokens D")
        if tf.step2 is None or tf.points.checkpoints is None:
            _no_data(bottom, "no accuracy")
        else:
            p2 = tf.points.checkpoints
            residual = tf.step2.predict(p2["task_loss"].to_numpy(dtype=float)) - p2["accuracy"]
            for n, rows in p2.groupby("params"):
                bottom.scatter(
                    rows["task_loss"],
                    100 * residual[rows.index],
                    s=1.5,
                    color=look.color(n),
                    alpha=0.4,
                    edgecolors="none",
                    rasterized=True,
                )
            legend.add(
                "step 2", "checkpoints", Line2D([], [], color=NEUTRAL, marker=".", ls="none")
            )
            bottom.axhline(0, color="black", lw=0.6)
            bottom.set_xlabel("task loss (bpb)")
        if first_column:
            top.set_ylabel("step 1 (%)")
            bottom.set_ylabel("step 2 (points)")
    panel_titles(layout, [(tf.task.label, []) for tf in task_fits])
    title = "Residuals, predicted - observed" + _laws_of(task_fits)
    return finish(layout, legend, title)


FIGURES = {
    "step1": plot_step1,
    "step2": plot_step2,
    "chained": plot_chained,
    "residuals": plot_residuals,
}


def save(fig: Figure, out: Path, name: str, formats: Sequence[str]) -> list[Path]:
    """Write one figure as out/name.<format> for each format (atomically, at the style's
    300 dpi for PNG); return the paths."""
    paths = []
    with matplotlib.style.context(STYLE):
        for fmt in formats:
            path = Path(out) / f"{name}.{fmt}"
            metadata = METADATA.get(fmt)
            paths.append(
                atomic_write(
                    path, lambda tmp, f=fmt, m=metadata: fig.savefig(tmp, format=f, metadata=m)
                )
            )
    return paths


def save_figures(
    fit: LadderFit,
    out: Path,
    formats: Sequence[str] = ("png", "pdf"),
    tasks: Sequence[str] | None = None,
    width: str = "page",
) -> list[Path]:
    """Write the step1, step2, chained and residuals figures of `tasks` (default: all) at
    `width` in each format to `out`."""
    return [
        path
        for name, draw in FIGURES.items()
        for path in save(draw(fit, tasks, width), out, name, formats)
    ]
