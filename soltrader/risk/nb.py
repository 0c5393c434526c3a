"""Numba kernels of :mod:`soltrader.risk` (``*_nb``): the drawdown / daily-loss guard per bar,
historical and normal VaR / CVaR, the normal quantile, the GARCH(1,1) variance recursion and
forecast, and the correlation of two return tails.

Kernels take and return plain floats and float64 / int64 / bool arrays, do not validate their
arguments (the wrappers do) and can be called from other ``@numba.njit`` code: the simulator
applies :func:`guard_step_nb` bar by bar, sweeps call the VaR kernels per combination.
Importing compiles nothing; numba compiles each kernel on first call and caches it.

Units: equity in quote currency; returns, drawdowns, VaR and CVaR as fractions (VaR and CVaR
are **losses**, positive when the tail loses money); variances in squared fractions per bar.

Examples
--------
>>> import numpy as np
>>> from soltrader.risk.nb import historical_var_nb
>>> round(historical_var_nb(np.array([-0.05, 0.01, -0.02, 0.03]), 0.75), 12)  # worst of 4
0.05
"""

from __future__ import annotations

import math

import numba
import numpy as np

from soltrader.risk.codes import RiskReason

R_OK = np.int64(RiskReason.OK)
R_SOFT_DRAWDOWN = np.int64(RiskReason.SOFT_DRAWDOWN)
R_HARD_DRAWDOWN = np.int64(RiskReason.HARD_DRAWDOWN)
R_DAILY_LOSS = np.int64(RiskReason.DAILY_LOSS)
R_NO_EQUITY = np.int64(RiskReason.NO_EQUITY)

#: Slack when counting tail observations: ``500 * (1 - 0.99)`` is 5.000000000000004 in floats.
TAIL_EPS = 1e-9
#: arch's backcast of the first variance: weights 0.94 ** i over the first 75 residuals.
BACKCAST_DECAY = 0.94
BACKCAST_OBS = np.int64(75)

_SQRT_2PI = math.sqrt(2.0 * math.pi)
_ONE = np.int64(1)
_TRUE = np.bool_(True)
_FALSE = np.bool_(False)

# Acklam's rational approximation of the normal quantile (relative error < 1.15e-9).
_A = np.array(
    [-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
     1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00]
)  # fmt: skip
_B = np.array(
    [-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
     6.680131188771972e01, -1.328068155288572e01]
)  # fmt: skip
_C = np.array(
    [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
     -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00]
)  # fmt: skip
_D = np.array(
    [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00]
)
_P_LOW = 0.02425


# ---------------------------------------------------------------------------------------------
# drawdown guard and daily loss limit


@numba.njit(cache=True)
def guard_step_nb(
    equity: float,
    peak: float,
    day_start: float,
    day_low: float,
    halted: bool,
    soft_drawdown: float,
    soft_multiplier: float,
    hard_drawdown: float,
    daily_loss_limit: float,
) -> tuple[bool, float, bool, np.int64]:
    """Guard verdict for one bar: ``(allowed, size_multiplier, flatten, reason)``.

    In order: a ``halted`` account stays halted (``HARD_DRAWDOWN``); ``equity <= 0`` rejects
    (``NO_EQUITY``); ``equity <= peak * (1 - hard_drawdown)`` rejects and flattens
    (``HARD_DRAWDOWN``); ``day_low <= day_start * (1 - daily_loss_limit)`` rejects
    (``DAILY_LOSS``); ``equity <= peak * (1 - soft_drawdown)`` allows at ``soft_multiplier``
    (``SOFT_DRAWDOWN``); else allows at 1 (``OK``). A limit of ``inf`` disables its guard.
    Rejections carry a multiplier of 0.

    Examples
    --------
    >>> guard_step_nb(84.0, 100.0, 90.0, 84.0, False, 0.15, 0.5, 0.2, 0.1)
    (True, 0.5, False, 1)
    """
    if halted:
        return _FALSE, 0.0, _FALSE, R_HARD_DRAWDOWN
    if equity <= 0.0:
        return _FALSE, 0.0, _FALSE, R_NO_EQUITY
    if equity <= peak * (1.0 - hard_drawdown):
        return _FALSE, 0.0, _TRUE, R_HARD_DRAWDOWN
    if day_low <= day_start * (1.0 - daily_loss_limit):
        return _FALSE, 0.0, _FALSE, R_DAILY_LOSS
    if equity <= peak * (1.0 - soft_drawdown):
        return _TRUE, soft_multiplier, _FALSE, R_SOFT_DRAWDOWN
    return _TRUE, 1.0, _FALSE, R_OK


@numba.njit(cache=True)
def guard_path_nb(
    equity: np.ndarray,
    day: np.ndarray,
    init_equity: float,
    soft_drawdown: float,
    soft_multiplier: float,
    hard_drawdown: float,
    daily_loss_limit: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`guard_step_nb` over an equity path: per-bar allowed, multiplier, flatten, reason.

    ``equity[i]`` is the account value at bar ``i``'s close, ``day[i]`` its day number (e.g.
    UTC days since the epoch). Running state: ``peak`` starts at ``init_equity`` and takes the
    max of every close; a new day starts when ``day`` changes, with ``day_start`` = the previous
    close (``init_equity`` on the first day) and ``day_low`` = the lowest of ``day_start`` and the
    day's closes so far. A hard-drawdown breach flattens at its bar and halts every bar after
    it; a daily-loss breach blocks entries until the day changes.

    Examples
    --------
    >>> eq = np.array([100.0, 110.0, 92.0, 87.0, 95.0])
    >>> allowed, mult, flat, reason = guard_path_nb(eq, np.zeros(5, np.int64), 100.0,
    ...                                             0.15, 0.5, 0.2, np.inf)
    >>> allowed.tolist(), mult.tolist()
    ([True, True, True, False, False], [1.0, 1.0, 0.5, 0.0, 0.0])
    >>> flat.tolist()
    [False, False, False, True, False]
    """
    n = equity.shape[0]
    allowed = np.empty(n, dtype=np.bool_)
    multiplier = np.empty(n)
    flatten = np.empty(n, dtype=np.bool_)
    reason = np.empty(n, dtype=np.int64)
    peak = init_equity
    day_start = init_equity
    day_low = init_equity
    halted = _FALSE
    for i in range(n):
        if i > 0 and day[i] != day[i - 1]:
            day_start = equity[i - 1]
            day_low = day_start
        e = equity[i]
        peak = max(peak, e)
        day_low = min(day_low, e)
        a, m, f, r = guard_step_nb(
            e, peak, day_start, day_low, halted,
            soft_drawdown, soft_multiplier, hard_drawdown, daily_loss_limit,
        )  # fmt: skip
        allowed[i] = a
        multiplier[i] = m
        flatten[i] = f
        reason[i] = r
        halted = halted or f
    return allowed, multiplier, flatten, reason


# ---------------------------------------------------------------------------------------------
# VaR / CVaR


@numba.njit(cache=True)
def tail_count_nb(n: int, level: float) -> np.int64:
    """Observations in the ``1 - level`` tail of ``n``: ``max(ceil(n * (1 - level) - 1e-9), 1)``.

    Examples
    --------
    >>> int(tail_count_nb(500, 0.99)), int(tail_count_nb(20, 0.99))
    (5, 1)
    """
    k = np.int64(math.ceil(n * (1.0 - level) - TAIL_EPS))
    return max(k, _ONE)


@numba.njit(cache=True)
def historical_var_nb(returns: np.ndarray, level: float) -> float:
    """Historical VaR: the ``k``-th worst loss, ``k = tail_count_nb(n, level)`` (loss = -return).

    With 500 returns at 99 % it is the 5th worst loss (Hull's convention).

    Examples
    --------
    >>> round(historical_var_nb(np.array([0.01, -0.03, 0.02, -0.01]), 0.5), 12)  # k = 2
    0.01
    """
    ordered = np.sort(returns)
    k = tail_count_nb(returns.shape[0], level)
    return -ordered[k - 1]


@numba.njit(cache=True)
def historical_cvar_nb(returns: np.ndarray, level: float) -> float:
    """Historical CVaR (expected shortfall): the mean of the ``k`` worst losses (same ``k``).

    Examples
    --------
    >>> round(historical_cvar_nb(np.array([0.01, -0.03, 0.02, -0.01]), 0.5), 12)  # (3 + 1) / 2
    0.02
    """
    ordered = np.sort(returns)
    k = tail_count_nb(returns.shape[0], level)
    total = 0.0
    for i in range(k):
        total -= ordered[i]
    return total / k


@numba.njit(cache=True)
def _ppf_lower_nb(p: float) -> float:
    """``Phi^-1(p)`` for ``0 < p <= 0.5``: Acklam's approximation and one Halley step."""
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        num = ((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]
        x = num / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0)
    else:
        q = p - 0.5
        r = q * q
        num = (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q
        x = num / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0)
    err = 0.5 * math.erfc(-x / math.sqrt(2.0)) - p
    u = err * _SQRT_2PI * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


@numba.njit(cache=True)
def norm_ppf_nb(p: float) -> float:
    """Standard normal quantile ``Phi^-1(p)`` for ``0 < p < 1``: Acklam's approximation refined
    by one Halley step, computed on the lower half (``-Phi^-1(1 - p)`` above 0.5, where
    ``1 - p`` is exact); agrees with ``scipy.stats.norm.ppf`` to ~1e-15 relative.

    Examples
    --------
    >>> round(norm_ppf_nb(0.99), 6)
    2.326348
    """
    if p > 0.5:
        return -_ppf_lower_nb(1.0 - p)
    return _ppf_lower_nb(p)


@numba.njit(cache=True)
def normal_var_nb(mean: float, std: float, level: float) -> float:
    """Parametric (normal) VaR of a return with ``mean`` and ``std``: ``std * z - mean``,
    ``z = Phi^-1(level)``.

    Examples
    --------
    >>> round(normal_var_nb(0.0, 0.02, 0.99), 6)  # 2.326348 * 0.02
    0.046527
    """
    return std * norm_ppf_nb(level) - mean


@numba.njit(cache=True)
def normal_cvar_nb(mean: float, std: float, level: float) -> float:
    """Parametric (normal) CVaR: ``std * phi(z) / (1 - level) - mean``, ``z = Phi^-1(level)``.

    Examples
    --------
    >>> round(normal_cvar_nb(0.0, 0.02, 0.99), 6)  # 0.02 * 0.026652 / 0.01
    0.053304
    """
    z = norm_ppf_nb(level)
    density = math.exp(-0.5 * z * z) / _SQRT_2PI
    return std * density / (1.0 - level) - mean


# ---------------------------------------------------------------------------------------------
# GARCH(1, 1)


@numba.njit(cache=True)
def garch_backcast_nb(resid: np.ndarray) -> float:
    """Starting variance as ``arch`` computes it: ``sum(w_i * resid_i ** 2)`` over the first
    ``min(75, n)`` residuals with weights ``0.94 ** i`` normalised to sum to 1.

    Examples
    --------
    >>> round(garch_backcast_nb(np.array([0.1, 0.3])), 6)  # (0.01 + 0.94 * 0.09) / 1.94
    0.048763
    """
    tau = min(BACKCAST_OBS, resid.shape[0])
    total = 0.0
    weights = 0.0
    w = 1.0
    for i in range(tau):
        total += w * resid[i] * resid[i]
        weights += w
        w *= BACKCAST_DECAY
    return total / weights


@numba.njit(cache=True)
def garch_variance_nb(
    resid: np.ndarray, omega: float, alpha: float, beta: float, backcast: float
) -> np.ndarray:
    """Conditional variances ``s2[t] = omega + alpha * resid[t-1] ** 2 + beta * s2[t-1]``, with
    ``backcast`` standing in for both ``resid[-1] ** 2`` and ``s2[-1]``.

    Examples
    --------
    >>> garch_variance_nb(np.array([0.1, -0.2]), 0.001, 0.1, 0.8, 0.01).round(6)
    array([0.01, 0.01])
    """
    n = resid.shape[0]
    out = np.empty(n)
    prev_r2 = backcast
    prev_s2 = backcast
    for t in range(n):
        out[t] = omega + alpha * prev_r2 + beta * prev_s2
        prev_r2 = resid[t] * resid[t]
        prev_s2 = out[t]
    return out


@numba.njit(cache=True)
def garch_forecast_nb(
    last_resid: float, last_variance: float, omega: float, alpha: float, beta: float, horizon: int
) -> np.ndarray:
    """Variance forecasts for the next ``horizon`` bars after the last observation.

    ``f[0] = omega + alpha * last_resid ** 2 + beta * last_variance``;
    ``f[h] = omega + (alpha + beta) * f[h - 1]`` (the expected squared shock is the variance).

    Examples
    --------
    >>> garch_forecast_nb(0.2, 0.01, 0.001, 0.1, 0.8, 2).round(6)  # 0.001 + 0.004 + 0.008
    array([0.013 , 0.0127])
    """
    out = np.empty(horizon)
    out[0] = omega + alpha * last_resid * last_resid + beta * last_variance
    for h in range(1, horizon):
        out[h] = omega + (alpha + beta) * out[h - 1]
    return out


# ---------------------------------------------------------------------------------------------
# correlation


@numba.njit(cache=True)
def tail_correlation_nb(a: np.ndarray, b: np.ndarray, min_obs: int) -> float:
    """Pearson correlation of the last ``m = min(len(a), len(b))`` values of ``a`` and ``b``.

    NaN when ``m < min_obs`` or either tail is constant (no estimate).

    Examples
    --------
    >>> round(tail_correlation_nb(np.array([9.0, 1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0]), 3), 12)
    1.0
    """
    m = min(a.shape[0], b.shape[0])
    if m < min_obs or m < 2:
        return np.nan
    x = a[a.shape[0] - m :]
    y = b[b.shape[0] - m :]
    mx = x.mean()
    my = y.mean()
    sxy = 0.0
    sxx = 0.0
    syy = 0.0
    for i in range(m):
        dx = x[i] - mx
        dy = y[i] - my
        sxy += dx * dy
        sxx += dx * dx
        syy += dy * dy
    if sxx <= 0.0 or syy <= 0.0:
        return np.nan
    return sxy / math.sqrt(sxx * syy)
