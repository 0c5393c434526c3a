"""From a DEX universe snapshot to the screener: token snapshots as the table :func:`screen` reads.

A :class:`~soltrader.domain.ports.TokenSnapshot` carries what a provider reports of a token; the
screener reads a table with one row per token. :func:`universe_frame` builds that table (the
token's age from its creation time and a ``now`` the caller gives: nothing here reads a clock),
and :func:`screen_snapshots` screens it.

Missing values stay missing: a token whose creation time or holder count the provider does not
report gets NaN / ``<NA>`` there, and the screener refuses it under a rule that reads that column
(naming the token). The one default that depends on the data is the holder rule of
:func:`screen_snapshots`, which applies only when every token has a holder count (providers that
list pools, such as GeckoTerminal, report none); the result's ``thresholds`` show whether it did.

Examples
--------
>>> from soltrader.domain.ports import TokenSnapshot
>>> day = 86_400_000
>>> snaps = [
...     TokenSnapshot("MintA", "AAA", "PoolA", "raydium", 0, 2e5, 5e5, 1.0, 0.1, 3000),
...     TokenSnapshot("MintB", "BBB", "PoolB", "orca", 9 * day, 2e5, 5e5, 1.0, 0.1, 3000),
... ]
>>> res = screen_snapshots(snaps, now_ms=10 * day)
>>> res.tradable["token"].tolist(), res.approval_rate, res.rejections["min_age_days"]
(['MintA'], 0.5, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from soltrader.domain.errors import DataError, ParameterError
from soltrader.domain.ports import TokenSnapshot
from soltrader.strategies.screener import ScreenResult, screen

#: The columns of :func:`universe_frame`, in order.
UNIVERSE_COLUMNS: tuple[str, ...] = (
    "token", "symbol", "pool", "dex", "age_days", "liquidity_usd", "volume_24h_usd",
    "price_usd", "price_change_24h", "holders", "source",
)  # fmt: skip
#: The holder threshold :func:`screen_snapshots` applies when every token has a holder count.
DEFAULT_MIN_HOLDERS = 1_000.0


def universe_frame(snapshots: Sequence[TokenSnapshot], now_ms: int) -> pd.DataFrame:
    """The screener's table of a universe snapshot, one row per token, in the given order.

    Parameters
    ----------
    snapshots : sequence of TokenSnapshot
        The universe (one snapshot per mint).
    now_ms : int
        The screening time, epoch milliseconds UTC: ``age_days = (now_ms - created_ms) / 1 day``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`UNIVERSE_COLUMNS`: ``token`` (the mint), ``symbol``, ``pool``, ``dex``,
        ``age_days`` (days, NaN when the creation time is unknown), ``liquidity_usd``,
        ``volume_24h_usd``, ``price_usd`` (USD), ``price_change_24h`` (fraction), ``holders``
        (nullable ``Int64``, ``<NA>`` when unknown), ``source``.

    Raises
    ------
    ParameterError
        ``now_ms`` is not an integer, or an item is not a TokenSnapshot.

    Examples
    --------
    >>> from soltrader.domain.ports import TokenSnapshot
    >>> snap = TokenSnapshot("MintA", "AAA", "PoolA", "raydium", None, 1e5, 2e5, 0.5, -0.2)
    >>> row = universe_frame([snap], now_ms=0).iloc[0]
    >>> row["token"], bool(np.isnan(row["age_days"])), row["holders"] is pd.NA
    ('MintA', True, True)
    """
    if isinstance(now_ms, bool) or not isinstance(now_ms, int | np.integer):
        raise ParameterError("now_ms", f"must be integer epoch milliseconds, got {now_ms!r}")
    rows = [_row(i, snap, int(now_ms)) for i, snap in enumerate(snapshots)]
    frame = pd.DataFrame(rows, columns=list(UNIVERSE_COLUMNS))
    frame["holders"] = frame["holders"].astype("Int64")
    for name in ("age_days", "liquidity_usd", "volume_24h_usd", "price_usd", "price_change_24h"):
        frame[name] = frame[name].astype(np.float64)
    return frame


def _row(i: int, snap: Any, now_ms: int) -> tuple[Any, ...]:
    if not isinstance(snap, TokenSnapshot):
        raise ParameterError(
            "snapshots", f"item {i} must be a TokenSnapshot, got {type(snap).__name__}"
        )
    holders = pd.NA if snap.holders is None else int(snap.holders)
    return (
        snap.mint, snap.symbol, snap.pool, snap.dex, snap.age_days(now_ms), snap.liquidity_usd,
        snap.volume_24h_usd, snap.price_usd, snap.price_change_24h, holders, snap.source,
    )  # fmt: skip


def holders_known(snapshots: Sequence[TokenSnapshot]) -> bool:
    """Whether every snapshot carries a holder count (False for an empty universe).

    Examples
    --------
    >>> from soltrader.domain.ports import TokenSnapshot
    >>> holders_known([TokenSnapshot("M", "S", "P", "d", 0, 1.0, 1.0, 1.0, 0.0, None)])
    False
    """
    return bool(snapshots) and all(s.holders is not None for s in snapshots)


def screen_snapshots(
    snapshots: Sequence[TokenSnapshot],
    now_ms: int,
    *,
    min_holders: float | str | None = "auto",
    **rules: float | None,
) -> ScreenResult:
    """Screen a universe snapshot with :func:`~soltrader.strategies.screener.screen`.

    Parameters
    ----------
    snapshots : sequence of TokenSnapshot
        The universe.
    now_ms : int
        The screening time, epoch milliseconds UTC (the tokens' ages are measured to it).
    min_holders : float, None or "auto"
        The holder rule: a threshold (count), None (off), or ``"auto"``:
        :data:`DEFAULT_MIN_HOLDERS` when every token has a holder count, else off.
        ``result.thresholds`` says which applied.
    **rules : float or None
        The other rules of :func:`screen` (``min_age_days`` in days, ``min_liquidity`` and
        ``min_volume_24h`` in USD, ``max_abs_change`` as a fraction); its defaults otherwise.

    Returns
    -------
    ScreenResult
        ``tradable`` holds the approved rows of :func:`universe_frame`.

    Raises
    ------
    DataError
        An empty snapshot, or a value a rule needs is missing (naming the token), as
        :func:`screen` raises.
    ParameterError
        A rule that :func:`screen` does not know, or a bad threshold.

    Examples
    --------
    >>> from soltrader.domain.ports import TokenSnapshot
    >>> snap = TokenSnapshot("MintA", "AAA", "PoolA", "raydium", 0, 1e5, 2e5, 0.5, -0.2)
    >>> res = screen_snapshots([snap], now_ms=10 * 86_400_000)
    >>> "min_holders" in res.thresholds, res.approval_rate
    (False, 1.0)
    """
    if not snapshots:
        raise DataError("universe: the snapshot holds no token", field="token")
    if isinstance(min_holders, str):
        if min_holders != "auto":
            raise ParameterError(
                "min_holders", f"expected a count, None or 'auto', got {min_holders!r}"
            )
        min_holders = DEFAULT_MIN_HOLDERS if holders_known(snapshots) else None
    unknown = set(rules) - {"min_age_days", "min_liquidity", "min_volume_24h", "max_abs_change"}
    if unknown:
        raise ParameterError(sorted(unknown)[0], "is not a screener rule")
    return screen(universe_frame(snapshots, now_ms), min_holders=min_holders, **rules)  # type: ignore[arg-type]


__all__ = [
    "DEFAULT_MIN_HOLDERS",
    "UNIVERSE_COLUMNS",
    "holders_known",
    "screen_snapshots",
    "universe_frame",
]
