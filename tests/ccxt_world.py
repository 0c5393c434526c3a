"""What the ccxt venue's tests share: real bars, a simulated Binance spot account over them, the
spec of a ``venue = "ccxt"`` run pointed at it, and the runs (paper, and through the venue).

The feed yields bar ``t`` once the simulator has opened bar ``t + 1`` (the orders decided at
``t``'s close execute at ``t + 1``'s open, as the paper fill model fills them) and once every
order of bar ``t - 1`` has ended, so the venue run and the paper run see the same prices.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from soltrader.domain.bar import Bar
from soltrader.engine.live_spec import CONFIRM_REAL_MONEY, LiveSpec, parse_live_spec
from soltrader.runtime.journal import Journal
from soltrader.runtime.runner import Runner, RunSummary
from soltrader.runtime.venues import ccxt_venue
from tests.bar_feed import feed
from tests.binance_spot import BinanceSpot, Filters
from tests.conftest import read_sample_bars

INIT_CASH = 1_000.0  # USDT
FEE = 0.001
KEY, SECRET = "ccxt-test-key-0123456789", "ccxt-test-secret-9876543210"
#: The paper fill model's grid: every amount is representable (no lot rounding to speak of).
FINE = Filters(step_size="0.00000001", min_qty="0.00000001", min_notional="1")


def sample_frame(n: int, start: int = 0) -> Any:
    """``n`` bundled Binance SOL/USDT 1m bars from ``start`` (a pandas frame)."""
    return read_sample_bars("binance", "SOL-USDT", "1m").iloc[start : start + n]


def spec(venue: str = "ccxt", **ccxt: Any) -> LiveSpec:
    """``sma_cross`` (3 / 8) all in and all out on SOL/USDT 1m, 0.1 % fees, its venue
    ``venue``; ``ccxt`` overrides keys of the ``[ccxt]`` table."""
    table = {
        "exchange": "binance", "key_env": "CCXT_TEST_KEY", "secret_env": "CCXT_TEST_SECRET",
        "api_url_env": "CCXT_TEST_URL", "max_calls": 1_000, "per_s": 1.0,
        "recv_window_ms": 1_000, "skew_ms": 200, "poll_s": 0.02, "resolve_timeout_s": 20.0,
        "timeout_ms": 2_000, **ccxt,
    }  # fmt: skip
    return parse_live_spec(
        {
            "data": {"symbol": "SOL/USDT", "timeframe": "1m"},
            "strategy": {"name": "sma_cross"},
            "params": {"fast": 3, "slow": 8, "init_cash": INIT_CASH, "fees": FEE},
            "live": {"venue": venue, "confirm": CONFIRM_REAL_MONEY},
            "risk": {"kill_drawdown": 0.5},
            "ccxt": table,
        }
    )


def environ(sim: BinanceSpot) -> dict[str, str]:
    """The environment a ``soltrader live --live`` of :func:`spec` reads."""
    return {"CCXT_TEST_KEY": KEY, "CCXT_TEST_SECRET": SECRET, "CCXT_TEST_URL": sim.url}


def simulator(frame: Any, **kw: Any) -> BinanceSpot:
    """A simulated account holding INIT_CASH USDT over ``frame``'s bars, 0.1 % fees."""
    kw.setdefault("balances", {"USDT": INIT_CASH})
    return BinanceSpot(
        frame, api_key=KEY, secret=SECRET, maker_fee=FEE, taker_fee=FEE, **kw
    )  # fmt: skip


async def paper_run(live_spec: LiveSpec, path: Path, rows: list[Bar]) -> Journal:
    """The spec run on the paper venue (its ``[live] venue`` set to paper)."""
    live = live_spec.live.model_copy(update={"venue": "paper"})
    paper = live_spec.model_copy(update={"live": live})
    journal = Journal(path)
    runner = Runner(paper, journal, feed(rows), start_ms=rows[0].open_time_ms,
                    until_ms=rows[-1].open_time_ms)  # fmt: skip
    await runner.run()
    return journal


async def venue_run(
    sim: BinanceSpot, live_spec: LiveSpec, journal: Journal, rows: list[Bar]
) -> tuple[RunSummary, list[Any], Runner]:
    """The spec run through the ccxt venue against ``sim`` (already serving), the simulator's
    cursor kept one bar ahead of the feed; returns the summary, the executions not booked yet
    and the runner."""
    async with AsyncExitStack() as stack:
        venue = await stack.enter_async_context(
            ccxt_venue(live_spec, journal, environ=environ(sim))
        )
        holder: dict[str, Runner] = {}

        async def before_bar(t: int) -> None:
            await holder["runner"].drain()  # bar t - 1's orders ended at bar t's open
            sim.bar = min(t + 1, len(rows) - 1)

        runner = Runner(live_spec, journal, feed(rows, before_bar),
                        start_ms=rows[0].open_time_ms, until_ms=rows[-1].open_time_ms,
                        venue=venue)  # fmt: skip
        holder["runner"] = runner
        summary = await runner.run()
        unbooked = await runner.drain() if summary.stopped == "end" else []
    return summary, unbooked, runner
