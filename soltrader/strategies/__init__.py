"""Strategies: pure signal functions with their parameters (see :mod:`.spec`).

Examples
--------
>>> import soltrader as st
>>> st.strategies.sma_cross.params["fast"]
20
"""

from soltrader.strategies.mean_reversion import mean_reversion
from soltrader.strategies.signals import crossed_above_nb, crossed_below_nb
from soltrader.strategies.sma_cross import sma_cross
from soltrader.strategies.spec import Bars, Signals, Strategy

#: Strategies by name, as specs and live configs refer to them.
REGISTRY: dict[str, Strategy] = {s.name: s for s in (sma_cross, mean_reversion)}

__all__ = [
    "REGISTRY",
    "Bars",
    "Signals",
    "Strategy",
    "crossed_above_nb",
    "crossed_below_nb",
    "mean_reversion",
    "sma_cross",
]
