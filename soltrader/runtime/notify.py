"""Notifications of a running runner: trades, guard events, errors, a daily summary, the exit.

:class:`Notifier` is a runner listener: it turns :class:`~soltrader.runtime.runner.RunEvent`
records into short texts and puts them on a bounded queue without waiting (a full queue drops
its oldest text and counts it), so the decision loop never waits for the network. One task
sends them in order through the :class:`~soltrader.adapters.telegram.TelegramBot`, at most one
per second and 20 per minute (Telegram's limits for one chat), retrying a text that failed for a
reason that may pass (429 after Telegram's ``retry_after``, 5xx, no answer) with capped jittered
backoff, at most ``max_attempts`` times; a refusal (a wrong token, a wrong chat) is logged once
per text, never retried. Errors and quarantined candles are sent at most once per
``error_every_s`` seconds, with the count of those held back.

A process killed with ``kill -9`` cannot say so: that is what ``/health`` and an outside
uptime check are for (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, Self

from soltrader.adapters.resilience import RateLimiter, backoff_delays
from soltrader.adapters.telegram import TelegramError
from soltrader.domain.enums import ExitReason
from soltrader.runtime.runner import BarReport, RunEvent

log = logging.getLogger("soltrader.notify")
_MS_PER_DAY = 86_400_000
_EXIT_NAMES = {int(r): r.name.lower() for r in ExitReason}


class Sender(Protocol):
    """What sends one text (a :class:`~soltrader.adapters.telegram.TelegramBot`)."""

    async def send(self, text: str) -> int: ...

    async def close(self) -> None: ...


class _Day:
    """One UTC day of decided bars, for the daily summary."""

    def __init__(self, day: int, start_equity: float) -> None:
        self.day = day
        self.start_equity = start_equity
        self.end_equity = start_equity
        self.bars = 0
        self.fills = 0


class Notifier:
    """Send the runner's events to a chat (see the module docstring).

    Parameters
    ----------
    sender : Sender
        The bot.
    label : str
        Names the runner in every text (e.g. ``"sma_cross SOL/USDT 1m"``).
    base, quote : str
        The market's assets (for the texts).
    max_queue : int
        Texts waiting at most; more drop the oldest.
    max_attempts : int
        Sends of one text at most.
    error_every_s : float
        Least seconds between two error texts.
    daily_summary : bool
        Send a summary when a bar of a new UTC day is decided.
    clock, sleep, rng
        Monotonic seconds, the wait, the jitter (tests pass their own).

    Examples
    --------
    >>> async with Notifier(bot, label="sma SOL/USDT 1m") as notes:   # doctest: +SKIP
    ...     runner.subscribe(notes.on_event)
    ...     await runner.run()
    ...     await notes.close("stopped: end of the replay")
    """

    def __init__(
        self,
        sender: Sender,
        *,
        label: str,
        base: str = "",
        quote: str = "",
        max_queue: int = 200,
        max_attempts: int = 5,
        error_every_s: float = 300.0,
        daily_summary: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._sender = sender
        self.label = label
        self._base, self._quote = base, quote
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._max_queue = max_queue
        self._max_attempts = max_attempts
        self._error_every_s = error_every_s
        self._daily = daily_summary
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._limits = (
            RateLimiter(1, 1.0, clock=clock, sleep=sleep),
            RateLimiter(20, 60.0, clock=clock, sleep=sleep),
        )
        self._worker: asyncio.Task[None] | None = None
        self._last_error_at = -float("inf")
        self._held_errors = 0
        self._day: _Day | None = None
        self.sent = 0  # texts delivered
        self.dropped = 0  # texts dropped from a full queue
        self.failed = 0  # texts given up on

    # -- the listener (runs in the decision loop: never waits) ------------------------------

    def notify(self, text: str) -> None:
        """Queue ``text`` (never waits; a full queue drops its oldest text)."""
        if self._queue.qsize() >= self._max_queue:
            self._queue.get_nowait()
            self._queue.task_done()
            self.dropped += 1
        self._queue.put_nowait(f"{self.label}: {text}")

    def on_event(self, event: RunEvent) -> None:
        """Turn one runner event into texts."""
        if event.kind == "bar" and event.bar is not None:
            self._bar(event.bar)
        elif event.kind == "halt":
            self.notify(f"HALTED: {event.detail}")
        elif event.kind in ("resume", "mode", "reconcile"):
            self.notify(event.detail)
        elif event.kind in ("error", "quarantine"):
            self._error(f"{event.kind}: {event.detail}")

    def _bar(self, bar: BarReport) -> None:
        if self._daily:
            self._count_day(bar)
        for fill in bar.fills:
            side = "BUY" if int(fill["side"]) > 0 else "SELL"
            why = "entry" if int(fill["reason"]) < 0 else _EXIT_NAMES.get(int(fill["reason"]), "?")
            self.notify(
                f"{side} {float(fill['size']):.6g} {self._base} @ {float(fill['price']):.6g} "
                f"{self._quote} (fees {float(fill['fees']):.4g}, {why}); "
                f"equity {bar.equity:,.2f}"
            )
        for refusal in bar.refused:
            self.notify(f"venue refused intent {refusal.client_id:016x}: {refusal.reason}")

    def _count_day(self, bar: BarReport) -> None:
        day = bar.open_time_ms // _MS_PER_DAY
        if self._day is None:
            self._day = _Day(day, bar.equity)
        elif day != self._day.day:
            self.notify(self._summary(self._day))
            self._day = _Day(day, self._day.end_equity)
        self._day.bars += 1
        self._day.fills += len(bar.fills)
        self._day.end_equity = bar.equity

    def _summary(self, d: _Day) -> str:
        when = time.strftime("%Y-%m-%d", time.gmtime(d.day * 86_400))
        pnl = d.end_equity - d.start_equity
        pct = pnl / d.start_equity if d.start_equity else 0.0
        return (
            f"day {when} UTC: P&L {pnl:+,.2f} {self._quote} ({pct:+.2%}), equity "
            f"{d.end_equity:,.2f}, {d.fills} fills, {d.bars} bars"
        )

    def _error(self, text: str) -> None:
        now = self._clock()
        if now - self._last_error_at < self._error_every_s:
            self._held_errors += 1
            return
        held, self._held_errors = self._held_errors, 0
        self._last_error_at = now
        self.notify(text + (f" ({held} more since the last error text)" if held else ""))

    # -- the sender task ----------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._worker = asyncio.ensure_future(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self, final: str | None = None, timeout_s: float = 5.0) -> None:
        """Wait up to ``timeout_s`` seconds for the queued texts, stop the sender (texts not
        sent by then are counted as dropped), then send ``final`` (e.g. "process exited"),
        which therefore goes out even when the queue could not be emptied in time."""
        if self._worker is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout_s)
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()
            self.dropped += 1
        if final is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._deliver(f"{self.label}: {final}"), timeout_s)
        await self._sender.close()

    async def _run(self) -> None:
        while True:
            text = await self._queue.get()
            try:
                await self._deliver(text)
            except asyncio.CancelledError:
                self.dropped += 1  # stopped while sending it
                raise
            finally:
                self._queue.task_done()

    async def _deliver(self, text: str) -> None:
        delays = backoff_delays(1.0, 60.0, self._rng)
        for attempt in range(1, self._max_attempts + 1):
            try:
                async with contextlib.AsyncExitStack() as slots:
                    for limiter in self._limits:
                        await slots.enter_async_context(limiter.slot())
                    await self._sender.send(text)
            except TelegramError as exc:
                if not exc.retryable or attempt == self._max_attempts:
                    self.failed += 1
                    log.warning("notification given up after %d attempts: %s", attempt, exc)
                    return
                wait = exc.retry_after_s if exc.retry_after_s is not None else next(delays)
                if exc.status == 429:
                    for limiter in self._limits:
                        limiter.penalize(self._clock() + wait)
                else:
                    await self._sleep(wait)
                continue
            self.sent += 1
            return


__all__ = ["Notifier", "Sender"]
