"""Unit tests of the indicator wrappers and streaming forms: argument errors, data errors, the
documented edge values, input kinds and import without compilation."""

from __future__ import annotations

import math
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

import soltrader as st
import soltrader.indicators as ind
from soltrader.domain.errors import DataError, Error, ParameterError

ROOT = Path(__file__).resolve().parents[2]
X = np.array([1.0, 2.0, 3.0, 2.5, 2.0, 4.0])
SINGLE = [ind.sma, ind.ema, ind.wma, ind.rsi, ind.roc, ind.zscore, ind.rolling_std]
SINGLE += [ind.rolling_min, ind.rolling_max, ind.volume_surge]


# ---------------------------------------------------------------------------------------------
# windows and parameters


@pytest.mark.parametrize("func", SINGLE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", [0, -3, 2.0, 2.5, "5", True, None, np.float64(3.0)])
def test_bad_window_names_n(func: object, bad: object) -> None:
    with pytest.raises(ParameterError, match=r"^n: expected an integer number of bars >= 1") as e:
        func(X, bad)
    assert e.value.name == "n"


def test_numpy_integer_window_is_accepted() -> None:
    np.testing.assert_array_equal(ind.sma(X, np.int64(2)), ind.sma(X, 2))


@pytest.mark.parametrize(
    ("call", "name", "pattern"),
    [
        (lambda: ind.realized_vol(X, 1), "n", ">= 2"),
        (lambda: ind.rolling_std(X, 3, ddof=3), "ddof", "must be < n"),
        (lambda: ind.rolling_std(X, 3, ddof=-1), "ddof", ">= 0"),
        (lambda: ind.macd(X, fast=5, slow=3), "fast", "must be <= slow"),
        (lambda: ind.macd(X, fast=0), "fast", ">= 1"),
        (lambda: ind.macd(X, signal=1.5), "signal", "integer"),
        (lambda: ind.bbands(X, 3, k=0.0), "k", "finite number > 0"),
        (lambda: ind.bbands(X, 3, k=-1.0), "k", "finite number > 0"),
        (lambda: ind.bbands(X, 3, k=math.nan), "k", "finite number > 0"),
        (lambda: ind.bbands(X, 3, k="2"), "k", "finite number > 0"),
        (lambda: ind.realized_vol(X, 3, periods_per_year=0), "periods_per_year", "> 0"),
        (lambda: ind.realized_vol(X, 3, periods_per_year=math.inf), "periods_per_year", "> 0"),
        (lambda: ind.atr(X, X, X, n=0), "n", ">= 1"),
        (lambda: ind.vwap(X, X, X, X, n=-1), "n", ">= 1"),
    ],
)
def test_bad_parameters_name_the_argument(call: object, name: str, pattern: str) -> None:
    with pytest.raises(ParameterError, match=pattern) as e:
        call()
    assert e.value.name == name
    assert str(e.value).startswith(f"{name}: ")


# ---------------------------------------------------------------------------------------------
# inputs


def test_mismatched_lengths_name_the_input() -> None:
    with pytest.raises(ParameterError, match=r"^low: shape \(5,\) does not match high's") as e:
        ind.atr(X, X[:5], X, 2)
    assert e.value.name == "low"
    with pytest.raises(ParameterError, match=r"^volume: shape"):
        ind.vwap(X, X, X, X[:-1], 2)
    with pytest.raises(ParameterError, match=r"^close: shape \(6, 2\)"):
        ind.true_range(X, X, np.column_stack([X, X]))


def test_misaligned_pandas_index_and_columns_are_refused() -> None:
    high = pd.Series(X, index=pd.RangeIndex(6))
    low = pd.Series(X, index=pd.RangeIndex(1, 7))
    with pytest.raises(ParameterError, match=r"^low: index differs from high's index"):
        ind.true_range(high, low, high)
    a = pd.DataFrame({"sol": X, "btc": X})
    b = pd.DataFrame({"btc": X, "sol": X})
    with pytest.raises(ParameterError, match=r"^close: columns \['btc', 'sol'\] differ"):
        ind.atr(a, a, b, 2)
    with pytest.raises(ParameterError, match=r"^low: columns"):
        ind.true_range(pl.from_pandas(a), pl.from_pandas(b), pl.from_pandas(a))


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        (np.array(["1", "2"]), "values must be numeric .* got dtype <U1"),
        (np.array([1.0, None], dtype=object), "dtype object"),
        (np.array([True, False]), "dtype bool"),
        (np.array([1 + 2j]), "dtype complex128"),
        (pd.Series(["a", "b"]), "values must be numeric"),
        (pd.Series([True, False]), "dtype bool"),
        (pl.Series("p", ["a", "b"]), "values must be numeric .* got dtype String"),
        (pl.Series("p", [True, False]), "dtype Boolean"),
        (pd.DataFrame({"close": [1.0, 2.0], "venue": ["x", "y"]}), "column 'venue' must be"),
        (pl.DataFrame({"close": [1.0, 2.0], "venue": ["x", "y"]}), "column 'venue' must be"),
    ],
)
def test_non_numeric_input_is_refused(values: object, pattern: str) -> None:
    with pytest.raises(ParameterError, match=pattern) as e:
        ind.sma(values, 2)
    assert e.value.name == "x"


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        (np.array(1.0), "got 0-D"),
        (np.ones((2, 2, 2)), "got 3-D"),
        ([1.0, 2.0, 3.0], "got list"),
        ((1.0, 2.0), "got tuple"),
        ({"close": [1.0]}, "got dict"),
        (3.0, "got float"),
    ],
)
def test_wrong_kind_or_ndim_is_refused(values: object, pattern: str) -> None:
    with pytest.raises(ParameterError, match=pattern):
        ind.ema(values, 2)


def test_errors_are_soltrader_errors() -> None:
    with pytest.raises(Error):
        ind.sma(X, 0)
    with pytest.raises(ValueError):
        ind.sma(X, 0)


def test_integer_readonly_and_strided_inputs() -> None:
    ints = np.array([1, 2, 3, 4])
    np.testing.assert_array_equal(ind.sma(ints, 2), [np.nan, 1.5, 2.5, 3.5])
    ro = X.copy()
    ro.flags.writeable = False
    np.testing.assert_array_equal(ind.rsi(ro, 2), ind.rsi(X, 2))
    wide = np.repeat(X, 2)
    np.testing.assert_array_equal(ind.wma(wide[::2], 3), ind.wma(X, 3))
    assert ro.flags.writeable is False


def test_empty_and_short_inputs() -> None:
    assert ind.sma(np.array([]), 3).shape == (0,)
    assert ind.macd(np.array([])).macd.shape == (0,)
    assert np.isnan(ind.sma(X[:2], 3)).all()
    assert ind.atr(np.empty((0, 2)), np.empty((0, 2)), np.empty((0, 2)), 3).shape == (0, 2)


def test_nullable_pandas_and_polars_nulls_are_missing_values() -> None:
    s = pd.Series([1, 2, None, 4, 5, 6], dtype="Int64", name="close")
    out = ind.sma(s, 2)
    assert isinstance(out, pd.Series) and out.dtype == np.float64 and out.name == "close"
    np.testing.assert_array_equal(out.to_numpy(), [np.nan, 1.5, np.nan, np.nan, 4.5, 5.5])
    p = pl.Series("close", [1.0, 2.0, None, 4.0, 5.0, 6.0])
    np.testing.assert_array_equal(ind.sma(p, 2).to_numpy(), out.to_numpy())


def test_data_errors_name_the_row() -> None:
    prices = np.array([1.0, 2.0, 0.0, 3.0])
    with pytest.raises(DataError, match=r"^x: row 2 is 0.0; prices must be > 0") as e:
        ind.realized_vol(prices, 2)
    assert (e.value.code, e.value.row, e.value.field) == ("nonpositive_price", 2, "x")
    volume = pd.Series([1.0, 2.0, 3.0, -1.0])
    with pytest.raises(DataError, match=r"^volume: row 3 is -1.0; volumes must be >= 0") as e:
        ind.volume_surge(volume, 2)
    assert (e.value.code, e.value.row) == ("negative_volume", 3)
    v2 = np.array([[1.0, 1.0], [1.0, -2.0]])
    with pytest.raises(DataError, match=r"row 1, column 1"):
        ind.vwap(v2, v2, v2, v2, 1)


def test_missing_values_are_not_data_errors() -> None:
    prices = np.array([1.0, np.nan, 2.0, -np.inf, 3.0, 4.0, 5.0])
    out = ind.realized_vol(prices, 2)
    assert np.isnan(out[:6]).all() and np.isfinite(out[6])
    volume = np.array([1.0, -np.inf, 2.0, 3.0, 4.0])
    assert np.isfinite(ind.volume_surge(volume, 2)[4])


# ---------------------------------------------------------------------------------------------
# documented edge values


def test_zero_denominator_conventions() -> None:
    flat = np.array([5.0, 5.0, 5.0, 6.0])
    assert np.isnan(ind.zscore(flat, 3)[2]) and ind.zscore(flat, 2)[3] == pytest.approx(1.0)
    bb = ind.bbands(flat, 3)
    assert np.isnan(bb.percent_b[2]) and bb.bandwidth[2] == 0.0
    assert bb.upper[2] == bb.middle[2] == bb.lower[2] == 5.0
    assert ind.rolling_std(flat, 3)[2] == 0.0
    assert ind.rsi(flat, 2)[2] == 0.0  # TA-Lib's value for a flat window
    assert ind.roc(np.array([0.0, 1.0]), 1)[1] == 0.0  # TA-Lib's value for a zero reference
    vol = np.array([0.0, 0.0, 2.0, 0.0])
    surge = ind.volume_surge(vol, 2)
    assert surge[2] == math.inf and surge[3] == 0.0
    assert np.isnan(ind.volume_surge(np.zeros(4), 2)[3])
    p = np.ones(4)
    assert np.isnan(ind.vwap(p, p, p, np.array([1.0, 0.0, 0.0, 0.0]), 2)[3])
    assert ind.vwap(p, p, p, np.array([1.0, 0.0, 0.0, 0.0]), 2)[1] == 1.0


def test_rsi_does_not_read_zero_for_tiny_prices() -> None:
    prices = 1e-7 * (1.0 + 0.01 * np.sin(np.arange(50.0)))
    scaled = ind.rsi(prices * 1e7, 14)
    np.testing.assert_allclose(ind.rsi(prices, 14), scaled, rtol=1e-9)
    assert np.nanmin(scaled) > 0.0


def test_warm_up_lengths() -> None:
    x = np.linspace(1.0, 2.0, 60)
    first = {
        "sma": ind.sma(x, 10),
        "rsi": ind.rsi(x, 10),
        "roc": ind.roc(x, 10),
        "vol": ind.realized_vol(x, 10),
        "surge": ind.volume_surge(x, 10),
        "macd": ind.macd(x, 5, 10, 4).signal,
        "atr": ind.atr(x, x, x, 10),
        "tr": ind.true_range(x, x, x),
    }
    got = {k: int(np.argmax(~np.isnan(v))) for k, v in first.items()}
    assert got == {
        "sma": 9,
        "rsi": 10,
        "roc": 10,
        "vol": 10,
        "surge": 10,
        "macd": 12,
        "atr": 10,
        "tr": 1,
    }


def test_bbands_middle_is_the_sma() -> None:
    x = np.cumsum(np.random.default_rng(3).normal(size=500)) + 100.0
    np.testing.assert_array_equal(ind.bbands(x, 20).middle, ind.sma(x, 20))


def test_results_are_named_tuples_of_the_input_kind() -> None:
    s = pd.Series(X, name="close", index=pd.date_range("2024-01-01", periods=6, freq="min"))
    res = ind.macd(s, 2, 3, 2)
    assert isinstance(res, ind.MACDResult) and res._fields == ("macd", "signal", "hist")
    assert all(isinstance(r, pd.Series) and r.index.equals(s.index) for r in res)
    bb = ind.bbands(pl.Series("close", X), 3)
    assert bb._fields == ("upper", "middle", "lower", "percent_b", "bandwidth")
    assert all(isinstance(r, pl.Series) and r.name == "close" for r in bb)


# ---------------------------------------------------------------------------------------------
# streaming


def test_streaming_window_and_value_errors() -> None:
    with pytest.raises(ParameterError, match=r"^n: "):
        ind.SMA(0)
    with pytest.raises(ParameterError, match=r"^fast: must be <= slow"):
        ind.MACD(10, 5)
    with pytest.raises(ParameterError, match=r"^ddof: must be < n"):
        ind.RollingStd(2, ddof=2)
    with pytest.raises(ParameterError, match=r"^n: .*>= 2"):
        ind.RealizedVol(1)
    with pytest.raises(ParameterError, match=r"^k: "):
        ind.BBands(5, k=0)
    with pytest.raises(ParameterError, match=r"^x: expected a number, got '1.5'"):
        ind.EMA(3).update("1.5")
    with pytest.raises(ParameterError, match=r"^x: expected a number, got True"):
        ind.RSI(3).update(True)
    with pytest.raises(ParameterError, match=r"^close: expected a number"):
        ind.ATR(3).update(1.0, 1.0, None)
    with pytest.raises(DataError, match=r"^x: price 0.0 must be > 0") as e:
        ind.RealizedVol(3).update(0.0)
    assert e.value.code == "nonpositive_price"
    with pytest.raises(DataError, match=r"^volume: -1.0 is negative"):
        ind.VolumeSurge(3).update(-1.0)
    with pytest.raises(DataError, match=r"negative"):
        ind.VWAP(3).update(1.0, 1.0, 1.0, -2.0)


def test_streaming_accepts_numbers_of_any_real_type() -> None:
    a, b = ind.SMA(2), ind.SMA(2)
    for value in (1, np.float32(2.5), Decimal("3.25"), np.int64(4)):
        a.update(value)
    for value in (1.0, 2.5, 3.25, 4.0):
        b.update(value)
    assert type(a.value) is float and a.value == b.value == 3.625


def test_streaming_ready_value_and_reset() -> None:
    r = ind.RSI(3)
    assert not r.ready and math.isnan(r.value)
    outs = [r.update(v) for v in (1.0, 2.0, 3.0)]
    assert not r.ready and all(math.isnan(o) for o in outs)
    assert r.update(2.0) == r.value and r.ready
    assert "RSI(value=" in repr(r) and "ready=True" in repr(r)
    assert math.isnan(r.update(math.nan)) and not r.ready
    r.update(1.0)
    r.reset()
    assert not r.ready and math.isnan(r.value)
    m = ind.MACD(2, 3, 2)
    assert isinstance(m.value, ind.MACDResult) and math.isnan(m.value.macd)
    for v in range(1, 5):
        m.update(float(v))
    assert m.ready and m.value.macd == pytest.approx(0.5)
    z = ind.ZScore(2)
    z.update(5.0)
    assert math.isnan(z.update(5.0)) and z.ready  # defined window, undefined ratio
    v = ind.RealizedVol(2)
    for p in (1.0, 1.1):
        v.update(p)
    assert not v.ready
    v.update(1.2)
    assert v.ready and v.value > 0


def test_streaming_infinite_input_restarts() -> None:
    s = ind.SMA(2)
    s.update(1.0)
    s.update(2.0)
    assert math.isnan(s.update(math.inf)) and not s.ready
    assert math.isnan(s.update(3.0))
    assert s.update(5.0) == 4.0


# ---------------------------------------------------------------------------------------------
# package


def test_package_exports() -> None:
    assert st.indicators is ind
    for name in ("sma", "macd", "bbands", "MACDResult", "BBandsResult", "RSI", "ATR", "nb"):
        assert name in ind.__all__ and hasattr(ind, name)
    assert ind.nb.sma_1d_nb is ind.api._nb.sma_1d_nb
    assert all(name.endswith("_nb") or name.isupper() for name in ind.nb.__all__)


def test_import_compiles_nothing() -> None:
    code = (
        "import soltrader, soltrader.indicators.nb as nb\n"
        "from numba.core.registry import CPUDispatcher\n"
        "kernels = [getattr(nb, n) for n in nb.__all__ if n.endswith('_nb')]\n"
        "assert kernels and all(isinstance(k, CPUDispatcher) for k in kernels)\n"
        "compiled = [k.__name__ for k in kernels if k.signatures]\n"
        "assert not compiled, compiled\n"
        "print(len(kernels))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) >= 30
