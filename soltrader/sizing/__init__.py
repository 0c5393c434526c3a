"""Position sizing (pure): fixed fraction, fixed risk from the stop distance, fractional Kelly,
volatility targeting, leverage with venue caps, whole contracts, minimum-notional filter, capital
tiers with hysteresis, the order-block (SMC) rule, and the capital allocation between strategy
sleeves (:mod:`soltrader.sizing.allocation`, the coordinator's rules).

Each rule is a typed wrapper (scalars, arrays or Series in) over a numba kernel in
:mod:`soltrader.sizing.nb` that sweeps and strategies call from their own ``njit`` code.
Conventions and formulas: ``docs/sizing_and_risk.md``.

Examples
--------
>>> import soltrader.sizing as sz
>>> round(sz.kelly_fraction(0.6, 2.0), 12)  # quarter Kelly of 0.6 - 0.4 / 2
0.1
>>> sz.order_size(10_000.0, 150.0, sz.vol_target(0.01, 8760), contract_size=0.01)
10.68
"""

from soltrader.sizing.allocation import (
    DEFAULT_WEIGHTS,
    allocation_weights,
    fixed_weights,
    rebalance_bars,
    resolve_conflicts,
)
from soltrader.sizing.api import (
    VenueLimits,
    fixed_fraction,
    fixed_risk,
    kelly_fraction,
    leveraged_exposure,
    order_size,
    smc_size,
    vol_target,
    whole_contracts,
)
from soltrader.sizing.tiers import (
    DEFAULT_LOWER_BOUNDS,
    DEFAULT_SETTINGS,
    CapitalTiers,
    TierSettings,
)

__all__ = [
    "DEFAULT_LOWER_BOUNDS",
    "DEFAULT_SETTINGS",
    "DEFAULT_WEIGHTS",
    "CapitalTiers",
    "TierSettings",
    "VenueLimits",
    "allocation_weights",
    "fixed_fraction",
    "fixed_risk",
    "fixed_weights",
    "kelly_fraction",
    "leveraged_exposure",
    "order_size",
    "rebalance_bars",
    "resolve_conflicts",
    "smc_size",
    "vol_target",
    "whole_contracts",
]
