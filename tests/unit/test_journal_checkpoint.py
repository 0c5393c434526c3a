"""The journal's checkpoints, run between bars by the live runner instead of on a bar's commit.

SQLite copies its write-ahead log into the database file on the commit that takes the log past
``wal_autocheckpoint`` pages, and the first commit after a complete checkpoint flushes the
restarted log's header: milliseconds on one bar in a few hundred. The runner raises the automatic
checkpoint to a backstop and calls :meth:`Journal.checkpoint` once a bar is committed (on the
event loop, after the feed yields); these tests hold the checkpoint to its contract (everything
stays readable, a reader is never waited for, nothing is lost to ``kill -9`` in the middle of
one) and the runner to its schedule.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from soltrader.domain.bar import Bar
from soltrader.domain.errors import ParameterError
from soltrader.domain.records import fill_dt
from soltrader.domain.state import intent_dt
from soltrader.engine.live_spec import parse_live_spec
from soltrader.runtime import runner as runner_module
from soltrader.runtime.journal import BarCommit, Journal, JournalError
from soltrader.runtime.runner import AUTOCHECKPOINT_BACKSTOP, CHECKPOINT_EVERY, Runner
from tests.conftest import read_sample_bars
from tests.unit.test_runtime_journal import _check_after_kill, _run_and_kill

NO_INTENTS = np.zeros(0, intent_dt)
NO_FILLS = np.zeros(0, fill_dt)


def _bar(bar: int) -> BarCommit:
    return BarCommit(bar, 60_000 * bar, 1.0, 2.0, 0.5, 1.5, 10.0, 0, NO_INTENTS, NO_FILLS,
                     100.0, 100.0 + bar, 0.0)  # fmt: skip


def _log_frames(path: Path) -> int:
    """Frames in the write-ahead log that a new reader would read (SQLite's own count)."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        conn.close()


def test_a_checkpoint_restarts_the_log_and_keeps_every_bar(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        journal.bind("spec")
        journal.autocheckpoint = 0
        for bar in range(300):
            journal.commit_bar(_bar(bar))
        assert journal.checkpoint() is True
        journal.commit_bar(_bar(300))  # written at the start of the restarted log
        with Journal(path, read_only=True) as reader:
            assert reader.last_bar() == 300
            assert reader.equity()["equity"].tolist() == [100.0 + b for b in range(301)]
        assert journal.integrity_check() == "ok"
    assert _log_frames(path) == 0  # the last connection's close checkpointed the rest


def test_a_reader_keeps_its_pages_and_is_never_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        journal.bind("spec")
        journal.autocheckpoint = 0
        journal.commit_bar(_bar(0))
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM bars").fetchone()[0] == 1  # a snapshot
        for bar in range(1, 50):
            journal.commit_bar(_bar(bar))
        started = time.monotonic()
        assert journal.checkpoint() is False  # the reader's snapshot still needs the log
        assert time.monotonic() - started < 5.0  # passive: the busy timeout (10 s) never ran
        assert reader.execute("SELECT count(*) FROM bars").fetchone()[0] == 1
        reader.execute("COMMIT")
        reader.close()
        assert journal.checkpoint() is True
        assert journal.last_bar() == 49


def test_autocheckpoint_is_the_writer_s_to_set(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        assert journal.autocheckpoint == 1000  # SQLite's default
        journal.autocheckpoint = 0
        assert journal.autocheckpoint == 0
        with pytest.raises(ParameterError) as err:
            journal.autocheckpoint = -1
        assert err.value.name == "autocheckpoint"
        with pytest.raises(ParameterError):
            journal.autocheckpoint = 2.5  # type: ignore[assignment]
        journal.bind("spec")
    with Journal(path, read_only=True) as reader:
        with pytest.raises(JournalError, match="read-only"):
            reader.checkpoint()
        with pytest.raises(JournalError, match="read-only"):
            reader.autocheckpoint = 10
    closed = Journal(path)
    closed.close()
    with pytest.raises(JournalError, match="closed"):
        closed.checkpoint()


# --------------------------------------------------------------------------- kill -9


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_kill_minus_9_around_checkpoints_loses_no_acknowledged_bar(tmp_path: Path) -> None:
    """A writer checkpointing every 7 bars (and never automatically), killed at arbitrary
    points (during checkpoints too) five times: every acknowledged bar survives, whole, and
    the file is sound."""
    path, ack = tmp_path / "live" / "journal.sqlite", tmp_path / "ack"
    last = -1
    for round_ in range(5):
        start = _run_and_kill(path, ack, 0.3 + 0.1 * round_, checkpoint_every=7)
        assert start == last + 1  # each restart continues from last_bar() + 1
        new_last = _check_after_kill(path, ack, start)
        assert new_last > last + 10, "the child committed (almost) nothing"
        last = new_last
    assert os.path.exists(path)


# --------------------------------------------------------------------------- the runner


def _spec():
    return parse_live_spec(
        {
            "data": {"symbol": "SOL/USDT", "timeframe": "1m"},
            "strategy": {"name": "sma_cross"},
            "params": {"fast": 5, "slow": 20},
        }
    )


def _rows(n: int) -> list[Bar]:
    bars = read_sample_bars("binance", "SOL-USDT", "1m").iloc[:n]
    ms = bars.index.as_unit("ms").asi8
    cols = [bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
    return [Bar(int(ms[t]), *(float(c[t]) for c in cols)) for t in range(n)]


class _Watched:
    """Records the journal calls a runner makes, and whether a bar was being decided."""

    def __init__(self, runner: Runner) -> None:
        self.events: list[tuple[str, bool]] = []
        self.deciding = False
        journal = runner.journal
        commit, checkpoint, on_bar = journal.commit_bar, journal.checkpoint, runner.on_bar

        def commit_bar(rec: BarCommit) -> bool:
            self.events.append(("commit", self.deciding))
            return commit(rec)

        def checkpoint_() -> bool:
            self.events.append(("checkpoint", self.deciding))
            return checkpoint()

        def decide(bar: Bar):
            self.deciding = True
            try:
                return on_bar(bar)
            finally:
                self.deciding = False

        journal.commit_bar = commit_bar  # type: ignore[method-assign]
        journal.checkpoint = checkpoint_  # type: ignore[method-assign]
        runner.on_bar = decide  # type: ignore[method-assign]


def test_the_runner_checkpoints_between_bars_on_its_event_loop(tmp_path: Path) -> None:
    rows = _rows(2 * CHECKPOINT_EVERY + 30)

    def feed(start: int):
        async def gen():
            for bar in rows:
                if bar.open_time_ms >= start:
                    yield bar
                    await asyncio.sleep(0)  # the feed waits for the next message

        return gen()

    journal = Journal(tmp_path / "journal.sqlite")
    runner = Runner(_spec(), journal, feed, start_ms=rows[0].open_time_ms,
                    until_ms=rows[-1].open_time_ms)  # fmt: skip
    watched = _Watched(runner)
    summary = asyncio.run(runner.run())
    assert summary.decided == len(rows)
    assert journal.autocheckpoint == AUTOCHECKPOINT_BACKSTOP
    checkpoints = [i for i, (kind, _) in enumerate(watched.events) if kind == "checkpoint"]
    assert len(checkpoints) == 2
    assert not any(deciding for kind, deciding in watched.events if kind == "checkpoint")
    commits_before = [sum(k == "commit" for k, _ in watched.events[:i]) for i in checkpoints]
    assert commits_before == [CHECKPOINT_EVERY, 2 * CHECKPOINT_EVERY]
    journal.close()


def test_a_checkpoint_due_as_the_run_ends_runs_before_it_returns(tmp_path: Path) -> None:
    rows = _rows(CHECKPOINT_EVERY)

    def feed(start: int):
        async def gen():
            for bar in rows:
                yield bar

        return gen()

    journal = Journal(tmp_path / "journal.sqlite")
    runner = Runner(_spec(), journal, feed, start_ms=rows[0].open_time_ms,
                    until_ms=rows[-1].open_time_ms)  # fmt: skip
    watched = _Watched(runner)
    asyncio.run(runner.run())
    assert [k for k, _ in watched.events].count("checkpoint") == 1
    assert watched.events[-1] == ("checkpoint", False)
    journal.close()


def test_without_an_event_loop_the_runner_checkpoints_after_the_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "CHECKPOINT_EVERY", 10)
    journal = Journal(tmp_path / "journal.sqlite")
    runner = Runner(_spec(), journal, None, start_ms=0)  # type: ignore[arg-type]
    runner.restore()
    watched = _Watched(runner)
    for bar in _rows(35):
        runner.on_bar(bar)
    kinds = [k for k, _ in watched.events]
    assert kinds.count("checkpoint") == 3
    assert kinds[10] == "checkpoint" and kinds[9] == "commit"  # right after the 10th bar
    journal.close()
