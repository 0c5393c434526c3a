"""The feed's REST calls behind the circuit breaker and the rate limiter, against a real local
server (127.0.0.1) that fails on purpose: after 3 failures no request is sent until the breaker's
probe, and a 429 with ``Retry-After`` holds every request until that time."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from aiohttp import web

from soltrader.adapters.binance_feed import KlineFeed
from soltrader.adapters.resilience import BreakerState, CircuitBreaker, RateLimiter
from tests.local_http import serving

ROW = [0, "1.0", "1.0", "1.0", "1.0", "1.0", 59_999, "0", 0, "0", "0", "0"]


def _app(script: list[tuple[int, dict[str, str]]], seen: list[float]) -> web.Application:
    """Answers the scripted statuses in turn, then 200 with one kline; records request times."""

    async def klines(request: web.Request) -> web.Response:
        seen.append(time.monotonic())
        if script:
            status, headers = script.pop(0)
            return web.json_response({"code": -1, "msg": "busy"}, status=status, headers=headers)
        return web.json_response([ROW])

    app = web.Application()
    app.router.add_get("/api/v3/klines", klines)
    return app


async def _one_page(script, **kw):
    seen: list[float] = []
    async with serving(_app(script, seen)) as url, aiohttp.ClientSession() as session:
        feed = KlineFeed(rest_url=url, ws_url="ws://127.0.0.1:1/ws", backoff=[0.01], **kw)
        t0 = time.monotonic()
        rows = await asyncio.wait_for(feed._klines(session, 0, None), 10)
    return rows, [t - t0 for t in seen]


def test_an_open_circuit_sends_nothing_until_its_probe() -> None:
    breaker = CircuitBreaker("binance-rest", failures=3, reset_after_s=0.4)
    script = [(503, {}), (503, {}), (503, {})]
    rows, seen = asyncio.run(_one_page(script, breaker=breaker))
    assert rows == [ROW]
    assert len(seen) == 4  # three failures, then nothing until the probe, which passes
    assert seen[3] - seen[2] >= 0.39
    states = [(t.old, t.new) for t in breaker.transitions]
    assert states == [
        (BreakerState.CLOSED, BreakerState.OPEN),
        (BreakerState.OPEN, BreakerState.HALF_OPEN),
        (BreakerState.HALF_OPEN, BreakerState.CLOSED),
    ]


def test_retry_after_holds_the_limiter() -> None:
    limiter = RateLimiter(100, 1.0)
    rows, seen = asyncio.run(_one_page([(429, {"Retry-After": "1"})], limiter=limiter))
    assert rows == [ROW]
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.99
    assert limiter.wait_time() == 0.0
