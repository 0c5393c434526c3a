"""A Jupiter-shaped swap API on 127.0.0.1 whose swaps execute in LiteSVM (tests/solana_rpc.py).

``GET /swap/v1/quote`` prices a swap against constant-price pools of mints created in the chain,
answering in the shape of the recorded Jupiter fixtures (route plans with ``percent``, or with
``bps`` for the newer flavour); an unknown pair gets Jupiter's ``NO_ROUTES_FOUND`` (HTTP 400).
``POST /swap/v1/swap`` builds the quote's v0 transaction for the user: compute-budget
instructions (unit limit, and a unit price from the priority fee), the user's transfer of the
input into the pool's vault, the vault's transfer of the output to the user (signed here by the
pool's authority), and a Jito tip transfer when one was asked for. The user's signature slot is
left empty, as Jupiter leaves it; the client signs, simulates and sends it through the chain's
RPC, so quote -> build -> sign -> simulate -> send -> confirm -> balance deltas all run for real.

Faults: HTTP 429 with Retry-After for the next ``throttle`` requests, HTTP 500 for the next
``fail`` requests, and ``drain`` (the vault gives away its output first, so the swap's transfer
fails in simulation: the funds error a real pool shows when the price has moved).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from aiohttp import web
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.keypair import Keypair
from solders.message import MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from tests.solana_rpc import Chain, spl_transfer

COMPUTE_UNIT_LIMIT = 200_000
#: A Jito tip account (mainnet's first; any address works in the chain).
JITO_TIP_ACCOUNT = Pubkey.from_string("96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5")


@dataclass
class Pool:
    """A constant-price pool: ``price`` atomic units of ``mint_b`` per atomic unit of
    ``mint_a``, less ``fee_bps``; its vaults are token accounts of ``authority``."""

    authority: Keypair
    mint_a: Pubkey
    mint_b: Pubkey
    decimals_a: int
    decimals_b: int
    vault_a: Pubkey
    vault_b: Pubkey
    price: Fraction
    fee_bps: int
    amm_key: str
    label: str

    def out_amount(self, input_mint: Pubkey, amount: int) -> int:
        """Atomic units out for ``amount`` in (fee taken from the output, rounded down)."""
        rate = self.price if input_mint == self.mint_a else 1 / self.price
        gross = Fraction(amount) * rate
        return int(gross * (10_000 - self.fee_bps) / 10_000)


@dataclass
class JupiterFaults:
    """Switchable faults (counters decrease as requests consume them)."""

    throttle: int = 0
    retry_after_s: int = 1
    fail: int = 0
    drain: bool = False


class JupiterServer:
    """The swap API over ``chain`` (use ``async with``); ``url`` is its base URL.

    Parameters
    ----------
    chain : Chain
        The chain the swaps execute on.
    flavour : str
        ``"v1"``: route legs carry ``percent``; ``"v2"``: they carry ``bps``.
    price_impact : str
        The ``priceImpactPct`` every quote reports.
    api_key : str, optional
        When set, requests without this ``x-api-key`` get HTTP 401.
    """

    def __init__(
        self,
        chain: Chain,
        *,
        flavour: str = "v1",
        price_impact: str = "0.0004",
        api_key: str | None = None,
        faults: JupiterFaults | None = None,
    ) -> None:
        self.chain = chain
        self.flavour = flavour
        self.price_impact = price_impact
        self.api_key = api_key
        self.faults = faults or JupiterFaults()
        self.pools: list[Pool] = []
        self.quotes = 0
        self.builds = 0
        self.bodies: list[dict[str, Any]] = []  # every swap request body received
        self._runner: web.AppRunner | None = None
        self.url = ""

    def add_pool(
        self,
        mint_a: Pubkey,
        mint_b: Pubkey,
        price: Fraction,
        liquidity_a: int,
        liquidity_b: int,
        *,
        fee_bps: int = 25,
        label: str = "Whirlpool",
    ) -> Pool:
        """A pool between two mints of the chain, its vaults funded with the liquidity."""
        authority = self.chain.funded_keypair(10**9)
        pool = Pool(
            authority, mint_a, mint_b, self._decimals(mint_a), self._decimals(mint_b),
            self.chain.create_token_account(mint_a, authority.pubkey(), liquidity_a),
            self.chain.create_token_account(mint_b, authority.pubkey(), liquidity_b),
            Fraction(price), fee_bps, str(Keypair().pubkey()), label,
        )  # fmt: skip
        self.pools.append(pool)
        return pool

    def _decimals(self, mint: Pubkey) -> int:
        from solders.token.state import Mint

        account = self.chain.svm.get_account(mint)
        return Mint.from_bytes(bytes(account.data)[:82]).decimals

    async def __aenter__(self) -> JupiterServer:
        app = web.Application()
        app.router.add_get("/swap/v1/quote", self._quote)
        app.router.add_post("/swap/v1/swap", self._swap)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- HTTP -------------------------------------------------------------------------------

    def _refusal(self, request: web.Request) -> web.Response | None:
        if self.api_key is not None and request.headers.get("x-api-key") != self.api_key:
            return _json({"error": "Unauthorized", "errorCode": "UNAUTHORIZED"}, 401)
        faults = self.faults
        if faults.throttle > 0:
            faults.throttle -= 1
            return web.Response(
                status=429, text="Too Many Requests",
                headers={"Retry-After": str(faults.retry_after_s)},
            )  # fmt: skip
        if faults.fail > 0:
            faults.fail -= 1
            return web.Response(status=500, text="internal error")
        return None

    async def _quote(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        q = request.query
        try:
            input_mint = Pubkey.from_string(q["inputMint"])
            output_mint = Pubkey.from_string(q["outputMint"])
            amount = int(q["amount"])
            slippage = int(q.get("slippageBps", "50"))
        except (KeyError, ValueError):
            return _json({"error": "Invalid query", "errorCode": "INVALID_REQUEST"}, 400)
        pool = self._pool(input_mint, output_mint)
        if pool is None or amount <= 0:
            return _json({"error": "No routes found", "errorCode": "NO_ROUTES_FOUND"}, 400)
        self.quotes += 1
        out = pool.out_amount(input_mint, amount)
        share: dict[str, Any] = (
            {"percent": 100, "bps": None}
            if self.flavour == "v1"
            else {"percent": None, "bps": 10_000}
        )
        slot = self.chain.slot
        leg = {
            "swapInfo": {
                "ammKey": pool.amm_key, "label": pool.label, "inputMint": str(input_mint),
                "outputMint": str(output_mint), "inAmount": str(amount), "outAmount": str(out),
                "updateContextSlot": str(slot),
            },
            **share,
        }  # fmt: skip
        doc = {
            "inputMint": str(input_mint),
            "inAmount": str(amount),
            "outputMint": str(output_mint),
            "outAmount": str(out),
            "otherAmountThreshold": str(out * (10_000 - slippage) // 10_000),
            "swapMode": q.get("swapMode", "ExactIn"),
            "slippageBps": slippage,
            "platformFee": None,
            "priceImpactPct": self.price_impact,
            "routePlan": [leg],
            "contextSlot": slot,
            "timeTaken": 0.001,
        }
        return _json(doc)

    async def _swap(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        try:
            body = json.loads(await request.read())
            quote = body["quoteResponse"]
            user = Pubkey.from_string(body["userPublicKey"])
            input_mint = Pubkey.from_string(quote["inputMint"])
            output_mint = Pubkey.from_string(quote["outputMint"])
            amount, out = int(quote["inAmount"]), int(quote["outAmount"])
        except (KeyError, ValueError, TypeError):
            return _json({"error": "Invalid request", "errorCode": "INVALID_REQUEST"}, 400)
        pool = self._pool(input_mint, output_mint)
        if pool is None:
            return _json({"error": "No routes found", "errorCode": "NO_ROUTES_FOUND"}, 400)
        self.bodies.append(body)
        source = self._account(user, input_mint)
        target = self._account(user, output_mint)
        if source is None or target is None:
            return _json({"error": "User token account missing", "errorCode": "NO_ACCOUNT"}, 400)
        self.builds += 1
        fee_lamports, tip = _priority(body.get("prioritizationFeeLamports"))
        ixs = [set_compute_unit_limit(COMPUTE_UNIT_LIMIT)]
        if fee_lamports:
            ixs.append(set_compute_unit_price(fee_lamports * 1_000_000 // COMPUTE_UNIT_LIMIT))
        a_in = input_mint == pool.mint_a
        vault_in, vault_out = (pool.vault_a, pool.vault_b) if a_in else (pool.vault_b, pool.vault_a)
        dec_in, dec_out = (
            (pool.decimals_a, pool.decimals_b) if a_in else (pool.decimals_b, pool.decimals_a)
        )
        ixs.append(spl_transfer(source, input_mint, vault_in, user, amount, dec_in))
        authority = pool.authority.pubkey()
        ixs.append(spl_transfer(vault_out, output_mint, target, authority, out, dec_out))
        if tip:
            params = TransferParams(from_pubkey=user, to_pubkey=JITO_TIP_ACCOUNT, lamports=tip)
            ixs.append(transfer(params))
        if self.faults.drain:
            self.chain.create_token_account(output_mint, authority, 0, address=vault_out)
        blockhash = self.chain.blockhash
        message = MessageV0.try_compile(user, ixs, [], blockhash)
        signatures = [Signature.default()] * message.header.num_required_signatures
        keys = list(message.account_keys)
        signatures[keys.index(authority)] = pool.authority.sign_message(to_bytes_versioned(message))
        tx = VersionedTransaction.populate(message, signatures)
        return _json(
            {
                "swapTransaction": base64.b64encode(bytes(tx)).decode(),
                "lastValidBlockHeight": self.chain.last_valid_height(blockhash),
                "prioritizationFeeLamports": fee_lamports or tip,
                "computeUnitLimit": COMPUTE_UNIT_LIMIT,
                "dynamicSlippageReport": None,
            }
        )

    def _pool(self, a: Pubkey, b: Pubkey) -> Pool | None:
        for pool in self.pools:
            if {pool.mint_a, pool.mint_b} == {a, b}:
                return pool
        return None

    def _account(self, owner: Pubkey, mint: Pubkey) -> Pubkey | None:
        found = self.chain.token_accounts(owner, mint, None)
        return found[0][0] if found else None


def _priority(value: Any) -> tuple[int, int]:
    """(priority fee lamports, Jito tip lamports) of a swap request's
    ``prioritizationFeeLamports``."""
    if isinstance(value, dict):
        if "jitoTipLamports" in value:
            return 0, int(value["jitoTipLamports"])
        level = value.get("priorityLevelWithMaxLamports")
        if isinstance(level, dict):
            return int(level.get("maxLamports", 0)), 0
    if isinstance(value, int):
        return value, 0
    return 0, 0


def _json(doc: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(doc), status=status, content_type="application/json")
