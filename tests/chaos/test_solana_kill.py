"""``kill -9`` of a process in the middle of a swap: the transaction it sent lands after it
died, and the restarted process finds it, books it, and never swaps twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from soltrader.runtime.journal import Journal, JournalError
from tests.solana_rpc import ChainFaults, RpcEndpoint
from tests.solana_world import AMOUNT, Setup

pytestmark = pytest.mark.timeout(120)


async def _worker(setup: Setup, folder: Path, key: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "SOLTRADER_TEST_RPC": setup.node.url,
        "SOLTRADER_TEST_JUPITER": setup.server.url,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.solana_swap_worker", str(key),
        str(folder / "journal.sqlite"), "42", str(setup.base), str(setup.quote), str(AMOUNT),
        stdout=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip


def _journaled(folder: Path) -> list:
    path = folder / "journal.sqlite"
    if not path.exists():
        return []
    try:
        with Journal(path, read_only=True) as journal:
            return journal.signatures(42)
    except JournalError:  # the worker is still creating it
        return []


def test_a_swap_sent_before_a_kill_9_lands_later_and_is_booked_once(tmp_path: Path) -> None:
    # the first send lands 50 blocks (0.25 s) later, while the process is down; re-sends are lost
    setup = Setup(tmp_path, ChainFaults(delay_sends={0: 50}, drop_rate=1.0))
    key = tmp_path / "wallet.json"
    key.write_text(json.dumps(list(bytes(setup.payer))))
    key.chmod(0o600)

    async def main() -> tuple[dict, int, int]:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(setup.chain.producing(0.005))
            setup.node = await stack.enter_async_context(RpcEndpoint(setup.chain))
            await stack.enter_async_context(setup.server)
            first = await _worker(setup, tmp_path, key)
            while not _journaled(tmp_path):
                await asyncio.sleep(0.01)
            while setup.chain.sends == 0:
                await asyncio.sleep(0.005)
            first.send_signal(signal.SIGKILL)  # sent, not landed: the process dies
            await first.wait()
            killed_before_landing = len(setup.chain.landed)
            second = await _worker(setup, tmp_path, key)
            out, _ = await second.communicate()
            assert second.returncode == 0
            return json.loads(out), first.returncode, killed_before_landing

    result, code, landed_at_kill = asyncio.run(main())
    assert code == -signal.SIGKILL and landed_at_kill == 0
    assert result["pending_at_start"] == 0  # it landed while down: booked by the resolve
    assert result["state"] == "landed" and result["in_amount"] == AMOUNT
    assert setup.server.builds == 1 and setup.swaps_executed() == 1
    assert len(setup.chain.landed) == 1
    with Journal(tmp_path / "journal.sqlite", read_only=True) as journal:
        (rec,) = journal.signatures(42)
    assert rec.state == "landed" and rec.in_amount == AMOUNT
    assert rec.out_amount == setup.chain.token_amount(setup.quote_account)
