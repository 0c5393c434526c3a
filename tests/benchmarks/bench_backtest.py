"""One backtest of sma_cross (fast 20, slow 100, 2 % stop, 10 bps fees, 5 bps slippage) on
1,000,000 one-minute bars, timed against vectorbt ``Portfolio.from_signals`` (same conventions)
and backtesting.py in the same run; plus soltrader's first call with an empty numba cache.

End to end means from the bars to a result with its statistics: soltrader ``st.backtest`` and
``Result.stats()``; vectorbt's indicators, signals, ``from_signals`` and ``pf.stats()``;
backtesting.py's ``Backtest(...).run()``, which computes its statistics. soltrader: best of 7
after one untimed call; vectorbt: best of 3; backtesting.py: one run.

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


def real_bars(n: int = N_BARS) -> pd.DataFrame:
    """The bundled SOL/USDT 1m bars (Binance, 111,920 bars) repeated to ``n`` bars.

    Each further copy's prices are scaled by the previous copy's last close over the raw first
    open, so the series continues where the last copy ended (a positive factor keeps every bar's
    OHLC order); volumes are as stored; bar times continue one minute apart from the first.
    """
    import soltrader as st
    from soltrader.data.schema import ohlcv_frame

    raw = st.data.load("SOL/USDT", "1m", validate=False, source="sample")
    cols = {c: raw[c].to_numpy() for c in ("open", "high", "low", "close", "volume")}
    scale, scales = 1.0, []
    for _ in range(-(-n // len(raw))):
        scales.append(np.full(len(raw), scale))
        scale = cols["close"][-1] * scale / cols["open"][0]
    factor = np.concatenate(scales)[:n]
    prices = [np.tile(cols[c], len(scales))[:n] * factor for c in ("open", "high", "low", "close")]
    volume = np.tile(cols["volume"], len(scales))[:n]
    start = int(raw.index[0].value // 1_000_000)
    return ohlcv_frame(start + 60_000 * np.arange(n), *prices, volume)


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
    """vectorbt end to end (indicators, signals, ``from_signals`` and ``pf.stats()``, its panel
    of statistics like ``Result.stats()``), without the statistics, and ``from_signals`` alone;
    ``soltrader_speedup`` is over soltrader's end-to-end time with vectorbt conventions."""
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

    def portfolio() -> object:
        fast = vbt.MA.run(close, FAST).ma
        slow = vbt.MA.run(close, SLOW).ma
        entries = fast.vbt.crossed_above(slow)
        exits = fast.vbt.crossed_below(slow)
        return vbt.Portfolio.from_signals(close, entries, exits, **kw)

    def end_to_end() -> tuple[object, object]:
        pf = portfolio()
        return pf, pf.stats()

    fast, slow = vbt.MA.run(close, FAST).ma, vbt.MA.run(close, SLOW).ma
    entries, exits = fast.vbt.crossed_above(slow), fast.vbt.crossed_below(slow)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e2e_s, (pf, _) = best_of(end_to_end, 3)
        full_s, _ = best_of(portfolio, 3)
        sim_s, _ = best_of(lambda: vbt.Portfolio.from_signals(close, entries, exits, **kw), 3)
        final = float(pf.value().iloc[-1])
    return [
        {
            "case": "vectorbt MA + crossover + from_signals + pf.stats() (end to end)",
            "seconds": e2e_s,
            "bars_per_s": N_BARS / e2e_s,
            "soltrader_speedup": e2e_s / ours_s,
            "final_equity": final,
            "rel_diff_vs_soltrader": abs(final / ours_final - 1.0),
        },
        {
            "case": "vectorbt MA + crossover + from_signals (no statistics)",
            "seconds": full_s,
            "bars_per_s": N_BARS / full_s,
            "soltrader_speedup": full_s / ours_s,
        },
        {
            "case": "vectorbt from_signals only",
            "seconds": sim_s,
            "bars_per_s": N_BARS / sim_s,
            "soltrader_speedup": sim_s / ours_s,
        },
    ]


def backtesting_py_row(bars: pd.DataFrame, ours_s: float) -> dict:
    """backtesting.py end to end: ``Backtest(...)`` (its input checks) and ``run()`` (which
    computes its statistics); ``soltrader_speedup`` is over soltrader's end-to-end time with the
    default next-open fills (backtesting.py's own fill rule)."""
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
        start = time.perf_counter()
        stats = Backtest(
            frame, SmaCross, cash=1_000_000, commission=FEES, spread=SLIPPAGE, finalize_trades=True
        ).run()
        seconds = time.perf_counter() - start
    return {
        "case": "backtesting.py 0.6.6 Backtest(...).run() with its statistics (one run)",
        "seconds": seconds,
        "bars_per_s": N_BARS / seconds,
        "soltrader_speedup": seconds / ours_s,
        "n_trades": int(stats["# Trades"]),
    }


def _ratio(case: str, value: float, target: str) -> dict:
    bound = float(target.split()[1])
    met = value <= bound if target.startswith("<=") else value >= bound
    return {"case": case, "value": value, "target": target, "meets_target": bool(met)}


def run() -> list[dict]:
    import soltrader as st

    bars = gbm_bars()
    kw = dict(fast=FAST, slow=SLOW, sl_stop=SL, fees=FEES, slippage=SLIPPAGE)
    conventions = {
        "vectorbt conventions": dict(fill="close", conventions="vectorbt"),
        "default next-open fills": {},
    }
    rows, ours = [], {}
    for name, extra in conventions.items():

        def bt(extra: dict = extra) -> object:
            return st.backtest(bars, st.strategies.sma_cross, **extra, **kw)

        def e2e(bt: Callable[[], object] = bt) -> tuple[object, object]:
            res = bt()
            return res, res.stats()

        e2e()
        e2e_s, (res, stats) = best_of(e2e, 7)
        bt_s, _ = best_of(bt, 7)
        ours[name] = (e2e_s, res)
        rows.append(
            {
                "case": f"soltrader st.backtest + Result.stats() (end to end), {name} (warm)",
                "seconds": e2e_s,
                "bars_per_s": N_BARS / e2e_s,
                "backtest_only_s": bt_s,
                "stats_s": e2e_s - bt_s,
                "final_equity": float(stats["end_value"]),
                "n_trades": len(res.trades_records),
            }
        )
    setup_s, cold_s = soltrader_cold()
    rows.append(
        {
            "case": "soltrader first call, numba cache empty",
            "seconds": cold_s,
            "setup_seconds": setup_s,
        }
    )
    vbt_s, vbt_res = ours["vectorbt conventions"]
    def_s = ours["default next-open fills"][0]
    vbt_rows = vectorbt_rows(bars, float(vbt_res.equity.iloc[-1]), vbt_s)
    bpy = backtesting_py_row(bars, def_s)
    rows += [*vbt_rows, bpy]
    rows += [
        _ratio(
            "ratio: backtesting.py end to end / soltrader end to end (default next-open fills)",
            bpy["seconds"] / def_s,
            ">= 300",
        ),
        _ratio(
            "ratio: backtesting.py end to end / soltrader end to end (vectorbt conventions)",
            bpy["seconds"] / vbt_s,
            ">= 300",
        ),
        _ratio(
            "ratio: vectorbt end to end (with pf.stats()) / soltrader end to end (vectorbt "
            "conventions)",
            vbt_rows[0]["seconds"] / vbt_s,
            ">= 5",
        ),
        _ratio(
            "ratio: vectorbt without statistics / soltrader end to end (vectorbt conventions)",
            vbt_rows[1]["seconds"] / vbt_s,
            ">= 5",
        ),
    ]
    return rows
