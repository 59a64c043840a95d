"""`ladder train`: the paper's plan, bad input, data preparation, resuming after SIGKILL, and
submitting to a real Slurm."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT

from ladder.cli import main
from ladder.data import observations
from ladder.runs.folder import checkpoints
from ladder.runs.sizes import batch_size, learning_rate
from ladder.spec.ladder import load_spec
from ladder.train.launch import ladder_plan

# RUNGS.md of the paper's ladder: N, global batch (sequences of 4,096), peak LR.
PAPER_RUNGS = {
    "190M": (190_354_176, 128, 9.73e-4),
    "370M": (371_262_464, 192, 7.79e-4),
    "760M": (758_220_288, 320, 6.14e-4),
    "1B": (1_279_395_840, 384, 5.15e-4),
    "3B": (3_169_537_280, 768, 3.81e-4),
}


def test_paper_plan_reproduces_the_rungs(paper_spec, paper_table):
    rungs = ladder_plan(paper_spec)
    assert len(rungs) == 25
    finals = paper_table.groupby("run")["tokens"].max()
    for rung in rungs:
        params, batch, lr = PAPER_RUNGS[rung.size]
        assert rung.params == params
        assert rung.batch_size == batch and rung.sequence_length == 4096
        assert rung.learning_rate == pytest.approx(lr, rel=2e-3)
        assert rung.tokens == pytest.approx(rung.multiplier * 20 * params, rel=1e-3)
        assert rung.flops == pytest.approx(6 * params * rung.tokens)
        assert rung.warmup_steps == round(params / (batch * 4096))
        if rung.name in finals.index:  # the logged runs end where the plan says (their D)
            assert finals[rung.name] == pytest.approx(rung.tokens, rel=0.01)


def test_batch_and_lr_rules():
    assert batch_size(108_000_000, 2048, multiple=32) == 160
    assert batch_size(108_000_000, 4096) == 64  # 80, to the nearest multiple of 64
    assert batch_size(1_000, 4096) == 64  # never below one multiple
    assert learning_rate(108_000_000, divisor=1) == pytest.approx(0.0047)


def test_prepare_data_writes_eos_separated_uint16(corpus):
    tokens = np.fromfile(corpus, dtype=np.uint16)
    assert (tokens == 50279).sum() == 60  # one EOS per document
    assert tokens[-1] == 50279 and tokens.max() < 50280


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sizes": ["12Q"]}, "unknown size '12Q'"),
        ({"multipliers": [1e-7]}, "zero steps"),
        ({"batch_size": 6, "microbatch": 4}, "do not divide into microbatches"),
        ({"corpus": ["missing.npy"]}, "missing or empty"),
        ({"eval": {"tasks": ["arc_eazy"]}}, "unknown task 'arc_eazy'"),
        ({"builtin_corpus": "wiki"}, "train.builtin_corpus: Input should be 'python-docs'"),
        ({"builtin_corpus": "python-docs", "corpus": ["a.npy", "b.npy"]}, "exactly one corpus"),
    ],
)
def test_bad_input_fails_before_anything_launches(tmp_path, micro_spec, capsys, change, message):
    config = micro_spec(**change)
    assert main(["train", "-c", str(config), "-q"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_train_tokenizes_a_missing_builtin_corpus_first(tmp_path, micro_spec, monkeypatch):
    from pydoc_data.topics import topics

    from ladder.train import data

    texts = [topics[name] for name in sorted(topics)[:60]]  # the corpus fixture's documents
    monkeypatch.setattr(data, "python_docs", lambda: iter(texts))
    built = tmp_path / "corpora" / "docs.npy"
    config = micro_spec(corpus=[str(built)], builtin_corpus="python-docs", multipliers=[0.001])
    assert main(["train", "-c", str(config), "--dry-run", "-q"]) == 0
    assert not built.exists()  # a dry run writes nothing
    assert main(["train", "-c", str(config), "-q"]) == 0
    tokens = np.fromfile(built, dtype=np.uint16)
    assert (tokens == 50279).sum() == 60
    (rung,) = ladder_plan(load_spec(config))
    assert (tmp_path / "runs" / rung.name / "DONE").exists()


def test_prepare_data_rejects_bad_jsonl(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"body": 1}\n')
    assert main(["prepare-data", str(bad), "-o", str(tmp_path / "t.npy"), "-q"]) == 2
    assert "bad.jsonl:2: no string field 'text'" in capsys.readouterr().err
    assert not (tmp_path / "t.npy").exists()


def _train_command(config: Path) -> list[str]:
    return [sys.executable, "-m", "ladder", "train", "-c", str(config), "-q"]


def train_until_killed(config: Path, saved: Path) -> None:
    """Run `ladder train` on the spec and SIGKILL it (its process group) once `saved` exists."""
    process = subprocess.Popen(_train_command(config), start_new_session=True)
    deadline = time.time() + 300
    while not saved.exists() and time.time() < deadline:
        assert process.poll() is None, "training ended before it could be killed"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_sigkill_mid_rung_then_rerun_resumes_from_the_newest_intact_checkpoint(
    tmp_path, micro_spec, capsys
):
    """Killed once step 20 is saved; its checkpoint is then damaged (a flipped byte) and any
    newer one removed, so the rerun sets step 20 aside and resumes from step 10. Only the
    killed run is a process of its own; the reruns run here (each process imports OLMo-core
    for about 10 s of CPU)."""
    config = micro_spec()
    (rung,) = ladder_plan(load_spec(config))
    folder = tmp_path / "runs" / rung.name
    train_until_killed(config, folder / "step20" / "ladder-sha256.json")
    assert not (folder / "DONE").exists()
    killed_at = observations.read(tmp_path / "obs.parquet")["step"].max()
    assert 10 <= killed_at < rung.steps  # step 20 saved; its rows may come after the kill
    for step, path in checkpoints(folder):
        if step > 20:
            shutil.rmtree(path)
    data = max((folder / "step20" / "model_and_optim").glob("*.distcp"), key=os.path.getsize)
    content = bytearray(data.read_bytes())
    content[len(content) // 2] ^= 0x01
    data.write_bytes(bytes(content))

    saved = {p: p.stat().st_mtime_ns for p in folder.glob("step[01]*/.metadata.json")}
    capsys.readouterr()
    assert main(["train", "-c", str(config), "-q"]) == 0, capsys.readouterr().err[-2000:]
    assert "differs from when it was saved (corrupted); set aside as step20.unloadable" in (
        capsys.readouterr().err
    )
    assert (folder / "step20.unloadable").is_dir() and (folder / "step20").is_dir()
    # resumed from step 10, not restarted: a fresh run would have rewritten step0 and step10
    assert {p: p.stat().st_mtime_ns for p in saved} == saved
    assert (folder / "DONE").exists()
    table = observations.read(tmp_path / "obs.parquet")  # validate() rejects duplicates
    expected = sorted({*range(10, rung.steps + 1, 10), rung.steps})
    assert table["step"].tolist() == expected
    assert (table["tokens"] == table["step"] * rung.tokens_per_step).all()
    assert table["task_loss"].between(0.5, 10).all()

    assert main(["train", "-c", str(config)]) == 0
    assert f"{rung.name}: done" in capsys.readouterr().out


def test_slurm_launcher_trains_the_ladder_on_a_real_slurm(tmp_path, micro_spec, slurm, capsys):
    config = micro_spec(
        launcher="slurm",
        slurm={"gpus": False, "time": "00:20:00"},
        multipliers=[0.001, 0.0015],
        eval={"tasks": ["arc_easy_rc_0shot"], "interval": 100, "limit": 4},
    )
    assert main(["train", "-c", str(config), "--dry-run", "-q"]) == 0
    rungs = ladder_plan(load_spec(config))
    script = (tmp_path / "runs" / rungs[0].name / "job.sbatch").read_text()
    assert "#SBATCH --job-name=ladder-d8-0.001xC" in script and "srun" in script
    assert "nothing submitted" in capsys.readouterr().out
    assert main(["train", "-c", str(config), "-q"]) == 0
    out = capsys.readouterr().out
    assert out.count("submitted") == 2
    deadline = time.time() + 600
    while time.time() < deadline:
        if all((tmp_path / "runs" / r.name / "DONE").exists() for r in rungs):
            break
        queue = subprocess.run(["squeue", "-h"], capture_output=True, text=True).stdout
        if not queue.strip():  # every job ended; DONE files are checked below
            break
        time.sleep(1)
    logs = "".join(p.read_text() for p in (tmp_path / "runs").glob("*/slurm-*.out"))
    assert all((tmp_path / "runs" / r.name / "DONE").exists() for r in rungs), logs[-3000:]
    table = observations.read(tmp_path / "obs.parquet")
    assert sorted(table["run"].unique()) == sorted(r.name for r in rungs)
    assert sorted(table.groupby("run")["step"].max()) == sorted(r.steps for r in rungs)


def test_dry_run_checks_the_spec_end_to_end(tmp_path, capsys):
    spec = yaml.safe_load((ROOT / "configs" / "olmo-paper.yaml").read_text())
    spec["data"] = str(ROOT / "data" / "olmo-ladder.parquet")
    spec["train"] |= {"launcher": "local", "output": str(tmp_path / "runs")}
    spec["train"]["corpus"] = [str(tmp_path / "missing.npy")]
    path = tmp_path / "paper.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert main(["train", "-c", str(path), "--dry-run", "-q"]) == 0
    out = capsys.readouterr().out
    assert "not ready: corpus file(s) missing" in out and "dolma2-tokenizer.json" in out
    assert not (tmp_path / "runs").exists()
    # the paper's original eval names (hellaswag_rc_5shot, ...) would feed its tasks nothing
    spec["train"]["eval"]["tasks"][4] = "hellaswag_rc_5shot"
    path.write_text(yaml.safe_dump(spec))
    assert main(["train", "-c", str(path), "--dry-run", "-q"]) == 2
    err = capsys.readouterr().err
    assert "task 'hellaswag': its source 'hellaswag_val_rc_5shot' is not among" in err
