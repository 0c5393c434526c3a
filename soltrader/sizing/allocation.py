"""Capital allocation between strategy *sleeves*: how much capital each gets, and which of two
opposite entries in one symbol is kept (the coordinator's pure rules).

The runner that simulates the sleeves on one capital base is
:func:`soltrader.engine.coordinator.coordinate`; everything here is a pure function of arrays
(no simulation, no I/O), so the live loop can call the same rules.

Allocation schemes (:func:`allocation_weights`)
    * ``"fixed"``: given weights, by default :data:`DEFAULT_WEIGHTS` (momentum 35 %, mean
      reversion 30 %, grid 20 %, arbitrage 15 %), renormalised over the sleeves present;
    * ``"equal"``: ``1 / k`` each;
    * ``"risk_parity"``: inverse volatility, ``w_i = (1 / vol_i) / sum_j (1 / vol_j)`` with
      ``vol_i`` the sample standard deviation (``ddof=1``) of sleeve ``i``'s per-bar returns over
      the ``lookback`` bars *before* the rebalance bar;
    * ``"performance"``: weights tilted towards the sleeves with the best trailing ``"return"``
      (compounded) or ``"sharpe"`` (mean / std per bar) over the same window, with a floor and a
      cap.

    Weights change only at rebalance bars (:func:`rebalance_bars`); the weights in force on bar
    ``t`` use returns of bars ``< r`` only, ``r <= t`` being the last rebalance bar, so they are
    known at the close of bar ``r - 1``: no look-ahead.

Conflicts (:func:`resolve_conflicts`)
    Two sleeves *conflict* on a bar when, in one symbol, one has a long entry and another a short
    entry (a sleeve with both on one bar wants nothing: the simulator cancels them). The winner is
    the sleeve with the best score among all sleeves with an entry; every entry on the opposite
    side is dropped and recorded. Scores: ``"confidence"`` (``Signals.confidence``; missing or NaN
    counts as :data:`MISSING_CONFIDENCE` = 0.5), ``"reward_risk"`` (``tp_stop / sl_stop``; a sleeve
    without both loses to one that has them), ``"priority"`` (a fixed order). Equal scores are
    decided by the priority order (the given ``priority`` list, else the order of the sleeves).
    Exits are never dropped: a signal does not know whether its sleeve holds a position, so an exit
    is not a trade the sleeve is sure to want, and closing risk is always allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numba import njit

from soltrader.domain.errors import ParameterError
from soltrader.domain.signals import Signals

#: Default capital weights of the ``"fixed"`` scheme, by strategy name (fractions).
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"momentum": 0.35, "mean_reversion": 0.30, "grid": 0.20, "arbitrage": 0.15}
)
#: Allocation schemes of :func:`allocation_weights`.
SCHEMES: tuple[str, ...] = ("fixed", "equal", "risk_parity", "performance")
#: Trailing scores of the ``"performance"`` scheme, as kernel codes.
METRICS: Mapping[str, int] = MappingProxyType({"return": 0, "sharpe": 1})
#: Conflict policies of :func:`resolve_conflicts`.
POLICIES: tuple[str, ...] = ("confidence", "reward_risk", "priority")
#: The confidence of a signal that reports none (``Signals.confidence`` missing or NaN).
MISSING_CONFIDENCE = 0.5

_RISK_PARITY = np.int64(0)
_PERFORMANCE = np.int64(1)


# ---- weights ---------------------------------------------------------------------------------
def _names(names: Any) -> list[str]:
    if names is None or isinstance(names, str):
        raise ParameterError("names", f"need a sequence of sleeve names, got {names!r}")
    out = [str(n) for n in names]
    if not out:
        raise ParameterError("names", "need at least one sleeve")
    if len(set(out)) != len(out):
        raise ParameterError("names", f"sleeve names must be unique, got {out}")
    return out


def fixed_weights(names: Sequence[str], weights: Mapping[str, float] | None = None) -> pd.Series:
    """Fixed capital weights over the sleeves present, renormalised to sum to 1.

    Parameters
    ----------
    names : sequence of str
        The sleeves (strategy names).
    weights : mapping, optional
        Weight of every sleeve (>= 0, any scale); default :data:`DEFAULT_WEIGHTS`.

    Returns
    -------
    pandas.Series
        Fractions summing to 1, indexed by ``names``.

    Examples
    --------
    >>> fixed_weights(["momentum", "grid"]).round(6).tolist()
    [0.636364, 0.363636]
    """
    names = _names(names)
    source = DEFAULT_WEIGHTS if weights is None else weights
    if not isinstance(source, Mapping):
        raise ParameterError("weights", f"need a mapping name -> weight, got {weights!r}")
    missing = [n for n in names if n not in source]
    if missing:
        raise ParameterError("weights", f"no weight for sleeve(s) {missing}; give weights")
    extra = sorted(set(source) - set(names)) if weights is not None else []
    if extra:
        raise ParameterError("weights", f"{extra} are not sleeves (sleeves: {names})")
    w = np.array([float(source[n]) for n in names])
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ParameterError("weights", f"need finite weights >= 0, not all 0, got {w.tolist()}")
    return pd.Series(w / w.sum(), index=names, name="weight")


def rebalance_bars(index: pd.DatetimeIndex | int, rebalance: Any = None) -> np.ndarray:
    """First bar of every rebalancing period (bar 0 always starts one).

    Parameters
    ----------
    index : pandas.DatetimeIndex or int
        Bar times (increasing), or the number of bars.
    rebalance : None, int, str or Timedelta
        ``None``: never (one period); ``k``: every ``k`` bars; a duration such as ``"30D"`` or
        ``"12h"``: periods ``[t0 + j * d, t0 + (j + 1) * d)`` anchored at the first bar's time
        ``t0``, each starting at its first bar (a period without bars is skipped).

    Returns
    -------
    ndarray of int64
        Increasing bar numbers, starting with 0. Bar ``t``'s period depends on times ``<= t``
        only.

    Examples
    --------
    >>> rebalance_bars(10, 4).tolist()
    [0, 4, 8]
    >>> idx = pd.date_range("2024-01-01", periods=5, freq="12h", tz="UTC")
    >>> rebalance_bars(idx, "1D").tolist()
    [0, 2, 4]
    """
    n = int(index) if isinstance(index, int | np.integer) else len(index)
    if n < 1:
        raise ParameterError("index", "need at least one bar")
    if rebalance is None:
        return np.zeros(1, dtype=np.int64)
    if isinstance(rebalance, int | np.integer) and not isinstance(rebalance, bool):
        if rebalance < 1:
            raise ParameterError("rebalance", f"need a period of >= 1 bars, got {rebalance!r}")
        return np.arange(0, n, int(rebalance), dtype=np.int64)
    if not isinstance(rebalance, str | pd.Timedelta | timedelta):
        raise ParameterError(
            "rebalance", f"use None, a number of bars or a duration like '30D', got {rebalance!r}"
        )
    if not isinstance(index, pd.DatetimeIndex):
        raise ParameterError("rebalance", "a duration needs a DatetimeIndex of bar times")
    try:
        step = pd.Timedelta(rebalance)
    except ValueError:
        raise ParameterError("rebalance", f"{rebalance!r} is not a duration (e.g. '30D')") from None
    if step <= pd.Timedelta(0):
        raise ParameterError("rebalance", f"need a positive duration, got {rebalance!r}")
    ns = index.as_unit("ns").asi8
    if n > 1 and (np.diff(ns) <= 0).any():
        raise ParameterError("index", "bar times must be strictly increasing")
    period = (ns - ns[0]) // step.value
    return np.concatenate(([0], np.flatnonzero(np.diff(period) != 0) + 1)).astype(np.int64)


@njit(cache=True, nogil=True)
def sample_std_nb(x: np.ndarray) -> float:
    """Sample standard deviation (``ddof=1``) of a 1-D array; NaN for fewer than 2 values.

    Examples
    --------
    >>> round(sample_std_nb(np.array([1.0, 2.0, 3.0])), 12)
    1.0
    """
    n = x.shape[0]
    if n < 2:
        return np.nan
    mean = 0.0
    for i in range(n):
        mean += x[i]
    mean /= n
    ss = 0.0
    for i in range(n):
        ss += (x[i] - mean) ** 2
    return np.sqrt(ss / (n - 1))


@njit(cache=True, nogil=True)
def inverse_vol_nb(window: np.ndarray) -> np.ndarray:
    """Inverse-volatility weights of the columns of ``window`` (bars x sleeves, returns).

    A sleeve with zero volatility (it held nothing in the window) counts as having the smallest
    positive volatility of the others (as safe as the safest observed sleeve, not infinitely
    safe). Returns NaN weights when no sleeve has a positive volatility.

    Examples
    --------
    >>> w = inverse_vol_nb(np.array([[0.01, 0.02], [-0.01, -0.02], [0.01, 0.02]]))
    >>> w.round(6).tolist()
    [0.666667, 0.333333]
    """
    k = window.shape[1]
    vol = np.empty(k)
    low = np.inf
    for j in range(k):
        vol[j] = sample_std_nb(window[:, j])
        if vol[j] > 0.0 and vol[j] < low:
            low = vol[j]
    out = np.full(k, np.nan)
    if not np.isfinite(low):
        return out
    total = 0.0
    for j in range(k):
        v = vol[j] if vol[j] > 0.0 else low
        out[j] = 1.0 / v
        total += out[j]
    for j in range(k):
        out[j] /= total
    return out


@njit(cache=True, nogil=True)
def trailing_scores_nb(window: np.ndarray, metric: int) -> np.ndarray:
    """Score of every column of ``window`` (bars x sleeves, returns): compounded return
    (``metric`` 0) or per-bar Sharpe ``mean / std`` (1; 0 where the std is 0).

    Examples
    --------
    >>> trailing_scores_nb(np.array([[0.1, 0.0], [0.1, 0.0]]), 0).round(6).tolist()
    [0.21, 0.0]
    """
    n, k = window.shape
    out = np.zeros(k)
    for j in range(k):
        if metric == 0:
            g = 1.0
            for i in range(n):
                g *= 1.0 + window[i, j]
            out[j] = g - 1.0
        else:
            sd = sample_std_nb(window[:, j])
            if sd > 0.0:
                out[j] = np.mean(window[:, j]) / sd
    return out


@njit(cache=True, nogil=True)
def project_box_simplex_nb(target: np.ndarray, floor: float, cap: float) -> np.ndarray:
    """The weights nearest ``target`` (Euclidean) with ``floor <= w <= cap`` and ``sum(w) = 1``:
    ``w = clip(target + nu, floor, cap)`` with the shift ``nu`` found by bisection. Needs
    ``k * floor <= 1 <= k * cap``.

    Examples
    --------
    >>> project_box_simplex_nb(np.array([0.9, 0.1, 0.0]), 0.1, 0.6).round(6).tolist()
    [0.6, 0.25, 0.15]
    """
    k = target.shape[0]
    lo, hi = -1.0 - np.max(np.abs(target)), 1.0 + np.max(np.abs(target))
    w = np.empty(k)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        total = 0.0
        for j in range(k):
            total += min(max(target[j] + mid, floor), cap)
        if total < 1.0:
            lo = mid
        else:
            hi = mid
    total = 0.0
    for j in range(k):
        w[j] = min(max(target[j] + hi, floor), cap)
        total += w[j]
    for j in range(k):
        w[j] /= total
    return w


@njit(cache=True, nogil=True)
def dynamic_weights_nb(
    returns: np.ndarray,
    starts: np.ndarray,
    lookback: int,
    scheme: int,
    metric: int,
    base: np.ndarray,
    tilt: float,
    floor: float,
    cap: float,
) -> np.ndarray:
    """Weights decided at every rebalance bar ``starts[i]`` from ``returns[r - lookback: r]``
    (bars x sleeves): risk parity (``scheme`` 0) or performance tilt (1). Returns
    (len(starts), sleeves).

    Before ``lookback`` bars of history exist, and when no weights can be computed (risk parity
    with no volatile sleeve), the ``base`` weights apply. The performance target is
    ``(1 - tilt) * base + tilt * p`` with ``p`` proportional to the positive part of the scores
    (``base`` if none is positive), projected onto ``[floor, cap]`` summing to 1.

    Examples
    --------
    >>> r = np.array([[0.01, 0.02], [-0.01, -0.02], [0.01, 0.02]])
    >>> w = dynamic_weights_nb(r, np.array([0, 3]), 3, 0, 0, np.full(2, 0.5), 1.0, 0.0, 1.0)
    >>> w.round(6).tolist()
    [[0.5, 0.5], [0.666667, 0.333333]]
    """
    k = returns.shape[1]
    out = np.empty((starts.shape[0], k))
    for i in range(starts.shape[0]):
        r = starts[i]
        w = base.copy()
        if r >= lookback:
            window = returns[r - lookback : r]
            if scheme == 0:
                iv = inverse_vol_nb(window)
                if np.isfinite(iv[0]):
                    w = iv
            else:
                s = trailing_scores_nb(window, metric)
                pos = np.maximum(s, 0.0)
                perf = pos / pos.sum() if pos.sum() > 0.0 else base
                w = (1.0 - tilt) * base + tilt * perf
        if scheme == 1:
            w = project_box_simplex_nb(w, floor, cap)
        out[i] = w
    return out


def _returns_table(returns: Any, names: Any) -> tuple[np.ndarray, list[str], pd.Index | None]:
    if isinstance(returns, pd.DataFrame):
        cols = [str(c) for c in returns.columns]
        if names is not None and list(names) != cols:
            raise ParameterError("names", f"{list(names)} differ from the returns columns {cols}")
        arr, names, index = returns.to_numpy(dtype=np.float64), cols, returns.index
    else:
        arr, index = np.asarray(returns, dtype=np.float64), None
    names = _names(names)
    if arr.ndim != 2 or arr.shape[1] != len(names) or arr.shape[0] < 1:
        raise ParameterError("returns", f"need (bars, {len(names)}) returns, got {arr.shape}")
    bad = ~np.isfinite(arr) | (arr < -1.0)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ParameterError("returns", f"row {row}, {names[col]}: need a finite return >= -1")
    return np.ascontiguousarray(arr), names, index


def _check_box(k: int, tilt: float, floor: float, cap: float) -> None:
    if not 0.0 <= tilt <= 1.0:
        raise ParameterError("tilt", f"must be a fraction in [0, 1], got {tilt!r}")
    if not (0.0 <= floor <= cap <= 1.0):
        raise ParameterError("floor", f"need 0 <= floor <= cap <= 1, got {floor!r}, {cap!r}")
    if k * floor > 1.0 + 1e-12 or k * cap < 1.0 - 1e-12:
        raise ParameterError(
            "cap", f"{k} sleeves need floor <= 1/{k} <= cap, got floor {floor!r}, cap {cap!r}"
        )


def allocation_weights(
    scheme: str = "fixed",
    names: Sequence[str] | None = None,
    *,
    index: pd.Index | None = None,
    returns: Any = None,
    rebalance: Any = None,
    weights: Mapping[str, float] | None = None,
    lookback: int = 720,
    metric: str = "sharpe",
    tilt: float = 0.5,
    floor: float = 0.05,
    cap: float = 1.0,
) -> pd.DataFrame:
    """Capital weight of every sleeve on every bar, changing only at rebalance bars.

    Parameters
    ----------
    scheme : {"fixed", "equal", "risk_parity", "performance"}
        See the module docstring.
    names : sequence of str, optional
        Sleeve names (default: the columns of a ``returns`` DataFrame).
    index : pandas.Index, optional
        Bar times (default: the index of ``returns``); one of ``index`` / ``returns`` is needed.
    returns : (bars, sleeves) DataFrame or array, optional
        Per-bar returns of each sleeve (fractions >= -1); needed by ``"risk_parity"`` and
        ``"performance"``.
    rebalance : None, int or duration
        Rebalance schedule (:func:`rebalance_bars`); the dynamic schemes need one.
    weights : mapping, optional
        ``"fixed"``: the weights (default :data:`DEFAULT_WEIGHTS`); ``"performance"``: the base
        weights the tilt starts from (default equal). Not used by the other schemes.
    lookback : int
        Window of returns before each rebalance bar, bars (>= 2). Earlier rebalances use the base
        weights (equal for risk parity).
    metric : {"sharpe", "return"}
        Trailing score of ``"performance"``.
    tilt : float
        Share of the performance weights in the target, in [0, 1].
    floor, cap : float
        Bounds of every ``"performance"`` weight (fractions; ``k * floor <= 1 <= k * cap``).

    Returns
    -------
    pandas.DataFrame
        (bars, sleeves) fractions; every row sums to 1.

    Examples
    --------
    >>> r = pd.DataFrame({"a": [0.01, -0.01] * 5, "b": [0.02, -0.02] * 5})
    >>> w = allocation_weights("risk_parity", returns=r, rebalance=4, lookback=4)
    >>> w.iloc[[0, 4]].round(6).values.tolist()
    [[0.5, 0.5], [0.666667, 0.333333]]
    """
    if scheme not in SCHEMES:
        raise ParameterError("scheme", f"{scheme!r}: use one of {list(SCHEMES)}")
    arr = None
    if returns is not None:
        arr, names, r_index = _returns_table(returns, names)
        index = r_index if index is None else index
        if index is not None and len(index) != arr.shape[0]:
            raise ParameterError("index", f"{len(index)} bars but {arr.shape[0]} returns")
    names = _names(names)
    if index is None:
        if arr is None:
            raise ParameterError("index", "give the bar index (or returns) of the weights table")
        index = pd.RangeIndex(arr.shape[0])
    starts = rebalance_bars(index, rebalance)
    if weights is not None and scheme in ("equal", "risk_parity"):
        raise ParameterError("weights", f"not used by scheme {scheme!r}")
    if scheme == "fixed":
        table = np.tile(fixed_weights(names, weights).to_numpy(), (len(starts), 1))
    elif scheme == "equal":
        table = np.full((len(starts), len(names)), 1.0 / len(names))
    else:
        table = _dynamic(
            scheme, names, arr, starts, rebalance, weights, lookback, metric, tilt, floor, cap
        )
    period = np.searchsorted(starts, np.arange(len(index)), side="right") - 1
    return pd.DataFrame(table[period], index=index, columns=names).rename_axis(columns="sleeve")


def _dynamic(scheme, names, arr, starts, rebalance, weights, lookback, metric, tilt, floor, cap):
    """The weights at each rebalance bar of the risk-parity / performance schemes."""
    if arr is None:
        raise ParameterError("returns", f"scheme {scheme!r} needs the sleeves' returns")
    if rebalance is None:
        raise ParameterError("rebalance", f"scheme {scheme!r} needs a rebalance schedule")
    if isinstance(lookback, bool) or not isinstance(lookback, int | np.integer) or lookback < 2:
        raise ParameterError("lookback", f"need a window of >= 2 bars, got {lookback!r}")
    if metric not in METRICS:
        raise ParameterError("metric", f"{metric!r}: use one of {sorted(METRICS)}")
    k = len(names)
    if scheme == "performance":
        _check_box(k, float(tilt), float(floor), float(cap))
        base = np.full(k, 1.0 / k) if weights is None else fixed_weights(names, weights).to_numpy()
        code = _PERFORMANCE
    else:
        base, code = np.full(k, 1.0 / k), _RISK_PARITY
    return dynamic_weights_nb(
        arr,
        starts,
        int(lookback),
        code,
        METRICS[metric],
        base,
        float(tilt),
        float(floor),
        float(cap),
    )


# ---- conflicts -------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def resolve_conflicts_nb(
    long: np.ndarray, short: np.ndarray, score: np.ndarray, rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Drop the entries that lose a conflict (see the module docstring).

    Parameters
    ----------
    long, short : (bars, sleeves) bool
        Long / short entry decisions of every sleeve in one symbol.
    score : (bars, sleeves) float
        Higher wins; NaN counts as ``-inf``.
    rank : (sleeves,) int
        Tie rule: the lower rank wins an equal score.

    Returns
    -------
    tuple
        ``(keep_long, keep_short, bar, winner, loser)``: the entries kept, and one record per
        dropped entry (bar, winning sleeve, losing sleeve).

    Examples
    --------
    >>> L = np.array([[True, False]]); S = np.array([[False, True]])
    >>> kl, ks, bar, win, lose = resolve_conflicts_nb(L, S, np.array([[0.9, 0.4]]), np.arange(2))
    >>> ks.tolist(), win.tolist(), lose.tolist()
    ([[False, False]], [0], [1])
    """
    n, k = long.shape
    keep_long, keep_short = long.copy(), short.copy()
    bars = np.empty(n * k, dtype=np.int64)
    winners = np.empty(n * k, dtype=np.int64)
    losers = np.empty(n * k, dtype=np.int64)
    side = np.zeros(k, dtype=np.int64)
    c = 0
    for t in range(n):
        has_long, has_short, best = False, False, -1
        best_score = -np.inf
        for j in range(k):
            side[j] = np.int64(long[t, j] and not short[t, j]) - np.int64(
                short[t, j] and not long[t, j]
            )
            if side[j] == 0:
                continue
            has_long |= side[j] > 0
            has_short |= side[j] < 0
            s = score[t, j] if not np.isnan(score[t, j]) else -np.inf
            if best < 0 or s > best_score or (s == best_score and rank[j] < rank[best]):
                best, best_score = j, s
        if not (has_long and has_short):
            continue
        for j in range(k):
            if side[j] == -side[best]:
                if side[j] > 0:
                    keep_long[t, j] = False
                else:
                    keep_short[t, j] = False
                bars[c], winners[c], losers[c] = t, best, j
                c += 1
    return keep_long, keep_short, bars[:c], winners[:c], losers[:c]


def _per_bar(value: Any, n: int, name: str) -> np.ndarray:
    """A scalar or (n,) value as an (n,) float array (NaN for None)."""
    if value is None:
        return np.full(n, np.nan)
    arr = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value, dtype=np.float64)
    try:
        return np.broadcast_to(arr, (n,))
    except ValueError:
        raise ParameterError(name, f"shape {arr.shape} does not fit {n} bars") from None


def conflict_scores(
    policy: str,
    signals: Mapping[str, Signals],
    *,
    sl_stop: Mapping[str, Any] | None = None,
    tp_stop: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Score of every sleeve's decision on every bar under ``policy`` (higher wins).

    Parameters
    ----------
    policy : {"confidence", "reward_risk", "priority"}
        ``"confidence"``: ``Signals.confidence`` (missing / NaN: 0.5); ``"reward_risk"``:
        ``tp_stop / sl_stop`` (fractions of the price; NaN when either is missing or not > 0, which
        loses to any ratio); ``"priority"``: 0 for all (the priority order decides).
    signals : mapping of str to Signals
        One symbol's signals of every sleeve (same length).
    sl_stop, tp_stop : mapping, optional
        Fallback stop / target distance per sleeve (scalar or per bar) where the signals have none.

    Returns
    -------
    ndarray
        (bars, sleeves) float.

    Examples
    --------
    >>> e = np.array([True])
    >>> sig = {"a": Signals(e, ~e, tp_stop=np.array([0.04]), sl_stop=np.array([0.02])),
    ...        "b": Signals(e, ~e)}
    >>> conflict_scores("reward_risk", sig).tolist()
    [[2.0, nan]]
    """
    if policy not in POLICIES:
        raise ParameterError("conflict", f"{policy!r}: use one of {list(POLICIES)}")
    names = list(signals)
    n = len(signals[names[0]].entries)
    out = np.zeros((n, len(names)))
    for j, name in enumerate(names):
        sig = signals[name]
        if policy == "confidence":
            conf = _per_bar(sig.confidence, n, f"{name}.confidence")
            out[:, j] = np.where(np.isnan(conf), MISSING_CONFIDENCE, conf)
        elif policy == "reward_risk":
            sl = _per_bar(
                sig.sl_stop if sig.sl_stop is not None else (sl_stop or {}).get(name), n, "sl_stop"
            )
            tp = _per_bar(
                sig.tp_stop if sig.tp_stop is not None else (tp_stop or {}).get(name), n, "tp_stop"
            )
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, j] = np.where((sl > 0) & (tp > 0), tp / sl, np.nan)
    return out


def _ranks(names: list[str], priority: Sequence[str] | None) -> np.ndarray:
    if priority is None:
        return np.arange(len(names), dtype=np.int64)
    order = [str(p) for p in priority]
    unknown = sorted(set(order) - set(names))
    missing = [n for n in names if n not in order]
    if unknown or missing or len(set(order)) != len(order):
        raise ParameterError(
            "priority", f"need every sleeve once ({names}); unknown {unknown}, missing {missing}"
        )
    return np.array([order.index(n) for n in names], dtype=np.int64)


class Resolution(NamedTuple):
    """What :func:`resolve_conflicts` returns: the signals with losing entries dropped, and one
    row per dropped entry."""

    signals: dict[str, Signals]
    conflicts: pd.DataFrame


#: Columns of a conflicts table.
CONFLICT_COLUMNS: tuple[str, ...] = (
    "bar",
    "time",
    "symbol",
    "winner",
    "loser",
    "winner_side",
    "policy",
    "winner_score",
    "loser_score",
    "decided_by",
    "decision",
)


def resolve_conflicts(
    signals: Mapping[str, Signals],
    policy: str = "confidence",
    *,
    priority: Sequence[str] | None = None,
    sl_stop: Mapping[str, Any] | None = None,
    tp_stop: Mapping[str, Any] | None = None,
    index: pd.Index | None = None,
    symbol: str = "",
) -> Resolution:
    """Keep one side when sleeves want opposite entries in one symbol on one bar.

    Parameters
    ----------
    signals : mapping of str to Signals
        One symbol's signals of every sleeve, in priority order unless ``priority`` is given.
    policy : {"confidence", "reward_risk", "priority"}
        How the winner is chosen (:func:`conflict_scores`); equal scores go to the sleeve first
        in the priority order.
    priority : sequence of str, optional
        Every sleeve once, best first (default: the order of ``signals``).
    sl_stop, tp_stop : mapping, optional
        Fallback stop / target distances per sleeve for ``"reward_risk"``.
    index : pandas.Index, optional
        Bar times for the table's ``time`` column.
    symbol : str
        Symbol name for the table.

    Returns
    -------
    Resolution
        ``signals`` with the losing ``entries`` / ``short_entries`` set to False (arrays copied
        only where changed) and the ``conflicts`` table (:data:`CONFLICT_COLUMNS`).

    Examples
    --------
    >>> L, F = np.array([False, True]), np.array([False, False])
    >>> sig = {"a": Signals(L, F, confidence=np.array([0.0, 0.9])), "b": Signals(F, F, L, F)}
    >>> res = resolve_conflicts(sig, "confidence")
    >>> res.conflicts[["bar", "winner", "loser"]].values.tolist()
    [[1, 'a', 'b']]
    >>> res.signals["b"].short_entries.tolist()
    [False, False]
    """
    names = [str(k) for k in signals]
    if not names:
        raise ParameterError("signals", "need at least one sleeve")
    n = len(signals[names[0]].entries)
    rank = _ranks(names, priority)
    score = conflict_scores(policy, signals, sl_stop=sl_stop, tp_stop=tp_stop)
    long = np.column_stack([_bool(signals[s].entries, n, s) for s in names])
    short = np.column_stack([_bool(signals[s].short_entries, n, s) for s in names])
    keep_long, keep_short, bar, win, lose = resolve_conflicts_nb(long, short, score, rank)
    out = {}
    for j, s in enumerate(names):
        sig = signals[s]
        changes = {}
        if (keep_long[:, j] != long[:, j]).any():
            changes["entries"] = keep_long[:, j].copy()
        if (keep_short[:, j] != short[:, j]).any():
            changes["short_entries"] = keep_short[:, j].copy()
        out[s] = sig._replace(**changes) if changes else sig
    table = _conflict_table(names, policy, score, long, bar, win, lose, index, symbol)
    return Resolution(out, table)


def _bool(value: Any, n: int, name: str) -> np.ndarray:
    if value is None:
        return np.zeros(n, dtype=bool)
    arr = np.asarray(value, dtype=bool)
    if arr.shape != (n,):
        raise ParameterError(name, f"entries of shape {arr.shape}, expected ({n},)")
    return arr


def _conflict_table(names, policy, score, long, bar, win, lose, index, symbol) -> pd.DataFrame:
    w_score, l_score = score[bar, win], score[bar, lose]
    tie = (w_score == l_score) | (np.isnan(w_score) & np.isnan(l_score))
    side = np.where(long[bar, win], "long", "short")
    lost = np.where(side == "long", "short", "long")
    winner = np.asarray(names, dtype=object)[win]
    loser = np.asarray(names, dtype=object)[lose]
    decision = [
        f"kept {w} {s}, dropped {lo} {ls}"
        for w, s, lo, ls in zip(winner, side, loser, lost, strict=True)
    ]
    time = index[bar] if index is not None else np.full(len(bar), pd.NaT)
    return pd.DataFrame(
        {
            "bar": bar,
            "time": time,
            "symbol": symbol,
            "winner": winner,
            "loser": loser,
            "winner_side": side,
            "policy": policy,
            "winner_score": w_score if policy != "priority" else np.nan,
            "loser_score": l_score if policy != "priority" else np.nan,
            "decided_by": np.where(tie, "priority", policy),
            "decision": np.asarray(decision, dtype=object),
        },
        columns=list(CONFLICT_COLUMNS),
    )


__all__ = [
    "CONFLICT_COLUMNS",
    "DEFAULT_WEIGHTS",
    "METRICS",
    "MISSING_CONFIDENCE",
    "POLICIES",
    "SCHEMES",
    "Resolution",
    "allocation_weights",
    "conflict_scores",
    "dynamic_weights_nb",
    "fixed_weights",
    "inverse_vol_nb",
    "project_box_simplex_nb",
    "rebalance_bars",
    "resolve_conflicts",
    "resolve_conflicts_nb",
    "sample_std_nb",
    "trailing_scores_nb",
]
