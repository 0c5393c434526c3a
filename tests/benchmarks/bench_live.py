"""The live runtime: bar-close → intent latency, and the CPU and memory of a day's replay.

**Latency.** For sma_cross, mean_reversion, momentum, grid and smc_order_block (default
parameters and live windows, 10 bps fees; smc_order_block with next-open fills, as a live loop
trades it) on the bundled SOL/USDT 1m bars: the runner first restores 2,500 bars from a journal
(or its live window and 100 more: 5,100 for smc_order_block), so that every window is full,
then a replay server on 127.0.0.1, in its own process as an exchange would be, closes one bar
every 100 ms with 99 in-progress kline updates between closes — 1,000 websocket messages per
second.
The runner is composed as ``soltrader live`` composes it: it watches its state folder for
operator requests, and :class:`~soltrader.runtime.ops.Operations` adds its metrics listener and
HTTP server.
For each of the next ``LATENCY_BARS`` bars the latency runs from the moment the server hands the
bar's closed kline to its socket (the exchange publishing the close:
:attr:`ReplayServer.closed_sent_at`) to the moment the bar's decision, intents, fills and equity
are committed to the SQLite journal (WAL, ``synchronous=NORMAL``), stamped by the runner's first
listener, which runs right after the commit: the websocket hop, parsing, the candle check, the
signal on its window, decide, the paper venue and the commit. It is split into the wire part
(kline sent → the closed kline received by the runtime) and the decision part (received →
committed). ``loop_free`` runs to the end of the bar's work (the metrics listener, the kill
switch), when the loop can take the next message. The server's own lateness against its
schedule (its event loop's timer granularity, up to a millisecond: the exchange's delay, not the
runtime's) is reported apart as ``server_late``. ``decide_cpu`` is the CPU time the runtime's
thread spent in the decision part: where the decision's wall time exceeds it, the thread was
waiting (the machine's other processes, a disk flush). ``back_to_back`` times the same bars'
``Runner.on_bar`` decided one after another with nothing in between.

**What the machine costs.** Two reference rows come first. The *cold* row times the same small
piece of interpreter, numpy and dict work back to back and after 100 ms idle: on this machine
code whose caches went cold runs 25-50x slower, and a live loop deciding a bar every 100 ms (or
every minute) pays that on every bar, in every line of Python, every compiled call and every
system call. The *floor* row is the least a live loop in Python can do per closed bar against
the same server and stream: the websockets client's receive, ``json.loads``, one compiled call
on the closes and one row committed to SQLite in the same mode (no candle check, risk, paper
fills or intent records). The latency rows read against it: what the runtime adds to the
machine's own floor.

**A day's replay.** ``soltrader live --paper --replay`` of 1,440 1m bars (24 hours) of
sma_cross as a separate process, at max speed and paced at 100x (a bar every 0.6 s, 14.4 min):
its CPU seconds (user + system) and peak resident memory. Never asserts a time.

Environment: ``SOLTRADER_BENCH_LIVE_BARS`` (bars timed per strategy, default 1,000: the p99 of
1,000 bars is their 10th worst, that of 300 only the 3rd), ``SOLTRADER_BENCH_LIVE_STRATEGIES``
(comma-separated names, default all five), ``SOLTRADER_BENCH_LIVE_DAY=0`` (latency rows only:
no day replay), ``SOLTRADER_BENCH_LIVE_PACED=0`` (no day replay paced at 100x, the 15-minute row),
``SOLTRADER_BENCH_LIVE_JOURNAL_DIR`` (the folder the timed journals are made in, default the
system's temporary folder). The floor and latency rows name the journal's file system
(``journal_fs``): a journal on a RAM file system (``/dev/shm``, tmpfs) is not durable, and
running the bench with one there shows what the disk's own write stalls add to the p99.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import aclosing
from pathlib import Path

import numba
import numpy as np
from websockets.asyncio.client import connect

import soltrader as st
from soltrader.adapters.binance_feed import KlineFeed
from soltrader.domain.bar import Bar
from soltrader.engine.live_spec import parse_live_spec
from soltrader.runtime.journal import Journal
from soltrader.runtime.ops import Operations
from soltrader.runtime.runner import RunEvent, Runner
from tests.conftest import read_sample_bars

WARM_BARS = 2_500
LATENCY_BARS = int(os.environ.get("SOLTRADER_BENCH_LIVE_BARS", "1000"))
SPEED = 600.0  # a 1m bar every 0.1 s
UPDATES = 99  # in-progress updates per bar: 100 messages per bar, 1,000 per second
MESSAGES_PER_S = (UPDATES + 1) * SPEED / 60.0
DAY = 1_440
#: Where the timed journals are made (None: the system's temporary folder).
JOURNAL_DIR = os.environ.get("SOLTRADER_BENCH_LIVE_JOURNAL_DIR") or None
STRATEGIES = ("sma_cross", "mean_reversion", "momentum", "grid", "smc_order_block")
#: Keywords beyond the fees: a live loop trades at the next open (smc_order_block's backtest
#: default fills at the touching close, which a live loop refuses).
EXTRA = {"smc_order_block": {"fill": "next_open"}}


def _spec(name: str):
    return parse_live_spec(
        {
            "data": {"symbol": "SOL/USDT", "timeframe": "1m"},
            "strategy": {"name": name},
            "params": {"fees": 0.001, **EXTRA.get(name, {})},
        }
    )


def _file_system(path: Path) -> str:
    """The type and source of the file system holding ``path`` (Linux: the longest mount point
    containing it in ``/proc/mounts``), e.g. ``"ext4 /dev/vda"``; ``"unknown"`` elsewhere."""
    where = os.path.realpath(path)
    best, found = "", "unknown"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return found
    for line in mounts:
        source, point, kind = line.split()[:3]
        inside = where == point or where.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, found = point, f"{kind} {source}"
    return found


def _warm_bars(spec) -> int:
    """Bars decided before the timed ones: WARM_BARS, or the live window and 100 more."""
    return max(WARM_BARS, (spec.strategy_spec.live_window or 0) + 100)


def _warm(spec, journal: Journal, bars) -> None:
    """The first bars decided and journalled (no feed: the runner's own path)."""
    runner = Runner(spec, journal, None, start_ms=0)  # type: ignore[arg-type]
    runner.restore()  # binds the journal to the spec
    ms = bars.index.as_unit("ms").asi8
    cols = [bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
    for t in range(_warm_bars(spec)):
        runner.on_bar(Bar(int(ms[t]), *(float(c[t]) for c in cols)))


SERVER = """
import asyncio, json, sys
import pandas as pd
from soltrader.adapters.replay_server import ReplayServer

async def main():
    bars = pd.read_parquet(sys.argv[1])
    async with ReplayServer(bars, speed=float(sys.argv[2]), updates_per_bar=int(sys.argv[3])) as s:
        print(s.rest_url, s.ws_url, flush=True)
        await s.finished.wait()
        await asyncio.sleep(0.5)
        due = [s.due(k) for k in range(len(bars))]
        sent = [s.closed_sent_at.get(k) for k in range(len(bars))]
        print(json.dumps([due, sent]), flush=True)

asyncio.run(main())
"""


async def _serve(bars, warm: int, folder: Path):
    """The ``LATENCY_BARS`` bars after the first ``warm``, a replay server streaming them from
    its own process, and its REST and websocket addresses."""
    rest = bars.iloc[warm : warm + LATENCY_BARS].copy()
    rest.attrs = {}  # the loader's validation report: not for a parquet file
    rest.to_parquet(folder / "rest.parquet")
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVER, str(folder / "rest.parquet"), str(SPEED), str(UPDATES),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert server.stdout is not None
    return rest, server, (await server.stdout.readline()).decode().split()


async def _server_times(server, ms: np.ndarray) -> tuple[dict[int, float], dict[int, float]]:
    """When the server was due to close each bar and when it sent the closed kline (monotonic
    seconds by open time, epoch ms; None for a close it never sent), once it has finished."""
    assert server.stdout is not None
    due_at, sent_at = json.loads(await server.stdout.readline())
    await server.wait()
    keys = ms.tolist()
    return dict(zip(keys, due_at, strict=True)), dict(zip(keys, sent_at, strict=True))


def _percentiles(name: str, ms: np.ndarray) -> dict[str, float]:
    """``{name}_p50_ms`` and ``{name}_p99_ms`` of ``ms`` (milliseconds)."""
    return {f"{name}_{q}_ms": float(np.percentile(ms, int(q[1:]))) for q in ("p50", "p99")}


async def _latencies(spec, journal: Journal, bars, folder: Path) -> np.ndarray:
    """Latencies (s) of the bars after the warm-up, against a server in another process (the
    monotonic clock is the machine's: its schedule and our commits compare directly)."""
    rest, server, (rest_url, ws_url) = await _serve(bars, _warm_bars(spec), folder)
    ms = rest.index.as_unit("ms").asi8
    feed = KlineFeed(rest_url=rest_url, ws_url=ws_url, stale_after_s=5.0)
    done: dict[int, float] = {}
    got: dict[int, float] = {}
    cpu0: dict[int, float] = {}  # the thread's CPU clock when the kline arrived
    committed: dict[int, float] = {}
    committed_cpu: dict[int, float] = {}

    async def timed(start: int):
        async with aclosing(feed.closed(start, int(ms[-1]))) as candles:
            async for candle in candles:
                got[candle.open_time_ms] = time.monotonic()  # the closed kline arrived
                cpu0[candle.open_time_ms] = time.thread_time()
                yield candle
                done[candle.open_time_ms] = time.monotonic()  # on_bar returned

    runner = Runner(
        spec, journal, timed, start_ms=int(ms[0]), until_ms=int(ms[-1]),
        state_dir=journal.path.parent,
    )  # fmt: skip
    # the first listener: it runs right after the journal commit
    runner.subscribe(lambda event: _stamp(event, committed, committed_cpu))
    runner.restore()
    ops = Operations(runner, speed=SPEED)  # its metrics listener and HTTP server, as the CLI's
    ops.attach_feed(feed)
    gc.freeze()  # as soltrader live does after its restore
    async with ops:
        await runner.run()
    due, sent = await _server_times(server, ms)
    keys = [t for t in done if sent.get(t) is not None and due.get(t) is not None]
    return np.array(
        [
            [
                committed[t] - sent[t], got[t] - sent[t], committed[t] - got[t], sent[t] - due[t],
                committed_cpu[t] - cpu0[t], done[t] - sent[t],
            ]
            for t in keys
        ]
    )  # fmt: skip


def _stamp(event: RunEvent, committed: dict[int, float], cpu: dict[int, float]) -> None:
    """The moment a bar's journal commit returned, and the thread's CPU clock then (the
    runner's first listener)."""
    if event.kind == "bar":
        committed[event.at_ms] = time.monotonic()
        cpu[event.at_ms] = time.thread_time()


def _back_to_back(spec, bars) -> np.ndarray:
    """Seconds of ``Runner.on_bar`` for the timed bars decided one after another with nothing
    in between (no feed, no pause): the code's cost with the processor's caches warm. Bars
    100 ms apart, as in the replay, pay for cold caches as well (see the module docstring)."""
    warm = _warm_bars(spec)
    with (
        tempfile.TemporaryDirectory(dir=JOURNAL_DIR) as tmp,
        Journal(Path(tmp) / "j.sqlite") as journal,
    ):
        _warm(spec, journal, bars)
        runner = Runner(
            spec, journal, None, start_ms=0, state_dir=journal.path.parent,  # type: ignore[arg-type]
        )  # fmt: skip
        runner.restore()
        ms = bars.index.as_unit("ms").asi8
        cols = [bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
        rows = [
            Bar(int(ms[t]), *(float(c[t]) for c in cols)) for t in range(warm, warm + LATENCY_BARS)
        ]
        out = np.empty(len(rows))
        for k, bar in enumerate(rows):
            t0 = time.perf_counter()
            runner.on_bar(bar)
            out[k] = time.perf_counter() - t0
    return out


def _latency_row(name: str, bars) -> dict:
    spec = _spec(name)
    with (
        tempfile.TemporaryDirectory(dir=JOURNAL_DIR) as tmp,
        Journal(Path(tmp) / "j.sqlite") as journal,
    ):
        _warm(spec, journal, bars)
        parts = asyncio.run(_latencies(spec, journal, bars, Path(tmp))) * 1e3
        sync = journal.synchronous
        fs = _file_system(Path(tmp))
    hot = _back_to_back(spec, bars) * 1e3
    lat, wire, decide, late, cpu, free = (parts[:, k] for k in range(6))
    return {
        "case": f"bar close -> intent {name}",
        "bars": len(lat),
        "messages_per_s": MESSAGES_PER_S,
        "window": spec.strategy_spec.live_window or "all",
        "history_bars": _warm_bars(spec),
        "journal_synchronous": sync,
        "journal_fs": fs,
        "p50_ms": float(np.percentile(lat, 50)),
        "p99_ms": float(np.percentile(lat, 99)),
        "max_ms": float(lat.max()),
        **_percentiles("loop_free", free),  # kline sent -> on_bar returned
        **_percentiles("wire", wire),  # kline sent -> kline received
        **_percentiles("decide", decide),  # received -> journal commit
        **_percentiles("decide_cpu", cpu),  # the thread's CPU time in it
        **_percentiles("server_late", late),  # scheduled close -> kline sent
        **_percentiles("back_to_back", hot),  # on_bar, warm caches
    }


FLOOR_FAST, FLOOR_SLOW = 10, 50


@numba.njit(cache=True)
def _floor_decide(close: np.ndarray, n: int) -> int:
    """The floor's whole decision: a fast and a slow mean of the last closes, long when the
    fast one is above (1) or flat (0)."""
    fast = 0.0
    slow = 0.0
    for i in range(n - FLOOR_FAST, n):
        fast += close[i]
    for i in range(n - FLOOR_SLOW, n):
        slow += close[i]
    return 1 if fast / FLOOR_FAST > slow / FLOOR_SLOW else 0


async def _floor(bars, folder: Path) -> np.ndarray:
    """Latencies (s) of the least a live loop in Python can do per closed bar, against the same
    server and stream: the websockets client's receive, ``json.loads``, one compiled call on the
    closes, and one row committed to SQLite (WAL, ``synchronous=NORMAL``). No candle check, no
    risk, no paper fills, no history of intents: a reference for what the machine itself costs."""
    rest, server, (_, ws_url) = await _serve(bars, WARM_BARS, folder)
    ms = rest.index.as_unit("ms").asi8
    db = sqlite3.connect(folder / "floor.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE bars (open_time_ms INTEGER PRIMARY KEY, open REAL, high REAL, low REAL, "
        "close REAL, volume REAL, signal INTEGER)"
    )
    close = np.zeros(WARM_BARS + len(rest))
    close[:WARM_BARS] = bars["close"].to_numpy()[:WARM_BARS]
    n = WARM_BARS
    _floor_decide(close, n)
    got: dict[int, float] = {}
    done: dict[int, float] = {}
    gc.freeze()
    async with connect(ws_url) as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["solusdt@kline_1m"], "id": 1}))
        while len(done) < len(rest):
            k = json.loads(await ws.recv()).get("k")
            if not k or not k["x"]:
                continue
            got[k["t"]] = time.monotonic()
            close[n] = float(k["c"])
            n += 1
            signal = _floor_decide(close, n)
            row = (k["t"], float(k["o"]), float(k["h"]), float(k["l"]), close[n - 1],
                   float(k["v"]), signal)  # fmt: skip
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO bars VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            db.execute("COMMIT")
            done[k["t"]] = time.monotonic()
    db.close()
    _, sent = await _server_times(server, ms)
    keys = [t for t in done if sent.get(t) is not None]
    return np.array([[done[t] - sent[t], got[t] - sent[t], done[t] - got[t]] for t in keys])


def _floor_row(bars) -> dict:
    with tempfile.TemporaryDirectory(dir=JOURNAL_DIR) as tmp:
        parts = asyncio.run(_floor(bars, Path(tmp))) * 1e3
        fs = _file_system(Path(tmp))
    lat, wire, decide = (parts[:, k] for k in range(3))
    return {
        "case": "bar close -> commit, the floor: receive, json, one compiled call, one row",
        "bars": len(lat),
        "messages_per_s": MESSAGES_PER_S,
        "journal_synchronous": "NORMAL",
        "journal_fs": fs,
        "p50_ms": float(np.percentile(lat, 50)),
        "p99_ms": float(np.percentile(lat, 99)),
        "max_ms": float(lat.max()),
        **_percentiles("wire", wire),
        **_percentiles("decide", decide),
    }


def _cold_work(table: dict[int, tuple[int, float]], prices: np.ndarray) -> float:
    """A fixed bit of interpreter, numpy and dict work (the cold-cache probe's)."""
    for j in range(20):
        table[j] = (j, float(j))
    return sum(v[1] for v in table.values()) + float(prices[-200:].mean())


def _cold_row() -> dict:
    """The same small piece of work back to back and after 100 ms idle: how much slower this
    machine runs code whose caches went cold (the latency rows pay it on every bar)."""
    prices = np.linspace(1.0, 2.0, 2_000)
    table: dict[int, tuple[int, float]] = {}
    for _ in range(50):
        _cold_work(table, prices)
    warm, cold = np.empty(100), np.empty(100)
    for k in range(100):
        t0 = time.perf_counter()
        _cold_work(table, prices)
        warm[k] = time.perf_counter() - t0
    for k in range(100):
        time.sleep(0.1)
        t0 = time.perf_counter()
        _cold_work(table, prices)
        cold[k] = time.perf_counter() - t0
    return {
        "case": "the same small work back to back and after 100 ms idle",
        "warm_p50_us": float(np.median(warm) * 1e6),
        "cold_p50_us": float(np.median(cold) * 1e6),
        "cold_over_warm": float(np.median(cold) / np.median(warm)),
    }


def _day_row(speed: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:DAY]
        data = folder / "day.csv"
        bars.reset_index().to_csv(data, index=False)
        spec = st.promote(
            st.strategies.sma_cross, {"fees": 0.001}, folder / "live" / "sma.toml",
            symbol="SOL/USDT", timeframe="1m",
        )  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "soltrader.cli", "live", str(spec), "--replay", str(data)]
        if speed != "max":
            cmd += ["--speed", speed]
        subprocess.run(cmd, check=True, capture_output=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "case": f"1 day of 1m bars, speed {speed}",
        "bars": DAY,
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_rss_mb": after.ru_maxrss / 1024.0,  # the largest child so far (Linux: KiB)
    }


def run() -> list[dict]:
    bars = read_sample_bars("binance", "SOL-USDT", "1m")
    chosen = os.environ.get("SOLTRADER_BENCH_LIVE_STRATEGIES", ",".join(STRATEGIES))
    rows = [_cold_row(), _floor_row(bars)]
    rows += [_latency_row(name.strip(), bars) for name in chosen.split(",") if name.strip()]
    if os.environ.get("SOLTRADER_BENCH_LIVE_DAY", "1") == "0":
        return rows
    rows.append(_day_row("max"))
    if os.environ.get("SOLTRADER_BENCH_LIVE_PACED", "1") != "0":
        rows.append(_day_row("100"))
    return rows
