"""The bundled parquet sample holds the source values unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SOURCE = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.mark.skipif(not SOURCE.is_dir(), reason="the source CSV folder is not beside the project")
@pytest.mark.parametrize(
    ("fixture", "name"),
    [
        ("sol_1h", "SOLUSDT_1h_binance-spot_2020-08-11_2026-01-06.csv.gz"),
        ("sol_4h", "SOLUSDT_4h_binance-spot_2020-08-11_2026-01-06.csv.gz"),
        ("sol_1m", "SOLUSDT_1m_binance-spot_2023-12-01_2024-02-16.csv.gz"),
    ],
)
def test_sample_equals_source_csv(fixture: str, name: str, request: pytest.FixtureRequest) -> None:
    bars = request.getfixturevalue(fixture)
    src = pd.read_csv(SOURCE / name)
    assert len(bars) == len(src)
    np.testing.assert_array_equal(bars.index.asi8 // 1_000_000, src["open_time_ms"].to_numpy())
    for col in ("open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(bars[col].to_numpy(), src[col].to_numpy(), err_msg=col)


def test_sample_sizes(sol_1h: pd.DataFrame, sol_1m: pd.DataFrame, sol_trades) -> None:
    assert (len(sol_1h), len(sol_1m), sol_trades.height) == (47_359, 111_920, 12_764)
    assert str(sol_1h.index.dtype) == "datetime64[ns, UTC]"
    assert sol_1h["close"].iloc[0] == pytest.approx(2.9515)
