"""The runner's own rules, on a clock the test controls: the kill switch (drawdown, daily
loss, error rate, stale data), the journal's identity, and the bar-by-bar path without a feed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from soltrader.domain.bar import Bar
from soltrader.engine.live_spec import parse_live_spec
from soltrader.runtime.journal import Journal, JournalError
from soltrader.runtime.runner import KillSwitch, Runner
from tests.conftest import read_sample_bars


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _spec(fast: int = 5, **risk):
    return parse_live_spec(
        {
            "data": {"symbol": "SOL/USDT", "timeframe": "1m"},
            "strategy": {"name": "sma_cross"},
            "params": {"fast": fast, "slow": 20},
            "risk": risk,
        }
    )


async def _no_bars(start: int):
    return
    yield


def _rows(bars) -> list[Bar]:
    """The bars as the feed delivers them."""
    ms = bars.index.as_unit("ms").asi8
    cols = [bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
    return [Bar(int(ms[t]), *(float(c[t]) for c in cols)) for t in range(len(bars))]


def _feed(rows: list[Bar]):
    """A feed of ``rows``: ``feed(start_ms)`` yields the bars from that open time on."""

    def feed(start: int):
        async def gen():
            for bar in rows:
                if bar.open_time_ms >= start:
                    yield bar

        return gen()

    return feed


def _runner(tmp: Path, clock: Clock, state_dir: Path | None = None, **risk) -> Runner:
    journal = Journal(tmp / "journal.sqlite")
    return Runner(_spec(**risk), journal, _no_bars, start_ms=0, clock=clock, state_dir=state_dir)


def test_kill_switch_limits() -> None:
    kill = KillSwitch(drawdown=0.1, daily_loss=0.05)
    assert kill.breach(95.0, 100.0, 99.0) is None
    assert "drawdown" in kill.breach(89.9, 100.0, 89.0)
    assert "daily loss" in kill.breach(94.0, 100.0, 99.0)
    assert KillSwitch(None, None).breach(1.0, 100.0, 100.0) is None


def test_more_errors_in_an_hour_than_allowed_halt(tmp_path: Path) -> None:
    clock = Clock()
    runner = _runner(tmp_path, clock, max_errors_per_hour=3)
    for _ in range(3):
        runner.note_error("feed disconnected")
        clock.now += 1_000.0
    assert runner.journal.halted() is None  # 3 in the last hour: at the limit
    clock.now += 1_500.0  # the first error leaves the window
    runner.note_error("feed stale")
    assert runner.journal.halted() is None
    runner.note_error("feed stale")
    runner.note_error("feed stale")
    halt = runner.journal.halted()
    assert halt is not None and "errors in the last hour" in halt.reason


def test_no_bar_for_kill_stale_s_halts(tmp_path: Path) -> None:
    clock = Clock()
    runner = _runner(tmp_path, clock, kill_stale_s=30.0)
    clock.now += 29.0
    runner.check_stale()
    assert runner.journal.halted() is None
    clock.now += 2.0
    runner.check_stale()
    assert "no bar for 31.0 s" in runner.journal.halted().reason


def test_bars_decided_one_by_one_and_a_bad_one_quarantined(tmp_path: Path) -> None:
    runner = _runner(tmp_path, Clock())
    bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:300]
    ms = bars.index.as_unit("ms").asi8
    for t in range(300):
        row = bars.iloc[t]
        bar = Bar(int(ms[t]), *(float(row[c]) for c in ("open", "high", "low", "close", "volume")))
        if t == 150:
            assert runner.on_bar(bar._replace(high=bar.low / 2)) is None  # quarantined
        runner.on_bar(bar)
    assert runner.journal.last_bar() == 299
    assert [q.code for q in runner.journal.quarantined()] == ["high_below_low"]
    assert runner.on_bar(bar) is None  # the same bar again: unsorted, quarantined
    assert len(runner.journal.intents()) > 0


def test_a_journal_is_never_resumed_by_another_spec(tmp_path: Path) -> None:
    first = _runner(tmp_path, Clock())
    assert first.restore() == 0
    first.journal.close()
    other = Runner(_spec(fast=6), Journal(tmp_path / "journal.sqlite"), _no_bars, start_ms=0)
    with pytest.raises(JournalError, match="another spec"):
        other.restore()


def test_restart_rebuilds_the_state_from_the_journal(tmp_path: Path) -> None:
    bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:400]
    ms = bars.index.as_unit("ms").asi8
    rows = _rows(bars)

    feed = _feed(rows)

    one = Runner(_spec(), Journal(tmp_path / "a.sqlite"), feed, start_ms=int(ms[0]),
                 until_ms=int(ms[-1]))  # fmt: skip
    summary = asyncio.run(one.run())
    assert summary.decided == 400 and summary.stopped == "end"
    half = Journal(tmp_path / "b.sqlite")
    two = Runner(_spec(), half, feed, start_ms=int(ms[0]), until_ms=int(ms[199]))
    asyncio.run(two.run())
    half.close()
    three = Runner(_spec(), Journal(tmp_path / "b.sqlite"), feed, start_ms=int(ms[0]),
                   until_ms=int(ms[-1]))  # fmt: skip
    summary = asyncio.run(three.run())
    assert summary.restored == 200 and summary.decided == 200
    a, b = one.journal.intents(), three.journal.intents()
    assert len(a) > 0 and a.tobytes() == b.tobytes()
    np.testing.assert_array_equal(one.journal.equity()["equity"], three.journal.equity()["equity"])


def test_pause_takes_no_entry_and_normal_resumes(tmp_path: Path) -> None:
    from soltrader.runtime.control import OperatorRequest, submit

    runner = _runner(tmp_path, Clock(), state_dir=tmp_path)  # requests arrive as from the CLI
    runner.restore()
    bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:600]
    ms = bars.index.as_unit("ms").asi8
    cols = [bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
    submit(tmp_path, OperatorRequest("mode", "pause", 0))
    for t in range(300):
        runner.on_bar(Bar(int(ms[t]), *(float(c[t]) for c in cols)))
    assert runner.journal.meta()["control_mode"] == "pause"
    assert not (runner.journal.intents()["reason"] == 0).any()  # no entry while paused
    submit(tmp_path, OperatorRequest("mode", "normal", 0))
    for t in range(300, 600):
        runner.on_bar(Bar(int(ms[t]), *(float(c[t]) for c in cols)))
    assert (runner.journal.intents()["reason"] == 0).any()


def test_a_solana_spec_runs_live_with_the_backtests_costs(tmp_path: Path) -> None:
    """The live runner (bars one by one, transaction costs priced at each bar's close) charges
    the [solana] table's costs exactly as ``st.backtest`` does on the whole history."""
    import soltrader as st

    bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:600]
    ms = bars.index.as_unit("ms").asi8
    rows = _rows(bars)
    solana = {
        "base_mint": "So11111111111111111111111111111111111111112",
        "quote_mint": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
        "base_decimals": 9, "quote_decimals": 6, "priority_fee_lamports": 50_000,
        "jito_tip_lamports": 20_000, "pool_liquidity": 2e6,
    }  # fmt: skip
    spec = parse_live_spec(
        {
            "data": {"symbol": "SOL/USDT", "timeframe": "1m"},
            "strategy": {"name": "sma_cross"},
            "params": {"fast": 5, "slow": 20},
            "solana": solana,
        }
    )

    feed = _feed(rows)

    runner = Runner(spec, Journal(tmp_path / "j.sqlite"), feed, start_ms=int(ms[0]),
                    until_ms=int(ms[-1]))  # fmt: skip
    asyncio.run(runner.run())
    ref = st.backtest(bars, st.strategies.sma_cross, **spec.backtest_kwargs())
    live = runner.journal.equity()["equity"]
    assert len(ref.trades_records) > 5
    np.testing.assert_array_equal(live, ref.account_equity.to_numpy().ravel())
    flat = st.backtest(bars, st.strategies.sma_cross, fast=5, slow=20)
    assert live[-1] < flat.account_equity.to_numpy().ravel()[-1]  # the costs were charged
