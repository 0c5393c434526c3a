"""Streaming indicators: one object per series, O(1) ``update`` per bar, in plain Python floats.

Each class gives, bar by bar, the same numbers as the batch wrapper on the same data (the test
suite checks bit-for-bit equality): the same warm-up, the same seeds, the same rolling-sum
recomputation schedule, and the same missing-value rule — a NaN or ±inf input returns NaN and
restarts the indicator (its warm-up starts again). They are written independently of the numba
kernels so that the equality is a real check.

Every class has ``update(...)`` returning the new value (a NamedTuple for :class:`MACD` and
:class:`BBands`), a ``value`` property (the last value, NaN before the first update), a ``ready``
property (True once the warm-up is complete; the value may still be NaN where it is undefined,
e.g. a z-score of a constant window) and ``reset()``.

Examples
--------
>>> rsi = RSI(2)
>>> [round(rsi.update(p), 4) for p in (1.0, 2.0, 1.5, 1.5, 3.0)][2:]
[66.6667, 66.6667, 93.3333]
"""

from __future__ import annotations

import math
import numbers
from collections import deque
from decimal import Decimal
from typing import Any

from soltrader.domain.errors import DataError, ParameterError
from soltrader.indicators._convert import check_positive, check_window
from soltrader.indicators._nb import ANCHOR_BARS
from soltrader.indicators.api import BBandsResult, MACDResult

_NAN = math.nan
_INF = math.inf

__all__ = [
    "ATR",
    "EMA",
    "MACD",
    "ROC",
    "RSI",
    "SMA",
    "VWAP",
    "WMA",
    "BBands",
    "RealizedVol",
    "RollingMax",
    "RollingMin",
    "RollingStd",
    "TrueRange",
    "VolumeSurge",
    "ZScore",
]


def _to_float(x: Any, name: str) -> float:
    """``x`` as a float if it is a real number (int, float, numpy scalar, Decimal; not bool)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real | Decimal):
        raise ParameterError(name, f"expected a number, got {x!r}")
    return float(x)


def _ratio(num: float, den: float) -> float:
    """IEEE division for a zero denominator: ``±inf`` by the numerator's sign, NaN for 0 / 0."""
    if den == 0.0:
        if num > 0.0:
            return _INF
        if num < 0.0:
            return -_INF
        return _NAN
    return num / den


def _anchor_period(n: int) -> int:
    return max(2 * n, ANCHOR_BARS)


def _true_range(h: float, lo: float, prev_close: float) -> float:
    greatest = h - lo
    v2 = abs(prev_close - h)
    if v2 > greatest:
        greatest = v2
    v3 = abs(prev_close - lo)
    if v3 > greatest:
        greatest = v3
    return greatest


class _Streaming:
    """Shared ``value`` / ``ready`` / ``repr`` of the streaming indicators."""

    __slots__ = ("_k", "_value", "_warmup_bars")

    @property
    def value(self) -> Any:
        """The last value returned by ``update`` (NaN before the first update).

        Examples
        --------
        >>> s = SMA(1)
        >>> _ = s.update(2.0); s.value
        2.0
        """
        return self._value

    @property
    def ready(self) -> bool:
        """True once the warm-up is complete (the value may still be NaN where undefined).

        Examples
        --------
        >>> s = SMA(2)
        >>> _ = s.update(2.0); s.ready
        False
        """
        return self._k > self._warmup_bars

    def __repr__(self) -> str:
        return f"{type(self).__name__}(value={self._value!r}, ready={self.ready})"


# ---------------------------------------------------------------------------------------------
# moving averages


class SMA(_Streaming):
    """Streaming simple moving average over ``n`` bars; equals :func:`~soltrader.indicators.sma`.

    Parameters
    ----------
    n : int
        Window in bars, >= 1. Warm-up: ``n - 1`` bars.

    Examples
    --------
    >>> s = SMA(2)
    >>> s.update(1.0), s.update(2.0), s.ready
    (nan, 1.5, True)
    """

    __slots__ = ("_buf", "_inv", "_j", "_p", "_s1", "_shift", "n")

    def __init__(self, n: int) -> None:
        self.n = check_window(n, "n")
        self._warmup_bars = self.n - 1
        self._inv = 1.0 / self.n
        self._p = _anchor_period(self.n)
        self._buf: deque[float] = deque(maxlen=self.n)
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = SMA(2)
        >>> _ = s.update(1.0); s.reset(); s.ready
        False
        """
        self._buf.clear()
        self._k = 0
        self._j = 0
        self._shift = 0.0
        self._s1 = 0.0
        self._value = _NAN

    def update(self, x: float) -> float:
        """Add one bar's value; return the SMA at that bar (NaN during the warm-up).

        Examples
        --------
        >>> SMA(1).update(3.0)
        3.0
        """
        v = x if type(x) is float else _to_float(x, "x")
        if not -_INF < v < _INF:
            self.reset()
            return _NAN
        buf = self._buf
        old = buf[0] if len(buf) == self.n else 0.0
        buf.append(v)
        k = self._k = self._k + 1
        if k < self.n:
            return _NAN
        j = self._j + 1 if k > self.n else 0
        if j == self._p:
            j = 0
        if j == 0:
            shift = self._shift = v
            s1 = 0.0
            for u in buf:
                s1 += u - shift
        else:
            s1 = self._s1 + (v - old)
        self._j = j
        self._s1 = s1
        value = self._value = self._shift + s1 * self._inv
        return value


class EMA(_Streaming):
    """Streaming EMA, ``alpha = 2 / (n + 1)``, SMA-seeded; equals :func:`~soltrader.indicators.ema`.

    Parameters
    ----------
    n : int
        Span in bars, >= 1. Warm-up: ``n - 1`` bars.

    Examples
    --------
    >>> e = EMA(2)
    >>> [e.update(v) for v in (1.0, 2.0, 3.0)]
    [nan, 1.5, 2.5]
    """

    __slots__ = ("_a", "_e", "_s", "n")

    def __init__(self, n: int) -> None:
        self.n = check_window(n, "n")
        self._warmup_bars = self.n - 1
        self._a = 2.0 / (self.n + 1)
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = EMA(2)
        >>> _ = s.update(1.0); s.reset(); s.ready
        False
        """
        self._k = 0
        self._s = 0.0
        self._e = 0.0
        self._value = _NAN

    def update(self, x: float) -> float:
        """Add one bar's value; return the EMA at that bar (NaN during the warm-up).

        Examples
        --------
        >>> EMA(1).update(3.0)
        3.0
        """
        v = x if type(x) is float else _to_float(x, "x")
        if not -_INF < v < _INF:
            self.reset()
            return _NAN
        k = self._k = self._k + 1
        n = self.n
        if k < n:
            self._s += v
            return _NAN
        if k == n:
            e = (self._s + v) / n
        else:
            e = self._e
            e = (v - e) * self._a + e
        self._e = self._value = e
        return e


class WMA(_Streaming):
    """Streaming linearly weighted moving average; equals :func:`~soltrader.indicators.wma`.

    Parameters
    ----------
    n : int
        Window in bars, >= 1. Warm-up: ``n - 1`` bars.

    Examples
    --------
    >>> w = WMA(2)
    >>> w.update(1.0), round(w.update(2.0), 6)
    (nan, 1.666667)
    """

    __slots__ = ("_buf", "_inv", "_j", "_p", "_psum", "_wsum", "n")

    def __init__(self, n: int) -> None:
        self.n = check_window(n, "n")
        self._warmup_bars = self.n - 1
        self._inv = 1.0 / (self.n * (self.n + 1) // 2)
        self._p = _anchor_period(self.n)
        self._buf: deque[float] = deque(maxlen=self.n)
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = WMA(2)
        >>> _ = s.update(1.0); s.reset(); s.ready
        False
        """
        self._buf.clear()
        self._k = 0
        self._j = 0
        self._psum = 0.0
        self._wsum = 0.0
        self._value = _NAN

    def update(self, x: float) -> float:
        """Add one bar's value; return the WMA at that bar (NaN during the warm-up).

        Examples
        --------
        >>> WMA(1).update(3.0)
        3.0
        """
        v = x if type(x) is float else _to_float(x, "x")
        if not -_INF < v < _INF:
            self.reset()
            return _NAN
        n = self.n
        buf = self._buf
        old = buf[0] if len(buf) == n else 0.0
        buf.append(v)
        k = self._k = self._k + 1
        if k < n:
            return _NAN
        j = self._j + 1 if k > n else 0
        if j == self._p:
            j = 0
        self._j = j
        if j == 0:
            psum = 0.0
            wsum = 0.0
            for i, u in enumerate(buf):
                psum += u
                wsum += u * (i + 1)
        else:
            psum = self._psum + v
            psum -= old
            wsum = self._wsum + v * n
        value = self._value = wsum * self._inv
        self._wsum = wsum - psum
        self._psum = psum
        return value


# ---------------------------------------------------------------------------------------------
# oscillators


class RSI(_Streaming):
    """Streaming Wilder RSI (0..100); equals :func:`~soltrader.indicators.rsi`.

    Parameters
    ----------
    n : int, default 14
        Smoothing period in bars, >= 1. Warm-up: ``n`` bars.

    Examples
    --------
    >>> r = RSI(1)
    >>> r.update(1.0), r.update(2.0), r.update(1.0)
    (nan, 100.0, 0.0)
    """

    __slots__ = ("_gain", "_inv", "_loss", "_prev", "n")

    def __init__(self, n: int = 14) -> None:
        self.n = check_window(n, "n")
        self._warmup_bars = self.n
        self._inv = 1.0 / self.n
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = RSI(2)
        >>> _ = s.update(1.0); s.reset(); s.ready
        False
        """
        self._k = 0
        self._gain = 0.0
        self._loss = 0.0
        self._prev = 0.0
        self._value = _NAN

    def update(self, x: float) -> float:
        """Add one bar's price; return the RSI at that bar (NaN during the warm-up).

        Examples
        --------
        >>> r = RSI(1)
        >>> _ = r.update(1.0); r.update(1.0)
        0.0
        """
        v = x if type(x) is float else _to_float(x, "x")
        if not -_INF < v < _INF:
            self.reset()
            return _NAN
        k = self._k = self._k + 1
        d = v - self._prev
        self._prev = v
        if k == 1:
            return _NAN
        n = self.n
        gain = self._gain
        loss = self._loss
        if k > n + 1:
            loss *= n - 1
            gain *= n - 1
        if d < 0:
            loss -= d
        else:
            gain += d
        if k <= n:
            self._gain = gain
            self._loss = loss
            return _NAN
        loss *= self._inv
        gain *= self._inv
        self._gain = gain
        self._loss = loss
        total = gain + loss
        value = self._value = 100.0 * (gain / total) if total != 0.0 else 0.0
        return value


class MACD(_Streaming):
    """Streaming MACD; equals :func:`~soltrader.indicators.macd`.

    Parameters
    ----------
    fast, slow, signal : int, default 12, 26, 9
        EMA spans in bars, ``1 <= fast <= slow``, ``signal >= 1``. Warm-up:
        ``slow + signal - 2`` bars.

    Examples
    --------
    >>> m = MACD(2, 3, 2)
    >>> [m.update(float(v)).macd for v in range(1, 7)][3:]
    [0.5, 0.5, 0.5]
    """

    __slots__ = ("_af", "_ag", "_as", "_ef", "_eg", "_es", "_q", "_sf", "_sg", "_ss")
    __slots__ += ("fast", "signal", "slow")

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        self.fast = check_window(fast, "fast")
        self.slow = check_window(slow, "slow")
        self.signal = check_window(signal, "signal")
        if self.fast > self.slow:
            raise ParameterError("fast", f"must be <= slow ({self.slow}), got {self.fast}")
        self._warmup_bars = self.slow + self.signal - 2
        self._af = 2.0 / (self.fast + 1)
        self._as = 2.0 / (self.slow + 1)
        self._ag = 2.0 / (self.signal + 1)
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = MACD(2, 3, 2)
        >>> _ = s.update(1.0); s.reset(); s.ready
        False
        """
        self._k = 0
        self._q = 0
        self._ss = self._sf = self._sg = 0.0
        self._es = self._ef = self._eg = 0.0
        self._value = MACDResult(_NAN, _NAN, _NAN)

    def update(self, x: float) -> MACDResult[float]:
        """Add one bar's price; return ``MACDResult(macd, signal, hist)`` (NaNs in the warm-up).

        Examples
        --------
        >>> MACD(1, 1, 1).update(5.0)
        MACDResult(macd=0.0, signal=0.0, hist=0.0)
        """
        v = x if type(x) is float else _to_float(x, "x")
        if not -_INF < v < _INF:
            self.reset()
            return self._value
        k = self._k = self._k + 1
        slow = self.slow
        if k < slow:
            self._ss += v
            if k > slow - self.fast:
                self._sf += v
            return self._value
        if k == slow:
            es = (self._ss + v) / slow
            ef = (self._sf + v) / self.fast
        else:
            es = self._es
            es = (v - es) * self._as + es
            ef = self._ef
            ef = (v - ef) * self._af + ef
        self._es = es
        self._ef = ef
        mv = ef - es
        if self._q < self.signal:
            q = self._q = self._q + 1
            self._sg += mv
            if q < self.signal:
                return self._value
            eg = self._sg / self.signal
        else:
            eg = self._eg
            eg = (mv - eg) * self._ag + eg
        self._eg = eg
        value = self._value = MACDResult(mv, eg, mv - eg)
        return value


class ROC(_Streaming):
    """Streaming rate of change as a fraction; equals :func:`~soltrader.indicators.roc`.

    Parameters
    ----------
    n : int
        Look-back in bars, >= 1. Warm-up: ``n`` bars.

    Examples
    --------
    >>> r = ROC(1)
    >>> r.update(2.0), r.update(3.0)
    (nan, 0.5)
    """

    __slots__ = ("_buf", "n")

    def __init__(self, n: int) -> None:
        self.n = check_window(n, "n")
        self._warmup_bars = self.n
        self._buf: deque[float] = deque(maxlen=self.n)
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = ROC(1)
        >>> _ = s.update(1.0); s.reset(); s.ready
        False
        """
        self._buf.clear()
        self._k = 0
        self._value = _NAN

    def update(self, x: float) -> float:
        """Add one bar's price; return ``(x - x[t-n]) / x[t-n]`` (0 if that price is 0).

        Examples
        --------
        >>> r = ROC(1)
        >>> _ = r.update(0.0); r.update(1.0)
        0.0
        """
        v = x if type(x) is float else _to_float(x, "x")
        if not -_INF < v < _INF:
            self.reset()
            return _NAN
        buf = self._buf
        self._k += 1
        if len(buf) < self.n:
            buf.append(v)
            return _NAN
        ref = buf[0]
        buf.append(v)
        value = self._value = (v - ref) / ref if ref != 0.0 else 0.0
        return value


# ---------------------------------------------------------------------------------------------
# dispersion


class _Moments(_Streaming):
    """Rolling mean and variance over ``n`` values with the kernels' shifted sums and schedule."""

    __slots__ = ("_buf", "_inv_d", "_inv_n", "_j", "_p", "_prev", "_run", "_s1", "_s2")
    __slots__ += ("_shift", "n")

    def _setup(self, n: int, ddof: int) -> None:
        self.n = n
        self._inv_n = 1.0 / n
        self._inv_d = 1.0 / (n - ddof) if n > ddof else _NAN
        self._p = _anchor_period(n)
        self._buf: deque[float] = deque(maxlen=n)

    def _clear(self) -> None:
        self._buf.clear()
        self._k = 0
        self._j = 0
        self._run = 0
        self._prev = _NAN
        self._shift = self._s1 = self._s2 = 0.0

    def _push(self, v: float) -> tuple[float, float] | None:
        """Add a finite value; return ``(mean, var)`` once ``n`` values are in, else None."""
        n = self.n
        buf = self._buf
        old = buf[0] if len(buf) == n else 0.0
        buf.append(v)
        run = self._run = self._run + 1 if v == self._prev else 1
        self._prev = v
        k = self._k = self._k + 1
        if k < n:
            return None
        j = self._j + 1 if k > n else 0
        if j == self._p:
            j = 0
        self._j = j
        if j == 0:
            shift = self._shift = v
            s1 = s2 = 0.0
            for u in buf:
                y = u - shift
                s1 += y
                s2 += y * y
        else:
            shift = self._shift
            d = v - old
            s1 = self._s1 + d
            s2 = self._s2 + d * ((v - shift) + (old - shift))
        self._s1 = s1
        self._s2 = s2
        if run >= n:
            return v, 0.0 * self._inv_d
        q = s1 * self._inv_n
        return shift + q, max(s2 - s1 * q, 0.0) * self._inv_d


class RollingStd(_Moments):
    """Streaming rolling std, divisor ``n - ddof``; equals :func:`.rolling_std`.

    Parameters
    ----------
    n : int
        Window in bars, >= 1, > ``ddof``. Warm-up: ``n - 1`` bars.
    ddof : int, default 0
        0 population std (TA-Lib ``STDDEV``), 1 sample std.

    Examples
    --------
    >>> s = RollingStd(2)
    >>> s.update(1.0), s.update(3.0)
    (nan, 1.0)
    """

    __slots__ = ()

    def __init__(self, n: int, ddof: int = 0) -> None:
        n = check_window(n, "n")
        ddof = check_window(ddof, "ddof", minimum=0)
        if ddof >= n:
            raise ParameterError("ddof", f"must be < n ({n}), got {ddof}")
        self._warmup_bars = n - 1
        self._setup(n, ddof)
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = RollingStd(2)
        >>> _ = s.update(1.0); s.reset(); s.ready
        False
        """
        self._clear()
        self._value = _NAN

    def update(self, x: float) -> float:
        """Add one bar's value; return the rolling std at that bar (NaN during the warm-up).

        Examples
        --------
        >>> RollingStd(1).update(3.0)
        0.0
        """
        v = x if type(x) is float else _to_float(x, "x")
        if not -_INF < v < _INF:
            self.reset()
            return _NAN
        mv = self._push(v)
        if mv is None:
            return _NAN
        value = self._value = math.sqrt(mv[1])
        return value


class ZScore(_Moments):
    """Streaming rolling z-score (population std); equals :func:`~soltrader.indicators.zscore`.

    Parameters
    ----------
    n : int
        Window in bars, >= 1. Warm-up: ``n - 1`` bars.

    Examples
    --------
    >>> z = ZScore(2)
    >>> z.update(1.0), z.update(3.0)
    (nan, 1.0)
    """

    __slots__ = ()

    def __init__(self, n: int) -> None:
        n = check_window(n, "n")
        self._warmup_bars = n - 1
        self._setup(n, 0)
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = ZScore(2)
        >>> _ = s.update(1.0); s.reset(); s.ready
        False
        """
        self._clear()
        self._value = _NAN

    def update(self, x: float) -> float:
        """Add one bar's value; return its z-score in the window (NaN for a constant window).

        Examples
        --------
        >>> ZScore(1).update(3.0)
        nan
        """
        v = x if type(x) is float else _to_float(x, "x")
        if not -_INF < v < _INF:
            self.reset()
            return _NAN
        mv = self._push(v)
        if mv is None:
            return _NAN
        value = self._value = _ratio(v - mv[0], math.sqrt(mv[1]))
        return value


class BBands(_Moments):
    """Streaming Bollinger bands; equals :func:`~soltrader.indicators.bbands`.

    Parameters
    ----------
    n : int, default 20
        Window in bars, >= 1. Warm-up: ``n - 1`` bars.
    k : float, default 2.0
        Band width in population standard deviations, > 0.

    Examples
    --------
    >>> b = BBands(2, 2.0)
    >>> _ = b.update(1.0); b.update(3.0)
    BBandsResult(upper=4.0, middle=2.0, lower=0.0, percent_b=0.75, bandwidth=2.0)
    """

    __slots__ = ("k",)

    def __init__(self, n: int = 20, k: float = 2.0) -> None:
        n = check_window(n, "n")
        self.k = check_positive(k, "k")
        self._warmup_bars = n - 1
        self._setup(n, 0)
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = BBands(2)
        >>> _ = s.update(1.0); s.reset(); s.ready
        False
        """
        self._clear()
        self._value = BBandsResult(_NAN, _NAN, _NAN, _NAN, _NAN)

    def update(self, x: float) -> BBandsResult[float]:
        """Add one bar's price; return ``BBandsResult(upper, middle, lower, percent_b, bandwidth)``.

        Examples
        --------
        >>> BBands(1, 2.0).update(3.0).upper
        3.0
        """
        v = x if type(x) is float else _to_float(x, "x")
        if not -_INF < v < _INF:
            self.reset()
            return self._value
        mv = self._push(v)
        if mv is None:
            return self._value
        mid = mv[0]
        dev = math.sqrt(mv[1]) * self.k
        hi = mid + dev
        lo = mid - dev
        value = BBandsResult(hi, mid, lo, _ratio(v - lo, hi - lo), _ratio(hi - lo, mid))
        self._value = value
        return value


class RealizedVol(_Moments):
    """Streaming realised volatility of log returns; equals :func:`.realized_vol`.

    Parameters
    ----------
    n : int
        Number of log returns in the window, >= 2. Warm-up: ``n`` bars.
    periods_per_year : float, optional
        Bars per year to annualise by (e.g. ``365 * 24`` for hourly bars); default per bar.

    Examples
    --------
    >>> import math
    >>> v = RealizedVol(2)
    >>> [round(v.update(math.exp(r)), 6) for r in (0.0, 0.1, 0.0)][2]
    0.141421
    """

    __slots__ = ("_last_price", "_scale")

    def __init__(self, n: int, periods_per_year: float | None = None) -> None:
        n = check_window(n, "n", minimum=2)
        ppy = check_positive(periods_per_year, "periods_per_year", allow_none=True)
        self._scale = math.sqrt(1.0 if ppy is None else ppy)
        self._warmup_bars = n
        self._setup(n, 1)
        self.reset()

    @property
    def ready(self) -> bool:
        """True once ``n`` log returns are in the window.

        Examples
        --------
        >>> v = RealizedVol(2)
        >>> _ = [v.update(p) for p in (1.0, 1.1, 1.2)]; v.ready
        True
        """
        return self._k >= self.n

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = RealizedVol(2)
        >>> _ = s.update(1.0); s.reset(); s.ready
        False
        """
        self._clear()
        self._last_price = _NAN
        self._value = _NAN

    def update(self, x: float) -> float:
        """Add one bar's price (> 0); return the volatility at that bar (NaN in the warm-up).

        Raises
        ------
        DataError
            If the price is <= 0.

        Examples
        --------
        >>> RealizedVol(2).update(1.0)
        nan
        """
        v = x if type(x) is float else _to_float(x, "x")
        if not -_INF < v < _INF:
            self.reset()
            return _NAN
        if v <= 0.0:
            msg = f"x: price {v!r} must be > 0 for log returns"
            raise DataError(msg, code="nonpositive_price", field="x")
        prev = self._last_price
        self._last_price = v
        if prev != prev:
            return _NAN
        mv = self._push(math.log(v / prev))
        if mv is None:
            return _NAN
        value = self._value = math.sqrt(mv[1]) * self._scale
        return value


# ---------------------------------------------------------------------------------------------
# range


class TrueRange(_Streaming):
    """Streaming true range; equals :func:`~soltrader.indicators.true_range`.

    Warm-up: 1 bar (no previous close).

    Examples
    --------
    >>> tr = TrueRange()
    >>> tr.update(2.0, 1.0, 1.5), tr.update(5.0, 4.0, 4.5)
    (nan, 3.5)
    """

    __slots__ = ("_prev_close",)

    def __init__(self) -> None:
        self._warmup_bars = 1
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = TrueRange()
        >>> _ = s.update(2.0, 1.0, 1.5); s.reset(); s.ready
        False
        """
        self._k = 0
        self._prev_close = _NAN
        self._value = _NAN

    def update(self, high: float, low: float, close: float) -> float:
        """Add one bar; return its true range (NaN at the first bar).

        Examples
        --------
        >>> TrueRange().update(2.0, 1.0, 1.5)
        nan
        """
        h = high if type(high) is float else _to_float(high, "high")
        lo = low if type(low) is float else _to_float(low, "low")
        c = close if type(close) is float else _to_float(close, "close")
        if not (-_INF < h < _INF and -_INF < lo < _INF and -_INF < c < _INF):
            self.reset()
            return _NAN
        pc = self._prev_close
        self._prev_close = c
        self._k += 1
        if pc != pc:
            return _NAN
        value = self._value = _true_range(h, lo, pc)
        return value


class ATR(_Streaming):
    """Streaming Wilder ATR; equals :func:`~soltrader.indicators.atr`.

    Parameters
    ----------
    n : int, default 14
        Smoothing period in bars, >= 1. Warm-up: ``n`` bars.

    Examples
    --------
    >>> a = ATR(1)
    >>> a.update(2.0, 1.0, 1.5), a.update(3.0, 2.0, 2.5)
    (nan, 1.5)
    """

    __slots__ = ("_acc", "_inv", "_keep", "_prev_close", "n")

    def __init__(self, n: int = 14) -> None:
        self.n = check_window(n, "n")
        self._warmup_bars = self.n
        self._inv = 1.0 / self.n
        self._keep = (self.n - 1) / self.n
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = ATR(2)
        >>> _ = s.update(2.0, 1.0, 1.5); s.reset(); s.ready
        False
        """
        self._k = 0
        self._acc = 0.0
        self._prev_close = _NAN
        self._value = _NAN

    def update(self, high: float, low: float, close: float) -> float:
        """Add one bar; return the ATR at that bar (NaN during the warm-up).

        Examples
        --------
        >>> ATR(1).update(2.0, 1.0, 1.5)
        nan
        """
        h = high if type(high) is float else _to_float(high, "high")
        lo = low if type(low) is float else _to_float(low, "low")
        c = close if type(close) is float else _to_float(close, "close")
        if not (-_INF < h < _INF and -_INF < lo < _INF and -_INF < c < _INF):
            self.reset()
            return _NAN
        pc = self._prev_close
        self._prev_close = c
        k = self._k = self._k + 1
        if k == 1:
            return _NAN
        tr = _true_range(h, lo, pc)
        n = self.n
        if k <= n + 1:
            acc = self._acc + tr
            if k <= n:
                self._acc = acc
                return _NAN
            acc *= self._inv
        else:
            acc = self._acc * self._keep + tr * self._inv
        self._acc = self._value = acc
        return acc


class _Extreme(_Streaming):
    """Rolling min or max with a monotonic deque of ``(bar, value)``."""

    __slots__ = ("_dq", "n")
    _max: bool

    def __init__(self, n: int) -> None:
        self.n = check_window(n, "n")
        self._warmup_bars = self.n - 1
        self._dq: deque[tuple[int, float]] = deque()
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = RollingMin(2)
        >>> _ = s.update(1.0); s.reset(); s.ready
        False
        """
        self._dq.clear()
        self._k = 0
        self._value = _NAN

    def update(self, x: float) -> float:
        """Add one bar's value; return the extreme of the last ``n`` bars (NaN in the warm-up).

        Examples
        --------
        >>> RollingMax(2).update(1.0)
        nan
        """
        v = x if type(x) is float else _to_float(x, "x")
        if not -_INF < v < _INF:
            self.reset()
            return _NAN
        k = self._k = self._k + 1
        dq = self._dq
        if dq and dq[0][0] <= k - self.n:
            dq.popleft()
        if self._max:
            while dq and dq[-1][1] <= v:
                dq.pop()
        else:
            while dq and dq[-1][1] >= v:
                dq.pop()
        dq.append((k, v))
        if k < self.n:
            return _NAN
        value = self._value = dq[0][1]
        return value


class RollingMin(_Extreme):
    """Streaming lowest value of the last ``n`` bars; equals :func:`.rolling_min`.

    Parameters
    ----------
    n : int
        Window in bars, >= 1. Warm-up: ``n - 1`` bars.

    Examples
    --------
    >>> m = RollingMin(2)
    >>> [m.update(v) for v in (3.0, 1.0, 2.0)]
    [nan, 1.0, 1.0]
    """

    __slots__ = ()
    _max = False


class RollingMax(_Extreme):
    """Streaming highest value of the last ``n`` bars; equals :func:`.rolling_max`.

    Parameters
    ----------
    n : int
        Window in bars, >= 1. Warm-up: ``n - 1`` bars.

    Examples
    --------
    >>> m = RollingMax(2)
    >>> [m.update(v) for v in (3.0, 1.0, 2.0)]
    [nan, 3.0, 2.0]
    """

    __slots__ = ()
    _max = True


# ---------------------------------------------------------------------------------------------
# volume


def _volume(x: Any) -> float:
    v = x if type(x) is float else _to_float(x, "volume")
    if v < 0.0:
        raise DataError(
            f"volume: {v!r} is negative; volumes must be >= 0",
            code="negative_volume",
            field="volume",
        )
    return v


class VWAP(_Streaming):
    """Streaming rolling VWAP over ``n`` bars; equals :func:`~soltrader.indicators.vwap`.

    Parameters
    ----------
    n : int
        Window in bars, >= 1. Warm-up: ``n - 1`` bars.

    Examples
    --------
    >>> w = VWAP(2)
    >>> w.update(1.0, 1.0, 1.0, 1.0), w.update(2.0, 2.0, 2.0, 3.0)
    (nan, 1.75)
    """

    __slots__ = ("_j", "_nz", "_p", "_pv", "_spv", "_sv", "_vol", "n")

    def __init__(self, n: int) -> None:
        self.n = check_window(n, "n")
        self._warmup_bars = self.n - 1
        self._p = _anchor_period(self.n)
        self._pv: deque[float] = deque(maxlen=self.n)
        self._vol: deque[float] = deque(maxlen=self.n)
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = VWAP(2)
        >>> _ = s.update(2.0, 1.0, 1.5, 10.0); s.reset(); s.ready
        False
        """
        self._pv.clear()
        self._vol.clear()
        self._k = 0
        self._j = 0
        self._nz = 0
        self._spv = self._sv = 0.0
        self._value = _NAN

    def update(self, high: float, low: float, close: float, volume: float) -> float:
        """Add one bar (prices and volume >= 0); return the VWAP at that bar.

        Raises
        ------
        DataError
            If the volume is negative.

        Examples
        --------
        >>> VWAP(1).update(3.0, 1.0, 2.0, 5.0)
        2.0
        """
        h = high if type(high) is float else _to_float(high, "high")
        lo = low if type(low) is float else _to_float(low, "low")
        c = close if type(close) is float else _to_float(close, "close")
        v = volume if type(volume) is float else _to_float(volume, "volume")
        if not (-_INF < h < _INF and -_INF < lo < _INF and -_INF < c < _INF and -_INF < v < _INF):
            self.reset()
            return _NAN
        v = _volume(v)
        n = self.n
        pvs = self._pv
        vols = self._vol
        full = len(vols) == n
        pvo = pvs[0] if full else 0.0
        vo = vols[0] if full else 0.0
        pv = (h + lo + c) / 3.0 * v
        pvs.append(pv)
        vols.append(v)
        k = self._k = self._k + 1
        nz = self._nz + (1 if v != 0.0 else 0) - (1 if full and vo != 0.0 else 0)
        self._nz = nz
        if k < n:
            return _NAN
        j = self._j + 1 if k > n else 0
        if j == self._p:
            j = 0
        self._j = j
        if j == 0:
            spv = sv = 0.0
            for a, b in zip(pvs, vols, strict=True):
                spv += a
                sv += b
        else:
            spv = self._spv + (pv - pvo)
            sv = self._sv + (v - vo)
            if nz == 0:
                spv = sv = 0.0
        self._spv = spv
        self._sv = sv
        value = self._value = _ratio(spv, sv) if nz > 0 else _NAN
        return value


class VolumeSurge(_Streaming):
    """Streaming volume surge ratio; equals :func:`~soltrader.indicators.volume_surge`.

    Parameters
    ----------
    n : int
        Number of previous bars averaged, >= 1. Warm-up: ``n`` bars.

    Examples
    --------
    >>> s = VolumeSurge(2)
    >>> [s.update(v) for v in (1.0, 3.0, 6.0)]
    [nan, nan, 3.0]
    """

    __slots__ = ("_buf", "_evicted", "_inv", "_j", "_nz", "_p", "_s", "n")

    def __init__(self, n: int) -> None:
        self.n = check_window(n, "n")
        self._warmup_bars = self.n
        self._inv = 1.0 / self.n
        self._p = _anchor_period(self.n)
        self._buf: deque[float] = deque(maxlen=self.n)
        self.reset()

    def reset(self) -> None:
        """Forget all bars (as after a missing value).

        Examples
        --------
        >>> s = VolumeSurge(2)
        >>> _ = s.update(1.0); s.reset(); s.ready
        False
        """
        self._buf.clear()
        self._k = 0
        self._j = 0
        self._nz = 0
        self._s = 0.0
        self._evicted = 0.0
        self._value = _NAN

    def update(self, volume: float) -> float:
        """Add one bar's volume (>= 0); return it over the mean of the ``n`` previous volumes.

        Raises
        ------
        DataError
            If the volume is negative.

        Examples
        --------
        >>> s = VolumeSurge(1)
        >>> _ = s.update(0.0); s.update(2.0)
        inf
        """
        v = volume if type(volume) is float else _to_float(volume, "volume")
        if not -_INF < v < _INF:
            self.reset()
            return _NAN
        v = _volume(v)
        n = self.n
        buf = self._buf
        k = self._k = self._k + 1
        if k <= n:
            buf.append(v)
            return _NAN
        j = self._j + 1 if k > n + 1 else 0
        if j == self._p:
            j = 0
        self._j = j
        if j == 0:
            s = 0.0
            nz = 0
            for u in buf:
                s += u
                nz += 1 if u != 0.0 else 0
        else:
            vi = buf[-1]
            vo = self._evicted
            s = self._s + (vi - vo)
            nz = self._nz + (1 if vi != 0.0 else 0) - (1 if vo != 0.0 else 0)
            if nz == 0:
                s = 0.0
        self._s = s
        self._nz = nz
        value = self._value = _ratio(v, s * self._inv)
        self._evicted = buf[0]
        buf.append(v)
        return value
