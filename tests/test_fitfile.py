"""Fits reload: a fit written by `ladder fit` reads back with the same laws, draws, points and
predictions, and `ladder plot` / `ladder report` draw from it without refitting."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from ladder import api
from ladder.cli import main
from ladder.errors import LadderError
from ladder.fits import document as fit_document


@pytest.fixture(scope="module")
def small_fit(paper_spec, paper_table):
    spec = paper_spec.with_fit(bootstrap=200, method="paper").with_tasks(["mmlu", "piqa"])
    return api.fit(spec, paper_table, workers=1)


def test_a_fit_round_trips_exactly(small_fit, tmp_path):
    path = api.save_fit(small_fit, tmp_path / "fit.json")
    back = api.load_fit(path)
    assert back.spec.replace(data=None) == small_fit.spec.replace(data=None)
    pd.testing.assert_frame_equal(back.table(), small_fit.table())
    for name, task in small_fit.tasks.items():
        again = back.tasks[name]
        pd.testing.assert_frame_equal(again.points.checkpoints, task.points.checkpoints)
        laws = again.predictor.laws()
        for key, law in task.predictor.laws().items():
            np.testing.assert_array_equal(laws[key].draws_.thetas, law.draws_.thetas)
        # a new point: the reloaded predictor gives the same interval
        assert again.estimate(3e10, 1e13) == task.estimate(3e10, 1e13)
    # and the document is standard JSON (no NaN), schema-versioned, with units
    document = json.loads(path.read_text())
    assert document["schema_version"] == fit_document.SCHEMA_VERSION
    assert document["units"]["task_loss"] == "bits per byte of the correct answer"


def test_plot_draws_a_saved_fit_without_refitting(small_fit, tmp_path, monkeypatch):
    path = api.save_fit(small_fit, tmp_path / "fit.json")
    fresh = api.plot(small_fit, tmp_path / "fresh", ["png"])

    def no_refit(*args, **kwargs):
        raise AssertionError("refitted")

    monkeypatch.setattr(api, "fit", no_refit)
    assert main(["plot", str(path), "--output-dir", str(tmp_path / "saved"), "-q"]) == 0
    for figure in fresh:
        assert (tmp_path / "saved" / figure.name).read_bytes() == figure.read_bytes()


def test_report_from_a_saved_fit_checks_its_table(small_fit, tmp_path, paper_spec):
    written = api.report(paper_spec, tmp_path / "r", saved=small_fit, formats=["png"])
    document = json.loads((tmp_path / "r" / "fit.json").read_text())
    assert set(document["tasks"]) == {"mmlu", "piqa"} and len(written) > 5
    other = paper_spec.replace(data=tmp_path / "other.parquet")
    with pytest.raises(LadderError, match=r"the fit was made on olmo-ladder\.parquet"):
        api.report(other, tmp_path / "r2", saved=small_fit)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not a ladder fit file"),
        ('{"schema": "other"}', 'not a ladder fit (no "schema": "ladder-fit")'),
        ('{"schema": "ladder-fit", "schema_version": 99}', "fit schema version 99"),
        ('{"schema": "ladder-fit", "schema_version": 2, "spec": {}}', "spec: name: missing"),
    ],
)
def test_a_file_that_is_not_a_fit_is_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "fit.json"
    path.write_text(content)
    assert main(["plot", str(path), "--output-dir", str(tmp_path / "p"), "-q"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "p").exists()


def test_bundled_fit_loads_and_predicts_without_refitting():
    """fits/olmo-paper.json (written by `ladder fit -o fits/olmo-paper.json`, the default
    method) still reads with this version's schema and gives the README's numbers, in a fresh
    interpreter: every law kind the document names must be known without the fitting code
    having been imported first (the LR-aware member once reloaded as a plain dict)."""
    from conftest import ROOT

    script = (
        "from ladder import api\n"
        f"fit = api.load_fit({str(ROOT / 'fits' / 'olmo-paper.json')!r})\n"
        "t = fit.table().set_index(['target', 'task'])\n"
        "g = api.predict(fit, params=[13.2e9], tokens=[5e12]).set_index('task')\n"
        "print(t.loc[('13B-5T', 'arc_easy'), 'chained_predicted'], t['chained_covered'].sum(),"
        " t['chained_rel_error'].mean(), g.loc['arc_easy', 'predicted'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    predicted, covered, mean_error, grid = map(float, done.stdout.split())
    assert predicted == pytest.approx(0.823, abs=5e-4)
    assert covered == 14  # of 16 (targets x tasks): the shipped 95% intervals miss two
    assert mean_error == pytest.approx(0.0343, abs=5e-4)
    assert grid == pytest.approx(0.823, abs=5e-3)


def test_summary_header_says_the_fits_method_intervals_and_warnings(small_fit):
    """summary.md describes the fit it reports: the bundled default fit (auto, conformal) by
    its members and calibration, the paper fit by its bootstrap; and it lists the warnings."""
    from conftest import ROOT

    from ladder.fits.report import markdown_summary

    auto = api.load_fit(ROOT / "fits" / "olmo-paper.json")
    header = markdown_summary(auto, None, None, []).split("\n## ")[0]
    assert "auto: flops, shared, lr, soft, c4" in header and "bootstrap" not in header
    assert f"conformal, calibrated on {auto.selection.calibration.n} rollout" in header
    summary = markdown_summary(auto, None, None, [])
    assert "## Warnings" in summary and auto.warnings
    for warning in auto.warnings:
        assert warning["message"] in summary
    paper = markdown_summary(small_fit, None, None, []).split("\n## ")[0]
    assert "paper (arXiv 2412.04403" in paper and "200 bootstrap resamples" in paper
