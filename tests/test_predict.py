"""`ladder predict` and `ladder compare`: saved fits used on any grid and side by side."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from ladder import api
from ladder.cli import main
from ladder.errors import LadderError
from ladder.spec.ladder import LadderSpec

BUNDLED = str(ROOT / "fits" / "olmo-paper.json")


@pytest.fixture(scope="module")
def fits(paper_spec, paper_table, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fits")
    spec = paper_spec.with_tasks(["mmlu", "piqa"])
    auto = api.fit(spec, paper_table)
    paper = api.fit(spec.with_fit(method="paper", bootstrap=200), paper_table, workers=1)
    return {
        "auto": (auto, api.save_fit(auto, folder / "auto.json")),
        "paper": (paper, api.save_fit(paper, folder / "paper.json")),
    }


def test_predict_at_a_target_is_the_fits_own_prediction(fits):
    for fit, _ in fits.values():
        target = fit.spec.targets[1]
        grid = fit.predict(target.params, target.tokens).set_index("task")
        for name, task_fit in fit.tasks.items():
            headline = task_fit.predictions[target.name].headline
            assert grid.loc[name, "predicted"] == pytest.approx(headline.predicted, rel=1e-12)
            assert grid.loc[name, "lower"] == pytest.approx(headline.lower, rel=1e-12)


def test_predictions_rise_with_scale_and_intervals_widen_with_distance(fits):
    fit, _ = fits["auto"]
    grid = fit.predict([1e9, 1e10, 1e11], [2e10, 2e11, 2e12])
    mmlu = grid[grid["task"] == "mmlu"]
    assert np.all(np.diff(mmlu["predicted"]) > 0)
    assert np.all(np.diff(mmlu["upper"] - mmlu["lower"]) > 0)


def test_predict_from_the_command_line(fits, tmp_path, capsys):
    _, path = fits["auto"]
    out = tmp_path / "grid.csv"
    args = ["predict", str(path), "--params", "7e9,1.3e10", "--tokens", "4e12", "-o", str(out)]
    assert main(args) == 0
    assert "N = 7e+09, D = 4e+12" in capsys.readouterr().out
    grid = pd.read_csv(out)
    assert len(grid) == 4 and set(grid["task"]) == {"mmlu", "piqa"}
    assert main(["predict", str(path), "--compute", "1e24", "--tokens-per-param", "100"]) == 0
    n = np.sqrt(1e24 / 600)
    assert f"N = {n:.4g}, D = {100 * n:.4g}" in capsys.readouterr().out


def test_predict_warns_far_points_as_fit_does_and_marks_clipped_ends(capsys):
    """Far beyond the ladder, predict gives `ladder fit`'s `far` warning (its rows marked !),
    tasks by their display names, and an interval end clipped to 100 points marked c."""
    assert main(["predict", BUNDLED, "--params", "1e12", "--tokens", "1e14"]) == 0
    out = capsys.readouterr().out
    assert "every task, N = 1e+12, D = 1e+14: 782x the largest fit N" in out
    assert "far outside what the ladder measured" in out
    assert re.search(r"HellaSwag !\s+[\d.]+\s+\[[\d.]+, 100\.0\]c", out)
    fit = api.load_fit(BUNDLED)
    far = fit.far_warnings(1e12, 1e14)
    assert {w["check"] for w in far} == {"far"} and len(far) == len(fit.tasks)
    assert fit.far_warnings(7e9, 4e12) == []
    assert main(["predict", BUNDLED, "--params", "7e9", "--tokens", "4e12"]) == 0
    assert "Warnings" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--params", "7e9"], "give N and D"),
        (["--params", "0", "--tokens", "1e12"], "--params '0': expected a positive number"),
        (["--compute", "1e24", "--params", "7e9"], "give either N and D, or the compute"),
        (["--compute", "1e24", "--tokens-per-param", "-1"], "must be positive"),
    ],
)
def test_predict_bad_grids_are_one_line(fits, capsys, flags, message):
    _, path = fits["auto"]
    assert main(["predict", str(path), *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_grid_is_written_only_in_a_form_read_back(fits, tmp_path, capsys):
    """--out x.txt: refused with the forms allowed (CSV, JSON), and nothing written."""
    _, path = fits["paper"]
    out = tmp_path / "x.txt"
    assert (
        main(["predict", str(path), "--params", "7e9", "--tokens", "4e12", "--out", str(out)]) == 2
    )
    err = capsys.readouterr().err
    assert "x.txt: a table is written as .csv or .json" in err and len(err.splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_compare_two_fits_side_by_side(fits, tmp_path, capsys):
    (auto, a), (paper, b) = fits["auto"], fits["paper"]
    frame = api.compare(auto, paper)
    assert len(frame) == 4  # two targets x two tasks
    row = frame[(frame["target"] == "13B-5T") & (frame["task"] == "mmlu")].iloc[0]
    expected = paper.tasks["mmlu"].predictions["13B-5T"].chained.predicted
    assert row["second"] == pytest.approx(expected, rel=1e-12)
    assert row["difference"] == pytest.approx(row["second"] - row["first"])
    assert bool(row["overlap"]) == (
        row["first_lower"] <= row["second_upper"] and row["second_lower"] <= row["first_upper"]
    )
    # a conformal fit against a bootstrapped one: the intervals' half widths in quadrature
    assert row["difference_method"] == "independent"
    below = np.hypot(row["second"] - row["second_lower"], row["first_upper"] - row["first"])
    assert row["difference_lower"] == pytest.approx(row["difference"] - below)
    out = tmp_path / "c.json"
    assert main(["compare", str(a), str(b), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert (
        "difference" in printed
        and "rungs won" in printed
        and "  MMLU " in printed
        and "  mmlu " not in printed
    )
    assert len(json.loads(out.read_text())) == 4


def shifted_ladder(shift: float) -> pd.DataFrame:
    """A 5 x 4 ladder (20 checkpoints a run) from one law, task loss
    0.6 + 30 / N^0.25 + 400 / D^0.25 and a sigmoid, accuracy raised by `shift` (a fraction);
    the same noise (SD 0.3 points, 0.3% of the loss) whatever the shift."""
    rng, rows = np.random.default_rng(1), []
    for i, n in enumerate([60e6, 150e6, 300e6, 600e6, 1e9]):
        for m in (1, 2, 5, 10):
            for step in range(1, 21):
                d = 20 * m * n * step / 20
                loss = 0.6 + 30 / n**0.25 + 400 / d**0.25
                accuracy = 0.25 + 0.7 / (1 + np.exp(5 * (loss - 1.0))) + shift
                rows.append(
                    {"run": f"s{i}-{m}xC", "params": n, "tokens": d, "step": step, "task": "t"}
                    | {"task_loss": loss * np.exp(rng.normal(0, 0.003))}
                    | {"accuracy": accuracy + rng.normal(0, 0.003)}
                )
    return pd.DataFrame(rows)


def test_compare_finds_a_ladder_better_at_every_rung():
    """B is A's ladder with 0.8 points more accuracy at every checkpoint: the two 7B intervals
    overlap, but the difference's paired interval excludes 0 and B wins every rung."""
    spec = LadderSpec.parse(
        {
            "name": "shifted",
            "fit": {"runs": [f"s{i}-{m}xC" for i in range(5) for m in (1, 2, 5, 10)]}
            | {"method": "paper", "bootstrap": 200},
            "targets": [{"name": "7B", "params": 7e9, "tokens": 7e11}],
            "tasks": [{"name": "t", "chance": 0.25}],
        },
        "shifted",
    )
    a, b = (api.fit(spec, shifted_ladder(shift), workers=1) for shift in (0.0, 0.008))
    row = api.compare(a, b).iloc[0]
    assert row["overlap"]  # what compare said before: no difference
    assert row["difference"] == pytest.approx(0.008, abs=0.002)
    assert 0 < row["difference_lower"] < row["difference"] < row["difference_upper"] < 0.012
    assert (row["difference_method"], row["difference_n"]) == ("paired bootstrap", 200)
    assert (row["verdict"], row["rungs_won"], row["rungs"]) == ("second", 20, 20)
    backwards = api.compare(b, a).iloc[0]
    assert (backwards["verdict"], backwards["rungs_won"]) == ("first", 0)


def test_compare_a_calibrated_fit_with_itself_pairs_its_rollouts(fits):
    auto, _ = fits["auto"]
    frame = api.compare(auto, auto)
    assert set(frame["difference_method"]) == {"paired rollouts"}
    assert (frame["difference_n"] > 0).all() and (frame["difference"] == 0).all()
    np.testing.assert_allclose(frame[["difference_lower", "difference_upper"]], 0, atol=1e-12)
    assert set(frame["verdict"]) == {"neither"} and (frame["rungs_won"] == 0).all()


def test_compare_needs_a_shared_task(fits, paper_spec, paper_table):
    fit, _ = fits["auto"]
    other = api.fit(paper_spec.with_tasks(["hellaswag"]).with_fit(method="flops"), paper_table)
    with pytest.raises(LadderError, match="share no task"):
        api.compare(fit, other)


def test_allocate_finds_each_tasks_best_split_of_a_budget(tmp_path, capsys):
    """On the bundled fit: D* = C / 6N*, the prediction is the fit's own at (N*, D*), better
    than at N* / 1.3 and 1.3 N* with the same C, inside a range of N that holds N*; N* grows
    with C."""
    out = tmp_path / "allocation.json"
    assert main(["allocate", BUNDLED, "--compute", "1e22,1e23", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "C = 1e+23 FLOPs" in printed and "  MMLU " in printed
    frame = pd.DataFrame(json.loads(out.read_text()))
    fit = api.load_fit(BUNDLED)
    assert len(frame) == 2 * len(fit.tasks) and frame["note"].isna().all()
    np.testing.assert_allclose(6 * frame["params"] * frame["tokens"], frame["compute"], rtol=1e-12)
    assert (frame["params_low"] < frame["params"]).all()
    assert (frame["params"] < frame["params_high"]).all()
    for r in frame.itertuples():
        n = np.array([r.params / 1.3, r.params, 1.3 * r.params])
        grid = fit.predict(n, r.compute / (6 * n))
        scores = grid[grid["task"] == r.task]["predicted"].to_numpy()
        assert scores[1] == pytest.approx(r.predicted, rel=1e-12)
        assert scores[1] > max(scores[0], scores[2])
    by_task = frame.pivot(index="task", columns="compute", values="params")
    assert (by_task[1e23] > by_task[1e22]).all()
    assert by_task.loc["mmlu", 1e23] == pytest.approx(1.362e10, rel=1e-3)
    assert main(["allocate", BUNDLED, "--compute", "1e25"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"  MMLU !\s+1\.4e\+11\s+1\.19e\+13", printed)
    assert "MMLU, C = 1e+25: 109x the largest fit N" in printed


def _flops_only(path, tasks):
    """The bundled fit with the given tasks' ensembles cut to their law of C alone."""
    fit = api.load_fit(BUNDLED)
    for name in tasks:
        fit.tasks[name].predictor = fit.tasks[name].predictor.members["flops"]
    return str(api.save_fit(fit, path))


def test_allocate_notes_a_task_without_an_n_d_law(tmp_path, capsys):
    path = _flops_only(tmp_path / "mixed.json", ["piqa"])
    frame = api.allocate(api.load_fit(path), [1e23])
    piqa = frame.set_index("task").loc["piqa"]
    assert np.isnan(piqa["params"]) and piqa["note"].startswith("no (N, D) law")
    assert main(["allocate", path, "--compute", "1e23"]) == 0
    assert "PIQA, C = 1e+23: no (N, D) law" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--compute=-1e23"], "--compute '-1e23': expected a positive number"),
        (["--compute", "1e23,lots"], "--compute 'lots': expected a positive number"),
        (["--compute", "0"], "--compute '0': expected a positive number"),
        ([], "the following arguments are required: --compute"),
    ],
)
def test_allocate_bad_input_is_one_line(capsys, flags, message):
    assert main(["allocate", BUNDLED, *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_allocate_needs_a_law_of_n_and_d(tmp_path, capsys):
    path = _flops_only(tmp_path / "flops.json", api.load_fit(BUNDLED).tasks)
    assert main(["allocate", path, "--compute", "1e23"]) == 2
    err = capsys.readouterr().err
    assert "allocation needs a law of (N, D)" in err and len(err.strip().splitlines()) == 1
