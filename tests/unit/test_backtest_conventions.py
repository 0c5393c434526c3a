"""Each switchable convention, tested on both of its sides with hand-checkable bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.data.schema import ohlcv_frame

START_MS = 1_704_067_200_000


def bars(rows: list[list[float]]) -> pd.DataFrame:
    arr = np.asarray(rows, dtype=np.float64)
    return ohlcv_frame(START_MS + 60_000 * np.arange(len(arr)), *arr.T)


def at(n: int, *bars_: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[list(bars_)] = True
    return out


ROWS = [
    [100, 100, 100, 100, 1e6],
    [102, 103, 101, 102, 1e6],
    [101, 101, 90, 95, 1e6],
    [95, 96, 94, 95, 1e6],
]


def test_fill_next_open_versus_close() -> None:
    data = bars(ROWS)
    nxt = st.backtest_signals(data, at(4, 0), size=1.0, size_type="amount")
    cls = st.backtest_signals(data, at(4, 0), size=1.0, size_type="amount", fill="close")
    assert (nxt.fills["bar"].iloc[0], nxt.fills["price"].iloc[0]) == (1, 102.0)
    assert (cls.fills["bar"].iloc[0], cls.fills["price"].iloc[0]) == (0, 100.0)


def test_stop_anchor_fill_versus_signal_close() -> None:
    """Slippage 1 %: entry fills at 101 (close 100 + 1 %). A 5 % stop anchored on the fill sits at
    95.95; anchored on the signal bar's close (vectorbt) at 95. Bar 2 trades down to 90."""
    data = bars(ROWS)
    kw = dict(
        size=1.0, size_type="amount", fill="close", sl_stop=0.05, slippage=0.01, stop_slippage=False
    )
    on_fill = st.backtest_signals(data, at(4, 0), stop_anchor="fill", **kw)
    on_close = st.backtest_signals(data, at(4, 0), stop_anchor="signal_close", **kw)
    assert on_fill.fills["price"].iloc[1] == pytest.approx(101.0 * 0.95)
    assert on_close.fills["price"].iloc[1] == pytest.approx(95.0)


def test_slippage_on_stop_exits_or_not() -> None:
    data = bars(ROWS)
    kw = dict(
        size=1.0,
        size_type="amount",
        fill="close",
        sl_stop=0.05,
        slippage=0.01,
        stop_anchor="signal_close",
    )
    slipped = st.backtest_signals(data, at(4, 0), stop_slippage=True, **kw)
    at_level = st.backtest_signals(data, at(4, 0), stop_slippage=False, **kw)
    assert slipped.fills["price"].iloc[1] == pytest.approx(95.0 * 0.99)
    assert at_level.fills["price"].iloc[1] == pytest.approx(95.0)


def test_stops_on_the_entry_bar_only_when_asked() -> None:
    """Entry at bar 2's open (101, decided at bar 1); bar 2 then falls to 90, through a 5 % stop
    at 95.95. By default stops are armed from the next bar (exit in bar 3 at its open 95, a gap
    below the level); with ``stop_on_entry_bar`` the stop fills inside bar 2 at the level."""
    data = bars(ROWS)
    kw = dict(size=1.0, size_type="amount", sl_stop=0.05)
    later = st.backtest_signals(data, at(4, 1), **kw)
    same = st.backtest_signals(data, at(4, 1), stop_on_entry_bar=True, **kw)
    assert later.fills[["bar", "price"]].values.tolist() == [[2, 101.0], [3, 95.0]]
    assert same.fills[["bar", "price"]].values.tolist() == [[2, 101.0], [2, pytest.approx(95.95)]]


def test_min_size_rejects_dust() -> None:
    data = bars(ROWS)
    tiny = st.backtest_signals(data, at(4, 0), size=1e-9, size_type="amount", fill="close")
    assert tiny.orders["status"].tolist() == ["rejected"]
    assert tiny.orders["reject_reason"].tolist() == ["below_min_size"]
    allowed = st.backtest_signals(
        data, at(4, 0), size=1e-9, size_type="amount", fill="close", min_size=0.0
    )
    assert allowed.fills["size"].iloc[0] == pytest.approx(1e-9)


def test_vectorbt_preset_sets_every_switch() -> None:
    conv = st.sim.resolve_conventions("vectorbt")
    assert (conv.fill, conv.stop_anchor, conv.stop_slippage) == ("close", "signal_close", False)
    default = st.sim.resolve_conventions(None)
    assert (default.fill, default.stop_anchor, default.stop_slippage) == ("next_open", "fill", True)
    assert st.sim.resolve_conventions("vectorbt", stop_slippage=True).stop_slippage is True


def test_intrabar_without_ambiguity_changes_nothing(sol_1h, sol_1m) -> None:
    """Sub-bars identical to their bars hold both levels at once: the stop-first rule stands."""
    hours = sol_1h.loc["2024-01-01":"2024-02-10"]
    rng = np.random.default_rng(3)
    entries = rng.random(len(hours)) < 0.05
    kw = dict(sl_stop=0.01, tp_stop=0.012, fees=0.001)
    plain = st.backtest_signals(hours, entries, **kw)
    same = st.backtest_signals(hours, entries, intrabar=hours, **kw)
    assert plain.fills_records.tobytes() == same.fills_records.tobytes()
    real = st.backtest_signals(hours, entries, intrabar=sol_1m, **kw)
    # real 1m data settles some ambiguous bars the other way: take-profits appear where the
    # conservative rule booked stops, and never the reverse on the same entry
    a = plain.trades.set_index("entry_bar")["exit_reason"]
    b = real.trades.set_index("entry_bar")["exit_reason"]
    common = a.index.intersection(b.index)
    changed = a[common] != b[common]
    assert changed.any()
    assert (a[common][changed] == "stop_loss").all()
