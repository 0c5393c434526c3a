"""Convert the project's source CSV files into the bundled parquet sample under ``data/sample``.

Run once by a maintainer (``python tools/bundle_sample_data.py SOURCE_DIR``); the output is
committed. Values are copied unchanged: the only conversions are ISO/epoch timestamps to a UTC
datetime column and CSV to zstd parquet, partitioned by calendar year like the download cache.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

CANDLES = {
    "SOLUSDT_1h_binance-spot_2020-08-11_2026-01-06.csv.gz": ("binance", "SOL-USDT", "1h"),
    "SOLUSDT_4h_binance-spot_2020-08-11_2026-01-06.csv.gz": ("binance", "SOL-USDT", "4h"),
    "SOLUSDT_1m_binance-spot_2023-12-01_2024-02-16.csv.gz": ("binance", "SOL-USDT", "1m"),
    "BTCUSDT_1h_binance-spot_2021-04-04_2023-12-30.csv.gz": ("binance", "BTC-USDT", "1h"),
    "ETHUSDT_1h_binance-spot_2021-04-04_2023-12-30.csv.gz": ("binance", "ETH-USDT", "1h"),
    "BTCUSDT_4h_binance-spot_2017-08-17_2026-01-06.csv.gz": ("binance", "BTC-USDT", "4h"),
    "ETHUSDT_4h_binance-spot_2017-08-17_2026-01-06.csv.gz": ("binance", "ETH-USDT", "4h"),
}
TRADES = {
    "SOLUSD_trades_gemini_2025-10-10.csv.gz": ("gemini", "SOL-USD", "2025-10-10"),
}


def write_partitioned(df: pl.DataFrame, folder: Path) -> None:
    """Write ``df`` (with a ``timestamp`` column) as one zstd parquet file per calendar year."""
    folder.mkdir(parents=True, exist_ok=True)
    for (year,), part in df.group_by(pl.col("timestamp").dt.year(), maintain_order=True):
        part.write_parquet(folder / f"{year}.parquet", compression="zstd", compression_level=19)


def main(source: Path, out: Path) -> None:
    for name, (exchange, symbol, tf) in CANDLES.items():
        raw = pl.read_csv(source / name)
        df = raw.select(
            pl.col("open_time_ms").cast(pl.Int64).cast(pl.Datetime("ms", "UTC")).alias("timestamp"),
            *[pl.col(c).cast(pl.Float64) for c in ("open", "high", "low", "close", "volume")],
        )
        write_partitioned(df, out / exchange / symbol / tf)
    for name, (exchange, symbol, day) in TRADES.items():
        raw = pl.read_csv(source / name)
        df = raw.select(
            pl.col("timestamp_us").cast(pl.Datetime("us", "UTC")).alias("timestamp"),
            pl.col("price").cast(pl.Float64),
            pl.col("amount").cast(pl.Float64),
            pl.col("side").cast(pl.Categorical),
            pl.col("trade_id").cast(pl.Int64),
            pl.col("local_timestamp_us").cast(pl.Datetime("us", "UTC")).alias("received"),
        )
        folder = out / exchange / symbol / "trades"
        folder.mkdir(parents=True, exist_ok=True)
        df.write_parquet(folder / f"{day}.parquet", compression="zstd", compression_level=19)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else Path("data/sample"))
