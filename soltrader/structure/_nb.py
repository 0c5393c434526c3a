"""Numba kernels of market structure (``*_nb``): swings, breaks (BOS / CHoCH), order blocks.

The kernels take and return plain numpy arrays (float64 prices, bool flags, int8 codes, int64
bar indices and ids) and do not validate their arguments: prices are finite with
``low <= open, close <= high``, windows are integers >= 1 and the arrays of one call have one
length. The wrappers in :mod:`soltrader.structure.api` validate and document the rules; the full
statement is in ``docs/structure.md``. The pipeline, each step using only its predecessors::

    swings_nb -> structure_nb -> order_blocks_nb -> zones_nb

Codes: direction ``BULLISH = 1`` / ``BEARISH = -1`` (``0``: none / neutral trend); break kind
``BOS = 1`` / ``CHOCH = 2`` (``0``: no break); zone kind ``FRESH = 0`` / ``BREAKER = 1``
(``-1``: no zone); ``-1`` for a missing bar index or id.

No look-ahead: every value a kernel writes for bar ``t`` (and every record it creates or
updates at bar ``t``) depends on bars ``0..t`` only; a swing at bar ``i`` is flagged at bar ``i``
but becomes known (and is used downstream) only at its confirmation bar ``i + right``.
Importing compiles nothing: numba compiles each kernel on its first call (and caches it).
"""

from __future__ import annotations

import numba
import numpy as np

#: Direction codes (trend state, break direction, zone direction).
BULLISH = np.int64(1)
BEARISH = np.int64(-1)
NEUTRAL = np.int64(0)
#: Break kinds (``NO_BREAK`` in the per-bar column on bars without a break).
NO_BREAK = np.int64(0)
BOS = np.int64(1)
CHOCH = np.int64(2)
#: Zone kinds (``NO_ZONE`` in per-bar columns on bars without a zone).
NO_ZONE = np.int64(-1)
FRESH = np.int64(0)
BREAKER = np.int64(1)
#: Missing bar index or id.
NONE = np.int64(-1)

_NAN = np.nan
_INF = np.inf


# ---------------------------------------------------------------------------------------------
# swings


@numba.njit(cache=True)
def _is_swing_high_nb(high: np.ndarray, i: int, left: int, right: int) -> bool:
    """``high[i]`` > each of the ``left`` highs before and >= each of the ``right`` after."""
    h = high[i]
    for j in range(i - left, i):
        if not h > high[j]:
            return False
    for j in range(i + 1, i + right + 1):
        if not h >= high[j]:
            return False
    return True


@numba.njit(cache=True)
def _is_swing_low_nb(low: np.ndarray, i: int, left: int, right: int) -> bool:
    """``low[i]`` < each of the ``left`` lows before and <= each of the ``right`` after."""
    v = low[i]
    for j in range(i - left, i):
        if not v < low[j]:
            return False
    for j in range(i + 1, i + right + 1):
        if not v <= low[j]:
            return False
    return True


@numba.njit(cache=True)
def swings_nb(
    high: np.ndarray, low: np.ndarray, left: int, right: int
) -> tuple[np.ndarray, np.ndarray]:
    """Swing-high and swing-low flags, each at the swing's own bar.

    Bar ``i`` is a swing high when ``high[i]`` is strictly greater than the ``left`` highs before
    it and greater than or equal to the ``right`` highs after it (so the first bar of a flat top
    is the swing); mirror for swing lows. Only bars ``left <= i <= bars - 1 - right`` can be
    swings: the swing at ``i`` is confirmed at bar ``i + right``, which must exist.

    Parameters
    ----------
    high, low : numpy.ndarray
        Bar prices, float64, shape ``(bars,)``.
    left, right : int
        Bars on each side, >= 1.

    Returns
    -------
    swing_high, swing_low : numpy.ndarray
        Bool flags, shape ``(bars,)``.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([1.0, 3.0, 2.0, 2.0, 4.0, 1.0])
    >>> sh, sl = swings_nb(h, h - 0.5, 1, 1)
    >>> np.flatnonzero(sh), np.flatnonzero(sl)
    (array([1, 4]), array([2]))
    """
    n = high.shape[0]
    swing_high = np.zeros(n, dtype=np.bool_)
    swing_low = np.zeros(n, dtype=np.bool_)
    for i in range(left, n - right):
        swing_high[i] = _is_swing_high_nb(high, i, left, right)
        swing_low[i] = _is_swing_low_nb(low, i, left, right)
    return swing_high, swing_low


@numba.njit(cache=True)
def swing_levels_nb(
    high: np.ndarray, low: np.ndarray, swing_high: np.ndarray, swing_low: np.ndarray, right: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Level and bar of the most recent swing high / low *confirmed* at or before each bar.

    Parameters
    ----------
    high, low : numpy.ndarray
        Bar prices, float64, shape ``(bars,)``.
    swing_high, swing_low : numpy.ndarray
        Flags from :func:`swings_nb` computed with the same ``right``.
    right : int
        Confirmation delay in bars.

    Returns
    -------
    last_high, last_low : numpy.ndarray
        Price of the latest confirmed swing high / low at each bar (NaN before the first).
    last_high_bar, last_low_bar : numpy.ndarray
        Its bar index, int64 (-1 before the first).

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([1.0, 3.0, 2.0, 2.5])
    >>> lh, _, lhb, _ = swing_levels_nb(h, h - 0.5, np.array([0, 1, 0, 0], np.bool_),
    ...                                  np.zeros(4, np.bool_), 1)
    >>> lh, lhb
    (array([nan, nan,  3.,  3.]), array([-1, -1,  1,  1]))
    """
    n = high.shape[0]
    last_high = np.full(n, _NAN)
    last_low = np.full(n, _NAN)
    last_high_bar = np.full(n, NONE, dtype=np.int64)
    last_low_bar = np.full(n, NONE, dtype=np.int64)
    h, lo = _NAN, _NAN
    hb, lb = NONE, NONE
    for t in range(n):
        i = t - right
        if i >= 0 and swing_high[i]:
            h, hb = high[i], i
        if i >= 0 and swing_low[i]:
            lo, lb = low[i], i
        last_high[t], last_high_bar[t] = h, hb
        last_low[t], last_low_bar[t] = lo, lb
    return last_high, last_low, last_high_bar, last_low_bar


# ---------------------------------------------------------------------------------------------
# structure: BOS / CHoCH


@numba.njit(cache=True)
def _count_nb(flags_a: np.ndarray, flags_b: np.ndarray) -> int:
    count = 0
    for i in range(flags_a.shape[0]):
        count += np.int64(flags_a[i]) + np.int64(flags_b[i])
    return count


@numba.njit(cache=True)
def structure_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    swing_high: np.ndarray,
    swing_low: np.ndarray,
    right: int,
) -> tuple[np.ndarray, ...]:
    """Trend state and breaks of structure (BOS / CHoCH) from confirmed swings, on close.

    At each bar ``t``, first the break test, against the reference levels known before ``t``:
    the *reference high* is the most recent swing high confirmed at or before ``t - 1`` that has
    not been broken yet (a newer confirmed swing high replaces it; a break consumes it). If
    ``close[t] > reference high`` the bar is a bullish break: a BOS if the trend was bullish or
    neutral, a CHoCH if it was bearish; the trend becomes bullish and the reference is consumed.
    Mirror for bearish (``close[t] < reference low``). Then the swings confirmed at ``t`` (swing
    bar ``t - right``) become the new references. The trend starts neutral (0); at most one break
    happens per bar (``docs/structure.md`` has the proof).

    Parameters
    ----------
    high, low, close : numpy.ndarray
        Bar prices, float64, shape ``(bars,)``.
    swing_high, swing_low : numpy.ndarray
        Flags from :func:`swings_nb` computed with the same ``right``.
    right : int
        Confirmation delay in bars.

    Returns
    -------
    tuple of numpy.ndarray
        Per bar (shape ``(bars,)``): ``trend`` (int8, state after the bar), ``break_kind``
        (int8: 0, BOS, CHOCH), ``break_dir`` (int8: 0, +1, -1), ``break_level`` (price of the
        broken swing, NaN without a break), ``ref_high``, ``ref_low`` (unbroken reference levels
        after the bar, NaN when there is none). Per event (in bar order): ``ev_bar`` (int64),
        ``ev_kind`` (int8), ``ev_dir`` (int8), ``ev_level`` (price), ``ev_swing_bar`` (int64, bar
        of the broken swing).

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([1.0, 2.0, 1.5, 1.6, 2.5]); lo = h - 0.4; c = h - 0.1
    >>> sh, sl = swings_nb(h, lo, 1, 1)
    >>> out = structure_nb(h, lo, c, sh, sl, 1)
    >>> out[6], out[7], out[9]   # event bar, kind (BOS), broken level
    (array([4]), array([1], dtype=int8), array([2.]))
    """
    n = close.shape[0]
    cap = _count_nb(swing_high, swing_low)
    trend = np.zeros(n, dtype=np.int8)
    break_kind = np.zeros(n, dtype=np.int8)
    break_dir = np.zeros(n, dtype=np.int8)
    break_level = np.full(n, _NAN)
    ref_high = np.full(n, _NAN)
    ref_low = np.full(n, _NAN)
    ev_bar = np.empty(cap, dtype=np.int64)
    ev_kind = np.empty(cap, dtype=np.int8)
    ev_dir = np.empty(cap, dtype=np.int8)
    ev_level = np.empty(cap, dtype=np.float64)
    ev_swing_bar = np.empty(cap, dtype=np.int64)
    state = NEUTRAL
    k = 0
    rh, rl = _NAN, _NAN
    rh_bar, rl_bar = NONE, NONE
    for t in range(n):
        direction, level, swing_bar = NEUTRAL, _NAN, NONE
        if rh_bar >= 0 and close[t] > rh:
            direction, level, swing_bar = BULLISH, rh, rh_bar
            rh, rh_bar = _NAN, NONE
        elif rl_bar >= 0 and close[t] < rl:
            direction, level, swing_bar = BEARISH, rl, rl_bar
            rl, rl_bar = _NAN, NONE
        if direction != NEUTRAL:
            kind = CHOCH if state == -direction else BOS
            state = direction
            break_kind[t], break_dir[t], break_level[t] = kind, direction, level
            ev_bar[k], ev_kind[k], ev_dir[k] = t, kind, direction
            ev_level[k], ev_swing_bar[k] = level, swing_bar
            k += 1
        i = t - right
        if i >= 0 and swing_high[i]:
            rh, rh_bar = high[i], i
        if i >= 0 and swing_low[i]:
            rl, rl_bar = low[i], i
        trend[t], ref_high[t], ref_low[t] = state, rh, rl
    return (
        trend,
        break_kind,
        break_dir,
        break_level,
        ref_high,
        ref_low,
        ev_bar[:k],
        ev_kind[:k],
        ev_dir[:k],
        ev_level[:k],
        ev_swing_bar[:k],
    )


# ---------------------------------------------------------------------------------------------
# order blocks


@numba.njit(cache=True)
def ob_source_nb(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    swing_bar: int,
    break_bar: int,
    direction: int,
) -> int:
    """Bar of the order-block candle of one break, or -1 when there is none.

    Bullish break (of the swing high at ``swing_bar``, on the close of ``break_bar``): the
    impulsive move starts at the *origin*, the bar of the lowest low in
    ``[swing_bar, break_bar]`` (the latest such bar on ties); the order block is the last
    bearish candle (``close < open``) in ``[swing_bar, min(origin, break_bar - 1)]``. Bearish
    break: mirror (highest high, last bullish candle ``close > open``). Dojis
    (``close == open``) are never order blocks; the breaking candle never is either.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([2.0, 1.8, 1.2, 1.3]); c = np.array([1.8, 1.2, 1.3, 2.2])
    >>> h = np.maximum(o, c) + 0.1; lo = np.minimum(o, c) - 0.1
    >>> ob_source_nb(o, h, lo, c, 0, 3, 1)
    1
    """
    origin = swing_bar
    if direction == BULLISH:
        for j in range(swing_bar, break_bar + 1):
            if low[j] <= low[origin]:
                origin = j
    else:
        for j in range(swing_bar, break_bar + 1):
            if high[j] >= high[origin]:
                origin = j
    end = min(origin, break_bar - 1)
    for k in range(end, swing_bar - 1, -1):
        if (direction == BULLISH and close[k] < open_[k]) or (
            direction == BEARISH and close[k] > open_[k]
        ):
            return k
    return NONE


@numba.njit(cache=True)
def _beyond_nb(c: float, direction: int, zone_low: float, zone_high: float) -> bool:
    """Does a close of ``c`` invalidate a zone of ``direction``?"""
    if direction == BULLISH:
        return c < zone_low
    return c > zone_high


@numba.njit(cache=True)
def order_blocks_nb(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    ev_bar: np.ndarray,
    ev_dir: np.ndarray,
    ev_swing_bar: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Order blocks of every break, their invalidation on close, and breaker flips.

    Bar by bar: (1) every zone alive and created before ``t`` whose direction is bullish and
    ``close[t] < low`` (bearish: ``close[t] > high``) is invalidated at ``t``; an invalidated
    *fresh* zone flips into a *breaker* of the opposite direction, same ``[low, high]``, created
    at ``t`` (a breaker that is invalidated is gone for good). (2) Each break at ``t`` creates a
    fresh zone from its order-block candle (:func:`ob_source_nb`), unless it has none or that
    candle already made a zone. Zones are checked from the bar after their creation. Ids are
    record positions, in order of creation (breakers of a bar before its fresh zones).

    Parameters
    ----------
    open_, high, low, close : numpy.ndarray
        Bar prices, float64, shape ``(bars,)``.
    ev_bar, ev_dir, ev_swing_bar : numpy.ndarray
        Events from :func:`structure_nb` (bar order).

    Returns
    -------
    tuple of numpy.ndarray
        One entry per zone, id order: ``direction`` (int8), ``kind`` (int8, FRESH / BREAKER),
        ``low``, ``high`` (price), ``source`` (bar of the order-block candle), ``created_bar``,
        ``invalidated_bar`` (-1 while valid), ``parent`` (id of the fresh zone a breaker came
        from, else -1), ``event`` (index of the break event behind the zone), all int64 but the
        first two.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([2.0, 1.8, 1.2, 1.3, 2.2]); c = np.array([1.8, 1.2, 1.3, 2.2, 1.0])
    >>> h = np.maximum(o, c) + 0.1; lo = np.minimum(o, c) - 0.1
    >>> ob = order_blocks_nb(o, h, lo, c, np.array([3]), np.array([1], np.int8), np.array([0]))
    >>> ob[0], ob[1], ob[5], ob[6]   # a fresh bullish zone at 3, invalidated at 4 -> breaker
    (array([ 1, -1], dtype=int8), array([0, 1], dtype=int8), array([3, 4]), array([ 4, -1]))
    """
    n = close.shape[0]
    n_ev = ev_bar.shape[0]
    cap = 2 * n_ev
    z_dir = np.empty(cap, dtype=np.int8)
    z_kind = np.empty(cap, dtype=np.int8)
    z_low = np.empty(cap, dtype=np.float64)
    z_high = np.empty(cap, dtype=np.float64)
    z_source = np.empty(cap, dtype=np.int64)
    z_created = np.empty(cap, dtype=np.int64)
    z_inv = np.empty(cap, dtype=np.int64)
    z_parent = np.empty(cap, dtype=np.int64)
    z_event = np.empty(cap, dtype=np.int64)
    alive = np.empty(cap, dtype=np.int64)
    used = np.zeros(n, dtype=np.bool_)
    m = 0  # zones written
    n_alive = 0
    e = 0
    for t in range(n):
        first_new = m
        w = 0
        for a in range(n_alive):
            j = alive[a]
            if _beyond_nb(close[t], z_dir[j], z_low[j], z_high[j]):
                z_inv[j] = t
                if z_kind[j] == FRESH:
                    z_dir[m], z_kind[m] = -z_dir[j], BREAKER
                    z_low[m], z_high[m], z_source[m] = z_low[j], z_high[j], z_source[j]
                    z_created[m], z_inv[m], z_parent[m], z_event[m] = t, NONE, j, z_event[j]
                    m += 1
            else:
                alive[w] = j
                w += 1
        while e < n_ev and ev_bar[e] == t:
            src = ob_source_nb(open_, high, low, close, ev_swing_bar[e], t, ev_dir[e])
            if src >= 0 and not used[src]:
                used[src] = True
                z_dir[m], z_kind[m] = ev_dir[e], FRESH
                z_low[m], z_high[m], z_source[m] = low[src], high[src], src
                z_created[m], z_inv[m], z_parent[m], z_event[m] = t, NONE, NONE, e
                m += 1
            e += 1
        for j in range(first_new, m):
            alive[w] = j
            w += 1
        n_alive = w
    return (
        z_dir[:m],
        z_kind[:m],
        z_low[:m],
        z_high[:m],
        z_source[:m],
        z_created[:m],
        z_inv[:m],
        z_parent[:m],
        z_event[:m],
    )


@numba.njit(cache=True)
def _fill_side_nb(
    t: int,
    j: int,
    touch: int,
    z_kind: np.ndarray,
    z_low: np.ndarray,
    z_high: np.ndarray,
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Write zone ``j`` (nearest) and ``touch`` (touched zone id) into row ``t`` of ``out``."""
    out_id, out_low, out_high, out_kind, out_touch = out
    out_id[t], out_touch[t] = j, touch
    if j >= 0:
        out_low[t], out_high[t], out_kind[t] = z_low[j], z_high[j], z_kind[j]


@numba.njit(cache=True)
def _side_arrays_nb(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-bar outputs of one side: id, low, high, kind, touch id."""
    return (
        np.full(n, NONE, dtype=np.int64),
        np.full(n, _NAN),
        np.full(n, _NAN),
        np.full(n, NO_ZONE, dtype=np.int8),
        np.full(n, NONE, dtype=np.int64),
    )


@numba.njit(cache=True)
def zones_nb(
    high: np.ndarray,
    low: np.ndarray,
    z_dir: np.ndarray,
    z_kind: np.ndarray,
    z_low: np.ndarray,
    z_high: np.ndarray,
    z_created: np.ndarray,
    z_inv: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Per bar: the nearest valid bullish / bearish zone and the zone the bar touched.

    A zone is *valid at bar t* when ``created_bar <= t`` and it is not invalidated at or before
    ``t`` (the state after ``t``'s close). The nearest bullish zone is the valid bullish zone
    with the highest ``high`` (the first one price meets on the way down; every valid bullish
    zone has ``low <= close``); the nearest bearish zone the valid bearish one with the lowest
    ``low``; ties go to the newest zone. Bar ``t`` *touches* a bullish zone created before ``t``
    and still valid at ``t`` when ``low[t] <= zone high`` (bearish: ``high[t] >= zone low``);
    the touched zone reported is the nearest such zone.

    Parameters
    ----------
    high, low : numpy.ndarray
        Bar prices, float64, shape ``(bars,)``.
    z_dir, z_kind, z_low, z_high, z_created, z_inv : numpy.ndarray
        Zone records from :func:`order_blocks_nb` (creation order).

    Returns
    -------
    tuple of numpy.ndarray
        Shape ``(bars,)`` each: ``bull_id``, ``bull_low``, ``bull_high``, ``bull_kind``,
        ``bull_touch_id``, then the same five for bearish zones. Ids are int64 (-1: none),
        kinds int8 (-1: none), prices NaN when there is no zone.

    Examples
    --------
    >>> import numpy as np
    >>> out = zones_nb(np.array([3.0, 2.5, 2.2]), np.array([2.0, 1.5, 1.1]),
    ...                np.array([1], np.int8), np.array([0], np.int8), np.array([1.0]),
    ...                np.array([1.2]), np.array([0]), np.array([-1]))
    >>> out[0], out[4]   # zone 0 is known from bar 0 and touched at bar 2
    (array([0, 0, 0]), array([-1, -1,  0]))
    """
    n = high.shape[0]
    m = z_dir.shape[0]
    bull = _side_arrays_nb(n)
    bear = _side_arrays_nb(n)
    alive = np.empty(m, dtype=np.int64)
    n_alive = 0
    p = 0
    for t in range(n):
        w = 0
        for a in range(n_alive):
            j = alive[a]
            if z_inv[j] != t:
                alive[w] = j
                w += 1
        while p < m and z_created[p] == t:
            alive[w] = p
            w += 1
            p += 1
        n_alive = w
        # one pass, scalars only: nearest (any age) and nearest older than t, per side;
        # ``>=`` / ``<=`` hand ties to the later (newer) id
        bn, bo, sn, so = NONE, NONE, NONE, NONE
        bn_edge, bo_edge, sn_edge, so_edge = -_INF, -_INF, _INF, _INF
        for a in range(n_alive):
            j = alive[a]
            old = z_created[j] < t
            if z_dir[j] == BULLISH:
                edge = z_high[j]
                if edge >= bn_edge:
                    bn, bn_edge = j, edge
                if old and edge >= bo_edge:
                    bo, bo_edge = j, edge
            else:
                edge = z_low[j]
                if edge <= sn_edge:
                    sn, sn_edge = j, edge
                if old and edge <= so_edge:
                    so, so_edge = j, edge
        bull_touch = bo if bo >= 0 and low[t] <= bo_edge else NONE
        bear_touch = so if so >= 0 and high[t] >= so_edge else NONE
        _fill_side_nb(t, bn, bull_touch, z_kind, z_low, z_high, bull)
        _fill_side_nb(t, sn, bear_touch, z_kind, z_low, z_high, bear)
    return bull + bear
