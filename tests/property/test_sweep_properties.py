"""The fused sweep against the replay backtest on real data: every row equals ``st.backtest`` of
its combination bit for bit, whatever the backtest keywords; the generic path gives the same
table; serial, parallel and chunked runs are identical."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import soltrader as st
from soltrader.costs import FeeSchedule, FeeTier
from soltrader.domain.errors import ParameterError
from soltrader.engine.fused import fused_plan
from soltrader.metrics import SUMMARY_FIELDS


@pytest.fixture(scope="module")
def bars(sol_1h) -> pd.DataFrame:
    return sol_1h.loc["2023-01-01":"2023-12-31"]


def _keywords() -> hs.SearchStrategy[dict]:
    """Backtest keywords a user sweeps or fixes, each drawn or left out."""
    stop = hs.sampled_from([0.01, 0.03, 0.08])
    return (
        hs.fixed_dictionaries(
            {},
            optional={
                "fill": hs.sampled_from(["next_open", "close"]),
                "conventions": hs.just("vectorbt"),
                "sl_stop": stop,
                "tp_stop": stop,
                "sl_trail": hs.booleans(),
                "fees": hs.sampled_from([0.0, 0.001, 0.004]),
                "maker_fees": hs.sampled_from([0.0, 0.0002]),
                "fixed_fees": hs.sampled_from([0.0, 1.5]),
                "slippage": hs.sampled_from([0.0, 0.0005, 0.002]),
                "max_bars": hs.sampled_from([0, 5, 40]),
                "cooldown": hs.sampled_from([0, 3]),
                "cooldown_same_direction": hs.booleans(),
                "size": hs.sampled_from([0.25, 1.0]),
                "init_cash": hs.sampled_from([1_000.0, 10_000.0]),
                "leverage": hs.sampled_from([1.0, 3.0]),
                "partial_tp_stop": hs.sampled_from([0.02, 0.05]),
                "stop_anchor": hs.sampled_from(["fill", "signal_close"]),
                "stops_in_fill_bar": hs.booleans(),
                "open_first": hs.booleans(),
                "allow_partial": hs.booleans(),
                "short_cash": hs.sampled_from(["margin", "proceeds"]),
                "reversal": hs.sampled_from(["exit_then_entry", "one_order"]),
                "call_order": hs.sampled_from(["exits_first", "columns", "value"]),
            },
        )
        .filter(lambda kw: not ("sl_trail" in kw and "sl_stop" not in kw))
        .map(_legal)
    )


_NOT_IN_VECTORBT = ("maker_fees", "max_bars", "cooldown", "leverage", "partial_tp_stop", "size")


def _legal(kw: dict) -> dict:
    """Drop what the drawn switches refuse: the vectorbt preset fills at the close and has none
    of ``_NOT_IN_VECTORBT``; a one-order reversal needs fills at the close; short proceeds have
    no leverage."""
    kw = dict(kw)
    if kw.get("conventions") == "vectorbt":
        kw["fill"] = "close"
        for name in _NOT_IN_VECTORBT:
            kw.pop(name, None)
    if kw.get("reversal") == "one_order" or kw.get("call_order") == "value":
        kw["fill"] = "close"
    if kw.get("short_cash") == "proceeds" or kw.get("conventions") == "vectorbt":
        kw.pop("leverage", None)
    return kw


def _assert_row_equals(res, row: int, fresh, label: str) -> None:
    """A sweep row equals ``st.backtest(...).stats()`` on every column they share: all of the
    table's statistics (the rejection counts of ``stats()`` are not in a sweep's table)."""
    shared = [c for c in fresh.index if c in res.table.columns]
    assert shared == list(SUMMARY_FIELDS)
    stored = res.table.loc[row, shared].to_numpy(dtype=float)
    np.testing.assert_array_equal(stored, fresh[shared].to_numpy(), err_msg=label)


def _assert_rows_equal_backtests(bars, res, fixed) -> None:
    for row, combo in enumerate(res.combos):
        fresh = st.backtest(bars, st.strategies.sma_cross, **fixed, **combo).stats()
        _assert_row_equals(res, row, fresh, f"{fixed} {combo}")


@settings(max_examples=25)
@given(
    fast=hs.lists(hs.integers(2, 60), min_size=1, max_size=3, unique=True),
    slow=hs.integers(20, 200),
    keywords=_keywords(),
)
def test_fused_rows_equal_backtests(bars, fast, slow, keywords) -> None:
    res = st.sweep(
        bars, st.strategies.sma_cross, fast=fast, slow=slow, check_lookahead=False, **keywords
    )
    assert res.fused
    _assert_rows_equal_backtests(bars, res, {**keywords, "slow": slow})


@settings(max_examples=8)
@given(keywords=_keywords())
def test_fused_equals_generic(bars, keywords) -> None:
    generic = dataclasses.replace(st.strategies.sma_cross, fused=None)
    space = dict(fast=[5, 12], slow=[30, 90], check_lookahead=False, **keywords)
    fused = st.sweep(bars, st.strategies.sma_cross, **space)
    plain = st.sweep(bars, generic, **space)
    assert fused.fused and not plain.fused
    pd.testing.assert_frame_equal(fused.table, plain.table, check_exact=True)
    pd.testing.assert_frame_equal(fused.returns, plain.returns, check_exact=True)


def test_swept_backtest_keywords_and_every_execution_agree(bars) -> None:
    space = dict(
        fast=[5, 10, 20],
        slow=[40, 80],
        sl_stop=[0.02, 0.05],
        fill=["next_open", "close"],
        fees=0.001,
        check_lookahead=False,
    )
    parallel = st.sweep(bars, st.strategies.sma_cross, n_jobs=2, **space)
    assert parallel.fused and len(parallel.table) == 24
    for other in (
        st.sweep(bars, st.strategies.sma_cross, n_jobs=1, **space),
        st.sweep(bars, st.strategies.sma_cross, n_jobs=2, chunk_size=1, **space),
        st.sweep(bars, st.strategies.sma_cross, n_jobs=2, chunk_size=7, **space),
    ):
        pd.testing.assert_frame_equal(other.table, parallel.table, check_exact=True)
        pd.testing.assert_frame_equal(other.returns, parallel.returns, check_exact=True)
    _assert_rows_equal_backtests(bars, parallel, {"fees": 0.001})


def test_what_the_fused_kernel_cannot_take_runs_the_generic_path(bars) -> None:
    tiers = FeeSchedule(maker=0.001, taker=0.001, tiers=(FeeTier(1e5, 0.0008, 0.0009),))
    for fixed in ({"fees": tiers}, {"order_type": "limit"}, {"fees": np.full(len(bars), 0.001)}):
        combos = [{"fast": 5, "slow": 30}]
        assert fused_plan(bars, st.strategies.sma_cross, combos, fixed) is None
    res = st.sweep(bars, st.strategies.sma_cross, fast=[5, 10], slow=30, fees=tiers)
    assert not res.fused
    _assert_rows_equal_backtests(bars, res, {"slow": 30, "fees": tiers})


def test_a_combination_that_overflows_the_record_scratch_is_rerun(sol_1h) -> None:
    # 2-bar averages cross nearly every other bar: far more records than the first scratch holds
    bars = sol_1h.iloc[:4_000]
    res = st.sweep(bars, st.strategies.sma_cross, fast=[1, 2], slow=3, check_lookahead=False)
    assert res.fused and res.table["n_trades"].min() > 4_000 // 32
    _assert_rows_equal_backtests(bars, res, {"slow": 3})


def test_invalid_combinations_are_refused_before_running(bars) -> None:
    with pytest.raises(ParameterError, match="fast"):
        st.sweep(bars, st.strategies.sma_cross, fast=[0, 5], slow=30)
    with pytest.raises(ParameterError, match="sl_stop"):
        st.sweep(bars, st.strategies.sma_cross, fast=[5], slow=30, sl_stop=[0.02, -0.01])


@settings(max_examples=10)
@given(
    rsi_n=hs.lists(hs.integers(3, 30), min_size=1, max_size=2, unique=True),
    z_entry=hs.sampled_from([1.0, 1.5, 2.5]),
    allow_short=hs.booleans(),
    keywords=_keywords().map(lambda kw: {k: v for k, v in kw.items() if k != "sl_stop"}),
)
def test_mean_reversion_fused_rows_equal_backtests(bars, rsi_n, z_entry, allow_short, keywords):
    strategy = st.strategies.mean_reversion
    fixed = {"z_entry": z_entry, "allow_short": allow_short, **keywords}
    fixed.pop("sl_trail", None)
    res = st.sweep(bars, strategy, rsi_n=rsi_n, check_lookahead=False, **fixed)
    assert res.fused
    for row, combo in enumerate(res.combos):
        fresh = st.backtest(bars, strategy, **fixed, **combo).stats()
        _assert_row_equals(res, row, fresh, f"{fixed} {combo}")


def test_mean_reversion_with_risk_sizing_runs_the_generic_path(bars) -> None:
    res = st.sweep(
        bars, st.strategies.mean_reversion, rsi_n=[10, 14], risk_fraction=0.01, fees=0.001
    )
    assert not res.fused and len(res.table) == 2
    with pytest.raises(ParameterError, match="sl_stop"):
        st.sweep(bars, st.strategies.mean_reversion, rsi_n=[10, 14], sl_stop=0.02)


@settings(max_examples=8)
@given(
    roc_n=hs.lists(hs.integers(6, 48), min_size=1, max_size=2, unique=True),
    max_hold=hs.sampled_from([0, 12, 48]),
    allow_short=hs.booleans(),
    keywords=_keywords().map(
        lambda kw: {
            k: v
            for k, v in kw.items()
            # momentum's time stop (max_hold) is one vectorbt's preset refuses
            if k not in ("sl_stop", "sl_trail", "size", "max_bars", "conventions")
        }
    ),
)
def test_momentum_fused_rows_equal_backtests(bars, roc_n, max_hold, allow_short, keywords):
    strategy = st.strategies.momentum
    fixed = {"max_hold": max_hold, "allow_short": allow_short, "min_age_bars": 24, **keywords}
    res = st.sweep(bars, strategy, roc_n=roc_n, check_lookahead=False, **fixed)
    assert res.fused
    for row, combo in enumerate(res.combos):
        fresh = st.backtest(bars, strategy, **fixed, **combo).stats()
        _assert_row_equals(res, row, fresh, f"{fixed} {combo}")


def test_momentum_time_stop_is_its_own_parameter(bars) -> None:
    with pytest.raises(ParameterError, match="max_bars"):
        st.sweep(bars, st.strategies.momentum, roc_n=[12, 24], max_bars=10)
