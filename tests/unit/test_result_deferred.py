"""A backtest of the common case writes only its equity curve; its cash, position and
position-value curves are built when first read, by running the same simulation again. They
must be the curves an eager run writes, bit for bit; ``stats()`` must not need them; and a
result whose inputs were changed in place since it ran must refuse to build them, not
return curves of another run."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.domain.errors import DataError
from soltrader.metrics import _nb as metrics_nb
from soltrader.sim import simple

CASES = (
    dict(fast=10, slow=40),
    dict(fast=10, slow=40, sl_stop=0.01, tp_stop=0.03, fees=0.001, slippage=0.0005),
    dict(fast=5, slow=20, sl_stop=0.02, fill="close", conventions="vectorbt", fees=0.002),
    dict(fast=30, slow=90, sl_trail=True, sl_stop=0.015),
)


def _eager(monkeypatch, bars: pd.DataFrame, kw: dict) -> st.Result:
    """The same backtest through the general kernel, which writes every curve."""
    with monkeypatch.context() as m:
        m.setattr(simple, "simple_case", lambda args: False)
        res = st.backtest(bars, st.strategies.sma_cross, **kw)
    assert res.deferred is None
    return res


def _bits(frame: pd.DataFrame) -> np.ndarray:
    return np.ascontiguousarray(frame.to_numpy(dtype=np.float64)).view(np.int64)


@pytest.mark.parametrize("kw", CASES)
def test_built_curves_equal_an_eager_run(sol_1h, monkeypatch, kw) -> None:
    lazy = st.backtest(sol_1h, st.strategies.sma_cross, **kw)
    assert lazy.deferred is not None and lazy.__dict__.get("_positions") is None
    eager = _eager(monkeypatch, sol_1h, kw)
    lazy_stats = lazy.stats()  # from the kernel's in-market count: nothing built yet
    assert lazy.__dict__.get("_positions") is None
    assert lazy.deferred.in_market == metrics_nb.rows_in_market_nb(eager.positions.to_numpy())
    assert np.array_equal(lazy_stats.to_numpy(), eager.stats().to_numpy(), equal_nan=True)
    for name in ("account_cash", "positions", "position_values", "account_equity"):
        got, want = getattr(lazy, name), getattr(eager, name)
        assert got.index.equals(want.index) and list(got.columns) == list(want.columns), name
        assert np.array_equal(_bits(got), _bits(want)), name
    assert lazy.orders_records.tobytes() == eager.orders_records.tobytes()


def test_an_input_changed_in_place_refuses_to_build(sol_1h) -> None:
    close = sol_1h["close"].to_numpy()
    fast, slow = (st.indicators.sma(close, n) for n in (10, 40))
    entries, exits = fast > slow, fast < slow
    res = st.backtest_signals(sol_1h, entries, exits, sl_stop=0.02)
    assert res.deferred is not None
    stats = res.stats()
    entries[:] = ~entries  # the caller reuses its array
    with pytest.raises(DataError, match="changed in place"):
        _ = res.positions
    assert res.stats().equals(stats)  # the statistics never needed the curves


def test_pickle_replace_and_assignment_keep_the_curves(sol_1h) -> None:
    res = st.backtest(sol_1h, st.strategies.sma_cross, fast=10, slow=40, sl_stop=0.02)
    copy = pickle.loads(pickle.dumps(res))  # not built yet: the run travels with it
    assert copy.__dict__.get("_positions") is None
    assert np.array_equal(_bits(copy.positions), _bits(res.positions))
    replaced = dataclasses.replace(res, params={"note": "x"})
    assert replaced.positions is res.positions
    flat = res.positions * 0.0
    replaced.positions = flat
    assert replaced.positions is flat
    assert replaced.stats()["exposure"] == 0.0  # a curve given is the one counted
