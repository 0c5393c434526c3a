"""Monte Carlo of a trade sequence: how lucky was the order (and the draw) of the trades?

Each path compounds trade returns, ``equity_k = equity_{k-1} * (1 + r_k)`` from ``init_cash``
(every trade commits the whole account, as ``size_type="percent"`` with ``size=1``):

* ``"bootstrap"``: the n returns are drawn i.i.d. with replacement from the n observed ones, so
  both the order and the mix of trades vary;
* ``"shuffle"``: the n observed returns in a random order (Fisher-Yates), so the final equity is
  the observed one (up to rounding) and only the path -- its drawdowns -- varies.

The random numbers are counter-based (splitmix64 of ``(seed, path, draw)``,
:func:`soltrader.costs._nb.uniform_nb`): the same seed gives the same paths on any machine and
in any order of evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd

from soltrader.costs._nb import uniform_nb
from soltrader.domain.errors import ParameterError
from soltrader.engine._progress import check_progress, progress_bar, shows
from soltrader.engine.validation._checks import as_float, as_int, as_series_values

BOOTSTRAP = np.int64(0)
SHUFFLE = np.int64(1)
_METHODS = {"bootstrap": BOOTSTRAP, "shuffle": SHUFFLE}
#: At most this many trade numbers (plus the start) are kept per path for the fan chart.
MAX_FAN_POINTS = 200
_DEFAULT_Q = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
#: With a progress bar, paths run in at most this many batches (one kernel call and one bar
#: update each) ...
MAX_BATCHES = 100
#: ... of at least this many trade draws each, so that a call's overhead (microseconds) stays
#: far below its work.
MIN_BATCH_DRAWS = 100_000


@numba.njit(cache=True)
def mc_fill_nb(
    returns: np.ndarray,
    first: int,
    stop: int,
    method: np.int64,
    seed: int,
    init: float,
    points: np.ndarray,
    final: np.ndarray,
    mdd: np.ndarray,
    low: np.ndarray,
    curve: np.ndarray,
) -> None:
    """Simulate the equity paths numbered ``first .. stop - 1`` into those rows of ``final``,
    ``mdd``, ``low`` and ``curve`` (see :func:`mc_paths_nb`).

    A path's draws depend only on ``(seed, path number, draw)``, so paths simulated in batches
    equal the paths of one call.

    Examples
    --------
    >>> out = [np.empty(3), np.empty(3), np.empty(3), np.empty((3, 2))]
    >>> r, pts = np.array([0.1, -0.5]), np.array([0, 2])
    >>> mc_fill_nb(r, 0, 2, SHUFFLE, 7, 1.0, pts, *out)
    >>> mc_fill_nb(r, 2, 3, SHUFFLE, 7, 1.0, pts, *out)
    >>> bool(np.array_equal(out[1], mc_paths_nb(r, 3, SHUFFLE, 7, 1.0, pts)[1]))
    True
    """
    n = returns.shape[0]
    work = np.empty(n)
    for p in range(first, stop):
        if method == SHUFFLE:
            work[:] = returns
            for i in range(n - 1, 0, -1):
                j = int(uniform_nb(seed, p, i) * (i + 1))
                tmp = work[i]
                work[i] = work[j]
                work[j] = tmp
        else:
            for k in range(n):
                work[k] = returns[int(uniform_nb(seed, p, k) * n)]
        equity = init
        peak = init
        worst = 0.0
        lowest = init
        kp = 0
        if points[0] == 0:
            curve[p, 0] = init
            kp = 1
        for k in range(n):
            equity *= 1.0 + work[k]
            if equity > peak:
                peak = equity
            dd = 1.0 - equity / peak
            if dd > worst:
                worst = dd
            if equity < lowest:
                lowest = equity
            if kp < points.shape[0] and points[kp] == k + 1:
                curve[p, kp] = equity
                kp += 1
        final[p] = equity
        mdd[p] = worst
        low[p] = lowest


@numba.njit(cache=True)
def mc_paths_nb(
    returns: np.ndarray, n_paths: int, method: np.int64, seed: int, init: float, points: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Simulate ``n_paths`` equity paths of ``len(returns)`` trades each.

    Returns per path the final equity, the maximum drawdown (fraction of the running peak, the
    start counting as a peak), the lowest equity (start included), and the equity after the
    trade numbers in ``points`` (sorted, 0 = the start), shape ``(n_paths, len(points))``.

    Examples
    --------
    >>> final, mdd, low, curve = mc_paths_nb(np.array([0.1, -0.5]), 3, SHUFFLE, 7, 1.0,
    ...                                      np.array([0, 2]))
    >>> np.allclose(final, 0.55), np.allclose(mdd, 0.5)
    (True, True)
    """
    final = np.empty(n_paths)
    mdd = np.empty(n_paths)
    low = np.empty(n_paths)
    curve = np.empty((n_paths, points.shape[0]))
    mc_fill_nb(returns, 0, n_paths, method, seed, init, points, final, mdd, low, curve)
    return final, mdd, low, curve


def _fan_points(n: int) -> np.ndarray:
    if n <= MAX_FAN_POINTS:
        return np.arange(n + 1, dtype=np.int64)
    return np.unique(np.round(np.linspace(0, n, MAX_FAN_POINTS + 1))).astype(np.int64)


def _observed(returns: np.ndarray, init: float) -> tuple[float, float]:
    equity = init * np.cumprod(1.0 + returns)
    peaks = np.maximum.accumulate(np.concatenate([[init], equity]))[1:]
    return float(equity[-1]), float(np.max(1.0 - equity / peaks))


@dataclass(frozen=True)
class MonteCarloResult:
    """Outcome of :func:`monte_carlo`.

    Attributes
    ----------
    method : str
        ``"bootstrap"`` or ``"shuffle"``.
    n_paths, seed : int
    init_cash : float
        Starting equity of every path, quote currency.
    ruin_level : float
        Fraction of ``init_cash`` below which a path counts as ruined.
    trade_returns : ndarray
        The observed trade returns (fractions), in their original order.
    final_equity, max_drawdown, min_equity : ndarray
        Per path: equity after the last trade (quote), largest fall from a running peak
        (fraction >= 0), lowest equity reached (quote, the start included).
    steps : ndarray of int
        Trade numbers at which ``curves`` holds the equity (every trade up to
        :data:`MAX_FAN_POINTS` trades, else that many evenly spaced ones; 0 is the start).
    curves : ndarray (n_paths, len(steps))
        Equity of every path at ``steps``.
    observed_final_equity, observed_max_drawdown : float
        The same figures for the trades in their observed order.
    """

    method: str
    n_paths: int
    seed: int
    init_cash: float
    ruin_level: float
    trade_returns: np.ndarray
    final_equity: np.ndarray
    max_drawdown: np.ndarray
    min_equity: np.ndarray
    steps: np.ndarray
    curves: np.ndarray
    observed_final_equity: float
    observed_max_drawdown: float

    @property
    def risk_of_ruin(self) -> float:
        """Share of paths (fraction) whose equity ever falls below ``ruin_level * init_cash``.

        Examples
        --------
        >>> monte_carlo([-0.6, 0.1], n_paths=10, method="shuffle").risk_of_ruin
        1.0
        """
        return self.ruin_probability(self.ruin_level)

    def ruin_probability(self, level: float) -> float:
        """Share of paths whose equity ever falls below ``level * init_cash`` (level a fraction
        in (0, 1]; 0.5 = losing half the account).

        Examples
        --------
        >>> mc.ruin_probability(0.8)  # doctest: +SKIP
        """
        lvl = as_float(level, "level", low=0.0, high=1.0, low_open=True)
        return float(np.mean(self.min_equity < lvl * self.init_cash))

    def quantiles(self, q: Any = _DEFAULT_Q) -> pd.DataFrame:
        """Quantiles (numpy's linear interpolation) of final equity, total return and maximum
        drawdown over the paths; one row per ``q``.

        Examples
        --------
        >>> mc.quantiles([0.05, 0.5, 0.95])  # doctest: +SKIP
        """
        qs = _quantile_levels(q)
        final = np.quantile(self.final_equity, qs)
        return pd.DataFrame(
            {
                "final_equity": final,
                "total_return": final / self.init_cash - 1.0,
                "max_drawdown": np.quantile(self.max_drawdown, qs),
            },
            index=pd.Index(qs, name="quantile"),
        )

    def summary(self) -> pd.Series:
        """Observed versus simulated figures, risk of ruin and probability of a loss.

        Examples
        --------
        >>> mc.summary()["risk_of_ruin"]  # doctest: +SKIP
        """
        return pd.Series(
            {
                "n_trades": float(self.trade_returns.size),
                "n_paths": float(self.n_paths),
                "observed_final_equity": self.observed_final_equity,
                "median_final_equity": float(np.median(self.final_equity)),
                "p05_final_equity": float(np.quantile(self.final_equity, 0.05)),
                "p95_final_equity": float(np.quantile(self.final_equity, 0.95)),
                "prob_loss": float(np.mean(self.final_equity < self.init_cash)),
                "observed_max_drawdown": self.observed_max_drawdown,
                "median_max_drawdown": float(np.median(self.max_drawdown)),
                "p95_max_drawdown": float(np.quantile(self.max_drawdown, 0.95)),
                "prob_worse_drawdown": float(
                    np.mean(self.max_drawdown > self.observed_max_drawdown)
                ),
                "ruin_level": self.ruin_level,
                "risk_of_ruin": self.risk_of_ruin,
            },
            name="monte_carlo",
        )

    def bands(self, q: Any = (0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
        """Equity quantiles across paths at each kept trade number (rows) per ``q`` (columns).

        Examples
        --------
        >>> mc.bands().iloc[-1]  # doctest: +SKIP
        """
        qs = _quantile_levels(q)
        values = np.quantile(self.curves, qs, axis=0).T
        return pd.DataFrame(values, index=pd.Index(self.steps, name="trade"), columns=qs)

    def fan_chart(self, q: Any = (0.05, 0.25, 0.5, 0.75, 0.95), *, ax: Any = None) -> Any:
        """Fan chart: equity quantile bands per trade, the median and the observed path
        (matplotlib Figure).

        Examples
        --------
        >>> fig = mc.fan_chart()  # doctest: +SKIP
        """
        from soltrader.engine.validation.plots import fan_chart

        return fan_chart(self, q, ax=ax)

    def __repr__(self) -> str:
        return (
            f"MonteCarloResult({self.method}, {self.n_paths} paths x "
            f"{self.trade_returns.size} trades, median final "
            f"{np.median(self.final_equity):,.2f}, risk of ruin "
            f"{self.risk_of_ruin:.2%} below {self.ruin_level:.0%})"
        )


def _quantile_levels(q: Any) -> np.ndarray:
    qs = np.atleast_1d(np.asarray(q, dtype=np.float64))
    if qs.ndim != 1 or not qs.size or not ((qs >= 0.0) & (qs <= 1.0)).all():
        raise ParameterError("q", f"expected quantile levels in [0, 1], got {q!r}")
    return qs


def _trade_returns(trade_returns: Any) -> np.ndarray:
    if hasattr(trade_returns, "trades_records"):  # a backtest Result: res.trades["return"]
        trade_returns = trade_returns.trades_records["ret"]
    arr, _ = as_series_values(trade_returns, "trade_returns")
    if (arr < -1.0).any():
        row = int(np.flatnonzero(arr < -1.0)[0])
        raise ParameterError(
            "trade_returns",
            f"row {row} is {arr[row]}; a trade cannot lose more than everything (expected >= -1)",
        )
    return arr


def _batch_size(n_paths: int, n_trades: int) -> int:
    """Paths per batch with a progress bar (see :data:`MAX_BATCHES`, :data:`MIN_BATCH_DRAWS`).

    Examples
    --------
    >>> _batch_size(10_000, 500), _batch_size(10_000, 10)
    (200, 10000)
    """
    by_count = -(-n_paths // MAX_BATCHES)
    by_work = -(-MIN_BATCH_DRAWS // max(1, n_trades))
    return max(1, min(n_paths, max(by_count, by_work)))


def _simulate(
    returns: np.ndarray,
    n_paths: int,
    method: np.int64,
    seed: int,
    init: float,
    points: np.ndarray,
    progress: bool | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The paths of :func:`mc_paths_nb`: in one call, or in batches that advance a bar."""
    if not shows(progress):
        return mc_paths_nb(returns, np.int64(n_paths), method, np.int64(seed), init, points)
    final = np.empty(n_paths)
    mdd = np.empty(n_paths)
    low = np.empty(n_paths)
    curves = np.empty((n_paths, points.shape[0]))
    size = _batch_size(n_paths, returns.size)
    with progress_bar(progress, n_paths, desc="monte carlo", unit="path") as bar:
        for lo in range(0, n_paths, size):
            hi = min(n_paths, lo + size)
            mc_fill_nb(
                returns,
                np.int64(lo),
                np.int64(hi),
                method,
                np.int64(seed),
                init,
                points,
                final,
                mdd,
                low,
                curves,
            )
            bar.update(hi - lo)
    return final, mdd, low, curves


def monte_carlo(
    trade_returns: Any,
    *,
    n_paths: int = 10_000,
    method: str = "bootstrap",
    seed: int = 0,
    init_cash: float = 10_000.0,
    ruin_level: float = 0.5,
    progress: bool | None = None,
) -> MonteCarloResult:
    """Bootstrap or shuffle a sequence of trade returns into many equity paths.

    Parameters
    ----------
    trade_returns : array-like, Series or Result
        Per-trade returns (fractions, >= -1), e.g. ``res.trades["return"]``. A backtest
        ``Result`` gives exactly that: every trade in order, a position still open at the end
        included, marked at the last close as the equity is (so one more trade than
        ``res.stats()["n_trades"]``, which counts closed trades; pass
        ``res.trades.loc[~res.trades["is_open"], "return"]`` for the closed ones only).
    n_paths : int
        Number of simulated paths (>= 1).
    method : {"bootstrap", "shuffle"}
        Draw with replacement, or permute (see the module notes).
    seed : int
        Seed (>= 0); the same seed gives the same paths.
    init_cash : float
        Starting equity, quote currency (> 0).
    ruin_level : float
        A path is ruined when its equity falls below ``ruin_level * init_cash`` (fraction in
        (0, 1]; 0.5 = half the account lost).
    progress : bool or None
        A progress bar of the paths on standard error (a widget in Jupyter). With a bar the
        paths run in batches (at most :data:`MAX_BATCHES`, each of at least
        :data:`MIN_BATCH_DRAWS` draws), one kernel call and one update per batch; without, in
        one call. ``None`` (default) shows it only on a terminal or in Jupyter, once the run
        has lasted a second; ``True`` always; ``False`` never. The paths are the same either
        way (every draw is a function of the seed, the path number and the draw number).

    Returns
    -------
    MonteCarloResult
        Final-equity and max-drawdown distributions, ``risk_of_ruin``, ``quantiles()``,
        ``summary()``, ``fan_chart()``.

    Raises
    ------
    ParameterError
        No trades, returns below -1 or bad settings.
    DataError
        A non-finite trade return (the message names the row).

    Examples
    --------
    >>> mc = monte_carlo([0.05, -0.02, 0.03, -0.04, 0.06], n_paths=1000, seed=1,
    ...                  method="shuffle", init_cash=100.0)
    >>> bool(np.allclose(mc.final_equity, mc.observed_final_equity, rtol=1e-12))
    True
    >>> float(mc.max_drawdown.min()) <= mc.observed_max_drawdown <= float(mc.max_drawdown.max())
    True
    """
    returns = _trade_returns(trade_returns)
    paths = as_int(n_paths, "n_paths", low=1)
    if method not in _METHODS:
        raise ParameterError("method", f"{method!r}: use one of {sorted(_METHODS)}")
    seed_ = as_int(seed, "seed", low=0)
    if seed_ >= 2**63:
        raise ParameterError("seed", f"must be below 2**63, got {seed!r}")
    init = as_float(init_cash, "init_cash", low=0.0, low_open=True)
    level = as_float(ruin_level, "ruin_level", low=0.0, high=1.0, low_open=True)
    progress = check_progress(progress)
    points = _fan_points(returns.size)
    final, mdd, low, curves = _simulate(
        returns, paths, _METHODS[method], seed_, init, points, progress
    )
    obs_final, obs_mdd = _observed(returns, init)
    return MonteCarloResult(
        method,
        paths,
        seed_,
        init,
        level,
        returns,
        final,
        mdd,
        low,
        points,
        curves,
        obs_final,
        obs_mdd,
    )


__all__ = [
    "BOOTSTRAP",
    "MAX_BATCHES",
    "MAX_FAN_POINTS",
    "MIN_BATCH_DRAWS",
    "SHUFFLE",
    "MonteCarloResult",
    "mc_fill_nb",
    "mc_paths_nb",
    "monte_carlo",
]
