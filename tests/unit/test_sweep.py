"""st.sweep: space expansion, constraints, sampling, execution modes and the result's tools."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import soltrader as st
from soltrader.engine.sweep import apply_constraints, grid, split_space
from soltrader.metrics import SUMMARY_FIELDS

SPACE = dict(fast=[5, 10, 20], slow=[30, 60], sl_stop=0.03, fees=0.001, slippage=0.0005)


@pytest.fixture(scope="module")
def bars(sol_1h) -> pd.DataFrame:
    return sol_1h.loc["2024-01-01":"2024-06-30"]


@pytest.fixture(scope="module")
def swept(bars) -> st.SweepResult:
    return st.sweep(bars, st.strategies.sma_cross, n_jobs=2, **SPACE)


def test_space_split_grid_and_constraints() -> None:
    fixed, swept = split_space(
        st.strategies.sma_cross,
        {
            "fast": range(10, 31, 10),
            "slow": np.array([20, 40]),
            "fees": 0.001,
            "limit_price": st.fixed([1.0, 2.0]),
        },
    )
    assert fixed == {"fees": 0.001, "limit_price": [1.0, 2.0]}
    assert swept == {"fast": [10, 20, 30], "slow": [20, 40]}
    combos = grid(swept)
    assert len(combos) == 6 and combos[0] == {"fast": 10, "slow": 20}
    kept = apply_constraints(combos, ["fast < slow", lambda c: c["slow"] - c["fast"] >= 20])
    assert kept == [{"fast": 10, "slow": 40}, {"fast": 20, "slow": 40}]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"fast": []}, "fast"),
        ({"fast": 10, "slow": 20}, "space"),
        ({"fastt": [1, 2]}, "fastt"),
        ({"fast": [50, 60], "slow": [10, 20], "constraints": "fast < slow"}, "constraints"),
        ({"fast": [5, 10], "constraints": "nonsense_name > 1"}, "constraints"),
        ({"fast": [5, 10], "method": "annealing"}, "method"),
        ({"fast": [5, 10], "method": "random"}, "n_samples"),
        ({"fast": [5, 10], "metric": "happiness"}, "metric"),
    ],
)
def test_bad_sweeps_are_named(bars, kwargs, name) -> None:
    with pytest.raises(st.ParameterError, match=name):
        st.sweep(bars, st.strategies.sma_cross, check_lookahead=False, **kwargs)


def test_nan_in_data_is_a_data_error(bars) -> None:
    bad = bars.copy()
    bad.iloc[100, bad.columns.get_loc("close")] = np.nan
    with pytest.raises(st.DataError, match="row 100"):
        st.sweep(bad, st.strategies.sma_cross, fast=[5, 10], check_lookahead=False)


def test_table_has_every_combination_and_metric(swept) -> None:
    assert len(swept.table) == 6
    assert swept.params == ["fast", "slow"]
    for col in ("sharpe", "total_return", "max_drawdown", "n_trades", "fees_paid"):
        assert col in swept.table.columns
    assert swept.returns.shape[1] == 6 and swept.complete


@settings(max_examples=10)
@given(row=hs.integers(0, 5))
def test_row_equals_a_fresh_backtest(swept, bars, row) -> None:
    # equal on every column they share: the table's statistics are SUMMARY_FIELDS, stats()
    # adds the counts of rejected orders
    combo = swept.combos[row]
    fresh = st.backtest(bars, st.strategies.sma_cross, **swept.fixed, **combo).stats()
    shared = [c for c in fresh.index if c in swept.table.columns]
    assert shared == list(SUMMARY_FIELDS)
    stored = swept.table.loc[row, shared].astype(float)
    np.testing.assert_array_equal(fresh[shared].to_numpy(), stored.to_numpy())
    again = swept.backtest(row).stats()
    np.testing.assert_array_equal(again[shared].to_numpy(), stored.to_numpy())


def test_serial_parallel_and_chunked_are_identical(bars, swept) -> None:
    serial = st.sweep(bars, st.strategies.sma_cross, n_jobs=1, check_lookahead=False, **SPACE)
    chunked = st.sweep(
        bars, st.strategies.sma_cross, n_jobs=2, chunk_size=1, check_lookahead=False, **SPACE
    )
    pd.testing.assert_frame_equal(serial.table, swept.table)
    pd.testing.assert_frame_equal(chunked.table, swept.table)
    pd.testing.assert_frame_equal(serial.returns, swept.returns)


def test_best_top_and_heatmap(swept) -> None:
    top = swept.top(3)
    assert top["sharpe"].is_monotonic_decreasing and len(top) == 3
    assert swept.best()["sharpe"] == swept.table["sharpe"].max()
    assert swept.top(1, "max_drawdown")["max_drawdown"].iloc[0] == swept.table["max_drawdown"].min()
    fig = swept.heatmap("fast", "slow", "sharpe")
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (2, 3)
    assert np.nanmax(image) == pytest.approx(swept.table["sharpe"].max())
    with pytest.raises(st.ParameterError, match="sl_stop"):
        swept.heatmap("fast", "sl_stop")


def test_overfitting_diagnostics_and_lookahead_verdict(swept) -> None:
    assert 0.0 <= swept.pbo.pbo <= 1.0
    assert 0.0 <= swept.deflated_sharpe.dsr <= 1.0
    assert swept.lookahead is not None and swept.lookahead.ok
    summary = swept.summary()
    assert summary["combinations"] == 6
    assert summary["best"] == swept.combos[int(swept.best().name)]
    assert summary["pbo"] == swept.pbo.pbo and summary["lookahead_ok"] is True
    assert swept.best_params == {**swept.fixed, **summary["best"]}


def test_random_sampling_is_seeded_subset(bars) -> None:
    space = dict(fast=[5, 10, 20, 30], slow=[40, 60, 90], fees=0.001)
    a = st.sweep(
        bars,
        st.strategies.sma_cross,
        method="random",
        n_samples=5,
        seed=7,
        check_lookahead=False,
        **space,
    )
    b = st.sweep(
        bars,
        st.strategies.sma_cross,
        method="random",
        n_samples=5,
        seed=7,
        check_lookahead=False,
        **space,
    )
    full = st.sweep(bars, st.strategies.sma_cross, check_lookahead=False, **space)
    assert len(a.table) == 5 and a.combos == b.combos
    for combo, (_, row) in zip(a.combos, a.table.iterrows(), strict=True):
        same = full.table[
            (full.table["fast"] == combo["fast"]) & (full.table["slow"] == combo["slow"])
        ]
        assert same["sharpe"].iloc[0] == row["sharpe"]


def test_optuna_search_is_seeded_and_stays_in_the_space(bars) -> None:
    pytest.importorskip("optuna")
    space = dict(fast=[5, 10, 20, 30], slow=[40, 60, 90], fees=0.001)
    a = st.sweep(
        bars,
        st.strategies.sma_cross,
        method="optuna",
        n_trials=8,
        seed=3,
        check_lookahead=False,
        **space,
    )
    b = st.sweep(
        bars,
        st.strategies.sma_cross,
        method="optuna",
        n_trials=8,
        seed=3,
        check_lookahead=False,
        **space,
    )
    assert a.combos == b.combos and 1 <= len(a.combos) <= 8
    assert all(c["fast"] in space["fast"] and c["slow"] in space["slow"] for c in a.combos)


def test_streaming_callback_sees_every_row(bars) -> None:
    seen = []
    res = st.sweep(
        bars,
        st.strategies.sma_cross,
        fast=[5, 10, 20],
        fees=0.001,
        callback=lambda combo, stats: seen.append((combo["fast"], stats["sharpe"])),
        check_lookahead=False,
    )
    assert sorted(seen) == sorted(zip(res.table["fast"], res.table["sharpe"], strict=True))


@pytest.mark.slow
def test_dask_local_cluster_equals_local(bars, swept) -> None:
    pytest.importorskip("distributed")
    on_dask = st.sweep(
        bars, st.strategies.sma_cross, executor="dask", n_jobs=2, check_lookahead=False, **SPACE
    )
    pd.testing.assert_frame_equal(on_dask.table, swept.table)
