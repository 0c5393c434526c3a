"""The input boundary of the backtest: pandas arguments must carry the data's index, costs and
sizes must be physical, bars are checked before they are simulated, signals are booleans, and
magnitude mistakes (``sl_stop=2``) are named rather than simulated."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import polars as pl
import pytest

import soltrader as st
from soltrader.costs import AMMPool, FeeSchedule, FeeTier, Impact, SolanaTxCost
from soltrader.domain.enums import OrderStatus
from soltrader.engine.backtest import _kernel_inputs, _run_kernel
from soltrader.engine.coordinator import coordinate
from soltrader.engine.inputs import market_from
from soltrader.sim import _nb
from tests.conftest import read_sample_bars

N = 200


@pytest.fixture(scope="module")
def bars(sol_1h) -> pd.DataFrame:
    return sol_1h.iloc[1000 : 1000 + N]


@pytest.fixture(scope="module")
def entries(bars) -> pd.Series:
    rng = np.random.default_rng(7)
    return pd.Series(rng.random(N) < 0.05, index=bars.index)


@pytest.fixture(scope="module")
def exits(bars) -> pd.Series:
    rng = np.random.default_rng(8)
    return pd.Series(rng.random(N) < 0.05, index=bars.index)


def same_run(a: st.Result, b: st.Result) -> None:
    np.testing.assert_array_equal(a.fills_records, b.fills_records)
    np.testing.assert_array_equal(a.equity.to_numpy(), b.equity.to_numpy())


# ---- 2. aligned inputs -------------------------------------------------------------------------
def test_series_with_the_data_index_equals_the_numpy_run(bars, entries, exits) -> None:
    by_label = st.backtest_signals(bars, entries, exits, sl_stop=pd.Series(0.02, bars.index))
    by_position = st.backtest_signals(
        bars, entries.to_numpy(), exits.to_numpy(), sl_stop=np.full(N, 0.02)
    )
    assert len(by_label.fills_records) > 0
    same_run(by_label, by_position)


def test_reversed_series_names_the_argument_and_the_first_label(bars, entries) -> None:
    with pytest.raises(st.ParameterError, match="entries") as info:
        st.backtest_signals(bars, entries.iloc[::-1])
    message = str(info.value)
    assert info.value.name == "entries"
    assert f"at position 0 it has {bars.index[-1]}" in message
    assert f"the data has {bars.index[0]}" in message


def test_shifted_labels_are_refused(bars, entries) -> None:
    shifted = entries.set_axis(bars.index + pd.Timedelta("1h"))
    with pytest.raises(
        st.ParameterError, match=re.escape(f"0 it has {bars.index[1]} where")
    ) as info:
        st.backtest_signals(bars, shifted)
    assert info.value.name == "entries"


def test_a_subset_is_refused_at_its_first_missing_label(bars, entries) -> None:
    with pytest.raises(st.ParameterError, match=f"position {N - 10} it has nothing"):
        st.backtest_signals(bars, entries.iloc[:-10])
    with pytest.raises(st.ParameterError, match=re.escape(f"position 0 it has {bars.index[5]}")):
        st.backtest_signals(bars, entries.iloc[5:])


@pytest.mark.parametrize(
    "keyword",
    [
        "exits",
        "short_entries",
        "short_exits",
        "size",
        "sl_stop",
        "tp_stop",
        "partial_tp_stop",
        "leverage",
        "exit_size",
        "tif",
        "cancel",
        "fees",
        "slippage",
        "fixed_fees",
    ],
)
def test_every_per_bar_keyword_is_aligned(bars, entries, keyword) -> None:
    value = {
        "exits": False,
        "short_entries": False,
        "short_exits": False,
        "cancel": False,
        "tif": 3,
        "leverage": 2.0,
        "exit_size": 1.0,
        "size": 0.5,
    }.get(keyword, 0.01)
    series = pd.Series(value, index=bars.index)
    st.backtest_signals(bars, entries, **{keyword: series})  # aligned: accepted
    with pytest.raises(st.ParameterError, match=keyword) as info:
        st.backtest_signals(bars, entries, **{keyword: series.iloc[::-1]})
    assert info.value.name == keyword


def test_limit_prices_and_control_are_aligned(bars, entries) -> None:
    limits = bars["close"] * 0.99
    kw = {"order_type": "limit", "limit_price": limits}
    st.backtest_signals(bars, entries, **kw)
    with pytest.raises(st.ParameterError, match="limit_price"):
        st.backtest_signals(bars, entries, **{**kw, "limit_price": limits.iloc[::-1]})
    control = pd.Series("normal", index=bars.index)
    st.backtest_signals(bars, entries, control=control)
    with pytest.raises(st.ParameterError, match="control"):
        st.backtest_signals(bars, entries, control=control.iloc[::-1])


def test_dict_of_series_with_one_misaligned(bars, entries) -> None:
    data = {"a": bars, "b": bars}
    good = st.backtest_signals(data, {"a": entries, "b": entries})
    same_run(good, st.backtest_signals(data, np.column_stack([entries.to_numpy()] * 2)))
    with pytest.raises(st.ParameterError, match=r"entries\['b'\].*position 0") as info:
        st.backtest_signals(data, {"a": entries, "b": entries.iloc[::-1]})
    assert info.value.name == "entries['b']"
    with pytest.raises(st.ParameterError, match="not assets"):
        st.backtest_signals(data, {"a": entries, "b": entries, "c": entries})


def test_dataframe_for_several_assets_needs_the_index_too(bars, entries) -> None:
    data = {"a": bars, "b": bars}
    frame = pd.DataFrame({"a": entries, "b": entries})
    same_run(
        st.backtest_signals(data, frame),
        st.backtest_signals(data, np.column_stack([entries.to_numpy()] * 2)),
    )
    last = re.escape(f"position 0 it has {bars.index[-1]}")
    with pytest.raises(st.ParameterError, match=f"entries: .*{last}"):
        st.backtest_signals(data, frame.iloc[::-1])
    with pytest.raises(st.ParameterError, match="columns"):
        st.backtest_signals(data, frame[["b", "a"]])


def test_positional_inputs_keep_their_meaning(bars, entries) -> None:
    reference = st.backtest_signals(bars, entries)
    same_run(reference, st.backtest_signals(bars, pl.Series(entries.to_numpy())))
    same_run(reference, st.backtest_signals(bars, entries.to_numpy()))
    with pytest.raises(st.ParameterError, match="entries: shape"):
        st.backtest_signals(bars, entries.to_numpy()[:-1])


def test_time_zone_and_unit_of_the_labels_do_not_matter(bars, entries) -> None:
    reference = st.backtest_signals(bars, entries)
    same_run(reference, st.backtest_signals(bars, entries.tz_convert("Asia/Tokyo")))
    same_run(reference, st.backtest_signals(bars, entries.set_axis(bars.index.as_unit("s"))))
    naive = bars.tz_localize(None)
    same_run(reference, st.backtest_signals(naive, entries.tz_localize(None)))
    same_run(reference, st.backtest_signals(naive, entries))  # naive times are UTC


def test_frame_with_a_time_column_matches_its_own_row_labels(bars, entries) -> None:
    flat = bars.reset_index()
    reference = st.backtest_signals(bars, entries)
    same_run(reference, st.backtest_signals(flat, entries.reset_index(drop=True)))
    same_run(reference, st.backtest_signals(flat, entries))  # or by its bar times
    with pytest.raises(st.ParameterError, match=f"position 0 it has {N - 1} where the data has 0"):
        st.backtest_signals(flat, entries.reset_index(drop=True).iloc[::-1])


def test_coordinator_keywords_are_aligned(bars) -> None:
    sleeves = {"sma": (st.strategies.sma_cross, {"fast": 5, "slow": 20})}
    stops = pd.Series(0.05, index=bars.index)
    coordinate(bars, sleeves, weights={"sma": 1.0}, sl_stop=stops)
    with pytest.raises(st.ParameterError, match=r"sl_stop.*position 0"):
        coordinate(bars, sleeves, weights={"sma": 1.0}, sl_stop=stops.iloc[::-1])
    own = {"sma": (st.strategies.sma_cross, {"fast": 5, "slow": 20}, {"tp_stop": stops[::-1]})}
    with pytest.raises(st.ParameterError, match=r"strategies\['sma'\]\.tp_stop"):
        coordinate(bars, own, weights={"sma": 1.0})


def test_sweep_keywords_are_aligned(bars) -> None:
    stops = pd.Series(0.05, index=bars.index)
    with pytest.raises(st.ParameterError, match=r"sl_stop.*position 0"):
        st.sweep(
            bars,
            st.strategies.sma_cross,
            fast=[5, 10],
            slow=20,
            sl_stop=st.fixed(stops.iloc[::-1]),
            check_lookahead=False,
        )


# ---- 3. physical ranges ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"slippage": 1.0}, "slippage"),
        ({"slippage": 1.5}, "slippage"),
        ({"slippage": np.nan}, "slippage"),
        ({"fees": 1.0}, "fees"),
        ({"fees": 1.2}, "fees"),
        ({"fees": np.full(N, np.nan)}, "fees"),
        ({"maker_fees": 1.0}, "maker_fees"),
        ({"maker_fees": -0.0001}, "maker_fees"),
        ({"fixed_fees": -1.0}, "fixed_fees"),
        ({"fixed_fees": np.inf}, "fixed_fees"),
        ({"fixed_fees": "1"}, "fixed_fees"),
        ({"size": np.inf, "size_type": "amount"}, "size"),
        ({"size": 1.0, "size_type": "lots"}, "size_type"),
        ({"leverage": 0.5}, "leverage"),
        ({"leverage": np.inf}, "leverage"),
        ({"maintenance_margin": 0.6, "leverage": 2.0}, "maintenance_margin"),
        ({"maintenance_margin": "0"}, "maintenance_margin"),
        ({"max_volume_share": 1.5}, "max_volume_share"),
        ({"max_volume_share": "all"}, "max_volume_share"),
        ({"init_cash": "1000"}, "init_cash"),
        ({"init_cash": np.inf}, "init_cash"),
        ({"min_size": "tiny"}, "min_size"),
        ({"exit_size": np.nan}, "exit_size"),
        ({"partial_tp_size": 0.0}, "partial_tp_size"),
        ({"accumulate": "yes"}, "accumulate"),
        ({"trail_after_partial": 1}, "trail_after_partial"),
        ({"stop_slippage": "no"}, "stop_slippage"),
        ({"impact": "sqrt"}, "impact"),
        ({"amm": 1e6}, "amm"),
        ({"solana": 5000}, "solana"),
        ({"solana": SolanaTxCost(sol_price=0.0)}, "solana.sol_price"),
        ({"order_type": "limit", "limit_price": 0.0}, "limit_price"),
        ({"order_type": "stop", "stop_price": -1.0}, "stop_price"),
        ({"allocation": ["a"]}, "allocation"),
    ],
)
def test_unphysical_keyword_is_named(bars, entries, kwargs, name) -> None:
    with pytest.raises(st.ParameterError) as info:
        st.backtest_signals(bars, entries, **kwargs)
    assert info.value.name == name


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: FeeSchedule(taker=1.0), "fees.taker"),
        (lambda: FeeSchedule(maker=-0.0001), "fees.maker"),
        (lambda: FeeSchedule(fixed=-1.0), "fees.fixed"),
        (lambda: FeeSchedule(tiers=(FeeTier(0.0, 0.001, 1.0),)), "fees.tiers[0].taker"),
        (lambda: FeeSchedule(tiers=(FeeTier(-1.0, 0.001, 0.001),)), "fees.tiers[0].min_volume"),
        (
            lambda: FeeSchedule(tiers=(FeeTier(0.0, 0.001, 0.001),), window_days=0),
            "fees.window_days",
        ),
        (lambda: FeeSchedule(tiers=((0.0, 0.001, 0.001),)), "fees.tiers"),
        (lambda: Impact("sqrt", k=-1.0), "impact.k"),
        (lambda: Impact("almgren_chriss", gamma=np.nan), "impact.gamma"),
        (lambda: Impact("sqrt", vol_window=2.5), "impact.vol_window"),
        (lambda: AMMPool(liquidity=0.0), "amm.liquidity"),
        (lambda: AMMPool(liquidity=np.array([1e6, -1.0])), "amm.liquidity"),
        (lambda: AMMPool(fee=1.0), "amm.fee"),
        (lambda: AMMPool(fee=-0.001), "amm.fee"),
        (lambda: SolanaTxCost(fail_rate=1.5), "solana.fail_rate"),
        (lambda: SolanaTxCost(fail_rate=-0.1), "solana.fail_rate"),
        (lambda: SolanaTxCost(priority_fee=-1), "solana.priority_fee"),
        (lambda: SolanaTxCost(base_fee=5000.5), "solana.base_fee"),
        (lambda: SolanaTxCost(jito_tip=True), "solana.jito_tip"),
        (lambda: SolanaTxCost(seed=-1), "solana.seed"),
    ],
)
def test_cost_models_refuse_unphysical_values(build, name) -> None:
    with pytest.raises(st.ParameterError) as info:
        build()
    assert info.value.name == name


def test_failure_rate_of_one_is_a_venue_that_never_lands(bars, entries) -> None:
    res = st.backtest_signals(bars, entries, solana=SolanaTxCost(fail_rate=1.0, sol_price=150.0))
    assert len(res.fills_records) == 0 and len(res.orders_records) > 0
    assert res.equity.iloc[-1] < res.init_cash  # the failed transactions paid their fees


def test_short_at_full_slippage_is_refused_not_a_zero_division(bars) -> None:
    shorts = np.zeros(N, dtype=bool)
    shorts[10] = True
    with pytest.raises(st.ParameterError, match="slippage"):
        st.backtest_signals(bars, np.zeros(N, dtype=bool), short_entries=shorts, slippage=1.0)


def test_kernel_divisions_never_raise_even_past_the_checks(bars) -> None:
    """The kernel's own guards: a short that would fill at price 0 (slippage 1 forced past the
    checks) is rejected instead of raising ZeroDivisionError."""
    shorts = np.zeros(N, dtype=bool)
    shorts[10] = True
    exits = np.zeros(N, dtype=bool)
    exits[20] = True
    inputs = _kernel_inputs(
        bars, False, None, short_entries=shorts, short_exits=exits, slippage=0.5
    )
    shape = inputs.market.shape
    args = inputs.args._replace(slippage=np.ones(shape))  # past the keyword's range check
    (orders, fills, trades, *_), _ = _run_kernel(args, inputs.icfg, shape)
    assert len(fills) == 0 and len(trades) == 0  # nothing executes at a price <= 0
    assert orders["status"][0] == int(OrderStatus.REJECTED)


# ---- 6. bars are checked before they are simulated ---------------------------------------------
def broken(bars: pd.DataFrame, row: int, **values: float) -> pd.DataFrame:
    bad = bars.copy()
    for column, value in values.items():
        bad.iloc[row, bad.columns.get_loc(column)] = value
    return bad


@pytest.mark.parametrize(
    ("damage", "code", "field"),
    [
        ({"close": np.nan}, "nan", "close"),
        ({"open": np.inf}, "inf", "open"),
        ({"volume": np.nan}, "nan", "volume"),
        ({"volume": np.inf}, "inf", "volume"),
        ({"low": 0.0}, "non_positive_price", "low"),
        ({"open": -1.0, "low": -2.0, "close": -1.0, "high": -0.5}, "non_positive_price", "open"),
        ({"high": 1.0, "low": 2.0, "open": 1.5, "close": 1.5}, "high_below_low", "high"),
        ({"open": 1e9}, "ohlc_inconsistent", "open"),
        ({"close": 1e-9}, "ohlc_inconsistent", "close"),
        ({"volume": -1.0}, "negative_volume", "volume"),
    ],
)
def test_broken_bar_is_a_data_error_with_the_validate_code(bars, damage, code, field) -> None:
    bad = broken(bars, 42, **damage)
    with pytest.raises(st.DataError, match=f"data: row 42 .*{code}") as info:
        st.backtest_signals(bad, np.zeros(N, dtype=bool))
    assert (info.value.code, info.value.row, info.value.field) == (code, 42, field)
    first = st.data.validate(bad, "1h").first()  # the same rule and reason code as validate
    assert (first.code, first.row, first.field) == (code, 42, field)


def test_time_order_is_checked(bars) -> None:
    duplicated = pd.concat([bars.iloc[:10], bars.iloc[9:20]])
    with pytest.raises(st.DataError) as info:
        st.backtest_signals(duplicated, np.zeros(len(duplicated), dtype=bool))
    assert (info.value.code, info.value.row) == ("duplicate_timestamp", 10)
    swapped = bars.iloc[[0, 1, 3, 2, *range(4, N)]]
    with pytest.raises(st.DataError) as info:
        st.backtest_signals(swapped, np.zeros(N, dtype=bool))
    assert (info.value.code, info.value.row) == ("unsorted", 3)


def test_gaps_are_allowed(bars, entries) -> None:
    keep = np.r_[0:50, 80:N]
    res = st.backtest_signals(bars.iloc[keep], entries.iloc[keep])
    assert len(res.equity) == len(keep)


def test_every_entry_point_checks_the_bars(bars) -> None:
    bad = broken(bars, 7, high=1.0, low=2.0, open=1.5, close=1.5)
    with pytest.raises(st.DataError, match=r"data\['b'\]: row 7"):
        market_from({"a": bars, "b": bad})
    with pytest.raises(st.DataError, match="high_below_low"):
        st.sweep(bad, st.strategies.sma_cross, fast=[5, 10], slow=20, check_lookahead=False)
    with pytest.raises(st.DataError, match="high_below_low"):
        coordinate(bad, {"sma": (st.strategies.sma_cross, {})}, weights={"sma": 1.0})
    with pytest.raises(st.DataError, match=r"intrabar: row 7 .*high_below_low"):
        st.backtest_signals(bars, np.zeros(N, dtype=bool), intrabar=bad)


@pytest.mark.parametrize(
    ("symbol", "timeframe"),
    [
        ("SOL-USDT", "1m"),
        ("SOL-USDT", "1h"),
        ("SOL-USDT", "4h"),
        ("BTC-USDT", "1h"),
        ("BTC-USDT", "4h"),
        ("ETH-USDT", "1h"),
        ("ETH-USDT", "4h"),
    ],
)
def test_bundled_bars_pass_the_checks(symbol, timeframe) -> None:
    frame = read_sample_bars("binance", symbol, timeframe)
    assert market_from(frame).shape == (len(frame), 1)


def test_empty_data_is_refused(bars) -> None:
    with pytest.raises(st.DataError, match="data: has no bars"):
        st.backtest_signals(bars.iloc[:0], np.zeros(0, dtype=bool))


# ---- signals are booleans or exactly 0 / 1 -----------------------------------------------------
@pytest.mark.parametrize("bad", [0.5, np.nan, 2.0, -1.0])
def test_signals_must_be_exactly_zero_or_one_in_every_path(bars, bad) -> None:
    values = np.zeros(N)
    values[12] = bad
    paths = {
        "numpy": values,
        "series": pd.Series(values, index=bars.index),
        "polars": pl.Series(values),
    }
    for what in paths.values():
        with pytest.raises(st.ParameterError, match="row 12"):
            st.backtest_signals(bars, what)
    data = {"a": bars, "b": bars}
    with pytest.raises(st.ParameterError, match=r"entries\['b'\].*row 12"):
        st.backtest_signals(data, {"a": np.zeros(N), "b": values})
    with pytest.raises(st.ParameterError, match=r"exits: .*row 12, column 1"):
        st.backtest_signals(data, False, np.column_stack([np.zeros(N), values]))
    with pytest.raises(st.ParameterError, match="cancel"):
        st.backtest_signals(bars, False, cancel=values)


def test_zero_one_numbers_are_read_as_booleans(bars, entries) -> None:
    same_run(
        st.backtest_signals(bars, entries),
        st.backtest_signals(bars, entries.astype(float)),
    )
    data = {"a": bars, "b": bars}
    same_run(
        st.backtest_signals(data, {"a": entries, "b": entries}),
        st.backtest_signals(data, {"a": entries.astype(int), "b": entries.to_numpy(float)}),
    )


# ---- sizes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [2.0, 1.0001, 100.0])
def test_percent_size_above_one_is_refused(bars, entries, size) -> None:
    with pytest.raises(st.ParameterError, match="0, 1]") as info:
        st.backtest_signals(bars, entries, size=size)
    assert info.value.name == "size"
    assert f"{size / 100:g} for {size:g} %" in str(info.value)


def test_size_is_checked_where_entries_are_decided(bars, entries) -> None:
    with pytest.raises(st.ParameterError, match="size: the entry decided at row"):
        st.backtest_signals(bars, entries, size=0.0)
    first = int(np.flatnonzero(entries.to_numpy())[0])
    sizes = np.where(entries.to_numpy(), 0.5, 0.0)  # 0 or NaN off the entry bars: fine
    res = st.backtest_signals(bars, entries, size=sizes)
    assert len(res.fills_records) > 0
    st.backtest_signals(bars, entries, size=np.where(entries.to_numpy(), 0.5, np.nan))
    sizes[first] = np.nan
    with pytest.raises(st.ParameterError, match=f"row {first}"):
        st.backtest_signals(bars, entries, size=sizes)
    with pytest.raises(st.ParameterError, match="explicit size"):
        st.backtest_signals(bars, entries, size_type="amount")


def test_strategies_passing_sizes_still_run(bars) -> None:
    for strategy in (st.strategies.grid, st.strategies.momentum):
        st.backtest(bars, strategy, **strategy.keywords(strategy.params))
    with pytest.raises(st.ParameterError, match=r"bypass_size|size"):
        st.backtest(bars, st.strategies.momentum, bypass_size=2.0)


# ---- 9. magnitude mistakes -----------------------------------------------------------------------
@pytest.mark.parametrize("stop", [2, 1.0, 5.0])
def test_stop_loss_of_one_or_more_on_a_long_is_a_percent_mistake(bars, entries, stop) -> None:
    with pytest.raises(st.ParameterError, match="no stop at all") as info:
        st.backtest_signals(bars, entries, sl_stop=stop)
    assert info.value.name == "sl_stop"
    assert f"{stop / 100:g} for {stop:g} %" in str(info.value)
    with pytest.raises(st.ParameterError, match="no stop at all") as info:
        st.backtest_signals(bars, entries, sl_trail=float(stop))
    assert info.value.name == "sl_trail"


def test_short_stops_and_long_targets_may_exceed_one(bars, entries) -> None:
    shorts = entries.to_numpy()
    st.backtest_signals(bars, False, short_entries=shorts, sl_stop=1.5)  # beyond +150 %
    st.backtest_signals(bars, entries, tp_stop=1.5)  # a +150 % target
    st.backtest_signals(bars, entries, partial_tp_stop=3.0)
    levels = np.where(shorts, 1.2, 0.02)  # long bars < 1, short bars beyond
    other = np.roll(shorts, 1) & ~shorts
    st.backtest_signals(bars, other, short_entries=shorts, sl_stop=levels)
    with pytest.raises(st.ParameterError, match="long entry at row"):
        st.backtest_signals(bars, shorts, sl_stop=levels)


@pytest.mark.parametrize("name", ["tp_stop", "partial_tp_stop"])
def test_target_of_one_or_more_on_a_short_is_refused(bars, entries, name) -> None:
    with pytest.raises(st.ParameterError, match=r"short entry at row .*no target at all") as info:
        st.backtest_signals(bars, False, short_entries=entries, **{name: 1.0})
    assert info.value.name == name


@pytest.mark.parametrize(
    ("kwargs", "name", "text"),
    [
        ({"tif": -1}, "tif", "whole number of bars >= 0"),
        ({"tif": 1.5}, "tif", "whole number"),
        ({"tif": None}, "tif", "whole number"),
        ({"max_bars": -1}, "max_bars", "whole number of bars >= 0"),
        ({"max_bars": np.full(N, 2.5)}, "max_bars", "whole number"),
        ({"cooldown": 1.5}, "cooldown", "whole number"),
        ({"cooldown": True}, "cooldown", "whole number"),
        ({"cooldown": -2}, "cooldown", ">= 0"),
        ({"sl_stop": 0.0}, "sl_stop", "> 0"),
        ({"sl_stop": np.inf}, "sl_stop", "finite"),
        ({"tp_stop": -0.1}, "tp_stop", "> 0"),
        ({"order_type": np.full(N, 1.5)}, "order_type", "whole numbers"),
    ],
)
def test_other_magnitude_mistakes(bars, entries, kwargs, name, text) -> None:
    with pytest.raises(st.ParameterError, match=text) as info:
        st.backtest_signals(bars, entries, **kwargs)
    assert info.value.name == name


def test_fused_sweep_refuses_a_stop_of_one(bars) -> None:
    with pytest.raises(st.ParameterError, match="no stop at all") as info:
        st.sweep(
            bars, st.strategies.sma_cross, fast=[5, 10], slow=20, sl_stop=2, check_lookahead=False
        )
    assert info.value.name == "sl_stop"


def test_strategy_window_of_the_wrong_type_is_a_parameter_error(bars) -> None:
    for value in ("20", None, 2.5, np.inf):
        with pytest.raises(st.ParameterError, match="fast"):
            st.backtest(bars, st.strategies.sma_cross, fast=value)


def test_kernel_sizes_and_orders_keep_their_meaning(bars, entries) -> None:
    """The checks add no conversion: the same numbers reach the kernel."""
    args = _kernel_inputs(bars, entries, None, size=0.5, sl_stop=0.02, tif=3).args
    assert args.size[0, 0] == 0.5 and args.sl_stop[0, 0] == 0.02 and args.tif[0, 0] == 3
    assert args.order_type[0, 0] == _nb.MARKET
