"""The bar-by-bar simulation kernel (numba).

One call simulates ``m`` assets over ``n`` bars. Assets belong to accounts (sub-accounts of one
portfolio); an asset's orders spend only its own account's cash. Every rule is stated, with its
options, in :mod:`soltrader.sim.rules`; this module implements them.

Order of events inside bar ``t`` for each asset (assets in column order, exits before entries):

1. **Open**: pending market orders (decided at the close of ``t-1`` with ``fill=NEXT_OPEN``, or
   remainders of volume-capped fills) execute at ``open[t]``: exits first, then entries.
2. **Intrabar**: resting entry orders (limit, stop, stop-limit) are checked against the bar;
   positions armed for ``t`` (with ``I_STOPS_IN_FILL_BAR`` a position opened in step 1 or 2 of
   this bar is armed already) check their loss side (stop-loss / trailing stop / liquidation,
   whichever level is nearer the price first), then the partial take-profit, then the
   take-profit. A level the bar opens beyond fills at the open, whichever side it is on;
   otherwise at the level. After a resting fill inside the bar only what certainly followed the
   fill counts for the profit side (see ``_protect``). A trailing reference moves to the bar's
   high (low for shorts) only after the checks.
3. **Close**: time stops, then the signals of bar ``t`` (an entry of a ruined account is not
   placed, see ``_ruined``): ``fill=CLOSE`` executes market orders at
   ``close[t]``, ``fill=NEXT_OPEN`` queues them for ``t+1``; limit and stop orders always rest from
   ``t+1`` (never inside their decision bar). With ``fill=CLOSE`` an asset that exited inside the
   bar ignores that bar's signals (one order per bar, as vectorbt).
4. **Mark**: per account, equity = cash + sum of position values (margin + unrealised P&L).

Units: prices in quote currency, sizes in base units, cash and fees in quote currency, fractions
as fractions (0.001 = 10 bps), times in bars.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
from numba import njit, types

from soltrader.costs._nb import (
    amm_quote_in_nb,
    amm_quote_out_nb,
    amm_reserves_nb,
    impact_fraction_nb,
    uniform_nb,
)
from soltrader.domain.records import fill_dt, order_dt, trade_dt
from soltrader.risk.nb import guard_step_nb

# ---- modes -------------------------------------------------------------------------------
FILL_CLOSE = np.int64(0)
FILL_NEXT_OPEN = np.int64(1)
ANCHOR_FILL = np.int64(0)
ANCHOR_SIGNAL_CLOSE = np.int64(1)
SIZE_PERCENT = np.int64(0)
SIZE_AMOUNT = np.int64(1)
SIZE_VALUE = np.int64(2)
# entry order types (= domain.enums.OrderType)
MARKET = np.int64(0)
LIMIT = np.int64(1)
STOP = np.int64(2)
STOP_LIMIT = np.int64(3)

# ---- scalar configuration: indices into cfg (float) and icfg (int) -------------------------
C_MIN_SIZE = np.int64(0)
C_MAX_VOLUME_SHARE = np.int64(1)  # 0: no cap
C_LEVERAGE = np.int64(2)
C_MAINT_MARGIN = np.int64(3)
C_FAIL_RATE = np.int64(4)
C_IMPACT_K1 = np.int64(5)
C_IMPACT_K2 = np.int64(6)
C_AMM_FEE = np.int64(7)
C_SOFT_DD = np.int64(8)  # risk guards (inf: off), see _guard_after_mark
C_SOFT_MULT = np.int64(9)
C_HARD_DD = np.int64(10)
C_DAILY_LOSS = np.int64(11)
C_MAX_EXPOSURE = np.int64(12)  # net notional per asset, fraction of the account's value
C_MAX_HEAT = np.int64(13)  # open risk (loss at every stop), fraction of the account's value
C_REDUCE_MULT = np.int64(14)  # entry size multiplier in the REDUCE control mode
C_MAX_CORR = np.int64(15)  # largest direction-adjusted return correlation with an open position
C_SHORT_LIQ = np.int64(16)  # 1: a short without leverage is liquidated when its margin is gone
N_CFG = np.int64(17)
I_SIZE_TYPE = np.int64(0)
I_FILL_MODE = np.int64(1)
I_STOP_ANCHOR = np.int64(2)
I_STOP_SLIPPAGE = np.int64(3)
I_STOPS_IN_FILL_BAR = np.int64(4)
I_COOLDOWN = np.int64(5)
I_COOLDOWN_SAME_DIR = np.int64(6)
I_TRAIL_AFTER_PTP = np.int64(7)
I_IMPACT_MODEL = np.int64(8)
I_SEED = np.int64(9)
I_TIER_WINDOW = np.int64(10)
I_CAP_ORDERS = np.int64(11)  # record capacities: a run that needs more returns the counts
I_CAP_FILLS = np.int64(12)  # and is simply run again with room for all of them
I_CAP_TRADES = np.int64(13)
I_ACCUMULATE = np.int64(14)  # 1: entries in the direction of an open position add to it
I_RISK = np.int64(15)  # 1: the account guards of cfg[C_SOFT_DD:] and I_MAX_POSITIONS apply
I_MAX_POSITIONS = np.int64(16)  # most open positions over all assets (0: no limit)
I_CORR_OBS = np.int64(17)  # returns in the correlation window (bars)
I_ALLOW_PARTIAL = np.int64(18)  # 1: an amount entry larger than the cash fills in part
I_OPEN_FIRST = np.int64(19)  # 1: a bar opening beyond any protective level fills it at the open
# vectorbt's order model, switch by switch (see soltrader.sim.rules)
I_SHORT_PROCEEDS = np.int64(20)  # 1: short proceeds fund buys, unit-sized shorts uncapped
I_REVERSAL_ONE = np.int64(21)  # 1: a reversal at the close is one order (one fixed fee)
I_VALUE_NOTIONAL = np.int64(22)  # 1: size_type value is the notional, fees on top
I_STOP_RESET_ADD = np.int64(23)  # 1: an add re-anchors the stop / target levels
I_CALL_COLUMNS = np.int64(24)  # call order: 0 exits first, CALL_COLUMNS, CALL_VALUE
I_SIZE_ALL = np.int64(25)  # 1: no size was given (an entry spends all it can: vectorbt's inf)
N_ICFG = np.int64(26)
CALL_COLUMNS = np.int64(1)  # each asset's orders of a bar in column order (vectorbt's default)
CALL_VALUE = np.int64(2)  # ... in the order of their approximate value (vectorbt's "auto")

# ---- enum values (mirror soltrader.domain.enums; numba needs plain ints) -------------------
_BUY = np.int64(1)
_SELL = np.int64(-1)
_FILLED = np.int64(0)
_PARTIAL = np.int64(1)
_REJECTED = np.int64(2)
_CANCELLED = np.int64(3)
_EXPIRED = np.int64(4)
_REJ_NONE = np.int64(0)
_REJ_CASH = np.int64(1)
_REJ_MIN_SIZE = np.int64(2)
_REJ_POST_ONLY = np.int64(3)
_REJ_TX_FAILED = np.int64(5)
_R_ENTRY = np.int64(-1)
_R_SIGNAL = np.int64(0)
_R_SL = np.int64(1)
_R_TP = np.int64(2)
_R_TRAIL = np.int64(3)
_R_TIME = np.int64(4)
_R_LIQ = np.int64(5)
_R_PTP = np.int64(6)
_R_REVERSAL = np.int64(7)
_R_END = np.int64(8)
_R_RISK = np.int64(9)
_REJ_RISK = np.int64(8)
_REJ_POSITIONS = np.int64(6)
_REJ_CONCENTRATION = np.int64(9)
_REJ_HEAT = np.int64(10)
_REJ_CORRELATION = np.int64(11)
_REJ_RUINED = np.int64(12)

# ---- per-asset state: float matrix fs (m, NF), int matrix js (m, NI) -----------------------
F_POS = np.int64(0)  # signed position, base units
F_E_PRICE = np.int64(1)  # average entry fill price
F_E_FEES = np.int64(2)  # entry costs not yet attributed to a closed part
F_MARGIN = np.int64(3)  # margin committed to the position (quote)
F_SL_BASE = np.int64(4)
F_SL = np.int64(5)
F_TP_BASE = np.int64(6)
F_TP = np.int64(7)
F_TRAIL = np.int64(8)
F_PTP = np.int64(9)  # partial take-profit distance (fraction), NaN: none
F_PTP_SIZE = np.int64(10)  # fraction of the initial position taken at the partial level
F_SIZE0 = np.int64(11)  # size of the position when it was opened (all entry chunks)
F_PE_REMAIN = np.int64(12)  # pending entry: units still to fill (NaN: not sized yet)
F_PE_LIMIT = np.int64(13)
F_PE_STOP = np.int64(14)
F_PE_ANCHOR = np.int64(15)  # close of the pending entry's decision bar
F_PX_REMAIN = np.int64(16)  # pending exit: units still to sell / buy back (NaN: none)
F_LOSS_LEVEL = np.int64(17)  # nearest loss-side level (stop or liquidation), +-inf: none
F_GAIN_LEVEL = np.int64(18)  # nearest profit-side level (partial or full take-profit)
F_PE_MULT = np.int64(19)  # size multiplier of the pending entry (risk guards; 1: none)
F_LEV = np.int64(20)  # leverage of the open position (from its first entry's decision bar)
F_CALL_KEY = np.int64(21)  # scratch: the approximate value of this bar's order (CALL_VALUE)
NF = np.int64(22)
J_E_BAR = np.int64(0)
J_ARMED_FROM = np.int64(1)
J_PE_TYPE = np.int64(2)  # -1: no pending entry
J_PE_DIR = np.int64(3)
J_PE_BAR = np.int64(4)  # decision bar of the pending entry (cost and risk parameters come from it)
J_PE_EXPIRE = np.int64(5)  # last bar the pending entry may fill (-1: good till cancelled)
J_PE_TAKER_OPEN = np.int64(6)  # 1 if a limit order was marketable when placed
J_PX_REASON = np.int64(7)
J_LAST_EXIT_BAR = np.int64(8)
J_LAST_EXIT_DIR = np.int64(9)
J_PTP_DONE = np.int64(10)
J_MAX_BARS = np.int64(11)
J_PE_ACTIVE = np.int64(12)  # first bar the pending entry may fill
J_PX_BAR = np.int64(13)
J_CALL_SEQ = np.int64(14)  # scratch: js[k, J_CALL_SEQ] is the k-th asset to act (CALL_VALUE)
NI = np.int64(15)


# numpy scalars, not Python literals: numba would compile one version of a helper per literal
# argument value it is called with; these type as plain int64 / bool everywhere.
_NO_BAR = np.int64(-1)
_TRUE = np.bool_(True)
_FALSE = np.bool_(False)


@njit(cache=True, _nrt=False)
def _order(
    buf, k, asset, account, decided, bar, side, otype, size, limit, stop, status, reject, filled,
    price, fees,
):  # fmt: skip
    """Write order record k: decided on bar ``decided``, ended (filled, rejected, cancelled,
    expired) on bar ``bar``; ``size`` is the size requested (NaN: never sized)."""
    if k >= buf.shape[0]:
        return  # counted anyway: the caller reruns with room for every record
    o = buf[k]
    o["id"] = k
    o["asset"] = asset
    o["account"] = account
    o["decision_bar"] = decided
    o["exec_bar"] = bar
    o["side"] = side
    o["type"] = otype
    o["requested_size"] = size
    o["limit_price"] = limit
    o["stop_price"] = stop
    o["status"] = status
    o["reject_reason"] = reject
    o["filled_size"] = filled
    o["avg_price"] = price
    o["fees"] = fees


@njit(cache=True, _nrt=False)
def _fill(buf, k, order_id, asset, account, bar, side, size, price, fees, reason):
    if k >= buf.shape[0]:
        return
    f = buf[k]
    f["order_id"] = order_id
    f["asset"] = asset
    f["account"] = account
    f["bar"] = bar
    f["side"] = side
    f["size"] = size
    f["price"] = price
    f["fees"] = fees
    f["reason"] = reason


@njit(cache=True, _nrt=False)
def _trade(
    buf,
    k,
    asset,
    account,
    direction,
    entry_bar,
    exit_bar,
    size,
    entry_price,
    exit_price,
    entry_fees,
    exit_fees,
    pnl,
    reason,
    is_open,
):
    if k >= buf.shape[0]:
        return
    tr = buf[k]
    tr["id"] = k
    tr["asset"] = asset
    tr["account"] = account
    tr["direction"] = direction
    tr["entry_bar"] = entry_bar
    tr["exit_bar"] = exit_bar
    tr["size"] = size
    tr["entry_price"] = entry_price
    tr["exit_price"] = exit_price
    tr["entry_fees"] = entry_fees
    tr["exit_fees"] = exit_fees
    tr["pnl"] = pnl
    cost = size * entry_price + entry_fees
    tr["ret"] = pnl / cost if cost > 0.0 else np.nan  # never raises, even at a zero price
    tr["exit_reason"] = reason
    tr["is_open"] = is_open


@njit(cache=True, _nrt=False)
def stop_hit_nb(direction, level, is_loss_side, o, h, lo):
    """Fill price of a protective order at ``level`` in one bar (NaN if not touched).

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


@njit(cache=True, _nrt=False)
def liquidation_price_nb(direction, entry_price, leverage, maint_margin):
    """Price at which an isolated-margin position's equity falls to its maintenance margin.

    Long: ``e * (1 - 1/L) / (1 - mm)``; short: ``e * (1 + 1/L) / (1 + mm)``. A long without
    leverage (``L == 1``) cannot be liquidated (returns NaN).
    """
    if direction > 0:
        if leverage <= 1.0:
            return np.nan
        return entry_price * (1.0 - 1.0 / leverage) / (1.0 - maint_margin)
    return entry_price * (1.0 + 1.0 / leverage) / (1.0 + maint_margin)


@njit(cache=True, _nrt=False)
def _liq_level(direction, entry_price, leverage, cfg):
    """Liquidation level of a position (NaN: none); with short proceeds credited to the cash
    (``cfg[C_SHORT_LIQ] == 0``) a short without leverage has no margin to exhaust."""
    if direction < 0 and leverage <= 1.0 and cfg[C_SHORT_LIQ] == 0.0:
        return np.nan
    return liquidation_price_nb(direction, entry_price, leverage, cfg[C_MAINT_MARGIN])


@njit(cache=True, _nrt=False)
def _exec_price(side, qty, ref, is_taker, slip, t, j, volume, sigma, amm_liq, amm_dx, cfg, icfg):
    """Average execution price of ``qty`` units at reference price ``ref`` (NaN if impossible:
    no price > 0)."""
    if not ref > 0.0:
        return np.nan
    liq = amm_liq[t, j]
    if not np.isnan(liq):
        x, y = amm_reserves_nb(liq, ref)
        x += amm_dx[j]
        if not x > 0.0:
            return np.nan
        y = liq * liq / x
        if side > 0:
            quote = amm_quote_in_nb(x, y, qty, cfg[C_AMM_FEE])
        else:
            quote = amm_quote_out_nb(x, y, qty, cfg[C_AMM_FEE])
        if not np.isfinite(quote) or quote <= 0.0:
            return np.nan
        return quote / qty
    if not is_taker:
        return ref
    frac = slip + impact_fraction_nb(
        icfg[I_IMPACT_MODEL], qty, volume[t, j], sigma[t, j], cfg[C_IMPACT_K1], cfg[C_IMPACT_K2]
    )
    price = ref * (1.0 + side * frac)
    return price if price > 0.0 else np.nan  # impact cannot push a sale to a price <= 0


@njit(cache=True, _nrt=False)
def _affordable_units(
    lev,
    budget,
    side,
    ref,
    is_taker,
    fee_rate,
    fixed,
    slip,
    t,
    j,
    volume,
    sigma,
    amm_liq,
    amm_dx,
    cfg,
    icfg,
):
    """Largest size whose margin + fees fit in ``budget`` (closed form without impact or AMM,
    bisection otherwise). Returns ``(units, notional, fee)``."""
    spend = budget - fixed
    if spend <= 0.0:
        return 0.0, 0.0, 0.0
    simple = np.isnan(amm_liq[t, j]) and (icfg[I_IMPACT_MODEL] == 0 or not is_taker)
    if simple:
        price = _exec_price(
            side, 1.0, ref, is_taker, slip, t, j, volume, sigma, amm_liq, amm_dx, cfg, icfg
        )
        notional = spend / (1.0 / lev + fee_rate)
        # spend exactly the budget, as vectorbt does for its all-cash orders
        return notional / price, notional, max(budget - notional / lev, 0.0)
    lo_q = 0.0
    hi_q = spend * lev / (ref * (1.0 - slip) if side < 0 else ref)
    for _ in range(80):
        mid = 0.5 * (lo_q + hi_q)
        p = _exec_price(
            side, mid, ref, is_taker, slip, t, j, volume, sigma, amm_liq, amm_dx, cfg, icfg
        )
        if np.isfinite(p) and mid * p * (1.0 / lev + fee_rate) <= spend:
            lo_q = mid
        else:
            hi_q = mid
    if lo_q <= 0.0:
        return 0.0, 0.0, 0.0
    p = _exec_price(
        side, lo_q, ref, is_taker, slip, t, j, volume, sigma, amm_liq, amm_dx, cfg, icfg
    )
    notional = lo_q * p
    return lo_q, notional, notional * fee_rate + fixed


@njit(cache=True, _nrt=False)
def _fee_rates(t, j, a, maker, taker, tier_vol, tier_maker, tier_taker, cum_notional, icfg):
    """(maker, taker) fee fractions for asset j of account a at bar t, volume tiers applied."""
    if tier_vol.shape[0] == 0:
        return maker[t, j], taker[t, j]
    w = icfg[I_TIER_WINDOW]
    start = t - w if t - w > 0 else 0
    traded = cum_notional[t, a] - cum_notional[start, a]
    k = 0
    for i in range(tier_vol.shape[0]):
        if traded >= tier_vol[i]:
            k = i
    return tier_maker[k], tier_taker[k]


# per-account guard state (the rows of ``guard``)
G_PEAK = np.int64(0)
G_DAY_START = np.int64(1)
G_DAY_LOW = np.int64(2)
G_HALTED = np.int64(3)
G_ALLOWED = np.int64(4)
G_MULT = np.int64(5)
G_REASON = np.int64(6)
G_EQUITY = np.int64(7)  # the account's value at the last close
G_CONTROL = np.int64(
    8
)  # control mode of the current bar (0 normal, 1 pause, 2 reduce, 3 emergency)
G_FLATTEN = np.int64(9)  # 1: flatten the account at this bar's close (or the next open)
G_RUINED = np.int64(10)  # 1: the account is ruined and places no more orders (see _ruined)
NG = np.int64(11)
_PAUSE = 1.0
_REDUCE = 2.0
_EMERGENCY = 3.0


# counters kept in one small array so helpers can advance them
K_ORDERS = np.int64(0)
K_FILLS = np.int64(1)
K_TRADES = np.int64(2)
K_EVENTS = np.int64(3)


@njit(cache=True, _nrt=False)
def _fee_rate(t, j, a, is_taker, costs, cum_notional, icfg):
    """Fee fraction of a fill: maker or taker, from the tier the account's volume has reached."""
    maker, taker, _fixed, _slip, _tx, _txf, _liq, _sig, tier_vol, tier_maker, tier_taker = costs
    mk, tk = _fee_rates(t, j, a, maker, taker, tier_vol, tier_maker, tier_taker, cum_notional, icfg)
    return tk if is_taker else mk


@njit(cache=True, _nrt=False)
def _tx_failed(j, d, a, cnt, costs, cash, cfg, icfg):
    """Draw whether this transaction fails; a failure pays its fee and fills nothing."""
    cnt[K_EVENTS] += 1
    if cfg[C_FAIL_RATE] > 0.0 and uniform_nb(icfg[I_SEED], cnt[K_EVENTS], j) < cfg[C_FAIL_RATE]:
        cash[a] -= costs[5][d, j]
        return True
    return False


@njit(cache=True, _nrt=False)
def _enter(
    j,
    t,
    ref,
    is_taker,
    fill_not_at_close,
    bars,
    size,
    risk,
    costs,
    account_of,
    fs,
    js,
    cash,
    cum_notional,
    amm_dx,
    cnt,
    orders,
    fills,
    cfg,
    icfg,
):
    """Execute (part of) the pending entry of asset ``j`` at reference price ``ref``."""
    _o, _h, _l, close, volume = bars
    _mk, _tk, fixed_fee, slippage, tx_cost, tx_fail, amm_liq, sigma, _tv, _tm, _tt = costs
    a = account_of[j]
    d = js[j, J_PE_BAR]
    direction = js[j, J_PE_DIR]
    otype = js[j, J_PE_TYPE]
    lim = fs[j, F_PE_LIMIT] if otype != MARKET else np.nan
    stp = fs[j, F_PE_STOP] if otype != MARKET else np.nan
    if np.isnan(fs[j, F_PE_REMAIN]):
        wanted_size = size[d, j] * fs[j, F_PE_MULT]  # scaled by a soft-drawdown guard
        qty_req, budget = _entry_request(
            j, a, wanted_size, direction, ref, fixed_fee[d, j] + tx_cost[d, j], account_of, fs,
            cash, icfg,
        )  # fmt: skip
    else:
        budget = cash[a]
        qty_req = fs[j, F_PE_REMAIN]
    asked = qty_req if np.isfinite(qty_req) else np.nan  # a budget order is sized at its fill
    if _tx_failed(j, d, a, cnt, costs, cash, cfg, icfg):
        _order(
            orders,
            cnt[K_ORDERS],
            j,
            a,
            d,
            t,
            direction,
            otype,
            asked,
            lim,
            stp,
            _REJECTED,
            _REJ_TX_FAILED,
            0.0,
            np.nan,
            tx_fail[d, j],
        )
        cnt[K_ORDERS] += 1
        _clear_entry(fs, js, j)  # a failed entry is dropped, not chased
        return
    fee_rate = _fee_rate(t, j, a, is_taker, costs, cum_notional, icfg)
    slip = slippage[d, j] if is_taker else 0.0
    lev = risk[6][d, j]
    qty, price, fee, status, rej, wanted, spent = _size_entry(
        lev,
        qty_req,
        budget,
        direction,
        ref,
        is_taker,
        fee_rate,
        fixed_fee[d, j] + tx_cost[d, j],
        slip,
        t,
        j,
        volume,
        sigma,
        amm_liq,
        amm_dx,
        cfg,
        icfg,
    )
    if direction < 0 and qty > 0.0 and not _sale_covers_fees(qty, price, fee, icfg):
        qty, rej = 0.0, _REJ_CASH
    k = cnt[K_ORDERS]
    cnt[K_ORDERS] += 1
    if qty <= 0.0:
        _order(
            orders,
            k,
            j,
            a,
            d,
            t,
            direction,
            otype,
            asked,
            lim,
            stp,
            _REJECTED,
            rej,
            0.0,
            np.nan,
            0.0,
        )
        _clear_entry(fs, js, j)
        return
    requested = asked if np.isfinite(asked) else wanted
    _book_entry(
        j, t, k, d, direction, otype, requested, lim, stp, _PARTIAL if qty < requested else status,
        qty, price, fee, spent, lev, fill_not_at_close, close, amm_liq, risk, account_of, fs, js,
        cash, cum_notional, amm_dx, cnt, orders, fills, cfg, icfg,
    )  # fmt: skip
    _after_entry(fs, js, j, status, wanted, qty)


@njit(cache=True, _nrt=False, inline="always")
def _book_entry(
    j, t, k, d, direction, otype, requested, lim, stp, status, qty, price, fee, spent, lev,
    fill_not_at_close, close, amm_liq, risk, account_of, fs, js, cash, cum_notional, amm_dx, cnt,
    orders, fills, cfg, icfg,
):  # fmt: skip
    """Book an entry fill of ``qty`` units at ``price`` with ``fee`` (``spent``: the cash it
    commits) as order record ``k`` decided on bar ``d``: the order and fill records, the
    position, and the protective levels of a position it opens (or re-anchored on an add)."""
    a = account_of[j]
    _order(
        orders, k, j, a, d, t, direction, otype, requested, lim, stp, status, _REJ_NONE, qty,
        price, fee,
    )  # fmt: skip
    _fill(fills, cnt[K_FILLS], k, j, a, t, direction, qty, price, fee, _R_ENTRY)
    cnt[K_FILLS] += 1
    if cum_notional.shape[0] > 1:
        cum_notional[t + 1, a] += qty * price
    _amm_move(j, t, direction, qty, amm_liq, amm_dx, close)
    was_flat = fs[j, F_POS] == 0.0
    _open_or_add(fs, js, j, t, direction, qty, price, fee, spent, cash, a)
    if was_flat:
        fs[j, F_LEV] = lev
        sl_stop, tp_stop, sl_trail, ptp_stop, ptp_size, max_bars, _lev, _part = risk
        _arm(
            fs, js, j, t, d, price, fs[j, F_PE_ANCHOR], sl_stop, tp_stop, sl_trail, ptp_stop,
            ptp_size, max_bars, icfg, fill_not_at_close,
        )  # fmt: skip
    elif icfg[I_STOP_RESET_ADD] != 0:
        _rearm_on_add(fs, j, d, price, fs[j, F_PE_ANCHOR], risk, icfg)
    _refresh_levels(fs, js, j, cfg)


@njit(cache=True, _nrt=False)
def _exit(
    j,
    t,
    d,
    qty_req,
    ref,
    is_taker,
    slip,
    otype,
    level,
    reason,
    bars,
    costs,
    account_of,
    fs,
    js,
    cash,
    cum_notional,
    amm_dx,
    cnt,
    orders,
    fills,
    trades,
    cfg,
    icfg,
):
    """Sell (or buy back) ``qty_req`` units of asset ``j``'s position at ``ref``; cost parameters
    from bar ``d``. A failed transaction or a volume-capped remainder stays pending for the next
    open. Returns whether the position is now closed."""
    _o, _h, _l, close, volume = bars
    _mk, _tk, fixed_fee, _slip, tx_cost, tx_fail, amm_liq, sigma, _tv, _tm, _tt = costs
    a = account_of[j]
    direction = np.int64(1) if fs[j, F_POS] > 0 else np.int64(-1)
    lim = level if otype == LIMIT else np.nan
    stp = level if otype == STOP else np.nan
    if _tx_failed(j, d, a, cnt, costs, cash, cfg, icfg):
        _order(
            orders,
            cnt[K_ORDERS],
            j,
            a,
            d,
            t,
            -direction,
            otype,
            qty_req,
            lim,
            stp,
            _REJECTED,
            _REJ_TX_FAILED,
            0.0,
            np.nan,
            tx_fail[d, j],
        )
        cnt[K_ORDERS] += 1
        _pend_exit(fs, js, j, qty_req, reason, d)
        return False
    fee_rate = _fee_rate(t, j, a, is_taker, costs, cum_notional, icfg)
    qty, price, fee, status, _rej = _size_exit(
        qty_req,
        -direction,
        ref,
        is_taker,
        fee_rate,
        fixed_fee[d, j] + tx_cost[d, j],
        slip,
        t,
        j,
        volume,
        sigma,
        amm_liq,
        amm_dx,
        cfg,
        icfg,
    )
    capped = False
    if direction > 0 and qty > 0.0 and not _sale_covers_fees(qty, price, fee, icfg):
        capped, qty = True, 0.0
    if icfg[I_SHORT_PROCEEDS] != 0 and direction < 0 and qty > 0.0:
        cash_v = cash[a] + _short_proceeds(a, account_of, fs)
        fixed = fixed_fee[d, j] + tx_cost[d, j]
        if not _fits(qty * price + fee, cash_v):
            capped = True  # vectorbt buys back what its cash (with the proceeds) can pay
            qty = (cash_v - fixed) / (1.0 + fee_rate) / price
            fee = qty * price * fee_rate + fixed
            status = _PARTIAL
    if capped and qty < cfg[C_MIN_SIZE]:
        qty = 0.0
    if qty <= 0.0:
        if capped:
            _order(
                orders, cnt[K_ORDERS], j, a, d, t, -direction, otype, qty_req, lim, stp,
                _REJECTED, _REJ_CASH, 0.0, np.nan, 0.0,
            )  # fmt: skip
            cnt[K_ORDERS] += 1
        return False
    if _book_exit(
        j, t, d, -direction, otype, qty_req, lim, stp, status, qty, price, fee, reason, close,
        amm_liq, account_of, fs, js, cash, cum_notional, amm_dx, cnt, orders, fills, trades,
    ):  # fmt: skip
        return True
    if status == _PARTIAL and reason != _R_PTP and not capped:
        _pend_exit(fs, js, j, qty_req - qty, reason, d)
    elif reason != _R_PTP:
        fs[j, F_PX_REMAIN] = np.nan
    return False


@njit(cache=True, _nrt=False, inline="always")
def _book_exit(
    j, t, d, side, otype, qty_req, lim, stp, status, qty, price, fee, reason, close, amm_liq,
    account_of, fs, js, cash, cum_notional, amm_dx, cnt, orders, fills, trades,
):  # fmt: skip
    """Book an exit fill of ``qty`` units at ``price`` with ``fee`` (an order decided on bar
    ``d`` for ``qty_req`` units, ``side`` the order's): the order, fill and trade records and the
    released cash. Returns whether the position is now closed."""
    a = account_of[j]
    k = cnt[K_ORDERS]
    _order(
        orders, k, j, a, d, t, side, otype, qty_req, lim, stp, status, _REJ_NONE, qty, price, fee,
    )  # fmt: skip
    cnt[K_ORDERS] += 1
    _fill(fills, cnt[K_FILLS], k, j, a, t, side, qty, price, fee, reason)
    cnt[K_FILLS] += 1
    if cum_notional.shape[0] > 1:
        cum_notional[t + 1, a] += qty * price
    _amm_move(j, t, side, qty, amm_liq, amm_dx, close)
    direction = np.int64(1) if fs[j, F_POS] > 0 else np.int64(-1)
    _close_part(fs, js, j, t, qty, price, fee, reason, cash, a, trades, cnt)
    if fs[j, F_POS] == 0.0:
        js[j, J_LAST_EXIT_BAR] = t
        js[j, J_LAST_EXIT_DIR] = direction
        return True
    return False


@njit(cache=True, _nrt=False)
def _pend_exit(fs, js, j, qty, reason, d):
    fs[j, F_PX_REMAIN] = qty
    js[j, J_PX_REASON] = reason
    js[j, J_PX_BAR] = d


@njit(cache=True, _nrt=False)
def _clear_entry(fs, js, j):
    js[j, J_PE_TYPE] = -1
    fs[j, F_PE_REMAIN] = np.nan


@njit(cache=True, _nrt=False)
def _signal_action(t, j, long_entry, long_exit, short_entry, short_exit, fs, js, icfg):
    """What the close of bar t asks of asset j: 0 nothing, 1 / -1 enter long / short, 2 exit,
    3 time stop, 4 reverse to long, -4 reverse to short. Resting entries to cancel are flagged
    by the caller."""
    pos = fs[j, F_POS]
    if (
        pos != 0.0
        and js[j, J_MAX_BARS] > 0
        and t - js[j, J_E_BAR] >= js[j, J_MAX_BARS]
        and np.isnan(fs[j, F_PX_REMAIN])
    ):
        return np.int64(3)
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
    adding = icfg[I_ACCUMULATE] != 0 and js[j, J_PE_TYPE] < 0
    if pos > 0.0:
        if se:
            return np.int64(-4)
        return np.int64(2) if lx else (np.int64(1) if le and adding else np.int64(0))
    if pos < 0.0:
        if le:
            return np.int64(4)
        return np.int64(2) if sx else (np.int64(-1) if se and adding else np.int64(0))
    if not (le or se):
        return np.int64(0)
    new_dir = np.int64(1) if le else np.int64(-1)
    cool = icfg[I_COOLDOWN]
    if (
        cool > 0
        and t - js[j, J_LAST_EXIT_BAR] < cool
        and (icfg[I_COOLDOWN_SAME_DIR] == 0 or js[j, J_LAST_EXIT_DIR] == new_dir)
    ):
        return np.int64(0)
    return new_dir


@njit(cache=True, _nrt=False, inline="always")
def _stop_level(fs, j, direction):
    """Asset j's stop-loss (or trailing stop) price: its distance ``F_SL`` from the anchor (or
    the trailing reference) ``F_SL_BASE`` on the loss side; NaN without a stop."""
    return fs[j, F_SL_BASE] * (1.0 - fs[j, F_SL] * direction)


@njit(cache=True, _nrt=False, inline="always")
def _target_level(fs, j, slot, direction):
    """Asset j's profit-side price for the distance in ``fs[j, slot]`` (``F_TP`` or ``F_PTP``)
    from the anchor ``F_TP_BASE``; NaN without one."""
    return fs[j, F_TP_BASE] * (1.0 + fs[j, slot] * direction)


@njit(cache=True, _nrt=False)
def _refresh_levels(fs, js, j, cfg):
    """Cache the nearest loss-side and profit-side levels of asset j's position, so that a bar
    that reaches neither is dismissed with two comparisons."""
    pos = fs[j, F_POS]
    direction = 1.0 if pos > 0 else -1.0
    loss = -np.inf * direction
    if not np.isnan(fs[j, F_SL]):
        loss = _stop_level(fs, j, direction)
    liq = _liq_level(direction, fs[j, F_E_PRICE], fs[j, F_LEV], cfg)
    if not np.isnan(liq) and (liq - loss) * direction > 0.0:
        loss = liq
    gain = np.inf * direction
    if not np.isnan(fs[j, F_PTP]) and js[j, J_PTP_DONE] == 0:
        gain = _target_level(fs, j, F_PTP, direction)
    if not np.isnan(fs[j, F_TP]):
        tp = _target_level(fs, j, F_TP, direction)
        if (gain - tp) * direction > 0.0:
            gain = tp
    fs[j, F_LOSS_LEVEL] = loss
    fs[j, F_GAIN_LEVEL] = gain


@njit(cache=True, _nrt=False)
def _trail(fs, js, j, h, lo, cfg):
    """Move a trailing stop's reference to the bar's extreme (after the bar's checks)."""
    if fs[j, F_TRAIL] > 0.0 and not np.isnan(fs[j, F_SL]) and fs[j, F_POS] != 0.0:
        if fs[j, F_POS] > 0 and h > fs[j, F_SL_BASE]:
            fs[j, F_SL_BASE] = h
            _refresh_levels(fs, js, j, cfg)
        elif fs[j, F_POS] < 0 and lo < fs[j, F_SL_BASE]:
            fs[j, F_SL_BASE] = lo
            _refresh_levels(fs, js, j, cfg)


@njit(cache=True, _nrt=False)
def _gain_first_nb(t, j, direction, loss_level, gain_level, sub):
    """Whether lower-timeframe bars inside bar t reach the profit-side level before the
    loss-side one. False without sub-bars, when the profit side is not reached, or when one
    sub-bar reaches both (then the conservative reading holds: loss first)."""
    sub_low, sub_high, sub_start = sub
    if not np.isfinite(gain_level):
        return False
    for k in range(sub_start[t], sub_start[t + 1]):
        lo = sub_low[k, j]
        h = sub_high[k, j]
        if direction > 0:
            loss = lo <= loss_level
            gain = h >= gain_level
        else:
            loss = h >= loss_level
            gain = lo <= gain_level
        if loss:
            return False
        if gain:
            return True
    return False


@njit(cache=True, _nrt=False)
def _protect(
    j,
    t,
    bars,
    costs,
    account_of,
    fs,
    js,
    cash,
    cum_notional,
    amm_dx,
    cnt,
    orders,
    fills,
    trades,
    cfg,
    icfg,
    sub,
    fill_ref,
):
    """Intrabar protective exits of an armed position: loss side (stop-loss, trailing stop or
    liquidation, nearest level first), then partial take-profit, then take-profit; then the
    trailing reference moves. A bar that opens beyond the profit side fills it at the open
    (``I_OPEN_FIRST``; else the loss side is still checked first). When both sides lie inside the
    bar, lower-timeframe bars (``sub``) decide which came first, if given; otherwise, and when a
    sub-bar holds both, the loss side. One protective fill per bar. Returns whether the position
    closed, or its protective order was refused (then it still was the bar's order).

    ``fill_ref`` is NaN, or the price at which a resting entry opened the position inside bar t
    (not at its open): only the bar after that fill counts, and it is known only in part. The
    loss side acts if the bar's range reaches it (conservative: the extreme may have come after
    the fill); the profit side only if the bar certainly reached it after the fill (the close
    beyond it, or the extreme on the side the price came from to the fill: a buy limit's low, a
    buy stop's high); the trailing reference moves as far as certain; sub-bars are not used."""
    open_, high, low, close, _v = bars
    o = open_[t, j]
    h = high[t, j]
    lo = low[t, j]
    gain_h = h  # the extremes the profit side may use
    gain_lo = lo
    if not np.isnan(fill_ref):
        if fill_ref < o:  # the price came down to the fill: the low came after it
            gain_h = max(fill_ref, close[t, j])
        else:  # up to it: the high came after it
            gain_lo = min(fill_ref, close[t, j])
        o = fill_ref
    pos = fs[j, F_POS]
    direction = np.int64(1) if pos > 0 else np.int64(-1)
    sl_level = np.nan
    if not np.isnan(fs[j, F_SL]):
        sl_level = _stop_level(fs, j, direction)
    liq_level = _liq_level(direction, fs[j, F_E_PRICE], fs[j, F_LEV], cfg)
    level = sl_level
    reason = _R_TRAIL if fs[j, F_TRAIL] > 0.0 else _R_SL
    if not np.isnan(liq_level) and (np.isnan(sl_level) or (liq_level - sl_level) * direction > 0.0):
        level = liq_level
        reason = _R_LIQ
    price = np.nan
    gain_gap = icfg[I_OPEN_FIRST] != 0 and (o - fs[j, F_GAIN_LEVEL]) * direction >= 0.0
    if not np.isnan(level) and not gain_gap:  # the open is the bar's first trade
        price = stop_hit_nb(direction, level, _TRUE, o, h, lo)
    if (
        not np.isnan(price)
        and price != o
        and np.isnan(fill_ref)
        and _gain_first_nb(t, j, direction, level, fs[j, F_GAIN_LEVEL], sub)
    ):
        price = np.nan  # the lower timeframe shows the profit side was reached first
    if not np.isnan(price) and reason == _R_LIQ:
        fee_rate = _fee_rate(t, j, account_of[j], _TRUE, costs, cum_notional, icfg)
        _liquidate(
            fs, js, j, account_of[j], t, price, level, fee_rate, cash, orders, fills, trades, cnt
        )
        js[j, J_LAST_EXIT_BAR] = t
        js[j, J_LAST_EXIT_DIR] = direction
        return True
    qty = abs(pos)
    is_taker = _TRUE
    otype = STOP
    if np.isnan(price) and not np.isnan(fs[j, F_PTP]) and js[j, J_PTP_DONE] == 0:
        level = _target_level(fs, j, F_PTP, direction)
        price = stop_hit_nb(direction, level, _FALSE, o, gain_h, gain_lo)
        if not np.isnan(price):
            reason = _R_PTP
            is_taker = _FALSE
            otype = LIMIT
            qty = min(abs(pos), fs[j, F_PTP_SIZE] * fs[j, F_SIZE0])
    if np.isnan(price) and not np.isnan(fs[j, F_TP]):
        level = _target_level(fs, j, F_TP, direction)
        price = stop_hit_nb(direction, level, _FALSE, o, gain_h, gain_lo)
        if not np.isnan(price):
            reason = _R_TP
            is_taker = _FALSE
            otype = LIMIT
    closed = False
    refused = False
    if not np.isnan(price):
        slip = costs[3][t, j] if (is_taker and icfg[I_STOP_SLIPPAGE] != 0) else 0.0
        closed = _exit(
            j,
            t,
            t,
            qty,
            price,
            is_taker,
            slip,
            otype,
            level,
            reason,
            bars,
            costs,
            account_of,
            fs,
            js,
            cash,
            cum_notional,
            amm_dx,
            cnt,
            orders,
            fills,
            trades,
            cfg,
            icfg,
        )
        # filled in part or refused for cash (vectorbt's cash model) and not left pending: it
        # still was the bar's one order
        refused = reason != _R_PTP and np.isnan(fs[j, F_PX_REMAIN])
        if reason == _R_PTP and not closed:
            js[j, J_PTP_DONE] = 1
            if icfg[I_TRAIL_AFTER_PTP] != 0 and not np.isnan(fs[j, F_SL]):
                fs[j, F_TRAIL] = 1.0
                fs[j, F_SL_BASE] = level
    if not closed and fs[j, F_POS] != 0.0:
        _refresh_levels(fs, js, j, cfg)
        _trail(fs, js, j, gain_h, gain_lo, cfg)
    return closed or refused


@njit(cache=True, _nrt=False)
def _close_actions(
    t,
    action,
    bars,
    size,
    risk,
    costs,
    order_type,
    limit_price,
    stop_price,
    tif,
    post_only,
    account_of,
    fs,
    js,
    cash,
    cum_notional,
    amm_dx,
    cnt,
    orders,
    fills,
    trades,
    cfg,
    icfg,
    guard,
):
    """Carry out the close-of-bar decisions in ``action`` (see :func:`_signal_action`): exits,
    time stops and reversals of every asset first, then entries. Only called on bars where some
    asset has something to do."""
    close = bars[3]
    slippage = costs[3]
    fill_mode = icfg[I_FILL_MODE]
    m = action.shape[0]
    for j in range(m):
        act = action[j]
        if act < 2 and act > -4:
            continue
        reason = _R_TIME if act == 3 else (_R_SIGNAL if act == 2 else _R_REVERSAL)
        if (
            (act == 4 or act == -4)
            and icfg[I_RISK] != 0
            and _entry_guarded(
                j,
                t,
                act,
                account_of,
                fs,
                js,
                guard,
                orders,
                cnt,
                cfg,
                icfg,
                close,
                size,
                risk[0],
                cash,
                risk[6],
            )
        ):
            act = np.int64(2)  # the guards refuse the new side: the reversal is a plain exit
            action[j] = act
        if (act == 4 or act == -4) and (
            icfg[I_REVERSAL_ONE] != 0 or icfg[I_ACCUMULATE] == 2
        ):  # vectorbt's one order (fill="close", market entries: checked by the wrapper)
            _net_order(
                j, t, np.int64(1) if act == 4 else np.int64(-1), icfg[I_ACCUMULATE] != 2, bars,
                size, risk, costs, account_of, fs, js, cash, cum_notional, cnt, orders, fills,
                trades, cfg, icfg,
            )  # fmt: skip
            continue
        if act == 4 or act == -4:  # the entry waits, queued, until the exit completes
            _queue_entry(
                fs,
                js,
                j,
                t,
                np.int64(1) if act == 4 else np.int64(-1),
                close,
                order_type,
                limit_price,
                stop_price,
                tif,
            )
            if icfg[I_RISK] != 0:
                fs[j, F_PE_MULT] = _entry_mult(guard, account_of[j], cfg)
        qty = abs(fs[j, F_POS])
        part = risk[7][t, j]
        if act == 2 and part < 1.0:  # a partial exit signal: that fraction of the position
            qty = qty * part
        if act == 2 and icfg[I_ACCUMULATE] == 2:  # accumulate="both": an exit sells its size
            qty = _reduce_qty(
                j, t, qty, size[t, j], close[t, j], costs, account_of, fs, cash, cum_notional, icfg
            )
        if fill_mode == FILL_NEXT_OPEN:
            _pend_exit(fs, js, j, qty, reason, t)
            continue
        closed = _exit(
            j,
            t,
            t,
            qty,
            close[t, j],
            _TRUE,
            slippage[t, j],
            MARKET,
            np.nan,
            reason,
            bars,
            costs,
            account_of,
            fs,
            js,
            cash,
            cum_notional,
            amm_dx,
            cnt,
            orders,
            fills,
            trades,
            cfg,
            icfg,
        )
        if closed and (act == 4 or act == -4) and js[j, J_PE_TYPE] == MARKET:
            _enter(
                j,
                t,
                close[t, j],
                _TRUE,
                _FALSE,
                bars,
                size,
                risk,
                costs,
                account_of,
                fs,
                js,
                cash,
                cum_notional,
                amm_dx,
                cnt,
                orders,
                fills,
                cfg,
                icfg,
            )
    for j in range(m):
        act = action[j]
        if act != 1 and act != -1:
            continue
        if _ruined(j, t, act, close, costs, risk[6], account_of, fs, cash, guard, orders, cnt, cfg):
            continue
        if icfg[I_RISK] != 0 and _entry_guarded(
            j,
            t,
            act,
            account_of,
            fs,
            js,
            guard,
            orders,
            cnt,
            cfg,
            icfg,
            close,
            size,
            risk[0],
            cash,
            risk[6],
        ):
            continue
        _queue_entry(fs, js, j, t, act, close, order_type, limit_price, stop_price, tif)
        if icfg[I_RISK] != 0:
            fs[j, F_PE_MULT] = _entry_mult(guard, account_of[j], cfg)
        if js[j, J_PE_TYPE] == LIMIT and post_only[t, j] and js[j, J_PE_TAKER_OPEN] == 1:
            _close_entry(fs, js, j, t, account_of[j], _REJECTED, orders, cnt)
            if cnt[K_ORDERS] <= orders.shape[0]:
                orders[cnt[K_ORDERS] - 1]["reject_reason"] = _REJ_POST_ONLY
            continue
        if js[j, J_PE_TYPE] == MARKET and fill_mode == FILL_CLOSE:
            _enter(
                j,
                t,
                close[t, j],
                _TRUE,
                _FALSE,
                bars,
                size,
                risk,
                costs,
                account_of,
                fs,
                js,
                cash,
                cum_notional,
                amm_dx,
                cnt,
                orders,
                fills,
                cfg,
                icfg,
            )


@njit(cache=True, _nrt=False)
def _ruined(j, t, act, close, costs, lev, account_of, fs, cash, guard, orders, cnt, cfg):
    """Whether the account of asset j is ruined, so that the entry decided at bar t is not placed:
    it holds no position in any asset and its cash is below the smallest order it could place
    (``C_MIN_SIZE`` units at bar t's close, with margin, taker fee and fixed costs). Nothing can
    bring cash back to a flat account, so ruin is final; it is recorded once, as an entry order
    rejected with the reason ``RUINED``, and later entry decisions are ignored without a record."""
    a = account_of[j]
    if cfg[C_SHORT_LIQ] == 0.0:
        return False  # short proceeds credited to the cash: a short needs no cash (vectorbt's)
    if guard[a, G_RUINED] != 0.0:
        return True
    for k in range(fs.shape[0]):
        if account_of[k] == a and fs[k, F_POS] != 0.0:
            return False
    price = close[t, j]
    smallest = cfg[C_MIN_SIZE] * price * (1.0 / lev[t, j] + costs[1][t, j]) + costs[2][t, j]
    smallest += costs[4][t, j]
    if cash[a] > 0.0 and cash[a] >= smallest:
        return False
    guard[a, G_RUINED] = 1.0
    _order(
        orders, cnt[K_ORDERS], j, a, t, t, act, MARKET, np.nan, np.nan, np.nan, _REJECTED,
        _REJ_RUINED, 0.0, np.nan, 0.0,
    )  # fmt: skip
    cnt[K_ORDERS] += 1
    return True


@njit(cache=True, _nrt=False)
def _reduce_qty(j, t, held, wanted, ref, costs, account_of, fs, cash, cum_notional, icfg):
    """Units an exit signal sells (or buys back) with ``accumulate="both"``, as vectorbt's: its
    size in units, or in value at ``ref``; a percent size sells that fraction of a long, and buys
    back as much of a short as that fraction of the cash (with short proceeds) pays."""
    size_type = icfg[I_SIZE_TYPE]
    if size_type == SIZE_AMOUNT:
        return min(held, wanted)
    if size_type == SIZE_VALUE:
        return min(held, wanted / ref)
    if fs[j, F_POS] > 0.0:
        return held * min(wanted, 1.0)
    a = account_of[j]
    fee_rate = _fee_rate(t, j, a, _TRUE, costs, cum_notional, icfg)
    fixed = costs[2][t, j] + costs[4][t, j]
    price = ref * (1.0 + costs[3][t, j])
    cash_v = _vbt_add(cash[a], _short_proceeds(a, account_of, fs))
    if _fits(held * price * (1.0 + fee_rate) + fixed, wanted * cash_v):
        return held
    return max(wanted * cash_v - fixed, 0.0) / (1.0 + fee_rate) / price


@njit(cache=True, _nrt=False)
def _net_qty(j, t, side, reverse, ref, price, fee_rate, fixed, size, account_of, fs, cash, icfg):
    """Units of vectorbt's one order on ``side`` against asset j's open position at bar t's
    close (``price`` with slippage): a reversal (``reverse``) buys or sells the position plus the
    new entry's size; an opposite entry with ``accumulate="both"`` its size alone. Sized as
    vectorbt's ``signals_to_size_nb`` with ``buy_nb`` / ``sell_nb`` (lock_cash off): a size in
    units or value is taken as asked (a buy later limited by the cash), a percent of the cash is
    a fraction of the most the cash can buy, or can sell (the long position plus the free cash's
    short)."""
    a = account_of[j]
    held = abs(fs[j, F_POS])
    size_type = icfg[I_SIZE_TYPE]
    wanted = size[t, j]
    if size_type != SIZE_PERCENT:
        if size_type == SIZE_AMOUNT:
            units = wanted
        elif icfg[I_VALUE_NOTIONAL] != 0:
            units = wanted / ref  # vectorbt values an order at its price before slippage
        else:  # a value budget, fees included
            units = max(min(wanted, cash[a]) - fixed, 0.0) / (price * (1.0 + fee_rate))
        return held + units if reverse else units
    if side > 0:
        cash_v = _vbt_add(cash[a], _short_proceeds(a, account_of, fs))
        return max(wanted * cash_v - fixed, 0.0) / (1.0 + fee_rate) / price
    long_size = held if fs[j, F_POS] > 0.0 else 0.0
    free = cash[a] + long_size * price * (1.0 - fee_rate)
    if free <= 0.0:
        return wanted * long_size
    # a free cash below the fixed fee shortens the sale below the long position (as vectorbt's)
    return wanted * max(long_size + (free - fixed) / (price * (1.0 + fee_rate)), 0.0)


@njit(cache=True, _nrt=False)
def _net_order(
    j, t, side, reverse, bars, size, risk, costs, account_of, fs, js, cash, cum_notional, cnt,
    orders, fills, trades, cfg, icfg,
):  # fmt: skip
    """One market order on ``side`` at bar t's close against asset j's opposite position, as
    vectorbt books it: the part up to the position's size closes it, the rest opens a position on
    ``side``; one fixed fee, and the fees are split between the two parts by size. A buy the cash
    (with short proceeds) cannot pay in full is filled in part. Returns whether the position was
    closed."""
    close = bars[3]
    a = account_of[j]
    _mk, _tk, fixed_fee, slippage, tx_cost, _txf, _liq, _sig, _tv, _tmk, _ttk = costs
    fee_rate = _fee_rate(t, j, a, _TRUE, costs, cum_notional, icfg)
    fixed = fixed_fee[t, j] + tx_cost[t, j]
    price = close[t, j] * (1.0 + side * slippage[t, j])
    qty = _net_qty(
        j, t, side, reverse, close[t, j], price, fee_rate, fixed, size, account_of, fs, cash, icfg
    )
    requested = qty
    status = _FILLED
    if side > 0:
        cash_v = cash[a] + _short_proceeds(a, account_of, fs)
        if not _fits(qty * price * (1.0 + fee_rate) + fixed, cash_v):
            qty = (cash_v - fixed) / (1.0 + fee_rate) / price
            status = _PARTIAL
    k = cnt[K_ORDERS]
    cnt[K_ORDERS] += 1
    fee = qty * price * fee_rate + fixed
    if side < 0 and qty > 0.0 and not _sale_covers_fees(qty, price, fee, icfg):
        qty = 0.0
    if not qty > 0.0 or qty < cfg[C_MIN_SIZE]:
        reject = _REJ_CASH if qty <= 0.0 else _REJ_MIN_SIZE
        _order(orders, k, j, a, t, t, side, MARKET, requested, np.nan, np.nan, _REJECTED, reject,
               0.0, np.nan, 0.0)  # fmt: skip
        return False
    fee = qty * price * fee_rate + fixed
    _order(orders, k, j, a, t, t, side, MARKET, requested, np.nan, np.nan, status, _REJ_NONE, qty,
           price, fee)  # fmt: skip
    held = abs(fs[j, F_POS])
    closing = min(qty, held)
    opening = qty - closing
    fee_close = fee * closing / qty
    reason = _R_REVERSAL if reverse else _R_SIGNAL
    _fill(fills, cnt[K_FILLS], k, j, a, t, side, closing, price, fee_close, reason)
    cnt[K_FILLS] += 1
    direction = np.int64(1) if fs[j, F_POS] > 0 else np.int64(-1)
    _close_part(fs, js, j, t, closing, price, fee_close, reason, cash, a, trades, cnt)
    if fs[j, F_POS] != 0.0:
        return False
    js[j, J_LAST_EXIT_BAR] = t
    js[j, J_LAST_EXIT_DIR] = direction
    if opening > 0.0:
        fee_open = fee - fee_close
        _fill(fills, cnt[K_FILLS], k, j, a, t, side, opening, price, fee_open, _R_ENTRY)
        cnt[K_FILLS] += 1
        lev = risk[6][t, j]
        _open_or_add(fs, js, j, t, side, opening, price, fee_open, opening * price / lev + fee_open,
                     cash, a)  # fmt: skip
        fs[j, F_LEV] = lev
        sl_stop, tp_stop, sl_trail, ptp_stop, ptp_size, max_bars, _lev, _part = risk
        _arm(fs, js, j, t, t, price, close[t, j], sl_stop, tp_stop, sl_trail, ptp_stop, ptp_size,
             max_bars, icfg, _FALSE)  # fmt: skip
        _refresh_levels(fs, js, j, cfg)
    return True


@njit(cache=True, _nrt=False)
def _liquidated_on_entry_bar(
    j, t, close, costs, account_of, fs, js, cash, cum_notional, cnt, orders, fills, trades, cfg,
    icfg,
):  # fmt: skip
    """A position opened inside bar t, before its protective orders are armed, whose bar closes
    beyond its liquidation price was liquidated on the way from its fill to that close: the
    venue does not wait for our stops. It is liquidated at the liquidation price."""
    pos = fs[j, F_POS]
    direction = np.int64(1) if pos > 0 else np.int64(-1)
    liq = _liq_level(direction, fs[j, F_E_PRICE], fs[j, F_LEV], cfg)
    if np.isnan(liq) or (close[t, j] - liq) * direction > 0.0:
        return False
    a = account_of[j]
    fee_rate = _fee_rate(t, j, a, _TRUE, costs, cum_notional, icfg)
    _liquidate(fs, js, j, a, t, liq, liq, fee_rate, cash, orders, fills, trades, cnt)
    js[j, J_LAST_EXIT_BAR] = t
    js[j, J_LAST_EXIT_DIR] = direction
    return True


@njit(cache=True, _nrt=False)
def _entry_mult(guard, a, cfg):
    """Size multiplier of an entry decided now: the soft-drawdown guard's, times the REDUCE
    control mode's."""
    if guard[a, G_CONTROL] == _REDUCE:
        return guard[a, G_MULT] * cfg[C_REDUCE_MULT]
    return guard[a, G_MULT]


@njit(cache=True, _nrt=False)
def _intent_notional(j, t, a, close, size, cash, guard, cfg, icfg, lev):
    """Notional an entry decided at bar t would take (quote), from its size at that close."""
    wanted = size[t, j] * _entry_mult(guard, a, cfg)
    kind = icfg[I_SIZE_TYPE]
    if kind == SIZE_AMOUNT:
        return wanted * close[t, j]
    budget = _budget(wanted, kind, cash[a])
    return budget * lev[t, j]


@njit(cache=True, _nrt=False)
def _open_risk(a, t, close, account_of, fs, skip):
    """Loss of the account's open positions (but asset ``skip``) if every stop were hit (a
    position without a stop risks its whole value), quote."""
    total = 0.0
    for k in range(fs.shape[0]):
        pos = fs[k, F_POS]
        if pos == 0.0 or account_of[k] != a or k == skip:
            continue
        level = fs[k, F_LOSS_LEVEL]
        if np.isfinite(level):
            total += abs(pos) * max((close[t, k] - level) * (1.0 if pos > 0 else -1.0), 0.0)
        else:
            total += abs(pos) * close[t, k]
    return total


@njit(cache=True, _nrt=False)
def window_correlation_nb(close, t, j, k, obs):
    """Pearson correlation of the simple returns of columns j and k of ``close`` over the ``obs``
    bars ending at t (``close[i] / close[i - 1] - 1``, i = t - obs + 1 .. t); NaN with fewer
    bars or a constant series (as :func:`soltrader.risk.nb.tail_correlation_nb`)."""
    if obs < 2 or t - obs < 0:
        return np.nan
    mx = 0.0
    my = 0.0
    for i in range(t - obs + 1, t + 1):
        mx += close[i, j] / close[i - 1, j] - 1.0
        my += close[i, k] / close[i - 1, k] - 1.0
    mx /= obs
    my /= obs
    sxy = 0.0
    sxx = 0.0
    syy = 0.0
    for i in range(t - obs + 1, t + 1):
        dx = close[i, j] / close[i - 1, j] - 1.0 - mx
        dy = close[i, k] / close[i - 1, k] - 1.0 - my
        sxy += dx * dy
        sxx += dx * dx
        syy += dy * dy
    if sxx <= 0.0 or syy <= 0.0:
        return np.nan
    return sxy / np.sqrt(sxx * syy)


@njit(cache=True, _nrt=False)
def _correlated(j, t, direction, close, fs, cfg, icfg):
    """Whether an entry in asset j would correlate beyond ``C_MAX_CORR`` (direction-adjusted)
    with an open position in another asset, or the correlation cannot be measured yet."""
    for k in range(fs.shape[0]):
        pos = fs[k, F_POS]
        if k == j or pos == 0.0:
            continue
        corr = window_correlation_nb(close, t, j, k, icfg[I_CORR_OBS])
        if np.isnan(corr) or corr * direction * (1.0 if pos > 0 else -1.0) > cfg[C_MAX_CORR]:
            return True
    return False


@njit(cache=True, _nrt=False)
def _entry_guarded(j, t, act, account_of, fs, js, guard, orders, cnt, cfg, icfg, close, size,
                   sl_stop, cash, lev):  # fmt: skip
    """Whether the account guards refuse the entry decided for asset j at bar t (then recorded
    as a rejected order): a halted, daily-loss-blocked or ruined account (``RISK_LIMIT``); a new
    position beyond the most open positions (``POSITION_LIMIT``); a net notional in the asset
    beyond ``C_MAX_EXPOSURE`` of the account's value (``CONCENTRATION``); open risk at the stops
    beyond ``C_MAX_HEAT`` of it (``HEAT``). The entry's notional and risk are estimated at bar t's
    close from its size, the soft-drawdown multiplier and the leverage; the account's value is
    that of the last close."""
    if icfg[I_RISK] == 0:
        return False
    a = account_of[j]
    direction = np.int64(1) if act > 0 else np.int64(-1)
    reason = np.int64(-1)
    mode = guard[a, G_CONTROL]
    if guard[a, G_ALLOWED] == 0.0 or mode == _PAUSE or mode == _EMERGENCY:
        reason = _REJ_RISK
    elif icfg[I_MAX_POSITIONS] > 0:
        held = 0
        for k in range(fs.shape[0]):
            if k != j and (fs[k, F_POS] != 0.0 or js[k, J_PE_TYPE] >= 0):
                held += 1
        if held >= icfg[I_MAX_POSITIONS]:
            reason = _REJ_POSITIONS
    if reason < 0 and (np.isfinite(cfg[C_MAX_EXPOSURE]) or np.isfinite(cfg[C_MAX_HEAT])):
        equity = guard[a, G_EQUITY]
        notional = _intent_notional(j, t, a, close, size, cash, guard, cfg, icfg, lev)
        held_here = fs[j, F_POS] if act == 1 or act == -1 else 0.0  # a reversal closes it first
        net = held_here * close[t, j] + direction * notional
        if abs(net) > cfg[C_MAX_EXPOSURE] * equity:
            reason = _REJ_CONCENTRATION
        else:
            stop = sl_stop[t, j]
            intent_risk = notional * stop if np.isfinite(stop) else notional
            open_risk = _open_risk(a, t, close, account_of, fs, j if held_here == 0.0 else -1)
            if open_risk + intent_risk > cfg[C_MAX_HEAT] * equity:
                reason = _REJ_HEAT
    if reason < 0 and np.isfinite(cfg[C_MAX_CORR]) and _correlated(j, t, direction, close, fs,
                                                                    cfg, icfg):  # fmt: skip
        reason = _REJ_CORRELATION
    if reason < 0:
        return False
    _order(
        orders, cnt[K_ORDERS], j, a, t, t, direction, MARKET, np.nan, np.nan, np.nan, _REJECTED,
        reason, 0.0, np.nan, 0.0,
    )  # fmt: skip
    cnt[K_ORDERS] += 1
    return True


@njit(cache=True, _nrt=False)
def _guard_update(t, day, equity, guard, cfg):
    """Advance every account's guard state with its equity at bar t's close (``equity``: the
    (n, a) marks); returns whether some account must be flattened now."""
    flatten_any = False
    for a in range(guard.shape[0]):
        eq = equity[t, a]
        if t > 0 and day[t] != day[t - 1]:
            guard[a, G_DAY_START] = equity[t - 1, a]
            guard[a, G_DAY_LOW] = equity[t - 1, a]
        guard[a, G_PEAK] = max(guard[a, G_PEAK], eq)
        guard[a, G_DAY_LOW] = min(guard[a, G_DAY_LOW], eq)
        allowed, mult, flatten, reason = guard_step_nb(
            eq,
            guard[a, G_PEAK],
            guard[a, G_DAY_START],
            guard[a, G_DAY_LOW],
            guard[a, G_HALTED] != 0.0,
            cfg[C_SOFT_DD],
            cfg[C_SOFT_MULT],
            cfg[C_HARD_DD],
            cfg[C_DAILY_LOSS],
        )
        guard[a, G_EQUITY] = eq
        guard[a, G_ALLOWED] = 1.0 if allowed else 0.0
        guard[a, G_MULT] = mult
        guard[a, G_REASON] = reason
        if flatten and guard[a, G_HALTED] == 0.0:
            guard[a, G_HALTED] = 1.0
            guard[a, G_FLATTEN] = 1.0
        if guard[a, G_CONTROL] == _EMERGENCY:
            guard[a, G_FLATTEN] = 1.0
        flatten_any = flatten_any or guard[a, G_FLATTEN] != 0.0
    return flatten_any


@njit(cache=True, _nrt=False)
def _flatten_guarded(
    t, bars, costs, account_of, fs, js, cash, cum_notional, amm_dx, cnt, orders, fills, trades,
    cfg, icfg, guard,
):  # fmt: skip
    """Flatten every asset of the accounts marked ``G_FLATTEN`` (a hard drawdown just breached,
    or the EMERGENCY control mode): at bar t's close with ``fill=CLOSE``, else at the next open;
    resting or pending entries are cancelled."""
    close = bars[3]
    slippage = costs[3]
    for j in range(fs.shape[0]):
        a = account_of[j]
        if guard[a, G_FLATTEN] == 0.0:
            continue
        if js[j, J_PE_TYPE] >= 0 and fs[j, F_POS] == 0.0:
            _close_entry(fs, js, j, t, a, _CANCELLED, orders, cnt)
        qty = abs(fs[j, F_POS])
        if qty == 0.0:
            continue
        if icfg[I_FILL_MODE] == FILL_NEXT_OPEN:
            _pend_exit(fs, js, j, qty, _R_RISK, t)
            continue
        _exit(
            j, t, t, qty, close[t, j], _TRUE, slippage[t, j], MARKET, np.nan, _R_RISK, bars,
            costs, account_of, fs, js, cash, cum_notional, amm_dx, cnt, orders, fills, trades,
            cfg, icfg,
        )  # fmt: skip
    for a in range(guard.shape[0]):
        guard[a, G_FLATTEN] = 0.0


@njit(cache=True, _nrt=False, inline="always")
def _mark_nb(t, close, account_of, fs, cash, cash_out, equity_out, pos_out, value_out):
    """Mark bar t: cash, account values, positions and position values."""
    for a in range(cash.shape[0]):
        cash_out[t, a] = cash[a]
        equity_out[t, a] = cash[a]
    for j in range(fs.shape[0]):
        pos = fs[j, F_POS]
        pos_out[t, j] = pos
        if pos != 0.0:
            val = fs[j, F_MARGIN] + pos * (close[t, j] - fs[j, F_E_PRICE])
            value_out[t, j] = val
            equity_out[t, account_of[j]] += val
        else:
            value_out[t, j] = 0.0


@njit(cache=True, _nrt=False, inline="always")
def _intrabar_exits(
    j, t, bars, costs, sub, account_of, fs, js, cash, cum_notional, amm_dx, exited, cnt, orders,
    fills, trades, cfg, icfg, fill_ref,
):  # fmt: skip
    """Phase 2 of bar t for asset j's open position: its protective exits if the bar reaches a
    level (else the trailing reference moves), or its liquidation on the bar it was opened in;
    ``fill_ref``: see :func:`_protect`."""
    _o, high, low, close, _v = bars
    pos = fs[j, F_POS]
    if pos != 0.0 and t >= js[j, J_ARMED_FROM]:
        h = high[t, j]
        lo = low[t, j]
        if pos > 0.0:
            touched = lo <= fs[j, F_LOSS_LEVEL] or h >= fs[j, F_GAIN_LEVEL]
        else:
            touched = h >= fs[j, F_LOSS_LEVEL] or lo <= fs[j, F_GAIN_LEVEL]
        if touched or not np.isnan(fill_ref):
            closed = _protect(j, t, bars, costs, account_of, fs, js, cash, cum_notional, amm_dx,
                              cnt, orders, fills, trades, cfg, icfg, sub, fill_ref)  # fmt: skip
            exited[j] = exited[j] or closed
        elif fs[j, F_TRAIL] > 0.0:
            _trail(fs, js, j, h, lo, cfg)
    elif pos != 0.0 and js[j, J_E_BAR] == t and (pos < 0.0 or fs[j, F_LEV] > 1.0):
        exited[j] = _liquidated_on_entry_bar(j, t, close, costs, account_of, fs, js, cash,
                                             cum_notional, cnt, orders, fills, trades, cfg,
                                             icfg)  # fmt: skip


@njit(cache=True, _nrt=False)
def _close_decision(j, t, sig, account_of, fs, js, exited, cnt, orders, icfg):
    """What the close of bar t asks of asset j (see :func:`_signal_action`; 0 when it exited
    inside the bar with ``fill="close"``, or has nothing to do); a resting entry that an exit,
    a cancel or a new entry withdraws is cancelled here."""
    long_entry, long_exit, short_entry, short_exit, cancel = sig
    if icfg[I_FILL_MODE] == FILL_CLOSE and exited[j]:
        return np.int64(0)
    quiet = not (
        long_entry[t, j]
        or long_exit[t, j]
        or short_entry[t, j]
        or short_exit[t, j]
        or cancel[t, j]
        or js[j, J_MAX_BARS] > 0
    )
    if quiet:
        return np.int64(0)
    act = _signal_action(t, j, long_entry, long_exit, short_entry, short_exit, fs, js, icfg)
    resting = js[j, J_PE_TYPE] > MARKET and fs[j, F_POS] == 0.0
    if resting and (cancel[t, j] or long_exit[t, j] or short_exit[t, j] or act == 1 or act == -1):
        _close_entry(fs, js, j, t, account_of[j], _CANCELLED, orders, cnt)
    return act


@njit(cache=True, _nrt=False)
def _order_value(t, j, bars, sig, size, account_of, fs, js, cash, icfg):
    """The approximate value (quote, signed: sales negative) of the order asset j would place at
    bar t's close, as vectorbt's ``call_seq="auto"`` estimates it before any order of the bar:
    a stop exit, else the signal's order sized by ``signals_to_size_nb`` (a close or reversal in
    units, an entry or, with ``accumulate="both"``, a reduction in the size's own units), valued
    at the close (units), as given (value), or as a fraction of the cash (percent buys), of the
    long position (percent sales of a long) or of the most that can be sold. 0: no order."""
    _o, high, low, close, _v = bars
    long_entry, long_exit, short_entry, short_exit, _cancel = sig
    price = close[t, j]
    pos = fs[j, F_POS]
    if pos != 0.0 and t >= js[j, J_ARMED_FROM]:
        h, lo = high[t, j], low[t, j]
        if pos > 0.0:
            touched = lo <= fs[j, F_LOSS_LEVEL] or h >= fs[j, F_GAIN_LEVEL]
        else:
            touched = h >= fs[j, F_LOSS_LEVEL] or lo <= fs[j, F_GAIN_LEVEL]
        if touched:  # the stop or target closes the position; the signals are ignored
            return -pos * price
    act = _signal_action(t, j, long_entry, long_exit, short_entry, short_exit, fs, js, icfg)
    if act == 0:
        return 0.0
    size_type = icfg[I_SIZE_TYPE]
    wanted = size[t, j]
    if icfg[I_SIZE_ALL] != 0:
        size_type, wanted = SIZE_AMOUNT, np.inf
    held = abs(pos)
    reduce = icfg[I_ACCUMULATE] == 2
    one_way = pos != 0.0 and (act == 1 or act == -1 or (act == 2 and reduce))
    if act == 3 or (act == 2 and not reduce):  # close the position, in units
        order, size_type = -pos, SIZE_AMOUNT
    elif (act == 4 or act == -4) and not reduce:  # reverse: the position plus the entry
        units = wanted / price if size_type == SIZE_VALUE else wanted
        order, size_type = np.sign(act) * (held + units), SIZE_AMOUNT
    elif act == 2:  # accumulate="both": an exit sells (buys back) its size
        order = -np.sign(pos) * wanted
    else:  # an entry, an add, or an opposite entry that reduces
        order = np.sign(act) * wanted
    if order == 0.0:
        return 0.0
    if size_type == SIZE_AMOUNT:
        return order * price
    if size_type == SIZE_VALUE:
        return order
    a = account_of[j]
    if order >= 0.0:  # vectorbt's cash holds the short proceeds (``I_SHORT_PROCEEDS``)
        proceeds = _short_proceeds(a, account_of, fs) if icfg[I_SHORT_PROCEEDS] != 0 else 0.0
        return order * (cash[a] + proceeds)
    asset_value = pos * price
    if one_way and pos > 0.0:
        return order * asset_value
    return order * (2.0 * max(asset_value, 0.0) + max(cash[a], 0.0))


#: Approximate order values closer than this (relative) are ties for ``call_order="value"``.
CALL_TIE_REL = 1e-12


@njit(cache=True, _nrt=False, inline="always")
def _sorts_after(prev, key):
    """Whether an order of approximate value ``prev`` goes after one of ``key``: larger by more
    than :data:`CALL_TIE_REL` of the larger magnitude (an infinite one, all the cash, is larger
    than any finite one), or NaN."""
    if np.isnan(prev):
        return True
    if not prev > key:
        return False
    scale = max(abs(prev), abs(key))
    return scale == np.inf or prev - key > CALL_TIE_REL * scale


@njit(cache=True, _nrt=False)
def _value_call_seq(t, bars, sig, size, account_of, fs, js, cash, icfg):
    """vectorbt's ``call_seq="auto"`` for bar t: the assets in ascending order of their order's
    approximate value (:func:`_order_value`; sales first, to release cash), ties in column
    order, NaN last (its insertion sort), into ``js[:, J_CALL_SEQ]``.

    Values within :data:`CALL_TIE_REL` (1e-12) of each other are ties, where vectorbt compares
    exactly: after short sales our cash and sizes can differ from vectorbt's in the last bits
    (about 1e-16 relative, well inside the 1e-9 its orders are checked to), and two orders that
    are exactly equal for vectorbt (200 units of two assets at one close) would otherwise be
    ordered by that residue. With the tolerance they keep column order, as vectorbt's."""
    m = fs.shape[0]
    for j in range(m):
        fs[j, F_CALL_KEY] = _order_value(t, j, bars, sig, size, account_of, fs, js, cash, icfg)
        js[j, J_CALL_SEQ] = j
    for k in range(1, m):
        j = js[k, J_CALL_SEQ]
        key = fs[j, F_CALL_KEY]
        i = k - 1
        while i >= 0:
            prev = fs[js[i, J_CALL_SEQ], F_CALL_KEY]
            if not _sorts_after(prev, key):
                break
            js[i + 1, J_CALL_SEQ] = js[i, J_CALL_SEQ]
            i -= 1
        js[i + 1, J_CALL_SEQ] = j


@njit(cache=True, _nrt=False, inline="always")
def _new_bar_scratch(t, amm_dx, exited, cum_notional):
    """Reset the bar's scratch (our pool moves, exits done) and carry the traded notional."""
    for j in range(amm_dx.shape[0]):
        amm_dx[j] = 0.0
        exited[j] = False
    if cum_notional.shape[0] > 1:
        for a in range(cum_notional.shape[1]):
            cum_notional[t + 1, a] = cum_notional[t, a]


@njit(cache=True, _nrt=False, inline="always")
def _fill_phase(
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
):
    """The venue's part of bar t (phases 1-2, see the module docstring): pending market orders
    at the open, then resting entries and (exits-first call order) protective exits inside the
    bar; in the column call orders the protective exits run in :func:`_decide_phase`, asset by
    asset. Resets the bar's scratch (``amm_dx``, ``exited``) and carries the traded notional."""
    open_, high, low, _close, _volume = bars
    slippage = costs[3]
    m = open_.shape[1]
    _new_bar_scratch(t, amm_dx, exited, cum_notional)
    # 1. open: pending exits of every asset, then pending market entries
    for j in range(m):
        if not np.isnan(fs[j, F_PX_REMAIN]) and fs[j, F_POS] != 0.0:
            d = js[j, J_PX_BAR]
            closed = _exit(
                j,
                t,
                d,
                fs[j, F_PX_REMAIN],
                open_[t, j],
                _TRUE,
                slippage[d, j],
                MARKET,
                np.nan,
                js[j, J_PX_REASON],
                bars,
                costs,
                account_of,
                fs,
                js,
                cash,
                cum_notional,
                amm_dx,
                cnt,
                orders,
                fills,
                trades,
                cfg,
                icfg,
            )
            exited[j] = closed
    for j in range(m):
        if js[j, J_PE_TYPE] == MARKET and _entry_allowed(fs, js, j, icfg):
            _enter(
                j,
                t,
                open_[t, j],
                _TRUE,
                _TRUE,
                bars,
                size,
                risk,
                costs,
                account_of,
                fs,
                js,
                cash,
                cum_notional,
                amm_dx,
                cnt,
                orders,
                fills,
                cfg,
                icfg,
            )
    # 2. intrabar: resting entries, then protective exits
    for j in range(m):
        ptype = js[j, J_PE_TYPE]
        fill_ref = np.nan  # price of a resting fill inside the bar that opened the position
        if ptype > MARKET and _entry_allowed(fs, js, j, icfg) and t >= js[j, J_PE_ACTIVE]:
            if js[j, J_PE_EXPIRE] >= 0 and t > js[j, J_PE_EXPIRE]:
                _close_entry(fs, js, j, t, account_of[j], _EXPIRED, orders, cnt)
            else:
                ref, is_taker = _resting_entry(fs, js, j, t, open_[t, j], high[t, j], low[t, j])
                if not np.isnan(ref):
                    if fs[j, F_POS] == 0.0 and ref != open_[t, j]:
                        fill_ref = ref
                    _enter(
                        j,
                        t,
                        ref,
                        is_taker,
                        _TRUE,
                        bars,
                        size,
                        risk,
                        costs,
                        account_of,
                        fs,
                        js,
                        cash,
                        cum_notional,
                        amm_dx,
                        cnt,
                        orders,
                        fills,
                        cfg,
                        icfg,
                    )
        if icfg[I_CALL_COLUMNS] == 0:
            _intrabar_exits(j, t, bars, costs, sub, account_of, fs, js, cash, cum_notional,
                            amm_dx, exited, cnt, orders, fills, trades, cfg, icfg,
                            fill_ref)  # fmt: skip


# what a real venue did with a pending market order (= domain.state.OutcomeState)
_OUT_FILLED = np.int64(1)
_OUT_REFUSED = np.int64(2)


@njit(cache=True, _nrt=False)
def _venue_exit(j, t, out, close, amm_liq, account_of, fs, js, cash, cum_notional, amm_dx,
                exited, cnt, orders, fills, trades):  # fmt: skip
    """Asset j's pending exit as the venue reported it: booked at the venue's size, price and
    fees (a rest it did not execute is not chased), or, refused, decided again at bar t's close
    (a new exit intent) with a rejected order record."""
    state = out["exit_state"]
    if state != _OUT_FILLED and state != _OUT_REFUSED:
        return
    d = js[j, J_PX_BAR]
    qty_req = fs[j, F_PX_REMAIN]
    reason = js[j, J_PX_REASON]
    side = np.int64(-1) if fs[j, F_POS] > 0 else np.int64(1)
    if state == _OUT_REFUSED:
        _order(orders, cnt[K_ORDERS], j, account_of[j], d, t, side, MARKET, qty_req, np.nan,
               np.nan, _REJECTED, _REJ_TX_FAILED, 0.0, np.nan, 0.0)  # fmt: skip
        cnt[K_ORDERS] += 1
        _pend_exit(fs, js, j, qty_req, reason, t)
        return
    qty = out["exit_size"]
    status = _PARTIAL if qty < qty_req else _FILLED
    exited[j] = _book_exit(
        j, t, d, side, MARKET, qty_req, np.nan, np.nan, status, qty, out["exit_price"],
        out["exit_fees"], reason, close, amm_liq, account_of, fs, js, cash, cum_notional, amm_dx,
        cnt, orders, fills, trades,
    )  # fmt: skip
    if not exited[j] and reason != _R_PTP:
        fs[j, F_PX_REMAIN] = np.nan


@njit(cache=True, _nrt=False)
def _venue_entry(j, t, out, close, amm_liq, risk, account_of, fs, js, cash, cum_notional,
                 amm_dx, cnt, orders, fills, cfg, icfg):  # fmt: skip
    """Asset j's pending market entry as the venue reported it: booked at the venue's size,
    price and fees, or, refused, dropped with a rejected order record (not chased)."""
    state = out["entry_state"]
    if state != _OUT_FILLED and state != _OUT_REFUSED:
        return
    d = js[j, J_PE_BAR]
    direction = js[j, J_PE_DIR]
    k = cnt[K_ORDERS]
    cnt[K_ORDERS] += 1
    if state == _OUT_REFUSED:
        _order(orders, k, j, account_of[j], d, t, direction, MARKET, np.nan, np.nan, np.nan,
               _REJECTED, _REJ_TX_FAILED, 0.0, np.nan, 0.0)  # fmt: skip
        _clear_entry(fs, js, j)
        return
    qty, price, fee = out["entry_size"], out["entry_price"], out["entry_fees"]
    lev = risk[6][d, j]
    # the cash it commits; an all-in entry commits exactly the cash (no rounding below zero)
    spent = min(qty * price / lev + fee, cash[account_of[j]])
    _book_entry(
        j, t, k, d, direction, MARKET, qty, np.nan, np.nan, _FILLED, qty, price, fee, spent, lev,
        _TRUE, close, amm_liq, risk, account_of, fs, js, cash, cum_notional, amm_dx, cnt, orders,
        fills, cfg, icfg,
    )  # fmt: skip
    _clear_entry(fs, js, j)


@njit(cache=True, _nrt=False)
def _venue_fill_phase(t, outcomes, close, amm_liq, risk, account_of, fs, js, cash,
                      cum_notional, amm_dx, exited, cnt, orders, fills, trades, cfg,
                      icfg):  # fmt: skip
    """The venue's part of bar t when a real venue fills: the outcome it reported for each
    asset's pending market orders (``outcomes``: ``venue_outcome_dt`` records, one per asset),
    exits first, then entries, in asset order, as :func:`_fill_phase` books the model's."""
    _new_bar_scratch(t, amm_dx, exited, cum_notional)
    for j in range(fs.shape[0]):
        if not np.isnan(fs[j, F_PX_REMAIN]) and fs[j, F_POS] != 0.0:
            _venue_exit(j, t, outcomes[j], close, amm_liq, account_of, fs, js, cash, cum_notional,
                        amm_dx, exited, cnt, orders, fills, trades)  # fmt: skip
    for j in range(fs.shape[0]):
        if js[j, J_PE_TYPE] == MARKET and _entry_allowed(fs, js, j, icfg):
            _venue_entry(j, t, outcomes[j], close, amm_liq, risk, account_of, fs, js, cash,
                         cum_notional, amm_dx, cnt, orders, fills, cfg, icfg)  # fmt: skip


@njit(cache=True, _nrt=False, inline="always")
def _decide_phase(
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
):
    """The decision part of bar t (phase 3, at its close): time stops and the signal row of bar t
    turned into orders (exits of every asset first, then entries; market orders fill at this
    close with ``fill=CLOSE`` or queue for the next open, limit and stop entries rest from t+1),
    with the account guards. Reads no bar after t."""
    order_type, limit_price, stop_price, tif, post_only = spec
    m = bars[3].shape[1]
    # 3. close: time stops and signals; exits of every asset first, then entries
    busy = False
    for j in range(m):
        action[j] = 0
    if icfg[I_CALL_COLUMNS] == CALL_VALUE:
        _value_call_seq(t, bars, sig, size, account_of, fs, js, cash, icfg)
    for k in range(m):
        j = js[k, J_CALL_SEQ] if icfg[I_CALL_COLUMNS] == CALL_VALUE else k
        if icfg[I_CALL_COLUMNS] != 0:
            # vectorbt's default call sequence: each asset's intrabar exits and close decisions
            # execute before the next asset's (so its cash is not yet there for earlier assets)
            _intrabar_exits(
                j,
                t,
                bars,
                costs,
                sub,
                account_of,
                fs,
                js,
                cash,
                cum_notional,
                amm_dx,
                exited,
                cnt,
                orders,
                fills,
                trades,
                cfg,
                icfg,
                np.nan,
            )  # fmt: skip (columns: market entries only)
        act = _close_decision(j, t, sig, account_of, fs, js, exited, cnt, orders, icfg)
        action[j] = act
        if icfg[I_CALL_COLUMNS] != 0 and act != 0:
            _close_actions(
                t, action, bars, size, risk, costs, order_type, limit_price, stop_price, tif,
                post_only, account_of, fs, js, cash, cum_notional, amm_dx, cnt, orders, fills,
                trades, cfg, icfg, guard,
            )  # fmt: skip
            action[j] = 0
        busy = busy or act != 0
    if busy and icfg[I_CALL_COLUMNS] == 0:
        _close_actions(
            t,
            action,
            bars,
            size,
            risk,
            costs,
            order_type,
            limit_price,
            stop_price,
            tif,
            post_only,
            account_of,
            fs,
            js,
            cash,
            cum_notional,
            amm_dx,
            cnt,
            orders,
            fills,
            trades,
            cfg,
            icfg,
            guard,
        )


@njit(cache=True, _nrt=False)
def _busy_bar(
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
):
    """Phases 1-3 of bar t (open, intrabar, close; see the module docstring) for a bar on which
    some asset has something to do: :func:`_fill_phase`, then :func:`_decide_phase`."""
    _fill_phase(
        t, bars, sig, spec, size, risk, costs, sub, account_of, fs, js, cash, cum_notional,
        amm_dx, exited, action, cnt, orders, fills, trades, cfg, icfg, guard,
    )  # fmt: skip
    _decide_phase(
        t, bars, sig, spec, size, risk, costs, sub, account_of, fs, js, cash, cum_notional,
        amm_dx, exited, action, cnt, orders, fills, trades, cfg, icfg, guard,
    )  # fmt: skip


@njit(cache=True, _nrt=False)
def open_trades_at_end_nb(close, account_of, fs, js, trades, cnt):
    """Record every position still open after the last bar as an open trade marked at the last
    close (exit fees 0, reason END_OF_DATA)."""
    n = close.shape[0]
    for j in range(fs.shape[0]):
        pos = fs[j, F_POS]
        if pos == 0.0:
            continue
        direction = np.int64(1) if pos > 0 else np.int64(-1)
        qty = abs(pos)
        last = close[n - 1, j]
        pnl = qty * (last - fs[j, F_E_PRICE]) * direction - fs[j, F_E_FEES]
        _trade(
            trades, cnt[K_TRADES], j, account_of[j], direction, js[j, J_E_BAR], _NO_BAR, qty,
            fs[j, F_E_PRICE], last, fs[j, F_E_FEES], 0.0, pnl, _R_END, _TRUE,
        )  # fmt: skip
        cnt[K_TRADES] += 1


@njit(cache=True)
def new_state_nb(n, m, account_cash, tiered, icfg):
    """The simulator's state before bar 0 (the fields of :class:`SimState`, in its order):
    every account's starting cash, flat positions, no pending order, clear guards, and record
    buffers of the capacities in ``icfg`` (zeroed, so the padding bytes of the aligned records
    are deterministic too)."""
    n_acc = account_cash.shape[0]
    cash = account_cash.copy()
    fs = np.full((m, NF), np.nan)
    fs[:, F_POS] = 0.0
    fs[:, F_E_FEES] = 0.0
    fs[:, F_MARGIN] = 0.0
    js = np.zeros((m, NI), dtype=np.int64)
    js[:, J_PE_TYPE] = -1
    js[:, J_LAST_EXIT_BAR] = -(2**40)
    guard = np.zeros((n_acc, NG))
    for a in range(n_acc):
        guard[a, G_PEAK] = account_cash[a]
        guard[a, G_DAY_START] = account_cash[a]
        guard[a, G_DAY_LOW] = account_cash[a]
        guard[a, G_ALLOWED] = 1.0
        guard[a, G_MULT] = 1.0
        guard[a, G_EQUITY] = account_cash[a]
    orders = np.zeros(icfg[I_CAP_ORDERS], dtype=order_dt)
    fills = np.zeros(icfg[I_CAP_FILLS], dtype=fill_dt)
    trades = np.zeros(icfg[I_CAP_TRADES], dtype=trade_dt)
    cnt = np.zeros(4, dtype=np.int64)
    # traded notional per account, cumulated by bar: only fee tiers need it
    cum_notional = np.zeros((n + 1 if tiered else 1, n_acc))
    amm_dx = np.zeros(m)
    exited = np.zeros(m, dtype=np.bool_)
    action = np.zeros(m, dtype=np.int64)
    return cash, fs, js, guard, orders, fills, trades, cnt, cum_notional, amm_dx, exited, action


class SimState(NamedTuple):
    """The simulator's mutable state between bars, by name (:func:`new_state_nb` builds it).

    ``cash`` (a,) quote per account; ``fs`` (m, NF) / ``js`` (m, NI) the per-asset state
    (``F_*`` / ``J_*`` slots: position, protection, pending orders); ``guard`` (a, NG) the
    account guards; ``orders`` / ``fills`` / ``trades`` the record buffers and ``cnt`` how many
    each holds; ``cum_notional`` the traded notional per account by bar (fee tiers; one row
    without them); ``amm_dx``, ``exited``, ``action``: per-bar scratch.
    """

    cash: np.ndarray
    fs: np.ndarray
    js: np.ndarray
    guard: np.ndarray
    orders: np.ndarray
    fills: np.ndarray
    trades: np.ndarray
    cnt: np.ndarray
    cum_notional: np.ndarray
    amm_dx: np.ndarray
    exited: np.ndarray
    action: np.ndarray


@njit(cache=True, _nrt=False, inline="always")
def _set_control(t, control, guard):
    """Bar t's control mode for every account's guards (``ControlMode`` code)."""
    for a in range(guard.shape[0]):
        guard[a, G_CONTROL] = control[t]


@njit(cache=True, _nrt=False, inline="always")
def _mark_bar(
    t, close, account_of, fs, cash, cum_notional, cash_out, equity_out, pos_out, value_out
):
    """Phase 4 of bar t: carry the traded notional (fee tiers) and mark every account and asset at
    the close. Plain arrays only, inlined: the kernel runs it on every bar."""
    if cum_notional.shape[0] > 1:
        # bar t's fills were added to cum_notional[t + 1]; add the total before
        for a in range(cash.shape[0]):
            cum_notional[t + 1, a] += cum_notional[t, a]
    _mark_nb(t, close, account_of, fs, cash, cash_out, equity_out, pos_out, value_out)


@njit(cache=True, _nrt=False)
def _guard_flatten(
    t, bars, costs, account_of, fs, js, cash, cum_notional, amm_dx, cnt, orders, fills, trades,
    cfg, icfg, guard, cash_out, equity_out, pos_out, value_out,
):  # fmt: skip
    """After bar t's mark, when the account guards order it: flatten (at this close with
    ``fill=CLOSE``, else queued for the next open) and mark again."""
    _flatten_guarded(
        t, bars, costs, account_of, fs, js, cash, cum_notional, amm_dx, cnt, orders, fills, trades,
        cfg, icfg, guard,
    )  # fmt: skip
    _mark_nb(t, bars[3], account_of, fs, cash, cash_out, equity_out, pos_out, value_out)


class SimArgs(NamedTuple):
    """The arguments of :func:`simulate_nb`, by name and in its order (``simulate_nb(*args)``).

    Built by keyword in one place (``soltrader.engine.backtest``) and read by name everywhere
    else, so adding an input cannot shift another one. Shapes, units and meanings are those of
    :func:`simulate_nb`'s parameters of the same names.
    """

    open_: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    long_entry: np.ndarray
    long_exit: np.ndarray
    short_entry: np.ndarray
    short_exit: np.ndarray
    size: np.ndarray
    order_type: np.ndarray
    limit_price: np.ndarray
    stop_price: np.ndarray
    tif: np.ndarray
    post_only: np.ndarray
    cancel: np.ndarray
    sl_stop: np.ndarray
    tp_stop: np.ndarray
    sl_trail: np.ndarray
    ptp_stop: np.ndarray
    ptp_size: np.ndarray
    max_bars: np.ndarray
    maker_fee: np.ndarray
    taker_fee: np.ndarray
    fixed_fee: np.ndarray
    slippage: np.ndarray
    tx_cost: np.ndarray
    tx_fail_cost: np.ndarray
    amm_liq: np.ndarray
    sigma: np.ndarray
    tier_vol: np.ndarray
    tier_maker: np.ndarray
    tier_taker: np.ndarray
    account_of: np.ndarray
    account_cash: np.ndarray
    cfg: np.ndarray
    icfg: np.ndarray
    cash_out: np.ndarray
    equity_out: np.ndarray
    pos_out: np.ndarray
    value_out: np.ndarray
    sub_low: np.ndarray
    sub_high: np.ndarray
    sub_start: np.ndarray
    day: np.ndarray
    control: np.ndarray
    leverage: np.ndarray
    exit_size: np.ndarray


@njit(cache=True, _nrt=False, inline="always")
def _any(a):
    """``a`` as a read-only view of numba's "any" layout (no copy): the type the fused sweep's
    broadcast inputs have."""
    return np.broadcast_to(a, a.shape)


@njit(cache=True, nogil=True, _nrt=False)
def _replay_bars(
    bars, sig, given, spec, size, risk, costs, sub, control, day, account_of, cfg, fcfg, iconf,
    state, records, marks,
):  # fmt: skip
    """The bar loop of :func:`simulate_nb` (phases 1-4 of every bar, then the account guards).
    Compiled without numba's reference counting (it allocates nothing): a call of
    :func:`_busy_bar` from a function that counts references increments and decrements each of
    its ~50 arrays around every call. ``given``: the signal arrays as the kernel was given them
    (``sig`` holds read-only views of them for the busy bar)."""
    _open, high, low, close, _volume = bars
    long_entry, long_exit, short_entry, short_exit, cancel = given
    accounts, fs, js, cash, cum_notional, amm_dx, exited, action, cnt, guard = state
    orders, fills, trades = records
    cash_out, equity_out, pos_out, value_out = marks
    n, m = close.shape
    risky = iconf[I_RISK] != 0
    for t in range(n):
        if risky:
            _set_control(t, control, guard)
        # A bar is quiet when no asset has a pending or resting order, a signal, a time stop, a
        # trailing stop, or a bar that reaches its position's cached protective levels; quiet bars
        # only mark to market (running _busy_bar on them changes nothing: a test pins it). This
        # check is written out here, without calls: it runs on every bar.
        quiet = True
        for j in range(m):
            pos = fs[j, F_POS]
            if (
                js[j, J_PE_TYPE] >= 0
                or long_entry[t, j]
                or long_exit[t, j]
                or short_entry[t, j]
                or short_exit[t, j]
                or cancel[t, j]
            ):
                quiet = False
            elif pos != 0.0:
                if not np.isnan(fs[j, F_PX_REMAIN]) or js[j, J_MAX_BARS] > 0:
                    quiet = False
                elif t >= js[j, J_ARMED_FROM]:
                    h = high[t, j]
                    lo = low[t, j]
                    if fs[j, F_TRAIL] > 0.0:
                        quiet = False
                    elif pos > 0.0:
                        quiet = quiet and lo > fs[j, F_LOSS_LEVEL] and h < fs[j, F_GAIN_LEVEL]
                    else:
                        quiet = quiet and h < fs[j, F_LOSS_LEVEL] and lo > fs[j, F_GAIN_LEVEL]
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
                accounts,
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
                fcfg,
                iconf,
                guard,
            )
        _mark_bar(
            t, close, account_of, fs, cash, cum_notional, cash_out, equity_out, pos_out, value_out
        )  # fmt: skip
        if risky and _guard_update(t, day, equity_out, guard, cfg):
            _guard_flatten(
                t, bars, costs, accounts, fs, js, cash, cum_notional, amm_dx, cnt, orders,
                fills, trades, fcfg, iconf, guard, cash_out, equity_out, pos_out, value_out,
            )  # fmt: skip


@njit(cache=True, nogil=True)
def simulate_nb(
    open_,
    high,
    low,
    close,
    volume,
    long_entry,
    long_exit,
    short_entry,
    short_exit,
    size,
    order_type,
    limit_price,
    stop_price,
    tif,
    post_only,
    cancel,
    sl_stop,
    tp_stop,
    sl_trail,
    ptp_stop,
    ptp_size,
    max_bars,
    maker_fee,
    taker_fee,
    fixed_fee,
    slippage,
    tx_cost,
    tx_fail_cost,
    amm_liq,
    sigma,
    tier_vol,
    tier_maker,
    tier_taker,
    account_of,
    account_cash,
    cfg,
    icfg,
    cash_out,
    equity_out,
    pos_out,
    value_out,
    sub_low,
    sub_high,
    sub_start,
    day,
    control,
    leverage,
    exit_size,
):
    """Simulate ``m`` assets over ``n`` bars; see the module docstring for the rules.

    Parameters
    ----------
    open_, high, low, close, volume : ndarray (n, m) of float64
        Bars; prices in quote currency, volume in base units.
    long_entry, long_exit, short_entry, short_exit : ndarray (n, m) of bool
        Decisions at each bar's close.
    size : ndarray (n, m) of float64
        Entry size in ``icfg[I_SIZE_TYPE]`` units (fraction of account cash, base units, quote).
    order_type, limit_price, stop_price, tif, post_only, cancel : ndarray (n, m)
        Entry order of a decision bar: type (MARKET, LIMIT, STOP, STOP_LIMIT), absolute limit /
        stop prices, time in force in bars (<= 0: good till cancelled), post-only flag; ``cancel``
        withdraws a resting entry.
    sl_stop, tp_stop, sl_trail, ptp_stop, ptp_size, max_bars : ndarray (n, m)
        Risk of a position, taken from its entry decision bar: stop-loss / take-profit distances
        (fractions of the anchor), trailing flag, partial take-profit distance and fraction of the
        position, time stop in bars (<= 0: none).
    maker_fee, taker_fee, fixed_fee, slippage : ndarray (n, m) of float64
        Fee fractions for resting / taking fills, fixed fee per order (quote), slippage fraction.
    tx_cost, tx_fail_cost : ndarray (n, m) of float64
        Per-transaction cost when it lands / when it fails (quote); failures drawn with
        ``cfg[C_FAIL_RATE]``.
    amm_liq, sigma : ndarray (n, m) of float64
        Constant-product pool depth (NaN: order-book venue) and per-bar volatility for impact.
    tier_vol, tier_maker, tier_taker : ndarray (k,)
        Volume tiers of the fee schedule (empty: none).
    account_of : ndarray (m,) of int64
        Account of each asset.
    account_cash : ndarray (a,) of float64
        Starting cash of each account.
    cfg, icfg : ndarray
        Scalar options (``C_*`` and ``I_*`` indices).
    cash_out, equity_out, pos_out, value_out : ndarray
        Output buffers, (n, a), (n, a), (n, m), (n, m), filled bar by bar (allocated by the
        caller: numpy's allocator backs large arrays with huge pages, numba's does not).
    sub_low, sub_high, sub_start : ndarray
        Lower-timeframe lows and highs (k, m) and, per bar t, the range
        ``sub_start[t]:sub_start[t + 1]`` of its sub-bars (all equal: none).
    day : ndarray (n,) of int64
        Day number of every bar (UTC days), for the daily loss limit of the account guards
        (``icfg[I_RISK]``; ``cfg[C_SOFT_DD:]`` and ``icfg[I_MAX_POSITIONS]``).
    control : ndarray (n,) of int64
        Control mode of every bar (``ControlMode``: normal, pause, reduce, emergency), applied
        with the account guards.
    leverage : ndarray (n, m) of float64
        Leverage of an entry decided on each bar (>= 1); a position keeps its first entry's.
    exit_size : ndarray (n, m) of float64
        Fraction of the position an exit signal of each bar closes, in (0, 1] (1: all).

    Returns
    -------
    tuple
        ``(orders, fills, trades, cash (n, a), equity (n, a), position (n, m), value (n, m),
        counts)``; ``counts[:3]`` are the numbers of orders, fills and trades the run produced
        (more than returned if a capacity in ``icfg`` was too small).
    """
    n, m = close.shape
    # The busy bar gets its inputs in the types the fused sweep's loop (soltrader.sim.lean) passes
    # whatever this kernel was given: the bars read-only and C-contiguous, the signals as read-only
    # views of any layout, the small arrays as copies of its own. So the busy-bar code, most of
    # the compile time, compiles once per process (and once in the disk cache) for both.
    bars = (open_, high, low, close, volume)
    sub = (sub_low.copy(), sub_high.copy(), sub_start.copy())
    risk = (sl_stop, tp_stop, sl_trail, ptp_stop, ptp_size, max_bars, leverage, exit_size)
    costs = (
        maker_fee,
        taker_fee,
        fixed_fee,
        slippage,
        tx_cost,
        tx_fail_cost,
        amm_liq,
        sigma,
        tier_vol.copy(),
        tier_maker.copy(),
        tier_taker.copy(),
    )
    accounts = account_of.copy()
    fcfg = cfg.copy()
    iconf = icfg.copy()
    cash, fs, js, guard, orders, fills, trades, cnt, cum_notional, amm_dx, exited, action = (
        new_state_nb(n, m, account_cash, tier_vol.shape[0] > 0, icfg)
    )
    sig = (_any(long_entry), _any(long_exit), _any(short_entry), _any(short_exit), _any(cancel))
    spec = (order_type, limit_price, stop_price, tif, post_only)
    state = (accounts, fs, js, cash, cum_notional, amm_dx, exited, action, cnt, guard)
    records = (orders, fills, trades)
    marks = (cash_out, equity_out, pos_out, value_out)
    given = (long_entry, long_exit, short_entry, short_exit, cancel)  # the quiet check's reads
    _replay_bars(
        bars, sig, given, spec, size, risk, costs, sub, control, day, account_of, cfg, fcfg, iconf,
        state, records, marks,
    )  # fmt: skip
    open_trades_at_end_nb(close, account_of, fs, js, trades, cnt)
    return (
        orders[: min(cnt[K_ORDERS], orders.shape[0])],
        fills[: min(cnt[K_FILLS], fills.shape[0])],
        trades[: min(cnt[K_TRADES], trades.shape[0])],
        cash_out,
        equity_out,
        pos_out,
        value_out,
        cnt,
    )


#: The per-bar order, risk and cost inputs of :func:`simulate_nb`, by their :class:`SimArgs`
#: names, in its order.
PER_BAR_INPUTS = (
    "size",
    "order_type",
    "limit_price",
    "stop_price",
    "tif",
    "post_only",
    "cancel",
    "sl_stop",
    "tp_stop",
    "sl_trail",
    "ptp_stop",
    "ptp_size",
    "max_bars",
    "maker_fee",
    "taker_fee",
    "fixed_fee",
    "slippage",
    "tx_cost",
    "tx_fail_cost",
    "amm_liq",
    "sigma",
)
#: :class:`SimArgs` fields that are often one value broadcast over the bars and sometimes an array
#: of their own: the kernel takes them in numba's "any" layout, so both run the same machine code.
ANY_LAYOUT = frozenset((*PER_BAR_INPUTS, "leverage", "exit_size"))
#: The fields the kernel writes.
OUTPUTS = frozenset({"cash_out", "equity_out", "pos_out", "value_out"})
_KERNELS: dict[tuple, object] = {}
_SIMULATE_PY = simulate_nb.py_func


def kernel_args(args: SimArgs) -> SimArgs:
    """``args`` as :func:`simulate` passes them: every field outside :data:`ANY_LAYOUT`
    C-contiguous (the bars and signals read on every bar; a broadcast signal such as
    ``short_entries=False`` becomes an array of its own, one byte per bar and asset)."""
    return SimArgs(
        **{
            name: value if name in ANY_LAYOUT else np.ascontiguousarray(value)
            for name, value in zip(SimArgs._fields, args, strict=True)
        }
    )


def kernel_signature(args: SimArgs) -> tuple:
    """The numba types :func:`simulate` compiles for: each field's dtype and dimensions, layout
    "A" for :data:`ANY_LAYOUT` and "C" otherwise, read-only except :data:`OUTPUTS`."""
    out = []
    for name, value in zip(SimArgs._fields, args, strict=True):
        t = numba.typeof(value)
        layout = "A" if name in ANY_LAYOUT else "C"
        out.append(types.Array(t.dtype, t.ndim, layout, readonly=name not in OUTPUTS))
    return tuple(out)


def simulate(args: SimArgs) -> tuple:
    """:func:`simulate_nb` on ``args``, compiled once for every mix of broadcast and per-bar
    inputs (numba would otherwise compile, and cache, one specialisation per mix of array
    layouts, each taking as long as the first).

    Examples
    --------
    >>> kernel_signature(SimArgs(*[np.zeros((2, 1))] * len(SimArgs._fields)))[9].layout
    'A'
    """
    args = kernel_args(args)
    key = tuple((value.dtype.char, value.ndim) for value in args)  # all the signature varies by
    kernel = _KERNELS.get(key)
    if kernel is None:
        sig = kernel_signature(args)  # ~0.5 ms of numba.typeof: once per process, not per call
        kernel = _KERNELS[key] = njit(sig, cache=True, nogil=True)(_SIMULATE_PY)
    return kernel(*args)


@njit(cache=True)
def _groups(a):
    """The argument groups the phases take, from a :class:`SimArgs`: bars, signals, entry order
    spec, risk, costs and sub-bars."""
    bars = (a.open_, a.high, a.low, a.close, a.volume)
    sig = (a.long_entry, a.long_exit, a.short_entry, a.short_exit, a.cancel)
    spec = (a.order_type, a.limit_price, a.stop_price, a.tif, a.post_only)
    risk = (a.sl_stop, a.tp_stop, a.sl_trail, a.ptp_stop, a.ptp_size, a.max_bars, a.leverage,
            a.exit_size)  # fmt: skip
    costs = (
        a.maker_fee, a.taker_fee, a.fixed_fee, a.slippage, a.tx_cost, a.tx_fail_cost,
        a.amm_liq, a.sigma, a.tier_vol, a.tier_maker, a.tier_taker,
    )  # fmt: skip
    sub = (a.sub_low, a.sub_high, a.sub_start)
    return bars, sig, spec, risk, costs, sub


@njit(cache=True)
def step_fill_nb(t, a, s):
    """The venue's part of bar t (:func:`_fill_phase`) on a :class:`SimArgs` ``a`` whose rows
    up to t are known and a :class:`SimState` ``s``, for a driver that steps bar by bar."""
    bars, sig, spec, risk, costs, sub = _groups(a)
    if a.icfg[I_RISK] != 0:
        _set_control(t, a.control, s.guard)
    _fill_phase(
        t, bars, sig, spec, a.size, risk, costs, sub, a.account_of, s.fs, s.js, s.cash,
        s.cum_notional, s.amm_dx, s.exited, s.action, s.cnt, s.orders, s.fills, s.trades, a.cfg,
        a.icfg, s.guard,
    )  # fmt: skip


@njit(cache=True)
def step_decide_nb(t, a, s):
    """The decision part of bar t (:func:`_decide_phase`), reading the signal row t of ``a``."""
    bars, sig, spec, risk, costs, sub = _groups(a)
    _decide_phase(
        t, bars, sig, spec, a.size, risk, costs, sub, a.account_of, s.fs, s.js, s.cash,
        s.cum_notional, s.amm_dx, s.exited, s.action, s.cnt, s.orders, s.fills, s.trades, a.cfg,
        a.icfg, s.guard,
    )  # fmt: skip


@njit(cache=True)
def step_end_nb(t, a, s):
    """Phase 4 of bar t (:func:`_mark_bar`, then the account guards: :func:`_guard_update`,
    :func:`_guard_flatten`) into ``a``'s output buffers, as ``simulate_nb`` does."""
    bars, _sig, _spec, _risk, costs, _sub = _groups(a)
    _mark_bar(
        t, a.close, a.account_of, s.fs, s.cash, s.cum_notional, a.cash_out, a.equity_out,
        a.pos_out, a.value_out,
    )  # fmt: skip
    if a.icfg[I_RISK] != 0 and _guard_update(t, a.day, a.equity_out, s.guard, a.cfg):
        _guard_flatten(
            t, bars, costs, a.account_of, s.fs, s.js, s.cash, s.cum_notional, s.amm_dx, s.cnt,
            s.orders, s.fills, s.trades, a.cfg, a.icfg, s.guard, a.cash_out, a.equity_out,
            a.pos_out, a.value_out,
        )  # fmt: skip


@njit(cache=True)
def step_finish_nb(a, s):
    """After the last bar: every open position as an open trade (:func:`open_trades_at_end_nb`)."""
    open_trades_at_end_nb(a.close, a.account_of, s.fs, s.js, s.trades, s.cnt)


# ---- intents: what the decision core has told the venue -----------------------------------
# IntentReason and QuantityUnit codes (mirror soltrader.domain.state)
_I_ENTRY = np.int64(0)
_I_EXIT = np.int64(1)
_I_REVERSAL = np.int64(2)
_I_STOP_LOSS = np.int64(3)
_I_TAKE_PROFIT = np.int64(4)
_I_TRAILING_STOP = np.int64(5)
_I_PARTIAL_TP = np.int64(6)
_I_TIME_STOP = np.int64(7)
_I_LIQUIDATION = np.int64(8)
_I_GUARD_FLATTEN = np.int64(9)
_I_CANCEL = np.int64(10)
_U_BASE = np.int64(0)
_U_QUOTE = np.int64(1)
_U_CASH_FRACTION = np.int64(2)
# per-asset watch (int64 (m, NW)): the decision bar of the working order of each kind (-1: none)
W_ENTRY_BAR = np.int64(0)  # resting / queued entry, with its side and type
W_ENTRY_DIR = np.int64(1)
W_ENTRY_TYPE = np.int64(2)
W_STOP_BAR = np.int64(3)  # protective orders: stop (or trailing stop), partial target, target
W_PTP_BAR = np.int64(4)
W_TP_BAR = np.int64(5)
W_STOP_REASON = np.int64(6)
W_SIDE = np.int64(7)  # side of the protective orders (kept for their cancels once flat)
NW = np.int64(8)
# ... and (m, NWF) float64: the price and quantity of each protective order last sent
WF_STOP = np.int64(0)
WF_STOP_QTY = np.int64(1)
WF_PTP = np.int64(2)
WF_PTP_QTY = np.int64(3)
WF_TP = np.int64(4)
WF_TP_QTY = np.int64(5)
NWF = np.int64(6)


@njit(cache=True)
def new_watch_nb(m):
    """The intent watch of ``m`` assets before bar 0: nothing sent (int and float parts)."""
    watch = np.full((m, NW), -1, dtype=np.int64)
    return watch, np.full((m, NWF), np.nan)


@njit(cache=True)
def _intent(out, ref, k, t, time_ns, j, account, side, kind, reason, unit, qty, limit, stop, tif,
            reduce_only, post_only, ref_bar, ref_reason):  # fmt: skip
    """Write intent k (``client_id`` and ``replaces`` are set by the caller from ``ref``: the
    decision bar and reason of the order it withdraws, -1: none); returns k + 1."""
    if k < out.shape[0]:
        r = out[k]
        r["client_id"] = 0
        r["decision_bar"] = t
        r["decision_time"] = time_ns
        r["asset"] = j
        r["account"] = account
        r["side"] = side
        r["kind"] = kind
        r["reason"] = reason
        r["unit"] = unit
        r["quantity"] = qty
        r["limit_price"] = limit
        r["stop_price"] = stop
        r["tif"] = tif
        r["reduce_only"] = reduce_only
        r["post_only"] = post_only
        r["replaces"] = 0
        ref[k, 0] = ref_bar
        ref[k, 1] = ref_reason
    return k + 1


@njit(cache=True)
def _exit_intent_reason(kernel_reason):
    """The IntentReason of a pending exit from its kernel exit reason."""
    if kernel_reason == _R_TIME:
        return _I_TIME_STOP
    if kernel_reason == _R_REVERSAL:
        return _I_REVERSAL
    if kernel_reason == _R_RISK:
        return _I_GUARD_FLATTEN
    if kernel_reason == _R_SL:
        return _I_STOP_LOSS
    if kernel_reason == _R_TRAIL:
        return _I_TRAILING_STOP
    if kernel_reason == _R_TP:
        return _I_TAKE_PROFIT
    if kernel_reason == _R_PTP:
        return _I_PARTIAL_TP
    if kernel_reason == _R_LIQ:
        return _I_LIQUIDATION
    return _I_EXIT


@njit(cache=True)
def _entry_quantity(t, j, a, fs):
    """What an entry decided at bar t asks for, in its unit: base units (``amount``), a quote
    budget (``value``) or a fraction of the account's cash (``percent``), times the guards'
    size multiplier."""
    size_type = a.icfg[I_SIZE_TYPE]
    mult = fs[j, F_PE_MULT]
    if size_type == SIZE_AMOUNT:
        return _U_BASE, a.size[t, j] * mult
    if size_type == SIZE_VALUE:
        return _U_QUOTE, a.size[t, j] * mult
    frac = 1.0 if a.icfg[I_SIZE_ALL] != 0 else min(1.0, a.size[t, j])
    return _U_CASH_FRACTION, frac * mult


@njit(cache=True)
def _order_intents(t, time_ns, a, s, before, watch, out, ref, k):
    """The entries and exits decided at bar t's close, and the entries withdrawn then (cancelled
    or replaced). ``before``: each asset's working entry (decision bar, side, type) before the
    decision."""
    fs, js = s.fs, s.js
    for j in range(fs.shape[0]):
        acc = a.account_of[j]
        if before[j, 0] >= 0 and (js[j, J_PE_TYPE] < 0 or js[j, J_PE_BAR] != before[j, 0]):
            k = _intent(out, ref, k, t, time_ns, j, acc, before[j, 1], before[j, 2], _I_CANCEL,
                        _U_BASE, 0.0, np.nan, np.nan, 0, False, False, before[j, 0],
                        _I_ENTRY)  # fmt: skip
        if not np.isnan(fs[j, F_PX_REMAIN]) and js[j, J_PX_BAR] == t and fs[j, F_POS] != 0.0:
            side = _SELL if fs[j, F_POS] > 0 else _BUY
            k = _intent(out, ref, k, t, time_ns, j, acc, side, MARKET,
                        _exit_intent_reason(js[j, J_PX_REASON]), _U_BASE, fs[j, F_PX_REMAIN],
                        np.nan, np.nan, 0, True, False, -1, -1)  # fmt: skip
        if js[j, J_PE_TYPE] >= 0 and js[j, J_PE_BAR] == t:
            unit, qty = _entry_quantity(t, j, a, fs)
            tif = js[j, J_PE_EXPIRE] - t if js[j, J_PE_EXPIRE] >= 0 else 0
            k = _intent(out, ref, k, t, time_ns, j, acc, js[j, J_PE_DIR], js[j, J_PE_TYPE],
                        _I_ENTRY, unit, qty, fs[j, F_PE_LIMIT], fs[j, F_PE_STOP], tif, False,
                        a.post_only[t, j], -1, -1)  # fmt: skip
        watch[j, W_ENTRY_BAR] = js[j, J_PE_BAR] if js[j, J_PE_TYPE] >= 0 else -1
    return k


@njit(cache=True)
def _protective(t, time_ns, j, acc, side, kind, reason, level, qty, filled, watch, wf, w_bar,
                w_reason, wf_level, wf_qty, out, ref, k):  # fmt: skip
    """Send, re-issue (when its price or quantity moved) or cancel one protective order of
    asset j; ``level`` NaN: none wanted now; ``filled``: it filled on this bar."""
    prev_bar = watch[j, w_bar]
    prev_reason = watch[j, w_reason] if w_reason >= 0 else reason
    if not np.isnan(level):
        watch[j, W_SIDE] = side
        if (
            prev_bar < 0
            or wf[j, wf_level] != level
            or wf[j, wf_qty] != qty
            or prev_reason != reason
        ):
            limit = level if kind == LIMIT else np.nan
            stop = level if kind == STOP else np.nan
            k = _intent(out, ref, k, t, time_ns, j, acc, side, kind, reason, _U_BASE, qty, limit,
                        stop, 0, True, False, prev_bar, prev_reason)  # fmt: skip
            watch[j, w_bar] = t
            if w_reason >= 0:
                watch[j, w_reason] = reason
            wf[j, wf_level] = level
            wf[j, wf_qty] = qty
    elif prev_bar >= 0:
        if not filled:
            k = _intent(out, ref, k, t, time_ns, j, acc, watch[j, W_SIDE], kind, _I_CANCEL,
                        _U_BASE, 0.0, np.nan, np.nan, 0, True, False, prev_bar,
                        prev_reason)  # fmt: skip
        watch[j, w_bar] = -1
        wf[j, wf_level] = np.nan
        wf[j, wf_qty] = np.nan
    return k


@njit(cache=True)
def _protective_intents(t, time_ns, a, s, fill0, watch, wf, out, ref, k):
    """Every open position's stop (or trailing stop), partial target and target as reduce-only
    orders at the end of bar t: sent when armed, re-issued when a level or the quantity moved
    (a trailing stop that ratchets, a partial take-profit that filled), cancelled when no longer
    wanted unless it just filled. Liquidation is the venue's, not an order."""
    fs, js = s.fs, s.js
    fills = s.fills
    for j in range(fs.shape[0]):
        pos = fs[j, F_POS]
        direction = 1.0 if pos > 0 else -1.0
        side = _SELL if pos > 0 else _BUY
        acc = a.account_of[j]
        stop_hit = False
        ptp_hit = False
        tp_hit = False
        for i in range(fill0, min(s.cnt[K_FILLS], fills.shape[0])):
            if fills[i]["asset"] == j:
                r = fills[i]["reason"]
                stop_hit = stop_hit or r == _R_SL or r == _R_TRAIL
                ptp_hit = ptp_hit or r == _R_PTP
                tp_hit = tp_hit or r == _R_TP
        open_ = pos != 0.0
        stop = _stop_level(fs, j, direction) if open_ and not np.isnan(fs[j, F_SL]) else np.nan
        reason = _I_TRAILING_STOP if fs[j, F_TRAIL] > 0.0 else _I_STOP_LOSS
        k = _protective(t, time_ns, j, acc, side, STOP, reason, stop, abs(pos), stop_hit, watch,
                        wf, W_STOP_BAR, W_STOP_REASON, WF_STOP, WF_STOP_QTY, out, ref,
                        k)  # fmt: skip
        ptp = np.nan
        if open_ and not np.isnan(fs[j, F_PTP]) and js[j, J_PTP_DONE] == 0:
            ptp = _target_level(fs, j, F_PTP, direction)
        ptp_qty = min(abs(pos), fs[j, F_PTP_SIZE] * fs[j, F_SIZE0])
        k = _protective(t, time_ns, j, acc, side, LIMIT, _I_PARTIAL_TP, ptp, ptp_qty, ptp_hit,
                        watch, wf, W_PTP_BAR, -1, WF_PTP, WF_PTP_QTY, out, ref, k)  # fmt: skip
        tp = (
            _target_level(fs, j, F_TP, direction) if open_ and not np.isnan(fs[j, F_TP]) else np.nan
        )
        k = _protective(t, time_ns, j, acc, side, LIMIT, _I_TAKE_PROFIT, tp, abs(pos), tp_hit,
                        watch, wf, W_TP_BAR, -1, WF_TP, WF_TP_QTY, out, ref, k)  # fmt: skip
    return k


@njit(cache=True)
def step_intents_nb(t, time_ns, a, s, before, fill0, watch, wf, out, ref, k):
    """The intents of bar t, once its decisions and the account guards are done: the orders
    decided at its close (:func:`_order_intents`) and the protective orders of the positions
    (:func:`_protective_intents`), written from record ``k`` on; returns the new count."""
    k = _order_intents(t, time_ns, a, s, before, watch, out, ref, k)
    return _protective_intents(t, time_ns, a, s, fill0, watch, wf, out, ref, k)


@njit(cache=True)
def step_bar_nb(t, close_ns, a, s, before, watch, wf, out, ref, k):
    """Bar t of a driver that steps bar by bar, in one call: the venue's fills
    (:func:`step_fill_nb`), each asset's working entry before the decision
    (:func:`working_entries_nb`), the decision on signal row t (:func:`step_decide_nb`), the
    mark and the account guards (:func:`step_end_nb`) and the bar's intents
    (:func:`step_intents_nb`, from record ``k`` on, stamped ``close_ns``); returns the new intent
    count. Signal row t of ``a`` is written before the call: the fills of bar t read only the
    rows of the bars that decided them (earlier ones), as in :func:`simulate_nb`. One call
    instead of five: each call from Python unboxes every array of ``a`` and ``s``."""
    fill0 = s.cnt[K_FILLS]
    step_fill_nb(t, a, s)
    working_entries_nb(s, before)
    step_decide_nb(t, a, s)
    step_end_nb(t, a, s)
    return step_intents_nb(t, close_ns, a, s, before, fill0, watch, wf, out, ref, k)


@njit(cache=True)
def step_bar_venue_nb(t, close_ns, a, s, outcomes, before, watch, wf, out, ref, k):
    """:func:`step_bar_nb` for a runtime whose fills come from a real venue: bar t's fill phase
    books the venue's ``outcomes`` for the pending market orders (:func:`_venue_fill_phase`)
    instead of running the fill model; the decision, mark, guards and intents are the same
    calls. Only market orders exist then (the runtime refuses resting orders and protective
    levels for such a venue)."""
    fill0 = s.cnt[K_FILLS]
    _bars, _sig, _spec, risk, costs, _sub = _groups(a)
    if a.icfg[I_RISK] != 0:
        _set_control(t, a.control, s.guard)
    _venue_fill_phase(
        t, outcomes, a.close, costs[6], risk, a.account_of, s.fs, s.js, s.cash, s.cum_notional,
        s.amm_dx, s.exited, s.cnt, s.orders, s.fills, s.trades, a.cfg, a.icfg,
    )  # fmt: skip
    working_entries_nb(s, before)
    step_decide_nb(t, a, s)
    step_end_nb(t, a, s)
    return step_intents_nb(t, close_ns, a, s, before, fill0, watch, wf, out, ref, k)


@njit(cache=True)
def working_entries_nb(s, before):
    """Each asset's working entry before a decision: decision bar (-1: none), side, type."""
    js = s.js
    for j in range(js.shape[0]):
        has = js[j, J_PE_TYPE] >= 0
        before[j, 0] = js[j, J_PE_BAR] if has else -1
        before[j, 1] = js[j, J_PE_DIR]
        before[j, 2] = js[j, J_PE_TYPE]


@njit(cache=True)
def _budget(size, size_type, cash):
    """Cash an entry may commit: a fraction of the account's cash, a quote value, or all cash."""
    if size_type == SIZE_PERCENT:
        return min(cash, size * cash)
    if size_type == SIZE_VALUE:
        return min(cash, size)
    return cash


@njit(cache=True)
def _short_proceeds(a, account_of, fs):
    """Twice the debt of account ``a``'s open shorts: what vectorbt's cash holds beyond our cash
    (its free cash) when short proceeds are credited to the cash."""
    debt = 0.0
    for k in range(fs.shape[0]):
        if account_of[k] == a and fs[k, F_POS] < 0.0:
            debt -= fs[k, F_POS] * fs[k, F_E_PRICE]
    return 2.0 * debt


@njit(cache=True)
def _sale_covers_fees(qty, price, fee, icfg):
    """Whether a sale may go ahead: always, unless short proceeds are credited to the cash
    (vectorbt's cash model), where a sale whose proceeds do not cover its fees is refused."""
    return icfg[I_SHORT_PROCEEDS] == 0 or qty * price - fee >= 0.0


@njit(cache=True)
def _vbt_close(a, b):
    """vectorbt's ``is_close_nb``: ``a`` and ``b`` equal within relative 1e-9 or absolute 1e-12
    (never when either is NaN or infinite)."""
    if np.isnan(a) or np.isnan(b) or np.isinf(a) or np.isinf(b):
        return False
    return a == b or abs(a - b) <= max(1e-9 * max(abs(a), abs(b)), 1e-12)


@njit(cache=True)
def _vbt_add(a, b):
    """``a + b`` as vectorbt's ``add_nb`` adds cash: zero when the two cancel within its
    tolerance (:func:`_vbt_close`). Our cash and a short's proceeds are kept apart and added where
    a size is worked out; vectorbt's cash holds the proceeds and cancels at each booking, so a
    buy that spent cash and proceeds leaves it exactly 0 where our sum keeps a residue of a few
    1e-12, which would size an order of dust.

    Examples
    --------
    >>> _vbt_add(-16787.79178622, 16787.791786220004), _vbt_add(5.0, -2.0)
    (0.0, 3.0)
    """
    if np.sign(a) != np.sign(b):
        zero = _vbt_close(abs(a), abs(b))
    else:
        zero = _vbt_close(a + b, 0.0)
    return 0.0 if zero else a + b


@njit(cache=True)
def _fits(required, available):
    """``required <= available`` up to vectorbt's tolerance (relative 1e-9, absolute 1e-12)."""
    return required <= available or abs(required - available) <= max(
        1e-9 * max(abs(required), abs(available)), 1e-12
    )


@njit(cache=True)
def _entry_request(j, a, wanted, direction, ref, fixed, account_of, fs, cash, icfg):
    """Units an entry asks for (``inf``: as many as its budget buys) and its cash budget.

    ``wanted`` is the size in ``icfg[I_SIZE_TYPE]`` units. With short proceeds credited to the
    cash (``I_SHORT_PROCEEDS``) a buy may spend them, a short in units or value is not limited by
    the cash, and a percent short is that fraction of what the cash less fixed fees can short.
    With ``I_VALUE_NOTIONAL`` a value is a notional at ``ref`` with the fees on top."""
    size_type = icfg[I_SIZE_TYPE]
    avail = cash[a]
    if icfg[I_SHORT_PROCEEDS] != 0:
        if direction > 0:
            avail += _short_proceeds(a, account_of, fs)
        elif size_type == SIZE_PERCENT:
            return np.inf, wanted * max(avail - fixed, 0.0) + fixed
        else:
            avail = np.inf
    if size_type == SIZE_AMOUNT:
        return wanted, avail
    if size_type == SIZE_VALUE and icfg[I_VALUE_NOTIONAL] != 0:
        return wanted / ref, avail
    return np.inf, _budget(wanted, size_type, avail)


@njit(cache=True)
def _rearm_on_add(fs, j, d, fill_price, anchor_close, risk, icfg):
    """vectorbt's stop update on an add: the stop-loss (with its trailing flag) and the
    take-profit of the adding entry's decision bar ``d`` replace the position's, re-anchored at
    this entry, each only when that entry sets it."""
    sl_stop, tp_stop, sl_trail = risk[0], risk[1], risk[2]
    base = fill_price if icfg[I_STOP_ANCHOR] == ANCHOR_FILL else anchor_close
    if not np.isnan(sl_stop[d, j]):
        fs[j, F_SL_BASE] = base
        fs[j, F_SL] = sl_stop[d, j]
        fs[j, F_TRAIL] = 1.0 if sl_trail[d, j] else 0.0
    if not np.isnan(tp_stop[d, j]):
        fs[j, F_TP_BASE] = base
        fs[j, F_TP] = tp_stop[d, j]


@njit(cache=True)
def _entry_allowed(fs, js, j, icfg):
    """An entry order may fill while flat, to complete a volume-capped entry, or (accumulating)
    to add to a position in its own direction."""
    pos = fs[j, F_POS]
    if pos == 0.0:
        return True
    same_side = pos * js[j, J_PE_DIR] > 0.0
    return same_side and (icfg[I_ACCUMULATE] != 0 or not np.isnan(fs[j, F_PE_REMAIN]))


@njit(cache=True)
def _after_entry(fs, js, j, status, wanted, qty):
    """Keep the unfilled rest of a volume-capped entry pending; clear a completed one."""
    if status == _PARTIAL and wanted - qty > 0.0:
        fs[j, F_PE_REMAIN] = wanted - qty
    else:
        js[j, J_PE_TYPE] = -1
        fs[j, F_PE_REMAIN] = np.nan


@njit(cache=True)
def _size_entry(
    lev,
    qty_req,
    budget,
    side,
    ref,
    is_taker,
    fee_rate,
    fixed,
    slip,
    t,
    j,
    volume,
    sigma,
    amm_liq,
    amm_dx,
    cfg,
    icfg,
):
    """Size, price and fee of an entry: requested units (``inf``: as many as the budget buys),
    limited by the budget and the volume cap.

    Returns ``(qty, price, fee, status, reject, wanted, spent)``; ``wanted`` is the size before
    the volume cap, so ``wanted - qty`` is what stays pending; ``spent`` is the cash committed
    (margin + fees); ``lev`` is the entry's leverage."""
    status = _FILLED
    cap_share = cfg[C_MAX_VOLUME_SHARE]
    vol_cap = cap_share * volume[t, j] if cap_share > 0.0 else np.inf
    qty = qty_req
    if qty > vol_cap:
        qty = vol_cap
        status = _PARTIAL
    if np.isfinite(qty):
        price = _exec_price(
            side, qty, ref, is_taker, slip, t, j, volume, sigma, amm_liq, amm_dx, cfg, icfg
        )
        if np.isfinite(price):
            notional = qty * price
            fee = notional * fee_rate + fixed
            if notional / lev + fee <= budget * (1.0 + 1e-12):
                if qty < cfg[C_MIN_SIZE] or qty <= 0.0:
                    return 0.0, np.nan, 0.0, _REJECTED, _REJ_MIN_SIZE, 0.0, 0.0
                return qty, price, fee, status, _REJ_NONE, qty_req, notional / lev + fee
        if icfg[I_SIZE_TYPE] == SIZE_AMOUNT and icfg[I_ALLOW_PARTIAL] == 0:
            # an amount the cash does not cover is refused, not shrunk (allow_partial: shrunk)
            return 0.0, np.nan, 0.0, _REJECTED, _REJ_CASH, 0.0, 0.0
    units, notional, fee = _affordable_units(
        lev,
        budget,
        side,
        ref,
        is_taker,
        fee_rate,
        fixed,
        slip,
        t,
        j,
        volume,
        sigma,
        amm_liq,
        amm_dx,
        cfg,
        icfg,
    )
    if not units > 0.0:  # NaN too: no price > 0 at which to fill
        return 0.0, np.nan, 0.0, _REJECTED, _REJ_CASH, 0.0, 0.0
    wanted = units
    spent = notional / lev + fee
    if spent >= budget:
        spent = budget  # the order commits exactly its budget (no rounding below zero)
    if units > vol_cap:
        units = vol_cap
        price = _exec_price(
            side, units, ref, is_taker, slip, t, j, volume, sigma, amm_liq, amm_dx, cfg, icfg
        )
        notional = units * price
        fee = notional * fee_rate + fixed
        spent = notional / lev + fee
        status = _PARTIAL
    if units < cfg[C_MIN_SIZE] or not units > 0.0:  # e.g. a volume cap on a bar without volume
        return 0.0, np.nan, 0.0, _REJECTED, _REJ_MIN_SIZE, 0.0, 0.0
    # a cash-limited order fills at the affordable size and nothing of it remains
    return units, notional / units, fee, status, _REJ_NONE, wanted, spent


@njit(cache=True)
def _size_exit(
    qty_req,
    side,
    ref,
    is_taker,
    fee_rate,
    fixed,
    slip,
    t,
    j,
    volume,
    sigma,
    amm_liq,
    amm_dx,
    cfg,
    icfg,
):
    """Size, price and fee of an exit of ``qty_req`` units (volume cap applied)."""
    status = _FILLED
    cap_share = cfg[C_MAX_VOLUME_SHARE]
    qty = qty_req
    if cap_share > 0.0 and qty > cap_share * volume[t, j]:
        qty = cap_share * volume[t, j]
        status = _PARTIAL
    if qty <= 0.0:
        return 0.0, np.nan, 0.0, _REJECTED, _REJ_MIN_SIZE
    price = _exec_price(
        side, qty, ref, is_taker, slip, t, j, volume, sigma, amm_liq, amm_dx, cfg, icfg
    )
    if not np.isfinite(price):
        return 0.0, np.nan, 0.0, _REJECTED, _REJ_CASH
    return qty, price, qty * price * fee_rate + fixed, status, _REJ_NONE


@njit(cache=True)
def _amm_move(j, t, side, qty, amm_liq, amm_dx, close):
    """Our own swap moves the pool's base reserve within the bar."""
    if not np.isnan(amm_liq[t, j]):
        amm_dx[j] -= side * qty


@njit(cache=True)
def _open_or_add(fs, js, j, t, direction, qty, price, fee, spent, cash, a):
    """Book an entry fill: ``spent`` (margin + fees) leaves the cash, the margin is committed to
    the position and the average entry price is updated."""
    pos = fs[j, F_POS]
    margin = spent - fee
    cash[a] -= spent
    if pos == 0.0:
        fs[j, F_E_PRICE] = price
        fs[j, F_E_FEES] = fee
        fs[j, F_MARGIN] = margin
        fs[j, F_SIZE0] = qty
        js[j, J_E_BAR] = t
        js[j, J_PTP_DONE] = 0
    else:
        held = abs(pos)
        fs[j, F_E_PRICE] = (held * fs[j, F_E_PRICE] + qty * price) / (held + qty)
        fs[j, F_E_FEES] += fee
        fs[j, F_MARGIN] += margin
        fs[j, F_SIZE0] += qty
    fs[j, F_POS] = pos + direction * qty


@njit(cache=True)
def _arm(
    fs,
    js,
    j,
    t,
    d,
    fill_price,
    anchor_close,
    sl_stop,
    tp_stop,
    sl_trail,
    ptp_stop,
    ptp_size,
    max_bars,
    icfg,
    fill_was_not_at_close,
):
    """Set the protective levels of a position opened at bar t from its decision bar d (later
    chunks of a volume-capped entry keep the levels of the first)."""
    base = fill_price if icfg[I_STOP_ANCHOR] == ANCHOR_FILL else anchor_close
    fs[j, F_SL_BASE] = base
    fs[j, F_TP_BASE] = base
    fs[j, F_SL] = sl_stop[d, j]
    fs[j, F_TP] = tp_stop[d, j]
    fs[j, F_TRAIL] = 1.0 if sl_trail[d, j] else 0.0
    fs[j, F_PTP] = ptp_stop[d, j]
    fs[j, F_PTP_SIZE] = ptp_size[d, j]
    js[j, J_MAX_BARS] = max_bars[d, j]
    if fill_was_not_at_close and icfg[I_STOPS_IN_FILL_BAR] != 0:
        js[j, J_ARMED_FROM] = t
    else:
        js[j, J_ARMED_FROM] = t + 1


@njit(cache=True)
def _close_part(fs, js, j, t, qty, price, fee, reason, cash, a, trades, cnt):
    """Book an exit fill of ``qty`` units: release margin, realise P&L, write the trade."""
    pos = fs[j, F_POS]
    held = abs(pos)
    direction = 1 if pos > 0 else -1
    if qty > held:
        qty = held
    frac = qty / held if held > 0.0 else 0.0
    margin = fs[j, F_MARGIN] * frac
    entry_fees = fs[j, F_E_FEES] * frac
    gross = qty * (price - fs[j, F_E_PRICE]) * direction
    cash[a] += margin + gross - fee
    pnl = gross - entry_fees - fee
    _trade(
        trades,
        cnt[K_TRADES],
        j,
        a,
        direction,
        js[j, J_E_BAR],
        t,
        qty,
        fs[j, F_E_PRICE],
        price,
        entry_fees,
        fee,
        pnl,
        reason,
        _FALSE,
    )
    if qty >= held:
        fs[j, F_POS] = 0.0
        fs[j, F_MARGIN] = 0.0
        fs[j, F_E_FEES] = 0.0
        fs[j, F_SL] = np.nan
        fs[j, F_TP] = np.nan
        fs[j, F_PTP] = np.nan
        fs[j, F_TRAIL] = 0.0
        fs[j, F_PX_REMAIN] = np.nan
        js[j, J_MAX_BARS] = 0
    else:
        fs[j, F_POS] = pos - direction * qty
        fs[j, F_MARGIN] -= margin
        fs[j, F_E_FEES] -= entry_fees
    cnt[K_TRADES] += 1


@njit(cache=True)
def _liquidate(fs, js, j, a, t, price, level, fee_rate, cash, orders, fills, trades, cnt):
    """Isolated-margin liquidation: the position is closed at ``price`` and whatever margin is
    left is kept by the venue, so the account loses exactly the position's margin (never more)."""
    pos = fs[j, F_POS]
    qty = abs(pos)
    direction = 1 if pos > 0 else -1
    margin = fs[j, F_MARGIN]
    gross = qty * (price - fs[j, F_E_PRICE]) * direction
    kept = margin + gross  # what the venue keeps as liquidation fee (may be <= 0 on a gap)
    fee = kept if kept > 0.0 else 0.0
    k = cnt[K_ORDERS]
    _order(
        orders,
        k,
        j,
        a,
        t,
        t,
        -direction,
        STOP,
        qty,
        np.nan,
        level,
        _FILLED,
        _REJ_NONE,
        qty,
        price,
        fee,
    )
    _fill(fills, cnt[K_FILLS], k, j, a, t, -direction, qty, price, fee, _R_LIQ)
    # cash += margin + gross - fee  ==  0 when the margin covers the loss
    entry_fees = fs[j, F_E_FEES]
    pnl = -margin - entry_fees
    _trade(
        trades,
        cnt[K_TRADES],
        j,
        a,
        direction,
        js[j, J_E_BAR],
        t,
        qty,
        fs[j, F_E_PRICE],
        price,
        entry_fees,
        fee,
        pnl,
        _R_LIQ,
        _FALSE,
    )
    fs[j, F_POS] = 0.0
    fs[j, F_MARGIN] = 0.0
    fs[j, F_E_FEES] = 0.0
    fs[j, F_SL] = np.nan
    fs[j, F_TP] = np.nan
    fs[j, F_PTP] = np.nan
    fs[j, F_TRAIL] = 0.0
    fs[j, F_PX_REMAIN] = np.nan
    js[j, J_MAX_BARS] = 0
    cnt[K_ORDERS] += 1
    cnt[K_FILLS] += 1
    cnt[K_TRADES] += 1


@njit(cache=True)
def _queue_entry(fs, js, j, t, direction, close, order_type, limit_price, stop_price, tif):
    """Place the entry order decided at bar t (it fills from t+1, or at t's close if market and
    ``fill=CLOSE``)."""
    otype = order_type[t, j]
    js[j, J_PE_TYPE] = otype
    js[j, J_PE_DIR] = direction
    js[j, J_PE_BAR] = t
    js[j, J_PE_ACTIVE] = t + 1
    js[j, J_PE_EXPIRE] = t + tif[t, j] if tif[t, j] > 0 else -1
    fs[j, F_PE_LIMIT] = limit_price[t, j]
    fs[j, F_PE_STOP] = stop_price[t, j]
    fs[j, F_PE_ANCHOR] = close[t, j]
    fs[j, F_PE_REMAIN] = np.nan
    fs[j, F_PE_MULT] = 1.0
    marketable = otype == LIMIT and (limit_price[t, j] - close[t, j]) * direction >= 0.0
    js[j, J_PE_TAKER_OPEN] = 1 if marketable else 0


@njit(cache=True)
def _close_entry(fs, js, j, t, a, status, orders, cnt):
    """Withdraw the pending entry of asset j, recording it as cancelled, expired or rejected."""
    _order(
        orders,
        cnt[K_ORDERS],
        j,
        a,
        js[j, J_PE_BAR],
        t,
        js[j, J_PE_DIR],
        js[j, J_PE_TYPE],
        fs[j, F_PE_REMAIN],
        fs[j, F_PE_LIMIT],
        fs[j, F_PE_STOP],
        status,
        _REJ_NONE,
        0.0,
        np.nan,
        0.0,
    )
    cnt[K_ORDERS] += 1
    _clear_entry(fs, js, j)


@njit(cache=True)
def _resting_entry(fs, js, j, t, o, h, lo):
    """Whether a resting entry order fills in bar t: ``(reference price, is_taker)``, NaN if not.

    Limit: a bar opening through the limit fills at the open (a taker fill if the order was
    marketable when placed, else a maker fill at that better price); a bar trading through it
    fills at the limit (maker). Stop: triggers when the bar reaches the stop and fills at the
    stop, or at the open on a gap (taker). Stop-limit: triggers like a stop; fills at the trigger
    price if that is within the limit, otherwise it becomes a resting limit order from the next
    bar.
    """
    ptype = js[j, J_PE_TYPE]
    d = js[j, J_PE_DIR]
    lim = fs[j, F_PE_LIMIT]
    stp = fs[j, F_PE_STOP]
    if ptype == LIMIT:
        if (o - lim) * d <= 0.0:
            first_bar = t == js[j, J_PE_ACTIVE]
            return o, first_bar and js[j, J_PE_TAKER_OPEN] == 1
        if (lo if d > 0 else h) * d <= lim * d:
            return lim, False
        return np.nan, False
    # STOP or STOP_LIMIT: a buy stop sits above the price, a sell stop below it
    if (o - stp) * d >= 0.0:
        trigger = o
    elif (h if d > 0 else lo) * d >= stp * d:
        trigger = stp
    else:
        return np.nan, False
    if ptype == STOP:
        return trigger, True
    if (trigger - lim) * d <= 0.0:
        return trigger, True
    js[j, J_PE_TYPE] = LIMIT
    js[j, J_PE_ACTIVE] = t + 1  # rests as a limit from the next bar
    js[j, J_PE_TAKER_OPEN] = 0
    return np.nan, False
