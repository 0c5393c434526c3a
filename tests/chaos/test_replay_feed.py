"""The replay exchange and the kline feed together, over loopback: bit-identical replays, REST
paging without look-ahead, churn (drops, stalls, duplicates, late messages), pacing, bad values
passed through, and nothing left running afterwards.

Every test bounds its coroutine with ``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NamedTuple, TypeVar

import aiohttp
import numpy as np
import pandas as pd
import pytest
from aiohttp import web
from websockets.asyncio.client import ClientConnection, connect

import soltrader as st
from soltrader.adapters.binance_feed import (
    Backoff,
    FeedError,
    FeedEvent,
    KlineFeed,
    interval_ms,
)
from soltrader.adapters.replay_server import FaultPlan, ReplayServer, ReplayStateError
from soltrader.domain.bar import Bar
from soltrader.domain.errors import DataError, ParameterError
from tests.local_http import serving

T = TypeVar("T")
T0 = 1_700_000_000_000  # epoch ms, a whole minute
MINUTE = 60_000
FIELDS = ("open", "high", "low", "close", "volume")


def run(coro: Awaitable[T], timeout: float) -> T:
    """Run one test coroutine, bounded."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def gbm_bars(n: int, seed: int = 7) -> pd.DataFrame:
    """Synthetic 1m bars: a geometric random walk with full float64 precision, epoch ms times."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, n)))
    open_ = np.r_[100.0, close[:-1]]
    high = np.maximum(open_, close) * (1.0 + rng.random(n) * 1e-3)
    low = np.minimum(open_, close) * (1.0 - rng.random(n) * 1e-3)
    volume = rng.lognormal(5.0, 1.0, n)
    ts = T0 + MINUTE * np.arange(n, dtype=np.int64)
    cols = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
    return pd.DataFrame({"timestamp": ts, **cols})


def source_times(df: pd.DataFrame) -> np.ndarray:
    if isinstance(df.index, pd.DatetimeIndex):
        return df.index.as_unit("ms").asi8
    return df["timestamp"].to_numpy(dtype=np.int64)


def assert_same_bars(got: list[Bar], df: pd.DataFrame) -> None:
    """Open times equal, every value bit-identical (NaN payloads aside), close times Binance's."""
    times = np.array([c.open_time_ms for c in got], dtype=np.int64)
    np.testing.assert_array_equal(times, source_times(df))
    for name in FIELDS:
        sent = df[name].to_numpy(dtype=np.float64)
        back = np.array([getattr(c, name) for c in got], dtype=np.float64)
        nan = np.isnan(sent)
        np.testing.assert_array_equal(np.isnan(back), nan, err_msg=name)
        assert (sent[~nan].view(np.int64) == back[~nan].view(np.int64)).all(), name
    assert all(c.close_time_ms == c.open_time_ms + MINUTE - 1 for c in got)


async def collect(
    server: ReplayServer,
    first_ms: int,
    last_ms: int,
    *,
    events: list[FeedEvent] | None = None,
    on_bar: Callable[[Bar], None] | None = None,
    **kwargs: Any,
) -> list[Bar]:
    """Every bar from ``first_ms`` to ``last_ms`` through a :class:`KlineFeed`."""
    feed = KlineFeed(
        rest_url=server.rest_url,
        ws_url=server.ws_url,
        on_event=None if events is None else events.append,
        **kwargs,
    )
    out: list[Bar] = []
    async with contextlib.aclosing(feed.closed(first_ms, last_ms)) as bars:
        async for bar in bars:
            out.append(bar)
            if on_bar is not None:
                on_bar(bar)
    return out


async def replay_all(df: Any, times: np.ndarray, **kwargs: Any) -> tuple[list[Bar], float]:
    async with ReplayServer(df, **kwargs) as server:
        began = time.perf_counter()
        got = await collect(server, int(times[0]), int(times[-1]))
        return got, time.perf_counter() - began


# ------------------------------------------------------------------------------ clean replays


def test_clean_run_at_max_speed_is_bit_identical() -> None:
    df = gbm_bars(4000)
    got, _ = run(replay_all(df, source_times(df)), 30)
    assert_same_bars(got, df)


def test_bundled_data_and_structured_arrays_replay_identically() -> None:
    real = st.data.load("SOL/USDT", "1m").head(3000)
    got, _ = run(replay_all(real, source_times(real)), 30)
    assert_same_bars(got, real)

    df = gbm_bars(500, seed=3)
    records = np.zeros(len(df), dtype=[("timestamp", "M8[ms]")] + [(f, "f8") for f in FIELDS])
    records["timestamp"] = df["timestamp"].to_numpy().astype("M8[ms]")
    for name in FIELDS:
        records[name] = df[name].to_numpy()
    got, _ = run(replay_all(records, source_times(df)), 30)
    assert_same_bars(got, df)


def test_start_and_until_select_a_slice() -> None:
    df = gbm_bars(300)
    times = source_times(df)

    async def main() -> list[Bar]:
        async with ReplayServer(df) as server:
            return await collect(server, int(times[120]), int(times[199]))

    got = run(main(), 20)
    assert_same_bars(got, df.iloc[120:200])


# --------------------------------------------------------------------------------------- REST


async def close_bars(server: ReplayServer, count: int) -> None:
    """Subscribe a bare client until ``count`` bars have closed, then unsubscribe (the replay
    clock stops with nobody subscribed)."""
    async with connect(server.ws_url, proxy=None) as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": [server.stream], "id": 1}))
        while server.cursor < count:
            await ws.recv()
        await ws.send(json.dumps({"method": "UNSUBSCRIBE", "params": [server.stream], "id": 2}))
        while json.loads(await ws.recv()).get("id") != 2:
            pass
    await asyncio.sleep(0.05)


async def get(session: aiohttp.ClientSession, url: str, **params: Any) -> tuple[int, Any]:
    async with session.get(url, params={k: str(v) for k, v in params.items()}) as resp:
        return resp.status, await resp.json()


def test_rest_pages_only_closed_bars_and_refuses_like_binance() -> None:
    df = gbm_bars(3000)
    times = source_times(df)

    async def main() -> None:
        async with ReplayServer(df) as server, aiohttp.ClientSession() as http:
            klines = server.rest_url + "/api/v3/klines"
            sym = {"symbol": "SOLUSDT", "interval": "1m"}
            status, rows = await get(http, klines, **sym, startTime=times[0])
            assert (status, rows) == (200, [])  # nothing closed before a client subscribes
            await close_bars(server, 2500)
            closed = server.cursor
            assert 2500 <= closed < 3000
            # paging by startTime with limit 1000 gives every closed bar once, and no more
            pages, start = [], int(times[0])
            while True:
                _, page = await get(http, klines, **sym, startTime=start, limit=1000)
                pages.extend(page)
                if len(page) < 1000:
                    break
                start = page[-1][0] + MINUTE
            assert [r[0] for r in pages] == times[:closed].tolist()
            row = pages[7]
            assert row[6] == row[0] + MINUTE - 1 and len(row) == 12
            assert [float(x) for x in row[1:6]] == [df[f].iloc[7] for f in FIELDS]
            # inclusive startTime/endTime; limit default 500, capped at 1000; newest without start
            _, rows = await get(http, klines, **sym, startTime=times[10], endTime=times[20])
            assert [r[0] for r in rows] == times[10:21].tolist()
            _, rows = await get(http, klines, **sym)
            assert [r[0] for r in rows] == times[closed - 500 : closed].tolist()
            _, rows = await get(http, klines, **sym, startTime=times[0], limit=5000)
            assert len(rows) == 1000
            _, rows = await get(http, klines, **sym, endTime=times[99], limit=3)
            assert [r[0] for r in rows] == times[97:100].tolist()
            _, rows = await get(http, klines, **sym, startTime=times[closed])  # look-ahead
            assert rows == []
            assert await get(http, server.rest_url + "/api/v3/ping") == (200, {})
            _, now = await get(http, server.rest_url + "/api/v3/time")
            assert now == {"serverTime": int(times[closed - 1]) + MINUTE}
            # refusals, with Binance's codes
            bad = await get(http, klines, symbol="BTCUSDT", interval="1m")
            assert bad == (400, {"code": -1121, "msg": "Invalid symbol."})
            assert (await get(http, klines, symbol="SOLUSDT", interval="5m"))[1]["code"] == -1120
            assert (await get(http, klines, interval="1m"))[1]["code"] == -1102
            assert (await get(http, klines, **sym, limit="x"))[1]["code"] == -1100

    run(main(), 20)


def test_feed_raises_feed_error_without_the_query_string() -> None:
    df = gbm_bars(50)

    async def main() -> FeedError:
        async with ReplayServer(df) as server:
            with pytest.raises(FeedError) as info:
                await collect(server, T0, T0 + 10 * MINUTE, symbol="BTCUSDT")
            return info.value

    err = run(main(), 10)
    assert (err.status, err.code, err.path) == (400, -1121, "/api/v3/klines")
    assert "/api/v3/klines" in str(err) and "-1121" in str(err)
    assert "?" not in str(err) and "symbol=" not in str(err) and "startTime" not in str(err)


Amend = Callable[[web.Request, int, list[Any]], web.Response | list[Any]]


@contextlib.asynccontextmanager
async def rest_proxy(server: ReplayServer, amend: Amend) -> AsyncIterator[str]:
    """A REST front of the replay's klines on 127.0.0.1: ``amend(request, n, rows)`` (n counts
    the requests from 1) returns the rows to send or a response of its own; yields its URL."""
    count = Counter[str]()
    async with aiohttp.ClientSession() as http:

        async def klines(request: web.Request) -> web.StreamResponse:
            count["n"] += 1
            async with http.get(server.rest_url + "/api/v3/klines", params=request.query) as r:
                rows = await r.json()
            out = amend(request, count["n"], rows)
            return out if isinstance(out, web.StreamResponse) else web.json_response(out)

        app = web.Application()
        app.router.add_get("/api/v3/klines", klines)
        async with serving(app) as url:
            yield url


def flaky(request: web.Request, n: int, rows: list[Any]) -> web.Response | list[Any]:
    """503, then 429 with Retry-After, then reset connections (twice: aiohttp itself retries a
    request once when a reused connection fails), then the real answers."""
    if n == 1:
        return web.json_response({"code": -1003, "msg": "busy"}, status=503)
    if n == 2:
        return web.json_response(
            {"code": -1003, "msg": "slow down"}, status=429, headers={"Retry-After": "0.25"}
        )
    if n in (3, 4) and request.transport is not None:
        request.transport.abort()
    return rows


def test_rest_failures_are_retried_honouring_retry_after() -> None:
    df = gbm_bars(200)
    times = source_times(df)
    events: list[FeedEvent] = []

    async def main() -> list[Bar]:
        async with ReplayServer(df) as server, rest_proxy(server, flaky) as url:
            feed = KlineFeed(
                rest_url=url, ws_url=server.ws_url, on_event=events.append, backoff=[0.01]
            )
            async with contextlib.aclosing(feed.closed(T0, int(times[-1]))) as bars:
                return [bar async for bar in bars]

    got = run(main(), 20)
    assert_same_bars(got, df)
    waits = [e.detail for e in events if e.kind == "reconnect_wait"]
    assert len(waits) == 3, waits
    assert "HTTP 503" in waits[0] and "waiting 0.010 s" in waits[0]
    assert "HTTP 429" in waits[1] and "waiting 0.250 s" in waits[1]  # Retry-After honoured
    assert "HTTP" not in waits[2] and "waiting 0.010 s" in waits[2]  # the reset connection


def test_the_forming_bar_of_an_open_ended_answer_is_skipped() -> None:
    """Binance answers a request reaching the present with the forming bar as its newest row:
    the feed must not yield it (its close time lies ahead of the wall clock)."""
    now_ms = time.time_ns() // 1_000_000 // MINUTE * MINUTE
    df = gbm_bars(200)
    df["timestamp"] += now_ms - 200 * MINUTE - T0  # the last bar closed a moment ago
    times = source_times(df)
    forming = [
        now_ms,
        "1e9",
        "1e9",
        "1e9",
        "1e9",
        "1.0",
        now_ms + MINUTE - 1,
        "0",
        0,
        "0",
        "0",
        "0",
    ]

    def add_forming(request: web.Request, n: int, rows: list[Any]) -> list[Any]:
        return rows if "endTime" in request.query else [*rows, forming]

    async def main() -> list[Bar]:
        async with (
            ReplayServer(df, faults=FaultPlan(drops=(100,))) as server,
            rest_proxy(server, add_forming) as url,
        ):
            feed = KlineFeed(rest_url=url, ws_url=server.ws_url, backoff=[0.01])
            got = []
            async with contextlib.aclosing(feed.closed(int(times[0]))) as bars:  # no end
                async for bar in bars:
                    got.append(bar)
                    if len(got) == len(df):
                        return got
            return got

    assert_same_bars(run(main(), 10), df)


# ------------------------------------------------------------------------------------- churn


def churn_plan(n: int) -> FaultPlan:
    """50 drops, 5 stalls, duplicates and late messages, none inside another fault's window of
    bars closed unseen (so every one fires)."""
    drops = tuple(range(20, n - 100, 57))[:50]
    stalls = (545, 1145, 1745, 2345, 2655)
    plan = FaultPlan(
        drops=drops,
        stalls=stalls,
        stall_s=0.5,
        duplicates=(200, 1302, 2501),
        out_of_order=(150, 1250, 2001),
    )
    unseen = {b + i for b in drops + stalls for i in range(1, 4)}
    faulted = drops + stalls + plan.duplicates + plan.out_of_order
    assert len(drops) == 50 and not unseen & set(faulted)
    return plan


def test_churn_yields_the_source_exactly() -> None:
    df = gbm_bars(3000, seed=11)
    times = source_times(df)
    plan = churn_plan(len(df))
    events: list[FeedEvent] = []

    async def main() -> tuple[list[Bar], ReplayServer, set[asyncio.Task[Any]]]:
        before = asyncio.all_tasks()
        async with ReplayServer(df, faults=plan) as server:
            got = await collect(
                server,
                int(times[0]),
                int(times[-1]),
                events=events,
                stale_after_s=0.2,
                backoff=Backoff(base_s=0.02, cap_s=0.5),
            )
        await asyncio.sleep(0)
        return got, server, asyncio.all_tasks() - before

    got, server, left = run(main(), 30)
    assert_same_bars(got, df)
    assert not left
    assert (server.drops_done, server.stalls_done) == (50, 5)
    assert server.connections == 1 + 50 + 5
    kinds = Counter(e.kind for e in events)
    assert kinds["stale"] == 5
    assert kinds["duplicate"] >= 3 and kinds["out_of_order"] >= 3
    assert kinds["connected"] == 56 and kinds["disconnected"] == 55
    stalls = [f.at for f in server.faults_fired if f.kind == "stall"]
    stales = [e.at for e in events if e.kind == "stale"]
    for began, noticed in zip(stalls, stales, strict=True):
        assert began < noticed <= began + 0.2 + 0.3


# ------------------------------------------------------------------------------------ pacing


class Arrival(NamedTuple):
    """When the feed yielded a bar, when the server's schedule said it closes, then, and when
    the server sent its closed kline (NaN: never, the bar came by REST)."""

    at: float
    due: float
    sent: float


async def paced(df: pd.DataFrame, **kwargs: Any) -> tuple[list[Bar], list[Arrival], float]:
    """Replay ``df`` at 6000x (a 1m bar every 10 ms); the arrivals and the replay's start."""
    times = source_times(df)
    arrivals: list[Arrival] = []
    async with ReplayServer(df, speed=6000.0, updates_per_bar=2, **kwargs) as server:

        def arrived(bar: Bar) -> None:
            k = int((bar.open_time_ms - T0) // MINUTE)
            sent = server.closed_sent_at.get(k, np.nan)
            arrivals.append(Arrival(time.monotonic(), server.due(k) or np.inf, sent))

        got = await collect(server, T0, int(times[-1]), on_bar=arrived, backoff=[0.005])
        start = (server.due(0) or np.inf) - 0.01
    assert server.sent_messages == 3 * (len(df) - server.drops_done * 3)
    return got, arrivals, start


def test_paced_replay_never_runs_ahead_of_schedule() -> None:
    df = gbm_bars(50)
    began = time.monotonic()
    got, arrivals, start = run(paced(df), 10)
    assert_same_bars(got, df)
    at, due, sent = np.array(arrivals).T
    assert (at >= due).all()
    assert (due <= sent).all() and (sent <= at).all()  # sent on schedule, before it arrived
    np.testing.assert_allclose(np.diff(due), 0.01)  # 1m bars at 6000x: one per 10 ms
    assert start >= began and at[-1] - due[-1] < 0.25


def test_paced_replay_with_a_drop_closes_the_unseen_bars_on_schedule() -> None:
    """Bars 21-23 close while the client reconnects, each at its time, and come by REST; the
    reconnection moves the schedule of the later bars by the time nobody was subscribed."""
    df = gbm_bars(50)
    got, arrivals, _ = run(paced(df, faults=FaultPlan(drops=(20,))), 10)
    assert_same_bars(got, df)
    at, due, sent = np.array(arrivals).T
    assert (at >= due).all()
    assert np.isnan(sent[21:24]).all()  # closed while nobody listened: fetched by REST


# -------------------------------------------------------------------------------- bad values


def test_bad_values_pass_through_unchanged() -> None:
    df = gbm_bars(60)
    bad = {
        5: ("close", np.nan),
        6: ("high", np.inf),
        7: ("low", -np.inf),
        8: ("open", -1.0),
        9: ("volume", np.nan),
        30: ("close", np.nan),  # closes unseen after the drop at 29: served by REST
        31: ("high", -0.0),
    }
    for row, (name, value) in bad.items():
        df.loc[row, name] = value
    df.loc[40, ["high", "low"]] = [90.0, 110.0]  # high < low
    times = source_times(df)

    async def main() -> tuple[list[Bar], list[Any]]:
        async with ReplayServer(df, faults=FaultPlan(drops=(29,))) as server:
            got = await collect(server, int(times[0]), int(times[-1]), backoff=[0.01])
            async with aiohttp.ClientSession() as http:
                url = server.rest_url + "/api/v3/klines"
                _, rows = await get(http, url, symbol="SOLUSDT", interval="1m", limit=60)
            return got, rows

    got, rows = run(main(), 10)
    assert_same_bars(got, df)
    assert np.signbit(got[31].high)
    assert got[40].high < got[40].low
    assert rows[5][4] == "nan" and rows[6][2] == "inf" and rows[7][3] == "-inf"
    assert rows[8][1] == "-1.0" and rows[31][2] == "-0.0"


# ------------------------------------------------------------------------ websocket protocol


async def request(ws: ClientConnection, method: str, rid: int, params: Any = None) -> Any:
    doc: dict[str, Any] = {"method": method, "id": rid}
    if params is not None:
        doc["params"] = params
    await ws.send(json.dumps(doc))
    while True:
        reply = json.loads(await ws.recv())
        if reply.get("id") == rid:
            return reply


def test_websocket_speaks_binance_kline_protocol() -> None:
    df = gbm_bars(20)

    async def main() -> None:
        async with ReplayServer(df, updates_per_bar=2) as server:
            async with connect(server.ws_url, proxy=None) as ws:
                assert await request(ws, "LIST_SUBSCRIPTIONS", 1) == {"result": [], "id": 1}
                reply = await request(ws, "NOPE", 2)
                assert reply["error"]["code"] == 2
                assert await request(ws, "SUBSCRIBE", 3, [server.stream]) == {
                    "result": None,
                    "id": 3,
                }
                events = [json.loads(await ws.recv()) for _ in range(6)]
                listed = await request(ws, "LIST_SUBSCRIPTIONS", 4)
                assert listed["result"] == ["solusdt@kline_1m"]
            assert [e["k"]["x"] for e in events] == [False, False, True] * 2
            final = events[2]
            assert final["e"] == "kline" and final["s"] == "SOLUSDT"
            k = final["k"]
            assert (k["t"], k["T"], k["i"]) == (T0, T0 + MINUTE - 1, "1m")
            assert [float(k[c]) for c in "ohlcv"] == [df[f].iloc[0] for f in FIELDS]
            # a raw stream path subscribes on connection
            async with connect(server.ws_url + "/" + server.stream, proxy=None) as ws:
                event = json.loads(await ws.recv())
                assert event["e"] == "kline" and event["k"]["t"] >= T0 + 2 * MINUTE

    run(main(), 10)


# ------------------------------------------------------------------------------ cleaning up


def test_nothing_left_running_after_stop_and_close() -> None:
    df = gbm_bars(3000)

    async def main() -> tuple[set[asyncio.Task[Any]], int]:
        before = asyncio.all_tasks()
        server = ReplayServer(df)
        await server.start()
        feed = KlineFeed(rest_url=server.rest_url, ws_url=server.ws_url)
        bars = feed.closed(T0)
        seen = [await anext(bars) for _ in range(100)]  # then leave mid-stream
        await bars.aclose()
        await server.stop()
        await server.stop()  # idempotent
        await asyncio.sleep(0)
        return asyncio.all_tasks() - before, len(seen)

    left, seen = run(main(), 10)
    assert seen == 100
    assert not left


# -------------------------------------------------------------------------------- arguments


def test_arguments_are_checked() -> None:
    df = gbm_bars(5)
    with pytest.raises(ParameterError, match="host"):
        ReplayServer(df, host="0.0.0.0")
    with pytest.raises(ParameterError, match="speed"):
        ReplayServer(df, speed=0)
    with pytest.raises(DataError, match="row 2"):
        ReplayServer(df.iloc[[0, 1, 1, 2]])
    with pytest.raises(ParameterError, match="drops"):
        FaultPlan(drops=(-1,))
    with pytest.raises(ParameterError, match="interval"):
        KlineFeed(rest_url="http://127.0.0.1:1", ws_url="ws://127.0.0.1:1/ws", interval="7m")
    with pytest.raises(ParameterError, match="ws_url"):
        KlineFeed(rest_url="http://127.0.0.1:1", ws_url="http://127.0.0.1:1/ws")
    assert interval_ms("1d") == 86_400_000


def test_starting_twice_is_refused() -> None:
    async def main() -> None:
        async with ReplayServer(gbm_bars(5)) as server:
            with pytest.raises(ReplayStateError, match="already started"):
                await server.start()

    run(main(), 5)
