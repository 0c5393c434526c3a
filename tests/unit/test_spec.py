"""Backtest / sweep specs (the TOML files under backtests/), parsed from mappings."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import soltrader as st
from soltrader.engine.spec import parse_spec

BACKTESTS = Path(__file__).resolve().parents[2] / "backtests"
BASE = {"data": {"symbol": "SOL/USDT", "timeframe": "1h"}, "strategy": {"name": "sma_cross"}}


def test_values_from_lists_ranges_and_linspaces() -> None:
    spec = parse_spec(
        {
            **BASE,
            "space": {
                "fast": [5, 10],
                "slow": {"range": [50, 151, 50]},
                "sl_stop": {"linspace": [0.01, 0.03, 3]},
            },
            "params": {"fees": 0.001},
            "sweep": {"constraints": ["fast < slow"]},
        }
    )
    assert spec.space == {
        "fast": [5, 10],
        "slow": [50, 100, 150],
        "sl_stop": pytest.approx([0.01, 0.02, 0.03]),
    }
    assert spec.params == {"fees": 0.001} and spec.strategy is st.strategies.sma_cross


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ({"strategy": {"name": "sma_cross"}}, "[data]"),
        ({**BASE, "data": {"symbol": "SOL/USDT"}}, "data.timeframe"),
        ({**BASE, "data": {"symbol": "SOL/USDT", "timeframe": "1h", "venue": "x"}}, "data.venue"),
        ({**BASE, "strategy": {"name": "martingale"}}, "strategy.name"),
        ({**BASE, "space": {"fast": []}}, "space.fast"),
        ({**BASE, "space": {"fast": {"range": [10]}}}, "space.fast"),
        ({**BASE, "space": {"fast": 10}}, "space.fast"),
        ({**BASE, "sweep": {"workers": 3}}, "sweep.workers"),
        ({**BASE, "report": {}}, "[report]"),
    ],
)
def test_spec_errors_name_the_key(raw, name) -> None:
    with pytest.raises(st.ParameterError, match=name.replace("[", r"\[").replace("]", r"\]")):
        parse_spec(raw)


@pytest.mark.parametrize("path", sorted(BACKTESTS.glob("*.toml")), ids=lambda p: p.name)
def test_bundled_specs_parse(path: Path) -> None:
    spec = parse_spec(tomllib.loads(path.read_text()))
    assert spec.data["symbol"] == "SOL/USDT"
