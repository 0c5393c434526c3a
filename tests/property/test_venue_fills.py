"""A decision core filled by a real venue books exactly what the venue reports.

``PaperLoop.live(..., venue_fills=True)`` replaces the fill model by the venue's outcomes (one
:data:`~soltrader.domain.state.venue_outcome_dt` record per asset and bar). Fed with the fill
model's own executions (each market order filled at the size, price and fees the model gave it,
each order the model rejected reported as refused), it must reproduce the model's run: the same
intents with the same client ids, the same positions at every bar, the same orders, fills and
trades bit for bit, and the same cash and equity to an ulp (the model commits exactly the budget
of a fractional entry that spends it all, the venue path its size x price + fees). That proves
the venue path books a fill as the backtest does, so a live run on a real venue differs from its
backtest only by what the venue really did.

Drawn: every built-in strategy whose signal sets no resting order or protective level, its
parameters, fees, slippage, time stops, cooldown, sizing, the account guards with control
modes, one to three assets on shared cash or sub-accounts, on the bundled 1h bars.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as hs

import soltrader as st
from soltrader.domain.enums import OrderStatus
from soltrader.domain.state import IntentReason, OutcomeState, venue_outcome_dt
from soltrader.engine.backtest import _bars
from soltrader.engine.paper import PaperLoop
from soltrader.risk import RiskLimits
from soltrader.strategies import REGISTRY
from tests.conftest import read_sample_bars
from tests.property.test_paper_replay import _draw_params, _frames

HOUR_NS = 3600 * 10**9
N_BARS = 360
#: signal fields a venue that rests nothing cannot honour
RESTING = {"sl_stop", "tp_stop", "partial_tp_stop", "order_type", "limit_price", "stop_price"}


@cache
def _market_only() -> tuple[str, ...]:
    """Built-in strategies whose signal (with default parameters) sets nothing resting."""
    bars = _bars(_frames()["SOL"].iloc[:300])
    names = []
    for name, strategy in sorted(REGISTRY.items()):
        if name == "smc_order_block":
            continue  # its structure search makes a 360-bar live run slow; same core calls
        if not RESTING & set(strategy.signal(bars, **strategy.resolve()).extras()):
            names.append(name)
    return tuple(names)


def _fields(strategy: st.strategies.Strategy, params: dict[str, Any]) -> set[str]:
    bars = _bars(_frames()["SOL"].iloc[:300])
    return set(strategy.signal(bars, **strategy.resolve(**params)).extras())


@hs.composite
def cases(draw: Any) -> dict[str, Any]:
    strategy = REGISTRY[draw(hs.sampled_from(_market_only()))]
    params = _draw_params(draw, strategy)
    start = draw(hs.integers(0, len(_frames()["SOL"]) - N_BARS))
    assets = draw(hs.sampled_from([("SOL",), ("SOL",), ("SOL", "ETH"), ("SOL", "ETH", "BTC")]))
    kw: dict[str, Any] = {
        "fees": draw(hs.sampled_from([0.0, 0.001, 0.0025])),
        "slippage": draw(hs.sampled_from([0.0, 0.0005, 0.01])),
        "max_bars": draw(hs.sampled_from([0, 0, 5, 24])),
        "cooldown": draw(hs.sampled_from([0, 0, 3])),
        "accumulate": draw(hs.sampled_from([False, False, True])),
        "size_type": draw(hs.sampled_from(["percent", "percent", "value"])),
    }
    kw["size"] = {"percent": 1.0 / len(assets), "value": 800.0}[kw["size_type"]]
    risk = draw(hs.sampled_from(["none", "default", "tight"]))
    if risk == "default":
        kw["risk"] = RiskLimits()
    elif risk == "tight":
        kw["risk"] = RiskLimits(
            daily_loss_limit=0.01, soft_drawdown=0.02, hard_drawdown=0.06, max_open_positions=2,
        )  # fmt: skip
    controls = None
    if risk != "none" and draw(hs.booleans()):
        rng = np.random.default_rng(draw(hs.integers(0, 2**31 - 1)))
        controls = rng.choice(4, size=N_BARS, p=[0.85, 0.05, 0.05, 0.05])
    if len(assets) > 1 and draw(hs.booleans()):
        kw["accounts"] = list(range(len(assets)))
    if "size" in _fields(strategy, params):
        del kw["size"], kw["size_type"]
    frames = [_frames()[a].iloc[start : start + N_BARS] for a in assets]
    return {"strategy": strategy, "params": params, "assets": assets, "frames": frames, "kw": kw,
            "controls": controls}  # fmt: skip


def _loop(case: dict[str, Any], venue_fills: bool) -> PaperLoop:
    return PaperLoop.live(
        case["strategy"], case["assets"], bar_ns=HOUR_NS, window="all", venue_fills=venue_fills,
        **case["params"], **case["kw"],
    )  # fmt: skip


def _bar(case: dict[str, Any], t: int) -> tuple[int, list[np.ndarray], int | None]:
    frames = case["frames"]
    cols = [np.array([f[c].iloc[t] for f in frames]) for c in ("open", "high", "low", "close",
                                                                "volume")]  # fmt: skip
    controls = case["controls"]
    return int(frames[0].index[t].value), cols, None if controls is None else int(controls[t])


def _outcomes(orders: np.ndarray, intents: np.ndarray, t: int, m: int) -> np.ndarray:
    """The model's executions on bar t as a venue would report them: each market order it
    filled (size, price, fees) or rejected (refused); entries and exits told apart by the
    intent that decided them."""
    out = np.zeros(m, dtype=venue_outcome_dt)
    for o in orders[orders["exec_bar"] == t]:
        j = int(o["asset"])
        decided = intents[(intents["decision_bar"] == o["decision_bar"]) & (intents["asset"] == j)
                          & (intents["side"] == o["side"])]  # fmt: skip
        if len(decided) == 0 and o["status"] == OrderStatus.REJECTED:
            continue  # refused by the guards at its decision: no intent, the same on both paths
        assert len(decided) == 1, (t, o, decided)
        slot = "entry" if decided["reason"][0] == IntentReason.ENTRY else "exit"
        if o["status"] == OrderStatus.REJECTED:
            assume(slot == "entry")  # a rejected exit stays pending in the model (no new intent)
            out[j][f"{slot}_state"] = OutcomeState.REFUSED
            continue
        out[j][f"{slot}_state"] = OutcomeState.FILLED
        out[j][f"{slot}_size"] = o["filled_size"]
        out[j][f"{slot}_price"] = o["avg_price"]
        out[j][f"{slot}_fees"] = o["fees"]
    return out


@settings(max_examples=12, deadline=None)
@given(case=cases())
def test_venue_fills_fed_the_models_fills_equal_the_model(case: dict[str, Any]) -> None:
    model = _loop(case, venue_fills=False)
    steps = [model.step(ts, *cols, control=c) for ts, cols, c in map(
        lambda t: _bar(case, t), range(N_BARS))]  # fmt: skip
    ref = model.finish()
    orders = ref.orders_records
    intents = ref.intents_records
    m = len(case["assets"])
    venue = _loop(case, venue_fills=True)
    for t in range(N_BARS):
        ts, cols, control = _bar(case, t)
        got = venue.step(ts, *cols, control=control, outcomes=_outcomes(orders, intents, t, m))
        want = steps[t]
        assert got.intents.tobytes() == want.intents.tobytes(), t
        # cash: the model commits exactly an entry's budget when the entry spends it all; the
        # venue path books size x price + fees (at most the cash), which may differ by an ulp
        np.testing.assert_allclose(got.cash, want.cash, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(got.equity, want.equity, rtol=1e-12, atol=1e-9)
        np.testing.assert_array_equal(got.position, want.position)
        for name in want.fills.dtype.names:  # field by field: record padding is not data
            np.testing.assert_array_equal(got.fills[name], want.fills[name], err_msg=f"{t}")
    res = venue.finish()
    assert res.trades.equals(ref.trades)
    for name in orders.dtype.names:
        if name != "reject_reason":  # a refusal is TX_FAILED, the model's own reason differs
            np.testing.assert_array_equal(res.orders_records[name], orders[name], err_msg=name)


def test_a_refused_entry_is_dropped_and_a_refused_exit_decided_again() -> None:
    bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:400]
    loop = PaperLoop.live(st.strategies.sma_cross, ("SOL",), bar_ns=60 * 10**9, fast=5, slow=20,
                          init_cash=10_000.0, venue_fills=True)  # fmt: skip
    cols = [bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
    ticks = bars.index.as_unit("ns").asi8
    pending = None  # the market intent waiting for its outcome
    refused_exit = filled = 0
    for t in range(len(bars)):
        out = np.zeros(1, dtype=venue_outcome_dt)
        if pending is not None:
            slot = "entry" if pending["reason"] == IntentReason.ENTRY else "exit"
            if slot == "exit" and refused_exit == 0:
                out[0]["exit_state"] = OutcomeState.REFUSED
            else:
                out[0][f"{slot}_state"] = OutcomeState.FILLED
                out[0][f"{slot}_size"] = 2.0 if slot == "entry" else pending["quantity"]
                out[0][f"{slot}_price"] = cols[0][t]
                out[0][f"{slot}_fees"] = 0.5
        step = loop.step(int(ticks[t]), *(np.array([c[t]]) for c in cols), outcomes=out)
        if out[0]["exit_state"] == OutcomeState.REFUSED:
            refused_exit += 1
            # refused: still long, and the same bar decides the exit again (a new intent)
            assert step.position[0] == 2.0
            assert len(step.intents) == 1 and step.intents["reason"][0] != IntentReason.ENTRY
            assert step.intents["quantity"][0] == 2.0 and step.intents["decision_bar"][0] == t
        if out[0]["entry_state"] == OutcomeState.FILLED:
            filled += 1
            assert step.position[0] == 2.0
            if filled == 1:  # the venue's size, price and fees, nothing of the model's
                assert step.cash[0] == pytest.approx(10_000.0 - 2.0 * cols[0][t] - 0.5)
        pending = step.intents[0] if len(step.intents) else None
    assert refused_exit == 1 and filled >= 2
    rejected = loop.finish().orders_records
    assert (rejected["status"] == OrderStatus.REJECTED).sum() == 1


def test_a_venue_filled_loop_refuses_resting_orders_by_name() -> None:
    with pytest.raises(st.ParameterError, match="sl_stop"):
        PaperLoop.live(st.strategies.sma_cross, ("SOL",), bar_ns=60 * 10**9, venue_fills=True,
                       sl_stop=0.02)  # fmt: skip
    with pytest.raises(st.ParameterError, match="order_type"):
        PaperLoop.live(st.strategies.sma_cross, ("SOL",), bar_ns=60 * 10**9, venue_fills=True,
                       order_type="limit", limit_price=1.0)  # fmt: skip
    plain = PaperLoop.live(st.strategies.sma_cross, ("SOL",), bar_ns=60 * 10**9)
    one = [np.ones(1)] * 5
    with pytest.raises(st.ParameterError, match="outcomes"):
        plain.step(0, *one, outcomes=np.zeros(1, dtype=venue_outcome_dt))
    loop = PaperLoop.live(st.strategies.sma_cross, ("SOL",), bar_ns=60 * 10**9, venue_fills=True)
    with pytest.raises(st.ParameterError, match="outcomes"):
        loop.step(0, *one, outcomes=np.zeros(2, dtype=venue_outcome_dt))
