"""``soltrader data pools MINT``: the real Orca Whirlpool, Raydium CLMM and Meteora DLMM pool
accounts (mainnet bytes) loaded into a LiteSVM chain with their owners, mints, vaults and fee
config, found over JSON-RPC with ``getProgramAccounts`` filters, decoded and priced."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from solders.account import Account
from solders.pubkey import Pubkey

import soltrader.dex as dex
from soltrader.adapters.solana_pools import pools_of
from soltrader.adapters.solana_rpc import Endpoint, RpcPool
from soltrader.dex.accounts import POOL_LAYOUTS
from soltrader.domain.secret import Secret
from tests.solana_rpc import TOKEN_PROGRAM, Chain, serving

FIXTURES = Path(__file__).resolve().parents[1] / "golden" / "data" / "solana"
WSOL = "So11111111111111111111111111111111111111112"
SENTINEL = "SENTINEL-pools-rpc-key"
DECIMALS = {WSOL: 9}  # the other mints: 6
RAYDIUM_TRADE_FEE = 2_500  # 0.25 % in 1e-6
FILES = {
    "orca_whirlpool": ("orca_whirlpool_pool_account_SOL.json", dex.decode_whirlpool),
    "raydium_clmm": ("raydium_clmm_pool_state_account_SOL.json", dex.decode_raydium_clmm_pool),
    "meteora_dlmm": ("meteora_dlmm_lb_pair_account.json", dex.decode_dlmm_lb_pair),
}


def _raw(name: str) -> bytes:
    doc = json.loads((FIXTURES / name).read_text())
    data = doc["data"]
    return base64.b64decode(data[0] if isinstance(data, list) else data)


def _mints_and_vaults(dex_name: str, state) -> tuple[tuple[str, str], tuple[str, str]]:
    if dex_name == "orca_whirlpool":
        return (state.token_mint_a, state.token_mint_b), (state.token_vault_a, state.token_vault_b)
    if dex_name == "raydium_clmm":
        return (state.token_mint_0, state.token_mint_1), (state.token_vault_0, state.token_vault_1)
    return (state.token_x_mint, state.token_y_mint), (state.reserve_x, state.reserve_y)


def _amm_config() -> bytes:
    head = (
        hashlib.sha256(b"account:AmmConfig").digest()[:8] + bytes([1]) + (4).to_bytes(2, "little")
    )
    fees = (120_000).to_bytes(4, "little") + RAYDIUM_TRADE_FEE.to_bytes(4, "little")
    return head + bytes(32) + fees + (60).to_bytes(2, "little") + bytes(4 + 4 + 32 + 24)


def _put(chain: Chain, address: str, data: bytes, owner: str) -> None:
    lamports = chain.svm.minimum_balance_for_rent_exemption(len(data))
    account = Account(lamports=lamports, data=data, owner=Pubkey.from_string(owner),
                      executable=False)  # fmt: skip
    chain.svm.set_account(Pubkey.from_string(address), account)


def _mint_bytes(decimals: int) -> bytes:
    return bytes(36) + (10**15).to_bytes(8, "little") + bytes([decimals, 1]) + bytes(36)


def _token_account(mint: str, amount: int) -> bytes:
    return Pubkey.from_string(mint).__bytes__() + bytes(32) + amount.to_bytes(8, "little") + bytes(
        [0, 0, 0, 0]
    ) + bytes(32) + bytes([1]) + bytes(4 + 8 + 8 + 4 + 32)  # fmt: skip


@pytest.fixture(scope="module")
def world() -> dict:
    """A chain holding the three pools (at made-up addresses), their mints, vaults and the
    Raydium fee config; returns the chain, the pool addresses and the decoded states."""
    chain = Chain()
    pools, states = {}, {}
    programs = {layout.dex: layout.program for layout in POOL_LAYOUTS}
    for i, (name, (file, decode)) in enumerate(FILES.items()):
        raw = _raw(file)
        state = decode(raw)
        address = str(Pubkey.new_unique())
        _put(chain, address, raw, programs[name])
        mints, vaults = _mints_and_vaults(name, state)
        for j, (mint, vault) in enumerate(zip(mints, vaults, strict=True)):
            _put(chain, mint, _mint_bytes(DECIMALS.get(mint, 6)), str(TOKEN_PROGRAM))
            _put(chain, vault, _token_account(mint, 10**9 * (i + 1) + j), str(TOKEN_PROGRAM))
        if name == "raydium_clmm":
            _put(chain, state.amm_config, _amm_config(), programs[name])
        pools[name], states[name] = address, state
    return {"chain": chain, "pools": pools, "states": states}


def _expected_price(name: str, state) -> Fraction:
    """Whole other-token per whole wSOL, from the pure price functions."""
    mints, _ = _mints_and_vaults(name, state)
    dec = [DECIMALS.get(m, 6) for m in mints]
    if name == "orca_whirlpool":
        price = dex.whirlpool_price(state, *dec).exact
    elif name == "raydium_clmm":
        price = dex.raydium_clmm_price(state).exact
    else:
        price = dex.dlmm_price(state, *dec).exact
    return price if mints[0] == WSOL else 1 / price


def test_pools_of_finds_decodes_and_prices_every_pool(world) -> None:
    async def read(url: str):
        async with RpcPool([Endpoint("rpc", Secret(url))], max_wait_s=10.0) as rpc:
            return await pools_of(rpc, WSOL), await pools_of(
                rpc, world["states"]["orca_whirlpool"].token_mint_b
            )

    with serving(world["chain"]) as url:
        views, others = asyncio.run(read(url))
    assert [v.dex for v in views] == ["orca_whirlpool", "raydium_clmm", "meteora_dlmm"]
    for view in views:
        state = world["states"][view.dex]
        assert view.address == world["pools"][view.dex] and view.state == state
        assert view.price_of(WSOL) == _expected_price(view.dex, state)
    by = {v.dex: v for v in views}
    assert by["orca_whirlpool"].fee_rate == 0.01  # feeRate 10000 in 1e-6
    assert by["raydium_clmm"].fee_rate == RAYDIUM_TRADE_FEE / 1e6
    assert by["meteora_dlmm"].fee_rate == dex.dlmm_fee_rate(by["meteora_dlmm"].state).total / 1e9
    assert by["orca_whirlpool"].position == 223338 and by["orca_whirlpool"].liquidity == 141421356
    assert by["orca_whirlpool"].reserves == (10**9, 10**9 + 1)
    assert [v.dex for v in others] == ["orca_whirlpool"]  # the pair's other mint: one pool


def test_the_cli_lists_the_pools_without_showing_the_rpc_key(world) -> None:
    with serving(world["chain"]) as url:
        env = {**os.environ, "SOLTRADER_SOLANA_RPC": f"{url}?api-key={SENTINEL}"}
        done = subprocess.run(
            [sys.executable, "-m", "soltrader.cli", "data", "pools", WSOL],
            capture_output=True, text=True, timeout=120, env=env,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"3 pools of {WSOL} (reserves in atomic units):"
    for name, address in world["pools"].items():
        row = next(line for line in lines if address in line)
        price = float(row.split()[3])
        assert row.split()[0] == name
        assert price == pytest.approx(float(_expected_price(name, world["states"][name])), rel=1e-9)
    assert SENTINEL not in done.stdout + done.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "soltrader.cli", "data", "pools", WSOL, "--rpc-env", "NO_SUCH_VAR"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert missing.returncode == 1 and "set NO_SUCH_VAR to an RPC URL" in missing.stderr
