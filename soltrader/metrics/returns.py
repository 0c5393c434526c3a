"""Metrics of an equity curve or of per-bar returns: return, risk, risk-adjusted ratios, drawdown.

Units: equity in quote currency, returns and drawdowns as fractions (0.25 = 25 %), annualised
figures per 365-day year (crypto trades 24/7), durations in bars. Definitions are stated once in
:mod:`soltrader.metrics`; each function here states its formula and the reference it agrees with.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from soltrader.domain.errors import DataError, ParameterError
from soltrader.metrics import _nb
from soltrader.metrics._validate import (
    YEAR_MS,
    as_float_array,
    as_scalar,
    check_min,
    periods_per_year_of,
    resolve_periods_per_year,
    wrap_like,
)


def _returns(returns: Any) -> np.ndarray:
    arr = as_float_array(returns, "returns")
    return check_min(arr, "returns", -1.0, strict=False, what="per-bar returns (fractions)")


def _equity(equity: Any) -> np.ndarray:
    arr = as_float_array(equity, "equity")
    return check_min(arr, "equity", 0.0, strict=True, what="account values (quote currency)")


def _init(init_cash: float | None) -> float:
    if init_cash is None:
        return np.nan
    return as_scalar(init_cash, "init_cash", low=0.0, strict=True)


def _risk_free_bar(risk_free: float, ppy: float) -> float:
    rate = as_scalar(risk_free, "risk_free", low=-1.0, strict=True)
    return _nb.per_bar_rate_nb(rate, ppy)


def periods_per_year(timeframe: str) -> float:
    """Number of bars of ``timeframe`` in a 365-day, 24/7 crypto year.

    ``365 * 86_400_000 / timeframe_ms(timeframe)``.

    Parameters
    ----------
    timeframe : str
        E.g. ``"1m"``, ``"15m"``, ``"1h"``, ``"4h"``, ``"1d"``, ``"1w"``.

    Returns
    -------
    float
        Bars per year (``"1w"`` gives 52.142857..., not 52).

    Raises
    ------
    ParameterError
        If ``timeframe`` is not a valid timeframe string.

    Examples
    --------
    >>> periods_per_year("1h"), periods_per_year("1m"), periods_per_year("1d")
    (8760.0, 525600.0, 365.0)
    """
    return periods_per_year_of(timeframe)


#: Nanoseconds in the crypto year (365 days), an exact integer.
YEAR_NS = YEAR_MS * 1_000_000
_NS_PER_TICK = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def _most_common_step(ticks: np.ndarray, first_step_count: int | None = None) -> int:
    """The most common spacing of ``ticks`` (the smallest of equally common ones), as
    ``pandas.Series.mode`` gives it. A spacing held by more than half of the gaps is the only
    mode: the usual case (bars without or with few gaps) costs one pass without a temporary
    instead of a hash count of every spacing; ``first_step_count``, the gaps as long as the
    first one when a caller has counted them already, saves even that pass.

    Examples
    --------
    >>> _most_common_step(np.array([0, 60, 120, 300, 360]))
    60
    >>> _most_common_step(np.array([0, 2, 3, 5, 6]))  # 1 and 2 twice each: the smaller
    1
    """
    first = int(ticks[1] - ticks[0])
    if first_step_count is None:
        first_step_count = _nb.first_step_count_nb(ticks)
    if 2 * first_step_count > ticks.size - 1:
        return first
    return int(pd.Series(np.diff(ticks)).mode().iloc[0])


def elapsed_periods_per_year(
    times: Any, *, name: str = "data", first_step_count: int | None = None
) -> float:
    """Observations per 365-day year of **elapsed time**: the annualisation rate of a bar series.

    ``P = n / elapsed_years`` with ``n`` the number of bars and ``elapsed_years = (last open +
    step - first open) / 365 days``: the span from the first bar's open to the last bar's end,
    ``step`` being the most common spacing of the times (the bar length). Annualised figures
    computed with ``P`` follow the calendar, as quantstats' do, not the bar count: with ``n``
    returns, ``(1 + total_return) ** (P / n) - 1`` is ``(end / start) ** (1 / elapsed_years) - 1``,
    and a gap in the data (an exchange outage) neither shortens the year nor inflates the
    annualised return, volatility or Sharpe ratio. Without gaps ``P`` is ``365 days / step``
    exactly: the arithmetic runs on integer nanoseconds and rounds once, so it is the same float
    as :func:`periods_per_year` of the timeframe (``8760.0`` for 1h bars).

    Every annualised statistic of :func:`soltrader.backtest` results, sweeps and walk-forward
    runs uses this rate.

    Parameters
    ----------
    times : pandas.DatetimeIndex or datetime-like array
        Bar open times, strictly increasing, any resolution (``s``, ``ms``, ``us``, ``ns``: the
        same result) and any time zone (naive times are read as UTC).
    name : str
        The argument named in errors.
    first_step_count : int, optional
        How many gaps between the times are as long as the first one, when the caller has
        counted them (the backtest's bar check does, in its pass over the times); by default
        counted here.

    Returns
    -------
    float
        Observations per year.

    Raises
    ------
    ParameterError
        Fewer than 2 bars.
    DataError
        Times that do not increase (a zero or negative bar spacing or span).

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.date_range("2024-01-01", periods=48, freq="1h")
    >>> elapsed_periods_per_year(idx)
    8760.0
    >>> elapsed_periods_per_year(idx[:24].append(idx[36:]))  # 12 hours missing
    6570.0
    """
    try:
        idx = pd.DatetimeIndex(times)
    except (TypeError, ValueError) as exc:
        raise ParameterError(name, f"cannot be read as bar times ({exc})") from exc
    n = len(idx)
    if n < 2:
        raise ParameterError(name, "at least 2 bars are needed to annualise statistics")
    ticks = idx.asi8  # in the index's own unit: exact integers, nothing converted or rounded
    step = _most_common_step(ticks, first_step_count)
    elapsed = (int(ticks[-1]) - int(ticks[0]) + step) * _NS_PER_TICK[idx.unit]
    if step <= 0 or elapsed <= 0:
        raise DataError(
            f"{name}: bar times must increase to annualise statistics (most common spacing "
            f"{step} {idx.unit}, span {elapsed} ns)",
            field=name,
        )
    return n * YEAR_NS / elapsed  # Python integers: one correctly rounded division


def returns_from_equity(equity: Any, *, init_cash: float | None = None) -> Any:
    """Simple per-bar returns of an equity curve: ``r[i] = equity[i] / equity[i-1] - 1``.

    Parameters
    ----------
    equity : array-like or pandas.Series
        Account value per bar (quote currency), finite and > 0.
    init_cash : float, optional
        Account value before the first bar. Given, the result has one return per bar (the first is
        ``equity[0] / init_cash - 1``, as vectorbt's ``Portfolio.returns``); omitted, it has
        ``len(equity) - 1`` returns.

    Returns
    -------
    numpy.ndarray or pandas.Series
        Fractions; a Series (on the matching index) when ``equity`` is a Series.

    Examples
    --------
    >>> returns_from_equity([100.0, 110.0, 99.0]).round(12)
    array([ 0.1, -0.1])
    >>> returns_from_equity([110.0], init_cash=100.0).round(12)
    array([0.1])
    """
    init = _init(init_cash)
    out = _nb.returns_from_equity_nb(_equity(equity), init)
    return wrap_like(out, equity, drop_first=np.isnan(init))


def equity_from_returns(returns: Any, *, start_value: float = 1.0) -> Any:
    """Account value after each bar: ``start_value * cumprod(1 + returns)``.

    Parameters
    ----------
    returns : array-like or pandas.Series
        Per-bar returns (fractions), finite and >= -1.
    start_value : float, default 1.0
        Account value before the first bar (quote currency), > 0.

    Returns
    -------
    numpy.ndarray or pandas.Series
        One value per return (the start value is not included).

    Examples
    --------
    >>> equity_from_returns([0.1, -0.1], start_value=100.0).round(9)
    array([110.,  99.])
    """
    start = as_scalar(start_value, "start_value", low=0.0, strict=True)
    return wrap_like(_nb.equity_from_returns_nb(_returns(returns), start), returns)


def total_return(returns: Any) -> float:
    """Compounded return of the period, ``prod(1 + r) - 1`` (fraction).

    Agrees with ``empyrical.cum_returns_final`` and vectorbt's ``returns.vbt.returns.total()``.

    Examples
    --------
    >>> round(total_return([0.1, -0.1]), 12)
    -0.01
    """
    return float(_nb.total_return_nb(_returns(returns)))


def annualized_return(
    returns: Any, *, timeframe: str | None = None, periods_per_year: float | None = None
) -> float:
    """Geometric annualised return (CAGR), ``prod(1 + r) ** (P / n) - 1`` (fraction per year).

    ``P`` is bars per year (from ``timeframe`` or ``periods_per_year``; give exactly one), ``n``
    the number of returns. Agrees with ``empyrical.annual_return(annualization=P)``.

    Examples
    --------
    >>> round(annualized_return([0.1, 0.1], periods_per_year=1), 12)
    0.1
    """
    ppy = resolve_periods_per_year(timeframe, periods_per_year)
    return float(_nb.annualized_return_nb(_returns(returns), ppy))


def annualized_volatility(
    returns: Any, *, timeframe: str | None = None, periods_per_year: float | None = None
) -> float:
    """Annualised volatility, ``std(r, ddof=1) * sqrt(P)`` (fraction per sqrt-year).

    Nan for fewer than 2 returns; exactly 0.0 for constant returns. Agrees with
    ``empyrical.annual_volatility(annualization=P)``.

    Examples
    --------
    >>> round(annualized_volatility([0.01, -0.01], periods_per_year=4), 12)
    0.028284271247
    """
    ppy = resolve_periods_per_year(timeframe, periods_per_year)
    return float(_nb.annualized_volatility_nb(_returns(returns), ppy))


def sharpe_ratio(
    returns: Any,
    *,
    timeframe: str | None = None,
    periods_per_year: float | None = None,
    risk_free: float = 0.0,
) -> float:
    """Annualised Sharpe ratio, ``mean(r - rf) / std(r - rf, ddof=1) * sqrt(P)``.

    Parameters
    ----------
    returns : array-like or pandas.Series
        Per-bar returns (fractions).
    timeframe, periods_per_year : str or float
        Give exactly one; ``P`` = bars per year.
    risk_free : float, default 0.0
        Risk-free rate **per year** (fraction), turned into the per-bar rate
        ``rf = (1 + risk_free) ** (1 / P) - 1``.

    Returns
    -------
    float
        Nan for fewer than 2 returns. Zero std (all returns equal): ``+inf`` / ``-inf`` by the
        sign of the mean excess return, nan when that is 0 (e.g. a constant equity curve).

    Notes
    -----
    Equals vectorbt 1.2.0's ``sharpe_ratio`` (``year_freq="365 days"``, ``risk_free=rf``) and
    ``empyrical.sharpe_ratio(risk_free=rf, annualization=P)`` for non-degenerate input.

    Examples
    --------
    >>> round(sharpe_ratio([0.0, 0.02, 0.04], periods_per_year=4), 12)
    2.0
    """
    ppy = resolve_periods_per_year(timeframe, periods_per_year)
    return float(_nb.sharpe_ratio_nb(_returns(returns), ppy, _risk_free_bar(risk_free, ppy)))


def downside_deviation(
    returns: Any,
    *,
    timeframe: str | None = None,
    periods_per_year: float | None = None,
    risk_free: float = 0.0,
) -> float:
    """Annualised downside deviation, ``sqrt(mean(min(r - rf, 0) ** 2)) * sqrt(P)``.

    The mean runs over **all** bars (empyrical's ``downside_risk``), with the per-bar threshold
    ``rf`` derived from the yearly ``risk_free`` as in :func:`sharpe_ratio`.

    Examples
    --------
    >>> round(downside_deviation([0.1, -0.1], periods_per_year=1), 12)
    0.070710678119
    """
    ppy = resolve_periods_per_year(timeframe, periods_per_year)
    rf = _risk_free_bar(risk_free, ppy)
    return float(_nb.downside_deviation_nb(_returns(returns), ppy, rf))


def sortino_ratio(
    returns: Any,
    *,
    timeframe: str | None = None,
    periods_per_year: float | None = None,
    risk_free: float = 0.0,
) -> float:
    """Annualised Sortino ratio, ``mean(r - rf) * P / downside_deviation(r, rf)``.

    Downside deviation as in :func:`downside_deviation` (all bars in the mean). Nan for fewer
    than 2 returns; zero downside deviation gives ``+inf`` for a positive mean excess return and
    nan for a zero one. Agrees with ``empyrical.sortino_ratio(required_return=rf,
    annualization=P)``.

    Examples
    --------
    >>> round(sortino_ratio([0.1, -0.1, 0.1], periods_per_year=1), 12)
    0.57735026919
    """
    ppy = resolve_periods_per_year(timeframe, periods_per_year)
    rf = _risk_free_bar(risk_free, ppy)
    return float(_nb.sortino_ratio_nb(_returns(returns), ppy, rf))


def calmar_ratio(
    returns: Any, *, timeframe: str | None = None, periods_per_year: float | None = None
) -> float:
    """Calmar ratio, annualised return / max drawdown (both from ``returns``).

    The drawdown counts the start value 1.0 as the first peak (as :func:`max_drawdown` with
    ``init_cash``). Zero drawdown: ``+inf`` if the annualised return is positive, nan if it is 0.
    Agrees with ``empyrical.calmar_ratio`` wherever that is finite (empyrical gives nan instead of
    ``+inf``).

    Examples
    --------
    >>> round(calmar_ratio([-0.5, 1.0, 0.21], periods_per_year=3), 12)
    0.42
    """
    ppy = resolve_periods_per_year(timeframe, periods_per_year)
    return float(_nb.calmar_ratio_nb(_returns(returns), ppy))


def max_drawdown(equity: Any, *, init_cash: float | None = None) -> float:
    """Largest peak-to-trough fall, ``max(1 - equity / running_peak)``, a fraction >= 0.

    Sign convention: **non-negative**, 0.25 for a 25 % fall (vectorbt and empyrical report -0.25).

    Parameters
    ----------
    equity : array-like or pandas.Series
        Account value per bar (quote currency), > 0.
    init_cash : float, optional
        Account value before the first bar; counts as the first peak, so a loss on the first bar
        is a drawdown. Omitted, the first bar is the first peak (vectorbt's ``Portfolio``
        drawdown). For returns ``r`` use ``max_drawdown(equity_from_returns(r), init_cash=1.0)``,
        which equals ``-empyrical.max_drawdown(r)``.

    Examples
    --------
    >>> round(max_drawdown([100.0, 120.0, 90.0, 130.0]), 12)
    0.25
    >>> round(max_drawdown([90.0, 95.0], init_cash=100.0), 12)
    0.1
    """
    return float(_nb.max_drawdown_nb(_equity(equity), _init(init_cash)))


def max_drawdown_duration(
    equity: Any, *, init_cash: float | None = None, deepest: bool = False
) -> int:
    """Longest drawdown span in bars: from a peak to its recovery, or to the last bar.

    A drawdown starts at the last bar at the running peak and ends at the first later bar whose
    value is back at or above that peak; its span is the difference of the two bar positions. A
    drawdown never recovered runs to the last bar. ``init_cash`` (optional) sits at position -1.

    Parameters
    ----------
    equity : array-like or pandas.Series
        Account value per bar (quote currency), > 0.
    init_cash : float, optional
        Account value before the first bar, the first peak.
    deepest : bool, default False
        Return the span of the drawdown holding the max drawdown instead of the longest span.

    Returns
    -------
    int
        Bars; 0 when the curve never falls below its running peak.

    Notes
    -----
    vectorbt 1.2.0's ``Drawdowns.duration`` counts ``recovery - peak - 1`` for a recovered
    drawdown (bars strictly below the peak) and ``last - peak`` for an active one; here both are
    measured peak to end, so a recovered drawdown is one bar longer than vectorbt's.

    Examples
    --------
    >>> max_drawdown_duration([1.0, 0.9, 0.95, 1.0, 0.5])
    3
    >>> max_drawdown_duration([1.0, 0.9, 0.95, 1.0, 0.5], deepest=True)
    1
    """
    stats = _nb.drawdown_stats_nb(_equity(equity), _init(init_cash))
    return int(stats[2] if deepest else stats[1])


def drawdown(equity: Any, *, init_cash: float | None = None) -> Any:
    """Per-bar drawdown ``1 - equity / running_peak`` (fractions >= 0), for plots and reports.

    ``init_cash`` (optional) seeds the running peak. Returns a Series on ``equity``'s index when
    ``equity`` is a Series.

    Examples
    --------
    >>> drawdown([100.0, 50.0, 75.0, 120.0]).round(12)
    array([0.  , 0.5 , 0.25, 0.  ])
    """
    return wrap_like(_nb.drawdown_nb(_equity(equity), _init(init_cash)), equity)


def exposure(positions: Any) -> float:
    """Share of bars with an open position: ``count(position != 0) / n`` (fraction in [0, 1]).

    Parameters
    ----------
    positions : array-like or pandas.Series
        Position per bar (base units, signed, or booleans); finite.

    Examples
    --------
    >>> exposure([0.0, 1.5, -2.0, 0.0])
    0.5
    """
    return float(_nb.exposure_nb(as_float_array(positions, "positions")))
