"""The notebooks run top to bottom, and each ``.ipynb`` matches its paired ``.py`` source."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("*.py"))


def code_cells(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source.strip() for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_ipynb_is_paired_with_py(source: Path) -> None:
    paired = source.with_suffix(".ipynb")
    assert paired.exists(), f"run: jupytext --to ipynb {source.name}"
    assert code_cells(jupytext.read(source)) == code_cells(nbformat.read(paired, as_version=4)), (
        f"{paired.name} is out of date: run jupytext --sync {source.name}"
    )


def test_every_ipynb_has_its_source_and_stores_no_outputs() -> None:
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert len(notebooks) == len(SOURCES)
    for path in notebooks:
        assert path.with_suffix(".py").exists(), f"{path.name} has no paired .py source"
        stored = [
            c.source.splitlines()[0] if c.source else ""
            for c in nbformat.read(path, as_version=4).cells
            if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))
        ]
        assert not stored, f"{path.name} stores outputs (clear them): {stored[:3]}"


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_notebook_runs_top_to_bottom(source: Path) -> None:
    nb = jupytext.read(source)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
