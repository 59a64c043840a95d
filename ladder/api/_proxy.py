"""The proxy verbs' API: ProxyLM regressors on records, and the ladder's runs as proxies."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ladder.api._fit import REPO, fit, table
from ladder.errors import LadderError
from ladder.spec.ladder import LadderSpec

if TYPE_CHECKING:
    import pandas as pd

    from ladder.proxy.evaluate import Evaluation
    from ladder.proxy.regressor import ProxyRegressor
    from ladder.proxy.spec import ProxySpec
    from ladder.proxy.task_records import ProxyLadder


DEFAULT_PROXY_SPEC = Path("configs/proxy-mt560.yaml")


def proxy_spec(
    config: str | Path | None = None, records: str | Path | None = None, **overrides: Any
) -> ProxySpec:
    """The proxy spec: the YAML `config` (default, without `records`: the bundled ProxyLM
    MT560 records, configs/proxy-mt560.yaml), `records` and the other keys given replacing
    its own (a spec from flags alone when there is no config)."""
    from ladder.proxy.spec import ProxySpec
    from ladder.spec.config import load_yaml

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
    from ladder.proxy.records import read_records

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
    from ladder.proxy.records import read_records

    table = read_records(records)
    features = list(model.feature_names_in_)
    checked = check_records(table, features, None, str(records))
    return table.assign(predicted=model.predict(checked))


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
    from ladder.proxy.task_records import beside_two_step

    data = table(spec) if data is None else data
    two_step = fit(spec.with_fit(bootstrap=0), data, workers=1)  # points need no bootstrap
    return beside_two_step(data, spec, two_step, regressors, with_targets, grid, n_jobs, progress)
