"""Input checks of the risk layer: exact amounts (Decimal, int or float) for the live-path check,
float64 arrays for the research functions. Everything raises :class:`ParameterError` naming the
argument; nothing is clipped or filled."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from soltrader.domain.errors import ParameterError

#: What the live path may pass as an amount: exact Decimals or ints, or floats.
Amount = Decimal | int | float


def to_decimal(value: Any, name: str, *, low: float | None = None, strict: bool = False) -> Decimal:
    """``value`` as an exact :class:`~decimal.Decimal` (floats through their shortest repr, so
    ``0.05`` is ``Decimal("0.05")``), finite and ``> low`` (``strict``) or ``>= low``.

    Examples
    --------
    >>> to_decimal(0.05, "daily_loss_limit"), to_decimal(Decimal("1.5"), "quantity", low=0)
    (Decimal('0.05'), Decimal('1.5'))
    """
    if isinstance(value, bool | np.bool_):
        raise ParameterError(name, f"expected a number, got {value!r}")
    if isinstance(value, Decimal):
        out = value
    elif isinstance(value, int | np.integer):
        out = Decimal(int(value))
    elif isinstance(value, float | np.floating):
        if not math.isfinite(value):
            raise ParameterError(name, f"expected a finite number, got {value!r}")
        out = Decimal(repr(float(value)))
    else:
        raise ParameterError(name, f"expected a Decimal, int or float, got {type(value).__name__}")
    if not out.is_finite():
        raise ParameterError(name, f"expected a finite number, got {value!r}")
    if low is not None and (out <= Decimal(repr(low)) if strict else out < Decimal(repr(low))):
        relation = ">" if strict else ">="
        raise ParameterError(name, f"expected a number {relation} {low}, got {value!r}")
    return out


def fraction(value: Any, name: str, *, high_open: bool = True) -> Decimal:
    """A fraction in ``(0, 1)`` (``(0, 1]`` with ``high_open=False``) as a Decimal.

    Examples
    --------
    >>> fraction(0.2, "hard_drawdown")
    Decimal('0.2')
    """
    out = to_decimal(value, name, low=0.0, strict=True)
    if out > 1 or (high_open and out == 1):
        bracket = ")" if high_open else "]"
        raise ParameterError(name, f"expected a fraction in (0, 1{bracket}, got {value!r}")
    return out


def returns_array(values: Any, name: str, *, min_size: int = 1) -> np.ndarray:
    """Per-bar returns as a finite 1-D float64 array with at least ``min_size`` values.

    Examples
    --------
    >>> returns_array([0.01, -0.02], "returns").tolist()
    [0.01, -0.02]
    """
    if isinstance(values, pd.DataFrame | str | bytes | dict):
        raise ParameterError(name, f"expected a 1-D array or Series, got {type(values).__name__}")
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=np.float64, na_value=np.nan)
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.dtype.kind not in "iuf":
        raise ParameterError(name, f"expected a 1-D array of numbers, got {arr.ndim}-D {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if arr.size < min_size:
        raise ParameterError(name, f"expected at least {min_size} values, got {arr.size}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ParameterError(name, f"row {int(bad[0])} is {arr[bad[0]]}; expected finite numbers")
    return arr


def level_arg(level: Any) -> float:
    """A confidence level in (0, 1) as a float.

    Examples
    --------
    >>> level_arg(0.99)
    0.99
    """
    if isinstance(level, bool) or not isinstance(level, int | float | np.integer | np.floating):
        raise ParameterError("level", f"expected a number in (0, 1), got {level!r}")
    if not 0.0 < float(level) < 1.0:
        raise ParameterError("level", f"expected a confidence level in (0, 1), got {level!r}")
    return float(level)


def positive_int(value: Any, name: str, *, low: int = 1) -> int:
    """An integer ``>= low``.

    Examples
    --------
    >>> positive_int(10, "horizon")
    10
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ParameterError(name, f"expected an integer >= {low}, got {value!r}")
    return int(value)
