"""A strategy is data: a pure signal function, its parameters and their default search space.

The replay engine (``st.backtest``), the sweeps and the live loop all call the same ``signal``
function; nothing in a strategy knows which of them is calling. Risk and cost settings that the
simulator applies (``sl_stop``, ``tp_stop``, ``fees``, ...) are ordinary backtest keywords, and a
signal function may also return per-bar values for them (e.g. an ATR-based stop distance).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from numba.core.errors import NumbaError

from soltrader.domain.errors import ParameterError
from soltrader.domain.signals import Bars, Signals
from soltrader.sim.lean import SIGNAL_KERNEL_SIG


@dataclass(frozen=True)
class Fused:
    """How a sweep runs a strategy inside the one parallel numba kernel of the engine
    (:func:`soltrader.engine.fused.sweep_kernel`, see :mod:`soltrader.sim.lean`).

    Attributes
    ----------
    signals : numba dispatcher
        The strategy's signal kernel, an ``@njit`` function that compiles for
        :data:`soltrader.sim.lean.SIGNAL_KERNEL_SIG` (on first use):
        ``signals(open, high, low, close, volume, params, signals, levels, scratch) -> rows``
        writes one combination's decisions (``params``: the strategy's parameters in the order
        of ``Strategy.params``, as floats) into per-thread scratch; the skeleton calls it through
        a function pointer, then simulates the combination with
        :func:`soltrader.sim.lean.run_combo_nb`.
    levels : tuple of str
        The per-bar simulator inputs the kernel writes, in the order of its level rows (e.g.
        ``("sl_stop",)``); they cannot also be given as backtest keywords.
    accepts : callable, optional
        ``accepts(params) -> bool``: whether the kernel covers these parameters (a sweep with any
        combination it does not cover runs the generic path).
    scalars : mapping
        Simulator inputs the strategy sets to one of its own parameters on every bar (e.g.
        ``{"max_bars": "max_hold"}``); like ``levels`` they cannot be backtest keywords.
    scratch : int
        Rows of per-thread float scratch the signal kernel keeps between combinations (each of
        ``max(bars, scratch, 2)`` floats, NaN at first).

    Raises
    ------
    ParameterError
        If ``signals`` is not a numba dispatcher, or ``scratch`` is not a whole number >= 0.
    """

    signals: Callable[..., int]
    levels: tuple[str, ...] = ()
    accepts: Callable[[Mapping[str, Any]], bool] | None = None
    scalars: Mapping[str, str] = field(default_factory=dict)
    scratch: int = 0

    def signals_kernel(self) -> Any:
        """``signals``, compiled (or loaded from the on-disk cache) for
        :data:`soltrader.sim.lean.SIGNAL_KERNEL_SIG`, as the skeleton calls it.

        Raises
        ------
        ParameterError
            If the kernel does not compile for that signature (the message gives numba's
            reason).
        """
        try:
            self.signals.compile(SIGNAL_KERNEL_SIG)
        except (NumbaError, TypeError) as exc:  # typing errors; TypeError: a wrong arity
            raise ParameterError(
                "signals",
                f"the fused signal kernel does not compile for SIGNAL_KERNEL_SIG: {exc}",
            ) from None
        return self.signals

    def __post_init__(self) -> None:
        if not callable(getattr(self.signals, "compile", None)):
            raise ParameterError(
                "signals",
                f"expected a numba @njit signal kernel, got {type(self.signals).__name__}",
            )
        if isinstance(self.scratch, bool) or not isinstance(self.scratch, int) or self.scratch < 0:
            raise ParameterError(
                "scratch", f"expected a whole number of rows >= 0, got {self.scratch!r}"
            )


@dataclass(frozen=True)
class Strategy:
    """A pure signal function with its parameters.

    Attributes
    ----------
    name : str
        Short identifier (used in reports and live configs).
    signal : callable
        ``signal(bars: Bars, **params) -> Signals``; pure (no I/O, no clock, no state) and free of
        look-ahead: the decision at bar t may use bars 0..t only.
    params : mapping
        Default value of every parameter of ``signal``.
    space : mapping
        Default search space of each parameter for sweeps (sequences of values).
    description : str
        The rules in one paragraph.
    check : callable, optional
        ``check(**params)`` raises ``ParameterError`` for invalid parameters (the signal function
        calls it too); sweeps call it on every combination before fusing them.
    fused : Fused, optional
        The strategy's parallel sweep kernel; without one, sweeps run the generic path (every
        combination a full backtest), with the same results.
    backtest_defaults : mapping or callable, optional
        Backtest keywords the rules need (e.g. ``{"accumulate": True}`` for a grid), or
        ``f(params) -> mapping`` when they depend on the parameters. ``st.backtest``, sweeps and
        walk-forward apply them; a keyword the user gives wins.
    live_window : int or None
        Bars of history the live loop gives the signal function at each closed bar (it acts on
        the newest row). ``st.validation.window_check`` shows whether a window reproduces the
        decisions made on the full history; every built-in strategy's passes on the bundled
        data (default 2,000 bars). None gives the whole history since the first bar: for rules
        whose state runs through the whole path (a grid's held rungs), which no trailing window
        reproduces.
    live : callable, optional
        The live form of ``signal``, for the live loop: ``live(**params)`` (the resolved
        parameters) returns ``row(bars, start, stop)``, a callable giving the newest row of
        ``signal(bars[start:stop], **params)`` (the window ending at the bar just closed) as
        a dict of Python scalars by field name (``entries``, ``exits`` and the keys of
        ``Signals.extras()``), equal to it, without recomputing the whole window. ``bars``
        holds every bar so far (rows from ``stop`` on are not bars yet). The loop calls it once
        per bar in order and keeps one per asset, so it may carry state from call to call (a
        call out of that order must still be exact). None: the loop calls ``signal`` on the
        window.
    """

    name: str
    signal: Callable[..., Signals]
    params: Mapping[str, Any]
    space: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    check: Callable[..., None] | None = field(default=None, repr=False)
    fused: Fused | None = field(default=None, repr=False)
    backtest_defaults: Mapping[str, Any] | Callable[..., Mapping[str, Any]] | None = field(
        default=None, repr=False
    )
    live_window: int | None = 2_000
    live: Callable[..., Callable[[Bars, int, int], dict[str, Any]]] | None = field(
        default=None, repr=False
    )

    def __post_init__(self) -> None:
        window = self.live_window
        if window is not None and (
            isinstance(window, bool) or not isinstance(window, int) or window < 2
        ):
            raise ParameterError(
                "live_window", f"must be a whole number of bars >= 2 (or None: all), got {window!r}"
            )
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "space", MappingProxyType(dict(self.space)))
        unknown = set(self.space) - set(self.params)
        if unknown:
            raise ParameterError("space", f"{sorted(unknown)} are not parameters of {self.name}")

    def __reduce_ex__(self, protocol: Any) -> Any:
        """A strategy of the registry pickles as its name, so that a Dask worker uses its own
        (disk-cached) numba kernels instead of rebuilding and compiling them again; any other
        strategy pickles by value."""
        from soltrader.strategies import REGISTRY

        if REGISTRY.get(self.name) is self:
            return (_registered, (self.name,))
        return super().__reduce_ex__(protocol)

    def resolve(self, **overrides: Any) -> dict[str, Any]:
        """The parameters with ``overrides`` applied; unknown names raise ``ParameterError``.

        Examples
        --------
        >>> from soltrader.strategies import sma_cross
        >>> sma_cross.resolve(fast=10)["slow"]
        100
        """
        unknown = set(overrides) - set(self.params)
        if unknown:
            raise ParameterError(
                sorted(unknown)[0], f"not a parameter of {self.name} (it has {sorted(self.params)})"
            )
        return {**self.params, **overrides}

    def keywords(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The backtest keywords these (resolved) parameters need (see ``backtest_defaults``).

        Examples
        --------
        >>> from soltrader.strategies import grid
        >>> grid.keywords(grid.params)
        {'accumulate': True}
        """
        defaults = self.backtest_defaults
        if defaults is None:
            return {}
        if callable(defaults):
            return dict(defaults(**params))
        return dict(defaults)

    def __call__(self, bars: Bars, **params: Any) -> Signals:
        """Run the signal function with the defaults completed by ``params``."""
        return self.signal(bars, **self.resolve(**params))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"Strategy({self.name}: {args})"


def _registered(name: str) -> Strategy:
    """The registry's strategy ``name`` (what a pickled registered strategy loads as)."""
    from soltrader.strategies import REGISTRY

    return REGISTRY[name]
