"""`ladder plot`, `noise`, `backtest`, `compute-vs-error`, `benchmark`, `report`: analyses."""

from __future__ import annotations

import argparse
from typing import Any

from ladder import api
from ladder.cli.common import (
    add_ladder_args,
    add_method,
    add_noise_args,
    add_output,
    add_output_dir,
    add_quiet,
    add_verb,
    ladder_spec,
    progress,
    split,
)

FORMATS_HELP = "comma-separated figure formats: png, pdf, svg"
WIDTH_HELP = "figure width: page (7 in, two-column paper) or column (3.3 in, one column)"
TASKS_HELP = (
    "comma-separated tasks to draw (names or display names, any case), one panel each "
    "(default: every task)"
)


def add_figure_args(parser: argparse.ArgumentParser, tasks: str | None = TASKS_HELP) -> None:
    """--tasks (unless None), --formats and --width of every verb that draws figures."""
    if tasks is not None:
        parser.add_argument("--tasks", help=tasks)
    parser.add_argument("--formats", default="png,pdf", help=FORMATS_HELP)
    parser.add_argument("--width", default="page", choices=("page", "column"), help=WIDTH_HELP)


def register(sub: Any) -> None:
    plot = add_verb(
        sub,
        "plot",
        "draw step 1, step 2 and the chained predictions",
        "Draw the paper-style figures with intervals (step1, step2, chained and residuals, one "
        "panel per task) of a saved fit (FIT, written by `ladder fit -o`; nothing is refitted) "
        "or of a fresh fit of the spec.",
        [
            "ladder plot",
            "ladder fit -o fit.json && ladder plot fit.json --output-dir plots",
            "ladder plot -c configs/tiny.yaml --output-dir tiny-plots --formats png",
            "ladder plot fit.json --tasks mmlu,hellaswag --width column --formats pdf",
        ],
    )
    add_ladder_args(plot, saved_fit=True)
    add_method(plot)
    add_output_dir(plot, "plots", "folder for the figures")
    add_figure_args(plot)
    add_quiet(plot)
    plot.set_defaults(func=run_plot)

    noise = add_verb(
        sub,
        "noise",
        "the noise floor: checkpoint-to-checkpoint noise per task",
        "Per task, the SD and coefficient of variation of task loss and accuracy over the last "
        "N evaluations of each run (default: the fit runs and the targets' runs), the scale a "
        "prediction error should be compared with. The SD is of the residuals from a line "
        "over the window, so that a run still learning does not count its trend as noise; "
        "--raw gives the paper's Table 4 (raw SD). `ladder variance` is the same verb.",
        [
            "ladder noise",
            "ladder noise --runs 1B-10xC --last-n 10 -o noise.json",
            "ladder variance --raw --runs 1B-10xC",
        ],
        aliases=["variance"],
    )
    add_ladder_args(noise)
    add_noise_args(noise)
    add_output(noise, "write the table as JSON here")
    add_quiet(noise)
    noise.set_defaults(func=run_noise)

    backtest = add_verb(
        sub,
        "backtest",
        "hold rungs out and predict them from the rest",
        "Fit on part of the ladder and predict the held-out rungs with the same pipeline as "
        "`ladder fit`: by size (fit on the smallest sizes, predict every rung of the next, "
        "including sizes the spec does not fit) and leave-one-multiplier-out. Reports errors, "
        "interval coverage and error in units of the noise floor. Rungs are the runs named "
        "<size>-<k>xC; any other runs can be held out by name with --hold-out.",
        ["ladder backtest", "ladder backtest --kind size", "ladder backtest --hold-out 1B-10xC"],
    )
    add_ladder_args(backtest)
    add_method(backtest)
    backtest.add_argument(
        "--kind", default="size,multiplier", help="size, multiplier, or both (comma-separated)"
    )
    backtest.add_argument(
        "--hold-out",
        metavar="RUNS",
        help="instead of --kind: hold these comma-separated runs out of the fit and predict them",
    )
    backtest.add_argument(
        "--bootstrap", type=int, default=api.BACKTEST_BOOTSTRAP, help="resamples per fit"
    )
    add_noise_args(backtest)
    add_output(backtest, "write every held-out prediction as JSON here")
    add_quiet(backtest)
    backtest.set_defaults(func=run_backtest)

    cve = add_verb(
        sub,
        "compute-vs-error",
        "how target error grows as the ladder is cut down",
        "Refit on every cut-down ladder (contiguous windows of at least 3 sizes x prefixes of "
        "the token multipliers) and report the targets' mean error against the ladder's compute "
        "as a fraction of the target's. Writes a CSV and a figure.",
        [
            "ladder compute-vs-error --output-dir cve",
            "ladder compute-vs-error --tasks mmlu,hellaswag --width column --output-dir cve",
        ],
    )
    add_ladder_args(cve)
    add_method(cve)
    add_output_dir(cve, "compute-vs-error", "folder for the CSV and the figure")
    add_figure_args(
        cve,
        "comma-separated tasks whose mean error is drawn (default: every task; fits only those)",
    )
    add_quiet(cve)
    cve.set_defaults(func=run_compute_vs_error)

    bench = add_verb(
        sub,
        "benchmark",
        "score methods on a corpus of public ladders, beside simple baselines",
        "Fit each ladder's fit runs and predict its targets with each method (default: auto, "
        "the default of `ladder fit`, and the baselines linear_n, linear_c, carry, chinchilla), "
        "then compare with the targets' actual scores: per ladder and method the mean and max "
        "relative error, the coverage of the 95% interval, its mean width (points, or bits per "
        "byte for loss) and the ratio to the best baseline; then over the corpus. The bundled "
        "corpus (configs/olmo-paper.yaml and configs/corpus/: the OLMo ladder, its validation "
        "losses, Pythia and its deduplicated suite, and the ObsScaling model families) runs "
        "with no arguments; add your own ladder as a spec YAML (data, fit.runs, targets with "
        "their runs, tasks with chance).",
        [
            "ladder benchmark",
            "ladder benchmark --ladders pythia,olmo-paper --methods auto,paper,linear_c",
            "ladder benchmark --ladders my-ladder.yaml -o bench.json --output-dir bench",
        ],
    )
    bench.add_argument(
        "--ladders",
        help="comma-separated ladder names of the corpus, spec files or folders of them "
        "(default: the bundled corpus)",
    )
    bench.add_argument(
        "--methods", help="comma-separated methods (default: auto and the baselines)"
    )
    add_output(bench, "write every prediction and the tables as JSON here")
    bench.add_argument("--output-dir", help="write the benchmark's figure here")
    add_figure_args(bench, None)
    add_quiet(bench)
    bench.set_defaults(func=run_benchmark)

    report = add_verb(
        sub,
        "report",
        "fit tables, figures and a Markdown summary in one folder",
        "Fit the spec (or take the saved FIT), compute the noise floor and the size backtests on "
        "the spec's table, and write fit.json, fit.txt, noise.csv, backtest.csv, the figures "
        "and summary.md to --output-dir.",
        [
            "ladder report --output-dir my-report",
            "ladder report fit.json --output-dir my-report",
            "ladder report --output-dir my-report --tasks mmlu --width column --formats pdf",
        ],
    )
    add_ladder_args(report, saved_fit=True)
    add_method(report)
    add_output_dir(report, None, "folder for the report")
    report.add_argument("--bootstrap", type=int, help="resamples (default: the spec's)")
    add_figure_args(report)
    add_noise_args(report)
    add_quiet(report)
    report.set_defaults(func=run_report)


def saved_fit(args: argparse.Namespace):
    """The fit saved at the positional FIT|TABLE when it is a .json file, else None (a table)."""
    if args.table is None or not args.table.endswith(".json"):
        return None
    saved, args.table = api.load_fit(args.table), None  # the spec's table, not the fit file
    return saved


def _spec(args: argparse.Namespace):
    """The spec and table of the ladder flags with the fit options given as flags (--method,
    --anchor, --bootstrap)."""
    return ladder_spec(
        args, **{key: getattr(args, key, None) for key in ("method", "anchor", "bootstrap")}
    )


def run_plot(args: argparse.Namespace) -> int:
    tasks = split(args.tasks, "--tasks") or None
    fit = saved_fit(args)
    if fit is None:
        spec, table = _spec(args)
        tasks = api.figure_tasks(spec, tasks)
        fit = api.fit(spec, table, progress=progress(args))
    paths = api.plot(
        fit, args.output_dir, split(args.formats, "--formats"), tasks=tasks, width=args.width
    )
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def run_noise(args: argparse.Namespace) -> int:
    from ladder.files import write_json
    from ladder.fit.noise import summarize
    from ladder.fits.report import NOISE_FORMATS, format_frame

    spec, table = _spec(args)
    runs = split(args.runs, "--runs") or None
    noise = api.noise(spec, table, runs=runs, last_n=args.last_n, detrend=args.detrend)
    summary = summarize(noise)
    kind = "SD around a line over the window" if args.detrend else "population SD (raw)"
    print(
        f"Noise over the last {args.last_n} evaluations (median over {noise['run'].nunique()} "
        f"runs; SD is the {kind}, CV = SD / mean):"
    )
    table = summary.drop(columns="task").rename(columns={"display": "task"})
    print(format_frame(table, NOISE_FORMATS))
    if args.output:
        document = {
            "spec": spec.name,
            "last_n": args.last_n,
            "detrended": args.detrend,
            "summary": summary.to_dict("records"),
            "runs": noise.to_dict("records"),
        }
        print(f"\nwrote {write_json(args.output, document)}")
    return 0


def run_backtest(args: argparse.Namespace) -> int:
    from ladder.files import write_json
    from ladder.fits.report import BACKTEST_FORMATS, format_frame

    spec, table = _spec(args)
    result = api.backtest(
        spec,
        table,
        kinds=split(args.kind, "--kind"),
        hold_out=split(args.hold_out, "--hold-out") or None,
        runs=split(args.runs, "--runs") or None,
        last_n=args.last_n,
        progress=progress(args),
        detrend=args.detrend,
    )
    table = result.table().replace({"task": spec.task_labels()})
    print(format_frame(table, BACKTEST_FORMATS))
    print(
        "\ncoverage: fraction of held-out actuals inside the "
        f"{spec.fit.level:.0%} interval; error_over_noise: mean abs error / accuracy SD"
    )
    if args.output:
        print(f"wrote {write_json(args.output, result.to_document())}")
    return 0


def run_compute_vs_error(args: argparse.Namespace) -> int:
    from ladder.fits.report import CVE_FORMATS, format_frame

    formats = api.check_formats(split(args.formats, "--formats"))
    spec, table = _spec(args)
    results = api.compute_vs_error(
        spec.with_fit(bootstrap=0), table, progress(args), split(args.tasks, "--tasks")
    )
    print(format_frame(results.dropna(subset=["target"]), CVE_FORMATS))
    written = api.save_compute_vs_error(results, args.output_dir, formats, args.width)
    print("\nwrote " + ", ".join(str(p) for p in written))
    return 0


def run_benchmark(args: argparse.Namespace) -> int:
    from ladder.analyses.benchmark import format_benchmark

    result = api.benchmark(
        split(args.ladders, "--ladders"), split(args.methods, "--methods"), progress=progress(args)
    )
    print(format_benchmark(result))
    written = api.save_benchmark(
        result, args.output, args.output_dir, split(args.formats, "--formats"), args.width
    )
    if written:
        print("\nwrote " + ", ".join(str(p) for p in written))
    return 0


def run_report(args: argparse.Namespace) -> int:
    saved = saved_fit(args)
    spec, table = _spec(args)
    paths = api.report(
        spec,
        args.output_dir,
        table,
        saved=saved,
        runs=split(args.runs, "--runs") or None,
        last_n=args.last_n,
        formats=split(args.formats, "--formats"),
        width=args.width,
        tasks=split(args.tasks, "--tasks") or None,
        progress=progress(args),
        detrend=args.detrend,
    )
    print(f"wrote {args.output_dir}/: " + ", ".join(p.name for p in paths))
    return 0
