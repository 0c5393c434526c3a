"""Differential test: ``backtest_signals(..., fill="close", conventions="vectorbt")`` against
vectorbt's ``Portfolio.from_signals`` on windows of real SOL 1m bars with random signals."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from soltrader.engine import backtest_signals

vbt = pytest.importorskip("vectorbt")


def run_vectorbt(bars: pd.DataFrame, entries, exits, **kw) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return vbt.Portfolio.from_signals(
            bars["close"],
            entries,
            exits,
            open=bars["open"],
            high=bars["high"],
            low=bars["low"],
            init_cash=10_000.0,
            freq="1min",
            **kw,
        )


def assert_same_as_vectorbt(bars: pd.DataFrame, entries, exits, **kw) -> None:
    ours = backtest_signals(bars, entries, exits, fill="close", conventions="vectorbt", **kw)
    ref = run_vectorbt(bars, entries, exits, **kw)
    theirs = ref.trades.records_readable
    index = bars.index
    np.testing.assert_array_equal(
        ours.trades["entry_bar"].to_numpy(), index.get_indexer(theirs["Entry Timestamp"])
    )
    closed = ours.trades[~ours.trades["is_open"]]
    np.testing.assert_array_equal(
        closed["exit_bar"].to_numpy(),
        index.get_indexer(theirs.loc[theirs["Status"] == "Closed", "Exit Timestamp"]),
    )
    np.testing.assert_allclose(ours.trades["size"], theirs["Size"], rtol=1e-9)
    np.testing.assert_allclose(ours.trades["pnl"], theirs["PnL"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.equity.to_numpy(), ref.value().to_numpy(), rtol=1e-9)
    assert ours.equity.iloc[-1] == pytest.approx(ref.value().iloc[-1], rel=1e-9)


@settings(max_examples=25)
@given(
    start=hs.integers(0, 100_000),
    length=hs.integers(200, 3_000),
    p_entry=hs.floats(0.005, 0.1),
    p_exit=hs.floats(0.005, 0.1),
    seed=hs.integers(0, 2**32 - 1),
    sl=hs.one_of(hs.none(), hs.floats(0.001, 0.05)),
    tp=hs.one_of(hs.none(), hs.floats(0.001, 0.08)),
    trail=hs.booleans(),
    fees=hs.sampled_from([0.0, 0.0005, 0.001, 0.003]),
    slippage=hs.sampled_from([0.0, 0.0005, 0.002]),
)
def test_random_signals_match_vectorbt(
    sol_1m, start, length, p_entry, p_exit, seed, sl, tp, trail, fees, slippage
) -> None:
    bars = sol_1m.iloc[start : start + length]
    rng = np.random.default_rng(seed)
    entries = rng.random(len(bars)) < p_entry
    exits = rng.random(len(bars)) < p_exit
    kw = {"fees": fees, "slippage": slippage}
    if sl is not None:
        kw.update(sl_stop=sl, sl_trail=trail)
    if tp is not None:
        kw["tp_stop"] = tp
    assert_same_as_vectorbt(bars, entries, exits, **kw)


def test_sma_cross_matches_vectorbt(sol_1m) -> None:
    close = sol_1m["close"]
    fast, slow = close.rolling(20).mean(), close.rolling(100).mean()
    entries = (fast > slow) & (fast.shift() <= slow.shift())
    exits = (fast < slow) & (fast.shift() >= slow.shift())
    assert_same_as_vectorbt(
        sol_1m, entries.to_numpy(), exits.to_numpy(), sl_stop=0.02, fees=0.001, slippage=0.0005
    )


def test_trade_return_convention_differs_from_vectorbt_by_entry_fees(sol_1m) -> None:
    """Ours: pnl / (entry notional + entry fees); vectorbt: pnl / entry notional."""
    bars = sol_1m.iloc[:3_000]
    rng = np.random.default_rng(7)
    entries, exits = rng.random(len(bars)) < 0.02, rng.random(len(bars)) < 0.02
    ours = backtest_signals(bars, entries, exits, fill="close", conventions="vectorbt", fees=0.002)
    theirs = run_vectorbt(bars, entries, exits, fees=0.002).trades.records_readable
    t = ours.trades
    notional = t["size"] * t["entry_price"]
    np.testing.assert_allclose(t["pnl"] / notional, theirs["Return"], rtol=1e-9)
    np.testing.assert_allclose(t["return"], t["pnl"] / (notional + t["entry_fees"]), rtol=1e-12)
    assert not np.allclose(t["return"], theirs["Return"], rtol=1e-6)
