"""The OHLCV schema and conversions between numpy, pandas and polars forms of it.

The canonical pandas form is a DataFrame indexed by a ``DatetimeIndex`` named ``timestamp``
(``datetime64[ns, UTC]``, the bar's **open** time) with float64 columns ``open, high, low, close,
volume`` (prices in quote currency, volume in base units). The canonical polars form has the same
columns plus a ``timestamp`` column of type ``Datetime("ns", "UTC")``.

Bar times are accepted in any resolution (pandas ``s``, ``ms``, ``us`` or ``ns``; polars
``Datetime("ms"/"us"/"ns")``) and any time zone; **naive times are read as UTC**.
:func:`utc_index` turns them into the one form every computation uses (tz-aware UTC,
nanoseconds), so results never depend on the resolution the times came in.

Conversion never sorts, de-duplicates or fills anything: those are findings for
:func:`soltrader.data.validate`, not silent fixes.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import polars as pl

from soltrader.domain.errors import DataError

OHLCV_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
#: Column names accepted for the bar open time when it is a column rather than the index.
TIME_COLUMNS: tuple[str, ...] = ("timestamp", "open_time_ms", "time", "date", "datetime")


class OHLCVArrays(NamedTuple):
    """Plain arrays of one OHLCV series: ``ts`` in epoch ms (int64), the rest float64."""

    ts: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray


def ohlcv_frame(
    ts_ms: np.ndarray,
    open: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
) -> pd.DataFrame:
    """Build the canonical pandas OHLCV frame from plain arrays.

    Parameters
    ----------
    ts_ms : ndarray of int64
        Bar open times, epoch milliseconds UTC.
    open, high, low, close : ndarray of float64
        Prices in quote currency.
    volume : ndarray of float64
        Traded amount in base units.

    Examples
    --------
    >>> import numpy as np
    >>> df = ohlcv_frame(np.array([0, 60_000]), *[np.array([1.0, 2.0])] * 5)
    >>> list(df.columns), str(df.index.dtype)
    (['open', 'high', 'low', 'close', 'volume'], 'datetime64[ns, UTC]')
    """
    index = pd.DatetimeIndex(
        pd.to_datetime(np.asarray(ts_ms, dtype=np.int64), unit="ms", utc=True), name="timestamp"
    ).as_unit("ns")
    data = {
        name: np.asarray(col, dtype=np.float64)
        for name, col in zip(OHLCV_COLUMNS, (open, high, low, close, volume), strict=True)
    }
    return pd.DataFrame(data, index=index)


_UTC_NS = pd.DatetimeTZDtype("ns", "UTC")


def utc_index(times: Any, name: str = "index") -> pd.DatetimeIndex:
    """Datetimes of any resolution and time zone as a tz-aware UTC nanosecond DatetimeIndex.

    The one normalisation of bar times: every public function that takes bars or timestamps
    passes them through here (directly or via :func:`bar_times`), so a ``s``, ``ms``, ``us`` or
    ``ns`` index, tz-aware or naive, gives the same numbers everywhere. **Naive times are read
    as UTC**; other time zones are converted to UTC (the instants do not change). The name of
    a ``DatetimeIndex`` is kept. Missing times (NaT) are kept: callers that need a time on every
    row check for them.

    Parameters
    ----------
    times : DatetimeIndex, datetime Series, numpy datetime64 array or polars Datetime Series
        The instants.
    name : str
        The caller's argument name, used in error messages.

    Returns
    -------
    pandas.DatetimeIndex
        dtype ``datetime64[ns, UTC]`` (the values are shared when nothing had to change).

    Raises
    ------
    DataError
        If the values are not datetimes, or lie outside what nanoseconds can hold
        (years 1677 to 2262).

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=2, freq="1min")  # naive, microseconds
    >>> str(utc_index(idx).dtype), utc_index(idx)[1].isoformat()
    ('datetime64[ns, UTC]', '2024-01-01T00:01:00+00:00')
    """
    if isinstance(times, pl.Series):
        times = times.to_pandas()
    if not isinstance(times, pd.DatetimeIndex):
        kind = getattr(getattr(times, "dtype", None), "kind", None)
        if kind != "M":
            raise DataError(
                f"{name}: expected datetimes, got {getattr(times, 'dtype', type(times).__name__)}",
                field=name,
            )
        times = pd.DatetimeIndex(times)
    if times.dtype == _UTC_NS:
        return times  # the same object: its cached properties (hasnans, ...) stay computed
    times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
    if times.unit != "ns":
        try:
            times = times.as_unit("ns")
        except (OverflowError, ValueError) as exc:  # OutOfBoundsDatetime is a ValueError
            raise DataError(
                f"{name}: times outside 1677..2262 cannot be held in nanoseconds ({exc})",
                field=name,
            ) from exc
    return times


def _check_no_nat(idx: pd.DatetimeIndex, field: str) -> pd.DatetimeIndex:
    if idx.hasnans:
        row = int(np.flatnonzero(idx.isna())[0])
        raise DataError(f"{field}: row {row} has no timestamp", code="nan", row=row, field=field)
    return idx


def _time_column(columns: list[str]) -> str | None:
    return next((c for c in TIME_COLUMNS if c in columns), None)


def _time_values(values: Any, field: str) -> pd.DatetimeIndex | np.ndarray:
    """UTC ns DatetimeIndex of datetimes or ISO strings, or int64 epoch ms of integers."""
    if isinstance(values, pl.Series):
        values = values.to_pandas() if values.dtype.is_temporal() else values.to_numpy()
    if getattr(getattr(values, "dtype", None), "kind", None) == "M":
        return _check_no_nat(utc_index(values, field), field)
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return _epoch_ms(arr.astype(np.int64), field)
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(values, utc=True))
    except (ValueError, TypeError) as exc:
        raise DataError(f"{field}: cannot be read as timestamps ({exc})", field=field) from exc
    return _check_no_nat(utc_index(idx, field), field)


#: Integer bar times are epoch milliseconds; these ranges are what epoch seconds, microseconds
#: and nanoseconds of the years 2001 to 2262 look like (as milliseconds they would be January to
#: April 1970, or after the year 5000), so they are refused rather than misread.
_OTHER_UNITS = (
    ("seconds", "s", 10**9, 10**10),
    ("microseconds", "us", 10**15, 10**17),
    ("nanoseconds", "ns", 10**18, 2**63),
)


def _epoch_ms(arr: np.ndarray, field: str) -> np.ndarray:
    """Integer epoch milliseconds, refused when they are plainly in another unit.

    Examples
    --------
    >>> _epoch_ms(np.array([1_704_067_200_000]), "timestamp")
    array([1704067200000])
    >>> _epoch_ms(np.array([1_704_067_200]), "timestamp")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    soltrader.domain.errors.DataError: timestamp: integer times are read as epoch milliseconds, ...
    """
    if not len(arr):
        return arr
    low, high = int(arr.min()), int(arr.max())
    for unit, code, start, stop in _OTHER_UNITS:
        if start <= low and high < stop:
            first = pd.Timestamp(low, unit=code, tz="UTC")
            raise DataError(
                f"{field}: integer times are read as epoch milliseconds, but these look like "
                f"epoch {unit} (the first would be {first:%Y-%m-%d %H:%M} UTC); convert them "
                f'first, e.g. pd.to_datetime(values, unit="{code}", utc=True)',
                field=field,
            )
    return arr


def _to_epoch_ms(values: Any, field: str) -> np.ndarray:
    """Epoch-ms int64 from integer ms, datetimes or ISO strings (naive datetimes taken as UTC)."""
    out = _time_values(values, field)
    if isinstance(out, pd.DatetimeIndex):
        return out.asi8 // 1_000_000
    return out


def bar_times(data: pd.DataFrame | pl.DataFrame, name: str = "data") -> pd.DatetimeIndex:
    """The bar open times of an OHLCV frame as a tz-aware UTC nanosecond DatetimeIndex.

    Reads a pandas ``DatetimeIndex`` or a time column (``timestamp``, ``open_time_ms``, ``time``,
    ``date`` or ``datetime``: datetimes of any resolution, naive = UTC, ISO strings, or
    integer epoch milliseconds; integers that are plainly epoch seconds, microseconds or
    nanoseconds are refused, not misread), of pandas or polars frames, at full resolution. A
    ``DatetimeIndex`` keeps its name; times from a column are named ``timestamp``.

    Raises
    ------
    DataError
        If there is no time, a time is missing (naming the row) or cannot be read, or
        integer times are in another unit than milliseconds.

    Examples
    --------
    >>> import polars as pl
    >>> f = pl.DataFrame({"timestamp": [0, 60_000]}).with_columns(
    ...     pl.col("timestamp").cast(pl.Datetime("ms")))
    >>> bar_times(f).asi8.tolist()
    [0, 60000000000]
    """
    if isinstance(data, pd.DataFrame) and isinstance(data.index, pd.DatetimeIndex):
        return _check_no_nat(utc_index(data.index, f"{name}.index"), f"{name}.index")
    if not isinstance(data, pd.DataFrame | pl.DataFrame):
        raise DataError(f"expected a pandas or polars DataFrame, got {type(data).__name__}")
    lower = _labels_by_name(data)
    tcol = _time_column(list(lower))
    if tcol is None:
        raise DataError(
            f"no bar time: expected a DatetimeIndex or a column named one of {list(TIME_COLUMNS)}",
            field="timestamp",
        )
    out = _time_values(data[lower[tcol]], tcol)
    if not isinstance(out, pd.DatetimeIndex):
        out = pd.DatetimeIndex(pd.to_datetime(out, unit="ms", utc=True)).as_unit("ns")
    return out.rename("timestamp")


def _labels_by_name(data: pd.DataFrame | pl.DataFrame) -> dict[str, Any]:
    """Each column's lower-cased name -> its label; two labels of a name that is read (a price,
    the volume or a time column) are an error."""
    labels: dict[str, Any] = {}
    for label in data.columns:
        name = str(label).lower()
        if name in labels and name in (*OHLCV_COLUMNS, *TIME_COLUMNS):
            raise DataError(
                f"columns {labels[name]!r} and {label!r} are both read as {name!r}; keep one",
                field=name,
            )
        labels[name] = label
    return labels


def ohlcv_arrays(data: pd.DataFrame | pl.DataFrame, *, with_time: bool = True) -> OHLCVArrays:
    """Extract the timestamp and OHLCV columns of ``data`` as plain arrays, without altering them.

    Parameters
    ----------
    data : pandas.DataFrame or polars.DataFrame
        Pandas with a DatetimeIndex (or a time column), or polars with a time column. The time
        column may be named ``timestamp``, ``open_time_ms``, ``time``, ``date`` or ``datetime``.
    with_time : bool
        ``False`` skips reading the bar times (``ts`` is then empty), for callers that only need
        the prices.

    Raises
    ------
    DataError
        If a column is missing or not numeric (the message names it).

    Examples
    --------
    >>> import numpy as np
    >>> arrays = ohlcv_arrays(ohlcv_frame(np.array([0]), *[np.array([1.0])] * 5))
    >>> int(arrays.ts[0]), float(arrays.close[0])
    (0, 1.0)
    """
    if isinstance(data, pl.DataFrame):
        data = data.to_pandas()
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a pandas or polars DataFrame, got {type(data).__name__}")
    labels = _labels_by_name(data)
    missing = [c for c in OHLCV_COLUMNS if c not in labels]
    if missing:
        raise DataError(
            f"missing column(s) {missing}; an OHLCV frame needs {list(OHLCV_COLUMNS)}",
            field=missing[0],
        )
    if not with_time:
        ts = np.empty(0, dtype=np.int64)
    elif isinstance(data.index, pd.DatetimeIndex):
        ts = _to_epoch_ms(data.index, "index")
    else:
        tcol = _time_column(list(labels))
        if tcol is None:
            raise DataError(
                "no bar time: expected a DatetimeIndex or a column named one of "
                f"{list(TIME_COLUMNS)}",
                field="timestamp",
            )
        ts = _to_epoch_ms(data[labels[tcol]], tcol)
    out = {}
    for name in OHLCV_COLUMNS:
        col = data[labels[name]]  # read by its own label: no renamed copy of the frame
        if not pd.api.types.is_numeric_dtype(col):
            raise DataError(f"column {name!r} must be numeric, got dtype {col.dtype}", field=name)
        if isinstance(col.dtype, np.dtype) and col.dtype == np.float64:
            out[name] = col.to_numpy()  # a view: NaN is already NaN (na_value scans the column)
        else:
            out[name] = col.to_numpy(dtype=np.float64, na_value=np.nan)
    return OHLCVArrays(ts=ts, **out)


def to_pandas(data: pd.DataFrame | pl.DataFrame) -> pd.DataFrame:
    """Canonical pandas OHLCV frame from any accepted input (see :func:`ohlcv_arrays`).

    Examples
    --------
    >>> import polars as pl
    >>> df = to_pandas(pl.DataFrame({"timestamp": [0], "open": [1.0], "high": [1.0],
    ...                              "low": [1.0], "close": [1.0], "volume": [0.0]}))
    >>> df.index.name
    'timestamp'
    """
    return ohlcv_frame(*ohlcv_arrays(data))


def to_polars(data: pd.DataFrame | pl.DataFrame) -> pl.DataFrame:
    """Canonical polars OHLCV frame: ``timestamp`` (Datetime ns, UTC) then the five float columns.

    Examples
    --------
    >>> import numpy as np
    >>> to_polars(ohlcv_frame(np.array([0]), *[np.array([1.0])] * 5)).columns
    ['timestamp', 'open', 'high', 'low', 'close', 'volume']
    """
    arrays = ohlcv_arrays(data)
    ts = pl.Series("timestamp", arrays.ts * 1_000_000, dtype=pl.Int64).cast(
        pl.Datetime("ns", "UTC")
    )
    cols = [pl.Series(n, getattr(arrays, n), dtype=pl.Float64) for n in OHLCV_COLUMNS]
    return pl.DataFrame([ts, *cols])
