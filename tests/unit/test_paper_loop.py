"""``PaperLoop.live``: bars arriving one at a time give exactly the replay's (and so the
backtest's) records and intents, whatever the buffer capacity; bad bars and keywords a live
loop cannot have are refused by name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.domain.state import ControlMode
from soltrader.engine.paper import PaperLoop
from tests.conftest import read_sample_bars

MINUTE_NS = 60 * 10**9


def _bars(n: int = 700) -> pd.DataFrame:
    return read_sample_bars("binance", "SOL-USDT", "1m").iloc[:n]


def _step_all(loop: PaperLoop, bars: pd.DataFrame) -> list:
    ticks = bars.index.as_unit("ns").asi8
    cols = [bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
    return [loop.step(int(ticks[t]), *(np.array([c[t]]) for c in cols)) for t in range(len(bars))]


KW = dict(fast=5, slow=20, sl_stop=0.004, tp_stop=0.006, fees=0.001, slippage=0.0005)


@pytest.mark.parametrize("capacity", [16, 4096])
def test_a_live_loop_equals_the_replay_whatever_its_capacity(capacity: int) -> None:
    bars = _bars()
    ref = st.paper_replay(bars, st.strategies.sma_cross, window=100, **KW)
    loop = PaperLoop.live(
        st.strategies.sma_cross, ("asset",), bar_ns=MINUTE_NS, window=100, capacity=capacity,
        **KW,
    )  # fmt: skip
    outcomes = _step_all(loop, bars)
    assert loop.intents().tobytes() == ref.intents_records.tobytes()
    per_bar = np.concatenate([o.intents for o in outcomes])  # concatenate drops the padding
    for name in per_bar.dtype.names:
        np.testing.assert_array_equal(per_bar[name], ref.intents_records[name])
    assert len(ref.intents_records) > 20  # entries, exits, stops and targets happened
    fills = np.concatenate([o.fills for o in outcomes])
    assert len(fills) == len(ref.fills)
    np.testing.assert_array_equal(fills["price"], ref.fills["price"].to_numpy())
    equity = np.array([o.equity[0] for o in outcomes])
    np.testing.assert_array_equal(equity, ref.equity.to_numpy())
    res = loop.finish()
    assert res.trades.equals(ref.trades)
    assert res.orders.equals(ref.orders)


def test_client_ids_are_stable_across_runs() -> None:
    bars = _bars(300)
    a = PaperLoop.live(st.strategies.sma_cross, ("SOL",), bar_ns=MINUTE_NS, **KW)
    b = PaperLoop.live(st.strategies.sma_cross, ("SOL",), bar_ns=MINUTE_NS, **KW)
    _step_all(a, bars)
    _step_all(b, bars)
    assert a.run_id == b.run_id
    ids = a.intents()["client_id"]
    assert len(ids) and np.array_equal(ids, b.intents()["client_id"])
    assert len(set(ids.tolist())) == len(ids)


def test_emergency_control_flattens_and_blocks_entries() -> None:
    bars = _bars(400)
    loop = PaperLoop.live(
        st.strategies.sma_cross, ("SOL",), bar_ns=MINUTE_NS, control="normal", fast=5, slow=20
    )
    ticks = bars.index.as_unit("ns").asi8
    cols = [bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
    held_at = None
    for t in range(len(bars)):
        mode = ControlMode.EMERGENCY if held_at is not None else None
        out = loop.step(int(ticks[t]), *(np.array([c[t]]) for c in cols), control=mode)
        if held_at is None and out.position[0] != 0:
            held_at = t
    assert held_at is not None
    assert out.position[0] == 0.0  # flattened, and never re-entered


def test_bad_live_bars_are_refused_by_name() -> None:
    loop = PaperLoop.live(st.strategies.sma_cross, ("SOL",), bar_ns=MINUTE_NS, fast=2, slow=3)
    one = np.ones(1)
    loop.step(MINUTE_NS, one, one, one, one, one)
    with pytest.raises(st.DataError, match="not after the previous") as err:
        loop.step(MINUTE_NS, one, one, one, one, one)
    assert err.value.code == "unsorted"
    with pytest.raises(st.DataError) as err:
        loop.step(2 * MINUTE_NS, one, one * 0.5, one, one, one)  # high below low
    assert err.value.code == "high_below_low" and err.value.row == 1
    with pytest.raises(st.DataError) as err:
        loop.step(2 * MINUTE_NS, one, one, one, one * np.nan, one)
    assert err.value.code == "nan"


@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"fill": "close"}, "fill"),
        ({"impact": st.costs.Impact()}, "impact"),
        ({"fees": np.full(10, 0.001)}, "fees"),
    ],
)
def test_keywords_a_live_loop_cannot_have(kw: dict, name: str) -> None:
    with pytest.raises(st.ParameterError) as err:
        PaperLoop.live(st.strategies.sma_cross, ("SOL",), bar_ns=MINUTE_NS, **kw)
    assert err.value.name == name


def test_a_control_mode_needs_the_guards() -> None:
    loop = PaperLoop.live(st.strategies.sma_cross, ("SOL",), bar_ns=MINUTE_NS, fast=2, slow=3)
    one = np.ones(1)
    with pytest.raises(st.ParameterError, match="account guards"):
        loop.step(0, one, one, one, one, one, control=ControlMode.PAUSE)
