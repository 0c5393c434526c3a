"""An exchange's user-data stream (order and trade reports) feeding the order trackers of a
ccxt venue, with REST as the fallback it never replaces.

A ccxt pro client's ``watch_orders`` and ``watch_my_trades`` deliver what the exchange pushes
(on Binance spot: ``executionReport`` events of the WebSocket API's user-data subscription).
:class:`UserStream` runs one task per call, re-subscribing with capped backoff after a drop,
and hands every report to the :class:`~soltrader.domain.orders.OrderTracker` of its order:
status reports (status, cumulative filled) and trade reports (keyed by trade id). A report of
an order the venue does not follow yet (it may arrive before the reply that names the order)
is kept, up to ``max_early`` per stream, and replayed when the venue starts following it.

The stream is an accelerator, never the source of truth: a stream drops, repeats and reorders
events, and the tracker folds any such sequence into the same state; an order is booked only
once the tracker is complete, and the venue polls REST for whatever the stream did not say
(every ``rest_every_s`` while it waits).

Examples
--------
>>> stream = UserStream(exchange, "SOL/USDT")                    # doctest: +SKIP
>>> await stream.start()                                          # doctest: +SKIP
>>> changed = stream.follow(tracker)   # set on every report applied to it   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from soltrader.adapters.ccxt_reports import fold_order, trade_report
from soltrader.adapters.resilience import backoff_delays
from soltrader.domain.orders import OrderReportError, OrderTracker

log = logging.getLogger("soltrader.venue.stream")

Sleep = Callable[[float], Awaitable[Any]]
#: The first wait's ceiling before a re-subscription, seconds.
_FIRST_WAIT_S = 0.05


class UserStream:
    """Order and trade reports of one market from a ccxt pro client, dispatched to trackers.

    Parameters
    ----------
    exchange : ccxt.pro.Exchange
        A ccxt pro client with credentials (``watch_orders``, ``watch_my_trades``).
    symbol : str
        The unified symbol whose reports are watched.
    reconnect_cap_s : float
        The longest wait before a re-subscription after an error, seconds.
    max_early : int
        Reports of orders not followed yet that are kept (the oldest go first).
    sleep : coroutine function
        Waits a number of seconds.

    Attributes
    ----------
    reports : int
        Reports applied to a followed order.
    errors : int
        Errors of the watch calls (each followed by a re-subscription).
    """

    def __init__(
        self,
        exchange: Any,
        symbol: str,
        *,
        reconnect_cap_s: float = 5.0,
        max_early: int = 10_000,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.exchange = exchange
        self.symbol = symbol
        self.reconnect_cap_s = float(reconnect_cap_s)
        self.max_early = int(max_early)
        self._sleep = sleep
        self._trackers: dict[str, tuple[OrderTracker, asyncio.Event]] = {}
        self._early: OrderedDict[tuple[str, str, str], Mapping[str, Any]] = OrderedDict()
        self._tasks: list[asyncio.Task[None]] = []
        self.reports = 0
        self.errors = 0

    def __repr__(self) -> str:
        return f"UserStream({self.symbol!r}, following={len(self._trackers)})"

    async def start(self) -> None:
        """Start watching (once): one task for order reports, one for trade reports."""
        if self._tasks:
            return
        self._tasks = [
            asyncio.ensure_future(self._loop("watch_orders", self._on_order)),
            asyncio.ensure_future(self._loop("watch_my_trades", self._on_trade)),
        ]

    async def stop(self) -> None:
        """Stop watching."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def follow(self, tracker: OrderTracker) -> asyncio.Event:
        """Send the reports of ``tracker.order_id`` to ``tracker`` (those that came early
        first); the event is set after every report applied."""
        changed = asyncio.Event()
        self._trackers[tracker.order_id] = (tracker, changed)
        for key in [k for k in self._early if k[1] == tracker.order_id]:
            report = self._early.pop(key)
            self._apply(key[0], tracker, report)
            changed.set()
        return changed

    def forget(self, order_id: str) -> None:
        """Stop following an order (booked)."""
        self._trackers.pop(str(order_id), None)

    async def _loop(self, method: str, handle: Callable[[Mapping[str, Any]], None]) -> None:
        delays = backoff_delays(_FIRST_WAIT_S, max(_FIRST_WAIT_S, self.reconnect_cap_s))
        while True:
            try:
                items = await getattr(self.exchange, method)(self.symbol)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a drop, a stall, an exchange error: subscribe again
                self.errors += 1
                delay = next(delays)
                log.warning("%s: %s; again in %.2f s", method, type(error).__name__, delay)
                await self._sleep(delay)
                continue
            delays = backoff_delays(_FIRST_WAIT_S, max(_FIRST_WAIT_S, self.reconnect_cap_s))
            for item in items:
                handle(item)

    def _on_order(self, order: Mapping[str, Any]) -> None:
        self._dispatch("order", str(order.get("id")), str(order.get("status")), order)

    def _on_trade(self, trade: Mapping[str, Any]) -> None:
        self._dispatch("trade", str(trade.get("order")), str(trade.get("id")), trade)

    def _dispatch(self, kind: str, order_id: str, key: str, report: Mapping[str, Any]) -> None:
        followed = self._trackers.get(order_id)
        if followed is None:
            self._early[(kind, order_id, key + repr(report.get("filled")))] = report
            while len(self._early) > self.max_early:
                self._early.popitem(last=False)
            return
        tracker, changed = followed
        self._apply(kind, tracker, report)
        changed.set()

    def _apply(self, kind: str, tracker: OrderTracker, report: Mapping[str, Any]) -> None:
        try:
            if kind == "order":
                fold_order(tracker, {**report, "trades": ()})
            else:
                tracker.on_trade(trade_report(report))
        except OrderReportError as error:  # the venue's REST answers settle it
            log.warning("stream report refused: %s", error)
            return
        self.reports += 1


__all__ = ["UserStream"]
