"""Pools of a token from chain state: Orca Whirlpool, Raydium CLMM and Meteora DLMM, read over
JSON-RPC through the Solana venue's :class:`~soltrader.adapters.solana_rpc.RpcPool`.

For every DEX of :data:`~soltrader.dex.accounts.POOL_LAYOUTS` two ``getProgramAccounts`` queries
(the token as the pool's first mint, then as its second: ``dataSize`` and ``memcmp`` filters, so
the node does the search) find the pools; one ``getMultipleAccounts`` then reads what their
state does not hold: the mints' decimals, Raydium's fee tiers (``AmmConfig``) and every pool's two
vaults (its reserves). The decoding and the prices are :mod:`soltrader.dex`'s, pure and exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any, NamedTuple

from soltrader.adapters.solana_rpc import AccountData, RpcPool
from soltrader.dex import (
    decode_dlmm_lb_pair,
    decode_raydium_clmm_pool,
    decode_whirlpool,
    dlmm_fee_rate,
    dlmm_price,
    raydium_clmm_price,
    whirlpool_price,
)
from soltrader.dex.accounts import (
    POOL_LAYOUTS,
    PoolLayout,
    decode_raydium_amm_config,
    decode_spl_mint,
)
from soltrader.domain.errors import DataError

_TOKEN_AMOUNT = slice(64, 72)  # a token account's balance (u64) in the SPL layout
_CLMM_FEE = 1_000_000  # Whirlpool and Raydium fee rates are in 1e-6
_DLMM_FEE = 1_000_000_000  # DLMM fee rates are in 1e-9


class PoolView(NamedTuple):
    """One pool as chain state shows it.

    Attributes
    ----------
    dex : str
        ``"orca_whirlpool"``, ``"raydium_clmm"`` or ``"meteora_dlmm"``.
    address : str
        The pool account.
    mint_a, mint_b : str
        Its mints in the pool's own order (Whirlpool A/B, Raydium 0/1, DLMM X/Y).
    decimals_a, decimals_b : int
        Their decimals.
    price : Fraction
        Whole ``mint_b`` per whole ``mint_a`` at the current sqrt price or active bin.
    fee_rate : float
        The swap fee as a fraction (DLMM: base plus the current variable fee).
    position : int
        The current tick (CLMM) or active bin id (DLMM).
    liquidity : int or None
        The in-range liquidity L of a CLMM pool (None for DLMM, whose liquidity is per bin).
    reserves : tuple of int
        The atomic units in the pool's two vaults (``mint_a``, ``mint_b``).
    state : NamedTuple
        The decoded pool account.
    """

    dex: str
    address: str
    mint_a: str
    mint_b: str
    decimals_a: int
    decimals_b: int
    price: Fraction
    fee_rate: float
    position: int
    liquidity: int | None
    reserves: tuple[int, int]
    state: Any

    def price_of(self, mint: str) -> Fraction:
        """Whole units of the pool's other token per whole ``mint``.

        Examples
        --------
        >>> view = PoolView("x", "p", "A", "B", 9, 6, Fraction(150), 0.003, 0, None, (0, 0), None)
        >>> view.price_of("A"), view.price_of("B")
        (Fraction(150, 1), Fraction(1, 150))
        """
        if mint == self.mint_a:
            return self.price
        if mint == self.mint_b:
            return 1 / self.price
        raise DataError(f"pool {self.address} does not hold {mint}", field="mint")


class _Found(NamedTuple):
    layout: PoolLayout
    account: AccountData
    state: Any
    mints: tuple[str, str]
    vaults: tuple[str, str]


def _decoded(layout: PoolLayout, account: AccountData) -> _Found:
    if layout.dex == "orca_whirlpool":
        s = decode_whirlpool(account.data)
        return _Found(layout, account, s, (s.token_mint_a, s.token_mint_b),
                      (s.token_vault_a, s.token_vault_b))  # fmt: skip
    if layout.dex == "raydium_clmm":
        s = decode_raydium_clmm_pool(account.data)
        return _Found(layout, account, s, (s.token_mint_0, s.token_mint_1),
                      (s.token_vault_0, s.token_vault_1))  # fmt: skip
    s = decode_dlmm_lb_pair(account.data)
    return _Found(layout, account, s, (s.token_x_mint, s.token_y_mint), (s.reserve_x, s.reserve_y))


async def _find(rpc: RpcPool, mint: str, layouts: Sequence[PoolLayout]) -> list[_Found]:
    found: dict[str, _Found] = {}
    for layout in layouts:
        for offset in layout.mint_offsets:
            accounts = await rpc.program_accounts(
                layout.program, data_size=layout.size, memcmp=[(offset, mint)]
            )
            for account in accounts:
                found.setdefault(account.address, _decoded(layout, account))
    return list(found.values())


async def _read(rpc: RpcPool, addresses: Sequence[str]) -> dict[str, AccountData]:
    wanted = list(dict.fromkeys(addresses))
    accounts = await rpc.accounts(wanted)
    missing = [a for a, acc in zip(wanted, accounts, strict=True) if acc is None]
    if missing:
        raise DataError(f"accounts not found on chain: {', '.join(missing)}", field="account")
    return {a: acc for a, acc in zip(wanted, accounts, strict=True) if acc is not None}


def _balance(account: AccountData) -> int:
    if len(account.data) < _TOKEN_AMOUNT.stop:
        raise DataError(f"{account.address}: not a token account", field="data")
    return int.from_bytes(account.data[_TOKEN_AMOUNT], "little")


def _view(f: _Found, extra: dict[str, AccountData]) -> PoolView:
    dec_a, dec_b = (decode_spl_mint(extra[m].data).decimals for m in f.mints)
    reserves = (_balance(extra[f.vaults[0]]), _balance(extra[f.vaults[1]]))
    s = f.state
    if f.layout.dex == "orca_whirlpool":
        price, fee = whirlpool_price(s, dec_a, dec_b).exact, s.fee_rate / _CLMM_FEE
        return PoolView(f.layout.dex, f.account.address, *f.mints, dec_a, dec_b, price, fee,
                        s.tick_current_index, s.liquidity, reserves, s)  # fmt: skip
    if f.layout.dex == "raydium_clmm":
        fee = decode_raydium_amm_config(extra[s.amm_config].data).trade_fee_rate / _CLMM_FEE
        return PoolView(f.layout.dex, f.account.address, *f.mints, dec_a, dec_b,
                        raydium_clmm_price(s).exact, fee, s.tick_current, s.liquidity, reserves,
                        s)  # fmt: skip
    price, fee = dlmm_price(s, dec_a, dec_b).exact, dlmm_fee_rate(s).total / _DLMM_FEE
    return PoolView(f.layout.dex, f.account.address, *f.mints, dec_a, dec_b, price, fee,
                    s.active_id, None, reserves, s)  # fmt: skip


async def pools_of(
    rpc: RpcPool, mint: str, layouts: Sequence[PoolLayout] = POOL_LAYOUTS
) -> list[PoolView]:
    """Every pool of ``mint`` on the DEXes of ``layouts``, with prices, fees and reserves.

    Parameters
    ----------
    rpc : RpcPool
        The RPC endpoints (the node must serve ``getProgramAccounts``).
    mint : str
        The token's mint (base58).
    layouts : sequence of PoolLayout
        Which DEXes to search (default: all three).

    Returns
    -------
    list of PoolView
        By DEX, then by reserves of ``mint`` (deepest first).

    Raises
    ------
    DataError
        An account the pools point to does not exist, or does not decode.

    Examples
    --------
    >>> async with RpcPool([endpoint]) as rpc:                            # doctest: +SKIP
    ...     for pool in await pools_of(rpc, "So11111111111111111111111111111111111111112"):
    ...         print(pool.dex, pool.address, float(pool.price))
    """
    found = await _find(rpc, mint, layouts)
    wanted: list[str] = []
    for f in found:
        wanted += [*f.mints, *f.vaults]
        if f.layout.dex == "raydium_clmm":
            wanted.append(f.state.amm_config)
    extra = await _read(rpc, wanted) if wanted else {}
    views = [_view(f, extra) for f in found]
    order = [layout.dex for layout in layouts]

    def depth(v: PoolView) -> int:
        return v.reserves[0] if v.mint_a == mint else v.reserves[1]

    return sorted(views, key=lambda v: (order.index(v.dex), -depth(v)))


__all__ = ["PoolView", "pools_of"]
