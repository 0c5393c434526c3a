"""Mean reversion: buy an oversold extreme confirmed by both RSI and z-score, sell the reversion.

The rules, stated once (decisions at each bar's close ``t``; every input is from bars ``<= t``):

Indicators
    * ``RSI(rsi_n)``: Wilder's RSI of the close, 0..100 (undefined for the first ``rsi_n`` bars);
    * ``z = (close - mean) / std`` over the last ``z_n`` closes, population std (undefined for
      the first ``z_n - 1`` bars and on a constant window);
    * ``ATR(atr_n)``: Wilder's average true range, price units (undefined for ``atr_n`` bars);
    * liquidity: ``quote_volume = mean(close x volume)`` over the last ``vol_n`` bars, bar ``t``
      included (quote currency per bar; undefined for the first ``vol_n - 1`` bars).

Liquidity health filter
    A bar is *liquid* when ``quote_volume >= min_quote_volume``. An undefined quote volume
    (warm-up) is not liquid, so no entry is taken during the first ``vol_n - 1`` bars even with
    the default ``min_quote_volume = 0``. The filter gates entries only, never exits.

Entries and exits
    * long entry: liquid and ``RSI < rsi_low`` and ``z < -z_entry``;
    * long exit (signal): ``z >= -z_exit`` (the close is back to within ``z_exit`` standard
      deviations below the mean; ``z_exit = 0``: back to the mean);
    * with ``allow_short``, the mirror image: short entry when liquid and ``RSI > rsi_high`` and
      ``z > z_entry``, short exit when ``z <= z_exit``;
    * an undefined RSI or z-score decides nothing (no entry, no exit);
    * with ``z_exit > z_entry`` an entry and an exit can hold on one bar; the simulator then
      takes neither (see :mod:`soltrader.sim.rules`).

Stop
    ``sl_stop = sl_atr x ATR / close`` of the decision bar, a fraction of the entry price passed
    per bar; NaN (no stop) where ATR is undefined or 0.

Size
    ``risk_fraction = 0`` (default) or ``None``: every entry commits all the cash (no ``size``
    output, the simulator's default). ``risk_fraction > 0``: fixed risk per trade from the ATR
    stop, ``size = min(risk_fraction / sl_stop, 1)`` as a fraction of cash (``size_type
    "percent"``), so the loss at the stop is ``risk_fraction`` of the cash at entry (before fees
    and slippage; less when capped at 1). Entries then need a defined stop; ``size`` is 0 where
    the stop is undefined (no entry is taken there).
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
    rsi_1d_nb,
    sma_1d_nb,
    zscore_1d_nb,
)
from soltrader.sim.lean import copy_into_nb, signals_into_nb
from soltrader.strategies.live import (
    Row,
    anchored_start_nb,
    atr_newest_nb,
    kernel_row,
    run_start_nb,
)
from soltrader.strategies.spec import Bars, Fused, Signals, Strategy

_ZERO = np.float64(0.0)
_ONE = np.float64(1.0)


@njit(cache=True, nogil=True)
def atr_risk_size_nb(sl_stop: np.ndarray, risk_fraction: float) -> np.ndarray:
    """Fraction of cash whose loss at a stop ``sl_stop`` away is ``risk_fraction`` of the cash.

    ``min(risk_fraction / sl_stop, 1)`` per bar (fractions); 0 where ``sl_stop`` is NaN or <= 0.

    Examples
    --------
    >>> import numpy as np
    >>> atr_risk_size_nb(np.array([0.02, 0.005, np.nan]), 0.01)
    array([0.5, 1. , 0. ])
    """
    out = np.zeros(sl_stop.shape[0])
    for t in range(sl_stop.shape[0]):
        out[t] = _risk_size_nb(sl_stop[t], risk_fraction)
    return out


@njit(cache=True, nogil=True)
def _risk_size_nb(sl_stop: float, risk_fraction: float) -> float:
    """One bar of :func:`atr_risk_size_nb`."""
    return min(risk_fraction / sl_stop, _ONE) if sl_stop > _ZERO else _ZERO


@njit(cache=True, nogil=True)
def _row_nb(
    r: float,
    z: float,
    atr: float,
    quote_vol: float,
    c: float,
    rsi_low: float,
    rsi_high: float,
    z_entry: float,
    z_exit: float,
    sl_atr: float,
    min_quote_volume: float,
    allow_short: bool,
    sized: bool,
) -> tuple[bool, bool, bool, bool, float]:
    """The rules at one bar from its indicators (RSI, z-score, ATR, mean quote volume, close):
    ``(entry, exit, short entry, short exit, sl_stop)``."""
    sl_stop = np.nan
    if atr > _ZERO and c > _ZERO:
        sl_stop = sl_atr * atr / c
    liquid = quote_vol >= min_quote_volume  # False while NaN (warm-up)
    can_enter = liquid and (not sized or not np.isnan(sl_stop))
    entry = can_enter and r < rsi_low and z < -z_entry
    exit_ = z >= -z_exit
    short_entry = False
    short_exit = False
    if allow_short:
        short_entry = can_enter and r > rsi_high and z > z_entry
        short_exit = z <= z_exit
    return entry, exit_, short_entry, short_exit, sl_stop


@njit(cache=True, nogil=True)
def mean_reversion_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    rsi_n: int,
    rsi_low: float,
    rsi_high: float,
    z_n: int,
    z_entry: float,
    z_exit: float,
    atr_n: int,
    sl_atr: float,
    vol_n: int,
    min_quote_volume: float,
    allow_short: bool,
    risk_fraction: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Kernel of :func:`mean_reversion_signals` (the rules are in the module docstring).

    Returns ``(entries, exits, short_entries, short_exits, sl_stop, size)``: ``sl_stop`` as a
    fraction of the close (NaN where ATR is undefined or 0) and ``size`` as a fraction of cash
    (all 1 when ``risk_fraction`` is 0, else :func:`atr_risk_size_nb`).

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([10.0, 10.2, 10.1, 10.3, 10.2, 9.0, 9.4, 10.4])
    >>> e, x, _, _, sl, size = mean_reversion_nb(c + 0.1, c - 0.1, c, np.ones(8), 2, 30.0,
    ...                                          70.0, 4, 1.5, 0.0, 2, 2.0, 2, 0.0, False, 0.01)
    >>> np.flatnonzero(e), np.flatnonzero(x), round(float(size[5]), 4)
    (array([5]), array([3, 4, 7]), 0.0585)
    """
    n = close.shape[0]
    r = rsi_1d_nb(close, rsi_n)
    z = zscore_1d_nb(close, z_n)
    atr = atr_1d_nb(high, low, close, atr_n)
    quote_vol = sma_1d_nb(close * volume, vol_n)
    entries = np.zeros(n, dtype=np.bool_)
    exits = np.zeros(n, dtype=np.bool_)
    short_entries = np.zeros(n, dtype=np.bool_)
    short_exits = np.zeros(n, dtype=np.bool_)
    sl_stop = np.full(n, np.nan)
    sized = risk_fraction > _ZERO
    for t in range(n):
        entries[t], exits[t], short_entries[t], short_exits[t], sl_stop[t] = _row_nb(
            r[t], z[t], atr[t], quote_vol[t], close[t], rsi_low, rsi_high, z_entry, z_exit,
            sl_atr, min_quote_volume, allow_short, sized,
        )  # fmt: skip
    if sized:
        size = atr_risk_size_nb(sl_stop, risk_fraction)
    else:
        size = np.ones(n)
    return entries, exits, short_entries, short_exits, sl_stop, size


def _is_flag(value: Any) -> bool:
    """True for ``True`` / ``False`` (also numpy booleans and the integers 0 and 1)."""
    return isinstance(value, bool | np.bool_ | int | np.integer) and value in (0, 1)


def _number(name: str, value: Any) -> float:
    """``value`` as a finite float, or a ParameterError naming it."""
    ok = isinstance(value, int | np.integer | float | np.floating) and not isinstance(value, bool)
    if not ok or not math.isfinite(value):
        raise ParameterError(name, f"must be a finite number, got {value!r}")
    return float(value)


def _check_params(p: dict[str, Any]) -> float:
    """Raise ParameterError for a bad parameter; return ``risk_fraction`` as a float (0: off)."""
    for name in ("rsi_n", "z_n", "atr_n", "vol_n"):
        if not _number(name, p[name]).is_integer() or p[name] < 2:
            raise ParameterError(name, f"must be a whole number of bars >= 2, got {p[name]!r}")
    if not 0.0 <= _number("rsi_low", p["rsi_low"]) <= _number("rsi_high", p["rsi_high"]) <= 100.0:
        raise ParameterError("rsi_low", "need 0 <= rsi_low <= rsi_high <= 100")
    for name, unit in (("z_entry", "standard deviations"), ("sl_atr", "ATRs")):
        if not _number(name, p[name]) > 0:
            raise ParameterError(name, f"must be > 0 {unit}, got {p[name]!r}")
    _number("z_exit", p["z_exit"])
    if not _number("min_quote_volume", p["min_quote_volume"]) >= 0:
        raise ParameterError("min_quote_volume", f"must be >= 0, got {p['min_quote_volume']!r}")
    if not _is_flag(p["allow_short"]):
        raise ParameterError("allow_short", f"must be True or False, got {p['allow_short']!r}")
    rf = p["risk_fraction"]
    if rf is None:
        return 0.0
    if not 0.0 <= _number("risk_fraction", rf) <= 1.0:
        raise ParameterError("risk_fraction", f"must be a fraction of cash in [0, 1], got {rf!r}")
    return float(rf)


def _kernel_args(p: dict[str, Any]) -> tuple:
    """Validate resolved parameters and return them in the order of :func:`mean_reversion_nb`
    after the prices (``risk_fraction`` last, as a float: 0 for all cash)."""
    rf = _check_params(p)
    return (int(p["rsi_n"]), float(p["rsi_low"]), float(p["rsi_high"]), int(p["z_n"]),
            float(p["z_entry"]), float(p["z_exit"]), int(p["atr_n"]), float(p["sl_atr"]),
            int(p["vol_n"]), float(p["min_quote_volume"]), bool(p["allow_short"]), rf)  # fmt: skip


def mean_reversion_signals(
    bars: Bars,
    rsi_n: int = 14,
    rsi_low: float = 30.0,
    rsi_high: float = 70.0,
    z_n: int = 20,
    z_entry: float = 2.0,
    z_exit: float = 0.0,
    atr_n: int = 14,
    sl_atr: float = 2.0,
    vol_n: int = 24,
    min_quote_volume: float = 0.0,
    allow_short: bool = False,
    risk_fraction: float | None = 0.0,
) -> Signals:
    """RSI extreme **and** z-score extreme together, in a liquid market; exit on reversion.

    The exact rules (indicators, liquidity health filter, entries, exits, stop, size) are in the
    docstring of :mod:`soltrader.strategies.mean_reversion`.

    Parameters
    ----------
    bars : Bars
        One asset's bars.
    rsi_n, z_n, atr_n, vol_n : int
        Windows of RSI, z-score, ATR and mean quote volume, bars (>= 2).
    rsi_low, rsi_high : float
        RSI levels, 0 <= rsi_low <= rsi_high <= 100 (RSI points).
    z_entry : float
        Entry extreme, standard deviations (> 0).
    z_exit : float
        Exit level, standard deviations (0: the mean).
    sl_atr : float
        Stop distance, ATRs (> 0).
    min_quote_volume : float
        Liquidity floor: mean quote volume per bar over ``vol_n`` bars (quote currency, >= 0).
    allow_short : bool
        Also trade the mirror image short.
    risk_fraction : float or None
        Cash fraction risked per trade at the ATR stop (e.g. 0.01); 0 or None: all cash.

    Returns
    -------
    Signals
        ``entries``, ``exits`` (and ``short_*`` with ``allow_short``), ``sl_stop``, and ``size``
        (fractions of cash, ``size_type="percent"``) when ``risk_fraction > 0``.

    Examples
    --------
    >>> import soltrader as st
    >>> res = st.backtest(bars, st.strategies.mean_reversion, rsi_n=14, z_entry=2.0,
    ...                   risk_fraction=0.01, fees=0.001)  # doctest: +SKIP
    """
    args = _kernel_args({k: v for k, v in locals().items() if k != "bars"})
    e, x, se, sx, sl, size = mean_reversion_nb(bars.high, bars.low, bars.close, bars.volume, *args)
    rf = args[-1]
    shorts = (se, sx) if allow_short else (None, None)
    return Signals(e, x, *shorts, sl_stop=sl, size=size if rf > 0.0 else None)


_DEFAULTS = {
    "rsi_n": 14,
    "rsi_low": 30.0,
    "rsi_high": 70.0,
    "z_n": 20,
    "z_entry": 2.0,
    "z_exit": 0.0,
    "atr_n": 14,
    "sl_atr": 2.0,
    "vol_n": 24,
    "min_quote_volume": 0.0,
    "allow_short": False,
    "risk_fraction": 0.0,
}


def check_mean_reversion(**params: Any) -> float:
    """Refuse invalid parameters (a ``ParameterError`` naming the first); returns
    ``risk_fraction`` as a float (0: all cash).

    Examples
    --------
    >>> check_mean_reversion(**{**mean_reversion.params, "rsi_n": 1})
    Traceback (most recent call last):
    ...
    soltrader.domain.errors.ParameterError: rsi_n: must be a whole number of bars >= 2, got 1
    """
    return _check_params({**_DEFAULTS, **params})


@njit(cache=True, nogil=True)
def mean_reversion_into_nb(open_, high, low, close, volume, params, signals, levels, scratch):
    """The fused sweep's signal kernel of :data:`mean_reversion` (see
    :data:`soltrader.sim.lean.SIGNAL_KERNEL_SIG`; ``params`` in the order of ``params``, for
    combinations with ``risk_fraction == 0``): its signals, short rows when ``allow_short``,
    and its per-bar ATR stop as level row 0.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.linspace(100.0, 90.0, 50); c.flags.writeable = False
    >>> p = np.array([float(v) for v in mean_reversion.params.values()])
    >>> sig, levels = np.zeros((4, 50), np.bool_), np.empty((1, 50))
    >>> mean_reversion_into_nb(c, c, c, c, c, p, sig, levels, np.empty((0, 50)))
    2
    """
    shorts = params[10] != 0.0
    e, x, se, sx, sl, _size = mean_reversion_nb(
        high,
        low,
        close,
        volume,
        np.int64(params[0]),
        params[1],
        params[2],
        np.int64(params[3]),
        params[4],
        params[5],
        np.int64(params[6]),
        params[7],
        np.int64(params[8]),
        params[9],
        shorts,
        0.0,
    )
    copy_into_nb(levels[0], sl)
    return signals_into_nb(signals, e, x, se, sx, shorts)


@njit(cache=True, nogil=True)
def mean_reversion_newest_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    start: int,
    stop: int,
    params: tuple,
) -> tuple[bool, bool, bool, bool, float, float]:
    """The newest row of :func:`mean_reversion_nb` on the window ``[start, stop)``:
    ``(entry, exit, short entry, short exit, sl_stop, size)``; ``params`` are
    :func:`mean_reversion_nb`'s after the prices, in its order, ``risk_fraction`` included.

    RSI and ATR (Wilder's averages, seeded at the start of their run) run over the window; the
    z-score and the mean quote volume over the tail that gives the same numbers (see
    :mod:`soltrader.strategies.live`).

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([10.0, 10.2, 10.1, 10.3, 10.2, 9.0, 9.4, 10.4])
    >>> p = (2, 30.0, 70.0, 4, 1.5, 0.0, 2, 2.0, 2, 0.0, False, 0.01)
    >>> out = mean_reversion_newest_nb(c + 0.1, c - 0.1, c, np.ones(8), 0, 6, p)
    >>> out[0], round(out[5], 4)
    (True, 0.0585)
    """
    (rsi_n, rsi_low, rsi_high, z_n, z_entry, z_exit, atr_n, sl_atr, vol_n, min_quote_volume,
     allow_short, risk_fraction) = params  # fmt: skip
    t = stop - 1
    rc = run_start_nb(close, start, stop)
    r = np.nan
    z = np.nan
    if rc <= t:
        r = rsi_1d_nb(close[rc:stop], rsi_n)[-1]
        s = anchored_start_nb(rc, t, z_n - 1, anchor_period_nb(z_n))
        z = zscore_1d_nb(close[s:stop], z_n)[-1]
    atr = atr_newest_nb(high, low, close, start, stop, atr_n, rc)
    quote = close[start:stop] * volume[start:stop]
    rq = run_start_nb(quote, 0, stop - start)
    quote_vol = np.nan
    if rq < stop - start:
        s = anchored_start_nb(rq, stop - start - 1, vol_n - 1, anchor_period_nb(vol_n))
        quote_vol = sma_1d_nb(quote[s:], vol_n)[-1]
    sized = risk_fraction > _ZERO
    entry, exit_, short_entry, short_exit, sl_stop = _row_nb(
        r, z, atr, quote_vol, close[t], rsi_low, rsi_high, z_entry, z_exit, sl_atr,
        min_quote_volume, allow_short, sized,
    )  # fmt: skip
    size = _risk_size_nb(sl_stop, risk_fraction) if sized else _ONE
    return entry, exit_, short_entry, short_exit, sl_stop, size


def mean_reversion_live(**params: Any) -> Row:
    """The live form of :func:`mean_reversion_signals` (see ``Strategy.live``): ``row(bars,
    start, stop)`` gives the newest row of the signals on ``bars[start:stop]``, equal to them.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.linspace(10.0, 9.0, 60)
    >>> row = mean_reversion_live(**mean_reversion.params)
    >>> sorted(row(Bars(c, c + 0.1, c - 0.1, c, np.ones(60)), 0, 60))
    ['entries', 'exits', 'sl_stop']
    """
    args = _kernel_args({**_DEFAULTS, **params})
    return kernel_row(mean_reversion_newest_nb, args, shorts=args[-2], sized=args[-1] > 0.0)


mean_reversion = Strategy(
    name="mean_reversion",
    signal=mean_reversion_signals,
    params=_DEFAULTS,
    space={"rsi_n": range(5, 40), "z_entry": np.linspace(1.0, 3.0, 21)},
    description="Buy RSI + z-score oversold extremes in liquid markets (mean quote volume over "
    "vol_n bars >= min_quote_volume), exit on reversion to the mean, ATR stop; with "
    "risk_fraction > 0 each trade risks that fraction of cash at the stop.",
    check=check_mean_reversion,
    fused=Fused(
        mean_reversion_into_nb,
        levels=("sl_stop",),
        accepts=lambda p: not p["risk_fraction"],
    ),
    live=mean_reversion_live,
)
