"""The canonical benchmark strategy: long when a fast SMA crosses above a slow one."""

from __future__ import annotations

import numpy as np
from numba import njit

from soltrader.indicators.nb import sma_1d_nb
from soltrader.strategies.signals import crossed_above_nb, crossed_below_nb
from soltrader.strategies.spec import Bars, Signals, Strategy


@njit(cache=True, nogil=True)
def sma_cross_nb(close: np.ndarray, fast: int, slow: int) -> tuple[np.ndarray, np.ndarray]:
    """Entries where SMA(fast) crosses above SMA(slow), exits where it crosses below.

    Crossings follow vectorbt's ``crossed_above`` rule (see :func:`crossed_above_nb`); the first
    possible signal is at bar ``max(fast, slow)`` (both averages valid and a prior side seen).

    Examples
    --------
    >>> import numpy as np
    >>> e, x = sma_cross_nb(np.array([5.0, 4, 3, 4, 6, 8, 6, 3, 2]), 2, 3)
    >>> np.flatnonzero(e), np.flatnonzero(x)
    (array([4]), array([7]))
    """
    f = sma_1d_nb(close, fast)
    s = sma_1d_nb(close, slow)
    return crossed_above_nb(f, s), crossed_below_nb(f, s)


def sma_cross_signals(bars: Bars, fast: int = 20, slow: int = 100) -> Signals:
    """Long-only SMA crossover (decisions at each bar's close).

    Parameters
    ----------
    bars : Bars
        One asset's bars.
    fast, slow : int
        Windows of the two simple moving averages, bars (``fast < slow`` is not required: the
        rule is symmetric, but a sweep may constrain it).

    Returns
    -------
    Signals
        ``entries`` where SMA(fast) crosses above SMA(slow), ``exits`` where it crosses below.
        Stops and costs are backtest keywords (``sl_stop``, ``tp_stop``, ``fees``, ...).

    Examples
    --------
    >>> import soltrader as st
    >>> res = st.backtest(bars, st.strategies.sma_cross, fast=20, slow=100, sl_stop=0.02,
    ...                   fees=0.001, slippage=0.0005)   # doctest: +SKIP
    """
    entries, exits = sma_cross_nb(bars.close, int(fast), int(slow))
    return Signals(entries, exits)


sma_cross = Strategy(
    name="sma_cross",
    signal=sma_cross_signals,
    params={"fast": 20, "slow": 100},
    space={"fast": range(10, 101, 10), "slow": range(50, 501, 50)},
    description="Long when SMA(fast) crosses above SMA(slow); flat when it crosses below.",
)
