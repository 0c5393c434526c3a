"""Numba cost kernels: market impact, constant-product AMM fills, and a counter-based uniform
random number for failed transactions (deterministic whatever the thread that asks)."""

from __future__ import annotations

import numpy as np
from numba import njit

IMPACT_NONE = 0
IMPACT_LINEAR = 1
IMPACT_SQRT = 2
IMPACT_ALMGREN_CHRISS = 3


@njit(cache=True)
def impact_fraction_nb(
    model: int, qty: float, bar_volume: float, sigma: float, k1: float, k2: float
) -> float:
    """Adverse price move, as a fraction of the price, of trading ``qty`` units in one bar.

    Parameters
    ----------
    model : int
        ``IMPACT_LINEAR``: ``k1 * q / V``. ``IMPACT_SQRT``: ``k1 * sigma * sqrt(q / V)`` (the
        square-root law). ``IMPACT_ALMGREN_CHRISS``: ``sigma * (k1 * (q / V) ** 0.6 +
        0.5 * k2 * q / V)``: temporary impact (eta = k1) plus half the permanent impact
        (gamma = k2), with the exponents of Almgren, Thum, Hauptmann and Li (2005).
    qty : float
        Units traded, base units (> 0).
    bar_volume : float
        Units the market traded in the bar, base units.
    sigma : float
        Volatility of one bar's return (fraction), for the square-root and AC models.
    k1, k2 : float
        Model coefficients (see above).

    Returns
    -------
    float
        Fraction added to a buy price (subtracted from a sell price); ``inf`` when the bar had no
        volume but the model needs it.

    Examples
    --------
    >>> impact_fraction_nb(IMPACT_LINEAR, 10.0, 1000.0, 0.0, 0.1, 0.0)
    0.001
    """
    if model == IMPACT_NONE or qty <= 0.0:
        return 0.0
    if not bar_volume > 0.0:
        return np.inf
    part = qty / bar_volume
    if model == IMPACT_LINEAR:
        return k1 * part
    if model == IMPACT_SQRT:
        return k1 * sigma * np.sqrt(part)
    return sigma * (k1 * part**0.6 + 0.5 * k2 * part)


@njit(cache=True)
def amm_reserves_nb(liquidity: float, price: float) -> tuple[float, float]:
    """Base and quote reserves ``(x, y)`` of a constant-product pool with depth ``liquidity``
    (``sqrt(x * y)``, in sqrt(base * quote) units) at marginal ``price`` (quote per base).

    Examples
    --------
    >>> amm_reserves_nb(1000.0, 4.0)
    (500.0, 2000.0)
    """
    root = np.sqrt(price)
    return liquidity / root, liquidity * root


@njit(cache=True)
def amm_base_out_nb(x: float, y: float, quote_in: float, pool_fee: float) -> float:
    """Base units received for paying ``quote_in`` into a pool (x·y = k, fee on the input).

    Examples
    --------
    >>> round(amm_base_out_nb(1000.0, 1000.0, 100.0, 0.0), 6)
    90.909091
    """
    eff = quote_in * (1.0 - pool_fee)
    return x * eff / (y + eff)


@njit(cache=True)
def amm_quote_out_nb(x: float, y: float, base_in: float, pool_fee: float) -> float:
    """Quote received for selling ``base_in`` into a pool (x·y = k, fee on the input).

    Examples
    --------
    >>> round(amm_quote_out_nb(1000.0, 1000.0, 100.0, 0.0), 6)
    90.909091
    """
    eff = base_in * (1.0 - pool_fee)
    return y * eff / (x + eff)


@njit(cache=True)
def amm_quote_in_nb(x: float, y: float, base_out: float, pool_fee: float) -> float:
    """Quote needed to buy exactly ``base_out`` from a pool (``inf`` if it exceeds the reserve).

    Examples
    --------
    >>> round(amm_quote_in_nb(1000.0, 1000.0, 90.909090909, 0.0), 4)
    100.0
    """
    if base_out >= x:
        return np.inf
    return y * base_out / ((x - base_out) * (1.0 - pool_fee))


@njit(cache=True)
def uniform_nb(seed: int, a: int, b: int) -> float:
    """A uniform number in [0, 1) that depends only on ``(seed, a, b)`` (splitmix64 mixing).

    Counter-based, so the same order draws the same number whatever the thread or the order in
    which simulations run: serial and parallel sweeps stay bit-identical.

    Examples
    --------
    >>> uniform_nb(1, 2, 3) == uniform_nb(1, 2, 3)
    True
    """
    z = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
    z = z ^ (np.uint64(a) * np.uint64(0xBF58476D1CE4E5B9))
    z = z ^ (np.uint64(b) * np.uint64(0x94D049BB133111EB))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) / 9007199254740992.0
