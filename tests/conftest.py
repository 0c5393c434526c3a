"""Shared fixtures: the bundled real data, read straight from the committed parquet files so that
tests of the pure modules do not depend on the loader they may be testing."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

settings.register_profile(
    "default",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


def read_sample_bars(exchange: str, symbol: str, timeframe: str) -> pd.DataFrame:
    """Bundled bars as the canonical pandas frame (UTC DatetimeIndex, float64 OHLCV)."""
    df = pl.read_parquet(SAMPLE / exchange / symbol / timeframe / "*.parquet").sort("timestamp")
    index = (
        pd.DatetimeIndex(
            df["timestamp"].dt.epoch("ms").to_numpy().astype("datetime64[ms]"), name="timestamp"
        )
        .tz_localize("UTC")
        .as_unit("ns")
    )
    cols = {
        c: df[c].to_numpy().astype(np.float64) for c in ("open", "high", "low", "close", "volume")
    }
    return pd.DataFrame(cols, index=index)


@pytest.fixture(scope="session")
def sol_1h() -> pd.DataFrame:
    """Binance SOL/USDT 1h, 2020-08-11 .. 2026-01-06 (47,359 bars, 10 real gaps)."""
    return read_sample_bars("binance", "SOL-USDT", "1h")


@pytest.fixture(scope="session")
def sol_4h() -> pd.DataFrame:
    """Binance SOL/USDT 4h as published by the exchange (the resampling reference)."""
    return read_sample_bars("binance", "SOL-USDT", "4h")


@pytest.fixture(scope="session")
def sol_1m() -> pd.DataFrame:
    """Binance SOL/USDT 1m, 2023-12-01 .. 2024-02-16 (111,920 contiguous bars)."""
    return read_sample_bars("binance", "SOL-USDT", "1m")


@pytest.fixture(scope="session")
def sol_trades() -> pl.DataFrame:
    """Gemini SOL/USD trades of 2025-10-10 (12,764 trades, sorted by time then trade id)."""
    return pl.read_parquet(SAMPLE / "gemini" / "SOL-USD" / "trades" / "2025-10-10.parquet")
