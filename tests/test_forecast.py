"""`ladder forecast` (issue 22): a run's end forecast from its early checkpoints recovers a
synthetic law's end where the ladder's law alone misses it, the interval is the conformal
quantile of the ladder's backtests, and bad input is one line with exit status 2."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import MULTIPLIERS, SIZES
from matplotlib.image import imread

from ladder import api
from ladder.cli import main
from ladder.figures.forecast import plot_forecast
from ladder.fit.calibration import calibrate
from ladder.fit.forecast_runs import Forecast
from ladder.fit.points import lr_areas
from ladder.runs.rates import RateSchedule

TOKENS_PER_STEP = 2e7
TRUTH = {"E": 0.5, "A": np.exp(4.0), "alpha": 0.3, "B": np.exp(5.0), "beta": 0.25, "C": 0.3}
BIG = (6e9, 20)  # the forecast run: N and its multiplier, beyond the ladder
OFF = 1.03  # the big run's loss is 3% above the law (an extrapolation error)
FIT_RUNS = [f"{n / 1e6:.0f}M-{m}xC" for n in SIZES[:3] for m in MULTIPLIERS[:3]]


def cosine(steps: int, floor: float = 0.1) -> np.ndarray:
    """The relative learning rate of a cosine run with 1% warm-up at steps 1..steps."""
    t, warmup = np.arange(1, steps + 1), max(steps // 100, 1)
    decay = floor + (1 - floor) * 0.5 * (1 + np.cos(np.pi * (t - warmup) / (steps - warmup)))
    return np.where(t <= warmup, t / warmup, decay)


def law(n: float, s1: np.ndarray, share: np.ndarray) -> np.ndarray:
    p = TRUTH
    return p["E"] + p["A"] / n ** p["alpha"] + p["B"] / s1 ** p["beta"] - p["C"] * share


def run_rows(name: str, n: float, multiplier: float, rng, scale: float = 1.0) -> pd.DataFrame:
    """40 checkpoints of a cosine run whose task loss follows the law (x `scale`, 0.2% noise)
    and whose accuracy is a sigmoid of it."""
    steps = int(20 * multiplier * n / TOKENS_PER_STEP)
    rate = cosine(steps)
    at = np.linspace(steps / 40, steps, 40).round().astype(int)
    s1, share = lr_areas(at, at * TOKENS_PER_STEP, rate[at - 1])
    loss = scale * law(n, s1, share) * np.exp(rng.normal(0, 0.002, len(at)))
    accuracy = 0.25 + 0.75 / (1 + np.exp(8 * (loss - 1.0)))
    return pd.DataFrame(
        {
            "run": name,
            "params": int(n),
            "tokens": (at * TOKENS_PER_STEP).astype(int),
            "step": at,
            "learning_rate": 3e-4 * rate[at - 1],
            "task": "synth",
            "task_loss": loss,
            "accuracy": accuracy,
        }
    )


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> str:
    rng = np.random.default_rng(0)
    parts = [
        run_rows(f"{n / 1e6:.0f}M-{m}xC", n, m, rng) for n in SIZES[:3] for m in MULTIPLIERS[:3]
    ]
    parts.append(run_rows("big", *BIG, rng, scale=OFF))
    path = tmp_path_factory.mktemp("forecast") / "synthetic.parquet"
    pd.concat(parts, ignore_index=True).to_parquet(path)
    return str(path)


@pytest.fixture(scope="module")
def forecast(synthetic) -> Forecast:
    spec, table = api.table_spec(synthetic, FIT_RUNS, tasks=["synth"], chance={"synth": 0.25})
    return api.forecast(spec, "big", 0.25, data=table)


def test_forecast_recovers_the_end_the_ladder_law_misses(forecast):
    result = forecast.tasks["synth"]
    end = result.table.iloc[-1]
    assert forecast.cut_step == pytest.approx(0.25 * forecast.end_step, rel=0.03)
    assert end["step"] == forecast.end_step
    # The run's own residual carries its 3% offset; the 0.2% noise over ~5 checkpoints and the
    # law's refit leave well under 1% (the law alone, fitted on the ladder, is ~3% low).
    assert end["loss"] == pytest.approx(end["actual_loss"], rel=0.01)
    grid = np.arange(1, int(end["step"]) + 1)
    s1, share = lr_areas(grid, grid * TOKENS_PER_STEP, cosine(len(grid)))
    assert end["loss"] / law(BIG[0], s1[-1], share[-1]) == pytest.approx(OFF, abs=0.012)
    assert end["accuracy"] == pytest.approx(end["actual_accuracy"], abs=0.01)
    assert end["loss_lower"] <= end["actual_loss"] <= end["loss_upper"]


def test_interval_is_the_conformal_quantile_of_the_backtests(forecast):
    result = forecast.tasks["synth"]
    backtests = result.backtests
    assert sorted(backtests["fraction"].unique()) == [0.1, 0.25, 0.5]
    assert len(backtests) == 3 * len(FIT_RUNS)
    expected = calibrate(backtests, 0.95)
    assert result.loss_calibration.quantile == pytest.approx(expected.quantile)
    scores = np.sort(backtests["log_ratio"].abs() / backtests["distance"] ** expected.gamma)
    rank = int(np.ceil((len(scores) + 1) * 0.95)) - 1
    assert expected.quantile == pytest.approx(scores[min(rank, len(scores) - 1)])
    end = result.table.iloc[-1]
    half = expected.quantile * np.log(1 / 0.25) ** expected.gamma
    assert np.log(end["loss_upper"] / end["loss"]) == pytest.approx(half, rel=0.02)


def test_cli_prints_the_forecast_and_writes_json_and_a_figure(synthetic, tmp_path, capsys):
    out, plots = tmp_path / "f.json", tmp_path / "plots"
    args = ["forecast", synthetic, "--fit-runs", ",".join(FIT_RUNS), "--tasks", "synth"]
    args += ["--run", "big", "--until", "0.5", "-o", str(out), "--output-dir", str(plots), "-q"]
    assert main([*args, "--width", "column", "--formats", "png"]) == 0
    text = capsys.readouterr().out
    assert "forecast of big: checkpoints to step 60000 of 120000 (50%)" in text
    document = json.loads(out.read_text())
    assert document["tasks"]["synth"]["forecast"][-1]["step"] == document["end_step"] == 120000
    assert [p.name for p in plots.iterdir()] == ["forecast-big.png"]
    assert imread(plots / "forecast-big.png").shape[1] == 990  # 3.3 in at 300 dpi


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--run", "nope"], "nope"),
        (["--run", "big", "--until", "0.04"], "a forecast needs at least 3"),
        (["--run", "big", "--until", "1.5"], "--until 1.5"),
        (["--run", "big", "--end-step", "100"], "beyond its schedule's last step 100"),
        (["--run", "big"], "nothing to forecast"),
    ],
)
def test_cli_bad_input_is_one_line(synthetic, capsys, extra, message):
    args = ["forecast", synthetic, "--fit-runs", ",".join(FIT_RUNS), "--tasks", "synth", "-q"]
    assert main([*args, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ladder forecast: error: ") and "\n" not in err and message in err


def test_cli_without_learning_rates_is_one_line(synthetic, tmp_path, capsys):
    table = pd.read_parquet(synthetic)
    table.loc[table["run"] == "big", "learning_rate"] = np.nan
    path = tmp_path / "no-rates.parquet"
    table.to_parquet(path)
    args = ["forecast", str(path), "--fit-runs", ",".join(FIT_RUNS), "--run", "big", "-q"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ladder forecast: error: no learning rates known") and "\n" not in err


def test_help_has_examples(capsys):
    assert main(["forecast", "--help"]) == 0
    text = capsys.readouterr().out
    assert "ladder forecast --run 7B-4T --until 0.25" in text and "--end-step" in text


def test_cosine_rates_warm_up_and_decay_to_the_floor():
    """The spec's cosine train schedule as forecast stands it in: warm-up steps, then a cosine
    to the floor at the end step (OLMo-core's CosWithWarmup)."""
    cosine = RateSchedule("cosine", warmup=100, floor=0.1, steps=1000)
    rates = cosine.rates([0, 50, 100, 550, 1000], 1000)
    assert rates == pytest.approx([0.0, 0.5, 1.0, 0.55, 0.1])


def test_bundled_target_forecast_from_a_quarter_of_its_steps(capsys):
    """7B-4T's PIQA from its checkpoints to 25% of its steps, the spec's cosine standing in for
    its unlogged learning rates: 1.5% from its actual end (benchmarks/forecast.md)."""
    args = ["forecast", "--run", "7B-4T", "--until", "0.25", "--tasks", "piqa", "-q"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "to step 235000 of 940577" in text and "cosine, 1642 warm-up steps" in text
    end = text.strip().splitlines()[-1].split()
    assert end[:2] == ["PIQA", "940577"]  # the task's label; accuracy in points
    forecast, actual = float(end[6]), float(end[-1])
    assert actual == pytest.approx(82.0, abs=0.1)
    assert forecast == pytest.approx(actual, rel=0.025)


def test_fit_sets_a_targets_forecast_from_its_checkpoints(tmp_path):
    """`ladder fit --target-checkpoints 0.25`: 13B-5T's forecast part, as `ladder forecast`
    gives it (benchmarks/forecast.md), kept by the fit's document."""
    spec = api.spec().with_fit(method="paper", bootstrap=0, target_checkpoints=0.25)
    spec = spec.with_tasks(["piqa"])
    fit = api.fit(spec.replace(targets=[t for t in spec.targets if t.name == "13B-5T"]))
    p = fit.tasks["piqa"].predictions["13B-5T"]
    assert p.forecast.predicted == pytest.approx(0.821, abs=0.002)
    assert p.forecast.actual == p.chained.actual == pytest.approx(0.830, abs=1e-3)
    assert p.forecast.lower < p.forecast.predicted < p.forecast.upper
    again = api.load_fit(api.save_fit(fit, tmp_path / "fit.json"))
    assert again.tasks["piqa"].predictions["13B-5T"].forecast == p.forecast


def test_figure_leaves_out_step_0_and_titles_by_display_name(forecast):
    """Step 0 (no place on a log axis) stretched the accuracy axis down to chance."""
    synth = forecast.tasks["synth"]
    start = synth.observed.iloc[:1].assign(step=0, tokens=0, accuracy=0.0)
    observed = pd.concat([start, synth.observed])
    fig = plot_forecast({"synth": replace(synth, observed=observed)}, "big", labels={"synth": "S"})
    low = min(observed["accuracy"].iloc[1:].min(), synth.table["accuracy_lower"].min())
    assert fig.axes[0].get_ylim()[0] > low - 0.1
    assert fig.axes[0].get_title() == "S"
