"""Every ```python block of ``docs/*.md`` runs as written (as the README's do), in order, one
namespace per file; a block is left out only when it needs the network, and says so."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

from tests.e2e.doc_blocks import python_blocks, run_blocks

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(DOCS.glob("*.md"))


def test_every_page_is_found_and_only_network_blocks_are_left_out() -> None:
    assert len(PAGES) >= 6
    for page in PAGES:
        for block in python_blocks(page):
            if block.skip is not None:
                assert "network" in block.skip, f"{page.name}:{block.line}: {block.skip}"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_doc_python_blocks_run(page: Path, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.pyplot as plt

    if not any(b.skip is None for b in python_blocks(page)):
        pytest.skip(f"{page.name} has no Python block to run")
    monkeypatch.chdir(tmp_path)  # an example may write files under ./
    try:
        run_blocks(page)
    finally:
        plt.close("all")
