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


def test_stops_act_in_the_fill_bar_unless_switched_off() -> None:
    """Entry at bar 2's open (101, decided at bar 1); bar 2 then falls to 90, through a 5 % stop
    at 95.95. The stop is placed with the fill, so it fills inside bar 2 at the level (default);
    with ``stops_in_fill_bar=False`` it is armed from bar 3 and exits at bar 3's open 95 (a gap
    below the level)."""
    data = bars(ROWS)
    kw = dict(size=1.0, size_type="amount", sl_stop=0.05)
    same = st.backtest_signals(data, at(4, 1), **kw)
    later = st.backtest_signals(data, at(4, 1), stops_in_fill_bar=False, **kw)
    assert same.fills[["bar", "price"]].values.tolist() == [[2, 101.0], [2, pytest.approx(95.95)]]
    assert later.fills[["bar", "price"]].values.tolist() == [[2, 101.0], [3, 95.0]]
    assert same.trades["exit_reason"].tolist() == ["stop_loss"]


def test_take_profit_in_the_fill_bar() -> None:
    """Entry at bar 1's open (102); a 0.5 % target at 102.51 lies inside bar 1 (high 103) and no
    stop is reached: the target fills in the fill bar, at its level, as a maker order."""
    data = bars(ROWS)
    res = st.backtest_signals(data, at(4, 0), size=1.0, size_type="amount", tp_stop=0.005)
    assert res.fills[["bar", "price", "reason"]].values.tolist() == [
        [1, 102.0, "entry"],
        [1, pytest.approx(102.51), "take_profit"],
    ]


def test_both_sides_in_the_fill_bar_take_the_loss_side() -> None:
    """Entry at bar 1's open (102); stop 0.5 % (101.49) and target 0.5 % (102.51) both lie inside
    bar 1 (101..103): the conservative rule books the stop."""
    data = bars(ROWS)
    res = st.backtest_signals(
        data, at(4, 0), size=1.0, size_type="amount", sl_stop=0.005, tp_stop=0.005
    )
    assert res.fills[["bar", "price", "reason"]].values.tolist() == [
        [1, 102.0, "entry"],
        [1, pytest.approx(101.49), "stop_loss"],
    ]


# a bar that opens beyond the target (106 > 103) and then trades through the stop (low 96 < 97)
GAP_ROWS = [
    [100, 100, 100, 100, 1e6],
    [100, 101, 99, 100, 1e6],
    [106, 107, 96, 98, 1e6],
    [98, 99, 97, 98, 1e6],
]


def test_open_beyond_the_target_fills_it_at_the_open() -> None:
    data = bars(GAP_ROWS)
    kw = dict(size=1.0, size_type="amount", sl_stop=0.03, tp_stop=0.03, fill="close")
    first = st.backtest_signals(data, at(4, 0), **kw)
    stop_first = st.backtest_signals(data, at(4, 0), open_first=False, **kw)
    assert first.fills[["bar", "price", "reason"]].values.tolist()[1] == [2, 106.0, "take_profit"]
    assert stop_first.fills[["bar", "price", "reason"]].values.tolist()[1] == [
        2,
        97.0,
        "stop_loss",
    ]


def test_resting_fill_inside_the_bar_is_read_conservatively() -> None:
    """A buy limit at 99 fills inside bar 1 (open 100, low 98.5). The 1 % target (99.99) is below
    the bar's high (100.5) but that high may have come before the fill, and the close (99.5)
    is below the target: not taken. The 0.4 % stop (98.604) lies within the bar's range after
    the fill (the price came down to the limit, so the low came after it): taken at the level."""
    rows = [
        [100, 100, 100, 100, 1e6],
        [100, 100.5, 98.5, 99.5, 1e6],
        [99.5, 99.8, 99, 99.5, 1e6],
    ]
    kw = dict(size=1.0, size_type="amount", order_type="limit", limit_price=99.0)
    target = st.backtest_signals(bars(rows), at(3, 0), tp_stop=0.01, **kw)
    assert target.trades["is_open"].tolist() == [True]  # the target was not certainly reached
    stop = st.backtest_signals(bars(rows), at(3, 0), sl_stop=0.004, tp_stop=0.01, **kw)
    assert stop.fills[["bar", "price", "reason"]].values.tolist() == [
        [1, 99.0, "entry"],
        [1, pytest.approx(99.0 * 0.996), "stop_loss"],
    ]
    # a close beyond the target after the fill is certain: the target fills at its level
    rows[1][3] = 100.2
    sure = st.backtest_signals(bars(rows), at(3, 0), tp_stop=0.01, **kw)
    assert sure.fills[["bar", "price", "reason"]].values.tolist()[1] == [
        1,
        pytest.approx(99.99),
        "take_profit",
    ]


def test_amount_larger_than_the_cash_is_refused_or_partly_filled() -> None:
    """1,000 units at 100 with 10,000 cash: refused by default (the record keeps the size asked);
    with ``allow_partial`` (the vectorbt preset) 100 units fill, status partial."""
    data = bars(ROWS)
    kw = dict(size=1_000.0, size_type="amount", fill="close")
    refused = st.backtest_signals(data, at(4, 0), **kw)
    o = refused.orders.iloc[0]
    assert (o["status"], o["reject_reason"]) == ("rejected", "insufficient_cash")
    assert (o["requested_size"], o["filled_size"]) == (1_000.0, 0.0)
    assert refused.trades.empty
    partial = st.backtest_signals(data, at(4, 0), allow_partial=True, **kw)
    o = partial.orders.iloc[0]
    assert (o["status"], o["requested_size"]) == ("partial", 1_000.0)
    assert o["filled_size"] == pytest.approx(100.0)
    vbt = st.backtest_signals(data, at(4, 0), conventions="vectorbt", **kw)
    assert vbt.orders["filled_size"].tolist() == [pytest.approx(100.0)]


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
    assert (conv.stops_in_fill_bar, conv.open_first, conv.allow_partial) == (False, False, True)
    default = st.sim.resolve_conventions(None)
    assert (default.fill, default.stop_anchor, default.stop_slippage) == ("next_open", "fill", True)
    assert (default.stops_in_fill_bar, default.open_first, default.allow_partial) == (
        True,
        True,
        False,
    )
    assert st.sim.resolve_conventions("vectorbt", stop_slippage=True).stop_slippage is True


def test_call_order_value_gives_the_cash_to_the_smaller_order_first() -> None:
    """Two amount entries on one bar and cash for one: in column order the first asset's
    3 x 100 = 300 takes it; by value (vectorbt's "auto") the second's 3 x 40 = 120 goes first
    and the first is rejected (300 + fees > 350 - 120)."""
    flat = [[p, p, p, p, 1e6] for p in (100.0,) * 3]
    data = {"a": bars(flat), "b": bars([[40.0, 40.0, 40.0, 40.0, 1e6]] * 3)}
    entries = {"a": at(3, 1), "b": at(3, 1)}
    kw = dict(fill="close", size=3.0, size_type="amount", init_cash=350.0, fees=0.001)
    first = {}
    for order in ("columns", "value"):
        res = st.backtest_signals(data, entries, call_order=order, **kw)
        filled = res.orders[res.orders["status"] == "filled"]
        first[order] = filled["asset"].tolist()
        assert (res.orders["reject_reason"] == "insufficient_cash").sum() == 1
    assert first == {"columns": ["a"], "value": ["b"]}


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
