"""Two-venue arbitrage: the edge kernel, the pair rules, both legs in one backtest, real data."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as hs

import soltrader as st
from soltrader.costs import AMMPool, FeeSchedule, SolanaTxCost
from soltrader.data.schema import ohlcv_frame
from soltrader.domain.errors import DataError, ParameterError
from soltrader.strategies.arbitrage import (
    arbitrage_edge_nb,
    arbitrage_inputs,
    arbitrage_signals,
    check_legs,
)
from soltrader.strategies.spec import Bars

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "strategies"

# Hand-built pair: A and B quote the same pair; B runs 3 % rich at bar 2 and is back at bar 4.
PA = np.array([100.0, 101.0, 100.5, 99.0, 98.6, 98.0])
PB = np.array([100.0, 101.8, 103.5, 101.0, 98.7, 98.0])
SOLANA = SolanaTxCost(base_fee=5_000, priority_fee=100_000, sol_price=150.0)
TX = 105_000 / 1e9 * 150.0  # quote per fill: 0.01575
BASE = dict(size=10.0, fees_a=0.001, fees_b=0.002, solana=SOLANA, min_edge=0.005, exit_edge=0.0025)


def frame(close: np.ndarray, start_ms: int = 0) -> pd.DataFrame:
    ts = start_ms + np.arange(close.size, dtype=np.int64) * 3_600_000
    return ohlcv_frame(ts, close, close, close, close, np.full(close.size, 1e6))


def bars(close: np.ndarray) -> Bars:
    return Bars(close, close, close, close, np.full(close.size, 1e6))


def run(a: pd.DataFrame, b: pd.DataFrame, **kw) -> st.Result:
    """Both legs in one backtest_signals call, checked for unhedged legs."""
    return st.arbitrage_backtest(a, b, **kw)


# (a) the hand calculation ---------------------------------------------------------------------


def test_hand_built_spread_trades_both_legs_and_pnl_matches_hand_calculation() -> None:
    res = run(frame(PA), frame(PB), **BASE)
    tr = res.trades
    assert tr["asset"].tolist() == ["a", "b"]
    assert tr["direction"].tolist() == ["long", "short"]
    assert tr["entry_bar"].tolist() == [2, 2] and tr["exit_bar"].tolist() == [4, 4]
    assert tr["entry_price"].tolist() == [100.5, 103.5]
    assert tr["exit_price"].tolist() == [98.6, 98.7]
    assert tr["size"].tolist() == [10.0, 10.0]
    assert tr["exit_reason"].tolist() == ["signal", "signal"]
    assert not tr["is_open"].any()
    # 4 fills: taker fee on each notional plus one Solana transaction each.
    fees_a = 0.001 * 10 * (100.5 + 98.6) + 2 * TX
    fees_b = 0.002 * 10 * (103.5 + 98.7) + 2 * TX
    assert tr["fees"].tolist() == pytest.approx([fees_a, fees_b], abs=1e-12)
    spread_captured = 10 * ((103.5 - 100.5) - (98.7 - 98.6))  # 29.0
    pnl = spread_captured - 0.001 * 10 * (100.5 + 98.6) - 0.002 * 10 * (103.5 + 98.7) - 4 * TX
    assert pnl == pytest.approx(22.902, abs=1e-9)
    assert tr["pnl"].sum() == pytest.approx(pnl, abs=1e-9)
    assert res.equity.iloc[-1] - res.init_cash == pytest.approx(pnl, abs=1e-9)
    assert res.fees_paid == pytest.approx(fees_a + fees_b, abs=1e-12)


def test_signals_state_and_edges_at_the_decision_bars() -> None:
    sig = arbitrage_signals(bars(PA), bars(PB), **BASE)
    assert sig.state.tolist() == [0, 0, 1, 1, 0, 0]
    assert np.flatnonzero(sig.a.entries).tolist() == [2]
    assert np.flatnonzero(sig.b.short_entries).tolist() == [2]
    assert np.flatnonzero(sig.a.exits).tolist() == [4] == np.flatnonzero(sig.b.short_exits).tolist()
    assert not (sig.a.short_entries.any() or sig.b.entries.any())
    # bar 1: a 0.79 % gross spread, below the 0.61 % of costs plus the 0.5 % threshold
    cost1 = 0.001 * 10 * 2 * 101.0 + 0.002 * 10 * 2 * 101.8 + 4 * TX
    assert sig.edge_ab[1] == pytest.approx(101.8 / 101.0 - 1 - cost1 / 1010.0, abs=1e-12)
    assert 0 < sig.edge_ab[1] < 0.005
    cost2 = 0.001 * 10 * 2 * 100.5 + 0.002 * 10 * 2 * 103.5 + 4 * TX
    assert sig.edge_ab[2] == pytest.approx(103.5 / 100.5 - 1 - cost2 / 1005.0, abs=1e-12)
    assert sig.edge_ba[2] == pytest.approx(100.5 / 103.5 - 1 - cost2 / 1035.0, abs=1e-12)


def test_mirror_direction_longs_b_and_shorts_a() -> None:
    res = run(frame(PB), frame(PA), **{**BASE, "fees_a": 0.002, "fees_b": 0.001})
    tr = res.trades
    assert tr["asset"].tolist() == ["a", "b"]
    assert tr["direction"].tolist() == ["short", "long"]
    assert tr["pnl"].sum() == pytest.approx(22.902, abs=1e-9)


def test_max_bars_closes_both_legs_and_next_open_fills_a_bar_later() -> None:
    res = run(frame(PA), frame(PB), **{**BASE, "max_bars": 1})
    tr = res.trades
    assert tr["exit_bar"].tolist() == [3, 3]
    assert tr["exit_reason"].tolist() == ["time_stop", "time_stop"]
    late = run(frame(PA), frame(PB), **BASE, fill="next_open")
    assert late.trades["entry_bar"].tolist() == [3, 3]
    assert late.trades["entry_price"].tolist() == [99.0, 101.0]  # bar 3's opens


# (b) the kernel against a plain-Python computation ----------------------------------------


def reference_leg_cost(p: float, q: float, fee: float, fixed: float, liq: float, pf: float, tx):
    """Buy and sell ``q`` at ``p``: constant-product formulas written out (x*y = L**2)."""
    if math.isnan(liq):
        buy_px = sell_px = p
    else:
        x, y = liq / math.sqrt(p), liq * math.sqrt(p)
        if q >= x:
            return math.inf
        buy_px = y * q / ((x - q) * (1 - pf)) / q
        sell_px = y * q * (1 - pf) / (x + q * (1 - pf)) / q
    buy = q * (buy_px - p) + fee * q * buy_px + fixed + tx
    sell = q * (p - sell_px) + fee * q * sell_px + fixed + tx
    return buy + sell


leg = hs.tuples(
    hs.floats(1.0, 500.0),  # price
    hs.floats(0.0, 0.01),  # fee
    hs.floats(0.0, 2.0),  # fixed
    hs.one_of(hs.just(math.nan), hs.floats(50.0, 1e6)),  # liquidity
    hs.floats(0.0, 0.01),  # pool fee
    hs.floats(0.0, 0.5),  # tx
)


@given(hs.lists(hs.tuples(leg, leg), min_size=1, max_size=8), hs.floats(0.01, 100.0))
def test_edge_kernel_matches_plain_python(rows, size) -> None:
    la, lb = zip(*rows, strict=True)
    # fee, fixed and pool fee are per venue: take them from the first row
    fa, xa, pfa = la[0][1], la[0][2], la[0][4]
    fb, xb, pfb = lb[0][1], lb[0][2], lb[0][4]
    col = lambda legs, k: np.array([r[k] for r in legs])  # noqa: E731
    prices, liqs, txs = (col(la, 0), col(lb, 0)), (col(la, 3), col(lb, 3)), (col(la, 5), col(lb, 5))
    ab, ba = arbitrage_edge_nb(*prices, size, fa, fb, xa, xb, *liqs, pfa, pfb, *txs)
    for t, (ra, rb) in enumerate(rows):
        pa, pb = ra[0], rb[0]
        cost = reference_leg_cost(pa, size, fa, xa, ra[3], pfa, ra[5]) + reference_leg_cost(
            pb, size, fb, xb, rb[3], pfb, rb[5]
        )
        want_ab = pb / pa - 1 - cost / (size * pa)
        want_ba = pa / pb - 1 - cost / (size * pb)
        if math.isinf(cost):
            assert ab[t] == -np.inf and ba[t] == -np.inf
        else:
            assert ab[t] == pytest.approx(want_ab, rel=1e-9, abs=1e-12)
            assert ba[t] == pytest.approx(want_ba, rel=1e-9, abs=1e-12)


def test_edge_is_the_simulated_round_trip_cost_with_a_pool_fixed_fees_and_tx() -> None:
    """Prices that do not move: the simulated round trip loses exactly the kernel's cost C."""
    pa = np.array([100.0, 100.0, 100.0, 100.0])
    pb = np.array([100.0, 104.0, 104.0, 104.0])
    pool = AMMPool(liquidity=20_000.0, fee=0.0025)
    kw = dict(
        size=5.0,
        fees_a=FeeSchedule(maker=0.0, taker=0.0008, fixed=0.05),
        pool_b=pool,
        solana=SolanaTxCost(priority_fee=50_000, jito_tip=10_000, sol_price=120.0),
        min_edge=0.001,
        exit_edge=-1.0,
        max_bars=1,
    )
    sig = arbitrage_signals(bars(pa), bars(pb), **kw)
    assert sig.state.tolist() == [0, 1, 0, 1]
    cost = (pb[1] / pa[1] - 1 - sig.edge_ab[1]) * 5.0 * pa[1]
    assert cost > 0.3  # pool fee and impact dominate
    res = run(frame(pa), frame(pb), **kw)
    closed = res.trades[~res.trades["is_open"]]
    assert len(closed) == 2 and set(closed["exit_bar"]) == {2}
    assert closed["pnl"].sum() == pytest.approx(-cost, abs=1e-9)


# (c) costs respect the threshold ------------------------------------------------------------


def test_higher_fees_remove_the_trade_at_the_threshold() -> None:
    # at bar 2 the trade needs 0.0020 * ... + fees_b * 2070 < 24.975 - 2.073: fees_b < 1.1064 %
    assert len(run(frame(PA), frame(PB), **{**BASE, "fees_b": 0.011}).trades) == 2
    assert len(run(frame(PA), frame(PB), **{**BASE, "fees_b": 0.012}).trades) == 0
    sig = arbitrage_signals(bars(PA), bars(PB), **{**BASE, "fees_b": 0.012})
    assert np.nanmax(sig.edge_ab) < 0.005 < np.nanmax(sig.spread_ab)


def test_a_shallow_pool_removes_the_trade_a_deep_one_keeps_it() -> None:
    no_fee = {**BASE, "fees_b": 0.0}
    shallow = AMMPool(liquidity=2_000.0, fee=0.003)  # ~197 base in reserve: 10 moves it ~10 %
    deep = AMMPool(liquidity=5e7, fee=0.003)
    assert len(run(frame(PA), frame(PB), **no_fee, pool_b=shallow).trades) == 0
    res = run(frame(PA), frame(PB), **no_fee, pool_b=deep)
    assert res.trades["entry_bar"].tolist() == [2, 2]
    short_b = res.trades.iloc[1]
    assert 98.7 * (1 + 0.003) < short_b["exit_price"] < 98.7 * 1.0035  # pool fee + tiny impact


# (d) real data: Binance SOL/USDT vs Gemini SOL/USD ------------------------------------------


def load_generator():
    path = GOLDEN / "make_strategy_goldens_arb.py"
    spec = importlib.util.spec_from_file_location("make_strategy_goldens_arb", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_real_data_runs_match_the_golden_file() -> None:
    gen = load_generator()
    golden = json.loads((GOLDEN / "arbitrage_sol_binance_gemini.json").read_text())
    a, b = gen.venues()
    assert len(a) == golden["bars"] == 24
    for case in golden["cases"]:
        got = gen.run_case(a, b, case["params"])
        assert len(got["trades"]) == len(case["trades"]), case["name"]
        for want, have in zip(case["trades"], got["trades"], strict=True):
            for key, value in want.items():
                if isinstance(value, float):
                    assert have[key] == pytest.approx(value, rel=1e-12, abs=1e-9), (case, key)
                else:
                    assert have[key] == value, (case["name"], key)
        for key, value in case["stats"].items():
            assert got["stats"][key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
    close_stop = golden["cases"][0]
    assert [t["asset"] for t in close_stop["trades"]] == ["binance", "gemini"]
    assert close_stop["trades"][0]["entry_time"] == "2025-10-10T20:00:00+00:00"


# (e) bad input --------------------------------------------------------------------------------


def test_misaligned_indexes_are_refused() -> None:
    with pytest.raises(ParameterError, match=r"b_frame: bar time at row 0"):
        arbitrage_inputs(frame(PA), frame(PB, start_ms=60_000), **BASE)
    with pytest.raises(ParameterError, match="b_frame: has 5 bars"):
        arbitrage_inputs(frame(PA), frame(PB[:5]), **BASE)
    with pytest.raises(ParameterError, match="b: needs as many bars"):
        arbitrage_signals(bars(PA), bars(PB[:5]), **BASE)


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"fees_a": -0.001}, "fees_a"),
        ({"fees_a": "ten bps"}, "fees_a"),
        ({"size": "10"}, "size"),
        ({"fees_b": float("nan")}, "fees_b"),
        ({"size": 0.0}, "size"),
        ({"min_edge": -0.01}, "min_edge"),
        ({"exit_edge": float("inf")}, "exit_edge"),
        ({"max_bars": 1.5}, "max_bars"),
        ({"fees_a": st.costs.binance_spot}, "fees_a"),  # volume tiers
        ({"pool_a": 1e6}, "pool_a"),
        ({"pool_b": AMMPool(liquidity=np.ones(3))}, "pool_b"),
    ],
)
def test_bad_parameters_name_the_argument(change, name) -> None:
    with pytest.raises(ParameterError) as err:
        arbitrage_inputs(frame(PA), frame(PB), **{**BASE, **change})
    assert err.value.name == name


def test_bad_prices_and_incompatible_pools_and_short_cash() -> None:
    bad = PB.copy()
    bad[3] = np.nan
    with pytest.raises(DataError, match="leg b: close at row 3") as err:
        arbitrage_signals(bars(PA), bars(bad), **BASE)
    assert err.value.row == 3 and err.value.field == "close"
    with pytest.raises(ParameterError, match="one pool fee per run"):
        arbitrage_inputs(
            frame(PA), frame(PB), **BASE, pool_a=AMMPool(1e6, 0.003), pool_b=AMMPool(1e6, 0.001)
        )
    with pytest.raises(ParameterError, match="names"):
        arbitrage_inputs(frame(PA), frame(PB), **BASE, names=("x", "x"))
    res = st.backtest_signals(**arbitrage_inputs(frame(PA), frame(PB), **BASE, init_cash=1_500.0))
    # leg a fills its 10 units; leg b's 10 units are more than the cash left: refused, not shrunk
    assert res.trades["size"].tolist() == [10.0]
    short = res.orders[res.orders["status"] == "rejected"].iloc[0]
    assert (short["asset"], short["reject_reason"]) == ("b", "insufficient_cash")
    assert (short["requested_size"], short["filled_size"]) == (10.0, 0.0)
    with pytest.raises(ParameterError, match=r"init_cash: leg 'b'.*bar 2.*not enough cash"):
        check_legs(res.orders_records, 10.0)


def test_polars_frames_give_the_same_run() -> None:
    to_pl = lambda f: pl.from_pandas(f.reset_index())  # noqa: E731
    want = run(frame(PA), frame(PB), **BASE).trades
    got = run(to_pl(frame(PA)), to_pl(frame(PB)), **BASE).trades
    pd.testing.assert_frame_equal(got, want)


def test_arbitrage_backtest_records_its_parameters() -> None:
    res = run(frame(PA), frame(PB), **BASE, names=("cex", "pool"), max_bars=3)
    assert res.params["strategy"] == "arbitrage" and res.params["max_bars"] == 3
    assert list(res.market.assets) == ["cex", "pool"]
    with pytest.raises(ParameterError, match=r"init_cash: leg 'b'"):
        run(frame(PA), frame(PB), **BASE, init_cash=1_500.0)


@given(
    hs.lists(hs.floats(-0.02, 0.02), min_size=5, max_size=40),
    hs.lists(hs.floats(-0.03, 0.03), min_size=40, max_size=40),
    hs.integers(1, 39),
)
def test_no_look_ahead_truncating_the_future_keeps_past_decisions(steps, gaps, cut) -> None:
    """Decisions up to bar t are the same whatever follows t."""
    pa = 100.0 * np.exp(np.cumsum(steps))
    pb = pa * (1.0 + np.asarray(gaps[: pa.size]))
    cut = min(cut, pa.size)
    kw = dict(size=5.0, fees_a=0.001, fees_b=0.002, min_edge=0.004, exit_edge=0.001, max_bars=4)
    full = arbitrage_signals(bars(pa), bars(pb), **kw)
    part = arbitrage_signals(bars(pa[:cut]), bars(pb[:cut]), **kw)
    for f, p in ((full.a, part.a), (full.b, part.b)):
        for name in ("entries", "exits", "short_entries", "short_exits"):
            np.testing.assert_array_equal(getattr(f, name)[:cut], getattr(p, name))
    np.testing.assert_array_equal(full.state[:cut], part.state)
    np.testing.assert_array_equal(full.edge_ab[:cut], part.edge_ab)
    # the two legs always mirror each other
    np.testing.assert_array_equal(full.a.entries, full.b.short_entries)
    np.testing.assert_array_equal(full.a.short_exits, full.b.exits)
