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

import numpy as np
from numba import njit

_INF = np.inf


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


__all__ = ["anchored_start_nb", "blocked_start_nb", "run_start_nb"]
