"""Shared fixtures: the repository root, the bundled spec and table, one fitted default run,
a small tokenized corpus, a one-rung CPU ladder spec and a real one-node Slurm."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from ladder.cli import main
from ladder.data import observations
from ladder.fit.ladder import fit_ladder
from ladder.fits.fit import LadderFit
from ladder.spec.ladder import LadderSpec, load_spec

# One thread per library in each of the suite's two workers and their subprocesses: two
# workers on two cores, each spinning two OpenMP threads, spend their time waiting on each other.
for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "olmo-ladder"
SIZES = np.array([150e6, 300e6, 600e6, 1.2e9])  # a synthetic ladder's N
MULTIPLIERS = np.array([1, 2, 5, 10])  # and its D / 20 N
TARGET = np.array([[13e9, 5e12]])  # where the synthetic laws are extrapolated to


SMALL_FIT_RUNS = ",".join(
    f"{size}-{k}xC" for size in ("190M", "370M", "760M") for k in (1, 2, 5, 10)
).removesuffix(",760M-10xC")


def write_small_ladder(folder: Path, table) -> Path:
    """A one-task ladder spec `small.yaml` in `folder` over t.csv (HellaSwag, the last 8
    checkpoints of 12 runs of the bundled table, 3 sizes: 11 fit runs and the target
    760M-10xC), fitted by the paper's method without a bootstrap (a second); the description
    has a non-ASCII letter."""
    runs = [*SMALL_FIT_RUNS.split(","), "760M-10xC"]
    part = table[(table["task"] == "hellaswag_val_rc_5shot") & table["run"].isin(runs)]
    part = part.groupby("run").tail(8)
    part.to_csv(folder / "t.csv", index=False)
    target = part[part["run"] == "760M-10xC"].iloc[-1]
    spec = folder / "small.yaml"
    spec.write_text(
        "name: small\ndescription: un petit café\ndata: t.csv\n"
        f"fit: {{runs: [{SMALL_FIT_RUNS}], method: paper, bootstrap: 0}}\n"
        f"targets: [{{name: big, params: {target['params']}, tokens: {target['tokens']}, "
        "run: 760M-10xC}]\n"
        "tasks: [{name: hellaswag, display: HellaSwag, source: hellaswag_val_rc_5shot}]\n",
        encoding="utf-8",
    )
    return spec


def ladder_grid() -> np.ndarray:
    """Rows of (N, D) of the synthetic ladder: every size at every multiplier."""
    n, m = np.meshgrid(SIZES, MULTIPLIERS, indexing="ij")
    return np.column_stack([n.ravel(), 20 * m.ravel() * n.ravel()])


@pytest.fixture(autouse=True, scope="session")
def _user_folders(tmp_path_factory):
    """`ladder fit` writes fits to the user's data folder and caches method selections in the
    user's cache folder: the tests' are their own (and start cold, as in CI)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data-home")))
    mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache-home")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def paper_spec() -> LadderSpec:
    return load_spec(ROOT / "configs" / "olmo-paper.yaml")


@pytest.fixture(scope="session")
def paper_table(paper_spec):
    return observations.read(paper_spec.data)


@pytest.fixture(scope="session")
def paper_fit(paper_spec, paper_table) -> LadderFit:
    """The paper's settings with 300 resamples (the intervals' checks need no more)."""
    return fit_ladder(paper_table, paper_spec.with_fit(bootstrap=300, method="paper"))


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    docs = folder / "docs.jsonl"
    from pydoc_data.topics import topics  # English prose, the built-in corpus's first part

    texts = [topics[name] for name in sorted(topics)[:60]]
    docs.write_text("\n".join(json.dumps({"text": text}) for text in texts))
    out = folder / "tokens.npy"
    assert main(["prepare-data", str(docs), "-o", str(out), "-q"]) == 0
    return out


def write_micro_spec(folder: Path, corpus: Path, /, **train) -> Path:
    """A ladder spec in `folder`: by default one 2-step-per-second rung on this CPU trained on
    `corpus`, evaluated in-loop every 10 steps; keyword arguments replace keys of the `train`
    section."""
    spec = {
        "name": "micro",
        "data": "obs.parquet",
        "fit": {"bootstrap": 0},
        "train": {
            "sizes": [{"name": "d8", "d_model": 8, "n_layers": 1, "n_heads": 2}],
            "multipliers": [0.004],
            "warmup_tokens_per_param": 0.002,
            "sequence_length": 64,
            "batch_size": 4,
            "lr_divisor": 0.25,
            "z_loss": 0,
            "corpus": [str(corpus)],
            "output": "runs",
            "checkpoint_interval": 10,
            "eval": {"tasks": ["arc_easy_rc_0shot"], "interval": 10, "limit": 4},
            **train,
        },
    }
    path = folder / "micro.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.fixture
def micro_spec(tmp_path: Path, corpus: Path):
    """A writer of micro ladder specs in tmp_path (see write_micro_spec)."""
    return lambda **train: write_micro_spec(tmp_path, corpus, **train)


SLURM_CONF = """ClusterName=ladder-test
SlurmctldHost={host}
AuthType=auth/none
CredType=cred/none
SlurmUser={user}
SlurmdUser={user}
SlurmctldPort={port}
SlurmdPort={port2}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName={host} CPUs={cpus} RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture
def slurm(tmp_path_factory, monkeypatch):
    """A one-node Slurm (slurmctld + slurmd on localhost, Debian's slurm-wlm)."""
    if not shutil.which("slurmctld") or not shutil.which("slurmd"):
        if os.environ.get("LADDER_NO_SLURM"):
            pytest.skip("LADDER_NO_SLURM is set and slurm-wlm is not installed")
        pytest.fail("slurm-wlm is not installed (apt-get install slurm-wlm; see README)")
    root = tmp_path_factory.mktemp("slurm")
    for sub in ("state", "spool"):
        (root / sub).mkdir()
    host = subprocess.run(["hostname", "-s"], capture_output=True, text=True).stdout.strip()
    conf = root / "slurm.conf"
    conf.write_text(
        SLURM_CONF.format(
            host=host,
            user=subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip(),
            port=16817 + os.getpid() % 1000,
            port2=17817 + os.getpid() % 1000,
            root=root,
            cpus=os.cpu_count(),
        )
    )
    monkeypatch.setenv("SLURM_CONF", str(conf))
    subprocess.run(["slurmctld", "-c"], check=True)
    subprocess.run(["slurmd"], check=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        state = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
        if state.stdout.strip() in ("idle", "mixed"):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"slurm did not come up: {(root / 'slurmctld.log').read_text()[-2000:]}")
    yield root
    subprocess.run(["scontrol", "shutdown"], check=False)
    time.sleep(1)
