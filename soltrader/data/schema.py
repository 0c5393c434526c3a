"""The OHLCV schema and conversions between numpy, pandas and polars forms of it.

The canonical pandas form is a DataFrame indexed by a ``DatetimeIndex`` named ``timestamp``
(``datetime64[ns, UTC]``, the bar's **open** time) with float64 columns ``open, high, low, close,
volume`` (prices in quote currency, volume in base units). The canonical polars form has the same
columns plus a ``timestamp`` column of type ``Datetime("ns", "UTC")``.

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


def _time_column(columns: list[str]) -> str | None:
    return next((c for c in TIME_COLUMNS if c in columns), None)


def _to_epoch_ms(values: Any, field: str) -> np.ndarray:
    """Epoch-ms int64 from integer ms, datetimes or ISO strings (naive datetimes taken as UTC)."""
    if isinstance(values, pd.DatetimeIndex | pd.Series) and values.dtype.kind == "M":
        idx = pd.DatetimeIndex(values)
        if idx.tz is None:
            idx = idx.tz_localize("UTC")
        if idx.hasnans:
            row = int(np.flatnonzero(idx.isna())[0])
            raise DataError(
                f"{field}: row {row} has no timestamp", code="nan", row=row, field=field
            )
        return idx.as_unit("ns").asi8 // 1_000_000
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(values, utc=True))
    except (ValueError, TypeError) as exc:
        raise DataError(f"{field}: cannot be read as timestamps ({exc})", field=field) from exc
    if idx.hasnans:
        row = int(np.flatnonzero(idx.isna())[0])
        raise DataError(f"{field}: row {row} has no timestamp", code="nan", row=row, field=field)
    return idx.as_unit("ms").asi8.astype(np.int64)


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
    columns = [str(c).lower() for c in data.columns]
    frame = data.set_axis(columns, axis=1)
    missing = [c for c in OHLCV_COLUMNS if c not in columns]
    if missing:
        raise DataError(
            f"missing column(s) {missing}; an OHLCV frame needs {list(OHLCV_COLUMNS)}",
            field=missing[0],
        )
    if not with_time:
        ts = np.empty(0, dtype=np.int64)
    elif isinstance(frame.index, pd.DatetimeIndex):
        ts = _to_epoch_ms(frame.index, "index")
    else:
        tcol = _time_column(columns)
        if tcol is None:
            raise DataError(
                "no bar time: expected a DatetimeIndex or a column named one of "
                f"{list(TIME_COLUMNS)}",
                field="timestamp",
            )
        ts = _to_epoch_ms(frame[tcol], tcol)
    out = {}
    for name in OHLCV_COLUMNS:
        col = frame[name]
        if not pd.api.types.is_numeric_dtype(col):
            raise DataError(f"column {name!r} must be numeric, got dtype {col.dtype}", field=name)
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
