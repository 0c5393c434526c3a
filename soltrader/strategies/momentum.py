"""Momentum: buy a strong rate of change that breaks out of its recent range on a volume surge.

The rules, stated once (decisions at each bar's close ``t``; every input is from bars ``<= t``):

Indicators (:mod:`soltrader.indicators`; equal to the TA-Lib function named in brackets)
    * ``roc = ROC(close, roc_n)``, the fraction ``close[t] / close[t - roc_n] - 1`` (``ROCP``);
    * ``prior_high`` / ``prior_low``: highest high / lowest low of the ``breakout_n`` bars
      *before* ``t`` (``t - breakout_n .. t - 1``; ``MAX`` / ``MIN`` shifted one bar);
    * ``ratio = volume[t] / mean(volume[t - vol_n .. t - 1])``, the volume surge ratio;
    * ``ATR(atr_n)``, Wilder's average true range, price units (``ATR``).

Confidence in [0, 1] (0 while ROC, the prior high / low or the surge ratio is undefined)
    ``up = (c_roc + c_brk + c_vol) / 3`` with

    * ``c_roc = clip(roc / roc_entry, 0, 1)``: 0 for no rise, 1 at or above the threshold;
    * ``c_brk = 1`` when ``close[t] > prior_high``, else 0 (a breakout);
    * ``c_vol = clip((ratio - 1) / (surge - 1), 0, 1)``: 0 at average volume, 1 at a surge.

    With ``allow_short`` the mirror ``down`` uses ``clip(-roc / roc_entry, 0, 1)`` and
    ``close[t] < prior_low``, and the confidence is ``max(up, down)``. A confidence below
    ``consider`` is reported as 0 (not worth watching); between ``consider`` and ``act`` it is
    reported in ``Signals.confidence`` and does not trade. With the defaults, any two of the
    three components at full strength reach ``act = 0.6``.

Entries
    Long when ``up >= act`` and the exit rule below does not hold on the same bar. Token age
    ``t - t0``, in bars (rows) since ``t0``, the first bar with a finite close (the listing:
    the series is taken to start there), must be ``>= min_age_bars``, unless
    ``roc >= bypass_roc`` (a *momentum bypass*). An entry needs the ATR stop to be defined
    (ATR > 0). Shorts (``allow_short``): the mirror image (``down >= act``, bypass at
    ``roc <= -bypass_roc``); a bar on which both directions qualify takes neither.

Momentum bypass
    A bypassed entry expects a wider slippage allowance (a young token moves fast and its book
    is thin). The simulator takes slippage as a backtest keyword, not as a signal, so the
    strategy pays for it in size: a bypassed entry commits ``bypass_size`` of the cash
    (``Signals.size``, ``size_type="percent"``) instead of all of it, and
    :func:`momentum_bypassed` returns the bypassed entry bars so that a backtest can charge
    them a wider per-bar ``slippage`` through :func:`soltrader.backtest_signals`.

Exits (whichever comes first; fills follow :mod:`soltrader.sim.rules`)
    * signal: ``roc < roc_exit`` (shorts: ``roc > -roc_exit``), decided at the close and filled
      like any exit (the next open by default);
    * stop: ``sl_atr x ATR / close`` of the entry decision bar, passed per bar as ``sl_stop`` (a
      fraction of the entry price; NaN where ATR is undefined or 0), checked inside each bar
      after the entry;
    * time stop: decided at the close of the bar ``max_hold`` bars after the entry fill
      (``Signals.max_bars``; 0: none).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from soltrader.domain.errors import ParameterError
from soltrader.indicators.nb import (
    anchor_period_nb,
    atr_1d_nb,
    roc_1d_nb,
    rolling_max_1d_nb,
    rolling_min_1d_nb,
    volume_surge_1d_nb,
)
from soltrader.sim.lean import copy_into_nb, signals_into_nb
from soltrader.strategies.live import (
    Row,
    anchored_start_nb,
    atr_newest_nb,
    blocked_start_nb,
    kernel_row,
    run_start_nb,
)
from soltrader.strategies.spec import Bars, Fused, Signals, Strategy

_ZERO = np.float64(0.0)
_ONE = np.float64(1.0)
_THIRD = np.float64(1.0 / 3.0)
_TRUE = np.bool_(True)
_FALSE = np.bool_(False)
_NO_BAR = np.int64(-1)

#: Default parameters (bars, fractions, ratios) of :data:`momentum`.
DEFAULTS: dict[str, Any] = {
    "roc_n": 24,
    "roc_entry": 0.05,
    "roc_exit": 0.0,
    "breakout_n": 48,
    "vol_n": 24,
    "surge": 3.0,
    "consider": 0.3,
    "act": 0.6,
    "min_age_bars": 168,
    "bypass_roc": 0.15,
    "bypass_size": 0.5,
    "atr_n": 14,
    "sl_atr": 2.0,
    "max_hold": 48,
    "allow_short": False,
}


@njit(cache=True, nogil=True)
def _clip01_nb(x: float) -> float:
    """``x`` clipped to [0, 1]."""
    if x < _ZERO:
        return _ZERO
    if x > _ONE:
        return _ONE
    return x


@njit(cache=True, nogil=True)
def _previous_nb(x: np.ndarray) -> np.ndarray:
    """``x`` shifted one bar later (NaN at bar 0): the value known before each bar."""
    out = np.empty(x.shape[0])
    if x.shape[0] > 0:
        out[0] = np.nan
    for t in range(1, x.shape[0]):
        out[t] = x[t - 1]
    return out


@njit(cache=True, nogil=True)
def _first_valid_nb(close: np.ndarray) -> np.int64:
    """Index of the first finite close (-1 if none): the listing bar of the series."""
    for t in range(close.shape[0]):
        if np.isfinite(close[t]):
            return np.int64(t)
    return _NO_BAR


@njit(cache=True, nogil=True)
def _stop_fraction_nb(atr: np.ndarray, close: np.ndarray, sl_atr: float) -> np.ndarray:
    """``sl_atr x ATR / close`` per bar; NaN where ATR is undefined or 0 or the close is <= 0."""
    out = np.full(close.shape[0], np.nan)
    for t in range(close.shape[0]):
        out[t] = _stop_at_nb(atr[t], close[t], sl_atr)
    return out


@njit(cache=True, nogil=True)
def _stop_at_nb(atr: float, close: float, sl_atr: float) -> float:
    """One bar of :func:`_stop_fraction_nb`."""
    if atr > _ZERO and close > _ZERO:
        return sl_atr * atr / close
    return np.nan


@njit(cache=True, nogil=True)
def _confidence_at_nb(
    roc: float,
    prior_high: float,
    prior_low: float,
    ratio: float,
    c: float,
    roc_entry: float,
    surge: float,
) -> tuple[float, float]:
    """One bar of :func:`momentum_confidence_nb`: ``(up, down)``, NaN while undefined."""
    if np.isnan(roc) or np.isnan(prior_high) or np.isnan(ratio):
        return np.nan, np.nan
    c_vol = _clip01_nb((ratio - _ONE) / (surge - _ONE))
    brk_up = _ONE if c > prior_high else _ZERO
    brk_down = _ONE if c < prior_low else _ZERO
    up = (_clip01_nb(roc / roc_entry) + brk_up + c_vol) * _THIRD
    down = (_clip01_nb(-roc / roc_entry) + brk_down + c_vol) * _THIRD
    return up, down


@njit(cache=True, nogil=True)
def momentum_confidence_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    roc_n: int,
    roc_entry: float,
    breakout_n: int,
    vol_n: int,
    surge: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate of change and the raw long / short confidences of :mod:`momentum`'s rules.

    Returns ``(roc, up, down)``: the ROC (fraction) and both confidences in [0, 1], NaN where
    any indicator is undefined (warm-up, or a surge ratio of 0 / 0).

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([1.0, 1.0, 1.0, 1.1])
    >>> roc, up, down = momentum_confidence_nb(c, c, c, np.array([1.0, 1, 1, 3]), 1, 0.1, 2, 2, 3.0)
    >>> float(up[3]), float(down[3])
    (1.0, 0.3333333333333333)
    """
    n = close.shape[0]
    roc = roc_1d_nb(close, roc_n)
    prior_high = _previous_nb(rolling_max_1d_nb(high, breakout_n))
    prior_low = _previous_nb(rolling_min_1d_nb(low, breakout_n))
    ratio = volume_surge_1d_nb(volume, vol_n)
    up = np.full(n, np.nan)
    down = np.full(n, np.nan)
    for t in range(n):
        up[t], down[t] = _confidence_at_nb(
            roc[t], prior_high[t], prior_low[t], ratio[t], close[t], roc_entry, surge
        )
    return roc, up, down


@njit(cache=True, nogil=True)
def _row_nb(
    roc: float,
    up: float,
    down: float,
    sl_stop: float,
    age: int,
    roc_exit: float,
    consider: float,
    act: float,
    min_age_bars: int,
    bypass_roc: float,
    bypass_size: float,
    allow_short: bool,
) -> tuple[bool, bool, bool, bool, float, float, bool]:
    """The rules at one bar from its ROC, confidences, stop and age (bars since the listing):
    ``(entry, exit, short entry, short exit, confidence, size, bypassed)``."""
    entry = False
    exit_ = False
    short_entry = False
    short_exit = False
    confidence = _ZERO
    size = _ONE
    bypassed = False
    if np.isnan(roc):
        return entry, exit_, short_entry, short_exit, confidence, size, bypassed
    exit_ = roc < roc_exit
    short_exit = allow_short and roc > -roc_exit
    if np.isnan(up):
        return entry, exit_, short_entry, short_exit, confidence, size, bypassed
    conf = max(up, down) if allow_short else up
    confidence = conf if conf >= consider else _ZERO
    if np.isnan(sl_stop):
        return entry, exit_, short_entry, short_exit, confidence, size, bypassed
    young = age < min_age_bars
    go_long = up >= act and not exit_ and (not young or roc >= bypass_roc)
    go_short = allow_short and down >= act and not short_exit and (not young or roc <= -bypass_roc)
    if go_long and go_short:
        return entry, exit_, short_entry, short_exit, confidence, size, bypassed
    entry = go_long
    short_entry = go_short
    if young and (go_long or go_short):
        bypassed = _TRUE
        size = bypass_size
    return entry, exit_, short_entry, short_exit, confidence, size, bypassed


@njit(cache=True, nogil=True)
def momentum_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    roc_n: int,
    roc_entry: float,
    roc_exit: float,
    breakout_n: int,
    vol_n: int,
    surge: float,
    consider: float,
    act: float,
    min_age_bars: int,
    bypass_roc: float,
    bypass_size: float,
    atr_n: int,
    sl_atr: float,
    max_hold: int,
    allow_short: bool,
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]:
    """Kernel of :func:`momentum_signals` (the rules are in the module docstring).

    Returns ``(entries, exits, short_entries, short_exits, confidence, sl_stop, size,
    bypassed)``: booleans, confidence in [0, 1], ``sl_stop`` as a fraction of the close (NaN
    where ATR is undefined or 0), ``size`` as a fraction of cash (``bypass_size`` on bypassed
    entry bars, else 1), ``bypassed`` True on entry bars let through by the momentum bypass.
    ``short_*`` stay False unless ``allow_short``.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([10.0, 10.2, 10.1, 10.3, 12.0, 11.0])
    >>> out = momentum_nb(c + 0.1, c - 0.1, c, np.array([1.0, 1, 1, 1, 9, 1]),
    ...                   1, 0.05, 0.0, 2, 2, 3.0, 0.3, 0.6, 0, 0.5, 0.5, 2, 2.0, 0, False)
    >>> np.flatnonzero(out[0]), np.flatnonzero(out[1])
    (array([4]), array([2, 5]))
    """
    n = close.shape[0]
    roc, up, down = momentum_confidence_nb(
        high, low, close, volume, roc_n, roc_entry, breakout_n, vol_n, surge
    )
    sl_stop = _stop_fraction_nb(atr_1d_nb(high, low, close, atr_n), close, sl_atr)
    t0 = _first_valid_nb(close)
    entries = np.zeros(n, dtype=np.bool_)
    exits = np.zeros(n, dtype=np.bool_)
    short_entries = np.zeros(n, dtype=np.bool_)
    short_exits = np.zeros(n, dtype=np.bool_)
    confidence = np.zeros(n)
    size = np.ones(n)
    bypassed = np.zeros(n, dtype=np.bool_)
    for t in range(n):
        (
            entries[t], exits[t], short_entries[t], short_exits[t], confidence[t], size[t],
            bypassed[t],
        ) = _row_nb(
            roc[t], up[t], down[t], sl_stop[t], t - t0, roc_exit, consider, act, min_age_bars,
            bypass_roc, bypass_size, allow_short,
        )  # fmt: skip
    return entries, exits, short_entries, short_exits, confidence, sl_stop, size, bypassed


def _is_flag(value: Any) -> bool:
    """True for ``True`` / ``False`` (also numpy booleans and the integers 0 and 1)."""
    return isinstance(value, bool | np.bool_ | int | np.integer) and value in (0, 1)


def _whole(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int of at least ``minimum`` bars, or a ParameterError naming it."""
    ok = isinstance(value, int | np.integer | float | np.floating) and not isinstance(value, bool)
    if not ok or not float(value).is_integer() or value < minimum:
        raise ParameterError(name, f"must be a whole number of bars >= {minimum}, got {value!r}")
    return int(value)


def _real(name: str, value: Any, low: float, high: float, *, open_low: bool = False) -> float:
    """``value`` as a float in ``[low, high]`` (``(low, high]`` with ``open_low``)."""
    ok = isinstance(value, int | np.integer | float | np.floating) and not isinstance(value, bool)
    v = float(value) if ok else math.nan
    if not (low <= v <= high) or (open_low and v == low):
        side = "(" if open_low else "["
        raise ParameterError(name, f"must be a number in {side}{low}, {high}], got {value!r}")
    return v


def _kernel_args(p: dict[str, Any]) -> tuple:
    """Validate resolved parameters and return them in the kernel's order."""
    inf = math.inf
    roc_entry = _real("roc_entry", p["roc_entry"], 0.0, inf, open_low=True)
    roc_exit = _real("roc_exit", p["roc_exit"], -1.0, inf)
    if roc_exit >= roc_entry:
        raise ParameterError("roc_exit", f"must be below roc_entry ({roc_entry}), got {roc_exit}")
    act = _real("act", p["act"], 0.0, 1.0, open_low=True)
    consider = _real("consider", p["consider"], 0.0, act)
    if not _is_flag(p["allow_short"]):
        raise ParameterError("allow_short", f"must be True or False, got {p['allow_short']!r}")
    return (
        _whole("roc_n", p["roc_n"], 1),
        roc_entry,
        roc_exit,
        _whole("breakout_n", p["breakout_n"], 1),
        _whole("vol_n", p["vol_n"], 1),
        _real("surge", p["surge"], 1.0, inf, open_low=True),
        consider,
        act,
        _whole("min_age_bars", p["min_age_bars"], 0),
        _real("bypass_roc", p["bypass_roc"], 0.0, inf, open_low=True),
        _real("bypass_size", p["bypass_size"], 0.0, 1.0, open_low=True),
        _whole("atr_n", p["atr_n"], 1),
        _real("sl_atr", p["sl_atr"], 0.0, inf, open_low=True),
        _whole("max_hold", p["max_hold"], 0),
        bool(p["allow_short"]),
    )


def _run(bars: Bars, params: dict[str, Any]) -> tuple:
    """The kernel's outputs for resolved ``params`` (validated first)."""
    args = _kernel_args(params)
    prices = (np.asarray(a, dtype=np.float64) for a in (bars.high, bars.low, bars.close))
    volume = np.asarray(bars.volume, dtype=np.float64)
    return momentum_nb(*prices, volume, *args)


def momentum_signals(
    bars: Bars,
    roc_n: int = 24,
    roc_entry: float = 0.05,
    roc_exit: float = 0.0,
    breakout_n: int = 48,
    vol_n: int = 24,
    surge: float = 3.0,
    consider: float = 0.3,
    act: float = 0.6,
    min_age_bars: int = 168,
    bypass_roc: float = 0.15,
    bypass_size: float = 0.5,
    atr_n: int = 14,
    sl_atr: float = 2.0,
    max_hold: int = 48,
    allow_short: bool = False,
) -> Signals:
    """Rate of change / breakout with a volume surge, a minimum token age and a momentum bypass.

    The exact rules are in the docstring of :mod:`soltrader.strategies.momentum`.

    Parameters
    ----------
    bars : Bars
        One asset's bars; the first bar with a finite close is taken as the listing.
    roc_n : int
        ROC window, bars (>= 1).
    roc_entry : float
        ROC (fraction, > 0) that earns full ROC credit in the confidence.
    roc_exit : float
        Exit when ROC falls below this fraction (< ``roc_entry``; shorts: above ``-roc_exit``).
    breakout_n : int
        Bars of the prior high (low) that a close must break, bars (>= 1).
    vol_n : int
        Bars of the mean volume of the surge ratio (>= 1).
    surge : float
        Surge ratio (> 1) that earns full volume credit.
    consider, act : float
        Confidence thresholds, ``0 <= consider <= act <= 1``, ``act > 0``.
    min_age_bars : int
        Bars since the listing before an entry is allowed (>= 0).
    bypass_roc : float
        ROC (fraction, > 0) that lets an entry through the age filter.
    bypass_size : float
        Fraction of cash, in (0, 1], committed by a bypassed entry (others commit all of it).
    atr_n : int
        ATR window, bars (>= 1).
    sl_atr : float
        Stop distance in ATRs (> 0).
    max_hold : int
        Time stop, bars after the entry (>= 0; 0: none).
    allow_short : bool
        Also trade the mirror image short (default: long only).

    Returns
    -------
    Signals
        ``entries``, ``exits`` (and ``short_*`` with ``allow_short``), ``sl_stop``, ``size``
        (fractions of cash: use ``size_type="percent"``), ``max_bars`` and ``confidence``.

    Examples
    --------
    >>> import soltrader as st
    >>> from soltrader.strategies.momentum import momentum
    >>> bars = st.data.load("SOL/USDT", "1h")                          # doctest: +SKIP
    >>> res = st.backtest(bars, momentum, roc_entry=0.04, fees=0.001)  # doctest: +SKIP
    """
    e, x, se, sx, conf, sl, size, _ = _run(bars, dict(locals()))
    max_bars = np.full(e.shape[0], int(max_hold), dtype=np.int64)
    shorts = (se, sx) if allow_short else (None, None)
    return Signals(e, x, *shorts, sl_stop=sl, size=size, confidence=conf, max_bars=max_bars)


def momentum_bypassed(bars: Bars, **params: Any) -> np.ndarray:
    """Entry bars that only the momentum bypass let through (bool array, one per bar).

    Use it to charge bypassed entries a wider slippage, e.g.
    ``slippage=np.where(momentum_bypassed(b), 0.01, 0.001)`` in
    :func:`soltrader.backtest_signals` (slippage applies per decision bar).

    Examples
    --------
    >>> import numpy as np
    >>> c = np.r_[np.full(9, 10.0), 13.0]   # +30 % on bar 9, long before the age of 168 bars
    >>> b = Bars(c, c * 1.01, c * 0.99, c, np.r_[np.ones(9), 9.0])
    >>> np.flatnonzero(momentum_bypassed(b, roc_n=1, breakout_n=2, vol_n=2, atr_n=2))
    array([9])
    """
    return _run(bars, momentum.resolve(**params))[7]


def check_momentum(**params: Any) -> None:
    """Refuse invalid parameters (a ``ParameterError`` naming the first).

    Examples
    --------
    >>> check_momentum(**{**DEFAULTS, "act": 0.0})
    Traceback (most recent call last):
    ...
    soltrader.domain.errors.ParameterError: act: must be a number in (0.0, 1.0], got 0.0
    """
    _kernel_args({**DEFAULTS, **params})


@njit(cache=True, nogil=True)
def momentum_into_nb(open_, high, low, close, volume, params, signals, levels, scratch):
    """The fused sweep's signal kernel of :data:`momentum` (see
    :data:`soltrader.sim.lean.SIGNAL_KERNEL_SIG`; ``params`` in the order of ``DEFAULTS``): its
    signals, short rows when ``allow_short``, its ATR stop as level row 0 and its bypass size as
    level row 1 (its time stop rides as the combination's ``max_bars``).

    Examples
    --------
    >>> import numpy as np
    >>> c = np.linspace(100.0, 120.0, 200); c.flags.writeable = False
    >>> p = np.array([float(v) for v in DEFAULTS.values()])
    >>> sig, levels = np.zeros((4, 200), np.bool_), np.empty((2, 200))
    >>> momentum_into_nb(c, c, c, c, c, p, sig, levels, np.empty((0, 200)))
    2
    """
    shorts = params[14] != 0.0
    e, x, se, sx, _conf, sl, size, _byp = momentum_nb(
        high,
        low,
        close,
        volume,
        np.int64(params[0]),
        params[1],
        params[2],
        np.int64(params[3]),
        np.int64(params[4]),
        params[5],
        params[6],
        params[7],
        np.int64(params[8]),
        params[9],
        params[10],
        np.int64(params[11]),
        params[12],
        np.int64(params[13]),
        shorts,
    )
    copy_into_nb(levels[0], sl)
    copy_into_nb(levels[1], size)
    return signals_into_nb(signals, e, x, se, sx, shorts)


@njit(cache=True, nogil=True)
def _previous_extreme_nb(x: np.ndarray, start: int, t: int, n: int, want_max: bool) -> float:
    """The rolling max (min) over ``n`` bars of the window ``x[start:]`` at bar ``t - 1``
    (NaN at the window's first bar), from the tail that gives the same number."""
    if t <= start:
        return np.nan
    r = run_start_nb(x, start, t)
    if r > t - 1:
        return np.nan
    s = blocked_start_nb(r, t - 1, n)
    if want_max:
        return rolling_max_1d_nb(x[s:t], n)[-1]
    return rolling_min_1d_nb(x[s:t], n)[-1]


@njit(cache=True, nogil=True)
def momentum_newest_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    start: int,
    stop: int,
    params: tuple,
) -> tuple[bool, bool, bool, bool, float, float]:
    """The newest row of :func:`momentum_nb` on the window ``[start, stop)``: ``(entry, exit,
    short entry, short exit, sl_stop, size)``; ``params`` are :func:`momentum_nb`'s after the
    prices, in its order (those of ``DEFAULTS``).

    ATR (Wilder's average, seeded at the start of its run) runs over the window; the ROC, the
    prior high and low and the surge ratio over the tails that give the same numbers (see
    :mod:`soltrader.strategies.live`).

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([10.0, 10.2, 10.1, 10.3, 12.0, 11.0])
    >>> v = np.array([1.0, 1, 1, 1, 9, 1])
    >>> p = (1, 0.05, 0.0, 2, 2, 3.0, 0.3, 0.6, 0, 0.5, 0.5, 2, 2.0, 0, False)
    >>> [momentum_newest_nb(c + 0.1, c - 0.1, c, v, 0, t + 1, p)[:2] for t in (4, 5)]
    [(True, False), (False, True)]
    """
    (roc_n, roc_entry, roc_exit, breakout_n, vol_n, surge, consider, act, min_age_bars,
     bypass_roc, bypass_size, atr_n, sl_atr, _max_hold, allow_short) = params  # fmt: skip
    t = stop - 1
    rc = run_start_nb(close, start, stop)
    roc = np.nan
    if rc <= t:
        s = max(rc, t - roc_n)
        roc = roc_1d_nb(close[s:stop], roc_n)[-1]
    prior_high = _previous_extreme_nb(high, start, t, breakout_n, True)
    prior_low = _previous_extreme_nb(low, start, t, breakout_n, False)
    rv = run_start_nb(volume, start, stop)
    ratio = np.nan
    if rv <= t:
        s = anchored_start_nb(rv, t, vol_n, anchor_period_nb(vol_n))
        ratio = volume_surge_1d_nb(volume[s:stop], vol_n)[-1]
    up, down = _confidence_at_nb(roc, prior_high, prior_low, ratio, close[t], roc_entry, surge)
    atr = atr_newest_nb(high, low, close, start, stop, atr_n, rc)
    sl_stop = _stop_at_nb(atr, close[t], sl_atr)
    t0 = _first_valid_nb(close[start:stop])
    entry, exit_, short_entry, short_exit, _conf, size, _bypassed = _row_nb(
        roc, up, down, sl_stop, t - start - t0, roc_exit, consider, act, min_age_bars,
        bypass_roc, bypass_size, allow_short,
    )  # fmt: skip
    return entry, exit_, short_entry, short_exit, sl_stop, size


def momentum_live(**params: Any) -> Row:
    """The live form of :func:`momentum_signals` (see ``Strategy.live``): ``row(bars, start,
    stop)`` gives the newest row of the signals on ``bars[start:stop]``, equal to them.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.linspace(10.0, 11.0, 60)
    >>> row = momentum_live(**momentum.params)
    >>> sorted(row(Bars(c, c + 0.1, c - 0.1, c, np.ones(60)), 0, 60))
    ['entries', 'exits', 'max_bars', 'size', 'sl_stop']
    """
    args = _kernel_args({**DEFAULTS, **params})
    fixed = {"max_bars": int(args[-2])}
    return kernel_row(momentum_newest_nb, args, shorts=bool(args[-1]), sized=True, fixed=fixed)


momentum = Strategy(
    name="momentum",
    signal=momentum_signals,
    params=DEFAULTS,
    space={
        "roc_n": [12, 24, 48],
        "roc_entry": np.linspace(0.02, 0.10, 5),
        "breakout_n": [24, 48, 96],
        "surge": [2.0, 3.0, 4.0],
        "act": [0.5, 0.6, 0.7],
    },
    description="Long when ROC strength, a breakout above the prior high and a volume surge give "
    "a confidence >= act (0.6); young tokens only on a momentum bypass, at reduced size; exit "
    "when ROC turns below roc_exit, on an ATR stop or after max_hold bars.",
    check=check_momentum,
    fused=Fused(momentum_into_nb, levels=("sl_stop", "size"), scalars={"max_bars": "max_hold"}),
    live=momentum_live,
)
