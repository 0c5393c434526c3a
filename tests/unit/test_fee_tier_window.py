"""The volume window of fee tiers is counted in bars of the data's most common spacing, so a gap
before the second bar does not shrink it to a single bar."""

from __future__ import annotations

import numpy as np
import pandas as pd

import soltrader as st
from soltrader.costs.models import FeeSchedule, FeeTier


def _bars(index: pd.DatetimeIndex) -> pd.DataFrame:
    close = 100.0 + np.sin(np.arange(len(index)) / 3.0)
    return pd.DataFrame(
        {"open": close, "high": close + 1, "low": close - 1, "close": close, "volume": 1e9},
        index=index,
    )


def test_a_gap_before_the_second_bar_does_not_change_the_window() -> None:
    hourly = pd.date_range("2024-01-02", periods=120, freq="1h", tz="UTC")
    gapped = hourly[:1].append(hourly[1:] + pd.Timedelta(hours=23))  # one day, then hourly
    tiers = (FeeTier(0.0, 0.001, 0.002), FeeTier(5_000.0, 0.0, 0.0))
    fees = FeeSchedule(maker=0.001, taker=0.002, tiers=tiers, window_days=1.0)
    n = len(hourly)
    entries = np.zeros(n, dtype=bool)
    exits = np.zeros(n, dtype=bool)
    entries[::6], exits[3::6] = True, True
    kw = {"fees": fees, "size": 10.0, "size_type": "amount"}
    plain = st.backtest_signals(_bars(hourly), entries, exits, **kw).fills["fees"].to_numpy()
    after_gap = st.backtest_signals(_bars(gapped), entries, exits, **kw).fills["fees"].to_numpy()
    late = slice(len(plain) // 2, None)  # past the first day: both windows hold 24 bars
    np.testing.assert_array_equal(plain[late], after_gap[late])
    assert (plain[late] == 0.0).any() and (plain[:2] > 0).all()  # the tier switches on
