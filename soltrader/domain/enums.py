"""Integer enums shared by the simulator, the analytics and the live journal.

They are ``IntEnum`` so numba kernels can use their plain integer values and record arrays can
store them in small integer fields.
"""

from __future__ import annotations

from enum import IntEnum


class Side(IntEnum):
    """Order side."""

    BUY = 1
    SELL = -1


class Direction(IntEnum):
    """Direction of a position or trade."""

    LONG = 1
    SHORT = -1


class OrderType(IntEnum):
    """How an order executes."""

    MARKET = 0
    LIMIT = 1
    STOP = 2
    STOP_LIMIT = 3


class OrderStatus(IntEnum):
    """Final state of an order."""

    FILLED = 0
    PARTIAL = 1
    REJECTED = 2
    CANCELLED = 3
    EXPIRED = 4


class ExitReason(IntEnum):
    """Why a position (or part of it) was closed."""

    SIGNAL = 0
    STOP_LOSS = 1
    TAKE_PROFIT = 2
    TRAILING_STOP = 3
    TIME_STOP = 4
    LIQUIDATION = 5
    PARTIAL_TAKE_PROFIT = 6
    REVERSAL = 7
    END_OF_DATA = 8
    RISK_GUARD = 9
    WINDOW_END = 10  # walk-forward: a position open when its test window ends, closed there


class RejectReason(IntEnum):
    """Why an order was rejected (``NONE`` when it was not)."""

    NONE = 0
    INSUFFICIENT_CASH = 1
    BELOW_MIN_SIZE = 2
    POST_ONLY_WOULD_TAKE = 3
    REDUCE_ONLY_NO_POSITION = 4
    TX_FAILED = 5
    POSITION_LIMIT = 6
    COOLDOWN = 7
    RISK_LIMIT = 8
    CONCENTRATION = 9
    HEAT = 10
    CORRELATION = 11
    RUINED = 12  # the account is flat and its cash cannot pay for the smallest order (once)
