"""Solana JSON-RPC over a pool of endpoints: rate limits, health scores, failover, breakers.

A Solana venue talks to several RPC providers. Each :class:`Endpoint` has its own sliding-window
rate limit (:class:`~soltrader.adapters.resilience.RateLimiter`, honouring ``Retry-After`` on
HTTP 429) and its own circuit breaker (:class:`~soltrader.adapters.resilience.CircuitBreaker`:
open after 3 consecutive failures, one probe after 300 s). :class:`RpcPool` sends each call to
the healthiest endpoint that can take it now (lowest smoothed latency, inflated by its recent
error rate, which fades with a 60 s half-life while the endpoint is not used, so a failed
endpoint is tried again later and wins its traffic back once it answers well) and, when that
endpoint fails in a way another one may not (HTTP 429 or 5xx, a dropped connection, a timeout, a
node that is behind), tries the next one. Failing over is safe
for every method the venue uses: reads have no effect, and ``sendTransaction`` of the same signed
bytes can land at most once whichever node relays it (the signature is the transaction's
identity).

Every reply is parsed as JSON here and checked for a JSON-RPC ``error`` before any value is
used: solders' response classes panic on some error shapes (LIVE.md). Endpoint URLs carry API
keys, so they are :class:`~soltrader.domain.secret.Secret` values: errors, logs and reprs name
an endpoint by its label only, and exceptions of the HTTP client are replaced, never chained.

Amounts are integers: lamports and token atomic units.

Examples
--------
>>> from soltrader.domain.secret import Secret
>>> pool = RpcPool([Endpoint("main", Secret("https://rpc.example/?api-key=k"), 10, 1.0)])
>>> pool
RpcPool(['main'])
>>> height = asyncio.run(pool.block_height())   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import aiohttp
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.token.state import TokenAccount
from solders.transaction import VersionedTransaction

from soltrader.adapters.http import SessionOwner
from soltrader.adapters.resilience import (
    CircuitBreaker,
    Hold,
    Provider,
    RateLimiter,
    retry_after_s,
)
from soltrader.domain.errors import DataError, Error, ParameterError
from soltrader.domain.secret import Secret

#: JSON-RPC error codes after which another node may well succeed (the request had no effect):
#: node behind, block not available, slot skipped, missing long-term storage, min context slot.
RETRYABLE_CODES = frozenset({-32004, -32005, -32007, -32009, -32014, -32016})
_SMOOTHING = 0.2  # weight of the newest observation in the latency and error averages
_ERROR_PENALTY = 10.0  # an endpoint failing every call scores as 11x its latency
#: An endpoint's error rate halves every this many seconds without a call, so one that failed
#: and lost its traffic is tried again later (and wins it back if it answers well).
ERROR_HALF_LIFE_S = 60.0
_TOKEN_ACCOUNT_LEN = 165
TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")


class RpcError(Error):
    """A Solana RPC call failed.

    Attributes
    ----------
    method : str
        The JSON-RPC method.
    endpoint : str
        The endpoint's label (never its URL).
    retryable : bool
        Whether another endpoint, or the same one later, may succeed (the call had no effect).
    """

    def __init__(self, message: str, *, method: str, endpoint: str, retryable: bool) -> None:
        self.method = method
        self.endpoint = endpoint
        self.retryable = retryable
        super().__init__(message)


class RpcUnavailableError(RpcError):
    """No answer usable from an endpoint: HTTP 429 or 5xx, a dropped connection, a timeout, a
    reply that is not JSON-RPC; or no endpoint of the pool could take the call."""


class RpcRefusedError(RpcError):
    """The node answered with a JSON-RPC error.

    Attributes
    ----------
    code : int
        The JSON-RPC error code (e.g. ``-32002``: a send's preflight simulation failed).
    data : object
        The error's ``data`` (e.g. the simulation's ``err`` and logs), or None.
    """

    def __init__(
        self, message: str, *, method: str, endpoint: str, code: int, data: Any = None
    ) -> None:
        self.code = code
        self.data = data
        super().__init__(
            message, method=method, endpoint=endpoint, retryable=code in RETRYABLE_CODES
        )


class Endpoint(NamedTuple):
    """One RPC provider: a label for logs, its URL (a secret: keys live in it) and its quota of
    ``max_calls`` requests per ``per_s`` seconds."""

    label: str
    url: Secret
    max_calls: int = 10
    per_s: float = 1.0


class Blockhash(NamedTuple):
    """A recent blockhash and the last block height at which a transaction using it can land."""

    blockhash: Hash
    last_valid_height: int
    slot: int


class Simulation(NamedTuple):
    """A simulated transaction: its error as the node reports it (None: it would succeed), its
    logs and the compute units it consumed."""

    err: Any
    logs: tuple[str, ...]
    units_consumed: int


class SignatureStatus(NamedTuple):
    """Where a signature stands: the slot it landed in, its error (None: success), and
    ``"processed"``, ``"confirmed"`` or ``"finalized"``."""

    slot: int
    err: Any
    confirmation: str


class TokenBalance(NamedTuple):
    """A token account's balance in a transaction (``pre`` or ``post``): atomic units."""

    account: Pubkey
    mint: Pubkey
    owner: Pubkey | None
    amount: int
    decimals: int


class LandedTransaction(NamedTuple):
    """A landed transaction as the venue books it: the fee (lamports), its error (None:
    success), the lamports of every account before and after, and the token balances."""

    signature: Signature
    slot: int
    err: Any
    fee: int
    accounts: tuple[Pubkey, ...]
    pre_lamports: tuple[int, ...]
    post_lamports: tuple[int, ...]
    pre_tokens: tuple[TokenBalance, ...]
    post_tokens: tuple[TokenBalance, ...]

    def token_delta(self, owner: Pubkey, mint: Pubkey) -> int:
        """How many atomic units of ``mint`` the token accounts of ``owner`` gained (negative:
        lost) in this transaction."""
        post = sum(b.amount for b in self.post_tokens if b.owner == owner and b.mint == mint)
        pre = sum(b.amount for b in self.pre_tokens if b.owner == owner and b.mint == mint)
        return post - pre

    def lamport_delta(self, account: Pubkey) -> int:
        """How many lamports ``account`` gained (negative: spent, the fee included)."""
        i = self.accounts.index(account)
        return self.post_lamports[i] - self.pre_lamports[i]


class TokenAccountInfo(NamedTuple):
    """A token account of an owner: its address, mint and balance (atomic units)."""

    address: Pubkey
    mint: Pubkey
    amount: int


class AccountData(NamedTuple):
    """An account as the chain holds it: its address, owning program, lamports and raw data."""

    address: str
    owner: str
    lamports: int
    data: bytes


#: Accounts one ``getMultipleAccounts`` call may ask for (the RPC's limit).
MULTIPLE_ACCOUNTS_MAX = 100


def _account(address: str, value: dict[str, Any]) -> AccountData:
    """An ``encoding: base64`` account of a JSON-RPC answer."""
    try:
        raw = base64.b64decode(value["data"][0], validate=True)
        return AccountData(address, str(value["owner"]), int(value["lamports"]), raw)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise DataError(
            f"account {address}: not a base64 account ({type(exc).__name__})", field="data"
        ) from None


class EndpointStatus(NamedTuple):
    """An endpoint's health as the pool sees it."""

    label: str
    breaker: str
    latency_s: float
    error_rate: float
    calls: int
    failures: int
    rate_limited: int


class _Health:
    """One endpoint's limiter, breaker and smoothed latency and error rate."""

    def __init__(self, endpoint: Endpoint, clock: Callable[[], float], reset_s: float) -> None:
        self.endpoint = endpoint
        self._clock = clock
        self.observed_at = clock()
        self.limiter = RateLimiter(endpoint.max_calls, endpoint.per_s, clock=clock)
        self.breaker = CircuitBreaker(
            f"rpc {endpoint.label}", failures=3, reset_after_s=reset_s, clock=clock
        )
        self.latency_s = 0.0
        self.error_rate = 0.0
        self.calls = 0
        self.failures = 0
        self.rate_limited = 0

    def current_error_rate(self) -> float:
        """The error rate, decayed for the time since the last call."""
        idle = max(0.0, self._clock() - self.observed_at)
        return self.error_rate * 0.5 ** (idle / ERROR_HALF_LIFE_S)

    def score(self) -> float:
        """Lower is better."""
        return (self.latency_s + 1e-4) * (1.0 + _ERROR_PENALTY * self.current_error_rate())

    def observe(self, latency_s: float, *, ok: bool) -> None:
        self.error_rate = self.current_error_rate()
        self.observed_at = self._clock()
        self.calls += 1
        if self.calls == 1:
            self.latency_s = latency_s
        else:
            self.latency_s += _SMOOTHING * (latency_s - self.latency_s)
        self.error_rate += _SMOOTHING * ((0.0 if ok else 1.0) - self.error_rate)
        if ok:
            self.breaker.record_success()
        else:
            self.failures += 1
            self.breaker.record_failure()

    def status(self) -> EndpointStatus:
        e = self.endpoint
        return EndpointStatus(
            e.label, self.breaker.state.value, self.latency_s, self.current_error_rate(),
            self.calls, self.failures, self.rate_limited,
        )  # fmt: skip


class _Picked(NamedTuple):
    """The endpoint chosen for a call and the slot of its limiter, held until the call ends."""

    health: _Health
    held: Hold


class RpcPool(SessionOwner):
    """Solana JSON-RPC calls over several endpoints (see the module docstring).

    Parameters
    ----------
    endpoints : sequence of Endpoint
        The providers, at least one, with distinct labels.
    timeout_s : float
        Seconds one request may take before it counts as a failure of its endpoint.
    clock : callable
        Monotonic seconds, for the limiters and breakers (a test passes its own).
    breaker_reset_s : float
        Seconds an endpoint's open breaker waits before one probe (SPEC.md: 300).
    max_wait_s : float
        The longest the pool waits for a rate-limited endpoint to free a slot before it gives
        up with :class:`RpcUnavailableError`.
    """

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        *,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        breaker_reset_s: float = 300.0,
        max_wait_s: float = 5.0,
    ) -> None:
        endpoints = list(endpoints)
        if not endpoints:
            raise ParameterError("endpoints", "need at least one RPC endpoint")
        labels = [e.label for e in endpoints]
        if len(set(labels)) != len(labels):
            raise ParameterError("endpoints", f"labels must be distinct, got {labels}")
        for e in endpoints:
            if not isinstance(e.url, Secret):
                raise ParameterError(
                    "endpoints", f"{e.label}: the URL must be a Secret (keys live in it)"
                )
        self._health = [_Health(e, clock, breaker_reset_s) for e in endpoints]
        super().__init__(aiohttp.ClientTimeout(total=timeout_s))
        self._clock = clock
        self._max_wait_s = max_wait_s
        self._id = 0

    def __repr__(self) -> str:
        return f"RpcPool({[h.endpoint.label for h in self._health]})"

    def health(self) -> list[EndpointStatus]:
        """Every endpoint's state, in the order given."""
        return [h.status() for h in self._health]

    # -- the call ---------------------------------------------------------------------------

    async def call(self, method: str, params: list[Any]) -> Any:
        """``method(params)`` on the best endpoint that can take it, failing over on a
        retryable failure; the JSON-RPC ``result``.

        Raises
        ------
        RpcRefusedError
            The node refused the call for a reason another node would share (e.g. a failed
            preflight simulation, invalid params).
        RpcUnavailableError
            Every endpoint failed or is unavailable (rate-limited beyond ``max_wait_s``, breaker
            open); the message names each endpoint's last failure.
        """
        tried: dict[str, str] = {}
        deadline = self._clock() + self._max_wait_s
        while True:
            picked = self._pick(tried)
            if picked is None:
                wait = self._next_free(tried)
                if wait is None or self._clock() + wait > deadline:
                    raise self._exhausted(method, tried)
                await asyncio.sleep(wait)
                continue
            health = picked.health
            try:
                return await self._one(health, method, params)
            except RpcError as exc:
                if not exc.retryable:
                    raise
                tried[health.endpoint.label] = str(exc)
            finally:
                health.limiter.release(picked.held)

    def _pick(self, tried: dict[str, str]) -> _Picked | None:
        """The best endpoint not tried yet whose breaker and limiter let a call through now,
        with the limiter's slot held for the call."""
        ready = [
            h
            for h in self._health
            if h.endpoint.label not in tried and h.limiter.wait_time() == 0.0
        ]
        for h in sorted(ready, key=_Health.score):
            if h.breaker.allow() and (held := h.limiter.try_hold()) is not None:
                return _Picked(h, held)
        return None

    def _next_free(self, tried: dict[str, str]) -> float | None:
        """Seconds until an untried endpoint with a closed breaker has a free slot."""
        waits = [
            h.limiter.wait_time()
            for h in self._health
            if h.endpoint.label not in tried and h.breaker.state.value != "open"
        ]
        return min(waits) if waits else None

    def _exhausted(self, method: str, tried: dict[str, str]) -> RpcUnavailableError:
        parts = []
        for h in self._health:
            label = h.endpoint.label
            why = tried.get(label)
            if why is None:
                state = h.breaker.state.value
                why = f"breaker {state}" if state != "closed" else "rate limit"
            parts.append(f"{label}: {why}")
        return RpcUnavailableError(
            f"{method}: no RPC endpoint could answer ({'; '.join(parts)})",
            method=method, endpoint="pool", retryable=True,
        )  # fmt: skip

    async def _one(self, health: _Health, method: str, params: list[Any]) -> Any:
        """One request to one endpoint; its outcome feeds the endpoint's health."""
        label = health.endpoint.label
        self._id += 1
        body = {"jsonrpc": "2.0", "id": self._id, "method": method, "params": params}
        started = self._clock()
        try:
            status, headers, text = await self._post(health.endpoint.url, body)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            health.observe(self._clock() - started, ok=False)
            raise RpcUnavailableError(
                f"{method} on {label}: {type(exc).__name__} (no usable reply)",
                method=method, endpoint=label, retryable=True,
            ) from None  # fmt: skip
        elapsed = self._clock() - started
        if status == 429:
            retry = retry_after_s(headers.get("Retry-After"))
            retry = 1.0 if retry is None else retry
            health.rate_limited += 1
            health.limiter.penalize(self._clock() + retry)
            health.observe(elapsed, ok=True)  # the node is alive: no breaker count
            raise RpcUnavailableError(
                f"{method} on {label}: HTTP 429, retry after {retry:g} s",
                method=method, endpoint=label, retryable=True,
            )  # fmt: skip
        doc = _envelope(text) if status == 200 else None
        if doc is None:
            health.observe(elapsed, ok=False)
            raise RpcUnavailableError(
                f"{method} on {label}: HTTP {status}, no JSON-RPC reply",
                method=method, endpoint=label, retryable=True,
            )  # fmt: skip
        error = doc.get("error")
        if error is not None:
            refused = _refused(method, label, error)
            health.observe(elapsed, ok=not refused.retryable)
            raise refused
        health.observe(elapsed, ok=True)
        return doc.get("result")

    async def _post(self, url: Secret, body: dict[str, Any]) -> tuple[int, Any, str]:
        async with self._http().post(url.reveal(), json=body) as reply:
            return reply.status, reply.headers, await reply.text()

    # -- typed methods ----------------------------------------------------------------------

    async def latest_blockhash(self) -> Blockhash:
        """``getLatestBlockhash`` (commitment ``confirmed``)."""
        result = await self.call("getLatestBlockhash", [{"commitment": "confirmed"}])
        value = result["value"]
        return Blockhash(
            Hash.from_string(value["blockhash"]),
            int(value["lastValidBlockHeight"]),
            int(result["context"]["slot"]),
        )

    async def block_height(self) -> int:
        """``getBlockHeight`` (commitment ``confirmed``)."""
        return int(await self.call("getBlockHeight", [{"commitment": "confirmed"}]))

    async def balance(self, account: Pubkey) -> int:
        """Lamports of ``account``."""
        result = await self.call("getBalance", [str(account), {"commitment": "confirmed"}])
        return int(result["value"])

    async def token_accounts(
        self, owner: Pubkey, mint: Pubkey | None = None
    ) -> list[TokenAccountInfo]:
        """The token accounts of ``owner`` (of ``mint``; None: every SPL Token and Token-2022
        account) with their balances."""
        selectors = (
            [{"mint": str(mint)}]
            if mint is not None
            else [{"programId": str(p)} for p in (TOKEN_PROGRAM, TOKEN_2022_PROGRAM)]
        )
        config = {"encoding": "base64", "commitment": "confirmed"}
        items = []
        for selector in selectors:
            result = await self.call("getTokenAccountsByOwner", [str(owner), selector, config])
            items += result["value"]
        out = []
        for item in items:
            data = base64.b64decode(item["account"]["data"][0])
            state = TokenAccount.from_bytes(data[:_TOKEN_ACCOUNT_LEN])
            out.append(
                TokenAccountInfo(Pubkey.from_string(item["pubkey"]), state.mint, state.amount)
            )
        return out

    async def accounts(self, addresses: Sequence[str]) -> list[AccountData | None]:
        """The accounts at ``addresses`` (base58), in order; None where there is none
        (``getMultipleAccounts``, :data:`MULTIPLE_ACCOUNTS_MAX` per call)."""
        config = {"encoding": "base64", "commitment": "confirmed"}
        out: list[AccountData | None] = []
        for i in range(0, len(addresses), MULTIPLE_ACCOUNTS_MAX):
            chunk = [str(a) for a in addresses[i : i + MULTIPLE_ACCOUNTS_MAX]]
            result = await self.call("getMultipleAccounts", [chunk, config])
            values = result["value"]
            out += [
                None if v is None else _account(a, v) for a, v in zip(chunk, values, strict=True)
            ]
        return out

    async def program_accounts(
        self, program: str, *, data_size: int | None = None, memcmp: Sequence[tuple[int, str]] = ()
    ) -> list[AccountData]:
        """The accounts owned by ``program`` (``getProgramAccounts``), filtered on the server by
        their size in bytes and by ``(offset, base58 bytes)`` comparisons (every one must
        match), e.g. the pools of one mint: ``memcmp=[(101, mint)]``."""
        filters: list[dict[str, Any]] = [] if data_size is None else [{"dataSize": data_size}]
        filters += [{"memcmp": {"offset": o, "bytes": b}} for o, b in memcmp]
        config = {"encoding": "base64", "commitment": "confirmed", "filters": filters}
        result = await self.call("getProgramAccounts", [str(program), config])
        return [_account(str(item["pubkey"]), item["account"]) for item in result]

    async def priority_fees(self, accounts: Sequence[Pubkey] = ()) -> list[int]:
        """Recent prioritisation fees (micro-lamports per compute unit) of the last slots."""
        result = await self.call("getRecentPrioritizationFees", [[str(a) for a in accounts]])
        return [int(item["prioritizationFee"]) for item in result]

    async def simulate(self, tx: VersionedTransaction) -> Simulation:
        """``simulateTransaction`` of a signed transaction (signatures checked, its own
        blockhash kept)."""
        config = {"encoding": "base64", "sigVerify": True, "commitment": "confirmed"}
        result = await self.call("simulateTransaction", [_b64(tx), config])
        value = result["value"]
        return Simulation(
            value.get("err"), tuple(value.get("logs") or ()), int(value.get("unitsConsumed") or 0)
        )

    async def send(self, tx: VersionedTransaction) -> Signature:
        """``sendTransaction`` with ``skipPreflight`` and ``maxRetries=0`` (the caller
        simulates first and rebroadcasts the same bytes itself); the signature the node
        returned, which must be the transaction's own."""
        config = {"encoding": "base64", "skipPreflight": True, "maxRetries": 0}
        result = await self.call("sendTransaction", [_b64(tx), config])
        signature = Signature.from_string(result)
        if signature != tx.signatures[0]:
            raise RpcRefusedError(
                f"sendTransaction returned signature {signature}, not the transaction's "
                f"{tx.signatures[0]}",
                method="sendTransaction", endpoint="pool", code=0,
            )  # fmt: skip
        return signature

    def providers(self) -> list[Provider]:
        """Each endpoint as a provider (``rpc <label>``: its limiter and breaker)."""
        return [Provider(f"rpc {h.endpoint.label}", h.limiter, h.breaker) for h in self._health]

    async def statuses(self, signatures: Sequence[Signature]) -> list[SignatureStatus | None]:
        """``getSignatureStatuses`` with the transaction history searched (None: not found)."""
        out: list[SignatureStatus | None] = []
        for start in range(0, len(signatures), 256):
            chunk = [str(s) for s in signatures[start : start + 256]]
            result = await self.call(
                "getSignatureStatuses", [chunk, {"searchTransactionHistory": True}]
            )
            out += [_status(item) for item in result["value"]]
        return out

    async def transaction(self, signature: Signature) -> LandedTransaction | None:
        """``getTransaction`` (commitment ``confirmed``), None while not landed."""
        config = {
            "encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": "confirmed",
        }  # fmt: skip
        result = await self.call("getTransaction", [str(signature), config])
        return None if result is None else parse_transaction(signature, result)


def parse_transaction(signature: Signature, result: dict[str, Any]) -> LandedTransaction:
    """A ``getTransaction`` result (``json`` encoding) as a :class:`LandedTransaction`: the
    account keys (static, then the lookup tables' writable and readonly ones), lamports and
    token balances before and after, the fee and the error.

    Examples
    --------
    >>> import json, pathlib
    >>> doc = {"slot": 7, "meta": {"err": None, "fee": 5000, "preBalances": [10, 0],
    ...        "postBalances": [5, 0], "preTokenBalances": [], "postTokenBalances": [],
    ...        "loadedAddresses": {"writable": [], "readonly": []}},
    ...        "transaction": {"message": {"accountKeys": [str(Pubkey.default()),
    ...        "11111111111111111111111111111112"]}, "signatures": []}}
    >>> tx = parse_transaction(Signature.default(), doc)
    >>> tx.fee, tx.lamport_delta(Pubkey.default())
    (5000, -5)
    """
    meta = result["meta"]
    message = result["transaction"]["message"]
    loaded = meta.get("loadedAddresses") or {}
    keys = tuple(
        Pubkey.from_string(k)
        for k in (
            *message["accountKeys"],
            *(loaded.get("writable") or ()),
            *(loaded.get("readonly") or ()),
        )
    )
    return LandedTransaction(
        signature,
        int(result["slot"]),
        meta.get("err"),
        int(meta["fee"]),
        keys,
        tuple(int(x) for x in meta["preBalances"]),
        tuple(int(x) for x in meta["postBalances"]),
        _token_balances(keys, meta.get("preTokenBalances") or ()),
        _token_balances(keys, meta.get("postTokenBalances") or ()),
    )


def _token_balances(keys: tuple[Pubkey, ...], items: Sequence[dict]) -> tuple[TokenBalance, ...]:
    out = []
    for item in items:
        amount = item["uiTokenAmount"]
        owner = item.get("owner")
        out.append(
            TokenBalance(
                keys[int(item["accountIndex"])],
                Pubkey.from_string(item["mint"]),
                None if owner is None else Pubkey.from_string(owner),
                int(amount["amount"]),
                int(amount["decimals"]),
            )
        )
    return tuple(out)


def _status(item: dict[str, Any] | None) -> SignatureStatus | None:
    if item is None:
        return None
    confirmation = str(item.get("confirmationStatus") or "processed")
    return SignatureStatus(int(item["slot"]), item.get("err"), confirmation)


def _b64(tx: VersionedTransaction) -> str:
    return base64.b64encode(bytes(tx)).decode()


def _envelope(text: str) -> dict[str, Any] | None:
    """A JSON-RPC reply object, or None when the text is not one."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict) or ("result" not in doc and "error" not in doc):
        return None
    return doc


def _refused(method: str, label: str, error: Any) -> RpcRefusedError:
    if not isinstance(error, dict):
        return RpcRefusedError(
            f"{method} on {label}: malformed error {error!r}", method=method, endpoint=label,
            code=-32603,
        )  # fmt: skip
    code = int(error.get("code", -32603))
    message = str(error.get("message", ""))[:300]
    return RpcRefusedError(
        f"{method} on {label}: code {code} ({message})",
        method=method, endpoint=label, code=code, data=error.get("data"),
    )  # fmt: skip


__all__ = [
    "MULTIPLE_ACCOUNTS_MAX",
    "AccountData",
    "Blockhash",
    "Endpoint",
    "EndpointStatus",
    "LandedTransaction",
    "RpcError",
    "RpcPool",
    "RpcRefusedError",
    "RpcUnavailableError",
    "SignatureStatus",
    "Simulation",
    "TokenAccountInfo",
    "TokenBalance",
    "parse_transaction",
]
