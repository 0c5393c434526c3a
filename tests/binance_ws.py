"""The WebSocket API user-data stream of the Binance spot simulator (``/ws-api/v3``), enough
of it that the real ``ccxt.pro.binance`` client's ``watch_orders`` / ``watch_my_trades`` work
unmodified, with the faults a real stream has.

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
:class:`tests.binance_spot.BinanceSpot`, which does it when built with ``user_stream=True``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import random
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


class UserDataStream:
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
        self.sim = sim
        self.faults = faults or StreamFaults()
        self.rng = random.Random(seed)
        self.sent: list[dict[str, Any]] = []
        self.subscriptions = 0
        self._sockets: dict[web.WebSocketResponse, int] = {}  # subscribed: their ids
        self._outboxes: dict[web.WebSocketResponse, asyncio.Queue[str]] = {}
        self._held: list[dict[str, Any]] = []
        sim.listeners.append(self._on_event)

    def attach(self, app: web.Application) -> None:
        """Serve the endpoint on ``app`` (add it before any catch-all route)."""
        app.router.add_get(WS_API, self._serve)

    async def drop_connections(self) -> None:
        """Close every socket now (the client sees the connection drop)."""
        for ws in list(self._sockets):
            await ws.close()

    # -- events ---------------------------------------------------------------------------------

    def _on_event(self, event: dict[str, Any]) -> None:
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
            self._send(item)

    def flush(self) -> None:
        """Release the events held back by ``shuffle`` (in random order)."""
        batch, self._held = self._held, []
        self.rng.shuffle(batch)
        for item in batch:
            self._send(item)

    def _send(self, event: dict[str, Any]) -> None:
        self.sent.append(event)
        for ws, sub in list(self._sockets.items()):
            if not ws.closed:
                self._outboxes[ws].put_nowait(json.dumps({"subscriptionId": sub, "event": event}))

    # -- requests -------------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        outbox: asyncio.Queue[str] = asyncio.Queue()
        self._outboxes[ws] = outbox
        writer = asyncio.ensure_future(_write(ws, outbox))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    outbox.put_nowait(json.dumps(self._answer(ws, msg.data)))
        finally:
            self._sockets.pop(ws, None)
            self._outboxes.pop(ws, None)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

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
