"""Strategies: pure signal functions with their parameters (see :mod:`.spec`).

Single-series strategies are :class:`Strategy` specs in :data:`REGISTRY`, run by ``st.backtest``,
``st.sweep`` and the live runner alike. Arbitrage needs two series at every bar and has its own
entry point (``st.arbitrage_backtest``); the screener filters a universe table.

Examples
--------
>>> import soltrader as st
>>> st.strategies.sma_cross.params["fast"]
20
>>> sorted(st.strategies.REGISTRY)
['grid', 'mean_reversion', 'momentum', 'sma_cross', 'smc_order_block']
"""

from soltrader.strategies.arbitrage import (
    ArbitrageSignals,
    arbitrage_edge_nb,
    arbitrage_signals,
    check_legs,
)
from soltrader.strategies.grid import grid
from soltrader.strategies.mean_reversion import mean_reversion
from soltrader.strategies.momentum import momentum, momentum_bypassed
from soltrader.strategies.screener import ScreenResult, screen
from soltrader.strategies.signals import crossed_above_nb, crossed_below_nb
from soltrader.strategies.sma_cross import sma_cross
from soltrader.strategies.smc_order_block import (
    smc_backtest_kwargs,
    smc_order_block,
)
from soltrader.strategies.spec import Bars, Fused, Signals, Strategy

#: Strategies by name, as specs and live configs refer to them.
REGISTRY: dict[str, Strategy] = {
    s.name: s for s in (sma_cross, mean_reversion, momentum, grid, smc_order_block)
}

__all__ = [
    "REGISTRY",
    "ArbitrageSignals",
    "Bars",
    "Fused",
    "ScreenResult",
    "Signals",
    "Strategy",
    "arbitrage_edge_nb",
    "arbitrage_signals",
    "check_legs",
    "crossed_above_nb",
    "crossed_below_nb",
    "grid",
    "mean_reversion",
    "momentum",
    "momentum_bypassed",
    "screen",
    "sma_cross",
    "smc_backtest_kwargs",
    "smc_order_block",
]
