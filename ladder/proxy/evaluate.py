"""Evaluate the proxy regressor on folds (ladder.proxy.splits), always beside the baseline:
the same regressor, hyperparameter search and folds without the proxy scores (NLPerf).

A fold's test RMSE is the mean over its test parts of each part's RMSE (for leave one
language out: the mean of the source-language and target-language parts, as the paper).
Results are averaged over seeds within a label (a random split's seed, a held-out group, a
direction), then over labels: `rmse` is that mean and `se` its standard error over labels,
std (ddof=1) / sqrt(count). (The paper's published `_se` is the population standard
deviation over seeds, np.std.) Units: the target's (spBLEU points, accuracy, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import root_mean_squared_error
from tqdm import tqdm

from ladder.errors import LadderError
from ladder.proxy.features import FeatureSet
from ladder.proxy.regressor import ProxyRegressor
from ladder.proxy.splits import Fold

MODELS = ("proxy", "baseline")


@dataclass
class Evaluation:
    """One setting and regressor: per fold and model (proxy / baseline) the test RMSE, the
    CV RMSE and the sizes; every test prediction; the proxy models' mean importances."""

    setting: str
    regressor: str
    features: FeatureSet
    folds: pd.DataFrame
    predictions: pd.DataFrame
    importances: pd.Series

    def per_label(self) -> pd.DataFrame:
        """Mean over seeds: one row per (model, label)."""
        numbers = ["rmse", "cv_rmse", "n_train", "n_test"]
        return self.folds.groupby(["model", "label"], sort=False)[numbers].mean().reset_index()

    def metrics(self) -> dict[str, Any]:
        """The headline: per model the mean RMSE over labels and its standard error, the
        mean CV RMSE, and the ratio baseline / proxy (> 1: the proxies help)."""
        labels = self.per_label()
        out: dict[str, Any] = {
            "setting": self.setting,
            "regressor": self.regressor,
            "target": self.features.target,
            "labels": int(labels["label"].nunique()),
            "seeds": int(self.folds["seed"].nunique()),
        }
        for model in MODELS:
            rows = labels[labels["model"] == model]
            count = len(rows)
            se = rows["rmse"].std(ddof=1) / np.sqrt(count) if count > 1 else float("nan")
            out[f"{model}_rmse"] = float(rows["rmse"].mean())
            out[f"{model}_se"] = float(se)
            out[f"{model}_cv_rmse"] = float(rows["cv_rmse"].mean())
        out["ratio"] = out["baseline_rmse"] / out["proxy_rmse"]
        return out

    def to_document(self) -> dict[str, Any]:
        return {
            "summary": self.metrics(),
            "features": {
                "target": self.features.target,
                "proxies": list(self.features.proxies),
                "features": list(self.features.features),
                "baseline": self.features.baseline,
            },
            "folds": self.folds.to_dict("records"),
            "importances": self.importances.to_dict(),
        }


def evaluate(
    folds: Sequence[Fold],
    features: FeatureSet,
    setting: str,
    regressor: str = "xgb",
    grid: str | dict[str, list[Any]] = "default",
    cv_folds: int = 5,
    n_jobs: int = 1,
    progress: bool = False,
) -> Evaluation:
    """Fit the proxy and baseline regressors on every fold's training records and score
    them on its test parts (records already checked with `features.check`)."""
    if not features.baseline:
        raise LadderError("the baseline (the regressor without proxies) needs other features")
    rows, predictions, importances = [], [], []
    models = (("proxy", features.columns), ("baseline", features.baseline))
    bar = tqdm(total=len(folds) * 2, desc=f"{setting} {regressor}", disable=not progress)
    for fold in folds:
        for model, columns in models:
            train = fold.train
            fitted = ProxyRegressor(regressor, grid, cv_folds, fold.seed, n_jobs).fit(
                train[columns], train[features.target]
            )
            if model == "proxy":
                importances.append(fitted.importances())
            errors = []
            for part, test in fold.tests.items():
                predicted = fitted.predict(test)
                actual = test[features.target].to_numpy(dtype=float)
                errors.append(root_mean_squared_error(actual, predicted))
                predictions.append(
                    pd.DataFrame(
                        {
                            "label": fold.label,
                            "seed": fold.seed,
                            "part": part,
                            "model": model,
                            "record": test.index,
                            "actual": actual,
                            "predicted": predicted,
                        }
                    )
                )
            rows.append(
                {
                    "label": fold.label,
                    "seed": fold.seed,
                    "model": model,
                    "rmse": float(np.mean(errors)),
                    "cv_rmse": fitted.cv_rmse_,
                    "n_train": len(train),
                    "n_test": sum(len(t) for t in fold.tests.values()),
                    "params": fitted.best_params_,
                }
            )
            bar.update()
    bar.close()
    mean_importance = pd.concat(importances, axis=1).mean(axis=1).sort_values(ascending=False)
    return Evaluation(
        setting,
        regressor,
        features,
        pd.DataFrame(rows),
        pd.concat(predictions, ignore_index=True),
        mean_importance,
    )
