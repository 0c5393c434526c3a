"""Candles from trades: a batch builder (numba) and a streaming builder that agree exactly.

The rules, shared by :func:`candles_from_trades` and :class:`CandleBuilder`
----------------------------------------------------------------------------

* **Buckets.** A trade at instant ``t`` belongs to the ``timeframe`` bucket that contains it
  (:func:`soltrader.data.timeframes.bucket_start_ms`); candles are labelled by the bucket's open
  time. Trade times are epoch **microseconds** (ints) or datetimes (naive ones are UTC).
* **The open bucket.** Trades are taken in the order given. The first trade opens its bucket;
  a trade in a *later* bucket closes the open candle (it is emitted) and opens the new one.
  Opening a bucket closes every earlier bucket, even one that never had a trade.
* **Out-of-order trades inside the open bucket** are accepted: open = price of the trade with
  the earliest timestamp, close = price of the trade with the latest timestamp (ties: arrival
  order, so the first-arrived of equal earliest trades is the open and the last-arrived of equal
  latest trades is the close); high/low = max/min price; volume = sum of amounts in arrival
  order; ``trades`` = number of trades.
* **Late trades** (in a bucket that is already closed): ``late="drop"`` ignores them and counts
  them (``CandleBuilder.late_count``, ``attrs["late_count"]`` of the batch frame);
  ``late="raise"`` raises :class:`~soltrader.domain.errors.LateTradeError` naming the trade's
  0-based position and timestamp.
* **Empty intervals** between two candles: ``empty="skip"`` (default) emits nothing, so gaps
  stay visible; ``empty="flat"`` emits a candle at the previous close (open = high = low = close)
  with volume 0 and 0 trades. Nothing is emitted before the first trade.
* **Bad trades.** A price that is not finite and > 0, or an amount that is not finite and >= 0,
  raises :class:`~soltrader.domain.errors.DataError` naming the position and field.

The batch function equals feeding every trade to :meth:`CandleBuilder.add` and then calling
:meth:`CandleBuilder.flush`: same candles, same floats, same late count, same error row.
:meth:`CandleBuilder.close_until` additionally lets a live loop close a candle on a timer.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, NamedTuple

import numba
import numpy as np
import pandas as pd
import polars as pl

from soltrader.data.schema import ohlcv_frame, utc_index
from soltrader.data.timeframes import bucket_start_ms, timeframe_ms, timeframe_origin_ms
from soltrader.domain.errors import DataError, LateTradeError, ParameterError

EMPTY_POLICIES: tuple[str, ...] = ("skip", "flat")
LATE_POLICIES: tuple[str, ...] = ("drop", "raise")
CANDLE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume", "trades")


class Candle(NamedTuple):
    """One closed candle: bucket open time (epoch ms), OHLC prices, volume (base), trade count."""

    start_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    trades: int

    @property
    def timestamp(self) -> pd.Timestamp:
        """The bucket open time as a UTC timestamp.

        Examples
        --------
        >>> str(Candle(3_600_000, 1.0, 1.0, 1.0, 1.0, 0.0, 0).timestamp)
        '1970-01-01 01:00:00+00:00'
        """
        return pd.Timestamp(self.start_ms, unit="ms", tz="UTC")


def _check_policies(empty: str, late: str) -> None:
    if empty not in EMPTY_POLICIES:
        raise ParameterError(
            "empty", f"{empty!r} is not a policy; expected one of {EMPTY_POLICIES}"
        )
    if late not in LATE_POLICIES:
        raise ParameterError("late", f"{late!r} is not a policy; expected one of {LATE_POLICIES}")


def _fmt_us(ts_us: int) -> str:
    return str(np.datetime_as_string(np.datetime64(int(ts_us), "us"), unit="auto")) + "Z"


def _late_error(position: int, ts_us: int, bucket_us: int, horizon_us: int) -> LateTradeError:
    return LateTradeError(
        f"trade {position} at {_fmt_us(ts_us)} is late: its bucket {_fmt_us(bucket_us)} was "
        f"already closed (trades are accepted from {_fmt_us(horizon_us)} on)",
        code="late",
        row=position,
        timestamp=pd.Timestamp(int(ts_us), unit="us", tz="UTC"),
        field="timestamp",
    )


def _bad_code(field: str, value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf"
    return "non_positive_price" if field == "price" else "negative_amount"


def _bad_trade_error(position: int, ts_us: int, field: str, value: float) -> DataError:
    rule = "a finite price > 0" if field == "price" else "a finite amount >= 0"
    return DataError(
        f"trade {position} at {_fmt_us(ts_us)}: {field} is {value!r}; expected {rule}",
        code=_bad_code(field, value),
        row=position,
        timestamp=pd.Timestamp(int(ts_us), unit="us", tz="UTC"),
        field=field,
    )


def _bad_field(price: float, amount: float) -> str | None:
    if not (math.isfinite(price) and price > 0):
        return "price"
    if not (math.isfinite(amount) and amount >= 0):
        return "amount"
    return None


# ---------------------------------------------------------------------------------------------
# streaming
# ---------------------------------------------------------------------------------------------


def _as_us(ts: Any, name: str) -> int:
    """Epoch µs of an int (taken as µs) or a datetime-like (naive = UTC)."""
    if isinstance(ts, bool) or not isinstance(
        ts, int | np.integer | dt.datetime | pd.Timestamp | np.datetime64
    ):
        raise ParameterError(
            name, f"expected epoch microseconds (int) or a datetime, got {type(ts).__name__}"
        )
    if isinstance(ts, int | np.integer):
        return int(ts)
    stamp = pd.Timestamp(ts)
    if pd.isna(stamp):
        raise ParameterError(name, "is NaT; expected a timestamp")
    return int(stamp.as_unit("ns").value) // 1000


def _as_float(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(name, f"expected a number, got {value!r}") from exc


class CandleBuilder:
    """Build candles from a live stream of trades, one trade at a time (plain Python).

    Follows the rules in the module docstring exactly like :func:`candles_from_trades`.

    Parameters
    ----------
    timeframe : str
        Candle timeframe, e.g. ``"1m"`` or ``"15m"``.
    empty : {"skip", "flat"}
        What an interval without trades produces: nothing, or a flat zero-volume candle.
    late : {"drop", "raise"}
        What a trade for an already closed bucket does: counted and ignored, or
        :class:`LateTradeError`.

    Attributes
    ----------
    late_count : int
        Late trades dropped so far.
    trade_count : int
        Trades accepted into candles so far.

    Examples
    --------
    >>> b = CandleBuilder("1m")
    >>> b.add(0, 10.0, 1.0), b.add(30_000_000, 11.0, 2.0)
    ([], [])
    >>> [c.close for c in b.add(61_000_000, 12.0, 1.0)]  # a trade in the next minute
    [11.0]
    >>> b.add(59_000_000, 9.0, 1.0), b.late_count         # late: the first minute is closed
    ([], 1)
    >>> b.flush().volume
    1.0
    """

    def __init__(self, timeframe: str, *, empty: str = "skip", late: str = "drop") -> None:
        _check_policies(empty, late)
        self.timeframe = timeframe
        self.empty = empty
        self.late = late
        self._step = timeframe_ms(timeframe) * 1000
        self.late_count = 0
        self.trade_count = 0
        self._position = 0
        self._open: list[Any] | None = None  # [start, o, h, l, c, v, n, open_ts, close_ts]
        self._horizon: int | None = None  # earliest bucket start still accepting trades (µs)
        self._next: int | None = None  # start of the bucket after the last emitted candle
        self._last_close = math.nan

    def _bucket(self, ts_us: int) -> int:
        return int(bucket_start_ms(ts_us // 1000, self.timeframe)) * 1000

    @property
    def current(self) -> Candle | None:
        """The open (unfinished) candle, without closing it; None if no bucket is open.

        Examples
        --------
        >>> b = CandleBuilder("1m")
        >>> _ = b.add(0, 10.0, 1.0)
        >>> b.current.close, b.current.trades
        (10.0, 1)
        """
        if self._open is None:
            return None
        start, o, h, lo, c, v, n, _, _ = self._open
        return Candle(start // 1000, o, h, lo, c, v, n)

    def add(self, ts: Any, price: float, amount: float) -> list[Candle]:
        """Add one trade; return the candles it closed (usually none or one).

        Parameters
        ----------
        ts : int or datetime
            Trade time: epoch microseconds, or a datetime (naive means UTC).
        price : float
            Trade price in quote currency (finite, > 0).
        amount : float
            Traded amount in base units (finite, >= 0).

        Returns
        -------
        list of Candle
            The candle this trade closed, preceded by nothing and followed by flat candles for
            the empty buckets in between when ``empty="flat"``; in time order.

        Raises
        ------
        DataError
            For a bad price or amount (naming the trade's position).
        LateTradeError
            For a late trade when ``late="raise"``.

        Examples
        --------
        >>> CandleBuilder("1m").add(0, 10.0, 1.0)
        []
        """
        position = self._position
        self._position += 1
        t = _as_us(ts, "ts")
        p, a = _as_float(price, "price"), _as_float(amount, "amount")
        bad = _bad_field(p, a)
        if bad is not None:
            raise _bad_trade_error(position, t, bad, p if bad == "price" else a)
        bucket = self._bucket(t)
        if self._horizon is not None and bucket < self._horizon:
            if self.late == "raise":
                raise _late_error(position, t, bucket, self._horizon)
            self.late_count += 1
            return []
        self.trade_count += 1
        if self._open is not None and bucket == self._open[0]:
            self._update(t, p, a)
            return []
        closed = [self._close_open()] if self._open is not None else []
        closed += self._flats_until(bucket)
        self._open = [bucket, p, p, p, p, a, 1, t, t]
        self._horizon = bucket
        return closed

    def _update(self, t: int, p: float, a: float) -> None:
        c = self._open
        assert c is not None
        c[2] = max(c[2], p)
        c[3] = min(c[3], p)
        c[5] += a
        c[6] += 1
        if t < c[7]:
            c[1], c[7] = p, t
        if t >= c[8]:
            c[4], c[8] = p, t

    def _close_open(self) -> Candle:
        assert self._open is not None
        start, o, h, lo, c, v, n, _, _ = self._open
        self._open = None
        self._last_close = c
        self._next = start + self._step
        return Candle(start // 1000, o, h, lo, c, v, n)

    def _flats_until(self, bucket: int) -> list[Candle]:
        """Flat candles for the empty buckets from the last emitted candle up to ``bucket``."""
        if self.empty != "flat" or self._next is None:
            return []
        px = self._last_close
        flats = [
            Candle(s // 1000, px, px, px, px, 0.0, 0) for s in range(self._next, bucket, self._step)
        ]
        self._next = max(self._next, bucket)
        return flats

    def close_until(self, ts: Any) -> list[Candle]:
        """Close every bucket that ended at or before ``ts``; return the candles closed.

        How a live loop closes a candle on a timer when no new trade arrives. Afterwards a trade
        in any of those buckets is late.

        Parameters
        ----------
        ts : int or datetime
            The current time: epoch microseconds, or a datetime (naive means UTC).

        Returns
        -------
        list of Candle
            The open candle if its bucket ended by ``ts``, then (with ``empty="flat"``) flat
            candles for the empty buckets that ended by ``ts``.

        Examples
        --------
        >>> b = CandleBuilder("1m")
        >>> _ = b.add(5_000_000, 10.0, 1.0)
        >>> b.close_until(59_000_000), len(b.close_until(60_000_000))
        ([], 1)
        """
        t = _as_us(ts, "ts")
        bucket = self._bucket(t)
        closed = []
        if self._open is not None and self._open[0] + self._step <= t:
            closed.append(self._close_open())
        closed += self._flats_until(bucket)
        self._horizon = bucket if self._horizon is None else max(self._horizon, bucket)
        return closed

    def flush(self) -> Candle | None:
        """Close and return the open candle, if any (e.g. at the end of a replay).

        Examples
        --------
        >>> b = CandleBuilder("1h")
        >>> _ = b.add(0, 10.0, 2.0)
        >>> b.flush().trades, b.flush()
        (1, None)
        """
        if self._open is None:
            return None
        candle = self._close_open()
        self._horizon = candle.start_ms * 1000 + self._step
        return candle


def candles_to_frame(candles: list[Candle]) -> pd.DataFrame:
    """The candle frame of a list of candles, in the form :func:`candles_from_trades` returns.

    Parameters
    ----------
    candles : list of Candle
        Candles, e.g. collected from :meth:`CandleBuilder.add`.

    Returns
    -------
    pandas.DataFrame
        OHLCV columns plus ``trades`` (int64), indexed by bucket open time (UTC).

    Examples
    --------
    >>> candles_to_frame([Candle(0, 1.0, 2.0, 0.5, 1.5, 3.0, 2)])["trades"].tolist()
    [2]
    """
    starts = np.array([c.start_ms for c in candles], dtype=np.int64)
    values = np.array([c[1:6] for c in candles], dtype=np.float64).reshape(-1, 5)
    frame = ohlcv_frame(starts, *values.T)
    frame["trades"] = np.array([c.trades for c in candles], dtype=np.int64)
    return frame


# ---------------------------------------------------------------------------------------------
# batch
# ---------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _bucket_us_nb(ts_us: int, step_ms: int, origin_ms: int) -> int:
    return ((ts_us // 1000 - origin_ms) // step_ms * step_ms + origin_ms) * 1000


@numba.njit(cache=True)
def _capacity_nb(ts_us: np.ndarray, step_ms: int, origin_ms: int, flat: bool) -> int:
    """Upper bound of the candle count: one per trade, or every bucket of the span if flat."""
    n = ts_us.shape[0]
    if not flat or n == 0:
        return n
    lo = hi = _bucket_us_nb(ts_us[0], step_ms, origin_ms)
    for i in range(1, n):
        b = _bucket_us_nb(ts_us[i], step_ms, origin_ms)
        lo = min(lo, b)
        hi = max(hi, b)
    return (hi - lo) // (step_ms * 1000) + 1


@numba.njit(cache=True)
def candles_from_trades_nb(
    ts_us: np.ndarray,
    price: np.ndarray,
    amount: np.ndarray,
    step_ms: int,
    origin_ms: int,
    flat: bool,
    stop_at_late: bool,
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int
]:
    """Candles of trades taken in the given order (the rules of the module docstring).

    Parameters
    ----------
    ts_us : ndarray of int64
        Trade times, epoch microseconds.
    price, amount : ndarray of float64
        Trade prices (quote currency, finite > 0) and amounts (base units, finite >= 0).
    step_ms, origin_ms : int
        Bucket length and grid origin in ms (``timeframe_ms``, ``timeframe_origin_ms``).
    flat : bool
        Emit flat zero-volume candles for empty buckets between candles.
    stop_at_late : bool
        Stop at the first late trade and report its index instead of dropping it.

    Returns
    -------
    tuple
        ``start_us, open, high, low, close, volume, trades`` arrays, then the number of late
        trades dropped and the index of the first late trade (-1 if none or not stopping).

    Examples
    --------
    >>> import numpy as np
    >>> out = candles_from_trades_nb(np.array([0, 70_000_000]), np.array([1.0, 2.0]),
    ...                              np.array([1.0, 1.0]), 60_000, 0, False, False)
    >>> out[0].tolist(), out[4].tolist()
    ([0, 60000000], [1.0, 2.0])
    """
    step_us = step_ms * 1000
    cap = _capacity_nb(ts_us, step_ms, origin_ms, flat)
    start = np.empty(cap, np.int64)
    o = np.empty(cap)
    h = np.empty(cap)
    lo = np.empty(cap)
    c = np.empty(cap)
    v = np.empty(cap)
    cnt = np.empty(cap, np.int64)
    k = 0
    late_count = 0
    first_late = -1
    is_open = False
    has_horizon = False
    horizon = 0
    has_next = False
    nxt = 0
    last_close = np.nan
    open_ts = 0
    close_ts = 0
    for i in range(ts_us.shape[0]):
        t = ts_us[i]
        p = price[i]
        a = amount[i]
        b = _bucket_us_nb(t, step_ms, origin_ms)
        if has_horizon and b < horizon:
            if stop_at_late:
                first_late = i
                break
            late_count += 1
            continue
        if is_open and b == start[k]:
            h[k] = max(h[k], p)
            lo[k] = min(lo[k], p)
            v[k] += a
            cnt[k] += 1
            if t < open_ts:
                o[k] = p
                open_ts = t
            if t >= close_ts:
                c[k] = p
                close_ts = t
            continue
        if is_open:
            last_close = c[k]
            nxt = start[k] + step_us
            has_next = True
            k += 1
        if flat and has_next:
            while nxt < b:
                start[k] = nxt
                o[k] = h[k] = lo[k] = c[k] = last_close
                v[k] = 0.0
                cnt[k] = 0
                k += 1
                nxt += step_us
        start[k] = b
        o[k] = h[k] = lo[k] = c[k] = p
        v[k] = a
        cnt[k] = 1
        open_ts = t
        close_ts = t
        is_open = True
        has_horizon = True
        horizon = b
    if is_open:
        k += 1
    return (
        start[:k].copy(),
        o[:k].copy(),
        h[:k].copy(),
        lo[:k].copy(),
        c[:k].copy(),
        v[:k].copy(),
        cnt[:k].copy(),
        late_count,
        first_late,
    )


def _polars_trades(trades: pl.DataFrame) -> tuple[Any, Any, Any]:
    ts = trades["timestamp"]
    if isinstance(ts.dtype, pl.Datetime):
        ts = ts.dt.epoch("us")
    elif not ts.dtype.is_integer():
        raise DataError(
            f"column 'timestamp' must be datetimes or epoch microseconds, got {ts.dtype}",
            field="timestamp",
        )
    return ts.to_pandas(), trades["price"].to_pandas(), trades["amount"].to_pandas()


def _pandas_time(trades: pd.DataFrame) -> pd.Series:
    if "timestamp" in trades.columns:
        return trades["timestamp"]
    if isinstance(trades.index, pd.DatetimeIndex):
        return trades.index.to_series(index=pd.RangeIndex(len(trades)))
    raise DataError(
        "no trade time: expected a column 'timestamp' (datetimes or epoch microseconds) "
        "or a DatetimeIndex",
        field="timestamp",
    )


def _us_of(ts: pd.Series) -> np.ndarray:
    missing = np.flatnonzero(ts.isna().to_numpy())
    if missing.size:
        row = int(missing[0])
        raise DataError(f"trade {row} has no timestamp", code="nan", row=row, field="timestamp")
    if pd.api.types.is_datetime64_any_dtype(ts.dtype):
        return utc_index(ts, "timestamp").asi8 // 1000
    if pd.api.types.is_integer_dtype(ts.dtype):
        return ts.to_numpy(dtype=np.int64)
    raise DataError(
        f"column 'timestamp' must be datetimes or epoch microseconds, got dtype {ts.dtype}",
        field="timestamp",
    )


def _float_of(col: pd.Series, name: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        raise DataError(f"column {name!r} must be numeric, got dtype {col.dtype}", field=name)
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def trade_arrays(trades: pd.DataFrame | pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trade times (epoch µs, int64), prices and amounts (float64) of a trades frame, unaltered.

    Parameters
    ----------
    trades : pandas.DataFrame or polars.DataFrame
        Columns ``timestamp`` (datetimes, naive = UTC, or epoch microseconds as ints; pandas may
        use a DatetimeIndex instead), ``price`` (quote currency) and ``amount`` (base units).

    Raises
    ------
    DataError
        If a column is missing or has the wrong type, or a timestamp is missing.

    Examples
    --------
    >>> import polars as pl
    >>> ts, px, amt = trade_arrays(pl.DataFrame({"timestamp": [1_000], "price": [1.5],
    ...                                          "amount": [2.0]}))
    >>> int(ts[0]), float(px[0]), float(amt[0])
    (1000, 1.5, 2.0)
    """
    if not isinstance(trades, pd.DataFrame | pl.DataFrame):
        raise DataError(f"expected a pandas or polars DataFrame, got {type(trades).__name__}")
    names = list(trades.columns)
    for name in ("price", "amount", *(("timestamp",) if isinstance(trades, pl.DataFrame) else ())):
        if name not in names:
            raise DataError(
                f"missing column {name!r}; trades need timestamp, price and amount", field=name
            )
    if isinstance(trades, pl.DataFrame):
        ts, price, amount = _polars_trades(trades)
    else:
        ts, price, amount = _pandas_time(trades), trades["price"], trades["amount"]
    return _us_of(ts), _float_of(price, "price"), _float_of(amount, "amount")


def _first_bad(price: np.ndarray, amount: np.ndarray) -> int:
    bad = ~(np.isfinite(price) & (price > 0)) | ~(np.isfinite(amount) & (amount >= 0))
    rows = np.flatnonzero(bad)
    return int(rows[0]) if rows.size else price.size


def candles_from_trades(
    trades: pd.DataFrame | pl.DataFrame,
    timeframe: str,
    *,
    empty: str = "skip",
    late: str = "drop",
) -> pd.DataFrame:
    """Build OHLCV candles from trades taken in the given order (numba kernel).

    Applies the rules of the module docstring, exactly as :class:`CandleBuilder` fed every
    trade and then flushed: same candles, same floats, same late count.

    Parameters
    ----------
    trades : pandas.DataFrame or polars.DataFrame
        Columns ``timestamp`` (datetimes or epoch microseconds), ``price`` (quote currency) and
        ``amount`` (base units); other columns are ignored. Not sorted for you: the order given
        is the arrival order.
    timeframe : str
        Candle timeframe, e.g. ``"15m"``.
    empty : {"skip", "flat"}
        Empty intervals between candles: no candle, or a flat zero-volume candle.
    late : {"drop", "raise"}
        Trades for an already closed bucket: counted and dropped, or :class:`LateTradeError`.

    Returns
    -------
    pandas.DataFrame
        Columns ``open, high, low, close`` (price), ``volume`` (base units) and ``trades``
        (count), indexed by bucket open time (UTC). ``attrs["late_count"]`` is the number of
        late trades dropped.

    Raises
    ------
    ParameterError
        If ``timeframe``, ``empty`` or ``late`` is not valid.
    DataError
        For a missing column, a missing timestamp, or a price/amount that is not finite and
        positive (price) or non-negative (amount), naming the trade's position.
    LateTradeError
        With ``late="raise"``, for the first late trade (naming its position and timestamp).

    Examples
    --------
    >>> import polars as pl
    >>> trades = pl.DataFrame({"timestamp": [0, 30_000_000, 65_000_000],
    ...                        "price": [10.0, 11.0, 12.0], "amount": [1.0, 1.0, 2.0]})
    >>> candles_from_trades(trades, "1m")[["close", "volume", "trades"]].values.tolist()
    [[11.0, 2.0, 2.0], [12.0, 2.0, 1.0]]
    """
    _check_policies(empty, late)
    step_ms = timeframe_ms(timeframe)
    ts, price, amount = trade_arrays(trades)
    stop = _first_bad(price, amount)
    *cols, late_count, first_late = candles_from_trades_nb(
        ts[:stop],
        price[:stop],
        amount[:stop],
        step_ms,
        timeframe_origin_ms(timeframe),
        empty == "flat",
        late == "raise",
    )
    if first_late >= 0:
        bucket = int(bucket_start_ms(ts[first_late] // 1000, timeframe)) * 1000
        horizon = _horizon_before(ts[:first_late], timeframe)
        raise _late_error(first_late, int(ts[first_late]), bucket, horizon)
    if stop < ts.size:
        field = _bad_field(float(price[stop]), float(amount[stop]))
        assert field is not None
        value = float(price[stop] if field == "price" else amount[stop])
        raise _bad_trade_error(stop, int(ts[stop]), field, value)
    frame = ohlcv_frame(cols[0] // 1000, *cols[1:6])
    frame["trades"] = cols[6]
    frame.attrs["late_count"] = int(late_count)
    return frame


def _horizon_before(ts_us: np.ndarray, timeframe: str) -> int:
    """The open bucket's start after taking ``ts_us`` in order (skipping late ones)."""
    buckets = np.asarray(bucket_start_ms(ts_us // 1000, timeframe), dtype=np.int64) * 1000
    return int(np.max(buckets))
