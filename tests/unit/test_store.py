"""The parquet store: loading the bundled sample, the cache, CSV/parquet files and trades."""

from __future__ import annotations

import os
import shutil
import warnings
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import soltrader as st
from soltrader.adapters import store
from soltrader.domain.errors import (
    DataError,
    DataNotFoundError,
    ParameterError,
    SoltraderWarning,
)

DATA = Path(__file__).resolve().parents[2] / "data"
SOL_1H_2021 = DATA / "sample" / "binance" / "SOL-USDT" / "1h" / "2021.parquet"
HOUR = pd.Timedelta(hours=1)
ROWS_2021 = pq.read_metadata(SOL_1H_2021).num_rows


def missing_bars(df: pd.DataFrame, step: pd.Timedelta) -> tuple[int, int]:
    """(gaps, bars missing) counted straight from the index spacing."""
    spacing = np.diff(df.index.asi8) // step.value
    return int(np.sum(spacing > 1)), int(np.sum(spacing[spacing > 1] - 1))


def load_quiet(*args: object, **kwargs: object) -> pd.DataFrame:
    """``store.load`` with its gap warning silenced (tests that are not about warnings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SoltraderWarning)
        return store.load(*args, **kwargs)


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    """A data dir whose sample holds the real SOL/USDT 1h bars of 2021 only."""
    folder = tmp_path / "sample" / "binance" / "SOL-USDT" / "1h"
    folder.mkdir(parents=True)
    shutil.copy(SOL_1H_2021, folder / "2021.parquet")
    return tmp_path


def year_files(root: Path, symbol: str = "SOL-USDT", tf: str = "1h") -> list[str]:
    folder = root / "cache" / "binance" / symbol / tf
    return sorted(p.name for p in folder.iterdir())


# -- loading the bundled sample -------------------------------------------------------------------
def test_load_sol_1h_matches_the_sample_and_warns_about_its_gaps(sol_1h: pd.DataFrame) -> None:
    gaps, missing = missing_bars(sol_1h, HOUR)
    assert gaps == 10
    with pytest.warns(
        SoltraderWarning, match=rf"{gaps} gap\(s\), {missing} bar\(s\) missing"
    ) as rec:
        df = st.data.load("SOL/USDT", "1h", data_dir=DATA)
    assert rec[0].filename == __file__  # attributed to the caller, not to soltrader
    assert len(df) == 47_359
    assert list(df.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dtype == np.float64 for dtype in df.dtypes)
    assert str(df.index.dtype) == "datetime64[ns, UTC]" and df.index.name == "timestamp"
    pd.testing.assert_frame_equal(df, sol_1h, check_exact=True)
    report = df.attrs["validation"]
    assert report.ok and len(report.gaps) == gaps
    assert df.attrs["source"] == "sample" and df.attrs["symbol"] == "SOL/USDT"


def test_polars_backend_agrees_with_pandas() -> None:
    pdf = load_quiet("SOL/USDT", "1h", data_dir=DATA, start="2022-01-01", end="2022-03-01")
    plf = load_quiet(
        "SOL/USDT", "1h", data_dir=DATA, start="2022-01-01", end="2022-03-01", backend="polars"
    )
    assert isinstance(plf, pl.DataFrame)
    assert plf.columns == ["timestamp", "open", "high", "low", "close", "volume"]
    assert plf.schema["timestamp"] == pl.Datetime("ns", "UTC")
    pd.testing.assert_frame_equal(st.data.to_pandas(plf), pdf, check_exact=True)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2021-08-13", "2021-08-20 05:00"),
        (datetime(2021, 12, 31, 22), datetime(2022, 1, 1, 3)),  # naive = UTC, across a year
        (1_640_995_200_000, "2022-01-01T02:00:00+00:00"),  # epoch ms / ISO with offset
        (pd.Timestamp("2021-08-13 03:00", tz="Asia/Tokyo"), date(2021, 8, 14)),
    ],
)
def test_start_is_inclusive_and_end_exclusive(
    sol_1h: pd.DataFrame, start: object, end: object
) -> None:
    lo, hi = store.to_epoch_ms(start, "start"), store.to_epoch_ms(end, "end")
    df = load_quiet("SOL/USDT", "1h", data_dir=DATA, start=start, end=end)
    ms = sol_1h.index.asi8 // 1_000_000
    expected = sol_1h[(ms >= lo) & (ms < hi)]
    assert len(expected) > 0
    pd.testing.assert_frame_equal(df, expected, check_exact=True)
    assert df.index[0].value // 1_000_000 >= lo and df.index[-1].value // 1_000_000 < hi


def test_bounds_on_bar_times(sol_1h: pd.DataFrame) -> None:
    df = load_quiet(
        "SOL/USDT", "1h", data_dir=DATA, start="2022-05-01 10:00", end="2022-05-01 13:00"
    )
    assert [t.hour for t in df.index] == [10, 11, 12]


def test_symbol_spellings(sol_1h: pd.DataFrame) -> None:
    kwargs = {"data_dir": DATA, "start": "2023-01-01", "end": "2023-01-02"}
    a = load_quiet("SOL/USDT", "1h", **kwargs)
    for spelling in ("SOL-USDT", "sol/usdt", "SOLUSDT", "solusdt"):
        pd.testing.assert_frame_equal(load_quiet(spelling, "1h", **kwargs), a)
    with pytest.raises(ParameterError, match="symbol"):
        store.load("SOL//USDT", "1h", data_dir=DATA)
    with pytest.raises(DataNotFoundError, match="DOGEUSDT"):
        store.load("DOGEUSDT", "1h", data_dir=DATA)


def test_bare_symbol_must_be_unambiguous(tmp_path: Path, sol_1h: pd.DataFrame) -> None:
    bars = sol_1h.loc["2021-08-01":"2021-08-01 05:00"]
    store.write_cache(bars, "binance", "SOL/USDT", "1h", tmp_path)
    store.write_cache(bars, "binance", "SO/LUSDT", "1h", tmp_path)
    with pytest.raises(ParameterError, match=r"ambiguous.*SO/LUSDT.*SOL/USDT"):
        store.load("SOLUSDT", "1h", data_dir=tmp_path)
    assert len(store.load("SOL/USDT", "1h", data_dir=tmp_path)) == 6


def test_bad_arguments_raise_parameter_errors() -> None:
    for kwargs, name in [
        ({"start": 1.5e12}, "start"),
        ({"start": True}, "start"),
        ({"end": "not a date"}, "end"),
        ({"start": "2022-01-02", "end": "2022-01-01"}, "end"),
        ({"backend": "arrow"}, "backend"),
        ({"source": "web"}, "source"),
        ({"exchange": "bin ance"}, "exchange"),
    ]:
        with pytest.raises(ParameterError, match=f"^{name}: "):
            store.load("SOL/USDT", "1h", data_dir=DATA, **kwargs)
    with pytest.raises(ParameterError, match="timeframe"):
        store.load("SOL/USDT", "1M", data_dir=DATA)


# -- not found ------------------------------------------------------------------------------------
def test_not_found_lists_paths_tried_and_series_available() -> None:
    with pytest.raises(DataNotFoundError) as info:
        store.load("SOL/USDT", "15m", data_dir=DATA)
    message = str(info.value)
    assert str(DATA / "cache" / "binance" / "SOL-USDT" / "15m") in message
    assert str(DATA / "sample" / "binance" / "SOL-USDT" / "15m") in message
    assert "binance SOL/USDT 1h (sample)" in message and "gemini SOL/USD trades (sample)" in message
    assert isinstance(info.value, DataError) and isinstance(info.value, LookupError)


def test_range_without_bars_is_not_found() -> None:
    with pytest.raises(DataNotFoundError, match=r"stored bars span 2020-08-11T06:00:00\+00:00"):
        store.load("SOL/USDT", "1h", data_dir=DATA, start="2030-01-01")


def test_empty_data_dir(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="no series are stored"):
        store.load("SOL/USDT", "1h", data_dir=tmp_path)


# -- data dir resolution --------------------------------------------------------------------------
def test_data_dir_resolution_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_dir: Path
) -> None:
    project = tmp_path / "project"
    (project / "data" / "cache").mkdir(parents=True)
    deep = project / "notebooks" / "sub"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    monkeypatch.delenv(store.ENV_VAR, raising=False)
    assert store.resolve_data_dir() == (project / "data").resolve()
    monkeypatch.setenv(store.ENV_VAR, str(sample_dir))
    assert store.resolve_data_dir() == sample_dir
    assert len(load_quiet("SOL/USDT", "1h")) == ROWS_2021  # read via the env var
    assert store.resolve_data_dir(tmp_path / "explicit") == tmp_path / "explicit"


def test_source_tree_data_dir_is_the_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(store.ENV_VAR, raising=False)
    assert store.resolve_data_dir() == DATA


# -- cache precedence -----------------------------------------------------------------------------
def test_cache_takes_precedence_over_sample(sample_dir: Path, sol_1h: pd.DataFrame) -> None:
    window = sol_1h.loc["2021-03-01":"2021-03-03 23:00"]
    assert store.write_cache(window, "binance", "SOL/USDT", "1h", sample_dir) == 72
    cached = store.load("SOL/USDT", "1h", data_dir=sample_dir)
    pd.testing.assert_frame_equal(cached, window, check_exact=True)
    assert cached.attrs["source"] == "cache"
    sample = load_quiet("SOL/USDT", "1h", data_dir=sample_dir, source="sample")
    assert len(sample) == ROWS_2021 and sample.attrs["source"] == "sample"
    with pytest.raises(DataNotFoundError):
        store.load("SOL/USDT", "4h", data_dir=sample_dir, source="cache")


# -- read_ohlcv -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def window(sol_1h: pd.DataFrame) -> pd.DataFrame:
    """Real bars with both 2021 gaps (2021-08-13 and 2021-09-29)."""
    return sol_1h.loc["2021-08-01":"2021-11-30 23:00"]


def test_read_ohlcv_csv_with_iso_timestamps(tmp_path: Path, window: pd.DataFrame) -> None:
    path = tmp_path / "bars.csv"
    window.to_csv(path)
    assert path.read_text().splitlines()[1].startswith("2021-08-01 00:00:00+00:00,")
    back = store.read_ohlcv(path, validate=False)
    pd.testing.assert_frame_equal(back, window, check_exact=True)
    assert back.attrs["source"] == str(path)


@pytest.mark.parametrize("name", ["bars.csv", "bars.csv.gz"])
def test_read_ohlcv_csv_with_epoch_ms(tmp_path: Path, window: pd.DataFrame, name: str) -> None:
    raw = window.reset_index(drop=True)
    raw.insert(0, "open_time_ms", window.index.asi8 // 1_000_000)
    raw["close_time_ms"] = raw["open_time_ms"] + 3_599_999
    path = tmp_path / name
    raw.to_csv(path, index=False)
    back = store.read_ohlcv(path, timeframe="1h", validate=False)
    pd.testing.assert_frame_equal(back, window, check_exact=True)


def test_read_ohlcv_naive_iso_and_upper_case_columns(tmp_path: Path, window: pd.DataFrame) -> None:
    raw = window.rename(columns=str.upper)
    raw.index = raw.index.tz_localize(None).rename("Date")
    path = tmp_path / "naive.csv"
    raw.to_csv(path)
    pd.testing.assert_frame_equal(store.read_ohlcv(path, validate=False), window, check_exact=True)


def test_read_ohlcv_parquet_with_datetime_index(tmp_path: Path, window: pd.DataFrame) -> None:
    path = tmp_path / "bars.parquet"
    window.to_parquet(path)
    with pytest.warns(SoltraderWarning, match=r"2 gap\(s\), 6 bar\(s\) missing"):
        back = store.read_ohlcv(path, timeframe="1h")
    pd.testing.assert_frame_equal(back, window, check_exact=True)
    assert len(back.attrs["validation"].gaps) == 2


def test_read_ohlcv_parquet_unnamed_index_and_polars_datetimes(
    tmp_path: Path, window: pd.DataFrame
) -> None:
    unnamed = tmp_path / "unnamed.parquet"
    window.rename_axis(None).to_parquet(unnamed)
    pd.testing.assert_frame_equal(store.read_ohlcv(unnamed, validate=False), window)
    naive = tmp_path / "naive.parquet"
    frame = pl.from_pandas(window.reset_index())
    frame.with_columns(pl.col("timestamp").dt.replace_time_zone(None)).write_parquet(naive)
    pd.testing.assert_frame_equal(store.read_ohlcv(naive, validate=False), window)
    tokyo = tmp_path / "tokyo.parquet"
    frame.with_columns(pl.col("timestamp").dt.convert_time_zone("Asia/Tokyo")).write_parquet(tokyo)
    pd.testing.assert_frame_equal(store.read_ohlcv(tokyo, validate=False), window)
    sample = store.read_ohlcv(SOL_1H_2021, timeframe="1h", validate=False)
    assert len(sample) == ROWS_2021 and sample.index[0] == pd.Timestamp("2021-01-01", tz="UTC")


def test_read_ohlcv_errors(tmp_path: Path, window: pd.DataFrame) -> None:
    with pytest.raises(DataNotFoundError, match="no such file"):
        store.read_ohlcv(tmp_path / "absent.csv")
    (tmp_path / "bars.json").write_text("{}")
    with pytest.raises(ParameterError, match=r"^path: .*\.csv"):
        store.read_ohlcv(tmp_path / "bars.json")
    no_time = tmp_path / "no_time.csv"
    window.reset_index(drop=True).to_csv(no_time, index=False)
    with pytest.raises(DataError, match=r"no bar time.*open_time_ms") as info:
        store.read_ohlcv(no_time)
    assert info.value.field == "timestamp"
    text = tmp_path / "text.csv"
    window.assign(close="n/a").to_csv(text)
    with pytest.raises(DataError, match="'close' must be numeric") as info:
        store.read_ohlcv(text)
    assert info.value.field == "close" and str(text) in str(info.value)


def test_read_ohlcv_reports_invalid_rows_without_fixing(
    tmp_path: Path, window: pd.DataFrame
) -> None:
    swapped = window.iloc[[0, 2, 1, 3]]
    path = tmp_path / "unsorted.csv"
    swapped.to_csv(path)
    with pytest.raises(DataError, match="unsorted") as info:
        store.read_ohlcv(path, timeframe="1h")
    assert info.value.code == "unsorted" and info.value.row == 2
    back = store.read_ohlcv(path, validate=False)  # rows kept as written, not sorted
    assert list(back.index) == list(swapped.index)


# -- write_cache ----------------------------------------------------------------------------------
def test_write_cache_merges_and_never_duplicates(tmp_path: Path, window: pd.DataFrame) -> None:
    assert store.cache_extent("binance", "SOL/USDT", "1h", tmp_path) is None
    assert store.write_cache(window.iloc[:100], "binance", "SOL/USDT", "1h", tmp_path) == 100
    path = tmp_path / "cache" / "binance" / "SOL-USDT" / "1h" / "2021.parquet"
    before = path.read_bytes()
    assert store.write_cache(window.iloc[:100], "binance", "SOL/USDT", "1h", tmp_path) == 0
    assert path.read_bytes() == before  # identical bars: nothing rewritten
    assert store.write_cache(window.iloc[50:150], "binance", "SOL/USDT", "1h", tmp_path) == 50
    assert store.write_cache(window.iloc[300:400], "binance", "SOL/USDT", "1h", tmp_path) == 100
    assert store.write_cache(window.iloc[120:310], "binance", "SOL/USDT", "1h", tmp_path) == 150
    pd.testing.assert_frame_equal(
        load_quiet("SOL/USDT", "1h", data_dir=tmp_path), window.iloc[:400], check_exact=True
    )
    assert store.cache_extent("binance", "SOL/USDT", "1h", tmp_path) == (
        window.index[0],
        window.index[399],
    )
    assert year_files(tmp_path) == ["2021.parquet"]  # no temporary files left behind


def test_write_cache_conflict_raises_and_keeps_the_cache(
    tmp_path: Path, window: pd.DataFrame
) -> None:
    store.write_cache(window.iloc[:48], "binance", "SOL/USDT", "1h", tmp_path)
    path = tmp_path / "cache" / "binance" / "SOL-USDT" / "1h" / "2021.parquet"
    before = path.read_bytes()
    changed = window.iloc[40:60].copy()
    changed.iloc[5, changed.columns.get_loc("volume")] += 1.0
    with pytest.raises(DataError, match=r"2021-08-02T21:00:00\+00:00.*volume=") as info:
        store.write_cache(changed, "binance", "SOL/USDT", "1h", tmp_path)
    err = info.value
    assert (err.code, err.field, err.row) == ("conflict", "volume", 5)
    assert err.timestamp == changed.index[5]
    assert path.read_bytes() == before
    assert store.write_cache(changed, "binance", "SOL/USDT", "1h", tmp_path, overwrite=True) == 12
    df = store.load("SOL/USDT", "1h", data_dir=tmp_path)
    assert len(df) == 60 and df["volume"].iloc[45] == changed["volume"].iloc[5]
    pd.testing.assert_frame_equal(df.iloc[:45], window.iloc[:45], check_exact=True)


def test_write_cache_refuses_bad_bars(tmp_path: Path, window: pd.DataFrame) -> None:
    cases = [
        (window.iloc[[0, 1, 1, 2]], "duplicate_timestamp", 2),
        (window.iloc[[0, 2, 1]], "unsorted", 2),
        (window.iloc[:3].set_axis(window.index[:3] + pd.Timedelta(minutes=1)), "off_grid", 0),
    ]
    for bars, code, row in cases:
        with pytest.raises(DataError) as info:
            store.write_cache(bars, "binance", "SOL/USDT", "1h", tmp_path)
        assert (info.value.code, info.value.row) == (code, row)
    assert store.cache_extent("binance", "SOL/USDT", "1h", tmp_path) is None
    with pytest.raises(ParameterError, match="symbol"):
        store.write_cache(window, "binance", "SOLUSDT", "1h", tmp_path)


def test_write_cache_partitions_by_year(tmp_path: Path, sol_1h: pd.DataFrame) -> None:
    bars = sol_1h.loc["2021-12-31 20:00":"2022-01-01 03:00"]
    assert (
        store.write_cache(pl.from_pandas(bars.reset_index()), "binance", "SOL/USDT", "1h", tmp_path)
        == 8
    )
    assert year_files(tmp_path) == ["2021.parquet", "2022.parquet"]
    folder = tmp_path / "cache" / "binance" / "SOL-USDT" / "1h"
    table = pq.read_table(folder / "2022.parquet")
    assert table.schema.field("timestamp").type == pa.timestamp("ms", tz="UTC")
    assert table.num_rows == 4
    pd.testing.assert_frame_equal(store.load("SOL/USDT", "1h", data_dir=tmp_path), bars)


def test_write_is_atomic_when_the_writer_fails(
    tmp_path: Path, window: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write_cache(window.iloc[:10], "binance", "SOL/USDT", "1h", tmp_path)
    path = tmp_path / "cache" / "binance" / "SOL-USDT" / "1h" / "2021.parquet"
    before = path.read_bytes()

    def broken(table: pa.Table, where: str, **kwargs: object) -> None:
        Path(where).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(store.pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        store.write_cache(window.iloc[:20], "binance", "SOL/USDT", "1h", tmp_path)
    assert path.read_bytes() == before
    assert year_files(tmp_path) == ["2021.parquet"]


# -- corrupted files ------------------------------------------------------------------------------
def _rewrite(path: Path, table: pa.Table) -> None:
    pq.write_table(table, path)


def test_unreadable_file_raises_data_error(sample_dir: Path) -> None:
    path = sample_dir / "sample" / "binance" / "SOL-USDT" / "1h" / "2021.parquet"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataError, match="not a readable parquet file") as info:
        store.load("SOL/USDT", "1h", data_dir=sample_dir)
    assert info.value.code == "unreadable_file" and str(path) in str(info.value)


def test_invalid_values_in_a_file_raise_data_error(sample_dir: Path) -> None:
    path = sample_dir / "sample" / "binance" / "SOL-USDT" / "1h" / "2021.parquet"
    table = pq.read_table(path)
    high = table.column("high").to_numpy().copy()
    high[100] = table.column("low").to_numpy()[100] - 1.0
    _rewrite(path, table.set_column(2, "high", pa.array(high)))
    with pytest.raises(DataError, match=r"binance SOL/USDT 1h .*row 100 .*high_below_low") as info:
        store.load("SOL/USDT", "1h", data_dir=sample_dir)
    assert (info.value.code, info.value.row, info.value.field) == ("high_below_low", 100, "high")
    assert len(store.load("SOL/USDT", "1h", data_dir=sample_dir, validate=False)) == ROWS_2021


def test_missing_column_and_wrong_year_raise_data_error(sample_dir: Path) -> None:
    path = sample_dir / "sample" / "binance" / "SOL-USDT" / "1h" / "2021.parquet"
    table = pq.read_table(path)
    _rewrite(path, table.drop_columns(["volume"]))
    with pytest.raises(DataError, match="missing column") as info:
        store.load("SOL/USDT", "1h", data_dir=sample_dir)
    assert (info.value.code, info.value.field) == ("missing_column", "volume")
    path.rename(path.with_name("2020.parquet"))
    _rewrite(path.with_name("2020.parquet"), table)
    with pytest.raises(DataError, match="outside the file's year 2020") as info:
        store.load("SOL/USDT", "1h", data_dir=sample_dir, validate=False)
    assert (info.value.code, info.value.row) == ("wrong_partition", 0)


# -- available and trades -------------------------------------------------------------------------
def test_available_lists_sample_and_cache(sample_dir: Path, window: pd.DataFrame) -> None:
    store.write_cache(window, "binance", "SOL/USDT", "1h", sample_dir)
    table = store.available(sample_dir)
    assert list(table.columns) == [
        "exchange",
        "symbol",
        "timeframe",
        "source",
        "first",
        "last",
        "rows",
    ]
    rows = table.set_index("source")
    assert rows.loc["cache", "rows"] == len(window) and rows.loc["sample", "rows"] == ROWS_2021
    assert rows.loc["cache", "first"] == window.index[0]
    assert rows.loc["cache", "last"] == window.index[-1]
    assert rows.loc["sample", "last"] == pd.Timestamp("2021-12-31 23:00", tz="UTC")
    everything = store.available(DATA)
    sol = everything[(everything.symbol == "SOL/USDT") & (everything.timeframe == "1h")]
    assert sol["rows"].tolist() == [47_359]
    assert sol["first"].iloc[0] == pd.Timestamp("2020-08-11 06:00", tz="UTC")
    trades = everything[everything.timeframe == "trades"]
    assert trades[["exchange", "symbol", "rows"]].values.tolist() == [["gemini", "SOL/USD", 12_764]]


def test_load_trades(sol_trades: pl.DataFrame, tmp_path: Path) -> None:
    day = store.load_trades("SOL/USD", "2025-10-10", data_dir=DATA, backend="polars")
    assert day.equals(sol_trades)
    assert store.load_trades("SOLUSD", date(2025, 10, 10), data_dir=DATA).shape[0] == 12_764
    every = store.load_trades("sol-usd", data_dir=DATA)
    assert isinstance(every, pd.DataFrame) and len(every) == 12_764
    assert str(every["timestamp"].dtype).endswith("UTC]")
    pd.testing.assert_frame_equal(every, sol_trades.to_pandas())
    with pytest.raises(DataNotFoundError, match=r"\['2025-10-11'\].*days stored: \['2025-10-10'\]"):
        store.load_trades("SOL/USD", "2025-10-11", data_dir=DATA)
    folder = tmp_path / "cache" / "gemini" / "SOL-USD" / "trades"
    folder.mkdir(parents=True)
    sol_trades.reverse().write_parquet(folder / "2025-10-10.parquet")
    with pytest.raises(DataError, match="time order") as info:
        store.load_trades("SOL/USD", "2025-10-10", data_dir=tmp_path)
    assert info.value.code == "unsorted" and info.value.row is not None


def test_load_and_load_trades_return_the_same_kind_of_frame() -> None:
    # pandas by default for both; backend="polars" gives polars for both
    assert isinstance(store.load("SOL/USDT", "1h", data_dir=DATA, validate=False), pd.DataFrame)
    assert isinstance(store.load_trades("SOL/USD", data_dir=DATA), pd.DataFrame)
    bars = store.load("SOL/USDT", "1h", data_dir=DATA, validate=False, backend="polars")
    assert isinstance(bars, pl.DataFrame)
    assert isinstance(store.load_trades("SOL/USD", data_dir=DATA, backend="polars"), pl.DataFrame)


def test_data_facade_exports_the_store() -> None:
    assert st.data.load is store.load and st.data.write_cache is store.write_cache
    assert os.fspath(store.series_dir(Path("d"), "sample", "Binance", "sol/usdt", "1h")) == (
        os.fspath(Path("d", "sample", "binance", "SOL-USDT", "1h"))
    )
    assert store.symbol_dir("BTC/USDT:USDT") == "BTC-USDT-USDT"
    assert store.display_symbol("BTC-USDT-USDT") == "BTC/USDT:USDT"
