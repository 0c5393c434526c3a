"""Metamorphic and differential properties of soltrader.metrics (hypothesis).

Each property either relates a metric of transformed input to the metric of the input (scaling,
padding, concatenation) or compares the numba kernel, the public wrapper and an independent
pandas computation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as hs

import soltrader.metrics as sm
from soltrader.metrics import _nb

PPY = 8760.0
RET = hs.floats(-0.09, 0.09, allow_nan=False, allow_subnormal=False)
returns_lists = hs.lists(RET, min_size=2, max_size=300)
PNL = hs.floats(-1e4, 1e4, allow_nan=False, allow_subnormal=False)


def varied(r: list[float]) -> np.ndarray:
    arr = np.asarray(r)
    assume(arr.std() > 1e-6)
    return arr


@hs.composite
def equity_curves(draw: hs.DrawFn, min_size: int = 1) -> np.ndarray:
    r = draw(hs.lists(RET, min_size=min_size, max_size=300))
    start = draw(hs.floats(1.0, 1e6))
    return start * np.cumprod(1.0 + np.asarray(r))


# ------------------------------------------------------------------ metamorphic


@given(returns_lists, hs.floats(0.1, 10.0))
def test_scaling_returns_keeps_sharpe_and_scales_volatility(r: list[float], c: float) -> None:
    arr = varied(r)
    assume(abs(arr.mean()) > 1e-10)  # a mean of rounding noise has no meaningful sign
    base = sm.sharpe_ratio(arr, periods_per_year=PPY)
    scaled = sm.sharpe_ratio(c * arr, periods_per_year=PPY)
    assert np.sign(scaled) == np.sign(base)
    assert scaled == pytest.approx(base, rel=1e-9, abs=1e-12)
    vol = sm.annualized_volatility(arr, periods_per_year=PPY)
    assert sm.annualized_volatility(c * arr, periods_per_year=PPY) == pytest.approx(
        c * vol, rel=1e-9
    )


@given(hs.lists(RET, min_size=1, max_size=200), hs.integers(1, 200))
def test_zero_return_bars_keep_total_and_shrink_annualised(r: list[float], k: int) -> None:
    padded = r + [0.0] * k
    assert sm.total_return(padded) == sm.total_return(r)
    short = sm.annualized_return(r, periods_per_year=PPY)
    long = sm.annualized_return(padded, periods_per_year=PPY)
    assert abs(long) <= abs(short) * (1 + 1e-12) + 1e-300 or math.isinf(short)
    assert np.sign(long) == np.sign(short) or long == 0.0


@given(
    hs.lists(hs.floats(0.0, 1e3, allow_subnormal=False), min_size=1, max_size=300),
    hs.floats(1.0, 1e6),
)
def test_rising_equity_has_no_drawdown(steps: list[float], start: float) -> None:
    equity = start + np.cumsum(steps)
    assert np.all(np.diff(equity) >= 0)
    assert sm.max_drawdown(equity) == 0.0
    assert sm.max_drawdown_duration(equity) == 0
    assert sm.max_drawdown(equity, init_cash=start) == 0.0


@given(equity_curves(), hs.floats(1e-3, 1e3), hs.integers(-20, 20))
def test_drawdown_is_invariant_to_scaling_equity(eq: np.ndarray, c: float, k: int) -> None:
    assert sm.max_drawdown(c * eq) == pytest.approx(sm.max_drawdown(eq), rel=1e-9, abs=1e-12)
    exact = 2.0**k  # a power of two scales without rounding: spans are unchanged exactly
    for deepest in (False, True):
        assert sm.max_drawdown_duration(exact * eq, deepest=deepest) == sm.max_drawdown_duration(
            eq, deepest=deepest
        )


@given(hs.lists(RET, max_size=150), hs.lists(RET, max_size=150))
def test_total_return_composes_multiplicatively(a: list[float], b: list[float]) -> None:
    assume(a and b)
    whole = 1.0 + sm.total_return(a + b)
    parts = (1.0 + sm.total_return(a)) * (1.0 + sm.total_return(b))
    assert whole == pytest.approx(parts, rel=1e-12)


@given(hs.lists(PNL, max_size=100))
def test_trade_metric_ranges(pnl: list[float]) -> None:
    wr = sm.win_rate(pnl)
    pf = sm.profit_factor(pnl)
    assert (0.0 <= wr <= 1.0) or (math.isnan(wr) and not pnl)
    assert pf >= 0.0 or (math.isnan(pf) and not any(pnl))
    assert sm.win_loss_ratio(pnl) >= 0.0 or math.isnan(sm.win_loss_ratio(pnl))
    assert not sm.avg_loss(pnl) > 0.0 and not sm.avg_win(pnl) < 0.0
    if pnl:
        assert sm.expectancy(pnl) * len(pnl) == pytest.approx(sum(pnl), rel=1e-9, abs=1e-6)


@given(returns_lists)
def test_max_drawdown_between_zero_and_one(r: list[float]) -> None:
    s = sm.summary(returns=r, periods_per_year=PPY)
    assert 0.0 <= s["max_drawdown"] < 1.0
    assert 0 <= s["deepest_drawdown_duration_bars"] <= s["max_drawdown_duration_bars"] <= len(r)


# ------------------------------------------------------------------ kernel == wrapper == pandas


def pandas_drawdown(values: pd.Series) -> tuple[float, int, int]:
    """Max drawdown, longest span and deepest span via runs of under-water bars."""
    peak = values.cummax()
    dd = 1.0 - values / peak
    under = (values < peak).to_numpy()
    n = len(values)
    spans, depths = [], []
    i = 0
    while i < n:
        if not under[i]:
            i += 1
            continue
        j = i
        while j < n and under[j]:
            j += 1
        spans.append(j - i + 1 if j < n else j - i)  # + the recovery bar when recovered
        depths.append(dd.iloc[i:j].max())
        i = j
    if not spans:
        return float(dd.max()), 0, 0
    return float(dd.max()), max(spans), spans[int(np.argmax(depths))]


@given(returns_lists)
@np.errstate(over="ignore")  # CAGR of a few strongly positive hourly returns overflows to inf
def test_returns_metrics_kernel_wrapper_pandas(r: list[float]) -> None:
    arr = varied(r)
    s = pd.Series(arr)
    n = len(arr)
    growth = (1.0 + s).prod()
    downside = math.sqrt((s.clip(upper=0.0) ** 2).mean()) * math.sqrt(PPY)
    expected = {
        "total_return": (growth - 1.0, _nb.total_return_nb(arr), sm.total_return(arr)),
        "annualized_return": (
            growth ** (PPY / n) - 1.0,
            _nb.annualized_return_nb(arr, PPY),
            sm.annualized_return(arr, periods_per_year=PPY),
        ),
        "annualized_volatility": (
            s.std() * math.sqrt(PPY),
            _nb.annualized_volatility_nb(arr, PPY),
            sm.annualized_volatility(arr, periods_per_year=PPY),
        ),
        "sharpe": (
            s.mean() / s.std() * math.sqrt(PPY),
            _nb.sharpe_ratio_nb(arr, PPY, 0.0),
            sm.sharpe_ratio(arr, periods_per_year=PPY),
        ),
        "sortino": (
            s.mean() * PPY / downside if downside > 0 else (math.inf if s.mean() > 0 else math.nan),
            _nb.sortino_ratio_nb(arr, PPY, 0.0),
            sm.sortino_ratio(arr, periods_per_year=PPY),
        ),
    }
    for name, (ref, kernel, wrapper) in expected.items():
        assert kernel == wrapper or (math.isnan(kernel) and math.isnan(wrapper)), name
        if math.isfinite(ref):
            assert wrapper == pytest.approx(ref, rel=1e-9, abs=1e-12), name
        else:
            assert wrapper == ref or (math.isnan(wrapper) and math.isnan(ref)), name


@given(equity_curves(min_size=1), hs.booleans())
def test_drawdown_kernel_wrapper_pandas(eq: np.ndarray, with_cash: bool) -> None:
    init = float(eq[0] * 1.01) if with_cash else None
    values = pd.Series(np.r_[init, eq] if with_cash else eq)
    ref_dd, ref_longest, ref_deepest = pandas_drawdown(values)
    kernel = _nb.drawdown_stats_nb(eq, np.nan if init is None else init)
    assert kernel[1:] == (ref_longest, ref_deepest)
    assert kernel[0] == pytest.approx(ref_dd, rel=1e-12, abs=1e-15)
    assert sm.max_drawdown(eq, init_cash=init) == kernel[0]
    assert sm.max_drawdown_duration(eq, init_cash=init) == ref_longest
    assert sm.max_drawdown_duration(eq, init_cash=init, deepest=True) == ref_deepest
    per_bar = sm.drawdown(eq, init_cash=init)
    np.testing.assert_allclose(
        per_bar, (1.0 - values / values.cummax()).to_numpy()[-len(eq) :], rtol=1e-12, atol=1e-15
    )


@given(equity_curves(min_size=2), hs.booleans())
def test_drawdown_from_equity_equals_drawdown_from_returns(eq: np.ndarray, with_cash: bool) -> None:
    init = float(eq[0]) * 0.99 if with_cash else None
    r = sm.returns_from_equity(eq, init_cash=init)
    assert _nb.max_drawdown_returns_nb(r) == pytest.approx(
        sm.max_drawdown(eq, init_cash=init), rel=1e-9, abs=1e-12
    )
    a = sm.summary(eq, periods_per_year=PPY, init_cash=init)
    b = sm.summary(returns=r, periods_per_year=PPY, init_cash=init if with_cash else float(eq[0]))
    for name in ("total_return", "annualized_return", "sharpe", "sortino", "max_drawdown"):
        assert a[name] == pytest.approx(b[name], rel=1e-9, abs=1e-12, nan_ok=True), name


@given(hs.lists(hs.tuples(PNL, hs.floats(-0.9, 5.0), hs.floats(0.0, 50.0)), max_size=80))
@np.errstate(over="ignore")  # a tiny gross loss makes the profit factor overflow to inf
def test_trade_metrics_kernel_wrapper_pandas(rows: list[tuple[float, float, float]]) -> None:
    df = pd.DataFrame(rows, columns=["pnl", "ret", "fees"], dtype=float)
    pnl = df["pnl"].to_numpy()
    wins, losses = df.pnl[df.pnl > 0], df.pnl[df.pnl < 0]
    gain, loss = wins.sum(), -losses.sum()
    nan = math.nan
    expected = {
        "win_rate": (len(wins) / len(df) if len(df) else nan, _nb.win_rate_nb, sm.win_rate),
        "expectancy": (df.pnl.mean() if len(df) else nan, _nb.expectancy_nb, sm.expectancy),
        "avg_win": (wins.mean() if len(wins) else nan, _nb.avg_win_nb, sm.avg_win),
        "avg_loss": (losses.mean() if len(losses) else nan, _nb.avg_loss_nb, sm.avg_loss),
        "profit_factor": (
            gain / loss if loss > 0 else (math.inf if gain > 0 else nan),
            _nb.profit_factor_nb,
            sm.profit_factor,
        ),
    }
    for name, (ref, kernel, wrapper) in expected.items():
        k, w = kernel(pnl), wrapper(pnl)
        assert k == w or (math.isnan(k) and math.isnan(w)), name
        if math.isfinite(ref):
            assert w == pytest.approx(ref, rel=1e-9, abs=1e-9), name
        else:
            assert w == ref or (math.isnan(w) and math.isnan(ref)), name
    assert sm.fees_paid(df.fees) == pytest.approx(df.fees.sum(), rel=1e-12, abs=1e-12)
    if len(df):
        assert sm.best_trade(df.ret) == df.ret.max() and sm.worst_trade(df.ret) == df.ret.min()


@given(hs.lists(hs.sampled_from([0.0, 1.0, -2.5, 0.5]), min_size=1, max_size=200))
def test_exposure_in_unit_interval_and_equals_pandas(pos: list[float]) -> None:
    e = sm.exposure(pos)
    assert 0.0 <= e <= 1.0
    assert e == (pd.Series(pos) != 0).mean() == _nb.exposure_nb(np.asarray(pos))


@given(returns_lists, hs.floats(0.0, 0.2))
def test_sharpe_with_risk_free_equals_pandas(r: list[float], rf_year: float) -> None:
    arr = varied(r)
    excess = pd.Series(arr) - ((1.0 + rf_year) ** (1.0 / PPY) - 1.0)
    ref = excess.mean() / excess.std() * math.sqrt(PPY)
    ours = sm.sharpe_ratio(arr, periods_per_year=PPY, risk_free=rf_year)
    assert ours == pytest.approx(ref, rel=1e-8, abs=1e-10)
