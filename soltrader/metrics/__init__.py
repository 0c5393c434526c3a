"""Performance metrics of an equity curve, per-bar returns and trades (pure: no I/O, no clock).

Each metric is a numba kernel in :mod:`soltrader.metrics._nb` (``*_nb``, plain arrays in and out,
callable from a fused sweep kernel) plus the typed wrapper below that validates input and accepts
numpy, pandas or polars. :func:`summary` gathers them all.

Conventions
-----------
Units
    Account values in quote currency; returns, drawdowns, rates and win rates as **fractions**
    (0.25 = 25 %); durations in **bars**; annualised figures per **365-day year**, 24/7.
Periods per year ``P``
    Given to these functions as a timeframe, ``P = periods_per_year(timeframe) = 365 *
    86_400_000 / timeframe_ms(timeframe)`` (``"1h"`` -> 8760, ``"1m"`` -> 525600), or as a
    number. Inferred from bar times (``st.backtest(...).stats()``, sweeps, walk-forward, the
    coordinator), it follows **elapsed time**, as quantstats does:
    ``P = elapsed_periods_per_year(times) = n_bars / elapsed_years``, the elapsed time running
    from the first bar's open to the last bar's end (last open + the most common bar spacing),
    over 365 days. The ``periods_per_year`` field of the statistics is this rate. A gap in the
    data (an exchange outage) thus neither shortens the year nor inflates annualised figures:
    ``annualized_return = (end / start) ** (1 / elapsed_years) - 1``. Without gaps it is
    exactly ``periods_per_year(timeframe)``, the same float.
Returns
    Simple per-bar returns ``r[i] = equity[i] / equity[i-1] - 1``; with ``init_cash`` the first
    bar gets ``equity[0] / init_cash - 1`` (as vectorbt's ``Portfolio.returns``).
Return and risk
    ``total_return = prod(1 + r) - 1`` (= end / start - 1);
    ``annualized_return = (1 + total_return) ** (P / n) - 1`` (CAGR, ``n`` returns; with the
    elapsed-time ``P`` of a bar series this is ``(1 + total_return) ** (1 / elapsed_years) - 1``);
    ``annualized_volatility = std(r, ddof=1) * sqrt(P)``;
    ``sharpe = mean(r - rf) / std(r - rf, ddof=1) * sqrt(P)`` (vectorbt 1.2.0 / empyrical);
    ``sortino = mean(r - rf) * P / (sqrt(mean(min(r - rf, 0) ** 2)) * sqrt(P))`` -- downside
    deviation as empyrical's ``downside_risk``: squared shortfalls averaged over **all** bars;
    ``rf = (1 + risk_free) ** (1 / P) - 1`` is the per-bar form of the yearly ``risk_free``
    (default 0); ``calmar = annualized_return / max_drawdown``.
Drawdown
    ``max_drawdown = max(1 - value / running_peak)``, **non-negative** (0.25 for a 25 % fall;
    vectorbt and empyrical report -0.25). ``init_cash``, or 1.0 before a returns series, is the
    first peak. A drawdown's duration runs from the last bar at the peak to the first bar back at
    or above it, or to the last bar if never recovered; ``max_drawdown_duration`` is the longest.
Trades
    ``pnl > 0`` wins, ``pnl < 0`` loses, ``pnl == 0`` is breakeven (a trade, neither);
    ``win_rate = wins / trades``; ``profit_factor = gross profit / |gross loss|``;
    ``expectancy = mean(pnl)``; ``avg_loss`` is negative; ``turnover = sum(|notional|) /
    mean(equity)`` (two-sided), ``annualized_turnover = turnover * P / n_bars``.
Degenerate input (one rule throughout)
    A ratio with a zero denominator is ``+inf`` / ``-inf`` by the sign of its numerator and nan
    when the numerator is 0 too: zero std (Sharpe), zero downside deviation (Sortino), zero
    drawdown (Calmar), no losing trade (profit factor, win/loss ratio; 0.0 when nothing won). A
    statistic of too few observations is nan: fewer than 2 returns (volatility, Sharpe,
    Sortino), no returns (annualised return), no trades (win rate, expectancy, best/worst),
    no trade of the kind (avg win / loss). A constant equity curve has total return 0, volatility
    0, max drawdown 0, duration 0, and nan Sharpe, Sortino and Calmar. Bad input (nan, inf,
    equity <= 0, returns < -1, negative fees, wrong lengths) raises :class:`ParameterError`; it
    is never skipped (empyrical and vectorbt skip nans).

Examples
--------
>>> import soltrader.metrics as sm
>>> round(sm.sharpe_ratio([0.0, 0.02, 0.04], timeframe="1d"), 4)
19.105
>>> round(float(sm.summary([100.0, 110.0, 99.0], timeframe="1d")["max_drawdown"]), 6)
0.1
"""

from soltrader.metrics.returns import (
    annualized_return,
    annualized_volatility,
    calmar_ratio,
    downside_deviation,
    drawdown,
    elapsed_periods_per_year,
    equity_from_returns,
    exposure,
    max_drawdown,
    max_drawdown_duration,
    periods_per_year,
    returns_from_equity,
    sharpe_ratio,
    sortino_ratio,
    total_return,
)
from soltrader.metrics.summary import SUMMARY_FIELDS, summary
from soltrader.metrics.trades import (
    TradeArrays,
    annualized_turnover,
    avg_loss,
    avg_win,
    best_trade,
    expectancy,
    fees_paid,
    n_trades,
    profit_factor,
    trade_arrays,
    turnover,
    win_loss_ratio,
    win_rate,
    worst_trade,
)

__all__ = [
    "SUMMARY_FIELDS",
    "TradeArrays",
    "annualized_return",
    "annualized_turnover",
    "annualized_volatility",
    "avg_loss",
    "avg_win",
    "best_trade",
    "calmar_ratio",
    "downside_deviation",
    "drawdown",
    "elapsed_periods_per_year",
    "equity_from_returns",
    "expectancy",
    "exposure",
    "fees_paid",
    "max_drawdown",
    "max_drawdown_duration",
    "n_trades",
    "periods_per_year",
    "profit_factor",
    "returns_from_equity",
    "sharpe_ratio",
    "sortino_ratio",
    "summary",
    "total_return",
    "trade_arrays",
    "turnover",
    "win_loss_ratio",
    "win_rate",
    "worst_trade",
]
