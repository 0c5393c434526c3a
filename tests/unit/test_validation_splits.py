"""Walk-forward windows and purged K-fold splits: hand-checked layouts, real SOL times, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import soltrader as st
from soltrader.engine.validation.splits import (
    Window,
    purged_kfold,
    walk_forward_windows,
    windows_table,
)


def slices(windows: list[Window]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    return [((w.train.start, w.train.stop), (w.test.start, w.test.stop)) for w in windows]


def test_rolling_bar_windows_by_hand() -> None:
    # 20 bars, train 8, test 4: tests start at 8, 12, 16 and tile the rest of the data.
    wins = walk_forward_windows(20, 8, 4)
    assert slices(wins) == [((0, 8), (8, 12)), ((4, 12), (12, 16)), ((8, 16), (16, 20))]
    assert [w.fold for w in wins] == [0, 1, 2]
    assert (wins[1].train_start, wins[1].train_end, wins[1].test_end) == (4, 11, 15)


def test_last_test_window_is_shorter_when_the_data_ends() -> None:
    assert slices(walk_forward_windows(11, 5, 4)) == [((0, 5), (5, 9)), ((4, 9), (9, 11))]


def test_anchored_windows_start_at_the_first_bar() -> None:
    wins = walk_forward_windows(20, 8, 4, anchored=True)
    assert slices(wins) == [((0, 8), (8, 12)), ((0, 12), (12, 16)), ((0, 16), (16, 20))]


def test_purge_and_embargo_shorten_the_training_window_not_the_test() -> None:
    wins = walk_forward_windows(20, 8, 4, purge=2, embargo=1)
    assert slices(wins) == [((0, 5), (8, 12)), ((4, 9), (12, 16)), ((8, 13), (16, 20))]


def test_step_shorter_than_test_gives_overlapping_tests() -> None:
    wins = walk_forward_windows(12, 6, 4, step=2)
    assert slices(wins) == [((0, 6), (6, 10)), ((2, 8), (8, 12)), ((4, 10), (10, 12))]


def test_time_windows_on_real_hourly_bars(sol_1h: pd.DataFrame) -> None:
    bars = sol_1h.iloc[-24 * 200 :]
    wins = walk_forward_windows(bars.index, "90D", "30D")
    t0 = bars.index[0]
    assert wins[0].test_start >= t0 + pd.Timedelta("90D")
    assert wins[0].test_start - pd.Timedelta("1h") < t0 + pd.Timedelta("90D")
    for w in wins:
        assert w.train_start >= w.test_start - pd.Timedelta("90D")
        assert w.train_end < w.test_start
        assert w.test_end < w.test_start + pd.Timedelta("30D")
        assert bars.index[w.test.start] == w.test_start
        assert bars.index[w.train.stop - 1] == w.train_end
    starts = [w.test.start for w in wins]
    stops = [w.test.stop for w in wins]
    assert starts[1:] == stops[:-1] and stops[-1] == len(bars)
    assert len(wins) == 4  # 110 days of tests after the first 90: 30 + 30 + 30 + 20


def test_time_spans_accept_timedelta_and_calendar_offsets(sol_1h: pd.DataFrame) -> None:
    idx = sol_1h.index[: 24 * 120]
    by_str = walk_forward_windows(idx, "60D", "20D")
    by_td = walk_forward_windows(idx, pd.Timedelta(days=60), pd.Timedelta(days=20))
    assert slices(by_str) == slices(by_td)
    monthly = walk_forward_windows(
        sol_1h.index[: 24 * 200], pd.DateOffset(months=2), pd.DateOffset(months=1)
    )
    assert all(w.test_start.day == monthly[0].test_start.day for w in monthly[:3])


def test_frames_and_polars_give_the_same_windows(sol_1h: pd.DataFrame) -> None:
    bars = sol_1h.iloc[: 24 * 60]
    frame = pl.from_pandas(bars.reset_index())
    assert slices(walk_forward_windows(bars, "20D", "10D")) == slices(
        walk_forward_windows(frame, "20D", "10D")
    )


def test_windows_table_lists_every_window() -> None:
    table = windows_table(walk_forward_windows(20, 8, 4, purge=1))
    assert table["n_train"].tolist() == [7, 7, 7]
    assert table["n_test"].tolist() == [4, 4, 4]
    assert table["test_start"].tolist() == [8, 12, 16]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"train": 15, "test": 6}, "train"),
        ({"train": 0, "test": 6}, "train"),
        ({"train": 5, "test": "2D"}, "test"),
        ({"train": 5, "test": 3, "step": 0}, "step"),
        ({"train": 5, "test": 3, "purge": -1}, "purge"),
        ({"train": 5, "test": 3, "purge": 3, "embargo": 2}, "purge"),
        ({"train": "5D", "test": "2D"}, "train"),
        ({"train": "soon", "test": 3}, "train"),
    ],
)
def test_bad_windows_raise_a_parameter_error(kwargs: dict, name: str) -> None:
    with pytest.raises(st.ParameterError) as err:
        walk_forward_windows(20, **kwargs)
    assert err.value.name == name


def test_a_window_longer_than_the_data_names_both_spans(sol_1h: pd.DataFrame) -> None:
    with pytest.raises(st.ParameterError, match="longer than the data"):
        walk_forward_windows(sol_1h.index[: 24 * 100], "90D", "30D")


def test_unordered_or_missing_times_are_data_errors() -> None:
    idx = pd.DatetimeIndex(["2024-01-01", "2024-01-03", "2024-01-02"], tz="UTC")
    with pytest.raises(st.DataError, match="row 2") as err:
        walk_forward_windows(idx, "1D", "1D")
    assert err.value.row == 2
    with pytest.raises(st.DataError, match="NaT"):
        walk_forward_windows(pd.DatetimeIndex(["2024-01-01", None]), 1, 1)
    with pytest.raises(st.ParameterError, match="empty"):
        walk_forward_windows(pd.DatetimeIndex([]), 1, 1)


def test_purged_kfold_by_hand() -> None:
    folds = purged_kfold(12, 3, label_horizon=1, embargo=1)
    assert [(f.test.start, f.test.stop) for f in folds] == [(0, 4), (4, 8), (8, 12)]
    # fold 1 tests bars 4..7, whose labels reach bar 8: bar 3 (label 3..4) and bar 8 (label
    # 8..9, starting inside the test labels' span) are purged, bar 9 is embargoed.
    assert folds[1].train.tolist() == [0, 1, 2, 10, 11]
    assert folds[0].train.tolist() == [6, 7, 8, 9, 10, 11]
    assert folds[2].train.tolist() == [0, 1, 2, 3, 4, 5, 6]


def test_purged_kfold_without_purging_is_plain_kfold() -> None:
    folds = purged_kfold(10, 3)
    for f in folds:
        test = np.arange(f.test.start, f.test.stop)
        assert np.array_equal(np.sort(np.concatenate([f.train, test])), np.arange(10))


def test_purged_kfold_extra_purge_widens_the_gap_before_the_test() -> None:
    assert purged_kfold(12, 3, purge=2)[1].train.tolist() == [0, 1, 8, 9, 10, 11]


def test_purged_kfold_keeps_times(sol_1h: pd.DataFrame) -> None:
    folds = purged_kfold(sol_1h.index[:100], 4, embargo=2)
    assert folds[1].test_start == sol_1h.index[25]
    assert folds[1].test_end == sol_1h.index[49]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"k": 1}, "k"),
        ({"k": 11}, "k"),
        ({"k": 2.0}, "k"),
        ({"k": 2, "embargo": -1}, "embargo"),
        ({"k": 2, "label_horizon": 5, "embargo": 5}, "embargo"),
    ],
)
def test_bad_folds_raise(kwargs: dict, name: str) -> None:
    with pytest.raises(st.ParameterError) as err:
        purged_kfold(10, **kwargs)
    assert err.value.name == name
