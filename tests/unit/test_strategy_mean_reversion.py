"""The mean-reversion strategy: hand-built trades (liquidity filter, ATR stop, fixed-risk size),
kernel == wrapper, no look-ahead, bad parameters, and the golden trade list on SOL/USDT 1h."""

from __future__ import annotations

import json
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

import soltrader as st
from soltrader.strategies.mean_reversion import (
    atr_risk_size_nb,
    mean_reversion,
    mean_reversion_nb,
    mean_reversion_signals,
)
from soltrader.strategies.spec import Bars

GOLDEN = (
    Path(__file__).resolve().parents[1] / "golden" / "strategies" / "mean_reversion_sol_1h.json"
)
FIELDS = ("open", "high", "low", "close", "volume")

# Short windows so that a few dozen bars show every rule.
SMALL = {
    "rsi_n": 3,
    "rsi_low": 30.0,
    "z_n": 5,
    "z_entry": 1.5,
    "z_exit": 0.0,
    "atr_n": 3,
    "sl_atr": 2.0,
    "vol_n": 3,
    "min_quote_volume": 1_000.0,
}


def _load(symbol: str, timeframe: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", st.SoltraderWarning)  # the sample's real gaps
        return st.data.load(symbol, timeframe)


@cache
def _sol(timeframe: str) -> pd.DataFrame:
    return _load("SOL/USDT", timeframe)


def _bars(df: pd.DataFrame) -> Bars:
    return Bars(*(df[c].to_numpy() for c in FIELDS))


def _frame(close: np.ndarray, volume: np.ndarray) -> pd.DataFrame:
    """Hourly bars: open = previous close, high / low 0.25 beyond the body."""
    open_ = np.r_[close[0], close[:-1]]
    ts = 1_704_067_200_000 + 3_600_000 * np.arange(close.size)
    high = np.maximum(open_, close) + 0.25
    low = np.minimum(open_, close) - 0.25
    return st.data.ohlcv_frame(ts, open_, high, low, close, volume)


def _alternating(k: int, low: float) -> np.ndarray:
    """``low, low + 1, low, ...``: RSI(3) stays in 40..67, |z(5)| at 0.82."""
    return low + (np.arange(k) % 2)


def _scenario() -> pd.DataFrame:
    """Four oversold drops out of a quiet 1-point oscillation (quote volume ~ 10,000 a bar).

    * bar 12: 101 -> 96 (RSI(3) 17, z(5) -1.94): long from 13's open (96); bar 14 closes at 99,
      above its 5-bar mean 98.7 (z >= 0): exit at 15's open;
    * bar 28: 101 -> 95 (RSI 15, z -1.96): long from 29's open (95); stop 2 ATR(3) = 6.7 %
      below (88.66); bar 30 falls to 86 (low 85.75): stop-loss on bar 30;
    * bar 30 (86, RSI 4, z -1.72) is oversold again: long from 31's open; bar 35 closes at 87,
      above its mean: exit at 36;
    * bar 42: 87 -> 80 (RSI 13, z -1.97) on a volume of 1 for bars 40..42: mean quote volume
      ~84 < 1,000, so the liquidity filter blocks it (with ``min_quote_volume=0`` it trades:
      long from 43, exit at 45 after bar 44's close of 86 is above its mean).
    """
    close = np.r_[
        _alternating(12, 100.0),
        [96.0, 97.5, 99.0],
        101.0 - _alternating(13, 0.0),
        [95.0, 94.0, 86.0],
        87.0 - _alternating(11, 0.0),
        [80.0, 83.0, 86.0],
        87.0 - _alternating(6, 0.0),
    ]
    volume = np.full(close.size, 100.0)
    volume[40:43] = 1.0
    return _frame(close, volume)


def _trades(res: st.Result) -> list[tuple]:
    t = res.trades
    return list(
        zip(t.entry_bar.tolist(), t.exit_bar.tolist(), t.direction, t.exit_reason, strict=True)
    )


EXPECTED = [
    (13, 15, "long", "signal"),
    (29, 30, "long", "stop_loss"),
    (31, 36, "long", "signal"),
]


def test_hand_built_drops_trade_exactly_as_constructed() -> None:
    df = _scenario()
    res = st.backtest(df, mean_reversion, **SMALL)
    assert _trades(res) == EXPECTED
    sig = mean_reversion(_bars(df), **SMALL)
    t = res.trades
    assert t.entry_price.tolist() == [96.0, 95.0, 86.0]
    assert t.exit_price[1] == pytest.approx(95.0 * (1.0 - sig.sl_stop[28]), rel=1e-12)
    assert t.exit_price[1] == pytest.approx(88.657, abs=1e-3)
    assert sig.size is None  # all cash by default
    assert (t["size"] * t.entry_price)[0] == pytest.approx(10_000.0)


def test_liquidity_filter_blocks_the_illiquid_drop_only() -> None:
    df = _scenario()
    sig = mean_reversion(_bars(df), **SMALL)
    assert np.flatnonzero(sig.entries).tolist() == [12, 28, 30]
    open_gate = {**SMALL, "min_quote_volume": 0.0}
    assert np.flatnonzero(mean_reversion(_bars(df), **open_gate).entries).tolist() == [
        12,
        28,
        30,
        42,
    ]
    res = st.backtest(df, mean_reversion, **open_gate)
    assert _trades(res) == [*EXPECTED, (43, 45, "long", "signal")]
    # exits are never gated by liquidity
    np.testing.assert_array_equal(sig.exits, mean_reversion(_bars(df), **open_gate).exits)


def test_warm_up_of_the_quote_volume_blocks_entries_even_at_zero_floor() -> None:
    c = np.r_[np.full(5, 100.0), 90.0, np.full(4, 100.0)]
    bars = _bars(_frame(c, np.full(c.size, 100.0)))
    p = {**SMALL, "rsi_n": 2, "z_n": 5, "vol_n": 7, "min_quote_volume": 0.0}
    assert not mean_reversion(bars, **p).entries.any()  # bar 5 is inside vol_n's warm-up
    assert mean_reversion(bars, **{**p, "vol_n": 3}).entries[5]


def test_fixed_risk_size_loses_risk_fraction_of_cash_at_the_stop() -> None:
    df = _scenario()
    res = st.backtest(df, mean_reversion, **SMALL, risk_fraction=0.01)
    assert _trades(res) == EXPECTED  # same decisions, smaller positions
    sig = mean_reversion(_bars(df), **SMALL, risk_fraction=0.01)
    np.testing.assert_allclose(sig.size[[12, 28, 30]], 0.01 / sig.sl_stop[[12, 28, 30]])
    t = res.trades
    cash_at_stop_entry = 10_000.0 + t.pnl[0]
    assert t.pnl[1] == pytest.approx(-0.01 * cash_at_stop_entry, rel=1e-9)
    assert t["size"][0] * t.entry_price[0] == pytest.approx(10_000.0 * sig.size[12])


def test_fixed_risk_size_caps_at_all_cash_and_needs_a_stop() -> None:
    size = atr_risk_size_nb(np.array([0.02, 0.005, np.nan, 0.0]), 0.01)
    np.testing.assert_array_equal(size, [0.5, 1.0, 0.0, 0.0])
    df = _scenario()
    big = mean_reversion(_bars(df), **SMALL, risk_fraction=0.5)
    assert (big.size[big.entries] == 1.0).all()
    off = mean_reversion(_bars(df), **SMALL, risk_fraction=None)
    assert off.size is None


def test_flat_prices_have_no_stop_rather_than_a_zero_stop() -> None:
    c = np.full(30, 100.0)
    df = st.data.ohlcv_frame(
        1_704_067_200_000 + 3_600_000 * np.arange(30), c, c, c, c, np.full(30, 5.0)
    )
    sig = mean_reversion(_bars(df), **SMALL)
    assert np.isnan(sig.sl_stop).all()
    assert st.backtest(df, mean_reversion, **SMALL).trades.empty


@pytest.mark.parametrize("allow_short", [False, True])
@pytest.mark.parametrize("risk_fraction", [0.0, 0.02])
def test_kernel_called_directly_equals_the_wrapper(allow_short: bool, risk_fraction) -> None:
    bars = _bars(_sol("4h"))
    p = {**dict(mean_reversion.params), "allow_short": allow_short, "risk_fraction": risk_fraction}
    sig = mean_reversion_signals(bars, **p)
    e, x, se, sx, sl, size = mean_reversion_nb(
        bars.high, bars.low, bars.close, bars.volume, *p.values()
    )
    np.testing.assert_array_equal(sig.entries, e)
    np.testing.assert_array_equal(sig.exits, x)
    np.testing.assert_array_equal(sig.sl_stop, sl)
    assert e.any() and x.any()
    if risk_fraction:
        np.testing.assert_array_equal(sig.size, size)
        assert (size[e] > 0).all() and (size <= 1.0).all()
    else:
        assert sig.size is None and (size == 1.0).all()
    if allow_short:
        np.testing.assert_array_equal(sig.short_entries, se)
        np.testing.assert_array_equal(sig.short_exits, sx)
        assert se.any()
    else:
        assert sig.short_entries is None and not se.any()


@cache
def _full_signals(allow_short: bool, risk_fraction: float) -> tuple[np.ndarray, ...]:
    sig = mean_reversion(_bars(_sol("1h")), allow_short=allow_short, risk_fraction=risk_fraction)
    return tuple(x for x in sig if x is not None)


@settings(max_examples=20, deadline=None)
@given(
    cut=hst.integers(min_value=30, max_value=47_358),
    allow_short=hst.booleans(),
    risk_fraction=hst.sampled_from([0.0, 0.01]),
)
def test_truncating_after_t_leaves_every_decision_up_to_t_unchanged(
    cut, allow_short, risk_fraction
) -> None:
    df = _sol("1h")
    assert cut < len(df)
    full = _full_signals(allow_short, risk_fraction)
    sig = mean_reversion(
        _bars(df.iloc[: cut + 1]), allow_short=allow_short, risk_fraction=risk_fraction
    )
    part = tuple(x for x in sig if x is not None)
    assert len(part) == len(full)
    for a, b in zip(part, full, strict=True):
        np.testing.assert_array_equal(a, b[: cut + 1])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("rsi_n", 1),
        ("z_n", 2.5),
        ("atr_n", True),
        ("vol_n", "24"),
        ("rsi_low", 80.0),  # above rsi_high
        ("rsi_high", "70"),
        ("z_entry", 0.0),
        ("z_exit", float("nan")),
        ("sl_atr", -2.0),
        ("min_quote_volume", -1.0),
        ("allow_short", "no"),
        ("risk_fraction", -0.01),
        ("risk_fraction", 1.5),
        ("risk_fraction", float("nan")),
    ],
)
def test_bad_parameters_raise_parameter_error_naming_them(name: str, value: object) -> None:
    with pytest.raises(st.ParameterError, match=name) as info:
        mean_reversion(_bars(_scenario()), **{name: value})
    assert info.value.name == name


def test_golden_trades_on_sol_1h_with_fees() -> None:
    golden = json.loads(GOLDEN.read_text())
    df = _sol("1h")
    assert golden["data"]["bars"] == len(df) and golden["params"] == dict(mean_reversion.params)
    res = st.backtest(df, mean_reversion, fees=golden["backtest"]["fees"])
    t = res.trades
    got = [(int(r.entry_bar), int(r.exit_bar), r.direction, r.exit_reason) for r in t.itertuples()]
    want = [
        (g["entry_bar"], g["exit_bar"], g["direction"], g["exit_reason"]) for g in golden["trades"]
    ]
    assert got == want
    assert t.pnl.tolist() == pytest.approx([g["pnl"] for g in golden["trades"]], rel=1e-6)
    stats = res.stats()
    for key, value in golden["stats"].items():
        assert stats[key] == pytest.approx(value, rel=1e-6), key
