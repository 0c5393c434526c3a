"""Cost models as plain, frozen data: fee schedules with volume tiers, market impact, constant-
product AMM pools and Solana transaction costs. The simulator turns them into kernel inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Literal

import numpy as np

from soltrader.costs import _nb
from soltrader.domain.errors import ParameterError

LAMPORTS_PER_SOL = 1_000_000_000


def _number(name: str, value: object) -> float:
    """A real number (not a boolean) as a float."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        raise ParameterError(name, f"must be a number, got {value!r}")
    return float(value)


def _non_negative(name: str, value: float) -> None:
    if not (np.isfinite(_number(name, value)) and value >= 0):
        raise ParameterError(name, f"must be a finite number >= 0, got {value!r}")


def _fee_fraction(name: str, value: float) -> None:
    """A fee as a fraction of notional in [0, 1)."""
    if not 0.0 <= _number(name, value) < 1.0:
        raise ParameterError(
            name, f"must be a fraction of notional in [0, 1) (0.001 for 0.1 %), got {value!r}"
        )


def _lamports(name: str, value: object) -> None:
    """A whole number of lamports >= 0."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, Integral) or value < 0:
        raise ParameterError(name, f"must be a whole number of lamports >= 0, got {value!r}")


@dataclass(frozen=True)
class FeeTier:
    """One row of a volume-tiered schedule: from ``min_volume`` (quote currency traded over the
    schedule's window) the maker and taker fees (fractions of notional) apply."""

    min_volume: float
    maker: float
    taker: float


@dataclass(frozen=True)
class FeeSchedule:
    """Maker/taker fees, optional volume tiers, and a fixed fee per order.

    Parameters
    ----------
    maker, taker : float
        Fees as fractions of notional (0.001 = 10 bps) for resting (limit, take-profit) and
        taking (market, stop) fills.
    tiers : tuple of FeeTier
        Optional volume tiers, ascending ``min_volume``; the account's own traded notional over the
        last ``window_days`` days (before the bar) selects the tier, replacing ``maker``/``taker``.
    window_days : float
        Length of the volume window in days, counted in bars of the data's most common spacing
        (``round(window_days / bar length)`` bars, so an outage in the data stretches it).
    fixed : float
        Fixed fee per order, quote currency.

    Examples
    --------
    >>> FeeSchedule(maker=0.0002, taker=0.0005).taker
    0.0005
    """

    maker: float = 0.0
    taker: float = 0.0
    tiers: tuple[FeeTier, ...] = ()
    window_days: float = 30.0
    fixed: float = 0.0

    def __post_init__(self) -> None:
        _fee_fraction("fees.maker", self.maker)
        _fee_fraction("fees.taker", self.taker)
        _non_negative("fees.fixed", self.fixed)
        if not isinstance(self.tiers, tuple | list) or not all(
            isinstance(t, FeeTier) for t in self.tiers
        ):
            raise ParameterError("fees.tiers", f"must be a tuple of FeeTier, got {self.tiers!r}")
        for i, t in enumerate(self.tiers):
            _non_negative(f"fees.tiers[{i}].min_volume", t.min_volume)
            _fee_fraction(f"fees.tiers[{i}].maker", t.maker)
            _fee_fraction(f"fees.tiers[{i}].taker", t.taker)
        volumes = [t.min_volume for t in self.tiers]
        if volumes != sorted(volumes):
            raise ParameterError("fees.tiers", "tiers must be sorted by ascending min_volume")
        window = _number("fees.window_days", self.window_days)
        if self.tiers and not (np.isfinite(window) and window > 0):
            raise ParameterError("fees.window_days", "volume tiers need a window of > 0 days")

    def tier_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(min_volume, maker, taker) arrays for the kernel; empty when there are no tiers."""
        return (
            np.array([t.min_volume for t in self.tiers], dtype=np.float64),
            np.array([t.maker for t in self.tiers], dtype=np.float64),
            np.array([t.taker for t in self.tiers], dtype=np.float64),
        )


#: Binance spot regular-user fees (0.1 % maker and taker) with the first VIP volume tiers over
#: 30 days (VIP1 from 1M USDT: 0.09 % / 0.1 %, VIP2 from 5M: 0.08 % / 0.1 %, VIP3 from 20M:
#: 0.042 % / 0.06 %), as Binance published them for spot; check your own account's schedule.
binance_spot = FeeSchedule(
    maker=0.001,
    taker=0.001,
    window_days=30.0,
    tiers=(
        FeeTier(0.0, 0.001, 0.001),
        FeeTier(1e6, 0.0009, 0.001),
        FeeTier(5e6, 0.0008, 0.001),
        FeeTier(2e7, 0.00042, 0.0006),
    ),
)


ImpactModel = Literal["linear", "sqrt", "almgren_chriss"]
_IMPACT_CODES = {
    "linear": _nb.IMPACT_LINEAR,
    "sqrt": _nb.IMPACT_SQRT,
    "almgren_chriss": _nb.IMPACT_ALMGREN_CHRISS,
}


@dataclass(frozen=True)
class Impact:
    """Market impact of an order against the bar's traded volume (see ``impact_fraction_nb``).

    Parameters
    ----------
    model : {"linear", "sqrt", "almgren_chriss"}
        ``linear``: ``k * q/V``; ``sqrt``: ``k * sigma * sqrt(q/V)``; ``almgren_chriss``:
        ``sigma * (eta * (q/V)**0.6 + gamma/2 * q/V)``.
    k : float
        Coefficient of the linear and square-root models (for AC: eta, default 0.142).
    gamma : float
        Permanent-impact coefficient of the AC model (default 0.314).
    vol_window : int
        Bars of returns behind ``sigma`` (sample std of close-to-close returns before the bar).

    Examples
    --------
    >>> Impact("sqrt", k=1.0).code
    2
    """

    model: ImpactModel = "sqrt"
    k: float = 1.0
    gamma: float = 0.314
    vol_window: int = 20

    def __post_init__(self) -> None:
        if self.model not in _IMPACT_CODES:
            raise ParameterError(
                "impact.model", f"{self.model!r}: use one of {sorted(_IMPACT_CODES)}"
            )
        _non_negative("impact.k", self.k)
        _non_negative("impact.gamma", self.gamma)
        if isinstance(self.vol_window, bool) or not isinstance(self.vol_window, Integral):
            raise ParameterError(
                "impact.vol_window", f"must be whole bars, got {self.vol_window!r}"
            )
        if self.vol_window < 2:
            raise ParameterError("impact.vol_window", f"must be >= 2 bars, got {self.vol_window}")

    @property
    def code(self) -> int:
        """The kernel's integer code of the model."""
        return _IMPACT_CODES[self.model]


@dataclass(frozen=True)
class AMMPool:
    """A constant-product pool (x·y = k) that fills the orders of an asset.

    Parameters
    ----------
    liquidity : float or array
        Pool depth ``sqrt(x * y)`` per bar (scalar: constant). Reserves at a bar are
        ``x = L / sqrt(p)``, ``y = L * sqrt(p)`` at the bar's price ``p``; our own trades move them
        within the bar (two orders in one bar see each other's impact), and arbitrage restores the
        pool to the market price by the next bar.
    fee : float
        Pool fee on the input amount (0.003 = 30 bps), part of the execution price.

    Examples
    --------
    >>> AMMPool(liquidity=1e6, fee=0.0025).fee
    0.0025
    """

    liquidity: float | np.ndarray = 1e6
    fee: float = 0.003

    def __post_init__(self) -> None:
        _fee_fraction("amm.fee", self.fee)
        try:
            liq = np.asarray(
                self.liquidity.to_numpy()
                if hasattr(self.liquidity, "to_numpy")
                else self.liquidity,
                dtype=np.float64,
            )
        except (TypeError, ValueError):
            raise ParameterError(
                "amm.liquidity", f"must be numbers, got {self.liquidity!r}"
            ) from None
        if not (np.isfinite(liq).all() and (liq > 0).all()):
            raise ParameterError("amm.liquidity", "must be finite and > 0 on every bar")


@dataclass(frozen=True)
class SolanaTxCost:
    """Per-transaction costs of a Solana swap, in lamports, and a failure rate.

    Parameters
    ----------
    base_fee : int
        Signature fee, lamports (5,000 per signature).
    priority_fee : int
        Priority fee, lamports (compute-unit limit x price in micro-lamports / 1e6).
    jito_tip : int
        Jito tip, lamports; paid only when the transaction lands.
    fail_rate : float
        Probability that a transaction fails (expired blockhash, slippage exceeded, ...). A failed
        transaction pays the base and priority fees and fills nothing.
    seed : int
        Seed of the failure draws (deterministic per order).
    sol_price : float or array, optional
        SOL price in the quote currency per bar; ``None`` uses the traded asset's own close (for
        SOL pairs).

    Examples
    --------
    >>> SolanaTxCost(priority_fee=100_000).success_lamports
    105000
    """

    base_fee: int = 5_000
    priority_fee: int = 0
    jito_tip: int = 0
    fail_rate: float = 0.0
    seed: int = 0
    sol_price: float | np.ndarray | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name in ("base_fee", "priority_fee", "jito_tip"):
            _lamports(f"solana.{name}", getattr(self, name))
        if not 0.0 <= _number("solana.fail_rate", self.fail_rate) <= 1.0:
            raise ParameterError(
                "solana.fail_rate", f"must be a probability in [0, 1], got {self.fail_rate!r}"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, Integral) or self.seed < 0:
            raise ParameterError("solana.seed", f"must be a whole number >= 0, got {self.seed!r}")

    @property
    def success_lamports(self) -> int:
        """Lamports paid by a transaction that lands."""
        return int(self.base_fee + self.priority_fee + self.jito_tip)

    @property
    def failure_lamports(self) -> int:
        """Lamports paid by a transaction that fails (no tip)."""
        return int(self.base_fee + self.priority_fee)
