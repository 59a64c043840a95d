"""The Python API: one function per `ladder` verb. The command line only parses arguments, calls
one of these and prints; notebooks call the same functions, so the two cannot drift apart.

Every function takes Python values (a LadderSpec, a DataFrame, paths), resolves the verb's
defaults in one place, and returns a result object; errors are LadderError (one line).
Units: N in parameters, D in tokens, task loss in bits per byte, accuracy as a fraction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ladder.errors import LadderError
from ladder.spec import LadderSpec, TargetSpec, TaskSpec, load_spec

if TYPE_CHECKING:
    import pandas as pd

    from ladder.backtest import Split
    from ladder.collect.shards import Plan
    from ladder.proxy.evaluate import Evaluation
    from ladder.proxy.regressor import ProxyRegressor
    from ladder.proxy.spec import ProxySpec
    from ladder.results import LadderFit
    from ladder.runfolder import RungPlan
    from ladder.train.launch import Job

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SPEC = Path("configs/olmo-paper.yaml")
NOISE_LAST_N = 10
BACKTEST_KINDS = ("size", "multiplier")
BACKTEST_BOOTSTRAP = 200


def default_spec_path() -> Path:
    """configs/olmo-paper.yaml here, else the one beside the package (a source checkout)."""
    return DEFAULT_SPEC if DEFAULT_SPEC.is_file() else REPO / DEFAULT_SPEC


def spec(config: str | Path | None = None) -> LadderSpec:
    """The spec of `config` (default: the bundled paper ladder)."""
    return load_spec(config or default_spec_path())


def table(spec: LadderSpec) -> pd.DataFrame:
    """The spec's observation table, validated."""
    from ladder import observations

    if spec.data is None:
        raise LadderError(f"spec {spec.name!r} names no data table")
    return observations.read(spec.data)


def observations_for(spec: LadderSpec, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """What the spec fits on: `data` (default: its table) and, when it trains WSD-S runs,
    their decay bottoms as the rungs "<size>-<k>xC" (see ladder.annealed)."""
    data = table(spec) if data is None else data
    if spec.train is None or spec.train.schedule != "wsds":
        return data
    from ladder.annealed import with_annealed_rungs
    from ladder.rungs import wsds_run_name

    runs = {wsds_run_name(size.name): size.name for size in spec.train.sizes}
    return with_annealed_rungs(data, runs, spec.train.multipliers)


def table_spec(
    path: str | Path,
    fit_runs: Sequence[str],
    targets: Sequence[TargetSpec] = (),
    tasks: Sequence[str] | None = None,
    chance: Mapping[str, float] | None = None,
    **fit: Any,
) -> tuple[LadderSpec, pd.DataFrame]:
    """A spec for a plain observation table (no YAML): the runs to fit, the targets, the
    tasks (default: every task of the table) with their chance accuracy (default: from the
    task's family, ladder.chance, else 0.25, flagged as assumed), and fit options; returns
    it with the table."""
    from ladder import observations

    frame = observations.read(path)
    names = list(tasks) if tasks else sorted(frame["task"].unique())
    present = set(frame["task"].unique())
    unknown = [name for name in names if name not in present]
    if unknown:
        raise LadderError(
            f"task {unknown[0]!r} is not in the table (it has: {', '.join(sorted(present))})"
        )
    chance = dict(chance or {})
    stray = sorted(set(chance) - set(names))
    if stray:
        raise LadderError(f"chance {stray[0]}: not one of the tasks fitted")
    task_specs = [
        TaskSpec.parse({"name": name, "chance": chance.get(name)}, f"task {name!r}")
        for name in names
    ]
    spec = LadderSpec.parse(
        {
            "name": table_name(path),
            "data": Path(path),
            "fit": {**fit, "runs": list(fit_runs)},
            "targets": list(targets),
            "tasks": task_specs,
        },
        str(path),
    )
    return spec, frame


def table_name(path: str | Path) -> str:
    """A table's name for its spec (and default fit file): the file name without its table
    suffixes (exp.v1.csv.gz -> exp.v1), so that exp.v1.csv and exp.v2.csv stay apart."""
    name = Path(path).name
    for suffix in (".gz", ".bz2", ".xz", ".zst", ".csv", ".parquet", ".pq"):
        name = name.removesuffix(suffix)
    return name


def fit(
    spec: LadderSpec,
    data: pd.DataFrame | None = None,
    progress: bool = False,
    workers: int | None = None,
) -> LadderFit:
    """Fit every task of the spec and predict its targets (see ladder.pipeline)."""
    from ladder.pipeline import fit_ladder

    return fit_ladder(observations_for(spec, data), spec, progress, workers)


def fits_home() -> Path:
    """Where `ladder fit` writes fits by default: $XDG_DATA_HOME/ladder/fits (usually
    ~/.local/share/ladder/fits), never the repository."""
    import os

    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "ladder" / "fits"


def save_fit(fit: LadderFit, output: str | Path | None = None) -> Path:
    """Write a fit as JSON to `output` (default: fits_home()/<spec name>.json)."""
    from ladder.files import write_json
    from ladder.fitfile import to_document

    return write_json(output or fits_home() / f"{fit.spec.name}.json", to_document(fit))


def load_fit(path: str | Path) -> LadderFit:
    """A fit written by `ladder fit` (its laws, draws, points and predictions; no refit)."""
    from ladder import fitfile

    return fitfile.load(path)


def grid(
    params: Sequence[float] = (),
    tokens: Sequence[float] = (),
    compute: Sequence[float] = (),
    tokens_per_param: float = 20.0,
) -> tuple[list[float], list[float]]:
    """The (N, D) points to predict at: every N with every D, or for each compute C (FLOPs)
    the model of `tokens_per_param` (20: Chinchilla's) with C = 6 N D."""
    import math

    if compute:
        if params or tokens:
            raise LadderError("give either N and D, or the compute (with tokens per parameter)")
        if tokens_per_param <= 0 or any(c <= 0 for c in compute):
            raise LadderError("compute and tokens per parameter must be positive")
        ns = [math.sqrt(c / (6 * tokens_per_param)) for c in compute]
        return ns, [tokens_per_param * n for n in ns]
    if not params or not tokens:
        raise LadderError("give N and D (each one or more values), or the compute")
    return [n for n in params for _ in tokens], [d for _ in params for d in tokens]


def predict(fit: LadderFit, params: Sequence[float], tokens: Sequence[float]) -> pd.DataFrame:
    """Every task's prediction and interval at each (N, D) (LadderFit.predict)."""
    return fit.predict(list(params), list(tokens))


def compare(first: LadderFit, second: LadderFit) -> pd.DataFrame:
    """Two fits side by side: for each task both have, at each of the first fit's targets (N,
    D), both predictions and intervals, the difference (second - first) and whether the
    intervals overlap. LadderError if they share no task or the first has no target."""
    import pandas as pd

    shared = [name for name in first.tasks if name in second.tasks]
    if not shared:
        raise LadderError(
            f"the fits share no task ({', '.join(first.tasks)} vs {', '.join(second.tasks)})"
        )
    if not first.spec.targets:
        raise LadderError("the first fit has no targets to compare at")
    rows = []
    for target in first.spec.targets:
        a = first.predict(target.params, target.tokens).set_index("task")
        b = second.predict(target.params, target.tokens).set_index("task")
        for task in shared:
            ra, rb = a.loc[task], b.loc[task]
            rows.append(
                {
                    "target": target.name,
                    "params": target.params,
                    "tokens": target.tokens,
                    "task": task,
                    "metric": ra["metric"],
                    "first": ra["predicted"],
                    "first_lower": ra["lower"],
                    "first_upper": ra["upper"],
                    "second": rb["predicted"],
                    "second_lower": rb["lower"],
                    "second_upper": rb["upper"],
                    "difference": rb["predicted"] - ra["predicted"],
                    "overlap": bool(ra["lower"] <= rb["upper"] and rb["lower"] <= ra["upper"]),
                }
            )
    return pd.DataFrame(rows)


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
    from ladder.plots import save_figures

    return save_figures(fit, Path(out_dir), check_formats(formats), tasks, width)


def check_figure_tasks(spec: LadderSpec, tasks: Sequence[str] | None) -> LadderSpec:
    """`spec`, after a LadderError if it lacks one of the `tasks` to draw (checked before a
    fit rather than after it)."""
    names = [task.name for task in spec.tasks]
    unknown = [name for name in tasks or () if name not in names]
    if unknown:
        raise LadderError(f"task {unknown[0]!r} is not in the fit (it has: {', '.join(names)})")
    return spec


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
) -> pd.DataFrame:
    """Per task and run, the checkpoint-to-checkpoint noise over the last `last_n`
    evaluations (ladder.variance); default runs: the fit runs and the targets' runs."""
    from ladder.variance import noise_floor

    if runs is None:
        runs = [*spec.fit_runs, *(t.run for t in spec.targets if t.run)]
    return noise_floor(observations_for(spec, data), spec.tasks, runs, last_n)


@dataclass
class Backtest:
    """Backtest splits, one row per (split, held-out run, task), and the noise floor used."""

    spec: LadderSpec
    splits: list[Split]
    results: pd.DataFrame
    noise: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        from ladder.report import backtest_summary

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
) -> Backtest:
    """Hold rungs out (by size and/or by token multiplier, or the `hold_out` runs), fit on
    the rest, predict them; errors against the noise floor of `runs` (see `noise`)."""
    from ladder.backtest import backtest as run_backtests
    from ladder.backtest import held_out_split, multiplier_splits, size_splits
    from ladder.variance import summarize

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
    floor = summarize(noise(spec, data, runs, last_n))
    results = run_backtests(data, spec, splits, floor, progress=progress)
    return Backtest(spec, splits, results, floor)


def ladder_rungs(spec: LadderSpec, data: pd.DataFrame) -> list:
    """The table's rungs (ladder.rungs), never a target's run nor a run at a target's scale."""
    from ladder.rungs import rungs
    from ladder.selection import ladder_runs

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
    from ladder.backtest import compute_vs_error as run_cuts
    from ladder.backtest import ladder_cuts

    if tasks:
        spec = spec.with_tasks(tasks)
    data = observations_for(spec, data)
    if not any(t.run for t in spec.targets):
        raise LadderError("compute-vs-error needs targets with actual results (a run)")
    cuts = ladder_cuts(ladder_rungs(spec, data), spec.fit_runs)
    if not cuts:
        raise LadderError("no ladder cuts: the data needs rungs of at least 3 sizes")
    return run_cuts(data, spec, cuts, progress=progress)


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
) -> list[Path]:
    """Fit (or take a `saved` fit, then its spec with `spec`'s table), noise floor, size
    backtests and figures (each in every format, `width` "page" or "column", panels of
    `tasks`, default all), with summary.md, in one folder."""
    from ladder.backtest import backtest as run_backtests
    from ladder.backtest import size_splits
    from ladder.files import write_json, write_text
    from ladder.fitfile import to_document
    from ladder.plots import plot_noise, save, save_figures
    from ladder.plotstyle import figure_width
    from ladder.report import format_text, markdown_summary
    from ladder.variance import summarize

    formats = check_formats(formats)
    figure_width(width)  # a bad width fails before the fit
    out = Path(out_dir)
    if saved is not None:
        spec = fit_spec_with_data(saved, spec)
    check_figure_tasks(spec, tasks)
    data = observations_for(spec, data)
    result = saved if saved is not None else fit(spec, data, progress=progress)
    floor = summarize(noise(spec, data, runs, last_n))
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


def import_observations(
    kind: str,
    paths: Sequence[str | Path],
    output: str | Path,
    params: Mapping[str, int] | None = None,
    checkpoints: str | Path | None = None,
    run: str | None = None,
    tokens: int | None = None,
    step: int = 0,
    tasks: Sequence[str] | None = None,
    replace: bool = False,
) -> tuple[pd.DataFrame, int]:
    """Convert files of `kind` (olmo-logs, lm-eval, csv) into observation rows and add them to
    the table at `output`: rows whose (run, step, task) the table has are kept as they are
    (`replace`: the table is replaced instead). Returns the imported rows and how many were
    added."""
    from ladder import lm_eval_results, observations, olmo_logs

    params = dict(params or {})
    if kind == "csv":
        rows = observations.concat([observations.read(path) for path in paths])
    elif kind == "olmo-logs":
        rows = olmo_logs.import_logs(paths, params)
    elif kind == "lm-eval":
        if checkpoints:
            if run:
                raise LadderError("give either a checkpoints side table or run/params/tokens")
            where: Any = lm_eval_results.read_checkpoints(checkpoints)
        elif run and tokens is not None:
            where = lm_eval_results.Checkpoint(
                run, olmo_logs.params_for_run(run, params), tokens, step
            )
        else:
            raise LadderError(
                "lm-eval results do not say N and D: pass a checkpoints side table (columns "
                "model, revision, run, params, tokens, step) or, for one model, its run name, "
                "params and tokens"
            )
        rows = lm_eval_results.import_results(paths, where, tasks or None)
    else:
        raise LadderError(f"unknown import kind {kind!r}: olmo-logs, lm-eval or csv")
    if replace:
        return rows, observations.replace(rows, output)
    return rows, observations.append(rows, output)


@dataclass
class TrainResult:
    """The rungs planned and what each launcher did with them (empty for a dry run)."""

    plan: list[RungPlan]
    jobs: list[Job]
    corpus_tokens: int | None = None
    problems: list[str] = field(default_factory=list)


def train(
    spec: LadderSpec,
    config: str | Path,
    rungs: Sequence[str] = (),
    dry_run: bool = False,
    progress: bool = False,
) -> TrainResult:
    """Plan the spec's rungs (those named in `rungs`, default all) and train the unfinished
    ones with the spec's launcher; a dry run only plans (and writes Slurm scripts)."""
    from ladder.train import data, launch

    plan = launch.ladder_plan(spec, rungs)
    config = Path(config)
    if dry_run:
        problems = launch.readiness(spec)
        slurm = spec.train.launcher == "slurm"
        jobs = launch.run_slurm(spec, config, plan, dry_run=True) if slurm else []
        return TrainResult(plan, jobs, None, problems)
    tokens = None
    if data.builtin_corpus_missing(spec.train):
        with _bar(progress, desc=f"tokenizing {spec.train.builtin_corpus}", unit="doc") as bar:
            tokens = data.build_builtin_corpus(spec.train, progress=bar.update)
    with _bar(progress, total=sum(r.steps for r in plan), desc="ladder", unit="step") as total:

        def on_rung(rung: RungPlan) -> Callable[[int, int], None]:
            bar = _bar(progress, nested=True, total=rung.steps, desc=rung.name, unit="step")

            def on_step(step: int, steps: int) -> None:
                total.update(step - bar.n)
                bar.update(step - bar.n)
                if step >= steps:
                    bar.close()

            return on_step

        jobs = launch.launch(spec, config, plan, on_rung)
    return TrainResult(plan, jobs, tokens)


def prepare_data(
    output: str | Path,
    inputs: Sequence[str | Path] = (),
    builtin: str | None = None,
    field: str = "text",
    tokenizer: str = "gpt_neox_olmo_dolma_v1_5",
    tokenizer_file: str | Path | None = None,
    progress: bool = False,
) -> int:
    """Tokenize text files / JSON Lines (or a built-in corpus) into an OLMo-core token file;
    returns the number of tokens."""
    from ladder.train import data
    from ladder.train_spec import TokenizerSpec

    if bool(inputs) == bool(builtin):
        raise LadderError("give input files or a built-in corpus (one of the two)")
    documents = (
        data.builtin_documents(builtin)
        if builtin
        else data.read_documents([Path(p) for p in inputs], field=field)
    )
    spec = TokenizerSpec.parse(
        {"name": tokenizer, "file": str(tokenizer_file) if tokenizer_file else None}, "tokenizer"
    )
    with _bar(progress, desc="tokenizing", unit="doc") as bar:
        return data.tokenize(documents, spec, Path(output), progress=bar.update)


@dataclass
class CollectResult:
    """The table written, the checkpoints scored (or handed to shards) and the rows added; for
    a sharded collect the number of shards and, with Slurm, the array job's id (its rows are
    merged into the table as its tasks end)."""

    table: Path
    checkpoints: int
    added: int
    shards: int = 1
    job: str | None = None


COLLECT_LAUNCHERS = ("local", "torchrun", "slurm")
SLURM_SHARDS = 32


def _eval_tasks(
    spec: LadderSpec | None, tasks: Sequence[str], limit: int | None
) -> tuple[list[str], int | None]:
    """The olmo_eval tasks to score and their document limit: the ones named, else the spec's
    in-loop evaluation's (and its limit when none is given); LadderError if none or unknown."""
    from ladder.collect.evaluate import check_tasks

    evaluation = spec.train.eval if spec is not None and spec.train is not None else None
    tasks = list(tasks) or (list(evaluation.tasks) if evaluation else [])
    if not tasks:
        raise LadderError("no tasks: name them, or give the spec a train.eval.tasks list")
    check_tasks(tasks)
    if limit is None and evaluation is not None:
        limit = evaluation.limit
    return tasks, limit


def collect(
    spec: LadderSpec | None,
    tasks: Sequence[str] = (),
    output: str | Path | None = None,
    hf: str | Path | None = None,
    run: str | None = None,
    params: int | None = None,
    tokens: int = 0,
    step: int = 0,
    limit: int | None = None,
    batch_size: int = 32,
    context_length: int | None = None,
    device: str = "cpu",
    tokenizer: str | None = None,
    tokenizer_file: str | Path | None = None,
    progress: bool = False,
    launcher: str = "local",
    shards: int | None = None,
    config: str | Path | None = None,
) -> CollectResult:
    """Score every checkpoint of the spec's rungs that lacks rows in the table (default: the
    spec's data), or one Hugging Face folder `hf`, on olmo_eval tasks (default: the spec's
    train.eval tasks and limit), and append the rows.

    `launcher` local scores in this process; torchrun and slurm split the checkpoints into
    `shards` (default: train.gpus_per_node ranks under torchrun, one Slurm array task per
    checkpoint up to SLURM_SHARDS), whose workers read the spec file `config` (see
    ladder.collect.shards). Running it again merges what killed shards left and scores the
    rest."""
    from ladder import observations
    from ladder.collect import collector
    from ladder.collect.evaluate import Evaluator
    from ladder.tokenizer import load_tokenizer, token_config

    if launcher not in COLLECT_LAUNCHERS:
        raise LadderError(f"launcher {launcher!r}: one of {', '.join(COLLECT_LAUNCHERS)}")
    tasks, limit = _eval_tasks(spec, tasks, limit)
    tokenizer_spec = collector.tokenizer_for(spec, tokenizer, tokenizer_file)
    loaded_tokenizer = load_tokenizer(tokenizer_spec)
    if hf:
        if not output or not run:
            raise LadderError("a Hugging Face folder needs a run name and an output table")
        if launcher != "local":
            raise LadderError("a Hugging Face folder is one checkpoint: use the local launcher")
        out = Path(output)
        vocab = token_config(tokenizer_spec).vocab_size
        pending = [collector.hf_pending(Path(hf), run, params, tokens, step, vocab, device)]
    else:
        if spec is None or spec.train is None:
            raise LadderError("the spec has no `train` section: which checkpoints to score?")
        out = Path(output) if output else spec.data
        if out is None:
            raise LadderError(f"spec {spec.name!r} names no data table; give an output table")
        context_length = context_length or spec.train.sequence_length
        if launcher != "local":
            from ladder.collect.shards import Plan

            if config is None:
                raise LadderError("a sharded collect needs the spec file its workers read")
            settings = Plan(
                config=str(Path(config).resolve()),
                table=str(out.resolve()),
                tasks=tasks,
                limit=limit,
                batch_size=batch_size,
                context_length=context_length,
                device=device,
                tokenizer=(tokenizer_spec.name, tokenizer_spec.file and str(tokenizer_spec.file)),
                shards=[],
            )
            return _collect_sharded(spec, settings, launcher, shards)
        pending = collector.pending_checkpoints(spec, tasks, observations.keys_in(out), device)
    if not pending:
        return CollectResult(out, 0, 0)
    evaluator = Evaluator(tasks, loaded_tokenizer, context_length or 2048, limit, batch_size)
    total = evaluator.request_count * len(pending)
    with _bar(progress, total=total, unit="req", desc=f"{len(pending)} checkpoint(s)") as bar:
        added = collector.score_and_append(pending, evaluator, out, device, bar.update)
    return CollectResult(out, len(pending), added)


def _collect_sharded(
    spec: LadderSpec, settings: Plan, launcher: str, shards: int | None
) -> CollectResult:
    """Merge what earlier shards left, split the checkpoints still lacking rows into shards
    (`settings`: a shards.Plan without them) and run them with torchrun, or submit them as a
    Slurm array job."""
    from dataclasses import replace

    from ladder import observations
    from ladder.collect import collector
    from ladder.collect import shards as sharding

    table = Path(settings.table)
    before = len(observations.keys_in(table))
    sharding.merge_all(table)
    have = observations.keys_in(table)
    pending = collector.pending_checkpoints(spec, settings.tasks, have, settings.device)
    if not pending:
        return CollectResult(table, 0, len(have) - before)
    default = spec.train.gpus_per_node if launcher == "torchrun" else SLURM_SHARDS
    plan = replace(settings, shards=sharding.split(pending, shards or default))
    path = sharding.write_plan(plan)
    if launcher == "slurm":
        job = sharding.launch_slurm(path, len(plan.shards), spec.train.slurm)
        return CollectResult(table, len(pending), len(have) - before, len(plan.shards), job)
    sharding.launch_torchrun(path, len(plan.shards))
    sharding.merge_all(table)
    added = len(observations.keys_in(table)) - before
    return CollectResult(table, len(pending), added, len(plan.shards))


def _bar(progress: bool, nested: bool = False, **kwargs: Any):
    """A tqdm progress bar (disabled unless `progress`); a nested one sits below the first
    and disappears when done."""
    from tqdm.auto import tqdm

    return tqdm(disable=not progress, position=int(nested), leave=not nested, **kwargs)


def tune(
    spec: LadderSpec,
    model: str | Path,
    files: Sequence[str | Path] = (),
    builtin: str | None = None,
    name: str | None = None,
    output: str | Path | None = None,
    epochs: int = 1,
    batch_size: int = 4,
    learning_rate: float | None = None,
    lr_fraction: float = 0.1,
    progress: bool = False,
):
    """Fine-tune `model` (a rung name, rung or checkpoint folder, or Hugging Face folder) on
    text files or a built-in tuning set; the tuned model is written as a rung folder
    train.output/<name> (default "<model>-<set or first file's stem>"). Returns a
    proxy_tuning.tune.TuneResult."""
    from ladder.proxy_tuning import data
    from ladder.proxy_tuning import tune as tuning

    if spec.train is None:
        raise LadderError(f"spec {spec.name!r} has no `train` section: which tokenizer?")
    paths = [Path(p) for p in files]
    texts = data.documents(builtin, paths)
    settings = tuning.TuneSettings(epochs, batch_size, learning_rate, lr_fraction)
    label = builtin or paths[0].stem
    with _bar(progress, desc=f"tuning on {label}", unit="step") as bar:

        def on_step(step: int, steps: int, loss: float) -> None:
            bar.total = steps
            bar.update(step - bar.n)
            bar.set_postfix(loss=f"{loss:.3f}")

        return tuning.tune(
            model, spec.train, texts, label, name, output and Path(output), settings, on_step
        )


def _steered(spec: LadderSpec | None, base, expert, anti_expert, alpha: float, device: str):
    from ladder.proxy_tuning.steer import load_steered

    train = spec.train if spec is not None else None
    return load_steered(base, expert, anti_expert, alpha, train, device)


def proxy_score(
    spec: LadderSpec | None,
    base: str | Path,
    expert: str | Path,
    anti_expert: str | Path,
    alpha: float = 1.0,
    tasks: Sequence[str] = (),
    output: str | Path | None = None,
    limit: int | None = None,
    batch_size: int = 32,
    context_length: int | None = None,
    device: str = "cpu",
    progress: bool = False,
) -> tuple[pd.DataFrame, Path | None]:
    """Score the base steered by (expert - anti-expert) x alpha on olmo_eval tasks (default:
    the spec's train.eval tasks and limit), as `ladder collect` scores one model; the rows
    (run "<base>+<alpha>x(<expert> - <anti-expert>)", with columns base, expert, anti_expert,
    alpha) are appended to `output` when given. Returns the rows and the table written."""
    from ladder import observations
    from ladder.collect.collector import tokenizer_for
    from ladder.collect.evaluate import Evaluator
    from ladder.proxy_tuning.steer import steered_rows
    from ladder.tokenizer import load_tokenizer

    tasks, limit = _eval_tasks(spec, tasks, limit)
    steered = _steered(spec, base, expert, anti_expert, alpha, device)
    if context_length is None:
        rung = steered.base.source.rung
        context_length = rung.sequence_length if rung is not None else 2048
    tokenizer = load_tokenizer(tokenizer_for(spec, None, None))
    evaluator = Evaluator(tasks, tokenizer, context_length, limit, batch_size)
    with _bar(progress, total=evaluator.request_count, unit="req", desc=steered.name) as bar:
        rows = steered_rows(steered, evaluator, device, bar.update)
    if output is None:
        return rows, None
    observations.append(rows, Path(output))
    return rows, Path(output)


def proxy_generate(
    spec: LadderSpec | None,
    base: str | Path,
    expert: str | Path,
    anti_expert: str | Path,
    prompts: Sequence[str],
    alpha: float = 1.0,
    max_new_tokens: int = 32,
    sample: bool = False,
    temperature: float = 1.0,
    top_p: float = 1.0,
    seed: int = 0,
    device: str = "cpu",
) -> list[str]:
    """Each prompt's continuation from the base steered by (expert - anti-expert) x alpha
    (greedy, or sampled with temperature and top-p after the combination)."""
    from ladder.collect.collector import tokenizer_for
    from ladder.proxy_tuning.steer import generate
    from ladder.tokenizer import load_tokenizer

    if not prompts:
        raise LadderError("no prompt to continue")
    if not temperature > 0 or not 0 < top_p <= 1:
        raise LadderError("temperature must be > 0 and top-p in (0, 1]")
    steered = _steered(spec, base, expert, anti_expert, alpha, device)
    tokenizer = load_tokenizer(tokenizer_for(spec, None, None))
    return generate(
        steered,
        prompts,
        tokenizer,
        max_new_tokens,
        sample,
        temperature,
        top_p,
        seed,
        device=device,
    )


@dataclass
class ProxyStudyResult:
    """The study's summary (per base size), its observation rows, what tuning did per rung,
    the files written and the wall seconds of each phase (train, tune, score)."""

    summary: pd.DataFrame
    rows: pd.DataFrame
    tuned: dict[str, Any]
    files: list[Path]
    seconds: dict[str, float]


def proxy_study(
    spec: LadderSpec,
    config: str | Path,
    multiplier: float | None = None,
    tuning_set: str = "arc_easy-test",
    task: str = "arc_easy_rc_0shot",
    alpha: float = 1.0,
    epochs: int = 2,
    lr_fraction: float = 0.1,
    output_dir: str | Path | None = None,
    progress: bool = False,
) -> ProxyStudyResult:
    """The tiny-ladder question end to end: train one rung per size at `multiplier` (default:
    the largest; finished rungs are reused), tune each on `tuning_set`, steer each with the
    smallest's pair, score all on `task` (all its documents) and write the summary, the
    observation rows and the figure to `output_dir` (default train.output/proxy-study)."""
    import time

    from ladder.collect.evaluate import Evaluator, check_tasks
    from ladder.proxy_tuning import study
    from ladder.proxy_tuning import tune as tuning
    from ladder.proxy_tuning.combine import check_alpha
    from ladder.tokenizer import load_tokenizer
    from ladder.train import launch

    if spec.train is None or spec.train.schedule != "cosine":
        raise LadderError("the study needs a spec that trains cosine rungs (configs/tiny.yaml)")
    check_tasks([task])
    check_alpha(alpha)
    rungs = study.study_rungs(launch.ladder_plan(spec), multiplier)
    seconds, start = {}, time.perf_counter()
    train(spec, config, [r.name for r in rungs], progress=progress)
    seconds["train"] = time.perf_counter() - start
    settings = tuning.TuneSettings(epochs=epochs, lr_fraction=lr_fraction)
    with _bar(progress, desc="tuning", unit="step") as bar:

        def on_step(name: str):
            def update(step: int, steps: int, loss: float) -> None:
                bar.set_description(f"tuning {name}")
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.3f}")

            return update

        tuned = study.tune_rungs(spec.train, rungs, tuning_set, settings, on_step)
    seconds["tune"] = time.perf_counter() - start - seconds["train"]
    tokenizer = load_tokenizer(spec.train.tokenizer)
    evaluator = Evaluator([task], tokenizer, spec.train.sequence_length)
    total = evaluator.request_count * 3 * len(rungs)  # untuned, tuned, proxy-tuned
    with _bar(progress, total=total, unit="req", desc="scoring") as bar:
        rows = study.score(spec.train, rungs, tuning_set, evaluator, alpha, bar.update)
    seconds["score"] = time.perf_counter() - start - seconds["train"] - seconds["tune"]
    result = study.StudyResult(study.summarize(rows), rows, tuned)
    folder = Path(output_dir) if output_dir else spec.train.output / "proxy-study"
    files = study.write(result, folder, tuning_set)
    return ProxyStudyResult(result.summary, rows, tuned, files, seconds)


DEFAULT_PROXY_SPEC = Path("configs/proxy-mt560.yaml")


def proxy_spec(
    config: str | Path | None = None, records: str | Path | None = None, **overrides: Any
) -> ProxySpec:
    """The proxy spec: the YAML `config` (default, without `records`: the bundled ProxyLM
    MT560 records, configs/proxy-mt560.yaml), `records` and the other keys given replacing
    its own (a spec from flags alone when there is no config)."""
    from ladder.config import load_yaml
    from ladder.proxy.spec import ProxySpec

    changes = {key: value for key, value in overrides.items() if value is not None}
    if records is not None:
        changes["records"] = Path(records)
    if config is None and records is None:
        config = DEFAULT_PROXY_SPEC if DEFAULT_PROXY_SPEC.is_file() else REPO / DEFAULT_PROXY_SPEC
    if config is None:
        return ProxySpec.parse(changes, "proxy spec")
    raw = load_yaml(config)
    if not isinstance(raw, dict):
        raise LadderError(f"{config}: expected a mapping of proxy spec keys")
    return ProxySpec.parse({**raw, **changes}, str(config), base=Path(config).parent)


def proxy_records(spec: ProxySpec) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The spec's records and test records (cross data set), with the columns checked."""
    from ladder.records import read_records

    if spec.records is None:
        raise LadderError("no records: give a records table (CSV or Parquet)")
    features = spec.feature_set()
    records = features.check(read_records(spec.records), str(spec.records))
    test = None
    if spec.test_records is not None:
        test = features.check(read_records(spec.test_records), str(spec.test_records))
    return records, test


def proxy_evaluate(
    spec: ProxySpec, setting: str = "random", n_jobs: int = 1, progress: bool = False
) -> list[Evaluation]:
    """Evaluate each of the spec's regressors, with proxies and without (the baseline), in
    one setting: random, lolo (leave one group out), unseen, cross (train on the records,
    test on the test records)."""
    from ladder.proxy import splits
    from ladder.proxy.evaluate import evaluate

    records, test = proxy_records(spec)
    seeds = spec.seed_list()
    if setting == "random":
        folds = splits.random_folds(records, seeds, spec.test_fraction, spec.stratify)
    elif setting == "lolo":
        folds = splits.lolo_folds(records, spec.groups, seeds)
    elif setting == "unseen":
        folds = splits.unseen_folds(records, spec.groups, spec.unseen, seeds)
    elif setting == "cross":
        if test is None:
            raise LadderError("the cross setting needs test records (another data set)")
        folds = splits.cross_folds(records, test, seeds)
    else:
        raise LadderError(f"unknown setting {setting!r}: one of {', '.join(splits.SETTINGS)}")
    return [
        evaluate(folds, spec.feature_set(), setting, name, spec.grid, spec.folds, n_jobs, progress)
        for name in spec.regressors
    ]


def proxy_fit(spec: ProxySpec, n_jobs: int = 1) -> ProxyRegressor:
    """The spec's first regressor with proxies, searched and fitted on all its records."""
    from ladder.proxy.regressor import ProxyRegressor

    records, _ = proxy_records(spec)
    columns = spec.feature_set().columns
    model = ProxyRegressor(spec.regressors[0], spec.grid, spec.folds, spec.seed, n_jobs)
    return model.fit(records[columns], records[spec.target])


def save_proxy_model(model: ProxyRegressor, output: str | Path) -> Path:
    """Write a fitted proxy model as JSON (the library's own model format inside; no pickle)."""
    from ladder.files import write_json

    return write_json(output, model.to_document())


def load_proxy_model(path: str | Path) -> ProxyRegressor:
    """A proxy model written by `save_proxy_model` (validated)."""
    from ladder.files import read_json
    from ladder.proxy.regressor import ProxyRegressor

    return ProxyRegressor.from_document(read_json(path, "proxy model"), str(path))


def proxy_predict(model: ProxyRegressor, records: str | Path) -> pd.DataFrame:
    """The records with a `predicted` column (the model's target, in its units)."""
    from ladder.proxy.features import check_records
    from ladder.records import read_records

    table = read_records(records)
    features = list(model.feature_names_in_)
    checked = check_records(table, features, None, str(records))
    return table.assign(predicted=model.predict(checked))


@dataclass
class ProxyLadder:
    """Leave-one-task-out proxy predictions beside the two-step law's, per task and target:
    columns task, target, actual, two_step, <regressor> (predicted accuracies) and
    <method>_error (absolute errors); the records and mean importances per regressor."""

    table: pd.DataFrame
    records: pd.DataFrame
    importances: dict[str, pd.Series]

    def summary(self) -> pd.DataFrame:
        """Mean absolute error per target and method."""
        errors = [c for c in self.table.columns if c.endswith("_error")]
        return self.table.groupby("target", sort=False)[errors].mean()


def proxy_ladder(
    spec: LadderSpec,
    data: pd.DataFrame | None = None,
    regressors: Sequence[str] = ("xgb",),
    with_targets: bool = True,
    grid: str | dict[str, list[Any]] = "default",
    n_jobs: int = 1,
    progress: bool = False,
) -> ProxyLadder:
    """The ladder's fit runs as proxy models (ladder.proxy.task_records): predict every
    target on every task from the other tasks' records, beside the two-step law."""
    import pandas as pd

    from ladder.proxy.task_records import leave_one_task_out

    data = table(spec) if data is None else data
    two_step = fit(spec.with_fit(bootstrap=0), data, workers=1)  # points need no bootstrap
    rows = [
        {
            "task": name,
            "target": target,
            "actual": p.headline.actual,
            "two_step": p.headline.predicted,
        }
        for name, task_fit in two_step.tasks.items()
        for target, p in task_fit.predictions.items()
        if p.headline.actual is not None
    ]
    out = pd.DataFrame(rows)
    importances, records = {}, None
    for name in regressors:
        loto = leave_one_task_out(
            data, spec, name, grid, with_targets=with_targets, n_jobs=n_jobs, progress=progress
        )
        predicted = loto.predictions.set_index(["task", "target"])["predicted"]
        out[name] = [predicted[(t, g)] for t, g in zip(out["task"], out["target"], strict=True)]
        importances[name], records = loto.importances, loto.records
    for method in ("two_step", *regressors):
        out[f"{method}_error"] = (out[method] - out["actual"]).abs()
    return ProxyLadder(out, records, importances)
