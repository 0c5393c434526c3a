"""Token screener: a vectorised filter over a universe table that returns the tradable set.

Each rule compares one column of every row with a threshold; a row is tradable when it passes
every active rule (``None`` switches a rule off). Rules, inclusive at the threshold:

==================  ===================  ==========================================
rule (keyword)      column               a row passes when
==================  ===================  ==========================================
``min_age_days``    ``age_days``         ``age_days >= min_age_days`` (days)
``min_liquidity``   ``liquidity_usd``    ``liquidity_usd >= min_liquidity`` (USD)
``min_volume_24h``  ``volume_24h_usd``   ``volume_24h_usd >= min_volume_24h`` (USD)
``min_holders``     ``holders``          ``holders >= min_holders`` (count)
``max_abs_change``  ``price_change_24h`` ``abs(price_change_24h) <= max_abs_change``
                                         (fraction: 0.5 = 50 %)
==================  ===================  ==========================================

Instead of ``age_days`` a table may carry the listing time (``listed_at``); the age is then
``now - listed_at`` with ``now`` given by the caller (the screener reads no clock). Nothing is
dropped or filled silently: a missing column, a missing value, a value outside its domain
(negative liquidity, a price change below -100 %) or a duplicated token raises
:class:`~soltrader.domain.errors.DataError` naming the column, the row and the token.

Examples
--------
>>> import pandas as pd
>>> universe = pd.DataFrame({"token": ["A", "B"], "age_days": [30.0, 1.0],
...     "liquidity_usd": [2e5, 2e5], "volume_24h_usd": [5e5, 5e5], "holders": [3000, 3000],
...     "price_change_24h": [0.1, 0.1]})
>>> res = screen(universe)
>>> res.tradable["token"].tolist(), res.approval_rate, res.rejections["min_age_days"]
(['A'], 0.5, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import polars as pl

from soltrader.domain.errors import DataError, ParameterError

Frame = pd.DataFrame | pl.DataFrame


class _Rule(NamedTuple):
    column: str
    lower: float  # smallest valid value of the column (domain check)
    kind: str  # "min": value >= threshold; "max_abs": |value| <= threshold


#: The rules by keyword, in the order they are reported.
RULES: Mapping[str, _Rule] = MappingProxyType(
    {
        "min_age_days": _Rule("age_days", 0.0, "min"),
        "min_liquidity": _Rule("liquidity_usd", 0.0, "min"),
        "min_volume_24h": _Rule("volume_24h_usd", 0.0, "min"),
        "min_holders": _Rule("holders", 0.0, "min"),
        "max_abs_change": _Rule("price_change_24h", -1.0, "max_abs"),
    }
)


@dataclass(frozen=True)
class ScreenResult:
    """What :func:`screen` found.

    Attributes
    ----------
    tradable : pandas.DataFrame or polars.DataFrame
        The approved rows, unchanged and in their original order (same frame type as the input;
        pandas keeps the index).
    approved : ndarray of bool (n,)
        Row-wise approval mask of the universe.
    failures : mapping rule -> ndarray of bool (n,)
        Rows failing each active rule (a row may fail several).
    thresholds : mapping rule -> float
        The active rules' thresholds.
    tokens : ndarray (n,)
        The universe's ``token`` column.
    """

    tradable: Frame
    approved: np.ndarray
    failures: Mapping[str, np.ndarray]
    thresholds: Mapping[str, float]
    tokens: np.ndarray = field(repr=False)

    @property
    def n_universe(self) -> int:
        """Rows screened."""
        return int(self.approved.shape[0])

    @property
    def approval_rate(self) -> float:
        """Share of the universe approved, fraction: ``len(tradable) / len(universe)``."""
        return float(self.approved.sum()) / self.n_universe

    @property
    def rejections(self) -> dict[str, int]:
        """Rows rejected by each active rule (the counts overlap when a row fails several)."""
        return {rule: int(mask.sum()) for rule, mask in self.failures.items()}

    def rejected_by(self, rule: str) -> list[str]:
        """Tokens that fail ``rule``, in universe order."""
        if rule not in self.failures:
            raise ParameterError("rule", f"{rule!r} is not an active rule ({list(self.failures)})")
        return [str(t) for t in self.tokens[self.failures[rule]]]

    def summary(self) -> pd.DataFrame:
        """One row per active rule: column, threshold, rows rejected and their share.

        Examples
        --------
        >>> screen(universe).summary()  # doctest: +SKIP
        """
        counts = self.rejections
        return pd.DataFrame(
            {
                "column": [RULES[r].column for r in counts],
                "threshold": [self.thresholds[r] for r in counts],
                "rejected": list(counts.values()),
                "share": [c / self.n_universe for c in counts.values()],
            },
            index=pd.Index(list(counts), name="rule"),
        )


def _columns(universe: Frame) -> list[str]:
    if not isinstance(universe, pd.DataFrame | pl.DataFrame):
        raise ParameterError(
            "universe", f"expected a pandas or polars DataFrame, got {type(universe).__name__}"
        )
    return [str(c) for c in universe.columns]


def _column(universe: Frame, name: str) -> Any:
    """A column as a pandas Series with a 0..n-1 index (a view of the data where possible)."""
    if name not in _columns(universe):
        raise DataError(
            f"universe: missing column {name!r} (it has {_columns(universe)})", field=name
        )
    if isinstance(universe, pl.DataFrame):
        return universe.get_column(name).to_pandas()
    return universe[name].reset_index(drop=True)


def _numeric(universe: Frame, name: str, tokens: np.ndarray, lower: float) -> np.ndarray:
    """A numeric column as float64; missing values and values below ``lower`` raise."""
    col = _column(universe, name)
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        raise DataError(f"universe: column {name!r} must be numeric, got {col.dtype}", field=name)
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    _raise_first(~np.isfinite(values), values, name, tokens, "is missing or not finite", "nan")
    _raise_first(values < lower, values, name, tokens, f"is below {lower:g}", "out_of_range")
    return values


def _raise_first(bad, values, name: str, tokens: np.ndarray, what: str, code: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"universe: column {name!r} at row {row} (token {tokens[row]!r}) {what}: "
            f"{values[row]!r}",
            code=code,
            row=row,
            field=name,
        )


def _tokens(universe: Frame) -> np.ndarray:
    col = _column(universe, "token")
    tokens = col.to_numpy(dtype=object)
    missing = col.isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise DataError(f"universe: column 'token' is missing at row {row}", row=row, field="token")
    dup = col.duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise DataError(
            f"universe: token {tokens[row]!r} at row {row} appears twice; one row per token",
            code="duplicate",
            row=row,
            field="token",
        )
    return tokens


def _age_days(universe: Frame, tokens: np.ndarray, now: Any) -> np.ndarray:
    """``age_days``, or ``now - listed_at`` in days when ``now`` is given."""
    if now is None:
        return _numeric(universe, "age_days", tokens, 0.0)
    try:
        when = pd.Timestamp(now)
    except (ValueError, TypeError):
        raise ParameterError("now", f"expected a time, got {now!r}") from None
    when = when.tz_localize("UTC") if when.tzinfo is None else when
    col = _column(universe, "listed_at")
    try:
        listed = pd.to_datetime(col, utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"universe: column 'listed_at' is not a time: {exc}", field="listed_at"
        ) from None
    _raise_first(
        listed.isna().to_numpy(), listed.to_numpy(), "listed_at", tokens, "is missing", "nan"
    )
    age = ((when - listed) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64)
    _raise_first(age < 0.0, listed.to_numpy(), "listed_at", tokens, "is after now", "out_of_range")
    return age


def _thresholds(**given: float | None) -> dict[str, float]:
    active = {}
    for name, value in given.items():
        if value is None:
            continue
        if not (np.isfinite(value) and value >= 0):
            raise ParameterError(name, f"must be a finite number >= 0 or None, got {value!r}")
        active[name] = float(value)
    return active


def screen(
    universe: Frame,
    *,
    min_age_days: float | None = 3.0,
    min_liquidity: float | None = 50_000.0,
    min_volume_24h: float | None = 100_000.0,
    min_holders: float | None = 1_000,
    max_abs_change: float | None = 0.5,
    now: str | datetime | pd.Timestamp | None = None,
) -> ScreenResult:
    """Screen a universe of tokens with the rules of the module docstring.

    Parameters
    ----------
    universe : pandas.DataFrame or polars.DataFrame
        One row per token: ``token`` and the columns of the active rules (``age_days``, or
        ``listed_at`` with ``now``; ``liquidity_usd``; ``volume_24h_usd``; ``holders``;
        ``price_change_24h`` as a fraction). Other columns are kept in ``tradable``.
    min_age_days : float or None
        Minimum age since listing, days (default 3).
    min_liquidity : float or None
        Minimum pool liquidity, USD (default 50,000).
    min_volume_24h : float or None
        Minimum traded volume over 24 hours, USD (default 100,000).
    min_holders : float or None
        Minimum number of holders (default 1,000).
    max_abs_change : float or None
        Largest absolute 24h price change, fraction (default 0.5 = 50 %).
    now : str, datetime or Timestamp, optional
        The screening time (UTC when naive); computes the age from ``listed_at``.

    Returns
    -------
    ScreenResult
        ``tradable``, ``approval_rate`` and ``rejections`` per rule.

    Raises
    ------
    ParameterError
        A threshold that is negative or not finite.
    DataError
        An empty universe, a missing column, a missing or out-of-domain value, a duplicated token
        (naming the column, row and token).

    Examples
    --------
    >>> res = screen(universe, min_liquidity=100_000, max_abs_change=None)  # doctest: +SKIP
    >>> res.approval_rate, res.rejections                                   # doctest: +SKIP
    """
    thresholds = _thresholds(
        min_age_days=min_age_days,
        min_liquidity=min_liquidity,
        min_volume_24h=min_volume_24h,
        min_holders=min_holders,
        max_abs_change=max_abs_change,
    )
    _columns(universe)
    if len(universe) == 0:
        raise DataError("universe: no rows to screen")
    tokens = _tokens(universe)
    failures = {
        name: _fails(universe, tokens, name, limit, now) for name, limit in thresholds.items()
    }
    approved = np.ones(tokens.shape[0], dtype=np.bool_)
    for mask in failures.values():
        approved &= ~mask
    if isinstance(universe, pl.DataFrame):
        tradable: Frame = universe.filter(pl.Series(approved))
    else:
        tradable = universe[approved]
    return ScreenResult(
        tradable=tradable,
        approved=approved,
        failures=MappingProxyType(failures),
        thresholds=MappingProxyType(thresholds),
        tokens=tokens,
    )


def _fails(universe: Frame, tokens: np.ndarray, name: str, limit: float, now: Any) -> np.ndarray:
    """Rows failing one rule."""
    rule = RULES[name]
    if name == "min_age_days":
        values = _age_days(universe, tokens, now)
    else:
        values = _numeric(universe, rule.column, tokens, rule.lower)
    if rule.kind == "max_abs":
        return np.abs(values) > limit
    return values < limit


__all__ = ["RULES", "ScreenResult", "screen"]
