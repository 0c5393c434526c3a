"""The Python examples in the README run as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.doc_blocks import python_blocks, run_blocks

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(python_blocks(README)) >= 2
    monkeypatch.chdir(tmp_path)  # the examples write their reports under ./backtests
    namespace = run_blocks(README)
    assert (tmp_path / "backtests" / "sma.html").exists()
    assert namespace["res"].stats()["n_trades"] > 0  # type: ignore[attr-defined]
