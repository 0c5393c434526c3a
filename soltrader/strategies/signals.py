"""Signal helpers shared by strategies: crossovers (vectorbt's exact rule)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def crossed_above_nb(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True at bar t when ``a`` rises above ``b`` after having been below it.

    The rule of vectorbt's ``crossed_above`` (``wait=0``): a NaN in either input forgets any
    earlier "below"; once ``a < b`` has been seen, the first bar with ``a > b`` is a crossing;
    bars with ``a == b`` do not cross but re-arm the crossing if ``a`` had been below.

    Examples
    --------
    >>> import numpy as np
    >>> crossed_above_nb(np.array([1.0, 3.0, 4.0]), np.array([2.0, 2.0, 2.0]))
    array([False,  True, False])
    """
    out = np.zeros(a.shape[0], dtype=np.bool_)
    was_below = False
    crossed_ago = -1
    for i in range(a.shape[0]):
        if np.isnan(a[i]) or np.isnan(b[i]):
            crossed_ago = -1
            was_below = False
        elif a[i] > b[i]:
            if was_below:
                crossed_ago += 1
                out[i] = crossed_ago == 0
        elif a[i] == b[i]:
            crossed_ago = -1
        else:
            crossed_ago = -1
            was_below = True
    return out


@njit(cache=True)
def crossed_below_nb(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True at bar t when ``a`` falls below ``b`` after having been above it (mirror of
    :func:`crossed_above_nb`).

    Examples
    --------
    >>> import numpy as np
    >>> crossed_below_nb(np.array([3.0, 1.0, 0.0]), np.array([2.0, 2.0, 2.0]))
    array([False,  True, False])
    """
    return crossed_above_nb(b, a)


@njit(cache=True, nogil=True, inline="always")
def cross_step_nb(
    x: float, y: float, was_below: bool, up_ago: int, was_above: bool, down_ago: int
) -> tuple[bool, bool, bool, int, bool, int]:
    """One bar of :func:`crossings_into_nb`: ``(above, below)`` at this bar and the crossing
    state after it (``was_below, up_ago, was_above, down_ago``; start from ``False, -1,
    False, -1``), inlined into loops that compute their inputs as they go. The two spell out
    the same rule; the sma_cross property tests hold them equal.

    Examples
    --------
    >>> cross_step_nb(3.0, 2.0, True, -1, False, -1)
    (True, False, True, 0, True, -1)
    """
    above = False
    below = False
    if np.isnan(x) or np.isnan(y):
        up_ago = -1
        was_below = False
        down_ago = -1
        was_above = False
    elif x > y:
        if was_below:
            up_ago += 1
            above = up_ago == 0
        down_ago = -1
        was_above = True
    elif x == y:
        up_ago = -1
        down_ago = -1
    else:
        if was_above:
            down_ago += 1
            below = down_ago == 0
        up_ago = -1
        was_below = True
    return above, below, was_below, up_ago, was_above, down_ago


@njit(cache=True, nogil=True)
def crossings_into_nb(a: np.ndarray, b: np.ndarray, above: np.ndarray, below: np.ndarray) -> None:
    """:func:`crossed_above_nb` and :func:`crossed_below_nb` of ``a`` and ``b`` in one pass,
    written into ``above`` and ``below`` (equal to the two functions, bit for bit).

    Examples
    --------
    >>> import numpy as np
    >>> up, down = np.zeros(3, np.bool_), np.zeros(3, np.bool_)
    >>> crossings_into_nb(np.array([1.0, 3.0, 1.0]), np.full(3, 2.0), up, down)
    >>> up.tolist(), down.tolist()
    ([False, True, False], [False, False, True])
    """
    was_below = False  # the loop spells out cross_step_nb: calling it here measured 5-10 % slower
    up_ago = -1
    was_above = False
    down_ago = -1
    for i in range(a.shape[0]):
        x = a[i]
        y = b[i]
        above[i] = False
        below[i] = False
        if np.isnan(x) or np.isnan(y):
            up_ago = -1
            was_below = False
            down_ago = -1
            was_above = False
        elif x > y:
            if was_below:
                up_ago += 1
                above[i] = up_ago == 0
            down_ago = -1
            was_above = True
        elif x == y:
            up_ago = -1
            down_ago = -1
        else:
            if was_above:
                down_ago += 1
                below[i] = down_ago == 0
            up_ago = -1
            was_below = True
