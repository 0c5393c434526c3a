"""Closed klines from a Binance-compatible websocket and REST API, in order, without gaps.

:class:`KlineFeed` turns Binance spot's kline stream (``<symbol>@kline_<interval>``) into the one
thing the live runtime needs: every **closed** bar, in time order, exactly once.

How it stays gap-free
---------------------
1. **Subscribe first, then backfill.** The feed connects, subscribes and waits for the
   acknowledgement *before* asking the REST API (``GET /api/v3/klines``, pages of 1,000) for every
   bar closed since the next expected open time. A bar that closes while the REST request is in
   flight is then already queued on the socket, so nothing falls between the two.
2. **Read the stream.** A closed kline (``"x": true``) whose open time is the next expected one is
   yielded; an older one was seen already and is dropped (a ``"duplicate"`` event when it repeats
   the newest kline of this connection, ``"out_of_order"`` when it is older still, and nothing
   when it only overlaps the backfill); a newer one means bars were missed, so the REST API fills
   the hole before it is yielded (``"backfill"``). In-progress updates (``"x": false``) only prove
   the connection is alive.
3. **Watchdog.** When no message at all arrives for ``stale_after_s`` seconds the connection is
   taken for dead although still open (``"stale"``): it is closed and reopened.
4. **Reconnect.** On a dropped connection (``"disconnected"``) the feed waits the next delay of a
   capped, jittered exponential backoff (``"reconnect_wait"``; the sequence restarts after every
   successful subscription), reconnects, resubscribes and backfills from the next expected bar.

REST failures that may pass (refused connections, timeouts, HTTP 5xx, HTTP 429) are retried with
the same backoff, waiting the ``Retry-After`` the server sent when there is one; any other HTTP
4xx (a bad symbol, a ban) raises :class:`FeedError` naming the URL path and Binance's error code.

REST rows are taken as closed bars, with one exception: Binance answers a request reaching the
present with the still-forming bar as its newest row, so the newest row of a backfill after
(re)connecting is skipped while its close time lies ahead of the wall clock (its closed kline
then comes from the stream; a replay of past bars never triggers this). Requests that fill a gap
end before the kline the stream has just closed, so all their rows are closed.

The feed passes candle values through unchanged (NaN, infinities, negative prices, ``high <
low``): validating and quarantining bad candles is the runtime's job, not the transport's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from soltrader.adapters.resilience import CircuitBreaker, Provider, RateLimiter, retry_after_s
from soltrader.domain.bar import Bar
from soltrader.domain.errors import Error, ParameterError

#: Binance kline intervals this feed understands, in milliseconds.
INTERVAL_MS: dict[str, int] = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
}
#: The kinds of :class:`FeedEvent`.
EVENT_KINDS: tuple[str, ...] = (
    "connected",
    "disconnected",
    "stale",
    "backfill",
    "duplicate",
    "out_of_order",
    "reconnect_wait",
)
KLINES_PATH = "/api/v3/klines"
#: Rows per REST page (Binance's maximum).
PAGE_LIMIT = 1000
_CLOSE_TIMEOUT_S = 1.0
_OPEN_TIMEOUT_S = 10.0
_ERROR_TEXT_CHARS = 200
_NEVER = -(2**62)  # an open time before any bar, epoch ms


class FeedEvent(NamedTuple):
    """Something the feed did or saw, for the runtime's log and metrics.

    Attributes
    ----------
    kind : str
        One of :data:`EVENT_KINDS`.
    detail : str
        What happened, in words (bar times in epoch ms, delays in seconds).
    at : float
        The feed's clock when it happened (seconds; ``time.monotonic`` unless injected).
    """

    kind: str
    detail: str
    at: float


class FeedError(Error):
    """The exchange refused a request in a way retrying cannot fix (HTTP 4xx other than 429, a
    refused websocket subscription or handshake, a malformed answer).

    Attributes
    ----------
    path : str
        The URL path concerned (never the query string).
    status : int or None
        The HTTP status, when there was one.
    code : int or None
        Binance's error code (e.g. ``-1121``: invalid symbol), when the answer had one.
    """

    def __init__(
        self, message: str, *, path: str, status: int | None = None, code: int | None = None
    ) -> None:
        self.path = path
        self.status = status
        self.code = code
        super().__init__(message)


def interval_ms(interval: str) -> int:
    """The length of a Binance kline interval in milliseconds.

    Parameters
    ----------
    interval : str
        One of ``1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d``.

    Raises
    ------
    ParameterError
        For any other interval (the message lists the accepted ones).

    Examples
    --------
    >>> interval_ms("1m"), interval_ms("4h")
    (60000, 14400000)
    """
    try:
        return INTERVAL_MS[interval]
    except (KeyError, TypeError):
        raise ParameterError(
            "interval", f"expected one of {list(INTERVAL_MS)}, got {interval!r}"
        ) from None


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with full jitter: delay k is ``uniform(0, min(cap_s, base_s *
    2**k))`` seconds (without jitter, the upper bound itself).

    Iterating it again starts from the first delay again (the feed does so after each successful
    subscription).

    Attributes
    ----------
    base_s : float
        Upper bound of the first delay, seconds.
    cap_s : float
        Largest delay, seconds.
    jitter : bool
        Draw each delay uniformly below its bound (spreads reconnecting clients apart).

    Examples
    --------
    >>> from itertools import islice
    >>> list(islice(Backoff(base_s=0.1, cap_s=0.5, jitter=False), 5))
    [0.1, 0.2, 0.4, 0.5, 0.5]
    """

    base_s: float = 0.05
    cap_s: float = 5.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.base_s <= self.cap_s:
            raise ParameterError(
                "base_s", f"must be > 0 and <= cap_s ({self.cap_s!r}), got {self.base_s!r}"
            )

    def __iter__(self) -> Iterator[float]:
        bound = self.base_s
        while True:
            yield bound * random.random() if self.jitter else bound
            bound = min(self.cap_s, 2.0 * bound)


class _Delays:
    """The delays of one retry sequence: the next one, or the last one again once an iterator
    runs out; :meth:`reset` restarts the sequence (for a re-iterable such as :class:`Backoff` or
    a list; a one-shot generator just continues)."""

    def __init__(self, source: Iterable[float]) -> None:
        self._source = source
        self._it = iter(source)
        self._last = 0.0

    def reset(self) -> None:
        self._it = iter(self._source)

    def next(self) -> float:
        self._last = max(0.0, float(next(self._it, self._last)))
        return self._last


@dataclass
class _Progress:
    """Where one ``closed()`` iteration stands: the next open time it expects (epoch ms), where
    it stops, the newest closed kline seen on the current connection, and whether it is done."""

    next_ms: int
    until_ms: int | None
    stream_ms: int = _NEVER
    done: bool = False

    def take(self, candle: Bar, step_ms: int) -> bool:
        """Whether ``candle`` is the next bar to yield (advancing past it if so)."""
        t = candle.open_time_ms
        if t < self.next_ms:
            return False
        if self.until_ms is not None and t > self.until_ms:
            self.done = True
            return False
        self.next_ms = t + step_ms
        self.done = self.until_ms is not None and t >= self.until_ms
        return True


class _StaleError(Exception):
    """The websocket stayed silent longer than the watchdog allows."""


class _Retry(NamedTuple):
    """A failed request that may pass later: why, and how long the server asked us to wait."""

    reason: str
    wait_s: float | None


#: Failures after which the websocket is reopened (``TimeoutError`` is an ``OSError``).
_DROPS = (ConnectionClosed, OSError, InvalidHandshake)


def _path(url: str) -> str:
    return urlsplit(url).path


def _row_candle(row: Any) -> Bar:
    """A REST kline row ``[openTime, "o", "h", "l", "c", "v", closeTime, ...]``."""
    return Bar(
        int(row[0]),
        float(row[1]),
        float(row[2]),
        float(row[3]),
        float(row[4]),
        float(row[5]),
        int(row[6]),
    )


#: The flag of a kline that has not closed yet, as Binance writes it (compact JSON). Most stream
#: messages carry it (one bar closes per hundreds of updates), and the feed acts on closed klines
#: only, so a message containing it is skipped without being decoded. Anything written
#: otherwise is decoded and judged by :func:`_stream_candle`.
_IN_PROGRESS = '"x":false'


def _stream_candle(message: Any) -> Bar | None:
    """The candle of a closed-kline event (raw or combined-stream form), else None."""
    if isinstance(message, dict) and isinstance(message.get("data"), dict):
        message = message["data"]
    if not isinstance(message, dict) or message.get("e") != "kline":
        return None
    k = message["k"]
    if k.get("x") is not True:
        return None
    return Bar(
        int(k["t"]),
        float(k["o"]),
        float(k["h"]),
        float(k["l"]),
        float(k["c"]),
        float(k["v"]),
        int(k["T"]),
    )


def _binance_error(body: str) -> tuple[int | None, str]:
    """Binance's ``{"code": -1121, "msg": "Invalid symbol."}`` body, or the text itself."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None, body[:_ERROR_TEXT_CHARS]
    if isinstance(doc, dict) and "code" in doc:
        return doc.get("code"), str(doc.get("msg", ""))[:_ERROR_TEXT_CHARS]
    return None, body[:_ERROR_TEXT_CHARS]


def _now_ms() -> int:
    """Wall-clock time, epoch milliseconds."""
    return time.time_ns() // 1_000_000


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class KlineFeed:
    """Every closed kline of one symbol and interval, from a Binance-compatible API.

    Parameters
    ----------
    rest_url : str
        The REST base URL, e.g. ``"https://api.binance.com"`` (the feed appends
        ``/api/v3/klines``).
    ws_url : str
        The websocket URL, e.g. ``"wss://stream.binance.com:9443/ws"``.
    symbol : str
        Binance symbol, e.g. ``"SOLUSDT"``.
    interval : str
        Kline interval (see :func:`interval_ms`).
    stale_after_s : float
        Seconds without any websocket message after which the connection is reopened. Binance
        pushes an update of the forming kline every 1-2 s while the market trades.
    backoff : iterable of float, optional
        Delays in seconds between reconnections and between REST retries; default
        :class:`Backoff` (``uniform(0, min(5, 0.05 * 2**k))``). It is iterated afresh after each
        successful subscription (a list or :class:`Backoff` restarts; a generator continues);
        when it runs out its last delay repeats.
    clock : callable
        Seconds, for the ``at`` of events (``time.monotonic`` by default).
    on_event : callable, optional
        Called with each :class:`FeedEvent` (must not block).
    session : aiohttp.ClientSession, optional
        REST session to use (not closed by the feed); by default each :meth:`closed` iteration
        opens and closes its own.
    limiter : RateLimiter, optional
        Every REST request waits for a slot; a ``Retry-After`` answer blocks it until then.
    breaker : CircuitBreaker, optional
        REST failures that may pass (refused, reset, 429, 5xx) count towards opening it; while
        it is open no request is sent and the feed waits for its probe.

    Notes
    -----
    Websocket connections ignore proxy settings of the environment, as the REST session does
    (aiohttp's default).

    Examples
    --------
    >>> import asyncio, contextlib
    >>> feed = KlineFeed(rest_url="https://api.binance.com",
    ...                  ws_url="wss://stream.binance.com:9443/ws")
    >>> async def first_bars(start_ms, n):
    ...     out = []
    ...     async with contextlib.aclosing(feed.closed(start_ms)) as bars:
    ...         async for bar in bars:
    ...             out.append(bar)
    ...             if len(out) == n:
    ...                 return out
    >>> asyncio.run(first_bars(1_700_000_000_000, 3))                 # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        rest_url: str,
        ws_url: str,
        symbol: str = "SOLUSDT",
        interval: str = "1m",
        stale_after_s: float = 10.0,
        backoff: Iterable[float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_event: Callable[[FeedEvent], None] | None = None,
        session: aiohttp.ClientSession | None = None,
        limiter: RateLimiter | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        if urlsplit(rest_url).scheme not in ("http", "https"):
            raise ParameterError("rest_url", f"must be an http(s):// URL, got {rest_url!r}")
        if urlsplit(ws_url).scheme not in ("ws", "wss"):
            raise ParameterError("ws_url", f"must be a ws(s):// URL, got {ws_url!r}")
        if not isinstance(symbol, str) or not symbol.isalnum():
            raise ParameterError("symbol", f"expected letters and digits, got {symbol!r}")
        if not stale_after_s > 0:
            raise ParameterError("stale_after_s", f"must be > 0 seconds, got {stale_after_s!r}")
        self._rest_url = rest_url.rstrip("/")
        self._ws_url = ws_url
        self._symbol = symbol.upper()
        self._interval = interval
        self._step_ms = interval_ms(interval)
        self._stream = f"{symbol.lower()}@kline_{interval}"
        self._stale_after_s = float(stale_after_s)
        self._backoff: Iterable[float] = Backoff() if backoff is None else backoff
        self._clock = clock
        self._on_event = on_event
        self._session = session
        self._limiter = limiter
        self._breaker = breaker
        self._request_id = 0
        self.last_message_at: float | None = None  # clock() of the last websocket message

    def silent_s(self) -> float | None:
        """Seconds since the websocket last delivered a message (None: none yet)."""
        return None if self.last_message_at is None else self._clock() - self.last_message_at

    def providers(self) -> list[Provider]:
        """The kline REST service this feed calls (its limiter and breaker, when given)."""
        return [Provider("binance klines", self._limiter, self._breaker)]

    @property
    def stream(self) -> str:
        """The stream name subscribed to, e.g. ``"solusdt@kline_1m"``."""
        return self._stream

    async def closed(self, start_ms: int, until_ms: int | None = None) -> AsyncIterator[Bar]:
        """Yield every closed bar with open time >= ``start_ms``, in order, exactly once.

        Parameters
        ----------
        start_ms : int
            Open time of the first bar wanted, epoch milliseconds UTC (bars already closed are
            fetched by REST first).
        until_ms : int, optional
            Open time of the last bar wanted (epoch ms): the iteration returns after yielding it
            (or on learning of a later bar, when the exchange has none at that time). Without
            it the iteration runs until closed or cancelled.

        Yields
        ------
        Bar
            Closed bars, open times strictly increasing, values as the exchange sent them.

        Raises
        ------
        FeedError
            The exchange refused a request for good (HTTP 4xx other than 429, e.g. an unknown
            symbol: Binance code -1121), or refused the subscription.

        Examples
        --------
        Close the iterator when leaving early (``contextlib.aclosing``), so its connection
        closes at once:

        >>> async def bars(feed, start_ms, until_ms):
        ...     async with contextlib.aclosing(feed.closed(start_ms, until_ms)) as it:
        ...         return [bar async for bar in it]                        # doctest: +SKIP
        """
        progress = _Progress(next_ms=int(start_ms), until_ms=until_ms)
        delays = _Delays(self._backoff)
        async with self._http() as session:
            while not progress.done:
                try:
                    async with self._connection() as ws:
                        await self._subscribe(ws)
                        delays.reset()
                        progress.stream_ms = _NEVER
                        batch = await self._backfill(session, progress, None)
                        while True:
                            for candle in batch:
                                yield candle
                            if progress.done:
                                return
                            batch = await self._read(ws, session, progress)
                except _StaleError as exc:
                    self._emit("stale", str(exc))
                    self._emit("disconnected", "closed by the watchdog")
                except _DROPS as exc:
                    _check_handshake(exc, self._ws_url)
                    self._emit("disconnected", _reason(exc))
                await self._pause(delays, "reconnecting")

    # ----------------------------------------------------------------------------- websocket

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[ClientConnection]:
        """An open websocket, hung up on exit (see :func:`_hang_up`)."""
        ws = await connect(
            self._ws_url,
            open_timeout=_OPEN_TIMEOUT_S,
            close_timeout=_CLOSE_TIMEOUT_S,
            proxy=None,
        )
        try:
            yield ws
        finally:
            await _hang_up(ws)

    async def _recv(self, ws: ClientConnection) -> Any:
        """The next message, decoded; :class:`_StaleError` after ``stale_after_s`` of silence."""
        since = self._clock()
        try:
            async with asyncio.timeout(self._stale_after_s):
                raw = await ws.recv()
            self.last_message_at = self._clock()
        except TimeoutError:
            silent = self._clock() - since
            raise _StaleError(
                f"no message for {silent:.3f} s (stale_after_s={self._stale_after_s:g})"
            ) from None
        if isinstance(raw, str) and _IN_PROGRESS in raw:
            return None  # an in-progress kline (Binance's compact JSON): nothing to decode
        try:
            return json.loads(raw)
        except ValueError:
            return None  # not JSON: no kline, no acknowledgement

    async def _subscribe(self, ws: ClientConnection) -> None:
        """SUBSCRIBE to the kline stream and wait for its acknowledgement."""
        self._request_id += 1
        rid = self._request_id
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": [self._stream], "id": rid}))
        while True:
            reply = await self._recv(ws)
            if isinstance(reply, dict) and reply.get("id") == rid:
                break
        if reply.get("error") is not None or "code" in reply:
            error = reply.get("error") or reply
            raise FeedError(
                f"websocket {_path(self._ws_url)} refused SUBSCRIBE {self._stream}: "
                f"code {error.get('code')} ({error.get('msg')})",
                path=_path(self._ws_url),
                code=error.get("code"),
            )
        self._emit("connected", f"{_path(self._ws_url)} subscribed to {self._stream}")

    async def _read(
        self, ws: ClientConnection, session: aiohttp.ClientSession, progress: _Progress
    ) -> list[Bar]:
        """The bars one websocket message completes (none, one, or a backfilled gap and one)."""
        candle = _stream_candle(await self._recv(ws))
        if candle is None:
            return []
        t = candle.open_time_ms
        if t < progress.next_ms:
            self._seen_before(progress, t)
            return []
        progress.stream_ms = max(progress.stream_ms, t)
        out: list[Bar] = []
        if t > progress.next_ms:
            out = await self._backfill(session, progress, t)
            if progress.done:
                return out
        if progress.take(candle, self._step_ms):
            out.append(candle)
        return out

    def _seen_before(self, progress: _Progress, t: int) -> None:
        """A closed kline older than the next expected bar: a duplicate or late message of this
        connection (an event), or one the backfill has already delivered (silent)."""
        if t == progress.stream_ms:
            self._emit("duplicate", f"bar {t} again")
        elif t < progress.stream_ms:
            self._emit("out_of_order", f"bar {t} after bar {progress.stream_ms}")
        progress.stream_ms = max(progress.stream_ms, t)

    # ---------------------------------------------------------------------------------- REST

    async def _backfill(
        self, session: aiohttp.ClientSession, progress: _Progress, before_ms: int | None
    ) -> list[Bar]:
        """Closed bars from the next expected one up to (not including) ``before_ms`` (all
        closed bars when None), by REST pages of :data:`PAGE_LIMIT`."""
        first = progress.next_ms
        out: list[Bar] = []
        while not progress.done:
            end = None if before_ms is None else before_ms - 1
            if progress.until_ms is not None:
                end = progress.until_ms if end is None else min(end, progress.until_ms)
            if end is not None and progress.next_ms > end:
                break
            rows = await self._klines(session, progress.next_ms, end)
            candles = [_row_candle(row) for row in rows]
            if before_ms is None and candles and candles[-1].close_time_ms > _now_ms():
                candles.pop()  # the forming bar
            got = [c for c in candles if progress.take(c, self._step_ms)]
            out.extend(got)
            if len(rows) < PAGE_LIMIT or not got:
                break
        if out or before_ms is not None:
            gap = "" if before_ms is None else f" before stream bar {before_ms}"
            self._emit("backfill", f"{len(out)} bars from {first}{gap}")
        return out

    async def _klines(
        self, session: aiohttp.ClientSession, start_ms: int, end_ms: int | None
    ) -> list[Any]:
        """One page of ``GET /api/v3/klines``, retried until it answers or fails for good."""
        params = {
            "symbol": self._symbol,
            "interval": self._interval,
            "startTime": str(start_ms),
            "limit": str(PAGE_LIMIT),
        }
        if end_ms is not None:
            params["endTime"] = str(end_ms)
        delays = _Delays(self._backoff)
        while True:
            answer = await self._guarded_get(session, KLINES_PATH, params)
            if not isinstance(answer, _Retry):
                if not isinstance(answer, list):
                    raise FeedError(
                        f"GET {KLINES_PATH} answered {type(answer).__name__}, expected a list",
                        path=KLINES_PATH,
                    )
                return answer
            await self._pause(delays, f"GET {KLINES_PATH}: {answer.reason}", answer.wait_s)

    async def _guarded_get(
        self, session: aiohttp.ClientSession, path: str, params: dict[str, str]
    ) -> Any | _Retry:
        """:meth:`_get` behind the rate limiter (a ``Retry-After`` penalises it) and the
        circuit breaker (failures that may pass count; an open circuit is a wait)."""
        breaker, limiter = self._breaker, self._limiter
        if breaker is not None and not breaker.allow():
            return _Retry(f"circuit {breaker.name!r} open", max(breaker.retry_in_s(), 0.001))
        try:
            async with limiter.slot() if limiter is not None else contextlib.nullcontext():
                answer = await self._get(session, path, params)
        except FeedError:
            if breaker is not None:
                breaker.record_success()  # the server answered; the request was wrong
            raise
        if isinstance(answer, _Retry):
            if breaker is not None:
                breaker.record_failure()
            if limiter is not None and answer.wait_s is not None:
                limiter.penalize(limiter.clock() + answer.wait_s)
        elif breaker is not None:
            breaker.record_success()
        return answer

    async def _get(
        self, session: aiohttp.ClientSession, path: str, params: dict[str, str]
    ) -> Any | _Retry:
        """The decoded JSON answer, a :class:`_Retry` for a failure that may pass, or
        :class:`FeedError` for one that will not."""
        try:
            async with session.get(self._rest_url + path, params=params) as resp:
                if resp.status == 200:
                    return await resp.json(content_type=None)  # ValueError if not JSON
                body = await resp.text()
                wait_s = retry_after_s(resp.headers.get("Retry-After"))
                status = resp.status
        except (aiohttp.ClientError, OSError) as exc:  # refused, reset, timed out
            return _Retry(_reason(exc), None)
        except ValueError:  # a truncated or garbled body
            return _Retry("HTTP 200 with a body that is not JSON", None)
        code, msg = _binance_error(body)
        if status == 429 or status >= 500:
            return _Retry(f"HTTP {status} (code {code}: {msg})", wait_s)
        raise FeedError(
            f"GET {path} answered HTTP {status}: Binance code {code} ({msg})",
            path=path,
            status=status,
            code=code,
        )

    # ------------------------------------------------------------------------------- helpers

    async def _pause(self, delays: _Delays, why: str, wait_s: float | None = None) -> None:
        delay = delays.next() if wait_s is None else wait_s
        self._emit("reconnect_wait", f"{why}; waiting {delay:.3f} s")
        await asyncio.sleep(delay)

    def _emit(self, kind: str, detail: str) -> None:
        if self._on_event is not None:
            self._on_event(FeedEvent(kind, detail, self._clock()))

    @contextlib.asynccontextmanager
    async def _http(self) -> AsyncIterator[aiohttp.ClientSession]:
        if self._session is not None:
            yield self._session
            return
        timeout = aiohttp.ClientTimeout(total=30.0, sock_connect=5.0)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            yield session


async def _hang_up(ws: ClientConnection) -> None:
    """Close ``ws``, discarding what is still queued: with its queue full the connection stops
    reading, so the server's close frame would wait behind unread messages until
    ``close_timeout``."""
    closing = asyncio.ensure_future(ws.close())
    try:
        with contextlib.suppress(ConnectionClosed, TimeoutError):
            async with asyncio.timeout(_CLOSE_TIMEOUT_S):
                while True:
                    await ws.recv()
    finally:
        await closing


def _check_handshake(exc: BaseException, url: str) -> None:
    """Raise :class:`FeedError` for a websocket handshake refused for good (HTTP 4xx but 429)."""
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        if 400 <= status < 500 and status != 429:
            raise FeedError(
                f"websocket {_path(url)} refused the handshake: HTTP {status}",
                path=_path(url),
                status=status,
            ) from exc


__all__ = [
    "EVENT_KINDS",
    "INTERVAL_MS",
    "Backoff",
    "FeedError",
    "FeedEvent",
    "KlineFeed",
    "interval_ms",
]
