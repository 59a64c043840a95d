"""Shared fixtures: the repository root, the bundled spec and table, one fitted default run,
a small tokenized corpus and a one-rung CPU ladder spec."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from ladder import observations
from ladder.cli import main
from ladder.pipeline import fit_ladder
from ladder.results import LadderFit
from ladder.spec import LadderSpec, load_spec

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "olmo-ladder"
SIZES = np.array([150e6, 300e6, 600e6, 1.2e9])  # a synthetic ladder's N
MULTIPLIERS = np.array([1, 2, 5, 10])  # and its D / 20 N
TARGET = np.array([[13e9, 5e12]])  # where the synthetic laws are extrapolated to


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


@pytest.fixture
def micro_spec(tmp_path: Path, corpus: Path):
    """A writer of ladder specs in tmp_path: by default one 2-step-per-second rung on this CPU
    trained on `corpus`, evaluated in-loop every 10 steps; keyword arguments replace keys of
    the `train` section."""

    def write(**train) -> Path:
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
        path = tmp_path / "micro.yaml"
        path.write_text(yaml.safe_dump(spec))
        return path

    return write
