"""The live loop without the network: :func:`paper_replay`.

For every closed bar ``t`` (in time order, one at a time, in plain Python) the replay does what
the live runtime does when a bar closes:

1. **market data**: bar t's open, high, low, close and volume are appended to the kernel's bar
   buffers (rows after t hold NaN: a rule that peeked at a later bar would poison the run);
2. **fill**: the paper venue runs the fill model on bar t for the orders sent so far (pending
   market orders at the open, resting entries, protective stops and targets inside the bar), and
   its fills update the positions and the accounts (:func:`soltrader.sim._nb.step_fill_nb`);
3. **signal**: the strategy's signal function runs on the last ``window`` bars of each asset and
   its newest row is taken, converted and checked as the backtest checks its inputs;
4. **decide**: the decision core turns that row and the state into orders (exits, reversals,
   entries, time stops, guard refusals; :func:`soltrader.sim._nb.step_decide_nb`), which the paper
   venue fills from bar t + 1 on;
5. **mark**: accounts and positions are marked at the close and the account guards advance
   (:func:`soltrader.sim._nb.step_end_nb`);
6. **intents**: what the decision core told the venue on this bar is journalled as
   :data:`~soltrader.domain.state.intent_dt` records (:func:`soltrader.sim._nb.step_intents_nb`):
   the orders decided at the close, the entries withdrawn, and each position's protective orders,
   re-issued when they move.

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
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from soltrader.domain.errors import DataError, ParameterError
from soltrader.domain.signals import Bars, Signals
from soltrader.domain.state import client_id, intent_dt
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
    """Where a replay spent its time (seconds of wall clock): the strategy's signal function,
    the decision step (row conversion, checks, ``decide``), the paper venue (fill model, mark)."""

    bars: int
    signal_s: float
    decide_s: float
    fill_s: float

    def per_bar_ms(self) -> float:
        """Milliseconds per bar, all three parts together."""
        return 1e3 * (self.signal_s + self.decide_s + self.fill_s) / max(self.bars, 1)


class _Run(NamedTuple):
    """A prepared replay: the checked market, the kernel's inputs with writable bar and signal
    buffers, the strategy call, and the window."""

    inputs: KernelInputs
    args: _nb.SimArgs
    strategy: Strategy
    params: dict[str, Any]
    fields: tuple[str, ...]
    history: tuple[Bars, ...]
    window: int
    init_cash: float
    size_type: str
    maintenance_margin: float


def _newest(value: Any, name: str, field: _Field, asset: str, t: int) -> Any:
    """The newest element of one signal field of one asset, converted like the backtest's
    inputs (booleans exactly 0 / 1, whole numbers for integer fields)."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        return _converted(arr, name, field.dtype)[()]
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ParameterError(
            name, f"{asset!r}: the signal function returned shape {arr.shape} at bar {t}"
        )
    return _converted(arr[-1:], name, field.dtype)[0]


def _window_bars(full: Bars, t: int, window: int) -> Bars:
    """The last ``window`` bars of one asset that have closed at bar t (views, no copy)."""
    lo = max(0, t + 1 - window)
    return Bars(*(col[lo : t + 1] for col in full))


def _signal_keys(strategy: Strategy, params: dict[str, Any], first: Bars) -> tuple[str, ...]:
    """The fields the strategy sets (with these parameters), from its output on the first
    window of history; only the names are used, never the values."""
    sig = strategy.signal(first, **params)
    if not isinstance(sig, Signals):
        raise ParameterError(
            "strategy", f"{strategy.name}'s signal function returned {type(sig).__name__}"
        )
    return ("entries", "exits", *sig.extras())


def _writable(args: _nb.SimArgs, fields: tuple[str, ...]) -> _nb.SimArgs:
    """The kernel's inputs as C-contiguous arrays (one compiled signature for every replay),
    with NaN bar buffers and neutral signal buffers that the replay fills row by row."""
    n, m = args.close.shape
    out = {k: np.ascontiguousarray(v) for k, v in args._asdict().items()}
    for k in _BAR_ARGS:
        out[k] = np.full((n, m), np.nan)
    for name in fields:
        spec = _FIELDS[name]
        out[spec.arg] = np.full((n, m), spec.neutral, dtype=spec.dtype)
    return _nb.SimArgs(**out)


def _prepare(data: Any, strategy: Strategy, window: Any, kwargs: dict[str, Any]) -> _Run:
    """Resolve the strategy call as :func:`~soltrader.backtest` does and build the kernel's
    inputs with empty signal buffers (checked up front: every keyword but the signals)."""
    params, rest = strategy_call(strategy, kwargs)
    market = market_from(data)
    if market.shape[0] == 0:
        raise DataError("data: has no bars; a replay needs at least one", field="data")
    window = strategy.live_window if window is None else window
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 2:
        raise ParameterError("window", f"must be a whole number of bars >= 2, got {window!r}")
    history = tuple(
        Bars(*(np.ascontiguousarray(col[:, j]) for col in _market_columns(market)))
        for j in range(market.shape[1])
    )
    fields = _signal_keys(strategy, params, _window_bars(history[0], int(window) - 1, window))
    clash = sorted(set(fields) & set(rest))
    if clash:
        raise ParameterError(
            clash[0], f"is set per bar by {strategy.name}; change its parameters instead"
        )
    placeholders = {
        k: np.full(market.shape, _FIELDS[k].neutral, dtype=_FIELDS[k].dtype) for k in fields
    }
    inputs = _kernel_inputs(market, **placeholders, **rest)  # the bars are checked once
    if inputs.conventions.fill == "close":
        raise ParameterError(
            "fill",
            'fill="close" fills an order at the close of the bar whose close decided it; a live '
            "loop sees that close only once the bar has ended, so the earliest it can trade on it "
            'is the next bar\'s open: use fill="next_open" (the default)',
        )
    return _Run(
        inputs=inputs,
        args=_writable(inputs.args, fields),
        strategy=strategy,
        params=params,
        fields=fields,
        history=history,
        window=int(window),
        init_cash=float(_keyword(rest, "init_cash")),
        size_type=_keyword(rest, "size_type"),
        maintenance_margin=float(_keyword(rest, "maintenance_margin")),
    )


def _keyword(rest: dict[str, Any], name: str) -> Any:
    """A backtest keyword as given, else its default (the backtest's own)."""
    return rest.get(name, _DEFAULTS[name].default)


def _market_columns(market: Market) -> tuple[np.ndarray, ...]:
    return (market.open, market.high, market.low, market.close, market.volume)


def _append_bar(run: _Run, t: int) -> None:
    """Market data: bar t of every asset into the kernel's bar buffers."""
    market = run.inputs.market
    for name, col in zip(_BAR_ARGS, _market_columns(market), strict=True):
        getattr(run.args, name)[t] = col[t]


def _signal_row(run: _Run, t: int) -> None:
    """The strategy on each asset's window ending at bar t; the newest row into row t."""
    assets = run.inputs.market.assets
    for j, full in enumerate(run.history):
        sig = run.strategy.signal(_window_bars(full, t, run.window), **run.params)
        values = {"entries": sig.entries, "exits": sig.exits, **sig.extras()}
        if set(values) != set(run.fields):
            raise ParameterError(
                "strategy",
                f"{run.strategy.name} returned {sorted(values)} for {assets[j]!r} at bar {t}, "
                f"but {sorted(run.fields)} on the first window: a signal function must set the "
                "same fields on every bar and asset",
            )
        for name in run.fields:
            spec = _FIELDS[name]
            label = name if len(assets) == 1 else f"{name}[{assets[j]!r}]"
            getattr(run.args, spec.arg)[t, j] = _newest(values[name], label, spec, assets[j], t)


def _check_row(run: _Run, t: int) -> None:
    """The backtest's checks of the decision inputs, on row t (errors name row t)."""
    given = set(run.fields)
    if given <= _SIGNALS_ONLY:
        return  # booleans only: converted strictly already
    a = run.args
    rows = slice(t, t + 1)
    long_in, short_in = a.long_entry[rows], a.short_entry[rows]
    decided = long_in | short_in
    one = Market(
        index=run.inputs.market.index[rows],
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
        _check_size(a.size[rows], run.size_type, decided, one, row0=t)
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
        if not run.maintenance_margin < 1.0 / float(lev.max()):
            raise ParameterError(
                "maintenance_margin",
                f"must be in [0, 1/leverage), got {run.maintenance_margin!r} "
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


def _grow(state: _nb.SimState, m: int) -> _nb.SimState:
    """Room for at least one more bar of records (a bar adds at most a few per asset)."""
    need = 64 * m + 64
    grown = {
        name: _with_room(getattr(state, name), int(state.cnt[k]), need)
        for name, k in (("orders", _nb.K_ORDERS), ("fills", _nb.K_FILLS), ("trades", _nb.K_TRADES))
    }
    return state._replace(**grown)


def _result(run: _Run, state: _nb.SimState, timing: ReplayTiming, intents: np.ndarray) -> Result:
    cnt = state.cnt
    a = run.args
    out = (
        state.orders[: cnt[_nb.K_ORDERS]],
        state.fills[: cnt[_nb.K_FILLS]],
        state.trades[: cnt[_nb.K_TRADES]],
        a.cash_out,
        a.equity_out,
        a.pos_out,
        a.value_out,
    )
    result = Result.from_kernel(
        run.inputs.market,
        out,
        init_cash=run.init_cash,
        conventions=run.inputs.conventions,
        accounts=run.inputs.account_of,
        account_cash=run.inputs.account_cash,
    )
    result.params = {"strategy": run.strategy.name, **run.params}
    result.timing = timing
    result.intents_records = intents
    result.final_state = state_records(state, run.args.equity_out[-1])
    return result


class _Journal(NamedTuple):
    """The intents sent so far: records (``client_id`` and ``replaces`` filled at the end), the
    decision bar and reason of the order each one withdraws, the watch of the working orders,
    each asset's working entry before the decision, and each bar's close time (epoch ns)."""

    records: np.ndarray
    ref: np.ndarray
    count: int
    watch: np.ndarray
    watch_levels: np.ndarray
    before: np.ndarray
    close_ns: np.ndarray

    @classmethod
    def new(cls, m: int, n: int, ticks: np.ndarray) -> _Journal:
        watch, levels = _nb.new_watch_nb(m)
        cap = 64 + 4 * m
        return cls(
            records=np.zeros(cap, dtype=intent_dt),
            ref=np.full((cap, 2), -1, dtype=np.int64),
            count=0,
            watch=watch,
            watch_levels=levels,
            before=np.full((m, 3), -1, dtype=np.int64),
            close_ns=_close_times(ticks),
        )

    def grown(self, m: int) -> _Journal:
        """Room for one more bar (at most an entry, an exit, a cancel and three protective
        orders, each possibly with a cancel, per asset)."""
        need = 8 * m + 8
        return self._replace(
            records=_with_room(self.records, self.count, need),
            ref=_with_room(self.ref, self.count, need, fill=-1),
        )

    def record(self, t: int, args: _nb.SimArgs, state: _nb.SimState, fill0: int) -> _Journal:
        """The intents of bar t (after its decisions, guards and mark)."""
        count = _nb.step_intents_nb(
            t, self.close_ns[t], args, state, self.before, fill0, self.watch, self.watch_levels,
            self.records, self.ref, self.count,
        )  # fmt: skip
        return self._replace(count=int(count))

    def finished(self, run_id: int) -> np.ndarray:
        """The records with their deterministic client ids and the ids they replace."""
        # field by field into zeroed records: numba's record writes leave the alignment padding
        # undefined, and a journal compares and stores records as bytes
        out = np.zeros(self.count, dtype=intent_dt)
        for name in intent_dt.names:
            out[name] = self.records[name][: self.count]
        seq: dict[tuple[int, int, int], int] = {}
        last: dict[tuple[int, int, int], int] = {}
        for i, rec in enumerate(out):
            key = (int(rec["asset"]), int(rec["decision_bar"]), int(rec["reason"]))
            n = seq.get(key, 0)
            seq[key] = n + 1
            out[i]["client_id"] = client_id(run_id, *key, n)
            ref_bar, ref_reason = (int(x) for x in self.ref[i])
            if ref_bar >= 0:
                target = (key[0], ref_bar, ref_reason)
                out[i]["replaces"] = last.get(target, client_id(run_id, *target, 0))
            last[key] = int(out[i]["client_id"])
        return out


def _close_times(ticks: np.ndarray) -> np.ndarray:
    """Each bar's close time (epoch ns): its open time plus the bar length (the smallest step
    between bar times; -1 for a single bar, whose length is unknown)."""
    if ticks.shape[0] < 2:
        return np.full(ticks.shape[0], -1, dtype=np.int64)
    step = np.diff(ticks).min()
    return ticks + step


def _run_id(run: _Run) -> int:
    """A stable 64-bit id of the strategy instance (its name and resolved parameters)."""
    text = repr((run.strategy.name, sorted((k, repr(v)) for k, v in run.params.items())))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


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
    window : int, optional
        Bars of history the signal function sees at each bar (>= 2); default: the strategy's
        ``live_window``. Early bars see all the bars so far.
    **kwargs
        The strategy's parameters and every keyword of :func:`~soltrader.backtest_signals`,
        except ``fill="close"`` (refused: see the module docstring).

    Returns
    -------
    Result
        The same type as :func:`~soltrader.backtest`, with ``result.timing`` a
        :class:`ReplayTiming` (seconds spent in the signal function, decide and fill) and
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
    if isinstance(data, Mapping) and not data:
        raise ParameterError("data", "an empty dict holds no asset")
    run = _prepare(data, checked_strategy(strategy), window, kwargs)
    n, m = run.inputs.market.shape
    icfg = run.args.icfg
    icfg[[_nb.I_CAP_ORDERS, _nb.I_CAP_FILLS, _nb.I_CAP_TRADES]] = record_capacity((n, m))
    state = _nb.SimState(
        *_nb.new_state_nb(n, m, run.args.account_cash, run.args.tier_vol.shape[0] > 0, icfg)
    )
    journal = _Journal.new(m, n, run.inputs.market.ticks)
    spent = np.zeros(3)
    clock = time.perf_counter
    for t in range(n):
        t0 = clock()
        state = _grow(state, m)
        journal = journal.grown(m)
        fill0 = int(state.cnt[_nb.K_FILLS])
        _append_bar(run, t)
        _nb.step_fill_nb(t, run.args, state)
        _nb.working_entries_nb(state, journal.before)
        t1 = clock()
        _signal_row(run, t)
        t2 = clock()
        _check_row(run, t)
        _nb.step_decide_nb(t, run.args, state)
        t3 = clock()
        _nb.step_end_nb(t, run.args, state)
        t4 = clock()
        journal = journal.record(t, run.args, state, fill0)
        spent += (t2 - t1, t3 - t2 + clock() - t4, t1 - t0 + t4 - t3)
    _nb.step_finish_nb(run.args, state)
    timing = ReplayTiming(n, float(spent[0]), float(spent[1]), float(spent[2]))
    intents = journal.finished(_run_id(run))
    return _result(run, state, timing, intents)


__all__ = ["ReplayTiming", "paper_replay"]
