"""soltrader.risk: every guard demonstrated by a state or a replay that breaches it, the per-bar
guard kernel against RiskLimits.check, VaR / CVaR against textbook arithmetic, the normal
quantile against scipy, and GARCH(1,1)-t against arch's own fit on real SOL 1h returns."""

from __future__ import annotations

import math
from decimal import Decimal

import numba
import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from hypothesis import given
from hypothesis import strategies as hs
from scipy import stats

import soltrader.risk as rk
from soltrader.domain.enums import Direction, Side
from soltrader.domain.errors import Error, ParameterError
from soltrader.risk import nb
from soltrader.risk.codes import ControlMode, RiskReason

OK, SOFT, HARD, DAILY = (RiskReason.OK, RiskReason.SOFT_DRAWDOWN, RiskReason.HARD_DRAWDOWN,
                         RiskReason.DAILY_LOSS)  # fmt: skip

#: Only the account-level guards (the per-bar kernel covers exactly these).
ACCOUNT_ONLY = rk.RiskLimits(
    max_open_positions=None, max_symbol_exposure=None, max_correlation=None, max_heat=None
)


def state(equity: float = 10_000, **kw: object) -> rk.PortfolioState:
    args: dict[str, object] = {"day_start_equity": 10_000, "peak_equity": 10_000}
    args.update(kw)
    return rk.PortfolioState(equity, **args)  # type: ignore[arg-type]


def buy(
    qty: float = 1, price: float = 150, stop: float | None = None, **kw: object
) -> rk.TradeIntent:
    return rk.TradeIntent("SOL/USDT", Side.BUY, qty, price, stop_distance=stop, **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ replays of the per-bar guard


def test_hard_drawdown_replay_flattens_at_the_breach_and_halts() -> None:
    # peak 110 at bar 2: soft line 110 * 0.85 = 93.5, hard line 110 * 0.80 = 88
    equity = [100, 105, 110, 100, 93, 88, 90, 95, 120]
    g = rk.RiskLimits(daily_loss_limit=None).guard_path(np.array(equity, dtype=float))
    assert g.allowed.tolist() == [True] * 5 + [False] * 4  # halted from the breach on
    assert g.flatten.tolist() == [False] * 5 + [True] + [False] * 3  # flatten at the breach
    assert g.size_multiplier.tolist() == [1, 1, 1, 1, 0.5, 0, 0, 0, 0]  # 93 <= 93.5: half size
    assert g.reason.tolist() == [OK, OK, OK, OK, SOFT, HARD, HARD, HARD, HARD]  # even at 120


def test_daily_loss_replay_blocks_the_rest_of_the_day_and_resets() -> None:
    # day 0 starts at the initial 1,000: limit line 1,000 * 0.95 = 950, breached at 949 and the
    # day stays blocked even after the rebound to 970. Day 1 starts at the previous close (970):
    # line 970 * 0.95 = 921.5, so 940 (6 % below 1,000, 3.1 % below 970) is allowed.
    equity = np.array([1_000, 990, 960, 949, 970, 975, 980, 940, 1_000], dtype=float)
    day = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1])
    g = rk.RiskLimits().guard_path(equity, day=day)
    assert g.allowed.tolist() == [True, True, True, False, False, True, True, True, True]
    assert g.reason.tolist() == [OK, OK, OK, DAILY, DAILY, OK, OK, OK, OK]
    assert not g.flatten.any()


def test_guard_path_takes_utc_days_from_a_datetime_index() -> None:
    idx = pd.date_range("2024-03-01 20:00", periods=9, freq="2h", tz="UTC")  # 20h, 22h | 0h ...
    equity = pd.Series([1_000, 940, 990, 990, 960, 930, 920, 921, 930], index=idx, dtype=float)
    g = rk.RiskLimits().guard_path(equity)
    # day 1 (bars 0-1): 940 <= 950 breaches. Day 2 starts at 940: line 893, nothing breaches.
    assert isinstance(g.allowed, pd.Series) and g.allowed.index.equals(idx)
    assert g.allowed.tolist() == [True, False] + [True] * 7
    same = rk.RiskLimits().guard_path(equity.to_numpy(), day=idx)
    assert same.allowed.tolist() == g.allowed.tolist()
    with pytest.raises(ParameterError, match="day"):
        rk.RiskLimits().guard_path(equity.to_numpy())  # daily limit on, no days given


def test_guard_path_with_init_equity_and_guards_off() -> None:
    # init 100 is the first peak: 79 at bar 0 is already 21 % down -> flatten at once
    g = rk.RiskLimits(daily_loss_limit=None).guard_path(np.array([79.0, 85.0]), init_equity=100.0)
    assert g.flatten.tolist() == [True, False] and not g.allowed.any()
    off = rk.RiskLimits(daily_loss_limit=None, soft_drawdown=None, hard_drawdown=None)
    g = off.guard_path(np.array([100.0, 10.0, 1.0]))
    assert g.allowed.all() and (g.size_multiplier == 1.0).all()


@hs.composite
def equity_paths(draw: hs.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(hs.integers(1, 60))
    steps = draw(hs.lists(hs.integers(-60, 50), min_size=n, max_size=n))
    equity = 1_000 + np.cumsum(steps).astype(float)
    equity = np.maximum(equity, 1.0)
    day = np.cumsum(draw(hs.lists(hs.booleans(), min_size=n, max_size=n)))
    return equity, day


@given(equity_paths())
def test_guard_kernel_agrees_with_check_until_the_halt(path: tuple[np.ndarray, np.ndarray]) -> None:
    equity, day = path
    g = ACCOUNT_ONLY.guard_path(equity, day=day, init_equity=1_000.0)
    peak, start, low = 1_000.0, 1_000.0, 1_000.0
    for i, e in enumerate(equity):
        if i and day[i] != day[i - 1]:
            start = low = equity[i - 1]
        peak, low = max(peak, e), min(low, e)
        s = rk.PortfolioState(e, start, peak, day_low_equity=low)
        d = ACCOUNT_ONLY.check(buy(), s)
        assert (d.allowed, d.size_multiplier, d.flatten, d.reason) == (
            g.allowed[i],
            g.size_multiplier[i],
            g.flatten[i],
            g.reason[i],
        )
        if d.flatten:  # after the halt the kernel latches; the live runtime switches mode
            assert not g.allowed[i + 1 :].any()
            break


# --------------------------------------------------------------- RiskLimits.check, one guard each


def test_no_equity_emergency_and_pause() -> None:
    limits = rk.RiskLimits()
    assert limits.check(buy(), state(0, peak_equity=100)).reason == RiskReason.NO_EQUITY
    d = limits.check(buy(), state(mode=ControlMode.EMERGENCY))
    assert (d.allowed, d.reason, d.flatten, d.size_multiplier) == (
        False,
        RiskReason.EMERGENCY,
        True,
        0,
    )
    d = limits.check(buy(), state(mode=ControlMode.PAUSE))
    assert (d.allowed, d.reason, d.flatten) == (False, RiskReason.PAUSED, False)
    # exits are always allowed; in an emergency they come with the flatten flag
    exit_ = buy(reduce_only=True)
    assert limits.check(exit_, state(mode=ControlMode.PAUSE)).allowed
    d = limits.check(exit_, state(mode=ControlMode.EMERGENCY))
    assert d.allowed and d.flatten


def test_hard_and_soft_drawdown_boundaries_are_exact() -> None:
    limits = rk.RiskLimits(max_symbol_exposure=None)
    # 8,000 from a 10,000 peak is exactly 20 %: the hard limit is reached -> flatten
    d = limits.check(buy(), state(Decimal("8000.00"), day_start_equity=8_000))
    assert (d.allowed, d.reason, d.flatten) == (False, HARD, True)
    assert "flatten and halt" in d.message
    # one cent above: 19.9999 % is "only" past the soft 15 %: allowed at half size
    d = limits.check(buy(), state(Decimal("8000.01"), day_start_equity=8_000))
    assert (d.allowed, d.reason, d.size_multiplier, d.flatten) == (True, SOFT, 0.5, False)
    # 8,500 is exactly 15 %: soft; 8,500.01 is not
    assert limits.check(buy(), state(8_500, day_start_equity=8_500)).reason == SOFT
    assert limits.check(buy(), state(8_500.01, day_start_equity=8_500)).reason == OK


def test_daily_loss_limit_counts_the_days_low() -> None:
    limits = rk.RiskLimits(max_symbol_exposure=None)
    # 9,500 from a 10,000 start is exactly 5 %: blocked until tomorrow
    d = limits.check(buy(), state(9_500))
    assert (d.allowed, d.reason, d.flatten) == (False, DAILY, False)
    assert limits.check(buy(), state(9_501)).allowed
    # back at 9,800, but the day touched 9,400 (6 %): still blocked
    assert limits.check(buy(), state(9_800, day_low_equity=9_400)).reason == DAILY


def test_max_open_positions() -> None:
    limits = rk.RiskLimits(max_open_positions=2, max_symbol_exposure=None, max_heat=None,
                           max_correlation=None)  # fmt: skip
    held = (rk.OpenPosition("SOL/USDT", Direction.LONG, 500, 20),
            rk.OpenPosition("JUP/USDT", Direction.LONG, 500, 20))  # fmt: skip
    new = rk.TradeIntent("BONK/USDT", Side.BUY, 1, 1)
    d = limits.check(new, state(positions=held))
    assert (d.allowed, d.reason) == (False, RiskReason.MAX_POSITIONS)
    assert limits.check(buy(), state(positions=held)).allowed  # adds to the SOL position
    # the same symbol held by another strategy is a new position
    d = limits.check(buy(strategy_id="grid"), state(positions=held))
    assert d.reason == RiskReason.MAX_POSITIONS


def test_concentration_cap_on_the_net_notional() -> None:
    limits = rk.RiskLimits(max_heat=None)  # 5 % of 10,000 = 500 quote per symbol
    assert limits.check(buy(3, 150), state()).allowed  # 450 <= 500
    long_100 = (rk.OpenPosition("SOL/USDT", Direction.LONG, 100, 5),)
    d = limits.check(buy(3, 150), state(positions=long_100))  # 100 + 450 = 550 > 500
    assert (d.allowed, d.reason) == (False, RiskReason.CONCENTRATION)
    long_400 = (rk.OpenPosition("SOL/USDT", Direction.LONG, 400, 5),)
    sell = rk.TradeIntent("SOL/USDT", Side.SELL, 3, 150)  # 400 - 450 = -50: within the cap
    assert limits.check(sell, state(positions=long_400)).allowed
    # at half size (soft drawdown) 5 units are 375 quote: 375 <= 0.05 * 8,400 = 420
    assert limits.check(buy(5, 150), state(8_400, day_start_equity=8_400)).allowed
    assert not limits.check(buy(6, 150), state(8_400, day_start_equity=8_400)).allowed  # 450


def _returns() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    sol = rng.normal(0, 0.01, 200)
    return {"SOL/USDT": sol, "JTO/USDT": sol + rng.normal(0, 0.002, 200),  # corr ~0.98
            "BTC/USDT": rng.normal(0, 0.01, 200)}  # fmt: skip


def test_correlation_cap_is_direction_aware_and_fails_closed() -> None:
    limits = rk.RiskLimits(max_symbol_exposure=None, max_heat=None)
    r = _returns()
    assert np.corrcoef(r["SOL/USDT"], r["JTO/USDT"])[0, 1] > 0.95
    long_jto = (rk.OpenPosition("JTO/USDT", Direction.LONG, 500, 20),)
    d = limits.check(buy(), state(positions=long_jto, returns=r))
    assert (d.allowed, d.reason) == (False, RiskReason.CORRELATION)
    sell = rk.TradeIntent("SOL/USDT", Side.SELL, 1, 150)  # a short against the long: a hedge
    assert limits.check(sell, state(positions=long_jto, returns=r)).allowed
    long_btc = (rk.OpenPosition("BTC/USDT", Direction.LONG, 500, 20),)
    assert limits.check(buy(), state(positions=long_btc, returns=r)).allowed
    # no returns, or too few, for a pair that must be measured: rejected
    d = limits.check(buy(), state(positions=long_btc, returns={"SOL/USDT": r["SOL/USDT"]}))
    assert d.reason == RiskReason.CORRELATION and "BTC/USDT" in d.message
    short = {k: v[-20:] for k, v in r.items()}  # 20 < correlation_min_obs = 30
    d = limits.check(buy(), state(positions=long_btc, returns=short))
    assert d.reason == RiskReason.CORRELATION and "fewer than 30" in d.message


def test_portfolio_heat_cap_and_the_scaled_size() -> None:
    limits = rk.RiskLimits(max_symbol_exposure=None, max_correlation=None)
    held = (
        rk.OpenPosition("JUP/USDT", Direction.LONG, 5_000, 1_200),
        rk.OpenPosition("JTO/USDT", Direction.SHORT, 5_000, 800),
    )  # 2,000 open risk
    # cap 25 % of 10,000 = 2,500: 10 units with a 60 stop add 600 -> 2,600 > 2,500
    d = limits.check(buy(10, 150, stop=60), state(positions=held))
    assert (d.allowed, d.reason) == (False, RiskReason.HEAT)
    assert limits.check(buy(10, 150, stop=40), state(positions=held)).allowed  # 2,400
    # no stop: the whole notional (1 x 600 = 600) is at risk -> 2,600
    assert limits.check(buy(1, 600), state(positions=held)).reason == RiskReason.HEAT
    # Reduce mode: 0.5 x 1,000 new risk = 500 -> 2,500, not above the cap
    d = limits.check(buy(10, 150, stop=100), state(positions=held, mode=ControlMode.REDUCE))
    assert (d.allowed, d.reason, d.size_multiplier) == (True, RiskReason.REDUCE_MODE, 0.5)


def test_soft_drawdown_and_reduce_mode_take_the_smaller_multiplier() -> None:
    limits = rk.RiskLimits(max_symbol_exposure=None, soft_multiplier=0.5, reduce_multiplier=0.25)
    d = limits.check(buy(), state(8_400, day_start_equity=8_400, mode=ControlMode.REDUCE))
    assert (d.reason, d.size_multiplier) == (RiskReason.REDUCE_MODE, 0.25)
    d = rk.RiskLimits(max_symbol_exposure=None, reduce_multiplier=0.8).check(
        buy(), state(8_400, day_start_equity=8_400, mode=ControlMode.REDUCE)
    )
    assert (d.reason, d.size_multiplier) == (SOFT, 0.5)


def test_decimal_and_float_amounts_decide_alike() -> None:
    limits = rk.RiskLimits(max_heat=Decimal("0.25"), max_symbol_exposure=0.5, max_correlation=None)
    held = (rk.OpenPosition("JUP/USDT", Direction.LONG, Decimal("5000"), Decimal("2000.00")),)
    for qty, stop in ((Decimal("10"), Decimal("50.00")), (Decimal("10"), Decimal("50.01"))):
        exact = limits.check(
            rk.TradeIntent("SOL/USDT", Side.BUY, qty, Decimal("150.25"), stop_distance=stop),
            rk.PortfolioState(Decimal("10000.00"), Decimal("10000"), Decimal("10000"), held),
        )
        approx = limits.check(
            rk.TradeIntent("SOL/USDT", Side.BUY, float(qty), 150.25, stop_distance=float(stop)),
            rk.PortfolioState(10_000.0, 10_000.0, 10_000.0, held),
        )
        fields = ("allowed", "reason", "size_multiplier", "flatten")
        assert [getattr(exact, f) for f in fields] == [getattr(approx, f) for f in fields]
    # 2,000 + 10 x 50.00 = 2,500.00 is exactly the cap: allowed; 50.01 is not
    assert limits.check(rk.TradeIntent("SOL/USDT", 1, 10, 150, stop_distance=Decimal("50.00")),
                        state(positions=held)).allowed  # fmt: skip


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: rk.TradeIntent("SOL/USDT", Side.BUY, -1, 150), "quantity"),
        (lambda: rk.TradeIntent("SOL/USDT", 0, 1, 150), "side"),
        (lambda: rk.TradeIntent("SOL/USDT", Side.BUY, 1, float("nan")), "price"),
        (lambda: rk.TradeIntent("", Side.BUY, 1, 150), "symbol"),
        (lambda: rk.TradeIntent("SOL/USDT", Side.BUY, 1, 150, stop_distance=0), "stop_distance"),
        (lambda: rk.TradeIntent("SOL/USDT", Side.BUY, "1", 150), "quantity"),
        (lambda: rk.PortfolioState(10_000, 10_000, 9_000), "peak_equity"),
        (lambda: rk.PortfolioState(-1, 10_000, 10_000), "equity"),
        (lambda: rk.PortfolioState(1, 1, 1, mode=7), "mode"),
        (lambda: rk.PortfolioState(1, 1, 1, returns={"SOL": [0.1, np.nan]}), "returns['SOL']"),
        (lambda: rk.PortfolioState(1, 1, 1, positions=[1]), "positions"),
        (lambda: rk.OpenPosition("SOL", Direction.LONG, 1, -1), "risk"),
        (lambda: rk.RiskLimits(soft_drawdown=0.2, hard_drawdown=0.2), "soft_drawdown"),
        (lambda: rk.RiskLimits(hard_drawdown=1.0), "hard_drawdown"),
        (lambda: rk.RiskLimits(soft_multiplier=0.0), "soft_multiplier"),
        (lambda: rk.RiskLimits(max_open_positions=0), "max_open_positions"),
        (lambda: rk.RiskLimits(correlation_min_obs=2), "correlation_min_obs"),
        (lambda: rk.RiskLimits().check("buy", state()), "intent"),
    ],
)
def test_bad_input_names_the_argument(make: object, name: str) -> None:
    with pytest.raises(ParameterError) as info:
        make()  # type: ignore[operator]
    assert info.value.name == name
    assert isinstance(info.value, Error)


# ------------------------------------------------------------------ VaR / CVaR

SAMPLE = [0.03, -0.02, 0.01, -0.12, 0.05, 0.0, -0.01, 0.02, -0.05, 0.04,
          -0.08, 0.01, 0.02, -0.03, 0.06, -0.02, 0.0, 0.03, -0.04, -0.01]  # fmt: skip


def test_historical_var_cvar_order_statistics() -> None:
    # 20 returns; losses sorted worst first: 0.12, 0.08, 0.05, 0.04, 0.03, 0.02, 0.02, ...
    # 95 %: k = ceil(20 x 0.05) = 1 -> VaR = CVaR = 0.12
    assert rk.historical_var(SAMPLE, 0.95) == pytest.approx(0.12, abs=1e-15)
    assert rk.historical_cvar(SAMPLE, 0.95) == pytest.approx(0.12, abs=1e-15)
    # 90 %: k = 2 -> VaR = 0.08, CVaR = (0.12 + 0.08) / 2 = 0.10
    assert rk.historical_var(SAMPLE, 0.90) == pytest.approx(0.08, abs=1e-15)
    assert rk.historical_cvar(SAMPLE, 0.90) == pytest.approx(0.10, abs=1e-15)
    # 80 %: k = 4 -> VaR = 0.04, CVaR = (0.12 + 0.08 + 0.05 + 0.04) / 4 = 0.0725
    assert rk.historical_var(SAMPLE, 0.80) == pytest.approx(0.04, abs=1e-15)
    assert rk.historical_cvar(SAMPLE, 0.80) == pytest.approx(0.0725, abs=1e-15)
    # 99 % of 20: k = ceil(0.2) = 1, the worst loss
    assert rk.historical_var(SAMPLE, 0.99) == pytest.approx(0.12, abs=1e-15)


def test_historical_var_is_the_fifth_worst_of_500_at_99() -> None:
    # Hull: with 500 scenarios the one-day 99 % VaR is the 5th worst loss (500 x 0.01 = 5,
    # although 500 * (1 - 0.99) is 5.000000000000004 in floating point)
    rng = np.random.default_rng(3)
    body = rng.uniform(-0.02, 0.02, 495)
    tail = np.array([-0.09, -0.07, -0.06, -0.05, -0.04])
    r = rng.permutation(np.concatenate([body, tail]))
    assert rk.historical_var(r, 0.99) == pytest.approx(0.04, abs=1e-15)
    assert rk.historical_cvar(r, 0.99) == pytest.approx((0.09 + 0.07 + 0.06 + 0.05 + 0.04) / 5)


def test_historical_var_matches_numpy_inverted_cdf() -> None:
    r = np.random.default_rng(11).standard_t(4, 1_234) * 0.01
    # 1,234 x 0.01 = 12.34 -> k = 13: numpy's inverted-CDF 1 % quantile is the 13th smallest
    expected = -np.quantile(r, 0.01, method="inverted_cdf")
    assert rk.historical_var(pd.Series(r), 0.99) == expected
    assert rk.historical_cvar(r, 0.99) == pytest.approx(-np.sort(r)[:13].mean(), rel=1e-14)


def test_normal_var_cvar_hull_example() -> None:
    # Hull: 10M in one stock, daily sigma 2 % -> sigma of the daily change = 200,000.
    # 1-day 99 % VaR = N^-1(0.99) x 200,000 = 2.326348 x 200,000 = 465,270 (Hull: $465,300);
    # 10-day = 465,270 x sqrt(10) = 1,471,312 (Hull: $1,471,300)
    var1 = rk.normal_var(0.0, 200_000.0, 0.99)
    assert var1 == pytest.approx(465_300, rel=1e-4)
    assert var1 == pytest.approx(stats.norm.ppf(0.99) * 200_000, rel=1e-14)
    assert rk.normal_var(0.0, 200_000.0, 0.99, horizon=10) == pytest.approx(1_471_300, rel=1e-4)
    # ES = sigma x phi(z) / (1 - X) = 200,000 x exp(-2.326348^2 / 2) / sqrt(2 pi) / 0.01
    #    = 200,000 x 0.026652 / 0.01 = 533,043 (2.665 sigma)
    es = rk.normal_cvar(0.0, 200_000.0, 0.99)
    assert es == pytest.approx(533_043, rel=1e-5)
    assert es == pytest.approx(200_000 * stats.norm.pdf(stats.norm.ppf(0.99)) / 0.01, rel=1e-13)
    # a positive mean lowers both by the mean: 0.001 mean, 0.02 std -> 0.046527 - 0.001
    assert rk.normal_var(0.001, 0.02) == pytest.approx(0.02 * 2.3263479 - 0.001, rel=1e-7)


def test_parametric_forms_use_the_sample_moments() -> None:
    r = np.array(SAMPLE)
    m, s = r.mean(), r.std(ddof=1)
    assert rk.parametric_var(r) == pytest.approx(s * stats.norm.ppf(0.99) - m, rel=1e-13)
    assert rk.parametric_cvar(r, 0.975) == pytest.approx(
        s * stats.norm.pdf(stats.norm.ppf(0.975)) / 0.025 - m, rel=1e-13
    )
    assert rk.parametric_cvar(r) >= rk.parametric_var(r)


def test_norm_ppf_kernel_matches_scipy() -> None:
    p = np.concatenate([[1e-300, 1e-12, 1e-6, 0.02425, 0.0243, 0.5, 0.9, 0.975, 0.99, 0.97575],
                        np.linspace(0.001, 0.999, 199), [1 - 1e-9, 1 - 1e-12]])  # fmt: skip
    ours = np.array([nb.norm_ppf_nb(float(x)) for x in p])
    np.testing.assert_allclose(ours, stats.norm.ppf(p), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: rk.historical_var(SAMPLE, 1.0), "level"),
        (lambda: rk.historical_var([], 0.99), "returns"),
        (lambda: rk.historical_cvar([0.1, np.nan], 0.99), "returns"),
        (lambda: rk.parametric_var([0.1]), "returns"),
        (lambda: rk.normal_var(0.0, -1.0), "std"),
        (lambda: rk.normal_var(0.0, 1.0, horizon=0), "horizon"),
        (lambda: rk.normal_cvar(0.0, 1.0, level=True), "level"),
    ],
)
def test_var_bad_input(call: object, name: str) -> None:
    with pytest.raises(ParameterError) as info:
        call()  # type: ignore[operator]
    assert info.value.name == name


# ------------------------------------------------------------------ GARCH(1,1)-t


@pytest.fixture(scope="module")
def sol_returns(sol_1h: pd.DataFrame) -> np.ndarray:
    return sol_1h["close"].pct_change().dropna().to_numpy()[-3_000:]


def test_garch_matches_arch_on_sol_1h(sol_returns: np.ndarray) -> None:
    fc = rk.garch_forecast(sol_returns, horizon=5)
    ref = arch_model(sol_returns * 100, mean="Constant", vol="GARCH", p=1, q=1, dist="t",
                     rescale=False).fit(disp="off")  # fmt: skip
    p = ref.params
    # parameters: ours are in fraction units, arch's in percent
    assert fc.mu * 100 == pytest.approx(p["mu"], rel=1e-9)
    assert fc.omega * 1e4 == pytest.approx(p["omega"], rel=1e-9)
    assert (fc.alpha, fc.beta, fc.nu) == pytest.approx((p["alpha[1]"], p["beta[1]"], p["nu"]))
    assert 0 < fc.persistence < 1 and fc.nu > 2
    # forecasts (percent^2 -> fraction^2) and in-sample volatility, from our own kernels
    ref_var = ref.forecast(horizon=5, reindex=False).variance.to_numpy()[-1] / 1e4
    np.testing.assert_allclose(fc.variance, ref_var, rtol=1e-10)
    np.testing.assert_allclose(fc.conditional_volatility, ref.conditional_volatility / 100,
                               rtol=1e-10)  # fmt: skip
    assert fc.loglikelihood == pytest.approx(ref.loglikelihood, rel=1e-12)
    assert fc.annualized(8760) == pytest.approx(math.sqrt(ref_var[0] * 8760), rel=1e-10)


def test_garch_recursion_kernel_by_hand() -> None:
    # omega 0.001, alpha 0.1, beta 0.8, backcast 0.01:
    # s2[0] = 0.001 + 0.1 x 0.01 + 0.8 x 0.01 = 0.01
    # s2[1] = 0.001 + 0.1 x 0.2^2 + 0.8 x 0.01 = 0.001 + 0.004 + 0.008 = 0.013
    s2 = nb.garch_variance_nb(np.array([0.2, -0.1]), 0.001, 0.1, 0.8, 0.01)
    np.testing.assert_allclose(s2, [0.01, 0.013], rtol=1e-14)
    # forecast: 0.001 + 0.1 x 0.1^2 + 0.8 x 0.013 = 0.0124; then 0.001 + 0.9 x 0.0124 = 0.01216
    np.testing.assert_allclose(nb.garch_forecast_nb(-0.1, 0.013, 0.001, 0.1, 0.8, 2),
                               [0.0124, 0.01216], rtol=1e-14)  # fmt: skip


def test_garch_bad_input(sol_returns: np.ndarray) -> None:
    with pytest.raises(ParameterError, match="at least 100"):
        rk.garch_forecast(sol_returns[:50])
    with pytest.raises(ParameterError, match="constant"):
        rk.garch_forecast(np.full(200, 0.001))
    with pytest.raises(ParameterError, match="horizon"):
        rk.garch_forecast(sol_returns, horizon=0)
    assert issubclass(rk.GarchFitError, Error)


# ------------------------------------------------------------------ kernels inside njit code


@numba.njit(cache=False)
def _sim_like_nb(equity: np.ndarray, returns: np.ndarray) -> tuple[np.ndarray, float]:
    sizes = np.empty(equity.shape[0])
    peak = equity[0]
    halted = False
    for i in range(equity.shape[0]):
        peak = max(peak, equity[i])
        ok, mult, flat, _ = nb.guard_step_nb(equity[i], peak, equity[0], equity[i], halted,
                                             0.15, 0.5, 0.2, np.inf)  # fmt: skip
        halted = halted or flat
        sizes[i] = mult if ok else 0.0
    return sizes, nb.historical_var_nb(returns, 0.99)


def test_risk_kernels_fuse_into_njit_code() -> None:
    sizes, var = _sim_like_nb(np.array([100.0, 84.0, 79.0, 90.0]), np.array(SAMPLE))
    assert sizes.tolist() == [1.0, 0.5, 0.0, 0.0]
    assert var == pytest.approx(0.12)
