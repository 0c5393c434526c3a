"""Look-ahead check: the bundled strategies pass on real data; cheating strategies (next close,
whole-series mean, future-peeking stop) are caught at the right bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.engine.validation.lookahead import lookahead_check
from soltrader.strategies import Bars, Signals, Strategy
from soltrader.strategies.sma_cross import sma_cross_nb


def _next_close_higher(bars: Bars) -> Signals:
    c = bars.close
    entries = np.zeros(c.size, dtype=bool)
    entries[:-1] = c[1:] > c[:-1]  # peeks at bar t + 1
    return Signals(entries, np.zeros(c.size, dtype=bool))


def _below_series_mean(bars: Bars, k: float = 1.0) -> Signals:
    c = bars.close
    return Signals(c < k * c.mean(), c > c.mean())  # the mean of the whole series, future included


def _future_stop(bars: Bars) -> Signals:
    c = bars.close
    n = c.size
    stop = np.full(n, 0.02)
    for t in range(n - 5):
        stop[t] = max(0.005, 1.0 - c[t + 1 : t + 6].min() / c[t])  # just below the next 5 lows
    e, x = sma_cross_nb(c, 10, 50)
    return Signals(e, x, sl_stop=stop)


NEXT_CLOSE = Strategy("next_close", _next_close_higher, {})
SERIES_MEAN = Strategy("series_mean", _below_series_mean, {"k": 1.0})
FUTURE_STOP = Strategy("future_stop", _future_stop, {})


def test_sma_cross_has_no_lookahead_on_real_data(sol_1h: pd.DataFrame) -> None:
    rep = lookahead_check(st.strategies.sma_cross, sol_1h, params={"fast": 20, "slow": 100})
    assert rep.ok, rep.findings.head()
    assert len(rep.cuts) == 20 and rep.fields == ("entries", "exits")
    assert rep.summary.empty and "ok" in repr(rep)


def test_mean_reversion_with_shorts_has_no_lookahead(sol_1h: pd.DataFrame) -> None:
    rep = lookahead_check(
        st.strategies.mean_reversion,
        sol_1h.iloc[-20_000:],
        params={"allow_short": True},
        n_cuts=15,
        seed=3,
    )
    assert rep.ok, rep.findings.head()
    assert set(rep.fields) == {"entries", "exits", "short_entries", "short_exits", "sl_stop"}


def test_cuts_favour_bars_with_decisions(sol_1h: pd.DataFrame) -> None:
    bars = sol_1h.iloc[-5000:]
    rep = lookahead_check(st.strategies.sma_cross, bars, params={"fast": 10, "slow": 50})
    sig = st.strategies.sma_cross(
        Bars(*(bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume"))),
        fast=10,
        slow=50,
    )
    acted = sig.entries | sig.exits
    assert acted[rep.cuts].all()
    assert rep.cuts.min() >= 500 and rep.cuts.max() <= 4998


def test_next_close_cheat_is_caught_at_its_entry_bars(sol_1h: pd.DataFrame) -> None:
    bars = sol_1h.iloc[-3000:]
    rep = lookahead_check(NEXT_CLOSE, bars, n_cuts=25)
    assert not rep.ok and "LOOK-AHEAD" in repr(rep)
    f = rep.findings
    assert set(f["field"]) == {"entries"}
    # the cheat's decision at the cut bar needs bar cut + 1: it is the only one that changes
    assert (f["bar"] == f["cut"]).all()
    assert (f["full"] == True).all() and (f["truncated"] == False).all()  # noqa: E712
    full = _next_close_higher(
        Bars(*(bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume")))
    )
    assert sorted(f["bar"]) == [int(c) for c in rep.cuts if full.entries[c]]
    assert len(f) == 25  # every cut was taken at a decision bar
    assert (f["time"] == bars.index[f["bar"]]).all()


def test_whole_series_mean_cheat_is_caught(sol_1h: pd.DataFrame) -> None:
    rep = lookahead_check(SERIES_MEAN, sol_1h, n_cuts=10, max_findings=5)
    assert not rep.ok
    assert set(rep.summary.index) == {"entries", "exits"}
    assert rep.summary.loc["entries", "n_cuts"] >= 8
    assert (rep.findings.groupby(["cut", "field"]).size() <= 5).all()
    assert rep.summary["n_decisions"].sum() > len(rep.findings)
    assert (rep.findings["bar"] <= rep.findings["cut"]).all()


def test_future_peeking_stop_is_caught_in_its_field(sol_1h: pd.DataFrame) -> None:
    rep = lookahead_check(FUTURE_STOP, sol_1h.iloc[-4000:], cuts=[1000, 2500, 3900])
    assert rep.cuts.tolist() == [1000, 2500, 3900]
    assert set(rep.findings["field"]) == {"sl_stop"}
    for cut in (1000, 2500, 3900):
        bars_hit = rep.findings.loc[rep.findings["cut"] == cut, "bar"]
        assert bars_hit.max() == cut and bars_hit.min() >= cut - 4


def test_seeded_cuts_are_reproducible(sol_1h: pd.DataFrame) -> None:
    bars = sol_1h.iloc[-3000:]
    a = lookahead_check(st.strategies.sma_cross, bars, seed=1, n_cuts=8)
    b = lookahead_check(st.strategies.sma_cross, bars, seed=1, n_cuts=8)
    c = lookahead_check(st.strategies.sma_cross, bars, seed=2, n_cuts=8)
    assert np.array_equal(a.cuts, b.cuts) and not np.array_equal(a.cuts, c.cuts)
    evenly = lookahead_check(st.strategies.sma_cross, bars, n_cuts=8)
    assert len(evenly.cuts) == 8


def test_a_field_that_appears_only_with_more_data_is_a_finding(sol_1h: pd.DataFrame) -> None:
    def late_stop(bars: Bars) -> Signals:
        n = bars.close.size
        flat = np.zeros(n, dtype=bool)
        return Signals(flat, flat, sl_stop=np.full(n, 0.02) if n > 1500 else None)

    rep = lookahead_check(Strategy("late", late_stop, {}), sol_1h.iloc[:2000], cuts=[1000, 1800])
    assert rep.findings[["cut", "field", "full", "truncated"]].values.tolist() == [
        [1000, "sl_stop", "set", None]
    ]


def test_malformed_signals_and_failing_prefixes_raise(sol_1h: pd.DataFrame) -> None:
    bars = sol_1h.iloc[:500]
    short = Strategy("short", lambda b: Signals(b.close[:-1] > 0, b.close > 0), {})
    with pytest.raises(st.ParameterError, match="shape"):
        lookahead_check(short, bars)
    tuple_out = Strategy("tuple", lambda b: (b.close > 0, b.close > 0), {})
    with pytest.raises(st.ParameterError, match="expected Signals"):
        lookahead_check(tuple_out, bars)

    def picky(b: Bars) -> Signals:
        if b.close.size < 400:
            raise st.ParameterError("data", "too short")
        return Signals(b.close > 0, b.close > 0)

    with pytest.raises(st.ParameterError, match="first 101 bars") as err:
        lookahead_check(Strategy("picky", picky, {}), bars, cuts=[100])
    assert err.value.name == "cuts"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_cuts": 0}, "n_cuts"),
        ({"cuts": [499]}, "cuts"),
        ({"cuts": [-1]}, "cuts"),
        ({"cuts": [1.5]}, "cuts"),
        ({"seed": -3}, "seed"),
        ({"rtol": -1.0}, "rtol"),
        ({"params": {"fastest": 3}}, "fastest"),
        ({"max_findings": 0}, "max_findings"),
    ],
)
def test_bad_settings_raise(sol_1h: pd.DataFrame, kwargs: dict, name: str) -> None:
    with pytest.raises(st.ParameterError) as err:
        lookahead_check(st.strategies.sma_cross, sol_1h.iloc[:500], **kwargs)
    assert err.value.name == name


def test_not_a_strategy_and_nan_prices_raise(sol_1h: pd.DataFrame) -> None:
    with pytest.raises(st.ParameterError, match="Strategy"):
        lookahead_check(_next_close_higher, sol_1h.iloc[:100])
    bad = sol_1h.iloc[:300].copy()
    bad.iloc[120, bad.columns.get_loc("close")] = np.nan
    with pytest.raises(st.DataError, match="row 120") as err:
        lookahead_check(st.strategies.sma_cross, bad)
    assert err.value.field == "close"
