"""Result: statistics, the figure and the HTML report of a real backtest."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import soltrader as st
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
    assert list(stats.index) == list(SUMMARY_FIELDS)
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
