"""The swap executor against LiteSVM: never a double swap, whatever the chain does.

Blocks come every 5 ms (a blockhash lives 150 blocks: 0.75 s), the executor re-sends every 20 ms;
the swaps, balances and signatures are LiteSVM's, the journal is the runtime's SQLite journal.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from soltrader.adapters.jupiter import JupiterClient
from soltrader.adapters.solana_rpc import Endpoint, RpcPool
from soltrader.adapters.solana_swap import (
    FeeFromRecent,
    JitoBundles,
    SwapCaps,
    SwapExecutor,
    SwapRequest,
    describe_error,
    priority_fee_lamports,
    tips_paid,
)
from soltrader.domain.errors import ParameterError
from soltrader.domain.secret import Secret
from soltrader.runtime.journal import Journal, SignatureRecord
from tests.jupiter_server import JITO_TIP_ACCOUNT, JupiterFaults
from tests.solana_rpc import ChainFaults, EndpointFaults, RpcEndpoint
from tests.solana_world import AMOUNT, Setup

pytestmark = pytest.mark.timeout(60)


async def crash_after_journaling(setup: Setup, after_s: float) -> None:
    """A first life of the process: it executes the request until its transaction is journaled
    (and ``after_s`` more seconds), then dies: its task cancelled, its clients dropped."""
    async with AsyncExitStack() as life:
        executor = await setup.executor(life)
        task = asyncio.create_task(executor.execute(setup.request))
        while not executor.store.signatures(42):
            await asyncio.sleep(0.005)
        await asyncio.sleep(after_s)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_a_swap_lands_once_and_is_booked_from_balances(tmp_path: Path) -> None:
    setup = Setup(tmp_path)

    async def main() -> Any:
        async with AsyncExitStack() as stack:
            await setup.start(stack)
            executor = await setup.executor(stack)
            result = await executor.execute(setup.request)
            again = await executor.execute(setup.request)  # the same intent: nothing new
            return result, again, executor.store.signatures(42)

    result, again, journaled = asyncio.run(main())
    assert result.state == "landed" and result.err is None
    assert result.in_amount == AMOUNT
    assert result.out_amount == setup.chain.token_amount(setup.quote_account) == 299_250_000
    assert again == result and setup.swaps_executed() == 1
    assert [(r.state, r.in_amount, r.out_amount) for r in journaled] == [
        ("landed", AMOUNT, 299_250_000)
    ]
    assert result.fee == journaled[0].fee > 5_000  # a priority fee on top of the signature fee


def test_blockhash_expiry_rebroadcasts_the_same_bytes_then_builds_once_more(
    tmp_path: Path,
) -> None:
    setup = Setup(tmp_path, ChainFaults(never_land=True))

    async def main() -> Any:
        async with AsyncExitStack() as stack:
            await setup.start(stack)
            executor = await setup.executor(stack)
            task = asyncio.create_task(executor.execute(setup.request))
            first: list[Any] = []
            while not first:  # the first transaction is journaled, then sent
                await asyncio.sleep(0.01)
                first = executor.store.signatures(42)
            last_valid = first[0].last_valid_height
            while setup.chain.height <= last_valid:
                await asyncio.sleep(0.01)
            setup.chain.faults.never_land = False  # the next transaction may land
            result = await task
            return result, first[0], executor.store.signatures(42)

    result, first, journaled = asyncio.run(main())
    sends = setup.chain.submitted
    first_sig = sends[0]
    switch = next(i for i, s in enumerate(sends) if s != first_sig)
    assert str(first_sig) == first.signature
    assert switch > 5 and all(s == first_sig for s in sends[:switch])  # the same bytes again
    assert setup.server.builds == 2  # a new swap only after the first expired
    assert [r.state for r in journaled] == ["expired", "landed"]
    assert result.state == "landed" and setup.swaps_executed() == 1


def test_a_late_landing_after_a_crash_is_found_and_never_doubled(tmp_path: Path) -> None:
    """The first send lands 60 blocks later, every re-send is lost; the process dies in between
    (its task cancelled, its clients dropped); the restarted executor resolves the journaled
    signature, waits for it, and books it: one swap, one build."""
    setup = Setup(tmp_path, ChainFaults(delay_sends={0: 60}, drop_rate=1.0))

    async def main() -> Any:
        async with AsyncExitStack() as outer:
            await setup.start(outer)
            await crash_after_journaling(setup, after_s=0.05)  # sent, not landed yet
            assert not setup.chain.landed
            async with AsyncExitStack() as second_life:
                executor = await setup.executor(second_life)
                left = await executor.resolve_pending()
                result = await executor.execute(setup.request)
                return left, result, executor.store.signatures(42)

    left, result, journaled = asyncio.run(main())
    assert left == 1  # still valid, not landed: waited for, not rebuilt
    assert result.state == "landed" and result.in_amount == AMOUNT
    assert setup.server.builds == 1 and setup.swaps_executed() == 1
    assert [r.state for r in journaled] == ["landed"]


def test_resolving_after_a_crash_books_a_transaction_that_landed_meanwhile(
    tmp_path: Path,
) -> None:
    setup = Setup(tmp_path, ChainFaults(delay_sends={0: 3}))

    async def main() -> Any:
        async with AsyncExitStack() as outer:
            await setup.start(outer)
            await crash_after_journaling(setup, after_s=0.0)
            while not setup.chain.landed:
                await asyncio.sleep(0.005)
            async with AsyncExitStack() as second_life:
                executor = await setup.executor(second_life)
                left = await executor.resolve_pending()
                booked = executor.store.signatures(42)
                result = await executor.execute(setup.request)
                return left, booked, result

    left, booked, result = asyncio.run(main())
    assert left == 0 and booked[0].state == "landed" and booked[0].in_amount == AMOUNT
    assert booked[0].out_amount == 299_250_000  # the mints found from the balances alone
    assert result.state == "landed" and setup.server.builds == 1 and setup.swaps_executed() == 1


def test_a_failing_simulation_sends_nothing(tmp_path: Path) -> None:
    setup = Setup(tmp_path, faults=JupiterFaults(drain=True))

    async def main() -> Any:
        async with AsyncExitStack() as stack:
            await setup.start(stack)
            executor = await setup.executor(stack)
            return await executor.execute(setup.request), executor.store.signatures()

    result, journaled = asyncio.run(main())
    assert result.state == "refused" and "insufficient funds" in result.reason
    assert "nothing sent" in result.reason
    assert setup.chain.sends == 0 and journaled == [] and setup.swaps_executed() == 0


def test_quote_caps_refuse_before_anything_is_built(tmp_path: Path) -> None:
    setup = Setup(tmp_path, price_impact="0.05")

    async def main() -> Any:
        async with AsyncExitStack() as stack:
            await setup.start(stack)
            executor = await setup.executor(stack, caps=SwapCaps(max_price_impact=Decimal("0.01")))
            return await executor.execute(setup.request)

    result = asyncio.run(main())
    assert result.state == "refused" and result.reason == "price impact 0.05 > cap 0.01"
    assert setup.server.builds == 0 and setup.chain.sends == 0


def test_the_priority_fee_cap_holds_in_the_built_transaction(tmp_path: Path) -> None:
    setup = Setup(tmp_path)

    async def main() -> Any:
        async with AsyncExitStack() as stack:
            await setup.start(stack)
            executor = await setup.executor(stack, caps=SwapCaps(max_priority_lamports=20_000))
            await executor.execute(setup.request)
            landed = setup.chain.landed[setup.chain.submitted[0]]
            return landed.tx, setup.server.bodies[0]

    tx, body = asyncio.run(main())
    assert priority_fee_lamports(tx) <= 20_000
    assert body["prioritizationFeeLamports"]["priorityLevelWithMaxLamports"]["maxLamports"] == (
        20_000
    )
    assert body["quoteResponse"]["slippageBps"] == 50


def test_errors_are_named() -> None:
    slippage = {"InstructionError": [3, {"Custom": 6001}]}
    assert describe_error(slippage) == "instruction 3: slippage tolerance exceeded (Jupiter 6001)"
    assert describe_error("BlockhashNotFound") == "BlockhashNotFound"


@pytest.mark.parametrize(
    ("recent", "expected"),
    [([1_000, 2_000, 3_000, 4_000], 800), ([0, 5_000, 50_000, 2_000_000], 100_000)],
)
def test_a_fee_from_recent_fees_is_clamped_per_unit_and_capped(
    tmp_path: Path, recent: list[int], expected: int
) -> None:
    setup = Setup(tmp_path)
    setup.chain.priority_fees = recent

    async def main() -> Any:
        async with AsyncExitStack() as stack:
            await setup.start(stack)
            executor = await setup.executor(
                stack, priority=FeeFromRecent(), caps=SwapCaps(max_priority_lamports=100_000)
            )
            result = await executor.execute(setup.request)
            landed = setup.chain.landed[setup.chain.submitted[0]]
            return result, landed.tx, setup.server.bodies[0], setup.node.requests

    result, tx, body, requests = asyncio.run(main())
    assert result.state == "landed"
    assert body["prioritizationFeeLamports"] == expected  # 75th percentile, per-unit max, cap
    assert priority_fee_lamports(tx) == expected
    assert requests["getRecentPrioritizationFees"] == 1


def test_swaps_complete_with_one_endpoint_dead_and_one_slow(tmp_path: Path) -> None:
    """Three providers over one chain: the dead one gets at most its breaker's three failures,
    the slow one little traffic, and every swap lands once."""
    setup = Setup(tmp_path)

    async def main() -> Any:
        async with AsyncExitStack() as stack:
            await setup.start(stack)
            dead = await stack.enter_async_context(
                RpcEndpoint(setup.chain, EndpointFaults(dead=True))
            )
            slow = await stack.enter_async_context(
                RpcEndpoint(setup.chain, EndpointFaults(delay_s=0.05))
            )
            urls = [("dead", dead.url), ("slow", slow.url), ("healthy", setup.node.url)]
            pool = await stack.enter_async_context(
                RpcPool([Endpoint(label, Secret(url), 10_000) for label, url in urls])
            )
            journal = stack.enter_context(Journal(tmp_path / "journal.sqlite"))
            jupiter = await stack.enter_async_context(
                JupiterClient(setup.server.url, max_calls=10_000, per_s=1.0)
            )
            executor = SwapExecutor(
                pool, jupiter, setup.wallet, journal, SignatureRecord, rebroadcast_s=0.02
            )
            results = [
                await executor.execute(SwapRequest(i, setup.base, setup.quote, AMOUNT // 4, 50))
                for i in range(1, 5)
            ]
            return results, dead.refused, sum(slow.requests.values()), pool.health()

    results, dead_refused, slow_calls, health = asyncio.run(main())
    assert [r.state for r in results] == ["landed"] * 4
    assert setup.swaps_executed() == 1  # four quarters of AMOUNT
    assert dead_refused <= 3 and slow_calls <= 5
    assert {h.label: h.calls for h in health}["healthy"] > 20


def test_a_jito_bundle_carries_the_swap_and_its_tip_within_the_cap(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.chain.svm.airdrop(JITO_TIP_ACCOUNT, 10**9)  # a live tip account holds lamports

    async def main() -> Any:
        async with AsyncExitStack() as stack:
            await setup.start(stack)
            engine_node = await stack.enter_async_context(RpcEndpoint(setup.chain))
            engine = await stack.enter_async_context(
                RpcPool([Endpoint("jito", Secret(engine_node.url), 10_000)])
            )
            executor = await setup.executor(stack, jito=JitoBundles(engine, 10_000))
            with pytest.raises(ParameterError, match="max_jito_tip_lamports"):
                SwapExecutor(
                    executor.rpc, executor.jupiter, setup.wallet, executor.store,
                    SignatureRecord, jito=JitoBundles(engine, 200_000),
                )  # fmt: skip
            result = await executor.execute(setup.request)
            return result, engine_node, setup.node.requests

    result, engine_node, rpc_requests = asyncio.run(main())
    assert result.state == "landed" and setup.swaps_executed() == 1
    assert engine_node.bundles >= 1 and "sendTransaction" not in rpc_requests
    landed = setup.chain.landed[setup.chain.submitted[0]]
    assert tips_paid(landed.tx, [JITO_TIP_ACCOUNT]) == 10_000  # decoded from the transaction
    assert priority_fee_lamports(landed.tx) == 0  # the tip replaces the priority fee
    assert setup.server.bodies[0]["prioritizationFeeLamports"] == {"jitoTipLamports": 10_000}
    assert setup.chain.balance(JITO_TIP_ACCOUNT) == 10**9 + 10_000


def test_nothing_is_booked_while_the_swap_is_only_processed(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.chain.confirm_depth = 20  # processed for 20 blocks (0.1 s), then confirmed

    async def main() -> Any:
        async with AsyncExitStack() as stack:
            await setup.start(stack)
            executor = await setup.executor(stack)
            task = asyncio.create_task(executor.execute(setup.request))
            seen = []
            while not task.done():
                landed = list(setup.chain.landed)
                if landed:
                    level = setup.chain.status(landed[0])["confirmationStatus"]
                    seen.append((level, executor.store.signatures(42)[0].state))
                await asyncio.sleep(0.002)
            return await task, seen

    result, seen = asyncio.run(main())
    assert result.state == "landed" and setup.swaps_executed() == 1
    processed = [state for level, state in seen if level == "processed"]
    assert processed and set(processed) == {"pending"}  # never booked while only processed
