"""Statistical tests on a return series, as thin wrappers over statsmodels that say in one
sentence what the result means.

* :func:`adf` -- augmented Dickey-Fuller (``statsmodels.tsa.stattools.adfuller``): null
  hypothesis "the series has a unit root" (it wanders like a random walk).
* :func:`jarque_bera` -- Jarque-Bera (``statsmodels.stats.stattools.jarque_bera``): null
  "skewness 0 and kurtosis 3", i.e. normal-looking returns.
* :func:`ljung_box` -- Ljung-Box (``statsmodels.stats.diagnostic.acorr_ljungbox``): null "no
  autocorrelation at lags 1..L"; on squared returns it tests for volatility clustering.

statsmodels is imported on first use, so ``import soltrader`` stays fast.
"""

from __future__ import annotations

import inspect
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from soltrader.domain.errors import ParameterError
from soltrader.engine.validation._checks import as_float, as_int, as_series_values


class StatTestResult(NamedTuple):
    """One test: its statistic, p-value, a one-sentence reading and the extra figures."""

    test: str
    statistic: float
    pvalue: float
    conclusion: str
    details: dict[str, Any]


def _series(returns: Any, min_size: int) -> np.ndarray:
    arr, _ = as_series_values(returns, "returns", min_size=min_size)
    if np.ptp(arr) == 0.0:
        raise ParameterError("returns", "are constant: there is nothing to test")
    return arr


def _alpha(alpha: float) -> float:
    return as_float(alpha, "alpha", low=0.0, high=1.0, low_open=True)


def adf(
    returns: Any,
    *,
    regression: str = "c",
    autolag: str | None = "AIC",
    maxlag: int | None = None,
    alpha: float = 0.05,
) -> StatTestResult:
    """Augmented Dickey-Fuller unit-root test.

    Parameters
    ----------
    returns : array-like or Series
        The series to test (per-bar returns, fractions; or prices), finite, >= 10 values.
    regression : {"c", "ct", "ctt", "n"}
        Deterministic terms: constant, + trend, + quadratic trend, none (statsmodels).
    autolag : {"AIC", "BIC", "t-stat"} or None
        How statsmodels picks the number of lags (``None``: use ``maxlag``).
    maxlag : int, optional
        Largest lag considered (statsmodels' default ``12 * (n / 100) ** 0.25``).
    alpha : float
        Significance level of the conclusion.

    Returns
    -------
    StatTestResult
        ``details``: ``used_lag``, ``n_obs``, ``critical_values`` (1 %, 5 %, 10 %).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> adf(rng.normal(0, 0.01, 500)).pvalue < 0.01     # white noise has no unit root
    True
    """
    from statsmodels.tsa.stattools import adfuller

    x = _series(returns, 10)
    if regression not in ("c", "ct", "ctt", "n"):
        raise ParameterError("regression", f"{regression!r}: use 'c', 'ct', 'ctt' or 'n'")
    lag = None if maxlag is None else as_int(maxlag, "maxlag", low=0)
    extra = (
        {"result_object": False}  # the plain tuple, on statsmodels before and after 0.15
        if "result_object" in inspect.signature(adfuller).parameters
        else {}
    )
    try:
        # statsmodels returns (stat, p, lag, nobs, critical values) and, with autolag, the
        # information criterion's best value as a sixth item
        stat, p, used, nobs, crit = adfuller(
            x, maxlag=lag, regression=regression, autolag=autolag, **extra
        )[:5]
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise ParameterError("returns", f"the ADF regression cannot be run ({exc})") from exc
    a = _alpha(alpha)
    if p < a:
        text = (
            f"Rejects a unit root at the {a:.0%} level (p={p:.3g}): the series looks "
            "stationary, fluctuating around a stable level."
        )
    else:
        text = (
            f"Cannot reject a unit root at the {a:.0%} level (p={p:.3g}): the series may "
            "wander like a random walk (non-stationary)."
        )
    return StatTestResult(
        "adf",
        float(stat),
        float(p),
        text,
        {"used_lag": int(used), "n_obs": int(nobs), "critical_values": dict(crit)},
    )


def jarque_bera(returns: Any, *, alpha: float = 0.05) -> StatTestResult:
    """Jarque-Bera test of normality from skewness and kurtosis.

    ``JB = n / 6 * (S**2 + (K - 3)**2 / 4)``, chi-squared with 2 degrees of freedom under
    normality (statsmodels ``jarque_bera``; ``K`` is the Pearson kurtosis, 3 for a normal).

    Returns
    -------
    StatTestResult
        ``details``: ``skew``, ``kurtosis``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> jarque_bera(rng.standard_t(3, 2000)).pvalue < 0.01   # fat tails
    True
    """
    from statsmodels.stats.stattools import jarque_bera as sm_jarque_bera

    x = _series(returns, 3)
    stat, p, skew, kurt = sm_jarque_bera(x)
    a = _alpha(alpha)
    if p < a:
        text = (
            f"Rejects normality at the {a:.0%} level (p={p:.3g}): skewness {skew:.2f} and "
            f"kurtosis {kurt:.2f} (a normal has 0 and 3), so normal-based confidence in "
            "Sharpe ratios and VaR is overstated."
        )
    else:
        text = (
            f"Cannot reject normality at the {a:.0%} level (p={p:.3g}): skewness "
            f"{skew:.2f} and kurtosis {kurt:.2f} are compatible with a normal."
        )
    return StatTestResult(
        "jarque_bera", float(stat), float(p), text, {"skew": float(skew), "kurtosis": float(kurt)}
    )


def ljung_box(
    returns: Any, lags: int = 10, *, squared: bool = False, alpha: float = 0.05
) -> StatTestResult:
    """Ljung-Box test that the autocorrelations at lags 1..``lags`` are all zero.

    ``Q = n (n + 2) * sum_k rho_k**2 / (n - k)``, chi-squared with ``lags`` degrees of freedom
    (statsmodels ``acorr_ljungbox``). With ``squared=True`` the test runs on the squared,
    demeaned returns: a rejection then means volatility clusters (ARCH effects).

    Parameters
    ----------
    returns : array-like or Series
        Per-bar returns, finite, more than ``lags + 1`` values.
    lags : int
        Highest lag tested (bars, >= 1).
    squared : bool
        Test ``(r - mean(r))**2`` instead of ``r``.
    alpha : float
        Significance level of the conclusion.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ljung_box(rng.normal(0, 0.01, 1000), 10).pvalue > 0.05
    True
    """
    from statsmodels.stats.diagnostic import acorr_ljungbox

    lag = as_int(lags, "lags", low=1)
    x = _series(returns, lag + 2)
    if squared:
        x = (x - x.mean()) ** 2
    table = acorr_ljungbox(x, lags=[lag], return_df=True)
    stat, p = float(table["lb_stat"].iloc[0]), float(table["lb_pvalue"].iloc[0])
    a = _alpha(alpha)
    what = "squared returns" if squared else "returns"
    if p < a:
        meaning = (
            "volatility clusters (calm and wild periods persist)"
            if squared
            else "past returns carry information about the next ones"
        )
        text = (
            f"Rejects 'no autocorrelation up to lag {lag}' in the {what} at the {a:.0%} "
            f"level (p={p:.3g}): {meaning}."
        )
    else:
        text = (
            f"Cannot reject 'no autocorrelation up to lag {lag}' in the {what} at the "
            f"{a:.0%} level (p={p:.3g}): they look serially independent."
        )
    name = "ljung_box_squared" if squared else "ljung_box"
    return StatTestResult(name, stat, p, text, {"lags": lag})


def return_tests(returns: Any, *, lags: int = 10, alpha: float = 0.05) -> pd.DataFrame:
    """ADF, Jarque-Bera, Ljung-Box on returns and on squared returns, as one table.

    Parameters
    ----------
    returns : array-like or Series
        Per-bar returns (fractions), finite.
    lags : int
        Ljung-Box lags (bars).
    alpha : float
        Significance level of the ``reject`` column and the conclusions.

    Returns
    -------
    pandas.DataFrame
        Index ``adf, jarque_bera, ljung_box, ljung_box_squared``; columns ``statistic``,
        ``pvalue``, ``reject`` (p < alpha) and ``conclusion``.

    Examples
    --------
    >>> rets = bars["close"].pct_change().dropna()           # doctest: +SKIP
    >>> return_tests(rets, lags=24)[["pvalue", "reject"]]     # doctest: +SKIP
    """
    a = _alpha(alpha)
    results = [
        adf(returns, alpha=a),
        jarque_bera(returns, alpha=a),
        ljung_box(returns, lags, alpha=a),
        ljung_box(returns, lags, squared=True, alpha=a),
    ]
    return pd.DataFrame(
        {
            "statistic": [r.statistic for r in results],
            "pvalue": [r.pvalue for r in results],
            "reject": [r.pvalue < a for r in results],
            "conclusion": [r.conclusion for r in results],
        },
        index=pd.Index([r.test for r in results], name="test"),
    )


__all__ = ["StatTestResult", "adf", "jarque_bera", "ljung_box", "return_tests"]
