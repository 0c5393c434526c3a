"""The Solana venue on loopback: quote -> signed -> sent latency, and swaps per second.

Against the LiteSVM-backed JSON-RPC server and the Jupiter-shaped server of the tests (both in
this process, on 127.0.0.1, one event loop: the servers' time is inside the figures), a wallet
swaps 0.01 units of a 9-decimal base mint for a 6-decimal quote mint, ``SWAPS`` times:

* **quote -> signed -> sent**: from the quote request to the signed transaction accepted by
  ``sendTransaction`` (quote, build, sign, simulate, journal the signature, send), p50 / p99;
* **swaps per second**: the whole :meth:`SwapExecutor.execute` (also the landing, the status
  polls and the booking from balances) back to back, blocks produced every 2 ms so landing
  waits little.

Never asserts a time.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

import numpy as np

from soltrader.adapters.solana_swap import SwapRequest
from tests.solana_rpc import RpcEndpoint
from tests.solana_world import Setup

SWAPS = 200
AMOUNT = 10**7  # 0.01 base units


async def _latencies(folder: Path) -> tuple[np.ndarray, float, int]:
    setup = Setup(folder)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(setup.chain.producing(0.002))
        setup.node = await stack.enter_async_context(RpcEndpoint(setup.chain))
        await stack.enter_async_context(setup.server)
        executor = await setup.executor(stack)
        executor._rebroadcast_s = 0.002  # poll as fast as blocks come
        started: list[float] = []
        sent_at: list[float] = []
        original_send = setup.rpc.send

        async def timed_send(tx):  # the first send of each signature closes the measurement
            signature = await original_send(tx)
            if len(sent_at) < len(started):
                sent_at.append(time.perf_counter())
            return signature

        setup.rpc.send = timed_send  # type: ignore[method-assign]
        await executor.execute(SwapRequest(10**6, setup.base, setup.quote, AMOUNT, 50))  # warm
        sent_at.clear()
        t0 = time.perf_counter()
        for i in range(SWAPS):
            started.append(time.perf_counter())
            result = await executor.execute(SwapRequest(i + 1, setup.base, setup.quote, AMOUNT, 50))
            assert result.state == "landed"
        wall = time.perf_counter() - t0
        lat = np.array(sent_at) - np.array(started)
        return lat, wall, len(setup.chain.landed)


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        lat, wall, landed = asyncio.run(_latencies(Path(tmp)))
    ms = lat * 1e3
    return [
        {
            "case": "quote -> signed -> sent (loopback, LiteSVM)",
            "swaps": SWAPS,
            "p50_ms": float(np.percentile(ms, 50)),
            "p99_ms": float(np.percentile(ms, 99)),
            "max_ms": float(ms.max()),
        },
        {
            "case": "swaps executed back to back (quote to booked)",
            "swaps": SWAPS,
            "wall_s": wall,
            "swaps_per_s": SWAPS / wall,
            "landed": landed,
        },
    ]
