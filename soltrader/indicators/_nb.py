"""Numba kernels of the technical indicators (``*_nb``): float64 arrays in, float64 arrays out.

Every indicator has a 1-D kernel ``<name>_1d_nb`` taking arrays of shape ``(bars,)`` and a 2-D
kernel ``<name>_2d_nb`` taking arrays of shape ``(bars, columns)``, each column an independent
series. Every kernel takes an optional last argument ``out``: a preallocated float64 output of the
input's shape (a tuple of them for MACD and Bollinger bands) that is filled and returned, so that
sweeps can reuse per-thread scratch buffers; without it the outputs are allocated. Kernels do not
validate their arguments (windows are integers >= 1, inputs of one call have the same shape); the
public wrappers in :mod:`soltrader.indicators.api` do.

Conventions shared by every kernel (the full statement is in ``docs/indicators.md``):

* **Missing bars.** A NaN or ±inf in any input at bar ``t`` gives NaN at ``t`` in every output and
  discards the indicator's state: bar ``t + 1`` starts a new series and the warm-up restarts there.
  The result is therefore the indicator applied to each run of valid bars separately; leading NaNs
  behave as in the TA-Lib Python wrapper, which skips them.
* **Warm-up.** The number of leading NaNs of each run is stated in each kernel's docstring and
  equals TA-Lib's lookback where TA-Lib has the indicator.
* **Zero denominators** (where TA-Lib defines no value) follow IEEE division: ``+inf`` / ``-inf``
  by the sign of the numerator, NaN when the numerator is 0 too.
* **Rolling sums** are updated in O(1) per bar and recomputed from their window at the first
  output of a run and then every ``max(2 n, ANCHOR_BARS)`` outputs, so rounding never accumulates
  over a long series. Means and variances use sums shifted by the newest value ``K`` at the last
  recomputation (``mean = K + sum(x - K) / n``, ``M2 = sum((x - K)²) - sum(x - K)² / n``), never
  ``E[x²] - E[x]²`` of raw prices. Where the last ``n`` values are identical the mean of the
  variance kernels is that value exactly and the variance is exactly 0.
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: Rolling sums are recomputed from their window every ``max(2 n, ANCHOR_BARS)`` outputs.
ANCHOR_BARS = 32

_NAN = np.nan
_INF = np.inf
# Bars per chunk of loops that check for missing values once per chunk (see _atr_run_nb).
_CHUNK = 256
# ATR's two-chain stretches (see _atr_pair_nb): the chains overlap by 2 * _MERGE_BARS * n bars
# (they meet within about 45 n on real and synthetic prices), a stretch is at least _PAIR_MIN
# and at most _PAIR_MAX times _MERGE_BARS * n bars long.
_MERGE_BARS = 32
_PAIR_MIN = 16
_PAIR_MAX = 64

# What the rolling-moments loop writes (see _moments_write_nb).
_MEAN_VAR = 0
_STD = 1
_ZSCORE = 2


# ---------------------------------------------------------------------------------------------
# helpers


@numba.njit(cache=True)
def anchor_period_nb(n: int) -> int:
    """Outputs between two recomputations of a rolling sum over ``n`` bars.

    ``max(2 n, ANCHOR_BARS)``; the first output of every run of valid bars is a recomputation.

    Examples
    --------
    >>> anchor_period_nb(5), anchor_period_nb(200)
    (32, 400)
    """
    return max(2 * n, ANCHOR_BARS)


@numba.njit(cache=True)
def ratio_nb(numerator: float, denominator: float) -> float:
    """``numerator / denominator`` with IEEE semantics for a zero denominator (never raises).

    Examples
    --------
    >>> ratio_nb(1.0, 0.0), ratio_nb(-1.0, 0.0), ratio_nb(0.0, 0.0), ratio_nb(1.0, 4.0)
    (inf, -inf, nan, 0.25)
    """
    if denominator == 0.0:
        if numerator > 0.0:
            return _INF
        if numerator < 0.0:
            return -_INF
        return _NAN
    return numerator / denominator


@numba.njit(cache=True)
def _nan_fill_nb(out: np.ndarray, start: int, stop: int) -> None:
    """Set ``out[start:stop]`` to NaN."""
    for i in range(start, stop):
        out[i] = _NAN


@numba.njit(cache=True)
def _run_end_nb(x: np.ndarray, t: int) -> int:
    """First index ``>= t`` where ``x`` is NaN or ±inf (``len(x)`` if none)."""
    m = x.shape[0]
    while t < m and abs(x[t]) < _INF:
        t += 1
    return t


# ---------------------------------------------------------------------------------------------
# moving averages


@numba.njit(cache=True)
def _sma_run_nb(x: np.ndarray, n: int, p: int, t: int, out: np.ndarray) -> int:
    """SMA of the run of valid bars starting at ``t``; returns where the next run starts.

    Blocks of ``p`` bars run without per-bar checks: a NaN or ±inf entering the window makes the
    running sum non-finite for good, so a finite sum at the end of a block proves it clean; a
    non-finite one sends us looking for the offending bar, which ends the run.
    """
    m = x.shape[0]
    inv = 1.0 / n
    a = t + n - 1
    if a >= m:
        _nan_fill_nb(out, t, m)
        return m
    lo = t
    while True:
        shift = x[a]
        s1 = 0.0
        for i in range(a - n + 1, a + 1):
            s1 += x[i] - shift
        if not abs(s1) < _INF:
            e = _run_end_nb(x, lo)
            if e <= a:
                _nan_fill_nb(out, lo, e + 1)
                return e + 1
        _nan_fill_nb(out, lo, a)
        out[a] = shift + s1 * inv
        stop = min(a + p, m)
        for i in range(a + 1, stop):
            s1 += x[i] - x[i - n]
            out[i] = shift + s1 * inv
        if not abs(s1) < _INF:
            e = _run_end_nb(x, a + 1)
            if e < stop:
                out[e] = _NAN
                return e + 1
        if stop >= m:
            return m
        lo = a = stop


@numba.njit(cache=True)
def sma_1d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Simple moving average of ``x`` over ``n`` bars (price units). Warm-up: ``n - 1`` bars.

    Agrees with TA-Lib ``SMA`` to rounding. The running sum is kept shifted by a recent value
    ``K`` (``mean = K + sum(x - K) / n``) and recomputed from the window every
    ``max(2 n, ANCHOR_BARS)`` bars.

    Examples
    --------
    >>> import numpy as np
    >>> sma_1d_nb(np.array([1.0, 2.0, 3.0, 4.0]), 2)
    array([nan, 1.5, 2.5, 3.5])
    """
    m = x.shape[0]
    if out is None:
        out = np.empty(m)
    p = anchor_period_nb(n)
    t = np.int64(0)  # not the literal 0: one compile of the run function, not two
    while t < m:
        t = _sma_run_nb(x, n, p, t, out)
    return out


@numba.njit(cache=True)
def _ema_run_nb(x: np.ndarray, n: int, a: float, t: int, out: np.ndarray) -> int:
    """EMA of the run of valid bars starting at ``t``; returns where the next run starts."""
    m = x.shape[0]
    s = 0.0
    stop = min(t + n - 1, m)
    while t < stop:
        v = x[t]
        if not abs(v) < _INF:
            out[t] = _NAN
            return t + 1
        s += v
        out[t] = _NAN
        t += 1
    if t >= m:
        return m
    v = x[t]
    if not abs(v) < _INF:
        out[t] = _NAN
        return t + 1
    s += v
    e = s / n
    out[t] = e
    t += 1
    while t < m:
        v = x[t]
        if not abs(v) < _INF:
            out[t] = _NAN
            return t + 1
        e = (v - e) * a + e
        out[t] = e
        t += 1
    return m


@numba.njit(cache=True)
def ema_1d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Exponential moving average, ``alpha = 2 / (n + 1)`` (price units). Warm-up: ``n - 1`` bars.

    Seeded with the SMA of the first ``n`` values, then ``e = (x - e) * alpha + e``: TA-Lib
    ``EMA`` (default compatibility), operation for operation.

    Examples
    --------
    >>> import numpy as np
    >>> ema_1d_nb(np.array([1.0, 2.0, 3.0, 4.0]), 2)
    array([nan, 1.5, 2.5, 3.5])
    """
    m = x.shape[0]
    if out is None:
        out = np.empty(m)
    a = 2.0 / (n + 1)
    t = np.int64(0)  # not the literal 0: one compile of the run function, not two
    while t < m:
        t = _ema_run_nb(x, n, a, t, out)
    return out


@numba.njit(cache=True)
def _wma_run_nb(x: np.ndarray, n: int, p: int, t: int, out: np.ndarray) -> int:
    """WMA of the run of valid bars starting at ``t``; returns where the next run starts.

    Checked per block as in :func:`_sma_run_nb`.
    """
    m = x.shape[0]
    inv = 1.0 / (n * (n + 1) // 2)
    a = t + n - 1
    if a >= m:
        _nan_fill_nb(out, t, m)
        return m
    lo = t
    while True:
        psum = 0.0
        wsum = 0.0
        for i in range(n):
            u = x[a - n + 1 + i]
            psum += u
            wsum += u * (i + 1)
        if not abs(psum) < _INF:
            e = _run_end_nb(x, lo)
            if e <= a:
                _nan_fill_nb(out, lo, e + 1)
                return e + 1
        _nan_fill_nb(out, lo, a)
        out[a] = wsum * inv
        wsum -= psum
        stop = min(a + p, m)
        for i in range(a + 1, stop):
            v = x[i]
            psum += v
            psum -= x[i - n]
            wsum += v * n
            out[i] = wsum * inv
            wsum -= psum
        if not abs(psum) < _INF:
            e = _run_end_nb(x, a + 1)
            if e < stop:
                out[e] = _NAN
                return e + 1
        if stop >= m:
            return m
        lo = a = stop


@numba.njit(cache=True)
def wma_1d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Linearly weighted moving average (weights 1..n, newest heaviest). Warm-up: ``n - 1`` bars.

    TA-Lib ``WMA``'s O(1) update (weighted and plain running sums), with both sums recomputed
    from the window every ``max(2 n, ANCHOR_BARS)`` bars.

    Examples
    --------
    >>> import numpy as np
    >>> wma_1d_nb(np.array([1.0, 2.0, 4.0]), 2)
    array([       nan, 1.66666667, 3.33333333])
    """
    m = x.shape[0]
    if out is None:
        out = np.empty(m)
    p = anchor_period_nb(n)
    t = np.int64(0)  # not the literal 0: one compile of the run function, not two
    while t < m:
        t = _wma_run_nb(x, n, p, t, out)
    return out


# ---------------------------------------------------------------------------------------------
# oscillators


@numba.njit(cache=True)
def _rsi_value_nb(gain: float, loss: float) -> float:
    """RSI from the average gain and loss; 0 when both are 0 (TA-Lib's value)."""
    total = gain + loss
    return 100.0 * (gain / total) if total != 0.0 else 0.0


@numba.njit(cache=True)
def _rsi_run_nb(x: np.ndarray, n: int, t: int, out: np.ndarray) -> int:
    """RSI of the run of valid bars starting at ``t``; returns where the next run starts."""
    m = x.shape[0]
    inv = 1.0 / n
    prev = x[t]
    out[t] = _NAN
    if not abs(prev) < _INF:
        return t + 1
    t += 1
    gain = 0.0
    loss = 0.0
    stop = min(t + n - 1, m)
    while t < stop:
        v = x[t]
        out[t] = _NAN
        if not abs(v) < _INF:
            return t + 1
        d = v - prev
        prev = v
        if d < 0:
            loss -= d
        else:
            gain += d
        t += 1
    if t >= m:
        return m
    v = x[t]
    if not abs(v) < _INF:
        out[t] = _NAN
        return t + 1
    d = v - prev
    prev = v
    if d < 0:
        loss -= d
    else:
        gain += d
    loss *= inv
    gain *= inv
    out[t] = _rsi_value_nb(gain, loss)
    t += 1
    while t < m:
        v = x[t]
        if not abs(v) < _INF:
            out[t] = _NAN
            return t + 1
        d = v - prev
        prev = v
        loss *= n - 1
        gain *= n - 1
        if d < 0:
            loss -= d
        else:
            gain += d
        loss *= inv
        gain *= inv
        out[t] = _rsi_value_nb(gain, loss)
        t += 1
    return m


@numba.njit(cache=True)
def rsi_1d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Wilder's relative strength index, 0..100. Warm-up: ``n`` bars.

    TA-Lib ``RSI``: average gain and loss seeded with the mean of the first ``n`` changes, then
    ``avg = (avg * (n - 1) + change) * (1 / n)``; RSI = ``100 * gain / (gain + loss)`` and 0 when
    ``gain + loss == 0`` (TA-Lib writes 0 whenever ``|gain + loss| < 1e-8``; this kernel only
    when it is exactly 0, so that prices below ~1e-4 do not read as RSI 0).

    Examples
    --------
    >>> import numpy as np
    >>> rsi_1d_nb(np.array([1.0, 2.0, 1.5, 1.5, 3.0]), 2)
    array([        nan,         nan, 66.66666667, 66.66666667, 93.33333333])
    """
    m = x.shape[0]
    if out is None:
        out = np.empty(m)
    t = np.int64(0)  # not the literal 0: one compile of the run function, not two
    while t < m:
        t = _rsi_run_nb(x, n, t, out)
    return out


@numba.njit(cache=True)
def _macd_nan_nb(line: np.ndarray, sig: np.ndarray, hist: np.ndarray, t: int) -> None:
    """Set the three MACD outputs at bar ``t`` to NaN."""
    line[t] = _NAN
    sig[t] = _NAN
    hist[t] = _NAN


@numba.njit(cache=True)
def _macd_run_nb(
    x: np.ndarray,
    fast: int,
    slow: int,
    signal: int,
    t: int,
    line: np.ndarray,
    sig: np.ndarray,
    hist: np.ndarray,
) -> int:
    """MACD of the run of valid bars starting at ``t``; returns where the next run starts."""
    m = x.shape[0]
    af = 2.0 / (fast + 1)
    aslow = 2.0 / (slow + 1)
    ag = 2.0 / (signal + 1)
    first = t
    ss = 0.0
    sf = 0.0
    stop = min(t + slow - 1, m)
    while t < stop:
        v = x[t]
        _macd_nan_nb(line, sig, hist, t)
        if not abs(v) < _INF:
            return t + 1
        ss += v
        if t - first >= slow - fast:
            sf += v
        t += 1
    if t >= m:
        return m
    v = x[t]
    if not abs(v) < _INF:
        _macd_nan_nb(line, sig, hist, t)
        return t + 1
    ss += v
    sf += v
    es = ss / slow
    ef = sf / fast
    q = 0
    sg = 0.0
    while True:
        mv = ef - es
        q += 1
        sg += mv
        if q == signal:
            break
        _macd_nan_nb(line, sig, hist, t)
        t += 1
        if t >= m:
            return m
        v = x[t]
        if not abs(v) < _INF:
            _macd_nan_nb(line, sig, hist, t)
            return t + 1
        es = (v - es) * aslow + es
        ef = (v - ef) * af + ef
    eg = sg / signal
    line[t] = mv
    sig[t] = eg
    hist[t] = mv - eg
    t += 1
    while t < m:
        v = x[t]
        if not abs(v) < _INF:
            _macd_nan_nb(line, sig, hist, t)
            return t + 1
        es = (v - es) * aslow + es
        ef = (v - ef) * af + ef
        mv = ef - es
        eg = (mv - eg) * ag + eg
        line[t] = mv
        sig[t] = eg
        hist[t] = mv - eg
        t += 1
    return m


@numba.njit(cache=True)
def macd_1d_nb(
    x: np.ndarray,
    fast: int,
    slow: int,
    signal: int,
    out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MACD line, signal line and histogram (price units). Warm-up: ``slow + signal - 2`` bars.

    TA-Lib ``MACD``: both EMAs start at bar ``slow - 1``, the slow one seeded with the SMA of the
    first ``slow`` values and the fast one with the SMA of the ``fast`` values ending there; the
    signal is the EMA (SMA-seeded) of the MACD line; all three outputs start together. Needs
    ``fast <= slow``. ``out`` is a tuple ``(line, signal, hist)``.

    Examples
    --------
    >>> import numpy as np
    >>> line, sig, hist = macd_1d_nb(np.arange(1.0, 7.0), 2, 3, 2)
    >>> line
    array([nan, nan, nan, 0.5, 0.5, 0.5])
    """
    m = x.shape[0]
    if out is None:
        out = (np.empty(m), np.empty(m), np.empty(m))
    line, sig, hist = out
    t = np.int64(0)  # not the literal 0: one compile of the run function, not two
    while t < m:
        t = _macd_run_nb(x, fast, slow, signal, t, line, sig, hist)
    return out


@numba.njit(cache=True)
def _roc_run_nb(x: np.ndarray, n: int, t: int, out: np.ndarray) -> int:
    """ROC of the run of valid bars starting at ``t``; returns where the next run starts."""
    m = x.shape[0]
    stop = min(t + n, m)
    while t < stop:
        out[t] = _NAN
        if not abs(x[t]) < _INF:
            return t + 1
        t += 1
    while t < m:
        v = x[t]
        if not abs(v) < _INF:
            out[t] = _NAN
            return t + 1
        ref = x[t - n]
        out[t] = (v - ref) / ref if ref != 0.0 else 0.0
        t += 1
    return m


@numba.njit(cache=True)
def roc_1d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Rate of change over ``n`` bars as a fraction, ``(x[t] - x[t-n]) / x[t-n]``. Warm-up: ``n``.

    TA-Lib ``ROCP``, including its value 0 when ``x[t-n] == 0``.

    Examples
    --------
    >>> import numpy as np
    >>> roc_1d_nb(np.array([2.0, 3.0, 4.0]), 1)
    array([       nan, 0.5       , 0.33333333])
    """
    m = x.shape[0]
    if out is None:
        out = np.empty(m)
    t = np.int64(0)  # not the literal 0: one compile of the run function, not two
    while t < m:
        t = _roc_run_nb(x, n, t, out)
    return out


# ---------------------------------------------------------------------------------------------
# dispersion


@numba.njit(cache=True)
def _moments_write_nb(
    v: float,
    t: int,
    constant: bool,
    shift: float,
    s1: float,
    s2: float,
    inv_n: float,
    inv_d: float,
    mode: int,
    scale: float,
    a: np.ndarray,
    b: np.ndarray,
) -> None:
    """Write bar ``t`` from the shifted sums: mean and variance (``_MEAN_VAR``, into ``a, b``),
    ``std * scale`` (``_STD``, into ``a``) or the z-score (``_ZSCORE``, into ``a``)."""
    if constant:
        mean = v
        var = 0.0 * inv_d
    else:
        q = s1 * inv_n
        mean = shift + q
        var = max(s2 - s1 * q, 0.0) * inv_d
    if mode == _MEAN_VAR:
        a[t] = mean
        b[t] = var
    elif mode == _STD:
        a[t] = math.sqrt(var) * scale
    else:
        a[t] = ratio_nb(v - mean, math.sqrt(var))


@numba.njit(cache=True)
def _moments_nan_nb(mode: int, start: int, stop: int, a: np.ndarray, b: np.ndarray) -> None:
    """Set the outputs of bars ``start .. stop - 1`` to NaN."""
    _nan_fill_nb(a, start, stop)
    if mode == _MEAN_VAR:
        _nan_fill_nb(b, start, stop)


@numba.njit(cache=True)
def _moments_run_nb(
    x: np.ndarray,
    n: int,
    ddof: int,
    p: int,
    t: int,
    mode: int,
    scale: float,
    a: np.ndarray,
    b: np.ndarray,
) -> int:
    """Rolling moments of the run starting at ``t``; returns where the next run starts.

    Checked per block as in :func:`_sma_run_nb`. ``last`` is the newest bar of the run whose
    value differs from its predecessor: the window ending at ``t`` is constant when
    ``last <= t - n + 1``.
    """
    m = x.shape[0]
    inv_n = 1.0 / n
    inv_d = 1.0 / (n - ddof) if n > ddof else _NAN
    k = t + n - 1
    if k >= m:
        _moments_nan_nb(mode, t, m, a, b)
        return m
    lo = t
    last = t
    while True:
        shift = x[k]
        s1 = 0.0
        s2 = 0.0
        for i in range(k - n + 1, k + 1):
            y = x[i] - shift
            s1 += y
            s2 += y * y
        if not abs(s1) < _INF:
            e = _run_end_nb(x, lo)
            if e <= k:
                _moments_nan_nb(mode, lo, e + 1, a, b)
                return e + 1
        for i in range(max(lo, t + 1), k + 1):
            if x[i] != x[i - 1]:
                last = i
        _moments_nan_nb(mode, lo, k, a, b)
        const = last <= k - n + 1
        _moments_write_nb(x[k], k, const, shift, s1, s2, inv_n, inv_d, mode, scale, a, b)
        stop = min(k + p, m)
        for i in range(k + 1, stop):
            v = x[i]
            old = x[i - n]
            d = v - old
            s1 += d
            s2 += d * ((v - shift) + (old - shift))
            last = i if v != x[i - 1] else last
            const = last <= i - n + 1
            _moments_write_nb(v, i, const, shift, s1, s2, inv_n, inv_d, mode, scale, a, b)
        if not abs(s1) < _INF:
            e = _run_end_nb(x, k + 1)
            if e < stop:
                _moments_nan_nb(mode, e, e + 1, a, b)
                return e + 1
        if stop >= m:
            return m
        lo = k = stop


@numba.njit(cache=True)
def _moments_nb(
    x: np.ndarray, n: int, ddof: int, mode: int, scale: float, a: np.ndarray, b: np.ndarray
) -> None:
    """Run :func:`_moments_run_nb` over every run of valid bars of ``x``."""
    m = x.shape[0]
    p = anchor_period_nb(n)
    t = np.int64(0)  # not the literal 0: one compile of the run function, not two
    while t < m:
        t = _moments_run_nb(x, n, ddof, p, t, mode, scale, a, b)


@numba.njit(cache=True)
def rolling_moments_1d_nb(
    x: np.ndarray, n: int, ddof: int, out: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Rolling mean and variance (divisor ``n - ddof``) over ``n`` bars. Warm-up: ``n - 1`` bars.

    The mean is that of :func:`sma_1d_nb` except that a constant window gives its value exactly;
    the variance is then exactly 0. ``n <= ddof`` gives a NaN variance. ``out`` is a tuple
    ``(mean, var)``. (1-D only: a building block for strategy kernels.)

    Examples
    --------
    >>> import numpy as np
    >>> mean, var = rolling_moments_1d_nb(np.array([1.0, 3.0, 3.0]), 2, 0)
    >>> mean, var
    (array([nan,  2.,  3.]), array([nan,  1.,  0.]))
    """
    m = x.shape[0]
    if out is None:
        out = (np.empty(m), np.empty(m))
    mean, var = out
    _moments_nb(x, n, ddof, _MEAN_VAR, 1.0, mean, var)
    return out


@numba.njit(cache=True)
def rolling_std_1d_nb(
    x: np.ndarray, n: int, ddof: int, out: np.ndarray | None = None
) -> np.ndarray:
    """Rolling standard deviation over ``n`` bars, divisor ``n - ddof``. Warm-up: ``n - 1`` bars.

    With ``ddof = 0`` this is TA-Lib ``STDDEV`` (population std, ``nbdev = 1``), computed from
    shifted sums (see the module notes) instead of TA-Lib's ``E[x²] - E[x]²``; a constant window
    gives exactly 0 (TA-Lib gives 0 whenever the variance is below 1e-8). ``n <= ddof`` gives NaN.

    Examples
    --------
    >>> import numpy as np
    >>> rolling_std_1d_nb(np.array([1.0, 3.0, 3.0, 3.0]), 2, 0)
    array([nan,  1.,  0.,  0.])
    """
    if out is None:
        out = np.empty(x.shape[0])
    _moments_nb(x, n, ddof, _STD, 1.0, out, out)
    return out


@numba.njit(cache=True)
def bbands_1d_nb(
    x: np.ndarray,
    n: int,
    k: float,
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bollinger bands: upper, middle, lower (price), %B and bandwidth (fractions).

    ``middle`` is the rolling mean of :func:`rolling_moments_1d_nb` (the SMA), ``std`` the
    population std over ``n`` bars (TA-Lib ``BBANDS`` with ``nbdevup = nbdevdn = k``,
    ``matype = 0``), ``upper/lower = middle ± k * std``, ``%B = (x - lower) / (upper - lower)``,
    ``bandwidth = (upper - lower) / middle``. Warm-up: ``n - 1`` bars. ``out`` is a tuple
    ``(upper, middle, lower, percent_b, bandwidth)``.

    Examples
    --------
    >>> import numpy as np
    >>> upper, middle, lower, pct_b, width = bbands_1d_nb(np.array([1.0, 3.0]), 2, 2.0)
    >>> float(upper[1]), float(lower[1]), float(pct_b[1]), float(width[1])
    (4.0, 0.0, 0.75, 2.0)
    """
    m = x.shape[0]
    if out is None:
        out = (np.empty(m), np.empty(m), np.empty(m), np.empty(m), np.empty(m))
    upper, middle, lower, pct_b, width = out
    _moments_nb(x, n, 0, _MEAN_VAR, 1.0, middle, width)
    for t in range(m):
        mid = middle[t]
        dev = math.sqrt(width[t]) * k
        hi = mid + dev
        lo = mid - dev
        upper[t] = hi
        lower[t] = lo
        pct_b[t] = ratio_nb(x[t] - lo, hi - lo)
        width[t] = ratio_nb(hi - lo, mid)
    return out


@numba.njit(cache=True)
def zscore_1d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Rolling z-score ``(x - mean) / std`` over ``n`` bars, population std. Warm-up: ``n - 1``.

    A constant window has ``x - mean == 0`` and ``std == 0``: NaN.

    Examples
    --------
    >>> import numpy as np
    >>> zscore_1d_nb(np.array([1.0, 3.0, 3.0, 3.0]), 2)
    array([nan,  1., nan, nan])
    """
    if out is None:
        out = np.empty(x.shape[0])
    _moments_nb(x, n, 0, _ZSCORE, 1.0, out, out)
    return out


@numba.njit(cache=True)
def log_returns_1d_nb(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Log returns ``log(x[t] / x[t-1])``; NaN at bar 0 and where either price is missing or <= 0.

    Examples
    --------
    >>> import numpy as np
    >>> log_returns_1d_nb(np.array([1.0, np.e]))
    array([nan,  1.])
    """
    m = x.shape[0]
    if out is None:
        out = np.empty(m)
    prev = _NAN
    for t in range(m):
        v = x[t]
        ok = v > 0.0 and v < _INF
        out[t] = np.log(v / prev) if ok and prev > 0.0 else _NAN
        prev = v if ok else _NAN
    return out


@numba.njit(cache=True)
def realized_vol_1d_nb(
    x: np.ndarray, n: int, periods_per_year: float, out: np.ndarray | None = None
) -> np.ndarray:
    """Realised volatility: sample std (ddof 1) of the last ``n`` log returns × √periods_per_year.

    ``periods_per_year = 1`` gives per-bar volatility (fraction per bar). A price that is missing
    or <= 0 is a missing bar. Warm-up: ``n`` bars (``n`` returns need ``n + 1`` prices).

    Examples
    --------
    >>> import numpy as np
    >>> vol = realized_vol_1d_nb(np.exp(np.array([0.0, 0.1, 0.0, 0.1])), 2, 1.0)
    >>> np.round(vol, 6)
    array([     nan,      nan, 0.141421, 0.141421])
    """
    if out is None:
        out = np.empty(x.shape[0])
    r = log_returns_1d_nb(x)
    _moments_nb(r, n, 1, _STD, math.sqrt(periods_per_year), out, out)
    return out


# ---------------------------------------------------------------------------------------------
# range


@numba.njit(cache=True)
def _true_range_nb(h: float, lo: float, prev_close: float) -> float:
    """TA-Lib's true range of one bar (its comparison order)."""
    greatest = h - lo
    v2 = abs(prev_close - h)
    if v2 > greatest:
        greatest = v2
    v3 = abs(prev_close - lo)
    if v3 > greatest:
        greatest = v3
    return greatest


@numba.njit(cache=True)
def _hlc_valid_nb(h: float, lo: float, c: float) -> bool:
    """True when the three prices are finite."""
    return abs(h) < _INF and abs(lo) < _INF and abs(c) < _INF


@numba.njit(cache=True)
def true_range_1d_nb(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """True range ``max(high - low, |close[t-1] - high|, |close[t-1] - low|)``. Warm-up: 1 bar.

    TA-Lib ``TRANGE`` (undefined at the first bar of a run, which has no previous close).

    Examples
    --------
    >>> import numpy as np
    >>> true_range_1d_nb(np.array([2.0, 5.0]), np.array([1.0, 4.0]), np.array([1.5, 4.5]))
    array([nan, 3.5])
    """
    m = high.shape[0]
    if out is None:
        out = np.empty(m)
    if m == 0:
        return out
    out[0] = _NAN
    # z is 0.0 for a bar with three finite prices and NaN otherwise; adding the z of this bar and
    # of the previous one makes the true range NaN at a missing bar and at the bar after it.
    z_prev = high[0] * 0.0 + low[0] * 0.0 + close[0] * 0.0
    for t in range(1, m):
        h = high[t]
        lo = low[t]
        z = h * 0.0 + lo * 0.0 + close[t] * 0.0
        out[t] = _true_range_nb(h, lo, close[t - 1]) + (z + z_prev)
        z_prev = z
    return out


@numba.njit(cache=True)
def _hlc_run_end_nb(high: np.ndarray, low: np.ndarray, close: np.ndarray, t: int) -> int:
    """First index ``>= t`` where one of the three prices is NaN or ±inf (``len`` if none)."""
    m = high.shape[0]
    while t < m and _hlc_valid_nb(high[t], low[t], close[t]):
        t += 1
    return t


@numba.njit(cache=True)
def _atr_step_nb(
    acc: float, keep: float, inv: float, h: float, lo: float, c: float, prev_close: float
) -> float:
    """One step of Wilder's smoothing: ``acc * keep + tr * inv``, NaN-poisoned.

    ``|c| * 0`` is NaN for a missing close and +0.0 otherwise: adding it changes no true range
    but -0.0 (a high of -0.0 over a low of +0.0), which becomes +0.0. A NaN or ±inf high or low
    makes the true range itself NaN or +inf (the previous close being finite). So the result
    is NaN or +inf from the first bar with a missing price on (``inf * keep`` stays +inf), and
    the plain smoothing before it.
    """
    return acc * keep + (_true_range_nb(h, lo, prev_close) + abs(c) * 0.0) * inv


@numba.njit(cache=True)
def _atr_pair_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    n: int,
    t: int,
    half: int,
    warm: int,
    acc: float,
    out: np.ndarray,
) -> tuple[bool, float]:
    """ATR's steady state over bars ``t .. t + 2 half - 1`` as two interleaved dependency
    chains, exact to the bit; returns ``(done, average at the last bar)``.

    ``acc`` is the exact average at bar ``t - 1``. Chain A continues it over bars ``t ..
    t + half + warm - 1``. Chain B starts ``warm`` bars before the second half from the guess
    ``acc`` and runs to the end. Smoothing forgets its start (by ``(n - 1) / n`` per bar), so
    within a few dozen ``n`` bars B rounds to the very value A has at the same bar; from that
    bar on the two are the same function of the same prices, so B is exact there. The first
    such bar is looked for in the ``2 warm`` bars both computed. The two chains run in one
    loop, so the multiply-add latency that bounds a single chain is paid once per two bars.

    ``done`` is False (keep nothing written beyond bar ``t - 1``; the caller redoes the stretch
    one chain at a time) when an average is not finite at the end (a price is missing in the
    stretch, or a true range overflowed) or when B never met A.
    """
    inv = 1.0 / n
    keep = (n - 1) / n
    one = np.uint64(1)
    ua = np.uint64(t)
    ub = np.uint64(t + half - warm)
    pa = close[ua - one]
    pb = close[ub - one]
    a = acc
    b = acc
    # B's values over the overlap go to ``scratch`` as well as to ``out``, where A, passing
    # there later in the loop, overwrites them with its own.
    w2 = np.uint64(2 * warm)
    scratch = np.empty(2 * warm)
    for j in range(np.uint64(half + warm)):
        i = ua + j
        c = close[i]
        a = _atr_step_nb(a, keep, inv, high[i], low[i], c, pa)
        out[i] = a
        pa = c
        k = ub + j
        c = close[k]
        b = _atr_step_nb(b, keep, inv, high[k], low[k], c, pb)
        out[k] = b
        pb = c
        if j < w2:
            scratch[j] = b
    if abs(a) < _INF and abs(b) < _INF:
        for j in range(w2):
            if scratch[j] == out[ub + j]:
                return True, b
    return False, acc


@numba.njit(cache=True)
def _atr_run_nb(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int, t: int, out: np.ndarray
) -> int:
    """ATR of the run of valid bars starting at ``t``; returns where the next run starts."""
    m = high.shape[0]
    inv = 1.0 / n
    keep = (n - 1) / n
    out[t] = _NAN
    if not _hlc_valid_nb(high[t], low[t], close[t]):
        return t + 1
    prev_close = close[t]
    t += 1
    acc = 0.0
    stop = min(t + n - 1, m)
    while t < stop:
        out[t] = _NAN
        if not _hlc_valid_nb(high[t], low[t], close[t]):
            return t + 1
        acc += _true_range_nb(high[t], low[t], prev_close)
        prev_close = close[t]
        t += 1
    if t >= m:
        return m
    if not _hlc_valid_nb(high[t], low[t], close[t]):
        out[t] = _NAN
        return t + 1
    acc += _true_range_nb(high[t], low[t], prev_close)
    prev_close = close[t]
    acc *= inv
    out[t] = acc
    t += 1
    # Steady state. Long stretches go two at a time through _atr_pair_nb; the rest, and any
    # stretch it gives back, in chunks without per-bar checks: a NaN or ±inf in a bar's prices
    # makes the average NaN or +inf for good (see _atr_step_nb), so a finite average at the end
    # of a chunk proves the chunk clean, otherwise the first bad bar ends the run. The chunk
    # loop is bound by the latency of ``acc * keep + ...`` (a multiply then an add); its indices
    # are unsigned so that numba adds no negative-index wraparound to the loads and stores.
    warm = _MERGE_BARS * n
    pairs_from = t
    while t < m:
        if m - t >= _PAIR_MIN * warm and t >= pairs_from and abs(acc) < _INF:
            half = min(_PAIR_MAX * warm, (m - t) // 2)
            done, merged = _atr_pair_nb(high, low, close, n, t, half, warm, acc, out)
            if done:
                acc = merged
                t += 2 * half
                prev_close = close[t - 1]
                continue
            pairs_from = t + 2 * half
        stop = min(t + _CHUNK, m)
        for i in range(np.uint64(t), np.uint64(stop)):
            c = close[i]
            acc = _atr_step_nb(acc, keep, inv, high[i], low[i], c, prev_close)
            out[i] = acc
            prev_close = c
        if not abs(acc) < _INF:
            e = _hlc_run_end_nb(high, low, close, t)
            if e < stop:
                out[e] = _NAN
                return e + 1
        t = stop
    return m


@numba.njit(cache=True)
def atr_1d_nb(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int, out: np.ndarray | None = None
) -> np.ndarray:
    """Wilder's average true range over ``n`` bars (price units). Warm-up: ``n`` bars.

    TA-Lib ``ATR``: the first value is the mean of the first ``n`` true ranges (bars 1..n, the
    true range being undefined at bar 0), then Wilder's smoothing, computed as
    ``atr = atr * ((n - 1) / n) + tr * (1 / n)`` (equal to TA-Lib's to rounding).

    Examples
    --------
    >>> import numpy as np
    >>> h, lo, c = np.array([2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.5, 3.5])
    >>> atr_1d_nb(h, lo, c, 1)
    array([nan, 1.5, 1.5])
    """
    m = high.shape[0]
    if out is None:
        out = np.empty(m)
    t = np.int64(0)  # not the literal 0: one compile of the run function, not two
    while t < m:
        t = _atr_run_nb(high, low, close, n, t, out)
    return out


@numba.njit(cache=True)
def _all_finite_nb(x: np.ndarray) -> bool:
    """True when every value of ``x`` is finite (no early exit, so that the loop vectorises)."""
    bad = False
    for i in range(x.shape[0]):
        bad |= not abs(x[i]) < _INF
    return not bad


@numba.njit(cache=True)
def _extreme_run_nb(
    x: np.ndarray, n: int, want_max: bool, t: int, buf: np.ndarray, out: np.ndarray
) -> int:
    """Rolling extreme of the run of valid bars starting at ``t``; returns where the next run
    starts.

    Van Herk / Gil-Werman in one pass. The run is cut into blocks of ``n`` bars from ``t``; the
    window ending at bar ``b + r`` of the block at ``b`` is the suffix of the previous block from
    ``b + r - n + 1`` (``buf[prev + r + 1]``) combined with this block's prefix up to ``b + r``
    (``buf[prev + n]`` is a sentinel, for the window that is this whole block). A full block
    also stores its own suffixes at ``buf[cur:cur + n]`` for the next one: its backward scan
    runs in the same loop as the forward one, two independent dependency chains. Ties keep the
    prefix, and within a scan the earlier bar (forward) or the later one (backward). ``buf``
    holds the two suffix buffers of ``n + 1`` values, at 0 and ``n + 1``.

    Spans of about 1024 bars (whole blocks) are tested for NaN / ±inf by one vectorised pass
    before they are scanned; the first missing value ends the run. Loop indices are unsigned so
    that numba adds no negative-index wraparound to the loads and stores.
    """
    m = x.shape[0]
    span = max(1, 1024 // n) * n
    one = np.uint64(1)
    last = np.uint64(n - 1)
    prev = np.uint64(0)
    cur = np.uint64(n + 1)
    b = t
    while True:
        stop = min(b + span, m)
        e = stop
        if not _all_finite_nb(x[b:stop]):
            e = _run_end_nb(x, b)
        while b + n <= e:
            ub = np.uint64(b)
            up = prev + one
            p = x[ub]
            s = x[ub + last]
            for r in range(np.uint64(n)):
                u = x[ub + r]
                q = last - r
                w = x[ub + q]
                v = buf[up + r]
                if want_max:
                    p = u if u > p else p
                    s = w if w > s else s
                    out[ub + r] = v if v > p else p
                else:
                    p = u if u < p else p
                    s = w if w < s else s
                    out[ub + r] = v if v < p else p
                buf[cur + q] = s
            if b == t:
                _nan_fill_nb(out, b, b + n - 1)
            prev, cur = cur, prev
            b += n
        if e < stop or e == m:
            break
    if b == t:
        _nan_fill_nb(out, b, e)
    elif b < e:
        ub = np.uint64(b)
        up = prev + one
        p = x[ub]
        for r in range(np.uint64(e - b)):
            u = x[ub + r]
            v = buf[up + r]
            if want_max:
                p = u if u > p else p
                out[ub + r] = v if v > p else p
            else:
                p = u if u < p else p
                out[ub + r] = v if v < p else p
    if e < m:
        out[e] = _NAN
        return e + 1
    return m


@numba.njit(cache=True)
def _rolling_extreme_nb(x: np.ndarray, n: int, want_max: bool, out: np.ndarray) -> None:
    """Rolling min (``want_max`` False) or max over ``n`` bars, run by run, O(1) per bar."""
    m = x.shape[0]
    buf = np.empty(2 * n + 2)
    sentinel = -_INF if want_max else _INF
    buf[n] = sentinel
    buf[2 * n + 1] = sentinel
    t = np.int64(0)  # not the literal 0: one compile of the run function, not two
    while t < m:
        t = _extreme_run_nb(x, n, want_max, t, buf, out)


@numba.njit(cache=True)
def rolling_min_1d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Lowest value of the last ``n`` bars (TA-Lib ``MIN``). Warm-up: ``n - 1`` bars.

    Examples
    --------
    >>> import numpy as np
    >>> rolling_min_1d_nb(np.array([3.0, 1.0, 2.0, 5.0]), 2)
    array([nan,  1.,  1.,  2.])
    """
    if out is None:
        out = np.empty(x.shape[0])
    _rolling_extreme_nb(x, n, False, out)
    return out


@numba.njit(cache=True)
def rolling_max_1d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Highest value of the last ``n`` bars (TA-Lib ``MAX``). Warm-up: ``n - 1`` bars.

    Examples
    --------
    >>> import numpy as np
    >>> rolling_max_1d_nb(np.array([3.0, 1.0, 2.0, 5.0]), 2)
    array([nan,  3.,  2.,  5.])
    """
    if out is None:
        out = np.empty(x.shape[0])
    _rolling_extreme_nb(x, n, True, out)
    return out


# ---------------------------------------------------------------------------------------------
# volume


@numba.njit(cache=True)
def _hlcv_valid_nb(h: float, lo: float, c: float, v: float) -> bool:
    """True when the three prices and the volume are finite."""
    return abs(h) < _INF and abs(lo) < _INF and abs(c) < _INF and abs(v) < _INF


@numba.njit(cache=True)
def _vwap_run_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    n: int,
    p: int,
    t: int,
    out: np.ndarray,
) -> int:
    """Rolling VWAP of the run starting at ``t``; returns where the next run starts.

    ``nz`` counts the non-zero volumes of the window: when it is 0 both sums are exactly 0.
    """
    m = high.shape[0]
    stop = min(t + n - 1, m)
    while t < stop:
        out[t] = _NAN
        if not _hlcv_valid_nb(high[t], low[t], close[t], volume[t]):
            return t + 1
        t += 1
    while t < m:
        if not _hlcv_valid_nb(high[t], low[t], close[t], volume[t]):
            out[t] = _NAN
            return t + 1
        spv = 0.0
        sv = 0.0
        nz = 0
        for i in range(t - n + 1, t + 1):
            u = volume[i]
            spv += (high[i] + low[i] + close[i]) / 3.0 * u
            sv += u
            nz += 1 if u != 0.0 else 0
        out[t] = ratio_nb(spv, sv) if nz > 0 else _NAN
        stop = min(t + p, m)
        t += 1
        while t < stop:
            v = volume[t]
            if not _hlcv_valid_nb(high[t], low[t], close[t], v):
                out[t] = _NAN
                return t + 1
            i = t - n
            vo = volume[i]
            pv = (high[t] + low[t] + close[t]) / 3.0 * v
            spv += pv - (high[i] + low[i] + close[i]) / 3.0 * vo
            sv += v - vo
            nz += (1 if v != 0.0 else 0) - (1 if vo != 0.0 else 0)
            if nz == 0:
                spv = 0.0
                sv = 0.0
            out[t] = ratio_nb(spv, sv) if nz > 0 else _NAN
            t += 1
    return m


@numba.njit(cache=True)
def vwap_1d_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    n: int,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Rolling VWAP over ``n`` bars: ``sum(tp * volume) / sum(volume)``, ``tp = (h + l + c) / 3``.

    Price units. A window whose volumes are all 0 gives NaN. Warm-up: ``n - 1`` bars.

    Examples
    --------
    >>> import numpy as np
    >>> p, v = np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 0.0])
    >>> vwap_1d_nb(p, p, p, v, 2)
    array([ nan, 1.75, 2.  ])
    """
    m = high.shape[0]
    if out is None:
        out = np.empty(m)
    p = anchor_period_nb(n)
    t = np.int64(0)  # not the literal 0: one compile of the run function, not two
    while t < m:
        t = _vwap_run_nb(high, low, close, volume, n, p, t, out)
    return out


@numba.njit(cache=True)
def _surge_run_nb(volume: np.ndarray, n: int, p: int, t: int, out: np.ndarray) -> int:
    """Volume surge of the run starting at ``t``; returns where the next run starts.

    ``s`` is the sum of the ``n`` volumes before bar ``t`` (exactly 0 when they all are 0).
    """
    m = volume.shape[0]
    inv = 1.0 / n
    stop = min(t + n, m)
    while t < stop:
        out[t] = _NAN
        if not abs(volume[t]) < _INF:
            return t + 1
        t += 1
    while t < m:
        v = volume[t]
        if not abs(v) < _INF:
            out[t] = _NAN
            return t + 1
        s = 0.0
        nz = 0
        for i in range(t - n, t):
            u = volume[i]
            s += u
            nz += 1 if u != 0.0 else 0
        out[t] = ratio_nb(v, s * inv)
        stop = min(t + p, m)
        t += 1
        while t < stop:
            v = volume[t]
            if not abs(v) < _INF:
                out[t] = _NAN
                return t + 1
            vi = volume[t - 1]
            vo = volume[t - 1 - n]
            s += vi - vo
            nz += (1 if vi != 0.0 else 0) - (1 if vo != 0.0 else 0)
            if nz == 0:
                s = 0.0
            out[t] = ratio_nb(v, s * inv)
            t += 1
    return m


@numba.njit(cache=True)
def volume_surge_1d_nb(volume: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Volume surge ratio ``volume[t] / mean(volume[t-n .. t-1])`` (the ``n`` previous bars).

    A ratio, 1 = average. Warm-up: ``n`` bars. Previous volumes all 0 give ``inf`` (or NaN if
    ``volume[t]`` is 0 too).

    Examples
    --------
    >>> import numpy as np
    >>> volume_surge_1d_nb(np.array([1.0, 3.0, 6.0]), 2)
    array([nan, nan,  3.])
    """
    m = volume.shape[0]
    if out is None:
        out = np.empty(m)
    p = anchor_period_nb(n)
    t = np.int64(0)  # not the literal 0: one compile of the run function, not two
    while t < m:
        t = _surge_run_nb(volume, n, p, t, out)
    return out


# ---------------------------------------------------------------------------------------------
# 2-D kernels: each column an independent series; ``out`` as for the 1-D kernels, 2-D


@numba.njit(cache=True)
def sma_2d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`sma_1d_nb` on each column of a (bars, columns) array.

    Examples
    --------
    >>> import numpy as np
    >>> sma_2d_nb(np.array([[1.0, 2.0], [3.0, 4.0]]), 2)
    array([[nan, nan],
           [ 2.,  3.]])
    """
    if out is None:
        out = np.empty(x.shape)
    for c in range(x.shape[1]):
        sma_1d_nb(x[:, c], n, out[:, c])
    return out


@numba.njit(cache=True)
def ema_2d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`ema_1d_nb` on each column of a (bars, columns) array.

    Examples
    --------
    >>> import numpy as np
    >>> ema_2d_nb(np.array([[1.0, 2.0], [3.0, 4.0]]), 2)
    array([[nan, nan],
           [ 2.,  3.]])
    """
    if out is None:
        out = np.empty(x.shape)
    for c in range(x.shape[1]):
        ema_1d_nb(x[:, c], n, out[:, c])
    return out


@numba.njit(cache=True)
def wma_2d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`wma_1d_nb` on each column of a (bars, columns) array.

    Examples
    --------
    >>> import numpy as np
    >>> wma_2d_nb(np.array([[1.0, 2.0], [4.0, 5.0]]), 2)
    array([[nan, nan],
           [ 3.,  4.]])
    """
    if out is None:
        out = np.empty(x.shape)
    for c in range(x.shape[1]):
        wma_1d_nb(x[:, c], n, out[:, c])
    return out


@numba.njit(cache=True)
def rsi_2d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`rsi_1d_nb` on each column of a (bars, columns) array.

    Examples
    --------
    >>> import numpy as np
    >>> rsi_2d_nb(np.array([[1.0, 2.0], [2.0, 1.0]]), 1)
    array([[ nan,  nan],
           [100.,   0.]])
    """
    if out is None:
        out = np.empty(x.shape)
    for c in range(x.shape[1]):
        rsi_1d_nb(x[:, c], n, out[:, c])
    return out


@numba.njit(cache=True)
def macd_2d_nb(
    x: np.ndarray,
    fast: int,
    slow: int,
    signal: int,
    out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`macd_1d_nb` on each column of a (bars, columns) array.

    Examples
    --------
    >>> import numpy as np
    >>> line, sig, hist = macd_2d_nb(np.arange(1.0, 7.0).reshape(6, 1), 2, 3, 2)
    >>> line[-1]
    array([0.5])
    """
    if out is None:
        out = (np.empty(x.shape), np.empty(x.shape), np.empty(x.shape))
    line, sig, hist = out
    for c in range(x.shape[1]):
        macd_1d_nb(x[:, c], fast, slow, signal, (line[:, c], sig[:, c], hist[:, c]))
    return out


@numba.njit(cache=True)
def roc_2d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`roc_1d_nb` on each column of a (bars, columns) array.

    Examples
    --------
    >>> import numpy as np
    >>> roc_2d_nb(np.array([[1.0, 2.0], [2.0, 1.0]]), 1)
    array([[ nan,  nan],
           [ 1. , -0.5]])
    """
    if out is None:
        out = np.empty(x.shape)
    for c in range(x.shape[1]):
        roc_1d_nb(x[:, c], n, out[:, c])
    return out


@numba.njit(cache=True)
def rolling_std_2d_nb(
    x: np.ndarray, n: int, ddof: int, out: np.ndarray | None = None
) -> np.ndarray:
    """:func:`rolling_std_1d_nb` on each column of a (bars, columns) array.

    Examples
    --------
    >>> import numpy as np
    >>> rolling_std_2d_nb(np.array([[1.0, 2.0], [3.0, 2.0]]), 2, 0)
    array([[nan, nan],
           [ 1.,  0.]])
    """
    if out is None:
        out = np.empty(x.shape)
    for c in range(x.shape[1]):
        rolling_std_1d_nb(x[:, c], n, ddof, out[:, c])
    return out


@numba.njit(cache=True)
def bbands_2d_nb(
    x: np.ndarray,
    n: int,
    k: float,
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`bbands_1d_nb` on each column of a (bars, columns) array.

    Examples
    --------
    >>> import numpy as np
    >>> upper, middle, lower, pct_b, width = bbands_2d_nb(np.array([[1.0], [3.0]]), 2, 2.0)
    >>> upper[1], lower[1]
    (array([4.]), array([0.]))
    """
    if out is None:
        s = x.shape
        out = (np.empty(s), np.empty(s), np.empty(s), np.empty(s), np.empty(s))
    upper, middle, lower, pct_b, width = out
    for c in range(x.shape[1]):
        cols = (upper[:, c], middle[:, c], lower[:, c], pct_b[:, c], width[:, c])
        bbands_1d_nb(x[:, c], n, k, cols)
    return out


@numba.njit(cache=True)
def zscore_2d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`zscore_1d_nb` on each column of a (bars, columns) array.

    Examples
    --------
    >>> import numpy as np
    >>> zscore_2d_nb(np.array([[1.0, 2.0], [3.0, 1.0]]), 2)
    array([[nan, nan],
           [ 1., -1.]])
    """
    if out is None:
        out = np.empty(x.shape)
    for c in range(x.shape[1]):
        zscore_1d_nb(x[:, c], n, out[:, c])
    return out


@numba.njit(cache=True)
def realized_vol_2d_nb(
    x: np.ndarray, n: int, periods_per_year: float, out: np.ndarray | None = None
) -> np.ndarray:
    """:func:`realized_vol_1d_nb` on each column of a (bars, columns) array.

    Examples
    --------
    >>> import numpy as np
    >>> vol = realized_vol_2d_nb(np.exp(np.array([[0.0], [0.1], [0.0]])), 2, 1.0)
    >>> np.round(vol[2], 6)
    array([0.141421])
    """
    if out is None:
        out = np.empty(x.shape)
    for c in range(x.shape[1]):
        realized_vol_1d_nb(x[:, c], n, periods_per_year, out[:, c])
    return out


@numba.njit(cache=True)
def true_range_2d_nb(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """:func:`true_range_1d_nb` on each column of (bars, columns) arrays.

    Examples
    --------
    >>> import numpy as np
    >>> h, lo, c = np.array([[2.0], [5.0]]), np.array([[1.0], [4.0]]), np.array([[1.5], [4.5]])
    >>> true_range_2d_nb(h, lo, c)[1]
    array([3.5])
    """
    if out is None:
        out = np.empty(high.shape)
    for c in range(high.shape[1]):
        true_range_1d_nb(high[:, c], low[:, c], close[:, c], out[:, c])
    return out


@numba.njit(cache=True)
def atr_2d_nb(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int, out: np.ndarray | None = None
) -> np.ndarray:
    """:func:`atr_1d_nb` on each column of (bars, columns) arrays.

    Examples
    --------
    >>> import numpy as np
    >>> h, lo, c = np.array([[2.0], [5.0]]), np.array([[1.0], [4.0]]), np.array([[1.5], [4.5]])
    >>> atr_2d_nb(h, lo, c, 1)[1]
    array([3.5])
    """
    if out is None:
        out = np.empty(high.shape)
    for c in range(high.shape[1]):
        atr_1d_nb(high[:, c], low[:, c], close[:, c], n, out[:, c])
    return out


@numba.njit(cache=True)
def rolling_min_2d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`rolling_min_1d_nb` on each column of a (bars, columns) array.

    Examples
    --------
    >>> import numpy as np
    >>> rolling_min_2d_nb(np.array([[1.0, 4.0], [3.0, 2.0]]), 2)
    array([[nan, nan],
           [ 1.,  2.]])
    """
    if out is None:
        out = np.empty(x.shape)
    for c in range(x.shape[1]):
        rolling_min_1d_nb(x[:, c], n, out[:, c])
    return out


@numba.njit(cache=True)
def rolling_max_2d_nb(x: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`rolling_max_1d_nb` on each column of a (bars, columns) array.

    Examples
    --------
    >>> import numpy as np
    >>> rolling_max_2d_nb(np.array([[1.0, 4.0], [3.0, 2.0]]), 2)
    array([[nan, nan],
           [ 3.,  4.]])
    """
    if out is None:
        out = np.empty(x.shape)
    for c in range(x.shape[1]):
        rolling_max_1d_nb(x[:, c], n, out[:, c])
    return out


@numba.njit(cache=True)
def vwap_2d_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    n: int,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`vwap_1d_nb` on each column of (bars, columns) arrays.

    Examples
    --------
    >>> import numpy as np
    >>> p, v = np.array([[1.0], [2.0]]), np.array([[1.0], [3.0]])
    >>> vwap_2d_nb(p, p, p, v, 2)[1]
    array([1.75])
    """
    if out is None:
        out = np.empty(high.shape)
    for c in range(high.shape[1]):
        vwap_1d_nb(high[:, c], low[:, c], close[:, c], volume[:, c], n, out[:, c])
    return out


@numba.njit(cache=True)
def volume_surge_2d_nb(volume: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`volume_surge_1d_nb` on each column of a (bars, columns) array.

    Examples
    --------
    >>> import numpy as np
    >>> volume_surge_2d_nb(np.array([[1.0], [3.0], [6.0]]), 2)[2]
    array([3.])
    """
    if out is None:
        out = np.empty(volume.shape)
    for c in range(volume.shape[1]):
        volume_surge_1d_nb(volume[:, c], n, out[:, c])
    return out
