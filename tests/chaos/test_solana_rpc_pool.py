"""The Solana RPC pool against LiteSVM-backed endpoints on 127.0.0.1: failover, health scoring,
rate limits, breakers, refused calls, secrets."""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from typing import Any

import pytest
from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from soltrader.adapters.solana_rpc import (
    Endpoint,
    RpcPool,
    RpcRefusedError,
    RpcUnavailableError,
)
from soltrader.domain.secret import Secret
from tests.solana_rpc import Chain, EndpointFaults, RpcEndpoint, spl_transfer

pytestmark = pytest.mark.timeout(60)

SENTINEL = "SENTINEL-rpc-key-7f3a9c"
DECIMALS = 6


def endpoint(node: RpcEndpoint, label: str, max_calls: int = 100) -> Endpoint:
    """The node's URL with an API key in the query, as providers hand them out."""
    return Endpoint(label, Secret(f"{node.url}?api-key={SENTINEL}"), max_calls, 1.0)


def transfer(chain: Chain, amount: int) -> tuple[VersionedTransaction, Any, Any, Any]:
    user = chain.funded_keypair(10**9)
    mint = chain.create_mint(DECIMALS)
    source = chain.create_token_account(mint, user.pubkey(), 1_000_000)
    target = chain.create_token_account(mint, chain.funded_keypair(10**7).pubkey(), 0)
    ix = spl_transfer(source, mint, target, user.pubkey(), amount, DECIMALS)
    msg = MessageV0.try_compile(user.pubkey(), [ix], [], chain.blockhash)
    return VersionedTransaction(msg, [user]), user, mint, target


def test_a_swap_sized_round_trip_through_the_pool() -> None:
    chain = Chain()
    tx, user, mint, target = transfer(chain, 300_000)

    async def main() -> Any:
        async with RpcEndpoint(chain) as node, RpcPool([endpoint(node, "a")]) as pool:
            latest = await pool.latest_blockhash()
            assert latest.last_valid_height == chain.height + 150
            simulated = await pool.simulate(tx)
            assert simulated.err is None and simulated.units_consumed > 0
            signature = await pool.send(tx)
            assert (await pool.statuses([signature])) == [None]
            chain.advance()
            (status,) = await pool.statuses([signature])
            landed = await pool.transaction(signature)
            accounts = await pool.token_accounts(user.pubkey(), mint)
            return status, landed, accounts, await pool.balance(user.pubkey())

    status, landed, accounts, lamports = asyncio.run(main())
    assert status.err is None and status.confirmation == "confirmed"
    assert landed.fee == 5_000 and landed.lamport_delta(user.pubkey()) == -5_000
    assert landed.token_delta(user.pubkey(), mint) == -300_000
    assert [a.amount for a in accounts] == [700_000]
    assert lamports == 10**9 - 5_000
    assert chain.token_amount(target) == 300_000


def test_failover_with_one_endpoint_dead_and_one_slow_moves_traffic_to_the_healthy_one() -> None:
    chain = Chain()

    async def main() -> tuple[dict[str, int], list]:
        async with (
            RpcEndpoint(chain, EndpointFaults(dead=True)) as dead,
            RpcEndpoint(chain, EndpointFaults(delay_s=0.05)) as slow,
            RpcEndpoint(chain) as healthy,
        ):
            eps = [endpoint(dead, "dead"), endpoint(slow, "slow"), endpoint(healthy, "healthy")]
            async with RpcPool(eps) as pool:
                heights = [await pool.block_height() for _ in range(40)]
                assert heights == [0] * 40
                counts = {
                    "dead": sum(dead.requests.values()) + dead.refused,
                    "slow": sum(slow.requests.values()),
                    "healthy": sum(healthy.requests.values()),
                }
                return counts, pool.health()

    counts, health = asyncio.run(main())
    by_label = {h.label: h for h in health}
    assert by_label["dead"].failures >= 1 and by_label["dead"].error_rate > 0
    assert counts["dead"] <= 3  # its failures sink its score (or open its breaker)
    assert counts["healthy"] > 30 and counts["slow"] < 5


def test_a_dead_endpoint_is_probed_after_the_reset_time_and_recovers() -> None:
    chain = Chain()
    now = [0.0]

    async def main() -> list[str]:
        faults = EndpointFaults(dead=True)
        async with RpcEndpoint(chain, faults) as node:
            pool = RpcPool([endpoint(node, "only")], clock=lambda: now[0], breaker_reset_s=300.0)
            async with pool:
                states = []
                for _ in range(3):
                    with pytest.raises(RpcUnavailableError):
                        await pool.block_height()
                states.append(pool.health()[0].breaker)
                with pytest.raises(RpcUnavailableError, match="breaker open"):
                    await pool.block_height()  # refused without a request
                faults.dead = False
                now[0] = 301.0
                assert await pool.block_height() == 0  # the probe succeeds
                states.append(pool.health()[0].breaker)
                return states

    assert asyncio.run(main()) == ["open", "closed"]


def test_http_429_penalises_the_endpoint_for_retry_after_and_fails_over() -> None:
    chain = Chain()

    async def main() -> tuple[int, int, int]:
        async with (
            RpcEndpoint(chain, EndpointFaults(rate_limit=(2, 60.0))) as tight,
            RpcEndpoint(chain, EndpointFaults(delay_s=0.01)) as spare,
        ):
            async with RpcPool([endpoint(tight, "tight"), endpoint(spare, "spare")]) as pool:
                for _ in range(10):
                    await pool.block_height()
                tight_status = pool.health()[0]
                return tight.refused, tight_status.rate_limited, sum(spare.requests.values())

    refused, limited, spare = asyncio.run(main())
    assert refused == 1 and limited == 1  # one 429, then the penalty keeps traffic away
    assert spare >= 7


def test_a_node_behind_error_without_data_is_parsed_not_a_panic() -> None:
    chain = Chain()

    async def main() -> None:
        async with RpcEndpoint(chain, EndpointFaults(behind=True)) as node:
            async with RpcPool([endpoint(node, "behind")], max_wait_s=0.0) as pool:
                await pool.latest_blockhash()

    with pytest.raises(RpcUnavailableError, match=r"behind: .*code -32005 \(Node is behind"):
        asyncio.run(main())


def test_a_failed_preflight_is_refused_once_and_not_retried_elsewhere() -> None:
    chain = Chain()
    tx, *_ = transfer(chain, 5_000_000)  # more than the balance

    async def main() -> tuple[RpcRefusedError, int]:
        async with RpcEndpoint(chain) as a, RpcEndpoint(chain) as b:
            async with RpcPool([endpoint(a, "a"), endpoint(b, "b")]) as pool:
                config = {"encoding": "base64"}  # with preflight
                try:
                    await pool.call("sendTransaction", [_b64(tx), config])
                except RpcRefusedError as exc:
                    sent = a.requests.get("sendTransaction", 0) + b.requests.get(
                        "sendTransaction", 0
                    )
                    return exc, sent
                raise AssertionError("not refused")

    refused, sent = asyncio.run(main())
    assert refused.code == -32002 and not refused.retryable and sent == 1
    assert refused.data["err"] == {"InstructionError": [0, {"Custom": 1}]}
    assert chain.sends == 0


def test_the_endpoint_url_and_its_key_never_leak(caplog: pytest.LogCaptureFixture) -> None:
    chain = Chain()
    caplog.set_level(logging.DEBUG)

    async def main() -> list[str]:
        texts = []
        async with RpcEndpoint(chain, EndpointFaults(dead=True)) as node:
            dead = endpoint(node, "provider-1")
            texts.append(repr(dead))
            gone = Endpoint("provider-2", Secret(f"http://127.0.0.1:9/?api-key={SENTINEL}"))
            async with RpcPool([dead, gone], timeout_s=1.0, max_wait_s=0.0) as pool:
                texts.append(repr(pool))
                try:
                    await pool.block_height()
                except RpcUnavailableError as exc:
                    texts.append(str(exc))
                    texts.append("".join(traceback.format_exception(exc)))
                    texts.append(repr(pool.health()))
        return texts

    texts = asyncio.run(main())
    joined = "\n".join(texts) + caplog.text
    assert "provider-1: " in texts[2] and "provider-2: " in texts[2]
    assert SENTINEL not in joined and "127.0.0.1" not in joined


def test_endpoints_must_be_secret_and_distinct() -> None:
    from soltrader.domain.errors import ParameterError

    with pytest.raises(ParameterError, match="must be a Secret"):
        RpcPool([Endpoint("a", "http://127.0.0.1/")])  # type: ignore[arg-type]
    url = Secret("http://127.0.0.1/")
    with pytest.raises(ParameterError, match="distinct"):
        RpcPool([Endpoint("a", url), Endpoint("a", url)])
    with pytest.raises(ParameterError, match="at least one"):
        RpcPool([])


def _b64(tx: VersionedTransaction) -> str:
    import base64

    return base64.b64encode(bytes(tx)).decode()


def test_a_failed_endpoint_is_tried_again_later_and_wins_its_traffic_back() -> None:
    """A fast endpoint dies: its failures open its breaker and move the traffic to a slower one;
    once it is back and time has passed (the pool's clock jumps 10 minutes: the breaker lets a
    probe through, the error rate has faded), it answers fast and takes the traffic back."""
    chain = Chain()
    jump = [0.0]

    async def main() -> tuple[int, str, int, int]:
        fast_faults = EndpointFaults()
        async with (
            RpcEndpoint(chain, fast_faults) as fast,
            RpcEndpoint(chain, EndpointFaults(delay_s=0.02)) as slow,
        ):
            pool = RpcPool(
                [endpoint(fast, "fast"), endpoint(slow, "slow")],
                clock=lambda: time.monotonic() + jump[0],
            )
            async with pool:
                for _ in range(5):
                    await pool.block_height()  # both measured; fast wins
                fast_faults.dead = True
                for _ in range(5):
                    await pool.block_height()  # fast fails three times, then slow answers
                moved = sum(slow.requests.values())
                breaker = pool.health()[0].breaker
                fast_faults.dead = False
                jump[0] = 600.0
                before = sum(fast.requests.values())
                for _ in range(10):
                    await pool.block_height()
                return moved, breaker, before, sum(fast.requests.values())

    moved, breaker, before, after = asyncio.run(main())
    assert moved >= 5 and breaker == "open"  # the traffic went to slow while fast was down
    assert after - before >= 9  # fast was probed, answered, and took the traffic back
