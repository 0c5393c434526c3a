"""The Solana venue: the decision core's market intents as Jupiter swaps (the ``Venue`` port).

An intent on one market (``base`` / ``quote`` mints, e.g. SOL / USDC) becomes one ExactIn swap
executed by :class:`~soltrader.adapters.solana_swap.SwapExecutor` (at most once, journaled
before it is sent):

=============================  ===============================================================
intent                         swap
=============================  ===============================================================
buy, ``unit=QUOTE``            ``quantity`` quote units (fees included) of the quote mint in
buy, ``unit=CASH_FRACTION``    that fraction of the wallet's quote balance (read when sent) in
sell, ``unit=BASE``            ``quantity`` base units of the base mint in
=============================  ===============================================================

Quantities become atomic units rounded **down** (never more than decided). A swap router rests
no orders: limit, stop and stop-limit intents, and a buy sized in base units (an ExactOut swap),
are refused with :class:`VenueRefusedError` naming the intent. A landed swap is reported as a
fill (``fill_dt``): ``order_id`` is the intent's client id, ``size`` the base units that moved,
``price`` the quote paid or received per base unit, ``fees`` the transaction fee in quote
currency when one of the mints is wrapped SOL (else 0; the lamports are in the journal), all
from the transaction's balances. Submitting an intent again changes nothing: the executor finds
its journaled transaction, and a landed intent is reported once per process (after a restart,
the journal's fills are unique by venue, order and trade).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import ROUND_DOWN, Decimal
from typing import NamedTuple

import numpy as np
from solders.pubkey import Pubkey

from soltrader.adapters.resilience import Provider
from soltrader.adapters.solana_rpc import RpcPool
from soltrader.adapters.solana_swap import SwapExecutor, SwapRequest, SwapResult
from soltrader.domain.enums import OrderType, Side
from soltrader.domain.errors import Error
from soltrader.domain.ports import Execution
from soltrader.domain.state import QuantityUnit, intent_dt, intent_fill

#: The wrapped-SOL mint: transaction fees are priced through it.
WRAPPED_SOL = Pubkey.from_string("So11111111111111111111111111111111111111112")
_LAMPORTS_PER_SOL = 10**9


class VenueRefusedError(Error):
    """The venue cannot execute an intent (an order type a swap router cannot rest, a size it
    cannot express, or a swap refused before anything was sent).

    Attributes
    ----------
    client_id : int
        The intent's client id.
    """

    def __init__(self, message: str, *, client_id: int) -> None:
        self.client_id = client_id
        super().__init__(message)


class SwapMarket(NamedTuple):
    """One market's two mints and their decimals (atomic units per unit: 10**decimals)."""

    base_mint: Pubkey
    quote_mint: Pubkey
    base_decimals: int
    quote_decimals: int


def atomic(quantity: float, decimals: int) -> int:
    """``quantity`` units as atomic units, rounded down (via its shortest decimal text, so
    ``0.3`` SOL is 300,000,000 lamports, not one less).

    Examples
    --------
    >>> atomic(0.3, 9), atomic(1.23456789, 6)
    (300000000, 1234567)
    """
    return int((Decimal(repr(float(quantity))) * 10**decimals).to_integral_value(ROUND_DOWN))


class SolanaVenue:
    """Market intents as swaps on one market (see the module docstring).

    Parameters
    ----------
    executor : SwapExecutor
        Executes each swap at most once.
    rpc : RpcPool
        Reads the wallet's quote balance for cash-fraction buys.
    market : SwapMarket
        The base and quote mints.
    slippage_bps : int
        The slippage asked for in every quote (within the executor's caps).
    """

    def __init__(
        self, executor: SwapExecutor, rpc: RpcPool, market: SwapMarket, *, slippage_bps: int = 50
    ) -> None:
        self.executor = executor
        self.rpc = rpc
        self.market = market
        self.slippage_bps = slippage_bps
        self._fills: asyncio.Queue[np.ndarray] = asyncio.Queue()
        self._in_flight: dict[int, np.ndarray] = {}
        self.results: dict[int, SwapResult] = {}
        self._ended: dict[int, Execution] = {}

    def providers(self) -> list[Provider]:
        """The RPC endpoints and Jupiter, as the health check and the metrics see them."""
        return [*self.rpc.providers(), *self.executor.jupiter.providers()]

    async def execute(self, intent: np.ndarray) -> Execution:
        """Execute one market intent as a swap, at most once, and say how it ended (the
        :class:`~soltrader.domain.ports.ExecutingVenue` port): landed (the fill from the
        transaction's balances, the signature as trade id), or refused with the reason (an
        intent the venue cannot execute, a swap refused before anything was sent, expired
        transactions given up on, a swap that landed but failed on chain). Executing an intent
        again returns the same answer without sending anything.

        Raises
        ------
        Exception
            Whatever stops the executor before it knows the outcome (the journal still holds
            every signature it sent: a restart resolves them).
        """
        rec = np.asarray(intent, dtype=intent_dt).reshape(())
        cid = int(rec["client_id"])
        if cid in self._ended:
            return self._ended[cid]
        try:
            request = await self._request(rec, cid)
        except VenueRefusedError as refused:
            return self._end(Execution(cid, refused=str(refused)))
        self._in_flight[cid] = rec.copy()
        try:
            result = await self.executor.execute(request)
        finally:
            self._in_flight.pop(cid, None)
        if result.state == "landed":
            self.results[cid] = result
        if result.state != "landed":
            return self._end(Execution(cid, refused=f"intent {cid:016x}: {result.reason}"))
        if result.err is not None:
            why = f"intent {cid:016x}: landed but failed on chain ({result.err})"
            return self._end(Execution(cid, refused=why))
        fill = self._fill(rec, request, result)
        return self._end(Execution(cid, fill, str(result.signature)))

    def _end(self, execution: Execution) -> Execution:
        self._ended[execution.client_id] = execution
        return execution

    async def submit(self, intent: np.ndarray) -> None:
        """Execute one market intent as a swap (:meth:`execute`); its fill is then in
        :meth:`fills`. Submitting it again changes nothing.

        Raises
        ------
        VenueRefusedError
            The intent was refused or given up on (see :meth:`execute`); its reason is in the
            message.
        """
        rec = np.asarray(intent, dtype=intent_dt).reshape(())
        cid = int(rec["client_id"])
        if cid in self._ended:  # executed and reported already: nothing changes
            return
        execution = await self.execute(rec)
        if execution.refused and cid in self.results:
            return  # landed with an error on chain: nothing executed, nothing to report
        if execution.refused:
            raise VenueRefusedError(execution.refused, client_id=cid)
        assert execution.fill is not None
        self._fills.put_nowait(execution.fill)

    async def fills(self) -> AsyncIterator[np.ndarray]:
        """Each landed swap as a ``fill_dt`` record, in the order they landed."""
        while True:
            yield await self._fills.get()

    async def open_orders(self) -> np.ndarray:
        """The intents being executed now (a swap rests nowhere once it has landed)."""
        return np.array(list(self._in_flight.values()), dtype=intent_dt)

    # -- conversion -------------------------------------------------------------------------

    async def _request(self, rec: np.ndarray, cid: int) -> SwapRequest:
        m = self.market
        kind, side, unit = int(rec["kind"]), int(rec["side"]), int(rec["unit"])
        quantity = float(rec["quantity"])
        if kind != OrderType.MARKET:
            raise VenueRefusedError(
                f"intent {cid:016x}: a swap venue executes market intents only, got "
                f"{OrderType(kind).name.lower()} (protective orders are watched by the runtime)",
                client_id=cid,
            )
        if not quantity > 0:
            raise VenueRefusedError(f"intent {cid:016x}: quantity {quantity!r}", client_id=cid)
        if side == Side.SELL and unit == QuantityUnit.BASE:
            amount = atomic(quantity, m.base_decimals)
            pair = (m.base_mint, m.quote_mint)
        elif side == Side.BUY and unit == QuantityUnit.QUOTE:
            amount = atomic(quantity, m.quote_decimals)
            pair = (m.quote_mint, m.base_mint)
        elif side == Side.BUY and unit == QuantityUnit.CASH_FRACTION:
            held = sum(a.amount for a in await self.rpc.token_accounts(
                self.executor.wallet.pubkey, m.quote_mint
            ))  # fmt: skip
            amount = int((Decimal(held) * Decimal(repr(quantity))).to_integral_value(ROUND_DOWN))
            pair = (m.quote_mint, m.base_mint)
        else:
            raise VenueRefusedError(
                f"intent {cid:016x}: {Side(side).name.lower()} sized in "
                f"{QuantityUnit(unit).name.lower()} units needs an ExactOut swap, not supported",
                client_id=cid,
            )
        if amount <= 0:
            raise VenueRefusedError(
                f"intent {cid:016x}: {quantity!r} is 0 atomic units", client_id=cid
            )
        return SwapRequest(cid, pair[0], pair[1], amount, self.slippage_bps)

    def _fill(self, rec: np.ndarray, request: SwapRequest, result: SwapResult) -> np.ndarray:
        m = self.market
        selling = request.input_mint == m.base_mint
        base_atomic = result.in_amount if selling else result.out_amount
        quote_atomic = result.out_amount if selling else result.in_amount
        size = base_atomic / 10**m.base_decimals
        price = (quote_atomic / 10**m.quote_decimals) / size if size else float("nan")
        fee_sol = result.fee / _LAMPORTS_PER_SOL
        if m.base_mint == WRAPPED_SOL:
            fees = fee_sol * price
        elif m.quote_mint == WRAPPED_SOL:
            fees = fee_sol
        else:
            fees = 0.0
        return intent_fill(rec, Side.SELL if selling else Side.BUY, size, price, fees)


__all__ = ["WRAPPED_SOL", "SolanaVenue", "SwapMarket", "VenueRefusedError", "atomic"]
