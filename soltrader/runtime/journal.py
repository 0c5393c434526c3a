"""The live runtime's durable memory: a SQLite journal of bars, intents, fills and equity.

The live loop decides once per closed bar. Everything that bar produced -- the candle, the
control mode it ran with, the intents decided on it, the fills executed during it, and the
account's cash, equity and position at its close -- is written by :meth:`Journal.commit_bar` in
one transaction, so after any crash the journal holds each bar whole or not at all. A restarted
runtime reads :meth:`Journal.last_bar`, carries on from ``last_bar() + 1`` and re-issues the same
deterministic client ids (:func:`~soltrader.domain.state.client_id`). Re-committing a bar that is
already journaled with identical content is a no-op, so a crash between a commit and its
acknowledgement is harmless; different content for a journaled bar is refused.

For real venues, :meth:`Journal.record_intents` writes intents *before* they are sent: after a
crash the journal knows every order that may be live at the venue, and reconciliation looks them
up by client id. The journal also keeps the candles that validation quarantined, an operator halt
that survives restarts, and free-form metadata, among it the identity of the strategy instance
(:meth:`Journal.bind`): a journal is never resumed by a different spec.

Durability
----------
The journal is one SQLite file in WAL mode with **one writer** connection (a second writer, in
this process or another, is refused through an advisory lock on ``<path>-lock``) and any number
of readers: a status command or a dashboard opens ``Journal(path, read_only=True)`` (SQLite's
``mode=ro``); readers and the writer do not block each other. Every write is one explicit
``BEGIN IMMEDIATE`` ... ``COMMIT`` transaction, rolled back whole on any error.

* ``synchronous="NORMAL"`` (the default): when a commit returns it is in the write-ahead log in
  the operating system's cache. It survives the process dying (``kill -9``, an out-of-memory
  kill, a crash of the interpreter); a power loss or kernel panic may lose the last commits, never
  corrupt the file. A commit takes tens of microseconds.
* ``synchronous="FULL"``: every commit is flushed to the disk (fsync) before it returns, so it
  survives a power loss too. A commit then takes about one disk flush (a fraction of a
  millisecond to several milliseconds, depending on the disk): still nothing, once per bar.

**Checkpoints.** SQLite copies the write-ahead log back into the database file (a checkpoint,
with a disk flush of each file) on the commit that takes the log past
:attr:`Journal.autocheckpoint` pages (1,000 by default, about 300 bars), and the first commit
after a complete checkpoint flushes the restarted log's header: two commits in a few hundred
take milliseconds instead of tens of microseconds. A live runner moves both off its bars: it
raises ``autocheckpoint`` to a backstop and calls :meth:`Journal.checkpoint` between bars, which
checkpoints and restarts the log at once. Durability is the same either way (a checkpoint only
moves committed pages; ``kill -9`` during one loses nothing).

Storage
-------
Floats round-trip bit for bit: float columns have no declared type, because SQLite stores an
integral value of a ``REAL`` column as an integer (``-0.0`` would come back as ``0.0``), and
SQLite stores NaN as NULL, which reads back as NaN (every float column may hold NaN). Unsigned
64-bit client ids do not fit SQLite's signed 64-bit integers: they are stored as their
two's-complement ``int64`` and converted back exactly. Booleans are stored as 0 / 1.

Examples
--------
>>> import tempfile
>>> from soltrader.domain.records import fill_dt
>>> from soltrader.domain.state import intent_dt
>>> tmp = tempfile.TemporaryDirectory()
>>> path = Path(tmp.name) / "live" / "journal.sqlite"
>>> journal = Journal(path)
>>> journal.bind("spec:3f9a1c")
>>> intents = np.zeros(1, intent_dt)
>>> intents["client_id"] = 2**63 + 7
>>> intents["quantity"], intents["limit_price"], intents["stop_price"] = 1.5, 101.0, np.nan
>>> rec = BarCommit(0, 1_700_000_000_000, 100.0, 102.0, 99.0, 101.0, 5e3, 0,
...                 intents, np.zeros(0, fill_dt), 1_000.0, 1_000.0, 0.0)
>>> journal.commit_bar(rec), journal.commit_bar(rec)  # the second: a re-commit after a crash
(True, False)
>>> f"{journal.intents()['client_id'][0]:016x}", journal.last_bar()
('8000000000000007', 0)
>>> reader = Journal(path, read_only=True)  # a status command, a dashboard
>>> reader.status().equity
1000.0
>>> reader.close(); journal.close(); tmp.cleanup()
"""

from __future__ import annotations

import contextlib
import math
import operator
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import numpy as np

from soltrader.adapters.ccxt_venue import VenueOrder
from soltrader.domain.errors import Error, ParameterError
from soltrader.domain.ports import candle_dt
from soltrader.domain.records import fill_dt
from soltrader.domain.state import intent_dt

try:
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - no advisory lock where fcntl is missing (Windows)
    _fcntl = None  # type: ignore[assignment]

#: Version of the table layout, stored in the ``meta`` row ``schema_version``.
SCHEMA_VERSION = 1
#: The venue name of fills committed with a bar (the paper venue).
PAPER_VENUE = "paper"

#: One journaled bar: its candle (open time in epoch milliseconds, prices in quote currency,
#: volume in base units) and the :class:`~soltrader.domain.state.ControlMode` code it ran with.
bar_dt = np.dtype([("bar", np.int64), *candle_dt.descr, ("control", np.int8)])

#: The account at a bar's close: cash and equity (quote), position (base units), and the running
#: maximum of equity (NaN equities ignored).
equity_dt = np.dtype(
    [
        ("bar", np.int64),
        ("cash", np.float64),
        ("equity", np.float64),
        ("position", np.float64),
        ("peak", np.float64),
    ]
)

_SYNC_MODES = ("NORMAL", "FULL", "EXTRA")
_SYNC_NAMES = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
_RESERVED_META = frozenset({"schema_version", "identity"})
_BUSY_TIMEOUT_S = 10.0
_U64 = 1 << 64

_CANDLE = ("open", "high", "low", "close", "volume")
_MONEY = ("cash", "equity", "position")
_INTENT_COLS = ("bar", *intent_dt.names)  # the journal bar it was recorded with, then the record
_FILL_COLS: tuple[str, ...] = fill_dt.names


def _q(names: Sequence[str]) -> str:
    """Quoted, comma-separated column names."""
    return ", ".join(f'"{n}"' for n in names)


# Float columns have no declared type (see the module docstring); NULL is NaN.
_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE bars (
        bar INTEGER PRIMARY KEY CHECK (bar >= 0),
        open_time_ms INTEGER NOT NULL UNIQUE,
        "open", "high", "low", "close", "volume",
        control INTEGER NOT NULL)""",
    """CREATE TABLE intents (
        client_id INTEGER PRIMARY KEY,  -- the uint64 id as two's-complement int64
        seq INTEGER NOT NULL UNIQUE,  -- insertion (decision) order
        bar INTEGER NOT NULL,  -- journal bar recorded with
        decision_bar INTEGER NOT NULL, decision_time INTEGER NOT NULL,
        asset INTEGER NOT NULL, account INTEGER NOT NULL,
        side INTEGER NOT NULL, kind INTEGER NOT NULL, reason INTEGER NOT NULL,
        unit INTEGER NOT NULL, quantity, limit_price, stop_price, tif INTEGER NOT NULL,
        reduce_only INTEGER NOT NULL, post_only INTEGER NOT NULL,
        replaces INTEGER NOT NULL)""",
    """CREATE TABLE fills (
        seq INTEGER PRIMARY KEY,  -- running fill number of this journal
        venue TEXT NOT NULL, order_id INTEGER NOT NULL, trade_id TEXT NOT NULL,
        commit_bar INTEGER NOT NULL REFERENCES bars (bar),
        asset INTEGER NOT NULL, account INTEGER NOT NULL, bar INTEGER NOT NULL,
        side INTEGER NOT NULL, size, price, fees, reason INTEGER NOT NULL,
        UNIQUE (venue, order_id, trade_id))""",
    "CREATE INDEX fills_by_commit_bar ON fills (commit_bar)",
    """CREATE TABLE equity (
        bar INTEGER PRIMARY KEY REFERENCES bars (bar), cash, equity, position, peak)""",
    """CREATE TABLE quarantine (
        open_time_ms INTEGER NOT NULL, code TEXT NOT NULL, field TEXT, message TEXT NOT NULL,
        "open", "high", "low", "close", "volume",
        PRIMARY KEY (open_time_ms, code))""",
    """CREATE TABLE halts (
        seq INTEGER PRIMARY KEY, reason TEXT NOT NULL, at_ms INTEGER NOT NULL,
        resumed INTEGER NOT NULL DEFAULT 0)""",
)
#: Solana transactions, journaled before they are sent (added to older journals on open).
_SIGNATURES = """CREATE TABLE IF NOT EXISTS signatures (
    signature TEXT PRIMARY KEY,
    intent_id INTEGER NOT NULL,  -- the intent's uint64 client id as two's-complement int64
    attempt INTEGER NOT NULL,
    tx BLOB NOT NULL,  -- the signed bytes, re-sent exactly as they are
    last_valid_height INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'landed', 'expired')),
    slot INTEGER, err TEXT, fee INTEGER, in_amount INTEGER, out_amount INTEGER,
    UNIQUE (intent_id, attempt))"""
#: Intents a real venue refused or gave up on (added to older journals on open).
_REFUSALS = """CREATE TABLE IF NOT EXISTS refusals (
    client_id INTEGER PRIMARY KEY,  -- the intent's uint64 client id as two's-complement int64
    commit_bar INTEGER NOT NULL REFERENCES bars (bar),
    reason TEXT NOT NULL)"""
#: Exchange orders, journaled before they are sent (added to older journals on open).
_VENUE_ORDERS = """CREATE TABLE IF NOT EXISTS venue_orders (
    client_order_id TEXT PRIMARY KEY,
    intent_id INTEGER NOT NULL UNIQUE,  -- the intent's uint64 client id as two's-complement int64
    venue TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sending', 'accepted', 'closed', 'refused')),
    sent_ms INTEGER NOT NULL,
    order_id TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '')"""
_VENUE_ORDER_COLS = (
    "intent_id", "client_order_id", "venue", "state", "sent_ms", "order_id", "detail",
)  # fmt: skip
#: The states a venue order may move to from each state.
_VENUE_ORDER_MOVES = {
    "sending": {"sending", "accepted", "closed", "refused"},
    "accepted": {"accepted", "closed", "refused"},
    "closed": {"closed"},
    "refused": {"refused"},
}
_SIGNATURE_COLS = (
    "intent_id", "attempt", "signature", "tx", "last_valid_height", "state", "slot", "err", "fee",
    "in_amount", "out_amount",
)  # fmt: skip

_INSERT_INTENT = (
    f"INSERT INTO intents (seq, {_q(_INTENT_COLS)}) "
    f"VALUES ((SELECT COALESCE(MAX(seq), -1) + 1 FROM intents), "
    f"{', '.join('?' * len(_INTENT_COLS))}) ON CONFLICT (client_id) DO NOTHING"
)
_INSERT_FILL = (
    f"INSERT INTO fills (seq, venue, trade_id, commit_bar, {_q(_FILL_COLS)}) "
    f"VALUES (?, ?, ?, ?, {', '.join('?' * len(_FILL_COLS))})"
)
#: The last bar, its open time and the peak equity so far.
_LAST_BAR = (
    "SELECT bars.bar, open_time_ms, peak FROM bars LEFT JOIN equity USING (bar) "
    "ORDER BY bars.bar DESC LIMIT 1"
)
_UNKNOWN = object()
_INSERT_BAR = f"INSERT INTO bars ({_q(bar_dt.names)}) VALUES ({', '.join('?' * len(bar_dt))})"
_QUARANTINE_COLS = ("open_time_ms", "code", "field", "message", *_CANDLE)


# --------------------------------------------------------------------------- records


class BarCommit(NamedTuple):
    """Everything one closed bar produced, written atomically by :meth:`Journal.commit_bar`.

    Attributes
    ----------
    bar : int
        The decision core's bar index: 0, 1, 2, ... with no holes.
    open_time_ms : int
        The candle's open time, epoch milliseconds; strictly increasing with ``bar``.
    open, high, low, close : float
        The candle's prices, quote currency (NaN allowed).
    volume : float
        The candle's volume, base units (NaN allowed).
    control : int
        The :class:`~soltrader.domain.state.ControlMode` code the bar ran with.
    intents : ndarray of intent_dt
        The intents decided on this bar, in decision order (may be empty).
    fills : ndarray of fill_dt
        The fills executed during this bar, in order (may be empty).
    venue : str
        The venue that executed ``fills`` (default ``"paper"``).
    trade_ids : tuple of str
        The venue's id of each fill (a Solana signature), unique per venue and order; empty:
        the journal numbers them (the paper venue).
    refused : tuple of Refusal
        Intents the venue refused or gave up on during this bar.
    cash, equity : float
        The account's cash and equity at the close, quote currency.
    position : float
        The account's position at the close, signed base units.

    Examples
    --------
    >>> from soltrader.domain.records import fill_dt
    >>> from soltrader.domain.state import intent_dt
    >>> rec = BarCommit(0, 1_700_000_000_000, 100.0, 102.0, 99.0, 101.0, 5e3, 0,
    ...                 np.zeros(0, intent_dt), np.zeros(0, fill_dt), 1e3, 1e3, 0.0)
    >>> rec.bar, rec.close, len(rec.intents)
    (0, 101.0, 0)
    """

    bar: int
    open_time_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    control: int
    intents: np.ndarray
    fills: np.ndarray
    cash: float
    equity: float
    position: float
    venue: str = PAPER_VENUE
    trade_ids: tuple[str, ...] = ()
    refused: tuple[Refusal, ...] = ()


class Refusal(NamedTuple):
    """An intent a real venue refused or gave up on (nothing of it executed).

    Attributes
    ----------
    client_id : int
        The intent's client id (unsigned 64-bit).
    reason : str
        Why, as the venue said it (never a secret: venue errors are described by the adapters).
    bar : int
        The journal bar it was committed with (-1 before it is journaled).
    """

    client_id: int
    reason: str
    bar: int = -1


class CommittedFills(NamedTuple):
    """Every journaled fill with where it came from, in commit order: ``fills`` (``fill_dt``),
    the journal bar each was committed with, its venue and the venue's trade id (a Solana
    signature; the running fill number for the paper venue)."""

    fills: np.ndarray
    commit_bar: np.ndarray
    venue: tuple[str, ...]
    trade_id: tuple[str, ...]


class SignatureRecord(NamedTuple):
    """A Solana transaction sent for an intent, journaled before it was sent.

    Attributes
    ----------
    intent_id : int
        The intent's client id (unsigned 64-bit).
    attempt : int
        0 for the intent's first transaction, 1 for the one built after it expired, ...
    signature : str
        The transaction's signature (base58).
    tx : bytes
        The signed transaction, re-sent byte for byte.
    last_valid_height : int
        The last block height at which it can land.
    state : str
        ``"pending"``, ``"landed"`` or ``"expired"``.
    slot, err, fee, in_amount, out_amount
        Where it landed, its error (JSON text; None: success), the fee (lamports) and the
        amounts booked from its token balances (atomic units); None until landed.
    """

    intent_id: int
    attempt: int
    signature: str
    tx: bytes
    last_valid_height: int
    state: str
    slot: int | None = None
    err: str | None = None
    fee: int | None = None
    in_amount: int | None = None
    out_amount: int | None = None


class HaltState(NamedTuple):
    """Why and since when the runtime is halted (see :meth:`Journal.halt`).

    Attributes
    ----------
    reason : str
        Why trading stopped, as the operator or the guard wrote it.
    at_ms : int
        When, epoch milliseconds.

    Examples
    --------
    >>> HaltState("daily loss limit", 1_700_000_000_000).reason
    'daily loss limit'
    """

    reason: str
    at_ms: int


class JournalStatus(NamedTuple):
    """A summary of a journal, read in one consistent snapshot (see :meth:`Journal.status`).

    Attributes
    ----------
    bars : int
        Number of journaled bars.
    last_bar : int
        The last journaled bar index; -1 when there is none.
    last_open_time_ms : int or None
        Its open time, epoch milliseconds.
    cash, equity : float or None
        Cash and equity at the last bar's close, quote currency.
    position : float or None
        Position at the last bar's close, signed base units.
    peak_equity : float or None
        Highest equity so far, quote currency.
    intents, fills, quarantined : int
        Numbers of journaled intents, fills and quarantined candles.
    halted : HaltState or None
        The halt in force, if any.
    meta : dict of str to str
        Every metadata entry (``schema_version``, ``identity`` once bound, and the caller's).

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
    ...     status = journal.status()
    >>> status.bars, status.last_bar, status.equity, status.halted
    (0, -1, None, None)
    >>> tmp.cleanup()
    """

    bars: int
    last_bar: int
    last_open_time_ms: int | None
    cash: float | None
    equity: float | None
    position: float | None
    peak_equity: float | None
    intents: int
    fills: int
    quarantined: int
    halted: HaltState | None
    meta: dict[str, str]


class QuarantinedCandle(NamedTuple):
    """A candle that validation refused, kept with its reason (see :meth:`Journal.quarantine`).

    Attributes
    ----------
    open_time_ms : int
        The candle's open time, epoch milliseconds.
    code : str
        The validation reason code (e.g. ``"high_below_low"``).
    field : str or None
        The column concerned, when one applies.
    message : str
        The validation message.
    open, high, low, close, volume : float
        The candle as received (NaN allowed).

    Examples
    --------
    >>> c = QuarantinedCandle(1_700_000_000_000, "high_below_low", "high", "high < low",
    ...                       100.0, 98.0, 99.0, 99.5, 10.0)
    >>> c.code, c.high
    ('high_below_low', 98.0)
    """

    open_time_ms: int
    code: str
    field: str | None
    message: str
    open: float
    high: float
    low: float
    close: float
    volume: float


class JournalError(Error):
    """The journal refused an operation or could not be read or written.

    Raised for a bar that would leave a hole, a journaled bar or intent re-sent with other
    content, a journal bound to another spec, a write to a read-only or closed journal, a second
    writer, a missing or foreign file, and every SQLite error (chained as ``__cause__``). The
    message names the journal's path and the bar or client id concerned.

    Examples
    --------
    >>> issubclass(JournalError, Error)
    True
    """


class JournalBusyError(JournalError):
    """The journal's one writer is taken (a runner is running on it)."""


class _Plan(NamedTuple):
    """A :class:`BarCommit` checked and converted to SQLite values (NaN as None)."""

    bar: int
    bar_row: tuple[Any, ...]
    intent_rows: list[tuple[Any, ...]]
    fill_rows: list[tuple[Any, ...]]
    money: tuple[float | None, ...]
    venue: str
    trade_ids: tuple[str, ...]
    refusal_rows: list[tuple[Any, ...]]


# --------------------------------------------------------------------------- conversions


def _signed(value: int) -> int:
    """An unsigned 64-bit integer as its two's-complement int64 (smaller ones unchanged)."""
    return value - _U64 if value >= 1 << 63 else value


def _no_nan(value: float) -> float | None:
    """A float as SQLite stores it: NaN as None (NULL)."""
    return None if value != value else value


def _same(value: Any) -> Any:
    """A value SQLite stores as it is."""
    return value


_TO_SQL = {"u": _signed, "f": _no_nan, "b": int}


def _rows(records: np.ndarray) -> list[tuple[Any, ...]]:
    """The records as rows of SQLite values, fields in dtype order: uint64 as two's-complement
    int64, NaN as None, booleans as 0 / 1."""
    if not records.shape[0]:
        return []
    dtype = records.dtype
    convert = [_TO_SQL.get(dtype[n].kind, _same) for n in dtype.names]
    return [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in records.tolist()]


def _numpy_values(col: Sequence[Any], dtype: np.dtype) -> np.ndarray:
    """A column read from SQLite as values of ``dtype`` (the inverse of :func:`_rows`)."""
    if dtype.kind == "u" and dtype.itemsize == 8:
        return np.array(col, np.int64).view(np.uint64)
    if dtype.kind == "f":
        return np.array([math.nan if v is None else v for v in col], dtype)
    return np.array(col, dtype)


def _records(rows: Sequence[Sequence[Any]], dtype: np.dtype) -> np.ndarray:
    """Rows (fields in dtype order) as records, built field by field into zeros so that padding
    bytes are zero."""
    out = np.zeros(len(rows), dtype)
    if rows:
        for name, col in zip(dtype.names, zip(*rows, strict=True), strict=True):
            out[name] = _numpy_values(col, dtype[name])
    return out


def _nan(value: float | None) -> float:
    """A float read from SQLite: NULL is NaN."""
    return math.nan if value is None else value


def _hex(stored_id: int) -> str:
    """The 16-character text of a client id stored as int64."""
    return f"{stored_id % _U64:016x}"


def _peak(previous: float | None, equity: float | None) -> float | None:
    """The running maximum of equity, NaN (None) equities ignored."""
    if previous is None:
        return equity
    return previous if equity is None else max(previous, equity)


def _differing(names: Sequence[str], a: Sequence[Any], b: Sequence[Any]) -> str | None:
    """The fields whose values differ, comma-separated; None when none does (None == None: NaN
    matches NaN)."""
    fields = [n for n, x, y in zip(names, a, b, strict=True) if x != y]
    return ", ".join(fields) if fields else None


# --------------------------------------------------------------------------- checks


def _index(name: str, value: Any, minimum: int | None = None) -> int:
    """``value`` as an int (numpy integers accepted, bools and floats refused)."""
    if type(value) is int and (minimum is None or value >= minimum):
        return value  # the usual case: nothing to convert
    if isinstance(value, bool | np.bool_):
        raise ParameterError(name, f"must be an integer, got {value!r}")
    try:
        out = operator.index(value)
    except TypeError:
        raise ParameterError(name, f"must be an integer, got {type(value).__name__}") from None
    if minimum is not None and out < minimum:
        raise ParameterError(name, f"must be >= {minimum}, got {out}")
    return out


def _real(name: str, value: Any) -> float | None:
    """``value`` as a SQLite float: None for NaN."""
    if type(value) is float:  # the usual case: nothing to check
        return None if value != value else value
    if isinstance(value, bool | np.bool_ | str | bytes):
        raise ParameterError(name, f"must be a number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ParameterError(name, f"must be a number, got {type(value).__name__}") from None
    return None if math.isnan(out) else out


def _text(name: str, value: Any, *, empty: bool = False) -> str:
    """``value`` refused unless a str (and non-empty unless ``empty``)."""
    if not isinstance(value, str) or (not empty and not value):
        kind = "a str" if empty else "a non-empty str"
        raise ParameterError(name, f"must be {kind}, got {value!r}")
    return value


def _array(name: str, value: Any, dtype: np.dtype, label: str) -> np.ndarray:
    """``value`` refused unless a 1-d array of ``dtype`` records."""
    if not isinstance(value, np.ndarray) or value.dtype != dtype or value.ndim != 1:
        got = value.dtype if isinstance(value, np.ndarray) else type(value).__name__
        raise ParameterError(name, f"must be a 1-d array of {label} records, got {got}")
    return value


def _plan(rec: BarCommit) -> _Plan:
    """``rec`` checked and converted to SQLite rows."""
    if not isinstance(rec, BarCommit):
        raise ParameterError("rec", f"must be a BarCommit, got {type(rec).__name__}")
    bar = _index("rec.bar", rec.bar, 0)
    bar_row = (
        bar,
        _index("rec.open_time_ms", rec.open_time_ms),
        _real("rec.open", rec.open),
        _real("rec.high", rec.high),
        _real("rec.low", rec.low),
        _real("rec.close", rec.close),
        _real("rec.volume", rec.volume),
        _index("rec.control", rec.control),
    )
    intents = _rows(_array("rec.intents", rec.intents, intent_dt, "intent_dt"))
    fills = _rows(_array("rec.fills", rec.fills, fill_dt, "fill_dt"))
    money = (
        _real("rec.cash", rec.cash),
        _real("rec.equity", rec.equity),
        _real("rec.position", rec.position),
    )
    venue = _text("rec.venue", rec.venue)
    trade_ids = tuple(_text("rec.trade_ids", t) for t in rec.trade_ids)
    if trade_ids and len(trade_ids) != len(fills):
        raise ParameterError(
            "rec.trade_ids", f"{len(trade_ids)} ids for {len(fills)} fills: one per fill"
        )
    refusals = [_refusal_row(bar, r) for r in rec.refused]
    return _Plan(
        bar, bar_row, [(bar, *r) for r in intents], fills, money, venue, trade_ids, refusals
    )


def _refusal_row(bar: int, refusal: Any) -> tuple[Any, ...]:
    """A refusal as its SQLite row (client id, commit bar, reason)."""
    if not isinstance(refusal, Refusal):
        raise ParameterError("rec.refused", f"must hold Refusal records, got {refusal!r}")
    return (_signed(_index("client_id", refusal.client_id)), bar, _text("reason", refusal.reason))


def _sync_mode(synchronous: str) -> str:
    """The ``synchronous`` name, upper-cased; OFF and unknown names refused."""
    mode = synchronous.upper() if isinstance(synchronous, str) else synchronous
    if mode not in _SYNC_MODES:
        raise ParameterError(
            "synchronous", f"must be one of {', '.join(_SYNC_MODES)}, got {synchronous!r}"
        )
    return mode


def _lock(path: Path) -> int | None:
    """An exclusive advisory lock on ``<path>-lock`` (its descriptor), held while the writer is
    open; the kernel releases it when the process dies."""
    if _fcntl is None:  # pragma: no cover
        return None
    fd = os.open(path.with_name(path.name + "-lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise JournalBusyError(
            f"journal {path} is already open for writing (by another process or another "
            "Journal); a journal has exactly one writer"
        ) from None
    return fd


# --------------------------------------------------------------------------- Journal


class Journal:
    """A live runtime's journal: one SQLite file, one writer, any number of readers.

    Parameters
    ----------
    path : str or Path
        The database file. The writer creates it, its parent folders and the tables.
    synchronous : {"NORMAL", "FULL", "EXTRA"}, optional
        SQLite's ``synchronous`` mode (any case). ``"NORMAL"`` (default) survives the process
        being killed; ``"FULL"`` also survives a power loss, at a disk flush per commit (see the
        module docstring). ``"OFF"`` is refused.
    read_only : bool, optional
        Open an existing journal for reading only (``mode=ro``): a status command, a dashboard.
        Every write then raises :class:`JournalError` before SQLite is asked (SQLite would refuse
        it too).

    Raises
    ------
    JournalError
        ``read_only`` and the file does not exist; the file is not a journal (or one of a newer
        schema version); another writer holds the journal; SQLite failed to open it.
    ParameterError
        ``synchronous`` is not one of the modes above.

    Notes
    -----
    Not thread-safe: one thread (or one event loop) owns a journal. Use it as a context manager
    or call :meth:`close`: closing releases the writer lock.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> journal = Journal(Path(tmp.name) / "bot" / "journal.sqlite", synchronous="full")
    >>> journal.synchronous, journal.last_bar(), journal.path.name
    ('FULL', -1, 'journal.sqlite')
    >>> journal.close(); tmp.cleanup()
    """

    def __init__(
        self, path: str | Path, *, synchronous: str = "NORMAL", read_only: bool = False
    ) -> None:
        self._path = Path(path)
        self._read_only = bool(read_only)
        self._conn: sqlite3.Connection | None = None
        self._lock_fd: int | None = None
        #: The writer's last bar, its open time and the peak equity so far (None: no bar yet),
        #: known after its own commits (it is the only writer); _UNKNOWN: read it in the next
        #: commit's transaction.
        self._tail: Any = _UNKNOWN
        mode = _sync_mode(synchronous)
        try:
            self._conn = self._open_reader() if self._read_only else self._open_writer()
            self._conn.execute(f"PRAGMA synchronous={mode}")
            self._prepare()
        except BaseException as exc:
            self.close()
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc) from exc
            raise

    def _open_writer(self) -> sqlite3.Connection:
        """The single writer connection, behind the writer lock."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd = _lock(self._path)
        conn = sqlite3.connect(self._path, isolation_level=None, timeout=_BUSY_TIMEOUT_S)
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _open_reader(self) -> sqlite3.Connection:
        """A read-only connection (``mode=ro``) to an existing journal."""
        if not self._path.is_file():
            raise JournalError(f"journal {self._path} does not exist (read_only never creates)")
        uri = self._path.resolve().as_uri() + "?mode=ro"
        return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=_BUSY_TIMEOUT_S)

    def _prepare(self) -> None:
        """Check the schema version of an existing journal, never touching a foreign file;
        the writer then switches to WAL mode and creates the tables of an empty file."""
        with self._tx(write=False) as conn:
            empty = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
            if not empty or self._read_only:
                self._check_version(conn)
        if self._read_only:
            return
        mode = self._connection().execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise JournalError(f"journal {self._path}: SQLite refused WAL mode (got {mode!r})")
        with self._tx() as conn:
            if empty:
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
            conn.execute(_SIGNATURES)
            conn.execute(_REFUSALS)
            conn.execute(_VENUE_ORDERS)

    def _check_version(self, conn: sqlite3.Connection) -> None:
        """Refuse a file that is not a journal, or one of another schema version."""
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:
            row = None
        if row is None:
            raise JournalError(f"{self._path} is not a soltrader journal (no schema_version)")
        if row[0] != str(SCHEMA_VERSION):
            raise JournalError(
                f"journal {self._path} has schema version {row[0]}; this soltrader reads "
                f"version {SCHEMA_VERSION}"
            )

    # ----------------------------------------------------------------------- plumbing

    def close(self) -> None:
        """Close the connection and release the writer lock; closing twice is harmless.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> journal = Journal(Path(tmp.name) / "journal.sqlite")
        >>> journal.close(); journal.close()
        >>> journal.last_bar()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        soltrader.runtime.journal.JournalError: journal ... is closed
        >>> tmp.cleanup()
        """
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Journal:
        """The journal itself; :meth:`close` runs on leaving the block."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        role = "read-only" if self._read_only else "writer"
        state = "closed" if self._conn is None else "open"
        return f"Journal({str(self._path)!r}, {role}, {state})"

    @property
    def path(self) -> Path:
        """The database file.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.path.name
        'journal.sqlite'
        >>> tmp.cleanup()
        """
        return self._path

    @property
    def read_only(self) -> bool:
        """Whether this journal was opened with ``read_only=True``.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.read_only
        False
        >>> tmp.cleanup()
        """
        return self._read_only

    @property
    def synchronous(self) -> str:
        """The ``synchronous`` mode in force, read back from SQLite (``"NORMAL"``, ``"FULL"``...).

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.synchronous
        'NORMAL'
        >>> tmp.cleanup()
        """
        with self._tx(write=False) as conn:
            code = conn.execute("PRAGMA synchronous").fetchone()[0]
        return _SYNC_NAMES.get(code, str(code))

    @property
    def autocheckpoint(self) -> int:
        """Log pages (of 4 KiB) past which a commit checkpoints (SQLite's
        ``wal_autocheckpoint``; 0: never). Its owner may set it (an int >= 0), e.g. a runner
        that calls :meth:`checkpoint` between bars raises it to a backstop.

        Raises
        ------
        ParameterError
            When set to anything but an int >= 0.
        JournalError
            When set on a read-only journal.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     before = journal.autocheckpoint
        ...     journal.autocheckpoint = 20_000
        ...     before, journal.autocheckpoint
        (1000, 20000)
        >>> tmp.cleanup()
        """
        return int(self._connection().execute("PRAGMA wal_autocheckpoint").fetchone()[0])

    @autocheckpoint.setter
    def autocheckpoint(self, pages: int) -> None:
        pages = _index("autocheckpoint", pages, 0)
        if self._read_only:
            raise JournalError(
                f"journal {self._path} is open read-only; only its writer checkpoints"
            )
        self._connection().execute(f"PRAGMA wal_autocheckpoint={pages}")

    def checkpoint(self) -> bool:
        """Copy the write-ahead log into the database file now, and restart the log.

        SQLite's ``PASSIVE`` checkpoint (it never waits for a reader: pages a reader still
        needs stay in the log for the next one). When the whole log was copied, the file
        header is rewritten unchanged in a transaction of its own, so that the log restarts
        now (its header flushed once) rather than on the next :meth:`commit_bar`. Nothing
        journaled changes; a crash during a checkpoint loses nothing.

        Returns
        -------
        bool
            True when the whole log was copied and restarted (the restart leaves the header
            page in the new log); False when the log was empty or a reader kept part of it.

        Raises
        ------
        JournalError
            On a read-only journal, or when SQLite fails (a full disk).

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.bind("spec:3f9a1c")
        ...     journal.checkpoint()
        True
        >>> tmp.cleanup()
        """
        if self._read_only:
            raise JournalError(
                f"journal {self._path} is open read-only; only its writer checkpoints"
            )
        conn = self._connection()
        try:
            busy, logged, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        if busy or logged <= 0 or copied != logged:
            return False
        with self._tx() as conn:  # a write to the header page: the log restarts here
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            conn.execute(f"PRAGMA user_version={version}")
        return True

    def _connection(self) -> sqlite3.Connection:
        """The open connection; :class:`JournalError` once closed."""
        if self._conn is None:
            raise JournalError(f"journal {self._path} is closed")
        return self._conn

    def _error(self, exc: sqlite3.Error) -> JournalError:
        """A SQLite error as a :class:`JournalError` naming the path."""
        return JournalError(f"journal {self._path}: {type(exc).__name__}: {exc}")

    @contextlib.contextmanager
    def _tx(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction: ``BEGIN IMMEDIATE`` (a write; refused when read-only) or ``BEGIN``
        (a consistent read snapshot), ``COMMIT``, or ``ROLLBACK`` on any error. SQLite errors
        are raised as :class:`JournalError`."""
        if write and self._read_only:
            raise JournalError(
                f"journal {self._path} is open read-only; only its writer may change it"
            )
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc) from exc
            raise

    # ----------------------------------------------------------------------- identity, meta

    def bind(self, identity: str) -> None:
        """Tie the journal to one strategy instance, e.g. the hash of its promoted spec.

        The first call on an empty journal stores ``identity``; later calls with the same text
        do nothing.

        Parameters
        ----------
        identity : str
            Names the strategy instance (non-empty).

        Raises
        ------
        JournalError
            The journal belongs to another spec (a journal is never resumed by a different
            spec), or it already holds bars journaled without an identity.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:  # doctest: +ELLIPSIS
        ...     journal.bind("spec:3f9a1c"); journal.bind("spec:3f9a1c")
        ...     journal.bind("spec:77e0d2")
        Traceback (most recent call last):
        ...
        soltrader.runtime.journal.JournalError: journal ... belongs to another spec ...
        >>> tmp.cleanup()
        """
        identity = _text("identity", identity)
        with self._tx() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone()
            if row is not None and row[0] != identity:
                raise JournalError(
                    f"journal {self._path} belongs to another spec (bound to {row[0]!r}, "
                    f"not {identity!r}); a journal is never resumed by a different spec"
                )
            if row is None:
                self._check_unbound_empty(conn)
                conn.execute("INSERT INTO meta VALUES ('identity', ?)", (identity,))

    def _check_unbound_empty(self, conn: sqlite3.Connection) -> None:
        """Refuse to bind a journal that already holds bars: their spec is unknown."""
        bars = conn.execute("SELECT count(*) FROM bars").fetchone()[0]
        if bars:
            raise JournalError(
                f"journal {self._path} holds {bars} bars journaled without an identity; "
                "bind a journal before its first bar"
            )

    def set_meta(self, key: str, value: str) -> None:
        """Store (or replace) one metadata entry.

        Parameters
        ----------
        key : str
            Non-empty; ``"schema_version"`` and ``"identity"`` (see :meth:`bind`) are reserved.
        value : str
            Any text.

        Raises
        ------
        ParameterError
            ``key`` is reserved or not a non-empty str, or ``value`` is not a str.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.set_meta("venue", "paper")
        ...     journal.meta()["venue"]
        'paper'
        >>> tmp.cleanup()
        """
        key = _text("key", key)
        if key in _RESERVED_META:
            raise ParameterError("key", f"{key!r} is reserved (use bind() for the identity)")
        value = _text("value", value, empty=True)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
                (key, value, value),
            )

    def meta(self) -> dict[str, str]:
        """Every metadata entry, ``schema_version`` and ``identity`` included.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.meta()
        {'schema_version': '1'}
        >>> tmp.cleanup()
        """
        with self._tx(write=False) as conn:
            return dict(conn.execute("SELECT key, value FROM meta ORDER BY key").fetchall())

    # ----------------------------------------------------------------------- bars

    def commit_bar(self, rec: BarCommit) -> bool:
        """Journal one closed bar whole, in one transaction: its candle, intents, fills and the
        account at its close.

        The intents are stored as :meth:`record_intents` stores them (an intent already recorded
        before it was sent is matched, not doubled). The fills get the venue ``"paper"`` and a
        trade id that is this journal's running fill number, unique per (venue, order id, trade
        id). The equity snapshot carries the running peak of equity.

        Parameters
        ----------
        rec : BarCommit
            The bar; ``rec.bar`` must be ``last_bar() + 1`` and its open time later than the
            last bar's.

        Returns
        -------
        bool
            True when written; False when this bar was already journaled with identical
            content (a re-commit after a crash between a commit and its acknowledgement).

        Raises
        ------
        JournalError
            The bar would leave a hole or does not open after the last bar; the bar is already
            journaled with other content; an intent's client id is journaled with other
            content. Nothing is written then.
        ParameterError
            A field of ``rec`` has the wrong type (intents and fills must be 1-d arrays of
            ``intent_dt`` / ``fill_dt`` records).

        Examples
        --------
        >>> import tempfile
        >>> from soltrader.domain.records import fill_dt
        >>> from soltrader.domain.state import intent_dt
        >>> tmp = tempfile.TemporaryDirectory()
        >>> journal = Journal(Path(tmp.name) / "journal.sqlite")
        >>> fills = np.zeros(1, fill_dt)
        >>> fills[["order_id", "size", "price", "fees"]] = (1, 2.0, 100.0, 0.2)
        >>> rec = BarCommit(0, 1_700_000_000_000, 100.0, 101.0, 99.0, 100.5, 7e3, 0,
        ...                 np.zeros(0, intent_dt), fills, 799.8, 1_000.8, 2.0)
        >>> journal.commit_bar(rec), journal.commit_bar(rec)
        (True, False)
        >>> hole = rec._replace(bar=2, open_time_ms=1_700_007_200_000)
        >>> journal.commit_bar(hole)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        soltrader.runtime.journal.JournalError: journal ...: bar 2 would leave a hole ...
        >>> journal.close(); tmp.cleanup()
        """
        plan = _plan(rec)
        tail = self._tail
        self._tail = _UNKNOWN  # until this commit is known to have happened or not
        with self._tx() as conn:
            last = conn.execute(_LAST_BAR).fetchone() if tail is _UNKNOWN else tail
            if last is not None and plan.bar <= last[0]:
                self._check_recommit(conn, plan)
                self._tail = last
                return False
            self._check_next(plan, last)
            peak = _peak(None if last is None else last[2], plan.money[1])
            self._write_bar(conn, plan, peak)
        self._tail = (plan.bar, plan.bar_row[1], peak)
        return True

    def _check_next(self, plan: _Plan, last: Sequence[Any] | None) -> None:
        """Refuse a bar that is not ``last_bar() + 1`` or does not open after the last bar
        (``last``: its bar and open time, None if there is none)."""
        expected = 0 if last is None else last[0] + 1
        if plan.bar != expected:
            after = "an empty journal" if last is None else f"bar {last[0]}"
            raise JournalError(
                f"journal {self._path}: bar {plan.bar} would leave a hole after {after} "
                f"(the next bar is {expected})"
            )
        if last is not None and plan.bar_row[1] <= last[1]:
            raise JournalError(
                f"journal {self._path}: bar {plan.bar} opens at {plan.bar_row[1]} ms, not "
                f"after bar {last[0]} ({last[1]} ms); open times must increase"
            )

    def _write_bar(self, conn: sqlite3.Connection, plan: _Plan, peak: float | None) -> None:
        """Insert the bar, its intents, fills and equity snapshot (inside the transaction);
        ``peak``: the peak equity up to and including this bar."""
        conn.execute(_INSERT_BAR, plan.bar_row)
        if plan.intent_rows:
            self._put_intents(conn, plan.intent_rows)
        if plan.fill_rows:
            first = conn.execute("SELECT COALESCE(MAX(seq), -1) + 1 FROM fills").fetchone()[0]
            ids = plan.trade_ids or tuple(str(first + i) for i in range(len(plan.fill_rows)))
            conn.executemany(
                _INSERT_FILL,
                [
                    (first + i, plan.venue, ids[i], plan.bar, *row)
                    for i, row in enumerate(plan.fill_rows)
                ],
            )
        if plan.refusal_rows:
            conn.executemany("INSERT INTO refusals VALUES (?, ?, ?)", plan.refusal_rows)
        conn.execute("INSERT INTO equity VALUES (?, ?, ?, ?, ?)", (plan.bar, *plan.money, peak))

    def _check_recommit(self, conn: sqlite3.Connection, plan: _Plan) -> None:
        """Refuse a re-commit of a journaled bar unless its content is identical."""
        stored = conn.execute(
            f"SELECT {_q(bar_dt.names)} FROM bars WHERE bar = ?", (plan.bar,)
        ).fetchone()
        what = _differing(bar_dt.names, stored or (None,) * len(bar_dt), plan.bar_row)
        if what is None:
            money = conn.execute(
                "SELECT cash, equity, position FROM equity WHERE bar = ?", (plan.bar,)
            ).fetchone()
            what = _differing(_MONEY, money or (None,) * 3, plan.money)
        if what is None:
            fills = conn.execute(
                f"SELECT {_q(_FILL_COLS)} FROM fills WHERE commit_bar = ? ORDER BY seq",
                (plan.bar,),
            ).fetchall()
            what = None if fills == plan.fill_rows else "fills"
        if what is None:
            refused = conn.execute(
                "SELECT client_id, commit_bar, reason FROM refusals WHERE commit_bar = ? "
                "ORDER BY rowid",
                (plan.bar,),
            ).fetchall()
            what = None if refused == plan.refusal_rows else "refusals"
        if what is None:
            what = self._intents_difference(conn, plan.intent_rows)
        if what is not None:
            raise JournalError(
                f"journal {self._path}: bar {plan.bar} is already journaled with other "
                f"content (differing: {what}); a journaled bar is never rewritten"
            )

    def _intents_difference(
        self, conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]
    ) -> str | None:
        """The first intent of ``rows`` not journaled as it is, described; None if all are."""
        for row in rows:
            stored = self._stored_intent(conn, row[1])
            if stored is None:
                return f"intent {_hex(row[1])}, not journaled with it"
            field = _differing(_INTENT_COLS, stored, row)
            if field is not None:
                return f"intent {_hex(row[1])}: {field}"
        return None

    def _stored_intent(self, conn: sqlite3.Connection, stored_id: int) -> tuple[Any, ...] | None:
        """The journaled row of a client id (stored as int64), or None."""
        return conn.execute(
            f"SELECT {_q(_INTENT_COLS)} FROM intents WHERE client_id = ?", (stored_id,)
        ).fetchone()

    def _put_intents(self, conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert intents in order; an identical journaled one is skipped, a different one with
        the same client id refused."""
        if conn.executemany(_INSERT_INTENT, rows).rowcount == len(rows):
            return  # all new; else some were journaled already: each must be identical
        for row in rows:
            field = _differing(_INTENT_COLS, self._stored_intent(conn, row[1]), row)
            if field is not None:
                raise JournalError(
                    f"journal {self._path}: client id {_hex(row[1])} (bar {row[0]}) is already "
                    f"journaled with other content (differing: {field}); a client id names one "
                    "order"
                )

    def record_intents(self, bar: int, intents: np.ndarray) -> None:
        """Journal intents *before* sending them to a venue, in one transaction.

        After a crash the journal then knows every order that may be live at the venue. The
        later :meth:`commit_bar` of ``bar`` carrying the same intents matches them instead of
        doubling them.

        Parameters
        ----------
        bar : int
            The journal bar they belong to (the bar being decided), >= 0.
        intents : ndarray of intent_dt
            In decision order.

        Raises
        ------
        JournalError
            A client id is already journaled with other content (an identical intent is a
            no-op). Nothing is written then.
        ParameterError
            ``bar`` is not an integer >= 0, or ``intents`` not a 1-d ``intent_dt`` array.

        Examples
        --------
        >>> import tempfile
        >>> from soltrader.domain.state import intent_dt
        >>> tmp = tempfile.TemporaryDirectory()
        >>> journal = Journal(Path(tmp.name) / "journal.sqlite")
        >>> intents = np.zeros(2, intent_dt)
        >>> intents["client_id"] = [11, 12]
        >>> journal.record_intents(0, intents); journal.record_intents(0, intents)
        >>> journal.intents()["client_id"].tolist()
        [11, 12]
        >>> journal.close(); tmp.cleanup()
        """
        bar = _index("bar", bar, 0)
        rows = [(bar, *r) for r in _rows(_array("intents", intents, intent_dt, "intent_dt"))]
        with self._tx() as conn:
            self._put_intents(conn, rows)

    def last_bar(self) -> int:
        """The last journaled bar index; -1 when the journal holds none.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.last_bar()
        -1
        >>> tmp.cleanup()
        """
        with self._tx(write=False) as conn:
            return conn.execute("SELECT COALESCE(MAX(bar), -1) FROM bars").fetchone()[0]

    def bars(self) -> np.ndarray:
        """Every journaled bar (:data:`bar_dt` records), in bar order.

        Examples
        --------
        >>> import tempfile
        >>> from soltrader.domain.records import fill_dt
        >>> from soltrader.domain.state import intent_dt
        >>> tmp = tempfile.TemporaryDirectory()
        >>> journal = Journal(Path(tmp.name) / "journal.sqlite")
        >>> _ = journal.commit_bar(BarCommit(0, 1_700_000_000_000, 1.0, 2.0, 0.5, 1.5, np.nan,
        ...     1, np.zeros(0, intent_dt), np.zeros(0, fill_dt), 10.0, 10.0, 0.0))
        >>> row = journal.bars()[0]
        >>> int(row["bar"]), float(row["close"]), bool(np.isnan(row["volume"])), int(row["control"])
        (0, 1.5, True, 1)
        >>> journal.close(); tmp.cleanup()
        """
        sql = f"SELECT {_q(bar_dt.names)} FROM bars ORDER BY bar"
        return self._select_records(sql, bar_dt)

    def intents(self) -> np.ndarray:
        """Every journaled intent (``intent_dt`` records, padding bytes zero), in decision
        (insertion) order.

        Examples
        --------
        >>> import tempfile
        >>> from soltrader.domain.state import intent_dt
        >>> tmp = tempfile.TemporaryDirectory()
        >>> journal = Journal(Path(tmp.name) / "journal.sqlite")
        >>> sent = np.zeros(1, intent_dt)
        >>> sent["client_id"], sent["limit_price"], sent["stop_price"] = 2**64 - 1, np.nan, 9.5
        >>> journal.record_intents(0, sent)
        >>> journal.intents().tobytes() == sent.tobytes()
        True
        >>> journal.close(); tmp.cleanup()
        """
        sql = f"SELECT {_q(intent_dt.names)} FROM intents ORDER BY seq"
        return self._select_records(sql, intent_dt)

    def fills(self) -> np.ndarray:
        """Every journaled fill (``fill_dt`` records), in the order they were committed.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.fills().dtype == fill_dt, len(journal.fills())
        (True, 0)
        >>> tmp.cleanup()
        """
        return self._select_records(f"SELECT {_q(_FILL_COLS)} FROM fills ORDER BY seq", fill_dt)

    def committed_fills(self) -> CommittedFills:
        """Every journaled fill with its commit bar, venue and trade id, in commit order."""
        with self._tx(write=False) as conn:
            rows = conn.execute(
                f"SELECT commit_bar, venue, trade_id, {_q(_FILL_COLS)} FROM fills ORDER BY seq"
            ).fetchall()
        return CommittedFills(
            _records([r[3:] for r in rows], fill_dt),
            np.array([r[0] for r in rows], dtype=np.int64),
            tuple(r[1] for r in rows),
            tuple(r[2] for r in rows),
        )

    def refusals(self) -> list[Refusal]:
        """Every journaled refusal (with its commit bar), in commit order."""
        with self._tx(write=False) as conn:
            rows = conn.execute(
                "SELECT client_id, reason, commit_bar FROM refusals ORDER BY rowid"
            ).fetchall()
        return [Refusal(int(np.int64(c).view(np.uint64)), r, b) for c, r, b in rows]

    def equity(self) -> np.ndarray:
        """The account at every bar's close (:data:`equity_dt` records: bar, cash, equity,
        position, peak), in bar order.

        Examples
        --------
        >>> import tempfile
        >>> from soltrader.domain.records import fill_dt
        >>> from soltrader.domain.state import intent_dt
        >>> tmp = tempfile.TemporaryDirectory()
        >>> journal = Journal(Path(tmp.name) / "journal.sqlite")
        >>> none_i, none_f = np.zeros(0, intent_dt), np.zeros(0, fill_dt)
        >>> for bar, eq in enumerate([100.0, 120.0, 90.0]):
        ...     _ = journal.commit_bar(BarCommit(bar, 60_000 * bar, 1.0, 1.0, 1.0, 1.0, 0.0, 0,
        ...                                      none_i, none_f, eq, eq, 0.0))
        >>> journal.equity()["peak"].tolist()
        [100.0, 120.0, 120.0]
        >>> journal.close(); tmp.cleanup()
        """
        return self._select_records(
            f"SELECT {_q(equity_dt.names)} FROM equity ORDER BY bar", equity_dt
        )

    def _select_records(self, sql: str, dtype: np.dtype) -> np.ndarray:
        """The rows of one query as ``dtype`` records."""
        with self._tx(write=False) as conn:
            rows = conn.execute(sql).fetchall()
        return _records(rows, dtype)

    # ----------------------------------------------------------------------- quarantine, halt

    # ------------------------------------------------------------------ Solana signatures

    def record_signature(self, rec: SignatureRecord) -> None:
        """Journal a signed transaction *before* it is sent (state ``pending``): after a crash
        the journal knows every signature that may land, and a restart resolves each before
        anything is rebuilt.

        Raises
        ------
        JournalError
            The signature, or this intent's attempt number, is journaled already.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> rec = SignatureRecord(7, 0, "5sig", b"\\x01", 150, "pending")
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.record_signature(rec)
        ...     journal.settle_signature("5sig", "landed", slot=9, fee=5000, in_amount=10,
        ...                              out_amount=3)
        ...     journal.signatures(7)[0].state
        'landed'
        >>> tmp.cleanup()
        """
        row = (
            _signed(rec.intent_id), int(rec.attempt), str(rec.signature), bytes(rec.tx),
            int(rec.last_valid_height), "pending",
        )  # fmt: skip
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO signatures (intent_id, attempt, signature, tx, last_valid_height, "
                "state) VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )

    def settle_signature(
        self,
        signature: str,
        state: str,
        *,
        slot: int | None = None,
        err: str | None = None,
        fee: int | None = None,
        in_amount: int | None = None,
        out_amount: int | None = None,
    ) -> None:
        """Mark a journaled signature ``landed`` (with where, its error and the amounts booked
        from its balances) or ``expired`` (its blockhash passed without it landing).

        Raises
        ------
        JournalError
            The signature is not journaled, or was settled already with another state.
        """
        if state not in ("landed", "expired"):
            raise ParameterError("state", f"must be 'landed' or 'expired', got {state!r}")
        with self._tx() as conn:
            row = conn.execute(
                "SELECT state FROM signatures WHERE signature = ?", (signature,)
            ).fetchone()
            if row is None:
                raise JournalError(f"journal {self._path}: signature {signature} is not journaled")
            if row[0] != "pending" and row[0] != state:
                raise JournalError(
                    f"journal {self._path}: signature {signature} is {row[0]} already, not {state}"
                )
            conn.execute(
                "UPDATE signatures SET state = ?, slot = ?, err = ?, fee = ?, in_amount = ?, "
                "out_amount = ? WHERE signature = ?",
                (state, slot, err, fee, in_amount, out_amount, signature),
            )

    def signatures(self, intent_id: int | None = None) -> list[SignatureRecord]:
        """Journaled signatures (of one intent, or all), in the order they were recorded."""
        rows = self._of_intent("signatures", _SIGNATURE_COLS, intent_id)
        return [SignatureRecord(int(r[0]) % _U64, *r[1:]) for r in rows]

    def _of_intent(
        self, table: str, cols: tuple[str, ...], intent_id: int | None
    ) -> list[tuple[Any, ...]]:
        """The rows of ``table`` (``cols``, the intent id first) of one intent, or all, in the
        order they were recorded."""
        sql = f"SELECT {', '.join(cols)} FROM {table}"
        args: tuple[Any, ...] = ()
        if intent_id is not None:
            sql += " WHERE intent_id = ?"
            args = (_signed(intent_id),)
        with self._tx(write=False) as conn:
            return list(conn.execute(sql + " ORDER BY rowid", args).fetchall())

    # ---------------------------------------------------------------------- exchange orders

    def record_venue_order(self, order: VenueOrder) -> None:
        """Journal an exchange order *before* it is sent (state ``sending``): after a crash the
        journal knows every order that may be at the venue, and a restart asks the venue about
        its client id before anything is sent again.

        Raises
        ------
        JournalError
            The client order id, or an order of this intent, is journaled already.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.record_venue_order(VenueOrder(7, "st0000000000000007", "binance",
        ...                                           "sending", 1_700_000_000_000))
        ...     journal.update_venue_order("st0000000000000007", "accepted", order_id="12")
        ...     journal.venue_orders(7)[0].state, journal.venue_orders(7)[0].order_id
        ('accepted', '12')
        >>> tmp.cleanup()
        """
        row = (
            _signed(order.intent_id), str(order.client_order_id), str(order.venue), "sending",
            int(order.sent_ms), str(order.order_id), str(order.detail),
        )  # fmt: skip
        try:
            with self._tx() as conn:
                conn.execute(
                    f"INSERT INTO venue_orders ({', '.join(_VENUE_ORDER_COLS)}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
        except sqlite3.IntegrityError:
            raise JournalError(
                f"journal {self._path}: order {order.client_order_id} (intent "
                f"{order.intent_id:016x}) is journaled already"
            ) from None

    def update_venue_order(
        self,
        client_order_id: str,
        state: str,
        *,
        order_id: str = "",
        sent_ms: int | None = None,
        detail: str = "",
    ) -> None:
        """Move a journaled order to ``state`` (``sending`` again with the time of a re-send,
        ``accepted`` with the venue's order id, ``closed`` or ``refused``); a final state never
        changes.

        Raises
        ------
        JournalError
            The order is not journaled, or the move is not allowed (e.g. out of ``closed``).
        """
        with self._tx() as conn:
            row = conn.execute(
                "SELECT state, order_id, sent_ms, detail FROM venue_orders "
                "WHERE client_order_id = ?",
                (client_order_id,),
            ).fetchone()
            if row is None:
                raise JournalError(
                    f"journal {self._path}: order {client_order_id} is not journaled"
                )
            if state not in _VENUE_ORDER_MOVES.get(row[0], set()):
                raise JournalError(
                    f"journal {self._path}: order {client_order_id} is {row[0]}, cannot become "
                    f"{state}"
                )
            conn.execute(
                "UPDATE venue_orders SET state = ?, order_id = ?, sent_ms = ?, detail = ? "
                "WHERE client_order_id = ?",
                (
                    state, order_id or row[1], row[2] if sent_ms is None else int(sent_ms),
                    detail or row[3], client_order_id,
                ),
            )  # fmt: skip

    def venue_orders(self, intent_id: int | None = None) -> list[VenueOrder]:
        """Journaled exchange orders (of one intent, or all), in the order they were recorded."""
        rows = self._of_intent("venue_orders", _VENUE_ORDER_COLS, intent_id)
        return [VenueOrder(int(r[0]) % _U64, *r[1:]) for r in rows]

    def quarantine(self, candle: QuarantinedCandle) -> bool:
        """Keep a candle that validation refused, with its reason code.

        Parameters
        ----------
        candle : QuarantinedCandle
            The candle and why it was refused.

        Returns
        -------
        bool
            True when stored; False when this open time was already quarantined with this code.

        Raises
        ------
        ParameterError
            A field has the wrong type.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> c = QuarantinedCandle(1_700_000_000_000, "high_below_low", "high", "high < low",
        ...                       100.0, 98.0, 99.0, 99.5, 10.0)
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.quarantine(c), journal.quarantine(c), len(journal.quarantined())
        (True, False, 1)
        >>> tmp.cleanup()
        """
        row = _quarantine_row(candle)
        with self._tx() as conn:
            cur = conn.execute(
                f"INSERT INTO quarantine ({_q(_QUARANTINE_COLS)}) VALUES "
                f"({', '.join('?' * len(row))}) ON CONFLICT DO NOTHING",
                row,
            )
            return cur.rowcount == 1

    def quarantined(self) -> list[QuarantinedCandle]:
        """Every quarantined candle, by open time then code (NaN values come back as NaN).

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.quarantined()
        []
        >>> tmp.cleanup()
        """
        with self._tx(write=False) as conn:
            rows = conn.execute(
                f"SELECT {_q(_QUARANTINE_COLS)} FROM quarantine ORDER BY open_time_ms, code"
            ).fetchall()
        return [QuarantinedCandle(*r[:4], *(_nan(v) for v in r[4:])) for r in rows]

    def halt(self, reason: str, at_ms: int) -> None:
        """Halt the runtime until :meth:`resume`; the halt survives restarts.

        Halting a halted journal records the new halt too, but :meth:`halted` keeps reporting
        the first one (why trading stopped).

        Parameters
        ----------
        reason : str
            Why (non-empty).
        at_ms : int
            When, epoch milliseconds.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.halt("max drawdown", 1_700_000_000_000)
        ...     journal.halted()
        HaltState(reason='max drawdown', at_ms=1700000000000)
        >>> tmp.cleanup()
        """
        reason = _text("reason", reason)
        at_ms = _index("at_ms", at_ms)
        with self._tx() as conn:
            conn.execute("INSERT INTO halts (reason, at_ms) VALUES (?, ?)", (reason, at_ms))

    def resume(self) -> None:
        """Lift every halt in force (harmless when there is none).

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.halt("operator", 1_700_000_000_000); journal.resume()
        ...     journal.halted() is None
        True
        >>> tmp.cleanup()
        """
        with self._tx() as conn:
            conn.execute("UPDATE halts SET resumed = 1 WHERE resumed = 0")

    def halted(self) -> HaltState | None:
        """The first halt in force, or None.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.halted() is None
        True
        >>> tmp.cleanup()
        """
        with self._tx(write=False) as conn:
            return self._halt_in_force(conn)

    @staticmethod
    def _halt_in_force(conn: sqlite3.Connection) -> HaltState | None:
        """The oldest halt not resumed."""
        row = conn.execute(
            "SELECT reason, at_ms FROM halts WHERE resumed = 0 ORDER BY seq LIMIT 1"
        ).fetchone()
        return None if row is None else HaltState(*row)

    # ----------------------------------------------------------------------- status

    def status(self) -> JournalStatus:
        """A summary of the journal, read in one consistent snapshot (a reader sees the
        writer's last commit whole).

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.bind("spec:3f9a1c")
        ...     status = journal.status()
        >>> status.last_bar, status.intents, status.meta["identity"]
        (-1, 0, 'spec:3f9a1c')
        >>> tmp.cleanup()
        """
        with self._tx(write=False) as conn:
            bars, last = conn.execute("SELECT count(*), MAX(bar) FROM bars").fetchone()
            opened = conn.execute("SELECT open_time_ms FROM bars WHERE bar = ?", (last,)).fetchone()
            money = conn.execute(
                "SELECT cash, equity, position, peak FROM equity ORDER BY bar DESC LIMIT 1"
            ).fetchone()
            counts = [
                conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("intents", "fills", "quarantine")
            ]
            halted = self._halt_in_force(conn)
            meta = dict(conn.execute("SELECT key, value FROM meta ORDER BY key").fetchall())
        money = (None,) * 4 if money is None else tuple(_nan(v) for v in money)
        return JournalStatus(
            bars,
            -1 if last is None else last,
            None if opened is None else opened[0],
            *money,
            *counts,
            halted,
            meta,
        )

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` verdict: ``"ok"`` for a sound file, else the
        problems found, one per line.

        Examples
        --------
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> with Journal(Path(tmp.name) / "journal.sqlite") as journal:
        ...     journal.integrity_check()
        'ok'
        >>> tmp.cleanup()
        """
        with self._tx(write=False) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        return "\n".join(str(r[0]) for r in rows)


def _quarantine_row(candle: QuarantinedCandle) -> tuple[Any, ...]:
    """``candle`` checked and converted to a SQLite row."""
    if not isinstance(candle, QuarantinedCandle):
        raise ParameterError("candle", f"must be a QuarantinedCandle, got {type(candle).__name__}")
    field = candle.field
    if field is not None:
        field = _text("candle.field", field)
    return (
        _index("candle.open_time_ms", candle.open_time_ms),
        _text("candle.code", candle.code),
        field,
        _text("candle.message", candle.message, empty=True),
        *(_real(f"candle.{n}", getattr(candle, n)) for n in _CANDLE),
    )


__all__ = [
    "PAPER_VENUE",
    "SCHEMA_VERSION",
    "BarCommit",
    "CommittedFills",
    "HaltState",
    "Journal",
    "JournalBusyError",
    "JournalError",
    "JournalStatus",
    "QuarantinedCandle",
    "Refusal",
    "SignatureRecord",
    "bar_dt",
    "equity_dt",
]
