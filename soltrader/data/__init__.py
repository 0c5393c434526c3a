"""Market data: the OHLCV schema, validation, resampling, candles from trades (all pure), and the
user-facing loading and downloading functions re-exported from the file/ccxt edge.

Examples
--------
>>> import soltrader as st
>>> bars = st.data.load("SOL/USDT", "1h")   # doctest: +SKIP
>>> st.data.validate(bars).summary()        # doctest: +SKIP
"""

# ruff: noqa: I001 RUF022 - the pure modules are imported before the edge on purpose
# Pure modules first: the edge modules imported below import them back.
from soltrader.data.schema import OHLCV_COLUMNS, ohlcv_arrays, ohlcv_frame, to_pandas, to_polars
from soltrader.data.timeframes import bucket_start_ms, canonical_timeframe, timeframe_ms
from soltrader.data.candles import Candle, CandleBuilder, candles_from_trades, candles_to_frame
from soltrader.data.resample import resample
from soltrader.data.validation import ValidationReport, fill_gaps, infer_timeframe, validate

# The file/ccxt edge (import-linter allows exactly these two facade imports).
from soltrader.adapters.download import download
from soltrader.adapters.store import (
    available,
    cache_extent,
    download_command,
    load,
    load_trades,
    read_ohlcv,
    write_cache,
)


__all__ = [
    "OHLCV_COLUMNS",
    "bucket_start_ms",
    "canonical_timeframe",
    "ohlcv_arrays",
    "ohlcv_frame",
    "timeframe_ms",
    "to_pandas",
    "to_polars",
    "Candle",
    "CandleBuilder",
    "ValidationReport",
    "candles_from_trades",
    "candles_to_frame",
    "fill_gaps",
    "infer_timeframe",
    "resample",
    "validate",
    "available",
    "cache_extent",
    "download",
    "download_command",
    "load",
    "load_trades",
    "read_ohlcv",
    "write_cache",
]
