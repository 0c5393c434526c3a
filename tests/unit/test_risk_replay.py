"""Account guards in the replay: each guard demonstrated by a path that breaches it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.data.schema import ohlcv_frame
from soltrader.risk import RiskLimits
from soltrader.risk.nb import guard_path_nb

OFF = dict(
    daily_loss_limit=None,
    soft_drawdown=None,
    hard_drawdown=None,
    max_open_positions=None,
    max_symbol_exposure=None,
    max_correlation=None,
    max_heat=None,
)


def bars(closes: list[float], step_ms: int = 3_600_000) -> pd.DataFrame:
    """Bars whose open is the previous close and whose range is the two of them."""
    c = np.asarray(closes, dtype=float)
    o = np.concatenate([[c[0]], c[:-1]])
    t = 1_700_006_400_000 + step_ms * np.arange(len(c))  # 2023-11-15 00:00 UTC
    return ohlcv_frame(t, o, np.maximum(o, c), np.minimum(o, c), c, np.full(len(c), 1e6))


def flags(n: int, at: list[int]) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[at] = True
    return out


def test_hard_drawdown_flattens_at_the_breach_close_and_halts_for_good() -> None:
    closes = [100, 100, 95, 90, 85, 79, 85, 100, 110, 120, 125, 130]
    data = bars(closes)
    n = len(closes)
    res = st.backtest_signals(
        data,
        flags(n, [1, 8]),
        None,
        fill="close",
        risk=RiskLimits(**{**OFF, "hard_drawdown": 0.2}),
    )
    trades = res.trades
    assert trades["exit_reason"].tolist() == ["risk_guard"]
    assert trades["exit_bar"].tolist() == [5]  # 10,000 * 79 / 100 = 7,900 <= 8,000
    assert trades["exit_price"].tolist() == [79.0]
    assert (res.positions.iloc[5:, 0] == 0.0).all()  # flat from the breach on
    np.testing.assert_allclose(res.equity.iloc[5:], 7_900.0, rtol=0, atol=1e-9)
    refused = res.orders[res.orders["status"] == "rejected"]
    assert refused["decision_bar"].tolist() == [8]
    assert refused["reject_reason"].tolist() == ["risk_limit"]


def test_hard_drawdown_with_next_open_fills_exits_at_the_next_open() -> None:
    closes = [100, 100, 95, 90, 85, 79, 78, 100, 110]
    res = st.backtest_signals(
        bars(closes),
        flags(len(closes), [0]),
        None,
        risk=RiskLimits(**{**OFF, "hard_drawdown": 0.2}),
    )
    trade = res.trades.iloc[0]
    assert trade["exit_reason"] == "risk_guard" and trade["exit_bar"] == 6
    assert trade["exit_price"] == 79.0  # bar 6 opens at bar 5's close
    assert res.positions.iloc[-1, 0] == 0.0


def test_daily_loss_limit_refuses_entries_until_the_next_day() -> None:
    # hourly bars from midnight: a 6 % loss on day one, an exit, then entry signals on both days
    closes = [100.0] * 3 + [94.0] * 6 + [94.0] * 15 + [94.0] * 4
    n = len(closes)
    entries = flags(n, [1, 10, 25])
    exits = flags(n, [5])
    res = st.backtest_signals(
        bars(closes),
        entries,
        exits,
        fill="close",
        risk=RiskLimits(**{**OFF, "daily_loss_limit": 0.05}),
    )
    refused = res.orders[res.orders["status"] == "rejected"]
    assert refused["decision_bar"].tolist() == [10]
    assert refused["reject_reason"].tolist() == ["risk_limit"]
    assert res.trades["entry_bar"].tolist() == [1, 25]  # day two (bar 24 on) trades again


def test_soft_drawdown_scales_the_next_entry() -> None:
    closes = [100, 100, 88, 88, 88, 88, 88]
    n = len(closes)
    res = st.backtest_signals(
        bars(closes),
        flags(n, [1, 4]),
        flags(n, [3]),
        fill="close",
        risk=RiskLimits(**{**OFF, "soft_drawdown": 0.1, "soft_multiplier": 0.5}),
    )
    first, second = res.trades["size"].tolist()
    assert first == pytest.approx(100.0)  # all 10,000 at 100
    cash_before = 8_800.0
    assert second == pytest.approx(0.5 * cash_before / 88.0)  # half the cash, 12 % down


def test_max_open_positions_refuses_a_second_asset() -> None:
    closes = [100, 100, 101, 102, 103]
    data = {"A": bars(closes), "B": bars(closes)}
    n = len(closes)
    entries = {"A": flags(n, [1]), "B": flags(n, [1, 3])}
    res = st.backtest_signals(
        data,
        entries,
        None,
        fill="close",
        size=0.4,
        risk=RiskLimits(**{**OFF, "max_open_positions": 1}),
    )
    refused = res.orders[res.orders["status"] == "rejected"]
    assert refused[["asset", "decision_bar"]].values.tolist() == [["B", 1], ["B", 3]]
    assert set(refused["reject_reason"]) == {"position_limit"}
    assert res.trades["asset"].tolist() == ["A"]


def test_guards_off_change_nothing(sol_1h) -> None:
    data = sol_1h.iloc[:3_000]
    kw = dict(fast=10, slow=40, sl_stop=0.03, fees=0.001)
    plain = st.backtest(data, st.strategies.sma_cross, **kw)
    off = st.backtest(data, st.strategies.sma_cross, risk=RiskLimits(**OFF), **kw)
    np.testing.assert_array_equal(plain.equity.to_numpy(), off.equity.to_numpy())
    np.testing.assert_array_equal(plain.stats().to_numpy(), off.stats().to_numpy())


def test_replay_refusals_agree_with_the_guard_path(sol_1h) -> None:
    data = sol_1h.iloc[:6_000]
    limits = RiskLimits(**{**OFF, "daily_loss_limit": 0.03, "hard_drawdown": 0.25})
    res = st.backtest(
        data, st.strategies.sma_cross, fast=5, slow=20, fill="close", leverage=3.0, risk=limits
    )
    equity = res.equity.to_numpy()
    day = data.index.asi8 // 86_400_000_000_000
    allowed, _mult, flatten, _reason = guard_path_nb(equity, day, 10_000.0, np.inf, 1.0, 0.25, 0.03)
    refused_bars = res.orders.loc[
        res.orders["reject_reason"] == "risk_limit", "decision_bar"
    ].to_numpy()
    assert len(refused_bars) > 0
    # an entry decided at bar t is refused when the guard at bar t - 1's close said no
    assert not allowed[refused_bars - 1].any()
    if flatten.any():
        halt = int(np.flatnonzero(flatten)[0])
        assert (res.positions.iloc[halt:, 0] == 0.0).all()


@pytest.mark.parametrize(("size", "refused"), [(1.0, True), (0.4, False)])
def test_concentration_refuses_an_entry_beyond_the_exposure_cap(size, refused) -> None:
    closes = [100, 100, 101, 102]
    res = st.backtest_signals(
        bars(closes),
        flags(len(closes), [1]),
        None,
        fill="close",
        size=size,
        risk=RiskLimits(**{**OFF, "max_symbol_exposure": 0.5}),
    )
    rejected = res.orders[res.orders["status"] == "rejected"]
    assert rejected["reject_reason"].tolist() == (["concentration"] if refused else [])
    assert len(res.trades) == (0 if refused else 1)


@pytest.mark.parametrize(("size", "refused"), [(1.0, True), (0.4, False)])
def test_heat_refuses_an_entry_whose_risk_at_the_stop_is_too_large(size, refused) -> None:
    # 10,000 x size at risk 2 %: 200 or 80 quote against a cap of 1 % of 10,000 = 100
    closes = [100, 100, 101, 102]
    res = st.backtest_signals(
        bars(closes),
        flags(len(closes), [1]),
        None,
        fill="close",
        size=size,
        sl_stop=0.02,
        risk=RiskLimits(**{**OFF, "max_heat": 0.01}),
    )
    rejected = res.orders[res.orders["status"] == "rejected"]
    assert rejected["reject_reason"].tolist() == (["heat"] if refused else [])


def test_heat_counts_the_open_positions_at_their_stops() -> None:
    closes = [100, 100, 100, 100]
    data = {"A": bars(closes), "B": bars(closes)}
    n = len(closes)
    res = st.backtest_signals(
        data,
        {"A": flags(n, [1]), "B": flags(n, [2])},
        None,
        fill="close",
        size=0.3,
        sl_stop=0.05,
        risk=RiskLimits(**{**OFF, "max_heat": 0.02}),
    )
    # A risks 3,000 x 5 % = 150 <= 200; B would add 7,000 x 0.3 x 5 % = 105: 255 > 200
    refused = res.orders[res.orders["status"] == "rejected"]
    assert refused[["asset", "reject_reason"]].values.tolist() == [["B", "heat"]]


def test_control_modes_pause_reduce_and_emergency() -> None:
    closes = [100.0] * 12
    n = len(closes)
    entries = flags(n, [1, 4, 7])
    exits = flags(n, [3, 6])
    control = ["normal"] * n
    control[1] = "pause"  # refused
    control[4] = "reduce"  # half size
    control[9] = "emergency"  # flattens the position entered at bar 7
    res = st.backtest_signals(bars(closes), entries, exits, fill="close", control=control)
    refused = res.orders[res.orders["status"] == "rejected"]
    assert refused["decision_bar"].tolist() == [1]
    trades = res.trades
    assert trades["entry_bar"].tolist() == [4, 7]
    assert trades["size"].tolist() == pytest.approx([50.0, 100.0])
    assert trades["exit_reason"].tolist() == ["signal", "risk_guard"]
    assert trades["exit_bar"].tolist() == [6, 9]
    assert res.positions.iloc[-1, 0] == 0.0


def test_a_bad_control_schedule_is_named() -> None:
    with pytest.raises(st.ParameterError, match="control"):
        st.backtest_signals(bars([100.0] * 3), flags(3, [1]), None, control=[0, 1])
    with pytest.raises(st.ParameterError, match="row 1: 'x'"):
        st.backtest_signals(bars([100.0] * 3), flags(3, [1]), None, control=["normal", "x", "y"])


def test_correlation_cap_refuses_a_correlated_second_position(sol_1h) -> None:
    closes = sol_1h["close"].to_numpy()[:200]
    rng = np.random.default_rng(3)
    noise = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, 200)))
    data = {"SOL": bars(list(closes)), "TWIN": bars(list(closes * 1.5)), "NOISE": bars(list(noise))}
    n = 200
    entries = {"SOL": flags(n, [100]), "TWIN": flags(n, [120]), "NOISE": flags(n, [130])}
    res = st.backtest_signals(
        data,
        entries,
        None,
        fill="close",
        size=0.2,
        risk=RiskLimits(**{**OFF, "max_correlation": 0.7, "correlation_min_obs": 30}),
    )
    refused = res.orders[res.orders["status"] == "rejected"]
    assert refused[["asset", "reject_reason"]].values.tolist() == [["TWIN", "correlation"]]
    assert sorted(res.trades["asset"]) == ["NOISE", "SOL"]


def test_window_correlation_equals_the_risk_module(sol_1h) -> None:
    from soltrader.risk.nb import tail_correlation_nb
    from soltrader.sim._nb import window_correlation_nb

    close = np.column_stack([sol_1h["close"].to_numpy()[:500], sol_1h["open"].to_numpy()[:500]])
    t, obs = 400, 60
    rets = close[1:] / close[:-1] - 1.0
    want = tail_correlation_nb(rets[t - obs : t, 0], rets[t - obs : t, 1], obs)
    assert window_correlation_nb(close, t, 0, 1, obs) == pytest.approx(want, rel=1e-12)
