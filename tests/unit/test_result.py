"""Result: statistics, the figure and the HTML report of a real backtest."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.domain.enums import OrderStatus, RejectReason
from soltrader.engine.result import REJECTION_FIELDS
from soltrader.metrics import SUMMARY_FIELDS


@pytest.fixture(scope="module")
def result(sol_1h):
    return st.backtest(
        sol_1h.iloc[-5_000:],
        st.strategies.sma_cross,
        fast=20,
        slow=100,
        sl_stop=0.03,
        fees=0.001,
        slippage=0.0005,
    )


def test_stats_cover_every_metric_and_agree_with_the_records(result) -> None:
    stats = result.stats()
    assert list(stats.index) == [*SUMMARY_FIELDS, *REJECTION_FIELDS]
    closed = result.trades[~result.trades["is_open"]]
    assert stats["n_trades"] == len(closed)
    assert stats["end_value"] == pytest.approx(result.equity.iloc[-1])
    assert stats["total_return"] == pytest.approx(result.equity.iloc[-1] / 10_000.0 - 1.0)
    assert stats["fees_paid"] == pytest.approx(result.fills["fees"].sum())
    assert stats["periods_per_year"] == 8760.0
    assert 0.0 <= stats["exposure"] <= 1.0


def test_trades_are_consistent_with_fills(result) -> None:
    trades, fills = result.trades, result.fills
    assert (trades["entry_time"] <= trades["exit_time"].fillna(trades["entry_time"])).all()
    np.testing.assert_allclose(
        trades["entry_fees"].sum() + trades["exit_fees"].sum(), fills["fees"].sum(), rtol=1e-9
    )
    assert set(trades["exit_reason"]) <= {"signal", "stop_loss", "end_of_data"}


def test_plot_has_price_equity_and_drawdown(result) -> None:
    fig = result.plot()
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels == ["price", "equity", "drawdown %"]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "entry (buy)" in legend and any(t.startswith("exit: ") for t in legend)


def test_report_is_one_self_contained_file(result, tmp_path) -> None:
    path = result.report(tmp_path / "sub" / "report.html", title="SOL sma")
    html = open(path, encoding="utf-8").read()
    assert html.startswith("<!doctype html>") and "SOL sma" in html
    assert "data:image/png;base64," in html and "<script" not in html and "http" not in html
    assert html.count("<tr>") > len(result.trades)  # stats rows + every trade


@pytest.fixture(scope="module")
def btc_eth(sol_1h) -> dict[str, pd.DataFrame]:
    """Bundled BTC/USDT and ETH/USDT 1h bars on their common index."""
    from tests.conftest import read_sample_bars

    btc = read_sample_bars("binance", "BTC-USDT", "1h")
    eth = read_sample_bars("binance", "ETH-USDT", "1h")
    common = btc.index.intersection(eth.index)
    return {"BTC": btc.loc[common], "ETH": eth.loc[common]}


def test_entries_rejected_for_cash_are_counted_and_warned_about_once(btc_eth) -> None:
    # two assets on one account, each entry sized to spend all the cash: while one position is
    # open, the other asset's entries are refused
    with pytest.warns(st.InsufficientCashWarning) as caught:
        res = st.backtest(btc_eth, st.strategies.sma_cross)
    assert len(caught) == 1
    orders = res.orders
    refused = orders[
        (orders["status"] == "rejected") & (orders["reject_reason"] == "insufficient_cash")
    ]
    n = len(refused)
    assert n > 100  # 154 on the bundled data
    message = str(caught[0].message)
    assert f"{n} entries rejected for lack of cash: 2 assets share 1 account(s)" in message
    assert "accounts=[0, 1]" in message and "size=0.5" in message
    stats = res.stats()
    assert stats["rejected_insufficient_cash"] == n
    assert stats["n_rejected"] == (orders["status"] == "rejected").sum()
    assert stats[list(REJECTION_FIELDS[1:])].sum() == stats["n_rejected"]
    assert res.rejections()["insufficient_cash"] == n


def test_no_warning_and_zero_counts_when_nothing_is_refused(btc_eth) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", st.InsufficientCashWarning)
        res = st.backtest(btc_eth, st.strategies.sma_cross, accounts=[0, 1])
    stats = res.stats()
    assert stats["rejected_insufficient_cash"] == 0 and stats["n_rejected"] == 0
    assert set(stats[list(REJECTION_FIELDS)]) == {0.0}


def test_empty_data_is_a_data_error_not_an_index_error(sol_1h) -> None:
    empty = sol_1h.iloc[:0]
    with pytest.raises(st.DataError, match="no bars"):
        st.backtest(empty, st.strategies.sma_cross)
    with pytest.raises(st.DataError, match="no bars"):
        st.backtest_signals(empty, np.zeros(0, dtype=bool))
    one = st.backtest(sol_1h.iloc[:1], st.strategies.sma_cross)
    assert repr(one) == "Result(1 asset(s) x 1 bars, 0 trades, equity 10,000.00 -> 10,000.00)"


def test_repr_of_a_result_without_bars_says_so(result) -> None:
    import dataclasses

    empty = dataclasses.replace(
        result,
        market=dataclasses.replace(
            result.market,
            **{
                f: getattr(result.market, f)[:0] for f in ("open", "high", "low", "close", "volume")
            },
            index=result.market.index[:0],
        ),
        account_cash=result.account_cash.iloc[:0],
        account_equity=result.account_equity.iloc[:0],
    )
    assert repr(empty).endswith("equity 10,000.00 -> (no bars))")


def test_the_warning_names_a_ruined_account_rather_than_the_size(result) -> None:
    import dataclasses

    orders = result.orders_records.copy()
    k = len(orders) // 2
    orders["status"][k] = int(OrderStatus.REJECTED)
    orders["reject_reason"][k] = int(RejectReason.INSUFFICIENT_CASH)
    equity = result.account_equity.copy()
    equity.iloc[int(orders["exec_bar"][k]), 0] = 3.0  # of 10,000 at the start: ruined
    ruined = dataclasses.replace(result, orders_records=orders, account_equity=equity)
    with pytest.warns(st.InsufficientCashWarning, match=r"1 entry rejected .* worth 3\.00 "):
        ruined._warn_insufficient_cash()
    equity.iloc[int(orders["exec_bar"][k]), 0] = 5_000.0
    alive = dataclasses.replace(result, orders_records=orders, account_equity=equity)
    with pytest.warns(st.InsufficientCashWarning, match="give a smaller size"):
        alive._warn_insufficient_cash()


@pytest.mark.parametrize("spot", ["middle", "first", "last"])
@pytest.mark.parametrize("ruin", [False, True])
def test_a_nan_in_the_equity_counts_as_the_row_sums_do(result, spot: str, ruin: bool) -> None:
    """The statistics read the account's value as its row sums (``Result.equity``), which skip
    a NaN: a one-account curve with a NaN value has the statistics of that curve with 0.0 in its
    place (the statistics' own pass finds the NaN, no pass of its own), already ruined or not."""
    import dataclasses

    n = len(result.account_equity)
    at = {"middle": n // 2, "first": 0, "last": n - 1}[spot]
    with_nan = result.account_equity.copy()
    if ruin:
        with_nan.iloc[n // 3, 0] = -1.0
    summed = with_nan.copy()
    with_nan.iloc[at, 0] = np.nan
    summed.iloc[at, 0] = 0.0
    got = dataclasses.replace(result, account_equity=with_nan).stats()
    want = dataclasses.replace(result, account_equity=summed).stats()
    assert np.array_equal(got.to_numpy(), want.to_numpy(), equal_nan=True)
    assert got["total_return"] == -1.0 and got["max_drawdown"] == 1.0  # a value of 0.0 ruins
    clean = result.stats()
    assert np.array_equal(
        dataclasses.replace(result, account_equity=result.account_equity.copy()).stats(),
        clean,
        equal_nan=True,
    )
