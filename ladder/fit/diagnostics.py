"""Diagnostics: no number is silently untrustworthy. Each check returns warnings (a dict with
`task`, `target` (None: about the task's laws), `check` and a one-line `message`) that the
printed report marks and the fit file lists.

Checks and thresholds:
- design: every fit run at one tokens-per-parameter ratio, one D or one N: the N and D terms
  of a law in (N, D) cannot be told apart (one D: the whole-curve laws are the remedy, with
  the runs' schedule named when the table has no learning rates);
- trend: the fit runs' final accuracy does not rise with compute, or their task loss does not
  fall (one-sided Spearman test, p above TREND_P): a law fitted to them extrapolates noise;
- bounds: an exponent, a coefficient or the sigmoid's slope at a bound of its range (the law
  wanted to go further; a floor E at 0 and the sigmoid's limits a, b are natural and allowed);
- ceiling: for a prediction resting on one method, step 2's sigmoid with its ceiling b
  (accuracy as the task loss -> 0) held at its bound 1 by the ideal point (loss 0, accuracy 1),
  where step 2 refitted without that point predicts a target outside the interval (without
  intervals: more than ANCHOR_POINTS away): a task that tops out below 100% is predicted
  high with an interval that misses (`--no-anchor` fits without the point);
- stderr: for a prediction resting on one law, an exponent whose standard error exceeds
  REL_STDERR x its value (an ensemble is judged by its rollout backtests instead);
- far: a target beyond FAR_COMPUTE x the largest fit run's compute, FAR_PARAMS x its N, or
  FAR_RATIO x the fit runs' tokens-per-parameter range (ladder.fits.distance, which `ladder
  predict` shares);
- noise: the predicted change from the largest fit run to the target is within NOISE_RATIO x
  the task's checkpoint-to-checkpoint accuracy noise;
- interval: an interval that does not contain its own prediction;
- calibration: a calibrated interval resting on fewer of the ladder's own rollout residuals
  than its level needs (ceil(level / (1 - level)): 19 at 95%), the rest being the benchmark
  corpus's prior: its width is the corpus's error against distance, not this ladder's;
- window: a fit run with fewer evaluations than the final window averages (but more than
  one: a table of final checkpoints has one, which is said as "final only");
- final only: step 2 fitted on one point per run (a table of final checkpoints);
- loss only: a task without accuracy predicts its task loss (by step 1 alone, fitted apart
  from the tasks with accuracy);
- chance: a chance accuracy assumed (0.25) for a task of no known family.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ladder.fit.calibrated import CHOOSING
from ladder.fit.methods import step2_sigmoid
from ladder.fits.distance import far_message, warning
from ladder.fits.fit import TASK_LOSS, LadderFit, TaskFit
from ladder.laws.flops import training_flops
from ladder.laws.intervals import Conformal
from ladder.laws.predictors import Ensemble, primary
from ladder.spec.ladder import LadderSpec
from ladder.spec.presets import PRESETS

REL_STDERR = 1.0
BOUNDED = ("alpha", "beta", "ln_A", "ln_B", "k")  # parameters whose bounds are not natural limits
NOISE_RATIO = 2.0
ANCHOR_POINTS = 0.01  # without intervals: the ideal point moving a prediction this much
TREND_P = 0.01  # a trend with compute at least this significant (one-sided Spearman test)
SAME = 0.01  # two tokens-per-parameter ratios within 1% are the same


def loss_only(fit: TaskFit, asked: str, mixed: bool) -> list[dict[str, Any]]:
    """Why a task without accuracy is predicted otherwise than asked: its task loss, by a
    method of step 1 alone (`asked` another), fitted apart from the tasks with accuracy
    (`mixed`)."""
    if fit.metric != TASK_LOSS or not (mixed or asked not in (*CHOOSING, fit.method)):
        return []
    apart = "; fitted apart from the tasks with accuracy" if mixed else ""
    return [
        warning(
            fit.task.name,
            "loss only",
            f"the table has no accuracy for it: its task loss (bits per byte) is predicted, "
            f"with {fit.method}{apart}",
        )
    ]


def design(fit: TaskFit) -> list[dict[str, Any]]:
    """Whether the fit runs can tell N and D apart, and whether they show a trend."""
    points, name = fit.points.final, fit.task.name
    n = points["params"].to_numpy(dtype=float)
    d = points["tokens"].to_numpy(dtype=float)
    out = []
    ratio = d / n
    if np.ptp(np.log(ratio)) < np.log1p(SAME):
        out.append(
            warning(
                name,
                "design",
                f"every fit run has {ratio[0]:.3g} tokens per parameter: a law in (N, D) cannot "
                "tell N from D (use runs at several multipliers, or the FLOPs form)",
            )
        )
    for column, values in (("N", n), ("D", d)):
        if np.ptp(np.log(values)) < np.log1p(SAME):
            remedy = same_d_remedy(fit) if column == "D" else ""
            out.append(warning(name, "design", f"every fit run has the same {column}{remedy}"))
    compute = training_flops(n, d)
    for column, rising in (("accuracy", True), ("task_loss", False)):
        values = points[column].to_numpy(dtype=float)
        if not np.isfinite(values).all():
            continue
        if len(values) < 3 or np.ptp(values) == 0:
            rho, p = 0.0, 1.0
        else:
            test = stats.spearmanr(compute, values, alternative="greater" if rising else "less")
            rho, p = float(test.statistic), float(test.pvalue)
        if p > TREND_P:
            what = "rise" if rising else "fall"
            out.append(
                warning(
                    name,
                    "trend",
                    f"the fit runs' final {column} does not {what} with compute (Spearman rho "
                    f"{rho:+.2f}, one-sided p {p:.2g}): a law fitted to them extrapolates noise",
                )
            )
    evaluations = points.get("evaluations", pd.Series(dtype=float))
    window = fit.points.window
    short = points.loc[(evaluations < window) & (evaluations > 1), "run"]
    if len(short):
        out.append(
            warning(
                name,
                "window",
                f"fit run(s) {', '.join(short)} have fewer than final_window = {window} "
                "evaluations: their final points average all they have",
            )
        )
    if (evaluations == 1).all() and fit.points.has_accuracy:
        out.append(
            warning(
                name,
                "final only",
                "one evaluation per fit run: step 2 is fitted on the runs' final points only",
            )
        )
    return out


def same_d_remedy(fit: TaskFit) -> str:
    """What to do when every fit run has the same D: the whole-curve laws (which see D vary
    along each run) when the runs' learning rates are known, else naming their schedule."""
    if any(law.per_token for law in fit.predictor.laws().values()):
        return ": the whole-curve law sees D vary along each run's checkpoints"
    frame = fit.points.frame
    known = frame is not None and frame.get("learning_rate", pd.Series()).notna().any()
    remedy = "" if known else "name the runs' schedule (--schedule, e.g. cosine:warmup=0.01) and "
    return (
        ": a law in (N, D) on final points cannot tell D's term from its floor; "
        f"{remedy}fit every checkpoint with --method multipower or lr"
    )


def laws(fit: TaskFit) -> list[dict[str, Any]]:
    """Parameters the fit pushed to a bound that is not a natural limit (an exponent at 0: no
    trend; a coefficient at its bound; a flat sigmoid), and, for a prediction resting on one
    law (not an ensemble), exponents whose standard error exceeds REL_STDERR x the value."""
    out = []
    alone = not isinstance(fit.predictor, Ensemble)
    for key, law in fit.headline_laws().items():
        if not hasattr(law, "at_bounds"):
            continue
        bounded = [p for p in law.at_bounds() if p.startswith(BOUNDED)]
        if bounded:
            out.append(
                warning(
                    fit.task.name,
                    "bounds",
                    f"{key}: {', '.join(bounded)} at the bound of its range",
                )
            )
        loose = [
            name
            for name, value in law.params_.items()
            if alone
            and name.startswith(("alpha", "beta"))
            and value > 0
            and law.stderr_.get(name, np.nan) > REL_STDERR * value
        ]
        if loose:
            out.append(
                warning(
                    fit.task.name,
                    "stderr",
                    f"{key}: {', '.join(loose)} not pinned down (standard error above "
                    f"{REL_STDERR:.0%} of the value)",
                )
            )
    return out


def targets(fit: TaskFit, noise: float | None) -> list[dict[str, Any]]:
    """Targets far beyond the fit runs, predictions within the noise, intervals that miss
    their own point."""
    points, name, out = fit.points.final, fit.task.name, []
    largest = points.iloc[int(np.argmax(training_flops(points["params"], points["tokens"])))]
    for target_name, p in fit.predictions.items():
        far = far_message(points, p.target.params, p.target.tokens)
        if far is not None:
            out.append(warning(name, "far", far, target_name))
        e = p.headline
        if not (e.lower <= e.predicted <= e.upper) and np.isfinite([e.lower, e.upper]).all():
            out.append(
                warning(
                    name, "interval", "the interval does not contain the prediction", target_name
                )
            )
        if p.chained is not None and noise:
            change = abs(p.chained.predicted - float(largest["accuracy"]))
            if change < NOISE_RATIO * noise:
                out.append(
                    warning(
                        name,
                        "noise",
                        f"the predicted gain over the largest fit run ({100 * change:.2g} points) "
                        f"is within {NOISE_RATIO:g}x the checkpoint noise ({100 * noise:.2g} "
                        "points)",
                        target_name,
                    )
                )
    return out


def residuals_needed(level: float) -> int:
    """The fewest residuals whose split-conformal quantile at `level` is finite."""
    return math.ceil(level / (1 - level) - 1e-9)


def calibration(fit: TaskFit) -> list[dict[str, Any]]:
    """A calibrated interval that rests mostly on the corpus's prior."""
    c = fit.intervals
    if not isinstance(c, Conformal) or c.n >= residuals_needed(c.level):
        return []
    return [
        warning(
            fit.task.name,
            "calibration",
            f"the {c.level:.0%} interval rests on {c.n} rollout residuals of this ladder "
            f"(it needs {residuals_needed(c.level)}) and {c.prior} of the benchmark corpus: "
            "its width is the corpus's error against distance, not this ladder's",
        )
    ]


def chance(fit: TaskFit) -> list[dict[str, Any]]:
    """A chance accuracy that nobody gave and no task family told."""
    task = fit.task
    if task.chance_from != "assumed" or fit.metric != "accuracy":
        return []
    return [
        warning(
            task.name,
            "chance",
            f"chance accuracy {task.chance:g} assumed (unknown task family): give the task's "
            "chance in the spec or with --chance",
        )
    ]


def ceiling(fit: TaskFit, spec: LadderSpec) -> list[dict[str, Any]]:
    """For a prediction resting on one method whose step 2 fits the ideal point (loss 0,
    accuracy 1): the sigmoid's ceiling b held at its bound (1) by that point, where step 2
    refitted without it predicts a target outside its interval (more than 1 point away for a
    fit without intervals)."""
    method = {**PRESETS, **spec.methods}.get(fit.method)
    chained = primary(fit.predictor)
    if method is None or chained is None or isinstance(fit.predictor, Ensemble):
        return []
    anchored = spec.fit.anchor if method.anchor is None else method.anchor
    if not anchored or "b" not in chained.step2.at_bounds():
        return []
    free = step2_sigmoid(fit.points, method.model_copy(update={"anchor": False}), spec.fit)
    out = []
    for name, p in fit.predictions.items():
        e, without = p.chained, float(free.predict(np.array([p.step1.predicted]))[0])
        inside = (
            e.lower <= without <= e.upper
            if np.isfinite([e.lower, e.upper]).all()
            else abs(without - e.predicted) <= ANCHOR_POINTS
        )
        if not inside:
            message = (
                f"{fit.method} step2: the ceiling b is held at 1 by the ideal point (loss 0, "
                f"accuracy 1); without it b = {free.params_['b']:.2f} and the prediction is "
                f"{100 * without:.1f}, not {100 * e.predicted:.1f} [{100 * e.lower:.1f}, "
                f"{100 * e.upper:.1f}]: if the task tops out below 100%, try --no-anchor"
            )
            out.append(warning(fit.task.name, "ceiling", message, name))
    return out


def diagnose(fit: LadderFit, noise: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """Every warning of a fit (see the module docstring)."""
    noise = noise or (fit.selection.noise if fit.selection is not None else {})
    out = []
    mixed = len({task_fit.metric for task_fit in fit.tasks.values()}) > 1
    for task_fit in fit.tasks.values():
        asked = task_fit.task.method or fit.spec.fit.method
        out += loss_only(task_fit, asked, mixed)
        out += design(task_fit) + laws(task_fit) + ceiling(task_fit, fit.spec) + chance(task_fit)
        out += calibration(task_fit)
        out += targets(task_fit, noise.get(task_fit.task.name))
    return out
