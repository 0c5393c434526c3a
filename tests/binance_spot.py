"""A local Binance spot exchange over real bars, speaking enough of the REST API (``/api/v3``)
that the real, unmodified ``ccxt.async_support.binance`` client trades against it.

What it implements
------------------
* Public: ``GET /api/v3/ping``, ``/time``, ``/exchangeInfo`` (one symbol, its ``orderTypes`` and
  the ``PRICE_FILTER``, ``LOT_SIZE`` and ``NOTIONAL`` filters), ``/klines`` (the bars up to the
  cursor; the current bar is shown as it stands at its open: o = h = l = c, volume 0) and
  ``/depth`` (a synthetic book, one tick apart, around the current open).
* Signed (HMAC-SHA256 of query string + body, ``X-MBX-APIKEY`` header, ``timestamp`` within
  ``recvWindow`` of the simulator clock): ``GET /api/v3/account``; ``POST``, ``GET``, ``DELETE
  /api/v3/order``; ``GET``, ``DELETE /api/v3/openOrders``; ``GET /api/v3/allOrders``; ``GET
  /api/v3/myTrades``. Order replies in the ``ACK``, ``RESULT`` and ``FULL`` shapes (``fills[]``).
* Orders: ``MARKET`` (``quantity`` or ``quoteOrderQty``), ``LIMIT`` (``GTC``, ``IOC``, ``FOK``),
  ``LIMIT_MAKER`` (post-only, rejected if it would take), ``STOP_LOSS_LIMIT`` and
  ``TAKE_PROFIT_LIMIT``; OCO lists (``POST /api/v3/orderList/oco``: a limit-maker or
  take-profit leg and a stop-loss-limit leg, one lock, one leg's execution expires the other,
  cancelling a leg cancels the list). Filters are enforced at placement (-1013), balances are
  free/locked with resting orders locking funds (-2010 when short), commission is charged in
  the asset received (or, with ``commission_in="quote"``, always in quote, as the backtest's
  fill model charges), maker or taker, at VIP tier rates once the account's traded volume
  reaches a tier (``fee_tiers``). Client order ids are unique among *open* orders only, as on
  Binance (``strict_client_ids`` makes any reuse an error). All money is ``decimal.Decimal``;
  numbers go out as 8-decimal strings.
* Time is a bar cursor: a market order fills at the current bar's open (unlimited liquidity, no
  slippage; or, with ``book_depth``, walking a finite book level by level and expiring the
  rest); a marketable limit order takes at the open. :meth:`SpotEngine.advance` lets the
  current bar play out (resting orders fill at their limit price as maker if the bar's low/high
  reaches it; stops trigger at their stop price), then opens the next bar (a gap through a
  resting order fills it at its limit price; a gap through a stop triggers it at the open).
  Optionally a resting order takes at most ``participation`` x bar volume per bar
  (``PARTIALLY_FILLED``).
* Faults (:class:`Faults`, switchable while running, seeded by ``random.Random(seed)``): a
  request-weight sliding window (HTTP 429 with ``Retry-After`` and code -1003, then HTTP 418 bans
  after repeated 429s), lost replies to accepted orders (the connection is closed without an
  answer), log-normal latency, and an outage (HTTP 503 on everything).

* The WebSocket API's user-data stream (``/ws-api/v3``: ``userDataStream.subscribe.signature``,
  then an ``executionReport`` for every order change), with dropped, repeated and shuffled events
  and dropped connections as faults (:mod:`tests.binance_ws`; ``self.stream``).

* Test-only controls (no Binance API): ``POST /_sim/bar?i=N`` (unsigned, weight 0) moves the bar
  cursor to ``N``, for a client in another process; ``on_order``, when set, is called with the
  client order id of every authenticated ``POST /api/v3/order`` and answers ``"answer"``,
  ``"drop"`` (the connection is closed before the order reaches the book) or ``"lose"`` (the
  order is placed, then the connection is closed without a reply): a test kills the client
  there.

* The public market-data websocket (``/ws``, ``/ws/<streams>``: ``SUBSCRIBE``, the kline stream
  with its closed flag as :meth:`SpotEngine.advance` opens and closes bars, the account's trades
  on the trade stream), with the same faults (``self.market_stream``).

What it does not implement (yet)
--------------------------------
The WS-API's trading requests, OTO/OTOCO order lists and list queries,
``STOP_LOSS``/``TAKE_PROFIT`` market stops, iceberg orders, trailing stops, cancel-replace, self
trade prevention, order-count limits (-1015), ``MARKET_LOT_SIZE``/``PERCENT_PRICE`` filters,
several symbols, BNB fee discounts, and the ``/sapi`` endpoints (wallet, margin, currencies).
The order book is synthetic and infinitely deep: fills never move the price.

Use it as an async context manager::

    async with BinanceSpot(bars, balances={"USDT": 10_000}) as sim:
        exchange = sim.ccxt_exchange()
        await exchange.create_order("SOL/USDT", "market", "buy", 1.0)
        sim.advance()
        await exchange.close()

or on its own: ``python -m tests.binance_spot --bars FILE.csv --port 8765`` (FILE has columns
timestamp,open,high,low,close,volume; timestamp in epoch ms or ISO 8601) serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import math
import random
import re
import string
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

import numpy as np
import pandas as pd
from aiohttp import web

from soltrader.data.timeframes import timeframe_ms
from tests.binance_ws import WS_API, MarketStream, UserDataStream
from tests.local_http import serving

API = "/api/v3"
BINANCE_HOST = "https://api.binance.com"
ZERO = Decimal(0)
EIGHT_DP = Decimal("0.00000001")
NUMBER = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
INTEGER = re.compile(r"^-?[0-9]{1,20}$")
CLIENT_ID = re.compile(r"^[.A-Za-z0-9:/_-]{1,36}$")
OPEN = frozenset({"NEW", "PARTIALLY_FILLED"})
STOP_TYPES = frozenset({"STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
ORDER_TYPES = ("LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
#: Parameters each order type needs (Binance's "Mandatory parameter" rule).
REQUIRED = {
    "LIMIT": ("timeInForce", "quantity", "price"),
    "LIMIT_MAKER": ("quantity", "price"),
    "MARKET": (),
    "STOP_LOSS_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
    "TAKE_PROFIT_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
}
INSUFFICIENT = "Account has insufficient balance for requested action."
WOULD_TAKE = "Order would immediately match and take."


# -- records ---------------------------------------------------------------------------------


class Bars(NamedTuple):
    """OHLCV of one symbol: ``time_ms`` (bar open, epoch ms, int64), prices and base volume
    (float64, quote currency per base unit and base units)."""

    time_ms: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Bars:
        """From a canonical frame (UTC DatetimeIndex of bar opens, OHLCV float columns)."""
        index = pd.DatetimeIndex(frame.index)
        index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
        cols = [frame[c].to_numpy(dtype=np.float64) for c in ("open", "high", "low", "close")]
        return cls(index.as_unit("ms").asi8.astype(np.int64), *cols, frame["volume"].to_numpy())

    @property
    def step_ms(self) -> int:
        """Bar length in ms (the median spacing of bar opens; 60 000 for a single bar)."""
        return int(np.median(np.diff(self.time_ms))) if len(self.time_ms) > 1 else 60_000


class Candle(NamedTuple):
    """One bar in exact decimals (prices on the tick grid, quote per base; volume in base)."""

    time_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True)
class Filters:
    """The symbol's trading rules (quote currency for prices and notionals, base for sizes)."""

    tick_size: Decimal = Decimal("0.01")
    min_price: Decimal = Decimal("0.01")
    max_price: Decimal = Decimal("100000")
    step_size: Decimal = Decimal("0.001")
    min_qty: Decimal = Decimal("0.001")
    max_qty: Decimal = Decimal("9000000")
    min_notional: Decimal = Decimal("5")
    max_notional: Decimal = Decimal("9000000")

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            object.__setattr__(self, name, Decimal(str(getattr(self, name))))

    def documents(self) -> list[dict[str, Any]]:
        """The ``filters`` list of the symbol in ``exchangeInfo``."""
        return [
            {"filterType": "PRICE_FILTER", "minPrice": fmt(self.min_price),
             "maxPrice": fmt(self.max_price), "tickSize": fmt(self.tick_size)},
            {"filterType": "LOT_SIZE", "minQty": fmt(self.min_qty),
             "maxQty": fmt(self.max_qty), "stepSize": fmt(self.step_size)},
            {"filterType": "NOTIONAL", "minNotional": fmt(self.min_notional),
             "applyMinToMarket": True, "maxNotional": fmt(self.max_notional),
             "applyMaxToMarket": False, "avgPriceMins": 5},
        ]  # fmt: skip

    def price_ok(self, price: Decimal) -> bool:
        """Within [minPrice, maxPrice] and on the tick grid."""
        on_grid = (price - self.min_price) % self.tick_size == 0
        return self.min_price <= price <= self.max_price and on_grid

    def qty_ok(self, qty: Decimal) -> bool:
        """Within [minQty, maxQty] and on the step grid."""
        on_grid = (qty - self.min_qty) % self.step_size == 0
        return self.min_qty <= qty <= self.max_qty and on_grid


@dataclass
class Faults:
    """Switchable faults; counters decrease as requests consume them.

    Attributes
    ----------
    weight_limit : int or None
        Request weight allowed per ``weight_window_ms`` (sliding window on the simulator clock);
        ``None``: unlimited. Over it: HTTP 429, code -1003, ``Retry-After`` in seconds.
    weight_window_ms : int
        Length of the weight window, ms.
    ban_after_429s : int or None
        After this many 429s without an admitted request in between, HTTP 418 for ``ban_ms``.
    ban_ms : int
        Length of a ban, ms.
    lose_replies : int
        The next N accepted order creations get no reply (the connection is closed).
    lose_reply_rate : float
        Probability (seeded) that any other accepted order creation loses its reply.
    latency_mu, latency_sigma : float
        Each request waits ``lognormvariate(mu, sigma)`` seconds first; ``mu=None``: no delay.
    outage : bool
        Every request gets HTTP 503.
    """

    weight_limit: int | None = None
    weight_window_ms: int = 60_000
    ban_after_429s: int | None = None
    ban_ms: int = 120_000
    lose_replies: int = 0
    lose_reply_rate: float = 0.0
    latency_mu: float | None = None
    latency_sigma: float = 0.0
    outage: bool = False


@dataclass
class Balance:
    """One asset of the account: ``free`` and ``locked`` (by open orders), in asset units."""

    free: Decimal = ZERO
    locked: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """free + locked."""
        return self.free + self.locked


@dataclass
class Order:
    """An accepted order; prices in quote per base, quantities in base, times in epoch ms.

    ``price``/``stop_price`` are 0 when not applicable; ``working_time`` is -1 until a stop
    triggers; ``locked`` is what the order still holds of ``lock_asset``; ``bar`` is the bar
    index it was placed at.
    """

    order_id: int
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    stop_price: Decimal
    orig_qty: Decimal
    orig_quote_qty: Decimal
    time: int
    lock_asset: str
    bar: int
    status: str = "NEW"
    executed_qty: Decimal = ZERO
    cumm_quote_qty: Decimal = ZERO
    update_time: int = 0
    working_time: int = -1
    locked: Decimal = ZERO
    list_id: int = -1  # the OCO list it belongs to (-1: none)

    @property
    def is_open(self) -> bool:
        """NEW or PARTIALLY_FILLED."""
        return self.status in OPEN

    @property
    def remaining(self) -> Decimal:
        """Base quantity still to fill."""
        return self.orig_qty - self.executed_qty


@dataclass(frozen=True)
class Trade:
    """One fill of one of our orders (price quote/base, qty base, quote_qty quote)."""

    trade_id: int
    order_id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool
    bar: int


class RequestRecord(NamedTuple):
    """One request: method, path and the HTTP status answered (0: connection closed)."""

    method: str
    path: str
    status: int


@dataclass(frozen=True)
class OrderRequest:
    """A validated ``POST /api/v3/order``."""

    side: str
    type: str
    time_in_force: str
    quantity: Decimal | None
    quote_qty: Decimal | None
    price: Decimal | None
    stop_price: Decimal | None
    client_order_id: str
    resp_type: str


class ApiError(Exception):
    """An error answer: HTTP ``status`` with Binance's ``{"code", "msg"}`` body (or ``text``)."""

    def __init__(
        self,
        status: int,
        code: int,
        msg: str,
        *,
        headers: Mapping[str, str] | None = None,
        text: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {msg}")
        self.status, self.code, self.msg = status, code, msg
        self.headers = dict(headers or {})
        self.text = text

    def response(self) -> web.Response:
        """The aiohttp response carrying this error."""
        if self.text is not None:
            return web.Response(status=self.status, text=self.text, headers=self.headers)
        return _json({"code": self.code, "msg": self.msg}, self.status, self.headers)


class _ReplyLostError(Exception):
    """The connection is closed without an answer (whether or not the request was processed)."""


# -- helpers -----------------------------------------------------------------------------------


def fmt(value: Decimal) -> str:
    """Binance's number format: fixed point, 8 decimals (``"60.74000000"``)."""
    return f"{value.quantize(EIGHT_DP, ROUND_HALF_EVEN):f}"


def to_decimal(value: float) -> Decimal:
    """The shortest decimal that reads back as ``value`` (``60.74`` -> ``Decimal("60.74")``)."""
    return Decimal(repr(float(value)))


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    """``value`` rounded down to a multiple of ``step``."""
    return (value / step).to_integral_value(ROUND_DOWN) * step


def _json(doc: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        text=json.dumps(doc), status=status, content_type="application/json", headers=headers
    )


def _bad(code: int, msg: str) -> ApiError:
    return ApiError(400, code, msg)


def _mandatory(name: str) -> ApiError:
    return _bad(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def _illegal(name: str, legal: str) -> ApiError:
    return _bad(-1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'.")


def _decimal(params: Mapping[str, str], name: str, required: bool = False) -> Decimal | None:
    """A decimal parameter (Binance's number syntax); -1102 if required and absent."""
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise _mandatory(name)
        return None
    if not NUMBER.match(raw):
        raise _illegal(name, r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
    return Decimal(raw)


def _integer(params: Mapping[str, str], name: str, default: int | None = None) -> int | None:
    """An integer parameter, or ``default``."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not INTEGER.match(raw):
        raise _illegal(name, "^[0-9]{1,20}$")
    return int(raw)


def _enum(
    params: Mapping[str, str], name: str, allowed: tuple[str, ...], code: int, msg: str
) -> str:
    """A required enum parameter: -1102 if absent, ``code``/``msg`` if not one of ``allowed``."""
    raw = params.get(name)
    if not raw:
        raise _mandatory(name)
    if raw not in allowed:
        raise _bad(code, msg)
    return raw


def _reject_unneeded(params: Mapping[str, str], otype: str, need: tuple[str, ...]) -> None:
    """-1106 for a parameter the order type does not take (``quoteOrderQty`` only with a
    ``MARKET`` order and without ``quantity``)."""
    for name in ("timeInForce", "price", "stopPrice"):
        if params.get(name) and name not in need:
            raise _bad(-1106, f"Parameter '{name}' sent when not required.")
    if params.get("quoteOrderQty") and (otype != "MARKET" or params.get("quantity")):
        raise _bad(-1106, "Parameter 'quoteOrderQty' sent when not required.")


def _crosses(side: str, limit: Decimal, price: Decimal) -> bool:
    """Whether a limit order on ``side`` at ``limit`` is marketable when the market is at
    ``price``."""
    return price <= limit if side == "BUY" else price >= limit


def _stop_hit(order_type: str, side: str, low: Decimal, high: Decimal, stop: Decimal) -> bool:
    """Whether prices spanning [low, high] reach a stop: stop-loss sells and take-profit buys
    trigger on a fall to ``stop``, the other two on a rise to it."""
    falls = (order_type == "STOP_LOSS_LIMIT") == (side == "SELL")
    return low <= stop if falls else high >= stop


def _real_clock() -> int:
    return time.time_ns() // 1_000_000


# -- the matching engine -------------------------------------------------------------------------


class SpotEngine:
    """Balances, orders, fills and the bar cursor of one spot symbol (no I/O).

    Parameters
    ----------
    bars : Bars or pandas.DataFrame
        The price path (see :meth:`Bars.from_frame`).
    symbol, base, quote : str
        Exchange symbol id and its assets.
    filters : Filters
        Trading rules enforced at placement.
    balances : mapping of str to number
        Starting free balance per asset (asset units; converted with ``Decimal(str(x))``).
    maker_fee, taker_fee : number
        Commission rates (fraction of the amount received, e.g. ``"0.001"`` = 10 bps).
    fee_tiers : sequence of (volume, maker, taker), optional
        VIP tiers: once the account has traded ``volume`` quote (in all, the simulator's
        stand-in for 30 days), its rates are that tier's.
    clock : callable returning int, optional
        The exchange clock in epoch ms (default: the real clock).
    seed : int
        Seed of ``self.rng`` (generated client ids, latency, random reply loss).
    strict_client_ids : bool
        Reject any reuse of a client order id, not only reuse by an open order.
    participation : number, optional
        A resting order fills at most this fraction of a bar's volume per bar.
    commission_in : {"received", "quote"}
        ``"received"`` (Binance): the commission is taken from the asset received (base on a
        buy). ``"quote"``: always in the quote asset, on top of a buy's cost (the backtest's
        fill model: a buy gets every unit it pays for, fees paid in cash); a market buy by
        ``quoteOrderQty`` then locks the cost plus its commission.
    book_depth : number, optional
        A finite book for market orders: this many base units per price level,
        ``book_levels`` levels one tick apart; a market order walks it (one trade per level)
        and what is left expires (``EXPIRED`` with a partial fill). None: infinitely deep.
    book_levels : int
        Levels of that book.
    start_bar : int
        Initial cursor.
    """

    def __init__(
        self,
        bars: Bars | pd.DataFrame,
        *,
        symbol: str = "SOLUSDT",
        base: str = "SOL",
        quote: str = "USDT",
        filters: Filters | None = None,
        balances: Mapping[str, Decimal | str | int | float] | None = None,
        maker_fee: Decimal | str | float = "0.001",
        taker_fee: Decimal | str | float = "0.001",
        clock: Callable[[], int] | None = None,
        seed: int = 0,
        strict_client_ids: bool = False,
        participation: Decimal | str | float | None = None,
        commission_in: str = "received",
        fee_tiers: Sequence[tuple[Any, Any, Any]] | None = None,
        book_depth: Decimal | str | float | None = None,
        book_levels: int = 3,
        start_bar: int = 0,
    ) -> None:
        self.book_depth = None if book_depth is None else Decimal(str(book_depth))
        self.book_levels = int(book_levels)
        if commission_in not in ("received", "quote"):
            raise ValueError(f"commission_in must be 'received' or 'quote': {commission_in!r}")
        self.commission_in = commission_in
        self.bars = bars if isinstance(bars, Bars) else Bars.from_frame(bars)
        self.symbol, self.base, self.quote = symbol, base, quote
        self.filters = filters or Filters()
        self.maker_fee, self.taker_fee = Decimal(str(maker_fee)), Decimal(str(taker_fee))
        self.fee_tiers = sorted(
            (Decimal(str(v)), Decimal(str(m)), Decimal(str(t))) for v, m, t in fee_tiers or ()
        )
        self.quote_volume = ZERO  # quote traded by the account so far (the tiers' volume)
        self.clock = clock or _real_clock
        self.rng = random.Random(seed)
        self.strict_client_ids = strict_client_ids
        self.participation = None if participation is None else Decimal(str(participation))
        start = {quote: 10_000} if balances is None else balances
        self.balances: dict[str, Balance] = {base: Balance(), quote: Balance()}
        for asset, amount in start.items():
            self.balances[asset] = Balance(free=Decimal(str(amount)))
        self.bar = start_bar
        self.orders: list[Order] = []
        self.trades: list[Trade] = []
        self._by_id: dict[int, Order] = {}
        self._siblings: dict[int, int] = {}  # OCO leg order id -> the other leg's
        self._next_list_id = 1
        self._open_ids: dict[str, int] = {}  # client order id -> open orders holding it
        self._ever_ids: dict[str, int] = {}  # client order id -> orders that held it
        self._next_trade_id = 1
        #: called with each ``executionReport`` event (a dict) as orders change
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        #: called with (bar index, closed) as :meth:`advance` closes a bar and opens the next
        self.bar_listeners: list[Callable[[int, bool], None]] = []

    # -- prices ------------------------------------------------------------------------------

    def rates(self) -> tuple[Decimal, Decimal]:
        """The (maker, taker) commission rates now: the highest fee tier whose quote volume
        the account has traded, else ``maker_fee`` / ``taker_fee``."""
        maker, taker = self.maker_fee, self.taker_fee
        for volume, tier_maker, tier_taker in self.fee_tiers:
            if self.quote_volume >= volume:
                maker, taker = tier_maker, tier_taker
        return maker, taker

    def candle(self, i: int) -> Candle:
        """Bar ``i`` in decimals, prices rounded to the tick grid."""
        b, tick = self.bars, self.filters.tick_size
        o, h, lo, c = (to_decimal(a[i]).quantize(tick) for a in (b.open, b.high, b.low, b.close))
        return Candle(int(b.time_ms[i]), o, h, lo, c, to_decimal(b.volume[i]))

    def price(self) -> Decimal:
        """The current price: the open of bar ``self.bar`` (quote per base)."""
        return self.candle(self.bar).open

    def now_ms(self) -> int:
        """The exchange clock, epoch ms."""
        return int(self.clock())

    # -- placing -------------------------------------------------------------------------------

    def place(self, params: Mapping[str, str]) -> tuple[Order, OrderRequest]:
        """Validate and execute a new-order request; raises :class:`ApiError` on rejection."""
        req = self.parse_order(params)
        self._check_client_id(req.client_order_id)
        self._check_filters(req)
        order = self._market(req) if req.type == "MARKET" else self._limit(req)
        return order, req

    def parse_order(self, params: Mapping[str, str]) -> OrderRequest:
        """The order request in ``params``, validated as Binance does (-1100, -1102, -1106,
        -1014, -1115, -1116, -1117, -1121)."""
        self.check_symbol(params)
        side = _enum(params, "side", ("BUY", "SELL"), -1117, "Invalid side.")
        kinds = (*ORDER_TYPES, "STOP_LOSS", "TAKE_PROFIT")
        otype = _enum(params, "type", kinds, -1116, "Invalid orderType.")
        if otype not in ORDER_TYPES:
            raise _bad(-1014, "Unsupported order combination.")
        need = REQUIRED[otype]
        _reject_unneeded(params, otype, need)
        tif = "GTC"
        if "timeInForce" in need:
            tif = _enum(params, "timeInForce", ("GTC", "IOC", "FOK"), -1115, "Invalid timeInForce.")
        qty = _decimal(params, "quantity", "quantity" in need)
        quote_qty = _decimal(params, "quoteOrderQty")
        if otype == "MARKET" and qty is None and quote_qty is None:
            raise _bad(
                -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty!"
            )
        resp = params.get("newOrderRespType", "")
        if resp not in ("ACK", "RESULT", "FULL"):  # absent: Binance's default for the type
            resp = "FULL" if otype in ("MARKET", "LIMIT") else "ACK"
        return OrderRequest(
            side, otype, tif, qty, quote_qty,
            _decimal(params, "price", "price" in need),
            _decimal(params, "stopPrice", "stopPrice" in need),
            self._client_id(params.get("newClientOrderId")), resp,
        )  # fmt: skip

    def check_symbol(self, params: Mapping[str, str], required: bool = True) -> None:
        """-1102 if ``symbol`` is required and absent, -1121 if it is not ours."""
        symbol = params.get("symbol")
        if symbol is None:
            if required:
                raise _mandatory("symbol")
            return
        if symbol != self.symbol:
            raise _bad(-1121, "Invalid symbol.")

    def _client_id(self, given: str | None) -> str:
        if given is None or given == "":
            alphabet = string.ascii_letters + string.digits
            return "".join(self.rng.choices(alphabet, k=22))
        if not CLIENT_ID.match(given):
            raise _illegal("newClientOrderId", r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
        return given

    def _check_client_id(self, client_id: str) -> None:
        """Binance: unique among open orders; ``strict_client_ids``: unique ever."""
        taken = self._ever_ids if self.strict_client_ids else self._open_ids
        if taken.get(client_id):
            raise _bad(-2010, "Duplicate order sent.")

    def _check_filters(self, req: OrderRequest) -> None:
        """PRICE_FILTER on price and stopPrice, LOT_SIZE on quantity, NOTIONAL on a limit
        order's price x quantity (a market order's notional is checked when priced)."""
        for price in (req.price, req.stop_price):
            if price is not None and not self.filters.price_ok(price):
                raise _bad(-1013, "Filter failure: PRICE_FILTER")
        if req.quantity is not None and not self.filters.qty_ok(req.quantity):
            raise _bad(-1013, "Filter failure: LOT_SIZE")
        if req.price is not None and req.quantity is not None:
            self._check_notional(req.price * req.quantity)

    def _check_notional(self, notional: Decimal) -> None:
        if not self.filters.min_notional <= notional <= self.filters.max_notional:
            raise _bad(-1013, "Filter failure: NOTIONAL")

    def _market(self, req: OrderRequest) -> Order:
        """Fill the order at the current open (taker); with a finite book (``book_depth``),
        level by level, one tick apart, and what the book cannot fill expires."""
        px = self.price()
        qty = req.quantity
        if qty is None:
            assert req.quote_qty is not None
            qty = floor_to(req.quote_qty / px, self.filters.step_size)
            if not self.filters.qty_ok(qty):
                raise _bad(-1013, "Filter failure: LOT_SIZE")
        self._check_notional(qty * px)
        levels = self._walk(req.side == "BUY", px, qty, req.quote_qty)
        cost = sum((p * q for p, q in levels), ZERO)
        if req.side == "BUY":
            lock_asset, lock = self.quote, req.quote_qty if req.quantity is None else cost
            if self.commission_in == "quote":
                taker = self.rates()[1]
                fees = ((p * q * taker).quantize(EIGHT_DP, ROUND_HALF_UP) for p, q in levels)
                lock = cost + sum(fees, ZERO)
        else:
            lock_asset, lock = self.base, qty
        order = self._accept(req, qty, lock_asset, lock)
        for level_px, level_qty in levels:
            self._fill(order, level_px, level_qty, maker=False)
        if order.is_open:  # the book ran out
            self._finish(order, "EXPIRED")
        return order

    def _walk(
        self, buy: bool, px: Decimal, qty: Decimal, quote_qty: Decimal | None
    ) -> list[tuple[Decimal, Decimal]]:
        """The (price, quantity) a market order takes from the book: all of ``qty`` at ``px``
        with an infinite book; else up to ``book_depth`` per level, ``book_levels`` levels one
        tick apart (away from ``px``), spending at most ``quote_qty`` when given."""
        if self.book_depth is None:
            return [(px, qty)]
        tick, step = self.filters.tick_size, self.filters.step_size
        out: list[tuple[Decimal, Decimal]] = []
        left, budget = qty, quote_qty
        for k in range(self.book_levels):
            level_px = px + k * tick if buy else px - k * tick
            take = min(self.book_depth, left)
            if budget is not None:
                take = min(take, floor_to(budget / level_px, step))
            if take <= 0 or level_px <= 0:
                break
            out.append((level_px, take))
            left -= take
            if budget is not None:
                budget -= take * level_px
        return out

    def _limit(self, req: OrderRequest) -> Order:
        """LIMIT, LIMIT_MAKER and the stop-limits: take at the open if marketable, else rest."""
        assert req.price is not None and req.quantity is not None
        px = self.price()
        if req.type in STOP_TYPES:
            assert req.stop_price is not None
            if _stop_hit(req.type, req.side, px, px, req.stop_price):
                raise _bad(-2010, "Stop price would trigger immediately.")
            takes = False
        else:
            takes = _crosses(req.side, req.price, px)
        if takes and req.type == "LIMIT_MAKER":
            raise _bad(-2010, WOULD_TAKE)
        if req.side == "BUY":
            lock_asset, lock = self.quote, req.quantity * req.price
            if self.commission_in == "quote":
                rate = max(self.rates())
                lock += (lock * rate).quantize(EIGHT_DP, ROUND_HALF_UP)
        else:
            lock_asset, lock = self.base, req.quantity
        order = self._accept(req, req.quantity, lock_asset, lock)
        if takes:
            self._fill(order, px, req.quantity, maker=False)
        elif req.time_in_force != "GTC" and req.type not in STOP_TYPES:
            self._finish(order, "EXPIRED")
        return order

    def _accept(self, req: OrderRequest, qty: Decimal, lock_asset: str, lock: Decimal) -> Order:
        """Lock the funds (-2010 if short) and record the order."""
        balance = self.balances.setdefault(lock_asset, Balance())
        if balance.free < lock:
            raise _bad(-2010, INSUFFICIENT)
        balance.free -= lock
        balance.locked += lock
        now = self.now_ms()
        order = Order(
            order_id=len(self.orders) + 1, client_order_id=req.client_order_id, side=req.side,
            type=req.type, time_in_force=req.time_in_force, price=req.price or ZERO,
            stop_price=req.stop_price or ZERO, orig_qty=qty, orig_quote_qty=req.quote_qty or ZERO,
            time=now, lock_asset=lock_asset, bar=self.bar, update_time=now,
            working_time=-1 if req.type in STOP_TYPES else now, locked=lock,
        )  # fmt: skip
        self.orders.append(order)
        self._by_id[order.order_id] = order
        coid = order.client_order_id
        self._open_ids[coid] = self._open_ids.get(coid, 0) + 1
        self._ever_ids[coid] = self._ever_ids.get(coid, 0) + 1
        self._report(order, "NEW")
        return order

    # -- filling ---------------------------------------------------------------------------------

    def _fill(self, order: Order, price: Decimal, qty: Decimal, *, maker: bool) -> Trade:
        """Execute ``qty`` of ``order`` at ``price``: spend from its lock, credit the asset
        received less commission, record the trade."""
        self._oco_executes(order)
        quote_qty = price * qty
        rate = self.rates()[0 if maker else 1]
        buy = order.side == "BUY"
        spent, received = (quote_qty, qty) if buy else (qty, quote_qty)
        got_asset = self.base if buy else self.quote
        fee_asset = self.quote if self.commission_in == "quote" else got_asset
        commission = ((quote_qty if fee_asset == self.quote else qty) * rate).quantize(
            EIGHT_DP, ROUND_HALF_UP
        )
        if fee_asset == got_asset:
            received -= commission
        else:  # a buy paying its commission in quote, from its lock
            spent += commission
        self.balances[order.lock_asset].locked -= spent
        order.locked -= spent
        self.balances.setdefault(got_asset, Balance()).free += received
        now = self.now_ms()
        trade = Trade(
            self._next_trade_id, order.order_id, price, qty, quote_qty, commission, fee_asset,
            now, buy, maker, self.bar,
        )  # fmt: skip
        self._next_trade_id += 1
        self.trades.append(trade)
        order.executed_qty += qty
        order.cumm_quote_qty += quote_qty
        self.quote_volume += quote_qty
        order.update_time = now
        if order.remaining == 0:
            self._finish(order, "FILLED")
        else:
            order.status = "PARTIALLY_FILLED"
        self._report(order, "TRADE", trade)
        return trade

    def _finish(self, order: Order, status: str) -> None:
        """Close ``order`` with ``status`` and give back what it still locks."""
        balance = self.balances[order.lock_asset]
        balance.locked -= order.locked
        balance.free += order.locked
        order.locked = ZERO
        was_open = order.is_open
        order.status = status
        order.update_time = self.now_ms()
        if was_open and not order.is_open:
            self._open_ids[order.client_order_id] -= 1
        if status != "FILLED":  # a fill is reported with its trade
            self._report(order, status)

    def _report(self, order: Order, exec_type: str, trade: Trade | None = None) -> None:
        """Tell the listeners: an ``executionReport`` of ``order`` (Binance's user-data event)."""
        if not self.listeners:
            return
        now = self.now_ms()
        doc = {
            "e": "executionReport", "E": now, "s": self.symbol, "c": order.client_order_id,
            "S": order.side, "o": order.type, "f": order.time_in_force,
            "q": fmt(order.orig_qty), "p": fmt(order.price), "P": fmt(order.stop_price),
            "F": fmt(ZERO), "g": -1, "C": "", "x": exec_type, "X": order.status, "r": "NONE",
            "i": order.order_id, "l": fmt(trade.qty if trade else ZERO),
            "z": fmt(order.executed_qty), "L": fmt(trade.price if trade else ZERO),
            "n": fmt(trade.commission) if trade else "0",
            "N": trade.commission_asset if trade else None, "T": now,
            "t": trade.trade_id if trade else -1, "I": 0, "w": order.is_open,
            "m": bool(trade and trade.is_maker), "M": False, "O": order.time,
            "Z": fmt(order.cumm_quote_qty), "Y": fmt(trade.quote_qty if trade else ZERO),
            "Q": fmt(order.orig_quote_qty), "W": order.working_time,
            "V": "EXPIRE_MAKER",
        }  # fmt: skip
        for listener in list(self.listeners):
            listener(doc)

    def advance(self, n: int = 1) -> list[Trade]:
        """Let the current bar play out, then open the next one; ``n`` times.

        While bar ``i`` plays out, resting limit orders fill at their limit price (maker) if the
        bar's low (buys) or high (sells) reaches it, and untriggered stops trigger at their stop
        price. Then bar ``i + 1`` opens: a gap through a resting limit fills it at its limit
        price, a gap through a stop triggers it at the open.

        Returns
        -------
        list of Trade
            The fills this produced, in order.

        Raises
        ------
        IndexError
            If there is no bar after the current one.
        """
        first = len(self.trades)
        for _ in range(n):
            if self.bar + 1 >= len(self.bars.time_ms):
                raise IndexError(f"no bar after bar {self.bar}")
            c = self.candle(self.bar)
            self._match(c.low, c.high, gap=False, volume=c.volume)
            for listener in list(self.bar_listeners):
                listener(self.bar, True)
            self.bar += 1
            for listener in list(self.bar_listeners):
                listener(self.bar, False)
            opened = self.price()
            self._match(opened, opened, gap=True, volume=None)
        return self.trades[first:]

    def _match(self, low: Decimal, high: Decimal, *, gap: bool, volume: Decimal | None) -> None:
        """Match every open order, in order id order, against prices spanning [low, high]."""
        cap = None
        if self.participation is not None and volume is not None:
            cap = floor_to(self.participation * volume, self.filters.step_size)
        for order in [o for o in self.orders if o.is_open]:
            if order.type in STOP_TYPES and order.working_time == -1:
                if _stop_hit(order.type, order.side, low, high, order.stop_price):
                    self._trigger(order, low if gap else order.stop_price)
            elif _crosses(order.side, order.price, low if order.side == "BUY" else high):
                qty = order.remaining if cap is None else min(order.remaining, cap)
                if qty > 0:
                    self._fill(order, order.price, qty, maker=True)

    def _trigger(self, order: Order, at: Decimal) -> None:
        """A stop reached at price ``at`` becomes a limit order: it takes at ``at`` if
        marketable, else rests (GTC) or expires (IOC/FOK)."""
        self._oco_executes(order)
        order.working_time = order.update_time = self.now_ms()
        if _crosses(order.side, order.price, at):
            self._fill(order, at, order.remaining, maker=False)
        elif order.time_in_force != "GTC":
            self._finish(order, "EXPIRED")

    # -- finding and cancelling ----------------------------------------------------------------

    def find(self, params: Mapping[str, str], code: int, msg: str) -> Order:
        """The order named by ``orderId`` or ``origClientOrderId`` (the newest with that id);
        ``code``/``msg`` if there is none."""
        self.check_symbol(params)
        order_id = _integer(params, "orderId")
        client_id = params.get("origClientOrderId")
        if order_id is None and not client_id:
            raise _bad(
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        if order_id is not None:
            order = self._by_id.get(order_id)
            if order is None or (client_id and order.client_order_id != client_id):
                raise _bad(code, msg)
            return order
        for order in reversed(self.orders):
            if order.client_order_id == client_id:
                return order
        raise _bad(code, msg)

    def cancel(self, params: Mapping[str, str]) -> Order:
        """Cancel an open order (-2011 "Unknown order sent." if absent or no longer open); a
        leg of an OCO list cancels the list (both legs)."""
        order = self.find(params, -2011, "Unknown order sent.")
        if not order.is_open:
            raise _bad(-2011, "Unknown order sent.")
        sibling = self._sibling(order)
        self._finish(order, "CANCELED")
        if sibling is not None and sibling.is_open:
            self._finish(sibling, "CANCELED")
        return order

    # -- OCO order lists -----------------------------------------------------------------------

    def place_oco(self, params: Mapping[str, str]) -> tuple[Order, Order, str]:
        """Validate and place an OCO list (``POST /api/v3/orderList/oco``): a sell's above leg
        is ``LIMIT_MAKER`` or ``TAKE_PROFIT_LIMIT`` and its below leg ``STOP_LOSS_LIMIT`` (a
        buy's the other way round); the quantity is locked once for both; when one leg
        executes (fills or triggers) the other expires. Returns the two legs (above, below)
        and the list's client id."""
        self.check_symbol(params)
        side = _enum(params, "side", ("BUY", "SELL"), -1117, "Invalid side.")
        qty = _decimal(params, "quantity", True)
        assert qty is not None
        legs = {}
        for leg in ("above", "below"):
            kind = _enum(params, f"{leg}Type", (*ORDER_TYPES,), -1116, "Invalid orderType.")
            stop_leg = (leg == "below") == (side == "SELL")
            allowed = ("STOP_LOSS_LIMIT",) if stop_leg else ("LIMIT_MAKER", "TAKE_PROFIT_LIMIT")
            if kind not in allowed:
                raise _bad(-1014, "Unsupported order combination.")
            need = REQUIRED[kind]
            legs[leg] = OrderRequest(
                side, kind,
                params.get(f"{leg}TimeInForce", "GTC") if "timeInForce" in need else "GTC",
                qty, None, _decimal(params, f"{leg}Price", True),
                _decimal(params, f"{leg}StopPrice", "stopPrice" in need),
                self._client_id(params.get(f"{leg}ClientOrderId")), "RESULT",
            )  # fmt: skip
        above, below = legs["above"], legs["below"]
        px = self.price()
        assert above.price is not None and below.price is not None
        above_at = above.stop_price if above.type in STOP_TYPES else above.price
        below_at = below.stop_price if below.type in STOP_TYPES else below.price
        assert above_at is not None and below_at is not None
        if not below_at < px < above_at:
            raise _bad(-2010, "The relationship of the prices for the orders is not correct.")
        for req in (above, below):
            self._check_client_id(req.client_order_id)
            self._check_filters(req)
        if side == "BUY":
            lock_asset, lock = self.quote, qty * max(above.price, below.price)
        else:
            lock_asset, lock = self.base, qty
        list_id = self._next_list_id
        self._next_list_id += 1
        first = self._accept(above, qty, lock_asset, lock)  # holds the list's lock
        second = self._accept(below, qty, lock_asset, ZERO)
        first.list_id = second.list_id = list_id
        self._siblings[first.order_id] = second.order_id
        self._siblings[second.order_id] = first.order_id
        return first, second, self._client_id(params.get("listClientOrderId"))

    def _sibling(self, order: Order) -> Order | None:
        other = self._siblings.get(order.order_id)
        return None if other is None else self._by_id[other]

    def _oco_executes(self, order: Order) -> None:
        """A leg of an OCO list executes: it takes the list's lock, and its sibling expires."""
        sibling = self._sibling(order)
        if sibling is None or not sibling.is_open:
            return
        order.locked += sibling.locked
        sibling.locked = ZERO
        self._finish(sibling, "EXPIRED")

    # -- documents -----------------------------------------------------------------------------

    def order_doc(self, order: Order) -> dict[str, Any]:
        """``GET /api/v3/order`` shape."""
        return {
            "symbol": self.symbol, "orderId": order.order_id, "orderListId": order.list_id,
            "clientOrderId": order.client_order_id, "price": fmt(order.price),
            "origQty": fmt(order.orig_qty), "executedQty": fmt(order.executed_qty),
            "cummulativeQuoteQty": fmt(order.cumm_quote_qty), "status": order.status,
            "timeInForce": order.time_in_force, "type": order.type, "side": order.side,
            "stopPrice": fmt(order.stop_price), "icebergQty": fmt(ZERO), "time": order.time,
            "updateTime": order.update_time, "isWorking": order.working_time != -1,
            "workingTime": order.working_time, "origQuoteOrderQty": fmt(order.orig_quote_qty),
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }  # fmt: skip

    def new_order_doc(self, order: Order, resp_type: str) -> dict[str, Any]:
        """``POST /api/v3/order`` reply in the ``ACK``, ``RESULT`` or ``FULL`` shape."""
        doc: dict[str, Any] = {
            "symbol": self.symbol, "orderId": order.order_id, "orderListId": order.list_id,
            "clientOrderId": order.client_order_id, "transactTime": order.time,
        }  # fmt: skip
        if resp_type == "ACK":
            return doc
        full = self.order_doc(order)
        keys = (
            *("price", "origQty", "executedQty", "origQuoteOrderQty", "cummulativeQuoteQty"),
            *("status", "timeInForce", "type", "side", "workingTime", "selfTradePreventionMode"),
        )
        doc.update({k: full[k] for k in keys})
        if order.type in STOP_TYPES:
            doc["stopPrice"] = full["stopPrice"]
        if resp_type == "FULL":
            doc["fills"] = [self.fill_doc(t) for t in self.trades if t.order_id == order.order_id]
        return doc

    def cancel_doc(self, order: Order, cancel_client_id: str) -> dict[str, Any]:
        """``DELETE /api/v3/order`` reply: ``clientOrderId`` is the cancel request's own id,
        ``origClientOrderId`` the order's."""
        full = self.order_doc(order)
        keys = ("price", "origQty", "executedQty", "cummulativeQuoteQty", "status",
                "timeInForce", "type", "side", "selfTradePreventionMode")  # fmt: skip
        head = {"symbol": self.symbol, "origClientOrderId": order.client_order_id,
                "orderId": order.order_id, "orderListId": -1, "clientOrderId": cancel_client_id,
                "transactTime": order.update_time}  # fmt: skip
        return head | {k: full[k] for k in keys}

    def fill_doc(self, trade: Trade) -> dict[str, Any]:
        """One ``fills[]`` entry of a FULL order reply."""
        return {"price": fmt(trade.price), "qty": fmt(trade.qty),
                "commission": fmt(trade.commission), "commissionAsset": trade.commission_asset,
                "tradeId": trade.trade_id}  # fmt: skip

    def trade_doc(self, trade: Trade) -> dict[str, Any]:
        """``GET /api/v3/myTrades`` shape."""
        return {
            "symbol": self.symbol, "id": trade.trade_id, "orderId": trade.order_id,
            "orderListId": -1, "price": fmt(trade.price), "qty": fmt(trade.qty),
            "quoteQty": fmt(trade.quote_qty), "commission": fmt(trade.commission),
            "commissionAsset": trade.commission_asset, "time": trade.time,
            "isBuyer": trade.is_buyer, "isMaker": trade.is_maker, "isBestMatch": True,
        }  # fmt: skip


# -- the HTTP server -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """An endpoint: its handler (params -> JSON document), whether it is signed, its weight."""

    handler: Callable[[dict[str, str]], Any]
    signed: bool
    weight: Callable[[dict[str, str]], int]


def _const(weight: int) -> Callable[[dict[str, str]], int]:
    return lambda params: weight


def _open_orders_weight(params: dict[str, str]) -> int:
    return 6 if params.get("symbol") else 80


def _depth_weight(params: dict[str, str]) -> int:
    limit = _integer(params, "limit", 100) or 100
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


class BinanceSpot(SpotEngine):
    """:class:`SpotEngine` served over HTTP on 127.0.0.1 (``async with``; base URL ``url``).

    Parameters
    ----------
    bars, **engine_kw
        As :class:`SpotEngine`.
    api_key, secret : str
        The one account's credentials (HMAC-SHA256).
    faults : Faults, optional
        Fault switches (``self.faults``, changeable while running).
    port : int
        Port to bind on 127.0.0.1 (0: any free port).

    Attributes
    ----------
    requests : list of RequestRecord
        Every request received, with the status answered.
    delays : list of float
        Every injected latency, seconds.
    on_order : callable, optional
        Test-only: gets the client order id of each authenticated create and answers
        ``"answer"``, ``"drop"`` (closed unprocessed) or ``"lose"`` (placed, reply lost).
    """

    def __init__(
        self,
        bars: Bars | pd.DataFrame,
        *,
        api_key: str = "sim-api-key",
        secret: str = "sim-secret",
        faults: Faults | None = None,
        port: int = 0,
        **engine_kw: Any,
    ) -> None:
        super().__init__(bars, **engine_kw)
        self.api_key, self.secret = api_key, secret
        self.faults = faults or Faults()
        self.port = port
        self.requests: list[RequestRecord] = []
        self.delays: list[float] = []
        self.url = ""
        self._window: deque[tuple[int, int]] = deque()  # (time ms, weight) admitted
        self._window_weight = 0  # the sum of the window's weights
        self._rejected_in_row = 0
        self._banned_until = 0
        self._serving = contextlib.AsyncExitStack()
        self._routes = self._route_table()
        self.on_order: Callable[[str], str] | None = None
        #: the WebSocket API's user-data stream (``/ws-api/v3``), with its own faults
        self.stream = UserDataStream(self, seed=self.rng.randrange(2**32))
        #: the public kline and trade streams (``/ws``), with their own faults
        interval = _interval_name(self.bars.step_ms)
        self.market_stream = MarketStream(self, interval, seed=self.rng.randrange(2**32))

    @property
    def api_url(self) -> str:
        """``http://127.0.0.1:PORT/api/v3``."""
        return self.url + API

    async def __aenter__(self) -> BinanceSpot:
        app = web.Application()
        self.stream.attach(app)
        self.market_stream.attach(app)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self.url = await self._serving.enter_async_context(
            serving(app, port=self.port, shutdown_timeout=1.0)
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._serving.aclose()

    def ccxt_exchange(
        self, *, api_key: str | None = None, secret: str | None = None, timeout_ms: int = 3000
    ) -> Any:
        """A real ``ccxt.async_support.binance`` for this account, every ``api.binance.com``
        URL pointed here (``/api/v3`` and, so that nothing leaves the machine, ``/sapi``).
        ccxt's own throttle is off; close it with ``await exchange.close()``."""
        import ccxt.async_support as ccxt_async

        return self._pointed_here(ccxt_async.binance, api_key, secret, timeout_ms)

    def ccxt_pro_exchange(
        self, *, api_key: str | None = None, secret: str | None = None, timeout_ms: int = 3000
    ) -> Any:
        """A real ``ccxt.pro.binance`` (REST and websockets) for this account: as
        :meth:`ccxt_exchange`, and its websocket URLs (the user-data stream of the WebSocket
        API, the market-data streams) pointed here."""
        import ccxt.pro as ccxt_pro

        exchange = self._pointed_here(ccxt_pro.binance, api_key, secret, timeout_ms)
        exchange.urls["api"]["ws"]["ws-api"]["spot"] = "ws" + self.url[4:] + WS_API
        exchange.urls["api"]["ws"]["spot"] = "ws" + self.url[4:] + "/ws"
        return exchange

    def _pointed_here(
        self, cls: Any, api_key: str | None, secret: str | None, timeout_ms: int
    ) -> Any:
        exchange = cls(
            {
                "apiKey": self.api_key if api_key is None else api_key,
                "secret": self.secret if secret is None else secret,
                "timeout": timeout_ms,
                "enableRateLimit": False,
                "options": {
                    "fetchMarkets": {"types": ["spot"]},
                    "fetchCurrencies": False,
                    "fetchMargins": False,
                },
            }
        )
        for name, url in list(exchange.urls["api"].items()):
            if isinstance(url, str) and url.startswith(BINANCE_HOST):
                exchange.urls["api"][name] = self.url + url[len(BINANCE_HOST) :]
        return exchange

    # -- request pipeline ------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        try:
            response = await self._answer(request)
        except ApiError as err:
            response = err.response()
        except _ReplyLostError:
            self.requests.append(RequestRecord(request.method, request.path, 0))
            if request.transport is not None:
                request.transport.close()  # accepted, then the reply is lost
            return web.Response(status=204)
        if response.status != 503:
            used = self._window_weight
            response.headers[f"X-MBX-USED-WEIGHT-{self._interval_label()}"] = str(used)
        self.requests.append(RequestRecord(request.method, request.path, response.status))
        return response

    async def _answer(self, request: web.Request) -> web.Response:
        await self._delay()
        if self.faults.outage:
            raise ApiError(503, 0, "", text="Service Unavailable.")
        route = self._routes.get((request.method, request.path))
        if route is None:
            raise ApiError(404, 0, "", text="<html><body><h2>404 Not found</h2></body></html>")
        query = request.rel_url.raw_query_string
        body = await request.text() if request.can_read_body else ""
        params = dict(parse_qsl(query, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        self._admit(route.weight(params))
        if route.signed:
            self._authenticate(request.headers.get("X-MBX-APIKEY"), query, body, params)
        create = (request.method, request.path) == ("POST", f"{API}/order")
        action = "answer"
        if create and self.on_order is not None:
            action = self.on_order(params.get("newClientOrderId", ""))
            if action not in ("answer", "drop", "lose"):
                raise ValueError(f"on_order answered {action!r}: answer, drop or lose")
        if action == "drop":
            raise _ReplyLostError  # never reaches the book
        doc = route.handler(params)
        if create and (action == "lose" or self._lose_reply()):
            raise _ReplyLostError
        return _json(doc)

    async def _delay(self) -> None:
        f = self.faults
        if f.latency_mu is None:
            return
        delay = self.rng.lognormvariate(f.latency_mu, f.latency_sigma)
        self.delays.append(delay)
        await asyncio.sleep(delay)

    def _lose_reply(self) -> bool:
        if self.faults.lose_replies > 0:
            self.faults.lose_replies -= 1
            return True
        return self.faults.lose_reply_rate > 0 and self.rng.random() < self.faults.lose_reply_rate

    def _interval_label(self) -> str:
        ms = self.faults.weight_window_ms
        return f"{ms // 60_000}M" if ms % 60_000 == 0 else f"{max(1, ms // 1000)}S"

    def _interval_words(self) -> str:
        ms = self.faults.weight_window_ms
        return f"{ms // 60_000} MINUTE" if ms % 60_000 == 0 else f"{max(1, ms // 1000)} SECOND"

    def _admit(self, weight: int) -> None:
        """Count ``weight`` in the sliding window, or refuse: 418 while banned, else 429."""
        f, now = self.faults, self.now_ms()
        if now < self._banned_until:
            raise self._ban_error(now)
        while self._window and self._window[0][0] <= now - f.weight_window_ms:
            self._window_weight -= self._window.popleft()[1]
        used = self._window_weight
        if f.weight_limit is not None and used + weight > f.weight_limit:
            self._rejected_in_row += 1
            if f.ban_after_429s is not None and self._rejected_in_row > f.ban_after_429s:
                self._banned_until = now + f.ban_ms
                raise self._ban_error(now)
            msg = (f"Too much request weight used; current limit is {f.weight_limit} request "
                   f"weight per {self._interval_words()}. Please use WebSocket Streams for live "
                   "updates to avoid polling the API.")  # fmt: skip
            wait = self._retry_after_s(used + weight - f.weight_limit, now)
            raise ApiError(429, -1003, msg, headers={"Retry-After": str(wait)})
        self._rejected_in_row = 0
        self._window.append((now, weight))
        self._window_weight += weight

    def _retry_after_s(self, excess: int, now: int) -> int:
        """Whole seconds until ``excess`` weight has left the window."""
        freed = 0
        for t, w in self._window:
            freed += w
            if freed >= excess:
                return max(1, math.ceil((t + self.faults.weight_window_ms - now) / 1000))
        return max(1, math.ceil(self.faults.weight_window_ms / 1000))

    def _ban_error(self, now: int) -> ApiError:
        msg = (f"Way too much request weight used; IP banned until {self._banned_until}. "
               "Please use WebSocket Streams for live updates to avoid bans.")  # fmt: skip
        wait = max(1, math.ceil((self._banned_until - now) / 1000))
        return ApiError(418, -1003, msg, headers={"Retry-After": str(wait)})

    def _authenticate(self, key: str | None, query: str, body: str, params: dict[str, str]) -> None:
        """API key (401, -2015), signature over query + body without ``signature`` (-1022),
        then ``timestamp`` within ``recvWindow`` (default 5000 ms) of the clock (-1021)."""
        if key != self.api_key:
            raise ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        signature = params.get("signature")
        if not signature:
            raise _mandatory("signature")
        payload = _unsigned(query) + _unsigned(body)
        expected = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            raise _bad(-1022, "Signature for this request is not valid.")
        stamp = _integer(params, "timestamp")
        if stamp is None:
            raise _mandatory("timestamp")
        window = _integer(params, "recvWindow", 5000)
        assert window is not None
        if window > 60_000:
            raise _bad(-1131, "recvWindow must be less than 60000")
        now = self.now_ms()
        if stamp >= now + 1000:
            raise _bad(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        if now - stamp > window:
            raise _bad(-1021, "Timestamp for this request is outside of the recvWindow.")

    # -- endpoints -------------------------------------------------------------------------------

    def _route_table(self) -> dict[tuple[str, str], Route]:
        return {
            ("GET", f"{API}/ping"): Route(lambda p: {}, False, _const(1)),
            ("GET", f"{API}/time"): Route(
                lambda p: {"serverTime": self.now_ms()}, False, _const(1)
            ),
            ("GET", f"{API}/exchangeInfo"): Route(self._exchange_info, False, _const(20)),
            ("GET", f"{API}/klines"): Route(self._klines, False, _const(2)),
            ("GET", f"{API}/depth"): Route(self._depth, False, _depth_weight),
            ("GET", f"{API}/account"): Route(self._account, True, _const(20)),
            ("POST", f"{API}/order"): Route(self._post_order, True, _const(1)),
            ("GET", f"{API}/order"): Route(self._get_order, True, _const(4)),
            ("DELETE", f"{API}/order"): Route(self._delete_order, True, _const(1)),
            ("GET", f"{API}/openOrders"): Route(self._open_orders, True, _open_orders_weight),
            ("DELETE", f"{API}/openOrders"): Route(self._cancel_all, True, _const(1)),
            ("GET", f"{API}/allOrders"): Route(self._all_orders, True, _const(20)),
            ("GET", f"{API}/myTrades"): Route(self._my_trades, True, _const(20)),
            ("POST", "/_sim/bar"): Route(self._set_bar, False, _const(0)),
            ("POST", f"{API}/orderList/oco"): Route(self._post_oco, True, _const(1)),
        }

    def _set_bar(self, params: dict[str, str]) -> dict[str, Any]:
        """Test-only: move the bar cursor to ``i`` (``POST /_sim/bar?i=N``)."""
        i = _integer(params, "i")
        if i is None or not 0 <= i < len(self.bars.time_ms):
            raise _illegal("i", f"0..{len(self.bars.time_ms) - 1}")
        self.bar = i
        return {"bar": i}

    def _exchange_info(self, params: dict[str, str]) -> dict[str, Any]:
        limit = self.faults.weight_limit or 6000
        minutes = max(1, self.faults.weight_window_ms // 60_000)
        return {
            "timezone": "UTC",
            "serverTime": self.now_ms(),
            "rateLimits": [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": minutes,
                    "limit": limit,
                }
            ],
            "exchangeFilters": [],
            "symbols": [self._symbol_info()],
        }

    def _symbol_info(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol, "status": "TRADING", "baseAsset": self.base,
            "baseAssetPrecision": 8, "quoteAsset": self.quote, "quotePrecision": 8,
            "quoteAssetPrecision": 8, "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8, "orderTypes": list(ORDER_TYPES),
            "icebergAllowed": False, "ocoAllowed": False, "otoAllowed": False,
            "quoteOrderQtyMarketAllowed": True, "allowTrailingStop": False,
            "cancelReplaceAllowed": False, "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False, "filters": self.filters.documents(),
            "permissions": [], "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["EXPIRE_MAKER"],
        }  # fmt: skip

    def _account(self, params: dict[str, str]) -> dict[str, Any]:
        omit_zero = params.get("omitZeroBalances") == "true"
        rows = [
            {"asset": asset, "free": fmt(b.free), "locked": fmt(b.locked)}
            for asset, b in self.balances.items()
            if not (omit_zero and b.total == 0)
        ]
        bps = {k: int(v * 10_000) for k, v in zip(("maker", "taker"), self.rates(), strict=True)}
        return {
            "makerCommission": bps["maker"], "takerCommission": bps["taker"],
            "buyerCommission": 0, "sellerCommission": 0,
            "commissionRates": {"maker": fmt(self.rates()[0]), "taker": fmt(self.rates()[1]),
                                "buyer": fmt(ZERO), "seller": fmt(ZERO)},
            "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
            "requireSelfTradePrevention": False, "preventSor": False,
            "updateTime": self.now_ms(), "accountType": "SPOT", "balances": rows,
            "permissions": ["SPOT"], "uid": 1,
        }  # fmt: skip

    def _post_oco(self, params: dict[str, str]) -> dict[str, Any]:
        above, below, list_client_id = self.place_oco(params)
        now = self.now_ms()
        return {
            "orderListId": above.list_id, "contingencyType": "OCO",
            "listStatusType": "EXEC_STARTED", "listOrderStatus": "EXECUTING",
            "listClientOrderId": list_client_id, "transactionTime": now, "symbol": self.symbol,
            "orders": [{"symbol": self.symbol, "orderId": o.order_id,
                        "clientOrderId": o.client_order_id} for o in (above, below)],
            "orderReports": [self.new_order_doc(o, "RESULT") for o in (above, below)],
        }  # fmt: skip

    def _post_order(self, params: dict[str, str]) -> dict[str, Any]:
        order, req = self.place(params)
        return self.new_order_doc(order, req.resp_type)

    def _get_order(self, params: dict[str, str]) -> dict[str, Any]:
        return self.order_doc(self.find(params, -2013, "Order does not exist."))

    def _delete_order(self, params: dict[str, str]) -> dict[str, Any]:
        order = self.cancel(params)
        return self.cancel_doc(order, self._client_id(params.get("newClientOrderId")))

    def _open_orders(self, params: dict[str, str]) -> list[dict[str, Any]]:
        self.check_symbol(params, required=False)
        return [self.order_doc(o) for o in self.orders if o.is_open]

    def _cancel_all(self, params: dict[str, str]) -> list[dict[str, Any]]:
        self.check_symbol(params)
        targets = [o for o in self.orders if o.is_open]
        if not targets:
            raise _bad(-2011, "Unknown order sent.")
        for order in targets:
            self._finish(order, "CANCELED")
        return [self.cancel_doc(o, self._client_id(None)) for o in targets]

    def _all_orders(self, params: dict[str, str]) -> list[dict[str, Any]]:
        self.check_symbol(params)
        first = _integer(params, "orderId", 0) or 0
        rows = [o for o in self.orders if o.order_id >= first]
        rows = _in_time(rows, params, lambda o: o.time)
        return [self.order_doc(o) for o in rows[: _limit(params)]]

    def _my_trades(self, params: dict[str, str]) -> list[dict[str, Any]]:
        self.check_symbol(params)
        order_id = _integer(params, "orderId")
        first = _integer(params, "fromId", 0) or 0
        rows = [t for t in self.trades if t.trade_id >= first]
        if order_id is not None:
            rows = [t for t in rows if t.order_id == order_id]
        rows = _in_time(rows, params, lambda t: t.time)
        return [self.trade_doc(t) for t in rows[: _limit(params)]]

    def _klines(self, params: dict[str, str]) -> list[list[Any]]:
        """Bars up to the cursor; the current bar as seen at its open (no look-ahead)."""
        self.check_symbol(params)
        step = self.bars.step_ms
        try:
            ok = timeframe_ms(params.get("interval") or "") == step
        except ValueError:
            ok = False
        if not ok:
            raise _bad(-1120, "Invalid interval.")
        times = self.bars.time_ms[: self.bar + 1]
        hi = len(times)
        end = _integer(params, "endTime")
        if end is not None:
            hi = int(np.searchsorted(times, end, side="right"))
        start = _integer(params, "startTime")
        lo = max(0, hi - _limit(params)) if start is None else int(np.searchsorted(times, start))
        hi = min(hi, lo + _limit(params))
        return [self._kline_row(i, step) for i in range(lo, hi)]

    def _kline_row(self, i: int, step: int) -> list[Any]:
        c = self.candle(i)
        if i == self.bar:
            c = Candle(c.time_ms, c.open, c.open, c.open, c.open, ZERO)
        quote_volume = c.volume * c.close
        return [
            c.time_ms, fmt(c.open), fmt(c.high), fmt(c.low), fmt(c.close), fmt(c.volume),
            c.time_ms + step - 1, fmt(quote_volume), 0, fmt(c.volume / 2),
            fmt(quote_volume / 2), "0",
        ]  # fmt: skip

    def _depth(self, params: dict[str, str]) -> dict[str, Any]:
        """A synthetic book: ``limit`` levels each side, one tick apart, around the open."""
        self.check_symbol(params)
        levels = min(_integer(params, "limit", 100) or 100, 5000)
        px, tick = self.price(), self.filters.tick_size
        prev = self.candle(max(0, self.bar - 1)).volume
        qty = max(self.filters.min_qty, floor_to(prev / 100, self.filters.step_size))
        bids = [[fmt(px - k * tick), fmt(qty)] for k in range(1, levels + 1) if px - k * tick > 0]
        asks = [[fmt(px + k * tick), fmt(qty)] for k in range(1, levels + 1)]
        return {"lastUpdateId": self.bar, "bids": bids, "asks": asks}


def _interval_name(step_ms: int) -> str:
    """A bar length as Binance names it (``60_000`` -> ``"1m"``).

    Examples
    --------
    >>> _interval_name(60_000), _interval_name(3_600_000), _interval_name(86_400_000)
    ('1m', '1h', '1d')
    """
    for unit, ms in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if step_ms % ms == 0:
            return f"{step_ms // ms}{unit}"
    raise ValueError(f"no Binance interval for {step_ms} ms bars")


def _unsigned(raw: str) -> str:
    """A raw query string or form body without its ``signature`` parameter."""
    return "&".join(p for p in raw.split("&") if p and not p.startswith("signature="))


def _limit(params: dict[str, str]) -> int:
    """``limit`` (default 500, at most 1000)."""
    return max(1, min(_integer(params, "limit", 500) or 500, 1000))


def _in_time(rows: list[Any], params: dict[str, str], when: Callable[[Any], int]) -> list[Any]:
    start = _integer(params, "startTime")
    end = _integer(params, "endTime")
    return [
        r for r in rows if (start is None or when(r) >= start) and (end is None or when(r) <= end)
    ]


# -- running it on its own ---------------------------------------------------------------------


def read_bars_csv(path: str) -> pd.DataFrame:
    """A CSV of timestamp,open,high,low,close,volume (timestamp: epoch ms or ISO 8601) as a
    canonical frame."""
    frame = pd.read_csv(path)
    stamps = frame.pop("timestamp")
    if pd.api.types.is_numeric_dtype(stamps):
        index = pd.to_datetime(stamps, unit="ms", utc=True)
    else:
        index = pd.to_datetime(stamps, utc=True)
    return frame.set_index(pd.DatetimeIndex(index, name="timestamp")).sort_index()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve a local Binance spot simulator.")
    parser.add_argument("--bars", required=True, help="CSV: timestamp,open,high,low,close,volume")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--symbol", default="SOLUSDT")
    parser.add_argument("--base", default="SOL")
    parser.add_argument("--quote", default="USDT")
    parser.add_argument("--balance", action="append", default=[], metavar="ASSET=AMOUNT")
    parser.add_argument("--api-key", default="sim-api-key")
    parser.add_argument("--secret", default="sim-secret")
    parser.add_argument("--start-bar", type=int, default=0)
    parser.add_argument(
        "--advance-every", type=float, default=0.0, metavar="SECONDS",
        help="move to the next bar every SECONDS (0: never)",
    )  # fmt: skip
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    balances = dict(item.split("=", 1) for item in args.balance) or {args.quote: "10000"}
    sim = BinanceSpot(
        read_bars_csv(args.bars), symbol=args.symbol, base=args.base, quote=args.quote,
        balances=balances, api_key=args.api_key, secret=args.secret, port=args.port,
        start_bar=args.start_bar,
    )  # fmt: skip
    async with sim:
        print(f"serving {args.symbol} at {sim.api_url} (api key {args.api_key!r}); Ctrl-C stops")
        while True:
            await asyncio.sleep(args.advance_every or 3600)
            if args.advance_every:
                try:
                    sim.advance()
                except IndexError:
                    print("last bar reached")
                    args.advance_every = 0.0


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m tests.binance_spot``."""
    args = _parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C stops the manual server
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
