"""WSD-S ladders: the plan of the paper's sizes (decay points, tokens, compute saved), the
schedule OLMo-core runs, and the phases the observations are marked with."""

from __future__ import annotations

import subprocess
import time

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import ROOT
from test_train import train_until_killed

from ladder import api
from ladder.cli import main
from ladder.data import observations
from ladder.errors import LadderError
from ladder.runs.folder import checkpoints
from ladder.runs.rungs import rung_name
from ladder.runs.schedule import WSDS, Cosine, learning_rate_at, phase_at
from ladder.spec.ladder import load_spec, parse_spec
from ladder.train.launch import ladder_plan
from ladder.train.plan import saving


@pytest.fixture(scope="module")
def wsds_plan():
    return ladder_plan(load_spec(ROOT / "configs" / "olmo-paper-wsds.yaml"))


def test_paper_wsds_plan_has_one_run_per_size_with_the_cosine_rungs_as_bottoms(
    wsds_plan, paper_spec
):
    cosine = {rung.name: rung for rung in ladder_plan(paper_spec)}
    sizes = ("190M", "370M", "760M", "1B", "3B")
    assert [r.name for r in wsds_plan] == [f"{s}-wsds" for s in sizes]
    for run in wsds_plan:
        assert [d.multiplier for d in run.decays] == [0.5, 1, 2, 5, 10]
        previous = 0
        for decay in run.decays:
            rung = cosine[rung_name(run.size, decay.multiplier)]
            # each bottom is the cosine rung's last step: same D, batch and sequence length
            assert decay.end == rung.steps and run.batch_size == rung.batch_size
            assert decay.end * run.tokens_per_step == rung.tokens
            assert decay.steps == round(0.2 * (decay.end - previous))
            previous = decay.end
        assert run.steps == run.decays[-1].end
        assert run.tokens == pytest.approx(10 * 20 * run.params, rel=1e-3)
        assert run.learning_rate == pytest.approx(2 * cosine[f"{run.size}-1xC"].learning_rate)
        assert run.warmup_steps == cosine[f"{run.size}-1xC"].warmup_steps
    first = wsds_plan[0]  # 190M: 1xC = 3,806,855,168 tokens of 524,288 per step
    assert [(d.start, d.end) for d in first.decays] == [
        (2905, 3631),
        (6535, 7261),
        (13071, 14523),
        (31950, 36307),
        (65353, 72614),
    ]
    saved = saving(wsds_plan)
    assert saved.cosine_flops == pytest.approx(sum(r.flops for r in cosine.values()))
    assert saved.fraction == pytest.approx(1 - 10 / 18.5, abs=1e-3)


def test_olmo_core_runs_the_planned_decays(wsds_plan):
    run = wsds_plan[0]
    peak = run.learning_rate
    assert learning_rate_at(run, run.warmup_steps // 2) < peak
    for decay in run.decays:
        assert learning_rate_at(run, decay.start) == pytest.approx(peak)
        assert learning_rate_at(run, decay.start + 1) == pytest.approx(
            peak * (decay.steps - 1) / decay.steps
        )
        assert learning_rate_at(run, decay.end) == 0.0
        if decay.end < run.steps:
            assert learning_rate_at(run, decay.end + 1) == pytest.approx(peak)
    assert [phase_at(run, s) for s in (1, run.warmup_steps, 2905, 2906, 3631, 3632)] == [
        "warmup",
        "stable",
        "stable",
        "decay",
        "bottom",
        "stable",
    ]
    assert run.fixed_steps[:4] == (2905, 3631, 6535, 7261)


def test_the_spec_schedule_is_a_strategy_that_groups_runs_and_feeds_the_fit(wsds_plan, paper_spec):
    wsds, cosine = load_spec(ROOT / "configs" / "olmo-paper-wsds.yaml").train, paper_spec.train
    assert isinstance(wsds.schedule_strategy, WSDS)
    assert isinstance(cosine.schedule_strategy, Cosine)
    assert wsds.run_names() == [r.name for r in wsds_plan]
    assert cosine.run_names() == [r.name for r in ladder_plan(paper_spec)]
    assert wsds.schedule_strategy.annealed_runs(wsds)["190M-wsds"] == "190M"
    assert cosine.schedule_strategy.annealed_runs(cosine) == {}
    assert wsds.step2_runs_of(("370M-1xC", "public")) == ("370M-wsds",)
    assert cosine.step2_runs_of(("370M-1xC", "public")) == ("370M-1xC", "public")


def test_dry_run_prints_the_decay_points_and_the_compute_saved(capsys):
    config = ROOT / "configs" / "olmo-paper-wsds.yaml"
    assert main(["train", "--dry-run", "-c", str(config), "--launcher", "local", "-q"]) == 0
    out = capsys.readouterr().out
    assert "190M-wsds" in out and "190M-0.5xC  190M-wsds           2,905        3,631" in out
    assert "a cosine ladder of the same 25 points: 2.76e+22 FLOPs" in out
    assert "the WSD-S runs save 46% of it (1.49e+22 FLOPs)" in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"multipliers": [0.004, 0.00401]}, "both end at step"),
        ({"wsds": {"decay_fraction": 0.005}}, "under one step"),
        ({"warmup_tokens_per_param": 0.04}, "do not fit before the 0.002xC bottom"),
        ({"schedule": "cosine", "wsds": {"lr_factor": 3}}, "wsds: set only with `schedule: wsds`"),
        ({"wsds": {"decay_fraction": 0.6}}, "train.wsds.decay_fraction: Input should be less"),
    ],
)
def test_bad_wsds_plans_fail_before_training(micro_spec, capsys, change, message):
    config = micro_spec(**{"schedule": "wsds", "multipliers": [0.002, 0.004], **change})
    assert main(["train", "-c", str(config), "--dry-run", "-q"]) == 2
    assert message in capsys.readouterr().err


def test_wsds_run_killed_mid_decay_resumes_to_the_same_result(tmp_path, micro_spec, corpus, capsys):
    """Decays end at 32 (0.001xC) and 64 (0.002xC) steps, each 6 steps long; the run is
    killed once step 60, inside the second decay, is saved. The corpus's first 2,000 tokens
    stand in for held-out text (its loss is the task `held-out`)."""
    held_out = tmp_path / "held-out.npy"
    np.fromfile(corpus, dtype=np.uint16)[:2000].tofile(held_out)
    config = micro_spec(schedule="wsds", multipliers=[0.001, 0.002], validation=str(held_out))
    spec = load_spec(config)
    (run,) = ladder_plan(spec)
    assert [(d.start, d.end) for d in run.decays] == [(26, 32), (58, 64)]
    folder = tmp_path / "runs" / run.name
    train_until_killed(config, folder / "step60" / ".metadata.json")
    assert not (folder / "DONE").exists()
    assert {26, 32, 58, 60}.issubset(step for step, _ in checkpoints(folder))

    assert main(["train", "-c", str(config), "-q"]) == 0, capsys.readouterr().err[-2000:]
    rows = observations.read(tmp_path / "obs.parquet")  # validate() rejects duplicates
    loss = rows[rows["task"] == "held-out"]
    table = rows[rows["task"] == "arc_easy_rc_0shot"]
    assert (
        table["step"].tolist() == loss["step"].tolist() == [10, 20, 26, 30, 32, 40, 50, 58, 60, 64]
    )
    assert loss["task_loss"].between(1, 5).all() and loss["accuracy"].isna().all()
    assert loss["task_loss"].iloc[-1] < loss["task_loss"].iloc[0]
    assert table["lr_phase"].tolist() == [
        "stable",
        "stable",
        "stable",
        "decay",
        "bottom",
        "stable",
        "stable",
        "stable",
        "decay",
        "bottom",
    ]
    rates = dict(zip(table["step"], table["learning_rate"], strict=True))
    assert [rates[s] for s in (26, 30, 32, 40, 60, 64)] == pytest.approx(
        [
            run.learning_rate,
            run.learning_rate * 2 / 6,
            0,
            run.learning_rate,
            run.learning_rate * 4 / 6,
            0,
        ]
    )

    # the same run never killed ends where the resumed one does
    reference = spec.replace(
        data=tmp_path / "reference.parquet",
        train=spec.train.replace(output=tmp_path / "reference"),
    )
    api.train(reference, config)
    expected = observations.read(tmp_path / "reference.parquet")
    columns = ["task", "step", "tokens", "task_loss", "accuracy", "learning_rate", "lr_phase"]
    pd.testing.assert_frame_equal(rows[columns], expected[columns], rtol=1e-6)


def _law(params, tokens):
    """Task loss L(N, D) = 1 + 50 / N^0.3 + 100 / D^0.3 at a decay bottom (bits per byte)."""
    return 1 + 50 / np.power(params, 0.3) + 100 / np.power(tokens, 0.3)


def _synthetic_wsds_table() -> pd.DataFrame:
    """Four WSD-S runs of 1M to 8M parameters, evaluated every 1/4 of 1xC of tokens (high LR:
    0.2 above the law) and at the bottoms of decays ending at 0.5, 1, 2 and 4 x C (on it)."""
    rows = []
    for size, params in (("a", 1e6), ("b", 2e6), ("c", 4e6), ("d", 8e6)):
        for quarter in range(1, 17):
            tokens = int(quarter / 4 * 20 * params)
            bottom = quarter in (2, 4, 8, 16)
            loss = _law(params, tokens) + (0 if bottom else 0.2)
            rows.append(
                {
                    "run": f"{size}-wsds",
                    "params": int(params),
                    "tokens": tokens,
                    "step": quarter * 100,
                    "task": "t",
                    "task_loss": loss,
                    "accuracy": 0.25 + 0.7 / (1 + np.exp(4 * (loss - 2.5))),
                    "lr_phase": "bottom" if bottom else "stable",
                }
            )
    return pd.DataFrame(rows)


def _wsds_spec(**fit):
    return parse_spec(
        {
            "name": "synthetic",
            "fit": {
                "bootstrap": 0,
                "final_window": 1,
                "skip_fraction": 0,
                "method": "paper",
                **fit,
            },
            "targets": [{"name": "big", "params": 64e6, "tokens": 1.28e9}],
            "tasks": [{"name": "t"}],
            "train": {
                "sizes": [{"name": n, "d_model": 8, "n_layers": 1, "n_heads": 2} for n in "abcd"],
                "multipliers": [0.5, 1, 2, 4],
                "schedule": "wsds",
                "corpus": ["unused.npy"],
                "output": "unused",
            },
        }
    )


def test_decay_bottoms_are_the_step1_rungs_and_the_wsds_runs_step2s():
    table = _synthetic_wsds_table()
    spec = _wsds_spec()
    data = api.observations_for(spec, table)
    assert api.observations_for(spec, data).equals(data)  # applying it twice changes nothing
    annealed = data[data["annealed_from"].notna()].set_index("run")
    assert sorted(annealed.index) == sorted(spec.fit_runs) and len(annealed) == 16
    assert annealed.loc["c-2xC", "tokens"] == 160_000_000 and annealed.loc["c-2xC", "step"] == 800
    assert spec.step2_runs == ("a-wsds", "b-wsds", "c-wsds", "d-wsds")
    assert spec.without_runs(["d-0.5xC", "d-1xC", "d-2xC", "d-4xC"]).step2_runs == (
        "a-wsds",
        "b-wsds",
        "c-wsds",
    )

    fit = api.fit(spec, table, workers=1).tasks["t"]
    assert sorted(fit.points.final["run"]) == sorted(spec.fit_runs)
    assert len(fit.points.checkpoints) == 64  # every checkpoint of the four WSD-S runs
    # step 1 sees only the bottoms, which lie on the law: the target's loss is the law's
    prediction = fit.predictions["big"].step1.predicted
    assert prediction == pytest.approx(_law(64e6, 1.28e9), rel=1e-3)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop(columns="lr_phase"), "has no lr_phase column"),
        (
            lambda t: t.assign(tokens=t["tokens"] * 1.4),
            "is at none of the multipliers 0.5, 1, 2, 4",
        ),
        (
            lambda t: pd.concat([t, t[t["run"] == "a-wsds"].assign(run="a-1xC")]),
            "its 1xC bottom would be the rung 'a-1xC', which the table already has",
        ),
    ],
)
def test_unreadable_bottoms_are_errors(change, message):
    with pytest.raises(LadderError, match=message):
        api.observations_for(_wsds_spec(), change(_synthetic_wsds_table()))


def test_held_out_loss_is_in_bits_per_byte(tmp_path, corpus):
    """A model that spreads its probability evenly over the 50,304 logits loses log2(50,304)
    bits on every predicted token."""
    from ladder.collect.validation import HeldOutText
    from ladder.runs.tokenizer import load_tokenizer
    from ladder.spec.train import TokenizerSpec

    path = tmp_path / "valid.npy"
    np.fromfile(corpus, dtype=np.uint16)[:1000].tofile(path)
    tokenizer = load_tokenizer(TokenizerSpec())
    text = HeldOutText.load(path, tokenizer, sequence_length=64)
    assert text.task == "valid" and text.windows.shape == (15, 64) and text.batch_size == 32
    predicted = text.windows[:, 1:]
    assert text.target_bytes == sum(
        len(tokenizer.decode(row.tolist()).encode("utf-8")) for row in predicted
    )
    assert 3 < text.target_bytes / predicted.size < 6  # English prose: ~4.5 bytes per token
    score = text.score(lambda ids: torch.zeros(*ids.shape, 50304))
    assert score.task_loss == pytest.approx(predicted.size * np.log2(50304) / text.target_bytes)


def test_collect_marks_each_checkpoint_with_its_phase(tmp_path, micro_spec):
    from ladder.collect.collector import pending_checkpoints
    from ladder.runs.folder import write_rung

    spec = load_spec(micro_spec(schedule="wsds", multipliers=[0.001, 0.002]))
    (run,) = ladder_plan(spec)
    folder = tmp_path / "runs" / run.name
    for step in (0, 20, 26, 30, 32):
        (folder / f"step{step}").mkdir(parents=True)
        (folder / f"step{step}" / ".metadata.json").write_text("{}")
    write_rung(folder, run)
    pending = pending_checkpoints(spec, ["arc_easy_rc_0shot"], set(), "cpu")
    assert [(p.run, p.step, p.schedule["lr_phase"]) for p in pending] == [
        ("d8-wsds", 20, "stable"),
        ("d8-wsds", 26, "stable"),
        ("d8-wsds", 30, "decay"),
        ("d8-wsds", 32, "bottom"),
    ]
    assert [p.schedule["learning_rate"] for p in pending] == pytest.approx(
        [run.learning_rate, run.learning_rate, run.learning_rate / 3, 0]
    )


def test_slurm_trains_a_wsds_run_with_its_decays(tmp_path, micro_spec, slurm, capsys):
    config = micro_spec(
        launcher="slurm",
        slurm={"gpus": False, "time": "00:20:00"},
        schedule="wsds",
        multipliers=[0.001, 0.002],
        eval={"tasks": ["arc_easy_rc_0shot"], "interval": 100, "limit": 4},
    )
    assert main(["train", "-c", str(config), "-q"]) == 0
    assert capsys.readouterr().out.count("submitted") == 1
    folder = tmp_path / "runs" / "d8-wsds"
    deadline = time.time() + 600
    while not (folder / "DONE").exists() and time.time() < deadline:
        if not subprocess.run(["squeue", "-h"], capture_output=True, text=True).stdout.strip():
            break
        time.sleep(1)
    logs = "".join(p.read_text() for p in folder.glob("slurm-*.out"))
    assert (folder / "DONE").exists(), logs[-3000:]
    assert {26, 32, 58, 64}.issubset(step for step, _ in checkpoints(folder))
    table = observations.read(tmp_path / "obs.parquet")
    assert table[["step", "lr_phase"]].values.tolist() == [
        [26, "stable"],
        [32, "bottom"],
        [58, "stable"],
        [64, "bottom"],
    ]
