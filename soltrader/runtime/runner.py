"""The live loop: closed bars from a feed, the decision core, the paper venue, the journal.

For every closed bar the runner does, in this order (nothing here re-implements a rule: the
decisions, fills and account guards are :class:`~soltrader.engine.paper.PaperLoop`'s, the very
functions the backtest steps):

1. **check** the candle by the data rules (the loop's own check, which refuses a bad bar with
   :class:`~soltrader.engine.paper.BarRefusedError` before it changes anything); a bad one is
   quarantined in the journal with its reason code and never reaches the strategy;
2. **decide**: ``PaperLoop.step`` (paper fills on the bar, the strategy's signal on its window,
   ``decide``, mark, guards) under the bar's control mode (``EMERGENCY`` while halted);
3. **journal** the bar, its intents, its fills and the equity in one SQLite transaction
   (intents are journalled before any venue other than paper would see them);
4. **kill switch**: a drawdown from the peak or a loss since the UTC day's start beyond the
   ``[risk]`` limits halts the runner (persisted: a restart stays halted until ``soltrader
   resume``); the next bars run in ``EMERGENCY`` mode, which flattens and blocks entries. More
   edge errors in an hour than ``max_errors_per_hour`` (feed drops and stalls count) and no bar
   for ``kill_stale_s`` seconds halt it too.

**A real venue** (an :class:`~soltrader.domain.ports.ExecutingVenue`, e.g. the Solana swap
venue) takes the paper venue's place when one is given: the loop is built with
``venue_fills=True``, step 3's intents are executed after their bar is journalled, and the
next bar first awaits every execution of the bar before and books how each ended (the venue's
fill, or its refusal) in place of the fill model, journalling the fills under the venue's name
with its trade ids (signatures) and the refusals with their reasons. A bar is therefore decided
on the true account. An execution whose outcome is unknown (an exception) halts the runner
and stops it: a restart re-executes the unbooked intents, and the venue resolves what it sent
before it sends anything.

**Between bars.** The journal's checkpoint (SQLite copying its write-ahead log into the
database file, with two disk flushes) would otherwise land on the commit of one bar in a few
hundred: the runner raises the journal's automatic checkpoint to a backstop and checkpoints
every ``CHECKPOINT_EVERY`` bars itself, once the bar is committed and its intents are on their
way (on the event loop, when the feed next waits; inline without a running loop).

**Restart.** The journal holds every bar decided. On start the runner steps those bars through a
fresh loop (no venue call, no journal write) and checks that the intents it re-derives equal the
journalled ones, which rebuilds the decision state exactly; the feed then resumes at the next
bar. A bar already decided is never decided again, and a different spec cannot resume a journal.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from soltrader.data.timeframes import timeframe_ms
from soltrader.domain.bar import Bar
from soltrader.domain.errors import Error
from soltrader.domain.ports import (
    ExecutingVenue,
    Execution,
    Reconciliation,
    ReconcilingVenue,
)
from soltrader.domain.records import fill_dt
from soltrader.domain.state import (
    ControlMode,
    IntentReason,
    OutcomeState,
    intent_dt,
    venue_outcome_dt,
)
from soltrader.engine.live_spec import LiveSpec
from soltrader.engine.paper import BarOutcome, BarRefusedError, PaperLoop
from soltrader.runtime.control import MODE_KEY, OperatorRequest, RequestWatch, mode_code
from soltrader.runtime.journal import (
    PAPER_VENUE,
    BarCommit,
    HaltState,
    Journal,
    JournalError,
    QuarantinedCandle,
    Refusal,
)

log = logging.getLogger("soltrader.live")

_NS_PER_MS = 1_000_000
_MS_PER_DAY = 86_400_000
#: Bars between two journal checkpoints run by the runner (a bar adds 3 to 4 log pages: about
#: SQLite's own 1,000 pages between checkpoints).
CHECKPOINT_EVERY = 250
#: The journal's own automatic checkpoint under a runner, in log pages (a backstop only).
AUTOCHECKPOINT_BACKSTOP = 10_000


class JournalMismatchError(Error):
    """The runtime cannot go on safely (a journal that disagrees with the decision core)."""


class ReconciliationError(Error):
    """The venue's account disagrees with the journal (a position beyond the tolerance, or
    orders the journal does not know under the ``halt`` policy): the runner halted and
    stopped, and stops again at every start until the account and the journal agree."""


class VenueOutcomeUnknownError(Error):
    """An execution at the venue ended without an outcome (the runner halted and stopped; a
    restart resolves what was sent)."""


class RunSummary(NamedTuple):
    """How a run ended: bars decided in this run, bars re-derived from the journal on start,
    candles quarantined, intents journalled in total, whether the runner is halted, why it
    stopped (``"end"``, ``"signal"``, ``"feed"``, ``"venue"``: an execution's outcome is
    unknown, ``"reconcile"``: the venue's account disagrees with the journal)."""

    decided: int
    restored: int
    quarantined: int
    intents: int
    halted: bool
    stopped: str


def spec_identity(spec: LiveSpec) -> str:
    """A stable text naming what a journal belongs to: the strategy, its parameters, the
    market and the backtest keywords (a journal is never resumed by another spec)."""
    parts: tuple[Any, ...] = (
        spec.data.symbol,
        spec.data.timeframe,
        spec.strategy.name,
        sorted((k, repr(v)) for k, v in spec.backtest_kwargs().items()),
        spec.live.window,
    )
    if spec.live.venue != PAPER_VENUE:  # a paper journal never resumes on a real venue
        parts = (*parts, spec.live.venue)
    text = repr(parts)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def new_loop(spec: LiveSpec, *, venue_fills: bool = False) -> PaperLoop:
    """The decision core and paper venue a spec describes (one asset: the spec's symbol);
    ``venue_fills``: fills come from a real venue (:meth:`PaperLoop.live`)."""
    return PaperLoop.live(
        spec.strategy_spec,
        (spec.data.symbol,),
        bar_ns=timeframe_ms(spec.data.timeframe) * _NS_PER_MS,
        window=spec.live.window,
        venue_fills=venue_fills,
        **spec.backtest_kwargs(),
    )


def outcomes_of(executions: list[Execution], intents: dict[int, np.ndarray], m: int) -> np.ndarray:
    """The executions of a bar as :data:`~soltrader.domain.state.venue_outcome_dt` records
    (one per asset): an entry intent's in the entry fields, any other's in the exit fields.

    Raises
    ------
    JournalMismatchError
        An execution of an intent that is not known, or two for the same order.
    """
    out = np.zeros(m, dtype=venue_outcome_dt)
    for ex in executions:
        intent = intents.get(ex.client_id)
        if intent is None:
            raise JournalMismatchError(f"intent {ex.client_id:016x} executed but not journalled")
        j = int(intent["asset"])
        slot = "entry" if int(intent["reason"]) == IntentReason.ENTRY else "exit"
        if out[j][f"{slot}_state"] != OutcomeState.NONE:
            raise JournalMismatchError(f"two outcomes for the {slot} of asset {j} at one bar")
        if ex.fill is None:
            out[j][f"{slot}_state"] = OutcomeState.REFUSED
            continue
        out[j][f"{slot}_state"] = OutcomeState.FILLED
        for name in ("size", "price", "fees"):
            out[j][f"{slot}_{name}"] = ex.fill[name]
    return out


class KillSwitch(NamedTuple):
    """The ``[risk]`` kill-switch limits (fractions of equity; None: off)."""

    drawdown: float | None
    daily_loss: float | None

    def breach(self, equity: float, peak: float, day_start: float) -> str | None:
        """Why the limits are breached at this equity (quote), or None."""
        if self.drawdown is not None and peak > 0 and 1 - equity / peak >= self.drawdown:
            return f"drawdown {1 - equity / peak:.2%} >= kill_drawdown {self.drawdown:.2%}"
        if self.daily_loss is not None and day_start > 0:
            loss = 1 - equity / day_start
            if loss >= self.daily_loss:
                return f"daily loss {loss:.2%} >= kill_daily_loss {self.daily_loss:.2%}"
        return None


class _Marks:
    """Peak equity and the UTC day's starting equity, for the kill switch."""

    def __init__(self) -> None:
        self.peak = -np.inf
        self.day = -1
        self.day_start = np.nan

    def update(self, open_time_ms: int, equity: float) -> None:
        day = open_time_ms // _MS_PER_DAY
        if day != self.day:
            self.day, self.day_start = day, equity
        self.peak = max(self.peak, equity)


class BarReport(NamedTuple):
    """A decided bar as the operations surface sees it (metrics, notifications): the bar's
    index and open time (ms), its close (quote per base), the control mode it ran under, its
    intents and the fills booked with it (:data:`~soltrader.domain.state.intent_dt`,
    :data:`~soltrader.domain.records.fill_dt`), the venue's refusals, the account after it
    (quote; base units), the equity peak so far and the decision latency (seconds from the
    bar's arrival, after any execution of the bar before was awaited, to its journal commit)."""

    bar: int
    open_time_ms: int
    close: float
    control: int
    intents: np.ndarray
    fills: np.ndarray
    refused: tuple[Refusal, ...]
    cash: float
    equity: float
    position: float
    peak_equity: float
    latency_s: float


class RunEvent(NamedTuple):
    """Something the runner did that operators watch: ``kind`` is ``"bar"`` (``bar`` holds
    the report), ``"quarantine"``, ``"halt"``, ``"resume"``, ``"mode"``, ``"error"`` or
    ``"reconcile"``; ``detail`` says what in words; ``at_ms`` is the open time of the bar it
    concerns (-1: none yet).

    Examples
    --------
    >>> RunEvent("halt", "kill switch: drawdown 0.21 > 0.2", 1_700_000_000_000).kind
    'halt'
    """

    kind: str
    detail: str
    at_ms: int
    bar: BarReport | None = None


class RunnerState(NamedTuple):
    """The runner's own state for the health check: bars decided in this run and restored
    from the journal, the open time of the last bar decided (ms; None: none yet), seconds since
    a bar was last decided (or since the start), the halt reason (None: not halted), the
    control mode's name, edge errors in the last hour, the position (base units), the last
    reconciliation's problem (None: none, or no reconciling venue) and the executions still
    running or waiting to be booked."""

    decided: int
    restored: int
    last_open_time_ms: int | None
    seconds_since_bar: float
    halted: str | None
    mode: str
    errors_last_hour: int
    position: float
    reconcile_problem: str | None
    executions_pending: int


Listener = Callable[[RunEvent], None]


class Runner:
    """The thin live loop over one spec (see the module docstring).

    Parameters
    ----------
    spec : LiveSpec
        The validated spec.
    journal : Journal
        Its journal (opened for writing).
    bars : callable
        ``bars(start_ms)`` gives an async iterator of :class:`soltrader.domain.bar.Bar` records
        from that open time on, each closed bar once, in order.
    until_ms : int, optional
        Stop after deciding the bar that opens at this time (a replay's last bar).
    start_ms : int
        Open time of the first bar when the journal is empty.
    on_status : callable, optional
        Gets a one-line status every ``spec.live.status_every`` bars.
    clock : callable
        Monotonic seconds, for the error-rate and stale-data kill switch (a test passes its own).
    state_dir : Path, optional
        Where operator requests arrive (:mod:`soltrader.runtime.control`); None: none.
    venue : ExecutingVenue, optional
        A real venue that executes the intents (named ``spec.live.venue`` in the journal);
        None: the paper venue (the fill model).

    Examples
    --------
    >>> runner = Runner(spec, journal, feed.closed, start_ms=t0)   # doctest: +SKIP
    >>> summary = await runner.run()                                 # doctest: +SKIP
    """

    def __init__(
        self,
        spec: LiveSpec,
        journal: Journal,
        bars: Callable[[int], AsyncIterator[Any]],
        *,
        start_ms: int,
        until_ms: int | None = None,
        on_status: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        state_dir: Path | None = None,
        venue: ExecutingVenue | None = None,
    ) -> None:
        self.spec = spec
        self.journal = journal
        self._bars = bars
        self._start_ms = int(start_ms)
        self._until_ms = until_ms
        self._on_status = on_status or (lambda line: None)
        self._kill = KillSwitch(spec.risk.kill_drawdown, spec.risk.kill_daily_loss)
        self._venue = venue
        self._reconciler = venue if isinstance(venue, ReconcilingVenue) else None
        self._loop = new_loop(spec, venue_fills=venue is not None)
        self._intents: dict[int, np.ndarray] = {}  # client id -> market intent not yet booked
        self._running: list[asyncio.Task[Execution]] = []  # executions of the last bar
        self._unbooked: list[Execution] = []  # ended, to be booked at the next decided bar
        self._marks = _Marks()
        self._stop = asyncio.Event()
        self._decided = 0
        self._quarantined = 0
        self._last_ms: int | None = None
        self._step_ms = timeframe_ms(spec.data.timeframe)
        self._restored: int | None = None
        #: Operator requests arriving in the state folder (None: none are watched).
        self._requests = None if state_dir is None else RequestWatch(state_dir)
        self._halted: HaltState | None = None
        self._mode = int(ControlMode.NORMAL)
        self._clock = clock
        self._errors: deque[float] = deque()
        self.last_bar_at = clock()  # monotonic seconds of the last bar decided (or the start)
        self.last_reconciliation: Reconciliation | None = None  # the venue's last one
        self._reconciled = False  # reconciled once in this run
        self._position = 0.0  # the position after the last bar stepped (base units)
        self._listeners: list[Listener] = []
        self._since_checkpoint = 0  # bars committed since the last journal checkpoint
        self._checkpoint_at: asyncio.Handle | None = None  # a checkpoint waiting on the loop

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with every :class:`RunEvent` (the metrics and the notifier do).

        A listener runs in the decision loop after the bar is journalled, so it must be quick
        and must not block; an exception it raises is logged and never stops the runner.
        """
        self._listeners.append(listener)

    def _emit(self, event: RunEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("a runner listener failed on a %s event", event.kind)

    def state(self) -> RunnerState:
        """The runner's state now (see :class:`RunnerState`)."""
        now = self._clock()
        recent = sum(1 for t in self._errors if t > now - 3600.0)
        rec = self.last_reconciliation
        return RunnerState(
            self._decided, self._restored or 0, self._last_ms, now - self.last_bar_at,
            None if self._halted is None else self._halted.reason,
            ControlMode(self._mode).name.lower(), recent, self._position,
            None if rec is None or not rec.problem else rec.problem,
            len(self._running) + len(self._unbooked),
        )  # fmt: skip

    def request_stop(self) -> None:
        """Stop after the bar being decided (SIGINT / SIGTERM call this)."""
        self._stop.set()

    # -- start: rebuild from the journal -----------------------------------------------------

    def restore(self) -> int:
        """Step the journalled bars through the loop and check the intents it re-derives equal
        the journalled ones (once; later calls return the same count); returns the number of
        bars restored."""
        if self._restored is not None:
            return self._restored
        self.journal.bind(spec_identity(self.spec))
        self.journal.autocheckpoint = AUTOCHECKPOINT_BACKSTOP  # checkpoints between bars
        self._halted = self.journal.halted()
        self._mode = mode_code(self.journal.meta().get(MODE_KEY, "normal"))
        bars = self.journal.bars()
        stored = self.journal.intents()
        booked = self._journalled_executions(stored)
        derived = []
        for row in bars:
            ended = booked.pop(int(row["bar"]), [])
            out = self._step(
                int(row["open_time_ms"]),
                (
                    float(row["open"]),
                    float(row["high"]),
                    float(row["low"]),
                    float(row["close"]),
                    float(row["volume"]),
                ),
                int(row["control"]),
                self._outcomes(ended),
            )
            self._forget(ended)
            self._remember(out.intents)
            derived.append(out.intents)
            self._marks.update(int(row["open_time_ms"]), float(out.equity[0]))
        _same_intents(np.concatenate(derived) if derived else stored[:0], stored)
        if len(bars):
            self._last_ms = int(bars["open_time_ms"][-1])
        self._restored = len(bars)
        return self._restored

    def _journalled_executions(self, stored: np.ndarray) -> dict[int, list[Execution]]:
        """A real venue's executions in the journal, by the bar that booked them (none for
        the paper venue, whose fills the loop re-derives)."""
        booked: dict[int, list[Execution]] = {}
        if self._venue is None:
            return booked
        self._intents = {
            int(r["client_id"]): r for r in stored if int(r["reason"]) != IntentReason.CANCEL
        }
        done = self.journal.committed_fills()
        for i, fill in enumerate(done.fills):
            cid = int(np.int64(fill["order_id"]).view(np.uint64))
            ex = Execution(cid, fill, done.trade_id[i])
            booked.setdefault(int(done.commit_bar[i]), []).append(ex)
        for refusal in self.journal.refusals():
            ex = Execution(refusal.client_id, refused=refusal.reason)
            booked.setdefault(refusal.bar, []).append(ex)
        return booked

    def _remember(self, intents: np.ndarray) -> None:
        """Keep a real venue's market intents until their outcome is booked."""
        if self._venue is None:
            return
        for rec in intents:
            if int(rec["reason"]) != IntentReason.CANCEL:
                self._intents[int(rec["client_id"])] = rec.copy()

    def _outcomes(self, executions: list[Execution]) -> np.ndarray | None:
        """The loop's outcomes of ``executions`` (None with the paper venue)."""
        if self._venue is None:
            return None
        return outcomes_of(executions, self._intents, len(self._loop.assets))

    def _forget(self, executions: list[Execution]) -> None:
        """Booked: these intents are no longer waiting for an outcome."""
        for ex in executions:
            self._intents.pop(ex.client_id, None)

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> RunSummary:
        """Restore, then decide every bar the feed delivers until the end, a stop request or
        the feed ends."""
        restored = self.restore()
        start = self._start_ms if self._last_ms is None else self._last_ms + self._step_ms
        if self._venue is not None and not self._running:
            self._execute(np.array(list(self._intents.values()), dtype=intent_dt))
        stopped = "feed"
        try:
            if self._until_ms is not None and start > self._until_ms:
                stopped = "end"
            else:
                stopped = await self._consume(start)
            if self._venue is not None:  # the last bar's swaps end before the run does
                await self.drain()
        except VenueOutcomeUnknownError as unknown:
            log.error("stopped: %s", unknown)
            stopped = "venue"
        except ReconciliationError as mismatch:
            log.error("stopped: %s", mismatch)
            stopped = "reconcile"
        finally:
            self._checkpoint_now()  # one left waiting on the loop runs before the run ends
        status = self.journal.status()
        return RunSummary(
            self._decided,
            restored,
            self._quarantined,
            status.intents,
            self.journal.halted() is not None,
            stopped,
        )

    async def _consume(self, start: int) -> str:
        async with aclosing(self._bars(start)) as candles:
            async for candle in candles:
                if self._venue is None:
                    self.on_bar(candle)
                else:
                    await self.on_venue_bar(candle)
                if self._until_ms is not None and candle.open_time_ms >= self._until_ms:
                    return "end"
                if self._stop.is_set():
                    return "signal"
        return "feed"

    def on_bar(self, bar: Bar) -> BarOutcome | None:
        """Decide one closed bar (see the module docstring); None if it was quarantined."""
        started = time.perf_counter()
        if self._requests is not None:
            self.apply(self._requests.take())
        control = self._control()
        try:  # the loop checks the bar by the data rules before it changes anything
            out = self._step(bar.open_time_ms, bar.ohlcv, control)
        except BarRefusedError as bad:
            self._quarantine(bar, bad)
            return None
        self._commit(bar, control, out, out.fills, started=started)
        if self._since_checkpoint >= CHECKPOINT_EVERY:
            self._checkpoint_later()
        return out

    async def on_venue_bar(self, bar: Bar) -> BarOutcome | None:
        """Decide one closed bar with a real venue: await the executions of the bar before,
        book them, decide, journal, then execute this bar's intents; None if the bar was
        quarantined (the executions are booked at the next bar).

        Raises
        ------
        VenueOutcomeUnknownError
            An execution ended without an outcome (the runner is halted first).
        """
        if self._requests is not None:
            self.apply(self._requests.take())
        await self._settle()
        await self._reconcile()
        started = time.perf_counter()
        control = self._control()
        ended = self._unbooked
        try:
            out = self._step(bar.open_time_ms, bar.ohlcv, control, self._outcomes(ended))
        except BarRefusedError as bad:
            self._quarantine(bar, bad)
            return None
        self._forget(ended)
        self._unbooked = []
        self._remember(out.intents)
        fills = [ex for ex in ended if ex.fill is not None]
        booked = np.array([ex.fill for ex in fills], dtype=fill_dt)
        booked["bar"] = out.bar  # executed during this bar (decided at the close before)
        self._commit(
            bar, control, out, booked,
            trade_ids=tuple(ex.trade_id for ex in fills),
            refused=tuple(Refusal(ex.client_id, ex.refused) for ex in ended if ex.fill is None),
            started=started,
        )  # fmt: skip
        self._execute(out.intents)
        if self._since_checkpoint >= CHECKPOINT_EVERY:
            self._checkpoint_later()  # after the executions: they start first
        return out

    def _checkpoint_later(self) -> None:
        """Checkpoint the journal once the bar is done: on the running event loop (when the
        feed next waits), else now."""
        self._since_checkpoint = 0
        if self._checkpoint_at is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # stepped without an event loop
            self._checkpoint()
            return
        self._checkpoint_at = loop.call_soon(self._checkpoint)

    def _checkpoint_now(self) -> None:
        """Run a checkpoint still waiting on the loop (the run is ending)."""
        if self._checkpoint_at is not None:
            self._checkpoint_at.cancel()
            self._checkpoint()

    def _checkpoint(self) -> None:
        self._checkpoint_at = None
        try:
            self.journal.checkpoint()
        except JournalError as exc:  # the next commit meets the same trouble and reports it
            log.warning("journal checkpoint failed: %s", exc)

    async def _reconcile(self) -> None:
        """Before the first bar a run decides, then every ``reconcile_every`` bars: compare
        the venue's account with the journal's position (the last bar's, plus the executions
        waiting to be booked), once every execution has ended and before anything new is
        decided or sent; a problem halts the runner and stops it, the bar undecided.

        Raises
        ------
        ReconciliationError
            The venue reported a problem (its text names both quantities).
        """
        venue = self._reconciler
        if venue is None:
            return
        if self._decided % venue.reconcile_every != 0 and self._reconciled:
            return
        position = self._position + sum(
            float(ex.fill["size"]) * (1.0 if int(ex.fill["side"]) > 0 else -1.0)
            for ex in self._unbooked
            if ex.fill is not None
        )
        report = await venue.reconcile(position)
        self._reconciled = True
        self.last_reconciliation = report
        if report.cancelled:
            log.warning("reconciliation cancelled unknown orders %s", ", ".join(report.cancelled))
            cancelled = ", ".join(report.cancelled)
            self._emit(RunEvent("reconcile", f"cancelled unknown orders {cancelled}", self._at()))
        if report.problem:
            self._emit(RunEvent("reconcile", report.problem, self._at()))
            if self._halted is None:
                self._halt(f"reconciliation: {report.problem}")
            raise ReconciliationError(report.problem)

    def _execute(self, intents: np.ndarray) -> None:
        """Start executing a bar's market intents at the venue (after they are journalled)."""
        assert self._venue is not None
        for rec in intents:
            if int(rec["reason"]) != IntentReason.CANCEL:
                self._running.append(asyncio.ensure_future(self._venue.execute(rec.copy())))

    async def _settle(self) -> None:
        """Await every running execution; their outcomes wait to be booked."""
        running, self._running = self._running, []
        if not running:
            return
        results = await asyncio.gather(*running, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                why = f"an execution ended without an outcome ({type(result).__name__})"
                self.note_error(why)
                if self._halted is None:
                    self._halt(f"venue: {why}")
                raise VenueOutcomeUnknownError(why)
            self._unbooked.append(result)

    async def drain(self) -> list[Execution]:
        """Await the executions still running (after the last bar) and return every execution
        not booked yet (a restart books them at its first bar).

        Raises
        ------
        VenueOutcomeUnknownError
            An execution ended without an outcome (the runner is halted first).
        """
        await self._settle()
        return list(self._unbooked)

    def _commit(
        self,
        bar: Bar,
        control: int,
        out: BarOutcome,
        fills: np.ndarray,
        *,
        trade_ids: tuple[str, ...] = (),
        refused: tuple[Refusal, ...] = (),
        started: float | None = None,
    ) -> None:
        """Journal a decided bar (with the venue's fills), then the marks and kill switch;
        ``started`` is the ``perf_counter`` time the decision began (for its latency)."""
        equity = float(out.equity[0])
        self._marks.update(bar.open_time_ms, equity)
        cash, position = float(out.cash[0]), float(out.position[0])
        self.journal.commit_bar(
            BarCommit(
                out.bar, bar.open_time_ms, *bar.ohlcv, control, out.intents, fills, cash,
                equity, position, PAPER_VENUE if self._venue is None else self.spec.live.venue,
                trade_ids, refused,
            )
        )  # fmt: skip
        latency = 0.0 if started is None else time.perf_counter() - started
        self._since_checkpoint += 1
        self._last_ms = bar.open_time_ms
        self.last_bar_at = self._clock()
        self._decided += 1
        if self._listeners:
            report = BarReport(
                out.bar, bar.open_time_ms, float(bar.ohlcv[3]), control, out.intents, fills,
                refused, cash, equity, position, self._marks.peak, latency,
            )  # fmt: skip
            self._emit(RunEvent("bar", f"bar {out.bar} decided", bar.open_time_ms, report))
        self._check_kill(bar.open_time_ms, equity)
        if self._decided % self.spec.live.status_every == 0:
            self._on_status(self.status_line(out))

    def _quarantine(self, bar: Bar, error: BarRefusedError) -> None:
        """Journal a candle the data rules refuse, with its reason code (once per open time)."""
        bad = QuarantinedCandle(
            bar.open_time_ms, str(error.code), error.field, str(error), *map(float, bar.ohlcv)
        )
        if self.journal.quarantine(bad):
            self._quarantined += 1
            log.warning("candle %d quarantined: %s", bar.open_time_ms, bad.code)
            self._emit(RunEvent("quarantine", f"{bad.code}: {bad.message}", bar.open_time_ms))

    def _step(
        self, open_time_ms: int, values: Any, control: int, outcomes: np.ndarray | None = None
    ) -> BarOutcome:
        """The bar's ``(open, high, low, close, volume)`` through the loop (one asset: the
        values as they are, scalars)."""
        mode = None if control == ControlMode.NORMAL else control
        out = self._loop.step(
            open_time_ms * _NS_PER_MS, *values, control=mode, outcomes=outcomes
        )  # fmt: skip
        self._position = float(out.position[0])
        return out

    def apply(self, request: OperatorRequest | None) -> None:
        """An operator's request (halt, resume, control mode), persisted in the journal."""
        if request is None:
            return
        if request.action == "halt":
            if self._halted is None:
                self._halt(f"operator: {request.value}")
        elif request.action == "resume":
            self.journal.resume()
            self._halted = None
            log.warning("resumed by the operator")
            self._emit(RunEvent("resume", "resumed by the operator", self._at()))
        else:
            self.journal.set_meta(MODE_KEY, request.value)
            self._mode = mode_code(request.value)
            log.warning("control mode set to %s by the operator", request.value)
            self._emit(RunEvent("mode", f"control mode {request.value}", self._at()))

    def _control(self) -> int:
        return int(ControlMode.EMERGENCY) if self._halted is not None else self._mode

    def _check_kill(self, open_time_ms: int, equity: float) -> None:
        if self._halted is not None:
            return
        why = self._kill.breach(equity, self._marks.peak, self._marks.day_start)
        if why is not None:
            self._halt(f"kill switch: {why}")

    def note_error(self, detail: str) -> None:
        """Count an error of the edge (a dropped or stale feed, a failed call); more than
        ``[risk] max_errors_per_hour`` in the last hour halts the runner."""
        limit = self.spec.risk.max_errors_per_hour
        now = self._clock()
        self._errors.append(now)
        while self._errors and self._errors[0] <= now - 3600.0:
            self._errors.popleft()
        self._emit(RunEvent("error", detail, self._at()))
        if limit is not None and len(self._errors) > limit and self._halted is None:
            self._halt(f"kill switch: {len(self._errors)} errors in the last hour (last: {detail})")

    def check_stale(self) -> None:
        """Halt when no bar has been decided for ``[risk] kill_stale_s`` seconds."""
        limit = self.spec.risk.kill_stale_s
        quiet = self._clock() - self.last_bar_at
        if limit is not None and quiet > limit and self._halted is None:
            self._halt(f"kill switch: no bar for {quiet:.1f} s (kill_stale_s {limit:g})")

    def _at(self) -> int:
        """The open time of the last bar decided (-1: none yet)."""
        return -1 if self._last_ms is None else self._last_ms

    def _halt(self, reason: str) -> None:
        self.journal.halt(reason, self._at())
        self._halted = self.journal.halted()
        log.error("HALTED: %s", reason)
        self._emit(RunEvent("halt", reason, self._at()))

    def status_line(self, out: BarOutcome) -> str:
        """One line: bars, last bar time, equity, position, intents, halted."""
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(out.time_ns / 1e9))
        halted = " HALTED" if self._halted is not None else ""
        return (
            f"bar {out.bar + 1} {when}Z equity {float(out.equity[0]):,.2f} "
            f"position {float(out.position[0]):.6g} intents {len(self._loop.intents())}{halted}"
        )


def _same_intents(derived: np.ndarray, stored: np.ndarray) -> None:
    """The intents the decision core re-derives from the journal's bars equal the journal's."""
    if len(derived) != len(stored):
        raise JournalMismatchError(
            f"the journal holds {len(stored)} intents but its bars give {len(derived)}: it was "
            "written by other code or another spec; move it aside to start afresh"
        )
    for name in derived.dtype.names:
        a, b = derived[name], stored[name]
        differ = a != b
        if np.issubdtype(a.dtype, np.floating):
            differ &= ~(np.isnan(a) & np.isnan(b))
        if differ.any():
            raise JournalMismatchError(
                f"intent {int(np.flatnonzero(differ)[0])} ({name}) differs between the journal "
                "and the decision core re-run on the journal's bars"
            )


def state_dir_for(spec_path: Path, override: Path | None = None) -> Path:
    """Where a spec's journal lives: ``--state DIR``, else ``[live] state_dir``, else
    ``<spec folder>/<spec name>/state``."""
    if override is not None:
        return override
    return spec_path.parent / spec_path.stem / "state"


__all__ = [
    "AUTOCHECKPOINT_BACKSTOP",
    "CHECKPOINT_EVERY",
    "BarReport",
    "JournalMismatchError",
    "KillSwitch",
    "Listener",
    "ReconciliationError",
    "RunEvent",
    "RunSummary",
    "Runner",
    "RunnerState",
    "VenueOutcomeUnknownError",
    "new_loop",
    "outcomes_of",
    "spec_identity",
    "state_dir_for",
]
