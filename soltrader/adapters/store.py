"""The parquet store: load bundled and cached OHLCV series, read OHLCV files, write the cache.

Layout (see ``data/README.md``): ``<data_dir>/<source>/<exchange>/<BASE-QUOTE>/<timeframe>/
<year>.parquet`` with ``source`` one of ``cache`` (what downloads fill, ignored by git) and
``sample`` (the bundled real data). Each file holds the bars whose **open** time falls in that UTC
calendar year, sorted, one row per bar: ``timestamp`` (``timestamp[ms, UTC]``) and float64
``open, high, low, close`` (quote currency) and ``volume`` (base units). Trades live in
``<exchange>/<BASE-QUOTE>/trades/<YYYY-MM-DD>.parquet``.

Conventions decided here
------------------------
* **Data directory**: an explicit ``data_dir`` argument, else the environment variable
  ``SOLTRADER_DATA_DIR``, else the nearest ``data/`` folder holding ``sample/`` or ``cache/``
  found walking up from the current directory, else the ``data/`` folder of the source tree (an
  editable install), else ``./data``. See :func:`resolve_data_dir`.
* **Symbols**: ``"SOL/USDT"`` (ccxt form) or ``"SOL-USDT"`` (folder form), any case; perpetuals
  ``"BTC/USDT:USDT"`` are stored as ``BTC-USDT-USDT``. The separator-less ``"SOLUSDT"`` is
  accepted by the *readers* only when exactly one stored series of that exchange matches it
  (otherwise :class:`ParameterError` lists the candidates); writers need the separator.
* **Sources**: a series present in ``cache/`` is read from there entirely, otherwise from
  ``sample/``; the two are never mixed (``source=`` picks one explicitly).
* **Times**: ``start``/``end`` are inclusive/exclusive bar *open* times, given as ISO strings,
  ``datetime``/``date``/``Timestamp``/``datetime64`` (naive means UTC) or integer epoch ms.
* **Validation**: loaders run :func:`soltrader.data.validation.validate` on what they return;
  errors raise :class:`DataError` (prefixed with the series and file), gaps are kept (never filled)
  and reported by one :class:`SoltraderWarning` with the number of missing bars; the report is
  stored in ``df.attrs["validation"]`` of the pandas frame (polars frames carry no attributes:
  call ``validate`` on them when the report itself is needed). ``df.attrs`` also records
  ``exchange``, ``symbol``, ``timeframe`` and ``source``.
* **Writes** are atomic per year file (temporary file in the same folder, then ``os.replace``)
  and idempotent; a bar already cached with different values raises unless ``overwrite=True``.
  The cache is not safe for two processes writing the same series at the same time.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
import warnings
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from soltrader.data.schema import (
    OHLCV_COLUMNS,
    TIME_COLUMNS,
    OHLCVArrays,
    ohlcv_arrays,
    ohlcv_frame,
    to_polars,
)
from soltrader.data.timeframes import canonical_timeframe
from soltrader.data.validation import ValidationReport, check_bar_times
from soltrader.data.validation import validate as validate_bars
from soltrader.domain.errors import (
    DataError,
    DataNotFoundError,
    Error,
    ParameterError,
    SoltraderWarning,
)

ENV_VAR = "SOLTRADER_DATA_DIR"
SOURCES: tuple[str, ...] = ("cache", "sample")
TRADES_DIR = "trades"
TRADE_COLUMNS: tuple[str, ...] = ("timestamp", "price", "amount")
_YEAR_FILE = re.compile(r"^(\d{4})\.parquet$")
_DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.parquet$")
_SYMBOL = re.compile(r"^([A-Z0-9]+)[/-]([A-Z0-9]+)(?:[:-]([A-Z0-9]+))?$")
_BARE_SYMBOL = re.compile(r"^[A-Z0-9]+$")
_EXCHANGE = re.compile(r"^[a-z0-9_]+$")
_PARQUET_SCHEMA = pa.schema(
    [("timestamp", pa.timestamp("ms", tz="UTC"))] + [(c, pa.float64()) for c in OHLCV_COLUMNS]
)
_MAX_LISTED = 40
PANDAS_INDEX = "__index_level_0__"

TimeLike = str | datetime | date | pd.Timestamp | np.datetime64 | int
Backend = Literal["pandas", "polars"]
Source = Literal["auto", "cache", "sample"]


# -- arguments ------------------------------------------------------------------------------------
def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data folder that holds ``sample/`` and ``cache/``.

    Parameters
    ----------
    data_dir : str or PathLike, optional
        Used as given when not ``None`` (need not exist yet).

    Returns
    -------
    pathlib.Path
        ``data_dir``, else ``$SOLTRADER_DATA_DIR``, else the nearest ``data/`` folder containing
        ``sample/`` or ``cache/`` found walking up from the current directory, else the source
        tree's ``data/`` folder if it exists, else ``./data``.

    Examples
    --------
    >>> resolve_data_dir("/tmp/market").name
    'market'
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / "data"
        if any((candidate / s).is_dir() for s in SOURCES):
            return candidate
    tree = Path(__file__).resolve().parents[2] / "data"
    return tree if tree.is_dir() else here / "data"


def symbol_dir(symbol: str) -> str:
    """Folder name of a symbol: ``"SOL/USDT"`` → ``"SOL-USDT"``.

    Perpetuals keep their settle currency: ``"BTC/USDT:USDT"`` → ``"BTC-USDT-USDT"``.

    Raises
    ------
    ParameterError
        If ``symbol`` is not ``BASE/QUOTE``, ``BASE-QUOTE`` or ``BASE/QUOTE:SETTLE``.

    Examples
    --------
    >>> symbol_dir("sol/usdt")
    'SOL-USDT'
    """
    if not isinstance(symbol, str):
        raise ParameterError("symbol", f"expected a string such as 'SOL/USDT', got {symbol!r}")
    match = _SYMBOL.match(symbol.strip().upper())
    if match is None:
        raise ParameterError(
            "symbol",
            f"{symbol!r} is not a market symbol; expected 'BASE/QUOTE' such as 'SOL/USDT' "
            "(or 'SOL-USDT', or 'BTC/USDT:USDT' for a perpetual)",
        )
    return "-".join(part for part in match.groups() if part)


def display_symbol(folder: str) -> str:
    """ccxt form of a symbol folder name: ``"SOL-USDT"`` → ``"SOL/USDT"``.

    Examples
    --------
    >>> display_symbol("BTC-USDT-USDT")
    'BTC/USDT:USDT'
    """
    parts = folder.split("-")
    text = "/".join(parts[:2])
    return text + (f":{parts[2]}" if len(parts) > 2 else "")


def _exchange_dir(exchange: str) -> str:
    if not isinstance(exchange, str) or not _EXCHANGE.match(exchange.strip().lower()):
        raise ParameterError(
            "exchange", f"expected a ccxt exchange id such as 'binance', got {exchange!r}"
        )
    return exchange.strip().lower()


def _timeframe(timeframe: str) -> str:
    """The short form (``"1D"`` -> ``"1d"``): the folder name, whichever alias was given."""
    return canonical_timeframe(timeframe)


def to_epoch_ms(value: TimeLike, name: str) -> int:
    """An instant as integer epoch milliseconds (UTC).

    Parameters
    ----------
    value : str, datetime, date, Timestamp, datetime64 or int
        ISO string or datetime-like (naive means UTC), or an integer already in epoch ms.
    name : str
        The argument's name, for the error message.

    Raises
    ------
    ParameterError
        If ``value`` cannot be read as an instant (floats and booleans are refused: seconds or
        milliseconds would be a guess).

    Examples
    --------
    >>> to_epoch_ms("2021-08-01", "start"), to_epoch_ms(1_627_776_000_000, "start")
    (1627776000000, 1627776000000)
    """
    if isinstance(value, bool | float | np.floating) or value is None:
        raise ParameterError(
            name, f"expected an ISO string, a datetime or integer epoch ms, got {value!r}"
        )
    if isinstance(value, int | np.integer):
        return int(value)
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ParameterError(name, f"cannot read {value!r} as a date/time ({exc})") from exc
    if stamp is pd.NaT:
        raise ParameterError(name, f"{value!r} is not a date/time")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.value // 1_000_000)


def _iso(ms: int) -> str:
    return pd.Timestamp(ms, unit="ms", tz="UTC").isoformat()


def _check_choice(name: str, value: str, choices: Iterable[str]) -> None:
    options = tuple(choices)
    if value not in options:
        raise ParameterError(name, f"expected one of {list(options)}, got {value!r}")


# -- reading parquet ------------------------------------------------------------------------------
def _open_table(path: Path, columns: list[str]) -> pa.Table:
    """Read ``columns`` of one parquet file; unreadable or incomplete files raise DataError."""
    try:
        names = pq.read_schema(path).names
    except (OSError, pa.ArrowException) as exc:
        raise DataError(
            f"{path}: not a readable parquet file ({exc})", code="unreadable_file"
        ) from exc
    missing = [c for c in columns if c not in names]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {missing}; expected {columns}",
            code="missing_column",
            field=missing[0],
        )
    try:
        return pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(
            f"{path}: not a readable parquet file ({exc})", code="unreadable_file"
        ) from exc


def _ts_ms(table: pa.Table, path: Path, *, exact: bool = True) -> np.ndarray:
    """The ``timestamp`` column as int64 epoch ms (naive timestamps are taken as UTC).

    With ``exact`` (bars) a time finer than 1 ms raises; otherwise it is truncated (trades).
    """
    col = table.column("timestamp")
    if not pa.types.is_timestamp(col.type):
        raise DataError(
            f"{path}: column 'timestamp' must be a timestamp, got {col.type}",
            code="bad_dtype",
            field="timestamp",
        )
    if col.null_count:
        row = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
        raise DataError(
            f"{path}: row {row} has no timestamp", code="nan", row=row, field="timestamp"
        )
    try:
        ms = pc.cast(col, pa.timestamp("ms", tz=col.type.tz), safe=exact)
        return ms.cast(pa.int64()).to_numpy()
    except pa.ArrowInvalid as exc:
        raise DataError(
            f"{path}: timestamps finer than 1 ms ({exc})", code="bad_dtype", field="timestamp"
        ) from exc


def _float_col(table: pa.Table, name: str, path: Path) -> np.ndarray:
    col = table.column(name)
    if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
        raise DataError(
            f"{path}: column {name!r} must be numeric, got {col.type}", code="bad_dtype", field=name
        )
    return np.asarray(col.cast(pa.float64()).to_numpy(), dtype=np.float64)


def _year_bounds_ms(year: int) -> tuple[int, int]:
    lo = pd.Timestamp(year=year, month=1, day=1, tz="UTC")
    hi = pd.Timestamp(year=year + 1, month=1, day=1, tz="UTC")
    return int(lo.value // 1_000_000), int(hi.value // 1_000_000)


def _check_partition(ts: np.ndarray, year: int, path: Path) -> None:
    lo, hi = _year_bounds_ms(year)
    bad = np.flatnonzero((ts < lo) | (ts >= hi))
    if len(bad):
        row = int(bad[0])
        raise DataError(
            f"{path}: row {row} ({_iso(int(ts[row]))}) lies outside the file's year {year}",
            code="wrong_partition",
            row=row,
            timestamp=pd.Timestamp(int(ts[row]), unit="ms", tz="UTC"),
            field="timestamp",
        )


def read_year_file(path: Path) -> OHLCVArrays:
    """Arrays of one ``<year>.parquet`` file of the store, exactly as stored.

    Raises
    ------
    DataError
        If the file is unreadable, lacks a column, has non-numeric columns, or holds a bar
        outside its calendar year.

    Examples
    --------
    >>> path = Path("data/sample/binance/SOL-USDT/1h/2021.parquet")
    >>> arrays = read_year_file(path)  # doctest: +SKIP
    """
    path = Path(path)
    table = _open_table(path, ["timestamp", *OHLCV_COLUMNS])
    ts = _ts_ms(table, path)
    match = _YEAR_FILE.match(path.name)
    if match:
        _check_partition(ts, int(match.group(1)), path)
    cols = {name: _float_col(table, name, path) for name in OHLCV_COLUMNS}
    return OHLCVArrays(ts=ts, **cols)


def _year_files(folder: Path) -> list[tuple[int, Path]]:
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _YEAR_FILE.match(p.name))]
    return sorted(found)


def _concat(parts: list[OHLCVArrays]) -> OHLCVArrays:
    if not parts:
        empty = np.empty(0, dtype=np.float64)
        return OHLCVArrays(np.empty(0, dtype=np.int64), empty, empty, empty, empty, empty)
    if len(parts) == 1:
        return parts[0]
    return OHLCVArrays(*(np.concatenate(cols) for cols in zip(*parts, strict=True)))


def _take(arrays: OHLCVArrays, index: np.ndarray) -> OHLCVArrays:
    return OHLCVArrays(*(col[index] for col in arrays))


def _read_folder(folder: Path, start_ms: int | None, end_ms: int | None) -> OHLCVArrays:
    """Bars of one series folder with open time in ``[start_ms, end_ms)``, in file order."""
    first_year = None if start_ms is None else pd.Timestamp(start_ms, unit="ms").year
    last_year = None if end_ms is None else pd.Timestamp(end_ms - 1, unit="ms").year
    parts = [
        read_year_file(path)
        for year, path in _year_files(folder)
        if (first_year is None or year >= first_year) and (last_year is None or year <= last_year)
    ]
    arrays = _concat(parts)
    if start_ms is None and end_ms is None:
        return arrays
    keep = np.ones(len(arrays.ts), dtype=bool)
    if start_ms is not None:
        keep &= arrays.ts >= start_ms
    if end_ms is not None:
        keep &= arrays.ts < end_ms
    return _take(arrays, keep)


# -- finding series -------------------------------------------------------------------------------
def series_dir(data_dir: Path, source: str, exchange: str, symbol: str, timeframe: str) -> Path:
    """Folder of one stored series: ``<data_dir>/<source>/<exchange>/<BASE-QUOTE>/<timeframe>``.

    Examples
    --------
    >>> series_dir(Path("data"), "cache", "binance", "SOL/USDT", "1h").as_posix()
    'data/cache/binance/SOL-USDT/1h'
    """
    _check_choice("source", source, SOURCES)
    return Path(data_dir) / source / _exchange_dir(exchange) / symbol_dir(symbol) / timeframe


def _stored_series(root: Path) -> list[tuple[str, str, str, str, Path]]:
    """``(source, exchange, symbol_dir, timeframe, folder)`` of every stored series under root."""
    found = []
    for source in SOURCES:
        base = root / source
        if not base.is_dir():
            continue
        for folder in sorted(base.glob("*/*/*")):
            if not folder.is_dir():
                continue
            pattern = _DAY_FILE if folder.name == TRADES_DIR else _YEAR_FILE
            if any(pattern.match(p.name) for p in folder.iterdir()):
                exchange, sym = folder.parent.parent.name, folder.parent.name
                found.append((source, exchange, sym, folder.name, folder))
    return found


def _describe_available(root: Path) -> str:
    rows = [
        f"{exchange} {display_symbol(sym)} {tf} ({source})"
        for source, exchange, sym, tf, _ in _stored_series(root)
    ]
    if not rows:
        return f"no series are stored under {root}"
    more = f", ... ({len(rows) - _MAX_LISTED} more)" if len(rows) > _MAX_LISTED else ""
    return "available: " + ", ".join(rows[:_MAX_LISTED]) + more


def _resolve_symbol(root: Path, exchange: str, symbol: str) -> str:
    """Folder name for ``symbol``; a bare ``"SOLUSDT"`` must match exactly one stored series."""
    if not isinstance(symbol, str):
        raise ParameterError("symbol", f"expected a string such as 'SOL/USDT', got {symbol!r}")
    bare = symbol.strip().upper()
    if not _BARE_SYMBOL.match(bare):
        return symbol_dir(symbol)
    stored = {sym for _, ex, sym, _, _ in _stored_series(root) if ex == exchange}
    matches = sorted(s for s in stored if s.replace("-", "") == bare)
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        names = [display_symbol(m) for m in matches]
        raise ParameterError("symbol", f"{symbol!r} is ambiguous: it could be any of {names}")
    raise DataNotFoundError(
        f"no stored {exchange} series matches symbol {symbol!r} (write it as 'BASE/QUOTE', "
        f"e.g. 'SOL/USDT'); {_describe_available(root)}"
    )


def _pick_folder(
    root: Path, source: str, exchange: str, sym: str, timeframe: str
) -> tuple[str, Path]:
    """``(source, folder)`` holding the series: cache before sample unless ``source`` says."""
    _check_choice("source", source, ("auto", *SOURCES))
    candidates = SOURCES if source == "auto" else (source,)
    tried = []
    for name in candidates:
        folder = root / name / exchange / sym / timeframe
        if _year_files(folder):
            return name, folder
        tried.append(str(folder))
    raise DataNotFoundError(
        f"no stored bars for {exchange} {display_symbol(sym)} {timeframe}; looked in "
        f"{', '.join(tried)}; {_describe_available(root)}"
    )


# -- validation -----------------------------------------------------------------------------------
def _caller_stacklevel() -> int:
    """``stacklevel`` for ``warnings.warn`` pointing at the first frame outside soltrader."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if not (name == "soltrader" or name.startswith("soltrader.")):
            break
        frame = frame.f_back
        level += 1
    return level


def _ms_frame(arrays: OHLCVArrays) -> pl.DataFrame:
    """The bars as polars with integer epoch-ms ``timestamp``: a form the schema reads cheaply."""
    return pl.DataFrame({"timestamp": arrays.ts, **{c: getattr(arrays, c) for c in OHLCV_COLUMNS}})


def _checked(arrays: OHLCVArrays, timeframe: str | None, label: str) -> ValidationReport:
    """Validate bars: raise the first error (prefixed with ``label``), warn once about gaps."""
    report = validate_bars(_ms_frame(arrays), timeframe)
    try:
        report.raise_for_errors()
    except DataError as exc:
        raise DataError(
            f"{label}: {exc}", code=exc.code, row=exc.row, timestamp=exc.timestamp, field=exc.field
        ) from exc
    gaps = report.gaps
    n_gaps, missing = len(gaps), int(gaps["missing_count"].sum())
    if n_gaps:
        warnings.warn(
            f"{label}: {n_gaps} gap(s), {missing} bar(s) missing; the gaps are kept, not filled "
            "(see df.attrs['validation'].gaps of a pandas frame, or st.data.validate(df).gaps)",
            SoltraderWarning,
            stacklevel=_caller_stacklevel(),
        )
    return report


# -- public readers -------------------------------------------------------------------------------
def _cli_time(value: TimeLike, name: str) -> str:
    """A time bound as ``soltrader data download`` takes it (a string as given, else ISO UTC)."""
    if isinstance(value, str):
        return value
    stamp = pd.Timestamp(to_epoch_ms(value, name), unit="ms", tz="UTC")
    return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.isoformat()


def download_command(
    exchange: str,
    symbol: str,
    timeframe: str,
    *,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> str:
    """The ``soltrader data download`` command line that fetches a series into the cache.

    Parameters
    ----------
    exchange, symbol, timeframe : str
        As :func:`load` takes them (``"SOL-USDT"`` is written ``SOL/USDT``; a bare
        ``"DOGEUSDT"``, which a download cannot take, ``BASE/QUOTE`` to fill in).
    start, end : str, datetime, Timestamp or int epoch ms, optional
        Open-time bounds; without ``start`` the command shows ``--since YYYY-MM-DD`` to fill in.
    data_dir : str or PathLike, optional
        The data folder, passed on as ``--data-dir`` when given.

    Returns
    -------
    str
        One shell-quoted command line.

    Examples
    --------
    >>> download_command("binance", "SOL-USDT", "1h", start="2024-01-01")
    'soltrader data download binance SOL/USDT 1h --since 2024-01-01'
    >>> download_command("binance", "SOL/USDT", "1m")
    'soltrader data download binance SOL/USDT 1m --since YYYY-MM-DD'
    """
    try:
        market = display_symbol(symbol_dir(symbol))
    except Error:  # a bare "DOGEUSDT": the pair's halves are not known
        market = "BASE/QUOTE"
    words = ["soltrader", "data", "download", exchange, market, str(timeframe)]
    words += ["--since", "YYYY-MM-DD" if start is None else _cli_time(start, "start")]
    if end is not None:
        words += ["--until", _cli_time(end, "end")]
    if data_dir is not None:
        words += ["--data-dir", os.fspath(data_dir)]
    return " ".join(shlex.quote(w) for w in words)


def load(
    symbol: str,
    timeframe: str,
    *,
    exchange: str = "binance",
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    backend: Backend = "pandas",
    data_dir: str | os.PathLike[str] | None = None,
    validate: bool = True,
    source: Source = "auto",
) -> pd.DataFrame | pl.DataFrame:
    """Load one stored OHLCV series (cache first, then the bundled sample).

    When nothing stored matches (an unknown symbol or timeframe, or no bar in ``[start,
    end)``), the error names what is stored and the command that downloads the series
    (:func:`download_command`).

    Parameters
    ----------
    symbol : str
        ``"SOL/USDT"`` (also ``"SOL-USDT"``; ``"SOLUSDT"`` when it matches one stored series).
    timeframe : str
        Bar length, e.g. ``"1m"``, ``"1h"``, ``"4h"``.
    exchange : str
        ccxt exchange id naming the folder, default ``"binance"``.
    start, end : str, datetime, Timestamp or int epoch ms, optional
        Keep bars whose open time is in ``[start, end)``; naive times are UTC.
    backend : {"pandas", "polars"}
        Canonical pandas frame or canonical polars frame.
    data_dir : str or PathLike, optional
        The data folder (see :func:`soltrader.adapters.store.resolve_data_dir`).
    validate : bool
        Validate the bars: errors raise, gaps warn (never filled).
    source : {"auto", "cache", "sample"}
        ``"auto"`` reads the cache if it holds the series, else the sample.

    Returns
    -------
    pandas.DataFrame or polars.DataFrame
        Float64 ``open, high, low, close`` (quote currency) and ``volume`` (base units).

    Raises
    ------
    DataNotFoundError
        No such series, or none of its bars in ``[start, end)``: one line naming the request,
        the stored span or series, and (unless ``source="sample"``) the ``soltrader data download``
        command that fetches it.
    DataError
        The stored data breaks the schema.
    ParameterError
        Malformed symbol, timeframe, time bound, backend or source.

    Examples
    --------
    >>> bars = load("SOL/USDT", "1h", start="2021-01-01", end="2021-02-01")  # doctest: +SKIP
    >>> load("SOL/USDT", "1h", start="2030-01-01")                           # doctest: +SKIP
    Traceback (most recent call last):
    ...
    DataNotFoundError: binance SOL/USDT 1h (...): no bars with open time in [2030-01-01, None);
    stored bars span 2020-08-11T06:00:00+00:00 .. ...; download it with: soltrader data download
    binance SOL/USDT 1h --since 2030-01-01
    """
    _check_choice("backend", backend, ("pandas", "polars"))
    root = resolve_data_dir(data_dir)
    exchange = _exchange_dir(exchange)
    timeframe = _timeframe(timeframe)
    start_ms = None if start is None else to_epoch_ms(start, "start")
    end_ms = None if end is None else to_epoch_ms(end, "end")
    if start_ms is not None and end_ms is not None and end_ms <= start_ms:
        raise ParameterError("end", f"must be after start ({_iso(start_ms)}), got {_iso(end_ms)}")
    try:
        sym = _resolve_symbol(root, exchange, symbol)
        where, folder = _pick_folder(root, source, exchange, sym, timeframe)
        arrays = _read_folder(folder, start_ms, end_ms)
        label = f"{exchange} {display_symbol(sym)} {timeframe} ({folder})"
        if len(arrays.ts) == 0:
            raise DataNotFoundError(
                f"{label}: no bars with open time in [{start}, {end}); stored bars span "
                f"{_span(_read_folder(folder, None, None).ts)}"
            )
    except DataNotFoundError as exc:
        if source == "sample":
            raise
        hint = download_command(
            exchange, symbol, timeframe, start=start, end=end, data_dir=data_dir
        )
        raise DataNotFoundError(
            f"{exc}; download it with: {hint}",
            code=exc.code, row=exc.row, timestamp=exc.timestamp, field=exc.field,
        ) from exc  # fmt: skip
    report = _checked(arrays, timeframe, label) if validate else None
    if backend == "polars":
        return to_polars(_ms_frame(arrays))
    df = ohlcv_frame(*arrays)
    df.attrs.update(
        exchange=exchange, symbol=display_symbol(sym), timeframe=timeframe, source=where
    )
    if report is not None:
        df.attrs["validation"] = report
    return df


def _span(stored: np.ndarray) -> str:
    """The first and last stored open times (ms), or "none"."""
    return f"{_iso(int(stored.min()))} .. {_iso(int(stored.max()))}" if len(stored) else "none"


def _read_table_file(path: Path) -> pl.DataFrame:
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pl.from_arrow(pq.read_table(path))
        if name.endswith((".csv", ".csv.gz", ".csv.zst", ".txt")):
            return pl.read_csv(path, infer_schema_length=10_000)
    except (OSError, pa.ArrowException, pl.exceptions.PolarsError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})", code="unreadable_file") from exc
    raise ParameterError("path", f"{path.name!r}: expected a .parquet, .pq, .csv or .csv.gz file")


def _time_as_epoch_ms(frame: pl.DataFrame) -> pl.DataFrame:
    """Datetime/date time column as integer epoch ms (naive = UTC); a pandas index becomes it.

    A parquet file written by pandas keeps an unnamed DatetimeIndex as ``__index_level_0__``.
    """
    lower = {c.lower(): c for c in frame.columns}
    if not any(t in lower for t in TIME_COLUMNS) and PANDAS_INDEX in frame.columns:
        frame = frame.rename({PANDAS_INDEX: "timestamp"})
        lower["timestamp"] = "timestamp"
    name = next((lower[t] for t in TIME_COLUMNS if t in lower), None)
    if name is None or not isinstance(frame.schema[name], pl.Datetime | pl.Date):
        return frame
    return frame.with_columns(pl.col(name).dt.epoch("ms"))


def read_ohlcv(
    path: str | os.PathLike[str],
    *,
    timeframe: str | None = None,
    validate: bool = True,
) -> pd.DataFrame:
    """Read any CSV or parquet OHLCV file into the canonical pandas frame.

    Parameters
    ----------
    path : str or PathLike
        ``.parquet``/``.pq`` or ``.csv`` (optionally ``.gz``/``.zst`` compressed). The bar open
        time is a DatetimeIndex (parquet written by pandas) or a column named ``timestamp``
        (ISO; naive means UTC), ``open_time_ms`` (integer epoch ms), ``time``, ``date`` or
        ``datetime``; other columns are ignored, column names are case-insensitive.
    timeframe : str, optional
        Bar length, for gap detection (``None`` lets the validator infer it).
    validate : bool
        Validate as :func:`load` does.

    Returns
    -------
    pandas.DataFrame
        Canonical frame, rows in file order (never sorted or de-duplicated); ``attrs["source"]``
        is the path.

    Raises
    ------
    DataNotFoundError
        If the file does not exist.
    DataError
        If it cannot be parsed or breaks the schema (the message names the column or row).

    Examples
    --------
    >>> bars = read_ohlcv("SOLUSDT_1h.csv.gz", timeframe="1h")  # doctest: +SKIP
    """
    file = Path(path)
    if timeframe is not None:
        timeframe = _timeframe(timeframe)
    if not file.is_file():
        raise DataNotFoundError(f"{file}: no such file")
    raw = _time_as_epoch_ms(_read_table_file(file))
    try:
        arrays = ohlcv_arrays(raw)
    except DataError as exc:
        raise DataError(
            f"{file}: {exc}", code=exc.code, row=exc.row, timestamp=exc.timestamp, field=exc.field
        ) from exc
    report = _checked(arrays, timeframe, str(file)) if validate else None
    df = ohlcv_frame(*arrays)
    df.attrs["source"] = str(file)
    if timeframe is not None:
        df.attrs["timeframe"] = timeframe
    if report is not None:
        df.attrs["validation"] = report
    return df


def _day_name(day: str | date | datetime | pd.Timestamp) -> str:
    try:
        stamp = pd.Timestamp(day)
    except (ValueError, TypeError) as exc:
        raise ParameterError("day", f"expected a date such as '2025-10-10', got {day!r}") from exc
    if stamp is pd.NaT:
        raise ParameterError("day", f"expected a date such as '2025-10-10', got {day!r}")
    return stamp.strftime("%Y-%m-%d")


def _trade_files(root: Path, exchange: str, sym: str) -> dict[str, Path]:
    """Day → file, a cache file replacing the sample file of the same day."""
    files: dict[str, Path] = {}
    for source in reversed(SOURCES):
        folder = root / source / exchange / sym / TRADES_DIR
        if folder.is_dir():
            files.update(
                {m.group(1): p for p in folder.iterdir() if (m := _DAY_FILE.match(p.name))}
            )
    return dict(sorted(files.items()))


def _read_trades_file(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError(
            f"{path}: not a readable parquet file ({exc})", code="unreadable_file"
        ) from exc
    missing = [c for c in TRADE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {missing}; trades need {list(TRADE_COLUMNS)}",
            code="missing_column",
            field=missing[0],
        )
    ts = frame["timestamp"]
    if not isinstance(ts.dtype, pl.Datetime):
        raise DataError(
            f"{path}: column 'timestamp' must be a datetime, got {ts.dtype}",
            code="bad_dtype",
            field="timestamp",
        )
    back = np.flatnonzero(np.diff(ts.dt.epoch("us").to_numpy()) < 0)
    if len(back):
        row = int(back[0]) + 1
        raise DataError(
            f"{path}: row {row} ({ts[row]}) is earlier than the row before; trades must be in "
            "time order",
            code="unsorted",
            row=row,
            timestamp=ts[row],
            field="timestamp",
        )
    return frame


def load_trades(
    symbol: str,
    day: str | date | datetime | pd.Timestamp | None = None,
    *,
    exchange: str = "gemini",
    data_dir: str | os.PathLike[str] | None = None,
    backend: Backend = "pandas",
) -> pd.DataFrame | pl.DataFrame:
    """Load stored trades of one symbol: one UTC day, or every stored day in order.

    Parameters
    ----------
    symbol : str
        ``"SOL/USD"`` (also ``"SOL-USD"``; ``"SOLUSD"`` when unambiguous).
    day : str, date or datetime, optional
        The UTC day (``"2025-10-10"``); ``None`` loads all stored days.
    exchange : str
        ccxt exchange id naming the folder, default ``"gemini"``.
    data_dir : str or PathLike, optional
        The data folder (see :func:`resolve_data_dir`).
    backend : {"pandas", "polars"}
        The frame type returned: pandas (the default, as :func:`load`; ``timestamp`` stays a
        column, trades may share a time) or polars.

    Returns
    -------
    pandas.DataFrame or polars.DataFrame
        Columns as stored: ``timestamp`` (UTC), ``price`` (quote currency), ``amount`` (base
        units), ``side`` (taker side), ``trade_id``, ``received`` (local receive time). A day in
        the cache replaces the same day of the sample.

    Raises
    ------
    DataNotFoundError
        No trades stored for that symbol/day (the message lists paths and days available).
    DataError
        A file is unreadable, lacks ``timestamp/price/amount``, or is not in time order.

    Examples
    --------
    >>> trades = load_trades("SOL/USD", "2025-10-10")  # doctest: +SKIP
    >>> len(trades)                                     # doctest: +SKIP
    12764
    >>> load_trades("SOL/USD", backend="polars").height  # doctest: +SKIP
    12764
    """
    _check_choice("backend", backend, ("pandas", "polars"))
    root = resolve_data_dir(data_dir)
    exchange = _exchange_dir(exchange)
    sym = _resolve_symbol(root, exchange, symbol)
    files = _trade_files(root, exchange, sym)
    wanted = list(files) if day is None else [_day_name(day)]
    missing = [d for d in wanted if d not in files]
    if missing or not wanted:
        tried = [str(root / s / exchange / sym / TRADES_DIR) for s in SOURCES]
        raise DataNotFoundError(
            f"no stored {exchange} {display_symbol(sym)} trades for {missing or 'any day'}; looked "
            f"in {', '.join(tried)}; days stored: {list(files) or 'none'}"
        )
    frame = pl.concat([_read_trades_file(files[d]) for d in wanted], how="vertical")
    return frame.to_pandas() if backend == "pandas" else frame


# -- the cache ------------------------------------------------------------------------------------
def _as_arrays(data: pd.DataFrame | pl.DataFrame | OHLCVArrays) -> OHLCVArrays:
    if isinstance(data, OHLCVArrays):
        return OHLCVArrays(
            np.asarray(data.ts, dtype=np.int64),
            *(np.asarray(c, dtype=np.float64) for c in data[1:]),
        )
    return ohlcv_arrays(data)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _merge_year(
    old: OHLCVArrays, new: OHLCVArrays, offset: int, overwrite: bool, label: str
) -> tuple[OHLCVArrays, int, int]:
    """Merge ``new`` into ``old``: ``(merged, added, replaced)``; conflicts raise DataError."""
    if np.any(np.diff(old.ts) <= 0):
        raise DataError(
            f"{label}: the cached file is not strictly increasing in time", code="unsorted"
        )
    common, i_old, i_new = np.intersect1d(old.ts, new.ts, assume_unique=True, return_indices=True)
    differs = np.zeros(len(common), dtype=bool)
    for name in OHLCV_COLUMNS:
        a, b = getattr(old, name)[i_old], getattr(new, name)[i_new]
        bad = ~_same(a, b)
        if bad.any() and not overwrite:
            k = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{label}: bar {_iso(int(common[k]))} is already cached with {name}={a[k]!r} but "
                f"the new data has {name}={b[k]!r}; pass overwrite=True to replace cached bars",
                code="conflict",
                row=offset + int(i_new[k]),
                timestamp=pd.Timestamp(int(common[k]), unit="ms", tz="UTC"),
                field=name,
            )
        differs |= bad
    keep_old = np.ones(len(old.ts), dtype=bool)
    keep_old[i_old] = False
    merged = OHLCVArrays(*(np.concatenate([o[keep_old], n]) for o, n in zip(old, new, strict=True)))
    merged = _take(merged, np.argsort(merged.ts, kind="stable"))
    return merged, len(new.ts) - len(common), int(differs.sum())


def _write_atomic(arrays: OHLCVArrays, path: Path) -> None:
    """Write one year file through a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_arrays(
        [pa.array(arrays.ts, type=pa.int64()).cast(pa.timestamp("ms", tz="UTC"))]
        + [pa.array(getattr(arrays, c), type=pa.float64()) for c in OHLCV_COLUMNS],
        schema=_PARQUET_SCHEMA,
    )
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_cache(
    data: pd.DataFrame | pl.DataFrame | OHLCVArrays,
    exchange: str,
    symbol: str,
    timeframe: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
) -> int:
    """Merge bars into the cache's year files.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or OHLCVArrays
        Bars in the OHLCV schema, strictly increasing in time and on the ``timeframe`` grid.
    exchange : str
        ccxt exchange id (folder name).
    symbol : str
        ``"SOL/USDT"`` or ``"SOL-USDT"``.
    timeframe : str
        Bar length, e.g. ``"1h"``.
    data_dir : str or PathLike, optional
        The data folder (see :func:`resolve_data_dir`); ``cache/`` is created under it.
    overwrite : bool
        Replace cached bars whose values differ instead of raising.

    Returns
    -------
    int
        Number of bars added (not counting bars already cached).

    Raises
    ------
    DataError
        Input not strictly increasing or off the grid; or (without ``overwrite``) a bar already
        cached with different values — the message names the time and field. Nothing is written
        then: conflicts are checked for every year before any file is replaced.

    Examples
    --------
    >>> write_cache(bars, "binance", "SOL/USDT", "1h", "data")  # doctest: +SKIP
    744
    """
    timeframe = _timeframe(timeframe)
    folder = series_dir(resolve_data_dir(data_dir), "cache", exchange, symbol, timeframe)
    new = _as_arrays(data)
    if len(new.ts) == 0:
        return 0
    check_bar_times(new.ts, timeframe)
    label = f"{_exchange_dir(exchange)} {symbol} {timeframe} cache"
    years = new.ts.astype("datetime64[ms]").astype("datetime64[Y]").astype(np.int64) + 1970
    cuts = np.flatnonzero(np.diff(years)) + 1
    planned: list[tuple[OHLCVArrays, Path]] = []
    added = 0
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(years)], strict=True):
        path = folder / f"{int(years[lo])}.parquet"
        part = _take(new, np.arange(lo, hi))
        if not path.exists():
            planned.append((part, path))
            added += len(part.ts)
            continue
        merged, n_added, n_replaced = _merge_year(
            read_year_file(path), part, int(lo), overwrite, label
        )
        if n_added or n_replaced:
            planned.append((merged, path))
        added += n_added
    for arrays, path in planned:
        _write_atomic(arrays, path)
    return added


def cache_extent(
    exchange: str,
    symbol: str,
    timeframe: str,
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Open times of the first and last cached bar of a series, or ``None`` if nothing is cached.

    Examples
    --------
    >>> cache_extent("binance", "SOL/USDT", "1h", "data")  # doctest: +SKIP
    (Timestamp('2021-08-01 00:00:00+0000', tz='UTC'),
     Timestamp('2021-11-30 23:00:00+0000', tz='UTC'))
    """
    timeframe = _timeframe(timeframe)
    folder = series_dir(resolve_data_dir(data_dir), "cache", exchange, symbol, timeframe)
    files = _year_files(folder)
    if not files:
        return None
    first = _ts_ms(_open_table(files[0][1], ["timestamp"]), files[0][1])
    last = _ts_ms(_open_table(files[-1][1], ["timestamp"]), files[-1][1])
    if len(first) == 0 or len(last) == 0:
        return None
    return (
        pd.Timestamp(int(first.min()), unit="ms", tz="UTC"),
        pd.Timestamp(int(last.max()), unit="ms", tz="UTC"),
    )


def _folder_summary(folder: Path, is_trades: bool) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    pattern = _DAY_FILE if is_trades else _YEAR_FILE
    files = sorted(p for p in folder.iterdir() if pattern.match(p.name))
    rows = 0
    for path in files:
        try:
            rows += pq.read_metadata(path).num_rows
        except (OSError, pa.ArrowException) as exc:
            raise DataError(
                f"{path}: not a readable parquet file ({exc})", code="unreadable_file"
            ) from exc
    first = _ts_ms(_open_table(files[0], ["timestamp"]), files[0], exact=not is_trades)
    last = _ts_ms(_open_table(files[-1], ["timestamp"]), files[-1], exact=not is_trades)
    nat = pd.NaT
    lo = pd.Timestamp(int(first.min()), unit="ms", tz="UTC") if len(first) else nat
    hi = pd.Timestamp(int(last.max()), unit="ms", tz="UTC") if len(last) else nat
    return lo, hi, rows


def available(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Table of the stored series (bars and trades) in the cache and the sample.

    Parameters
    ----------
    data_dir : str or PathLike, optional
        The data folder (see :func:`resolve_data_dir`).

    Returns
    -------
    pandas.DataFrame
        Columns ``exchange, symbol`` (``"SOL/USDT"``), ``timeframe`` (``"trades"`` for trades),
        ``source`` (``"cache"``/``"sample"``), ``first``, ``last`` (UTC open times), ``rows``;
        one row per series and source, sorted.

    Examples
    --------
    >>> available().query("symbol == 'SOL/USDT'")  # doctest: +SKIP
    """
    root = resolve_data_dir(data_dir)
    rows = []
    for source, exchange, sym, tf, folder in _stored_series(root):
        first, last, n = _folder_summary(folder, tf == TRADES_DIR)
        rows.append(
            {
                "exchange": exchange,
                "symbol": display_symbol(sym),
                "timeframe": tf,
                "source": source,
                "first": first,
                "last": last,
                "rows": n,
            }
        )
    columns = ["exchange", "symbol", "timeframe", "source", "first", "last", "rows"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["exchange", "symbol", "timeframe", "source"], ignore_index=True)
