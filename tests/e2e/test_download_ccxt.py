"""End to end: the real ccxt binance client downloads real SOL/USDT 1h bars from a local server
with injected faults (429 + Retry-After, dropped connections) into the parquet cache."""

from __future__ import annotations

import sys
import warnings
from email.utils import format_datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import soltrader as st
from soltrader.adapters import download as dl
from soltrader.adapters import store
from soltrader.domain.errors import (
    DownloadError,
    MissingDependencyError,
    ParameterError,
    SoltraderWarning,
)
from tests.chaos.binance_server import BinanceServer

pytest.importorskip("ccxt")

SINCE = "2021-08-01"
UNTIL = "2021-12-01"
PAGE = 500
GAP_WARNING = r"2 gap\(s\), 6 bar\(s\) missing"


def ms(value: object) -> int:
    return store.to_epoch_ms(value, "t")


@pytest.fixture(scope="module")
def source(sol_1h: pd.DataFrame) -> pd.DataFrame:
    """2,922 real bars including the exchange's 2021-08-13 and 2021-09-29 outages."""
    bars = sol_1h.loc["2021-08-01":"2021-11-30 23:00"]
    assert len(bars) == 2_922
    return bars


class Sleeps(list):
    """A ``sleep`` that records the requested delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fetch(
    server: BinanceServer, data_dir: Path, until: str = UNTIL, **kwargs: object
) -> pd.DataFrame:
    """``download`` from the local server (the gap warning is asserted elsewhere)."""
    kwargs.setdefault("sleep", Sleeps())
    kwargs.setdefault("progress", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SoltraderWarning)
        return st.data.download(
            "binance",
            "SOL/USDT",
            "1h",
            SINCE,
            until,
            data_dir=data_dir,
            exchange=server.ccxt_exchange(),
            limit=PAGE,
            **kwargs,
        )


def cached_timestamps(data_dir: Path) -> np.ndarray:
    folder = data_dir / "cache" / "binance" / "SOL-USDT" / "1h"
    tables = [pq.read_table(p) for p in sorted(folder.glob("*.parquet"))]
    return np.concatenate([t.column("timestamp").cast("int64").to_numpy() for t in tables])


def test_faulty_download_equals_the_source_bar_for_bar(
    source: pd.DataFrame, tmp_path: Path
) -> None:
    sleeps = Sleeps()
    with BinanceServer(source, fail_429_on={2}, retry_after="7", drop_on={4}) as server:
        with pytest.warns(SoltraderWarning, match=GAP_WARNING):
            got = st.data.download(
                "binance",
                "SOL/USDT",
                "1h",
                SINCE,
                UNTIL,
                data_dir=tmp_path,
                exchange=server.ccxt_exchange(),
                limit=PAGE,
                sleep=sleeps,
                seed=3,
                progress=False,
            )
        outcomes = [r.outcome for r in server.klines_requests()]
        served = server.served_start_times()
    assert served == sorted(set(served)) and served[0] == ms(SINCE)  # each page asked once
    pd.testing.assert_frame_equal(got, source, check_exact=True)
    for missing in ("2021-08-13 02:00", "2021-08-13 05:00", "2021-09-29 07:00"):
        assert pd.Timestamp(missing, tz="UTC") not in got.index  # gaps kept, not filled
    assert outcomes == ["ok", "429", "ok", "dropped"] + ["ok"] * 4
    assert sleeps[0] == 7.0  # Retry-After honoured as sent
    assert 0.0 <= sleeps[1] <= 1.0  # first retry of a page: full jitter within base_delay
    assert len(sleeps) == 2
    with pytest.warns(SoltraderWarning, match=GAP_WARNING):
        reloaded = st.data.load("SOL/USDT", "1h", data_dir=tmp_path, source="cache")
    pd.testing.assert_frame_equal(reloaded, source, check_exact=True)


def test_second_call_fetches_only_new_bars(source: pd.DataFrame, tmp_path: Path) -> None:
    with BinanceServer(source) as server:
        first = fetch(server, tmp_path, until="2021-09-01")
        assert first.index[-1] == pd.Timestamp("2021-08-31 23:00", tz="UTC")
        before = len(server.klines_requests())
        second = fetch(server, tmp_path, until=UNTIL)
        starts = [r.start_time for r in server.klines_requests()[before:]]
        after = len(server.klines_requests())
        third = fetch(server, tmp_path, until=UNTIL)
        assert len(server.klines_requests()) == after  # all cached: nothing requested
    assert starts[0] == ms("2021-09-01")  # the bar after the last cached one
    assert all(s >= ms("2021-09-01") for s in starts)
    assert len(starts) == -(-len(source.loc["2021-09-01":]) // PAGE)
    pd.testing.assert_frame_equal(second, source, check_exact=True)
    pd.testing.assert_frame_equal(third, source, check_exact=True)
    ts = cached_timestamps(tmp_path)
    assert len(ts) == len(source) and np.all(np.diff(ts) > 0)  # no duplicates


def test_interrupted_download_leaves_a_valid_partial_cache(
    source: pd.DataFrame, tmp_path: Path
) -> None:
    sleeps = Sleeps()
    with BinanceServer(source, drop_from=3) as server:
        with pytest.raises(DownloadError) as info:
            st.data.download(
                "binance",
                "SOL/USDT",
                "1h",
                SINCE,
                UNTIL,
                data_dir=tmp_path,
                exchange=server.ccxt_exchange(),
                limit=PAGE,
                max_retries=2,
                sleep=sleeps,
                progress=False,
            )
        cursor = source.index[2 * PAGE]
        message = str(info.value)
        assert "SOL/USDT" in message and str(cursor) in message and "3 attempt(s)" in message
        assert info.value.attempts == 3 and info.value.cursor_ms == cursor.value // 10**6
        assert len(sleeps) == 2 and all(0 <= s <= 2.0 for s in sleeps)
        with pytest.warns(SoltraderWarning, match=r"1 gap\(s\), 4 bar\(s\) missing"):
            partial = st.data.load("SOL/USDT", "1h", data_dir=tmp_path, source="cache")
        pd.testing.assert_frame_equal(partial, source.iloc[: 2 * PAGE], check_exact=True)

        server.drop_from = None
        before = len(server.klines_requests())
        done = fetch(server, tmp_path)
        resumed = [r.start_time for r in server.klines_requests()[before:]]
    assert resumed[0] == cursor.value // 10**6
    pd.testing.assert_frame_equal(done, source, check_exact=True)
    assert len(cached_timestamps(tmp_path)) == len(source)


def test_only_closed_bars_are_cached(source: pd.DataFrame, tmp_path: Path) -> None:
    with BinanceServer(source) as server:
        got = fetch(server, tmp_path, until="2021-09-05 00:30")
        # the 00:00 bar opened before `until` but closes after it: not stored
        assert got.index[-1] == pd.Timestamp("2021-09-04 23:00", tz="UTC")
        extent = st.data.cache_extent("binance", "SOL/USDT", "1h", tmp_path)
        assert extent[1] == pd.Timestamp("2021-09-04 23:00", tz="UTC")
        before = len(server.klines_requests())
        fetch(server, tmp_path, until="2021-09-06")
        assert server.klines_requests()[before].start_time == ms("2021-09-05")
        # an `until` in the future is capped at now: every (closed) source bar arrives
        future = fetch(server, tmp_path, until="2100-01-01")
    pd.testing.assert_frame_equal(future, source, check_exact=True)


def test_earlier_since_fetches_the_head_only(source: pd.DataFrame, tmp_path: Path) -> None:
    with BinanceServer(source) as server:
        st.data.download(
            "binance",
            "SOL-USDT",
            "1h",
            "2021-10-01",
            UNTIL,
            data_dir=tmp_path,
            exchange=server.ccxt_exchange(),
            limit=PAGE,
            progress=False,
        )
        before = len(server.klines_requests())
        got = fetch(server, tmp_path)
        starts = [r.start_time for r in server.klines_requests()[before:]]
    assert starts[0] == ms(SINCE) and all(s < ms("2021-10-01") for s in starts)
    pd.testing.assert_frame_equal(got, source, check_exact=True)


def test_backoff_is_jittered_bounded_and_seeded(source: pd.DataFrame, tmp_path: Path) -> None:
    runs = []
    for seed in (11, 11, 12):
        sleeps = Sleeps()
        with BinanceServer(source, drop_on={1, 2, 3, 4, 5}) as server:
            fetch(
                server,
                tmp_path / str(len(runs)),
                until="2021-08-02",
                sleep=sleeps,
                seed=seed,
                base_delay=0.5,
                max_delay=3.0,
            )
        caps = [min(3.0, 0.5 * 2**k) for k in range(5)]
        assert len(sleeps) == 5 and all(0 <= s <= c for s, c in zip(sleeps, caps, strict=True))
        runs.append(list(sleeps))
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_non_retryable_errors_fail_at_once(source: pd.DataFrame, tmp_path: Path) -> None:
    sleeps = Sleeps()
    with BinanceServer(source) as server:
        with pytest.raises(
            DownloadError, match=r"DOGE/USDT.*1 attempt\(s\), not retryable.*BadSymbol"
        ):
            st.data.download(
                "binance",
                "DOGE/USDT",
                "1h",
                SINCE,
                UNTIL,
                data_dir=tmp_path,
                exchange=server.ccxt_exchange(),
                sleep=sleeps,
                progress=False,
            )
    assert sleeps == []
    assert st.data.cache_extent("binance", "DOGE/USDT", "1h", tmp_path) is None


def test_retry_after_forms() -> None:
    assert dl.retry_after_seconds({"Retry-After": "2.5"}, 0.0) == 2.5
    when = pd.Timestamp("2021-08-01 00:00:30", tz="UTC")
    header = {"retry-after": format_datetime(when.to_pydatetime(), usegmt=True)}
    assert dl.retry_after_seconds(header, when.timestamp() - 30) == pytest.approx(30.0)
    assert dl.retry_after_seconds(header, when.timestamp() + 5) == 0.0
    assert dl.retry_after_seconds({"Retry-After": "soon"}, 0.0) is None
    assert dl.retry_after_seconds(None, 0.0) is None


def test_argument_and_dependency_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for kwargs, name in [
        ({"limit": 0}, "limit"),
        ({"max_retries": -1}, "max_retries"),
        ({"base_delay": float("nan")}, "base_delay"),
        ({"until": "2021-07-01"}, "until"),
    ]:
        with pytest.raises(ParameterError, match=f"^{name}: "):
            st.data.download("binance", "SOL/USDT", "1h", SINCE, data_dir=tmp_path, **kwargs)
    with pytest.raises(ParameterError, match=r"^exchange_id: "):
        st.data.download("no_such_exchange", "SOL/USDT", "1h", SINCE, data_dir=tmp_path)
    monkeypatch.setitem(sys.modules, "ccxt", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'soltrader\[live\]'"):
        dl.make_exchange("binance")
