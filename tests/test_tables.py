"""Your own data: a plain table for every fitting verb, fit runs by pattern, tables written by
hand (separators, header case, percentages, N in millions, names that disagree), the sample."""

from __future__ import annotations

import argparse
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from ladder import api
from ladder.cli import build_parser, main
from ladder.cli.common import ladder_spec
from ladder.data import observations
from ladder.errors import LadderError, LadderWarning
from ladder.spec.ladder import TaskSpec

SAMPLE = ROOT / "data" / "examples" / "sample.csv"
TARGET = "7B=6887575552,3945065873408,7B-4T"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(SAMPLE)


def test_fit_runs_take_shell_patterns_and_a_pattern_must_match():
    spec, _ = api.spec_and_table(path=SAMPLE, fit_runs=["*-1xC", "190M-*"])
    one_x = ["190M-1xC", "1B-1xC", "370M-1xC", "3B-1xC", "760M-1xC"]  # the table's order
    assert list(spec.fit_runs) == [*one_x, "190M-10xC", "190M-2xC", "190M-5xC"]
    spec, _ = api.spec_and_table("configs/minimal.yaml", fit_runs=["1B-?xC"])
    assert list(spec.fit_runs) == ["1B-1xC", "1B-2xC", "1B-5xC"]
    with pytest.raises(LadderError, match="pattern '13B-\\*' matches no run"):
        api.spec_and_table(path=SAMPLE, fit_runs=["13B-*"])


def test_noise_and_backtest_take_a_table(tmp_path, capsys):
    """The analyses read a plain table as `fit` does (they needed a YAML spec)."""
    out = tmp_path / "noise.json"
    assert main(["noise", str(SAMPLE), "--fit-runs", "190M-*", "-o", str(out)]) == 0
    assert sorted({r["run"] for r in json.loads(out.read_text())["runs"]}) == [
        "190M-10xC",
        "190M-1xC",
        "190M-2xC",
        "190M-5xC",
    ]
    args = ["backtest", str(SAMPLE), "--fit-runs", "190M-*,370M-*", "--hold-out", "370M-10xC"]
    assert main([*args, "--method", "paper", "--bootstrap", "0", "-q"]) == 0
    assert "370M-10xC" in capsys.readouterr().out


def test_sample_and_minimal_spec_predict_the_7b_within_6_points():
    spec = api.spec("configs/minimal.yaml")
    fit = api.fit(spec.with_fit(method="flops"))
    for task_fit in fit.tasks.values():
        p = task_fit.predictions["7B-4T"].headline
        assert abs(p.predicted - p.actual) < 0.06, task_fit.task.name


def test_a_loss_only_task_beside_accuracy_tasks_leaves_their_accuracy_alone(sample):
    """The accuracy tasks were predicted as task loss (0.59 "accuracy" for 0.85) when one task
    of the table had no accuracy; now each group is fitted apart and the loss task says why."""
    loss = sample[sample["task"] == "hellaswag"].assign(task="validation", accuracy=np.nan)
    table = observations.validate(pd.concat([sample, loss]))
    spec, _ = api.spec_and_table(path=SAMPLE, fit_runs=["190M-*", "370M-*", "760M-*", "1B-*"])
    tasks = [TaskSpec.parse({"name": n}, n) for n in ("arc_easy", "hellaswag", "validation")]
    spec = spec.replace(tasks=tasks, targets=[api.spec("configs/minimal.yaml").targets[0]])
    fit = api.fit(spec.with_fit(method="flops"), table)
    arc = fit.tasks["arc_easy"].predictions["7B-4T"]
    assert arc.chained is not None and abs(arc.chained.predicted - 0.8455) < 0.06
    assert fit.tasks["validation"].metric == "task_loss"
    assert [w["task"] for w in fit.warnings if w["check"] == "loss only"] == ["validation"]


def test_fit_runs_of_one_point_are_an_error_not_a_law_message(capsys):
    assert main(["fit", str(SAMPLE), "--fit-runs", "190M-1xC", "-q"]) == 2
    assert "are one (N, D): every method needs fit runs of at least 2" in capsys.readouterr().err


def test_semicolon_export_with_capitalised_headers_reads_as_the_csv(tmp_path, sample):
    path = tmp_path / "export.csv"
    renamed = sample.rename(columns=lambda c: c.replace("_", " ").title())  # "Task Loss"
    text = renamed.to_csv(sep=";", index=False).replace(".", ",")  # a comma-decimal locale
    path.write_text(text)
    mine = observations.read(path)
    pd.testing.assert_frame_equal(mine, observations.read(SAMPLE), check_exact=False)


def test_missing_columns_show_the_columns_found(tmp_path, sample):
    path = tmp_path / "t.csv"
    sample.rename(columns={"params": "N"}).to_csv(path, index=False)
    with pytest.raises(LadderError, match=r"missing column.s. params; .*found: run, N, tokens"):
        observations.read(path)


def test_accuracy_in_percent_is_asked_about(sample):
    with pytest.raises(LadderError, match=r"a percentage. give fractions"):
        observations.validate(sample.assign(accuracy=100 * sample["accuracy"]))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.assign(params=t["params"] // 10**6), "run '190M-10xC': N = 190 parameters;"),
        (
            lambda t: t.assign(params=np.where(t["run"] == "1B-2xC", 4 * t["params"], t["params"])),
            "run '1B-2xC': N = 5.12e.09 parameters; its name says 1B$",
        ),
        (
            lambda t: t.assign(tokens=np.where(t["run"] == "3B-5xC", 3 * t["tokens"], t["tokens"])),
            "run '3B-5xC': its last D = .* tokens; its name says 5xC",
        ),
    ],
)
def test_n_in_millions_and_runs_unlike_their_names_warn(tmp_path, sample, change, message):
    path = tmp_path / "t.csv"
    change(sample).to_csv(path, index=False)
    with pytest.warns(LadderWarning, match=message) as record:
        observations.read(path)
    assert len(record) == 1
    with warnings.catch_warnings():  # the sample itself is silent
        warnings.simplefilter("error", LadderWarning)
        observations.read(SAMPLE)


def test_cli_prints_a_warning_as_one_line(tmp_path, sample, capsys):
    path = tmp_path / "t.csv"
    sample.assign(params=sample["params"] // 10**6).to_csv(path, index=False)
    assert main(["noise", str(path), "--fit-runs", "190M-*"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"ladder noise: warning: {path}: run '190M-10xC': N = 190 ")
    assert err[0].endswith("(and 20 more runs alike)")


def test_spec_errors_show_numbers_plainly():
    with pytest.raises(LadderError, match=r"chance: Input should be less than 1 \(got 1.5\)$"):
        TaskSpec.parse({"name": "a", "chance": np.float64(1.5)}, "task")


def test_chance_takes_several_pairs_per_flag():
    args = ["--chance", "arc_easy=0.2,hellaswag=0.3"]
    parsed = build_parser().parse_args(["fit", str(SAMPLE), "--fit-runs", "*-1xC", *args])
    spec, _ = ladder_spec(parsed)
    assert {t.name: t.chance for t in spec.tasks} == {"arc_easy": 0.2, "hellaswag": 0.3}


def _verbs() -> list[str]:
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(sub.choices)


@pytest.mark.parametrize("verb", _verbs())
def test_help_shows_no_empty_or_doubled_defaults(verb, capsys):
    """Every verb's --help: no empty defaults, no default said twice, no unformatted %%."""
    assert main([verb, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for noise in ("(default: None)", "(default: [])", "(default: False)", "%%"):
        assert noise not in text
    assert not re.search(r"\(default[^)]*\) \(default", text)


def test_train_dry_run_says_what_it_wrote_and_olmo_core_noise_is_off(tmp_path, capsys):
    import logging

    from ladder.train.olmo import QUIET_LOGGERS

    assert main(["train", "--dry-run", "--output-dir", str(tmp_path), "-q"]) == 0
    out = capsys.readouterr().out
    assert f"wrote 25 Slurm job scripts, one per rung, to {tmp_path}/<rung>/job.sbatch" in out
    assert len(list(tmp_path.glob("*/job.sbatch"))) == 25
    assert "written" not in out  # one line, not one per script
    for name in QUIET_LOGGERS:  # "transformer_engine unavailable", "No checkpoint found"
        assert logging.getLogger(name).getEffectiveLevel() == logging.ERROR


def test_stdout_is_line_buffered_under_nohup(tmp_path):
    """A verb's lines reach a file (nohup's) as they are printed, not at exit."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom ladder.cli import main\nmain(['noise', '--runs', '190M-1xC'])\n"
        "print(sys.stdout.line_buffering, file=sys.stderr)"
    )
    with open(tmp_path / "nohup.out", "w") as out:
        done = subprocess.run([sys.executable, "-c", code], stdout=out, stderr=subprocess.PIPE)
    assert done.stderr.decode().strip() == "True"
