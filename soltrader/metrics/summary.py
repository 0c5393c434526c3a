"""One call that gathers every metric of a backtest into a pandas Series with stable names."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from soltrader.domain.errors import ParameterError
from soltrader.metrics import _nb
from soltrader.metrics._validate import (
    as_float_array,
    as_scalar,
    check_min,
    check_same_length,
    resolve_periods_per_year,
)
from soltrader.metrics.trades import TradeArrays, trade_arrays

#: The names of :func:`summary`'s entries, in order. Fractions, not percents.
SUMMARY_FIELDS: tuple[str, ...] = (
    "start_value",
    "end_value",
    "total_return",
    "annualized_return",
    "annualized_volatility",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "max_drawdown_duration_bars",
    "deepest_drawdown_duration_bars",
    "exposure",
    "n_trades",
    "win_rate",
    "profit_factor",
    "expectancy",
    "avg_win",
    "avg_loss",
    "win_loss_ratio",
    "best_trade",
    "worst_trade",
    "fees_paid",
    "turnover",
    "annualized_turnover",
    "n_bars",
    "periods_per_year",
)


class _Curve(NamedTuple):
    """What the returns-based metrics need, from either an equity curve or returns."""

    returns: np.ndarray
    values: np.ndarray  # account value per bar, quote currency (normalised for bare returns)
    start: float
    end: float
    drawdown: tuple[float, int, int]


def _from_equity(equity: Any, init_cash: float | None) -> _Curve:
    eq = as_float_array(equity, "equity")
    check_min(eq, "equity", 0.0, strict=True, what="account values (quote currency)")
    init = np.nan if init_cash is None else as_scalar(init_cash, "init_cash", low=0.0, strict=True)
    start = float(eq[0]) if np.isnan(init) else init
    rets = _nb.returns_from_equity_nb(eq, init)
    return _Curve(rets, eq, start, float(eq[-1]), _nb.drawdown_stats_nb(eq, init))


def _from_returns(returns: Any, init_cash: float | None) -> _Curve:
    rets = as_float_array(returns, "returns")
    check_min(rets, "returns", -1.0, strict=False, what="per-bar returns (fractions)")
    start = 1.0 if init_cash is None else as_scalar(init_cash, "init_cash", low=0.0, strict=True)
    values = _nb.equity_from_returns_nb(rets, start)
    return _Curve(rets, values, start, float(values[-1]), _nb.drawdown_stats_returns_nb(rets))


def _returns_metrics(curve: _Curve, ppy: float, risk_free: float) -> dict[str, float]:
    rf = _nb.per_bar_rate_nb(as_scalar(risk_free, "risk_free", low=-1.0, strict=True), ppy)
    r = curve.returns
    growth = curve.end / curve.start
    ann = _nb.cagr_nb(growth, r.shape[0], ppy)
    max_dd, longest, deepest = curve.drawdown
    return {
        "start_value": curve.start,
        "end_value": curve.end,
        "total_return": growth - 1.0,
        "annualized_return": ann,
        "annualized_volatility": _nb.annualized_volatility_nb(r, ppy),
        "sharpe": _nb.sharpe_ratio_nb(r, ppy, rf),
        "sortino": _nb.sortino_ratio_nb(r, ppy, rf),
        "calmar": _nb.safe_ratio_nb(ann, max_dd),
        "max_drawdown": max_dd,
        "max_drawdown_duration_bars": float(longest),
        "deepest_drawdown_duration_bars": float(deepest),
    }


def _trade_metrics(ta: TradeArrays, values: np.ndarray, ppy: float) -> dict[str, float]:
    return {
        "n_trades": float(ta.pnl.shape[0]),
        "win_rate": _nb.win_rate_nb(ta.pnl),
        "profit_factor": _nb.profit_factor_nb(ta.pnl),
        "expectancy": _nb.expectancy_nb(ta.pnl),
        "avg_win": _nb.avg_win_nb(ta.pnl),
        "avg_loss": _nb.avg_loss_nb(ta.pnl),
        "win_loss_ratio": _nb.win_loss_ratio_nb(ta.pnl),
        "best_trade": _nb.best_trade_nb(ta.ret),
        "worst_trade": _nb.worst_trade_nb(ta.ret),
        "fees_paid": _nb.fees_paid_nb(ta.fees),
        "turnover": _nb.turnover_nb(ta.notional, values),
        "annualized_turnover": _nb.annualized_turnover_nb(ta.notional, values, ppy),
    }


def _curve(equity: Any, returns: Any, init_cash: float | None) -> _Curve:
    if (equity is None) == (returns is None):
        raise ParameterError(
            "equity", "give exactly one of equity (account value per bar) and returns (per bar)"
        )
    if equity is not None:
        return _from_equity(equity, init_cash)
    return _from_returns(returns, init_cash)


def summary(
    equity: Any = None,
    *,
    returns: Any = None,
    trades: Any = None,
    positions: Any = None,
    timeframe: str | None = None,
    periods_per_year: float | None = None,
    init_cash: float | None = None,
    risk_free: float = 0.0,
) -> pd.Series:
    """Every metric of one backtest, as a float Series named by :data:`SUMMARY_FIELDS`.

    Parameters
    ----------
    equity : array-like or pandas.Series, optional
        Account value per bar (quote currency, > 0). Give this **or** ``returns``.
    returns : array-like or pandas.Series, optional
        Per-bar returns (fractions, >= -1); the account is then ``init_cash`` (default 1.0)
        compounded by them.
    trades : record array, DataFrame or dict, optional
        Trade records as read by :func:`soltrader.metrics.trade_arrays`. Omitted: the trade
        entries are nan.
    positions : array-like, optional
        Position per bar (one per ``equity`` / ``returns`` value). Omitted: ``exposure`` is nan.
    timeframe, periods_per_year : str or float
        Give exactly one; bars per 365-day year (``"1h"`` -> 8760). For bars with gaps pass
        ``periods_per_year=elapsed_periods_per_year(times)`` (bars per year of elapsed time),
        as ``Result.stats()`` does.
    init_cash : float, optional
        Account value before the first bar (quote currency). With ``equity`` it adds a first
        return ``equity[0] / init_cash - 1`` and is the first drawdown peak; required with
        ``returns`` and ``trades`` (turnover compares notional with account value).
    risk_free : float, default 0.0
        Yearly risk-free rate (fraction) for Sharpe and Sortino.

    Returns
    -------
    pandas.Series
        float64, index :data:`SUMMARY_FIELDS`:

        ``start_value``, ``end_value`` (quote; ``init_cash`` or ``equity[0]``, and the last
        value) · ``total_return`` = end / start - 1 · ``annualized_return`` = CAGR over the ``n``
        returns · ``annualized_volatility``, ``sharpe``, ``sortino`` (see
        :mod:`soltrader.metrics.returns`) · ``calmar`` = annualized_return / max_drawdown ·
        ``max_drawdown`` (fraction >= 0) · ``max_drawdown_duration_bars`` (longest span, peak to
        recovery or end) · ``deepest_drawdown_duration_bars`` (span of the deepest drawdown) ·
        ``exposure`` · ``n_trades`` (closed) · ``win_rate`` · ``profit_factor`` · ``expectancy``
        (quote per trade) · ``avg_win`` (quote) · ``avg_loss`` (quote, negative) ·
        ``win_loss_ratio`` · ``best_trade``, ``worst_trade`` (per-trade return, fraction) ·
        ``fees_paid`` (quote) · ``turnover`` = notional / mean account value ·
        ``annualized_turnover`` = turnover * periods_per_year / n_bars · ``n_bars`` (values given)
        · ``periods_per_year`` (the rate used; in ``Result.stats()`` bars per year of elapsed
        time, :func:`soltrader.metrics.elapsed_periods_per_year`).

    Raises
    ------
    ParameterError
        For any invalid input; the message names the argument.

    Examples
    --------
    >>> s = summary([100.0, 110.0, 99.0, 121.0], timeframe="1d")
    >>> s[["total_return", "max_drawdown", "max_drawdown_duration_bars"]].round(6).tolist()
    [0.21, 0.1, 2.0]
    """
    ppy = resolve_periods_per_year(timeframe, periods_per_year)
    curve = _curve(equity, returns, init_cash)
    out = dict.fromkeys(SUMMARY_FIELDS, np.nan)
    out.update(_returns_metrics(curve, ppy, risk_free))
    if positions is not None:
        pos = as_float_array(positions, "positions")
        check_same_length(pos, "positions", curve.values.shape[0], "equity/returns")
        out["exposure"] = _nb.exposure_nb(pos)
    if trades is not None:
        if equity is None and init_cash is None:
            raise ParameterError(
                "init_cash",
                "needed with returns and trades: turnover divides traded notional (quote "
                "currency) by the account value, which returns alone do not give",
            )
        out.update(_trade_metrics(trade_arrays(trades), curve.values, ppy))
    out["n_bars"] = float(curve.values.shape[0])
    out["periods_per_year"] = ppy
    return pd.Series(out, dtype=np.float64, name="summary")


__all__ = ["SUMMARY_FIELDS", "summary"]
