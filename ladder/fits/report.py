"""Reports of a LadderFit: the printed tables and the Markdown summary (the JSON document is
ladder.fits.document's)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ladder import __version__
from ladder.fits.distance import point_name
from ladder.fits.fit import LadderFit
from ladder.laws.bootstrap import Estimate
from ladder.laws.flops import training_flops

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


def _rel(e: Estimate | None) -> str:
    return "-" if e is None or e.rel_error is None else f"{100 * e.rel_error:.1f}%"


def _row(label: str, width: int, e: Estimate, unit: Any, extra: str = "") -> str:
    interval = f"[{unit(e.lower)}, {unit(e.upper)}]" + ("c" if e.clipped else "")
    miss = " x" if e.covered is False else "  "
    return (
        f"  {label:<{width}}{unit(e.predicted):>9}  {interval:<16}{unit(e.actual):>9}{miss}"
        f"{unit(e.abs_error):>7}{_rel(e):>9}{extra}"
    )


PAPER = "paper (arXiv 2412.04403: task bpb from (N, D), then a sigmoid)"


def method_name(fit: LadderFit) -> str:
    """The method in a phrase: the selection's chosen members and rule, or each task's method
    (the paper's described)."""
    selection = fit.selection
    if selection is not None:
        chosen = ", ".join(selection.chosen) if selection.chosen else selection.asked
        return f"{selection.asked}: {chosen} ({selection.rule})"
    names = dict.fromkeys(t.method for t in fit.tasks.values())
    return ", ".join(PAPER if name == "paper" else name for name in names)


def interval_name(fit: LadderFit) -> str:
    """The interval strategy in a phrase: bootstrap with its resamples, or split-conformal
    with the number of rollout predictions it was calibrated on."""
    level = f"{100 * fit.spec.fit.level:g}%"
    if fit.selection is None:
        resamples = fit.spec.fit.bootstrap
        return f"{level}, {resamples:,} bootstrap resamples" if resamples else "none"
    c = fit.selection.calibration
    on = "" if c is None else f", calibrated on {c.n} rollout predictions"
    return f"{level}, split-conformal{on}"


def labels_of(fit: LadderFit) -> dict[str, str]:
    """Each task's display name, by task name."""
    return {name: t.task.label for name, t in fit.tasks.items()}


def warning_list(
    warnings: list[dict[str, Any]], labels: dict[str, str], prefix: str = "  "
) -> list[str]:
    """One line per warning (target, message), naming its tasks by label, or "every task"
    when it concerns each of `labels` alike."""
    tasks: dict[tuple[str | None, str], list[str]] = {}
    for w in warnings:
        tasks.setdefault((w["target"], w["message"]), []).append(w["task"])
    lines = []
    for (target, message), names in tasks.items():
        alike = len(labels) > 1 and set(names) == set(labels)
        who = "every task" if alike else ", ".join(labels.get(n, n) for n in names)
        lines.append(f"{prefix}{who}{', ' + target if target else ''}: {message}")
    return lines


def warning_lines(fit: LadderFit, prefix: str = "  ") -> list[str]:
    """One line per warning of the fit: task label, target, message."""
    return warning_list(fit.warnings, labels_of(fit), prefix)


def method_text(fit: LadderFit) -> str:
    """How the predictions were made and their intervals calibrated, in a few lines."""
    selection = fit.selection
    if selection is None:
        return f"Method: {method_name(fit)}; intervals: {interval_name(fit)}"
    ranking = ", ".join(f"{m} {100 * v:.1f}%" for m, v in selection.ranking().items())
    lines = [f"Method: {method_name(fit)}"]
    lines.append(f"  rollout error per candidate (mean relative error): {ranking}")
    if selection.unavailable:
        missing = "; ".join(f"{m}: {why}" for m, why in selection.unavailable.items())
        lines.append(f"  not available on this table: {missing}")
    c = selection.calibration
    coverage = ", ".join(f"{100 * r:.0f}%" for r in selection.coverage.get("coverage", [])) or "-"
    lines.append(
        f"  intervals: {100 * c.level:g}%, calibrated on {c.n} rollout predictions (split-"
        f"conformal on |ln(pred/actual)| / d^{c.gamma:.2f}, d the extrapolation distance) plus "
        f"each task's checkpoint noise; coverage of held-out rollouts: {coverage}"
    )
    return "\n".join(lines)


def format_text(fit: LadderFit) -> str:
    """The method, then per target one row per task: prediction, interval, actual (x when
    outside the interval), errors, the step-1 (task loss) and step-2 relative errors and,
    with fit.target_checkpoints, the forecast from the target's checkpoints; with no
    targets, each task's fitted laws; then the warnings (marked ! on their rows)."""
    level = f"{100 * fit.spec.fit.level:g}%"
    width = max(16, *(len(t.task.label) + 3 for t in fit.tasks.values()))
    flagged = {(w["task"], w["target"]) for w in fit.warnings}
    blocks = [method_text(fit)]
    for target in fit.spec.targets:
        actual = f"; actual from run {target.run}" if target.run else ""
        lines = [f"{target.name}  (N = {target.params:.4g}, D = {target.tokens:.4g}{actual})"]
        first = next(iter(fit.tasks.values())).predictions[target.name]
        head = "pred" if first.chained is not None else "pred loss"
        extra = f"{'step1 rel':>11}{'step2 rel':>11}" if first.chained is not None else ""
        if first.forecast is not None:
            extra += f"{'forecast':>10}{'rel err':>9}"
        lines.append(
            f"  {'task':<{width}}{head:>9}  {level + ' interval':<16}{'actual':>9}  "
            f"{'abs err':>7}{'rel err':>9}{extra}"
        )
        for task_fit in fit.tasks.values():
            p = task_fit.predictions[target.name]
            name = task_fit.task.name
            mark = " !" if {(name, None), (name, target.name)} & flagged else ""
            label = task_fit.task.label + mark
            unit = _num if p.chained is None else _pct
            ahead = (
                ""
                if p.forecast is None
                else f"{unit(p.forecast.predicted):>10}{_rel(p.forecast):>9}"
            )
            if p.chained is None:
                lines.append(_row(label, width, p.step1, _num, ahead))
            else:
                steps = f"{_rel(p.step1):>11}{_rel(p.step2):>11}{ahead}"
                lines.append(_row(label, width, p.chained, _pct, steps))
        blocks.append("\n".join(lines))
    if not fit.spec.targets:  # nothing to predict: the fitted laws are the result
        for task_fit in fit.tasks.values():
            blocks.append(
                "\n".join(
                    [f"{task_fit.task.label}: no targets in the spec; the fitted laws"]
                    + [
                        f"  {name}, {law.summary()}"
                        for name, law in task_fit.headline_laws().items()
                    ]
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
    if fit.warnings:
        blocks.append("Warnings (rows marked !):\n" + "\n".join(warning_lines(fit)))
    blocks.append(
        "Accuracy in points, task loss in bits per byte; x: the actual is outside the interval; "
        "c: clipped to [chance, 100];\nrel err = |pred - actual| / actual; step1 rel: the "
        "task-loss prediction's error; step2 rel: step 2's accuracy error given the actual task "
        "loss."
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
    spec = fit.spec
    lines = [
        f"# Task-accuracy predictions: {spec.name}",
        "",
        f"Method: {method_name(fit)}; fitted on {len(spec.fit_runs)} runs "
        f"({', '.join(spec.fit_runs)}); prediction intervals: {interval_name(fit)}; "
        f"`ladder` {__version__}.",
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
    if fit.warnings:
        lines += ["", "## Warnings", "", *warning_lines(fit, "- ")]
    if figures:
        lines += ["", "## Figures", ""] + [f"![{Path(f).stem}]({f})" for f in figures]
    return "\n".join(lines) + "\n"


def as_unit(value: Any, metric: str) -> str:
    """A value as printed: an accuracy in points, a task loss in bits per byte."""
    return _pct(value) if metric == "accuracy" else _num(value)


def format_grid(
    frame: Any, level: float, warnings: list[dict[str, Any]] = (), labels: dict[str, str] = ()
) -> str:
    """`ladder predict`'s table: per (N, D), each task (by its `labels`) with its prediction
    and interval (accuracy in points, task loss in bits per byte; c: an end clipped), rows
    marked ! where a warning concerns them; then the warnings."""
    labels = dict(labels)
    flagged = {(w["task"], w["target"]) for w in warnings}
    lines = []
    for (n, d), rows in frame.groupby(["params", "tokens"], sort=False):
        point = point_name(n, d)
        lines.append(f"{point} (C = {training_flops(n, d):.3g} FLOPs, D/N = {d / n:.3g})")
        names = [labels.get(t, t) for t in rows["task"]]
        width = max(8, *(len(t) + 4 for t in names))
        lines.append(f"  {'task':<{width}}{'pred':>8}  {100 * level:g}% interval")
        for name, (_, r) in zip(names, rows.iterrows(), strict=True):
            unit = r["metric"]
            interval = f"[{as_unit(r['lower'], unit)}, {as_unit(r['upper'], unit)}]"
            interval += "c" if r.get("clipped", False) else ""
            label = name + (" !" if (r["task"], point) in flagged else "")
            lines.append(f"  {label:<{width}}{as_unit(r['predicted'], unit):>8}  {interval}")
        lines.append("")
    if warnings:
        lines += ["Warnings (rows marked !):", *warning_list(warnings, labels), ""]
    lines.append("Accuracy in points; task loss in bits per byte; c: clipped to [chance, 100].")
    return "\n".join(lines)


def format_comparison(
    frame: Any, first: str, second: str, labels: dict[str, str] | None = None
) -> str:
    """`ladder compare`'s table, per target and task (by its `labels`): both predictions with
    their intervals, the difference (second - first) with its own interval, the verdict on it
    and the common rungs the second scores better on."""
    labels, lines = labels or {}, []
    names = {"first": first[:16], "second": second[:16], "neither": "neither"}
    for target, rows in frame.groupby("target", sort=False):
        n, d = rows["params"].iloc[0], rows["tokens"].iloc[0]
        lines.append(f"{target}  (N = {n:.4g}, D = {d:.4g})")
        width = max(8, *(len(labels.get(t, t)) + 2 for t in rows["task"]))
        lines.append(
            f"  {'task':<{width}}{names['first']:>18}{names['second']:>18}"
            f"{'difference':>22}  {'better':<16} rungs won"
        )
        for _, r in rows.iterrows():
            unit = r["metric"]
            scale, spec = (100, "+.1f") if unit == "accuracy" else (1, "+.3f")

            def cell(prefix: str, r=r, unit=unit) -> str:
                low, high = as_unit(r[f"{prefix}_lower"], unit), as_unit(r[f"{prefix}_upper"], unit)
                return f"{as_unit(r[prefix], unit)} [{low}, {high}]"

            diff = "{} [{}, {}]".format(
                *(
                    _fmt(scale * r[k], spec)
                    for k in ("difference", "difference_lower", "difference_upper")
                )
            )
            won = f"{r['rungs_won']}/{r['rungs']}"
            cells = f"{cell('first'):>18}{cell('second'):>18}{diff:>22}"
            label = labels.get(r["task"], r["task"])
            lines.append(f"  {label:<{width}}{cells}  {names[r['verdict']]:<16} {won}")
        lines.append("")
    methods = ", ".join(sorted(set(frame["difference_method"])))
    lines.append(
        "Accuracy in points (task loss in bits per byte); difference = second - first, its "
        f"interval ({methods}) its own, not the two intervals' overlap; better: the ladder the "
        f"difference's interval favours; rungs won: common runs where {second[:16]} scores better."
    )
    return "\n".join(lines)


FRAME_SUFFIXES = (".csv", ".json")


def write_frame(frame: Any, path: str | Path) -> Path:
    """A table as CSV, or as JSON records for a .json path (written atomically)."""
    from ladder.files import check_suffix, write_json, write_text

    if check_suffix(path, FRAME_SUFFIXES, "a table").suffix == ".json":
        return write_json(path, frame.to_dict("records"))
    return write_text(path, frame.to_csv(index=False))
