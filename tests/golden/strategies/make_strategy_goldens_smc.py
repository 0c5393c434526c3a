"""Write ``smc_order_block_sol_1h.json``: the SMC order-block strategy on the bundled SOL/USDT 1h.

Run from the project root whenever the strategy's rules change on purpose (and say why in the
change)::

    python tests/golden/strategies/make_strategy_goldens_smc.py

Cases, each for mode A and mode B, with ``fees=0.001`` and the strategy's fixed backtest
keywords (:func:`soltrader.strategies.smc_order_block.smc_backtest_kwargs`):

``default``
    The default parameters: 40 % margin at 20x on fresh order blocks, 30 % at 10x on breakers
    (the leverage per entry, from the signals' per-bar ``leverage``), whole SOL contracts from a
    capital of 10,000 USDT. Every trade is stored in full.
``unlevered``
    The same rules sized at 1x (``sizing="percent"``, fresh margin 100 %, breaker 75 %), so that
    the account survives the whole history and every part of it is exercised. Too many trades to
    store: their count, the SHA-256 of their integer fields (entry bar, exit bar, direction,
    exit reason) and the first 20 in full.

Each case also stores a fingerprint of the signals over all bars (counts, the SHA-256 of the
bars of every signal and of the zone behind every entry, and the number of entries at each
leverage) and the statistics of the result.
``case_outcome`` is imported by ``tests/unit/test_strategy_smc.py`` so the test recomputes
exactly what this script stored.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import soltrader as st
from soltrader.strategies import Bars
from soltrader.strategies.smc_order_block import (
    MODES,
    SIZINGS,
    smc_backtest_kwargs,
    smc_order_block,
    smc_order_block_nb,
)

OUT = Path(__file__).with_name("smc_order_block_sol_1h.json")
FEES = 0.001
STATS = (
    "total_return",
    "sharpe",
    "max_drawdown",
    "n_trades",
    "win_rate",
    "profit_factor",
    "fees_paid",
    "exposure",
)
TRADE_FIELDS = (
    "direction",
    "entry_bar",
    "exit_bar",
    "entry_price",
    "exit_price",
    "size",
    "fees",
    "pnl",
    "exit_reason",
    "is_open",
)
CASES: dict[str, dict[str, Any]] = {
    "default": {},
    "unlevered": {
        "sizing": "percent",
        "fresh_margin": 1.0,
        "fresh_leverage": 1.0,
        "breaker_margin": 0.75,
        "breaker_leverage": 1.0,
    },
}
FULL_TRADES = {"default": None, "unlevered": 20}


def load_bars() -> pd.DataFrame:
    """The bundled SOL/USDT 1h bars (its known exchange gaps are reported, not filled)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return st.data.load("SOL/USDT", "1h")


def as_bars(frame: pd.DataFrame) -> Bars:
    """The frame as :class:`Bars`."""
    return Bars(
        *(frame[k].to_numpy(np.float64) for k in ("open", "high", "low", "close", "volume"))
    )


def kernel_outputs(frame: pd.DataFrame, mode: str, **params: Any) -> tuple[np.ndarray, ...]:
    """The kernel's outputs for ``params`` (defaults completed), zone ids included."""
    p = smc_order_block.resolve(mode=mode, **params)
    b = as_bars(frame)
    return smc_order_block_nb(
        b.open,
        b.high,
        b.low,
        b.close,
        MODES[p["mode"]],
        p["left"],
        p["right"],
        p["atr_n"],
        float(p["approach_atr"]),
        float(p["stop_atr"]),
        np.array([p["fresh_tp_atr"], p["breaker_tp_atr"]], dtype=np.float64),
        np.array([p["fresh_penetration"], p["breaker_penetration"]], dtype=np.float64),
        np.array([True, p["trade_breakers"]]),
        float(p["partial_fraction"]),
        bool(p["allow_short"]),
        np.array([p["fresh_margin"], p["breaker_margin"]], dtype=np.float64),
        np.array([p["fresh_leverage"], p["breaker_leverage"]], dtype=np.float64),
        SIZINGS[p["sizing"]],
        float(p["capital"]),
        float(p["contract_size"]),
    )


def sha256(*arrays: np.ndarray) -> str:
    """SHA-256 of int64 little-endian arrays, one after the other."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype="<i8").tobytes())
    return h.hexdigest()


def signal_fingerprint(out: tuple[np.ndarray, ...]) -> dict[str, Any]:
    """Counts of the four signal arrays, a hash of where they are and which zones they use, and
    the number of entries at each leverage."""
    names = ("entries", "exits", "short_entries", "short_exits")
    flags = dict(zip(names, out[:4], strict=True))
    leverage, zone = out[10], out[11]
    where = [np.flatnonzero(v) for v in flags.values()]
    levels, counts = np.unique(
        leverage[flags["entries"] | flags["short_entries"]], return_counts=True
    )
    return {
        **{k: int(v.sum()) for k, v in flags.items()},
        "sha256": sha256(*where, zone[zone >= 0]),
        "entries_by_leverage": {f"{v:g}": int(c) for v, c in zip(levels, counts, strict=True)},
    }


def _plain(value: Any) -> Any:
    """A JSON value: floats (None for NaN), ints, bools, strings."""
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value


def trade_rows(trades: pd.DataFrame, limit: int | None) -> list[dict[str, Any]]:
    """Trades as JSON rows (the first ``limit``, or all)."""
    rows = trades[list(TRADE_FIELDS)].head(limit if limit is not None else len(trades))
    return [{k: _plain(v) for k, v in row.items()} for row in rows.to_dict("records")]


def case_outcome(frame: pd.DataFrame, case: str, mode: str) -> dict[str, Any]:
    """Everything stored for one case and mode."""
    params = CASES[case]
    res = st.smc_backtest(frame, mode=mode, fees=FEES, **params)
    trades = res.trades
    stats = res.stats()
    r = res.trades_records
    return {
        "params": {"mode": mode, **params},
        "backtest": {"fees": FEES, **smc_backtest_kwargs(mode=mode, **params)},
        "signals": signal_fingerprint(kernel_outputs(frame, mode, **params)),
        "stats": {k: _plain(stats[k]) for k in STATS},
        "n_trades_records": len(trades),
        "trades_sha256": sha256(r["entry_bar"], r["exit_bar"], r["direction"], r["exit_reason"]),
        "trades": trade_rows(trades, FULL_TRADES[case]),
    }


def main() -> None:
    frame = load_bars()
    out = {
        "description": "smc_order_block on the bundled Binance SOL/USDT 1h bars "
        f"({len(frame)} bars, {frame.index[0]} .. {frame.index[-1]}), fees {FEES}; written by "
        "make_strategy_goldens_smc.py",
        "cases": {
            f"{case}_{mode}": case_outcome(frame, case, mode) for case in CASES for mode in MODES
        },
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    for name, c in out["cases"].items():
        print(name, c["stats"])


if __name__ == "__main__":
    main()
