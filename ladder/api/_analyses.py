"""The analysis verbs' API: figures, noise floor, backtests, compute against error, report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ladder.api._fit import REPO, fit, observations_for, spec
from ladder.api._progress import progress_bar
from ladder.errors import LadderError
from ladder.spec.ladder import LadderSpec, canonical_tasks

if TYPE_CHECKING:
    import pandas as pd

    from ladder.analyses.backtest import Split
    from ladder.fits.fit import LadderFit


NOISE_LAST_N = 10


BACKTEST_KINDS = ("size", "multiplier")


BACKTEST_BOOTSTRAP = 200


def fit_spec_with_data(fit: LadderFit, spec: LadderSpec) -> LadderSpec:
    """The fit's own spec, reading `spec`'s table: a saved fit names its table by file name
    only; LadderError if `spec`'s table is another file."""
    made_on = fit.spec.data.name if fit.spec.data is not None else None
    if spec.data is None or made_on != spec.data.name:
        raise LadderError(
            f"the fit was made on {made_on or 'no table'}, the spec's table is "
            f"{spec.data.name if spec.data else 'none'}; pass the spec whose data it was made on"
        )
    return fit.spec.replace(data=spec.data)


def plot(
    fit: LadderFit,
    out_dir: str | Path,
    formats: Sequence[str] = ("png", "pdf"),
    tasks: Sequence[str] | None = None,
    width: str = "page",
) -> list[Path]:
    """The step 1, step 2, chained and residual figures of a fit's `tasks` (default: all; one
    panel each), `width` "page" (7 in) or "column" (3.3 in), written to `out_dir` in each
    format."""
    from ladder.figures.plots import save_figures

    return save_figures(fit, Path(out_dir), check_formats(formats), tasks, width)


def figure_tasks(spec: LadderSpec, tasks: Sequence[str] | None) -> list[str] | None:
    """The `tasks` to draw as `spec` names them (asked by name or display name, in any case;
    None: every task); LadderError for one it lacks (checked before a fit, not after)."""
    if tasks is None:
        return None
    labels = spec.task_labels()
    names = canonical_tasks(tasks, labels)
    unknown = [name for name in names if name not in labels]
    if unknown:
        raise LadderError(f"task {unknown[0]!r} is not in the fit (it has: {', '.join(labels)})")
    return names


def check_formats(formats: Sequence[str]) -> list[str]:
    """Figure formats (png, pdf, svg); LadderError for another."""
    bad = [f for f in formats if f not in ("png", "pdf", "svg")]
    if bad or not formats:
        raise LadderError(f"figure format {(bad or ['(none)'])[0]!r}: one of png, pdf, svg")
    return list(formats)


def noise(
    spec: LadderSpec,
    data: pd.DataFrame | None = None,
    runs: Sequence[str] | None = None,
    last_n: int = NOISE_LAST_N,
    detrend: bool = True,
) -> pd.DataFrame:
    """Per task and run, the checkpoint-to-checkpoint noise over the last `last_n`
    evaluations, detrended unless `detrend` is False (the paper's raw SD; ladder.fit.noise);
    default runs: the fit runs and the targets' runs."""
    from ladder.fit.noise import noise_floor

    if runs is None:
        runs = [*spec.fit_runs, *(t.run for t in spec.targets if t.run)]
    return noise_floor(observations_for(spec, data), spec.tasks, runs, last_n, detrend)


@dataclass
class Backtest:
    """Backtest splits, one row per (split, held-out run, task), and the noise floor used."""

    spec: LadderSpec
    splits: list[Split]
    results: pd.DataFrame
    noise: pd.DataFrame

    def table(self) -> pd.DataFrame:
        from ladder.fits.report import backtest_summary

        return backtest_summary(self.results)

    def to_document(self) -> dict[str, Any]:
        return {
            "spec": self.spec.name,
            "splits": [vars(s) for s in self.splits],
            "results": self.results.to_dict("records"),
        }


def backtest(
    spec: LadderSpec,
    data: pd.DataFrame | None = None,
    kinds: Sequence[str] = BACKTEST_KINDS,
    hold_out: Sequence[str] | None = None,
    runs: Sequence[str] | None = None,
    last_n: int = NOISE_LAST_N,
    progress: bool = False,
    detrend: bool = True,
) -> Backtest:
    """Hold rungs out (by size and/or by token multiplier, or the `hold_out` runs), fit on
    the rest, predict them; errors against the noise floor of `runs` (see `noise`)."""
    from ladder.analyses.backtest import backtest as run_backtests
    from ladder.analyses.backtest import held_out_split, multiplier_splits, size_splits
    from ladder.fit.noise import summarize

    data = observations_for(spec, data)
    kinds = list(BACKTEST_KINDS) if list(kinds) == ["both"] else list(kinds)
    if not kinds or any(k not in BACKTEST_KINDS for k in kinds):
        raise LadderError(f"backtest kind {kinds!r}: choose from size, multiplier, both")
    if hold_out:
        splits = [held_out_split(spec.fit_runs, hold_out)]
    else:
        all_rungs = ladder_rungs(spec, data)
        if not all_rungs:
            raise LadderError(
                "no rungs in the data (runs named <size>-<k>xC, or at a standard multiple of "
                "20 N tokens); hold runs out by name"
            )
        splits = [
            *(size_splits(all_rungs, spec.fit_runs) if "size" in kinds else []),
            *(multiplier_splits(all_rungs, spec.fit_runs) if "multiplier" in kinds else []),
        ]
    if not splits:
        raise LadderError("no backtest splits: the ladder needs at least 4 sizes or 2 multipliers")
    floor = summarize(noise(spec, data, runs, last_n, detrend))
    results = run_backtests(data, spec, splits, floor, progress=progress)
    return Backtest(spec, splits, results, floor)


def ladder_rungs(spec: LadderSpec, data: pd.DataFrame) -> list:
    """The table's rungs (ladder.runs.rungs), never a target's run nor a run at a target's scale."""
    from ladder.fit.rollouts import ladder_runs
    from ladder.runs.rungs import rungs

    allowed = set(ladder_runs(data, spec).index)
    return rungs(data, exclude=set(data["run"].unique()) - allowed)


def compute_vs_error(
    spec: LadderSpec,
    data: pd.DataFrame | None = None,
    progress: bool = False,
    tasks: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Refit on every cut-down ladder; per cut and target, compute fraction and mean error
    over `tasks` (default: the spec's)."""
    from ladder.analyses.backtest import compute_vs_error as run_cuts
    from ladder.analyses.backtest import ladder_cuts

    if tasks:
        spec = spec.with_tasks(tasks)
    data = observations_for(spec, data)
    if not any(t.run for t in spec.targets):
        raise LadderError("compute-vs-error needs targets with actual results (a run)")
    cuts = ladder_cuts(ladder_rungs(spec, data), spec.fit_runs)
    if not cuts:
        raise LadderError("no ladder cuts: the data needs rungs of at least 3 sizes")
    return run_cuts(data, spec, cuts, progress=progress)


def save_compute_vs_error(
    results: pd.DataFrame,
    out_dir: str | Path,
    formats: Sequence[str] = ("png", "pdf"),
    width: str = "page",
) -> list[Path]:
    """Write compute_vs_error's table (compute_vs_error.csv) and its figure to `out_dir`."""
    from ladder.figures.analyses import plot_compute_vs_error
    from ladder.figures.plots import save
    from ladder.files import write_text

    out = Path(out_dir)
    written = [write_text(out / "compute_vs_error.csv", results.to_csv(index=False))]
    figure = plot_compute_vs_error(results, width=width)
    return written + save(figure, out, "compute_vs_error", check_formats(formats))


def report(
    spec: LadderSpec,
    out_dir: str | Path,
    data: pd.DataFrame | None = None,
    saved: LadderFit | None = None,
    runs: Sequence[str] | None = None,
    last_n: int = NOISE_LAST_N,
    formats: Sequence[str] = ("png", "pdf"),
    width: str = "page",
    tasks: Sequence[str] | None = None,
    progress: bool = False,
    detrend: bool = True,
) -> list[Path]:
    """Fit (or take a `saved` fit, then its spec with `spec`'s table), noise floor, size
    backtests and figures (each in every format, `width` "page" or "column", panels of
    `tasks`, default all), with summary.md, in one folder."""
    from ladder.analyses.backtest import backtest as run_backtests
    from ladder.analyses.backtest import size_splits
    from ladder.figures.analyses import plot_noise
    from ladder.figures.plots import save, save_figures
    from ladder.figures.style import figure_width
    from ladder.files import write_json, write_text
    from ladder.fit.noise import summarize
    from ladder.fits.document import to_document
    from ladder.fits.report import format_text, markdown_summary

    formats = check_formats(formats)
    figure_width(width)  # a bad width fails before the fit
    out = Path(out_dir)
    if saved is not None:
        spec = fit_spec_with_data(saved, spec)
    tasks = figure_tasks(spec, tasks)
    data = observations_for(spec, data)
    result = saved if saved is not None else fit(spec, data, progress=progress)
    floor = summarize(noise(spec, data, runs, last_n, detrend))
    splits = size_splits(ladder_rungs(spec, data), spec.fit_runs)
    backtests = run_backtests(data, spec, splits, floor, progress=progress) if splits else None
    figures = save_figures(result, out, formats, tasks, width)
    figures += save(plot_noise(floor, result, width, tasks), out, "noise", formats)
    written = [write_json(out / "fit.json", to_document(result)), *figures]
    written.append(write_text(out / "fit.txt", format_text(result) + "\n"))
    written.append(write_text(out / "noise.csv", floor.to_csv(index=False)))
    if backtests is not None:
        written.append(write_text(out / "backtest.csv", backtests.to_csv(index=False)))
    pictures = [p.name for p in figures if p.suffix == ".png"]
    summary = markdown_summary(result, floor, backtests, pictures)
    written.append(write_text(out / "summary.md", summary))
    return written


CORPUS = (Path("configs/olmo-paper.yaml"), Path("configs/corpus"))


def corpus_paths(ladders: Sequence[str] = ()) -> list[Path]:
    """The ladder specs to benchmark: each of `ladders` a spec file, a folder of them, or the
    name of a ladder of the bundled corpus (configs/olmo-paper.yaml and configs/corpus/);
    default: the whole bundled corpus. LadderError for a name the corpus lacks."""
    bundled = []
    for entry in CORPUS:
        path = entry if entry.exists() else REPO / entry
        bundled += sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
    if not ladders:
        return bundled
    by_name = {spec_name(p): p for p in bundled}
    out = []
    for item in ladders:
        path = Path(item)
        if path.is_dir():
            found = sorted(path.rglob("*.yaml"))
            if not found:
                raise LadderError(f"{path}: a folder without ladder specs (*.yaml)")
            out += found
        elif path.is_file():
            out.append(path)
        elif item in by_name:
            out.append(by_name[item])
        else:
            raise LadderError(
                f"ladder {item!r}: not a spec file, a folder or a ladder of the bundled corpus "
                f"({', '.join(sorted(by_name))})"
            )
    return list(dict.fromkeys(out))


def spec_name(path: Path) -> str:
    """A spec file's ladder name (its `name`, else its file name)."""
    import yaml

    raw = yaml.safe_load(path.read_text())
    return str(raw.get("name", path.stem)) if isinstance(raw, dict) else path.stem


def _benchmark_one(path: Path, methods: Sequence[str]) -> Any:
    from ladder.analyses.benchmark import run_ladder

    ladder = spec(path)
    return run_ladder(ladder, observations_for(ladder), methods)


def benchmark(
    ladders: Sequence[str] = (),
    methods: Sequence[str] = (),
    progress: bool = False,
    workers: int | None = None,
) -> Any:
    """Score `methods` (default: auto and the baselines) on each ladder of `ladders` (see
    corpus_paths; default: the bundled corpus), ladders in parallel. Returns an
    analyses.benchmark.Benchmark."""
    from ladder.analyses.benchmark import DEFAULT_METHODS, Benchmark, method_names
    from ladder.parallel import map_processes

    names = method_names(list(methods) or list(DEFAULT_METHODS))
    paths = corpus_paths(ladders)
    for path in paths:  # every spec is checked before any ladder runs
        spec(path)
    jobs = [(path, names) for path in paths]
    with progress_bar(progress, total=len(jobs), desc="ladders", unit="ladder") as bar:
        results = map_processes(_benchmark_one, jobs, workers, bar.update)
    return Benchmark(results)


def save_benchmark(
    result: Any,
    output: str | Path | None = None,
    output_dir: str | Path | None = None,
    formats: Sequence[str] = ("png", "pdf"),
    width: str = "page",
) -> list[Path]:
    """Write a benchmark's predictions and tables as JSON to `output` and its figure to
    `output_dir` (each when given); the paths written."""
    from ladder.files import write_json

    written = []
    if output is not None:
        document = {
            "ladders": [
                {"name": r.name, "metric": r.metric, "failures": r.failures, "seconds": r.seconds}
                for r in result.ladders
            ],
            "overall": records(result.overall_table()),
            "summary": records(result.summary_table()),
            "predictions": records(result.rows),
        }
        written.append(write_json(output, document))
    if output_dir is not None:
        from ladder.figures.analyses import plot_benchmark
        from ladder.figures.plots import save

        figure = plot_benchmark(result.rows, width)
        written += save(figure, Path(output_dir), "benchmark", check_formats(formats))
    return written


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table's rows with NaN as None (standard JSON)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
