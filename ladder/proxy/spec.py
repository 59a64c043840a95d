"""ProxySpec: what `ladder proxy` reads from a small YAML file (or from flags): the records,
the columns, the regressor and the evaluation settings. Paths are relative to the file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from ladder.proxy.features import FeatureSet
from ladder.spec.config import Config, Float, Int, PositiveInt
from ladder.spec.train import resolve_path

Regressor = Literal["xgb", "lgbm", "poly2", "poly3"]


class ProxySpec(Config):
    """The records and columns of a proxy regressor, and how it is searched and evaluated."""

    records: Path | None = None
    """The experiment records (CSV or Parquet), one row per past experiment."""
    test_records: Path | None = None
    """Records of another data set, for the cross-data-set setting (train on `records`)."""
    target: str = Field(min_length=1)
    """The column to predict: the score of the model of interest."""
    proxies: tuple[str, ...] = Field(min_length=1)
    """The proxy models' score columns."""
    features: tuple[str, ...] = ()
    """Other numeric feature columns (of the task, the data, the language)."""
    baseline_features: tuple[str, ...] | None = None
    """The baseline's columns (default: `features`), e.g. NLPerf's."""
    regressors: tuple[Regressor, ...] = ("xgb",)
    """xgb, lgbm, poly2, poly3; `fit` uses the first."""
    grid: Literal["default", "fast"] | dict[str, list[Any]] = "default"
    """The hyperparameter grid: a named one (ladder.proxy.regressor.GRIDS) or lists by name."""
    folds: Annotated[PositiveInt, Field(ge=2)] = 5
    """Cross-validation folds of the hyperparameter search (on the training records)."""
    seeds: PositiveInt = 5
    """Repeats: random splits, or regressor seeds in the other settings."""
    seed: Int = 0
    """The first seed; repeat i uses seed + i."""
    test_fraction: Annotated[Float, Field(gt=0.0, lt=1.0)] = 0.3
    """Random split: the share of records held out for testing."""
    stratify: str | None = None
    """Random split: a column whose values keep their shares in both parts."""
    groups: tuple[str, ...] = ()
    """Group columns for leave-one-group-out and unseen (e.g. source_lang, target_lang)."""
    unseen: tuple[str, ...] = ()
    """Unseen setting: the group values held out (e.g. languages a model never saw)."""

    @field_validator("records", "test_records", mode="after")
    @classmethod
    def _relative_to_spec(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else resolve_path(value, info)

    def feature_set(self) -> FeatureSet:
        return FeatureSet(self.target, self.proxies, self.features, self.baseline_features)

    def seed_list(self) -> list[int]:
        return list(range(self.seed, self.seed + self.seeds))

    def source_name(self) -> str:
        return "proxy spec"
