"""Numba kernels of :mod:`soltrader.sizing` (``*_nb``): scalar rules, their 1-D loops and the
capital-tier state machine.

The scalar kernels take and return plain floats and are meant to be called from other
``@numba.njit`` code (strategy and sweep kernels); the ``*_1d_nb`` loops apply them element-wise
to equal-length float64 arrays. Kernels do not validate their arguments: the public wrappers in
:mod:`soltrader.sizing` do. Importing compiles nothing; numba compiles each kernel on its first
call and caches it.

Units: equity and notionals in quote currency, prices in quote per base unit, sizes in base
units, fractions of equity as fractions (0.02 = 2 %), leverage as a multiple, volatility as a
fraction per bar (``periods_per_year`` annualises it).

Examples
--------
>>> from soltrader.sizing.nb import kelly_fraction_nb
>>> round(kelly_fraction_nb(0.6, 2.0, 0.25, 1.0), 12)  # 0.25 * (0.6 - 0.4 / 2)
0.1
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: Contracts of float rounding tolerated before flooring (``0.3 / 0.1`` is 2.9999999999999996).
FLOOR_EPS = 1e-9
#: ``initial_tier`` value of :func:`tier_path_nb` meaning "start from the plain tier".
NO_TIER = np.int64(-1)

_ZERO = np.int64(0)


# ---------------------------------------------------------------------------------------------
# scalar rules


@numba.njit(cache=True)
def fixed_fraction_units_nb(equity: float, price: float, fraction: float) -> float:
    """Base units worth ``fraction`` of ``equity``: ``equity * fraction / price``.

    Examples
    --------
    >>> fixed_fraction_units_nb(10_000.0, 100.0, 0.1)
    10.0
    """
    return equity * fraction / price


@numba.njit(cache=True)
def fixed_risk_units_nb(
    equity: float, price: float, stop_distance: float, risk_fraction: float, max_leverage: float
) -> float:
    """Base units that lose ``risk_fraction`` of ``equity`` if the stop is hit, capped by leverage.

    ``min(equity * risk_fraction / stop_distance, equity * max_leverage / price)``;
    ``stop_distance`` is in quote per base unit (e.g. ``2 * ATR``).

    Examples
    --------
    >>> fixed_risk_units_nb(10_000.0, 100.0, 2.5, 0.01, 1.0)  # 100 quote at risk / 2.5
    40.0
    """
    units = equity * risk_fraction / stop_distance
    cap = equity * max_leverage / price
    return min(units, cap)


@numba.njit(cache=True)
def kelly_fraction_nb(win_rate: float, payoff_ratio: float, fraction: float, cap: float) -> float:
    """Fractional Kelly: ``clip(fraction * (p - (1 - p) / b), 0, cap)`` (fraction of equity).

    ``p`` = win rate, ``b`` = payoff ratio (average win / average loss, both positive).

    Examples
    --------
    >>> kelly_fraction_nb(0.4, 1.0, 0.25, 1.0)  # full Kelly -0.2: no bet
    0.0
    """
    full = win_rate - (1.0 - win_rate) / payoff_ratio
    f = fraction * full
    if f <= 0.0:
        return 0.0
    return min(f, cap)


@numba.njit(cache=True)
def vol_target_fraction_nb(
    vol: float, periods_per_year: float, target: float, max_leverage: float
) -> float:
    """Exposure (fraction of equity) giving ``target`` annualised volatility, capped by leverage.

    ``min(target / (vol * sqrt(periods_per_year)), max_leverage)``; ``vol`` is the realised
    volatility per bar. NaN ``vol`` (no estimate yet, e.g. warm-up) gives 0; zero ``vol`` gives
    ``max_leverage``.

    Examples
    --------
    >>> round(vol_target_fraction_nb(0.02, 365.0, 0.15, 1.0), 6)  # 0.15 / (0.02 * 19.104973)
    0.392568
    """
    if not vol >= 0.0:
        return 0.0
    annual = vol * math.sqrt(periods_per_year)
    if annual * max_leverage <= target:
        return max_leverage
    return target / annual


@numba.njit(cache=True)
def leveraged_exposure_nb(margin_fraction: float, leverage: float, max_leverage: float) -> float:
    """Exposure (notional / equity) of posting ``margin_fraction`` of equity at ``leverage``,
    the leverage capped at the venue's ``max_leverage``: ``margin * min(leverage, max_leverage)``.

    Examples
    --------
    >>> leveraged_exposure_nb(0.4, 20.0, 10.0)
    4.0
    """
    return margin_fraction * min(leverage, max_leverage)


@numba.njit(cache=True)
def whole_contracts_nb(units: float, contract_size: float) -> float:
    """Whole contracts in ``units`` base units, floored: ``floor(q + max(1e-9, 2 eps q))`` with
    ``q = units / contract_size`` and ``eps`` the float64 machine epsilon.

    Returns an integer-valued float (so that njit callers keep one type); float rounding of the
    division is forgiven, absolutely for small counts (``0.3`` units of ``0.1`` are 3 contracts,
    not 2) and by two to four units in the last place for large ones (an absolute 1e-9 is below
    the spacing of doubles from about 1e7 contracts on; more than a few units would round a
    fraction of a contract up once the spacing of doubles nears one contract). Beyond about 1e12
    contracts a double cannot tell one contract from rounding, and no flooring rule is exact.

    Examples
    --------
    >>> whole_contracts_nb(0.3, 0.1), whole_contracts_nb(53.3, 1.0)
    (3.0, 53.0)
    """
    q = units / contract_size
    return np.floor(q + max(FLOOR_EPS, 2.0 * 2.220446049250313e-16 * abs(q)))


@numba.njit(cache=True)
def order_units_nb(
    equity: float,
    price: float,
    exposure: float,
    max_leverage: float,
    contract_size: float,
    min_notional: float,
    min_equity_fraction: float,
) -> float:
    """Final order size in base units from a target exposure (fraction of equity).

    1. exposure capped at ``max_leverage``: ``e = min(exposure, max_leverage)``;
    2. ``units = equity * e / price``;
    3. with ``contract_size > 0``: floored to whole contracts, ``units = n * contract_size``;
    4. skipped (0) when ``units * price < max(min_notional, min_equity_fraction * equity)``.

    Examples
    --------
    >>> order_units_nb(1_000.0, 150.0, 8.0, 20.0, 1.0, 5.0, 0.005)  # 8000 / 150 = 53.3 -> 53
    53.0
    >>> order_units_nb(1_000.0, 150.0, 0.004, 1.0, 0.0, 0.0, 0.005)  # 4 quote < 0.5 % of 1000
    0.0
    """
    e = min(exposure, max_leverage)
    units = equity * e / price
    if contract_size > 0.0:
        units = whole_contracts_nb(units, contract_size) * contract_size
    threshold = max(min_notional, min_equity_fraction * equity)
    if units <= 0.0 or units * price < threshold:
        return 0.0
    return units


@numba.njit(cache=True)
def smc_units_nb(
    equity: float,
    price: float,
    fresh: bool,
    fresh_margin: float,
    fresh_leverage: float,
    breaker_margin: float,
    breaker_leverage: float,
    max_leverage: float,
    contract_size: float,
    min_notional: float,
) -> float:
    """Order-block sizing: margin ``fresh_margin`` of equity at ``fresh_leverage`` for a fresh
    OB, ``breaker_margin`` at ``breaker_leverage`` for a breaker, the leverage capped at
    ``max_leverage``, floored to whole contracts, skipped below ``min_notional``.

    Examples
    --------
    >>> smc_units_nb(1_000.0, 150.0, True, 0.4, 20.0, 0.3, 10.0, 20.0, 1.0, 5.0)  # 8000/150
    53.0
    >>> smc_units_nb(1_000.0, 150.0, False, 0.4, 20.0, 0.3, 10.0, 20.0, 1.0, 5.0)  # 3000/150
    20.0
    """
    if fresh:
        exposure = leveraged_exposure_nb(fresh_margin, fresh_leverage, max_leverage)
    else:
        exposure = leveraged_exposure_nb(breaker_margin, breaker_leverage, max_leverage)
    return order_units_nb(equity, price, exposure, max_leverage, contract_size, min_notional, 0.0)


# ---------------------------------------------------------------------------------------------
# 1-D loops (arrays of one length in, one array out)


@numba.njit(cache=True)
def fixed_fraction_units_1d_nb(
    equity: np.ndarray, price: np.ndarray, fraction: np.ndarray
) -> np.ndarray:
    """:func:`fixed_fraction_units_nb` element-wise.

    Examples
    --------
    >>> fixed_fraction_units_1d_nb(np.array([1e4]), np.array([100.0]), np.array([0.1]))
    array([10.])
    """
    out = np.empty(equity.shape[0])
    for i in range(equity.shape[0]):
        out[i] = fixed_fraction_units_nb(equity[i], price[i], fraction[i])
    return out


@numba.njit(cache=True)
def fixed_risk_units_1d_nb(
    equity: np.ndarray,
    price: np.ndarray,
    stop_distance: np.ndarray,
    risk_fraction: np.ndarray,
    max_leverage: np.ndarray,
) -> np.ndarray:
    """:func:`fixed_risk_units_nb` element-wise.

    Examples
    --------
    >>> one = np.ones(1)
    >>> fixed_risk_units_1d_nb(1e4 * one, 100 * one, 2.5 * one, 0.01 * one, one)
    array([40.])
    """
    out = np.empty(equity.shape[0])
    for i in range(equity.shape[0]):
        out[i] = fixed_risk_units_nb(
            equity[i], price[i], stop_distance[i], risk_fraction[i], max_leverage[i]
        )
    return out


@numba.njit(cache=True)
def kelly_fraction_1d_nb(
    win_rate: np.ndarray, payoff_ratio: np.ndarray, fraction: np.ndarray, cap: np.ndarray
) -> np.ndarray:
    """:func:`kelly_fraction_nb` element-wise.

    Examples
    --------
    >>> one = np.ones(1)
    >>> kelly_fraction_1d_nb(0.6 * one, 2 * one, 0.25 * one, one)
    array([0.1])
    """
    out = np.empty(win_rate.shape[0])
    for i in range(win_rate.shape[0]):
        out[i] = kelly_fraction_nb(win_rate[i], payoff_ratio[i], fraction[i], cap[i])
    return out


@numba.njit(cache=True)
def vol_target_fraction_1d_nb(
    vol: np.ndarray, periods_per_year: np.ndarray, target: np.ndarray, max_leverage: np.ndarray
) -> np.ndarray:
    """:func:`vol_target_fraction_nb` element-wise (e.g. over a realised-volatility series).

    Examples
    --------
    >>> one = np.ones(2)
    >>> vol_target_fraction_1d_nb(np.array([np.nan, 0.0]), 365 * one, 0.15 * one, one)
    array([0., 1.])
    """
    out = np.empty(vol.shape[0])
    for i in range(vol.shape[0]):
        out[i] = vol_target_fraction_nb(vol[i], periods_per_year[i], target[i], max_leverage[i])
    return out


@numba.njit(cache=True)
def leveraged_exposure_1d_nb(
    margin_fraction: np.ndarray, leverage: np.ndarray, max_leverage: np.ndarray
) -> np.ndarray:
    """:func:`leveraged_exposure_nb` element-wise.

    Examples
    --------
    >>> leveraged_exposure_1d_nb(np.array([0.3]), np.array([10.0]), np.array([20.0]))
    array([3.])
    """
    out = np.empty(margin_fraction.shape[0])
    for i in range(margin_fraction.shape[0]):
        out[i] = leveraged_exposure_nb(margin_fraction[i], leverage[i], max_leverage[i])
    return out


@numba.njit(cache=True)
def whole_contracts_1d_nb(units: np.ndarray, contract_size: np.ndarray) -> np.ndarray:
    """:func:`whole_contracts_nb` element-wise, as int64 contract counts.

    Examples
    --------
    >>> whole_contracts_1d_nb(np.array([0.3, 0.29]), np.array([0.1, 0.1]))
    array([3, 2])
    """
    out = np.empty(units.shape[0], dtype=np.int64)
    for i in range(units.shape[0]):
        out[i] = np.int64(whole_contracts_nb(units[i], contract_size[i]))
    return out


@numba.njit(cache=True)
def order_units_1d_nb(
    equity: np.ndarray,
    price: np.ndarray,
    exposure: np.ndarray,
    max_leverage: np.ndarray,
    contract_size: np.ndarray,
    min_notional: np.ndarray,
    min_equity_fraction: np.ndarray,
) -> np.ndarray:
    """:func:`order_units_nb` element-wise.

    Examples
    --------
    >>> one = np.ones(1)
    >>> order_units_1d_nb(1e3 * one, 150 * one, 8 * one, 20 * one, one, 5 * one, 0 * one)
    array([53.])
    """
    out = np.empty(equity.shape[0])
    for i in range(equity.shape[0]):
        out[i] = order_units_nb(
            equity[i],
            price[i],
            exposure[i],
            max_leverage[i],
            contract_size[i],
            min_notional[i],
            min_equity_fraction[i],
        )
    return out


@numba.njit(cache=True)
def smc_units_1d_nb(
    equity: np.ndarray,
    price: np.ndarray,
    fresh: np.ndarray,
    params: np.ndarray,
    max_leverage: np.ndarray,
    contract_size: np.ndarray,
    min_notional: np.ndarray,
) -> np.ndarray:
    """:func:`smc_units_nb` element-wise; ``fresh`` is a bool array, ``params`` the four floats
    ``(fresh_margin, fresh_leverage, breaker_margin, breaker_leverage)``.

    Examples
    --------
    >>> one = np.ones(1)
    >>> p = np.array([0.4, 20.0, 0.3, 10.0])
    >>> smc_units_1d_nb(1e3 * one, 150 * one, np.array([False]), p, 20 * one, one, 5 * one)
    array([20.])
    """
    out = np.empty(equity.shape[0])
    for i in range(equity.shape[0]):
        out[i] = smc_units_nb(
            equity[i],
            price[i],
            fresh[i],
            params[0],
            params[1],
            params[2],
            params[3],
            max_leverage[i],
            contract_size[i],
            min_notional[i],
        )
    return out


# ---------------------------------------------------------------------------------------------
# capital tiers


@numba.njit(cache=True)
def plain_tier_nb(equity: float, lower_bounds: np.ndarray) -> np.int64:
    """Tier of ``equity`` without hysteresis: the last ``j`` with ``lower_bounds[j] <= equity``
    (0 when equity is below every bound: the first tier also takes smaller accounts).

    Examples
    --------
    >>> int(plain_tier_nb(3_000.0, np.array([1e3, 2.5e3, 5e3, 2.5e4, 1e5])))
    1
    """
    tier = _ZERO
    for j in range(1, lower_bounds.shape[0]):
        if equity >= lower_bounds[j]:
            tier = np.int64(j)
    return tier


@numba.njit(cache=True)
def tier_step_nb(
    equity: float, previous: np.int64, lower_bounds: np.ndarray, hysteresis: float
) -> np.int64:
    """Next tier from ``previous`` given ``equity``, with hysteresis ``h`` around each boundary.

    With ``B[j] = lower_bounds[j]`` the boundary between tiers ``j - 1`` and ``j``:

    * up: to the highest ``j > previous`` with ``equity >= B[j] * (1 + h)``;
    * otherwise down: to the lowest ``j < previous`` with ``equity < B[j + 1] * (1 - h)``;
    * otherwise stay. ``previous < 0`` means "no previous tier": the plain tier.

    Examples
    --------
    >>> b = np.array([1e3, 2.5e3, 5e3, 2.5e4, 1e5])
    >>> [int(tier_step_nb(e, np.int64(0), b, 0.2)) for e in (2_900.0, 3_000.0)]
    [0, 1]
    """
    if previous < 0:
        return plain_tier_nb(equity, lower_bounds)
    n = lower_bounds.shape[0]
    for j in range(n - 1, previous, -1):
        if equity >= lower_bounds[j] * (1.0 + hysteresis):
            return np.int64(j)
    for j in range(previous):
        if equity < lower_bounds[j + 1] * (1.0 - hysteresis):
            return np.int64(j)
    return previous


@numba.njit(cache=True)
def tier_path_nb(
    equity: np.ndarray, lower_bounds: np.ndarray, hysteresis: float, initial_tier: np.int64
) -> np.ndarray:
    """Tier after each bar of an equity path: :func:`tier_step_nb` run as a state machine.

    ``initial_tier`` is the tier before the first bar (:data:`NO_TIER` = -1: the first bar takes
    its plain tier).

    Examples
    --------
    >>> b = np.array([1e3, 2.5e3, 5e3, 2.5e4, 1e5])
    >>> tier_path_nb(np.array([2_000.0, 2_900.0, 3_100.0, 2_100.0, 1_900.0]), b, 0.2, NO_TIER)
    array([0, 0, 1, 1, 0])
    """
    out = np.empty(equity.shape[0], dtype=np.int64)
    tier = initial_tier
    for i in range(equity.shape[0]):
        tier = tier_step_nb(equity[i], tier, lower_bounds, hysteresis)
        out[i] = tier
    return out
