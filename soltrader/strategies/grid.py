"""Grid trading: lay a grid of price levels inside a quiet range, buy dips, sell rallies.

The simulator holds one net position per asset, so the grid is expressed as accumulating market
entries (one *rung* of capital per lower level crossed down), partial exit signals (one rung's
share of the position per upper level crossed up, through ``Signals.exit_size``) and a full exit
at a breakout. The rules are stated exactly in :func:`grid_signals`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from soltrader.domain.errors import ParameterError
from soltrader.indicators.nb import (
    anchor_period_nb,
    realized_vol_1d_nb,
    rolling_max_1d_nb,
    rolling_min_1d_nb,
)
from soltrader.strategies.live import Row, anchored_start_nb, blocked_start_nb, window_row
from soltrader.strategies.spec import Bars, Signals, Strategy

#: Level spacings by name, as codes for :func:`grid_nb`.
SPACINGS: dict[str, int] = {"arithmetic": 0, "geometric": 1}


@njit(cache=True, nogil=True)
def grid_levels_nb(
    lo: float, hi: float, n_levels: int, geometric: bool, out: np.ndarray
) -> np.ndarray:
    """Write the ``n_levels`` grid levels strictly inside ``(lo, hi)`` into ``out``; returns it.

    Level ``i`` (0-based) sits at the fraction ``f = (i + 1) / (n_levels + 1)`` of the range:
    ``lo + f * (hi - lo)`` (arithmetic) or ``lo * (hi / lo) ** f`` (geometric, ``lo > 0``).

    Examples
    --------
    >>> import numpy as np
    >>> grid_levels_nb(90.0, 110.0, 4, False, np.empty(4))
    array([ 94.,  98., 102., 106.])
    """
    for i in range(n_levels):
        f = (i + 1.0) / (n_levels + 1.0)
        out[i] = lo * (hi / lo) ** f if geometric else lo + f * (hi - lo)
    return out


@njit(cache=True, nogil=True)
def _range_ok_nb(lo: float, hi: float, vol: float, max_width: float, max_vol: float) -> bool:
    """A window's range is tradable: positive prices, ``(hi - lo) / mid <= max_width`` and
    realised volatility ``<= max_vol`` (False when any of them is NaN)."""
    if not (lo > 0.0 and hi >= lo):
        return False
    width = (hi - lo) / (0.5 * (hi + lo))
    return width <= max_width and vol <= max_vol


@njit(cache=True, nogil=True)
def _buy_rungs_nb(prev: float, now: float, levels: np.ndarray, held: np.ndarray) -> int:
    """Mark every lower level not yet held that the close crossed down through
    (``prev > level >= now``) as held; return how many were marked."""
    k = 0
    for i in range(held.shape[0]):
        if not held[i] and prev > levels[i] >= now:
            held[i] = True
            k += 1
    return k


@njit(cache=True, nogil=True)
def _sell_rungs_nb(
    prev: float, now: float, levels: np.ndarray, first_upper: int, held: np.ndarray, n_held: int
) -> int:
    """Count the sell levels the close crossed up through (``prev < level <= now``), ``k``; sell
    ``min(k, n_held)`` rungs by re-arming that many held buy levels, highest first; return how
    many were sold."""
    k = 0
    for i in range(first_upper, levels.shape[0]):
        if prev < levels[i] <= now:
            k += 1
    sold = min(k, n_held)
    left = sold
    i = held.shape[0] - 1
    while left > 0 and i >= 0:
        if held[i]:
            held[i] = False
            left -= 1
        i -= 1
    return sold


@njit(cache=True, nogil=True)
def grid_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    range_n: int,
    max_width: float,
    max_vol: float,
    n_levels: int,
    geometric: bool,
    break_buffer: float,
    alloc: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Kernel of :func:`grid_signals`: ``(entries, exits, size, exit_size)``; ``size`` is the
    fraction of the cash each entry commits (NaN on bars without an entry), ``exit_size`` the
    fraction of the position each exit sells (1.0 on every other bar).

    Examples
    --------
    A grid of 4 levels on ``[99, 101]`` (99.4, 99.8 | 100.2, 100.6): two rungs bought on two
    bars, then one sell level crossed up sells one of the two rungs (half the position).

    >>> import numpy as np
    >>> c = np.array([100.0, 100, 100, 100, 100, 99.7, 99.0, 100.4])
    >>> h, lo = c + 1.0, c - 1.0
    >>> e, x, s, xs = grid_nb(h, lo, c, 4, 0.05, 1.0, 4, False, 0.05, 1.0)
    >>> np.flatnonzero(e), np.flatnonzero(x), s[[5, 6]], float(xs[7])
    (array([5, 6]), array([7]), array([0.5, 1. ]), 0.5)
    """
    n = close.shape[0]
    hi_w = rolling_max_1d_nb(high, range_n)
    lo_w = rolling_min_1d_nb(low, range_n)
    vol_w = realized_vol_1d_nb(close, range_n - 1, 1.0)
    entries = np.zeros(n, dtype=np.bool_)
    exits = np.zeros(n, dtype=np.bool_)
    size = np.full(n, np.nan)
    exit_size = np.ones(n)
    # The rules of _grid_step_nb written out: calling it per bar made this kernel 1.8x slower
    # (19 -> 34 ms on 1M bars); tests/unit/test_live_forms.py holds the two equal bar by bar.
    levels = np.empty(n_levels)
    n_buy = n_levels // 2
    held = np.zeros(n_buy, dtype=np.bool_)
    first_upper = n_levels - n_buy
    active = False
    g_lo = np.nan
    g_hi = np.nan
    n_held = 0
    resume = range_n
    for t in range(range_n, n):
        c = close[t]
        if active:
            if c > g_hi * (1.0 + break_buffer) or c < g_lo * (1.0 - break_buffer):
                exits[t] = n_held > 0
                held[:] = False
                n_held = 0
                active = False
                resume = t + range_n + 1
                continue
            k = _buy_rungs_nb(close[t - 1], c, levels, held)
            if k > 0:
                entries[t] = True
                size[t] = k * alloc / (n_buy - n_held * alloc)
                n_held += k
            elif n_held > 0:
                sold = _sell_rungs_nb(close[t - 1], c, levels, first_upper, held, n_held)
                if sold > 0:
                    exits[t] = True
                    exit_size[t] = sold / n_held
                    n_held -= sold
        elif t >= resume:
            lo, hi = lo_w[t - 1], hi_w[t - 1]
            if _range_ok_nb(lo, hi, vol_w[t - 1], max_width, max_vol) and lo <= c <= hi:
                grid_levels_nb(lo, hi, n_levels, geometric, levels)
                g_lo = lo
                g_hi = hi
                active = True
    return entries, exits, size, exit_size


#: Fields of a grid's integer state (:func:`grid_state_nb`).
_ACTIVE, _N_HELD, _RESUME = 0, 1, 2


@njit(cache=True, nogil=True)
def grid_state_nb(
    range_n: int, n_levels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A grid's state before its first bar: ``(levels, held, state, bounds)``, the levels
    (price), the buy levels holding a rung, ``state = [active, rungs held, first bar a grid
    may be laid]`` and ``bounds = [low, high]`` of the active grid's range (price).

    Examples
    --------
    >>> levels, held, state, bounds = grid_state_nb(48, 6)
    >>> held.tolist(), state.tolist()
    ([False, False, False], [0, 0, 48])
    """
    state = np.zeros(3, dtype=np.int64)
    state[_RESUME] = range_n
    bounds = np.full(2, np.nan)
    return np.empty(n_levels), np.zeros(n_levels // 2, dtype=np.bool_), state, bounds


@njit(cache=True, nogil=True)
def _grid_step_nb(
    t: int,
    prev: float,
    c: float,
    lo: float,
    hi: float,
    vol: float,
    params: tuple,
    grid_state: tuple,
) -> tuple[bool, bool, float, float]:
    """Bar ``t`` (``t >= range_n``) of :func:`grid_nb`: the closes of bars ``t - 1`` and ``t``
    and the range of the window before ``t`` (``lo``, ``hi``, ``vol``: read only when no grid
    is active and one may be laid); ``params`` are :func:`grid_nb`'s after the prices,
    ``grid_state`` that of :func:`grid_state_nb`, which it updates; returns ``(entry, exit, size,
    exit_size)``."""
    range_n, max_width, max_vol, n_levels, geometric, break_buffer, alloc = params
    levels, held, state, bounds = grid_state
    n_buy = n_levels // 2
    entry = False
    exit_ = False
    size = np.nan
    exit_size = 1.0
    n_held = state[_N_HELD]
    if state[_ACTIVE]:
        g_lo, g_hi = bounds[0], bounds[1]
        if c > g_hi * (1.0 + break_buffer) or c < g_lo * (1.0 - break_buffer):
            exit_ = n_held > 0
            held[:] = False
            state[_N_HELD] = 0
            state[_ACTIVE] = 0
            state[_RESUME] = t + range_n + 1
            return entry, exit_, size, exit_size
        k = _buy_rungs_nb(prev, c, levels, held)
        if k > 0:
            entry = True
            size = k * alloc / (n_buy - n_held * alloc)
            state[_N_HELD] = n_held + k
        elif n_held > 0:
            sold = _sell_rungs_nb(prev, c, levels, n_levels - n_buy, held, n_held)
            if sold > 0:
                exit_ = True
                exit_size = sold / n_held
                state[_N_HELD] = n_held - sold
    elif t >= state[_RESUME]:
        if _range_ok_nb(lo, hi, vol, max_width, max_vol) and lo <= c <= hi:
            grid_levels_nb(lo, hi, n_levels, geometric, levels)
            bounds[0] = lo
            bounds[1] = hi
            state[_ACTIVE] = 1
    return entry, exit_, size, exit_size


def _number(name: str, value: object) -> float:
    """``value`` as a float; anything that is not a real number raises ``ParameterError``."""
    if isinstance(value, bool | str | bytes):
        raise ParameterError(name, f"must be a number, got {value!r}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(name, f"must be a number, got {value!r}") from None


def _whole(name: str, value: object, low: int) -> int:
    number = _number(name, value)
    if not (number.is_integer() and number >= low):
        raise ParameterError(name, f"must be a whole number >= {low}, got {value!r}")
    return int(number)


def _kernel_args(
    range_n: int,
    max_width: float,
    max_vol: float,
    n_levels: int,
    spacing: str,
    break_buffer: float,
    alloc: float,
) -> tuple[int, float, float, int, bool, float, float]:
    """Validate the parameters; return them in the order of :func:`grid_nb` after the prices
    (``spacing`` as the geometric flag)."""
    n = _whole("range_n", range_n, 3)
    levels = _whole("n_levels", n_levels, 2)
    if not isinstance(spacing, str) or spacing not in SPACINGS:
        raise ParameterError("spacing", f"{spacing!r}: use one of {sorted(SPACINGS)}")
    for name, value in (("max_width", max_width), ("max_vol", max_vol)):
        if not _number(name, value) > 0.0:
            raise ParameterError(name, f"must be a fraction > 0, got {value!r}")
    buffer = _number("break_buffer", break_buffer)
    if not (np.isfinite(buffer) and buffer >= 0.0):
        raise ParameterError("break_buffer", f"must be a fraction >= 0, got {break_buffer!r}")
    if not 0.0 < _number("alloc", alloc) <= 1.0:
        raise ParameterError("alloc", f"must be a fraction in (0, 1], got {alloc!r}")
    geometric = SPACINGS[spacing] == 1
    return (n, float(max_width), float(max_vol), levels, geometric, float(break_buffer),
            float(alloc))  # fmt: skip


def grid_signals(
    bars: Bars,
    range_n: int = 48,
    max_width: float = 0.08,
    max_vol: float = 0.01,
    n_levels: int = 6,
    spacing: str = "arithmetic",
    break_buffer: float = 0.01,
    alloc: float = 1.0,
) -> Signals:
    """Long-only grid inside a detected range; stands down and flattens when the range breaks.

    Rules (decisions at each bar's close ``t``; only bars ``< t`` define the range, so no
    look-ahead):

    * **range**: over the window of the previous ``range_n`` bars (``t - range_n .. t - 1``),
      ``lo`` = lowest low, ``hi`` = highest high, ``mid = (hi + lo) / 2``; the range is valid
      when ``(hi - lo) / mid <= max_width`` and the realised volatility (sample standard
      deviation of the ``range_n - 1`` close-to-close log returns inside the window, per bar)
      is ``<= max_vol``.
    * **laying a grid**: when no grid is active, the range at ``t`` is valid and
      ``lo <= close[t] <= hi``, a grid is laid on ``[lo, hi]`` and frozen until it breaks:
      ``n_levels`` levels at the fractions ``(i + 1) / (n_levels + 1)`` of the range,
      ``"arithmetic"`` (equal steps) or ``"geometric"`` (equal ratios). The lower
      ``n_levels // 2`` levels are buy levels, the upper ``n_levels // 2`` sell levels (with an
      odd count the middle level is the centre and trades nothing); for arithmetic spacing these
      are exactly the levels below / above ``mid``. Nothing trades on the bar that lays the grid.
    * **buy**: the close crosses down through a buy level that holds no rung
      (``close[t-1] > level >= close[t]``): buy one rung per such level (several in one order
      when one bar crosses several); a level holds at most one rung. With ``held`` rungs held and
      ``k`` new ones, the order commits ``size = k * alloc / (n_levels // 2 - held * alloc)`` of
      the *current* cash: a rung is ``alloc / (n_levels // 2)`` of the grid's capital, taken as
      the current cash plus one rung per held rung (so ``cash = capital * (1 - held * alloc /
      (n_levels // 2))``). While flat this is ``alloc / (n_levels // 2)`` of the cash per rung;
      after a partial sell the cash includes its proceeds, so the rungs bought next are re-based
      on them (gains and losses compound rung by rung).
    * **sell**: when the close crosses up through ``k >= 1`` sell levels
      (``close[t-1] < level <= close[t]``) while ``h >= 1`` rungs are held, ``m = min(k, h)``
      rungs are sold: an exit signal with ``exit_size = m / h``, the fraction of the position the
      simulator closes (reduce-only, one trade record for the part closed; ``m = h`` sells
      everything). The ``m`` *highest* held buy levels are re-armed (they can buy again at their
      next down-cross); lower held levels keep their rungs. The sold quantity is ``m / h`` of the
      position, i.e. ``m`` rungs' worth at the position's average cost, not the units bought at
      particular levels (the simulator's position has one average entry price). Sell levels hold
      no state: every up-cross of a sell level sells a rung while any is held (a close that
      oscillates around one sell level sells a rung per up-cross).
    * **breakout**: when ``close[t] > hi * (1 + break_buffer)`` or
      ``close[t] < lo * (1 - break_buffer)`` (the active grid's range), the whole position is
      flattened (an exit with ``exit_size = 1``), the grid is removed (every buy level
      re-armed) and the strategy stands down: no new grid (hence no buy) until the range
      window lies entirely after the breakout bar (bar ``t + range_n + 1``).

    Backtest keywords the grid needs (``st.backtest`` passes ``size`` and ``exit_size``
    per bar itself):

    * ``accumulate=True`` (required): without it every rung after the first is ignored;
    * ``size_type="percent"`` (the default): ``size`` is a fraction of the cash;
    * ``exit_size`` is set per bar by the signals (passing it as a keyword is an error);
    * the rung accounting assumes the position changes only through these signals: do not add
      ``sl_stop`` / ``tp_stop`` / ``sl_trail`` / ``max_bars`` / ``cooldown`` /
      ``max_volume_share`` (the breakout flatten is the grid's stop). ``fill`` ("next_open" by
      default, or "close"), ``fees`` and ``slippage`` apply as for any strategy.

    Parameters
    ----------
    bars : Bars
        One asset's bars (prices in quote currency, > 0).
    range_n : int
        Window of the range, bars (>= 3).
    max_width : float
        Largest range width ``(hi - lo) / mid``, fraction (> 0).
    max_vol : float
        Largest per-bar realised volatility of the window, fraction (> 0; ``inf`` disables).
    n_levels : int
        Grid levels inside the range (>= 2).
    spacing : {"arithmetic", "geometric"}
        Level spacing.
    break_buffer : float
        Breakout margin beyond the grid's range, fraction of ``hi`` / ``lo`` (>= 0).
    alloc : float
        Share of the capital the whole grid may commit, fraction in (0, 1].

    Returns
    -------
    Signals
        ``entries`` (add rungs), ``size`` (fraction of the cash each entry commits, NaN
        elsewhere), ``exits`` (sell rungs or flatten) and ``exit_size`` (fraction of the position
        each exit sells, 1.0 elsewhere).

    Examples
    --------
    >>> import soltrader as st
    >>> bars = st.data.load("SOL/USDT", "1h")                           # doctest: +SKIP
    >>> res = st.backtest(bars, st.strategies.grid, range_n=48, n_levels=6, accumulate=True,
    ...                   fees=0.001)                                   # doctest: +SKIP
    """
    args = _kernel_args(range_n, max_width, max_vol, n_levels, spacing, break_buffer, alloc)
    entries, exits, size, exit_size = grid_nb(
        np.ascontiguousarray(bars.high, dtype=np.float64),
        np.ascontiguousarray(bars.low, dtype=np.float64),
        np.ascontiguousarray(bars.close, dtype=np.float64),
        *args,
    )
    return Signals(entries, exits, size=size, exit_size=exit_size)


#: Fields of a live grid's scan of the history (:func:`grid_newest_nb`).
_SEEN, _BAD_HIGH, _BAD_LOW, _BAD_CLOSE = 0, 1, 2, 3


@njit(cache=True, nogil=True)
def _range_at_nb(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, i: int, range_n: int, scan: np.ndarray
) -> tuple[float, float, float]:
    """The range of :func:`grid_nb` on bars ``0 .. i`` at bar ``i``: rolling low, high and
    realised volatility, each from the tail that gives the same number (see
    :mod:`soltrader.strategies.live`); ``scan`` holds the last bar of each input that ends a
    run (a high or low not finite, a close not a positive number)."""
    lo = np.nan
    r = scan[_BAD_LOW] + 1
    if r <= i:
        s = blocked_start_nb(r, i, range_n)
        lo = rolling_min_1d_nb(low[s : i + 1], range_n)[-1]
    hi = np.nan
    r = scan[_BAD_HIGH] + 1
    if r <= i:
        s = blocked_start_nb(r, i, range_n)
        hi = rolling_max_1d_nb(high[s : i + 1], range_n)[-1]
    vol = np.nan
    r = scan[_BAD_CLOSE] + 1  # returns run from r + 1: the first of n returns ends at r + n
    if r <= i:
        n = range_n - 1
        s = anchored_start_nb(r, i, n, anchor_period_nb(n))
        vol = realized_vol_1d_nb(close[s : i + 1], n, 1.0)[-1]
    return lo, hi, vol


@njit(cache=True, nogil=True)
def _scan_nb(high: np.ndarray, low: np.ndarray, close: np.ndarray, stop: int, scan: np.ndarray):
    """Bring ``scan`` (see :func:`_range_at_nb`) up to bar ``stop - 1``."""
    if scan[_SEEN] > stop:  # another history: start over
        scan[:] = -1
        scan[_SEEN] = 0
    for i in range(scan[_SEEN], stop):
        if not abs(high[i]) < np.inf:
            scan[_BAD_HIGH] = i
        if not abs(low[i]) < np.inf:
            scan[_BAD_LOW] = i
        if not 0.0 < close[i] < np.inf:
            scan[_BAD_CLOSE] = i
    scan[_SEEN] = stop


@njit(cache=True, nogil=True)
def grid_newest_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    stop: int,
    params: tuple,
    grid_state: tuple,
    scan: np.ndarray,
) -> tuple[bool, bool, float, float]:
    """Bar ``stop - 1`` of :func:`grid_nb` on bars ``0 .. stop - 1`` (``params``: its
    parameters after the prices, in its order), from the grid's state ``grid_state`` after bar
    ``stop - 2`` (:func:`grid_state_nb`, then one call per bar, in order; ``scan``:
    ``[0, -1, -1, -1]`` before the first): ``(entry, exit, size, exit_size)``. The range is
    computed only when a grid may be laid, at the one bar it is read.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([100.0, 100, 100, 100, 100, 99.7, 99.0, 100.4])
    >>> params, state = (4, 0.05, 1.0, 4, False, 0.05, 1.0), grid_state_nb(4, 4)
    >>> scan = np.array([0, -1, -1, -1])
    >>> [grid_newest_nb(c + 1.0, c - 1.0, c, t + 1, params, state, scan)[:2]
    ...  for t in range(8)][5:]
    [(True, False), (True, False), (False, True)]
    """
    _scan_nb(high, low, close, stop, scan)
    t = stop - 1
    range_n = params[0]
    if t < range_n:
        return False, False, np.nan, 1.0
    lo = hi = vol = np.nan
    state = grid_state[2]
    if state[_ACTIVE] == 0 and t >= state[_RESUME]:
        lo, hi, vol = _range_at_nb(high, low, close, t - 1, range_n, scan)
    return _grid_step_nb(t, close[t - 1], close[t], lo, hi, vol, params, grid_state)


def grid_live(**params: Any) -> Row:
    """The live form of :func:`grid_signals` (see ``Strategy.live``): ``row(bars, start,
    stop)`` gives the newest row of the signals on ``bars[start:stop]``, equal to them.

    While the window holds the whole history (the default window, ``"all"``) the grid's state
    is carried from bar to bar (:func:`grid_newest_nb`: O(1) per bar); a call out of order
    rebuilds it from the history, and a window that starts later than the first bar is
    computed whole by :func:`grid_signals`.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([100.0, 100, 100, 100, 100, 99.7, 99.0, 100.4])
    >>> row = grid_live(range_n=4, max_width=0.05, max_vol=1.0, n_levels=4, break_buffer=0.05)
    >>> [row(Bars(c, c + 1.0, c - 1.0, c, c), 0, t + 1)["entries"] for t in range(8)][4:]
    [False, True, True, False]
    """
    p = grid.resolve(**params)
    args = _kernel_args(**p)
    carried: list = []  # the grid's state (grid_state_nb) and its scan of the history
    after = [0]  # the bar the state was last stepped to (stop of the last call)

    def restart() -> None:
        scan = np.array([0, -1, -1, -1], dtype=np.int64)
        carried[:] = [grid_state_nb(args[0], args[3]), scan]
        after[0] = 0

    def row(bars: Bars, start: int, stop: int) -> dict[str, Any]:
        if start > 0:  # a trailing window: no state carries over
            return window_row(grid_signals, bars, start, stop, p)
        if not carried or stop != after[0] + 1:
            restart()
            for k in range(1, stop):  # the bars before, in order (a restart out of order)
                grid_newest_nb(bars.high, bars.low, bars.close, k, args, *carried)
        e, x, size, exit_size = grid_newest_nb(
            bars.high, bars.low, bars.close, stop, args, *carried
        )
        after[0] = stop
        return {"entries": e, "exits": x, "size": size, "exit_size": exit_size}

    return row


grid = Strategy(
    name="grid",
    signal=grid_signals,
    params={
        "range_n": 48,
        "max_width": 0.08,
        "max_vol": 0.01,
        "n_levels": 6,
        "spacing": "arithmetic",
        "break_buffer": 0.01,
        "alloc": 1.0,
    },
    space={
        "range_n": range(24, 169, 24),
        "max_width": np.linspace(0.04, 0.16, 7),
        "n_levels": range(2, 13, 2),
        "spacing": ("arithmetic", "geometric"),
    },
    description="Lay a frozen grid inside a narrow, quiet range of the last range_n bars; buy a "
    "rung of capital per lower level crossed down, sell one rung (a partial exit) per upper "
    "level crossed up, re-arming the highest held buy levels; flatten and stand down for "
    "range_n bars when the close breaks out. Backtest with accumulate=True.",
    backtest_defaults={"accumulate": True},
    # the held rungs of a grid last as long as its range does (on 1m bars, days): only the
    # whole history reproduces them (a 2,000-bar window differs from bar 2,105 of the bundled
    # SOL 1m data on)
    live_window=None,
    live=grid_live,
)

__all__ = ["SPACINGS", "grid", "grid_levels_nb", "grid_nb", "grid_signals"]
