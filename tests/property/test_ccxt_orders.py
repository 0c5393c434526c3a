"""Properties of the exchange-order path that no sequence of reports or intents may break.

* **Fill chaos**: an order's reports (status updates and trades) arrive shuffled, repeated up to
  three times and partly dropped, as a user-data stream delivers them; REST then gives the
  order's final status and its trades. The tracker's final quantity and average price equal
  the truth exactly, and before the REST recovery it never calls the order complete with a
  quantity or price other than the truth.
* **Pre-trade limits**: an intent the venue accepts to send never breaks the market's lot
  step, minimum or maximum amount, minimum or maximum cost, and carries no NaN; an intent
  that would is refused before anything is sent, naming the rule.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soltrader.adapters.ccxt_venue import MarketRules, plan_order
from soltrader.adapters.solana_venue import VenueRefusedError
from soltrader.domain.orders import OrderReportError, OrderTracker, TradeReport
from soltrader.domain.state import QuantityUnit, intent_dt

# -- fill chaos --------------------------------------------------------------------------------

_qty = st.integers(1, 10**6).map(lambda n: Decimal(n).scaleb(-3))  # 0.001 .. 1000 base units
_price = st.integers(1, 10**7).map(lambda n: Decimal(n).scaleb(-2))  # 0.01 .. 100000 quote


@st.composite
def _orders(draw: st.DrawFn) -> tuple[list[TradeReport], str]:
    """An order's true trades (1 to 12) and its final status."""
    n = draw(st.integers(1, 12))
    assets = st.sampled_from(["SOL", "USDT"])
    trades = [
        TradeReport("9", str(1000 + i), draw(_qty), draw(_price), draw(_qty) / 1000, draw(assets))
        for i in range(n)
    ]
    return trades, draw(st.sampled_from(["filled", "canceled", "expired"]))


def _stream(trades: list[TradeReport], final: str) -> list[tuple[str, object]]:
    """What a user-data stream sends, in order: after each trade, the trade and a status
    report with the cumulative quantity; the last status is the final one."""
    events: list[tuple[str, object]] = []
    total = Decimal(0)
    for i, trade in enumerate(trades):
        total += trade.qty
        status = final if i == len(trades) - 1 else "partially_filled"
        events += [("trade", trade), ("status", (status, total))]
    return events


def _apply(tracker: OrderTracker, event: tuple[str, object]) -> None:
    kind, body = event
    if kind == "trade":
        assert isinstance(body, TradeReport)
        tracker.on_trade(body)
    else:
        status, filled = body  # type: ignore[misc]
        tracker.on_status(status, filled)


@settings(max_examples=1_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=_orders(), data=st.data())
def test_shuffled_repeated_and_dropped_reports_recover_the_true_fill(
    order: tuple[list[TradeReport], str], data: st.DataObject
) -> None:
    trades, final = order
    truth_qty = sum((t.qty for t in trades), Decimal(0))
    truth_cost = sum((t.qty * t.price for t in trades), Decimal(0))
    events = _stream(trades, final)
    copies = data.draw(st.lists(st.integers(0, 3), min_size=len(events), max_size=len(events)))
    chaotic = [e for e, k in zip(events, copies, strict=True) for _ in range(k)]
    chaotic = data.draw(st.permutations(chaotic))
    tracker = OrderTracker("9")
    for event in chaotic:
        _apply(tracker, event)
        if tracker.complete:  # never complete on a partial picture
            assert tracker.filled == truth_qty
            assert tracker.cost == truth_cost
    # REST: the order's final status and cumulative quantity, then its trades (in any order)
    tracker.on_status(final, truth_qty)
    for trade in data.draw(st.permutations(trades)):
        tracker.on_trade(trade)
    assert tracker.complete and tracker.status == final
    assert tracker.filled == truth_qty
    assert tracker.average_price() == truth_cost / truth_qty
    fees: dict[str, Decimal] = {}
    for t in trades:
        fees[t.commission_asset] = fees.get(t.commission_asset, Decimal(0)) + t.commission
    assert tracker.commission() == fees


def test_contradicting_reports_are_refused() -> None:
    tracker = OrderTracker("9")
    tracker.on_trade(TradeReport("9", "1", Decimal(1), Decimal(10), Decimal(0), ""))
    with pytest.raises(OrderReportError, match="different amounts"):
        tracker.on_trade(TradeReport("9", "1", Decimal(2), Decimal(10), Decimal(0), ""))
    with pytest.raises(OrderReportError, match="of order 8"):
        tracker.on_trade(TradeReport("8", "2", Decimal(1), Decimal(10), Decimal(0), ""))
    tracker.on_status("filled", Decimal(1))
    with pytest.raises(OrderReportError, match="canceled after filled"):
        tracker.on_status("canceled", Decimal(1))
    with pytest.raises(OrderReportError, match="more than"):
        tracker.on_trade(TradeReport("9", "3", Decimal(1), Decimal(10), Decimal(0), ""))


# -- pre-trade limits --------------------------------------------------------------------------

_steps = st.sampled_from(["0.00000001", "0.001", "0.01", "1"]).map(Decimal)
_maybe = st.one_of(st.none(), st.sampled_from(["0.001", "0.1", "1", "5", "10", "1000"]))


@st.composite
def _rules(draw: st.DrawFn) -> MarketRules:
    step = draw(_steps)
    lo, hi = draw(_maybe), draw(_maybe)
    cost_lo = draw(_maybe)
    cost_hi = draw(st.one_of(st.none(), st.sampled_from(["5000", "1e6"])))
    return MarketRules(
        "SOL/USDT", "SOL", "USDT", step, None if lo is None else Decimal(lo),
        None if hi is None else Decimal(hi) * 100, None if cost_lo is None else Decimal(cost_lo),
        None if cost_hi is None else Decimal(cost_hi), draw(st.sampled_from(
            [Decimal(0), Decimal("0.001"), Decimal("0.0025")]
        )), draw(st.sampled_from([Decimal("0.01"), Decimal("0.00000001")])),
    )  # fmt: skip


_PRICES = st.floats(min_value=0.01, max_value=1e4)
_EDGES = st.sampled_from([0.0, -1.0, math.nan, math.inf, 5e-324, 1e12])
#: Quantities per unit: mostly what a strategy decides, sometimes an edge case.
_QUANTITIES = {
    QuantityUnit.BASE: st.floats(min_value=1e-6, max_value=1e4),
    QuantityUnit.QUOTE: st.floats(min_value=0.5, max_value=1e5),
    QuantityUnit.CASH_FRACTION: st.floats(min_value=1e-4, max_value=1.0),
}


@settings(max_examples=3_000, deadline=None)  # about one in twelve is accepted
@given(
    rules=_rules(),
    side=st.sampled_from([1, -1]),
    unit=st.sampled_from(list(QuantityUnit)),
    kind=st.sampled_from([0] * 8 + [1, 2]),
    price=st.one_of(*[_PRICES] * 8, st.sampled_from([math.nan, 0.0, -1.0, math.inf])),
    free=st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=8)),
    data=st.data(),
)
def test_an_accepted_intent_keeps_every_market_rule(
    rules: MarketRules, side: int, unit: QuantityUnit, kind: int, price: float,
    free: Decimal | None, data: st.DataObject,
) -> None:  # fmt: skip
    quantity = data.draw(st.one_of(*[_QUANTITIES[unit]] * 4, _EDGES), label="quantity")
    rec = np.zeros((), dtype=intent_dt)
    rec["client_id"], rec["side"], rec["unit"] = 7, side, unit
    rec["kind"], rec["quantity"] = kind, quantity
    try:
        plan = plan_order(rec, rules, price, free)
    except VenueRefusedError as refused:
        assert refused.client_id == 7 and str(refused).startswith("intent 0000000000000007: ")
        return
    px = Decimal(repr(price))
    assert kind == 0 and math.isfinite(quantity) and quantity > 0 and math.isfinite(price)
    if plan.cost is not None:  # a buy by budget: the venue fills cost / price, lot-rounded
        assert plan.side == "buy" and plan.amount is None and plan.cost.is_finite()
        assert plan.cost > 0 and plan.cost % rules.quote_step == 0
        budget = Decimal(repr(quantity))
        if unit == QuantityUnit.CASH_FRACTION:
            assert free is not None
            budget = free * min(budget, Decimal(1))
        assert plan.cost * (1 + rules.taker_fee) <= budget  # the order and its fee fit
        amount = (plan.cost / px / rules.amount_step).to_integral_value("ROUND_DOWN")
        amount *= rules.amount_step
        cost = plan.cost
    else:
        assert plan.amount is not None and plan.amount.is_finite()
        assert unit == QuantityUnit.BASE
        amount, cost = plan.amount, plan.amount * px
        assert amount <= Decimal(repr(quantity))  # never more than decided
        assert Decimal(repr(quantity)) - amount == plan.dust or side == 1
    assert amount > 0 and amount % rules.amount_step == 0
    assert rules.min_amount is None or amount >= rules.min_amount
    assert rules.max_amount is None or amount <= rules.max_amount
    assert rules.min_cost is None or cost >= rules.min_cost
    assert rules.max_cost is None or cost <= rules.max_cost
