"""The laws recover known parameters from synthetic data drawn from them with noise."""

from __future__ import annotations

import numpy as np
import pytest

from ladder.errors import LadderError
from ladder.laws import PowerLaw, Sigmoid
from ladder.laws.chain import ChainedPredictor, single_step_baseline
from ladder.laws.uncertainty import interval, run_counts

SIZES = np.array([150e6, 300e6, 600e6, 1.2e9])
MULTIPLIERS = np.array([1, 2, 5, 10])
TARGET = np.array([[13e9, 5e12]])


def ladder_grid() -> np.ndarray:
    n, m = np.meshgrid(SIZES, MULTIPLIERS, indexing="ij")
    return np.column_stack([n.ravel(), 20 * m.ravel() * n.ravel()])


def power_truth(nd: np.ndarray) -> np.ndarray:
    # E = 0.55, A = 25, alpha = 0.22, B = 400, beta = 0.28
    return 0.55 + 25 / nd[:, 0] ** 0.22 + 400 / nd[:, 1] ** 0.28


def test_power_law_recovers_parameters_and_extrapolates():
    rng = np.random.default_rng(1)
    nd = ladder_grid()
    y = power_truth(nd) * np.exp(rng.normal(0, 0.002, len(nd)))
    law = PowerLaw().fit(nd, y)
    assert law.params_["E"] == pytest.approx(0.55, abs=0.08)
    assert law.params_["alpha"] == pytest.approx(0.22, abs=0.06)
    assert law.params_["beta"] == pytest.approx(0.28, abs=0.04)
    # the extrapolation 10x beyond the largest rung is what matters
    assert law.predict(TARGET)[0] == pytest.approx(power_truth(TARGET)[0], rel=0.01)


def test_power_law_exact_data_is_fitted_exactly():
    nd = ladder_grid()
    law = PowerLaw().fit(nd, power_truth(nd))
    assert np.max(np.abs(law.residuals_)) < 1e-4
    assert law.predict(TARGET)[0] == pytest.approx(power_truth(TARGET)[0], rel=1e-3)


def test_flops_power_law_recovers_parameters():
    rng = np.random.default_rng(2)
    c = np.geomspace(1e18, 1e21, 12)
    truth = 0.7 + 300 / c**0.12
    law = PowerLaw(("C",)).fit(c, truth * np.exp(rng.normal(0, 0.001, len(c))))
    assert law.params_["alpha"] == pytest.approx(0.12, abs=0.02)
    assert law.predict([1e23])[0] == pytest.approx(0.7 + 300 / 1e23**0.12, rel=0.01)


def sigmoid_truth(loss: np.ndarray) -> np.ndarray:
    return -0.7 / (1 + np.exp(-6.0 * (loss - 0.9))) + 0.95


def test_sigmoid_recovers_parameters():
    rng = np.random.default_rng(3)
    loss = rng.uniform(0.6, 1.6, 400)
    acc = sigmoid_truth(loss) + rng.normal(0, 0.005, len(loss))
    law = Sigmoid(chance=0.25).fit(loss, acc)
    assert law.params_["a"] == pytest.approx(-0.7, abs=0.03)
    assert law.params_["L0"] == pytest.approx(0.9, abs=0.03)
    assert law.params_["k"] == pytest.approx(6.0, abs=0.5)
    assert law.params_["b"] == pytest.approx(0.95, abs=0.03)


def test_single_step_baseline_recovers_a_rising_law():
    rng = np.random.default_rng(4)
    nd = ladder_grid()
    truth = 0.9 - 8 / nd[:, 0] ** 0.12 - 60 / nd[:, 1] ** 0.18
    law = single_step_baseline().fit(nd, truth + rng.normal(0, 0.001, len(nd)))
    expected = 0.9 - 8 / TARGET[0, 0] ** 0.12 - 60 / TARGET[0, 1] ** 0.18
    assert law.predict(TARGET)[0] == pytest.approx(expected, abs=0.02)


def test_chained_predictor_composes_the_two_laws():
    nd = ladder_grid()
    step1 = PowerLaw().fit(nd, power_truth(nd))
    loss = np.linspace(0.6, 1.6, 50)
    step2 = Sigmoid().fit(loss, sigmoid_truth(loss))
    chained = ChainedPredictor(step1, step2)
    assert chained.predict(TARGET)[0] == pytest.approx(
        sigmoid_truth(power_truth(TARGET))[0], abs=1e-3
    )


def test_refit_with_unit_weights_returns_the_fit():
    nd = ladder_grid()
    rng = np.random.default_rng(5)
    y = power_truth(nd) * np.exp(rng.normal(0, 0.002, len(nd)))
    law = PowerLaw().fit(nd, y)
    thetas, converged = law.refit(nd, y, np.ones((3, len(y))))
    assert converged.all()
    np.testing.assert_allclose(thetas, np.tile(law.theta_, (3, 1)), rtol=1e-4, atol=1e-6)


def test_batched_refit_matches_lmfit_on_duplicated_points():
    """A weight of 2 is the same point twice: the batched solver must agree with lmfit."""
    rng = np.random.default_rng(6)
    loss = rng.uniform(0.6, 1.6, 120)
    acc = sigmoid_truth(loss) + rng.normal(0, 0.01, len(loss))
    law = Sigmoid().fit(loss, acc)
    weights = rng.integers(0, 3, size=(4, len(loss))).astype(float)
    thetas, converged = law.refit(loss, acc, weights)
    assert converged.all()
    for row, theta in zip(weights, thetas, strict=True):
        repeated = np.repeat(np.arange(len(loss)), row.astype(int))
        direct = Sigmoid().fit(loss[repeated], acc[repeated])
        np.testing.assert_allclose(theta, direct.theta_, rtol=2e-3, atol=2e-4)


def test_bootstrap_interval_covers_the_truth_on_a_synthetic_ladder():
    rng = np.random.default_rng(7)
    nd = ladder_grid()
    y = power_truth(nd) * np.exp(rng.normal(0, 0.003, len(nd)))
    law = PowerLaw().fit(nd, y)
    boot = law.bootstrap(nd, y, run_counts(rng, len(y), 400), rng)
    assert boot.converged_fraction > 0.9
    draws = boot.predict(np.repeat(TARGET, 400, axis=0))
    low, high = interval(draws, 0.95)
    assert low < power_truth(TARGET)[0] < high
    assert high - low < 0.2  # informative, not a blanket


def test_too_few_points_is_an_error():
    nd = ladder_grid()[:4]
    with pytest.raises(LadderError, match="4 point"):
        PowerLaw().fit(nd, power_truth(nd))


def test_nan_in_fit_data_is_an_error():
    loss = np.array([0.7, 0.8, np.nan, 1.0, 1.1])
    with pytest.raises(LadderError, match="NaN"):
        Sigmoid().fit(loss, sigmoid_truth(np.nan_to_num(loss)))
