"""Intents as a table: the orders a strategy's decision core sends, in one format for the
backtest and the live runner, so that the two can be compared row by row.

``soltrader backtest SPEC --intents OUT.csv`` writes the backtest's intents (signals computed on
the whole history, decisions stepped bar by bar: :func:`backtest_intents`) and ``soltrader live
SPEC --intents OUT.csv`` writes the live journal's, both through :func:`intents_table`:

============  ==========================================================================
column        meaning
============  ==========================================================================
bar_time      the decision bar's open time, ISO 8601 UTC
symbol        the market
side          ``buy`` / ``sell``
kind          ``market``, ``limit``, ``stop`` or ``stop_limit``
reason        ``entry``, ``exit``, ``stop_loss``, ``take_profit``, ``cancel``, ...
price         the limit price (limit orders) or the trigger (stop and stop-limit); empty
              for a market order
size          the quantity, in ``size_unit``
size_unit     ``base`` (units of the asset), ``quote`` (a budget) or ``cash_fraction``
============  ==========================================================================

Numbers are written with Python's shortest round-trip text, so a float read back is the float
written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from soltrader.domain.enums import OrderType, Side
from soltrader.domain.errors import ParameterError
from soltrader.domain.state import IntentReason, QuantityUnit
from soltrader.engine.paper import PaperLoop, _market_columns
from soltrader.strategies.spec import Strategy

#: The columns of an intents table, in order.
INTENT_COLUMNS = ("bar_time", "symbol", "side", "kind", "reason", "price", "size", "size_unit")


def _names(enum: Any, codes: np.ndarray) -> list[str]:
    lookup = {int(v): v.name.lower() for v in enum}
    return [lookup[int(c)] for c in codes]


def intents_table(
    records: np.ndarray, times_ns: np.ndarray, symbols: Sequence[str]
) -> pd.DataFrame:
    """The intents as a table with :data:`INTENT_COLUMNS` (see the module docstring).

    Parameters
    ----------
    records : ndarray of intent_dt
        In decision order.
    times_ns : ndarray of int64
        Open time (epoch ns) of every bar, indexed by the records' ``decision_bar``.
    symbols : sequence of str
        The market of every asset column, indexed by the records' ``asset``.

    Examples
    --------
    >>> import numpy as np
    >>> from soltrader.domain.state import intent_dt
    >>> rec = np.zeros(1, dtype=intent_dt)
    >>> rec["side"], rec["quantity"], rec["limit_price"], rec["stop_price"] = 1, 0.5, np.nan, np.nan
    >>> intents_table(rec, np.array([0]), ["SOL/USDT"]).iloc[0].tolist()
    ['1970-01-01T00:00:00Z', 'SOL/USDT', 'buy', 'market', 'entry', '', '0.5', 'base']
    """
    if records.dtype.names is None or "decision_bar" not in records.dtype.names:
        raise ParameterError("records", "expected intent_dt records")
    bars = records["decision_bar"]
    if len(bars) and (bars.min() < 0 or bars.max() >= len(times_ns)):
        raise ParameterError(
            "times_ns", f"has {len(times_ns)} bars; an intent names bar {bars.max()}"
        )
    times = pd.to_datetime(np.asarray(times_ns, dtype=np.int64)[bars], unit="ns", utc=True)
    kind = records["kind"]
    price = np.where(kind == OrderType.LIMIT, records["limit_price"], records["stop_price"])
    price = np.where(kind == OrderType.MARKET, np.nan, price)
    return pd.DataFrame(
        {
            "bar_time": times.strftime("%Y-%m-%dT%H:%M:%S").to_numpy() + _fraction(times),
            "symbol": [symbols[int(a)] for a in records["asset"]],
            "side": _names(Side, records["side"]),
            "kind": _names(OrderType, kind),
            "reason": _names(IntentReason, records["reason"]),
            "price": ["" if np.isnan(p) else repr(float(p)) for p in price],
            "size": [repr(float(q)) for q in records["quantity"]],
            "size_unit": _names(QuantityUnit, records["unit"]),
        },
        columns=list(INTENT_COLUMNS),
    )


def _fraction(times: pd.DatetimeIndex) -> np.ndarray:
    """Sub-second digits where a time has them, then the UTC designator."""
    ns = np.asarray(times.asi8) % 10**9
    return np.array(["Z" if f == 0 else f".{f:09d}".rstrip("0") + "Z" for f in ns], dtype=object)


def backtest_intents(
    data: Any, strategy: Strategy, *, symbols: Sequence[str] | None = None, **kwargs: Any
) -> pd.DataFrame:
    """The backtest's intents on ``data``: the strategy's signals computed once on the whole
    history (as :func:`~soltrader.backtest` does) and the decision core stepped bar by bar
    (``PaperLoop.for_data(signals="full")``), as an :func:`intents_table`.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or dict of them
        OHLCV bars, as :func:`~soltrader.backtest` takes them; a dict's keys are the symbols.
    strategy : Strategy
        The strategy spec.
    symbols : sequence of str, optional
        The market of each asset column (default: the dict's keys, or ``"asset"``).
    **kwargs
        Its parameters and the backtest keywords (not ``fill="close"``: see
        :func:`~soltrader.paper_replay`).

    Examples
    --------
    >>> import soltrader as st
    >>> bars = st.data.load("SOL/USDT", "1m").head(2000)                      # doctest: +SKIP
    >>> backtest_intents(bars, st.strategies.sma_cross, fast=10, slow=50).head(2)  # doctest: +SKIP
    """
    loop = PaperLoop.for_data(data, strategy, signals="full", **kwargs)
    market = loop.market
    cols = _market_columns(market)
    for t in range(market.shape[0]):
        loop.step(int(market.ticks[t]), *(c[t] for c in cols))
    return intents_table(loop.intents(), market.ticks, symbols or market.assets)


def intents_csv(table: pd.DataFrame) -> str:
    """The table as CSV text (header, then one row per intent, ``\\n`` line ends)."""
    return table.to_csv(index=False, lineterminator="\n")


__all__ = ["INTENT_COLUMNS", "backtest_intents", "intents_csv", "intents_table"]
