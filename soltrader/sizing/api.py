"""Position-sizing rules: typed wrappers over :mod:`soltrader.sizing.nb`.

Every function accepts scalars, numpy arrays, lists or pandas Series (broadcast against each other;
Series must share one index) and returns a float for all-scalar input, else a numpy array, or a
Series on the inputs' index. Arguments outside their documented range raise
:class:`~soltrader.domain.errors.ParameterError` naming the argument (and row).

Units: equity and notionals in quote currency; prices and stop distances in quote per base unit;
sizes in base units; fractions of equity as fractions (0.02 = 2 %); leverage and exposure
(notional / equity) as multiples; volatility as a fraction per bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from soltrader.domain.errors import ParameterError
from soltrader.sizing import nb
from soltrader.sizing._inputs import Bound, broadcast, check, check_flags

EQUITY = Bound(0.0, what="equity (quote currency)")
PRICE = Bound(0.0, low_open=True, what="a price (quote per base unit)")
POSITIVE = Bound(0.0, low_open=True, what="a positive number")
NON_NEGATIVE = Bound(0.0, what="a non-negative number")
UNIT_FRACTION = Bound(0.0, 1.0, what="a fraction of equity")
LEVERAGE = Bound(1.0, what="a leverage multiple")


def _run(kernel: Any, named: dict[str, tuple[Any, Bound]]) -> Any:
    """Check every argument, broadcast, run a ``*_1d_nb`` kernel, return the caller's kind."""
    raw = {name: value for name, (value, _) in named.items()}
    arrays = {name: check(value, name, bound) for name, (value, bound) in named.items()}
    flat, shape = broadcast(raw, arrays)
    return shape.wrap(kernel(*flat))


def _venue_cap(max_leverage: Any) -> np.ndarray:
    """A checked leverage cap, or an infinite one for ``None``."""
    if max_leverage is None:
        return np.asarray(np.inf)
    return check(max_leverage, "max_leverage", LEVERAGE)


def fixed_fraction(equity: Any, price: Any, fraction: Any) -> Any:
    """Base units worth a fixed fraction of equity: ``equity * fraction / price``.

    Parameters
    ----------
    equity : float or array-like
        Account equity, quote currency, >= 0.
    price : float or array-like
        Entry price, quote per base unit, > 0.
    fraction : float or array-like
        Fraction of equity to commit, in [0, 1] (use :func:`order_size` for leverage).

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Size in base units.

    Examples
    --------
    >>> fixed_fraction(10_000.0, 100.0, 0.1)
    10.0
    """
    return _run(
        nb.fixed_fraction_units_1d_nb,
        {
            "equity": (equity, EQUITY),
            "price": (price, PRICE),
            "fraction": (fraction, UNIT_FRACTION),
        },
    )


def fixed_risk(
    equity: Any,
    price: Any,
    stop_distance: Any,
    risk_fraction: Any = 0.01,
    *,
    max_leverage: Any = 1.0,
) -> Any:
    """Base units that lose a fixed fraction of equity if the stop is hit.

    ``units = min(equity * risk_fraction / stop_distance, equity * max_leverage / price)``: the
    loss at the stop is ``units * stop_distance = equity * risk_fraction`` unless the leverage
    cap binds. An ATR stop is ``stop_distance = k * ATR`` (e.g. ``st.indicators.atr``).

    Parameters
    ----------
    equity : float or array-like
        Account equity, quote currency, >= 0.
    price : float or array-like
        Entry price, quote per base unit, > 0.
    stop_distance : float or array-like
        Distance from entry to stop, quote per base unit, > 0.
    risk_fraction : float or array-like, default 0.01
        Fraction of equity lost at the stop, in (0, 1].
    max_leverage : float or array-like, default 1.0
        Cap on notional / equity, > 0.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Size in base units.

    Examples
    --------
    >>> fixed_risk(10_000.0, 100.0, 2.5, 0.01)  # 100 quote at risk / 2.5 per unit
    40.0
    >>> fixed_risk(10_000.0, 100.0, 0.5, 0.01)  # 200 units would be 2x: capped at 1x
    100.0
    """
    return _run(
        nb.fixed_risk_units_1d_nb,
        {
            "equity": (equity, EQUITY),
            "price": (price, PRICE),
            "stop_distance": (stop_distance, Bound(0.0, low_open=True, what="a stop distance")),
            "risk_fraction": (risk_fraction, Bound(0.0, 1.0, low_open=True, what="a fraction")),
            "max_leverage": (max_leverage, POSITIVE),
        },
    )


def kelly_fraction(
    win_rate: Any, payoff_ratio: Any, *, fraction: Any = 0.25, cap: Any = 0.25
) -> Any:
    """Fractional Kelly bet as a fraction of equity, never negative, capped.

    Full Kelly for a bet won with probability ``p`` paying ``b`` per unit risked and losing the
    unit otherwise is ``f* = p - (1 - p) / b``; the result is
    ``min(max(fraction * f*, 0), cap)``: no bet when the edge is negative.

    Parameters
    ----------
    win_rate : float or array-like
        ``p``, share of winning trades, in [0, 1] (e.g. ``st.metrics.win_rate``).
    payoff_ratio : float or array-like
        ``b``, average win / average loss (both as positive amounts), > 0 (e.g.
        ``st.metrics.win_loss_ratio``).
    fraction : float or array-like, default 0.25
        Multiple of full Kelly, in (0, 1] (0.25 = quarter Kelly).
    cap : float or array-like, default 0.25
        Largest fraction of equity returned, > 0.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Fraction of equity to risk (feed it to :func:`order_size` as the exposure).

    Examples
    --------
    >>> round(kelly_fraction(0.55, 1.5), 12)  # f* = 0.55 - 0.45 / 1.5 = 0.25; 0.25 * 0.25
    0.0625
    >>> kelly_fraction(0.4, 1.0)  # f* = -0.2: no bet
    0.0
    """
    return _run(
        nb.kelly_fraction_1d_nb,
        {
            "win_rate": (win_rate, Bound(0.0, 1.0, what="a win rate (fraction)")),
            "payoff_ratio": (payoff_ratio, POSITIVE),
            "fraction": (fraction, Bound(0.0, 1.0, low_open=True, what="a multiple of Kelly")),
            "cap": (cap, POSITIVE),
        },
    )


def vol_target(
    realized_vol: Any, periods_per_year: Any, *, target: Any = 0.15, max_leverage: Any = 1.0
) -> Any:
    """Exposure (notional / equity) that targets an annualised volatility.

    ``min(target / (realized_vol * sqrt(periods_per_year)), max_leverage)``. A NaN volatility
    (no estimate yet, e.g. the warm-up of ``st.indicators.realized_vol``) gives 0: no position;
    a zero volatility gives ``max_leverage``.

    Parameters
    ----------
    realized_vol : float or array-like
        Realised volatility **per bar** (fraction), >= 0 or NaN, e.g.
        ``st.indicators.realized_vol(close, 24, periods_per_year=1)``.
    periods_per_year : float or array-like
        Bars per year, > 0 (``st.metrics.periods_per_year("1h")`` = 8760).
    target : float or array-like, default 0.15
        Target volatility per year (fraction), > 0.
    max_leverage : float or array-like, default 1.0
        Cap on the exposure, > 0.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Exposure, a multiple of equity (feed it to :func:`order_size`).

    Examples
    --------
    >>> round(vol_target(0.01, 8760), 6)  # 0.15 / (0.01 * sqrt(8760) = 0.935949)
    0.160265
    >>> vol_target(0.0001, 8760, max_leverage=2.0)  # 0.15 / 0.00936 = 16.0: capped
    2.0
    """
    return _run(
        nb.vol_target_fraction_1d_nb,
        {
            "realized_vol": (realized_vol, Bound(0.0, nan_ok=True, what="a volatility per bar")),
            "periods_per_year": (periods_per_year, POSITIVE),
            "target": (target, POSITIVE),
            "max_leverage": (max_leverage, POSITIVE),
        },
    )


def leveraged_exposure(margin_fraction: Any, leverage: Any, max_leverage: Any) -> Any:
    """Exposure of posting a fraction of equity as margin at a leverage, capped by the venue.

    ``margin_fraction * min(leverage, max_leverage)`` (notional / equity).

    Parameters
    ----------
    margin_fraction : float or array-like
        Fraction of equity posted as margin, in [0, 1].
    leverage : float or array-like
        Requested leverage, >= 1.
    max_leverage : float or array-like
        The venue's maximum leverage for the instrument, >= 1.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Exposure, a multiple of equity.

    Examples
    --------
    >>> leveraged_exposure(0.4, 20, 20), leveraged_exposure(0.4, 20, 10)
    (8.0, 4.0)
    """
    return _run(
        nb.leveraged_exposure_1d_nb,
        {
            "margin_fraction": (margin_fraction, UNIT_FRACTION),
            "leverage": (leverage, LEVERAGE),
            "max_leverage": (max_leverage, LEVERAGE),
        },
    )


def whole_contracts(units: Any, contract_size: Any) -> Any:
    """Whole contracts in a size, floored: ``floor(q + max(1e-9, 2 eps q))``, ``q = units /
    contract_size``, ``eps`` the float64 machine epsilon.

    Float rounding of the division is forgiven (``0.3 / 0.1`` is 2.9999999999999996 in binary
    floating point, and is 3 contracts; the tolerance grows with the count so it still exceeds
    the spacing of doubles for tens of millions of contracts).

    Parameters
    ----------
    units : float or array-like
        Size in base units, >= 0.
    contract_size : float or array-like
        Base units per contract (lot size), > 0.

    Returns
    -------
    int, numpy.ndarray of int64 or pandas.Series
        Number of contracts; the tradable size is ``contracts * contract_size``.

    Examples
    --------
    >>> whole_contracts(53.9, 1.0), whole_contracts(0.3, 0.1)
    (53, 3)
    """
    return _run(
        nb.whole_contracts_1d_nb,
        {
            "units": (units, Bound(0.0, what="a size (base units)")),
            "contract_size": (contract_size, POSITIVE),
        },
    )


def order_size(
    equity: Any,
    price: Any,
    exposure: Any,
    *,
    max_leverage: Any = 1.0,
    contract_size: Any = 0.0,
    min_notional: Any = 0.0,
    min_equity_fraction: Any = 0.0,
) -> Any:
    """Turn a target exposure into an order size: leverage cap, whole contracts, minimum filter.

    1. ``e = min(exposure, max_leverage)``; 2. ``units = equity * e / price``;
    3. with ``contract_size > 0``, floored to whole contracts (:func:`whole_contracts`);
    4. 0 ("skip") when ``units * price < max(min_notional, min_equity_fraction * equity)``.

    Parameters
    ----------
    equity : float or array-like
        Account equity, quote currency, >= 0.
    price : float or array-like
        Entry price, quote per base unit, > 0.
    exposure : float or array-like
        Target notional / equity, >= 0 (from :func:`kelly_fraction`, :func:`vol_target`,
        :func:`leveraged_exposure`, ...).
    max_leverage : float or array-like, default 1.0
        Cap on notional / equity, > 0.
    contract_size : float or array-like, default 0.0
        Base units per contract; 0 for no flooring.
    min_notional : float or array-like, default 0.0
        The venue's minimum order value, quote currency, >= 0.
    min_equity_fraction : float or array-like, default 0.0
        Skip orders worth less than this fraction of equity (e.g. 0.005), in [0, 1).

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Size in base units (0 when skipped).

    Examples
    --------
    >>> order_size(1_000.0, 150.0, 8.0, max_leverage=20.0, contract_size=1.0)  # 53.3 -> 53
    53.0
    >>> order_size(1_000.0, 150.0, 0.004, min_equity_fraction=0.005)  # 4 < 5 quote: skip
    0.0
    """
    return _run(
        nb.order_units_1d_nb,
        {
            "equity": (equity, EQUITY),
            "price": (price, PRICE),
            "exposure": (exposure, Bound(0.0, what="an exposure (notional / equity)")),
            "max_leverage": (max_leverage, POSITIVE),
            "contract_size": (contract_size, NON_NEGATIVE),
            "min_notional": (min_notional, NON_NEGATIVE),
            "min_equity_fraction": (
                min_equity_fraction,
                Bound(0.0, 1.0, high_open=True, what="a fraction of equity"),
            ),
        },
    )


def smc_size(
    equity: Any,
    price: Any,
    fresh: Any,
    *,
    contract_size: Any,
    max_leverage: Any = None,
    min_notional: Any = 0.0,
    fresh_margin: float = 0.4,
    fresh_leverage: float = 20.0,
    breaker_margin: float = 0.3,
    breaker_leverage: float = 10.0,
) -> Any:
    """Order-block sizing: 40 % of equity at 20x for fresh OBs, 30 % at 10x for breakers.

    ``notional = equity * margin * min(leverage, max_leverage)`` with (margin, leverage) =
    ``(fresh_margin, fresh_leverage)`` for a fresh order block, ``(breaker_margin,
    breaker_leverage)`` for a breaker; then floored to whole contracts and skipped below
    ``min_notional`` (:func:`order_size`).

    Parameters
    ----------
    equity : float or array-like
        Account equity, quote currency, >= 0.
    price : float or array-like
        Entry price, quote per base unit, > 0.
    fresh : bool or array-like of bool
        True for a fresh order block, False for a breaker.
    contract_size : float or array-like
        Base units per contract, > 0.
    max_leverage : float or array-like, optional
        The venue's maximum leverage (>= 1); None for no cap beyond the rule's.
    min_notional : float or array-like, default 0.0
        The venue's minimum order value, quote currency.
    fresh_margin, fresh_leverage, breaker_margin, breaker_leverage : float
        The rule: margin fractions in [0, 1] and leverages >= 1.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Size in base units, a whole number of contracts (0 when skipped).

    Examples
    --------
    >>> smc_size(1_000.0, 150.0, True, contract_size=1.0)  # 0.4 * 20 * 1000 / 150 = 53.3
    53.0
    >>> smc_size(1_000.0, 150.0, False, contract_size=1.0)  # 0.3 * 10 * 1000 / 150 = 20
    20.0
    """
    params = np.array(
        [
            check(fresh_margin, "fresh_margin", UNIT_FRACTION).item(),
            check(fresh_leverage, "fresh_leverage", LEVERAGE).item(),
            check(breaker_margin, "breaker_margin", UNIT_FRACTION).item(),
            check(breaker_leverage, "breaker_leverage", LEVERAGE).item(),
        ]
    )
    raw = {"equity": equity, "price": price, "fresh": fresh, "max_leverage": max_leverage,
           "contract_size": contract_size, "min_notional": min_notional}  # fmt: skip
    arrays = {
        "equity": check(equity, "equity", EQUITY),
        "price": check(price, "price", PRICE),
        "fresh": check_flags(fresh, "fresh").astype(np.float64),
        "max_leverage": _venue_cap(max_leverage),
        "contract_size": check(contract_size, "contract_size", POSITIVE),
        "min_notional": check(min_notional, "min_notional", NON_NEGATIVE),
    }
    (eq, px, fr, ml, cs, mn), shape = broadcast(raw, arrays)
    return shape.wrap(nb.smc_units_1d_nb(eq, px, fr > 0.5, params, ml, cs, mn))


@dataclass(frozen=True)
class VenueLimits:
    """A venue's sizing limits for one instrument.

    Attributes
    ----------
    name : str
        Venue (and instrument) label, e.g. ``"binance-usdm:SOL/USDT"``.
    max_leverage : float
        Largest leverage the venue allows, >= 1 (1 for spot).
    contract_size : float
        Base units per contract or lot step, >= 0 (0: any size).
    min_notional : float
        Smallest order value the venue accepts, quote currency, >= 0.

    Examples
    --------
    >>> perp = VenueLimits("perp:SOL/USDT", max_leverage=10.0, contract_size=1.0, min_notional=5.0)
    >>> perp.order_size(1_000.0, 150.0, leveraged_exposure(0.4, 20, perp.max_leverage))
    26.0
    """

    name: str
    max_leverage: float = 1.0
    contract_size: float = 0.0
    min_notional: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ParameterError("name", f"expected a non-empty venue label, got {self.name!r}")
        check(self.max_leverage, "max_leverage", LEVERAGE)
        check(self.contract_size, "contract_size", NON_NEGATIVE)
        check(self.min_notional, "min_notional", NON_NEGATIVE)

    def order_size(
        self, equity: Any, price: Any, exposure: Any, *, min_equity_fraction: Any = 0.0
    ) -> Any:
        """:func:`order_size` with this venue's leverage cap, contract size and minimum notional.

        Examples
        --------
        >>> VenueLimits("spot").order_size(1_000.0, 100.0, 0.5)
        5.0
        """
        return order_size(
            equity,
            price,
            exposure,
            max_leverage=self.max_leverage,
            contract_size=self.contract_size,
            min_notional=self.min_notional,
            min_equity_fraction=min_equity_fraction,
        )
