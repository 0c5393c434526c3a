"""The dashboard in headless Chromium while a paper replay runs: the page's numbers change, and at
every refresh equal the journal's at the bar the page shows; the page can only read (GET requests
only, no form, no button); a screenshot is written. The ledger behind the page keeps realised +
unrealised P&L equal to equity minus the starting cash."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import soltrader as st
from soltrader.runtime.dashboard_data import init_cash, ledger
from soltrader.runtime.journal import Journal
from tests.browser import browser_page, screenshot
from tests.conftest import read_sample_bars
from tests.live_process import cli, state_dir, wait_for_runner

pytestmark = pytest.mark.slow


def _journal(spec: Path) -> Path:
    return state_dir(spec) / "journal.sqlite"


def _url(proc: subprocess.Popen) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("dashboard: http://127.0.0.1:"), line + proc.stderr.read()
    return line.split()[1]


def _next_refresh(page, limit_s: float = 20.0) -> None:
    """Wait for the page's next refresh (polled from here: the page's CSP forbids the string
    evaluation a page-side wait would need)."""
    count = "Number(document.body.dataset.refreshes || 0)"
    before = page.evaluate(count)
    deadline = time.monotonic() + limit_s
    while page.evaluate(count) <= before:
        assert time.monotonic() < deadline, "the page stopped refreshing"
        page.wait_for_timeout(50)


def test_the_page_shows_the_journals_numbers_while_a_replay_runs(tmp_path: Path) -> None:
    data = tmp_path / "bars.csv"
    read_sample_bars("binance", "SOL-USDT", "1m").iloc[:2000].reset_index().to_csv(
        data, index=False
    )
    spec = st.promote(
        st.strategies.sma_cross, {"fast": 5, "slow": 20, "fees": 0.001}, tmp_path / "sma.toml",
        symbol="SOL/USDT", timeframe="1m",
    )  # fmt: skip
    idle = st.promote(
        st.strategies.mean_reversion, {"fees": 0.001}, tmp_path / "idle.toml",
        symbol="SOL/USDT", timeframe="1m",
    )  # fmt: skip
    replay = subprocess.Popen(
        cli("live", str(spec), "--replay", str(data), "--speed", "1000"),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    dash = subprocess.Popen(
        cli("dashboard", str(spec), str(idle), "--port", "0", "--refresh", "0.5"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for_runner(spec, replay)
        url = _url(dash)
        methods: list[str] = []
        with browser_page() as page:
            page.on("request", lambda r: methods.append(r.method))
            page.goto(url)
            seen = []
            for _ in range(5):
                _next_refresh(page)
                row = page.locator('#strategies tr[data-name="sma"]')
                bars = int(row.get_attribute("data-bars"))
                equity = float(row.get_attribute("data-equity"))
                shown = page.locator("#equity").inner_text()
                with Journal(_journal(spec), read_only=True) as journal:
                    recorded = journal.equity()
                # the page's numbers are the journal's at the bar the page shows
                assert equity == float(recorded["equity"][bars - 1])
                assert shown == f"{equity:,.2f}"
                seen.append(bars)
                page.wait_for_timeout(300)
            assert seen == sorted(seen) and seen[-1] > seen[0], seen  # the numbers move
            assert page.locator("#feed-lag").inner_text().endswith(" s")
            assert "binance klines" in page.locator("#providers").inner_text()
            idle_row = page.locator('#strategies tr[data-name="idle"]').inner_text()
            assert "no journal yet" in idle_row
            assert page.locator("form, button, input, select, textarea").count() == 0
            assert page.locator("#equity-chart canvas").count() >= 1
            deadline = time.monotonic() + 60
            while "entry" not in page.locator("#trades").inner_text():  # a trade on the picture
                assert time.monotonic() < deadline, "no trade shown"
                page.wait_for_timeout(200)
            shot = screenshot(page, "dashboard.png")
        assert set(methods) == {"GET"}, methods
        assert shot.stat().st_size > 10_000
        request = urllib.request.Request(url + "api/state", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 405  # no route takes a write
    finally:
        for proc in (replay, dash):
            proc.terminate()
            proc.communicate(timeout=30)


def test_the_ledger_accounts_for_every_quote_of_equity(tmp_path: Path) -> None:
    data = tmp_path / "bars.csv"
    read_sample_bars("binance", "SOL-USDT", "1m").iloc[:700].reset_index().to_csv(data, index=False)
    spec = st.promote(
        st.strategies.sma_cross, {"fast": 5, "slow": 20, "fees": 0.001, "sl_stop": 0.005},
        tmp_path / "sma.toml", symbol="SOL/USDT", timeframe="1m",
    )  # fmt: skip
    done = subprocess.run(cli("live", str(spec), "--replay", str(data)), capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    with Journal(_journal(spec), read_only=True) as journal:
        fills, eq, bars = journal.fills(), journal.equity(), journal.bars()
    for cut in (len(bars) // 3, len(bars) // 2, len(bars)):  # open and flat moments alike
        led = ledger(fills[fills["bar"] <= bars["bar"][cut - 1]])
        close = float(bars["close"][cut - 1])
        total = led.realised + led.unrealised(close)
        start = init_cash(st.engine.live_spec.parse_live_spec(_toml(spec)))
        assert total == pytest.approx(float(eq["equity"][cut - 1]) - start, abs=1e-6)
        assert led.position == pytest.approx(float(eq["position"][cut - 1]), abs=1e-9)
    assert len(led.trips) >= 10 and np.isfinite(led.trips).all()


def _toml(path: Path) -> dict:
    import tomllib

    return tomllib.loads(path.read_text())
