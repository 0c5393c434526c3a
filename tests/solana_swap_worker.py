"""One swap intent executed by a separate process, for the ``kill -9`` tests of the Solana
venue: the wallet from a key file, the RPC and Jupiter from URLs in the environment, the
journal in a folder. It resolves what the journal holds first (as a restarted runtime does),
then executes the intent and prints the result as JSON.

    SOLTRADER_TEST_RPC=http://127.0.0.1:N/ SOLTRADER_TEST_JUPITER=http://127.0.0.1:M \\
        python -m tests.solana_swap_worker KEYFILE JOURNAL INTENT BASE_MINT QUOTE_MINT AMOUNT
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from solders.pubkey import Pubkey

from soltrader.adapters.jupiter import JupiterClient
from soltrader.adapters.solana_rpc import Endpoint, RpcPool
from soltrader.adapters.solana_swap import SwapExecutor, SwapRequest
from soltrader.adapters.wallet import load_wallet
from soltrader.domain.secret import Secret
from soltrader.runtime.journal import Journal, SignatureRecord


async def main(argv: list[str]) -> dict:
    key, journal_path, intent, base, quote, amount = argv
    wallet = load_wallet(Path(key))
    endpoint = Endpoint("rpc", Secret(os.environ["SOLTRADER_TEST_RPC"]), max_calls=10_000)
    with Journal(Path(journal_path)) as journal:
        async with (
            RpcPool([endpoint]) as rpc,
            JupiterClient(os.environ["SOLTRADER_TEST_JUPITER"], max_calls=10_000, per_s=1.0) as jup,
        ):
            executor = SwapExecutor(rpc, jup, wallet, journal, SignatureRecord, rebroadcast_s=0.02)
            left = await executor.resolve_pending()
            request = SwapRequest(
                int(intent), Pubkey.from_string(base), Pubkey.from_string(quote), int(amount), 50
            )
            result = await executor.execute(request)
            return {"pending_at_start": left, **result._asdict()}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1:])), default=str), flush=True)
