"""Parity: a paper run and a LiteSVM-backed run of the same swap strategy make the same decisions,
and the chain's balances equal the journal's positions.

The strategy is ``sma_cross`` on real Binance SOL/USDT 1m bars, all in and all out. The paper
run is the runner with the fill model (fills at the next open, Solana costs of zero). The real
run is the same runner with the Solana venue built from the spec (``solana_venue``: the wallet
from its environment variable, the RPC endpoint's URL from another, the caps) over a LiteSVM
chain: every intent is quoted by the Jupiter-shaped server, signed, simulated, journaled, sent,
confirmed and booked from the transaction's token balances. The test's pool prices each swap
at the open of the bar after its decision (the price a paper fill gets), without a pool fee,
so the two runs differ only by what a chain does to amounts: atomic units rounded down.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from soltrader.domain.bar import Bar
from soltrader.domain.state import IntentReason
from soltrader.engine.live_spec import CONFIRM_REAL_MONEY, parse_live_spec
from soltrader.runtime.journal import Journal
from soltrader.runtime.runner import Runner
from soltrader.runtime.venues import solana_venue
from tests.bar_feed import as_bars, feed
from tests.conftest import read_sample_bars
from tests.jupiter_server import JupiterServer
from tests.solana_rpc import Chain, RpcEndpoint

pytestmark = pytest.mark.timeout(300)

N_BARS = 240
INIT_CASH = 1_000  # USDC
BASE_DEC, QUOTE_DEC = 9, 6


def _bars() -> list[Bar]:
    return as_bars(read_sample_bars("binance", "SOL-USDT", "1m").iloc[:N_BARS])


def _spec(base: str, quote: str, venue: str) -> Any:
    return parse_live_spec(
        {
            "data": {"symbol": "SOL/USDC", "timeframe": "1m"},
            "strategy": {"name": "sma_cross"},
            "params": {"fast": 5, "slow": 20, "init_cash": float(INIT_CASH)},
            "live": {"venue": venue, "confirm": CONFIRM_REAL_MONEY},
            "risk": {"kill_drawdown": 0.5},
            "solana": {
                "base_mint": base, "quote_mint": quote, "base_decimals": BASE_DEC,
                "quote_decimals": QUOTE_DEC, "base_fee_lamports": 0, "priority_fee_lamports": 0,
                "slippage_bps": 50, "max_slippage_bps": 100, "wallet_env": "PARITY_WALLET",
                "rpc": [{"label": "local", "url_env": "PARITY_RPC", "max_calls": 10_000}],
                "jupiter_url": "http://127.0.0.1:1", "jupiter_max_calls": 100_000,
                "jupiter_per_s": 1.0,
            },
        }
    )  # fmt: skip


class World:
    """A LiteSVM chain producing blocks, its RPC, a Jupiter server with one fee-less pool of a
    9-decimal base mint against a 6-decimal quote mint, a wallet holding INIT_CASH quote."""

    def __init__(self) -> None:
        self.chain = Chain()
        self.server = JupiterServer(self.chain)
        self.base = self.chain.create_mint(BASE_DEC)
        self.quote = self.chain.create_mint(QUOTE_DEC)
        self.pool = self.server.add_pool(
            self.base, self.quote, Fraction(150), 10**15, 10**15, fee_bps=0
        )
        self.payer = self.chain.funded_keypair(10**10)
        owner = self.payer.pubkey()
        self.base_account = self.chain.create_token_account(self.base, owner, 0)
        self.quote_account = self.chain.create_token_account(
            self.quote, owner, INIT_CASH * 10**QUOTE_DEC
        )

    def price_at(self, open_: float) -> None:
        """Swaps from now on trade at ``open_`` quote per base unit (atomic: scaled)."""
        self.pool.price = Fraction(open_) * 10**QUOTE_DEC / 10**BASE_DEC


async def _paper(spec: Any, path: Path, rows: list[Bar]) -> Journal:
    journal = Journal(path)
    runner = Runner(spec, journal, feed(rows), start_ms=rows[0].open_time_ms,
                    until_ms=rows[-1].open_time_ms)  # fmt: skip
    await runner.run()
    return journal


async def _start(world: World, spec: Any, journal: Journal, stack: AsyncExitStack) -> Any:
    """The chain producing blocks, its RPC endpoint, the Jupiter server, and the venue the
    spec describes, built as ``soltrader live --live`` builds it (secrets from the
    environment given)."""
    await stack.enter_async_context(world.chain.producing(0.005))
    node = await stack.enter_async_context(RpcEndpoint(world.chain))
    await stack.enter_async_context(world.server)
    environ = {"PARITY_RPC": node.url, "PARITY_WALLET": json.dumps(list(bytes(world.payer)))}
    spec = spec.model_copy(
        update={"solana": spec.solana.model_copy(update={"jupiter_url": world.server.url})}
    )
    return await stack.enter_async_context(
        solana_venue(spec, journal, environ=environ, rebroadcast_s=0.05)
    )


async def _real(world: World, spec: Any, path: Path, rows: list[Bar]) -> tuple[Journal, Any]:
    journal = Journal(path)
    async with AsyncExitStack() as stack:
        venue = await _start(world, spec, journal, stack)
        holder: dict[str, Runner] = {}

        async def before_bar(t: int) -> None:
            # the swaps decided at bar t - 1 have ended before the pool moves to bar t + 1's open
            await holder["runner"].drain()
            world.price_at(rows[min(t + 1, len(rows) - 1)].open)

        runner = Runner(spec, journal, feed(rows, before_bar), start_ms=rows[0].open_time_ms,
                        until_ms=rows[-1].open_time_ms, venue=venue)  # fmt: skip
        holder["runner"] = runner
        summary = await runner.run()
        unbooked = await runner.drain()
    return journal, (summary, unbooked)


def test_a_litesvm_run_decides_as_the_paper_run_and_its_balances_are_the_journals(
    tmp_path: Path,
) -> None:
    rows = _bars()
    world = World()
    base, quote = str(world.base), str(world.quote)
    paper = asyncio.run(_paper(_spec(base, quote, "paper"), tmp_path / "paper.sqlite", rows))
    real, (summary, unbooked) = asyncio.run(
        _real(world, _spec(base, quote, "solana"), tmp_path / "real.sqlite", rows)
    )
    assert summary.stopped == "end" and not summary.halted and summary.decided == N_BARS

    # the same decisions: every intent's id, bar, side, kind, reason and unit; quantities equal
    # but for the chain's rounding to atomic units (an exit sells the position the swaps bought)
    want, got = paper.intents(), real.intents()
    assert len(want) >= 8 and len(got) == len(want)
    for name in ("client_id", "decision_bar", "side", "kind", "reason", "unit"):
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    np.testing.assert_allclose(got["quantity"], want["quantity"], rtol=1e-6)
    exits = got["reason"] != IntentReason.ENTRY
    assert exits.any() and (~exits).any()

    # every intent executed once: one landed signature each, booked as a fill keyed by it
    fills = real.committed_fills()
    signatures = real.signatures()
    landed = [s for s in signatures if s.state == "landed"]
    assert len(landed) == len(signatures) == len(got)
    assert len({s.intent_id for s in landed}) == len(got)
    assert (fills.fills["bar"] == fills.commit_bar).all()  # booked on the bar they executed in
    booked = set(fills.trade_id) | {ex.trade_id for ex in unbooked}
    assert booked == {s.signature for s in landed} and set(fills.venue) == {"solana"}
    assert not real.refusals()

    # the chain's balances are the journal's account: the position exactly, the cash to float
    # rounding (the journal adds and subtracts each fill's quote amount in float)
    last = real.equity()[-1]
    pending = sum(float(ex.fill["size"]) * (1 if ex.fill["side"] == 1 else -1) for ex in unbooked)
    base_units = world.chain.token_amount(world.base_account) / 10**BASE_DEC
    assert last["position"] + pending == base_units
    if not unbooked:
        quote_units = world.chain.token_amount(world.quote_account) / 10**QUOTE_DEC
        assert last["cash"] == pytest.approx(quote_units, rel=1e-12, abs=1e-9)
    # and the paper run, filled at the same opens, ends within the chain's rounding of it
    assert real.equity()["equity"][-1] == pytest.approx(paper.equity()["equity"][-1], rel=1e-6)
    paper.close()
    real.close()


def test_a_run_killed_with_swaps_in_flight_resumes_without_a_double_swap(tmp_path: Path) -> None:
    """The process dies while the swaps of a bar are in flight (journaled, maybe sent, maybe
    landed); a new process over the same journal re-executes that bar's intents, the venue
    resolves every journaled signature first, and the run ends as an uninterrupted one would:
    one landed swap per intent, the same decisions as the paper run, balances == journal."""
    rows = _bars()
    world = World()
    base, quote = str(world.base), str(world.quote)
    paper = asyncio.run(_paper(_spec(base, quote, "paper"), tmp_path / "paper.sqlite", rows))
    entries = paper.intents()
    kill_after = int(entries["decision_bar"][len(entries) // 2])  # a bar that decided a swap
    spec = _spec(base, quote, "solana")
    path = tmp_path / "real.sqlite"

    async def killed() -> None:
        journal = Journal(path)
        async with AsyncExitStack() as stack:
            venue = await _start(world, spec, journal, stack)
            holder: dict[str, Any] = {}

            async def before_bar(t: int) -> None:
                if t == kill_after + 1:  # bar kill_after decided, its swaps running: kill
                    await asyncio.sleep(0.003)  # part way: journaled, sent or landed
                    for task in holder["runner"]._running:
                        task.cancel()
                    holder["task"].cancel()
                    await asyncio.sleep(0)
                await holder["runner"].drain()
                world.price_at(rows[min(t + 1, len(rows) - 1)].open)

            runner = Runner(spec, journal, feed(rows, before_bar),
                            start_ms=rows[0].open_time_ms, venue=venue)  # fmt: skip
            holder["runner"] = runner
            holder["task"] = asyncio.ensure_future(runner.run())
            with pytest.raises(asyncio.CancelledError):
                await holder["task"]
        journal.close()

    asyncio.run(killed())
    first = Journal(path, read_only=True)
    assert first.last_bar() == kill_after
    first.close()
    real, (summary, unbooked) = asyncio.run(_real(world, spec, path, rows))
    assert summary.restored == kill_after + 1 and summary.stopped == "end"
    want, got = paper.intents(), real.intents()
    for name in ("client_id", "decision_bar", "side", "kind", "reason", "unit"):
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    landed = [s for s in real.signatures() if s.state == "landed"]
    assert sorted(s.intent_id for s in landed) == sorted(int(c) for c in got["client_id"])
    last = real.equity()[-1]
    pending = sum(float(ex.fill["size"]) * (1 if ex.fill["side"] == 1 else -1) for ex in unbooked)
    assert last["position"] + pending == world.chain.token_amount(world.base_account) / 10**9
    paper.close()
    real.close()
