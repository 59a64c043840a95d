"""Every method on the bundled ladder: rollout backtest error, target error, noise floor (run by
hand; writes benchmarks/methods.md).

    python benchmarks/methods.py [--output benchmarks/methods.md]

For each method of ladder.fit.methods (and `ensemble`, `auto`, the default, and `paper`, the
reproduction with bootstrap intervals): per task, its mean relative error on the rollout
backtests (the ladder's own held-out rungs: what `auto` chooses by), its relative error on
the 7B-4T and 13B-5T targets (never used to choose), whether the targets' actuals fall in the
95% interval and the interval's width; beside each task's checkpoint-to-checkpoint noise.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

import pandas as pd

from ladder import api
from ladder.fit.noise import summarize
from ladder.spec.presets import PRESETS

ROOT = Path(__file__).resolve().parents[1]
METHODS = [*(name for name in PRESETS if name != "paper"), "ensemble", "auto"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "methods.md"))
    args = parser.parse_args()
    spec, started = api.spec(), time.perf_counter()
    table = api.table(spec)
    fits = {"paper": api.fit(spec.with_fit(method="paper"), table)}
    fits |= {name: api.fit(spec.with_fit(method=name), table) for name in METHODS}
    auto = fits["auto"].selection
    scores = auto.scores
    rows = []
    for name, fit in fits.items():
        frame = fit.table()
        backtest = _backtest(scores, name, auto.chosen)
        for task, group in frame.groupby("task", sort=False):
            row = {"method": name, "task": task, "backtest": backtest.get(task)}
            for _, r in group.iterrows():
                row[r["target"]] = r["chained_rel_error"]
                row[f"{r['target']} in"] = r["chained_covered"]
                row[f"{r['target']} width"] = 100 * (r["chained_upper"] - r["chained_lower"])
            rows.append(row)
    results = pd.DataFrame(rows)
    noise = summarize(api.noise(spec, table)).set_index("task")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    text = _markdown(results, noise, auto, commit, time.perf_counter() - started)
    Path(args.output).write_text(text)
    print(text)


def _backtest(scores: pd.DataFrame, name: str, chosen: list[str]) -> dict[str, float]:
    """Per task, the method's mean relative error over the rollouts (each rollout once)."""
    members = {"auto": chosen, "ensemble": list(PRESETS)}.get(name, [name])
    ok = scores[scores["method"].isin(members)].dropna(subset=["predicted"])
    mean = ok.groupby(["rollout", "run", "task"]).agg(
        predicted=("predicted", "mean"), actual=("actual", "first")
    )
    mean["rel"] = (mean["predicted"] - mean["actual"]).abs() / mean["actual"]
    return mean.groupby(["task", "rollout"])["rel"].mean().groupby("task").mean().to_dict()


def _pct(value: float | None) -> str:
    return "-" if value is None or pd.isna(value) else f"{100 * value:.1f}%"


def _markdown(results, noise, auto, commit: str, seconds: float) -> str:
    ranking = auto.ranking()
    lines = [
        "# Methods on the bundled ladder",
        "",
        f"Written by `python benchmarks/methods.py` at commit {commit} ({seconds:.0f} s on the "
        "development machine, 2 cores). Fit runs: the paper's 16 (190M-1B at 1, 2, 5, 10 xC); "
        "targets 7B-4T and 13B-5T, whose results are never used to choose. Errors are relative "
        "(|pred - actual| / actual) on accuracy; widths are of the 95% interval, in points.",
        "",
        "## The choice (what `ladder fit` does by default)",
        "",
        f"Rollout backtests: {'; '.join(sorted(auto.scores['rollout'].unique()))}. "
        f"Each candidate's mean relative error over them (each rollout counted once): "
        + ", ".join(f"{m} {_pct(v)}" for m, v in ranking.items())
        + f". Chosen: **{', '.join(auto.chosen)}** (the default prediction is their "
        "mean).",
        "",
        f"Intervals: split-conformal on the chosen ensemble's {auto.calibration.n} rollout "
        f"residuals, |ln(pred / actual)| / d^{auto.calibration.gamma:.2f} (d: extrapolation "
        f"distance), q = {auto.calibration.quantile:.4f}, plus each task's checkpoint noise. "
        "Honest coverage of the rollouts (each judged by a calibration on the others): "
        + ", ".join(
            f"{r['rollout']}: {100 * r['coverage']:.0f}%" for _, r in auto.coverage.iterrows()
        )
        + ".",
        "",
        "## Summary over the 16 (target, task) pairs",
        "",
        "`paper` is the reproduction of arXiv 2412.04403 with its bootstrap intervals; every "
        "other row's intervals are calibrated on its own rollout residuals. The backtest error "
        "of `auto` is in-sample: the same rollouts chose its members (the nested check below "
        "scores the choice out of sample).",
        "",
        "| method | backtest error | target error | 7B-4T | 13B-5T | covered | mean width |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, group in results.groupby("method", sort=False):
        covered = int(group["7B-4T in"].sum() + group["13B-5T in"].sum())
        width = (group["7B-4T width"].mean() + group["13B-5T width"].mean()) / 2
        target = (group["7B-4T"].mean() + group["13B-5T"].mean()) / 2
        mark = " (default)" if name == "auto" else ""
        lines.append(
            f"| {name}{mark} | {_pct(group['backtest'].mean())} | {_pct(target)} | "
            f"{_pct(group['7B-4T'].mean())} | {_pct(group['13B-5T'].mean())} | {covered}/16 | "
            f"{width:.1f} |"
        )
    lines += [
        "",
        "## Per task",
        "",
        "Backtest / 7B-4T / 13B-5T relative errors; noise: the task's accuracy SD over the "
        "last 10 checkpoints (median over the fit and target runs), in points.",
        "",
    ]
    tasks = list(dict.fromkeys(results["task"]))
    lines.append("| method | " + " | ".join(tasks) + " |")
    lines.append("| --- |" + " --- |" * len(tasks))
    for name, group in results.groupby("method", sort=False):
        cells = []
        for task in tasks:
            r = group[group["task"] == task].iloc[0]
            cells.append(f"{_pct(r['backtest'])} / {_pct(r['7B-4T'])} / {_pct(r['13B-5T'])}")
        mark = " (default)" if name == "auto" else ""
        lines.append(f"| {name}{mark} | " + " | ".join(cells) + " |")
    lines.append(
        "| noise (points) | "
        + " | ".join(f"{100 * noise.loc[t, 'accuracy_sd']:.2f}" for t in tasks)
        + " |"
    )
    lines += ["", *_nested(auto.scores)]
    return "\n".join(lines) + "\n"


def _nested(scores: pd.DataFrame) -> list[str]:
    """Choose on one rollout, score on the other: the top 3 pooled over tasks (auto's rule)
    against the best candidate per task and the mean of every candidate."""
    ok = scores.dropna(subset=["predicted"])
    rollouts = sorted(ok["rollout"].unique())
    lines = [
        "## Nested check of the rule (choose on one rollout, score on the other)",
        "",
        "| chosen on | scored on | top 3 pooled (auto) | best per task | every candidate |",
        "| --- | --- | --- | --- | --- |",
    ]
    for chosen_on in rollouts:
        for scored_on in [r for r in rollouts if r != chosen_on]:
            train, test = ok[ok["rollout"] == chosen_on], ok[ok["rollout"] == scored_on]
            pooled = list(train.groupby("method")["rel_error"].mean().nsmallest(3).index)
            per_task = (
                train.groupby(["task", "method"])["rel_error"].mean().groupby("task").idxmin()
            )
            rules = {
                "pooled": {task: pooled for task in test["task"].unique()},
                "per task": {task: [per_task[task][1]] for task in test["task"].unique()},
                "all": {task: list(test["method"].unique()) for task in test["task"].unique()},
            }
            cells = []
            for members in rules.values():
                rows = test[
                    [m in members[t] for m, t in zip(test["method"], test["task"], strict=True)]
                ]
                mean = rows.groupby(["run", "task"]).agg(
                    p=("predicted", "mean"), a=("actual", "first")
                )
                cells.append(_pct(((mean["p"] - mean["a"]).abs() / mean["a"]).mean()))
            lines.append(f"| {chosen_on} | {scored_on} | " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    main()
