"""Integer codes of the risk layer: control modes and decision reasons.

``IntEnum`` so that numba kernels and record arrays can carry their plain integer values (the
per-bar ``reason`` of :func:`soltrader.risk.nb.guard_path_nb` is a :class:`RiskReason` value).
"""

from __future__ import annotations

from enum import IntEnum


class ControlMode(IntEnum):
    """How the operator (or the runtime's guard) lets a strategy trade.

    ``NORMAL``: all guards apply. ``PAUSE``: no new entries, exits allowed. ``REDUCE``: entries
    allowed at ``RiskLimits.reduce_multiplier`` of their size. ``EMERGENCY``: no entries and
    flatten everything.

    Examples
    --------
    >>> ControlMode.PAUSE.value
    1
    """

    NORMAL = 0
    PAUSE = 1
    REDUCE = 2
    EMERGENCY = 3


class RiskReason(IntEnum):
    """Why a decision is what it is (``OK`` when nothing restricted it).

    ``SOFT_DRAWDOWN`` and ``REDUCE_MODE`` come with an allowed, scaled-down decision; every other
    code but ``OK`` with a rejection.

    Examples
    --------
    >>> RiskReason(5).name
    'HARD_DRAWDOWN'
    """

    OK = 0
    SOFT_DRAWDOWN = 1
    REDUCE_MODE = 2
    PAUSED = 3
    EMERGENCY = 4
    HARD_DRAWDOWN = 5
    DAILY_LOSS = 6
    MAX_POSITIONS = 7
    CONCENTRATION = 8
    CORRELATION = 9
    HEAT = 10
    NO_EQUITY = 11
