"""ADF, Jarque-Bera and Ljung-Box wrappers: the same figures as statsmodels called directly on
real SOL 1h returns, the expected verdicts on synthetic series, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import jarque_bera as sm_jarque_bera
from statsmodels.tsa.stattools import adfuller

import soltrader as st
from soltrader.engine.validation.stattests import adf, jarque_bera, ljung_box, return_tests


@pytest.fixture(scope="module")
def sol_returns(sol_1h: pd.DataFrame) -> pd.Series:
    return sol_1h["close"].pct_change().dropna().iloc[-3000:]


@pytest.fixture(scope="module")
def white_noise() -> np.ndarray:
    return np.random.default_rng(20240101).normal(0.0, 0.01, 3000)


def test_adf_matches_statsmodels_on_real_returns(sol_returns: pd.Series) -> None:
    direct = adfuller(sol_returns.to_numpy(), regression="c", autolag="AIC", result_object=False)
    got = adf(sol_returns)
    assert got.statistic == pytest.approx(direct[0], rel=1e-12)
    assert got.pvalue == pytest.approx(direct[1], rel=1e-9, abs=1e-300)
    assert got.details["used_lag"] == direct[2] and got.details["n_obs"] == direct[3]
    assert got.details["critical_values"]["5%"] == pytest.approx(direct[4]["5%"])
    assert got.pvalue < 0.01 and "Rejects a unit root" in got.conclusion


def test_adf_with_a_fixed_lag_matches_statsmodels(sol_returns: pd.Series) -> None:
    """``autolag=None`` uses ``maxlag`` as given (statsmodels then returns five values)."""
    direct = adfuller(
        sol_returns.to_numpy(), maxlag=3, regression="c", autolag=None, result_object=False
    )
    got = adf(sol_returns, autolag=None, maxlag=3)
    assert got.statistic == pytest.approx(direct[0], rel=1e-12)
    assert got.details["used_lag"] == 3 == direct[2]


def test_jarque_bera_matches_statsmodels_on_real_returns(sol_returns: pd.Series) -> None:
    jb, p, skew, kurt = sm_jarque_bera(sol_returns.to_numpy())
    got = jarque_bera(sol_returns)
    assert (got.statistic, got.details["skew"], got.details["kurtosis"]) == pytest.approx(
        (jb, skew, kurt), rel=1e-12
    )
    assert got.pvalue == pytest.approx(p, abs=1e-300)
    assert got.details["kurtosis"] > 3.0 and "Rejects normality" in got.conclusion


@pytest.mark.parametrize("squared", [False, True])
def test_ljung_box_matches_statsmodels_on_real_returns(
    sol_returns: pd.Series, squared: bool
) -> None:
    x = sol_returns.to_numpy()
    if squared:
        x = (x - x.mean()) ** 2
    direct = acorr_ljungbox(x, lags=[24], return_df=True)
    got = ljung_box(sol_returns, 24, squared=squared)
    assert got.statistic == pytest.approx(direct["lb_stat"].iloc[0], rel=1e-12)
    assert got.pvalue == pytest.approx(direct["lb_pvalue"].iloc[0], rel=1e-9, abs=1e-300)
    assert got.test == ("ljung_box_squared" if squared else "ljung_box")


def test_real_returns_show_volatility_clustering(sol_returns: pd.Series) -> None:
    got = ljung_box(sol_returns, 24, squared=True)
    assert got.pvalue < 1e-6 and "volatility clusters" in got.conclusion


def test_white_noise_passes_every_test(white_noise: np.ndarray) -> None:
    assert adf(white_noise).pvalue < 0.01
    assert jarque_bera(white_noise).pvalue > 0.05
    lb = ljung_box(white_noise, 10)
    assert lb.pvalue > 0.05 and "serially independent" in lb.conclusion
    assert ljung_box(white_noise, 10, squared=True).pvalue > 0.05


def test_a_random_walk_keeps_its_unit_root(white_noise: np.ndarray) -> None:
    walk = np.cumsum(white_noise)
    got = adf(walk)
    assert got.pvalue > 0.05 and "Cannot reject a unit root" in got.conclusion


def test_autocorrelated_returns_are_detected(white_noise: np.ndarray) -> None:
    ar = white_noise.copy()
    for t in range(1, ar.size):
        ar[t] += 0.3 * ar[t - 1]
    assert ljung_box(ar, 5).pvalue < 1e-6


def test_return_tests_table(sol_returns: pd.Series, white_noise: np.ndarray) -> None:
    table = return_tests(sol_returns, lags=24)
    assert table.index.tolist() == ["adf", "jarque_bera", "ljung_box", "ljung_box_squared"]
    assert table.loc["jarque_bera", "pvalue"] == jarque_bera(sol_returns).pvalue
    assert (
        table.loc["ljung_box_squared", "statistic"]
        == ljung_box(sol_returns, 24, squared=True).statistic
    )
    assert (table["reject"] == (table["pvalue"] < 0.05)).all()
    noise = return_tests(pl.Series(white_noise), alpha=0.01)
    assert noise["reject"].tolist() == [True, False, False, False]


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda x: adf(x, regression="quadratic"), "regression"),
        (lambda x: adf(x[:5]), "returns"),
        (lambda x: ljung_box(x, 0), "lags"),
        (lambda x: ljung_box(x[:8], 10), "returns"),
        (lambda x: jarque_bera(x, alpha=0.0), "alpha"),
        (lambda x: jarque_bera(np.zeros(50)), "returns"),
        (lambda x: return_tests(pd.DataFrame({"r": x})), "returns"),
    ],
)
def test_bad_input_raises_a_parameter_error(white_noise: np.ndarray, call, name: str) -> None:
    with pytest.raises(st.ParameterError) as err:
        call(white_noise)
    assert err.value.name == name


def test_nan_returns_are_a_data_error_naming_the_row(sol_returns: pd.Series) -> None:
    bad = sol_returns.copy()
    bad.iloc[100] = np.nan
    with pytest.raises(st.DataError, match=r"row 100 \(") as err:
        adf(bad)
    assert err.value.row == 100 and err.value.timestamp == bad.index[100]
