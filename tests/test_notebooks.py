"""Every notebook is in sync with its paired script, executes, and draws its figures."""

from __future__ import annotations

import jupytext
import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOKS = ROOT / "notebooks"
FIGURES = {"two_step_fit": 4, "noise_and_backtests": 2, "proxy": 3}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_notebook_executes_and_draws(name, tmp_path):
    """Run from a folder that is not the repository's: the notebooks find the bundled data."""
    script = jupytext.read(NOTEBOOKS / f"{name}.py")
    paired = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert [c.source for c in paired.cells] == [c.source for c in script.cells], (
        f"{name}.ipynb and {name}.py differ: run `jupytext --sync notebooks/{name}.py`"
    )
    client = NotebookClient(
        paired, timeout=900, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    outputs = [o for c in paired.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= FIGURES[name]


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_notebook_is_committed_with_its_figures(name):
    """A reader sees the figures without running anything; the file stays small."""
    path = NOTEBOOKS / f"{name}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "run: jupyter execute --inplace"
    images = [o for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= FIGURES[name]
    assert path.stat().st_size < 1_000_000
