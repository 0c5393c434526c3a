"""The live runtime under faults, through the real CLI (``soltrader live --replay``) and its real
parts (the replay server on 127.0.0.1, the websocket feed, the SQLite journal): ``kill -9`` at
random moments, SIGTERM, the kill switch, bad candles, a bad spec."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.runtime.journal import Journal
from tests.conftest import read_sample_bars
from tests.live_process import wait_for_runner

pytestmark = pytest.mark.slow

SMA = {"fast": 20, "slow": 100, "sl_stop": 0.01, "fees": 0.001}


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "soltrader.cli", *args]


def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_cmd(*args), capture_output=True, text=True, timeout=timeout)


def _write_bars(tmp: Path, n: int, bars: pd.DataFrame | None = None) -> Path:
    frame = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:n] if bars is None else bars
    data = tmp / "bars.csv"
    frame.reset_index().to_csv(data, index=False)
    return data


def _setup(
    tmp: Path,
    n: int,
    risk: dict | None = None,
    bars: pd.DataFrame | None = None,
    live: dict | None = None,
):
    data = _write_bars(tmp, n, bars)
    spec = st.promote(
        st.strategies.sma_cross, SMA, tmp / "live" / "sma.toml", symbol="SOL/USDT",
        timeframe="1m", risk=risk, live=live,
    )  # fmt: skip
    return spec, data


def _journal(spec: Path) -> Journal:
    return Journal(spec.parent / spec.stem / "state" / "journal.sqlite", read_only=True)


def test_kill_9_at_random_moments_loses_and_doubles_nothing(tmp_path: Path) -> None:
    spec, data = _setup(tmp_path, 6_000)
    ref = tmp_path / "ref.csv"
    assert _run("backtest", str(spec), "--data", str(data), "--intents", str(ref)).returncode == 0
    rng = random.Random(7)
    kills = 0
    for _ in range(20):
        proc = subprocess.Popen(_cmd("live", str(spec), "--replay", str(data)),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        time.sleep(rng.uniform(1.0, 3.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=30)
        path = spec.parent / spec.stem / "state" / "journal.sqlite"
        if not path.exists():  # killed while starting, before it wrote anything: nothing to lose
            assert kills > 0 and proc.returncode == -signal.SIGKILL
            continue
        with _journal(spec) as journal:
            assert journal.integrity_check() == "ok"
            bars = journal.bars()["bar"]
            assert np.array_equal(bars, np.arange(len(bars)))
            ids = journal.intents()["client_id"]
            assert len(np.unique(ids)) == len(ids)
    assert kills >= 10  # most runs were cut short
    out = tmp_path / "live.csv"
    done = _run("live", str(spec), "--replay", str(data), "--intents", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.read_text() == ref.read_text()


def test_sigterm_stops_within_10_s_with_the_journal_intact(tmp_path: Path) -> None:
    spec, data = _setup(tmp_path, 3_000, live={"flatten_on_exit": True})
    proc = subprocess.Popen(
        _cmd("live", str(spec), "--replay", str(data), "--speed", "600"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait_for_runner(spec, proc)  # the signal handlers are installed by then
    time.sleep(1.0)  # bars at 10 per second
    assert proc.poll() is None
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=15)
    assert time.monotonic() - sent < 10.0
    assert proc.returncode == 0, stderr[-2000:]
    assert "stopped (signal)" in stdout
    with _journal(spec) as journal:
        assert journal.integrity_check() == "ok"
        assert 0 < journal.last_bar() < 2_999
        halt = journal.halted()  # flatten_on_exit: flattened at the next bar decided
        assert halt is not None and "flatten_on_exit" in halt.reason


def test_the_kill_switch_flattens_halts_and_survives_a_restart(tmp_path: Path) -> None:
    spec, data = _setup(tmp_path, 4_000, risk={"kill_drawdown": 0.01})
    first = _run("live", str(spec), "--replay", str(data))
    assert first.returncode == 0 and "HALTED" in first.stdout, first.stderr[-2000:]
    with _journal(spec) as journal:
        halt = journal.halted()
        assert halt is not None and "kill switch" in halt.reason
        assert journal.status().position == 0.0
        intents = journal.intents()
        times = journal.bars()["open_time_ms"][intents["decision_bar"]]
    entries_after = (times > halt.at_ms) & (intents["reason"] == 0)
    assert not entries_after.any()
    # a longer file: the restart stays halted (no entry) until resume
    _write_bars(tmp_path, 6_000)
    again = _run("live", str(spec), "--replay", str(data))
    assert again.returncode == 0 and "HALTED" in again.stdout
    status = _run("status", str(spec))
    assert "halted      yes" in status.stdout
    assert _run("resume", str(spec)).returncode == 0
    assert "halted      no" in _run("status", str(spec)).stdout


def test_bad_candles_are_quarantined_with_their_codes(tmp_path: Path) -> None:
    frame = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:600].copy()
    frame.iloc[100, frame.columns.get_loc("close")] = np.nan
    frame.iloc[200, frame.columns.get_loc("high")] = frame.iloc[200]["low"] * 0.99
    frame.iloc[300, frame.columns.get_loc("low")] = -1.0
    frame.iloc[400, frame.columns.get_loc("volume")] = -5.0
    frame.iloc[450, frame.columns.get_loc("open")] = frame.iloc[450]["high"] * 1.01
    frame.iloc[500, frame.columns.get_loc("high")] = np.inf
    spec, data = _setup(tmp_path, 0, bars=frame)
    done = _run("live", str(spec), "--replay", str(data))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "594 bars decided" in done.stdout and "6 quarantined" in done.stdout
    with _journal(spec) as journal:
        found = {q.open_time_ms: q.code for q in journal.quarantined()}
        kept = set(journal.bars()["open_time_ms"].tolist())
    ms = frame.index.as_unit("ms").asi8
    assert found == {
        int(ms[100]): "nan",
        int(ms[200]): "high_below_low",
        int(ms[300]): "non_positive_price",
        int(ms[400]): "negative_volume",
        int(ms[450]): "ohlc_inconsistent",
        int(ms[500]): "inf",
    }
    assert kept | set(found) == set(ms.tolist())  # nothing lost: decided or quarantined


def test_a_bad_spec_key_is_named_and_nothing_starts(tmp_path: Path) -> None:
    spec, data = _setup(tmp_path, 300)
    spec.write_text(spec.read_text().replace('venue = "paper"', 'vneue = "paper"'))
    done = _run("live", str(spec), "--replay", str(data))
    assert done.returncode == 1
    assert "live.vneue: unknown key" in done.stderr
    assert not (spec.parent / spec.stem / "state").exists()


def test_an_operator_halt_reaches_a_running_runner(tmp_path: Path) -> None:
    spec, data = _setup(tmp_path, 300)
    proc = subprocess.Popen(
        _cmd("live", str(spec), "--replay", str(data), "--speed", "1200"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(5.0)  # startup, then a bar every 50 ms
    asked = _run("halt", str(spec), "--reason", "maintenance")
    assert asked.returncode == 0 and "queued" in asked.stdout, asked.stderr
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr[-2000:]
    with _journal(spec) as journal:
        halt = journal.halted()
        assert halt is not None and halt.reason == "operator: maintenance"
        assert journal.status().position == 0.0
        intents = journal.intents()
        times = journal.bars()["open_time_ms"][intents["decision_bar"]]
    assert not ((times > halt.at_ms) & (intents["reason"] == 0)).any()  # no entry after it
    assert _run("resume", str(spec)).stdout == "resume: applied to the journal\n"  # no runner
    assert "halted      no" in _run("status", str(spec)).stdout
