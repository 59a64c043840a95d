"""The laws recover known parameters from synthetic data drawn from them with noise."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TARGET, ladder_grid

from ladder.errors import LadderError
from ladder.laws.allocation import optimal_allocation, params_bounds, params_within, split
from ladder.laws.baselines import Carry, LogLinear
from ladder.laws.bootstrap import checkpoint_weights, interval, run_counts
from ladder.laws.estimator import from_document
from ladder.laws.flops import training_flops
from ladder.laws.intervals import Bootstrap, Conformal
from ladder.laws.power import PowerLaw
from ladder.laws.predictors import Chained, ComputeLaw, Ensemble, single_step_baseline
from ladder.laws.sigmoid import Sigmoid


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
    chained = Chained(step1, step2)
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
    assert boot.converged_fraction > 0.9 and law.draws_ is boot
    draws = law.sample(TARGET)
    assert draws.shape == (400, 1)
    low, high = interval(draws[:, 0], 0.95)
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


def test_laws_refuse_input_of_the_wrong_shape():
    """A flat (N, D) pair is not two FLOPs values: scikit-learn's convention, (n, k) rows."""
    nd = ladder_grid()
    law = PowerLaw().fit(nd, power_truth(nd))
    with pytest.raises(LadderError, match=r"shape \(n, 2\).*got shape \(2,\)"):
        law.predict([7e9, 4e12])
    with pytest.raises(LadderError, match=r"got shape \(1, 3\)"):
        law.predict([[7e9, 4e12, 1.0]])
    flops = PowerLaw(("C",)).fit(6 * nd.prod(axis=1), power_truth(nd))
    assert flops.predict([1e21, 1e22]).shape == (2,)  # one input: a flat array is n points
    with pytest.raises(LadderError, match=r"shape \(n, 1\)"):
        flops.predict([[1e21, 1e22]])


def bootstrapped_chain(n_boot: int = 200) -> tuple[Chained, np.random.Generator]:
    rng = np.random.default_rng(8)
    nd = ladder_grid()
    y = power_truth(nd) * np.exp(rng.normal(0, 0.003, len(nd)))
    loss = rng.uniform(0.6, 1.6, 200)
    acc = sigmoid_truth(loss) + rng.normal(0, 0.005, len(loss))
    chained = Chained(PowerLaw(), Sigmoid()).fit(nd, y, loss, acc)
    counts = run_counts(rng, len(y), n_boot)
    chained.step1.bootstrap(nd, y, counts, rng)
    run_of_point = np.arange(len(loss)) % len(y)  # each checkpoint belongs to a run
    weights = checkpoint_weights(rng, run_of_point, counts)
    chained.step2.bootstrap(loss, acc, weights, rng)
    return chained, rng


def test_chained_draws_pair_each_resample_of_step_1_with_the_same_resample_of_step_2():
    chained, _ = bootstrapped_chain()
    draws = chained.sample(TARGET)
    loss = chained.step1.predict(TARGET, chained.step1.draws_.thetas) * np.exp(
        chained.step1.draws_.noise[:, None]
    )
    s2 = chained.step2.draws_
    by_hand = np.array(
        [chained.step2.predict(loss[b], s2.thetas[b]) + s2.noise[b] for b in range(len(s2))]
    )
    np.testing.assert_allclose(draws, by_hand, rtol=1e-12)
    estimate = Bootstrap(0.9).estimate(chained, TARGET, actual=0.8)
    assert estimate.lower < estimate.predicted < estimate.upper
    assert estimate.predicted == pytest.approx(chained.predict(TARGET)[0])
    truth = sigmoid_truth(power_truth(TARGET))[0]
    assert estimate.lower < truth < estimate.upper


def test_a_law_without_draws_gives_no_interval():
    nd = ladder_grid()
    estimate = Bootstrap(0.95).estimate(PowerLaw().fit(nd, power_truth(nd)), TARGET)
    assert np.isnan(estimate.lower) and np.isnan(estimate.upper)


def test_a_fitted_law_with_its_draws_survives_serialization_exactly():
    chained, _ = bootstrapped_chain(50)
    for law in (chained.step1, chained.step2):
        back = from_document(json.loads(json.dumps(law.to_document())))
        assert type(back) is type(law) and back.get_params() == law.get_params()
        np.testing.assert_array_equal(back.theta_, law.theta_)
        np.testing.assert_array_equal(back.draws_.thetas, law.draws_.thetas)
        np.testing.assert_array_equal(back.residuals_, law.residuals_)
    again = from_document(json.loads(json.dumps(chained.to_document())))
    np.testing.assert_array_equal(again.sample(TARGET), chained.sample(TARGET))


def test_a_malformed_law_document_is_an_error():
    nd = ladder_grid()
    document = PowerLaw().fit(nd, power_truth(nd)).to_document()
    del document["fitted"]["params"]["ln_A"]
    with pytest.raises(LadderError, match="not a fitted PowerLaw"):
        from_document(document)


def chinchilla_optimum(compute: float, e, a, alpha, b, beta) -> float:
    """Hoffmann et al.'s closed form N* = G (C/6)^(beta/(alpha+beta)) of L = E + A/N^alpha +
    B/D^beta at C = 6 N D, G = (alpha A / (beta B))^(1/(alpha+beta))."""
    g = (alpha * a / (beta * b)) ** (1 / (alpha + beta))
    return g * (compute / 6) ** (beta / (alpha + beta))


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("compute", [1e20, 1e23, 1e26])
def test_allocation_matches_the_closed_form_of_a_known_law(sign, compute):
    """A law fitted on exact points of E + sign (A / N^alpha + B / D^beta) (E = 0.55 or 0.95,
    A = 25, alpha = 0.22, B = 400, beta = 0.28) over a wide grid, for a loss (minimized) and a
    rising score (maximized), has its optimum where the closed form puts it; the range of N
    within a threshold has the threshold at its ends."""
    n, d = np.meshgrid(np.logspace(7, 12, 8), np.logspace(8, 14, 8), indexing="ij")
    nd = np.column_stack([n.ravel(), d.ravel()])
    y = power_truth(nd) if sign > 0 else 0.95 - (power_truth(nd) - 0.55)
    law = PowerLaw(sign=sign, log_residuals=sign > 0).fit(nd, y)
    maximize = sign < 0
    best = optimal_allocation(law, compute, maximize=maximize)
    expected = chinchilla_optimum(compute, 0.55, 25, 0.22, 400, 0.28)
    assert best.params == pytest.approx(expected, rel=0.01)
    assert training_flops(best.params, best.tokens) == pytest.approx(compute, rel=1e-12)
    assert not best.at_bound
    at_best = law.predict(split(best.params, compute))[0]
    threshold = at_best + sign * 0.01  # a little worse than the best
    low, high = params_within(law, best, threshold, maximize=maximize)
    assert low < best.params / 1.5 and high > 1.5 * best.params
    assert law.predict(split([low, high], compute)) == pytest.approx([threshold] * 2, abs=1e-9)


def test_only_laws_of_n_and_d_allocate():
    nd = ladder_grid()
    loss = PowerLaw().fit(nd, power_truth(nd))
    flops = ComputeLaw(PowerLaw(("C",))).fit(nd, power_truth(nd))
    linear = LogLinear("N").fit(nd, power_truth(nd))
    assert loss.allocates and Ensemble({"a": flops, "b": loss}).allocates
    assert not any(p.allocates for p in (flops, linear, Carry().fit(nd, power_truth(nd))))
    for predictor, compute, message in [
        (flops, 1e23, "ComputeLaw has no law of \\(N, D\\)"),
        (linear, 1e23, "LogLinear has no law of \\(N, D\\)"),
        (loss, 0.0, "the compute must be a positive number of FLOPs, got 0"),
        (loss, float("nan"), "positive number"),
    ]:
        with pytest.raises(LadderError, match=message):
            optimal_allocation(predictor, compute)


def test_an_optimum_beyond_the_search_is_at_its_bound():
    """A loss with no D term improves with N without end: the optimum is the search's end."""
    nd = ladder_grid()
    law = PowerLaw().fit(nd, 0.5 + 30 / nd[:, 0] ** 0.3 + 1e-6 / nd[:, 1] ** 0.05)
    best = optimal_allocation(law, 1e22)
    assert best.at_bound and best.params == pytest.approx(params_bounds(1e22)[1], rel=1e-6)


def test_a_conformal_interval_below_chance_keeps_its_width():
    """A baseline falling with scale predicts 0.10 on a task of chance 0.25: the interval is
    built around 0.25 (ln-width +-0.2), not clipped from below chance to [0.25, 0.25]."""
    below = Carry().fit(np.array([[1e8, 2e9]]), np.array([0.10]))
    e = Conformal(0.95, 0.2, 0.0, 30).estimate(
        below, np.array([[7e9, 1e12]]), distance=1.0, bounds=(0.25, 1.0)
    )
    assert (e.predicted, e.clipped) == (0.25, True)
    assert (e.lower, e.upper) == pytest.approx((0.25 * np.exp(-0.2), 0.25 * np.exp(0.2)))
    e = Conformal(0.95, 0.2, 0.0, 30).estimate(below, np.array([[7e9, 1e12]]), distance=1.0)
    assert (e.predicted, e.clipped) == (pytest.approx(0.10), False)
