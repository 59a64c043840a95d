"""The observation table's schema checks, atomic writes, and the OLMo log importer."""

from __future__ import annotations

import glob

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SHARED

from ladder.cli import main
from ladder.data import observations, olmo_logs
from ladder.errors import LadderError
from ladder.fit.points import checkpoint_points, final_points, task_frame, trailing_mean
from ladder.spec.ladder import TaskSpec

PAPER_PARAMS = {
    "190M": 190354176,
    "370M": 371262464,
    "760M": 758220288,
    "1B": 1279395840,
    "3B": 3169537280,
    "peteish7": 6887575552,
    "peteish13": 13202396160,
}


def small_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": ["a", "a", "b"],
            "params": [1e8, 1e8, 2e8],
            "tokens": [1e9, 2e9, 4e9],
            "step": [1, 2, 1],
            "task": ["t", "t", "t"],
            "task_loss": [1.2, 1.1, 1.0],
            "accuracy": [0.3, 0.32, 0.35],
        }
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.drop(columns="run"), "missing column(s) run"),
        (lambda d: d.assign(task_loss=[1.0, np.nan, 1.0]), "row 3, column 'task_loss': missing"),
        (lambda d: d.assign(task_loss=[1.0, -0.1, 1.0]), "row 3, column 'task_loss': outside (0,"),
        (lambda d: d.assign(task_loss=[1.0, 0.0, 1.0]), "row 3, column 'task_loss': outside (0,"),
        (lambda d: d.assign(task_loss=[1.0, np.inf, 1.0]), "row 3, column 'task_loss': not finite"),
        (lambda d: d.assign(params=[1e8, 0, 1e8]), "row 3, column 'params': outside [1,"),
        (lambda d: d.assign(params=[1e8, 1e30, 1e8]), "row 3, column 'params': outside [1, 9.2"),
        (lambda d: d.assign(tokens=[1e9, 1.5, 1e9]), "row 3, column 'tokens': not a whole number"),
        (lambda d: d.assign(step=[True, False, True]), "row 2, column 'step': a boolean"),
        (lambda d: d.assign(accuracy=[0.3, 1.2, 0.3]), "row 3, column 'accuracy': outside [0, 1]"),
        (
            lambda d: d.assign(accuracy=[0.3, np.nan, 0.3]),
            "row 3, column 'accuracy': missing, although the task has accuracy on other rows",
        ),
        (lambda d: d.assign(soft=[0.3, 0.2, 1.5]), "row 4, column 'soft': outside [0, 1]"),
        (lambda d: d.assign(learning_rate=[1e-3, -1, 0]), "column 'learning_rate': outside"),
        (lambda d: d.assign(loss_unit=["nats", "", None]), "row 2, column 'loss_unit': one of"),
        (
            lambda d: d.assign(lr_phase=["stable", "cooldown", None]),
            "row 3, column 'lr_phase': one of warmup, stable, decay, bottom ('cooldown')",
        ),
        (lambda d: d.assign(step=[1, 1, 1]), "duplicate (run, step, task) = (a, 1, t)"),
        (lambda d: d.assign(tokens=["x", 1, 1]), "row 2, column 'tokens': not a number"),
        (lambda d: d.iloc[0:0], "no rows"),
    ],
)
def test_validate_rejects_bad_rows_naming_row_and_column(change, message):
    with pytest.raises(LadderError) as info:
        observations.validate(change(small_table()), source="t.csv")
    assert message in str(info.value) and "t.csv" in str(info.value)


def test_accuracy_may_be_missing():
    table = observations.validate(small_table().drop(columns="accuracy"))
    assert table["accuracy"].isna().all()


def test_task_loss_may_be_missing_when_accuracy_is_there():
    """Public leaderboards give accuracy and no task loss."""
    table = observations.validate(small_table().drop(columns="task_loss"))
    assert table["task_loss"].isna().all() and table["accuracy"].notna().all()
    with pytest.raises(LadderError, match="row 4, column 'task_loss': missing, and so is"):
        observations.validate(small_table().assign(task_loss=[1.0, 1.1, np.nan], accuracy=np.nan))
    with pytest.raises(LadderError, match="task_loss': missing, although the task has task_loss"):
        observations.validate(small_table().assign(task_loss=[1.0, np.nan, 1.2]))
    with pytest.raises(LadderError, match="no score column"):
        observations.validate(small_table().drop(columns=["task_loss", "accuracy"]))


def test_write_is_atomic_and_round_trips(tmp_path):
    path = tmp_path / "t.parquet"
    observations.write(small_table(), path)
    pd.testing.assert_frame_equal(observations.read(path), observations.validate(small_table()))
    with pytest.raises(LadderError):
        observations.write(small_table().assign(task_loss=np.nan, accuracy=np.nan), path)
    assert len(observations.read(path)) == 3  # the failed write left the old file
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_bundled_table_is_reproduced_by_the_importer(paper_table):
    paths = sorted(glob.glob(str(SHARED / "ladder-runs" / "*.csv")))
    if not paths:
        pytest.skip("the original logs (../shared) are not beside this checkout")
    imported = olmo_logs.import_logs(paths, PAPER_PARAMS)
    pd.testing.assert_frame_equal(imported, paper_table)


def test_one_real_log_imports_as_its_rows_of_the_bundled_table(tmp_path, paper_table, capsys):
    """The committed sample (tests/data/olmo-logs, Apache-2.0) through the CLI: runs in CI too,
    where ../shared is absent."""
    log = ROOT / "tests" / "data" / "olmo-logs" / "190M-1xC.csv"
    out = tmp_path / "one.parquet"
    assert (
        main(["import", "olmo-logs", str(log), "--params", "190M=190354176", "-o", str(out)]) == 0
    )
    assert "runs" in capsys.readouterr().out
    expected = paper_table[paper_table["run"] == "190M-1xC"].reset_index(drop=True)
    assert len(expected) > 100
    pd.testing.assert_frame_equal(observations.read(out), expected)


def test_bundled_table_tokens_follow_the_rung_names(paper_table):
    finals = paper_table.groupby("run").agg(params=("params", "first"), tokens=("tokens", "max"))
    for run, multiplier in (("190M-1xC", 1), ("370M-0.5xC", 0.5), ("1B-10xC", 10), ("3B-5xC", 5)):
        ratio = finals.loc[run, "tokens"] / (20 * multiplier * finals.loc[run, "params"])
        assert ratio == pytest.approx(1.0, abs=0.01)
    # the 13B log has no token column: D = step x batch, 5.0T at its last step
    assert finals.loc["peteish13_eval_final", "tokens"] == 5000088518656


def test_importer_rejects_tokens_that_contradict_the_name(tmp_path):
    log = pd.DataFrame(
        {
            "_step": [10, 20],
            "throughput/total_tokens": [1e9, 2e9],
            "eval/downstream_bpb/piqa_val_rc_5shot_bpb": [1.0, 0.9],
            "eval/downstream/piqa_val_rc_5shot_len_norm": [0.6, 0.62],
        }
    )
    path = tmp_path / "100M-1xC.csv"
    log.to_csv(path, index=False)
    with pytest.raises(LadderError, match="implies 1 x 20 N"):
        olmo_logs.import_logs([path], {"100M": 1_000_000_000})  # 1xC would be 2e10 tokens
    rows = olmo_logs.import_logs([path], {"100M": 100_000_000})  # 2e9 = 20 x 1e8
    assert set(rows.columns) == {"run", "params", "tokens", "step", "task", "task_loss",
                                 "loss_unit", "accuracy", "len_norm"}  # fmt: skip
    assert rows["loss_unit"].unique().tolist() == ["bits per byte"]
    with pytest.raises(LadderError, match="no parameter count"):
        olmo_logs.import_logs([path], {"7B": 7})


def test_composite_task_is_the_weighted_mean(paper_table):
    sources = {"mmlu_stem_test_rc_5shot": 0.25, "mmlu_other_test_rc_5shot": 0.75}
    task = TaskSpec(name="mmlu", source=sources)
    frame = task_frame(paper_table, task).set_index(["run", "step"])
    parts = paper_table.set_index(["run", "step", "task"])["task_loss"]
    key = ("1B-1xC", 16279)
    expected = (
        0.25 * parts[(*key, "mmlu_stem_test_rc_5shot")]
        + 0.75 * parts[(*key, "mmlu_other_test_rc_5shot")]
    )
    assert frame.loc[key, "task_loss"] == pytest.approx(expected)


def test_points_follow_the_paper_recipe(paper_table):
    frame = task_frame(paper_table, TaskSpec(name="p", source="piqa_val_rc_5shot"))
    run = frame[frame["run"] == "190M-2xC"]
    final = final_points(frame, ["190M-2xC"], window=5).iloc[0]
    assert final["task_loss"] == pytest.approx(run["task_loss"].tail(5).mean())
    assert final["tokens"] == run["tokens"].max()
    points = checkpoint_points(frame, ["190M-2xC"], skip_fraction=0.1, window=5)
    assert len(points) == len(run) - int(np.ceil(0.1 * len(run)))
    np.testing.assert_allclose(trailing_mean(np.arange(1.0, 7.0), 3), [1, 1.5, 2, 3, 4, 5])


def test_spec_data_path_is_relative_to_the_spec():
    from ladder.spec.ladder import load_spec

    spec = load_spec(ROOT / "configs" / "olmo-paper.yaml")
    assert spec.data.resolve() == (ROOT / "data" / "olmo-ladder.parquet").resolve()


def test_import_csv_round_trips_and_rejects_overlaps(tmp_path, paper_table, capsys):
    from ladder.cli import main

    sample = paper_table[paper_table["run"].isin(["190M-1xC", "370M-1xC"])].head(400)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    sample.iloc[:200].to_csv(first, index=False)
    sample.iloc[200:].to_csv(second, index=False)
    out = tmp_path / "all.parquet"
    assert main(["import", "csv", str(first), str(second), "-o", str(out)]) == 0
    back = observations.read(out)
    expected = observations.validate(sample)
    assert back[expected.columns].equals(expected)
    assert main(["import", "csv", str(first), str(first), "-o", str(tmp_path / "x.csv")]) == 2
    assert "duplicate (run, step, task)" in capsys.readouterr().err
