"""The websockets of the Binance spot simulator, enough of them that the real
``ccxt.pro.binance`` client's ``watch_orders`` / ``watch_my_trades`` (the WebSocket API
user-data stream, ``/ws-api/v3``) and ``watch_ohlcv`` / ``watch_trades`` (the market-data
streams, :class:`MarketStream`) work unmodified, with the faults a real stream has.

Protocol: the client sends ``{"id": ..., "method": "userDataStream.subscribe.signature",
"params": {"apiKey", "timestamp", "recvWindow"?, "signature"}}`` (HMAC-SHA256 of the sorted
``key=value`` pairs, as the REST API signs); the server answers ``{"id": ..., "status": 200,
"result": {"subscriptionId": n}}`` and from then on pushes ``{"subscriptionId": n, "event":
{...executionReport...}}`` for every order change of the account. A bad key or signature gets
``status`` 401 with Binance's error code; any other method gets 400.

Faults (:class:`StreamFaults`, seeded, switchable while running): each event may be dropped
(``drop_rate``), sent up to three times (``repeat_rate``), or held back and released in random
order with the next ones (``shuffle``); :meth:`UserDataStream.drop_connections` closes every
socket (the client reconnects and subscribes again; what happened meanwhile is not re-sent).

Use: ``UserDataStream(sim).attach(app)`` before the simulator's catch-all route (see
:class:`tests.binance_spot.BinanceSpot` attaches both).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

WS_API = "/ws-api/v3"


@dataclass
class StreamFaults:
    """Faults of the user-data stream (probabilities per event; ``shuffle``: hold up to this
    many events and release them in random order)."""

    drop_rate: float = 0.0
    repeat_rate: float = 0.0
    shuffle: int = 0


class _EventStream(ABC):
    """Events pushed to subscribed websockets through :class:`StreamFaults` (each socket has an
    outbox that a writer task drains in order)."""

    def __init__(self, faults: StreamFaults | None, seed: int) -> None:
        self.faults = faults or StreamFaults()
        self.rng = random.Random(seed)
        self.sent: list[dict[str, Any]] = []
        self._outboxes: dict[web.WebSocketResponse, asyncio.Queue[str]] = {}
        self._held: list[dict[str, Any]] = []

    async def drop_connections(self) -> None:
        """Close every socket now (the client sees the connection drop)."""
        for ws in list(self._outboxes):
            await ws.close()

    def _deliver(self, event: dict[str, Any]) -> None:
        """Send ``event`` as the faults say: maybe not at all, maybe up to three times, maybe
        held back and released in random order with later ones."""
        f = self.faults
        if f.drop_rate and self.rng.random() < f.drop_rate:
            return
        copies = 1
        while copies < 3 and f.repeat_rate and self.rng.random() < f.repeat_rate:
            copies += 1
        batch = [event] * copies
        if f.shuffle:
            self._held.extend(batch)
            if len(self._held) <= f.shuffle:
                return
            batch, self._held = self._held, []
            self.rng.shuffle(batch)
        for item in batch:
            self.sent.append(item)
            self._send(item)

    def flush(self) -> None:
        """Release the events held back by ``shuffle`` (in random order)."""
        batch, self._held = self._held, []
        self.rng.shuffle(batch)
        for item in batch:
            self.sent.append(item)
            self._send(item)

    @abstractmethod
    def _send(self, event: dict[str, Any]) -> None:
        """Frame ``event`` and queue it for the sockets that subscribed to it."""

    @abstractmethod
    def _answer(self, ws: web.WebSocketResponse, text: str) -> dict[str, Any]:
        """The answer to a client's request."""

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        outbox: asyncio.Queue[str] = asyncio.Queue()
        self._outboxes[ws] = outbox
        self._opened(ws, request)
        writer = asyncio.ensure_future(_write(ws, outbox))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    outbox.put_nowait(json.dumps(self._answer(ws, msg.data)))
        finally:
            self._closed(ws)
            self._outboxes.pop(ws, None)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    @abstractmethod
    def _opened(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        """A socket connected (``request``: its upgrade request)."""

    @abstractmethod
    def _closed(self, ws: web.WebSocketResponse) -> None:
        """A socket went away."""


class UserDataStream(_EventStream):
    """The ``/ws-api/v3`` endpoint of one simulated account.

    Parameters
    ----------
    sim : tests.binance_spot.BinanceSpot
        The account (its ``api_key``, ``secret``, clock and ``listeners``).
    faults : StreamFaults, optional
        The stream's faults.
    seed : int
        Seed of the faults' random choices.

    Attributes
    ----------
    sent : list of dict
        Every event sent (repeats included), in order.
    subscriptions : int
        Subscriptions accepted so far.
    """

    def __init__(self, sim: Any, faults: StreamFaults | None = None, seed: int = 0) -> None:
        super().__init__(faults, seed)
        self.sim = sim
        self.subscriptions = 0
        self._sockets: dict[web.WebSocketResponse, int] = {}  # subscribed: their ids
        sim.listeners.append(self._deliver)

    def attach(self, app: web.Application) -> None:
        """Serve the endpoint on ``app`` (add it before any catch-all route)."""
        app.router.add_get(WS_API, self._serve)

    def _send(self, event: dict[str, Any]) -> None:
        for ws, sub in list(self._sockets.items()):
            if not ws.closed:
                self._outboxes[ws].put_nowait(json.dumps({"subscriptionId": sub, "event": event}))

    # -- requests -------------------------------------------------------------------------------

    def _opened(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        """Nothing until the socket subscribes."""

    def _closed(self, ws: web.WebSocketResponse) -> None:
        self._sockets.pop(ws, None)

    def _answer(self, ws: web.WebSocketResponse, text: str) -> dict[str, Any]:
        try:
            req = json.loads(text)
        except json.JSONDecodeError:
            return _error(None, 400, -1100, "Illegal characters found in parameter 'request'.")
        rid = req.get("id")
        if req.get("method") != "userDataStream.subscribe.signature":
            return _error(rid, 400, -1100, f"Unknown method {req.get('method')!r}.")
        params = {k: str(v) for k, v in (req.get("params") or {}).items()}
        problem = self._check(params)
        if problem is not None:
            return _error(rid, 401, *problem)
        sub = self.subscriptions
        self.subscriptions += 1
        self._sockets[ws] = sub
        return {"id": rid, "status": 200, "result": {"subscriptionId": sub}, "rateLimits": []}

    def _check(self, params: dict[str, str]) -> tuple[int, str] | None:
        if params.get("apiKey") != self.sim.api_key:
            return -2015, "Invalid API-key, IP, or permissions for action."
        signature = params.pop("signature", "")
        query = "&".join(f"{k}={params[k]}" for k in sorted(params))
        want = hmac.new(self.sim.secret.encode(), query.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, signature):
            return -1022, "Signature for this request is not valid."
        window = int(params.get("recvWindow", "5000"))
        if abs(self.sim.now_ms() - int(params.get("timestamp", "0"))) > window:
            return -1021, "Timestamp for this request is outside of the recvWindow."
        return None


def _error(rid: Any, status: int, code: int, msg: str) -> dict[str, Any]:
    return {"id": rid, "status": status, "error": {"code": code, "msg": msg}}


async def _write(ws: web.WebSocketResponse, outbox: asyncio.Queue[str]) -> None:
    """Send what is queued for ``ws``, in order, until it closes."""
    with contextlib.suppress(ConnectionError, RuntimeError):
        while not ws.closed:
            await ws.send_str(await outbox.get())


class MarketStream(_EventStream):
    """The public market-data websocket (``/ws`` and ``/ws/<streams>``): ``kline`` events of
    ``<symbol>@kline_<interval>`` (the bar's open when it opens, ``"x": false``; the whole bar
    when it closes, ``"x": true``) and ``trade`` events of ``<symbol>@trade`` (the account's
    trades: the only ones the simulator has), as :meth:`BinanceSpot.advance` and the matching
    make them. Answers ``SUBSCRIBE``, ``UNSUBSCRIBE`` and ``LIST_SUBSCRIPTIONS``; the same
    :class:`StreamFaults`.

    Parameters
    ----------
    sim : tests.binance_spot.BinanceSpot
        The market (its ``bar_listeners`` and ``listeners``).
    interval : str
        The kline interval of the bars (e.g. ``"1m"``).
    """

    def __init__(
        self, sim: Any, interval: str, faults: StreamFaults | None = None, seed: int = 0
    ) -> None:
        super().__init__(faults, seed)
        self.sim = sim
        self.interval = interval
        self._streams: dict[web.WebSocketResponse, set[str]] = {}
        sim.bar_listeners.append(self._on_bar)
        sim.listeners.append(self._on_report)

    @property
    def kline_stream(self) -> str:
        """The kline stream's name, e.g. ``solusdt@kline_1m``."""
        return f"{self.sim.symbol.lower()}@kline_{self.interval}"

    @property
    def trade_stream(self) -> str:
        """The trade stream's name, e.g. ``solusdt@trade``."""
        return f"{self.sim.symbol.lower()}@trade"

    def attach(self, app: web.Application) -> None:
        """Serve ``/ws`` and ``/ws/<streams>`` on ``app`` (before any catch-all route)."""
        app.router.add_get("/ws", self._serve)
        app.router.add_get("/ws/{streams}", self._serve)

    def _opened(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        named = request.match_info.get("streams", "")
        self._streams[ws] = {n for n in named.split("/") if n}

    def _closed(self, ws: web.WebSocketResponse) -> None:
        self._streams.pop(ws, None)

    def _on_bar(self, i: int, closed: bool) -> None:
        c = self.sim.candle(i)
        if not closed:  # the bar as it opens
            c = type(c)(c.time_ms, c.open, c.open, c.open, c.open, c.volume * 0)
        step = self.sim.bars.step_ms
        kline = {
            "t": c.time_ms, "T": c.time_ms + step - 1, "s": self.sim.symbol,
            "i": self.interval, "f": -1, "L": -1, "o": str(c.open), "c": str(c.close),
            "h": str(c.high), "l": str(c.low), "v": str(c.volume), "n": 0, "x": closed,
            "q": str(c.volume * c.close), "V": "0", "Q": "0", "B": "0",
        }  # fmt: skip
        self._deliver({"e": "kline", "E": self.sim.now_ms(), "s": self.sim.symbol, "k": kline})

    def _on_report(self, report: dict[str, Any]) -> None:
        if report.get("x") != "TRADE":
            return
        self._deliver({
            "e": "trade", "E": report["E"], "s": report["s"], "t": report["t"],
            "p": report["L"], "q": report["l"], "T": report["T"], "m": report["S"] == "SELL",
            "M": True,
        })  # fmt: skip

    def _send(self, event: dict[str, Any]) -> None:
        name = self.kline_stream if event["e"] == "kline" else self.trade_stream
        text = json.dumps(event)
        for ws, streams in list(self._streams.items()):
            if name in streams and not ws.closed:
                self._outboxes[ws].put_nowait(text)

    def _answer(self, ws: web.WebSocketResponse, text: str) -> dict[str, Any]:
        try:
            req = json.loads(text)
        except json.JSONDecodeError:
            return {"error": {"code": 2, "msg": "Invalid JSON"}}
        method, rid = req.get("method"), req.get("id")
        streams = self._streams.setdefault(ws, set())
        params = [str(p) for p in req.get("params") or []]
        if method == "SUBSCRIBE":
            streams.update(params)
        elif method == "UNSUBSCRIBE":
            streams.difference_update(params)
        elif method == "LIST_SUBSCRIPTIONS":
            return {"result": sorted(streams), "id": rid}
        else:
            return {"error": {"code": 1, "msg": f"Unknown method {method!r}"}, "id": rid}
        return {"result": None, "id": rid}
