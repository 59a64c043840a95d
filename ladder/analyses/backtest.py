"""Backtests: hold rungs out, fit on the rest with the same pipeline as `ladder fit`, predict
the held-out rungs, and compare the error with the noise floor and the interval with the
actual; and the compute-vs-error study (cut the ladder down, watch the target error grow)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm import tqdm

from ladder.data.observations import require_runs
from ladder.errors import LadderError
from ladder.fit.ladder import fit_ladder
from ladder.laws.flops import training_flops
from ladder.runs.rungs import Rung, run_finals
from ladder.spec.ladder import LadderSpec, TargetSpec


@dataclass(frozen=True)
class Split:
    """One backtest: fit on `fit_runs`, predict `held_out` (disjoint by construction)."""

    name: str
    fit_runs: tuple[str, ...]
    held_out: tuple[str, ...]

    def __post_init__(self) -> None:
        overlap = set(self.fit_runs) & set(self.held_out)
        if overlap:
            raise LadderError(f"split {self.name}: {sorted(overlap)[0]!r} is fitted and held out")


def size_splits(all_rungs: list[Rung], fit_runs: Iterable[str], min_sizes: int = 3) -> list[Split]:
    """Fit on the spec's rungs of the smallest k sizes; predict every rung of the next size
    (for the paper's ladder: 190M-760M -> the 1B rungs, 190M-1B -> the 3B rungs)."""
    fit_set = set(fit_runs)
    multipliers = {r.multiplier for r in all_rungs if r.run in fit_set}
    sizes = list(dict.fromkeys(r.size for r in all_rungs))
    splits = []
    for k in range(min_sizes, len(sizes)):
        below = set(sizes[:k])
        fitted = tuple(r.run for r in all_rungs if r.size in below and r.multiplier in multipliers)
        held = tuple(r.run for r in all_rungs if r.size == sizes[k])
        splits.append(Split(f"{sizes[0]}-{sizes[k - 1]} -> {sizes[k]}", fitted, held))
    return splits


def multiplier_splits(all_rungs: list[Rung], fit_runs: Iterable[str]) -> list[Split]:
    """Leave one token multiplier out of the spec's fit runs; predict the rungs that have it."""
    fit_set = set(fit_runs)
    fitted_rungs = [r for r in all_rungs if r.run in fit_set]
    splits = []
    for m in sorted({r.multiplier for r in fitted_rungs}):
        kept = tuple(r.run for r in fitted_rungs if r.multiplier != m)
        held = tuple(r.run for r in fitted_rungs if r.multiplier == m)
        splits.append(Split(f"without {m:g}xC", kept, held))
    return splits


def held_out_split(fit_runs: Iterable[str], held_out: Iterable[str]) -> Split:
    """Any runs held out of the spec's fit runs (works on any table, named like rungs or not)."""
    held = tuple(held_out)
    return Split(f"hold out {', '.join(held)}", tuple(r for r in fit_runs if r not in held), held)


def backtest(
    table: pd.DataFrame,
    spec: LadderSpec,
    splits: Iterable[Split],
    noise: pd.DataFrame | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """One row per (split, held-out run, task): chained prediction, interval, actual, errors,
    coverage, and the error in units of the task's accuracy noise (from `noise`: a
    variance.summarize table) where given."""
    finals = run_finals(table)
    rows = []
    for split in tqdm(list(splits), desc="backtest splits", unit="split", disable=not progress):
        require_runs(table, split.held_out, f"split {split.name}")
        targets = tuple(
            TargetSpec(
                name=run,
                params=int(finals.loc[run, "params"]),
                tokens=int(finals.loc[run, "tokens"]),
                run=run,
            )
            for run in split.held_out
        )
        sub = spec.with_fit(runs=split.fit_runs).without_runs(split.held_out)
        sub = sub.replace(targets=targets)
        fit = fit_ladder(table, sub, workers=workers)
        for name, task_fit in fit.tasks.items():
            used = set(task_fit.points.runs)
            if used & set(split.held_out):  # guaranteed by fit_runs; checked, not assumed
                raise LadderError(f"split {split.name}: a held-out run was fitted")
            for run, p in task_fit.predictions.items():
                e = p.headline
                rows.append(
                    {
                        "split": split.name,
                        "run": run,
                        "task": name,
                        "n_fit_runs": len(split.fit_runs),
                        **e.to_dict(),
                        "step1_rel_error": p.step1.rel_error,
                    }
                )
    out = pd.DataFrame(rows)
    if noise is not None and not out.empty:
        sd = noise.set_index("task")["accuracy_sd"]
        out["noise_sd"] = out["task"].map(sd)
        out["error_over_noise"] = out["abs_error"] / out["noise_sd"]
    return out


@dataclass(frozen=True)
class LadderCut:
    """A cut-down ladder: its rungs and its compute as a fraction of one target's."""

    sizes: tuple[str, ...]
    multipliers: tuple[float, ...]
    runs: tuple[str, ...]
    flops: float

    @property
    def label(self) -> str:
        mults = ",".join(f"{m:g}" for m in self.multipliers)
        return f"{self.sizes[0]}-{self.sizes[-1]} x {{{mults}}}xC"


def ladder_cuts(
    all_rungs: list[Rung], fit_runs: Iterable[str], min_sizes: int = 3
) -> list[LadderCut]:
    """Every contiguous window of at least `min_sizes` sizes, times every prefix (of at least
    two) of the spec's multipliers: fewer sizes, smaller max size, fewer multipliers."""
    fit_set = set(fit_runs)
    multipliers = sorted({r.multiplier for r in all_rungs if r.run in fit_set})
    sizes = list(dict.fromkeys(r.size for r in all_rungs))
    cuts = []
    for start in range(len(sizes)):
        for stop in range(start + min_sizes, len(sizes) + 1):
            for k in range(2, len(multipliers) + 1):
                window, mults = tuple(sizes[start:stop]), tuple(multipliers[:k])
                chosen = [r for r in all_rungs if r.size in window and r.multiplier in mults]
                cuts.append(
                    LadderCut(
                        window,
                        mults,
                        tuple(r.run for r in chosen),
                        float(sum(r.flops for r in chosen)),
                    )
                )
    return cuts


def compute_vs_error(
    table: pd.DataFrame,
    spec: LadderSpec,
    cuts: Iterable[LadderCut],
    workers: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Per cut and target: the ladder's compute as a fraction of the target's (6 N D) and the
    mean absolute / relative error of the chained prediction over the tasks."""
    rows = []
    for cut in tqdm(list(cuts), desc="ladder cuts", unit="fit", disable=not progress):
        sub = spec.with_fit(runs=cut.runs)
        try:
            fit = fit_ladder(table, sub, workers=workers)
        except LadderError as exc:  # a cut too small to fit: recorded, not hidden
            rows.append({"ladder": cut.label, "error": str(exc)})
            continue
        frame = fit.table()
        for target in spec.targets:
            errors = frame[frame["target"] == target.name]
            rows.append(
                {
                    "ladder": cut.label,
                    "target": target.name,
                    "n_runs": len(cut.runs),
                    "max_size": cut.sizes[-1],
                    "max_params": max(
                        float(tf.points.final["params"].max()) for tf in fit.tasks.values()
                    ),
                    "multipliers": len(cut.multipliers),
                    "max_multiplier": cut.multipliers[-1],
                    "compute_fraction": cut.flops / training_flops(target.params, target.tokens),
                    "mean_abs_error": float(np.mean(errors["chained_abs_error"])),
                    "mean_rel_error": float(np.mean(errors["chained_rel_error"])),
                    "error": None,
                }
            )
    return pd.DataFrame(rows)
