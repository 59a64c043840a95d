"""The evidence of a method choice: every candidate's rollout predictions, their errors, the
ranking, the choice and the interval calibration (ladder.fit.rollouts and ladder.fit.calibrated make
it; a fit document keeps it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ladder.laws.intervals import Conformal


def add_errors(scores: pd.DataFrame) -> pd.DataFrame:
    """Relative error and log ratio columns (a prediction at or below 0 has no log ratio)."""
    out = scores.copy()
    out["rel_error"] = (out["predicted"] - out["actual"]).abs() / out["actual"]
    positive = (out["predicted"] > 0) & (out["actual"] > 0)
    out["log_ratio"] = np.where(
        positive, np.log(out["predicted"].clip(lower=1e-12) / out["actual"]), np.nan
    )
    return out


@dataclass
class Selection:
    """How a fit chose its method and calibrated its intervals: the method `asked` for, the
    candidates (and why others could not run), every candidate's rollout predictions
    (`scores`), the `chosen` ones and the `rule`; the conformal `calibration` on the chosen
    ones' residuals, its honest `coverage` per rollout, and each task's accuracy `noise`
    (checkpoint-to-checkpoint SD, a fraction)."""

    asked: str
    candidates: list[str]
    unavailable: dict[str, str]
    scores: pd.DataFrame
    chosen: list[str]
    rule: str
    calibration: Conformal | None = None
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)
    noise: dict[str, float] = field(default_factory=dict)

    def ranking(self) -> pd.Series:
        """Each candidate's rollout error (ranking_error), best first."""
        return ranking_error(self.scores)

    def per_task(self) -> pd.DataFrame:
        """Mean relative error per task (rows) and candidate (columns)."""
        ok = self.scores.dropna(subset=["predicted"])
        return ok.pivot_table(index="task", columns="method", values="rel_error", aggfunc="mean")

    def mean_of(self, members: Sequence[str], task: str | None = None) -> pd.DataFrame:
        """The rollout predictions of the mean of `members` (of one task, or all), where every
        member predicted, with their errors."""
        ok = self.scores[self.scores["method"].isin(members)].dropna(subset=["predicted"])
        if task is not None:
            ok = ok[ok["task"] == task]
        keys = ["rollout", "run", "task"]
        mean = ok.groupby(keys).agg(
            predicted=("predicted", "mean"),
            actual=("actual", "first"),
            distance=("distance", "first"),
            members=("method", "nunique"),
        )
        mean = mean[mean["members"] == len(set(members))].reset_index()
        return add_errors(mean)


def ranking_error(scores: pd.DataFrame) -> pd.Series:
    """Per method, its mean relative error over all tasks and held-out runs of each rollout,
    averaged over the rollouts (each rollout counts once, however many runs it holds out),
    best first; a method that failed on any rollout is left out."""
    failed = set(scores.loc[scores["predicted"].isna(), "method"])
    ok = scores[~scores["method"].isin(failed)]
    per_rollout = ok.groupby(["method", "rollout"])["rel_error"].mean()
    return per_rollout.groupby("method").mean().sort_values()
