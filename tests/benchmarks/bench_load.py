"""Loading 1,000,000 one-minute bars: the parquet cache versus CSV and gzip-compressed CSV.

Synthetic but valid bars (a random walk, 2024-01-01 onwards, no gaps) are written once to a
temporary data dir: into the cache with ``write_cache`` (two year files), and as CSV files with
ISO timestamps, with epoch-ms timestamps, and gzip-compressed. Each reader returns the same
canonical frame (checked); times are the best of ``REPEATS`` runs. ``ratio`` is the time over
the time of ``load`` from the cache without validation. ``pandas.read_csv`` (parsing the ISO
index, no schema checks) is the reference library's own CSV reader.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from soltrader.adapters import store
from soltrader.data.schema import ohlcv_frame, to_pandas
from soltrader.domain.errors import SoltraderWarning

N_BARS = 1_000_000
REPEATS = 3
START_MS = 1_704_067_200_000  # 2024-01-01 00:00 UTC


def synthetic_bars(n: int = N_BARS, seed: int = 7) -> pd.DataFrame:
    """Valid 1m bars: open = previous close, high/low around open and close, volume > 0."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, n)))
    open_ = np.r_[100.0, close[:-1]]
    high = np.maximum(open_, close) * (1.0 + rng.uniform(0.0, 5e-4, n))
    low = np.minimum(open_, close) * (1.0 - rng.uniform(0.0, 5e-4, n))
    volume = rng.gamma(2.0, 50.0, n)
    ts = START_MS + np.arange(n, dtype=np.int64) * 60_000
    return ohlcv_frame(ts, open_, high, low, close, volume)


def best_of(fn: Callable[[], pd.DataFrame | pl.DataFrame]) -> tuple[float, object]:
    """Shortest wall time of ``REPEATS`` calls, and the last result."""
    times, out = [], None
    for _ in range(REPEATS):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return min(times), out


def write_files(bars: pd.DataFrame, root: Path) -> dict[str, Path]:
    """The cache (timed separately) and the CSV variants; returns the file paths."""
    iso = root / "bars_iso.csv"
    bars.to_csv(iso)
    epoch = root / "bars_ms.csv"
    raw = bars.reset_index(drop=True)
    raw.insert(0, "open_time_ms", bars.index.asi8 // 1_000_000)
    raw.to_csv(epoch, index=False)
    gz = root / "bars_iso.csv.gz"
    with iso.open("rb") as src, gzip.open(gz, "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst)
    return {"csv": iso, "csv_ms": epoch, "csv_gz": gz}


def size_mb(paths: list[Path]) -> float:
    return sum(p.stat().st_size for p in paths) / 1e6


def run() -> list[dict]:
    """Rows: case, rows, file_mb, seconds (best of REPEATS), ratio to the parquet load."""
    bars = synthetic_bars()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        store.write_cache(bars, "bench", "SYN/USD", "1m", root)
        write_s = time.perf_counter() - started
        cache = sorted((root / "cache" / "bench" / "SYN-USD" / "1m").glob("*.parquet"))
        cache_mb = round(size_mb(cache), 1)
        files = write_files(bars, root)

        def load(**kw: object) -> Callable[[], pd.DataFrame | pl.DataFrame]:
            return lambda: store.load("SYN/USD", "1m", exchange="bench", data_dir=root, **kw)

        def read(path: Path) -> Callable[[], pd.DataFrame]:
            return lambda: store.read_ohlcv(path, timeframe="1m", validate=False)

        def pandas_csv() -> pd.DataFrame:
            return pd.read_csv(files["csv"], index_col="timestamp", parse_dates=["timestamp"])

        cases = [
            ("load parquet cache (pandas)", load(validate=False), cache),
            ("load parquet cache (pandas, validated)", load(validate=True), cache),
            ("load parquet cache (polars)", load(validate=False, backend="polars"), cache),
            ("read_ohlcv CSV, ISO timestamps", read(files["csv"]), [files["csv"]]),
            ("read_ohlcv CSV, epoch-ms timestamps", read(files["csv_ms"]), [files["csv_ms"]]),
            ("read_ohlcv CSV.gz, ISO timestamps", read(files["csv_gz"]), [files["csv_gz"]]),
            ("pandas.read_csv CSV, ISO (reference)", pandas_csv, [files["csv"]]),
        ]
        rows = []
        with warnings.catch_warnings():
            warnings.simplefilter("error", SoltraderWarning)  # the synthetic bars have no gaps
            for name, fn, paths in cases:
                seconds, out = best_of(fn)
                same = to_pandas(out).equals(bars)
                rows.append(
                    {
                        "case": name,
                        "rows": N_BARS,
                        "file_mb": round(size_mb(paths), 1),
                        "seconds": seconds,
                        "same_frame": same,
                    }
                )
    base = rows[0]["seconds"]
    for row in rows:
        row["ratio"] = row["seconds"] / base
    rows.append(
        {
            "case": "write_cache 1M bars (2 year files)",
            "rows": N_BARS,
            "file_mb": cache_mb,
            "seconds": write_s,
            "same_frame": None,
            "ratio": write_s / base,
        }
    )
    return rows
