"""The ccxt venue on loopback: orders per second, intent -> acknowledged and intent -> final
latency, and exchange calls per order.

The real ``ccxt.async_support.binance`` client trades through :class:`CcxtVenue` against the
simulated Binance spot account of the tests (:class:`tests.binance_spot.BinanceSpot`: 0.1 %
commission in the asset received, Binance's default filters, 1,000,000 USDT and 1,000 SOL,
market orders filled at once from an infinitely deep book, the fills in the create reply).

The simulator runs **in a separate process**, serving on 127.0.0.1, as an exchange would: the
client and the server do not share an event loop (on two cores each has one to itself). The
figures therefore hold the loopback HTTP hop and the time the server takes to answer, but the
server's CPU is not spent in the client's loop. No faults; ccxt's own throttle is off and the
venue's :class:`RateLimiter` admits 100,000 calls per second (it never waits). The venue
journals every order in a SQLite journal (WAL, ``synchronous=NORMAL``) as it would live, and
follows orders by REST (no user-data stream).

``ORDERS`` market intents, alternately a buy of ``BUY_QUOTE`` USDT (a quote budget: Binance's
``quoteOrderQty``) and a sell of ``SELL_BASE`` SOL (base units), are executed

* one after another (one in flight), and
* by ``IN_FLIGHT`` concurrent :meth:`CcxtVenue.execute` calls (workers each taking the next
  intent as soon as theirs has ended),

each run against a fresh simulator process, client, venue and journal, after ``WARM`` orders
one after another (markets loaded, connections open), so that each run starts from an
empty account. For each run:

* **orders per second**: ``ORDERS`` / the run's wall time;
* **intent -> acknowledged** (``ack``): from calling ``execute`` to the moment the venue holds
  the exchange's acceptance (its store's ``update_venue_order(..., "accepted")`` is called: the
  order book read that prices the order, the journal write before the send and the create
  round trip are inside), p50 / p99;
* **create round trip** (``create``): ccxt's ``create_order`` alone (sign, send, answer,
  parse), p50 / p99;
* **intent -> final** (``final``): from calling ``execute`` to its :class:`Execution` (the
  order final, its trades seen, booked and journaled), p50 / p99;
* **calls per order**: the exchange calls in ``venue.calls`` per order (by method in
  ``calls``), and the HTTP requests the server received per order (a cross-check: ccxt makes
  no request the venue does not count);
* the CPU milliseconds per order of the client process and of the server process.

Never asserts a time.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from soltrader.adapters.ccxt_venue import CcxtVenue, client_order_id
from soltrader.adapters.resilience import RateLimiter
from soltrader.domain.state import IntentReason, QuantityUnit, intent_dt
from soltrader.runtime.journal import Journal
from tests.ccxt_world import sample_frame, simulator

ORDERS = 300
IN_FLIGHT = 8
WARM = 20  # orders before the measured runs (markets loaded, connections open)
BUY_QUOTE = 20.0  # USDT per buy (about 0.33 SOL at the bars' ~60.7 USDT)
SELL_BASE = 0.25  # SOL per sell
BARS = 10
BALANCES = {"USDT": 1_000_000, "SOL": 1_000}
RATE = 100_000  # venue limiter: calls per second (never throttles here)
REPO = Path(__file__).resolve().parents[2]

SERVER = """
import asyncio, json, sys, time
from tests.ccxt_world import sample_frame, simulator

async def main():
    sim = simulator(sample_frame(int(sys.argv[1])), balances=json.loads(sys.argv[2]))
    async with sim:
        print(sim.url, flush=True)
        loop = asyncio.get_running_loop()
        while await loop.run_in_executor(None, sys.stdin.readline):  # a line: the counts
            print(json.dumps({"requests": len(sim.requests), "orders": len(sim.orders),
                              "cpu_s": time.process_time()}), flush=True)

asyncio.run(main())
"""


class _Server:
    """The simulator in its own process: its URL, and its counts on request."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process = process
        self.url = url

    @classmethod
    async def start(cls) -> _Server:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", SERVER, str(BARS), json.dumps(BALANCES), cwd=REPO,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        try:
            url = (await asyncio.wait_for(process.stdout.readline(), 30.0)).decode().strip()
        except TimeoutError:
            url = ""
        if not url.startswith("http://"):
            if process.returncode is None:
                process.kill()
            await process.wait()
            raise RuntimeError(f"the simulator did not start (said {url!r})")
        return cls(process, url)

    async def counts(self) -> dict[str, Any]:
        """Requests and orders received so far, and the server's CPU seconds."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(b"\n")
        await self.process.stdin.drain()
        return json.loads(await asyncio.wait_for(self.process.stdout.readline(), 10.0))

    async def stop(self) -> None:
        """Close its stdin (it exits); killed if it has not within 5 s."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5.0)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def _intent(cid: int) -> np.ndarray:
    """Intent ``cid``: a buy of BUY_QUOTE USDT when even, a sell of SELL_BASE SOL when odd."""
    rec = np.zeros((), dtype=intent_dt)
    buy = cid % 2 == 0
    rec["client_id"] = cid
    rec["side"] = 1 if buy else -1
    rec["unit"] = QuantityUnit.QUOTE if buy else QuantityUnit.BASE
    rec["quantity"] = BUY_QUOTE if buy else SELL_BASE
    rec["reason"] = IntentReason.ENTRY if buy else IntentReason.EXIT
    return rec


class _Timed:
    """The venue with its acknowledgements and create round trips timed (perf_counter s)."""

    def __init__(self, venue: CcxtVenue, journal: Journal) -> None:
        self.venue = venue
        self.accepted: dict[str, float] = {}  # client order id -> acknowledged at
        self.creates: list[float] = []  # create_order round trips
        update, create = journal.update_venue_order, venue.exchange.create_order

        def timed_update(client_order_id: str, state: str, **kw: Any) -> None:
            if state == "accepted":
                self.accepted.setdefault(client_order_id, time.perf_counter())
            update(client_order_id, state, **kw)

        async def timed_create(*args: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await create(*args, **kw)
            finally:
                self.creates.append(time.perf_counter() - t0)

        journal.update_venue_order = timed_update  # type: ignore[method-assign]
        venue.exchange.create_order = timed_create

    async def run(self, cids: range, in_flight: int) -> tuple[float, np.ndarray, np.ndarray]:
        """Execute the intents ``cids`` by ``in_flight`` workers; the wall time (s) and, per
        intent, its ack and final latency (s)."""
        started: dict[int, float] = {}
        final: dict[int, float] = {}
        todo: Iterator[int] = iter(cids)

        async def worker() -> None:
            for cid in todo:  # shared: each worker takes the next intent
                started[cid] = time.perf_counter()
                execution = await self.venue.execute(_intent(cid))
                final[cid] = time.perf_counter()
                if execution.fill is None:
                    raise RuntimeError(f"intent {cid} refused: {execution.refused}")

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        wall = time.perf_counter() - t0
        ack = np.array([self.accepted[client_order_id(c)] - started[c] for c in cids])
        done = np.array([final[c] - started[c] for c in cids])
        return wall, ack, done


def _ms(seconds: list[float] | np.ndarray, q: float) -> float:
    """The ``q``-th percentile of ``seconds``, in milliseconds."""
    return float(np.percentile(np.asarray(seconds) * 1e3, q))


async def _row(timed: _Timed, server: _Server, cids: range, in_flight: int) -> dict:
    """One measured run of the intents ``cids`` by ``in_flight`` workers, as a result row."""
    venue, n = timed.venue, len(cids)
    before, calls0, creates0 = await server.counts(), len(venue.calls), len(timed.creates)
    cpu0 = time.process_time()
    wall, ack, done = await timed.run(cids, in_flight)
    cpu = time.process_time() - cpu0
    after = await server.counts()
    by_method = Counter(name for _, name in venue.calls[calls0:])
    creates = timed.creates[creates0:]
    case = "one after another" if in_flight == 1 else f"{in_flight} concurrent execute"
    return {
        "case": case,
        "orders": n,
        "wall_s": wall,
        "orders_per_s": n / wall,
        "ack_p50_ms": _ms(ack, 50),
        "ack_p99_ms": _ms(ack, 99),
        "create_p50_ms": _ms(creates, 50),
        "create_p99_ms": _ms(creates, 99),
        "final_p50_ms": _ms(done, 50),
        "final_p99_ms": _ms(done, 99),
        "calls_per_order": sum(by_method.values()) / n,
        "requests_per_order": (after["requests"] - before["requests"]) / n,
        "exchange_orders": after["orders"] - before["orders"],
        "client_cpu_ms_per_order": cpu * 1e3 / n,
        "server_cpu_ms_per_order": (after["cpu_s"] - before["cpu_s"]) * 1e3 / n,
        "calls": ", ".join(f"{name} {k / n:g}" for name, k in by_method.items()),
    }


async def _measure(journal_path: Path, in_flight: int) -> dict:
    """A fresh simulator process, client, venue and journal; the warm-up, then one measured
    run (the simulator's per-request work grows with the orders and requests it holds, so each
    run starts from an empty account)."""
    server = await _Server.start()
    try:
        stand_in = simulator(sample_frame(BARS))  # the client side only: credentials, URLs
        stand_in.url = server.url
        exchange = stand_in.ccxt_exchange(timeout_ms=2_000)
        exchange.options["recvWindow"] = 1_000
        try:
            with Journal(journal_path) as journal:
                venue = CcxtVenue(exchange, "SOL/USDT", journal, RateLimiter(RATE, 1.0),
                                  recv_window_ms=1_000, skew_ms=200, poll_s=0.02)  # fmt: skip
                timed = _Timed(venue, journal)
                await timed.run(range(1, WARM + 1), 1)
                return await _row(timed, server, range(WARM + 1, WARM + 1 + ORDERS), in_flight)
        finally:
            await exchange.close()
    finally:
        await server.stop()


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        return [asyncio.run(_measure(Path(tmp) / f"journal-{k}.sqlite", k)) for k in (1, IN_FLIGHT)]
