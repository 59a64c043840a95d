"""The learning-rate schedule of imported runs that did not log their rates, named in a spec
(`fit.schedule`) or on the command line (`ladder fit --schedule`), so that the whole-curve laws
(ladder.laws.lr, ladder.laws.multipower) can fit them. The laws use the rate relative to its
peak, so the shape is what matters.

    SHAPE[:KEY=VALUE,...]     e.g. cosine:warmup=0.01,floor=0.1   wsd:warmup=2000,decay=0.2

- cosine: linear warm-up, then a cosine from the peak to `floor` x peak at the last step
  (OLMo-core's CosWithWarmup, the paper's and Pythia's schedule; floor 0.1 by default);
- linear: linear warm-up, then a straight line to `floor` x peak (default 0);
- constant: linear warm-up, then the peak;
- wsd: linear warm-up, the peak, and a linear decay to `floor` x peak (default 0) over the
  last `decay` share of the steps (default 0.2; Hägele et al., arXiv 2405.18392).

`warmup` is a share of the steps below 1 and a number of steps from 1 (default 0); `steps` is the
run's length (default: each run's last step); `peak` the rate at the peak (default 1). Importing
numpy waits for `rates`: the command line parses schedules without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ladder.errors import LadderError

if TYPE_CHECKING:
    import numpy as np

FLOORS = {"cosine": 0.1, "linear": 0.0, "constant": 1.0, "wsd": 0.0}
KEYS = {
    "cosine": ("warmup", "floor", "steps", "peak"),
    "linear": ("warmup", "floor", "steps", "peak"),
    "constant": ("warmup", "steps", "peak"),
    "wsd": ("warmup", "floor", "decay", "steps", "peak"),
}
SYNTAX = "SHAPE[:KEY=VALUE,...], e.g. cosine:warmup=0.01,floor=0.1"


@dataclass(frozen=True)
class RateSchedule:
    """A run's learning rate by step: `shape` (one of KEYS), `warmup` (a share of the steps
    below 1, else steps), `floor` (the last step's rate over the peak), `decay` (wsd: the
    share of the steps its final decay lasts), `steps` (None: the run's last step), `peak`."""

    shape: str
    warmup: float = 0.0
    floor: float | None = None
    decay: float = 0.2
    steps: int | None = None
    peak: float = 1.0

    def rates(self, step: np.ndarray, last: int) -> np.ndarray:
        """The rate at each step (an array of optimizer steps) of a run whose last step is
        `last` (the schedule's length unless `steps` is set)."""
        import numpy as np

        step = np.asarray(step, dtype=float)
        total = float(self.steps or last)
        warmup = self.warmup * total if self.warmup < 1 else self.warmup
        floor = FLOORS[self.shape] if self.floor is None else self.floor
        after = np.clip((step - warmup) / max(total - warmup, 1.0), 0.0, 1.0)
        if self.shape == "wsd":
            start = total * (1 - self.decay)
            after = np.clip((step - start) / max(total - start, 1.0), 0.0, 1.0)
        falling = {
            "cosine": 0.5 * (1 + np.cos(np.pi * after)),
            "linear": 1 - after,
            "wsd": 1 - after,
            "constant": np.ones_like(after),
        }[self.shape]
        rate = floor + (1 - floor) * falling
        if warmup > 0:
            rate = np.where(step < warmup, np.clip(step / warmup, 0.0, 1.0), rate)
        return self.peak * rate


def parse_schedule(text: str) -> RateSchedule:
    """A RateSchedule from its text (see the module docstring); LadderError naming what is
    wrong: an unknown shape or key, a value that is not a number or out of its range."""
    shape, _, rest = text.strip().partition(":")
    shape = shape.strip().lower()
    if shape not in KEYS:
        raise LadderError(
            f"schedule {text!r}: unknown shape {shape!r} (known: {', '.join(KEYS)}; {SYNTAX})"
        )
    values: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, equals, value = (part.strip() for part in item.partition("="))
        if key not in KEYS[shape]:
            raise LadderError(
                f"schedule {text!r}: {shape} takes {', '.join(KEYS[shape])}, not {key!r}"
            )
        try:
            number = float(value) if equals else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or number < 0:
            raise LadderError(f"schedule {text!r}: {key} must be a number >= 0, not {value!r}")
        values[key] = number
    if values.get("floor", 0.0) > 1:
        raise LadderError(f"schedule {text!r}: floor must be in [0, 1], not {values['floor']:g}")
    if not 0 < values.get("decay", 0.2) <= 1:
        raise LadderError(f"schedule {text!r}: decay must be in (0, 1], not {values['decay']:g}")
    steps = values.pop("steps", None)
    if steps is not None and (steps < 1 or steps != int(steps)):
        raise LadderError(f"schedule {text!r}: steps must be a whole number >= 1")
    return RateSchedule(shape, steps=None if steps is None else int(steps), **values)


def checked_schedule(text: str) -> str:
    """`text` if it parses (the spec's validator); ValueError saying why not."""
    try:
        parse_schedule(text)
    except LadderError as exc:
        raise ValueError(str(exc)) from None
    return text
