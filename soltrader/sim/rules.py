"""Fill rules and conventions of the simulator, stated in one place.

soltrader's defaults are the ones we judge most realistic. The preset ``conventions="vectorbt"``
switches every rule on which vectorbt's ``Portfolio.from_signals`` (1.2.0) differs, and refuses
(with a :class:`~soltrader.domain.errors.ParameterError` naming the keyword and the reason, see
``VECTORBT_REFUSALS``) every keyword vectorbt has no equivalent for, so that wherever
``backtest_signals(..., conventions="vectorbt")`` is accepted it reproduces vectorbt order by
order. A differential test against the installed vectorbt draws cases over shorts and reversals,
size types, fixed fees, accumulation, near-ruin accounts, gapped bars and shared cash. Every
switch is also a keyword of its own; overriding one under the preset departs from vectorbt on
purpose.

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
short_cash (A, B, I)   ``"margin"``: a short commits its notional    ``"proceeds"``: the sale is
                       / leverage from the cash as margin, is        credited to the cash (buys of
                       sized within the cash and is liquidated       any asset may spend it), a
                       when its margin is gone                       short in units or value is
                                                                    not limited by the cash, a
                                                                    percent short is that
                                                                    fraction of (cash - fixed
                                                                    fees) / (price (1 + fee)),
                                                                    no liquidation, a cover the
                                                                    cash cannot pay is partial,
                                                                    a sale whose proceeds do not
                                                                    cover its fees is refused
reversal (C)           ``"exit_then_entry"``: two orders, two        ``"one_order"``: one order of
                       fixed fees                                   position + new size, one fixed
                                                                    fee, fees split between the
                                                                    two trades by size
value_sizing (D)       ``"budget"``: ``size_type="value"`` is the    ``"notional"``: the notional
                       quote spent, fees included                   at the order price, fees on
                                                                    top
accumulate=True (E)    ``"add"``: entries add, exits close all       ``"both"``: exits and opposite
                                                                    entries sell their size
stop_on_add (F)        ``"keep"``: the first entry's levels stay     ``"reset"``: each add sets the
                                                                    levels it gives, re-anchored
call_order (H)         ``"exits_first"``: exits of every asset,      ``"columns"``: each asset's
                       then entries (column order)                  stop / signal order in column
                                                                    order (vectorbt's default
                                                                    ``call_seq``)
=====================  ==========================================  ==============================

``accumulate`` also takes ``"add"`` or ``"both"`` by name; ``"both"`` and ``reversal="one_order"``
need ``fill="close"`` and market entries. ``short_cash="proceeds"`` cannot be combined with
leverage. With ``fill="close"``, an asset whose stop or target order executed (in full or in
part) or was refused inside the bar ignores that bar's signals, as vectorbt takes one order per
bar and column; a partial take-profit is the exception.

Remaining differences from vectorbt under the preset (each refused, or not a simulation result):

* vectorbt's ``call_seq="auto"`` sorts a bar's orders by their approximate value; soltrader has
  no such order (``call_order="exits_first"`` runs exits first, then entries in column order,
  which equals "auto" only when entries are not limited by the shared cash).
* Features vectorbt lacks are refused: next-open fills, limit / stop entries, partial take-profit,
  time stops, partial exit signals, cooldowns, maker fees and fee tiers, impact, AMM and Solana
  costs, volume caps, leverage, intrabar resolution, account guards and control modes, and
  percent-sized reversals (vectorbt raises for them).
* Trade returns: soltrader divides a trade's P&L by its entry notional plus entry fees; vectorbt
  by the entry notional alone (trade records only; orders and values agree).
* soltrader's ``Result.cash`` is vectorbt's free cash under ``short_cash="proceeds"`` (vectorbt's
  cash adds twice the open shorts' debt).

Rules common to both:

* **Decisions and fills**: signals are decisions taken at a bar's close. Market orders fill at
  the next open (or at that close with ``fill="close"``); limit, stop and stop-limit entries rest
  from the next bar, never inside the bar that produced them.
* **Resting entries**: a limit fills at the limit when the bar trades through it, or at the open
  when the bar opens beyond it (a maker fill, unless the order was marketable when placed);
  ``post_only`` rejects a limit that would take liquidity when placed. A stop fills at the stop,
  or at the open on a gap (a taker fill with slippage). A triggered stop-limit fills at the
  trigger price if that is within its limit, otherwise it rests as a limit from the next bar.
  ``tif`` bars after placement an unfilled order expires; a new entry signal replaces it; an exit
  signal or ``cancel`` withdraws it.
* **Intrabar order**: on the loss side the stop-loss, trailing stop or liquidation level nearest
  the price comes first; then the partial take-profit, then the take-profit. When a loss-side
  and a profit-side level both lie inside one bar, the loss side is taken (conservative) unless
  lower-timeframe bars (``intrabar=``) show the profit side was reached first; a sub-bar that
  holds both keeps the conservative reading. One protective fill per bar and asset.
* **Gaps**: a bar that opens beyond a stop or target fills at the open, else at the level.
* **Trailing stop**: the reference price rises to the bar's high (falls to its low for shorts)
  only *after* the bar's checks; ``trail_after_partial`` starts trailing from the partial
  take-profit level once it has filled.
* **Time stop and cooldown**: ``max_bars`` after the entry the position exits at that bar's
  close decision; entry decisions within ``cooldown`` bars of an exit (optionally only in the
  exited direction) are ignored.
* **One position per asset**: entries are ignored while a position in that direction is open
  (``accumulate=True`` adds to it instead; see the table for ``"both"``); exits while flat; an
  opposite entry reverses the position (exit, then entry). Exit orders are reduce-only: they
  never exceed the position. An exit signal closes ``exit_size`` of the position (default all;
  a partial exit records a trade for the part closed); time stops and reversals close all of it.
* **Conflicts**: an entry and an exit of the same direction on one bar cancel out, and so do a
  long and a short entry.
* **Account guards** (``risk=RiskLimits(...)``): after every bar's mark, each account's value
  updates its peak and its UTC day's start and low (``soltrader.risk.nb.guard_step_nb``). Entry
  decisions at the next closes see that verdict: a soft drawdown scales their size by
  ``soft_multiplier``, a daily loss beyond the limit refuses them until the day changes, more than
  ``max_open_positions`` positions (open or pending, all assets) refuses a new one, and so does a
  net notional in the asset above ``max_symbol_exposure`` of the account's value or open risk at
  the stops above ``max_heat`` of it (the entry's notional estimated at its decision close from
  its size and the leverage; a position without a stop risks its whole value), or a return
  correlation over the last ``correlation_min_obs`` bars above ``max_correlation`` with another
  open position (direction-adjusted; refused while it cannot be measured). A hard
  drawdown flattens the account at that close (``fill="close"``) or the next open, cancels its
  pending entries and halts it for good. Refusals are rejected orders (``risk_limit``,
  ``position_limit``, ``concentration``, ``heat``, ``correlation``); guard exits have the reason
  ``risk_guard``.
  A control schedule (``control=``, a ``ControlMode`` per bar) is applied with them: ``pause``
  refuses entries, ``reduce`` scales them by ``reduce_multiplier``, ``emergency`` refuses them and
  flattens every account at that bar's close (or the next open).
* **Sizing**: ``size=None`` commits all available cash of the asset's account including fees:
  units = (cash - fixed costs) / (1 / leverage + fee) / price (vectorbt's ``size=inf``).
* **Costs**: fees are fractions of the notional at the execution price (maker for resting
  limits and take-profits, taker otherwise, volume tiers when a ``FeeSchedule`` has them) plus
  fixed fees and Solana transaction costs per order; slippage and market impact move taking
  fills; an AMM asset fills along its constant-product curve. A failed transaction pays its fee
  and fills nothing: a failed entry is dropped, a failed exit is retried at the next open.
* **Volume cap**: with ``max_volume_share`` every fill is capped at that share of the bar's
  volume; the rest stays pending and fills at the following opens.
* **Leverage**: isolated margin; a position is liquidated at
  ``e * (1 - 1/L) / (1 - mm)`` (long) or ``e * (1 + 1/L) / (1 + mm)`` (short) and the account loses
  exactly its margin. A short without leverage is liquidated when its margin is exhausted, so
  cash never goes negative. A position opened inside a bar, before its stops are armed, whose bar
  closes beyond its liquidation price is liquidated at that price in that bar (the path from
  its fill to the close crossed it).
* **End of data**: an open position is marked at the last close, not closed.
* **Shared cash and accounts**: at each execution point exits of all assets execute before
  entries, and entries in column order (``call_order="exits_first"``; ``"columns"`` runs each
  asset's intrabar exits and close orders in column order instead); an asset spends only its own
  account's cash.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from soltrader.domain.errors import ParameterError

FillMode = Literal["close", "next_open"]
StopAnchor = Literal["fill", "signal_close"]
ShortCash = Literal["margin", "proceeds"]
Reversal = Literal["exit_then_entry", "one_order"]
ValueSizing = Literal["budget", "notional"]
StopOnAdd = Literal["keep", "reset"]
CallOrder = Literal["exits_first", "columns"]
Accumulate = Literal["add", "both"]

_CHOICES: dict[str, tuple[str, ...]] = {
    "short_cash": ("margin", "proceeds"),
    "reversal": ("exit_then_entry", "one_order"),
    "value_sizing": ("budget", "notional"),
    "stop_on_add": ("keep", "reset"),
    "call_order": ("exits_first", "columns"),
    "accumulate_mode": ("add", "both"),
}


@dataclass(frozen=True)
class Conventions:
    """The simulator's switchable conventions (see the module docstring for each)."""

    fill: FillMode = "next_open"
    stop_anchor: StopAnchor = "fill"
    stop_slippage: bool = True
    stop_on_entry_bar: bool = False
    min_size: float = 1e-8
    short_cash: ShortCash = "margin"
    reversal: Reversal = "exit_then_entry"
    value_sizing: ValueSizing = "budget"
    stop_on_add: StopOnAdd = "keep"
    call_order: CallOrder = "exits_first"
    accumulate_mode: Accumulate = "add"
    preset: str = "soltrader"

    def __post_init__(self) -> None:
        for name, choices in _CHOICES.items():
            if getattr(self, name) not in choices:
                raise ParameterError(name, f"{getattr(self, name)!r} is not one of {list(choices)}")
        if self.fill not in ("close", "next_open"):
            raise ParameterError(
                "fill", f"{self.fill!r} is not a fill mode; use 'next_open' or 'close'"
            )
        if self.stop_anchor not in ("fill", "signal_close"):
            raise ParameterError(
                "stop_anchor", f"{self.stop_anchor!r}: use 'fill' or 'signal_close'"
            )
        if not self.min_size >= 0:
            raise ParameterError("min_size", f"must be >= 0 base units, got {self.min_size!r}")


PRESETS: dict[str, Conventions] = {
    "soltrader": Conventions(),
    "vectorbt": Conventions(
        fill="close",
        stop_anchor="signal_close",
        stop_slippage=False,
        short_cash="proceeds",
        reversal="one_order",
        value_sizing="notional",
        stop_on_add="reset",
        call_order="columns",
        accumulate_mode="both",
        preset="vectorbt",
    ),
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


#: What the vectorbt preset refuses, keyword by keyword: vectorbt's ``from_signals`` has no such
#: feature (or another one), so no soltrader setting of it reproduces vectorbt.
VECTORBT_REFUSALS: dict[str, str] = {
    "fill": "vectorbt's from_signals fills a signal at its bar's close; the preset reproduces "
    "fill='close' only (shift the signals and pass price=open to vectorbt for next-open fills)",
    "order_type": "from_signals has market orders only (limit / stop entries have no equivalent)",
    "limit_price": "from_signals has market orders only",
    "stop_price": "from_signals has market orders only",
    "post_only": "from_signals has market orders only",
    "cancel": "from_signals has no resting orders to cancel",
    "tif": "from_signals has no resting orders to expire",
    "partial_tp_stop": "from_signals has no partial take-profit",
    "trail_after_partial": "from_signals has no partial take-profit",
    "max_bars": "from_signals has no time stop",
    "exit_size": "from_signals closes the whole position on an exit (accumulate='both' sells size)",
    "cooldown": "from_signals has no cooldown",
    "maker_fees": "from_signals charges one fee rate (no maker / taker)",
    "impact": "from_signals has no market impact model",
    "amm": "from_signals has no AMM execution",
    "solana": "from_signals has no transaction costs or failures",
    "max_volume_share": "from_signals does not cap fills by volume",
    "leverage": "from_signals has no leverage (its shorts borrow without margin)",
    "maintenance_margin": "from_signals has no margin or liquidation",
    "intrabar": "from_signals does not read lower-timeframe bars",
    "risk": "from_signals has no account guards",
    "control": "from_signals has no control modes",
}
