"""Annualised figures follow elapsed time, not the bar count: a two-month outage cut out of real
SOL/USDT 1h bars leaves the annualised return at ``(end / start) ** (1 / elapsed_years) - 1``
(a hand computation), and without gaps every figure is bit for bit what the bar count gave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as hs

import soltrader as st
from soltrader.domain.errors import DataError, ParameterError
from soltrader.metrics import _nb as metrics_nb

YEAR_NS = 365 * 86_400 * 10**9
HOUR_NS = 3_600 * 10**9
KW = dict(fast=20, slow=100, fees=0.001)


@pytest.fixture(scope="module")
def year(sol_1h: pd.DataFrame) -> pd.DataFrame:
    """A gapless year of 1h bars (8,784 bars: 2024 is a leap year)."""
    bars = sol_1h.loc["2023-06-01":"2024-05-31"]
    assert (np.diff(bars.index.asi8) == HOUR_NS).all()
    return bars


@pytest.fixture(scope="module")
def outage(year: pd.DataFrame) -> pd.DataFrame:
    """The same year with October and November 2023 cut out (an exchange outage)."""
    return year.drop(year.loc["2023-10-01":"2023-11-30"].index)


def test_gapless_data_gives_the_bar_count_figures_bit_for_bit(year) -> None:
    res = st.backtest(year, st.strategies.sma_cross, **KW)
    stats = res.stats()
    assert stats["periods_per_year"] == 8760.0 == st.metrics.periods_per_year("1h")
    equity = res.equity.to_numpy()
    growth = equity[-1] / res.init_cash
    # the former rule: bars per year from the bar length, compounded over the bar count
    assert stats["annualized_return"] == metrics_nb.cagr_nb(growth, len(equity), 8760.0)
    returns = st.metrics.returns_from_equity(equity, init_cash=res.init_cash)
    assert stats["sharpe"] == metrics_nb.sharpe_ratio_nb(returns, 8760.0, 0.0)


def test_an_outage_does_not_inflate_the_annualised_return(year, outage) -> None:
    res = st.backtest(outage, st.strategies.sma_cross, **KW)
    stats = res.stats()
    n = len(outage)
    first, last = outage.index[0], outage.index[-1]
    elapsed_years = (last + pd.Timedelta(hours=1) - first) / pd.Timedelta(days=365)
    assert elapsed_years == pytest.approx(len(year) / 8760, rel=1e-15)  # the calendar year
    growth = float(res.equity.iloc[-1]) / res.init_cash
    by_hand = growth ** (1.0 / elapsed_years) - 1.0
    assert stats["annualized_return"] == pytest.approx(by_hand, rel=1e-12)
    assert stats["periods_per_year"] == pytest.approx(n / elapsed_years, rel=1e-15)
    # counting bars would have squeezed the same growth into 10 months of "year"
    by_bars = growth ** (8760.0 / n) - 1.0
    assert by_bars > 1.4 * by_hand > 0
    returns = st.metrics.returns_from_equity(res.equity.to_numpy(), init_cash=res.init_cash)
    sharpe = returns.mean() / returns.std(ddof=1) * np.sqrt(n / elapsed_years)
    assert stats["sharpe"] == pytest.approx(sharpe, rel=1e-9)
    vol = returns.std(ddof=1) * np.sqrt(n / elapsed_years)
    assert stats["annualized_volatility"] == pytest.approx(vol, rel=1e-9)


def test_sweep_and_walk_forward_use_the_same_rule(outage) -> None:
    sw = st.sweep(
        outage, st.strategies.sma_cross, fast=[20, 30], slow=[100], fees=0.001,
        check_lookahead=False,
    )  # fmt: skip
    for row, combo in enumerate(sw.combos):
        fresh = st.backtest(outage, st.strategies.sma_cross, fees=0.001, **combo).stats()
        fresh = fresh[fresh.index.intersection(sw.table.columns, sort=False)]  # no rejection counts
        np.testing.assert_array_equal(sw.table.loc[row, fresh.index].to_numpy(float), fresh)
    wf = st.walk_forward(
        outage, st.strategies.sma_cross, {"fast": [20, 30], "slow": [100]}, train="60D",
        test="60D", fees=0.001,
    )  # fmt: skip
    idx = wf.equity.index
    elapsed = (idx[-1] + pd.Timedelta(hours=1) - idx[0]) / pd.Timedelta(days=365)
    assert idx.to_series().diff().max() > pd.Timedelta(days=50)  # the outage is inside
    assert wf.periods_per_year() == pytest.approx(len(idx) / elapsed, rel=1e-15)
    assert wf.stats()["periods_per_year"] == wf.periods_per_year()


@given(step=hs.integers(1, 10**13), n=hs.integers(3, 10**5), t0=hs.integers(-(10**17), 10**17))
def test_without_gaps_the_rate_is_year_over_step_exactly(step: int, n: int, t0: int) -> None:
    full = pd.DatetimeIndex(t0 + step * np.arange(min(n, 50), dtype=np.int64), tz="UTC")
    assert st.metrics.elapsed_periods_per_year(full) == YEAR_NS / float(step)  # the old rule
    # three bars spanning n bar lengths: 3 observations in n * step of elapsed time
    gapped = pd.DatetimeIndex(t0 + step * np.array([0, 1, n - 1], dtype=np.int64), tz="UTC")
    assert st.metrics.elapsed_periods_per_year(gapped) == 3 * YEAR_NS / (step * n)


def test_bad_indexes_are_refused() -> None:
    one = pd.DatetimeIndex(["2024-01-01"], tz="UTC")
    with pytest.raises(ParameterError, match="at least 2 bars"):
        st.metrics.elapsed_periods_per_year(one)
    backwards = pd.DatetimeIndex(["2024-01-02", "2024-01-01"], tz="UTC")
    with pytest.raises(DataError, match="must increase"):
        st.metrics.elapsed_periods_per_year(backwards)


@given(gaps=hs.lists(hs.sampled_from([1, 1, 1, 2, 3, 7]), min_size=1, max_size=40))
def test_the_bar_checks_spacing_count_gives_the_counted_rate(gaps: list[int]) -> None:
    """The backtest's bar check counts the gaps as long as the first one in its pass over the
    times; the rate it gives equals the one counted from the index alone, for bars whose most
    common spacing is the first one and for bars where it is not."""
    ticks = np.cumsum([0, *gaps]) * 60_000
    n = len(ticks)
    bars = st.data.schema.ohlcv_frame(ticks, *[np.ones(n)] * 5)
    res = st.backtest_signals(bars, np.zeros(n, dtype=bool))
    counted = res.market.first_step_count()
    assert counted == int((np.diff(ticks) == ticks[1] - ticks[0]).sum())
    assert res.periods_per_year() == st.metrics.elapsed_periods_per_year(res.market.index)


def test_a_market_with_another_index_counts_its_own_spacing(year, outage) -> None:
    """The check's count belongs to the index it counted: a market given another index (by
    ``dataclasses.replace``) counts that one's spacing, never the old count."""
    import dataclasses

    res = st.backtest(year, st.strategies.sma_cross, **KW)
    assert res.market.first_step_count() == len(year) - 1
    moved = dataclasses.replace(
        res.market, index=year.index[:1].append(year.index[1:] + pd.Timedelta("1s"))
    )
    assert moved.first_step_count() is None
    assert (
        st.backtest(outage, st.strategies.sma_cross, **KW).market.first_step_count()
        == len(outage) - 2
    )
