"""``st.paper_replay`` of sma_cross over 43,200 one-minute bars with a 2,000-bar window.

The bundled Binance SOL/USDT 1m bars (the last 43,200: 30 days), sma_cross 20/100 with a 2 %
stop, 10 bps fees and 5 bps slippage. The replay runs the live loop's calls bar by bar: the
signal function on the last 2,000 bars, the decision step, the paper venue's fill model. Rows:
the replay's wall time, its time per bar and the share spent in the signal function, in the
decision core (fills, decide, mark, intents: one compiled call per bar) and in the loop's
bookkeeping (``Result.timing``); the backtest of the same run, timed in the same process, for
scale; and whether the two gave the same trades and equity (they must). Never asserts a time.
"""

from __future__ import annotations

import time

import numpy as np

import soltrader as st
from tests.conftest import read_sample_bars

N_BARS = 43_200
WINDOW = 2_000
KW = {"fast": 20, "slow": 100, "sl_stop": 0.02, "fees": 0.001, "slippage": 0.0005}


def run() -> list[dict]:
    bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[-N_BARS:]
    st.paper_replay(bars.iloc[:3_000], st.strategies.sma_cross, window=WINDOW, **KW)  # compile
    st.backtest(bars, st.strategies.sma_cross, **KW)
    t0 = time.perf_counter()
    replay = st.paper_replay(bars, st.strategies.sma_cross, window=WINDOW, **KW)
    wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = st.backtest(bars, st.strategies.sma_cross, **KW)
    backtest_s = time.perf_counter() - t0
    timing = replay.timing
    parts = timing.signal_s + timing.core_s + timing.other_s
    same = replay.trades_records.tobytes() == ref.trades_records.tobytes() and np.array_equal(
        replay.account_equity.to_numpy(), ref.account_equity.to_numpy()
    )
    return [
        {
            "case": "paper_replay sma_cross 1m",
            "bars": timing.bars,
            "window": WINDOW,
            "wall_s": wall,
            "per_bar_ms": 1e3 * wall / timing.bars,
            "signal_share": timing.signal_s / parts,
            "core_share": timing.core_s / parts,
            "other_share": timing.other_s / parts,
            "signal_per_bar_ms": 1e3 * timing.signal_s / timing.bars,
            "core_per_bar_us": 1e6 * timing.core_s / timing.bars,
            "other_per_bar_us": 1e6 * timing.other_s / timing.bars,
            "trades": len(ref.trades_records),
            "equals_backtest": bool(same),
        },
        {"case": "backtest sma_cross 1m (reference)", "bars": timing.bars, "wall_s": backtest_s},
    ]
