"""Invariants of the DEX swap quotes (hypothesis), for Orca Whirlpool, Raydium CLMM and Meteora
DLMM: no free money (the output is worth at most the input at the pre-trade price), the output
grows with the input, nothing in gives nothing out, fees are at least their rate, and a round
trip gives back at most the input less the first leg's fee."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from hypothesis import assume, given, reject
from hypothesis import strategies as hs

from soltrader.dex import (
    DlmmBin,
    DlmmBinArray,
    DlmmLbPair,
    SwapQuote,
    decode_dlmm_lb_pair,
    decode_raydium_clmm_pool,
    decode_whirlpool,
    dlmm_bin_price_x64,
    dlmm_fee_rate,
    dlmm_quote_exact_in,
    raydium_clmm_quote_exact_in,
    raydium_sqrt_price_at_tick,
    whirlpool_quote_exact_in,
    whirlpool_sqrt_price_at_tick,
)
from soltrader.domain.errors import ParameterError

Q64 = 2**64
U64_MAX = 2**64 - 1
ZERO_KEY = "1" * 32


def _blank(account: str, size: int) -> bytes:
    """An all-zero account of the given type (its discriminator, then zeros)."""
    return hashlib.sha256(f"account:{account}".encode()).digest()[:8] + bytes(size - 8)


BLANK_WHIRLPOOL = decode_whirlpool(_blank("Whirlpool", 653))
BLANK_RAYDIUM = decode_raydium_clmm_pool(_blank("PoolState", 1544))
BLANK_PAIR = decode_dlmm_lb_pair(_blank("LbPair", 904))

amounts = hs.integers(0, U64_MAX) | hs.integers(0, 10**9)  # whole range, and small sizes


@contextmanager
def _refused_beyond_u64(name: str) -> Iterator[None]:
    """Skip the example when the program would refuse the swap for leaving the u64 range (the
    quote says so with a ParameterError naming ``name``); any other error propagates."""
    try:
        yield
    except ParameterError as error:
        if error.name != name or "u64 range" not in str(error):
            raise
        reject()


# ----------------------------------------------------------------- concentrated liquidity


class Clmm(NamedTuple):
    """A concentrated-liquidity pool of either program, with what quoting it needs."""

    pool: Any
    fee_rate: int  # hundredths of a basis point
    sqrt_price: int  # Q64.64

    def quote(self, amount: int, a_to_b: bool) -> SwapQuote:
        with _refused_beyond_u64("amount_in"):
            if hasattr(self.pool, "sqrt_price_x64"):
                return raydium_clmm_quote_exact_in(
                    self.pool, amount, a_to_b, trade_fee_rate=self.fee_rate
                )
            return whirlpool_quote_exact_in(self.pool, amount, a_to_b)

    def after(self, quote: SwapQuote) -> Clmm:
        """The pool as the swap leaves it (within the interval the liquidity is unchanged)."""
        price, tick = quote.sqrt_price_after_x64, quote.index_after
        if hasattr(self.pool, "sqrt_price_x64"):
            pool = self.pool._replace(sqrt_price_x64=price, tick_current=tick)
        else:
            pool = self.pool._replace(sqrt_price=price, tick_current_index=tick)
        return self._replace(pool=pool, sqrt_price=price)


@hs.composite
def clmm_pools(draw: Callable[..., Any]) -> Clmm:
    raydium = draw(hs.booleans())
    sqrt_at = raydium_sqrt_price_at_tick if raydium else whirlpool_sqrt_price_at_tick
    tick = draw(hs.integers(-200_000, 200_000))
    sqrt_price = draw(hs.integers(sqrt_at(tick), sqrt_at(tick + 1) - 1))
    spacing = draw(hs.sampled_from([1, 8, 64, 128, 32_896]))
    liquidity = draw(hs.integers(1, 2**100) | hs.integers(1, 10**12))
    fee_rate = draw(hs.integers(0, 60_000))
    if raydium:
        pool = BLANK_RAYDIUM._replace(
            tick_spacing=spacing, liquidity=liquidity, sqrt_price_x64=sqrt_price, tick_current=tick
        )
    else:
        pool = BLANK_WHIRLPOOL._replace(
            tick_spacing=spacing,
            fee_rate=fee_rate,
            liquidity=liquidity,
            sqrt_price=sqrt_price,
            tick_current_index=tick,
        )
    return Clmm(pool, fee_rate, sqrt_price)


@given(clmm_pools(), amounts, hs.booleans())
def test_clmm_gives_no_free_money_and_fees_at_least_their_rate(
    case: Clmm, amount: int, a_to_b: bool
) -> None:
    quote = case.quote(amount, a_to_b)
    price_x128 = case.sqrt_price**2  # token B per token A, scaled by 2**128
    if a_to_b:  # the price only falls while selling A: out <= in * price before
        assert quote.amount_out * 2**128 <= quote.amount_in * price_x128
    else:
        assert quote.amount_out * price_x128 <= quote.amount_in * 2**128
    assert 0 <= quote.fee <= quote.amount_in <= amount
    assert quote.fee * 1_000_000 >= quote.amount_in * case.fee_rate
    assert quote.crosses_boundary or quote.amount_in == amount


@given(clmm_pools(), amounts, amounts, hs.booleans())
def test_clmm_output_grows_with_the_input(case: Clmm, a: int, b: int, a_to_b: bool) -> None:
    small, large = case.quote(min(a, b), a_to_b), case.quote(max(a, b), a_to_b)
    assert small.amount_out <= large.amount_out
    assert small.amount_in <= large.amount_in


@given(clmm_pools(), hs.booleans())
def test_clmm_nothing_in_gives_nothing_out(case: Clmm, a_to_b: bool) -> None:
    quote = case.quote(0, a_to_b)
    assert (quote.amount_in, quote.amount_out, quote.fee) == (0, 0, 0)


@given(clmm_pools(), amounts, hs.booleans())
def test_clmm_round_trip_loses_at_least_the_fee(case: Clmm, amount: int, a_to_b: bool) -> None:
    there = case.quote(amount, a_to_b)
    assume(not there.crosses_boundary)
    back = case.after(there).quote(there.amount_out, not a_to_b)
    assert back.amount_out + there.fee <= there.amount_in


# ----------------------------------------------------------------------------- Meteora DLMM


class Dlmm(NamedTuple):
    pair: DlmmLbPair
    bins: DlmmBinArray
    price: int  # the active bin's Q64.64 price

    def quote(self, amount: int, swap_for_y: bool) -> SwapQuote:
        with _refused_beyond_u64("bin_array"):
            return dlmm_quote_exact_in(self.pair, self.bins, amount, swap_for_y)

    def active(self) -> DlmmBin:
        return self.bins.bins[self.pair.active_id - self.bins.index * 70]

    def after(self, quote: SwapQuote, swap_for_y: bool) -> Dlmm:
        """The pair as the swap leaves its active bin: input less fee in, output out."""
        into = quote.amount_in - quote.fee
        old = self.active()
        if swap_for_y:
            new = old._replace(
                amount_x=old.amount_x + into, amount_y=old.amount_y - quote.amount_out
            )
        else:
            new = old._replace(
                amount_y=old.amount_y + into, amount_x=old.amount_x - quote.amount_out
            )
        offset = self.pair.active_id - self.bins.index * 70
        bins = (*self.bins.bins[:offset], new, *self.bins.bins[offset + 1 :])
        return self._replace(bins=self.bins._replace(bins=bins))


@hs.composite
def dlmm_pairs(draw: Callable[..., Any]) -> Dlmm:
    bin_step = draw(hs.sampled_from([1, 5, 10, 25, 80, 100, 250]))
    reach = min(2_000, int(40 / math.log1p(bin_step / 10_000)))  # prices within e**±40
    active_id = draw(hs.integers(-reach, reach))
    max_accumulator = draw(hs.integers(0, 350_000))
    parameters = BLANK_PAIR.parameters._replace(
        base_factor=draw(hs.integers(0, 20_000)),
        variable_fee_control=draw(hs.integers(0, 100_000)),
        max_volatility_accumulator=max_accumulator,
    )
    v_parameters = BLANK_PAIR.v_parameters._replace(
        volatility_reference=draw(hs.integers(0, max_accumulator)),
        index_reference=active_id + draw(hs.integers(-20, 20)),
    )
    pair = BLANK_PAIR._replace(
        parameters=parameters, v_parameters=v_parameters, active_id=active_id, bin_step=bin_step
    )
    price = dlmm_bin_price_x64(active_id, bin_step)
    stored = draw(hs.sampled_from([0, price]))  # a bin's stored price, or 0 before first use
    reserves = hs.integers(0, 2**60) | hs.integers(0, 10**9)
    active = DlmmBin(draw(reserves), draw(reserves), stored, 0)
    index = active_id // 70
    bins = tuple(active if index * 70 + i == active_id else DlmmBin(0, 0, 0, 0) for i in range(70))
    return Dlmm(pair, DlmmBinArray(index, 1, ZERO_KEY, bins), price)


@given(dlmm_pairs(), amounts, hs.booleans())
def test_dlmm_gives_no_free_money_and_fees_at_least_their_rate(
    case: Dlmm, amount: int, swap_for_y: bool
) -> None:
    quote = case.quote(amount, swap_for_y)
    if swap_for_y:  # constant price within the bin: out <= in * price
        assert quote.amount_out * Q64 <= quote.amount_in * case.price
        assert quote.amount_out <= case.active().amount_y
    else:
        assert quote.amount_out * case.price <= quote.amount_in * Q64
        assert quote.amount_out <= case.active().amount_x
    rate = dlmm_fee_rate(case.pair).total
    assert 0 <= rate <= 100_000_000  # capped at 10 %
    assert 0 <= quote.fee <= quote.amount_in <= amount
    assert quote.fee * 1_000_000_000 >= quote.amount_in * rate
    assert quote.crosses_boundary or quote.amount_in == amount
    assert quote.index_after == case.pair.active_id


@given(dlmm_pairs(), amounts, amounts, hs.booleans())
def test_dlmm_output_grows_with_the_input(case: Dlmm, a: int, b: int, swap_for_y: bool) -> None:
    small, large = case.quote(min(a, b), swap_for_y), case.quote(max(a, b), swap_for_y)
    assert small.amount_out <= large.amount_out
    assert small.amount_in <= large.amount_in


@given(dlmm_pairs(), hs.booleans())
def test_dlmm_nothing_in_gives_nothing_out(case: Dlmm, swap_for_y: bool) -> None:
    quote = case.quote(0, swap_for_y)
    assert (quote.amount_in, quote.amount_out, quote.fee) == (0, 0, 0)


@given(dlmm_pairs(), amounts, hs.booleans())
def test_dlmm_round_trip_loses_at_least_the_fee(case: Dlmm, amount: int, swap_for_y: bool) -> None:
    there = case.quote(amount, swap_for_y)
    assume(not there.crosses_boundary)
    back = case.after(there, swap_for_y).quote(there.amount_out, not swap_for_y)
    assert back.amount_out + there.fee <= there.amount_in
