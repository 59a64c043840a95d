"""Figures of the analyses beside a fit (matplotlib, in ladder.figures.style's look): the noise
floor against each target's error, and the error against the ladder's compute. Widths "page"
(7 in) or "column" (3.3 in); accuracy in points (%)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ladder.errors import LadderError
from ladder.figures.legend import LegendEntries, finish
from ladder.figures.plots import palette
from ladder.figures.style import (
    NEUTRAL,
    PREDICTED_MARKER,
    Grid,
    figure_width,
    grid,
    log_x,
    multiplier_markers,
    panel_titles,
    size_color,
    spread_colors,
    styled,
)
from ladder.fits.fit import LadderFit


@styled
def plot_noise(
    noise: pd.DataFrame,
    fit: LadderFit | None = None,
    width: str = "page",
    tasks: Sequence[str] | None = None,
) -> Figure:
    """A dot plot, one row per task of `tasks` (default: every row of `noise`), in accuracy
    points on a linear axis: the noise floor (the SD of accuracy over the last evaluations,
    median over runs) beside each target's error of its headline prediction,
    |predicted - actual|. Errors near the floor are the evaluation's, errors far beyond it
    the law's."""
    if tasks is not None:
        rows = noise.set_index("task", drop=False)
        unknown = [task for task in tasks if task not in rows.index]
        if unknown:
            raise LadderError(
                f"task {unknown[0]!r} has no noise floor (it has: {', '.join(noise['task'])})"
            )
        noise = rows.loc[list(dict.fromkeys(tasks))].reset_index(drop=True)
    fig = Figure(figsize=(figure_width(width), 1.0), layout="constrained")
    ax = fig.subplots()
    legend = LegendEntries()
    y = np.arange(len(noise))
    ax.plot(100 * noise["accuracy_sd"], y, "|", color="0.2", ms=9, mew=1.5, zorder=3)
    floor = Line2D([], [], color="0.2", marker="|", ls="none", ms=9, mew=1.5)
    legend.add("noise", "accuracy SD, last evaluations", floor)
    if fit is not None:
        look = palette(fit)
        for target in fit.spec.targets:
            errors = []
            for task in noise["task"]:
                e = fit.tasks[task].predictions[target.name].headline if task in fit.tasks else None
                errors.append(np.nan if e is None or e.abs_error is None else 100 * e.abs_error)
            if np.isnan(errors).all():
                continue
            color = look.targets[target.name]
            ax.plot(errors, y, PREDICTED_MARKER, color=color, ms=5, mew=1.2, zorder=4)
            legend.add("targets", target.name, Patch(facecolor=color, edgecolor="none"))
            mark = Line2D([], [], color=NEUTRAL, marker=PREDICTED_MARKER, ls="none", ms=5)
            legend.add("targets", "|predicted - actual|", mark, rank=1)
    ax.set_yticks(y, noise["display"])
    ax.set_ylim(len(noise) - 0.5, -0.5)
    ax.set_xlim(left=0)
    ax.set_xlabel("accuracy points")
    ax.grid(axis="x", visible=False)
    layout = Grid(fig, [ax], 1, body=0.2 * len(noise) + 0.45)
    return finish(layout, legend, "Prediction error against checkpoint noise")


@styled
def plot_compute_vs_error(results: pd.DataFrame, width: str = "page") -> Figure:
    """Per target, the mean absolute error of the headline predictions over the tasks (in
    points) against the cut-down ladder's compute as a share of the target's 6ND: one point
    per cut, coloured by its largest size N (`max_params`; the size's colour in every figure)
    and shaped by its largest token multiplier."""
    ok = results.dropna(subset=["compute_fraction"])
    targets = list(dict.fromkeys(ok["target"]))
    if not targets:
        raise LadderError("no ladder cut could be fitted: nothing to draw")
    layout = grid(len(targets), width)
    legend = LegendEntries()
    by_n = sorted(zip(ok["max_params"], ok["max_size"], strict=True))
    sizes = {label: size_color(n) for n, label in by_n}
    largest = ok["max_multiplier"] if "max_multiplier" in ok else pd.Series(np.nan, ok.index)
    markers = multiplier_markers(largest)
    for ax, target in zip(layout.axes, targets, strict=True):
        rows = ok[ok["target"] == target]
        for (size, k), group in rows.groupby(
            [rows["max_size"], largest[rows.index]], sort=False, dropna=False
        ):
            ax.scatter(
                100 * group["compute_fraction"],
                100 * group["mean_abs_error"],
                color=sizes[size],
                marker=markers[None if pd.isna(k) else k],
                s=18,
                edgecolors="0.15",
                linewidths=0.3,
                zorder=3,
            )
        log_x(ax, plain=True)
    for size, color in sizes.items():
        legend.add("largest size", size, Patch(facecolor=color, edgecolor="none"))
    for k in sorted(largest.dropna().unique()):
        mark = Line2D([], [], color=NEUTRAL, marker=markers[k], ls="none")
        legend.add("largest multiplier", f"{k:g}xC", mark)
    panel_titles(layout, [(target, []) for target in targets])
    layout.label("compute (% of target)", "mean abs. error (points)")
    return finish(layout, legend, "Prediction error against ladder compute")


@styled
def plot_benchmark(rows: pd.DataFrame, width: str = "page") -> Figure:
    """Two panels over the benchmark's (ladder, target, task) predictions: each method's
    relative error against the extrapolation distance (ln of how far beyond the fit runs,
    in N or C), and each method's coverage of its intervals per ladder."""
    ok = rows.dropna(subset=["rel_error"])
    if ok.empty:
        raise LadderError("the benchmark predicted nothing: nothing to draw")
    methods = list(dict.fromkeys(ok["method"]))
    colors = dict(zip(methods, spread_colors(len(methods)), strict=True))
    layout = grid(2, width)
    error_ax, coverage_ax = layout.axes
    legend = LegendEntries()
    ladders = list(dict.fromkeys(ok["ladder"]))
    offsets = np.linspace(-0.3, 0.3, len(methods)) if len(methods) > 1 else np.zeros(1)
    for (name, color), offset in zip(colors.items(), offsets, strict=True):
        mine = ok[ok["method"] == name]
        error_ax.scatter(mine["distance"], 100 * mine["rel_error"], color=color, s=8, alpha=0.7)
        coverage = mine.groupby("ladder")["covered"].mean().reindex(ladders)
        coverage_ax.scatter(
            100 * coverage.to_numpy(), np.arange(len(ladders)) + offset, color=color, s=10
        )
        legend.add("methods", name, Patch(facecolor=color, edgecolor="none"))
    error_ax.set_yscale("log")  # the distance is a log already: its axis is linear
    coverage_ax.axvline(95, color=NEUTRAL, lw=0.8, ls=":")
    coverage_ax.set_yticks(
        np.arange(len(ladders)), [n.removeprefix("obsscaling-") for n in ladders]
    )
    coverage_ax.set_ylim(len(ladders) - 0.5, -0.5)
    coverage_ax.tick_params(axis="y", labelsize="x-small")
    panel_titles(layout, [("error against distance", []), ("coverage per ladder", [])])
    error_ax.set_xlabel("extrapolation distance (ln)")
    error_ax.set_ylabel("relative error (%)")
    coverage_ax.set_xlabel("covered (%)")
    return finish(layout, legend, "Methods on the ladder benchmark")
