"""The common case's kernel (:mod:`soltrader.sim.simple`) against the general replay kernel:
on every drawn case of the common case, every record field, the cash, equity, position and
value per bar and the record counts are equal bit for bit; every feature outside the case sends
a backtest to the general kernel; a sweep whose combinations go short falls back to the general
simulation for those combinations and still equals ``st.backtest``.

Bars are a random walk at price levels from 1e-6 to 1e6 with wide and zero-range bars; the
keywords mix ordinary values with extreme ones (fees and slippage near 1, fixed fees larger than
the cash, stops of 1e-4 and 0.999, cash of 1e-6), under both convention presets.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import soltrader as st
from soltrader.engine import fused
from soltrader.engine.backtest import _kernel_inputs
from soltrader.sim import _nb, lean, simple

EXAMPLES = int(os.environ.get("SOLTRADER_SIMPLE_EXAMPLES", "300"))
FIELDS = ("orders", "fills", "trades", "cash", "equity", "position", "value", "counts")

CHOICES: dict[str, list[Any]] = {
    "fees": [None, 0.0, 1e-4, 0.001, 0.3, 0.999],
    "slippage": [None, 0.0, 1e-4, 0.002, 0.5, 0.999],
    "sl_stop": [None, None, 1e-4, 0.005, 0.02, 0.999, np.nan],
    "tp_stop": [None, None, 1e-4, 0.01, 0.05, 0.999],
    "sl_trail": [False, False, True],
    "size": [None, None, 1.0, 0.5, 1e-6],
    "init_cash": [10_000.0, 10_000.0, 1e-6, 3.0],
}
OWN_RULES: dict[str, list[Any]] = {  # under the default conventions only
    "fill": ["next_open", "close"],
    "stop_anchor": ["fill", "signal_close"],
    "stop_slippage": [True, False],
    "stops_in_fill_bar": [True, False],
    "open_first": [True, False],
    "cooldown": [0, 0, 3],
    "fixed_fees": [None, None, 0.5, 1e9],
    "min_size": [None, 0.0, 1.0],
    "call_order": ["exits_first", "columns", "value"],
}


def _bars(seed: int, n: int, level: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = level * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    open_ = np.r_[close[0], close[:-1]] * (1.0 + rng.normal(0.0, 0.003, n))
    wide = np.where(rng.random(n) < 0.05, 0.05, 0.004)
    flat = rng.random(n) < 0.05  # zero-range bars
    high = np.maximum(open_, close) * (1.0 + np.abs(rng.normal(0.0, wide)))
    low = np.minimum(open_, close) * (1.0 - np.abs(rng.normal(0.0, wide)))
    for col in (open_, high, low):
        col[flat] = close[flat]
    index = pd.date_range("2024-01-01", periods=n, freq="1min")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": 1.0}, index=index
    )


@hs.composite
def cases(draw: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    n = draw(hs.integers(2, 300))
    bars = _bars(draw(hs.integers(0, 2**32 - 1)), n, draw(hs.sampled_from([1e-6, 1.0, 150.0, 1e6])))
    rate = draw(hs.sampled_from([0.02, 0.1, 0.3]))
    rng = np.random.default_rng(draw(hs.integers(0, 2**32 - 1)))
    kw: dict[str, Any] = {"entries": rng.random(n) < rate, "exits": rng.random(n) < rate}
    for name, values in CHOICES.items():
        value = draw(hs.sampled_from(values))
        if value is not None:
            kw[name] = value
    if kw.get("sl_trail") and "sl_stop" not in kw:
        kw["sl_stop"] = 0.01
    if draw(hs.booleans()):
        kw["conventions"] = "vectorbt"
        kw.pop("fill", None)
    else:
        for name, values in OWN_RULES.items():
            value = draw(hs.sampled_from(values))
            if value is not None:
                kw[name] = value
        if kw["call_order"] == "value" and kw["fill"] != "close":
            kw["call_order"] = "columns"  # "value" is defined for fill="close" only
    return bars, kw


def _outputs(args: _nb.SimArgs, run: Any) -> tuple:
    marks = {f: getattr(args, f).copy() for f in ("cash_out", "equity_out", "pos_out", "value_out")}
    return run(args._replace(**marks))


def _differs(general: tuple, common: tuple) -> str | None:
    for name, a, b in zip(FIELDS, general, common, strict=True):
        for field in a.dtype.names or (None,):
            x, y = (a, b) if field is None else (a[field], b[field])
            if x.shape != y.shape or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
                return name if field is None else f"{name}.{field}"
    return None


@settings(max_examples=EXAMPLES, deadline=None)
@given(cases())
def test_common_case_equals_general_kernel(case: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    bars, kw = case
    args = _kernel_inputs(bars, **kw).args
    assert simple.simple_case(args)
    args.icfg[[_nb.I_CAP_ORDERS, _nb.I_CAP_FILLS, _nb.I_CAP_TRADES]] = 2 * len(bars) + 8
    general = _outputs(args, _nb.simulate)
    common = _outputs(args, simple.simulate_simple)
    assert _differs(general, common) is None, (_differs(general, common), kw)


def test_drawn_cases_trade_stop_and_refuse() -> None:
    """The draws reach what the comparison is for: entries and exits of every kind, and refused
    orders (a property that held on cases without trades would prove nothing)."""
    reasons: set[int] = set()
    rejected = 0
    rng = np.random.default_rng(7)
    for seed in range(60):
        bars = _bars(seed, 300, 150.0)
        kw = {"entries": rng.random(300) < 0.1, "exits": rng.random(300) < 0.05}
        kw.update(sl_stop=0.004, tp_stop=0.006, sl_trail=seed % 3 == 0, fees=0.001)
        if seed % 5 == 0:  # less cash than the fixed fee: the entry is refused
            kw.update(init_cash=0.5, fixed_fees=1.0, conventions="vectorbt" if seed % 2 else None)
        args = _kernel_inputs(bars, **kw).args
        args.icfg[[_nb.I_CAP_ORDERS, _nb.I_CAP_FILLS, _nb.I_CAP_TRADES]] = 700
        out = _outputs(args, simple.simulate_simple)
        assert _differs(_outputs(args, _nb.simulate), out) is None
        reasons |= set(out[1]["reason"].tolist())
        rejected += int((out[0]["status"] == 2).sum())
    assert {-1, 0, 1, 2, 3} <= reasons  # entry, signal, stop, target, trailing stop
    assert rejected > 0


OUTSIDE: dict[str, dict[str, Any]] = {
    "short_entries": {"short_entries": True},
    "cancel": {"cancel": True},
    "order_type": {"order_type": "limit", "limit_price": 90.0},
    "partial_tp_stop": {"partial_tp_stop": 0.02},
    "max_bars": {"max_bars": 5},
    "leverage": {"leverage": 2.0},
    "exit_size": {"exit_size": 0.5},
    "size_type": {"size_type": "amount", "size": 1.0},
    "accumulate": {"accumulate": True},
    "max_volume_share": {"max_volume_share": 0.5},
    "impact": {"impact": st.costs.Impact("linear", k=0.1)},
    "amm": {"amm": st.costs.AMMPool(liquidity=1e6)},
    "solana": {"solana": st.costs.SolanaTxCost(fail_rate=0.1)},
    "fees": {
        "fees": st.costs.FeeSchedule(
            maker=0.001, taker=0.001, tiers=(st.costs.FeeTier(0.0, 0.001, 0.001),)
        )
    },
    "risk": {"risk": st.risk.RiskLimits()},
}


@pytest.mark.parametrize("name", sorted(OUTSIDE))
def test_features_outside_the_case_take_the_general_kernel(name: str) -> None:
    bars = _bars(1, 50, 100.0)
    try:
        args = _kernel_inputs(bars, entries=True, **OUTSIDE[name]).args
    except st.Error as exc:  # pragma: no cover - a keyword this build spells otherwise
        pytest.fail(f"{name}: {exc}")
    assert not simple.simple_case(args)


def test_two_assets_take_the_general_kernel() -> None:
    one = _bars(1, 50, 100.0)
    both = {"A": one, "B": _bars(2, 50, 10.0)}
    assert not simple.simple_case(_kernel_inputs(both, entries=True).args)


def test_sweep_uses_the_common_case_and_falls_back_for_shorts() -> None:
    """A sweep whose combinations all fit runs the common case's simulation; combinations whose
    signals go short are declined by it and simulated by the general one; every row equals its
    backtest."""
    bars = _bars(3, 3_000, 100.0)
    combos = [{"allow_short": s, "z_n": w} for s in (False, True) for w in (20, 40)]
    strategy = st.strategies.mean_reversion
    plan = fused.fused_plan(bars, strategy, combos, {"fees": 0.001})
    assert plan is not None and plan.simple
    periods = fused.period_index(pd.DatetimeIndex(bars.index), "1D")
    stats, _rets = fused.fused_chunk(plan, strategy, 0, len(combos), periods)
    for i, combo in enumerate(combos):
        result = st.backtest(bars, strategy, fees=0.001, **combo)
        expected = result.stats()[list(st.metrics.SUMMARY_FIELDS)].to_numpy(dtype=float)
        assert np.array_equal(stats[i], expected, equal_nan=True), combo
    shorts = st.backtest(bars, strategy, fees=0.001, **combos[-1])
    assert (shorts.trades["direction"] == "short").any()  # the fallback was needed


def test_sweep_rows_of_ruined_accounts_equal_their_backtests() -> None:
    """A short held through a 30x jump ruins the account (its value goes below zero): the fused
    kernel leaves such a row to a full backtest (the ruined statistics are compiled apart), so
    every row, ruined or not, still equals its backtest bit for bit."""
    bars = _bars(3, 3_000, 100.0)
    bars.iloc[190:, :4] *= 30.0  # inside a short that mean_reversion holds from bar 182
    combos = [{"allow_short": s, "z_n": w} for s in (False, True) for w in (20, 40)]
    strategy = st.strategies.mean_reversion
    plan = fused.fused_plan(bars, strategy, combos, {"fees": 0.001})
    assert plan is not None
    periods = fused.period_index(pd.DatetimeIndex(bars.index), "1D")
    _, _, status = fused._run_rows(plan, strategy, np.arange(4), periods, None, False)
    assert status.tolist().count(lean.COMBO_RUINED) >= 1
    stats, rets = fused.fused_chunk(plan, strategy, 0, len(combos), periods)
    for i, combo in enumerate(combos):
        result = st.backtest(bars, strategy, fees=0.001, **combo)
        expected = result.stats()[list(st.metrics.SUMMARY_FIELDS)].to_numpy(dtype=float)
        assert np.array_equal(stats[i], expected, equal_nan=True), combo
        own = np.empty(len(periods.ends))
        equity = np.ascontiguousarray(result.equity.to_numpy(), dtype=np.float64)
        lean.period_returns_nb(equity, periods.ends, float(result.init_cash), own)
        assert np.array_equal(rets[i], own, equal_nan=True), combo
        if status[i] == lean.COMBO_RUINED:
            assert result.equity.min() <= 0.0 and expected[2] == -1.0  # total return
            assert np.isfinite(expected[:11]).sum() >= 9  # the curve statistics are computed


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_sweep_rows_whose_second_pass_runs_in_pairs_equal_their_backtests(threads: int) -> None:
    """The fused sweep runs the statistics' second pass over the returns of two combinations
    in one loop (the first waits for the next one's). With an odd number of combinations per
    thread and combinations that never trade (their returns are all equal: no second pass)
    between ones that do, every row still equals its backtest bit for bit."""
    bars = _bars(5, 2_000, 100.0)
    pairs = [(5, 20), (1_500, 1_990), (8, 30), (3, 50), (1_600, 1_995), (10, 40), (4, 12)]
    combos = [{"fast": f, "slow": s} for f, s in pairs]
    strategy = st.strategies.sma_cross
    plan = fused.fused_plan(bars, strategy, combos, {"fees": 0.001, "sl_stop": 0.02})
    assert plan is not None and plan.simple
    periods = fused.period_index(pd.DatetimeIndex(bars.index), "1D")
    stats, _rets = fused.fused_chunk(plan, strategy, 0, len(combos), periods, threads)
    trades = []
    for i, combo in enumerate(combos):
        result = st.backtest(bars, strategy, fees=0.001, sl_stop=0.02, **combo)
        expected = result.stats()[list(st.metrics.SUMMARY_FIELDS)].to_numpy(dtype=float)
        assert np.array_equal(stats[i], expected, equal_nan=True), combo
        trades.append(len(result.trades))
    assert trades.count(0) >= 1 and sum(t > 0 for t in trades) >= 4, trades
