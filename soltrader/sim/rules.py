"""Fill rules and conventions of the simulator, stated in one place.

soltrader's defaults are the ones we judge most realistic; the preset ``conventions="vectorbt"``
switches every rule on which vectorbt's ``Portfolio.from_signals`` (1.2.0) differs, so that
``backtest_signals(..., fill="close", conventions="vectorbt")`` reproduces it exactly.

=====================  ==========================================  ==============================
rule                   soltrader default                           vectorbt preset
=====================  ==========================================  ==============================
fill                   ``"next_open"``: a decision on bar t's       ``"close"``: fills at t's
                       close fills at t+1's open                    close (explicit opt-in here)
stop_anchor            ``"fill"``: stop / target levels are          ``"signal_close"``: the close
                       fractions of the entry fill price            of the entry decision bar
stop_slippage          ``True``: stop exits are market orders and    ``False``: stop exits fill at
                       pay slippage like any other                  the level (or the gap open)
stop_on_entry_bar      ``False``: stops are armed from the bar       (fills at the close: the next
                       after the entry fill                          bar anyway)
min_size               1e-8 base units                              1e-8
=====================  ==========================================  ==============================

Rules common to both:

* **Intrabar order**: stop-loss (or trailing stop) is checked before take-profit, the
  conservative reading when both levels lie inside one bar.
* **Gaps**: a bar that opens beyond a stop or target fills at the open, else at the level.
* **Trailing stop**: the reference price rises to the bar's high (falls to its low for shorts)
  only *after* the bar's stop check.
* **One position per asset**: entries are ignored while a position in that direction is open,
  exits while flat; an opposite entry reverses the position (exit, then entry).
* **Conflicts**: an entry and an exit of the same direction on one bar cancel out, and so do a
  long and a short entry.
* **Sizing**: ``size=None`` commits all available cash including fees:
  units = (cash - fixed_fees) / (1 + fees) / price (vectorbt's ``size=inf``).
* **Fees** are a fraction of the notional at the slippage-adjusted price, charged on both sides,
  plus an optional fixed fee per order.
* **End of data**: an open position is marked at the last close, not closed.
* **Shared cash**: at each execution point exits of all assets execute before entries, and
  entries in column order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from soltrader.domain.errors import ParameterError

FillMode = Literal["close", "next_open"]
StopAnchor = Literal["fill", "signal_close"]


@dataclass(frozen=True)
class Conventions:
    """The simulator's switchable conventions (see the module docstring for each)."""

    fill: FillMode = "next_open"
    stop_anchor: StopAnchor = "fill"
    stop_slippage: bool = True
    stop_on_entry_bar: bool = False
    min_size: float = 1e-8

    def __post_init__(self) -> None:
        if self.fill not in ("close", "next_open"):
            raise ParameterError("fill", f"{self.fill!r} is not a fill mode; use 'next_open' or 'close'")
        if self.stop_anchor not in ("fill", "signal_close"):
            raise ParameterError(
                "stop_anchor", f"{self.stop_anchor!r}: use 'fill' or 'signal_close'"
            )
        if not self.min_size >= 0:
            raise ParameterError("min_size", f"must be >= 0 base units, got {self.min_size!r}")


PRESETS: dict[str, Conventions] = {
    "soltrader": Conventions(),
    "vectorbt": Conventions(fill="close", stop_anchor="signal_close", stop_slippage=False),
}


def resolve_conventions(preset: str | None, **overrides: object) -> Conventions:
    """The conventions of ``preset`` with every non-None override applied.

    Examples
    --------
    >>> resolve_conventions("vectorbt").fill
    'close'
    >>> resolve_conventions(None, fill="close").stop_anchor
    'fill'
    """
    name = preset or "soltrader"
    if name not in PRESETS:
        raise ParameterError("conventions", f"{name!r} is unknown; use one of {sorted(PRESETS)}")
    chosen = {k: v for k, v in overrides.items() if v is not None}
    return replace(PRESETS[name], **chosen)
