"""The live journal: exact round trips, bars without holes, idempotent re-commits, one spec per
journal, halts and quarantine that survive restarts, readers, and a real ``kill -9``."""

from __future__ import annotations

import os
import signal
import sqlite3
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from soltrader.domain.errors import Error, ParameterError
from soltrader.domain.records import fill_dt
from soltrader.domain.state import intent_dt
from soltrader.runtime.journal import (
    BarCommit,
    HaltState,
    Journal,
    JournalError,
    QuarantinedCandle,
    Refusal,
    bar_dt,
    equity_dt,
)

T0_MS = 1_700_000_000_000
MINUTE_MS = 60_000
NO_INTENTS = np.zeros(0, intent_dt)
NO_FILLS = np.zeros(0, fill_dt)
SPECIALS = np.array([np.nan, -0.0, np.inf, -np.inf, 5e-324, 1.7976931348623157e308])


def _intents(rng: np.random.Generator, ids: list[int], bar: int) -> np.ndarray:
    """Random intent records with the given client ids, NaN and other special prices among
    them, built field by field into zeros (padding bytes zero)."""
    n = len(ids)
    out = np.zeros(n, intent_dt)
    out["client_id"] = np.array(ids, dtype=np.uint64)
    out["decision_bar"] = bar
    out["decision_time"] = rng.integers(-1, 2**62, n)
    out["asset"] = rng.integers(0, 4, n)
    out["account"] = rng.integers(-2, 3, n)
    out["side"] = rng.choice([-1, 1], n)
    out["kind"] = rng.integers(0, 4, n)
    out["reason"] = rng.integers(0, 11, n)
    out["unit"] = rng.integers(0, 3, n)
    out["quantity"] = rng.lognormal(0.0, 2.0, n)
    for name in ("limit_price", "stop_price"):
        values = rng.normal(100.0, 30.0, n)
        special = rng.random(n) < 0.4
        values[special] = rng.choice(SPECIALS, int(special.sum()))
        out[name] = values
    out["tif"] = rng.integers(0, 50, n)
    out["reduce_only"] = rng.random(n) < 0.5
    out["post_only"] = rng.random(n) < 0.5
    out["replaces"] = rng.integers(0, 2**64, n, dtype=np.uint64)
    return out


def _fills(rng: np.random.Generator, n: int, bar: int) -> np.ndarray:
    """Random fill records executed on ``bar``."""
    out = np.zeros(n, fill_dt)
    out["order_id"] = rng.integers(0, 2**62, n)
    out["asset"] = rng.integers(0, 4, n)
    out["account"] = rng.integers(0, 3, n)
    out["bar"] = bar
    out["side"] = rng.choice([-1, 1], n)
    out["size"] = rng.lognormal(0.0, 1.0, n)
    out["price"] = rng.normal(100.0, 10.0, n)
    out["fees"] = rng.random(n) * 0.1
    out["reason"] = rng.integers(-1, 8, n)
    return out


def _bar(bar: int, intents: np.ndarray = NO_INTENTS, fills: np.ndarray = NO_FILLS) -> BarCommit:
    """A plain bar opening ``bar`` minutes after T0."""
    close = 100.0 + bar
    return BarCommit(
        bar, T0_MS + bar * MINUTE_MS, close - 1, close + 2, close - 2, close, 10.0, 0,
        intents, fills, 1_000.0, 1_000.0 + bar, 0.5,
    )  # fmt: skip


def _zero_padded(parts: list[np.ndarray], dtype: np.dtype) -> np.ndarray:
    """The records of ``parts`` concatenated, copied field by field into zeros."""
    joined = np.concatenate(parts) if parts else np.zeros(0, dtype)
    out = np.zeros(len(joined), dtype)
    for name in dtype.names:
        out[name] = joined[name]
    return out


# --------------------------------------------------------------------------- round trip


def test_two_hundred_bars_round_trip_bit_for_bit(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    ids = rng.permutation(np.unique(rng.integers(0, 2**64, 700, dtype=np.uint64))).tolist()
    ids[:3] = [2**63, 2**64 - 1, 2**63 - 1]  # around the signed int64 limit
    recs, bars = [], np.zeros(200, bar_dt)
    for b in range(200):
        n_int, n_fill = int(rng.integers(0, 4)), int(rng.integers(0, 3))
        candle = rng.normal(100.0, 5.0, 5)
        if b % 17 == 0:
            candle[rng.integers(0, 5)] = rng.choice(SPECIALS)
        equity = np.nan if b == 50 else float(rng.normal(1_000.0, 50.0))
        rec = BarCommit(
            b, T0_MS + b * MINUTE_MS + int(rng.integers(0, 1000)), *candle.tolist(),
            int(rng.integers(0, 4)), _intents(rng, [ids.pop() for _ in range(n_int)], b),
            _fills(rng, n_fill, b), float(rng.normal(500.0, 50.0)), equity,
            -0.0 if b == 3 else float(rng.normal()),
        )  # fmt: skip
        bars[b] = (b, rec.open_time_ms, *candle.tolist(), rec.control)
        recs.append(rec)
    path = tmp_path / "deep" / "er" / "journal.sqlite"
    with Journal(path) as journal:
        assert all(journal.commit_bar(rec) for rec in recs)
    with Journal(path, read_only=True) as journal:
        assert journal.bars().tobytes() == bars.tobytes()
        expected = _zero_padded([r.intents for r in recs], intent_dt)
        got = journal.intents()
        assert len(got) == len(expected) > 250
        assert got.tobytes() == expected.tobytes()
        assert journal.fills().tobytes() == _zero_padded([r.fills for r in recs], fill_dt).tobytes()
        equity = journal.equity()
        assert equity.dtype == equity_dt
        assert equity["bar"].tolist() == list(range(200))
        for name in ("cash", "equity", "position"):
            want = np.array([getattr(r, name) for r in recs])
            assert equity[name].tobytes() == want.tobytes()
        peak = np.fmax.accumulate(np.array([r.equity for r in recs]))
        assert equity["peak"].tobytes() == peak.tobytes()
        assert np.signbit(equity["position"][3])


# --------------------------------------------------------------------------- bar order


def test_a_hole_or_an_open_time_not_after_the_last_is_refused(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        with pytest.raises(JournalError, match="bar 1 would leave a hole after an empty journal"):
            journal.commit_bar(_bar(1))
        for b in range(4):
            journal.commit_bar(_bar(b))
        with pytest.raises(JournalError, match=r"bar 5 would leave a hole after bar 3 .* 4\)"):
            journal.commit_bar(_bar(5))
        same_time = _bar(4)._replace(open_time_ms=T0_MS + 3 * MINUTE_MS)
        with pytest.raises(JournalError, match=r"bar 4 opens at .* not after bar 3"):
            journal.commit_bar(same_time)
        with pytest.raises(JournalError, match="bar 4 opens"):
            journal.commit_bar(same_time._replace(open_time_ms=T0_MS))
        assert journal.last_bar() == 3
        assert journal.commit_bar(_bar(4))
        assert str(tmp_path / "j.sqlite") in _message(journal.commit_bar, _bar(9))


def _message(call: Callable[..., object], *args: object) -> str:
    """The text of the JournalError ``call(*args)`` raises."""
    with pytest.raises(JournalError) as info:
        call(*args)
    return str(info.value)


def test_an_identical_recommit_is_a_no_op_and_a_different_one_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rec = _bar(0, _intents(rng, [2**63 + 5, 9], 0), _fills(rng, 2, 0))
    with Journal(tmp_path / "j.sqlite") as journal:
        assert journal.commit_bar(rec) is True
        assert journal.commit_bar(rec._replace(intents=rec.intents.copy())) is False
        status = journal.status()
        assert (status.bars, status.intents, status.fills) == (1, 2, 2)
        other_fill = rec.fills.copy()
        other_fill["price"][1] += 1e-9
        other_intent = rec.intents.copy()
        other_intent["stop_price"][0] = -0.5
        changes = {
            "close": rec._replace(close=rec.close + 1e-12),
            "control": rec._replace(control=3),
            "open_time_ms": rec._replace(open_time_ms=rec.open_time_ms + 1),
            "equity": rec._replace(equity=rec.equity * 2),
            "fills": rec._replace(fills=other_fill),
            "intent 8000000000000005: stop_price": rec._replace(intents=other_intent),
            "intent 0000000000000063, not journaled with it": rec._replace(
                intents=_intents(rng, [0x63], 0)
            ),
        }
        for what, changed in changes.items():
            with pytest.raises(
                JournalError, match=rf"bar 0 is already journaled .*differing: {what}\)"
            ):
                journal.commit_bar(changed)
        assert journal.status()[:3] == status[:3]
        assert (journal.status().intents, journal.status().fills) == (2, 2)


def test_a_client_id_names_one_order(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    first = _intents(rng, [2**64 - 1, 17], 0)
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.record_intents(0, first)  # before sending
        journal.record_intents(0, first)  # a retry after a crash: no-op
        assert journal.commit_bar(_bar(0, first))  # matched, not doubled
        assert journal.intents().tobytes() == first.tobytes()
        clash = first[:1].copy()
        clash["quantity"] += 1.0
        later = np.concatenate([_intents(rng, [99], 1), clash])
        with pytest.raises(
            JournalError, match=r"client id ffffffffffffffff \(bar 1\) .*differing: bar, quantity\)"
        ):
            journal.commit_bar(_bar(1, later))
        with pytest.raises(JournalError, match="client id ffffffffffffffff"):
            journal.record_intents(1, later)
        moved = first[1:].copy()
        with pytest.raises(
            JournalError, match=r"client id 0000000000000011 \(bar 1\) .*differing: bar\)"
        ):
            journal.record_intents(1, moved)  # the same intent under another bar
        # nothing of the refused transactions stays
        assert journal.last_bar() == 0
        assert journal.intents()["client_id"].tolist() == [2**64 - 1, 17]


def test_arguments_are_checked(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        bad = [
            ("rec", (1, 2, 3)),
            ("rec.intents", _bar(0)._replace(intents=np.zeros(1, fill_dt))),
            ("rec.fills", _bar(0)._replace(fills=[])),
            ("rec.bar", _bar(0)._replace(bar=-1)),
            ("rec.bar", _bar(0)._replace(bar=0.0)),
            ("rec.open_time_ms", _bar(0)._replace(open_time_ms=True)),
            ("rec.close", _bar(0)._replace(close="1.0")),
        ]
        for name, rec in bad:
            with pytest.raises(ParameterError, match=f"^{name}:"):
                journal.commit_bar(rec)  # type: ignore[arg-type]
        with pytest.raises(ParameterError, match=r"^intents:"):
            journal.record_intents(0, np.zeros((1, 1), intent_dt))
        with pytest.raises(ParameterError, match=r"^key:.*reserved"):
            journal.set_meta("identity", "x")
        with pytest.raises(ParameterError, match=r"^synchronous:"):
            Journal(tmp_path / "k.sqlite", synchronous="OFF")
        assert journal.last_bar() == -1
        assert journal.commit_bar(_bar(0)._replace(bar=np.int64(0)))


# --------------------------------------------------------------------------- identity, halts


def test_a_journal_belongs_to_one_spec(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        journal.bind("spec:aaa")
        journal.bind("spec:aaa")
        journal.commit_bar(_bar(0))
        journal.set_meta("venue", "paper")
    with Journal(path) as journal:
        journal.bind("spec:aaa")
        with pytest.raises(JournalError, match=r"belongs to another spec .*'spec:aaa'"):
            journal.bind("spec:bbb")
        assert journal.meta() == {"identity": "spec:aaa", "schema_version": "1", "venue": "paper"}
    with Journal(tmp_path / "unbound.sqlite") as journal:
        journal.commit_bar(_bar(0))
        with pytest.raises(JournalError, match="1 bars journaled without an identity"):
            journal.bind("spec:aaa")


def test_a_halt_survives_restarts_until_resumed(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        assert journal.halted() is None
        journal.halt("drawdown 20% > 15%", T0_MS)
        journal.halt("operator", T0_MS + 1)
    with Journal(path) as journal:
        assert journal.halted() == HaltState("drawdown 20% > 15%", T0_MS)
        assert journal.status().halted == journal.halted()
        journal.resume()
    with Journal(path, read_only=True) as journal:
        assert journal.halted() is None
        assert journal.status().halted is None


def test_a_candle_is_quarantined_once_per_reason(tmp_path: Path) -> None:
    bad = QuarantinedCandle(T0_MS, "high_below_low", "high", "high 98 < low 99", 100.0, 98.0,
                            99.0, np.nan, -0.0)  # fmt: skip
    with Journal(tmp_path / "j.sqlite") as journal:
        assert journal.quarantine(bad) is True
        assert journal.quarantine(bad) is False
        assert journal.quarantine(bad._replace(message="again")) is False
        assert journal.quarantine(bad._replace(code="nan_close", field=None)) is True
        assert journal.quarantine(bad._replace(open_time_ms=T0_MS - MINUTE_MS)) is True
        got = journal.quarantined()
        assert [(c.open_time_ms, c.code) for c in got] == [
            (T0_MS - MINUTE_MS, "high_below_low"),
            (T0_MS, "high_below_low"),
            (T0_MS, "nan_close"),
        ]
        assert got[1][:4] == bad[:4] and got[2].field is None
        assert np.isnan(got[1].close) and np.signbit(got[1].volume)
        assert journal.status().quarantined == 3


# --------------------------------------------------------------------------- files, readers


def test_a_reader_sees_committed_bars_and_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    missing = tmp_path / "nope" / "j.sqlite"
    with pytest.raises(JournalError, match=f"{missing} does not exist"):
        Journal(missing, read_only=True)
    assert not missing.parent.exists()
    with Journal(path) as writer:
        writer.commit_bar(_bar(0))
        with Journal(path, read_only=True) as reader:
            assert reader.read_only and reader.last_bar() == 0
            writer.commit_bar(_bar(1, fills=_fills(np.random.default_rng(3), 1, 1)))
            status = reader.status()  # the writer stays open: WAL readers see its commits
            assert (status.bars, status.last_bar, status.fills) == (2, 1, 1)
            assert status.last_open_time_ms == T0_MS + MINUTE_MS
            assert (status.cash, status.equity, status.position) == (1_000.0, 1_001.0, 0.5)
            assert status.peak_equity == 1_001.0
            # Writes are refused by the journal, before SQLite is asked.
            writes = [
                lambda: reader.commit_bar(_bar(2)),
                lambda: reader.record_intents(2, NO_INTENTS),
                lambda: reader.bind("spec"),
                lambda: reader.set_meta("k", "v"),
                lambda: reader.halt("x", 0),
                reader.resume,
                lambda: reader.quarantine(QuarantinedCandle(0, "c", None, "m", *[1.0] * 5)),
            ]
            for write in writes:
                with pytest.raises(JournalError, match="is open read-only"):
                    write()
            # and SQLite's own read-only connection refuses them too.
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                reader._conn.execute("DELETE FROM bars")  # type: ignore[union-attr]
        assert writer.last_bar() == 1


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path):
        with pytest.raises(JournalError, match="already open for writing"):
            Journal(path)
        Journal(path, read_only=True).close()  # readers are welcome
    with Journal(path) as again:  # released on close
        assert again.last_bar() == -1


def test_foreign_files_and_closed_journals_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    before = other.read_bytes()
    with pytest.raises(JournalError, match="not a soltrader journal"):
        Journal(other)
    assert other.read_bytes() == before  # not switched to WAL, no table added
    text = tmp_path / "text.sqlite"
    text.write_text("definitely not a database, but long enough to have a header " * 4)
    with pytest.raises(JournalError, match=f"journal {text}: DatabaseError"):
        Journal(text)
    journal = Journal(tmp_path / "j.sqlite")
    journal.close()
    with pytest.raises(JournalError, match="is closed"):
        journal.status()
    assert issubclass(JournalError, Error) and "closed" in repr(journal)


def test_synchronous_reports_the_mode_in_force(tmp_path: Path) -> None:
    with Journal(tmp_path / "a.sqlite") as journal:
        assert journal.synchronous == "NORMAL"
    with Journal(tmp_path / "b.sqlite", synchronous="FULL") as journal:
        assert journal.synchronous == "FULL"
        assert journal.integrity_check() == "ok"
    with Journal(tmp_path / "b.sqlite", synchronous="extra") as journal:
        assert journal.synchronous == "EXTRA"


# --------------------------------------------------------------------------- kill -9

CHILD = textwrap.dedent(
    """
    import os, struct, sys
    import numpy as np
    from soltrader.domain.records import fill_dt
    from soltrader.domain.state import intent_dt
    from soltrader.runtime.journal import BarCommit, Journal

    journal = Journal(sys.argv[1])
    every = int(sys.argv[3])  # checkpoint every this many bars (0: SQLite's automatic ones)
    if every:
        journal.autocheckpoint = 0  # only the checkpoints below
    ack = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT, 0o600)
    bar = journal.last_bar() + 1
    print(bar, flush=True)
    while True:
        n = bar % 3
        intents = np.zeros(n, intent_dt)
        intents["client_id"] = [(1 << 63) | (bar << 2) | k for k in range(n)]
        intents["decision_bar"] = bar
        intents["quantity"] = 1.0 + bar
        intents["limit_price"] = np.nan
        fills = np.zeros(bar % 2, fill_dt)
        fills["order_id"] = bar
        fills["bar"] = bar
        journal.commit_bar(BarCommit(bar, 60_000 * bar, 1.0, 2.0, 0.5, 1.5, 10.0, 0, intents,
                                     fills, 100.0, 100.0 + bar, 0.0))
        os.pwrite(ack, struct.pack("<q", bar), 0)  # acknowledged: must survive the kill
        if every and bar % every == 0:
            journal.checkpoint()
        bar += 1
    """
)


def _run_and_kill(path: Path, ack: Path, run_s: float, checkpoint_every: int = 0) -> int:
    """Start a child committing bars as fast as it can (checkpointing the journal every
    ``checkpoint_every`` bars when it is not 0), SIGKILL it after ``run_s`` seconds of
    committing; returns the bar it started from."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(ack), str(checkpoint_every)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()  # type: ignore[union-attr]
        assert line, child.stderr.read()  # type: ignore[union-attr]
        time.sleep(run_s)
        assert child.poll() is None, child.stderr.read()  # type: ignore[union-attr]
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    return int(line)


def _check_after_kill(path: Path, ack: Path, start: int) -> int:
    """The journal is sound and whole after a kill; returns its last bar."""
    with Journal(path, read_only=True) as reader:  # a status command right after the crash
        assert reader.integrity_check() == "ok"
        last = reader.last_bar()
    acked = struct.unpack("<q", ack.read_bytes()[:8])[0]
    assert start <= acked <= last <= acked + 1  # every acknowledged commit survived
    with Journal(path) as journal:  # the restart
        assert journal.integrity_check() == "ok"
        assert journal.bars()["bar"].tolist() == list(range(last + 1))
        ids = [(1 << 63) | (b << 2) | k for b in range(last + 1) for k in range(b % 3)]
        intents = journal.intents()
        assert intents["client_id"].tolist() == ids  # each bar's intents, exactly once
        assert len(intents) == sum(b % 3 for b in range(last + 1))
        assert intents["decision_bar"].tolist() == [
            b for b in range(last + 1) for _ in range(b % 3)
        ]
        assert journal.fills()["order_id"].tolist() == list(range(1, last + 1, 2))
        assert journal.equity()["equity"][-1] == 100.0 + last
    return last


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_kill_minus_9_loses_no_acknowledged_bar_and_leaves_no_partial_one(tmp_path: Path) -> None:
    path, ack = tmp_path / "live" / "journal.sqlite", tmp_path / "ack"
    last = -1
    for _ in range(5):
        start = _run_and_kill(path, ack, 0.5)
        assert start == last + 1  # each restart continues from last_bar() + 1
        new_last = _check_after_kill(path, ack, start)
        assert new_last > last + 10, "the child committed (almost) nothing"
        last = new_last
    assert os.path.exists(path)


# --------------------------------------------------------------------------- real venues


def test_a_real_venues_fills_and_refusals_are_keyed_and_read_back(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    fills = _fills(rng, 2, 1)
    fills["order_id"] = np.array([2**64 - 5, 9], dtype=np.uint64).view(np.int64)
    refused = (Refusal(2**63 + 1, "intent 8000000000000001: slippage exceeded"),)
    with Journal(tmp_path / "journal.sqlite") as journal:
        journal.commit_bar(_bar(0))
        rec = _bar(1, fills=fills)._replace(venue="solana", trade_ids=("5sigA", "5sigB"),
                                            refused=refused)  # fmt: skip
        assert journal.commit_bar(rec) and not journal.commit_bar(rec)  # a re-commit: no-op
        with pytest.raises(JournalError, match="refusals"):
            journal.commit_bar(rec._replace(refused=()))
        with pytest.raises(JournalError):  # a signature is unique per venue and order
            journal.commit_bar(
                _bar(2, fills=fills)._replace(venue="solana", trade_ids=("5sigA", "5sigB"))
            )
        with pytest.raises(ParameterError, match="one per fill"):
            journal.commit_bar(_bar(2, fills=fills)._replace(trade_ids=("5sigC",)))
        done = journal.committed_fills()
    assert done.trade_id == ("5sigA", "5sigB") and done.venue == ("solana", "solana")
    assert done.commit_bar.tolist() == [1, 1]
    assert done.fills.tobytes() == fills.tobytes()
    with Journal(tmp_path / "journal.sqlite", read_only=True) as reader:
        assert reader.refusals() == [refused[0]._replace(bar=1)]
