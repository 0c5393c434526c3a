"""Monte Carlo of trade returns: hand cases, a pure-Python replay of the kernel's draws,
determinism, shuffle invariants, a real backtest's trades, and bad input."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.costs._nb import uniform_nb
from soltrader.engine.validation.montecarlo import MAX_FAN_POINTS, monte_carlo

TRADES = np.array([0.12, -0.08, 0.05, -0.15, 0.2, -0.03, 0.07, -0.1])


def replay_path(returns: np.ndarray, method: str, seed: int, path: int) -> np.ndarray:
    """The documented draws, in plain Python: splitmix64 uniform of (seed, path, draw)."""
    n = returns.size
    if method == "bootstrap":
        return np.array([returns[int(uniform_nb(seed, path, k) * n)] for k in range(n)])
    work = returns.copy()
    for i in range(n - 1, 0, -1):
        j = int(uniform_nb(seed, path, i) * (i + 1))
        work[i], work[j] = work[j], work[i]
    return work


@pytest.mark.parametrize("method", ["bootstrap", "shuffle"])
def test_paths_follow_the_documented_draws(method: str) -> None:
    mc = monte_carlo(TRADES, n_paths=50, method=method, seed=42, init_cash=1000.0)
    for p in (0, 17, 49):
        seq = replay_path(TRADES, method, 42, p)
        equity = 1000.0 * np.cumprod(1.0 + seq)
        peak = np.maximum.accumulate(np.concatenate([[1000.0], equity]))[1:]
        assert mc.final_equity[p] == pytest.approx(equity[-1], rel=1e-12)
        assert mc.max_drawdown[p] == pytest.approx(np.max(1.0 - equity / peak), rel=1e-12)
        assert mc.min_equity[p] == pytest.approx(min(1000.0, equity.min()), rel=1e-12)
        np.testing.assert_allclose(mc.curves[p], np.concatenate([[1000.0], equity]), rtol=1e-12)


def test_same_seed_same_paths_other_seed_other_paths() -> None:
    a = monte_carlo(TRADES, n_paths=500, seed=7)
    b = monte_carlo(TRADES, n_paths=500, seed=7)
    c = monte_carlo(TRADES, n_paths=500, seed=8)
    assert np.array_equal(a.final_equity, b.final_equity)
    assert np.array_equal(a.curves, b.curves)
    assert not np.array_equal(a.final_equity, c.final_equity)
    # counter-based: the first paths do not depend on how many paths are drawn
    assert np.array_equal(monte_carlo(TRADES, n_paths=10, seed=7).final_equity, a.final_equity[:10])


def test_shuffle_keeps_the_final_equity_and_moves_the_drawdowns() -> None:
    mc = monte_carlo(TRADES, n_paths=3000, method="shuffle", seed=1, init_cash=100.0)
    np.testing.assert_allclose(mc.final_equity, mc.observed_final_equity, rtol=1e-12)
    assert mc.max_drawdown.min() < mc.observed_max_drawdown < mc.max_drawdown.max()
    # the worst orders put all losses in a row: drawdown = 1 - prod of the losses
    losses = TRADES[TRADES < 0]
    assert mc.max_drawdown.max() == pytest.approx(1.0 - np.prod(1.0 + losses), rel=1e-9)


def test_bootstrap_of_two_returns_visits_the_four_paths_evenly() -> None:
    mc = monte_carlo([0.5, -0.5], n_paths=20_000, seed=3, init_cash=1.0)
    finals = np.round(mc.final_equity, 12)
    assert set(finals.tolist()) == {2.25, 0.75, 0.25}
    assert np.mean(finals == 2.25) == pytest.approx(0.25, abs=0.015)
    assert np.mean(finals == 0.75) == pytest.approx(0.50, abs=0.015)
    assert np.mean(finals == 0.25) == pytest.approx(0.25, abs=0.015)


def test_risk_of_ruin_by_hand() -> None:
    # Two orders: (-60 %, +10 %) bottoms at 0.40, (+10 %, -60 %) at 0.44 of the start.
    mc = monte_carlo([-0.6, 0.1], n_paths=4000, method="shuffle", seed=5, init_cash=1.0)
    assert mc.risk_of_ruin == 1.0  # ruin_level 0.5
    assert mc.ruin_probability(0.45) == 1.0
    assert mc.ruin_probability(0.3) == 0.0
    first_loss = mc.min_equity < 0.42
    assert mc.ruin_probability(0.42) == pytest.approx(0.5, abs=0.03)
    assert np.allclose(mc.min_equity[first_loss], 0.4)


def test_quantiles_summary_and_bands_agree_with_numpy() -> None:
    mc = monte_carlo(TRADES, n_paths=2000, seed=9, init_cash=10_000.0, ruin_level=0.8)
    q = mc.quantiles([0.05, 0.5, 0.95])
    np.testing.assert_allclose(q["final_equity"], np.quantile(mc.final_equity, [0.05, 0.5, 0.95]))
    np.testing.assert_allclose(q["total_return"], q["final_equity"] / 10_000.0 - 1.0)
    s = mc.summary()
    assert s["risk_of_ruin"] == np.mean(mc.min_equity < 8000.0)
    assert s["prob_loss"] == np.mean(mc.final_equity < 10_000.0)
    assert s["median_max_drawdown"] == np.median(mc.max_drawdown)
    bands = mc.bands((0.25, 0.75))
    assert bands.shape == (TRADES.size + 1, 2)
    assert (bands[0.25] <= bands[0.75]).all()
    assert bands.iloc[0].tolist() == [10_000.0, 10_000.0]
    np.testing.assert_array_equal(mc.curves[:, -1], mc.final_equity)
    assert "risk of ruin" in repr(mc)


def test_long_sequences_keep_a_bounded_number_of_fan_points() -> None:
    trades = np.random.default_rng(0).normal(0.002, 0.02, 1000)
    mc = monte_carlo(trades, n_paths=300, seed=2)
    assert mc.steps[0] == 0 and mc.steps[-1] == 1000
    assert len(mc.steps) <= MAX_FAN_POINTS + 1
    np.testing.assert_array_equal(mc.curves[:, -1], mc.final_equity)
    seq = replay_path(trades, "bootstrap", 2, 5)
    equity = 10_000.0 * np.cumprod(1.0 + seq)
    np.testing.assert_allclose(mc.curves[5, 1:], equity[mc.steps[1:] - 1], rtol=1e-12)


def test_fan_chart_draws_bands_median_and_observed_path() -> None:
    mc = monte_carlo(TRADES, n_paths=500, seed=4)
    fig = mc.fan_chart()
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert "median" in labels and "observed" in labels
    assert len(ax.collections) == 2  # 5-95 % and 25-75 % bands
    plt.close(fig)


def test_a_backtest_result_gives_its_trades_return_column(sol_1h: pd.DataFrame) -> None:
    # monte_carlo(res) and monte_carlo(res.trades["return"]) are the same call (the docs say
    # so): every trade, the position still open at the end marked at the last close
    res = st.backtest(sol_1h, st.strategies.sma_cross, fast=10, slow=50, fees=0.001)
    assert res.trades["is_open"].iloc[-1]  # the case that made them differ
    a = monte_carlo(res, n_paths=300, seed=7)
    b = monte_carlo(res.trades["return"], n_paths=300, seed=7)
    assert a.trade_returns.size == b.trade_returns.size == len(res.trades)
    np.testing.assert_array_equal(a.trade_returns, b.trade_returns)
    np.testing.assert_array_equal(a.final_equity, b.final_equity)
    np.testing.assert_array_equal(a.max_drawdown, b.max_drawdown)
    assert a.summary().equals(b.summary())
    # each trade commits the whole account (size=1, percent), as the Monte Carlo assumes: the
    # observed path ends where the backtest does
    assert a.observed_final_equity == pytest.approx(res.stats()["end_value"], rel=1e-9)
    closed = res.trades.loc[~res.trades["is_open"], "return"]
    assert monte_carlo(closed, n_paths=10).trade_returns.size == res.stats()["n_trades"]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"trade_returns": []}, "trade_returns"),
        ({"trade_returns": [0.1, -1.5]}, "trade_returns"),
        ({"method": "block"}, "method"),
        ({"n_paths": 0}, "n_paths"),
        ({"ruin_level": 0.0}, "ruin_level"),
        ({"ruin_level": 1.5}, "ruin_level"),
        ({"seed": -1}, "seed"),
        ({"init_cash": 0.0}, "init_cash"),
        ({"trade_returns": [[0.1, 0.2]]}, "trade_returns"),
    ],
)
def test_bad_input_raises_a_parameter_error(kwargs: dict, name: str) -> None:
    args = {"trade_returns": TRADES, **kwargs}
    with pytest.raises(st.ParameterError) as err:
        monte_carlo(args.pop("trade_returns"), **args)
    assert err.value.name == name


def test_nan_trade_return_is_a_data_error_naming_the_row() -> None:
    with pytest.raises(st.DataError, match="row 2") as err:
        monte_carlo(pd.Series([0.1, 0.2, np.nan, 0.3]))
    assert err.value.row == 2
