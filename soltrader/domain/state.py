"""Named simulator and live state: positions, pending orders, accounts and order intents.

One record layout serves the replay kernel, the sweep loop and the live runtime (whose journal
stores the records as they are), so "what the backtest believed" and "what the live loop
believes" can be compared field by field. All are numpy structured dtypes, usable inside numba
(``state[j].qty``, ``state["qty"][j]``); prices are in quote currency, quantities in base units
(signed for positions: > 0 long, < 0 short), money in quote currency, bars are bar indices and
times epoch nanoseconds. ``NaN`` marks an unset float, ``-1`` an unset bar.

* :data:`position_dt`: one asset's open position, with its protection (stop, target, trailing,
  partial take-profit, time stop) and their anchors.
* :data:`pending_dt`: one asset's resting or queued entry and its pending exit.
* :data:`account_dt`: one account's cash and every account-guard field.
* :data:`intent_dt`: an order the decision core wants placed (or cancelled): entries, exits and
  protective orders alike, with its quantity fixed when it was decided.

:func:`new_positions`, :func:`new_pendings` and :func:`new_accounts` give arrays in their unset
state; :func:`client_id` is the deterministic client order id of an intent.

Examples
--------
>>> pos = new_positions(2)
>>> pos["qty"].tolist(), int(pos["entry_bar"][0])
([0.0, 0.0], -1)
>>> client_id(7, 0, 1_000, IntentReason.ENTRY, 0) == client_id(7, 0, 1_000, IntentReason.ENTRY, 0)
True
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from soltrader.domain.enums import ExitReason
from soltrader.domain.errors import ParameterError
from soltrader.domain.records import fill_dt


class IntentReason(IntEnum):
    """Why an intent was issued (the order's purpose; :class:`~soltrader.domain.enums.ExitReason`
    says why a position closed)."""

    ENTRY = 0
    EXIT = 1
    REVERSAL = 2
    STOP_LOSS = 3
    TAKE_PROFIT = 4
    TRAILING_STOP = 5
    PARTIAL_TAKE_PROFIT = 6
    TIME_STOP = 7
    LIQUIDATION = 8
    GUARD_FLATTEN = 9
    CANCEL = 10


class QuantityUnit(IntEnum):
    """What an intent's ``quantity`` counts."""

    BASE = 0  # base units (an exit, a unit-sized entry, a protective order)
    QUOTE = 1  # a quote budget, fees included: the fill model buys what it pays for at the fill
    #: a fraction of the account's cash, fees included, taken when the order is sent to the
    #: venue after the exits decided with it have filled (a percent-sized entry; next-open fills)
    CASH_FRACTION = 2


class ControlMode(IntEnum):
    """An account's operating mode (set by an operator or a schedule; read by ``decide``)."""

    NORMAL = 0
    PAUSE = 1  # no new entries; exits and protection go on
    REDUCE = 2  # entries sized down by the reduce multiplier
    EMERGENCY = 3  # flatten everything, then no entries


#: One asset's open position and its protection. ``qty == 0`` is flat (the other fields are then
#: stale and ignored).
position_dt = np.dtype(
    [
        ("qty", np.float64),  # signed base units
        ("avg_entry", np.float64),  # average entry fill price (quote)
        ("entry_fees", np.float64),  # entry costs not yet attributed to a closed part (quote)
        ("margin", np.float64),  # margin committed to the position (quote)
        ("leverage", np.float64),  # from the first entry's decision bar (1: none)
        ("initial_qty", np.float64),  # |qty| when the position was opened (all entry chunks)
        ("entry_bar", np.int64),  # bar of the first entry fill
        ("armed_from", np.int64),  # first bar the protective levels may act on
        ("sl_stop", np.float64),  # stop distance, a fraction of sl_anchor; NaN: none
        ("sl_anchor", np.float64),  # price the stop is measured from (the peak if trailing)
        ("trailing", np.bool_),  # the stop trails sl_anchor to the best price since entry
        ("tp_stop", np.float64),  # target distance, a fraction of tp_anchor; NaN: none
        ("tp_anchor", np.float64),
        ("ptp_stop", np.float64),  # partial take-profit distance; NaN: none
        ("ptp_size", np.float64),  # fraction of initial_qty the partial take-profit sells
        ("ptp_done", np.bool_),
        ("max_bars", np.int64),  # time stop: bars after entry_bar (0: none)
        ("loss_level", np.float64),  # nearest loss-side level (stop or liquidation); +-inf: none
        ("gain_level", np.float64),  # nearest profit-side level (partial or full target)
        ("last_exit_bar", np.int64),  # for the cooldown
        ("last_exit_dir", np.int8),  # Direction of the last closed position (0: none)
    ],
    align=True,
)

#: One asset's pending entry (resting limit / stop order, or an entry queued behind an exit) and
#: its pending exit (the rest of a volume-capped exit).
pending_dt = np.dtype(
    [
        ("entry_type", np.int8),  # OrderType; -1: no pending entry
        ("entry_dir", np.int8),  # Direction
        ("entry_bar", np.int64),  # decision bar (its cost and risk parameters apply)
        ("active_from", np.int64),  # first bar it may fill
        ("expire_bar", np.int64),  # last bar it may fill (-1: good till cancelled)
        ("taker_on_place", np.bool_),  # a limit order that was marketable when placed
        ("entry_remaining", np.float64),  # base units still to fill; NaN: not sized yet
        ("limit_price", np.float64),
        ("stop_price", np.float64),
        ("anchor", np.float64),  # close of the decision bar
        ("size_mult", np.float64),  # the account guards' multiplier (1: none)
        ("exit_remaining", np.float64),  # base units still to sell / buy back; NaN: none
        ("exit_reason", np.int8),  # ExitReason of the pending exit
        ("exit_bar", np.int64),  # decision bar of the pending exit
    ],
    align=True,
)

#: One account: its cash and the state of its guards (drawdown, daily loss, control mode).
account_dt = np.dtype(
    [
        ("cash", np.float64),  # quote
        ("equity", np.float64),  # value at the last close (quote)
        ("peak", np.float64),  # highest equity so far
        ("day_start", np.float64),  # equity at the start of the UTC day
        ("day_low", np.float64),  # lowest equity of the UTC day
        ("halted", np.bool_),  # a hard limit fired: no entries until it clears
        ("allowed", np.bool_),  # entries allowed at this bar
        ("size_mult", np.float64),  # entry size multiplier of the soft limits (1: none)
        ("halt_reason", np.int8),  # RejectReason of the halt (0: none)
        ("control", np.int8),  # ControlMode of the current bar
        ("flatten", np.bool_),  # flatten the account at this decision
        ("ruined", np.bool_),  # flat and unable to pay the smallest order: no more orders
    ],
    align=True,
)

#: An order the decision core wants placed, or a cancel (``reason == CANCEL``). Protective
#: stops, targets and trailing stops are intents too (reduce-only stop / limit orders), re-issued
#: when a level moves, so a venue can hold them natively or a monitor can watch them.
intent_dt = np.dtype(
    [
        ("client_id", np.uint64),  # deterministic: see client_id()
        ("decision_bar", np.int64),
        ("decision_time", np.int64),  # close time of the decision bar, epoch ns (-1: unknown)
        ("asset", np.int32),
        ("account", np.int32),
        ("side", np.int8),  # Side
        ("kind", np.int8),  # OrderType: market, limit, stop, stop-limit
        ("reason", np.int8),  # IntentReason
        ("unit", np.int8),  # QuantityUnit of quantity
        ("quantity", np.float64),  # > 0, in unit (fixed at decision)
        ("limit_price", np.float64),  # NaN if none
        ("stop_price", np.float64),  # NaN if none
        ("tif", np.int64),  # bars the order may rest (0: good till cancelled)
        ("reduce_only", np.bool_),
        ("post_only", np.bool_),
        ("replaces", np.uint64),  # client id of the order this one cancels or replaces (0: none)
    ],
    align=True,
)

#: What a real venue did with each asset's pending market orders since the last bar, for a
#: decision core whose fills come from the venue (``PaperLoop.live(..., venue_fills=True)``).
#: ``*_state``: :class:`OutcomeState`; sizes in base units, prices in quote per base unit, fees
#: in quote currency (the venue's own figures, e.g. from a swap's balances).
venue_outcome_dt = np.dtype(
    [
        ("exit_state", np.int8),  # of the pending exit
        ("exit_size", np.float64),
        ("exit_price", np.float64),
        ("exit_fees", np.float64),
        ("entry_state", np.int8),  # of the pending market entry
        ("entry_size", np.float64),
        ("entry_price", np.float64),
        ("entry_fees", np.float64),
    ],
    align=True,
)


class OutcomeState(IntEnum):
    """What became of a pending market order at a real venue (:data:`venue_outcome_dt`)."""

    NONE = 0  # no outcome reported: the order stays pending
    FILLED = 1  # executed: the size, price and fees are the venue's
    REFUSED = 2  # refused or given up: nothing executed (an entry is dropped, an exit re-decided)


_MASK = (1 << 64) - 1


def _mix(x: int) -> int:
    """splitmix64's finaliser: a bijection of 64-bit integers that scatters nearby inputs."""
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & _MASK
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK
    return x ^ (x >> 31)


def client_id(run: int, asset: int, decision_bar: int, reason: int, seq: int) -> int:
    """The deterministic client order id of an intent (an unsigned 64-bit integer).

    The same run, asset, decision bar, reason and sequence number always give the same id, so a
    runtime that restarts and decides again re-issues the ids it already sent, and the venue (or
    the journal) recognises the order instead of placing it twice.

    Parameters
    ----------
    run : int
        Identifies the strategy instance (e.g. a hash of its promoted config), 0..2**64-1.
    asset, decision_bar, reason, seq : int
        Asset column, bar index of the decision, :class:`IntentReason`, and the intent's number
        among those of the same asset, bar and reason (0 for the first). Each >= 0.

    Returns
    -------
    int
        In ``[0, 2**64)``; ``f"{id:016x}"`` is its 16-character text form for venues.

    Examples
    --------
    >>> a = client_id(1, 0, 10, IntentReason.ENTRY, 0)
    >>> a != client_id(1, 0, 11, IntentReason.ENTRY, 0)
    True
    >>> len(f"{a:016x}")
    16
    """
    h = int(run) & _MASK
    for part in (asset, decision_bar, int(reason), seq):
        if part < 0:
            raise ParameterError("client_id", f"asset, bar, reason and seq are >= 0, got {part}")
        h = _mix(h ^ _mix(int(part) + 0x9E3779B97F4A7C15 & _MASK))
    return h


def new_positions(n_assets: int) -> np.ndarray:
    """``n_assets`` flat positions (no protection, no cooldown history).

    Examples
    --------
    >>> new_positions(1)["sl_stop"].tolist()
    [nan]
    """
    out = np.zeros(n_assets, dtype=position_dt)
    for name in ("avg_entry", "sl_stop", "sl_anchor", "tp_stop", "tp_anchor", "ptp_stop"):
        out[name] = np.nan
    out["leverage"] = 1.0
    out["entry_bar"] = -1
    out["last_exit_bar"] = -1
    out["loss_level"] = -np.inf  # no level on either side; the sign flips for shorts when set
    out["gain_level"] = np.inf
    return out


def new_pendings(n_assets: int) -> np.ndarray:
    """``n_assets`` records with no pending entry or exit.

    Examples
    --------
    >>> int(new_pendings(1)["entry_type"][0])
    -1
    """
    out = np.zeros(n_assets, dtype=pending_dt)
    out["entry_type"] = -1
    for name in ("entry_bar", "active_from", "expire_bar", "exit_bar"):
        out[name] = -1
    for name in ("entry_remaining", "limit_price", "stop_price", "anchor", "exit_remaining"):
        out[name] = np.nan
    out["size_mult"] = 1.0
    return out


def new_accounts(cash: np.ndarray) -> np.ndarray:
    """One account per starting cash (quote): guards clear, normal mode.

    Examples
    --------
    >>> acc = new_accounts(np.array([100.0, 50.0]))
    >>> acc["equity"].tolist(), bool(acc["allowed"][0])
    ([100.0, 50.0], True)
    """
    cash = np.asarray(cash, dtype=np.float64)
    out = np.zeros(cash.shape[0], dtype=account_dt)
    for name in ("cash", "equity", "peak", "day_start", "day_low"):
        out[name] = cash
    out["allowed"] = True
    out["size_mult"] = 1.0
    return out


#: The fill's :class:`~soltrader.domain.enums.ExitReason` for each IntentReason that closes a
#: position (an entry's fill has reason -1).
EXIT_REASON_OF = {
    IntentReason.EXIT: ExitReason.SIGNAL,
    IntentReason.REVERSAL: ExitReason.REVERSAL,
    IntentReason.STOP_LOSS: ExitReason.STOP_LOSS,
    IntentReason.TAKE_PROFIT: ExitReason.TAKE_PROFIT,
    IntentReason.TRAILING_STOP: ExitReason.TRAILING_STOP,
    IntentReason.PARTIAL_TAKE_PROFIT: ExitReason.PARTIAL_TAKE_PROFIT,
    IntentReason.TIME_STOP: ExitReason.TIME_STOP,
    IntentReason.LIQUIDATION: ExitReason.LIQUIDATION,
    IntentReason.GUARD_FLATTEN: ExitReason.RISK_GUARD,
}


def intent_fill(
    intent: np.ndarray, side: int, size: float, price: float, fees: float
) -> np.ndarray:
    """How a real venue executed an intent, as one ``fill_dt`` record: its ``order_id`` the
    intent's client id (as int64), its asset, account and decision bar the intent's, its reason
    the exit reason of the intent's (-1 for an entry); ``size`` in base units, ``price`` in
    quote per base unit, ``fees`` in quote.

    Examples
    --------
    >>> rec = np.zeros((), dtype=intent_dt)
    >>> rec["client_id"], rec["reason"] = 7, IntentReason.EXIT
    >>> fill = intent_fill(rec, -1, 2.0, 150.0, 0.3)
    >>> int(fill["order_id"]), int(fill["side"]), float(fill["size"]), int(fill["reason"])
    (7, -1, 2.0, 0)
    """
    out = np.zeros((), dtype=fill_dt)
    out["order_id"] = np.int64(np.uint64(intent["client_id"]).view(np.int64))
    out["asset"] = intent["asset"]
    out["account"] = intent["account"]
    out["bar"] = intent["decision_bar"]
    out["side"] = side
    out["size"] = size
    out["price"] = price
    out["fees"] = fees
    out["reason"] = EXIT_REASON_OF.get(int(intent["reason"]), -1)
    return out
