"""Numba kernels of the performance metrics (``*_nb``).

Every kernel takes plain 1-D float64 arrays and floats and returns a float, an int, a small tuple
or (only where the result *is* a series) one new array, so that a sweep kernel can call them per
parameter combination from its own ``njit`` code. Inputs are assumed validated by the public
wrappers in :mod:`soltrader.metrics.returns` and :mod:`soltrader.metrics.trades`: finite values,
equity > 0, returns >= -1, ``periods_per_year`` > 0. An absent start value is passed as ``nan``.

Conventions shared by all kernels (see :mod:`soltrader.metrics` for the full statement):

* returns are simple per-bar returns (fractions): ``r[i] = equity[i] / equity[i-1] - 1``;
* drawdown is a non-negative fraction: ``1 - value / running_peak``;
* a ratio whose denominator is exactly zero is ``+inf`` or ``-inf`` by the sign of its numerator,
  and ``nan`` when the numerator is zero or undefined (see :func:`safe_ratio_nb`);
* a statistic of too few observations is ``nan`` (Sharpe, Sortino and volatility need >= 2
  returns; annualised return needs >= 1; trade averages need >= 1 trade of the kind).
"""

from __future__ import annotations

import numba
import numpy as np

# ---------------------------------------------------------------------------------------------
# helpers


@numba.njit(cache=True, nogil=True)
def rows_in_market_nb(positions: np.ndarray) -> int:
    """How many rows of ``positions`` (bars x assets) hold any position other than 0, in one
    pass and without a temporary (``(positions != 0).any(axis=1).sum()``).

    Examples
    --------
    >>> rows_in_market_nb(np.array([[0.0, 0.0], [0.0, -1.0], [2.0, 1.0]]))
    2
    """
    count = 0
    if positions.shape[1] == 1:  # one asset: a branch-free count the compiler vectorises
        for t in range(positions.shape[0]):
            count += positions[t, 0] != 0.0
        return count
    for t in range(positions.shape[0]):
        for j in range(positions.shape[1]):
            if positions[t, j] != 0.0:
                count += 1
                break
    return count


@numba.njit(cache=True, nogil=True)
def first_step_count_nb(ticks: np.ndarray) -> int:
    """How many spacings of ``ticks`` (at least 2 integers) equal the first one, in one pass
    and without a temporary (``np.count_nonzero(np.diff(ticks) == np.diff(ticks)[0])``).

    Examples
    --------
    >>> first_step_count_nb(np.array([0, 60, 120, 300, 360]))
    3
    """
    first = ticks[1] - ticks[0]
    count = 0
    for i in range(1, ticks.shape[0]):
        if ticks[i] - ticks[i - 1] == first:
            count += 1
    return count


@numba.njit(cache=True)
def safe_ratio_nb(numerator: float, denominator: float) -> float:
    """``numerator / denominator`` with the library's zero-denominator rule.

    ``denominator == 0``: ``+inf`` if ``numerator > 0``, ``-inf`` if ``numerator < 0``, ``nan`` if
    ``numerator`` is 0 or nan. Otherwise the plain quotient (nan propagates).

    Examples
    --------
    >>> safe_ratio_nb(1.0, 0.0), safe_ratio_nb(0.0, 0.0), safe_ratio_nb(1.0, 4.0)
    (inf, nan, 0.25)
    """
    if denominator == 0.0:
        if numerator > 0.0:
            return np.inf
        if numerator < 0.0:
            return -np.inf
        return np.nan
    return numerator / denominator


@numba.njit(cache=True)
def per_bar_rate_nb(rate_per_year: float, periods_per_year: float) -> float:
    """Per-bar rate that compounds to ``rate_per_year`` over ``periods_per_year`` bars.

    ``(1 + rate_per_year) ** (1 / periods_per_year) - 1`` (fractions).

    Examples
    --------
    >>> round(per_bar_rate_nb(0.05, 365.0) * 365, 6)
    0.048793
    """
    if rate_per_year == 0.0:
        return 0.0
    return (1.0 + rate_per_year) ** (1.0 / periods_per_year) - 1.0


@numba.njit(cache=True)
def returns_from_equity_nb(equity: np.ndarray, init_value: float) -> np.ndarray:
    """Simple per-bar returns of an equity curve.

    With ``init_value`` nan the result has ``len(equity) - 1`` returns (the first bar has no
    predecessor); otherwise ``len(equity)`` returns, the first being ``equity[0] / init_value - 1``.

    Examples
    --------
    >>> import numpy as np
    >>> returns_from_equity_nb(np.array([100.0, 110.0, 99.0]), np.nan)
    array([ 0.1, -0.1])
    """
    n = equity.shape[0]
    if np.isnan(init_value):
        out = np.empty(max(n - 1, 0), dtype=np.float64)
        for i in range(1, n):
            out[i - 1] = equity[i] / equity[i - 1] - 1.0
        return out
    out = np.empty(n, dtype=np.float64)
    prev = init_value
    for i in range(n):
        out[i] = equity[i] / prev - 1.0
        prev = equity[i]
    return out


@numba.njit(cache=True)
def equity_from_returns_nb(returns: np.ndarray, start_value: float) -> np.ndarray:
    """Account value after each bar: ``start_value * cumprod(1 + returns)``.

    Examples
    --------
    >>> import numpy as np
    >>> equity_from_returns_nb(np.array([0.1, -0.1]), 100.0)
    array([110.,  99.])
    """
    out = np.empty(returns.shape[0], dtype=np.float64)
    value = start_value
    for i in range(returns.shape[0]):
        value = value * (1.0 + returns[i])
        out[i] = value
    return out


# ---------------------------------------------------------------------------------------------
# returns-based


@numba.njit(cache=True)
def total_return_nb(returns: np.ndarray) -> float:
    """Compounded return of the whole period: ``prod(1 + r) - 1`` (fraction; 0.0 for no returns).

    Examples
    --------
    >>> import numpy as np
    >>> round(total_return_nb(np.array([0.1, -0.1])), 12)
    -0.01
    """
    growth = 1.0
    for i in range(returns.shape[0]):
        growth *= 1.0 + returns[i]
    return growth - 1.0


@numba.njit(cache=True)
def cagr_nb(growth: float, n_periods: int, periods_per_year: float) -> float:
    """Annualised geometric return of a growth factor earned over ``n_periods`` bars.

    ``growth ** (periods_per_year / n_periods) - 1``; nan when ``n_periods`` is 0.

    Examples
    --------
    >>> round(cagr_nb(1.21, 2, 1.0), 12)
    0.1
    """
    if n_periods <= 0:
        return np.nan
    return growth ** (periods_per_year / n_periods) - 1.0


@numba.njit(cache=True)
def annualized_return_nb(returns: np.ndarray, periods_per_year: float) -> float:
    """CAGR of per-bar returns: ``prod(1 + r) ** (periods_per_year / n) - 1`` (fraction per year).

    Examples
    --------
    >>> import numpy as np
    >>> round(annualized_return_nb(np.array([0.1, 0.1]), 1.0), 12)
    0.1
    """
    return cagr_nb(total_return_nb(returns) + 1.0, returns.shape[0], periods_per_year)


@numba.njit(cache=True)
def _mean_std_nb(returns: np.ndarray, shift: float) -> tuple[float, float]:
    """Mean and sample std (ddof=1) of ``returns - shift``; std is exactly 0.0 if all are equal."""
    n = returns.shape[0]
    total = 0.0
    lo = np.inf
    hi = -np.inf
    for i in range(n):
        x = returns[i]
        total += x - shift
        lo = min(lo, x)
        hi = max(hi, x)
    mean = total / n
    if lo == hi:
        return mean, 0.0
    squares = 0.0
    for i in range(n):
        d = returns[i] - shift - mean
        squares += d * d
    return mean, np.sqrt(squares / (n - 1))


@numba.njit(cache=True)
def annualized_volatility_nb(returns: np.ndarray, periods_per_year: float) -> float:
    """Sample std (ddof=1) of per-bar returns x ``sqrt(periods_per_year)``; nan for < 2 returns.

    Examples
    --------
    >>> import numpy as np
    >>> round(annualized_volatility_nb(np.array([0.01, -0.01]), 4.0), 12)
    0.028284271247
    """
    if returns.shape[0] < 2:
        return np.nan
    return _mean_std_nb(returns, 0.0)[1] * np.sqrt(periods_per_year)


@numba.njit(cache=True)
def sharpe_ratio_nb(returns: np.ndarray, periods_per_year: float, risk_free_bar: float) -> float:
    """Annualised Sharpe ratio: ``mean(r - rf) / std(r - rf, ddof=1) * sqrt(periods_per_year)``.

    ``risk_free_bar`` is the per-bar risk-free return. Fewer than 2 returns: nan. Zero std: the
    zero-denominator rule of :func:`safe_ratio_nb` (``+-inf``, or nan if the mean is 0 too).

    Examples
    --------
    >>> import numpy as np
    >>> round(sharpe_ratio_nb(np.array([0.0, 0.02, 0.04]), 4.0, 0.0), 12)
    2.0
    """
    if returns.shape[0] < 2:
        return np.nan
    mean, std = _mean_std_nb(returns, risk_free_bar)
    if std == 0.0:
        return safe_ratio_nb(mean, 0.0)
    return mean / std * np.sqrt(periods_per_year)


@numba.njit(cache=True)
def downside_deviation_nb(returns: np.ndarray, periods_per_year: float, mar_bar: float) -> float:
    """Annualised downside deviation below a per-bar minimum acceptable return (empyrical's).

    ``sqrt(sum(min(r - mar, 0) ** 2) / n) * sqrt(periods_per_year)`` -- the mean runs over **all**
    ``n`` bars, not only the losing ones. Nan for no returns.

    Examples
    --------
    >>> import numpy as np
    >>> round(downside_deviation_nb(np.array([0.1, -0.1]), 1.0, 0.0), 12)
    0.070710678119
    """
    n = returns.shape[0]
    if n == 0:
        return np.nan
    squares = 0.0
    for i in range(n):
        d = returns[i] - mar_bar
        if d < 0.0:
            squares += d * d
    return np.sqrt(squares / n) * np.sqrt(periods_per_year)


@numba.njit(cache=True)
def sortino_ratio_nb(returns: np.ndarray, periods_per_year: float, mar_bar: float) -> float:
    """Annualised Sortino ratio: ``mean(r - mar) * periods_per_year / downside_deviation``.

    Fewer than 2 returns: nan; zero downside deviation: the rule of :func:`safe_ratio_nb`.

    Examples
    --------
    >>> import numpy as np
    >>> round(sortino_ratio_nb(np.array([0.1, -0.1, 0.1]), 1.0, 0.0), 12)
    0.57735026919
    """
    n = returns.shape[0]
    if n < 2:
        return np.nan
    total = 0.0
    for i in range(n):
        total += returns[i] - mar_bar
    reward = total / n * periods_per_year
    return safe_ratio_nb(reward, downside_deviation_nb(returns, periods_per_year, mar_bar))


# ---------------------------------------------------------------------------------------------
# drawdown


@numba.njit(cache=True)
def _drawdown_stats_nb(
    values: np.ndarray, init_value: float, compound: bool
) -> tuple[float, int, int]:
    """One pass over account values (or over returns compounded from 1.0 when ``compound``).

    Returns ``(max_drawdown, longest_span, deepest_span)``. A start value (``init_value``, or 1.0
    when compounding returns) sits at position -1 and is the first peak. The running peak moves to
    every bar whose value is >= it; a drawdown episode starts at the last bar at the peak and ends
    at the first bar back at or above it (recovery) or at the last bar; its span is the difference
    of those positions, in bars.
    """
    n = values.shape[0]
    if compound:
        peak = 1.0
        peak_idx = -1
    elif np.isnan(init_value):
        if n == 0:
            return 0.0, 0, 0
        peak = values[0]
        peak_idx = 0
    else:
        peak = init_value
        peak_idx = -1
    wealth = 1.0
    max_dd = 0.0
    longest = 0
    deepest = 0
    deepest_peak_idx = -2
    underwater = False
    for i in range(n):
        if compound:
            wealth = wealth * (1.0 + values[i])
            value = wealth
        else:
            value = values[i]
        if value >= peak:
            if underwater:
                span = i - peak_idx
                longest = max(longest, span)
                if deepest_peak_idx == peak_idx:
                    deepest = span
                underwater = False
            peak = value
            peak_idx = i
        else:
            underwater = True
            dd = 1.0 - value / peak
            if dd > max_dd:
                max_dd = dd
                deepest_peak_idx = peak_idx
    if underwater:
        span = n - 1 - peak_idx
        longest = max(longest, span)
        if deepest_peak_idx == peak_idx:
            deepest = span
    return max_dd, longest, deepest


@numba.njit(cache=True)
def drawdown_stats_nb(equity: np.ndarray, init_value: float) -> tuple[float, int, int]:
    """Max drawdown (fraction >= 0), longest drawdown span and the deepest one's span (bars).

    ``init_value`` (nan for none) is the account value before the first bar and counts as the
    first peak. A span runs from the last bar at a peak to the first bar back at or above it, or
    to the last bar if the peak is never regained.

    Examples
    --------
    >>> import numpy as np
    >>> dd, longest, deepest = drawdown_stats_nb(np.array([100.0, 80.0, 90.0, 100.0]), np.nan)
    >>> round(dd, 12), longest, deepest
    (0.2, 3, 3)
    """
    return _drawdown_stats_nb(equity, init_value, False)


@numba.njit(cache=True)
def drawdown_stats_returns_nb(returns: np.ndarray) -> tuple[float, int, int]:
    """:func:`drawdown_stats_nb` of the wealth ``cumprod(1 + returns)``, 1.0 at position -1.

    Examples
    --------
    >>> import numpy as np
    >>> dd, longest, deepest = drawdown_stats_returns_nb(np.array([-0.5, 1.0]))
    >>> round(dd, 12), longest, deepest
    (0.5, 2, 2)
    """
    return _drawdown_stats_nb(returns, np.nan, True)


@numba.njit(cache=True)
def max_drawdown_nb(equity: np.ndarray, init_value: float) -> float:
    """Largest peak-to-trough fall of an equity curve, ``max(1 - value / running_peak)`` (>= 0).

    Examples
    --------
    >>> import numpy as np
    >>> round(max_drawdown_nb(np.array([100.0, 120.0, 90.0, 130.0]), np.nan), 12)
    0.25
    """
    return _drawdown_stats_nb(equity, init_value, False)[0]


@numba.njit(cache=True)
def max_drawdown_returns_nb(returns: np.ndarray) -> float:
    """Max drawdown of ``cumprod(1 + returns)`` with the start value 1.0 as the first peak.

    Examples
    --------
    >>> import numpy as np
    >>> round(max_drawdown_returns_nb(np.array([-0.25, 0.1])), 12)
    0.25
    """
    return _drawdown_stats_nb(returns, np.nan, True)[0]


@numba.njit(cache=True)
def max_drawdown_duration_nb(equity: np.ndarray, init_value: float) -> int:
    """Longest drawdown span in bars (see :func:`drawdown_stats_nb`); 0 without any drawdown.

    Examples
    --------
    >>> import numpy as np
    >>> max_drawdown_duration_nb(np.array([1.0, 0.9, 0.95, 1.0, 0.99]), np.nan)
    3
    """
    return _drawdown_stats_nb(equity, init_value, False)[1]


@numba.njit(cache=True)
def drawdown_nb(equity: np.ndarray, init_value: float) -> np.ndarray:
    """Per-bar drawdown ``1 - equity / running_peak`` (fractions >= 0); ``init_value`` seeds it.

    Examples
    --------
    >>> import numpy as np
    >>> drawdown_nb(np.array([100.0, 50.0, 100.0]), np.nan)
    array([0. , 0.5, 0. ])
    """
    n = equity.shape[0]
    out = np.empty(n, dtype=np.float64)
    peak = -np.inf if np.isnan(init_value) else init_value
    for i in range(n):
        peak = max(peak, equity[i])
        out[i] = 1.0 - equity[i] / peak
    return out


@numba.njit(cache=True)
def calmar_ratio_nb(returns: np.ndarray, periods_per_year: float) -> float:
    """Annualised return / max drawdown (both of ``returns``, drawdown from a 1.0 start).

    Zero drawdown follows :func:`safe_ratio_nb`: ``+inf`` for a positive return, nan for 0.

    Examples
    --------
    >>> import numpy as np
    >>> round(calmar_ratio_nb(np.array([-0.5, 1.0, 0.0, 0.0]), 4.0), 12)
    0.0
    """
    ann = annualized_return_nb(returns, periods_per_year)
    return safe_ratio_nb(ann, max_drawdown_returns_nb(returns))


@numba.njit(cache=True)
def exposure_nb(positions: np.ndarray) -> float:
    """Share of bars with a non-zero position (fraction in [0, 1]); nan for no bars.

    Examples
    --------
    >>> import numpy as np
    >>> exposure_nb(np.array([0.0, 1.5, -2.0, 0.0]))
    0.5
    """
    n = positions.shape[0]
    if n == 0:
        return np.nan
    count = 0
    for i in range(n):
        if positions[i] != 0.0:
            count += 1
    return count / n


# ---------------------------------------------------------------------------------------------
# trade-based (pnl and fees in quote currency, trade returns as fractions)


@numba.njit(cache=True)
def _gains_losses_nb(pnl: np.ndarray) -> tuple[float, int, float, int]:
    """``(gross profit, n winners, gross loss as a positive number, n losers)``; 0 is neither."""
    gain = 0.0
    loss = 0.0
    n_win = 0
    n_loss = 0
    for i in range(pnl.shape[0]):
        x = pnl[i]
        if x > 0.0:
            gain += x
            n_win += 1
        elif x < 0.0:
            loss -= x
            n_loss += 1
    return gain, n_win, loss, n_loss


@numba.njit(cache=True)
def win_rate_nb(pnl: np.ndarray) -> float:
    """Winning trades (pnl > 0) / all trades; breakeven trades count as trades, not wins.

    Examples
    --------
    >>> import numpy as np
    >>> win_rate_nb(np.array([5.0, -1.0, 0.0, 2.0]))
    0.5
    """
    n = pnl.shape[0]
    if n == 0:
        return np.nan
    return _gains_losses_nb(pnl)[1] / n


@numba.njit(cache=True)
def profit_factor_nb(pnl: np.ndarray) -> float:
    """Gross profit / gross loss; ``+inf`` with no loss, 0.0 with no profit, nan with neither.

    Examples
    --------
    >>> import numpy as np
    >>> profit_factor_nb(np.array([6.0, -2.0, -1.0]))
    2.0
    """
    gain, _, loss, _ = _gains_losses_nb(pnl)
    return safe_ratio_nb(gain, loss)


@numba.njit(cache=True)
def expectancy_nb(pnl: np.ndarray) -> float:
    """Mean pnl per trade (quote currency); nan with no trades.

    Examples
    --------
    >>> import numpy as np
    >>> expectancy_nb(np.array([6.0, -2.0, -1.0]))
    1.0
    """
    n = pnl.shape[0]
    if n == 0:
        return np.nan
    total = 0.0
    for i in range(n):
        total += pnl[i]
    return total / n


@numba.njit(cache=True)
def avg_win_nb(pnl: np.ndarray) -> float:
    """Mean pnl of the winning trades (> 0, quote currency); nan with no winner.

    Examples
    --------
    >>> import numpy as np
    >>> avg_win_nb(np.array([6.0, -2.0, 2.0]))
    4.0
    """
    gain, n_win, _, _ = _gains_losses_nb(pnl)
    return gain / n_win if n_win > 0 else np.nan


@numba.njit(cache=True)
def avg_loss_nb(pnl: np.ndarray) -> float:
    """Mean pnl of the losing trades (a negative number, quote currency); nan with no loser.

    Examples
    --------
    >>> import numpy as np
    >>> avg_loss_nb(np.array([6.0, -2.0, -1.0]))
    -1.5
    """
    _, _, loss, n_loss = _gains_losses_nb(pnl)
    return -loss / n_loss if n_loss > 0 else np.nan


@numba.njit(cache=True)
def win_loss_ratio_nb(pnl: np.ndarray) -> float:
    """Average win / ``|average loss|``: ``+inf`` if no loser, 0.0 if no winner, nan if neither.

    Examples
    --------
    >>> import numpy as np
    >>> win_loss_ratio_nb(np.array([6.0, -2.0, -1.0]))
    4.0
    """
    gain, n_win, loss, n_loss = _gains_losses_nb(pnl)
    if n_loss == 0:
        return np.inf if n_win > 0 else np.nan
    if n_win == 0:
        return 0.0
    return (gain / n_win) / (loss / n_loss)


@numba.njit(cache=True)
def best_trade_nb(trade_returns: np.ndarray) -> float:
    """Largest per-trade return (fraction); nan with no trades.

    Examples
    --------
    >>> import numpy as np
    >>> best_trade_nb(np.array([0.05, -0.02]))
    0.05
    """
    if trade_returns.shape[0] == 0:
        return np.nan
    return trade_returns.max()


@numba.njit(cache=True)
def worst_trade_nb(trade_returns: np.ndarray) -> float:
    """Smallest per-trade return (fraction); nan with no trades.

    Examples
    --------
    >>> import numpy as np
    >>> worst_trade_nb(np.array([0.05, -0.02]))
    -0.02
    """
    if trade_returns.shape[0] == 0:
        return np.nan
    return trade_returns.min()


@numba.njit(cache=True)
def fees_paid_nb(fees: np.ndarray) -> float:
    """Sum of fees (quote currency); 0.0 with no trades.

    Examples
    --------
    >>> import numpy as np
    >>> fees_paid_nb(np.array([0.5, 0.25]))
    0.75
    """
    total = 0.0
    for i in range(fees.shape[0]):
        total += fees[i]
    return total


@numba.njit(cache=True)
def turnover_nb(notional: np.ndarray, equity: np.ndarray) -> float:
    """Traded notional / mean equity: ``sum(|notional|) / mean(equity)`` (times the equity traded).

    Examples
    --------
    >>> import numpy as np
    >>> turnover_nb(np.array([100.0, 110.0]), np.array([100.0, 110.0]))
    2.0
    """
    traded = 0.0
    for i in range(notional.shape[0]):
        traded += abs(notional[i])
    total = 0.0
    for i in range(equity.shape[0]):
        total += equity[i]
    return safe_ratio_nb(traded, total / equity.shape[0])


@numba.njit(cache=True)
def annualized_turnover_nb(
    notional: np.ndarray, equity: np.ndarray, periods_per_year: float
) -> float:
    """Turnover per year: ``turnover * periods_per_year / len(equity)`` (bars = periods).

    Examples
    --------
    >>> import numpy as np
    >>> annualized_turnover_nb(np.array([100.0, 100.0]), np.array([100.0, 100.0]), 365.0)
    365.0
    """
    return turnover_nb(notional, equity) * periods_per_year / equity.shape[0]


# ---------------------------------------------------------------------------------------------
# everything at once: one backtest's statistics in two passes over its equity curve


#: The first pass's state over an equity curve, as an array (:func:`curve_state_nb`): a caller
#: that produces the curve value by value (the fused sweep's simulation) runs the pass as it goes.
#: ``CS_RF`` holds the risk-free rate per bar, ``CS_DONE`` 1.0 once the pass has run;
#: ``CS_DEFER`` 1.0 asks :func:`finish_curve_nb` to leave the spread to :func:`spread_pair_nb`
#: and stays 1.0 where it did (:func:`spread_deferred_nb`).
CS_PREV, CS_TOTAL_RF, CS_LO, CS_HI, CS_VALUE_SUM, CS_PEAK_IDX, CS_LOWEST = 0, 1, 3, 4, 5, 8, 14
CS_RF, CS_DONE, CS_DEFER = 15, 16, 17
N_CURVE_STATE = 18


@numba.njit(cache=True, inline="always")
def _curve_start(start: float) -> tuple:
    """The first pass's state before the first value: ``(prev, total_rf, downside, lo, hi,
    value_sum, peak, low, peak_idx, max_dd, longest, deepest, deepest_peak_idx, underwater,
    lowest)``; the start value is the first peak, before value 0."""
    zero = np.int64(0)
    # integers and the flag typed as the loaded state's (int64, a bool that is not a literal),
    # so that every caller of curve_advance_nb shares one compiled signature
    return (start, 0.0, 0.0, np.inf, -np.inf, 0.0, start, np.inf, np.int64(-1), 0.0, zero, zero,
            np.int64(-2), zero > zero, np.inf)  # fmt: skip


@numba.njit(cache=True, inline="always")
def curve_advance_nb(state: tuple, i: int, value: float, x: float, rf: float,
                     scratch: np.ndarray) -> tuple:  # fmt: skip
    """The first pass at value ``i`` of the curve, whose return is ``x`` (``value / prev - 1``,
    kept in ``scratch[i]``): the sums, the extreme returns, the least value and the drawdown
    state; a drawdown is only divided out on a new low since the peak. Inlined into the loops
    that call it (its state then stays in registers); :func:`curve_step_nb` is the one value
    form, compiled once."""
    (prev, total_rf, downside, lo, hi, value_sum, peak, low, peak_idx, max_dd, longest, deepest,
     deepest_peak_idx, underwater, lowest) = state  # fmt: skip
    lowest = value if value < lowest else lowest
    value_sum += value
    scratch[i] = x
    total_rf += x - rf
    lo = x if x < lo else lo
    hi = x if x > hi else hi
    d = x - rf
    d = d if d < 0.0 else 0.0  # adding 0.0 * 0.0 leaves the sum exactly as it was
    downside += d * d
    prev = value
    if value >= peak:
        if underwater:
            span = i - peak_idx
            longest = max(longest, span)
            if deepest_peak_idx == peak_idx:
                deepest = span
            underwater = False
        peak = value
        low = np.inf
        peak_idx = i
    elif value < low:
        underwater = True
        low = value
        dd = 1.0 - value / peak
        if dd > max_dd:
            max_dd = dd
            deepest_peak_idx = peak_idx
    return (prev, total_rf, downside, lo, hi, value_sum, peak, low, peak_idx, max_dd, longest,
            deepest, deepest_peak_idx, underwater, lowest)  # fmt: skip


@numba.njit(cache=True, error_model="numpy", inline="always")
def _vol_sharpe(sq_rf: float, sq_0: float, mean_rf: float, n_ret: int, spread: bool,
                periods_per_year: float) -> tuple[float, float]:  # fmt: skip
    """The annualised volatility and Sharpe ratio from the second pass's sums of squared
    deviations (``sq_rf`` around the mean excess return ``mean_rf``, ``sq_0`` around the mean
    return); ``spread`` is False for returns that are all equal (no deviation)."""
    std_rf = np.sqrt(sq_rf / (n_ret - 1)) if spread else 0.0
    std_0 = np.sqrt(sq_0 / (n_ret - 1)) if spread else 0.0
    vol = std_0 * np.sqrt(periods_per_year)
    if std_rf == 0.0:
        return vol, safe_ratio_nb(mean_rf, 0.0)
    return vol, mean_rf / std_rf * np.sqrt(periods_per_year)


@numba.njit(cache=True, error_model="numpy")
def _curve_finish(
    state: tuple, n: int, first: int, start: float, periods_per_year: float,
    risk_free_bar: float, scratch: np.ndarray, skip_spread: bool,
) -> tuple:  # fmt: skip
    """:func:`curve_stats_nb`'s result from the first pass's ``state`` over ``n`` values (the
    returns from value ``first`` on in ``scratch``): the second pass and the ratios. With
    ``skip_spread`` the second pass is left to :func:`spread_pair_nb` (the volatility and the
    Sharpe ratio are NaN here)."""
    (prev, total_rf, downside, lo, hi, value_sum, _peak, _low, peak_idx, max_dd, longest, deepest,
     deepest_peak_idx, underwater, lowest) = state  # fmt: skip
    if lowest <= 0.0:
        nan = np.nan
        return (nan, nan, nan, nan, nan, nan, nan, nan, nan, 0, 0, value_sum, True)
    n_ret = n - first
    if underwater:
        span = n - 1 - peak_idx
        longest = max(longest, span)
        if deepest_peak_idx == peak_idx:
            deepest = span
    end = prev  # the last value (the start value when there is none)
    growth = end / start
    ann = cagr_nb(growth, n_ret, periods_per_year)
    vol = np.nan
    sharpe = np.nan
    sortino = np.nan
    if n_ret >= 2:
        mean_rf = total_rf / n_ret
        total_0 = 0.0
        if risk_free_bar != 0.0:
            for i in range(first, n):
                total_0 += scratch[i] - 0.0
        else:
            total_0 = total_rf
        mean_0 = total_0 / n_ret
        sq_rf = 0.0
        sq_0 = 0.0
        if skip_spread:
            sq_rf = sq_0 = np.nan
        elif lo != hi:
            if risk_free_bar == 0.0:
                for i in range(first, n):
                    d_0 = scratch[i] - 0.0 - mean_0
                    sq_0 += d_0 * d_0
                sq_rf = sq_0
            else:
                for i in range(first, n):
                    x = scratch[i]
                    d_rf = x - risk_free_bar - mean_rf
                    sq_rf += d_rf * d_rf
                    d_0 = x - 0.0 - mean_0
                    sq_0 += d_0 * d_0
        vol, sharpe = _vol_sharpe(sq_rf, sq_0, mean_rf, n_ret, lo != hi, periods_per_year)
        reward = total_rf / n_ret * periods_per_year
        dd_dev = np.sqrt(downside / n_ret) * np.sqrt(periods_per_year)
        sortino = safe_ratio_nb(reward, dd_dev)
    calmar = safe_ratio_nb(ann, max_dd)
    return (start, end, growth - 1.0, ann, vol, sharpe, sortino, calmar, max_dd, longest, deepest,
            value_sum, False)  # fmt: skip


@numba.njit(cache=True, error_model="numpy")
def curve_stats_nb(
    equity: np.ndarray,
    init_value: float,
    periods_per_year: float,
    risk_free_bar: float,
    scratch: np.ndarray,
) -> tuple[float, float, float, float, float, float, float, float, float, int, int, float, bool]:
    """Every returns-based statistic of an equity curve in two passes.

    Gives bit for bit what the single-purpose kernels give on ``returns_from_equity_nb(equity,
    init_value)``: the same returns, summed in the same order (this is what lets a fused sweep
    and ``Result.stats`` agree exactly). ``scratch`` (at least ``len(equity)`` floats) holds the
    returns between the passes; a drawdown is only divided out on a new low since the peak.

    The first pass also finds the least value: a curve with a value of zero or less is ruined
    (a return after it is undefined), and then only ``ruined`` and the sum of the values are
    meaningful (the other fields are NaN or 0; :func:`ruined_stats_nb` computes its
    statistics). The sum is NaN when a value is (what :func:`backtest_stats_nb` reports).
    Divisions follow IEEE rules here (``error_model="numpy"``): a zero value divides without an
    exception, and its result is discarded with the rest. The first pass is
    :func:`curve_step_nb`'s, value by value, so a caller that produces the curve may run it as it
    goes (:func:`curve_state_nb`).

    Returns
    -------
    tuple
        ``(start, end, total_return, annualized_return, annualized_volatility, sharpe, sortino,
        calmar, max_drawdown, longest_drawdown_bars, deepest_drawdown_bars, sum_of_values,
        ruined)``.

    Examples
    --------
    >>> import numpy as np
    >>> s = curve_stats_nb(np.array([110.0, 99.0, 121.0]), 100.0, 3.0, 0.0, np.empty(3))
    >>> round(s[2], 12), round(s[8], 12), s[9]
    (0.21, 0.1, 2)
    """
    n = equity.shape[0]
    first = np.int64(0 if not np.isnan(init_value) else 1)
    start = init_value if first == 0 else equity[0]
    cs = np.empty(N_CURVE_STATE)
    curve_state_nb(cs, start, risk_free_bar)
    if first == 1:  # the first value has no return: it only starts the sum, the least value
        cs[CS_PEAK_IDX] = 0.0  # and the peak
        cs[CS_VALUE_SUM] = 0.0 + start
        cs[CS_LOWEST] = start if start < np.inf else np.inf
    state = curve_load_nb(cs)
    for i in range(first, n):
        value = equity[i]
        state = curve_advance_nb(state, i, value, value / state[CS_PREV] - 1.0, risk_free_bar,
                                 scratch)  # fmt: skip
    # no deferral: ``first < 0`` is False but not a literal, so that this call and
    # finish_curve_nb's share one compiled _curve_finish
    return _curve_finish(state, n, first, start, periods_per_year, risk_free_bar, scratch,
                         first < 0)  # fmt: skip


@numba.njit(cache=True)
def curve_load_nb(cs: np.ndarray) -> tuple:
    """The first pass's state kept in ``cs`` (:func:`curve_state_nb`)."""
    return (cs[0], cs[1], cs[2], cs[3], cs[4], cs[5], cs[6], cs[7], np.int64(cs[8]),
            cs[9], np.int64(cs[10]), np.int64(cs[11]), np.int64(cs[12]), cs[13] != 0.0,
            cs[14])  # fmt: skip


@numba.njit(cache=True)
def curve_store_nb(cs: np.ndarray, state: tuple) -> None:
    """Keep the first pass's ``state`` in ``cs`` (indices and flags as exact floats)."""
    (cs[0], cs[1], cs[2], cs[3], cs[4], cs[5], cs[6], cs[7], cs[8], cs[9], cs[10], cs[11], cs[12],
     cs[13], cs[14]) = (state[0], state[1], state[2], state[3], state[4], state[5], state[6],
                        state[7], float(state[8]), state[9], float(state[10]), float(state[11]),
                        float(state[12]), 1.0 if state[13] else 0.0, state[14])  # fmt: skip


@numba.njit(cache=True)
def curve_state_nb(cs: np.ndarray, init_value: float, risk_free_bar: float) -> None:
    """Start the first pass of :func:`curve_stats_nb` in ``cs`` (``N_CURVE_STATE`` floats) for a
    curve that starts from ``init_value`` (not NaN) at ``risk_free_bar`` per bar: a producer then
    calls :func:`curve_step_nb` for each value (or runs :func:`curve_advance_nb` on
    :func:`curve_load_nb`'s state in its own loop) and :func:`backtest_stats_nb` finishes from
    ``cs`` without reading the curve again.

    Examples
    --------
    >>> import numpy as np
    >>> equity, cs, scratch = np.array([110.0, 99.0, 121.0]), np.empty(N_CURVE_STATE), np.empty(3)
    >>> curve_state_nb(cs, 100.0, 0.0)
    >>> for i in range(3):
    ...     curve_step_nb(cs, i, equity[i], scratch)
    >>> finish_curve_nb(cs, 3, 100.0, 3.0, scratch) == curve_stats_nb(equity, 100.0, 3.0, 0.0,
    ...                                                               np.empty(3))
    True
    """
    curve_store_nb(cs, _curve_start(init_value))
    cs[CS_RF] = risk_free_bar
    cs[CS_DONE] = 0.0
    cs[CS_DEFER] = 0.0


_advance_once_nb = numba.njit(cache=True)(curve_advance_nb.py_func)


@numba.njit(cache=True, error_model="numpy")
def curve_step_nb(cs: np.ndarray, i: int, value: float, scratch: np.ndarray) -> None:
    """The first pass of :func:`curve_stats_nb` at value ``i`` of a curve, on the state in
    ``cs`` (:func:`curve_state_nb`); the return goes to ``scratch[i]``."""
    state = curve_load_nb(cs)
    x = value / state[CS_PREV] - 1.0
    curve_store_nb(cs, _advance_once_nb(state, i, value, x, cs[CS_RF], scratch))


@numba.njit(cache=True)
def finish_curve_nb(
    cs: np.ndarray, n: int, init_value: float, periods_per_year: float, scratch: np.ndarray
) -> tuple[float, float, float, float, float, float, float, float, float, int, int, float, bool]:
    """:func:`curve_stats_nb`'s result for the ``n`` values whose first pass ran in ``cs``.

    With ``cs[CS_DEFER]`` set, a curve whose returns (in ``scratch``) need the second pass over
    them, at no risk-free rate and with no ruin, is left without it: its volatility and Sharpe
    ratio are NaN until :func:`spread_pair_nb` computes them, and ``cs[CS_DEFER]`` stays set
    (it is cleared where the pass ran or was not needed)."""
    state = curve_load_nb(cs)
    defer = (
        cs[CS_DEFER] != 0.0 and cs[CS_RF] == 0.0 and n >= 2 and cs[CS_LO] != cs[CS_HI]
        and cs[CS_LOWEST] > 0.0
    )  # fmt: skip
    cs[CS_DEFER] = 1.0 if defer else 0.0
    return _curve_finish(state, n, np.int64(0), init_value, periods_per_year, cs[CS_RF], scratch,
                         defer)  # fmt: skip


@numba.njit(cache=True, inline="always")
def spread_deferred_nb(cs: np.ndarray) -> bool:
    """Whether the statistics finished from ``cs`` wait for :func:`spread_pair_nb`."""
    return cs[CS_DONE] != 0.0 and cs[CS_DEFER] != 0.0


@numba.njit(cache=True, error_model="numpy")
def spread_pair_nb(
    cs_a: np.ndarray, returns_a: np.ndarray, out_a: np.ndarray,
    cs_b: np.ndarray, returns_b: np.ndarray, out_b: np.ndarray, periods_per_year: float,
) -> None:  # fmt: skip
    """The second pass that :func:`finish_curve_nb` deferred, for two curves of one length at
    once (``cs_b`` may be ``cs_a`` for a curve alone): the volatility and the Sharpe ratio into
    ``out_a`` and ``out_b`` (``backtest_stats_nb``'s positions 4 and 5).

    Each sum runs over its returns in their order, exactly as the pass of
    :func:`curve_stats_nb` would (the numbers are the same, bit for bit); the two sums are
    independent chains of additions, so one loop carries both in the time of about one (a
    chain of dependent additions is what the pass waits on).

    Examples
    --------
    >>> import numpy as np
    >>> equity, cs, returns = np.array([110.0, 99.0, 121.0]), np.empty(N_CURVE_STATE), np.empty(3)
    >>> curve_state_nb(cs, 100.0, 0.0)
    >>> cs[CS_DEFER] = 1.0
    >>> for i in range(3):
    ...     curve_step_nb(cs, i, equity[i], returns)
    >>> cs[CS_DONE] = 1.0
    >>> out = np.empty(N_STATS)
    >>> curve = finish_curve_nb(cs, 3, 100.0, 3.0, returns)
    >>> bool(np.isnan(curve[5])), spread_deferred_nb(cs)
    (True, True)
    >>> spread_pair_nb(cs, returns, out, cs, returns, out, 3.0)
    >>> whole = curve_stats_nb(equity, 100.0, 3.0, 0.0, np.empty(3))
    >>> bool(out[4] == whole[4] and out[5] == whole[5])
    True
    """
    n = returns_a.shape[0]
    mean_a = cs_a[CS_TOTAL_RF] / n
    mean_b = cs_b[CS_TOTAL_RF] / n
    sq_a = 0.0
    sq_b = 0.0
    for i in range(n):
        d_a = returns_a[i] - 0.0 - mean_a
        sq_a += d_a * d_a
        d_b = returns_b[i] - 0.0 - mean_b
        sq_b += d_b * d_b
    out_a[4], out_a[5] = _vol_sharpe(sq_a, sq_a, mean_a, n, True, periods_per_year)
    out_b[4], out_b[5] = _vol_sharpe(sq_b, sq_b, mean_b, n, True, periods_per_year)


#: Positions of the statistics in :func:`backtest_stats_nb`'s output (``SUMMARY_FIELDS`` order).
N_STATS = 26
#: Flags :func:`backtest_stats_nb` returns: every statistic written (none set); a ruined account
#: (its curve statistics are :func:`ruined_stats_nb`'s); a curve whose values sum to NaN (a NaN
#: value, or infinities of both signs: the statistics are the curve's as it is).
STATS_DONE, STATS_RUINED, STATS_NAN = 0, 1, 2
S_END_VALUE = 1
S_FEES_PAID = 21


@numba.njit(cache=True)
def trade_stats_nb(trades: np.ndarray, out: np.ndarray) -> float:
    """Trade statistics of trade records (``trade_dt``) into ``out[12:21]`` (n_trades .. worst)
    and ``out[22]`` is left to the caller; returns the traded notional ``sum(|notional|)``.

    Closed trades count for pnl and returns; every trade counts for notional (an open trade's
    entry leg only), as :func:`soltrader.metrics.trade_arrays` reads them.
    """
    gain = 0.0
    loss = 0.0
    n_win = 0
    n_loss = 0
    total = 0.0
    n_closed = 0
    best = -np.inf
    worst = np.inf
    traded = 0.0
    for k in range(trades.shape[0]):
        tr = trades[k]
        size = abs(tr["size"])
        if tr["is_open"]:
            traded += abs(size * tr["entry_price"] + 0.0)
            continue
        traded += abs(size * tr["entry_price"] + size * tr["exit_price"])
        x = tr["pnl"]
        n_closed += 1
        total += x
        if x > 0.0:
            gain += x
            n_win += 1
        elif x < 0.0:
            loss -= x
            n_loss += 1
        r = tr["ret"]
        best = max(best, r)
        worst = min(worst, r)
    out[12] = float(n_closed)
    if n_closed == 0:
        for k in range(13, 21):
            out[k] = np.nan
        out[14] = safe_ratio_nb(gain, loss)
        return traded
    out[13] = n_win / n_closed
    out[14] = safe_ratio_nb(gain, loss)
    out[15] = total / n_closed
    out[16] = gain / n_win if n_win > 0 else np.nan
    out[17] = -loss / n_loss if n_loss > 0 else np.nan
    if n_loss == 0:
        out[18] = np.inf if n_win > 0 else np.nan
    elif n_win == 0:
        out[18] = 0.0
    else:
        out[18] = (gain / n_win) / (loss / n_loss)
    out[19] = best
    out[20] = worst
    return traded


@numba.njit(cache=True)
def fees_of_records_nb(fills: np.ndarray, orders: np.ndarray, tx_failed_code: int) -> float:
    """Every cost paid, quote currency: the fees of all fills, then those of failed
    transactions, each summed in record order."""
    total = 0.0
    for k in range(fills.shape[0]):
        total += fills[k]["fees"]
    failed = 0.0
    for k in range(orders.shape[0]):
        if orders[k]["reject_reason"] == tx_failed_code:
            failed += orders[k]["fees"]
    return total + failed


@numba.njit(cache=True)
def backtest_stats_nb(
    equity: np.ndarray,
    init_cash: float,
    n_in_market: int,
    trades: np.ndarray,
    fees_paid: float,
    periods_per_year: float,
    risk_free_bar: float,
    out: np.ndarray,
    scratch: np.ndarray,
    curve_state: np.ndarray,
) -> int:
    """Every statistic of one backtest into ``out`` (``SUMMARY_FIELDS`` order, 26 floats);
    ``scratch`` holds at least ``len(equity)`` floats of working space. Returns flags:
    :data:`STATS_RUINED` for a ruined account, whose curve statistics :func:`ruined_stats_nb`
    completes; :data:`STATS_NAN` when the values sum to NaN (so a caller that reads a frame's
    row sums learns of a NaN value without a pass of its own); 0 otherwise.

    ``equity`` is the account value per bar (quote currency), ``n_in_market`` the number of bars
    with an open position, ``trades`` the trade records and ``fees_paid`` every cost paid. The
    replay result and the fused sweep both call this. A fused sweep whose simulation ran the
    first pass over the curve as it went (:func:`curve_state_nb`) passes that state as
    ``curve_state`` (``CS_DONE`` set): only the second pass reads the returns again.

    An account whose value reaches zero or less is ruined; its curve statistics (``out[0:11]``,
    turnover ``out[22:24]``) are left NaN here. They come from other formulas
    (:func:`ruined_stats_nb`), compiled apart: a rare path that every first backtest's
    statistics and every first sweep would otherwise compile (about a second).

    Examples
    --------
    >>> from soltrader.domain.records import trade_dt
    >>> out, no_trades = np.empty(N_STATS), np.zeros(0, trade_dt)
    >>> args = (100.0, 0, no_trades, 0.0, 365.0, 0.0, out, np.empty(3), np.empty(0))
    >>> backtest_stats_nb(np.array([100.0, 110.0, 121.0]), *args), round(float(out[2]), 4)
    (0, 0.21)
    >>> backtest_stats_nb(np.array([100.0, -5.0, 1.0]), *args) == STATS_RUINED
    True
    >>> bool(np.isnan(out[2]))
    True
    >>> backtest_stats_nb(np.array([100.0, np.nan, 121.0]), *args) == STATS_NAN
    True
    >>> ruined_stats_nb(np.array([100.0, -5.0, 1.0]), 100.0, no_trades, 365.0, 0.0, out)
    >>> float(out[2]), float(out[8])
    (-1.0, 1.0)
    """
    n = equity.shape[0]
    if curve_state.shape[0] and curve_state[CS_DONE] != 0.0:
        curve = finish_curve_nb(curve_state, n, init_cash, periods_per_year, scratch)
    else:
        curve = curve_stats_nb(equity, init_cash, periods_per_year, risk_free_bar, scratch)
    out[11] = n_in_market / n if n > 0 else np.nan
    traded = trade_stats_nb(trades, out)
    out[21] = fees_paid
    out[24] = float(n)
    out[25] = periods_per_year
    flags = STATS_NAN if np.isnan(curve[11]) else STATS_DONE
    if curve[12]:  # ruined
        for k in range(11):
            out[k] = np.nan
        out[22] = np.nan
        out[23] = np.nan
        return flags | STATS_RUINED
    out[0], out[1], out[2], out[3], out[4] = curve[0], curve[1], curve[2], curve[3], curve[4]
    out[5], out[6], out[7], out[8] = curve[5], curve[6], curve[7], curve[8]
    out[9] = float(curve[9])
    out[10] = float(curve[10])
    out[22] = safe_ratio_nb(traded, curve[11] / n)
    out[23] = out[22] * periods_per_year / n
    return flags


@numba.njit(cache=True)
def ruined_stats_nb(
    equity: np.ndarray,
    init_cash: float,
    trades: np.ndarray,
    periods_per_year: float,
    risk_free_bar: float,
    out: np.ndarray,
) -> None:
    """The curve statistics of a ruined account (``out[0:11]`` and the turnover
    ``out[22:24]``), which :func:`backtest_stats_nb` left NaN; the other fields stay.

    A ruined account's returns are -1 on the bar its value reaches zero or less and 0 after (a
    return after a zero value is undefined), its values compound from ``init_cash``, its mean
    value for the turnover is theirs, and ``end_value`` is the last equity (see
    :func:`backtest_stats_nb` for an example).
    """
    n = equity.shape[0]
    rets = np.empty(n)
    prev = init_cash
    for i in range(n):
        rets[i] = max(equity[i], 0.0) / prev - 1.0 if prev > 0.0 else 0.0
        prev = equity[i]
    values = equity_from_returns_nb(rets, init_cash)
    max_dd, longest_r, deepest_r = drawdown_stats_returns_nb(rets)
    growth = values[n - 1] / init_cash
    ann = cagr_nb(growth, n, periods_per_year)
    out[0] = init_cash
    out[1] = equity[n - 1]
    out[2] = growth - 1.0
    out[3] = ann
    out[4] = annualized_volatility_nb(rets, periods_per_year)
    out[5] = sharpe_ratio_nb(rets, periods_per_year, risk_free_bar)
    out[6] = sortino_ratio_nb(rets, periods_per_year, risk_free_bar)
    out[7] = safe_ratio_nb(ann, max_dd)
    out[8] = max_dd
    out[9] = float(longest_r)
    out[10] = float(deepest_r)
    value_sum = 0.0
    for i in range(n):
        value_sum += values[i]
    traded = trade_stats_nb(trades, np.empty(N_STATS))  # the notional; out keeps its fields
    out[22] = safe_ratio_nb(traded, value_sum / n)  # a ruined account's mean value is 0
    out[23] = out[22] * periods_per_year / n
