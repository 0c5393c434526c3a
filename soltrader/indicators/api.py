"""Typed wrappers of the indicator kernels: validate, accept numpy / pandas / polars, return the
same kind.

Every wrapper accepts a numpy array (1-D ``(bars,)`` or 2-D ``(bars, columns)``), a pandas Series
or DataFrame, or a polars Series or DataFrame, and returns the same kind: a pandas result keeps
the input's index and name (or columns), a polars result its name (or columns). A DataFrame or
2-D array is a set of independent series, one per column. Values become float64; pandas ``NA``
and polars nulls are NaN.

Shared conventions (stated once here, and in ``docs/indicators.md``):

* **Warm-up** is the number of leading NaNs; each docstring states it and the reference the
  values agree with (TA-Lib by default).
* **Missing values.** A NaN or ±inf in any input at bar ``t`` gives NaN at ``t`` and restarts the
  indicator at ``t + 1`` (the warm-up starts again), exactly as if the series had been cut there.
  Leading NaNs are skipped as by the TA-Lib Python wrapper. Nothing is filled or dropped.
* **Zero denominators**, where TA-Lib defines no value, follow IEEE division (``±inf``, NaN for
  ``0 / 0``); RSI (0 when flat) and ROC (0 for a zero reference) keep TA-Lib's values.
* Bad arguments raise :class:`~soltrader.domain.errors.ParameterError` naming the argument;
  prices <= 0 for log returns and negative volumes raise
  :class:`~soltrader.domain.errors.DataError` naming the row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeVar

import numpy as np
import pandas as pd
import polars as pl

from soltrader.domain.errors import ParameterError
from soltrader.indicators import _nb
from soltrader.indicators._convert import (
    Like,
    as_float,
    as_floats,
    check_domain,
    check_positive,
    check_window,
)

#: The accepted input kinds; a wrapper returns the kind it was given.
Series = TypeVar("Series", np.ndarray, pd.Series, pd.DataFrame, pl.Series, pl.DataFrame)
#: Any accepted input (for the second and later inputs of multi-input indicators).
ArrayLike = np.ndarray | pd.Series | pd.DataFrame | pl.Series | pl.DataFrame
T = TypeVar("T")

__all__ = [
    "BBandsResult",
    "MACDResult",
    "atr",
    "bbands",
    "ema",
    "macd",
    "realized_vol",
    "roc",
    "rolling_max",
    "rolling_min",
    "rolling_std",
    "rsi",
    "sma",
    "true_range",
    "volume_surge",
    "vwap",
    "wma",
    "zscore",
]


class MACDResult(NamedTuple, Generic[T]):
    """MACD outputs, each of the input's kind (floats for the streaming form).

    Attributes
    ----------
    macd : array-like
        Fast EMA minus slow EMA (price units).
    signal : array-like
        EMA of the MACD line (price units).
    hist : array-like
        ``macd - signal`` (price units).
    """

    macd: T
    signal: T
    hist: T


class BBandsResult(NamedTuple, Generic[T]):
    """Bollinger band outputs, each of the input's kind (floats for the streaming form).

    Attributes
    ----------
    upper, middle, lower : array-like
        ``middle ± k * std`` and the SMA (price units).
    percent_b : array-like
        ``(x - lower) / (upper - lower)`` (fraction; 0 at the lower band, 1 at the upper).
    bandwidth : array-like
        ``(upper - lower) / middle`` (fraction of the middle band).
    """

    upper: T
    middle: T
    lower: T
    percent_b: T
    bandwidth: T


# ---------------------------------------------------------------------------------------------
# plumbing


def _alloc(shape: tuple[int, ...]) -> np.ndarray:
    """Output array; column-major for 2-D so that each column is contiguous."""
    return np.empty(shape, order="F")


def _kernel(values: np.ndarray, k1: Callable[..., Any], k2: Callable[..., Any]) -> Any:
    return k1 if values.ndim == 1 else k2


_F64 = np.dtype(np.float64)


def _plain(inputs: dict[str, Any]) -> list[np.ndarray] | None:
    """The inputs themselves when all are float64 numpy arrays of one 1-D or 2-D shape.

    That case, the common one, needs neither conversion nor a :class:`Like` to rebuild the
    output; anything else (other kinds, dtypes or shapes, subclasses) returns None and goes
    through :func:`~soltrader.indicators._convert.as_floats`, which validates and converts.
    """
    arrays = list(inputs.values())
    first = arrays[0]
    if type(first) is not np.ndarray or first.dtype != _F64 or first.ndim not in (1, 2):
        return None
    shape = first.shape
    for a in arrays[1:]:
        if type(a) is not np.ndarray or a.dtype != _F64 or a.shape != shape:
            return None
    return arrays


def _one(
    k1: Callable[..., Any],
    k2: Callable[..., Any],
    inputs: dict[str, Any],
    *params: Any,
    check: Callable[[list[np.ndarray]], None] | None = None,
) -> Any:
    """Run a single-output kernel pair on validated inputs; wrap like the first input."""
    arrays = _plain(inputs)
    like = None
    if arrays is None:
        arrays, like = as_floats(inputs)
    if check is not None:
        check(arrays)
    first = arrays[0]
    if first.ndim == 1:
        out = np.empty(first.shape[0])
        k1(*arrays, *params, out)
    else:
        out = _alloc(first.shape)
        k2(*arrays, *params, out)
    return out if like is None else like.wrap(out)


def _many(
    k1: Callable[..., Any], k2: Callable[..., Any], x: Any, count: int, *params: Any
) -> tuple[list[np.ndarray], Like]:
    """Run a multi-output kernel pair on ``x``; return the raw outputs and how to wrap them."""
    values, like = as_float(x, "x")
    outs = tuple(_alloc(like.shape) for _ in range(count))
    _kernel(values, k1, k2)(values, *params, outs)
    return list(outs), like


# ---------------------------------------------------------------------------------------------
# moving averages


def sma(x: Series, n: int) -> Series:
    """Simple moving average over ``n`` bars.

    Parameters
    ----------
    x : array-like
        Values (usually prices, quote currency), shape ``(bars,)`` or ``(bars, columns)``.
    n : int
        Window in bars, >= 1.

    Returns
    -------
    array-like
        Same kind and shape as ``x``, in ``x``'s units. Warm-up: ``n - 1`` bars.

    Notes
    -----
    Agrees with TA-Lib ``SMA`` to rounding (relative difference < 1e-12 on real data); the
    running sum is recomputed from the window every ``max(2 n, 32)`` bars.

    Examples
    --------
    >>> import numpy as np
    >>> sma(np.array([1.0, 2.0, 3.0, 4.0]), 2)
    array([nan, 1.5, 2.5, 3.5])
    """
    n = check_window(n, "n")
    return _one(_nb.sma_1d_nb, _nb.sma_2d_nb, {"x": x}, n)


def ema(x: Series, n: int) -> Series:
    """Exponential moving average with ``alpha = 2 / (n + 1)``.

    Parameters
    ----------
    x : array-like
        Values (usually prices), shape ``(bars,)`` or ``(bars, columns)``.
    n : int
        Span in bars, >= 1.

    Returns
    -------
    array-like
        Same kind and shape as ``x``. Warm-up: ``n - 1`` bars.

    Notes
    -----
    TA-Lib ``EMA``: seeded with the SMA of the first ``n`` values, then
    ``e = (x - e) * alpha + e``.

    Examples
    --------
    >>> import numpy as np
    >>> ema(np.array([1.0, 2.0, 3.0, 4.0]), 2)
    array([nan, 1.5, 2.5, 3.5])
    """
    n = check_window(n, "n")
    return _one(_nb.ema_1d_nb, _nb.ema_2d_nb, {"x": x}, n)


def wma(x: Series, n: int) -> Series:
    """Linearly weighted moving average (weights 1..n, the newest bar heaviest).

    Parameters
    ----------
    x : array-like
        Values (usually prices), shape ``(bars,)`` or ``(bars, columns)``.
    n : int
        Window in bars, >= 1.

    Returns
    -------
    array-like
        Same kind and shape as ``x``. Warm-up: ``n - 1`` bars.

    Notes
    -----
    Agrees with TA-Lib ``WMA`` to rounding.

    Examples
    --------
    >>> import numpy as np
    >>> wma(np.array([1.0, 2.0, 4.0]), 2)
    array([       nan, 1.66666667, 3.33333333])
    """
    n = check_window(n, "n")
    return _one(_nb.wma_1d_nb, _nb.wma_2d_nb, {"x": x}, n)


# ---------------------------------------------------------------------------------------------
# oscillators


def rsi(x: Series, n: int = 14) -> Series:
    """Wilder's relative strength index (0..100).

    Parameters
    ----------
    x : array-like
        Prices, shape ``(bars,)`` or ``(bars, columns)``.
    n : int, default 14
        Smoothing period in bars, >= 1.

    Returns
    -------
    array-like
        Same kind and shape as ``x``, values in [0, 100]. Warm-up: ``n`` bars.

    Notes
    -----
    TA-Lib ``RSI`` (bit for bit on real data): average gain and loss seeded with the mean of the
    first ``n`` changes, then Wilder's smoothing ``avg = (avg * (n - 1) + change) / n``. A flat
    window (average gain + loss exactly 0) gives 0 as in TA-Lib; TA-Lib also gives 0 whenever
    that sum is below 1e-8, which would make every asset priced under ~1e-4 read 0, so here only
    an exact 0 does.

    Examples
    --------
    >>> import numpy as np
    >>> rsi(np.array([1.0, 2.0, 1.5, 1.5, 3.0]), 2)
    array([        nan,         nan, 66.66666667, 66.66666667, 93.33333333])
    """
    n = check_window(n, "n")
    return _one(_nb.rsi_1d_nb, _nb.rsi_2d_nb, {"x": x}, n)


def macd(x: Series, fast: int = 12, slow: int = 26, signal: int = 9) -> MACDResult[Series]:
    """Moving average convergence divergence: line, signal and histogram.

    Parameters
    ----------
    x : array-like
        Prices, shape ``(bars,)`` or ``(bars, columns)``.
    fast, slow : int, default 12, 26
        EMA spans in bars, ``1 <= fast <= slow``.
    signal : int, default 9
        Span of the signal EMA in bars, >= 1.

    Returns
    -------
    MACDResult
        ``(macd, signal, hist)``, each of ``x``'s kind (price units). Warm-up:
        ``slow + signal - 2`` bars for all three.

    Notes
    -----
    TA-Lib ``MACD``: both EMAs start at bar ``slow - 1``, the slow one seeded with the SMA of the
    first ``slow`` values and the fast one with the SMA of the ``fast`` values ending there; the
    signal is the SMA-seeded EMA of the line; the line is NaN until the signal is defined.
    TA-Lib silently swaps ``fast`` and ``slow`` when ``fast > slow``; here that is an error.

    Examples
    --------
    >>> import numpy as np
    >>> res = macd(np.arange(1.0, 7.0), fast=2, slow=3, signal=2)
    >>> res.macd
    array([nan, nan, nan, 0.5, 0.5, 0.5])
    """
    fast = check_window(fast, "fast")
    slow = check_window(slow, "slow")
    signal = check_window(signal, "signal")
    if fast > slow:
        raise ParameterError("fast", f"must be <= slow ({slow}), got {fast}")
    outs, like = _many(_nb.macd_1d_nb, _nb.macd_2d_nb, x, 3, fast, slow, signal)
    return MACDResult(*(like.wrap(o) for o in outs))


def roc(x: Series, n: int) -> Series:
    """Rate of change over ``n`` bars as a fraction: ``(x[t] - x[t-n]) / x[t-n]``.

    Parameters
    ----------
    x : array-like
        Prices, shape ``(bars,)`` or ``(bars, columns)``.
    n : int
        Look-back in bars, >= 1.

    Returns
    -------
    array-like
        Same kind and shape as ``x`` (fraction, 0.01 = +1 %). Warm-up: ``n`` bars.

    Notes
    -----
    TA-Lib ``ROCP`` (bit for bit), including its value 0 when ``x[t-n] == 0``.

    Examples
    --------
    >>> import numpy as np
    >>> roc(np.array([2.0, 3.0, 4.0]), 1)
    array([       nan, 0.5       , 0.33333333])
    """
    n = check_window(n, "n")
    return _one(_nb.roc_1d_nb, _nb.roc_2d_nb, {"x": x}, n)


# ---------------------------------------------------------------------------------------------
# dispersion


def rolling_std(x: Series, n: int, ddof: int = 0) -> Series:
    """Rolling standard deviation over ``n`` bars with divisor ``n - ddof``.

    Parameters
    ----------
    x : array-like
        Values, shape ``(bars,)`` or ``(bars, columns)``.
    n : int
        Window in bars, >= 1 (and > ``ddof``).
    ddof : int, default 0
        Delta degrees of freedom: 0 population std (TA-Lib), 1 sample std (pandas).

    Returns
    -------
    array-like
        Same kind and shape as ``x``, in ``x``'s units. Warm-up: ``n - 1`` bars.

    Notes
    -----
    With ``ddof=0``: TA-Lib ``STDDEV`` (``nbdev=1``) to within TA-Lib's own rounding (relative
    difference < 1e-9; TA-Lib uses ``E[x²] - E[x]²``, this uses a shifted rolling update and is
    the more accurate of the two). A constant window gives exactly 0.

    Examples
    --------
    >>> import numpy as np
    >>> rolling_std(np.array([1.0, 3.0, 3.0, 3.0]), 2)
    array([nan,  1.,  0.,  0.])
    """
    n = check_window(n, "n")
    ddof = check_window(ddof, "ddof", minimum=0)
    if ddof >= n:
        raise ParameterError("ddof", f"must be < n ({n}), got {ddof}")
    return _one(_nb.rolling_std_1d_nb, _nb.rolling_std_2d_nb, {"x": x}, n, ddof)


def bbands(x: Series, n: int = 20, k: float = 2.0) -> BBandsResult[Series]:
    """Bollinger bands: ``middle = SMA(n)``, ``upper/lower = middle ± k * std``, %B, bandwidth.

    Parameters
    ----------
    x : array-like
        Prices, shape ``(bars,)`` or ``(bars, columns)``.
    n : int, default 20
        Window in bars, >= 1.
    k : float, default 2.0
        Band width in population standard deviations, > 0.

    Returns
    -------
    BBandsResult
        ``(upper, middle, lower, percent_b, bandwidth)``, each of ``x``'s kind; bands in price
        units, ``percent_b = (x - lower) / (upper - lower)`` and
        ``bandwidth = (upper - lower) / middle`` as fractions. Warm-up: ``n - 1`` bars.

    Notes
    -----
    Bands: TA-Lib ``BBANDS(x, n, k, k, matype=0)`` (population std). %B and bandwidth (not in
    TA-Lib) agree with the same formulas on pandas rolling mean / std. A constant window has
    ``upper == lower``: %B is NaN there (0 / 0) and bandwidth 0.

    Examples
    --------
    >>> import numpy as np
    >>> bb = bbands(np.array([1.0, 3.0]), n=2, k=2.0)
    >>> float(bb.upper[1]), float(bb.lower[1]), float(bb.percent_b[1]), float(bb.bandwidth[1])
    (4.0, 0.0, 0.75, 2.0)
    """
    n = check_window(n, "n")
    k = check_positive(k, "k")
    outs, like = _many(_nb.bbands_1d_nb, _nb.bbands_2d_nb, x, 5, n, k)
    return BBandsResult(*(like.wrap(o) for o in outs))


def zscore(x: Series, n: int) -> Series:
    """Rolling z-score ``(x - mean) / std`` over ``n`` bars (population std).

    Parameters
    ----------
    x : array-like
        Values, shape ``(bars,)`` or ``(bars, columns)``.
    n : int
        Window in bars (including the current bar), >= 1.

    Returns
    -------
    array-like
        Same kind and shape as ``x`` (standard deviations). Warm-up: ``n - 1`` bars. NaN where
        the window is constant (0 / 0).

    Notes
    -----
    Not in TA-Lib; agrees with ``(s - s.rolling(n).mean()) / s.rolling(n).std(ddof=0)`` in
    pandas (and its std with TA-Lib ``STDDEV``).

    Examples
    --------
    >>> import numpy as np
    >>> zscore(np.array([1.0, 3.0, 3.0, 3.0]), 2)
    array([nan,  1., nan, nan])
    """
    n = check_window(n, "n")
    return _one(_nb.zscore_1d_nb, _nb.zscore_2d_nb, {"x": x}, n)


def realized_vol(x: Series, n: int, periods_per_year: float | None = None) -> Series:
    """Realised volatility: rolling sample std (ddof 1) of ``n`` log returns, optionally annualised.

    Parameters
    ----------
    x : array-like
        Prices (> 0), shape ``(bars,)`` or ``(bars, columns)``.
    n : int
        Number of log returns in the window, >= 2.
    periods_per_year : float, optional
        Bars per year to annualise by ``sqrt(periods_per_year)``; crypto trades every day, so
        365 for daily bars, ``365 * 24`` for hourly, ``365 * 24 * 60`` for 1-minute bars.
        Default: not annualised (volatility per bar).

    Returns
    -------
    array-like
        Same kind and shape as ``x`` (fraction per bar, or per year). Warm-up: ``n`` bars
        (``n`` returns need ``n + 1`` prices).

    Raises
    ------
    DataError
        If a price is <= 0 (the message names the row).

    Notes
    -----
    Not in TA-Lib; agrees with ``np.log(s).diff().rolling(n).std(ddof=1)`` in pandas, times
    ``sqrt(periods_per_year)``.

    Examples
    --------
    >>> import numpy as np
    >>> vol = realized_vol(np.exp(np.array([0.0, 0.1, 0.0, 0.1])), 2)
    >>> np.round(vol, 6)
    array([     nan,      nan, 0.141421, 0.141421])
    """
    n = check_window(n, "n", minimum=2)
    ppy = check_positive(periods_per_year, "periods_per_year", allow_none=True)

    def check(arrays: list[np.ndarray]) -> None:
        check_domain(arrays[0], "x", strict=True)

    return _one(
        _nb.realized_vol_1d_nb,
        _nb.realized_vol_2d_nb,
        {"x": x},
        n,
        1.0 if ppy is None else ppy,
        check=check,
    )


# ---------------------------------------------------------------------------------------------
# range


def true_range(high: Series, low: ArrayLike, close: ArrayLike) -> Series:
    """True range ``max(high - low, |close[t-1] - high|, |close[t-1] - low|)``.

    Parameters
    ----------
    high, low, close : array-like
        Bar prices of one shape, ``(bars,)`` or ``(bars, columns)``.

    Returns
    -------
    array-like
        Of ``high``'s kind (price units). Warm-up: 1 bar (no previous close).

    Notes
    -----
    TA-Lib ``TRANGE`` (bit for bit).

    Examples
    --------
    >>> import numpy as np
    >>> true_range(np.array([2.0, 5.0]), np.array([1.0, 4.0]), np.array([1.5, 4.5]))
    array([nan, 3.5])
    """
    return _one(
        _nb.true_range_1d_nb,
        _nb.true_range_2d_nb,
        {"high": high, "low": low, "close": close},
    )


def atr(high: Series, low: ArrayLike, close: ArrayLike, n: int = 14) -> Series:
    """Wilder's average true range over ``n`` bars.

    Parameters
    ----------
    high, low, close : array-like
        Bar prices of one shape, ``(bars,)`` or ``(bars, columns)``.
    n : int, default 14
        Smoothing period in bars, >= 1.

    Returns
    -------
    array-like
        Of ``high``'s kind (price units). Warm-up: ``n`` bars.

    Notes
    -----
    TA-Lib ``ATR``: the first value is the mean of the first ``n`` true ranges (bars 1..n; the
    true range is undefined at bar 0), then Wilder's smoothing
    ``atr = (atr * (n - 1) + tr) / n``, evaluated as ``atr * ((n - 1) / n) + tr * (1 / n)``
    (relative difference to TA-Lib < 1e-13 on real data).

    Examples
    --------
    >>> import numpy as np
    >>> h, lo, c = np.array([2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.5, 3.5])
    >>> atr(h, lo, c, n=1)
    array([nan, 1.5, 1.5])
    """
    n = check_window(n, "n")
    return _one(_nb.atr_1d_nb, _nb.atr_2d_nb, {"high": high, "low": low, "close": close}, n)


def rolling_min(x: Series, n: int) -> Series:
    """Lowest value of the last ``n`` bars (including the current one).

    Parameters
    ----------
    x : array-like
        Values, shape ``(bars,)`` or ``(bars, columns)``.
    n : int
        Window in bars, >= 1.

    Returns
    -------
    array-like
        Same kind and shape as ``x``. Warm-up: ``n - 1`` bars.

    Notes
    -----
    TA-Lib ``MIN`` (exact); O(1) per bar for any ``n`` (van Herk / Gil-Werman).

    Examples
    --------
    >>> import numpy as np
    >>> rolling_min(np.array([3.0, 1.0, 2.0, 5.0]), 2)
    array([nan,  1.,  1.,  2.])
    """
    n = check_window(n, "n")
    return _one(_nb.rolling_min_1d_nb, _nb.rolling_min_2d_nb, {"x": x}, n)


def rolling_max(x: Series, n: int) -> Series:
    """Highest value of the last ``n`` bars (including the current one).

    Parameters
    ----------
    x : array-like
        Values, shape ``(bars,)`` or ``(bars, columns)``.
    n : int
        Window in bars, >= 1.

    Returns
    -------
    array-like
        Same kind and shape as ``x``. Warm-up: ``n - 1`` bars.

    Notes
    -----
    TA-Lib ``MAX`` (exact); O(1) per bar for any ``n``.

    Examples
    --------
    >>> import numpy as np
    >>> rolling_max(np.array([3.0, 1.0, 2.0, 5.0]), 2)
    array([nan,  3.,  2.,  5.])
    """
    n = check_window(n, "n")
    return _one(_nb.rolling_max_1d_nb, _nb.rolling_max_2d_nb, {"x": x}, n)


# ---------------------------------------------------------------------------------------------
# volume


def _check_volume(index: int) -> Callable[[list[np.ndarray]], None]:
    def check(arrays: list[np.ndarray]) -> None:
        check_domain(arrays[index], "volume", strict=False)

    return check


def vwap(high: Series, low: ArrayLike, close: ArrayLike, volume: ArrayLike, n: int) -> Series:
    """Rolling volume-weighted average price over ``n`` bars.

    ``sum(tp * volume) / sum(volume)`` over the last ``n`` bars with the typical price
    ``tp = (high + low + close) / 3``.

    Parameters
    ----------
    high, low, close : array-like
        Bar prices (quote currency), one shape, ``(bars,)`` or ``(bars, columns)``.
    volume : array-like
        Bar volumes (base units, >= 0), same shape.
    n : int
        Window in bars, >= 1.

    Returns
    -------
    array-like
        Of ``high``'s kind (price units). Warm-up: ``n - 1`` bars. NaN where the window's
        volumes are all 0.

    Raises
    ------
    DataError
        If a volume is negative (the message names the row).

    Notes
    -----
    Not in TA-Lib; agrees with ``(tp * v).rolling(n).sum() / v.rolling(n).sum()`` in pandas.

    Examples
    --------
    >>> import numpy as np
    >>> p, v = np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 0.0])
    >>> vwap(p, p, p, v, 2)
    array([ nan, 1.75, 2.  ])
    """
    n = check_window(n, "n")
    inputs = {"high": high, "low": low, "close": close, "volume": volume}
    return _one(_nb.vwap_1d_nb, _nb.vwap_2d_nb, inputs, n, check=_check_volume(3))


def volume_surge(volume: Series, n: int) -> Series:
    """Volume surge ratio: ``volume[t]`` over the mean of the ``n`` previous volumes.

    Parameters
    ----------
    volume : array-like
        Bar volumes (>= 0), shape ``(bars,)`` or ``(bars, columns)``.
    n : int
        Number of previous bars averaged, >= 1 (the current bar is not in the mean).

    Returns
    -------
    array-like
        Same kind and shape (ratio; 1 = average, 3 = three times the average). Warm-up:
        ``n`` bars. Previous volumes all 0: ``inf``, or NaN if the current volume is 0 too.

    Raises
    ------
    DataError
        If a volume is negative (the message names the row).

    Notes
    -----
    Not in TA-Lib; agrees with ``v / v.shift(1).rolling(n).mean()`` in pandas.

    Examples
    --------
    >>> import numpy as np
    >>> volume_surge(np.array([1.0, 3.0, 6.0]), 2)
    array([nan, nan,  3.])
    """
    n = check_window(n, "n")
    return _one(
        _nb.volume_surge_1d_nb,
        _nb.volume_surge_2d_nb,
        {"volume": volume},
        n,
        check=_check_volume(0),
    )
