"""The named state records of ``soltrader.domain.state`` and the ports of ``domain.ports``."""

from __future__ import annotations

import inspect
import itertools

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs

import soltrader as st
from soltrader.domain import ports, signals, state
from soltrader.domain.errors import ParameterError
from soltrader.sim import _nb, lean, state_view

KERNEL_SLOTS = state_view.SLOTS
_SCRATCH = state_view.SCRATCH
_DTYPES = {"position": state.position_dt, "pending": state.pending_dt, "account": state.account_dt}


def test_every_kernel_state_slot_has_a_named_field() -> None:
    slots = {
        name
        for name in dir(_nb)
        if name[:2] in ("F_", "J_", "G_") and name.isupper() and name not in _SCRATCH
    }
    assert slots == set(KERNEL_SLOTS)
    for record, field in KERNEL_SLOTS.values():
        assert field in _DTYPES[record].names, (record, field)


@numba.njit(cache=False)
def _open_and_arm(pos, acc, j, qty, price, fee, stop):
    """What a kernel does with the records: named fields, read and written in place."""
    p = pos[j]
    p.qty = qty
    p.avg_entry = price
    p.entry_fees = fee
    p.margin = abs(qty) * price
    p.sl_stop = stop
    p.sl_anchor = price
    p.loss_level = price * (1.0 - stop)
    p.trailing = True
    acc[0].cash -= abs(qty) * price + fee
    return p.loss_level


def test_records_are_read_and_written_by_name_inside_numba() -> None:
    pos = state.new_positions(2)
    acc = state.new_accounts(np.array([1_000.0]))
    level = _open_and_arm(pos, acc, 1, 2.0, 100.0, 0.2, 0.05)
    assert level == pytest.approx(95.0)
    assert pos["qty"].tolist() == [0.0, 2.0]
    assert bool(pos["trailing"][1]) and not bool(pos["trailing"][0])
    assert acc["cash"][0] == pytest.approx(1_000.0 - 200.2)


def test_new_records_start_unset() -> None:
    pos = state.new_positions(3)
    assert (pos["qty"] == 0).all() and np.isnan(pos["sl_stop"]).all()
    assert (pos["entry_bar"] == -1).all() and (pos["leverage"] == 1.0).all()
    pend = state.new_pendings(3)
    assert (pend["entry_type"] == -1).all() and np.isnan(pend["exit_remaining"]).all()
    acc = state.new_accounts(np.array([10.0, 20.0]))
    assert acc["peak"].tolist() == [10.0, 20.0] and acc["allowed"].all()
    assert (acc["control"] == state.ControlMode.NORMAL).all()


def test_intent_carries_what_a_venue_needs() -> None:
    names = set(state.intent_dt.names)
    assert {
        "client_id", "decision_bar", "decision_time", "asset", "side", "kind", "reason",
        "quantity", "unit", "limit_price", "stop_price", "tif", "reduce_only", "post_only",
    } <= names  # fmt: skip
    assert {r.name for r in state.IntentReason} >= {
        "ENTRY", "EXIT", "REVERSAL", "STOP_LOSS", "TAKE_PROFIT", "TRAILING_STOP",
        "PARTIAL_TAKE_PROFIT", "TIME_STOP", "LIQUIDATION", "GUARD_FLATTEN", "CANCEL",
    }  # fmt: skip


@given(
    run=hs.integers(0, 2**64 - 1),
    asset=hs.integers(0, 10_000),
    bar=hs.integers(0, 10**9),
    reason=hs.sampled_from(list(state.IntentReason)),
    seq=hs.integers(0, 100),
)
def test_client_id_is_deterministic_and_64_bit(run, asset, bar, reason, seq) -> None:
    a = state.client_id(run, asset, bar, reason, seq)
    assert a == state.client_id(run, asset, bar, reason, seq)
    assert 0 <= a < 2**64
    assert a != state.client_id(run, asset, bar + 1, reason, seq)
    assert a != state.client_id(run ^ 1, asset, bar, reason, seq)


def test_client_ids_do_not_collide_over_a_run() -> None:
    keys = itertools.product(range(4), range(2_000), range(len(state.IntentReason)), range(2))
    ids = [state.client_id(42, *k) for k in keys]
    assert len(set(ids)) == len(ids)


def test_client_id_refuses_negative_parts() -> None:
    with pytest.raises(ParameterError, match="client_id"):
        state.client_id(1, -1, 0, 0, 0)


def test_ports_are_structural() -> None:
    class Clock:
        def now_ns(self) -> int:
            return 0

    class NotAVenue:
        async def submit(self, intent) -> None:
            return None

    assert isinstance(Clock(), ports.Clock)
    assert not isinstance(NotAVenue(), ports.Venue)


def test_bars_and_signals_live_in_the_domain() -> None:
    assert st.strategies.Bars is signals.Bars
    assert st.strategies.Signals is signals.Signals


def test_kernel_arguments_are_named_in_the_kernels_order() -> None:
    """``SimArgs`` is ``simulate_nb``'s parameter list, and the sweep's per-bar configuration
    names a contiguous run of it: an input added to the kernel cannot shift another."""
    names = tuple(inspect.signature(_nb.simulate_nb.py_func).parameters)
    assert _nb.SimArgs._fields == names
    start = names.index(lean.PER_BAR[0])
    assert names[start : start + len(lean.PER_BAR)] == lean.PER_BAR
    assert lean.N_PARAMS == len(lean.PER_BAR)


def test_the_state_of_a_replay_reads_by_name(sol_1h) -> None:
    """The state a paper replay ends with, as records: its open position and its stop."""
    bars = sol_1h.iloc[-800:]
    kw = {"fast": 10, "slow": 50, "sl_stop": 0.05, "fees": 0.001}
    res = st.paper_replay(bars, st.strategies.sma_cross, **kw)
    rec = res.final_state
    assert rec.positions.dtype == state.position_dt and rec.accounts.dtype == state.account_dt
    qty = float(rec.positions["qty"][0])
    assert qty == float(res.positions.iloc[-1, 0])
    assert rec.accounts["cash"][0] == res.account_cash.iloc[-1, 0]
    assert rec.accounts["equity"][0] == res.account_equity.iloc[-1, 0]
    if qty != 0.0:
        assert rec.positions["sl_stop"][0] == 0.05 and not rec.positions["trailing"][0]
    assert rec.positions["last_exit_bar"][0] >= -1
