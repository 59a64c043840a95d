"""ProxyLM's settings on its bundled records, beside the published figures (run by hand).

    python benchmarks/bench_proxy.py --part random|paper-splits|lolo|unseen|cross|ladder|all \
        [--regressors xgb,lgbm,poly2,poly3] [--grid default|fast] [--jobs 2]
    python benchmarks/bench_proxy.py --report

Each part evaluates the regressors with the product's defaults (the default grid, 5-fold CV
search on the training records; `--grid fast`: the fast grid's one setting, no search) and
stores its cells, with the wall time of each, in
benchmarks/proxy-results.json (replacing the same cells of an earlier run); `--report` (also
run after every part) writes benchmarks/proxy.md from it. Run the parts one at a time under
the heavy-job lock.
Seeds: 5 random splits (0-4; `paper-splits`: the authors' 42-46); 1 seed per held-out
language (lolo); 2 per direction (unseen, cross). spBLEU, targets M2M100 1.2B and NLLB 1.3B.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ladder import api
from ladder.files import write_json, write_text
from ladder.proxy import proxylm, splits
from ladder.proxy.evaluate import evaluate
from ladder.proxy.records import PROXYLM_DATA, proxylm_path, read_records

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "proxy-results.json"
REPORT = HERE / "proxy.md"
PUBLISHED = PROXYLM_DATA / "published"
DATASETS = ("mt560", "nusa")
MODELS = ("m2m100", "nllb")
REGRESSORS = ("xgb", "lgbm", "poly2", "poly3")
SEEDS = {"random": 5, "lolo": 1, "unseen": 2, "cross": 2}
PAPER_SPLITS = range(42, 47)  # the authors' random_state for their 5 random splits
TOLERANCE = {"random": 0.10, "lolo": 0.15}
LOLO_REGRESSORS = ("xgb", "lgbm", "poly2")  # poly3 on MT560: ~10,000 terms x 50 languages
PROXY_FLAGS = ["with_trfm", "with_small100_ft", "with_small100_noft", "with_model_noft"]


def load(name: str) -> pd.DataFrame:
    return proxylm.prepare(read_records(proxylm_path(name)))


def cells(part: str):
    """(setting, data set, model, regressor, folds, feature set) for every cell of a part."""
    for model in MODELS:
        for dataset in DATASETS:
            records = load(dataset)
            features = proxylm.feature_set(records, model)
            records = features.check(records)
            seeds = range(SEEDS.get(part, 1))
            if part in ("random", "paper-splits"):
                seeds = PAPER_SPLITS if part == "paper-splits" else seeds
                folds = splits.random_folds(records, seeds, 0.3, proxylm.STRATIFY[dataset])
                yield from ((part, dataset, model, r, folds, features) for r in REGRESSORS)
            elif part == "lolo":
                folds = splits.lolo_folds(records, proxylm.LANGUAGE_COLUMNS, seeds)
                yield from ((part, dataset, model, r, folds, features) for r in LOLO_REGRESSORS)
            elif part == "unseen" and dataset == "mt560" and model == "m2m100":
                langs = splits.group_values(records, proxylm.LANGUAGE_COLUMNS)
                unseen = [v for v in proxylm.UNSEEN_LANGUAGES[model] if v in langs]
                folds = splits.unseen_folds(records, proxylm.LANGUAGE_COLUMNS, unseen, seeds)
                yield from ((part, dataset, model, r, folds, features) for r in LOLO_REGRESSORS)
            elif part == "cross":
                other = load("nusa" if dataset == "mt560" else "mt560")
                features = proxylm.feature_set(records, model, test_records=other)
                other = features.check(other)
                folds = splits.cross_folds(records, other, seeds, f"{dataset} -> other")
                yield from ((part, dataset, model, r, folds, features) for r in REGRESSORS)


def run_part(part: str, chosen: set[str], grid: str, jobs: int) -> list[dict]:
    out = []
    for setting, dataset, model, regressor, folds, features in cells(part):
        if regressor not in chosen:
            continue
        start = time.perf_counter()
        result = evaluate(folds, features, setting, regressor, grid, 5, jobs, progress=True)
        cell = {
            "setting": setting,
            "dataset": dataset,
            "model": model,
            "regressor": regressor,
            "grid": grid,
            "seconds": time.perf_counter() - start,
            **result.metrics(),
        }
        print(json.dumps({k: v for k, v in cell.items() if k != "target"}), flush=True)
        out.append(cell)
    return out


def run_ladder(jobs: int) -> list[dict]:
    out = []
    spec = api.spec()
    for with_targets in (True, False):
        start = time.perf_counter()
        result = api.proxy_ladder(
            spec, regressors=REGRESSORS, with_targets=with_targets, n_jobs=jobs
        )
        seconds = time.perf_counter() - start
        table = result.table.copy()
        table["with_targets"] = with_targets
        out.append(
            {
                "setting": "ladder",
                "with_targets": with_targets,
                "seconds": seconds,
                "table": table.to_dict("records"),
            }
        )
    return out


def published(cell: dict) -> tuple[float, float]:
    """The paper's (all features, NLPerf) test RMSE for a cell, NaN where not published."""
    setting, dataset, model, reg = (cell[k] for k in ("setting", "dataset", "model", "regressor"))
    setting = "random" if setting == "paper-splits" else setting
    names = {
        "random": f"random_results_spBLEU_{model}_{dataset}_{reg}.csv",
        "lolo": f"full_lolo_results_spBLEU_{model}_{dataset}_{reg}_all.csv",
        "unseen": f"full_seen_unseen_results_spBLEU_{model}_{dataset}_{reg}.csv",
        "cross": f"full_cross_dataset_results_spBLEU_{model}_{reg}.csv",
    }
    folder = "cross_data" if setting == "cross" else setting
    path = PUBLISHED / f"{folder}_results" / reg / names[setting]
    if not path.is_file() or (setting == "cross" and dataset != "mt560"):
        return float("nan"), float("nan")
    table = pd.read_csv(path)
    flags = table[["nlperf_only", "dataset_features", "lang_features", *PROXY_FLAGS]]
    if not all(flags[c].isin([True, False]).all() for c in flags):
        return float("nan"), float("nan")  # a malformed file (shifted columns)
    every = table[~table["nlperf_only"] & flags.drop(columns="nlperf_only").all(axis=1)]
    nlperf = table[table["nlperf_only"].astype(bool)]
    return _figure(every, setting), _figure(nlperf, setting)


def _figure(rows: pd.DataFrame, setting: str) -> float:
    if rows.empty:
        return float("nan")
    if setting in ("random", "cross"):
        return float(rows["test_rmse"].iloc[0])
    # lolo: mean over languages of (source + target) / 2; unseen: mean over both directions
    return float(((rows["test_source_rmse"] + rows["test_target_rmse"]) / 2).mean())


def _delta(ours: float, theirs: float) -> str:
    return "—" if np.isnan(theirs) else f"{ours / theirs - 1:+.0%}"


def _num(value: float) -> str:
    return "—" if value is None or np.isnan(value) else f"{value:.2f}"


def report(results: list[dict]) -> str:
    lines = [
        "# ProxyLM on its bundled records: ours against the published figures",
        "",
        "Written by `python benchmarks/bench_proxy.py` (see its docstring); test RMSE in spBLEU "
        "points, mean ± standard error over the random splits (random) or the held-out "
        "languages (lolo) or the directions (unseen); `pub.` is the paper's figure recomputed "
        "from `data/proxylm/published/`, Δ ours against it. Regressors: the default grid "
        "(ladder/proxy/regressor.py), 5-fold CV search on the training records, or (grid "
        "`fast`) its one fast setting without a search where the search over every held-out "
        "language would take hours on 2 cores. The "
        "published `poly2`/`poly3` are an elastic net on each feature's powers, ours a ridge "
        "on all polynomial terms: compare them loosely; trained on NusaTranslation's 8 "
        "languages and tested on MT560 (cross data set) the polynomials extrapolate far "
        "outside their training range and their errors explode (shown as measured). Time: "
        "the cell's wall time (with and without proxies, all folds), 2 cores, under the "
        "heavy-job lock.",
        "",
    ]
    by_setting: dict[str, list[dict]] = {}
    for cell in results:
        by_setting.setdefault(cell["setting"], []).append(cell)
    titles = {
        "random": "Random 70/30 split (5 seeds: 0-4)",
        "paper-splits": "Random 70/30 split on the paper's own splits (the authors' "
        "random_state 42-46)",
        "lolo": "Leave one language out (1 seed per language; mean over languages of the "
        "source- and target-language RMSE)",
        "unseen": "Unseen languages (MT560, M2M100: train on the seen languages and test on "
        "the 11 unseen, and the reverse; 2 seeds; mean of the two directions)",
        "cross": "Cross data set (train on one, test on the other; 2 seeds; the paper "
        "published MT560 -> NusaTranslation only)",
    }
    for setting in ("random", "paper-splits", "lolo", "unseen", "cross"):
        rows = by_setting.get(setting, [])
        if not rows:
            continue
        lines += [f"## {titles[setting]}", ""]
        lines.append(
            "| data set | model | regressor | grid | with proxies | pub. | Δ | NLPerf | pub. | Δ | "
            "ratio | pub. ratio | time |"
        )
        lines.append("| --- " * 13 + "|")
        for cell in rows:
            ours_p, ours_b = cell["proxy_rmse"], cell["baseline_rmse"]
            pub_p, pub_b = published(cell)
            trained = cell["dataset"] if setting != "cross" else f"{cell['dataset']} -> other"
            proxy = f"{ours_p:.2f} ± {_num(cell['proxy_se'])} | {_num(pub_p)}"
            nlperf = f"{ours_b:.2f} ± {_num(cell['baseline_se'])} | {_num(pub_b)}"
            grid = cell.get("grid", "default")
            lines.append(
                f"| {trained} | {cell['model']} | {cell['regressor']} | {grid} "
                f"| {proxy} | {_delta(ours_p, pub_p)} | {nlperf} | {_delta(ours_b, pub_b)} "
                f"| {cell['ratio']:.2f} | {_num(pub_b / pub_p)} | {cell['seconds']:.0f} s |"
            )
        lines.append("")
    for cell in by_setting.get("ladder", []):
        table = pd.DataFrame(cell["table"])
        methods = ["two_step", *REGRESSORS]
        mode = "with" if cell["with_targets"] else "without"
        lines += [
            f"## The ladder as proxies, {mode} the targets' scores on other tasks as records "
            f"({cell['seconds']:.0f} s)",
            "",
            "Mean absolute error in accuracy (8 tasks), leave one task out:",
            "",
            "| target | " + " | ".join(methods) + " |",
            "| --- " * (len(methods) + 1) + "|",
        ]
        for target, rows in table.groupby("target", sort=False):
            errors = " | ".join(f"{rows[f'{m}_error'].mean():.4f}" for m in methods)
            lines.append(f"| {target} | {errors} |")
        lines.append("")
    lines += checks(results)
    total = sum(cell["seconds"] for cell in results)
    lines.append(f"Total wall time of all parts: {total / 60:.1f} min ({date.today()}).")
    return "\n".join(lines) + "\n"


def checks(results: list[dict]) -> list[str]:
    """The issue's tolerances (XGBoost, all features and NLPerf: random split within 10% of
    the paper, leave one language out within 15%), cell by cell."""
    lines = [
        "## Against the tolerances (XGBoost, with proxies and NLPerf)",
        "",
        "| setting | data set | model | with proxies Δ | NLPerf Δ | tolerance | holds |",
        "| --- " * 7 + "|",
    ]
    for cell in results:
        if cell["setting"] not in TOLERANCE or cell["regressor"] != "xgb":
            continue
        tolerance = TOLERANCE[cell["setting"]]
        deltas = [
            ours / theirs - 1
            for ours, theirs in zip(
                (cell["proxy_rmse"], cell["baseline_rmse"]), published(cell), strict=True
            )
        ]
        holds = "yes" if all(abs(d) <= tolerance for d in deltas) else "**no**"
        lines.append(
            f"| {cell['setting']} | {cell['dataset']} | {cell['model']} | {deltas[0]:+.0%} "
            f"| {deltas[1]:+.0%} | {tolerance:.0%} | {holds} |"
        )
    return [*lines, ""]


def _key(cell: dict) -> tuple:
    return tuple(cell.get(k) for k in ("setting", "dataset", "model", "regressor", "with_targets"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", choices=("random", "paper-splits", "lolo", "unseen", "cross", "ladder", "all")
    )
    parser.add_argument("--regressors", default=",".join(REGRESSORS), help="comma-separated")
    parser.add_argument("--grid", choices=("default", "fast"), default="default")
    parser.add_argument("--jobs", type=int, default=2, help="parallel CV fits")
    parser.add_argument("--report", action="store_true", help="only write proxy.md")
    args = parser.parse_args()
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else []
    everything = ("random", "paper-splits", "lolo", "unseen", "cross", "ladder")
    parts = everything if args.part == "all" else (args.part,)
    chosen = set(args.regressors.split(","))
    if not args.report and args.part:
        for part in parts:
            fresh = (
                run_ladder(args.jobs)
                if part == "ladder"
                else run_part(part, chosen, args.grid, args.jobs)
            )
            keys = {_key(c) for c in fresh}
            results = [c for c in results if _key(c) not in keys] + fresh
            write_json(RESULTS, results)
    print(f"wrote {write_text(REPORT, report(results))}")


if __name__ == "__main__":
    main()
