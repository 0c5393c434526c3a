"""The coordinator: conflict policies on a hand-built case, sleeve isolation, attribution that adds
up, rebalancing by flattened periods, risk-parity weights against a hand calculation, no
look-ahead in the weights (hypothesis), and a real SOL/USDT 1h run with three strategies."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as hs

import soltrader as st
from soltrader.data.schema import ohlcv_frame
from soltrader.domain.errors import ParameterError
from soltrader.engine.coordinator import CoordinatorResult, coordinate
from soltrader.sizing.allocation import (
    DEFAULT_WEIGHTS,
    allocation_weights,
    fixed_weights,
    project_box_simplex_nb,
    rebalance_bars,
    resolve_conflicts,
)
from soltrader.strategies.spec import Bars, Signals, Strategy

HOUR_MS = 3_600_000


def _frame(close: np.ndarray) -> pd.DataFrame:
    """Hourly bars opening at the close (a next-open fill is at that close), +-0.5 % range."""
    close = np.asarray(close, dtype=np.float64)
    ts = np.arange(len(close), dtype=np.int64) * HOUR_MS
    return ohlcv_frame(ts, close, close * 1.005, close * 0.995, close, np.full(len(close), 1e3))


def _at(n: int, bars: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[list(bars)] = True
    return out


def _toy_signals(
    bars: Bars,
    long_at: tuple[int, ...] = (),
    short_at: tuple[int, ...] = (),
    exit_at: tuple[int, ...] = (),
    conf: float | None = None,
    sl: float | None = None,
    tp: float | None = None,
    size: float | None = None,
) -> Signals:
    """Entries and exits at given bars, with optional confidence, stop, target and size."""
    n = len(bars.close)

    def full(x: float | None) -> np.ndarray | None:
        return None if x is None else np.full(n, float(x))

    short = _at(n, short_at)
    return Signals(
        _at(n, long_at),
        _at(n, exit_at),
        short_entries=short if short.any() else None,
        short_exits=_at(n, exit_at) if short.any() else None,
        confidence=full(conf),
        sl_stop=full(sl),
        tp_stop=full(tp),
        size=full(size),
    )


toy = Strategy(
    name="toy",
    signal=_toy_signals,
    params={
        "long_at": (),
        "short_at": (),
        "exit_at": (),
        "conf": None,
        "sl": None,
        "tp": None,
        "size": None,
    },
)

FLAT = _frame(np.full(12, 100.0))
EQUAL = {"a": 0.5, "b": 0.5}


def _conflict_case(conf_a, conf_b, *, tp_a=0.02, **kw) -> CoordinatorResult:
    """Sleeve a wants long, sleeve b short, both at bar 3; both exit at bar 8. a: confidence
    ``conf_a``, reward/risk 0.02 / 0.02 = 1; b: ``conf_b``, reward/risk 0.03 / 0.01 = 3."""
    a = {"long_at": (3,), "exit_at": (8,), "conf": conf_a, "sl": 0.02, "tp": tp_a}
    b = {"short_at": (3,), "exit_at": (8,), "conf": conf_b, "sl": 0.01, "tp": 0.03}
    return coordinate(FLAT, {"a": (toy, a), "b": (toy, b)}, weights=EQUAL, **kw)


@pytest.mark.parametrize(
    ("conf_a", "conf_b", "kw", "winner", "decided_by"),
    [
        (0.9, 0.4, {"conflict": "confidence"}, "a", "confidence"),
        (0.9, None, {"conflict": "confidence"}, "a", "confidence"),  # missing counts as 0.5
        (0.3, None, {"conflict": "confidence"}, "b", "confidence"),  # 0.5 beats 0.3
        (None, None, {"conflict": "confidence"}, "a", "priority"),  # tie: order of strategies
        (None, None, {"conflict": "confidence", "priority": ["b", "a"]}, "b", "priority"),
        (0.9, 0.4, {"conflict": "reward_risk"}, "b", "reward_risk"),  # 3 beats 1
        (0.9, 0.4, {"conflict": "priority", "priority": ["b", "a"]}, "b", "priority"),
        (0.4, 0.9, {"conflict": "priority", "priority": ["a", "b"]}, "a", "priority"),
    ],
)
def test_conflict_policies_decide_the_known_bar(conf_a, conf_b, kw, winner, decided_by):
    cr = _conflict_case(conf_a, conf_b, **kw)
    loser = "b" if winner == "a" else "a"
    table = cr.conflicts
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["bar"], row["winner"], row["loser"]) == (3, winner, loser)
    assert row["time"] == FLAT.index[3]
    assert row["winner_side"] == ("long" if winner == "a" else "short")
    assert row["decided_by"] == decided_by
    trades = cr.result.trades
    assert trades["asset"].tolist() == [f"{winner}:asset"]
    assert trades["direction"].tolist() == ["long" if winner == "a" else "short"]
    assert (trades["entry_bar"].tolist(), trades["exit_bar"].tolist()) == ([4], [9])
    assert cr.attribution.loc[loser, "trades"] == 0
    assert cr.attribution.loc[loser, "pnl"] == 0.0


def test_reward_risk_without_a_target_loses():
    cr = _conflict_case(0.9, 0.4, tp_a=None, conflict="reward_risk")
    assert cr.conflicts[["winner", "decided_by"]].values.tolist() == [["b", "reward_risk"]]
    assert cr.conflicts["winner_score"].iloc[0] == pytest.approx(3.0)  # 0.03 / 0.01
    assert np.isnan(cr.conflicts["loser_score"].iloc[0])  # a has no target


def test_reward_risk_falls_back_to_keyword_stops():
    """A sleeve whose signals set no stop is scored with its (or the global) keyword stops."""
    n = 6
    e, none = _at(n, (2,)), np.zeros(n, dtype=bool)
    sig = {"a": Signals(e, none), "b": Signals(none, none, short_entries=e)}
    res = resolve_conflicts(
        sig, "reward_risk", sl_stop={"a": 0.01, "b": 0.01}, tp_stop={"a": 0.05, "b": 0.02}
    )
    assert res.conflicts[["bar", "winner", "loser"]].values.tolist() == [[2, "a", "b"]]
    assert res.conflicts["winner_score"].iloc[0] == pytest.approx(5.0)
    assert not res.signals["b"].short_entries.any()
    assert res.signals["a"].entries is sig["a"].entries  # unchanged arrays are not copied


def test_no_conflict_without_opposite_entries():
    a = {"long_at": (3,), "exit_at": (8,)}
    cr = coordinate(FLAT, {"a": (toy, a), "b": (toy, a)}, weights=EQUAL)
    assert cr.conflicts.empty
    assert sorted(cr.result.trades["asset"]) == ["a:asset", "b:asset"]


def test_a_sleeve_gets_only_its_own_cash():
    """a asks for 1e9 quote, b for 100; both in one run with size_type="value": a spends exactly
    its 500, b's account is untouched until b's own entry, then spends its 100."""
    close = np.linspace(100.0, 110.0, 12)
    cr = coordinate(
        _frame(close),
        {
            "a": (toy, {"long_at": (2,)}, {"size": 1e9}),
            "b": (toy, {"long_at": (6,)}, {"size": 100.0}),
        },
        weights=EQUAL,
        size_type="value",
        fees=0.001,
        init_cash=1_000.0,
    )
    res = cr.result
    cash = res.account_cash.to_numpy()
    assert np.all(cash[:3, 0] == 500.0) and cash[3, 0] == pytest.approx(0.0, abs=1e-9)
    fills = res.fills.set_index("asset")
    spent_a = fills.loc["a:asset", "size"] * fills.loc["a:asset", "price"]
    assert spent_a + fills.loc["a:asset", "fees"] == pytest.approx(500.0, rel=1e-12)
    assert np.all(cash[:7, 1] == 500.0)  # b fills at bar 7's open
    assert cash[7, 1] == pytest.approx(400.0, rel=1e-12)
    assert (cash >= -1e-9).all()
    assert len(cr.periods) == 1  # one run: the columns differ only in per-column inputs


def test_sleeve_keywords_apply_to_their_sleeve_only():
    """``accumulate`` for a (two entries add up) but not for b (the second is ignored)."""
    spec = {"long_at": (2, 5), "size": 0.5}
    cr = coordinate(
        FLAT,
        {"a": (toy, spec, {"accumulate": True}), "b": (toy, spec)},
        weights=EQUAL,
        init_cash=1_000.0,
    )
    pos = cr.result.positions
    assert pos["a:asset"].iloc[-1] == pytest.approx(pos["a:asset"].iloc[3] * 1.5)
    assert pos["b:asset"].iloc[-1] == pos["b:asset"].iloc[3] > 0


def test_rebalance_flattens_every_period_and_resplits_the_capital():
    close = np.concatenate([np.linspace(100, 120, 6), np.linspace(120, 90, 6)])
    spec = {"long_at": (1, 6), "exit_at": ()}
    cr = coordinate(
        _frame(close),
        {"a": (toy, spec), "b": (toy, {"long_at": (7,)})},
        weights={"a": 0.7, "b": 0.3},
        rebalance=5,
        fees=0.001,
        init_cash=1_000.0,
    )
    res = cr.result
    assert cr.periods["first_bar"].tolist() == [0, 5, 10]
    # forced exit decided at bar 3 fills at bar 4's open; bars 3 and 4 take no entry
    trades = res.trades.sort_values("entry_bar")
    assert trades[["asset", "entry_bar", "exit_bar"]].values.tolist() == [
        ["a:asset", 2, 4],
        ["a:asset", 7, 9],
        ["b:asset", 8, 9],
    ]
    for last in (4, 9):
        assert (res.positions.iloc[last] == 0.0).all()
    eq = res.equity.to_numpy()
    for p, first in enumerate([0, 5, 10]):
        total = 1_000.0 if first == 0 else eq[first - 1]
        assert cr.periods["capital"].iloc[p] == pytest.approx(total, rel=1e-12)
        assert cr.periods["a"].iloc[p] == pytest.approx(0.7 * total, rel=1e-12)
    assert cr.unflattened.empty
    _assert_books_balance(cr)
    _assert_attribution_adds_up(cr)


def test_fill_at_close_flattens_at_the_last_bar_of_a_period():
    cr = coordinate(
        FLAT, {"a": (toy, {"long_at": (1, 4)})}, weights={"a": 1.0}, rebalance=5, fill="close"
    )
    trades = cr.result.trades
    # entry at bar 1's close, forced exit at bar 4's close; bar 4's own entry is ignored
    assert trades[["entry_bar", "exit_bar"]].values.tolist() == [[1, 4]]
    assert cr.result.positions.iloc[4, 0] == 0.0 and cr.result.positions.iloc[5:, 0].eq(0).all()


def test_several_symbols_share_their_sleeve_account():
    up, down = _frame(np.linspace(100, 110, 12)), _frame(np.linspace(50, 45, 12))
    a = {"long_at": (3,), "exit_at": (9,), "conf": 0.8, "size": 0.5}
    b = {"short_at": (3,), "exit_at": (9,), "conf": 0.6}
    cr = coordinate({"X": up, "Y": down}, {"a": (toy, a), "b": (toy, b)}, weights=EQUAL)
    res = cr.result
    assert list(res.market.assets) == ["a:X", "a:Y", "b:X", "b:Y"]
    assert res.accounts.tolist() == [0, 0, 1, 1]
    assert cr.conflicts[["symbol", "winner"]].values.tolist() == [["X", "a"], ["Y", "a"]]
    assert sorted(res.trades["asset"]) == ["a:X", "a:Y"]
    cash = res.account_cash.to_numpy()
    assert cash[4, 0] == pytest.approx(0.25 * 10_000.0 / 2)  # half, then half of the rest
    assert (cash[:, 1] == 5_000.0).all()  # b lost both conflicts: its cash is untouched
    _assert_books_balance(cr)
    _assert_attribution_adds_up(cr)


def _assert_books_balance(cr: CoordinatorResult) -> None:
    res = cr.result
    gap = res.cash + res.position_values.sum(axis=1) - res.equity
    assert np.abs(gap.to_numpy()).max() <= 1e-9 * res.equity.abs().max()
    per_account = res.position_values.T.groupby(res.accounts).sum().T.to_numpy()
    acc_gap = res.account_cash.to_numpy() + per_account - res.account_equity.to_numpy()
    assert np.abs(acc_gap).max() <= 1e-9 * res.equity.abs().max()
    np.testing.assert_allclose(cr.weights.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def _assert_attribution_adds_up(cr: CoordinatorResult) -> None:
    att, res = cr.attribution, cr.result
    sleeves = att.drop(index="total")
    total = att.loc["total"]
    assert abs(sleeves["pnl"].sum() - total["pnl"]) <= 1e-9
    assert total["pnl"] == pytest.approx(res.equity.iloc[-1] - res.init_cash, abs=1e-9)
    assert abs(sleeves["fees"].sum() - res.fees_paid) <= 1e-9
    assert sleeves["trades"].sum() == total["trades"] == len(res.trades_records)
    assert abs(sleeves["final_equity"].sum() - total["final_equity"]) <= 1e-9
    if total["pnl"] != 0:
        assert abs(sleeves["pnl_share"].sum() - 1.0) <= 1e-9


def test_attribution_adds_up_with_a_loser_and_a_winner():
    close = np.concatenate([np.linspace(100, 130, 10), np.linspace(130, 100, 10)])
    cr = coordinate(
        _frame(close),
        {
            "up": (toy, {"long_at": (0, 10), "exit_at": (8,)}),
            "down": (toy, {"short_at": (11,), "exit_at": (18,)}),
            "late": (toy, {"long_at": (15,)}),
        },
        weights={"up": 0.5, "down": 0.3, "late": 0.2},
        rebalance=7,
        fees=0.002,
        slippage=0.001,
    )
    att = cr.attribution
    assert att.loc["up", "pnl"] > 0 and att.loc["late", "pnl"] < 0
    _assert_attribution_adds_up(cr)
    _assert_books_balance(cr)


# ---- weights ---------------------------------------------------------------------------------
def test_fixed_weights_renormalise_the_defaults():
    w = fixed_weights(["grid", "momentum", "mean_reversion"])
    total = (
        DEFAULT_WEIGHTS["grid"] + DEFAULT_WEIGHTS["momentum"] + DEFAULT_WEIGHTS["mean_reversion"]
    )
    assert w["grid"] == pytest.approx(0.20 / total) and w.sum() == pytest.approx(1.0)
    assert fixed_weights(list(DEFAULT_WEIGHTS)).tolist() == pytest.approx([0.35, 0.30, 0.20, 0.15])
    with pytest.raises(ParameterError, match="weights"):
        fixed_weights(["momentum", "mystery"])
    with pytest.raises(ParameterError, match="weights"):
        fixed_weights(["a"], {"a": -1.0})


def test_risk_parity_matches_a_hand_calculation():
    rng = np.random.default_rng(7)
    returns = rng.normal(0.0, [0.01, 0.02, 0.05], size=(60, 3))
    w = allocation_weights(
        "risk_parity", ["a", "b", "c"], returns=returns, rebalance=7, lookback=10
    )
    assert w.shape == (60, 3)
    for r in range(0, 60, 7):
        if r < 10:
            expected = np.full(3, 1 / 3)
        else:
            inv = 1.0 / returns[r - 10 : r].std(axis=0, ddof=1)
            expected = inv / inv.sum()
        for t in range(r, min(r + 7, 60)):
            np.testing.assert_allclose(w.iloc[t], expected, rtol=1e-12)
    # a sleeve that held nothing counts as the least volatile observed one, not infinitely safe
    flat = np.column_stack([returns[:, 0], np.zeros(60), returns[:, 2]])
    wf = allocation_weights("risk_parity", ["a", "b", "c"], returns=flat, rebalance=20, lookback=10)
    sd = flat[10:20].std(axis=0, ddof=1)
    inv = 1.0 / np.array([sd[0], sd[0], sd[2]])
    np.testing.assert_allclose(wf.iloc[20], inv / inv.sum(), rtol=1e-12)


def test_performance_weights_tilt_and_respect_floor_and_cap():
    r = np.zeros((30, 3))
    r[:, 0], r[:, 1], r[:, 2] = 0.01, 0.003, -0.01  # a best, b positive, c losing
    r[::2, :] += 0.001  # some dispersion so the Sharpe is finite
    w = allocation_weights(
        "performance", ["a", "b", "c"], returns=r, rebalance=10, lookback=10, metric="return",
        tilt=1.0, floor=0.1, cap=0.7,
    )  # fmt: skip
    got = w.iloc[20].to_numpy()
    g = np.prod(1 + r[10:20], axis=0) - 1
    target = np.maximum(g, 0) / np.maximum(g, 0).sum()
    np.testing.assert_allclose(got, project_box_simplex_nb(target, 0.1, 0.7), rtol=1e-12)
    assert got[0] == pytest.approx(0.7) and got[2] == pytest.approx(0.1)
    assert got.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(w.iloc[0], 1 / 3)  # before the lookback: the base


def test_rebalance_schedule():
    idx = pd.DatetimeIndex(pd.to_datetime([0, 1, 2, 5, 6, 9, 10], unit="h", utc=True))
    # periods [0h, 3h), [3h, 6h), [6h, 9h), [9h, 12h) start at the bars at 0h, 5h, 6h and 9h
    assert rebalance_bars(idx, "3h").tolist() == [0, 3, 4, 5]
    assert rebalance_bars(idx[:4], "3h").tolist() == [0, 3]  # truncation keeps earlier starts
    assert rebalance_bars(idx, 3).tolist() == [0, 3, 6]
    assert rebalance_bars(idx, None).tolist() == [0]
    for bad in (0, "-1h", "soon", 2.5):
        with pytest.raises(ParameterError, match="rebalance"):
            rebalance_bars(idx, bad)


@given(
    seed=hs.integers(0, 2**31 - 1),
    n=hs.integers(12, 80),
    k=hs.integers(2, 4),
    lookback=hs.integers(2, 12),
    every=hs.sampled_from([3, 5, 8, "4h", "7h"]),
    scheme=hs.sampled_from(["risk_parity", "performance"]),
    metric=hs.sampled_from(["sharpe", "return"]),
    cut=hs.floats(0.0, 1.0),
)
def test_weights_have_no_look_ahead(seed, n, k, lookback, every, scheme, metric, cut):
    """Truncating the returns (and bars) after t leaves every weight up to t unchanged."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0, 0.01, size=(n, k)) * rng.integers(0, 2, size=(n, k))
    hours = np.cumsum(rng.integers(1, 3, size=n))  # hourly bars with gaps
    index = pd.DatetimeIndex(pd.to_datetime(hours, unit="h", utc=True))
    frame = pd.DataFrame(returns, index=index, columns=[f"s{j}" for j in range(k)])
    opts = {"rebalance": every, "lookback": lookback, "metric": metric, "floor": 0.0}
    full = allocation_weights(scheme, returns=frame, **opts)
    t = int(cut * (n - 1))
    part = allocation_weights(scheme, returns=frame.iloc[: t + 1], **opts)
    pd.testing.assert_frame_equal(part, full.iloc[: t + 1])
    np.testing.assert_allclose(full.sum(axis=1), 1.0, atol=1e-12)


# ---- errors ----------------------------------------------------------------------------------
def test_bad_input_raises_parameter_error():
    two = {"a": (toy, {}), "b": (toy, {})}
    cases = [
        ({"scheme": "magic"}, "scheme"),
        ({"weights": {"a": 1.0}}, "weights"),
        ({"conflict": "coin"}, "conflict"),
        ({"priority": ["a"]}, "priority"),
        ({"scheme": "risk_parity", "weights": None}, "rebalance"),
        ({"scheme": "risk_parity", "rebalance": 4}, "weights"),  # weights unused: refused
        ({"accounts": [0, 1]}, "accounts"),
        ({"rebalance": 2}, "rebalance"),  # periods too short to flatten
        ({"weights": EQUAL, "bogus": 1}, "bogus"),
    ]
    for kw, name in cases:
        with pytest.raises(ParameterError, match=name):
            coordinate(FLAT, two, **{"weights": EQUAL, **kw})
    with pytest.raises(ParameterError, match="weights"):
        coordinate(FLAT, two)  # no default weight for unknown sleeve names
    with pytest.raises(ParameterError, match="strategies"):
        coordinate(FLAT, {"a": (toy, {}, {"init_cash": 5.0})}, weights={"a": 1.0})
    with pytest.raises(ParameterError, match="cap"):
        allocation_weights(
            "performance", list("abc"), returns=np.zeros((5, 3)), rebalance=1, cap=0.2
        )
    with pytest.raises(ParameterError, match="names"):
        allocation_weights("equal", "abc", index=FLAT.index)
    with pytest.raises(ParameterError, match="returns"):
        allocation_weights("risk_parity", ["a"], returns=np.array([[np.nan]]), rebalance=1)


# ---- real data -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sol() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return st.data.load("SOL/USDT", "1h")


SLEEVES = {
    "momentum": (st.strategies.momentum, {}),
    "mean_reversion": (st.strategies.mean_reversion, {"allow_short": True}),
    "grid": (st.strategies.grid, {}, {"accumulate": True}),
}


def test_real_sol_run_with_three_sleeves(sol):
    cr = coordinate(
        sol, SLEEVES, scheme="risk_parity", rebalance="30D", lookback=720, fees=0.001,
        slippage=0.0005,
    )  # fmt: skip
    res = cr.result
    assert list(res.market.assets) == [f"{s}:SOL/USDT" for s in SLEEVES]
    _assert_books_balance(cr)
    _assert_attribution_adds_up(cr)
    assert (cr.weights.to_numpy() > 0).all()
    # every period starts with the total equity split by the weights of its first bar
    eq = res.equity.to_numpy()
    for p, first in enumerate(cr.periods["first_bar"]):
        total = res.init_cash if first == 0 else eq[first - 1]
        expect = total * cr.weights.iloc[first].to_numpy()
        np.testing.assert_allclose(cr.periods.loc[p, list(SLEEVES)], expect, rtol=1e-12)
        if p > 0:
            assert (res.positions.iloc[first - 1] == 0.0).all()  # flattened at the rebalance
    assert cr.unflattened.empty
    assert len(cr.periods) > 50 and len(cr.conflicts) > 0
    assert set(cr.conflicts["winner"]) | set(cr.conflicts["loser"]) <= set(SLEEVES)
    assert (cr.attribution.drop(index="total")["trades"] > 0).all()
    stats = cr.stats()
    assert list(stats.index) == [*SLEEVES, "total"]
    assert stats.loc["total", "total_return"] == pytest.approx(eq[-1] / res.init_cash - 1)
    fig = cr.plot()
    assert len(fig.axes) == 1
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"\n{cr}\n{stats.round(4)}\n{cr.attribution.round(4)}")
        print(cr.conflicts.groupby(["winner", "loser"]).size())


def test_real_run_weights_do_not_look_ahead(sol):
    bars = sol.iloc[:3000]
    opts = {"scheme": "risk_parity", "rebalance": "7D", "lookback": 240, "fees": 0.001}
    full = coordinate(bars, SLEEVES, **opts)
    part = coordinate(bars.iloc[:2000], SLEEVES, **opts)
    pd.testing.assert_frame_equal(part.weights, full.weights.iloc[:2000])
    first_cut = int(full.periods["first_bar"].searchsorted(2000)) - 1
    shared = full.periods["last_bar"].iloc[first_cut - 1]  # last period fully before the cut
    pd.testing.assert_series_equal(
        part.result.equity.iloc[: shared + 1], full.result.equity.iloc[: shared + 1]
    )


def test_each_sleeve_equals_its_standalone_backtest(sol):
    """Without rebalancing or conflicts a sleeve is exactly ``st.backtest`` of its strategy on
    its share of the capital: the other sleeves change nothing (isolation)."""
    bars = sol.iloc[:20_000]
    sleeves = {**SLEEVES, "mean_reversion": (st.strategies.mean_reversion, {})}  # long only
    cr = coordinate(bars, sleeves, fees=0.001, slippage=0.0005, init_cash=10_000.0)
    assert cr.conflicts.empty
    weights = fixed_weights(list(sleeves))
    for i, (name, (strategy, params, *extra)) in enumerate(sleeves.items()):
        alone = st.backtest(
            bars, strategy, **params, **(extra[0] if extra else {}), fees=0.001,
            slippage=0.0005, init_cash=10_000.0 * weights[name],
        )  # fmt: skip
        np.testing.assert_allclose(
            cr.result.account_equity[i].to_numpy(), alone.equity.to_numpy(), rtol=1e-12
        )
        assert cr.attribution.loc[name, "trades"] == len(alone.trades_records)
