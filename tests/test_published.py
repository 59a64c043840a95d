"""With the paper's settings, the predictions match the authors' published tables."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ROOT

PUBLISHED = ROOT / "data" / "olmo-ladder-published"
# published task keys -> this project's spec task names
CHAINED_KEYS = {
    "mmlu_avg_test_5shot": "mmlu",
    "hellaswag_val_5shot": "hellaswag",
    "arc_challenge_test_5shot": "arc_challenge",
    "arc_easy_test_5shot": "arc_easy",
    "piqa_val_5shot": "piqa",
    "csqa_val_5shot": "csqa",
    "socialiqa_val_5shot": "socialiqa",
    "openbookqa_test_5shot": "openbookqa",
}
VARIANCE_KEYS = {
    "MMLU": "mmlu",
    "HellaSwag": "hellaswag",
    "ARC-Challenge": "arc_challenge",
    "ARC-Easy": "arc_easy",
    "PIQA": "piqa",
    "CommonsenseQA": "csqa",
    "Social IQa": "socialiqa",
    "OpenBookQA": "openbookqa",
}


@pytest.mark.parametrize("key", sorted(CHAINED_KEYS))
def test_13b_chained_prediction_matches_published(paper_fit, key):
    row = pd.read_csv(PUBLISHED / "chained_main.csv").set_index("Task").loc[key]
    p = paper_fit.tasks[CHAINED_KEYS[key]].predictions["13B-5T"].chained
    assert p.predicted == pytest.approx(row["Pred"], abs=0.01)  # the 1 point
    assert p.predicted == pytest.approx(row["Pred"], abs=5e-4)  # what we actually reach
    assert p.actual == pytest.approx(row["Actual"], abs=1e-6)
    assert p.rel_error == pytest.approx(row["Rel Error"], abs=1e-3)


@pytest.mark.parametrize("key", sorted(VARIANCE_KEYS))
def test_7b_errors_match_published(paper_fit, key):
    row = pd.read_csv(PUBLISHED / "variance.csv").set_index("Task").loc[key]
    p = paper_fit.tasks[VARIANCE_KEYS[key]].predictions["7B-4T"]
    signed_loss_error = (p.step1.predicted - p.step1.actual) / p.step1.actual
    assert signed_loss_error == pytest.approx(row["7B Loss Rel Error"], abs=2e-3)
    assert p.chained.rel_error == pytest.approx(row["7B Stacked Rel Error"], abs=2e-3)


def test_intervals_bracket_predictions_and_mostly_cover_actuals(paper_fit):
    covered = []
    for task_fit in paper_fit.tasks.values():
        assert min(task_fit.converged.values()) > 0.9
        for p in task_fit.predictions.values():
            for e in (p.chained, p.step1, p.step2):
                assert e.lower < e.predicted < e.upper
            covered.append(p.chained.covered)
    # 95% intervals: the paper's known misses (ARC-Easy) may fall outside, most must not
    assert sum(covered) >= 0.75 * len(covered)


def test_report_says_when_bootstrap_refits_did_not_converge(paper_fit):
    import copy

    from ladder.fits.report import format_text

    assert "Note: bootstrap" not in format_text(paper_fit)
    shaky = copy.deepcopy(paper_fit)
    shaky.tasks["mmlu"].baselines["single_step"].draws_.converged_fraction = 0.5
    assert "(MMLU single_step 50%)" in format_text(shaky)
