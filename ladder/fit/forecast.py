"""Forecast one run while it trains: its task loss at later steps and at the end of its schedule
from its checkpoints so far and the ladder's whole curves (pure numerics on frames, no files).

Step 1 is the learning-rate-aware law of whole curves (ladder.laws.lr.LRPowerLaw, Tissue et al.
arXiv 2408.11029), fitted on every fit run's curve but the forecast run's. The run's own points
set its level: its log residual from the law over the last half of what it has observed (steps
in [f/2, f] of its schedule, after the learning rate's peak) is carried to the later steps,
less the bias the ladder's own runs show between the same window and those later fractions of
their schedules (the law misfits every run's early curve alike; that part does not persist).
On the bundled ladder's rungs the run's own early residual, once that shared bias is removed,
barely predicts its end residual (benchmarks/forecast.md); the run's offset pays where the law
extrapolates (a 7B run off a ladder of at most 1B).

Accuracy is step 2's sigmoid fitted on the ladder's checkpoints (as the chained methods do) at
the forecast loss, shifted by the run's own accuracy residual from the sigmoid over the same
window. Intervals are split-conformal (ladder.fit.calibration.calibrate): the same
forecast made for every fit run cut at `fractions` of its steps (the law refitted without it),
ln(forecast / actual) of its end against the distance ln(end step / cut step).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ladder.errors import LadderError
from ladder.fit.calibration import calibrate
from ladder.fit.methods import curve_points, step2_sigmoid
from ladder.fit.points import FeatureFrames, lr_areas, trailing_mean
from ladder.fits.fit import TaskPoints
from ladder.laws.intervals import MIN_DISTANCE, Conformal
from ladder.laws.lr import LRPowerLaw
from ladder.laws.sigmoid import Sigmoid
from ladder.spec.ladder import FitOptions
from ladder.spec.presets import PRESETS

BACKTEST_FRACTIONS = (0.1, 0.25, 0.5)
MIN_CHECKPOINTS = 3  # a run's observed checkpoints below which it cannot be forecast
SMOOTHING = 5  # checkpoints in the trailing mean of a ladder run's residual curve


@dataclass(frozen=True)
class TaskForecast:
    """One task's forecast of a run: `table` has a row per forecast step (step, tokens,
    fraction of the schedule, loss and its interval in the feature's unit, accuracy and its
    interval, the actual loss and accuracy where the run has that checkpoint); `observed`
    the run's checkpoints used (step, tokens, loss, accuracy); `loss_calibration` and
    `accuracy_calibration` the conformal strategies; `backtests` their residuals."""

    task: str
    table: pd.DataFrame
    observed: pd.DataFrame
    loss_calibration: Conformal
    accuracy_calibration: Conformal | None
    backtests: pd.DataFrame


@dataclass(frozen=True)
class RunCurve:
    """A run's rows at every step known or forecast: step, tokens, fraction (step / the
    schedule's last step), the LR-aware law's S1 and R (ladder.fit.points.lr_areas),
    learning_rate, the task's feature and accuracy (NaN where the table has no such
    checkpoint); `observed` marks the rows a forecast may use, the others are forecast (and
    scored where they have values)."""

    name: str
    params: float
    rows: pd.DataFrame

    @property
    def observed(self) -> pd.DataFrame:
        return self.rows[self.rows["observed"]]


def _law(
    points: TaskPoints, frames: FeatureFrames, runs: Sequence[str], opts: FitOptions
) -> LRPowerLaw:
    """The LR-aware law fitted on the runs' whole curves (after each one's LR peak)."""
    x, y, _ = curve_points(points, frames, runs, "lr")
    return LRPowerLaw(huber_delta=opts.huber_delta, n_starts=opts.n_starts, seed=opts.seed).fit(
        x, y
    )


def _law_x(params: float, rows: pd.DataFrame) -> np.ndarray:
    """The LR-aware law's rows (N, S1, R) at a run's rows."""
    inputs = list(LRPowerLaw.inputs[1:])
    return np.column_stack([np.full(len(rows), params), rows[inputs].to_numpy(dtype=float)])


def _residuals(law: LRPowerLaw, params: float, rows: pd.DataFrame) -> np.ndarray:
    return np.log(rows["feature"].to_numpy(dtype=float) / law.predict(_law_x(params, rows)))


def _window(rows: pd.DataFrame, cut: float) -> np.ndarray:
    """The rows in [cut / 2, cut] of the schedule after the learning rate's peak (all observed
    rows after the peak when that window is empty)."""
    fraction = rows["fraction"].to_numpy()
    after = np.arange(len(rows)) >= int(np.argmax(rows["learning_rate"].to_numpy()))
    inside = after & (fraction <= cut) & (fraction >= cut / 2)
    return inside if inside.any() else after & (fraction <= cut)


def _bias(law: LRPowerLaw, curves: dict[str, RunCurve], cut: float, at: np.ndarray) -> np.ndarray:
    """The ladder runs' mean log residual over the window of `cut` less their smoothed log
    residual at the fractions `at`."""
    shifts = []
    for curve in curves.values():
        rows = curve.rows
        rho = _residuals(law, curve.params, rows)
        window = _window(rows, cut)
        if not window.any():
            continue
        smooth = trailing_mean(rho, SMOOTHING)
        shifts.append(rho[window].mean() - np.interp(at, rows["fraction"], smooth))
    return np.mean(shifts, axis=0)


def _forecast_loss(
    law: LRPowerLaw, ladder: dict[str, RunCurve], run: RunCurve, cut: float, ahead: pd.DataFrame
) -> np.ndarray:
    """The run's loss at the rows `ahead`: the law, scaled by the run's own residual over its
    window less the ladder's bias from that window to each fraction."""
    observed = run.observed
    window = _window(observed, cut)
    if not window.any():
        raise LadderError("no checkpoint observed after the learning rate's peak")
    own = _residuals(law, run.params, observed)[window].mean()
    shift = own - _bias(law, ladder, cut, ahead["fraction"].to_numpy())
    return law.predict(_law_x(run.params, ahead)) * np.exp(shift)


def _accuracy(sigmoid: Sigmoid, run: RunCurve, cut: float, loss: np.ndarray) -> np.ndarray:
    """Step 2's accuracy at the forecast losses, shifted by the run's own mean accuracy
    residual from the sigmoid over its window (a large run sits off the ladder's sigmoid)."""
    observed = run.observed
    window = _window(observed, cut) & observed["accuracy"].notna().to_numpy()
    if not window.any():
        return sigmoid.predict(loss)
    feature = observed["feature"].to_numpy(dtype=float)[window]
    shift = np.mean(observed["accuracy"].to_numpy(dtype=float)[window] - sigmoid.predict(feature))
    return sigmoid.predict(loss) + shift


def ladder_curves(
    points: TaskPoints, frames: FeatureFrames, runs: Sequence[str]
) -> dict[str, RunCurve]:
    """The fit runs' whole curves (every checkpoint observed) as RunCurves."""
    areas = frames.curves("lr")
    frame = points.frame[points.frame["run"].isin(runs)].merge(areas, on=["run", "step"])
    curves = {}
    for run, rows in frame.groupby("run", sort=False):
        rows = rows.sort_values("step").reset_index(drop=True)
        rows = rows.assign(fraction=rows["step"] / rows["step"].max(), observed=True)
        curves[run] = RunCurve(run, float(rows["params"].iloc[0]), rows)
    return curves


def _end(rows: pd.DataFrame, column: str, window: int) -> float:
    return float(rows[column].tail(window).mean())


def backtests(
    points: TaskPoints,
    frames: FeatureFrames,
    runs: Sequence[str],
    opts: FitOptions,
    sigmoid: Sigmoid | None,
    fractions: Sequence[float] = BACKTEST_FRACTIONS,
) -> pd.DataFrame:
    """Every fit run cut at each fraction of its steps and its end (the mean over its last
    `opts.final_window` checkpoints) forecast with the law refitted without it: rows (run,
    fraction, distance = ln(1 / fraction), the loss and accuracy forecast, the law's loss
    without the run's points (`law_loss`), the actual ones, log ratios)."""
    curves = ladder_curves(points, frames, runs)
    rows = []
    for run, curve in curves.items():
        others = {name: c for name, c in curves.items() if name != run}
        law = _law(points, frames, list(others), opts)
        end = curve.rows.tail(opts.final_window)
        for fraction in fractions:
            seen = curve.rows.assign(observed=curve.rows["fraction"] <= fraction)
            if seen["observed"].sum() < MIN_CHECKPOINTS:  # the table lacks the curve's start
                continue
            cut = RunCurve(run, curve.params, seen)
            losses = _forecast_loss(law, others, cut, fraction, end)
            loss = float(losses.mean())
            actual = _end(curve.rows, "feature", opts.final_window)
            row = {
                "run": run,
                "fraction": fraction,
                "distance": float(np.log(1 / fraction)),
                "loss": loss,
                "law_loss": float(law.predict(_law_x(curve.params, end)).mean()),
                "actual_loss": actual,
                "log_ratio": float(np.log(loss / actual)),
            }
            if sigmoid is not None:
                accuracy = float(_accuracy(sigmoid, cut, fraction, losses).mean())
                actual = _end(curve.rows, "accuracy", opts.final_window)
                row |= {
                    "accuracy": accuracy,
                    "actual_accuracy": actual,
                    "accuracy_log_ratio": float(np.log(accuracy / actual)),
                }
            rows.append(row)
    return pd.DataFrame(rows)


def _band(calibration: Conformal, predicted: np.ndarray, distance: np.ndarray) -> np.ndarray:
    half = np.array([calibration.half_width(d) for d in distance])
    return np.column_stack([predicted * np.exp(-half), predicted * np.exp(half)])


def forecast_task(
    points: TaskPoints,
    frames: FeatureFrames,
    runs: Sequence[str],
    run: RunCurve,
    cut: float,
    opts: FitOptions,
) -> TaskForecast:
    """Forecast `run` (its rows: observed and to forecast) from its checkpoints up to the
    fraction `cut` of its schedule and the fit runs `runs` (the run itself left out of them);
    intervals at opts.level from the backtests. LadderError with fewer than 3 observed
    checkpoints."""
    observed = run.observed
    if len(observed) < MIN_CHECKPOINTS:
        raise LadderError(
            f"{len(observed)} checkpoint(s) observed; a forecast needs at least {MIN_CHECKPOINTS}"
        )
    fit_runs = [name for name in runs if name != run.name]
    sigmoid = step2_sigmoid(points, PRESETS["lr"], opts) if points.has_accuracy else None
    law = _law(points, frames, fit_runs, opts)
    ahead = run.rows[~run.rows["observed"]]
    loss = _forecast_loss(law, ladder_curves(points, frames, fit_runs), run, cut, ahead)
    residuals = backtests(points, frames, fit_runs, opts, sigmoid)
    if residuals.empty:
        raise LadderError(
            f"no fit run has {MIN_CHECKPOINTS} checkpoints before {max(BACKTEST_FRACTIONS):.0%} "
            "of its steps: the forecast's interval is calibrated on the fit runs cut there, "
            "so the table needs their whole curves"
        )
    loss_calibration = calibrate(residuals, opts.level)
    distance = np.maximum(np.log(ahead["fraction"].to_numpy() / cut), MIN_DISTANCE)
    band = _band(loss_calibration, loss, distance)
    table = pd.DataFrame(
        {
            "step": ahead["step"].to_numpy(),
            "tokens": ahead["tokens"].to_numpy(),
            "fraction": ahead["fraction"].to_numpy(),
            "loss": loss,
            "loss_lower": band[:, 0],
            "loss_upper": band[:, 1],
            "actual_loss": ahead["feature"].to_numpy(dtype=float),
        }
    )
    accuracy_calibration = None
    if sigmoid is not None:
        accuracy = np.clip(_accuracy(sigmoid, run, cut, loss), points.task.chance, 1.0)
        scores = residuals.rename(columns={"log_ratio": "loss_log_ratio"})
        accuracy_calibration = calibrate(
            scores.rename(columns={"accuracy_log_ratio": "log_ratio"}), opts.level
        )
        band = np.clip(_band(accuracy_calibration, accuracy, distance), points.task.chance, 1.0)
        table = table.assign(
            accuracy=accuracy,
            accuracy_lower=band[:, 0],
            accuracy_upper=band[:, 1],
            actual_accuracy=ahead["accuracy"].to_numpy(dtype=float),
        )
    used = observed[["step", "tokens", "feature", "accuracy"]].rename(columns={"feature": "loss"})
    return TaskForecast(
        points.task.name, table, used, loss_calibration, accuracy_calibration, residuals
    )


def run_curve(
    name: str,
    frame: pd.DataFrame,
    end_step: int,
    cut: float,
    rates: tuple[np.ndarray, np.ndarray],
    horizon: int = 8,
) -> RunCurve:
    """The RunCurve of one run from its task rows `frame` (step, tokens, params, feature,
    accuracy; ascending steps): rows up to `cut` x `end_step` observed, the later ones
    forecast (or, with none, `horizon` steps evenly to `end_step`), and always `end_step`;
    `rates` (steps, learning rates) known up to `end_step` and interpolated between (from 0 at
    step 0). LadderError for checkpoints beyond `end_step` or rates that stop short of it."""
    rate_steps, rate_values = (np.asarray(r, dtype=float) for r in rates)
    if len(rate_steps) == 0 or rate_steps[-1] < end_step:
        raise LadderError(
            f"run {name!r}: learning rates are known up to step "
            f"{int(rate_steps[-1]) if len(rate_steps) else 0}, not to its last step {end_step}"
        )
    if frame["step"].max() > end_step:
        raise LadderError(
            f"run {name!r} has checkpoints up to step {int(frame['step'].max())}, beyond its "
            f"schedule's last step {end_step}"
        )
    cut_step = cut * end_step
    if cut_step >= end_step:
        raise LadderError(
            f"run {name!r} is observed to its schedule's last step {end_step}: nothing to "
            "forecast (give --until, or --end-step beyond it)"
        )
    tokens_per_step = float(frame["tokens"].iloc[-1] / max(frame["step"].iloc[-1], 1))
    later = frame["step"] > cut_step
    extra = np.linspace(cut_step, end_step, horizon + 1)[1:] if not later.any() else [end_step]
    missing = [int(s) for s in np.round(extra) if s not in set(frame["step"])]
    rows = pd.concat(
        [
            frame[["step", "tokens", "feature", "accuracy"]],
            pd.DataFrame({"step": missing, "tokens": np.array(missing) * tokens_per_step}),
        ],
        ignore_index=True,
    ).sort_values("step", ignore_index=True)
    grid = np.arange(1, end_step + 1)
    rate = np.interp(grid, np.append(0.0, rate_steps), np.append(0.0, rate_values))
    s1, share = lr_areas(grid, grid * tokens_per_step, rate)  # LRPowerLaw's S1 and R
    at = np.clip(rows["step"].to_numpy(dtype=int), 1, end_step) - 1
    rows = rows.assign(
        fraction=rows["step"] / end_step,
        S1=s1[at],
        R=share[at],
        learning_rate=rate[at],
        observed=rows["step"] <= cut_step,
    )
    return RunCurve(name, float(frame["params"].iloc[0]), rows)
