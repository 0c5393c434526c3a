"""Matplotlib charts of prices and indicators. Figures are returned, never shown or saved here."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from soltrader.indicators import bbands, rsi


def bands_and_rsi(
    bars: pd.DataFrame,
    *,
    bb_n: int = 20,
    bb_k: float = 2.0,
    rsi_n: int = 14,
    last: int | None = None,
    title: str | None = None,
) -> Figure:
    """Close price with Bollinger bands above, RSI with its 30/70 lines below.

    Indicators are computed on the whole of ``bars``, then the last ``last`` bars are drawn (all
    when ``None``; the warm-up then shows as a gap at the start).

    Parameters
    ----------
    bars : pandas.DataFrame
        Canonical OHLCV frame (UTC DatetimeIndex, ``close`` in quote currency).
    bb_n, bb_k : int, float
        Bollinger window (bars) and width (standard deviations).
    rsi_n : int
        RSI window (bars).
    last : int, optional
        How many of the most recent bars to draw.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Two stacked axes sharing the time axis.

    Examples
    --------
    >>> import soltrader as st
    >>> fig = bands_and_rsi(st.data.load("SOL/USDT", "1h").iloc[-500:])  # doctest: +SKIP
    >>> fig.savefig("sol.png")                                          # doctest: +SKIP
    """
    close = bars["close"]
    bands = bbands(close, bb_n, bb_k)
    strength = rsi(close, rsi_n)
    if last is not None:
        close, strength = close.iloc[-last:], strength.iloc[-last:]
        bands = type(bands)(*(series.iloc[-last:] for series in bands))
        bars = bars.iloc[-last:]
    fig, (ax_price, ax_rsi) = plt.subplots(
        2, 1, figsize=(12, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    ax_price.fill_between(
        bars.index,
        bands.lower,
        bands.upper,
        color="tab:blue",
        alpha=0.12,
        label=f"Bollinger {bb_n}, {bb_k:g} sd",
    )
    ax_price.plot(bars.index, bands.middle, color="tab:blue", lw=0.8, label=f"SMA {bb_n}")
    ax_price.plot(bars.index, close, color="black", lw=0.8, label="close")
    ax_price.set_ylabel("price")
    ax_price.legend(loc="upper left")
    ax_price.grid(alpha=0.3)
    ax_rsi.plot(bars.index, strength, color="tab:purple", lw=0.8)
    for level in (30, 70):
        ax_rsi.axhline(level, color="grey", lw=0.6, ls="--")
    ax_rsi.set_ylim(0, 100)
    ax_rsi.set_ylabel(f"RSI {rsi_n}")
    ax_rsi.grid(alpha=0.3)
    if title:
        ax_price.set_title(title)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
