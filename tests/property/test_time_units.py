"""Results do not depend on the resolution of the bar times: on real SOL/USDT bars, an index in
``s``, ``ms``, ``us`` or ``ns``, tz-aware UTC or naive (read as UTC), as a pandas index or a
polars ``Datetime`` column, gives exactly the output of the canonical ``ns`` UTC frame -- for a
backtest, a sweep, walk-forward, the splits, lower-timeframe (intrabar) stops, the daily-loss
guard, the coordinator and ``st.data`` (validate, resample, candles from trades)."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as hs

import soltrader as st
from soltrader.engine.validation import purged_kfold, walk_forward_windows
from soltrader.risk import RiskLimits
from tests.conftest import SAMPLE, read_sample_bars

UNITS = ("s", "ms", "us", "ns")
#: 30-day windows of SOL/USDT 1h; the first two hold real exchange outages (gaps).
MAIN_STARTS = ("2023-03-10", "2021-04-15", "2023-12-05")
#: 5-day windows inside the bundled 1m bars (for the intrabar resolution).
INTRABAR_STARTS = ("2023-12-05", "2024-01-20")

unit = hs.sampled_from(UNITS)
aware = hs.booleans()
form = hs.sampled_from(("pandas", "polars"))


@cache
def _hours() -> pd.DataFrame:
    return read_sample_bars("binance", "SOL-USDT", "1h")


@cache
def _minutes() -> pd.DataFrame:
    return read_sample_bars("binance", "SOL-USDT", "1m")


@cache
def _window(start: str, days: int = 30) -> pd.DataFrame:
    t0 = pd.Timestamp(start, tz="UTC")
    bars = _hours()
    return bars[(bars.index >= t0) & (bars.index < t0 + pd.Timedelta(days=days))]


@cache
def _trades() -> pl.DataFrame:
    """Gemini SOL/USD trades of one day, times cut to whole seconds (so that every unit holds
    them exactly)."""
    raw = pl.read_parquet(SAMPLE / "gemini" / "SOL-USD" / "trades" / "2025-10-10.parquet")
    return raw.select(
        pl.col("timestamp").dt.truncate("1s"), pl.col("price"), pl.col("amount")
    ).head(4_000)


def _convert(bars: pd.DataFrame, unit: str, aware: bool, form: str = "pandas") -> Any:
    """``bars`` (canonical: ns UTC index) with its times in ``unit``, naive or UTC, as pandas
    (time index) or polars (``timestamp`` column)."""
    index = bars.index.as_unit(unit)
    if not aware:
        index = index.tz_localize(None)
    if form == "pandas":
        return bars.set_axis(index.rename("timestamp"), axis=0)
    dtype = pl.Datetime(unit, "UTC" if aware else None)
    ts = pl.Series("timestamp", bars.index.as_unit("ns").asi8, dtype=pl.Int64)
    ts = ts.cast(pl.Datetime("ns", "UTC" if aware else None)).cast(dtype)
    cols = [pl.Series(c, bars[c].to_numpy()) for c in ("open", "high", "low", "close", "volume")]
    return pl.DataFrame([ts, *cols])


def _polars_ok(unit: str, form: str) -> bool:
    return not (form == "polars" and unit == "s")  # polars has no seconds resolution


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)


# ----------------------------------------------------------------------------- the engine


@cache
def _reference_backtest(start: str):
    return st.backtest(
        _window(start), st.strategies.sma_cross, fast=8, slow=30, sl_stop=0.03, fees=0.001
    )


@settings(max_examples=20)
@given(start=hs.sampled_from(MAIN_STARTS), unit=unit, aware=aware, form=form)
@example(start=MAIN_STARTS[0], unit="s", aware=False, form="pandas")
@example(start=MAIN_STARTS[0], unit="ms", aware=True, form="pandas")
@example(start=MAIN_STARTS[0], unit="us", aware=False, form="pandas")
@example(start=MAIN_STARTS[0], unit="us", aware=True, form="polars")
@example(start=MAIN_STARTS[0], unit="ms", aware=False, form="polars")
def test_backtest_stats_trades_and_equity(start, unit, aware, form) -> None:
    assume(_polars_ok(unit, form))
    ref = _reference_backtest(start)
    data = _convert(_window(start), unit, aware, form)
    res = st.backtest(data, st.strategies.sma_cross, fast=8, slow=30, sl_stop=0.03, fees=0.001)
    stats = res.stats()
    pd.testing.assert_series_equal(stats, ref.stats(), check_exact=True)
    assert stats["periods_per_year"] == ref.periods_per_year()
    pd.testing.assert_series_equal(res.equity, ref.equity, check_exact=True)
    _same_frame(res.trades, ref.trades)
    assert str(res.equity.index.dtype) == "datetime64[ns, UTC]"


@cache
def _reference_sweep(start: str):
    return st.sweep(
        _window(start), st.strategies.sma_cross, fast=[5, 12], slow=[30, 48],
        fees=0.001, check_lookahead=False,
    )  # fmt: skip


@settings(max_examples=12)
@given(start=hs.sampled_from(MAIN_STARTS), unit=unit, aware=aware)
def test_sweep_table(start, unit, aware) -> None:
    ref = _reference_sweep(start)
    res = st.sweep(
        _convert(_window(start), unit, aware), st.strategies.sma_cross, fast=[5, 12],
        slow=[30, 48], fees=0.001, check_lookahead=False,
    )  # fmt: skip
    _same_frame(res.table, ref.table)
    _same_frame(res.returns, ref.returns)


@cache
def _reference_walk_forward(start: str):
    return st.walk_forward(
        _window(start), st.strategies.sma_cross, {"fast": [5, 12], "slow": [30]},
        train="10D", test="5D", fees=0.001,
    )  # fmt: skip


@settings(max_examples=12)
@given(start=hs.sampled_from(MAIN_STARTS), unit=unit, aware=aware, form=form)
def test_walk_forward(start, unit, aware, form) -> None:
    assume(_polars_ok(unit, form))
    ref = _reference_walk_forward(start)
    wf = st.walk_forward(
        _convert(_window(start), unit, aware, form), st.strategies.sma_cross,
        {"fast": [5, 12], "slow": [30]}, train="10D", test="5D", fees=0.001,
    )  # fmt: skip
    _same_frame(wf.windows, ref.windows)
    pd.testing.assert_series_equal(wf.equity, ref.equity, check_exact=True)
    pd.testing.assert_series_equal(wf.stats(), ref.stats(), check_exact=True)


@settings(max_examples=20)
@given(start=hs.sampled_from(MAIN_STARTS), unit=unit, aware=aware, form=form)
def test_splits(start, unit, aware, form) -> None:
    assume(_polars_ok(unit, form))
    bars = _window(start)
    data = _convert(bars, unit, aware, form)
    arg = data.index if form == "pandas" else data
    ref_folds = purged_kfold(bars.index, 5, embargo=3, label_horizon=2)
    folds = purged_kfold(arg, 5, embargo=3, label_horizon=2)
    for got, want in zip(folds, ref_folds, strict=True):
        np.testing.assert_array_equal(got.train, want.train)
        assert (got.fold, got.test, got.test_start, got.test_end) == (
            want.fold,
            want.test,
            want.test_start,
            want.test_end,
        )
        assert str(got.test_start.tz) == "UTC" and got.test_start.unit == "ns"
    windows = walk_forward_windows(arg, "7D", "3D", purge=2)
    assert windows == walk_forward_windows(bars.index, "7D", "3D", purge=2)


@cache
def _intrabar_case(start: str):
    t0 = pd.Timestamp(start, tz="UTC")
    hours = _window(start, days=5)
    minutes = _minutes()
    minutes = minutes[(minutes.index >= t0) & (minutes.index < t0 + pd.Timedelta(days=5))]
    entries = np.zeros(len(hours), dtype=bool)
    entries[::3] = True
    kw = dict(sl_stop=0.003, tp_stop=0.0036, fees=0.001)
    ref = st.backtest_signals(hours, entries, intrabar=minutes, **kw)
    plain = st.backtest_signals(hours, entries, **kw)
    # the 1m bars settle some bars that hold both levels: the check below is not vacuous
    assert not plain.trades["exit_reason"].equals(ref.trades["exit_reason"])
    return hours, minutes, entries, kw, ref


@settings(max_examples=20)
@given(
    start=hs.sampled_from(INTRABAR_STARTS),
    units=hs.tuples(unit, unit),
    aware=hs.tuples(aware, aware),
    form=form,
)
@example(start=INTRABAR_STARTS[0], units=("ns", "s"), aware=(True, False), form="pandas")
@example(start=INTRABAR_STARTS[0], units=("us", "ms"), aware=(False, True), form="polars")
def test_intrabar_resolution(start, units, aware, form) -> None:
    assume(_polars_ok(units[1], form))
    hours, minutes, entries, kw, ref = _intrabar_case(start)
    res = st.backtest_signals(
        _convert(hours, units[0], aware[0]),
        entries,
        intrabar=_convert(minutes, units[1], aware[1], form),
        **kw,
    )
    assert res.fills_records.tobytes() == ref.fills_records.tobytes()
    _same_frame(res.trades, ref.trades)


OFF = dict(
    soft_drawdown=None,
    hard_drawdown=None,
    max_open_positions=None,
    max_symbol_exposure=None,
    max_correlation=None,
    max_heat=None,
)


@cache
def _reference_guard(start: str):
    limits = RiskLimits(**OFF, daily_loss_limit=0.004)
    kw = dict(fast=5, slow=20, fill="close", leverage=3.0, risk=limits)
    ref = st.backtest(_window(start), st.strategies.sma_cross, **kw)
    refused = (ref.orders["reject_reason"] == "risk_limit").sum()
    assert refused > 0  # the guard acts in every window: the comparison is not vacuous
    return kw, ref


@settings(max_examples=16)
@given(start=hs.sampled_from(MAIN_STARTS), unit=unit, aware=aware)
@example(start=MAIN_STARTS[2], unit="s", aware=False)
def test_daily_loss_guard(start, unit, aware) -> None:
    kw, ref = _reference_guard(start)
    data = _convert(_window(start), unit, aware)
    res = st.backtest(data, st.strategies.sma_cross, **kw)
    _same_frame(res.orders, ref.orders)
    pd.testing.assert_series_equal(res.equity, ref.equity, check_exact=True)
    # the guard replayed on the equity, its days from the equity's own (converted) index
    limits = kw["risk"]
    equity = ref.equity.set_axis(data.index)
    want = limits.guard_path(ref.equity.to_numpy(), day=ref.equity.index)
    got = limits.guard_path(equity)
    for name in ("allowed", "size_multiplier", "flatten", "reason"):
        np.testing.assert_array_equal(getattr(got, name).to_numpy(), getattr(want, name))


SLEEVES = {
    "momentum": (st.strategies.momentum, {}),
    "mean_reversion": (st.strategies.mean_reversion, {"allow_short": True}),
}


@cache
def _reference_coordinate(start: str):
    return st.coordinate(_window(start), SLEEVES, rebalance="5D", fees=0.001)


@settings(max_examples=12)
@given(start=hs.sampled_from(MAIN_STARTS), unit=unit, aware=aware, form=form)
def test_coordinator(start, unit, aware, form) -> None:
    assume(_polars_ok(unit, form))
    ref = _reference_coordinate(start)
    cr = st.coordinate(_convert(_window(start), unit, aware, form), SLEEVES, rebalance="5D",
                       fees=0.001)  # fmt: skip
    pd.testing.assert_series_equal(cr.result.equity, ref.result.equity, check_exact=True)
    for name in ("attribution", "periods", "weights", "sleeve_returns", "conflicts"):
        _same_frame(getattr(cr, name), getattr(ref, name))
    _same_frame(cr.stats(), ref.stats())


# ----------------------------------------------------------------------------- st.data


@settings(max_examples=20)
@given(start=hs.sampled_from(MAIN_STARTS), unit=unit, aware=aware, form=form)
def test_data_validate_and_resample(start, unit, aware, form) -> None:
    assume(_polars_ok(unit, form))
    bars = _window(start)
    data = _convert(bars, unit, aware, form)
    ref = st.data.validate(bars, "1h")
    report = st.data.validate(data, "1h")
    _same_frame(report.findings, ref.findings)
    pd.testing.assert_series_equal(report.summary(), ref.summary(), check_exact=True)
    out = st.data.resample(data, "4h")
    if form == "polars":
        out = st.data.to_pandas(out)
    _same_frame(out, st.data.resample(bars, "4h"))


@settings(max_examples=20)
@given(unit=unit, aware=aware, form=hs.sampled_from(("index", "column", "polars")))
def test_candles_from_trades(unit, aware, form) -> None:
    assume(_polars_ok(unit, form))
    trades = _trades()
    ref = st.data.candles_from_trades(trades, "1m")
    if form == "polars":
        dtype = pl.Datetime(unit, "UTC" if aware else None)
        frame: Any = trades.with_columns(
            pl.col("timestamp").dt.replace_time_zone(None if not aware else "UTC").cast(dtype)
        )
    else:
        times = pd.DatetimeIndex(trades["timestamp"].to_pandas()).as_unit(unit)
        times = times if aware else times.tz_localize(None)
        cols = {c: trades[c].to_numpy() for c in ("price", "amount")}
        frame = pd.DataFrame(cols, index=times.rename("timestamp"))
        if form == "column":
            frame = frame.reset_index()
    _same_frame(st.data.candles_from_trades(frame, "1min"), ref)


@pytest.mark.parametrize(
    ("alias", "short"), [("240min", "4h"), ("12H", "12h"), ("1D", "1d"), ("1W", "1w")]
)
def test_timeframe_aliases_give_the_same_bars(alias: str, short: str) -> None:
    bars = _window(MAIN_STARTS[2], days=60)
    _same_frame(st.data.resample(bars, alias), st.data.resample(bars, short))


def test_a_pandas_3_date_range_annualises_per_minute() -> None:
    """The issue's case: ``pd.date_range(freq="1min")`` is a microsecond index in pandas 3."""
    bars = _minutes().iloc[:3_000]
    index = pd.date_range("2021-01-01", periods=len(bars), freq="1min", tz="UTC")
    assert index.unit == "us"
    res = st.backtest(bars.set_axis(index), st.strategies.sma_cross, fast=10, slow=40)
    assert res.periods_per_year() == 525_600.0 == st.metrics.periods_per_year("1m")
    ref = st.backtest(bars.set_axis(index.as_unit("ns")), st.strategies.sma_cross, fast=10,
                      slow=40)  # fmt: skip
    pd.testing.assert_series_equal(res.stats(), ref.stats(), check_exact=True)


@pytest.mark.parametrize("column", ["datetimes", "epoch_ms", "iso", "polars_epoch_ms"])
def test_time_columns_read_like_the_index(column: str) -> None:
    """Bars with their times in a column (datetimes in us, integer epoch ms, ISO strings;
    pandas or polars) backtest exactly as the canonical indexed frame."""
    bars = _window(MAIN_STARTS[0])
    ref = _reference_backtest(MAIN_STARTS[0])
    flat = bars.reset_index()
    if column == "datetimes":
        flat["timestamp"] = flat["timestamp"].dt.as_unit("us").dt.tz_localize(None)
    elif column == "epoch_ms":
        flat = flat.drop(columns="timestamp").assign(open_time_ms=bars.index.asi8 // 10**6)
    elif column == "iso":
        flat["timestamp"] = [t.isoformat() for t in bars.index]
    else:
        flat = pl.from_pandas(flat.drop(columns="timestamp")).with_columns(
            pl.Series("open_time_ms", bars.index.asi8 // 10**6)
        )
    res = st.backtest(flat, st.strategies.sma_cross, fast=8, slow=30, sl_stop=0.03, fees=0.001)
    pd.testing.assert_series_equal(res.stats(), ref.stats(), check_exact=True)
    pd.testing.assert_series_equal(res.equity, ref.equity, check_exact=True)


@pytest.mark.parametrize(
    ("unit", "aware", "form"),
    [
        ("s", True, "pandas"),
        ("ms", False, "pandas"),
        ("us", True, "polars"),
        ("ns", False, "polars"),
    ],
)
def test_paper_replay_does_not_depend_on_the_input_form(unit: str, aware: bool, form: str) -> None:
    """The live loop's replay gives the same records, curves and intents in every unit and form."""
    bars = _window("2021-03-01")
    kw = {"fast": 8, "slow": 30, "sl_stop": 0.03, "sl_trail": True, "fees": 0.001, "risk": None}
    ref = st.paper_replay(bars, st.strategies.sma_cross, **kw)
    res = st.paper_replay(_convert(bars, unit, aware, form), st.strategies.sma_cross, **kw)
    assert res.trades_records.tobytes() == ref.trades_records.tobytes()
    assert res.intents_records.tobytes() == ref.intents_records.tobytes()
    _same_frame(res.account_equity, ref.account_equity)
    assert len(ref.intents_records) > 0
