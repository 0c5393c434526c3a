"""The canonical benchmark strategy: long when a fast SMA crosses above a slow one."""

from __future__ import annotations

from numbers import Real

import numpy as np
from numba import njit

from soltrader.domain.errors import ParameterError
from soltrader.indicators.nb import anchor_period_nb, sma_1d_nb
from soltrader.strategies.live import anchored_start_nb, run_start_nb
from soltrader.strategies.signals import cross_step_nb, crossings_into_nb
from soltrader.strategies.spec import Bars, Fused, Signals, Strategy


@njit(cache=True, nogil=True, inline="always")
def _window_sum_nb(x: np.ndarray, a: int, n: int, shift: float) -> float:
    """``sum(x[a - n + 1 : a + 1] - shift)`` in index order, as ``sma_1d_nb`` recomputes it."""
    s = 0.0
    for i in range(a - n + 1, a + 1):
        s += x[i] - shift
    return s


@njit(cache=True, nogil=True, inline="always")
def _sma_step_nb(
    close: np.ndarray, i: int, n: int, period: int, inv: float, nxt: int, shift: float,
    total: float,
) -> tuple[float, int, float, float, bool]:  # fmt: skip
    """Bar ``i`` of ``sma_1d_nb(close, n)`` on a run of valid bars from bar 0, from its state
    (``nxt``: the bar of the next recomputation; ``shift`` and ``total``: the shifted window
    sum): ``(average, nxt, shift, total, ok)``, NaN in the warm-up; ``ok`` is False when the
    block that ends at this bar has a sum that is not finite."""
    if i < n - 1:
        return np.nan, nxt, shift, total, True
    if i == nxt:
        if not abs(total) < np.inf:
            return np.nan, nxt, shift, total, False
        shift = close[i]
        total = _window_sum_nb(close, i, n, shift)
        nxt = i + period
    else:
        total += close[i] - close[i - n]
    return shift + total * inv, nxt, shift, total, True


@njit(cache=True, nogil=True)
def _sma_cross_one_pass_nb(
    close: np.ndarray, fast: int, slow: int, entries: np.ndarray, exits: np.ndarray
) -> bool:
    """:func:`sma_cross_nb`'s crossings with both averages advanced in the crossing loop: each
    is ``sma_1d_nb``'s arithmetic step for step (the window sum shifted by the anchor's value,
    recomputed every ``anchor_period_nb(n)`` bars from the first full window), so the numbers are
    the same, but neither average is stored and the two running sums, independent chains of
    additions, overlap instead of running one after the other.

    Returns False, the outputs then undefined, as soon as a block's sum is not finite (a NaN or
    ±inf in ``close``, or an overflow): ``sma_1d_nb`` then splits the series into runs of
    valid bars, which the caller leaves to it.
    """
    period_f, period_s = anchor_period_nb(fast), anchor_period_nb(slow)
    inv_f, inv_s = 1.0 / fast, 1.0 / slow
    next_f, next_s = fast - 1, slow - 1  # the bars of the next recomputations
    shift_f = sum_f = shift_s = sum_s = 0.0
    was_below, up_ago, was_above, down_ago = False, -1, False, -1
    for i in range(close.shape[0]):
        f, next_f, shift_f, sum_f, ok_f = _sma_step_nb(
            close, i, fast, period_f, inv_f, next_f, shift_f, sum_f
        )
        s, next_s, shift_s, sum_s, ok_s = _sma_step_nb(
            close, i, slow, period_s, inv_s, next_s, shift_s, sum_s
        )
        if not (ok_f and ok_s):
            return False
        entries[i], exits[i], was_below, up_ago, was_above, down_ago = cross_step_nb(
            f, s, was_below, up_ago, was_above, down_ago
        )
    return abs(sum_f) < np.inf and abs(sum_s) < np.inf  # the last blocks


@njit(cache=True, nogil=True)
def sma_cross_nb(close: np.ndarray, fast: int, slow: int) -> tuple[np.ndarray, np.ndarray]:
    """Entries where SMA(fast) crosses above SMA(slow), exits where it crosses below.

    Crossings follow vectorbt's ``crossed_above`` rule (see :func:`crossed_above_nb`); the first
    possible signal is at bar ``max(fast, slow)`` (both averages valid and a prior side seen).
    The averages are ``sma_1d_nb``'s, bit for bit; on finite prices they are computed in the
    crossing loop without being stored (:func:`_sma_cross_one_pass_nb`).

    Examples
    --------
    >>> import numpy as np
    >>> e, x = sma_cross_nb(np.array([5.0, 4, 3, 4, 6, 8, 6, 3, 2]), 2, 3)
    >>> np.flatnonzero(e), np.flatnonzero(x)
    (array([4]), array([7]))
    """
    entries = np.empty(close.shape[0], dtype=np.bool_)
    exits = np.empty(close.shape[0], dtype=np.bool_)
    if not _sma_cross_one_pass_nb(close, fast, slow, entries, exits):
        f = sma_1d_nb(close, fast)
        s = sma_1d_nb(close, slow)
        crossings_into_nb(f, s, entries, exits)  # both crossings in one pass, as the fused sweep
    return entries, exits


#: Scratch rows of :func:`sma_cross_into_nb`: the fast average, ``SLOW_SLOTS`` slow averages and
#: the row whose first cells hold their windows.
SLOW_SLOTS = 5
SCRATCH_ROWS = SLOW_SLOTS + 2


@njit(cache=True, nogil=True)
def _slow_slot_nb(scratch: np.ndarray, window: int) -> tuple[int, bool]:
    """The scratch row that holds (or will hold) the slow average of ``window``, and whether it
    is already there: rows ``1 .. len - 2`` are the slots, their windows in the first cells of
    the last row (NaN: empty). Empty slots fill first and then keep their average; when all are
    taken, the last slot takes each new window in turn (so a thread that cycles through more
    windows than slots still finds most of them)."""
    keys = scratch.shape[0] - 1
    for row in range(1, keys):
        key = scratch[keys, row]
        if key == window:
            return row, True
        if np.isnan(key):
            return row, False
    return keys - 1, False


@njit(cache=True, nogil=True)
def sma_cross_into_nb(open_, high, low, close, volume, params, signals, levels, scratch):
    """The fused sweep's signal kernel of :data:`sma_cross` (see
    :data:`soltrader.sim.lean.SIGNAL_KERNEL_SIG`): the crossings of the ``params = (fast, slow)``
    averages of ``close`` into ``signals`` rows 0 and 1.

    ``scratch`` (``SCRATCH_ROWS`` rows of at least as many cells, NaN at first) keeps the
    thread's averages between combinations: row 0 the last fast one, rows 1 .. ``SLOW_SLOTS``
    slow ones, and the last row their windows (cell 0 the fast window, cell ``k`` slot ``k``'s).
    A sweep's grid varies the slow window fastest, so each thread meets the same few slow
    windows again for every fast one: it computes each of them once (while they fit in the
    slots), and the fast average once per fast window.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([3.0, 2.0, 1.0, 2.0, 3.0]); c.flags.writeable = False
    >>> sig, scratch = np.zeros((4, 5), np.bool_), np.full((SCRATCH_ROWS, 7), np.nan)
    >>> sma_cross_into_nb(c, c, c, c, c, np.array([1.0, 2.0]), sig, np.empty((1, 5)), scratch)
    2
    >>> sig[0].tolist(), sig[1].tolist()
    ([False, False, False, True, False], [False, False, False, False, False])
    """
    n = close.shape[0]
    fast = np.int64(params[0])
    slow = np.int64(params[1])
    keys = scratch.shape[0] - 1
    fast_ma = scratch[0, :n]
    if scratch[keys, 0] != fast:
        sma_1d_nb(close, fast, fast_ma)
        scratch[keys, 0] = fast
    row, cached = _slow_slot_nb(scratch, slow)
    slow_ma = scratch[row, :n]
    if not cached:
        sma_1d_nb(close, slow, slow_ma)
        scratch[keys, row] = slow
    crossings_into_nb(fast_ma, slow_ma, signals[0], signals[1])
    return np.int64(2)


def check_sma_cross(fast: int = 20, slow: int = 100) -> None:
    """Refuse windows that are not whole numbers of bars >= 1.

    Examples
    --------
    >>> check_sma_cross(fast=0)
    Traceback (most recent call last):
    ...
    soltrader.domain.errors.ParameterError: fast: must be a whole number of bars >= 1, got 0
    """
    for name, value in (("fast", fast), ("slow", slow)):
        whole = isinstance(value, Real) and float(value).is_integer()
        if isinstance(value, bool | np.bool_) or not whole or value < 1:
            raise ParameterError(name, f"must be a whole number of bars >= 1, got {value!r}")


def sma_cross_signals(bars: Bars, fast: int = 20, slow: int = 100) -> Signals:
    """Long-only SMA crossover (decisions at each bar's close).

    Parameters
    ----------
    bars : Bars
        One asset's bars.
    fast, slow : int
        Windows of the two simple moving averages, bars (``fast < slow`` is not required: the
        rule is symmetric, but a sweep may constrain it).

    Returns
    -------
    Signals
        ``entries`` where SMA(fast) crosses above SMA(slow), ``exits`` where it crosses below.
        Stops and costs are backtest keywords (``sl_stop``, ``tp_stop``, ``fees``, ...).

    Examples
    --------
    >>> import soltrader as st
    >>> res = st.backtest(bars, st.strategies.sma_cross, fast=20, slow=100, sl_stop=0.02,
    ...                   fees=0.001, slippage=0.0005)   # doctest: +SKIP
    """
    check_sma_cross(fast, slow)
    entries, exits = sma_cross_nb(bars.close, int(fast), int(slow))
    return Signals(entries, exits)


@njit(cache=True, nogil=True)
def _sma_tail_nb(close: np.ndarray, r: int, stop: int, n: int, need: int) -> np.ndarray:
    """``sma_1d_nb`` of the run ``close[r:stop]`` at bars ``need .. stop - 1`` (``need >= r``),
    from the shortest tail that gives the same numbers (see :mod:`soltrader.strategies.live`)."""
    s = anchored_start_nb(r, need, n - 1, anchor_period_nb(n))
    return sma_1d_nb(close[s:stop], n)[need - s :]


@njit(cache=True, nogil=True)
def sma_cross_newest_nb(
    close: np.ndarray, start: int, stop: int, fast: int, slow: int
) -> tuple[bool, bool]:
    """The newest row of :func:`sma_cross_nb` on ``close[start:stop]``: ``(entry, exit)``.

    The two averages are computed at the last two bars only; the crossing at the last bar
    follows from their order at the bar before (the rule of :func:`crossed_above_nb`: below,
    then above, is an entry; an undefined average forgets the past). Only when they are equal
    at the bar before does the crossing depend on older bars: the whole window is computed
    then.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([5.0, 4, 3, 4, 6, 8, 6, 3, 2])
    >>> [sma_cross_newest_nb(c, 0, t + 1, 2, 3) for t in (4, 5, 7)]
    [(True, False), (False, False), (False, True)]
    """
    r = run_start_nb(close, start, stop)
    if stop - r < 2:  # the bar before is not in the last run: the crossing state is reset
        return False, False
    f = _sma_tail_nb(close, r, stop, fast, stop - 2)
    s = _sma_tail_nb(close, r, stop, slow, stop - 2)
    if np.isnan(f[0]) or np.isnan(s[0]) or np.isnan(f[1]) or np.isnan(s[1]):
        return False, False
    if f[0] < s[0]:
        return f[1] > s[1], False
    if f[0] > s[0]:
        return False, f[1] < s[1]
    entries, exits = sma_cross_nb(close[start:stop], fast, slow)
    return entries[-1], exits[-1]


def sma_cross_live(fast: int = 20, slow: int = 100):
    """The live form of :func:`sma_cross_signals` (see ``Strategy.live``): ``row(bars, start,
    stop)`` gives the newest row of the signals on ``bars[start:stop]``, equal to them.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([5.0, 4, 3, 4, 6, 8, 6, 3, 2])
    >>> row = sma_cross_live(fast=2, slow=3)
    >>> row(Bars(c, c, c, c, c), 0, 5)
    {'entries': True, 'exits': False}
    """
    check_sma_cross(fast, slow)
    f, s = int(fast), int(slow)

    def row(bars: Bars, start: int, stop: int) -> dict[str, bool]:
        entry, exit_ = sma_cross_newest_nb(bars.close, start, stop, f, s)
        return {"entries": bool(entry), "exits": bool(exit_)}

    return row


sma_cross = Strategy(
    name="sma_cross",
    signal=sma_cross_signals,
    params={"fast": 20, "slow": 100},
    space={"fast": range(10, 101, 10), "slow": range(50, 501, 50)},
    description="Long when SMA(fast) crosses above SMA(slow); flat when it crosses below.",
    check=check_sma_cross,
    fused=Fused(sma_cross_into_nb, scratch=SCRATCH_ROWS),
    live=sma_cross_live,
)
