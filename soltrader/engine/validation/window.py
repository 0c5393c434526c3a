"""Window check: does a strategy decide the same on a trailing window as on the full history?

The live loop cannot recompute a signal function on years of bars at every close: it keeps a
window of the newest ``window`` bars and acts on the newest row of the signals computed on it.
That is the backtest's decision only if the signal function forgets what lies further back
(rolling windows, exponential averages that have decayed, swings that have expired).
:func:`window_check` recomputes the signals on the trailing window ending at each checked bar
and compares the newest row with the full-history signals at that bar, field by field
(entries, exits, short signals and the per-bar values such as ``sl_stop``); it also finds the
smallest window that passes on the same bars.

Like :func:`~soltrader.engine.validation.lookahead.lookahead_check`, each window is a **copy**,
so a kernel cannot read the bars before it through a view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from soltrader.domain.errors import Error, ParameterError
from soltrader.engine.validation._checks import as_float, as_int
from soltrader.engine.validation.lookahead import (
    _BOOL_FIELDS,
    _differs,
    _signal_fields,
    full_run,
)
from soltrader.strategies.spec import Bars, Strategy


@dataclass(frozen=True)
class WindowReport:
    """Outcome of :func:`window_check`.

    Attributes
    ----------
    strategy : str
        Strategy name.
    params : dict
        The resolved parameters that were checked.
    window : int
        The window checked (bars).
    bars : ndarray of int
        The bars (0-based positions) whose decision was recomputed on the window ending there.
    findings : pandas.DataFrame
        One row per differing field at a checked bar: ``bar``, ``time``, ``field``, ``full``
        (the value on the full history) and ``window`` (the newest value on the window).
    smallest : int or None
        The smallest window that reproduces every checked decision (None if not searched, or if
        even the whole history is not enough: look-ahead or dependence on the data's end).
    """

    strategy: str
    params: dict[str, Any]
    window: int
    bars: np.ndarray
    findings: pd.DataFrame
    smallest: int | None

    @property
    def ok(self) -> bool:
        """``True`` when the window reproduced every checked decision.

        Examples
        --------
        >>> window_check(st.strategies.sma_cross, bars, 2_000).ok  # doctest: +SKIP
        True
        """
        return self.findings.empty

    def __repr__(self) -> str:
        verdict = "ok" if self.ok else f"{len(self.findings)} differing values"
        smallest = "" if self.smallest is None else f", smallest passing window {self.smallest}"
        return (
            f"WindowReport({self.strategy}, window {self.window}, {len(self.bars)} bars checked: "
            f"{verdict}{smallest})"
        )


def _checked_bars(full: dict[str, np.ndarray], n: int, window: int, n_bars: int) -> np.ndarray:
    """Up to ``n_bars`` bars with a full window before them: every bar where the full run
    decides something first (newest first), then the newest of the others."""
    pool = np.arange(window - 1, n, dtype=np.int64)
    if pool.size == 0:
        raise ParameterError("window", f"{window} bars is longer than the data ({n} bars)")
    acted = np.zeros(n, dtype=np.bool_)
    for key in _BOOL_FIELDS:
        if key in full:
            acted |= full[key]
    decided = pool[acted[pool]][::-1][:n_bars]
    rest = np.setdiff1d(pool, decided)[::-1][: n_bars - decided.size]
    return np.sort(np.concatenate([decided, rest]))


def _newest(strategy: Strategy, bars: Bars, params: dict[str, Any], t: int, window: int) -> dict:
    """The newest row of the signals computed on the ``window`` bars ending at ``t``."""
    start = max(0, t + 1 - window)
    part = Bars(*(np.array(a[start : t + 1]) for a in bars))
    try:
        sig = strategy.signal(part, **params)
    except Error as exc:
        raise ParameterError(
            "window", f"{strategy.name} fails on the {t + 1 - start} bars ending at {t}: {exc}"
        ) from exc
    fields = _signal_fields(sig, t + 1 - start, strategy.name, f"the window ending at bar {t}")
    return {k: v[-1:] for k, v in fields.items()}


def _mismatches(
    strategy: Strategy,
    bars: Bars,
    params: dict[str, Any],
    full: dict[str, np.ndarray],
    checked: np.ndarray,
    window: int,
    rtol: float,
    stop_at_first: bool,
) -> list[tuple[int, str, Any, Any]]:
    out = []
    for t in checked:
        newest = _newest(strategy, bars, params, int(t), window)
        for key in sorted(set(full) | set(newest)):
            if key not in full or key not in newest:
                out.append((int(t), key, key in full, key in newest))
            elif _differs(full[key][t : t + 1], newest[key], rtol)[0]:
                out.append((int(t), key, full[key][t].item(), newest[key][0].item()))
        if out and stop_at_first:
            return out
    return out


def _smallest(
    strategy, bars, params, full, checked, rtol, low: int, high: int
) -> int | None:  # fmt: skip
    """The smallest window in ``[low, high]`` passing on ``checked`` (bisection: a window that
    passes is assumed to keep passing when it grows, and the answer is verified)."""

    def passes(w: int) -> bool:
        try:
            return not _mismatches(strategy, bars, params, full, checked, w, rtol, True)
        except ParameterError:  # too short for the signal function: it does not pass
            return False

    if not passes(high):
        return None
    while low < high:
        mid = (low + high) // 2
        if passes(mid):
            high = mid
        else:
            low = mid + 1
    return high


def window_check(
    strategy: Strategy,
    data: Any,
    window: int | None = None,
    *,
    params: dict[str, Any] | None = None,
    n_bars: int = 150,
    search: bool = True,
    rtol: float = 1e-9,
) -> WindowReport:
    """Recompute a strategy's newest decision on trailing windows and compare with the full run.

    Parameters
    ----------
    strategy : Strategy
        The strategy spec to check.
    data : pandas or polars OHLCV frame
        One asset's bars.
    window : int, optional
        Bars of history given to the signal function (default: ``strategy.live_window``).
    params : dict, optional
        Parameters (defaults completed by the spec).
    n_bars : int
        Bars checked: the newest bars where the full run decides something, then the newest
        others (each check runs the signal function once on ``window`` bars).
    search : bool
        Also find the smallest window that passes on the same bars (bisection between 2 bars
        and the whole history).
    rtol : float
        Relative tolerance for per-bar numbers (``sl_stop`` etc.); booleans compare exactly.

    Returns
    -------
    WindowReport
        ``.ok`` when every checked decision was reproduced; ``.smallest`` the smallest window.

    Raises
    ------
    ParameterError
        Not a strategy, a window longer than the data, or a signal function that fails or
        returns malformed Signals on a window.

    Examples
    --------
    >>> import soltrader as st
    >>> rep = st.validation.window_check(st.strategies.sma_cross, bars, 500)  # doctest: +SKIP
    >>> rep.ok, rep.smallest                                                  # doctest: +SKIP
    (True, 101)
    """
    market, bars, resolved, full = full_run(strategy, data, params, "window_check")
    n = market.shape[0]
    size = strategy.live_window if window is None else as_int(window, "window", low=2)
    size = n if size is None else size  # the whole history
    checked = _checked_bars(full, n, size, as_int(n_bars, "n_bars", low=1))
    tol = as_float(rtol, "rtol", low=0.0)
    found = _mismatches(strategy, bars, resolved, full, checked, size, tol, False)
    findings = pd.DataFrame(
        [
            {"bar": t, "time": market.index[t], "field": k, "full": f, "window": w}
            for t, k, f, w in found
        ],
        columns=["bar", "time", "field", "full", "window"],
    )
    smallest = None
    if search:
        longest = int(checked.max()) + 1  # every checked bar sees its whole history
        smallest = _smallest(strategy, bars, resolved, full, checked, tol, 2, longest)
    return WindowReport(strategy.name, dict(resolved), size, checked, findings, smallest)


__all__ = ["WindowReport", "window_check"]
