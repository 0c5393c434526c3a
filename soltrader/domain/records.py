"""Record dtypes: orders, fills and trades as numpy structured arrays.

The simulator writes them, the analytics read them, and the live journal stores the same fields,
so a backtest trade and a live trade are the same thing. Times are bar indices in the simulator
(``bar``) and are mapped to timestamps by the engine; prices are in quote currency, sizes in base
units, fees in quote currency. Enum fields hold the integer values of :mod:`soltrader.domain.enums`.
"""

from __future__ import annotations

import numpy as np

#: One order: what was asked, and how it ended.
order_dt = np.dtype(
    [
        ("id", np.int64),
        ("asset", np.int32),
        ("account", np.int32),
        ("bar", np.int64),  # bar the order was decided on
        ("side", np.int8),  # Side
        ("type", np.int8),  # OrderType
        ("size", np.float64),  # requested size, base units
        ("limit_price", np.float64),  # NaN if none
        ("stop_price", np.float64),  # NaN if none
        ("status", np.int8),  # OrderStatus
        ("reject_reason", np.int8),  # RejectReason
        ("filled_size", np.float64),
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
