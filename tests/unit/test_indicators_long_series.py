"""Rolling min / max and ATR on series long enough to reach the kernels' block, chunk and
two-chain boundaries (the property tests use at most 200 bars): naive references (hypothesis:
NaN / ±inf anywhere, plateaus, ``n = 1``, windows longer than the 1024-bar spans; ATR stretches
of two interleaved chains, with missing prices inside them), batch == streaming bit for bit,
and the wrappers' numpy fast path against the converting path."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as hs

import soltrader.indicators as ind
from soltrader.indicators import _nb, nb

MISSING = [math.nan, math.inf, -math.inf]


def naive_extreme(x: np.ndarray, n: int, want_max: bool) -> np.ndarray:
    """``out[i]`` = extreme of ``x[i - n + 1 .. i]`` when those ``n`` values are all finite,
    else NaN (the documented rule: a missing bar restarts the warm-up)."""
    out = np.full(x.shape[0], np.nan)
    if x.shape[0] < n:
        return out
    windows = np.lib.stride_tricks.sliding_window_view(x, n)
    clean = np.isfinite(windows).all(axis=1)
    with np.errstate(invalid="ignore"):
        values = windows.max(axis=1) if want_max else windows.min(axis=1)
    out[n - 1 :] = np.where(clean, values, np.nan)
    return out


@hs.composite
def long_series(draw: hs.DrawFn) -> tuple[np.ndarray, int]:
    """Up to 3000 values (plateaus from a small set, or drawn floats) with missing cells,
    some of them at the 1024-bar span and ``n``-bar block boundaries, and a window ``n``."""
    m = draw(hs.integers(0, 3000))
    n = draw(hs.one_of(hs.integers(1, 40), hs.sampled_from([64, 200, 1023, 1024, 1500])))
    if draw(hs.booleans()):
        x = np.array(draw(hs.lists(hs.sampled_from([1.0, 1.5, 2.0, 3.0]), min_size=m, max_size=m)))
    else:
        rng = np.random.default_rng(draw(hs.integers(0, 2**32 - 1)))
        x = 100.0 + np.cumsum(rng.normal(0.0, 1.0, m))
    if m:
        edges = [k * 1024 + d for k in range(1, 3) for d in (-1, 0, 1)]
        edges += [k * n + d for k in range(1, 4) for d in (-1, 0, 1)]
        spots = hs.one_of(hs.integers(0, m - 1), hs.sampled_from(edges))
        for i in draw(hs.lists(spots, max_size=8)):
            if 0 <= i < m:
                x[i] = draw(hs.sampled_from(MISSING))
    return x, n


@given(case=long_series())
def test_rolling_extremes_equal_the_naive_window(case: tuple[np.ndarray, int]) -> None:
    x, n = case
    np.testing.assert_array_equal(nb.rolling_min_1d_nb(x, n), naive_extreme(x, n, False))
    np.testing.assert_array_equal(nb.rolling_max_1d_nb(x, n), naive_extreme(x, n, True))
    both = np.column_stack([x, x[::-1]])
    np.testing.assert_array_equal(
        ind.rolling_min(both, n)[:, 1], naive_extreme(x[::-1].copy(), n, False)
    )


def test_rolling_extremes_break_ties_as_before() -> None:
    # Tied values differ only for 0.0 / -0.0. Blocks of n bars: a window is the suffix of the
    # previous block and the prefix of the current one; a tie between the two keeps the prefix,
    # the prefix keeps its earliest bar and the suffix its latest (unchanged by the one-pass
    # rewrite of the kernel).
    x = np.array([0.0, -0.0, 1.0, 0.0, -0.0, 2.0, -0.0, 0.0])
    got = nb.rolling_min_1d_nb(x, 2)
    np.testing.assert_array_equal(np.signbit(got[1:]), [0, 1, 0, 1, 1, 1, 1])
    got = nb.rolling_max_1d_nb(-x, 2)
    np.testing.assert_array_equal(np.signbit(got[1:]), [1, 0, 1, 0, 0, 0, 0])


def naive_atr(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int) -> np.ndarray:
    """TA-Lib's ATR one bar at a time in Python floats, restarted after every missing bar: the
    seed is the sum of the first ``n`` true ranges times ``1 / n``, then
    ``atr * ((n - 1) / n) + tr * (1 / n)`` (the documented evaluation)."""
    keep, inv = (n - 1) / n, 1.0 / n
    out = np.full(len(h), np.nan)
    bars = 0  # valid bars in the current run
    acc = prev = 0.0
    for t, (hi, low, close) in enumerate(zip(h.tolist(), lo.tolist(), c.tolist(), strict=True)):
        if not (math.isfinite(hi) and math.isfinite(low) and math.isfinite(close)):
            bars = 0
            continue
        if bars:
            tr = max(hi - low, abs(prev - hi), abs(prev - low))
            if bars < n:
                acc += tr
            elif bars == n:
                acc = (acc + tr) * inv
            else:
                acc = acc * keep + (tr + 0.0) * inv
            if bars >= n:
                out[t] = acc
        else:
            acc = 0.0
        prev = close
        bars += 1
    return out


@hs.composite
def long_bars(draw: hs.DrawFn) -> tuple[dict[str, np.ndarray], int]:
    """20,000 to 40,000 bars (GBM, or prices on a coarse grid) with up to 4 missing prices and
    an ATR window that leaves room for several two-chain stretches."""
    m = draw(hs.integers(20_000, 40_000))
    n = draw(hs.sampled_from([1, 2, 3, 7, 14, 20]))
    rng = np.random.default_rng(draw(hs.integers(0, 2**32 - 1)))
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, m)))
    if draw(hs.booleans()):
        close = np.round(close, 1)
    wick = np.abs(rng.normal(0.0, 5e-4, (2, m)))
    d = {"high": close * (1.0 + wick[0]), "low": close * (1.0 - wick[1]), "close": close}
    for _ in range(draw(hs.integers(0, 4))):
        d[draw(hs.sampled_from(list(d)))][draw(hs.integers(0, m - 1))] = draw(
            hs.sampled_from(MISSING)
        )
    return d, n


@given(case=long_bars())
def test_long_atr_equals_the_one_bar_at_a_time_reference(
    case: tuple[dict[str, np.ndarray], int],
) -> None:
    d, n = case
    got = nb.atr_1d_nb(d["high"], d["low"], d["close"], n)
    np.testing.assert_array_equal(got, naive_atr(d["high"], d["low"], d["close"], n))
    assert got.tobytes() == ind.atr(d["high"], d["low"], d["close"], n).tobytes()


def test_atr_pair_reports_chains_that_never_met(sol_1m: pd.DataFrame) -> None:
    # With an overlap of 2 bars the second chain's guess has no time to be forgotten: the
    # stretch is handed back and the kernel's answer is the one-chain one all the same.
    h, lo, c = (sol_1m[k].to_numpy()[:20_000].copy() for k in ("high", "low", "close"))
    n, t = 14, 1000
    exact = naive_atr(h, lo, c, n)
    out = np.full(len(h), -1.0)
    done, _ = _nb._atr_pair_nb(h, lo, c, n, t, 4000, 1, exact[t - 1] * 1.5, out)
    assert not done
    done, last = _nb._atr_pair_nb(h, lo, c, n, t, 4000, 32 * n, exact[t - 1], out)
    assert done
    assert last == exact[t + 8000 - 1]
    np.testing.assert_array_equal(out[t : t + 8000], exact[t : t + 8000])
    c[t + 6000] = np.nan  # a missing close in the second chain's part
    done, _ = _nb._atr_pair_nb(h, lo, c, n, t, 4000, 32 * n, exact[t - 1], out)
    assert not done


def _with_missing(d: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    out = {k: v.copy() for k, v in d.items()}
    m = len(out["close"])
    spots = [255, 256, 257, 511, 512, 1024, 1025, 1300, *rng.integers(0, m, 6).tolist()]
    for i in spots:
        key = ("high", "low", "close")[i % 3]
        out[key][i] = MISSING[i % 3]
    return out


@pytest.mark.parametrize("missing", [False, True])
def test_long_batch_equals_streaming(sol_1m: pd.DataFrame, missing: bool) -> None:
    d = {k: sol_1m[k].to_numpy()[:3000].copy() for k in ("high", "low", "close")}
    if missing:
        d = _with_missing(d, np.random.default_rng(5))
    h, lo, c = d["high"], d["low"], d["close"]
    for n in (1, 14, 300):
        atr, stream = ind.atr(h, lo, c, n), ind.ATR(n)
        np.testing.assert_array_equal(
            atr, [stream.update(*row) for row in zip(h, lo, c, strict=True)]
        )
        for batch, cls, x in (
            (ind.rolling_min, ind.RollingMin, lo),
            (ind.rolling_max, ind.RollingMax, h),
        ):
            s = cls(n)
            np.testing.assert_array_equal(batch(x, n), [s.update(v) for v in x])


def test_long_atr_restarts_at_each_missing_bar(sol_1m: pd.DataFrame) -> None:
    d = {k: sol_1m[k].to_numpy()[:3000].copy() for k in ("high", "low", "close")}
    d = _with_missing(d, np.random.default_rng(11))
    got = ind.atr(d["high"], d["low"], d["close"], 14)
    ok = np.isfinite(d["high"]) & np.isfinite(d["low"]) & np.isfinite(d["close"])
    expected = np.full(got.shape, np.nan)
    edges = np.flatnonzero(np.diff(np.r_[False, ok, False].astype(np.int8)))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        expected[a:b] = ind.atr(d["high"][a:b], d["low"][a:b], d["close"][a:b], 14)
    np.testing.assert_array_equal(got, expected)


def test_numpy_fast_path_matches_the_converting_path(sol_1m: pd.DataFrame) -> None:
    h, lo, c = (sol_1m[k].to_numpy()[:2000].copy() for k in ("high", "low", "close"))
    swapped = [a.astype(">f8") for a in (h, lo, c)]  # float64, but not the native dtype
    fast = ind.atr(h, lo, c, 14)
    assert type(fast) is np.ndarray and fast.dtype == np.float64
    np.testing.assert_array_equal(fast, ind.atr(*swapped, 14))
    np.testing.assert_array_equal(fast, ind.atr(pd.Series(h), pd.Series(lo), c, 14).to_numpy())
    masked = np.ma.masked_array(lo, mask=np.zeros(lo.shape, dtype=bool))
    out = ind.rolling_min(masked, 20)
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, ind.rolling_min(lo, 20))
    grid = np.column_stack([lo, h])
    two = ind.rolling_max(grid, 20)
    assert two.shape == grid.shape and two.flags.f_contiguous
    np.testing.assert_array_equal(two[:, 1], ind.rolling_max(h, 20))
