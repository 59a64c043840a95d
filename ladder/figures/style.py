"""The look every figure of ladder.figures.plots shares: the style file, the two widths of a paper,
the panel grid and the marker convention (the grouped figure legend: ladder.figures.legend).

Marker convention, the same in every figure: colour = model size N, one map for every figure
and every ladder (`size_color`: viridis on a fixed log scale of N, SIZE_RANGE); marker shape =
token multiplier (1xC = 20 N tokens; MULTIPLIER_MARKERS for the usual ones, and each other
multiplier of a figure one of EXTRA_MARKERS, `multiplier_markers`; a run without a known
multiplier gets OTHER_MARKER); each target has its own colour, with an x for a prediction
(its interval as an error bar) and a filled circle for its actual result; a size's fitted
curve is dashed, a target's extrapolated curve dotted.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import matplotlib
import matplotlib.style
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ladder.errors import LadderError
from ladder.laws.bootstrap import Estimate
from ladder.runs.rungs import (
    multiplier_in_name,
    multiplier_label,
    parse_rung,
    size_label,
    standard_multiplier,
)

if TYPE_CHECKING:
    from ladder.figures.legend import LegendEntries

STYLE = Path(__file__).with_name("ladder.mplstyle")
WIDTHS = {"page": 7.0, "column": 3.3}  # inches: a two-column paper's text width, one column
MOST_COLUMNS = {"page": 4, "column": 2}  # panels per row
PANEL_ASPECT = 0.75  # a panel's height / width
MULTIPLIER_MARKERS = {
    0.25: "<",
    0.5: "v",
    1.0: "s",
    2.0: "^",
    4.0: ">",
    5.0: "D",
    8.0: "8",
    10.0: "*",
    16.0: "H",
    20.0: "d",
    32.0: "P",
    40.0: "p",
}
EXTRA_MARKERS = ("X", "v", "<", ">", "8", "H", "d", "P", "p")  # other multipliers, in order
OTHER_MARKER = "h"
SIZE_RANGE = (5e7, 2e10)  # N at viridis 0 and VIRIDIS_END: sizes beyond take the end colours
VIRIDIS_END = 0.85  # viridis' pale end left out
GROUP_ORDER = ("size N", "tokens D", "noise", "curves", "targets")
PREDICTED_MARKER = "x"
ACTUAL_MARKER = "o"
FITTED = "--"
EXTRAPOLATED = ":"
TARGET_COLORS = ("#d62728", "#ff7f0e", "#e377c2", "#8c564b", "#17becf", "#7f7f7f")
NEUTRAL = "0.3"
LEGEND_MIN_COLUMNS = 3  # a legend label wraps at this share of the figure's width
COLUMN_LEGEND = (6.5, 0.8)  # the legend's text (points) and column spacing at column width
RUNG_SIZE = 16  # points^2: a rung's marker in a scatter
EDGE = {"edgecolors": "0.15", "linewidths": 0.3}

P = ParamSpec("P")
R = TypeVar("R")


def styled(draw: Callable[P, R]) -> Callable[P, R]:
    """`draw` run inside the style file's settings (text sizes are fixed when drawn)."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.style.context(STYLE):
            return draw(*args, **kwargs)

    return wrapper


def figure_width(width: str) -> float:
    """The width in inches of a "page" (7 in) or "column" (3.3 in) figure."""
    if width not in WIDTHS:
        raise LadderError(f"figure width {width!r}: page or column")
    return WIDTHS[width]


def legend_look(inches: float) -> tuple[float, float]:
    """The figure legend's text size in points and its column spacing in font sizes: the
    style's on a page; COLUMN_LEGEND on a narrower figure (a column), where 8 pt text takes
    a third to two fifths of a one- or two-panel figure's height."""
    rc = matplotlib.rcParams
    page = (rc["legend.fontsize"], rc["legend.columnspacing"])
    return page if inches >= WIDTHS["page"] else COLUMN_LEGEND


def text_width(text: str, weight: str = "normal", size: float | None = None) -> float:
    """Width in points of one line of text (default size: the style's font size)."""
    prop = FontProperties(size=size or matplotlib.rcParams["font.size"], weight=weight)
    return TextToPath().get_text_width_height_descent(text, prop, ismath=False)[0]


def wrap(text: str, width: float, weight: str = "normal", size: float | None = None) -> str:
    """`text` broken between words into lines no wider than `width` points."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and text_width(f"{lines[-1]} {word}", weight, size) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


@dataclass
class Grid:
    """A figure of panels: `axes` the visible ones in reading order, `body` the height of the
    panels in inches (the figure grows by the title's and the legend's when finished)."""

    fig: Figure
    axes: list[Axes]
    columns: int
    body: float
    rows: int = 1
    extra_title_lines: int = 0  # panel title lines beyond one, which the body grows by

    @property
    def panel_width(self) -> float:
        """A panel's share of the figure's width, in points."""
        return 72 * self.fig.get_figwidth() / self.columns

    def label(self, x: str, y: str) -> None:
        """The x label under each column's lowest panel, the y label left of each row."""
        for i, ax in enumerate(self.axes):
            if i + self.columns >= len(self.axes):
                ax.set_xlabel(x)
            if i % self.columns == 0:
                ax.set_ylabel(y)


def grid(n: int, width: str, rows_per_panel: int = 1, aspect: float = PANEL_ASPECT) -> Grid:
    """n panels (n x `rows_per_panel` axes, stacked per panel) on as few rows as the width
    allows: up to 4 panels a row on a page, 2 in a column, balanced (7 -> 4 + 3)."""
    inches = figure_width(width)
    most = MOST_COLUMNS[width]
    rows = -(-n // most)
    columns = -(-n // rows)
    fig = Figure(figsize=(inches, 1.0), layout="constrained")
    cells = fig.subplots(rows * rows_per_panel, columns, squeeze=False)
    axes = []
    for i in range(rows * columns):
        stack = [
            cells[(i // columns) * rows_per_panel + k][i % columns] for k in range(rows_per_panel)
        ]
        for ax in stack:
            ax.set_visible(i < n)
        if i < n:
            axes.extend(stack)
    body = rows * rows_per_panel * aspect * inches / columns
    return Grid(fig, axes, columns, body, rows)


def log_x(ax: Axes, plain: bool = False) -> None:
    """A logarithmic x axis with a label at every power of ten (up to six), none at the minor
    ticks; `plain` numbers (0.5, 2, 10) at 1, 2 and 5 times each power when the data span less
    than 20-fold."""
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    low, high = ax.dataLim.intervalx
    narrow = plain and low > 0 and high / low < 20
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0) if narrow else (1.0,), numticks=6))
    if plain:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))


def accuracy_y(ax: Axes) -> None:
    """Accuracy (a fraction) labelled in points: 0.5 -> 50."""
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{100 * value:.4g}"))


def panel_titles(layout: Grid, titles: Sequence[tuple[str, Sequence[str]]]) -> None:
    """Each panel's title with its notes (the targets' errors) on one line below it, or, when
    one panel's line would be wider than a panel, one per line in every panel: neighbouring
    titles never meet and the panels keep one height."""
    limit = layout.panel_width - 30  # about the axes' width: a title's width is not laid out
    stack = any(text_width(", ".join(notes)) > limit for _, notes in titles)
    step = len(layout.axes) // max(len(titles), 1)  # the top axes of each panel
    for ax, (title, notes) in zip(layout.axes[::step], titles, strict=True):
        lines = [title, *notes] if stack else [title, ", ".join(notes)]
        lines = [text for text in lines if text]
        ax.set_title("\n".join(lines))
        layout.extra_title_lines = max(layout.extra_title_lines, len(lines) - 1)


@dataclass
class Palette:
    """Colours and markers of one fit's runs and targets (see the module docstring)."""

    sizes: dict[float, tuple[str, Any]]  # N -> (label, colour)
    targets: dict[str, Any]  # target name -> colour
    markers: dict[float | None, str]  # token multiplier -> marker

    @classmethod
    def of(cls, runs: pd.DataFrame, targets: Iterable[str]) -> Palette:
        """From the runs drawn (columns run, params, tokens) and the targets' names in order."""
        labels: dict[float, str] = {}
        for run, n in zip(runs["run"], runs["params"], strict=True):
            parsed = parse_rung(str(run))
            labels.setdefault(float(n), parsed[0] if parsed else size_label(float(n)))
        sizes = {n: (labels[n], size_color(n)) for n in sorted(labels)}
        colors = dict(zip(targets, TARGET_COLORS * 4, strict=False))
        ks = [multiplier(r.run, r.params, r.tokens) for r in runs.itertuples()]
        return cls(sizes, colors, multiplier_markers(ks))

    def color(self, n: float) -> Any:
        return self.sizes[float(n)][1]

    def marker(self, k: float | None) -> str:
        return self.markers.get(None if k is None or np.isnan(k) else k, OTHER_MARKER)

    def rungs(self, ax: Axes, points: pd.DataFrame, x: str, y: Any, legend: LegendEntries) -> None:
        """One marker per run of `points` (columns run, params, tokens) at (points[x], y):
        coloured by size, shaped by multiplier; their legend entries added."""
        frame = points.assign(_y=np.asarray(y, dtype=float))
        frame["_k"] = [multiplier(r.run, r.params, r.tokens) for r in frame.itertuples()]
        for (n, k), rows in frame.groupby(["params", "_k"], sort=False, dropna=False):
            marker = self.marker(k)
            ax.scatter(
                rows[x],
                rows["_y"],
                s=RUNG_SIZE,
                color=self.color(n),
                marker=marker,
                **EDGE,
                zorder=3,
            )
        self.legend_sizes(legend, frame["params"])
        for k in sorted(frame["_k"].dropna().unique()) + (
            [None] if frame["_k"].isna().any() else []
        ):
            label = "other" if k is None else f"{multiplier_label(k)}xC"
            legend.add(
                "tokens D", label, Line2D([], [], color=NEUTRAL, marker=self.marker(k), ls="none")
            )

    def legend_sizes(self, legend: LegendEntries, params: Iterable[float]) -> None:
        for n in sorted({float(n) for n in params}):
            label, color = self.sizes[n]
            legend.add("size N", label, Patch(facecolor=color, edgecolor="none"))

    def target(
        self,
        ax: Axes,
        name: str,
        x: float,
        e: Estimate,
        legend: LegendEntries,
        interval: str,
    ) -> None:
        """A target's prediction (x, with its interval as an error bar where it has one) and
        its actual (a filled circle) at `x`; `interval` names the interval in the legend."""
        color = self.targets[name]
        bounds = np.array([e.lower, e.upper], dtype=float)
        if np.isfinite(bounds).all():
            ax.errorbar(
                x,
                e.predicted,
                yerr=[[e.predicted - e.lower], [e.upper - e.predicted]],
                fmt=PREDICTED_MARKER,
                color=color,
                ms=5,
                elinewidth=0.9,
                zorder=5,
            )
            legend.add("targets", f"predicted, {interval}", predicted_handle(True), rank=1)
        else:
            ax.plot(x, e.predicted, PREDICTED_MARKER, color=color, ms=5, zorder=5)
            legend.add("targets", "predicted", predicted_handle(False), rank=1)
        if e.actual is not None:
            ax.plot(x, e.actual, ACTUAL_MARKER, color=color, ms=4, mec="0.15", mew=0.3, zorder=4)
            circle = Line2D([], [], color=NEUTRAL, marker=ACTUAL_MARKER, ls="none")
            legend.add("targets", "actual", circle, rank=2)
        legend.add("targets", name, Patch(facecolor=color, edgecolor="none"))


def size_color(n: float) -> Any:
    """The colour of model size N (parameters) in every figure: viridis at ln N's place
    between the ends of SIZE_RANGE (clipped), up to VIRIDIS_END."""
    low, high = np.log(SIZE_RANGE)
    place = float(np.clip((np.log(n) - low) / (high - low), 0.0, 1.0))
    return matplotlib.colormaps["viridis"](VIRIDIS_END * place)


def spread_colors(count: int) -> list[Any]:
    """`count` colours spread over viridis (its pale end left out), for things other than
    sizes (methods)."""
    cmap = matplotlib.colormaps["viridis"]
    return [cmap(VIRIDIS_END * i / max(count - 1, 1)) for i in range(count)]


def multiplier(run: str, params: float, tokens: float) -> float | None:
    """A run's token multiplier: from its name (-<k>xC), else from D = k x 20 N, else None."""
    k = multiplier_in_name(str(run))
    return k if k is not None else standard_multiplier(params, tokens)


def multiplier_markers(ks: Iterable[float | None]) -> dict[float | None, str]:
    """A marker for each distinct multiplier of `ks`: MULTIPLIER_MARKERS' for the usual ones,
    and the other multipliers, smallest first, each the next of EXTRA_MARKERS not taken
    (OTHER_MARKER when they run out, and for None: unknown)."""
    known = {None if k is None or np.isnan(k) else float(k) for k in ks}
    markers: dict[float | None, str] = {
        k: MULTIPLIER_MARKERS[k] for k in known if k in MULTIPLIER_MARKERS
    }
    spare = iter(m for m in EXTRA_MARKERS if m not in markers.values())
    for k in sorted(k for k in known if k is not None and k not in markers):
        markers[k] = next(spare, OTHER_MARKER)
    markers[None] = OTHER_MARKER
    return markers


def predicted_handle(interval: bool) -> Artist:
    """The legend's sign for a prediction: an x, with an error bar when it has an interval."""
    mark = Line2D([], [], color=NEUTRAL, marker=PREDICTED_MARKER, ls="none", ms=5)
    if not interval:
        return mark
    return ErrorbarContainer((mark, (), (LineCollection([], colors=NEUTRAL),)), has_yerr=True)
