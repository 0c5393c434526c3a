"""Input checks shared by the public metric wrappers: one place that turns user input into the
plain, finite float64 arrays the kernels assume, or raises :class:`ParameterError`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from soltrader.data.timeframes import timeframe_ms
from soltrader.domain.errors import ParameterError

#: Milliseconds in the crypto year: 365 days of 24 hours, markets never close.
YEAR_MS = 365 * 86_400_000


def as_float_array(
    values: Any, name: str, *, allow_empty: bool = False, finite: bool = True
) -> np.ndarray:
    """``values`` as a 1-D contiguous float64 array (copied only if needed), all finite.

    ``finite=False`` skips the finiteness check (the caller checks the rows that matter).

    Accepts numpy arrays, pandas Series, polars Series, lists and tuples of numbers or booleans.

    Examples
    --------
    >>> as_float_array([1, 2], "x")
    array([1., 2.])
    """
    if isinstance(values, pd.DataFrame) or isinstance(values, (str, bytes, dict)):
        raise ParameterError(name, f"expected a 1-D array or Series, got {type(values).__name__}")
    if isinstance(values, pd.Series) and pd.api.types.is_numeric_dtype(values.dtype):
        values = values.to_numpy(dtype=np.float64, na_value=np.nan)  # nullable dtypes: NA -> nan
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise ParameterError(name, f"cannot be read as a 1-D array of numbers ({exc})") from exc
    if arr.ndim != 1:
        raise ParameterError(name, f"expected a 1-D array, got {arr.ndim} dimension(s)")
    if arr.dtype.kind not in "biuf":
        raise ParameterError(name, f"expected numbers, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if arr.shape[0] == 0 and not allow_empty:
        raise ParameterError(name, "expected at least one value, got an empty array")
    bad = np.flatnonzero(~np.isfinite(arr)) if finite else np.empty(0, dtype=np.intp)
    if bad.size:
        row = int(bad[0])
        raise ParameterError(name, f"row {row} is {arr[row]}; expected finite numbers")
    return arr


def check_min(arr: np.ndarray, name: str, low: float, *, strict: bool, what: str) -> np.ndarray:
    """Raise unless every element is ``> low`` (``strict``) or ``>= low``; return ``arr``.

    Examples
    --------
    >>> check_min(np.array([1.0]), "equity", 0.0, strict=True, what="account values")
    array([1.])
    """
    bad = np.flatnonzero(arr <= low if strict else arr < low)
    if bad.size:
        row = int(bad[0])
        relation = ">" if strict else ">="
        raise ParameterError(name, f"row {row} is {arr[row]}; expected {what} {relation} {low}")
    return arr


def as_scalar(value: Any, name: str, *, low: float, strict: bool) -> float:
    """A finite float ``> low`` (``strict``) or ``>= low``, else :class:`ParameterError`.

    Examples
    --------
    >>> as_scalar(100, "init_cash", low=0.0, strict=True)
    100.0
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ParameterError(name, f"expected a number, got {type(value).__name__}")
    out = float(value)
    if not math.isfinite(out) or (out <= low if strict else out < low):
        relation = ">" if strict else ">="
        raise ParameterError(name, f"expected a finite number {relation} {low}, got {value!r}")
    return out


def periods_per_year_of(timeframe: str) -> float:
    """Bars of ``timeframe`` per 365-day year (see :func:`soltrader.metrics.periods_per_year`).

    Examples
    --------
    >>> periods_per_year_of("1h")
    8760.0
    """
    return YEAR_MS / timeframe_ms(timeframe)


def resolve_periods_per_year(timeframe: str | None, periods_per_year: float | None) -> float:
    """Exactly one of ``timeframe`` and ``periods_per_year`` -> bars per year (float > 0).

    Examples
    --------
    >>> resolve_periods_per_year("1d", None), resolve_periods_per_year(None, 52)
    (365.0, 52.0)
    """
    if (timeframe is None) == (periods_per_year is None):
        raise ParameterError(
            "timeframe",
            "give exactly one of timeframe (e.g. '1h') and periods_per_year (bars per year, "
            f"e.g. 8760); got timeframe={timeframe!r}, periods_per_year={periods_per_year!r}",
        )
    if timeframe is not None:
        return periods_per_year_of(timeframe)
    return as_scalar(periods_per_year, "periods_per_year", low=0.0, strict=True)


def check_same_length(arr: np.ndarray, name: str, other: int, other_name: str) -> None:
    """Raise unless ``len(arr) == other``.

    Examples
    --------
    >>> check_same_length(np.zeros(3), "positions", 3, "equity")
    """
    if arr.shape[0] != other:
        raise ParameterError(
            name, f"expected one value per bar of {other_name} ({other}), got {arr.shape[0]}"
        )


def wrap_like(values: np.ndarray, like: Any, *, drop_first: bool = False) -> Any:
    """``values`` as a pandas Series on ``like``'s index when ``like`` is a Series, else as is.

    Examples
    --------
    >>> wrap_like(np.array([1.0]), [5.0])
    array([1.])
    """
    if not isinstance(like, pd.Series):
        return values
    index = like.index[1:] if drop_first else like.index
    return pd.Series(values, index=index, name=like.name)
