"""``kill -9`` of a ``venue = "ccxt"`` runtime at each of four points of an order's life, then
a restart over the same journal: exactly one venue order per intent, and the journal's
position is the account's.

The runtime is a process of its own (:mod:`tests.ccxt_kill_worker`: the real runner, the venue
built from the spec and the environment, the real ccxt client); the simulated Binance account
serves in the test's process on 127.0.0.1. The ``K``-th order of the run is killed:

* ``journaled``: its bar (and intent) is committed to the journal, nothing sent: the worker
  kills itself;
* ``sent``: the simulator has received the create; the test kills the worker from the
  simulator's handler and closes the connection: the order never reaches the book;
* ``accepted``: the simulator placed (and filled) the order; the test kills the worker before
  the reply is sent;
* ``filled``: the venue saw every trade and journaled the order ``closed``; the runner has not
  booked the fill: the worker kills itself.

The worker is then started again without a kill point and runs to the last bar: it re-derives
its state from the journal, asks the venue about the journaled order by client id before it
sends anything, and books it once. Its intents are the paper run's over the same bars, the
simulator holds one order per intent (none other), and the journal's last position plus the
executions not booked yet is the account's SOL.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from soltrader.adapters.ccxt_venue import client_order_id
from soltrader.runtime.journal import Journal
from tests.bar_feed import as_bars
from tests.binance_spot import BinanceSpot
from tests.ccxt_world import FINE, environ, paper_run, sample_frame, simulator, spec

pytestmark = pytest.mark.timeout(300)

N_BARS = 50  # sma_cross 3 / 8 decides 4 orders: a buy, a sell, a buy, a sell
WAIT_S = 60.0  # the longest any worker may take
ROOT = Path(__file__).resolve().parents[2]
SAME = ("client_id", "decision_bar", "side", "reason")


async def _worker(
    sim: BinanceSpot, folder: Path, name: str, point: str = "none", k: int = 0, *,
    wait: bool = False,
) -> asyncio.subprocess.Process:  # fmt: skip
    """Start :mod:`tests.ccxt_kill_worker` on ``folder``'s journal against ``sim``, armed at
    ``point`` (its own kill points only); its stderr goes to ``folder / name``.

    Parameters
    ----------
    wait : bool
        The worker loads its code, then waits for a line on its stdin before it opens the
        journal (``--wait``).

    Returns
    -------
    asyncio.subprocess.Process
        The worker, its stdin and stdout pipes.
    """
    args = ["--wait"] if wait else []
    with (folder / name).open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.ccxt_kill_worker", *args,
            str(folder / "journal.sqlite"), str(N_BARS), point, str(k),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log,
            env={**os.environ, **environ(sim)}, cwd=ROOT,
        )  # fmt: skip


def _kill_on_create(sim: BinanceSpot, point: str, k: int, holder: dict[str, Any]) -> None:
    """Kill the worker in ``holder["worker"]`` when the simulator receives the ``k``-th
    create: before it reaches the book (``sent``), or once it is placed and before the reply
    (``accepted``); either way the connection is closed without an answer."""
    creates = 0

    def on_order(coid: str) -> str:
        nonlocal creates
        creates += 1
        if creates < k:
            return "answer"
        sim.on_order = None  # once
        holder["worker"].send_signal(signal.SIGKILL)
        holder["coid"] = coid
        return "drop" if point == "sent" else "lose"

    sim.on_order = on_order


def _at_kill(folder: Path, sim: BinanceSpot) -> dict[str, Any]:
    """What the journal and the simulator hold once the first worker is dead."""
    with Journal(folder / "journal.sqlite", read_only=True) as journal:
        intents = journal.intents()
        orders = journal.venue_orders()
        fills = journal.committed_fills()
        return {
            "intents": len(intents),
            "states": [o.state for o in orders],
            "booked": len(fills.fills),
            "sim_orders": [(o.client_order_id, o.status) for o in sim.orders],
            "last_coid": client_order_id(int(intents["client_id"][-1])) if len(intents) else "",
        }


@pytest.fixture(scope="module")
def paper_intents(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """The paper run's intents over the same bars."""
    rows = as_bars(sample_frame(N_BARS + 1))[:N_BARS]
    path = tmp_path_factory.mktemp("paper") / "paper.sqlite"
    journal = asyncio.run(paper_run(spec(), path, rows))
    try:
        return journal.intents()
    finally:
        journal.close()


#: (kill point, which order): a buy (the 3rd order, a fraction of the free cash, priced when
#: sent) and a sell (the 2nd, all the position) in turn
CASES = [("journaled", 3), ("sent", 2), ("accepted", 3), ("filled", 2)]


@pytest.mark.parametrize(("point", "k"), CASES, ids=[p for p, _ in CASES])
def test_a_kill_9_at_any_point_of_an_order_leaves_one_order_per_intent_and_the_account_booked(
    tmp_path: Path, paper_intents: np.ndarray, point: str, k: int
) -> None:
    assert len(paper_intents) >= k + 1  # the kill is not at the last order
    sim = simulator(sample_frame(N_BARS + 1), filters=FINE, commission_in="quote")

    async def main() -> tuple[int, dict[str, Any], int, dict[str, Any]]:
        async with sim:
            holder: dict[str, Any] = {}
            own = point in ("journaled", "filled")
            if not own:
                _kill_on_create(sim, point, k, holder)
            first = await _worker(sim, tmp_path, "first.log", point if own else "none", k)
            holder["worker"] = first
            # the restart loads its code meanwhile; it opens the journal once let go
            second = await _worker(sim, tmp_path, "second.log", wait=True)
            try:
                await asyncio.wait_for(first.communicate(), WAIT_S)
                assert first.returncode is not None
                at_kill = {**_at_kill(tmp_path, sim), "killed_on": holder.get("coid", "")}
                out, _ = await asyncio.wait_for(second.communicate(b"go\n"), WAIT_S)
            finally:
                for worker in (first, second):
                    if worker.returncode is None:  # a wait timed out: leave nothing running
                        worker.kill()
                        await worker.wait()
            assert second.returncode is not None
            result = json.loads(out) if second.returncode == 0 else {}
            return first.returncode, at_kill, second.returncode, result

    first_code, at_kill, second_code, result = asyncio.run(main())
    logs = {n: (tmp_path / n).read_text() for n in ("first.log", "second.log")}
    assert first_code == -signal.SIGKILL, logs["first.log"]
    assert second_code == 0, logs["second.log"]

    # the first worker died where it was meant to: the k-th intent journaled, and ...
    coid = at_kill["last_coid"]
    assert at_kill["intents"] == k
    if point in ("sent", "accepted"):  # killed on this order's create
        assert at_kill["killed_on"] == coid
    before = [(client_order_id(int(c)), "FILLED") for c in paper_intents["client_id"][: k - 1]]
    if point in ("journaled", "sent"):  # ... not at the venue
        assert at_kill["sim_orders"] == before
    else:  # ... at the venue and filled
        assert at_kill["sim_orders"] == [*before, (coid, "FILLED")]
    want_state = {"journaled": [], "sent": ["sending"], "accepted": ["sending"],
                  "filled": ["closed"]}[point]  # fmt: skip
    assert at_kill["states"] == ["closed"] * (k - 1) + want_state
    assert at_kill["booked"] == k - 1  # the k-th execution is not booked

    # the restart finished the run, decided as the paper run, one order per intent
    assert result["stopped"] == "end" and not result["halted"], result
    assert result["restored"] > 0 and result["restored"] + result["decided"] == N_BARS
    with Journal(tmp_path / "journal.sqlite", read_only=True) as journal:
        intents = journal.intents()
        orders = journal.venue_orders()
        last = journal.equity()[-1]
    assert len(intents) == len(paper_intents)
    for name in SAME:
        np.testing.assert_array_equal(intents[name], paper_intents[name], err_msg=name)
    want = {client_order_id(int(c)): 1 for c in intents["client_id"]}
    assert Counter(o.client_order_id for o in sim.orders) == want
    assert {o.status for o in sim.orders} == {"FILLED"}
    assert [o.state for o in orders] == ["closed"] * len(intents)

    # the journal's position, with what is not booked yet, is the account's
    pending = sum(ex["size"] for ex in result["unbooked"])
    assert float(last["position"]) + pending == pytest.approx(
        float(sim.balances["SOL"].total), abs=1e-9
    )
