"""Typed wrappers of the market-structure kernels: validate, accept numpy / pandas / polars OHLC,
return tables of the input's kind.

``bars`` is a pandas or polars DataFrame with ``open``, ``high``, ``low`` and ``close`` columns
(in any letter case, as the OHLCV schema reads them: ``"Open"`` too; others are ignored), a
mapping of those names to arrays / Series, or any object with those attributes (e.g.
:class:`soltrader.strategies.Bars`). Results are

* per-bar tables: a pandas DataFrame with the input's index (pandas input), a polars DataFrame
  (polars input), or a numpy structured array (numpy input), one row per bar;
* event / order-block tables of the same kind, one row per event or zone (numpy: the record
  dtypes :data:`event_dt` and :data:`order_block_dt`); pandas tables add the index labels of
  their bars (``time``, ``created_time``, ``invalidated_time``; missing where the bar is -1).

Every value of row ``t`` of a per-bar table, every event at a bar ``<= t``, and every zone as
returned by :func:`blocks_at` for ``t`` depend on bars ``0..t`` only. The rules are stated in
:mod:`soltrader.structure._nb` and ``docs/structure.md``. Prices must be finite with
``low <= open, close <= high`` (else :class:`~soltrader.domain.errors.DataError` naming the row
and field); ``left`` and ``right`` are integers >= 1 (else
:class:`~soltrader.domain.errors.ParameterError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import polars as pl

from soltrader.domain.errors import DataError, ParameterError
from soltrader.indicators._convert import Like, as_floats, check_window
from soltrader.structure import _nb

__all__ = [
    "BreakKind",
    "OrderBlockResult",
    "SMCResult",
    "StructureResult",
    "Trend",
    "ZoneKind",
    "blocks_at",
    "event_dt",
    "order_block_dt",
    "order_blocks",
    "smc",
    "structure",
    "swings",
]

_FIELDS = ("open", "high", "low", "close")
#: A result table: pandas DataFrame, polars DataFrame or numpy structured array.
Table = pd.DataFrame | pl.DataFrame | np.ndarray


class Trend(IntEnum):
    """Trend state and direction codes (of breaks and zones)."""

    BEARISH = -1
    NEUTRAL = 0
    BULLISH = 1


class BreakKind(IntEnum):
    """Kind of a break of structure (``NONE`` on bars without one)."""

    NONE = 0
    BOS = 1
    CHOCH = 2


class ZoneKind(IntEnum):
    """Kind of an order-block zone (``NONE`` in per-bar columns when there is no zone)."""

    NONE = -1
    FRESH = 0
    BREAKER = 1


#: One break of structure.
event_dt = np.dtype(
    [
        ("bar", np.int64),  # bar whose close broke the level
        ("kind", np.int8),  # BreakKind
        ("direction", np.int8),  # Trend.BULLISH / Trend.BEARISH
        ("level", np.float64),  # price of the broken swing
        ("swing_bar", np.int64),  # bar of the broken swing
        ("ob_id", np.int64),  # fresh order block created by this break, -1 if none
    ]
)

#: One order-block zone (fresh, or a breaker flipped from an invalidated fresh zone).
order_block_dt = np.dtype(
    [
        ("id", np.int64),  # position in the table, in order of creation
        ("direction", np.int8),  # Trend.BULLISH (support) / Trend.BEARISH (resistance)
        ("kind", np.int8),  # ZoneKind.FRESH / ZoneKind.BREAKER
        ("low", np.float64),  # zone bottom, price
        ("high", np.float64),  # zone top, price
        ("source_candle_bar", np.int64),  # bar of the order-block candle
        ("created_bar", np.int64),  # bar at whose close the zone became known
        ("invalidated_bar", np.int64),  # bar whose close went beyond the zone, -1 while valid
        ("parent", np.int64),  # breaker: id of the fresh zone it flipped from; else -1
        ("event", np.int64),  # index of the break event behind the zone
    ]
)


class StructureResult(NamedTuple):
    """Result of :func:`structure`.

    Attributes
    ----------
    per_bar : Table
        One row per bar: ``trend``, ``break_kind``, ``break_dir``, ``break_level``, ``ref_high``,
        ``ref_low``.
    events : Table
        One row per break (fields of :data:`event_dt`).
    """

    per_bar: Any
    events: Any


class OrderBlockResult(NamedTuple):
    """Result of :func:`order_blocks`.

    Attributes
    ----------
    blocks : Table
        One row per zone (fields of :data:`order_block_dt`).
    zones : Table
        One row per bar: ``bull_id``, ``bull_low``, ``bull_high``, ``bull_kind``,
        ``bull_touch``, ``bull_touch_id`` and the same six for ``bear_``.
    """

    blocks: Any
    zones: Any


class SMCResult(NamedTuple):
    """Result of :func:`smc`: everything at once.

    Attributes
    ----------
    per_bar : Table
        The columns of :func:`swings`, :func:`structure` and :func:`order_blocks`' ``zones``.
    events : Table
        One row per break (fields of :data:`event_dt`).
    blocks : Table
        One row per zone (fields of :data:`order_block_dt`).
    """

    per_bar: Any
    events: Any
    blocks: Any


# ---------------------------------------------------------------------------------------------
# input


def _columns(bars: Any) -> dict[str, Any]:
    """The four price inputs of ``bars`` by name (not yet converted)."""
    if isinstance(bars, pd.DataFrame | pl.DataFrame):
        names = list(bars.columns)
        getter = bars.__getitem__ if isinstance(bars, pd.DataFrame) else bars.get_column
    elif isinstance(bars, Mapping):
        names, getter = list(bars.keys()), bars.__getitem__
    elif all(hasattr(bars, f) for f in _FIELDS):
        return {f: getattr(bars, f) for f in _FIELDS}
    else:
        raise ParameterError(
            "bars",
            "expected a pandas or polars DataFrame, a mapping or an object with open, high, low "
            f"and close (e.g. Bars), got {type(bars).__name__}",
        )
    by_lower: dict[str, list[Any]] = {}
    for name in names:  # case-insensitive, as the OHLCV schema reads columns ("Open", "CLOSE")
        by_lower.setdefault(str(name).lower(), []).append(name)
    missing = [f for f in _FIELDS if f not in by_lower]
    if missing:
        raise ParameterError(
            "bars", f"missing {missing}; expected open, high, low and close, got {names}"
        )
    twice = [by_lower[f] for f in _FIELDS if len(by_lower[f]) > 1]
    if twice:
        raise ParameterError(
            "bars", f"columns {twice[0]} are the same price in another spelling; keep one"
        )
    return {f: getter(by_lower[f][0]) for f in _FIELDS}


def _fail(code: str, row: int, field: str, message: str, like: Like) -> DataError:
    """A :class:`DataError` naming the row (and its index label) and the field."""
    stamp = like.index[row] if like.index is not None else None
    where = f"row {row}" + (f" ({stamp})" if stamp is not None else "")
    return DataError(
        f"bars: {where}: {field} {message}", code=code, row=row, timestamp=stamp, field=field
    )


def _check_finite(prices: dict[str, np.ndarray], like: Like) -> None:
    """Raise at the first row holding a NaN or ±inf price (any field)."""
    first: tuple[int, str] | None = None
    for name, values in prices.items():
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size and (first is None or bad[0] < first[0]):
            first = (int(bad[0]), name)
    if first is not None:
        row, name = first
        value = float(prices[name][row])
        code = "nan" if np.isnan(value) else "inf"
        raise _fail(code, row, name, f"is {value!r}; expected a finite price", like)


def _check_ohlc(prices: dict[str, np.ndarray], like: Like) -> None:
    """Finite prices with ``low <= high`` and open / close inside ``[low, high]``."""
    _check_finite(prices, like)
    high, low = prices["high"], prices["low"]
    bad = np.flatnonzero(high < low)
    if bad.size:
        row = int(bad[0])
        raise _fail("high_below_low", row, "high", f"{high[row]!r} is below low {low[row]!r}", like)
    for name in ("open", "close"):
        values = prices[name]
        bad = np.flatnonzero((values < low) | (values > high))
        if bad.size:
            row = int(bad[0])
            msg = f"{values[row]!r} is outside [low {low[row]!r}, high {high[row]!r}]"
            raise _fail("ohlc_inconsistent", row, name, msg, like)


def _ohlc(bars: Any) -> tuple[dict[str, np.ndarray], Like]:
    """Validated float64 ``open, high, low, close`` arrays of ``bars`` and its kind."""
    columns = _columns(bars)
    arrays, like = as_floats({f"bars[{f!r}]": columns[f] for f in _FIELDS})
    if len(like.shape) != 1:
        raise ParameterError(
            "bars", f"expected one series per price, shape (bars,), got {like.shape}"
        )
    prices = {f: np.ascontiguousarray(a) for f, a in zip(_FIELDS, arrays, strict=True)}
    _check_ohlc(prices, like)
    return prices, like


def _windows(left: Any, right: Any) -> tuple[int, int]:
    """``left`` and ``right`` as ints, if they are integers >= 1."""
    return check_window(left, "left"), check_window(right, "right")


# ---------------------------------------------------------------------------------------------
# output


def _records(cols: dict[str, np.ndarray], dtype: np.dtype | None = None) -> np.ndarray:
    """A structured array of ``cols`` (of ``dtype``, else one field per column)."""
    dt = dtype if dtype is not None else np.dtype([(k, v.dtype) for k, v in cols.items()])
    n = len(next(iter(cols.values())))
    out = np.empty(n, dtype=dt)
    for name, values in cols.items():
        out[name] = values
    return out


def _per_bar(like: Like, cols: dict[str, np.ndarray]) -> Table:
    """A per-bar table of the input's kind (pandas keeps the input's index)."""
    if like.kind == "pandas":
        return pd.DataFrame(cols, index=like.index)
    if like.kind == "polars":
        return pl.DataFrame(cols)
    return _records(cols)


def _labels(index: pd.Index, bars: np.ndarray) -> pd.Series:
    """Index labels at ``bars`` (missing where the bar is -1)."""
    if len(index) == 0:
        return pd.Series(index[:0])
    taken = pd.Series(index.take(np.maximum(bars, 0)))
    return taken.where(bars >= 0)


def _table(
    like: Like, cols: dict[str, np.ndarray], dtype: np.dtype, times: dict[str, str]
) -> Table:
    """An event / zone table; ``times`` maps pandas label columns to their bar columns."""
    if like.kind == "numpy":
        return _records(cols, dtype)
    if like.kind == "polars":
        return pl.DataFrame({k: pl.Series(k, v, dtype=_pl_dtype(v)) for k, v in cols.items()})
    frame = pd.DataFrame(cols)
    for label, bar in times.items():
        frame.insert(frame.columns.get_loc(bar) + 1, label, _labels(like.index, cols[bar]))
    return frame


def _pl_dtype(values: np.ndarray) -> Any:
    """The polars dtype keeping a column's numpy integer width."""
    return {np.dtype(np.int8): pl.Int8, np.dtype(np.int64): pl.Int64}.get(values.dtype, pl.Float64)


# ---------------------------------------------------------------------------------------------
# computation


def _swing_cols(p: dict[str, np.ndarray], left: int, right: int) -> dict[str, np.ndarray]:
    """Per-bar swing columns."""
    sh, sl = _nb.swings_nb(p["high"], p["low"], left, right)
    lh, ll, lhb, llb = _nb.swing_levels_nb(p["high"], p["low"], sh, sl, right)
    bars = np.arange(sh.shape[0], dtype=np.int64)
    return {
        "swing_high": sh,
        "swing_low": sl,
        "swing_high_confirm_bar": np.where(sh, bars + right, -1),
        "swing_low_confirm_bar": np.where(sl, bars + right, -1),
        "last_swing_high": lh,
        "last_swing_high_bar": lhb,
        "last_swing_low": ll,
        "last_swing_low_bar": llb,
    }


def _structure_cols(
    p: dict[str, np.ndarray], sw: dict[str, np.ndarray], right: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per-bar structure columns and the event columns (without ``ob_id``)."""
    out = _nb.structure_nb(
        p["high"], p["low"], p["close"], sw["swing_high"], sw["swing_low"], right
    )
    names = ("trend", "break_kind", "break_dir", "break_level", "ref_high", "ref_low")
    per_bar = dict(zip(names, out[:6], strict=True))
    events = {
        "bar": out[6],
        "kind": out[7],
        "direction": out[8],
        "level": out[9],
        "swing_bar": out[10],
    }
    return per_bar, events


def _block_cols(
    p: dict[str, np.ndarray], events: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Zone records and per-bar zone columns; adds ``ob_id`` to ``events``."""
    out = _nb.order_blocks_nb(
        p["open"],
        p["high"],
        p["low"],
        p["close"],
        events["bar"],
        events["direction"],
        events["swing_bar"],
    )
    names = (
        "direction",
        "kind",
        "low",
        "high",
        "source_candle_bar",
        "created_bar",
        "invalidated_bar",
        "parent",
        "event",
    )
    blocks = {
        "id": np.arange(out[0].shape[0], dtype=np.int64),
        **dict(zip(names, out, strict=True)),
    }
    z = _nb.zones_nb(
        p["high"],
        p["low"],
        blocks["direction"],
        blocks["kind"],
        blocks["low"],
        blocks["high"],
        blocks["created_bar"],
        blocks["invalidated_bar"],
    )
    zones: dict[str, np.ndarray] = {}
    for side, part in (("bull", z[:5]), ("bear", z[5:])):
        zid, zlow, zhigh, zkind, touch = part
        zones.update(
            {
                f"{side}_id": zid,
                f"{side}_low": zlow,
                f"{side}_high": zhigh,
                f"{side}_kind": zkind,
                f"{side}_touch": touch >= 0,
                f"{side}_touch_id": touch,
            }
        )
    fresh = blocks["kind"] == _nb.FRESH
    ob_id = np.full(events["bar"].shape[0], -1, dtype=np.int64)
    ob_id[blocks["event"][fresh]] = blocks["id"][fresh]
    events["ob_id"] = ob_id
    return blocks, zones


_EVENT_TIMES = {"time": "bar"}
_BLOCK_TIMES = {"created_time": "created_bar", "invalidated_time": "invalidated_bar"}


# ---------------------------------------------------------------------------------------------
# public


def swings(bars: Any, *, left: int = 3, right: int = 3) -> Table:
    """Swing highs and lows, flagged at their own bar and known at their confirmation bar.

    Bar ``i`` is a swing high when ``high[i]`` is strictly greater than each of the ``left``
    highs before it and greater than or equal to each of the ``right`` highs after it (on a flat
    top the first bar is the swing); mirror for swing lows (strictly lower than the ``left`` lows
    before, lower or equal to the ``right`` after). The swing at ``i`` is confirmed, and known,
    at the close of bar ``i + right``; the last ``right`` bars are never swings (yet).

    Parameters
    ----------
    bars : DataFrame, mapping or Bars
        OHLC prices (``open`` is validated but unused here), quote currency.
    left, right : int, default 3
        Bars on each side of a swing, >= 1; ``right`` is also the confirmation delay in bars.

    Returns
    -------
    Table
        Per bar: ``swing_high``, ``swing_low`` (bool, at the swing's bar),
        ``swing_high_confirm_bar``, ``swing_low_confirm_bar`` (``i + right`` on swing bars, -1
        elsewhere), ``last_swing_high``, ``last_swing_low`` (price of the latest swing confirmed
        at or before the bar, NaN before the first), ``last_swing_high_bar``,
        ``last_swing_low_bar`` (its bar, -1 before the first).

    Raises
    ------
    ParameterError
        For a bad ``bars`` container, ``left`` or ``right``.
    DataError
        For a non-finite price or ``low <= open, close <= high`` broken, naming row and field.

    Examples
    --------
    >>> import pandas as pd
    >>> h = [1.0, 3.0, 2.0, 2.0, 4.0, 1.0]
    >>> bars = pd.DataFrame({"open": h, "high": h, "low": h, "close": h})
    >>> out = swings(bars, left=1, right=1)
    >>> out.index[out["swing_high"]].tolist(), out["swing_high_confirm_bar"].tolist()
    ([1, 4], [-1, 2, -1, -1, 5, -1])
    """
    left, right = _windows(left, right)
    prices, like = _ohlc(bars)
    return _per_bar(like, _swing_cols(prices, left, right))


def structure(bars: Any, *, left: int = 3, right: int = 3) -> StructureResult:
    """Trend state and breaks of structure (BOS / CHoCH) from confirmed swings, on close.

    The *reference high* at bar ``t`` is the most recent swing high confirmed at or before
    ``t - 1`` (see :func:`swings`) that no close has broken yet. A close above it is a bullish
    break: a **BOS** (break of structure) when the trend was bullish or still neutral, a
    **CHoCH** (change of character) when it was bearish. The trend becomes bullish and the
    reference is consumed until the next swing high is confirmed. Mirror for a close below the
    reference low. Wicks never break: only closes count. The trend starts neutral; the first
    break is a BOS. At most one break happens per bar.

    Parameters
    ----------
    bars : DataFrame, mapping or Bars
        OHLC prices, quote currency.
    left, right : int, default 3
        Swing windows in bars, >= 1 (see :func:`swings`).

    Returns
    -------
    StructureResult
        ``per_bar``: ``trend`` (state after the bar: -1, 0, 1), ``break_kind`` (0, 1 = BOS,
        2 = CHoCH), ``break_dir`` (0, +1, -1), ``break_level`` (broken price, NaN without a
        break), ``ref_high``, ``ref_low`` (unbroken references after the bar, NaN if none);
        ``events``: one row per break (:data:`event_dt`; ``ob_id`` is the fresh order block the
        break created, see :func:`order_blocks`).

    Raises
    ------
    ParameterError, DataError
        As :func:`swings`.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([1.0, 2.0, 1.5, 1.6, 2.5])
    >>> res = structure({"open": h - 0.2, "high": h, "low": h - 0.4, "close": h - 0.1},
    ...                 left=1, right=1)
    >>> res.events[["bar", "kind", "direction", "level"]].tolist()
    [(4, 1, 1, 2.0)]
    """
    left, right = _windows(left, right)
    prices, like = _ohlc(bars)
    sw = _swing_cols(prices, left, right)
    per_bar, events = _structure_cols(prices, sw, right)
    _block_cols(prices, events)
    return StructureResult(_per_bar(like, per_bar), _table(like, events, event_dt, _EVENT_TIMES))


def order_blocks(bars: Any, *, left: int = 3, right: int = 3) -> OrderBlockResult:
    """Order blocks of every break, invalidated on close, flipped into breakers; per-bar zones.

    For a bullish break (of the swing high at bar ``s``, on the close of bar ``t``, see
    :func:`structure`) the impulsive move starts at the *origin*, the bar of the lowest low in
    ``[s, t]`` (the latest on ties). The order block is the last bearish candle
    (``close < open``) in ``[s, min(origin, t - 1)]``; its zone is that candle's
    ``[low, high]``, created (known) at ``t``. Mirror for a bearish break (highest high, last
    bullish candle). Dojis (``close == open``) are never order blocks; a break without a
    candidate creates no zone, nor does a candle that already made one.

    A bullish zone is invalidated by the first later close *below* its low (a bearish zone: a
    close *above* its high); wicks beyond the zone do not invalidate. An invalidated fresh zone
    flips into a **breaker** of the opposite direction, same ``[low, high]``, created at that
    bar; a breaker is invalidated by a close back beyond it (a bearish breaker: a close above
    its high) and is then gone.

    Parameters
    ----------
    bars : DataFrame, mapping or Bars
        OHLC prices, quote currency.
    left, right : int, default 3
        Swing windows in bars, >= 1 (see :func:`swings`).

    Returns
    -------
    OrderBlockResult
        ``blocks``: one row per zone (:data:`order_block_dt`). ``zones``: per bar, the nearest
        valid bullish zone after the bar's close (the highest ``high``; ties to the newest):
        ``bull_id`` (-1: none), ``bull_low``, ``bull_high`` (price), ``bull_kind`` (0 fresh,
        1 breaker, -1 none); ``bull_touch`` / ``bull_touch_id``: the bar's low reached the high
        of a bullish zone created before the bar and still valid after it (the nearest such
        zone); the same for ``bear_`` (nearest = lowest ``low``; touch: ``high >= zone low``).

    Raises
    ------
    ParameterError, DataError
        As :func:`swings`.

    Examples
    --------
    >>> import numpy as np

    Bar 5 closes above the swing high of bar 1 (12.0): the last bearish candle before the
    low of the move (bar 3) is the bullish zone [10.2, 11.2]. Bar 6 wicks into it, bar 7 closes
    below it (10.0): invalidated, it flips into a bearish breaker; bar 7 also breaks the swing
    low of bar 3 (a CHoCH), whose order block is the bullish candle of bar 5.

    >>> bars = {"open": [10, 10.5, 11.8, 11, 10.4, 11.4, 12.5, 11.5],
    ...         "high": [11, 12, 11.9, 11.2, 11.5, 12.6, 12.7, 11.6],
    ...         "low": [9.5, 10.4, 10.8, 10.2, 10.3, 11.3, 11.0, 9.9],
    ...         "close": [10.5, 11.8, 11, 10.4, 11.4, 12.5, 11.5, 10.0]}
    >>> res = order_blocks({k: np.array(v) for k, v in bars.items()}, left=1, right=1)
    >>> for row in res.blocks[["direction", "kind", "low", "high", "source_candle_bar",
    ...                        "created_bar", "invalidated_bar"]].tolist():
    ...     print(row)
    (1, 0, 10.2, 11.2, 3, 5, 7)
    (-1, 1, 10.2, 11.2, 3, 7, -1)
    (-1, 0, 11.3, 12.6, 5, 7, -1)
    >>> res.zones["bull_touch_id"][5:8], res.zones["bear_id"][5:8]
    (array([-1,  0, -1]), array([-1, -1,  1]))
    """
    left, right = _windows(left, right)
    prices, like = _ohlc(bars)
    sw = _swing_cols(prices, left, right)
    _, events = _structure_cols(prices, sw, right)
    blocks, zones = _block_cols(prices, events)
    return OrderBlockResult(
        _table(like, blocks, order_block_dt, _BLOCK_TIMES), _per_bar(like, zones)
    )


def smc(bars: Any, *, left: int = 3, right: int = 3) -> SMCResult:
    """Swings, structure and order blocks in one call (see :func:`swings`, :func:`structure`,
    :func:`order_blocks` for the rules).

    Parameters
    ----------
    bars : DataFrame, mapping or Bars
        OHLC prices, quote currency.
    left, right : int, default 3
        Swing windows in bars, >= 1.

    Returns
    -------
    SMCResult
        ``per_bar`` (the swing, structure and zone columns), ``events``, ``blocks``.

    Raises
    ------
    ParameterError, DataError
        As :func:`swings`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> bars = pd.DataFrame({"open": [10, 10.5, 11.8, 11, 10.4, 11.4, 12.5, 11.5],
    ...                      "high": [11, 12, 11.9, 11.2, 11.5, 12.6, 12.7, 11.6],
    ...                      "low": [9.5, 10.4, 10.8, 10.2, 10.3, 11.3, 11.0, 9.9],
    ...                      "close": [10.5, 11.8, 11, 10.4, 11.4, 12.5, 11.5, 10.0]})
    >>> res = smc(bars, left=1, right=1)
    >>> res.per_bar[["trend", "break_kind", "bull_id", "bull_touch", "bear_id"]].iloc[4:]
       trend  break_kind  bull_id  bull_touch  bear_id
    4      0           0       -1       False       -1
    5      1           1        0       False       -1
    6      1           0        0        True       -1
    7     -1           2       -1       False        1
    >>> list(res.events[["bar", "kind", "direction", "level", "ob_id"]].itertuples(
    ...     index=False, name=None))
    [(5, 1, 1, 12.0, 0), (7, 2, -1, 10.2, 2)]
    """
    left, right = _windows(left, right)
    prices, like = _ohlc(bars)
    sw = _swing_cols(prices, left, right)
    st_bar, events = _structure_cols(prices, sw, right)
    blocks, zones = _block_cols(prices, events)
    return SMCResult(
        _per_bar(like, {**sw, **st_bar, **zones}),
        _table(like, events, event_dt, _EVENT_TIMES),
        _table(like, blocks, order_block_dt, _BLOCK_TIMES),
    )


def blocks_at(blocks: Table, bar: int) -> Table:
    """The order-block table as it was known at the close of ``bar``.

    Keeps the zones created at or before ``bar`` and resets ``invalidated_bar`` to -1 (and
    ``invalidated_time`` to missing) where the invalidation came later. A zone of the result is
    valid at ``bar`` exactly when its ``invalidated_bar`` is -1.

    Parameters
    ----------
    blocks : Table
        ``blocks`` of :func:`order_blocks` or :func:`smc` (any of the three kinds).
    bar : int
        Bar index, >= 0.

    Returns
    -------
    Table
        Of ``blocks``' kind.

    Examples
    --------
    >>> import numpy as np
    >>> bars = {"open": [10, 10.5, 11.8, 11, 10.4, 11.4, 12.5, 11.5],
    ...         "high": [11, 12, 11.9, 11.2, 11.5, 12.6, 12.7, 11.6],
    ...         "low": [9.5, 10.4, 10.8, 10.2, 10.3, 11.3, 11.0, 9.9],
    ...         "close": [10.5, 11.8, 11, 10.4, 11.4, 12.5, 11.5, 10.0]}
    >>> blocks = order_blocks({k: np.array(v) for k, v in bars.items()}, left=1, right=1).blocks
    >>> blocks["invalidated_bar"], blocks_at(blocks, 6)["invalidated_bar"]
    (array([ 7, -1, -1]), array([-1]))
    """
    bar = check_window(bar, "bar", minimum=0)
    if isinstance(blocks, np.ndarray) and blocks.dtype == order_block_dt:
        out = blocks[blocks["created_bar"] <= bar].copy()
        out["invalidated_bar"][out["invalidated_bar"] > bar] = -1
        return out
    if isinstance(blocks, pd.DataFrame) and "invalidated_bar" in blocks.columns:
        out = blocks.loc[blocks["created_bar"] <= bar].copy()
        later = out["invalidated_bar"] > bar
        out.loc[later, "invalidated_bar"] = -1
        if "invalidated_time" in out.columns:
            out["invalidated_time"] = out["invalidated_time"].where(~later)
        return out
    if isinstance(blocks, pl.DataFrame) and "invalidated_bar" in blocks.columns:
        inv = pl.col("invalidated_bar")
        return blocks.filter(pl.col("created_bar") <= bar).with_columns(
            pl.when(inv > bar).then(-1).otherwise(inv).cast(pl.Int64).alias("invalidated_bar")
        )
    raise ParameterError(
        "blocks",
        f"expected the blocks table of order_blocks() or smc(), got {type(blocks).__name__}",
    )
