"""st.sweep: space expansion, constraints, sampling, execution modes and the result's tools."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from numba import njit

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


@pytest.fixture(scope="module")
def flat_sweep(sol_1h) -> st.SweepResult:
    """The ordinary mean_reversion grid on all the bundled SOL 1h bars: rsi_low=10 never trades."""
    return st.sweep(sol_1h, st.strategies.mean_reversion, rsi_low=[10, 20, 30], z_entry=[2.0, 3.0])


def test_a_combination_that_never_trades_is_a_sharpe_of_zero_not_an_error(flat_sweep) -> None:
    table = flat_sweep.table
    never = table.index[table["n_trades"] == 0].tolist()
    assert never == [0, 1] and flat_sweep.flat == never  # rsi_low=10 never fires
    assert table.loc[never, "sharpe"].isna().all()  # undefined in the table, as in stats()
    assert (flat_sweep.returns[never] == 0.0).all().all()
    dsr = flat_sweep.deflated_sharpe
    assert dsr.n_flat == 2 and dsr.n_trials == 6 and 0.0 <= dsr.dsr <= 1.0
    # the flat columns enter the variance of the trials' Sharpe ratios as zeros
    m = flat_sweep.returns.to_numpy()
    srs = [0.0 if (m[:, j] == 0).all() else m[:, j].mean() / m[:, j].std(ddof=1) for j in range(6)]
    assert dsr.var_trials_sr == pytest.approx(np.var(srs, ddof=1), rel=1e-12)
    assert 0.0 <= flat_sweep.pbo.pbo <= 1.0
    summary = flat_sweep.summary()
    assert summary["flat_combinations"] == 2 and summary["deflated_sharpe"] == dsr.dsr
    assert summary["best"] == flat_sweep.combos[int(flat_sweep.best().name)]
    assert "2 never traded" in repr(flat_sweep)


def test_repr_is_a_short_summary(swept) -> None:
    text = repr(swept)
    assert "\n" not in text and len(text) < 300
    best = swept.best()
    assert text.startswith("SweepResult(sma_cross: 6 combinations of fast, slow, fused path")
    assert f"#{best.name} {swept.combos[int(best.name)]}" in text


def test_sets_and_series_are_swept_like_lists(bars, swept) -> None:
    as_set = st.sweep(
        bars,
        st.strategies.sma_cross,
        fast={20, 5, 10},
        slow=pd.Series([30, 60]),
        sl_stop=0.03,
        fees=0.001,
        slippage=0.0005,
        check_lookahead=False,
    )
    assert as_set.combos == swept.combos  # the set sorted, the series by its values
    pd.testing.assert_frame_equal(as_set.table, swept.table)
    fixed, spaced = split_space(
        st.strategies.sma_cross,
        {"fast": pd.Index([5, 10]), "limit_price": bars["close"] * 0.99},
        bars.index,
    )
    assert spaced == {"fast": [5, 10]} and list(fixed) == ["limit_price"]  # per-bar: fixed
    with pytest.raises(st.ParameterError, match="fast"):
        split_space(st.strategies.sma_cross, {"fast": {5, "ten"}})
    with pytest.raises(st.ParameterError, match="fast"):
        split_space(st.strategies.sma_cross, {"fast": set()})


def test_optuna_reports_repeated_trials_and_leaves_logging_alone(bars) -> None:
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.DEBUG)
    try:
        res = st.sweep(
            bars,
            st.strategies.sma_cross,
            method="optuna",
            n_trials=30,
            seed=1,
            fast=[5, 10, 20],
            slow=[40, 60],
            constraints="fast < slow",
            check_lookahead=False,
        )
        assert optuna.logging.get_verbosity() == optuna.logging.DEBUG
    finally:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    trials = res.trials
    assert trials.run == 30 and len(res.table) <= 6
    assert trials.run == len(res.table) + trials.repeated + trials.pruned
    assert trials.repeated > 0  # 30 trials over 6 combinations must repeat some
    summary = res.summary()
    assert summary["trials"] == 30 and summary["repeated_trials"] == trials.repeated
    assert f"30 optuna trials ({trials.repeated} repeated)" in repr(res)


def test_empty_data_is_a_data_error(bars) -> None:
    with pytest.raises(st.DataError, match="no bars"):
        st.sweep(bars.iloc[:0], st.strategies.sma_cross, fast=[5, 10])
    with pytest.raises(st.DataError, match="no bars"):
        st.sweep(bars.iloc[:0], st.strategies.grid, n_levels=[4, 6])  # the generic path
    from soltrader.engine.fused import fused_plan

    with pytest.raises(st.DataError, match="no bars"):
        fused_plan(bars.iloc[:0], st.strategies.sma_cross, [{"fast": 5}], {})


def test_a_dask_address_without_a_scheduler_is_a_parameter_error(bars) -> None:
    pytest.importorskip("distributed")
    with pytest.raises(st.ParameterError, match="address") as info:
        st.sweep(
            bars,
            st.strategies.sma_cross,
            executor="dask",
            address="tcp://127.0.0.1:1",  # nothing listens on port 1
            connect_timeout=0.5,
            fast=[5, 10],
            check_lookahead=False,
        )
    assert info.value.name == "address" and "0.5 s" in str(info.value)
    with pytest.raises(st.ParameterError, match="address"):
        st.sweep(bars, st.strategies.sma_cross, executor="dask", address="nonsense", fast=[5, 10])
    with pytest.raises(st.ParameterError, match="connect_timeout"):
        st.sweep(
            bars,
            st.strategies.sma_cross,
            executor="dask",
            address="tcp://127.0.0.1:1",
            connect_timeout=0,
            fast=[5, 10],
        )


def test_a_registered_strategy_pickles_by_name() -> None:
    # a Dask worker then uses its own cached kernels instead of compiling rebuilt ones
    import pickle

    import cloudpickle

    for strategy in st.strategies.REGISTRY.values():
        assert pickle.loads(cloudpickle.dumps(strategy)) is strategy
        assert len(cloudpickle.dumps(strategy)) < 200


@njit(cache=True, nogil=True)
def _body_into_nb(open_, high, low, close, volume, params, signals, levels, scratch) -> int:
    """A user's signal kernel: enter when a bar closes ``params[0]`` above its open, exit when it
    closes below; the stop distance rides as level row 0 (the fused sweep's signature)."""
    for t in range(close.shape[0]):
        signals[0, t] = close[t] > open_[t] * (1.0 + params[0])
        signals[1, t] = close[t] < open_[t]
        levels[0, t] = params[1]
    return 2


def _body_signals(bars: st.strategies.Bars, body: float = 0.01, stop: float = 0.02):
    close, open_ = np.asarray(bars.close), np.asarray(bars.open)
    return st.strategies.Signals(
        close > open_ * (1.0 + body), close < open_, sl_stop=np.full(close.size, stop)
    )


def test_a_users_signal_kernel_runs_in_the_engines_one_skeleton(bars) -> None:
    from soltrader.engine.fused import sweep_kernel

    user = st.strategies.Strategy(
        name="body_breakout_test",
        signal=_body_signals,
        params={"body": 0.01, "stop": 0.02},
        fused=st.strategies.Fused(_body_into_nb, levels=("sl_stop",)),
    )
    before = sum(sweep_kernel().stats.cache_misses.values())
    res = st.sweep(bars, user, body=[0.005, 0.01, 0.02], stop=[0.02, 0.05], n_jobs=2, fees=0.001)
    assert res.fused and len(res.table) == 6
    assert sum(sweep_kernel().stats.cache_misses.values()) == before  # no skeleton per strategy
    for row in range(6):
        fresh = st.backtest(bars, user, **res.fixed, **res.combos[row]).stats()
        stored = res.table.loc[row, list(SUMMARY_FIELDS)].astype(float).to_numpy()
        np.testing.assert_array_equal(fresh[list(SUMMARY_FIELDS)].to_numpy(), stored)


def test_a_fused_spec_needs_a_numba_kernel_and_whole_scratch_rows() -> None:
    with pytest.raises(st.ParameterError, match="signals: expected a numba @njit signal kernel"):
        st.strategies.Fused(lambda *a: 2)
    with pytest.raises(st.ParameterError, match="scratch: expected a whole number"):
        st.strategies.Fused(_body_into_nb, scratch=-1)

    @njit
    def wrong(close):
        return 2

    with pytest.raises(st.ParameterError, match="does not compile for SIGNAL_KERNEL_SIG"):
        st.strategies.Fused(wrong).signals_kernel()
