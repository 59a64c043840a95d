"""The proxy regressor: experiment features (proxy models' scores among them) -> the score of
the model of interest, with its hyperparameters chosen by cross-validation on the training
rows only. A scikit-learn estimator: `fit(X, y)` returns self, `predict(X)`, `score(X, y)`
(R², scikit-learn's convention; the evaluations report RMSE), fitted attributes end in `_`.

Regressors (all from well-kept libraries):
- `xgb`: XGBoost gradient-boosted trees (the paper's best);
- `lgbm`: LightGBM gradient-boosted trees;
- `poly2`, `poly3`: standardized features -> all polynomial terms of degree <= 2 or 3,
  standardized in turn (so that the penalty weighs every term alike) -> ridge regression
  (scikit-learn), the simple baseline.

The grids (GRIDS["default"]) are deliberately small and generic, chosen from the libraries'
documented ranges, not from any one data set (the regressor is judged on records outside
this repository too):
- trees, `n_estimators` 300 or 1000 with `learning_rate` 0.03 or 0.1: the usual trade of
  shrinkage against rounds (0.1 is LightGBM's default and a common XGBoost choice, 0.03 with
  more rounds is the usual slower, smoother setting); together they span about 30 to 100
  "effective" full-step rounds;
- XGBoost `max_depth` 3 or 6 (6 is XGBoost's default; 3 the shallow trees its tuning guide
  suggests for small data), LightGBM `num_leaves` 7 or 31 (31 its default; 7 about as deep
  as a depth-3 tree);
- fixed row and column subsampling of 0.8 for both (the libraries' tuning guides' usual
  regularization against the few hundred to few thousand rows such records have);
- ridge `alpha` 0.1 to 10^4 by decades on standardized terms: from almost no shrinkage to
  almost none of the cubic terms kept (scikit-learn's RidgeCV convention of a log grid).

GRIDS["fast"] is one point of each grid (no search, no CV score): for tests and notebooks;
for the ridge, scikit-learn's default alpha of 1.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import GridSearchCV, KFold, ParameterGrid

from ladder.errors import LadderError
from ladder.spec.config import Config, Float

REGRESSORS = ("xgb", "lgbm", "poly2", "poly3")
SUBSAMPLE = 0.8
GRIDS: dict[str, dict[str, dict[str, list[Any]]]] = {
    "default": {
        "xgb": {"n_estimators": [300, 1000], "learning_rate": [0.03, 0.1], "max_depth": [3, 6]},
        "lgbm": {"n_estimators": [300, 1000], "learning_rate": [0.03, 0.1], "num_leaves": [7, 31]},
        "poly": {"alpha": [0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0]},
    },
    "fast": {
        "xgb": {"n_estimators": [300], "learning_rate": [0.1], "max_depth": [6]},
        "lgbm": {"n_estimators": [300], "learning_rate": [0.1], "num_leaves": [31]},
        "poly": {"alpha": [1.0]},
    },
}
FORMAT = "ladder-proxy-model"


def check_regressor(name: str) -> str:
    """`name` if it is a known regressor, else LadderError listing them."""
    if name not in REGRESSORS:
        raise LadderError(f"unknown regressor {name!r}: choose from {', '.join(REGRESSORS)}")
    return name


def _family(kind: str) -> str:
    return "poly" if kind.startswith("poly") else kind


def _estimator(kind: str, seed: int) -> Any:
    """The unfitted estimator (a Pipeline for the polynomial ridge)."""
    if kind == "xgb":
        from xgboost import XGBRegressor

        return XGBRegressor(
            subsample=SUBSAMPLE, colsample_bytree=SUBSAMPLE, random_state=seed, n_jobs=1
        )
    if kind == "lgbm":
        from lightgbm import LGBMRegressor

        return LGBMRegressor(
            subsample=SUBSAMPLE,
            subsample_freq=1,
            colsample_bytree=SUBSAMPLE,
            importance_type="gain",
            random_state=seed,
            n_jobs=1,
            verbose=-1,
        )
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("terms", PolynomialFeatures(int(kind[-1]), include_bias=False)),
            ("rescale", StandardScaler()),
            ("ridge", Ridge()),
        ]
    )


def _grid_keys(kind: str, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The grid in the estimator's parameter names (the ridge's behind its pipeline step);
    LadderError for a name the estimator does not have."""
    keys = {f"ridge__{k}" if kind.startswith("poly") else k: v for k, v in grid.items()}
    known = _estimator(kind, 0).get_params()
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise LadderError(f"regressor {kind}: no hyperparameter {unknown[0].split('__')[-1]!r}")
    return keys


class ProxyRegressor(RegressorMixin, BaseEstimator):
    """Predict a score from numeric features, choosing hyperparameters by `folds`-fold CV
    (shuffled, seeded) over `grid` (a mapping of lists, or "default"/"fast") on the training
    rows only, then refitting the best on all of them.

    Fitted: `feature_names_in_`, `target_name_`, `best_params_`, `cv_rmse_` (the best
    setting's CV RMSE, in the target's units; NaN without a search), `model_`, and
    `feature_importances_` (summing to 1: gain for the trees; for the polynomial ridge each
    feature's share of the absolute standardized coefficients of the terms it enters).
    """

    def __init__(
        self,
        regressor: str = "xgb",
        grid: str | dict[str, list[Any]] = "default",
        folds: int = 5,
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.regressor = regressor
        self.grid = grid
        self.folds = folds
        self.seed = seed
        self.n_jobs = n_jobs

    def _param_grid(self) -> dict[str, list[Any]]:
        kind = check_regressor(self.regressor)
        if isinstance(self.grid, str):
            if self.grid not in GRIDS:
                raise LadderError(f"unknown grid {self.grid!r}: choose from {', '.join(GRIDS)}")
            grid = GRIDS[self.grid][_family(kind)]
        else:
            grid = self.grid
        if not grid or any(not isinstance(v, list) or not v for v in grid.values()):
            raise LadderError(f"regressor {kind}: the grid needs a non-empty list per setting")
        return _grid_keys(kind, grid)

    def fit(self, X: pd.DataFrame, y: pd.Series | np.ndarray) -> ProxyRegressor:
        """Search the grid by CV on (X, y), refit the best on all rows; returns self."""
        kind = check_regressor(self.regressor)
        grid = self._param_grid()
        values = _matrix(X)
        target = np.asarray(y, dtype=float)
        if len(values) != len(target):
            raise LadderError(f"{len(values)} rows of features but {len(target)} targets")
        if len(values) < max(self.folds, 2):
            raise LadderError(
                f"only {len(values)} training rows: {self.folds}-fold cross-validation needs "
                f"at least {max(self.folds, 2)}"
            )
        if kind.startswith("poly") and np.isnan(values).any():
            raise LadderError(f"regressor {kind} cannot take missing feature values")
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.target_name_ = getattr(y, "name", None)
        estimator = _estimator(kind, self.seed)
        if len(ParameterGrid(grid)) == 1:  # nothing to choose: no search, no CV score
            self.best_params_ = {k: v[0] for k, v in grid.items()}
            if not kind.startswith("poly"):
                estimator.set_params(n_jobs=self.n_jobs)
            self.model_ = estimator.set_params(**self.best_params_).fit(values, target)
            self.cv_rmse_ = float("nan")
        else:
            search = GridSearchCV(
                estimator,
                grid,
                scoring="neg_root_mean_squared_error",
                cv=KFold(self.folds, shuffle=True, random_state=self.seed),
                n_jobs=self.n_jobs,
                error_score="raise",
            )
            search.fit(values, target)
            self.best_params_ = dict(search.best_params_)
            self.model_ = search.best_estimator_
            self.cv_rmse_ = float(-search.best_score_)
        self.best_params_ = {k.split("__")[-1]: _plain(v) for k, v in self.best_params_.items()}
        self.feature_importances_ = _importances(self.model_, kind, self.n_features_in_)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted scores for the rows of X (which must have the training columns)."""
        if not hasattr(self, "model_"):
            raise LadderError("the proxy regressor is not fitted")
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise LadderError(f"the records lack the model's feature column {missing[0]!r}")
        values = _matrix(X[list(self.feature_names_in_)])
        if self.regressor.startswith("poly") and np.isnan(values).any():
            raise LadderError(f"regressor {self.regressor} cannot take missing feature values")
        return np.asarray(self.model_.predict(values), dtype=float)

    def importances(self) -> pd.Series:
        """Feature importances by name, largest first."""
        series = pd.Series(self.feature_importances_, index=list(self.feature_names_in_))
        return series.sort_values(ascending=False)

    def to_document(self) -> dict[str, Any]:
        """The fitted model as plain JSON data: the library's own model format (XGBoost JSON,
        LightGBM text) or the ridge's scaler and coefficients; no pickle."""
        return {
            "format": FORMAT,
            "version": 1,
            "regressor": self.regressor,
            "features": list(self.feature_names_in_),
            "target": self.target_name_,
            "params": self.best_params_,
            "cv_rmse": self.cv_rmse_,
            "importances": dict(
                zip(self.feature_names_in_, self.feature_importances_.tolist(), strict=True)
            ),
            "model": _dump(self.model_, self.regressor),
        }

    @classmethod
    def from_document(cls, document: Any, where: str = "proxy model") -> ProxyRegressor:
        """A fitted regressor from `to_document`'s data (validated; LadderError naming
        `where` for anything else)."""
        doc = ModelDocument.parse(document, where)
        self = cls(regressor=doc.regressor)
        self.feature_names_in_ = np.asarray(doc.features, dtype=object)
        self.n_features_in_ = len(doc.features)
        self.target_name_ = doc.target
        self.best_params_ = doc.params
        self.cv_rmse_ = float("nan") if doc.cv_rmse is None else doc.cv_rmse
        self.feature_importances_ = np.array([doc.importances.get(f, 0.0) for f in doc.features])
        try:
            self.model_ = _load(doc.model, doc.regressor, len(doc.features))
        except (ValueError, TypeError, KeyError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            message = f"{where}: the {doc.regressor} model cannot be read ({first})"
            raise LadderError(message) from None
        return self


class ModelDocument(Config):
    """A saved proxy model (see ProxyRegressor.to_document)."""

    format: Literal["ladder-proxy-model"]
    version: Literal[1]
    regressor: Literal["xgb", "lgbm", "poly2", "poly3"]
    features: list[str]
    target: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    cv_rmse: Float | None = None
    importances: dict[str, Float] = Field(default_factory=dict)
    model: Any


def _matrix(X: pd.DataFrame) -> np.ndarray:
    """The feature values as floats (NaN where missing)."""
    return X.to_numpy(dtype=float, na_value=np.nan)


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers (for JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def _importances(model: Any, kind: str, n_features: int) -> np.ndarray:
    if kind.startswith("poly"):
        powers = model.named_steps["terms"].powers_
        weight = np.abs(model.named_steps["ridge"].coef_)[:, None] * powers
        raw = weight.sum(axis=0)
    else:
        raw = np.asarray(model.feature_importances_, dtype=float)
    total = raw.sum()
    return raw / total if total > 0 else np.zeros(n_features)


def _dump(model: Any, kind: str) -> Any:
    if kind == "xgb":
        return json.loads(model.get_booster().save_raw("json").decode("utf-8"))
    if kind == "lgbm":
        return model.booster_.model_to_string()
    steps = model.named_steps
    return {
        "mean": steps["scale"].mean_.tolist(),
        "scale": steps["scale"].scale_.tolist(),
        "terms_mean": steps["rescale"].mean_.tolist(),
        "terms_scale": steps["rescale"].scale_.tolist(),
        "coef": steps["ridge"].coef_.tolist(),
        "intercept": float(steps["ridge"].intercept_),
    }


def _load(payload: Any, kind: str, n_features: int) -> Any:
    """A predictor (an object with .predict(array)) from `_dump`'s payload."""
    if kind == "xgb":
        from xgboost import XGBRegressor

        if not isinstance(payload, dict):
            raise TypeError("expected XGBoost's JSON model")
        model = XGBRegressor()
        model.load_model(bytearray(json.dumps(payload).encode("utf-8")))
        if model.get_booster().num_features() != n_features:
            raise ValueError(f"the model has {model.get_booster().num_features()} features")
        return model
    if kind == "lgbm":
        import lightgbm

        if not isinstance(payload, str):
            raise TypeError("expected LightGBM's text model")
        booster = lightgbm.Booster(model_str=payload)
        if booster.num_feature() != n_features:
            raise ValueError(f"the model has {booster.num_feature()} features")
        return booster
    return _load_poly(payload, kind, n_features)


def _load_poly(payload: Any, kind: str, n_features: int) -> Any:
    pipeline = _estimator(kind, 0)
    terms, ridge = pipeline.named_steps["terms"], pipeline.named_steps["ridge"]
    terms.fit(np.zeros((1, n_features)))
    n_terms = terms.n_output_features_
    _set_scaler(pipeline.named_steps["scale"], payload["mean"], payload["scale"], n_features)
    _set_scaler(
        pipeline.named_steps["rescale"], payload["terms_mean"], payload["terms_scale"], n_terms
    )
    coef = np.asarray(payload["coef"], dtype=float)
    if coef.shape != (n_terms,):
        raise ValueError(f"{coef.size} coefficients for {n_terms} terms")
    ridge.coef_, ridge.intercept_ = coef, float(payload["intercept"])
    ridge.n_features_in_ = n_terms
    return pipeline


def _set_scaler(scaler: Any, mean: Any, scale: Any, size: int) -> None:
    """A fitted StandardScaler's state from its saved mean and scale."""
    mean, scale = np.asarray(mean, dtype=float), np.asarray(scale, dtype=float)
    if mean.shape != (size,) or scale.shape != (size,):
        raise ValueError(f"a scaler of {mean.size} values where {size} are needed")
    scaler.mean_, scaler.scale_, scaler.var_ = mean, scale, scale**2
    scaler.n_features_in_, scaler.n_samples_seen_ = size, 1
