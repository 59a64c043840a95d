"""Shared fixtures: the repository root, the bundled spec and table, one fitted default run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ladder import observations
from ladder.pipeline import LadderFit, fit_ladder
from ladder.spec import LadderSpec, load_spec

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "olmo-ladder"


@pytest.fixture(scope="session")
def paper_spec() -> LadderSpec:
    return load_spec(ROOT / "configs" / "olmo-paper.yaml")


@pytest.fixture(scope="session")
def paper_table(paper_spec):
    return observations.read(paper_spec.data)


@pytest.fixture(scope="session")
def paper_fit(paper_spec, paper_table) -> LadderFit:
    """The paper's settings with 300 resamples (the intervals' checks need no more)."""
    options = dataclasses.replace(paper_spec.options, bootstrap=300)
    return fit_ladder(paper_table, dataclasses.replace(paper_spec, options=options))
