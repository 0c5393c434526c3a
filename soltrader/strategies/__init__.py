"""Strategies: pure signal functions with their parameters (see :mod:`.spec`).

Single-series strategies are :class:`Strategy` specs in :data:`REGISTRY`, run by ``st.backtest``,
``st.sweep`` and the live runner alike; :func:`get` finds one by name (a misspelt name is an
error that lists the known ones and suggests the closest). Arbitrage needs two series at every
bar and has its own entry point (``st.arbitrage_backtest``); the screener filters a universe
table.

Examples
--------
>>> import soltrader as st
>>> st.strategies.sma_cross.params["fast"]
20
>>> sorted(st.strategies.REGISTRY)
['grid', 'mean_reversion', 'momentum', 'sma_cross', 'smc_order_block']
>>> st.strategies.get("sma_cross") is st.strategies.sma_cross
True
"""

import difflib

from soltrader.domain.errors import ParameterError
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


def get(name: str, *, field: str = "strategy") -> Strategy:
    """The registered strategy called ``name`` (a key of :data:`REGISTRY`).

    Parameters
    ----------
    name : str
        The strategy's name, e.g. ``"sma_cross"``.
    field : str
        How the caller's input names the value, for the error (``"strategy.name"`` in a spec).

    Returns
    -------
    Strategy

    Raises
    ------
    ParameterError
        ``name`` is not registered: a one-line message naming it, listing the known names and
        suggesting the closest one (``difflib``).

    Examples
    --------
    >>> get("mean_reversion").name
    'mean_reversion'
    >>> try:
    ...     get("sma_cros")
    ... except ParameterError as exc:
    ...     print(exc)  # one line, wrapped here  # doctest: +NORMALIZE_WHITESPACE
    strategy: 'sma_cros' is not a known strategy; did you mean 'sma_cross'?
    (known: grid, mean_reversion, momentum, sma_cross, smc_order_block)
    """
    if isinstance(name, str) and name in REGISTRY:
        return REGISTRY[name]
    known = sorted(REGISTRY)
    if not isinstance(name, str):
        raise ParameterError(
            field, f"expected a strategy name such as 'sma_cross', got {name!r} (known: {known})"
        )
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ParameterError(
        field, f"{name!r} is not a known strategy{hint} (known: {', '.join(known)})"
    )


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
    "get",
    "grid",
    "mean_reversion",
    "momentum",
    "momentum_bypassed",
    "screen",
    "sma_cross",
    "smc_backtest_kwargs",
    "smc_order_block",
]
