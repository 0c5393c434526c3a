"""Real mainnet DEX pool accounts (carbon's fixtures, MIT, see data/solana/LICENSE-carbon-MIT.txt)
decoded by soltrader.dex: the Whirlpool pool and tick array against carbon's own decoded values,
field by field; the Raydium CLMM pool and the Meteora DLMM pair against struct reads at the
layouts' offsets (pools_expected.json, and re-read here); prices, tick math and quotes against
values worked out by hand from the closed-form formulas."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import base58
import pytest

from soltrader.dex import (
    MAX_TICK,
    MIN_TICK,
    DlmmBin,
    DlmmBinArray,
    SwapQuote,
    decode_dlmm_bin_array,
    decode_dlmm_lb_pair,
    decode_raydium_clmm_pool,
    decode_whirlpool,
    decode_whirlpool_tick_array,
    dlmm_bin_price_x64,
    dlmm_fee_rate,
    dlmm_price,
    dlmm_quote_exact_in,
    raydium_clmm_price,
    raydium_clmm_quote_exact_in,
    raydium_sqrt_price_at_tick,
    whirlpool_initialized_ticks,
    whirlpool_next_initialized_tick,
    whirlpool_price,
    whirlpool_quote_exact_in,
    whirlpool_sqrt_price_at_tick,
    whirlpool_tick_at_sqrt_price,
)
from soltrader.domain.errors import DataError, ParameterError

DATA = Path(__file__).parent / "data" / "solana"
EXPECTED = json.loads((DATA / "pools_expected.json").read_text())
WSOL = "So11111111111111111111111111111111111111112"  # the wrapped-SOL mint, 9 decimals
ZERO_KEY = "11111111111111111111111111111111"
Q64 = 2**64

WHIRLPOOL = "orca_whirlpool_pool_account_SOL.json"
TICK_ARRAY = "orca_whirlpool_tick_array_account.json"
RAYDIUM = "raydium_clmm_pool_state_account_SOL.json"
METEORA = "meteora_dlmm_lb_pair_account.json"


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


def _raw(name: str) -> bytes:
    return base64.b64decode(_fixture(name)["data"])


# ------------------------------------------------------------------ Whirlpool vs carbon's values


def _carbon_value(entry: dict[str, Any]) -> Any:
    """A carbon ``data_decoded`` entry as a plain value: integers from their decimal strings."""
    kind, data = entry["type"], entry["data"]
    if kind in ("u8", "u16", "u32", "u64", "u128", "i32", "i64", "i128"):
        return int(data)
    return data


WHIRLPOOL_FIELDS = {  # carbon's key -> how to read it from our record
    "whirlpoolsConfig": lambda p: p.whirlpools_config,
    "whirlpoolBump": lambda p: [p.whirlpool_bump],
    "tickSpacing": lambda p: p.tick_spacing,
    "tickSpacingSeed": lambda p: list(p.fee_tier_index_seed),
    "feeRate": lambda p: p.fee_rate,
    "protocolFeeRate": lambda p: p.protocol_fee_rate,
    "liquidity": lambda p: p.liquidity,
    "sqrtPrice": lambda p: p.sqrt_price,
    "tickCurrentIndex": lambda p: p.tick_current_index,
    "protocolFeeOwedA": lambda p: p.protocol_fee_owed_a,
    "protocolFeeOwedB": lambda p: p.protocol_fee_owed_b,
    "tokenMintA": lambda p: p.token_mint_a,
    "tokenVaultA": lambda p: p.token_vault_a,
    "feeGrowthGlobalA": lambda p: p.fee_growth_global_a,
    "tokenMintB": lambda p: p.token_mint_b,
    "tokenVaultB": lambda p: p.token_vault_b,
    "feeGrowthGlobalB": lambda p: p.fee_growth_global_b,
    "rewardLastUpdatedTimestamp": lambda p: p.reward_last_updated_timestamp,
    "rewardInfos": lambda p: [
        {
            "mint": r.mint,
            "vault": r.vault,
            "authority": r.authority,
            "emissionsPerSecondX64": str(r.emissions_per_second_x64),
            "growthGlobalX64": str(r.growth_global_x64),
        }
        for r in p.reward_infos
    ],
}


def test_every_whirlpool_field_equals_carbons_decoded_value() -> None:
    decoded = _fixture(WHIRLPOOL)["data_decoded"]
    pool = decode_whirlpool(_raw(WHIRLPOOL))
    assert set(WHIRLPOOL_FIELDS) == set(decoded)  # every field carbon decodes is compared
    for key, read in WHIRLPOOL_FIELDS.items():
        assert read(pool) == _carbon_value(decoded[key]), key
    assert pool.token_mint_a == WSOL


def _tick_as_carbon(tick: Any) -> dict[str, Any]:
    return {
        "initialized": tick.initialized,
        "liquidityNet": str(tick.liquidity_net),
        "liquidityGross": str(tick.liquidity_gross),
        "feeGrowthOutsideA": str(tick.fee_growth_outside_a),
        "feeGrowthOutsideB": str(tick.fee_growth_outside_b),
        "rewardGrowthsOutside": [str(g) for g in tick.reward_growths_outside],
    }


def test_every_tick_of_the_tick_array_equals_carbons_decoded_value() -> None:
    decoded = _fixture(TICK_ARRAY)["data_decoded"]
    array = decode_whirlpool_tick_array(_raw(TICK_ARRAY))
    assert set(decoded) == {"startTickIndex", "ticks", "whirlpool"}
    assert array.start_tick_index == int(decoded["startTickIndex"]["data"]) == -2_894_848
    assert array.whirlpool == decoded["whirlpool"]["data"]
    assert [_tick_as_carbon(t) for t in array.ticks] == decoded["ticks"]["data"]


def test_the_splash_pool_tick_array_holds_the_full_range_lower_tick() -> None:
    array = decode_whirlpool_tick_array(_raw(TICK_ARRAY))
    spacing = 32_896  # a full-range-only ("splash") pool: the array spans 88 * 32 896 ticks
    assert array.start_tick_index == -88 * spacing
    (lower,) = whirlpool_initialized_ticks(array, spacing)
    # the lowest usable tick: MIN_TICK rounded up to the spacing, i.e. tick 75 of the array
    assert lower.tick_index == math.ceil(MIN_TICK / spacing) * spacing == -427_648
    assert lower.tick == array.ticks[75]
    assert lower.tick.liquidity_net == lower.tick.liquidity_gross == 141_421_356
    assert whirlpool_next_initialized_tick(array, spacing, 0, a_to_b=True) == -427_648
    assert whirlpool_next_initialized_tick(array, spacing, -500_000, a_to_b=False) == -427_648
    assert whirlpool_next_initialized_tick(array, spacing, -427_648, a_to_b=False) is None


# ---------------------------------------------- Raydium CLMM and Meteora DLMM vs struct reads

# field -> (offset in the account, including the 8-byte discriminator; struct format or "key")
RAYDIUM_OFFSETS = {
    "amm_config": (9, "key"),
    "token_mint_0": (73, "key"),
    "token_mint_1": (105, "key"),
    "token_vault_0": (137, "key"),
    "token_vault_1": (169, "key"),
    "observation_key": (201, "key"),
    "mint_decimals_0": (233, "<B"),
    "mint_decimals_1": (234, "<B"),
    "tick_spacing": (235, "<H"),
    "liquidity": (237, "u128"),
    "sqrt_price_x64": (253, "u128"),
    "tick_current": (269, "<i"),
    "protocol_fees_token_0": (309, "<Q"),
    "protocol_fees_token_1": (317, "<Q"),
    "status": (389, "<B"),
    "open_time": (1080, "<Q"),
    "recent_epoch": (1088, "<Q"),
}
METEORA_OFFSETS = {
    "base_factor": (8, "<H"),
    "filter_period": (10, "<H"),
    "decay_period": (12, "<H"),
    "reduction_factor": (14, "<H"),
    "variable_fee_control": (16, "<I"),
    "max_volatility_accumulator": (20, "<I"),
    "min_bin_id": (24, "<i"),
    "max_bin_id": (28, "<i"),
    "protocol_share": (32, "<H"),
    "volatility_accumulator": (40, "<I"),
    "volatility_reference": (44, "<I"),
    "index_reference": (48, "<i"),
    "last_update_timestamp": (56, "<q"),
    "pair_type": (75, "<B"),
    "active_id": (76, "<i"),
    "bin_step": (80, "<H"),
    "status": (82, "<B"),
    "token_x_mint": (88, "key"),
    "token_y_mint": (120, "key"),
    "reserve_x": (152, "key"),
    "reserve_y": (184, "key"),
    "protocol_fee_x": (216, "<Q"),
    "protocol_fee_y": (224, "<Q"),
    "oracle": (552, "key"),
    "creator": (848, "key"),
}


def _struct_read(raw: bytes, offset: int, fmt: str) -> Any:
    if fmt == "key":
        return base58.b58encode(raw[offset : offset + 32]).decode()
    if fmt == "u128":
        return int.from_bytes(raw[offset : offset + 16], "little")
    return struct.unpack_from(fmt, raw, offset)[0]


@pytest.mark.parametrize(
    ("name", "offsets"), [(RAYDIUM, RAYDIUM_OFFSETS), (METEORA, METEORA_OFFSETS)]
)
def test_struct_reads_at_the_layout_offsets_give_the_stored_values(
    name: str, offsets: dict[str, tuple[int, str]]
) -> None:
    raw = _raw(name)
    assert {f: _struct_read(raw, *where) for f, where in offsets.items()} == EXPECTED[name]


def test_the_raydium_pool_decodes_to_the_struct_read_values() -> None:
    pool = decode_raydium_clmm_pool(_raw(RAYDIUM))
    assert {f: getattr(pool, f) for f in RAYDIUM_OFFSETS} == EXPECTED[RAYDIUM]
    # mainnet facts: token 0 is wrapped SOL (9 decimals); the mints are in byte order
    assert pool.token_mint_0 == WSOL and pool.mint_decimals_0 == 9
    assert base58.b58decode(pool.token_mint_0) < base58.b58decode(pool.token_mint_1)
    assert pool.fee_on == 0 and len(pool.reward_infos) == 3 and len(pool.tick_array_bitmap) == 16
    # the stored tick is the program's tick of the stored sqrt price
    tick = pool.tick_current
    assert raydium_sqrt_price_at_tick(tick) <= pool.sqrt_price_x64
    assert pool.sqrt_price_x64 < raydium_sqrt_price_at_tick(tick + 1)


def test_the_meteora_pair_decodes_to_the_struct_read_values() -> None:
    pair = decode_dlmm_lb_pair(_raw(METEORA))
    flat = {**pair.parameters._asdict(), **pair.v_parameters._asdict(), **pair._asdict()}
    assert {f: flat[f] for f in METEORA_OFFSETS} == EXPECTED[METEORA]
    assert pair.token_y_mint == WSOL
    # the address seeds repeat the parameters they encode
    assert int.from_bytes(pair.bin_step_seed, "little") == pair.bin_step
    assert int.from_bytes(pair.base_factor_seed, "little") == pair.parameters.base_factor
    assert pair.parameters.min_bin_id <= pair.active_id <= pair.parameters.max_bin_id
    assert pair.fee_owner == ZERO_KEY and pair.version == 0


def test_the_whirlpool_tick_is_the_programs_tick_of_its_sqrt_price() -> None:
    pool = decode_whirlpool(_raw(WHIRLPOOL))
    assert whirlpool_tick_at_sqrt_price(pool.sqrt_price) == pool.tick_current_index


# ---------------------------------------------------------------------- errors name the account


@pytest.mark.parametrize(
    ("decode", "account"),
    [
        (decode_whirlpool, "Whirlpool"),
        (decode_whirlpool_tick_array, "TickArray"),
        (decode_raydium_clmm_pool, "PoolState"),
        (decode_dlmm_lb_pair, "LbPair"),
        (decode_dlmm_bin_array, "BinArray"),
    ],
)
def test_another_accounts_bytes_are_refused_naming_the_expected_type(
    decode: Any, account: str
) -> None:
    other = _raw(METEORA) if account != "LbPair" else _raw(WHIRLPOOL)
    with pytest.raises(DataError, match=f"not a {account} account") as error:
        decode(other)
    assert error.value.field == "discriminator"


@pytest.mark.parametrize(
    ("name", "decode", "account"),
    [
        (WHIRLPOOL, decode_whirlpool, "Whirlpool"),
        (TICK_ARRAY, decode_whirlpool_tick_array, "TickArray"),
        (RAYDIUM, decode_raydium_clmm_pool, "PoolState"),
        (METEORA, decode_dlmm_lb_pair, "LbPair"),
    ],
)
def test_a_truncated_or_padded_account_is_refused(name: str, decode: Any, account: str) -> None:
    raw = _raw(name)
    for wrong in (raw[:-1], raw + b"\0"):
        with pytest.raises(DataError, match=f"{account} account: expected {len(raw)} bytes") as e:
            decode(wrong)
        assert e.value.field == "data"


def test_text_instead_of_bytes_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match="data: expected the raw bytes of a Whirlpool"):
        decode_whirlpool(_fixture(WHIRLPOOL)["data"])  # the base64 text, not decoded


# ------------------------------------------------------------------------------ tick/bin math


def _exact_sqrt_price_x64(tick: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return Decimal("1.0001") ** (Decimal(tick) / 2) * Q64


def test_the_tick_tables_reproduce_the_programs_bounds_and_sqrt_1_0001() -> None:
    # the programs' published MIN/MAX sqrt prices
    assert whirlpool_sqrt_price_at_tick(MIN_TICK) == 4_295_048_016
    assert whirlpool_sqrt_price_at_tick(MAX_TICK) == 79_226_673_515_401_279_992_447_579_055
    assert raydium_sqrt_price_at_tick(MIN_TICK) == 4_295_048_016
    assert raydium_sqrt_price_at_tick(MAX_TICK) == 79_226_673_521_066_979_257_578_248_091
    for tick in (-300_000, -12_345, -1, 0, 1, 64, 223_338, 300_000):
        exact = _exact_sqrt_price_x64(tick)
        # Orca's table is exact to the last unit; Raydium's truncated factors to ~1e-10
        assert abs(whirlpool_sqrt_price_at_tick(tick) - exact) < 1 + exact * Decimal("1e-18")
        assert abs(raydium_sqrt_price_at_tick(tick) - exact) < 1 + exact * Decimal("1e-10")
    with pytest.raises(ParameterError, match="tick"):
        whirlpool_sqrt_price_at_tick(MAX_TICK + 1)


def test_the_dlmm_bin_price_is_1_plus_bin_step_to_the_bin_id() -> None:
    pair = decode_dlmm_lb_pair(_raw(METEORA))
    price = dlmm_bin_price_x64(pair.active_id, pair.bin_step)
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal("1.008") ** pair.active_id * Q64
    assert abs(price - exact) / exact < Decimal("1e-14")
    assert dlmm_bin_price_x64(0, pair.bin_step) == Q64


# ----------------------------------------------------------------------------------- prices


def test_prices_are_exact_and_decimals_adjusted() -> None:
    pool = decode_whirlpool(_raw(WHIRLPOOL))
    price = whirlpool_price(pool, 9, 6)
    assert price.exact == Fraction(pool.sqrt_price**2, 2**128) * 1000
    assert price.value == pytest.approx((pool.sqrt_price / Q64) ** 2 * 1000, rel=1e-12)

    ray = decode_raydium_clmm_pool(_raw(RAYDIUM))
    assert raydium_clmm_price(ray).exact == Fraction(ray.sqrt_price_x64**2, 2**128) * 1000
    # about 1.23 million of token 1 per SOL: the stored tick says the same (1.0001 ** tick * 1e3)
    assert raydium_clmm_price(ray).value == pytest.approx(1.0001**ray.tick_current * 1e3, rel=1e-4)

    pair = decode_dlmm_lb_pair(_raw(METEORA))
    dlmm = dlmm_price(pair, 6, 9)  # a pump.fun token (6 decimals) priced in SOL (9)
    assert dlmm.exact == Fraction(10_080, 10_000) ** -1054 / 1000
    assert dlmm.value == pytest.approx(1.008**-1054 / 1000, rel=1e-12)
    with pytest.raises(ParameterError, match="decimals_a"):
        whirlpool_price(pool, -1, 6)


# ----------------------------------------------------------------------------------- quotes


@pytest.mark.parametrize("case", EXPECTED["whirlpool_quotes"], ids=lambda c: str(c["amount_in"]))
def test_whirlpool_quote_matches_the_hand_computed_one(case: dict[str, Any]) -> None:
    pool = decode_whirlpool(_raw(WHIRLPOOL))
    quote = whirlpool_quote_exact_in(pool, case["amount_in"], case["a_to_b"])
    assert quote == SwapQuote(**case["expect"])


def test_a_small_whirlpool_quote_agrees_with_constant_product_on_virtual_reserves() -> None:
    pool = decode_whirlpool(_raw(WHIRLPOOL))
    liquidity, sqrt_price = Fraction(pool.liquidity), Fraction(pool.sqrt_price, Q64)
    x, y = liquidity / sqrt_price, liquidity * sqrt_price  # virtual reserves of A and B
    amount = 1_000
    net = Fraction(amount * (1_000_000 - pool.fee_rate), 1_000_000)
    out = y - liquidity**2 / (x + math.floor(net))
    quote = whirlpool_quote_exact_in(pool, amount, a_to_b=True)
    assert math.floor(out) - 1 <= quote.amount_out <= out  # the program rounds against the trader
    assert quote.fee == amount - math.floor(net)  # 1 % of 1 000, the price move used the rest


def test_a_quote_past_the_tick_interval_stops_at_its_edge() -> None:
    pool = decode_whirlpool(_raw(WHIRLPOOL))
    lower = pool.tick_current_index // pool.tick_spacing * pool.tick_spacing
    quote = whirlpool_quote_exact_in(pool, 10**9, a_to_b=True)
    assert quote.crosses_boundary and quote.amount_in < 10**9
    assert quote.sqrt_price_after_x64 == whirlpool_sqrt_price_at_tick(lower)
    # the splash pool's liquidity runs to the full-range bound: a caller may say so
    further = whirlpool_quote_exact_in(pool, 10**9, a_to_b=True, boundary_tick=-427_648)
    assert further.amount_out > quote.amount_out and further.amount_in > quote.amount_in
    with pytest.raises(ParameterError, match="boundary_tick"):
        whirlpool_quote_exact_in(pool, 10**9, a_to_b=False, boundary_tick=lower)


def test_a_raydium_quote_uses_the_pools_own_decimals_and_tick_table() -> None:
    pool = decode_raydium_clmm_pool(_raw(RAYDIUM))
    quote = raydium_clmm_quote_exact_in(pool, 10**6, True, trade_fee_rate=2_500)  # 0.001 SOL
    assert not quote.crosses_boundary and quote.fee == 2_500
    spot = raydium_clmm_price(pool).exact / 1000  # token-1 atomic units per lamport
    assert quote.amount_out <= (10**6 - quote.fee) * spot
    assert quote.amount_out == pytest.approx(float((10**6 - quote.fee) * spot), rel=1e-3)
    with pytest.raises(ParameterError, match="trade_fee_rate"):
        raydium_clmm_quote_exact_in(pool, 10**6, True, trade_fee_rate=-1)
    with pytest.raises(ParameterError, match=r"pool\.status"):
        raydium_clmm_quote_exact_in(pool._replace(status=16), 10**6, True, trade_fee_rate=2_500)


@pytest.mark.parametrize("case", EXPECTED["dlmm_fee_rates"], ids=lambda c: str(c["now"]))
def test_dlmm_fee_rate_matches_the_hand_computed_one(case: dict[str, Any]) -> None:
    pair = decode_dlmm_lb_pair(_raw(METEORA))
    rate = dlmm_fee_rate(pair, now=case["now"])
    assert rate._asdict() == {k: case[k] for k in rate._fields}


def _fixture_bin_array() -> tuple[Any, DlmmBinArray]:
    pair = decode_dlmm_lb_pair(_raw(METEORA))
    index = pair.active_id // 70
    active = DlmmBin(**EXPECTED["dlmm_active_bin"], price=0, liquidity_supply=0)
    bins = tuple(
        active if index * 70 + i == pair.active_id else DlmmBin(0, 0, 0, 0) for i in range(70)
    )
    return pair, DlmmBinArray(index, 1, ZERO_KEY, bins)


@pytest.mark.parametrize("case", EXPECTED["dlmm_quotes"], ids=lambda c: str(c["amount_in"]))
def test_dlmm_quote_matches_the_hand_computed_one(case: dict[str, Any]) -> None:
    pair, bins = _fixture_bin_array()
    quote = dlmm_quote_exact_in(pair, bins, case["amount_in"], case["swap_for_y"])
    assert quote == SwapQuote(
        **case["expect"], sqrt_price_after_x64=None, index_after=pair.active_id
    )


def test_dlmm_quote_needs_the_bin_array_of_the_active_bin() -> None:
    pair, bins = _fixture_bin_array()
    with pytest.raises(ParameterError, match=r"bin_array: holds bins -1050\.\.-981"):
        dlmm_quote_exact_in(pair, bins._replace(index=bins.index + 1), 10**6, True)


def test_a_bin_array_decodes_from_its_layout() -> None:
    raw = bytearray(hashlib.sha256(b"account:BinArray").digest()[:8] + bytes(10_128))
    struct.pack_into("<qB", raw, 8, -16, 1)
    raw[24:56] = base58.b58decode(WSOL)
    struct.pack_into("<QQ", raw, 56 + 144 * 4, 7, 9)  # bin 4: amount_x, amount_y
    raw[56 + 144 * 4 + 16 : 56 + 144 * 4 + 32] = (3 * Q64).to_bytes(16, "little")
    array = decode_dlmm_bin_array(bytes(raw))
    assert (array.index, array.version, array.lb_pair, len(array.bins)) == (-16, 1, WSOL, 70)
    assert array.bins[4] == DlmmBin(7, 9, 3 * Q64, 0)
    assert array.bins[5] == DlmmBin(0, 0, 0, 0)


def test_modes_the_quotes_do_not_implement_are_refused_by_name() -> None:
    ray = decode_raydium_clmm_pool(_raw(RAYDIUM))._replace(fee_on=1)  # fee always in token 0
    with pytest.raises(ParameterError, match=r"pool\.fee_on"):
        raydium_clmm_quote_exact_in(ray, 10**6, False, trade_fee_rate=2_500)
    assert raydium_clmm_quote_exact_in(ray, 10**6, True, trade_fee_rate=2_500).fee == 2_500
    pair, bins = _fixture_bin_array()
    only_y = pair._replace(parameters=pair.parameters._replace(collect_fee_mode=1))
    with pytest.raises(ParameterError, match=r"collect_fee_mode"):
        dlmm_quote_exact_in(only_y, bins, 10**6, True)
    with pytest.raises(ParameterError, match=r"pair\.status"):
        dlmm_quote_exact_in(pair._replace(status=1), bins, 10**6, True)


def test_a_swap_the_program_refuses_for_leaving_u64_is_refused() -> None:
    pool = decode_whirlpool(_raw(WHIRLPOOL))._replace(liquidity=2**120)
    with pytest.raises(ParameterError, match=r"amount_in: .* beyond the u64 range"):
        whirlpool_quote_exact_in(pool, 2**64 - 1, a_to_b=True)
