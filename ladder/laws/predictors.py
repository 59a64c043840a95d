"""Predictors: laws composed into a prediction of accuracy (or a loss) at rows of (N, D).

- Chained: accuracy(x) = step2(step1(x)), for any step-1 law from scale to an intermediate
  feature (task loss in bits per byte, a validation loss, -log p of the correct choice) and a
  step-2 law from the feature to accuracy. Its bootstrap pairs the draws row by row: resample
  b's step-1 prediction goes through resample b's step-2 law, each with its residual draw, so
  the interval carries both steps' uncertainty.
- ComputeLaw: a law of C = 6 N D used on rows of (N, D).
- EndOfRun: a learning-rate-aware law of whole loss curves used at the end of a run.
- DirectAccuracy: accuracy straight from (N, D) (Krajewski et al., arXiv 2512.08894).
- Ensemble: the mean of several predictors.

Each follows the contract of ladder.laws.estimator: `fit` returns self, `predict` and `sample`
(bootstrap draws, shape (B, n); (0, n) without draws) take rows of `inputs`, a document round
trips exactly, and `laws()` names the fitted laws the prediction rests on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ladder.errors import LadderError
from ladder.laws.base import Law, as_rows
from ladder.laws.estimator import Estimator
from ladder.laws.flops import training_flops
from ladder.laws.power import DEFAULT_HUBER_DELTA, PowerLaw

TASK_LOSS = "task_loss"  # the feature of the paper's two steps: the task's bits per byte
ND = ("N", "D")


def _named(prefix: str, laws: dict[str, Law]) -> dict[str, Law]:
    return {f"{prefix} {key}".strip(): law for key, law in laws.items()}


class Chained(Estimator):
    """Composes a step-1 predictor (x -> intermediate `feature`) and a step-2 law (feature ->
    accuracy); `fit` fits both, `predict` and `sample` chain them."""

    def __init__(self, step1: Any, step2: Law, feature: str = TASK_LOSS):
        self.step1 = step1
        self.step2 = step2
        self.feature = feature

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.step1.inputs

    @property
    def allocates(self) -> bool:
        return self.step1.allocates

    def fit(self, x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray) -> Chained:
        self.step1.fit(x1, y1)
        self.step2.fit(x2, y2)
        return self

    def predict_feature(self, x: np.ndarray) -> np.ndarray:
        """Step 1 alone: the intermediate feature (e.g. task loss in bits per byte) at x."""
        return self.step1.predict(x)

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.check_fitted()
        return self.step2.predict(self.predict_feature(x))

    def sample(self, x: np.ndarray) -> np.ndarray:
        first = self.step1.sample(x)
        if len(first) == 0 or not hasattr(self.step2, "draws_"):
            return np.empty((0, first.shape[-1]))
        return self.step2.sample(first, paired=True)

    def laws(self) -> dict[str, Law]:
        return _named("step1", self.step1.laws()) | _named("step2", self.step2.laws())

    def primary(self) -> Chained | None:
        """This predictor when its feature is the task loss (what the step figures draw)."""
        return self if self.feature == TASK_LOSS else None


class ComputeLaw(Estimator):
    """A law of C (FLOPs) used on rows of (N, D), C = 6 N D."""

    inputs = ND

    def __init__(self, law: Law):
        self.law = law

    def flops(self, x: np.ndarray) -> np.ndarray:
        """C = 6 N D of rows (N, D)."""
        x = as_rows(x, ND, type(self).__name__)
        return training_flops(x[:, 0], x[:, 1])

    def fit(self, x: np.ndarray, y: np.ndarray) -> ComputeLaw:
        self.law.fit(self.flops(x), y)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.law.predict(self.flops(x))

    def sample(self, x: np.ndarray) -> np.ndarray:
        return self.law.sample(self.flops(x))

    def laws(self) -> dict[str, Law]:
        return self.law.laws()


class EndOfRun(Estimator):
    """A learning-rate-aware law of whole loss curves (rows of N then the law's schedule inputs:
    ladder.laws.lr, ladder.laws.multipower), used on rows of (N, D): the loss at the end of a
    run of D tokens whose schedule ends as the fit runs' do. `end` is the law's row after N at
    such a run's end, its inputs in tokens (the law's `per_token`) per token of D."""

    inputs = ND
    allocates = True
    version = 2  # version 1 held (s1_per_token, share), the lr law's `end`

    def __init__(self, law: Law, end: list[float]):
        self.law = law
        self.end = end

    @classmethod
    def upgrade(cls, params: dict[str, Any], version: int) -> dict[str, Any]:
        if version < 2:
            return {"law": params["law"], "end": [params["s1_per_token"], params["share"]]}
        return params

    def _rows(self, x: np.ndarray) -> np.ndarray:
        x = as_rows(x, ND, type(self).__name__)
        scaled = np.isin(self.law.inputs[1:], self.law.per_token)
        end = np.asarray(self.end, dtype=float)
        return np.column_stack([x[:, 0], end * np.where(scaled, x[:, 1:2], 1.0)])

    def fit(self, x: np.ndarray, y: np.ndarray) -> EndOfRun:
        """Fit the law on curve points x (N, S1, R) with losses y."""
        self.law.fit(x, y)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.law.predict(self._rows(x))

    def sample(self, x: np.ndarray) -> np.ndarray:
        return self.law.sample(self._rows(x))

    def laws(self) -> dict[str, Law]:
        return self.law.laws()


class DirectAccuracy(Estimator):
    """Accuracy straight from (N, D) (Krajewski et al., arXiv 2512.08894): a law without a
    floor fitted on y = -log((acc - chance) / (1 - chance)) of the points above chance;
    acc = chance + (1 - chance) e^-y, which tends to 1 at infinite scale and to chance at none."""

    inputs = ND
    MIN_ABOVE_CHANCE = 4

    def __init__(self, law: PowerLaw, chance: float):
        self.law = law
        self.chance = chance

    @property
    def allocates(self) -> bool:
        return self.law.allocates

    def fit(self, x: np.ndarray, accuracy: np.ndarray) -> DirectAccuracy:
        """Fit on the rows whose accuracy is above chance; LadderError with fewer than 4."""
        accuracy = np.asarray(accuracy, dtype=float)
        above = accuracy > self.chance
        if above.sum() < self.MIN_ABOVE_CHANCE:
            raise LadderError(
                f"only {int(above.sum())} fit run(s) score above chance ({self.chance:g}); the "
                f"direct law needs {self.MIN_ABOVE_CHANCE}"
            )
        y = -np.log((accuracy[above] - self.chance) / (1 - self.chance))
        self.law.fit(as_rows(x, ND, type(self).__name__)[above], y)
        return self

    def _accuracy(self, y: np.ndarray) -> np.ndarray:
        return self.chance + (1 - self.chance) * np.exp(-y)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._accuracy(self.law.predict(x))

    def sample(self, x: np.ndarray) -> np.ndarray:
        return self._accuracy(self.law.sample(x))

    def laws(self) -> dict[str, Law]:
        return _named("direct", self.law.laws())


class Ensemble(Estimator):
    """The mean of several predictors' predictions (`members` by name)."""

    def __init__(self, members: dict[str, Any]):
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = dict(members)

    @property
    def inputs(self) -> tuple[str, ...]:
        return next(iter(self.members.values())).inputs

    @property
    def allocates(self) -> bool:
        return any(member.allocates for member in self.members.values())

    def fit(self, *member_args: tuple) -> Ensemble:
        """Fit each member with its own arguments, in the members' order."""
        if len(member_args) != len(self.members):
            raise LadderError(f"{len(member_args)} argument tuples for {len(self.members)} members")
        for member, args in zip(self.members.values(), member_args, strict=True):
            member.fit(*args)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.check_fitted()
        return np.mean([m.predict(x) for m in self.members.values()], axis=0)

    def sample(self, x: np.ndarray) -> np.ndarray:
        """No joint draws: the members were not bootstrapped on shared resamples."""
        self.check_fitted()
        return np.empty((0, len(as_rows(x, self.inputs, type(self).__name__))))

    def laws(self) -> dict[str, Law]:
        out: dict[str, Law] = {}
        for name, member in self.members.items():
            out |= _named(name, member.laws())
        return out

    def primary(self) -> Chained | None:
        """The first member chained on the task loss (None if there is none)."""
        return next((p for m in self.members.values() if (p := primary(m)) is not None), None)


def primary(predictor: Any) -> Chained | None:
    """The chained task-loss predictor inside `predictor` (itself, an ensemble's first such
    member), or None."""
    find = getattr(predictor, "primary", None)
    return find() if find is not None else None


def single_step_baseline(
    huber_delta: float | None = DEFAULT_HUBER_DELTA, n_starts: int = 8, seed: int = 0
) -> PowerLaw:
    """The baseline that maps (N, D) straight to accuracy: a rising power law."""
    return PowerLaw(
        ND,
        sign=-1,
        huber_delta=huber_delta,
        log_residuals=False,
        n_starts=n_starts,
        seed=seed,
    )
