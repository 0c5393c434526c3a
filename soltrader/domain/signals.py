"""What a strategy reads and what it returns: one asset's bars and its signal arrays.

They live in the innermost ring because both halves use them: the replay engine and the sweeps
hand :class:`Bars` to a strategy's signal function over the whole history, the live loop over a
growing window, and both read the :class:`Signals` it returns (``soltrader.strategies`` re-exports
them).

Examples
--------
>>> import numpy as np
>>> one = np.ones(3)
>>> bars = Bars(one, one, one, one, one)
>>> sig = Signals(entries=one > 0, exits=one < 0, sl_stop=np.full(3, 0.02))
>>> sorted(sig.extras())
['sl_stop']
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Bars(NamedTuple):
    """One asset's bars as plain float64 arrays (prices in quote currency, volume in base)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray


class Signals(NamedTuple):
    """What a signal function returns: decisions at each bar's close, and optional per-bar
    order and risk values that the simulator takes as its keywords of the same names."""

    entries: np.ndarray
    exits: np.ndarray
    short_entries: np.ndarray | None = None
    short_exits: np.ndarray | None = None
    sl_stop: np.ndarray | None = None
    tp_stop: np.ndarray | None = None
    size: np.ndarray | None = None
    limit_price: np.ndarray | None = None
    stop_price: np.ndarray | None = None
    confidence: np.ndarray | None = None
    order_type: np.ndarray | None = None
    partial_tp_stop: np.ndarray | None = None
    partial_tp_size: np.ndarray | None = None
    max_bars: np.ndarray | None = None
    leverage: np.ndarray | None = None
    exit_size: np.ndarray | None = None

    def extras(self) -> dict[str, np.ndarray]:
        """The optional fields that are set, by simulator keyword (``confidence`` excluded)."""
        names = (
            "short_entries",
            "short_exits",
            "sl_stop",
            "tp_stop",
            "size",
            "limit_price",
            "stop_price",
            "order_type",
            "partial_tp_stop",
            "partial_tp_size",
            "max_bars",
            "leverage",
            "exit_size",
        )
        return {k: getattr(self, k) for k in names if getattr(self, k) is not None}
