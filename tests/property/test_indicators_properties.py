"""Property tests of :mod:`soltrader.indicators` (hypothesis) on windows of the real SOL 1m bars
and on drawn prices.

* batch (wrapper) == streaming, bit for bit, NaN for NaN;
* no look-ahead: values up to bar t do not change when the bars after t are dropped or altered;
* missing values (NaN, ±inf at random positions and inputs) never crash, give NaN there, and
  restart the indicator: the result equals the indicator applied to each valid segment;
* the 2-D kernel's column j equals the 1-D kernel on column j (C- and F-ordered input);
* numpy, pandas and polars inputs give the same numbers back, as their own kinds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import soltrader.indicators as ind
from soltrader.indicators import nb

INPUTS = ("high", "low", "close", "volume")


@dataclass(frozen=True)
class Spec:
    """One indicator: which inputs it takes, its wrapper, streaming form and kernels."""

    name: str
    inputs: tuple[str, ...]
    batch: Callable[..., Any]
    stream: Callable[[int], Any]
    k1: Callable[..., Any]
    k2: Callable[..., Any]
    params: Callable[[int], tuple[Any, ...]]
    min_n: int = 1


def _macd_params(n: int) -> tuple[int, int, int]:
    return max(1, n // 2), n, 3


SPECS = [
    Spec("sma", ("close",), ind.sma, ind.SMA, nb.sma_1d_nb, nb.sma_2d_nb, lambda n: (n,)),
    Spec("ema", ("close",), ind.ema, ind.EMA, nb.ema_1d_nb, nb.ema_2d_nb, lambda n: (n,)),
    Spec("wma", ("close",), ind.wma, ind.WMA, nb.wma_1d_nb, nb.wma_2d_nb, lambda n: (n,)),
    Spec("rsi", ("close",), ind.rsi, ind.RSI, nb.rsi_1d_nb, nb.rsi_2d_nb, lambda n: (n,)),
    Spec(
        "macd",
        ("close",),
        lambda c, n: ind.macd(c, *_macd_params(n)),
        lambda n: ind.MACD(*_macd_params(n)),
        nb.macd_1d_nb,
        nb.macd_2d_nb,
        _macd_params,
    ),
    Spec(
        "bbands",
        ("close",),
        lambda c, n: ind.bbands(c, n, 1.5),
        lambda n: ind.BBands(n, 1.5),
        nb.bbands_1d_nb,
        nb.bbands_2d_nb,
        lambda n: (n, 1.5),
    ),
    Spec(
        "rolling_std",
        ("close",),
        ind.rolling_std,
        ind.RollingStd,
        nb.rolling_std_1d_nb,
        nb.rolling_std_2d_nb,
        lambda n: (n, 0),
    ),
    Spec(
        "rolling_std_ddof1",
        ("close",),
        lambda c, n: ind.rolling_std(c, n, ddof=1),
        lambda n: ind.RollingStd(n, ddof=1),
        nb.rolling_std_1d_nb,
        nb.rolling_std_2d_nb,
        lambda n: (n, 1),
        min_n=2,
    ),
    Spec(
        "zscore",
        ("close",),
        ind.zscore,
        ind.ZScore,
        nb.zscore_1d_nb,
        nb.zscore_2d_nb,
        lambda n: (n,),
    ),
    Spec("roc", ("close",), ind.roc, ind.ROC, nb.roc_1d_nb, nb.roc_2d_nb, lambda n: (n,)),
    Spec(
        "realized_vol",
        ("close",),
        lambda c, n: ind.realized_vol(c, n, periods_per_year=365.0),
        lambda n: ind.RealizedVol(n, periods_per_year=365.0),
        nb.realized_vol_1d_nb,
        nb.realized_vol_2d_nb,
        lambda n: (n, 365.0),
        min_n=2,
    ),
    Spec(
        "rolling_min",
        ("close",),
        ind.rolling_min,
        ind.RollingMin,
        nb.rolling_min_1d_nb,
        nb.rolling_min_2d_nb,
        lambda n: (n,),
    ),
    Spec(
        "rolling_max",
        ("close",),
        ind.rolling_max,
        ind.RollingMax,
        nb.rolling_max_1d_nb,
        nb.rolling_max_2d_nb,
        lambda n: (n,),
    ),
    Spec(
        "true_range",
        ("high", "low", "close"),
        lambda h, lo, c, n: ind.true_range(h, lo, c),
        lambda n: ind.TrueRange(),
        nb.true_range_1d_nb,
        nb.true_range_2d_nb,
        lambda n: (),
    ),
    Spec(
        "atr",
        ("high", "low", "close"),
        ind.atr,
        ind.ATR,
        nb.atr_1d_nb,
        nb.atr_2d_nb,
        lambda n: (n,),
    ),
    Spec(
        "vwap",
        ("high", "low", "close", "volume"),
        ind.vwap,
        ind.VWAP,
        nb.vwap_1d_nb,
        nb.vwap_2d_nb,
        lambda n: (n,),
    ),
    Spec(
        "volume_surge",
        ("volume",),
        ind.volume_surge,
        ind.VolumeSurge,
        nb.volume_surge_1d_nb,
        nb.volume_surge_2d_nb,
        lambda n: (n,),
    ),
]
SPEC_IDS = [s.name for s in SPECS]


def as_matrix(result: Any) -> np.ndarray:
    """A wrapper / kernel result as an array: (bars,) or (bars, outputs) for NamedTuples."""
    if isinstance(result, tuple):
        return np.column_stack([np.asarray(r, dtype=np.float64) for r in result])
    return np.asarray(result, dtype=np.float64)


def run_batch(spec: Spec, data: dict[str, np.ndarray], n: int) -> np.ndarray:
    return as_matrix(spec.batch(*(data[k] for k in spec.inputs), n))


def run_stream(spec: Spec, data: dict[str, np.ndarray], n: int) -> np.ndarray:
    obj = spec.stream(n)
    rows = zip(*(data[k].tolist() for k in spec.inputs), strict=True)
    return as_matrix([obj.update(*row) for row in rows]) if len(data["close"]) else np.empty(0)


# ---------------------------------------------------------------------------------------------
# data


@pytest.fixture(scope="module")
def real(sol_1m: pd.DataFrame) -> dict[str, np.ndarray]:
    return {k: np.array(sol_1m[k].to_numpy(), dtype=np.float64) for k in INPUTS}


@st.composite
def market(draw: st.DrawFn, real: dict[str, np.ndarray], missing: bool = True) -> dict:
    """High, low, close, volume of ``1..200`` bars: a real window, drawn floats or drawn prices
    from a small set (flat windows, ties, zero volumes); optionally with NaN / ±inf cells."""
    m = draw(st.integers(1, 200))
    source = draw(st.sampled_from(["real", "floats", "discrete"]))
    if source == "real":
        a = draw(st.integers(0, len(real["close"]) - m))
        data = {k: real[k][a : a + m].copy() for k in INPUTS}
    else:
        if source == "floats":
            prices = st.floats(0.01, 1000.0)
            volumes = st.one_of(st.just(0.0), st.floats(0.0, 1e6))
        else:
            prices = st.sampled_from([1.0, 1.25, 1.5, 2.0, 100.0])
            volumes = st.sampled_from([0.0, 0.0, 1.0, 2.5])
        close = np.array(draw(st.lists(prices, min_size=m, max_size=m)))
        spread = np.array(draw(st.lists(st.floats(0.0, 0.05), min_size=m, max_size=m)))
        data = {
            "high": close * (1.0 + spread),
            "low": close * (1.0 - spread),
            "close": close,
            "volume": np.array(draw(st.lists(volumes, min_size=m, max_size=m))),
        }
    if missing and draw(st.booleans()):
        cells = st.tuples(st.integers(0, m - 1), st.sampled_from(INPUTS))
        for i, k in draw(st.lists(cells, min_size=1, max_size=6)):
            data[k][i] = draw(st.sampled_from([math.nan, math.nan, math.inf, -math.inf]))
    return data


def window(spec: Spec) -> st.SearchStrategy[int]:
    return st.integers(spec.min_n, 30)


# ---------------------------------------------------------------------------------------------
# properties


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_batch_equals_streaming(real: dict[str, np.ndarray], spec: Spec) -> None:
    @given(data=market(real), n=window(spec))
    def check(data: dict[str, np.ndarray], n: int) -> None:
        np.testing.assert_array_equal(run_batch(spec, data, n), run_stream(spec, data, n))

    check()


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_no_look_ahead(real: dict[str, np.ndarray], spec: Spec) -> None:
    @given(data=market(real), n=window(spec), cut=st.integers(0, 199), how=st.integers(0, 2))
    def check(data: dict[str, np.ndarray], n: int, cut: int, how: int) -> None:
        m = len(data["close"])
        t = min(cut, m - 1)
        full = run_batch(spec, data, n)
        truncated = run_batch(spec, {k: v[: t + 1] for k, v in data.items()}, n)
        np.testing.assert_array_equal(full[: t + 1], truncated)
        altered = {k: v.copy() for k, v in data.items()}
        for v in altered.values():
            tail = v[t + 1 :]
            v[t + 1 :] = (tail[::-1] * 1.5, np.nan, 2.0)[how]
        np.testing.assert_array_equal(full[: t + 1], run_batch(spec, altered, n)[: t + 1])

    check()


def valid_segments(data: dict[str, np.ndarray], inputs: tuple[str, ...]) -> list[tuple[int, int]]:
    ok = np.logical_and.reduce([np.isfinite(data[k]) for k in inputs])
    segments, start = [], None
    for i, good in enumerate([*ok.tolist(), False]):
        if good and start is None:
            start = i
        elif not good and start is not None:
            segments.append((start, i))
            start = None
    return segments


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_missing_values_restart_the_indicator(real: dict[str, np.ndarray], spec: Spec) -> None:
    @given(data=market(real), n=window(spec))
    def check(data: dict[str, np.ndarray], n: int) -> None:
        got = run_batch(spec, data, n)
        expected = np.full(got.shape, np.nan)
        for a, b in valid_segments(data, spec.inputs):
            expected[a:b] = run_batch(spec, {k: v[a:b] for k, v in data.items()}, n)
        np.testing.assert_array_equal(got, expected)
        bad = ~np.logical_and.reduce([np.isfinite(data[k]) for k in spec.inputs])
        assert np.isnan(got[bad]).all()

    check()


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_2d_kernel_columns_equal_1d_kernel(real: dict[str, np.ndarray], spec: Spec) -> None:
    @given(data=market(real), n=window(spec), order=st.sampled_from(["C", "F"]))
    def check(data: dict[str, np.ndarray], n: int, order: str) -> None:
        cols = {
            k: np.array(np.column_stack([v, v[::-1], np.roll(v, 7)]), order=order)
            for k, v in data.items()
        }
        params = spec.params(n)
        two_d = spec.k2(*(cols[k] for k in spec.inputs), *params)
        for j in range(3):
            one = spec.k1(*(np.ascontiguousarray(cols[k][:, j]) for k in spec.inputs), *params)
            if isinstance(one, tuple):
                for a, b in zip(two_d, one, strict=True):
                    np.testing.assert_array_equal(a[:, j], b)
            else:
                np.testing.assert_array_equal(two_d[:, j], one)

    check()


def _values(result: Any) -> list[np.ndarray]:
    parts = result if isinstance(result, tuple) else (result,)
    return [np.asarray(p.to_numpy() if hasattr(p, "to_numpy") else p, dtype=float) for p in parts]


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_pandas_polars_numpy_agree(sol_1m: pd.DataFrame, spec: Spec) -> None:
    @given(start=st.integers(0, len(sol_1m) - 200), m=st.integers(1, 200), n=window(spec))
    def check(start: int, m: int, n: int) -> None:
        frame = sol_1m.iloc[start : start + m]
        numpy_in = [np.array(frame[k].to_numpy()) for k in spec.inputs]
        expected = _values(spec.batch(*numpy_in, n))

        pandas_out = spec.batch(*(frame[k] for k in spec.inputs), n)
        for part, want in zip(_as_tuple(pandas_out), expected, strict=True):
            assert isinstance(part, pd.Series)
            assert part.index.equals(frame.index)
            assert part.name == spec.inputs[0]
            np.testing.assert_array_equal(part.to_numpy(), want)

        polars_out = spec.batch(*(pl.Series(k, frame[k].to_numpy()) for k in spec.inputs), n)
        for part, want in zip(_as_tuple(polars_out), expected, strict=True):
            assert isinstance(part, pl.Series)
            assert part.name == spec.inputs[0]
            np.testing.assert_array_equal(part.to_numpy(), want)

        two = [
            pd.DataFrame({"sol": frame[k], "other": frame[k].to_numpy()[::-1]}, index=frame.index)
            for k in spec.inputs
        ]
        frame_out = spec.batch(*two, n)
        for part, want in zip(_as_tuple(frame_out), expected, strict=True):
            assert isinstance(part, pd.DataFrame)
            assert part.index.equals(frame.index)
            assert list(part.columns) == ["sol", "other"]
            np.testing.assert_array_equal(part["sol"].to_numpy(), want)

        pl_out = spec.batch(*(pl.from_pandas(t, include_index=False) for t in two), n)
        for part, want in zip(_as_tuple(pl_out), expected, strict=True):
            assert isinstance(part, pl.DataFrame)
            assert part.columns == ["sol", "other"]
            np.testing.assert_array_equal(part.get_column("sol").to_numpy(), want)

    check()


def _as_tuple(result: Any) -> tuple[Any, ...]:
    return tuple(result) if isinstance(result, tuple) else (result,)
