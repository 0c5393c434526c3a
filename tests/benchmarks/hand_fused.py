"""The canonical sweep written by hand as one parallel numba kernel: the speed ceiling the fused
sweep is measured against (not part of the library).

Rules of vectorbt's ``from_signals`` for this case: signals at the close fill at that close with
slippage, a 2 % stop anchored on the entry bar's close and checked from the next bar on (fill at
the level, or at the open when the bar opens through it: real bars gap), fees on both sides,
all cash in, an entry smaller than ``min_size`` units refused (vectorbt's 1e-8, as soltrader's
vectorbt conventions: a ruined account stops trading); statistics: total return, Sharpe (per-bar
returns, ddof 1, one-pass sums), max drawdown. The averages are the library's running sums
(``sma_1d_nb``: shifted by a recent price and re-anchored periodically): a plain
prefix sum rounds differently, and on real prices, where the two averages are often equal or
within an ulp, it would cross on other bars than soltrader and vectorbt do.
"""

import numpy as np
from numba import njit, prange

from soltrader.indicators.nb import sma_1d_nb


@njit(cache=True, nogil=True, parallel=True)
def hand_fused_nb(
    open_, high, low, close, fasts, slows, sl, fees, slip, init_cash, min_size, ppy, out
):
    """Total return, Sharpe and max drawdown of every (fast, slow) pair into ``out``."""
    n = close.shape[0]
    k = fasts.shape[0]
    for i in prange(k):
        f = np.empty(n)
        s = np.empty(n)
        sma_1d_nb(close, fasts[i], f)
        sma_1d_nb(close, slows[i], s)
        cash = init_cash
        units = 0.0
        stop = 0.0
        was_below = False
        was_above = False
        up = -1
        down = -1
        prev_v = init_cash
        peak = init_cash
        max_dd = 0.0
        tot = 0.0
        tot2 = 0.0
        for t in range(n):
            a = f[t]
            b = s[t]
            entry = False
            exit_ = False
            if np.isnan(a) or np.isnan(b):
                was_below = False
                was_above = False
                up = -1
                down = -1
            elif a > b:
                if was_below:
                    up += 1
                    entry = up == 0
                down = -1
                was_above = True
            elif a == b:
                up = -1
                down = -1
            else:
                if was_above:
                    down += 1
                    exit_ = down == 0
                up = -1
                was_below = True
            stopped = False
            if units > 0.0:
                if low[t] <= stop:
                    price = min(open_[t], stop)
                    cash += units * price * (1.0 - fees)
                    units = 0.0
                    stopped = True
            if not stopped:
                if units > 0.0 and exit_:
                    price = close[t] * (1.0 - slip)
                    cash += units * price * (1.0 - fees)
                    units = 0.0
                elif units == 0.0 and entry:
                    price = close[t] * (1.0 + slip)
                    size = cash / (1.0 + fees) / price
                    if size >= min_size:
                        units = size
                        cash = 0.0
                        stop = close[t] * (1.0 - sl)
            v = cash + units * close[t]
            r = v / prev_v - 1.0
            tot += r
            tot2 += r * r
            prev_v = v
            if v > peak:
                peak = v
            else:
                dd = 1.0 - v / peak
                if dd > max_dd:
                    max_dd = dd
        mean = tot / n
        std = np.sqrt(max(tot2 - n * mean * mean, 0.0) / (n - 1))
        out[i, 0] = prev_v / init_cash - 1.0
        # no trade: every return is 0, Sharpe 0/0 is nan (as soltrader; vectorbt says inf)
        out[i, 1] = mean / std * np.sqrt(ppy) if std > 0.0 else np.nan
        out[i, 2] = max_dd
