"""The runtime's feed under websocket churn: the replay server (127.0.0.1) drops the connection
50 times and stalls silently 5 times, sends duplicates and out-of-order klines; the runner's
closed-bar series still equals the source bar for bar, its intents still equal the backtest's,
and at a paced speed the stale alarm fires within two bar intervals of each stall."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.adapters.binance_feed import FeedEvent, KlineFeed
from soltrader.adapters.replay_server import FaultPlan, ReplayServer
from soltrader.engine.intents import backtest_intents, intents_table
from soltrader.engine.live_spec import parse_live_spec
from soltrader.runtime.journal import Journal
from soltrader.runtime.runner import Runner
from tests.conftest import read_sample_bars

pytestmark = pytest.mark.slow

PARAMS = {"fast": 10, "slow": 40, "sl_stop": 0.005, "fees": 0.001}


def _spec():
    return parse_live_spec(
        {
            "data": {"symbol": "SOL/USDT", "timeframe": "1m"},
            "strategy": {"name": "sma_cross"},
            "params": PARAMS,
            "live": {"window": 200},
        }
    )


async def _replay(bars, journal, faults, speed, stale_after_s, events):
    spec = _spec()
    ms = bars.index.as_unit("ms").asi8
    async with ReplayServer(bars, symbol="SOLUSDT", speed=speed, faults=faults) as server:
        feed = KlineFeed(
            rest_url=server.rest_url, ws_url=server.ws_url, symbol="SOLUSDT",
            stale_after_s=stale_after_s, on_event=events.append,
        )  # fmt: skip
        runner = Runner(
            spec, journal, lambda start: feed.closed(start, int(ms[-1])),
            start_ms=int(ms[0]), until_ms=int(ms[-1]),
        )  # fmt: skip
        summary = await asyncio.wait_for(runner.run(), timeout=240)
        return summary, list(server.faults_fired)


def _check_parity(bars: pd.DataFrame, journal: Journal, least: int) -> None:
    got = journal.bars()
    assert len(got) == len(bars)
    np.testing.assert_array_equal(got["open_time_ms"], bars.index.as_unit("ms").asi8)
    for col in ("open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(got[col], bars[col].to_numpy())  # bit for bit
    times = got["open_time_ms"].astype(np.int64) * 1_000_000
    live = intents_table(journal.intents(), times, ["SOL/USDT"])
    ref = backtest_intents(
        bars, st.strategies.sma_cross, symbols=["SOL/USDT"], control="normal", **PARAMS
    )
    assert len(live) >= least
    pd.testing.assert_frame_equal(live, ref)


def test_50_drops_5_stalls_duplicates_and_reordering_change_nothing(tmp_path: Path) -> None:
    bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:10_000]
    faults = FaultPlan(
        drops=tuple(range(100, 10_000, 190))[:50],
        stalls=(1_500, 3_500, 5_500, 7_500, 9_500),
        duplicates=(250, 2_600, 8_100),
        out_of_order=(333, 4_444, 8_888),
        stall_s=0.6,
    )
    assert len(faults.drops) == 50
    events: list[FeedEvent] = []
    with Journal(tmp_path / "journal.sqlite") as journal:
        summary, fired = asyncio.run(_replay(bars, journal, faults, None, 0.25, events))
        assert summary.decided == len(bars) and summary.stopped == "end"
        kinds = [e.kind for e in events]
        assert kinds.count("stale") == 5
        assert kinds.count("disconnected") >= 55
        assert {"duplicate", "out_of_order", "backfill"} <= set(kinds)
        assert sum(f.kind == "drop" for f in fired) == 50
        _check_parity(bars, journal, 20)


def test_the_stale_alarm_fires_within_two_bar_intervals(tmp_path: Path) -> None:
    speed = 600.0  # a 1m bar closes every 0.1 s
    bar_s = 60.0 / speed
    bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:150]
    faults = FaultPlan(stalls=(20, 45, 70, 95, 120), stall_s=1.0, stall_skip=2)
    events: list[FeedEvent] = []
    t0 = time.monotonic()
    with Journal(tmp_path / "journal.sqlite") as journal:
        summary, fired = asyncio.run(_replay(bars, journal, faults, speed, 2 * bar_s, events))
        assert summary.decided == len(bars)
        stalls = [f.at for f in fired if f.kind == "stall"]
        alarms = [e.at for e in events if e.kind == "stale"]
        assert len(stalls) == 5 and len(alarms) >= 5, (stalls, alarms)
        for at in stalls:
            first = min(a for a in alarms if a >= at)
            # the last bar before the stall was sent at `at`: silence is noticed 2 bars later
            assert first - at <= 2 * bar_s + 0.1, (first - at, first, at)
        _check_parity(bars, journal, 4)
    assert time.monotonic() - t0 < 120
