"""Look-ahead check for any strategy: do its decisions change when the future is cut off?

In the spirit of freqtrade's ``lookahead-analysis``: a signal function free of look-ahead gives
the same decision at bar t whether or not the bars after t exist. :func:`lookahead_check`
computes the strategy's :class:`~soltrader.strategies.Signals` on the full data, then on the
data truncated after each of several cut points, and reports every decision at a bar ``<= cut``
that differs -- entries, exits, short signals and the per-bar values (``sl_stop``,
``limit_price``, ``confidence``, ...).

The truncated data are **copies**: a numba kernel that reads past the end of a view would
otherwise see the real future bars in the parent buffer and hide its own look-ahead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from soltrader.domain.errors import Error, ParameterError
from soltrader.engine.inputs import Market, market_from
from soltrader.engine.validation._checks import as_float, as_int
from soltrader.strategies.spec import Bars, Signals, Strategy

_BOOL_FIELDS = ("entries", "exits", "short_entries", "short_exits")


@dataclass(frozen=True)
class LookaheadReport:
    """Outcome of :func:`lookahead_check`.

    Attributes
    ----------
    strategy : str
        Strategy name.
    params : dict
        The resolved parameters that were checked.
    cuts : ndarray of int
        Last bar kept at each truncation (0-based positions).
    findings : pandas.DataFrame
        One row per differing decision: ``cut``, ``bar``, ``time``, ``field``, ``full``
        (value on the full data) and ``truncated`` (value on the data cut after ``cut``); at
        most ``max_findings`` rows per cut and field, those nearest the cut.
    summary : pandas.DataFrame
        Per field that ever differed: ``n_cuts`` (cuts where it differed), ``n_decisions``
        (differing (cut, bar) pairs, all counted) and ``first_bar``.
    n_bars : int
        Bars in the full data.
    """

    strategy: str
    params: dict[str, Any]
    cuts: np.ndarray
    findings: pd.DataFrame
    summary: pd.DataFrame
    n_bars: int
    fields: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """``True`` when no decision changed at any cut.

        Examples
        --------
        >>> lookahead_check(st.strategies.sma_cross, bars).ok  # doctest: +SKIP
        True
        """
        return self.findings.empty

    def __repr__(self) -> str:
        verdict = (
            "ok"
            if self.ok
            else (
                f"LOOK-AHEAD in {sorted(self.summary.index)} at "
                f"{int(self.summary['n_cuts'].max())} of "
                f"{len(self.cuts)} cuts"
            )
        )
        return (
            f"LookaheadReport({self.strategy}, {len(self.cuts)} cuts over {self.n_bars} "
            f"bars, fields {list(self.fields)}: {verdict})"
        )


def _signal_fields(sig: Any, n: int, name: str, where: str) -> dict[str, np.ndarray]:
    """The set fields of a Signals as 1-D arrays of length ``n``."""
    if not isinstance(sig, Signals):
        raise ParameterError(
            "strategy", f"{name}'s signal function returned {type(sig).__name__}, expected Signals"
        )
    out = {}
    for key in Signals._fields:
        value = getattr(sig, key)
        if value is None:
            continue
        arr = np.asarray(value)
        if arr.shape != (n,):
            raise ParameterError(
                "strategy",
                f"{name} returned {key} of shape {arr.shape} on "
                f"{where} ({n} bars); expected ({n},)",
            )
        out[key] = arr.astype(np.bool_) if key in _BOOL_FIELDS else arr.astype(np.float64)
    return out


def _differs(full: np.ndarray, trunc: np.ndarray, rtol: float) -> np.ndarray:
    if full.dtype == np.bool_:
        return full != trunc
    same = (full == trunc) | (np.isnan(full) & np.isnan(trunc))
    with np.errstate(invalid="ignore"):
        close = np.abs(full - trunc) <= rtol * np.maximum(np.abs(full), np.abs(trunc))
    return ~(same | close)


def _pick(pool: np.ndarray, k: int, rng: np.random.Generator | None) -> np.ndarray:
    """``k`` distinct members of ``pool`` (all of it if smaller): evenly spaced, or random."""
    if pool.size <= k:
        return pool
    if rng is None:
        return pool[np.unique(np.round(np.linspace(0, pool.size - 1, k)).astype(np.int64))]
    return np.sort(rng.choice(pool, size=k, replace=False))


def _choose_cuts(
    full: dict[str, np.ndarray], n: int, n_cuts: int, seed: int | None, cuts: Any
) -> np.ndarray:
    if cuts is not None:
        arr = np.unique(np.asarray(cuts))
        if arr.dtype.kind not in "iu" or not arr.size or arr.min() < 0 or arr.max() > n - 2:
            raise ParameterError(
                "cuts", f"expected bar positions in [0, {n - 2}] (the last bar kept), got {cuts!r}"
            )
        return arr.astype(np.int64)
    lo, hi = max(1, n // 10), n - 2
    if hi < lo:
        raise ParameterError("data", f"needs at least 3 bars to truncate, got {n}")
    rng = None if seed is None else np.random.default_rng(as_int(seed, "seed", low=0))
    span = np.arange(lo, hi + 1, dtype=np.int64)
    acted = np.zeros(n, dtype=np.bool_)
    for key in _BOOL_FIELDS:
        if key in full:
            acted |= full[key]
    chosen = _pick(span[acted[lo : hi + 1]], n_cuts, rng)
    if chosen.size < n_cuts:
        rest = np.setdiff1d(span, chosen)
        chosen = np.union1d(chosen, _pick(rest, n_cuts - chosen.size, rng))
    return chosen.astype(np.int64)


class FullRun(NamedTuple):
    """One asset's checked bars and a strategy's signals on all of them (see :func:`full_run`)."""

    market: Market
    bars: Bars
    params: dict[str, Any]
    fields: dict[str, np.ndarray]


def full_run(strategy: Strategy, data: Any, params: dict[str, Any] | None, caller: str) -> FullRun:
    """The reference run of a decision check: the bars of one asset (contiguous copies), the
    resolved parameters and the signal fields on the whole history; ``caller`` names the check
    in the error for several assets."""
    if not isinstance(strategy, Strategy):
        raise ParameterError("strategy", f"expected a Strategy spec, got {type(strategy).__name__}")
    market = market_from(data)
    if market.shape[1] != 1:
        raise ParameterError("data", f"{caller} takes one asset's bars")
    columns = ("open", "high", "low", "close", "volume")
    bars = Bars(*(np.ascontiguousarray(getattr(market, c)[:, 0]) for c in columns))
    resolved = strategy.resolve(**(params or {}))
    sig = strategy.signal(bars, **resolved)
    fields = _signal_fields(sig, market.shape[0], strategy.name, "the full data")
    return FullRun(market, bars, resolved, fields)


def lookahead_check(
    strategy: Strategy,
    data: Any,
    *,
    params: dict[str, Any] | None = None,
    n_cuts: int = 20,
    seed: int | None = None,
    cuts: Any = None,
    rtol: float = 1e-9,
    max_findings: int = 100,
) -> LookaheadReport:
    """Recompute a strategy's signals on truncated data and report every decision that changes.

    Cut points: by default ``n_cuts`` bars in the last 90 % of the data (the prefix kept is at
    least a tenth of it), taken first among the bars where the full run decides something
    (any entry or exit signal, as freqtrade checks its signals), then among the others; evenly
    spaced, or at random with ``seed``. ``cuts`` gives them explicitly.

    Parameters
    ----------
    strategy : Strategy
        The strategy spec to check.
    data : pandas or polars OHLCV frame
        One asset's bars; prices must be finite.
    params : dict, optional
        Parameters (defaults completed by the spec).
    n_cuts : int
        Number of truncations (>= 1).
    seed : int, optional
        Random cut points from this seed (default: evenly spaced, no randomness).
    cuts : sequence of int, optional
        The last bar kept at each truncation, instead of choosing them.
    rtol : float
        Relative tolerance for per-bar numbers (``sl_stop`` etc.); booleans compare exactly.
    max_findings : int
        Rows kept per cut and field in ``findings`` (all are counted in ``summary``).

    Returns
    -------
    LookaheadReport
        ``.ok`` is ``True`` when nothing changed.

    Raises
    ------
    ParameterError
        Not a strategy, bad settings, or a signal function that returns malformed Signals or
        fails on a truncated prefix.
    DataError
        Missing or non-finite prices (the message names the row).

    Examples
    --------
    >>> import soltrader as st
    >>> rep = lookahead_check(st.strategies.sma_cross, bars, params={"fast": 10})  # doctest: +SKIP
    >>> rep.ok                                                                      # doctest: +SKIP
    True
    """
    market, bars, resolved, full = full_run(strategy, data, params, "lookahead_check")
    n = market.shape[0]
    chosen = _choose_cuts(full, n, as_int(n_cuts, "n_cuts", low=1), seed, cuts)
    tol = as_float(rtol, "rtol", low=0.0)
    keep = as_int(max_findings, "max_findings", low=1)
    rows: list[dict[str, Any]] = []
    counts: dict[str, list[int]] = {}
    for c in chosen:
        trunc = _truncated_fields(strategy, bars, resolved, int(c))
        for key in sorted(set(full) | set(trunc)):
            _compare(
                key, full.get(key), trunc.get(key), int(c), tol, keep, market.index, rows, counts
            )
    return _report(strategy.name, resolved, chosen, rows, counts, n, tuple(full))


def _truncated_fields(
    strategy: Strategy, bars: Bars, params: dict[str, Any], cut: int
) -> dict[str, np.ndarray]:
    short = Bars(*(np.array(a[: cut + 1]) for a in bars))
    try:
        sig = strategy.signal(short, **params)
    except Error as exc:
        raise ParameterError(
            "cuts", f"{strategy.name} fails on the first {cut + 1} bars: {exc}"
        ) from exc
    return _signal_fields(sig, cut + 1, strategy.name, f"the first {cut + 1} bars")


def _compare(
    key: str,
    full: np.ndarray | None,
    trunc: np.ndarray | None,
    cut: int,
    rtol: float,
    keep: int,
    index: pd.DatetimeIndex,
    rows: list[dict[str, Any]],
    counts: dict[str, list[int]],
) -> None:
    """Append the differences of one field at one cut to ``rows`` and ``counts``."""
    if full is None or trunc is None:
        bars = np.array([cut])
        values = [("set" if full is not None else None, "set" if trunc is not None else None)]
    else:
        bars = np.flatnonzero(_differs(full[: cut + 1], trunc, rtol))
        if not bars.size:
            return
        shown = bars[-keep:]
        values = [(full[b].item(), trunc[b].item()) for b in shown]
    entry = counts.setdefault(key, [0, 0, cut])
    entry[0] += 1
    entry[1] += int(bars.size)
    entry[2] = min(entry[2], int(bars[0]))
    for b, (fv, tv) in zip(bars[-len(values) :], values, strict=True):
        rows.append(
            {
                "cut": cut,
                "bar": int(b),
                "time": index[int(b)],
                "field": key,
                "full": fv,
                "truncated": tv,
            }
        )


def _report(
    name: str,
    params: dict[str, Any],
    cuts: np.ndarray,
    rows: list[dict[str, Any]],
    counts: dict[str, list[int]],
    n: int,
    fields: tuple[str, ...],
) -> LookaheadReport:
    columns = ["cut", "bar", "time", "field", "full", "truncated"]
    findings = pd.DataFrame(rows, columns=columns)
    summary = pd.DataFrame(
        [
            {"field": k, "n_cuts": v[0], "n_decisions": v[1], "first_bar": v[2]}
            for k, v in sorted(counts.items())
        ],
        columns=["field", "n_cuts", "n_decisions", "first_bar"],
    ).set_index("field")
    return LookaheadReport(name, dict(params), cuts, findings, summary, n, fields)


__all__ = ["LookaheadReport", "lookahead_check"]
