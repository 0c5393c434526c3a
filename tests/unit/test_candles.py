"""Candles from trades: the real Gemini SOL/USD day, the policies, and batch == streaming."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest

from soltrader.data.candles import (
    Candle,
    CandleBuilder,
    candles_from_trades,
    candles_to_frame,
    trade_arrays,
)
from soltrader.domain.errors import DataError, LateTradeError, ParameterError

MIN = 60_000_000  # one minute in µs


def stream(
    trades: pl.DataFrame | pd.DataFrame, timeframe: str, **policies: str
) -> tuple[pd.DataFrame, int]:
    """Feed every trade to a CandleBuilder in order, then flush: the batch function's contract."""
    ts, price, amount = trade_arrays(trades)
    builder = CandleBuilder(timeframe, **policies)
    out: list[Candle] = []
    for t, p, a in zip(ts.tolist(), price.tolist(), amount.tolist(), strict=True):
        out += builder.add(t, p, a)
    last = builder.flush()
    out += [last] if last is not None else []
    return candles_to_frame(out), builder.late_count


def trades_frame(rows: list[tuple[int, float, float]]) -> pl.DataFrame:
    ts, price, amount = zip(*rows, strict=True)
    return pl.DataFrame(
        {"timestamp": list(ts), "price": list(price), "amount": list(amount)},
        schema={"timestamp": pl.Int64, "price": pl.Float64, "amount": pl.Float64},
    )


# ---------------------------------------------------------------------------------------------
# the real trades day
# ---------------------------------------------------------------------------------------------


def test_real_day_15m(sol_trades: pl.DataFrame) -> None:
    candles = candles_from_trades(sol_trades, "15m")
    assert len(candles) == 96
    assert candles.index[0] == pd.Timestamp("2025-10-10 00:00", tz="UTC")
    assert (np.diff(candles.index.asi8) == 15 * 60 * 10**9).all()
    total = sol_trades["amount"].sum()
    assert candles["volume"].sum() == pytest.approx(total, rel=1e-9)
    assert int(candles["trades"].sum()) == sol_trades.height == 12_764
    assert candles.attrs["late_count"] == 0
    by_bucket = (
        sol_trades.with_row_index("i")
        .group_by(pl.col("timestamp").dt.truncate("15m"))
        .agg(
            high=pl.col("price").max(),
            low=pl.col("price").min(),
            open=pl.col("price").sort_by("i").first(),
            close=pl.col("price").sort_by("i").last(),
            n=pl.len(),
        )
        .sort("timestamp")
    )
    for col in ("high", "low", "open", "close"):
        np.testing.assert_array_equal(candles[col].to_numpy(), by_bucket[col].to_numpy(), col)
    np.testing.assert_array_equal(candles["trades"].to_numpy(), by_bucket["n"].to_numpy())
    assert candles["trades"].min() == 11 and candles["trades"].max() == 702


@pytest.mark.parametrize("empty", ["skip", "flat"])
@pytest.mark.parametrize("timeframe", ["1m", "5m", "15m", "1h"])
def test_real_day_batch_equals_streaming(
    sol_trades: pl.DataFrame, timeframe: str, empty: str
) -> None:
    batch = candles_from_trades(sol_trades, timeframe, empty=empty)
    streamed, late = stream(sol_trades, timeframe, empty=empty)
    pd.testing.assert_frame_equal(batch, streamed, check_exact=True)
    assert late == batch.attrs["late_count"] == 0


def test_real_day_1m_gaps_skip_or_flat(sol_trades: pl.DataFrame) -> None:
    skip = candles_from_trades(sol_trades, "1m")
    flat = candles_from_trades(sol_trades, "1m", empty="flat")
    assert len(skip) < 1440 and (skip["trades"] > 0).all()
    assert len(flat) == 1440  # every minute from the first trade's to the last trade's
    filled = flat[flat["trades"] == 0]
    assert len(filled) == 1440 - len(skip) and (filled["volume"] == 0).all()
    prev_close = flat["close"].shift(1)[flat["trades"] == 0]
    np.testing.assert_array_equal(filled["close"].to_numpy(), prev_close.to_numpy())
    assert (filled["open"] == filled["high"]).all() and (filled["low"] == filled["close"]).all()
    pd.testing.assert_frame_equal(flat[flat["trades"] > 0], skip)


def test_pandas_and_polars_inputs_agree(sol_trades: pl.DataFrame) -> None:
    day = sol_trades.head(2_000)
    ref = candles_from_trades(day, "5m")
    as_pandas = day.to_pandas()
    pd.testing.assert_frame_equal(candles_from_trades(as_pandas, "5m"), ref)
    indexed = as_pandas.set_index("timestamp")
    pd.testing.assert_frame_equal(candles_from_trades(indexed, "5m"), ref)
    as_int = day.with_columns(pl.col("timestamp").dt.epoch("us"))
    pd.testing.assert_frame_equal(candles_from_trades(as_int, "5m"), ref)


# ---------------------------------------------------------------------------------------------
# the rules, on small hand-made streams
# ---------------------------------------------------------------------------------------------


def test_out_of_order_inside_the_open_bucket() -> None:
    rows = [
        (20_000_000, 10.0, 1.0),
        (5_000_000, 9.0, 1.0),  # earlier: becomes the open
        (5_000_000, 8.0, 1.0),  # same earliest time, arrived later: not the open
        (50_000_000, 12.0, 1.0),  # latest so far: the close
        (50_000_000, 11.0, 1.0),  # same latest time, arrived later: the close
        (30_000_000, 13.0, 1.0),  # in between: only high moves
    ]
    for candles in (
        candles_from_trades(trades_frame(rows), "1m"),
        stream(trades_frame(rows), "1m")[0],
    ):
        bar = candles.iloc[0]
        assert (bar["open"], bar["high"], bar["low"], bar["close"]) == (9.0, 13.0, 8.0, 11.0)
        assert (bar["volume"], bar["trades"]) == (6.0, 6)


def test_late_trades_drop_and_raise() -> None:
    rows = [
        (0, 10.0, 1.0),
        (MIN + 1, 11.0, 1.0),  # opens minute 1, closes minute 0
        (59_000_000, 9.0, 5.0),  # late: minute 0 is closed
        (MIN + 2, 12.0, 1.0),
    ]
    frame = trades_frame(rows)
    batch = candles_from_trades(frame, "1m")
    assert batch["volume"].tolist() == [1.0, 2.0] and batch.attrs["late_count"] == 1
    streamed, late = stream(frame, "1m")
    pd.testing.assert_frame_equal(batch, streamed)
    assert late == 1
    for run in (
        lambda: candles_from_trades(frame, "1m", late="raise"),
        lambda: stream(frame, "1m", late="raise"),
    ):
        with pytest.raises(LateTradeError) as info:
            run()
        err = info.value
        assert (err.row, err.code, err.field) == (2, "late", "timestamp")
        assert err.timestamp == pd.Timestamp(59_000_000, unit="us", tz="UTC")
        assert "trade 2 at 1970-01-01T00:00:59" in str(err)


def test_opening_a_bucket_closes_earlier_empty_buckets() -> None:
    frame = trades_frame([(5 * MIN, 10.0, 1.0), (2 * MIN, 9.0, 1.0)])
    assert candles_from_trades(frame, "1m").attrs["late_count"] == 1
    assert stream(frame, "1m")[1] == 1


def test_flat_fills_only_between_candles() -> None:
    frame = trades_frame([(MIN, 10.0, 1.0), (MIN + 5, 10.5, 1.0), (4 * MIN, 12.0, 2.0)])
    out = candles_from_trades(frame, "1m", empty="flat")
    assert [t.minute for t in out.index] == [1, 2, 3, 4]
    assert out["trades"].tolist() == [2, 0, 0, 1]
    assert out["close"].tolist() == [10.5, 10.5, 10.5, 12.0]
    assert out["volume"].tolist() == [2.0, 0.0, 0.0, 2.0]
    pd.testing.assert_frame_equal(out, stream(frame, "1m", empty="flat")[0])


def test_an_earlier_error_wins_in_both_forms() -> None:
    rows = [(0, 10.0, 1.0), (MIN, 10.0, 1.0), (1, 10.0, 1.0), (MIN, float("nan"), 1.0)]
    frame = trades_frame(rows)
    with pytest.raises(LateTradeError, match="trade 2"):
        candles_from_trades(frame, "1m", late="raise")
    with pytest.raises(LateTradeError, match="trade 2"):
        stream(frame, "1m", late="raise")
    for run in (lambda: candles_from_trades(frame, "1m"), lambda: stream(frame, "1m")):
        with pytest.raises(DataError) as info:
            run()
        assert not isinstance(info.value, LateTradeError)
        assert (info.value.row, info.value.field, info.value.code) == (3, "price", "nan")


@pytest.mark.parametrize(
    ("price", "amount", "field", "code"),
    [
        (float("nan"), 1.0, "price", "nan"),
        (0.0, 1.0, "price", "non_positive_price"),
        (10.0, -1.0, "amount", "negative_amount"),
        (10.0, float("inf"), "amount", "inf"),
    ],
)
def test_bad_trades_raise(price: float, amount: float, field: str, code: str) -> None:
    frame = trades_frame([(0, 10.0, 1.0), (1, 10.0, 1.0), (2, price, amount)])
    for run in (lambda: candles_from_trades(frame, "1m"), lambda: stream(frame, "1m")):
        with pytest.raises(DataError) as info:
            run()
        assert (info.value.row, info.value.field, info.value.code) == (2, field, code)
        assert f"trade 2 at 1970-01-01T00:00:00.000002Z: {field}" in str(info.value)


def test_bad_arguments_and_columns(sol_trades: pl.DataFrame) -> None:
    day = sol_trades.head(10)
    with pytest.raises(ParameterError, match="empty"):
        candles_from_trades(day, "1m", empty="fill")
    with pytest.raises(ParameterError, match="late"):
        CandleBuilder("1m", late="ignore")
    with pytest.raises(ParameterError, match="timeframe"):
        candles_from_trades(day, "1M")
    with pytest.raises(DataError, match="amount"):
        candles_from_trades(day.drop("amount"), "1m")
    with pytest.raises(DataError, match="timestamp"):
        candles_from_trades(day.with_columns(pl.col("timestamp").cast(pl.Utf8)), "1m")
    with pytest.raises(DataError, match="timestamp"):
        candles_from_trades(day.to_pandas().drop(columns="timestamp"), "1m")
    nat = day.to_pandas()
    nat.loc[3, "timestamp"] = pd.NaT
    with pytest.raises(DataError) as info:
        candles_from_trades(nat, "1m")
    assert info.value.row == 3
    with pytest.raises(ParameterError, match="ts"):
        CandleBuilder("1m").add(1.5, 10.0, 1.0)
    with pytest.raises(ParameterError, match="ts"):
        CandleBuilder("1m").add(True, 10.0, 1.0)
    with pytest.raises(ParameterError, match="price"):
        CandleBuilder("1m").add(0, "ten", 1.0)  # type: ignore[arg-type]


def test_empty_input() -> None:
    empty = pl.DataFrame(schema={"timestamp": pl.Int64, "price": pl.Float64, "amount": pl.Float64})
    out = candles_from_trades(empty, "1m", empty="flat")
    assert out.empty and list(out.columns) == ["open", "high", "low", "close", "volume", "trades"]
    assert CandleBuilder("1m").flush() is None


# ---------------------------------------------------------------------------------------------
# streaming-only: timers, flush, datetimes
# ---------------------------------------------------------------------------------------------


def test_close_until_closes_on_a_timer() -> None:
    b = CandleBuilder("1m")
    assert b.add(5_000_000, 10.0, 1.0) == []
    assert b.close_until(MIN - 1) == []
    assert b.current is not None and b.current.trades == 1
    closed = b.close_until(MIN)  # the bucket [0, 1 min) ended at 1 min
    assert [c.start_ms for c in closed] == [0] and closed[0].close == 10.0
    assert b.current is None
    assert b.add(MIN - 1, 9.0, 1.0) == [] and b.late_count == 1
    assert b.add(MIN + 1, 11.0, 1.0) == []  # opens the next minute: nothing to close
    assert b.flush() == Candle(60_000, 11.0, 11.0, 11.0, 11.0, 1.0, 1)


def test_close_until_with_flat_emits_silent_minutes() -> None:
    b = CandleBuilder("1m", empty="flat")
    assert b.close_until(10 * MIN) == []  # nothing before the first trade
    b.add(10 * MIN + 1, 10.0, 1.0)
    closed = b.close_until(13 * MIN + 30_000_000)
    assert [c.start_ms // 60_000 for c in closed] == [10, 11, 12]
    assert [c.trades for c in closed] == [1, 0, 0]
    later = b.add(15 * MIN, 12.0, 1.0)
    assert [c.start_ms // 60_000 for c in later] == [13, 14]
    assert all(c.close == 10.0 and c.volume == 0.0 for c in later)


def test_close_until_before_any_trade_makes_older_trades_late() -> None:
    b = CandleBuilder("1m", late="raise")
    assert b.close_until(MIN) == []
    with pytest.raises(LateTradeError) as info:
        b.add(MIN - 1, 10.0, 1.0)
    assert info.value.row == 0
    assert b.add(MIN, 10.0, 1.0) == []


def test_flush_closes_the_bucket() -> None:
    b = CandleBuilder("1h")
    b.add(0, 10.0, 2.0)
    assert b.flush() == Candle(0, 10.0, 10.0, 10.0, 10.0, 2.0, 1)
    assert b.flush() is None
    assert b.add(1, 11.0, 1.0) == [] and b.late_count == 1
    assert b.trade_count == 1


def test_streaming_accepts_datetimes() -> None:
    b = CandleBuilder("1m")
    b.add(dt.datetime(2025, 10, 10, 0, 0, 5, tzinfo=dt.UTC), 10.0, 1.0)
    b.add(pd.Timestamp("2025-10-10 00:00:30"), 11.0, 1.0)  # naive: UTC
    b.add(np.datetime64("2025-10-10T00:00:40"), 12.0, 1.0)
    closed = b.add(1_760_054_460_000_000, 13.0, 1.0)  # 2025-10-10 00:01:00 in µs
    assert len(closed) == 1
    assert closed[0].timestamp == pd.Timestamp("2025-10-10 00:00", tz="UTC")
    assert (closed[0].open, closed[0].close, closed[0].trades) == (10.0, 12.0, 3)
