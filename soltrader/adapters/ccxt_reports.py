"""ccxt's unified order and trade structures as the reports an
:class:`~soltrader.domain.orders.OrderTracker` folds, exactly (numbers through their shortest
text, so ``0.001`` stays ``Decimal("0.001")``). The venue's REST replies and the user-data
stream's events go through the same two functions.

Examples
--------
>>> from soltrader.domain.orders import OrderTracker
>>> t = OrderTracker("42")
>>> fold_order(t, {"id": "42", "status": "closed", "filled": 1.5, "trades": [
...     {"id": "7", "amount": 1.5, "price": 60.74, "fee": {"cost": 0.0015, "currency": "SOL"}}]})
>>> t.complete, t.average_price(), t.commission()
(True, Decimal('60.74'), {'SOL': Decimal('0.0015')})
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from soltrader.domain.orders import OrderReportError, OrderTracker, TradeReport

_ZERO = Decimal(0)
#: ccxt's unified order statuses, as the tracker's ("open" depends on the filled amount).
_STATUS = {"closed": "filled", "canceled": "canceled", "expired": "expired", "rejected": "rejected"}


def exact(value: Any) -> Decimal | None:
    """A number as an exact Decimal through its shortest text (None stays None).

    Examples
    --------
    >>> exact(0.1), exact("0.10000000"), exact(None)
    (Decimal('0.1'), Decimal('0.10000000'), None)
    """
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        return Decimal(value)
    return Decimal(repr(float(value)))


def trade_report(trade: Mapping[str, Any]) -> TradeReport:
    """A ccxt unified trade as a :class:`TradeReport`.

    Raises
    ------
    OrderReportError
        The trade has no amount or price.
    """
    fee = trade.get("fee") or {}
    return TradeReport(
        str(trade["order"]), str(trade["id"]), _required(trade, "amount"),
        _required(trade, "price"), exact(fee.get("cost")) or _ZERO,
        str(fee.get("currency") or ""),
    )  # fmt: skip


def _required(doc: Mapping[str, Any], key: str) -> Decimal:
    value = exact(doc.get(key))
    if value is None:
        raise OrderReportError(f"the venue's report has no {key}: {sorted(doc)}")
    return value


def fold_order(tracker: OrderTracker, order: Mapping[str, Any]) -> None:
    """Fold a ccxt unified order (a create reply, a query, a stream event) into ``tracker``:
    its status and filled amount, and the trades it carries (a Binance ``FULL`` reply's
    ``fills``)."""
    filled = exact(order.get("filled")) or _ZERO
    status = _STATUS.get(str(order.get("status")))
    if status is None:
        status = "partially_filled" if filled > 0 else "new"
    tracker.on_status(status, filled)
    for trade in order.get("trades") or ():
        if trade.get("id") is not None:
            own = {**trade, "order": trade.get("order") or tracker.order_id}
            tracker.on_trade(trade_report(own))


__all__ = ["exact", "fold_order", "trade_report"]
