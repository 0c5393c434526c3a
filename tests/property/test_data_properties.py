"""Invariants of the pure data modules: resampling composes, validation never crashes, and the
batch candle builder equals the streaming one on any trade stream."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from soltrader.data.candles import Candle, CandleBuilder, candles_from_trades, candles_to_frame
from soltrader.data.resample import resample
from soltrader.data.schema import ohlcv_frame, to_polars
from soltrader.data.validation import CODES, WARNING_CODES, validate
from soltrader.domain.errors import DataError, Error, LateTradeError

MINUTE_MS = 60_000
BASE_MS = 1_700_000_040_000  # 2023-11-14 22:14 UTC: a minute that is not on the 5m/15m grid

# ---------------------------------------------------------------------------------------------
# resample of a resample == direct resample
# ---------------------------------------------------------------------------------------------


@st.composite
def minute_bars(draw: st.DrawFn) -> pd.DataFrame:
    """Random 1m bars on the grid, with random gaps; prices consistent, volumes 2-decimal."""
    n = draw(st.integers(1, 240))
    present = draw(hnp.arrays(np.bool_, n, elements=st.booleans()))
    present[0] = True
    slots = np.flatnonzero(present | draw(st.booleans()))  # often contiguous
    ts = BASE_MS + slots.astype(np.int64) * MINUTE_MS
    m = ts.size
    price = st.floats(1.0, 1000.0, allow_nan=False, width=32)
    o = draw(hnp.arrays(np.float64, m, elements=price))
    c = draw(hnp.arrays(np.float64, m, elements=price))
    wick = draw(hnp.arrays(np.float64, m, elements=st.floats(0.0, 5.0, width=32)))
    vol = draw(hnp.arrays(np.int64, m, elements=st.integers(0, 10**7))) / 100.0
    return ohlcv_frame(ts, o, np.maximum(o, c) + wick, np.minimum(o, c) - wick / 2, c, vol)


@given(minute_bars())
def test_resample_composes(bars: pd.DataFrame) -> None:
    direct = resample(bars, "15m", source_timeframe="1m")
    via5 = resample(resample(bars, "5m", source_timeframe="1m"), "15m", source_timeframe="5m")
    np.testing.assert_array_equal(via5.index.asi8, direct.index.asi8)
    for col in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(via5[col].to_numpy(), direct[col].to_numpy(), col)
    np.testing.assert_allclose(via5["volume"], direct["volume"], rtol=1e-12, atol=1e-9)


@given(minute_bars())
def test_resample_composes_on_complete_buckets(bars: pd.DataFrame) -> None:
    direct = resample(bars, "15m", source_timeframe="1m", drop_partial=True)
    via5 = resample(resample(bars, "5m", source_timeframe="1m", drop_partial=True), "15m",
                    source_timeframe="5m", drop_partial=True)  # fmt: skip
    pd.testing.assert_index_equal(via5.index, direct.index)
    pd.testing.assert_frame_equal(via5, direct, check_exact=False, rtol=1e-12)
    assert (direct.index.asi8 // 10**6 % (15 * MINUTE_MS) == 0).all()


@given(minute_bars())
def test_resample_conserves_volume_and_extremes(bars: pd.DataFrame) -> None:
    out = resample(to_polars(bars), "5m", source_timeframe="1m")
    assert isinstance(out, pl.DataFrame)
    assert out["volume"].sum() == pytest.approx(bars["volume"].sum(), rel=1e-12, abs=1e-9)
    assert out["high"].max() == bars["high"].max() and out["low"].min() == bars["low"].min()


# ---------------------------------------------------------------------------------------------
# validate never crashes, and its report is self-consistent
# ---------------------------------------------------------------------------------------------

ANY_FLOAT = st.one_of(
    st.floats(-10.0, 1e6, allow_nan=False),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -1.0]),
)


@st.composite
def messy_frames(draw: st.DrawFn) -> pd.DataFrame | pl.DataFrame:
    n = draw(st.integers(0, 60))
    jitter = st.sampled_from([0, 0, 0, 0, 1, 30_000, -MINUTE_MS, 2 * MINUTE_MS])
    steps = draw(hnp.arrays(np.int64, n, elements=st.sampled_from([0, 1, 1, 1, 2, 5, -3])))
    ts = BASE_MS + np.cumsum(steps) * MINUTE_MS + draw(hnp.arrays(np.int64, n, elements=jitter))
    cols = [draw(hnp.arrays(np.float64, n, elements=ANY_FLOAT)) for _ in range(5)]
    frame = ohlcv_frame(ts, *cols)
    return to_polars(frame) if draw(st.booleans()) else frame


@given(messy_frames(), st.sampled_from([None, "1m", "5m", "1h"]))
def test_validate_never_crashes(frame: pd.DataFrame | pl.DataFrame, timeframe: str | None) -> None:
    try:
        report = validate(frame, timeframe)
    except Error as exc:  # only the documented refusal: a timeframe that cannot be inferred
        assert timeframe is None and "timeframe" in str(exc)
        return
    findings = report.findings
    n = len(frame)
    assert int(report.summary().sum()) == len(findings) == len(report)
    assert set(findings["code"]) <= set(CODES)
    assert findings["row"].between(0, n - 1).all()
    assert findings["row"].is_monotonic_increasing
    is_warning = findings["code"].isin(list(WARNING_CODES))
    assert (findings["severity"] == np.where(is_warning, "warning", "error")).all()
    assert report.ok == bool(is_warning.all())
    assert findings["message"].map(len).gt(0).all()
    assert isinstance(str(report), str)
    if len(findings):
        with pytest.raises(DataError) as info:
            validate(frame, report.timeframe, strict=True)
        assert info.value.row == findings["row"].iloc[0]
        assert info.value.code == findings["code"].iloc[0]
    else:
        assert validate(frame, report.timeframe, strict=True).ok


# ---------------------------------------------------------------------------------------------
# candles: batch == streaming on any trade stream
# ---------------------------------------------------------------------------------------------

TRADE = st.tuples(
    st.integers(0, 8 * 60_000_000),  # µs offset in an 8-minute window
    st.floats(0.01, 1e5, allow_nan=False),
    st.floats(0.0, 1e3, allow_nan=False),
)


@st.composite
def trade_streams(draw: st.DrawFn) -> pl.DataFrame:
    """Trades in arrival order: sorted, nearly sorted, or shuffled (so late and out-of-order
    trades, ties in time and long silences all occur)."""
    rows = draw(st.lists(TRADE, max_size=80))
    order = draw(st.sampled_from(["sorted", "jittered", "as drawn"]))
    if order == "sorted":
        rows.sort(key=lambda r: r[0])
    elif order == "jittered":
        rows = sorted(rows, key=lambda r: r[0] + draw(st.integers(-5_000_000, 5_000_000)))
    start = 1_760_054_400_000_000 + draw(st.integers(-120_000_000, 120_000_000))
    return pl.DataFrame(
        {
            "timestamp": [start + r[0] for r in rows],
            "price": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
        },
        schema={"timestamp": pl.Int64, "price": pl.Float64, "amount": pl.Float64},
    )


def run_stream(trades: pl.DataFrame, timeframe: str, empty: str, late: str) -> pd.DataFrame:
    builder = CandleBuilder(timeframe, empty=empty, late=late)
    out: list[Candle] = []
    for t, p, a in trades.iter_rows():
        out += builder.add(t, p, a)
    last = builder.flush()
    frame = candles_to_frame(out + ([last] if last is not None else []))
    frame.attrs["late_count"] = builder.late_count
    return frame


@given(
    trade_streams(),
    st.sampled_from(["1s", "15s", "1m", "5m"]),
    st.sampled_from(["skip", "flat"]),
    st.sampled_from(["drop", "raise"]),
)
def test_candles_batch_equals_streaming(
    trades: pl.DataFrame, timeframe: str, empty: str, late: str
) -> None:
    try:
        batch = candles_from_trades(trades, timeframe, empty=empty, late=late)
    except LateTradeError as exc:
        with pytest.raises(LateTradeError) as info:
            run_stream(trades, timeframe, empty, late)
        assert late == "raise"
        assert (info.value.row, info.value.timestamp) == (exc.row, exc.timestamp)
        assert str(info.value) == str(exc)
        return
    streamed = run_stream(trades, timeframe, empty, late)
    pd.testing.assert_frame_equal(batch, streamed, check_exact=True)
    assert batch.attrs["late_count"] == streamed.attrs["late_count"]
    used = int(batch["trades"].sum())
    assert used + batch.attrs["late_count"] == trades.height
    if empty == "flat" and len(batch) > 1:
        assert (np.diff(batch.index.asi8) == pd.Timedelta(timeframe).value).all()
