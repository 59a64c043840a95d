"""Two ladders' fits side by side: both predictions and intervals at the first fit's targets."""

from __future__ import annotations

import pandas as pd

from ladder.errors import LadderError
from ladder.fits.fit import LadderFit


def compare_fits(first: LadderFit, second: LadderFit) -> pd.DataFrame:
    """Two fits side by side: for each task both have, at each of the first fit's targets (N,
    D), both predictions and intervals, the difference (second - first) and whether the
    intervals overlap. LadderError if they share no task or the first has no target."""
    shared = [name for name in first.tasks if name in second.tasks]
    if not shared:
        raise LadderError(
            f"the fits share no task ({', '.join(first.tasks)} vs {', '.join(second.tasks)})"
        )
    if not first.spec.targets:
        raise LadderError("the first fit has no targets to compare at")
    rows = []
    for target in first.spec.targets:
        a = first.predict(target.params, target.tokens).set_index("task")
        b = second.predict(target.params, target.tokens).set_index("task")
        for task in shared:
            ra, rb = a.loc[task], b.loc[task]
            rows.append(
                {
                    "target": target.name,
                    "params": target.params,
                    "tokens": target.tokens,
                    "task": task,
                    "metric": ra["metric"],
                    "first": ra["predicted"],
                    "first_lower": ra["lower"],
                    "first_upper": ra["upper"],
                    "second": rb["predicted"],
                    "second_lower": rb["lower"],
                    "second_upper": rb["upper"],
                    "difference": rb["predicted"] - ra["predicted"],
                    "overlap": bool(ra["lower"] <= rb["upper"] and rb["lower"] <= ra["upper"]),
                }
            )
    return pd.DataFrame(rows)
