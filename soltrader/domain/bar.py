"""One closed bar as a live feed delivers it: the record that crosses the ``MarketData`` port.

The research side reads bars as columns (:class:`soltrader.domain.signals.Bars`); the live side
receives them one at a time, as this record, and appends them to the same columns.

Examples
--------
>>> bar = Bar(1_700_000_040_000, 60.0, 61.0, 59.5, 60.5, 1_234.5, 1_700_000_099_999)
>>> bar.close, bar.close_time_ms - bar.open_time_ms + 1
(60.5, 60000)
"""

from __future__ import annotations

from typing import NamedTuple


class Bar(NamedTuple):
    """One closed OHLCV bar (values as the source sent them; the runtime checks them).

    Attributes
    ----------
    open_time_ms : int
        Bar open time, epoch milliseconds UTC.
    open, high, low, close : float
        Prices in quote currency.
    volume : float
        Traded amount in base units.
    close_time_ms : int
        The source's close time, epoch milliseconds UTC (Binance: open + interval - 1), or -1
        when the source gives none.
    """

    open_time_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    close_time_ms: int = -1

    @property
    def ohlcv(self) -> tuple[float, float, float, float, float]:
        """``(open, high, low, close, volume)``, in that order."""
        return (self.open, self.high, self.low, self.close, self.volume)


__all__ = ["Bar"]
