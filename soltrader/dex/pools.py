"""On-chain DEX pool accounts, decoded from their raw bytes, and exact small-size swap quotes.

Pure: bytes in, typed records (``NamedTuple``) out; no network, no clock, no file access.

Accounts covered (each an Anchor account: an 8-byte discriminator ``sha256("account:<Name>")[:8]``
followed by the fields, little-endian, packed):

* Orca Whirlpool: the pool (``Whirlpool``, 653 bytes) and the fixed tick array (``TickArray``,
  9 988 bytes, 88 ticks);
* Raydium CLMM: the pool (``PoolState``, 1 544 bytes);
* Meteora DLMM: the pair (``LbPair``, 904 bytes) and the bin array (``BinArray``, 10 136 bytes,
  70 bins).

Field order and sizes follow the programs' published IDLs / account structs (as also read by the
carbon decoders). Public keys come out as base58 strings; on-chain amounts, liquidities and Q64.64
prices as exact Python integers.

Quotes (``*_quote_exact_in``) reproduce one step of the programs' swap loops with their integer
rounding (output rounds down, fee and the input needed round up): within the current tick-spacing
interval (or up to a caller-given tick where liquidity changes) for the concentrated-liquidity
pools, within the active bin for DLMM. A trade that would go further stops at the boundary and
says so (``crosses_boundary=True``); crossing into the next tick or bin is not modelled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from fractions import Fraction
from typing import NamedTuple

from soltrader.domain.errors import DataError, ParameterError

__all__ = [
    "DLMM_MAX_BIN_ID",
    "DLMM_MIN_BIN_ID",
    "MAX_TICK",
    "MIN_TICK",
    "DlmmBin",
    "DlmmBinArray",
    "DlmmFeeRate",
    "DlmmLbPair",
    "DlmmRewardInfo",
    "DlmmStaticParameters",
    "DlmmVariableParameters",
    "IndexedTick",
    "PoolPrice",
    "RaydiumClmmPool",
    "RaydiumRewardInfo",
    "SwapQuote",
    "Whirlpool",
    "WhirlpoolRewardInfo",
    "WhirlpoolTick",
    "WhirlpoolTickArray",
    "decode_dlmm_bin_array",
    "decode_dlmm_lb_pair",
    "decode_raydium_clmm_pool",
    "decode_whirlpool",
    "decode_whirlpool_tick_array",
    "dlmm_bin_price_x64",
    "dlmm_fee_rate",
    "dlmm_price",
    "dlmm_quote_exact_in",
    "raydium_clmm_price",
    "raydium_clmm_quote_exact_in",
    "raydium_sqrt_price_at_tick",
    "raydium_tick_at_sqrt_price",
    "whirlpool_initialized_ticks",
    "whirlpool_next_initialized_tick",
    "whirlpool_price",
    "whirlpool_quote_exact_in",
    "whirlpool_sqrt_price_at_tick",
    "whirlpool_tick_at_sqrt_price",
]

_Q64 = 1 << 64
_U64_MAX = (1 << 64) - 1
_U128_MAX = (1 << 128) - 1

#: Lowest and highest tick index of Orca Whirlpool and Raydium CLMM (sqrt price 2**-32 .. 2**32).
MIN_TICK = -443_636
MAX_TICK = 443_636
#: Lowest and highest bin id of Meteora DLMM.
DLMM_MIN_BIN_ID = -443_636
DLMM_MAX_BIN_ID = 443_636

_CLMM_FEE_DENOMINATOR = 1_000_000  # fee rates in hundredths of a basis point (1e-6)
_DLMM_FEE_PRECISION = 1_000_000_000  # DLMM fee rates in 1e-9
_DLMM_MAX_FEE_RATE = 100_000_000  # 10 %
_DLMM_BINS_PER_ARRAY = 70
_BASIS_POINT_MAX = 10_000

_WHIRLPOOL_SIZE = 653
_WHIRLPOOL_TICK_ARRAY_SIZE = 9_988
_WHIRLPOOL_TICKS_PER_ARRAY = 88
_RAYDIUM_POOL_SIZE = 1_544
_DLMM_LB_PAIR_SIZE = 904
_DLMM_BIN_ARRAY_SIZE = 10_136

# --------------------------------------------------------------------------------------------
# Reading raw account bytes
# --------------------------------------------------------------------------------------------

_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58(raw: bytes) -> str:
    """Bitcoin-alphabet base58 of ``raw`` (how Solana writes a public key)."""
    number = int.from_bytes(raw, "big")
    digits = []
    while number:
        number, digit = divmod(number, 58)
        digits.append(_BASE58_ALPHABET[digit])
    leading_zeros = len(raw) - len(raw.lstrip(b"\0"))
    return "1" * leading_zeros + "".join(reversed(digits))


def _discriminator(account: str) -> bytes:
    """Anchor's account discriminator: the first 8 bytes of ``sha256("account:<Name>")``."""
    return hashlib.sha256(f"account:{account}".encode()).digest()[:8]


class _Reader:
    """A little-endian cursor over one account's bytes, starting after the discriminator."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 8

    def take(self, size: int) -> bytes:
        chunk = self._data[self._pos : self._pos + size]
        self._pos += size
        return chunk

    def skip(self, size: int) -> None:
        self._pos += size

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "little")

    def sint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "little", signed=True)

    def u8(self) -> int:
        return self.uint(1)

    def u16(self) -> int:
        return self.uint(2)

    def u32(self) -> int:
        return self.uint(4)

    def u64(self) -> int:
        return self.uint(8)

    def u128(self) -> int:
        return self.uint(16)

    def i32(self) -> int:
        return self.sint(4)

    def i64(self) -> int:
        return self.sint(8)

    def i128(self) -> int:
        return self.sint(16)

    def flag(self) -> bool:
        return self.u8() != 0

    def pubkey(self) -> str:
        return _base58(self.take(32))

    def u64s(self, count: int) -> tuple[int, ...]:
        return tuple(self.u64() for _ in range(count))

    def u128s(self, count: int) -> tuple[int, ...]:
        return tuple(self.u128() for _ in range(count))

    def at_end(self) -> bool:
        return self._pos == len(self._data)


def _open(data: object, account: str, size: int) -> _Reader:
    """Check the type, discriminator and length of an account's raw bytes; a reader past the
    discriminator."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ParameterError(
            "data", f"expected the raw bytes of a {account} account, got {type(data).__name__}"
        )
    raw = bytes(data)
    expected = _discriminator(account)
    if raw[:8] != expected:
        raise DataError(
            f"{account} account: discriminator {raw[:8].hex() or '(empty)'} does not match "
            f"sha256('account:{account}')[:8] = {expected.hex()}; this is not a {account} account",
            field="discriminator",
        )
    if len(raw) != size:
        raise DataError(f"{account} account: expected {size} bytes, got {len(raw)}", field="data")
    return _Reader(raw)


def _close(reader: _Reader, account: str) -> None:
    if not reader.at_end():  # a layout bug, not bad input: the sizes above are the layout's
        raise AssertionError(f"{account} layout does not add up to its account size")


# --------------------------------------------------------------------------------------------
# Orca Whirlpool
# --------------------------------------------------------------------------------------------


class WhirlpoolRewardInfo(NamedTuple):
    """One of a Whirlpool's three liquidity-mining rewards.

    Attributes
    ----------
    mint, vault, authority : str
        Reward token mint, its vault, and who may change the emissions (base58); an unused slot
        has the all-zero key ``"11111111111111111111111111111111"`` as mint.
    emissions_per_second_x64 : int
        Reward tokens (atomic units) emitted per second, Q64.64.
    growth_global_x64 : int
        Reward per unit of liquidity accumulated since the pool's start, Q64.64.
    """

    mint: str
    vault: str
    authority: str
    emissions_per_second_x64: int
    growth_global_x64: int


class Whirlpool(NamedTuple):
    """An Orca Whirlpool pool account (``Whirlpool``, 653 bytes).

    Attributes
    ----------
    whirlpools_config : str
        The config account the pool belongs to (base58).
    whirlpool_bump : int
        PDA bump seed.
    tick_spacing : int
        Ticks between initialisable ticks (32 896 for a full-range-only "splash" pool).
    fee_tier_index_seed : bytes
        The fee-tier seed of the pool's address (2 bytes; the tick spacing, little-endian, for
        plain fee tiers; ``tick_spacing_seed`` in older layouts).
    fee_rate : int
        Swap fee in hundredths of a basis point (1e-6 of the input: 3 000 = 0.30 %).
    protocol_fee_rate : int
        Share of the swap fee kept by the protocol, in basis points of the fee (1e-4).
    liquidity : int
        Active liquidity (u128).
    sqrt_price : int
        Square root of the price (token B atomic units per token A atomic unit), Q64.64.
    tick_current_index : int
        Current tick: the greatest tick whose sqrt price is <= ``sqrt_price``.
    protocol_fee_owed_a, protocol_fee_owed_b : int
        Uncollected protocol fees, atomic units of token A / B.
    token_mint_a, token_vault_a, token_mint_b, token_vault_b : str
        The pool's tokens and the vaults holding them (base58).
    fee_growth_global_a, fee_growth_global_b : int
        Fees earned per unit of liquidity since the start, Q64.64.
    reward_last_updated_timestamp : int
        Unix time (s) the rewards were last updated.
    reward_infos : tuple of WhirlpoolRewardInfo
        The three reward slots.
    """

    whirlpools_config: str
    whirlpool_bump: int
    tick_spacing: int
    fee_tier_index_seed: bytes
    fee_rate: int
    protocol_fee_rate: int
    liquidity: int
    sqrt_price: int
    tick_current_index: int
    protocol_fee_owed_a: int
    protocol_fee_owed_b: int
    token_mint_a: str
    token_vault_a: str
    fee_growth_global_a: int
    token_mint_b: str
    token_vault_b: str
    fee_growth_global_b: int
    reward_last_updated_timestamp: int
    reward_infos: tuple[WhirlpoolRewardInfo, ...]


class WhirlpoolTick(NamedTuple):
    """One tick of a Whirlpool tick array (113 bytes on chain).

    Attributes
    ----------
    initialized : bool
        Whether a position uses this tick as a bound.
    liquidity_net : int
        Liquidity added when the price crosses the tick upwards (removed downwards), i128.
    liquidity_gross : int
        Total liquidity of the positions referencing the tick, u128.
    fee_growth_outside_a, fee_growth_outside_b : int
        Fee growth on the other side of the tick, Q64.64.
    reward_growths_outside : tuple of int
        Reward growth on the other side of the tick, one Q64.64 per reward slot (3).
    """

    initialized: bool
    liquidity_net: int
    liquidity_gross: int
    fee_growth_outside_a: int
    fee_growth_outside_b: int
    reward_growths_outside: tuple[int, ...]


class WhirlpoolTickArray(NamedTuple):
    """An Orca Whirlpool fixed tick array (``TickArray``, 9 988 bytes): 88 consecutive
    initialisable ticks starting at ``start_tick_index``.

    Attributes
    ----------
    start_tick_index : int
        Tick index of ``ticks[0]``; ``ticks[i]`` is tick ``start_tick_index + i * tick_spacing``.
    ticks : tuple of WhirlpoolTick
        The 88 ticks.
    whirlpool : str
        The pool the array belongs to (base58).
    """

    start_tick_index: int
    ticks: tuple[WhirlpoolTick, ...]
    whirlpool: str


class IndexedTick(NamedTuple):
    """A tick with its tick index."""

    tick_index: int
    tick: WhirlpoolTick


def _whirlpool_reward(r: _Reader) -> WhirlpoolRewardInfo:
    return WhirlpoolRewardInfo(
        mint=r.pubkey(),
        vault=r.pubkey(),
        authority=r.pubkey(),
        emissions_per_second_x64=r.u128(),
        growth_global_x64=r.u128(),
    )


def decode_whirlpool(data: bytes) -> Whirlpool:
    """Decode an Orca Whirlpool pool account.

    Parameters
    ----------
    data : bytes
        The account's raw data (653 bytes, base64-decoded from an RPC ``getAccountInfo``).

    Returns
    -------
    Whirlpool
        Every field of the account; amounts and Q64.64 values as exact integers.

    Raises
    ------
    DataError
        If the discriminator is not ``sha256("account:Whirlpool")[:8]`` or the length is not 653
        (``field`` is ``"discriminator"`` or ``"data"``).

    Notes
    -----
    Layout of ``Whirlpool`` in the Orca Whirlpool program
    (``whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc``).

    Examples
    --------
    >>> import hashlib
    >>> raw = hashlib.sha256(b"account:Whirlpool").digest()[:8] + bytes(645)
    >>> decode_whirlpool(raw).token_mint_a
    '11111111111111111111111111111111'
    >>> from soltrader.domain.errors import DataError
    >>> try:
    ...     decode_whirlpool(bytes(653))  # all zeros: not a Whirlpool
    ... except DataError as error:
    ...     print(error.field)
    discriminator
    """
    r = _open(data, "Whirlpool", _WHIRLPOOL_SIZE)
    pool = Whirlpool(
        whirlpools_config=r.pubkey(),
        whirlpool_bump=r.u8(),
        tick_spacing=r.u16(),
        fee_tier_index_seed=r.take(2),
        fee_rate=r.u16(),
        protocol_fee_rate=r.u16(),
        liquidity=r.u128(),
        sqrt_price=r.u128(),
        tick_current_index=r.i32(),
        protocol_fee_owed_a=r.u64(),
        protocol_fee_owed_b=r.u64(),
        token_mint_a=r.pubkey(),
        token_vault_a=r.pubkey(),
        fee_growth_global_a=r.u128(),
        token_mint_b=r.pubkey(),
        token_vault_b=r.pubkey(),
        fee_growth_global_b=r.u128(),
        reward_last_updated_timestamp=r.u64(),
        reward_infos=tuple(_whirlpool_reward(r) for _ in range(3)),
    )
    _close(r, "Whirlpool")
    return pool


def _whirlpool_tick(r: _Reader) -> WhirlpoolTick:
    return WhirlpoolTick(
        initialized=r.flag(),
        liquidity_net=r.i128(),
        liquidity_gross=r.u128(),
        fee_growth_outside_a=r.u128(),
        fee_growth_outside_b=r.u128(),
        reward_growths_outside=r.u128s(3),
    )


def decode_whirlpool_tick_array(data: bytes) -> WhirlpoolTickArray:
    """Decode an Orca Whirlpool fixed tick array account.

    Parameters
    ----------
    data : bytes
        The account's raw data (9 988 bytes).

    Returns
    -------
    WhirlpoolTickArray
        Start tick index, the 88 ticks and the owning pool.

    Raises
    ------
    DataError
        If the discriminator is not ``sha256("account:TickArray")[:8]`` or the length is not
        9 988. The newer variable-size ``DynamicTickArray`` is a different account and is
        rejected.

    Examples
    --------
    >>> import hashlib
    >>> raw = bytearray(hashlib.sha256(b"account:TickArray").digest()[:8] + bytes(9980))
    >>> raw[8:12] = (-5632).to_bytes(4, "little", signed=True)
    >>> array = decode_whirlpool_tick_array(bytes(raw))
    >>> array.start_tick_index, len(array.ticks)
    (-5632, 88)
    """
    r = _open(data, "TickArray", _WHIRLPOOL_TICK_ARRAY_SIZE)
    array = WhirlpoolTickArray(
        start_tick_index=r.i32(),
        ticks=tuple(_whirlpool_tick(r) for _ in range(_WHIRLPOOL_TICKS_PER_ARRAY)),
        whirlpool=r.pubkey(),
    )
    _close(r, "TickArray")
    return array


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ParameterError(name, f"must be a whole number > 0, got {value!r}")
    return value


def whirlpool_initialized_ticks(
    tick_array: WhirlpoolTickArray, tick_spacing: int
) -> tuple[IndexedTick, ...]:
    """The initialised ticks of a tick array, with their tick indexes, lowest first.

    Parameters
    ----------
    tick_array : WhirlpoolTickArray
        A decoded tick array.
    tick_spacing : int
        The pool's ``tick_spacing`` (not stored in the array).

    Returns
    -------
    tuple of IndexedTick
        ``(tick_index, tick)`` for each initialised tick.

    Examples
    --------
    >>> tick = WhirlpoolTick(True, 10, 10, 0, 0, (0, 0, 0))
    >>> empty = tick._replace(initialized=False, liquidity_net=0, liquidity_gross=0)
    >>> array = WhirlpoolTickArray(-5632, (empty, tick) + (empty,) * 86, "1" * 32)
    >>> [t.tick_index for t in whirlpool_initialized_ticks(array, 64)]
    [-5568]
    """
    spacing = _positive_int("tick_spacing", tick_spacing)
    return tuple(
        IndexedTick(tick_array.start_tick_index + i * spacing, tick)
        for i, tick in enumerate(tick_array.ticks)
        if tick.initialized
    )


def whirlpool_next_initialized_tick(
    tick_array: WhirlpoolTickArray, tick_spacing: int, tick_current_index: int, a_to_b: bool
) -> int | None:
    """The next initialised tick a swap would meet inside this tick array, or ``None``.

    As the program searches: selling token A (``a_to_b``, price falling) meets the greatest
    initialised tick ``<= tick_current_index``; selling token B meets the smallest one
    ``> tick_current_index``. Its index is the ``boundary_tick`` to give
    :func:`whirlpool_quote_exact_in` so that the quote may run past the current tick-spacing
    interval. ``None`` means the array holds no such tick (search the neighbouring array).

    Parameters
    ----------
    tick_array : WhirlpoolTickArray
        A decoded tick array.
    tick_spacing : int
        The pool's tick spacing.
    tick_current_index : int
        The pool's current tick.
    a_to_b : bool
        Swap direction: ``True`` sells token A for token B.

    Returns
    -------
    int or None
        The tick index.

    Examples
    --------
    >>> tick = WhirlpoolTick(True, 10, 10, 0, 0, (0, 0, 0))
    >>> empty = tick._replace(initialized=False, liquidity_net=0, liquidity_gross=0)
    >>> array = WhirlpoolTickArray(-5632, (empty, tick) + (empty,) * 86, "1" * 32)
    >>> whirlpool_next_initialized_tick(array, 64, -100, a_to_b=True)
    -5568
    >>> whirlpool_next_initialized_tick(array, 64, -100, a_to_b=False) is None
    True
    """
    indexes = [t.tick_index for t in whirlpool_initialized_ticks(tick_array, tick_spacing)]
    if a_to_b:
        below = [i for i in indexes if i <= tick_current_index]
        return max(below) if below else None
    above = [i for i in indexes if i > tick_current_index]
    return min(above) if above else None


# --------------------------------------------------------------------------------------------
# Raydium CLMM
# --------------------------------------------------------------------------------------------


class RaydiumRewardInfo(NamedTuple):
    """One of a Raydium CLMM pool's three reward slots (169 bytes on chain).

    Attributes
    ----------
    reward_state : int
        0 uninitialised, 1 initialised, 2 opening, 3 ended.
    open_time, end_time, last_update_time : int
        Unix times (s).
    emissions_per_second_x64 : int
        Reward tokens (atomic units) per second, Q64.64.
    reward_total_emissioned, reward_claimed : int
        Atomic units of the reward token.
    token_mint, token_vault, authority : str
        Base58 keys.
    reward_growth_global_x64 : int
        Reward per unit of liquidity since the start, Q64.64.
    """

    reward_state: int
    open_time: int
    end_time: int
    last_update_time: int
    emissions_per_second_x64: int
    reward_total_emissioned: int
    reward_claimed: int
    token_mint: str
    token_vault: str
    authority: str
    reward_growth_global_x64: int


class RaydiumClmmPool(NamedTuple):
    """A Raydium CLMM pool account (``PoolState``, 1 544 bytes).

    Attributes
    ----------
    bump : int
        PDA bump seed.
    amm_config : str
        The fee config (``AmmConfig``) account; the trade fee rate lives there, not here.
    owner : str
        The pool's creator.
    token_mint_0, token_mint_1 : str
        The tokens, ``token_mint_0 < token_mint_1`` as raw bytes.
    token_vault_0, token_vault_1 : str
        The vaults holding them.
    observation_key : str
        The price-observation (oracle) account.
    mint_decimals_0, mint_decimals_1 : int
        Decimals of the two mints.
    tick_spacing : int
        Ticks between initialisable ticks.
    liquidity : int
        Active liquidity (u128).
    sqrt_price_x64 : int
        Square root of the price (token 1 atomic units per token 0 atomic unit), Q64.64.
    tick_current : int
        Current tick.
    fee_growth_global_0_x64, fee_growth_global_1_x64 : int
        Fees per unit of liquidity since the start, Q64.64.
    protocol_fees_token_0, protocol_fees_token_1 : int
        Uncollected protocol fees, atomic units.
    swap_in_amount_token_0, swap_out_amount_token_1 : int
        Cumulative swap volumes (u128, atomic units); later program versions stopped updating
        them (the bytes became padding), so treat them as informative only.
    swap_in_amount_token_1, swap_out_amount_token_0 : int
        The same for swaps in the other direction.
    status : int
        Bit flags, a set bit disables: 0 open position / add liquidity, 1 remove liquidity,
        2 collect fee, 3 collect reward, 4 swap.
    fee_on : int
        Which token pays the fee in later program versions: 0 the input token (the only mode
        older pools know), 1 always token 0, 2 always token 1. A padding byte before that.
    reward_infos : tuple of RaydiumRewardInfo
        The three reward slots.
    tick_array_bitmap : tuple of int
        16 u64 words: which tick arrays around tick 0 hold initialised ticks.
    total_fees_token_0, total_fees_claimed_token_0 : int
        Fee counters (atomic units); like the swap volumes, padding in later versions.
    total_fees_token_1, total_fees_claimed_token_1 : int
        The same for token 1.
    fund_fees_token_0, fund_fees_token_1 : int
        Uncollected fund fees, atomic units.
    open_time : int
        Unix time (s) swaps open.
    recent_epoch : int
        Solana epoch of the last update.
    """

    bump: int
    amm_config: str
    owner: str
    token_mint_0: str
    token_mint_1: str
    token_vault_0: str
    token_vault_1: str
    observation_key: str
    mint_decimals_0: int
    mint_decimals_1: int
    tick_spacing: int
    liquidity: int
    sqrt_price_x64: int
    tick_current: int
    fee_growth_global_0_x64: int
    fee_growth_global_1_x64: int
    protocol_fees_token_0: int
    protocol_fees_token_1: int
    swap_in_amount_token_0: int
    swap_out_amount_token_1: int
    swap_in_amount_token_1: int
    swap_out_amount_token_0: int
    status: int
    fee_on: int
    reward_infos: tuple[RaydiumRewardInfo, ...]
    tick_array_bitmap: tuple[int, ...]
    total_fees_token_0: int
    total_fees_claimed_token_0: int
    total_fees_token_1: int
    total_fees_claimed_token_1: int
    fund_fees_token_0: int
    fund_fees_token_1: int
    open_time: int
    recent_epoch: int


def _raydium_reward(r: _Reader) -> RaydiumRewardInfo:
    return RaydiumRewardInfo(
        reward_state=r.u8(),
        open_time=r.u64(),
        end_time=r.u64(),
        last_update_time=r.u64(),
        emissions_per_second_x64=r.u128(),
        reward_total_emissioned=r.u64(),
        reward_claimed=r.u64(),
        token_mint=r.pubkey(),
        token_vault=r.pubkey(),
        authority=r.pubkey(),
        reward_growth_global_x64=r.u128(),
    )


def _raydium_pool_head(r: _Reader) -> dict[str, object]:
    """The fields up to and including the cumulative swap volumes, in layout order."""
    return {
        "bump": r.u8(),
        "amm_config": r.pubkey(),
        "owner": r.pubkey(),
        "token_mint_0": r.pubkey(),
        "token_mint_1": r.pubkey(),
        "token_vault_0": r.pubkey(),
        "token_vault_1": r.pubkey(),
        "observation_key": r.pubkey(),
        "mint_decimals_0": r.u8(),
        "mint_decimals_1": r.u8(),
        "tick_spacing": r.u16(),
        "liquidity": r.u128(),
        "sqrt_price_x64": r.u128(),
        "tick_current": r.i32(),
        "_padding": r.skip(4),
        "fee_growth_global_0_x64": r.u128(),
        "fee_growth_global_1_x64": r.u128(),
        "protocol_fees_token_0": r.u64(),
        "protocol_fees_token_1": r.u64(),
        "swap_in_amount_token_0": r.u128(),
        "swap_out_amount_token_1": r.u128(),
        "swap_in_amount_token_1": r.u128(),
        "swap_out_amount_token_0": r.u128(),
    }


def _raydium_pool_tail(r: _Reader) -> dict[str, object]:
    """The fields from ``status`` to ``recent_epoch``, in layout order, then the padding."""
    fields = {
        "status": r.u8(),
        "fee_on": r.u8(),
        "_padding": r.skip(6),
        "reward_infos": tuple(_raydium_reward(r) for _ in range(3)),
        "tick_array_bitmap": r.u64s(16),
        "total_fees_token_0": r.u64(),
        "total_fees_claimed_token_0": r.u64(),
        "total_fees_token_1": r.u64(),
        "total_fees_claimed_token_1": r.u64(),
        "fund_fees_token_0": r.u64(),
        "fund_fees_token_1": r.u64(),
        "open_time": r.u64(),
        "recent_epoch": r.u64(),
    }
    r.skip(8 * 24 + 8 * 32)  # padding (later versions keep dynamic-fee state in its first part)
    return fields


def decode_raydium_clmm_pool(data: bytes) -> RaydiumClmmPool:
    """Decode a Raydium CLMM pool account.

    Parameters
    ----------
    data : bytes
        The account's raw data (1 544 bytes).

    Returns
    -------
    RaydiumClmmPool
        The pool's fields (padding dropped); amounts and Q64.64 values as exact integers.

    Raises
    ------
    DataError
        If the discriminator is not ``sha256("account:PoolState")[:8]`` or the length is not
        1 544.

    Notes
    -----
    Layout of ``PoolState`` in the Raydium CLMM program
    (``CAMMCzo5YL8w4VFF8KVHrK22GGUsp5VTaW7grrKgrWqK``), packed (no alignment padding). The
    dynamic-fee block later program versions keep in the trailing padding is not decoded.

    Examples
    --------
    >>> import hashlib
    >>> raw = bytearray(hashlib.sha256(b"account:PoolState").digest()[:8] + bytes(1536))
    >>> raw[233:235] = bytes([9, 6])  # mint_decimals_0, mint_decimals_1
    >>> pool = decode_raydium_clmm_pool(bytes(raw))
    >>> pool.mint_decimals_0, pool.mint_decimals_1
    (9, 6)
    """
    r = _open(data, "PoolState", _RAYDIUM_POOL_SIZE)
    fields = {**_raydium_pool_head(r), **_raydium_pool_tail(r)}
    _close(r, "PoolState")
    return RaydiumClmmPool(**{k: v for k, v in fields.items() if not k.startswith("_")})


# --------------------------------------------------------------------------------------------
# Meteora DLMM
# --------------------------------------------------------------------------------------------


class DlmmStaticParameters(NamedTuple):
    """The fee parameters a DLMM pair was created with (32 bytes on chain).

    Attributes
    ----------
    base_factor : int
        Base fee factor: base fee = ``base_factor * bin_step * 10 * 10**base_fee_power_factor``
        in 1e-9 of the input.
    filter_period, decay_period : int
        Seconds: swaps closer together than ``filter_period`` keep the volatility reference;
        after ``decay_period`` it resets to zero.
    reduction_factor : int
        Decay of the volatility reference, basis points (1e-4).
    variable_fee_control : int
        Scale of the variable (volatility) fee.
    max_volatility_accumulator : int
        Cap of the volatility accumulator.
    min_bin_id, max_bin_id : int
        The pair's bin id range.
    protocol_share : int
        Share of the fee kept by the protocol, basis points.
    base_fee_power_factor : int
        Extra power of ten on the base fee (0 on most pairs).
    function_type, collect_fee_mode : int
        Later program versions: pair function (limit orders / liquidity mining) and which token
        pays the fee (0 the input, 1 always token Y). Padding (0) on older pairs.
    """

    base_factor: int
    filter_period: int
    decay_period: int
    reduction_factor: int
    variable_fee_control: int
    max_volatility_accumulator: int
    min_bin_id: int
    max_bin_id: int
    protocol_share: int
    base_fee_power_factor: int
    function_type: int
    collect_fee_mode: int


class DlmmVariableParameters(NamedTuple):
    """The volatility state a DLMM pair carries from swap to swap (32 bytes on chain).

    Attributes
    ----------
    volatility_accumulator : int
        Volatility at the last swap (basis points of bins crossed, scaled by 10 000).
    volatility_reference : int
        Decayed volatility the next accumulator starts from.
    index_reference : int
        Active bin id the volatility is measured from.
    last_update_timestamp : int
        Unix time (s) of the last reference update.
    """

    volatility_accumulator: int
    volatility_reference: int
    index_reference: int
    last_update_timestamp: int


class DlmmRewardInfo(NamedTuple):
    """One of a DLMM pair's two reward slots (144 bytes on chain).

    Attributes
    ----------
    mint, vault, funder : str
        Base58 keys (all-zero key when unused).
    reward_duration, reward_duration_end, last_update_time : int
        Seconds / unix times (s).
    reward_rate : int
        Reward per second, u128 fixed point (64 fractional bits).
    cumulative_seconds_with_empty_liquidity_reward : int
        Seconds the active bin had no liquidity while rewards ran.
    """

    mint: str
    vault: str
    funder: str
    reward_duration: int
    reward_duration_end: int
    reward_rate: int
    last_update_time: int
    cumulative_seconds_with_empty_liquidity_reward: int


class DlmmLbPair(NamedTuple):
    """A Meteora DLMM pair account (``LbPair``, 904 bytes).

    Attributes
    ----------
    parameters : DlmmStaticParameters
        Fee parameters.
    v_parameters : DlmmVariableParameters
        Volatility state.
    bump_seed : int
        PDA bump seed.
    bin_step_seed : bytes
        The bin step as an address seed (2 bytes, little-endian).
    pair_type : int
        0 permissionless, 1 permissioned, 2 customizable permissionless, 3 permissionless v2.
    active_id : int
        The active bin: its price is ``(1 + bin_step / 10_000) ** active_id`` (Y per X, atomic).
    bin_step : int
        Price step between bins, basis points.
    status : int
        0 enabled, 1 disabled.
    require_base_factor_seed : int
        Whether ``base_factor_seed`` is part of the address.
    base_factor_seed : bytes
        The base factor as an address seed (2 bytes).
    activation_type : int
        0 activation by slot, 1 by timestamp.
    creator_pool_on_off_control : int
        Whether the creator may switch the pair on and off.
    token_x_mint, token_y_mint : str
        The tokens (base58).
    reserve_x, reserve_y : str
        The vaults holding them.
    protocol_fee_x, protocol_fee_y : int
        Uncollected protocol fees, atomic units.
    fee_owner : str
        Formerly the fee owner; unused (all-zero key) on current pairs.
    reward_infos : tuple of DlmmRewardInfo
        The two reward slots.
    oracle : str
        The price-observation account.
    bin_array_bitmap : tuple of int
        16 u64 words: which bin arrays around bin 0 hold liquidity.
    last_updated_at : int
        Unix time (s).
    pre_activation_swap_address, base_key, creator : str
        Base58 keys.
    activation_point : int
        Slot or unix time (see ``activation_type``) swaps open.
    pre_activation_duration : int
        Slots or seconds before activation the pre-activation address may swap.
    token_mint_x_program_flag, token_mint_y_program_flag : int
        0 SPL Token, 1 Token-2022.
    version : int
        Layout version in later program versions (0 before).
    """

    parameters: DlmmStaticParameters
    v_parameters: DlmmVariableParameters
    bump_seed: int
    bin_step_seed: bytes
    pair_type: int
    active_id: int
    bin_step: int
    status: int
    require_base_factor_seed: int
    base_factor_seed: bytes
    activation_type: int
    creator_pool_on_off_control: int
    token_x_mint: str
    token_y_mint: str
    reserve_x: str
    reserve_y: str
    protocol_fee_x: int
    protocol_fee_y: int
    fee_owner: str
    reward_infos: tuple[DlmmRewardInfo, ...]
    oracle: str
    bin_array_bitmap: tuple[int, ...]
    last_updated_at: int
    pre_activation_swap_address: str
    base_key: str
    activation_point: int
    pre_activation_duration: int
    creator: str
    token_mint_x_program_flag: int
    token_mint_y_program_flag: int
    version: int


class DlmmBin(NamedTuple):
    """One bin of a DLMM bin array (144 bytes on chain; the fee, reward and limit-order
    bookkeeping after ``liquidity_supply`` is not decoded).

    Attributes
    ----------
    amount_x, amount_y : int
        The bin's reserves, atomic units.
    price : int
        The bin's price (Y atomic units per X atomic unit), Q64.64; 0 until first used.
    liquidity_supply : int
        Liquidity shares issued for the bin.
    """

    amount_x: int
    amount_y: int
    price: int
    liquidity_supply: int


class DlmmBinArray(NamedTuple):
    """A Meteora DLMM bin array (``BinArray``, 10 136 bytes): 70 consecutive bins.

    Attributes
    ----------
    index : int
        Array index: bins ``index * 70`` .. ``index * 70 + 69``.
    version : int
        Layout version.
    lb_pair : str
        The pair the array belongs to (base58).
    bins : tuple of DlmmBin
        The 70 bins.
    """

    index: int
    version: int
    lb_pair: str
    bins: tuple[DlmmBin, ...]


def _dlmm_static(r: _Reader) -> DlmmStaticParameters:
    params = DlmmStaticParameters(
        base_factor=r.u16(),
        filter_period=r.u16(),
        decay_period=r.u16(),
        reduction_factor=r.u16(),
        variable_fee_control=r.u32(),
        max_volatility_accumulator=r.u32(),
        min_bin_id=r.i32(),
        max_bin_id=r.i32(),
        protocol_share=r.u16(),
        base_fee_power_factor=r.u8(),
        function_type=r.u8(),
        collect_fee_mode=r.u8(),
    )
    r.skip(3)
    return params


def _dlmm_variable(r: _Reader) -> DlmmVariableParameters:
    volatility_accumulator, volatility_reference, index_reference = r.u32(), r.u32(), r.i32()
    r.skip(4)
    last_update_timestamp = r.i64()
    r.skip(8)
    return DlmmVariableParameters(
        volatility_accumulator, volatility_reference, index_reference, last_update_timestamp
    )


def _dlmm_reward(r: _Reader) -> DlmmRewardInfo:
    return DlmmRewardInfo(
        mint=r.pubkey(),
        vault=r.pubkey(),
        funder=r.pubkey(),
        reward_duration=r.u64(),
        reward_duration_end=r.u64(),
        reward_rate=r.u128(),
        last_update_time=r.u64(),
        cumulative_seconds_with_empty_liquidity_reward=r.u64(),
    )


def _dlmm_pair_head(r: _Reader) -> dict[str, object]:
    """The fields from ``parameters`` to ``reward_infos``, in layout order."""
    return {
        "parameters": _dlmm_static(r),
        "v_parameters": _dlmm_variable(r),
        "bump_seed": r.u8(),
        "bin_step_seed": r.take(2),
        "pair_type": r.u8(),
        "active_id": r.i32(),
        "bin_step": r.u16(),
        "status": r.u8(),
        "require_base_factor_seed": r.u8(),
        "base_factor_seed": r.take(2),
        "activation_type": r.u8(),
        "creator_pool_on_off_control": r.u8(),
        "token_x_mint": r.pubkey(),
        "token_y_mint": r.pubkey(),
        "reserve_x": r.pubkey(),
        "reserve_y": r.pubkey(),
        "protocol_fee_x": r.u64(),
        "protocol_fee_y": r.u64(),
        "fee_owner": r.pubkey(),
        "reward_infos": tuple(_dlmm_reward(r) for _ in range(2)),
    }


def _dlmm_pair_tail(r: _Reader) -> dict[str, object]:
    """The fields from ``oracle`` to the end, in layout order."""
    fields = {
        "oracle": r.pubkey(),
        "bin_array_bitmap": r.u64s(16),
        "last_updated_at": r.i64(),
        "_padding": r.skip(32),
        "pre_activation_swap_address": r.pubkey(),
        "base_key": r.pubkey(),
        "activation_point": r.u64(),
        "pre_activation_duration": r.u64(),
        "_padding_2": r.skip(16),
        "creator": r.pubkey(),
        "token_mint_x_program_flag": r.u8(),
        "token_mint_y_program_flag": r.u8(),
        "version": r.u8(),
    }
    r.skip(21)
    return fields


def decode_dlmm_lb_pair(data: bytes) -> DlmmLbPair:
    """Decode a Meteora DLMM pair account.

    Parameters
    ----------
    data : bytes
        The account's raw data (904 bytes).

    Returns
    -------
    DlmmLbPair
        The pair's fields (padding dropped).

    Raises
    ------
    DataError
        If the discriminator is not ``sha256("account:LbPair")[:8]`` or the length is not 904.

    Notes
    -----
    Layout of ``LbPair`` in the Meteora DLMM program
    (``LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo``). The token decimals are not in the
    account (read them from the mints).

    Examples
    --------
    >>> import hashlib
    >>> raw = bytearray(hashlib.sha256(b"account:LbPair").digest()[:8] + bytes(896))
    >>> raw[76:82] = (-1054).to_bytes(4, "little", signed=True) + (80).to_bytes(2, "little")
    >>> pair = decode_dlmm_lb_pair(bytes(raw))
    >>> pair.active_id, pair.bin_step
    (-1054, 80)
    """
    r = _open(data, "LbPair", _DLMM_LB_PAIR_SIZE)
    fields = {**_dlmm_pair_head(r), **_dlmm_pair_tail(r)}
    _close(r, "LbPair")
    return DlmmLbPair(**{k: v for k, v in fields.items() if not k.startswith("_")})


def _dlmm_bin(r: _Reader) -> DlmmBin:
    bin_ = DlmmBin(amount_x=r.u64(), amount_y=r.u64(), price=r.u128(), liquidity_supply=r.u128())
    r.skip(96)  # fee / reward / limit-order bookkeeping, laid out differently across versions
    return bin_


def decode_dlmm_bin_array(data: bytes) -> DlmmBinArray:
    """Decode a Meteora DLMM bin array account.

    Parameters
    ----------
    data : bytes
        The account's raw data (10 136 bytes).

    Returns
    -------
    DlmmBinArray
        Array index, version, owning pair and the 70 bins' reserves, price and liquidity.

    Raises
    ------
    DataError
        If the discriminator is not ``sha256("account:BinArray")[:8]`` or the length is not
        10 136.

    Examples
    --------
    >>> import hashlib
    >>> raw = bytearray(hashlib.sha256(b"account:BinArray").digest()[:8] + bytes(10128))
    >>> raw[8:16] = (-16).to_bytes(8, "little", signed=True)
    >>> decode_dlmm_bin_array(bytes(raw)).index
    -16
    """
    r = _open(data, "BinArray", _DLMM_BIN_ARRAY_SIZE)
    index, version = r.i64(), r.u8()
    r.skip(7)
    array = DlmmBinArray(
        index=index,
        version=version,
        lb_pair=r.pubkey(),
        bins=tuple(_dlmm_bin(r) for _ in range(_DLMM_BINS_PER_ARRAY)),
    )
    _close(r, "BinArray")
    return array


# --------------------------------------------------------------------------------------------
# Tick and bin math (the programs' fixed-point algorithms, bit for bit)
# --------------------------------------------------------------------------------------------

# Orca: 2**96 / sqrt(1.0001) ** (2**i) style factors for positive ticks (Q96, result >> 32) ...
_ORCA_POSITIVE_ODD = 79232123823359799118286999567
_ORCA_POSITIVE_FACTORS = (
    79236085330515764027303304731,
    79244008939048815603706035061,
    79259858533276714757314932305,
    79291567232598584799939703904,
    79355022692464371645785046466,
    79482085999252804386437311141,
    79736823300114093921829183326,
    80248749790819932309965073892,
    81282483887344747381513967011,
    83390072131320151908154831281,
    87770609709833776024991924138,
    97234110755111693312479820773,
    119332217159966728226237229890,
    179736315981702064433883588727,
    407748233172238350107850275304,
    2098478828474011932436660412517,
    55581415166113811149459800483533,
    38992368544603139932233054999993551,
)
# ... and 2**64 / sqrt(1.0001) ** (2**i) factors for negative ticks (Q64).
_ORCA_NEGATIVE_ODD = 18445821805675392311
_ORCA_NEGATIVE_FACTORS = (
    18444899583751176498,
    18443055278223354162,
    18439367220385604838,
    18431993317065449817,
    18417254355718160513,
    18387811781193591352,
    18329067761203520168,
    18212142134806087854,
    17980523815641551639,
    17526086738831147013,
    16651378430235024244,
    15030750278693429944,
    12247334978882834399,
    8131365268884726200,
    3584323654723342297,
    696457651847595233,
    26294789957452057,
    37481735321082,
)
# Raydium: one set of Q64 factors 2**64 / sqrt(1.0001) ** (2**i), inverted for positive ticks.
_RAYDIUM_ODD = 0xFFFCB933BD6FB800
_RAYDIUM_FACTORS = (
    0xFFF97272373D4000,
    0xFFF2E50F5F657000,
    0xFFE5CACA7E10F000,
    0xFFCB9843D60F7000,
    0xFF973B41FA98E800,
    0xFF2EA16466C9B000,
    0xFE5DEE046A9A3800,
    0xFCBE86C7900BB000,
    0xF987A7253AC65800,
    0xF3392B0822BB6000,
    0xE7159475A2CAF000,
    0xD097F3BDFD2F2000,
    0xA9F746462D9F8000,
    0x70D869A156F31C00,
    0x31BE135F97ED3200,
    0x9AA508B5B85A500,
    0x5D6AF8DEDC582C,
    0x2216E584F5FA,
)


def _tick(name: str, tick: object) -> int:
    if isinstance(tick, bool) or not isinstance(tick, int) or not MIN_TICK <= tick <= MAX_TICK:
        raise ParameterError(
            name, f"must be a whole tick index in [{MIN_TICK}, {MAX_TICK}], got {tick!r}"
        )
    return tick


def _binary_product(ratio: int, exponent: int, factors: tuple[int, ...], shift: int) -> int:
    """Multiply ``ratio`` by ``factors[i]`` (then shift right) for every set bit ``i + 1``."""
    for bit, factor in enumerate(factors, start=1):
        if exponent & (1 << bit):
            ratio = (ratio * factor) >> shift
    return ratio


def whirlpool_sqrt_price_at_tick(tick: int) -> int:
    """The sqrt price of a tick as the Orca Whirlpool program computes it.

    Parameters
    ----------
    tick : int
        Tick index in [-443 636, 443 636].

    Returns
    -------
    int
        ``sqrt(1.0001 ** tick)`` in Q64.64, bit for bit as ``sqrt_price_from_tick_index``.

    Examples
    --------
    >>> whirlpool_sqrt_price_at_tick(0) == 2**64
    True
    >>> whirlpool_sqrt_price_at_tick(-443636), whirlpool_sqrt_price_at_tick(443636)
    (4295048016, 79226673515401279992447579055)
    """
    tick = _tick("tick", tick)
    if tick >= 0:
        start = _ORCA_POSITIVE_ODD if tick & 1 else 1 << 96
        return _binary_product(start, tick, _ORCA_POSITIVE_FACTORS, 96) >> 32
    start = _ORCA_NEGATIVE_ODD if -tick & 1 else _Q64
    return _binary_product(start, -tick, _ORCA_NEGATIVE_FACTORS, 64)


def raydium_sqrt_price_at_tick(tick: int) -> int:
    """The sqrt price of a tick as the Raydium CLMM program computes it.

    Parameters
    ----------
    tick : int
        Tick index in [-443 636, 443 636].

    Returns
    -------
    int
        ``sqrt(1.0001 ** tick)`` in Q64.64, bit for bit as ``get_sqrt_price_at_tick`` (it
        differs from Orca's in the last bits).

    Examples
    --------
    >>> raydium_sqrt_price_at_tick(-443636), raydium_sqrt_price_at_tick(443636)
    (4295048016, 79226673521066979257578248091)
    """
    tick = _tick("tick", tick)
    start = _RAYDIUM_ODD if abs(tick) & 1 else _Q64
    ratio = _binary_product(start, abs(tick), _RAYDIUM_FACTORS, 64)
    return _U128_MAX // ratio if tick > 0 else ratio


def _tick_at(sqrt_price: int, sqrt_at: Callable[[int], int]) -> int:
    """The greatest tick whose sqrt price is <= ``sqrt_price`` (binary search)."""
    low, high = MIN_TICK, MAX_TICK
    while low < high:
        mid = (low + high + 1) // 2
        if sqrt_at(mid) <= sqrt_price:
            low = mid
        else:
            high = mid - 1
    return low


def _sqrt_price(name: str, value: object, upper: int) -> int:
    lower = 4_295_048_016
    if isinstance(value, bool) or not isinstance(value, int) or not lower <= value <= upper:
        raise ParameterError(
            name, f"must be a Q64.64 sqrt price in [{lower}, {upper}], got {value!r}"
        )
    return value


def whirlpool_tick_at_sqrt_price(sqrt_price: int) -> int:
    """The tick of a sqrt price in an Orca Whirlpool: the greatest tick whose sqrt price is
    ``<= sqrt_price`` (what the program stores as ``tick_current_index``).

    Parameters
    ----------
    sqrt_price : int
        Q64.64 sqrt price.

    Returns
    -------
    int
        Tick index.

    Examples
    --------
    >>> whirlpool_tick_at_sqrt_price(2**64), whirlpool_tick_at_sqrt_price(2**64 - 1)
    (0, -1)
    """
    sqrt_price = _sqrt_price("sqrt_price", sqrt_price, whirlpool_sqrt_price_at_tick(MAX_TICK))
    return _tick_at(sqrt_price, whirlpool_sqrt_price_at_tick)


def raydium_tick_at_sqrt_price(sqrt_price_x64: int) -> int:
    """The tick of a sqrt price in a Raydium CLMM pool: the greatest tick whose sqrt price is
    ``<= sqrt_price_x64``.

    Parameters
    ----------
    sqrt_price_x64 : int
        Q64.64 sqrt price.

    Returns
    -------
    int
        Tick index.

    Examples
    --------
    >>> raydium_tick_at_sqrt_price(raydium_sqrt_price_at_tick(-100))
    -100
    """
    upper = raydium_sqrt_price_at_tick(MAX_TICK)
    sqrt_price_x64 = _sqrt_price("sqrt_price_x64", sqrt_price_x64, upper)
    return _tick_at(sqrt_price_x64, raydium_sqrt_price_at_tick)


def dlmm_bin_price_x64(bin_id: int, bin_step: int) -> int:
    """The price of a DLMM bin as the Meteora program computes it.

    Parameters
    ----------
    bin_id : int
        Bin id in [-443 636, 443 636].
    bin_step : int
        The pair's bin step, basis points (> 0).

    Returns
    -------
    int
        ``(1 + bin_step / 10_000) ** bin_id`` in Q64.64 (Y atomic units per X atomic unit), bit
        for bit as the program's ``get_price_from_id`` (binary exponentiation on Q64.64 with the
        base inverted below one).

    Notes
    -----
    The program's exponentiation keeps few significant bits far from bin 0 (bin 5 000 at bin
    step 80 is about 1 % off the exact power); this function reproduces it, being the price the
    program trades at.

    Examples
    --------
    >>> dlmm_bin_price_x64(0, 25) == 2**64
    True
    >>> dlmm_bin_price_x64(1, 10_000) - 2 * 2**64  # 2.0, and the rounding of inverting twice
    4
    """
    bin_step = _positive_int("bin_step", bin_step)
    if isinstance(bin_id, bool) or not isinstance(bin_id, int):
        raise ParameterError("bin_id", f"must be a whole number, got {bin_id!r}")
    if not DLMM_MIN_BIN_ID <= bin_id <= DLMM_MAX_BIN_ID:
        raise ParameterError(
            "bin_id", f"must lie in [{DLMM_MIN_BIN_ID}, {DLMM_MAX_BIN_ID}], got {bin_id}"
        )
    return _q64_pow(_Q64 + (bin_step << 64) // _BASIS_POINT_MAX, bin_id)


def _q64_pow(base: int, exponent: int) -> int:
    """``base ** exponent`` on Q64.64 as the DLMM program's ``pow``."""
    if exponent == 0:
        return _Q64
    invert = exponent < 0
    squared = base
    if squared >= _Q64:  # keep every square below 2**128 by working with 1 / base
        squared = _U128_MAX // squared
        invert = not invert
    result = _Q64
    for bit in range(19):
        if abs(exponent) & (1 << bit):
            result = (result * squared) >> 64
        squared = (squared * squared) >> 64
    if result == 0:
        raise ParameterError("bin_id", f"the price of bin {exponent} does not fit Q64.64")
    return _U128_MAX // result if invert else result


# --------------------------------------------------------------------------------------------
# Prices
# --------------------------------------------------------------------------------------------


class PoolPrice(NamedTuple):
    """A pool's spot price in whole tokens, decimals-adjusted.

    Attributes
    ----------
    exact : fractions.Fraction
        The price exactly as the pool state implies it.
    value : float
        The same, rounded to a float for convenience.
    """

    exact: Fraction
    value: float


def _decimals(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
        raise ParameterError(
            name, f"must be a mint's decimals, a whole number in [0, 255], got {value!r}"
        )
    return value


def _price(exact: Fraction) -> PoolPrice:
    return PoolPrice(exact, float(exact))


def _sqrt_price_to_price(sqrt_price_x64: int, decimals_a: int, decimals_b: int) -> PoolPrice:
    scale = Fraction(10) ** (decimals_a - decimals_b)
    return _price(Fraction(sqrt_price_x64 * sqrt_price_x64, 1 << 128) * scale)


def whirlpool_price(pool: Whirlpool, decimals_a: int, decimals_b: int) -> PoolPrice:
    """The spot price of an Orca Whirlpool: token B per token A, in whole tokens.

    ``price = (sqrt_price / 2**64) ** 2 * 10 ** (decimals_a - decimals_b)``.

    Parameters
    ----------
    pool : Whirlpool
        A decoded pool.
    decimals_a, decimals_b : int
        Decimals of ``token_mint_a`` and ``token_mint_b`` (not stored in the pool; read the
        mints, e.g. 9 for wrapped SOL, 6 for USDC).

    Returns
    -------
    PoolPrice
        Exact (``Fraction``) and float.

    Examples
    --------
    >>> import hashlib
    >>> blank = hashlib.sha256(b"account:Whirlpool").digest()[:8] + bytes(645)
    >>> pool = decode_whirlpool(blank)._replace(sqrt_price=2**64 * 3 // 250)
    >>> whirlpool_price(pool, 9, 6).value  # (0.012 ** 2) * 10**3
    0.144
    """
    return _sqrt_price_to_price(
        pool.sqrt_price, _decimals("decimals_a", decimals_a), _decimals("decimals_b", decimals_b)
    )


def raydium_clmm_price(pool: RaydiumClmmPool) -> PoolPrice:
    """The spot price of a Raydium CLMM pool: token 1 per token 0, in whole tokens.

    ``price = (sqrt_price_x64 / 2**64) ** 2 * 10 ** (mint_decimals_0 - mint_decimals_1)``,
    the decimals read from the pool account.

    Parameters
    ----------
    pool : RaydiumClmmPool
        A decoded pool.

    Returns
    -------
    PoolPrice
        Exact (``Fraction``) and float.

    Examples
    --------
    >>> import hashlib
    >>> blank = bytearray(hashlib.sha256(b"account:PoolState").digest()[:8] + bytes(1536))
    >>> blank[233:235] = bytes([9, 6])  # mint_decimals_0, mint_decimals_1
    >>> pool = decode_raydium_clmm_pool(bytes(blank))._replace(sqrt_price_x64=2**64 // 100)
    >>> round(raydium_clmm_price(pool).value, 6)  # (0.01 ** 2) * 10**3
    0.1
    """
    return _sqrt_price_to_price(pool.sqrt_price_x64, pool.mint_decimals_0, pool.mint_decimals_1)


def dlmm_price(pair: DlmmLbPair, decimals_x: int, decimals_y: int) -> PoolPrice:
    """The price of a Meteora DLMM pair's active bin: token Y per token X, in whole tokens.

    ``price = (1 + bin_step / 10_000) ** active_id * 10 ** (decimals_x - decimals_y)``, exact;
    the program itself trades at the Q64.64 rounding of it (:func:`dlmm_bin_price_x64`).

    Parameters
    ----------
    pair : DlmmLbPair
        A decoded pair.
    decimals_x, decimals_y : int
        Decimals of ``token_x_mint`` and ``token_y_mint`` (not stored in the pair).

    Returns
    -------
    PoolPrice
        Exact (``Fraction``) and float.

    Examples
    --------
    >>> import hashlib
    >>> blank = hashlib.sha256(b"account:LbPair").digest()[:8] + bytes(896)
    >>> pair = decode_dlmm_lb_pair(blank)._replace(active_id=-1054, bin_step=80)
    >>> round(dlmm_price(pair, 9, 6).value, 4)  # 1.008 ** -1054 * 10**3
    0.2252
    """
    base = Fraction(_BASIS_POINT_MAX + pair.bin_step, _BASIS_POINT_MAX)
    scale = Fraction(10) ** (
        _decimals("decimals_x", decimals_x) - _decimals("decimals_y", decimals_y)
    )
    return _price(base**pair.active_id * scale)


# --------------------------------------------------------------------------------------------
# Concentrated-liquidity swap step (Whirlpool and Raydium CLMM share the integer math)
# --------------------------------------------------------------------------------------------


class SwapQuote(NamedTuple):
    """The result of an exact-input swap quote.

    Attributes
    ----------
    amount_in : int
        Input consumed, atomic units, fee included: the requested amount, or less when the
        swap stopped at the boundary.
    amount_out : int
        Output, atomic units (rounded down, as the program pays).
    fee : int
        The part of ``amount_in`` taken as the swap fee (rounded up), atomic units of the input.
    sqrt_price_after_x64 : int or None
        Concentrated liquidity: the pool's sqrt price after the swap, Q64.64. ``None`` for DLMM.
    index_after : int
        The tick (concentrated liquidity) or active bin id (DLMM) after the swap, as the program
        would store it (a Whirlpool or Raydium swap stopped at a boundary tick ``t`` selling
        token A / token 0 leaves ``t - 1``, the tick it crossed into).
    crosses_boundary : bool
        ``True`` when the swap reached the boundary of the current tick interval, or asked for
        more than the active bin holds: the quote stops there, and the rest of the requested
        amount would trade at the next tick's liquidity or in the next bin (not modelled).
    """

    amount_in: int
    amount_out: int
    fee: int
    sqrt_price_after_x64: int | None
    index_after: int
    crosses_boundary: bool


class _Step(NamedTuple):
    amount_in: int  # without the fee
    amount_out: int
    fee: int
    sqrt_price_next: int
    reached_target: bool


def _div(numerator: int, denominator: int, round_up: bool) -> int:
    quotient, remainder = divmod(numerator, denominator)
    return quotient + 1 if round_up and remainder else quotient


def _delta_a(sqrt_0: int, sqrt_1: int, liquidity: int, round_up: bool) -> int:
    """Token A (token 0) between two sqrt prices: ``L * (1/lower - 1/upper)``."""
    lower, upper = min(sqrt_0, sqrt_1), max(sqrt_0, sqrt_1)
    return _div((liquidity * (upper - lower)) << 64, upper * lower, round_up)


def _delta_b(sqrt_0: int, sqrt_1: int, liquidity: int, round_up: bool) -> int:
    """Token B (token 1) between two sqrt prices: ``L * (upper - lower)``."""
    return _div(liquidity * abs(sqrt_1 - sqrt_0), _Q64, round_up)


def _next_sqrt_price(sqrt_price: int, liquidity: int, amount: int, a_to_b: bool) -> int:
    """The sqrt price after ``amount`` (fee already deducted) of input, rounded toward the
    pool: up when token A comes in (price falls), down when token B comes in (price rises)."""
    if amount == 0:
        return sqrt_price
    if a_to_b:
        return _div((liquidity * sqrt_price) << 64, (liquidity << 64) + amount * sqrt_price, True)
    return sqrt_price + (amount << 64) // liquidity


def _clmm_step(
    sqrt_price: int, target: int, liquidity: int, amount: int, fee_rate: int, a_to_b: bool
) -> _Step:
    """One exact-input swap step with the fee taken from the input (both programs'
    ``compute_swap``): the fee-less amount moves the price toward ``target``; reaching it, the
    fee is ``ceil(in * rate / (1e6 - rate))``, else whatever the step did not use."""
    amount_less_fee = amount * (_CLMM_FEE_DENOMINATOR - fee_rate) // _CLMM_FEE_DENOMINATOR
    delta_in, delta_out = (_delta_a, _delta_b) if a_to_b else (_delta_b, _delta_a)
    reached = delta_in(sqrt_price, target, liquidity, True) <= amount_less_fee
    nxt = target if reached else _next_sqrt_price(sqrt_price, liquidity, amount_less_fee, a_to_b)
    amount_in = delta_in(sqrt_price, nxt, liquidity, True)
    amount_out = delta_out(sqrt_price, nxt, liquidity, False)
    if reached:
        fee = _div(amount_in * fee_rate, _CLMM_FEE_DENOMINATOR - fee_rate, True)
    else:
        fee = amount - amount_in
    return _Step(amount_in, amount_out, fee, nxt, reached)


def _amount(amount_in: object) -> int:
    if isinstance(amount_in, bool) or not isinstance(amount_in, int):
        raise ParameterError(
            "amount_in", f"must be a whole number of atomic units, got {amount_in!r}"
        )
    if not 0 <= amount_in <= _U64_MAX:
        raise ParameterError(
            "amount_in", f"must lie in [0, 2**64 - 1] atomic units, got {amount_in}"
        )
    return amount_in


def _direction(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(name, f"must be True or False, got {value!r}")
    return value


def _fee_rate(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1_000_000:
        raise ParameterError(
            name, f"must be hundredths of a basis point in [0, 1_000_000), got {value!r}"
        )
    return value


def _boundary_tick(
    tick_current: int, tick_spacing: int, a_to_b: bool, boundary_tick: int | None
) -> int:
    """The tick where the quote stops: the caller's, or the edge of the current tick-spacing
    interval (no liquidity change can happen inside it)."""
    if boundary_tick is not None:
        return _tick("boundary_tick", boundary_tick)
    spacing = _positive_int("pool.tick_spacing", tick_spacing)
    lower = tick_current // spacing * spacing
    return max(lower, MIN_TICK) if a_to_b else min(lower + spacing, MAX_TICK)


def _check_target(sqrt_price: int, target: int, boundary: int, a_to_b: bool) -> None:
    if (target > sqrt_price) if a_to_b else (target < sqrt_price):
        side = "at or below" if a_to_b else "at or above"
        raise ParameterError(
            "boundary_tick",
            f"tick {boundary} must lie {side} the pool's sqrt price for this swap direction "
            "(check boundary_tick, and that the pool's current tick matches its sqrt price)",
        )


def _clmm_quote(
    sqrt_price: int,
    liquidity: int,
    tick_current: int,
    boundary: int,
    target: int,
    amount: int,
    fee_rate: int,
    a_to_b: bool,
    tick_at: Callable[[int], int],
) -> SwapQuote:
    _check_target(sqrt_price, target, boundary, a_to_b)
    step = _clmm_step(sqrt_price, target, liquidity, amount, fee_rate, a_to_b)
    if step.amount_out > _U64_MAX:
        raise ParameterError(
            "amount_in",
            f"{amount} would pay out {step.amount_out} atomic units, beyond the u64 range the "
            "program computes in; it refuses this swap",
        )
    if step.reached_target:
        tick_after = boundary - 1 if a_to_b else boundary
    elif step.sqrt_price_next != sqrt_price:
        tick_after = tick_at(step.sqrt_price_next)
    else:
        tick_after = tick_current
    return SwapQuote(
        amount_in=step.amount_in + step.fee,
        amount_out=step.amount_out,
        fee=step.fee,
        sqrt_price_after_x64=step.sqrt_price_next,
        index_after=tick_after,
        crosses_boundary=step.reached_target,
    )


def whirlpool_quote_exact_in(
    pool: Whirlpool,
    amount_in: int,
    a_to_b: bool,
    *,
    boundary_tick: int | None = None,
    fee_rate: int | None = None,
) -> SwapQuote:
    """Quote an exact-input swap on an Orca Whirlpool, exact within the current tick interval.

    Reproduces one step of the program's swap loop (``compute_swap``) on integers: the fee
    ``floor``-deducted from the input first (``in * (1e6 - fee_rate) // 1e6``), the new sqrt
    price rounded toward the pool, the output rounded down, and the fee the part of the input
    the price move did not use (or ``ceil(in * rate / (1e6 - rate))`` when the step reaches
    the boundary).

    Parameters
    ----------
    pool : Whirlpool
        A decoded pool.
    amount_in : int
        Input, atomic units of token A (``a_to_b``) or token B, in [0, 2**64 - 1].
    a_to_b : bool
        ``True`` sells token A for token B (the price falls).
    boundary_tick : int, optional
        The tick where liquidity may change, e.g. :func:`whirlpool_next_initialized_tick`.
        Default: the edge of the current tick-spacing interval, inside which liquidity is
        constant whatever the tick arrays hold.
    fee_rate : int, optional
        Fee rate to use instead of ``pool.fee_rate``, hundredths of a basis point (e.g. the
        static plus the adaptive fee of an adaptive-fee pool, which this function does not
        derive from the pool's oracle account).

    Returns
    -------
    SwapQuote
        Input consumed (fee included), output, fee, sqrt price and tick after, and whether the
        swap reached ``boundary_tick``. When it does, the quote stops there (``amount_in`` is
        less than requested, or equal if it exactly sufficed): the rest would trade at the
        liquidity beyond the tick, which is not modelled.

    Raises
    ------
    ParameterError
        For an amount outside u64, a non-boolean direction, a boundary on the wrong side of
        the price, a fee rate outside [0, 1e6), or an output beyond u64 (the program refuses
        such a swap).

    Notes
    -----
    Token-2022 transfer fees and the program's ``sqrt_price_limit`` are not applied.

    Examples
    --------
    >>> import hashlib
    >>> blank = hashlib.sha256(b"account:Whirlpool").digest()[:8] + bytes(645)
    >>> pool = decode_whirlpool(blank)._replace(
    ...     tick_spacing=64, fee_rate=3000, liquidity=10**12, sqrt_price=2**64, tick_current_index=0
    ... )
    >>> q = whirlpool_quote_exact_in(pool, 1_000_000, a_to_b=False)  # sell 1e6 units of B
    >>> q.amount_in, q.amount_out, q.fee, q.crosses_boundary
    (1000000, 996999, 3000, False)
    """
    amount = _amount(amount_in)
    a_to_b = _direction("a_to_b", a_to_b)
    rate = _fee_rate("fee_rate", pool.fee_rate if fee_rate is None else fee_rate)
    upper = whirlpool_sqrt_price_at_tick(MAX_TICK)
    sqrt_price = _sqrt_price("pool.sqrt_price", pool.sqrt_price, upper)
    boundary = _boundary_tick(pool.tick_current_index, pool.tick_spacing, a_to_b, boundary_tick)
    target = whirlpool_sqrt_price_at_tick(boundary)
    return _clmm_quote(
        sqrt_price, pool.liquidity, pool.tick_current_index, boundary, target,
        amount, rate, a_to_b, whirlpool_tick_at_sqrt_price,
    )  # fmt: skip


def raydium_clmm_quote_exact_in(
    pool: RaydiumClmmPool,
    amount_in: int,
    zero_for_one: bool,
    *,
    trade_fee_rate: int,
    boundary_tick: int | None = None,
) -> SwapQuote:
    """Quote an exact-input swap on a Raydium CLMM pool, exact within the current tick interval.

    The same integer step as :func:`whirlpool_quote_exact_in` (Raydium's ``compute_swap``
    with the fee on the input rounds identically), with Raydium's tick-to-sqrt-price table.

    Parameters
    ----------
    pool : RaydiumClmmPool
        A decoded pool.
    amount_in : int
        Input, atomic units of token 0 (``zero_for_one``) or token 1, in [0, 2**64 - 1].
    zero_for_one : bool
        ``True`` sells token 0 for token 1 (the price falls).
    trade_fee_rate : int
        The ``trade_fee_rate`` of the pool's ``AmmConfig`` account (``pool.amm_config``),
        hundredths of a basis point (2 500 = 0.25 %); plus the dynamic fee, for pools that have
        one, which this function does not derive.
    boundary_tick : int, optional
        The tick where liquidity may change (the next initialised tick). Default: the edge of
        the current tick-spacing interval.

    Returns
    -------
    SwapQuote
        As :func:`whirlpool_quote_exact_in`.

    Raises
    ------
    ParameterError
        As :func:`whirlpool_quote_exact_in`; also when the pool's ``status`` disables swaps
        (bit 4) or its ``fee_on`` puts the fee on the output token for this direction (a mode
        of later program versions this function does not implement).

    Examples
    --------
    >>> import hashlib
    >>> blank = hashlib.sha256(b"account:PoolState").digest()[:8] + bytes(1536)
    >>> pool = decode_raydium_clmm_pool(blank)._replace(
    ...     tick_spacing=60, liquidity=10**12, sqrt_price_x64=2**64, tick_current=0
    ... )
    >>> q = raydium_clmm_quote_exact_in(pool, 1_000_000, False, trade_fee_rate=2500)
    >>> q.amount_out, q.fee
    (997499, 2500)
    """
    amount = _amount(amount_in)
    zero_for_one = _direction("zero_for_one", zero_for_one)
    rate = _fee_rate("trade_fee_rate", trade_fee_rate)
    _check_raydium_pool(pool, zero_for_one)
    upper = raydium_sqrt_price_at_tick(MAX_TICK)
    sqrt_price = _sqrt_price("pool.sqrt_price_x64", pool.sqrt_price_x64, upper)
    boundary = _boundary_tick(pool.tick_current, pool.tick_spacing, zero_for_one, boundary_tick)
    target = raydium_sqrt_price_at_tick(boundary)
    return _clmm_quote(
        sqrt_price, pool.liquidity, pool.tick_current, boundary, target,
        amount, rate, zero_for_one, raydium_tick_at_sqrt_price,
    )  # fmt: skip


def _check_raydium_pool(pool: RaydiumClmmPool, zero_for_one: bool) -> None:
    if pool.status & (1 << 4):
        raise ParameterError(
            "pool.status", f"swaps are disabled in this pool (status {pool.status:#x})"
        )
    fee_on_input = (
        pool.fee_on == 0
        or (pool.fee_on == 1 and zero_for_one)
        or (pool.fee_on == 2 and not zero_for_one)
    )
    if not fee_on_input:
        raise ParameterError(
            "pool.fee_on",
            f"fee_on={pool.fee_on} charges the fee on the output token for this direction; "
            "only fees on the input are quoted",
        )


# --------------------------------------------------------------------------------------------
# Meteora DLMM: fee and the swap within the active bin
# --------------------------------------------------------------------------------------------


class DlmmFeeRate(NamedTuple):
    """A DLMM pair's fee rate for the next swap, in 1e-9 of the input (1e7 = 1 %).

    Attributes
    ----------
    base : int
        ``base_factor * bin_step * 10 * 10**base_fee_power_factor``.
    variable : int
        ``ceil(variable_fee_control * (volatility_accumulator * bin_step) ** 2 / 1e11)``.
    total : int
        ``min(base + variable, 1e8)`` (the program caps the fee at 10 %).
    volatility_accumulator : int
        The accumulator the variable part used.
    """

    base: int
    variable: int
    total: int
    volatility_accumulator: int


def _dlmm_volatility_accumulator(pair: DlmmLbPair, now: int | None) -> int:
    """The accumulator the program computes before swapping in the active bin: references
    refreshed for the elapsed time (when ``now`` is given), then the bins' distance added."""
    v, s = pair.v_parameters, pair.parameters
    reference, index_reference = v.volatility_reference, v.index_reference
    if now is not None:
        elapsed = now - v.last_update_timestamp
        if elapsed >= s.filter_period:
            index_reference = pair.active_id
            decayed = v.volatility_accumulator * s.reduction_factor // _BASIS_POINT_MAX
            reference = decayed if elapsed < s.decay_period else 0
    accumulator = reference + abs(index_reference - pair.active_id) * _BASIS_POINT_MAX
    return min(accumulator, s.max_volatility_accumulator)


def dlmm_fee_rate(pair: DlmmLbPair, *, now: int | None = None) -> DlmmFeeRate:
    """The total fee rate a DLMM pair charges on a swap in its active bin.

    Base fee plus variable (volatility) fee, both as the program computes them, capped at 10 %.

    Parameters
    ----------
    pair : DlmmLbPair
        A decoded pair.
    now : int, optional
        Unix time (s) of the swap. Given, the volatility reference is refreshed as the program
        does at the start of a swap (kept within ``filter_period`` of the last update, decayed
        by ``reduction_factor`` until ``decay_period``, zero after). Omitted, the stored
        reference is used as is (a swap within the filter period).

    Returns
    -------
    DlmmFeeRate
        Base, variable and total rate (1e-9 units) and the volatility accumulator used.

    Examples
    --------
    >>> import hashlib
    >>> blank = hashlib.sha256(b"account:LbPair").digest()[:8] + bytes(896)
    >>> pair = decode_dlmm_lb_pair(blank)._replace(bin_step=25)
    >>> pair = pair._replace(parameters=pair.parameters._replace(base_factor=10_000))
    >>> dlmm_fee_rate(pair).total  # 10_000 * 25 * 10 = 2_500_000 = 0.25 %
    2500000
    """
    if now is not None and (isinstance(now, bool) or not isinstance(now, int)):
        raise ParameterError("now", f"must be a unix time in whole seconds, got {now!r}")
    s = pair.parameters
    base = s.base_factor * pair.bin_step * 10 * 10**s.base_fee_power_factor
    accumulator = _dlmm_volatility_accumulator(pair, now)
    variable = 0
    if s.variable_fee_control > 0:
        variable = _div(s.variable_fee_control * (accumulator * pair.bin_step) ** 2, 10**11, True)
    total = min(base + variable, _DLMM_MAX_FEE_RATE)
    return DlmmFeeRate(base, variable, total, accumulator)


def _active_bin(pair: DlmmLbPair, bin_array: DlmmBinArray) -> DlmmBin:
    index = pair.active_id // _DLMM_BINS_PER_ARRAY
    if bin_array.index != index:
        first = bin_array.index * _DLMM_BINS_PER_ARRAY
        raise ParameterError(
            "bin_array",
            f"holds bins {first}..{first + _DLMM_BINS_PER_ARRAY - 1}, not the active bin "
            f"{pair.active_id} (it is in bin array {index})",
        )
    return bin_array.bins[pair.active_id - index * _DLMM_BINS_PER_ARRAY]


def _check_dlmm_pair(pair: DlmmLbPair, swap_for_y: bool) -> None:
    if pair.status != 0:
        raise ParameterError("pair.status", f"the pair is disabled (status {pair.status})")
    if pair.parameters.collect_fee_mode == 1 and swap_for_y:
        raise ParameterError(
            "pair.parameters.collect_fee_mode",
            "collect_fee_mode=1 charges the fee on the output token (Y) when selling X; "
            "only fees on the input are quoted",
        )


def dlmm_quote_exact_in(
    pair: DlmmLbPair,
    bin_array: DlmmBinArray,
    amount_in: int,
    swap_for_y: bool,
    *,
    now: int | None = None,
) -> SwapQuote:
    """Quote an exact-input swap on a Meteora DLMM pair, exact within the active bin.

    Within a bin the price is constant (constant sum): as the program's ``Bin::swap``, the fee
    is ``ceil(amount_in * rate / 1e9)`` and the output ``floor((amount_in - fee) * price)``
    (``price`` the bin's Q64.64 price, divided instead when selling Y), capped by the bin's
    reserve of the output token. An input larger than the bin can absorb stops at the bin's
    edge: it takes the input that empties the bin plus its fee (``ceil(in * rate / (1e9 -
    rate))``) and reports ``crosses_boundary=True``.

    Parameters
    ----------
    pair : DlmmLbPair
        A decoded pair.
    bin_array : DlmmBinArray
        The decoded bin array holding the active bin (index ``active_id // 70``).
    amount_in : int
        Input, atomic units of X (``swap_for_y``) or Y, in [0, 2**64 - 1].
    swap_for_y : bool
        ``True`` sells X for Y (the price falls).
    now : int, optional
        Unix time (s) of the swap, for the variable fee (see :func:`dlmm_fee_rate`).

    Returns
    -------
    SwapQuote
        ``sqrt_price_after_x64`` is ``None``; ``index_after`` is the active bin id, unchanged
        within the bin (the program moves to the next bin only for input left over).

    Raises
    ------
    ParameterError
        For an amount outside u64, a non-boolean direction, a bin array that does not hold the
        active bin, a disabled pair, a pair whose ``collect_fee_mode`` charges the fee on the
        output token for this direction (not implemented), or an active bin that would take
        more than u64 of input to empty (the program's swap fails on it).

    Notes
    -----
    Fee: the base fee and the variable fee from the volatility accumulator are implemented; the
    protocol's share (``protocol_share``) is part of the fee and does not change the quote.
    Not implemented: limit-order liquidity in the bin (later program versions), Token-2022
    transfer fees, activation-time checks, and the walk into further bins.

    Examples
    --------
    >>> import hashlib
    >>> blank = hashlib.sha256(b"account:LbPair").digest()[:8] + bytes(896)
    >>> pair = decode_dlmm_lb_pair(blank)._replace(bin_step=25, active_id=0)
    >>> pair = pair._replace(parameters=pair.parameters._replace(base_factor=10_000))
    >>> bins = DlmmBinArray(0, 1, "1" * 32, (DlmmBin(10**9, 10**9, 0, 0),) * 70)
    >>> q = dlmm_quote_exact_in(pair, bins, 1_000_000, True)  # price 1.0, fee 0.25 %
    >>> q.amount_out, q.fee, q.crosses_boundary
    (997500, 2500, False)
    """
    amount = _amount(amount_in)
    swap_for_y = _direction("swap_for_y", swap_for_y)
    _check_dlmm_pair(pair, swap_for_y)
    active = _active_bin(pair, bin_array)
    price = active.price or dlmm_bin_price_x64(pair.active_id, pair.bin_step)
    rate = dlmm_fee_rate(pair, now=now).total
    return _dlmm_bin_swap(active, price, rate, amount, swap_for_y, pair.active_id)


def _dlmm_bin_swap(
    active: DlmmBin, price: int, rate: int, amount: int, swap_for_y: bool, active_id: int
) -> SwapQuote:
    max_out = active.amount_y if swap_for_y else active.amount_x
    if swap_for_y:  # the X that buys all the bin's Y, rounded up
        max_in = _div(active.amount_y << 64, price, True)
    else:
        max_in = _div(active.amount_x * price, _Q64, True)
    max_fee = _div(max_in * rate, _DLMM_FEE_PRECISION - rate, True)
    if max_in + max_fee > _U64_MAX:
        raise ParameterError(
            "bin_array",
            "emptying the active bin would take more input than the u64 range holds; the "
            "program's swap fails on such a bin",
        )
    if amount > max_in + max_fee:
        return SwapQuote(max_in + max_fee, max_out, max_fee, None, active_id, True)
    fee = _div(amount * rate, _DLMM_FEE_PRECISION, True)
    net = amount - fee
    out = (net * price) >> 64 if swap_for_y else (net << 64) // price
    return SwapQuote(amount, min(out, max_out), fee, None, active_id, False)
