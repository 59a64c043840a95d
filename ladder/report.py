"""Reports of a LadderFit: the printed tables and the Markdown summary (the JSON document is
ladder.fitfile's)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ladder import __version__
from ladder.laws.bootstrap import Estimate
from ladder.pipeline import LadderFit

CONVERGED_NOTE = 0.95  # below this fraction of converged refits, the printed report says so


def _fmt(value: Any, spec: str) -> str:
    try:
        return "-" if value is None or not math.isfinite(float(value)) else format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def _pct(value: float | None) -> str:
    """An accuracy in points, one decimal ('-' when missing)."""
    return _fmt(None if value is None else 100 * value, ".1f")


def _num(value: float | None) -> str:
    """A task loss, three decimals ('-' when missing)."""
    return _fmt(value, ".3f")


def _row(label: str, width: int, e: Estimate, unit: Any, extra: str = "") -> str:
    rel = "-" if e.rel_error is None else f"{100 * e.rel_error:.1f}%"
    interval = f"[{unit(e.lower)}, {unit(e.upper)}]"
    return (
        f"  {label:<{width}}{unit(e.predicted):>9}  {interval:<16}{unit(e.actual):>9}"
        f"{unit(e.abs_error):>9}{rel:>9}{extra}"
    )


def format_text(fit: LadderFit) -> str:
    """Per target, one row per task: prediction, interval, actual, errors, and the step-1
    (task loss) and step-2 relative errors; with no targets, each task's fitted laws."""
    level = f"{100 * fit.spec.fit.level:g}%"
    width = max(16, *(len(t.task.label) + 2 for t in fit.tasks.values()))
    blocks = []
    for target in fit.spec.targets:
        actual = f"; actual from run {target.run}" if target.run else ""
        lines = [f"{target.name}  (N = {target.params:.4g}, D = {target.tokens:.4g}{actual})"]
        first = next(iter(fit.tasks.values())).predictions[target.name]
        if first.chained is not None:
            lines.append(
                f"  {'task':<{width}}{'pred':>9}  {level + ' interval':<16}{'actual':>9}"
                f"{'abs err':>9}{'rel err':>9}{'step1 rel':>11}{'step2 rel':>11}"
            )
        else:
            lines.append(
                f"  {'task':<{width}}{'pred loss':>9}  {level + ' interval':<16}{'actual':>9}"
                f"{'abs err':>9}{'rel err':>9}"
            )
        for task_fit in fit.tasks.values():
            p = task_fit.predictions[target.name]
            if p.chained is None:
                lines.append(_row(task_fit.task.label, width, p.step1, _num))
                continue
            step1 = "-" if p.step1.rel_error is None else f"{100 * p.step1.rel_error:.1f}%"
            step2 = "-" if p.step2 is None else f"{100 * p.step2.rel_error:.1f}%"
            extra = f"{step1:>11}{step2:>11}"
            lines.append(_row(task_fit.task.label, width, p.chained, _pct, extra))
        blocks.append("\n".join(lines))
    if not fit.spec.targets:  # nothing to predict: the fitted laws are the result
        for task_fit in fit.tasks.values():
            laws = [("step 1", task_fit.step1), ("step 2", task_fit.step2)]
            blocks.append(
                "\n".join(
                    [f"{task_fit.task.label}: no targets in the spec; the fitted laws"]
                    + [f"  {name}, {law.summary()}" for name, law in laws if law is not None]
                )
            )
    shaky = [
        f"{task_fit.task.label} {law} {fraction:.0%}"
        for task_fit in fit.tasks.values()
        for law, fraction in task_fit.converged.items()
        if fraction < CONVERGED_NOTE
    ]
    if shaky:
        blocks.append(
            f"Note: bootstrap refits converged for fewer than {CONVERGED_NOTE:.0%} of resamples "
            f"({'; '.join(shaky)}); those intervals rest on the resamples that converged."
        )
    blocks.append(
        "Accuracy in points (task loss in bits per byte); rel err = |pred - actual| / actual.\n"
        "step1 rel: step 1's task-loss error; step2 rel: step 2's accuracy error given the "
        "actual task loss."
    )
    return "\n\n".join(blocks)


def format_frame(frame: Any, formats: dict[str, str]) -> str:
    """A DataFrame as an aligned text table; `formats` maps columns to format specs (e.g.
    ".2%"); missing values print as '-'."""
    columns = list(formats)
    cells = [
        [_fmt(row[c], formats[c]) if formats[c] else str(row[c]) for c in columns]
        for _, row in frame.iterrows()
    ]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


NOISE_FORMATS = {
    "task": "",
    "loss_sd": ".4f",
    "loss_cv": ".2%",
    "accuracy_sd": ".4f",
    "accuracy_cv": ".2%",
}
BACKTEST_FORMATS = {
    "split": "",
    "task": "",
    "abs_error": ".4f",
    "rel_error": ".2%",
    "coverage": ".0%",
    "error_over_noise": ".1f",
}
CVE_FORMATS = {
    "ladder": "",
    "target": "",
    "n_runs": "d",
    "compute_fraction": ".2%",
    "mean_abs_error": ".4f",
    "mean_rel_error": ".2%",
}


def backtest_summary(results: Any) -> Any:
    """Per split and task: mean errors over the held-out runs, the fraction of actuals inside
    the interval (coverage), and the mean error in units of the task's accuracy noise."""
    columns = {"abs_error": "mean", "rel_error": "mean", "covered": "mean"}
    if "error_over_noise" in results:
        columns["error_over_noise"] = "mean"
    summary = results.groupby(["split", "task"], sort=False).agg(columns).reset_index()
    return summary.rename(columns={"covered": "coverage"})


def markdown_summary(fit: LadderFit, noise: Any, backtests: Any, figures: list[str]) -> str:
    """A short Markdown report to paste into a design doc."""
    spec, level = fit.spec, f"{100 * fit.spec.fit.level:g}%"
    lines = [
        f"# Task-accuracy predictions: {spec.name}",
        "",
        f"Two-step law (arXiv 2412.04403) fitted on {len(spec.fit_runs)} runs "
        f"({', '.join(spec.fit_runs)}); {spec.fit.bootstrap} bootstrap resamples, "
        f"{level} prediction intervals; `ladder` {__version__}.",
    ]
    for target in spec.targets:
        lines += ["", f"## {target.name} (N = {target.params:.3g}, D = {target.tokens:.3g})", ""]
        lines += [
            "| task | predicted | interval | actual | abs. error | rel. error |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for task_fit in fit.tasks.values():
            e = task_fit.predictions[target.name].headline
            lines.append(
                f"| {task_fit.task.label} | {_fmt(e.predicted, '.3f')} | "
                f"{_fmt(e.lower, '.3f')}-{_fmt(e.upper, '.3f')} | {_fmt(e.actual, '.3f')} | "
                f"{_fmt(e.abs_error, '.3f')} | {_fmt(e.rel_error, '.1%')} |"
            )
    if noise is not None:
        lines += ["", "## Noise floor (last checkpoints of each run, median over runs)", ""]
        lines += ["| task | loss SD | accuracy SD | accuracy CV |", "| --- | --- | --- | --- |"]
        for _, row in noise.iterrows():
            lines.append(
                f"| {row['display']} | {_fmt(row['loss_sd'], '.4f')} | "
                f"{_fmt(row['accuracy_sd'], '.4f')} | {_fmt(row['accuracy_cv'], '.2%')} |"
            )
    if backtests is not None and len(backtests):
        overall = backtests.groupby("split", sort=False).agg(
            abs_error=("abs_error", "mean"), coverage=("covered", "mean")
        )
        lines += [
            "",
            "## Backtests (held-out rungs)",
            "",
            "| split | mean abs. error | coverage |",
            "| --- | --- | --- |",
        ]
        for split, row in overall.iterrows():
            lines.append(f"| {split} | {row['abs_error']:.4f} | {row['coverage']:.0%} |")
    if figures:
        lines += ["", "## Figures", ""] + [f"![{Path(f).stem}]({f})" for f in figures]
    return "\n".join(lines) + "\n"


PLAN_FORMATS = {
    "name": "",
    "params": ",",
    "tokens": ",",
    "batch_size": ",",
    "tokens_per_step": ",",
    "learning_rate": ".3g",
    "warmup_steps": ",",
    "steps": ",",
    "flops": ".3g",
    "gpu_hours": ".3g",
}


DECAY_FORMATS = {
    "rung": "",
    "run": "",
    "pre_decay_step": ",",
    "bottom_step": ",",
    "decay_steps": ",",
    "tokens": ",",
    "cosine_flops": ".3g",
}


def format_plan(rungs: list[Any], train: Any) -> str:
    """The training plan as a table (N non-embedding parameters, D tokens, batch in sequences,
    peak LR, steps, FLOPs = 6ND, GPU-hours at the spec's MFU), with the ladder's totals; for
    WSD-S runs also their decay points (steps, D at each bottom, what a cosine rung of that D
    costs) and the compute saved against the cosine ladder of the same points."""
    from ladder.train.plan import decay_frame, plan_frame, saving

    frame = plan_frame(rungs)
    cost = f"GPU-hours on {train.gpu.upper()} at {train.mfu:.0%} MFU; launcher {train.launcher}"
    if train.schedule == "wsds":
        options = train.wsds_options
        schedule = (
            f"WSD-S: one run per size, the peak LR ({options.lr_factor:g} x the cosine rule's) "
            f"after warm-up, linear decays to 0 over {options.decay_fraction:.0%} of each "
            "period, ending at each multiplier"
        )
    else:
        schedule = f"cosine decay to {train.final_lr_fraction:.0%} of peak"
    lines = [
        f"sequence length {train.sequence_length:,}; {schedule}; {cost}",
        format_frame(frame, PLAN_FORMATS),
        f"total: {len(frame)} runs, {frame['tokens'].sum():,.0f} tokens, "
        f"{frame['flops'].sum():.3g} FLOPs, {frame['gpu_hours'].sum():,.1f} GPU-hours",
    ]
    saved = saving(rungs)
    if saved is not None:
        decays = decay_frame(rungs)
        lines += [
            "",
            f"decay points (annealed rungs): checkpoints every {train.checkpoint_interval:,} "
            "steps and at each pre-decay and bottom step, evaluated there too",
            format_frame(decays, DECAY_FORMATS),
            f"a cosine ladder of the same {len(decays)} points: {saved.cosine_flops:.3g} FLOPs; "
            f"the WSD-S runs save {saved.fraction:.0%} of it ({saved.wsds_flops:.3g} FLOPs)",
        ]
    return "\n".join(lines)
