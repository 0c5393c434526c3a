"""Building blocks of the strategies' live forms (:attr:`Strategy.live`).

A live form gives the newest row of a signal function on the window ``bars[start:stop]``
without recomputing the whole window. Each indicator it needs at the newest bars is computed by
the batch kernel itself, on the shortest tail of the window that gives the same numbers:

* **runs**: every kernel of :mod:`soltrader.indicators` restarts after a NaN or ±inf input (see
  :mod:`soltrader.indicators._nb`), so an output depends only on the run of valid bars it lies in;
  :func:`run_start_nb` finds where the last run of a window starts;
* **anchored rolling sums** (SMA, rolling moments, z-score, realised volatility, volume surge)
  are recomputed from their window at the first output of a run and then every
  ``anchor_period_nb(n)`` outputs: a tail that starts a whole number of periods after the run's
  start keeps every recomputation where it was (:func:`anchored_start_nb`);
* **rolling extremes** are computed in blocks of ``n`` bars from the run's start, each block
  reading the one before it: a tail starting a whole number of blocks after the run's start,
  one block before the bar wanted, keeps every block (:func:`blocked_start_nb`);
* **recursive averages** (Wilder's RSI and ATR) depend on their seed at the run's start: they
  run over the whole run, which is what the window computation does too.

So a live form equals the window computation exactly, by construction, and the tests check it
bar by bar against the signal function on real data.

Examples
--------
>>> import numpy as np
>>> from soltrader.indicators.nb import anchor_period_nb, sma_1d_nb
>>> x = np.random.default_rng(0).random(1_000) + 1.0
>>> s = anchored_start_nb(0, 998, 19, anchor_period_nb(20))
>>> bool((sma_1d_nb(x[s:], 20)[998 - s :] == sma_1d_nb(x, 20)[998:]).all())
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numba import njit

from soltrader.domain.signals import Bars, Signals
from soltrader.indicators.nb import atr_1d_nb

_INF = np.inf

#: ``row(bars, start, stop)``: the newest row of a strategy's signals on ``bars[start:stop]``.
Row = Callable[[Bars, int, int], dict[str, Any]]


@njit(cache=True, nogil=True)
def run_start_nb(x: np.ndarray, start: int, stop: int) -> int:
    """The first bar of the last run of valid values of ``x[start:stop]``: the bar after the
    last NaN or ±inf in it, ``start`` when there is none (``stop`` when the last is invalid).

    Examples
    --------
    >>> import numpy as np
    >>> run_start_nb(np.array([1.0, np.nan, 2.0, 3.0]), 0, 4), run_start_nb(np.ones(3), 1, 3)
    (2, 1)
    """
    r = start
    for i in range(start, stop):
        if not abs(x[i]) < _INF:
            r = i + 1
    return r


@njit(cache=True, nogil=True)
def anchored_start_nb(r: int, need: int, first: int, period: int) -> int:
    """Where a tail may start to give an anchored kernel's outputs at bars ``>= need`` of the
    run that starts at bar ``r``: ``r`` plus a whole number of ``period`` s, at most
    ``need - first`` (the kernel's first output comes ``first`` bars into a run, then it
    re-anchors every ``period`` outputs).

    Examples
    --------
    >>> anchored_start_nb(0, 1_999, 19, 40), anchored_start_nb(0, 10, 19, 40)
    (1960, 0)
    """
    if need - first <= r:
        return r
    return r + ((need - first - r) // period) * period


@njit(cache=True, nogil=True)
def blocked_start_nb(r: int, need: int, n: int) -> int:
    """Where a tail may start to give a rolling extreme over ``n`` bars at bars ``>= need`` of
    the run that starts at bar ``r``: ``r`` plus whole blocks of ``n``, one block before the
    block of ``need``.

    Examples
    --------
    >>> blocked_start_nb(0, 1_999, 48), blocked_start_nb(0, 50, 48)
    (1920, 0)
    """
    k = (need - r) // n - 1
    return r + k * n if k > 0 else r


@njit(cache=True, nogil=True)
def atr_newest_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    start: int,
    stop: int,
    n: int,
    close_run: int,
) -> float:
    """Wilder's ATR over ``n`` bars at bar ``stop - 1`` of the window ``[start, stop)`` (price;
    NaN while undefined), equal to ``atr_1d_nb`` of the window at its last bar.

    The average is recursive from its seed at the start of its run (the bars where high, low
    and close are all valid), so it runs over the whole last run. ``close_run`` is
    ``run_start_nb(close, start, stop)``, which a caller computes for its other indicators.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([10.0, np.nan, 10.0, 10.4, 10.2, 10.8, 10.6])
    >>> a = atr_newest_nb(c + 0.2, c - 0.2, c, 0, 7, 3, run_start_nb(c, 0, 7))
    >>> bool(a == atr_1d_nb(c + 0.2, c - 0.2, c, 3)[-1])
    True
    """
    t = stop - 1
    r = max(close_run, run_start_nb(high, start, stop), run_start_nb(low, start, stop))
    if r > t:
        return np.nan
    return atr_1d_nb(high[r:stop], low[r:stop], close[r:stop], n)[-1]


def kernel_row(
    newest: Callable[..., tuple],
    params: tuple,
    *,
    shorts: bool,
    sized: bool,
    fixed: Mapping[str, Any] | None = None,
) -> Row:
    """The ``row(bars, start, stop)`` of a live form from its newest-row kernel.

    ``newest(high, low, close, volume, start, stop, params)`` gives the newest row as
    ``(entry, exit, short entry, short exit, sl_stop, size)``; the row holds ``entries``,
    ``exits``, ``short_entries`` and ``short_exits`` when ``shorts``, ``sl_stop``, ``size``
    when ``sized``, then the ``fixed`` fields (the same on every bar), in the order of
    ``Signals.extras()``.

    Parameters
    ----------
    newest : callable
        The newest-row kernel (a numba function: the row adds no work of its own but the dict).
    params : tuple
        The kernel's parameters, validated once.
    shorts, sized : bool
        Whether the signals carry ``short_entries`` / ``short_exits``, and ``size``.
    fixed : mapping, optional
        Fields whose value is the same on every bar (e.g. ``max_bars``, bars).

    Returns
    -------
    callable
        ``row(bars, start, stop)``: a dict of Python scalars by field name.

    Examples
    --------
    >>> import numpy as np
    >>> def newest(high, low, close, volume, start, stop, params):
    ...     return bool(close[stop - 1] > params[0]), False, False, False, 0.02, 0.5
    >>> row = kernel_row(newest, (10.0,), shorts=False, sized=True, fixed={"max_bars": 48})
    >>> c = np.array([9.0, 11.0])
    >>> row(Bars(c, c, c, c, c), 0, 2)
    {'entries': True, 'exits': False, 'sl_stop': 0.02, 'size': 0.5, 'max_bars': 48}
    """
    extra = dict(fixed or {})

    def row(bars: Bars, start: int, stop: int) -> dict[str, Any]:
        e, x, se, sx, sl, size = newest(
            bars.high, bars.low, bars.close, bars.volume, start, stop, params
        )
        out: dict[str, Any] = {"entries": e, "exits": x}
        if shorts:
            out["short_entries"] = se
            out["short_exits"] = sx
        out["sl_stop"] = sl
        if sized:
            out["size"] = size
        if extra:
            out.update(extra)
        return out

    return row


def window_row(
    signal: Callable[..., Signals], bars: Bars, start: int, stop: int, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The newest row of ``signal(bars[start:stop], **params)``, the window computed whole, as
    Python scalars by field name (``entries``, ``exits`` and ``Signals.extras()``): what a live
    form gives where no shorter computation is exact.

    Examples
    --------
    >>> import numpy as np
    >>> from soltrader.strategies.sma_cross import sma_cross_signals
    >>> c = np.array([5.0, 4, 3, 4, 6, 8, 6, 3, 2])
    >>> window_row(sma_cross_signals, Bars(c, c, c, c, c), 1, 5, {"fast": 2, "slow": 3})
    {'entries': True, 'exits': False}
    """
    sig = signal(Bars(*(a[start:stop] for a in bars)), **params)
    values = {"entries": sig.entries, "exits": sig.exits, **sig.extras()}
    return {k: v[-1].item() for k, v in values.items()}


__all__ = [
    "Row",
    "anchored_start_nb",
    "atr_newest_nb",
    "blocked_start_nb",
    "kernel_row",
    "run_start_nb",
    "window_row",
]
