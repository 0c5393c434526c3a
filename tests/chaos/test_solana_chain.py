"""The LiteSVM-backed JSON-RPC test server: what the Solana venue's tests stand on.

Every check goes over HTTP on 127.0.0.1 with real signed transactions executed by LiteSVM, and
the protocol shapes are read back with solders' own response classes and with solana-py, an
independent client.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp
import pytest
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.rpc.responses import (
    GetLatestBlockhashResp,
    GetSignatureStatusesResp,
    GetTransactionResp,
)
from solders.transaction import VersionedTransaction

from tests.solana_rpc import (
    NODE_BEHIND,
    PREFLIGHT_FAILURE,
    Chain,
    ChainFaults,
    EndpointFaults,
    RpcEndpoint,
    spl_transfer,
)

pytestmark = pytest.mark.timeout(60)

DECIMALS = 6


class Market:
    """A mint, a user with 1 SOL and 1,000,000 atomic units, and a pool's token account."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.user = chain.funded_keypair(10**9)
        self.pool = Keypair()
        self.mint = chain.create_mint(DECIMALS)
        self.user_tokens = chain.create_token_account(self.mint, self.user.pubkey(), 1_000_000)
        self.pool_tokens = chain.create_token_account(self.mint, self.pool.pubkey(), 0)

    def transfer(self, amount: int, blockhash: Any = None) -> VersionedTransaction:
        """The user's signed transfer of ``amount`` to the pool."""
        ix = spl_transfer(
            self.user_tokens, self.mint, self.pool_tokens, self.user.pubkey(), amount, DECIMALS
        )
        msg = MessageV0.try_compile(self.user.pubkey(), [ix], [], blockhash or self.chain.blockhash)
        return VersionedTransaction(msg, [self.user])


async def rpc(http: aiohttp.ClientSession, url: str, method: str, *params: Any) -> dict:
    """One JSON-RPC call; the whole reply document."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    async with http.post(url, json=body) as reply:
        assert reply.status == 200, await reply.text()
        return await reply.json()


def b64(tx: VersionedTransaction) -> str:
    return base64.b64encode(bytes(tx)).decode()


SEND = {"encoding": "base64", "skipPreflight": True, "maxRetries": 0}
GET_TX = {"encoding": "json", "maxSupportedTransactionVersion": 0}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_a_token_transfer_lands_with_its_balances_and_parses_with_solders() -> None:
    chain = Chain()
    market = Market(chain)

    async def main() -> tuple[dict, dict, dict]:
        async with RpcEndpoint(chain) as node, aiohttp.ClientSession() as http:
            latest = await rpc(http, node.url, "getLatestBlockhash")
            blockhash = GetLatestBlockhashResp.from_json(json.dumps(latest))
            tx = market.transfer(250_000, blockhash.value.blockhash)
            sent = await rpc(http, node.url, "sendTransaction", b64(tx), SEND)
            assert sent["result"] == str(tx.signatures[0])
            before = await rpc(http, node.url, "getSignatureStatuses", [sent["result"]])
            chain.advance()
            after = await rpc(http, node.url, "getSignatureStatuses", [sent["result"]])
            got = await rpc(http, node.url, "getTransaction", sent["result"], GET_TX)
            return before, after, got

    before, after, got = run(main())
    assert before["result"]["value"] == [None]  # not landed before the next block
    status = GetSignatureStatusesResp.from_json(json.dumps(after)).value[0]
    assert status is not None and status.err is None
    assert str(status.confirmation_status) == "TransactionConfirmationStatus.Confirmed"
    parsed = GetTransactionResp.from_json(json.dumps(got))
    meta = parsed.value.transaction.meta
    pre = {b.account_index: int(b.ui_token_amount.amount) for b in meta.pre_token_balances}
    post = {b.account_index: int(b.ui_token_amount.amount) for b in meta.post_token_balances}
    keys = got["result"]["transaction"]["message"]["accountKeys"]
    user, pool = keys.index(str(market.user_tokens)), keys.index(str(market.pool_tokens))
    assert (pre[user] - post[user], post[pool] - pre[pool]) == (250_000, 250_000)
    assert meta.fee == 5_000 and meta.pre_balances[0] - meta.post_balances[0] == 5_000
    assert chain.token_amount(market.pool_tokens) == 250_000


def test_the_same_bytes_land_once_however_often_they_are_sent() -> None:
    chain = Chain()
    market = Market(chain)
    tx = market.transfer(100_000)

    async def main() -> None:
        async with RpcEndpoint(chain) as node, aiohttp.ClientSession() as http:
            for _ in range(3):
                await rpc(http, node.url, "sendTransaction", b64(tx), SEND)
            chain.advance()
            await rpc(http, node.url, "sendTransaction", b64(tx), SEND)  # after it landed
            chain.advance(2)

    run(main())
    assert chain.sends == 4 and len(chain.landed) == 1
    assert chain.token_amount(market.pool_tokens) == 100_000


def test_a_blockhash_expires_after_150_blocks_and_its_transaction_never_lands() -> None:
    chain = Chain(faults=ChainFaults(delay_sends={0: 151}))
    market = Market(chain)
    tx = market.transfer(100_000)
    last_valid = chain.last_valid_height(chain.blockhash)
    assert last_valid == chain.height + 150

    async def main() -> tuple[dict, dict]:
        async with RpcEndpoint(chain) as node, aiohttp.ClientSession() as http:
            await rpc(http, node.url, "sendTransaction", b64(tx), SEND)
            chain.advance(152)
            status = await rpc(http, node.url, "getSignatureStatuses", [str(tx.signatures[0])])
            again = await rpc(
                http, node.url, "sendTransaction", b64(tx), {"encoding": "base64"}
            )  # with preflight: refused
            return status, again

    status, again = run(main())
    assert chain.height > last_valid and chain.expired == 1
    assert status["result"]["value"] == [None]
    assert again["error"]["code"] == PREFLIGHT_FAILURE
    assert again["error"]["data"]["err"] == "BlockhashNotFound"
    assert chain.token_amount(market.pool_tokens) == 0


def test_a_transaction_delayed_within_its_validity_still_lands() -> None:
    chain = Chain(faults=ChainFaults(delay_sends={0: 100}))
    market = Market(chain)
    tx = market.transfer(1)
    chain.submit(tx)
    chain.advance(100)
    assert not chain.landed
    chain.advance()
    assert tx.signatures[0] in chain.landed


def test_simulation_reports_a_failing_transfer_and_preflight_refuses_to_send_it() -> None:
    chain = Chain()
    market = Market(chain)
    tx = market.transfer(5_000_000)  # more than the user holds

    async def main() -> tuple[dict, dict]:
        async with RpcEndpoint(chain) as node, aiohttp.ClientSession() as http:
            simulated = await rpc(
                http, node.url, "simulateTransaction", b64(tx), {"encoding": "base64"}
            )
            sent = await rpc(http, node.url, "sendTransaction", b64(tx), {"encoding": "base64"})
            return simulated, sent

    simulated, sent = run(main())
    assert simulated["result"]["value"]["err"] == {"InstructionError": [0, {"Custom": 1}]}
    assert simulated["result"]["value"]["unitsConsumed"] > 0
    assert sent["error"]["code"] == PREFLIGHT_FAILURE
    assert sent["error"]["data"]["err"] == {"InstructionError": [0, {"Custom": 1}]}
    assert chain.sends == 0 and chain.token_amount(market.user_tokens) == 1_000_000


def test_a_bad_signature_is_refused() -> None:
    chain = Chain()
    market = Market(chain)
    tx = market.transfer(10)
    forged = VersionedTransaction.populate(tx.message, [Keypair().sign_message(b"other")])

    async def main() -> dict:
        async with RpcEndpoint(chain) as node, aiohttp.ClientSession() as http:
            return await rpc(http, node.url, "sendTransaction", b64(forged), SEND)

    assert run(main())["error"]["code"] == -32003
    assert chain.sends == 0


def test_a_failed_transaction_lands_with_its_error_and_its_fee() -> None:
    chain = Chain()
    market = Market(chain)
    tx = market.transfer(5_000_000)
    chain.submit(tx)
    chain.advance()
    landed = chain.landed[tx.signatures[0]]
    assert landed.err == {"InstructionError": [0, {"Custom": 1}]} and landed.fee == 5_000
    assert chain.status(tx.signatures[0])["status"] == {"Err": landed.err}


def test_a_jump_in_block_height_expires_a_waiting_transaction() -> None:
    chain = Chain(faults=ChainFaults(delay_blocks=3))
    market = Market(chain)
    tx = market.transfer(10)
    chain.submit(tx)
    chain.jump(200)
    chain.advance(5)
    assert not chain.landed and chain.expired == 1


def test_dropped_sends_return_a_signature_and_never_land() -> None:
    chain = Chain(faults=ChainFaults(drop_sends=frozenset({0})))
    market = Market(chain)
    first, second = market.transfer(10), market.transfer(11)
    assert chain.submit(first) == first.signatures[0]
    chain.submit(second)
    chain.advance(3)
    assert list(chain.landed) == [second.signatures[0]] and chain.dropped == 1


def test_lookup_of_token_accounts_balance_and_priority_fees() -> None:
    chain = Chain()
    market = Market(chain)

    async def main() -> tuple[dict, dict, dict, dict]:
        async with RpcEndpoint(chain) as node, aiohttp.ClientSession() as http:
            owner = str(market.user.pubkey())
            accounts = await rpc(
                http, node.url, "getTokenAccountsByOwner", owner, {"mint": str(market.mint)},
                {"encoding": "base64"},
            )  # fmt: skip
            balance = await rpc(http, node.url, "getBalance", owner)
            fees = await rpc(http, node.url, "getRecentPrioritizationFees", [])
            info = await rpc(http, node.url, "getAccountInfo", str(market.mint))
            return accounts, balance, fees, info

    accounts, balance, fees, info = run(main())
    assert [a["pubkey"] for a in accounts["result"]["value"]] == [str(market.user_tokens)]
    assert balance["result"]["value"] == 10**9
    assert [f["prioritizationFee"] for f in fees["result"]] == chain.priority_fees
    assert info["result"]["value"]["owner"] == "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"


# ------------------------------------------------------------------------- endpoint faults


def test_rate_limit_answers_429_with_retry_after() -> None:
    now = [0.0]
    chain = Chain()

    async def main() -> list[tuple[int, str | None]]:
        faults = EndpointFaults(rate_limit=(3, 1.0))
        async with RpcEndpoint(chain, faults, clock=lambda: now[0]) as node:
            async with aiohttp.ClientSession() as http:
                out = []
                for t in (0.0, 0.1, 0.2, 0.3, 1.05, 1.15):
                    now[0] = t
                    body = {"jsonrpc": "2.0", "id": 1, "method": "getSlot"}
                    async with http.post(node.url, json=body) as reply:
                        out.append((reply.status, reply.headers.get("Retry-After")))
                return out

    assert run(main()) == [(200, None)] * 3 + [(429, "1"), (200, None), (200, None)]


def test_dead_slow_and_behind_endpoints() -> None:
    chain = Chain()

    async def main() -> tuple[int, dict, float]:
        async with RpcEndpoint(chain, EndpointFaults(dead=True)) as dead:
            async with aiohttp.ClientSession() as http:
                body = {"jsonrpc": "2.0", "id": 7, "method": "getSlot"}
                async with http.post(dead.url, json=body) as reply:
                    status = reply.status
                behind_faults = EndpointFaults(behind=True)
                async with RpcEndpoint(chain, behind_faults) as behind:
                    behind_reply = await rpc(http, behind.url, "getSlot")
                async with RpcEndpoint(chain, EndpointFaults(delay_s=0.2)) as slow:
                    t0 = asyncio.get_running_loop().time()
                    await rpc(http, slow.url, "getSlot")
                    took = asyncio.get_running_loop().time() - t0
                return status, behind_reply, took

    status, behind, took = run(main())
    assert status == 503
    assert behind["error"] == {"code": NODE_BEHIND, "message": "Node is behind by 42 slots"}
    assert took >= 0.2


def test_a_lost_send_reply_still_lands_the_transaction() -> None:
    chain = Chain()
    market = Market(chain)
    tx = market.transfer(42)

    async def main() -> type[BaseException] | None:
        faults = EndpointFaults(lose_send_replies=1)
        async with RpcEndpoint(chain, faults) as node, aiohttp.ClientSession() as http:
            try:
                await rpc(http, node.url, "sendTransaction", b64(tx), SEND)
            except aiohttp.ClientError as exc:
                return type(exc)
            return None

    lost = run(main())
    assert lost is not None and issubclass(lost, aiohttp.ClientError)
    chain.advance()
    assert chain.token_amount(market.pool_tokens) == 42


def test_solana_py_an_independent_client_reads_the_protocol() -> None:
    from solana.rpc.async_api import AsyncClient
    from solana.rpc.models import TxOpts

    chain = Chain()
    market = Market(chain)

    async def main() -> tuple[int, int, Any]:
        async with RpcEndpoint(chain) as node, chain.producing(0.01):
            async with AsyncClient(node.url) as client:
                latest = await client.get_latest_blockhash()
                tx = market.transfer(7, latest.value.blockhash)
                sent = await client.send_raw_transaction(
                    bytes(tx), TxOpts(skip_preflight=True, max_retries=0)
                )
                await client.confirm_transaction(
                    sent.value, commitment="confirmed", sleep_seconds=0.01,
                    last_valid_block_height=latest.value.last_valid_block_height,
                )  # fmt: skip
                got = await client.get_transaction(sent.value, max_supported_transaction_version=0)
                balance = await client.get_balance(market.user.pubkey())
                height = await client.get_block_height()
                return balance.value, height.value, got.value

    balance, height, got = run(main())
    assert balance == 10**9 - 5_000 and height >= 1
    assert got.transaction.meta.err is None
    assert chain.token_amount(market.pool_tokens) == 7


def test_unknown_methods_and_bad_params_are_json_rpc_errors() -> None:
    chain = Chain()

    async def main() -> tuple[dict, dict]:
        async with RpcEndpoint(chain) as node, aiohttp.ClientSession() as http:
            unknown = await rpc(http, node.url, "getFoo")
            bad = await rpc(http, node.url, "getBalance", "not-a-key")
            return unknown, bad

    unknown, bad = run(main())
    assert unknown["error"]["code"] == -32601
    assert bad["error"]["code"] == -32602
