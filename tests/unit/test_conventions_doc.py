"""``docs/conventions.md`` against the library, so that the page cannot go stale silently.

Every ```python block of the page is run, in order, in one namespace (blocks fenced ```py need
vectorbt and are not run). The tests after that check the page's key claims on hand-made bars
whose every price can be worked out by hand: fill timing, the intrabar rule and gaps, what a fee
is a fraction of, Solana and AMM costs, the annualisation rate for every index resolution, the
timestamp rules, and the recipes that turn soltrader's figures into vectorbt's and
backtesting.py's (the latter run against backtesting.py itself when it is installed).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.domain.errors import ParameterError

PAGE = Path(__file__).resolve().parents[2] / "docs" / "conventions.md"
CASH = 10_000.0
ONE = {"size": 1.0, "size_type": "amount"}


def bars(rows: list[list[float]], start: str = "2024-01-01", freq: str = "1h") -> pd.DataFrame:
    """OHLCV bars from [open, high, low, close] rows (volume 1e6), labelled in UTC."""
    a = np.asarray(rows, dtype=float)
    index = pd.date_range(start, periods=len(a), freq=freq, tz="UTC")
    columns = {"open": a[:, 0], "high": a[:, 1], "low": a[:, 2], "close": a[:, 3]}
    return pd.DataFrame({**columns, "volume": 1e6}, index=index)


def at(n: int, *rows: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[list(rows)] = True
    return out


def fills(res: st.Result) -> list[list[Any]]:
    return res.fills[["bar", "price", "reason"]].values.tolist()


# ---- the page's own examples -----------------------------------------------------------------
@pytest.fixture(scope="module")
def page() -> dict[str, Any]:
    """The namespace left by running every ```python block of the page in order."""
    text = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    assert len(blocks) >= 10, "the page's runnable examples were not found"
    namespace: dict[str, Any] = {"__name__": "conventions_page"}
    for k, block in enumerate(blocks):
        exec(compile(block, f"{PAGE.name}, python block {k}", "exec"), namespace)
    return namespace


def test_every_python_block_of_the_page_runs(page) -> None:
    assert isinstance(page["res"], st.Result)
    assert page["stats"]["periods_per_year"] == 8760.0


def test_the_page_links_pages_that_exist() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        assert (PAGE.parent / target).exists(), target
    for path in re.findall(r"`((?:soltrader|tests)/[\w/.]+\.py)`", text):
        assert (PAGE.parents[1] / path).exists(), path


# ---- 1. fill timing ----------------------------------------------------------------------------
ROWS = [[100, 101, 99, 100], [102, 103, 101, 102], [101, 104, 100, 103], [103, 104, 102, 103]]


@pytest.mark.parametrize("signal_bar", [0, 1, 2])
def test_a_signal_at_bar_i_fills_at_bar_i_plus_1_open(signal_bar: int) -> None:
    data = bars(ROWS)
    res = st.backtest_signals(data, at(4, signal_bar), **ONE)
    order = res.orders.iloc[0]
    assert (order["decision_bar"], order["exec_bar"]) == (signal_bar, signal_bar + 1)
    assert order["price"] == data["open"].iloc[signal_bar + 1]
    assert res.fills["time"].iloc[0] == data.index[signal_bar + 1]  # the fill bar's label


def test_fill_close_fills_at_the_decision_bar_close_labelled_by_its_open() -> None:
    data = bars(ROWS)
    res = st.backtest_signals(data, at(4, 1), fill="close", **ONE)
    assert fills(res) == [[1, 102.0, "entry"]]
    assert res.fills["time"].iloc[0] == data.index[1]  # the label, not the instant 02:00


def test_a_decision_on_the_last_bar_leaves_no_order() -> None:
    res = st.backtest_signals(bars(ROWS), at(4, 3), **ONE)
    assert res.orders.empty and res.fills.empty and res.trades.empty


def test_an_open_position_is_marked_at_the_last_close_not_closed() -> None:
    data = bars(ROWS)
    res = st.backtest_signals(data, at(4, 0), **ONE)
    assert res.trades["is_open"].tolist() == [True]
    assert res.stats()["n_trades"] == 0
    assert res.equity.iloc[-1] == pytest.approx(CASH - 102.0 + data["close"].iloc[-1])


def test_close_fills_are_refused_by_the_live_loop() -> None:
    data = bars([[100, 101, 99, 100]] * 40)
    for kw in ({"fill": "close"}, {"conventions": "vectorbt"}):
        with pytest.raises(ParameterError, match="next bar's open"):
            st.paper_replay(data, st.strategies.sma_cross, fast=2, slow=5, **kw)


def test_a_live_spec_refuses_fill_close_when_read() -> None:
    pytest.importorskip("pydantic")
    from soltrader.engine.live_spec import parse_live_spec

    raw = {"data": {"symbol": "SOL/USDT", "timeframe": "1m"}, "strategy": {"name": "sma_cross"}}
    with pytest.raises(ParameterError, match=r"params\.fill"):
        parse_live_spec({**raw, "params": {"fill": "close"}, "live": {"venue": "paper"}})
    for given in ({"conventions": "vectorbt"}, {"conventions": "vectorbt", "fill": "next_open"}):
        with pytest.raises(ParameterError, match=r"params\.conventions: 'vectorbt' reproduces"):
            parse_live_spec({**raw, "params": given, "live": {}})


def test_the_vectorbt_switch_table() -> None:
    default, vbt = st.sim.resolve_conventions(None), st.sim.resolve_conventions("vectorbt")
    page_rows = {  # name: (soltrader default, vectorbt preset), as the page's table says
        "fill": ("next_open", "close"),
        "stop_anchor": ("fill", "signal_close"),
        "stop_slippage": (True, False),
        "stops_in_fill_bar": (True, False),
        "open_first": (True, False),
        "allow_partial": (False, True),
        "min_size": (1e-8, 1e-8),
    }
    for name, (ours, theirs) in page_rows.items():
        assert (getattr(default, name), getattr(vbt, name)) == (ours, theirs), name


# ---- 2. the intrabar rule ----------------------------------------------------------------------
BOTH = [[100, 100, 100, 100], [100, 101, 99.5, 100], [100, 104, 97, 101], [101, 101, 101, 101]]
LEVELS = {"sl_stop": 0.02, "tp_stop": 0.03, **ONE}  # entry 100 at bar 1's open: 98 and 103


def test_a_bar_touching_stop_and_target_books_the_stop_at_its_level() -> None:
    res = st.backtest_signals(bars(BOTH), at(4, 0), **LEVELS)
    assert fills(res) == [[1, 100.0, "entry"], [2, 98.0, "stop_loss"]]


def test_the_stop_acts_in_the_bar_the_entry_filled_in() -> None:
    rows = [[100, 100, 100, 100], [100, 104, 97, 101], [101, 101, 101, 101]]
    res = st.backtest_signals(bars(rows), at(3, 0), **LEVELS)
    assert fills(res) == [[1, 100.0, "entry"], [1, 98.0, "stop_loss"]]
    later = st.backtest_signals(bars(rows), at(3, 0), stops_in_fill_bar=False, **LEVELS)
    assert later.trades["is_open"].tolist() == [True]


@pytest.mark.parametrize(
    ("sub_rows", "expected"),
    [
        ([[100, 103, 99.5, 103], [103, 104, 97, 98]], [2, 103.0, "take_profit"]),  # target first
        ([[100, 100.5, 97, 99], [99, 104, 98.5, 103]], [2, 98.0, "stop_loss"]),  # stop first
        ([[100, 104, 97, 101], [101, 101, 101, 101]], [2, 98.0, "stop_loss"]),  # one holds both
    ],
)
def test_lower_timeframe_bars_decide_which_level_came_first(sub_rows, expected) -> None:
    sub = bars(sub_rows, start="2024-01-01 02:00", freq="30min")
    res = st.backtest_signals(bars(BOTH), at(4, 0), intrabar=sub, **LEVELS)
    assert fills(res)[1] == expected


def test_a_gap_through_the_stop_fills_at_the_open_with_slippage() -> None:
    gap = bars([[100, 100, 100, 100], [100, 101, 99.5, 100], [95, 96, 94, 95], [95, 95, 95, 95]])
    res = st.backtest_signals(gap, at(4, 0), sl_stop=0.02, **ONE)
    assert fills(res)[1] == [2, 95.0, "stop_loss"]
    slipped = st.backtest_signals(gap, at(4, 0), sl_stop=0.02, slippage=0.001, **ONE)
    assert slipped.fills["price"].iloc[1] == pytest.approx(95.0 * 0.999, rel=1e-12)
    at_level = st.backtest_signals(
        gap, at(4, 0), sl_stop=0.02, slippage=0.001, stop_slippage=False, **ONE
    )
    assert at_level.fills["price"].iloc[1] == 95.0


def test_a_bar_opening_beyond_the_target_fills_it_at_the_open() -> None:
    up = bars([[100, 100, 100, 100], [100, 101, 99.5, 100], [104, 105, 97, 98], [98, 98, 98, 98]])
    assert fills(st.backtest_signals(up, at(4, 0), **LEVELS))[1] == [2, 104.0, "take_profit"]
    stop_first = st.backtest_signals(up, at(4, 0), open_first=False, **LEVELS)
    assert fills(stop_first)[1] == [2, 98.0, "stop_loss"]


# ---- 3. fees and slippage ----------------------------------------------------------------------
TP_ROWS = [[100, 100, 100, 100], [100, 101, 99.5, 100], [100, 104, 99.5, 101], [101] * 4]


@pytest.mark.parametrize("fee", [0.0, 0.0004, 0.001, 0.0025])
@pytest.mark.parametrize("slippage", [0.0, 0.0005])
def test_a_fee_of_f_charges_f_times_the_notional_at_the_execution_price(fee, slippage) -> None:
    """A market entry and a signal exit (taker: slippage, ``fees``) of 3 units."""
    data = bars(ROWS)
    res = st.backtest_signals(
        data, at(4, 0), at(4, 1), size=3.0, size_type="amount", fees=fee, slippage=slippage
    )
    buy = data["open"].iloc[1] * (1 + slippage)
    sell = data["open"].iloc[2] * (1 - slippage)
    np.testing.assert_allclose(res.fills["price"], [buy, sell], rtol=1e-12)
    np.testing.assert_allclose(res.fills["fees"], [fee * 3 * buy, fee * 3 * sell], rtol=1e-12)
    pnl = 3 * (sell - buy) - fee * 3 * (buy + sell)
    assert res.trades["pnl"].iloc[0] == pytest.approx(pnl, rel=1e-12, abs=1e-12)
    assert res.stats()["fees_paid"] == pytest.approx(fee * 3 * (buy + sell), abs=1e-12)


def test_take_profits_are_maker_fills_without_slippage() -> None:
    res = st.backtest_signals(
        bars(TP_ROWS), at(4, 0), tp_stop=0.03, fees=0.002, maker_fees=0.0005, slippage=0.001, **ONE
    )
    assert fills(res) == [
        [1, pytest.approx(100.1), "entry"],
        [2, pytest.approx(103.103), "take_profit"],
    ]
    np.testing.assert_allclose(res.fills["fees"], [0.002 * 100.1, 0.0005 * 103.103], rtol=1e-12)
    orders = res.orders
    assert orders["type"].tolist() == ["market", "limit"]


def test_fixed_fees_per_order_and_no_minimum_fee() -> None:
    data = bars(ROWS)
    res = st.backtest_signals(data, at(4, 0), fees=0.001, fixed_fees=0.5, **ONE)
    assert res.fills["fees"].iloc[0] == pytest.approx(0.001 * 102.0 + 0.5, rel=1e-12)
    tiny = st.backtest_signals(data, at(4, 0), size=1e-6, size_type="amount", fees=0.001)
    assert tiny.fills["fees"].iloc[0] == pytest.approx(0.001 * 1e-6 * 102.0, rel=1e-12)
    dust = st.backtest_signals(data, at(4, 0), size=1e-9, size_type="amount", fees=0.001)
    assert dust.orders["reject_reason"].tolist() == ["below_min_size"]


def test_the_default_size_spends_all_the_cash_fees_included() -> None:
    res = st.backtest_signals(bars(ROWS), at(4, 0), fees=0.001, slippage=0.0005)
    f = res.fills.iloc[0]
    assert f["size"] * f["price"] + f["fees"] == pytest.approx(CASH, rel=1e-12)
    assert f["fees"] == pytest.approx(0.001 * f["size"] * f["price"], rel=1e-12)


def test_solana_lamports_become_quote_costs() -> None:
    flat = bars([[100, 101, 99, 100]] * 4)
    cost = st.costs.SolanaTxCost(priority_fee=10_000)
    res = st.backtest_signals(flat, at(4, 0), at(4, 2), solana=cost, **ONE)
    np.testing.assert_allclose(res.fills["fees"], 15_000 / st.costs.LAMPORTS_PER_SOL * 100.0)
    priced = st.costs.SolanaTxCost(priority_fee=10_000, jito_tip=1_000, sol_price=150.0)
    res = st.backtest_signals(flat, at(4, 0), at(4, 2), solana=priced, fees=0.001, **ONE)
    np.testing.assert_allclose(res.fills["fees"], 0.001 * 100.0 + 16_000 / 1e9 * 150.0)
    failing = st.costs.SolanaTxCost(priority_fee=10_000, jito_tip=1_000, fail_rate=1.0)
    res = st.backtest_signals(flat, at(4, 0), solana=failing, **ONE)
    assert res.orders["reject_reason"].tolist() == ["tx_failed"]
    assert res.fills.empty
    assert res.stats()["fees_paid"] == pytest.approx(15_000 / 1e9 * 100.0)  # no tip


def test_amm_fills_follow_the_curve_and_ignore_slippage() -> None:
    flat = bars([[100, 101, 99, 100]] * 4)
    pool = st.costs.AMMPool(liquidity=1e5, fee=0.003)
    res = st.backtest_signals(
        flat, at(4, 0), at(4, 2), size=10.0, size_type="amount", amm=pool, slippage=0.01,
        fees=0.001,
    )  # fmt: skip
    x, y = 1e5 / 10.0, 1e5 * 10.0
    buy = y * 10 / ((x - 10) * 0.997) / 10
    sell = y * 10 * 0.997 / (x + 10 * 0.997) / 10
    np.testing.assert_allclose(res.fills["price"], [buy, sell], rtol=1e-12)
    np.testing.assert_allclose(res.fills["fees"], [0.001 * 10 * buy, 0.001 * 10 * sell])


# ---- 4. annualisation --------------------------------------------------------------------------
UNITS = ["s", "ms", "us", "ns"]
ZONES = [None, "UTC", "Asia/Tokyo"]


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("tz", ZONES)
def test_a_1h_index_gives_8760_bars_a_year_in_every_unit_and_zone(unit, tz) -> None:
    idx = pd.date_range("2024-01-01", periods=48, freq="1h", unit=unit, tz=tz)
    assert idx.unit == unit
    assert st.metrics.elapsed_periods_per_year(idx) == 8760.0


@pytest.fixture(scope="module")
def walk() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 500
    close = 100 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    open_ = np.r_[close[0], close[:-1]]
    return pd.DataFrame(
        {"open": open_, "high": np.maximum(open_, close) * 1.003,
         "low": np.minimum(open_, close) * 0.997, "close": close, "volume": 1e6},
        index=pd.date_range("2024-01-01", periods=n, freq="1h"),  # naive, pandas 3: us
    )  # fmt: skip


def test_results_do_not_depend_on_the_index_unit_or_zone(walk) -> None:
    n = len(walk)
    entries, exits = at(n, *range(3, n, 40)), at(n, *range(20, n, 40))
    kw = {"sl_stop": 0.01, "fees": 0.001, "slippage": 0.0005}
    ref = st.backtest_signals(walk, entries, exits, **kw).stats()
    assert ref["periods_per_year"] == 8760.0
    for unit in UNITS:
        for tz in ZONES:
            frame = walk.set_axis(walk.index.as_unit(unit))
            if tz is not None:
                frame = frame.tz_localize("UTC").tz_convert(tz)
            res = st.backtest_signals(frame, entries, exits, **kw)
            assert str(res.equity.index.dtype) == "datetime64[ns, UTC]"
            pd.testing.assert_series_equal(res.stats(), ref)  # bit for bit


@pytest.mark.parametrize(
    ("timeframe", "minutes", "per_year"),
    [
        ("1m", 1, 525_600.0),
        ("1h", 60, 8760.0),
        ("4h", 240, 2190.0),
        ("1d", 1440, 365.0),
        ("1w", 10_080, 365 / 7),
    ],
)
def test_bars_per_365_day_year(timeframe: str, minutes: int, per_year: float) -> None:
    assert st.metrics.periods_per_year(timeframe) == per_year
    idx = pd.date_range("2024-01-01", periods=30, freq=pd.Timedelta(minutes=minutes))
    assert st.metrics.elapsed_periods_per_year(idx) == per_year


def test_gaps_and_uneven_spacing_follow_elapsed_time() -> None:
    hours = pd.date_range("2024-01-01", periods=48, freq="1h", unit="s")
    assert st.metrics.elapsed_periods_per_year(hours[:24].append(hours[36:])) == 6570.0
    uneven = pd.DatetimeIndex(
        ["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 03:00", "2024-01-01 06:00"]
    )
    assert st.metrics.elapsed_periods_per_year(uneven) == 4 * 8760 / 7  # step: the shortest tie


def test_annualised_figures_by_formula(walk) -> None:
    """CAGR over elapsed years, Sharpe = mean / std (ddof 1) * sqrt(P), on an index with a gap."""
    n = len(walk)
    keep = np.ones(n, dtype=bool)
    keep[200:260] = False
    data = walk[keep]
    res = st.backtest_signals(data, at(n, *range(3, n, 40))[keep], at(n, *range(20, n, 40))[keep])
    s = res.stats()
    elapsed_years = (data.index[-1] + pd.Timedelta(hours=1) - data.index[0]) / pd.Timedelta(
        days=365
    )
    assert s["periods_per_year"] == pytest.approx(len(data) / elapsed_years, rel=1e-15)
    growth = res.equity.iloc[-1] / CASH
    assert s["annualized_return"] == pytest.approx(growth ** (1 / elapsed_years) - 1, rel=1e-12)
    r = res.equity.to_numpy() / np.r_[CASH, res.equity.to_numpy()[:-1]] - 1
    sharpe = r.mean() / r.std(ddof=1) * np.sqrt(s["periods_per_year"])
    assert s["sharpe"] == pytest.approx(sharpe, rel=1e-9)
    rf = 0.04
    per_bar = (1 + rf) ** (1 / s["periods_per_year"]) - 1
    excess = r - per_bar
    with_rf = res.stats(risk_free=rf)["sharpe"]
    assert with_rf == pytest.approx(
        excess.mean() / excess.std(ddof=1) * np.sqrt(s["periods_per_year"])
    )


def test_fewer_than_two_bars_cannot_be_annualised(walk) -> None:
    res = st.backtest_signals(walk.iloc[:1], at(1))
    with pytest.raises(ParameterError, match="at least 2 bars"):
        res.stats()


def test_another_rate_through_metrics_summary(walk) -> None:
    n = len(walk)
    res = st.backtest_signals(walk, at(n, *range(3, n, 40)), at(n, *range(20, n, 40)), fees=0.001)
    s = res.stats()
    kw = {"init_cash": res.init_cash, "trades": res.trades_records}
    same = st.metrics.summary(
        res.equity, positions=(res.positions != 0).any(axis=1), periods_per_year=8760.0, **kw
    )
    np.testing.assert_allclose(same, s[same.index], rtol=1e-12, equal_nan=True)
    by_timeframe = st.metrics.summary(res.equity, timeframe="1h", **kw)
    assert by_timeframe["sharpe"] == s["sharpe"]
    weekdays = st.metrics.summary(res.equity, periods_per_year=252 * 24, **kw)
    assert weekdays["sharpe"] == pytest.approx(s["sharpe"] * np.sqrt(252 / 365), rel=1e-12)


# ---- 5. timestamps -----------------------------------------------------------------------------
def test_naive_times_are_utc_and_other_zones_are_converted() -> None:
    naive = bars(ROWS).tz_localize(None)
    berlin = bars(ROWS).tz_convert("Europe/Berlin")
    for frame in (naive, berlin, naive.set_axis(naive.index.as_unit("ms"))):
        res = st.backtest_signals(frame, at(4, 0), **ONE)
        assert res.equity.index.equals(bars(ROWS).index.as_unit("ns"))
    wall_clock = naive.tz_localize("Europe/Berlin")  # naive local times, localised first
    res = st.backtest_signals(wall_clock, at(4, 0), **ONE)
    assert res.equity.index[0] == pd.Timestamp("2023-12-31 23:00", tz="UTC")


@pytest.mark.parametrize("column", ["timestamp", "open_time_ms", "time", "date", "datetime"])
def test_integer_bar_times_are_epoch_milliseconds(column: str) -> None:
    data = bars(ROWS)
    frame = data.reset_index(drop=True).assign(**{column: data.index.as_unit("ms").asi8})
    res = st.backtest_signals(frame, at(4, 0), **ONE)
    assert res.equity.index.equals(data.index.as_unit("ns"))
    assert res.stats()["periods_per_year"] == 8760.0


@pytest.mark.parametrize(("unit", "name"), [("s", "seconds"), ("us", "microseconds"),
                                            ("ns", "nanoseconds")])  # fmt: skip
def test_integer_times_in_another_unit_are_refused_not_misread(walk, unit: str, name: str) -> None:
    n = len(walk)
    entries = at(n, *range(3, n, 40))
    other = walk.reset_index(drop=True).assign(timestamp=walk.index.as_unit(unit).asi8)
    with pytest.raises(st.DataError, match=f"timestamp: .* look like epoch {name}"):
        st.backtest_signals(other, entries, fees=0.001)
    with pytest.raises(st.DataError, match=f'unit="{unit}"'):
        st.data.validate(other, "1h")


def test_record_times_are_the_labels_of_bars() -> None:
    data = bars(BOTH)
    res = st.backtest_signals(data, at(4, 0), **LEVELS)
    orders = res.orders
    assert orders["decision_time"].tolist() == [data.index[0], data.index[2]]
    assert orders["exec_time"].tolist() == [data.index[1], data.index[2]]  # the stop's bar
    trade = res.trades.iloc[0]
    assert (trade["entry_time"], trade["exit_time"]) == (data.index[1], data.index[2])


def test_the_live_journal_keeps_open_times_in_epoch_milliseconds() -> None:
    journal = pytest.importorskip("soltrader.runtime.journal")
    assert journal.bar_dt.names[:2] == ("bar", "open_time_ms")
    assert journal.bar_dt["open_time_ms"] == np.dtype(np.int64)


# ---- 6. recipes for the other libraries' figures -----------------------------------------------
def test_vectorbt_figures_from_a_result(walk) -> None:
    """vectorbt annualises by bar count, draws down from the first bar's value and divides a
    trade's pnl by its entry notional alone."""
    n = len(walk)
    entries, exits = at(n, 0, *range(40, n, 40)), at(n, *range(20, n, 40))
    res = st.backtest_signals(
        walk, entries, exits, fees=0.002, fill="close", conventions="vectorbt"
    )
    s = res.stats()
    rets = st.metrics.returns_from_equity(res.equity, init_cash=res.init_cash)
    assert st.metrics.sharpe_ratio(rets, timeframe="1h") == pytest.approx(s["sharpe"], rel=1e-12)
    # an entry at the first close pays its fee on bar 0: a drawdown from init_cash only
    assert res.equity.iloc[0] < res.init_cash
    first_bar_peak = st.metrics.max_drawdown(res.equity)
    assert first_bar_peak <= s["max_drawdown"]
    from_init_cash = st.metrics.max_drawdown(res.equity, init_cash=res.init_cash)
    assert from_init_cash == pytest.approx(s["max_drawdown"], rel=1e-12)
    t = res.trades
    notional = t["size"] * t["entry_price"]
    np.testing.assert_allclose(t["return"], t["pnl"] / (notional + t["entry_fees"]), rtol=1e-12)
    assert not np.allclose(t["return"], t["pnl"] / notional, rtol=1e-6)


def test_vectorbt_sharpe_differs_by_the_rate_on_gapped_data(walk) -> None:
    n = len(walk)
    keep = np.ones(n, dtype=bool)
    keep[100:150] = False
    res = st.backtest_signals(
        walk[keep], at(n, *range(3, n, 40))[keep], at(n, *range(20, n, 40))[keep]
    )
    s = res.stats()
    assert s["periods_per_year"] < 8760.0
    rets = st.metrics.returns_from_equity(res.equity, init_cash=res.init_cash)
    by_bars = st.metrics.sharpe_ratio(rets, timeframe="1h")
    assert s["sharpe"] == pytest.approx(by_bars * np.sqrt(s["periods_per_year"] / 8760), rel=1e-12)


def _no_progress(seq, **_):
    return seq


def test_the_backtestingpy_recipe_gives_backtestingpys_numbers(page) -> None:
    """The page's ``backtestingpy_stats`` against backtesting.py's own statistics, on the page's
    bars and signals replayed in ``FractionalBacktest`` (fills at the next open, all the cash)."""
    bt = pytest.importorskip("backtesting")
    from backtesting import Strategy
    from backtesting.lib import FractionalBacktest

    walk, entries, exits, res = page["walk"], page["entries"], page["exits"], page["res"]
    recipe = page["backtestingpy_stats"]

    class Replay(Strategy):
        def init(self) -> None:
            pass

        def next(self) -> None:
            i = len(self.data) - 1
            if exits[i] and self.position.size > 0:
                self.position.close()
            elif entries[i] and self.position.size == 0:
                self.buy()

    with warnings.catch_warnings(), mock.patch.object(bt.backtesting, "_tqdm", _no_progress):
        warnings.simplefilter("ignore")
        theirs = FractionalBacktest(
            walk.rename(columns=str.capitalize), Replay, fractional_unit=1e-8, cash=CASH,
            commission=0.001, trade_on_close=False, exclusive_orders=True,
        ).run()  # fmt: skip
    equity = theirs["_equity_curve"]["Equity"]
    np.testing.assert_allclose(equity.to_numpy(), res.equity.to_numpy(), rtol=1e-7)
    exact = recipe(equity)  # the formulas, on backtesting.py's own curve
    ours = recipe(res.equity)  # and on soltrader's, for the same trades
    for key, value in exact.items():
        assert value == pytest.approx(theirs[key], rel=1e-9, abs=1e-12), key
        assert ours[key] == pytest.approx(theirs[key], rel=1e-6), key
    assert theirs["Sharpe Ratio"] != pytest.approx(res.stats()["sharpe"], rel=0.05)
