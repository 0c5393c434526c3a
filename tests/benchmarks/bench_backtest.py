"""One backtest of sma_cross (fast 20, slow 100, 2 % stop, 10 bps fees, 5 bps slippage) on
1,000,000 one-minute bars, timed against vectorbt ``Portfolio.from_signals`` (same conventions)
and backtesting.py in the same run; plus soltrader's first call with an empty numba cache.

The bars are a seeded geometric Brownian motion (timing only; correctness is tested on real data).
Never asserts a time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

N_BARS = 1_000_000
FAST, SLOW, SL, FEES, SLIPPAGE = 20, 100, 0.02, 0.001, 0.0005
ROOT = Path(__file__).resolve().parents[2]


def gbm_bars(n: int = N_BARS, seed: int = 42) -> pd.DataFrame:
    """Seeded GBM 1-minute OHLCV bars (prices around 100)."""
    from soltrader.data.schema import ohlcv_frame

    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n)))
    open_ = np.concatenate([[100.0], close[:-1]])
    wick = np.abs(rng.normal(0.0, 0.0008, n)) * close
    high = np.maximum(open_, close) + wick
    low = np.minimum(open_, close) - wick
    volume = rng.lognormal(3.0, 1.0, n)
    return ohlcv_frame(1_600_000_000_000 + 60_000 * np.arange(n), open_, high, low, close, volume)


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


COLD_SCRIPT = """
import time, sys
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
import soltrader as st
from tests.benchmarks.bench_backtest import gbm_bars
bars = gbm_bars()
t1 = time.perf_counter()
st.backtest(bars, st.strategies.sma_cross, fast=20, slow=100, sl_stop=0.02, fees=0.001,
            slippage=0.0005)
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def soltrader_cold() -> tuple[float, float]:
    """(import + data seconds, first-call seconds) in a fresh process with an empty numba cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        done = subprocess.run(
            [sys.executable, "-c", COLD_SCRIPT.format(root=str(ROOT))],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=600,
        )
    setup, first = (float(v) for v in done.stdout.split())
    return setup, first


def vectorbt_rows(bars: pd.DataFrame, ours_final: float, ours_s: float) -> list[dict]:
    import vectorbt as vbt

    close = bars["close"]
    kw = dict(
        open=bars["open"],
        high=bars["high"],
        low=bars["low"],
        sl_stop=SL,
        fees=FEES,
        slippage=SLIPPAGE,
        init_cash=10_000.0,
        freq="1min",
    )

    def full() -> object:
        fast = vbt.MA.run(close, FAST).ma
        slow = vbt.MA.run(close, SLOW).ma
        entries = fast.vbt.crossed_above(slow)
        exits = fast.vbt.crossed_below(slow)
        return vbt.Portfolio.from_signals(close, entries, exits, **kw)

    fast, slow = vbt.MA.run(close, FAST).ma, vbt.MA.run(close, SLOW).ma
    entries, exits = fast.vbt.crossed_above(slow), fast.vbt.crossed_below(slow)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full_s, pf = best_of(full, 3)
        sim_s, _ = best_of(lambda: vbt.Portfolio.from_signals(close, entries, exits, **kw), 3)
        final = float(pf.value().iloc[-1])
    return [
        {
            "case": "vectorbt MA + crossover + from_signals",
            "seconds": full_s,
            "bars_per_s": N_BARS / full_s,
            "soltrader_speedup": full_s / ours_s,
            "final_equity": final,
            "rel_diff_vs_soltrader": abs(final / ours_final - 1.0),
        },
        {
            "case": "vectorbt from_signals only",
            "seconds": sim_s,
            "bars_per_s": N_BARS / sim_s,
            "soltrader_speedup": sim_s / ours_s,
        },
    ]


def backtesting_py_row(bars: pd.DataFrame, ours_s: float) -> dict:
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    def sma(values: np.ndarray, n: int) -> np.ndarray:
        return pd.Series(values).rolling(n).mean().to_numpy()

    class SmaCross(Strategy):
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, FAST)
            self.slow = self.I(sma, self.data.Close, SLOW)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                self.buy(sl=self.data.Close[-1] * (1 - SL))
            elif crossover(self.slow, self.fast):
                self.position.close()

    frame = bars.rename(columns=str.capitalize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = Backtest(
            frame, SmaCross, cash=1_000_000, commission=FEES, spread=SLIPPAGE, finalize_trades=True
        )
        start = time.perf_counter()
        stats = bt.run()
        seconds = time.perf_counter() - start
    return {
        "case": "backtesting.py 0.6.6 (one run)",
        "seconds": seconds,
        "bars_per_s": N_BARS / seconds,
        "soltrader_speedup": seconds / ours_s,
        "n_trades": int(stats["# Trades"]),
    }


def run() -> list[dict]:
    import soltrader as st

    bars = gbm_bars()
    kw = dict(fast=FAST, slow=SLOW, sl_stop=SL, fees=FEES, slippage=SLIPPAGE)
    st.backtest(bars, st.strategies.sma_cross, fill="close", conventions="vectorbt", **kw)
    vbt_s, res = best_of(
        lambda: st.backtest(
            bars, st.strategies.sma_cross, fill="close", conventions="vectorbt", **kw
        ),
        5,
    )
    default_s, res_default = best_of(lambda: st.backtest(bars, st.strategies.sma_cross, **kw), 5)
    ours_final = float(res.equity.iloc[-1])
    setup_s, cold_s = soltrader_cold()
    rows = [
        {
            "case": "soltrader st.backtest, vectorbt conventions (warm)",
            "seconds": vbt_s,
            "bars_per_s": N_BARS / vbt_s,
            "final_equity": ours_final,
            "n_trades": len(res.trades_records),
        },
        {
            "case": "soltrader st.backtest, default next-open fills (warm)",
            "seconds": default_s,
            "bars_per_s": N_BARS / default_s,
            "n_trades": len(res_default.trades_records),
        },
        {
            "case": "soltrader first call, numba cache empty",
            "seconds": cold_s,
            "setup_seconds": setup_s,
        },
    ]
    rows += vectorbt_rows(bars, ours_final, vbt_s)
    rows.append(backtesting_py_row(bars, vbt_s))
    return rows
