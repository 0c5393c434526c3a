"""``window_check``: a trailing window of history reproduces the full-history decisions."""

from __future__ import annotations

import numpy as np
import pytest

import soltrader as st
from soltrader.domain.errors import ParameterError
from soltrader.strategies import REGISTRY, Bars, Signals, Strategy


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_builtin_strategy_declares_a_live_window_that_passes(sol_1h, name) -> None:
    strategy = REGISTRY[name]
    rep = st.validation.window_check(strategy, sol_1h, n_bars=60, search=False)
    assert rep.window == (strategy.live_window or len(sol_1h))
    # a whole-history window (the grid's) is checked on the one bar that has it all
    assert len(rep.bars) == (60 if strategy.live_window else 1)
    assert rep.ok, rep.findings.head()


def test_sma_cross_needs_its_slow_window_plus_the_prior_bar(sol_1h) -> None:
    """SMA(100) at bar t reads bars t-99..t, and a crossing compares with bar t-1: 101 bars."""
    rep = st.validation.window_check(st.strategies.sma_cross, sol_1h.iloc[-3_000:], 500, n_bars=40)
    assert rep.ok and rep.smallest == 101, rep
    short = st.validation.window_check(st.strategies.sma_cross, sol_1h.iloc[-3_000:], 60, n_bars=40)
    assert not short.ok and set(short.findings["field"]) <= {"entries", "exits"}


def _above_history_mean(bars: Bars) -> Signals:
    """Long memory on purpose: above the mean of *all* the bars it was given."""
    mean = np.cumsum(bars.close) / np.arange(1, bars.close.size + 1)
    return Signals(entries=bars.close > mean * 1.05, exits=bars.close < mean)


def test_a_strategy_that_needs_all_its_history_is_caught(sol_1h) -> None:
    spec = Strategy("history_mean", _above_history_mean, {}, live_window=500)
    rep = st.validation.window_check(spec, sol_1h.iloc[-4_000:], n_bars=50, search=False)
    assert not rep.ok
    assert set(rep.findings.columns) == {"bar", "time", "field", "full", "window"}
    assert set(rep.findings["field"]) <= {"entries", "exits"}
    assert "differing values" in repr(rep)


def test_bad_arguments_name_themselves(sol_1h) -> None:
    bars = sol_1h.iloc[:300]
    with pytest.raises(ParameterError, match="window"):
        st.validation.window_check(st.strategies.sma_cross, bars, 1_000)
    with pytest.raises(ParameterError, match="window"):
        st.validation.window_check(st.strategies.sma_cross, bars, 1)
    with pytest.raises(ParameterError, match="strategy"):
        st.validation.window_check("sma_cross", bars, 100)
    with pytest.raises(ParameterError, match="live_window"):
        Strategy("x", _above_history_mean, {}, live_window=1)
