"""Turning user input (pandas / polars / numpy, one asset or a dict of assets) into the plain
(n, m) arrays the simulation kernel takes, with errors that name the offending argument."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from soltrader.data.schema import bar_times, ohlcv_arrays
from soltrader.domain.errors import DataError, ParameterError


@dataclass(frozen=True)
class Market:
    """Aligned bar prices of ``m`` assets: arrays of shape (n, m), plus the shared time index
    (bar open times, tz-aware UTC in nanoseconds whatever the input's resolution; naive input
    times are read as UTC: :func:`soltrader.data.schema.utc_index`)."""

    index: pd.DatetimeIndex
    assets: tuple[str, ...]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(bars, assets)."""
        return self.close.shape  # type: ignore[return-value]


def _single_frame(data: Any, name: str) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray]]:
    """The time index and the five float64 columns of one OHLCV frame (views when possible)."""
    if not isinstance(data, pl.DataFrame | pd.DataFrame):
        raise ParameterError(
            name, f"expected an OHLCV pandas or polars DataFrame, got {type(data).__name__}"
        )
    arrays = ohlcv_arrays(data, with_time=False)
    index = bar_times(data, name)  # tz-aware UTC ns whatever the input's resolution (naive = UTC)
    columns = {c: getattr(arrays, c) for c in ("open", "high", "low", "close", "volume")}
    for col in ("open", "high", "low", "close"):
        bad = ~np.isfinite(columns[col])
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{name}: column {col!r} has a missing or non-finite price at row {row} "
                f"({index[row]}); the simulator needs a price on every bar",
                code="nan",
                row=row,
                timestamp=index[row],
                field=col,
            )
    return index, columns


def market_from(data: Any) -> Market:
    """Validate and stack ``data`` (one OHLCV frame, or a dict of them sharing one index).

    Examples
    --------
    >>> import numpy as np
    >>> from soltrader.data.schema import ohlcv_frame
    >>> bars = ohlcv_frame(np.arange(3) * 60_000, *[np.ones(3)] * 5)
    >>> market_from({"SOL": bars, "BTC": bars}).shape
    (3, 2)
    """
    if isinstance(data, Mapping):
        if not data:
            raise ParameterError("data", "the dict of assets is empty")
        frames = {str(k): _single_frame(v, f"data[{k!r}]") for k, v in data.items()}
    else:
        frames = {"asset": _single_frame(data, "data")}
    names = tuple(frames)
    index = frames[names[0]][0]
    for name in names[1:]:
        other = frames[name][0]
        if len(other) != len(index) or not other.equals(index):
            raise ParameterError(
                f"data[{name!r}]",
                f"its index differs from data[{names[0]!r}] ({len(other)} vs {len(index)} bars); "
                "align the assets on one time index first (nothing is aligned silently)",
            )
    if len(names) == 1:  # one asset: (n, 1) views, no copy
        cols = frames[names[0]][1]
        stack = {c: np.ascontiguousarray(v)[:, None] for c, v in cols.items()}
    else:
        stack = {
            c: np.column_stack([frames[k][1][c] for k in names])
            for c in ("open", "high", "low", "close", "volume")
        }
    return Market(index=index, assets=names, **stack)


def as_matrix(value: Any, name: str, shape: tuple[int, int], dtype: type, assets: tuple[str, ...]):
    """Broadcast a scalar, (n,), (n, m) array, Series, DataFrame or per-asset dict to ``shape``.

    No copy is made when broadcasting a scalar or a row; the kernel reads the view.
    """
    n, m = shape
    if isinstance(value, Mapping):
        missing = [a for a in assets if a not in value]
        if missing:
            raise ParameterError(name, f"no value for asset(s) {missing}")
        cols = [np.broadcast_to(np.asarray(_values(value[a]), dtype=dtype), (n,)) for a in assets]
        return np.column_stack(cols)
    if isinstance(value, pd.DataFrame):
        if m > 1 and list(map(str, value.columns)) != list(assets):
            raise ParameterError(
                name, f"columns {list(value.columns)} do not match the assets {list(assets)}"
            )
    arr = np.asarray(_values(value))
    if arr.dtype == object:
        raise ParameterError(name, "must be numeric or boolean, got objects")
    if dtype is np.bool_ and arr.dtype.kind not in "b":
        if arr.dtype.kind in "iuf" and np.isin(arr[~np.isnan(arr.astype(float))], (0, 1)).all():
            arr = arr.astype(bool)
        else:
            raise ParameterError(name, f"must be boolean signals, got dtype {arr.dtype}")
    arr = arr.astype(dtype, copy=False)
    if arr.ndim == 1 and arr.shape[0] == n and m >= 1:
        arr = arr[:, None]
    try:
        return np.broadcast_to(arr, (n, m))
    except ValueError:
        raise ParameterError(
            name, f"shape {arr.shape} does not fit {n} bars x {m} asset(s)"
        ) from None


def _values(value: Any) -> Any:
    if isinstance(value, pd.Series | pd.DataFrame):
        return value.to_numpy()
    if isinstance(value, pl.Series):
        return value.to_numpy()
    if isinstance(value, pl.DataFrame):
        return value.to_numpy()
    if value is None:
        return np.nan
    return value
