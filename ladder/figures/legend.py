"""The grouped figure legend every figure of ladder.figures shares: entries by group (sizes,
multipliers, curves, targets), packed into columns below the panels, and `finish`, which sizes
the figure to hold its title, panels and legend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from ladder.figures.style import (
    GROUP_ORDER,
    LEGEND_MIN_COLUMNS,
    Grid,
    legend_look,
    text_width,
    wrap,
)


@dataclass
class LegendEntries:
    """A figure legend's entries by group, in the order drawn, each label once per group."""

    groups: dict[str, dict[str, tuple[int, Artist]]] = field(default_factory=dict)

    def add(self, group: str, label: str, handle: Artist, rank: int = 0) -> None:
        """Add an entry (or keep the one there); a group lists lower ranks first."""
        self.groups.setdefault(group, {}).setdefault(label, (rank, handle))

    def ordered(self) -> list[list[tuple[str, Artist | None]]]:
        """Each group (sizes, multipliers, curves, targets, then any other) as its heading
        (no handle) and its entries."""
        order = sorted(self.groups, key=lambda g: GROUP_ORDER.index(g) if g in GROUP_ORDER else 9)
        return [
            [(title, None), *((label, h) for label, (_, h) in sorted(entries.items(), key=rank))]
            for title, entries in ((g, self.groups[g]) for g in order)
        ]

    def draw(self, fig: Figure) -> tuple[Legend | None, float, int]:
        """The legend below the panels (text size and spacing: `legend_look`), each group a
        bold heading over its entries (a long group continues at the top of the next column),
        labels wider than a third of the figure wrapped, in as few lines as fit the figure's
        width; returns it, its text size and its lines."""
        fontsize, spacing_em = legend_look(fig.get_figwidth())
        if not self.groups:
            return None, fontsize, 0
        rc = matplotlib.rcParams
        handle = (rc["legend.handlelength"] + rc["legend.handletextpad"]) * fontsize
        available = 0.95 * 72 * fig.get_figwidth()
        widest = available / LEGEND_MIN_COLUMNS - handle
        blocks = [
            [
                (wrap(label, widest, size=fontsize) if h is not None else label, h)
                for label, h in block
            ]
            for block in self.ordered()
        ]

        def entry_width(entry: tuple[str, Artist | None]) -> float:
            weight = "bold" if entry[1] is None else "normal"
            lines = entry[0].split("\n")
            return handle + max(text_width(line, weight, fontsize) for line in lines)

        def lines(column: Sequence[tuple[str, Artist | None]]) -> int:
            return sum(label.count("\n") + 1 for label, _ in column)

        spacing = spacing_em * fontsize
        for rows in range(2, sum(len(b) for b in blocks) + 1):
            columns = pack(blocks, rows)
            widths = [max(entry_width(e) for e in column) for column in columns]
            if sum(widths) + spacing * (len(columns) - 1) <= available:
                break
        rows = max(len(column) for column in columns)
        blank = (("", Line2D([], [], ls="none")),)
        cells = [entry for column in columns for entry in [*column, *blank * (rows - len(column))]]
        handles = [h if h is not None else Line2D([], [], ls="none") for _, h in cells]
        legend = fig.legend(
            handles,
            [label for label, _ in cells],
            loc="outside lower center",
            ncols=len(columns),
            fontsize=fontsize,
            columnspacing=spacing_em,
        )
        for text, (_, h) in zip(legend.get_texts(), cells, strict=True):
            if h is None:
                text.set_fontweight("bold")
        height = max(
            sum(
                max(lines(column[i : i + 1]) for column in columns if i < len(column))
                for i in range(rows)
            ),
            0,
        )
        return legend, fontsize, height


def rank(entry: tuple[str, tuple[int, Artist]]) -> int:
    return entry[1][0]


def pack(blocks: Sequence[Sequence[Any]], rows: int) -> list[list[Any]]:
    """Blocks (a heading and its entries) into columns of at most `rows`, in order: a block
    starts under the one before it where its heading and one entry fit, and one longer than
    the room left continues at the top of the next column."""
    columns: list[list[Any]] = []
    for block in blocks:
        if not columns or len(columns[-1]) + min(len(block), 2) > rows:
            columns.append([])
        for entry in block:
            if len(columns[-1]) == rows:
                columns.append([])
            columns[-1].append(entry)
    return columns


def finish(layout: Grid, legend: LegendEntries, title: str) -> Figure:
    """The figure with its bold title above and the legend below, grown to hold both."""
    fig = layout.fig
    rc = matplotlib.rcParams
    size = rc["figure.titlesize"]
    text = wrap(title, 0.95 * 72 * fig.get_figwidth(), rc["figure.titleweight"], size)
    fig.suptitle(text)
    drawn, fontsize, rows = legend.draw(fig)  # rows: lines of text
    line = fontsize * (1.2 + rc["legend.labelspacing"]) / 72
    titles = (1.2 * (text.count("\n") + 1) + 0.8) * size / 72
    notes = layout.rows * layout.extra_title_lines * 1.2 * rc["axes.titlesize"] / 72
    fig.set_figheight(layout.body + notes + titles + rows * line + (0.1 if drawn else 0))
    return fig
