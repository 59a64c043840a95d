"""Defaults chosen across ladders: leave-one-ladder-out over the benchmark corpus (run by hand;
writes benchmarks/defaults.md).

The evidence is `ladder benchmark` with every candidate as a method: each ladder's rollout
scores and every candidate's predictions of its targets. A rule (the candidate pool, how many of
the best to average, what to predict with when a ladder allows no rollout, how many corpus
pseudo-scores the intervals pool with the ladder's own) is applied offline exactly as `ladder
fit` applies it: the mean of the chosen candidates' predictions, split-conformal on their rollout
residuals pooled with the prior. Each ladder is predicted with the rule that did best on the
*other* ladders (the point rule: lowest mean relative error, each ladder counting once; the
prior: the size whose intervals cover 95% of the other ladders' targets most narrowly);
the shipped defaults are the rule that does best on all of
them, and the report says which ladders decided what.

    python benchmarks/defaults.py [--evidence /tmp/evidence.pkl]
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ladder import api
from ladder.fit.calibration import Prior, calibrate, fit_gamma
from ladder.fits.selection import Selection, ranking_error
from ladder.spec.presets import BASELINES, CANDIDATES

ROOT = Path(__file__).resolve().parents[1]
LAWS = tuple(c for c in CANDIDATES if c not in BASELINES)
POOLS = {"all": CANDIDATES, "laws": LAWS, "laws+linear": (*LAWS, "linear_n", "linear_c")}
TOP_K = (1, 2, 3, 4, 5)
FALLBACKS = (
    ("linear_n",),
    ("linear_c",),
    ("carry",),
    ("linear_n", "carry"),
    ("linear_c", "carry"),
    ("linear_n", "linear_c", "carry"),
)
MIN_RUNS = (1, 2, 3, 5)
PRIOR_SIZES = (0, 10, 20, 30, 40)
LEVEL = 0.95
COVERAGE = 0.95


@dataclass(frozen=True)
class Rule:
    pool: str
    top_k: int
    fallback: tuple[str, ...]
    min_runs: int  # held-out runs the rollouts need before they choose

    def __str__(self) -> str:
        return (
            f"pool {self.pool}, top {self.top_k}, fallback {'+'.join(self.fallback)}, "
            f"choose on >= {self.min_runs} held-out runs"
        )


def evidence(path: Path | None) -> list:
    """Every ladder's benchmark with every candidate as a method (cached in `path`)."""
    if path is not None and path.is_file():
        return pickle.loads(path.read_bytes()).ladders
    result = api.benchmark(methods=["auto", *CANDIDATES], progress=True)
    if path is not None:
        path.write_bytes(pickle.dumps(result))
    return result.ladders


def members(ladder, rule: Rule) -> list[str]:
    """The best `top_k` of the pool by rollout error, or the fallback without rollouts."""
    fitted = set(ladder.rows["method"])
    scores = ladder.scores[ladder.scores["method"].isin(POOLS[rule.pool])]
    held = scores.dropna(subset=["predicted"]).drop_duplicates(["rollout", "run"])
    ranked = [m for m in ranking_error(scores).index if m in fitted]
    if len(held) < rule.min_runs:
        ranked = []
    return ranked[: rule.top_k] or [m for m in rule.fallback if m in fitted]


def predictions(ladder, chosen: list[str]) -> pd.DataFrame:
    """The mean of the chosen candidates' predictions of each (target, task)."""
    rows = ladder.rows[ladder.rows["method"].isin(chosen)]
    mean = rows.groupby(["target", "task"]).agg(
        predicted=("predicted", "mean"),
        actual=("actual", "first"),
        distance=("distance", "first"),
        noise=("noise", "first"),
        chance=("chance", "first"),
        n=("method", "nunique"),
    )
    mean = mean[mean["n"] == len(chosen)].reset_index()
    return mean.assign(rel_error=(mean["predicted"] - mean["actual"]).abs() / mean["actual"])


def residuals(ladder, chosen: list[str]) -> pd.DataFrame:
    """The rollout residuals of the mean of the chosen candidates (none without rollouts)."""
    scores = ladder.scores.dropna(subset=["predicted"])
    if scores.empty:
        return pd.DataFrame(columns=["rollout", "log_ratio", "distance"])
    selection = Selection("auto", [], {}, ladder.scores, chosen, "")
    return selection.mean_of(chosen)


def point_table(ladders: list, rules: list[Rule]) -> pd.DataFrame:
    """Mean relative error of every rule on every ladder (rules x ladders)."""
    return pd.DataFrame(
        {
            ladder.name: [
                predictions(ladder, members(ladder, r))["rel_error"].mean() for r in rules
            ]
            for ladder in ladders
        },
        index=[str(r) for r in rules],
    )


QUANTILES = 40  # the stored prior: its scores at this many evenly spaced levels


def gamma_within(parts: list[pd.DataFrame]) -> float:
    """How |r| grows with the distance inside a ladder: the mean over the ladders whose
    residuals span several distances of each one's own gamma (ladders differ in level, so a
    slope across them would measure that instead), 0 when none does."""
    slopes = [
        fit_gamma(part)
        for part in parts
        if part["distance"].nunique() > 1 and part["log_ratio"].notna().sum() >= 3
    ]
    return float(np.mean(slopes)) if slopes else 0.0


def pooled_prior(parts: list[pd.DataFrame], size: int) -> Prior | None:
    """The prior of `size` scores made of the parts' conformity scores (each part, a ladder's
    residuals, weighing the same), at the gamma fitted on all of them."""
    parts = [p.dropna(subset=["log_ratio"]) for p in parts]
    parts = [p for p in parts if len(p)]
    if size == 0 or not parts:
        return None
    gamma = gamma_within(parts)
    scores = np.concatenate([p["log_ratio"].abs() / p["distance"] ** gamma for p in parts])
    weights = np.concatenate([np.full(len(p), 1.0 / len(p)) for p in parts])
    order = np.argsort(scores)
    cumulative = (np.cumsum(weights[order]) - 0.5 * weights[order]) / weights.sum()
    levels = (np.arange(QUANTILES) + 0.5) / QUANTILES
    quantiles = np.interp(levels, cumulative, scores[order])
    return Prior(gamma, tuple(round(float(v), 6) for v in quantiles), size)


def with_intervals(ladder, chosen: list[str], prior: Prior | None) -> pd.DataFrame:
    """The ladder's predictions with their calibrated intervals (as ladder.fit makes them)."""
    pred = predictions(ladder, chosen)
    calibration = calibrate(residuals(ladder, chosen), LEVEL, prior)
    lower, upper = [], []
    for _, row in pred.iterrows():
        if not np.isfinite(calibration.quantile):
            lower.append(np.nan)
            upper.append(np.nan)
            continue
        h = calibration.half_width(row["distance"], row["noise"], row["predicted"])
        low, high = row["predicted"] * np.exp(-h), row["predicted"] * np.exp(h)
        if ladder.metric == "accuracy":
            low, high = max(low, row["chance"]), min(high, 1.0)
        lower.append(low)
        upper.append(high)
    pred["lower"], pred["upper"] = lower, upper
    pred["covered"] = (pred["lower"] <= pred["actual"]) & (pred["actual"] <= pred["upper"])
    scale = 100.0 if ladder.metric == "accuracy" else 1.0
    return pred.assign(width=scale * (pred["upper"] - pred["lower"]))


def coverage_of(ladders: list, rule: Rule, size: int, held: str | None = None) -> pd.DataFrame:
    """Per ladder (but `held`), its coverage and width, each calibrated with the prior made of
    the other ladders' residuals (never its own, nor `held`'s)."""
    use = [ladder for ladder in ladders if ladder.name != held]
    res = {ladder.name: residuals(ladder, members(ladder, rule)) for ladder in ladders}
    rows = []
    for ladder in use:
        parts = [res[other.name] for other in use if other.name != ladder.name]
        prior = pooled_prior(parts, size)
        pred = with_intervals(ladder, members(ladder, rule), prior)
        rows.append(
            {
                "ladder": ladder.name,
                "coverage": pred["covered"].mean(),
                "n": len(pred),
                "covered": int(pred["covered"].sum()),
                "width": pred["width"].mean(),
            }
        )
    return pd.DataFrame(rows)


def best_size(ladders: list, rule: Rule, held: str | None = None) -> int:
    """The prior size whose intervals cover at least 95% of the (other) ladders' pairs with the
    smallest mean width; the best covering one if none reaches 95%."""
    tables = {n: coverage_of(ladders, rule, n, held) for n in PRIOR_SIZES}
    covered = {n: t["covered"].sum() / t["n"].sum() for n, t in tables.items()}
    enough = [n for n in PRIOR_SIZES if covered[n] >= COVERAGE]
    if not enough:
        return max(PRIOR_SIZES, key=lambda n: (covered[n], -n))
    return min(enough, key=lambda n: tables[n]["width"].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evidence", type=Path, help="cache of the benchmark evidence (pickle)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "defaults.md"))
    args = parser.parse_args()
    started = time.perf_counter()
    ladders = evidence(args.evidence)
    rules = [Rule(*r) for r in itertools.product(POOLS, TOP_K, FALLBACKS, MIN_RUNS)]
    errors = point_table(ladders, rules)
    shipped = rules[int(np.argmin(errors.mean(axis=1).to_numpy()))]
    held_out = {}
    for ladder in ladders:
        others = errors.drop(columns=ladder.name).mean(axis=1)
        rule = rules[int(np.argmin(others.to_numpy()))]
        held_out[ladder.name] = (rule, errors.loc[str(rule), ladder.name])
    # the prior's size, chosen without the held-out ladder
    sizes = {x.name: best_size(ladders, held_out[x.name][0], x.name) for x in ladders}
    shipped_size = best_size(ladders, shipped)
    report = _report(ladders, errors, shipped, shipped_size, held_out, sizes)
    parts = [residuals(ladder, members(ladder, shipped)) for ladder in ladders]
    report += ["", "The prior shipped in ladder/fit/calibration.py (PRIOR):", "", "```"]
    report += [repr(pooled_prior(parts, shipped_size)), "```"]
    report.append(f"\n{time.perf_counter() - started:.0f} s; commit {_commit()}.")
    Path(args.output).write_text("\n".join(report) + "\n")
    print("\n".join(report))


def _report(ladders, errors, shipped, shipped_size, held_out, sizes) -> list[str]:
    baselines = {
        b: {x.name: predictions(x, [b])["rel_error"].mean() for x in ladders}
        for b in ("linear_n", "linear_c", "carry")
    }
    shipped_cover = coverage_of(ladders, shipped, shipped_size).set_index("ladder")
    lines = [
        "# Defaults chosen across ladders",
        "",
        "Written by `python benchmarks/defaults.py` (module docstring: the procedure).",
        "",
        f"Shipped rule (the best mean over all {len(ladders)} ladders): **{shipped}**; the",
        f"intervals' prior makes **{shipped_size}** scores with a ladder's own residuals.",
        "Every ladder of the corpus informed these choices; the LOLO columns show each ladder",
        "predicted by the rule and prior chosen on the other ladders only; `covered` and `width`",
        "are the shipped rule's intervals with a prior made of the other ladders' residuals (a",
        "shipped fit's prior holds the ladder's own residuals too, so its intervals differ).",
        "",
        "| ladder | LOLO error | LOLO rule | prior | shipped error | best baseline | ratio "
        "| covered | width |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    lolo, ratios = [], []
    for ladder in ladders:
        rule, error = held_out[ladder.name]
        table = coverage_of(ladders, rule, sizes[ladder.name]).set_index("ladder")
        row = table.loc[ladder.name]
        name, best = min(((b, v[ladder.name]) for b, v in baselines.items()), key=lambda t: t[1])
        mine = errors.loc[str(shipped), ladder.name]
        lolo.append(error)
        ratios.append(error / best)
        lines.append(
            f"| {ladder.name} | {100 * error:.2f}% | {rule} | {sizes[ladder.name]} | "
            f"{100 * mine:.2f}% | {name} {100 * best:.2f}% | {error / best:.2f} | "
            f"{row['covered']}/{row['n']} | {row['width']:.3g} |"
        )
    covered = shipped_cover["covered"].sum() / shipped_cover["n"].sum()
    lines += [
        "",
        f"Mean over ladders, LOLO: {100 * np.mean(lolo):.2f}%; baselines: "
        + ", ".join(f"{b} {100 * np.mean(list(v.values())):.2f}%" for b, v in baselines.items())
        + f". Ladders above 1.1x their best baseline: {sum(r > 1.1 for r in ratios)} of "
        f"{len(ratios)}. Shipped intervals cover {100 * covered:.1f}% of the pairs; the lowest "
        f"ladder {100 * shipped_cover['coverage'].min():.0f}% "
        f"({shipped_cover['coverage'].idxmin()}).",
    ]
    return lines


def _commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()


if __name__ == "__main__":
    main()
