"""Market structure (Smart Money Concepts): swings, BOS / CHoCH, order blocks. Pure.

* :func:`swings` — swing highs / lows, flagged at their bar, known ``right`` bars later;
* :func:`structure` — trend state and breaks of structure on close: BOS (continuation) and
  CHoCH (change of character), with the broken level;
* :func:`order_blocks` — the order-block zone of each break (last opposite candle before the
  impulsive move), invalidated when a candle *closes* beyond it, flipped into a *breaker*; per
  bar the nearest valid bullish / bearish zone and whether the bar touched one;
* :func:`smc` — all of it in one call; :func:`blocks_at` — the zone table as known at a bar;
* :mod:`soltrader.structure.nb` — the numba kernels, for strategy and sweep kernels.

Nothing looks ahead: what a result says about bar ``t`` uses bars ``0..t`` only. Every rule and
choice is in ``docs/structure.md``. Importing compiles nothing.

Examples
--------
>>> import numpy as np
>>> import soltrader.structure as ss
>>> h = np.array([1.0, 3.0, 2.0, 2.0, 4.0, 1.0])
>>> ss.swings({"open": h, "high": h, "low": h, "close": h}, left=1, right=1)["swing_high"]
array([False,  True, False, False,  True, False])
"""

from soltrader.structure import nb
from soltrader.structure.api import (
    BreakKind,
    OrderBlockResult,
    SMCResult,
    StructureResult,
    Trend,
    ZoneKind,
    blocks_at,
    event_dt,
    order_block_dt,
    order_blocks,
    smc,
    structure,
    swings,
)

__all__ = [
    "BreakKind",
    "OrderBlockResult",
    "SMCResult",
    "StructureResult",
    "Trend",
    "ZoneKind",
    "blocks_at",
    "event_dt",
    "nb",
    "order_block_dt",
    "order_blocks",
    "smc",
    "structure",
    "swings",
]
