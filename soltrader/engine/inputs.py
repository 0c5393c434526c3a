"""Turning user input (pandas / polars / numpy, one asset or a dict of assets) into the plain
(n, m) arrays the simulation kernel takes, with errors that name the offending argument."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from soltrader.data.schema import OHLCVArrays, bar_times, ohlcv_arrays
from soltrader.data.validation import bar_check
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
    #: The data's own row labels when they are not its time index (a pandas frame with a time
    #: column: its index; polars data: the positions 0..n-1). A pandas argument may carry these
    #: labels or the time index.
    labels: pd.Index | None = None
    #: The bar check's count of gaps as long as the first one, with the index it counted
    #: (:class:`soltrader.data.validation.BarCheck`); see :meth:`first_step_count`.
    checked_steps: tuple[pd.DatetimeIndex, int] | None = field(
        default=None, repr=False, compare=False
    )

    def first_step_count(self) -> int | None:
        """How many gaps between bar times are as long as the first one, as the bar check
        counted them on this very index (so annualising reads the times once, not twice); None
        when it did not (another index, or bars it did not pass).

        Examples
        --------
        >>> import numpy as np
        >>> from soltrader.data.schema import ohlcv_frame
        >>> bars = ohlcv_frame(np.array([0, 1, 2, 5]) * 60_000, *[np.ones(4)] * 5)
        >>> market_from(bars).first_step_count()
        2
        """
        steps = self.checked_steps
        return steps[1] if steps is not None and steps[0] is self.index else None

    @property
    def shape(self) -> tuple[int, int]:
        """(bars, assets)."""
        return self.close.shape  # type: ignore[return-value]

    @cached_property
    def ticks(self) -> np.ndarray:
        """Bar open times as epoch nanoseconds (int64), for exact label comparisons."""
        return _epoch_ns(self.index, "data")


def _single_frame(data: Any, name: str) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray], int]:
    """The time index and the five float64 columns of one OHLCV frame (views when possible),
    and the bar check's spacing count (:meth:`Market.first_step_count`; -1: none)."""
    if not isinstance(data, pl.DataFrame | pd.DataFrame):
        raise ParameterError(
            name, f"expected an OHLCV pandas or polars DataFrame, got {type(data).__name__}"
        )
    arrays = ohlcv_arrays(data, with_time=False)
    index = bar_times(data, name)  # tz-aware UTC ns whatever the input's resolution (naive = UTC)
    columns = {c: getattr(arrays, c) for c in ("open", "high", "low", "close", "volume")}
    return index, columns, _check_bars(columns, index, name)


def _epoch_ns(index: pd.DatetimeIndex, name: str) -> np.ndarray:
    """Epoch nanoseconds (UTC instants) of a DatetimeIndex of any unit; naive times are UTC."""
    if index.unit == "ns":
        return index.asi8
    try:
        return index.as_unit("ns").asi8
    except (OverflowError, pd.errors.OutOfBoundsDatetime) as exc:
        raise DataError(f"{name}: bar times outside the years 1677..2262 ({exc})") from None


def _check_bars(columns: dict[str, np.ndarray], index: pd.DatetimeIndex, name: str) -> int:
    """Raise the first error of :func:`soltrader.data.validate`'s rules that need no timeframe:
    finite positive prices, OHLC consistency, finite volume >= 0, sorted unique times (gaps are
    allowed); return the check's spacing count (-1: none)."""
    bars = OHLCVArrays(np.empty(0, np.int64), **columns)
    error, steps = bar_check(bars, _epoch_ns(index, name))
    if error is not None:
        raise DataError(
            f"{name}: {error}; the simulator needs valid bars (st.data.validate lists every "
            "finding)",
            code=error.code,
            row=error.row,
            timestamp=error.timestamp,
            field=error.field,
        )
    return steps


def _row_labels(data: Any) -> pd.Index | None:
    """The row labels of a frame whose rows are not labelled by its bar times (see Market)."""
    if isinstance(data, pd.DataFrame):
        return None if isinstance(data.index, pd.DatetimeIndex) else data.index
    return pd.RangeIndex(data.height)


def market_from(data: Any, name: str = "data") -> Market:
    """Validate and stack ``data`` (one OHLCV frame, or a dict of them sharing one index).

    Every frame is checked by the rules of :func:`soltrader.data.validate` that need no
    timeframe (a :class:`DataError` names the argument, the row and the reason code); gaps are
    allowed.

    Examples
    --------
    >>> import numpy as np
    >>> from soltrader.data.schema import ohlcv_frame
    >>> bars = ohlcv_frame(np.arange(3) * 60_000, *[np.ones(3)] * 5)
    >>> market_from({"SOL": bars, "BTC": bars}).shape
    (3, 2)

    A :class:`Market` is already checked and stacked: it is returned as it is.

    >>> market = market_from(bars)
    >>> market_from(market) is market
    True
    """
    if isinstance(data, Market):
        return data
    if isinstance(data, Mapping):
        if not data:
            raise ParameterError(name, "the dict of assets is empty")
        frames = {str(k): _single_frame(v, f"{name}[{k!r}]") for k, v in data.items()}
        first = next(iter(data.values()))
    else:
        frames = {"asset": _single_frame(data, name)}
        first = data
    names = tuple(frames)
    index = frames[names[0]][0]
    for asset in names[1:]:
        other = frames[asset][0]
        if len(other) != len(index) or not other.equals(index):
            raise ParameterError(
                f"{name}[{asset!r}]",
                f"its index differs from {name}[{names[0]!r}] ({len(other)} vs {len(index)} "
                "bars); align the assets on one time index first (nothing is aligned silently)",
            )
    if len(names) == 1:  # one asset: (n, 1) views, no copy
        cols = frames[names[0]][1]
        stack = {c: np.ascontiguousarray(v)[:, None] for c, v in cols.items()}
    else:
        stack = {
            c: np.column_stack([frames[k][1][c] for k in names])
            for c in ("open", "high", "low", "close", "volume")
        }
    steps = frames[names[0]][2]
    return Market(
        index=index,
        assets=names,
        **stack,
        labels=_row_labels(first),
        checked_steps=(index, steps) if steps >= 0 else None,
    )


def as_matrix(value: Any, name: str, market: Market, dtype: type = np.float64) -> np.ndarray:
    """Broadcast a scalar, (n,), (n, m) array, Series, DataFrame or per-asset dict to the
    market's (n, m) shape.

    A pandas argument must carry the data's index (see :func:`check_aligned`); numpy arrays and
    polars Series are positional. Boolean inputs must be booleans or exactly 0 / 1 (NaN is an
    error); integer inputs must hold whole numbers. No copy is made when broadcasting a scalar
    or a row; the kernel reads the view.

    Examples
    --------
    >>> import numpy as np
    >>> from soltrader.data.schema import ohlcv_frame
    >>> market = market_from(ohlcv_frame(np.arange(3) * 60_000, *[np.ones(3)] * 5))
    >>> as_matrix(np.array([0, 1, 1]), "entries", market, np.bool_)[:, 0].tolist()
    [False, True, True]
    """
    n, m = market.shape
    assets = market.assets
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in assets]
        if unknown:
            raise ParameterError(name, f"{unknown} are not assets of the data {list(assets)}")
        missing = [a for a in assets if a not in value]
        if missing:
            raise ParameterError(name, f"no value for asset(s) {missing}")
        cols = []
        for a in assets:
            label = f"{name}[{a!r}]"
            check_aligned(value[a], label, market)
            col = _converted(value[a], label, dtype)
            try:
                cols.append(np.broadcast_to(col, (n,)))
            except ValueError:
                raise ParameterError(label, f"shape {col.shape} does not fit {n} bars") from None
        return np.column_stack(cols) if cols else np.empty((n, 0), dtype=dtype)
    if isinstance(value, pd.DataFrame):
        if m > 1 and list(map(str, value.columns)) != list(assets):
            raise ParameterError(
                name, f"columns {list(value.columns)} do not match the assets {list(assets)}"
            )
    check_aligned(value, name, market)
    arr = _converted(value, name, dtype)
    if arr.ndim == 1 and arr.shape[0] == n and m >= 1:
        arr = arr[:, None]
    try:
        return np.broadcast_to(arr, (n, m))
    except ValueError:
        raise ParameterError(
            name, f"shape {arr.shape} does not fit {n} bars x {m} asset(s)"
        ) from None


def _converted(value: Any, name: str, dtype: type) -> np.ndarray:
    """``value`` as an array of ``dtype``: booleans exactly 0 / 1, integers whole numbers."""
    arr = np.asarray(_values(value))
    if arr.dtype.kind not in "biuf":
        what = "objects" if arr.dtype == object else f"dtype {arr.dtype}"
        raise ParameterError(name, f"must be numeric or boolean, got {what}")
    if dtype is np.bool_:
        if arr.dtype.kind == "b":
            return arr
        exact = (arr == 0) | (arr == 1)  # NaN is neither
        if not exact.all():
            raise ParameterError(
                name,
                f"signals must be booleans or exactly 0 / 1, got {_first(arr, ~exact)} "
                "(NaN is not False: fill it explicitly)",
            )
        return arr.astype(bool)
    if np.issubdtype(dtype, np.integer) and arr.dtype.kind == "f":
        whole = np.isfinite(arr) & (arr == np.round(arr))
        if not whole.all():
            raise ParameterError(name, f"must hold whole numbers, got {_first(arr, ~whole)}")
    return arr.astype(dtype, copy=False)


def _first(arr: np.ndarray, bad: np.ndarray) -> str:
    """The first offending value and where it is (row, and column of a 2-D input)."""
    if arr.ndim == 0:
        return repr(arr.item())
    at = tuple(int(i) for i in np.argwhere(bad)[0])
    where = f"row {at[0]}" if len(at) == 1 else f"row {at[0]}, column {at[1]}"
    return f"{arr[at].item()!r} at {where}"


def check_aligned(value: Any, name: str, market: Market) -> None:
    """Refuse a pandas ``value`` whose index is not exactly the data's.

    The data's index is its time index (time zones compared as instants, naive times read as
    UTC, any unit), or its own row labels when its rows are not labelled by time (see
    :class:`Market`). Nothing is aligned or read by position silently; numpy arrays and polars
    Series have no index and are positional.

    Raises
    ------
    ParameterError
        Naming the argument, the first differing position and both labels there.

    Examples
    --------
    >>> import numpy as np
    >>> from soltrader.data.schema import ohlcv_frame
    >>> bars = ohlcv_frame(np.arange(3) * 60_000, *[np.ones(3)] * 5)
    >>> market = market_from(bars)
    >>> check_aligned(pd.Series(True, index=bars.index), "entries", market)  # passes
    >>> try:
    ...     check_aligned(pd.Series(True, index=bars.index[::-1]), "entries", market)
    ... except ParameterError as exc:
    ...     print(str(exc)[:51])
    entries: its index is not the data's: at position 0
    """
    if not isinstance(value, pd.Series | pd.DataFrame):
        return
    got = value.index
    if isinstance(got, pd.DatetimeIndex):
        ref: pd.Index = market.index
        mine = _epoch_ns(got, name)
        theirs = market.ticks
        if mine.shape == theirs.shape and np.array_equal(mine, theirs):
            return
        k = min(mine.size, theirs.size)
        differ = np.flatnonzero(mine[:k] != theirs[:k])
        shown = got.tz_localize("UTC") if got.tz is None else got.tz_convert("UTC")
    else:
        ref = market.labels if market.labels is not None else market.index
        if market.labels is not None and got.equals(ref):
            return
        k = min(len(got), len(ref))
        try:
            differ = np.flatnonzero(np.asarray(got[:k] != ref[:k], dtype=bool))
        except (TypeError, ValueError):
            differ = np.zeros(1, dtype=np.int64)
        shown = got
    pos = int(differ[0]) if differ.size else k
    mine_label = f"{shown[pos]}" if pos < len(got) else f"nothing (it has {len(got)} labels)"
    ref_label = f"{ref[pos]}" if pos < len(ref) else f"nothing (it has {len(ref)} bars)"
    raise ParameterError(
        name,
        f"its index is not the data's: at position {pos} it has {mine_label} where the data has "
        f"{ref_label}; a pandas argument is matched by its labels, never read by position "
        "(reindex it on the data's index, or pass a numpy array)",
    )


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


# ---- keyword checks (on the values as given: O(input), nothing is broadcast) -------------------
def numbers(value: Any, name: str) -> np.ndarray:
    """A user value (scalar, array, Series, frame or per-asset dict) as a flat float array.

    Examples
    --------
    >>> numbers({"a": [1, 2], "b": 3}, "size").tolist()
    [1.0, 2.0, 3.0]
    """
    if isinstance(value, Mapping):
        parts = [numbers(v, f"{name}[{k!r}]") for k, v in value.items()]
        return np.concatenate(parts) if parts else np.empty(0)
    raw = _values(value)
    if isinstance(raw, bool | np.bool_):
        return np.array([float(raw)])
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(name, f"must be a number or numbers, got {value!r}") from None
    return arr.ravel()


def scalar(value: Any, name: str) -> float:
    """A real number as a float (booleans, strings and arrays are refused).

    Examples
    --------
    >>> scalar(2, "init_cash")
    2.0
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        raise ParameterError(name, f"must be a number, got {value!r}")
    return float(value)


def flag(value: Any, name: str) -> bool:
    """``True`` or ``False`` (numpy booleans too); anything else is refused.

    Examples
    --------
    >>> flag(np.True_, "accumulate")
    True
    """
    if not isinstance(value, bool | np.bool_):
        raise ParameterError(name, f"must be True or False, got {value!r}")
    return bool(value)


def check_range(
    value: Any,
    name: str,
    low: float = -np.inf,
    high: float = np.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
    nan: bool = False,
    hint: str = "",
) -> np.ndarray:
    """Refuse any number of ``value`` outside the interval (``nan``: NaN allowed, meaning
    "none" on that bar); returns the numbers.

    Examples
    --------
    >>> check_range(0.001, "fees", 0.0, 1.0, high_open=True).tolist()
    [0.001]
    >>> check_range(1.2, "fees", 0.0, 1.0, high_open=True)
    Traceback (most recent call last):
    ...
    soltrader.domain.errors.ParameterError: fees: must be in [0, 1), got 1.2
    """
    arr = numbers(value, name)
    with np.errstate(invalid="ignore"):
        ok = (arr > low if low_open else arr >= low) & (arr < high if high_open else arr <= high)
    ok &= ~np.isinf(arr)
    if nan:
        ok |= np.isnan(arr)
    if ok.all():
        return arr
    if high == np.inf:
        interval = f"{'>' if low_open else '>='} {low:g} and finite"
    else:
        interval = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    where = "" if arr.size == 1 else f" (value {int(np.flatnonzero(~ok)[0])} of {arr.size})"
    bad = float(arr[~ok][0])
    message = f"must be {interval}{', or NaN for none' if nan else ''}, got {bad!r}{where}"
    raise ParameterError(name, f"{message}; {hint}" if hint else message)
