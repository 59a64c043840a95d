"""The Python API: one function per `ladder` verb, in modules mirroring `ladder.cli` (fit,
predict, analyses, data, train, collect, proxy, proxy_tuning). The command line only parses
arguments, calls one of these and prints; notebooks call the same functions, so the two cannot
drift apart.

Every function takes Python values (a LadderSpec, a DataFrame, paths), resolves the verb's
defaults in one place, and returns a result object; errors are LadderError (one line).
Units: N in parameters, D in tokens, task loss in bits per byte, accuracy as a fraction.
"""

from ladder.api._analyses import (
    BACKTEST_BOOTSTRAP,
    BACKTEST_KINDS,
    NOISE_LAST_N,
    Backtest,
    backtest,
    benchmark,
    check_formats,
    compute_vs_error,
    corpus_paths,
    figure_tasks,
    fit_spec_with_data,
    ladder_rungs,
    noise,
    plot,
    report,
    save_benchmark,
    save_compute_vs_error,
)
from ladder.api._collect import (
    COLLECT_LAUNCHERS,
    SLURM_SHARDS,
    CollectResult,
    EvalSettings,
    collect,
)
from ladder.api._data import (
    import_observations,
    prepare_data,
    write_family_ladders,
)
from ladder.api._fit import (
    DEFAULT_SPEC,
    REPO,
    default_spec_path,
    fit,
    fits_home,
    load_fit,
    observations_for,
    save_fit,
    spec,
    spec_and_table,
    table,
    table_name,
    table_spec,
)
from ladder.api._forecast import (
    forecast,
    save_forecast_figure,
)
from ladder.api._predict import (
    allocate,
    compare,
    grid,
    predict,
)
from ladder.api._proxy import (
    DEFAULT_PROXY_SPEC,
    load_proxy_model,
    proxy_evaluate,
    proxy_fit,
    proxy_ladder,
    proxy_predict,
    proxy_records,
    proxy_spec,
    save_proxy_model,
)
from ladder.api._proxy_tuning import (
    ProxyStudyResult,
    proxy_generate,
    proxy_score,
    proxy_study,
    tune,
)
from ladder.api._train import (
    TrainResult,
    train,
)

__all__ = [
    "BACKTEST_BOOTSTRAP",
    "BACKTEST_KINDS",
    "COLLECT_LAUNCHERS",
    "DEFAULT_PROXY_SPEC",
    "DEFAULT_SPEC",
    "NOISE_LAST_N",
    "REPO",
    "SLURM_SHARDS",
    "Backtest",
    "CollectResult",
    "EvalSettings",
    "ProxyStudyResult",
    "TrainResult",
    "allocate",
    "backtest",
    "benchmark",
    "check_formats",
    "collect",
    "compare",
    "compute_vs_error",
    "corpus_paths",
    "default_spec_path",
    "figure_tasks",
    "fit",
    "fit_spec_with_data",
    "fits_home",
    "forecast",
    "grid",
    "import_observations",
    "ladder_rungs",
    "load_fit",
    "load_proxy_model",
    "noise",
    "observations_for",
    "plot",
    "predict",
    "prepare_data",
    "proxy_evaluate",
    "proxy_fit",
    "proxy_generate",
    "proxy_ladder",
    "proxy_predict",
    "proxy_records",
    "proxy_score",
    "proxy_spec",
    "proxy_study",
    "report",
    "save_benchmark",
    "save_compute_vs_error",
    "save_fit",
    "save_forecast_figure",
    "save_proxy_model",
    "spec",
    "spec_and_table",
    "table",
    "table_name",
    "table_spec",
    "train",
    "tune",
    "write_family_ladders",
]
