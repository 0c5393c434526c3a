"""DEX market data against GeckoTerminal- and Birdeye-shaped servers on 127.0.0.1 (tests/
dex_servers.py): quotas kept under concurrent load, failover on a minute of 429s, on outages and
on slow replies, a cache that makes no request the second time, every bad answer refused with
its reason code, a 184-token universe screened without a 429, the CLI, and keys that never show.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pandas as pd
import pytest

from soltrader.adapters import dex_providers
from soltrader.adapters.dex_data import DexFailoverError, DexMarketData
from soltrader.adapters.dex_providers import (
    Birdeye,
    DexRateLimitedError,
    GeckoTerminal,
    Policy,
    Quota,
)
from soltrader.adapters.resilience import BreakerState
from soltrader.adapters.store import read_year_file
from soltrader.cli import main
from soltrader.domain.errors import DataError
from soltrader.domain.ports import DexData, candle_dt
from soltrader.domain.secret import Secret
from soltrader.strategies.universe import screen_snapshots
from tests.dex_servers import (
    BAD_KINDS,
    POOLS,
    SOL_POOL,
    BirdeyeServer,
    FakeClock,
    GeckoServer,
    both,
    closed_port,
    expected,
    in_thread,
    make_universe,
    tightest_window,
)

pytestmark = pytest.mark.timeout(60)

KEY = "SENTINEL-birdeye-key-5e1d"
DAY = 86_400_000
T0 = int(pd.Timestamp("2024-03-01", tz="UTC").value // 1_000_000)
ETH_POOL = list(POOLS)[1]
FAST = Policy(timeout_s=2.0, attempts=3, backoff_base_s=0.01, backoff_cap_s=0.05)
CODES = {
    "missing_field": "missing_field",
    "nan": "nan",
    "negative_volume": "negative_volume",
    "unsorted": "unsorted",
    "duplicate": "duplicate_timestamp",
}


def table(candles: np.ndarray) -> np.ndarray:
    """A candle_dt array as rows of (open time, o, h, l, c, v) floats, to compare."""
    assert candles.dtype == candle_dt
    return np.column_stack([candles[n].astype(np.float64) for n in candle_dt.names])


def same(candles: np.ndarray, pool: str, lo: int, hi: int, tf: str = "1h") -> bool:
    want = expected(pool, tf, lo, hi)
    return len(candles) == len(want) > 0 and bool(np.array_equal(table(candles), want))


@pytest.fixture(autouse=True)
def fresh_guards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no provider limiter or breaker in the process.

    The guards are shared per (provider, base URL), and the servers listen on ephemeral ports:
    a server of an earlier test may have had this test's port, and its guard (another quota, or
    a breaker opened by an outage) would otherwise carry over.
    """
    monkeypatch.setattr(dex_providers, "_GUARDS", {})


def report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    """Print a figure into the test output even without ``-s``."""
    with capsys.disabled():
        print(f"\n[dex] {text}")


# --------------------------------------------------------------------------- quota


def test_the_servers_quota_check_counts_a_burst_beyond_it() -> None:
    async def main_() -> tuple[list[int], int]:
        async with GeckoServer(quota=(5, 60.0)) as server, aiohttp.ClientSession() as http:

            async def one() -> int:
                async with http.get(f"{server.base}/networks/solana/pools") as reply:
                    return reply.status

            statuses = await asyncio.gather(*(one() for _ in range(8)))
            return statuses, server.violations

    statuses, violations = asyncio.run(main_())
    assert sorted(statuses) == [200] * 5 + [429] * 3 and violations == 3


def test_quota_is_never_exceeded_under_concurrent_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    patient = FAST._replace(wait_budget_s=30.0)

    async def main_(gt: GeckoServer, be: BirdeyeServer) -> tuple[Any, ...]:
        gecko = GeckoTerminal(gt.base, quota=Quota(20, 1.0, 0.25), policy=patient, page_limit=24)
        bird = Birdeye(be.base, quota=Quota(10, 1.0, 0.25), policy=patient, page_limit=24)
        async with (
            DexMarketData([gecko], data_dir=tmp_path / "g") as g,
            DexMarketData([bird], data_dir=tmp_path / "b") as b,
        ):
            days = [T0 + k * DAY for k in range(60)]
            start = time.perf_counter()
            jobs = [g.pool_ohlcv(SOL_POOL, "1h", since_ms=d, until_ms=d + DAY) for d in days]
            jobs += [b.pool_ohlcv(ETH_POOL, "4h", since_ms=d, until_ms=d + DAY) for d in days[:30]]
            results = await asyncio.gather(*jobs)
            elapsed = time.perf_counter() - start
            acquired = (gecko.providers()[0].limiter.acquired, bird.providers()[0].limiter.acquired)
        return results, days, elapsed, acquired

    # the servers run in threads of their own, as remote servers would: the client's work
    # (parsing, parquet writes) cannot delay when they see a request
    universe = make_universe(n_tokens=4, n_pools=4)
    with (
        in_thread(GeckoServer(universe=universe, quota=(20, 1.0))) as gt,
        in_thread(BirdeyeServer(universe=universe, quota=(10, 1.0))) as be,
    ):
        assert isinstance(gt, GeckoServer) and isinstance(be, BirdeyeServer)
        results, days, elapsed, acquired = asyncio.run(main_(gt, be))
    report(capsys, f"90 concurrent requests in {elapsed:.2f} s; server violations "
           f"geckoterminal={gt.violations} birdeye={be.violations}; the tightest 21 and 11 "
           f"requests took {tightest_window(gt.arrivals, 20):.3f} s and "
           f"{tightest_window(be.arrivals, 10):.3f} s (quota window 1 s)")  # fmt: skip
    assert gt.violations == be.violations == 0 and gt.throttled == be.throttled == 0
    assert (gt.requests, be.requests) == (60, 30) == acquired
    assert all(same(r, SOL_POOL, d, d + DAY) for r, d in zip(results[:60], days, strict=True))
    assert all(
        same(r, ETH_POOL, d, d + DAY, "4h") for r, d in zip(results[60:], days[:30], strict=True)
    )


# --------------------------------------------------------------------------- failover


def test_failover_while_the_first_provider_answers_429_for_a_minute(tmp_path: Path) -> None:
    clock = FakeClock()

    async def main_() -> tuple[Any, ...]:
        async with both(clock=clock, birdeye_api_key=KEY) as (gt, be):
            gt.faults.throttle_for(60.0)
            gecko = GeckoTerminal(gt.base, policy=FAST, clock=clock, sleep=clock.sleep)
            bird = Birdeye(
                be.base, api_key=Secret(KEY), policy=FAST, clock=clock, sleep=clock.sleep
            )
            async with DexMarketData(
                [gecko, bird], data_dir=tmp_path, clock=clock, sleep=clock.sleep
            ) as data:
                assert isinstance(data, DexData)
                windows = [(T0 + k * 2 * DAY, T0 + (k + 1) * 2 * DAY) for k in range(3)]
                got, seen = [], []
                for k, (lo, hi) in enumerate(windows):
                    if k == 2:
                        clock.advance(61.0)  # the minute is over
                    got.append(await data.fetch_ohlcv(SOL_POOL, "1h", since_ms=lo, until_ms=hi))
                    seen.append((gt.requests, be.requests))
                providers = data.providers()
            return got, seen, windows, gt, providers

    got, seen, windows, gt, providers = asyncio.run(main_())
    assert [g.served_by for g in got] == [("birdeye",), ("birdeye",), ("geckoterminal",)]
    # one request met the 429; during the minute the limiter keeps GeckoTerminal untouched
    assert seen == [(1, 1), (1, 2), (2, 2)] and gt.throttled == 1
    assert [p.name for p in providers] == ["geckoterminal", "birdeye"]
    assert providers[0].limiter.penalized == 1
    assert all(same(g.candles, SOL_POOL, lo, hi) for g, (lo, hi) in zip(got, windows, strict=True))


def test_outages_retry_then_open_the_breaker_then_fail_over(tmp_path: Path) -> None:
    clock = FakeClock()
    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)
        await clock.sleep(s)

    async def main_() -> tuple[Any, ...]:
        async with both(clock=clock) as (gt, be):
            gecko = GeckoTerminal(gt.base, policy=FAST, clock=clock, sleep=sleep)
            bird = Birdeye(be.base, policy=FAST, clock=clock, sleep=sleep)
            refused = GeckoTerminal(
                closed_port() + "/api/v2", policy=FAST, clock=clock, sleep=sleep
            )
            timing = {"clock": clock, "sleep": sleep}
            async with (
                DexMarketData([gecko, bird], data_dir=tmp_path / "a", **timing) as data,
                DexMarketData([refused, bird], data_dir=tmp_path / "b", **timing) as other,
            ):
                log = []

                async def fetch(k: int, market: DexMarketData = data) -> None:
                    lo = T0 + k * DAY
                    got = await market.fetch_ohlcv(SOL_POOL, "1h", since_ms=lo, until_ms=lo + DAY)
                    assert same(got.candles, SOL_POOL, lo, lo + DAY)
                    log.append((got.served_by, gt.requests, be.requests))

                gt.faults.fail = 2  # two 500s, then the third attempt succeeds
                await fetch(0)
                retry_waits = list(waits)
                gt.faults.fail = 100  # a long outage: three failures open the breaker
                await fetch(1)
                state = gecko.providers()[0].breaker.state
                await fetch(2)  # the open breaker: no request to GeckoTerminal at all
                clock.advance(61.0)
                gt.faults.fail = 0
                await fetch(3)  # half-open: one probe, which succeeds
                await fetch(4, other)  # nothing listens there: connection refused
            return log, retry_waits, state, refused.requests

    log, retry_waits, state, refused_requests = asyncio.run(main_())
    assert log[0] == (("geckoterminal",), 3, 0) and len(retry_waits) == 2
    assert all(0 <= w <= 0.05 for w in retry_waits)
    assert log[1] == (("birdeye",), 6, 1) and state is BreakerState.OPEN
    assert log[2] == (("birdeye",), 6, 2)
    assert log[3] == (("geckoterminal",), 7, 2)
    assert log[4][0] == ("birdeye",) and refused_requests == 3


def test_slow_replies_time_out_and_fail_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = FAST._replace(timeout_s=0.2, attempts=2)

    async def main_() -> tuple[Any, ...]:
        async with both() as (gt, be):
            gt.faults.slow_s = 1.5
            sources = [GeckoTerminal(gt.base, policy=policy), Birdeye(be.base, policy=policy)]
            async with DexMarketData(sources, data_dir=tmp_path) as data:
                start = time.perf_counter()
                got = await data.fetch_ohlcv(SOL_POOL, "1h", since_ms=T0, until_ms=T0 + DAY)
                return got, gt.requests, time.perf_counter() - start

    got, slow_requests, elapsed = asyncio.run(main_())
    assert got.served_by == ("birdeye",) and slow_requests == 2
    report(capsys, f"two 0.2 s timeouts against 1.5 s replies, then the other provider: "
           f"{elapsed:.2f} s")  # fmt: skip
    assert same(got.candles, SOL_POOL, T0, T0 + DAY)


def test_every_provider_failing_is_one_error_naming_each(tmp_path: Path) -> None:
    async def main_() -> DexFailoverError:
        sources = [
            GeckoTerminal(closed_port() + "/api/v2", policy=FAST._replace(attempts=1)),
            Birdeye(closed_port(), policy=FAST._replace(attempts=1)),
        ]
        async with DexMarketData(sources, data_dir=tmp_path) as data:
            with pytest.raises(DexFailoverError) as failed:
                await data.fetch_universe()
            return failed.value

    error = asyncio.run(main_())
    assert [f.provider for f in error.failures] == ["geckoterminal", "birdeye"]
    assert "no DEX provider could serve the universe" in str(error)


# --------------------------------------------------------------------------- cache


def test_the_second_run_of_a_request_makes_no_http_call(tmp_path: Path) -> None:
    async def main_() -> tuple[Any, ...]:
        async with both() as (gt, be):
            async with DexMarketData([GeckoTerminal(gt.base, policy=FAST)], data_dir=tmp_path) as a:
                first = await a.fetch_ohlcv(SOL_POOL, "1h", since_ms=T0, until_ms=T0 + 14 * DAY)
            after_first = gt.requests
            async with DexMarketData([GeckoTerminal(gt.base, policy=FAST)], data_dir=tmp_path) as b:
                second = await b.fetch_ohlcv(SOL_POOL, "1h", since_ms=T0, until_ms=T0 + 14 * DAY)
                inside = await b.pool_ohlcv(
                    SOL_POOL, "1h", since_ms=T0 + DAY, until_ms=T0 + 2 * DAY
                )
            after_second = gt.requests
            # a wider window: only the two missing ends are fetched, here by the other provider
            async with DexMarketData([Birdeye(be.base, policy=FAST)], data_dir=tmp_path) as c:
                wider = await c.fetch_ohlcv(
                    SOL_POOL, "1h", since_ms=T0 - 7 * DAY, until_ms=T0 + 21 * DAY
                )
            return first, second, inside, wider, after_first, after_second, be

    first, second, inside, wider, after_first, after_second, be = asyncio.run(main_())
    assert first.requests == after_first == 1 and first.added == len(first.candles)
    assert second.requests == 0 and after_second == after_first and second.served_by == ()
    assert np.array_equal(first.candles, second.candles)
    assert same(inside, SOL_POOL, T0 + DAY, T0 + 2 * DAY)
    assert wider.requests == be.requests == 2 and wider.served_by == ("birdeye",)
    assert wider.added == len(wider.candles) - len(first.candles)
    assert same(wider.candles, SOL_POOL, T0 - 7 * DAY, T0 + 21 * DAY)
    stored = read_year_file(first.folder / "2024.parquet")  # the store's own reader
    assert len(stored.ts) == len(wider.candles) and np.all(np.diff(stored.ts) > 0)
    assert first.folder == tmp_path / "cache" / "dex" / "solana" / SOL_POOL / "1h"


def test_an_answer_without_any_candle_is_asked_again(tmp_path: Path) -> None:
    before_listing = int(pd.Timestamp("2019-06-01", tz="UTC").value // 1_000_000)

    async def main_() -> tuple[Any, ...]:
        async with both() as (gt, _be):
            async with DexMarketData([GeckoTerminal(gt.base, policy=FAST)], data_dir=tmp_path) as d:
                window = {"since_ms": before_listing, "until_ms": before_listing + DAY}
                first = await d.fetch_ohlcv(SOL_POOL, "1h", **window)
                second = await d.fetch_ohlcv(SOL_POOL, "1h", **window)
            return first, second

    first, second = asyncio.run(main_())
    assert len(first.candles) == len(second.candles) == 0
    assert first.requests == second.requests == 1  # nothing said, nothing recorded as known


# --------------------------------------------------------------------------- bad answers


@pytest.mark.parametrize("kind", BAD_KINDS)
@pytest.mark.parametrize("provider", ["geckoterminal", "birdeye"])
def test_each_bad_answer_is_refused_with_its_reason_code(
    tmp_path: Path, provider: str, kind: str
) -> None:
    async def main_() -> tuple[DataError, int, Path]:
        async with both() as (gt, be):
            broken, fine = (gt, be) if provider == "geckoterminal" else (be, gt)
            broken.faults.bad = kind
            gecko, bird = GeckoTerminal(gt.base, policy=FAST), Birdeye(be.base, policy=FAST)
            sources = [gecko, bird] if provider == "geckoterminal" else [bird, gecko]
            async with DexMarketData(sources, data_dir=tmp_path) as data:
                with pytest.raises(DataError) as refused:
                    await data.pool_ohlcv(SOL_POOL, "1h", since_ms=T0, until_ms=T0 + 2 * DAY)
                return refused.value, fine.requests, data.cache_folder(SOL_POOL, "1h")

    error, other_requests, folder = asyncio.run(main_())
    assert error.code == CODES[kind], str(error)
    assert provider in str(error) and other_requests == 0  # bad data is not a reason to fail over
    assert not folder.exists() or not any(folder.iterdir())  # nothing of it was stored


# --------------------------------------------------------------------------- the universe


def test_a_184_token_universe_is_fetched_and_screened_without_a_429(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    universe = make_universe()

    async def main_() -> tuple[Any, ...]:
        async with both(universe=universe, gecko_quota=(30, 60.0), birdeye_quota=(1, 1.0)) as (
            gt,
            be,
        ):  # the providers' real limits, on the servers and in the clients (defaults)
            sources = [GeckoTerminal(gt.base), Birdeye(be.base, api_key=Secret(KEY))]
            async with DexMarketData(sources, data_dir=tmp_path) as data:
                start = time.perf_counter()
                snap = await data.fetch_universe()
                now_ms = int(time.time() * 1000)
                screened = screen_snapshots(snap.tokens, now_ms)
                elapsed = time.perf_counter() - start
                again = await data.fetch_universe()
            return snap, screened, elapsed, again, gt, be, now_ms

    snap, screened, elapsed, again, gt, be, now_ms = asyncio.run(main_())
    received_429 = gt.throttled + be.throttled
    report(capsys, f"universe of {len(snap.tokens)} tokens fetched ({snap.requests} requests) "
           f"and screened in {elapsed:.3f} s; HTTP 429 received: {received_429}; approval "
           f"rate {screened.approval_rate:.1%}")  # fmt: skip
    assert received_429 == 0 and gt.violations == be.violations == 0
    assert len(snap.tokens) == 184 and snap.source == "geckoterminal" and snap.requests == 12
    by_mint = {t.mint: t for t in universe}
    assert {s.mint for s in snap.tokens} == set(by_mint)
    assert all(s.pool == by_mint[s.mint].pools[0] for s in snap.tokens)  # the most liquid pool
    liquidity = [s.liquidity_usd for s in snap.tokens]
    assert liquidity == sorted(liquidity, reverse=True)
    # the screener's verdict, worked out from the generated tokens (no holder counts: rule off)
    approved = {
        t.mint
        for t in universe
        if (now_ms - t.created_ms) / DAY >= 3
        and t.liquidity_usd >= 50_000
        and t.volume_24h_usd >= 100_000
        and abs(t.change_pct / 100) <= 0.5
    }
    assert set(screened.tradable["token"]) == approved
    assert "min_holders" not in screened.thresholds
    assert again.from_cache and again.requests == 0 and len(again.tokens) == 184


def test_the_universe_fails_over_to_the_token_list_with_holders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def main_() -> tuple[Any, ...]:
        async with both(birdeye_quota=(1, 1.0)) as (gt, be):
            gt.faults.throttle_for(60.0)
            sources = [GeckoTerminal(gt.base), Birdeye(be.base, api_key=Secret(KEY))]
            async with DexMarketData(sources, data_dir=tmp_path) as data:
                start = time.perf_counter()
                snap = await data.fetch_universe()
                elapsed = time.perf_counter() - start
            return snap, elapsed, gt, be

    snap, elapsed, gt, be = asyncio.run(main_())
    report(capsys, f"universe by failover: {len(snap.tokens)} tokens from {snap.source} in "
           f"{elapsed:.2f} s ({be.requests} requests at 1 per second); 429 from birdeye: "
           f"{be.throttled}")  # fmt: skip
    assert snap.source == "birdeye" and len(snap.tokens) == 184 and be.requests == 2
    assert gt.requests == 1 and be.throttled == be.violations == 0
    screened = screen_snapshots(snap.tokens, int(time.time() * 1000))
    assert screened.thresholds["min_holders"] == 1_000.0  # every token has a holder count
    assert all(s.pool == "" and s.holders is not None for s in snap.tokens)


# --------------------------------------------------------------------------- CLI and secrets


def test_the_cli_downloads_once_and_screens_the_universe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BIRDEYE_API_KEY", raising=False)
    monkeypatch.delenv("COINGECKO_API_KEY", raising=False)
    with in_thread(GeckoServer()) as gt:
        assert isinstance(gt, GeckoServer)
        common = ["--provider-url", f"geckoterminal={gt.base}", "--data-dir", str(tmp_path)]
        ohlcv = ["data", "dex-ohlcv", SOL_POOL, "1h", "--since", "2024-03-01"]
        ohlcv += ["--until", "2024-03-15", *common]
        assert main(ohlcv) == 0
        first = capsys.readouterr().out
        requests = gt.requests
        assert main(ohlcv) == 0
        second = capsys.readouterr().out
        assert gt.requests == requests == 1
        assert main(["data", "universe", "--limit", "40", *common]) == 0
        universe = capsys.readouterr().out
        assert main(["data", "universe", "--limit", "40", *common]) == 0
        cached = capsys.readouterr().out
        assert gt.requests == requests + 12
        assert main(["data", "universe", "--provider-url", "nope=http://x"]) == 1
        refused = capsys.readouterr().err
    assert "336 candles" in first and "1 HTTP requests (geckoterminal)" in first
    assert "336 candles" in second and "0 new, 0 HTTP requests (from the cache)" in second
    assert "40 tokens from geckoterminal (12 HTTP requests)" in universe
    assert "approval rate" in universe and "40 tokens from geckoterminal (cache)" in cached
    assert "'nope' is not one of" in refused


def test_keys_never_show_in_errors_or_cli_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main_() -> list[str]:
        texts = []
        async with BirdeyeServer(api_key=KEY) as be:
            be.faults.fail = 100
            sources = [Birdeye(be.base, api_key=Secret(KEY), policy=FAST)]
            async with DexMarketData(sources, data_dir=tmp_path) as data:
                texts.append(repr(sources[0]))
                try:
                    await data.fetch_ohlcv(SOL_POOL, "1h", since_ms=T0, until_ms=T0 + DAY)
                except DexFailoverError as exc:
                    texts += [str(exc), "".join(traceback.format_exception(exc))]
            assert be.keys_seen[0] == KEY  # the key was sent, in its header
        return texts

    texts = asyncio.run(main_())
    assert len(texts) == 3 and "HTTP 500" in texts[1]
    monkeypatch.setenv("BIRDEYE_API_KEY", KEY)
    with in_thread(BirdeyeServer(api_key="another-key")) as be:
        status = main(["data", "universe", "--provider-url", f"birdeye={be.base}",
                       "--data-dir", str(tmp_path)])  # fmt: skip
        captured = capsys.readouterr()
    assert status == 1 and "HTTP 401" in captured.err
    joined = "\n".join([*texts, captured.out, captured.err])
    assert KEY not in joined


def test_a_rate_limited_provider_says_how_long_to_wait() -> None:
    clock = FakeClock()

    async def main_() -> DexRateLimitedError:
        async with GeckoServer(clock=clock) as gt:
            gt.faults.throttle_for(45.0)
            gecko = GeckoTerminal(gt.base, policy=FAST, clock=clock, sleep=clock.sleep)
            async with gecko:
                with pytest.raises(DexRateLimitedError) as limited:
                    await gecko.universe()
            return limited.value

    error = asyncio.run(main_())
    assert error.retry_in_s == 45.0 and "next request allowed in 45.0 s" in str(error)
