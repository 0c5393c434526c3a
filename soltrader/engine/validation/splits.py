"""Train/test splits of a bar series that never train on what they test.

Two schemes:

* :func:`walk_forward_windows` -- rolling or anchored training windows, each followed by a test
  window, by time span (``"90D"`` / ``"30D"``) or by bar count;
* :func:`purged_kfold` -- K contiguous test folds, training on everything else except the
  observations whose label interval overlaps the test fold (*purging*) and a band after it
  (*embargo*): López de Prado, *Advances in Financial Machine Learning* (Wiley 2018), ch. 7.

Positions are 0-based bar numbers; every slice is half-open ``[start, stop)``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import polars as pl

from soltrader.data.schema import TIME_COLUMNS, bar_times, utc_index
from soltrader.domain.errors import DataError, ParameterError
from soltrader.engine.validation._checks import as_int

Span = int | str | pd.Timedelta | dt.timedelta | pd.DateOffset


class Window(NamedTuple):
    """One walk-forward window: train on ``train``, then evaluate on ``test``.

    Attributes
    ----------
    fold : int
        0-based window number.
    train, test : slice
        Bar positions ``[start, stop)``; ``train.stop <= test.start - purge - embargo``.
    train_start, train_end, test_start, test_end : pandas.Timestamp or int
        Open time of the first and of the last bar (inclusive) of each part; bar positions when
        the index has no times.
    """

    fold: int
    train: slice
    test: slice
    train_start: Any
    train_end: Any
    test_start: Any
    test_end: Any

    @property
    def n_train(self) -> int:
        """Number of training bars.

        Examples
        --------
        >>> walk_forward_windows(10, 4, 3)[0].n_train
        4
        """
        return self.train.stop - self.train.start

    @property
    def n_test(self) -> int:
        """Number of test bars.

        Examples
        --------
        >>> walk_forward_windows(10, 4, 3)[0].n_test
        3
        """
        return self.test.stop - self.test.start


class Fold(NamedTuple):
    """One purged K-fold split.

    Attributes
    ----------
    fold : int
        0-based fold number.
    train : ndarray of int64
        Training bar positions (sorted): every bar outside the test fold, its purge zone and its
        embargo zone.
    test : slice
        Test bar positions ``[start, stop)``.
    test_start, test_end : pandas.Timestamp or int
        Open time of the first and last test bar (positions when the index has no times).
    """

    fold: int
    train: np.ndarray
    test: slice
    test_start: Any
    test_end: Any


def _as_index(index: Any) -> tuple[int, pd.DatetimeIndex | None]:
    """Number of bars and their times (``None`` for a bare bar count or a non-time index)."""
    if isinstance(index, bool | np.bool_):
        raise ParameterError(
            "index", f"expected bars (a DatetimeIndex, frame or count), got {index!r}"
        )
    if isinstance(index, int | np.integer):
        return as_int(index, "index", low=1), None
    if isinstance(index, pl.DataFrame):
        col = next((c for c in TIME_COLUMNS if c in index.columns), None)
        if col is None:
            raise ParameterError(
                "index", f"a polars frame needs a time column, one of {list(TIME_COLUMNS)}"
            )
        index = bar_times(index, "index")
    if isinstance(index, pd.Series | pd.DataFrame):
        index = index.index
    if not isinstance(index, pd.DatetimeIndex):
        if isinstance(index, pd.Index) and not len(index):
            raise ParameterError("index", "no bars: the index is empty")
        if isinstance(index, pd.RangeIndex):
            return len(index), None
        try:
            index = pd.DatetimeIndex(index)
        except (TypeError, ValueError) as exc:
            raise ParameterError("index", f"cannot be read as bar times ({exc})") from exc
    index = utc_index(index, "index")  # any resolution; naive times are UTC
    return len(_checked_times(index)), index


def _checked_times(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    if not len(index):
        raise ParameterError("index", "no bars: the index is empty")
    if index.hasnans:
        row = int(np.flatnonzero(index.isna())[0])
        raise DataError(
            f"index: row {row} has no time (NaT); expected a time on every bar",
            code="nan",
            row=row,
            field="timestamp",
        )
    steps = np.diff(index.as_unit("ns").asi8)
    if (steps <= 0).any():
        row = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise DataError(
            f"index: row {row} ({index[row]}) is not after row {row - 1} "
            f"({index[row - 1]}); expected strictly increasing times",
            code="not_increasing",
            row=row,
            timestamp=index[row],
            field="timestamp",
        )
    return index


def _span(value: Any, name: str) -> int | pd.Timedelta | pd.DateOffset:
    """A bar count (int >= 1) or a positive time span."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return as_int(value, name, low=1)
    if isinstance(value, pd.DateOffset) and not isinstance(value, pd.offsets.Tick):
        return value
    if isinstance(value, str):
        try:
            span = pd.Timedelta(value)
        except ValueError:
            try:
                return pd.tseries.frequencies.to_offset(value)
            except ValueError as exc:
                raise ParameterError(
                    name,
                    f"{value!r} is neither a bar count nor a time span "
                    "such as '90D', '12h' or '3MS'",
                ) from exc
    elif isinstance(value, pd.Timedelta | dt.timedelta | pd.offsets.Tick):
        span = pd.Timedelta(value)
    else:
        raise ParameterError(
            name, f"expected a bar count or a time span such as '90D', got {value!r}"
        )
    if span <= pd.Timedelta(0):
        raise ParameterError(name, f"expected a positive time span, got {value!r}")
    return span


def _stamp(times: pd.DatetimeIndex | None, pos: int) -> Any:
    return pos if times is None else times[pos]


def _bar_starts(n: int, train: int, test: int, step: int) -> list[tuple[int, int, int]]:
    """(first train bar, test start, test stop) per window, rolling layout, bar counts."""
    if train + test > n:
        raise ParameterError(
            "train", f"train ({train} bars) + test ({test} bars) is longer than the data ({n} bars)"
        )
    return [(s - train, s, min(s + test, n)) for s in range(train, n, step)]


def _time_starts(
    times: pd.DatetimeIndex, train: Any, test: Any, step: Any
) -> list[tuple[int, int, int]]:
    """(first train bar, test start, test stop) per window, rolling layout, time spans."""
    t0, last = times[0], times[-1]
    ns = times.as_unit("ns").asi8
    bar = pd.Timedelta(int(np.median(np.diff(ns)))) if len(times) > 1 else pd.Timedelta(0)
    if t0 + train + test > last + bar:
        raise ParameterError(
            "train", f"train ({train}) + test ({test}) is longer than the data ({t0} .. {last})"
        )
    out = []
    k = 0
    while True:
        start = t0 + train + k * step if k else t0 + train
        if start > last:
            return out
        s = int(times.searchsorted(start, side="left"))
        e = int(times.searchsorted(start + test, side="left"))
        if e > s:
            out.append((int(times.searchsorted(start - train, side="left")), s, e))
        k += 1


def walk_forward_windows(
    index: Any,
    train: Span,
    test: Span,
    *,
    step: Span | None = None,
    anchored: bool = False,
    purge: int = 0,
    embargo: int = 0,
) -> list[Window]:
    """Walk-forward train/test windows, by time span or by bar count.

    Test window k starts ``train + k * step`` after the first bar (``step`` defaults to
    ``test``, so the test windows tile the data without overlap) and lasts ``test``; the last
    one may be shorter (it ends with the data), and a test span holding no bar (a gap in the
    data) is skipped. Its training window is the ``train`` span just before it (rolling) or
    everything from the first bar (``anchored``), minus the last ``purge + embargo`` bars:

    * ``purge`` (bars): decisions in these bars have outcomes (open trades, forward-looking
      labels) that reach into the test window, so training on them would see test data;
    * ``embargo`` (bars): a further guard band for serially correlated features. López de Prado
      puts it on the training side of a test boundary; a walk-forward window only trains before
      its test, so it widens the same gap. Test windows do not move with either.

    Parameters
    ----------
    index : pandas.DatetimeIndex, OHLCV frame (pandas or polars), or int
        The bars (their open times, any resolution; naive times are read as UTC and the
        window times come back as UTC), or just their number (then spans must be bar counts).
    train, test, step : int or time span
        Bar counts, or spans such as ``"90D"``, ``"12h"``, a ``pandas.Timedelta`` or a calendar
        ``pandas.DateOffset``. All three of the same kind.
    anchored : bool
        ``True``: every training window starts at the first bar (expanding window).
    purge, embargo : int
        Bars left out between each training window and its test window (see above).

    Returns
    -------
    list of Window
        Integer slices and the times of their first and last bars.

    Raises
    ------
    ParameterError
        Bad spans, ``train + test`` longer than the data, or a training window left empty by
        ``purge + embargo`` (name ``"purge"``) or by a gap in the data (name ``"train"``).
    DataError
        Times that are missing or not strictly increasing.

    Examples
    --------
    >>> [(w.train, w.test) for w in walk_forward_windows(10, 4, 3, purge=1)]
    [(slice(0, 3, None), slice(4, 7, None)), (slice(3, 6, None), slice(7, 10, None))]
    >>> wins = walk_forward_windows(bars.index, "90D", "30D")  # doctest: +SKIP
    """
    n, times = _as_index(index)
    spans = {"train": _span(train, "train"), "test": _span(test, "test")}
    spans["step"] = spans["test"] if step is None else _span(step, "step")
    kinds = {k: isinstance(v, int) for k, v in spans.items()}
    if len(set(kinds.values())) > 1:
        raise ParameterError(
            "step" if step is not None else "test",
            f"train, test and step must all be bar counts or all time spans, "
            f"got {train!r}, {test!r}, {step!r}",
        )
    gap = as_int(purge, "purge", low=0) + as_int(embargo, "embargo", low=0)
    if kinds["train"]:
        starts = _bar_starts(n, spans["train"], spans["test"], spans["step"])
    elif times is None:
        raise ParameterError(
            "train",
            f"a time span ({train!r}) needs bar times: pass a "
            "DatetimeIndex or a frame indexed by time",
        )
    else:
        starts = _time_starts(times, spans["train"], spans["test"], spans["step"])
    return [_window(k, first, s, e, gap, anchored, times) for k, (first, s, e) in enumerate(starts)]


def _window(
    k: int, first: int, s: int, e: int, gap: int, anchored: bool, times: pd.DatetimeIndex | None
) -> Window:
    lo = 0 if anchored else first
    hi = s - gap
    if s <= lo:
        when = f" before {times[s]}" if times is not None else ""
        raise ParameterError(
            "train",
            f"window {k} has no training bar{when}: the data has a "
            "gap longer than the training span",
        )
    if hi <= lo:
        raise ParameterError(
            "purge",
            f"purge + embargo ({gap} bars) leaves no training bar in "
            f"window {k} (train bars {lo}..{s - 1})",
        )
    return Window(
        k,
        slice(lo, hi),
        slice(s, e),
        _stamp(times, lo),
        _stamp(times, hi - 1),
        _stamp(times, s),
        _stamp(times, e - 1),
    )


def purged_kfold(
    index: Any,
    k: int,
    *,
    purge: int = 0,
    embargo: int = 0,
    label_horizon: int = 0,
) -> list[Fold]:
    """K-fold cross-validation for time series with purging and embargo (López de Prado).

    The bars are cut into ``k`` contiguous test folds (sizes differ by at most one bar, as
    ``numpy.array_split``). Observation ``i`` has the label interval ``[i, i + label_horizon]``
    (e.g. a trade decided at bar ``i`` and closed by bar ``i + label_horizon``). For the test
    fold ``[a, b)`` the training set is every bar **outside**
    ``[a - purge - label_horizon, b + label_horizon + embargo)``:

    * bars ``i`` with ``i + label_horizon >= a`` and ``i <= b - 1 + label_horizon`` have label
      intervals overlapping the test labels' span ``[a, b - 1 + label_horizon]``: purged
      (AFML snippet 7.1 ``getTrainTimes``);
    * ``purge`` more bars before the fold are dropped (the walk-forward gap);
    * ``embargo`` bars after the purged zone are dropped, because features are serially
      correlated (AFML snippet 7.2; a ``pct_embargo`` of the paper is
      ``embargo = ceil(pct_embargo * n)``).

    Unlike AFML snippet 7.3, no test bar ever returns to the training set when
    ``embargo = 0``.

    Parameters
    ----------
    index : pandas.DatetimeIndex, OHLCV frame, or int
        The bars, or their number.
    k : int
        Number of folds, ``2 <= k <= bars``.
    purge, embargo, label_horizon : int
        Bars (see above), each ``>= 0``.

    Returns
    -------
    list of Fold

    Raises
    ------
    ParameterError
        Bad ``k``, negative bar counts, or zones so wide that a fold has no training bar.

    Examples
    --------
    >>> f = purged_kfold(10, 2, embargo=1, label_horizon=1)
    >>> f[0].train.tolist(), f[0].test
    ([7, 8, 9], slice(0, 5, None))
    >>> f[1].train.tolist(), f[1].test
    ([0, 1, 2, 3], slice(5, 10, None))
    """
    n, times = _as_index(index)
    folds = as_int(k, "k", low=2)
    if folds > n:
        raise ParameterError("k", f"{folds} folds need at least {folds} bars, got {n}")
    before = as_int(purge, "purge", low=0) + as_int(label_horizon, "label_horizon", low=0)
    after = label_horizon + as_int(embargo, "embargo", low=0)
    bounds = np.cumsum([0] + [len(p) for p in np.array_split(np.arange(n), folds)])
    out = []
    for j in range(folds):
        a, b = int(bounds[j]), int(bounds[j + 1])
        train = np.concatenate(
            [np.arange(0, max(0, a - before)), np.arange(min(n, b + after), n)]
        ).astype(np.int64)
        if not train.size:
            raise ParameterError(
                "embargo",
                f"purge/label_horizon/embargo leave fold {j} "
                f"(bars {a}..{b - 1}) without training bars",
            )
        out.append(Fold(j, train, slice(a, b), _stamp(times, a), _stamp(times, b - 1)))
    return out


def windows_table(windows: list[Window] | list[Fold]) -> pd.DataFrame:
    """One row per window or fold: bar ranges, sizes and first/last times.

    Examples
    --------
    >>> windows_table(walk_forward_windows(10, 4, 3))[["n_train", "n_test"]].values.tolist()
    [[4, 3], [4, 3]]
    """
    rows = []
    for w in windows:
        if isinstance(w, Window):
            rows.append(
                {
                    "fold": w.fold,
                    "train_start": w.train_start,
                    "train_end": w.train_end,
                    "test_start": w.test_start,
                    "test_end": w.test_end,
                    "n_train": w.n_train,
                    "n_test": w.n_test,
                }
            )
        else:
            rows.append(
                {
                    "fold": w.fold,
                    "test_start": w.test_start,
                    "test_end": w.test_end,
                    "n_train": int(w.train.size),
                    "n_test": w.test.stop - w.test.start,
                }
            )
    return pd.DataFrame(rows).set_index("fold")


__all__ = ["Fold", "Window", "purged_kfold", "walk_forward_windows", "windows_table"]
