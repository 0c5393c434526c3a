"""Timeframe strings: soltrader's short units and the pandas aliases mean the same bars, and a
string that is neither is refused with the name of the argument that carried it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.data.timeframes import (
    bucket_start_ms,
    canonical_timeframe,
    parse_timeframe,
    timeframe_ms,
    timeframe_origin_ms,
)
from soltrader.domain.errors import ParameterError

MINUTE = 60_000


@pytest.mark.parametrize(
    ("alias", "short", "ms"),
    [
        ("1min", "1m", MINUTE),
        ("5min", "5m", 5 * MINUTE),
        ("15min", "15m", 15 * MINUTE),
        ("1h", "1h", 60 * MINUTE),
        ("4H", "4h", 240 * MINUTE),
        ("1D", "1d", 1_440 * MINUTE),
        ("1W", "1w", 7 * 1_440 * MINUTE),
        ("30S", "30s", 30_000),
        (" 4h ", "4h", 240 * MINUTE),
    ],
)
def test_pandas_aliases_are_the_short_timeframes(alias: str, short: str, ms: int) -> None:
    assert canonical_timeframe(alias) == short
    assert timeframe_ms(alias) == timeframe_ms(short) == ms
    assert timeframe_origin_ms(alias) == timeframe_origin_ms(short)
    assert st.metrics.periods_per_year(alias) == st.metrics.periods_per_year(short)


def test_weekly_buckets_start_on_monday_for_both_spellings() -> None:
    thursday = 1_704_326_400_000  # 2024-01-04 00:00 UTC
    monday = 1_704_067_200_000  # 2024-01-01 00:00 UTC
    assert bucket_start_ms(thursday, "1W") == bucket_start_ms(thursday, "1w") == monday


@pytest.mark.parametrize("bad", ["1M", "1ms", "0min", "1y", "min", "5 min", "1.5h", 60, None])
def test_unknown_timeframes_are_refused(bad: Any) -> None:
    with pytest.raises(ParameterError, match="timeframe") as info:
        parse_timeframe(bad)
    assert info.value.name == "timeframe"


def test_the_error_names_the_argument(sol_1h: pd.DataFrame) -> None:
    bars = sol_1h.iloc[:48]
    with pytest.raises(ParameterError) as info:
        st.data.resample(bars, "4x")
    assert info.value.name == "timeframe" and "'4x'" in str(info.value)
    with pytest.raises(ParameterError) as info:
        st.data.resample(bars, "4h", source_timeframe="1hour")
    assert info.value.name == "source_timeframe" and "'1hour'" in str(info.value)
    with pytest.raises(ParameterError) as info:
        timeframe_ms("2M", "periods")
    assert info.value.name == "periods"


def test_aliases_resample_validate_and_build_candles_alike(sol_1h, sol_trades) -> None:
    bars = sol_1h.iloc[:500]
    pd.testing.assert_frame_equal(
        st.data.resample(bars, "1D", source_timeframe="60min"), st.data.resample(bars, "1d")
    )
    assert st.data.validate(bars, "1H").summary().equals(st.data.validate(bars, "1h").summary())
    pd.testing.assert_frame_equal(
        st.data.candles_from_trades(sol_trades, "5min"),
        st.data.candles_from_trades(sol_trades, "5m"),
    )
    filled = st.data.fill_gaps(sol_1h.loc["2020-11-30":"2020-12-01"], "60min")
    assert int(filled["filled"].sum()) == 1
    assert np.all(np.diff(filled.index.asi8) == 3_600 * 10**9)
