"""Input checking and conversion for the indicator wrappers: numpy, pandas and polars in, the same
kind out.

Inputs become float64 arrays of shape ``(bars,)`` or ``(bars, columns)`` (NaN for missing values,
including pandas ``NA`` and polars nulls); outputs are rebuilt with the first input's index and
names. Nothing is sorted, aligned or filled: mismatched lengths, shapes, indexes or columns raise.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from soltrader.domain.errors import DataError, ParameterError

_KINDS = "a numpy array, pandas Series/DataFrame or polars Series/DataFrame"


@dataclass(frozen=True)
class Like:
    """What an input was, so that outputs can be returned as the same kind.

    Attributes
    ----------
    kind : str
        One of ``"numpy"``, ``"pandas"``, ``"polars"``.
    shape : tuple of int
        Shape of the float64 array taken from the input.
    index : pandas.Index or None
        The pandas index (pandas inputs only).
    names : Any
        Series name, or the list of DataFrame column names (``None`` for numpy).
    """

    kind: str
    shape: tuple[int, ...]
    index: pd.Index | None = None
    names: Any = None

    def wrap(self, values: np.ndarray) -> Any:
        """Return ``values`` (shaped like the input) as the input's kind.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> _, like = as_float(pd.Series([1.0, 2.0], name="close"), "x")
        >>> like.wrap(np.array([3.0, 4.0])).name
        'close'
        """
        if self.kind == "numpy":
            return values
        two_d = len(self.shape) == 2
        if self.kind == "pandas":
            if two_d:
                return pd.DataFrame(values, index=self.index, columns=self.names, copy=False)
            return pd.Series(values, index=self.index, name=self.names, copy=False)
        if two_d:
            return pl.DataFrame({c: values[:, j] for j, c in enumerate(self.names)})
        return pl.Series(self.names, values)


def _numeric_check(dtype: Any, name: str, what: str) -> None:
    """Raise unless a numpy dtype is a real number type (bool, complex, object, text refused)."""
    if not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)):
        raise ParameterError(name, f"{what} must be numeric (int or float), got dtype {dtype}")


def _from_numpy(obj: np.ndarray, name: str) -> np.ndarray:
    _numeric_check(obj.dtype, name, "values")
    return np.asarray(obj, dtype=np.float64)


def _pandas_column(col: pd.Series, name: str, label: Any) -> np.ndarray:
    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        what = "values" if label is None else f"column {label!r}"
        raise ParameterError(name, f"{what} must be numeric (int or float), got dtype {dtype}")
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def _from_pandas(obj: pd.Series | pd.DataFrame, name: str) -> tuple[np.ndarray, Like]:
    if isinstance(obj, pd.Series):
        values = _pandas_column(obj, name, None)
        return values, Like("pandas", values.shape, obj.index, obj.name)
    cols = [_pandas_column(obj.iloc[:, j], name, c) for j, c in enumerate(obj.columns)]
    values = np.column_stack(cols) if cols else np.empty((len(obj), 0))
    return values, Like("pandas", values.shape, obj.index, list(obj.columns))


def _polars_column(col: pl.Series, name: str, label: Any) -> np.ndarray:
    if not col.dtype.is_numeric():
        what = "values" if label is None else f"column {label!r}"
        raise ParameterError(name, f"{what} must be numeric (int or float), got dtype {col.dtype}")
    return col.cast(pl.Float64).to_numpy().astype(np.float64, copy=False)


def _from_polars(obj: pl.Series | pl.DataFrame, name: str) -> tuple[np.ndarray, Like]:
    if isinstance(obj, pl.Series):
        values = _polars_column(obj, name, None)
        return values, Like("polars", values.shape, None, obj.name)
    cols = [_polars_column(obj.get_column(c), name, c) for c in obj.columns]
    values = np.column_stack(cols) if cols else np.empty((obj.height, 0))
    return values, Like("polars", values.shape, None, list(obj.columns))


def as_float(obj: Any, name: str) -> tuple[np.ndarray, Like]:
    """A float64 array (1-D or 2-D) of ``obj`` and a :class:`Like` to rebuild outputs.

    Parameters
    ----------
    obj : numpy.ndarray, pandas.Series, pandas.DataFrame, polars.Series or polars.DataFrame
        Numeric values; a DataFrame is (bars, columns) with every column an independent series.
    name : str
        The argument's name, used in error messages.

    Raises
    ------
    ParameterError
        If ``obj`` is of another type, not numeric, or not 1-D / 2-D.

    Examples
    --------
    >>> import numpy as np
    >>> values, like = as_float(np.array([1, 2, 3]), "x")
    >>> values.dtype, like.kind
    (dtype('float64'), 'numpy')
    """
    if isinstance(obj, np.ndarray):
        values, like = _from_numpy(obj, name), None
    elif isinstance(obj, pd.Series | pd.DataFrame):
        values, like = _from_pandas(obj, name)
    elif isinstance(obj, pl.Series | pl.DataFrame):
        values, like = _from_polars(obj, name)
    else:
        raise ParameterError(name, f"expected {_KINDS}, got {type(obj).__name__}")
    if values.ndim not in (1, 2):
        raise ParameterError(
            name, f"expected a 1-D (bars,) or 2-D (bars, columns) array, got {values.ndim}-D"
        )
    return values, like if like is not None else Like("numpy", values.shape)


def as_floats(named: dict[str, Any]) -> tuple[list[np.ndarray], Like]:
    """:func:`as_float` for several inputs of one indicator, which must match each other.

    All inputs must have the same shape; pandas inputs the same index and pandas / polars
    DataFrames the same columns as the first one. Outputs take the kind of the first input.

    Raises
    ------
    ParameterError
        Naming the first input that does not match the first one.

    Examples
    --------
    >>> import numpy as np
    >>> arrays, like = as_floats({"high": np.ones(3), "low": np.zeros(3)})
    >>> len(arrays), like.shape
    (2, (3,))
    """
    items = list(named.items())
    arrays: list[np.ndarray] = []
    likes: list[Like] = []
    for name, obj in items:
        values, like = as_float(obj, name)
        arrays.append(values)
        likes.append(like)
    first_name, first = items[0][0], likes[0]
    for (name, _), like in zip(items[1:], likes[1:], strict=True):
        _check_match(name, like, first_name, first)
    return arrays, first


def _check_match(name: str, like: Like, first_name: str, first: Like) -> None:
    if like.shape != first.shape:
        raise ParameterError(
            name, f"shape {like.shape} does not match {first_name}'s shape {first.shape}"
        )
    if like.index is not None and first.index is not None and not like.index.equals(first.index):
        raise ParameterError(
            name, f"index differs from {first_name}'s index; align the inputs first"
        )
    if len(like.shape) == 2 and like.names is not None and first.names is not None:
        if list(like.names) != list(first.names):
            raise ParameterError(
                name, f"columns {like.names} differ from {first_name}'s columns {first.names}"
            )


def check_window(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as an int, if it is an integer (not bool) ``>= minimum``.

    Examples
    --------
    >>> check_window(14, "n")
    14
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(
            name, f"expected an integer number of bars >= {minimum}, got {value!r}"
        )
    if value < minimum:
        raise ParameterError(name, f"expected an integer number of bars >= {minimum}, got {value}")
    return int(value)


def check_positive(value: Any, name: str, *, allow_none: bool = False) -> float | None:
    """``value`` as a float, if it is a finite real number > 0 (or None when allowed).

    Examples
    --------
    >>> check_positive(2, "k"), check_positive(None, "periods_per_year", allow_none=True)
    (2.0, None)
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(name, f"expected a finite number > 0, got {value!r}")
    result = float(value)
    if not (math.isfinite(result) and result > 0):
        raise ParameterError(name, f"expected a finite number > 0, got {value!r}")
    return result


def check_domain(values: np.ndarray, name: str, *, strict: bool) -> None:
    """Raise :class:`DataError` at the first finite value ``<= 0`` (``strict``) or ``< 0``.

    NaN and ±inf are missing bars, not domain errors. The row is the first offending position
    along the bars axis; for 2-D input the message also names the column position.

    Examples
    --------
    >>> import numpy as np
    >>> check_domain(np.array([1.0, np.nan, 2.0]), "x", strict=True)
    """
    finite = np.isfinite(values)
    bad = finite & ((values <= 0) if strict else (values < 0))
    if not bad.any():
        return
    pos = np.argwhere(bad)[0]
    row = int(pos[0])
    where = f"row {row}" + (f", column {int(pos[1])}" if values.ndim == 2 else "")
    value = float(values[tuple(pos)])
    if strict:
        msg = f"{name}: {where} is {value!r}; prices must be > 0 for log returns"
        raise DataError(msg, code="nonpositive_price", row=row, field=name)
    msg = f"{name}: {where} is {value!r}; volumes must be >= 0"
    raise DataError(msg, code="negative_volume", row=row, field=name)
