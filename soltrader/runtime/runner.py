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
from soltrader.domain.state import ControlMode
from soltrader.engine.live_spec import LiveSpec
from soltrader.engine.paper import BarOutcome, BarRefusedError, PaperLoop
from soltrader.runtime.control import MODE_KEY, OperatorRequest, mode_code, take
from soltrader.runtime.journal import BarCommit, HaltState, Journal, QuarantinedCandle

log = logging.getLogger("soltrader.live")

_NS_PER_MS = 1_000_000
_MS_PER_DAY = 86_400_000


class JournalMismatchError(Error):
    """The runtime cannot go on safely (a journal that disagrees with the decision core)."""


class RunSummary(NamedTuple):
    """How a run ended: bars decided in this run, bars re-derived from the journal on start,
    candles quarantined, intents journalled in total, whether the runner is halted, why it
    stopped (``"end"``, ``"signal"``, ``"feed"``)."""

    decided: int
    restored: int
    quarantined: int
    intents: int
    halted: bool
    stopped: str


def spec_identity(spec: LiveSpec) -> str:
    """A stable text naming what a journal belongs to: the strategy, its parameters, the
    market and the backtest keywords (a journal is never resumed by another spec)."""
    text = repr(
        (
            spec.data.symbol,
            spec.data.timeframe,
            spec.strategy.name,
            sorted((k, repr(v)) for k, v in spec.backtest_kwargs().items()),
            spec.live.window,
        )
    )
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def new_loop(spec: LiveSpec) -> PaperLoop:
    """The decision core and paper venue a spec describes (one asset: the spec's symbol)."""
    return PaperLoop.live(
        spec.strategy_spec,
        (spec.data.symbol,),
        bar_ns=timeframe_ms(spec.data.timeframe) * _NS_PER_MS,
        window=spec.live.window,
        **spec.backtest_kwargs(),
    )


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
    ) -> None:
        self.spec = spec
        self.journal = journal
        self._bars = bars
        self._start_ms = int(start_ms)
        self._until_ms = until_ms
        self._on_status = on_status or (lambda line: None)
        self._kill = KillSwitch(spec.risk.kill_drawdown, spec.risk.kill_daily_loss)
        self._loop = new_loop(spec)
        self._marks = _Marks()
        self._stop = asyncio.Event()
        self._decided = 0
        self._quarantined = 0
        self._last_ms: int | None = None
        self._step_ms = timeframe_ms(spec.data.timeframe)
        self._restored: int | None = None
        self._state_dir = state_dir  # where operator requests arrive (None: none)
        self._halted: HaltState | None = None
        self._mode = int(ControlMode.NORMAL)
        self._clock = clock
        self._errors: deque[float] = deque()
        self.last_bar_at = clock()  # monotonic seconds of the last bar decided (or the start)

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
        self._halted = self.journal.halted()
        self._mode = mode_code(self.journal.meta().get(MODE_KEY, "normal"))
        bars = self.journal.bars()
        stored = self.journal.intents()
        derived = []
        for row in bars:
            out = self._step(
                int(row["open_time_ms"]),
                (row["open"], row["high"], row["low"], row["close"], row["volume"]),
                int(row["control"]),
            )
            derived.append(out.intents)
            self._marks.update(int(row["open_time_ms"]), float(out.equity[0]))
        _same_intents(np.concatenate(derived) if derived else stored[:0], stored)
        if len(bars):
            self._last_ms = int(bars["open_time_ms"][-1])
        self._restored = len(bars)
        return self._restored

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> RunSummary:
        """Restore, then decide every bar the feed delivers until the end, a stop request or
        the feed ends."""
        restored = self.restore()
        start = self._start_ms if self._last_ms is None else self._last_ms + self._step_ms
        stopped = "feed"
        if self._until_ms is not None and start > self._until_ms:
            stopped = "end"
        else:
            stopped = await self._consume(start)
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
                self.on_bar(candle)
                if self._until_ms is not None and candle.open_time_ms >= self._until_ms:
                    return "end"
                if self._stop.is_set():
                    return "signal"
        return "feed"

    def on_bar(self, bar: Bar) -> BarOutcome | None:
        """Decide one closed bar (see the module docstring); None if it was quarantined."""
        if self._state_dir is not None:
            self.apply(take(self._state_dir))
        control = self._control()
        try:  # the loop checks the bar by the data rules before it changes anything
            out = self._step(bar.open_time_ms, bar.ohlcv, control)
        except BarRefusedError as bad:
            self._quarantine(bar, bad)
            return None
        equity = float(out.equity[0])
        self._marks.update(bar.open_time_ms, equity)
        self.journal.commit_bar(
            BarCommit(
                out.bar, bar.open_time_ms, *bar.ohlcv, control, out.intents, out.fills,
                float(out.cash[0]), equity, float(out.position[0]),
            )
        )  # fmt: skip
        self._last_ms = bar.open_time_ms
        self.last_bar_at = self._clock()
        self._decided += 1
        self._check_kill(bar.open_time_ms, equity)
        if self._decided % self.spec.live.status_every == 0:
            self._on_status(self.status_line(out))
        return out

    def _quarantine(self, bar: Bar, error: BarRefusedError) -> None:
        """Journal a candle the data rules refuse, with its reason code (once per open time)."""
        bad = QuarantinedCandle(
            bar.open_time_ms, str(error.code), error.field, str(error), *map(float, bar.ohlcv)
        )
        if self.journal.quarantine(bad):
            self._quarantined += 1
            log.warning("candle %d quarantined: %s", bar.open_time_ms, bad.code)

    def _step(self, open_time_ms: int, values: Any, control: int) -> BarOutcome:
        cols = [np.array([float(v)]) for v in values]
        mode = None if control == ControlMode.NORMAL else control
        return self._loop.step(open_time_ms * _NS_PER_MS, *cols, control=mode)

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
        else:
            self.journal.set_meta(MODE_KEY, request.value)
            self._mode = mode_code(request.value)
            log.warning("control mode set to %s by the operator", request.value)

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
        if limit is not None and len(self._errors) > limit and self._halted is None:
            self._halt(f"kill switch: {len(self._errors)} errors in the last hour (last: {detail})")

    def check_stale(self) -> None:
        """Halt when no bar has been decided for ``[risk] kill_stale_s`` seconds."""
        limit = self.spec.risk.kill_stale_s
        quiet = self._clock() - self.last_bar_at
        if limit is not None and quiet > limit and self._halted is None:
            self._halt(f"kill switch: no bar for {quiet:.1f} s (kill_stale_s {limit:g})")

    def _halt(self, reason: str) -> None:
        self.journal.halt(reason, -1 if self._last_ms is None else self._last_ms)
        self._halted = self.journal.halted()
        log.error("HALTED: %s", reason)

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
    "JournalMismatchError",
    "KillSwitch",
    "RunSummary",
    "Runner",
    "new_loop",
    "spec_identity",
    "state_dir_for",
]
