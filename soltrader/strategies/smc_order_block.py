"""SMC order-block strategy: trade touches of valid order blocks (OB), long or short.

Zones come from :mod:`soltrader.structure` (swings, BOS / CHoCH, order blocks invalidated on a
close beyond them and flipped into breakers); this module only decides what to do with them.

Rules (every decision at a bar's close, from bars ``0..t`` only)
----------------------------------------------------------------
*Zones.* A zone is *eligible* when it is a fresh OB, or a breaker and ``trade_breakers`` is
on. It is *valid at t* when it was created at or before ``t`` and no close up to ``t`` went
beyond it (a bullish zone: a close below its low; a bearish one: a close above its high). A
bullish zone (support) gives longs, a bearish zone (resistance) gives shorts
(``allow_short``). Its *near edge* is the side price meets first: the high of a bullish zone,
the low of a bearish one.

*Mode A (market at the close of the touching candle).* Bar ``t`` touches a bullish zone created
before ``t`` and still valid after ``t``'s close when ``low[t] <= zone high`` (bearish:
``high[t] >= zone low``). The long entry is decided at ``t``'s close for the touched eligible
zone nearest to the price (highest high; a bearish zone: lowest low; ties to the newest) and
executed at that close (backtest keyword ``fill="close"``). A bar touching a bullish and a
bearish zone at once decides nothing.

*Mode B (resting limit at ``penetration`` into the zone).* The limit is ``high - p (high -
low)`` for a bullish zone and ``low + p (high - low)`` for a bearish one, ``p`` the
penetration of the zone's kind (0.2: 20 % of the zone's height in from its near edge). The
order is *stated* at the close of every bar ``t`` at which the eligible zone is valid, the
close is still on the outer side of the limit (``close > limit`` for a long) and price is
*approaching*: no more than ``approach_atr`` ATRs outside the near edge
(``close - zone high <= approach_atr * ATR``; bearish ``zone low - close <= approach_atr *
ATR``). Among several bullish zones the one with the highest limit is stated (bearish: the
lowest; ties to the newest); when both sides qualify the limit nearer to the close is stated
and an exact tie states nothing. A stated order rests from the next bar, good till cancelled;
stating it again at the next close replaces it by the same order, so it acts as one resting
order that is re-placed after every drop (a fill, an entry ignored during a cooldown or an
open position). It is cancelled by the exit signal of its zone's invalidation (below), or
replaced by a later statement; as the limit lies inside the zone, a bar that closes beyond the
zone has traded through a resting limit first, so in bar data the order fills and the exit then
closes that fill at the close. Stop-loss, partial target, size and leverage of a fill come from
the bar the order was last stated; a bar that opens through the limit fills at its open (a
better price), and the stop and target fractions then apply to that price.

*Stop.* The first close beyond a zone for which an entry was decided or stated (a close below
a bullish zone's low) is an exit signal of that direction, executed at that close: it closes
the trade of that zone, or a trade of the same direction opened from another zone (a later
zone touched while it was open was broken), and cancels a resting entry. A bar with an exit
signal decides no entry, in either direction (the exit keeps its reason). A protective
stop-loss ``sl_stop`` sits ``stop_atr`` ATRs beyond the zone's far edge (long: ``zone low -
stop_atr * ATR``), as a fraction of the expected entry price (the close in mode A, the limit in
mode B); it catches gaps and crashes inside a bar, which a close-based stop cannot.

*Targets.* ``partial_fraction`` (0.5) of the position is taken at ``tp_atr`` ATRs from the
entry (``partial_tp_stop = tp_atr * ATR / reference price``, the kind's ``tp_atr``, 2 by
default); with the backtest keyword ``trail_after_partial=True`` the rest is then protected by
a trailing stop that starts at the partial level and trails the highs (lows for shorts) at
the ``sl_stop`` distance.

*Cooldown and positions.* Entries are ignored for 3 bars after an exit in the same direction
(backtest keywords ``cooldown=3, cooldown_same_direction=True``) and while a position is open
(one position per symbol, the simulator's default); with ``fill="close"`` a bar on which a
protective order closed the position ignores its own signals. An entry of the opposite direction
reverses the position (the simulator's rule): in mode A on a touch of an opposite zone, in mode
B when price approaches an opposite zone and its order is stated.

*Sizing and leverage.* A fresh OB entry posts ``fresh_margin`` (40 %) of capital as margin at
``fresh_leverage`` (20x), a breaker entry ``breaker_margin`` (30 %) at ``breaker_leverage``
(10x) (:func:`soltrader.sizing.smc_size`). The leverage is per entry: the signals carry it per
bar (``Signals.leverage``, the simulator's ``leverage`` keyword), the leverage of the zone's kind
on an entry bar and ``max(fresh_leverage, breaker_leverage)`` on every other bar (the simulator
reads it on decision bars only; the maximum keeps its ``maintenance_margin`` check the same on
any data). A fill takes the leverage of its decision bar (mode B: the bar its order was last
stated) and its position keeps it: its margin is ``notional / leverage`` and an isolated long is
liquidated at ``entry * (1 - 1 / leverage) / (1 - maintenance_margin)`` (a short at ``entry *
(1 + 1 / leverage) / (1 + maintenance_margin)``), so with no maintenance margin a fresh trade
at 20x is liquidated 5 % against its entry and a breaker trade at 10x 10 % against it, losing
its margin. ``sizing="contracts"`` (default) sizes in whole contracts of ``contract_size`` base
units from a fixed ``capital`` (the starting cash, not compounded) and the reference price:
``floor(margin * leverage * capital / (reference price * contract_size))`` contracts (backtest
keyword ``size_type="amount"``), so a trade posts a little less than its margin fraction of
capital; once the account holds less cash than the margin, the order fills what the cash affords
(no longer whole contracts; backtest keyword ``allow_partial=True``, where the simulator's
default would refuse it). ``sizing="percent"`` commits ``margin`` of the cash at the
fill (margin and fees, at the kind's leverage; compounding, not floored to contracts; backtest
keyword ``size_type="percent"``).

The fixed backtest keywords are :func:`smc_backtest_kwargs` of the parameters (e.g.
``sizing="percent"`` needs ``size_type="percent"``, else the fractions would be read as base
units); :data:`SMC_BACKTEST_DEFAULTS` holds them for the default ``sizing`` and ``capital``.
``st.backtest`` applies them itself (the strategy's ``backtest_defaults``; a keyword the user
gives wins), and so do the engine's ``st.smc_backtest`` and ``st.compare_modes``. ``leverage``
is not one of them: the signals set it per bar, so it cannot be given to the backtest.

Examples
--------
>>> import soltrader as st
>>> from soltrader.strategies.smc_order_block import smc_order_block
>>> bars = st.data.load("SOL/USDT", "1h")                                      # doctest: +SKIP
>>> res = st.backtest(bars, smc_order_block, mode="B", fees=0.001)             # doctest: +SKIP
>>> st.compare_modes(bars, fees=0.001)                                         # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real
from types import MappingProxyType
from typing import Any

import numpy as np
from numba import njit

from soltrader.domain.errors import DataError, ParameterError
from soltrader.indicators.nb import atr_1d_nb
from soltrader.sizing.nb import smc_units_nb
from soltrader.strategies.live import Row, window_row
from soltrader.strategies.spec import Bars, Signals, Strategy
from soltrader.structure.nb import (
    BULLISH,
    FRESH,
    NONE,
    order_blocks_nb,
    structure_nb,
    swings_nb,
)

__all__ = [
    "MODES",
    "SIZINGS",
    "SMC_BACKTEST_DEFAULTS",
    "smc_backtest_kwargs",
    "smc_order_block",
    "smc_order_block_nb",
    "smc_order_block_signals",
]

#: Entry modes by name: ``"A"`` market at the touching close, ``"B"`` resting limit.
MODES = {"A": 0, "B": 1}
#: Sizing rules by name (see the module docstring).
SIZINGS = {"contracts": 0, "percent": 1}

MODE_A = np.int64(0)
MODE_B = np.int64(1)
SIZE_CONTRACTS = np.int64(0)
SIZE_PERCENT = np.int64(1)
_LIMIT = np.int64(1)  # OrderType.LIMIT
_BIG = 1e15  # upper bound of "any positive number" parameters


# ---------------------------------------------------------------------------------------------
# kernel


@njit(cache=True, nogil=True)
def _zone_records_nb(open_, high, low, close, left, right):
    """Order-block records (direction, kind, low, high, created bar, invalidated bar)."""
    sh, sl = swings_nb(high, low, left, right)
    st = structure_nb(high, low, close, sh, sl, right)
    ob = order_blocks_nb(open_, high, low, close, st[6], st[8], st[10])
    return ob[0], ob[1], ob[2], ob[3], ob[5], ob[6]


@njit(cache=True, nogil=True)
def _limit_nb(direction, zone_low, zone_high, penetration):
    """Mode B limit price: ``penetration`` of the zone's height in from its near edge."""
    if direction == BULLISH:
        return zone_high - penetration * (zone_high - zone_low)
    return zone_low + penetration * (zone_high - zone_low)


@njit(cache=True, nogil=True)
def _expire_nb(t, alive, n_alive, z_dir, z_inv, signalled, exits, short_exits):
    """Drop the zones invalidated by ``close[t]``; a traded one raises its exit signal."""
    w = 0
    for a in range(n_alive):
        j = alive[a]
        if z_inv[j] == t:
            if signalled[j]:
                if z_dir[j] == BULLISH:
                    exits[t] = True
                else:
                    short_exits[t] = True
        else:
            alive[w] = j
            w += 1
    return w


@njit(cache=True, nogil=True)
def _touched_nb(t, side, alive, n_alive, zones, trade_kind, high, low):
    """Mode A: the eligible zone of ``side`` touched by bar ``t`` nearest the price, or -1."""
    z_dir, z_kind, z_low, z_high, z_created = zones
    best = NONE
    edge = 0.0
    for a in range(n_alive):
        j = alive[a]
        if z_dir[j] != side or z_created[j] >= t or not trade_kind[z_kind[j]]:
            continue
        if side == BULLISH:
            if low[t] <= z_high[j] and (best < 0 or z_high[j] >= edge):
                best, edge = j, z_high[j]
        elif high[t] >= z_low[j] and (best < 0 or z_low[j] <= edge):
            best, edge = j, z_low[j]
    return best


@njit(cache=True, nogil=True)
def _approached_nb(t, side, alive, n_alive, zones, trade_kind, penetration, reach, c):
    """Mode B: the eligible zone of ``side`` whose limit is stated at close ``c``, or -1.

    ``reach`` is the approach distance in price (``approach_atr * ATR``)."""
    z_dir, z_kind, z_low, z_high, _created = zones
    best = NONE
    best_limit = 0.0
    for a in range(n_alive):
        j = alive[a]
        if z_dir[j] != side or not trade_kind[z_kind[j]]:
            continue
        lim = _limit_nb(side, z_low[j], z_high[j], penetration[z_kind[j]])
        if side == BULLISH:
            ok = c > lim and c - z_high[j] <= reach
            better = best < 0 or lim >= best_limit
        else:
            ok = c < lim and z_low[j] - c <= reach
            better = best < 0 or lim <= best_limit
        if ok and better:
            best, best_limit = j, lim
    return best


@njit(cache=True, nogil=True)
def _choose_nb(mode, bull, bear, c, zones, penetration):
    """One zone for bar t's decision: mode A drops a two-sided bar, mode B keeps the limit
    nearer to the close ``c`` (an exact tie: none)."""
    if bull < 0 or bear < 0:
        return bull if bull >= 0 else bear
    if mode == MODE_A:
        return NONE
    z_dir, z_kind, z_low, z_high, _created = zones
    d_bull = c - _limit_nb(z_dir[bull], z_low[bull], z_high[bull], penetration[z_kind[bull]])
    d_bear = _limit_nb(z_dir[bear], z_low[bear], z_high[bear], penetration[z_kind[bear]]) - c
    if d_bull < d_bear:
        return bull
    if d_bear < d_bull:
        return bear
    return NONE


@njit(cache=True, nogil=True)
def _units_nb(ref, kind, margin, leverage, sizing, capital, contract_size):
    """Entry size for a zone of ``kind``: whole contracts of ``margin * leverage * capital`` at
    ``ref`` (base units), or the fraction ``margin`` of the cash (posted at ``leverage``)."""
    if sizing == SIZE_CONTRACTS:
        return smc_units_nb(
            capital,
            ref,
            kind == FRESH,
            margin[0],
            leverage[0],
            margin[1],
            leverage[1],
            leverage[kind],  # the entry's own leverage: no cap below it
            contract_size,
            0.0,
        )
    return margin[kind]


@njit(cache=True, nogil=True)
def _entry_nb(
    direction, kind, zone_low, zone_high, mode, c, atr, penetration, stop_atr, sizing_args
):
    """The entry a zone gives at a bar with close ``c``: ``(ok, reference price, sl_stop,
    units)``; not ok when the reference price, the stop or the size is not > 0."""
    margin, leverage, sizing, capital, contract_size = sizing_args
    ref = c
    if mode == MODE_B:
        ref = _limit_nb(direction, zone_low, zone_high, penetration[kind])
    if direction == BULLISH:
        sl = (ref - (zone_low - stop_atr * atr)) / ref
    else:
        sl = (zone_high + stop_atr * atr - ref) / ref
    units = _units_nb(ref, kind, margin, leverage, sizing, capital, contract_size)
    return ref > 0.0 and sl > 0.0 and units > 0.0, ref, sl, units


@njit(cache=True, nogil=True)
def _decide_nb(t, j, mode, c, atr, zones, penetration, tp_atr, stop_atr, sizing_args, out):
    """Write the entry decision of bar ``t`` for zone ``j``; False when it cannot be sized."""
    z_dir, z_kind, z_low, z_high, _created = zones
    _margin, leverage, _sizing, _capital, _contract_size = sizing_args
    entries, _x, short_entries, _sx, order_type, limit_price, sl_stop, ptp, _ps, size, lev, zone = (
        out
    )
    kind = z_kind[j]
    ok, ref, sl, units = _entry_nb(
        z_dir[j], kind, z_low[j], z_high[j], mode, c, atr, penetration, stop_atr, sizing_args
    )
    if not ok:
        return False
    if z_dir[j] == BULLISH:
        entries[t] = True
    else:
        short_entries[t] = True
    if mode == MODE_B:
        order_type[t] = _LIMIT
        limit_price[t] = ref
    sl_stop[t] = sl
    ptp[t] = tp_atr[kind] * atr / ref
    size[t] = units
    lev[t] = leverage[kind]
    zone[t] = j
    return True


@njit(cache=True, nogil=True)
def _outputs_nb(n, partial_fraction, idle_leverage):
    """Per-bar outputs, empty: no signal, NaN prices and stops, zero size, ``idle_leverage``,
    zone -1."""
    return (
        np.zeros(n, dtype=np.bool_),
        np.zeros(n, dtype=np.bool_),
        np.zeros(n, dtype=np.bool_),
        np.zeros(n, dtype=np.bool_),
        np.zeros(n, dtype=np.int64),
        np.full(n, np.nan),
        np.full(n, np.nan),
        np.full(n, np.nan),
        np.full(n, partial_fraction),
        np.zeros(n),
        np.full(n, idle_leverage),
        np.full(n, NONE, dtype=np.int64),
    )


@njit(cache=True, nogil=True)
def smc_order_block_nb(
    open_,
    high,
    low,
    close,
    mode,
    left,
    right,
    atr_n,
    approach_atr,
    stop_atr,
    tp_atr,
    penetration,
    trade_kind,
    partial_fraction,
    allow_short,
    margin,
    leverage,
    sizing,
    capital,
    contract_size,
):
    """Kernel of :func:`smc_order_block_signals` (rules in the module docstring).

    Parameters
    ----------
    open_, high, low, close : numpy.ndarray
        Bar prices, float64, shape ``(bars,)``, finite with ``low <= open, close <= high``.
    mode : int
        ``MODE_A`` (0) or ``MODE_B`` (1).
    left, right, atr_n : int
        Swing windows and ATR window, bars (>= 1).
    approach_atr, stop_atr : float
        Mode B approach distance and protective-stop buffer, ATRs.
    tp_atr, penetration : numpy.ndarray
        Per zone kind (index 0 fresh, 1 breaker): partial target in ATRs, limit penetration
        (fraction of the zone's height).
    trade_kind : numpy.ndarray of bool
        Per zone kind: whether it is traded.
    partial_fraction : float
        Share of the position taken at the partial target.
    allow_short : bool
        Trade bearish zones.
    margin, leverage : numpy.ndarray
        Per zone kind: margin fraction of capital (contracts) or cash (percent), and leverage
        (>= 1) of the entry.
    sizing : int
        ``SIZE_CONTRACTS`` (0) or ``SIZE_PERCENT`` (1).
    capital, contract_size : float
        Capital of the contract sizing (quote) and base units per contract.

    Returns
    -------
    tuple of numpy.ndarray
        Shape ``(bars,)`` each: ``entries``, ``exits``, ``short_entries``, ``short_exits``
        (bool), ``order_type`` (int64: 0 market, 1 limit), ``limit_price`` (price, NaN without
        a limit), ``sl_stop``, ``partial_tp_stop`` (fractions of the reference price, NaN
        without an entry), ``partial_tp_size`` (fraction), ``size`` (base units or fraction of
        cash, 0 without an entry), ``leverage`` (the entry's: its zone kind's; the larger of
        the two leverages without an entry), ``zone`` (int64 id of the zone of the entry in the
        ``order_blocks`` table, -1 without one).

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([10, 10.5, 11.8, 11, 10.4, 11.4, 12.4, 11.5])
    >>> h = np.array([11, 12, 11.9, 11.2, 11.5, 12.6, 12.5, 12.0])
    >>> lo = np.array([9.5, 10.4, 10.8, 10.2, 10.3, 11.3, 11.0, 11.4])
    >>> c = np.array([10.5, 11.8, 11, 10.4, 11.4, 12.5, 11.5, 11.9])
    >>> two = lambda a, b: np.array([a, b])
    >>> out = smc_order_block_nb(o, h, lo, c, 0, 1, 1, 1, 1.0, 1.0, two(2.0, 2.0),
    ...                          two(0.2, 0.2), np.array([True, True]), 0.5, True,
    ...                          two(0.4, 0.3), two(20.0, 10.0), 0, 10_000.0, 1.0)
    >>> np.flatnonzero(out[0]), int(out[11][6]), float(out[9][6])  # bar 6, zone 0, 80000/11.5
    (array([6]), 0, 6956.0)
    >>> float(out[10][6])  # a fresh zone: 20x
    20.0
    """
    n = close.shape[0]
    z_dir, z_kind, z_low, z_high, z_created, z_inv = _zone_records_nb(
        open_, high, low, close, left, right
    )
    zones = (z_dir, z_kind, z_low, z_high, z_created)
    atr = atr_1d_nb(high, low, close, atr_n)
    out = _outputs_nb(n, partial_fraction, max(leverage[0], leverage[1]))
    exits, short_exits = out[1], out[3]
    sizing_args = (margin, leverage, sizing, capital, contract_size)
    m = z_dir.shape[0]
    alive = np.empty(m, dtype=np.int64)
    signalled = np.zeros(m, dtype=np.bool_)
    n_alive = 0
    p = 0
    for t in range(n):
        n_alive = _expire_nb(t, alive, n_alive, z_dir, z_inv, signalled, exits, short_exits)
        while p < m and z_created[p] == t:
            alive[n_alive] = p
            n_alive += 1
            p += 1
        if exits[t] or short_exits[t] or not atr[t] > 0.0:
            continue  # an exit signal has priority over any entry on its bar
        if mode == MODE_A:
            bull = _touched_nb(t, BULLISH, alive, n_alive, zones, trade_kind, high, low)
            bear = _touched_nb(t, -BULLISH, alive, n_alive, zones, trade_kind, high, low)
        else:
            reach = approach_atr * atr[t]
            bull = _approached_nb(
                t, BULLISH, alive, n_alive, zones, trade_kind, penetration, reach, close[t]
            )
            bear = _approached_nb(
                t, -BULLISH, alive, n_alive, zones, trade_kind, penetration, reach, close[t]
            )
        if not allow_short:
            bear = NONE
        j = _choose_nb(mode, bull, bear, close[t], zones, penetration)
        if j >= 0 and _decide_nb(
            t, j, mode, close[t], atr[t], zones, penetration, tp_atr, stop_atr, sizing_args, out
        ):
            signalled[j] = True
    return out


@njit(cache=True, nogil=True)
def _best_nb(cands, n_c, z_val, expired, want_max):
    """Drop the expired zones of ``cands[:n_c]`` (kept in id order) and return ``(best, n_c)``:
    the zone of the largest (``want_max``) or smallest ``z_val``, ties to the later id, as
    :func:`_touched_nb` picks among touched zones; -1 when none is left."""
    w = 0
    best = NONE
    edge = 0.0
    for a in range(n_c):
        j = cands[a]
        if expired[j]:
            continue
        cands[w] = j
        w += 1
        v = z_val[j]
        if best < 0 or (v >= edge if want_max else v <= edge):
            best, edge = j, v
    return best, w


@njit(cache=True, nogil=True)
def smc_newest_nb(open_, high, low, close, params):
    """The last row of :func:`smc_order_block_nb` in mode A on these bars (a window): the
    twelve outputs at the last bar, as scalars; ``params`` are the kernel's after the prices,
    in its order (``mode`` and ``approach_atr`` are not read: mode A).

    The zones and the ATR are the kernel's own; the bar-by-bar decisions (which zones were
    traded, so that their invalidation is an exit signal) are replayed with the eligible zones
    of each direction kept apart and the nearest one to the price known, instead of every
    living zone being scanned at every bar: a zone is touched in mode A only if the nearest one
    is, and that one is the kernel's choice. Equal to the kernel's last row.

    Examples
    --------
    Every row of a random walk of 200 bars, at the default parameters, against the kernel's:

    >>> import numpy as np
    >>> c = 100.0 * np.exp(np.cumsum(np.random.default_rng(0).normal(0.0, 0.01, 200)))
    >>> o = np.r_[c[0], c[:-1]]
    >>> h, lo = np.maximum(o, c) * 1.002, np.minimum(o, c) * 0.998
    >>> p = _kernel_args(smc_order_block.params)
    >>> out = smc_order_block_nb(o, h, lo, c, *p)
    >>> rows = [smc_newest_nb(o[:t], h[:t], lo[:t], c[:t], p) for t in range(1, 201)]
    >>> all(r[:4] == tuple(a[t] for a in out[:4]) and r[9] == out[9][t] for t, r in enumerate(rows))
    True
    >>> sum(r[0] for r in rows), sum(r[1] for r in rows)  # long entries, long exits
    (39, 5)
    """
    (_mode, left, right, atr_n, _approach_atr, stop_atr, tp_atr, penetration, trade_kind,
     partial_fraction, allow_short, margin, leverage, sizing, capital,
     contract_size) = params  # fmt: skip
    n = close.shape[0]
    z_dir, z_kind, z_low, z_high, z_created, z_inv = _zone_records_nb(
        open_, high, low, close, left, right
    )
    zones = (z_dir, z_kind, z_low, z_high, z_created)
    atr = atr_1d_nb(high, low, close, atr_n)
    idle_leverage = max(leverage[0], leverage[1])
    sizing_args = (margin, leverage, sizing, capital, contract_size)
    m = z_dir.shape[0]
    # zones by the bar they are invalidated at (their exit signal, if traded, is at that bar)
    by_inv = np.argsort(z_inv, kind="mergesort")
    e = 0
    while e < m and z_inv[by_inv[e]] < 0:
        e += 1
    expired = np.zeros(m, dtype=np.bool_)
    signalled = np.zeros(m, dtype=np.bool_)
    bulls = np.empty(m, dtype=np.int64)
    bears = np.empty(m, dtype=np.int64)
    n_bull = 0
    n_bear = 0
    bull_best = NONE
    bear_best = NONE
    bull_stale = False
    bear_stale = False
    q = 0  # zones created before the bar are touchable from it
    last = _outputs_nb(1, partial_fraction, idle_leverage)
    for t in range(n):
        exit_long = False
        exit_short = False
        while e < m and z_inv[by_inv[e]] == t:
            j = by_inv[e]
            e += 1
            if z_created[j] >= t:  # not alive yet when invalidated: the kernel keeps it
                continue
            expired[j] = True
            if signalled[j]:
                if z_dir[j] == BULLISH:
                    exit_long = True
                else:
                    exit_short = True
            bull_stale |= j == bull_best
            bear_stale |= j == bear_best
        while q < m and z_created[q] < t:
            j = q
            q += 1
            if expired[j] or not trade_kind[z_kind[j]]:
                continue
            if z_dir[j] == BULLISH:
                bulls[n_bull] = j
                n_bull += 1
                if not bull_stale and (bull_best < 0 or z_high[j] >= z_high[bull_best]):
                    bull_best = j
            else:
                bears[n_bear] = j
                n_bear += 1
                if not bear_stale and (bear_best < 0 or z_low[j] <= z_low[bear_best]):
                    bear_best = j
        if t == n - 1:
            last[1][0] = exit_long
            last[3][0] = exit_short
        if exit_long or exit_short or not atr[t] > 0.0:
            continue  # an exit signal has priority over any entry on its bar
        if bull_stale:
            bull_best, n_bull = _best_nb(bulls, n_bull, z_high, expired, True)
            bull_stale = False
        if bear_stale:
            bear_best, n_bear = _best_nb(bears, n_bear, z_low, expired, False)
            bear_stale = False
        bull = bull_best if bull_best >= 0 and low[t] <= z_high[bull_best] else NONE
        bear = bear_best if bear_best >= 0 and high[t] >= z_low[bear_best] else NONE
        if not allow_short:
            bear = NONE
        if bull >= 0 and bear >= 0:
            j = _choose_nb(MODE_A, bull, bear, close[t], zones, penetration)
        else:
            j = max(bull, bear)  # _choose_nb's choice of one side (NONE is -1)
        if j < 0:
            continue
        if t == n - 1:  # the row asked for: the kernel's own writes
            signalled[j] = _decide_nb(
                0, j, MODE_A, close[t], atr[t], zones, penetration, tp_atr, stop_atr,
                sizing_args, last,
            )  # fmt: skip
        else:  # whether the kernel's _decide_nb would trade the zone
            signalled[j] |= _entry_nb(
                z_dir[j], z_kind[j], z_low[j], z_high[j], MODE_A, close[t], atr[t],
                penetration, stop_atr, sizing_args,
            )[0]  # fmt: skip
    return (
        last[0][0], last[1][0], last[2][0], last[3][0], last[4][0], last[5][0], last[6][0],
        last[7][0], last[8][0], last[9][0], last[10][0], last[11][0],
    )  # fmt: skip


def smc_order_block_live(**params: Any) -> Row:
    """The live form of :func:`smc_order_block_signals` (see ``Strategy.live``): ``row(bars,
    start, stop)`` gives the newest row of the signals on ``bars[start:stop]`` (bars that pass
    the data rules), equal to them. Mode A replays the window's decisions without scanning
    every zone at every bar (:func:`smc_newest_nb`); mode B computes the window whole.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.linspace(10.0, 12.0, 80)
    >>> row = smc_order_block_live(**smc_order_block.params)
    >>> sorted(row(Bars(c, c + 0.1, c - 0.1, c, np.ones(80)), 0, 80))[:3]
    ['entries', 'exits', 'leverage']
    """
    p = smc_order_block.resolve(**params)
    args = _kernel_args(p)
    mode_code = args[0]

    def row(bars: Bars, start: int, stop: int) -> dict[str, Any]:
        if mode_code == MODE_B:
            return window_row(smc_order_block_signals, bars, start, stop, p)
        e, x, se, sx, _ot, _lim, sl, ptp, psize, size, lev, _zone = smc_newest_nb(
            bars.open[start:stop], bars.high[start:stop], bars.low[start:stop],
            bars.close[start:stop], args,
        )  # fmt: skip
        return {
            "entries": e, "exits": x, "short_entries": se, "short_exits": sx, "sl_stop": sl,
            "size": size, "partial_tp_stop": ptp, "partial_tp_size": psize, "leverage": lev,
        }  # fmt: skip

    return row


# ---------------------------------------------------------------------------------------------
# wrapper


def _number(value: Any, name: str, low: float, high: float, *, open_low: bool = False) -> float:
    """``value`` as a float in ``[low, high]`` (``(low, high]`` with ``open_low``)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ParameterError(name, f"expected a number, got {value!r}")
    v = float(value)
    ok = (v > low if open_low else v >= low) and v <= high and not np.isnan(v)
    if not ok:
        bracket = "(" if open_low else "["
        raise ParameterError(name, f"expected a value in {bracket}{low}, {high}], got {value!r}")
    return v


def _pair(fresh: Any, breaker: Any, name: str, low: float, high: float, **kw: bool) -> np.ndarray:
    """``[fresh_<name>, breaker_<name>]`` validated by :func:`_number`."""
    first = _number(fresh, f"fresh_{name}", low, high, **kw)
    second = _number(breaker, f"breaker_{name}", low, high, **kw)
    return np.array([first, second])


def _whole(value: Any, name: str) -> int:
    """``value`` as an int >= 1 (bars)."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ParameterError(name, f"expected a whole number of bars >= 1, got {value!r}")
    return int(value)


def _choice(value: Any, name: str, options: Mapping[str, int]) -> int:
    """The code of a named option."""
    if not isinstance(value, str) or value not in options:
        raise ParameterError(name, f"expected one of {sorted(options)}, got {value!r}")
    return options[value]


def _flag(value: Any, name: str) -> bool:
    """``value`` as a bool (Python or numpy bool only)."""
    if not isinstance(value, bool | np.bool_):
        raise ParameterError(name, f"expected True or False, got {value!r}")
    return bool(value)


def _kernel_args(p: Mapping[str, Any]) -> tuple[Any, ...]:
    """The resolved parameters checked and in the order of :func:`smc_order_block_nb` after
    the prices (``mode`` first)."""
    mode_code = _choice(p["mode"], "mode", MODES)
    sizing_code = _choice(p["sizing"], "sizing", SIZINGS)
    windows = [_whole(p[k], k) for k in ("left", "right", "atr_n")]
    tp = _pair(p["fresh_tp_atr"], p["breaker_tp_atr"], "tp_atr", 0.0, _BIG, open_low=True)
    pen = _pair(p["fresh_penetration"], p["breaker_penetration"], "penetration", 0.0, 1.0)
    margin = _pair(p["fresh_margin"], p["breaker_margin"], "margin", 0.0, 1.0, open_low=True)
    lev = _pair(p["fresh_leverage"], p["breaker_leverage"], "leverage", 1.0, _BIG)
    approach = _number(p["approach_atr"], "approach_atr", 0.0, np.inf)
    stop = _number(p["stop_atr"], "stop_atr", 0.0, _BIG, open_low=True)
    kinds = np.array([True, _flag(p["trade_breakers"], "trade_breakers")])
    part = _number(p["partial_fraction"], "partial_fraction", 0.0, 1.0, open_low=True)
    short = _flag(p["allow_short"], "allow_short")
    cap = _number(p["capital"], "capital", 0.0, _BIG, open_low=True)
    csize = _number(p["contract_size"], "contract_size", 0.0, _BIG, open_low=True)
    return (mode_code, *windows, approach, stop, tp, pen, kinds, part, short, margin, lev,
            sizing_code, cap, csize)  # fmt: skip


def _prices(bars: Bars) -> tuple[np.ndarray, ...]:
    """Open, high, low, close as contiguous float64 arrays of one length, finite, consistent."""
    fields = ("open", "high", "low", "close")
    try:
        arrays = [np.ascontiguousarray(getattr(bars, f), dtype=np.float64) for f in fields]
    except (AttributeError, TypeError, ValueError) as exc:
        raise ParameterError("bars", f"expected Bars of float prices ({exc})") from exc
    if any(a.ndim != 1 or a.shape != arrays[3].shape for a in arrays):
        raise ParameterError("bars", "open, high, low and close must be 1-D arrays of one length")
    for name, a in zip(fields, arrays, strict=True):
        bad = np.flatnonzero(~np.isfinite(a))
        if bad.size:
            row = int(bad[0])
            code = "nan" if np.isnan(a[row]) else "inf"
            msg = f"bars: row {row}: {name} is {a[row]!r}; expected a finite price"
            raise DataError(msg, code=code, row=row, field=name)
    o, h, lo, c = arrays
    bad = np.flatnonzero((lo > np.minimum(o, c)) | (h < np.maximum(o, c)))
    if bad.size:
        row = int(bad[0])
        msg = f"bars: row {row}: open or close outside [low {lo[row]!r}, high {h[row]!r}]"
        raise DataError(msg, code="ohlc_inconsistent", row=row, field="close")
    return o, h, lo, c


def smc_order_block_signals(
    bars: Bars,
    mode: str = "A",
    left: int = 3,
    right: int = 3,
    atr_n: int = 14,
    approach_atr: float = 1.0,
    stop_atr: float = 1.0,
    fresh_tp_atr: float = 2.0,
    breaker_tp_atr: float = 2.0,
    fresh_penetration: float = 0.2,
    breaker_penetration: float = 0.2,
    trade_breakers: bool = True,
    partial_fraction: float = 0.5,
    allow_short: bool = True,
    sizing: str = "contracts",
    capital: float = 10_000.0,
    contract_size: float = 1.0,
    fresh_margin: float = 0.4,
    fresh_leverage: float = 20.0,
    breaker_margin: float = 0.3,
    breaker_leverage: float = 10.0,
) -> Signals:
    """Entries on touches of valid order blocks, exits on a close beyond them (module docstring).

    Parameters
    ----------
    bars : Bars
        One asset's bars (prices in quote currency).
    mode : {"A", "B"}
        ``"A"``: market order at the close of the touching candle; ``"B"``: resting limit at
        ``penetration`` into the zone.
    left, right : int
        Swing windows, bars (:func:`soltrader.structure.swings`).
    atr_n : int
        Wilder ATR window, bars.
    approach_atr : float
        Mode B: an order is stated while the close is at most this many ATRs outside the zone's
        near edge (>= 0; ``inf``: whenever the zone is valid).
    stop_atr : float
        Protective stop beyond the zone's far edge, ATRs (> 0).
    fresh_tp_atr, breaker_tp_atr : float
        Partial take-profit distance from the entry, ATRs (> 0), for fresh OBs / breakers.
    fresh_penetration, breaker_penetration : float
        Mode B limit depth into the zone from its near edge, fraction of its height in [0, 1].
    trade_breakers : bool
        Trade breakers too (fresh OBs are always traded).
    partial_fraction : float
        Share of the position taken at the partial target, in (0, 1].
    allow_short : bool
        Short bearish zones (else long only).
    sizing : {"contracts", "percent"}
        Whole contracts from ``capital`` (backtest ``size_type="amount"``) or a fraction of cash
        (``size_type="percent"``).
    capital : float
        Capital of the contract sizing, quote currency (> 0); the starting cash.
    contract_size : float
        Base units per contract (> 0).
    fresh_margin, breaker_margin : float
        Margin per trade, fraction of capital in (0, 1].
    fresh_leverage, breaker_leverage : float
        Leverage of an entry (>= 1), per bar in ``Signals.leverage``: the position keeps it for
        its margin and liquidation price.

    Returns
    -------
    Signals
        ``entries``, ``exits``, ``short_entries``, ``short_exits``; per entry bar ``sl_stop``,
        ``partial_tp_stop`` (fractions of the reference price), ``size``; ``partial_tp_size``
        and ``leverage`` on every bar (the entry's leverage on an entry bar, else
        ``max(fresh_leverage, breaker_leverage)``); mode B adds ``order_type`` (1 = limit on
        entry bars) and ``limit_price``.

    Raises
    ------
    ParameterError
        For a parameter out of its range or of the wrong type.
    DataError
        For a non-finite price or an open / close outside ``[low, high]``.

    Examples
    --------
    >>> import soltrader as st
    >>> bars = st.data.load("SOL/USDT", "1h")                              # doctest: +SKIP
    >>> res = st.backtest(bars, smc_order_block, mode="A", fees=0.001)     # doctest: +SKIP
    >>> res.trades[["entry_time", "exit_reason", "pnl"]].head()             # doctest: +SKIP
    """
    args = _kernel_args({k: v for k, v in locals().items() if k != "bars"})
    o, h, lo, c = _prices(bars)
    e, x, se, sx, otype, limit, sl, ptp, psize, size, lev, _zone = smc_order_block_nb(
        o, h, lo, c, *args
    )
    mode_code = args[0]
    risk = {
        "sl_stop": sl,
        "size": size,
        "partial_tp_stop": ptp,
        "partial_tp_size": psize,
        "leverage": lev,
    }
    if mode_code == MODE_B:
        return Signals(e, x, se, sx, limit_price=limit, order_type=otype, **risk)
    return Signals(e, x, se, sx, **risk)


_DEFAULTS: dict[str, Any] = {
    "mode": "A",
    "left": 3,
    "right": 3,
    "atr_n": 14,
    "approach_atr": 1.0,
    "stop_atr": 1.0,
    "fresh_tp_atr": 2.0,
    "breaker_tp_atr": 2.0,
    "fresh_penetration": 0.2,
    "breaker_penetration": 0.2,
    "trade_breakers": True,
    "partial_fraction": 0.5,
    "allow_short": True,
    "sizing": "contracts",
    "capital": 10_000.0,
    "contract_size": 1.0,
    "fresh_margin": 0.4,
    "fresh_leverage": 20.0,
    "breaker_margin": 0.3,
    "breaker_leverage": 10.0,
}

smc_order_block = Strategy(
    name="smc_order_block",
    signal=smc_order_block_signals,
    params=_DEFAULTS,
    space={
        "left": range(2, 7),
        "right": range(2, 7),
        "stop_atr": [0.5, 1.0, 1.5, 2.0],
        "fresh_tp_atr": np.linspace(1.0, 4.0, 7),
        "fresh_penetration": np.linspace(0.0, 0.5, 6),
        "approach_atr": [0.5, 1.0, 2.0, 3.0],
    },
    description="Enter on a touch of a valid order block (A: market at the close; B: resting "
    "limit 20 % into it), exit on a close beyond it, take half at 2 ATR and trail the rest; "
    "40 % margin at 20x on fresh OBs, 30 % at 10x on breakers.",
    backtest_defaults=lambda **p: smc_backtest_kwargs(**p),
    # order blocks stay live for days of 1m bars: 2,000 bars differ from the whole history on
    # the bundled SOL 1m data (bar 4,800 on); 5,000 reproduce 30 days of it exactly
    live_window=5_000,
    live=smc_order_block_live,
)


# ---------------------------------------------------------------------------------------------
# backtest helpers (the engine is passed in: strategies never import it)


def smc_backtest_kwargs(**params: Any) -> dict[str, Any]:
    """The fixed backtest keywords the rules need, for the given strategy parameters.

    ``fill="close"`` (mode A fills at the touching close; exits at the breaking close),
    ``cooldown=3`` with ``cooldown_same_direction=True``, ``trail_after_partial=True``,
    ``size_type`` of the ``sizing`` rule and, for contract sizing, ``init_cash = capital`` and
    ``allow_partial=True`` (an order the cash no longer covers fills what it affords). No
    ``leverage``: the signals set it per bar (``Signals.leverage``).

    Parameters
    ----------
    **params
        Parameters of :data:`smc_order_block` (defaults for the missing ones).

    Returns
    -------
    dict
        Backtest keywords.

    Examples
    --------
    >>> smc_backtest_kwargs(sizing="percent")["size_type"]
    'percent'
    >>> "leverage" in smc_backtest_kwargs(breaker_leverage=25.0)
    False
    """
    p = smc_order_block.resolve(**params)
    _choice(p["sizing"], "sizing", SIZINGS)
    out: dict[str, Any] = {
        "fill": "close",
        "cooldown": 3,
        "cooldown_same_direction": True,
        "trail_after_partial": True,
        "size_type": "amount" if p["sizing"] == "contracts" else "percent",
    }
    if p["sizing"] == "contracts":
        out["init_cash"] = _number(p["capital"], "capital", 0.0, _BIG, open_low=True)
        out["allow_partial"] = True
    return out


#: The fixed backtest keywords for the default parameters (see :func:`smc_backtest_kwargs`).
SMC_BACKTEST_DEFAULTS: Mapping[str, Any] = MappingProxyType(smc_backtest_kwargs())
