"""The sweep's calendar periods: a period that divides a UTC day is found by integer division of
the bar times, and must give exactly what pandas' resampling gives (ends, labels, their unit and
``freq``), with gaps, before 1970, and at every time unit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from soltrader.domain.errors import ParameterError
from soltrader.engine.fused import Periods, period_index

PERIODS = ("1D", "1h", "4h", "15min", "30s", "2D", "7h", "1W", "ME")


def _resampled(index: pd.DatetimeIndex, periods: str) -> Periods:
    last = pd.Series(np.arange(len(index)), index=index).resample(periods).last().dropna()
    return Periods(last.to_numpy().astype(np.int64), last.index)


def _same(a: Periods, b: Periods) -> None:
    assert a.ends.dtype == b.ends.dtype and np.array_equal(a.ends, b.ends)
    assert a.labels.equals(b.labels)
    assert a.labels.dtype == b.labels.dtype
    assert a.labels.freq == b.labels.freq


@settings(max_examples=60, deadline=None)
@given(
    start_s=hs.integers(-3 * 86_400 * 365, 3 * 86_400 * 365),
    bar=hs.sampled_from(["1min", "5min", "1h", "4h", "1D"]),
    unit=hs.sampled_from(["ns", "us", "ms", "s"]),
    tz=hs.sampled_from(["UTC", None]),
    keep=hs.floats(0.2, 1.0),
    seed=hs.integers(0, 2**32 - 1),
    periods=hs.sampled_from(PERIODS),
)
def test_periods_equal_pandas_resampling(
    start_s: int, bar: str, unit: str, tz: str | None, keep: float, seed: int, periods: str
) -> None:
    start = pd.Timestamp(start_s, unit="s", tz=tz)
    index = pd.date_range(start, periods=3_000, freq=bar, unit=unit)
    index = index[np.random.default_rng(seed).random(len(index)) < keep]  # gaps, empty periods
    _same(period_index(index, periods), _resampled(index, periods))


def test_a_bar_index_in_another_time_zone_takes_pandas_resampling() -> None:
    index = pd.date_range("2024-03-30", periods=100, freq="1h", tz="Europe/Berlin")  # DST
    _same(period_index(index, "1D"), _resampled(index, "1D"))


def test_a_period_that_is_no_frequency_names_the_argument() -> None:
    index = pd.date_range("2024-01-01", periods=10, freq="1h", tz="UTC")
    with pytest.raises(ParameterError, match="periods"):
        period_index(index, "fortnightly")
