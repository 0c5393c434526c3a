"""Technical indicators: typed wrappers, streaming forms, and numba kernels (``nb``).

* Wrappers (:mod:`soltrader.indicators.api`) take numpy, pandas or polars (1-D or 2-D, one series
  per column) and return the same kind: :func:`sma`, :func:`ema`, :func:`wma`, :func:`rsi`,
  :func:`macd`, :func:`bbands`, :func:`atr`, :func:`true_range`, :func:`rolling_std`,
  :func:`zscore`, :func:`roc`, :func:`realized_vol`, :func:`rolling_min`, :func:`rolling_max`,
  :func:`vwap`, :func:`volume_surge`.
* Streaming forms (:mod:`soltrader.indicators.streaming`), O(1) per bar, equal to the wrappers
  bar for bar: :class:`SMA`, :class:`EMA`, :class:`WMA`, :class:`RSI`, :class:`MACD`,
  :class:`BBands`, :class:`ATR`, :class:`TrueRange`, :class:`RollingStd`, :class:`ZScore`,
  :class:`ROC`, :class:`RealizedVol`, :class:`RollingMin`, :class:`RollingMax`, :class:`VWAP`,
  :class:`VolumeSurge`.
* Kernels: :mod:`soltrader.indicators.nb` (``sma_1d_nb``, ``sma_2d_nb``, ...).

Conventions (TA-Lib by default; warm-up, missing values, zero denominators) are stated in
:mod:`soltrader.indicators.api` and ``docs/indicators.md``. Importing compiles nothing.

Examples
--------
>>> import numpy as np
>>> import soltrader as st
>>> st.indicators.rsi(np.array([1.0, 2.0, 1.5, 1.5, 3.0]), 2)[-1].round(4)
np.float64(93.3333)
>>> st.indicators.RSI(14).ready
False
"""

from soltrader.indicators import nb
from soltrader.indicators.api import (
    BBandsResult,
    MACDResult,
    atr,
    bbands,
    ema,
    macd,
    realized_vol,
    roc,
    rolling_max,
    rolling_min,
    rolling_std,
    rsi,
    sma,
    true_range,
    volume_surge,
    vwap,
    wma,
    zscore,
)
from soltrader.indicators.streaming import (
    ATR,
    EMA,
    MACD,
    ROC,
    RSI,
    SMA,
    VWAP,
    WMA,
    BBands,
    RealizedVol,
    RollingMax,
    RollingMin,
    RollingStd,
    TrueRange,
    VolumeSurge,
    ZScore,
)

__all__ = [
    "ATR",
    "EMA",
    "MACD",
    "ROC",
    "RSI",
    "SMA",
    "VWAP",
    "WMA",
    "BBands",
    "BBandsResult",
    "MACDResult",
    "RealizedVol",
    "RollingMax",
    "RollingMin",
    "RollingStd",
    "TrueRange",
    "VolumeSurge",
    "ZScore",
    "atr",
    "bbands",
    "ema",
    "macd",
    "nb",
    "realized_vol",
    "roc",
    "rolling_max",
    "rolling_min",
    "rolling_std",
    "rsi",
    "sma",
    "true_range",
    "volume_surge",
    "vwap",
    "wma",
    "zscore",
]
