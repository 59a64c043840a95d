"""The paper method's numbers did not change when the code was restructured: every verb's
output on the bundled ladder with `method: paper` equals what it gave before
(tests/data/pinned/olmo-paper.json, written by the code before the issue-10 refactor),
intervals included; the one intended change is that accuracy predictions and intervals are
now clipped to [chance, 1] (issue 17), applied here to the pinned numbers."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import ROOT

from ladder import api
from ladder.fit.noise import summarize

PINNED = json.loads((ROOT / "tests" / "data" / "pinned" / "olmo-paper.json").read_text())


def assert_rows_equal(
    actual: pd.DataFrame, pinned: list[dict], keys: list[str], rtol: float = 1e-8
) -> None:
    expected = pd.DataFrame(pinned).set_index(keys)
    actual = actual.set_index(keys).loc[expected.index, expected.columns]
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, rtol=rtol, atol=1e-12)


@pytest.fixture(scope="module")
def table(paper_table):
    return paper_table


@pytest.fixture(scope="module")
def paper(paper_spec):
    return paper_spec.with_fit(method="paper")


def test_fit_with_intervals_is_unchanged(paper, table):
    fit = api.fit(paper, table)
    assert_rows_equal(fit.table(), PINNED["fit"], ["target", "task"])


def test_noise_floor_is_unchanged(paper, table):
    noise = summarize(api.noise(paper, table))
    assert_rows_equal(noise, PINNED["variance"], ["task", "display"])


def test_backtests_are_unchanged(paper, table):
    result = api.backtest(paper.with_fit(bootstrap=200), table, kinds=["both"])
    chance = {task.name: task.chance for task in paper.tasks}
    pinned = []
    for row in PINNED["backtest"]:
        clip = {
            k: min(max(row[k], chance[row["task"]]), 1.0) for k in ("predicted", "lower", "upper")
        }
        error = abs(clip["predicted"] - row["actual"]) / abs(row["predicted"] - row["actual"])
        pinned.append(row | clip | {"error_over_noise": row["error_over_noise"] * error})
    assert sum(row != pin for row, pin in zip(PINNED["backtest"], pinned, strict=True)) == 7
    # an error rescaled from the pinned 10 significant digits keeps about 7
    assert_rows_equal(result.results, pinned, ["split", "run", "task"], rtol=1e-6)


def test_compute_vs_error_is_unchanged(paper, table):
    cve = api.compute_vs_error(paper.with_fit(bootstrap=0), table)
    assert_rows_equal(cve, PINNED["compute_vs_error"], ["ladder", "target"])
