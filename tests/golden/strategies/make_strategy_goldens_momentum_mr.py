"""Write the golden trade lists of the ``momentum`` and ``mean_reversion`` strategies.

Run from the project root, on purpose only (after a deliberate change of a strategy's rules or
of the simulator), then review the diff of the JSON files::

    python tests/golden/strategies/make_strategy_goldens_momentum_mr.py

Each file holds one backtest: the strategy with its default parameters on the bundled Binance
SOL/USDT 1h bars (``st.data.load("SOL/USDT", "1h")``), ``fees=0.001``, every other backtest
keyword at its default (fills at the next open, all cash per entry unless the strategy sizes).
Stored per trade: entry and exit bar, direction, exit reason, pnl (quote currency, 10
significant digits); and the stats ``total_return``, ``sharpe``, ``max_drawdown``,
``n_trades``, ``win_rate``. The tests compare pnl and stats to a relative 1e-6.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import soltrader as st
from soltrader.strategies.mean_reversion import mean_reversion
from soltrader.strategies.momentum import momentum

HERE = Path(__file__).resolve().parent
SYMBOL, TIMEFRAME, FEES = "SOL/USDT", "1h", 0.001
STATS = ("total_return", "sharpe", "max_drawdown", "n_trades", "win_rate")
TARGETS = {"momentum": momentum, "mean_reversion": mean_reversion}


def _number(x: float) -> float | None:
    """A float rounded to 10 significant digits (None for NaN, which JSON cannot hold)."""
    x = float(x)
    return None if math.isnan(x) else float(f"{x:.10g}")


def golden(strategy: st.strategies.Strategy) -> dict[str, Any]:
    """The golden record of ``strategy`` with its defaults on the bundled SOL/USDT 1h bars."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", st.SoltraderWarning)  # the sample's 10 real gaps
        bars = st.data.load(SYMBOL, TIMEFRAME)
    res = st.backtest(bars, strategy, fees=FEES)
    trades = res.trades
    stats = res.stats()
    return {
        "strategy": strategy.name,
        "data": {
            "symbol": SYMBOL,
            "timeframe": TIMEFRAME,
            "bars": len(bars),
            "first": bars.index[0].isoformat(),
            "last": bars.index[-1].isoformat(),
        },
        "backtest": {"fees": FEES},
        "params": {k: v for k, v in strategy.params.items()},
        "stats": {k: _number(stats[k]) for k in STATS},
        "trades": [
            {
                "entry_bar": int(row.entry_bar),
                "exit_bar": int(row.exit_bar),
                "direction": str(row.direction),
                "exit_reason": str(row.exit_reason),
                "pnl": _number(row.pnl),
            }
            for row in trades.itertuples()
        ],
    }


def dumps(record: dict[str, Any]) -> str:
    """JSON text with one trade per line (short diffs when a trade changes)."""
    head = json.dumps({k: v for k, v in record.items() if k != "trades"}, indent=1)
    rows = ",\n".join("  " + json.dumps(t) for t in record["trades"])
    return f'{head[:-2]},\n "trades": [\n{rows}\n ]\n}}\n'


def main() -> None:
    for name, strategy in TARGETS.items():
        path = HERE / f"{name}_sol_1h.json"
        record = golden(strategy)
        text = dumps(record)
        if json.loads(text) != record:
            raise RuntimeError(f"{path.name}: the JSON text does not read back as the record")
        path.write_text(text)
        print(f"{path.name}: {len(record['trades'])} trades, stats {record['stats']}")


if __name__ == "__main__":
    main()
