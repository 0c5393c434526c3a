"""The bar-by-bar simulation kernel (numba).

One call simulates ``m`` assets over ``n`` bars with one shared cash balance. Every rule below is
also stated, with its options, in :mod:`soltrader.sim.rules`; this module is the implementation.

Order of events inside bar ``t`` (the same for every asset, assets in column order):

1. **Open** (``fill=NEXT_OPEN``): market orders decided at the close of ``t-1`` execute at
   ``open[t]``; exits of every asset first, then entries, so freed cash can be reused.
2. **Intrabar**: protective exits of positions whose stops are armed for ``t``: stop-loss (or
   trailing stop) first, then take-profit (the conservative reading when both levels lie inside
   one bar). A level the bar *opens* beyond fills at the open (gap); otherwise at the level. A
   trailing stop's reference is raised to the bar's high (lowered to its low for shorts) only after
   the check, so a bar cannot both move and hit its own stop.
3. **Close**: the signals of bar ``t`` are read. ``fill=CLOSE`` executes them at ``close[t]``
   (explicit opt-in: the decision and the fill share one price); ``fill=NEXT_OPEN`` queues them
   for step 1 of ``t+1``. With ``fill=CLOSE`` an asset that was stopped out in ``t`` ignores that
   bar's signals (one order per bar, as vectorbt).
4. **Mark**: equity = cash + sum of position x close.

Prices are in quote currency, sizes in base units, fees and cash in quote currency, fractions as
fractions (0.001 = 10 bps).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from soltrader.domain.records import fill_dt, order_dt, trade_dt

# fill modes
FILL_CLOSE = 0
FILL_NEXT_OPEN = 1
# stop anchors
ANCHOR_FILL = 0
ANCHOR_SIGNAL_CLOSE = 1
# size types
SIZE_PERCENT = 0
SIZE_AMOUNT = 1
SIZE_VALUE = 2
# pending actions (next-open mode)
_NONE = 0
_ENTER_LONG = 1
_ENTER_SHORT = 2
_EXIT = 3
_REVERSE_TO_LONG = 4
_REVERSE_TO_SHORT = 5

# enum values (mirrors soltrader.domain.enums; numba needs plain ints)
_BUY = 1
_SELL = -1
_MARKET = 0
_LIMIT = 1
_STOP = 2
_FILLED = 0
_REJECTED = 2
_REJ_NONE = 0
_REJ_CASH = 1
_REJ_MIN_SIZE = 2
_R_ENTRY = -1
_R_SIGNAL = 0
_R_SL = 1
_R_TP = 2
_R_TRAIL = 3
_R_REVERSAL = 7
_R_END = 8

# Indices into the float state matrix ``st`` (one row per asset).
_POS = 0  # signed position, base units
_E_PRICE = 1  # average entry fill price
_E_FEES = 2  # entry fees still attributed to the open position
_SL_BASE = 3  # reference price of the stop-loss (peak/trough when trailing)
_SL = 4  # stop-loss distance as a fraction (NaN: none)
_TP_BASE = 5  # reference price of the take-profit
_TP = 6  # take-profit distance as a fraction (NaN: none)
_TRAIL = 7  # 1.0 if the stop-loss trails
_ANCHOR_CLOSE = 8  # close of the bar a pending order was decided on
_N_FLOAT = 9
# Indices into the int state matrix ``ist``.
_E_BAR = 0  # bar of the entry fill
_ARMED_FROM = 1  # first bar on which stops are checked
_PENDING = 2  # pending action for the next open
_PENDING_BAR = 3  # bar the pending action was decided on
_N_INT = 4


@njit(cache=True)
def _grow(buf: np.ndarray) -> np.ndarray:
    new = np.empty(buf.shape[0] * 2, dtype=buf.dtype)
    new[: buf.shape[0]] = buf
    return new


@njit(cache=True)
def _record_order(
    orders, k, asset, bar, side, otype, size, limit_price, stop_price, status, reject, filled, price, fees
):
    if k == orders.shape[0]:
        orders = _grow(orders)
    o = orders[k]
    o["id"] = k
    o["asset"] = asset
    o["account"] = 0
    o["bar"] = bar
    o["side"] = side
    o["type"] = otype
    o["size"] = size
    o["limit_price"] = limit_price
    o["stop_price"] = stop_price
    o["status"] = status
    o["reject_reason"] = reject
    o["filled_size"] = filled
    o["avg_price"] = price
    o["fees"] = fees
    return orders


@njit(cache=True)
def _record_fill(fills, k, order_id, asset, bar, side, size, price, fees, reason):
    if k == fills.shape[0]:
        fills = _grow(fills)
    f = fills[k]
    f["order_id"] = order_id
    f["asset"] = asset
    f["account"] = 0
    f["bar"] = bar
    f["side"] = side
    f["size"] = size
    f["price"] = price
    f["fees"] = fees
    f["reason"] = reason
    return fills


@njit(cache=True)
def _record_trade(trades, k, asset, direction, entry_bar, exit_bar, size, entry_price, exit_price,
                  entry_fees, exit_fees, reason, is_open):
    if k == trades.shape[0]:
        trades = _grow(trades)
    tr = trades[k]
    tr["id"] = k
    tr["asset"] = asset
    tr["account"] = 0
    tr["direction"] = direction
    tr["entry_bar"] = entry_bar
    tr["exit_bar"] = exit_bar
    tr["size"] = size
    tr["entry_price"] = entry_price
    tr["exit_price"] = exit_price
    tr["entry_fees"] = entry_fees
    tr["exit_fees"] = exit_fees
    gross = size * (exit_price - entry_price) * direction
    pnl = gross - entry_fees - exit_fees
    tr["pnl"] = pnl
    tr["ret"] = pnl / (size * entry_price + entry_fees)
    tr["exit_reason"] = reason
    tr["is_open"] = is_open
    return trades


@njit(cache=True)
def entry_size_nb(cash, adj_price, size, size_type, fees, fixed_fees):
    """Units bought (or sold short) and the cash it commits, limited by ``cash``.

    Returns ``(units, notional, fee)``; ``units == 0`` when the cash cannot even cover the fees.
    With ``SIZE_PERCENT`` the order commits ``size`` x cash including fees, exactly as vectorbt's
    all-cash order (``size=inf``) does: units = (cash_limit - fixed_fees) / (1 + fees) / price.
    """
    if size_type == SIZE_PERCENT:
        cash_limit = min(cash, size * cash)
        units = np.inf
    elif size_type == SIZE_VALUE:
        cash_limit = cash
        units = size / adj_price
    else:
        cash_limit = cash
        units = size
    if np.isfinite(units):
        notional = units * adj_price
        fee = notional * fees + fixed_fees
        if notional + fee <= cash_limit * (1.0 + 1e-12):
            return units, notional, fee
    max_notional = (cash_limit - fixed_fees) / (1.0 + fees)
    if max_notional <= 0.0:
        return 0.0, 0.0, 0.0
    return max_notional / adj_price, max_notional, cash_limit - max_notional


@njit(cache=True)
def _enter(
    j, t, direction, raw_price, anchor_close, cash, st, ist, size, size_type, fees, fixed_fees,
    slippage, min_size, sl_stop, tp_stop, sl_trail, stop_anchor, stop_entry_bar, fill_mode,
    orders, n_orders, fills, n_fills,
):
    """Open a position of ``direction`` (+1 long, -1 short) in asset ``j`` at ``raw_price``."""
    adj = raw_price * (1.0 + slippage * direction)
    units, notional, fee = entry_size_nb(cash, adj, size, size_type, fees, fixed_fees)
    side = _BUY if direction > 0 else _SELL
    if units <= 0.0 or units < min_size:
        reason = _REJ_CASH if units <= 0.0 else _REJ_MIN_SIZE
        orders = _record_order(orders, n_orders, j, t, side, _MARKET, size, np.nan, np.nan,
                               _REJECTED, reason, 0.0, np.nan, 0.0)
        return cash, orders, n_orders + 1, fills, n_fills
    orders = _record_order(orders, n_orders, j, t, side, _MARKET, units, np.nan, np.nan,
                           _FILLED, _REJ_NONE, units, adj, fee)
    fills = _record_fill(fills, n_fills, n_orders, j, t, side, units, adj, fee, _R_ENTRY)
    if direction > 0:
        cash = cash - (notional + fee)
    else:
        cash = cash + notional - fee
    st[j, _POS] = units * direction
    st[j, _E_PRICE] = adj
    st[j, _E_FEES] = fee
    ist[j, _E_BAR] = t
    base = adj if stop_anchor == ANCHOR_FILL else anchor_close
    st[j, _SL_BASE] = base
    st[j, _TP_BASE] = base
    st[j, _SL] = sl_stop
    st[j, _TP] = tp_stop
    st[j, _TRAIL] = 1.0 if sl_trail else 0.0
    # with fill at the close no price of bar t is left; at the open the rest of bar t follows
    if fill_mode == FILL_NEXT_OPEN and stop_entry_bar:
        ist[j, _ARMED_FROM] = t
    else:
        ist[j, _ARMED_FROM] = t + 1
    return cash, orders, n_orders + 1, fills, n_fills + 1


@njit(cache=True)
def _exit(j, t, raw_price, apply_slippage, otype, trigger, reason, cash, st, ist, fees,
          fixed_fees, slippage, orders, n_orders, fills, n_fills, trades, n_trades):
    """Close the whole position of asset ``j`` at ``raw_price`` and book the trade."""
    pos = st[j, _POS]
    direction = 1 if pos > 0 else -1
    units = abs(pos)
    adj = raw_price * (1.0 - slippage * direction) if apply_slippage else raw_price
    notional = units * adj
    fee = notional * fees + fixed_fees
    side = _SELL if direction > 0 else _BUY
    limit_price = trigger if otype == _LIMIT else np.nan
    stop_price = trigger if otype == _STOP else np.nan
    orders = _record_order(orders, n_orders, j, t, side, otype, units, limit_price, stop_price,
                           _FILLED, _REJ_NONE, units, adj, fee)
    fills = _record_fill(fills, n_fills, n_orders, j, t, side, units, adj, fee, reason)
    if direction > 0:
        cash = cash + notional - fee
    else:
        cash = cash - notional - fee
    trades = _record_trade(trades, n_trades, j, direction, ist[j, _E_BAR], t, units,
                           st[j, _E_PRICE], adj, st[j, _E_FEES], fee, reason, False)
    st[j, _POS] = 0.0
    st[j, _E_FEES] = 0.0
    st[j, _SL] = np.nan
    st[j, _TP] = np.nan
    return cash, orders, n_orders + 1, fills, n_fills + 1, trades, n_trades + 1


@njit(cache=True)
def stop_hit_nb(direction, level, is_loss_side, o, h, lo):
    """Fill price of a protective order at ``level`` in a bar (NaN if not touched).

    ``is_loss_side`` is True for a stop-loss (below a long, above a short) and False for a
    take-profit. A bar that opens beyond the level fills at the open (gap); one that trades
    through it fills at the level.
    """
    below = (direction > 0) == is_loss_side
    if below:
        if o <= level:
            return o
        if lo <= level:
            return level
    else:
        if o >= level:
            return o
        if h >= level:
            return level
    return np.nan


@njit(cache=True)
def simulate_nb(
    open_, high, low, close,
    long_entry, long_exit, short_entry, short_exit,
    size, size_type, fees, fixed_fees, slippage,
    sl_stop, tp_stop, sl_trail,
    init_cash, fill_mode, stop_anchor, stop_slippage, stop_entry_bar, min_size,
):
    """Simulate signals on ``m`` assets with shared cash; see the module docstring for the rules.

    Parameters
    ----------
    open_, high, low, close : ndarray (n, m) of float64
        Bar prices, quote currency.
    long_entry, long_exit, short_entry, short_exit : ndarray (n, m) of bool
        Decisions taken at each bar's close.
    size : ndarray (n, m) of float64
        Order size in the unit given by ``size_type`` (fraction of cash, base units or quote value).
    size_type : int
        ``SIZE_PERCENT``, ``SIZE_AMOUNT`` or ``SIZE_VALUE``.
    fees, fixed_fees, slippage : ndarray (n, m) of float64
        Fee as a fraction of notional, fixed fee per order (quote), slippage as a fraction.
    sl_stop, tp_stop : ndarray (n, m) of float64
        Stop-loss / take-profit distance as a fraction of the anchor price (NaN: none), taken from
        the bar the entry was decided on.
    sl_trail : ndarray (n, m) of bool
        Whether the stop-loss trails the best price since entry.
    init_cash : float
        Starting cash, quote currency.
    fill_mode, stop_anchor : int
        ``FILL_CLOSE`` / ``FILL_NEXT_OPEN``; ``ANCHOR_FILL`` / ``ANCHOR_SIGNAL_CLOSE``.
    stop_slippage, stop_entry_bar : bool
        Apply slippage to stop exits; arm stops on the entry bar itself (next-open fills only).
    min_size : float
        Orders smaller than this many base units are rejected.

    Returns
    -------
    tuple
        ``(orders, fills, trades, cash, position, equity)``: record arrays and per-bar cash (n,),
        positions (n, m) and equity (n,).
    """
    n, m = close.shape
    cash = init_cash
    st = np.full((m, _N_FLOAT), np.nan)
    st[:, _POS] = 0.0
    st[:, _E_FEES] = 0.0
    ist = np.zeros((m, _N_INT), dtype=np.int64)
    cap = 64 + n // 8
    orders = np.empty(cap, dtype=order_dt)
    fills = np.empty(cap, dtype=fill_dt)
    trades = np.empty(cap, dtype=trade_dt)
    n_orders = 0
    n_fills = 0
    n_trades = 0
    cash_out = np.empty(n)
    pos_out = np.empty((n, m))
    equity_out = np.empty(n)
    stopped = np.zeros(m, dtype=np.bool_)
    actions = np.zeros(m, dtype=np.int64)

    for t in range(n):
        # 1. open: pending market orders of the previous close (exits first, then entries)
        if fill_mode == FILL_NEXT_OPEN and t > 0:
            for phase in range(2):
                for j in range(m):
                    act = ist[j, _PENDING]
                    if act == _NONE:
                        continue
                    d = ist[j, _PENDING_BAR]
                    if phase == 0 and act >= _EXIT:
                        if st[j, _POS] != 0.0:
                            reason = _R_SIGNAL if act == _EXIT else _R_REVERSAL
                            cash, orders, n_orders, fills, n_fills, trades, n_trades = _exit(
                                j, t, open_[t, j], True, _MARKET, np.nan, reason, cash, st, ist,
                                fees[d, j], fixed_fees[d, j], slippage[d, j],
                                orders, n_orders, fills, n_fills, trades, n_trades)
                        if act == _EXIT:
                            ist[j, _PENDING] = _NONE
                        else:
                            ist[j, _PENDING] = _ENTER_LONG if act == _REVERSE_TO_LONG else _ENTER_SHORT
                    elif phase == 1 and (act == _ENTER_LONG or act == _ENTER_SHORT):
                        direction = 1 if act == _ENTER_LONG else -1
                        cash, orders, n_orders, fills, n_fills = _enter(
                            j, t, direction, open_[t, j], st[j, _ANCHOR_CLOSE], cash, st, ist,
                            size[d, j], size_type, fees[d, j], fixed_fees[d, j], slippage[d, j],
                            min_size, sl_stop[d, j], tp_stop[d, j], sl_trail[d, j], stop_anchor,
                            stop_entry_bar, fill_mode, orders, n_orders, fills, n_fills)
                        ist[j, _PENDING] = _NONE

        # 2. intrabar: stop-loss / trailing stop first, then take-profit
        for j in range(m):
            stopped[j] = False
            pos = st[j, _POS]
            if pos == 0.0 or t < ist[j, _ARMED_FROM]:
                continue
            direction = 1 if pos > 0 else -1
            o = open_[t, j]
            h = high[t, j]
            lo = low[t, j]
            price = np.nan
            level = np.nan
            reason = _R_SL
            otype = _STOP
            if not np.isnan(st[j, _SL]):
                level = st[j, _SL_BASE] * (1.0 - st[j, _SL] * direction)
                price = stop_hit_nb(direction, level, True, o, h, lo)
                if st[j, _TRAIL] > 0.0:
                    reason = _R_TRAIL
            if np.isnan(price) and not np.isnan(st[j, _TP]):
                level = st[j, _TP_BASE] * (1.0 + st[j, _TP] * direction)
                price = stop_hit_nb(direction, level, False, o, h, lo)
                reason = _R_TP
                otype = _LIMIT
            if not np.isnan(price):
                cash, orders, n_orders, fills, n_fills, trades, n_trades = _exit(
                    j, t, price, stop_slippage, otype, level, reason, cash, st, ist,
                    fees[t, j], fixed_fees[t, j], slippage[t, j],
                    orders, n_orders, fills, n_fills, trades, n_trades)
                stopped[j] = True
            elif st[j, _TRAIL] > 0.0 and not np.isnan(st[j, _SL]):
                if direction > 0 and h > st[j, _SL_BASE]:
                    st[j, _SL_BASE] = h
                elif direction < 0 and lo < st[j, _SL_BASE]:
                    st[j, _SL_BASE] = lo

        # 3. close: read the signals of bar t
        for j in range(m):
            actions[j] = _NONE
            if fill_mode == FILL_CLOSE and stopped[j]:
                continue
            le = long_entry[t, j]
            lx = long_exit[t, j]
            se = short_entry[t, j]
            sx = short_exit[t, j]
            if le and lx:
                le = False
                lx = False
            if se and sx:
                se = False
                sx = False
            if le and se:
                le = False
                se = False
            pos = st[j, _POS]
            if pos > 0.0:
                if se:
                    actions[j] = _REVERSE_TO_SHORT
                elif lx:
                    actions[j] = _EXIT
            elif pos < 0.0:
                if le:
                    actions[j] = _REVERSE_TO_LONG
                elif sx:
                    actions[j] = _EXIT
            else:
                if le:
                    actions[j] = _ENTER_LONG
                elif se:
                    actions[j] = _ENTER_SHORT
        if fill_mode == FILL_NEXT_OPEN:
            for j in range(m):
                if actions[j] != _NONE:
                    ist[j, _PENDING] = actions[j]
                    ist[j, _PENDING_BAR] = t
                    st[j, _ANCHOR_CLOSE] = close[t, j]
        else:
            for j in range(m):
                act = actions[j]
                if act >= _EXIT and st[j, _POS] != 0.0:
                    reason = _R_SIGNAL if act == _EXIT else _R_REVERSAL
                    cash, orders, n_orders, fills, n_fills, trades, n_trades = _exit(
                        j, t, close[t, j], True, _MARKET, np.nan, reason, cash, st, ist,
                        fees[t, j], fixed_fees[t, j], slippage[t, j],
                        orders, n_orders, fills, n_fills, trades, n_trades)
            for j in range(m):
                act = actions[j]
                if act == _ENTER_LONG or act == _REVERSE_TO_LONG:
                    direction = 1
                elif act == _ENTER_SHORT or act == _REVERSE_TO_SHORT:
                    direction = -1
                else:
                    continue
                cash, orders, n_orders, fills, n_fills = _enter(
                    j, t, direction, close[t, j], close[t, j], cash, st, ist,
                    size[t, j], size_type, fees[t, j], fixed_fees[t, j], slippage[t, j],
                    min_size, sl_stop[t, j], tp_stop[t, j], sl_trail[t, j], stop_anchor,
                    stop_entry_bar, fill_mode, orders, n_orders, fills, n_fills)

        # 4. mark to market
        value = cash
        for j in range(m):
            pos_out[t, j] = st[j, _POS]
            value += st[j, _POS] * close[t, j]
        cash_out[t] = cash
        equity_out[t] = value

    # open positions are marked at the last close, not closed
    for j in range(m):
        pos = st[j, _POS]
        if pos != 0.0:
            direction = 1 if pos > 0 else -1
            trades = _record_trade(trades, n_trades, j, direction, ist[j, _E_BAR], -1, abs(pos),
                                   st[j, _E_PRICE], close[n - 1, j], st[j, _E_FEES], 0.0, _R_END,
                                   True)
            n_trades += 1
    return (orders[:n_orders], fills[:n_fills], trades[:n_trades], cash_out, pos_out, equity_out)
