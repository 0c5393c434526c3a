"""The ccxt venue against a simulated Binance spot account, with the real ccxt client.

* parity: an hour of real SOL/USDT 1m bars through ``sma_cross`` decides exactly as the paper
  run; with the simulator charging fees as the fill model does, the fills are the paper fills;
  with Binance's own commission (in the asset received) the account still equals the journal;
* ambiguous submits: the venue accepts an order and the reply is lost; the venue asks by
  client id and books the one order, also though Binance would accept the same id again;
* rate limits: under 429s with Retry-After the calls never exceed the configured rate in any
  window, retries are bounded, and errors that cannot be retried are called exactly once;
* the user-data stream: replies without fills are completed by the stream's reports alone,
  and a lossy, repeating, shuffled stream with a dropped socket still gives the true fills;
* reconciliation: a position that differs from the journal halts and stops the runner with
  both quantities named; an order the journal does not know is cancelled or halts.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from soltrader.adapters.ccxt_stream import UserStream
from soltrader.adapters.ccxt_venue import CcxtVenue, VenueOrder, VenueOutcomeError, client_order_id
from soltrader.adapters.resilience import RateLimiter
from soltrader.domain.state import IntentReason, QuantityUnit, intent_dt
from soltrader.runtime.journal import Journal
from tests.bar_feed import as_bars
from tests.binance_spot import Faults
from tests.binance_ws import StreamFaults
from tests.ccxt_world import (
    FINE,
    INIT_CASH,
    KEY,
    SECRET,
    paper_run,
    sample_frame,
    simulator,
    spec,
    venue_run,
)

pytestmark = pytest.mark.timeout(300)

N_BARS = 60  # one hour of 1m bars
TICK_OF_BUDGET = 0.01 / 900  # one price tick of the smallest budget, relative
SAME = ("client_id", "decision_bar", "side", "kind", "reason", "unit")


def _orders_by_client_id(sim: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for order in sim.orders:
        counts[order.client_order_id] = counts.get(order.client_order_id, 0) + 1
    return counts


def _one_order_per_intent(sim: Any, journal: Journal) -> None:
    counts = _orders_by_client_id(sim)
    want = {client_order_id(int(c)) for c in journal.intents()["client_id"]}
    assert set(counts) == want
    assert set(counts.values()) == {1}


def _intent(cid: int, side: int, unit: int, quantity: float) -> np.ndarray:
    rec = np.zeros((), dtype=intent_dt)
    rec["client_id"], rec["side"], rec["unit"], rec["quantity"] = cid, side, unit, quantity
    rec["reason"] = IntentReason.ENTRY if side > 0 else IntentReason.EXIT
    return rec


def test_an_hour_through_the_ccxt_venue_gives_the_paper_intents_and_fills(tmp_path: Path) -> None:
    frame = sample_frame(N_BARS + 1)
    rows = as_bars(frame)[:N_BARS]
    paper = asyncio.run(paper_run(spec(), tmp_path / "paper.sqlite", rows))
    sim = simulator(frame, filters=FINE, commission_in="quote")
    real = Journal(tmp_path / "real.sqlite")

    async def main() -> Any:
        async with sim:
            return await venue_run(sim, spec(), real, rows)

    summary, unbooked, runner = asyncio.run(main())
    assert summary.stopped == "end" and not summary.halted and summary.decided == N_BARS
    want, got = paper.intents(), real.intents()
    assert len(want) >= 6 and len(got) == len(want)
    for name in SAME:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    # a buy's budget goes out as quoteOrderQty, which ccxt sends at the price precision
    # (0.01 USDT): up to one cent of a 1,000 USDT budget stays unspent
    np.testing.assert_allclose(got["quantity"], want["quantity"], rtol=TICK_OF_BUDGET)
    _one_order_per_intent(sim, real)

    # the same fills: each at the open after its decision, the same size and fees (to the
    # exchange's 8 decimals), booked on the same bar
    paper_fills, fills = paper.committed_fills(), real.committed_fills()
    booked = len(fills.fills)
    assert booked + len(unbooked) == len(want) and booked == len(paper_fills.fills) - len(unbooked)
    for name in ("bar", "side", "reason"):
        np.testing.assert_array_equal(fills.fills[name], paper_fills.fills[name][:booked])
    prices = paper_fills.fills["price"][:booked]
    np.testing.assert_allclose(fills.fills["price"], prices, rtol=1e-12)
    for name in ("size", "fees"):
        np.testing.assert_allclose(
            fills.fills[name], paper_fills.fills[name][:booked], rtol=TICK_OF_BUDGET
        )
    assert set(fills.venue) == {"ccxt"}
    ids = {f"binance:{o.order_id}" for o in sim.orders}
    assert len(set(fills.trade_id)) == booked and set(fills.trade_id) <= ids

    # the account is the journal's: position exactly as the exchange's decimals, cash to float
    assert runner.last_reconciliation is not None and runner.last_reconciliation.problem == ""
    last = real.equity()[-1]
    pending = sum(float(ex.fill["size"]) * int(ex.fill["side"]) for ex in unbooked)
    assert last["position"] + pending == pytest.approx(float(sim.balances["SOL"].total), abs=1e-9)
    assert real.equity()["equity"][-1] == pytest.approx(
        paper.equity()["equity"][-1], rel=TICK_OF_BUDGET
    )
    paper.close()
    real.close()


def test_binance_commission_in_the_asset_received_keeps_the_account_equal_to_the_journal(
    tmp_path: Path,
) -> None:
    """Binance's default: a buy's commission is taken in base, lots are 0.001 SOL (a sell
    leaves dust). The decisions are the paper run's; the journal's position plus the dust the
    sells left is the account's SOL, and the cash is its USDT."""
    frame = sample_frame(N_BARS + 1)
    rows = as_bars(frame)[:N_BARS]
    paper = asyncio.run(paper_run(spec(), tmp_path / "paper.sqlite", rows))
    sim = simulator(frame)
    real = Journal(tmp_path / "real.sqlite")

    async def main() -> Any:
        async with sim:
            return await venue_run(sim, spec(), real, rows)

    summary, unbooked, _ = asyncio.run(main())
    assert summary.stopped == "end" and not summary.halted
    for name in SAME:
        np.testing.assert_array_equal(real.intents()[name], paper.intents()[name], err_msg=name)
    _one_order_per_intent(sim, real)
    dust = sum(
        (Decimal(o.detail[5:]) for o in real.venue_orders() if o.detail.startswith("dust=")),
        Decimal(0),
    )
    assert dust > 0  # the lot step left something behind
    last = real.equity()[-1]
    pending = sum(float(ex.fill["size"]) * int(ex.fill["side"]) for ex in unbooked)
    assert last["position"] + pending + float(dust) == pytest.approx(
        float(sim.balances["SOL"].total), abs=1e-9
    )
    if not unbooked:
        assert last["cash"] == pytest.approx(float(sim.balances["USDT"].total), abs=1e-6)
    paper.close()
    real.close()


async def _venue(sim: Any, journal: Journal, **kw: Any) -> CcxtVenue:
    kw.setdefault("recv_window_ms", 300)
    kw.setdefault("skew_ms", 100)
    kw.setdefault("poll_s", 0.02)
    exchange = sim.ccxt_exchange(timeout_ms=kw.pop("timeout_ms", 1000))
    exchange.options["recvWindow"] = kw["recv_window_ms"]
    limiter = kw.pop("limiter", RateLimiter(1000, 1.0))
    venue = CcxtVenue(exchange, "SOL/USDT", journal, limiter, **kw)
    await venue.start()
    return venue


@pytest.mark.parametrize("strict", [False, True])
def test_a_lost_reply_is_resolved_by_client_id_into_one_order_booked_once(
    tmp_path: Path, strict: bool
) -> None:
    """The simulator accepts (and fills) the order and drops the connection: ccxt raises a
    network error. The venue asks by client id, finds the filled order and books it; it never
    re-sends, though Binance's rule (``strict=False``) would take the same id again."""
    frame = sample_frame(10)
    sim = simulator(frame, strict_client_ids=strict, faults=Faults(lose_replies=1))
    journal = Journal(tmp_path / "j.sqlite")

    async def main() -> Any:
        async with sim:
            venue = await _venue(sim, journal)
            first = await venue.execute(_intent(11, 1, QuantityUnit.QUOTE, 500.0))
            again = await venue.execute(_intent(11, 1, QuantityUnit.QUOTE, 500.0))
            await venue.exchange.close()
            return first, again, venue

    first, again, _ = asyncio.run(main())
    assert first.fill is not None and not first.refused and again is first
    assert [o.client_order_id for o in sim.orders] == [client_order_id(11)]
    posts = [r for r in sim.requests if r.method == "POST" and r.path.endswith("/order")]
    assert len(posts) == 1 and posts[0].status == 0  # accepted, reply lost
    assert float(first.fill["size"]) == pytest.approx(float(sim.balances["SOL"].total))
    assert journal.venue_orders(11)[0].state == "closed"
    journal.close()


def test_an_order_never_accepted_is_sent_again_once_its_request_window_has_passed(
    tmp_path: Path,
) -> None:
    """An outage answers the create with a 503 (not accepted). The venue asks by client id
    until "not found" can be believed (the request window has passed), then sends once more."""
    frame = sample_frame(10)
    sim = simulator(frame)
    journal = Journal(tmp_path / "j.sqlite")

    async def main() -> Any:
        async with sim:
            venue = await _venue(sim, journal)
            create = venue.exchange.create_order

            async def create_in_an_outage(*args: Any, **kw: Any) -> Any:
                if not sim.faults.outage and not sim.orders and len(sim.requests) < 8:
                    sim.faults.outage = True  # the first create meets a 503, then 150 ms more
                    asyncio.get_running_loop().call_later(
                        0.15, setattr, sim.faults, "outage", False
                    )
                return await create(*args, **kw)

            venue.exchange.create_order = create_in_an_outage
            done = await venue.execute(_intent(12, 1, QuantityUnit.QUOTE, 100.0))
            await venue.exchange.close()
            return done

    done = asyncio.run(main())
    assert done.fill is not None
    assert [o.client_order_id for o in sim.orders] == [client_order_id(12)]
    statuses = [r.status for r in sim.requests if r.method == "POST"]
    assert statuses[0] == 503 and statuses[-1] == 200 and statuses.count(200) == 1
    journal.close()


def test_final_errors_are_called_exactly_once(tmp_path: Path) -> None:
    """Insufficient funds and a bad signature are the venue's final answers: one call each,
    the intent refused with the venue's reason, nothing re-sent."""
    frame = sample_frame(10)
    sim = simulator(frame, balances={"USDT": 20})
    journal = Journal(tmp_path / "j.sqlite")

    async def main() -> Any:
        async with sim:
            venue = await _venue(sim, journal)
            poor = await venue.execute(_intent(21, -1, QuantityUnit.BASE, 1.0))  # holds no SOL
            venue.exchange.secret = "not-the-secret"
            bad_key = await venue.execute(_intent(22, 1, QuantityUnit.QUOTE, 10.0))
            await venue.exchange.close()
            return poor, bad_key

    poor, bad_key = asyncio.run(main())
    assert poor.fill is None and "insufficient" in poor.refused.lower()
    assert bad_key.fill is None and "refused" in bad_key.refused
    posts = [r for r in sim.requests if r.method == "POST"]
    assert len(posts) == 2  # one call each, never re-sent
    assert not sim.orders
    assert {o.state for o in journal.venue_orders()} == {"refused"}
    assert SECRET not in poor.refused + bad_key.refused and KEY not in bad_key.refused
    journal.close()


def test_under_429s_the_calls_keep_to_the_limit_and_retries_are_bounded(tmp_path: Path) -> None:
    """The simulator admits 30 request weight per second and answers 429 with Retry-After
    beyond; the venue's limiter allows 5 calls per 0.25 s. In every 0.25 s window at most 5
    calls went out, every intent ended, each with exactly one order."""
    frame = sample_frame(10)
    sim = simulator(frame, balances={"USDT": 100_000},
                    faults=Faults(weight_limit=30, weight_window_ms=1000))  # fmt: skip
    journal = Journal(tmp_path / "j.sqlite")
    limiter = RateLimiter(5, 0.25)

    async def main() -> Any:
        async with sim:
            venue = await _venue(sim, journal, limiter=limiter, max_retries=20,
                                 resolve_timeout_s=30.0)  # fmt: skip
            intents = [_intent(100 + i, 1, QuantityUnit.QUOTE, 50.0) for i in range(12)]
            done = await asyncio.gather(*(venue.execute(rec) for rec in intents))
            await venue.exchange.close()
            return done, venue

    done, venue = asyncio.run(main())
    assert all(ex.fill is not None for ex in done)
    counts = _orders_by_client_id(sim)
    assert len(counts) == 12 and set(counts.values()) == {1}
    times = np.array([t for t, _ in venue.calls])
    worst = max(int(np.searchsorted(times, t + 0.25, side="left") - i) for i, t in enumerate(times))
    assert worst <= 5
    assert any(r.status == 429 for r in sim.requests)  # the limit was met
    creates = sum(1 for _, name in venue.calls if name == "create_order")
    assert creates <= 12 * (1 + 20)
    journal.close()


def test_a_position_the_journal_does_not_hold_halts_and_stops_the_runner(tmp_path: Path) -> None:
    """After a run, SOL leaves the account behind the runtime's back: the next start
    reconciles before it decides anything, halts, and stops with both quantities named."""
    frame = sample_frame(N_BARS + 1)
    rows = as_bars(frame)
    sim = simulator(frame, filters=FINE, commission_in="quote")
    path = tmp_path / "real.sqlite"

    async def main() -> Any:
        async with sim:
            journal = Journal(path)
            first = await venue_run(sim, spec(), journal, rows[:30])
            journal.close()
            sim.balances["SOL"].free += Decimal("0.5")  # a transfer the journal never saw
            journal = Journal(path)
            second = await venue_run(sim, spec(), journal, rows[:N_BARS])
            return first, second, journal

    (first, _, _), (second, _, runner), journal = asyncio.run(main())
    assert first.stopped == "end" and not first.halted
    assert first.decided == 30
    assert second.stopped == "reconcile" and second.halted and second.decided == 0
    halt = journal.halted()
    assert halt is not None and "position mismatch" in halt.reason
    report = runner.last_reconciliation
    assert report.venue_position == pytest.approx(report.journal_position + 0.5)
    assert f"{report.journal_position}" in halt.reason
    journal.close()


@pytest.mark.parametrize("policy", ["cancel", "halt", "leave"])
def test_an_open_order_the_journal_does_not_know_follows_the_policy(
    tmp_path: Path, policy: str
) -> None:
    frame = sample_frame(N_BARS + 1)
    rows = as_bars(frame)[:20]
    sim = simulator(frame, filters=FINE, commission_in="quote", balances={"USDT": 2 * INIT_CASH})
    journal = Journal(tmp_path / "j.sqlite")

    async def main() -> Any:
        async with sim:
            manual = sim.ccxt_exchange()
            await manual.create_order("SOL/USDT", "limit", "buy", 1.0, 1.0,
                                      {"clientOrderId": "manual-1"})  # fmt: skip
            await manual.create_order("SOL/USDT", "market", "buy", 0.5)  # someone else trades
            await manual.close()
            return await venue_run(
                sim, spec(unknown_orders=policy, base_reserve=0.5), journal, rows
            )

    summary, _, runner = asyncio.run(main())
    manual = next(o for o in sim.orders if o.client_order_id == "manual-1")
    report = runner.last_reconciliation
    assert report.unknown_orders == ("manual-1",)
    assert report.foreign_trades == (f"{sim.orders[1].order_id}:{sim.trades[0].trade_id}",)
    if policy == "cancel":
        assert manual.status == "CANCELED" and summary.stopped == "end"
    elif policy == "leave":
        assert manual.status == "NEW" and summary.stopped == "end"
    else:
        assert manual.status == "NEW" and summary.stopped == "reconcile" and summary.halted
        assert "manual-1" in journal.halted().reason
    journal.close()


async def _streaming_venue(sim: Any, journal: Journal, rest_every_s: float) -> CcxtVenue:
    """A venue on a ccxt pro client whose order replies carry no fills (``ACK``): what an
    order did comes from the user-data stream, REST only when the stream is silent."""
    exchange = sim.ccxt_pro_exchange(timeout_ms=1000)
    exchange.options["newOrderRespType"] = {"market": "ACK", "limit": "ACK"}
    stream = UserStream(exchange, "SOL/USDT", reconnect_cap_s=0.2)
    venue = CcxtVenue(exchange, "SOL/USDT", journal, RateLimiter(1000, 1.0), stream=stream,
                      rest_every_s=rest_every_s, poll_s=0.02)  # fmt: skip
    await venue.start()
    await stream.start()
    for _ in range(200):  # subscribed before the first order
        if sim.stream.subscriptions:
            break
        await asyncio.sleep(0.01)
    return venue


def _round_trips(n: int) -> list[np.ndarray]:
    out = []
    for i in range(n):
        out += [_intent(300 + 2 * i, 1, QuantityUnit.QUOTE, 100.0),
                _intent(301 + 2 * i, -1, QuantityUnit.BASE, 1.0)]  # fmt: skip
    return out


def test_the_user_stream_completes_orders_without_rest(tmp_path: Path) -> None:
    """Replies carry no fills; the stream's executionReports complete every order, and REST is
    never asked about an order (it would be after ``rest_every_s`` of silence)."""
    sim = simulator(sample_frame(10))
    journal = Journal(tmp_path / "j.sqlite")

    async def main() -> Any:
        async with sim:
            venue = await _streaming_venue(sim, journal, rest_every_s=30.0)
            done = [await venue.execute(rec) for rec in _round_trips(4)]
            await venue.stream.stop()
            await venue.exchange.close()
            return done, venue

    done, venue = asyncio.run(main())
    assert all(ex.fill is not None for ex in done)
    assert not {"fetch_order", "fetch_my_trades"} & {name for _, name in venue.calls}
    assert venue.stream.reports >= 8 * 2  # a status and a trade per order, at least
    for ex, trade in zip(done, sim.trades, strict=True):
        assert float(ex.fill["price"]) == float(trade.price)
    assert float(sim.balances["SOL"].total) == pytest.approx(
        sum(float(ex.fill["size"]) * int(ex.fill["side"]) for ex in done), abs=1e-9
    )
    journal.close()


@pytest.mark.parametrize("seed", range(3))
def test_a_lossy_shuffled_repeating_stream_and_a_dropped_socket_still_give_the_true_fills(
    tmp_path: Path, seed: int
) -> None:
    """A third of the events are lost, a third repeated, the rest shuffled in fours, and the
    socket is dropped mid-run: every order still ends with exactly the simulator's fills (REST
    fills the gaps the stream leaves), and one order per intent."""
    sim = simulator(sample_frame(10), seed=seed)
    sim.stream.faults = StreamFaults(drop_rate=0.3, repeat_rate=0.3, shuffle=4)
    journal = Journal(tmp_path / "j.sqlite")

    async def main() -> Any:
        async with sim:
            venue = await _streaming_venue(sim, journal, rest_every_s=0.2)
            done = []
            for k, rec in enumerate(_round_trips(5)):
                if k == 4:
                    await sim.stream.drop_connections()
                done.append(await venue.execute(rec))
            await venue.stream.stop()
            await venue.exchange.close()
            return done, venue

    done, venue = asyncio.run(main())
    assert [ex.fill is not None for ex in done] == [True] * 10
    assert sim.stream.subscriptions >= 2  # subscribed again after the drop
    assert {"fetch_order", "fetch_my_trades"} & {name for _, name in venue.calls}  # REST filled in
    assert len({o.client_order_id for o in sim.orders}) == len(sim.orders) == 10
    for ex, trade in zip(done, sim.trades, strict=True):
        assert float(ex.fill["price"]) == float(trade.price)
        size = trade.qty - (trade.commission if trade.commission_asset == "SOL" else 0)
        assert float(ex.fill["size"]) == pytest.approx(float(size), abs=1e-12)
    journal.close()


def test_a_market_order_the_book_cannot_fill_is_booked_as_the_part_that_filled(
    tmp_path: Path,
) -> None:
    """The book holds 2 SOL on each of 3 levels: a buy of 1,000 USDT takes all three (three
    trades at rising prices) and the rest expires. The execution is the part that filled, at
    its volume-weighted price, net of the base commission; a sell of more than the book holds
    likewise."""
    sim = simulator(sample_frame(10), book_depth="2", book_levels=3)
    journal = Journal(tmp_path / "j.sqlite")

    async def main() -> Any:
        async with sim:
            venue = await _venue(sim, journal)
            buy = await venue.execute(_intent(41, 1, QuantityUnit.QUOTE, 1000.0))
            sim.balances["SOL"].free += Decimal(4)  # held before: sell 9, the book takes 6
            sell = await venue.execute(_intent(42, -1, QuantityUnit.BASE, 9.0))
            await venue.exchange.close()
            return buy, sell

    buy, sell = asyncio.run(main())
    first, second = sim.orders
    assert first.status == second.status == "EXPIRED"
    assert [t.order_id for t in sim.trades] == [1, 1, 1, 2, 2, 2]
    px = float(sim.trades[0].price)
    assert buy.fill is not None and sell.fill is not None
    assert float(buy.fill["size"]) == pytest.approx(6 * (1 - 0.001))
    assert float(buy.fill["price"]) == pytest.approx(px + 0.01)  # the middle of three levels
    assert float(sell.fill["size"]) == pytest.approx(6.0)  # partial: not chased
    assert float(sell.fill["price"]) == pytest.approx(px - 0.01)
    assert float(sim.balances["SOL"].total) == pytest.approx(6 * (1 - 0.001) + 4 - 6)
    journal.close()


def test_an_order_journaled_as_accepted_that_the_venue_denies_is_never_sent_again(
    tmp_path: Path,
) -> None:
    """The journal says the exchange accepted the order; the exchange says it has none (an
    account swapped, a purged history). Re-sending could double a position: the venue stops
    with the order named and sends nothing."""
    sim = simulator(sample_frame(10))
    journal = Journal(tmp_path / "j.sqlite")
    coid = client_order_id(51)
    journal.record_venue_order(VenueOrder(51, coid, "binance", "sending", 0))
    journal.update_venue_order(coid, "accepted", order_id="999")

    async def main() -> None:
        async with sim:
            venue = await _venue(sim, journal, resolve_timeout_s=2.0)
            try:
                await venue.execute(_intent(51, 1, QuantityUnit.QUOTE, 100.0))
            finally:
                await venue.exchange.close()

    with pytest.raises(VenueOutcomeError, match=f"order {coid}: journaled accepted"):
        asyncio.run(main())
    assert not [r for r in sim.requests if r.method == "POST"] and not sim.orders
    journal.close()


def test_an_intent_that_breaks_a_market_rule_is_refused_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    """A buy of 2 USDT is below the market's 5 USDT minimum cost: refused naming the rule, no
    order sent and none journaled; a sell of less than one lot likewise."""
    sim = simulator(sample_frame(10))
    journal = Journal(tmp_path / "j.sqlite")

    async def main() -> Any:
        async with sim:
            venue = await _venue(sim, journal)
            small = await venue.execute(_intent(61, 1, QuantityUnit.QUOTE, 2.0))
            crumb = await venue.execute(_intent(62, -1, QuantityUnit.BASE, 0.0004))
            await venue.exchange.close()
            return small, crumb

    small, crumb = asyncio.run(main())
    assert small.fill is None and small.refused.endswith("(min_cost)")
    assert crumb.fill is None and crumb.refused.endswith("(amount_step)")
    assert not [r for r in sim.requests if r.method == "POST"] and not sim.orders
    assert journal.venue_orders() == []
    journal.close()
