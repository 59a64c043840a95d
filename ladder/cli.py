"""The `ladder` command: parses arguments, calls the Python API, prints. No fitting logic here.

Every error in the input (missing file, wrong columns, NaNs, too few runs, unknown run or task)
is one line on stderr and exit code 2, with nothing written.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ladder import __version__, lm_eval_results, observations, olmo_logs, report
from ladder.errors import LadderError
from ladder.spec import (
    LadderSpec,
    TargetSpec,
    TaskSpec,
    load_spec,
    parse_options,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SPEC = Path("configs/olmo-paper.yaml")
DEFAULT_FITS = Path("fits")


def default_spec_path() -> Path:
    """configs/olmo-paper.yaml here, else the one beside the package (a source checkout)."""
    return DEFAULT_SPEC if DEFAULT_SPEC.is_file() else REPO / DEFAULT_SPEC


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_target_arg(text: str) -> TargetSpec:
    """NAME=N,D[,RUN]: N parameters, D tokens, RUN the run holding the actual results."""
    name, sep, rest = text.partition("=")
    parts = _split(rest)
    if not sep or not name or len(parts) not in (2, 3):
        raise LadderError(f"--target {text!r}: expected NAME=N,D or NAME=N,D,RUN")
    try:
        params, tokens = (int(float(v)) for v in parts[:2])
    except ValueError:
        raise LadderError(f"--target {text!r}: N and D must be numbers") from None
    if params <= 0 or tokens <= 0:
        raise LadderError(f"--target {text!r}: N and D must be positive")
    return TargetSpec(name, params, tokens, parts[2] if len(parts) == 3 else None)


def _weights(pairs: Sequence[str], flag: str) -> dict[str, float]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        try:
            out[key] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key:
            raise LadderError(f"{flag} {pair!r}: expected NAME=NUMBER")
    return out


def _overrides(args: argparse.Namespace) -> dict:
    """The fit options given as flags (--bootstrap, --seed, --level)."""
    values = {key: getattr(args, key, None) for key in ("bootstrap", "seed", "level")}
    return {key: value for key, value in values.items() if value is not None}


def spec_from_args(args: argparse.Namespace) -> LadderSpec:
    """The spec for `ladder fit`: a config file, or a table with runs/targets from flags."""
    if args.table is None:
        if args.chance:
            raise LadderError("--chance is for a plain table; a spec sets each task's chance")
        spec = config_spec(args)
        tasks = spec.tasks
        if args.tasks:
            known = {task.name: task for task in spec.tasks}
            unknown = [name for name in _split(args.tasks) if name not in known]
            if unknown:
                raise LadderError(
                    f"--tasks: unknown task {unknown[0]!r} (spec tasks: {', '.join(known)})"
                )
            tasks = tuple(known[name] for name in _split(args.tasks))
        return dataclasses.replace(
            spec,
            fit_runs=tuple(_split(args.fit_runs)) if args.fit_runs else spec.fit_runs,
            targets=tuple(parse_target_arg(t) for t in args.target) or spec.targets,
            tasks=tasks,
        )
    if args.config:
        raise LadderError("give either a table or --config, not both")
    if not args.fit_runs:
        raise LadderError("--fit-runs is required with a table (the runs to fit the laws on)")
    return LadderSpec(  # tasks: chosen once the table is read (see cmd_fit)
        name=Path(args.table).name.split(".")[0],
        fit_runs=tuple(_split(args.fit_runs)),
        targets=tuple(parse_target_arg(t) for t in args.target),
        data=Path(args.table),
        options=parse_options(_overrides(args)),
    )


def table_tasks(names: Sequence[str], chance: dict[str, float]) -> tuple[TaskSpec, ...]:
    """Plain table tasks, chance accuracy 0.25 unless given; a --chance for a task that is not
    fitted is a mistake, not something to ignore."""
    unknown = sorted(set(chance) - set(names))
    if unknown:
        raise LadderError(f"--chance {unknown[0]}: not one of the tasks fitted")
    return tuple(TaskSpec(name, {name: 1.0}, chance=chance.get(name, 0.25)) for name in names)


def cmd_fit(args: argparse.Namespace) -> int:
    from ladder.pipeline import fit_ladder
    from ladder.report import format_text, to_dict, write_json

    spec = spec_from_args(args)
    table = observations.read(spec.data)
    if args.table is not None:  # a plain table: the --tasks given, or every task it has
        names = _split(args.tasks) if args.tasks else sorted(table["task"].unique())
        spec = dataclasses.replace(
            spec, tasks=table_tasks(names, _weights(args.chance, "--chance"))
        )
    fit = fit_ladder(table, spec, progress=_progress(args))
    document = to_dict(fit, data=str(spec.data))
    print(format_text(fit))
    fits_path = Path(args.fits_dir) / f"{spec.name}.json"
    written = [write_json(document, fits_path)]
    if args.output:
        written.append(write_json(document, args.output))
    print("\nwrote " + ", ".join(str(p) for p in written))
    return 0


def config_spec(args: argparse.Namespace, bootstrap: int | None = None) -> LadderSpec:
    """The spec of --config (default: the bundled one), its fit options overridden by the flags
    given (`bootstrap`: this command's default number of resamples, unless --bootstrap)."""
    path = args.config or default_spec_path()
    spec = load_spec(path)
    if spec.data is None:
        raise LadderError(f"{path}: the spec names no data table")
    overrides = _overrides(args)
    if bootstrap is not None:
        overrides.setdefault("bootstrap", bootstrap)
    if overrides:
        spec = dataclasses.replace(spec, options=parse_options({**vars(spec.options), **overrides}))
    return spec


def _spec_and_table(args: argparse.Namespace, bootstrap: int | None = None):
    """config_spec and its validated observation table."""
    spec = config_spec(args, bootstrap)
    return spec, observations.read(spec.data)


def _formats(text: str) -> list[str]:
    formats = _split(text)
    bad = [f for f in formats if f not in ("png", "pdf", "svg")]
    if bad or not formats:
        raise LadderError(f"--formats: unknown format {(bad or [text])[0]!r} (png, pdf, svg)")
    return formats


def _progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


def cmd_plot(args: argparse.Namespace) -> int:
    from ladder.pipeline import fit_ladder
    from ladder.plots import save_figures

    formats = _formats(args.formats)
    spec, table = _spec_and_table(args)
    fit = fit_ladder(table, spec, progress=_progress(args))
    paths = save_figures(fit, Path(args.out), formats)
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def _noise(args: argparse.Namespace, spec: LadderSpec, table):
    from ladder.variance import noise_floor

    runs = (
        _split(args.runs)
        if getattr(args, "runs", None)
        else [*spec.fit_runs, *(t.run for t in spec.targets if t.run)]
    )
    return noise_floor(table, spec.tasks, runs, args.last_n)


def cmd_variance(args: argparse.Namespace) -> int:
    from ladder.report import NOISE_FORMATS, format_frame, write_json
    from ladder.variance import summarize

    spec, table = _spec_and_table(args)
    noise = _noise(args, spec, table)
    summary = summarize(noise)
    print(
        f"Noise over the last {args.last_n} evaluations (median over {noise['run'].nunique()} "
        "runs; SD is population SD, CV = SD / mean):"
    )
    print(
        format_frame(
            summary.drop(columns="task").rename(columns={"display": "task"}), NOISE_FORMATS
        )
    )
    if args.output:
        document = {
            "spec": spec.name,
            "last_n": args.last_n,
            "summary": summary.to_dict("records"),
            "runs": noise.to_dict("records"),
        }
        print(f"\nwrote {write_json(document, args.output)}")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from ladder.backtest import backtest, held_out_split, multiplier_splits, size_splits
    from ladder.report import BACKTEST_FORMATS, backtest_summary, format_frame, write_json
    from ladder.rungs import rungs
    from ladder.variance import summarize

    kinds = _split(args.kind)
    if not kinds or any(k not in ("size", "multiplier") for k in kinds):
        raise LadderError(f"--kind {args.kind!r}: choose from size, multiplier")
    spec, table = _spec_and_table(args, bootstrap=200)
    if args.hold_out:
        splits = [held_out_split(spec.fit_runs, _split(args.hold_out))]
    else:
        all_rungs = rungs(table)
        if not all_rungs:
            raise LadderError(
                "no runs named like rungs (<size>-<k>xC) in the data; use --hold-out RUNS"
            )
        splits = [
            *(size_splits(all_rungs, spec.fit_runs) if "size" in kinds else []),
            *(multiplier_splits(all_rungs, spec.fit_runs) if "multiplier" in kinds else []),
        ]
    if not splits:
        raise LadderError("no backtest splits: the ladder needs at least 4 sizes or 2 multipliers")
    noise = summarize(_noise(args, spec, table))
    results = backtest(table, spec, splits, noise, progress=_progress(args))
    print(format_frame(backtest_summary(results), BACKTEST_FORMATS))
    print(
        "\ncoverage: fraction of held-out actuals inside the "
        f"{spec.options.level:.0%} interval; error_over_noise: mean abs error / accuracy SD"
    )
    if args.output:
        document = {
            "spec": spec.name,
            "splits": [vars(s) for s in splits],
            "results": results.to_dict("records"),
        }
        print(f"wrote {write_json(document, args.output)}")
    return 0


def cmd_compute_vs_error(args: argparse.Namespace) -> int:
    from ladder.backtest import compute_vs_error, ladder_cuts
    from ladder.plots import plot_compute_vs_error, save
    from ladder.report import CVE_FORMATS, format_frame
    from ladder.rungs import rungs

    formats = _formats(args.formats)
    spec, table = _spec_and_table(args, bootstrap=0)
    if not any(t.run for t in spec.targets):
        raise LadderError("compute-vs-error needs targets with actual results (a run)")
    cuts = ladder_cuts(rungs(table), spec.fit_runs)
    if not cuts:
        raise LadderError("no ladder cuts: the data needs rungs of at least 3 sizes")
    results = compute_vs_error(table, spec, cuts, progress=_progress(args))
    print(format_frame(results.dropna(subset=["target"]), CVE_FORMATS))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results.to_csv(out / "compute_vs_error.csv", index=False)
    paths = save(plot_compute_vs_error(results), out, "compute_vs_error", formats)
    print("\nwrote " + ", ".join(str(p) for p in [out / "compute_vs_error.csv", *paths]))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ladder.backtest import backtest, size_splits
    from ladder.pipeline import fit_ladder
    from ladder.plots import plot_noise, save, save_figures
    from ladder.report import format_text, markdown_summary, to_dict, write_json
    from ladder.rungs import rungs
    from ladder.variance import summarize

    spec, table = _spec_and_table(args)
    out = Path(args.out)
    fit = fit_ladder(table, spec, progress=_progress(args))
    noise = summarize(_noise(args, spec, table))
    splits = size_splits(rungs(table), spec.fit_runs)
    backtests = backtest(table, spec, splits, noise, progress=_progress(args)) if splits else None
    figures = save_figures(fit, out, ["png"]) + save(plot_noise(noise, fit), out, "noise", ["png"])
    write_json(to_dict(fit, data=str(spec.data)), out / "fit.json")
    (out / "fit.txt").write_text(format_text(fit) + "\n")
    noise.to_csv(out / "noise.csv", index=False)
    if backtests is not None:
        backtests.to_csv(out / "backtest.csv", index=False)
    names = [p.name for p in figures]
    (out / "summary.md").write_text(markdown_summary(fit, noise, backtests, names))
    print(
        f"wrote {out}/: summary.md, fit.json, fit.txt, noise.csv"
        f"{', backtest.csv' if backtests is not None else ''}, {', '.join(names)}"
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    params = {key: int(value) for key, value in _weights(args.params, "--params").items()}
    if args.kind == "csv":
        table = observations.concat([observations.read(path) for path in args.paths])
    elif args.kind == "olmo-logs":
        table = olmo_logs.import_logs(args.paths, params)
    else:
        table = lm_eval_results.import_results(
            args.paths, _lm_eval_checkpoints(args, params), _split(args.tasks or "") or None
        )
    observations.write(table, args.out)
    print(
        f"wrote {args.out}: {len(table)} rows, {table['run'].nunique()} runs, "
        f"{table['task'].nunique()} tasks"
    )
    return 0


def _lm_eval_checkpoints(
    args: argparse.Namespace, params: dict[str, int]
) -> lm_eval_results.Checkpoint | dict:
    """The side table (--checkpoints), or the one checkpoint given by --run/--params/..."""
    if args.checkpoints:
        if args.run:
            raise LadderError("give either --checkpoints TABLE or --run/--params/--tokens")
        return lm_eval_results.read_checkpoints(args.checkpoints)
    if not args.run or args.tokens is None:
        raise LadderError(
            "lm-eval results do not say N and D: pass --checkpoints TABLE (columns model, "
            "revision, run, params, tokens, step) or, for one model, --run NAME "
            "--params NAME=N --tokens D [--step S]"
        )
    return lm_eval_results.Checkpoint(
        args.run, olmo_logs.params_for_run(args.run, params), args.tokens, args.step
    )


def cmd_train(args: argparse.Namespace) -> int:
    from ladder.train import launch
    from ladder.train.plan import plan_frame

    config = Path(args.config) if args.config else Path("configs/tiny.yaml")
    spec = load_spec(config)
    if args.output:
        spec = dataclasses.replace(
            spec, train=dataclasses.replace(spec.train, output=Path(args.output))
        )
    if args.launcher:
        spec = dataclasses.replace(
            spec, train=dataclasses.replace(spec.train, launcher=args.launcher)
        )
    rungs = launch.ladder_plan(spec, _split(args.rungs or ""))
    launcher = spec.train.launcher
    if args.dry_run:
        print(report.format_plan(plan_frame(rungs), spec.train))
        if launcher == "slurm":
            for job in launch.run_slurm(spec, config, rungs, dry_run=True):
                print(f"{job.rung}: {job.status} {job.detail}")
        return 0
    _build_missing_corpus(spec.train, args.quiet)
    if launcher == "slurm":
        jobs = launch.run_slurm(spec, config, rungs)
    elif launcher == "torchrun":
        jobs = launch.run_torchrun(spec, config, rungs)
    else:
        jobs = _train_local(spec, rungs, quiet=args.quiet)
    for job in jobs:
        print(f"{job.rung}: {job.status} {job.detail}".rstrip())
    return 0


def _build_missing_corpus(train, quiet: bool) -> None:
    from tqdm import tqdm

    from ladder.train import data

    if not data.builtin_corpus_missing(train):
        return
    with tqdm(desc=f"tokenizing {train.builtin_corpus}", unit="doc", disable=quiet) as bar:
        count = data.build_builtin_corpus(train, progress=bar.update)
    print(f"{train.corpus[0]}: {count:,} tokens of the built-in {train.builtin_corpus}")


def _train_local(spec: LadderSpec, rungs, quiet: bool):
    """The local launcher with a bar for the ladder (in steps) and one per rung."""
    from tqdm import tqdm

    from ladder.train import launch

    total = tqdm(
        total=sum(r.steps for r in rungs), desc="ladder", unit="step", disable=quiet, position=0
    )

    def on_rung(rung):
        bar = tqdm(
            total=rung.steps, desc=rung.name, unit="step", disable=quiet, position=1, leave=False
        )

        def on_step(step: int, steps: int) -> None:
            total.update(step - bar.n)
            bar.update(step - bar.n)
            if step >= steps:
                bar.close()

        return on_step

    try:
        return launch.run_local(spec, rungs, on_rung)
    finally:
        total.close()


def cmd_prepare_data(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ladder.train import data
    from ladder.train.config import TokenizerSpec

    if bool(args.inputs) == bool(args.builtin):
        raise LadderError("give input files or --builtin NAME (one of the two)")
    documents = (
        data.builtin_documents(args.builtin)
        if args.builtin
        else data.read_documents([Path(p) for p in args.inputs], field=args.field)
    )
    tokenizer = TokenizerSpec(
        args.tokenizer, Path(args.tokenizer_file) if args.tokenizer_file else None
    )
    with tqdm(desc="tokenizing", unit="doc", disable=args.quiet) as bar:
        count = data.tokenize(documents, tokenizer, Path(args.out), progress=bar.update)
    print(f"{args.out}: {count:,} tokens ({tokenizer.name})")
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ladder.collect import collector
    from ladder.collect.evaluate import Evaluator, check_tasks, task_names
    from ladder.tokenizer import load_tokenizer, token_config

    if args.list_tasks:
        print("\n".join(task_names()))
        return 0
    spec = None if args.hf and not args.config else load_spec(args.config or "configs/tiny.yaml")
    tasks = _split(args.tasks or "")
    if not tasks and spec is not None and spec.train is not None and spec.train.eval:
        tasks = list(spec.train.eval.tasks)
    if not tasks:
        raise LadderError("no tasks: pass --tasks or give the spec a train.eval.tasks list")
    check_tasks(tasks)
    tokenizer_spec = collector.tokenizer_for(spec, args.tokenizer, args.tokenizer_file)
    tokenizer = load_tokenizer(tokenizer_spec)
    device = args.device
    if args.hf:
        if not args.out or not args.run:
            raise LadderError("--hf needs --run NAME and --out TABLE")
        table = Path(args.out)
        pending = [
            collector.hf_pending(
                Path(args.hf),
                args.run,
                args.params,
                args.tokens,
                args.step,
                token_config(tokenizer_spec).vocab_size,
                device,
            )
        ]
        context = args.context_length
    else:
        if spec.train is None:
            raise LadderError(f"{args.config}: no `train` section: which checkpoints to score?")
        table = Path(args.out) if args.out else spec.data
        pending = collector.pending_checkpoints(spec, tasks, table, device)
        context = args.context_length or spec.train.sequence_length
    if not pending:
        print(f"{table}: nothing to collect (every checkpoint has its rows)")
        return 0
    limit = args.limit
    if limit is None and spec is not None and spec.train is not None and spec.train.eval:
        limit = spec.train.eval.limit
    evaluator = Evaluator(tasks, tokenizer, context or 2048, limit, args.batch_size)
    with tqdm(
        total=evaluator.request_count * len(pending),
        unit="req",
        disable=args.quiet,
        desc=f"{len(pending)} checkpoint(s)",
    ) as bar:
        added = collector.score_and_append(pending, evaluator, table, device, bar.update)
    print(f"{table}: {added} rows added from {len(pending)} checkpoint(s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ladder",
        description="Predict a large model's task accuracy from a ladder of small models: "
        "(N, D) -> task loss (power law) -> accuracy (sigmoid), with bootstrap intervals.",
    )
    parser.add_argument("--version", action="version", version=f"ladder {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fit = sub.add_parser(
        "fit",
        help="fit the two-step law and predict the targets",
        description="Fit step 1 (task loss from N and D, on each fit run's final checkpoints) "
        "and step 2 (accuracy from task loss, on their intermediate checkpoints), chain them, "
        "and print per target and task: predicted accuracy, interval, actual, errors. With no "
        "arguments: the bundled ladder of arXiv 2412.04403 (configs/olmo-paper.yaml). "
        "Writes the fitted laws and predictions to FITS_DIR/<spec name>.json.",
        epilog="example: ladder fit runs.csv --fit-runs 150M-1xC,150M-2xC,300M-1xC,300M-2xC,"
        "600M-1xC,600M-2xC --target 7B=6.9e9,2e12",
    )
    fit.add_argument(
        "table",
        nargs="?",
        help="an observation table (.parquet or .csv) instead of --config",
    )
    fit.add_argument("--config", "-c", help="ladder spec (YAML); default: configs/olmo-paper.yaml")
    fit.add_argument("--fit-runs", help="comma-separated runs to fit on (overrides the spec)")
    fit.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NAME=N,D[,RUN]",
        help="a model to predict: N parameters, D tokens, RUN holding its actual results "
        "(repeatable; overrides the spec's targets)",
    )
    fit.add_argument("--tasks", help="comma-separated tasks (default: all)")
    fit.add_argument(
        "--chance",
        action="append",
        default=[],
        metavar="TASK=P",
        help="chance accuracy of a table task (default 0.25; repeatable)",
    )
    fit.add_argument("--bootstrap", type=int, help="bootstrap resamples (default 1000; 0: none)")
    fit.add_argument("--level", type=float, help="interval coverage (default 0.95)")
    fit.add_argument("--seed", type=int, help="bootstrap seed (default 0)")
    fit.add_argument("--output", "-o", help="also write the JSON report here")
    fit.add_argument("--fits-dir", default=str(DEFAULT_FITS), help="where fitted laws go")
    fit.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    fit.set_defaults(func=cmd_fit)

    def spec_parser(name: str, help_: str, description: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=description)
        p.add_argument("--config", "-c", help="ladder spec (default: configs/olmo-paper.yaml)")
        p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
        return p

    def noise_args(p: argparse.ArgumentParser) -> None:
        """The flags of the noise floor (see _noise)."""
        p.add_argument("--runs", help="runs for the noise floor (default: fit and target runs)")
        p.add_argument("--last-n", type=int, default=10, help="evaluations per run (default 10)")

    plot = spec_parser(
        "plot",
        "draw step 1, step 2 and the chained predictions",
        "Fit a spec and draw the paper-style figures with intervals: step1, step2, chained "
        "and residuals, one panel per task.",
    )
    plot.add_argument("--out", default="fits/plots", help="output directory (default fits/plots)")
    plot.add_argument("--formats", default="png,pdf", help="comma-separated: png, pdf, svg")
    plot.set_defaults(func=cmd_plot)

    var = spec_parser(
        "variance",
        "the noise floor: checkpoint-to-checkpoint noise per task",
        "Per task, the SD and coefficient of variation of task loss and accuracy over the last "
        "N evaluations of each run (default: the fit runs and the targets' runs), the scale a "
        "prediction error should be compared with.",
    )
    noise_args(var)
    var.add_argument("--output", "-o", help="write the table as JSON here")
    var.set_defaults(func=cmd_variance)

    back = spec_parser(
        "backtest",
        "hold rungs out and predict them from the rest",
        "Fit on part of the ladder and predict the held-out rungs with the same pipeline as "
        "`ladder fit`: by size (fit on the smallest sizes, predict every rung of the next, "
        "including sizes the spec does not fit) and leave-one-multiplier-out. Reports errors, "
        "interval coverage and error in units of the noise floor.",
    )
    back.add_argument("--kind", default="size,multiplier", help="size, multiplier, or both")
    back.add_argument(
        "--hold-out",
        metavar="RUNS",
        help="instead of --kind: hold these comma-separated runs out of the fit and predict them "
        "(any run names)",
    )
    back.add_argument("--bootstrap", type=int, help="resamples per fit (default 200)")
    noise_args(back)
    back.add_argument("--output", "-o", help="write every held-out prediction as JSON here")
    back.set_defaults(func=cmd_backtest)

    cve = spec_parser(
        "compute-vs-error",
        "how target error grows as the ladder is cut down",
        "Refit on every cut-down ladder (contiguous windows of at least 3 sizes x prefixes of "
        "the token multipliers) and report the targets' mean error against the ladder's compute "
        "as a fraction of the target's. Writes a CSV and a figure.",
    )
    cve.add_argument("--out", default="fits/compute-vs-error", help="output directory")
    cve.add_argument("--formats", default="png,pdf", help="comma-separated: png, pdf, svg")
    cve.set_defaults(func=cmd_compute_vs_error)

    rep = spec_parser(
        "report",
        "fit tables, figures and a Markdown summary in one directory",
        "Fit the spec, compute the noise floor and the size backtests, and write fit.json, "
        "fit.txt, noise.csv, backtest.csv, the figures and summary.md to --out.",
    )
    rep.add_argument("--out", required=True, help="output directory")
    rep.add_argument("--bootstrap", type=int, help="resamples (default: the spec's)")
    noise_args(rep)
    rep.set_defaults(func=cmd_report)

    train = sub.add_parser(
        "train",
        help="train the ladder's rungs with OLMo-core",
        description="Plan every rung of the spec's `train` section (N, D = k x 20 N, batch and "
        "LR by the paper's rules, steps, FLOPs, GPU-hours) and train the unfinished ones: in "
        "this process (local: CPU or one GPU), with torchrun on this node's GPUs, or as one "
        "Slurm job per rung. Checkpoints go to train.output/<rung>; re-running resumes each "
        "unfinished rung from its latest checkpoint and skips finished ones. With train.eval, "
        "the in-loop evaluator appends task loss and accuracy to the spec's `data` table.",
        epilog="examples: ladder train --dry-run -c configs/olmo-paper.yaml; "
        "ladder prepare-data --builtin python-docs --out data/corpora/python-docs.npy && "
        "ladder train -c configs/tiny.yaml && ladder fit -c configs/tiny.yaml",
    )
    train.add_argument("--config", "-c", help="ladder spec (default: configs/tiny.yaml)")
    train.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (and write Slurm scripts) without training",
    )
    train.add_argument(
        "--launcher",
        choices=["local", "torchrun", "slurm"],
        help="override the spec's train.launcher",
    )
    train.add_argument("--rungs", help="comma-separated rungs to train (default: all)")
    train.add_argument("--output", help="override the spec's train.output folder")
    train.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    train.set_defaults(func=cmd_train)

    prep = sub.add_parser(
        "prepare-data",
        help="tokenize text into an OLMo-core numpy token file",
        description="Tokenize text files (one document each) or JSON Lines (one document per "
        "line, in --field) with an offline tokenizer into a flat token-id array, each document "
        "followed by EOS: the format of OLMo-core's numpy datasets (train.corpus).",
        epilog="example: ladder prepare-data --builtin python-docs "
        "--out data/corpora/python-docs.npy",
    )
    prep.add_argument("inputs", nargs="*", help=".txt / .jsonl files")
    prep.add_argument("--builtin", help="a built-in corpus instead: python-docs (PSF licence)")
    prep.add_argument("--out", required=True, help="output token file (.npy)")
    prep.add_argument("--field", default="text", help="JSON Lines field (default text)")
    prep.add_argument(
        "--tokenizer",
        default="gpt_neox_olmo_dolma_v1_5",
        help="OLMo-core tokenizer name (default gpt_neox_olmo_dolma_v1_5, bundled)",
    )
    prep.add_argument("--tokenizer-file", help="its tokenizer.json, if not bundled")
    prep.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    prep.set_defaults(func=cmd_prepare_data)

    col = sub.add_parser(
        "collect",
        help="score checkpoints on olmo_eval tasks and append observations",
        description="Score every OLMo-core checkpoint of the spec's rungs that has no rows yet "
        "(or one Hugging Face model folder with --hf) on ai2-olmo-eval's task suites, with the "
        "library's own requests and metrics: task_loss (bits per byte of the correct answer), "
        "ce_loss, acc, len_norm, and accuracy (len_norm for rc tasks but BoolQ). Rows are "
        "appended atomically; running it twice adds nothing.",
        epilog="examples: ladder collect -c configs/tiny.yaml; ladder collect --hf ~/models/x "
        "--run x --tokens 2e12 --tasks arc_easy_rc_5shot --out data/public.parquet",
    )
    col.add_argument("--config", "-c", help="ladder spec (default: configs/tiny.yaml)")
    col.add_argument("--tasks", help="comma-separated olmo_eval tasks (default: train.eval's)")
    col.add_argument("--list-tasks", action="store_true", help="list the valid task names")
    col.add_argument("--limit", type=int, help="documents per task (default: train.eval's; all)")
    col.add_argument("--batch-size", type=int, default=32, help="requests per forward pass")
    col.add_argument(
        "--context-length",
        type=int,
        help="left-truncate requests to this many tokens (default: the rungs')",
    )
    col.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    col.add_argument("--hf", help="a local Hugging Face model folder to score instead")
    col.add_argument("--run", help="with --hf: its run name in the table")
    col.add_argument("--params", type=int, help="with --hf: N (default: non-embedding count)")
    col.add_argument(
        "--tokens",
        type=lambda v: int(float(v)),
        default=0,
        help="with --hf: D, tokens it was trained on",
    )
    col.add_argument("--step", type=int, default=0, help="with --hf: its step (default 0)")
    col.add_argument("--tokenizer", help="OLMo-core tokenizer name (default: the spec's)")
    col.add_argument("--tokenizer-file", help="its tokenizer.json, if not bundled")
    col.add_argument("--out", help="the table to append to (default: the spec's data)")
    col.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    col.set_defaults(func=cmd_collect)

    imp = sub.add_parser(
        "import",
        help="convert evaluation logs into an observation table",
        description="Convert into one observation table: olmo-logs, OLMo / OLMo-core in-loop "
        "evaluation logs exported from W&B as CSV (one file per run; the file name is the run "
        "name); lm-eval, lm-evaluation-harness results_<date>.json files written with "
        "--log_samples (the task loss, bits per byte of the correct answer, is computed from "
        "the samples_<task>_<date>.jsonl beside each; accuracy is acc_norm, else acc); csv, "
        "tables (CSV or Parquet) already in the design.md columns (run, params, tokens, step, "
        "task, task_loss, accuracy), validated and concatenated.",
        epilog="examples: ladder import olmo-logs runs/*.csv --params 190M=190354176 "
        "--params 370M=371262464 --out data/mine.parquet; ladder import lm-eval "
        "out/*/results_*.json --checkpoints pythia.csv --out data/pythia.parquet",
    )
    imp.add_argument("kind", choices=["olmo-logs", "lm-eval", "csv"], help="the files' format")
    imp.add_argument("paths", nargs="+", help="log or results files")
    imp.add_argument(
        "--params",
        action="append",
        default=[],
        metavar="PREFIX=N",
        help="N (parameters) of the runs whose name starts with PREFIX (repeatable)",
    )
    imp.add_argument(
        "--checkpoints",
        metavar="CSV",
        help="lm-eval: side table with columns model, revision, run, params, tokens, step; "
        "model and revision as in lm-eval's model_args pretrained=...,revision=...",
    )
    imp.add_argument("--run", help="lm-eval, one model: its run name")
    imp.add_argument(
        "--tokens", type=lambda v: int(float(v)), help="lm-eval, one model: D, tokens seen"
    )
    imp.add_argument("--step", type=int, default=0, help="lm-eval, one model: step (default 0)")
    imp.add_argument("--tasks", help="lm-eval: comma-separated tasks (default: all scored)")
    imp.add_argument("--out", required=True, help="output table (.parquet or .csv)")
    imp.set_defaults(func=cmd_import)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LadderError as exc:
        print(f"ladder {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader (e.g. `| head`) went away: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"ladder {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback for the user; LADDER_DEBUG=1 shows it
        if os.environ.get("LADDER_DEBUG"):
            raise
        print(
            f"ladder {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(rerun with LADDER_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
