"""One asset, one account, every parameter a scalar: the simulation a fused sweep runs per
parameter combination, inside a parallel kernel, with per-thread scratch buffers.

It is the replay kernel :func:`soltrader.sim._nb.simulate_nb` specialised, not a second engine:
every bar on which anything happens (a signal, a pending order, a stop level reached) is handled
by the very same ``_busy_bar`` code, with the same state layout; only the loop over quiet bars and
the marking to market are written out here, for one asset, writing nothing but the equity. So a
sweep row and ``st.backtest`` of the same combination give the same trades and equity bit for bit
(tests check it on real data).

A strategy joins the fused sweep with a *signal kernel* of the signature
:data:`SIGNAL_KERNEL_SIG`; the one parallel skeleton (:func:`soltrader.engine.fused.sweep_kernel`)
calls it through a function pointer for each combination, then :func:`run_combo_nb`::

    @njit(cache=True, nogil=True)  # compiled for SIGNAL_KERNEL_SIG on first use
    def my_signals_into_nb(o, h, l, c, v, params, signals, levels, scratch):
        my_signal_into_nb(c, params, signals[0], signals[1])  # long entries and exits, in full
        return 2                                             # signal rows written (2 or 4)

Per-combination scalars (``fcfg``): the simulator's per-bar parameters at the positions ``P_*``,
then the kernel's ``cfg`` (``N_CFG`` values) and the starting cash; ``icfg`` is the kernel's
integer configuration. :func:`soltrader.engine.sweep` builds both from the same validation as
``st.backtest``.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, types

from soltrader.domain.records import fill_dt, order_dt, trade_dt
from soltrader.metrics._nb import (
    CS_DEFER,
    N_STATS,
    STATS_RUINED,
    backtest_stats_nb,
    curve_state_nb,
    fees_of_records_nb,
)
from soltrader.sim._nb import (
    C_LEVERAGE,
    F_E_FEES,
    F_E_PRICE,
    F_GAIN_LEVEL,
    F_LOSS_LEVEL,
    F_MARGIN,
    F_POS,
    F_PX_REMAIN,
    F_TRAIL,
    G_ALLOWED,
    G_MULT,
    I_CAP_FILLS,
    I_CAP_ORDERS,
    I_CAP_TRADES,
    J_ARMED_FROM,
    J_LAST_EXIT_BAR,
    J_MAX_BARS,
    J_PE_TYPE,
    K_ORDERS,
    N_CFG,
    NF,
    NG,
    NI,
    PER_BAR_INPUTS,
    _busy_bar,
    open_trades_at_end_nb,
)

#: The per-bar inputs of :func:`simulate_nb` that a combination holds as one float each (a
#: sweep runs only keywords that are constant over the bars), by their ``SimArgs`` names; their
#: positions in a combination's float configuration follow (numpy integers, not Python ones:
#: numba compiles a helper once per Python-literal argument value it is called with).
PER_BAR = PER_BAR_INPUTS
P_SIZE = np.int64(PER_BAR.index("size"))
P_ORDER_TYPE = np.int64(PER_BAR.index("order_type"))
P_LIMIT = np.int64(PER_BAR.index("limit_price"))
P_STOP = np.int64(PER_BAR.index("stop_price"))
P_TIF = np.int64(PER_BAR.index("tif"))
P_POST_ONLY = np.int64(PER_BAR.index("post_only"))
P_CANCEL = np.int64(PER_BAR.index("cancel"))
P_SL = np.int64(PER_BAR.index("sl_stop"))
P_TP = np.int64(PER_BAR.index("tp_stop"))
P_TRAIL = np.int64(PER_BAR.index("sl_trail"))
P_PTP = np.int64(PER_BAR.index("ptp_stop"))
P_PTP_SIZE = np.int64(PER_BAR.index("ptp_size"))
P_MAX_BARS = np.int64(PER_BAR.index("max_bars"))
P_MAKER = np.int64(PER_BAR.index("maker_fee"))
P_TAKER = np.int64(PER_BAR.index("taker_fee"))
P_FIXED = np.int64(PER_BAR.index("fixed_fee"))
P_SLIPPAGE = np.int64(PER_BAR.index("slippage"))
P_TX = np.int64(PER_BAR.index("tx_cost"))
P_TX_FAIL = np.int64(PER_BAR.index("tx_fail_cost"))
P_AMM_LIQ = np.int64(PER_BAR.index("amm_liq"))
P_SIGMA = np.int64(PER_BAR.index("sigma"))
N_PARAMS = len(PER_BAR)
#: where the kernel's ``cfg`` starts in a combination's float configuration, and the cash
CFG_START = N_PARAMS
CASH_AT = N_PARAMS + N_CFG
N_FCFG = N_PARAMS + N_CFG + 1

#: Per-bar float fields a strategy kernel may write (rows of the level scratch), by position
#: in a combination's float configuration.
LEVEL_FIELDS = (
    ("size", P_SIZE),
    ("limit_price", P_LIMIT),
    ("stop_price", P_STOP),
    ("sl_stop", P_SL),
    ("tp_stop", P_TP),
    ("partial_tp_stop", P_PTP),
    ("partial_tp_size", P_PTP_SIZE),
)
#: Every per-bar simulator input a strategy may fix per combination with one of its own
#: parameters (``Fused.scalars``), by position in a combination's float configuration.
PARAM_FIELDS = {
    "size": P_SIZE,
    "sl_stop": P_SL,
    "tp_stop": P_TP,
    "partial_tp_stop": P_PTP,
    "partial_tp_size": P_PTP_SIZE,
    "max_bars": P_MAX_BARS,
}
_TX_FAILED = np.int64(5)

#: The bar arrays as the fused sweep passes them: float64, contiguous, read-only.
BAR_ARRAY = types.Array(types.float64, 1, "C", readonly=True)
#: A strategy's signal kernel for the fused sweep:
#: ``(open, high, low, close, volume, params, signals, levels, scratch) -> rows``. It writes one
#: combination's decisions, computed from the bars (prices in quote units, volume in base units)
#: and ``params`` (the strategy's parameters as floats, in the order of ``Strategy.params``):
#: ``signals`` (4, n) bool — long entries, long exits, short entries, short exits — and the
#: ``levels`` rows (one per ``Fused.levels`` name, in that order), each in full. ``scratch``
#: (``Fused.scratch`` rows of ``max(n, 2)`` floats, NaN at the start of each thread) is the
#: kernel's own and
#: survives from one combination to the next on the same thread (e.g. to keep an average that
#: the next combination reuses). Returns the number of signal rows to read: 2 (long only) or 4.
SIGNAL_KERNEL_SIG = types.int64(
    BAR_ARRAY,
    BAR_ARRAY,
    BAR_ARRAY,
    BAR_ARRAY,
    BAR_ARRAY,
    types.float64[::1],
    types.boolean[:, ::1],
    types.float64[:, ::1],
    types.float64[:, ::1],
)


@njit(cache=True, nogil=True)
def workspace_nb(n: int, n_levels: int) -> tuple:
    """One thread's scratch: signal rows (4, n) bool (long entries, long exits, short entries,
    short exits), level rows (n_levels, n), equity (n,), order / fill / trade record buffers and
    an all-zero sub-bar index (n + 1,). A strategy kernel writes every signal and level row it
    uses, in full."""
    cap = 256 + n // 32
    return (
        np.empty((4, n), dtype=np.bool_),
        np.empty((max(n_levels, 1), n)),
        np.empty(n),
        np.empty(cap, dtype=order_dt),
        np.empty(cap, dtype=fill_dt),
        np.empty(cap, dtype=trade_dt),
        np.zeros(n + 1, dtype=np.int64),
    )


@njit(cache=True, nogil=True)
def copy_into_nb(dst, src):
    """``dst[:] = src`` for 1-D arrays of one length, as a loop: numba's slice assignment
    compiles a shape-mismatch error message (string formatting, ~2 s of a first sweep)."""
    for i in range(dst.shape[0]):
        dst[i] = src[i]


@njit(cache=True, nogil=True)
def signals_into_nb(signals, entries, exits, short_entries, short_exits, shorts):
    """Copy a signal function's decisions into the rows of ``signals``; returns the number of
    signal rows the simulation reads (4 with ``shorts``, else 2)."""
    copy_into_nb(signals[0], entries)
    copy_into_nb(signals[1], exits)
    if not shorts:
        return np.int64(2)
    copy_into_nb(signals[2], short_entries)
    copy_into_nb(signals[3], short_exits)
    return np.int64(4)


@njit(cache=True, nogil=True, inline="always")
def _const_col(value, col):
    """``value`` on every bar: a read-only ``col``-shaped view of one cell of its dtype. A scalar
    broadcast from a (1, 1) array has the type of a broadcast column, so numba compiles
    ``broadcast_to`` once per dtype rather than once for arrays and again for scalars (0.2-0.3 s
    each)."""
    return np.broadcast_to(np.full((1, 1), value), col)


@njit(cache=True, nogil=True)
def _param(fcfg, p, level_map, levels, n):
    """A per-bar float parameter: the strategy's row if it writes one, else the scalar."""
    row = level_map[p]
    if row >= 0:
        return np.broadcast_to(levels[row].reshape((n, 1)), (n, 1))
    return _const_col(fcfg[p], (n, 1))


#: A per-combination simulation as the fused sweep calls it (through a function pointer, so that
#: the skeleton compiles only the simulation its plan chooses): ``(open, high, low, close,
#: volume, signals, n_signal_rows, levels, level_map, fcfg, icfg, equity_out, orders, fills,
#: trades, sub_start, counts_out, returns_out, curve_state) -> bars in the market`` (-1:
#: declined, the combination needs the general kernel); see :func:`simulate_one_nb`.
SIMULATE_ONE_SIG = types.int64(
    BAR_ARRAY,
    BAR_ARRAY,
    BAR_ARRAY,
    BAR_ARRAY,
    BAR_ARRAY,
    types.boolean[:, ::1],
    types.int64,
    types.float64[:, ::1],
    types.int64[::1],
    types.float64[::1],
    types.int64[::1],
    types.float64[::1],
    types.Array(numba.from_dtype(order_dt), 1, "C"),
    types.Array(numba.from_dtype(fill_dt), 1, "C"),
    types.Array(numba.from_dtype(trade_dt), 1, "C"),
    types.int64[::1],
    types.int64[::1],
    types.float64[::1],
    types.float64[::1],
)


@njit(cache=True, nogil=True, inline="always")
def combo_inputs_nb(open_, high, low, close, volume, signals, n_signal_rows, levels, level_map,
                    fcfg, sub_start):  # fmt: skip
    """One combination's inputs as the replay kernel's busy bar takes them: ``(bars, sig, spec,
    size, risk, costs, sub, cfg)``, every per-bar parameter a broadcast scalar of ``fcfg`` or the
    strategy's level row (see :func:`_param`)."""
    n = close.shape[0]
    col = (n, 1)
    # read-only C-contiguous columns: the type st.backtest's kernel passes its busy bar
    bars = (
        open_.reshape(col),
        high.reshape(col),
        low.reshape(col),
        close.reshape(col),
        volume.reshape(col),
    )
    no = _const_col(False, col)
    long_entry = np.broadcast_to(signals[0].reshape(col), col)
    long_exit = np.broadcast_to(signals[1].reshape(col), col)
    short_entry = no
    short_exit = no
    if n_signal_rows > 2:
        short_entry = np.broadcast_to(signals[2].reshape(col), col)
        short_exit = np.broadcast_to(signals[3].reshape(col), col)
    cancel = _const_col(fcfg[P_CANCEL] != 0.0, col)
    sig = (long_entry, long_exit, short_entry, short_exit, cancel)
    spec = (
        _const_col(np.int64(fcfg[P_ORDER_TYPE]), col),
        _param(fcfg, P_LIMIT, level_map, levels, n),
        _param(fcfg, P_STOP, level_map, levels, n),
        _const_col(np.int64(fcfg[P_TIF]), col),
        _const_col(fcfg[P_POST_ONLY] != 0.0, col),
    )
    size = _param(fcfg, P_SIZE, level_map, levels, n)
    risk = (
        _param(fcfg, P_SL, level_map, levels, n),
        _param(fcfg, P_TP, level_map, levels, n),
        _const_col(fcfg[P_TRAIL] != 0.0, col),
        _param(fcfg, P_PTP, level_map, levels, n),
        _param(fcfg, P_PTP_SIZE, level_map, levels, n),
        _const_col(np.int64(fcfg[P_MAX_BARS]), col),
        _const_col(fcfg[CFG_START + C_LEVERAGE], col),
        _const_col(1.0, col),  # exit signals close the whole position
    )
    empty = np.empty(0)
    costs = (
        _const_col(fcfg[P_MAKER], col),
        _const_col(fcfg[P_TAKER], col),
        _const_col(fcfg[P_FIXED], col),
        _const_col(fcfg[P_SLIPPAGE], col),
        _const_col(fcfg[P_TX], col),
        _const_col(fcfg[P_TX_FAIL], col),
        _const_col(fcfg[P_AMM_LIQ], col),
        _const_col(fcfg[P_SIGMA], col),
        empty,
        empty,
        empty,
    )
    sub = (np.empty((0, 1)), np.empty((0, 1)), sub_start)
    return bars, sig, spec, size, risk, costs, sub, fcfg[CFG_START:CASH_AT].copy()


def _start_rows() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``fs``, ``js`` and ``guard`` rows of one flat asset in one account before bar 0."""
    fs = np.full((1, NF), np.nan)
    fs[0, [F_POS, F_E_FEES, F_MARGIN]] = 0.0
    js = np.zeros((1, NI), dtype=np.int64)
    js[0, J_PE_TYPE] = -1
    js[0, J_LAST_EXIT_BAR] = -(2**40)
    guard = np.zeros((1, NG))  # the account guards are off here (icfg[I_RISK] == 0)
    guard[0, [G_ALLOWED, G_MULT]] = 1.0
    return fs, js, guard


#: One asset's state before bar 0, copied by :func:`one_asset_state_nb` and
#: :func:`one_asset_state` (numba reads these global arrays as constants).
FS0, JS0, GUARD0 = _start_rows()


@njit(cache=True, nogil=True)
def one_asset_state_nb(init_cash):
    """The replay kernel's state for one asset in one account before bar 0: ``(account_of, fs,
    js, cash, cnt, guard)``."""
    cash = np.empty(1)
    cash[0] = init_cash
    cnt = np.zeros(4, dtype=np.int64)
    return np.zeros(1, dtype=np.int64), FS0.copy(), JS0.copy(), cash, cnt, GUARD0.copy()


def one_asset_state(init_cash: float) -> tuple[np.ndarray, ...]:
    """:func:`one_asset_state_nb` in numpy, for a caller that should not compile it.

    Examples
    --------
    >>> state = one_asset_state(100.0)
    >>> [a.shape for a in state], float(state[3][0])
    ([(1,), (1, 22), (1, 15), (1,), (4,), (1, 11)], 100.0)
    """
    cash = np.array([init_cash], dtype=np.float64)
    cnt = np.zeros(4, dtype=np.int64)
    return np.zeros(1, dtype=np.int64), FS0.copy(), JS0.copy(), cash, cnt, GUARD0.copy()


def simulate_one_nb(
    open_,
    high,
    low,
    close,
    volume,
    signals,
    n_signal_rows,
    levels,
    level_map,
    fcfg,
    icfg,
    equity_out,
    orders,
    fills,
    trades,
    sub_start,
    counts_out,
    returns_out,
    curve_state,
):  # pragma: no cover - compiled for SIMULATE_ONE_SIG by the fused sweep
    """Simulate one asset with one account; bars as 1-D arrays, parameters as scalars in
    ``fcfg`` (or strategy rows in ``levels``, see :func:`_param`).

    Writes the equity per bar into ``equity_out``, the records into the buffers (as far as
    their capacity in ``icfg`` allows) and the record counts into ``counts_out`` (orders, fills,
    trades, events: how many there are). Returns the bars in the market. Leaves
    ``returns_out`` and ``curve_state`` alone (the statistics then read the equity afterwards;
    the common case's simulation runs their first pass as it goes).
    """
    bars, sig, spec, size, risk, costs, sub, cfg = combo_inputs_nb(
        open_, high, low, close, volume, signals, n_signal_rows, levels, level_map, fcfg,
        sub_start,
    )  # fmt: skip
    in_market, cnt = _loop(
        bars,
        sig,
        spec,
        size,
        risk,
        costs,
        sub,
        cfg,
        icfg,
        fcfg[CASH_AT],
        equity_out,
        orders,
        fills,
        trades,
        signals,
        n_signal_rows if fcfg[P_CANCEL] == 0.0 else -1,
        high,
        low,
        close,
    )
    copy_into_nb(counts_out, cnt)
    return in_market


@njit(cache=True, nogil=True)
def _any_signal(signals, rows, out):
    """Whether bar t has any signal (``rows``: 2 long only, 4 with shorts, -1 a cancel on every
    bar): the bars where quiet stretches stop."""
    n = out.shape[0]
    if rows < 0:
        out[:] = True
        return
    for t in range(n):
        out[t] = signals[0, t] or signals[1, t]
    if rows > 2:
        for t in range(n):
            out[t] = out[t] or signals[2, t] or signals[3, t]


@njit(cache=True, nogil=True)
def _flat_stretch(t, n, any_signal, cash, equity_out):
    """Bars from ``t`` on while flat with nothing pending and no signal: equity is the cash.
    Returns the first bar that is not such a bar."""
    while t < n and not any_signal[t]:
        equity_out[t] = cash
        t += 1
    return t


@njit(cache=True, nogil=True)
def _held_stretch(t, n, any_signal, fs, js, cash, high, low, close, equity_out):
    """Bars from ``t`` on while a position is held with no pending order, time stop or trailing
    stop, no signal, and no protective level reached: marked to market. Returns the first bar
    that is not such a bar."""
    pos = fs[0, F_POS]
    margin = fs[0, F_MARGIN]
    entry = fs[0, F_E_PRICE]
    loss = fs[0, F_LOSS_LEVEL]
    gain = fs[0, F_GAIN_LEVEL]
    armed = js[0, J_ARMED_FROM]
    while t < n and not any_signal[t]:
        if t >= armed:
            if pos > 0.0:
                if not (low[t] > loss and high[t] < gain):
                    return t
            elif not (high[t] < loss and low[t] > gain):
                return t
        equity_out[t] = cash + (margin + pos * (close[t] - entry))
        t += 1
    return t


@njit(cache=True, nogil=True)
def _loop(
    bars,
    sig,
    spec,
    size,
    risk,
    costs,
    sub,
    cfg,
    icfg,
    init_cash,
    equity_out,
    orders,
    fills,
    trades,
    signals,
    rows,
    high1,
    low1,
    close1,
):
    """The bar loop of :func:`soltrader.sim._nb.simulate_nb` for one asset (``j = 0``): the
    state of one asset and one account, then :func:`_bar_loop`. Returns ``(bars in the market,
    record counts)``."""
    n = bars[3].shape[0]
    account_of, fs, js, cash, cnt, guard = one_asset_state_nb(init_cash)
    scratch = (np.zeros((1, 1)), np.zeros(1), np.zeros(1, dtype=np.bool_), np.zeros(1, np.int64))
    any_signal = np.empty(n, dtype=np.bool_)
    _any_signal(signals, rows, any_signal)
    state = (account_of, cash, fs, js, cnt, guard)
    in_market = _bar_loop(
        bars, sig, spec, size, risk, costs, sub, cfg, icfg, equity_out, orders, fills, trades,
        any_signal, high1, low1, close1, state, scratch,
    )  # fmt: skip
    return in_market, cnt


@njit(cache=True, nogil=True, _nrt=False)
def _bar_loop(
    bars,
    sig,
    spec,
    size,
    risk,
    costs,
    sub,
    cfg,
    icfg,
    equity_out,
    orders,
    fills,
    trades,
    any_signal,
    high1,
    low1,
    close1,
    state,
    scratch,
):
    """The bars of :func:`_loop`: quiet stretches are marked in tight loops over 1-D arrays,
    every other bar goes through the replay kernel's ``_busy_bar``. Compiled without numba's
    reference counting (it allocates nothing): a call of ``_busy_bar`` from a function that
    counts references increments and decrements each of its ~50 arrays around every call.
    Returns the bars in the market."""
    account_of, cash, fs, js, cnt, guard = state
    cum_notional, amm_dx, exited, action = scratch
    high = bars[1]
    low = bars[2]
    close = bars[3]
    long_entry, long_exit, short_entry, short_exit, cancel = sig
    n = close.shape[0]
    in_market = 0
    t = 0
    while t < n:
        if js[0, J_PE_TYPE] < 0:
            if fs[0, F_POS] == 0.0:
                t = _flat_stretch(t, n, any_signal, cash[0], equity_out)
            elif (
                np.isnan(fs[0, F_PX_REMAIN]) and js[0, J_MAX_BARS] <= 0 and not fs[0, F_TRAIL] > 0.0
            ):
                start = t
                t = _held_stretch(
                    t, n, any_signal, fs, js, cash[0], high1, low1, close1, equity_out
                )
                in_market += t - start
            if t >= n:
                break
        quiet = True
        pos = fs[0, F_POS]
        if (
            js[0, J_PE_TYPE] >= 0
            or long_entry[t, 0]
            or long_exit[t, 0]
            or short_entry[t, 0]
            or short_exit[t, 0]
            or cancel[t, 0]
        ):
            quiet = False
        elif pos != 0.0:
            if not np.isnan(fs[0, F_PX_REMAIN]) or js[0, J_MAX_BARS] > 0:
                quiet = False
            elif t >= js[0, J_ARMED_FROM]:
                h = high[t, 0]
                lo = low[t, 0]
                if fs[0, F_TRAIL] > 0.0:
                    quiet = False
                elif pos > 0.0:
                    quiet = lo > fs[0, F_LOSS_LEVEL] and h < fs[0, F_GAIN_LEVEL]
                else:
                    quiet = h < fs[0, F_LOSS_LEVEL] and lo > fs[0, F_GAIN_LEVEL]
        if not quiet:
            _busy_bar(
                t,
                bars,
                sig,
                spec,
                size,
                risk,
                costs,
                sub,
                account_of,
                fs,
                js,
                cash,
                cum_notional,
                amm_dx,
                exited,
                action,
                cnt,
                orders,
                fills,
                trades,
                cfg,
                icfg,
                guard,
            )
        pos = fs[0, F_POS]
        if pos != 0.0:
            in_market += 1
            equity_out[t] = cash[0] + (fs[0, F_MARGIN] + pos * (close[t, 0] - fs[0, F_E_PRICE]))
        else:
            equity_out[t] = cash[0]
        t += 1
    open_trades_at_end_nb(close, account_of, fs, js, trades, cnt)
    return in_market


@njit(cache=True, nogil=True)
def period_returns_nb(equity, ends, init_cash, out):
    """Returns over calendar periods: ``equity[ends[k]] / equity[ends[k - 1]] - 1``, the first
    against the starting cash (``ends``: the last bar of every period that has bars). An account
    whose value reached zero or less is ruined: -1 on that period, 0 after (as the statistics)."""
    prev = init_cash
    for k in range(ends.shape[0]):
        value = equity[ends[k]]
        out[k] = max(value, 0.0) / prev - 1.0 if prev > 0.0 else 0.0
        prev = value


#: What :func:`run_combo_nb` did with a combination: its row is written; the simulation declined
#: it (the general one must run it); its account was ruined (a full backtest computes the row).
COMBO_DONE, COMBO_DECLINED, COMBO_RUINED = 0, 1, 2


@njit(cache=True, nogil=True)
def run_combo_nb(
    simulate_one,
    open_,
    high,
    low,
    close,
    volume,
    ws,
    n_signal_rows,
    level_map,
    fcfg,
    icfg,
    ends,
    periods_per_year,
    risk_free_bar,
    stats_out,
    periods_out,
    returns,
    curve,
    defer,
):
    """Simulate one combination whose signals are in the scratch ``ws`` with ``simulate_one``
    (:data:`SIMULATE_ONE_SIG`) and write its statistics (``SUMMARY_FIELDS`` order) and period
    returns. A run that produced more records than the scratch holds is run again with room for
    all of them. Returns :data:`COMBO_DONE`; :data:`COMBO_DECLINED` when ``simulate_one``
    declined the combination (nothing written); :data:`COMBO_RUINED` for an account ruined on
    the way (its curve statistics are NaN: :func:`soltrader.metrics._nb.ruined_stats_nb` is
    compiled only when a sweep meets one, and a full backtest computes the row).

    ``returns`` (``n`` floats) and ``curve`` (``N_CURVE_STATE`` floats) keep the statistics'
    first pass: the returns and its state. With ``defer`` the second pass over the returns may
    be left for
    :func:`soltrader.metrics._nb.spread_pair_nb` to run with another combination's
    (:func:`soltrader.metrics._nb.spread_deferred_nb` of ``curve`` then says so)."""
    signals, levels, equity, orders, fills, trades, sub_start = ws
    conf = icfg.copy()
    conf[I_CAP_ORDERS] = orders.shape[0]
    conf[I_CAP_FILLS] = fills.shape[0]
    conf[I_CAP_TRADES] = trades.shape[0]
    cnt = np.zeros(4, dtype=np.int64)
    _start_curve(curve, fcfg[CASH_AT], risk_free_bar, defer)
    args = (open_, high, low, close, volume, signals, n_signal_rows, levels, level_map, fcfg)
    in_market = simulate_one(*args, conf, equity, orders, fills, trades, sub_start, cnt, returns,
                             curve)  # fmt: skip
    if in_market < 0:
        return COMBO_DECLINED
    if cnt[0] > orders.shape[0] or cnt[1] > fills.shape[0] or cnt[2] > trades.shape[0]:
        orders = np.zeros(cnt[0], dtype=order_dt)
        fills = np.zeros(cnt[1], dtype=fill_dt)
        trades = np.zeros(cnt[2], dtype=trade_dt)
        conf[I_CAP_ORDERS] = cnt[0]
        conf[I_CAP_FILLS] = cnt[1]
        conf[I_CAP_TRADES] = cnt[2]
        _start_curve(curve, fcfg[CASH_AT], risk_free_bar, defer)
        in_market = simulate_one(*args, conf, equity, orders, fills, trades, sub_start, cnt,
                                 returns, curve)  # fmt: skip
    complete = _finish(
        equity,
        returns,
        curve,
        fcfg[CASH_AT],
        in_market,
        trades[: cnt[2]],
        fills[: cnt[1]],
        orders[: cnt[K_ORDERS]],
        ends,
        periods_per_year,
        risk_free_bar,
        stats_out,
        periods_out,
    )
    return COMBO_DONE if complete else COMBO_RUINED


@njit(cache=True, nogil=True)
def _start_curve(curve, init_cash, risk_free_bar, defer):
    """Start the statistics' first pass in ``curve``, asking to defer the second with ``defer``."""
    curve_state_nb(curve, init_cash, risk_free_bar)
    curve[CS_DEFER] = 1.0 if defer else 0.0


@njit(cache=True, nogil=True)
def _finish(
    equity,
    scratch,
    curve,
    init_cash,
    in_market,
    trades,
    fills,
    orders,
    ends,
    ppy,
    rf,
    stats_out,
    periods_out,
):
    fees = fees_of_records_nb(fills, orders, _TX_FAILED)
    flags = backtest_stats_nb(equity, init_cash, in_market, trades, fees, ppy, rf, stats_out,
                              scratch, curve)  # fmt: skip
    period_returns_nb(equity, ends, init_cash, periods_out)
    return (flags & STATS_RUINED) == 0


__all__ = [
    "BAR_ARRAY",
    "COMBO_DECLINED",
    "COMBO_DONE",
    "COMBO_RUINED",
    "LEVEL_FIELDS",
    "N_FCFG",
    "N_PARAMS",
    "N_STATS",
    "PARAM_FIELDS",
    "SIGNAL_KERNEL_SIG",
    "SIMULATE_ONE_SIG",
    "combo_inputs_nb",
    "copy_into_nb",
    "one_asset_state",
    "one_asset_state_nb",
    "period_returns_nb",
    "run_combo_nb",
    "signals_into_nb",
    "simulate_one_nb",
    "workspace_nb",
]
