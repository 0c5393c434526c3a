"""The canonical sweep written by hand as one parallel numba kernel: the speed ceiling the fused
sweep is measured against (not part of the library).

Rules of vectorbt's ``from_signals`` for this case: signals at the close fill at that close with
slippage, a 2 % stop anchored on the entry bar's close and checked from the next bar on (fill at
the level, or the open on a gap is ignored here: the bars are continuous), fees on both sides,
all cash in; statistics: total return, Sharpe (per-bar returns, ddof 1, one-pass sums), max
drawdown.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _sma_into(x, w, out):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i]
        if i >= w:
            s -= x[i - w]
        out[i] = s / w if i >= w - 1 else np.nan


@njit(cache=True, nogil=True, parallel=True)
def hand_fused_nb(high, low, close, fasts, slows, sl, fees, slip, init_cash, ppy, out):
    """Total return, Sharpe and max drawdown of every (fast, slow) pair into ``out``."""
    n = close.shape[0]
    k = fasts.shape[0]
    for i in prange(k):
        f = np.empty(n)
        s = np.empty(n)
        _sma_into(close, fasts[i], f)
        _sma_into(close, slows[i], s)
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
                    price = stop
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
                    units = cash / (1.0 + fees) / price
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
