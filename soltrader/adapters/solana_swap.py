"""Executing one swap intent on Solana through Jupiter, at most once, whatever fails.

The rule that keeps a swap from executing twice: **a transaction is never replaced while it can
still land.** For one intent, :meth:`SwapExecutor.execute`

1. **resolves** every transaction journaled for the intent first (after a crash too): one that
   landed is booked and nothing more is done; one whose blockhash is still valid is waited for
   (its same bytes re-sent); one whose ``lastValidBlockHeight`` has passed unlanded is marked
   expired, and only then may a new one be built;
2. **quotes** through Jupiter and refuses, before anything is signed, a quote whose price impact
   or slippage exceeds the caps (:class:`SwapCaps`);
3. **builds**, checks the built transaction's priority fee against its cap, **signs** and
   **simulates** it: an error there (slippage exceeded, insufficient funds, invalid accounts)
   ends the intent with nothing sent;
4. **journals** the signature, the signed bytes and the ``lastValidBlockHeight`` *before* the
   first send;
5. **sends** with ``skipPreflight`` and ``maxRetries=0`` and re-sends the same bytes every
   ``rebroadcast_s`` until the signature lands or the block height passes
   ``lastValidBlockHeight`` (the height is read before the status, so a landing in the last
   valid block is never missed); an expired transaction is marked so, and step 2 starts over, at
   most ``max_attempts`` transactions per intent;
6. **books** a landed transaction, once it is ``confirmed``, from its pre/post token balances
   and its fee, never from the quote (a ``processed`` one is waited for, never expired: it is in
   a block already).

Amounts are integers in atomic units throughout.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from solders.compute_budget import ID as COMPUTE_BUDGET_PROGRAM
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from soltrader.adapters.jupiter import JitoTip, JupiterClient, PriorityLevel, Quote
from soltrader.adapters.solana_rpc import RpcError, RpcPool
from soltrader.adapters.wallet import Wallet
from soltrader.domain.errors import ParameterError

#: The commitment at which a swap is booked: a ``processed`` transaction may still be dropped
#: with its fork, so positions and cash change only once it is confirmed.
_CONFIRMED = ("confirmed", "finalized")
#: Custom program error codes a simulation reports for a swap that must not be retried as is:
#: Jupiter's slippage tolerance exceeded (6001 = 0x1771), the token program's insufficient funds.
SLIPPAGE_EXCEEDED = 6001
INSUFFICIENT_FUNDS = 1


class SwapRequest(NamedTuple):
    """Swap ``amount`` atomic units of ``input_mint`` for ``output_mint`` (ExactIn) for the
    intent ``intent_id`` (its client id)."""

    intent_id: int
    input_mint: Pubkey
    output_mint: Pubkey
    amount: int
    slippage_bps: int


class SwapCaps(NamedTuple):
    """What a swap may cost at most: slippage (bps), price impact (a fraction: 0.01 = 1 %), the
    priority fee (lamports, the compute-unit price times the limit), the transactions per
    intent, and a Jito tip (lamports)."""

    max_slippage_bps: int = 100
    max_price_impact: Decimal = Decimal("0.01")
    max_priority_lamports: int = 100_000
    max_attempts: int = 3
    max_jito_tip_lamports: int = 100_000


class SwapResult(NamedTuple):
    """How an intent ended.

    ``state`` is ``"landed"`` (it executed: ``in_amount`` spent and ``out_amount`` received,
    atomic units, and ``fee`` lamports, from the transaction's balances; ``err`` set when it
    landed but failed on chain), ``"refused"`` (nothing was sent: ``reason`` says why), or
    ``"gave_up"`` (``max_attempts`` transactions expired without landing).
    """

    intent_id: int
    state: str
    signature: str | None = None
    in_amount: int = 0
    out_amount: int = 0
    fee: int = 0
    err: Any = None
    reason: str = ""


class JitoBundles(NamedTuple):
    """Send through a Jito block engine: ``engine`` is a pool over its JSON-RPC endpoint
    (``sendBundle``, ``getTipAccounts``; its URL may carry an auth key, so it is a Secret there)
    and ``tip_lamports`` the tip Jupiter puts in the swap transaction, paid only when it lands.
    ``SwapCaps.max_jito_tip_lamports`` caps it."""

    engine: RpcPool
    tip_lamports: int


class FeeFromRecent(NamedTuple):
    """A priority fee set from the network's recent fees (``getRecentPrioritizationFees`` over
    the swap's accounts): their ``percentile`` compute-unit price, kept within
    ``[min_micro_lamports, max_micro_lamports]`` per compute unit, times ``compute_units``; the
    swap's ``max_priority_lamports`` caps the result.

    Examples
    --------
    >>> FeeFromRecent(percentile=50).lamports([0, 10_000, 20_000, 30_000])  # 20,000 x 200k CU
    4000
    >>> FeeFromRecent(max_micro_lamports=5_000).lamports([10**9])   # capped per unit
    1000
    """

    percentile: float = 75.0
    min_micro_lamports: int = 1_000
    max_micro_lamports: int = 1_000_000
    compute_units: int = 200_000

    def lamports(self, recent: list[int]) -> int:
        """The fee (lamports) for these recent prices (micro-lamports per compute unit)."""
        ordered = sorted(int(f) for f in recent) or [0]
        rank = min(len(ordered) - 1, int(len(ordered) * self.percentile / 100.0))
        price = min(max(ordered[rank], self.min_micro_lamports), self.max_micro_lamports)
        return (price * self.compute_units + 999_999) // 1_000_000


class SignatureStore(Protocol):
    """Where the executor journals its transactions (the runtime's journal implements it)."""

    def record_signature(self, rec: Any) -> None: ...

    def settle_signature(self, signature: str, state: str, **fields: Any) -> None: ...

    def signatures(self, intent_id: int | None = None) -> list[Any]: ...


class _Pending(NamedTuple):
    signature: Signature
    tx: VersionedTransaction
    last_valid_height: int


class SwapExecutor:
    """Executes swap intents at most once (see the module docstring).

    Parameters
    ----------
    rpc : RpcPool
        The Solana RPC pool.
    jupiter : JupiterClient
        The quote and build API.
    wallet : Wallet
        The signer and fee payer.
    store : SignatureStore
        The journal of transactions (written before every first send).
    record : callable
        Builds the store's record: ``record(intent_id, attempt, signature, tx_bytes,
        last_valid_height, "pending")`` (the runtime passes its journal's record type).
    caps : SwapCaps
        The cost caps.
    priority : str or FeeFromRecent
        Jupiter's priority level (``"medium"``, ``"high"``, ``"veryHigh"``), or a fee set from
        the network's recent fees; either is capped at ``caps.max_priority_lamports``.
    jito : JitoBundles, optional
        Send every transaction (and its re-sends) as a one-transaction bundle to a Jito block
        engine, with a tip inside the transaction instead of a priority fee.
    rebroadcast_s : float
        Seconds between re-sends of the same bytes (and status checks).
    sleep : coroutine function
        Waits between re-sends (a test passes its own).
    """

    def __init__(
        self,
        rpc: RpcPool,
        jupiter: JupiterClient,
        wallet: Wallet,
        store: SignatureStore,
        record: Callable[..., Any],
        *,
        caps: SwapCaps | None = None,
        priority: str | FeeFromRecent = "high",
        jito: JitoBundles | None = None,
        rebroadcast_s: float = 2.0,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.rpc = rpc
        self.jupiter = jupiter
        self.wallet = wallet
        self.store = store
        self._record = record
        self.caps = caps or SwapCaps()
        self._priority = priority
        if jito is not None and not 0 < jito.tip_lamports <= self.caps.max_jito_tip_lamports:
            raise ParameterError(
                "jito.tip_lamports",
                f"{jito.tip_lamports} is outside 1..{self.caps.max_jito_tip_lamports} "
                "(caps.max_jito_tip_lamports)",
            )
        self._jito = jito
        self._tip_accounts: list[Pubkey] | None = None
        self._rebroadcast_s = rebroadcast_s
        self._sleep = sleep

    async def execute(self, req: SwapRequest) -> SwapResult:
        """Execute ``req`` at most once (resolving what the journal holds for it first)."""
        _check_request(req, self.caps)
        journaled = self.store.signatures(req.intent_id)
        for rec in journaled:
            if rec.state == "landed":
                return _booked(req, rec)
        attempt = len(journaled)
        waiting = [r for r in journaled if r.state == "pending"]
        for rec in waiting:  # a crash left it in flight: it may still land
            pending = _Pending(
                Signature.from_string(rec.signature),
                VersionedTransaction.from_bytes(bytes(rec.tx)),
                int(rec.last_valid_height),
            )
            result = await self._await(req, pending)
            if result is not None:
                return result
        while attempt < self.caps.max_attempts:
            built = await self._build(req)
            if isinstance(built, SwapResult):
                return built
            self.store.record_signature(
                self._record(
                    req.intent_id, attempt, str(built.signature), bytes(built.tx),
                    built.last_valid_height, "pending",
                )
            )  # fmt: skip
            attempt += 1
            result = await self._await(req, built)
            if result is not None:
                return result
        return SwapResult(
            req.intent_id, "gave_up",
            reason=f"{attempt} transactions expired without landing (max_attempts)",
        )  # fmt: skip

    async def resolve_pending(self) -> int:
        """Settle every journaled transaction whose fate is known now (landed, or expired);
        returns how many are still pending (valid, not landed). Run on start, before any
        intent is executed."""
        height = await self.rpc.block_height()
        left = 0
        for rec in self.store.signatures():
            if rec.state != "pending":
                continue
            signature = Signature.from_string(rec.signature)
            (status,) = await self.rpc.statuses([signature])
            if status is not None and status.confirmation in _CONFIRMED:
                await self._book(signature, rec.intent_id, None)
            elif status is None and height > rec.last_valid_height:
                self.store.settle_signature(rec.signature, "expired")
            else:
                left += 1
        return left

    # -- steps ------------------------------------------------------------------------------

    async def _build(self, req: SwapRequest) -> _Pending | SwapResult:
        """Quote, check, build, sign and simulate; a refusal is a :class:`SwapResult`."""
        quote = await self.jupiter.quote(
            req.input_mint, req.output_mint, req.amount, req.slippage_bps
        )
        why = _quote_refusal(quote, req, self.caps)
        if why is not None:
            return SwapResult(req.intent_id, "refused", reason=why)
        priority = (
            JitoTip(self._jito.tip_lamports)
            if self._jito is not None
            else await self._priority_fee(quote)
        )
        build = await self.jupiter.swap(quote, self.wallet.pubkey, priority=priority)
        fee = priority_fee_lamports(build.transaction)
        if fee > self.caps.max_priority_lamports:
            return SwapResult(
                req.intent_id, "refused",
                reason=f"priority fee {fee} lamports > cap {self.caps.max_priority_lamports}",
            )  # fmt: skip
        if self._jito is not None:
            tip = tips_paid(build.transaction, await self._tips())
            if not 0 < tip <= self.caps.max_jito_tip_lamports:
                return SwapResult(
                    req.intent_id, "refused",
                    reason=f"the built transaction tips {tip} lamports; expected 1.."
                    f"{self.caps.max_jito_tip_lamports} (caps.max_jito_tip_lamports)",
                )  # fmt: skip
        signed = self.wallet.sign(build.transaction)
        simulated = await self.rpc.simulate(signed)
        if simulated.err is not None:
            return SwapResult(
                req.intent_id, "refused", err=simulated.err,
                reason=f"simulation failed: {describe_error(simulated.err)}; nothing sent",
            )  # fmt: skip
        return _Pending(signed.signatures[0], signed, build.last_valid_height)

    async def _priority_fee(self, quote: Quote) -> PriorityLevel | int:
        """Jupiter's priority level capped at the fee cap, or a fee (lamports) from the recent
        fees paid on the route's pools."""
        cap = self.caps.max_priority_lamports
        if isinstance(self._priority, str):
            return PriorityLevel(self._priority, cap)
        pools = []
        for leg in quote.route:
            with contextlib.suppress(ValueError):
                pools.append(Pubkey.from_string(leg.amm_key))
        recent = await self.rpc.priority_fees(pools)
        return min(self._priority.lamports(recent), cap)

    async def _tips(self) -> list[Pubkey]:
        """The block engine's tip accounts (asked once)."""
        if self._tip_accounts is None:
            assert self._jito is not None
            found = await self._jito.engine.call("getTipAccounts", [])
            self._tip_accounts = [Pubkey.from_string(a) for a in found]
        return self._tip_accounts

    async def _send(self, tx: VersionedTransaction) -> None:
        if self._jito is None:
            await self.rpc.send(tx)
            return
        encoded = base64.b64encode(bytes(tx)).decode()
        await self._jito.engine.call("sendBundle", [[encoded], {"encoding": "base64"}])

    async def _await(self, req: SwapRequest, pending: _Pending) -> SwapResult | None:
        """Re-send the same bytes until they land (booked) or expire (None)."""
        while True:
            try:
                await self._send(pending.tx)
            except RpcError:
                pass  # a lost or refused re-send changes nothing: the status below decides
            height = await self.rpc.block_height()  # before the status: see the docstring
            (status,) = await self.rpc.statuses([pending.signature])
            if status is not None and status.confirmation in _CONFIRMED:
                return await self._book(pending.signature, req.intent_id, req)
            if status is None and height > pending.last_valid_height:
                self.store.settle_signature(str(pending.signature), "expired")
                return None
            await self._sleep(self._rebroadcast_s)

    async def _book(
        self, signature: Signature, intent_id: int, req: SwapRequest | None
    ) -> SwapResult:
        """Book a landed transaction from its balances (waiting until the node serves it)."""
        landed = await self.rpc.transaction(signature)
        while landed is None:
            await self._sleep(self._rebroadcast_s)
            landed = await self.rpc.transaction(signature)
        input_mint, output_mint = _mints(req, landed, self.wallet.pubkey)
        owner = self.wallet.pubkey
        spent = -landed.token_delta(owner, input_mint) if input_mint is not None else 0
        got = landed.token_delta(owner, output_mint) if output_mint is not None else 0
        err = None if landed.err is None else json.dumps(landed.err)
        if landed.err is not None:
            spent = got = 0
        self.store.settle_signature(
            str(signature), "landed", slot=landed.slot, err=err, fee=landed.fee,
            in_amount=spent, out_amount=got,
        )  # fmt: skip
        return SwapResult(
            intent_id, "landed", str(signature), spent, got, landed.fee, landed.err,
        )  # fmt: skip


def _check_request(req: SwapRequest, caps: SwapCaps) -> None:
    if isinstance(req.amount, bool) or not isinstance(req.amount, int) or req.amount <= 0:
        raise ParameterError(
            "amount", f"must be a positive int of atomic units, got {req.amount!r}"
        )
    if not 0 <= req.slippage_bps <= caps.max_slippage_bps:
        raise ParameterError(
            "slippage_bps",
            f"{req.slippage_bps} is outside 0..{caps.max_slippage_bps} (caps.max_slippage_bps)",
        )


def _quote_refusal(quote: Quote, req: SwapRequest, caps: SwapCaps) -> str | None:
    """Why a quote must not be built on (None: it may)."""
    if quote.in_amount != req.amount or quote.input_mint != req.input_mint:
        return f"the quote is for {quote.in_amount} of {quote.input_mint}, not the intent's"
    if quote.output_mint != req.output_mint:
        return f"the quote delivers {quote.output_mint}, not {req.output_mint}"
    if quote.slippage_bps > caps.max_slippage_bps:
        return f"slippage {quote.slippage_bps} bps > cap {caps.max_slippage_bps} bps"
    if quote.price_impact > caps.max_price_impact:
        return f"price impact {quote.price_impact} > cap {caps.max_price_impact}"
    if quote.min_out <= 0:
        return "the quote guarantees no output"
    return None


def priority_fee_lamports(tx: VersionedTransaction) -> int:
    """The priority fee a transaction pays: its compute-unit price (micro-lamports) times its
    compute-unit limit, rounded up (lamports); 0 without a price."""
    message = tx.message
    keys = message.account_keys
    price = 0
    limit = 200_000 * max(1, len(message.instructions))  # the runtime's default
    for ix in message.instructions:
        if keys[ix.program_id_index] != COMPUTE_BUDGET_PROGRAM:
            continue
        data = bytes(ix.data)
        if data[:1] == b"\x03":
            price = int.from_bytes(data[1:9], "little")
        elif data[:1] == b"\x02":
            limit = int.from_bytes(data[1:5], "little")
    return (price * limit + 999_999) // 1_000_000


_SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")


def tips_paid(tx: VersionedTransaction, tip_accounts: list[Pubkey]) -> int:
    """Lamports the transaction transfers to the tip accounts (System Program transfers)."""
    message = tx.message
    keys = list(message.account_keys)
    tips = set(tip_accounts)
    total = 0
    for ix in message.instructions:
        data = bytes(ix.data)
        accounts = bytes(ix.accounts)
        if keys[ix.program_id_index] != _SYSTEM_PROGRAM or data[:4] != b"\x02\x00\x00\x00":
            continue
        if len(accounts) >= 2 and accounts[1] < len(keys) and keys[accounts[1]] in tips:
            total += int.from_bytes(data[4:12], "little")
    return total


def describe_error(err: Any) -> str:
    """A simulation or transaction error in words (slippage and funds errors named)."""
    if isinstance(err, dict) and "InstructionError" in err:
        index, inner = err["InstructionError"]
        if isinstance(inner, dict) and "Custom" in inner:
            code = int(inner["Custom"])
            if code == SLIPPAGE_EXCEEDED:
                return f"instruction {index}: slippage tolerance exceeded (Jupiter 6001)"
            if code == INSUFFICIENT_FUNDS:
                return f"instruction {index}: insufficient funds (custom error 1)"
            return f"instruction {index}: custom program error {code}"
        return f"instruction {index}: {inner}"
    return str(err)


def _booked(req: SwapRequest, rec: Any) -> SwapResult:
    err = None if rec.err is None else json.loads(rec.err)
    return SwapResult(
        req.intent_id, "landed", rec.signature, int(rec.in_amount or 0),
        int(rec.out_amount or 0), int(rec.fee or 0), err,
    )  # fmt: skip


def _mints(req: SwapRequest | None, landed: Any, owner: Pubkey) -> tuple[Pubkey | None, ...]:
    """The input and output mints: the request's, or (resolving after a restart) the owner's
    token balance that fell and the one that rose."""
    if req is not None:
        return req.input_mint, req.output_mint
    mints = {b.mint for b in (*landed.pre_tokens, *landed.post_tokens) if b.owner == owner}
    deltas = {m: landed.token_delta(owner, m) for m in mints}
    fell = [m for m, d in deltas.items() if d < 0]
    rose = [m for m, d in deltas.items() if d > 0]
    return (fell[0] if fell else None), (rose[0] if rose else None)


__all__ = [
    "FeeFromRecent",
    "JitoBundles",
    "SignatureStore",
    "SwapCaps",
    "SwapExecutor",
    "SwapRequest",
    "SwapResult",
    "describe_error",
    "priority_fee_lamports",
    "tips_paid",
]
