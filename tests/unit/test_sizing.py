"""soltrader.sizing: every rule against a hand calculation (arithmetic in the comments), the
capital-tier hysteresis on a scripted path, input checks, and the kernels called from njit."""

from __future__ import annotations

import math

import numba
import numpy as np
import pandas as pd
import pytest

import soltrader.sizing as sz
from soltrader.domain.errors import Error, ParameterError
from soltrader.sizing import nb

# ------------------------------------------------------------------ fixed fraction / fixed risk


def test_fixed_fraction_hand_calculation() -> None:
    # 10 % of 10,000 quote = 1,000 quote; at 100 quote per unit = 10 units
    assert sz.fixed_fraction(10_000.0, 100.0, 0.1) == pytest.approx(10.0, rel=1e-15)
    # zero equity buys nothing
    assert sz.fixed_fraction(0.0, 100.0, 0.5) == 0.0


def test_fixed_risk_from_an_atr_stop() -> None:
    # ATR 1.25, stop at 2 ATR = 2.5 quote per unit; risking 1 % of 10,000 = 100 quote
    # -> 100 / 2.5 = 40 units (notional 4,000 = 0.4x equity, below the 1x cap)
    units = sz.fixed_risk(10_000.0, 100.0, 2 * 1.25, 0.01)
    assert units == pytest.approx(40.0, rel=1e-15)
    assert units * 2.5 == pytest.approx(0.01 * 10_000.0)  # the loss at the stop is 1 % of equity


def test_fixed_risk_is_capped_by_leverage() -> None:
    # stop 0.5 -> 100 / 0.5 = 200 units = 20,000 quote = 2x: capped at 1x -> 10,000 / 100 = 100
    assert sz.fixed_risk(10_000.0, 100.0, 0.5, 0.01) == pytest.approx(100.0)
    # with max_leverage 3 the 2x size passes untouched
    assert sz.fixed_risk(10_000.0, 100.0, 0.5, 0.01, max_leverage=3.0) == pytest.approx(200.0)


# ------------------------------------------------------------------ Kelly


@pytest.mark.parametrize(
    ("p", "b", "fraction", "cap", "expected"),
    [
        (0.55, 1.5, 0.25, 0.25, 0.0625),  # f* = 0.55 - 0.45/1.5 = 0.25; x0.25 = 0.0625
        (0.60, 2.0, 0.25, 0.25, 0.10),  # f* = 0.60 - 0.40/2 = 0.40; x0.25 = 0.10
        (0.60, 2.0, 0.50, 0.25, 0.20),  # half Kelly: 0.40 x 0.5 = 0.20
        (0.50, 1.0, 0.25, 0.25, 0.0),  # f* = 0.5 - 0.5/1 = 0: no edge, no bet
        (0.40, 1.0, 0.25, 0.25, 0.0),  # f* = 0.4 - 0.6 = -0.2: never negative
        (0.90, 3.0, 0.25, 0.25, 0.216666666666667),  # f* = 0.9 - 0.1/3 = 0.866667; x0.25
        (0.90, 3.0, 1.00, 0.50, 0.50),  # full Kelly 0.866667 capped at 0.5
        (1.00, 1.0, 0.25, 0.25, 0.25),  # f* = 1: x0.25 = 0.25 (= the cap)
    ],
)
def test_kelly_hand_calculations(
    p: float, b: float, fraction: float, cap: float, expected: float
) -> None:
    got = sz.kelly_fraction(p, b, fraction=fraction, cap=cap)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_kelly_default_is_quarter_kelly_capped() -> None:
    # p 0.6, b 2: full Kelly 0.4 -> default fraction 0.25 -> 0.1
    assert sz.kelly_fraction(0.6, 2.0) == pytest.approx(0.1, rel=1e-12)


def test_kelly_vectorised_keeps_a_series_index() -> None:
    idx = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    p = pd.Series([0.4, 0.55, 0.6], index=idx)
    got = sz.kelly_fraction(p, 1.5)
    assert isinstance(got, pd.Series) and got.index.equals(idx)
    # 0.4 - 0.6/1.5 = 0 -> 0; 0.55 - 0.3 = 0.25 -> 0.0625; 0.6 - 0.4/1.5 = 0.3333 -> 0.083333
    np.testing.assert_allclose(got.to_numpy(), [0.0, 0.0625, 0.25 / 3.0], rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ volatility targeting


def test_vol_target_hand_calculations() -> None:
    # 1h bars: 1 % per bar * sqrt(8760) = 0.01 * 93.594872 = 0.935949 per year
    # 15 % target / 0.935949 = 0.160265 of equity
    assert sz.vol_target(0.01, 8760) == pytest.approx(0.160265, rel=1e-5)
    assert sz.vol_target(0.01, 8760) == pytest.approx(0.15 / (0.01 * math.sqrt(8760)), rel=1e-15)
    # daily bars: 2 % * sqrt(365) = 0.02 * 19.104973 = 0.382099; 0.15 / 0.382099 = 0.392568
    assert sz.vol_target(0.02, 365) == pytest.approx(0.392568, rel=1e-5)
    # a 40 % target on the same bars: 0.4 / 0.382099 = 1.046849 -> above 1x: capped at 1
    assert sz.vol_target(0.02, 365, target=0.40) == 1.0
    assert sz.vol_target(0.02, 365, target=0.40, max_leverage=2.0) == pytest.approx(1.046849, 1e-5)


def test_vol_target_warm_up_and_zero_volatility() -> None:
    got = sz.vol_target(np.array([np.nan, 0.0, 0.01]), 8760, max_leverage=3.0)
    # NaN (no estimate): no position; zero volatility: the cap; else the target ratio
    np.testing.assert_allclose(got, [0.0, 3.0, 0.15 / (0.01 * math.sqrt(8760))], rtol=1e-15)


def test_vol_target_on_real_realised_volatility(sol_1h: pd.DataFrame) -> None:
    close = sol_1h["close"].iloc[-2_000:]
    vol = np.log(close).diff().rolling(24).std()  # per-bar realised volatility, NaN warm-up
    exposure = sz.vol_target(vol, 8760, target=0.15, max_leverage=2.0)
    assert isinstance(exposure, pd.Series) and exposure.index.equals(close.index)
    assert (exposure.iloc[:24] == 0.0).all()  # warm-up: no estimate, no position
    annual = vol.iloc[24:] * math.sqrt(8760)
    expected = np.minimum(0.15 / annual, 2.0)
    np.testing.assert_allclose(exposure.iloc[24:], expected, rtol=1e-12)


# ------------------------------------------------------------------ leverage, contracts, minimum


def test_leveraged_exposure_respects_the_venue_cap() -> None:
    # 40 % margin at 20x = 8x equity; a venue capped at 10x gives 0.4 * 10 = 4x
    assert sz.leveraged_exposure(0.4, 20, 20) == pytest.approx(8.0)
    assert sz.leveraged_exposure(0.4, 20, 10) == pytest.approx(4.0)
    assert sz.leveraged_exposure(0.3, 10, 20) == pytest.approx(3.0)


def test_whole_contracts_are_integers_and_forgive_float_rounding() -> None:
    assert sz.whole_contracts(53.9, 1.0) == 53
    assert 0.3 / 0.1 < 3  # binary floating point: 2.9999999999999996
    assert sz.whole_contracts(0.3, 0.1) == 3
    assert sz.whole_contracts(0.29, 0.1) == 2
    arr = sz.whole_contracts(np.array([0.0, 0.99, 1.0, 7.5]), 0.5)
    assert arr.dtype == np.int64
    assert arr.tolist() == [0, 1, 2, 15]
    assert isinstance(sz.whole_contracts(1.0, 1.0), int)


def test_order_size_pipeline() -> None:
    # 8x of 1,000 = 8,000 quote / 150 = 53.33 units -> 53 whole contracts of 1
    assert sz.order_size(1_000.0, 150.0, 8.0, max_leverage=20.0, contract_size=1.0) == 53.0
    # exposure 3x on a 1x account: capped -> 1,000 / 150 = 6.6667 units
    assert sz.order_size(1_000.0, 150.0, 3.0) == pytest.approx(1_000.0 / 150.0)
    # 0.1 contract size: 6.6667 -> 66 contracts of 0.1 = 6.6
    assert sz.order_size(1_000.0, 150.0, 3.0, contract_size=0.1) == pytest.approx(6.6)


def test_order_size_skips_below_the_minimum() -> None:
    # 0.4 % of 1,000 = 4 quote < 0.5 % of equity (5 quote): skip
    assert sz.order_size(1_000.0, 150.0, 0.004, min_equity_fraction=0.005) == 0.0
    # exactly 5 quote is not below the minimum: 5 / 150 units
    got = sz.order_size(1_000.0, 150.0, 0.005, min_equity_fraction=0.005)
    assert got == pytest.approx(5.0 / 150.0)
    # a venue minimum of 10 quote beats the 5 quote equity minimum: 6 quote is skipped
    assert sz.order_size(1_000.0, 150.0, 0.006, min_notional=10.0, min_equity_fraction=0.005) == 0
    # 100 quote at 150 per contract floors to 0 contracts: nothing to trade
    assert sz.order_size(100.0, 150.0, 1.0, contract_size=1.0) == 0.0


def test_venue_limits_apply_cap_contracts_and_minimum() -> None:
    perp = sz.VenueLimits("perp:SOL/USDT", max_leverage=10.0, contract_size=1.0, min_notional=5.0)
    # 40 % at 20x asks 8x, the venue allows 10x: 8,000 / 150 = 53.3 -> 53
    assert perp.order_size(1_000.0, 150.0, sz.leveraged_exposure(0.4, 20, 20)) == 53.0
    # 40 % at 20x capped by the venue's 10x: 4,000 / 150 = 26.7 -> 26
    assert perp.order_size(1_000.0, 150.0, sz.leveraged_exposure(0.4, 20, 10)) == 26.0
    with pytest.raises(ParameterError, match="max_leverage"):
        sz.VenueLimits("spot", max_leverage=0.5)


# ------------------------------------------------------------------ SMC rule


def test_smc_fresh_and_breaker_hand_calculations() -> None:
    # fresh: 40 % of 1,000 = 400 margin x 20 = 8,000 quote / 150 = 53.33 -> 53 contracts
    assert sz.smc_size(1_000.0, 150.0, True, contract_size=1.0) == 53.0
    # breaker: 30 % of 1,000 = 300 margin x 10 = 3,000 quote / 150 = 20 contracts
    assert sz.smc_size(1_000.0, 150.0, False, contract_size=1.0) == 20.0
    # a venue capped at 10x: fresh 400 x 10 = 4,000 / 150 = 26.7 -> 26; breaker unchanged
    both = sz.smc_size(1_000.0, 150.0, [True, False], contract_size=1.0, max_leverage=10.0)
    assert both.tolist() == [26.0, 20.0]
    # 10 quote of equity: breaker 3 x 10 = 30 quote = 0.2 SOL -> 0 whole contracts -> skip
    assert sz.smc_size(10.0, 150.0, False, contract_size=1.0) == 0.0
    # 0.01 SOL contracts: 0.2 SOL = 20 contracts; a 50 quote venue minimum skips it (30 < 50)
    assert sz.smc_size(10.0, 150.0, False, contract_size=0.01) == pytest.approx(0.2)
    assert sz.smc_size(10.0, 150.0, False, contract_size=0.01, min_notional=50.0) == 0.0


def test_smc_rejects_non_boolean_flags() -> None:
    with pytest.raises(ParameterError, match="fresh"):
        sz.smc_size(1_000.0, 150.0, [0.5], contract_size=1.0)
    with pytest.raises(ParameterError, match="contract_size"):
        sz.smc_size(1_000.0, 150.0, True, contract_size=0.0)


# ------------------------------------------------------------------ capital tiers


def test_default_tiers_and_switch_levels() -> None:
    tiers = sz.CapitalTiers()
    assert tiers.labels == ("1k-2.5k", "2.5k-5k", "5k-25k", "25k-100k", "100k+")
    # tier 0 moves up at 2,500 x 1.2 = 3,000; tier 1 moves down below 2,500 x 0.8 = 2,000 and
    # up at 5,000 x 1.2 = 6,000; the top tier moves down below 100,000 x 0.8 = 80,000
    assert tiers.switch_levels(0) == (0.0, 3_000.0)
    assert tiers.switch_levels(1) == (2_000.0, 6_000.0)
    assert tiers.switch_levels(4) == (80_000.0, math.inf)
    # plain tiers without a previous tier
    got = [tiers.tier_for(e) for e in (500.0, 1_000.0, 2_499.0, 2_500.0, 99_999.0, 1e6)]
    assert got == [0, 0, 0, 1, 3, 4]


def test_tier_hysteresis_on_a_scripted_path() -> None:
    tiers = sz.CapitalTiers()
    path = [1_500, 2_600, 2_999, 3_000, 2_600, 2_001, 1_999, 2_500, 5_500, 6_000, 4_100, 3_999]
    expected = [
        0,  # plain tier of 1,500
        0,  # 2,600 is tier 1's range, but not >= 3,000: stay
        0,  # 2,999 < 3,000: stay
        1,  # 3,000 >= 2,500 * 1.2: up
        1,  # 2,600: not < 2,000: stay
        1,  # 2,001: stay
        0,  # 1,999 < 2,500 * 0.8 = 2,000: down
        0,  # 2,500: not >= 3,000: stay
        1,  # 5,500: >= 3,000 but < 5,000 * 1.2 = 6,000: up one tier only
        2,  # 6,000 >= 6,000: up
        2,  # 4,100: not < 5,000 * 0.8 = 4,000: stay
        1,  # 3,999 < 4,000: down
    ]
    assert tiers.path(np.array(path, dtype=float)).tolist() == expected
    prev = None
    stepped = []
    for e in path:
        prev = tiers.tier_for(float(e), prev)
        stepped.append(prev)
    assert stepped == expected


def test_tier_jumps_over_several_tiers() -> None:
    tiers = sz.CapitalTiers()
    # from tier 0, 200k clears 100k x 1.2 = 120k: straight to the top tier
    assert tiers.tier_for(200_000.0, previous_tier=0) == 4
    # from the top, 1,500 < 2,500 x 0.8: straight down to tier 0
    assert tiers.tier_for(1_500.0, previous_tier=4) == 0
    # from the top, 2,100 is not < 2,000 but is < 5,000 x 0.8 = 4,000: down to tier 1
    assert tiers.tier_for(2_100.0, previous_tier=4) == 1
    assert tiers.settings_for(2_100.0, previous_tier=4) == sz.DEFAULT_SETTINGS[1]


def test_tier_path_keeps_a_series_index_and_initial_tier() -> None:
    idx = pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC")
    eq = pd.Series([2_600.0, 2_100.0, 1_900.0], index=idx)
    out = sz.CapitalTiers().path(eq, initial_tier=1)
    assert out.index.equals(idx)
    assert out.tolist() == [1, 1, 0]  # starts in tier 1: 2,600 and 2,100 hold it, 1,900 drops


def test_custom_tiers_and_their_checks() -> None:
    settings = (sz.TierSettings(0.02, 2.0, 1), sz.TierSettings(0.01, 1.0, 3))
    tiers = sz.CapitalTiers(lower_bounds=(0.0 + 100.0, 1_000.0), settings=settings, hysteresis=0.1)
    assert tiers.tier_for(1_099.0, 0) == 0 and tiers.tier_for(1_100.0, 0) == 1  # 1,000 x 1.1
    assert tiers.tier_for(901.0, 1) == 1 and tiers.tier_for(899.0, 1) == 0  # 1,000 x 0.9
    with pytest.raises(ParameterError, match="lower_bounds"):
        sz.CapitalTiers(lower_bounds=(1_000.0, 1_000.0), settings=settings)
    with pytest.raises(ParameterError, match="settings"):
        sz.CapitalTiers(lower_bounds=(1_000.0,), settings=settings)
    with pytest.raises(ParameterError, match="hysteresis"):
        sz.CapitalTiers(hysteresis=1.0)
    with pytest.raises(ParameterError, match="previous_tier"):
        sz.CapitalTiers().tier_for(1_000.0, previous_tier=5)
    with pytest.raises(ParameterError, match="equity"):
        sz.CapitalTiers().tier_for(-1.0)
    with pytest.raises(ParameterError, match="max_open_positions"):
        sz.TierSettings(0.01, 1.0, 0)


# ------------------------------------------------------------------ input checks


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: sz.fixed_fraction(1_000.0, 0.0, 0.1), "price"),
        (lambda: sz.fixed_fraction(1_000.0, 100.0, 1.5), "fraction"),
        (lambda: sz.fixed_fraction(-1.0, 100.0, 0.1), "equity"),
        (lambda: sz.fixed_risk(1_000.0, 100.0, 0.0), "stop_distance"),
        (lambda: sz.kelly_fraction(1.2, 2.0), "win_rate"),
        (lambda: sz.kelly_fraction(0.5, 0.0), "payoff_ratio"),
        (lambda: sz.kelly_fraction(0.5, 2.0, fraction=0.0), "fraction"),
        (lambda: sz.vol_target(-0.01, 8760), "realized_vol"),
        (lambda: sz.vol_target(0.01, 0), "periods_per_year"),
        (lambda: sz.leveraged_exposure(0.4, 0.5, 10), "leverage"),
        (lambda: sz.order_size(1_000.0, 100.0, 1.0, contract_size=-1.0), "contract_size"),
        (
            lambda: sz.order_size(1_000.0, 100.0, 1.0, min_equity_fraction=1.0),
            "min_equity_fraction",
        ),
        (lambda: sz.fixed_fraction(True, 100.0, 0.1), "equity"),
        (lambda: sz.fixed_fraction("1000", 100.0, 0.1), "equity"),
        (lambda: sz.fixed_fraction(1_000.0, [100.0, np.inf], 0.1), "price"),
    ],
)
def test_bad_input_names_the_argument(call: object, name: str) -> None:
    with pytest.raises(ParameterError) as info:
        call()  # type: ignore[operator]
    assert info.value.name == name
    assert isinstance(info.value, Error)


def test_bad_rows_and_lengths_are_reported() -> None:
    with pytest.raises(ParameterError, match=r"price: row 1 is -5.0; expected a price"):
        sz.fixed_fraction(1_000.0, [100.0, -5.0], 0.1)
    with pytest.raises(ParameterError, match="one length"):
        sz.fixed_fraction([1_000.0, 2_000.0], [100.0, 100.0, 100.0], 0.1)
    a = pd.Series([1_000.0, 2_000.0], index=[0, 1])
    b = pd.Series([100.0, 100.0], index=[1, 2])
    with pytest.raises(ParameterError, match="share one index"):
        sz.fixed_fraction(a, b, 0.1)


# ------------------------------------------------------------------ kernels inside njit code


@numba.njit(cache=False)
def _fused_nb(equity: np.ndarray, price: float, vol: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    out = np.empty(equity.shape[0])
    tier = nb.NO_TIER
    for i in range(equity.shape[0]):
        tier = nb.tier_step_nb(equity[i], tier, bounds, 0.2)
        exposure = nb.vol_target_fraction_nb(vol[i], 8760.0, 0.15, 2.0)
        exposure = min(exposure, nb.kelly_fraction_nb(0.55, 1.5, 1.0, 1.0) * (tier + 1))
        out[i] = nb.order_units_nb(equity[i], price, exposure, 2.0, 0.01, 5.0, 0.0)
    return out


def test_kernels_fuse_into_njit_code() -> None:
    equity = np.array([1_500.0, 3_200.0, 30_000.0])
    vol = np.array([0.01, 0.002, np.nan])
    bounds = np.asarray(sz.DEFAULT_LOWER_BOUNDS)
    got = _fused_nb(equity, 150.0, vol, bounds)
    tiers = sz.CapitalTiers().path(equity)
    exposure = np.minimum(sz.vol_target(vol, 8760, max_leverage=2.0), 0.25 * (tiers + 1))
    expected = sz.order_size(equity, 150.0, exposure, max_leverage=2.0, contract_size=0.01,
                             min_notional=5.0)  # fmt: skip
    np.testing.assert_array_equal(got, expected)
    assert got[2] == 0.0 and got[0] > 0.0  # NaN volatility: no position
