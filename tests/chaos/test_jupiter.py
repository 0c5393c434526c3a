"""The Jupiter client: the recorded answers parse, and quote -> build -> sign -> simulate ->
send -> confirm runs for real against a Jupiter-shaped server whose swaps execute in LiteSVM."""

from __future__ import annotations

import asyncio
import json
import traceback
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from solders.compute_budget import ID as COMPUTE_BUDGET
from solders.pubkey import Pubkey

from soltrader.adapters.jupiter import (
    JitoTip,
    JupiterClient,
    JupiterRefusedError,
    JupiterUnavailableError,
    PriorityLevel,
    parse_quote,
)
from soltrader.adapters.solana_rpc import Endpoint, RpcPool
from soltrader.adapters.wallet import Wallet
from soltrader.domain.secret import Secret
from tests.jupiter_server import JITO_TIP_ACCOUNT, JupiterFaults, JupiterServer
from tests.solana_rpc import Chain, RpcEndpoint

pytestmark = pytest.mark.timeout(60)

FIXTURES = Path(__file__).parents[1] / "golden" / "solana" / "jupiter_quote"
SOL = Pubkey.from_string("So11111111111111111111111111111111111111112")
KEY = "SENTINEL-jupiter-key-51c0"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def test_both_route_plan_shapes_parse_exactly() -> None:
    v1 = parse_quote(
        fixture("jupiter_quote_v1_sol-usdc_1sol_2hop-Whirlpool-Manifest_slot436896603.json")
    )
    assert (v1.in_amount, v1.out_amount, v1.min_out) == (1_000_000_000, 72_717_116, 72_353_531)
    assert [leg.label for leg in v1.route] == ["Whirlpool", "Manifest"]
    assert [leg.share_bps for leg in v1.route] == [10_000, 10_000]
    assert v1.context_slot == 436_896_603 and v1.slippage_bps == 50
    v2 = parse_quote(fixture("jupiter_quote_v2_sol-usdc_1sol_split-bps-Quantum_slot437090011.json"))
    assert [leg.share_bps for leg in v2.route] == [7_446, 2_554]
    assert sum(leg.in_amount for leg in v2.route) == v2.in_amount
    impact = parse_quote(
        fixture("jupiter_quote_v1_sol-jup_0.1sol_2hop-HumidiFi_slot436895541.json")
    )
    assert str(impact.price_impact) == "0.0008930825650794553127266434"  # exact, not a float
    for path in FIXTURES.glob("jupiter_quote_v*.json"):
        quote = parse_quote(json.loads(path.read_text()))
        assert quote.input_mint == SOL and quote.min_out <= quote.out_amount


class Market:
    """SOL-like (9 decimals) and USDC-like (6 decimals) mints, a pool at 150 USDC per SOL,
    a user holding 10 SOL-units and no USDC."""

    def __init__(self, chain: Chain, server: JupiterServer) -> None:
        chain.svm.airdrop(JITO_TIP_ACCOUNT, 10**9)  # a live tip account holds lamports
        self.base = chain.create_mint(9)
        self.quote = chain.create_mint(6)
        price = Fraction(150 * 10**6, 10**9)  # atomic USDC per atomic SOL
        self.pool = server.add_pool(self.base, self.quote, price, 10**12, 10**12)
        self.payer = chain.funded_keypair(10**9)
        self.wallet = Wallet(self.payer)
        self.base_account = chain.create_token_account(self.base, self.payer.pubkey(), 10 * 10**9)
        self.quote_account = chain.create_token_account(self.quote, self.payer.pubkey(), 0)


async def round_trip(chain: Chain, server: JupiterServer, market: Market, **swap_kw: Any) -> Any:
    async with (
        RpcEndpoint(chain) as node,
        RpcPool([Endpoint("node", Secret(node.url))]) as rpc,
        JupiterClient(server.url, api_key=Secret(KEY)) as jupiter,
    ):
        quote = await jupiter.quote(market.base, market.quote, 2 * 10**9, 50)
        build = await jupiter.swap(quote, market.wallet.pubkey, **swap_kw)
        signed = market.wallet.sign(build.transaction)
        assert signed.verify_with_results() == [True, True]  # the user's and the pool's
        simulated = await rpc.simulate(signed)
        assert simulated.err is None
        signature = await rpc.send(signed)
        chain.advance()
        landed = await rpc.transaction(signature)
        return quote, build, signed, landed


def test_quote_build_sign_simulate_send_confirm_and_book_from_balances() -> None:
    chain = Chain()

    async def main() -> Any:
        async with JupiterServer(chain, api_key=KEY) as server:
            market = Market(chain, server)
            out = await round_trip(chain, server, market, priority=PriorityLevel("high", 50_000))
            return market, server, out

    market, server, (quote, build, signed, landed) = asyncio.run(main())
    owner = market.wallet.pubkey
    assert quote.out_amount == 2 * 150 * 10**6 * 9975 // 10_000  # 25 bps pool fee
    assert landed.err is None
    assert landed.token_delta(owner, market.base) == -quote.in_amount
    assert landed.token_delta(owner, market.quote) == quote.out_amount >= quote.min_out
    assert build.last_valid_height == chain.height - 1 + 150
    body = server.bodies[0]
    assert body["quoteResponse"] == dict(quote.raw)  # sent back verbatim
    assert body["prioritizationFeeLamports"] == {
        "priorityLevelWithMaxLamports": {"priorityLevel": "high", "maxLamports": 50_000}
    }
    # the built transaction's compute-unit price stays within the cap asked for
    budget = [
        ix for ix in signed.message.instructions
        if signed.message.account_keys[ix.program_id_index] == COMPUTE_BUDGET
    ]  # fmt: skip
    price_ix = [ix for ix in budget if bytes(ix.data)[0] == 3]
    micro_lamports = int.from_bytes(bytes(price_ix[0].data)[1:9], "little")
    limit_ix = [ix for ix in budget if bytes(ix.data)[0] == 2]
    limit = int.from_bytes(bytes(limit_ix[0].data)[1:5], "little")
    assert micro_lamports * limit // 1_000_000 <= 50_000
    assert landed.fee == 10_000 + (micro_lamports * limit + 999_999) // 1_000_000  # 2 signatures


def test_a_jito_tip_is_a_transfer_inside_the_swap() -> None:
    chain = Chain()

    async def main() -> Any:
        async with JupiterServer(chain) as server:
            market = Market(chain, server)
            return await round_trip(chain, server, market, priority=JitoTip(10_000))

    _quote, _build, _signed, landed = asyncio.run(main())
    assert landed.lamport_delta(JITO_TIP_ACCOUNT) == 10_000


def test_no_route_is_final_and_not_retried() -> None:
    chain = Chain()

    async def main() -> tuple[JupiterRefusedError, int]:
        async with JupiterServer(chain) as server, JupiterClient(server.url) as jupiter:
            unknown = chain.create_mint(6)
            with pytest.raises(JupiterRefusedError) as refused:
                await jupiter.quote(SOL, unknown, 10**9, 50)
            return refused.value, jupiter.requests

    refused, requests = asyncio.run(main())
    assert refused.code == "NO_ROUTES_FOUND" and refused.status == 400 and not refused.retryable
    assert requests == 1
    recorded = fixture("jupiter_quote_error_no_routes_found_http400.json")
    assert recorded["errorCode"] == refused.code


def test_429_and_500_are_retried_with_waits_and_the_key_never_leaks() -> None:
    chain = Chain()
    waits: list[float] = []
    now = [0.0]

    async def sleep(s: float) -> None:  # a fake clock: waits advance it, take no time
        waits.append(s)
        now[0] += s

    async def main() -> tuple[Any, list[str]]:
        faults = JupiterFaults(throttle=1, retry_after_s=2, fail=1)
        async with JupiterServer(chain, api_key=KEY, faults=faults) as server:
            market = Market(chain, server)
            client = JupiterClient(
                server.url, api_key=Secret(KEY), sleep=sleep, clock=lambda: now[0]
            )
            async with client as jupiter:
                quote = await jupiter.quote(market.base, market.quote, 10**9, 50)
                texts = [repr(jupiter)]
                server.faults.fail = 10
                try:
                    await jupiter.quote(market.base, market.quote, 10**9, 50)
                except JupiterUnavailableError as exc:
                    texts += [str(exc), "".join(traceback.format_exception(exc))]
            async with JupiterClient(server.url, api_key=Secret("wrong")) as stranger:
                try:
                    await stranger.quote(market.base, market.quote, 10**9, 50)
                except JupiterRefusedError as exc:
                    texts += [str(exc), "".join(traceback.format_exception(exc))]
            return quote, texts

    quote, texts = asyncio.run(main())
    assert quote.out_amount > 0
    # after the 429: the backoff, then what is left of its Retry-After; after the 500: backoff
    assert waits[:3] == [0.5, 1.5, 1.0]
    assert "circuit open after repeated failures" in texts[1]  # three 500s opened the breaker
    assert any("HTTP 401" in t for t in texts)
    joined = "\n".join(texts)
    assert KEY not in joined and "wrong" not in joined


def test_a_drained_pool_fails_in_simulation_and_nothing_is_sent() -> None:
    chain = Chain()

    async def main() -> Any:
        async with JupiterServer(chain, faults=JupiterFaults(drain=True)) as server:
            market = Market(chain, server)
            async with (
                RpcEndpoint(chain) as node,
                RpcPool([Endpoint("node", Secret(node.url))]) as rpc,
                JupiterClient(server.url) as jupiter,
            ):
                quote = await jupiter.quote(market.base, market.quote, 10**9, 50)
                build = await jupiter.swap(quote, market.wallet.pubkey)
                return await rpc.simulate(market.wallet.sign(build.transaction))

    simulated = asyncio.run(main())
    assert simulated.err == {"InstructionError": [2, {"Custom": 1}]}  # the vault's transfer
    assert chain.sends == 0


def test_amounts_must_be_integers() -> None:
    from soltrader.domain.errors import ParameterError

    client = JupiterClient("http://127.0.0.1:9")
    with pytest.raises(ParameterError, match="amount"):
        asyncio.run(client.quote(SOL, SOL, 1.5, 50))  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="slippage_bps"):
        asyncio.run(client.quote(SOL, SOL, 10, 20_000))
