"""Portfolio risk limits: one :meth:`RiskLimits.check` for the simulator and the live runtime.

The check is a pure function of an order intent and a snapshot of the account: no clock (the
day's start and low equity arrive in the state), no I/O. Amounts may be ``Decimal`` (the live
path's exact money), ``int`` or ``float``; the guards compare them exactly in ``Decimal``
arithmetic (a float enters as its shortest repr, ``0.05`` as ``Decimal("0.05")``).

Guards, in the order they are tried (the first that objects decides):

=================  ===============================================================  ==========
reason             breached when                                                    effect
=================  ===============================================================  ==========
``NO_EQUITY``      ``equity <= 0``                                                  reject
``EMERGENCY``      control mode Emergency                                           reject and
                                                                                    flatten
``HARD_DRAWDOWN``  ``equity <= peak * (1 - hard_drawdown)``                         reject and
                                                                                    flatten
``PAUSED``         control mode Pause                                               reject
``DAILY_LOSS``     ``min(day_low, equity) <= day_start * (1 - daily_loss_limit)``   reject
``MAX_POSITIONS``  a new position while ``len(positions) >= max_open_positions``    reject
``CONCENTRATION``  ``|net notional in the symbol| > max_symbol_exposure * equity``  reject
``CORRELATION``    ``corr * side * other_side > max_correlation`` for an open       reject
                   position in another symbol, or too little history to tell
``HEAT``           ``sum(open risk) + new risk > max_heat * equity``                reject
``SOFT_DRAWDOWN``  ``equity <= peak * (1 - soft_drawdown)``                         allow,
                                                                                    scaled
``REDUCE_MODE``    control mode Reduce                                              allow,
                                                                                    scaled
=================  ===============================================================  ==========

Reduce-only intents (exits) are always allowed, at full size, with ``flatten`` set when the
account must be flattened. Size-dependent guards (concentration, heat) use the intent's quantity
times the size multiplier. A guard set to ``None`` is off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from soltrader.data.schema import utc_index
from soltrader.data.timeframes import NS_PER_DAY
from soltrader.domain.enums import Direction, Side
from soltrader.domain.errors import ParameterError
from soltrader.risk import nb
from soltrader.risk._inputs import Amount, fraction, positive_int, returns_array, to_decimal
from soltrader.risk.codes import ControlMode, RiskReason


def _label(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ParameterError(name, f"expected a non-empty string, got {value!r}")
    return value


def _enum(value: Any, kind: type, name: str) -> Any:
    try:
        return kind(value)
    except (ValueError, TypeError) as exc:
        names = ", ".join(m.name for m in kind)
        raise ParameterError(name, f"expected a {kind.__name__} ({names}), got {value!r}") from exc


def _pct(x: Decimal) -> str:
    return f"{float(x) * 100:.4g} %"


@dataclass(frozen=True)
class TradeIntent:
    """An order a strategy wants to place.

    Attributes
    ----------
    symbol : str
        Instrument, e.g. ``"SOL/USDT"``.
    side : Side
        ``Side.BUY`` or ``Side.SELL`` (or 1 / -1).
    quantity : Decimal, int or float
        Size in base units, > 0.
    price : Decimal, int or float
        Expected fill price, quote per base unit, > 0.
    stop_distance : Decimal, int or float, optional
        Distance to the stop, quote per base unit, > 0; None: the whole notional is at risk.
    strategy_id : str
        The strategy (or sub-account) asking.
    reduce_only : bool
        True for an exit that only reduces a position (always allowed).

    Examples
    --------
    >>> TradeIntent("SOL/USDT", Side.BUY, 2, 150, stop_distance=5).risk
    Decimal('10')
    """

    symbol: str
    side: Side
    quantity: Amount
    price: Amount
    stop_distance: Amount | None = None
    strategy_id: str = ""
    reduce_only: bool = False

    def __post_init__(self) -> None:
        _label(self.symbol, "symbol")
        object.__setattr__(self, "side", _enum(self.side, Side, "side"))
        to_decimal(self.quantity, "quantity", low=0.0, strict=True)
        to_decimal(self.price, "price", low=0.0, strict=True)
        if self.stop_distance is not None:
            to_decimal(self.stop_distance, "stop_distance", low=0.0, strict=True)
        if not isinstance(self.reduce_only, bool):
            raise ParameterError("reduce_only", f"expected True or False, got {self.reduce_only!r}")

    @property
    def notional(self) -> Decimal:
        """``quantity * price``, quote currency (exact)."""
        return to_decimal(self.quantity, "quantity") * to_decimal(self.price, "price")

    @property
    def risk(self) -> Decimal:
        """Loss at the stop, ``quantity * stop_distance`` (the notional without a stop), quote."""
        if self.stop_distance is None:
            return self.notional
        return to_decimal(self.quantity, "quantity") * to_decimal(self.stop_distance, "stop")


@dataclass(frozen=True)
class OpenPosition:
    """A position the account holds.

    Attributes
    ----------
    symbol : str
        Instrument.
    direction : Direction
        ``Direction.LONG`` or ``Direction.SHORT`` (or 1 / -1).
    notional : Decimal, int or float
        Current value, quote currency, >= 0.
    risk : Decimal, int or float
        Loss if its stop is hit (its notional when it has no stop), quote currency, >= 0.
    strategy_id : str
        The strategy (or sub-account) holding it.

    Examples
    --------
    >>> OpenPosition("SOL/USDT", Direction.LONG, 300, 10).direction
    <Direction.LONG: 1>
    """

    symbol: str
    direction: Direction
    notional: Amount
    risk: Amount
    strategy_id: str = ""

    def __post_init__(self) -> None:
        _label(self.symbol, "symbol")
        object.__setattr__(self, "direction", _enum(self.direction, Direction, "direction"))
        to_decimal(self.notional, "notional", low=0.0)
        to_decimal(self.risk, "risk", low=0.0)


@dataclass(frozen=True, eq=False)
class PortfolioState:
    """A snapshot of the account at the moment of a decision.

    Attributes
    ----------
    equity : Decimal, int or float
        Account value now, quote currency, >= 0.
    day_start_equity : Decimal, int or float
        Account value at the start of the (UTC) day, > 0.
    peak_equity : Decimal, int or float
        Highest account value since the drawdown reference was last reset, > 0 and >= equity.
    positions : sequence of OpenPosition
        Open positions.
    returns : mapping of str to array-like
        Recent per-bar returns per symbol (same bar spacing, most recent last), for correlation.
    mode : ControlMode
        The control mode.
    day_low_equity : Decimal, int or float, optional
        Lowest account value so far today (the start and the current value always count).

    Examples
    --------
    >>> PortfolioState(9_600, 10_000, 10_200).mode
    <ControlMode.NORMAL: 0>
    """

    equity: Amount
    day_start_equity: Amount
    peak_equity: Amount
    positions: Sequence[OpenPosition] = ()
    returns: Mapping[str, Any] = field(default_factory=dict)
    mode: ControlMode = ControlMode.NORMAL
    day_low_equity: Amount | None = None

    def __post_init__(self) -> None:
        equity = to_decimal(self.equity, "equity", low=0.0)
        to_decimal(self.day_start_equity, "day_start_equity", low=0.0, strict=True)
        if to_decimal(self.peak_equity, "peak_equity", low=0.0, strict=True) < equity:
            raise ParameterError(
                "peak_equity", f"expected >= equity ({self.equity!r}), got {self.peak_equity!r}"
            )
        if self.day_low_equity is not None:
            to_decimal(self.day_low_equity, "day_low_equity", low=0.0)
        positions = tuple(self.positions)
        for i, p in enumerate(positions):
            if not isinstance(p, OpenPosition):
                raise ParameterError("positions", f"item {i} is {p!r}; expected an OpenPosition")
        if not isinstance(self.returns, Mapping):
            raise ParameterError("returns", "expected a mapping symbol -> per-bar returns")
        returns = {_label(k, "returns"): returns_array(v, f"returns[{k!r}]", min_size=0)
                   for k, v in self.returns.items()}  # fmt: skip
        object.__setattr__(self, "positions", positions)
        object.__setattr__(self, "returns", MappingProxyType(returns))
        object.__setattr__(self, "mode", _enum(self.mode, ControlMode, "mode"))

    @property
    def drawdown(self) -> Decimal:
        """``1 - equity / peak_equity`` (fraction, exact).

        Examples
        --------
        >>> PortfolioState(8_000, 9_000, 10_000).drawdown
        Decimal('0.2')
        """
        return 1 - to_decimal(self.equity, "equity") / to_decimal(self.peak_equity, "peak")

    @property
    def day_loss(self) -> Decimal:
        """``1 - min(day_low, equity) / day_start`` (fraction, exact; negative on a gain).

        Examples
        --------
        >>> PortfolioState(9_600, 10_000, 10_200, day_low_equity=9_400).day_loss
        Decimal('0.06')
        """
        low = to_decimal(self.equity, "equity")
        if self.day_low_equity is not None:
            low = min(low, to_decimal(self.day_low_equity, "day_low_equity"))
        return 1 - low / to_decimal(self.day_start_equity, "day_start_equity")


def _below(state: PortfolioState, limit: Decimal) -> bool:
    """``equity <= peak * (1 - limit)``: exact, no division."""
    peak = to_decimal(state.peak_equity, "peak_equity")
    return to_decimal(state.equity, "equity") <= peak * (1 - limit)


def _day_below(state: PortfolioState, limit: Decimal) -> bool:
    """``min(day_low, equity) <= day_start * (1 - limit)``: exact, no division."""
    low = to_decimal(state.equity, "equity")
    if state.day_low_equity is not None:
        low = min(low, to_decimal(state.day_low_equity, "day_low_equity"))
    return low <= to_decimal(state.day_start_equity, "day_start_equity") * (1 - limit)


@dataclass(frozen=True)
class RiskDecision:
    """The verdict on one intent.

    Attributes
    ----------
    allowed : bool
        Whether the order may be placed.
    reason : RiskReason
        Why (``OK`` when no guard restricted it).
    message : str
        The reason in words, with the figures that decided it.
    size_multiplier : float
        Scale the intent's quantity by this (soft drawdown, Reduce mode); 0 when rejected.
    flatten : bool
        Close every open position now (hard drawdown, Emergency).

    Examples
    --------
    >>> bool(RiskDecision(False, RiskReason.PAUSED, "paused", 0.0))
    False
    """

    allowed: bool
    reason: RiskReason
    message: str
    size_multiplier: float = 1.0
    flatten: bool = False

    def __bool__(self) -> bool:
        return self.allowed


class GuardPath(NamedTuple):
    """Per-bar output of :meth:`RiskLimits.guard_path` (arrays, or Series on the input's index)."""

    allowed: Any
    size_multiplier: Any
    flatten: Any
    reason: Any


def _reject(reason: RiskReason, message: str, flatten: bool = False) -> RiskDecision:
    return RiskDecision(False, reason, message, 0.0, flatten)


def _optional(value: Any, name: str, check: Any) -> None:
    if value is not None:
        check(value, name)


@dataclass(frozen=True)
class RiskLimits:
    """Account-level risk limits (guards in :mod:`soltrader.risk.limits`); ``None`` turns one off.

    Parameters
    ----------
    daily_loss_limit : float or Decimal, optional
        Largest loss from the day's start equity, fraction (0.05 = 5 %).
    soft_drawdown, soft_multiplier : float or Decimal
        Drawdown from peak (fraction) from which entries are scaled by ``soft_multiplier``.
    hard_drawdown : float or Decimal, optional
        Drawdown from peak at which the account is flattened and halted.
    reduce_multiplier : float or Decimal
        Entry scale in ``ControlMode.REDUCE``.
    max_open_positions : int, optional
        Most open positions (an intent in a symbol the strategy already holds adds to it).
    max_symbol_exposure : float or Decimal, optional
        Largest net notional per symbol, fraction of equity.
    max_correlation : float or Decimal, optional
        Largest direction-adjusted correlation of returns with any open position in another
        symbol (a short against a long position counts the correlation with its sign flipped).
    max_heat : float or Decimal, optional
        Largest total open risk (loss if every stop is hit), fraction of equity.
    correlation_min_obs : int
        Returns needed to measure a correlation; with fewer the pair is rejected.

    Examples
    --------
    >>> limits = RiskLimits(max_symbol_exposure=0.5)
    >>> state = PortfolioState(9_400, 9_500, 10_000)
    >>> limits.check(TradeIntent("SOL/USDT", Side.BUY, 10, 150, stop_distance=6), state).allowed
    True
    """

    daily_loss_limit: Amount | None = 0.05
    soft_drawdown: Amount | None = 0.15
    soft_multiplier: Amount = 0.5
    hard_drawdown: Amount | None = 0.20
    reduce_multiplier: Amount = 0.5
    max_open_positions: int | None = 5
    max_symbol_exposure: Amount | None = 0.05
    max_correlation: Amount | None = 0.7
    max_heat: Amount | None = 0.25
    correlation_min_obs: int = 30

    def __post_init__(self) -> None:
        for name in ("daily_loss_limit", "soft_drawdown", "hard_drawdown"):
            _optional(getattr(self, name), name, fraction)
        for name in ("soft_multiplier", "reduce_multiplier"):
            fraction(getattr(self, name), name, high_open=False)
        if self.max_correlation is not None:
            fraction(self.max_correlation, "max_correlation", high_open=False)
        for name in ("max_symbol_exposure", "max_heat"):
            _optional(
                getattr(self, name), name, lambda v, n: to_decimal(v, n, low=0.0, strict=True)
            )
        _optional(self.max_open_positions, "max_open_positions", positive_int)
        positive_int(self.correlation_min_obs, "correlation_min_obs", low=3)
        soft, hard = self.soft_drawdown, self.hard_drawdown
        if soft is not None and hard is not None and to_decimal(soft, "s") >= to_decimal(hard, "h"):
            raise ParameterError(
                "soft_drawdown", f"expected below hard_drawdown ({hard!r}), got {soft!r}"
            )

    def _dec(self, name: str) -> Decimal:
        return to_decimal(getattr(self, name), name)

    # ------------------------------------------------------------------ account-level guards

    def _must_flatten(self, state: PortfolioState) -> bool:
        hard = self.hard_drawdown
        breached = hard is not None and _below(state, self._dec("hard_drawdown"))
        return state.mode == ControlMode.EMERGENCY or breached

    def _account_guard(self, state: PortfolioState) -> RiskDecision | None:
        if to_decimal(state.equity, "equity") <= 0:
            return _reject(RiskReason.NO_EQUITY, "equity is 0: nothing to risk")
        if state.mode == ControlMode.EMERGENCY:
            return _reject(RiskReason.EMERGENCY, "emergency mode: flatten, no entries", True)
        if self.hard_drawdown is not None and _below(state, self._dec("hard_drawdown")):
            return _reject(
                RiskReason.HARD_DRAWDOWN,
                f"drawdown {_pct(state.drawdown)} reached the hard limit "
                f"{_pct(self._dec('hard_drawdown'))}: flatten and halt",
                True,
            )
        if state.mode == ControlMode.PAUSE:
            return _reject(RiskReason.PAUSED, "paused: no new entries")
        if self.daily_loss_limit is not None and _day_below(state, self._dec("daily_loss_limit")):
            return _reject(
                RiskReason.DAILY_LOSS,
                f"today's loss {_pct(state.day_loss)} reached the daily limit "
                f"{_pct(self._dec('daily_loss_limit'))}: no entries until tomorrow",
            )
        return None

    def _multiplier(self, state: PortfolioState) -> tuple[Decimal, RiskReason, str]:
        mult, reason, message = Decimal(1), RiskReason.OK, "allowed"
        if self.soft_drawdown is not None and _below(state, self._dec("soft_drawdown")):
            mult, reason = self._dec("soft_multiplier"), RiskReason.SOFT_DRAWDOWN
            message = f"drawdown {_pct(state.drawdown)}: size scaled by {mult}"
        if state.mode == ControlMode.REDUCE and self._dec("reduce_multiplier") < mult:
            mult, reason = self._dec("reduce_multiplier"), RiskReason.REDUCE_MODE
            message = f"reduce mode: size scaled by {mult}"
        return mult, reason, message

    # ------------------------------------------------------------------ intent-level guards

    def _positions_guard(self, intent: TradeIntent, state: PortfolioState) -> RiskDecision | None:
        if self.max_open_positions is None:
            return None
        held = {(p.symbol, p.strategy_id) for p in state.positions}
        if (intent.symbol, intent.strategy_id) in held:
            return None
        if len(state.positions) >= self.max_open_positions:
            return _reject(
                RiskReason.MAX_POSITIONS,
                f"{len(state.positions)} positions open, the limit is {self.max_open_positions}",
            )
        return None

    def _concentration_guard(
        self, intent: TradeIntent, state: PortfolioState, mult: Decimal
    ) -> RiskDecision | None:
        if self.max_symbol_exposure is None:
            return None
        net = sum(
            (int(p.direction) * to_decimal(p.notional, "notional") for p in state.positions
             if p.symbol == intent.symbol),
            Decimal(0),
        )  # fmt: skip
        net += int(intent.side) * intent.notional * mult
        cap = self._dec("max_symbol_exposure") * to_decimal(state.equity, "equity")
        if abs(net) > cap:
            return _reject(
                RiskReason.CONCENTRATION,
                f"{intent.symbol} exposure would be {abs(net)} quote, above the cap of {cap} "
                f"({_pct(self._dec('max_symbol_exposure'))} of equity)",
            )
        return None

    def _correlation_guard(self, intent: TradeIntent, state: PortfolioState) -> RiskDecision | None:
        if self.max_correlation is None:
            return None
        cap = float(self._dec("max_correlation"))
        for p in state.positions:
            if p.symbol == intent.symbol:
                continue
            missing = [s for s in (intent.symbol, p.symbol) if s not in state.returns]
            if missing:
                return _reject(
                    RiskReason.CORRELATION, f"no returns for {missing[0]} to measure correlation"
                )
            corr = nb.tail_correlation_nb(
                state.returns[intent.symbol], state.returns[p.symbol], self.correlation_min_obs
            )
            if np.isnan(corr):
                return _reject(
                    RiskReason.CORRELATION,
                    f"cannot measure the correlation of {intent.symbol} and {p.symbol}: fewer "
                    f"than {self.correlation_min_obs} returns, or constant returns",
                )
            if corr * int(intent.side) * int(p.direction) > cap:
                return _reject(
                    RiskReason.CORRELATION,
                    f"{intent.symbol} correlates {corr:.3f} with the open {p.direction.name} "
                    f"{p.symbol} position (cap {cap})",
                )
        return None

    def _heat_guard(
        self, intent: TradeIntent, state: PortfolioState, mult: Decimal
    ) -> RiskDecision | None:
        if self.max_heat is None:
            return None
        open_risk = sum((to_decimal(p.risk, "risk") for p in state.positions), Decimal(0))
        total = open_risk + intent.risk * mult
        cap = self._dec("max_heat") * to_decimal(state.equity, "equity")
        if total > cap:
            return _reject(
                RiskReason.HEAT,
                f"open risk would be {total} quote, above the heat cap of {cap} "
                f"({_pct(self._dec('max_heat'))} of equity)",
            )
        return None

    # ------------------------------------------------------------------ public

    def check(self, intent: TradeIntent, state: PortfolioState) -> RiskDecision:
        """Allow, scale down or reject an intent given the account's state.

        Parameters
        ----------
        intent : TradeIntent
            The order a strategy wants to place.
        state : PortfolioState
            The account now.

        Returns
        -------
        RiskDecision
            ``allowed``, the :class:`RiskReason` and a message, the ``size_multiplier`` to apply,
            and ``flatten`` when every position must be closed.

        Examples
        --------
        >>> state = PortfolioState(7_900, 8_000, 10_000)  # 21 % below the peak
        >>> d = RiskLimits().check(TradeIntent("SOL/USDT", Side.BUY, 1, 150), state)
        >>> d.allowed, d.reason.name, d.flatten
        (False, 'HARD_DRAWDOWN', True)
        """
        if not isinstance(intent, TradeIntent):
            raise ParameterError("intent", f"expected a TradeIntent, got {type(intent).__name__}")
        if not isinstance(state, PortfolioState):
            raise ParameterError("state", f"expected a PortfolioState, got {type(state).__name__}")
        if intent.reduce_only:
            flat = self._must_flatten(state)
            return RiskDecision(True, RiskReason.OK, "reduce-only: always allowed", 1.0, flat)
        account = self._account_guard(state)
        if account is not None:
            return account
        mult, reason, message = self._multiplier(state)
        for verdict in (
            self._positions_guard(intent, state),
            self._concentration_guard(intent, state, mult),
            self._correlation_guard(intent, state),
            self._heat_guard(intent, state, mult),
        ):
            if verdict is not None:
                return verdict
        return RiskDecision(True, reason, message, float(mult), False)

    def guard_path(
        self, equity: Any, *, day: Any = None, init_equity: float | None = None
    ) -> GuardPath:
        """The drawdown guards and the daily loss limit bar by bar over an equity path.

        Runs :func:`soltrader.risk.nb.guard_path_nb` with these limits (off guards as ``inf``):
        a hard-drawdown breach flattens at its bar and halts every later bar; a daily-loss
        breach blocks entries for the rest of that day; a soft drawdown scales sizes.

        Parameters
        ----------
        equity : array-like or pandas.Series
            Account value at each bar's close, quote currency, >= 0.
        day : array-like of int, datetime64 array or DatetimeIndex, optional
            Day of each bar; default: the UTC day of a Series' DatetimeIndex. Times may have
            any resolution (s, ms, us, ns); naive times are read as UTC. Needed when the
            daily loss limit is on and ``equity`` has no DatetimeIndex.
        init_equity : float, optional
            Account value before the first bar (first peak and first day start), > 0;
            default ``equity[0]``.

        Returns
        -------
        GuardPath
            ``allowed`` (bool), ``size_multiplier`` (float, 0 when not allowed), ``flatten``
            (bool, True at the hard-drawdown breach bar) and ``reason`` (:class:`RiskReason`
            codes) per bar; Series on the input's index for a Series.

        Examples
        --------
        >>> g = RiskLimits(daily_loss_limit=None).guard_path([100.0, 110.0, 92.0, 87.0, 95.0])
        >>> g.allowed.tolist(), g.flatten.tolist()
        ([True, True, True, False, False], [False, False, False, True, False])
        """
        values = returns_array(equity, "equity")
        if values.min() < 0:
            row = int(values.argmin())
            raise ParameterError("equity", f"row {row} is {values[row]}; expected values >= 0")
        init = (
            values[0]
            if init_equity is None
            else to_decimal(init_equity, "init_equity", low=0.0, strict=True)
        )
        out = nb.guard_path_nb(
            values, self._days(equity, day, values.size), float(init), *self._kernel_limits()
        )
        if isinstance(equity, pd.Series):
            series = (pd.Series(a, index=equity.index, name=n)
                      for a, n in zip(out, GuardPath._fields, strict=True))  # fmt: skip
            return GuardPath(*series)
        return GuardPath(*out)

    def _kernel_limits(self) -> tuple[float, float, float, float]:
        """``(soft_drawdown, soft_multiplier, hard_drawdown, daily_loss_limit)`` as floats for
        :func:`soltrader.risk.nb.guard_path_nb`, ``inf`` for a guard that is off."""

        def limit(name: str) -> float:
            return float("inf") if getattr(self, name) is None else float(self._dec(name))

        soft, hard, daily = (
            limit("soft_drawdown"),
            limit("hard_drawdown"),
            limit("daily_loss_limit"),
        )
        return soft, float(self._dec("soft_multiplier")), hard, daily

    def _days(self, equity: Any, day: Any, n: int) -> np.ndarray:
        """Day numbers per bar: given, from a DatetimeIndex, or all 0 when no daily limit."""
        if (
            day is None
            and isinstance(equity, pd.Series)
            and isinstance(equity.index, pd.DatetimeIndex)
        ):
            day = equity.index
        if day is None:
            if self.daily_loss_limit is not None:
                raise ParameterError(
                    "day", "the daily loss limit needs the day of each bar: pass day= or a Series "
                    "with a DatetimeIndex (or set daily_loss_limit=None)"
                )  # fmt: skip
            return np.zeros(n, dtype=np.int64)
        if isinstance(day, pd.DatetimeIndex) or np.asarray(day).dtype.kind == "M":
            days = utc_index(day, "day").asi8 // NS_PER_DAY  # UTC days; naive times are UTC
        else:
            days = np.asarray(day)
            if days.dtype.kind not in "iu":
                raise ParameterError(
                    "day", f"expected integer day numbers or timestamps, got {days.dtype}"
                )
        if days.shape != (n,):
            raise ParameterError(
                "day", f"expected one day per bar of equity ({n}), got {days.shape}"
            )
        return np.ascontiguousarray(days, dtype=np.int64)
