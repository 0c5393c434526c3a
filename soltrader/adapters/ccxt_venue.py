"""A centralised exchange as the runtime's venue, through a ccxt client (the ``ExecutingVenue``
port): market intents become market orders, executed at most once, whatever is lost.

An intent on the spec's market becomes one market order:

=============================  ===============================================================
intent                         order
=============================  ===============================================================
buy, ``unit=QUOTE``            a buy costing ``quantity / (1 + taker fee)`` quote
                               (``quoteOrderQty``), so that the order and its fee fit the budget
buy, ``unit=CASH_FRACTION``    the same with that fraction of the free quote balance (read when
                               sent)
buy, ``unit=BASE``             ``quantity`` base units
sell, ``unit=BASE``            ``quantity`` base units, rounded down to the lot step; an unsold
                               remainder below one step (dust) stays in the account and is
                               written off (see below)
=============================  ===============================================================

**Before anything is sent** the order is checked against the market's rules as ccxt reports
them (lot step and precision, minimum and maximum amount, minimum and maximum cost, the price
used to estimate cost is finite): an intent that breaks one is refused, naming the rule, and
nothing is sent.

**At most once.** Every order's client order id is derived from the intent's id
(``st`` + 16 hex digits), and the order is journaled (state ``sending``, with the wall-clock
time it was sent) *before* it is sent. Binance's client order id is **not** an idempotency key
(it is unique only among open orders: a filled order's id is accepted again and makes a second
order), so nothing is ever re-sent before the venue was asked about the id:

* a timeout, a dropped connection or a 5xx on create is an **unknown outcome**: the order is
  queried by client id until the venue answers; "not found" is believed only once the request
  can no longer be accepted (``recv_window_ms`` after its timestamp: the venue refuses an older
  one), and only then is the same order sent again;
* a 429 / 418 (rate limit) waits the ``Retry-After`` the venue gave (through the shared
  :class:`~soltrader.adapters.resilience.RateLimiter`, which every call of the venue passes), then
  queries before it re-sends, at most ``max_retries`` times;
* any other exchange error (insufficient funds, authentication, a filter the venue enforces) is
  final: the intent is refused with the venue's message, and the call is made exactly once.

After a restart the journaled order is resolved the same way (queried by client id) before
anything new is built, so a crash at any point leaves one order per intent.

**Fills.** An accepted order is followed until it is final and every one of its trades is seen
(:class:`~soltrader.domain.orders.OrderTracker`: trades are keyed by trade id, so a trade
reported twice counts once; REST polling fetches the order and, when trades are missing, its
trades). The intent's execution is then one ``fill_dt`` record: ``size`` the base units it
added to or took from the position (a commission charged in the base asset is deducted from a
buy), ``price`` the volume-weighted price, ``fees`` every commission in quote units (base-asset
commission at that price) plus the value of the dust a sell left behind. An order that ended
with nothing filled is a refusal.

Examples
--------
>>> client_order_id(0xDEADBEEF)
'st00000000deadbeef'
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any, NamedTuple, Protocol

import numpy as np

from soltrader.adapters.ccxt_reports import exact, fold_order, trade_report
from soltrader.adapters.ccxt_stream import UserStream
from soltrader.adapters.resilience import Provider, RateLimiter, backoff_delays, retry_after_s
from soltrader.adapters.solana_venue import VenueRefusedError
from soltrader.domain.enums import OrderType, Side
from soltrader.domain.errors import Error, ParameterError
from soltrader.domain.orders import OrderTracker
from soltrader.domain.ports import Execution, Reconciliation
from soltrader.domain.state import QuantityUnit, intent_dt, intent_fill

log = logging.getLogger("soltrader.venue.ccxt")

_ZERO = Decimal(0)
#: The longest wait between two tries of a read or of a query by client id, seconds.
_BACKOFF_CAP_S = 2.0


class VenueOutcomeError(Error):
    """The venue has not said how an order ended within ``resolve_timeout_s`` (it stays in
    flight: the journal holds it, and a restart asks the venue again before anything else)."""


class VenueOrder(NamedTuple):
    """An order sent for an intent, journaled before it was sent.

    Attributes
    ----------
    intent_id : int
        The intent's client id (unsigned 64-bit).
    client_order_id : str
        The id the venue knows the order by (:func:`client_order_id`).
    venue : str
        The venue's name (the ccxt exchange id).
    state : str
        ``"sending"`` (journaled; maybe sent, maybe accepted), ``"accepted"`` (the venue has
        it: ``order_id``), ``"closed"`` (final and booked from its trades) or ``"refused"``
        (the venue refused it; nothing executed).
    sent_ms : int
        Wall-clock epoch ms of the last send (the venue refuses the request ``recv_window_ms``
        later).
    order_id : str
        The venue's order id ("" until known).
    detail : str
        Why it was refused, or the dust written off on a closed sell.
    """

    intent_id: int
    client_order_id: str
    venue: str
    state: str
    sent_ms: int
    order_id: str = ""
    detail: str = ""


class OrderStore(Protocol):
    """Where the venue journals its orders (the runtime's journal)."""

    def record_venue_order(self, order: VenueOrder) -> None:
        """Store a new order (state ``sending``) before it is sent."""
        ...

    def update_venue_order(
        self, client_order_id: str, state: str, *, order_id: str = "", sent_ms: int | None = None,
        detail: str = "",
    ) -> None:  # fmt: skip
        """Move a stored order to ``state`` (and record the venue's id, a re-send's time)."""
        ...

    def venue_orders(self, intent_id: int | None = None) -> list[VenueOrder]:
        """Stored orders (of one intent, or all), in the order they were recorded."""
        ...


class MarketRules(NamedTuple):
    """A market's trading rules, from ccxt's market structure (amounts in base units, prices in
    quote per base unit, costs in quote units; None: no such rule).

    Attributes
    ----------
    symbol, base, quote : str
        The unified symbol and its assets.
    amount_step : Decimal
        Amounts are multiples of this.
    min_amount, max_amount, min_cost, max_cost : Decimal or None
        Limits on an order's amount and cost (notional).
    taker_fee : Decimal
        The taker commission rate (a fraction).
    quote_step : Decimal
        A buy's cost is a multiple of this (ccxt sends a cost at the price precision).
    """

    symbol: str
    base: str
    quote: str
    amount_step: Decimal
    min_amount: Decimal | None
    max_amount: Decimal | None
    min_cost: Decimal | None
    max_cost: Decimal | None
    taker_fee: Decimal
    quote_step: Decimal = Decimal("1e-8")

    @classmethod
    def from_ccxt(cls, market: Mapping[str, Any]) -> MarketRules:
        """The rules of one ``exchange.markets[symbol]`` entry (``precision.amount`` is a step:
        ccxt's ``TICK_SIZE`` precision mode, which Binance uses).

        Examples
        --------
        >>> rules = MarketRules.from_ccxt({"symbol": "SOL/USDT", "base": "SOL", "quote": "USDT",
        ...     "precision": {"amount": 0.001}, "taker": 0.001, "limits": {
        ...     "amount": {"min": 0.001, "max": 9000.0}, "cost": {"min": 5.0, "max": None}}})
        >>> rules.amount_step, rules.min_cost, rules.max_cost
        (Decimal('0.001'), Decimal('5.0'), None)
        """
        limits = market.get("limits") or {}
        amount = limits.get("amount") or {}
        cost = limits.get("cost") or {}
        precision = market["precision"]
        step = exact(precision["amount"])
        if step is None or step <= 0:
            raise ParameterError("ccxt.symbol", f"market {market.get('symbol')} has no lot step")
        quote_step = exact(precision.get("price")) or Decimal("1e-8")
        return cls(
            str(market["symbol"]), str(market["base"]), str(market["quote"]), step,
            exact(amount.get("min")), exact(amount.get("max")), exact(cost.get("min")),
            exact(cost.get("max")), exact(market.get("taker")) or _ZERO, quote_step,
        )  # fmt: skip


class OrderPlan(NamedTuple):
    """What to send for one intent: ``side`` ("buy" / "sell") and either ``amount`` (base
    units) or ``cost`` (quote units to spend), and the dust a sell leaves (base units)."""

    client_order_id: str
    side: str
    amount: Decimal | None
    cost: Decimal | None
    dust: Decimal = _ZERO


def client_order_id(intent_id: int) -> str:
    """The client order id of an intent's order: ``st`` and the id's 16 hex digits (18
    characters of ``[0-9a-z]``: every venue's client-id alphabet accepts them)."""
    return f"st{int(intent_id) % (1 << 64):016x}"


def floor_step(value: Decimal, step: Decimal) -> Decimal:
    """``value`` rounded down to a multiple of ``step``.

    Examples
    --------
    >>> floor_step(Decimal("1.2347"), Decimal("0.001"))
    Decimal('1.234')
    """
    return (value / step).to_integral_value(ROUND_DOWN) * step


def plan_order(
    intent: np.ndarray, rules: MarketRules, price: float, free_quote: Decimal | None = None
) -> OrderPlan:
    """The order an intent becomes, checked against the market's rules before anything is sent.

    Parameters
    ----------
    intent : ndarray
        One ``intent_dt`` record (a market order).
    rules : MarketRules
        The market's rules.
    price : float
        The price the cost of an order is estimated at (the last price; quote per base unit).
    free_quote : Decimal, optional
        The free quote balance (needed by a ``CASH_FRACTION`` buy).

    Raises
    ------
    VenueRefusedError
        The intent breaks a rule (named in the message) or cannot be expressed.

    Examples
    --------
    >>> from soltrader.domain.state import intent_dt
    >>> rules = MarketRules("SOL/USDT", "SOL", "USDT", Decimal("0.001"), Decimal("0.001"),
    ...                     None, Decimal("5"), None, Decimal("0.001"))
    >>> rec = np.zeros((), intent_dt)
    >>> rec["side"], rec["kind"], rec["unit"], rec["quantity"] = -1, 0, 0, 1.23456
    >>> plan_order(rec, rules, 150.0)
    OrderPlan(client_order_id='st0000000000000000', side='sell', amount=Decimal('1.234'), cost=None, dust=Decimal('0.00056'))
    >>> rec["quantity"] = 0.01
    >>> plan_order(rec, rules, 150.0)
    Traceback (most recent call last):
    ...
    soltrader.adapters.solana_venue.VenueRefusedError: intent 0000000000000000: cost 1.500 quote is below the market's minimum cost 5 (min_cost)
    """  # noqa: E501
    rec = np.asarray(intent, dtype=intent_dt).reshape(())
    cid = int(rec["client_id"])
    name = f"intent {cid:016x}"
    kind, side, unit = int(rec["kind"]), int(rec["side"]), int(rec["unit"])

    def refuse(why: str) -> VenueRefusedError:
        return VenueRefusedError(f"{name}: {why}", client_id=cid)

    if kind != OrderType.MARKET:
        raise refuse(
            f"the venue executes market intents only, got {OrderType(kind).name.lower()} "
            "(protective orders are not placed on the exchange yet)"
        )
    quantity = float(rec["quantity"])
    if not (math.isfinite(quantity) and quantity > 0):
        raise refuse(f"quantity {quantity!r} is not a positive number")
    if not (math.isfinite(price) and price > 0):
        raise refuse(f"no usable price to estimate the order's cost (got {price!r})")
    px = exact(price)
    assert px is not None
    coid = client_order_id(cid)
    if side == Side.BUY and unit in (QuantityUnit.QUOTE, QuantityUnit.CASH_FRACTION):
        budget = exact(quantity)
        assert budget is not None
        if unit == QuantityUnit.CASH_FRACTION:
            if free_quote is None:
                raise refuse("a cash-fraction buy needs the free quote balance")
            budget = free_quote * min(budget, Decimal(1))
        cost = floor_step(budget / (1 + rules.taker_fee), rules.quote_step)
        _check(refuse, rules, floor_step(cost / px, rules.amount_step), cost)
        return OrderPlan(coid, "buy", None, cost)
    if unit != QuantityUnit.BASE:
        raise refuse(
            f"a {Side(side).name.lower()} sized in {QuantityUnit(unit).name.lower()} units "
            "cannot be sent"
        )
    wanted = exact(quantity)
    assert wanted is not None
    amount = floor_step(wanted, rules.amount_step)
    _check(refuse, rules, amount, amount * px)
    side_name = "buy" if side == Side.BUY else "sell"
    return OrderPlan(coid, side_name, amount, None, _dust(rec, rules))


def _check(
    refuse: Callable[[str], VenueRefusedError], rules: MarketRules, amount: Decimal, cost: Decimal
) -> None:
    """Refuse an order whose amount (base units) or cost (quote) breaks a market rule."""
    if amount <= 0:
        raise refuse(f"amount rounds to 0 at the lot step {rules.amount_step} (amount_step)")
    if rules.min_amount is not None and amount < rules.min_amount:
        raise refuse(
            f"amount {amount} is below the market's minimum {rules.min_amount} (min_amount)"
        )
    if rules.max_amount is not None and amount > rules.max_amount:
        raise refuse(
            f"amount {amount} is above the market's maximum {rules.max_amount} (max_amount)"
        )
    if rules.min_cost is not None and cost < rules.min_cost:
        raise refuse(
            f"cost {cost:.3f} quote is below the market's minimum cost {rules.min_cost} (min_cost)"
        )
    if rules.max_cost is not None and cost > rules.max_cost:
        raise refuse(
            f"cost {cost:.3f} quote is above the market's maximum cost {rules.max_cost} (max_cost)"
        )


def outcome_class(error: BaseException) -> str:
    """How a failed create-order call ended: ``"retry"`` (refused before it was acted on: a
    rate limit, a clock skew; wait and ask again), ``"unknown"`` (a timeout, a dropped reply, a
    5xx: it may have been accepted), or ``"final"`` (the venue refused it: never re-send).

    Examples
    --------
    >>> import ccxt
    >>> [outcome_class(e("x")) for e in (ccxt.DDoSProtection, ccxt.RequestTimeout,
    ...                                   ccxt.InsufficientFunds, ccxt.AuthenticationError)]
    ['retry', 'unknown', 'final', 'final']
    """
    import ccxt

    if isinstance(error, ccxt.DDoSProtection | ccxt.RateLimitExceeded | ccxt.InvalidNonce):
        return "retry"
    if isinstance(error, ccxt.NetworkError):
        return "unknown"
    if isinstance(error, ccxt.ExchangeError):
        return "final"
    return "unknown"  # anything unforeseen: ask the venue before doing anything else


Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]


class CcxtVenue:
    """Market intents as market orders on one market of a ccxt exchange (see the module
    docstring).

    Parameters
    ----------
    exchange : ccxt.async_support.Exchange
        A client with credentials (its markets are loaded by :meth:`start`).
    symbol : str
        The unified symbol (e.g. ``"SOL/USDT"``).
    store : OrderStore
        Journals every order before it is sent.
    limiter : RateLimiter
        Every call of the venue acquires it first (its ``penalize`` honours Retry-After).
    recv_window_ms : int
        How long after its timestamp the venue still accepts a request (ccxt's ``recvWindow``
        option: Binance's default 5000, ccxt sends 10000); "not found" is believed after it.
    poll_s : float
        Seconds between queries of an order that is not final.
    resolve_timeout_s : float
        Seconds an order may stay without a known outcome before :class:`VenueOutcomeError`.
    max_retries : int
        Re-sends after rate-limit refusals before the intent is refused.
    skew_ms : int
        How far the venue's clock may lag ours (ms): "not found" is believed only
        ``recv_window_ms + skew_ms`` after the send.
    unknown_orders : {"halt", "cancel", "leave"}
        What :meth:`reconcile` does with an open order the journal does not know.
    base_reserve : Decimal or float
        Base units in the account that are not the strategy's (never traded, never counted).
    position_tolerance : float, optional
        The largest difference between the venue's and the journal's position that is not a
        mismatch (base units; default half a lot step).
    reconcile_every : int
        Bars between two reconciliations of a running runtime.
    stream : UserStream, optional
        The exchange's user-data stream: an order's reports wake the venue as they arrive,
        and REST is asked only every ``rest_every_s`` while the order is not complete
        (without a stream, every ``poll_s``).
    rest_every_s : float
        Seconds between REST queries of an order the stream follows.
    wall_ms : callable
        Wall-clock epoch ms (compared with the venue's request window).
    sleep : coroutine function
        Waits a number of seconds.
    """

    def __init__(
        self,
        exchange: Any,
        symbol: str,
        store: OrderStore,
        limiter: RateLimiter,
        *,
        recv_window_ms: int = 10_000,
        poll_s: float = 0.2,
        resolve_timeout_s: float = 60.0,
        max_retries: int = 5,
        skew_ms: int = 1_000,
        unknown_orders: str = "halt",
        base_reserve: Decimal | float = 0,
        position_tolerance: float | None = None,
        reconcile_every: int = 60,
        stream: UserStream | None = None,
        rest_every_s: float = 2.0,
        wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.exchange = exchange
        self.symbol = symbol
        self.name = str(exchange.id)
        self.store = store
        self.limiter = limiter
        self.recv_window_ms = int(recv_window_ms)
        self.poll_s = float(poll_s)
        self.resolve_timeout_s = float(resolve_timeout_s)
        self.max_retries = int(max_retries)
        self.skew_ms = int(skew_ms)
        if unknown_orders not in ("halt", "cancel", "leave"):
            raise ParameterError("unknown_orders", f"halt, cancel or leave, not {unknown_orders!r}")
        self.unknown_orders = unknown_orders
        self.base_reserve = exact(base_reserve) or _ZERO
        self.position_tolerance = position_tolerance
        self.reconcile_every = int(reconcile_every)
        self.stream = stream
        self.rest_every_s = float(rest_every_s)
        self._changed: dict[str, asyncio.Event] = {}
        self._trades_since: int | None = None  # ms: the account's trades seen up to here
        self._wall_ms = wall_ms
        self._sleep = sleep
        self.rules: MarketRules | None = None
        self._ended: dict[int, Execution] = {}
        self._in_flight: dict[int, np.ndarray] = {}
        #: (monotonic seconds, method name) of every call made to the exchange
        self.calls: list[tuple[float, str]] = []

    def __repr__(self) -> str:
        return f"CcxtVenue({self.name!r}, {self.symbol!r})"

    async def start(self) -> MarketRules:
        """Load the markets and the symbol's rules (once)."""
        if self.rules is None:
            markets = await self._read("load_markets")
            if self.symbol not in markets:
                raise ParameterError("ccxt.symbol", f"{self.name} has no market {self.symbol!r}")
            self.rules = MarketRules.from_ccxt(markets[self.symbol])
        return self.rules

    # -- calls --------------------------------------------------------------------------------

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One call of the exchange in a slot of the rate limiter, held until the call is over;
        a rate-limit answer penalizes the limiter by its Retry-After (at least one window)
        before it is raised."""
        import ccxt

        async with self.limiter.slot():
            self.calls.append((self.limiter.clock(), method))
            try:
                return await getattr(self.exchange, method)(*args, **kwargs)
            except (ccxt.DDoSProtection, ccxt.RateLimitExceeded):
                headers = getattr(self.exchange, "last_response_headers", None) or {}
                wait = retry_after_s(_header(headers, "Retry-After"))
                self.limiter.penalize(self.limiter.clock() + (self.limiter.per_s if wait is None
                                                               else max(wait, 0.0)))  # fmt: skip
                raise

    async def _read(self, method: str, *args: Any) -> Any:
        """A call that changes nothing at the venue (markets, balances, the book, open orders),
        re-tried on network errors and rate limits with capped backoff for at most
        ``resolve_timeout_s``; exchange errors propagate at once."""
        import ccxt

        deadline = time.monotonic() + self.resolve_timeout_s
        delays = self._backoff()
        while True:
            try:
                return await self._call(method, *args)
            except ccxt.NetworkError as error:
                delay = next(delays)
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("%s: %s; again in %.2f s", method, _short(error), delay)
            await self._sleep(delay)

    def _backoff(self) -> Iterator[float]:
        """The waits between two tries of a call (capped, jittered; from ``poll_s`` to 2 s)."""
        return backoff_delays(self.poll_s, max(self.poll_s, _BACKOFF_CAP_S))

    async def _query(self, coid: str) -> Mapping[str, Any] | None:
        """The order with client id ``coid``, or None when the venue says it has none; raises
        what the call raises otherwise."""
        import ccxt

        try:
            return await self._call("fetch_order", None, self.symbol, {"clientOrderId": coid})
        except ccxt.OrderNotFound:
            return None

    # -- the port -----------------------------------------------------------------------------

    def providers(self) -> list[Provider]:
        """The exchange's API as one provider (its rate limiter; no breaker)."""
        return [Provider(self.name, self.limiter)]

    async def execute(self, intent: np.ndarray) -> Execution:
        """Execute one market intent as a market order, at most once, and say how it ended
        (filled, with the fill; or refused, with the reason). Executing it again returns the
        same answer; an intent journaled by an earlier process is resolved by asking the venue.

        Raises
        ------
        VenueOutcomeError
            The venue did not say how the order ended within ``resolve_timeout_s`` (it stays
            journaled in flight).
        """
        rec = np.asarray(intent, dtype=intent_dt).reshape(())
        cid = int(rec["client_id"])
        if cid in self._ended:
            return self._ended[cid]
        await self.start()
        self._in_flight[cid] = rec.copy()
        try:
            execution = await self._execute(rec, cid)
        finally:
            self._in_flight.pop(cid, None)
        self._ended[cid] = execution
        return execution

    async def _execute(self, rec: np.ndarray, cid: int) -> Execution:
        assert self.rules is not None
        journaled = self.store.venue_orders(cid)
        if journaled and journaled[-1].state == "refused":
            return Execution(cid, refused=journaled[-1].detail)
        if journaled:
            order = journaled[-1]
            plan = None
        else:
            try:
                plan = await self._plan(rec)
            except VenueRefusedError as refused:
                return Execution(cid, refused=str(refused))
            order = VenueOrder(cid, plan.client_order_id, self.name, "sending", self._wall_ms())
            self.store.record_venue_order(order)
        tracker = await self._place(rec, order, plan)
        if isinstance(tracker, Execution):
            return tracker
        await self._complete(tracker, order.client_order_id)
        return self._booked(rec, order, tracker)

    async def _plan(self, rec: np.ndarray) -> OrderPlan:
        """The order for ``rec`` at the current price (and free balance); refused, nothing
        sent, when the venue cannot be read within ``resolve_timeout_s``."""
        import ccxt

        assert self.rules is not None
        try:
            price = await self._last_price()
            free = None
            if int(rec["unit"]) == QuantityUnit.CASH_FRACTION:
                balance = await self._read("fetch_balance")
                free = exact((balance.get(self.rules.quote) or {}).get("free")) or _ZERO
        except ccxt.BaseError as error:
            cid = int(rec["client_id"])
            raise VenueRefusedError(
                f"intent {cid:016x}: could not price the order, nothing sent ({_short(error)})",
                client_id=cid,
            ) from None
        return plan_order(rec, self.rules, price, free)

    async def _last_price(self) -> float:
        """The middle of the best bid and ask (NaN when a side is empty): the price an order's
        cost is checked at."""
        book = await self._read("fetch_order_book", self.symbol, 5)
        bids, asks = book.get("bids") or [], book.get("asks") or []
        if not bids or not asks:
            return float("nan")
        return (float(bids[0][0]) + float(asks[0][0])) / 2

    async def _place(
        self, rec: np.ndarray, order: VenueOrder, plan: OrderPlan | None
    ) -> OrderTracker | Execution:
        """Send the order once it is known not to be at the venue; returns its tracker (the
        venue has it) or the refusal."""
        cid, coid = order.intent_id, order.client_order_id
        deadline = time.monotonic() + self.resolve_timeout_s
        sent_ms = order.sent_ms
        retries = 0
        known = order.state != "sending" or plan is None  # journaled before: ask first
        while True:
            if known:
                found = await self._resolve(coid, sent_ms, deadline)
                if found is not None:
                    return self._accepted(coid, found, order.state)
                if plan is None and order.state in ("accepted", "closed"):
                    raise VenueOutcomeError(
                        f"order {coid}: journaled {order.state} (order {order.order_id}) but "
                        f"{self.name} says it has no such order: not sent again; check the "
                        "account by hand"
                    )
                if plan is None:  # journaled by an earlier process, never accepted: re-plan
                    plan = await self._replan(rec, coid)
                    if isinstance(plan, Execution):
                        return plan
            sent_ms = self._wall_ms()
            if known:
                self.store.update_venue_order(coid, "sending", sent_ms=sent_ms)
            try:
                reply = await self._create(plan)
            except Exception as error:  # classified below
                kind = outcome_class(error)
                if kind == "final":
                    why = f"intent {cid:016x}: {self.name} refused the order: {_short(error)}"
                    self.store.update_venue_order(coid, "refused", detail=why)
                    return Execution(cid, refused=why)
                if kind == "retry":
                    retries += 1
                    if retries > self.max_retries:
                        why = (
                            f"intent {cid:016x}: {self.name} refused {retries} sends "
                            f"({_short(error)})"
                        )
                        found = await self._resolve(coid, sent_ms, deadline)
                        if found is not None:
                            return self._accepted(coid, found)
                        self.store.update_venue_order(coid, "refused", detail=why)
                        return Execution(cid, refused=why)
                log.warning("create %s: %s (%s): asking the venue", coid, kind, _short(error))
                known = True
                continue
            return self._accepted(coid, reply)

    async def _replan(self, rec: np.ndarray, coid: str) -> OrderPlan | Execution:
        try:
            return await self._plan(rec)
        except VenueRefusedError as refused:
            self.store.update_venue_order(coid, "refused", detail=str(refused))
            return Execution(int(rec["client_id"]), refused=str(refused))

    async def _create(self, plan: OrderPlan | None) -> Mapping[str, Any]:
        assert plan is not None and self.rules is not None
        params: dict[str, Any] = {"clientOrderId": plan.client_order_id}
        if plan.cost is not None:
            # ccxt rounds a quoteOrderQty to the price precision: the plan is on that grid
            params["quoteOrderQty"] = self.exchange.cost_to_precision(self.symbol, plan.cost)
            return await self._call(
                "create_order", self.symbol, "market", plan.side, None, None, params
            )
        assert plan.amount is not None
        return await self._call(
            "create_order", self.symbol, "market", plan.side, float(plan.amount), None, params
        )

    def _accepted(
        self, coid: str, order: Mapping[str, Any], journaled: str = "sending"
    ) -> OrderTracker:
        """The tracker of an order the venue has (``journaled``: its state in the journal; a
        ``closed`` order, found again after a restart that had not booked its fill, stays
        closed: a final state never moves)."""
        tracker = OrderTracker(str(order["id"]))
        fold_order(tracker, order)
        if self.stream is not None and tracker.order_id not in self._changed:
            self._changed[tracker.order_id] = self.stream.follow(tracker)
        if journaled != "closed":
            self.store.update_venue_order(coid, "accepted", order_id=tracker.order_id)
        return tracker

    async def _resolve(self, coid: str, sent_ms: int, deadline: float) -> Mapping[str, Any] | None:
        """Ask the venue about ``coid`` until it answers: the order, or None once "not found"
        can be believed (the request window after ``sent_ms`` has passed)."""
        import ccxt

        delays = self._backoff()
        while True:
            try:
                found = await self._query(coid)
            except ccxt.BaseError as error:
                log.warning("query %s: %s; asking again", coid, _short(error))
                found, answered = None, False
            else:
                answered = True
            if found is not None:
                return found
            if answered and self._wall_ms() - sent_ms > self.recv_window_ms + self.skew_ms:
                return None
            if time.monotonic() > deadline:
                raise VenueOutcomeError(
                    f"order {coid}: {self.name} has not said whether it exists after "
                    f"{self.resolve_timeout_s:g} s; it stays in flight (a restart asks again)"
                )
            await self._sleep(next(delays))

    async def _complete(self, tracker: OrderTracker, coid: str) -> None:
        """Follow the order until it is complete: its stream reports as they come, and REST
        (the order, and its trades when some are missing) when the stream has been silent
        for ``rest_every_s`` (every ``poll_s`` without a stream)."""
        try:
            await self._follow(tracker, coid)
        finally:
            if self.stream is not None:
                self.stream.forget(tracker.order_id)
                self._changed.pop(tracker.order_id, None)

    async def _stream_wait(self, tracker: OrderTracker) -> None:
        """Wait until the stream changes ``tracker`` or ``rest_every_s`` passes."""
        changed = self._changed.get(tracker.order_id)
        if changed is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), self.rest_every_s)
        changed.clear()

    async def _follow(self, tracker: OrderTracker, coid: str) -> None:
        deadline = time.monotonic() + self.resolve_timeout_s
        asked = time.monotonic() if self.stream is not None else -math.inf
        while not tracker.complete:
            if time.monotonic() - asked >= self.rest_every_s or self.stream is None:
                await self._ask(tracker, coid)
                asked = time.monotonic()
                if tracker.complete:
                    return
            if time.monotonic() > deadline:
                raise VenueOutcomeError(
                    f"order {coid}: {tracker!r} not complete after {self.resolve_timeout_s:g} s"
                )
            if self.stream is None:
                await self._sleep(self.poll_s)
            else:
                await self._stream_wait(tracker)

    async def _ask(self, tracker: OrderTracker, coid: str) -> None:
        """One REST look at the order: its status, and its trades when some are missing."""
        import ccxt

        try:
            if not tracker.terminal:
                order = await self._call("fetch_order", tracker.order_id, self.symbol)
                fold_order(tracker, order)
            if tracker.terminal and not tracker.complete:
                trades = await self._call(
                    "fetch_my_trades", self.symbol, None, None, {"orderId": tracker.order_id}
                )
                for trade in trades:
                    if str(trade.get("order")) == tracker.order_id:
                        tracker.on_trade(trade_report(trade))
        except ccxt.BaseError as error:
            log.warning("order %s: %s; asking again", coid, _short(error))

    def _booked(self, rec: np.ndarray, order: VenueOrder, tracker: OrderTracker) -> Execution:
        """The execution of a complete order (a refusal when nothing filled)."""
        assert self.rules is not None
        cid, coid = order.intent_id, order.client_order_id
        if tracker.filled == 0:
            why = f"intent {cid:016x}: order {tracker.order_id} {tracker.status}, nothing filled"
            self.store.update_venue_order(coid, "refused", detail=why)
            return Execution(cid, refused=why)
        # the dust of a sell that filled whole is written off; a part that did not fill is not
        dust = _dust(rec, self.rules) if tracker.status == "filled" else _ZERO
        fill = self._fill(rec, tracker, dust)
        self.store.update_venue_order(
            coid, "closed", order_id=tracker.order_id, detail=f"dust={dust}"
        )
        return Execution(cid, fill, f"{self.name}:{tracker.order_id}")

    def _fill(self, rec: np.ndarray, tracker: OrderTracker, dust: Decimal) -> np.ndarray:
        assert self.rules is not None
        r = self.rules
        buy = int(rec["side"]) == Side.BUY
        price = tracker.average_price()
        assert price is not None
        size = tracker.filled
        fees = _ZERO
        for asset, amount in tracker.commission().items():
            if asset == r.base:
                fees += amount * price
                size -= amount if buy else _ZERO
            elif asset == r.quote:
                fees += amount
            else:
                log.warning(
                    "order %s: commission %s %s is not in %s or %s: not in the fill's fees",
                    tracker.order_id, amount, asset, r.base, r.quote,
                )  # fmt: skip
        if not buy and dust > 0:  # the unsold rest stays in the account: written off
            fees += dust * price
            size += dust
        return intent_fill(
            rec, Side.BUY if buy else Side.SELL, float(size), float(price), float(fees)
        )

    async def open_orders(self) -> np.ndarray:
        """The intents being executed now."""
        return np.array(list(self._in_flight.values()), dtype=intent_dt)

    # -- reconciliation -----------------------------------------------------------------------

    async def reconcile(self, position: float) -> Reconciliation:
        """Compare the exchange account with the journal: the open orders on the market that
        the journal does not know (halted on, cancelled or left alone by ``unknown_orders``),
        and the base balance (free + locked, less ``base_reserve`` and the dust the journal's
        sells left) with the journal's ``position`` (base units).

        Returns
        -------
        Reconciliation
            ``problem`` names both quantities when they differ by more than the tolerance, or
            the unknown orders when the policy is ``halt``.

        Examples
        --------
        >>> report = await venue.reconcile(float(position))          # doctest: +SKIP
        >>> report.problem                                             # doctest: +SKIP
        ''
        """
        rules = await self.start()
        journaled = self.store.venue_orders()
        known = {o.client_order_id for o in journaled}
        unknown, cancelled = [], []
        for order in await self._read("fetch_open_orders", self.symbol):
            coid = str(order.get("clientOrderId") or order.get("id"))
            if coid in known:
                continue
            unknown.append(coid)
            if self.unknown_orders == "cancel":
                await self._call("cancel_order", str(order["id"]), self.symbol)
                cancelled.append(coid)
        foreign = await self._foreign_trades({o.order_id for o in journaled if o.order_id})
        balance = await self._read("fetch_balance")
        held = exact((balance.get(rules.base) or {}).get("total")) or _ZERO
        dust = sum((_journaled_dust(o) for o in journaled), _ZERO)
        venue_position = held - self.base_reserve - dust
        tolerance = self.position_tolerance
        if tolerance is None:
            tolerance = float(rules.amount_step) / 2
        problem = ""
        journal_position = exact(float(position)) or _ZERO
        if abs(venue_position - journal_position) > exact(tolerance):
            problem = (
                f"position mismatch on {self.name} {self.symbol}: the venue holds "
                f"{venue_position} {rules.base} for the strategy ({held} in the account, less "
                f"{self.base_reserve} reserved and {dust} dust), the journal {journal_position}"
                f" (tolerance {tolerance:g})"
            )
            if foreign:
                problem += f"; trades of orders the journal does not know: {', '.join(foreign[:5])}"
        elif unknown and self.unknown_orders == "halt":
            problem = (
                f"{len(unknown)} open order(s) on {self.name} {self.symbol} that the journal "
                f'does not know: {", ".join(unknown[:5])} (unknown_orders = "halt")'
            )
        return Reconciliation(
            float(venue_position), float(position), float(tolerance), tuple(unknown),
            tuple(cancelled), problem, tuple(foreign),
        )  # fmt: skip

    async def _foreign_trades(self, mine: set[str]) -> list[str]:
        """The account's trades on the market since the last reconciliation (the last
        ``fetch_my_trades`` page) whose orders are not ``mine`` (``order:trade`` ids)."""
        trades = await self._read("fetch_my_trades", self.symbol, self._trades_since)
        foreign = []
        for trade in trades:
            stamp = trade.get("timestamp")
            if stamp is not None:
                self._trades_since = max(self._trades_since or 0, int(stamp) + 1)
            if str(trade.get("order")) not in mine:
                foreign.append(f"{trade.get('order')}:{trade.get('id')}")
        return foreign


def _journaled_dust(order: VenueOrder) -> Decimal:
    """The dust a closed order's sell left in the account (its ``detail``: ``dust=...``)."""
    if order.state != "closed" or not order.detail.startswith("dust="):
        return _ZERO
    return Decimal(order.detail[len("dust=") :])


def _dust(rec: np.ndarray, rules: MarketRules) -> Decimal:
    """The base units below one lot step that a sell of ``rec`` leaves unsold (0 for a buy)."""
    if int(rec["side"]) != Side.SELL or int(rec["unit"]) != QuantityUnit.BASE:
        return _ZERO
    wanted = exact(float(rec["quantity"]))
    assert wanted is not None
    return wanted - floor_step(wanted, rules.amount_step)


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if str(key).lower() == name.lower():
            return str(value)
    return None


def _short(error: BaseException) -> str:
    """An exception as one short line (its type and the first 200 characters)."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:200]}"


__all__ = [
    "CcxtVenue",
    "MarketRules",
    "OrderPlan",
    "OrderStore",
    "VenueOrder",
    "VenueOutcomeError",
    "client_order_id",
    "floor_step",
    "fold_order",
    "outcome_class",
    "plan_order",
    "trade_report",
]
