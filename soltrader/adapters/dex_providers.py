"""DEX market-data providers over HTTP: GeckoTerminal and Birdeye, each with its quota and retries.

Both serve the same two things in their own shapes: the candles of one pool and a list of tokens
(the universe). :class:`GeckoTerminal` follows the public API at
``https://api.geckoterminal.com/api/v2`` (no key; 30 calls a minute):

* ``GET /networks/{network}/pools/{pool}/ohlcv/{day|hour|minute}?aggregate=N&before_timestamp=
  S&limit=L&currency=usd`` answers ``{"data": {"attributes": {"ohlcv_list": [[ts_s, o, h, l, c,
  v], ...]}}}`` **newest first**, at most 1,000 candles and six months per call, intervals
  without a swap left out; prices and volume in USD;
* ``GET /networks/{network}/pools?page=N`` (top pools, 20 a page, 10 pages),
  ``/trending_pools`` and ``/new_pools`` answer ``{"data": [{"id", "attributes": {"address",
  "name", "pool_created_at", "reserve_in_usd", "base_token_price_usd", "volume_usd": {"h24"},
  "price_change_percentage": {"h24"}}, "relationships": {"base_token": {"data": {"id":
  "solana_<mint>"}}, "dex": {"data": {"id"}}}}]}`` (numbers as strings, changes in percent).

:class:`Birdeye` follows ``https://public-api.birdeye.so`` (key in ``X-API-KEY``, chain in
``x-chain``; 1 request a second on the free tier):

* ``GET /defi/ohlcv/pair?address=POOL&type=1H&time_from=S&time_to=S`` answers ``{"success":
  true, "data": {"items": [{"unixTime", "o", "h", "l", "c", "v", ...}]}}`` oldest first, at most
  1,000 items, ``v`` in base-token units (``v_usd``, when an item carries it, in USD);
* ``GET /defi/v3/token/list?sort_by=liquidity&sort_type=desc&offset=K&limit=100`` answers
  ``{"data": {"items": [{"address", "symbol", "liquidity", "price", "volume_24h_usd",
  "price_change_24h_percent", "holder", "recent_listing_time"}], "has_next"}}``.

Candles leave a provider in one form whichever shape they came in: open time in epoch ms, prices
and **volume in USD** (Birdeye's base-unit ``v`` times the candle's close when no ``v_usd`` is
given), in time order (GeckoTerminal's newest-first lists are reversed: that is its documented
order, not a repair), checked with :func:`soltrader.data.validation.validate` exactly like
exchange candles. A field missing or unreadable, a NaN, a negative volume, candles out of order
or repeated raise :class:`~soltrader.domain.errors.DataError` with the reason code; nothing is
dropped or fixed.

Each provider owns a :class:`~soltrader.adapters.resilience.RateLimiter` and a
:class:`~soltrader.adapters.resilience.CircuitBreaker` shared by every instance of the process
that calls the same provider at the same base URL (:func:`shared_guard`). HTTP 429/418 penalise
the limiter for the ``Retry-After``; a wait longer than ``wait_budget_s`` raises
:class:`DexRateLimitedError` instead of waiting (so a caller can fail over); 5xx answers,
timeouts and dropped connections are retried after :func:`~soltrader.adapters.resilience.
backoff_delays` and count against the breaker; other 4xx answers are final. Keys are
:class:`~soltrader.domain.secret.Secret` values sent in headers only, and no message names a URL
(only the provider and the path), so no error can show a key.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar, NamedTuple

import aiohttp
import numpy as np
import polars as pl

from soltrader.adapters.http import SessionOwner
from soltrader.adapters.resilience import (
    BreakerState,
    CircuitBreaker,
    Hold,
    Provider,
    RateLimiter,
    backoff_delays,
    retry_after_s,
)
from soltrader.data.schema import OHLCVArrays
from soltrader.data.timeframes import canonical_timeframe, timeframe_ms
from soltrader.data.validation import validate
from soltrader.domain.errors import DataError, Error, ParameterError
from soltrader.domain.ports import TokenSnapshot
from soltrader.domain.secret import Secret

DEFAULT_GECKO_URL = "https://api.geckoterminal.com/api/v2"
DEFAULT_BIRDEYE_URL = "https://public-api.birdeye.so"
#: Environment variables holding the keys (a CoinGecko paid key for GeckoTerminal's data at the
#: ``pro-api.coingecko.com/api/v3/onchain`` base URL; Birdeye's key).
GECKO_KEY_ENV = "COINGECKO_API_KEY"
BIRDEYE_KEY_ENV = "BIRDEYE_API_KEY"

_SIX_MONTHS_MS = 180 * 86_400_000
_MIN_WAIT_S = 1e-6
_BASE58 = re.compile(r"[1-9A-HJ-NP-Za-km-z]{32,44}")
_NETWORK = re.compile(r"[a-z0-9_-]{1,40}")


# --------------------------------------------------------------------------- errors


class DexProviderError(Error):
    """A DEX data provider gave no usable answer.

    Attributes
    ----------
    provider : str
        The provider's name (``"geckoterminal"``, ``"birdeye"``).
    status : int or None
        The HTTP status, when there was an answer.
    """

    def __init__(self, message: str, *, provider: str, status: int | None = None) -> None:
        self.provider = provider
        self.status = status
        super().__init__(message)


class DexRateLimitedError(DexProviderError):
    """The provider's quota (or its 429 ``Retry-After``) allows no request within the wait
    budget; ``retry_in_s`` is the wait, seconds. Nothing was sent."""

    def __init__(self, message: str, *, provider: str, retry_in_s: float) -> None:
        self.retry_in_s = retry_in_s
        super().__init__(message, provider=provider, status=None)


class DexUnavailableError(DexProviderError):
    """Still failing after the retries (5xx, timeouts, dropped connections), or refused by the
    provider's open circuit breaker."""


class DexRefusedError(DexProviderError):
    """A final refusal: a 4xx answer other than 429/418 (an unknown pool, a bad key), an answer
    that says it failed, or a timeframe the provider does not serve."""


# --------------------------------------------------------------------------- configuration


class Quota(NamedTuple):
    """A provider's request quota: at most ``max_calls`` in any ``per_s`` seconds. The limiter
    counts each request from its reply (:meth:`~soltrader.adapters.resilience.RateLimiter.hold`)
    over ``per_s + margin_s`` seconds: its travel time cannot crowd more than ``max_calls``
    into one of the provider's windows, and the margin allows for a provider whose own clock
    counts a window short.

    Examples
    --------
    >>> Quota(30, 60.0, 1.0).window_s
    61.0
    """

    max_calls: int
    per_s: float
    margin_s: float = 0.0

    @property
    def window_s(self) -> float:
        """The limiter's window, seconds: ``per_s + margin_s``."""
        return float(self.per_s) + float(self.margin_s)


#: GeckoTerminal's public API: 30 calls a minute.
GECKO_QUOTA = Quota(30, 60.0, 1.0)
#: Birdeye's free (Standard) tier: 1 request a second.
BIRDEYE_QUOTA = Quota(1, 1.0, 0.1)


class Policy(NamedTuple):
    """How a provider waits and retries.

    Attributes
    ----------
    timeout_s : float
        Seconds one request may take.
    attempts : int
        Requests per call in all (the first included) before giving up.
    backoff_base_s, backoff_cap_s : float
        :func:`~soltrader.adapters.resilience.backoff_delays` between attempts, seconds.
    wait_budget_s : float
        The longest wait for the quota before raising :class:`DexRateLimitedError`, seconds.
    breaker_failures : int
        Consecutive failures that open the circuit breaker.
    breaker_reset_s : float
        Seconds an open breaker refuses calls.
    default_retry_after_s : float
        The penalty of a 429/418 answer without a readable ``Retry-After``, seconds.
    """

    timeout_s: float = 10.0
    attempts: int = 3
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 8.0
    wait_budget_s: float = 5.0
    breaker_failures: int = 3
    breaker_reset_s: float = 60.0
    default_retry_after_s: float = 60.0


class Guard(NamedTuple):
    """The limiter and breaker of one provider at one base URL (shared by the process)."""

    limiter: RateLimiter
    breaker: CircuitBreaker
    quota: Quota


_GUARDS: dict[tuple[str, str], Guard] = {}
_POLICY = Policy()


def shared_guard(
    name: str,
    base_url: str,
    quota: Quota,
    policy: Policy = _POLICY,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> Guard:
    """The process's limiter and breaker for provider ``name`` at ``base_url``.

    The first call for a (name, base URL) creates them with its quota and clock; later calls get
    the same objects, so every client of a provider in the process draws on one quota.

    Raises
    ------
    ParameterError
        A later call asks for a different quota than the one in force.

    Examples
    --------
    >>> a = shared_guard("example", "http://127.0.0.1:9", Quota(5, 1.0))
    >>> b = shared_guard("example", "http://127.0.0.1:9/", Quota(5, 1.0))
    >>> a.limiter is b.limiter, a.limiter.max_calls
    (True, 5)
    """
    key = (name, base_url.rstrip("/"))
    guard = _GUARDS.get(key)
    if guard is None:
        limiter = RateLimiter(int(quota.max_calls), quota.window_s, clock=clock)
        breaker = CircuitBreaker(
            name, failures=policy.breaker_failures, reset_after_s=policy.breaker_reset_s,
            clock=clock, counts=(DexUnavailableError,),
        )  # fmt: skip
        guard = _GUARDS[key] = Guard(limiter, breaker, quota)
    elif guard.quota != quota:
        raise ParameterError(
            "quota", f"{name} already runs with {guard.quota} in this process, not {quota}"
        )
    return guard


# --------------------------------------------------------------------------- parsing


def _missing(field: str, row: int | None = None, what: str = "answer") -> DataError:
    where = f" of item {row}" if row is not None else ""
    return DataError(
        f"{what}: field {field!r}{where} is missing", code="missing_field", row=row, field=field
    )


def _dig(doc: Any, path: tuple[str, ...], what: str, row: int | None = None) -> Any:
    """``doc[path[0]][path[1]]...``; a missing level raises ``missing_field``."""
    value = doc
    for depth, key in enumerate(path):
        if not isinstance(value, Mapping) or key not in value:
            raise _missing(".".join(path[: depth + 1]), row, what)
        value = value[key]
    return value


def _number(value: Any, field: str, row: int | None, what: str) -> float:
    """A JSON number or numeric string as float; null is NaN (missing, refused by validation)."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DataError(
            f"{what}: field {field!r} of item {row} is {value!r}, not a number",
            code="bad_value", row=row, field=field,
        )  # fmt: skip
    try:
        return float(value)
    except ValueError:
        raise DataError(
            f"{what}: field {field!r} of item {row} is {value!r}, not a number",
            code="bad_value", row=row, field=field,
        ) from None  # fmt: skip


def _seconds_ms(value: Any, row: int, what: str, field: str) -> int:
    """Integer epoch seconds as epoch ms."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise DataError(
            f"{what}: field {field!r} of item {row} is {value!r}, not whole epoch seconds",
            code="bad_value", row=row, field="timestamp",
        )  # fmt: skip
    return int(value) * 1000


def _arrays(rows: list[tuple[int, float, float, float, float, float]]) -> OHLCVArrays:
    if not rows:
        empty = np.empty(0, dtype=np.float64)
        return OHLCVArrays(np.empty(0, dtype=np.int64), empty, empty, empty, empty, empty)
    cols = list(zip(*rows, strict=True))
    return OHLCVArrays(
        np.asarray(cols[0], dtype=np.int64), *(np.asarray(c, dtype=np.float64) for c in cols[1:])
    )


_GECKO_FIELDS = ("timestamp", "open", "high", "low", "close", "volume")


def parse_gecko_ohlcv(doc: Any) -> OHLCVArrays:
    """GeckoTerminal's ``ohlcv_list`` as arrays, in the answer's order (newest first).

    Raises
    ------
    DataError
        ``missing_field`` (an envelope level or a list element missing), ``bad_value``.

    Examples
    --------
    >>> doc = {"data": {"attributes": {"ohlcv_list": [[7200, 2, 3, 1, 2.5, 10.0],
    ...                                               [3600, 1, 2, 1, 2, 5.0]]}}}
    >>> parse_gecko_ohlcv(doc).ts.tolist()
    [7200000, 3600000]
    """
    what = "geckoterminal ohlcv"
    items = _dig(doc, ("data", "attributes", "ohlcv_list"), what)
    if not isinstance(items, list):
        raise DataError(f"{what}: 'ohlcv_list' is not a list", code="bad_payload", field="data")
    rows = []
    for i, item in enumerate(items):
        if not isinstance(item, list) or len(item) < 6:
            n = len(item) if isinstance(item, list) else 0
            raise _missing(_GECKO_FIELDS[min(n, 5)], i, what)
        ts = _seconds_ms(item[0], i, what, "timestamp")
        values = [_number(item[k], _GECKO_FIELDS[k], i, what) for k in range(1, 6)]
        rows.append((ts, *values))
    return _arrays(rows)


def parse_birdeye_ohlcv(doc: Any) -> OHLCVArrays:
    """Birdeye's pair OHLCV items as arrays, in the answer's order (oldest first); volume in USD
    (``v_usd`` when given, else ``v`` times the close).

    Raises
    ------
    DataError
        ``missing_field``, ``bad_value``.

    Examples
    --------
    >>> doc = {"success": True, "data": {"items": [
    ...     {"unixTime": 3600, "o": 1, "h": 2, "l": 1, "c": 2, "v": 5.0, "type": "1H"}]}}
    >>> a = parse_birdeye_ohlcv(doc)
    >>> int(a.ts[0]), float(a.volume[0])
    (3600000, 10.0)
    """
    what = "birdeye ohlcv"
    items = _dig(doc, ("data", "items"), what)
    if not isinstance(items, list):
        raise DataError(f"{what}: 'items' is not a list", code="bad_payload", field="items")
    rows = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise DataError(f"{what}: item {i} is not an object", code="bad_payload", row=i)
        for key in ("unixTime", "o", "h", "l", "c"):
            if key not in item:
                raise _missing(key, i, what)
        if "v_usd" not in item and "v" not in item:
            raise _missing("v", i, what)
        o, h, lo, c = (_number(item[k], k, i, what) for k in ("o", "h", "l", "c"))
        if "v_usd" in item:
            volume = _number(item["v_usd"], "v_usd", i, what)
        else:
            volume = _number(item["v"], "v", i, what) * c
        rows.append((_seconds_ms(item["unixTime"], i, what, "unixTime"), o, h, lo, c, volume))
    return _arrays(rows)


def _iso_ms(value: Any, row: int, what: str) -> int | None:
    if value is None:
        return None
    try:
        stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise DataError(
            f"{what}: 'pool_created_at' of item {row} is {value!r}, not an ISO time",
            code="bad_value", row=row, field="pool_created_at",
        ) from None  # fmt: skip
    if stamp.tzinfo is None:
        raise DataError(
            f"{what}: 'pool_created_at' of item {row} has no time zone: {value!r}",
            code="bad_value", row=row, field="pool_created_at",
        )  # fmt: skip
    return int(stamp.timestamp() * 1000)


def _gecko_symbols(doc: Mapping[str, Any]) -> dict[str, str]:
    """Token id -> symbol from an ``included`` list, when the answer has one."""
    out = {}
    for item in doc.get("included") or ():
        if isinstance(item, Mapping) and item.get("type") == "token":
            symbol = (item.get("attributes") or {}).get("symbol")
            if isinstance(symbol, str):
                out[str(item.get("id"))] = symbol
    return out


def parse_gecko_pools(doc: Any, network: str = "solana") -> list[TokenSnapshot]:
    """GeckoTerminal pool list items as token snapshots (one per pool, in the answer's order).

    The mint is the base token's id without its ``<network>_`` prefix; the symbol comes from an
    ``included`` token when present, else from the pool's name (``"BONK / SOL"``); the price
    change arrives in percent and leaves as a fraction; holders are not reported (None).

    Raises
    ------
    DataError
        ``missing_field``, ``bad_value``, ``bad_payload``.

    Examples
    --------
    >>> item = {"id": "solana_P", "attributes": {"address": "P", "name": "BONK / SOL",
    ...     "pool_created_at": "2024-01-31T04:35:25Z", "reserve_in_usd": "1500.5",
    ...     "base_token_price_usd": "0.00002", "volume_usd": {"h24": "900"},
    ...     "price_change_percentage": {"h24": "-12.5"}}, "relationships": {
    ...     "base_token": {"data": {"id": "solana_MintB"}}, "dex": {"data": {"id": "raydium"}}}}
    >>> snap = parse_gecko_pools({"data": [item]})[0]
    >>> snap.mint, snap.symbol, snap.dex, snap.liquidity_usd, snap.price_change_24h
    ('MintB', 'BONK', 'raydium', 1500.5, -0.125)
    """
    what = "geckoterminal pools"
    items = _dig(doc, ("data",), what)
    if not isinstance(items, list):
        raise DataError(f"{what}: 'data' is not a list", code="bad_payload", field="data")
    symbols = _gecko_symbols(doc)
    return [_gecko_pool(i, item, network, symbols, what) for i, item in enumerate(items)]


def _gecko_pool(
    i: int, item: Any, network: str, symbols: Mapping[str, str], what: str
) -> TokenSnapshot:
    attrs = _dig(item, ("attributes",), what, i)
    token_id = str(_dig(item, ("relationships", "base_token", "data", "id"), what, i))
    prefix = f"{network}_"
    mint = token_id[len(prefix) :] if token_id.startswith(prefix) else token_id
    name = str(_dig(attrs, ("name",), what, i))
    dex = item.get("relationships", {}).get("dex", {}).get("data", {}) or {}

    def num(*path: str) -> float:
        return _number(_dig(attrs, path, what, i), ".".join(path), i, what)

    return TokenSnapshot(
        mint=mint,
        symbol=symbols.get(token_id) or name.split(" / ")[0].strip(),
        pool=str(_dig(attrs, ("address",), what, i)),
        dex=str(dex.get("id", "")),
        created_ms=_iso_ms(_dig(attrs, ("pool_created_at",), what, i), i, what),
        liquidity_usd=num("reserve_in_usd"),
        volume_24h_usd=num("volume_usd", "h24"),
        price_usd=num("base_token_price_usd"),
        price_change_24h=num("price_change_percentage", "h24") / 100.0,
        holders=None,
        source="geckoterminal",
    )


def parse_birdeye_tokens(doc: Any) -> tuple[list[TokenSnapshot], bool]:
    """Birdeye's token list (v3) as snapshots, and whether another page follows.

    Birdeye lists tokens, not pools: ``pool`` and ``dex`` are "". ``recent_listing_time``
    (epoch seconds, may be null) is the creation time; ``holder`` the holder count.

    Raises
    ------
    DataError
        ``missing_field``, ``bad_value``, ``bad_payload``.

    Examples
    --------
    >>> doc = {"success": True, "data": {"has_next": False, "items": [{"address": "MintA",
    ...     "symbol": "AAA", "liquidity": 2e5, "price": 1.5, "volume_24h_usd": 3e5,
    ...     "price_change_24h_percent": 4.0, "holder": 2500, "recent_listing_time": 86400}]}}
    >>> tokens, more = parse_birdeye_tokens(doc)
    >>> tokens[0].holders, tokens[0].created_ms, tokens[0].price_change_24h, more
    (2500, 86400000, 0.04, False)
    """
    what = "birdeye token list"
    items = _dig(doc, ("data", "items"), what)
    if not isinstance(items, list):
        raise DataError(f"{what}: 'items' is not a list", code="bad_payload", field="items")
    tokens = [_birdeye_token(i, item, what) for i, item in enumerate(items)]
    return tokens, bool(doc["data"].get("has_next", False))


def _birdeye_token(i: int, item: Any, what: str) -> TokenSnapshot:
    def num(key: str) -> float:
        return _number(_dig(item, (key,), what, i), key, i, what)

    listed = _dig(item, ("recent_listing_time",), what, i)
    holders = _dig(item, ("holder",), what, i)
    return TokenSnapshot(
        mint=str(_dig(item, ("address",), what, i)),
        symbol=str(_dig(item, ("symbol",), what, i)),
        pool="",
        dex="",
        created_ms=None if listed is None else _seconds_ms(listed, i, what, "recent_listing_time"),
        liquidity_usd=num("liquidity"),
        volume_24h_usd=num("volume_24h_usd"),
        price_usd=num("price"),
        price_change_24h=num("price_change_24h_percent") / 100.0,
        holders=None if holders is None else int(_number(holders, "holder", i, what)),
        source="birdeye",
    )


def most_liquid_per_mint(snapshots: list[TokenSnapshot]) -> list[TokenSnapshot]:
    """One snapshot per mint (the most liquid pool's), most liquid first (ties: first seen).

    Examples
    --------
    >>> a = TokenSnapshot("M", "S", "P1", "d", 0, 10.0, 1.0, 1.0, 0.0)
    >>> b = TokenSnapshot("M", "S", "P2", "d", 0, 20.0, 1.0, 1.0, 0.0)
    >>> [s.pool for s in most_liquid_per_mint([a, b])]
    ['P2']
    """
    best: dict[str, TokenSnapshot] = {}
    for snap in snapshots:
        held = best.get(snap.mint)
        if held is None or snap.liquidity_usd > held.liquidity_usd:
            best[snap.mint] = snap
    return sorted(best.values(), key=lambda s: -s.liquidity_usd)


# --------------------------------------------------------------------------- candle checks


class CandlePage(NamedTuple):
    """Checked candles of one pool covering ``[lo_ms, hi_ms)`` completely (every candle the
    provider has there), in time order; ``gaps`` counts the bars without a candle between them;
    ``answered`` the candles of the whole answer (0: the provider had nothing to say, which it
    also says of history it does not serve)."""

    candles: OHLCVArrays
    lo_ms: int
    hi_ms: int
    provider: str
    gaps: int
    answered: int


def _take(arrays: OHLCVArrays, index: np.ndarray) -> OHLCVArrays:
    return OHLCVArrays(*(col[index] for col in arrays))


def check_candles(
    raw: OHLCVArrays, timeframe: str, *, newest_first: bool, lo_ms: int, hi_ms: int, label: str
) -> tuple[OHLCVArrays, int]:
    """Candles of one answer put in time order, validated (the whole answer), and kept to
    ``[lo_ms, hi_ms)``.

    Parameters
    ----------
    raw : OHLCVArrays
        As parsed, in the answer's order.
    timeframe : str
        The candles' timeframe (grid and gap checks).
    newest_first : bool
        The provider's documented order (GeckoTerminal's): the answer is reversed first.
    lo_ms, hi_ms : int
        The open-time window asked for (epoch ms): candles outside it are checked with the rest,
        then left out (a provider may send more than was asked for).
    label : str
        Names the provider and request in errors.

    Returns
    -------
    (OHLCVArrays, int)
        The candles, and the number of bars missing between them (intervals without a trade).

    Raises
    ------
    DataError
        The first error of :func:`soltrader.data.validation.validate` (``nan``, ``inf``,
        ``non_positive_price``, ``high_below_low``, ``ohlc_inconsistent``, ``negative_volume``,
        ``duplicate_timestamp``, ``unsorted``, ``off_grid``), prefixed with ``label``.

    Examples
    --------
    >>> raw = parse_gecko_ohlcv({"data": {"attributes": {"ohlcv_list": [
    ...     [3600, 1, 2, 1, 2, 5.0], [3600, 1, 2, 1, 2, 5.0]]}}})
    >>> check_candles(raw, "1h", newest_first=True, lo_ms=0, hi_ms=10**9, label="gt")
    Traceback (most recent call last):
    ...
    soltrader.domain.errors.DataError: gt: row 1 (1970-01-01T01:00:00Z): duplicate_timestamp: ...
    """
    arrays = _take(raw, np.arange(len(raw.ts))[::-1]) if newest_first else raw
    if len(arrays.ts) == 0:
        return arrays, 0
    frame = pl.DataFrame({"timestamp": arrays.ts, **arrays._asdict()}).drop("ts")
    error = validate(frame, timeframe).first()
    if error is not None:
        raise DataError(
            f"{label}: {error}", code=error.code, row=error.row, timestamp=error.timestamp,
            field=error.field,
        )  # fmt: skip
    arrays = _take(arrays, (arrays.ts >= lo_ms) & (arrays.ts < hi_ms))
    gaps = np.diff(arrays.ts) // timeframe_ms(timeframe) - 1
    return arrays, int(gaps.sum())


# --------------------------------------------------------------------------- HTTP base


def check_pool(pool: str) -> str:
    """``pool`` if it is a base58 address (32 to 44 characters), else ParameterError.

    Examples
    --------
    >>> check_pool("8sLbNZoA1cfnvMJLPfp98ZLAnFSYCFApfJKMbiXNLwxj")[:4]
    '8sLb'
    """
    if not isinstance(pool, str) or not _BASE58.fullmatch(pool):
        raise ParameterError("pool", f"expected a base58 pool address, got {pool!r}")
    return pool


def check_network(network: str) -> str:
    """``network`` if it is a provider network id such as ``"solana"``, else ParameterError."""
    if not isinstance(network, str) or not _NETWORK.fullmatch(network):
        raise ParameterError("network", f"expected a network id such as 'solana', got {network!r}")
    return network


def _check_policy(policy: Policy) -> None:
    """Refuse a policy that cannot work (no attempt, a wait or timeout that is not > 0)."""
    if not isinstance(policy, Policy):
        raise ParameterError("policy", f"must be a Policy, got {type(policy).__name__}")
    if isinstance(policy.attempts, bool) or not isinstance(policy.attempts, int):
        raise ParameterError("policy.attempts", f"must be a whole number, got {policy.attempts!r}")
    if policy.attempts < 1:
        raise ParameterError("policy.attempts", f"must be >= 1, got {policy.attempts}")
    for name in ("timeout_s", "backoff_base_s", "backoff_cap_s", "breaker_reset_s"):
        value = getattr(policy, name)
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ParameterError(f"policy.{name}", f"must be finite and > 0 seconds, got {value!r}")
    for name in ("wait_budget_s", "default_retry_after_s"):
        value = getattr(policy, name)
        if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            raise ParameterError(
                f"policy.{name}", f"must be finite and >= 0 seconds, got {value!r}"
            )


class DexHttpProvider(SessionOwner):
    """The HTTP side both providers share: quota, breaker, retries, classified errors.

    Parameters
    ----------
    base_url : str
        The API root (a test server: ``http://127.0.0.1:N``).
    api_key : Secret, optional
        Sent in the provider's key header.
    quota : Quota, optional
        The request quota (the provider's default when omitted).
    policy : Policy
        Timeouts, retries, wait budget, breaker.
    network : str
        The chain, e.g. ``"solana"``.
    page_limit : int
        Candles asked for per request (the provider's maximum by default).
    clock, sleep, rng : callables
        Monotonic seconds, the wait, and the jitter source (tests pass their own).
    """

    name: ClassVar[str] = ""
    default_url: ClassVar[str] = ""
    default_quota: ClassVar[Quota] = Quota(1, 1.0)
    max_page: ClassVar[int] = 1000

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: Secret | None = None,
        quota: Quota | None = None,
        policy: Policy = _POLICY,
        network: str = "solana",
        page_limit: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if api_key is not None and not isinstance(api_key, Secret):
            raise ParameterError("api_key", "must be a Secret (it is never shown)")
        _check_policy(policy)
        limit = self.max_page if page_limit is None else int(page_limit)
        if not 1 <= limit <= self.max_page:
            raise ParameterError("page_limit", f"must be in 1..{self.max_page}, got {page_limit}")
        self._base = (base_url or self.default_url).rstrip("/")
        self._key = api_key
        self._policy = policy
        self._network = check_network(network)
        self._page_limit = limit
        self._guard = shared_guard(
            self.name, self._base, quota or self.default_quota, policy, clock=clock
        )
        self._clock, self._sleep, self._rng = clock, sleep, rng
        super().__init__(aiohttp.ClientTimeout(total=policy.timeout_s))
        self.requests = 0  # requests sent by this instance
        self.throttled = 0  # 429/418 answers received by this instance

    def __repr__(self) -> str:
        key = "***" if self._key is not None else None
        return f"{type(self).__name__}({self._base!r}, api_key={key})"

    def providers(self) -> list[Provider]:
        """This provider as the health check and metrics see it (its limiter and breaker)."""
        return [Provider(self.name, self._guard.limiter, self._guard.breaker)]

    def _headers(self) -> dict[str, str]:
        """The request headers (the key's header added by each provider)."""
        return {"Accept": "application/json"}

    async def _get(self, path: str, params: Mapping[str, Any]) -> Any:
        """GET ``path`` with the quota, breaker and retries; the decoded JSON answer."""
        delays = backoff_delays(self._policy.backoff_base_s, self._policy.backoff_cap_s, self._rng)
        last: DexProviderError | None = None
        for attempt in range(1, self._policy.attempts + 1):
            held = await self._slot(path)
            try:
                status, text, retry_after = await self._send(path, params, held)
            except (aiohttp.ClientError, TimeoutError, OSError, UnicodeDecodeError) as exc:
                self._guard.breaker.record_failure()
                last = DexUnavailableError(
                    f"{self.name} {path}: {type(exc).__name__} (no usable reply)",
                    provider=self.name,
                )
            else:
                found = self._answer(path, status, text, retry_after)
                if not isinstance(found, DexProviderError):
                    return found
                last = found
            if attempt < self._policy.attempts and not isinstance(last, DexRateLimitedError):
                await self._sleep(next(delays))
        assert last is not None
        raise last

    async def _slot(self, path: str) -> Hold:
        """Wait for the quota (within the budget) and the breaker's leave to send; the slot
        held, for :meth:`_send` to release when the request is over.

        Waiters poll the limiter (``try_hold`` after its ``wait_time``) rather than queue on
        its lock, so the limiter can serve several event loops of one process (each ``asyncio.
        run`` of the CLI) and the budget bounds each wait; concurrent waiters are therefore not
        served strictly in arrival order.
        """
        breaker, limiter = self._guard.breaker, self._guard.limiter
        if breaker.state is BreakerState.OPEN:
            raise self._circuit_open(path)
        deadline = self._clock() + self._policy.wait_budget_s
        while (held := limiter.try_hold()) is None:
            wait = limiter.wait_time()
            if self._clock() + wait > deadline:
                raise DexRateLimitedError(
                    f"{self.name} {path}: rate-limited, next request allowed in {wait:.1f} s "
                    f"(wait budget {self._policy.wait_budget_s:g} s)",
                    provider=self.name, retry_in_s=wait,
                )  # fmt: skip
            await self._sleep(max(wait, _MIN_WAIT_S))
        if not breaker.allow():
            limiter.release(held)
            raise self._circuit_open(path)
        return held

    def _circuit_open(self, path: str) -> DexUnavailableError:
        retry = self._guard.breaker.retry_in_s()
        return DexUnavailableError(
            f"{self.name} {path}: circuit open after repeated failures (retry in {retry:.0f} s)",
            provider=self.name,
        )

    async def _send(
        self, path: str, params: Mapping[str, Any], held: Hold
    ) -> tuple[int, str, str | None]:
        """GET ``path`` once in the slot ``held``, released when the reply (or the failure)
        is in: status, body and ``Retry-After``."""
        self.requests += 1
        query = {k: str(v) for k, v in params.items()}
        try:
            async with self._http().get(
                self._base + path, params=query, headers=self._headers()
            ) as r:
                return r.status, await r.text(), r.headers.get("Retry-After")
        finally:
            self._guard.limiter.release(held)

    def _answer(self, path: str, status: int, text: str, retry_after: str | None) -> Any:
        """The decoded answer of a 200, else the error it means (a final one is raised)."""
        breaker = self._guard.breaker
        if status in (429, 418):
            breaker.record_success()  # the service answered
            self.throttled += 1
            wait = retry_after_s(retry_after)
            wait = self._policy.default_retry_after_s if wait is None else wait
            self._guard.limiter.penalize(self._clock() + wait)
            return DexRateLimitedError(
                f"{self.name} {path}: HTTP {status}, retry after {wait:g} s",
                provider=self.name, retry_in_s=wait,
            )  # fmt: skip
        if status >= 500:
            breaker.record_failure()
            return DexUnavailableError(f"{self.name} {path}: HTTP {status}", provider=self.name)
        breaker.record_success()
        if status != 200:
            raise DexRefusedError(
                f"{self.name} {path}: HTTP {status}{_detail(text)}", provider=self.name,
                status=status,
            )  # fmt: skip
        try:
            return json.loads(text)
        except ValueError:
            raise DataError(
                f"{self.name} {path}: the answer is not JSON ({len(text)} characters)",
                code="bad_payload",
            ) from None

    async def _checked_page(
        self, path: str, params: Mapping[str, Any], parse: Callable[[Any], OHLCVArrays],
        newest_first: bool, window: tuple[int, int], timeframe: str,
    ) -> CandlePage:  # fmt: skip
        """One request's candles, checked, as a page covering ``window``."""
        doc = await self._get(path, params)
        label = f"{self.name} {path}"
        try:
            raw = parse(doc)
        except DataError as exc:
            raise DataError(
                f"{label}: {exc}", code=exc.code, row=exc.row, field=exc.field
            ) from None
        candles, gaps = check_candles(
            raw, timeframe, newest_first=newest_first, lo_ms=window[0], hi_ms=window[1],
            label=label,
        )  # fmt: skip
        return CandlePage(candles, window[0], window[1], self.name, gaps, len(raw.ts))


def _detail(text: str) -> str:
    """A short reason from an error answer's JSON (``message`` / ``error``), if any."""
    try:
        doc = json.loads(text)
    except ValueError:
        return ""
    if isinstance(doc, Mapping):
        for key in ("message", "error", "errors"):
            if doc.get(key):
                return f": {str(doc[key])[:200]}"
    return ""


# --------------------------------------------------------------------------- GeckoTerminal


_GECKO_UNITS: dict[str, tuple[str, int]] = {
    "1m": ("minute", 1), "5m": ("minute", 5), "15m": ("minute", 15),
    "1h": ("hour", 1), "4h": ("hour", 4), "12h": ("hour", 12), "1d": ("day", 1),
}  # fmt: skip


class GeckoTerminal(DexHttpProvider):
    """GeckoTerminal's public API (see the module docstring for the shapes).

    Parameters
    ----------
    pool_pages : int
        Pages of top pools in a universe snapshot (20 pools a page; the API serves 10).
    **kwargs
        As :class:`DexHttpProvider`; the default quota is :data:`GECKO_QUOTA`.

    Examples
    --------
    >>> GeckoTerminal("http://127.0.0.1:9/api/v2").providers()[0].name
    'geckoterminal'
    """

    name = "geckoterminal"
    default_url = DEFAULT_GECKO_URL
    default_quota = GECKO_QUOTA

    def __init__(self, base_url: str | None = None, *, pool_pages: int = 10, **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        self._pool_pages = int(pool_pages)

    def _headers(self) -> dict[str, str]:
        headers = super()._headers()
        if self._key is not None:
            headers["x-cg-pro-api-key"] = self._key.reveal()
        return headers

    def serves(self, timeframe: str) -> bool:
        """Whether GeckoTerminal has candles of ``timeframe`` (1m, 5m, 15m, 1h, 4h, 12h, 1d)."""
        return canonical_timeframe(timeframe) in _GECKO_UNITS

    async def ohlcv_pages(
        self, pool: str, timeframe: str, since_ms: int, until_ms: int
    ) -> AsyncIterator[CandlePage]:
        """Pages covering ``[since_ms, until_ms)``, newest page first (the API pages backwards
        with ``before_timestamp``); each asks for the bars of a window of at most
        ``page_limit`` bars and six months.

        Raises
        ------
        DexRefusedError
            The timeframe is not served (or a 4xx answer).
        DexRateLimitedError, DexUnavailableError, DataError
            As the requests fail.
        """
        tf = canonical_timeframe(timeframe)
        if tf not in _GECKO_UNITS:
            raise DexRefusedError(
                f"{self.name}: no {tf} candles (it serves {sorted(_GECKO_UNITS)})",
                provider=self.name,
            )
        unit, aggregate = _GECKO_UNITS[tf]
        span = min(self._page_limit * timeframe_ms(tf), _SIX_MONTHS_MS)
        path = f"/networks/{self._network}/pools/{check_pool(pool)}/ohlcv/{unit}"
        hi = until_ms
        step = timeframe_ms(tf)
        while hi > since_ms:
            lo = max(since_ms, hi - span)
            params = {
                "aggregate": aggregate, "before_timestamp": -(-hi // 1000),
                "limit": -(-(hi - lo) // step), "currency": "usd",
            }  # fmt: skip
            yield await self._checked_page(path, params, parse_gecko_ohlcv, True, (lo, hi), tf)
            hi = lo

    async def universe(self) -> list[TokenSnapshot]:
        """Top pools (``pool_pages`` pages), trending and new pools, one snapshot per mint."""
        found: list[TokenSnapshot] = []
        base = f"/networks/{self._network}"
        for page in range(1, self._pool_pages + 1):
            items = parse_gecko_pools(await self._get(f"{base}/pools", {"page": page}))
            if not items:
                break
            found += items
        for listing in ("trending_pools", "new_pools"):
            found += parse_gecko_pools(await self._get(f"{base}/{listing}", {"page": 1}))
        return most_liquid_per_mint(found)


# --------------------------------------------------------------------------- Birdeye


def birdeye_type(timeframe: str) -> str:
    """Birdeye's interval name of a timeframe: ``"1h"`` -> ``"1H"``, ``"15m"`` -> ``"15m"``.

    Raises
    ------
    DexRefusedError
        Birdeye has no such interval.

    Examples
    --------
    >>> birdeye_type("4h"), birdeye_type("1d"), birdeye_type("5m")
    ('4H', '1D', '5m')
    """
    tf = canonical_timeframe(timeframe)
    name = tf if tf.endswith("m") else tf[:-1] + tf[-1].upper()
    if name not in _BIRDEYE_TYPES:
        raise DexRefusedError(
            f"birdeye: no {tf} candles (it serves {list(_BIRDEYE_TYPES)})", provider="birdeye"
        )
    return name


_BIRDEYE_TYPES = (
    "1m", "3m", "5m", "15m", "30m", "1H", "2H", "4H", "6H", "8H", "12H", "1D", "3D", "1W",
)  # fmt: skip


class Birdeye(DexHttpProvider):
    """Birdeye's public API (see the module docstring for the shapes).

    Parameters
    ----------
    universe_size : int
        Tokens in a universe snapshot (read 100 a page, most liquid first).
    **kwargs
        As :class:`DexHttpProvider`; the default quota is :data:`BIRDEYE_QUOTA`.

    Examples
    --------
    >>> Birdeye("http://127.0.0.1:9", api_key=Secret("k"))
    Birdeye('http://127.0.0.1:9', api_key=***)
    """

    name = "birdeye"
    default_url = DEFAULT_BIRDEYE_URL
    default_quota = BIRDEYE_QUOTA

    def __init__(
        self, base_url: str | None = None, *, universe_size: int = 200, **kwargs: Any
    ) -> None:
        super().__init__(base_url, **kwargs)
        self._universe_size = int(universe_size)

    def _headers(self) -> dict[str, str]:
        headers = {**super()._headers(), "x-chain": self._network}
        if self._key is not None:
            headers["X-API-KEY"] = self._key.reveal()
        return headers

    def serves(self, timeframe: str) -> bool:
        """Whether Birdeye has candles of ``timeframe``."""
        try:
            birdeye_type(timeframe)
        except DexRefusedError:
            return False
        return True

    async def _get(self, path: str, params: Mapping[str, Any]) -> Any:
        doc = await super()._get(path, params)
        if isinstance(doc, Mapping) and doc.get("success") is False:
            raise DexRefusedError(
                f"{self.name} {path}: the answer says it failed{_detail(json.dumps(doc))}",
                provider=self.name, status=200,
            )  # fmt: skip
        return doc

    async def ohlcv_pages(
        self, pool: str, timeframe: str, since_ms: int, until_ms: int
    ) -> AsyncIterator[CandlePage]:
        """Pages covering ``[since_ms, until_ms)``, oldest first, each a window of at most
        ``page_limit`` bars (``time_from``/``time_to`` in seconds, both inclusive).

        Raises
        ------
        DexRefusedError, DexRateLimitedError, DexUnavailableError, DataError
            As :meth:`GeckoTerminal.ohlcv_pages`.
        """
        kind = birdeye_type(timeframe)
        tf = canonical_timeframe(timeframe)
        span = self._page_limit * timeframe_ms(tf)
        check_pool(pool)
        lo = since_ms
        while lo < until_ms:
            hi = min(until_ms, lo + span)
            params = {
                "address": pool, "type": kind, "time_from": -(-lo // 1000),
                "time_to": (hi - 1) // 1000,
            }  # fmt: skip
            yield await self._checked_page(
                "/defi/ohlcv/pair", params, parse_birdeye_ohlcv, False, (lo, hi), tf
            )
            lo = hi

    async def universe(self) -> list[TokenSnapshot]:
        """The ``universe_size`` most liquid tokens of the token list, one snapshot per mint."""
        found: list[TokenSnapshot] = []
        while len(found) < self._universe_size:
            params = {
                "sort_by": "liquidity", "sort_type": "desc", "offset": len(found),
                "limit": min(100, self._universe_size - len(found)),
            }  # fmt: skip
            tokens, more = parse_birdeye_tokens(await self._get("/defi/v3/token/list", params))
            found += tokens
            if not more or not tokens:
                break
        return most_liquid_per_mint(found)


__all__ = [
    "BIRDEYE_KEY_ENV",
    "BIRDEYE_QUOTA",
    "DEFAULT_BIRDEYE_URL",
    "DEFAULT_GECKO_URL",
    "GECKO_KEY_ENV",
    "GECKO_QUOTA",
    "Birdeye",
    "CandlePage",
    "DexHttpProvider",
    "DexProviderError",
    "DexRateLimitedError",
    "DexRefusedError",
    "DexUnavailableError",
    "GeckoTerminal",
    "Guard",
    "Policy",
    "Quota",
    "birdeye_type",
    "check_candles",
    "check_network",
    "check_pool",
    "most_liquid_per_mint",
    "parse_birdeye_ohlcv",
    "parse_birdeye_tokens",
    "parse_gecko_ohlcv",
    "parse_gecko_pools",
    "shared_guard",
]
