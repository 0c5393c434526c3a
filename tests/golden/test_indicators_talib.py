"""Golden tests of :mod:`soltrader.indicators` on the real SOL/USDT 1m sample (111,920 bars).

Every indicator TA-Lib has is compared with TA-Lib: identical NaN (warm-up) positions and, after
the warm-up, ``|ours - talib| <= 1e-9 * |talib| + atol``. ``atol`` is 0 except for MACD, whose
three outputs are differences of two price-level EMAs and so carry rounding at the price scale
(``atol = 1e-12 * max|close|``, about 1e-10). Indicators TA-Lib lacks (z-score, realised
volatility, VWAP, volume surge, %B, bandwidth) are compared with independent numpy computations
over explicit rolling windows (two-pass mean and variance, a constant window having variance 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import soltrader.indicators as ind

talib = pytest.importorskip("talib")

WINDOWS = (2, 5, 14, 20, 50, 200)
REF_WINDOWS = (2, 5, 20, 60)
RTOL = 1e-9


@pytest.fixture(scope="module")
def bars(sol_1m: pd.DataFrame) -> dict[str, np.ndarray]:
    return {c: np.array(sol_1m[c].to_numpy(), dtype=np.float64) for c in sol_1m.columns}


def assert_matches(ours: object, ref: np.ndarray, name: str, *, atol: float = 0.0) -> None:
    """Same NaN positions; elsewhere ``|ours - ref| <= RTOL * |ref| + atol``."""
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert ours.shape == ref.shape, name
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref), err_msg=f"{name}: NaN positions")
    ok = ~np.isnan(ref)
    assert ok.sum() > 0, f"{name}: nothing to compare"
    diff = np.abs(ours[ok] - ref[ok])
    bound = RTOL * np.abs(ref[ok]) + atol
    bad = np.flatnonzero(diff > bound)
    assert bad.size == 0, (
        f"{name}: {bad.size} values differ, worst at {np.flatnonzero(ok)[bad[0]]}: "
        f"{ours[ok][bad[0]]!r} vs {ref[ok][bad[0]]!r}"
    )


def first_valid(values: np.ndarray) -> int:
    return int(np.argmax(~np.isnan(values)))


# ---------------------------------------------------------------------------------------------
# TA-Lib


@pytest.mark.parametrize("n", WINDOWS)
def test_moving_averages_match_talib(bars: dict[str, np.ndarray], n: int) -> None:
    c = bars["close"]
    assert_matches(ind.sma(c, n), talib.SMA(c, n), f"SMA({n})")
    assert_matches(ind.ema(c, n), talib.EMA(c, n), f"EMA({n})")
    assert_matches(ind.wma(c, n), talib.WMA(c, n), f"WMA({n})")
    assert first_valid(ind.sma(c, n)) == n - 1


@pytest.mark.parametrize("n", WINDOWS)
def test_rsi_roc_match_talib(bars: dict[str, np.ndarray], n: int) -> None:
    c = bars["close"]
    assert_matches(ind.rsi(c, n), talib.RSI(c, n), f"RSI({n})")
    assert_matches(ind.roc(c, n), talib.ROCP(c, n), f"ROCP({n})")
    assert first_valid(ind.rsi(c, n)) == n


@pytest.mark.parametrize("n", WINDOWS)
def test_range_indicators_match_talib(bars: dict[str, np.ndarray], n: int) -> None:
    h, lo, c = bars["high"], bars["low"], bars["close"]
    assert_matches(ind.atr(h, lo, c, n), talib.ATR(h, lo, c, n), f"ATR({n})")
    assert_matches(ind.rolling_min(lo, n), talib.MIN(lo, n), f"MIN({n})")
    assert_matches(ind.rolling_max(h, n), talib.MAX(h, n), f"MAX({n})")
    assert first_valid(ind.atr(h, lo, c, n)) == n


def test_true_range_matches_talib(bars: dict[str, np.ndarray]) -> None:
    h, lo, c = bars["high"], bars["low"], bars["close"]
    assert_matches(ind.true_range(h, lo, c), talib.TRANGE(h, lo, c), "TRANGE")


@pytest.mark.parametrize("n", WINDOWS)
def test_rolling_std_matches_talib_stddev(bars: dict[str, np.ndarray], n: int) -> None:
    c = bars["close"]
    assert_matches(ind.rolling_std(c, n), talib.STDDEV(c, n, 1.0), f"STDDEV({n})")


@pytest.mark.parametrize("n", WINDOWS)
@pytest.mark.parametrize("k", [1.0, 2.0, 2.5])
def test_bbands_match_talib(bars: dict[str, np.ndarray], n: int, k: float) -> None:
    c = bars["close"]
    ours = ind.bbands(c, n, k)
    upper, middle, lower = talib.BBANDS(c, n, k, k, 0)
    assert_matches(ours.upper, upper, f"BBANDS({n}, {k}).upper")
    assert_matches(ours.middle, middle, f"BBANDS({n}, {k}).middle")
    assert_matches(ours.lower, lower, f"BBANDS({n}, {k}).lower")
    # The std inside the bands is TA-Lib's STDDEV.
    std = (ours.upper - ours.lower) / (2 * k)
    assert_matches(std, talib.STDDEV(c, n, 1.0), f"BBANDS({n}, {k}) std", atol=1e-13)


@pytest.mark.parametrize(
    ("fast", "slow", "signal"), [(12, 26, 9), (5, 35, 5), (3, 10, 16), (2, 2, 1)]
)
def test_macd_matches_talib(bars: dict[str, np.ndarray], fast: int, slow: int, signal: int) -> None:
    c = bars["close"]
    atol = 1e-12 * float(np.max(np.abs(c)))
    ours = ind.macd(c, fast, slow, signal)
    ref = talib.MACD(c, fast, slow, signal)
    for got, want, field in zip(ours, ref, ("macd", "signal", "hist"), strict=True):
        assert_matches(got, want, f"MACD({fast},{slow},{signal}).{field}", atol=atol)
    assert first_valid(ours.macd) == slow + signal - 2


def test_leading_nans_skipped_like_the_talib_wrapper(bars: dict[str, np.ndarray]) -> None:
    lead = np.full(37, np.nan)
    c = np.concatenate([lead, bars["close"][:3000]])
    h = np.concatenate([lead, bars["high"][:3000]])
    lo = np.concatenate([lead, bars["low"][:3000]])
    assert_matches(ind.sma(c, 20), talib.SMA(c, 20), "SMA lead")
    assert_matches(ind.ema(c, 20), talib.EMA(c, 20), "EMA lead")
    assert_matches(ind.rsi(c, 14), talib.RSI(c, 14), "RSI lead")
    assert_matches(ind.atr(h, lo, c, 14), talib.ATR(h, lo, c, 14), "ATR lead")
    assert_matches(ind.bbands(c, 20).upper, talib.BBANDS(c, 20, 2.0, 2.0)[0], "BBANDS lead")
    atol = 1e-12 * float(np.nanmax(c))
    assert_matches(ind.macd(c).hist, talib.MACD(c)[2], "MACD lead", atol=atol)


@pytest.mark.parametrize("n", [5, 14])
def test_nan_inside_restarts_like_talib_on_each_segment(
    bars: dict[str, np.ndarray], n: int
) -> None:
    c = bars["close"][:5000].copy()
    cuts = [700, 701, 2500, 4100]
    c[cuts] = np.nan
    bounds = [0, *[i for cut in cuts for i in (cut, cut + 1)], len(c)]
    segments = [(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=True) if b > a]

    def per_segment(name: str, *args: float) -> np.ndarray:
        out = np.full(len(c), np.nan)
        for a, b in segments:
            out[a:b] = getattr(talib, name)(c[a:b], n, *args)
        return out

    assert_matches(ind.sma(c, n), per_segment("SMA"), f"SMA seg {n}")
    assert_matches(ind.rsi(c, n), per_segment("RSI"), f"RSI seg {n}")
    assert_matches(ind.rolling_max(c, n), per_segment("MAX"), f"MAX seg {n}")
    assert_matches(ind.rolling_std(c, n), per_segment("STDDEV", 1.0), f"STDDEV seg {n}")
    assert np.isnan(ind.sma(c, n)[cuts]).all()


# ---------------------------------------------------------------------------------------------
# independent numpy references for what TA-Lib lacks


def ref_mean_var(x: np.ndarray, n: int, ddof: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two-pass mean and variance of every window of ``n`` values (NaN padded in front).

    A window whose values are all equal has exactly that mean and variance 0.
    """
    mean = np.full(len(x), np.nan)
    var = np.full(len(x), np.nan)
    w = sliding_window_view(x, n)
    for a in range(0, len(w), 20_000):
        block = w[a : a + 20_000]
        mu = block.mean(axis=1)
        v = ((block - mu[:, None]) ** 2).sum(axis=1) / (n - ddof)
        const = block.max(axis=1) == block.min(axis=1)
        mu[const] = block[const, 0]
        v[const] = 0.0
        mean[n - 1 + a : n - 1 + a + len(block)] = mu
        var[n - 1 + a : n - 1 + a + len(block)] = v
    return mean, var


def divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


@pytest.mark.parametrize("n", [2, 5, 20, 50])
def test_std_inside_zscore_is_talib_stddev(bars: dict[str, np.ndarray], n: int) -> None:
    c = bars["close"]
    std = ind.rolling_std(c, n)
    assert_matches(std, talib.STDDEV(c, n, 1.0), f"STDDEV({n})")
    # The z-score kernel divides by exactly that std (same rolling moments, bit for bit).
    np.testing.assert_array_equal(ind.zscore(c, n), divide(c - ind.bbands(c, n).middle, std))


@pytest.mark.parametrize("n", REF_WINDOWS)
def test_zscore_matches_numpy_windows(bars: dict[str, np.ndarray], n: int) -> None:
    c = bars["close"]
    mean, var = ref_mean_var(c, n)
    ref = divide(c - mean, np.sqrt(var))
    ours = ind.zscore(c, n)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=1e-9, equal_nan=True)
    if n == 2:
        assert np.isnan(ours[n - 1 :]).any(), "the sample has constant pairs: z-score NaN there"


@pytest.mark.parametrize("n", REF_WINDOWS)
def test_percent_b_and_bandwidth_match_numpy_windows(bars: dict[str, np.ndarray], n: int) -> None:
    c = bars["close"]
    mean, var = ref_mean_var(c, n)
    upper = mean + 2.0 * np.sqrt(var)
    lower = mean - 2.0 * np.sqrt(var)
    ours = ind.bbands(c, n, 2.0)
    np.testing.assert_allclose(
        ours.percent_b, divide(c - lower, upper - lower), rtol=RTOL, atol=1e-9, equal_nan=True
    )
    np.testing.assert_allclose(
        ours.bandwidth, divide(upper - lower, mean), rtol=RTOL, atol=1e-13, equal_nan=True
    )
    np.testing.assert_array_equal(
        np.isnan(ours.percent_b), np.isnan(divide(c - lower, upper - lower))
    )


@pytest.mark.parametrize("n", REF_WINDOWS[1:])
@pytest.mark.parametrize("ppy", [None, 365 * 24 * 60])
def test_realized_vol_matches_numpy_windows(
    bars: dict[str, np.ndarray], n: int, ppy: int | None
) -> None:
    c = bars["close"]
    r = np.concatenate([[np.nan], np.log(c[1:] / c[:-1])])
    _, var = ref_mean_var(r[1:], n, ddof=1)
    ref = np.concatenate([[np.nan], np.sqrt(var)]) * np.sqrt(1.0 if ppy is None else ppy)
    ours = ind.realized_vol(c, n, periods_per_year=ppy)
    assert first_valid(ours) == n
    assert_matches(ours, ref, f"realized_vol({n}, {ppy})")


@pytest.mark.parametrize("n", REF_WINDOWS)
def test_vwap_matches_numpy_windows(bars: dict[str, np.ndarray], n: int) -> None:
    h, lo, c, v = bars["high"], bars["low"], bars["close"], bars["volume"]
    pv = (h + lo + c) / 3.0 * v
    ref = np.full(len(c), np.nan)
    ref[n - 1 :] = sliding_window_view(pv, n).sum(axis=1) / sliding_window_view(v, n).sum(axis=1)
    assert_matches(ind.vwap(h, lo, c, v, n), ref, f"vwap({n})")


@pytest.mark.parametrize("n", REF_WINDOWS)
def test_volume_surge_matches_numpy_windows(bars: dict[str, np.ndarray], n: int) -> None:
    v = bars["volume"]
    ref = np.full(len(v), np.nan)
    ref[n:] = v[n:] / (sliding_window_view(v, n)[:-1].sum(axis=1) / n)
    assert_matches(ind.volume_surge(v, n), ref, f"volume_surge({n})")
