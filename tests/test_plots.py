"""Figures: one marker convention, complete legends, no text over text, page and column
widths, a subset of tasks, PNG and PDF written atomically, and one-line errors for bad
options; for a paper fit (bootstrap draws) and an auto fit (calibrated intervals)."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.markers import MarkerStyle

from ladder import api
from ladder.cli import main
from ladder.errors import LadderError
from ladder.figures.analyses import plot_benchmark, plot_compute_vs_error, plot_noise
from ladder.figures.plots import FIGURES
from ladder.figures.style import (
    MULTIPLIER_MARKERS,
    RUNG_SIZE,
    STYLE,
    multiplier_markers,
    size_color,
)
from ladder.fit.noise import summarize
from ladder.laws.predictors import primary

SIZES = ["190M", "370M", "760M", "1B"]
MULTIPLIERS = ["1xC", "2xC", "5xC", "10xC"]
TARGETS = ["7B-4T", "13B-5T"]


@pytest.fixture(scope="module")
def auto_fit(paper_spec, paper_table):
    """The default method on three tasks (the figures draw the ensemble's member laws)."""
    return api.fit(paper_spec.with_tasks(["mmlu", "arc_challenge", "piqa"]), paper_table)


@pytest.fixture(scope="module")
def fits(paper_fit, auto_fit):
    return {"paper": paper_fit, "auto": auto_fit}


@pytest.fixture(scope="module")
def saved_fit(auto_fit, tmp_path_factory):
    return api.save_fit(auto_fit, tmp_path_factory.mktemp("fit") / "fit.json")


def drawn(fig: Figure) -> Figure:
    FigureCanvasAgg(fig).draw()
    return fig


def legend_labels(fig: Figure) -> list[str]:
    """The legend's labels, a wrapped one on one line."""
    return [
        text.get_text().replace("\n", " ") for legend in fig.legends for text in legend.get_texts()
    ]


def texts(fig: Figure) -> list:
    """Every visible non-empty text of a drawn figure: titles, labels, tick labels in view,
    annotations, the legend's."""
    found = [fig._suptitle] + [t for legend in fig.legends for t in legend.get_texts()]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        found += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        found += ax.texts
        for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            low, high = sorted((low, high))
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if low <= tick.get_loc() <= high and tick.label1.get_visible():
                    found.append(tick.label1)
    return [t for t in found if t is not None and t.get_visible() and t.get_text().strip()]


def assert_no_overlaps(fig: Figure) -> None:
    renderer = drawn(fig).canvas.get_renderer()
    page = fig.bbox
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts(fig)]
    for text, box in boxes:
        assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1, f"{text!r} leaves the figure"
        assert page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1, f"{text!r} leaves the figure"
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        assert width <= 1 or height <= 1, f"{a!r} overlaps {b!r}"


@pytest.mark.parametrize("kind", ["paper", "auto"])
@pytest.mark.parametrize("name", sorted(FIGURES))
def test_legend_names_sizes_multipliers_and_every_mark(fits, kind, name):
    labels = legend_labels(FIGURES[name](fits[kind]))
    assert {"size N", "tokens D", *SIZES, *MULTIPLIERS} <= set(labels)
    if name != "residuals":
        drawn = kind == "auto" and name != "chained"  # a step figure draws a member's laws
        note = (
            "in titles: " + (f"{drawn_member(fits[kind])}'s " if drawn else "") + "relative error"
        )
        assert {"targets", *TARGETS, "actual", note} <= set(labels)
    if name in ("step1", "chained"):
        assert {"fitted, per size", "target, extrapolated"} <= set(labels)
    if name == "step2":
        assert {"checkpoints", "fitted sigmoid"} <= set(labels)
        assert ("95% band (bootstrap)" in labels) == (kind == "paper")
    if name == "chained":
        how = "bootstrap" if kind == "paper" else "calibrated"
        assert f"predicted, 95% interval ({how})" in labels
    if name == "step1" and kind == "auto":  # the member's step 1 has no interval of its own
        assert "predicted" in labels


@pytest.mark.parametrize("part", ["step2", "chained"])
def test_predicted_is_an_x_and_actual_a_circle_in_every_figure(paper_fit, part):
    """Step 2 drew the prediction as a circle and the actual as an x, the others the reverse."""
    fig = FIGURES[part](paper_fit, tasks=["mmlu"])
    marks = {
        line.get_marker(): float(line.get_ydata()[0])
        for line in fig.axes[0].get_lines()
        if line.get_color() == "#d62728" and line.get_marker() in ("x", "o")
    }
    estimate = getattr(paper_fit.tasks["mmlu"].predictions["7B-4T"], part)
    assert marks == pytest.approx({"x": estimate.predicted, "o": estimate.actual})


def marker_path(marker: str) -> np.ndarray:
    style = MarkerStyle(marker)
    return style.get_path().transformed(style.get_transform()).vertices


def rung_marks(fig: Figure) -> set[tuple[tuple[float, ...], str]]:
    """(colour, marker) of every rung scatter in the first panel."""
    shapes = {m: marker_path(m) for m in ("s", "^", "D", "*", "h")}
    marks = set()
    for collection in fig.axes[0].collections:
        if not isinstance(collection, PathCollection) or list(collection.get_sizes()) != [
            RUNG_SIZE
        ]:
            continue
        vertices = collection.get_paths()[0].vertices
        [marker] = [
            m for m, v in shapes.items() if v.shape == vertices.shape and np.allclose(v, vertices)
        ]
        marks.add((tuple(np.round(collection.get_facecolor()[0], 3)), marker))
    return marks


def test_every_figure_marks_a_rung_by_size_colour_and_multiplier_shape(paper_fit):
    """Colour is size (viridis), shape is multiplier (1xC square ... 10xC star), everywhere."""
    markers = multiplier_markers([1.0, 2.0, 5.0, 10.0, None])
    assert [markers[k] for k in (1.0, 2.0, 5.0, 10.0, None)] == ["s", "^", "D", "*", "h"]
    marks = [rung_marks(FIGURES[name](paper_fit, tasks=["mmlu"])) for name in sorted(FIGURES)]
    assert len(marks[0]) == 16  # 4 sizes x 4 multipliers
    assert all(m == marks[0] for m in marks)
    by_marker: dict[str, list] = {}
    for color, marker in marks[0]:
        by_marker.setdefault(marker, []).append(color)
    assert sorted(by_marker) == ["*", "D", "^", "s"]
    ns = paper_fit.tasks["mmlu"].points.final["params"].unique()
    viridis = {tuple(np.round(size_color(n), 3)) for n in ns}  # 190M darkest, 1B palest
    assert all(set(colors) == viridis for colors in by_marker.values())


def test_every_other_multiplier_gets_a_marker_of_its_own():
    ks = [0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0, 12.0, 0.75, 3.0, None]
    markers = multiplier_markers(ks)
    assert len(set(markers.values())) == len(set(ks))  # distinct multipliers, distinct marks
    assert all(markers[k] == MULTIPLIER_MARKERS[k] for k in (0.5, 1.0, 2.0, 5.0, 10.0))
    assert markers[None] == "h" and markers[0.75] != markers[1.5]


def test_a_size_has_one_colour_in_every_figure_and_every_ladder():
    """size_color is a function of N alone: the 1B of a ladder cut down to three sizes, or of
    a ladder with a 3B rung, is the 1B of the full ladder's figures."""
    assert size_color(1.28e9) == size_color(1.28e9)
    ramp = [size_color(n) for n in (5e7, 2e8, 8e8, 3.2e9, 2e10)]
    assert len(set(ramp)) == 5 and size_color(1e7) == ramp[0] and size_color(1e12) == ramp[-1]


def drawn_member(fit) -> str:
    """The ensemble member whose laws the step figures draw: "<name> member"."""
    members = fit.tasks["mmlu"].predictor.members
    return next(f"{name} member" for name, m in members.items() if primary(m) is not None)


def test_step_figure_titles_give_the_drawn_members_own_errors(auto_fit):
    """The auto fit is an ensemble; the step figures draw one member's laws, and their titles
    give that member's errors, computed here from its laws, not the ensemble's."""
    tf = auto_fit.tasks["mmlu"]
    member = primary(tf.predictor)
    assert member is tf.predictor.members[drawn_member(auto_fit).split()[0]]
    p = tf.predictions["7B-4T"]
    x = np.array([[p.target.params, p.target.tokens]])
    step1 = abs(member.step1.predict(x)[0] - p.step1.actual) / p.step1.actual
    step2 = abs(member.step2.predict(np.array([p.step1.actual]))[0] - p.chained.actual)
    titles = {
        part: FIGURES[part](auto_fit, tasks=["mmlu"]).axes[0].get_title()
        for part in ("step1", "step2")
    }
    assert f"7B-4T {100 * step1:.1f}%" in titles["step1"]
    assert f"7B-4T {100 * step2 / p.chained.actual:.1f}%" in titles["step2"]


@pytest.mark.parametrize("width", ["page", "column"])
@pytest.mark.parametrize("name", sorted(FIGURES))
def test_no_text_overlaps_another_or_leaves_the_figure(fits, name, width):
    for fit in fits.values():
        assert_no_overlaps(FIGURES[name](fit, width=width))


def test_text_is_8_to_10_points_at_the_final_size(paper_fit):
    """8 to 10 points, but the legend's 6.5 at column width."""
    for width, legend in (("page", 8), ("column", 6.5)):
        fig = drawn(FIGURES["chained"](paper_fit, width=width))
        entries = set(fig.legends[0].get_texts())
        sizes = {t.get_fontsize() for t in texts(fig) if t not in entries}
        assert min(sizes) >= 8 and max(sizes) <= 10, sizes
        assert {t.get_fontsize() for t in entries} == {legend}


@pytest.mark.parametrize(("tasks", "most"), [(["mmlu"], 0.26), (None, 0.18)])
def test_the_legend_takes_a_quarter_of_a_column_figure_at_most(paper_fit, tasks, most):
    """At 8 pt the legend took 33% of a one-task column figure's height, 19% of all tasks'."""
    fig = drawn(FIGURES["chained"](paper_fit, tasks=tasks, width="column"))
    legend = fig.legends[0].get_window_extent(fig.canvas.get_renderer())
    assert legend.height / fig.bbox.height <= most


def test_widths_and_task_subsets(paper_fit):
    page = FIGURES["step1"](paper_fit)
    column = FIGURES["step2"](paper_fit, width="column")
    assert page.get_figwidth() == 7.0 and column.get_figwidth() == 3.3
    assert len([ax for ax in page.axes if ax.get_visible()]) == 8  # 4 x 2 on a page
    assert column.axes[0].get_gridspec().ncols == 2  # 2 x 4 in a column
    one = drawn(FIGURES["chained"](paper_fit, tasks=["piqa"], width="column"))
    assert [ax.get_title().split("\n")[0] for ax in one.axes] == ["PIQA"]
    two = FIGURES["residuals"](paper_fit, tasks=["openbookqa", "mmlu"])
    titles = [ax.get_title().split("\n")[0] for ax in two.axes if ax.get_title()]
    assert titles == ["OpenBookQA", "MMLU"]  # in the order asked
    with pytest.raises(LadderError, match=r"task 'nope' is not in the fit \(it has: mmlu, "):
        FIGURES["step1"](paper_fit, tasks=["nope"])
    with pytest.raises(LadderError, match="figure width 'poster': page or column"):
        FIGURES["step1"](paper_fit, width="poster")


def test_plot_writes_png_and_pdf_at_the_width_asked(saved_fit, tmp_path):
    out = tmp_path / "figures"
    args = ["plot", str(saved_fit), "--output-dir", str(out), "--tasks", "mmlu,piqa", "-q"]
    assert main([*args, "--width", "column"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(  # no temporary file left behind
        f"{name}.{fmt}" for name in FIGURES for fmt in ("png", "pdf")
    )
    png = (out / "chained.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == round(3.3 * 300)  # 3.3 in at 300 dpi
    pdf = (out / "chained.pdf").read_bytes()
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert pdf[:5] == b"%PDF-" and float(box[1]) == pytest.approx(3.3 * 72)
    assert b"/FontFile2" in pdf  # TrueType fonts embedded (pdf.fonttype 42)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--width", "poster"], "argument --width: invalid choice: 'poster'"),
        (["--tasks", "mmlu,nope"], "task 'nope' is not in the fit (it has: mmlu, arc_challenge"),
        (["--formats", "gif"], "figure format 'gif'"),
    ],
)
def test_bad_figure_options_are_one_line(saved_fit, tmp_path, capsys, flags, message):
    out = tmp_path / "figures"
    assert main(["plot", str(saved_fit), "--output-dir", str(out), "-q", *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_an_unknown_task_fails_before_fitting(tmp_path, capsys, monkeypatch):
    def no_fit(*args, **kwargs):
        raise AssertionError("fitted")

    monkeypatch.setattr(api, "fit", no_fit)
    assert main(["plot", "--tasks", "nope", "--output-dir", str(tmp_path / "p"), "-q"]) == 2
    assert "task 'nope' is not in the fit" in capsys.readouterr().err


def test_noise_is_a_dot_plot_on_a_linear_axis(paper_spec, paper_table, paper_fit):
    floor = summarize(api.noise(paper_spec, paper_table))
    fig = plot_noise(floor, paper_fit)
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear" and not ax.patches  # no bars
    assert ax.get_xlim()[0] == 0
    lines = {line.get_marker(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["|"].get_xdata(), 100 * floor["accuracy_sd"])
    errors = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(errors) == 2  # one row of errors per target
    expected = [100 * paper_fit.tasks[t].predictions["7B-4T"].chained.abs_error for t in floor.task]
    np.testing.assert_allclose(errors[0].get_xdata(), expected)
    assert {"noise", "targets", *TARGETS, "|predicted - actual|"} <= set(legend_labels(fig))
    assert_no_overlaps(fig)


def test_report_draws_the_tasks_asked(paper_spec, paper_table, paper_fit):
    floor = summarize(api.noise(paper_spec, paper_table))
    fig = plot_noise(floor, paper_fit, width="column", tasks=["piqa", "mmlu"])
    assert fig.get_figwidth() == 3.3
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["PIQA", "MMLU"]
    with pytest.raises(LadderError, match="task 'nope' has no noise floor"):
        plot_noise(floor, paper_fit, tasks=["nope"])


def test_report_refuses_an_unknown_task_before_fitting(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", "--tasks", "mmlu,nope", "--output-dir", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "task 'nope' is not in the fit" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_every_drawing_verb_takes_tasks_width_and_formats():
    from ladder.cli import build_parser

    parser = build_parser()
    for verb in ("plot", "report", "compute-vs-error", "forecast --run 13B-5T"):
        flags = ["--tasks", "mmlu", "--width", "column", "--formats", "pdf", "--output-dir", "x"]
        args = parser.parse_args([*verb.split(), *flags])
        assert (args.tasks, args.width, args.formats) == ("mmlu", "column", "pdf")


def test_compute_vs_error_follows_the_convention():
    rows = [
        {
            "target": target,
            "max_size": size,
            "max_params": n,
            "max_multiplier": k,
            "compute_fraction": 0.001 * (i + 1) * k,
            "mean_abs_error": 0.05 / (i + 1),
        }
        for target in TARGETS
        for i, (size, n) in enumerate([("760M", 7.58e8), ("1B", 1.28e9)])
        for k in (2.0, 5.0)
    ]
    fig = plot_compute_vs_error(pd.DataFrame(rows), width="column")
    colors = {tuple(c.get_facecolor()[0]) for c in fig.axes[0].collections}
    assert colors == {tuple(size_color(n)) for n in (7.58e8, 1.28e9)}  # as in every figure
    assert fig.get_figwidth() == 3.3
    assert [ax.get_title() for ax in fig.axes] == TARGETS
    assert {"largest size", "760M", "1B", "largest multiplier", "2xC", "5xC"} <= set(
        legend_labels(fig)
    )
    markers = {c.get_paths()[0].vertices.shape for c in fig.axes[0].collections}
    assert len(markers) == 2  # a shape per largest multiplier
    assert_no_overlaps(fig)


def test_the_style_file_ships_in_the_package():
    assert STYLE.is_file() and STYLE.parent.name == "figures"
    assert "pdf.fonttype: 42" in STYLE.read_text()


def test_benchmark_draws_the_log_distance_on_a_linear_axis():
    """ln(distance) on a log axis showed 0.7 and 4.5 with one tick, 10^0, between them."""
    rows = pd.DataFrame(
        {
            "ladder": ["a", "a", "b", "b"],
            "method": ["auto", "carry"] * 2,
            "distance": [0.7, 0.7, 4.5, 4.5],
            "rel_error": [0.01, 0.05, 0.02, 0.2],
            "covered": [True, False, True, True],
        }
    )
    error_ax = plot_benchmark(rows, "column").axes[0]
    assert error_ax.get_xscale() == "linear" and error_ax.get_yscale() == "log"
