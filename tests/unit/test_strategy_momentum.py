"""The momentum strategy: hand-built trades, kernel == wrapper, no look-ahead, bad parameters,
and the golden trade list on the bundled SOL/USDT 1h bars."""

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
from soltrader.strategies.momentum import (
    DEFAULTS,
    momentum,
    momentum_bypassed,
    momentum_nb,
    momentum_signals,
)
from soltrader.strategies.spec import Bars

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "strategies" / "momentum_sol_1h.json"
FIELDS = ("open", "high", "low", "close", "volume")

# Small windows so that a few dozen bars show every rule.
SMALL = {
    "roc_n": 3,
    "roc_entry": 0.05,
    "roc_exit": 0.0,
    "breakout_n": 5,
    "vol_n": 5,
    "surge": 3.0,
    "min_age_bars": 0,
    "atr_n": 3,
    "sl_atr": 2.0,
    "max_hold": 6,
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


def _scenario() -> pd.DataFrame:
    """Three breakouts on a surge and one bar that is only worth watching.

    * bar 10: 100 -> 106 (ROC(3) 6 %, above the prior high 100.25, volume 5x): confidence 1,
      long from bar 11's open; bar 14 closes at 106.5 < close[11] = 107: ROC < 0, exit at 15;
    * bar 20: 106.5 -> 106.7 on 3x volume, no breakout (prior high 106.75): confidence
      (0.0376 + 0 + 1) / 3 = 0.346, between consider and act: reported, not traded;
    * bar 25: 106.5 -> 113 on 5x volume: long from bar 26 (113); bar 27 falls to 104, through
      the ATR stop (113 x (1 - 2 ATR / 113) ~ 107.6): stop-loss;
    * bar 35: 104 -> 110 on 5x volume: long from bar 36; a slow rise keeps ROC > 0, so the time
      stop (6 bars) decides at bar 42 and exits at bar 43's open.
    """
    close = np.r_[
        np.full(10, 100.0),
        [106.0, 107.0, 108.0, 108.5, 106.5],
        np.full(5, 106.5),
        106.7,
        np.full(4, 106.5),
        [113.0, 112.0, 104.0],
        np.full(7, 104.0),
        110.0 + 0.2 * np.arange(12),
        np.full(3, 112.2),
    ]
    volume = np.full(close.size, 100.0)
    volume[[10, 25, 35]] = 500.0
    volume[20] = 300.0
    return _frame(close, volume)


def _trades(res: st.Result) -> list[tuple]:
    t = res.trades
    return list(
        zip(t.entry_bar.tolist(), t.exit_bar.tolist(), t.direction, t.exit_reason, strict=True)
    )


def test_hand_built_breakouts_trade_exactly_as_constructed() -> None:
    df = _scenario()
    res = st.backtest(df, momentum, **SMALL)
    assert _trades(res) == [
        (11, 15, "long", "signal"),
        (26, 27, "long", "stop_loss"),
        (36, 43, "long", "time_stop"),
    ]
    sig = momentum(_bars(df), **SMALL)
    t = res.trades
    assert t.entry_price.tolist() == [106.0, 113.0, 110.0]  # next opens
    assert t.exit_price[1] == pytest.approx(113.0 * (1.0 - sig.sl_stop[25]), rel=1e-12)
    assert t.exit_price[2] == pytest.approx(111.4)  # open of bar 43 = close of bar 42
    assert sig.confidence[20] == pytest.approx((0.2 / 106.5 / 0.05 + 0.0 + 1.0) / 3.0)
    assert not sig.entries[20] and not sig.entries[19] and not sig.entries[21]
    assert sig.confidence[10] == 1.0 and sig.confidence[15] == 0.0
    assert (sig.max_bars == 6).all() and (sig.size == 1.0).all()


def test_young_token_waits_unless_the_move_bypasses_at_reduced_size() -> None:
    df = _scenario()
    young = {**SMALL, "min_age_bars": 30}
    assert _trades(st.backtest(df, momentum, **young)) == [(36, 43, "long", "time_stop")]
    # bar 10 (ROC 6 %) stays blocked; bar 11 (ROC 7 %, breakout, confidence 2/3) bypasses
    bypass = {**young, "bypass_roc": 0.065, "bypass_size": 0.5}
    res = st.backtest(df, momentum, **bypass)
    assert _trades(res) == [(12, 15, "long", "signal"), (36, 43, "long", "time_stop")]
    flagged = momentum_bypassed(_bars(df), **bypass)
    assert np.flatnonzero(flagged).tolist() == [11, 12]  # 12 repeats the entry, in position
    sig = momentum(_bars(df), **bypass)
    assert sig.size[11] == 0.5 and (sig.size[~flagged] == 1.0).all()
    t = res.trades
    assert t["size"][0] * t.entry_price[0] == pytest.approx(0.5 * 10_000.0)  # half the cash
    cash = 10_000.0 + t.pnl[0]
    assert t["size"][1] * t.entry_price[1] == pytest.approx(cash)  # all of it


def test_bypassed_entries_can_be_charged_a_wider_slippage() -> None:
    df = _scenario()
    p = {**SMALL, "min_age_bars": 30, "bypass_roc": 0.065}
    sig = momentum(_bars(df), **p)
    slippage = np.where(momentum_bypassed(_bars(df), **p), 0.01, 0.001)
    fields = {"entries": sig.entries, "exits": sig.exits, **sig.extras()}
    res = st.backtest_signals(df, **fields, slippage=slippage)
    t = res.trades
    assert t.entry_price.tolist() == pytest.approx([107.0 * 1.01, 110.0 * 1.001])


def test_allow_short_trades_the_mirror_image() -> None:
    df = _scenario()
    mirror = pd.DataFrame(
        {
            "open": 220.0 - df.open,
            "high": 220.0 - df.low,
            "low": 220.0 - df.high,
            "close": 220.0 - df.close,
            "volume": df.volume,
        },
        index=df.index,
    )
    assert st.backtest(mirror, momentum, **SMALL).trades.empty  # long only by default
    res = st.backtest(mirror, momentum, **SMALL, allow_short=True)
    assert _trades(res) == [
        (11, 15, "short", "signal"),
        (26, 27, "short", "stop_loss"),
        (36, 43, "short", "time_stop"),
    ]


@pytest.mark.parametrize("allow_short", [False, True])
def test_kernel_called_directly_equals_the_wrapper(allow_short: bool) -> None:
    bars = _bars(_sol("4h"))
    p = {**DEFAULTS, "roc_n": 6, "breakout_n": 12, "vol_n": 6, "allow_short": allow_short}
    sig = momentum_signals(bars, **p)
    out = momentum_nb(bars.high, bars.low, bars.close, bars.volume, *p.values())
    e, x, se, sx, conf, sl, size, bypassed = out
    np.testing.assert_array_equal(sig.entries, e)
    np.testing.assert_array_equal(sig.exits, x)
    np.testing.assert_array_equal(sig.confidence, conf)
    np.testing.assert_array_equal(sig.sl_stop, sl)
    np.testing.assert_array_equal(sig.size, size)
    np.testing.assert_array_equal(sig.max_bars, np.full(e.size, p["max_hold"]))
    np.testing.assert_array_equal(momentum_bypassed(bars, **p), bypassed)
    if allow_short:
        np.testing.assert_array_equal(sig.short_entries, se)
        np.testing.assert_array_equal(sig.short_exits, sx)
        assert se.any() and sx.any()
    else:
        assert sig.short_entries is None and not se.any()
    assert e.any() and x.any() and bypassed.any()


def test_confidence_rules_hold_on_real_data() -> None:
    sig = momentum(_bars(_sol("1h")))
    conf = sig.confidence
    assert ((conf == 0.0) | ((conf >= 0.3) & (conf <= 1.0))).all()
    assert (conf[sig.entries] >= 0.6).all()
    watched = (conf >= 0.3) & (conf < 0.6)
    assert watched.any() and not sig.entries[watched].any()
    assert not (sig.entries & sig.exits).any()
    assert np.isfinite(sig.sl_stop[sig.entries]).all()
    # before the minimum age only bypassed entries, each at the reduced size
    early = np.flatnonzero(sig.entries[:168])
    assert early.size > 0 and (sig.size[early] == 0.5).all()
    unexplained = sig.entries[:168] & ~momentum_bypassed(_bars(_sol("1h")))[:168]
    assert not unexplained.any()


@cache
def _full_signals(allow_short: bool) -> tuple[np.ndarray, ...]:
    return tuple(x for x in momentum(_bars(_sol("1h")), allow_short=allow_short) if x is not None)


@settings(max_examples=20, deadline=None)
@given(cut=hst.integers(min_value=30, max_value=47_358), allow_short=hst.booleans())
def test_truncating_after_t_leaves_every_decision_up_to_t_unchanged(cut, allow_short) -> None:
    df = _sol("1h")
    assert cut < len(df)
    full = _full_signals(allow_short)
    part = tuple(
        x for x in momentum(_bars(df.iloc[: cut + 1]), allow_short=allow_short) if x is not None
    )
    assert len(part) == len(full)
    for a, b in zip(part, full, strict=True):
        np.testing.assert_array_equal(a, b[: cut + 1])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("roc_n", 0),
        ("roc_n", 2.5),
        ("breakout_n", True),
        ("vol_n", "24"),
        ("atr_n", -3),
        ("roc_entry", 0.0),
        ("roc_entry", float("nan")),
        ("roc_exit", 0.05),  # not below roc_entry
        ("surge", 1.0),
        ("act", 0.0),
        ("act", 1.5),
        ("consider", 0.7),  # above act
        ("min_age_bars", -1),
        ("bypass_roc", 0.0),
        ("bypass_size", 0.0),
        ("bypass_size", 1.2),
        ("sl_atr", -1.0),
        ("max_hold", 1.5),
        ("allow_short", "yes"),
    ],
)
def test_bad_parameters_raise_parameter_error_naming_them(name: str, value: object) -> None:
    bars = _bars(_scenario())
    with pytest.raises(st.ParameterError, match=name) as info:
        momentum(bars, **{name: value})
    assert info.value.name == name


def test_unknown_parameter_and_space_are_checked() -> None:
    with pytest.raises(st.ParameterError, match="roc"):
        momentum(_bars(_scenario()), roc=3)
    assert set(momentum.space) <= set(momentum.params)
    assert dict(momentum.params) == DEFAULTS


def test_golden_trades_on_sol_1h_with_fees() -> None:
    golden = json.loads(GOLDEN.read_text())
    df = _sol("1h")
    assert golden["data"]["bars"] == len(df) and golden["params"] == DEFAULTS
    res = st.backtest(df, momentum, fees=golden["backtest"]["fees"])
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
