"""The multi-power law (ladder.laws.multipower) and its inputs: the binned loss-drop sum against
the per-step sum, and known parameters recovered from curves the law generated under cosine
and warmup-stable-decay schedules across sizes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SIZES

from ladder.fit.points import multipower_inputs
from ladder.laws.multipower import MultiPowerLaw

TOKENS_PER_STEP = 2e6
TRUTH = dict(
    E=0.7, ln_AN=4.0, alpha_N=0.25, ln_A=np.log(60.0), alpha=0.3, B=0.5, ln_C=-20.0, beta=0.6,
    gamma=0.5,
)  # fmt: skip


def cosine(steps: int, warmup: int, floor: float = 0.1) -> np.ndarray:
    t = np.arange(1, steps + 1)
    decay = floor + (1 - floor) * 0.5 * (1 + np.cos(np.pi * (t - warmup) / (steps - warmup)))
    return np.where(t <= warmup, t / warmup, decay)


def wsd(steps: int, warmup: int, decay: float = 0.2) -> np.ndarray:
    t = np.arange(1, steps + 1)
    start = int((1 - decay) * steps)
    falling = 1 - 0.99 * (t - start) / (steps - start)
    return np.where(t <= warmup, t / warmup, np.where(t < start, 1.0, falling))


SCHEDULES = {"cosine": cosine, "wsd": wsd}


def _run_rows(n: float, rate: np.ndarray, checkpoints: int = 40) -> np.ndarray:
    at = np.unique(np.geomspace(len(rate) // 20, len(rate), checkpoints).astype(int))
    x = multipower_inputs(at, at * TOKENS_PER_STEP, rate[at - 1])
    return np.column_stack([np.full(len(at), n), x])


def _loss_drop(theta: np.ndarray, rate: np.ndarray, step: int) -> float:
    """LD at `step` summed over every step (the law's definition, no bins)."""
    area = np.cumsum(rate) * TOKENS_PER_STEP
    drop = np.maximum(-np.diff(rate, prepend=rate[0]), 0.0)[:step]
    u = np.exp(theta[6]) * rate[:step] ** -theta[8] * (area[step - 1] - area[:step])
    return float(theta[5] * np.sum(drop * (1 - (1 + u) ** -theta[7])))


@pytest.mark.parametrize("shape", sorted(SCHEDULES))
def test_binned_loss_drop_matches_the_per_step_sum(shape):
    rate = SCHEDULES[shape](30000, 300)
    theta = np.array(list(TRUTH.values()))
    rows = _run_rows(1e8, rate)
    law = MultiPowerLaw()
    no_drop = theta.copy()
    no_drop[5] = 0.0
    binned = law.predict(rows, no_drop[None])[0] - law.predict(rows, theta[None])[0]
    at = np.unique(np.geomspace(1500, 30000, 40).astype(int))
    exact = np.array([_loss_drop(theta, rate, s) for s in at])
    assert exact.max() > 0.1  # the drop matters: a tenth of a unit of loss at the end
    np.testing.assert_allclose(binned, exact, atol=3e-3)


@pytest.mark.parametrize("shape", sorted(SCHEDULES))
def test_known_parameters_are_recovered_from_curves_across_sizes(shape):
    rng = np.random.default_rng(3)
    theta = np.array(list(TRUTH.values()))
    rows = np.vstack(
        [_run_rows(n, SCHEDULES[shape](int(20 * n / TOKENS_PER_STEP), 50)) for n in SIZES]
    )
    law = MultiPowerLaw()
    y = law.predict(rows, theta[None])[0] * np.exp(rng.normal(0, 0.001, len(rows)))
    law.fit(rows, y)
    for name in ("E", "alpha_N", "alpha", "B"):
        assert law.params_[name] == pytest.approx(TRUTH[name], rel=0.15), name
    # the loss at the end of a 13B run of the same schedule, 20 tokens per parameter
    end = _run_rows(13e9, SCHEDULES[shape](int(20 * 13e9 / TOKENS_PER_STEP), 50))[-1:]
    assert law.predict(end)[0] == pytest.approx(law.predict(end, theta[None])[0][0], rel=0.03)
