"""The command line: the default run's output and JSON, table mode, and every bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from ladder import api
from ladder.cli import main
from ladder.errors import LadderError
from ladder.spec.ladder import parse_target

RUNS = "190M-1xC,190M-2xC,190M-5xC,190M-10xC,370M-1xC,370M-2xC,370M-5xC,370M-10xC"
SMALL_RUNS = RUNS + ",760M-1xC,760M-2xC,760M-5xC,760M-10xC,1B-1xC,1B-2xC,1B-5xC,1B-10xC"
TARGET_13B = "13B-5T=13202396160,5000088518656,peteish13_eval_final"
KEYS = {"metric", "predicted", "lower", "upper", "actual", "abs_error", "rel_error", "covered"}


def test_ci_runs_the_readme_test_command_which_updates_the_package_lists():
    """.ci/run is the README's test command, and that command installs Slurm only after
    `apt-get update` (a fresh Debian image has no package lists)."""
    readme = (ROOT / "README.md").read_text().splitlines()
    command = next(line for line in readme if "pip install -e '.[test]'" in line)
    assert command in (ROOT / ".ci" / "run").read_text().splitlines()
    assert "(apt-get update && apt-get install -y slurm-wlm)" in command


def test_default_fit_prints_both_targets_and_writes_json(tmp_path):
    """The README's command: `ladder fit` on the bundled data, from the repository root; the
    fit goes to the user's data folder, never into the repository."""
    out = tmp_path / "report.json"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "ladder", "fit", "-q"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "7B-4T" in result.stdout and "13B-5T" in result.stdout
    assert "MMLU" in result.stdout and "OpenBookQA" in result.stdout
    written = tmp_path / "home" / "ladder" / "fits" / "olmo-paper.json"
    assert f"wrote {written}" in result.stdout
    document = json.loads(written.read_text())
    assert document["schema"] == "ladder-fit" and document["schema_version"] == 2
    assert document["spec"]["fit"]["bootstrap"] == 1000
    assert document["spec"]["data"] == "olmo-ladder.parquet"  # a file name, not a machine path
    for target in ("7B-4T", "13B-5T"):
        tasks = document["targets"][target]["tasks"]
        assert len(tasks) == 8
        for task in tasks.values():
            assert set(task) >= KEYS
            assert task["lower"] < task["predicted"] < task["upper"]
            assert task["abs_error"] == pytest.approx(abs(task["predicted"] - task["actual"]))
            assert {"step1", "step2", "members"} <= set(task)
    method = document["selection"]
    assert method["asked"] == "auto" and len(method["chosen"]) == 5
    assert set(method["chosen"]) <= set(method["ranking"])
    assert method["calibration"]["params"]["n"] > 50
    assert "Method: auto" in result.stdout and "rollout error per candidate" in result.stdout
    args = ["fit", "-q", "--method", "paper", "--bootstrap", "0", "-o", str(out)]
    assert main(args) == 0
    paper = json.loads(out.read_text())
    assert paper["spec"]["fit"]["bootstrap"] == 0 and paper["selection"] is None
    mmlu = paper["targets"]["13B-5T"]["tasks"]["mmlu"]
    assert mmlu["predicted"] == pytest.approx(0.51268, abs=5e-4)
    step1 = paper["tasks"]["mmlu"]["predictor"]["params"]["step1"]
    assert set(step1["fitted"]["params"]) == {"E", "ln_A", "alpha", "ln_B", "beta"}


def fit_json(tmp_path, *args: str) -> dict:
    """Run `ladder fit ARGS` quietly with 200 resamples; return the JSON it wrote."""
    out = tmp_path / "r.json"
    assert main(["fit", *args, "--bootstrap", "200", "-q", "--output", str(out)]) == 0
    return json.loads(out.read_text())


def test_table_mode_with_targets_on_the_command_line(tmp_path):
    table = str(ROOT / "data/olmo-ladder.parquet")
    document = fit_json(
        tmp_path,
        table,
        "--fit-runs",
        SMALL_RUNS,
        "--target",
        TARGET_13B,
        "--target",
        "70B=70e9,15e12",
        "--tasks",
        "hellaswag_val_rc_5shot",
        "--method",
        "paper",
    )
    hellaswag = document["targets"]["13B-5T"]["tasks"]["hellaswag_val_rc_5shot"]
    assert hellaswag["predicted"] == pytest.approx(0.8530, abs=1e-3)
    unknown = document["targets"]["70B"]["tasks"]["hellaswag_val_rc_5shot"]
    assert unknown["actual"] is None and unknown["rel_error"] is None
    assert unknown["predicted"] > hellaswag["predicted"]


def test_table_spec_from_python_is_the_command_lines(paper_table):
    spec, table = api.table_spec(
        ROOT / "data/olmo-ladder.parquet",
        SMALL_RUNS.split(","),
        [parse_target(TARGET_13B)],
        ["hellaswag_val_rc_5shot", "piqa_val_rc_5shot"],
        {"piqa_val_rc_5shot": 0.5},
        bootstrap=0,
        method="paper",
    )
    assert spec.name == "olmo-ladder" and len(table) == len(paper_table)
    assert [t.chance for t in spec.tasks] == [0.25, 0.5]
    fit = api.fit(spec, table, workers=1)
    p = fit.tasks["hellaswag_val_rc_5shot"].predictions["13B-5T"].chained
    assert p.predicted == pytest.approx(0.8530, abs=1e-3)
    with pytest.raises(LadderError, match="chance piqa: not one of the tasks fitted"):
        api.table_spec(ROOT / "data/olmo-ladder.parquet", ["190M-1xC"], (), None, {"piqa": 0.5})


def test_loss_only_table_fits_step_1_only(tmp_path, paper_table):
    table = paper_table[paper_table["task"] == "piqa_val_rc_5shot"].drop(columns="accuracy")
    path = tmp_path / "loss.csv"
    table.to_csv(path, index=False)
    document = fit_json(tmp_path, str(path), "--fit-runs", SMALL_RUNS, "--target", TARGET_13B)
    task = document["targets"]["13B-5T"]["tasks"]["piqa_val_rc_5shot"]
    assert task["metric"] == "task_loss"
    assert task["rel_error"] == pytest.approx(0.0267, abs=2e-3)  # step1_main.csv's PIQA
    assert "step2" not in task
    # allocation minimizes the task loss: the optimum is lower than its neighbours at equal C
    fit = api.load_fit(tmp_path / "r.json")
    best = api.allocate(fit, [1e23]).iloc[0]
    assert best["metric"] == "task_loss" and best["lower"] < best["predicted"] < best["upper"]
    n = best["params"] * np.array([1 / 1.3, 1, 1.3])
    assert np.argmin(fit.predict(n, 1e23 / (6 * n))["predicted"]) == 1
    assert best["params_low"] < best["params"] < best["params_high"]


def test_no_targets_prints_the_fitted_laws(tmp_path, capsys):
    args = ["fit", str(ROOT / "data/olmo-ladder.parquet"), "--fit-runs", SMALL_RUNS]
    args += ["--tasks", "hellaswag_val_rc_5shot", "--bootstrap", "0"]
    assert main([*args, "--method", "paper", "-o", str(tmp_path / "fit.json")]) == 0
    out = capsys.readouterr().out
    assert "hellaswag_val_rc_5shot: no targets in the spec; the fitted laws" in out
    assert "step1, PowerLaw: L(N, D) = 0.5019 + 11.23 / N^0.1955 + 60.37 / D^0.2565" in out
    assert "step2, Sigmoid: acc(L) = -0.7301 / (1 + exp(-12.74 (L - 0.7667))) + 0.9921" in out
    assert main([*args, "--method", "flops", "-o", str(tmp_path / "fit.json")]) == 0
    out = capsys.readouterr().out
    assert "flops step1, PowerLaw: L(C) = " in out and "flops step2, Sigmoid" in out


def _bad_table(tmp_path, paper_table, change):
    table = paper_table[paper_table["task"] == "piqa_val_rc_5shot"].copy()
    table = change(table)
    path = tmp_path / "bad.csv"
    table.to_csv(path, index=False)
    return str(path)


FIT_TABLE = ["fit", str(ROOT / "data/olmo-ladder.parquet"), "--fit-runs", RUNS]

BAD_INPUTS = {
    "missing file": (
        lambda tmp, t: ["fit", str(tmp / "nope.csv"), "--fit-runs", RUNS],
        "no such file",
    ),
    "wrong columns": (
        lambda tmp, t: [
            "fit",
            _bad_table(tmp, t, lambda d: d.drop(columns="tokens")),
            "--fit-runs",
            RUNS,
        ],
        "missing column(s) tokens",
    ),
    "NaN": (
        lambda tmp, t: [
            "fit",
            _bad_table(
                tmp,
                t,
                lambda d: d.assign(
                    task_loss=np.where(np.arange(len(d)) == 7, np.nan, d["task_loss"])
                ),
            ),
            "--fit-runs",
            RUNS,
        ],
        "row 9, column 'task_loss'",
    ),
    "too few runs": (
        lambda tmp, t: [
            "fit",
            _bad_table(tmp, t, lambda d: d),
            "--fit-runs",
            "190M-1xC,190M-2xC,370M-1xC",
            "--method",
            "paper",
        ],
        "3 point(s) to fit 5 parameters",
    ),
    "target run not in data": (
        lambda tmp, t: ["fit", "--target", "X=1e9,1e12,nope"],
        "run 'nope' is not in the data",
    ),
    "fit run not in data": (
        lambda tmp, t: ["fit", "--fit-runs", "190M-1xC,42M-1xC"],
        "run '42M-1xC' is not in the data",
    ),
    "unknown task": (lambda tmp, t: ["fit", "--tasks", "mmlu,winograd"], "unknown task 'winograd'"),
    "unknown table task": (
        lambda tmp, t: [*FIT_TABLE, "--tasks", "winograd"],
        "'winograd' is not in the table",
    ),
    "bad target": (
        lambda tmp, t: ["fit", "--target", "X=big,1e12"],
        "target 'X=big,1e12': params: expected a whole number",
    ),
    "chance of an unfitted task": (
        lambda tmp, t: [*FIT_TABLE, "--tasks", "piqa_val_rc_5shot", "--chance", "piqa=0.5"],
        "chance piqa: not one of the tasks fitted",
    ),
    "chance above 1": (
        lambda tmp, t: [
            *FIT_TABLE,
            "--tasks",
            "piqa_val_rc_5shot",
            "--chance",
            "piqa_val_rc_5shot=1.5",
        ],
        "chance: Input should be less than 1",
    ),
    "too few resamples": (
        lambda tmp, t: ["fit", "--level", "0.9", "--bootstrap", "2"],
        "bootstrap 2 is too few for a 90% interval",
    ),
    "missing config": (lambda tmp, t: ["fit", "--config", str(tmp / "none.yaml")], "no such file"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_nothing_written(case, tmp_path, capsys, paper_table):
    args, message = BAD_INPUTS[case]
    out = tmp_path / "out.json"
    verb, *rest = args(tmp_path, paper_table)  # the case's own flags come last and win
    code = main([verb, "-q", "--bootstrap", "0", "--output", str(out), *rest])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_plot_writes_png_and_pdf(tmp_path, capsys):
    args = ["--method", "paper", "--output-dir", str(tmp_path), "--formats", "png,pdf"]
    assert main(["plot", "-q", *args]) == 0
    for name in ("step1", "step2", "chained"):
        for fmt in ("png", "pdf"):
            assert (tmp_path / f"{name}.{fmt}").stat().st_size > 10_000


def test_import_round_trips_a_log(tmp_path, paper_table):
    source = ROOT.parent / "shared/data/olmo-ladder/ladder-runs/190M-1xC.csv"
    if not source.is_file():
        pytest.skip("the original logs (../shared) are not beside this checkout")
    out = tmp_path / "one.parquet"
    assert (
        main(["import", "olmo-logs", str(source), "--params", "190M=190354176", "-o", str(out)])
        == 0
    )
    mine = pd.read_parquet(out)
    bundled = paper_table[paper_table["run"] == "190M-1xC"].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, bundled, check_dtype=False)


def test_help_imports_no_numerics():
    """`ladder --help` and every verb's parser load without numpy, pandas, scipy or torch
    (their import was most of the time of every command; benchmarks/README.md times it)."""
    code = (
        "import sys\nfrom ladder.cli import build_parser\nbuild_parser()\n"
        "print(sorted({'numpy', 'pandas', 'scipy', 'torch'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
