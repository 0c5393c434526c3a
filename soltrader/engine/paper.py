"""The live loop without the network: :func:`paper_replay`.

For every closed bar ``t`` (in time order, one at a time, in plain Python) the replay does what
the live runtime does when a bar closes:

1. **market data**: bar t's open, high, low, close and volume are appended to the kernel's bar
   buffers (rows after t hold NaN: a rule that peeked at a later bar would poison the run);
2. **fill**: the paper venue runs the fill model on bar t for the orders sent so far (pending
   market orders at the open, resting entries, protective stops and targets inside the bar), and
   its fills update the positions and the accounts (:func:`soltrader.sim._nb.step_fill_nb`);
3. **signal**: the strategy's signal function runs on the last ``window`` bars of each asset and
   its newest row is taken, converted and checked as the backtest checks its inputs (this runs
   before step 2: the fills of bar t read only the rows of the earlier bars that decided them).
   A strategy with a live form (:attr:`~soltrader.strategies.spec.Strategy.live`) computes
   that newest row itself, equal to it, without recomputing the whole window;
4. **decide**: the decision core turns that row and the state into orders (exits, reversals,
   entries, time stops, guard refusals; :func:`soltrader.sim._nb.step_decide_nb`), which the paper
   venue fills from bar t + 1 on;
5. **mark**: accounts and positions are marked at the close and the account guards advance
   (:func:`soltrader.sim._nb.step_end_nb`);
6. **intents**: what the decision core told the venue on this bar is journalled as
   :data:`~soltrader.domain.state.intent_dt` records (:func:`soltrader.sim._nb.step_intents_nb`):
   the orders decided at the close, the entries withdrawn, and each position's protective orders,
   re-issued when they move.

Steps 2, 4, 5 and 6 run as one compiled call per bar (:func:`soltrader.sim._nb.step_bar_nb`).
Steps 2, 4 and 5 are the very functions the backtest kernel runs on each bar (``simulate_nb``
calls ``_fill_phase`` and ``_decide_phase`` through ``_busy_bar``, then ``_mark_bar``
and the guards), so a replay
equals the backtest exactly when the strategy's signal on the window equals its signal on the full
history (:func:`soltrader.validation.window_check` says whether it does). A property test holds
them equal record by record.

Fills at the close of the bar that produced the signal (``fill="close"``) are refused: a live
loop only knows a close once the bar has ended, so the earliest it can trade on it is the next
bar's open.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numba
import numpy as np
import pandas as pd

from soltrader.data.schema import OHLCVArrays
from soltrader.data.timeframes import NS_PER_DAY
from soltrader.data.validation import first_bar_error
from soltrader.domain.errors import DataError, ParameterError
from soltrader.domain.records import fill_dt
from soltrader.domain.signals import Bars, Signals
from soltrader.domain.state import ControlMode, client_id, intent_dt, venue_outcome_dt
from soltrader.engine.backtest import (
    KernelInputs,
    _check_entry_prices,
    _check_size,
    _check_stop_loss,
    _check_target,
    _check_whole,
    _kernel_inputs,
    _order_type_codes,
    backtest_signals,
    checked_strategy,
    record_capacity,
    strategy_call,
)
from soltrader.engine.inputs import Market, _converted, check_range, market_from
from soltrader.engine.result import Result
from soltrader.sim import _nb
from soltrader.sim.state_view import state_records
from soltrader.strategies.spec import Strategy


class BarRefusedError(DataError):
    """A live bar the data rules refuse, raised by :meth:`PaperLoop.step` before the loop
    changes anything (a runtime quarantines the bar and goes on)."""


class _Field(NamedTuple):
    """How one signal field reaches the kernel: its :class:`~soltrader.sim._nb.SimArgs` name,
    dtype, and the value of a bar with no decision."""

    arg: str
    dtype: type
    neutral: Any


#: Every field a signal function may set (:class:`Signals`), by simulator keyword.
_FIELDS: dict[str, _Field] = {
    "entries": _Field("long_entry", np.bool_, False),
    "exits": _Field("long_exit", np.bool_, False),
    "short_entries": _Field("short_entry", np.bool_, False),
    "short_exits": _Field("short_exit", np.bool_, False),
    "sl_stop": _Field("sl_stop", np.float64, np.nan),
    "tp_stop": _Field("tp_stop", np.float64, np.nan),
    "size": _Field("size", np.float64, 0.0),
    "limit_price": _Field("limit_price", np.float64, np.nan),
    "stop_price": _Field("stop_price", np.float64, np.nan),
    "order_type": _Field("order_type", np.int64, 0),
    "partial_tp_stop": _Field("ptp_stop", np.float64, np.nan),
    "partial_tp_size": _Field("ptp_size", np.float64, 0.5),
    "max_bars": _Field("max_bars", np.int64, 0),
    "leverage": _Field("leverage", np.float64, 1.0),
    "exit_size": _Field("exit_size", np.float64, 1.0),
}
_BAR_ARGS = ("open_", "high", "low", "close", "volume")
_DEFAULTS = inspect.signature(backtest_signals).parameters
_SIGNALS_ONLY = frozenset({"entries", "exits", "short_entries", "short_exits"})


class ReplayTiming(NamedTuple):
    """Where a replay spent its time (seconds of wall clock): the strategy's signal function;
    the decision core (the paper venue's fills, ``decide``, the mark, the guards and the
    intents, one compiled call per bar); the loop's bookkeeping (bars into the buffers, the
    signal row's conversion and checks, intent ids, the bar's outcome)."""

    bars: int
    signal_s: float
    core_s: float
    other_s: float

    def per_bar_ms(self) -> float:
        """Milliseconds per bar, all three parts together."""
        return 1e3 * (self.signal_s + self.core_s + self.other_s) / max(self.bars, 1)


class _Run(NamedTuple):
    """A prepared loop: the kernel's inputs for ``capacity`` bars (bar and signal buffers
    writable, filled row by row), the strategy call and the options it resolved to."""

    inputs: KernelInputs
    args: _nb.SimArgs
    fields: tuple[str, ...]
    capacity: int


class _Options(NamedTuple):
    """The strategy call and the backtest keywords of a loop, resolved once."""

    strategy: Strategy
    params: dict[str, Any]
    rest: dict[str, Any]
    window: int
    init_cash: float
    size_type: str
    maintenance_margin: float


class BarOutcome(NamedTuple):
    """What one closed bar did in a :class:`PaperLoop`.

    ``bar`` is its index in the loop, ``time_ns`` its open time (epoch ns); ``intents`` the
    orders the decision core sent on it (``intent_dt`` records with their final client ids);
    ``fills`` the paper venue's executions during it (``fill_dt``); ``cash`` and ``equity`` each
    account's cash and value at its close (quote), ``position`` each asset's signed size (base
    units) at its close.
    """

    bar: int
    time_ns: int
    intents: np.ndarray
    fills: np.ndarray
    cash: np.ndarray
    equity: np.ndarray
    position: np.ndarray


#: SimArgs fields that are not one row per bar (copied whole when a live loop grows).
_CONSTANT_ARGS = frozenset(
    {"tier_vol", "tier_maker", "tier_taker", "account_of", "account_cash", "cfg", "icfg"}
)
#: Template-only: intrabar sub-bars are refused in a live loop (nothing to copy).
_SUB_ARGS = frozenset({"sub_low", "sub_high", "sub_start"})
#: A window longer than any history: the signal function sees every bar so far.
_ALL_BARS = 2**62


def _keyword(rest: dict[str, Any], name: str) -> Any:
    """A backtest keyword as given, else its default (the backtest's own)."""
    return rest.get(name, _DEFAULTS[name].default)


def _options(strategy: Strategy, window: Any, kwargs: dict[str, Any]) -> _Options:
    params, rest = strategy_call(checked_strategy(strategy), kwargs)
    window = strategy.live_window if window is None else window
    window = _ALL_BARS if window is None or window == "all" else window
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 2:
        raise ParameterError(
            "window", f"must be a whole number of bars >= 2 or 'all', got {window!r}"
        )
    return _Options(
        strategy=strategy,
        params=params,
        rest=rest,
        window=int(window),
        init_cash=float(_keyword(rest, "init_cash")),
        size_type=_keyword(rest, "size_type"),
        maintenance_margin=float(_keyword(rest, "maintenance_margin")),
    )


def _refuse_close_fills(inputs: KernelInputs) -> None:
    if inputs.conventions.fill == "close":
        raise ParameterError(
            "fill",
            'fill="close" fills an order at the close of the bar whose close decided it; a live '
            "loop sees that close only once the bar has ended, so the earliest it can trade on it "
            'is the next bar\'s open: use fill="next_open" (the default)',
        )


def _refuse_for_live(rest: dict[str, Any]) -> None:
    """Keywords that need the whole history up front, which a live loop does not have."""
    for name, why in (
        ("intrabar", "lower-timeframe bars of the future are not known live"),
        ("impact", "its volatility is estimated on the whole history"),
    ):
        if rest.get(name) is not None:
            raise ParameterError(name, f"not available in a live loop: {why}")
    for name, value in rest.items():
        if name != "accounts" and np.ndim(value) > 0 and not isinstance(value, str):
            raise ParameterError(
                name, "a live loop takes one value per keyword (per-bar arrays need the future)"
            )


#: What a venue that rests no orders cannot do: keywords that set a resting entry or a
#: protective level (a value of None, False or "market" sets nothing).
RESTING_KEYWORDS = ("order_type", "limit_price", "stop_price", "sl_stop", "tp_stop", "sl_trail",
                    "partial_tp_stop")  # fmt: skip
#: Per-bar levels (kernel arguments) that a venue-filled loop needs NaN on every row.
_LEVELS = ("sl_stop", "tp_stop", "ptp_stop")


def resting_keyword(kwargs: Mapping[str, Any]) -> str | None:
    """The first keyword of ``kwargs`` that sets a resting order or a protective level (which a
    venue that rests nothing, such as a swap router, cannot honour); None when none does.

    Examples
    --------
    >>> resting_keyword({"fast": 10, "order_type": "market"}), resting_keyword({"sl_stop": 0.02})
    (None, 'sl_stop')
    """
    for name in RESTING_KEYWORDS:
        value = kwargs.get(name)
        if not (value is None or value is False or (name == "order_type" and value == "market")):
            return name
    return None


def _refuse_resting(rest: dict[str, Any]) -> None:
    """Keywords a loop filled by a venue that rests no orders (a swap router) cannot honour."""
    name = resting_keyword(rest)
    if name is not None:
        raise ParameterError(
            name,
            f"{rest[name]!r}: the venue fills only market orders (it rests no order); use market "
            "entries and exits (signals, time stops) with this venue",
        )


def _check_market_only(args: _nb.SimArgs, t: int) -> None:
    """Signal row t of a venue-filled loop sets no resting entry and no protective level."""
    for name in _LEVELS:
        if not np.isnan(getattr(args, name)[t]).all():
            raise ParameterError(
                name,
                f"bar {t}: the strategy sets a protective level, but the venue fills only "
                "market orders (it rests no order)",
            )
    if (args.order_type[t] != _nb.MARKET).any():
        raise ParameterError(
            "order_type",
            f"bar {t}: the strategy asks for a resting entry, but the venue fills only market "
            "orders",
        )


def _kernel_run(opts: _Options, market: Market, fields: tuple[str, ...]) -> _Run:
    """The kernel's inputs over ``market`` with neutral buffers for the signal ``fields``."""
    clash = sorted(set(fields) & set(opts.rest))
    if clash:
        raise ParameterError(
            clash[0], f"is set per bar by {opts.strategy.name}; change its parameters instead"
        )
    placeholders = {
        k: np.full(market.shape, _FIELDS[k].neutral, dtype=_FIELDS[k].dtype) for k in fields
    }
    inputs = _kernel_inputs(market, **placeholders, **opts.rest)  # a Market is not re-checked
    _refuse_close_fills(inputs)
    n = market.shape[0]
    inputs.icfg[[_nb.I_CAP_ORDERS, _nb.I_CAP_FILLS, _nb.I_CAP_TRADES]] = record_capacity(
        market.shape
    )
    return _Run(inputs=inputs, args=_writable(inputs.args, fields), fields=fields, capacity=n)


def _writable(args: _nb.SimArgs, fields: tuple[str, ...]) -> _nb.SimArgs:
    """The kernel's inputs as C-contiguous writable arrays (one compiled signature for every
    replay; a shared read-only input, such as the zeros of a feature that is off, is copied),
    with NaN bar buffers and neutral signal buffers that the replay fills row by row."""
    n, m = args.close.shape
    out = {k: np.require(v, requirements=["C", "W"]) for k, v in args._asdict().items()}
    for k in _BAR_ARGS:
        out[k] = np.full((n, m), np.nan)
    for name in fields:
        spec = _FIELDS[name]
        out[spec.arg] = np.full((n, m), spec.neutral, dtype=spec.dtype)
    return _nb.SimArgs(**out)


def _template(assets: tuple[str, ...], t0_ns: int, bar_ns: int, n: int) -> Market:
    """A stand-in market of ``n`` bars (prices 1) from which a live loop builds its kernel
    inputs; the real bars replace its rows as they close."""
    ones = np.ones((n, len(assets)))
    ticks = t0_ns + bar_ns * np.arange(n, dtype=np.int64)
    index = pd.DatetimeIndex(pd.to_datetime(ticks, unit="ns", utc=True))
    return Market(index, assets, ones, ones, ones, ones, ones)


def _grown_run(old: _Run, new: _Run, t: int) -> _Run:
    """``new`` (a larger template) with the first ``t`` rows of every per-bar input of ``old``
    and old's configuration."""
    for name, value in old.args._asdict().items():
        target = getattr(new.args, name)
        if name in _CONSTANT_ARGS:
            target[...] = value
        elif name not in _SUB_ARGS:
            target[:t] = value[:t]
    return new


class _History(NamedTuple):
    """Each asset's closed bars so far, as contiguous columns with room to grow."""

    columns: tuple[tuple[np.ndarray, ...], ...]  # per asset: open, high, low, close, volume

    @classmethod
    def of_market(cls, market: Market) -> _History:
        cols = _market_columns(market)
        return cls(
            tuple(
                tuple(np.ascontiguousarray(c[:, j]) for c in cols) for j in range(market.shape[1])
            )
        )

    @classmethod
    def empty(cls, m: int, capacity: int) -> _History:
        return cls(tuple(tuple(np.empty(capacity) for _ in range(5)) for _ in range(m)))

    def grown(self, count: int, capacity: int) -> _History:
        out = []
        for cols in self.columns:
            new = tuple(np.empty(capacity) for _ in range(5))
            for a, b in zip(new, cols, strict=True):
                a[:count] = b[:count]
            out.append(new)
        return _History(tuple(out))

    def window(self, j: int, t: int, window: int) -> Bars:
        """The last ``window`` bars of asset j that have closed at bar t (views, no copy)."""
        lo = max(0, t + 1 - window)
        return Bars(*(col[lo : t + 1] for col in self.columns[j]))

    def whole(self) -> tuple[Bars, ...]:
        """Each asset's columns as :class:`Bars`, room included (rows after the last bar are
        not bars yet)."""
        return tuple(Bars(*cols) for cols in self.columns)


def _market_columns(market: Market) -> tuple[np.ndarray, ...]:
    return (market.open, market.high, market.low, market.close, market.volume)


#: The Python scalar type of each kernel dtype (what a live form returns).
_SCALARS: dict[type, type] = {np.bool_: bool, np.float64: float, np.int64: int}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _newest(value: Any, name: str, field: _Field, asset: str, t: int) -> Any:
    """The newest element of one signal field of one asset, converted like the backtest's
    inputs (booleans exactly 0 / 1, whole numbers for integer fields)."""
    kind = type(value)
    if kind is _SCALARS[field.dtype] and (kind is not int or _INT64_MIN <= value <= _INT64_MAX):
        return value  # a live form's scalar of the kernel's type: nothing to convert or check
    if kind is np.ndarray and value.ndim == 1 and value.dtype == field.dtype and value.size:
        return value[-1]  # already the kernel's dtype: nothing to convert or check
    arr = np.asarray(value)
    if arr.ndim == 0:
        return _converted(arr, name, field.dtype)[()]
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ParameterError(
            name, f"{asset!r}: the signal function returned shape {arr.shape} at bar {t}"
        )
    return _converted(arr[-1:], name, field.dtype)[0]


def _signal_values(opts: _Options, history: _History, j: int, t: int) -> dict[str, Any]:
    """The strategy's output on asset j's window ending at bar t, by field name."""
    sig = opts.strategy.signal(history.window(j, t, opts.window), **opts.params)
    if not isinstance(sig, Signals):
        raise ParameterError(
            "strategy", f"{opts.strategy.name}'s signal function returned {type(sig).__name__}"
        )
    return {"entries": sig.entries, "exits": sig.exits, **sig.extras()}


def _signal_fields(opts: _Options, bars: Bars) -> tuple[str, ...]:
    """The fields the strategy sets (with these parameters), from its output on ``bars``; only
    the names are used, never the values."""
    values = _signal_values(opts, _History(((*bars,),)), 0, bars.close.shape[0] - 1)
    return ("entries", "exits", *(k for k in values if k not in ("entries", "exits")))


def _validated(opts: _Options, market: Market, fields: tuple[str, ...]) -> None:
    """Every keyword checked as the backtest checks it, before the first bar."""
    _kernel_run(opts, market, fields)


#: The index of the one-row market the row checks see: they read numpy rows only (the index
#: would matter for pandas arguments), and their errors name the row by its number.
_ONE_ROW = pd.DatetimeIndex(pd.to_datetime(np.zeros(1, dtype=np.int64), unit="ns", utc=True))


def _fraction_below_one(x: float) -> bool:
    return x != x or 0.0 < x < 1.0  # NaN: none


def _fraction_up_to_one(x: float) -> bool:
    return 0.0 < x <= 1.0


def _positive(x: float) -> bool:
    return 0.0 < x < math.inf


def _bars_count(x: float) -> bool:
    return x >= 0


#: Values of a signal field that every check of :func:`_check_row` accepts whatever the rest of
#: the row holds (a stop or target distance in (0, 1) or NaN, a fraction in (0, 1], a bar count
#: >= 0). A row made only of such values skips the detailed checks; any other value (or a field
#: not listed) gets them, so an error is always theirs, word for word.
_PLAIN: dict[str, Callable[[float], bool]] = {
    "sl_stop": _fraction_below_one,
    "tp_stop": _fraction_below_one,
    "partial_tp_stop": _fraction_below_one,
    "exit_size": _fraction_up_to_one,
    "partial_tp_size": _fraction_up_to_one,
    "max_bars": _bars_count,
}


def _plain_row(opts: _Options, run: _Run, t: int) -> bool:
    """Whether every non-boolean value of signal row t is one the checks accept anyway (see
    :data:`_PLAIN`; a size must be finite and > 0, at most 1 when it is a percent, or NaN for a
    percent size of an asset that decides no entry on the row)."""
    args = run.args
    for name in run.fields:
        if name in _SIGNALS_ONLY:
            continue
        row = getattr(args, _FIELDS[name].arg)[t].tolist()
        if name == "size" and opts.size_type == "percent":
            entry = (args.long_entry[t] | args.short_entry[t]).tolist()
            pairs = zip(row, entry, strict=True)
            if not all(_fraction_up_to_one(x) or (x != x and not e) for x, e in pairs):
                return False
            continue
        plain = _positive if name == "size" else _PLAIN.get(name)
        if plain is None or not all(plain(x) for x in row):
            return False
    return True


def _check_row(opts: _Options, run: _Run, t: int) -> None:
    """The backtest's checks of the decision inputs, on row t (errors name row t)."""
    given = frozenset(run.fields)
    if given <= _SIGNALS_ONLY or _plain_row(opts, run, t):
        return  # booleans only (converted strictly already), or values every check accepts
    a = run.args
    index = _ONE_ROW
    rows = slice(t, t + 1)
    long_in, short_in = a.long_entry[rows], a.short_entry[rows]
    decided = long_in | short_in
    one = Market(
        index=index,
        assets=run.inputs.market.assets,
        open=a.open_[rows],
        high=a.high[rows],
        low=a.low[rows],
        close=a.close[rows],
        volume=a.volume[rows],
    )
    if "sl_stop" in given:
        _check_stop_loss(a.sl_stop[rows], "sl_stop", one, long_in, row0=t)
    for name, arg in (("tp_stop", a.tp_stop), ("partial_tp_stop", a.ptp_stop)):
        if name in given:
            _check_target(arg[rows], name, one, short_in, row0=t)
    if "size" in given:
        _check_size(a.size[rows], opts.size_type, decided, one, row0=t)
    if given & {"order_type", "limit_price", "stop_price"}:
        _order_type_codes(a.order_type[rows], one)
        for name, arg in (("limit_price", a.limit_price), ("stop_price", a.stop_price)):
            check_range(arg[rows], name, 0.0, low_open=True, nan=True, hint="a price")
        _check_entry_prices(
            a.order_type[rows], a.limit_price[rows], a.stop_price[rows], decided, row0=t
        )
    for name, arg in (("exit_size", a.exit_size), ("partial_tp_size", a.ptp_size)):
        if name in given:
            check_range(arg[rows], name, 0.0, 1.0, low_open=True, hint="a fraction")
    if "max_bars" in given:
        _check_whole(a.max_bars[rows], "max_bars", "0: no time stop")
    if "leverage" in given:
        lev = check_range(a.leverage[rows], "leverage", 1.0, hint="1 for none, 10 for 10x")
        if not opts.maintenance_margin < 1.0 / float(lev.max()):
            raise ParameterError(
                "maintenance_margin",
                f"must be in [0, 1/leverage), got {opts.maintenance_margin!r} "
                f"with leverage {float(lev.max())!r} at row {t}",
            )


def _with_room(buf: np.ndarray, count: int, need: int, fill: Any = 0) -> np.ndarray:
    """``buf`` if it has room for ``need`` more rows after ``count``, else a copy twice as large
    (the new rows set to ``fill``; records zeroed, their alignment padding included, so equal
    records stay equal as bytes)."""
    if buf.shape[0] - count >= need:
        return buf
    bigger = np.zeros((2 * buf.shape[0] + need, *buf.shape[1:]), dtype=buf.dtype)  # padding too
    if fill:
        bigger[:] = fill
    bigger[:count] = buf[:count]
    return bigger


def _grow_records(state: _nb.SimState, m: int) -> _nb.SimState:
    """Room for at least one more bar of records (a bar adds at most a few per asset)."""
    need = 64 * m + 64
    grown = {}
    for name, k in (("orders", _nb.K_ORDERS), ("fills", _nb.K_FILLS), ("trades", _nb.K_TRADES)):
        buf = getattr(state, name)
        if buf.shape[0] - int(state.cnt[k]) < need:
            grown[name] = _with_room(buf, int(state.cnt[k]), need)
    return state._replace(**grown) if grown else state


def _empty(dtype: np.dtype) -> np.ndarray:
    """A read-only empty array of ``dtype`` (shared by the bars that send or fill nothing)."""
    out = np.zeros(0, dtype=dtype)
    out.flags.writeable = False
    return out


_NO_INTENTS = _empty(intent_dt)
_NO_FILLS = _empty(fill_dt)


def _zeroed_copy(records: np.ndarray) -> np.ndarray:
    """``records`` copied field by field into zeroed records: numba's record writes leave the
    alignment padding undefined, and a journal compares and stores records as bytes."""
    out = np.zeros(records.shape[0], dtype=records.dtype)
    if not records.shape[0]:
        return out
    for name in records.dtype.names:
        out[name] = records[name]
    return out


class _Journal:
    """The intents sent so far: records with their deterministic client ids and the ids they
    replace (assigned bar by bar), the watch of the working orders, and each asset's working
    entry before the decision."""

    def __init__(self, m: int, run_id: int) -> None:
        self.watch, self.watch_levels = _nb.new_watch_nb(m)
        cap = 64 + 4 * m
        self.records = np.zeros(cap, dtype=intent_dt)
        self.ref = np.full((cap, 2), -1, dtype=np.int64)
        self.count = 0
        self.before = np.full((m, 3), -1, dtype=np.int64)
        self.run_id = run_id
        self._seq: dict[tuple[int, int, int], int] = {}
        self._last: dict[tuple[int, int, int], int] = {}
        self._bar_kernel: Any = None  # step_bar_nb's compiled overload for the objects below
        self._bar_objects: tuple[Any, ...] = ()

    def make_room(self, m: int) -> None:
        """Room for one more bar (at most an entry, an exit, a cancel and three protective
        orders, each possibly with a cancel, per asset)."""
        need = 8 * m + 8
        self.records = _with_room(self.records, self.count, need)
        self.ref = _with_room(self.ref, self.count, need, fill=-1)

    def step(
        self,
        t: int,
        close_ns: int,
        args: _nb.SimArgs,
        state: _nb.SimState,
        outcomes: np.ndarray | None = None,
    ) -> np.ndarray:
        """Bar t through the decision core in one compiled call (fills, decide on signal row t,
        mark, guards: :func:`soltrader.sim._nb.step_bar_nb`; with a real venue's ``outcomes``,
        :func:`soltrader.sim._nb.step_bar_venue_nb`); its intents, with their ids."""
        start = self.count
        if outcomes is None:
            objects = self._bar_objects  # records and ref keep their types when they grow
            if not (objects and args is objects[0] and state is objects[1]):
                self._resolve(args, state)
            self.count = int(
                self._bar_kernel(
                    t, close_ns, args, state, self.before, self.watch, self.watch_levels,
                    self.records, self.ref, self.count,
                )
            )  # fmt: skip
        else:
            self.count = int(
                _nb.step_bar_venue_nb(
                    t, close_ns, args, state, outcomes, self.before, self.watch,
                    self.watch_levels, self.records, self.ref, self.count,
                )
            )  # fmt: skip
        if self.count == start:
            return _NO_INTENTS
        for i in range(start, self.count):
            self._identify(i)
        return self.records[start : self.count]

    def _resolve(self, args: _nb.SimArgs, state: _nb.SimState) -> None:
        """The compiled overload of :func:`soltrader.sim._nb.step_bar_nb` for the types of these
        argument objects. The dispatcher resolves the type of every one of its ~70 arrays at
        each call (about half of a live bar's kernel call); the loop's arguments keep their
        types (fixed dtypes, C order) and are only replaced when a buffer grows, which resolves
        them again (about a millisecond). The journal's own buffers (``records``, ``ref``,
        ``before``, the watch) are made here with fixed dtypes and layouts, so their growth never
        changes the overload and resolves nothing."""
        kernel = _nb.step_bar_nb
        self._bar_objects = (args, state)
        if not hasattr(kernel, "compile"):  # numba's JIT disabled: a plain function
            self._bar_kernel = kernel
            return
        whole = (self.before, self.watch, self.watch_levels, self.records, self.ref)
        types = (
            numba.types.int64,
            numba.types.int64,
            kernel.typeof_pyval(args),
            kernel.typeof_pyval(state),
            *(kernel.typeof_pyval(a) for a in whole),
            numba.types.int64,
        )
        self._bar_kernel = kernel.compile(types)

    def _identify(self, i: int) -> None:
        rec = self.records[i]
        key = (int(rec["asset"]), int(rec["decision_bar"]), int(rec["reason"]))
        n = self._seq.get(key, 0)
        self._seq[key] = n + 1
        rec["client_id"] = client_id(self.run_id, *key, n)
        ref_bar, ref_reason = (int(x) for x in self.ref[i])
        if ref_bar >= 0:
            target = (key[0], ref_bar, ref_reason)
            rec["replaces"] = self._last.get(target, client_id(self.run_id, *target, 0))
        self._last[key] = int(rec["client_id"])

    def finished(self) -> np.ndarray:
        """Every intent so far as zeroed-padding records."""
        return _zeroed_copy(self.records[: self.count])


def _run_id(opts: _Options) -> int:
    """A stable 64-bit id of the strategy instance (its name and resolved parameters)."""
    text = repr((opts.strategy.name, sorted((k, repr(v)) for k, v in opts.params.items())))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _bar_length(ticks: np.ndarray) -> int:
    """The smallest step between bar times (epoch ns); -1 for a single bar (unknown)."""
    return int(np.diff(ticks).min()) if ticks.shape[0] > 1 else -1


class PaperLoop:
    """The decision core and the paper venue, driven one closed bar at a time.

    This is the loop the live runtime runs and :func:`paper_replay` replays: each
    :meth:`step` takes one closed bar of every asset and does, in order, the paper venue's fills
    on it, the strategy's signal on the last ``window`` bars, ``decide``, the mark at its close
    and the account guards, and returns what happened as a :class:`BarOutcome` (the intents sent,
    with deterministic client ids, and the fills). Build it with :meth:`for_data` (bars known up
    front: a replay) or :meth:`live` (bars arrive one by one; buffers double when full).

    Examples
    --------
    >>> import numpy as np, soltrader as st
    >>> from soltrader.engine.paper import PaperLoop
    >>> loop = PaperLoop.live(st.strategies.sma_cross, ("SOL",), bar_ns=60 * 10**9,
    ...                       fast=2, slow=3)
    >>> closes = [5.0, 4, 3, 4, 6, 8]
    >>> out = [loop.step(i * 60 * 10**9, *[np.array([c])] * 4, np.ones(1))
    ...        for i, c in enumerate(closes)]
    >>> [o.bar for o in out if len(o.intents)]   # the cross at bar 4: an entry intent
    [4]
    """

    def __init__(
        self,
        opts: _Options,
        assets: tuple[str, ...],
        bar_ns: int,
        history: _History,
        market: Market | None,
        fields: tuple[str, ...],
    ) -> None:
        self._opts = opts
        self._fields = fields
        self._assets = assets
        self._bar_ns = bar_ns
        self._history = history
        self._market = market  # a replay's checked bars; None live
        self._run: _Run | None = None
        self._state: _nb.SimState | None = None
        self._journal = _Journal(len(assets), _run_id(opts))
        self._t = 0
        self._last_ns = -(2**62)
        self._t0_ns = 0
        self._scale_tx = market is None and _sol_priced_by_bar(opts.rest)
        self._times: list[int] = []  # a live loop's bar open times (epoch ns)
        self._full: list[dict[str, Any]] | None = None  # signals of the whole history
        self._incremental = True  # False: recompute the signal function on every window
        self._rows: list[Any] | None = None  # each asset's live form of the signal
        self._whole = history.whole()  # each asset's history as Bars (room included)
        self._field_set = frozenset(fields)
        self._checks = not self._field_set <= _SIGNALS_ONLY  # rows need _check_row
        self._clean: tuple[float, ...] | None = None  # the live bar _admit found clean
        self._guards = False  # the account guards run (set at the first bar)
        self._finished = False
        self._venue_fills = False  # True: a real venue's outcomes replace the fill model
        self.spent = [0.0, 0.0, 0.0]  # seconds: signal function, decision core, bookkeeping

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def for_data(
        cls,
        data: Any,
        strategy: Strategy,
        *,
        window: int | None = None,
        signals: str = "window",
        **kwargs: Any,
    ) -> PaperLoop:
        """A loop over bars known up front (checked once, here), as :func:`paper_replay` runs
        it; keywords as :func:`paper_replay`.

        ``signals="window"`` computes each bar's signal on the last ``window`` bars, as the live
        loop does (through the strategy's live form when it has one);
        ``signals="recompute"`` does the same without the live form, calling the signal
        function on every window (what the live form equals); ``signals="full"`` computes the
        signals once on the whole history and takes row t at bar t, as the backtest does (so
        its intents are the backtest's decisions).
        """
        if signals not in ("window", "recompute", "full"):
            raise ParameterError("signals", f"{signals!r}: use 'window', 'recompute' or 'full'")
        if isinstance(data, Mapping) and not data:
            raise ParameterError("data", "an empty dict holds no asset")
        opts = _options(strategy, window, kwargs)
        market = market_from(data)
        if market.shape[0] == 0:
            raise DataError("data: has no bars; a replay needs at least one", field="data")
        history = _History.of_market(market)
        fields = _signal_fields(opts, history.window(0, opts.window - 1, opts.window))
        _validated(opts, market, fields)
        loop = cls(opts, market.assets, _bar_length(market.ticks), history, market, fields)
        loop._incremental = signals == "window"
        if signals == "full":  # the whole history at once, as the backtest computes it
            n = market.shape[0]
            loop._opts = opts._replace(window=n)
            loop._full = [
                _signal_values(loop._opts, history, j, n - 1) for j in range(market.shape[1])
            ]
        return loop

    @classmethod
    def live(
        cls,
        strategy: Strategy,
        assets: tuple[str, ...],
        *,
        bar_ns: int,
        window: int | None = None,
        capacity: int = 4096,
        venue_fills: bool = False,
        **kwargs: Any,
    ) -> PaperLoop:
        """A loop whose bars arrive one by one (the live runtime's).

        Parameters
        ----------
        strategy : Strategy
            The strategy spec.
        assets : tuple of str
            Asset names, in column order (the order of the values given to :meth:`step`).
        bar_ns : int
            Bar length (ns): a bar's close time is its open time plus this.
        window : int or "all", optional
            Bars of history given to the signal function (default: its ``live_window``;
            ``"all"``: every bar so far).
        capacity : int
            Bars of buffers allocated at the first bar (they double when full).
        venue_fills : bool
            True: the fills come from a real venue, not the fill model. Each :meth:`step` then
            takes the venue's ``outcomes`` for the pending market orders, and only market orders
            may be decided (no resting entries, stop-losses or targets: a swap router rests
            nothing; time stops and exits on signals are market orders and stay).
        **kwargs
            Strategy parameters and backtest keywords, one value each (no per-bar arrays, no
            ``impact`` or ``intrabar``, never ``fill="close"``).

        Raises
        ------
        ParameterError
            A keyword the backtest refuses, or one a live loop cannot have (with
            ``venue_fills``: any resting order type or protective level).
        """
        assets = tuple(str(a) for a in assets)
        if not assets or len(set(assets)) != len(assets):
            raise ParameterError("assets", f"need distinct asset names, got {assets!r}")
        if isinstance(bar_ns, bool) or not isinstance(bar_ns, int) or bar_ns <= 0:
            raise ParameterError("bar_ns", f"must be a positive number of ns, got {bar_ns!r}")
        opts = _options(strategy, window, kwargs)
        _refuse_for_live(opts.rest)
        if venue_fills:
            _refuse_resting(opts.rest)
        template = _template(assets, 0, bar_ns, 2)
        ones = Bars(*(np.ones(2) for _ in range(5)))
        fields = _signal_fields(opts, ones)
        _validated(opts, template, fields)
        history = _History.empty(len(assets), max(int(capacity), 2))
        loop = cls(opts, assets, bar_ns, history, None, fields)
        loop._venue_fills = bool(venue_fills)
        return loop

    # -- stepping ----------------------------------------------------------------------------

    @property
    def bars(self) -> int:
        """Bars stepped so far."""
        return self._t

    @property
    def market(self) -> Market:
        """A replay's bars (:meth:`for_data`); a live loop's bars so far."""
        return self._market if self._market is not None else self._live_market(self._t)

    @property
    def assets(self) -> tuple[str, ...]:
        """Asset names, in column order."""
        return self._assets

    @property
    def run_id(self) -> int:
        """The strategy instance's 64-bit id (the seed of its client ids)."""
        return self._journal.run_id

    @property
    def has_guards(self) -> bool:
        """Whether the account guards run (``risk=`` or ``control=`` given): only then does
        a bar's control mode act."""
        return self._run is None or bool(self._run.args.icfg[_nb.I_RISK])

    def step(
        self,
        time_ns: int,
        open_: np.ndarray,
        high: np.ndarray,
        low: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray,
        control: int | None = None,
        outcomes: np.ndarray | None = None,
    ) -> BarOutcome:
        """One closed bar of every asset: fills, signal, decide, mark; see the class docstring.

        Parameters
        ----------
        time_ns : int
            The bar's open time (epoch ns), later than the previous bar's.
        open_, high, low, close, volume : ndarray (m,)
            The bar of each asset (prices in quote currency, volume in base units); a loop of
            one asset also takes numbers.
        control : int, optional
            The bar's :class:`~soltrader.domain.state.ControlMode`; needs the account guards
            (``risk=`` or ``control=`` given to the loop).
        outcomes : ndarray, optional
            Only for a loop built with ``venue_fills=True``: one
            :data:`~soltrader.domain.state.venue_outcome_dt` record per asset, what the venue
            did with its pending market orders since the last bar (default: nothing reported,
            the orders stay pending). They are booked at this bar in place of the fill model.

        Raises
        ------
        BarRefusedError
            A live bar that is not after the previous one, or that breaks the data rules (a
            :class:`~soltrader.domain.errors.DataError`; the loop is left as it was).
        ParameterError
            A signal row the backtest's checks refuse (named with its row), or a control mode
            without guards.
        """
        if self._finished:
            raise ParameterError("loop", "finish() was called: this loop takes no more bars")
        t = self._t
        t0 = time.perf_counter()
        outcomes = self._checked_outcomes(outcomes)
        if self._market is None:
            self._admit(t, int(time_ns), (open_, high, low, close, volume))
        if self._run is None:
            self._start()
        run, state = self._room(t)
        self._append(run, t, int(time_ns), control)
        t1 = time.perf_counter()
        self._signal_row(run, t)  # before the fills: they read earlier decisions' rows only
        t2 = time.perf_counter()
        if self._checks:  # a row of booleans only is converted strictly already
            _check_row(self._opts, run, t)
        if outcomes is not None:
            _check_market_only(run.args, t)
        fill0 = int(state.cnt[_nb.K_FILLS])
        close_ns = int(time_ns) + self._bar_ns if self._bar_ns > 0 else -1
        t3 = time.perf_counter()
        intents = self._journal.step(t, close_ns, run.args, state, outcomes)
        t4 = time.perf_counter()
        self._t = t + 1
        a = run.args
        fill1 = int(state.cnt[_nb.K_FILLS])
        out = BarOutcome(
            bar=t,
            time_ns=int(time_ns),
            intents=_zeroed_copy(intents) if len(intents) else _NO_INTENTS,
            fills=state.fills[fill0:fill1].copy() if fill1 > fill0 else _NO_FILLS,
            cash=a.cash_out[t].copy(),
            equity=a.equity_out[t].copy(),
            position=a.pos_out[t].copy(),
        )
        spent = self.spent
        spent[0] += t2 - t1
        spent[1] += t4 - t3
        spent[2] += t1 - t0 + t3 - t2 + time.perf_counter() - t4
        return out

    def _checked_outcomes(self, outcomes: np.ndarray | None) -> np.ndarray | None:
        """A venue-filled loop's outcomes as one record per asset (none reported: zeros)."""
        m = len(self._assets)
        if not self._venue_fills:
            if outcomes is not None:
                raise ParameterError(
                    "outcomes", "only a loop built with venue_fills=True books a venue's outcomes"
                )
            return None
        if outcomes is None:
            return np.zeros(m, dtype=venue_outcome_dt)
        if not isinstance(outcomes, np.ndarray) or outcomes.dtype != venue_outcome_dt:
            raise ParameterError("outcomes", "must be venue_outcome_dt records, one per asset")
        if outcomes.shape != (m,):
            raise ParameterError("outcomes", f"need {m} records, one per asset: {outcomes.shape}")
        return np.ascontiguousarray(outcomes)

    def _admit(self, t: int, time_ns: int, values: tuple[Any, ...]) -> None:
        """A live bar: later than the last one, valid by the data rules, into the history."""
        if time_ns <= self._last_ns:
            raise BarRefusedError(
                f"bar {t}: open time {time_ns} ns is not after the previous bar's "
                f"({self._last_ns} ns)",
                code="unsorted",
                row=t,
                field="timestamp",
            )
        m = len(self._assets)
        clean = _clean_bar(values) if m == 1 else None
        cols: list[np.ndarray] = []
        if clean is None:
            cols = [np.asarray(v, dtype=np.float64).reshape(m) for v in values]
            ts = np.array([time_ns], dtype=np.int64)
            rows = ts if m == 1 else np.arange(m, dtype=np.int64)  # one row per asset, in order
            if first_bar_error(OHLCVArrays(rows, *cols), rows) is None:
                m = 0  # every asset's bar is clean: one check for all of them
            for j in range(m):
                one = OHLCVArrays(ts, *(c[j : j + 1] for c in cols))
                error = first_bar_error(one, ts)
                if error is not None:
                    raise BarRefusedError(
                        f"bar {t} of {self._assets[j]!r}: {error}",
                        code=error.code,
                        row=t,
                        field=error.field,
                    )
        if t == 0:
            self._t0_ns = time_ns
        self._last_ns = time_ns
        self._times.append(time_ns)
        length = self._history.columns[0][0].shape[0]
        if t >= length:
            self._history = self._history.grown(t, 2 * length)
            self._whole = self._history.whole()
        if clean is not None:
            for col, value in zip(self._history.columns[0], clean, strict=True):
                col[t] = value
            self._clean = clean
            return
        for j, hist in enumerate(self._history.columns):
            for col, values_j in zip(hist, cols, strict=True):
                col[t] = values_j[j]

    def _start(self) -> None:
        """At the first bar: the kernel's inputs and state."""
        fields = self._fields
        market = self._market or _template(
            self._assets, self._t0_ns, self._bar_ns, self._history.columns[0][0].shape[0]
        )
        run = _kernel_run(self._opts, market, fields)
        a = run.args
        live = self._opts.strategy.live
        if live is not None and self._incremental and self._full is None:
            self._rows = [live(**self._opts.params) for _ in self._assets]
        self._guards = bool(a.icfg[_nb.I_RISK])
        self._run = run
        self._state = _nb.SimState(
            *_nb.new_state_nb(
                run.capacity, len(self._assets), a.account_cash, a.tier_vol.shape[0] > 0, a.icfg
            )
        )

    def _room(self, t: int) -> tuple[_Run, _nb.SimState]:
        """The run and state with room for bar t and its records (a live run doubles)."""
        run, state = self._run, self._state
        assert run is not None and state is not None
        m = len(self._assets)
        if t >= run.capacity:
            bigger = _template(self._assets, self._t0_ns, self._bar_ns, 2 * run.capacity)
            run = _grown_run(run, _kernel_run(self._opts, bigger, run.fields), t)
            state = _grown_notional(state, t, run.capacity)
        cnt = state.cnt.tolist()
        need = 64 * m + 64  # as _grow_records
        if (
            state.orders.shape[0] - cnt[_nb.K_ORDERS] < need
            or state.fills.shape[0] - cnt[_nb.K_FILLS] < need
            or state.trades.shape[0] - cnt[_nb.K_TRADES] < need
        ):
            state = _grow_records(state, m)
        journal = self._journal
        if journal.records.shape[0] - journal.count < 8 * m + 8:  # as _Journal.make_room
            journal.make_room(m)
        self._run, self._state = run, state
        return run, state

    def _append(self, run: _Run, t: int, time_ns: int, control: int | None) -> None:
        """Market data: bar t of every asset into the kernel's bar buffers (and its UTC day,
        control mode and per-bar transaction cost where those depend on it)."""
        a = run.args
        clean, self._clean = self._clean, None
        if clean is not None:  # one asset's live bar, checked clean by _admit
            a.open_[t, 0], a.high[t, 0], a.low[t, 0], a.close[t, 0], a.volume[t, 0] = clean
        else:
            for name, k in zip(_BAR_ARGS, range(5), strict=True):
                buf = getattr(a, name)
                for j, hist in enumerate(self._history.columns):
                    buf[t, j] = hist[k][t]
        guards = self._guards
        if guards:
            a.day[t] = time_ns // NS_PER_DAY
        if control is not None:
            if not guards:
                raise ParameterError(
                    "control", "a control mode needs the account guards: give risk= or control="
                )
            a.control[t] = int(ControlMode(control))
        if self._scale_tx:  # transaction costs in SOL priced at this bar's close
            a.tx_cost[t] *= a.close[t]
            a.tx_fail_cost[t] *= a.close[t]

    def _signal_row(self, run: _Run, t: int) -> None:
        """The strategy on each asset's window ending at bar t; the newest row into row t."""
        assets = self._assets
        rows = self._rows
        lo = max(0, t + 1 - self._opts.window)
        for j in range(len(assets)):
            if rows is not None:
                values = rows[j](self._whole[j], lo, t + 1)
            elif self._full is None:
                values = _signal_values(self._opts, self._history, j, t)
            else:
                values = _row_of(self._full[j], t)
            if values.keys() != self._field_set:
                raise ParameterError(
                    "strategy",
                    f"{self._opts.strategy.name} returned {sorted(values)} for {assets[j]!r} at "
                    f"bar {t}, but {sorted(run.fields)} on the first bar: a signal function must "
                    "set the same fields on every bar and asset",
                )
            for name in run.fields:
                spec = _FIELDS[name]
                label = name if len(assets) == 1 else f"{name}[{assets[j]!r}]"
                getattr(run.args, spec.arg)[t, j] = _newest(values[name], label, spec, assets[j], t)

    # -- results -----------------------------------------------------------------------------

    def intents(self) -> np.ndarray:
        """Every intent sent so far (``intent_dt`` records, in decision order)."""
        return self._journal.finished()

    def finish(self) -> Result:
        """The run so far as a :class:`~soltrader.engine.result.Result` (open positions as open
        trades at the last bar); the loop cannot step after this."""
        run, state = self._run, self._state
        if run is None or state is None:
            raise ParameterError("loop", "no bar has been stepped")
        n = self._t
        args = run.args._replace(
            **{k: getattr(run.args, k)[:n] for k in ("close", "cash_out", "equity_out", "pos_out",
                                                      "value_out")}
        )  # fmt: skip
        _nb.step_finish_nb(args, state)
        cnt = state.cnt
        market = self._market or self._live_market(n)
        out = (
            state.orders[: cnt[_nb.K_ORDERS]],
            state.fills[: cnt[_nb.K_FILLS]],
            state.trades[: cnt[_nb.K_TRADES]],
            args.cash_out,
            args.equity_out,
            args.pos_out,
            args.value_out,
        )
        result = Result.from_kernel(
            market,
            out,
            init_cash=self._opts.init_cash,
            conventions=run.inputs.conventions,
            accounts=run.inputs.account_of,
            account_cash=run.inputs.account_cash,
        )
        result.params = {"strategy": self._opts.strategy.name, **self._opts.params}
        s = self.spent
        result.timing = ReplayTiming(n, float(s[0]), float(s[1]), float(s[2]))
        result.intents_records = self.intents()
        result.final_state = state_records(state, args.equity_out[-1])
        self._finished = True
        return result

    def _live_market(self, n: int) -> Market:
        """The bars a live loop has stepped, as a :class:`Market`."""
        cols = [np.stack([h[k][:n] for h in self._history.columns], axis=1) for k in range(5)]
        times = np.asarray(self._times[:n], dtype=np.int64)
        index = pd.DatetimeIndex(pd.to_datetime(times, unit="ns", utc=True))
        return Market(index, self._assets, *cols)


def _clean_bar(values: Sequence[Any]) -> tuple[float, ...] | None:
    """One asset's ``(open, high, low, close, volume)`` as floats when no rule of
    :func:`~soltrader.data.validation.first_bar_error` fires on it (the usual live bar: the
    rules' own comparisons, ``0 < low <= open, close <= high < inf`` and ``0 <= volume < inf``,
    false for NaN); None when one may, for the detailed check to name it. Each value is a
    number or a one-element array.

    Examples
    --------
    >>> _clean_bar((1.0, 2.0, 0.5, 1.5, 10.0)), _clean_bar((1.0, 2.0, 0.5, 2.5, 10.0))
    ((1.0, 2.0, 0.5, 1.5, 10.0), None)
    """
    o, h, lo, c, v = values
    if not (type(o) is type(h) is type(lo) is type(c) is type(v) is float):
        o, h, lo, c, v = (float(np.asarray(x, dtype=np.float64).reshape(1)[0]) for x in values)
    if 0.0 < lo <= o <= h < math.inf and lo <= c <= h and 0.0 <= v < math.inf:
        return (o, h, lo, c, v)
    return None


def _row_of(values: dict[str, Any], t: int) -> dict[str, Any]:
    """Row t of full-history signal fields, as 1-element windows (scalars as they are)."""
    return {k: v if np.ndim(v) == 0 else np.asarray(v)[t : t + 1] for k, v in values.items()}


def _sol_priced_by_bar(rest: dict[str, Any]) -> bool:
    """Whether Solana transaction costs are priced at each bar's close (no ``sol_price``)."""
    solana = rest.get("solana")
    return solana is not None and getattr(solana, "sol_price", 0) is None


def _grown_notional(state: _nb.SimState, t: int, capacity: int) -> _nb.SimState:
    """The fee tiers' cumulated notional with rows for ``capacity`` bars (one row: no tiers)."""
    cum = state.cum_notional
    if cum.shape[0] == 1:
        return state
    bigger = np.zeros((capacity + 1, cum.shape[1]))
    bigger[: t + 1] = cum[: t + 1]
    return state._replace(cum_notional=bigger)


def paper_replay(
    data: Any, strategy: Strategy, *, window: int | None = None, **kwargs: Any
) -> Result:
    """Replay ``data`` bar by bar through the live loop's calls, with a paper venue.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or dict of them
        OHLCV bars of one asset, or of several sharing one time index (as in
        :func:`~soltrader.backtest`).
    strategy : Strategy
        A strategy spec, e.g. ``st.strategies.sma_cross``.
    window : int or "all", optional
        Bars of history the signal function sees at each bar (>= 2); default: the strategy's
        ``live_window`` (None: all). Early bars see all the bars so far.
    **kwargs
        The strategy's parameters and every keyword of :func:`~soltrader.backtest_signals`,
        except ``fill="close"`` (refused: see the module docstring).

    Returns
    -------
    Result
        The same type as :func:`~soltrader.backtest`, with ``result.timing`` a
        :class:`ReplayTiming` (seconds in the signal function, the decision core and the
        loop's bookkeeping) and
        ``result.intents`` the orders sent to the paper venue (entries, exits, cancels and the
        protective stops and targets, with deterministic client ids; ``intent_dt`` records in
        ``result.intents_records``), and ``result.final_state`` the state after the last bar as
        named records (:func:`soltrader.sim.state_view.state_records`).

    Raises
    ------
    ParameterError
        A keyword the backtest refuses; ``fill="close"``; a signal row that the backtest's checks
        refuse (named with its row).

    Examples
    --------
    >>> import soltrader as st
    >>> bars = st.data.load("SOL/USDT", "1h").tail(600)                        # doctest: +SKIP
    >>> kw = dict(fast=10, slow=50, sl_stop=0.03, fees=0.001)
    >>> live = st.paper_replay(bars, st.strategies.sma_cross, **kw)           # doctest: +SKIP
    >>> ref = st.backtest(bars, st.strategies.sma_cross, **kw)                # doctest: +SKIP
    >>> live.trades.equals(ref.trades)                                       # doctest: +SKIP
    True
    """
    loop = PaperLoop.for_data(data, strategy, window=window, **kwargs)
    market = loop.market
    for t in range(market.shape[0]):
        loop.step(int(market.ticks[t]), *(col[t] for col in _market_columns(market)))
    return loop.finish()


__all__ = [
    "RESTING_KEYWORDS",
    "BarOutcome",
    "BarRefusedError",
    "PaperLoop",
    "ReplayTiming",
    "paper_replay",
    "resting_keyword",
]
