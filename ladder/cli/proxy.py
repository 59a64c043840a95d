"""`ladder proxy fit|evaluate|predict|ladder`: ProxyLM-style regressors from proxy models'
scores (arXiv 2406.09334)."""

from __future__ import annotations

import argparse
import math
from typing import Any

from ladder import api
from ladder.cli.common import add_config, add_output, add_quiet, add_verb, count, progress, split
from ladder.errors import LadderError

SHOWN_IMPORTANCES = 8
SHOWN_PREDICTIONS = 20


def register(sub: Any) -> None:
    group = sub.add_parser(
        "proxy",
        help="predict a large model's score from cheap proxy models' scores (ProxyLM)",
        description="ProxyLM (arXiv 2406.09334): a regressor (XGBoost, LightGBM or a "
        "polynomial ridge) learned from past experiment records maps proxy models' scores and "
        "other features to the score of the model of interest. Columns come from flags or a "
        "small YAML (-c); without either, the bundled MT560 records (configs/proxy-mt560.yaml).",
    )
    verbs = group.add_subparsers(dest="proxy_command", required=True, metavar="VERB")

    evaluate = add_verb(
        verbs,
        "evaluate",
        "test RMSE of the regressor with proxies beside the baseline without them",
        "Evaluate in one setting: random (seeded 70/30 splits), lolo (leave each value of "
        "the --groups columns out in turn), unseen (train without the --unseen values, test "
        "on them, and the reverse), cross (train on RECORDS, test on --test-records). The "
        "baseline (NLPerf in the paper) is the same regressor and search without the proxy "
        "columns; ratio = baseline RMSE / proxy RMSE.",
        [
            "ladder proxy evaluate",
            "ladder proxy evaluate --setting lolo --regressor xgb,lgbm,poly2",
            "ladder proxy evaluate runs.csv --target big_acc --proxies small_acc,tiny_acc "
            "--features n_shots,lang_distance --setting random -o eval.json",
        ],
    )
    _spec_args(evaluate)
    evaluate.add_argument(
        "--setting", default="random", choices=("random", "lolo", "unseen", "cross")
    )
    evaluate.add_argument("--jobs", type=count, default=1, help="parallel CV fits")
    add_output(evaluate, "write the results (per fold, importances) as JSON here")
    add_quiet(evaluate)
    evaluate.set_defaults(func=run_evaluate, command="proxy evaluate")

    fit = add_verb(
        verbs,
        "fit",
        "search and fit the regressor on all records; save it",
        "Search the hyperparameter grid by cross-validation on all records, refit the best "
        "(the first of --regressor) and print its CV RMSE and feature importances; -o writes "
        "it as JSON (XGBoost's JSON or LightGBM's text model inside; never pickle) for "
        "`ladder proxy predict`.",
        ["ladder proxy fit -o model.json", "ladder proxy fit runs.csv --target y --proxies a,b"],
    )
    _spec_args(fit)
    fit.add_argument("--jobs", type=count, default=1, help="parallel CV fits")
    add_output(fit, "write the fitted model here (JSON)")
    fit.set_defaults(func=run_fit, command="proxy fit")

    predict = add_verb(
        verbs,
        "predict",
        "predict the target of new records with a saved model",
        "Read a model written by `ladder proxy fit -o` and predict every record of a table "
        "(it needs the model's feature columns); prints the first rows, and the RMSE when the "
        "table has the target column.",
        ["ladder proxy predict model.json new-records.csv -o predictions.csv"],
    )
    predict.add_argument("model", help="a model written by `ladder proxy fit -o`")
    predict.add_argument("records", help="records (CSV or Parquet) with the model's features")
    add_output(predict, "write the records with a `predicted` column (.csv or .json)")
    predict.set_defaults(func=run_predict, command="proxy predict")

    on_ladder = add_verb(
        verbs,
        "ladder",
        "the ladder's rungs as proxies, leave one task out, beside the two-step law",
        "On a ladder spec (default: the bundled paper ladder), predict each target's "
        "accuracy on each task from the fit runs' final accuracies on that task, with a "
        "regressor trained on the other tasks' records (the rungs above the fit runs and the "
        "targets as record models); print it beside the two-step law's prediction.",
        ["ladder proxy ladder", "ladder proxy ladder --regressor xgb,poly2 -o ladder-proxy.json"],
    )
    add_config(on_ladder)
    on_ladder.add_argument("--regressor", default="xgb", help="comma-separated regressors")
    on_ladder.add_argument(
        "--no-target-records",
        action="store_true",
        help="train on the larger rungs only, not on the targets' scores on other tasks",
    )
    on_ladder.add_argument("--jobs", type=count, default=1, help="parallel CV fits")
    add_output(on_ladder, "write the table as JSON here")
    add_quiet(on_ladder)
    on_ladder.set_defaults(func=run_ladder, command="proxy ladder")


def _spec_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("records", nargs="?", help="experiment records (CSV or Parquet)")
    parser.add_argument(
        "--config", "-c", metavar="YAML", help="a proxy spec (default: configs/proxy-mt560.yaml)"
    )
    parser.add_argument("--target", help="the column to predict")
    parser.add_argument("--proxies", help="comma-separated proxy-score columns")
    parser.add_argument("--features", help="comma-separated other feature columns")
    parser.add_argument("--baseline-features", help="the baseline's columns (default: features)")
    parser.add_argument("--regressor", help="comma-separated: xgb, lgbm, poly2, poly3")
    parser.add_argument("--grid", choices=("default", "fast"), help="hyperparameter grid")
    parser.add_argument("--folds", type=count, help="CV folds of the search (default 5)")
    parser.add_argument("--seeds", type=count, help="random splits / seeds (default 5)")
    parser.add_argument("--stratify", help="random split: keep this column's shares")
    parser.add_argument("--groups", help="lolo/unseen: comma-separated group columns")
    parser.add_argument("--unseen", help="unseen: comma-separated held-out group values")
    parser.add_argument("--test-records", help="cross: records of another data set")


def _spec(args: argparse.Namespace):
    lists = {
        key: tuple(split(getattr(args, key), f"--{key.replace('_', '-')}")) or None
        for key in ("proxies", "features", "baseline_features", "groups", "unseen")
    }
    return api.proxy_spec(
        args.config,
        args.records,
        target=args.target,
        regressors=tuple(split(args.regressor, "--regressor")) or None,
        grid=args.grid,
        folds=args.folds,
        seeds=args.seeds,
        stratify=args.stratify,
        test_records=args.test_records,
        **lists,
    )


def run_evaluate(args: argparse.Namespace) -> int:
    from ladder.files import write_json

    spec = _spec(args)
    results = api.proxy_evaluate(spec, args.setting, args.jobs, progress(args))
    first = results[0].metrics()
    over = (
        f"{first['labels']} random splits"
        if args.setting == "random"
        else f"{first['labels']} held-out parts, {first['seeds']} seed(s) each"
    )
    print(f"{args.setting}: test RMSE of {spec.target}, mean ± standard error over {over}")
    print(_frame([_row(r.metrics()) for r in results]))
    print(f"\nimportances ({results[0].regressor}, with proxies, mean over fits):")
    for name, value in results[0].importances.head(SHOWN_IMPORTANCES).items():
        print(f"  {name:<32} {value:.3f}")
    if args.output:
        document = {"setting": args.setting, "results": [r.to_document() for r in results]}
        print(f"\nwrote {write_json(args.output, document)}")
    return 0


def _row(summary: dict[str, Any]) -> dict[str, str]:
    def pm(model: str) -> str:
        se = summary[f"{model}_se"]
        return f"{summary[f'{model}_rmse']:.3f}" + ("" if math.isnan(se) else f" ± {se:.3f}")

    return {
        "regressor": summary["regressor"],
        "with proxies": pm("proxy"),
        "baseline": pm("baseline"),
        "ratio": f"{summary['ratio']:.2f}",
        "CV (proxies)": "—" if math.isnan(cv := summary["proxy_cv_rmse"]) else f"{cv:.3f}",
    }


def _frame(rows: list[dict[str, str]]) -> str:
    import pandas as pd

    return pd.DataFrame(rows).to_string(index=False)


def run_fit(args: argparse.Namespace) -> int:
    spec = _spec(args)
    model = api.proxy_fit(spec, args.jobs)
    params = ", ".join(f"{k}={v}" for k, v in model.best_params_.items())
    print(f"{model.regressor} on {spec.records}: predicts {spec.target}")
    print(f"best: {params}; CV RMSE {model.cv_rmse_:.3f} ({spec.folds}-fold)")
    print("importances:")
    for name, value in model.importances().head(SHOWN_IMPORTANCES).items():
        print(f"  {name:<32} {value:.3f}")
    if args.output:
        print(f"wrote {api.save_proxy_model(model, args.output)}")
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from pandas.api.types import is_string_dtype

    from ladder.fits.report import write_frame

    model = api.load_proxy_model(args.model)
    out = api.proxy_predict(model, args.records)
    names = [c for c in out.columns if is_string_dtype(out[c])]
    shown = [*names[:4], *([model.target_name_] if model.target_name_ in out else []), "predicted"]
    print(out[shown].head(SHOWN_PREDICTIONS).to_string(float_format=lambda v: f"{v:.3f}"))
    if len(out) > SHOWN_PREDICTIONS:
        print(f"... {len(out)} records")
    if model.target_name_ in out and out[model.target_name_].notna().any():
        known = out.dropna(subset=[model.target_name_])
        error = known["predicted"] - known[model.target_name_].astype(float)
        print(f"RMSE on the {len(known)} records with a target: {math.sqrt((error**2).mean()):.3f}")
    if args.output:
        print(f"wrote {write_frame(out, args.output)}")
    return 0


def run_ladder(args: argparse.Namespace) -> int:
    from ladder.files import write_json

    spec = api.spec(args.config)
    regressors = split(args.regressor, "--regressor")
    if not regressors:
        raise LadderError("--regressor: name at least one")
    result = api.proxy_ladder(
        spec,
        regressors=regressors,
        with_targets=not args.no_target_records,
        n_jobs=args.jobs,
        progress=progress(args),
    )
    shown = result.table.copy()
    labels = {task.name: task.label for task in spec.tasks}
    shown["task"] = shown["task"].map(labels)
    print("Accuracy: actual, two-step law, and leave-one-task-out proxy regressor(s):")
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\nmean absolute error:")
    print(result.errors().to_string(float_format=lambda v: f"{v:.4f}"))
    if args.output:
        document = {
            "table": result.table.to_dict("records"),
            "summary": result.errors().reset_index().to_dict("records"),
            "importances": {k: v.to_dict() for k, v in result.importances.items()},
        }
        print(f"\nwrote {write_json(args.output, document)}")
    return 0
