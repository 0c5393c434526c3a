"""GARCH(1,1) volatility forecast with Student-t innovations.

Model (per bar, returns ``r_t`` as fractions)::

    r_t = mu + e_t,   e_t = sigma_t * z_t,   z_t ~ standardised Student-t(nu)
    sigma2_t = omega + alpha * e_{t-1} ** 2 + beta * sigma2_{t-1}

The parameters are estimated by maximum likelihood with the ``arch`` package (on returns scaled
by ``scale``, 100 by default, which its optimiser prefers; they are reported back in fraction
units). The in-sample variances and the forecasts are then computed by this package's kernels
(:func:`soltrader.risk.nb.garch_variance_nb`, :func:`soltrader.risk.nb.garch_forecast_nb`),
started like ``arch`` from its backcast, so they agree with ``arch``'s own
``conditional_volatility`` and ``forecast()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from soltrader.domain.errors import Error, ParameterError
from soltrader.risk import nb
from soltrader.risk._inputs import positive_int, returns_array

#: Fewest returns :func:`garch_forecast` accepts.
MIN_OBS = 100


class GarchFitError(Error, RuntimeError):
    """The GARCH likelihood optimisation did not converge; the message carries the optimiser's."""


@dataclass(frozen=True)
class GarchForecast:
    """A fitted GARCH(1,1)-t model and its variance forecasts.

    Attributes
    ----------
    mu : float
        Mean return per bar (fraction).
    omega : float
        Constant of the variance equation (squared fraction per bar).
    alpha, beta : float
        Weight of the last squared shock and of the last variance.
    nu : float
        Degrees of freedom of the Student-t innovations (> 2).
    variance : numpy.ndarray
        Forecast variance of the next ``horizon`` bars' returns (squared fractions).
    conditional_volatility : numpy.ndarray
        In-sample conditional volatility per bar (fractions).
    loglikelihood : float
        Log-likelihood at the optimum (of the scaled returns, as ``arch`` reports it).

    Examples
    --------
    >>> r = np.random.default_rng(0).standard_t(5, 2_000) * 0.01
    >>> fc = garch_forecast(r, horizon=3)
    >>> fc.variance.shape, bool(fc.volatility[0] > 0), fc.nu > 2
    ((3,), True, True)
    """

    mu: float
    omega: float
    alpha: float
    beta: float
    nu: float
    variance: np.ndarray
    conditional_volatility: np.ndarray
    loglikelihood: float

    @property
    def volatility(self) -> np.ndarray:
        """Forecast volatility per bar ahead, ``sqrt(variance)`` (fractions)."""
        return np.sqrt(self.variance)

    @property
    def persistence(self) -> float:
        """``alpha + beta``: how slowly a shock to the variance decays (< 1: stationary)."""
        return self.alpha + self.beta

    def annualized(self, periods_per_year: float) -> float:
        """Next bar's forecast volatility per year: ``sqrt(variance[0] * periods_per_year)``.

        Examples
        --------
        >>> fc = GarchForecast(0.0, 1e-6, 0.1, 0.8, 5.0, np.array([1e-4]), np.ones(1), 0.0)
        >>> round(fc.annualized(8760), 6)
        0.935949
        """
        if not (isinstance(periods_per_year, int | float) and periods_per_year > 0):
            raise ParameterError("periods_per_year", f"expected > 0, got {periods_per_year!r}")
        return math.sqrt(float(self.variance[0]) * periods_per_year)


def _fit(scaled: np.ndarray) -> Any:
    """Fit a constant-mean GARCH(1,1) with Student-t errors with ``arch``."""
    from arch import arch_model

    model = arch_model(scaled, mean="Constant", vol="GARCH", p=1, q=1, dist="t", rescale=False)
    result = model.fit(disp="off", show_warning=False)
    if result.convergence_flag != 0:
        raise GarchFitError(f"GARCH(1,1)-t did not converge: {result.optimization_result.message}")
    return result


def garch_forecast(returns: Any, *, horizon: int = 1, scale: float = 100.0) -> GarchForecast:
    """Fit GARCH(1,1) with Student-t innovations and forecast the next bars' variance.

    Parameters
    ----------
    returns : array-like or pandas.Series
        Per-bar returns (fractions), finite, at least 100, oldest first.
    horizon : int, default 1
        Bars ahead to forecast, >= 1.
    scale : float, default 100.0
        Factor applied to the returns for the optimiser (100: percent); results are unscaled.

    Returns
    -------
    GarchForecast
        Parameters in fraction units, ``variance`` per bar ahead, in-sample volatility.

    Raises
    ------
    ParameterError
        Too few or non-finite returns, a bad horizon or scale.
    GarchFitError
        The optimiser did not converge.

    Examples
    --------
    >>> r = np.random.default_rng(1).standard_t(5, 2_000) * 0.01
    >>> fc = garch_forecast(r)
    >>> 0.0 < fc.persistence < 1.0
    True
    >>> import soltrader as st
    >>> close = st.data.load("SOL/USDT", "1h")["close"]  # doctest: +SKIP
    >>> garch_forecast(close.pct_change().dropna().iloc[-5000:]).annualized(8760)  # doctest: +SKIP
    """
    r = returns_array(returns, "returns", min_size=MIN_OBS)
    h = positive_int(horizon, "horizon")
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 < scale < math.inf:
        raise ParameterError("scale", f"expected a positive factor, got {scale!r}")
    if np.all(r == r[0]):
        raise ParameterError("returns", "are constant: a volatility model needs varying returns")
    scaled = r * scale
    result = _fit(scaled)
    p = result.params
    mu, omega, alpha, beta = p["mu"], p["omega"], p["alpha[1]"], p["beta[1]"]
    resid = scaled - mu
    backcast = nb.garch_backcast_nb(scaled - scaled.mean())
    s2 = nb.garch_variance_nb(resid, omega, alpha, beta, backcast)
    fc = nb.garch_forecast_nb(resid[-1], s2[-1], omega, alpha, beta, h)
    sq = scale * scale
    return GarchForecast(
        mu=float(mu) / scale,
        omega=float(omega) / sq,
        alpha=float(alpha),
        beta=float(beta),
        nu=float(p["nu"]),
        variance=fc / sq,
        conditional_volatility=np.sqrt(s2) / scale,
        loglikelihood=float(result.loglikelihood),
    )
