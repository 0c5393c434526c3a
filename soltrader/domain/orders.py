"""One exchange order's life, rebuilt from reports that may come late, twice or not at all.

A venue tells about an order in two kinds of report, through two channels (a user-data stream
and REST replies), and neither channel is reliable: a stream drops, reorders and repeats events;
a REST reply may describe the order before or after a stream event did.

* a **status report**: the order's status and the cumulative quantity filled so far;
* a **trade report**: one execution, unique by its trade id.

:class:`OrderTracker` folds any sequence of them into the one truth they describe, whatever their
order and however often each is repeated: a trade is counted once per trade id, the cumulative
filled quantity only grows, a terminal status (``filled``, ``canceled``, ``expired``,
``rejected``) is final. The order is :attr:`~OrderTracker.complete` only when it is terminal
**and** the trades seen add up to the filled quantity the venue reported: until then a caller
must fetch the missing trades (REST) before it books the order.

All quantities are :class:`decimal.Decimal` (exact: base units, quote per base unit, the
commission in its own asset).

Examples
--------
>>> from decimal import Decimal as D
>>> t = OrderTracker("42")
>>> t.on_status("filled", D("2"))
>>> t.on_trade(TradeReport("42", "7", D("1.5"), D("100"), D("0.0015"), "SOL"))
True
>>> t.complete          # 1.5 of 2 seen: a trade is missing
False
>>> t.on_trade(TradeReport("42", "8", D("0.5"), D("101"), D("0.0005"), "SOL"))
True
>>> t.on_trade(TradeReport("42", "8", D("0.5"), D("101"), D("0.0005"), "SOL"))  # seen already
False
>>> t.complete, t.filled, t.average_price(), t.commission()
(True, Decimal('2.0'), Decimal('100.25'), {'SOL': Decimal('0.0020')})
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from soltrader.domain.errors import Error

#: Statuses after which an order never changes.
TERMINAL = frozenset({"filled", "canceled", "expired", "rejected"})
#: Every status a report may carry (ccxt's unified names; "partially_filled" is an open order).
STATUSES = frozenset({"new", "partially_filled", *TERMINAL})
_ZERO = Decimal(0)


class OrderReportError(Error):
    """Reports about one order contradict each other (two trades with one id but different
    amounts, a trade of another order, two different terminal statuses, fills beyond the
    reported total)."""


class TradeReport(NamedTuple):
    """One execution of an order.

    Attributes
    ----------
    order_id : str
        The venue's order id.
    trade_id : str
        The venue's trade id (unique per order).
    qty : Decimal
        Base units executed (> 0).
    price : Decimal
        Quote per base unit.
    commission : Decimal
        The fee charged, in ``commission_asset`` units (>= 0).
    commission_asset : str
        The asset the fee was charged in ("" when none).
    """

    order_id: str
    trade_id: str
    qty: Decimal
    price: Decimal
    commission: Decimal
    commission_asset: str


class OrderTracker:
    """The state of one order, folded from status and trade reports (see the module docstring).

    Parameters
    ----------
    order_id : str
        The venue's id of the order; a trade report of another order is refused.
    """

    def __init__(self, order_id: str) -> None:
        self.order_id = str(order_id)
        self.status = "new"
        self.reported_filled = _ZERO  # the largest cumulative quantity a status report gave
        self.trades: dict[str, TradeReport] = {}

    def __repr__(self) -> str:
        return (
            f"OrderTracker({self.order_id!r}, status={self.status!r}, "
            f"filled={self.filled}/{self.reported_filled}, trades={len(self.trades)})"
        )

    def on_status(self, status: str, filled: Decimal) -> None:
        """Fold a status report: ``status`` (one of :data:`STATUSES`) with ``filled`` base units
        executed so far (cumulative).

        Raises
        ------
        OrderReportError
            An unknown status, a negative quantity, or a second, different terminal status.
        """
        if status not in STATUSES:
            raise OrderReportError(f"order {self.order_id}: unknown status {status!r}")
        if filled < 0:
            raise OrderReportError(f"order {self.order_id}: filled quantity {filled} < 0")
        self.reported_filled = max(self.reported_filled, filled)
        if self.status in TERMINAL:
            if status in TERMINAL and status != self.status:
                raise OrderReportError(
                    f"order {self.order_id}: reported {status} after {self.status}"
                )
            return
        if status in TERMINAL or status == "partially_filled":
            self.status = status
        self._check_total()

    def on_trade(self, trade: TradeReport) -> bool:
        """Fold a trade report; True when it was new (a trade id seen before changes nothing).

        Raises
        ------
        OrderReportError
            A trade of another order, a non-positive quantity, or a trade id seen before with
            other amounts.
        """
        if str(trade.order_id) != self.order_id:
            raise OrderReportError(
                f"order {self.order_id}: got trade {trade.trade_id} of order {trade.order_id}"
            )
        if not trade.qty > 0 or trade.commission < 0:
            raise OrderReportError(
                f"order {self.order_id}: trade {trade.trade_id} has qty {trade.qty}, "
                f"commission {trade.commission}"
            )
        seen = self.trades.get(trade.trade_id)
        if seen is not None:
            if seen != trade:
                raise OrderReportError(
                    f"order {self.order_id}: trade {trade.trade_id} reported twice with "
                    f"different amounts ({seen.qty}@{seen.price} vs {trade.qty}@{trade.price})"
                )
            return False
        self.trades[trade.trade_id] = trade
        if self.status == "new":
            self.status = "partially_filled"
        self._check_total()
        return True

    def _check_total(self) -> None:
        if self.status in TERMINAL and self.filled > self.reported_filled:
            raise OrderReportError(
                f"order {self.order_id}: trades add up to {self.filled}, more than the "
                f"{self.reported_filled} reported {self.status}"
            )

    @property
    def filled(self) -> Decimal:
        """Base units executed, by the trades seen."""
        return sum((t.qty for t in self.trades.values()), _ZERO)

    @property
    def cost(self) -> Decimal:
        """Quote units paid or received, by the trades seen (before commission)."""
        return sum((t.qty * t.price for t in self.trades.values()), _ZERO)

    @property
    def terminal(self) -> bool:
        """The venue reported a final status."""
        return self.status in TERMINAL

    @property
    def complete(self) -> bool:
        """Final, and every trade of it seen: the order can be booked."""
        return self.terminal and self.filled == self.reported_filled

    @property
    def missing(self) -> Decimal:
        """Base units the venue reported filled that no trade seen accounts for."""
        return max(self.reported_filled - self.filled, _ZERO)

    def average_price(self) -> Decimal | None:
        """The volume-weighted price of the trades seen (None before any)."""
        filled = self.filled
        return self.cost / filled if filled else None

    def commission(self) -> dict[str, Decimal]:
        """The commission charged, summed per asset."""
        out: dict[str, Decimal] = {}
        for t in self.trades.values():
            if t.commission:
                out[t.commission_asset] = out.get(t.commission_asset, _ZERO) + t.commission
        return out


__all__ = ["STATUSES", "TERMINAL", "OrderReportError", "OrderTracker", "TradeReport"]
