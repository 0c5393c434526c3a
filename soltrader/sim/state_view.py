"""The simulator's state as the named records of :mod:`soltrader.domain.state`.

The kernel keeps its per-asset and per-account state in unnamed matrices (``fs[j, F_*]``,
``js[j, J_*]``, ``guard[a, G_*]``) because that is what it runs fastest on; :data:`SLOTS` names
every slot, and :func:`state_records` gives a :class:`~soltrader.sim._nb.SimState` as
``position_dt``, ``pending_dt`` and ``account_dt`` arrays, the form a live journal stores and a
person reads. A test checks that every slot of the kernel has its field here.

Examples
--------
>>> import numpy as np
>>> from soltrader.sim import _nb
>>> icfg = np.zeros(_nb.N_ICFG, dtype=np.int64)
>>> state = _nb.SimState(*_nb.new_state_nb(10, 2, np.array([1_000.0]), False, icfg))
>>> rec = state_records(state)
>>> rec.positions["qty"].tolist(), rec.accounts["cash"].tolist()
([0.0, 0.0], [1000.0])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from soltrader.domain.state import account_dt, pending_dt, position_dt
from soltrader.sim import _nb

#: Every slot of the kernel's state matrices and the record field that names it (the call
#: order's scratch slots ``F_CALL_KEY`` and ``J_CALL_SEQ`` excepted).
SLOTS: dict[str, tuple[str, str]] = {
    "F_POS": ("position", "qty"),
    "F_E_PRICE": ("position", "avg_entry"),
    "F_E_FEES": ("position", "entry_fees"),
    "F_MARGIN": ("position", "margin"),
    "F_SL_BASE": ("position", "sl_anchor"),
    "F_SL": ("position", "sl_stop"),
    "F_TP_BASE": ("position", "tp_anchor"),
    "F_TP": ("position", "tp_stop"),
    "F_TRAIL": ("position", "trailing"),
    "F_PTP": ("position", "ptp_stop"),
    "F_PTP_SIZE": ("position", "ptp_size"),
    "F_SIZE0": ("position", "initial_qty"),
    "F_PE_REMAIN": ("pending", "entry_remaining"),
    "F_PE_LIMIT": ("pending", "limit_price"),
    "F_PE_STOP": ("pending", "stop_price"),
    "F_PE_ANCHOR": ("pending", "anchor"),
    "F_PX_REMAIN": ("pending", "exit_remaining"),
    "F_LOSS_LEVEL": ("position", "loss_level"),
    "F_GAIN_LEVEL": ("position", "gain_level"),
    "F_PE_MULT": ("pending", "size_mult"),
    "F_LEV": ("position", "leverage"),
    "J_E_BAR": ("position", "entry_bar"),
    "J_ARMED_FROM": ("position", "armed_from"),
    "J_PE_TYPE": ("pending", "entry_type"),
    "J_PE_DIR": ("pending", "entry_dir"),
    "J_PE_BAR": ("pending", "entry_bar"),
    "J_PE_EXPIRE": ("pending", "expire_bar"),
    "J_PE_TAKER_OPEN": ("pending", "taker_on_place"),
    "J_PX_REASON": ("pending", "exit_reason"),
    "J_LAST_EXIT_BAR": ("position", "last_exit_bar"),
    "J_LAST_EXIT_DIR": ("position", "last_exit_dir"),
    "J_PTP_DONE": ("position", "ptp_done"),
    "J_MAX_BARS": ("position", "max_bars"),
    "J_PE_ACTIVE": ("pending", "active_from"),
    "J_PX_BAR": ("pending", "exit_bar"),
    "G_PEAK": ("account", "peak"),
    "G_DAY_START": ("account", "day_start"),
    "G_DAY_LOW": ("account", "day_low"),
    "G_HALTED": ("account", "halted"),
    "G_ALLOWED": ("account", "allowed"),
    "G_MULT": ("account", "size_mult"),
    "G_REASON": ("account", "halt_reason"),
    "G_EQUITY": ("account", "equity"),
    "G_CONTROL": ("account", "control"),
    "G_FLATTEN": ("account", "flatten"),
    "G_RUINED": ("account", "ruined"),
}
SCRATCH = frozenset({"F_CALL_KEY", "J_CALL_SEQ"})
_NEVER = -(2**40)  # the kernel's "no exit yet" bar (far enough back for any cooldown)


class StateRecords(NamedTuple):
    """The simulator's state by name: one ``position_dt`` and one ``pending_dt`` record per asset,
    one ``account_dt`` record per account."""

    positions: np.ndarray
    pendings: np.ndarray
    accounts: np.ndarray


def _field_value(name: str, column: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A kernel column as the record field's type (flags and trailing distances as booleans,
    the kernel's far-past "never" bar as -1)."""
    if dtype.kind == "b":
        return column != 0
    if name == "J_LAST_EXIT_BAR":
        return np.where(column == _NEVER, -1, column)
    return column.astype(dtype)


def state_records(state: _nb.SimState, equity: np.ndarray | None = None) -> StateRecords:
    """The kernel state ``state`` as named records (copies: the kernel may go on).

    Parameters
    ----------
    state : SimState
        What :func:`soltrader.sim._nb.new_state_nb` built and the step functions advanced.
    equity : ndarray (a,), optional
        Each account's value at the last close (quote; the last row of the kernel's
        ``equity_out``). The kernel itself keeps it only while the account guards are on.

    Returns
    -------
    StateRecords
        Positions and pending orders per asset, accounts (with their cash) per account.
    """
    m, n_acc = state.fs.shape[0], state.guard.shape[0]
    out = {
        "position": np.zeros(m, dtype=position_dt),
        "pending": np.zeros(m, dtype=pending_dt),
        "account": np.zeros(n_acc, dtype=account_dt),
    }
    for slot, (record, field) in SLOTS.items():
        matrix = {"F": state.fs, "J": state.js, "G": state.guard}[slot[0]]
        target = out[record]
        target[field] = _field_value(slot, matrix[:, getattr(_nb, slot)], target.dtype[field])
    out["account"]["cash"] = state.cash
    if equity is not None:
        out["account"]["equity"] = equity
    return StateRecords(out["position"], out["pending"], out["account"])


__all__ = ["SLOTS", "StateRecords", "state_records"]
