"""A live bar through :meth:`PaperLoop.step` as numbers: the quick check of a clean bar, and the
same loop whether the bar comes as numbers or as one-element arrays."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import soltrader as st
from soltrader.data.schema import OHLCVArrays
from soltrader.data.validation import first_bar_error
from soltrader.engine.paper import BarRefusedError, PaperLoop, _clean_bar
from tests.conftest import read_sample_bars

MINUTE_NS = 60 * 10**9
EDGE = [np.nan, np.inf, -np.inf, -1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0]


def _rule_says_clean(values: tuple[float, ...]) -> bool:
    ts = np.zeros(1, dtype=np.int64)
    return first_bar_error(OHLCVArrays(ts, *(np.array([v]) for v in values)), ts) is None


def test_the_quick_check_agrees_with_the_data_rules_on_every_edge() -> None:
    """Every combination of edge values for the prices (and a few volumes): the quick check
    passes a bar exactly when no data rule fires on it."""
    for o, h, lo, c in itertools.product(EDGE, repeat=4):
        for v in (np.nan, np.inf, -1.0, 0.0, 10.0):
            values = (o, h, lo, c, v)
            assert (_clean_bar(values) is not None) == _rule_says_clean(values), values


def test_the_quick_check_reads_numbers_and_one_element_arrays() -> None:
    as_numbers = _clean_bar((1.0, 2.0, 0.5, 1.5, 7))
    as_arrays = _clean_bar(tuple(np.array([x]) for x in (1.0, 2.0, 0.5, 1.5, 7.0)))
    assert as_numbers == as_arrays == (1.0, 2.0, 0.5, 1.5, 7.0)
    assert all(type(x) is float for x in as_arrays)  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        _clean_bar((np.ones(2), 2.0, 0.5, 1.5, 7.0))


def test_a_one_asset_loop_steps_on_numbers_as_on_arrays() -> None:
    bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:600]
    kw = {"fast": 10, "slow": 30, "sl_stop": 0.01, "fees": 0.001}
    loops = [PaperLoop.live(st.strategies.sma_cross, ("SOL",), bar_ns=MINUTE_NS, **kw)
             for _ in range(2)]  # fmt: skip
    ticks = bars.index.as_unit("ns").asi8
    cols = [bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
    for t in range(len(bars)):
        a = loops[0].step(int(ticks[t]), *(float(c[t]) for c in cols))
        b = loops[1].step(int(ticks[t]), *(c[t : t + 1] for c in cols))
        assert a.intents.tobytes() == b.intents.tobytes()
        for name in a.fills.dtype.names:  # field by field: records' padding is not data
            assert a.fills[name].tobytes() == b.fills[name].tobytes()
        assert a.equity.tobytes() == b.equity.tobytes()
    assert len(loops[0].intents()) > 0
    assert loops[0].market.close.tobytes() == loops[1].market.close.tobytes()


def test_a_bad_bar_given_as_numbers_is_refused_with_its_reason() -> None:
    loop = PaperLoop.live(st.strategies.sma_cross, ("SOL",), bar_ns=MINUTE_NS, fast=2, slow=3)
    loop.step(0, 1.0, 2.0, 0.5, 1.5, 10.0)
    with pytest.raises(BarRefusedError) as err:
        loop.step(MINUTE_NS, 1.0, 0.4, 0.5, 1.5, 10.0)
    assert err.value.code == "high_below_low"
    with pytest.raises(BarRefusedError) as err:
        loop.step(MINUTE_NS, 1.0, 2.0, 0.5, np.nan, 10.0)
    assert err.value.code == "nan"
    out = loop.step(MINUTE_NS, 1.0, 2.0, 0.5, 1.5, 10.0)  # the loop was left as it was
    assert out.bar == 1
    assert not out.intents.flags.writeable and len(out.intents) == 0
