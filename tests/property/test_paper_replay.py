"""``st.paper_replay`` (the live loop without the network) equals ``st.backtest``.

For every built-in strategy with drawn parameters and drawn backtest keywords (next-open fills;
limit, stop and stop-limit entries with time in force and cancels; stop-loss, take-profit,
trailing and partial take-profit; time stops; cooldown; leverage; the account guards and control
modes; fees, slippage, Solana costs with failed transactions; several assets on shared cash and on
sub-accounts), the replay that computes each bar's signal on the history so far and steps the
decision core and the paper venue one bar at a time gives the backtest's orders, fills and trades
byte for byte and its cash, equity, positions and position values bit for bit. Real bars: the
bundled Binance SOL, ETH and BTC 1h data.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as hs

import soltrader as st
from soltrader.costs import SolanaTxCost
from soltrader.domain.enums import OrderType
from soltrader.domain.state import IntentReason
from soltrader.engine.backtest import _bars
from soltrader.risk import RiskLimits
from soltrader.strategies import REGISTRY
from tests.conftest import read_sample_bars

#: bars per example: the signal runs once per bar (SMC's structure search is the slowest)
BARS = {"smc_order_block": 200}
DEFAULT_BARS = 720


@cache
def _frames() -> dict[str, pd.DataFrame]:
    """SOL, ETH and BTC 1h on their common bars."""
    frames = {s: read_sample_bars("binance", f"{s}-USDT", "1h") for s in ("SOL", "ETH", "BTC")}
    common = frames["SOL"].index
    for frame in frames.values():
        common = common.intersection(frame.index)
    return {s: f.loc[common] for s, f in frames.items()}


def _strategy_fields(strategy: st.strategies.Strategy, params: dict[str, Any]) -> set[str]:
    bars = _frames()["SOL"].iloc[:300]
    sig = strategy.signal(_bars(bars), **strategy.resolve(**params))
    return {"entries", "exits", *sig.extras()}


def _draw_params(draw: Any, strategy: st.strategies.Strategy) -> dict[str, Any]:
    """One value per parameter from the strategy's declared search space (defaults elsewhere)."""
    params: dict[str, Any] = {}
    for name, values in strategy.space.items():
        options = list(values) if not isinstance(values, str) else [values]
        if options:
            params[name] = draw(hs.sampled_from(options))
    try:
        strategy.resolve(**params)
    except st.Error:
        return {}
    return params


@hs.composite
def cases(draw: Any) -> dict[str, Any]:
    name = draw(hs.sampled_from(sorted(REGISTRY)))
    strategy = REGISTRY[name]
    params = _draw_params(draw, strategy)
    n = BARS.get(name, DEFAULT_BARS)
    start = draw(hs.integers(0, len(_frames()["SOL"]) - n))
    assets = draw(hs.sampled_from([("SOL",), ("SOL",), ("SOL", "ETH"), ("SOL", "ETH", "BTC")]))
    bars = {a: _frames()[a].iloc[start : start + n] for a in assets}
    data: Any = bars["SOL"] if len(assets) == 1 else bars
    close = bars["SOL"]["close"].to_numpy()
    seed = draw(hs.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    kw: dict[str, Any] = {
        "fill": "next_open",  # explicit: smc_order_block's mode A defaults to fills at the close
        "fees": draw(hs.sampled_from([0.0, 0.001, 0.0025])),
        "slippage": draw(hs.sampled_from([0.0, 0.0005, 0.01])),
        "sl_stop": draw(hs.sampled_from([None, 0.01, 0.03])),
        "tp_stop": draw(hs.sampled_from([None, 0.02, 0.08])),
        "sl_trail": draw(hs.sampled_from([None, True])),
        "partial_tp_stop": draw(hs.sampled_from([None, None, 0.015])),
        "partial_tp_size": draw(hs.sampled_from([0.5, 0.3])),
        "max_bars": draw(hs.sampled_from([0, 0, 5, 24])),
        "cooldown": draw(hs.sampled_from([0, 0, 3])),
        "leverage": draw(hs.sampled_from([1.0, 1.0, 3.0])),
        "exit_size": draw(hs.sampled_from([1.0, 1.0, 0.5])),
        "accumulate": draw(hs.sampled_from([False, False, True])),
    }
    if kw["sl_trail"] and kw["sl_stop"] is None:
        kw["sl_trail"] = None
    order_type = draw(hs.sampled_from(["market", "market", "limit", "stop", "stop_limit"]))
    if order_type != "market" and len(assets) == 1:
        kw["order_type"] = order_type
        factor = draw(hs.sampled_from([0.99, 0.995, 1.005]))
        kw["limit_price"] = close * factor
        kw["stop_price"] = close * (2.0 - factor)
        kw["tif"] = draw(hs.sampled_from([0, 2, 6]))
        kw["cancel"] = rng.random(n) < 0.05
        kw["post_only"] = draw(hs.booleans())
    costs = draw(hs.sampled_from(["none", "none", "solana"]))
    if costs == "solana":
        kw["solana"] = SolanaTxCost(priority_fee=50_000, fail_rate=0.3, sol_price=150.0)
    risk = draw(hs.sampled_from(["none", "none", "default", "tight"]))
    if risk == "default":
        kw["risk"] = RiskLimits()
    elif risk == "tight":
        kw["risk"] = RiskLimits(
            daily_loss_limit=0.01, soft_drawdown=0.02, hard_drawdown=0.06, max_open_positions=2,
            max_symbol_exposure=0.9, max_correlation=0.8, correlation_min_obs=10,
        )  # fmt: skip
    if draw(hs.booleans()):
        kw["control"] = rng.choice(4, size=n, p=[0.85, 0.05, 0.05, 0.05]).astype(np.int64)
    if len(assets) > 1:
        kw["size"] = 1.0 / len(assets)
        if draw(hs.booleans()):
            kw["accounts"] = list(range(len(assets)))
    fields = _strategy_fields(strategy, params)
    kw = {k: v for k, v in kw.items() if k not in fields and v is not None}
    if "size" in fields and "size" in kw:
        del kw["size"]
    return {"strategy": strategy, "params": params, "data": data, "kw": kw}


def _same_records(a: np.ndarray, b: np.ndarray, what: str) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape, (what, a.shape, b.shape)
    if a.tobytes() != b.tobytes():
        bad = next(i for i in range(len(a)) if a[i].tobytes() != b[i].tobytes())
        pytest.fail(f"{what} differ first at record {bad}:\nreplay   {a[bad]}\nbacktest {b[bad]}")


def _same_frame(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    x, y = a.to_numpy(), b.to_numpy()
    assert x.shape == y.shape, what
    assert np.array_equal(x.view(np.int64), y.view(np.int64)), (what, np.argwhere(x != y)[:3])


def assert_replay_equals_backtest(replay: st.Result, ref: st.Result) -> None:
    _same_records(replay.orders_records, ref.orders_records, "orders")
    _same_records(replay.fills_records, ref.fills_records, "fills")
    _same_records(replay.trades_records, ref.trades_records, "trades")
    _same_frame(replay.account_cash, ref.account_cash, "cash")
    _same_frame(replay.account_equity, ref.account_equity, "equity")
    _same_frame(replay.positions, ref.positions, "positions")
    _same_frame(replay.position_values, ref.position_values, "position values")
    assert replay.params == ref.params


# kernel exit reasons (ExitReason) and the intent reasons of the orders that close that way
_EXIT_AT_OPEN = {0: {"EXIT", "REVERSAL"}, 4: {"TIME_STOP"}, 9: {"GUARD_FLATTEN"}, 7: {"REVERSAL"}}
_PROTECTIVE = {1: "STOP_LOSS", 3: "TRAILING_STOP", 2: "TAKE_PROFIT", 6: "PARTIAL_TAKE_PROFIT"}


def assert_intents_explain_the_fills(res: st.Result, opens: np.ndarray, exact_levels: bool) -> None:
    """Every fill comes from an intent sent before it: an entry from the entry intent of its
    decision bar (side, order type), an exit at the open from the exit intent of its decision
    bar (at least its quantity, reduce-only), a stop or target fill from the protective intent
    working at that bar (at its level, or at the open the bar gapped to, when no cost moves the
    price: ``exact_levels``)."""
    intents, orders = res.intents_records, res.orders_records
    reasons = {int(r): r.name for r in IntentReason}
    sent = {}
    for rec in intents:
        sent.setdefault((int(rec["asset"]), int(rec["decision_bar"])), []).append(rec)
    entry_bars = {(int(f["asset"]), int(f["bar"])) for f in res.fills_records if f["reason"] == -1}
    for fill in res.fills_records:
        asset, bar, why = int(fill["asset"]), int(fill["bar"]), int(fill["reason"])
        order = orders[orders["id"] == fill["order_id"]][0]
        decided = int(order["decision_bar"])
        candidates = sent.get((asset, decided), [])
        if why == -1:
            match = [r for r in candidates if reasons[int(r["reason"])] == "ENTRY"]
            assert match, (fill, "no entry intent")
            sent_kind, filled_kind = int(match[-1]["kind"]), int(order["type"])
            assert match[-1]["side"] == order["side"]
            # a stop-limit order that triggered is a limit order when it fills
            assert sent_kind == filled_kind or (sent_kind, filled_kind) == (
                OrderType.STOP_LIMIT,
                OrderType.LIMIT,
            )
        elif why in _EXIT_AT_OPEN and decided < bar:
            want = _EXIT_AT_OPEN[why]
            match = [r for r in candidates if reasons[int(r["reason"])] in want]
            assert match, (fill, "no exit intent")
            assert match[-1]["reduce_only"] and match[-1]["quantity"] >= fill["size"] * (1 - 1e-12)
        elif why in _PROTECTIVE and (asset, bar) not in entry_bars:
            name = _PROTECTIVE[why]
            working = [
                r for r in intents
                if r["asset"] == asset and r["decision_bar"] < bar
                and reasons[int(r["reason"])] == name
            ]  # fmt: skip
            assert working, (fill, f"no {name} intent")
            last = working[-1]
            level = last["stop_price"] if last["kind"] == OrderType.STOP else last["limit_price"]
            if exact_levels:
                assert fill["price"] in (level, opens[bar, asset]), (fill, level)


@settings(max_examples=40)
@given(case=cases())
def test_paper_replay_equals_the_backtest(case: dict[str, Any]) -> None:
    strategy, data = case["strategy"], case["data"]
    kw = {**case["params"], **case["kw"]}
    try:
        ref = st.backtest(data, strategy, **kw)
    except st.Error as exc:  # a combination the backtest refuses: the replay refuses it too
        with pytest.raises(type(exc)):
            st.paper_replay(data, strategy, **kw)
        event(f"refused by both: {exc.name}")
        return
    replay = st.paper_replay(data, strategy, **kw)
    assert_replay_equals_backtest(replay, ref)
    exact = kw.get("slippage", 0.0) == 0.0 and "solana" not in kw
    assert_intents_explain_the_fills(replay, ref.market.open, exact)
    event(f"{strategy.name}: {'with' if len(ref.trades_records) else 'without'} trades")
    timing = replay.timing
    assert timing.bars == len(ref.account_equity)
    assert min(timing.signal_s, timing.core_s, timing.other_s) > 0.0


def test_a_window_shorter_than_the_history_still_equals_the_backtest() -> None:
    """sma_cross 20/100 needs 101 bars (``window_check``); a 300-bar window on 1,500 bars."""
    bars = _frames()["SOL"].iloc[-1_500:]
    kw = {"fast": 20, "slow": 100, "sl_stop": 0.03, "tp_stop": 0.06, "fees": 0.001}
    ref = st.backtest(bars, st.strategies.sma_cross, **kw)
    assert len(ref.trades_records) > 5
    assert_replay_equals_backtest(
        st.paper_replay(bars, st.strategies.sma_cross, window=300, **kw), ref
    )


def test_a_window_too_short_for_the_strategy_differs() -> None:
    """With 60 bars SMA(100) is never defined: the replay trades nothing, the backtest does."""
    bars = _frames()["SOL"].iloc[-1_500:]
    kw = {"fast": 20, "slow": 100, "fees": 0.001}
    replay = st.paper_replay(bars, st.strategies.sma_cross, window=60, **kw)
    assert len(replay.trades_records) == 0
    assert len(st.backtest(bars, st.strategies.sma_cross, **kw).trades_records) > 0


def test_fill_at_the_signal_close_is_refused() -> None:
    bars = _frames()["SOL"].iloc[:200]
    with pytest.raises(st.ParameterError, match="next bar's open") as err:
        st.paper_replay(bars, st.strategies.sma_cross, fill="close")
    assert err.value.name == "fill"
    with pytest.raises(st.ParameterError, match="fill"):
        st.paper_replay(bars, st.strategies.sma_cross, conventions="vectorbt")


def test_bad_arguments_name_themselves() -> None:
    bars = _frames()["SOL"].iloc[:200]
    with pytest.raises(st.ParameterError, match="window"):
        st.paper_replay(bars, st.strategies.sma_cross, window=1)
    with pytest.raises(st.ParameterError, match="strategy"):
        st.paper_replay(bars, "sma_cross")
    with pytest.raises(st.ParameterError, match="colour"):
        st.paper_replay(bars, st.strategies.sma_cross, colour="red")


def _bad_size_late(bars: st.strategies.Bars) -> st.strategies.Signals:
    """Enters on every bar, with a size of 0 from bar 150 on: a mistake only late bars show."""
    n = bars.close.size
    size = np.full(n, 0.5)
    if n > 150:
        size[150:] = 0.0
    return st.strategies.Signals(entries=np.ones(n, bool), exits=np.zeros(n, bool), size=size)


def test_a_bad_signal_row_is_refused_with_its_row() -> None:
    spec = st.strategies.Strategy("late_mistake", _bad_size_late, {})
    bars = _frames()["SOL"].iloc[:200]
    with pytest.raises(st.ParameterError, match="row 150") as err:
        st.paper_replay(bars, spec)
    assert err.value.name == "size"
    with pytest.raises(st.ParameterError, match="row 150"):
        st.backtest(bars, spec)


def test_intents_of_a_trailing_stop_run() -> None:
    """Entries as cash fractions, the protective orders sent once the entry filled, a trailing
    stop re-issued as it ratchets (each replacing the last), the target cancelled when the stop
    closes the position, and ids that are the same in a second run."""
    bars = _frames()["SOL"].iloc[-1_500:]
    kw = {
        "fast": 20,
        "slow": 100,
        "sl_stop": 0.03,
        "sl_trail": True,
        "tp_stop": 0.06,
        "fees": 0.001,
    }
    res = st.paper_replay(bars, st.strategies.sma_cross, **kw)
    df = res.intents
    assert set(df["reason"]) >= {"entry", "trailing_stop", "take_profit", "cancel"}
    entries = df[df["reason"] == "entry"]
    assert (entries["unit"] == "cash_fraction").all() and (entries["quantity"] == 1.0).all()
    trail = df[df["reason"] == "trailing_stop"]
    assert trail["reduce_only"].all() and (trail["kind"] == "stop").all()
    ratchets = trail[trail["replaces"] != ""]
    assert len(ratchets) > 0 and set(ratchets["replaces"]) <= set(trail["client_id"])
    assert df["client_id"].is_unique
    again = st.paper_replay(bars, st.strategies.sma_cross, **kw).intents
    assert again["client_id"].tolist() == df["client_id"].tolist()
    assert_intents_explain_the_fills(res, res.market.open, exact_levels=True)
    assert st.backtest(bars, st.strategies.sma_cross, **kw).intents is None
