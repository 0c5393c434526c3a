"""Order records say when an order was decided and when it executed, how much was asked and how
much filled; a ruined account stops trying and says so once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.data.schema import ohlcv_frame
from soltrader.strategies.sma_cross import sma_cross_nb


def test_sma_cross_orders_carry_their_decision_and_execution_bars(sol_1h) -> None:
    """sma_cross decides on the close of its crossing bar and fills at the next open."""
    res = st.backtest(sol_1h, st.strategies.sma_cross)
    entries, exits = sma_cross_nb(sol_1h["close"].to_numpy(), 20, 100)
    o = res.orders
    assert (o["status"] == "filled").all()
    assert (o["exec_bar"] == o["decision_bar"] + 1).all()
    buys = o[o["side"] == "buy"]
    sells = o[o["side"] == "sell"]
    assert entries[buys["decision_bar"]].all() and exits[sells["decision_bar"]].all()
    # the first entry decision is the first crossing; its fill is the next bar's open
    first = int(np.flatnonzero(entries)[0])
    assert (buys["decision_bar"].iloc[0], buys["exec_bar"].iloc[0]) == (first, first + 1)
    assert buys["price"].iloc[0] == sol_1h["open"].iloc[first + 1]
    assert (o["decision_time"] == sol_1h.index[o["decision_bar"]]).all()
    assert (o["exec_time"] == sol_1h.index[o["exec_bar"]]).all()
    # every fill points at its order, executed on the order's execution bar
    f = res.fills
    np.testing.assert_array_equal(f["bar"], o["exec_bar"].to_numpy()[f["order_id"]])


def _bars(rows: list[list[float]]) -> pd.DataFrame:
    arr = np.asarray(rows, dtype=np.float64)
    return ohlcv_frame(1_704_067_200_000 + 60_000 * np.arange(len(arr)), *arr.T)


def test_cancelled_expired_and_protective_orders_name_their_bars() -> None:
    rows = [[100, 100, 100, 100, 1e6]] * 3 + [[100, 101, 96, 97, 1e6]] + [[97, 98, 96, 97, 1e6]] * 4
    n = len(rows)
    entries = np.zeros(n, dtype=bool)
    entries[[0, 5]] = True
    cancel = np.zeros(n, dtype=bool)
    cancel[2] = True
    res = st.backtest_signals(
        _bars(rows), entries, order_type="limit", limit_price=[90.0] * 5 + [95.0] * 3,
        cancel=cancel, tif=[0] * 5 + [1] * 3, size=1.0, size_type="amount",
    )  # fmt: skip
    o = res.orders
    # decided at 0, withdrawn by the cancel decided at bar 2's close
    assert o[["decision_bar", "exec_bar", "status"]].values.tolist()[0] == [0, 2, "cancelled"]
    # decided at 5, may fill at bar 6 only (tif 1): bar 7 is the first bar it may not fill
    assert o[["decision_bar", "exec_bar", "status"]].values.tolist()[1] == [5, 7, "expired"]
    assert np.isnan(o["requested_size"]).all() and (o["filled_size"] == 0).all()

    stop = st.backtest_signals(_bars(rows), at_bar(n, 2), size=1.0, size_type="amount",
                               sl_stop=0.02)  # fmt: skip
    so = stop.orders
    # entry decided at 2, filled at 3's open; its stop is decided by bar 3's price reaching 98
    assert so[["decision_bar", "exec_bar", "type"]].values.tolist() == [
        [2, 3, "market"],
        [3, 3, "stop"],
    ]


def at_bar(n: int, *bars: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[list(bars)] = True
    return out


def test_smc_default_run_records_its_ruin_once(sol_1h) -> None:
    """The default SMC run loses its whole account; the entries it decides afterwards are not
    placed: one rejected order with the reason ``ruined`` instead of one insufficient-cash
    rejection per later entry decision (25,696 of them before)."""
    res = st.backtest(sol_1h, st.strategies.smc_order_block)
    assert res.equity.iloc[-1] == pytest.approx(0.0, abs=1e-6)
    o = res.orders
    rejected = o[o["status"] == "rejected"]
    assert rejected["reject_reason"].tolist() == ["ruined"]
    ruin = rejected.iloc[0]
    last_trade_exit = int(res.trades["exit_bar"].max())
    assert ruin["decision_bar"] == ruin["exec_bar"] > last_trade_exit
    assert res.cash.iloc[ruin["decision_bar"]] < 1e-6
    assert not (o["exec_bar"] > ruin["exec_bar"]).any()  # nothing after it


def test_ruin_is_the_smallest_order_not_zero_cash() -> None:
    """Ruin: flat, with cash below min_size at the close plus fixed fees. All-in at 100 and out at
    10 with a fixed fee of 1 per order leaves (C - 1) / 10 - 1 of a starting cash C: an account
    left with 0.5 is ruined at its next entry decision; one left with 1.5 still buys 0.05 units."""
    rows = [[100, 100, 100, 100, 1e6], [100, 100, 10, 10, 1e6]] + [[10, 10, 10, 10, 1e6]] * 4
    n = len(rows)

    def run(cash_left: float):
        return st.backtest_signals(
            _bars(rows), at_bar(n, 0, 3, 4), at_bar(n, 1), fill="close", fixed_fees=1.0,
            init_cash=10.0 * cash_left + 11.0,
        )  # fmt: skip

    ruined = run(0.5)
    assert ruined.cash.iloc[1] == pytest.approx(0.5)
    rej = ruined.orders[ruined.orders["status"] == "rejected"]
    assert rej[["decision_bar", "exec_bar", "reject_reason"]].values.tolist() == [[3, 3, "ruined"]]
    assert len(ruined.orders) == 3  # the entry decided at bar 4 is not placed
    alive = run(1.5)
    assert alive.cash.iloc[1] == pytest.approx(1.5)
    assert alive.orders["status"].tolist() == ["filled"] * 3
    assert alive.trades["size"].iloc[-1] == pytest.approx(0.05)


def _padding_bytes(dtype: np.dtype) -> np.ndarray:
    """Byte offsets of ``dtype`` that no field covers."""
    covered = np.zeros(dtype.itemsize, dtype=np.bool_)
    for name in dtype.names:
        sub, offset = dtype.fields[name][:2]
        covered[offset : offset + sub.itemsize] = True
    return np.flatnonzero(~covered)


def test_records_carry_zero_padding_not_old_memory(sol_1h) -> None:
    """Record buffers are not zeroed before the simulation: the records a result keeps must
    still hold zeros between their fields (equal bytes for equal records, nothing of what the
    memory held before in a saved file)."""
    from soltrader.domain.records import fill_dt, order_dt, trade_dt
    from soltrader.sim.simple import _records_made

    for dt in (order_dt, fill_dt, trade_dt):
        gaps = _padding_bytes(dt)
        assert gaps.size  # aligned records: there is padding to check
        buf = np.frombuffer(b"\xa5" * (3 * dt.itemsize), dtype=dt).copy()  # stale memory
        out = _records_made(buf, 2)
        raw = out.view(np.uint8).reshape(2, dt.itemsize)
        assert not raw[:, gaps].any()
        for name in dt.names:
            assert out[name].tobytes() == buf[name][:2].tobytes()
    res = st.backtest(sol_1h, st.strategies.sma_cross, fast=10, slow=40, sl_stop=0.02)
    for records in (res.orders_records, res.fills_records, res.trades_records):
        assert len(records)
        raw = records.view(np.uint8).reshape(len(records), records.dtype.itemsize)
        assert not raw[:, _padding_bytes(records.dtype)].any()
