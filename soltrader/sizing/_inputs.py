"""Input checks of the sizing wrappers: scalars, numpy arrays, lists or pandas Series in, one set
of broadcast 1-D float64 arrays out (plus what is needed to return the caller's kind).

Every check raises :class:`ParameterError` naming the argument, the offending row (for arrays) and
the expected range; nothing is clipped or filled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from soltrader.domain.errors import ParameterError


@dataclass(frozen=True)
class Bound:
    """An admissible interval for one argument.

    Attributes
    ----------
    low, high : float
        Bounds (``-inf`` / ``inf`` for none).
    low_open, high_open : bool
        Whether the bound itself is excluded.
    nan_ok : bool
        Whether NaN is accepted (it then means "no estimate", see the function's docstring).
        Infinities are always refused.
    what : str
        What the values are, for messages (e.g. ``"equity (quote currency)"``).
    """

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    nan_ok: bool = False
    what: str = "values"

    def describe(self) -> str:
        """The admissible values in words, e.g. ``"in (0.0, 1.0]"`` or ``"> 0.0"``.

        Examples
        --------
        >>> Bound(0.0, 1.0, low_open=True).describe(), Bound(0.0, low_open=True).describe()
        ('in (0.0, 1.0]', 'finite and > 0.0')
        """
        if math.isinf(self.high):
            return f"finite and {'>' if self.low_open else '>='} {self.low}"
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"in {left}{self.low}, {self.high}{right}"

    def bad(self, arr: np.ndarray) -> np.ndarray:
        """Boolean mask of the elements outside the interval.

        Examples
        --------
        >>> Bound(0.0, 1.0).bad(np.array([0.5, 2.0])).tolist()
        [False, True]
        """
        with np.errstate(invalid="ignore"):
            below = arr <= self.low if self.low_open else arr < self.low
            above = arr >= self.high if self.high_open else arr > self.high
        out = ~np.isfinite(arr) | below | above
        return np.where(np.isnan(arr), not self.nan_ok, out)


def _as_array(value: Any, name: str) -> np.ndarray:
    """``value`` as a float64 array of at most one dimension."""
    if isinstance(value, bool | np.bool_) or isinstance(value, str | bytes | dict):
        raise ParameterError(name, f"expected a number or a 1-D array of numbers, got {value!r}")
    if isinstance(value, pd.Series):
        if pd.api.types.is_bool_dtype(value.dtype) or not pd.api.types.is_numeric_dtype(
            value.dtype
        ):
            raise ParameterError(name, f"expected numbers, got dtype {value.dtype}")
        return value.to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(name, f"cannot be read as numbers ({exc})") from exc
    if arr.dtype.kind not in "iuf":
        raise ParameterError(name, f"expected numbers, got dtype {arr.dtype}")
    if arr.ndim > 1:
        raise ParameterError(name, f"expected a number or a 1-D array, got {arr.ndim}-D")
    return arr.astype(np.float64)


def check(value: Any, name: str, bound: Bound) -> np.ndarray:
    """``value`` as a float64 array (0-D for a scalar), every element inside ``bound``.

    Examples
    --------
    >>> check(2, "price", Bound(0.0, low_open=True)).item()
    2.0
    """
    arr = _as_array(value, name)
    bad = np.flatnonzero(bound.bad(arr.reshape(-1)))
    if bad.size:
        row = int(bad[0])
        where = f"row {row} is" if arr.ndim else "got"
        raise ParameterError(
            name,
            f"{where} {float(arr.reshape(-1)[row])!r}; expected {bound.what} {bound.describe()}",
        )
    return arr


def check_flags(value: Any, name: str) -> np.ndarray:
    """Booleans (or 0/1 integers) as a bool array (0-D for a scalar).

    Examples
    --------
    >>> check_flags([True, 0], "fresh").tolist()
    [True, False]
    """
    if isinstance(value, pd.Series):
        value = value.to_numpy()
    arr = np.asarray(value)
    if arr.dtype.kind == "b":
        return arr.astype(np.bool_)
    if arr.dtype.kind in "iu" and np.isin(arr, (0, 1)).all():
        return arr.astype(np.bool_)
    raise ParameterError(name, f"expected booleans (True/False or 0/1), got {value!r}")


@dataclass(frozen=True)
class Shape:
    """How to give results back in the caller's kind: a float for all-scalar input, a numpy
    array, or a pandas Series on the index of the Series among the inputs."""

    size: int
    scalar: bool
    index: pd.Index | None

    def wrap(self, flat: np.ndarray) -> Any:
        """``flat`` (one value per broadcast element) as a float, array or Series.

        Examples
        --------
        >>> Shape(1, True, None).wrap(np.array([2.5]))
        2.5
        """
        if self.scalar:
            return flat[0].item()
        if self.index is not None:
            return pd.Series(flat, index=self.index)
        return flat


def _spread(arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``arr`` as a writable contiguous 1-D float64 array of ``shape``'s size (copy if needed)."""
    if arr.shape != shape:
        arr = np.broadcast_to(arr, shape).copy()
    return np.ascontiguousarray(arr.reshape(-1), dtype=np.float64)


def broadcast(raw: dict[str, Any], arrays: dict[str, np.ndarray]) -> tuple[list[np.ndarray], Shape]:
    """Broadcast checked arrays to one 1-D length; remember the caller's kind.

    ``raw`` are the arguments as given (to find pandas indexes), ``arrays`` their checked arrays.
    Series inputs must share one index.

    Examples
    --------
    >>> (a, b), shape = broadcast({"a": 1, "b": [1, 2]}, {"a": np.array(1.0), "b": np.ones(2)})
    >>> a.tolist(), shape.scalar
    ([1.0, 1.0], False)
    """
    index = None
    for name, value in raw.items():
        if isinstance(value, pd.Series):
            if index is not None and not value.index.equals(index):
                raise ParameterError(name, "pandas inputs must share one index; align them first")
            index = value.index if index is None else index
    try:
        target = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError as exc:
        lengths = {k: int(v.size) for k, v in arrays.items() if v.ndim}
        raise ParameterError(
            next(iter(lengths), "size"), f"arrays must have one length, got {lengths}"
        ) from exc
    scalar = all(a.ndim == 0 for a in arrays.values())
    flat = [_spread(a, target) for a in arrays.values()]
    return flat, Shape(flat[0].size if flat else 1, scalar, index)
