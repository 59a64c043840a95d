"""Noise floor, backtests and compute-vs-error on the bundled ladder, and their CLI verbs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from ladder import api
from ladder.analyses.backtest import (
    Split,
    backtest,
    compute_vs_error,
    ladder_cuts,
    multiplier_splits,
    size_splits,
)
from ladder.cli import main
from ladder.errors import LadderError
from ladder.fit.ladder import fit_ladder
from ladder.fit.noise import noise_floor, summarize
from ladder.runs.rungs import rungs
from ladder.spec.ladder import TaskSpec

PUBLISHED = ROOT / "data" / "olmo-ladder-published" / "variance.csv"


def test_noise_floor_matches_published_variance_table(paper_spec, paper_table):
    extra = [
        TaskSpec(name="boolq", source="boolq_val_rc_5shot", display="BoolQ", chance=0.5),
        TaskSpec(name="winogrande", source="winogrande_val_rc_5shot", display="Winogrande"),
    ]
    noise = noise_floor(
        paper_table, [*paper_spec.tasks, *extra], ["1B-10xC"], last_n=10, detrend=False
    )
    noise = noise.set_index("display")
    published = pd.read_csv(PUBLISHED).set_index("Task")
    assert set(published.index) == set(noise.index)
    for column, mine in (
        ("Loss SD", "loss_sd"),
        ("Loss Rel SD (CV)", "loss_cv"),
        ("Accuracy SD", "accuracy_sd"),
        ("Accuracy Rel SD (CV)", "accuracy_cv"),
    ):
        np.testing.assert_allclose(
            noise.loc[published.index, mine], published[column], rtol=1e-6, err_msg=column
        )


def test_noise_floor_removes_the_training_trend():
    """A run still learning (loss 0.8 + 3 / sqrt(step)) with noise of SD 0.006 bpb: the raw SD
    over its last 10 of 40 checkpoints counts the trend; the detrended one finds the noise."""
    rng = np.random.default_rng(0)
    task, runs, truth = TaskSpec(name="t", chance=0.25), [f"r{i}" for i in range(20)], 0.006
    rows = [
        {"run": run, "step": step, "task": "t", "params": 1e9, "tokens": step * 1e9}
        | {"task_loss": 0.8 + 3 / np.sqrt(step) + rng.normal(0, truth), "accuracy": 0.5}
        for run in runs
        for step in range(1, 41)
    ]
    table = pd.DataFrame(rows)
    detrended = noise_floor(table, [task], runs)["loss_sd"].median()
    raw = noise_floor(table, [task], runs, detrend=False)["loss_sd"].median()
    assert detrended == pytest.approx(truth, rel=0.2)
    assert raw > 1.5 * truth
    with pytest.raises(LadderError, match="at least 3"):
        noise_floor(table, [task], runs, last_n=2)


def test_noise_of_a_single_evaluation_is_missing_not_zero(paper_spec, paper_table):
    noise = noise_floor(paper_table, paper_spec.tasks[:1], ["peteish7_eval_anneal"], last_n=10)
    assert noise["n"].iloc[0] == 1 and np.isnan(noise["accuracy_sd"].iloc[0])


def test_splits_hold_out_by_construction(paper_spec, paper_table):
    all_rungs = api.ladder_rungs(paper_spec, paper_table)
    by_size = size_splits(all_rungs, paper_spec.fit_runs)
    assert [s.name for s in by_size] == ["190M-760M -> 1B", "190M-1B -> 3B"]
    assert set(by_size[1].held_out) == {f"3B-{m}xC" for m in ("0.5", "1", "2", "5", "10")}
    assert set(by_size[1].fit_runs) == set(paper_spec.fit_runs)
    by_multiplier = multiplier_splits(all_rungs, paper_spec.fit_runs)
    assert len(by_multiplier) == 4
    for split in by_size + by_multiplier:
        assert not set(split.fit_runs) & set(split.held_out)
    with pytest.raises(LadderError, match="fitted and held out"):
        Split("bad", ("190M-1xC", "370M-1xC"), ("370M-1xC",))


def test_backtest_predicts_held_out_rungs_without_fitting_them(paper_spec, paper_table):
    spec = paper_spec.with_fit(bootstrap=200).with_tasks(["mmlu", "hellaswag", "piqa"])
    split = size_splits(rungs(paper_table), spec.fit_runs)[0]  # 190M-760M -> 1B
    noise = summarize(noise_floor(paper_table, spec.tasks, spec.fit_runs, 10))
    results = backtest(paper_table, spec, [split], noise, workers=1)
    assert set(results["run"]) == set(split.held_out)
    assert len(results) == len(split.held_out) * len(spec.tasks)
    for column in ("predicted", "abs_error", "rel_error", "error_over_noise"):
        assert np.isfinite(results[column]).all()
    # the same fit, inspected: its points come from the fit runs only
    sub = spec.with_fit(runs=split.fit_runs).replace(targets=())
    fit = fit_ladder(paper_table, sub, workers=1)
    for task_fit in fit.tasks.values():
        assert set(task_fit.points.final["run"]) == set(split.fit_runs)
        assert set(task_fit.points.checkpoints["run"]) == set(split.fit_runs)
    # 1B from 190M-760M: a few points of error, mostly inside the 95% interval
    assert results["abs_error"].mean() < 0.03
    assert results["covered"].mean() > 0.7


def test_compute_vs_error_fractions_and_trend(paper_spec, paper_table):
    spec = paper_spec.with_fit(bootstrap=0, method="paper")
    cuts = ladder_cuts(rungs(paper_table), spec.fit_runs)
    labels = {c.label: c for c in cuts}
    smallest, paper, largest = (
        labels["190M-760M x {1,2}xC"],
        labels["190M-1B x {1,2,5,10}xC"],
        labels["190M-3B x {1,2,5,10}xC"],
    )
    assert set(paper.runs) == set(spec.fit_runs)
    results = compute_vs_error(paper_table, spec, [smallest, paper, largest], workers=1)
    seven = results[results["target"] == "7B-4T"].set_index("ladder")
    # the paper's ladder costs about 3% of the 7B-4T model's compute (6 N D)
    assert seven.loc[paper.label, "compute_fraction"] == pytest.approx(0.0316, abs=1e-3)
    # more ladder, less error: the full ladder beats the smallest cut on both targets
    for target in ("7B-4T", "13B-5T"):
        errors = results[results["target"] == target].set_index("ladder")["mean_abs_error"]
        assert errors[largest.label] < errors[smallest.label]


def test_noise_defaults_to_the_fit_and_target_runs(paper_spec, paper_table):
    noise = api.noise(paper_spec, paper_table)
    assert set(noise["run"]) == {
        *paper_spec.fit_runs,
        "peteish7_eval_anneal",
        "peteish13_eval_final",
    }
    one = api.noise(paper_spec, paper_table, runs=["1B-10xC"], detrend=False)
    mmlu = summarize(one).set_index("task").loc["mmlu"]
    assert mmlu["accuracy_sd"] == pytest.approx(0.0009927395, rel=1e-6)


def test_backtest_kinds_and_held_out_runs(paper_spec, paper_table):
    spec = paper_spec.with_fit(bootstrap=0, method="paper").with_tasks(["piqa"])
    both = api.backtest(spec, paper_table, kinds=["both"])
    names = [s.name for s in both.splits]
    assert names == ["190M-760M -> 1B", "190M-1B -> 3B"] + [f"without {m}xC" for m in (1, 2, 5, 10)]
    assert api.backtest(spec, paper_table, kinds=["size", "multiplier"]).splits == both.splits
    with pytest.raises(LadderError, match="choose from size, multiplier, both"):
        api.backtest(spec, paper_table, kinds=["sizes"])
    # any runs, named like rungs or not: 1B-10xC leaves the fit, the 3B rerun is predicted
    held = api.backtest(spec, paper_table, hold_out=["1B-10xC", "3B-1xC-rerun"])
    (split,) = held.splits
    assert "1B-10xC" not in split.fit_runs and len(split.fit_runs) == 15
    assert set(held.results["run"]) == {"1B-10xC", "3B-1xC-rerun"}
    with pytest.raises(LadderError, match="run '42M-1xC' is not in the data"):
        api.backtest(spec, paper_table, hold_out=["42M-1xC"])


def test_variance_and_backtest_commands(tmp_path, capsys):
    out = tmp_path / "noise.json"
    assert main(["variance", "-q", "--raw", "--runs", "1B-10xC", "--output", str(out)]) == 0
    document = json.loads(out.read_text())
    mmlu = next(r for r in document["summary"] if r["task"] == "mmlu")
    assert mmlu["accuracy_sd"] == pytest.approx(0.0009927395, rel=1e-6)
    assert "MMLU" in capsys.readouterr().out
    out = tmp_path / "backtest.json"
    args = ["--kind", "multiplier", "--bootstrap", "0", "--method", "paper", "-o", str(out)]
    code = main(["backtest", "-q", *args])
    assert code == 0
    results = json.loads(out.read_text())["results"]
    assert {r["split"] for r in results} == {f"without {m}xC" for m in (1, 2, 5, 10)}
    printed = capsys.readouterr().out
    assert "coverage" in printed and " MMLU " in printed and " mmlu " not in printed
    assert main(["backtest", "-q", "--kind", "sizes"]) == 2
    assert "choose from size, multiplier, both" in capsys.readouterr().err


def test_report_writes_tables_figures_and_summary(tmp_path):
    spec = api.spec().with_fit(bootstrap=200, method="paper").with_tasks(["mmlu", "piqa"])
    written = api.report(spec, tmp_path, formats=["png"])
    names = {p.name for p in written}
    for name in (
        "summary.md",
        "fit.json",
        "fit.txt",
        "noise.csv",
        "backtest.csv",
        "chained.png",
        "noise.png",
    ):
        assert name in names and (tmp_path / name).stat().st_size > 0
    summary = (tmp_path / "summary.md").read_text()
    assert "## 13B-5T" in summary and "| MMLU |" in summary and "![chained](chained.png)" in summary


def test_compute_vs_error_command_writes_table_and_figure(tmp_path, capsys):
    args = ["--output-dir", str(tmp_path), "--formats", "png", "--method", "paper"]
    assert main(["compute-vs-error", "-q", "--tasks", "piqa", *args]) == 0
    table = pd.read_csv(tmp_path / "compute_vs_error.csv")
    assert len(table) == 2 * 18  # 18 cut-down ladders x 2 targets
    assert np.isfinite(table["mean_abs_error"]).all()
    assert (tmp_path / "compute_vs_error.png").stat().st_size > 10_000


def test_rungs_are_found_by_name_or_by_n_and_d(paper_table):
    from ladder.runs.rungs import parse_rung, rungs

    assert parse_rung("peteish-final-190M-1xC") == ("190M", 1.0)
    assert parse_rung("190M-1xC-rerun") is None
    renamed = paper_table.replace(
        {"run": {"190M-2xC": "peteish-final-190M-2xC", "370M-5xC": "my-run-17"}}
    )
    found = {
        r.run: (r.size, r.multiplier) for r in rungs(renamed, exclude=["peteish13_eval_final"])
    }
    assert found["peteish-final-190M-2xC"] == ("190M", 2.0)
    assert found["my-run-17"] == ("371M", 5.0)
    assert "190M-1xC-rerun" not in found and "peteish13_eval_final" not in found
