"""Capital tiers: risk settings that change with the account's size, with hysteresis so that an
account hovering around a boundary keeps one tier instead of flapping between two.

Rule (``h`` = ``hysteresis``, 0.2 by default; ``B[j]`` = lower bound of tier ``j``, the boundary
between tiers ``j - 1`` and ``j``):

* from tier ``k`` the account moves **up** to the highest tier ``j > k`` whose lower bound it
  clears by ``h``: ``equity >= B[j] * (1 + h)``;
* otherwise it moves **down** to the lowest tier ``j < k`` whose upper bound it has fallen below
  by ``h``: ``equity < B[j + 1] * (1 - h)``;
* otherwise it stays. Without a previous tier the plain tier applies (``B[j] <= equity <
  B[j + 1]``); equity below ``B[0]`` belongs to the first tier.

With the default bounds (1k, 2.5k, 5k, 25k, 100k) the account leaves "1k-2.5k" at 3,000
(2,500 * 1.2) and returns to it below 2,000 (2,500 * 0.8): any path that stays inside
[2,000, 3,000) keeps its tier, whichever side it started on.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from soltrader.domain.errors import ParameterError
from soltrader.sizing import nb
from soltrader.sizing._inputs import Bound, check

_EQUITY = Bound(0.0, what="equity (quote currency)")


@dataclass(frozen=True)
class TierSettings:
    """Risk settings of one capital tier.

    Attributes
    ----------
    risk_per_trade : float
        Fraction of equity risked per trade (see :func:`soltrader.sizing.fixed_risk`), in (0, 1].
    max_leverage : float
        Largest exposure (notional / equity) allowed, > 0.
    max_open_positions : int
        Most positions open at once, >= 1.

    Examples
    --------
    >>> TierSettings(0.01, 2.0, 4).risk_per_trade
    0.01
    """

    risk_per_trade: float
    max_leverage: float
    max_open_positions: int

    def __post_init__(self) -> None:
        check(
            self.risk_per_trade, "risk_per_trade", Bound(0.0, 1.0, low_open=True, what="a fraction")
        )
        check(self.max_leverage, "max_leverage", Bound(0.0, low_open=True, what="a multiple"))
        n = self.max_open_positions
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ParameterError("max_open_positions", f"expected an integer >= 1, got {n!r}")


#: Lower bounds of the default tiers, quote currency: 1k-2.5k, 2.5k-5k, 5k-25k, 25k-100k, 100k+.
DEFAULT_LOWER_BOUNDS: tuple[float, ...] = (1_000.0, 2_500.0, 5_000.0, 25_000.0, 100_000.0)

#: Default settings per tier: smaller accounts may risk a larger share per trade, larger ones
#: spread over more positions at lower leverage. Illustrative; set your own.
DEFAULT_SETTINGS: tuple[TierSettings, ...] = (
    TierSettings(risk_per_trade=0.02, max_leverage=3.0, max_open_positions=2),
    TierSettings(risk_per_trade=0.015, max_leverage=3.0, max_open_positions=3),
    TierSettings(risk_per_trade=0.01, max_leverage=2.0, max_open_positions=4),
    TierSettings(risk_per_trade=0.0075, max_leverage=2.0, max_open_positions=6),
    TierSettings(risk_per_trade=0.005, max_leverage=1.0, max_open_positions=8),
)


def _short(amount: float) -> str:
    """``2500.0`` -> ``"2.5k"``."""
    if amount >= 1_000:
        return f"{amount / 1_000:g}k"
    return f"{amount:g}"


@dataclass(frozen=True)
class CapitalTiers:
    """Capital tiers with hysteresis (rule in :mod:`soltrader.sizing.tiers`).

    Parameters
    ----------
    lower_bounds : sequence of float
        Lower bound of each tier, quote currency, strictly increasing and > 0.
    settings : sequence of TierSettings
        One per tier.
    hysteresis : float, default 0.2
        Fraction of a boundary by which equity must clear it to change tier, in [0, 1).

    Examples
    --------
    >>> tiers = CapitalTiers()
    >>> tiers.tier_for(2_900.0, previous_tier=0), tiers.tier_for(3_000.0, previous_tier=0)
    (0, 1)
    >>> tiers.tier_for(2_100.0, previous_tier=1), tiers.tier_for(1_999.0, previous_tier=1)
    (1, 0)
    """

    lower_bounds: Sequence[float] = DEFAULT_LOWER_BOUNDS
    settings: Sequence[TierSettings] = DEFAULT_SETTINGS
    hysteresis: float = 0.2
    _bounds: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        bounds = check(list(self.lower_bounds), "lower_bounds", Bound(0.0, low_open=True))
        if bounds.ndim != 1 or bounds.size == 0 or np.any(np.diff(bounds) <= 0):
            raise ParameterError(
                "lower_bounds", f"expected strictly increasing amounts, got {self.lower_bounds!r}"
            )
        if len(self.settings) != bounds.size or not all(
            isinstance(s, TierSettings) for s in self.settings
        ):
            raise ParameterError(
                "settings",
                f"expected one TierSettings per tier ({bounds.size}), got {self.settings!r}",
            )
        check(self.hysteresis, "hysteresis", Bound(0.0, 1.0, high_open=True, what="a fraction"))
        object.__setattr__(self, "lower_bounds", tuple(float(b) for b in bounds))
        object.__setattr__(self, "settings", tuple(self.settings))
        object.__setattr__(self, "_bounds", bounds)

    @property
    def labels(self) -> tuple[str, ...]:
        """Tier names, e.g. ``("1k-2.5k", ..., "100k+")``.

        Examples
        --------
        >>> CapitalTiers().labels[-1]
        '100k+'
        """
        b = self.lower_bounds
        inner = [f"{_short(lo)}-{_short(hi)}" for lo, hi in itertools.pairwise(b)]
        return (*inner, f"{_short(b[-1])}+")

    def _tier_arg(self, tier: Any, name: str) -> int:
        n = len(self.lower_bounds)
        if isinstance(tier, bool) or not isinstance(tier, int | np.integer) or not 0 <= tier < n:
            raise ParameterError(name, f"expected a tier index in [0, {n - 1}], got {tier!r}")
        return int(tier)

    def tier_for(self, equity: float, previous_tier: int | None = None) -> int:
        """The tier for ``equity`` given the tier the account was in.

        Parameters
        ----------
        equity : float
            Account equity, quote currency, >= 0.
        previous_tier : int, optional
            Tier before this update; None: the plain tier (no hysteresis).

        Returns
        -------
        int
            Tier index (0 = smallest accounts).

        Examples
        --------
        >>> CapitalTiers().tier_for(30_000.0)
        3
        """
        value = check(equity, "equity", _EQUITY)
        if value.ndim:
            raise ParameterError("equity", "expected one amount; use path() for an equity curve")
        prev = (
            nb.NO_TIER if previous_tier is None else self._tier_arg(previous_tier, "previous_tier")
        )
        return int(nb.tier_step_nb(float(value), np.int64(prev), self._bounds, self.hysteresis))

    def settings_for(self, equity: float, previous_tier: int | None = None) -> TierSettings:
        """The :class:`TierSettings` of :meth:`tier_for`.

        Examples
        --------
        >>> CapitalTiers().settings_for(500.0).max_open_positions
        2
        """
        return self.settings[self.tier_for(equity, previous_tier)]

    def switch_levels(self, tier: int) -> tuple[float, float]:
        """Equity below which ``tier`` moves down, and at or above which it moves up.

        ``(B[tier] * (1 - h), B[tier + 1] * (1 + h))``; 0 / inf at the ends.

        Examples
        --------
        >>> CapitalTiers().switch_levels(1)
        (2000.0, 6000.0)
        """
        k = self._tier_arg(tier, "tier")
        b, h = self.lower_bounds, self.hysteresis
        down = b[k] * (1.0 - h) if k > 0 else 0.0
        up = b[k + 1] * (1.0 + h) if k + 1 < len(b) else np.inf
        return down, up

    def path(self, equity: Any, initial_tier: int | None = None) -> Any:
        """Tier after each bar of an equity path (:func:`soltrader.sizing.nb.tier_path_nb`).

        Parameters
        ----------
        equity : array-like or pandas.Series
            Account equity per bar, quote currency, >= 0.
        initial_tier : int, optional
            Tier before the first bar; None: the first bar takes its plain tier.

        Returns
        -------
        numpy.ndarray of int64 or pandas.Series
            Tier index per bar (a Series on the input's index).

        Examples
        --------
        >>> CapitalTiers().path([2_000.0, 2_900.0, 3_100.0, 2_100.0, 1_900.0])
        array([0, 0, 1, 1, 0])
        """
        values = check(equity, "equity", _EQUITY)
        if values.ndim != 1:
            raise ParameterError("equity", "expected an equity path (1-D), got a single number")
        start = nb.NO_TIER if initial_tier is None else self._tier_arg(initial_tier, "initial_tier")
        out = nb.tier_path_nb(values, self._bounds, self.hysteresis, np.int64(start))
        if isinstance(equity, pd.Series):
            return pd.Series(out, index=equity.index, name="tier")
        return out
