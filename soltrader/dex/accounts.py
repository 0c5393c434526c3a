"""The other accounts a pool's state needs, and where each DEX keeps its pools.

A pool account holds its mints but not their decimals (an SPL mint account does) and, for
Raydium CLMM, not its fee rate (its ``AmmConfig`` account does). :data:`POOL_LAYOUTS` says, per
DEX, which program owns the pools, their account size and the byte offsets of their two mints:
what a ``getProgramAccounts`` query with ``dataSize`` and ``memcmp`` filters needs to find every
pool of a token (see :mod:`soltrader.adapters.solana_pools`).
"""

from __future__ import annotations

from typing import NamedTuple

from soltrader.dex.pools import _base58, _close, _open
from soltrader.domain.errors import DataError, ParameterError

#: The SPL mint layout (Token and Token-2022 share its first 82 bytes).
_MINT_LEN = 82
_RAYDIUM_AMM_CONFIG_SIZE = 117


class PoolLayout(NamedTuple):
    """Where one DEX keeps its pools: its name, the owning program, the pool account's size
    (bytes) and the offsets of its two mints (first, second) in the account."""

    dex: str
    program: str
    size: int
    mint_offsets: tuple[int, int]


#: The pool accounts of Orca Whirlpool, Raydium CLMM and Meteora DLMM.
POOL_LAYOUTS = (
    PoolLayout("orca_whirlpool", "whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc", 653, (101, 181)),
    PoolLayout("raydium_clmm", "CAMMCzo5YL8w4VFF8KVHrK22GGUsp5VTaW7grrKgrWqK", 1_544, (73, 105)),
    PoolLayout("meteora_dlmm", "LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo", 904, (88, 120)),
)


class SplMint(NamedTuple):
    """An SPL token mint: supply (atomic units), decimals, whether it is initialised, and its
    mint and freeze authorities (None: none)."""

    supply: int
    decimals: int
    is_initialized: bool
    mint_authority: str | None
    freeze_authority: str | None


def _option_pubkey(raw: bytes) -> str | None:
    return _base58(raw[4:36]) if int.from_bytes(raw[:4], "little") else None


def decode_spl_mint(data: bytes) -> SplMint:
    """Decode an SPL Token (or Token-2022: extensions after byte 82 are ignored) mint account.

    Raises
    ------
    DataError
        Fewer than 82 bytes, or a mint that is not initialised.

    Examples
    --------
    >>> raw = bytes(36) + (10**9).to_bytes(8, "little") + bytes([6, 1]) + bytes(36)
    >>> decode_spl_mint(raw)[:3]
    (1000000000, 6, True)
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ParameterError("data", f"expected a mint account's bytes, got {type(data).__name__}")
    raw = bytes(data)
    if len(raw) < _MINT_LEN:
        raise DataError(
            f"mint account: expected >= {_MINT_LEN} bytes, got {len(raw)}", field="data"
        )
    mint = SplMint(
        int.from_bytes(raw[36:44], "little"),
        raw[44],
        raw[45] == 1,
        _option_pubkey(raw[0:36]),
        _option_pubkey(raw[46:82]),
    )
    if not mint.is_initialized:
        raise DataError("mint account: not initialised", field="is_initialized")
    return mint


class RaydiumAmmConfig(NamedTuple):
    """A Raydium CLMM ``AmmConfig`` account: the fee tier its pools point to. Rates are in
    hundredths of a basis point (1e-6): ``trade_fee_rate`` 2 500 is 0.25 %."""

    bump: int
    index: int
    owner: str
    protocol_fee_rate: int
    trade_fee_rate: int
    tick_spacing: int
    fund_fee_rate: int
    fund_owner: str


def decode_raydium_amm_config(data: bytes) -> RaydiumAmmConfig:
    """Decode a Raydium CLMM ``AmmConfig`` account (117 bytes).

    Raises
    ------
    DataError
        A wrong discriminator or length.

    Examples
    --------
    >>> from soltrader.dex.pools import _discriminator
    >>> raw = (_discriminator("AmmConfig") + bytes([1]) + (4).to_bytes(2, "little") + bytes(32)
    ...        + (120_000).to_bytes(4, "little") + (2_500).to_bytes(4, "little")
    ...        + (60).to_bytes(2, "little") + (40_000).to_bytes(4, "little") + bytes(4 + 32 + 24))
    >>> decode_raydium_amm_config(raw).trade_fee_rate
    2500
    """
    r = _open(data, "AmmConfig", _RAYDIUM_AMM_CONFIG_SIZE)
    bump, index, owner = r.u8(), r.u16(), r.pubkey()
    protocol, trade, spacing, fund = r.u32(), r.u32(), r.u16(), r.u32()
    r.skip(4)  # padding
    fund_owner = r.pubkey()
    r.skip(24)  # padding
    _close(r, "AmmConfig")
    return RaydiumAmmConfig(bump, index, owner, protocol, trade, spacing, fund, fund_owner)


__all__ = [
    "POOL_LAYOUTS",
    "PoolLayout",
    "RaydiumAmmConfig",
    "SplMint",
    "decode_raydium_amm_config",
    "decode_spl_mint",
]
