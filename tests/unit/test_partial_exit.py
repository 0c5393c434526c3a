"""Partial exit signals: an exit closes ``exit_size`` of the position, reduce-only."""

from __future__ import annotations

import numpy as np
import pytest

import soltrader as st
from soltrader.data.schema import ohlcv_frame


def frame(closes: list[float]) -> object:
    c = np.asarray(closes, dtype=float)
    o = np.concatenate([[c[0]], c[:-1]])
    t = 1_700_000_000_000 + 3_600_000 * np.arange(len(c))
    return ohlcv_frame(t, o, np.maximum(o, c), np.minimum(o, c), c, np.full(len(c), 1e6))


@pytest.mark.parametrize("fill", ["close", "next_open"])
def test_two_half_exits_close_the_position_in_two_trades(fill) -> None:
    closes = [100.0, 100.0, 110.0, 120.0, 130.0, 130.0]
    n = len(closes)
    entries = np.zeros(n, bool)
    entries[0] = True
    exits = np.zeros(n, bool)
    exits[[2, 3]] = True
    res = st.backtest_signals(frame(closes), entries, exits, fill=fill, exit_size=0.5)
    trades = res.trades
    assert trades["is_open"].tolist() == [False, False, True]
    total = trades["size"].sum()
    assert trades["size"].iloc[0] == pytest.approx(total / 2)  # half of the position
    assert trades["size"].iloc[1] == pytest.approx(total / 4)  # half of what was left
    assert (res.positions.iloc[:, 0] >= 0).all()
    cash_plus_positions = res.cash + res.position_values.sum(axis=1)
    np.testing.assert_allclose(cash_plus_positions, res.equity, rtol=1e-12)


def test_exit_size_must_be_a_fraction() -> None:
    with pytest.raises(st.ParameterError, match="exit_size"):
        st.backtest_signals(frame([100.0] * 3), np.array([True, False, False]), None, exit_size=0)
