"""Write ``arbitrage_sol_binance_gemini.json``: the two-venue arbitrage on real bundled data.

Venue A is Binance SOL/USDT (bundled 1h candles), venue B is Gemini SOL/USD (1h candles built
from the bundled trades of 2025-10-10, the October-2025 crash day). The two series overlap on
that day only, at 1h (the bundled Binance 1m bars end in February 2024), so the shared index is
the 24 hourly bars of 2025-10-10. USDT and USD are taken at par. During the crash (20:00-23:00
UTC) Gemini, the thinner venue, traded 1-4 % above Binance.

Fees: Binance spot's regular taker fee (0.10 %); Gemini ActiveTrader's published base-tier taker
fee (0.40 %) and, in one case, 0.20 % for a higher volume tier. Both legs are centralised
exchanges, so no pool and no Solana transaction cost.

Run from the repository root to regenerate (only when a change of results is intended)::

    python tests/golden/strategies/make_strategy_goldens_arb.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

import soltrader as st

OUT = Path(__file__).resolve().parent / "arbitrage_sol_binance_gemini.json"
DAY = "2025-10-10"
NAMES = ("binance", "gemini")

#: Every case: the keywords of ``arbitrage_inputs`` (besides the two frames and ``names``).
CASES: list[dict[str, Any]] = [
    {
        "name": "close_fill_time_stop",
        "params": {
            "size": 10.0,
            "fees_a": 0.001,
            "fees_b": 0.004,
            "min_edge": 0.003,
            "exit_edge": 0.0,
            "max_bars": 2,
        },
    },
    {
        "name": "close_fill_spread_exit_lower_fee_tier",
        "params": {
            "size": 10.0,
            "fees_a": 0.001,
            "fees_b": 0.002,
            "min_edge": 0.003,
            "exit_edge": 0.012,
            "max_bars": 0,
        },
    },
    {
        "name": "next_open_fill_time_stop",
        "params": {
            "size": 10.0,
            "fees_a": 0.001,
            "fees_b": 0.004,
            "min_edge": 0.003,
            "exit_edge": 0.0,
            "max_bars": 2,
            "fill": "next_open",
        },
    },
]

STATS = ("end_value", "total_return", "fees_paid", "max_drawdown", "n_trades", "exposure")


def venues() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Binance SOL/USDT 1h and Gemini SOL/USD 1h (from trades) over their common day."""
    end = (pd.Timestamp(DAY) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    a = st.data.load("SOL/USDT", "1h", start=DAY, end=end, source="sample")
    trades = st.data.load_trades("SOL/USD", DAY, exchange="gemini")
    b = st.data.candles_from_trades(trades, "1h")
    return a, b[["open", "high", "low", "close", "volume"]]


def _iso(ts: Any) -> str | None:
    return None if pd.isna(ts) else pd.Timestamp(ts).isoformat()


def run_case(a: pd.DataFrame, b: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    """Trades (both legs) and headline statistics of one case."""
    res = st.arbitrage_backtest(a, b, names=NAMES, **params)
    trades = [
        {
            "asset": str(row.asset),
            "direction": str(row.direction),
            "entry_time": _iso(row.entry_time),
            "exit_time": _iso(row.exit_time),
            "entry_price": float(row.entry_price),
            "exit_price": float(row.exit_price),
            "size": float(row.size),
            "fees": float(row.fees),
            "pnl": float(row.pnl),
            "exit_reason": str(row.exit_reason),
            "is_open": bool(row.is_open),
        }
        for row in res.trades.itertuples(index=False)
    ]
    stats = res.stats()
    return {"trades": trades, "stats": {k: float(stats[k]) for k in STATS}}


def main() -> None:
    a, b = venues()
    cases = [{**case, **run_case(a, b, case["params"])} for case in CASES]
    doc = {
        "about": "Two-venue arbitrage, Binance SOL/USDT (a) vs Gemini SOL/USD (b), 1h bars of "
        f"{DAY} (real bundled data); written by make_strategy_goldens_arb.py",
        "bars": len(a),
        "cases": cases,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    for case in cases:
        pnl = sum(t["pnl"] for t in case["trades"])
        print(f"{case['name']}: {len(case['trades'])} trades, pnl {pnl:.4f}")


if __name__ == "__main__":
    main()
