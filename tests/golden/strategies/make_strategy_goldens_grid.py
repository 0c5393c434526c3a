"""Write ``grid_sol_1h.json``: the grid strategy's trades and stats on the bundled SOL/USDT 1h.

Run from the project root when a change of the grid's trades is intended (the golden test fails
on any other change)::

    python tests/golden/strategies/make_strategy_goldens_grid.py

The backtest: ``st.backtest(bars, st.strategies.grid, accumulate=True, fees=0.001)`` with the
strategy's default parameters and the simulator's default conventions (fills at the next open,
10,000 quote of starting cash). The grid sells one rung per sell level crossed through partial
exit signals (``exit_size``), so one position can close in several trades: every closed trade
(each part a sell closed) and the open one are stored with their bars, prices, size, fees, P&L
and exit reason, next to the headline stats and the count of partial exit signals.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import soltrader as st
from soltrader.strategies.grid import grid
from soltrader.strategies.spec import Bars

OUT = Path(__file__).resolve().parent / "grid_sol_1h.json"
BACKTEST = {"accumulate": True, "fees": 0.001}
STATS = ("total_return", "sharpe", "max_drawdown", "n_trades")
TRADE_FIELDS = (
    "entry_bar",
    "exit_bar",
    "size",
    "entry_price",
    "exit_price",
    "entry_fees",
    "exit_fees",
    "pnl",
    "exit_reason",
    "is_open",
)


def load() -> Any:
    """The bundled SOL/USDT 1h bars."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", st.SoltraderWarning)  # the sample's 10 real gaps
        return st.data.load("SOL/USDT", "1h")


def run() -> Any:
    """The golden backtest (also used by the test that checks the file)."""
    return st.backtest(load(), grid, **BACKTEST)


def trades_of(result: Any) -> list[dict[str, Any]]:
    """The result's trades as JSON-ready rows."""
    rows = result.trades[list(TRADE_FIELDS)].to_dict(orient="records")
    return [{k: v.item() if hasattr(v, "item") else v for k, v in row.items()} for row in rows]


def partial_exits() -> int:
    """How many of the golden run's exit signals sell only part of the position."""
    df = load()
    sig = grid(
        Bars(*(df[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close", "volume")))
    )
    return int((sig.exits & (sig.exit_size < 1.0)).sum())


def main() -> None:
    result = run()
    stats = result.stats()
    payload = {
        "symbol": "SOL/USDT",
        "timeframe": "1h",
        "strategy": "grid",
        "params": dict(grid.params),
        "backtest": BACKTEST,
        "n_bars": len(result.equity),
        "n_fills": len(result.fills),
        "n_partial_exits": partial_exits(),
        "stats": {k: float(stats[k]) for k in STATS},
        "trades": trades_of(result),
    }
    OUT.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {OUT.name}: {len(payload['trades'])} trades, stats {payload['stats']}")


if __name__ == "__main__":
    main()
