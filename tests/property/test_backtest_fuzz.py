"""Fuzz over the backtest keywords: whatever the bars and keywords, a backtest either runs or
raises a ``soltrader.Error`` subclass naming what is wrong; nothing else ever escapes (no bare
``ZeroDivisionError`` from the kernel, no ``TypeError`` from a comparison, no ``IndexError``).

Bars are synthetic and valid OHLC at price levels from 1e-8 to 1e8, with zero volume, one bar and
zero bars among the draws; a few draws break one bar rule on purpose. Keywords mix valid values
with out-of-range ones (fees and slippage of 1 and more, stops of 1 and 2, negative sizes, ...),
and draw the account guards (default and tight ``RiskLimits``) and control-mode schedules
(pause, reduce, emergency), with their own mistakes.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as hs

import soltrader as st
from soltrader.costs import AMMPool, FeeSchedule, FeeTier, Impact, SolanaTxCost
from soltrader.risk import RiskLimits

#: Drawn cases of the one-asset fuzz (the several-asset one draws 30 % of it): 2,500 in
#: ``make test``, 5,000 in ``make acceptance`` (``SOLTRADER_FUZZ_EXAMPLES=5000``).
FUZZ_EXAMPLES = int(os.environ.get("SOLTRADER_FUZZ_EXAMPLES", "2500"))

# valid values (edges included) and, per keyword, mistakes: a draw breaks at most one keyword
VALID: dict[str, list[Any]] = {
    "fill": ["next_open", "close"],
    "conventions": [None, None, "vectorbt"],
    "size_type": ["percent", "percent", "amount", "value"],
    "fees": [0.0, 0.0, 1e-4, 0.001, 0.3, 0.999],
    "slippage": [0.0, 0.0, 1e-4, 0.01, 0.5, 0.999],
    "fixed_fees": [0.0, 0.0, 1e-6, 1.0, 1e9],
    "sl_stop": [None, None, 1e-4, 0.02, 0.3, 0.999, np.nan],
    "tp_stop": [None, None, 1e-4, 0.05, 0.5, 0.999, np.nan],
    "sl_trail": [None, None, None, True, 0.05],
    "partial_tp_stop": [None, None, 1e-4, 0.03, 0.5],
    "partial_tp_size": [0.5, 1.0, 1e-6],
    "max_bars": [0, 0, 1, 7],
    "tif": [0, 0, 1, 3],
    "exit_size": [1.0, 1.0, 0.25, 1e-6],
    "cooldown": [0, 0, 2],
    "leverage": [1.0, 1.0, 2.0, 10.0, 125.0],
    "maintenance_margin": [0.0, 0.0, 0.005],
    "max_volume_share": [0.0, 0.0, 0.1, 1.0],
    "order_type": ["market", "market", "limit", "stop", "stop_limit"],
    "entry_price": [0.99, 1.01, 1.0, 0.5, 2.0],
    "init_cash": [10_000.0, 10_000.0, 1e-6, 1.0, 1e12],
    "accumulate": [False, True],
    "shorts": [False, True],
    "costs": ["none", "none", "impact", "amm", "solana", "schedule"],
    "min_size": [None, None, 0.0, 1.0],
    "risk": ["none", "none", "none", "default", "tight"],
    "control": ["none", "none", "none", "schedule"],
}
MISTAKES: dict[str, list[Any]] = {
    "fees": [1.0, 1.5, -0.01, np.nan],
    "slippage": [1.0, 1.5, -0.01, np.nan],
    "fixed_fees": [-1.0, np.inf, np.nan],
    "sl_stop": [1.0, 2.0, 0.0, -0.02, np.inf],
    "tp_stop": [0.0, -0.1, np.inf],
    "sl_trail": [1.5, 0.0],
    "partial_tp_stop": [0.0, -1.0],
    "partial_tp_size": [0.0, 1.5, np.nan],
    "max_bars": [-1, 2.5],
    "tif": [-1, 0.5],
    "exit_size": [0.0, 1.5, np.nan],
    "cooldown": [-1, 1.5, True],
    "leverage": [0.5, 0.0, np.inf],
    "maintenance_margin": [0.9, -0.1],
    "max_volume_share": [1.5, -0.1],
    "entry_price": [0.0, -1.0, np.nan],
    "init_cash": [0.0, -1.0, np.nan],
    "min_size": [-1.0, np.nan],
    "accumulate": ["yes"],
    "risk": ["negative", "above_one"],
    "control": ["unknown_code", "wrong_length"],
}
SIZES = {
    "percent": [None, None, 1e-9, 0.01, 0.5, 1.0],
    "amount": [1e-12, 1e-3, 1.0, 1e6, 1e15],
    "value": [1e-6, 1.0, 100.0, 1e9],
}
SIZE_MISTAKES = {
    "percent": [0.0, 1.5, 2.0, -0.5, np.nan],
    "amount": [0.0, -1.0, np.nan, np.inf],
    "value": [0.0, -5.0, np.nan],
}
CORRUPTIONS = ["nan", "high_below_low", "zero_price", "negative_volume", "unsorted"]


@hs.composite
def configs(draw: Any) -> dict[str, Any]:
    """Valid keywords, then at most one mistake (a keyword, the size or the bars)."""
    cfg = {key: draw(hs.sampled_from(values)) for key, values in VALID.items()}
    cfg["size"] = draw(hs.sampled_from(SIZES[cfg["size_type"]]))
    cfg["damage"] = None
    mistake = draw(hs.sampled_from([None] * 20 + [*MISTAKES, "size", "damage"]))
    if mistake == "size":
        cfg["size"] = draw(hs.sampled_from(SIZE_MISTAKES[cfg["size_type"]]))
    elif mistake == "damage":
        cfg["damage"] = draw(hs.sampled_from(CORRUPTIONS))
    elif mistake is not None:
        cfg[mistake] = draw(hs.sampled_from(MISTAKES[mistake]))
    return cfg


def synthetic_bars(n: int, level: float, sigma: float, volume: str, seed: int) -> pd.DataFrame:
    """Valid OHLC bars around ``level`` (quote) with log-returns of std ``sigma`` per bar."""
    rng = np.random.default_rng(seed)
    close = level * np.exp(np.cumsum(rng.normal(0.0, sigma, n)))
    open_ = np.concatenate([[level], close[:-1]])[:n] * np.exp(rng.normal(0.0, sigma / 4, n))
    high = np.maximum(open_, close) * (1.0 + rng.random(n) * sigma)
    low = np.minimum(open_, close) / (1.0 + rng.random(n) * sigma)
    vol = {
        "zero": np.zeros(n),
        "random": rng.random(n) * 1e3,
        "some_zero": np.where(rng.random(n) < 0.5, 0.0, rng.random(n) * 1e3),
    }[volume]
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC", name="timestamp")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": vol}, index=index
    )


def corrupt(bars: pd.DataFrame, how: str | None, row: int) -> pd.DataFrame:
    """Break one rule of st.data.validate on one bar."""
    if how is None or len(bars) == 0:
        return bars
    bad = bars.copy()
    row = row % len(bad)
    if how == "nan":
        bad.iloc[row, bad.columns.get_loc("close")] = np.nan
    elif how == "high_below_low":
        bad.iloc[row, bad.columns.get_loc("high")] = bad["low"].iloc[row] * 0.5
    elif how == "zero_price":
        bad.iloc[row, :4] = 0.0
    elif how == "negative_volume":
        bad.iloc[row, bad.columns.get_loc("volume")] = -1.0
    elif len(bad) > 1:  # unsorted
        bad = bad.iloc[::-1]
    return bad


def _risk(kind: str) -> RiskLimits | None:
    """The account guards: none, the defaults, guards that fire on small moves, or a mistake."""
    if kind == "none":
        return None
    if kind == "default":
        return RiskLimits()
    if kind == "tight":
        return RiskLimits(
            daily_loss_limit=0.002, soft_drawdown=0.01, hard_drawdown=0.03, max_open_positions=1,
            max_symbol_exposure=0.5, max_correlation=0.5, correlation_min_obs=3,
        )  # fmt: skip
    return RiskLimits(daily_loss_limit=-0.05 if kind == "negative" else 1.5)


def _control(kind: str, n: int, seed: int) -> np.ndarray | None:
    """A control-mode schedule (normal, pause, reduce, emergency codes per bar), or a mistake."""
    if kind == "none":
        return None
    rng = np.random.default_rng(seed)
    modes = rng.choice(4, size=n, p=[0.7, 0.1, 0.1, 0.1]).astype(np.int64)
    if kind == "unknown_code" and n:
        modes[rng.integers(n)] = 7
    if kind == "wrong_length":
        modes = np.zeros(n + 1, dtype=np.int64)
    return modes


def keywords(cfg: dict[str, Any], bars: pd.DataFrame, level: float, per_bar: bool) -> dict:
    """Backtest keywords from a drawn configuration; ``per_bar`` passes the numeric keywords
    as arrays (one layout of every kernel input, so the fuzz compiles few kernel variants)."""
    n = len(bars)
    skip = ("entry_price", "shorts", "costs", "damage", "risk", "control")
    kw = {k: v for k, v in cfg.items() if k not in skip}
    kw["risk"] = _risk(cfg["risk"])
    kw["control"] = _control(cfg["control"], n, int(n * level) % 997)
    close = bars["close"].to_numpy()
    # limit and stop prices always as arrays (NaN when unused), like the signals below: fewer
    # layouts of the kernel inputs, fewer kernel variants to compile
    nan = np.full(n, np.nan)
    limits = cfg["order_type"] in ("limit", "stop_limit")
    kw["limit_price"] = close * cfg["entry_price"] if limits else nan
    stops = cfg["order_type"] in ("stop", "stop_limit")
    kw["stop_price"] = close * (2.0 - cfg["entry_price"]) if stops else nan
    if not isinstance(kw["sl_trail"], bool | None):
        kw["sl_stop"] = None  # a trailing distance replaces sl_stop
    costs = cfg["costs"]
    if costs == "impact":
        kw["impact"] = Impact("sqrt", k=0.5, vol_window=5)
    elif costs == "amm":
        kw["amm"] = AMMPool(liquidity=level * 1e3, fee=0.003)
    elif costs == "solana":
        kw["solana"] = SolanaTxCost(priority_fee=50_000, fail_rate=0.3, sol_price=150.0)
    elif costs == "schedule":
        tiers = (FeeTier(0.0, 0.001, 0.002), FeeTier(1e4, 0.0, 0.001))
        kw["fees"] = FeeSchedule(maker=0.001, taker=0.002, tiers=tiers, window_days=1.0)
    if per_bar:
        for key in ("size", "sl_stop", "tp_stop", "partial_tp_stop"):
            value = kw.get(key)
            if value is None and key == "size" and cfg["size_type"] == "percent":
                value = 1.0
            kw[key] = nan.copy() if value is None else np.broadcast_to(value, (n,)).copy()
        if kw["sl_trail"] is not None and not isinstance(kw["sl_trail"], bool):
            kw["sl_stop"], kw["sl_trail"] = np.full(n, kw["sl_trail"]), True
        for key in ("partial_tp_size", "max_bars", "tif", "exit_size", "leverage", "slippage"):
            kw[key] = np.full(n, kw[key])
        if not isinstance(kw["fees"], FeeSchedule):
            kw["fees"] = np.full(n, kw["fees"])
        kw["fixed_fees"] = np.full(n, kw["fixed_fees"])
    return kw


@settings(max_examples=FUZZ_EXAMPLES)
@given(
    n=hs.sampled_from([0, 1, 2]) | hs.integers(3, 80) | hs.integers(20, 80) | hs.integers(40, 80),
    log_level=hs.floats(-8.0, 8.0),
    sigma=hs.sampled_from([0.0, 0.01, 0.3]),
    volume=hs.sampled_from(["random", "zero", "some_zero"]),
    seed=hs.integers(0, 2**32 - 1),
    per_bar=hs.booleans(),
    cfg=configs(),
)
def test_only_soltrader_errors_escape(n, log_level, sigma, volume, seed, per_bar, cfg) -> None:
    bars = synthetic_bars(n, 10.0**log_level, sigma, volume, seed)
    bars = corrupt(bars, cfg["damage"], seed)
    rng = np.random.default_rng(seed)
    entries = rng.random(n) < 0.3
    shorts = (rng.random(n) < 0.3) & ~entries & cfg["shorts"]
    signals = {
        "entries": entries,
        "exits": rng.random(n) < 0.2,
        "short_entries": shorts,
        "short_exits": (rng.random(n) < 0.2) & cfg["shorts"],
    }
    kw: dict[str, Any] = {}
    try:  # the cost models check their own values: building them may raise too
        kw = keywords(cfg, bars, 10.0**log_level, per_bar)
        res = st.backtest_signals(bars, **signals, **kw)
        res.stats()
        repr(res)
    except st.Error as exc:
        event(f"refused: {getattr(exc, 'name', None) or getattr(exc, 'code', None)}")
        return
    except Exception as exc:  # anything else escaping is the failure this test looks for
        pytest.fail(f"{type(exc).__name__} escaped: {exc!r}\nkeywords: {kw!r}")
    event(f"ran: {'with' if len(res.fills_records) else 'without'} fills")
    # a run that completes stays physical: finite cash and positions, prices > 0
    assert np.isfinite(res.equity.to_numpy()).all()
    fills = res.fills_records
    assert (fills["price"] > 0).all() and np.isfinite(fills["price"]).all()


@settings(max_examples=FUZZ_EXAMPLES * 3 // 10)
@given(
    n=hs.integers(1, 60),
    log_levels=hs.tuples(hs.floats(-8.0, 8.0), hs.floats(-8.0, 8.0)),
    sigma=hs.sampled_from([0.0, 0.01, 0.3]),
    seed=hs.integers(0, 2**32 - 1),
    split=hs.booleans(),
    cfg=configs(),
)
def test_only_soltrader_errors_escape_with_several_assets(
    n, log_levels, sigma, seed, split, cfg
) -> None:
    """Two assets of very different price levels on shared or split cash."""
    frames = [
        synthetic_bars(n, 10.0**lv, sigma, "random", seed + i) for i, lv in enumerate(log_levels)
    ]
    frames[1] = corrupt(frames[1], cfg["damage"], seed)
    rng = np.random.default_rng(seed)
    entries = rng.random((n, 2)) < 0.3
    signals = {
        "entries": entries,
        "exits": rng.random((n, 2)) < 0.2,
        "short_entries": (rng.random((n, 2)) < 0.3) & ~entries & cfg["shorts"],
        "short_exits": (rng.random((n, 2)) < 0.2) & cfg["shorts"],
    }
    kw: dict[str, Any] = {}
    try:
        kw = keywords(cfg, frames[0], 10.0 ** log_levels[0], per_bar=False)
        kw["limit_price"] = kw["stop_price"] = np.full((n, 2), np.nan)
        if cfg["order_type"] != "market":
            kw["order_type"] = "market"
        if split:
            kw["accounts"], kw["allocation"] = [0, 1], [0.3, 0.7]
        res = st.backtest_signals({"a": frames[0], "b": frames[1]}, **signals, **kw)
        res.stats()
        repr(res)
    except st.Error as exc:
        event(f"refused: {getattr(exc, 'name', None) or getattr(exc, 'code', None)}")
        return
    except Exception as exc:  # anything else escaping is the failure this test looks for
        pytest.fail(f"{type(exc).__name__} escaped: {exc!r}\nkeywords: {kw!r}")
    event(f"ran: {'with' if len(res.fills_records) else 'without'} fills")
    assert np.isfinite(res.equity.to_numpy()).all()
    fills = res.fills_records
    assert (fills["price"] > 0).all() and np.isfinite(fills["price"]).all()
