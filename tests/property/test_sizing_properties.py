"""Invariants of soltrader.sizing (hypothesis): sizes are never negative and never exceed their
caps, the minimum-notional filter holds, whole contracts are integers, the wrappers equal the
scalar kernels, and capital tiers never flap on a path oscillating inside a hysteresis band."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as hs

import soltrader.sizing as sz
from soltrader.sizing import nb

REL = 1e-9  # float slack of the caps (products and the 1e-9-contract flooring tolerance)

equities = hs.floats(0.0, 1e7, allow_subnormal=False)
prices = hs.floats(1e-4, 1e5, allow_subnormal=False)
fractions = hs.floats(0.0, 1.0, allow_subnormal=False)
leverages = hs.floats(1.0, 125.0)
exposures = hs.floats(0.0, 200.0, allow_subnormal=False)
contract_sizes = hs.sampled_from([0.0, 0.001, 0.01, 0.1, 1.0, 10.0, 100.0])
notionals = hs.floats(0.0, 1e4, allow_subnormal=False)


@given(equities, prices, exposures, leverages, contract_sizes, notionals, hs.floats(0.0, 0.05))
def test_order_size_is_bounded_filtered_and_whole(
    equity: float,
    price: float,
    exposure: float,
    max_lev: float,
    cs: float,
    min_n: float,
    min_f: float,
) -> None:
    units = sz.order_size(equity, price, exposure, max_leverage=max_lev, contract_size=cs,
                          min_notional=min_n, min_equity_fraction=min_f)  # fmt: skip
    assert units >= 0.0
    notional = units * price
    # never above the exposure asked for, nor above the leverage cap
    assert notional <= equity * min(exposure, max_lev) * (1 + REL) + 1e-12
    # the minimum filter: either skipped, or at least the larger minimum
    assert units == 0.0 or notional >= max(min_n, min_f * equity) * (1 - 1e-12)
    if cs > 0:
        n = units / cs
        assert abs(n - round(n)) <= 1e-6 * max(1.0, n)  # a whole number of contracts
        if n < 2**40:  # beyond ~1e12 contracts one contract is below a double's resolution
            assert sz.whole_contracts(units, cs) == round(n)


@given(
    hs.lists(hs.floats(0.0, 1e6, allow_subnormal=False), min_size=1, max_size=20), contract_sizes
)
def test_whole_contracts_are_integers_not_above_the_size(units: list[float], cs: float) -> None:
    cs = cs or 0.5
    n = sz.whole_contracts(np.array(units), cs)
    assert n.dtype == np.int64
    assert (n >= 0).all()
    assert (n * cs <= np.array(units) * (1 + REL) + cs * 1e-9).all()  # floored, never rounded up
    assert ((n + 1) * cs > np.array(units)).all()  # and the largest such count


@given(equities, prices, hs.floats(1e-6, 1e4), hs.floats(1e-4, 1.0), hs.floats(0.1, 10.0))
def test_fixed_risk_never_risks_more_than_asked_nor_exceeds_leverage(
    equity: float, price: float, stop: float, risk: float, max_lev: float
) -> None:
    units = sz.fixed_risk(equity, price, stop, risk, max_leverage=max_lev)
    assert units >= 0.0
    assert units * stop <= equity * risk * (1 + REL) + 1e-12
    assert units * price <= equity * max_lev * (1 + REL) + 1e-12


@given(fractions, hs.floats(1e-3, 100.0), hs.floats(0.01, 1.0), hs.floats(0.001, 5.0))
def test_kelly_is_never_negative_and_never_above_the_cap(
    p: float, b: float, fraction: float, cap: float
) -> None:
    f = sz.kelly_fraction(p, b, fraction=fraction, cap=cap)
    assert 0.0 <= f <= cap
    full = p - (1 - p) / b
    assert f <= max(fraction * full, 0.0) * (1 + 1e-12) + 1e-15
    assert f == nb.kelly_fraction_nb(p, b, fraction, cap)  # wrapper == scalar kernel


@given(
    hs.one_of(hs.just(math.nan), hs.floats(0.0, 1.0, allow_subnormal=False)),
    hs.sampled_from([365.0, 8760.0, 525_600.0]),
    hs.floats(0.01, 1.0),
    hs.floats(0.1, 10.0),
)
def test_vol_target_stays_within_leverage_and_hits_the_target_when_uncapped(
    vol: float, ppy: float, target: float, max_lev: float
) -> None:
    e = sz.vol_target(vol, ppy, target=target, max_leverage=max_lev)
    assert 0.0 <= e <= max_lev
    if math.isnan(vol):
        assert e == 0.0
    elif e < max_lev:
        assert math.isclose(e * vol * math.sqrt(ppy), target, rel_tol=1e-12)


@given(equities, prices, hs.lists(hs.booleans(), min_size=1, max_size=10), leverages)
def test_smc_sizes_are_whole_non_negative_and_within_the_rule(
    equity: float, price: float, fresh: list[bool], max_lev: float
) -> None:
    units = sz.smc_size(equity, price, fresh, contract_size=0.1, max_leverage=max_lev)
    flags = np.array(fresh)
    limit = equity * np.where(flags, 0.4 * min(20.0, max_lev), 0.3 * min(10.0, max_lev))
    assert (units >= 0.0).all()
    assert (units * price <= limit * (1 + REL) + 1e-12).all()
    n = units / 0.1
    np.testing.assert_allclose(n, np.round(n), atol=1e-6)


# ------------------------------------------------------------------ tiers


@hs.composite
def oscillations(draw: hs.DrawFn) -> tuple[int, float, np.ndarray]:
    """A boundary of the default tiers, a hysteresis, and a path strictly inside its band."""
    j = draw(hs.integers(1, len(sz.DEFAULT_LOWER_BOUNDS) - 1))
    # up to 0.3: the default boundaries are at least 2x apart, so bands of neighbouring
    # boundaries overlap only for h > 1/3 (5000 (1 - h) < 2500 (1 + h)); then a path inside one
    # band may lie inside another too and the tier it starts in is not determined by j
    h = draw(hs.floats(0.01, 0.3))
    b = sz.DEFAULT_LOWER_BOUNDS[j]
    lo, hi = b * (1 - h), b * (1 + h)
    inside = hs.floats(lo, hi, exclude_min=True, exclude_max=True, allow_subnormal=False)
    path = draw(hs.lists(inside, min_size=2, max_size=200))
    return j, h, np.array(path)


@given(oscillations(), hs.sampled_from([None, "below", "above"]))
def test_tiers_never_flap_inside_the_hysteresis_band(
    case: tuple[int, float, np.ndarray], start: str | None
) -> None:
    j, h, path = case
    tiers = sz.CapitalTiers(hysteresis=h)
    initial = {None: None, "below": j - 1, "above": j}[start]
    out = tiers.path(path, initial_tier=initial)
    assert (out == out[0]).all()  # one tier for the whole path
    assert out[0] in (j - 1, j)


@given(hs.lists(hs.floats(0.0, 300_000.0, allow_subnormal=False), min_size=1, max_size=100),
       hs.floats(0.0, 0.5))  # fmt: skip
def test_tier_changes_only_past_the_switch_levels(path: list[float], h: float) -> None:
    tiers = sz.CapitalTiers(hysteresis=h)
    out = tiers.path(np.array(path))
    assert out[0] == tiers.tier_for(path[0])
    for prev, new, e in zip(out[:-1], out[1:], path[1:], strict=True):
        down, up = tiers.switch_levels(int(prev))
        if new > prev:
            assert e >= up
            assert e >= sz.DEFAULT_LOWER_BOUNDS[new] * (1 + h)
        elif new < prev:
            assert e < down
            assert e < sz.DEFAULT_LOWER_BOUNDS[new + 1] * (1 - h)
        else:
            assert down <= e < up
        assert new == tiers.tier_for(e, int(prev))  # the numba path == the scalar step
