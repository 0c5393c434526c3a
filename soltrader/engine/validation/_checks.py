"""Input checks shared by the validation tools: user input becomes plain finite float64 arrays
or a :class:`~soltrader.domain.errors.Error` that names the argument, row and column."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from soltrader.domain.errors import DataError, ParameterError


def as_int(value: Any, name: str, *, low: int) -> int:
    """``value`` as a Python int ``>= low``, else :class:`ParameterError` (bools refused).

    Examples
    --------
    >>> as_int(np.int64(3), "k", low=2)
    3
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise ParameterError(name, f"expected a whole number >= {low}, got {value!r}")
    if int(value) < low:
        raise ParameterError(name, f"expected a whole number >= {low}, got {value!r}")
    return int(value)


def as_float(
    value: Any, name: str, *, low: float, high: float = np.inf, low_open: bool = False
) -> float:
    """``value`` as a finite float in ``[low, high]`` (``(low, high]`` with ``low_open``).

    Examples
    --------
    >>> as_float(0.5, "ruin_level", low=0.0, high=1.0, low_open=True)
    0.5
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ParameterError(name, f"expected a number, got {type(value).__name__}")
    out = float(value)
    below = out <= low if low_open else out < low
    if not np.isfinite(out) or below or out > high:
        bracket = "(" if low_open else "["
        raise ParameterError(
            name, f"expected a finite number in {bracket}{low}, {high}], got {value!r}"
        )
    return out


def as_series_values(values: Any, name: str, *, min_size: int = 1) -> tuple[np.ndarray, Any]:
    """A 1-D series of numbers (numpy, list, pandas or polars Series) as finite float64.

    Returns the array and the pandas index (or ``None``) so messages can name the timestamp.
    Non-finite values raise :class:`DataError` naming the row; too few values, a wrong shape or
    type raise :class:`ParameterError`.

    Examples
    --------
    >>> as_series_values([0.01, -0.02], "returns")[0]
    array([ 0.01, -0.02])
    """
    if isinstance(values, pd.DataFrame | pl.DataFrame | str | bytes | dict):
        raise ParameterError(name, f"expected a 1-D array or Series, got {type(values).__name__}")
    index = values.index if isinstance(values, pd.Series) else None
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=np.float64, na_value=np.nan)
    elif isinstance(values, pl.Series):
        values = values.cast(pl.Float64).to_numpy()
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise ParameterError(name, f"cannot be read as a 1-D array of numbers ({exc})") from exc
    if arr.ndim != 1:
        raise ParameterError(name, f"expected a 1-D array, got {arr.ndim} dimension(s)")
    if arr.dtype.kind not in "biuf":
        raise ParameterError(name, f"expected numbers, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if arr.shape[0] < min_size:
        raise ParameterError(name, f"expected at least {min_size} value(s), got {arr.shape[0]}")
    _require_finite(arr, name, index, None)
    return arr, index


def as_matrix_values(values: Any, name: str) -> tuple[np.ndarray, list[Any]]:
    """A (periods x configurations) matrix (numpy 2-D, pandas or polars DataFrame) as finite
    float64, with the configuration labels (column names, or 0..N-1).

    Examples
    --------
    >>> m, labels = as_matrix_values(np.zeros((3, 2)), "perf_matrix")
    >>> m.shape, labels
    ((3, 2), [0, 1])
    """
    index = None
    if isinstance(values, pd.DataFrame):
        labels = list(values.columns)
        index = values.index
        values = values.to_numpy(dtype=np.float64, na_value=np.nan)
    elif isinstance(values, pl.DataFrame):
        labels = list(values.columns)
        values = values.cast(pl.Float64).to_numpy()
    else:
        labels = None
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise ParameterError(name, f"cannot be read as a 2-D array of numbers ({exc})") from exc
    if arr.ndim != 2:
        raise ParameterError(
            name, f"expected a 2-D (periods x configurations) array, got {arr.ndim} dimension(s)"
        )
    if arr.dtype.kind not in "biuf":
        raise ParameterError(name, f"expected numbers, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ParameterError(name, f"is empty (shape {arr.shape}): no periods or no configurations")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    _require_finite(arr, name, index, labels)
    return arr, labels if labels is not None else list(range(arr.shape[1]))


def _require_finite(arr: np.ndarray, name: str, index: Any, labels: list[Any] | None) -> None:
    bad = np.argwhere(~np.isfinite(arr))
    if not bad.size:
        return
    row = int(bad[0][0])
    when = f" ({index[row]})" if index is not None else ""
    if arr.ndim == 2:
        col = int(bad[0][1])
        label = labels[col] if labels is not None else col
        raise DataError(
            f"{name}: row {row}{when}, column {label!r} is {arr[row, col]}; "
            "expected finite numbers",
            code="nan",
            row=row,
            timestamp=index[row] if index is not None else None,
            field=str(label),
        )
    raise DataError(
        f"{name}: row {row}{when} is {arr[row]}; expected finite numbers",
        code="nan",
        row=row,
        timestamp=index[row] if index is not None else None,
        field=name,
    )
