"""A small Solana world for venue tests: a chain producing blocks, its JSON-RPC endpoint, a
Jupiter-shaped server with one pool, a funded wallet, and swap executors over a journal."""

from __future__ import annotations

from contextlib import AsyncExitStack
from fractions import Fraction
from pathlib import Path
from typing import Any

from soltrader.adapters.jupiter import JupiterClient
from soltrader.adapters.solana_rpc import Endpoint, RpcPool
from soltrader.adapters.solana_swap import SwapExecutor, SwapRequest
from soltrader.adapters.wallet import Wallet
from soltrader.domain.secret import Secret
from soltrader.runtime.journal import Journal, SignatureRecord
from tests.jupiter_server import JupiterServer
from tests.solana_rpc import Chain, ChainFaults, RpcEndpoint

BLOCK_S = 0.005
AMOUNT = 2 * 10**9  # 2 units of the 9-decimal base mint


class Setup:
    """A chain producing blocks, its RPC, a Jupiter server with a 150-per-unit pool, a funded
    wallet, and the executor over a journal in ``folder``."""

    def __init__(self, folder: Path, chain_faults: ChainFaults | None = None, **server_kw: Any):
        self.folder = folder
        self.chain = Chain(faults=chain_faults)
        self.server = JupiterServer(self.chain, **server_kw)
        chain = self.chain
        self.base = chain.create_mint(9)
        self.quote = chain.create_mint(6)
        self.server.add_pool(self.base, self.quote, Fraction(150 * 10**6, 10**9), 10**13, 10**13)
        self.payer = chain.funded_keypair(10**9)
        self.wallet = Wallet(self.payer)
        self.base_account = chain.create_token_account(self.base, self.payer.pubkey(), 10**10)
        self.quote_account = chain.create_token_account(self.quote, self.payer.pubkey(), 0)
        self.request = SwapRequest(42, self.base, self.quote, AMOUNT, 50)

    async def start(self, stack: AsyncExitStack) -> None:
        await stack.enter_async_context(self.chain.producing(BLOCK_S))
        node = await stack.enter_async_context(RpcEndpoint(self.chain))
        await stack.enter_async_context(self.server)
        self.node = node

    async def executor(self, stack: AsyncExitStack, **kw: Any) -> SwapExecutor:
        """A fresh executor (a restarted process): new clients, the journal reopened."""
        journal = stack.enter_context(Journal(self.folder / "journal.sqlite"))
        endpoint = Endpoint("n", Secret(self.node.url), max_calls=10_000)
        self.rpc = await stack.enter_async_context(RpcPool([endpoint]))
        jupiter = await stack.enter_async_context(
            JupiterClient(self.server.url, max_calls=100_000, per_s=1.0)  # no quota here
        )
        return SwapExecutor(
            self.rpc, jupiter, self.wallet, journal, SignatureRecord, rebroadcast_s=0.02, **kw
        )

    def swaps_executed(self) -> int:
        """Swaps LiteSVM executed successfully (each moves AMOUNT out of the wallet)."""
        spent = 10**10 - self.chain.token_amount(self.base_account)
        assert spent % AMOUNT == 0
        return spent // AMOUNT
