"""Validation of OHLCV bars with reason codes, and the explicit gap filler.

:func:`validate` checks every row against the rules of the schema and returns a
:class:`ValidationReport`; nothing is changed in the data. Each finding names the 0-based row
position, the row's timestamp, the field concerned, a reason code and a human message.

Reason codes (checked in this order; the order also breaks ties between findings of one row):

=======================  ========  ============================================================
code                     severity  rule
=======================  ========  ============================================================
``nan``                  error     a price or the volume is NaN
``inf``                  error     a price or the volume is +/-inf
``non_positive_price``   error     a finite price is <= 0
``high_below_low``       error     finite high < finite low
``ohlc_inconsistent``    error     open or close outside [low, high] (rows with high >= low)
``negative_volume``      error     finite volume < 0 (zero volume is allowed: quiet bars exist)
``duplicate_timestamp``  error     the timestamp already appeared in an earlier row
``unsorted``             error     the timestamp is earlier than the previous row's
``off_grid``             error     the timestamp is not a bucket open time of the timeframe
``gap``                  warning   bars are missing before this row (exchange outages are real)
=======================  ========  ============================================================

A ``gap`` finding sits on the first row *after* the missing bars; its message and
:attr:`ValidationReport.gaps` give the first missing bar time and the number of missing bars.
Gaps are measured between the distinct bucket open times in time order, so unsorted input does
not produce spurious gaps.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, NamedTuple

import numba
import numpy as np
import pandas as pd
import polars as pl

from soltrader.data.schema import (
    OHLCV_COLUMNS,
    PRICE_COLUMNS,
    OHLCVArrays,
    ohlcv_arrays,
    ohlcv_frame,
    to_polars,
)
from soltrader.data.timeframes import bucket_start_ms, timeframe_ms
from soltrader.domain.errors import DataError, ParameterError

#: Every reason code, in check order.
CODES: tuple[str, ...] = (
    "nan",
    "inf",
    "non_positive_price",
    "high_below_low",
    "ohlc_inconsistent",
    "negative_volume",
    "duplicate_timestamp",
    "unsorted",
    "off_grid",
    "gap",
)
#: Codes whose findings are warnings; every other code is an error.
WARNING_CODES: frozenset[str] = frozenset({"gap"})
FIELDS: tuple[str, ...] = (*OHLCV_COLUMNS, "timestamp")
FINDING_COLUMNS: tuple[str, ...] = ("row", "timestamp", "code", "severity", "field", "message")
GAP_COLUMNS: tuple[str, ...] = ("row", "first_missing", "missing_count")

_CODE = {c: i for i, c in enumerate(CODES)}
_FIELD = {f: i for i, f in enumerate(FIELDS)}
_UNITS: tuple[tuple[str, int], ...] = (
    ("w", 604_800_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
)


# ---------------------------------------------------------------------------------------------
# timeframe inference and bar-time checks (shared with resample and fill_gaps)
# ---------------------------------------------------------------------------------------------


def timeframe_from_ms(step_ms: int) -> str:
    """The timeframe string of a bar length in milliseconds, in the largest whole unit.

    Parameters
    ----------
    step_ms : int
        Bar length in ms; must be a positive whole number of seconds.

    Raises
    ------
    ParameterError
        If ``step_ms`` is not a positive whole number of seconds.

    Examples
    --------
    >>> timeframe_from_ms(3_600_000), timeframe_from_ms(900_000), timeframe_from_ms(604_800_000)
    ('1h', '15m', '1w')
    """
    step = int(step_ms)
    if step <= 0 or step % 1_000:
        raise ParameterError(
            "timeframe", f"a spacing of {step} ms is not a timeframe (expected whole seconds > 0)"
        )
    unit, size = next((u, s) for u, s in _UNITS if step % s == 0)
    return f"{step // size}{unit}"


def _infer_from_ms(ts_ms: np.ndarray) -> str:
    """Most common positive spacing of the distinct timestamps (smallest one on ties)."""
    distinct = np.unique(np.asarray(ts_ms, dtype=np.int64))
    if distinct.size < 2:
        raise ParameterError(
            "timeframe",
            f"cannot be inferred from {distinct.size} distinct timestamp(s); "
            "pass it explicitly, e.g. timeframe='1h'",
        )
    spacings, counts = np.unique(np.diff(distinct), return_counts=True)
    step = int(spacings[np.argmax(counts)])
    try:
        return timeframe_from_ms(step)
    except ParameterError as exc:
        raise ParameterError(
            "timeframe",
            f"cannot be inferred: the most common spacing is {step} ms, which is not a whole "
            "number of seconds; pass it explicitly, e.g. timeframe='1m'",
        ) from exc


def infer_timeframe(data: pd.DataFrame | pl.DataFrame | np.ndarray) -> str:
    """Infer the timeframe of bars from the most common spacing between distinct timestamps.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or ndarray of int64
        An OHLCV frame (see :func:`soltrader.data.schema.ohlcv_arrays`) or bar open times in
        epoch ms.

    Returns
    -------
    str
        The timeframe in its largest whole unit (``"1h"``, not ``"60m"``). Ties between spacings
        go to the smaller one.

    Raises
    ------
    ParameterError
        If there are fewer than two distinct timestamps, or the spacing is not whole seconds.

    Examples
    --------
    >>> import numpy as np
    >>> infer_timeframe(np.array([0, 3_600_000, 7_200_000, 14_400_000]))
    '1h'
    """
    if isinstance(data, pd.DataFrame | pl.DataFrame):
        return _infer_from_ms(ohlcv_arrays(data).ts)
    return _infer_from_ms(np.asarray(data))


def _fmt_ts(ms: Any) -> str:
    """ISO-8601 UTC text of an epoch-ms instant (seconds unless milliseconds are present)."""
    value = np.datetime64(int(ms), "ms")
    return str(np.datetime_as_string(value, unit="s" if int(ms) % 1000 == 0 else "ms")) + "Z"


def check_bar_times(ts_ms: np.ndarray, timeframe: str) -> None:
    """Raise for the first row whose time is a duplicate, out of order or off the bucket grid.

    Resampling and gap filling need strictly increasing bar times on the timeframe's grid; this
    refuses anything else instead of sorting or de-duplicating it.

    Parameters
    ----------
    ts_ms : ndarray of int64
        Bar open times, epoch ms.
    timeframe : str
        The bars' timeframe.

    Raises
    ------
    DataError
        With ``code`` ``duplicate_timestamp``, ``unsorted`` or ``off_grid``, naming the row.

    Examples
    --------
    >>> import numpy as np
    >>> check_bar_times(np.array([0, 60_000, 120_000]), "1m")  # passes silently
    >>> check_bar_times(np.array([0, 0]), "1m")
    Traceback (most recent call last):
    ...
    soltrader.domain.errors.DataError: row 1 (1970-01-01T00:00:00Z): duplicate_timestamp: ...
    """
    ts = np.asarray(ts_ms, dtype=np.int64)
    step_diff = np.diff(ts)
    off = np.flatnonzero(bucket_start_ms(ts, timeframe) != ts)
    bad_order = np.flatnonzero(step_diff <= 0) + 1
    first_off = int(off[0]) if off.size else ts.size
    first_order = int(bad_order[0]) if bad_order.size else ts.size
    if first_off == first_order == ts.size:
        return
    row = min(first_off, first_order)
    if row == first_order:
        code = "duplicate_timestamp" if ts[row] == ts[row - 1] else "unsorted"
        what = f"the previous row has {_fmt_ts(ts[row - 1])}; bar times must strictly increase"
    else:
        code = "off_grid"
        bucket = _fmt_ts(bucket_start_ms(ts[row], timeframe))
        what = f"not on the {timeframe} grid (the bucket opens at {bucket})"
    raise DataError(
        f"row {row} ({_fmt_ts(ts[row])}): {code}: {what}; run validate() to see every finding",
        code=code,
        row=row,
        timestamp=pd.Timestamp(int(ts[row]), unit="ms", tz="UTC"),
        field="timestamp",
    )


# ---------------------------------------------------------------------------------------------
# the checks: each adds (code, field, rows, details) to a collector, fully vectorised
# ---------------------------------------------------------------------------------------------


class _Collector:
    """Accumulates findings as parallel arrays; details a, b, c are float64 (NaN if unused)."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, code: str, field: str, rows: np.ndarray, *details: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return
        cols = [np.asarray(d, dtype=np.float64) for d in details]
        cols += [np.full(rows.size, np.nan)] * (3 - len(cols))
        code_col = np.full(rows.size, _CODE[code], dtype=np.int8)
        field_col = np.full(rows.size, _FIELD[field], dtype=np.int8)
        self.parts.append((rows, code_col, field_col, *cols))

    def arrays(self) -> tuple[np.ndarray, ...]:
        if not self.parts:
            ints = np.empty(0, np.int64)
            small = np.empty(0, np.int8)
            return ints, small, small, *(np.empty(0, np.float64),) * 3
        joined = [np.concatenate(col) for col in zip(*self.parts, strict=True)]
        order = np.lexsort((joined[2], joined[1], joined[0]))
        return tuple(col[order] for col in joined)


def _check_values(bars: OHLCVArrays, out: _Collector) -> None:
    for name in OHLCV_COLUMNS:
        x = getattr(bars, name)
        out.add("nan", name, np.flatnonzero(np.isnan(x)))
        rows = np.flatnonzero(np.isinf(x))
        out.add("inf", name, rows, x[rows])
    for name in PRICE_COLUMNS:
        x = getattr(bars, name)
        rows = np.flatnonzero(np.isfinite(x) & (x <= 0))
        out.add("non_positive_price", name, rows, x[rows])
    vol = bars.volume
    rows = np.flatnonzero(np.isfinite(vol) & (vol < 0))
    out.add("negative_volume", "volume", rows, vol[rows])


def _check_ranges(bars: OHLCVArrays, out: _Collector) -> None:
    high, low = bars.high, bars.low
    finite = np.isfinite(high) & np.isfinite(low)
    rows = np.flatnonzero(finite & (high < low))
    out.add("high_below_low", "high", rows, high[rows], low[rows])
    ordered = finite & (high >= low)
    for name in ("open", "close"):
        x = getattr(bars, name)
        rows = np.flatnonzero(ordered & np.isfinite(x) & ((x < low) | (x > high)))
        out.add("ohlc_inconsistent", name, rows, x[rows], low[rows], high[rows])


def _check_order(ts: np.ndarray, out: _Collector, ticks_per_ms: int = 1) -> np.ndarray:
    """``unsorted`` and ``duplicate_timestamp`` findings of bar times ``ts`` (integer ticks of
    any resolution, ``ticks_per_ms`` to the millisecond); returns the rows in time order."""
    n = ts.size
    step_diff = np.diff(ts)
    rows = np.flatnonzero(step_diff < 0) + 1
    out.add("unsorted", "timestamp", rows, ts[rows - 1] // ticks_per_ms)
    if bool(np.all(step_diff > 0)):
        return np.arange(n)
    order = np.argsort(ts, kind="stable")
    sorted_ts = ts[order]
    run_start = np.ones(n, dtype=bool)
    run_start[1:] = sorted_ts[1:] != sorted_ts[:-1]
    first_pos = np.maximum.accumulate(np.where(run_start, np.arange(n), 0))
    repeats = ~run_start
    out.add("duplicate_timestamp", "timestamp", order[repeats], order[first_pos[repeats]])
    return order


def _check_times(ts: np.ndarray, timeframe: str, out: _Collector) -> None:
    order = _check_order(ts, out)
    buckets = bucket_start_ms(ts, timeframe)
    rows = np.flatnonzero(buckets != ts)
    out.add("off_grid", "timestamp", rows, buckets[rows])
    step = timeframe_ms(timeframe)
    spacing = np.diff(buckets[order])
    at = np.flatnonzero(spacing > step)
    first_missing = buckets[order][at] + step
    out.add("gap", "timestamp", order[at + 1], first_missing, spacing[at] // step - 1)


# ---------------------------------------------------------------------------------------------
# messages (built only when findings are displayed or raised)
# ---------------------------------------------------------------------------------------------


def _iso(ms: np.ndarray) -> list[str]:
    ints = np.asarray(ms, dtype=np.float64).astype(np.int64)
    unit = "s" if np.all(ints % 1000 == 0) else "ms"
    return [s + "Z" for s in np.datetime_as_string(ints.astype("datetime64[ms]"), unit=unit)]


def _nums(x: np.ndarray) -> list[str]:
    return [repr(v) for v in np.asarray(x, dtype=np.float64).tolist()]


def _messages(
    code: str, field: str, a: np.ndarray, b: np.ndarray, c: np.ndarray, tf: str
) -> list[str]:
    """Human messages of findings that share one code and field (vectorised over the rows)."""
    n = a.size
    if code == "nan":
        return [f"{field} is NaN; expected a finite number"] * n
    if code == "inf":
        return [f"{field} is {v}; expected a finite number" for v in _nums(a)]
    if code == "non_positive_price":
        return [f"{field} is {v}; expected a price > 0" for v in _nums(a)]
    if code == "high_below_low":
        return [f"high {h} is below low {lo}" for h, lo in zip(_nums(a), _nums(b), strict=True)]
    if code == "ohlc_inconsistent":
        parts = zip(_nums(a), _nums(b), _nums(c), strict=True)
        return [f"{field} {v} is outside [low {lo}, high {h}]" for v, lo, h in parts]
    if code == "negative_volume":
        return [f"volume is {v}; expected >= 0" for v in _nums(a)]
    if code == "duplicate_timestamp":
        return [f"timestamp repeats row {int(r)}; expected unique bar times" for r in a.tolist()]
    if code == "unsorted":
        return [f"timestamp is earlier than the previous row's ({t})" for t in _iso(a)]
    if code == "off_grid":
        return [f"timestamp is not on the {tf} grid (its bucket opens at {t})" for t in _iso(a)]
    counts = b.astype(np.int64).tolist()
    last = _iso(a + (b - 1) * timeframe_ms(tf))
    return [
        f"{k} {tf} bar{'s' if k > 1 else ''} missing, {t0} .. {t1}"
        for k, t0, t1 in zip(counts, _iso(a), last, strict=True)
    ]


def _finding_error(row: int, ts_ms: int, code: str, field: str, message: str) -> DataError:
    note = " (strict=True treats every finding as an error)" if code in WARNING_CODES else ""
    return DataError(
        f"row {row} ({_fmt_ts(ts_ms)}): {code}: {field}: {message}{note}",
        code=code,
        row=row,
        timestamp=pd.Timestamp(int(ts_ms), unit="ms", tz="UTC"),
        field=field,
    )


# ---------------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------------


class ValidationReport:
    """The findings of :func:`validate`: rows breaking a rule, with reason codes and severities.

    Attributes
    ----------
    n_rows : int
        Rows checked.
    timeframe : str
        Timeframe the grid and gap checks used.
    timeframe_inferred : bool
        True if ``timeframe`` was inferred from the most common spacing.

    Examples
    --------
    >>> import numpy as np
    >>> from soltrader.data.schema import ohlcv_frame
    >>> df = ohlcv_frame(np.array([0, 60_000, 180_000]), *[np.array([1.0, 1.0, 1.0])] * 5)
    >>> report = validate(df, "1m")
    >>> report.ok, int(report.summary()["gap"]), int(report.gaps["missing_count"].iloc[0])
    (True, 1, 1)
    """

    def __init__(
        self,
        ts_ms: np.ndarray,
        timeframe: str,
        *,
        inferred: bool,
        found: tuple[np.ndarray, ...],
    ) -> None:
        self.n_rows = int(ts_ms.size)
        self.timeframe = timeframe
        self.timeframe_inferred = inferred
        self._span = (int(ts_ms.min()), int(ts_ms.max())) if ts_ms.size else None
        self._rows, self._codes, self._fields, self._a, self._b, self._c = found
        self._ts = ts_ms[self._rows]
        self._is_warning = np.isin(self._codes, [_CODE[c] for c in WARNING_CODES])

    @property
    def ok(self) -> bool:
        """True if there is no error finding (warnings such as gaps are allowed)."""
        return not bool(np.any(~self._is_warning))

    def __len__(self) -> int:
        return int(self._rows.size)

    @cached_property
    def findings(self) -> pd.DataFrame:
        """One row per finding: ``row, timestamp, code, severity, field, message``, by row.

        Examples
        --------
        >>> import numpy as np
        >>> from soltrader.data.schema import ohlcv_frame
        >>> bars = ohlcv_frame(np.array([0]), *[np.array([-1.0])] * 4, np.array([1.0]))
        >>> validate(bars, "1m").findings[["row", "code", "field"]].values.tolist()[0]
        [0, 'non_positive_price', 'open']
        """
        messages = np.empty(self._rows.size, dtype=object)
        groups = np.unique(np.stack([self._codes, self._fields]).astype(np.int64), axis=1)
        for code_i, field_i in groups.T.tolist():
            mask = (self._codes == code_i) & (self._fields == field_i)
            code, field = CODES[code_i], FIELDS[field_i]
            parts = (self._a[mask], self._b[mask], self._c[mask])
            messages[mask] = _messages(code, field, *parts, self.timeframe)
        timestamps = pd.to_datetime(self._ts, unit="ms", utc=True).as_unit("ns")
        return pd.DataFrame(
            {
                "row": self._rows,
                "timestamp": timestamps,
                "code": np.array(CODES, dtype=object)[self._codes],
                "severity": np.where(self._is_warning, "warning", "error").astype(object),
                "field": np.array(FIELDS, dtype=object)[self._fields],
                "message": messages,
            },
            columns=list(FINDING_COLUMNS),
        )

    @property
    def errors(self) -> pd.DataFrame:
        """The findings of severity ``error``."""
        frame = self.findings
        return frame[frame["severity"] == "error"].reset_index(drop=True)

    @property
    def warnings(self) -> pd.DataFrame:
        """The findings of severity ``warning`` (gaps)."""
        frame = self.findings
        return frame[frame["severity"] == "warning"].reset_index(drop=True)

    @property
    def gaps(self) -> pd.DataFrame:
        """One row per gap: ``row`` (first bar after it), ``first_missing``, ``missing_count``."""
        mask = self._codes == _CODE["gap"]
        first = pd.to_datetime(self._a[mask].astype(np.int64), unit="ms", utc=True).as_unit("ns")
        return pd.DataFrame(
            {
                "row": self._rows[mask],
                "first_missing": first,
                "missing_count": self._b[mask].astype(np.int64),
            },
            columns=list(GAP_COLUMNS),
        )

    def summary(self) -> pd.Series:
        """Number of findings per reason code, every code listed (zeros included).

        Examples
        --------
        >>> import numpy as np
        >>> from soltrader.data.schema import ohlcv_frame
        >>> validate(ohlcv_frame(np.array([0]), *[np.array([1.0])] * 5), "1m").summary().sum()
        np.int64(0)
        """
        counts = np.bincount(self._codes.astype(np.int64), minlength=len(CODES))
        return pd.Series(counts, index=pd.Index(CODES, name="code"), name="count")

    def first(self, *, errors_only: bool = True) -> DataError | None:
        """The :class:`DataError` of the first finding (by row), or None if there is none.

        Parameters
        ----------
        errors_only : bool, default True
            Skip warnings (gaps) when True.

        Examples
        --------
        >>> import numpy as np
        >>> from soltrader.data.schema import ohlcv_frame
        >>> report = validate(ohlcv_frame(np.array([0, 120_000]), *[np.ones(2)] * 5), "1m")
        >>> report.first() is None, report.first(errors_only=False).code
        (True, 'gap')
        """
        candidates = np.flatnonzero(~self._is_warning) if errors_only else np.arange(len(self))
        if candidates.size == 0:
            return None
        i = int(candidates[0])
        code, field = CODES[self._codes[i]], FIELDS[self._fields[i]]
        one = (self._a[i : i + 1], self._b[i : i + 1], self._c[i : i + 1])
        message = _messages(code, field, *one, self.timeframe)[0]
        return _finding_error(int(self._rows[i]), int(self._ts[i]), code, field, message)

    def raise_for_errors(self) -> ValidationReport:
        """Raise :class:`DataError` for the first error finding; return the report if it is ok.

        Examples
        --------
        >>> import numpy as np
        >>> from soltrader.data.schema import ohlcv_frame
        >>> df = ohlcv_frame(np.array([0]), np.array([1.0]), np.array([1.0]),
        ...                  np.array([2.0]), np.array([1.0]), np.array([1.0]))
        >>> validate(df, "1m").raise_for_errors()
        Traceback (most recent call last):
        ...
        soltrader.domain.errors.DataError: row 0 (1970-01-01T00:00:00Z): high_below_low: ...
        """
        error = self.first(errors_only=True)
        if error is not None:
            raise error
        return self

    def _header(self) -> str:
        origin = "inferred from the most common spacing" if self.timeframe_inferred else "given"
        span = ""
        if self._span is not None:
            span = f" from {_fmt_ts(self._span[0])} to {_fmt_ts(self._span[1])}"
        return (
            f"ValidationReport: {self.n_rows:,} rows{span}, timeframe {self.timeframe} ({origin})"
        )

    def __str__(self) -> str:
        n_err = int(np.count_nonzero(~self._is_warning))
        n_warn = len(self) - n_err
        status = "OK" if self.ok else "NOT OK"
        lines = [self._header(), f"{status}: {n_err:,} error(s), {n_warn:,} warning(s)"]
        summary = self.summary()
        for code, count in summary[summary > 0].items():
            severity = "warning" if code in WARNING_CODES else "error"
            extra = ""
            if code == "gap":
                extra = f", {int(self._b[self._codes == _CODE['gap']].sum()):,} bars missing"
            lines.append(f"  {code:<20} {int(count):>8,}  ({severity}{extra})")
        if len(self):
            lines.append("first findings:")
            for rec in self.findings.head(5).itertuples(index=False):
                lines.append(
                    f"  row {rec.row} ({_fmt_ts(rec.timestamp.value // 1_000_000)}) "
                    f"{rec.code} [{rec.severity}] {rec.field}: {rec.message}"
                )
        return "\n".join(lines)

    def __repr__(self) -> str:
        counts = self.summary()
        nonzero = ", ".join(f"{c}={int(n)}" for c, n in counts[counts > 0].items())
        return (
            f"<ValidationReport rows={self.n_rows} timeframe={self.timeframe!r} ok={self.ok}"
            f"{' ' + nonzero if nonzero else ''}>"
        )


def validate(
    df: pd.DataFrame | pl.DataFrame, timeframe: str | None = None, *, strict: bool = False
) -> ValidationReport:
    """Check OHLCV bars against the schema's rules and report every finding with a reason code.

    Nothing is changed: the report lists what is wrong, row by row (see the module docstring
    for the codes). Fully vectorised; about linear in the number of rows.

    Parameters
    ----------
    df : pandas.DataFrame or polars.DataFrame
        Bars as accepted by :func:`soltrader.data.schema.ohlcv_arrays` (pandas with a
        DatetimeIndex or a time column, or polars with a time column). Prices in quote
        currency, volume in base units.
    timeframe : str, optional
        The bars' timeframe (``"1m"``, ``"1h"``, ...), used for the ``off_grid`` and ``gap``
        checks. If omitted it is inferred from the most common spacing between distinct
        timestamps, and the report says so (:attr:`ValidationReport.timeframe_inferred`).
    strict : bool, default False
        If True, raise :class:`DataError` for the first finding of any severity (gaps
        included), naming its row position, timestamp, reason code and field.

    Returns
    -------
    ValidationReport

    Raises
    ------
    ParameterError
        If ``timeframe`` is invalid, or omitted and cannot be inferred (fewer than two distinct
        timestamps, or a spacing that is not whole seconds).
    DataError
        If a column is missing or not numeric, a timestamp is missing (NaT) or, with
        ``strict=True``, on the first finding.

    Examples
    --------
    >>> import numpy as np
    >>> from soltrader.data.schema import ohlcv_frame
    >>> ts = np.array([0, 3_600_000, 3_600_000])
    >>> df = ohlcv_frame(ts, *[np.array([1.0, 2.0, 2.0])] * 5)
    >>> report = validate(df)
    >>> report.ok, report.timeframe, report.findings["code"].tolist()
    (False, '1h', ['duplicate_timestamp'])
    """
    if not isinstance(strict, bool):
        raise ParameterError("strict", f"expected True or False, got {strict!r}")
    bars = ohlcv_arrays(df)
    inferred = timeframe is None
    tf = _infer_from_ms(bars.ts) if timeframe is None else timeframe
    timeframe_ms(tf)
    out = _Collector()
    _check_values(bars, out)
    _check_ranges(bars, out)
    _check_times(bars.ts, tf, out)
    report = ValidationReport(bars.ts, tf, inferred=inferred, found=out.arrays())
    if strict and len(report):
        error = report.first(errors_only=False)
        assert error is not None
        raise error
    return report


@numba.njit(cache=True)
def _bad_bar_count_nb(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray
) -> int:  # pragma: no cover - compiled
    """Bars failing a price or volume rule of :func:`first_bar_error`. Branch-free, so the loop
    vectorises; written so that NaN fails every comparison and inf fails the bound (lo <= h
    follows from lo <= o <= h)."""
    good = 0
    for i in range(close.size):
        o, h, lo, c, v = open_[i], high[i], low[i], close[i], volume[i]
        good += (
            (0.0 < lo)
            * (lo <= o)
            * (o <= h)
            * (lo <= c)
            * (c <= h)
            * (h < np.inf)
            * (0.0 <= v)
            * (v < np.inf)
        )
    return close.size - good


@numba.njit(cache=True)
def _order_counts_nb(ts: np.ndarray) -> tuple[int, int]:  # pragma: no cover - compiled
    """Bars whose time is not after the previous bar's, and gaps as long as the first one (the
    annualisation's spacing count, :func:`soltrader.metrics._nb.first_step_count_nb`), in one
    branch-free pass (it vectorises)."""
    bad = 0
    same = 0
    first = ts[1] - ts[0] if ts.size > 1 else 0
    for i in range(1, ts.size):
        gap = ts[i] - ts[i - 1]
        bad += gap <= 0
        same += gap == first
    return bad, same


@numba.njit(cache=True)
def _bars_clean_nb(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    ts: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """-1 when a rule of :func:`first_bar_error` fires, else the gaps as long as the first one:
    two passes, no temporaries, no early exit (clean bars, the case that matters, read every row
    anyway). The detailed (vectorised) checks run only on bars that fail it, so the reasons stay
    theirs."""
    if _bad_bar_count_nb(open_, high, low, close, volume):
        return -1
    bad, same = _order_counts_nb(ts)
    return -1 if bad else same


def first_bar_error(bars: OHLCVArrays, ts_ns: np.ndarray) -> DataError | None:
    """The first error of bars about to be simulated, by the rules and reason codes of
    :func:`validate` that need no timeframe (or None): ``nan``, ``inf``, ``non_positive_price``,
    ``high_below_low``, ``ohlc_inconsistent``, ``negative_volume``, ``duplicate_timestamp`` and
    ``unsorted``. Gaps and the bucket grid are not checked. Vectorised, O(n) on clean bars.

    Parameters
    ----------
    bars : OHLCVArrays
        Prices (quote currency) and volume (base units); ``bars.ts`` is not read.
    ts_ns : ndarray of int64
        Bar open times, epoch nanoseconds (so that sub-millisecond bars are not duplicates).

    Returns
    -------
    DataError or None
        Naming the first offending row (position and time), its reason code and field.

    Examples
    --------
    >>> import numpy as np
    >>> ones = np.ones(3)
    >>> bars = OHLCVArrays(np.empty(0, np.int64), ones, ones, np.array([1.0, 2.0, 1.0]), ones,
    ...                    ones)
    >>> err = first_bar_error(bars, np.array([0, 60, 120]) * 10**9)
    >>> err.code, err.row, err.field
    ('high_below_low', 1, 'high')
    """
    return bar_check(bars, ts_ns).error


class BarCheck(NamedTuple):
    """What :func:`bar_check` found."""

    #: the first error, as :func:`first_bar_error` gives it; None for clean bars
    error: DataError | None
    #: of clean bars, the gaps between bar times as long as the first gap (what
    #: :func:`soltrader.metrics.elapsed_periods_per_year` counts to find the bar length), read in
    #: the same pass as their order; -1 when not counted
    first_step_count: int


def bar_check(bars: OHLCVArrays, ts_ns: np.ndarray) -> BarCheck:
    """:func:`first_bar_error`, with the spacing count its pass over the times gives for free.

    Examples
    --------
    >>> import numpy as np
    >>> ones = np.ones(4)
    >>> bars = OHLCVArrays(np.empty(0, np.int64), ones, ones, ones, ones, ones)
    >>> bar_check(bars, np.array([0, 60, 120, 300]) * 10**9)
    BarCheck(error=None, first_step_count=2)
    """
    ts_ns = np.asarray(ts_ns, dtype=np.int64)
    same = _bars_clean_nb(bars.open, bars.high, bars.low, bars.close, bars.volume, ts_ns)
    if same >= 0:
        return BarCheck(None, int(same))
    return BarCheck(_first_error(bars, ts_ns), -1)


def _first_error(bars: OHLCVArrays, ts_ns: np.ndarray) -> DataError | None:
    """The detailed checks of bars that failed the fast one (see :func:`first_bar_error`)."""
    out = _Collector()
    _check_values(bars, out)
    _check_ranges(bars, out)
    _check_order(ts_ns, out, ticks_per_ms=1_000_000)
    rows, codes, fields, a, b, c = out.arrays()
    if rows.size == 0:
        return None
    code, field = CODES[codes[0]], FIELDS[fields[0]]
    message = _messages(code, field, a[:1], b[:1], c[:1], "")[0]
    return _finding_error(int(rows[0]), int(ts_ns[rows[0]] // 1_000_000), code, field, message)


# ---------------------------------------------------------------------------------------------
# gap filling (explicit, never automatic)
# ---------------------------------------------------------------------------------------------


def fill_gaps(
    df: pd.DataFrame | pl.DataFrame, timeframe: str, method: str = "flat"
) -> pd.DataFrame | pl.DataFrame:
    """Insert the missing bars of a gapped series; never called implicitly by anything.

    With ``method="flat"`` each missing bar gets open = high = low = close = the previous bar's
    close (price) and volume 0 (base units). The result has the canonical OHLCV columns plus a
    boolean column ``filled``: True on inserted bars, False on the original ones (whose values
    are copied unchanged), so ``int(out["filled"].sum())`` is the number of bars inserted.
    Other input columns are not carried over.

    Parameters
    ----------
    df : pandas.DataFrame or polars.DataFrame
        Bars with strictly increasing timestamps on the ``timeframe`` grid.
    timeframe : str
        The bars' timeframe, e.g. ``"1h"``.
    method : {"flat"}
        The fill rule (the only one offered: it invents no price move).

    Returns
    -------
    pandas.DataFrame or polars.DataFrame
        The same kind as ``df``: one bar per grid slot from the first to the last bar.

    Raises
    ------
    ParameterError
        If ``method`` or ``timeframe`` is not supported.
    DataError
        If a timestamp is duplicated, out of order or off the grid (naming the row).

    Examples
    --------
    >>> import numpy as np
    >>> from soltrader.data.schema import ohlcv_frame
    >>> df = ohlcv_frame(np.array([0, 180_000]), *[np.array([1.0, 2.0])] * 5)
    >>> out = fill_gaps(df, "1m")
    >>> out["close"].tolist(), out["volume"].tolist(), int(out["filled"].sum())
    ([1.0, 1.0, 1.0, 2.0], [1.0, 0.0, 0.0, 2.0], 2)
    """
    if method != "flat":
        raise ParameterError("method", f"{method!r} is not supported; expected 'flat'")
    step = timeframe_ms(timeframe)
    bars = ohlcv_arrays(df)
    check_bar_times(bars.ts, timeframe)
    n = bars.ts.size
    slots = (bars.ts - bars.ts[0]) // step if n else np.empty(0, np.int64)
    total = int(slots[-1]) + 1 if n else 0
    source = np.full(total, -1, dtype=np.int64)
    source[slots] = np.arange(n)
    filled = source < 0
    prev = np.maximum.accumulate(source) if total else source
    close = bars.close[prev]
    cols = {name: np.where(filled, close, getattr(bars, name)[prev]) for name in PRICE_COLUMNS}
    volume = np.where(filled, 0.0, bars.volume[prev])
    ts = bars.ts[0] + np.arange(total, dtype=np.int64) * step if n else bars.ts
    frame = ohlcv_frame(ts, cols["open"], cols["high"], cols["low"], cols["close"], volume)
    if isinstance(df, pl.DataFrame):
        return to_polars(frame).with_columns(pl.Series("filled", filled, dtype=pl.Boolean))
    frame["filled"] = filled
    return frame
