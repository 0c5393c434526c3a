"""The replay kernel for the common case: one asset, long entries at market, stop / target /
trailing exits, fees, fixed costs and slippage.

Most backtests and most sweep combinations are this case. :func:`soltrader.sim._nb.simulate_nb`
handles it with the general busy bar, which carries every feature (several assets and
accounts, shorts, resting orders, volume caps, pools, impact, leverage, guards, a real venue's
fills) through a deep call tree; compiling that tree is most of a first run's wait, and calling
it on every bar that has something to do is most of a sweep's cost beyond its signals. This
module writes the same rules out for the common case only, over the same state layout
(``fs`` / ``js`` rows of :mod:`soltrader.sim._nb`) and with the same small helpers where they
exist (records, levels, arming, booking), so it is the same simulation, not a second model:
records, cash, positions and equity equal the general kernel's bit for bit (tests draw random
cases, under both convention presets, and compare every field).

The case (:func:`simple_case` checks it on a backtest's inputs; :func:`soltrader.engine.fused`
on a sweep's): one asset in one account, no short signals, no cancel signals, market entries,
percent sizing (no size: all the cash), no partial take-profit, no time stop, leverage 1, one
exit closes the whole position, no volume cap, no price impact, no pool, no failed
transactions, no fee tiers, no lower-timeframe bars, no account guards, no accumulation. Any
fill mode, stop anchor, stop slippage, arming, open-first, call order and short-cash convention;
per-bar sizes, stops, targets, fees, fixed costs and slippage.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import njit, types

from soltrader.domain.records import fill_dt, order_dt, trade_dt
from soltrader.metrics._nb import (
    CS_DONE,
    CS_PREV,
    CS_RF,
    N_CURVE_STATE,
    curve_advance_nb,
    curve_load_nb,
    curve_step_nb,
    curve_store_nb,
)
from soltrader.sim._nb import (
    _BUY,
    _FALSE,
    _FILLED,
    _R_ENTRY,
    _R_SIGNAL,
    _R_SL,
    _R_TP,
    _R_TRAIL,
    _REJ_CASH,
    _REJ_MIN_SIZE,
    _REJ_NONE,
    _REJECTED,
    _SELL,
    _TRUE,
    C_FAIL_RATE,
    C_MAX_VOLUME_SHARE,
    C_MIN_SIZE,
    F_E_PRICE,
    F_GAIN_LEVEL,
    F_LEV,
    F_LOSS_LEVEL,
    F_MARGIN,
    F_PE_ANCHOR,
    F_PE_MULT,
    F_POS,
    F_PX_REMAIN,
    F_SL,
    F_SL_BASE,
    F_TP,
    F_TP_BASE,
    F_TRAIL,
    FILL_CLOSE,
    I_ACCUMULATE,
    I_CAP_FILLS,
    I_CAP_ORDERS,
    I_CAP_TRADES,
    I_COOLDOWN,
    I_COOLDOWN_SAME_DIR,
    I_FILL_MODE,
    I_IMPACT_MODEL,
    I_OPEN_FIRST,
    I_RISK,
    I_SIZE_TYPE,
    I_STOP_SLIPPAGE,
    J_ARMED_FROM,
    J_LAST_EXIT_BAR,
    J_LAST_EXIT_DIR,
    J_PE_BAR,
    J_PE_TYPE,
    J_PX_BAR,
    J_PX_REASON,
    K_EVENTS,
    K_FILLS,
    K_ORDERS,
    LIMIT,
    MARKET,
    SIZE_PERCENT,
    STOP,
    SimArgs,
    _after_entry,
    _arm,
    _budget,
    _clear_entry,
    _close_part,
    _fill,
    _open_or_add,
    _order,
    _pend_exit,
    _queue_entry,
    _refresh_levels,
    _ruined,
    _sale_covers_fees,
    _trail,
    kernel_args,
    kernel_signature,
    open_trades_at_end_nb,
    stop_hit_nb,
)
from soltrader.sim.lean import (
    CASH_AT,
    combo_inputs_nb,
    copy_into_nb,
    one_asset_state,
    one_asset_state_nb,
)

_J = np.int64(0)  # the one asset
_A = np.int64(0)  # and its account


@njit(cache=True, _nrt=False)
def _taker_price(side, ref, is_taker, slip):
    """Execution price at reference ``ref`` (NaN: no price > 0): a taker pays ``slip`` against
    it, a maker fill is at ``ref`` (``_exec_price`` without pool or impact)."""
    if not ref > 0.0:
        return np.nan
    if not is_taker:
        return ref
    price = ref * (1.0 + side * slip)
    return price if price > 0.0 else np.nan


@njit(cache=True, _nrt=False)
def _sell(t, d, qty_req, ref, is_taker, slip, otype, level, reason, costs, fs, js, cash, cnt,
          records, cfg, icfg):  # fmt: skip
    """Sell ``qty_req`` units of the long position at ``ref`` (``_exit`` for the common case),
    cost parameters of bar ``d``. A sale that cannot be priced is not made (it stays pending if
    it was); under the short-proceeds cash model a sale whose proceeds do not cover its fees is
    refused. Returns whether the position is now closed."""
    orders, fills, trades = records
    lim = level if otype == LIMIT else np.nan
    stp = level if otype == STOP else np.nan
    cnt[K_EVENTS] += 1  # the transaction draw of the general kernel (no failures here)
    fee_rate = costs[1][t, _J] if is_taker else costs[0][t, _J]  # no fee tiers
    fixed = costs[2][d, _J] + costs[4][d, _J]
    if qty_req <= 0.0:
        return False
    price = _taker_price(_SELL, ref, is_taker, slip)
    if not np.isfinite(price):
        return False
    qty = qty_req
    fee = qty * price * fee_rate + fixed
    if qty > 0.0 and not _sale_covers_fees(qty, price, fee, icfg):
        _order(orders, cnt[K_ORDERS], _J, _A, d, t, _SELL, otype, qty_req, lim, stp, _REJECTED,
               _REJ_CASH, 0.0, np.nan, 0.0)  # fmt: skip
        cnt[K_ORDERS] += 1
        return False
    k = cnt[K_ORDERS]
    _order(orders, k, _J, _A, d, t, _SELL, otype, qty_req, lim, stp, _FILLED, _REJ_NONE, qty, price,
           fee)  # fmt: skip
    cnt[K_ORDERS] += 1
    _fill(fills, cnt[K_FILLS], k, _J, _A, t, _SELL, qty, price, fee, reason)
    cnt[K_FILLS] += 1
    _close_part(fs, js, _J, t, qty, price, fee, reason, cash, _A, trades, cnt)
    if fs[_J, F_POS] == 0.0:
        js[_J, J_LAST_EXIT_BAR] = t
        js[_J, J_LAST_EXIT_DIR] = _BUY
        return True
    fs[_J, F_PX_REMAIN] = np.nan
    return False


@njit(cache=True, _nrt=False)
def _buy(t, ref, fill_not_at_close, size, risk, costs, fs, js, cash, cnt, records, cfg, icfg):
    """Fill the pending market entry at ``ref`` with as much as its budget buys (``_enter`` for
    the common case): the budget is the entry's fraction of the cash; fees, fixed costs and
    slippage come out of it. Too little cash for the smallest size is a rejected order."""
    orders, fills, _trades = records
    d = js[_J, J_PE_BAR]
    wanted_size = size[d, _J] * fs[_J, F_PE_MULT]
    budget = _budget(wanted_size, SIZE_PERCENT, cash[_A])
    cnt[K_EVENTS] += 1
    fee_rate = costs[1][t, _J]
    fixed = costs[2][d, _J] + costs[4][d, _J]
    lev = risk[6][d, _J]
    spend = budget - fixed
    units, notional, fee = 0.0, 0.0, 0.0
    if spend > 0.0:
        price = _taker_price(_BUY, ref, _TRUE, costs[3][d, _J])
        notional = spend / (1.0 / lev + fee_rate)
        units, fee = notional / price, max(budget - notional / lev, 0.0)
    k = cnt[K_ORDERS]
    cnt[K_ORDERS] += 1
    reject = _REJ_CASH if not units > 0.0 else _REJ_MIN_SIZE
    if not units > 0.0 or units < cfg[C_MIN_SIZE]:
        _order(orders, k, _J, _A, d, t, _BUY, MARKET, np.nan, np.nan, np.nan, _REJECTED, reject,
               0.0, np.nan, 0.0)  # fmt: skip
        _clear_entry(fs, js, _J)
        return
    spent = notional / lev + fee
    if spent >= budget:
        spent = budget  # the order commits exactly its budget (no rounding below zero)
    price = notional / units
    _order(orders, k, _J, _A, d, t, _BUY, MARKET, units, np.nan, np.nan, _FILLED, _REJ_NONE, units,
           price, fee)  # fmt: skip
    _fill(fills, cnt[K_FILLS], k, _J, _A, t, _BUY, units, price, fee, _R_ENTRY)
    cnt[K_FILLS] += 1
    _open_or_add(fs, js, _J, t, _BUY, units, price, fee, spent, cash, _A)
    fs[_J, F_LEV] = lev
    sl_stop, tp_stop, sl_trail, ptp_stop, ptp_size, max_bars, _lev, _part = risk
    _arm(fs, js, _J, t, d, price, fs[_J, F_PE_ANCHOR], sl_stop, tp_stop, sl_trail, ptp_stop,
         ptp_size, max_bars, icfg, fill_not_at_close)  # fmt: skip
    _refresh_levels(fs, js, _J, cfg)
    _after_entry(fs, js, _J, _FILLED, units, units)


@njit(cache=True, _nrt=False)
def _protect_long(t, o, h, lo, costs, fs, js, cash, cnt, records, cfg, icfg):
    """Intrabar protective exits of the armed long (``_protect`` for the common case): the stop
    (or trailing stop) first, then the take-profit, each at its level or at the open on a gap;
    with ``open_first`` a bar opening at or beyond the target fills it at the open. Then the
    trailing reference moves. Returns whether the position closed, or its exit was refused."""
    sl_level = np.nan
    if not np.isnan(fs[_J, F_SL]):
        sl_level = fs[_J, F_SL_BASE] * (1.0 - fs[_J, F_SL] * _BUY)
    level = sl_level
    reason = _R_TRAIL if fs[_J, F_TRAIL] > 0.0 else _R_SL
    price = np.nan
    gain_gap = icfg[I_OPEN_FIRST] != 0 and (o - fs[_J, F_GAIN_LEVEL]) * _BUY >= 0.0
    if not np.isnan(level) and not gain_gap:
        price = stop_hit_nb(_BUY, level, _TRUE, o, h, lo)
    is_taker = _TRUE
    otype = STOP
    if np.isnan(price) and not np.isnan(fs[_J, F_TP]):
        level = fs[_J, F_TP_BASE] * (1.0 + fs[_J, F_TP] * _BUY)
        price = stop_hit_nb(_BUY, level, _FALSE, o, h, lo)
        if not np.isnan(price):
            reason = _R_TP
            is_taker = _FALSE
            otype = LIMIT
    closed = False
    refused = False
    if not np.isnan(price):
        slip = costs[3][t, _J] if (is_taker and icfg[I_STOP_SLIPPAGE] != 0) else 0.0
        closed = _sell(t, t, abs(fs[_J, F_POS]), price, is_taker, slip, otype, level, reason,
                       costs, fs, js, cash, cnt, records, cfg, icfg)  # fmt: skip
        refused = np.isnan(fs[_J, F_PX_REMAIN])
    if not closed and fs[_J, F_POS] != 0.0:
        _refresh_levels(fs, js, _J, cfg)
        _trail(fs, js, _J, h, lo, cfg)
    return closed or refused


@njit(cache=True, _nrt=False, inline="always")
def _close_action(t, entries, exits, exited, fs, js, icfg):
    """What bar t's close asks (``_signal_action`` for the common case): 0 nothing, 1 enter
    long, 2 exit. With ``fill="close"`` a bar that exited inside asks nothing."""
    if icfg[I_FILL_MODE] == FILL_CLOSE and exited:
        return 0
    le = entries[t, _J]
    lx = exits[t, _J]
    if le and lx:
        return 0
    pos = fs[_J, F_POS]
    if pos > 0.0:
        return 2 if lx else 0
    if pos < 0.0 or not le:
        return 0
    cool = icfg[I_COOLDOWN]
    if (
        cool > 0
        and t - js[_J, J_LAST_EXIT_BAR] < cool
        and (icfg[I_COOLDOWN_SAME_DIR] == 0 or js[_J, J_LAST_EXIT_DIR] == _BUY)
    ):
        return 0
    return 1


@njit(cache=True, _nrt=False, inline="always")
def _busy_long(t, bars, sig, spec, size, risk, costs, state, records, cfg, icfg):
    """Phases 1-3 of bar t (see :mod:`soltrader.sim._nb`) for a bar with something to do: the
    pending exit, then the pending entry at the open; the protective exits inside the bar; the
    close's signal."""
    open_, high, low, close, _volume = bars
    entries, exits = sig[0], sig[1]
    account_of, fs, js, cash, cnt, guard = state
    o = open_[t, _J]
    exited = False
    if not np.isnan(fs[_J, F_PX_REMAIN]) and fs[_J, F_POS] != 0.0:
        d = js[_J, J_PX_BAR]
        exited = _sell(t, d, fs[_J, F_PX_REMAIN], o, _TRUE, costs[3][d, _J], MARKET, np.nan,
                       js[_J, J_PX_REASON], costs, fs, js, cash, cnt, records, cfg,
                       icfg)  # fmt: skip
    if js[_J, J_PE_TYPE] == MARKET and fs[_J, F_POS] == 0.0:
        _buy(t, o, _TRUE, size, risk, costs, fs, js, cash, cnt, records, cfg, icfg)
    if fs[_J, F_POS] != 0.0 and t >= js[_J, J_ARMED_FROM]:
        h = high[t, _J]
        lo = low[t, _J]
        if lo <= fs[_J, F_LOSS_LEVEL] or h >= fs[_J, F_GAIN_LEVEL]:
            closed = _protect_long(t, o, h, lo, costs, fs, js, cash, cnt, records, cfg, icfg)
            exited = exited or closed
        elif fs[_J, F_TRAIL] > 0.0:
            _trail(fs, js, _J, h, lo, cfg)
    act = _close_action(t, entries, exits, exited, fs, js, icfg)
    if act == 2:
        qty = abs(fs[_J, F_POS])
        if icfg[I_FILL_MODE] != FILL_CLOSE:
            _pend_exit(fs, js, _J, qty, _R_SIGNAL, t)
        else:
            _sell(t, t, qty, close[t, _J], _TRUE, costs[3][t, _J], MARKET, np.nan, _R_SIGNAL,
                  costs, fs, js, cash, cnt, records, cfg, icfg)  # fmt: skip
    elif act == 1 and not _ruined(_J, t, _BUY, close, costs, risk[6], account_of, fs, cash,
                                  guard, records[0], cnt, cfg):  # fmt: skip
        order_type, limit_price, stop_price, tif, _post_only = spec
        _queue_entry(fs, js, _J, t, _BUY, close, order_type, limit_price, stop_price, tif)
        if icfg[I_FILL_MODE] == FILL_CLOSE:
            _buy(t, close[t, _J], _FALSE, size, risk, costs, fs, js, cash, cnt, records, cfg,
                 icfg)  # fmt: skip


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _mark(t, close, cash, pos, margin, entry, marks, every):
    """Phase 4 of bar t: the equity (cash + the position's margin and unrealised P&L), and with
    ``every`` the cash, position and position value too (as ``_mark_nb`` writes them)."""
    cash_out, equity_out, pos_out, value_out = marks
    value = 0.0
    if pos != 0.0:
        value = margin + pos * (close[t, _J] - entry)
        equity_out[t, _J] = cash + value
    else:
        equity_out[t, _J] = cash
    if every:
        cash_out[t, _J] = cash
        pos_out[t, _J] = pos
        value_out[t, _J] = value


@njit(cache=True, nogil=True, _nrt=False)
def _flat_run_nb(t, entries, exits, equity, money):
    """Mark bars from ``t`` on while flat with no signal: ``equity[t] = money``. Returns the first
    bar with a signal (or ``len(equity)``). A function of its own, on 1-D arrays, so that the
    compiler keeps its few values in registers (inside the loop of :func:`simple_loop_nb` they
    were reloaded from the stack on every bar)."""
    n = np.uint64(equity.shape[0])
    i = np.uint64(t)  # unsigned: no negative-index wraparound in the loop
    one = np.uint64(1)
    while i < n and not (entries[i] or exits[i]):
        equity[i] = money
        i += one
    return np.int64(i)


@njit(cache=True, nogil=True, _nrt=False)
def _long_run_nb(t, entries, exits, low, high, close, equity, level):
    """Mark bars from ``t`` on while long with no signal and no protective level reached:
    ``equity[t] = money + (margin + pos * (close[t] - entry))``. ``level`` is ``(money, pos,
    margin, entry, loss, gain, armed_from, trailing)``. Returns the first bar that is not such a
    bar (a signal, a level reached or a trailing stop armed) or ``len(equity)``."""
    money, pos, margin, entry, loss, gain, armed, trailing = level
    n = np.uint64(equity.shape[0])
    i = np.uint64(t)  # unsigned: no negative-index wraparound in the loop
    one = np.uint64(1)
    armed_at = np.uint64(max(armed, t))
    while i < n and not (entries[i] or exits[i]):
        if i >= armed_at and (trailing or not (low[i] > loss and high[i] < gain)):
            break
        equity[i] = money + (margin + pos * (close[i] - entry))
        i += one
    return np.int64(i)


@njit(cache=True, nogil=True, _nrt=False, error_model="numpy")
def _flat_run_curve_nb(t, entries, exits, equity, money, returns, cs):
    """:func:`_flat_run_nb` that also runs the statistics' first pass over the values it marks
    (a sweep: ``cs`` and ``returns`` of :func:`soltrader.metrics._nb.curve_state_nb`). A flat
    value equal to the one before has the return 0.0 without a division (their quotient is
    exactly 1), so a flat stretch costs no division."""
    n = np.uint64(equity.shape[0])
    i = np.uint64(t)
    one = np.uint64(1)
    state = curve_load_nb(cs)
    rf = cs[CS_RF]
    plain = 0.0 < abs(money) < np.inf
    while i < n and not (entries[i] or exits[i]):
        equity[i] = money
        prev = state[CS_PREV]
        x = 0.0 if plain and money == prev else money / prev - 1.0
        state = curve_advance_nb(state, np.int64(i), money, x, rf, returns)
        i += one
    curve_store_nb(cs, state)
    return np.int64(i)


@njit(cache=True, nogil=True, _nrt=False, error_model="numpy")
def _long_run_curve_nb(t, entries, exits, low, high, close, equity, level, returns, cs):
    """:func:`_long_run_nb` that also runs the statistics' first pass over the values it marks
    (see :func:`_flat_run_curve_nb`)."""
    money, pos, margin, entry, loss, gain, armed, trailing = level
    n = np.uint64(equity.shape[0])
    i = np.uint64(t)
    one = np.uint64(1)
    armed_at = np.uint64(max(armed, t))
    state = curve_load_nb(cs)
    rf = cs[CS_RF]
    while i < n and not (entries[i] or exits[i]):
        if i >= armed_at and (trailing or not (low[i] > loss and high[i] < gain)):
            break
        value = money + (margin + pos * (close[i] - entry))
        equity[i] = value
        x = value / state[CS_PREV] - 1.0
        state = curve_advance_nb(state, np.int64(i), value, x, rf, returns)
        i += one
    curve_store_nb(cs, state)
    return np.int64(i)


@njit(cache=True, nogil=True, _nrt=False)
def _fill_marks_nb(start, stop, close, cash, pos_out, value, level):
    """The cash, position and position value of bars ``start:stop`` of a quiet run (a backtest
    keeps them): ``level`` is ``(money, pos, margin, entry)``; the value is ``margin + pos *
    (close - entry)``, or 0 when flat, as :func:`_mark` writes it."""
    money, pos, margin, entry = level
    i = np.uint64(start)
    stop_ = np.uint64(stop)
    one = np.uint64(1)
    while i < stop_:
        cash[i] = money
        pos_out[i] = pos
        value[i] = 0.0 if pos == 0.0 else margin + pos * (close[i] - entry)
        i += one


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _quiet_run(t, bars, sig, fs, js, cash, marks, every, curve):
    """Bars from ``t`` on with nothing pending and no signal on which the position (if any)
    reaches no protective level and trails no stop: only marked, from locals (and, with a
    ``curve`` of rows, passed through the statistics' first pass). Returns the first bar that is
    not such a bar."""
    _open, high, low, close, _volume = bars
    entries, exits = sig[0][:, _J], sig[1][:, _J]
    cash_out, equity_out, pos_out, value_out = marks
    equity = equity_out[:, _J]
    money = cash[_A]
    pos = fs[_J, F_POS]
    margin = fs[_J, F_MARGIN]
    entry = fs[_J, F_E_PRICE]
    start = t = np.int64(t)  # never the literal 0 of the first bar: one compile of each loop
    returns, cs = curve
    if pos == 0.0:
        if returns.shape[0]:
            t = _flat_run_curve_nb(t, entries, exits, equity, money, returns, cs)
        else:
            t = _flat_run_nb(t, entries, exits, equity, money)
    else:
        level = (money, pos, margin, entry, fs[_J, F_LOSS_LEVEL], fs[_J, F_GAIN_LEVEL],
                 js[_J, J_ARMED_FROM], fs[_J, F_TRAIL] > 0.0)  # fmt: skip
        bar_rows = (low[:, _J], high[:, _J], close[:, _J])
        if returns.shape[0]:
            t = _long_run_curve_nb(t, entries, exits, *bar_rows, equity, level, returns, cs)
        else:
            t = _long_run_nb(t, entries, exits, *bar_rows, equity, level)
    if every:
        level = (money, pos, margin, entry)
        _fill_marks_nb(start, t, close[:, _J], cash_out[:, _J], pos_out[:, _J], value_out[:, _J],
                       level)  # fmt: skip
    return t


@njit(cache=True, nogil=True, _nrt=False)
def simple_loop_nb(bars, sig, spec, size, risk, costs, cfg, icfg, state, records, marks, curve):
    """Every bar of the common case: quiet stretches (nothing pending, no signal, no protective
    level reached, no trailing stop) are only marked, in tight loops; every other bar goes through
    :func:`_busy_long` (which would change nothing on a quiet bar).

    ``marks`` is ``(cash, equity, position, value)``, each (n, 1) (quote, quote, base units,
    quote), or with ``cash`` of no rows (a sweep): then only the equity is written. ``curve`` is
    ``(returns, state)``: a sweep passes ``n`` floats for the returns and a started first pass of
    the statistics (:func:`soltrader.metrics._nb.curve_state_nb`), which then runs over every
    equity value as it is marked (and is flagged done); a backtest passes no returns. Returns the
    bars that ended in the market."""
    close = bars[3]
    _account_of, fs, js, cash, _cnt, _guard = state
    every = marks[0].shape[0] > 0
    returns, cs = curve
    stats = returns.shape[0] > 0
    n = close.shape[0]
    in_market = 0
    t = 0
    while t < n:
        if js[_J, J_PE_TYPE] < 0 and np.isnan(fs[_J, F_PX_REMAIN]):
            start = t
            t = _quiet_run(t, bars, sig, fs, js, cash, marks, every, curve)
            if fs[_J, F_POS] != 0.0:
                in_market += t - start
            if t >= n:
                break
        _busy_long(t, bars, sig, spec, size, risk, costs, state, records, cfg, icfg)
        pos = fs[_J, F_POS]
        _mark(t, close, cash[_A], pos, fs[_J, F_MARGIN], fs[_J, F_E_PRICE], marks, every)
        if stats:
            curve_step_nb(cs, t, marks[1][t, _J], returns)
        if pos != 0.0:
            in_market += 1
        t += 1
    open_trades_at_end_nb(close, _account_of, fs, js, records[2], _cnt)
    if stats:
        cs[CS_DONE] = 1.0
    return in_market


#: The arguments of :func:`simple_loop_nb` that are tuples of ``SimArgs`` fields, by name.
GROUPS: dict[str, tuple[str, ...]] = {
    "bars": ("open_", "high", "low", "close", "volume"),
    "sig": ("long_entry", "long_exit", "short_entry", "short_exit", "cancel"),
    "spec": ("order_type", "limit_price", "stop_price", "tif", "post_only"),
    "risk": (
        "sl_stop",
        "tp_stop",
        "sl_trail",
        "ptp_stop",
        "ptp_size",
        "max_bars",
        "leverage",
        "exit_size",
    ),
    "costs": (
        "maker_fee",
        "taker_fee",
        "fixed_fee",
        "slippage",
        "tx_cost",
        "tx_fail_cost",
        "amm_liq",
        "sigma",
        "tier_vol",
        "tier_maker",
        "tier_taker",
    ),
    "marks": ("cash_out", "equity_out", "pos_out", "value_out"),
}
_ANY = frozenset(("sig", "spec", "size", "risk", "costs"))
_KERNELS: dict[tuple, Any] = {}


def _every(a: np.ndarray, test: Any) -> bool:
    """Whether ``test`` holds for every element of ``a`` (one element of a broadcast value)."""
    if a.size and not any(a.strides):
        return bool(test(a.reshape(-1)[:1]).all())
    return bool(test(a).all())


def simple_case(args: SimArgs) -> bool:
    """Whether :func:`simulate_simple` reproduces ``simulate_nb(*args)`` (the case in the
    module docstring).

    Examples
    --------
    >>> from soltrader.engine.backtest import _kernel_inputs
    >>> import pandas as pd
    >>> idx = pd.date_range("2024-01-01", periods=4, freq="1min")
    >>> bars = pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0},
    ...                     index=idx)
    >>> simple_case(_kernel_inputs(bars, [True, False, False, False], sl_stop=0.02).args)
    True
    >>> simple_case(_kernel_inputs(bars, False, short_entries=True).args)
    False
    """
    icfg, cfg = args.icfg, args.cfg
    if args.close.shape[1] != 1 or args.account_cash.shape[0] != 1:
        return False
    if args.tier_vol.size or args.sub_low.shape[0]:
        return False
    if icfg[I_RISK] or icfg[I_ACCUMULATE] or icfg[I_IMPACT_MODEL]:
        return False
    if icfg[I_SIZE_TYPE] != SIZE_PERCENT or cfg[C_MAX_VOLUME_SHARE] or cfg[C_FAIL_RATE]:
        return False
    checks = (
        (args.short_entry, np.logical_not),
        (args.short_exit, np.logical_not),
        (args.cancel, np.logical_not),
        (args.order_type, lambda x: x == MARKET),
        (args.ptp_stop, np.isnan),
        (args.max_bars, lambda x: x <= 0),
        (args.amm_liq, np.isnan),
        (args.leverage, lambda x: x == 1.0),
        (args.exit_size, lambda x: x == 1.0),
    )
    return all(_every(a, test) for a, test in checks)


def _loop_signature(args: SimArgs) -> tuple:
    """The numba types of :func:`simple_loop_nb`'s arguments as the fused sweep passes them (so
    that a backtest and a sweep share one compiled loop): the bars read-only and C-contiguous,
    the signals and per-bar inputs read-only views of any layout, everything else arrays of its
    own."""
    typed = dict(zip(SimArgs._fields, kernel_signature(args), strict=True))

    def any_layout(name: str) -> types.Array:
        t = typed[name]
        return types.Array(t.dtype, t.ndim, "A", readonly=True)

    def own(t: types.Array | Any, ndim: int = 1) -> types.Array:
        return types.Array(t if not isinstance(t, types.Array) else t.dtype, ndim, "C")

    groups = {
        "bars": tuple(typed[f] for f in GROUPS["bars"]),
        "sig": tuple(any_layout(f) for f in GROUPS["sig"]),
        "spec": tuple(any_layout(f) for f in GROUPS["spec"]),
        "risk": tuple(any_layout(f) for f in GROUPS["risk"]),
        "costs": tuple(any_layout(f) for f in GROUPS["costs"][:8])
        + tuple(own(typed[f]) for f in GROUPS["costs"][8:]),
        "marks": tuple(typed[f] for f in GROUPS["marks"]),
    }
    f8, i8 = types.float64, types.int64
    state = (own(i8), own(f8, 2), own(i8, 2), own(f8), own(i8), own(f8, 2))
    records = tuple(own(numba.from_dtype(dt)) for dt in (order_dt, fill_dt, trade_dt))
    return (
        types.Tuple(groups["bars"]),
        types.Tuple(groups["sig"]),
        types.Tuple(groups["spec"]),
        any_layout("size"),
        types.Tuple(groups["risk"]),
        types.Tuple(groups["costs"]),
        own(typed["cfg"]),
        own(typed["icfg"]),
        types.Tuple(state),
        types.Tuple(records),
        types.Tuple(groups["marks"]),
        types.UniTuple(own(f8), 2),
    )


def _records_made(buffer: np.ndarray, count: int) -> np.ndarray:
    """The first ``count`` records of an unzeroed ``buffer``, copied field by field into zeroed
    records: the result keeps the records it made, not room sized for a busy run, and the
    padding between fields is zeros, never what the memory held before.

    Examples
    --------
    >>> buf = np.empty(4, dtype=trade_dt)
    >>> buf["size"] = 2.0
    >>> out = _records_made(buf, 1)
    >>> out.shape, out["size"].tolist()
    ((1,), [2.0])
    """
    out = np.zeros(count, dtype=buffer.dtype)
    for name in buffer.dtype.names:
        out[name] = buffer[name][:count]
    return out


def simulate_simple(args: SimArgs) -> tuple:
    """``simulate_nb(*args)`` for the common case (:func:`simple_case` must hold): the state and
    record buffers built here, then :func:`simple_loop_nb`, compiled once per mix of dtypes and
    dimensions, for the argument types the fused sweep passes it (one compile serves both).
    Returns what :func:`soltrader.sim._nb.simulate_nb` returns."""
    return _simulate_simple(args)[0]


def simulate_simple_equity(args: SimArgs) -> tuple[tuple, int]:
    """:func:`simulate_simple` writing the equity curve only (as a sweep does): the same run,
    records and equity, without the cash, position and position-value curves (``args``' are
    not written; the returned ones have no rows). Also returns how many bars ended in the
    market (the bars with a position other than 0 in the full run's position curve)."""
    accounts, assets = args.cash_out.shape[1], args.pos_out.shape[1]
    lean = args._replace(
        cash_out=np.empty((0, accounts)),
        pos_out=np.empty((0, assets)),
        value_out=np.empty((0, assets)),
    )
    return _simulate_simple(lean)


def _simulate_simple(args: SimArgs) -> tuple[tuple, int]:
    """:func:`simulate_simple`'s output and the bars that ended in the market."""
    args = kernel_args(args)
    key = tuple((value.dtype.char, value.ndim) for value in args)
    kernel = _KERNELS.get(key)
    if kernel is None:
        sig = _loop_signature(args)
        simple_loop_nb.compile(sig)
        kernel = _KERNELS[key] = simple_loop_nb.overloads[sig].entry_point
    values = args._asdict()
    tiers = tuple(np.array(values[f], dtype=np.float64) for f in GROUPS["costs"][8:])
    groups = {p: tuple(values[f] for f in fields) for p, fields in GROUPS.items()}
    groups["costs"] = groups["costs"][:8] + tiers
    state = one_asset_state(float(args.account_cash[0]))
    icfg = np.array(args.icfg, dtype=np.int64)
    caps = icfg[[I_CAP_ORDERS, I_CAP_FILLS, I_CAP_TRADES]]
    dtypes = (order_dt, fill_dt, trade_dt)
    # every record the loop counts is written whole (_order, _fill, _trade): no zeroing needed
    records = tuple(np.empty(c, dtype=dt) for c, dt in zip(caps, dtypes, strict=True))
    no_curve = (np.empty(0), np.empty(N_CURVE_STATE))  # the statistics run on demand
    in_market = kernel(
        groups["bars"], groups["sig"], groups["spec"], values["size"], groups["risk"],
        groups["costs"], np.array(args.cfg, dtype=np.float64), icfg, state, records,
        groups["marks"], no_curve,
    )  # fmt: skip
    cnt = state[4]
    orders, fills, trades = (
        _records_made(r, min(c, len(r))) for r, c in zip(records, cnt[:3], strict=True)
    )
    return (orders, fills, trades, *groups["marks"], cnt), int(in_market)


def simulate_one_simple_nb(
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
    """:func:`soltrader.sim.lean.simulate_one_nb` for a combination of the common case (the
    sweep's plan checks its configuration); declines (returns -1) when the strategy's signals
    hold a short entry or exit, which only the general kernel simulates. Runs the statistics'
    first pass as it marks the equity (``curve_state``, started by the caller; the returns go
    to ``returns_out``)."""
    if n_signal_rows > 2:
        for t in range(close.shape[0]):
            if signals[2, t] or signals[3, t]:
                return -1
    bars, sig, spec, size, risk, costs, _sub, cfg = combo_inputs_nb(
        open_, high, low, close, volume, signals, n_signal_rows, levels, level_map, fcfg,
        sub_start,
    )  # fmt: skip
    state = one_asset_state_nb(fcfg[CASH_AT])
    _account_of, _fs, _js, _cash, cnt, _guard = state
    none = np.empty((0, 1))
    marks = (none, equity_out.reshape((close.shape[0], 1)), none, none)
    records = (orders, fills, trades)
    in_market = simple_loop_nb(bars, sig, spec, size, risk, costs, cfg, icfg, state, records,
                               marks, (returns_out, curve_state))  # fmt: skip
    copy_into_nb(counts_out, cnt)
    return in_market
