"""``soltrader live SPEC --live`` on a ``venue = "ccxt"`` spec: the real command, its kline
replay feed and the ccxt venue it builds from the spec and the environment, trading against a
local Binance-spot simulator (served from a thread of the test, on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from soltrader.adapters.ccxt_venue import client_order_id
from soltrader.cli import main
from soltrader.runtime.journal import Journal
from tests.binance_spot import BinanceSpot
from tests.ccxt_world import FINE, KEY, SECRET, environ, sample_frame, simulator

pytestmark = pytest.mark.timeout(180)

_SPEC = """[data]
symbol = "SOL/USDT"
timeframe = "1m"
[strategy]
name = "sma_cross"
[params]
fast = 3
slow = 8
init_cash = 1000.0
fees = 0.001
[live]
venue = "ccxt"
confirm = "I understand this trades real money"
status_every = 1000
[risk]
kill_drawdown = 0.5
[ccxt]
exchange = "binance"
key_env = "CCXT_TEST_KEY"
secret_env = "CCXT_TEST_SECRET"
api_url_env = "CCXT_TEST_URL"
max_calls = 1000
recv_window_ms = 1000
poll_s = 0.02
"""


@contextmanager
def _serving(sim: BinanceSpot) -> Iterator[BinanceSpot]:
    """``sim`` served from its own event loop in a thread while the block runs."""
    ready, stop = threading.Event(), threading.Event()

    async def serve() -> None:
        async with sim:
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.01)

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield sim
    finally:
        stop.set()
        thread.join(10)


def test_live_on_a_ccxt_spec_trades_one_order_per_intent_and_the_account_is_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = sample_frame(60)
    bars = tmp_path / "bars.csv"
    frame.reset_index().to_csv(bars, index=False)
    spec = tmp_path / "sma.toml"
    spec.write_text(_SPEC)
    sim = simulator(frame, filters=FINE, commission_in="quote")
    with _serving(sim):
        for name, value in environ(sim).items():
            monkeypatch.setenv(name, value)
        assert main(["live", str(spec), "--live", "--replay", str(bars)]) == 0
    assert sim.stream.subscriptions >= 1  # the venue followed its orders on the user stream
    out = capsys.readouterr()
    assert KEY not in out.out + out.err and SECRET not in out.out + out.err
    journal = Journal(tmp_path / "sma" / "state" / "journal.sqlite", read_only=True)
    intents = journal.intents()
    assert len(intents) >= 4
    counts = Counter(o.client_order_id for o in sim.orders)
    assert set(counts) == {client_order_id(int(c)) for c in intents["client_id"]}
    assert set(counts.values()) == {1}
    fills = journal.committed_fills()
    assert set(fills.venue) == {"ccxt"} and len(fills.fills) >= len(intents) - 1
    # the journal's position is the SOL its booked orders moved (an order of the last bar
    # executed after the run's last commit is booked by the next run)
    booked_ids = {
        client_order_id(int(np.int64(i).view(np.uint64))) for i in fills.fills["order_id"]
    }
    moved = sum(
        float(t.qty) * (1 if t.is_buyer else -1)
        for t in sim.trades
        if sim.orders[t.order_id - 1].client_order_id in booked_ids
    )
    position = float(journal.equity()["position"][-1])
    assert position == pytest.approx(moved, abs=1e-9)
    journal.close()
