"""A leveraged position opened inside a bar whose close lies beyond its liquidation price is
liquidated in that bar, even before its own stops are armed: the account never loses more than
the position's margin."""

from __future__ import annotations

import numpy as np

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
