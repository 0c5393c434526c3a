"""The Solana venue (the ``Venue`` port) against LiteSVM: intents in, swaps executed once, fills
out, booked from the transactions' balances."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from soltrader.adapters.solana_venue import SolanaVenue, SwapMarket, VenueRefusedError, atomic
from soltrader.domain.enums import OrderType, Side
from soltrader.domain.ports import Venue
from soltrader.domain.state import IntentReason, QuantityUnit, intent_dt
from tests.solana_world import Setup

pytestmark = pytest.mark.timeout(60)


def intent(cid: int, side: Side, unit: QuantityUnit, quantity: float, **kw: Any) -> np.ndarray:
    rec = np.zeros((), dtype=intent_dt)
    rec["client_id"] = cid
    rec["decision_bar"] = 7
    rec["side"] = side
    rec["kind"] = kw.get("kind", OrderType.MARKET)
    rec["reason"] = kw.get("reason", IntentReason.ENTRY)
    rec["unit"] = unit
    rec["quantity"] = quantity
    rec["limit_price"] = rec["stop_price"] = np.nan
    return rec


async def venue_of(setup: Setup, stack: AsyncExitStack) -> SolanaVenue:
    await setup.start(stack)
    executor = await setup.executor(stack)
    market = SwapMarket(setup.base, setup.quote, 9, 6)
    return SolanaVenue(executor, setup.rpc, market, slippage_bps=50)


def test_a_buy_and_a_sell_become_swaps_and_fills_from_balances(tmp_path: Path) -> None:
    setup = Setup(tmp_path)

    async def main() -> Any:
        async with AsyncExitStack() as stack:
            venue = await venue_of(setup, stack)
            assert isinstance(venue, Venue)
            await venue.submit(
                intent(1, Side.SELL, QuantityUnit.BASE, 3.0, reason=IntentReason.EXIT)
            )
            await venue.submit(intent(2, Side.BUY, QuantityUnit.QUOTE, 150.0))
            await venue.submit(intent(2, Side.BUY, QuantityUnit.QUOTE, 150.0))  # again: nothing
            fills = venue.fills()
            got = [await anext(fills), await anext(fills)]
            with pytest.raises(TimeoutError):  # no third fill: the repeat executed nothing
                await asyncio.wait_for(anext(fills), 0.1)
            return got, venue

    (sold, bought), venue = asyncio.run(main())
    assert int(sold["order_id"]) == 1 and sold["side"] == Side.SELL and sold["size"] == 3.0
    assert sold["price"] == pytest.approx(150 * 0.9975)  # the pool's price less its 25 bps fee
    assert sold["reason"] == 0  # ExitReason.SIGNAL
    assert int(bought["order_id"]) == 2 and bought["side"] == Side.BUY
    assert bought["size"] == pytest.approx(0.9975) and bought["reason"] == -1  # an entry
    assert bought["price"] == pytest.approx(150 / 0.9975)
    assert len(setup.chain.landed) == 2 and setup.server.builds == 2
    assert venue.results[2].in_amount == 150_000_000
    base_held = setup.chain.token_amount(setup.base_account)
    assert base_held == 10**10 - 3 * 10**9 + 997_500_000  # exactly what the fills say


def test_a_cash_fraction_buy_reads_the_quote_balance(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    owner = setup.payer.pubkey()
    setup.chain.create_token_account(setup.quote, owner, 400_000_000, setup.quote_account)

    async def main() -> Any:
        async with AsyncExitStack() as stack:
            venue = await venue_of(setup, stack)
            await venue.submit(intent(3, Side.BUY, QuantityUnit.CASH_FRACTION, 0.25))
            return venue.results[3]

    result = asyncio.run(main())
    assert result.in_amount == 100_000_000  # a quarter of 400 quote units


def test_orders_a_swap_router_cannot_rest_are_refused_by_name(tmp_path: Path) -> None:
    setup = Setup(tmp_path)

    async def main() -> list[str]:
        out = []
        async with AsyncExitStack() as stack:
            venue = await venue_of(setup, stack)
            cases = [
                intent(4, Side.SELL, QuantityUnit.BASE, 1.0, kind=OrderType.STOP),
                intent(5, Side.BUY, QuantityUnit.BASE, 1.0),
                intent(6, Side.SELL, QuantityUnit.BASE, 1e-12),
            ]
            for rec in cases:
                with pytest.raises(VenueRefusedError) as refused:
                    await venue.submit(rec)
                out.append(str(refused.value))
        return out

    stop, exact_out, dust = asyncio.run(main())
    assert stop.startswith("intent 0000000000000004: a swap venue executes market intents only")
    assert "buy sized in base units needs an ExactOut swap" in exact_out
    assert "is 0 atomic units" in dust
    assert setup.chain.sends == 0


def test_atomic_amounts_round_down_from_the_decimal_text() -> None:
    assert atomic(0.3, 9) == 300_000_000
    assert atomic(2.675, 2) == 267
    assert atomic(1e-10, 9) == 0
