"""Jupiter's swap API: quotes and unsigned swap transactions, amounts in atomic units.

``GET {base}/swap/v1/quote`` prices a swap (``inputMint``, ``outputMint``, ``amount`` in atomic
units, ``slippageBps``, ...) and ``POST {base}/swap/v1/swap`` turns that quote, verbatim, into a
base64 unsigned v0 transaction with its ``lastValidBlockHeight``. The base URL, the ``x-api-key``
(a :class:`~soltrader.domain.secret.Secret`) and the request quota are configuration: hosts and
key rules have changed more than once.

Parsing is tolerant: route plans give each leg's share as ``percent`` (v1) or ``bps`` (the newer
family), both are read; amounts arrive as strings and are kept as exact integers, the price
impact as a :class:`~decimal.Decimal`; unknown fields are ignored. Errors are classified:
``NO_ROUTES_FOUND`` and the other 4xx answers are final (:class:`JupiterRefusedError`, not
retryable); HTTP 429 and 5xx, dropped connections and timeouts are retryable
(:class:`JupiterUnavailableError`), and only those are retried (a quote or a build has no effect
at the venue, so retrying them is always safe).

Examples
--------
>>> import json, pathlib
>>> doc = {"inputMint": "So11111111111111111111111111111111111111112", "inAmount": "1000",
...        "outputMint": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", "outAmount": "73",
...        "otherAmountThreshold": "72", "swapMode": "ExactIn", "slippageBps": 50,
...        "priceImpactPct": "0.001", "routePlan": [{"swapInfo": {"ammKey":
...        "2SixkjMjaLqXcEEJZfeth7qjH711R2uvp6TrUaHNMB65", "label": "Quantum", "inputMint":
...        "So11111111111111111111111111111111111111112", "outputMint":
...        "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", "inAmount": "1000",
...        "outAmount": "73"}, "bps": 10000}], "contextSlot": 5}
>>> quote = parse_quote(doc)
>>> quote.in_amount, quote.out_amount, quote.min_out, quote.route[0].share_bps
(1000, 73, 72, 10000)
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

import aiohttp
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from soltrader.adapters.http import SessionOwner
from soltrader.adapters.resilience import CircuitBreaker, Provider, RateLimiter, retry_after_s
from soltrader.domain.errors import Error, ParameterError
from soltrader.domain.secret import Secret

DEFAULT_BASE_URL = "https://api.jup.ag"
_RETRIES = 3


class JupiterError(Error):
    """A Jupiter request failed.

    Attributes
    ----------
    code : str or None
        Jupiter's ``errorCode`` (e.g. ``"NO_ROUTES_FOUND"``), when the answer had one.
    status : int or None
        The HTTP status, when there was an answer.
    retryable : bool
        Whether the same request may succeed later.
    """

    def __init__(
        self, message: str, *, code: str | None, status: int | None, retryable: bool
    ) -> None:
        self.code = code
        self.status = status
        self.retryable = retryable
        super().__init__(message)


class JupiterRefusedError(JupiterError):
    """Jupiter refused the request for good (no route, bad parameters, an unknown mint)."""


class JupiterUnavailableError(JupiterError):
    """No usable answer (HTTP 429 or 5xx, a dropped connection, a timeout, a malformed reply)."""


class RouteLeg(NamedTuple):
    """One hop of a route: the pool (AMM key and label), its mints, its amounts (atomic units)
    and its share of the swap in basis points."""

    amm_key: str
    label: str
    input_mint: Pubkey
    output_mint: Pubkey
    in_amount: int
    out_amount: int
    share_bps: int


class Quote(NamedTuple):
    """A priced swap. ``min_out`` (Jupiter's ``otherAmountThreshold``) is the least the swap
    may deliver at ``slippage_bps`` (ExactIn); ``raw`` is the answer as received, which the
    swap request must send back unchanged."""

    input_mint: Pubkey
    output_mint: Pubkey
    in_amount: int
    out_amount: int
    min_out: int
    swap_mode: str
    slippage_bps: int
    price_impact: Decimal
    route: tuple[RouteLeg, ...]
    context_slot: int
    raw: Mapping[str, Any]


class PriorityLevel(NamedTuple):
    """A priority fee chosen by Jupiter at ``level`` (``"medium"``, ``"high"``, ``"veryHigh"``)
    and capped at ``max_lamports``."""

    level: str
    max_lamports: int


class JitoTip(NamedTuple):
    """A Jito tip of ``lamports`` placed in the swap transaction."""

    lamports: int


class SwapBuild(NamedTuple):
    """An unsigned swap transaction and the last block height at which it can land."""

    transaction: VersionedTransaction
    last_valid_height: int
    priority_fee_lamports: int | None
    compute_unit_limit: int | None


def _int(doc: Mapping[str, Any], key: str) -> int:
    value = doc[key]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{key}: expected an integer, got {value!r}")
    return int(value)


def _leg(item: Mapping[str, Any]) -> RouteLeg:
    info = item["swapInfo"]
    bps = item.get("bps")
    share = int(bps) if bps is not None else int(Decimal(str(item.get("percent", 100))) * 100)
    return RouteLeg(
        str(info.get("ammKey", "")), str(info.get("label", "")),
        Pubkey.from_string(info["inputMint"]), Pubkey.from_string(info["outputMint"]),
        _int(info, "inAmount"), _int(info, "outAmount"), share,
    )  # fmt: skip


def parse_quote(doc: Mapping[str, Any]) -> Quote:
    """A quote answer (either route-plan shape) as a :class:`Quote`.

    Raises
    ------
    JupiterUnavailableError
        The answer is not a quote (a field missing or malformed).
    """
    try:
        impact = Decimal(str(doc.get("priceImpactPct") or "0"))
        return Quote(
            Pubkey.from_string(doc["inputMint"]), Pubkey.from_string(doc["outputMint"]),
            _int(doc, "inAmount"), _int(doc, "outAmount"), _int(doc, "otherAmountThreshold"),
            str(doc.get("swapMode", "ExactIn")), int(doc.get("slippageBps", 0)), impact,
            tuple(_leg(item) for item in doc.get("routePlan") or ()),
            int(doc.get("contextSlot") or 0), doc,
        )  # fmt: skip
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise JupiterUnavailableError(
            f"quote: malformed answer ({type(exc).__name__}: {exc})"[:300],
            code=None, status=200, retryable=True,
        ) from None  # fmt: skip


class JupiterClient(SessionOwner):
    """Quotes and swap builds from Jupiter (see the module docstring).

    Parameters
    ----------
    base_url : str
        The API host, e.g. ``https://api.jup.ag`` (a test server: ``http://127.0.0.1:N``).
    api_key : Secret, optional
        Sent as ``x-api-key``.
    max_calls, per_s : int, float
        The quota: at most ``max_calls`` requests per ``per_s`` seconds (the free tier: about
        60 per minute).
    timeout_s : float
        Seconds a request may take.
    clock, sleep : callables
        Monotonic seconds and the wait between retries (a test passes its own).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_key: Secret | None = None,
        max_calls: int = 60,
        per_s: float = 60.0,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        if api_key is not None and not isinstance(api_key, Secret):
            raise ParameterError("api_key", "must be a Secret (it is never shown)")
        self._base = base_url.rstrip("/")
        self._key = api_key
        self._limiter = RateLimiter(max_calls, per_s, clock=clock, sleep=sleep)
        self._breaker = CircuitBreaker("jupiter", clock=clock)
        super().__init__(aiohttp.ClientTimeout(total=timeout_s))
        self._clock = clock
        self._sleep = sleep
        self.requests = 0

    def __repr__(self) -> str:
        return f"JupiterClient({self._base!r}, api_key={'***' if self._key else None})"

    def providers(self) -> list[Provider]:
        """The Jupiter API as one provider (its limiter and breaker)."""
        return [Provider("jupiter", self._limiter, self._breaker)]

    async def quote(
        self,
        input_mint: Pubkey,
        output_mint: Pubkey,
        amount: int,
        slippage_bps: int,
        *,
        swap_mode: str = "ExactIn",
        restrict_intermediate_tokens: bool = True,
        only_direct_routes: bool = False,
        max_accounts: int | None = None,
        platform_fee_bps: int | None = None,
    ) -> Quote:
        """Price a swap of ``amount`` atomic units of ``input_mint`` (ExactIn).

        Raises
        ------
        ParameterError
            ``amount`` is not a positive integer or ``slippage_bps`` is outside 0..10,000.
        JupiterRefusedError
            No route (``code == "NO_ROUTES_FOUND"``) or another final refusal.
        JupiterUnavailableError
            Still failing after the retries.
        """
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ParameterError(
                "amount", f"must be a positive int of atomic units, got {amount!r}"
            )
        if isinstance(slippage_bps, bool) or not isinstance(slippage_bps, int):
            raise ParameterError("slippage_bps", f"must be an int, got {slippage_bps!r}")
        if not 0 <= slippage_bps <= 10_000:
            raise ParameterError("slippage_bps", f"must be in 0..10000, got {slippage_bps}")
        query = {
            "inputMint": str(input_mint),
            "outputMint": str(output_mint),
            "amount": str(amount),
            "slippageBps": str(slippage_bps),
            "swapMode": swap_mode,
            "restrictIntermediateTokens": _flag(restrict_intermediate_tokens),
            "onlyDirectRoutes": _flag(only_direct_routes),
        }
        if max_accounts is not None:
            query["maxAccounts"] = str(int(max_accounts))
        if platform_fee_bps is not None:
            query["platformFeeBps"] = str(int(platform_fee_bps))
        doc = await self._request("GET", "/swap/v1/quote", params=query)
        return parse_quote(doc)

    async def swap(
        self,
        quote: Quote,
        user: Pubkey,
        *,
        priority: PriorityLevel | JitoTip | int | None = None,
        wrap_and_unwrap_sol: bool = True,
        dynamic_compute_unit_limit: bool = True,
        dynamic_slippage: bool = False,
    ) -> SwapBuild:
        """The unsigned swap transaction of ``quote`` for ``user`` (the fee payer).

        ``priority`` is a :class:`PriorityLevel`, a :class:`JitoTip`, or an exact priority fee
        in lamports (an int).

        Raises
        ------
        JupiterRefusedError, JupiterUnavailableError
            As :meth:`quote`; also when the transaction does not decode.
        """
        body: dict[str, Any] = {
            "quoteResponse": dict(quote.raw),
            "userPublicKey": str(user),
            "wrapAndUnwrapSol": wrap_and_unwrap_sol,
            "dynamicComputeUnitLimit": dynamic_compute_unit_limit,
            "dynamicSlippage": dynamic_slippage,
        }
        if isinstance(priority, PriorityLevel):
            body["prioritizationFeeLamports"] = {
                "priorityLevelWithMaxLamports": {
                    "priorityLevel": priority.level,
                    "maxLamports": int(priority.max_lamports),
                }
            }
        elif isinstance(priority, JitoTip):
            body["prioritizationFeeLamports"] = {"jitoTipLamports": int(priority.lamports)}
        elif isinstance(priority, int) and not isinstance(priority, bool):
            body["prioritizationFeeLamports"] = priority  # an exact fee, lamports
        doc = await self._request("POST", "/swap/v1/swap", json_body=body)
        try:
            tx = VersionedTransaction.from_bytes(base64.b64decode(doc["swapTransaction"]))
            last_valid = _int(doc, "lastValidBlockHeight")
        except (KeyError, TypeError, ValueError) as exc:
            raise JupiterUnavailableError(
                f"swap: malformed answer ({type(exc).__name__})",
                code=None, status=200, retryable=True,
            ) from None  # fmt: skip
        fee = doc.get("prioritizationFeeLamports")
        limit = doc.get("computeUnitLimit")
        return SwapBuild(
            tx, last_valid, None if fee is None else int(fee), None if limit is None else int(limit)
        )

    # -- HTTP -------------------------------------------------------------------------------

    async def _request(
        self,
        verb: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> dict[str, Any]:
        """One request with retries on retryable failures (backoff 0.5, 1, 2 s, or the
        server's Retry-After)."""
        last: JupiterError | None = None
        for attempt in range(_RETRIES + 1):
            if not self._breaker.allow():
                raise JupiterUnavailableError(
                    f"{path}: circuit open after repeated failures "
                    f"(retry in {self._breaker.retry_in_s():.0f} s)",
                    code=None, status=None, retryable=True,
                )  # fmt: skip
            try:
                async with self._limiter.slot():
                    doc = await self._once(verb, path, params, json_body)
            except JupiterError as exc:
                if exc.retryable:
                    self._breaker.record_failure()
                else:
                    self._breaker.record_success()  # the service answered
                if not exc.retryable or attempt == _RETRIES:
                    raise
                last = exc
                await self._sleep(0.5 * 2**attempt)
                continue
            self._breaker.record_success()
            return doc
        raise last  # type: ignore[misc]  # pragma: no cover - the loop returns or raises

    async def _once(
        self, verb: str, path: str, params: Mapping[str, str] | None, json_body: Any
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if self._key is not None:
            headers["x-api-key"] = self._key.reveal()
        self.requests += 1
        try:
            async with self._http().request(
                verb, self._base + path, params=params, json=json_body, headers=headers
            ) as reply:
                status, text = reply.status, await reply.text()
                retry_after = reply.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise JupiterUnavailableError(
                f"{path}: {type(exc).__name__} (no usable reply)",
                code=None, status=None, retryable=True,
            ) from None  # fmt: skip
        return self._answer(path, status, text, retry_after)

    def _answer(self, path: str, status: int, text: str, retry_after: str | None) -> dict[str, Any]:
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if status == 200 and isinstance(doc, dict) and "error" not in doc:
            return doc
        code = doc.get("errorCode") if isinstance(doc, dict) else None
        message = doc.get("error") if isinstance(doc, dict) else None
        detail = (
            f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
        )
        if status == 429 or status >= 500 or status == 200:
            wait = retry_after_s(retry_after) if status == 429 else None
            if wait is not None:
                self._limiter.penalize(self._clock() + wait)
            raise JupiterUnavailableError(
                f"{path}: {detail}"[:300], code=code, status=status, retryable=True
            )
        raise JupiterRefusedError(
            f"{path}: {detail}"[:300], code=code, status=status, retryable=False
        )


def _flag(value: bool) -> str:
    return "true" if value else "false"


__all__ = [
    "DEFAULT_BASE_URL",
    "JitoTip",
    "JupiterClient",
    "JupiterError",
    "JupiterRefusedError",
    "JupiterUnavailableError",
    "PriorityLevel",
    "Quote",
    "RouteLeg",
    "SwapBuild",
    "parse_quote",
]
