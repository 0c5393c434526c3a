"""``soltrader warmup``: the kernels of a first backtest and sweep, compiled once."""

from __future__ import annotations

import pytest

import soltrader as st
from soltrader.engine.warmup import warmup


def test_a_second_warmup_compiles_nothing() -> None:
    first = warmup(["sma_cross"])
    assert [s.name for s in first] == [
        "backtest sma_cross",
        "backtest sma_cross (vectorbt conventions)",
        "sweep sma_cross",
        "live loop sma_cross",
    ]
    assert first[3].skipped == ""
    again = warmup(["sma_cross"])
    assert [s.compiled for s in again] == [0, 0, 0, 0]


def test_an_unknown_strategy_is_named() -> None:
    with pytest.raises(st.ParameterError, match="strategies: 'nope' is not a known strategy"):
        warmup(["nope"])


def test_a_convention_the_rules_refuse_is_skipped_and_said() -> None:
    steps = warmup(["grid"], sweep=False, live=False)
    assert steps[0].skipped == ""
    assert "vectorbt" in steps[1].name and "exit_size" in steps[1].skipped
