"""validate() and fill_gaps() on the bundled real bars, clean and deliberately corrupted."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import polars as pl
import pytest

import soltrader as st
from soltrader.data.schema import ohlcv_frame, to_polars
from soltrader.data.validation import (
    CODES,
    FINDING_COLUMNS,
    check_bar_times,
    fill_gaps,
    infer_timeframe,
    timeframe_from_ms,
    validate,
)
from soltrader.domain.errors import DataError, ParameterError

#: The SOL 1h gaps documented with the bundled sample: first missing bar, bars missing.
SOL_1H_GAPS = [
    ("2020-11-30 06:00", 1),
    ("2020-12-21 14:00", 4),
    ("2020-12-25 02:00", 1),
    ("2021-02-11 04:00", 1),
    ("2021-03-06 02:00", 1),
    ("2021-04-20 02:00", 2),
    ("2021-04-25 05:00", 3),
    ("2021-08-13 02:00", 4),
    ("2021-09-29 07:00", 2),
    ("2023-03-24 13:00", 1),
]
ROW = 57  # where the corruptions are planted in a window of real 1m bars


def as_kind(df: pd.DataFrame, kind: str) -> pd.DataFrame | pl.DataFrame:
    return to_polars(df) if kind == "polars" else df


@pytest.fixture
def window(sol_1m: pd.DataFrame) -> pd.DataFrame:
    """200 real 1m bars (a copy: tests corrupt it)."""
    return sol_1m.iloc[1000:1200].copy()


# ---------------------------------------------------------------------------------------------
# real data
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_clean_sol_1m_has_no_findings(sol_1m: pd.DataFrame, kind: str) -> None:
    report = validate(as_kind(sol_1m, kind))
    assert report.ok
    assert len(report) == 0 and report.findings.empty
    assert report.timeframe == "1m" and report.timeframe_inferred
    assert report.n_rows == 111_920
    assert int(report.summary().sum()) == 0
    assert list(report.findings.columns) == list(FINDING_COLUMNS)


def test_sol_1h_has_exactly_the_documented_gaps(sol_1h: pd.DataFrame) -> None:
    report = validate(sol_1h, "1h")
    assert report.ok, str(report)
    assert report.errors.empty
    gaps = report.gaps
    got = [
        (ts.strftime("%Y-%m-%d %H:%M"), int(n))
        for ts, n in zip(gaps["first_missing"], gaps["missing_count"], strict=True)
    ]
    assert got == SOL_1H_GAPS
    assert int(gaps["missing_count"].sum()) == 20
    summary = report.summary()
    assert int(summary["gap"]) == 10 and int(summary.sum()) == 10
    assert (report.warnings["code"] == "gap").all() and len(report.warnings) == 10
    # each gap finding sits on the first bar after the missing ones
    for row, first, n in gaps.itertuples(index=False):
        assert sol_1h.index[row] == first + pd.Timedelta(hours=n)
        assert sol_1h.index[row - 1] == first - pd.Timedelta(hours=1)


def test_zero_volume_bars_are_not_findings(sol_1h: pd.DataFrame) -> None:
    zero = sol_1h.index[sol_1h["volume"] == 0]
    assert [t.strftime("%Y-%m-%d %H:%M") for t in zero] == ["2021-02-11 03:00", "2023-03-24 12:00"]
    report = validate(sol_1h)
    rows = set(report.findings["row"])
    assert not rows & {sol_1h.index.get_loc(t) for t in zero}


def test_strict_on_real_gaps_names_the_first_gap_row(sol_1h: pd.DataFrame) -> None:
    with pytest.raises(DataError) as info:
        validate(sol_1h, "1h", strict=True)
    err = info.value
    expected_row = sol_1h.index.get_loc(pd.Timestamp("2020-11-30 07:00", tz="UTC"))
    assert (err.code, err.row, err.field) == ("gap", expected_row, "timestamp")
    assert err.timestamp == pd.Timestamp("2020-11-30 07:00", tz="UTC")
    assert f"row {expected_row}" in str(err) and "2020-11-30T06:00:00Z" in str(err)


# ---------------------------------------------------------------------------------------------
# every reason code, planted at a known row of real data
# ---------------------------------------------------------------------------------------------


def _set(df: pd.DataFrame, col: str, row: int, value: float) -> pd.DataFrame:
    df.iloc[row, df.columns.get_loc(col)] = value
    return df


def _with_index(df: pd.DataFrame, ts: pd.DatetimeIndex) -> pd.DataFrame:
    return df.set_axis(pd.DatetimeIndex(ts, name="timestamp"), axis=0)


def corrupt_nan(df: pd.DataFrame) -> tuple[pd.DataFrame, int, str]:
    return _set(df, "close", ROW, np.nan), ROW, "close"


def corrupt_inf(df: pd.DataFrame) -> tuple[pd.DataFrame, int, str]:
    return _set(df, "high", ROW, np.inf), ROW, "high"


def corrupt_non_positive_price(df: pd.DataFrame) -> tuple[pd.DataFrame, int, str]:
    return _set(df, "low", ROW, 0.0), ROW, "low"


def corrupt_high_below_low(df: pd.DataFrame) -> tuple[pd.DataFrame, int, str]:
    high, low = df["high"].iloc[ROW], df["low"].iloc[ROW]
    assert high > low
    _set(df, "high", ROW, low)
    return _set(df, "low", ROW, high), ROW, "high"


def corrupt_ohlc_inconsistent(df: pd.DataFrame) -> tuple[pd.DataFrame, int, str]:
    return _set(df, "open", ROW, df["high"].iloc[ROW] * 1.01), ROW, "open"


def corrupt_negative_volume(df: pd.DataFrame) -> tuple[pd.DataFrame, int, str]:
    return _set(df, "volume", ROW, -df["volume"].iloc[ROW] - 1.0), ROW, "volume"


def corrupt_duplicate_timestamp(df: pd.DataFrame) -> tuple[pd.DataFrame, int, str]:
    ts = df.index.to_numpy().copy()
    ts[ROW] = ts[ROW - 1]
    return _with_index(df, ts), ROW, "timestamp"


def corrupt_unsorted(df: pd.DataFrame) -> tuple[pd.DataFrame, int, str]:
    ts = df.index.to_numpy().copy()
    ts[ROW], ts[ROW + 1] = ts[ROW + 1], ts[ROW]
    return _with_index(df, ts), ROW + 1, "timestamp"


def corrupt_off_grid(df: pd.DataFrame) -> tuple[pd.DataFrame, int, str]:
    ts = df.index.to_numpy().copy()
    ts[ROW] = ts[ROW] + np.timedelta64(30, "s")
    return _with_index(df, ts), ROW, "timestamp"


def corrupt_gap(df: pd.DataFrame) -> tuple[pd.DataFrame, int, str]:
    return df.drop(index=df.index[ROW]), ROW, "timestamp"


CORRUPTIONS: dict[str, Callable[[pd.DataFrame], tuple[pd.DataFrame, int, str]]] = {
    "nan": corrupt_nan,
    "inf": corrupt_inf,
    "non_positive_price": corrupt_non_positive_price,
    "high_below_low": corrupt_high_below_low,
    "ohlc_inconsistent": corrupt_ohlc_inconsistent,
    "negative_volume": corrupt_negative_volume,
    "duplicate_timestamp": corrupt_duplicate_timestamp,
    "unsorted": corrupt_unsorted,
    "off_grid": corrupt_off_grid,
    "gap": corrupt_gap,
}


def test_every_code_has_a_corruption_test() -> None:
    assert set(CORRUPTIONS) == set(CODES)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize("code", list(CORRUPTIONS))
def test_corruption_is_found_at_its_row(window: pd.DataFrame, code: str, kind: str) -> None:
    assert validate(window, "1m").findings.empty
    bad, row, field = CORRUPTIONS[code](window)
    report = validate(as_kind(bad, kind), "1m")
    hits = report.findings[report.findings["code"] == code]
    assert hits["row"].tolist() == [row], str(report)
    hit = hits.iloc[0]
    assert hit["field"] == field
    assert hit["timestamp"] == bad.index[row]
    assert hit["severity"] == ("warning" if code == "gap" else "error")
    assert report.ok == (code == "gap")
    assert int(report.summary()[code]) == 1
    assert hit["message"]


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize("code", list(CORRUPTIONS))
def test_strict_names_the_row_and_code(window: pd.DataFrame, code: str, kind: str) -> None:
    bad, row, field = CORRUPTIONS[code](window)
    with pytest.raises(DataError) as info:
        validate(as_kind(bad, kind), "1m", strict=True)
    err = info.value
    assert (err.code, err.row, err.field) == (code, row, field)
    assert err.timestamp == bad.index[row]
    text = str(err)
    assert text.startswith(f"row {row} (") and code in text
    assert bad.index[row].strftime("%Y-%m-%dT%H:%M") in text


def test_gap_message_names_first_missing_and_count(window: pd.DataFrame) -> None:
    bad = window.drop(index=window.index[ROW : ROW + 3])
    report = validate(bad, "1m")
    gap = report.gaps.iloc[0]
    assert (gap["row"], gap["first_missing"], gap["missing_count"]) == (
        ROW,
        window.index[ROW],
        3,
    )
    message = report.warnings["message"].iloc[0]
    assert "3 1m bars missing" in message
    assert window.index[ROW].strftime("%Y-%m-%dT%H:%M:%SZ") in message


def test_raise_for_errors(window: pd.DataFrame) -> None:
    assert validate(window.drop(index=window.index[ROW]), "1m").raise_for_errors().ok
    bad, row, _ = corrupt_negative_volume(window)
    bad = _set(bad, "close", row + 5, np.nan)
    with pytest.raises(DataError) as info:
        validate(bad, "1m").raise_for_errors()
    assert (info.value.code, info.value.row) == ("negative_volume", row)


def test_errors_warnings_and_str(window: pd.DataFrame) -> None:
    bad = window.drop(index=window.index[10])  # a gap at row 10
    bad = _set(bad, "open", 20, np.nan)
    report = validate(bad)
    assert report.timeframe_inferred and report.timeframe == "1m"
    assert report.errors["code"].tolist() == ["nan"]
    assert report.warnings["code"].tolist() == ["gap"]
    assert report.findings["row"].tolist() == [10, 20]
    text = str(report)
    assert "NOT OK" in text and "1 error(s), 1 warning(s)" in text
    assert "inferred" in text and "gap" in text and "row 20" in text
    assert "ok=False" in repr(report)


def test_ties_in_a_row_follow_code_order(window: pd.DataFrame) -> None:
    bad = _set(window, "volume", ROW, np.nan)
    bad = _set(bad, "open", ROW, -1.0)
    report = validate(bad, "1m")
    assert report.findings["code"].tolist() == ["nan", "non_positive_price", "ohlc_inconsistent"]
    with pytest.raises(DataError, match="nan"):
        report.raise_for_errors()


def test_unsorted_input_gives_no_spurious_gaps(window: pd.DataFrame) -> None:
    report = validate(window.iloc[::-1], "1m")
    assert report.summary()["unsorted"] == len(window) - 1
    assert report.gaps.empty


def test_time_column_input(window: pd.DataFrame) -> None:
    flat = window.reset_index()
    bad, row, _ = corrupt_off_grid(window)
    assert validate(flat, "1m").findings.empty
    report = validate(bad.reset_index(), "1m")
    assert report.findings["row"].tolist() == [row]


def test_bad_arguments(window: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="timeframe"):
        validate(window, "1 hour")
    with pytest.raises(ParameterError, match="cannot be inferred"):
        validate(window.iloc[:1])
    with pytest.raises(ParameterError, match="strict"):
        validate(window, "1m", strict="yes")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="volume"):
        validate(window.drop(columns="volume"), "1m")


def test_columns_are_read_by_name_in_any_case(window: pd.DataFrame) -> None:
    capital = window.rename(columns=str.capitalize)[["Volume", "Close", "Low", "High", "Open"]]
    assert validate(capital, "1m").findings.empty
    corrupt = capital.assign(High=capital["Low"] * 0.5)  # the capitalised column is the one read
    assert validate(corrupt, "1m").findings["code"].iloc[0] == "high_below_low"
    with pytest.raises(DataError, match="columns 'close' and 'Close' are both read as 'close'"):
        validate(window.assign(Close=window["close"]), "1m")
    assert validate(window.assign(Note=1.0, note=2.0), "1m").findings.empty  # not read: allowed
    flat = window.reset_index()
    with pytest.raises(DataError, match="'timestamp' and 'Timestamp' are both read"):
        st.backtest(flat.assign(Timestamp=flat["timestamp"]), st.strategies.sma_cross)


def test_empty_frame_with_timeframe_is_ok(window: pd.DataFrame) -> None:
    report = validate(window.iloc[:0], "1m")
    assert report.ok and len(report) == 0 and "0 rows" in str(report)


def test_infer_timeframe() -> None:
    hour = 3_600_000
    assert infer_timeframe(np.array([0, hour, 2 * hour, 4 * hour])) == "1h"
    assert infer_timeframe(np.array([0, 4 * hour, 8 * hour])) == "4h"
    assert infer_timeframe(np.array([0, 90_000, 180_000])) == "90s"
    assert timeframe_from_ms(7 * 86_400_000) == "1w"
    with pytest.raises(ParameterError, match="1500 ms"):
        infer_timeframe(np.array([0, 1_500, 3_000]))


def test_check_bar_times() -> None:
    check_bar_times(np.array([0, 60_000]), "1m")
    for ts, code, row in (
        ([0, 60_000, 60_000], "duplicate_timestamp", 2),
        ([0, 120_000, 60_000], "unsorted", 2),
        ([0, 61_000], "off_grid", 1),
    ):
        with pytest.raises(DataError) as info:
            check_bar_times(np.array(ts), "1m")
        assert (info.value.code, info.value.row) == (code, row)


# ---------------------------------------------------------------------------------------------
# fill_gaps
# ---------------------------------------------------------------------------------------------


def test_fill_gaps_on_sol_1h(sol_1h: pd.DataFrame) -> None:
    before = sol_1h.copy()
    out = fill_gaps(sol_1h, "1h")
    pd.testing.assert_frame_equal(sol_1h, before)  # input untouched
    assert int(out["filled"].sum()) == 20
    assert len(out) == len(sol_1h) + 20
    report = validate(out, "1h")
    assert report.ok and report.gaps.empty and len(report) == 0
    originals = out[~out["filled"]].drop(columns="filled")
    pd.testing.assert_frame_equal(originals, sol_1h)
    inserted = out.index[out["filled"]]
    prev_close = out["close"].shift(1)[out["filled"]]
    for col in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(out.loc[inserted, col].to_numpy(), prev_close.to_numpy())
    assert (out.loc[inserted, "volume"] == 0).all()
    first = [t.strftime("%Y-%m-%d %H:%M") for t in inserted[:5]]
    assert first == [
        "2020-11-30 06:00",
        "2020-12-21 14:00",
        "2020-12-21 15:00",
        "2020-12-21 16:00",
        "2020-12-21 17:00",
    ]
    # the filled bars at a multi-bar gap repeat the last real close before it
    gap_close = sol_1h.loc[pd.Timestamp("2020-12-21 13:00", tz="UTC"), "close"]
    assert out.loc[pd.Timestamp("2020-12-21 17:00", tz="UTC"), "close"] == gap_close


def test_fill_gaps_polars_keeps_kind(sol_1h: pd.DataFrame) -> None:
    out = fill_gaps(to_polars(sol_1h.iloc[:3300]), "1h")
    assert isinstance(out, pl.DataFrame)
    assert out["filled"].sum() == 6  # the gaps of 2020-11-30 (1), 2020-12-21 (4), 2020-12-25 (1)
    assert validate(out, "1h").gaps.empty


def test_fill_gaps_refuses_bad_input(window: pd.DataFrame) -> None:
    bad, row, _ = corrupt_unsorted(window)
    with pytest.raises(DataError) as info:
        fill_gaps(bad, "1m")
    assert (info.value.code, info.value.row) == ("unsorted", row)
    with pytest.raises(ParameterError, match="method"):
        fill_gaps(window, "1m", method="linear")
    empty = fill_gaps(window.iloc[:0], "1m")
    assert empty.empty and "filled" in empty.columns


def test_fill_gaps_without_gaps_is_identity(window: pd.DataFrame) -> None:
    out = fill_gaps(window, "1m")
    assert not out["filled"].any()
    pd.testing.assert_frame_equal(out.drop(columns="filled"), window)


def test_small_frame_example() -> None:
    df = ohlcv_frame(np.array([0, 180_000]), *[np.array([1.0, 2.0])] * 5)
    out = fill_gaps(df, "1m")
    assert out["close"].tolist() == [1.0, 1.0, 1.0, 2.0]
    assert out["volume"].tolist() == [1.0, 0.0, 0.0, 2.0]
