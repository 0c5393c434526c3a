"""``soltrader wallet new`` and ``soltrader wallet show`` from the command line, balances read
over JSON-RPC from a LiteSVM-backed server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from solders.keypair import Keypair

from tests.solana_rpc import Chain, serving

SENTINEL = "SENTINEL-wallet-rpc-key"


def soltrader(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "soltrader.cli", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_wallet_new_then_show_with_balances(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "bot.json"
    made = soltrader("wallet", "new", str(path))
    assert made.returncode == 0, made.stderr
    assert path.stat().st_mode & 0o777 == 0o600
    key = Keypair.from_bytes(bytes(json.loads(path.read_text())))
    assert made.stdout.strip() == f"wallet {key.pubkey()} written to {path} (mode 0600)"
    again = soltrader("wallet", "new", str(path))
    assert again.returncode == 1 and "never overwritten" in again.stderr

    chain = Chain()
    chain.svm.airdrop(key.pubkey(), 2_500_000_000)
    mint = chain.create_mint(6)
    chain.create_token_account(mint, key.pubkey(), 1_234_567)
    with serving(chain) as url:
        shown = soltrader(
            "wallet", "show", str(path), env={"SOLTRADER_SOLANA_RPC": f"{url}?api-key={SENTINEL}"}
        )
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == f"public key {key.pubkey()}"
    assert lines[1] == "SOL 2.500000000 (2500000000 lamports)"
    assert lines[2].startswith(f"token {mint}: 1234567 atomic units")
    assert str(key) not in shown.stdout + shown.stderr and SENTINEL not in shown.stdout


def test_wallet_show_refuses_a_key_file_others_can_read(tmp_path: Path) -> None:
    path = tmp_path / "loose.json"
    path.write_text(json.dumps(list(bytes(Keypair()))))
    path.chmod(0o644)
    shown = soltrader("wallet", "show", str(path), env={"SOLTRADER_SOLANA_RPC": ""})
    assert shown.returncode == 1
    assert f"error: key file {path} has mode 0644" in shown.stderr
    assert f"fix: chmod 600 {path}" in shown.stderr
    path.chmod(0o600)
    shown = soltrader("wallet", "show", str(path), env={"SOLTRADER_SOLANA_RPC": ""})
    assert shown.returncode == 0 and "set SOLTRADER_SOLANA_RPC" in shown.stdout
