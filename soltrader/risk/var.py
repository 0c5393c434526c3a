"""Value at risk and conditional value at risk (expected shortfall) of per-bar returns.

Both are **losses** as positive fractions of the position's value over one bar (or
``horizon`` bars for the normal forms): a 99 % VaR of 0.05 says one bar in a hundred is
expected to lose 5 % or more. Losses are ``-returns``.

* Historical: with ``n`` returns and ``k = max(ceil(n * (1 - level)), 1)`` tail observations,
  VaR is the ``k``-th worst loss and CVaR the mean of the ``k`` worst losses (Hull: with 500
  scenarios the 99 % VaR is the 5th worst loss).
* Parametric (normal): ``VaR = sigma * z - mu`` and ``CVaR = sigma * phi(z) / (1 - level) - mu``
  with ``z = Phi^-1(level)``; over ``h`` bars ``mu * h`` and ``sigma * sqrt(h)`` (Hull: a 10M
  position with a daily sigma of 2 % has a one-day 99 % VaR of 2.326 * 200,000 = 465,300).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from soltrader.domain.errors import ParameterError
from soltrader.risk import nb
from soltrader.risk._inputs import level_arg, positive_int, returns_array


def historical_var(returns: Any, level: float = 0.99) -> float:
    """Historical VaR: the ``k``-th worst loss, ``k = max(ceil(n * (1 - level)), 1)``.

    Parameters
    ----------
    returns : array-like or pandas.Series
        Per-bar returns (fractions), finite, at least one.
    level : float, default 0.99
        Confidence level, in (0, 1).

    Returns
    -------
    float
        VaR, a loss as a positive fraction (negative if even the tail gains).

    Examples
    --------
    >>> r = [-0.07, -0.05, -0.03, -0.01, 0.0, 0.01, 0.02, 0.02, 0.03, 0.04]
    >>> round(historical_var(r, 0.8), 12)  # k = ceil(10 * 0.2) = 2: 2nd worst loss
    0.05
    """
    return float(nb.historical_var_nb(returns_array(returns, "returns"), level_arg(level)))


def historical_cvar(returns: Any, level: float = 0.99) -> float:
    """Historical CVaR (expected shortfall): the mean of the ``k`` worst losses.

    Parameters
    ----------
    returns : array-like or pandas.Series
        Per-bar returns (fractions), finite, at least one.
    level : float, default 0.99
        Confidence level, in (0, 1).

    Returns
    -------
    float
        CVaR, a loss as a positive fraction; always >= the historical VaR.

    Examples
    --------
    >>> r = [-0.07, -0.05, -0.03, -0.01, 0.0, 0.01, 0.02, 0.02, 0.03, 0.04]
    >>> round(historical_cvar(r, 0.8), 12)  # (0.07 + 0.05) / 2
    0.06
    """
    return float(nb.historical_cvar_nb(returns_array(returns, "returns"), level_arg(level)))


def _moments(mean: Any, std: Any, horizon: Any) -> tuple[float, float]:
    """Checked mean and std scaled to ``horizon`` bars: ``(mean * h, std * sqrt(h))``."""
    h = positive_int(horizon, "horizon")
    for name, value in (("mean", mean), ("std", std)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise ParameterError(name, f"expected a number, got {value!r}")
        if not math.isfinite(value):
            raise ParameterError(name, f"expected a finite number, got {value!r}")
    if std < 0:
        raise ParameterError("std", f"expected a standard deviation >= 0, got {std!r}")
    return float(mean) * h, float(std) * math.sqrt(h)


def normal_var(mean: float, std: float, level: float = 0.99, *, horizon: int = 1) -> float:
    """VaR of a normally distributed return: ``std * sqrt(h) * z - mean * h``, z = Phi^-1(level).

    Parameters
    ----------
    mean, std : float
        Mean and standard deviation of the per-bar return (fractions; or of the per-bar P&L in
        quote currency, which gives VaR in quote currency).
    level : float, default 0.99
        Confidence level, in (0, 1).
    horizon : int, default 1
        Bars ``h`` (i.i.d. returns: the mean scales by ``h``, the std by ``sqrt(h)``).

    Returns
    -------
    float
        VaR as a positive loss, in the units of ``mean`` and ``std``.

    Examples
    --------
    >>> round(normal_var(0.0, 200_000.0), 0)  # Hull: 2.326 * 200,000
    465270.0
    >>> round(normal_var(0.0, 200_000.0, horizon=10), 0)  # times sqrt(10)
    1471312.0
    """
    m, s = _moments(mean, std, horizon)
    return float(nb.normal_var_nb(m, s, level_arg(level)))


def normal_cvar(mean: float, std: float, level: float = 0.99, *, horizon: int = 1) -> float:
    """CVaR of a normally distributed return: ``std * phi(z) / (1 - level) - mean`` (over ``h``
    bars: ``mean * h``, ``std * sqrt(h)``).

    Parameters
    ----------
    mean, std : float
        Mean and standard deviation of the per-bar return (or P&L).
    level : float, default 0.99
        Confidence level, in (0, 1).
    horizon : int, default 1
        Bars ``h``.

    Returns
    -------
    float
        CVaR as a positive loss, in the units of ``mean`` and ``std``.

    Examples
    --------
    >>> round(normal_cvar(0.0, 200_000.0), 0)  # 200,000 * 0.026652 / 0.01
    533043.0
    """
    m, s = _moments(mean, std, horizon)
    return float(nb.normal_cvar_nb(m, s, level_arg(level)))


def parametric_var(returns: Any, level: float = 0.99, *, horizon: int = 1) -> float:
    """Normal VaR with the sample mean and standard deviation (ddof 1) of ``returns``.

    Parameters
    ----------
    returns : array-like or pandas.Series
        Per-bar returns (fractions), finite, at least two.
    level : float, default 0.99
        Confidence level, in (0, 1).
    horizon : int, default 1
        Bars ``h``.

    Returns
    -------
    float
        VaR, a loss as a positive fraction.

    Examples
    --------
    >>> round(parametric_var([0.01, -0.01, 0.03, -0.03]), 6)  # std 0.025820 * 2.326348
    0.060066
    """
    r = returns_array(returns, "returns", min_size=2)
    return normal_var(float(r.mean()), float(r.std(ddof=1)), level, horizon=horizon)


def parametric_cvar(returns: Any, level: float = 0.99, *, horizon: int = 1) -> float:
    """Normal CVaR with the sample mean and standard deviation (ddof 1) of ``returns``.

    Parameters
    ----------
    returns : array-like or pandas.Series
        Per-bar returns (fractions), finite, at least two.
    level : float, default 0.99
        Confidence level, in (0, 1).
    horizon : int, default 1
        Bars ``h``.

    Returns
    -------
    float
        CVaR, a loss as a positive fraction.

    Examples
    --------
    >>> round(parametric_cvar([0.01, -0.01, 0.03, -0.03]), 6)  # 0.025820 * 2.665214
    0.068816
    """
    r = returns_array(returns, "returns", min_size=2)
    return normal_cvar(float(r.mean()), float(r.std(ddof=1)), level, horizon=horizon)
