"""Record dtypes: orders, fills and trades as numpy structured arrays.

The simulator writes them, the analytics read them, and the live journal stores the same fields,
so a backtest trade and a live trade are the same thing. Times are bar indices in the simulator
and are mapped to timestamps by the engine; prices are in quote currency, sizes in base units, fees
in quote currency. Enum fields hold the integer values of :mod:`soltrader.domain.enums`.

An order carries two bars. ``decision_bar`` is the bar whose close decided it (a protective exit
-- stop-loss, take-profit, trailing stop, partial take-profit, liquidation -- is decided by the
price reaching its level, so its decision bar is the bar that reached it). ``exec_bar`` is the bar
on which it ended: where it filled (each chunk of a volume-capped fill is an order record of its
own), or where it was rejected (at execution: cash, minimum size, failed transaction; at its
decision: the account guards, ``post_only``, a ruined account), cancelled (the bar whose close
withdrew it) or expired (the first bar on which it may no longer fill). With
``fill="next_open"`` a market order decided at bar t executes at t + 1; resting limit and stop
orders execute on the bar that reaches them.

``requested_size`` is what the order asked for in base units: the amount of an ``amount`` order,
the units the budget of a ``percent`` / ``value`` order buys at the execution price, the position
an exit closes; NaN for an order refused or withdrawn before it was sized. ``filled_size`` is what
executed; status ``partial`` means ``0 < filled_size < requested_size`` (the rest stays pending
under a volume cap; a cash-limited fill with ``allow_partial`` drops it).
"""

from __future__ import annotations

import numpy as np

#: One order: what was asked, and how it ended.
order_dt = np.dtype(
    [
        ("id", np.int64),
        ("asset", np.int32),
        ("account", np.int32),
        ("decision_bar", np.int64),  # bar whose close (or price, for protective orders) decided it
        ("exec_bar", np.int64),  # bar it filled, was rejected, cancelled or expired on
        ("side", np.int8),  # Side
        ("type", np.int8),  # OrderType
        ("requested_size", np.float64),  # base units asked for; NaN if never sized
        ("limit_price", np.float64),  # NaN if none
        ("stop_price", np.float64),  # NaN if none
        ("status", np.int8),  # OrderStatus
        ("reject_reason", np.int8),  # RejectReason
        ("filled_size", np.float64),  # base units executed
        ("avg_price", np.float64),  # NaN if nothing filled
        ("fees", np.float64),
    ],
    align=True,
)

#: One execution of (part of) an order.
fill_dt = np.dtype(
    [
        ("order_id", np.int64),
        ("asset", np.int32),
        ("account", np.int32),
        ("bar", np.int64),  # bar of the execution
        ("side", np.int8),  # Side
        ("size", np.float64),  # base units, > 0
        ("price", np.float64),  # execution price after slippage / impact
        ("fees", np.float64),  # all costs charged for this fill, quote currency
        ("reason", np.int8),  # ExitReason for exits, -1 for entries
    ],
    align=True,
)

#: One round trip: a position (or a part of it) opened and closed.
trade_dt = np.dtype(
    [
        ("id", np.int64),
        ("asset", np.int32),
        ("account", np.int32),
        ("direction", np.int8),  # Direction
        ("entry_bar", np.int64),
        ("exit_bar", np.int64),  # -1 while open
        ("size", np.float64),  # base units
        ("entry_price", np.float64),
        ("exit_price", np.float64),  # mark price while open
        ("entry_fees", np.float64),
        ("exit_fees", np.float64),
        ("pnl", np.float64),  # quote currency, after fees
        ("ret", np.float64),  # pnl / (entry notional + entry fees)
        ("exit_reason", np.int8),  # ExitReason
        ("is_open", np.bool_),
    ],
    align=True,
)
