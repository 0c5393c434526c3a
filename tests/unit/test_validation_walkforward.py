"""Walk-forward optimisation on real SOL 1h bars with a tiny grid: the windows, the optimiser's
choice, the warm-up rule, the stitched out-of-sample equity, its statistics, and bad input."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import polars as pl
import pytest

import soltrader as st
from soltrader.engine.validation.walkforward import evaluate, grid, optimise, walk_forward
from soltrader.strategies import Bars

SPACE = {"fast": [10, 20], "slow": [50, 100]}
COSTS = {"fees": 0.001, "slippage": 0.0005}


@pytest.fixture(scope="module")
def bars(sol_1h: pd.DataFrame) -> pd.DataFrame:
    return sol_1h.iloc[-24 * 240 :]


@pytest.fixture(scope="module")
def wf(bars: pd.DataFrame):
    return walk_forward(bars, st.strategies.sma_cross, SPACE, train="90D", test="30D", **COSTS)


def _bars_of(frame: pd.DataFrame) -> Bars:
    return Bars(*(frame[c].to_numpy() for c in ("open", "high", "low", "close", "volume")))


def test_grid_expands_every_combination() -> None:
    assert grid({"a": [1, 2], "b": np.array([0.5])}) == [{"a": 1, "b": 0.5}, {"a": 2, "b": 0.5}]
    assert len(grid({"a": range(3), "b": (1, 2)})) == 6


def test_windows_tile_the_data_after_the_first_training_span(wf, bars: pd.DataFrame) -> None:
    table = wf.windows
    assert len(table) == 5  # 240 days: 90 to train, then 30 + 30 + 30 + 30 + 30
    assert table["test_start"].iloc[0] >= bars.index[0] + pd.Timedelta("90D")
    assert (table["train_end"] < table["test_start"]).all()
    assert len(wf.equity) == table["n_test"].sum()
    assert wf.equity.index[0] == table["test_start"].iloc[0]
    assert wf.equity.index[-1] == bars.index[-1]
    assert wf.equity.index.is_monotonic_increasing and wf.equity.index.is_unique
    for params in table["params"]:
        assert params in grid(SPACE)
    assert wf.best_params == table["params"].iloc[-1]


def test_each_window_trades_the_training_winner(wf, bars: pd.DataFrame) -> None:
    for w, row, res, tab in zip(
        wf.splits, wf.windows.itertuples(), wf.results, wf.tables, strict=True
    ):
        best, again = optimise(
            bars.iloc[: w.train.stop],
            st.strategies.sma_cross,
            SPACE,
            "sharpe",
            start=w.train.start,
            **COSTS,
        )
        assert best == row.params
        pd.testing.assert_frame_equal(again, tab)
        assert tab["metric"].iloc[0] == row.is_metric == tab["metric"].max()
        assert row.oos_metric == pytest.approx(res.stats()["sharpe"], nan_ok=True)
        assert res.market.index[0] == row.test_start and res.market.index[-1] == row.test_end


def test_the_test_run_warms_up_on_earlier_bars_but_trades_only_inside(
    wf, bars: pd.DataFrame
) -> None:
    w = wf.splits[2]
    params = wf.windows["params"].iloc[2]
    full = st.strategies.sma_cross(_bars_of(bars), **params)
    s, e = w.test.start, w.test.stop
    direct = st.backtest_signals(bars.iloc[s:e], full.entries[s:e], full.exits[s:e], **COSTS)
    np.testing.assert_allclose(
        wf.results[2].equity.to_numpy(), direct.equity.to_numpy(), rtol=1e-12
    )
    trades = wf.results[2].trades
    assert (trades["entry_bar"] >= 0).all() and (trades["entry_bar"] < w.n_test).all()


def test_evaluate_counts_only_the_window(bars: pd.DataFrame) -> None:
    params = {"fast": 10, "slow": 50, "sl_stop": 0.03}
    res = evaluate(bars, st.strategies.sma_cross, params, start=1000, stop=2000, fees=0.001)
    full = st.strategies.sma_cross(_bars_of(bars), fast=10, slow=50)
    direct = st.backtest_signals(
        bars.iloc[1000:2000],
        full.entries[1000:2000],
        full.exits[1000:2000],
        sl_stop=0.03,
        fees=0.001,
    )
    np.testing.assert_allclose(res.equity.to_numpy(), direct.equity.to_numpy(), rtol=1e-12)
    assert res.params == {"strategy": "sma_cross", "fast": 10, "slow": 50, "sl_stop": 0.03}
    from_polars = evaluate(
        pl.from_pandas(bars.reset_index()),
        st.strategies.sma_cross,
        params,
        start=1000,
        stop=2000,
        fees=0.001,
    )
    np.testing.assert_array_equal(from_polars.equity.to_numpy(), res.equity.to_numpy())
    with pytest.raises(st.ParameterError) as err:
        evaluate(bars, st.strategies.sma_cross, params, start=2000, stop=1000)
    assert err.value.name == "start"


@pytest.mark.parametrize("warmup", [0, 150])
def test_warmup_limits_the_history_the_indicators_see(bars: pd.DataFrame, warmup: int) -> None:
    params = {"fast": 10, "slow": 100}
    res = walk_forward(
        bars,
        st.strategies.sma_cross,
        {k: [v] for k, v in params.items()},
        train="90D",
        test="30D",
        warmup=warmup,
        **COSTS,
    )
    for w, r in zip(res.splits, res.results, strict=True):
        seen = bars.iloc[w.test.start - warmup : w.test.stop]
        sig = st.strategies.sma_cross(_bars_of(seen), **params)
        direct = st.backtest_signals(
            bars.iloc[w.test.start : w.test.stop], sig.entries[warmup:], sig.exits[warmup:], **COSTS
        )
        np.testing.assert_allclose(r.equity.to_numpy(), direct.equity.to_numpy(), rtol=1e-12)
        if warmup == 0:  # no history: SMA(100) has its first crossing at bar 100 at the earliest
            assert (r.trades["entry_bar"] > 100).all()


def test_stitched_equity_chains_the_window_returns(wf) -> None:
    chained = []
    for res in wf.results:
        eq = res.equity.to_numpy()
        chained.append(eq / np.concatenate([[res.init_cash], eq[:-1]]) - 1.0)
    expected = wf.init_cash * np.cumprod(1.0 + np.concatenate(chained))
    np.testing.assert_allclose(wf.equity.to_numpy(), expected, rtol=1e-12)
    total = np.prod([res.equity.iloc[-1] / res.init_cash for res in wf.results])
    assert wf.equity.iloc[-1] == pytest.approx(wf.init_cash * total, rel=1e-12)


def test_stats_of_the_out_of_sample_run(wf) -> None:
    s = wf.stats()
    assert s["total_return"] == pytest.approx(wf.equity.iloc[-1] / wf.init_cash - 1, rel=1e-12)
    assert s["n_bars"] == len(wf.equity) and s["periods_per_year"] == 8760.0
    every = sum(len(r.trades) for r in wf.results)  # a position open at a window's end included
    assert s["n_trades"] == every == len(wf.trades)
    assert s["sharpe"] == pytest.approx(
        st.metrics.sharpe_ratio(wf.returns, timeframe="1h"), rel=1e-12
    )
    # trade P&L is scaled to the stitched account's size when each window starts
    pnl, level = [], wf.init_cash
    for res in wf.results:
        pnl.append(res.trades["pnl"].to_numpy() * level / wf.init_cash)
        level = wf.equity.loc[res.market.index[-1]]
    assert s["expectancy"] == pytest.approx(np.concatenate(pnl).mean(), rel=1e-12)
    assert "WalkForwardResult(sma_cross, 5 windows" in repr(wf)


def test_trade_pnl_adds_up_to_the_stitched_equity_on_real_data(sol_1h: pd.DataFrame) -> None:
    # the documented example on all the bundled bars: 63 windows, most end with a position open;
    # closed there as window_end trades, the trades tell the equity's story
    wf = walk_forward(
        sol_1h,
        st.strategies.sma_cross,
        {"fast": [10, 20, 40], "slow": [100, 200]},
        train="90D",
        test="30D",
        **COSTS,
    )
    trades = wf.trades
    ends = trades[trades["exit_reason"] == "window_end"]
    open_at_end = sum(bool(r.trades_records["is_open"].any()) for r in wf.results)
    assert len(ends) == open_at_end > len(wf.results) // 3
    assert (ends["exit_time"] == [wf.results[k].market.index[-1] for k in ends["fold"]]).all()
    change = wf.equity.iloc[-1] - wf.init_cash
    assert trades["pnl"].sum() == pytest.approx(change, rel=1e-9)
    stats = wf.stats()
    assert stats["n_trades"] == len(trades)
    assert stats["expectancy"] * stats["n_trades"] == pytest.approx(change, rel=1e-9)
    # so a run that made money cannot show a profit factor below 1 (0.69 and an expectancy of
    # -755 beside +1,254 % before)
    assert stats["total_return"] > 0 and stats["profit_factor"] > 1 and stats["expectancy"] > 0
    assert stats["win_rate"] == pytest.approx((trades["pnl"] > 0).mean(), rel=1e-12)


def test_plot_shows_windows_and_equity(wf) -> None:
    fig = wf.plot()
    ax_w, ax_e = fig.axes
    assert len(ax_w.get_lines()) == 2 * len(wf.windows)
    labels = [line.get_label() for line in ax_e.get_lines()]
    assert "out-of-sample equity" in labels
    plt.close(fig)


def test_anchored_purged_and_a_swept_stop(bars: pd.DataFrame) -> None:
    res = walk_forward(
        bars,
        st.strategies.sma_cross,
        {"fast": [10], "sl_stop": [0.02, 0.05]},
        train=24 * 60,
        test=24 * 60,
        anchored=True,
        purge=24,
        embargo=24,
        metric="total_return",
        slow=50,
        **COSTS,
    )
    assert (res.windows["train_start"] == bars.index[0]).all()
    for w in res.splits:
        assert w.train.stop == w.test.start - 48
    assert set(res.windows["sl_stop"]) <= {0.02, 0.05}
    assert res.results[0].params["slow"] == 50


def test_lower_is_better_metric_is_minimised(bars: pd.DataFrame) -> None:
    best, table = optimise(
        bars.iloc[:3000], st.strategies.sma_cross, SPACE, "max_drawdown", start=1000, **COSTS
    )
    assert table["metric"].iloc[0] == table["metric"].min()
    assert table["rank"].tolist() == [1, 2, 3, 4]
    assert {k: table.iloc[0][k] for k in SPACE} == best


def test_a_callable_metric_and_a_swapped_optimiser(bars: pd.DataFrame) -> None:
    calls = []

    def fixed(data, strategy, space, metric, *, start, **kw):
        calls.append((len(data), start, metric))
        return {"fast": 20, "slow": 50}, pd.DataFrame({"metric": [1.5]})

    def final_value(res) -> float:
        return float(res.equity.iloc[-1])

    res = walk_forward(
        bars,
        st.strategies.sma_cross,
        SPACE,
        train="90D",
        test="60D",
        metric=final_value,
        optimiser=fixed,
        **COSTS,
    )
    assert len(calls) == len(res.windows) and all(c[2] is final_value for c in calls)
    assert (res.windows["is_metric"] == 1.5).all()
    assert res.windows["oos_metric"].tolist() == [r.equity.iloc[-1] for r in res.results]
    assert res.metric == "final_value"


@pytest.mark.parametrize(
    ("space", "kwargs", "name"),
    [
        ({}, {}, "space"),
        ({"fast": []}, {}, "space['fast']"),
        ({"fast": 10}, {}, "space['fast']"),
        ({"fastest": [10]}, {}, "fastest"),
        (SPACE, {"metric": "alpha"}, "metric"),
        (SPACE, {"bogus_fee": 0.1}, "bogus_fee"),
        (SPACE, {"train": "300D"}, "train"),
        (SPACE, {"warmup": -1}, "warmup"),
    ],
)
def test_bad_input_raises_a_parameter_error(
    bars: pd.DataFrame, space: dict, kwargs: dict, name: str
) -> None:
    args = {"train": "90D", "test": "30D", **kwargs}
    with pytest.raises(st.ParameterError) as err:
        walk_forward(bars, st.strategies.sma_cross, space, **args)
    assert err.value.name == name


def test_nan_prices_and_several_assets_are_refused(bars: pd.DataFrame) -> None:
    bad = bars.copy()
    bad.iloc[500, bad.columns.get_loc("open")] = np.nan
    with pytest.raises(st.DataError, match="row 500"):
        walk_forward(bad, st.strategies.sma_cross, SPACE, train="90D", test="30D")
    with pytest.raises(st.ParameterError, match="one asset"):
        walk_forward({"SOL": bars}, st.strategies.sma_cross, SPACE, train="90D", test="30D")
    with pytest.raises(st.ParameterError, match="Strategy"):
        walk_forward(bars, "sma_cross", SPACE, train="90D", test="30D")


def test_a_strategy_stop_cannot_also_be_swept(bars: pd.DataFrame) -> None:
    with pytest.raises(st.ParameterError, match="set per bar") as err:
        walk_forward(
            bars, st.strategies.mean_reversion, {"sl_stop": [0.02]}, train="90D", test="30D"
        )
    assert err.value.name == "sl_stop"
