"""resample() against the exchange's own coarser bars, and its refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from soltrader.data.resample import resample
from soltrader.data.schema import ohlcv_frame, to_pandas, to_polars
from soltrader.domain.errors import DataError, ParameterError

PRICES = ["open", "high", "low", "close"]


def assert_same_bars(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    """Bitwise-equal O/H/L/C and labels; volume within 1e-9 relative (decimal sums may differ
    from the exchange's in the last bit)."""
    np.testing.assert_array_equal(got.index.asi8, ref.index.asi8)
    for col in PRICES:
        np.testing.assert_array_equal(got[col].to_numpy(), ref[col].to_numpy(), err_msg=col)
    np.testing.assert_allclose(got["volume"].to_numpy(), ref["volume"].to_numpy(), rtol=1e-9)


def test_sol_1h_to_4h_equals_the_exchange_4h(sol_1h: pd.DataFrame, sol_4h: pd.DataFrame) -> None:
    complete = resample(sol_1h, "4h", drop_partial=True)
    n = len(complete)
    assert abs(n - 11_831) <= 3, f"compared {n} complete 4h buckets, expected 11,831 +- 3"
    assert complete.index.isin(sol_4h.index).all(), f"{n} complete buckets"
    assert_same_bars(complete, sol_4h.loc[complete.index])


def test_sol_1h_to_4h_keeps_every_bucket_label(sol_1h: pd.DataFrame, sol_4h: pd.DataFrame) -> None:
    # No 4h bucket lost all four hours, so every exchange 4h bar has a resampled counterpart;
    # the partial first bucket (trading started at 06:00) matches too.
    out = resample(sol_1h, "4h")
    np.testing.assert_array_equal(out.index.asi8, sol_4h.index.asi8)
    head = out.iloc[:1]
    assert head.index[0] == pd.Timestamp("2020-08-11 04:00", tz="UTC")
    assert_same_bars(head, sol_4h.iloc[:1])


def test_sol_1m_to_1h_equals_the_exchange_1h(sol_1m: pd.DataFrame, sol_1h: pd.DataFrame) -> None:
    complete = resample(sol_1m, "1h", drop_partial=True)
    common = complete.index.intersection(sol_1h.index)
    assert len(common) == len(complete) > 1_800, f"{len(common)} complete hours compared"
    assert_same_bars(complete.loc[common], sol_1h.loc[common])


def test_polars_in_polars_out(sol_1h: pd.DataFrame) -> None:
    window = sol_1h.iloc[:500]
    out = resample(to_polars(window), "4h", source_timeframe="1h")
    assert isinstance(out, pl.DataFrame)
    pd.testing.assert_frame_equal(to_pandas(out), resample(window, "4h"))


def test_gaps_stay_gaps(sol_1h: pd.DataFrame) -> None:
    window = sol_1h.iloc[2 : 2 + 48]  # 2020-08-11 08:00 .. two days, contiguous
    assert window.index[0] == pd.Timestamp("2020-08-11 08:00", tz="UTC")
    holed = window.drop(index=window.index[8:16])  # two whole 4h buckets
    out = resample(holed, "4h", source_timeframe="1h")
    assert len(out) == 10
    missing = resample(window, "4h").index.difference(out.index)
    assert [t.strftime("%H:%M") for t in missing] == ["16:00", "20:00"]


def test_drop_partial_counts_source_bars(sol_1h: pd.DataFrame) -> None:
    window = sol_1h.iloc[2 : 2 + 48].drop(index=sol_1h.index[5])  # one hour missing
    full = resample(window, "4h")
    complete = resample(window, "4h", drop_partial=True)
    assert len(full) == 12 and len(complete) == 11
    assert full.index.difference(complete.index)[0] == pd.Timestamp("2020-08-11 08:00", tz="UTC")


def test_daily_and_weekly_grids(sol_1h: pd.DataFrame) -> None:
    window = sol_1h.iloc[500 : 500 + 24 * 21]
    daily = resample(window, "1d", drop_partial=True)
    assert (daily.index.hour == 0).all()
    weekly = resample(window, "1w")
    assert (weekly.index.day_of_week == 0).all()  # Monday buckets
    via_daily = resample(resample(window, "1d"), "1w", source_timeframe="1d")
    assert_same_bars(via_daily, weekly)


def test_nan_propagates() -> None:
    ts = np.arange(4) * 60_000
    px = np.array([1.0, np.nan, 3.0, 4.0])
    out = resample(ohlcv_frame(ts, px, px, px, px, np.ones(4)), "2m")
    assert np.isnan(out["high"].iloc[0]) and out["high"].iloc[1] == 4.0


def test_refuses_targets_that_are_not_whole_multiples(sol_1h: pd.DataFrame) -> None:
    window = sol_1h.iloc[:100]
    for target in ("90m", "1m", "30m"):
        with pytest.raises(ParameterError, match="whole multiple"):
            resample(window, target)
    daily = ohlcv_frame(np.arange(20) * 2 * 86_400_000, *[np.ones(20)] * 5)
    with pytest.raises(ParameterError, match="whole multiple"):
        resample(daily, "1w")  # 7 days are not whole 2-day bars
    weekly = ohlcv_frame(4 * 86_400_000 + np.arange(6) * 604_800_000, *[np.ones(6)] * 5)
    with pytest.raises(ParameterError, match="Monday"):
        resample(weekly, "14d")  # epoch-aligned 14d buckets start on Thursdays


def test_refuses_unsorted_duplicate_and_off_grid_source(sol_1h: pd.DataFrame) -> None:
    window = sol_1h.iloc[:50]
    ts = window.index.to_numpy().copy()
    ts[10], ts[11] = ts[11], ts[10]
    with pytest.raises(DataError) as info:
        resample(
            window.set_axis(pd.DatetimeIndex(ts, name="timestamp")), "4h", source_timeframe="1h"
        )
    assert (info.value.code, info.value.row) == ("unsorted", 11)
    assert "row 11" in str(info.value)
    ts = window.index.to_numpy().copy()
    ts[7] = ts[6]
    with pytest.raises(DataError) as info:
        resample(
            window.set_axis(pd.DatetimeIndex(ts, name="timestamp")), "4h", source_timeframe="1h"
        )
    assert (info.value.code, info.value.row) == ("duplicate_timestamp", 7)
    ts = window.index.to_numpy().copy()
    ts[20] = ts[20] + np.timedelta64(5, "m")
    with pytest.raises(DataError) as info:
        resample(
            window.set_axis(pd.DatetimeIndex(ts, name="timestamp")), "4h", source_timeframe="1h"
        )
    assert (info.value.code, info.value.row) == ("off_grid", 20)


def test_source_timeframe_inference(sol_1h: pd.DataFrame) -> None:
    one = sol_1h.iloc[:1]
    with pytest.raises(ParameterError, match="cannot be inferred"):
        resample(one, "4h")
    out = resample(one, "4h", source_timeframe="1h")
    assert len(out) == 1 and out["close"].iloc[0] == one["close"].iloc[0]
    assert resample(sol_1h.iloc[:0], "4h").empty
    with pytest.raises(ParameterError, match="drop_partial"):
        resample(sol_1h.iloc[:10], "4h", drop_partial=1)  # type: ignore[arg-type]
