"""The one contract of ladder.laws.estimator, checked on every registered law, predictor and
interval strategy: `fit` returns self, a document round-trips exactly (through JSON), `predict`
checks the shape of its rows, using an unfitted one is NotFittedError, and `get_params` /
`repr` come from the constructor's signature. A class registered without an example here
fails `test_every_registered_class_has_an_example`, so a new law cannot skip the contract."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from conftest import TARGET, ladder_grid

from ladder.errors import LadderError, NotFittedError
from ladder.fit.points import multipower_inputs
from ladder.laws.baselines import Carry, Chinchilla, LogLinear
from ladder.laws.bootstrap import run_counts
from ladder.laws.estimator import REGISTRY, Estimator, from_document
from ladder.laws.intervals import Bootstrap, Conformal
from ladder.laws.lr import LRPowerLaw
from ladder.laws.multipower import MultiPowerLaw
from ladder.laws.power import PowerLaw
from ladder.laws.predictors import (
    Chained,
    ComputeLaw,
    DirectAccuracy,
    EndOfRun,
    Ensemble,
    single_step_baseline,
)
from ladder.laws.shared import SharedPowerLaw
from ladder.laws.sigmoid import Sigmoid

RNG = np.random.default_rng(0)
ND = ladder_grid()
LOSS = 0.6 + 30 / ND[:, 0] ** 0.25 + 500 / ND[:, 1] ** 0.3
LOSSES = np.linspace(0.6, 1.6, 40)
ACCURACY = 0.25 + 0.7 / (1 + np.exp(6 * (LOSSES - 1.0)))
NOISE = np.exp(RNG.normal(0, 0.002, len(ND)))


def _curve_rows() -> np.ndarray:
    """(N, S1, R) rows of learning-rate-aware curves: S1 a share of D, R rising to 0.3."""
    d = ND[:, 1]
    return np.column_stack([ND[:, 0], 0.55 * d, np.linspace(0.05, 0.3, len(d))])


def _multipower_rows() -> tuple[np.ndarray, np.ndarray]:
    """Rows of the multi-power law from cosine runs of each ladder size, and their losses."""
    rows = []
    for n in np.unique(ND[:, 0]):
        steps = np.arange(100, 2001, 100)
        rate = 0.1 + 0.45 * (1 + np.cos(np.pi * steps / 2000))
        rows.append(
            np.column_stack(
                [np.full(len(steps), n), multipower_inputs(steps, steps * 20 * n / 2000, rate)]
            )
        )
    x = np.vstack(rows)
    theta = np.array([0.6, 4.0, 0.25, 5.0, 0.3, 0.3, -20.0, 0.5, 0.5])
    return x, MultiPowerLaw().predict(x, theta[None])[0] * np.exp(RNG.normal(0, 0.002, len(x)))


def _shared_rows() -> tuple[np.ndarray, np.ndarray]:
    x = np.vstack([np.column_stack([ND, np.full(len(ND), t)]) for t in range(2)])
    return x, np.concatenate([LOSS, 1.2 * LOSS]) * np.concatenate([NOISE, NOISE])


# Each example: (an unfitted instance, the arguments of `fit`, rows to predict at).
EXAMPLES: dict[str, Callable[[], tuple[Estimator, tuple, np.ndarray]]] = {
    "PowerLaw": lambda: (PowerLaw(), (ND, LOSS * NOISE), TARGET),
    "Sigmoid": lambda: (Sigmoid(), (LOSSES, ACCURACY), np.array([0.7, 0.9])),
    "SharedPowerLaw": lambda: (SharedPowerLaw(2), _shared_rows(), np.array([[13e9, 5e12, 1]])),
    "LRPowerLaw": lambda: (
        LRPowerLaw(),
        (_curve_rows(), LOSS * NOISE - 0.1 * _curve_rows()[:, 2]),
        np.array([[13e9, 3e12, 0.3]]),
    ),
    "MultiPowerLaw": lambda: (MultiPowerLaw(), _multipower_rows(), _multipower_rows()[0][-2:]),
    "Chained": lambda: (
        Chained(PowerLaw(), Sigmoid()),
        (ND, LOSS * NOISE, LOSSES, ACCURACY),
        TARGET,
    ),
    "ComputeLaw": lambda: (ComputeLaw(PowerLaw(("C",))), (ND, LOSS * NOISE), TARGET),
    "EndOfRun": lambda: (
        EndOfRun(LRPowerLaw(), [0.55, 0.3]),
        (_curve_rows(), LOSS * NOISE - 0.1 * _curve_rows()[:, 2]),
        TARGET,
    ),
    "DirectAccuracy": lambda: (
        DirectAccuracy(PowerLaw(floor=False), 0.25),
        (ND, 0.25 + 0.75 * np.exp(-(30 / ND[:, 0] ** 0.12 + 90 / ND[:, 1] ** 0.15))),
        TARGET,
    ),
    "LogLinear": lambda: (LogLinear("C"), (ND, 0.3 + 0.02 * np.log(6 * ND.prod(axis=1))), TARGET),
    "Carry": lambda: (Carry(), (ND, LOSS), TARGET),
    "Chinchilla": lambda: (Chinchilla(), (ND, LOSS * NOISE), TARGET),
    "Ensemble": lambda: (
        Ensemble({"a": PowerLaw(), "b": ComputeLaw(PowerLaw(("C",)))}),
        ((ND, LOSS * NOISE), (ND, LOSS * NOISE)),
        TARGET,
    ),
}
STRATEGIES = {
    "Bootstrap": lambda: Bootstrap(0.9),
    "Conformal": lambda: Conformal(0.95, 0.12, 0.4, 144),
}


def _round_trip(estimator: Estimator) -> Any:
    return from_document(json.loads(json.dumps(estimator.to_document())))


def test_every_registered_class_has_an_example():
    assert set(REGISTRY) == set(EXAMPLES) | set(STRATEGIES)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_fit_returns_self_and_predicts_one_value_per_row(kind):
    estimator, args, x = EXAMPLES[kind]()
    assert estimator.fit(*args) is estimator
    assert estimator.is_fitted()
    predicted = estimator.predict(x)
    assert predicted.shape == (len(x),) and np.isfinite(predicted).all()


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_a_document_round_trips_exactly(kind):
    estimator, args, x = EXAMPLES[kind]()
    estimator.fit(*args)
    back = _round_trip(estimator)
    assert type(back) is type(estimator)
    assert back.to_document() == estimator.to_document()
    np.testing.assert_array_equal(back.predict(x), estimator.predict(x))
    assert repr(back) == repr(estimator)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_predict_checks_the_shape_of_its_rows(kind):
    estimator, args, x = EXAMPLES[kind]()
    estimator.fit(*args)
    wide = np.hstack([np.atleast_2d(x.T).T, np.ones((len(x), 1))])
    with pytest.raises(LadderError, match="must have shape"):
        estimator.predict(wide)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_an_unfitted_one_says_so(kind):
    estimator, _, x = EXAMPLES[kind]()
    assert not estimator.is_fitted()
    with pytest.raises(NotFittedError, match="is not fitted: call fit first"):
        estimator.predict(x)
    assert "not fitted" in estimator.summary()


@pytest.mark.parametrize("kind", sorted(EXAMPLES) + sorted(STRATEGIES))
def test_get_params_and_repr_come_from_the_signature(kind):
    estimator = EXAMPLES[kind]()[0] if kind in EXAMPLES else STRATEGIES[kind]()
    names = [n for n in inspect.signature(type(estimator).__init__).parameters if n != "self"]
    params = estimator.get_params()
    assert list(params) == names
    clone = type(estimator)(**params)
    assert repr(clone) == repr(estimator) and repr(estimator).startswith(f"{kind}(")


@pytest.mark.parametrize("kind", sorted(STRATEGIES))
def test_interval_strategies_round_trip(kind):
    strategy = STRATEGIES[kind]()
    back = _round_trip(strategy)
    assert type(back) is type(strategy) and back.get_params() == strategy.get_params()


def test_bootstrap_draws_round_trip_and_give_the_same_interval():
    law = PowerLaw().fit(ND, LOSS * NOISE)
    rng = np.random.default_rng(3)
    law.bootstrap(ND, LOSS * NOISE, run_counts(rng, len(ND), 50), rng)
    chained = Chained(law, Sigmoid().fit(LOSSES, ACCURACY))
    back = _round_trip(chained)
    strategy = Bootstrap(0.9)
    assert strategy.estimate(back.step1, TARGET) == strategy.estimate(law, TARGET)
    np.testing.assert_array_equal(back.step1.draws_.thetas, law.draws_.thetas)


def test_a_document_of_an_unknown_kind_or_newer_version_is_an_error():
    document = PowerLaw().fit(ND, LOSS * NOISE).to_document()
    with pytest.raises(LadderError, match="not a law or predictor document"):
        from_document({**document, "kind": "Nope"})
    with pytest.raises(LadderError, match="version 2: this ladder reads up to 1"):
        from_document({**document, "version": 2})
    with pytest.raises(LadderError, match="a PowerLaw where a Sigmoid was expected"):
        from_document(document, expect=Sigmoid)


def test_the_single_step_baseline_is_a_rising_power_law():
    law = single_step_baseline()
    assert repr(law) == "PowerLaw(sign=-1, log_residuals=False)"


def test_a_version_1_end_of_run_document_is_upgraded():
    """Fits written before EndOfRun held any curve law's end row (s1_per_token, share) still
    read, and predict as the same law at the same end."""
    estimator, args, x = EXAMPLES["EndOfRun"]()
    document = json.loads(json.dumps(estimator.fit(*args).to_document()))
    old = {**document, "version": 1}
    old["params"] = {"law": document["params"]["law"], "s1_per_token": 0.55, "share": 0.3}
    back = from_document(old)
    assert back.end == [0.55, 0.3]
    np.testing.assert_array_equal(back.predict(x), estimator.predict(x))
