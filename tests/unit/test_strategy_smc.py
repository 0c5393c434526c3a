"""Tests of :mod:`soltrader.strategies.smc_order_block`: hand-built trades in both modes through
``st.backtest``, the margin and liquidation of each zone kind at its own leverage, the kernel
behind the wrapper, no look-ahead on real data, the zones behind every decision, bad parameters,
and the golden trades on SOL/USDT 1h."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import soltrader as st
import soltrader.structure as ss
from soltrader.domain.errors import DataError, ParameterError
from soltrader.strategies import Bars
from soltrader.strategies.smc_order_block import (
    SMC_BACKTEST_DEFAULTS,
    smc_backtest_kwargs,
    smc_order_block,
    smc_order_block_signals,
)

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "strategies"
_spec = importlib.util.spec_from_file_location(
    "make_strategy_goldens_smc", GOLDEN_DIR / "make_strategy_goldens_smc.py"
)
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
GOLDEN = json.loads((GOLDEN_DIR / "smc_order_block_sol_1h.json").read_text())

#: Small swing windows and a one-bar ATR (= the bar's true range) keep the hand cases short.
HAND = {"left": 1, "right": 1, "atr_n": 1, "approach_atr": 0.5}
CAPITAL = 10_000.0

# Bars 0-5: the swing high of bar 1 (102.0) is broken by bar 5's close (102.5); the last bearish
# candle before the low of the move is bar 3, so the bullish zone 0 is [100.2, 101.2], known at
# bar 5. Bar 6 wicks into it; the BOS of bar 8 (above bar 5's swing high 102.6) makes zone 1
# [100.8, 101.7] from bar 7; bar 15 closes below it (100.6 < 100.8).
ROWS = [
    (100.0, 101.0, 99.5, 100.5),
    (100.5, 102.0, 100.4, 101.8),
    (101.8, 101.9, 100.8, 101.0),
    (101.0, 101.2, 100.2, 100.4),
    (100.4, 101.5, 100.3, 101.4),
    (101.4, 102.6, 101.3, 102.5),
    (102.4, 102.5, 101.0, 101.5),
    (101.5, 101.7, 100.8, 101.3),
    (101.3, 104.2, 101.2, 104.0),
    (104.0, 104.8, 103.9, 104.6),
    (104.5, 104.6, 102.0, 102.2),
    (102.2, 102.3, 101.0, 101.1),
    (101.1, 101.9, 101.0, 101.8),
    (101.8, 102.2, 101.75, 102.1),
    (102.1, 102.2, 101.5, 101.6),
    (101.4, 101.5, 100.5, 100.6),
]
# The order-block example of soltrader.structure, +90: zone 0 [100.2, 101.2] is touched at bar 6
# and invalidated by bar 7's close (100.0), which flips it into a bearish breaker; bar 8 rallies
# into the breaker from below.
BREAKER_ROWS = [
    (100.0, 101.0, 99.5, 100.5),
    (100.5, 102.0, 100.4, 101.8),
    (101.8, 101.9, 100.8, 101.0),
    (101.0, 101.2, 100.2, 100.4),
    (100.4, 101.5, 100.3, 101.4),
    (101.4, 102.6, 101.3, 102.5),
    (102.5, 102.7, 101.0, 101.5),
    (101.5, 101.6, 99.9, 100.0),
    (100.0, 100.5, 99.6, 100.0),
]
# Two more bars wick up while closing below the breaker (no exit signal, no new structure): bar 9
# to 106 (beyond 105, where 20x would liquidate a short from 100), bar 10 to 110.5 (beyond 110).
SQUEEZE_ROWS = [*BREAKER_ROWS, (100.0, 106.0, 99.8, 100.2), (100.2, 110.5, 100.0, 100.5)]


def frame(rows: list[tuple[float, ...]]) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(rows), freq="h", tz="UTC", name="timestamp")
    df = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index)
    df["volume"] = 1e6
    return df


def bars_of(df: pd.DataFrame) -> Bars:
    return gen.as_bars(df)


def run(df: pd.DataFrame, mode: str, **kw: Any) -> st.Result:
    """Through ``st.backtest`` with the strategy's fixed keywords, no costs."""
    return st.backtest(df, smc_order_block, mode=mode, **HAND, **SMC_BACKTEST_DEFAULTS, **kw)


def trade_table(res: st.Result) -> list[tuple]:
    t = res.trades
    cols = ["direction", "entry_bar", "exit_bar", "entry_price", "exit_price", "size"]
    return list(t[[*cols, "exit_reason"]].itertuples(index=False, name=None))


def assert_trades(res: st.Result, expected: list[tuple]) -> None:
    got = trade_table(res)
    assert len(got) == len(expected), got
    for g, e in zip(got, expected, strict=True):
        assert g[:3] == e[:3] and g[-1] == e[-1], (g, e)
        assert g[3:6] == pytest.approx(e[3:6], rel=1e-12), (g, e)


@pytest.fixture(scope="module")
def sol() -> pd.DataFrame:
    return gen.load_bars()


# ---------------------------------------------------------------------------------------------
# (a) hand-built trades


def test_hand_zones_are_what_the_trades_assume() -> None:
    blocks = ss.order_blocks(frame(ROWS), left=1, right=1).blocks
    got = blocks[["direction", "kind", "low", "high", "created_bar", "invalidated_bar"]]
    assert got.values.tolist()[:2] == [[1, 0, 100.2, 101.2, 5, -1], [1, 0, 100.8, 101.7, 8, 15]]


def test_mode_a_hand_built_trades() -> None:
    df = frame(ROWS)
    sig = smc_order_block(bars_of(df), mode="A", **HAND)
    # touches of a valid bullish zone: bar 6, 7, 8 (zone 0), 11, 12, 14 (zone 1); bar 15 closes
    # below zone 1, which had entries: an exit, and no entry on that bar
    assert np.flatnonzero(sig.entries).tolist() == [6, 7, 8, 11, 12, 14]
    assert np.flatnonzero(sig.exits).tolist() == [15]
    assert not sig.short_entries.any() and not sig.short_exits.any()
    assert (
        sig.leverage == 20.0
    ).all()  # fresh zones only: 20x on entry bars, and the max elsewhere
    res = run(df, "A")
    atr6 = 102.5 - 101.0  # true range of bar 6
    risk = (101.5 - (100.2 - atr6)) / 101.5  # stop 1 ATR below the zone, fraction of the entry
    units = math.floor(0.4 * 20 * CAPITAL / 101.5)  # 788 whole contracts
    trail_level = 104.8 * (1 - risk)  # trails bar 9's high after the partial at 101.5 + 2 ATR
    second = math.floor(0.4 * 20 * CAPITAL / 101.6)
    assert_trades(
        res,
        [
            ("long", 6, 9, 101.5, 101.5 + 2 * atr6, units / 2, "partial_take_profit"),
            ("long", 6, 11, 101.5, trail_level, units / 2, "trailing_stop"),
            # bar 11 exited intrabar (its signals are ignored), bar 12 is in the 3-bar cooldown
            ("long", 14, 15, 101.6, 100.6, second, "signal"),
        ],
    )
    # sizing: 40 % of capital as margin at 20x
    assert res.cash.iloc[6] == pytest.approx(CAPITAL - units * 101.5 / 20, rel=1e-12)
    assert units * 101.5 / 20 == pytest.approx(0.4 * CAPITAL, rel=2e-3)


def test_mode_b_hand_built_trades() -> None:
    df = frame(ROWS)
    sig = smc_order_block(bars_of(df), mode="B", **HAND)
    stated = np.flatnonzero(sig.entries).tolist()
    # bar 6: close 101.5 within 0.5 ATR of zone 0's high, above its limit 101.0
    assert stated[0] == 6 and sig.order_type[6] == 1
    assert sig.limit_price[6] == pytest.approx(101.2 - 0.2 * 1.0, rel=1e-12)
    assert sig.limit_price[14] == pytest.approx(101.7 - 0.2 * 0.9, rel=1e-12)
    assert np.isnan(sig.limit_price[~sig.entries]).all()
    res = run(df, "B")
    atr6 = 1.5
    risk = (101.0 - (100.2 - atr6)) / 101.0
    units = math.floor(0.4 * 20 * CAPITAL / 101.0)  # 792, sized at the limit
    assert_trades(
        res,
        [
            # the limit rests from bar 7, whose low (100.8) trades through it: filled at 101.0
            ("long", 7, 8, 101.0, 101.0 + 2 * atr6, units / 2, "partial_take_profit"),
            ("long", 7, 10, 101.0, 104.8 * (1 - risk), units / 2, "trailing_stop"),
            # stated at bar 14 (101.52), bar 15 opens below it (fill at the open), closes below
            # zone 1: the exit signal closes the trade at that close
            ("long", 15, 15, 101.4, 100.6, math.floor(8e4 / (101.7 - 0.18)), "signal"),
        ],
    )
    fills = res.orders[res.orders["status"] == "filled"]
    assert fills["type"].tolist()[0] == "limit"


def test_breaker_margin_at_its_own_leverage() -> None:
    df = frame(BREAKER_ROWS)
    sig = smc_order_block(bars_of(df), mode="A", **HAND)
    # bar 6: fresh long at 20x; bar 8: short on the breaker at 10x; the max (20x) elsewhere
    assert np.flatnonzero(sig.entries).tolist() == [6]
    assert np.flatnonzero(sig.short_entries).tolist() == [8]
    assert sig.leverage[6] == 20.0 and sig.leverage[8] == 10.0
    assert (np.delete(sig.leverage, [6, 8]) == 20.0).all()
    res = run(df, "A")
    first = math.floor(0.4 * 20 * CAPITAL / 101.5)  # 788 contracts
    breaker = math.floor(0.3 * 10 * CAPITAL / 100.0)  # 300 contracts
    # fresh long at bar 6 stopped by bar 7's close below the zone; the zone flips into a bearish
    # breaker that bar 8 touches: a short sized 30 % x 10 of capital (whole contracts)
    assert_trades(
        res,
        [
            ("long", 6, 7, 101.5, 100.0, first, "signal"),
            ("short", 8, -1, 100.0, 100.0, breaker, "end_of_data"),
        ],
    )
    cash_before = CAPITAL + first * (100.0 - 101.5)  # 8818
    assert res.cash.iloc[7] == pytest.approx(cash_before, rel=1e-12)
    # the short posts notional / 10 = 3000 = 30 % of capital as margin
    assert res.cash.iloc[8] == pytest.approx(cash_before - 0.3 * CAPITAL, rel=1e-12)
    assert breaker * 100.0 / 10 == 0.3 * CAPITAL
    # percent sizing (its own backtest keywords: size_type="percent"): 40 % of the cash at 20x,
    # then 30 % of the cash at 10x; not floored to contracts
    pct = st.smc_backtest(df, mode="A", sizing="percent", **HAND)
    sizes = pct.trades["size"].to_numpy()
    assert sizes[0] == pytest.approx(0.4 * CAPITAL * 20 / 101.5, rel=1e-12)
    cash_pct = CAPITAL + sizes[0] * (100.0 - 101.5)
    assert sizes[1] == pytest.approx(0.3 * cash_pct * 10 / 100.0, rel=1e-12)
    assert pct.cash.iloc[8] == pytest.approx(0.7 * cash_pct, rel=1e-12)
    assert trade_table(run(df, "A", trade_breakers=False)) == trade_table(res)[:1]


def test_breaker_liquidated_10_percent_against_its_entry() -> None:
    df = frame(SQUEEZE_ROWS)
    # a protective stop 20 ATRs beyond the breaker (101.2 + 20 * 0.9 = 119.2) leaves the
    # liquidation level as the nearest loss-side level
    res = run(df, "A", stop_atr=20.0)
    first = math.floor(0.4 * 20 * CAPITAL / 101.5)
    liquidation = 100.0 * (1 + 1 / 10)  # isolated short at 10x, no maintenance margin: 110
    # bar 9's high (106) is beyond 100 * (1 + 1 / 20) = 105 but the 10x short survives it; bar
    # 10's high (110.5) crosses 110: liquidated there, losing exactly its margin
    assert_trades(
        res,
        [
            ("long", 6, 7, 101.5, 100.0, first, "signal"),
            ("short", 8, 10, 100.0, liquidation, 300.0, "liquidation"),
        ],
    )
    short = res.trades.iloc[1]
    margin = 300 * 100.0 / 10
    assert margin == 0.3 * CAPITAL
    assert short["pnl"] == pytest.approx(-margin, rel=1e-12)
    cash_before = CAPITAL + first * (100.0 - 101.5)
    assert res.cash.iloc[8] == pytest.approx(cash_before - margin, rel=1e-12)
    assert res.cash.iloc[10] == pytest.approx(cash_before - margin, rel=1e-12)
    assert res.equity.iloc[9] == pytest.approx(cash_before - 300 * (100.2 - 100.0), rel=1e-12)


def test_compare_modes_side_by_side() -> None:
    df = frame(ROWS)
    table = st.compare_modes(df, **HAND)
    assert list(table.columns) == ["A", "B"]
    for mode in "AB":
        one = st.smc_backtest(df, mode=mode, **HAND).stats()
        pd.testing.assert_series_equal(table[mode], one, check_names=False)
    assert table.loc["n_trades", "A"] == 3 and table.loc["total_return", "B"] > 0


def test_backtest_keywords() -> None:
    assert dict(SMC_BACKTEST_DEFAULTS) == {
        "fill": "close",
        "cooldown": 3,
        "cooldown_same_direction": True,
        "trail_after_partial": True,
        "size_type": "amount",
        "init_cash": 10_000.0,
        "allow_partial": True,
    }
    kw = smc_backtest_kwargs(sizing="percent", fresh_leverage=5.0, breaker_leverage=8.0)
    assert kw["size_type"] == "percent" and "init_cash" not in kw and "leverage" not in kw
    assert "allow_partial" not in kw  # percent sizes never exceed the cash
    assert smc_order_block.keywords(smc_order_block.params) == dict(SMC_BACKTEST_DEFAULTS)
    with pytest.raises(TypeError):
        SMC_BACKTEST_DEFAULTS["cooldown"] = 0  # type: ignore[index]
    df = frame(ROWS)
    # the signals set the leverage per bar: it cannot be given to the backtest too
    with pytest.raises(ParameterError, match="set per bar") as info:
        st.backtest(df, smc_order_block, leverage=5.0)
    assert info.value.name == "leverage"
    # the maintenance margin is checked against the larger leverage (on every bar, any data)
    with pytest.raises(ParameterError) as info:
        st.backtest(df, smc_order_block, **HAND, maintenance_margin=0.05)
    assert info.value.name == "maintenance_margin"
    ok = st.backtest(df, smc_order_block, **HAND, fresh_leverage=10.0, maintenance_margin=0.05)
    assert ok.trades["size"].iloc[0] == math.floor(0.4 * 10 * CAPITAL / 101.5) / 2


# ---------------------------------------------------------------------------------------------
# (b) kernel == wrapper, and the zones behind the decisions


@pytest.mark.parametrize("mode", ["A", "B"])
@pytest.mark.parametrize("sizing", ["contracts", "percent"])
def test_kernel_equals_wrapper(sol: pd.DataFrame, mode: str, sizing: str) -> None:
    part = sol.iloc[-6000:]
    sig = smc_order_block(bars_of(part), mode=mode, sizing=sizing)
    e, x, se, sx, otype, limit, sl, ptp, psize, size, lev, zone = gen.kernel_outputs(
        part, mode, sizing=sizing
    )
    pairs = {
        "entries": e,
        "exits": x,
        "short_entries": se,
        "short_exits": sx,
        "sl_stop": sl,
        "partial_tp_stop": ptp,
        "partial_tp_size": psize,
        "size": size,
        "leverage": lev,
    }
    for name, want in pairs.items():
        np.testing.assert_array_equal(getattr(sig, name), want, err_msg=name)
    assert (e | se).sum() > 100 and (zone >= 0).sum() == (e | se).sum()
    if mode == "B":
        np.testing.assert_array_equal(sig.order_type, otype)
        np.testing.assert_array_equal(sig.limit_price, limit)
        assert (otype[e | se] == 1).all()
    else:
        assert sig.order_type is None and sig.limit_price is None


def test_decisions_use_valid_zones(sol: pd.DataFrame) -> None:
    """Every decision agrees with soltrader.structure's order blocks, as known at its bar."""
    part = sol.iloc[-4000:]
    blocks = ss.order_blocks(part, left=3, right=3).blocks
    b = bars_of(part)
    for mode in "AB":
        e, x, se, sx, _o, limit, *_rest, lev, zone = gen.kernel_outputs(
            part, mode, fresh_leverage=15.0, breaker_leverage=25.0
        )
        assert (lev[~(e | se)] == 25.0).all()
        assert set(lev[e | se][:300].tolist()) == {15.0, 25.0}  # both kinds among those checked
        for t in np.flatnonzero(e | se)[:300]:
            z = blocks.iloc[zone[t]]
            assert lev[t] == (15.0 if z["kind"] == ss.ZoneKind.FRESH else 25.0)
            assert z["created_bar"] <= t
            assert z["invalidated_bar"] == -1 or z["invalidated_bar"] > t
            assert (z["direction"] == 1) == bool(e[t])
            if mode == "A":
                assert z["created_bar"] < t
                touched = b.low[t] <= z["high"] if e[t] else b.high[t] >= z["low"]
                assert touched
            else:
                assert z["low"] <= limit[t] <= z["high"]
                assert (b.close[t] > limit[t]) if e[t] else (b.close[t] < limit[t])
        inv = set(blocks.loc[blocks["invalidated_bar"] >= 0, "invalidated_bar"].tolist())
        assert set(np.flatnonzero(x | sx).tolist()) <= inv
        assert not ((e | se) & (x | sx)).any()


# ---------------------------------------------------------------------------------------------
# (c) no look-ahead


@settings(max_examples=15, deadline=None)
@given(cut=hs.integers(min_value=300, max_value=47_000), mode=hs.sampled_from(["A", "B"]))
def test_no_look_ahead(sol: pd.DataFrame, cut: int, mode: str) -> None:
    full = gen.kernel_outputs(sol, mode)
    short = gen.kernel_outputs(sol.iloc[: cut + 1], mode)
    for a, b in zip(full, short, strict=True):
        np.testing.assert_array_equal(a[: cut + 1], b)


# ---------------------------------------------------------------------------------------------
# (d) bad input


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("mode", "C"),
        ("mode", 1),
        ("left", 0),
        ("right", 2.5),
        ("atr_n", True),
        ("approach_atr", -0.1),
        ("stop_atr", 0.0),
        ("fresh_tp_atr", float("nan")),
        ("breaker_tp_atr", -1.0),
        ("fresh_penetration", 1.5),
        ("breaker_penetration", -0.1),
        ("trade_breakers", "yes"),
        ("partial_fraction", 0.0),
        ("allow_short", 1),
        ("sizing", "kelly"),
        ("capital", 0.0),
        ("contract_size", -1.0),
        ("fresh_margin", 1.2),
        ("fresh_leverage", 0.5),
        ("breaker_margin", 0.0),
        ("breaker_leverage", float("inf")),
    ],
)
def test_bad_parameters(name: str, value: Any) -> None:
    with pytest.raises(ParameterError) as info:
        smc_order_block(bars_of(frame(ROWS)), **{name: value})
    assert info.value.name == name


def test_bad_input() -> None:
    df = frame(ROWS)
    with pytest.raises(ParameterError, match="neither a parameter"):
        st.backtest(df, smc_order_block, penetration=0.2)
    with pytest.raises(ParameterError) as info:
        st.compare_modes(df, mode="A")
    assert info.value.name == "mode"
    b = bars_of(df)
    with pytest.raises(ParameterError) as info:
        smc_order_block_signals(b._replace(low=b.low[:-1]))
    assert info.value.name == "bars"
    bad = b.close.copy()
    bad[4] = np.nan
    with pytest.raises(DataError, match="row 4"):
        smc_order_block_signals(b._replace(close=bad))
    inconsistent = b.close.copy()
    inconsistent[3] = 200.0
    with pytest.raises(DataError, match="row 3"):
        smc_order_block_signals(b._replace(close=inconsistent))


# ---------------------------------------------------------------------------------------------
# (e) golden trades on SOL/USDT 1h


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, float) and isinstance(got, float):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)
    return got == want


@pytest.mark.parametrize("name", sorted(GOLDEN["cases"]))
def test_golden_sol_1h(sol: pd.DataFrame, name: str) -> None:
    want = GOLDEN["cases"][name]
    case, mode = name.rsplit("_", 1)
    got = gen.case_outcome(sol, case, mode)
    assert got["params"] == want["params"] and got["backtest"] == want["backtest"]
    assert got["signals"] == want["signals"]
    assert got["n_trades_records"] == want["n_trades_records"]
    assert got["trades_sha256"] == want["trades_sha256"]
    assert len(got["trades"]) == len(want["trades"])
    for g, w in zip(got["trades"], want["trades"], strict=True):
        bad = {k: (g[k], w[k]) for k in w if not _same(g[k], w[k])}
        assert not bad, bad
    for k, w in want["stats"].items():
        assert _same(got["stats"][k], w), (k, got["stats"][k], w)
