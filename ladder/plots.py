"""Paper-style figures of a LadderFit (matplotlib): step 1, step 2 and the chained prediction,
one panel per task, with bootstrap intervals. Functions return Figures; `save_figures` writes
them. Rungs are coloured by size and marked by their token multiplier (190M-1xC, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ladder.laws.bootstrap import interval
from ladder.results import LadderFit, TaskFit
from ladder.rungs import multiplier_in_name, multiplier_label

MARKERS = {"0.5xC": "D", "1xC": "s", "2xC": "P", "5xC": "p", "10xC": "*"}
TARGET_COLORS = ("darkviolet", "mediumvioletred", "black", "saddlebrown")


def _multiplier(run: str) -> str:
    k = multiplier_in_name(run)
    return "" if k is None else f"{multiplier_label(k)}xC"


def _size_label(run: str) -> str:
    return run.split("-")[0]


def _grid(n: int) -> tuple[Figure, list]:
    cols = min(4, n)
    rows = (n + cols - 1) // cols
    fig = Figure(figsize=(3.4 * cols, 2.9 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _size_colors(fit: TaskFit) -> dict[int, tuple]:
    sizes = sorted(fit.step1_points["params"].unique())
    cmap = matplotlib.colormaps["viridis"]
    return {n: cmap(i / max(len(sizes) - 1, 1) * 0.85) for i, n in enumerate(sizes)}


def _band(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    bounds = np.array([interval(column, level) for column in samples.T])
    return bounds[:, 0], bounds[:, 1]


def _finish(fig: Figure, axes: Sequence, title: str) -> Figure:
    handles, labels = axes[0].get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    fig.legend(
        unique.values(),
        unique.keys(),
        loc="upper center",
        ncol=min(len(unique), 7),
        fontsize=8,
        bbox_to_anchor=(0.5, 1.0),
        frameon=False,
    )
    fig.suptitle(title, y=1.06, fontsize=11, fontweight="bold")
    fig.tight_layout()
    return fig


def _targets_d(fit: LadderFit) -> float:
    return max((t.tokens for t in fit.spec.targets), default=0)


def _plot_against_tokens(fit: LadderFit, part: str, column: str, ylabel: str, title: str) -> Figure:
    """One panel per task against tokens D: a curve per model size and per target from the
    `part` predictor ("step1": task loss, "chained": accuracy), the rungs' final points of
    `column`, and each target's prediction with its interval next to its actual."""
    fig, axes = _grid(len(fit.tasks))
    for ax, task_fit in zip(axes, fit.tasks.values(), strict=False):
        law = task_fit.step1 if part == "step1" else task_fit.chained
        if law is None:
            ax.set_title(f"{task_fit.task.label} (no accuracy)", fontsize=10)
            continue
        points, colors = task_fit.step1_points, _size_colors(task_fit)
        d_max = max(points["tokens"].max(), _targets_d(fit)) * 1.5
        ds = np.geomspace(points["tokens"].min() * 0.8, d_max, 120)

        def curve(n: float, ds: np.ndarray = ds, law=law) -> np.ndarray:
            return law.predict(np.column_stack([np.full_like(ds, n), ds]))

        for n, color in colors.items():
            label = _size_label(points.loc[points["params"] == n, "run"].iloc[0])
            ax.plot(ds, curve(n), "--", color=color, lw=1.2, alpha=0.8, label=f"{label} (fitted)")
        for _, row in points.iterrows():
            ax.scatter(
                row["tokens"],
                row[column],
                color=colors[row["params"]],
                s=30,
                marker=MARKERS.get(_multiplier(row["run"]), "o"),
                zorder=3,
            )
        targets = zip(TARGET_COLORS, task_fit.predictions.items(), strict=False)
        for i, (color, (name, p)) in enumerate(targets):
            e, d = getattr(p, part), p.target.tokens
            ax.plot(ds, curve(p.target.params), ":", color=color, lw=1)
            ax.errorbar(
                d,
                e.predicted,
                yerr=[[e.predicted - e.lower], [e.upper - e.predicted]],
                fmt="x",
                color=color,
                capsize=3,
                label=f"{name} (predicted)",
            )
            if e.actual is not None:
                ax.scatter(d, e.actual, color=color, marker="o", s=25, label=f"{name} (actual)")
                ax.annotate(
                    f"{100 * e.rel_error:.1f}%",
                    (d, e.predicted),
                    fontsize=8,
                    xytext=(6, 4 - 12 * i),
                    textcoords="offset points",
                    color=color,
                )
        ax.set_xscale("log")
        ax.set_xlabel("tokens D")
        ax.set_ylabel(ylabel)
        ax.set_title(task_fit.task.label, fontsize=10)
        ax.grid(alpha=0.3)
    return _finish(fig, axes, f"{title}, {fit.spec.fit.level:.0%} intervals")


def plot_step1(fit: LadderFit) -> Figure:
    """Task loss (bits per byte) against tokens D: one fitted curve per model size, the rungs'
    final points, and each target's predicted loss with its interval next to its actual."""
    return _plot_against_tokens(
        fit, "step1", "task_loss", "task loss (bits per byte)", "Step 1: task loss from (N, D)"
    )


def plot_step2(fit: LadderFit) -> Figure:
    """Accuracy against task loss: the rungs' smoothed checkpoints, the fitted sigmoid with its
    bootstrap band, and each target's actual (loss, accuracy)."""
    fig, axes = _grid(len(fit.tasks))
    level = fit.spec.fit.level
    for ax, task_fit in zip(axes, fit.tasks.values(), strict=False):
        if task_fit.step2 is None or task_fit.step2_points is None:
            ax.set_title(f"{task_fit.task.label} (no accuracy)", fontsize=10)
            continue
        points, colors = task_fit.step2_points, _size_colors(task_fit)
        for n, color in colors.items():
            rows = points[points["params"] == n]
            ax.scatter(
                rows["task_loss"],
                rows["accuracy"],
                s=6,
                alpha=0.5,
                color=color,
                edgecolors="none",
                label=f"{_size_label(rows['run'].iloc[0])} (fitted)",
            )
        actual_losses = [p.step1.actual for p in task_fit.predictions.values() if p.step1.actual]
        low = min([points["task_loss"].min(), *actual_losses]) * 0.9
        xs = np.linspace(low, points["task_loss"].max() * 1.05, 150)
        ax.plot(xs, task_fit.step2.predict(xs), "k--", lw=1.2)
        boot = getattr(task_fit.step2, "draws_", None)
        if boot is not None:
            curves = task_fit.step2.predict(xs, boot.thetas)
            lower, upper = _band(curves, level)
            ax.fill_between(xs, lower, upper, color="pink", alpha=0.4, lw=0)
        for color, (name, p) in zip(TARGET_COLORS, task_fit.predictions.items(), strict=False):
            if p.step2 is not None and p.step1.actual is not None:
                for value, marker, what in (
                    (p.step2.actual, "x", "actual"),
                    (p.step2.predicted, "o", "predicted"),
                ):
                    ax.scatter(
                        p.step1.actual,
                        value,
                        marker=marker,
                        s=25,
                        color=color,
                        label=f"{name} ({what})",
                        zorder=4,
                    )
        ax.set_xlabel("task loss (bits per byte)")
        ax.set_ylabel("accuracy")
        ax.set_title(task_fit.task.label, fontsize=10)
        ax.grid(alpha=0.3)
    return _finish(fig, axes, f"Step 2: accuracy from task loss, {level:.0%} band")


def plot_chained(fit: LadderFit) -> Figure:
    """Accuracy against tokens D through both steps: one curve per model size, the rungs'
    final accuracies, and each target's prediction with its interval next to its actual."""
    return _plot_against_tokens(fit, "chained", "accuracy", "accuracy", "Chained prediction")


def plot_residuals(fit: LadderFit) -> Figure:
    """Step 1's residuals per rung (relative: predicted / observed - 1) against D, and step 2's
    (accuracy points) against task loss: structure here is what extrapolation will amplify."""
    cols = min(4, len(fit.tasks))
    rows = 2 * ((len(fit.tasks) + cols - 1) // cols)
    fig = Figure(figsize=(3.4 * cols, 2.7 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for i in range(len(fit.tasks), cols * rows // 2):  # empty slots of the last row pair
        axes[2 * (i // cols)][i % cols].set_visible(False)
        axes[2 * (i // cols) + 1][i % cols].set_visible(False)
    for i, task_fit in enumerate(fit.tasks.values()):
        top, bottom = axes[2 * (i // cols)][i % cols], axes[2 * (i // cols) + 1][i % cols]
        points, colors = task_fit.step1_points, _size_colors(task_fit)
        nd = points[["params", "tokens"]].to_numpy(dtype=float)
        relative = task_fit.step1.predict(nd) / points["task_loss"].to_numpy() - 1
        for (_, row), value in zip(points.iterrows(), relative, strict=True):
            top.scatter(
                row["tokens"],
                100 * value,
                color=colors[row["params"]],
                s=30,
                marker=MARKERS.get(_multiplier(row["run"]), "o"),
                label=_size_label(row["run"]),
            )
        top.axhline(0, color="black", lw=0.8)
        top.set_xscale("log")
        top.set_xlabel("tokens D")
        top.set_ylabel("step 1 residual (%)")
        top.set_title(task_fit.task.label, fontsize=10)
        if task_fit.step2 is not None and task_fit.step2_points is not None:
            p2 = task_fit.step2_points
            fitted = task_fit.step2.predict(p2["task_loss"].to_numpy())
            for n, color in colors.items():
                rows = p2["params"].to_numpy() == n
                bottom.scatter(
                    p2["task_loss"][rows],
                    100 * (fitted[rows] - p2["accuracy"][rows]),
                    s=5,
                    alpha=0.5,
                    color=color,
                    edgecolors="none",
                )
            bottom.axhline(0, color="black", lw=0.8)
        bottom.set_xlabel("task loss (bits per byte)")
        bottom.set_ylabel("step 2 residual (points)")
        for ax in (top, bottom):
            ax.grid(alpha=0.3)
    return _finish(fig, list(axes.flat), "Residuals of the fitted laws (predicted - observed)")


def plot_noise(noise: pd.DataFrame, fit: LadderFit | None = None) -> Figure:
    """Per task, the accuracy noise floor (SD over the last checkpoints, in points) beside the
    chained prediction's absolute error for each target with an actual."""
    fig = Figure(figsize=(7, 0.45 * len(noise) + 1.5))
    ax = fig.subplots()
    y = np.arange(len(noise))
    ax.barh(y, 100 * noise["accuracy_sd"], height=0.3, color="gray", label="noise floor (SD)")
    if fit is not None:
        for i, target in enumerate(fit.spec.targets):
            errors = [
                fit.tasks[task].predictions[target.name].chained
                for task in noise["task"]
                if task in fit.tasks
            ]
            values = [
                100 * e.abs_error if e and e.abs_error is not None else np.nan for e in errors
            ]
            ax.barh(
                y + 0.3 * (i + 1),
                values,
                height=0.3,
                color=TARGET_COLORS[i % 4],
                label=f"{target.name} prediction error",
            )
    ax.set_yticks(y + 0.3, noise["display"])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("accuracy points (log scale)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="x")
    ax.set_title("Prediction error against checkpoint-to-checkpoint noise", fontsize=10)
    fig.tight_layout()
    return fig


def plot_compute_vs_error(results: pd.DataFrame) -> Figure:
    """Mean absolute error of the targets' chained predictions against the ladder's compute as
    a fraction of the target's, one point per cut-down ladder (colour: largest rung)."""
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    ok = results.dropna(subset=["compute_fraction"])
    sizes = list(dict.fromkeys(ok["max_size"]))
    cmap = matplotlib.colormaps["viridis"]
    markers = dict(zip(dict.fromkeys(ok["target"]), "os^Dv", strict=False))
    for (size, target), rows in ok.groupby(["max_size", "target"], sort=False):
        ax.scatter(
            100 * rows["compute_fraction"],
            100 * rows["mean_abs_error"],
            color=cmap(sizes.index(size) / max(len(sizes) - 1, 1) * 0.85),
            marker=markers[target],
            s=35,
            label=f"max {size}, {target}",
        )
    ax.set_xscale("log")
    ax.set_xlabel("ladder compute (% of the target's 6ND)")
    ax.set_ylabel("mean absolute error (accuracy points)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("Prediction error against ladder compute", fontsize=10)
    fig.tight_layout()
    return fig


FIGURES = {
    "step1": plot_step1,
    "step2": plot_step2,
    "chained": plot_chained,
    "residuals": plot_residuals,
}


def save(fig: Figure, out: Path, name: str, formats: Sequence[str]) -> list[Path]:
    """Write one figure as out/name.<format> for each format; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.{fmt}" for fmt in formats]
    for path in paths:
        fig.savefig(path, dpi=150, bbox_inches="tight")
    return paths


def save_figures(fit: LadderFit, out: Path, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Write the step1, step2, chained and residuals figures in each format to `out`."""
    return [path for name, draw in FIGURES.items() for path in save(draw(fit), out, name, formats)]
