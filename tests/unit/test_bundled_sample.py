"""The bundled sample under ``data/sample`` is exactly the data the project was built on.

Every file's SHA-256, row count and first/last timestamp are committed beside this test
(``bundled_sample.json``), so any change to the sample -- a file edited, re-encoded, truncated,
added or lost -- fails on every checkout. After an intended change of the sample, regenerate
the manifest and say why in the commit::

    python -m tests.unit.test_bundled_sample --write

Where the source CSV files are at hand, an extra test compares the sample with them value by
value: set ``SOLTRADER_SOURCE_CSV`` to their folder (skipped otherwise).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from tests.conftest import SAMPLE

MANIFEST = Path(__file__).with_name("bundled_sample.json")
SOURCE_ENV = "SOLTRADER_SOURCE_CSV"


def _stamp(value: Any) -> str:
    return pd.Timestamp(value).isoformat()


def describe(path: Path) -> dict[str, Any]:
    """SHA-256 of the file's bytes, and for a table its row count and its first and last
    ``timestamp`` (account snapshots and licences: the checksum only)."""
    if path.suffix not in (".parquet", ".csv"):
        return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    frame = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path)
    times = frame["timestamp"]
    return {
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rows": frame.height,
        "first": _stamp(times[0]),
        "last": _stamp(times[-1]),
    }


def manifest(root: Path = SAMPLE) -> dict[str, dict[str, Any]]:
    """``describe`` of every file under ``root``, keyed by its path relative to ``root``."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): describe(p) for p in files}


def test_every_bundled_file_matches_its_committed_checksum() -> None:
    want = json.loads(MANIFEST.read_text())
    got = manifest()
    assert sorted(got) == sorted(want), "files added to or missing from data/sample"
    changed = {name: (got[name], want[name]) for name in want if got[name] != want[name]}
    assert not changed, f"bundled files differ from the manifest: {changed}"


def test_the_manifest_covers_the_documented_series() -> None:
    want = json.loads(MANIFEST.read_text())
    rows = {
        "binance/SOL-USDT/1h": 47_359,
        "binance/SOL-USDT/4h": 11_846,
        "binance/SOL-USDT/1m": 111_920,
        "binance/BTC-USDT/4h": 18_370,
        "binance/ETH-USDT/4h": 18_370,
        "gemini/SOL-USD/trades": 12_764,
    }
    for folder, n in rows.items():
        assert sum(v["rows"] for k, v in want.items() if k.startswith(folder + "/")) == n, folder
    sol = sorted(k for k in want if k.startswith("binance/SOL-USDT/1h/"))
    assert want[sol[0]]["first"] == "2020-08-11T06:00:00+00:00"
    assert want[sol[-1]]["last"] == "2026-01-06T08:00:00+00:00"


def test_sample_sizes(sol_1h: pd.DataFrame, sol_1m: pd.DataFrame, sol_trades) -> None:
    assert (len(sol_1h), len(sol_1m), sol_trades.height) == (47_359, 111_920, 12_764)
    assert str(sol_1h.index.dtype) == "datetime64[ns, UTC]"
    assert sol_1h["close"].iloc[0] == pytest.approx(2.9515)


SOURCE = Path(os.environ[SOURCE_ENV]) if os.environ.get(SOURCE_ENV) else None


@pytest.mark.skipif(SOURCE is None, reason=f"set {SOURCE_ENV} to the source CSV folder")
@pytest.mark.parametrize(
    ("fixture", "name"),
    [
        ("sol_1h", "SOLUSDT_1h_binance-spot_2020-08-11_2026-01-06.csv.gz"),
        ("sol_4h", "SOLUSDT_4h_binance-spot_2020-08-11_2026-01-06.csv.gz"),
        ("sol_1m", "SOLUSDT_1m_binance-spot_2023-12-01_2024-02-16.csv.gz"),
    ],
)
def test_sample_equals_source_csv(fixture: str, name: str, request: pytest.FixtureRequest) -> None:
    assert SOURCE is not None
    bars = request.getfixturevalue(fixture)
    src = pd.read_csv(SOURCE / name)
    assert len(bars) == len(src)
    np.testing.assert_array_equal(bars.index.asi8 // 1_000_000, src["open_time_ms"].to_numpy())
    for col in ("open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(bars[col].to_numpy(), src[col].to_numpy(), err_msg=col)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python -m tests.unit.test_bundled_sample --write")
    MANIFEST.write_text(json.dumps(manifest(), indent=1) + "\n")
    print(f"wrote {MANIFEST.name}: {len(manifest())} files")
