"""How much of a sweep's best result is selection luck: the probability of backtest overfitting
(CSCV) and the deflated Sharpe ratio.

References
----------
* D. H. Bailey, J. M. Borwein, M. López de Prado, Q. J. Zhu, "The Probability of Backtest
  Overfitting", *Journal of Computational Finance* 20(4), 2017 (SSRN 2326253, 2015).
* D. H. Bailey, M. López de Prado, "The Deflated Sharpe Ratio: Correcting for Selection Bias,
  Backtest Overfitting and Non-Normality", *Journal of Portfolio Management* 40(5), 2014.
* D. H. Bailey, M. López de Prado, "The Sharpe Ratio Efficient Frontier", *Journal of Risk*
  15(2), 2012 (the probabilistic Sharpe ratio).

All Sharpe ratios here are **per period** (per bar of the returns given, not annualised):
``mean(r) / std(r, ddof=1)``. To use an annualised figure divide it by ``sqrt(periods per
year)`` (and a variance of annualised Sharpe ratios by the periods per year).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, NamedTuple

import numba
import numpy as np
import pandas as pd

from soltrader.domain.errors import ParameterError
from soltrader.engine.validation._checks import as_float, as_int, as_matrix_values, as_series_values

#: Euler-Mascheroni constant (the expected maximum of N standard normals, Bailey & LdP 2014).
EULER_GAMMA = 0.5772156649015329

METRIC_SHARPE = np.int64(0)
METRIC_MEAN = np.int64(1)
METRIC_TOTAL_RETURN = np.int64(2)
_METRICS = {"sharpe": METRIC_SHARPE, "mean": METRIC_MEAN, "total_return": METRIC_TOTAL_RETURN}
_MAX_SPLITS = 20
_NORMAL = NormalDist()


# ---------------------------------------------------------------------------- kernels


@numba.njit(cache=True)
def block_sums_nb(
    returns: np.ndarray, bounds: np.ndarray, centre: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per block and column: sum of ``r - centre``, sum of ``(r - centre)**2`` and sum of
    ``log1p(r)``; blocks are the rows ``bounds[b] .. bounds[b + 1] - 1``.

    Centring on the column mean keeps the variance of any union of blocks accurate.

    Examples
    --------
    >>> s, q, g = block_sums_nb(np.array([[1.0], [3.0]]), np.array([0, 1, 2]), np.array([2.0]))
    >>> s[:, 0].tolist(), q[:, 0].tolist()
    ([-1.0, 1.0], [1.0, 1.0])
    """
    n_blocks = bounds.shape[0] - 1
    n_cols = returns.shape[1]
    sums = np.zeros((n_blocks, n_cols))
    sumsq = np.zeros((n_blocks, n_cols))
    logs = np.zeros((n_blocks, n_cols))
    for b in range(n_blocks):
        for t in range(bounds[b], bounds[b + 1]):
            for j in range(n_cols):
                d = returns[t, j] - centre[j]
                sums[b, j] += d
                sumsq[b, j] += d * d
                logs[b, j] += np.log1p(returns[t, j])
    return sums, sumsq, logs


@numba.njit(cache=True)
def _perf_nb(count: float, s: float, q: float, g: float, centre: float, metric: np.int64) -> float:
    """One configuration's metric over a union of blocks from its summed moments."""
    if metric == METRIC_TOTAL_RETURN:
        return np.expm1(g)
    mean = centre + s / count
    if metric == METRIC_MEAN:
        return mean
    var = (q - s * s / count) / (count - 1.0)
    if var <= 0.0:  # flat over the sub-sample: ranks as Sharpe 0 (or +-inf with a drift)
        if mean > 0.0:
            return np.inf
        if mean < 0.0:
            return -np.inf
        return 0.0
    return mean / np.sqrt(var)


@numba.njit(cache=True)
def _fill_perf_nb(
    in_set: np.ndarray,
    counts: np.ndarray,
    sums: np.ndarray,
    sumsq: np.ndarray,
    logs: np.ndarray,
    centre: np.ndarray,
    metric: np.int64,
    out: np.ndarray,
) -> None:
    """``out[j]`` = metric of column ``j`` over the blocks flagged in ``in_set``."""
    n_blocks, n_cols = sums.shape
    for j in range(n_cols):
        count = 0.0
        s = 0.0
        q = 0.0
        g = 0.0
        for b in range(n_blocks):
            if in_set[b]:
                count += counts[b]
                s += sums[b, j]
                q += sumsq[b, j]
                g += logs[b, j]
        out[j] = _perf_nb(count, s, q, g, centre[j], metric)


@numba.njit(cache=True)
def mid_rank_nb(values: np.ndarray, k: int) -> float:
    """Rank (1 = lowest, ties share their average rank) of ``values[k]`` within ``values``.

    Examples
    --------
    >>> mid_rank_nb(np.array([3.0, 1.0, 3.0]), 0)
    2.5
    """
    v = values[k]
    less = 0
    equal = 0
    for x in values:
        if x < v:
            less += 1
        elif x == v:
            equal += 1
    return less + (equal + 1) / 2.0


@numba.njit(cache=True)
def cscv_nb(
    counts: np.ndarray,
    sums: np.ndarray,
    sumsq: np.ndarray,
    logs: np.ndarray,
    centre: np.ndarray,
    combos: np.ndarray,
    metric: np.int64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Combinatorially symmetric cross-validation over precomputed block sums.

    For every row of ``combos`` (the in-sample blocks) the configuration with the best
    in-sample metric is picked (first on ties); returns its index, its in-sample and
    out-of-sample metric and its out-of-sample mid-rank (1..N) per combination.

    Examples
    --------
    >>> r = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> c = np.zeros(2)
    >>> s, q, g = block_sums_nb(r, np.array([0, 1, 2]), c)
    >>> best, _, _, rank = cscv_nb(np.ones(2), s, q, g, c, np.array([[0], [1]]), METRIC_MEAN)
    >>> best.tolist(), rank.tolist()
    ([0, 1], [1.0, 1.0])
    """
    n_combos = combos.shape[0]
    n_blocks, n_cols = sums.shape
    best = np.empty(n_combos, dtype=np.int64)
    is_perf = np.empty(n_combos)
    oos_perf = np.empty(n_combos)
    oos_rank = np.empty(n_combos)
    in_set = np.zeros(n_blocks, dtype=np.bool_)
    out_set = np.zeros(n_blocks, dtype=np.bool_)
    is_vals = np.empty(n_cols)
    oos_vals = np.empty(n_cols)
    for c in range(n_combos):
        in_set[:] = False
        for i in range(combos.shape[1]):
            in_set[combos[c, i]] = True
        for b in range(n_blocks):
            out_set[b] = not in_set[b]
        _fill_perf_nb(in_set, counts, sums, sumsq, logs, centre, metric, is_vals)
        _fill_perf_nb(out_set, counts, sums, sumsq, logs, centre, metric, oos_vals)
        k = 0
        for j in range(1, n_cols):
            if is_vals[j] > is_vals[k]:
                k = j
        best[c] = k
        is_perf[c] = is_vals[k]
        oos_perf[c] = oos_vals[k]
        oos_rank[c] = mid_rank_nb(oos_vals, k)
    return best, is_perf, oos_perf, oos_rank


# ---------------------------------------------------------------------------- PBO


@dataclass(frozen=True)
class PBOResult:
    """Outcome of :func:`pbo_cscv`.

    Attributes
    ----------
    pbo : float
        Probability of backtest overfitting: the share of combinations whose in-sample best
        configuration ranks at or below the out-of-sample median (logit <= 0).
    logits : ndarray
        ``log(w / (1 - w))`` per combination, ``w = rank / (N + 1)`` the relative out-of-sample
        rank of the in-sample best (rank 1 = worst, mid-ranks for ties).
    oos_relative_rank : ndarray
        ``w`` per combination, in (0, 1).
    is_best : ndarray of int
        Column of the in-sample best configuration per combination.
    is_performance, oos_performance : ndarray
        Its metric in sample and out of sample, per combination.
    slope, intercept : float
        Performance degradation: least-squares line ``oos = intercept + slope * is`` over the
        combinations (a negative slope means in-sample excellence predicts out-of-sample
        disappointment).
    prob_oos_loss : float
        Share of combinations whose selected configuration has an out-of-sample metric < 0.
    n_splits, n_combinations : int
        Blocks S and combinations C(S, S/2).
    metric : str
        Name of the metric (``"callable"`` for a function).
    configs : list
        Configuration labels (column names or positions).
    """

    pbo: float
    logits: np.ndarray
    oos_relative_rank: np.ndarray
    is_best: np.ndarray
    is_performance: np.ndarray
    oos_performance: np.ndarray
    slope: float
    intercept: float
    prob_oos_loss: float
    n_splits: int
    n_combinations: int
    metric: str
    configs: list[Any]

    def table(self) -> pd.DataFrame:
        """One row per combination: selected config, in/out-of-sample metric, rank, logit.

        Examples
        --------
        >>> res.table().head()  # doctest: +SKIP
        """
        return pd.DataFrame(
            {
                "config": [self.configs[j] for j in self.is_best],
                "is_performance": self.is_performance,
                "oos_performance": self.oos_performance,
                "oos_relative_rank": self.oos_relative_rank,
                "logit": self.logits,
            }
        )

    def plot(self) -> Any:
        """Histogram of the logits and the degradation scatter (matplotlib Figure).

        Examples
        --------
        >>> fig = res.plot()  # doctest: +SKIP
        """
        from soltrader.engine.validation.plots import plot_pbo

        return plot_pbo(self)

    def __repr__(self) -> str:
        return (
            f"PBOResult(pbo={self.pbo:.3f}, {self.n_combinations} combinations of "
            f"{self.n_splits} blocks, {len(self.configs)} configs, metric={self.metric}, "
            f"slope={self.slope:.3f})"
        )


def _combinations(s: int) -> np.ndarray:
    return np.array(list(itertools.combinations(range(s), s // 2)), dtype=np.int64)


def _callable_cscv(
    matrix: np.ndarray, bounds: np.ndarray, combos: np.ndarray, metric: Callable[[np.ndarray], Any]
) -> tuple[np.ndarray, ...]:
    """CSCV with a user metric: ``metric(rows (t, N)) -> (N,)``; slower (Python loop)."""
    n_cols = matrix.shape[1]
    blocks = [np.arange(bounds[b], bounds[b + 1]) for b in range(len(bounds) - 1)]
    out = (
        np.empty(len(combos), dtype=np.int64),
        np.empty(len(combos)),
        np.empty(len(combos)),
        np.empty(len(combos)),
    )
    for c, combo in enumerate(combos):
        rest = np.setdiff1d(np.arange(len(blocks)), combo)
        is_vals = _metric_values(metric, matrix[np.concatenate([blocks[b] for b in combo])], n_cols)
        oos_vals = _metric_values(metric, matrix[np.concatenate([blocks[b] for b in rest])], n_cols)
        k = int(np.argmax(np.where(np.isnan(is_vals), -np.inf, is_vals)))
        out[0][c], out[1][c], out[2][c] = k, is_vals[k], oos_vals[k]
        out[3][c] = mid_rank_nb(oos_vals, k)
    return out


def _metric_values(metric: Callable[[np.ndarray], Any], rows: np.ndarray, n: int) -> np.ndarray:
    vals = np.asarray(metric(rows), dtype=np.float64)
    if vals.shape != (n,):
        raise ParameterError(
            "metric",
            f"must return one value per configuration (shape ({n},)), got shape {vals.shape}",
        )
    return vals


def pbo_cscv(
    perf_matrix: Any, n_splits: int = 16, metric: str | Callable[[np.ndarray], Any] = "sharpe"
) -> PBOResult:
    """Probability of backtest overfitting by combinatorially symmetric cross-validation.

    Bailey, Borwein, López de Prado & Zhu (2015): the T x N matrix of per-period returns of N
    configurations is cut by rows into S contiguous blocks (sizes differing by at most one row).
    For each of the C(S, S/2) ways of choosing S/2 blocks as in-sample (the rest, in time order,
    out-of-sample): pick the configuration n* with the best in-sample metric, find the relative
    rank ``w = rank / (N + 1)`` of its out-of-sample metric (rank 1 = worst, mid-ranks for ties)
    and its logit ``log(w / (1 - w))``. ``PBO`` is the share of logits ``<= 0``: how often the
    in-sample winner does no better than the median configuration out of sample.

    Parameters
    ----------
    perf_matrix : ndarray (T, N), pandas or polars DataFrame
        Per-period returns (fractions) of each configuration of a sweep, one column per
        configuration, rows in time order; finite.
    n_splits : int
        S, even, ``2 <= S <= 20`` and ``S <= T`` (C(16, 8) = 12,870 combinations by default).
    metric : {"sharpe", "mean", "total_return"} or callable
        Per-period Sharpe ``mean / std(ddof=1)`` (a flat sub-sample counts as 0, or +-inf with
        a drift), mean return, or compounded total return; or ``f(rows) -> (N,)`` on a (t, N)
        array (higher is better; runs a Python loop).

    Returns
    -------
    PBOResult

    Raises
    ------
    ParameterError
        An empty matrix, fewer than 2 configurations, a bad ``n_splits`` or ``metric``.
    DataError
        A non-finite value (the message names the row and column).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> res = pbo_cscv(rng.normal(0.0, 0.01, (400, 50)), n_splits=8)
    >>> 0.2 < res.pbo < 0.8   # pure noise: the in-sample winner is a coin toss out of sample
    True
    """
    matrix, labels = as_matrix_values(perf_matrix, "perf_matrix")
    t, n = matrix.shape
    s = as_int(n_splits, "n_splits", low=2)
    if s % 2 or s > _MAX_SPLITS:
        raise ParameterError("n_splits", f"must be even and at most {_MAX_SPLITS}, got {s}")
    if n < 2:
        raise ParameterError("perf_matrix", f"needs at least 2 configurations (columns), got {n}")
    need = max(s, 4) if metric == "sharpe" else s  # a Sharpe half needs >= 2 periods
    if t < need:
        raise ParameterError("n_splits", f"{s} blocks need at least {need} periods (rows), got {t}")
    if not callable(metric) and metric not in _METRICS:
        raise ParameterError("metric", f"{metric!r}: use one of {sorted(_METRICS)} or a function")
    if metric == "total_return" and (matrix < -1.0).any():
        row, col = (int(v) for v in np.argwhere(matrix < -1.0)[0])
        raise ParameterError(
            "perf_matrix",
            f"row {row}, column {labels[col]!r} is a return below -1 ({matrix[row, col]})",
        )
    bounds = np.cumsum([0] + [len(p) for p in np.array_split(np.arange(t), s)]).astype(np.int64)
    combos = _combinations(s)
    if callable(metric):
        best, is_perf, oos_perf, rank = _callable_cscv(matrix, bounds, combos, metric)
        name = getattr(metric, "__name__", "callable")
    else:
        centre = matrix.mean(axis=0)
        sums, sumsq, logs = block_sums_nb(matrix, bounds, centre)
        counts = np.diff(bounds).astype(np.float64)
        best, is_perf, oos_perf, rank = cscv_nb(
            counts, sums, sumsq, logs, centre, combos, _METRICS[metric]
        )
        name = metric
    return _pbo_result(best, is_perf, oos_perf, rank, n, s, name, labels)


def _pbo_result(
    best: np.ndarray,
    is_perf: np.ndarray,
    oos_perf: np.ndarray,
    rank: np.ndarray,
    n: int,
    s: int,
    name: str,
    labels: list[Any],
) -> PBOResult:
    w = rank / (n + 1.0)
    logits = np.log(w / (1.0 - w))
    finite = np.isfinite(is_perf) & np.isfinite(oos_perf)
    slope = intercept = np.nan
    if finite.sum() >= 2 and np.ptp(is_perf[finite]) > 0:
        slope, intercept = (float(v) for v in np.polyfit(is_perf[finite], oos_perf[finite], 1))
    return PBOResult(
        pbo=float(np.mean(logits <= 0.0)),
        logits=logits,
        oos_relative_rank=w,
        is_best=best,
        is_performance=is_perf,
        oos_performance=oos_perf,
        slope=slope,
        intercept=intercept,
        prob_oos_loss=float(np.mean(oos_perf < 0.0)),
        n_splits=s,
        n_combinations=len(best),
        metric=name,
        configs=labels,
    )


# ---------------------------------------------------------------------------- Sharpe


class SharpeStats(NamedTuple):
    """Per-period Sharpe ratio and the moments the PSR / DSR need."""

    sr: float
    n_obs: int
    skew: float
    kurtosis: float


def sharpe_stats(returns: Any) -> SharpeStats:
    """Per-period Sharpe ``mean / std(ddof=1)``, number of returns, skewness and (Pearson, not
    excess) kurtosis of a return series; skewness and kurtosis use population moments (as
    ``scipy.stats.skew`` and ``scipy.stats.kurtosis(fisher=False)``).

    Examples
    --------
    >>> st = sharpe_stats([0.01, -0.01, 0.02, 0.0])
    >>> round(st.sr, 6), st.n_obs, round(st.kurtosis, 6)
    (0.387298, 4, 1.64)
    """
    r, _ = as_series_values(returns, "returns", min_size=3)
    if np.ptp(r) == 0.0:
        raise ParameterError(
            "returns", "are constant: the Sharpe ratio and the moments are undefined"
        )
    d = r - r.mean()
    m2 = float(np.mean(d * d))
    return SharpeStats(
        float(r.mean() / r.std(ddof=1)),
        int(r.size),
        float(np.mean(d**3) / m2**1.5),
        float(np.mean(d**4) / m2**2),
    )


def _check_moments(skew: float, kurtosis: float) -> tuple[float, float]:
    g3 = as_float(skew, "skew", low=-np.inf)
    g4 = as_float(kurtosis, "kurtosis", low=1.0)
    if g4 < 1.0 + g3 * g3 - 1e-12:
        raise ParameterError(
            "kurtosis",
            f"must be >= 1 + skew**2 = {1.0 + g3 * g3:.6g} for any "
            f"distribution (Pearson kurtosis, 3 for a normal), got "
            f"{kurtosis!r}; an excess kurtosis needs + 3",
        )
    return g3, g4


def probabilistic_sharpe_ratio(
    sr: float, sr_benchmark: float, n_obs: int, skew: float = 0.0, kurtosis: float = 3.0
) -> float:
    """Probability that the true Sharpe ratio exceeds ``sr_benchmark`` (Bailey & LdP 2012).

    ``PSR = Phi((sr - sr*) * sqrt(T - 1) / sqrt(1 - skew * sr + (kurtosis - 1) / 4 * sr**2))``,
    all Sharpe ratios per period (not annualised), ``kurtosis`` Pearson (3 for a normal).

    Parameters
    ----------
    sr : float
        Observed per-period Sharpe ratio.
    sr_benchmark : float
        Per-period Sharpe ratio to beat (0 for "is it positive at all").
    n_obs : int
        Number of returns T (>= 2).
    skew, kurtosis : float
        Of the returns; ``kurtosis >= 1 + skew**2``.

    Returns
    -------
    float
        Probability in [0, 1].

    Examples
    --------
    >>> round(probabilistic_sharpe_ratio(0.1, 0.0, 101), 4)   # z = 0.1 * 10 / sqrt(1.005)
    0.8407
    """
    sr_ = as_float(sr, "sr", low=-np.inf)
    bench = as_float(sr_benchmark, "sr_benchmark", low=-np.inf)
    t = as_int(n_obs, "n_obs", low=2)
    g3, g4 = _check_moments(skew, kurtosis)
    denom = 1.0 - g3 * sr_ + (g4 - 1.0) / 4.0 * sr_ * sr_
    return _NORMAL.cdf((sr_ - bench) * math.sqrt(t - 1.0) / math.sqrt(denom))


def expected_max_sharpe(n_trials: int, var_trials_sr: float) -> float:
    """Expected maximum per-period Sharpe ratio of ``n_trials`` unskilled trials (SR0).

    ``SR0 = sqrt(V) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e)))``, ``g`` the
    Euler-Mascheroni constant, ``V`` the variance of the trials' Sharpe ratios (Bailey & LdP
    2014, eq. 3 with the false-strategy theorem); 0 for a single trial (nothing was selected).

    Examples
    --------
    >>> round(expected_max_sharpe(100, 0.5 / 250), 4)   # the DSR paper's example
    0.1132
    """
    n = as_int(n_trials, "n_trials", low=1)
    v = as_float(var_trials_sr, "var_trials_sr", low=0.0)
    if n == 1:
        return 0.0
    z1 = _NORMAL.inv_cdf(1.0 - 1.0 / n)
    z2 = _NORMAL.inv_cdf(1.0 - 1.0 / (n * math.e))
    return math.sqrt(v) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2)


def deflated_sharpe_ratio(
    sr: float,
    n_trials: int,
    var_trials_sr: float,
    n_obs: int,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """Deflated Sharpe ratio: the PSR of the selected strategy against the Sharpe ratio that the
    best of ``n_trials`` unskilled trials would reach (Bailey & López de Prado 2014).

    ``DSR = PSR(sr* = expected_max_sharpe(n_trials, var_trials_sr))``. Read it as the
    probability that the selected strategy's true Sharpe ratio is positive after accounting for
    how many configurations were tried, the sample length and non-normal returns; 0.95 is the
    usual bar.

    Parameters
    ----------
    sr : float
        Per-period Sharpe ratio of the selected configuration.
    n_trials : int
        Number of (effectively independent) configurations tried.
    var_trials_sr : float
        Variance of the per-period Sharpe ratios across the trials.
    n_obs : int
        Number of returns T of the selected configuration.
    skew, kurtosis : float
        Of its returns; Pearson kurtosis (3 for a normal).

    Examples
    --------
    >>> sr = 2.5 / 250 ** 0.5       # annualised 2.5 over 250 days a year
    >>> round(deflated_sharpe_ratio(sr, 100, 0.5 / 250, 1250, -3.0, 10.0), 3)
    0.9
    """
    sr0 = expected_max_sharpe(n_trials, var_trials_sr)
    return probabilistic_sharpe_ratio(sr, sr0, n_obs, skew, kurtosis)


class DeflatedSharpe(NamedTuple):
    """The deflated Sharpe ratio of a sweep's best configuration and its inputs (``n_flat``:
    configurations whose returns are all zero, counted as trials with a Sharpe ratio of 0)."""

    dsr: float
    psr: float
    sr: float
    sr0: float
    n_trials: int
    var_trials_sr: float
    n_obs: int
    skew: float
    kurtosis: float
    best: Any
    n_flat: int = 0


def deflated_sharpe_from_sweep(perf_matrix: Any, *, n_trials: int | None = None) -> DeflatedSharpe:
    """Deflated Sharpe ratio of the best column of a sweep's (T x N) per-period returns.

    The selected configuration is the one with the highest per-period Sharpe ratio; the
    variance of the trials' Sharpe ratios is their sample variance (ddof=1) across the N
    columns; ``n_trials`` defaults to N (give a smaller number of effectively independent
    trials when configurations are strongly correlated). ``psr`` is its PSR against 0.

    A column of zeros (a configuration that never traded, its account flat) is a trial with a
    Sharpe ratio of 0, as in :func:`pbo_cscv`; ``n_flat`` counts them. When such a column is the
    best one, nothing that traded beat doing nothing: ``sr``, ``psr`` and ``dsr`` are 0 and the
    moments are nan.

    Raises
    ------
    ParameterError
        Fewer than 3 periods, or a column that is constant but not zero (a riskless drift has
        no Sharpe ratio).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> d = deflated_sharpe_from_sweep(rng.normal(0.0, 0.01, (1000, 200)))
    >>> d.psr > 0.9 and d.dsr < 0.5     # noise looks good alone, not once deflated
    True
    >>> m = np.column_stack([rng.normal(0.001, 0.01, 500), np.zeros(500)])
    >>> deflated_sharpe_from_sweep(m).n_flat   # the second configuration never traded
    1
    """
    matrix, labels = as_matrix_values(perf_matrix, "perf_matrix")
    t, n = matrix.shape
    if t < 3:
        raise ParameterError("perf_matrix", f"needs at least 3 periods (rows), got {t}")
    std = matrix.std(axis=0, ddof=1)
    flat = (matrix == 0.0).all(axis=0)
    drift = (std == 0.0) & ~flat
    if drift.any():
        col = int(np.flatnonzero(drift)[0])
        raise ParameterError(
            "perf_matrix",
            f"column {labels[col]!r} is constant and not zero: its Sharpe ratio is undefined",
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        srs = np.where(flat, 0.0, matrix.mean(axis=0) / np.where(flat, 1.0, std))
    k = int(np.argmax(srs))
    trials = n if n_trials is None else as_int(n_trials, "n_trials", low=1)
    var = float(srs.var(ddof=1)) if n > 1 else 0.0
    sr0 = expected_max_sharpe(trials, var)
    common = dict(sr0=sr0, n_trials=trials, var_trials_sr=var, n_obs=t, best=labels[k])
    if flat[k]:
        return DeflatedSharpe(
            dsr=0.0,
            psr=0.0,
            sr=0.0,
            skew=np.nan,
            kurtosis=np.nan,
            n_flat=int(flat.sum()),
            **common,
        )
    st = sharpe_stats(matrix[:, k])
    return DeflatedSharpe(
        dsr=probabilistic_sharpe_ratio(st.sr, sr0, t, st.skew, st.kurtosis),
        psr=probabilistic_sharpe_ratio(st.sr, 0.0, t, st.skew, st.kurtosis),
        sr=st.sr,
        skew=st.skew,
        kurtosis=st.kurtosis,
        n_flat=int(flat.sum()),
        **common,
    )


__all__ = [
    "EULER_GAMMA",
    "DeflatedSharpe",
    "PBOResult",
    "SharpeStats",
    "block_sums_nb",
    "cscv_nb",
    "deflated_sharpe_from_sweep",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "mid_rank_nb",
    "pbo_cscv",
    "probabilistic_sharpe_ratio",
    "sharpe_stats",
]
