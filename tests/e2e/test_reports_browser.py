"""The HTML reports open in headless Chromium as self-contained pages (no request leaves the
file, every figure decodes), and the numbers the browser shows equal the result objects':
``Result.report()`` (statistics table, trade count) and the sweep summary (summary table, top
rows, PBO and deflated Sharpe lines)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import soltrader as st
from soltrader.report.sweep import sweep_report
from tests.browser import browser_page, screenshot

pytestmark = pytest.mark.slow


def _number(text: str) -> float:
    return float(text.replace(",", "")) if text.strip() else float("nan")


def _table(page, index: int) -> pd.DataFrame:
    """The ``index``-th ``table.t`` of the page as the browser renders it (text cells)."""
    cells = "r => Array.from(r.cells).map(c => c.innerText)"
    header, body = (
        page.locator("table.t")
        .nth(index)
        .evaluate(f"t => [({cells})(t.tHead.rows[0]), Array.from(t.tBodies[0].rows).map({cells})]")
    )
    return pd.DataFrame([r[1:] for r in body], index=[r[0] for r in body], columns=header[1:])


def _open(page, path: Path, requests: list[str]) -> None:
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    for i in range(page.locator("img").count()):  # every embedded figure decodes
        assert page.locator("img").nth(i).evaluate("i => i.complete && i.naturalWidth > 0")


def _same(shown: str, value: float) -> None:
    if pd.isna(value):
        assert shown.strip() in ("", "nan")
    else:
        assert _number(shown) == pytest.approx(float(value), rel=5e-6, abs=1e-12)


def test_the_backtest_report_shows_the_results_numbers(tmp_path: Path) -> None:
    bars = st.data.load("SOL/USDT", "1h")
    results = {
        "sma_cross": st.backtest(bars, st.strategies.sma_cross, fast=20, slow=100, fees=0.001),
        "mean_reversion": st.backtest(bars, st.strategies.mean_reversion, fees=0.001),
    }
    path = Path(st.report.html_report(results, tmp_path / "report.html", title="two"))
    requests: list[str] = []
    with browser_page() as page:
        _open(page, path, requests)
        assert page.title() == "two"
        shown = _table(page, 0)
        for name, result in results.items():
            stats = result.stats()
            assert len(shown) == len(stats)
            for key, value in stats.items():
                _same(shown.loc[key, name], value)
            summary = page.locator("details summary", has_text="Trades").nth(
                list(results).index(name)
            )
            assert summary.inner_text().startswith(f"Trades ({len(result.trades):,} trades")
        screenshot(page, "backtest_report.png")
    assert all(u.startswith("file://") or u.startswith("data:") for u in requests), requests


def test_the_sweep_report_shows_the_sweeps_numbers(tmp_path: Path) -> None:
    bars = st.data.load("SOL/USDT", "1h").iloc[-3000:]
    result = st.sweep(bars, st.strategies.sma_cross, fast=[5, 10, 20], slow=[50, 100], fees=0.001)
    path = Path(sweep_report(result, tmp_path / "sweep.html", title="sweep", top=5))
    requests: list[str] = []
    with browser_page() as page:
        _open(page, path, requests)
        summary = _table(page, 0)
        for key, value in result.summary().items():
            assert summary.loc[key, "value"] == str(value), key
        top = _table(page, 1)
        expected = result.top(5)
        assert [int(i) for i in top.index] == [int(i) for i in expected.index]
        for col in expected.columns:
            for i, value in zip(top.index, expected[col], strict=True):
                if isinstance(value, int | float):
                    _same(top.loc[i, col], value)
        notes = page.locator("ul").inner_text()
        if result.pbo is not None:
            assert f"Probability of backtest overfitting {result.pbo.pbo:.0%}" in notes
        if result.deflated_sharpe is not None:
            assert f"Deflated Sharpe ratio {result.deflated_sharpe.dsr:.2f}" in notes
        assert page.locator("img[alt=heatmap]").count() == 1
        screenshot(page, "sweep_report.png")
    assert all(u.startswith("file://") or u.startswith("data:") for u in requests), requests
