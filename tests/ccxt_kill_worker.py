"""A ``venue = "ccxt"`` runtime in a process of its own, for the ``kill -9`` tests of the ccxt
venue: :func:`tests.ccxt_world.spec`, a journal, the venue built from the spec and the
environment (``CCXT_TEST_KEY``, ``CCXT_TEST_SECRET`` and ``CCXT_TEST_URL``, as
:func:`tests.ccxt_world.environ` gives them: a simulator serving in the test's process), and a
runner over the first ``N_BARS`` bundled SOL/USDT 1m bars. Before it yields bar ``t`` the feed
awaits the executions of the bar before and moves the simulator's cursor to bar ``t + 1``
(``POST /_sim/bar``), as :func:`tests.ccxt_world.venue_run` does in one process. A restart
over the same journal resumes where the journal ends.

A kill point makes the process send itself ``SIGKILL`` the ``K``-th time it passes there:

* ``journaled``: a bar with intents has been committed to the journal; the venue has not been
  called for them;
* ``filled``: the venue has seen every trade of an order and journaled it ``closed``; the
  runner has not booked the fill.

(The tests kill the process from outside for the other points, when the simulator receives
an order.) A run that ends prints one JSON line: how it stopped, and the executions not booked
yet (base units each added to the position).

With ``--wait`` the process loads its code (and the decision core's compiled functions), then
waits for a line on stdin before it opens the journal: the test starts the restart while the
first process still runs, and lets it go once the first is dead (a warm interpreter; the
journal, the venue and the runner are all new).

    CCXT_TEST_KEY=... CCXT_TEST_SECRET=... CCXT_TEST_URL=http://127.0.0.1:N \\
        python -m tests.ccxt_kill_worker [--wait] JOURNAL N_BARS [KILL_POINT K]
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp

from soltrader.runtime.journal import BarCommit, Journal
from soltrader.runtime.runner import Runner, new_loop
from soltrader.runtime.venues import ccxt_venue
from tests.bar_feed import as_bars, feed
from tests.ccxt_world import sample_frame, spec

#: Where the process can kill itself ("none": it runs to the end).
KILL_POINTS = ("none", "journaled", "filled")


def _die() -> None:
    """``kill -9`` of this process (nothing after it runs: no cleanup, no flush)."""
    os.kill(os.getpid(), signal.SIGKILL)


def arm(journal: Journal, point: str, k: int) -> None:
    """Make this process ``SIGKILL`` itself the ``k``-th time ``journal`` passes ``point``
    (the journal object's methods are wrapped; nothing else changes).

    Parameters
    ----------
    journal : Journal
        The runtime's journal.
    point : {"none", "journaled", "filled"}
        After a commit of a bar with intents, or after an order is journaled ``closed``.
    k : int
        Which passage kills (1: the first).
    """
    if point not in KILL_POINTS:
        raise ValueError(f"kill point {point!r} is not one of {', '.join(KILL_POINTS)}")
    passed = 0

    def count() -> None:
        nonlocal passed
        passed += 1
        if passed == k:
            _die()

    if point == "journaled":
        commit = journal.commit_bar

        def commit_bar(rec: BarCommit) -> bool:
            written = commit(rec)
            if len(rec.intents):
                count()
            return written

        journal.commit_bar = commit_bar  # type: ignore[method-assign]
    elif point == "filled":
        update = journal.update_venue_order

        def update_venue_order(client_order_id: str, state: str, **kw: Any) -> None:
            update(client_order_id, state, **kw)
            if state == "closed":
                count()

        journal.update_venue_order = update_venue_order  # type: ignore[method-assign]


async def run(path: Path, n_bars: int, point: str = "none", k: int = 0) -> dict[str, Any]:
    """Run the spec over the first ``n_bars`` bars through the ccxt venue, journaled at
    ``path``, armed at ``point`` (see :func:`arm`).

    Returns
    -------
    dict
        The run's summary (``stopped``, ``halted``, ``decided``, ``restored``), the halt's
        reason if any, and ``unbooked``: per execution not booked yet, its intent's client id
        and the base units it added to the position (negative for a sell).
    """
    rows = as_bars(sample_frame(n_bars + 1))[:n_bars]
    live_spec = spec()
    url = os.environ["CCXT_TEST_URL"]
    with Journal(path) as journal:
        arm(journal, point, k)
        async with aiohttp.ClientSession() as http, ccxt_venue(live_spec, journal) as venue:
            holder: dict[str, Runner] = {}

            async def before_bar(t: int) -> None:
                await holder["runner"].drain()  # bar t - 1's orders ended at bar t's open
                async with http.post(f"{url}/_sim/bar", params={"i": str(t + 1)}) as reply:
                    reply.raise_for_status()

            runner = Runner(live_spec, journal, feed(rows, before_bar),
                            start_ms=rows[0].open_time_ms, until_ms=rows[-1].open_time_ms,
                            venue=venue)  # fmt: skip
            holder["runner"] = runner
            summary = await runner.run()
            unbooked = await runner.drain() if summary.stopped == "end" else []
        halt = journal.halted()
    return {
        "stopped": summary.stopped,
        "halted": summary.halted,
        "halt_reason": "" if halt is None else halt.reason,
        "decided": summary.decided,
        "restored": summary.restored,
        "unbooked": [
            {"client_id": ex.client_id, "size": float(ex.fill["size"]) * int(ex.fill["side"])}
            for ex in unbooked
            if ex.fill is not None
        ],
    }


def main(argv: list[str]) -> None:
    """``[--wait] JOURNAL N_BARS [KILL_POINT K]``: run, print the result as one JSON line."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if argv[:1] == ["--wait"]:
        new_loop(spec(), venue_fills=True)  # the compiled functions loaded
        sys.stdin.readline()
        argv = argv[1:]
    path, n_bars, *armed = argv
    point, k = (armed[0], int(armed[1])) if armed else ("none", 0)
    result = asyncio.run(run(Path(path), int(n_bars), point, k))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
