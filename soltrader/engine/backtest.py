"""The replay backtest: signals (or a strategy spec) in, a :class:`Result` out."""

from __future__ import annotations

from typing import Any

import numpy as np

from soltrader.domain.errors import ParameterError
from soltrader.engine.inputs import as_matrix, market_from
from soltrader.engine.result import Result
from soltrader.sim import _nb
from soltrader.sim.rules import resolve_conventions

_SIZE_TYPES = {"percent": _nb.SIZE_PERCENT, "amount": _nb.SIZE_AMOUNT, "value": _nb.SIZE_VALUE}


def _check_fraction(name: str, value: Any, *, allow_none: bool = True, positive: bool = False):
    if value is None and allow_none:
        return np.nan
    arr = np.asarray(value, dtype=np.float64) if not hasattr(value, "keys") else None
    if arr is not None:
        finite = arr[~np.isnan(arr)]
        if positive and (finite <= 0).any():
            raise ParameterError(name, f"must be > 0 (a fraction of the price), got {value!r}")
        if not positive and (finite < 0).any():
            raise ParameterError(name, f"must be >= 0, got {value!r}")
    return value


def backtest_signals(
    data: Any,
    entries: Any,
    exits: Any = None,
    *,
    short_entries: Any = None,
    short_exits: Any = None,
    fill: str | None = None,
    sl_stop: Any = None,
    tp_stop: Any = None,
    sl_trail: Any = None,
    size: Any = None,
    size_type: str = "percent",
    fees: Any = 0.0,
    fixed_fees: Any = 0.0,
    slippage: Any = 0.0,
    init_cash: float = 10_000.0,
    conventions: str | None = None,
    stop_anchor: str | None = None,
    stop_slippage: bool | None = None,
    stop_on_entry_bar: bool | None = None,
    min_size: float | None = None,
) -> Result:
    """Backtest entry/exit signals on one asset or several assets sharing one cash balance.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or dict of them
        OHLCV bars (see :mod:`soltrader.data.schema`); a dict name -> frame simulates several
        assets on one shared cash balance (all frames must share one time index).
    entries, exits : array-like of bool, shape (n,) or (n, m), Series, DataFrame or dict
        Long entry / exit decisions taken at each bar's close.
    short_entries, short_exits : same, optional
        Short entry / exit decisions.
    fill : {"next_open", "close"}, optional
        Where a decision on bar t fills: t+1's open (default) or t's close (explicit opt-in).
    sl_stop, tp_stop : float or array, optional
        Stop-loss / take-profit distance as a fraction of the anchor price (``stop_anchor``),
        e.g. 0.02 for 2 %. Must be > 0.
    sl_trail : bool or float, optional
        ``True`` makes ``sl_stop`` trail the best price since entry; a float is a trailing
        distance (fraction) on its own.
    size : float or array, optional
        Order size in ``size_type`` units; ``None`` commits all available cash (fees included).
    size_type : {"percent", "amount", "value"}
        Fraction of available cash, base units, or quote-currency value.
    fees, fixed_fees, slippage : float or array
        Fee as a fraction of notional, fixed fee per order (quote currency), slippage fraction.
    init_cash : float
        Starting cash, quote currency.
    conventions : {"soltrader", "vectorbt"}, optional
        A preset of the rules in :mod:`soltrader.sim.rules`; explicit keywords override it.
    stop_anchor, stop_slippage, stop_on_entry_bar, min_size
        Individual conventions (see :mod:`soltrader.sim.rules`).

    Returns
    -------
    Result
        Orders, fills, trades, cash / positions / equity per bar and statistics.

    Examples
    --------
    >>> import soltrader as st
    >>> bars = st.data.load("SOL/USDT", "1h")                                # doctest: +SKIP
    >>> fast, slow = (st.indicators.sma(bars["close"], n) for n in (20, 100))  # doctest: +SKIP
    >>> res = st.backtest_signals(bars, fast > slow, fast < slow, sl_stop=0.02,
    ...                           fees=0.001, slippage=0.0005)                 # doctest: +SKIP
    >>> res.stats()["total_return"]                                          # doctest: +SKIP
    """
    conv = resolve_conventions(
        conventions, fill=fill, stop_anchor=stop_anchor, stop_slippage=stop_slippage,
        stop_on_entry_bar=stop_on_entry_bar, min_size=min_size,
    )
    if size_type not in _SIZE_TYPES:
        raise ParameterError("size_type", f"{size_type!r}: use one of {sorted(_SIZE_TYPES)}")
    if not (np.isfinite(init_cash) and init_cash > 0):
        raise ParameterError("init_cash", f"must be a positive amount, got {init_cash!r}")
    market = market_from(data)
    shape, assets = market.shape, market.assets

    def signal(value: Any, name: str) -> np.ndarray:
        if value is None:
            return np.broadcast_to(np.zeros(1, dtype=np.bool_), shape)
        return as_matrix(value, name, shape, np.bool_, assets)

    def number(value: Any, name: str, default: float) -> np.ndarray:
        value = default if value is None else value
        return as_matrix(value, name, shape, np.float64, assets)

    if sl_trail is not None and not isinstance(sl_trail, bool):
        if sl_stop is not None:
            raise ParameterError("sl_trail", "give a trailing distance or sl_stop with "
                                             "sl_trail=True, not both")
        sl_stop, sl_trail = sl_trail, True
    _check_fraction("sl_stop", sl_stop, positive=True)
    _check_fraction("tp_stop", tp_stop, positive=True)
    for name, value in (("fees", fees), ("fixed_fees", fixed_fees), ("slippage", slippage)):
        _check_fraction(name, value)
    if size is not None:
        sizes = np.asarray(size, dtype=np.float64) if not hasattr(size, "keys") else None
        if sizes is not None and (sizes[~np.isnan(sizes)] < 0).any():
            raise ParameterError("size", f"must be >= 0, got {size!r}")
    sizes = number(size, "size", 1.0 if size_type == "percent" else np.nan)
    if size_type != "percent" and np.isnan(sizes).any():
        raise ParameterError("size", f"size_type={size_type!r} needs an explicit size")

    out = _nb.simulate_nb(
        market.open, market.high, market.low, market.close,
        signal(entries, "entries"), signal(exits, "exits"),
        signal(short_entries, "short_entries"), signal(short_exits, "short_exits"),
        sizes, _SIZE_TYPES[size_type],
        number(fees, "fees", 0.0), number(fixed_fees, "fixed_fees", 0.0),
        number(slippage, "slippage", 0.0),
        number(sl_stop, "sl_stop", np.nan), number(tp_stop, "tp_stop", np.nan),
        as_matrix(bool(sl_trail) if sl_trail is None or isinstance(sl_trail, bool) else sl_trail,
                  "sl_trail", shape, np.bool_, assets),
        float(init_cash),
        _nb.FILL_CLOSE if conv.fill == "close" else _nb.FILL_NEXT_OPEN,
        _nb.ANCHOR_FILL if conv.stop_anchor == "fill" else _nb.ANCHOR_SIGNAL_CLOSE,
        conv.stop_slippage, conv.stop_on_entry_bar, conv.min_size,
    )
    return Result.from_kernel(market, out, init_cash=float(init_cash), conventions=conv)
