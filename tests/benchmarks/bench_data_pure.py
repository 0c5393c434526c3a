"""Speed of the pure data functions on ~1M real-derived bars and ~128k real trades, each next to
a reference implementation (pandas / polars) run in the same process. Never asserts a time."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from soltrader.data.candles import CandleBuilder, candles_from_trades
from soltrader.data.resample import resample
from soltrader.data.schema import ohlcv_arrays, ohlcv_frame
from soltrader.data.validation import validate

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def million_bars() -> pd.DataFrame:
    """The real SOL 1m sample repeated end to end (contiguous) to just over 1M rows."""
    src = pl.read_parquet(SAMPLE / "binance" / "SOL-USDT" / "1m" / "*.parquet").sort("timestamp")
    ts = src["timestamp"].dt.epoch("ms").to_numpy().astype(np.int64)
    reps = 9
    span = ts[-1] - ts[0] + 60_000
    all_ts = np.concatenate([ts + k * span for k in range(reps)])
    cols = [np.tile(src[c].to_numpy(), reps) for c in ("open", "high", "low", "close", "volume")]
    return ohlcv_frame(all_ts, *cols)


def trades_x10() -> pl.DataFrame:
    day = pl.read_parquet(SAMPLE / "gemini" / "SOL-USD" / "trades" / "2025-10-10.parquet")
    parts = [day.with_columns(pl.col("timestamp") + pl.duration(days=k)) for k in range(10)]
    return pl.concat(parts).select("timestamp", "price", "amount")


def run() -> list[dict]:
    bars = million_bars()
    n = len(bars)
    bars_pl = pl.from_pandas(bars.reset_index())
    arrays = ohlcv_arrays(bars)
    rows: list[dict] = []

    def add(task: str, impl: str, seconds: float, items: int) -> None:
        rows.append(
            {
                "task": task,
                "impl": impl,
                "rows": items,
                "seconds": seconds,
                "Mrows_per_s": items / seconds / 1e6,
            }
        )

    add(
        "ohlcv_arrays (pandas tz index)",
        "soltrader.schema",
        best_of(lambda: ohlcv_arrays(bars), 1),
        n,
    )
    add("validate 1m", "soltrader (pandas in)", best_of(lambda: validate(bars, "1m"), 1), n)
    add("validate 1m", "soltrader (polars in)", best_of(lambda: validate(bars_pl, "1m"), 1), n)
    int_frame = pd.DataFrame(
        {
            "open_time_ms": arrays.ts,
            **{k: getattr(arrays, k) for k in ("open", "high", "low", "close", "volume")},
        }
    )
    add("validate 1m", "soltrader (int ms column)", best_of(lambda: validate(int_frame, "1m")), n)
    add(
        "validate 1m",
        "pandas reference checks",
        best_of(
            lambda: (
                bars.isna().any(axis=None),
                (bars["high"] < bars["low"]).any(),
                bars.index.is_monotonic_increasing,
                bars.index.has_duplicates,
                (bars.index.to_series().diff() > pd.Timedelta("1min")).sum(),
            )
        ),
        n,
    )
    add(
        "resample 1m->1h",
        "soltrader (int ms column)",
        best_of(lambda: resample(int_frame, "1h", source_timeframe="1m")),
        n,
    )
    agg = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    add(
        "resample 1m->1h",
        "pandas .resample().agg",
        best_of(lambda: bars.resample("1h").agg(agg)),
        n,
    )
    add(
        "resample 1m->1h",
        "polars group_by_dynamic",
        best_of(
            lambda: bars_pl.group_by_dynamic("timestamp", every="1h").agg(
                pl.col("open").first(),
                pl.col("high").max(),
                pl.col("low").min(),
                pl.col("close").last(),
                pl.col("volume").sum(),
            )
        ),
        n,
    )

    trades = trades_x10()
    m = trades.height
    candles_from_trades(trades.head(10), "1m")  # compile / load the cached kernel
    add(
        "candles 1m from trades",
        "soltrader batch (numba)",
        best_of(lambda: candles_from_trades(trades, "1m")),
        m,
    )
    ts = trades["timestamp"].dt.epoch("us").to_list()
    px, amt = trades["price"].to_list(), trades["amount"].to_list()

    def streaming() -> None:
        b = CandleBuilder("1m")
        for t, p, a in zip(ts, px, amt, strict=True):
            b.add(t, p, a)
        b.flush()

    add("candles 1m from trades", "soltrader CandleBuilder", best_of(streaming, 1), m)
    add(
        "candles 1m from trades",
        "polars group_by_dynamic",
        best_of(
            lambda: (
                trades.sort("timestamp")
                .group_by_dynamic("timestamp", every="1m")
                .agg(
                    pl.col("price").first().alias("open"),
                    pl.col("price").max().alias("high"),
                    pl.col("price").min().alias("low"),
                    pl.col("price").last().alias("close"),
                    pl.col("amount").sum().alias("volume"),
                    pl.len().alias("trades"),
                )
            )
        ),
        m,
    )
    return rows
