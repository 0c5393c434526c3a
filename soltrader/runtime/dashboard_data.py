"""What the dashboard shows, computed from a journal opened read-only (and the runner's health).

Every number comes from the journal, the single source of truth: the equity curve and balances
from its bars, positions, round trips and win rate from its fills (average cost, fees included),
open orders from its venue orders; the runner's ``/health`` adds the feed lag, the venue's
breakers and the API usage when a runner is running. "Today" is the UTC day of the last bar
decided (a replay's day, not the wall clock's).

The ledger is checked by an identity: realised + unrealised P&L equals equity minus the starting
cash, to rounding (``tests/e2e/test_dashboard.py``).
"""

from __future__ import annotations

import inspect
from typing import Any, NamedTuple

import numpy as np

from soltrader.domain.enums import ExitReason
from soltrader.engine.backtest import backtest_signals
from soltrader.engine.live_spec import LiveSpec
from soltrader.runtime.control import MODE_KEY
from soltrader.runtime.journal import Journal

_MS_PER_DAY = 86_400_000
#: Points of the equity curve sent to the page at most (evenly thinned; the last is exact).
MAX_CURVE_POINTS = 1500
RECENT_TRADES = 25
_EXIT_NAMES = {int(r): r.name.lower() for r in ExitReason}
_OPEN_ORDER_STATES = ("sending", "accepted")


class Ledger(NamedTuple):
    """The fills folded at average cost: the open position (signed base units), its cost
    (quote, fees included; negative for a short), the realised P&L (quote, after fees) and the
    P&L of every closed round trip (flat to flat, or to a reversal)."""

    position: float
    cost: float
    realised: float
    trips: tuple[float, ...]

    @property
    def avg_entry(self) -> float:
        """Average entry price of the open position, fees included (NaN when flat)."""
        return self.cost / self.position if self.position else float("nan")

    def unrealised(self, price: float) -> float:
        """Unrealised P&L at ``price`` (quote)."""
        return self.position * price - self.cost if self.position else 0.0


def ledger(fills: np.ndarray) -> Ledger:
    """Fold :data:`~soltrader.domain.records.fill_dt` fills at average cost.

    Examples
    --------
    >>> from soltrader.domain.records import fill_dt
    >>> f = np.zeros(3, dtype=fill_dt)
    >>> f["side"], f["size"], f["price"] = [1, -1, -1], [2.0, 1.0, 1.0], [10.0, 12.0, 9.0]
    >>> led = ledger(f)
    >>> led.realised, led.trips, led.position
    (1.0, (1.0,), 0.0)
    """
    pos = cost = realised = trip = 0.0
    trips: list[float] = []
    for fill in fills:
        size, price, fee = float(fill["size"]), float(fill["price"]), float(fill["fees"])
        q = size if int(fill["side"]) > 0 else -size
        if pos == 0.0 or (q > 0) == (pos > 0):
            pos, cost = pos + q, cost + q * price + fee
            continue
        closed = min(abs(q), abs(pos))
        fee_closed = fee * closed / abs(q)
        avg = cost / pos
        gain = closed * (price - avg) * (1.0 if pos > 0 else -1.0) - fee_closed
        realised, trip = realised + gain, trip + gain
        sign = 1.0 if pos > 0 else -1.0
        pos -= sign * closed
        cost = avg * pos
        if abs(pos) < 1e-12 * max(1.0, closed):
            pos, cost = 0.0, 0.0
            trips.append(trip)
            trip = 0.0
            rest = abs(q) - closed
            if rest > 0:
                pos, cost = np.sign(q) * rest, np.sign(q) * rest * price + (fee - fee_closed)
    return Ledger(float(pos), float(cost), float(realised), tuple(trips))


def init_cash(spec: LiveSpec) -> float:
    """The starting cash of a spec's account (``[params] init_cash``, else the backtest's
    default), quote currency."""
    default = inspect.signature(backtest_signals).parameters["init_cash"].default
    return float(spec.params.get("init_cash", default))


def _curve(times_ms: np.ndarray, equity: np.ndarray) -> dict[str, list[float]]:
    n = len(equity)
    if n > MAX_CURVE_POINTS:
        keep = np.unique(np.linspace(0, n - 1, MAX_CURVE_POINTS).round().astype(np.int64))
        times_ms, equity = times_ms[keep], equity[keep]
    return {"t": (times_ms / 1000.0).tolist(), "equity": equity.tolist()}


def _pnl_today(times_ms: np.ndarray, equity: np.ndarray, start: float) -> float:
    """Equity now minus equity at the end of the UTC day before the last bar's."""
    if not len(equity):
        return 0.0
    midnight = times_ms[-1] // _MS_PER_DAY * _MS_PER_DAY
    before = np.flatnonzero(times_ms < midnight)
    return float(equity[-1] - (equity[before[-1]] if len(before) else start))


def _trades(fills: np.ndarray, times_ms: np.ndarray, bar_index: np.ndarray) -> list[dict]:
    out = []
    for fill in fills[-RECENT_TRADES:][::-1]:
        at = np.searchsorted(bar_index, int(fill["bar"]))
        when = int(times_ms[at]) if at < len(times_ms) else None
        reason = int(fill["reason"])
        out.append(
            {
                "time_ms": when,
                "side": "buy" if int(fill["side"]) > 0 else "sell",
                "size": float(fill["size"]),
                "price": float(fill["price"]),
                "fees": float(fill["fees"]),
                "reason": "entry" if reason < 0 else _EXIT_NAMES.get(reason, str(reason)),
            }
        )
    return out


def _positions(spec: LiveSpec, led: Ledger, last_close: float) -> list[dict[str, Any]]:
    if not led.position:
        return []
    return [
        {
            "symbol": spec.data.symbol,
            "qty": led.position,
            "avg_entry": led.avg_entry,
            "last": last_close,
            "unrealised": led.unrealised(last_close),
        }
    ]


def strategy_view(
    spec: LiveSpec, name: str, journal: Journal, health: dict[str, Any] | None
) -> dict[str, Any]:
    """Everything the page shows of one spec, read from its journal in one go.

    Parameters
    ----------
    spec : LiveSpec
        The spec (market, strategy, starting cash).
    name : str
        How the page names it (the spec file's stem).
    journal : Journal
        Its journal, opened read-only.
    health : dict, optional
        The running runner's ``/health`` answer (None: no runner is running).
    """
    status = journal.status()
    bars, eq, fills = journal.bars(), journal.equity(), journal.fills()
    # the reads are separate snapshots: cut them to the bars all of them have (a runner may
    # commit a bar in between), so every number on the page is of the same bar
    n = min(len(bars), len(eq))
    bars, eq = bars[:n], eq[:n]
    if n:
        fills = fills[fills["bar"] <= bars["bar"][-1]]
    else:
        fills = fills[:0]
    times = bars["open_time_ms"].astype(np.int64)
    equity = eq["equity"].astype(np.float64)
    start = init_cash(spec)
    last_close = float(bars["close"][-1]) if len(bars) else float("nan")
    led = ledger(fills)
    base, _, quote = spec.data.symbol.partition("/")
    wins = sum(1 for t in led.trips if t > 0)
    now_equity = float(equity[-1]) if len(equity) else start
    return {
        "name": name,
        "strategy": spec.strategy.name,
        "symbol": spec.data.symbol,
        "timeframe": spec.data.timeframe,
        "venue": spec.live.venue,
        "base": base,
        "quote": quote,
        "bars": n,
        "last_open_time_ms": int(times[-1]) if n else None,
        "last_close": last_close,
        "equity": now_equity,
        "start_cash": start,
        "pnl_total": now_equity - start,
        "pnl_today": _pnl_today(times, equity, start),
        "realised": led.realised,
        "unrealised": led.unrealised(last_close),
        "round_trips": len(led.trips),
        "win_rate": wins / len(led.trips) if led.trips else None,
        "balances": {
            "cash": float(eq["cash"][-1]) if n else start,
            "position": float(eq["position"][-1]) if n else 0.0,
        },
        "positions": _positions(spec, led, last_close),
        "open_orders": [
            o._asdict() for o in journal.venue_orders() if o.state in _OPEN_ORDER_STATES
        ],
        "trades": _trades(fills, times, bars["bar"]),
        "fills": len(fills),
        "halted": None if status.halted is None else status.halted.reason,
        "mode": status.meta.get(MODE_KEY, "normal"),
        "quarantined": int(status.quarantined),
        "curve": _curve(times, equity),
        "health": health,
    }


__all__ = ["MAX_CURVE_POINTS", "Ledger", "init_cash", "ledger", "strategy_view"]
