"""A leveraged position opened inside a bar whose close lies beyond its liquidation price is
liquidated in that bar, even before its own stops are armed: the account never loses more than
the position's margin."""

from __future__ import annotations

import numpy as np
import pytest

import soltrader as st
from soltrader.data.schema import ohlcv_frame


def frame(o, h, lo, c) -> object:
    t = 1_700_000_000_000 + 3_600_000 * np.arange(len(c))
    return ohlcv_frame(t, o, h, lo, c, np.full(len(c), 1e6))


def test_limit_fill_then_close_beyond_liquidation() -> None:
    # bar 1: a buy limit at 99 fills; the bar closes at 88, beyond the 10x liquidation at 89.1
    data = frame([100, 100, 88], [101, 100, 89], [99, 87, 87], [100, 88, 88])
    entries = np.array([True, False, False])
    exits = np.array([False, True, False])  # a same-bar exit signal must not book a bigger loss
    res = st.backtest_signals(
        data, entries, exits, order_type="limit", limit_price=99.0, leverage=10.0, fill="close"
    )
    trade = res.trades.iloc[0]
    liq = 99.0 * (1 - 1 / 10)
    assert trade["exit_reason"] == "liquidation" and trade["exit_bar"] == 1
    assert trade["exit_price"] == liq
    assert res.cash.min() >= 0.0
    margin = trade["size"] * 99.0 / 10.0
    np.testing.assert_allclose(res.equity.iloc[-1], 10_000.0 - margin, rtol=1e-12)


def test_a_close_short_of_liquidation_leaves_the_position() -> None:
    data = frame([100, 100, 95], [101, 100, 96], [99, 94, 94], [100, 95, 95])
    res = st.backtest_signals(
        data, np.array([True, False, False]), None, order_type="limit", limit_price=99.0,
        leverage=10.0,
    )  # fmt: skip
    assert res.trades["is_open"].tolist() == [True]


def test_leverage_per_bar_sets_each_positions_margin_and_liquidation() -> None:
    # entry 1 at 10x (bar 0), entry 2 at 2x (bar 3); both all-in at a close of 100
    closes = [100.0, 100.0, 100.0, 100.0, 100.0, 95.0]
    c = np.array(closes)
    data = frame(c, c + 0.5, c - 0.5, c)
    entries = np.array([True, False, False, True, False, False])
    exits = np.array([False, False, True, False, False, False])
    leverage = np.array([10.0, 1.0, 1.0, 2.0, 1.0, 1.0])
    res = st.backtest_signals(data, entries, exits, fill="close", leverage=leverage)
    first, second = res.trades.itertuples()
    assert first.size == pytest.approx(10_000.0 * 10 / 100.0)  # 10x: notional 100,000
    assert second.size == pytest.approx(10_000.0 * 2 / 100.0)  # 2x: notional 20,000
    # at 2x the 5 % fall costs 10 % of the account, not liquidated (liq at 50)
    np.testing.assert_allclose(res.equity.iloc[-1], 10_000.0 - 200.0 * 5.0, rtol=1e-12)


def test_leverage_below_one_anywhere_is_refused() -> None:
    c = np.array([100.0, 100.0, 100.0])
    with pytest.raises(st.ParameterError, match="leverage"):
        st.backtest_signals(
            frame(c, c, c, c), np.array([True, False, False]), None, leverage=[1.0, 0.5, 1.0]
        )
