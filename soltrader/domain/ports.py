"""The ports: what the edge implements so that the runtime can drive the decision core.

Each is a :class:`typing.Protocol`; an adapter satisfies it by having the methods (no base class
to inherit), and ``isinstance(obj, Port)`` checks the method names at run time. The decision core
never calls a port; the runtime wires ports to it: closed bars from :class:`MarketData` go to the
strategy's signal function and ``decide``, the intents go to a :class:`Venue`, the fills that
come back update the state, and every intent, fill and state change is written to the
:class:`Journal` before the next step. Time comes from a :class:`Clock`, never from the system
inside the core.

Records crossing the ports are the structured dtypes of :mod:`soltrader.domain.records` and
:mod:`soltrader.domain.state` (one record per row: a 0-d or 1-row array), so what the journal
stores is what the simulator uses; a bar as it closes is a :class:`soltrader.domain.bar.Bar`.

Examples
--------
>>> class FixedClock:
...     def now_ns(self) -> int:
...         return 1_700_000_000_000_000_000
>>> isinstance(FixedClock(), Clock)
True
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np

from soltrader.domain.bar import Bar

#: One OHLCV candle as :meth:`MarketData.history` and :meth:`DexData.pool_ohlcv` return them (a
#: structured array of these, oldest first): the open time in epoch milliseconds UTC, prices in
#: the quote currency (USD for DEX pools) and the volume.
candle_dt = np.dtype(
    [
        ("open_time_ms", np.int64),
        ("open", np.float64),
        ("high", np.float64),
        ("low", np.float64),
        ("close", np.float64),
        ("volume", np.float64),
    ]
)

_DAY_MS = 86_400_000


@runtime_checkable
class Clock(Protocol):
    """Wall-clock time for the runtime (a test passes a clock it controls)."""

    def now_ns(self) -> int:
        """Now, epoch nanoseconds (UTC)."""
        ...


@runtime_checkable
class MarketData(Protocol):
    """Closed bars of one market: history to warm up on, then each bar once it has closed."""

    async def history(self, symbol: str, timeframe: str, bars: int) -> np.ndarray:
        """The newest ``bars`` closed bars, oldest first.

        Returns
        -------
        ndarray
            Columns ``open_time_ms`` (int64) and ``open``, ``high``, ``low``, ``close``,
            ``volume`` (float64) as a structured array.
        """
        ...

    def closed_bars(self, symbol: str, timeframe: str) -> AsyncIterator[Bar]:
        """Each bar as it closes, in time order, without gaps: a bar the feed missed is fetched
        before the next one is yielded."""
        ...


class TokenSnapshot(NamedTuple):
    """One token of a DEX universe as a market-data provider saw it: what the screener reads.

    Attributes
    ----------
    mint : str
        The token's mint address (base58), the token's identity.
    symbol : str
        Its ticker as the provider spells it (not unique).
    pool : str
        The most liquid pool the provider listed for it (base58), "" when the provider names
        none (a token list).
    dex : str
        The pool's exchange (e.g. ``"raydium"``), "" when unknown.
    created_ms : int or None
        When the pool was created (or the token listed), epoch milliseconds UTC; None when the
        provider does not say. The token's age is measured from it.
    liquidity_usd : float
        The pool's (or token's) liquidity, USD.
    volume_24h_usd : float
        Traded volume over the last 24 hours, USD.
    price_usd : float
        The last price, USD.
    price_change_24h : float
        The price change over 24 hours as a fraction (0.05 = +5 %; >= -1).
    holders : int or None
        Wallets holding the token, None when the provider does not report it.
    source : str
        The provider the snapshot came from (e.g. ``"geckoterminal"``).

    Examples
    --------
    >>> t = TokenSnapshot("So11111111111111111111111111111111111111112", "SOL",
    ...     "8sLbNZoA1cfnvMJLPfp98ZLAnFSYCFApfJKMbiXNLwxj", "raydium", 0, 2.5e7, 1.2e8,
    ...     150.0, -0.02, None, "geckoterminal")
    >>> t.age_days(3 * 86_400_000)
    3.0
    """

    mint: str
    symbol: str
    pool: str
    dex: str
    created_ms: int | None
    liquidity_usd: float
    volume_24h_usd: float
    price_usd: float
    price_change_24h: float
    holders: int | None = None
    source: str = ""

    def age_days(self, now_ms: int) -> float:
        """Days from ``created_ms`` to ``now_ms`` (epoch ms); NaN when the creation time is
        unknown."""
        if self.created_ms is None:
            return float("nan")
        return (int(now_ms) - int(self.created_ms)) / _DAY_MS


@runtime_checkable
class DexData(Protocol):
    """Market data of on-chain pools: candles of one pool, and a snapshot of the tradable
    universe (the screener's input)."""

    async def pool_ohlcv(
        self, pool: str, timeframe: str, *, since_ms: int, until_ms: int
    ) -> np.ndarray:
        """The closed candles of ``pool`` whose open time is in ``[since_ms, until_ms)``.

        Parameters
        ----------
        pool : str
            The pool's address (base58).
        timeframe : str
            Candle length, e.g. ``"1h"``.
        since_ms, until_ms : int
            Open-time bounds, epoch milliseconds UTC (inclusive, exclusive).

        Returns
        -------
        ndarray of candle_dt
            Oldest first, strictly increasing open times, prices and volume in USD. Intervals
            without a trade have no candle (gaps are kept, never filled).
        """
        ...

    async def universe(self) -> list[TokenSnapshot]:
        """A snapshot of the universe: one :class:`TokenSnapshot` per token (mint), most liquid
        first."""
        ...


@runtime_checkable
class Venue(Protocol):
    """Where intents become orders: an exchange, a swap router, or the paper venue."""

    async def submit(self, intent: np.ndarray) -> None:
        """Place (or, for ``reason == CANCEL``, cancel) one intent (a record of ``intent_dt``).
        Submitting an intent whose ``client_id`` the venue already holds changes nothing."""
        ...

    def fills(self) -> AsyncIterator[np.ndarray]:
        """Each execution (a record of ``fill_dt``, ``order_id`` = the intent's client id) as
        the venue reports it."""
        ...

    async def open_orders(self) -> np.ndarray:
        """The intents the venue still holds (``intent_dt`` records), for reconciliation."""
        ...


class Execution(NamedTuple):
    """How one intent ended at an :class:`ExecutingVenue`: executed (``fill``, a ``fill_dt``
    record whose ``order_id`` is the intent's client id, and the venue's ``trade_id``, e.g. a
    transaction signature) or refused (``refused`` says why; nothing of it executed)."""

    client_id: int
    fill: np.ndarray | None = None
    trade_id: str = ""
    refused: str = ""


@runtime_checkable
class ExecutingVenue(Protocol):
    """A venue that executes each market intent to its end before it answers (a swap router:
    a swap lands whole or not at all, and nothing rests), so the runtime books the answer at
    the next bar in place of the fill model."""

    async def execute(self, intent: np.ndarray) -> Execution:
        """Execute one market intent (a record of ``intent_dt``) at most once: executing an
        intent again returns how it ended. An exception means the outcome is unknown (the
        runtime stops; a restart resolves it)."""
        ...


class Reconciliation(NamedTuple):
    """What a venue holds compared with what the journal says it should (base units).

    Attributes
    ----------
    venue_position : float
        The position the venue's balances show for the strategy.
    journal_position : float
        The position the journal holds.
    tolerance : float
        The largest difference that is not a mismatch.
    unknown_orders : tuple of str
        Open orders on the market the journal does not know (their client order ids).
    cancelled : tuple of str
        Those of them cancelled by this reconciliation.
    problem : str
        Why trading must stop ("" when everything agrees).
    foreign_trades : tuple of str
        The account's trades since the last reconciliation whose orders the journal does not
        know (``order:trade`` ids): someone else traded on the market.
    """

    venue_position: float
    journal_position: float
    tolerance: float
    unknown_orders: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()
    problem: str = ""
    foreign_trades: tuple[str, ...] = ()


@runtime_checkable
class ReconcilingVenue(Protocol):
    """A venue that can compare its account with the journal (an exchange account)."""

    #: Bars between two reconciliations of a running runtime.
    reconcile_every: int

    async def reconcile(self, position: float) -> Reconciliation:
        """Compare the venue's open orders and balances with the journal's ``position`` (base
        units), acting on orders it does not know by its policy."""
        ...


@runtime_checkable
class Journal(Protocol):
    """The runtime's durable memory: written before an intent is sent, read back on restart."""

    def record_intent(self, intent: np.ndarray) -> None:
        """Store an intent before it is submitted."""
        ...

    def record_fill(self, fill: np.ndarray) -> None:
        """Store a fill as it arrives."""
        ...

    def save_state(
        self, bar: int, positions: np.ndarray, pendings: np.ndarray, accounts: np.ndarray
    ) -> None:
        """Store the state after bar ``bar`` (``position_dt``, ``pending_dt``, ``account_dt``)."""
        ...

    def load_state(self) -> tuple[int, np.ndarray, np.ndarray, np.ndarray] | None:
        """The last saved ``(bar, positions, pendings, accounts)``, or None on a first start."""
        ...
