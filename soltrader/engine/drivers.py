"""Engine entry points of the strategies that are more than one signal function.

SMC order blocks run with fixed simulator keywords per entry mode (:func:`smc_backtest`, and both
modes side by side in :func:`compare_modes`); the cross-venue arbitrage trades two legs from one
account and checks that both traded their size (:func:`arbitrage_backtest`). The strategies
themselves (signals, keyword rules) stay pure in :mod:`soltrader.strategies`; these drivers
call the backtest on them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from soltrader.costs import AMMPool, FeeSchedule, SolanaTxCost
from soltrader.domain.errors import ParameterError
from soltrader.engine.backtest import backtest, backtest_signals
from soltrader.engine.result import Result
from soltrader.strategies.arbitrage import arbitrage_inputs, check_legs
from soltrader.strategies.smc_order_block import MODES, smc_backtest_kwargs, smc_order_block


def smc_backtest(data: Any, mode: str = "A", **kwargs: Any) -> Result:
    """Backtest :data:`~soltrader.strategies.smc_order_block` with its fixed keywords in one call.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or dict of them
        OHLCV bars.
    mode : {"A", "B"}
        Entry mode.
    **kwargs
        Strategy parameters and backtest keywords (``fees``, ``slippage``, ...); a backtest
        keyword given here overrides the fixed one of
        :func:`~soltrader.strategies.smc_backtest_kwargs`.

    Returns
    -------
    Result

    Examples
    --------
    >>> import soltrader as st
    >>> res = st.smc_backtest(bars, mode="B", fees=0.001)                   # doctest: +SKIP
    """
    own = {k: v for k, v in kwargs.items() if k in smc_order_block.params}
    rest = {k: v for k, v in kwargs.items() if k not in smc_order_block.params}
    keywords = {**smc_backtest_kwargs(**own, mode=mode), **rest}
    return backtest(data, smc_order_block, mode=mode, **own, **keywords)


def compare_modes(data: Any, **kwargs: Any) -> pd.DataFrame:
    """Mode A and mode B side by side: the statistics of :func:`smc_backtest` for each.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or dict of them
        OHLCV bars.
    **kwargs
        Strategy parameters (but ``mode``) and backtest keywords, shared by both runs.

    Returns
    -------
    pandas.DataFrame
        One row per statistic of ``Result.stats()``, columns ``"A"`` and ``"B"``.

    Examples
    --------
    >>> import soltrader as st
    >>> table = st.compare_modes(bars, fees=0.001)                          # doctest: +SKIP
    >>> table.loc[["total_return", "sharpe", "max_drawdown", "trades"]]     # doctest: +SKIP
    """
    if "mode" in kwargs:
        raise ParameterError("mode", "compare_modes runs both modes; do not give one")
    return pd.DataFrame({m: smc_backtest(data, mode=m, **kwargs).stats() for m in MODES})


def arbitrage_backtest(
    a_frame: Any,
    b_frame: Any,
    *,
    size: float,
    fees_a: float | FeeSchedule = 0.0,
    fees_b: float | FeeSchedule = 0.0,
    pool_a: AMMPool | None = None,
    pool_b: AMMPool | None = None,
    solana: SolanaTxCost | None = None,
    **kw: Any,
) -> Result:
    """Backtest both legs of the arbitrage in one ``backtest_signals`` call on ``{a, b}``.

    The long leg and the short leg trade ``size`` base units each (``size_type="amount"``) from
    one cash account, so the result's trades show both legs and its equity is the combined P&L.
    The run is checked with :func:`~soltrader.strategies.arbitrage.check_legs` (no leg may trade
    less than ``size``).

    Parameters
    ----------
    a_frame, b_frame : pandas.DataFrame or polars.DataFrame
        OHLCV bars of the two venues with identical bar times.
    size, fees_a, fees_b, pool_a, pool_b, solana
        As in :func:`~soltrader.strategies.arbitrage_signals` (size in base units, fees as
        fractions).
    **kw
        ``min_edge``, ``exit_edge``, ``max_bars``, ``names``, ``fill``, ``init_cash`` (see
        :func:`~soltrader.strategies.arbitrage.arbitrage_inputs`).

    Returns
    -------
    Result
        With ``result.params`` holding ``"strategy": "arbitrage"`` and the parameters.

    Examples
    --------
    >>> import soltrader as st
    >>> res = st.arbitrage_backtest(binance, gemini, size=10.0, fees_a=0.001, fees_b=0.004,
    ...                             min_edge=0.003, max_bars=2)           # doctest: +SKIP
    >>> res.trades[["asset", "direction", "pnl"]]                     # doctest: +SKIP
    """
    costs = dict(fees_a=fees_a, fees_b=fees_b, pool_a=pool_a, pool_b=pool_b, solana=solana)
    result = backtest_signals(**arbitrage_inputs(a_frame, b_frame, size=size, **costs, **kw))
    check_legs(result.orders_records, size, kw.get("names", ("a", "b")))
    result.params = {"strategy": "arbitrage", "size": float(size), **costs, **kw}
    return result


__all__ = ["arbitrage_backtest", "compare_modes", "smc_backtest"]
