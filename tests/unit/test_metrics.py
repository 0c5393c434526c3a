"""soltrader.metrics: golden values from empyrical / vectorbt, degenerate cases, input checks."""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pandas as pd
import pytest

import soltrader.metrics as sm
from soltrader.domain.errors import ParameterError
from soltrader.metrics import _nb

HERE = Path(__file__).resolve().parent
GOLDEN = json.loads((HERE.parent / "golden" / "metrics_reference.json").read_text())
REL = GOLDEN["rel_tol"]
METRICS_DIR = HERE.parents[1] / "soltrader" / "metrics"


def close_enough(ours: float, ref: float, rel: float = REL) -> bool:
    if math.isnan(ref) or math.isinf(ref):
        return (math.isnan(ours) and math.isnan(ref)) or ours == ref
    return math.isclose(ours, ref, rel_tol=rel, abs_tol=1e-15)


# ------------------------------------------------------------------ golden: returns-based metrics


def returns_metric(name: str, r: Any, ppy: float, rf: float) -> float:
    """Our value of a returns-based reference entry, computed from returns ``r``."""
    anchored = sm.equity_from_returns(r)
    calls = {
        "total_return": lambda: sm.total_return(r),
        "annualized_return": lambda: sm.annualized_return(r, periods_per_year=ppy),
        "annualized_volatility": lambda: sm.annualized_volatility(r, periods_per_year=ppy),
        "sharpe": lambda: sm.sharpe_ratio(r, periods_per_year=ppy),
        "sharpe_rf": lambda: sm.sharpe_ratio(r, periods_per_year=ppy, risk_free=rf),
        "sortino": lambda: sm.sortino_ratio(r, periods_per_year=ppy),
        "sortino_rf": lambda: sm.sortino_ratio(r, periods_per_year=ppy, risk_free=rf),
        "downside_deviation": lambda: sm.downside_deviation(r, periods_per_year=ppy),
        "calmar": lambda: sm.calmar_ratio(r, periods_per_year=ppy),
        "max_drawdown": lambda: sm.max_drawdown(anchored, init_cash=1.0),
        "max_drawdown_value_based": lambda: sm.max_drawdown(anchored, init_cash=1.0),
        "max_drawdown_duration_bars": lambda: sm.max_drawdown_duration(anchored, init_cash=1.0),
        "deepest_drawdown_duration_bars": lambda: sm.max_drawdown_duration(
            anchored, init_cash=1.0, deepest=True
        ),
    }
    return float(calls[name]())


def reference_rows(case: str) -> list[tuple[str, str, float]]:
    refs = GOLDEN[case]["references"]
    return [
        (metric, lib, entry["value"])
        for metric, by_lib in refs.items()
        if metric != "vectorbt_max_duration_raw"
        for lib, entry in by_lib.items()
    ]


@pytest.mark.parametrize(("metric", "lib", "ref"), reference_rows("hand"))
def test_hand_series_matches_references(metric: str, lib: str, ref: float) -> None:
    case = GOLDEN["hand"]
    ours = returns_metric(metric, np.array(case["returns"]), 365.0, case["risk_free_per_year"])
    assert close_enough(ours, ref), (metric, lib, ours, ref)


@pytest.mark.parametrize("metric", sorted(GOLDEN["hand"]["by_hand"]))
def test_hand_series_matches_hand_computation(metric: str) -> None:
    case = GOLDEN["hand"]
    ours = returns_metric(metric, case["returns"], 365.0, case["risk_free_per_year"])
    assert close_enough(ours, case["by_hand"][metric]), (metric, ours)


def test_hand_series_readable_values() -> None:
    r = GOLDEN["hand"]["returns"]
    assert round(sm.sharpe_ratio(r, timeframe="1d"), 4) == 1.5657
    assert round(sm.sortino_ratio(r, timeframe="1d"), 4) == 2.4166
    s = sm.summary(returns=r, timeframe="1d")
    assert s["max_drawdown"] == pytest.approx(0.2, rel=1e-12)
    assert (s["max_drawdown_duration_bars"], s["deepest_drawdown_duration_bars"]) == (4.0, 1.0)


@pytest.fixture(scope="module")
def sol_close(sol_1h: pd.DataFrame) -> pd.Series:
    return sol_1h["close"]


def test_sol_input_is_the_recorded_one(sol_close: pd.Series) -> None:
    case = GOLDEN["sol_1h_buy_and_hold"]
    assert len(sol_close) == case["n_bars"]
    assert (sol_close.iloc[0], sol_close.iloc[-1]) == (case["first_close"], case["last_close"])


@pytest.mark.parametrize(("metric", "lib", "ref"), reference_rows("sol_1h_buy_and_hold"))
def test_sol_buy_and_hold_matches_references(
    metric: str, lib: str, ref: float, sol_close: pd.Series
) -> None:
    case = GOLDEN["sol_1h_buy_and_hold"]
    rf = case["risk_free_per_year"]
    if metric in ("max_drawdown_value_based", "max_drawdown_duration_bars"):
        ours = float(
            sm.max_drawdown(sol_close)
            if metric == "max_drawdown_value_based"
            else sm.max_drawdown_duration(sol_close)
        )
    elif metric == "deepest_drawdown_duration_bars":
        ours = float(sm.max_drawdown_duration(sol_close, deepest=True))
    else:
        ours = returns_metric(metric, sm.returns_from_equity(sol_close), 8760.0, rf)
    assert close_enough(ours, ref), (metric, lib, ours, ref)


def test_sol_summary_matches_references(sol_close: pd.Series) -> None:
    refs = GOLDEN["sol_1h_buy_and_hold"]["references"]
    s = sm.summary(sol_close, timeframe="1h", risk_free=0.0)
    for name in (
        "total_return",
        "annualized_return",
        "annualized_volatility",
        "sharpe",
        "sortino",
        "calmar",
        "max_drawdown",
        "max_drawdown_duration_bars",
    ):
        for lib, entry in refs[name].items():
            assert close_enough(s[name], entry["value"]), (name, lib)
    assert s["n_bars"] == len(sol_close) and s["periods_per_year"] == 8760.0
    assert s[["exposure", "n_trades", "turnover"]].isna().all()


def test_duration_differs_from_vectorbt_by_the_stated_rule() -> None:
    for case in ("hand", "sol_1h_buy_and_hold", "sol_1h_sma_portfolio"):
        refs = GOLDEN[case]["references"]
        ours = refs["max_drawdown_duration_bars"]["vectorbt"]["value"]
        raw = refs["vectorbt_max_duration_raw"]["vectorbt"]["value"]
        assert ours - raw in (0.0, 1.0), case


# ------------------------------------------------------------------ golden: vectorbt portfolio


@pytest.fixture(scope="module")
def sma_summary() -> pd.Series:
    case = GOLDEN["sol_1h_sma_portfolio"]
    return sm.summary(
        case["value"],
        trades=case["trades"],
        positions=case["assets"],
        timeframe="1h",
        init_cash=case["init_cash"],
    )


@pytest.mark.parametrize(
    ("metric", "lib", "ref"),
    [row for row in reference_rows("sol_1h_sma_portfolio") if row[0] != "max_drawdown_value_based"],
)
def test_vectorbt_portfolio_summary(metric: str, lib: str, ref: float, sma_summary: pd.Series):
    assert close_enough(sma_summary[metric], ref), (metric, lib, sma_summary[metric], ref)


def test_vectorbt_portfolio_value_based_drawdown() -> None:
    case = GOLDEN["sol_1h_sma_portfolio"]
    ref = case["references"]["max_drawdown_value_based"]["vectorbt"]["value"]
    assert close_enough(sm.max_drawdown(case["value"]), ref)


def test_vectorbt_portfolio_trade_functions() -> None:
    case = GOLDEN["sol_1h_sma_portfolio"]
    refs = case["references"]
    ta = sm.trade_arrays(case["trades"])
    assert sm.n_trades(ta.pnl) == refs["n_trades"]["vectorbt"]["value"]
    checks = {
        "win_rate": sm.win_rate(ta.pnl),
        "profit_factor": sm.profit_factor(ta.pnl),
        "expectancy": sm.expectancy(ta.pnl),
        "avg_win": sm.avg_win(ta.pnl),
        "avg_loss": sm.avg_loss(ta.pnl),
        "win_loss_ratio": sm.win_loss_ratio(ta.pnl),
        "best_trade": sm.best_trade(ta.ret),
        "worst_trade": sm.worst_trade(ta.ret),
        "fees_paid": sm.fees_paid(ta.fees),
        "turnover": sm.turnover(ta.notional, case["value"]),
        "annualized_turnover": sm.annualized_turnover(ta.notional, case["value"], timeframe="1h"),
        "exposure": sm.exposure(case["assets"]),
    }
    for name, ours in checks.items():
        assert close_enough(ours, refs[name]["vectorbt"]["value"]), name


SPLIT = {
    "pnl": [5.0, np.nan],
    "return": [0.05, np.nan],
    "entry_fees": [0.1, 0.2],
    "exit_fees": [0.1, np.nan],
    "size": [1.0, 2.0],
    "entry_price": [100.0, 50.0],
    "exit_price": [105.0, np.nan],
    "is_open": [False, True],
}


def test_open_trade_may_have_nan_exit_fields() -> None:
    ta = sm.trade_arrays(SPLIT)
    assert ta.pnl.tolist() == [5.0] and ta.ret.tolist() == [0.05]
    np.testing.assert_allclose(ta.fees, [0.2, 0.2])
    np.testing.assert_allclose(ta.notional, [205.0, 100.0])


@pytest.mark.parametrize(
    ("field", "value", "name"),
    [
        ("exit_price", [np.nan, 1.0], "trades['exit_price']"),
        ("pnl", [np.nan, 1.0], "trades['pnl']"),
        ("entry_fees", [0.1], "trades"),
        ("is_open", [0.5, 1.0], "trades"),
    ],
)
def test_trade_fields_are_checked_where_they_matter(field: str, value: list, name: str) -> None:
    with pytest.raises(ParameterError) as info:
        sm.trade_arrays({**SPLIT, field: value})
    assert info.value.name == name


def test_open_trade_counts_only_its_entry_leg() -> None:
    trades = GOLDEN["sol_1h_sma_portfolio"]["trades"]
    assert trades["is_open"][-1] is True
    ta = sm.trade_arrays(trades)
    assert len(ta.pnl) == len(trades["pnl"]) - 1 == len(ta.ret)
    assert ta.fees[-1] == trades["entry_fees"][-1]
    assert ta.notional[-1] == pytest.approx(trades["size"][-1] * trades["entry_price"][-1])


# ------------------------------------------------------------------ annualisation


@pytest.mark.parametrize(
    ("tf", "expected"),
    [
        ("1m", 525_600.0),
        ("15m", 35_040.0),
        ("1h", 8760.0),
        ("4h", 2190.0),
        ("1d", 365.0),
        ("1w", 365 / 7),
        ("1s", 31_536_000.0),
    ],
)
def test_periods_per_year(tf: str, expected: float) -> None:
    assert sm.periods_per_year(tf) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("tf", ["1M", "0h", "h", 60, "1y"])
def test_periods_per_year_rejects_bad_timeframes(tf: Any) -> None:
    with pytest.raises(ParameterError, match="timeframe"):
        sm.periods_per_year(tf)


def test_timeframe_and_periods_per_year_agree() -> None:
    r = [0.01, -0.02, 0.03, 0.0]
    assert sm.sharpe_ratio(r, timeframe="4h") == sm.sharpe_ratio(r, periods_per_year=2190)


def test_risk_free_is_per_year_and_converted_per_bar() -> None:
    r = np.array([0.01, -0.02, 0.03, 0.005])
    rf_bar = 1.05 ** (1 / 365) - 1
    direct = (r - rf_bar).mean() / (r - rf_bar).std(ddof=1) * math.sqrt(365)
    assert sm.sharpe_ratio(r, timeframe="1d", risk_free=0.05) == pytest.approx(direct, rel=1e-12)
    assert sm.sharpe_ratio(r, timeframe="1d", risk_free=0.05) < sm.sharpe_ratio(r, timeframe="1d")


# ------------------------------------------------------------------ degenerate inputs


def test_constant_equity() -> None:
    s = sm.summary([100.0] * 5, timeframe="1h")
    assert s["total_return"] == 0.0 and s["annualized_return"] == 0.0
    assert s["annualized_volatility"] == 0.0
    assert s["max_drawdown"] == 0.0 and s["max_drawdown_duration_bars"] == 0.0
    assert s[["sharpe", "sortino", "calmar"]].isna().all()


def test_one_bar_equity_has_no_returns() -> None:
    s = sm.summary([100.0], timeframe="1h")
    assert s["total_return"] == 0.0 and s["n_bars"] == 1.0
    assert s[["annualized_return", "annualized_volatility", "sharpe", "sortino"]].isna().all()
    assert s["max_drawdown"] == 0.0


def test_zero_std_sharpe_is_signed_infinity() -> None:
    assert sm.sharpe_ratio([0.01, 0.01, 0.01], timeframe="1d") == math.inf
    assert sm.sharpe_ratio([-0.01, -0.01], timeframe="1d") == -math.inf
    assert math.isnan(sm.sharpe_ratio([0.0, 0.0], timeframe="1d"))
    assert math.isnan(sm.sharpe_ratio([0.05], timeframe="1d"))
    assert sm.annualized_volatility([0.01, 0.01], timeframe="1d") == 0.0


def test_sortino_without_downside() -> None:
    assert sm.sortino_ratio([0.01, 0.02], timeframe="1d") == math.inf
    assert math.isnan(sm.sortino_ratio([0.0, 0.0], timeframe="1d"))
    assert sm.downside_deviation([0.01, 0.02], timeframe="1d") == 0.0


def test_calmar_without_drawdown() -> None:
    assert sm.calmar_ratio([0.01, 0.02], timeframe="1d") == math.inf
    assert math.isnan(sm.calmar_ratio([0.0, 0.0], timeframe="1d"))


def test_total_loss_return_is_allowed() -> None:
    r = [0.1, -1.0, 0.0]
    assert sm.total_return(r) == -1.0
    assert sm.annualized_return(r, timeframe="1d") == -1.0
    s = sm.summary(returns=r, timeframe="1d")
    assert (s["max_drawdown"], s["end_value"], s["calmar"]) == (1.0, 0.0, -1.0)
    with pytest.raises(ParameterError, match="equity"):  # a wiped-out account has no returns
        sm.returns_from_equity(sm.equity_from_returns(r))


@pytest.mark.parametrize(
    ("pnl", "pf", "wl", "wr"),
    [
        ([], math.nan, math.nan, math.nan),
        ([0.0, 0.0], math.nan, math.nan, 0.0),
        ([1.0, 2.0], math.inf, math.inf, 1.0),
        ([-1.0, -2.0], 0.0, 0.0, 0.0),
        ([3.0, -1.0, 0.0, -2.0], 1.0, 2.0, 0.25),
    ],
)
def test_trade_ratios_edge_cases(pnl: list[float], pf: float, wl: float, wr: float) -> None:
    assert close_enough(sm.profit_factor(pnl), pf)
    assert close_enough(sm.win_loss_ratio(pnl), wl)
    assert close_enough(sm.win_rate(pnl), wr)


def test_trade_metrics_without_trades() -> None:
    assert sm.n_trades([]) == 0
    assert math.isnan(sm.expectancy([])) and math.isnan(sm.avg_win([]))
    assert math.isnan(sm.avg_loss([])) and math.isnan(sm.best_trade([]))
    assert math.isnan(sm.worst_trade([]))
    assert sm.fees_paid([]) == 0.0 and sm.turnover([], [100.0, 101.0]) == 0.0


def test_trade_metrics_small_example() -> None:
    pnl = [30.0, -10.0, 0.0, -20.0, 40.0]
    assert sm.win_rate(pnl) == 0.4
    assert sm.profit_factor(pnl) == pytest.approx(70 / 30)
    assert sm.expectancy(pnl) == 8.0
    assert (sm.avg_win(pnl), sm.avg_loss(pnl)) == (35.0, -15.0)
    assert sm.win_loss_ratio(pnl) == pytest.approx(35 / 15)


def test_summary_with_empty_trades() -> None:
    trades = {"pnl": [], "ret": [], "fees": [], "notional": []}
    s = sm.summary([100.0, 101.0], trades=trades, timeframe="1h")
    assert s["n_trades"] == 0.0 and s["fees_paid"] == 0.0 and s["turnover"] == 0.0
    assert s[["win_rate", "profit_factor", "expectancy", "best_trade"]].isna().all()


# ------------------------------------------------------------------ drawdown conventions


def test_init_cash_is_the_first_peak() -> None:
    assert sm.max_drawdown([90.0, 95.0]) == pytest.approx(0.0)
    assert sm.max_drawdown([90.0, 95.0], init_cash=100.0) == pytest.approx(0.1)
    assert sm.max_drawdown_duration([90.0, 95.0, 100.0], init_cash=100.0) == 3
    assert sm.max_drawdown_duration([90.0, 95.0], init_cash=100.0) == 2


def test_duration_spans() -> None:
    eq = [10.0, 9.0, 10.0, 10.0, 8.0, 9.0, 9.5, 11.0, 10.5]
    # peak bar 0 -> recovered bar 2 (span 2); peak moves to bar 3 -> recovered bar 7 (span 4,
    # deepest, 20 %); peak bar 7 -> open at the end (span 1)
    assert sm.max_drawdown_duration(eq) == 4
    assert sm.max_drawdown_duration(eq, deepest=True) == 4
    assert sm.max_drawdown(eq) == pytest.approx(0.2)
    assert sm.max_drawdown_duration([1.0, 2.0, 3.0]) == 0


def test_drawdown_series_keeps_the_index() -> None:
    idx = pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC")
    out = sm.drawdown(pd.Series([100.0, 80.0, 120.0], index=idx))
    assert isinstance(out, pd.Series) and out.index.equals(idx)
    np.testing.assert_allclose(out.to_numpy(), [0.0, 0.2, 0.0])


def test_returns_from_equity_index_and_lengths() -> None:
    idx = pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC")
    eq = pd.Series([100.0, 110.0, 99.0], index=idx, name="equity")
    plain = sm.returns_from_equity(eq)
    with_cash = sm.returns_from_equity(eq, init_cash=50.0)
    assert plain.index.equals(idx[1:]) and with_cash.index.equals(idx)
    np.testing.assert_allclose(with_cash.to_numpy(), [1.0, 0.1, -0.1])
    np.testing.assert_allclose(sm.equity_from_returns(with_cash, start_value=50.0), eq)


def test_returns_path_equals_equity_path() -> None:
    eq = np.array([101.0, 99.0, 104.0, 97.0, 110.0, 108.0])
    pos = [1, 1, 0, 1, 1, 0]
    trades = {
        "pnl": [5.0, -2.0],
        "ret": [0.05, -0.02],
        "fees": [0.1, 0.2],
        "notional": [200.0, 210.0],
    }
    a = sm.summary(eq, trades=trades, positions=pos, timeframe="1d", init_cash=100.0)
    r = sm.returns_from_equity(eq, init_cash=100.0)
    b = sm.summary(returns=r, trades=trades, positions=pos, timeframe="1d", init_cash=100.0)
    pd.testing.assert_series_equal(a, b, rtol=1e-12)


# ------------------------------------------------------------------ summary shape


def test_summary_names_are_stable() -> None:
    s = sm.summary([1.0, 1.1, 1.05], periods_per_year=365)
    assert tuple(s.index) == sm.SUMMARY_FIELDS and s.dtype == np.float64
    required = {
        "total_return",
        "annualized_return",
        "annualized_volatility",
        "sharpe",
        "sortino",
        "calmar",
        "max_drawdown",
        "max_drawdown_duration_bars",
        "win_rate",
        "profit_factor",
        "expectancy",
        "avg_win",
        "avg_loss",
        "win_loss_ratio",
        "exposure",
        "turnover",
        "fees_paid",
        "n_trades",
        "start_value",
        "end_value",
    }
    assert required <= set(s.index)
    assert (s["start_value"], s["end_value"]) == (1.0, 1.05)


def test_summary_accepts_trade_frames_and_record_arrays() -> None:
    dt = np.dtype(
        [
            ("pnl", "f8"),
            ("return", "f8"),
            ("entry_fees", "f8"),
            ("exit_fees", "f8"),
            ("size", "f8"),
            ("entry_price", "f8"),
            ("exit_price", "f8"),
        ]
    )
    rec = np.array(
        [(5.0, 0.05, 0.1, 0.1, 1.0, 100.0, 105.0), (-3.0, -0.03, 0.1, 0.1, -1.0, 100.0, 103.0)],
        dtype=dt,
    )
    eq = [100.0, 102.0, 101.0, 102.0]
    a = sm.summary(eq, trades=rec, timeframe="1h")
    b = sm.summary(eq, trades=pd.DataFrame(rec), timeframe="1h")
    pd.testing.assert_series_equal(a, b)
    assert a["fees_paid"] == pytest.approx(0.4)
    assert a["turnover"] == pytest.approx(408.0 / np.mean(eq))
    assert a["annualized_turnover"] == pytest.approx(408.0 / np.mean(eq) * 8760 / 4)


def test_polars_inputs() -> None:
    pl = pytest.importorskip("polars")
    trades = pl.DataFrame(
        {"pnl": [1.0, -1.0], "ret": [0.01, -0.01], "fees": [0.1, 0.1], "notional": [100.0, 100.0]}
    )
    s = sm.summary(pl.Series([100.0, 101.0, 100.5]), trades=trades, timeframe="1h")
    assert s["n_trades"] == 2.0 and s["win_rate"] == 0.5


def test_exposure() -> None:
    assert sm.exposure([0, 1, 1, 0]) == 0.5
    assert sm.exposure(np.array([True, False, False, False])) == 0.25
    s = sm.summary([1.0, 1.1, 1.2], positions=[0.0, 2.0, -1.0], timeframe="1h")
    assert s["exposure"] == pytest.approx(2 / 3)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: sm.max_drawdown([100.0, np.nan]), "equity"),
        (lambda: sm.max_drawdown([100.0, 0.0]), "equity"),
        (lambda: sm.max_drawdown([100.0, -5.0]), "equity"),
        (lambda: sm.max_drawdown([]), "equity"),
        (lambda: sm.max_drawdown(np.ones((2, 2))), "equity"),
        (lambda: sm.max_drawdown(pd.DataFrame({"a": [1.0]})), "equity"),
        (lambda: sm.max_drawdown(["a", "b"]), "equity"),
        (lambda: sm.max_drawdown([1.0], init_cash=0.0), "init_cash"),
        (lambda: sm.max_drawdown([1.0], init_cash=True), "init_cash"),
        (lambda: sm.total_return([0.1, -1.5]), "returns"),
        (lambda: sm.total_return([0.1, np.inf]), "returns"),
        (lambda: sm.sharpe_ratio([0.1, 0.2]), "timeframe"),
        (lambda: sm.sharpe_ratio([0.1, 0.2], timeframe="1h", periods_per_year=8760), "timeframe"),
        (lambda: sm.sharpe_ratio([0.1, 0.2], periods_per_year=0), "periods_per_year"),
        (lambda: sm.sharpe_ratio([0.1, 0.2], timeframe="1d", risk_free=-1.0), "risk_free"),
        (lambda: sm.equity_from_returns([0.1], start_value=-1.0), "start_value"),
        (lambda: sm.fees_paid([0.1, -0.2]), "fees"),
        (lambda: sm.exposure([0.0, np.nan]), "positions"),
        (lambda: sm.turnover([1.0], [100.0, 0.0]), "equity"),
        (lambda: sm.summary(timeframe="1h"), "equity"),
        (lambda: sm.summary([1.0], returns=[0.1], timeframe="1h"), "equity"),
        (lambda: sm.summary([1.0, 2.0], positions=[1.0], timeframe="1h"), "positions"),
        (lambda: sm.summary(returns=[0.1], trades={"pnl": []}, timeframe="1h"), "init_cash"),
        (lambda: sm.summary([1.0], trades={"pnl": [1.0]}, timeframe="1h"), "trades"),
        (lambda: sm.summary([1.0], trades=[1.0, 2.0], timeframe="1h"), "trades"),
        (
            lambda: sm.trade_arrays(
                {"pnl": [1.0], "ret": [0.1], "fees": [-1.0], "notional": [1.0]}
            ),
            "trades['fees']",
        ),
        (
            lambda: sm.trade_arrays(
                {"pnl": [1.0, 2.0], "ret": [0.1], "fees": [1.0, 1.0], "notional": [1.0, 1.0]}
            ),
            "trades",
        ),
        (
            lambda: sm.trade_arrays(
                {
                    "pnl": [1.0],
                    "ret": [0.1],
                    "fees": [1.0],
                    "notional": [1.0],
                    "is_open": [True, False],
                }
            ),
            "trades",
        ),
    ],
)
def test_bad_input_raises_parameter_error_naming_the_argument(call: Any, name: str) -> None:
    with pytest.raises(ParameterError) as info:
        call()
    assert info.value.name == name
    assert str(info.value).startswith(f"{name}: ")


def test_error_message_names_the_row() -> None:
    with pytest.raises(ParameterError, match=r"row 1 is nan"):
        sm.max_drawdown(pd.Series([1.0, None, 2.0], dtype="Float64"))
    with pytest.raises(ParameterError, match=r"row 2 is nan"):
        sm.returns_from_equity([1.0, 2.0, np.nan])
    with pytest.raises(ParameterError, match=r"row 1 is -1.5; expected per-bar returns"):
        sm.total_return([0.0, -1.5])


# ------------------------------------------------------------------ kernels fuse into njit code


@numba.njit(cache=False)
def _fused_nb(equity: np.ndarray, pnl: np.ndarray, ppy: float) -> tuple[float, float, float]:
    rets = _nb.returns_from_equity_nb(equity, np.nan)
    sharpe = _nb.sharpe_ratio_nb(rets, ppy, 0.0)
    max_dd, _, _ = _nb.drawdown_stats_nb(equity, np.nan)
    return sharpe, max_dd, _nb.profit_factor_nb(pnl)


def test_kernels_are_callable_from_njit_code() -> None:
    eq = np.array([100.0, 103.0, 99.0, 104.0, 101.0])
    pnl = np.array([4.0, -2.0])
    sharpe, max_dd, pf = _fused_nb(eq, pnl, 8760.0)
    assert sharpe == sm.sharpe_ratio(sm.returns_from_equity(eq), timeframe="1h")
    assert max_dd == sm.max_drawdown(eq) and pf == sm.profit_factor(pnl) == 2.0


# ------------------------------------------------------------------ the pure-centre rule


ALLOWED_IMPORTS = (
    "numpy",
    "numba",
    "pandas",
    "__future__",
    "typing",
    "math",
    "soltrader.domain",
    "soltrader.data.timeframes",
    "soltrader.metrics",
)


def test_metrics_imports_only_the_pure_centre() -> None:
    files = sorted(METRICS_DIR.glob("*.py"))
    assert files
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                ok = any(name == a or name.startswith(a + ".") for a in ALLOWED_IMPORTS)
                assert ok, f"{path.name} imports {name}"
