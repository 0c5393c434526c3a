"""Real venues a live spec names, built from its tables, with their secrets from the environment.

The ccxt venue (``[live] venue = "ccxt"``) is the spec's ``[ccxt]`` table made real: a ccxt
async client of the exchange it names (a ccxt pro client with its user-data stream when
``user_stream`` is on) (key and secret from the environment variables it names,
its REST host replaced by the URL in ``api_url_env`` when given), one rate limiter for every
call, and one :class:`~soltrader.adapters.ccxt_venue.CcxtVenue` over the journal, which records
every order before it is sent.

Only ``soltrader live --live`` builds one: a paper run never reads a wallet, an RPC URL or an
API key. The Solana venue (``[live] venue = "solana"``) is the spec's ``[solana]`` table made
real: its RPC endpoints (URLs from the environment variables the table names: providers put
keys in them), Jupiter (its URL, and the key from ``jupiter_key_env``), the wallet (a key file
that only its owner can read, or ``wallet_env``), the caps, and one
:class:`~soltrader.adapters.solana_venue.SolanaVenue` over the journal, which records every
signature before it is sent.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from decimal import Decimal
from typing import Any

from solders.pubkey import Pubkey

from soltrader.adapters.ccxt_stream import UserStream
from soltrader.adapters.ccxt_venue import CcxtVenue
from soltrader.adapters.jupiter import JupiterClient
from soltrader.adapters.resilience import RateLimiter
from soltrader.adapters.solana_rpc import Endpoint, RpcPool
from soltrader.adapters.solana_swap import SwapCaps, SwapExecutor
from soltrader.adapters.solana_venue import SolanaVenue, SwapMarket
from soltrader.adapters.wallet import Wallet, load_wallet, wallet_from_env
from soltrader.domain.errors import ParameterError
from soltrader.domain.secret import Secret
from soltrader.engine.live_spec import LiveSpec, SolanaTable
from soltrader.runtime.journal import Journal, SignatureRecord


def _env(name: str, key: str, environ: Mapping[str, str]) -> Secret:
    """Environment variable ``name`` as a Secret (named, never shown, when it is missing)."""
    value = environ.get(name, "")
    if not value:
        raise ParameterError(key, f"environment variable {name} is unset or empty")
    return Secret(value)


def solana_secrets(spec: LiveSpec, environ: Mapping[str, str] | None = None) -> list[Secret]:
    """The secrets the Solana venue of ``spec`` reads from the environment (RPC URLs, the
    Jupiter key), those that are set: the runtime scrubs them from every log record.

    Examples
    --------
    >>> from soltrader.engine.live_spec import parse_live_spec
    >>> spec = parse_live_spec({"data": {"symbol": "SOL/USDC", "timeframe": "1m"},
    ...     "strategy": {"name": "sma_cross"}, "solana": {
    ...     "base_mint": "So11111111111111111111111111111111111111112",
    ...     "quote_mint": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
    ...     "base_decimals": 9, "quote_decimals": 6,
    ...     "rpc": [{"label": "main", "url_env": "RPC_URL"}]}})
    >>> solana_secrets(spec, {"RPC_URL": "https://rpc.example/?api-key=k-123"})
    [Secret('***')]
    """
    environ = os.environ if environ is None else environ
    table = spec.solana
    if table is None:
        return []
    names = [r.url_env for r in table.rpc]
    if table.jupiter_key_env is not None:
        names.append(table.jupiter_key_env)
    return [Secret(environ[n]) for n in names if environ.get(n)]


def spec_wallet(table: SolanaTable, environ: Mapping[str, str]) -> Wallet:
    """The wallet a ``[solana]`` table names (a key file, or an environment variable)."""
    if table.wallet is not None:
        return load_wallet(table.wallet)
    if table.wallet_env is None:
        raise ParameterError("solana.wallet", "the venue signs swaps: give wallet or wallet_env")
    return wallet_from_env(table.wallet_env, dict(environ))


@asynccontextmanager
async def solana_venue(
    spec: LiveSpec,
    journal: Journal,
    *,
    environ: Mapping[str, str] | None = None,
    rebroadcast_s: float = 2.0,
) -> AsyncIterator[SolanaVenue]:
    """The Solana venue of ``spec`` (``async with``; its HTTP sessions close on exit).

    Parameters
    ----------
    spec : LiveSpec
        A spec with a ``[solana]`` table.
    journal : Journal
        The runner's journal: every signature is recorded in it before it is sent.
    environ : mapping, optional
        Where the secrets are read (default: the process environment).
    rebroadcast_s : float
        Seconds between re-sends of the same signed bytes until they land or expire.

    Raises
    ------
    ParameterError
        No ``[solana]`` table, or an environment variable it names is unset (named, never its
        value).
    WalletError
        The wallet file is readable by others, not the user's, or holds no key.

    Examples
    --------
    >>> async with solana_venue(spec, journal) as venue:           # doctest: +SKIP
    ...     runner = Runner(spec, journal, feed.closed, start_ms=t0, venue=venue)
    """
    environ = os.environ if environ is None else environ
    table = spec.solana
    if table is None:
        raise ParameterError("solana", "the Solana venue needs a [solana] table")
    wallet = spec_wallet(table, environ)
    endpoints = [
        Endpoint(r.label, _env(r.url_env, f"solana.rpc.{r.label}", environ), r.max_calls, r.per_s)
        for r in table.rpc
    ]
    key = None
    if table.jupiter_key_env is not None:
        key = _env(table.jupiter_key_env, "solana.jupiter_key_env", environ)
    caps = SwapCaps(
        max_slippage_bps=table.max_slippage_bps,
        max_price_impact=Decimal(repr(table.max_price_impact)),
        max_priority_lamports=table.max_priority_lamports,
    )
    async with AsyncExitStack() as stack:
        rpc = await stack.enter_async_context(RpcPool(endpoints))
        jupiter = await stack.enter_async_context(
            JupiterClient(
                table.jupiter_url, api_key=key, max_calls=table.jupiter_max_calls,
                per_s=table.jupiter_per_s,
            )
        )  # fmt: skip
        executor = SwapExecutor(
            rpc, jupiter, wallet, journal, SignatureRecord, caps=caps,
            priority=table.priority_level, rebroadcast_s=rebroadcast_s,
        )  # fmt: skip
        market = SwapMarket(
            Pubkey.from_string(table.base_mint),
            Pubkey.from_string(table.quote_mint),
            table.base_decimals,
            table.quote_decimals,
        )
        yield SolanaVenue(executor, rpc, market, slippage_bps=table.slippage_bps)


def ccxt_secrets(spec: LiveSpec, environ: Mapping[str, str] | None = None) -> list[Secret]:
    """The secrets the ccxt venue of ``spec`` reads from the environment (key, secret, API
    URL), those that are set: the runtime scrubs them from every log record.

    Examples
    --------
    >>> from soltrader.engine.live_spec import parse_live_spec
    >>> spec = parse_live_spec({"data": {"symbol": "SOL/USDT", "timeframe": "1m"},
    ...     "strategy": {"name": "sma_cross"}, "ccxt": {"exchange": "binance"}})
    >>> ccxt_secrets(spec, {"SOLTRADER_CCXT_KEY": "k-123", "SOLTRADER_CCXT_SECRET": "s-456"})
    [Secret('***'), Secret('***')]
    """
    environ = os.environ if environ is None else environ
    table = spec.ccxt
    if table is None:
        return []
    names = [table.key_env, table.secret_env]
    if table.api_url_env is not None:
        names.append(table.api_url_env)
    return [Secret(environ[n]) for n in names if environ.get(n)]


def ccxt_client(spec: LiveSpec, environ: Mapping[str, str]) -> Any:
    """The ccxt async client the ``[ccxt]`` table describes (spot markets only, ccxt's own
    throttle off: the venue's limiter paces every call).

    Raises
    ------
    ParameterError
        No ``[ccxt]`` table, an exchange ccxt does not know, or an unset environment variable
        (named, never its value).
    """
    table = spec.ccxt
    if table is None:
        raise ParameterError("ccxt", "the ccxt venue needs a [ccxt] table")
    module: Any = importlib.import_module("ccxt.pro" if table.user_stream else "ccxt.async_support")
    if table.exchange not in module.exchanges:
        raise ParameterError(
            "ccxt.exchange",
            f"{table.exchange!r} is not a ccxt exchange id"
            + (" with websockets (set user_stream = false)" if table.user_stream else ""),
        )
    key = _env(table.key_env, "ccxt.key_env", environ)
    secret = _env(table.secret_env, "ccxt.secret_env", environ)
    client = getattr(module, table.exchange)(
        {
            "apiKey": key.reveal(),
            "secret": secret.reveal(),
            "timeout": table.timeout_ms,
            "enableRateLimit": False,
            "options": {
                "fetchMarkets": {"types": ["spot"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
                "recvWindow": table.recv_window_ms,
            },
        }
    )
    if table.api_url_env is not None:
        _point_at(client, _env(table.api_url_env, "ccxt.api_url_env", environ).reveal())
    return client


def _point_at(client: Any, base_url: str) -> None:
    """Replace the scheme and host of every URL of ``client`` with ``base_url`` (``http``
    URLs) or its websocket form (``ws`` URLs: ``https`` becomes ``wss``)."""
    base = base_url.rstrip("/")
    ws_base = "ws" + base[4:] if base.startswith("http") else base

    def swap(url: Any) -> Any:
        if isinstance(url, str) and url.startswith(("http", "ws")):
            parts = url.split("/", 3)
            head = base if url.startswith("http") else ws_base
            return head + ("/" + parts[3] if len(parts) > 3 else "")
        if isinstance(url, dict):
            return {k: swap(v) for k, v in url.items()}
        return url

    client.urls["api"] = swap(client.urls["api"])


@asynccontextmanager
async def ccxt_venue(
    spec: LiveSpec, journal: Journal, *, environ: Mapping[str, str] | None = None
) -> AsyncIterator[CcxtVenue]:
    """The ccxt venue of ``spec`` (``async with``; the client's sessions close on exit), its
    markets loaded.

    Raises
    ------
    ParameterError
        See :func:`ccxt_client`.

    Examples
    --------
    >>> async with ccxt_venue(spec, journal) as venue:             # doctest: +SKIP
    ...     runner = Runner(spec, journal, feed.closed, start_ms=t0, venue=venue)
    """
    environ = os.environ if environ is None else environ
    client = ccxt_client(spec, environ)
    table = spec.ccxt
    assert table is not None
    stream = UserStream(client, table.symbol or spec.data.symbol) if table.user_stream else None
    try:
        venue = CcxtVenue(
            client, table.symbol or spec.data.symbol, journal,
            RateLimiter(table.max_calls, table.per_s), recv_window_ms=table.recv_window_ms,
            skew_ms=table.skew_ms, poll_s=table.poll_s, resolve_timeout_s=table.resolve_timeout_s,
            max_retries=table.max_retries, unknown_orders=table.unknown_orders,
            base_reserve=table.base_reserve, position_tolerance=table.position_tolerance,
            reconcile_every=table.reconcile_every, stream=stream,
            rest_every_s=table.rest_every_s,
        )  # fmt: skip
        await venue.start()
        if stream is not None:
            await stream.start()
        yield venue
    finally:
        if stream is not None:
            await stream.stop()
        await client.close()


__all__ = [
    "ccxt_client",
    "ccxt_secrets",
    "ccxt_venue",
    "solana_secrets",
    "solana_venue",
    "spec_wallet",
]
