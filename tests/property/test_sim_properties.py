"""Invariants of the simulator on windows of real SOL 1m bars with hypothesis-drawn signals and
settings: no look-ahead, accounting identity, non-negative fees and cash, volume cap,
determinism."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as hs

from soltrader.costs import SolanaTxCost
from soltrader.engine import backtest_signals

SETTINGS = hs.fixed_dictionaries(
    {
        "fill": hs.sampled_from(["next_open", "close"]),
        "sl_stop": hs.one_of(hs.none(), hs.floats(0.002, 0.05)),
        "tp_stop": hs.one_of(hs.none(), hs.floats(0.002, 0.08)),
        "fees": hs.sampled_from([0.0, 0.001, 0.003]),
        "slippage": hs.sampled_from([0.0, 0.0005]),
        "size": hs.sampled_from([None, 0.3, 1.0]),
        "max_volume_share": hs.sampled_from([0.0, 0.01, 0.2]),
        "cooldown": hs.integers(0, 5),
        "max_bars": hs.integers(0, 50),
        "order_type": hs.sampled_from(["market", "limit", "stop"]),
    }
)


def window(sol_1m: pd.DataFrame, start: int, length: int) -> pd.DataFrame:
    return sol_1m.iloc[start : start + length]


def signals(n: int, seed: int, shorts: bool) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {"entries": rng.random(n) < 0.03, "exits": rng.random(n) < 0.03}
    if shorts:
        out["short_entries"] = rng.random(n) < 0.02
        out["short_exits"] = rng.random(n) < 0.02
    return out


def run(bars: pd.DataFrame, sig: dict[str, np.ndarray], cfg: dict[str, Any], **extra: Any):
    kw = dict(cfg)
    close = bars["close"].to_numpy()
    if kw["order_type"] == "limit":
        kw["limit_price"] = close * 0.998
    elif kw["order_type"] == "stop":
        kw["stop_price"] = close * 1.002
    kw.update(extra)
    return backtest_signals(bars, **{k: v[: len(bars)] for k, v in sig.items()}, **kw)


@settings(max_examples=30)
@given(
    start=hs.integers(0, 100_000),
    length=hs.integers(100, 1_500),
    cut=hs.floats(0.2, 0.9),
    seed=hs.integers(0, 2**31),
    shorts=hs.booleans(),
    cfg=SETTINGS,
)
def test_no_look_ahead(sol_1m, start, length, cut, seed, shorts, cfg) -> None:
    """Dropping every bar after t leaves every fill and every equity value up to t unchanged."""
    bars = window(sol_1m, start, length)
    sig = signals(len(bars), seed, shorts)
    t = int(len(bars) * cut)
    full = run(bars, sig, cfg)
    part = run(bars.iloc[: t + 1], sig, cfg)
    f_full = full.fills_records[full.fills_records["bar"] <= t]
    np.testing.assert_array_equal(f_full, part.fills_records)
    np.testing.assert_array_equal(full.equity.to_numpy()[: t + 1], part.equity.to_numpy())
    np.testing.assert_array_equal(full.positions.to_numpy()[: t + 1], part.positions.to_numpy())


@settings(max_examples=30)
@given(
    start=hs.integers(0, 100_000),
    length=hs.integers(100, 1_500),
    seed=hs.integers(0, 2**31),
    shorts=hs.booleans(),
    leverage=hs.sampled_from([1.0, 3.0]),
    cfg=SETTINGS,
)
def test_accounting_identity_and_costs(sol_1m, start, length, seed, shorts, leverage, cfg) -> None:
    """cash + position values == equity on every bar; every fee is >= 0; volume cap holds."""
    bars = window(sol_1m, start, length)
    res = run(
        bars,
        signals(len(bars), seed, shorts),
        cfg,
        leverage=leverage,
        maintenance_margin=0.005 if leverage > 1 else 0.0,
    )
    np.testing.assert_allclose(
        res.cash + res.position_values.sum(axis=1), res.equity, rtol=1e-12, atol=1e-7
    )
    assert (res.fills_records["fees"] >= 0).all()
    assert (res.orders_records["fees"] >= 0).all()
    assert (res.fills_records["size"] > 0).all()
    share = cfg["max_volume_share"]
    if share > 0:
        vol = bars["volume"].to_numpy()[res.fills_records["bar"]]
        assert (res.fills_records["size"] <= share * vol * (1 + 1e-12)).all()


@settings(max_examples=30)
@given(
    start=hs.integers(0, 100_000),
    length=hs.integers(100, 1_500),
    seed=hs.integers(0, 2**31),
    cfg=SETTINGS,
)
def test_cash_never_negative_without_leverage(sol_1m, start, length, seed, cfg) -> None:
    bars = window(sol_1m, start, length)
    res = run(bars, signals(len(bars), seed, shorts=False), cfg)
    assert (res.cash >= 0.0).all(), res.cash.min()
    assert (res.positions.to_numpy() >= 0.0).all()


@settings(max_examples=15)
@given(
    start=hs.integers(0, 100_000),
    length=hs.integers(100, 800),
    seed=hs.integers(0, 2**31),
    fail_seed=hs.integers(0, 2**31),
    cfg=SETTINGS,
)
def test_deterministic(sol_1m, start, length, seed, fail_seed, cfg) -> None:
    """Same inputs and seed: bit-identical records and curves (failures included)."""
    bars = window(sol_1m, start, length)
    sig = signals(len(bars), seed, shorts=True)
    solana = SolanaTxCost(priority_fee=50_000, fail_rate=0.2, seed=fail_seed)
    a = run(bars, sig, cfg, solana=solana)
    b = run(bars, sig, cfg, solana=solana)
    for name in ("orders_records", "fills_records", "trades_records"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), name
    assert a.equity.to_numpy().tobytes() == b.equity.to_numpy().tobytes()
    failed = (a.orders["reject_reason"] == "tx_failed").sum()
    other = run(
        bars, sig, cfg, solana=SolanaTxCost(priority_fee=50_000, fail_rate=0.2, seed=fail_seed + 1)
    )
    if failed + (other.orders["reject_reason"] == "tx_failed").sum() > 4:
        # another seed draws other failures
        assert not np.array_equal(
            a.orders_records["status"], other.orders_records["status"]
        ) or len(a.orders_records) != len(other.orders_records)
