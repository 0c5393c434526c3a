"""Trade-based metrics: counts, win rate, profit factor, expectancy, costs and turnover.

Inputs are per-trade arrays: ``pnl`` in quote currency **after fees**, per-trade ``returns`` as
fractions, ``fees`` in quote currency, traded ``notional`` in quote currency. A trade with
``pnl > 0`` is a win, ``pnl < 0`` a loss, ``pnl == 0`` breakeven (counted as a trade, neither win
nor loss). Ratios of gains to losses follow one rule: 0.0 when there is no gain, ``+inf`` when
there is no loss, nan when there is neither (vectorbt 1.2.0's ``Trades.profit_factor`` does the
same).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from soltrader.domain.errors import ParameterError
from soltrader.metrics import _nb
from soltrader.metrics._validate import (
    as_float_array,
    check_min,
    resolve_periods_per_year,
)


class TradeArrays(NamedTuple):
    """Per-trade arrays read from trade records by :func:`trade_arrays` (all float64).

    ``pnl`` and ``ret`` hold the **closed** trades; ``fees`` and ``notional`` hold what every
    trade, open or closed, has paid and traded so far.
    """

    pnl: np.ndarray
    ret: np.ndarray
    fees: np.ndarray
    notional: np.ndarray


def _pnl(pnl: Any) -> np.ndarray:
    return as_float_array(pnl, "pnl", allow_empty=True)


def _field_names(trades: Any) -> set[str]:
    dtype_names = getattr(getattr(trades, "dtype", None), "names", None)
    if dtype_names is not None:
        return set(dtype_names)
    columns = getattr(trades, "columns", None)
    if columns is not None:
        return {str(c) for c in columns}
    if isinstance(trades, dict):
        return {str(k) for k in trades}
    raise ParameterError(
        "trades",
        "expected a record array, a pandas/polars DataFrame or a dict of arrays, got "
        f"{type(trades).__name__}",
    )


def _column(trades: Any, names: tuple[str, ...], n: int, rows: np.ndarray) -> np.ndarray | None:
    """First field of ``names`` in ``trades`` (one float per trade, finite where ``rows``)."""
    name = next((f for f in names if f in _field_names(trades)), None)
    if name is None:
        return None
    label = f"trades[{name!r}]"
    arr = as_float_array(trades[name], label, allow_empty=True, finite=False)
    if arr.shape[0] != n:
        raise ParameterError("trades", f"field {name!r} has {arr.shape[0]} rows, pnl has {n}")
    bad = np.flatnonzero(~np.isfinite(arr) & rows)
    if bad.size:
        row = int(bad[0])
        raise ParameterError(label, f"row {row} is {arr[row]}; expected finite numbers")
    return arr


def _require(
    trades: Any, names: tuple[str, ...], n: int, rows: np.ndarray, what: str
) -> np.ndarray:
    arr = _column(trades, names, n, rows)
    if arr is None:
        raise ParameterError("trades", f"missing {what}: expected a field named one of {names}")
    return arr


def _open_mask(trades: Any, n: int) -> np.ndarray:
    if "is_open" not in _field_names(trades):
        return np.zeros(n, dtype=bool)
    mask = np.asarray(trades["is_open"])
    if mask.shape != (n,) or mask.dtype.kind not in "biu":
        raise ParameterError(
            "trades", f"field 'is_open' must hold {n} booleans (one per trade), got {mask!r}"
        )
    return mask.astype(bool)


def _legs(trades: Any, closed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fees paid and notional traded so far per trade (an open trade's exit has not happened)."""
    n = closed.shape[0]
    every = np.ones(n, dtype=bool)
    fees = _column(trades, ("fees",), n, every)
    if fees is None:
        what = "fees ('fees' or 'entry_fees' + 'exit_fees')"
        entry = _require(trades, ("entry_fees",), n, every, what)
        exit_ = _require(trades, ("exit_fees",), n, closed, what)
        fees = entry + np.where(closed, exit_, 0.0)
    notional = _column(trades, ("notional",), n, every)
    if notional is None:
        what = "notional ('notional' or 'size' + 'entry_price' + 'exit_price')"
        size = np.abs(_require(trades, ("size",), n, every, what))
        entry_px = _require(trades, ("entry_price",), n, every, what)
        exit_px = _require(trades, ("exit_price",), n, closed, what)
        notional = size * entry_px + np.where(closed, size * exit_px, 0.0)
    return fees, notional


def trade_arrays(trades: Any) -> TradeArrays:
    """Read per-trade pnl, return, fees and traded notional from trade records.

    Parameters
    ----------
    trades : numpy record array, pandas or polars DataFrame, or dict of arrays
        One row per trade with these fields (quote currency unless stated):

        * ``pnl`` -- profit after fees;
        * ``ret`` or ``return`` -- per-trade return (fraction);
        * ``fees``, or ``entry_fees`` and ``exit_fees``;
        * ``notional`` (traded value of the trade so far), or ``size`` (base units),
          ``entry_price`` and ``exit_price``, giving ``|size| * (entry_price + exit_price)``;
        * ``is_open`` (optional, bool) -- open trades are left out of ``pnl`` and ``ret``; only
          their entry leg counts towards ``fees`` and ``notional`` (when split fields are given),
          so their exit fields and pnl may be nan.

        :data:`soltrader.domain.records.trade_dt` and vectorbt's trade records both qualify.

    Returns
    -------
    TradeArrays
        ``pnl`` and ``ret`` of closed trades; ``fees`` and ``notional`` of all trades.

    Raises
    ------
    ParameterError
        If a field is missing, not numeric, not finite, or fees are negative.

    Examples
    --------
    >>> ta = trade_arrays({"pnl": [5.0], "ret": [0.05], "fees": [0.2], "notional": [200.0]})
    >>> float(ta.pnl[0]), float(ta.notional[0])
    (5.0, 200.0)
    """
    if "pnl" not in _field_names(trades):
        raise ParameterError("trades", "missing pnl: expected a field named 'pnl'")
    n = as_float_array(trades["pnl"], "trades['pnl']", allow_empty=True, finite=False).shape[0]
    closed = ~_open_mask(trades, n)
    pnl = _require(trades, ("pnl",), n, closed, "pnl")
    ret = _require(trades, ("ret", "return"), n, closed, "per-trade return")
    fees, notional = _legs(trades, closed)
    check_min(fees, "trades['fees']", 0.0, strict=False, what="fees (quote currency)")
    return TradeArrays(pnl[closed], ret[closed], fees, notional)


def n_trades(pnl: Any) -> int:
    """Number of trades (length of ``pnl``).

    Examples
    --------
    >>> n_trades([1.0, -2.0, 0.0])
    3
    """
    return int(_pnl(pnl).shape[0])


def win_rate(pnl: Any) -> float:
    """Share of trades with ``pnl > 0`` (fraction in [0, 1]; breakeven trades count as trades).

    Nan with no trades. Equals vectorbt's ``Trades.win_rate``.

    Examples
    --------
    >>> win_rate([5.0, -1.0, 0.0, 2.0])
    0.5
    """
    return float(_nb.win_rate_nb(_pnl(pnl)))


def profit_factor(pnl: Any) -> float:
    """Gross profit / gross loss, ``sum(pnl[pnl > 0]) / |sum(pnl[pnl < 0])|`` (>= 0).

    ``+inf`` when no trade lost, 0.0 when none won, nan with neither (no trades, or only
    breakeven ones).

    Examples
    --------
    >>> profit_factor([6.0, -2.0, -1.0]), profit_factor([1.0]), profit_factor([])
    (2.0, inf, nan)
    """
    return float(_nb.profit_factor_nb(_pnl(pnl)))


def expectancy(pnl: Any) -> float:
    """Mean pnl per trade (quote currency), ``sum(pnl) / n``; nan with no trades.

    Equals vectorbt's ``win_rate * avg_win - loss_rate * |avg_loss|``.

    Examples
    --------
    >>> expectancy([6.0, -2.0, -1.0])
    1.0
    """
    return float(_nb.expectancy_nb(_pnl(pnl)))


def avg_win(pnl: Any) -> float:
    """Mean pnl of winning trades (quote currency, > 0); nan with no winner.

    Examples
    --------
    >>> avg_win([6.0, -2.0, 2.0])
    4.0
    """
    return float(_nb.avg_win_nb(_pnl(pnl)))


def avg_loss(pnl: Any) -> float:
    """Mean pnl of losing trades (quote currency, **negative**); nan with no loser.

    Examples
    --------
    >>> avg_loss([6.0, -2.0, -1.0])
    -1.5
    """
    return float(_nb.avg_loss_nb(_pnl(pnl)))


def win_loss_ratio(pnl: Any) -> float:
    """Average win / ``|average loss|`` (>= 0): ``+inf`` with no loser, 0.0 with no winner.

    Nan with neither winners nor losers.

    Examples
    --------
    >>> win_loss_ratio([6.0, -2.0, -1.0])
    4.0
    """
    return float(_nb.win_loss_ratio_nb(_pnl(pnl)))


def best_trade(trade_returns: Any) -> float:
    """Largest per-trade return (fraction); nan with no trades.

    Examples
    --------
    >>> best_trade([0.05, -0.02])
    0.05
    """
    return float(
        _nb.best_trade_nb(as_float_array(trade_returns, "trade_returns", allow_empty=True))
    )


def worst_trade(trade_returns: Any) -> float:
    """Smallest per-trade return (fraction); nan with no trades.

    Examples
    --------
    >>> worst_trade([0.05, -0.02])
    -0.02
    """
    return float(
        _nb.worst_trade_nb(as_float_array(trade_returns, "trade_returns", allow_empty=True))
    )


def fees_paid(fees: Any) -> float:
    """Costs paid, ``sum(fees)`` (quote currency, >= 0); 0.0 with no trades.

    Examples
    --------
    >>> fees_paid([0.5, 0.25])
    0.75
    """
    arr = as_float_array(fees, "fees", allow_empty=True)
    return float(_nb.fees_paid_nb(check_min(arr, "fees", 0.0, strict=False, what="fees")))


def _turnover_inputs(notional: Any, equity: Any) -> tuple[np.ndarray, np.ndarray]:
    traded = as_float_array(notional, "notional", allow_empty=True)
    eq = as_float_array(equity, "equity")
    return traded, check_min(eq, "equity", 0.0, strict=True, what="account values")


def turnover(notional: Any, equity: Any) -> float:
    """Traded notional over mean account value, ``sum(|notional|) / mean(equity)``.

    Two-sided: buying and later selling the whole account once is a turnover of 2.

    Parameters
    ----------
    notional : array-like
        Traded value per trade or per fill (quote currency); the sign is ignored.
    equity : array-like
        Account value per bar (quote currency), > 0.

    Examples
    --------
    >>> turnover([100.0, 110.0], [100.0, 105.0, 110.0])
    2.0
    """
    return float(_nb.turnover_nb(*_turnover_inputs(notional, equity)))


def annualized_turnover(
    notional: Any,
    equity: Any,
    *,
    timeframe: str | None = None,
    periods_per_year: float | None = None,
) -> float:
    """Turnover per year, ``turnover(notional, equity) * P / len(equity)``.

    ``P`` is bars per year (give exactly one of ``timeframe`` and ``periods_per_year``); the
    sample is taken to span ``len(equity)`` bars.

    Examples
    --------
    >>> annualized_turnover([100.0, 100.0], [100.0, 100.0], timeframe="1d")
    365.0
    """
    ppy = resolve_periods_per_year(timeframe, periods_per_year)
    return float(_nb.annualized_turnover_nb(*_turnover_inputs(notional, equity), ppy))
