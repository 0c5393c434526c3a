"""Mean reversion: buy an oversold extreme confirmed by both RSI and z-score, sell the reversion."""

from __future__ import annotations

import numpy as np
from numba import njit

from soltrader.domain.errors import ParameterError
from soltrader.indicators.nb import atr_1d_nb, rsi_1d_nb, sma_1d_nb, zscore_1d_nb
from soltrader.strategies.spec import Bars, Signals, Strategy


@njit(cache=True, nogil=True)
def mean_reversion_nb(
    high,
    low,
    close,
    volume,
    rsi_n,
    rsi_low,
    rsi_high,
    z_n,
    z_entry,
    z_exit,
    atr_n,
    sl_atr,
    vol_n,
    min_quote_volume,
    allow_short,
):
    """Kernel of :func:`mean_reversion_signals`: ``(entries, exits, short_entries, short_exits,
    sl_stop)``, ``sl_stop`` as a fraction of the close (NaN before ATR is defined)."""
    n = close.shape[0]
    r = rsi_1d_nb(close, rsi_n)
    z = zscore_1d_nb(close, z_n)
    atr = atr_1d_nb(high, low, close, atr_n)
    quote_vol = sma_1d_nb(close * volume, vol_n)
    entries = np.zeros(n, dtype=np.bool_)
    exits = np.zeros(n, dtype=np.bool_)
    short_entries = np.zeros(n, dtype=np.bool_)
    short_exits = np.zeros(n, dtype=np.bool_)
    sl_stop = np.full(n, np.nan)
    for t in range(n):
        liquid = quote_vol[t] >= min_quote_volume  # False while NaN (warm-up)
        if not np.isnan(atr[t]) and close[t] > 0.0:
            sl_stop[t] = sl_atr * atr[t] / close[t]
        entries[t] = liquid and r[t] < rsi_low and z[t] < -z_entry
        exits[t] = z[t] >= -z_exit
        if allow_short:
            short_entries[t] = liquid and r[t] > rsi_high and z[t] > z_entry
            short_exits[t] = z[t] <= z_exit
    return entries, exits, short_entries, short_exits, sl_stop


def mean_reversion_signals(
    bars: Bars,
    rsi_n: int = 14,
    rsi_low: float = 30.0,
    rsi_high: float = 70.0,
    z_n: int = 20,
    z_entry: float = 2.0,
    z_exit: float = 0.0,
    atr_n: int = 14,
    sl_atr: float = 2.0,
    vol_n: int = 24,
    min_quote_volume: float = 0.0,
    allow_short: bool = False,
) -> Signals:
    """RSI extreme **and** z-score extreme together, in a liquid market; exit on reversion.

    Rules (decisions at each bar's close):

    * long entry: ``RSI(rsi_n) < rsi_low`` and ``zscore(close, z_n) < -z_entry`` and the mean
      quote volume (close x volume) of the last ``vol_n`` bars >= ``min_quote_volume``;
    * long exit: ``zscore >= -z_exit`` (back to the mean for ``z_exit = 0``);
    * stop-loss: ``sl_atr`` x ATR(atr_n) below the entry, passed per bar as ``sl_stop`` (a
      fraction of the close of the decision bar);
    * with ``allow_short`` the mirror image for shorts (``RSI > rsi_high``, ``z > z_entry``, exit
      at ``z <= z_exit``).

    Parameters are in bars, RSI points (0..100), standard deviations and quote currency.

    Examples
    --------
    >>> import soltrader as st
    >>> res = st.backtest(bars, st.strategies.mean_reversion, rsi_n=14, z_entry=2.0,
    ...                   fees=0.001)  # doctest: +SKIP
    """
    for name, value in (("rsi_n", rsi_n), ("z_n", z_n), ("atr_n", atr_n), ("vol_n", vol_n)):
        if int(value) != value or value < 2:
            raise ParameterError(name, f"must be a whole number of bars >= 2, got {value!r}")
    if not 0.0 <= rsi_low <= rsi_high <= 100.0:
        raise ParameterError("rsi_low", "need 0 <= rsi_low <= rsi_high <= 100")
    if not (z_entry > 0 and sl_atr > 0):
        raise ParameterError("z_entry", "z_entry and sl_atr must be > 0")
    e, x, se, sx, sl = mean_reversion_nb(
        bars.high,
        bars.low,
        bars.close,
        bars.volume,
        int(rsi_n),
        float(rsi_low),
        float(rsi_high),
        int(z_n),
        float(z_entry),
        float(z_exit),
        int(atr_n),
        float(sl_atr),
        int(vol_n),
        float(min_quote_volume),
        bool(allow_short),
    )
    if allow_short:
        return Signals(e, x, se, sx, sl_stop=sl)
    return Signals(e, x, sl_stop=sl)


mean_reversion = Strategy(
    name="mean_reversion",
    signal=mean_reversion_signals,
    params={
        "rsi_n": 14,
        "rsi_low": 30.0,
        "rsi_high": 70.0,
        "z_n": 20,
        "z_entry": 2.0,
        "z_exit": 0.0,
        "atr_n": 14,
        "sl_atr": 2.0,
        "vol_n": 24,
        "min_quote_volume": 0.0,
        "allow_short": False,
    },
    space={"rsi_n": range(5, 40), "z_entry": np.linspace(1.0, 3.0, 21)},
    description="Buy RSI + z-score oversold extremes in liquid markets, exit on reversion to the "
    "mean, ATR stop.",
)
