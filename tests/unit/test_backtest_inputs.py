"""Bad input to the backtest gets a specific soltrader error naming the argument."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import soltrader as st


@pytest.fixture()
def small(sol_1h) -> pd.DataFrame:
    return sol_1h.iloc[:300]


def test_misaligned_signal_length(small) -> None:
    with pytest.raises(st.ParameterError, match="entries"):
        st.backtest_signals(small, np.zeros(len(small) - 1, dtype=bool))


def test_nan_price_names_column_and_row(small) -> None:
    bad = small.copy()
    bad.iloc[42, bad.columns.get_loc("close")] = np.nan
    with pytest.raises(st.DataError, match=r"row 42 .*nan: close") as info:
        st.backtest_signals(bad, np.zeros(len(bad), dtype=bool))
    assert info.value.row == 42 and info.value.field == "close" and info.value.code == "nan"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"size": -1.0}, "size"),
        ({"sl_stop": 0.0}, "sl_stop"),
        ({"sl_stop": -0.02}, "sl_stop"),
        ({"tp_stop": 0.0}, "tp_stop"),
        ({"fill": "midday"}, "fill"),
        ({"conventions": "zipline"}, "conventions"),
        ({"stop_anchor": "open"}, "stop_anchor"),
        ({"fees": -0.001}, "fees"),
        ({"slippage": -0.01}, "slippage"),
        ({"leverage": 0.5}, "leverage"),
        ({"init_cash": 0.0}, "init_cash"),
        ({"size_type": "lots"}, "size_type"),
        ({"order_type": "iceberg"}, "order_type"),
        ({"order_type": "limit"}, "limit_price"),
        ({"max_volume_share": 1.5}, "max_volume_share"),
        ({"partial_tp_size": 1.5}, "partial_tp_size"),
        ({"accounts": [0, 2]}, "accounts"),
    ],
)
def test_bad_keyword_is_named(small, kwargs, name) -> None:
    entries = np.zeros(len(small), dtype=bool)
    entries[10] = True
    with pytest.raises(st.ParameterError, match=name):
        st.backtest_signals(small, entries, **kwargs)


def test_signals_must_be_boolean(small) -> None:
    with pytest.raises(st.ParameterError, match="entries"):
        st.backtest_signals(small, np.full(len(small), 0.5))


def test_assets_must_share_one_index(sol_1h) -> None:
    with pytest.raises(st.ParameterError, match="index differs"):
        st.backtest_signals(
            {"a": sol_1h.iloc[:100], "b": sol_1h.iloc[1:101]}, np.zeros((100, 2), dtype=bool)
        )


def test_backtest_names_unknown_keywords(small) -> None:
    with pytest.raises(st.ParameterError, match="fastt"):
        st.backtest(small, st.strategies.sma_cross, fastt=10)
    with pytest.raises(st.ParameterError, match="sl_stop"):
        st.backtest(small, st.strategies.mean_reversion, sl_stop=0.02)
    with pytest.raises(st.ParameterError, match="strategy"):
        st.backtest(small, "sma_cross")


def test_intrabar_must_be_sorted(small, sol_1m) -> None:
    shuffled = sol_1m.iloc[:100].iloc[::-1]
    with pytest.raises(st.DataError, match=r"intrabar: row 1 .*unsorted") as info:
        st.backtest_signals(small, np.zeros(len(small), dtype=bool), intrabar=shuffled)
    assert info.value.code == "unsorted"


def test_backtest_signals_and_its_input_builder_take_the_same_parameters() -> None:
    # backtest_signals forwards locals() to _kernel_inputs: the two signatures must not drift
    import importlib
    import inspect

    module = importlib.import_module("soltrader.engine.backtest")
    assert list(inspect.signature(module.backtest_signals).parameters) == list(
        inspect.signature(module._kernel_inputs).parameters
    )
