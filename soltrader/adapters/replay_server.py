"""A local exchange that replays a file of bars, speaking Binance spot's kline protocol.

:class:`ReplayServer` serves, on 127.0.0.1 only, the part of Binance spot's public API a live
kline feed uses, so the live runtime can be run end to end against history, faults included:

* ``GET /api/v3/klines`` (``symbol``, ``interval``, ``startTime``, ``endTime``, ``limit``): rows
  ``[openTime, "o", "h", "l", "c", "v", closeTime, "0", 0, "0", "0", "0"]`` of the bars already
  closed in replay time, oldest first; ``GET /api/v3/ping`` and ``GET /api/v3/time``;
* a websocket at ``/ws`` (and ``/ws/<stream>``, subscribed on connection) answering
  ``SUBSCRIBE``, ``UNSUBSCRIBE`` and ``LIST_SUBSCRIPTIONS`` and pushing ``kline`` events: for each
  bar ``updates_per_bar`` in-progress updates (``"x": false``, the open as o/h/l/c so far, no
  volume) then the closed kline (``"x": true``).

Replay time
-----------
The **cursor** is the number of bars closed so far; REST never shows a bar at or after it (no
look-ahead). It advances only while at least one websocket client is subscribed (and not
stalled), so no client misses bars it never lived through: at most speed (``speed=None``) each
message is sent as soon as the previous one has drained; at ``speed=N`` bar ``k`` closes at
``start + (k + 1) * interval / N`` seconds, ``start`` being when the first client subscribed,
moved later by the time spent with nobody subscribed. The server never runs ahead of that
schedule.

Values go out as Binance sends them, as strings: the shortest text that reads back as the same
float (``repr``), so a client parses the very floats of the file. Bad candles (NaN, infinite,
negative, ``high < low``) are replayed as they are (``"nan"``, ``"inf"``, ``"-1.0"``): catching
them is the runtime's job.

Faults
------
A :class:`FaultPlan` names bars after whose closed kline something goes wrong, each once: the
connection drops (transport aborted, as a network failure looks) while ``drop_skip`` bars close
unseen; the server stalls (no message for ``stall_s`` seconds on an open connection that still
answers pings) while ``stall_skip`` bars close unseen; the closed kline is sent twice; an old
closed kline (two bars back) is sent again. Bars closed unseen close on their schedule whether or
not a client is connected (they are what happened during the outage) and are served by REST.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from aiohttp import WSMsgType, web

from soltrader.adapters.binance_feed import PAGE_LIMIT, interval_ms
from soltrader.data.schema import OHLCVArrays, ohlcv_arrays
from soltrader.domain.errors import DataError, Error, ParameterError

HOST = "127.0.0.1"
DEFAULT_LIMIT = 500
_CLOSE_TIMEOUT_S = 1.0
_SHUTDOWN_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class FaultPlan:
    """Faults to inject, by bar index (0-based, in the replayed file); each fires once, right
    after that bar's closed kline has been sent.

    Attributes
    ----------
    drops : tuple of int
        Abort the connections (no close frame), then let ``drop_skip`` bars close unseen.
    stalls : tuple of int
        Send nothing more on the open connections for ``stall_s`` seconds (pings are still
        answered), while ``stall_skip`` bars close unseen; new connections are served at once.
    duplicates : tuple of int
        Send the closed kline of these bars twice.
    out_of_order : tuple of int
        Then send the closed kline of the bar two before again.
    drop_skip, stall_skip : int
        Bars that close unseen after a drop or a stall (>= 0).
    stall_s : float
        Length of a stall, seconds.

    Examples
    --------
    >>> FaultPlan(drops=(10, 20), stall_s=0.5).stall_skip
    3
    """

    drops: tuple[int, ...] = ()
    stalls: tuple[int, ...] = ()
    duplicates: tuple[int, ...] = ()
    out_of_order: tuple[int, ...] = ()
    drop_skip: int = 3
    stall_skip: int = 3
    stall_s: float = 5.0

    def __post_init__(self) -> None:
        for name in ("drops", "stalls", "duplicates", "out_of_order"):
            bars = tuple(getattr(self, name))
            if any(isinstance(b, bool) or not isinstance(b, int | np.integer) for b in bars):
                raise ParameterError(name, f"expected bar indices (ints), got {bars!r}")
            if any(b < 0 for b in bars):
                raise ParameterError(name, f"bar indices must be >= 0, got {bars!r}")
            object.__setattr__(self, name, tuple(int(b) for b in bars))
        for name in ("drop_skip", "stall_skip"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ParameterError(name, f"must be a whole number of bars >= 0, got {value!r}")
        if not self.stall_s > 0:
            raise ParameterError("stall_s", f"must be > 0 seconds, got {self.stall_s!r}")


class ReplayStateError(Error, RuntimeError):
    """The replay server was driven out of order (e.g. started twice)."""


class FaultFired(NamedTuple):
    """A fault the server injected: ``kind`` (``"drop"``, ``"stall"``, ``"duplicate"`` or
    ``"out_of_order"``), the bar index it followed, and when (``time.monotonic()`` seconds)."""

    kind: str
    bar: int
    at: float


class _Texts(NamedTuple):
    """The bar values as the strings sent (shortest round-trip text)."""

    open: list[str]
    high: list[str]
    low: list[str]
    close: list[str]
    volume: list[str]


@dataclass(eq=False)
class _Client:
    """One websocket connection: its streams and the time until which it is stalled."""

    ws: web.WebSocketResponse
    transport: asyncio.BaseTransport | None
    streams: set[str] = field(default_factory=set)
    muted_until: float = 0.0


class _RejectError(Exception):
    """A REST request refused the way Binance refuses it."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.code = code
        self.msg = msg


def _bar_arrays(bars: Any) -> OHLCVArrays:
    """Bar open times (epoch ms) and float64 values of a structured array or a DataFrame."""
    if isinstance(bars, np.ndarray):
        if bars.dtype.names is None:
            raise ParameterError(
                "bars", "expected a structured array with fields timestamp, open, ..., volume"
            )
        bars = pd.DataFrame({name: bars[name] for name in bars.dtype.names})
    if not isinstance(bars, pd.DataFrame):
        raise ParameterError(
            "bars", f"expected a pandas DataFrame or a structured array, got {type(bars).__name__}"
        )
    arrays = ohlcv_arrays(bars)
    ts = np.asarray(arrays.ts, dtype=np.int64)
    if ts.shape[0] == 0:
        raise DataError("bars: no bars to replay", field="timestamp")
    if ts.shape[0] > 1 and not (np.diff(ts) > 0).all():
        row = int(np.flatnonzero(np.diff(ts) <= 0)[0]) + 1
        raise DataError(
            f"bars: open times must increase strictly; row {row} does not",
            code="unsorted",
            row=row,
            field="timestamp",
        )
    return arrays._replace(ts=ts)


def _texts(arrays: OHLCVArrays) -> _Texts:
    return _Texts(*([repr(float(x)) for x in col] for col in arrays[1:]))


def _dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"))


class ReplayServer:
    """A Binance-spot-like kline server replaying ``bars`` on 127.0.0.1.

    Parameters
    ----------
    bars : pandas.DataFrame or numpy structured array
        Bars in time order: the open time as a ``DatetimeIndex`` or a ``timestamp`` column (epoch
        ms integers, or datetimes of any resolution; naive means UTC) and float columns ``open,
        high, low, close, volume``. Values are replayed unchanged, bad ones included.
    symbol : str
        The symbol served (REST answers code -1121 for any other).
    interval : str
        The kline interval of the bars (``"1m"``, ``"1h"``, ...): close time = open time +
        interval - 1 ms.
    speed : float, optional
        Replay speed as a multiple of real time (``6000``: a 1m bar closes every 10 ms); None
        sends as fast as the client reads.
    faults : FaultPlan, optional
        Faults to inject.
    updates_per_bar : int
        In-progress (``"x": false``) updates sent before each closed kline (>= 0).
    host : str
        Must be ``"127.0.0.1"``: the server never listens beyond the loopback interface.
    port : int
        TCP port; 0 picks a free one (see :attr:`rest_url`).

    Attributes
    ----------
    finished : asyncio.Event
        Set once the last bar has closed.
    sent_messages : int
        Kline events pushed over websockets (duplicates and resent ones included).
    drops_done, stalls_done : int
        Drops and stalls injected so far.
    connections : int
        Websocket connections accepted so far.
    faults_fired : list of FaultFired
        Every fault injected, in order, with its time.

    Examples
    --------
    >>> import asyncio, soltrader as st
    >>> async def main():
    ...     bars = st.data.load("SOL/USDT", "1m").head(100)
    ...     async with ReplayServer(bars, speed=600.0) as server:
    ...         print(server.ws_url)            # ws://127.0.0.1:<port>/ws
    ...         await server.finished.wait()    # once a client has lived through 100 bars
    >>> asyncio.run(main())                                          # doctest: +SKIP
    """

    def __init__(
        self,
        bars: Any,
        *,
        symbol: str = "SOLUSDT",
        interval: str = "1m",
        speed: float | None = None,
        faults: FaultPlan | None = None,
        updates_per_bar: int = 1,
        host: str = HOST,
        port: int = 0,
    ) -> None:
        if host != HOST:
            raise ParameterError("host", f"the replay server only listens on {HOST}, got {host!r}")
        if not isinstance(symbol, str) or not symbol.isalnum():
            raise ParameterError("symbol", f"expected letters and digits, got {symbol!r}")
        if speed is not None and not (isinstance(speed, int | float) and speed > 0):
            raise ParameterError("speed", f"must be > 0 (or None for max), got {speed!r}")
        if isinstance(updates_per_bar, bool) or not isinstance(updates_per_bar, int):
            raise ParameterError("updates_per_bar", f"must be an int, got {updates_per_bar!r}")
        if updates_per_bar < 0:
            raise ParameterError("updates_per_bar", f"must be >= 0, got {updates_per_bar!r}")
        if faults is not None and not isinstance(faults, FaultPlan):
            raise ParameterError("faults", f"expected a FaultPlan, got {type(faults).__name__}")
        self._arrays = _bar_arrays(bars)
        self._text = _texts(self._arrays)
        self._n = int(self._arrays.ts.shape[0])
        self._symbol = symbol.upper()
        self._interval = interval
        self._step_ms = interval_ms(interval)
        self._stream = f"{symbol.lower()}@kline_{interval}"
        self._bar_s = None if speed is None else self._step_ms / 1000.0 / float(speed)
        self._faults = faults or FaultPlan()
        self._updates = updates_per_bar
        self._port = port
        self._cursor = 0
        self._base: float | None = None
        self._clients: set[_Client] = set()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._producer: asyncio.Task[None] | None = None
        self.finished = asyncio.Event()
        self.sent_messages = 0
        self.drops_done = 0
        self.stalls_done = 0
        self.connections = 0
        self.faults_fired: list[FaultFired] = []
        #: ``time.monotonic()`` when each bar's closed kline was handed to the subscribers'
        #: sockets (the event already formatted), by bar: the exchange's publish time, which
        #: a latency measurement starts from (``due`` adds the server's own timer lateness).
        self.closed_sent_at: dict[int, float] = {}

    # ---------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 and start the replay clock (which waits for a subscriber).

        Raises
        ------
        ReplayStateError
            If the server is already started.
        OSError
            If the port cannot be bound.
        """
        if self._runner is not None:
            raise ReplayStateError("start(): the replay server is already started")
        app = web.Application()
        app.router.add_get("/api/v3/klines", self._klines)
        app.router.add_get("/api/v3/ping", self._ping)
        app.router.add_get("/api/v3/time", self._time)
        app.router.add_get("/ws", self._websocket)
        app.router.add_get("/ws/{stream}", self._websocket)
        runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT_S
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, HOST, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._producer = asyncio.create_task(self._replay(), name="replay-server-clock")

    async def stop(self) -> None:
        """Stop replaying, close every connection and stop listening (idempotent)."""
        if self._producer is not None:
            self._producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._producer
            self._producer = None
        closing = [c.ws.close(code=1001, message=b"server stopping") for c in self._clients]
        await asyncio.gather(*closing, return_exceptions=True)  # each within _CLOSE_TIMEOUT_S
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ReplayServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------------------- properties

    @property
    def rest_url(self) -> str:
        """The REST base URL, ``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self._port}"

    @property
    def ws_url(self) -> str:
        """The websocket URL, ``ws://127.0.0.1:PORT/ws``."""
        return f"ws://{HOST}:{self._port}/ws"

    @property
    def cursor(self) -> int:
        """Bars closed so far in replay time (REST serves bars ``0 .. cursor - 1``)."""
        return self._cursor

    @property
    def stream(self) -> str:
        """The kline stream pushed, e.g. ``"solusdt@kline_1m"``."""
        return self._stream

    def due(self, bar: int) -> float | None:
        """When bar ``bar`` (0-based) closes on the paced schedule, ``time.monotonic()`` seconds;
        None at max speed or before the first subscriber. Time spent with no subscriber moves
        the schedule of the bars not yet closed later."""
        return self._at(bar + 1.0)

    def server_time_ms(self) -> int:
        """Replay time, epoch ms: the close of the newest closed bar (the first open before)."""
        ts = self._arrays.ts
        if self._cursor == 0:
            return int(ts[0])
        return int(ts[self._cursor - 1]) + self._step_ms

    # ---------------------------------------------------------------------------------- REST

    async def _ping(self, request: web.Request) -> web.Response:
        return web.json_response({})

    async def _time(self, request: web.Request) -> web.Response:
        return web.json_response({"serverTime": self.server_time_ms()})

    async def _klines(self, request: web.Request) -> web.Response:
        try:
            rows = self._kline_rows(request.query)
        except _RejectError as exc:
            return web.json_response({"code": exc.code, "msg": exc.msg}, status=exc.status)
        return web.Response(text=_dumps(rows), content_type="application/json")

    def _kline_rows(self, query: Any) -> list[list[Any]]:
        symbol = query.get("symbol")
        if not symbol:
            raise _RejectError(400, -1102, _mandatory("symbol"))
        if symbol.upper() != self._symbol:
            raise _RejectError(400, -1121, "Invalid symbol.")
        interval = query.get("interval")
        if not interval:
            raise _RejectError(400, -1102, _mandatory("interval"))
        if interval != self._interval:
            raise _RejectError(400, -1120, "Invalid interval.")
        start = _int_param(query, "startTime")
        end = _int_param(query, "endTime")
        limit = _int_param(query, "limit")
        limit = DEFAULT_LIMIT if limit is None else max(1, min(limit, PAGE_LIMIT))
        if start is not None and end is not None and start > end:
            raise _RejectError(400, -1023, "Start time is greater than end time.")
        lo, hi = self._select(start, end, limit)
        return [self._row(k) for k in range(lo, hi)]

    def _select(self, start: int | None, end: int | None, limit: int) -> tuple[int, int]:
        """Index range of the closed bars matching the query (the newest ``limit`` without a
        start time, as Binance does)."""
        ts = self._arrays.ts[: self._cursor]
        lo = 0 if start is None else int(np.searchsorted(ts, start, "left"))
        hi = ts.shape[0] if end is None else int(np.searchsorted(ts, end, "right"))
        if start is None:
            return max(lo, hi - limit), hi
        return lo, max(lo, min(hi, lo + limit))

    def _row(self, k: int) -> list[Any]:
        t = int(self._arrays.ts[k])
        text = self._text
        return [
            t,
            text.open[k],
            text.high[k],
            text.low[k],
            text.close[k],
            text.volume[k],
            t + self._step_ms - 1,
            "0",
            0,
            "0",
            "0",
            "0",
        ]

    # ----------------------------------------------------------------------------- websocket

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, timeout=_CLOSE_TIMEOUT_S)
        await ws.prepare(request)
        self.connections += 1
        client = _Client(ws=ws, transport=request.transport)
        stream = request.match_info.get("stream")
        if stream:
            client.streams.add(stream.lower())
        self._clients.add(client)
        self._changed.set()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._answer(client, msg.data)
        finally:
            self._forget(client)
        return ws

    def _forget(self, client: _Client) -> None:
        self._clients.discard(client)
        self._changed.set()

    async def _answer(self, client: _Client, text: str) -> None:
        """Reply to one request, as Binance's websocket API does."""
        try:
            req = json.loads(text)
        except ValueError:
            await _reply(client, {"error": {"code": 3, "msg": "Invalid JSON"}, "id": None})
            return
        if not isinstance(req, dict):
            await _reply(client, {"error": {"code": 3, "msg": "Invalid JSON"}, "id": None})
            return
        rid, method, params = req.get("id"), req.get("method"), req.get("params", [])
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                error = {"code": 2, "msg": "Invalid request: params must be a list of streams"}
                await _reply(client, {"error": error, "id": rid})
                return
            await _reply(client, {"result": None, "id": rid})
            streams = {p.lower() for p in params}
            if method == "SUBSCRIBE":
                client.streams |= streams
            else:
                client.streams -= streams
            self._changed.set()
        elif method == "LIST_SUBSCRIPTIONS":
            await _reply(client, {"result": sorted(client.streams), "id": rid})
        else:
            error = {"code": 2, "msg": f"Invalid request: unknown method {method!r}"}
            await _reply(client, {"error": error, "id": rid})

    def _subscribed(self) -> list[_Client]:
        return [c for c in self._clients if self._stream in c.streams and not c.ws.closed]

    def _active(self) -> list[_Client]:
        now = time.monotonic()
        return [c for c in self._subscribed() if c.muted_until <= now]

    async def _broadcast(self, text: str) -> None:
        for client in self._active():
            try:
                await client.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                self._forget(client)
            else:
                self.sent_messages += 1

    def _event(self, k: int, update: int | None) -> str:
        """The kline event of bar k: in-progress update ``update`` (0-based), or the closed
        kline when None."""
        t = int(self._arrays.ts[k])
        text = self._text
        if update is None:
            o, h, lo, c, v = (col[k] for col in text)
            event_ms = t + self._step_ms
        else:
            o = h = lo = c = text.open[k]
            v = "0.0"
            event_ms = t + (update + 1) * self._step_ms // (self._updates + 1)
        kline = {
            "t": t, "T": t + self._step_ms - 1, "s": self._symbol, "i": self._interval,
            "f": 0, "L": 0, "o": o, "c": c, "h": h, "l": lo, "v": v, "n": 0,
            "x": update is None, "q": "0", "V": "0", "Q": "0", "B": "0",
        }  # fmt: skip
        return _dumps({"e": "kline", "E": event_ms, "s": self._symbol, "k": kline})

    # ------------------------------------------------------------------------- replay clock

    async def _replay(self) -> None:
        """Close the bars one by one, on schedule, while someone is subscribed."""
        while self._cursor < self._n:
            k = self._cursor
            for j in range(self._updates):
                await self._slot(k + (j + 1) / (self._updates + 1))
                await self._broadcast(self._event(k, j))
                await asyncio.sleep(0)
            await self._slot(k + 1.0)
            closed = self._event(k, None)
            self.closed_sent_at[k] = time.monotonic()
            await self._broadcast(closed)
            self._cursor = k + 1
            await self._after_close(k)
            await asyncio.sleep(0)
        self.finished.set()

    def _at(self, position: float) -> float | None:
        """Wall time (``time.monotonic()``) of a schedule position in bars: bar k closes at
        position k + 1; None at max speed or before the first subscriber."""
        if self._bar_s is None or self._base is None:
            return None
        return self._base + position * self._bar_s

    async def _slot(self, position: float) -> None:
        """Wait until a client is listening and (when paced) ``position`` is due."""
        while True:
            await self._wait_listener()
            if not await self._sleep_until(position) or self._active():
                return  # no sleep: the listener found above is still there

    async def _sleep_until(self, position: float) -> bool:
        """Sleep until ``position`` is due (never returning early); whether it slept."""
        target = self._at(position)
        slept = False
        while target is not None and (now := time.monotonic()) < target:
            await asyncio.sleep(target - now)
            slept = True
        return slept

    async def _wait_listener(self) -> None:
        """Wait for an active subscriber; time spent waiting moves the schedule later."""
        if self._active() and self._base is not None:
            return
        began = time.monotonic()
        while not self._active():
            self._changed.clear()
            timeout = self._next_unmute()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)
        now = time.monotonic()
        self._base = now if self._base is None else self._base + (now - began)

    def _next_unmute(self) -> float | None:
        now = time.monotonic()
        waits = [c.muted_until - now for c in self._subscribed() if c.muted_until > now]
        return min(waits) if waits else None

    async def _after_close(self, k: int) -> None:
        """Inject the faults planned after bar k's closed kline."""
        plan = self._faults
        if k in plan.duplicates:
            self._fired("duplicate", k)
            await self._broadcast(self._event(k, None))
        if k in plan.out_of_order and k >= 2:
            self._fired("out_of_order", k)
            await self._broadcast(self._event(k - 2, None))
        if k in plan.stalls:
            self._fired("stall", k)
            self.stalls_done += 1
            until = time.monotonic() + plan.stall_s
            for client in self._subscribed():
                client.muted_until = until
            await self._close_unseen(plan.stall_skip)
        if k in plan.drops:
            self._fired("drop", k)
            self.drops_done += 1
            for client in self._subscribed():
                if client.transport is not None:
                    client.transport.abort()
                self._forget(client)
            await self._close_unseen(plan.drop_skip)

    async def _close_unseen(self, count: int) -> None:
        """Close ``count`` bars without sending them (on schedule when paced)."""
        for _ in range(count):
            if self._cursor >= self._n:
                return
            await self._sleep_until(self._cursor + 1.0)
            self._cursor += 1

    def _fired(self, kind: str, bar: int) -> None:
        self.faults_fired.append(FaultFired(kind, bar, time.monotonic()))


async def _reply(client: _Client, doc: dict[str, Any]) -> None:
    with contextlib.suppress(ConnectionError, RuntimeError):
        await client.ws.send_str(_dumps(doc))


def _mandatory(name: str) -> str:
    return f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."


def _int_param(query: Any, name: str) -> int | None:
    """An integer query parameter, None if absent; Binance's -1100 if not digits."""
    value = query.get(name)
    if value is None or value == "":
        return None
    if not value.lstrip("-").isdigit():
        raise _RejectError(
            400,
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.",
        )
    return int(value)


__all__ = ["FaultFired", "FaultPlan", "ReplayServer", "ReplayStateError"]
