"""GeckoTerminal- and Birdeye-shaped DEX data servers on 127.0.0.1, with injectable faults.

Both serve candles made from the bundled real bars (``read_sample_bars``), one pool address per
series, in each provider's own shape: GeckoTerminal ``ohlcv_list`` rows newest first with the
volume in USD (base volume times the close), Birdeye items oldest first with ``v`` in base units
(so the two agree exactly once the client converts). Both list the same generated universe: 200
pools of 184 tokens (16 tokens trade in a second, less liquid pool).

Faults (:class:`Faults`, changeable while serving):

* ``throttle_for(seconds)``: HTTP 429 with ``Retry-After`` for the next ``seconds`` of the
  server's clock (an injectable clock, so a test can pass a minute without waiting one);
* ``fail``: HTTP 500 for the next ``fail`` requests;
* ``slow_s``: every reply waits that many real seconds;
* ``bad``: candle answers break one rule: ``missing_field``, ``nan``, ``negative_volume``,
  ``unsorted``, ``duplicate``.

The server checks its own quota (``quota=(max_calls, per_s)``) with a sliding window over its
clock: a request beyond it is a **violation**, counted and answered with 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from aiohttp import web
from solders.pubkey import Pubkey

from tests.conftest import read_sample_bars
from tests.local_http import serving

#: Pool addresses of the bundled series (deterministic, valid base58).
POOLS: dict[str, tuple[str, str]] = {
    str(Pubkey(bytes([7, k] + [k + 1] * 30))): ("binance", symbol)
    for k, symbol in enumerate(("SOL-USDT", "ETH-USDT", "BTC-USDT"), start=1)
}
SOL_POOL = next(iter(POOLS))
TIMEFRAMES = ("1h", "4h")
BAD_KINDS = ("missing_field", "nan", "negative_volume", "unsorted", "duplicate")
_GECKO_UNITS = {("hour", 1): "1h", ("hour", 4): "4h"}
_BIRDEYE_TYPES = {"1H": "1h", "4H": "4h"}


class FakeClock:
    """A monotonic clock the test moves: ``advance(s)``; ``sleep`` advances it and yields."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class Faults:
    """Switchable faults of a server (see the module docstring)."""

    throttle_until: float = -math.inf
    fail: int = 0
    slow_s: float = 0.0
    bad: str | None = None
    clock: Callable[[], float] = time.monotonic

    def throttle_for(self, seconds: float) -> None:
        """Answer 429 for the next ``seconds`` of the server's clock."""
        self.throttle_until = self.clock() + seconds


class Series:
    """One bundled series as arrays: open time (ms) and OHLCV (base volume)."""

    def __init__(self, exchange: str, symbol: str, timeframe: str) -> None:
        frame = read_sample_bars(exchange, symbol, timeframe)
        self.ts = frame.index.asi8 // 1_000_000
        self.o, self.h, self.l, self.c, self.v = (
            frame[c].to_numpy() for c in ("open", "high", "low", "close", "volume")
        )

    def window(self, lo_ms: int, hi_ms: int) -> np.ndarray:
        """Row positions with open time in ``[lo_ms, hi_ms)``."""
        return np.flatnonzero((self.ts >= lo_ms) & (self.ts < hi_ms))


_SERIES: dict[tuple[str, str], Series] = {}


def series(pool: str, timeframe: str) -> Series:
    """The bundled series behind a pool (read once per process)."""
    key = (pool, timeframe)
    if key not in _SERIES:
        exchange, symbol = POOLS[pool]
        _SERIES[key] = Series(exchange, symbol, timeframe)
    return _SERIES[key]


# --------------------------------------------------------------------------- the universe


@dataclass(frozen=True)
class Token:
    """A generated token of the universe (its most liquid pool first in ``pools``)."""

    mint: str
    symbol: str
    pools: tuple[str, ...]
    dex: str
    created_ms: int
    liquidity_usd: float
    volume_24h_usd: float
    price_usd: float
    change_pct: float
    holders: int


def make_universe(n_tokens: int = 184, n_pools: int = 200, seed: int = 7) -> list[Token]:
    """``n_tokens`` tokens trading in ``n_pools`` pools, created relative to the real now."""
    rng = random.Random(seed)
    now_ms = int(time.time() * 1000)
    dexes = ("raydium", "orca", "meteora", "pumpswap")
    second = set(rng.sample(range(n_tokens), n_pools - n_tokens))
    tokens = []
    for i in range(n_tokens):
        npools = 2 if i in second else 1
        pools = tuple(str(Pubkey(rng.randbytes(32))) for _ in range(npools))
        tokens.append(
            Token(
                mint=str(Pubkey(rng.randbytes(32))),
                symbol=f"T{i:03d}",
                pools=pools,
                dex=rng.choice(dexes),
                created_ms=now_ms - int(rng.uniform(0.05, 400.0) * 86_400_000),
                liquidity_usd=round(10 ** rng.uniform(3.0, 7.0), 2),
                volume_24h_usd=round(10 ** rng.uniform(3.0, 7.5), 2),
                price_usd=round(10 ** rng.uniform(-6.0, 2.0), 10),
                change_pct=round(rng.uniform(-90.0, 300.0), 3),
                holders=rng.randint(50, 50_000),
            )
        )
    return tokens


def _gecko_pool(token: Token, k: int, network: str = "solana") -> dict[str, Any]:
    """The GeckoTerminal item of the token's k-th pool (a second pool holds a tenth of the
    liquidity and volume)."""
    share = 1.0 if k == 0 else 0.1
    pool = token.pools[k]
    created = datetime.fromtimestamp(token.created_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": f"{network}_{pool}",
        "type": "pool",
        "attributes": {
            "address": pool,
            "name": f"{token.symbol} / SOL",
            "pool_created_at": created,
            "reserve_in_usd": str(round(token.liquidity_usd * share, 4)),
            "base_token_price_usd": str(token.price_usd),
            "volume_usd": {
                "m5": "0",
                "h1": "0",
                "h6": "0",
                "h24": str(token.volume_24h_usd * share),
            },
            "price_change_percentage": {
                "m5": "0",
                "h1": "0",
                "h6": "0",
                "h24": str(token.change_pct),
            },
        },
        "relationships": {
            "base_token": {"data": {"id": f"{network}_{token.mint}", "type": "token"}},
            "quote_token": {
                "data": {"id": f"{network}_So11111111111111111111111111111111111111112"}
            },
            "dex": {"data": {"id": token.dex, "type": "dex"}},
        },
    }


def _birdeye_token(token: Token) -> dict[str, Any]:
    return {
        "address": token.mint,
        "symbol": token.symbol,
        "name": f"Token {token.symbol}",
        "decimals": 6,
        "liquidity": token.liquidity_usd,
        "market_cap": token.liquidity_usd * 10,
        "price": token.price_usd,
        "volume_24h_usd": token.volume_24h_usd,
        "price_change_24h_percent": token.change_pct,
        "holder": token.holders,
        "recent_listing_time": token.created_ms // 1000,
        "last_trade_unix_time": token.created_ms // 1000,
    }


# --------------------------------------------------------------------------- the server base


class DexServer:
    """What both servers share: counters, the quota check, the faults (use ``async with``)."""

    def __init__(
        self,
        *,
        universe: list[Token] | None = None,
        quota: tuple[int, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        api_key: str | None = None,
    ) -> None:
        self.universe = make_universe() if universe is None else universe
        self.quota = quota
        self.clock = clock
        self.api_key = api_key
        self.faults = Faults(clock=clock)
        self.requests = 0  # every request received
        self.throttled = 0  # 429 answers sent (quota violations and injected throttling)
        self.violations = 0  # requests beyond the server's own sliding-window quota
        self.paths: list[str] = []
        self.arrivals: list[float] = []  # the server clock at each request
        self.keys_seen: list[str | None] = []
        self._accepted: deque[float] = deque()
        self.url = ""
        self._stack: contextlib.AsyncExitStack | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def key_of(self, request: web.Request) -> str | None:
        raise NotImplementedError

    async def __aenter__(self) -> DexServer:
        for pool in POOLS:  # read the bundled bars now, not while timing requests
            for timeframe in TIMEFRAMES:
                series(pool, timeframe)
        app = web.Application(middlewares=[self._middleware])
        self.routes(app)
        self._stack = contextlib.AsyncExitStack()
        self.url = await self._stack.enter_async_context(serving(app, shutdown_timeout=0.5))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._stack is not None
        await self._stack.aclose()

    def _over_quota(self) -> bool:
        if self.quota is None:
            return False
        max_calls, per_s = self.quota
        now = self.clock()
        while self._accepted and now - self._accepted[0] >= per_s:
            self._accepted.popleft()
        if len(self._accepted) >= max_calls:
            self.violations += 1
            return True
        self._accepted.append(now)
        return False

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests += 1
        self.arrivals.append(self.clock())
        self.paths.append(request.path)
        self.keys_seen.append(self.key_of(request))
        if self._over_quota():
            return self._throttle(1)
        faults = self.faults
        if self.clock() < faults.throttle_until:
            return self._throttle(math.ceil(faults.throttle_until - self.clock()))
        if faults.slow_s:
            await asyncio.sleep(faults.slow_s)
        if faults.fail > 0:
            faults.fail -= 1
            return web.json_response({"error": "internal error"}, status=500)
        if self.api_key is not None and self.key_of(request) != self.api_key:
            return web.json_response({"success": False, "message": "Unauthorized"}, status=401)
        return await handler(request)

    def _throttle(self, retry_after: int) -> web.Response:
        self.throttled += 1
        return web.json_response(
            {"status": {"error_code": 429, "error_message": "rate limited"}},
            status=429, headers={"Retry-After": str(retry_after)},
        )  # fmt: skip

    def corrupt(self, rows: list[Any], setter: Callable[[Any, str], None]) -> list[Any]:
        """``rows`` broken by the ``bad`` fault (at a row in the middle)."""
        kind = self.faults.bad
        if kind is None or len(rows) < 3:
            return rows
        k = len(rows) // 2
        if kind == "unsorted":
            rows[k], rows[k + 1] = rows[k + 1], rows[k]
        elif kind == "duplicate":
            rows.insert(k + 1, rows[k])
        else:
            setter(rows[k], kind)
        return rows

    @staticmethod
    def json(doc: Any) -> web.Response:
        import json

        return web.Response(text=json.dumps(doc), content_type="application/json")


# --------------------------------------------------------------------------- GeckoTerminal


class GeckoServer(DexServer):
    """GeckoTerminal's API under ``/api/v2`` (:attr:`base` is the client's base URL)."""

    @property
    def base(self) -> str:
        return self.url + "/api/v2"

    def key_of(self, request: web.Request) -> str | None:
        return request.headers.get("x-cg-pro-api-key")

    def routes(self, app: web.Application) -> None:
        net = "/api/v2/networks/{network}"
        app.router.add_get(net + "/pools/{pool}/ohlcv/{unit}", self._ohlcv)
        app.router.add_get(net + "/pools", self._pools)
        app.router.add_get(net + "/trending_pools", self._trending)
        app.router.add_get(net + "/new_pools", self._new)

    async def _ohlcv(self, request: web.Request) -> web.Response:
        pool, unit = request.match_info["pool"], request.match_info["unit"]
        tf = _GECKO_UNITS.get((unit, int(request.query.get("aggregate", "1"))))
        if pool not in POOLS or tf is None:
            return web.json_response({"errors": [{"status": "404", "title": "Not Found"}]}, 404)
        s = series(pool, tf)
        before = int(request.query.get("before_timestamp", "99999999999")) * 1000
        limit = min(int(request.query.get("limit", "100")), 1000)
        rows = s.window(-(2**62), before)[-limit:][::-1]  # the newest `limit`, newest first
        out = [
            [int(s.ts[i] // 1000), s.o[i], s.h[i], s.l[i], s.c[i], s.v[i] * s.c[i]] for i in rows
        ]
        out = self.corrupt(out, _break_gecko_row)
        return self.json({
            "data": {"id": "x", "type": "ohlcv_request_response",
                     "attributes": {"ohlcv_list": out}},
            "meta": {"base": {"address": pool}, "quote": {"address": "USD"}},
        })  # fmt: skip

    def _items(self) -> list[dict[str, Any]]:
        """Every pool, most traded first (the top-pools order)."""
        items = [_gecko_pool(t, k) for t in self.universe for k in range(len(t.pools))]
        return sorted(items, key=lambda p: -float(p["attributes"]["volume_usd"]["h24"]))

    async def _pools(self, request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        items = self._items()[(page - 1) * 20 : page * 20] if 1 <= page <= 10 else []
        return self.json({"data": items})

    async def _trending(self, request: web.Request) -> web.Response:
        items = self._items()
        return self.json({"data": items[5:25:2]})

    async def _new(self, request: web.Request) -> web.Response:
        youngest = sorted(self.universe, key=lambda t: -t.created_ms)[:20]
        return self.json({"data": [_gecko_pool(t, 0) for t in youngest]})


def _break_gecko_row(row: list[Any], kind: str) -> None:
    if kind == "missing_field":
        del row[5]
    elif kind == "nan":
        row[4] = float("nan")
    elif kind == "negative_volume":
        row[5] = -abs(row[5]) - 1.0


# --------------------------------------------------------------------------- Birdeye


class BirdeyeServer(DexServer):
    """Birdeye's API at the root (:attr:`base` is the client's base URL)."""

    @property
    def base(self) -> str:
        return self.url

    def key_of(self, request: web.Request) -> str | None:
        return request.headers.get("X-API-KEY")

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/defi/ohlcv/pair", self._ohlcv)
        app.router.add_get("/defi/v3/token/list", self._tokens)

    async def _ohlcv(self, request: web.Request) -> web.Response:
        pool, kind = request.query.get("address", ""), request.query.get("type", "")
        if request.headers.get("x-chain") != "solana":
            return web.json_response({"success": False, "message": "x-chain missing"}, 400)
        tf = _BIRDEYE_TYPES.get(kind)
        if pool not in POOLS or tf is None:
            return web.json_response({"success": False, "message": "Not found"}, status=404)
        s = series(pool, tf)
        lo = int(request.query["time_from"]) * 1000
        hi = (int(request.query["time_to"]) + 1) * 1000  # time_to is inclusive
        rows = s.window(lo, hi)[:1000]
        items = [
            {"address": pool, "unixTime": int(s.ts[i] // 1000), "o": s.o[i], "h": s.h[i],
             "l": s.l[i], "c": s.c[i], "v": s.v[i], "type": kind}
            for i in rows
        ]  # fmt: skip
        items = self.corrupt(items, _break_birdeye_item)
        return self.json({"success": True, "data": {"items": items}})

    async def _tokens(self, request: web.Request) -> web.Response:
        offset = int(request.query.get("offset", "0"))
        limit = min(int(request.query.get("limit", "50")), 100)
        ordered = sorted(self.universe, key=lambda t: -t.liquidity_usd)
        items = [_birdeye_token(t) for t in ordered[offset : offset + limit]]
        more = offset + limit < len(ordered)
        return self.json({"success": True, "data": {"items": items, "has_next": more}})


def _break_birdeye_item(item: dict[str, Any], kind: str) -> None:
    if kind == "missing_field":
        del item["v"]
    elif kind == "nan":
        item["c"] = float("nan")
    elif kind == "negative_volume":
        item["v"] = -abs(item["v"]) - 1.0


# --------------------------------------------------------------------------- helpers


def closed_port() -> str:
    """The URL of a port on 127.0.0.1 where nothing listens (connection refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def both(**kwargs: Any) -> AsyncIterator[tuple[GeckoServer, BirdeyeServer]]:
    """A GeckoTerminal and a Birdeye server over the same universe."""
    universe = kwargs.pop("universe", None) or make_universe()
    gecko_kw = {k[6:]: v for k, v in kwargs.items() if k.startswith("gecko_")}
    bird_kw = {k[8:]: v for k, v in kwargs.items() if k.startswith("birdeye_")}
    shared = {k: v for k, v in kwargs.items() if not k.startswith(("gecko_", "birdeye_"))}
    async with (
        GeckoServer(universe=universe, **shared, **gecko_kw) as gecko,
        BirdeyeServer(universe=universe, **shared, **bird_kw) as birdeye,
    ):
        yield gecko, birdeye


@contextlib.contextmanager
def in_thread(server: DexServer) -> Iterator[DexServer]:
    """Serve ``server`` from an event loop of its own thread (for code that runs its own loop,
    such as the CLI's ``asyncio.run``); the counters are read from the test's thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.__aenter__(), loop).result(10)
        try:
            yield server
        finally:
            asyncio.run_coroutine_threadsafe(server.__aexit__(None, None, None), loop).result(10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def tightest_window(arrivals: list[float], calls: int) -> float:
    """The shortest time in which ``calls + 1`` requests arrived (inf when fewer did): a quota
    of ``calls`` per ``s`` seconds held iff this is >= ``s``."""
    t = np.asarray(arrivals)
    return float(np.min(t[calls:] - t[:-calls])) if len(t) > calls else math.inf


def expected(pool: str, timeframe: str, lo_ms: int, hi_ms: int) -> np.ndarray:
    """The candles a client should return: open time and OHLC, volume in USD (v x close)."""
    s = series(pool, timeframe)
    rows = s.window(lo_ms, hi_ms)
    return np.column_stack([s.ts[rows], s.o[rows], s.h[rows], s.l[rows], s.c[rows],
                            s.v[rows] * s.c[rows]])  # fmt: skip


__all__ = [
    "BAD_KINDS",
    "POOLS",
    "SOL_POOL",
    "BirdeyeServer",
    "DexServer",
    "FakeClock",
    "Faults",
    "GeckoServer",
    "Token",
    "both",
    "closed_port",
    "expected",
    "in_thread",
    "make_universe",
    "series",
    "tightest_window",
]
