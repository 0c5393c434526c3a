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
stops_in_fill_bar      ``True``: protective orders are placed        ``False``: armed from the bar
                       with the fill and act in the rest of the     after the entry fill (with
                       fill bar (see *The fill bar* below)          fills at the close: the same)
open_first             ``True``: a bar that opens beyond any         ``False``: the loss side is
                       protective level fills it at the open (the   checked first, so a bar that
                       open is the bar's first trade), take-profit  opens beyond the take-profit
                       included                                     and then trades through the
                                                                    stop books the stop at its
                                                                    level
allow_partial          ``False``: an ``amount`` entry the cash       ``True``: it fills the size
                       does not cover is rejected                   the cash buys (vectorbt's
                       (``insufficient_cash``)                      ``allow_partial``)
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
                                                                    ``call_seq``); ``"value"``:
                                                                    in ascending order of their
                                                                    approximate value, sales
                                                                    first (``call_seq="auto"``)
=====================  ==========================================  ==============================

``accumulate`` also takes ``"add"`` or ``"both"`` by name; ``"both"`` and ``reversal="one_order"``
need ``fill="close"`` and market entries. ``short_cash="proceeds"`` cannot be combined with
leverage. With ``fill="close"``, an asset whose stop or target order executed (in full or in
part) or was refused inside the bar ignores that bar's signals, as vectorbt takes one order per
bar and column; a partial take-profit is the exception.

Remaining differences from vectorbt under the preset (each refused, or not a simulation result):

* vectorbt's ``call_seq="auto"`` is ``call_order="value"`` (pass it with the preset): each
  asset's order of the bar is valued before any executes, as vectorbt's ``temp_order_value``
  (units at the close; a value as given; a percent buy of the cash with short proceeds, a
  percent sale of the long position or of the most that can be sold; a stop exit as a close),
  and the assets act in ascending order of that value, ties in column order. A given
  ``call_seq`` array has no counterpart. Values within 1e-12 of each other (relative) are ties:
  with shorts on shared cash our cash and sizes can differ from vectorbt's in the last bits
  (about 1e-16 relative; orders agree to 1e-9), and an exact tie for vectorbt, such as 200
  units of two assets at the same close, stays a tie here. Where vectorbt's *own* residue
  breaks such a tie (200.00000000000003 units against 200), its order can differ from ours on
  that bar, and another asset may get the cash first; assets at different prices never meet
  this.
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
* **Gaps**: a bar that opens beyond a stop or target fills at the open, else at the level. The
  open is the bar's first trade: a bar that opens beyond the take-profit fills it at the open even
  if it then trades through the stop (``open_first``; the vectorbt preset checks the stop first).
* **The fill bar** (``stops_in_fill_bar``): a live stop or take-profit order is placed right
  after the entry fills, so it acts in the rest of the fill bar. A market entry filled at the open
  (``fill="next_open"``), and a resting entry filled at the open because the bar opened through
  it, have the whole bar after the fill: their protective orders (stop-loss, take-profit,
  trailing stop, partial take-profit, liquidation) act on it exactly as on any later bar, the
  conservative intrabar rule (and ``intrabar=`` sub-bars) included. A resting limit or stop entry
  filled *inside* the bar leaves only the part of the bar after its fill, and the bar does not
  show that part: the loss side acts if the bar's range reaches it (the extreme may have come
  after the fill), at its level or at the fill price if that is already beyond it; the profit
  side acts only where the bar certainly reached it after the fill -- the close beyond it, or
  the bar's extreme on the side the price came from to the fill (a buy limit's low, a buy stop's
  high; mirrored for shorts) -- and only if the loss side was not reached; the trailing reference
  moves as far as certain; sub-bars are not consulted there. A fill at the close
  (``fill="close"``) has nothing after it: its protective orders act from the next bar. With
  ``stops_in_fill_bar=False`` every protective order is armed from the bar after the fill (the
  old rule: favourable to the strategy, a stop crossed in the fill bar is forgotten if the price
  recovers), except the liquidation rule under *Leverage*.
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
  cash never goes negative. A position opened inside a bar, before its stops are armed
  (``stops_in_fill_bar=False``), whose bar closes beyond its liquidation price is liquidated at
  that price in that bar (the path from its fill to the close crossed it).
* **Sizes larger than the cash**: an ``amount`` entry whose margin and fees the account's cash
  does not cover is rejected (``insufficient_cash``), or with ``allow_partial`` filled at the
  size the cash buys (status ``partial``); the order record keeps the size requested beside the
  size filled. Percent and all-cash entries are sized to their budget and never exceed it.
* **Ruin**: an account that holds no position and whose cash is below the smallest order it
  could place (``min_size`` at the decision close, with margin, taker fee and fixed costs) is
  ruined: its next entry decision is recorded once as a rejected order with the reason
  ``ruined``, and it places no more orders (nothing can bring cash back to a flat account).
* **End of data**: an open position is marked at the last close, not closed.
* **Shared cash and accounts**: at each execution point exits of all assets execute before
  entries, and entries in column order (``call_order="exits_first"``; ``"columns"`` runs each
  asset's intrabar exits and close orders in column order instead); an asset spends only its own
  account's cash.

backtesting.py (0.6.6): the default conventions reproduce its ``FractionalBacktest`` with
bracket orders ``buy(sl=, tp=)`` / ``sell(sl=, tp=)`` trade for trade (entry and exit bar, size,
prices, fees, P&L, equity; ``tests/golden/test_backtest_vs_backtestingpy.py``) once these
differences are aligned:

* **Fills**: ``trade_on_close=False`` fills a market order at the next open, the default
  ``fill="next_open"`` (``trade_on_close=True`` is ``fill="close"``).
* **Commission**: ``commission=(fixed, rate)`` is charged on every fill at the price before
  spread: ``fees=rate, maker_fees=rate, fixed_fees=fixed`` (one rate for every fill; soltrader's
  take-profit is a maker fill). backtesting.py sizes a fractional order with ``(fixed + f * price
  * rate) / f`` per unit, so a fixed commission only compares with sizes in units.
* **Spread**: ``spread`` moves the entry price only (its exits fill at the raw price);
  soltrader's ``slippage`` moves every taking fill: aligned by ``spread=0`` and ``slippage=0``.
* **Sizing**: a fraction ``f < 1`` buys ``floor(f * available margin / (price * (1 + rate)))``
  whole units, and ``FractionalBacktest`` makes a unit ``fractional_unit`` (1e-8) base units:
  percent sizes agree to one unit (soltrader does not round sizes; ``min_size`` only rejects).
  A size in units larger than the available margin is cancelled: soltrader's default
  (``allow_partial=False``) rejects it too.
* **One position**: ``exclusive_orders=True, hedging=False``, ``margin=1``: an opposite order
  closes the trade at the next open and opens the new one at that open, sized on the cash after
  the close -- soltrader's reversal at ``leverage=1``; an entry in the position's direction is
  ignored by soltrader (``accumulate=False``) and must not be placed there.
* **Levels**: backtesting.py takes absolute prices with the order and checks ``sl < close < tp``
  against the decision close; soltrader's levels are fractions of the fill (``stop_anchor=
  "fill"``), here the next open, so the levels are computed from it (and a gapped open can put
  one across the decision close, which that check refuses).
* **The fill bar**: backtesting.py re-processes a market entry's bracket in the bar it filled,
  so the stop and target act on the rest of that bar, as ``stops_in_fill_bar=True``. After a
  limit or stop entry it defers the bracket to the next bar (with a warning) unless the case is
  unambiguous; soltrader reads that bar conservatively instead (*The fill bar*).
* **Stop and target in one bar**: its stop order is processed first: the conservative rule.
* **Gaps**: a stop fills at the open or the stop, whichever is worse, and a target at the open
  or the target, whichever is better -- the gap rule -- except that a bar opening beyond the
  target and then trading through the stop fills the stop at its level (the stop is checked
  first); ``open_first=False`` reads it that way.
* **Exits**: a trade's stop and target orders stay ahead of its closing market order in the next
  bar, so a level reached later in that bar fills instead of the market exit at the open;
  soltrader (and a venue) executes the market exit at the open: cancel the bracket when the exit
  is decided (``trade.sl = trade.tp = None``).
* **Touching a level** fills it in both (``low <= stop``, ``high >= target`` for a long).
* **Liquidation**: backtesting.py has none at ``margin=1``; soltrader liquidates an unlevered
  short whose margin is exhausted (the price doubled).
* **End of data**: ``finalize_trades=False`` leaves trades open, as soltrader's open trades
  marked at the last close; its equity (cash + unrealised P&L at the close) is soltrader's.
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
CallOrder = Literal["exits_first", "columns", "value"]
Accumulate = Literal["add", "both"]

_CHOICES: dict[str, tuple[str, ...]] = {
    "short_cash": ("margin", "proceeds"),
    "reversal": ("exit_then_entry", "one_order"),
    "value_sizing": ("budget", "notional"),
    "stop_on_add": ("keep", "reset"),
    "call_order": ("exits_first", "columns", "value"),
    "accumulate_mode": ("add", "both"),
}


@dataclass(frozen=True)
class Conventions:
    """The simulator's switchable conventions (see the module docstring for each)."""

    fill: FillMode = "next_open"
    stop_anchor: StopAnchor = "fill"
    stop_slippage: bool = True
    stops_in_fill_bar: bool = True
    open_first: bool = True
    allow_partial: bool = False
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
        stops_in_fill_bar=False,
        open_first=False,
        allow_partial=True,
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
