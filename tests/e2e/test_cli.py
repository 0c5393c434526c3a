"""The ``soltrader`` command: help, data info / validate / resample / download, and demo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader import cli
from soltrader.adapters import download as download_module
from tests.chaos.binance_server import BinanceServer

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_console_script_help() -> None:
    exe = Path(sys.executable).with_name("soltrader")
    done = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    for word in ("demo", "data"):
        assert word in done.stdout
    data_help = subprocess.run(
        [str(exe), "data", "--help"], capture_output=True, text=True, timeout=120
    )
    for word in ("info", "validate", "resample", "download"):
        assert word in data_help.stdout


def test_data_info_lists_and_describes(capsys) -> None:
    code, out, _ = run(["data", "info", "--data-dir", str(SAMPLE_DIR)], capsys)
    assert code == 0 and "SOL-USDT" in out.replace("/", "-") and "1m" in out
    code, out, _ = run(["data", "info", "SOL/USDT", "1h", "--data-dir", str(SAMPLE_DIR)], capsys)
    assert code == 0
    assert "47,359 bars" in out and "gap" in out


def test_data_validate_clean_strict_and_corrupt(tmp_path, capsys, sol_1h) -> None:
    code, out, _ = run(
        ["data", "validate", "SOL/USDT", "1h", "--data-dir", str(SAMPLE_DIR)], capsys
    )
    assert code == 0 and "10 warning" in out
    code, _, err = run(
        ["data", "validate", "SOL/USDT", "1h", "--strict", "--data-dir", str(SAMPLE_DIR)], capsys
    )
    assert code == 1 and "gap" in err and "row 2664" in err
    bad = sol_1h.iloc[:500].copy()
    bad.iloc[123, bad.columns.get_loc("high")] = bad["low"].iloc[123] - 1.0
    path = tmp_path / "bad.csv"
    bad.to_csv(path)
    code, out, _ = run(["data", "validate", "--file", str(path)], capsys)
    assert code == 1 and "high_below_low" in out and "123" in out


def test_data_resample_writes_what_the_library_computes(tmp_path, capsys, sol_1h) -> None:
    out_path = tmp_path / "sol_4h.parquet"
    code, _, _ = run(
        [
            "data",
            "resample",
            "SOL/USDT",
            "1h",
            "--to",
            "4h",
            "--out",
            str(out_path),
            "--data-dir",
            str(SAMPLE_DIR),
        ],
        capsys,
    )
    assert code == 0 and out_path.exists()
    written = pd.read_parquet(out_path)
    expected = st.data.resample(sol_1h, "4h")
    np.testing.assert_array_equal(written["close"].to_numpy(), expected["close"].to_numpy())
    assert len(written) == len(expected)


def test_data_download_into_cache(tmp_path, capsys, monkeypatch, sol_1h) -> None:
    source = sol_1h.loc["2023-01-01":"2023-01-20"]
    with BinanceServer(source) as server:
        monkeypatch.setattr(
            download_module, "make_exchange", lambda exchange_id: server.ccxt_exchange()
        )
        code, out, err = run(
            [
                "data",
                "download",
                "binance",
                "SOL/USDT",
                "1h",
                "--since",
                "2023-01-01",
                "--until",
                "2023-01-20",
                "--no-progress",
                "--data-dir",
                str(tmp_path),
            ],
            capsys,
        )
    assert code == 0, err
    assert f"{len(source.loc[:'2023-01-19 23:00']):,} bars" in out
    cached = st.data.load("SOL/USDT", "1h", data_dir=tmp_path)
    np.testing.assert_array_equal(
        cached["close"].to_numpy(), source.loc[:"2023-01-19 23:00", "close"].to_numpy()
    )


def test_unknown_series_is_a_clear_error(capsys) -> None:
    code, _, err = run(["data", "info", "DOGE/USDT", "1h", "--data-dir", str(SAMPLE_DIR)], capsys)
    assert code == 1 and err.startswith("error:") and "DOGE" in err


def test_demo_writes_chart_and_report(tmp_path, capsys) -> None:
    code, out, _ = run(["demo", "--out", str(tmp_path), "--data-dir", str(SAMPLE_DIR)], capsys)
    assert code == 0
    png = tmp_path / "sol_usdt_1h_bbands_rsi.png"
    report = tmp_path / "report.html"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    html = report.read_text()
    assert "sma_cross" in html and "mean_reversion" in html and "data:image/png;base64," in html
    assert "sharpe" in out and "total_return" in out


SWEEP_SPEC = """
[data]
symbol = "SOL/USDT"
timeframe = "1h"
start = "2024-01-01"
end = "2024-04-01"

[strategy]
name = "sma_cross"

[params]
sl_stop = 0.03
fees = 0.001

[space]
fast = [5, 10, 20]
slow = { range = [30, 91, 30] }

[sweep]
constraints = ["fast < slow"]
n_jobs = 1
"""


def test_sweep_spec_writes_table_heatmap_and_summary(tmp_path, capsys) -> None:
    spec = tmp_path / "small_sweep.toml"
    spec.write_text(SWEEP_SPEC)
    code, _, err = run(["sweep", str(spec), "--no-progress", "--data-dir", str(SAMPLE_DIR)], capsys)
    assert code == 0, err
    folder = tmp_path / "small_sweep"
    table = pd.read_parquet(folder / "table.parquet")
    assert len(table) == 9 and {"fast", "slow", "sharpe"} <= set(table.columns)
    assert (folder / "table.csv").exists() and (folder / "heatmap_fast_slow.png").exists()
    html = (folder / "summary.html").read_text()
    assert "Probability of backtest overfitting" in html and "Look-ahead check" in html
    bars = st.data.load(
        "SOL/USDT", "1h", data_dir=SAMPLE_DIR, start="2024-01-01", end="2024-04-01", validate=False
    )
    again = st.backtest(
        bars, st.strategies.sma_cross, fast=10, slow=60, sl_stop=0.03, fees=0.001
    ).stats()
    row = table[(table["fast"] == 10) & (table["slow"] == 60)].iloc[0]
    assert row["sharpe"] == again["sharpe"]


FLAT_SWEEP_SPEC = """
[data]
symbol = "SOL/USDT"
timeframe = "1h"

[strategy]
name = "mean_reversion"

[space]
rsi_low = [10, 20, 30]
z_entry = [2.0, 3.0]
"""


def test_a_sweep_with_combinations_that_never_trade_still_reports(tmp_path, capsys) -> None:
    # rsi_low=10 never fires on the bundled bars: those rows are flat, not an error
    spec = tmp_path / "mr_sweep.toml"
    spec.write_text(FLAT_SWEEP_SPEC)
    code, out, err = run(
        ["sweep", str(spec), "--no-progress", "--data-dir", str(SAMPLE_DIR)], capsys
    )
    assert code == 0, err
    folder = tmp_path / "mr_sweep"
    assert (folder / "heatmap_rsi_low_z_entry.png").exists()
    assert "flat_combinations" in out and (folder / "summary.html").exists()
    table = pd.read_parquet(folder / "table.parquet")
    flat = int((table["n_trades"] == 0).sum())
    assert flat >= 1
    line = next(x for x in out.splitlines() if x.startswith("flat_combinations"))
    assert line.split()[-1] == str(flat)
    assert "never traded" in (folder / "summary.html").read_text()


def test_backtest_spec_and_misuse(tmp_path, capsys) -> None:
    spec = tmp_path / "one.toml"
    spec.write_text(SWEEP_SPEC.split("[space]")[0])
    code, out, err = run(["backtest", str(spec), "--data-dir", str(SAMPLE_DIR)], capsys)
    assert code == 0, err
    assert "sharpe" in out and (tmp_path / "one" / "report.html").exists()
    code, _, err = run(["backtest", str(tmp_path / "missing.toml")], capsys)
    assert code == 1 and "does not exist" in err
    sweep_spec = tmp_path / "sweep.toml"
    sweep_spec.write_text(SWEEP_SPEC)
    code, _, err = run(["backtest", str(sweep_spec), "--data-dir", str(SAMPLE_DIR)], capsys)
    assert code == 1 and "soltrader sweep" in err
