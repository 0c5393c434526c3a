"""The numba kernels of :mod:`soltrader.indicators` under their ``*_nb`` names.

For use inside other ``@numba.njit`` code (strategy and sweep kernels). Each takes and returns
plain float64 arrays, does not validate its arguments, and accepts an optional preallocated
``out`` (see :mod:`soltrader.indicators._nb` for the shared conventions). Importing compiles
nothing: numba compiles each kernel on its first call (and caches it).

Examples
--------
>>> import numpy as np
>>> from soltrader.indicators.nb import sma_1d_nb
>>> sma_1d_nb(np.array([1.0, 2.0, 3.0]), 2)
array([nan, 1.5, 2.5])
"""

from soltrader.indicators._nb import (
    ANCHOR_BARS,
    anchor_period_nb,
    atr_1d_nb,
    atr_2d_nb,
    bbands_1d_nb,
    bbands_2d_nb,
    ema_1d_nb,
    ema_2d_nb,
    log_returns_1d_nb,
    macd_1d_nb,
    macd_2d_nb,
    ratio_nb,
    realized_vol_1d_nb,
    realized_vol_2d_nb,
    roc_1d_nb,
    roc_2d_nb,
    rolling_max_1d_nb,
    rolling_max_2d_nb,
    rolling_min_1d_nb,
    rolling_min_2d_nb,
    rolling_moments_1d_nb,
    rolling_std_1d_nb,
    rolling_std_2d_nb,
    rsi_1d_nb,
    rsi_2d_nb,
    sma_1d_nb,
    sma_2d_nb,
    true_range_1d_nb,
    true_range_2d_nb,
    volume_surge_1d_nb,
    volume_surge_2d_nb,
    vwap_1d_nb,
    vwap_2d_nb,
    wma_1d_nb,
    wma_2d_nb,
    zscore_1d_nb,
    zscore_2d_nb,
)

__all__ = [
    "ANCHOR_BARS",
    "anchor_period_nb",
    "atr_1d_nb",
    "atr_2d_nb",
    "bbands_1d_nb",
    "bbands_2d_nb",
    "ema_1d_nb",
    "ema_2d_nb",
    "log_returns_1d_nb",
    "macd_1d_nb",
    "macd_2d_nb",
    "ratio_nb",
    "realized_vol_1d_nb",
    "realized_vol_2d_nb",
    "roc_1d_nb",
    "roc_2d_nb",
    "rolling_max_1d_nb",
    "rolling_max_2d_nb",
    "rolling_min_1d_nb",
    "rolling_min_2d_nb",
    "rolling_moments_1d_nb",
    "rolling_std_1d_nb",
    "rolling_std_2d_nb",
    "rsi_1d_nb",
    "rsi_2d_nb",
    "sma_1d_nb",
    "sma_2d_nb",
    "true_range_1d_nb",
    "true_range_2d_nb",
    "volume_surge_1d_nb",
    "volume_surge_2d_nb",
    "vwap_1d_nb",
    "vwap_2d_nb",
    "wma_1d_nb",
    "wma_2d_nb",
    "zscore_1d_nb",
    "zscore_2d_nb",
]
