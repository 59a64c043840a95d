"""The trust checks: each diagnostic fires on a synthetic ladder built to trigger it and stays
silent on the bundled ladder (whose default fit has no warnings: tests/test_methods.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ladder import api
from ladder.cli import main
from ladder.spec.ladder import LadderSpec

SIZES = [100e6, 200e6, 400e6, 800e6]
MULTIPLIERS = [1, 2, 5, 10]


def accuracy(loss: float, ceiling: float = 0.95) -> float:
    """The synthetic ladders' accuracy: a sigmoid of the task loss from 0.25 up to `ceiling`
    (as the loss -> 0)."""
    return 0.25 + (ceiling - 0.25) / (1 + np.exp(5 * (loss - 1.0)))


def task_loss(n: float, d: float, floor: float = 0.6) -> float:
    """The synthetic ladders' task loss: floor + 30 / N^0.25 + 400 / D^0.25."""
    return floor + 30 / n**0.25 + 400 / d**0.25


def synthetic(
    kind: str = "normal", seed: int = 0, ceiling: float = 0.95, floor: float = 0.6
) -> pd.DataFrame:
    """A 4 x 4 ladder (20 checkpoints a run) from known laws, `task_loss` and `accuracy`;
    `kind` breaks it: `flat` (no change with
    scale), `reversed` (loss rises, accuracy falls with scale), `collinear` (every run at 20
    tokens per parameter)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, n in enumerate(SIZES):
        for m in MULTIPLIERS:
            multiplier = 1 + 0.0 * m if kind == "collinear" else m
            final = 20 * multiplier * n
            run = f"s{i}-{m}xC"
            for step in range(1, 21):
                d = final * step / 20
                loss = task_loss(n, d, floor)
                if kind == "flat":
                    loss = 1.0 + rng.normal(0, 0.01)
                if kind == "reversed":
                    loss = 2.5 - 0.3 * (30 / n**0.25 + 400 / d**0.25)
                acc = accuracy(loss, ceiling)
                rows.append(
                    {
                        "run": run if kind != "collinear" else f"s{i}-{m}",
                        "params": n,
                        "tokens": d * (1 + 0.001 * m if kind == "collinear" else 1),
                        "step": step,
                        "task": "t",
                        "task_loss": loss * np.exp(rng.normal(0, 0.003)),
                        "accuracy": np.clip(acc + rng.normal(0, 0.003), 0, 1),
                    }
                )
    return pd.DataFrame(rows)


def fit(table: pd.DataFrame, target=(8e9, 2e11), method: str = "flops"):
    runs = sorted(table["run"].unique())
    spec = LadderSpec.parse(
        {
            "name": "synthetic",
            "fit": {"runs": runs, "method": method, "bootstrap": 0},
            "targets": [{"name": "T", "params": target[0], "tokens": target[1]}],
            "tasks": [{"name": "t", "chance": 0.25}],
        },
        "synthetic",
    )
    return api.fit(spec, table, workers=1)


def checks(result) -> set[str]:
    return {w["check"] for w in result.warnings}


def test_a_sound_synthetic_ladder_raises_nothing_but_its_few_residuals():
    assert checks(fit(synthetic())) == {"calibration"}


@pytest.mark.parametrize(("kind", "check"), [("flat", "trend"), ("reversed", "trend")])
def test_no_trend_and_reversed_ladders_are_flagged(kind, check):
    result = fit(synthetic(kind), method="paper")
    assert check in checks(result)
    message = next(w["message"] for w in result.warnings if w["check"] == check)
    assert "does not" in message and "Spearman" in message


def test_every_run_at_one_ratio_is_flagged_as_unidentifiable():
    result = fit(synthetic("collinear"), method="paper")
    message = next(w["message"] for w in result.warnings if w["check"] == "design")
    assert "tokens per parameter" in message and "cannot tell N from D" in message


def test_a_far_target_is_flagged_with_its_ratios():
    result = fit(synthetic(), target=(1e12, 1e15))
    (far,) = [w for w in result.warnings if w["check"] == "far"]
    assert far["target"] == "T" and "1.25e+03x the largest fit N" in far["message"]


def test_a_change_within_the_noise_is_flagged():
    table = synthetic()
    largest = table[table["run"] == "s3-10xC"]
    result = fit(table, target=(largest["params"].iloc[0] * 1.05, largest["tokens"].max()))
    assert "noise" in checks(result)


def test_bounds_and_loose_exponents_are_flagged_for_a_single_law():
    result = fit(synthetic("flat"), method="paper")
    assert {"bounds", "stderr"} & checks(result)


def test_an_interval_resting_on_the_corpus_prior_is_flagged():
    """A 95% split-conformal quantile needs 19 residuals; this ladder's rollouts give fewer,
    the prior the rest, and the fit says so (the bundled ladder's 144 raise nothing:
    tests/test_methods.py)."""
    (task_fit,) = (result := fit(synthetic())).tasks.values()
    assert 0 < task_fit.intervals.n < 19 and task_fit.intervals.prior == 30 - task_fit.intervals.n
    (flag,) = [w for w in result.warnings if w["check"] == "calibration"]
    assert f"rests on {task_fit.intervals.n} rollout residuals" in flag["message"]
    assert "(it needs 19)" in flag["message"]


def test_a_ceiling_held_by_the_ideal_point_is_flagged_and_no_anchor_frees_it(tmp_path, capsys):
    """A task that tops out at 60%: the ideal point (loss 0, accuracy 1) holds the paper
    sigmoid's ceiling at 1, the 8B prediction runs high and its interval misses the truth, and
    the fit says so; --no-anchor fits the ceiling and covers it."""
    table, target = synthetic(ceiling=0.6, floor=0.3), (8e9, 8e9 * 20 * 5)
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    truth = accuracy(task_loss(*target, floor=0.3), ceiling=0.6)
    runs = ",".join(sorted(table["run"].unique()))
    found = {}
    for flag in ("--anchor", "--no-anchor"):
        out = tmp_path / f"{flag}.json"
        args = [
            "fit",
            str(path),
            "-q",
            "--fit-runs",
            runs,
            "--target",
            f"T={target[0]},{target[1]}",
        ]
        assert main([*args, "--method", "paper", flag, "--bootstrap", "200", "-o", str(out)]) == 0
        found[flag] = api.load_fit(out)
        printed = capsys.readouterr().out
        assert ("try --no-anchor" in printed) == (flag == "--anchor")
    anchored, free = (found[f].tasks["t"] for f in ("--anchor", "--no-anchor"))
    assert anchored.step2.params_["b"] == pytest.approx(1.0)
    assert free.step2.params_["b"] == pytest.approx(0.6, abs=0.1)
    high, honest = anchored.predictions["T"].chained, free.predictions["T"].chained
    assert high.lower > truth and honest.lower < truth < honest.upper
    (warning,) = [w for w in found["--anchor"].warnings if w["check"] == "ceiling"]
    message = warning["message"]
    assert warning["target"] == "T" and "the ceiling b is held at 1 by the ideal point" in message
    assert f"without it b = {free.step2.params_['b']:.2f} and the prediction is" in message
    assert not [w for w in found["--no-anchor"].warnings if w["check"] == "ceiling"]
