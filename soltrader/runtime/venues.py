"""Real venues a live spec names, built from its tables, with their secrets from the environment.

Only ``soltrader live --live`` builds one: a paper run never reads a wallet, an RPC URL or an
API key. The Solana venue (``[live] venue = "solana"``) is the spec's ``[solana]`` table made
real: its RPC endpoints (URLs from the environment variables the table names: providers put
keys in them), Jupiter (its URL, and the key from ``jupiter_key_env``), the wallet (a key file
that only its owner can read, or ``wallet_env``), the caps, and one
:class:`~soltrader.adapters.solana_venue.SolanaVenue` over the journal, which records every
signature before it is sent.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from decimal import Decimal

from solders.pubkey import Pubkey

from soltrader.adapters.jupiter import JupiterClient
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


__all__ = ["solana_secrets", "solana_venue", "spec_wallet"]
