"""The numba kernels of :mod:`soltrader.structure` under their ``*_nb`` names, with their codes.

For use inside other ``@numba.njit`` code (strategy and sweep kernels): plain arrays in and out,
no validation (see :mod:`soltrader.structure._nb`). The pipeline is
``swings_nb -> structure_nb -> order_blocks_nb -> zones_nb``. Importing compiles nothing.

Examples
--------
>>> import numpy as np
>>> from soltrader.structure.nb import swings_nb
>>> h = np.array([1.0, 3.0, 2.0, 2.0, 4.0, 1.0])
>>> np.flatnonzero(swings_nb(h, h, 1, 1)[0])
array([1, 4])
"""

from soltrader.structure._nb import (
    BEARISH,
    BOS,
    BREAKER,
    BULLISH,
    CHOCH,
    FRESH,
    NEUTRAL,
    NO_BREAK,
    NO_ZONE,
    NONE,
    ob_source_nb,
    order_blocks_nb,
    structure_nb,
    swing_levels_nb,
    swings_nb,
    zones_nb,
)

__all__ = [
    "BEARISH",
    "BOS",
    "BREAKER",
    "BULLISH",
    "CHOCH",
    "FRESH",
    "NEUTRAL",
    "NONE",
    "NO_BREAK",
    "NO_ZONE",
    "ob_source_nb",
    "order_blocks_nb",
    "structure_nb",
    "swing_levels_nb",
    "swings_nb",
    "zones_nb",
]
