"""Failure handling for the live runtime's calls to venues and feeds: breakers, limits, retries.

* :class:`CircuitBreaker` stops calling a dependency that keeps failing: after ``failures``
  consecutive failures every call is refused at once (:class:`CircuitOpenError`) for
  ``reset_after_s`` seconds, then exactly one probe call is let through; its outcome closes the
  breaker or opens it again with a fresh timer.
* :class:`RateLimiter` keeps a sliding-window log of its slots, so that in *any* interval of
  ``per_s`` seconds at most ``max_calls`` requests reach the provider; a slot held for a
  request counts from its reply, so a request's travel time cannot crowd a window. (A leaky
  bucket lets a full bucket drain and refill inside one window: up to ``2 * max_calls - 1``
  sends in one second for a ``max_calls`` per second limit.) :meth:`RateLimiter.penalize`
  honours an HTTP 429 ``Retry-After``.
* :func:`retrying` builds a :class:`tenacity.AsyncRetrying` with capped, fully jittered exponential
  backoff that retries only the exception types it is given; :func:`backoff_delays` yields the
  same delays for a reconnect loop.

Every clock here is an injected monotonic clock (seconds, :func:`time.monotonic` by default) and
every wait goes through an injected ``sleep`` (:func:`asyncio.sleep` by default), so tests drive
them on a fake clock without sleeping. Nothing here is thread-safe: one event loop owns each
object.

.. warning::
   A retry re-sends a request. Only wrap calls whose outcome is known not to have happened: a
   read (a GET of balances, candles, open orders), or a call refused before a byte was sent
   (connection refused, DNS failure). **Never retry an order placement (or cancel) whose reply
   was lost** (a timeout, a dropped connection, a 5xx after sending): the order may be live at
   the venue, and re-sending it can double the position. Reconcile with the venue instead (look
   the order up by its client id).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import enum
import math
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

import aiohttp
import tenacity

from soltrader.domain.errors import Error, ParameterError

T = TypeVar("T")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]
Hook = Callable[["BreakerState", "BreakerState"], Any]

#: Errors raised before any byte of a request was sent: the request certainly did not happen, so
#: it is safe to retry even a write. Timeouts and dropped connections are *not* here: the request
#: may have reached the venue.
PRE_SEND_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionRefusedError,
    aiohttp.ClientConnectorError,
)

_MAX_EXPONENT = 1000  # 2.0**1024 overflows; the cap applies long before
_MIN_WAIT_S = 1e-6  # the least an acquire waits after a refusal, so a fake clock always advances
_TRANSITIONS_KEPT = 256


# --------------------------------------------------------------------------- checks


def _positive(name: str, value: float) -> float:
    """``value`` as a float, refused unless finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(name, f"must be a number of seconds, got {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise ParameterError(name, f"must be finite and > 0 seconds, got {value!r}")
    return float(value)


def _count(name: str, value: int) -> int:
    """``value`` refused unless a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ParameterError(name, f"must be a whole number >= 1, got {value!r}")
    return value


def _exception_types(name: str, value: Any) -> tuple[type[BaseException], ...]:
    """``value`` as a non-empty tuple of exception classes."""
    types = (value,) if isinstance(value, type) else tuple(value)
    if not types or not all(isinstance(t, type) and issubclass(t, BaseException) for t in types):
        raise ParameterError(name, f"must be a non-empty tuple of exception classes, got {value!r}")
    return types


# --------------------------------------------------------------------------- circuit breaker


class BreakerState(enum.Enum):
    """The state of a :class:`CircuitBreaker`.

    Examples
    --------
    >>> BreakerState.HALF_OPEN.value
    'half_open'
    """

    CLOSED = "closed"  # calls go through; consecutive failures are counted
    OPEN = "open"  # every call is refused until the reset time
    HALF_OPEN = "half_open"  # one probe call may go through


class Transition(NamedTuple):
    """One state change of a breaker: when it happened (monotonic seconds; for a move to
    half-open, the reset time it became due) and the two states."""

    at_s: float
    old: BreakerState
    new: BreakerState


class CircuitOpenError(Error):
    """A call was refused by an open (or probing) circuit breaker; nothing was called.

    Parameters
    ----------
    breaker : str
        The breaker's name.
    retry_in_s : float
        Seconds until the breaker lets a probe through (0 when a probe is already in flight).
    probing : bool
        Whether the refusal is because another call is the probe.

    Examples
    --------
    >>> str(CircuitOpenError("binance-rest", 12.5))
    "circuit breaker 'binance-rest' is open: call refused, next probe in 12.5 s"
    """

    def __init__(self, breaker: str, retry_in_s: float, *, probing: bool = False) -> None:
        self.breaker = breaker
        self.retry_in_s = retry_in_s
        self.probing = probing
        if probing:
            text = f"circuit breaker {breaker!r} is half-open: call refused, a probe is in flight"
        else:
            text = (
                f"circuit breaker {breaker!r} is open: call refused, "
                f"next probe in {retry_in_s:.1f} s"
            )
        super().__init__(text)


class _Ticket(NamedTuple):
    """What :meth:`CircuitBreaker.call` remembers of an admitted call: the breaker's epoch
    (bumped on every transition) and whether the call is the half-open probe."""

    epoch: int
    probe: bool


class CircuitBreaker:
    """Refuse calls to a dependency after repeated failures, then probe it once in a while.

    Parameters
    ----------
    name : str
        Names the breaker in errors and transitions (e.g. ``"binance-rest"``).
    failures : int, default 3
        Consecutive counted failures that open the breaker (a success resets the count).
    reset_after_s : float, default 300.0
        Seconds an open breaker refuses calls before it lets one probe through.
    clock : callable, default time.monotonic
        Monotonic time in seconds.
    counts : tuple of exception classes, default (Exception,)
        The exceptions that count as failures of the dependency. Others (a refused parameter,
        a cancellation) pass through :meth:`call` without counting.
    on_change : callable, optional
        Called as ``on_change(old, new)`` after every state change (for logs and metrics).

    Attributes
    ----------
    transitions : collections.deque of Transition
        The last 256 state changes, oldest first.

    Notes
    -----
    A probe that never returns keeps the breaker half-open and refusing: bound the calls with a
    timeout. An outcome that arrives after the breaker changed state (a slow call admitted
    before it opened) is ignored by :meth:`call`.

    Examples
    --------
    >>> import asyncio
    >>> now = [0.0]
    >>> cb = CircuitBreaker("rest", failures=2, reset_after_s=60.0, clock=lambda: now[0])
    >>> cb.record_failure(); cb.record_failure(); cb.state
    <BreakerState.OPEN: 'open'>
    >>> cb.allow()
    False
    >>> now[0] = 60.0
    >>> cb.allow(), cb.allow()   # one probe, then refusals while it is in flight
    (True, False)
    >>> cb.record_success(); cb.state
    <BreakerState.CLOSED: 'closed'>
    >>> async def ping() -> str:
    ...     return "pong"
    >>> asyncio.run(cb.call(ping))
    'pong'
    """

    def __init__(
        self,
        name: str,
        *,
        failures: int = 3,
        reset_after_s: float = 300.0,
        clock: Clock = time.monotonic,
        counts: tuple[type[BaseException], ...] = (Exception,),
        on_change: Hook | None = None,
    ) -> None:
        self.name = name
        self.failures = _count("failures", failures)
        self.reset_after_s = _positive("reset_after_s", reset_after_s)
        self.counts = _exception_types("counts", counts)
        self.transitions: deque[Transition] = deque(maxlen=_TRANSITIONS_KEPT)
        self._clock = clock
        self._on_change = on_change
        self._state = BreakerState.CLOSED
        self._failed = 0
        self._opened_at = -math.inf
        self._probing = False
        self._epoch = 0

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r}, state={self.state.value}, failed={self._failed})"

    @property
    def state(self) -> BreakerState:
        """The current state (an open breaker whose time is up reads as half-open)."""
        self._refresh()
        return self._state

    @property
    def consecutive_failures(self) -> int:
        """Counted failures since the last success or reset."""
        return self._failed

    def retry_in_s(self) -> float:
        """Seconds until an open breaker lets a probe through (0 unless open)."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.reset_after_s - self._clock())

    def allow(self) -> bool:
        """Whether a call may go through now; in half-open state the first ``True`` makes the
        caller the probe, which must report with :meth:`record_success` or
        :meth:`record_failure`."""
        return self._admit() is not None

    def record_success(self) -> None:
        """Report a successful call: resets the failure count, closes a half-open breaker
        (ignored while open)."""
        self._refresh()
        if self._state is BreakerState.HALF_OPEN:
            self._move(BreakerState.CLOSED, at=self._clock())
        elif self._state is BreakerState.CLOSED:
            self._failed = 0

    def record_failure(self) -> None:
        """Report a failed call: counts it while closed (opening at ``failures``), opens a
        half-open breaker again with a fresh timer (ignored while open)."""
        self._refresh()
        if self._state is BreakerState.HALF_OPEN:
            self._open()
        elif self._state is BreakerState.CLOSED:
            self._failed += 1
            if self._failed >= self.failures:
                self._open()

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Await ``fn(*args, **kwargs)`` through the breaker.

        Parameters
        ----------
        fn : coroutine function
            The call to the dependency.
        *args, **kwargs
            Passed to ``fn``.

        Returns
        -------
        Any
            What ``fn`` returned.

        Raises
        ------
        CircuitOpenError
            The breaker is open, or half-open with a probe in flight; ``fn`` was not called.
        Exception
            Whatever ``fn`` raised (counted as a failure if it is one of ``counts``).
        """
        ticket = self._admit()
        if ticket is None:
            raise self._refusal()
        try:
            result = await fn(*args, **kwargs)
        except self.counts:
            self._settle(ticket, ok=False)
            raise
        except BaseException:
            self._release(ticket)
            raise
        self._settle(ticket, ok=True)
        return result

    # -- internals

    def _refresh(self) -> None:
        """Turn an open breaker whose reset time has come half-open."""
        if self._state is BreakerState.OPEN:
            due = self._opened_at + self.reset_after_s
            if self._clock() - self._opened_at >= self.reset_after_s:
                self._move(BreakerState.HALF_OPEN, at=due)

    def _admit(self) -> _Ticket | None:
        """A ticket for a call allowed now (the probe, in half-open state), else None."""
        self._refresh()
        if self._state is BreakerState.CLOSED:
            return _Ticket(self._epoch, probe=False)
        if self._state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return _Ticket(self._epoch, probe=True)
        return None

    def _refusal(self) -> CircuitOpenError:
        """The error for a refused call."""
        probing = self._state is BreakerState.HALF_OPEN
        return CircuitOpenError(self.name, self.retry_in_s(), probing=probing)

    def _settle(self, ticket: _Ticket, *, ok: bool) -> None:
        """Record an admitted call's outcome, unless the breaker moved on since it began."""
        if ticket.epoch != self._epoch:
            return
        if ok:
            self.record_success()
        else:
            self.record_failure()

    def _release(self, ticket: _Ticket) -> None:
        """Free the probe slot after an outcome that does not count (e.g. a cancellation)."""
        if ticket.probe and ticket.epoch == self._epoch:
            self._probing = False

    def _open(self) -> None:
        """Open the breaker with a fresh timer."""
        self._opened_at = self._clock()
        self._move(BreakerState.OPEN, at=self._opened_at)

    def _move(self, new: BreakerState, *, at: float) -> None:
        """Change state at monotonic time ``at``, reset the per-state fields, record and report
        the transition."""
        old, self._state = self._state, new
        self._epoch += 1
        self._probing = False
        if new is BreakerState.CLOSED:
            self._failed = 0
        self.transitions.append(Transition(at, old, new))
        if self._on_change is not None:
            self._on_change(old, new)


# --------------------------------------------------------------------------- rate limiter


class Hold:
    """One slot of a :class:`RateLimiter`, taken by :meth:`RateLimiter.hold`: it counts from
    the time :meth:`RateLimiter.release` gives it back (``at``, monotonic seconds; infinite
    while the request is in flight)."""

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at

    def __repr__(self) -> str:
        return f"Hold(at={self.at})"


class RateLimiter:
    """At most ``max_calls`` requests in any interval of ``per_s`` seconds, wherever the
    provider counts them (a sliding log).

    The limiter keeps the last ``max_calls`` slots; a new one is granted only when the oldest of
    them is at least ``per_s`` seconds old. A slot taken with :meth:`acquire` counts from the
    moment it is granted. A slot taken with :meth:`hold` (or the :meth:`slot` context) counts
    from the moment the request is over (:meth:`release`), when its reply (or its failure) came
    back: the provider saw the request at some time between the two, so however late the
    request travelled (a busy event loop, a slow network), any ``max_calls + 1`` requests reach
    the provider at least ``per_s`` seconds apart. A slot whose request is in flight blocks its
    turn until released.

    Parameters
    ----------
    max_calls : int
        Requests allowed per window (>= 1).
    per_s : float
        The window's length in seconds (> 0).
    clock : callable, default time.monotonic
        Monotonic time in seconds.
    sleep : coroutine function, default asyncio.sleep
        Waits a number of seconds (:meth:`acquire` and :meth:`hold` use it).

    Examples
    --------
    >>> now = [0.0]
    >>> lim = RateLimiter(2, 1.0, clock=lambda: now[0])
    >>> lim.try_acquire(), lim.try_acquire(), lim.try_acquire()
    (True, True, False)
    >>> lim.wait_time()
    1.0
    >>> now[0] = 1.0
    >>> held = lim.try_hold()         # a request goes out at 1.0 ...
    >>> lim.try_acquire()
    True
    >>> now[0] = 2.5
    >>> lim.try_acquire(), lim.wait_time()   # ... and is still out: its slot is not free
    (False, 1.0)
    >>> lim.release(held)             # its reply came at 2.5: the slot counts from there
    >>> now[0] = 3.5
    >>> lim.try_acquire()
    True
    >>> lim.penalize(30.0)   # e.g. an HTTP 429 with Retry-After: 26.5
    >>> lim.wait_time()
    26.5
    >>> lim.acquired, lim.penalized   # what the metrics report per provider
    (5, 1)
    """

    def __init__(
        self,
        max_calls: int,
        per_s: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.max_calls = _count("max_calls", max_calls)
        self.per_s = _positive("per_s", per_s)
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[Hold] = deque(maxlen=self.max_calls)
        self._blocked_until = -math.inf
        self._queue: asyncio.Lock | None = None
        self.acquired = 0  # slots granted (requests sent) since construction
        self.penalized = 0  # penalties (rate-limit answers: HTTP 429 / 418) since construction

    def __repr__(self) -> str:
        return f"RateLimiter({self.max_calls}, {self.per_s})"

    @property
    def clock(self) -> Callable[[], float]:
        """The limiter's monotonic clock (seconds): :meth:`penalize` takes a time on it."""
        return self._clock

    def wait_time(self) -> float:
        """Seconds until a slot could be granted (0 if one can now); while the oldest slot's
        request is in flight, ``per_s``, the least it can still take."""
        now = self._clock()
        penalty = self._blocked_until - now
        window = 0.0
        if len(self._sent) == self.max_calls:
            window = min(self.per_s, self.per_s - (now - self._sent[0].at))
        return max(0.0, penalty, window)

    def try_hold(self) -> Hold | None:
        """Take a slot now if one is free, to :meth:`release` when the request is over; never
        waits. None when no slot is free."""
        now = self._clock()
        if now < self._blocked_until:
            return None
        if len(self._sent) == self.max_calls and now - self._sent[0].at < self.per_s:
            return None
        held = Hold(math.inf)
        self._sent.append(held)  # the deque's maxlen drops the oldest
        self.acquired += 1
        return held

    def release(self, held: Hold) -> None:
        """The request of ``held`` is over (answered or failed): its slot counts from now."""
        held.at = min(held.at, self._clock())

    def try_acquire(self) -> bool:
        """Take a slot now if one is free, counted from now; never waits."""
        held = self.try_hold()
        if held is not None:
            self.release(held)
        return held is not None

    async def hold(self) -> Hold:
        """Wait (through the injected ``sleep``) until a slot is free, then take it, to
        :meth:`release` when the request is over.

        Concurrent callers are served first come, first served.
        """
        if self._queue is None:
            self._queue = asyncio.Lock()
        async with self._queue:
            while (held := self.try_hold()) is None:
                await self._sleep(max(self.wait_time(), _MIN_WAIT_S))
        return held

    async def acquire(self) -> None:
        """Wait until a slot is free, then take it, counted from now (:meth:`hold` without
        the release)."""
        self.release(await self.hold())

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a slot for the body of an ``async with``: it counts from the body's end, even
        when the body raises or is cancelled.

        Examples
        --------
        >>> async def fetch(lim):
        ...     async with lim.slot():
        ...         return "the reply"
        >>> lim = RateLimiter(1, 1.0)
        >>> asyncio.run(fetch(lim)), lim.wait_time() > 0.9
        ('the reply', True)
        """
        held = await self.hold()
        try:
            yield
        finally:
            self.release(held)

    def penalize(self, until: float) -> None:
        """Refuse every slot until the monotonic time ``until`` (seconds).

        A later penalty extends an earlier one; an earlier one never shortens it. For an HTTP
        429 or 418 with ``Retry-After: s``, call ``penalize(clock() + s)``.
        """
        self._blocked_until = max(self._blocked_until, float(until))
        self.penalized += 1


class Provider(NamedTuple):
    """A remote service the runtime calls, as the health check and the metrics see it: its
    name (e.g. ``"binance"``, ``"rpc main"``, ``"jupiter"``), its rate limiter (requests sent,
    rate-limit answers) and its circuit breaker, when it has them.

    Examples
    --------
    >>> p = Provider("jupiter", RateLimiter(10, 1.0), CircuitBreaker("jupiter"))
    >>> p.name, p.breaker.state.value, p.limiter.acquired
    ('jupiter', 'closed', 0)
    """

    name: str
    limiter: RateLimiter | None = None
    breaker: CircuitBreaker | None = None


def retry_after_s(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds (delta seconds or an HTTP date); None when it is
    absent, unreadable or not finite.

    Examples
    --------
    >>> retry_after_s("2"), retry_after_s(None), retry_after_s("soon"), retry_after_s("inf")
    (2.0, None, None, None)
    >>> retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT")   # a date in the past: no wait
    0.0
    """
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return max(0.0, seconds) if math.isfinite(seconds) else None


# --------------------------------------------------------------------------- retries


def _ceiling(base_s: float, cap_s: float, k: int) -> float:
    """The k-th (0-based) backoff ceiling: ``min(cap_s, base_s * 2**k)`` seconds."""
    return min(cap_s, base_s * 2.0 ** min(k, _MAX_EXPONENT))


def _delays(base_s: float, cap_s: float, rng: Callable[[], float]) -> Iterator[float]:
    """The endless delays of :func:`backoff_delays` (arguments already checked)."""
    k = 0
    while True:
        yield rng() * _ceiling(base_s, cap_s, k)
        k += 1


def backoff_delays(
    base_s: float = 0.5, cap_s: float = 30.0, rng: Callable[[], float] = random.random
) -> Iterator[float]:
    """Endless capped exponential delays with full jitter, in seconds.

    The k-th delay (k = 0, 1, ...) is ``rng() * min(cap_s, base_s * 2**k)``: uniform in
    ``[0, min(cap_s, base_s * 2**k)]`` for ``rng`` uniform in ``[0, 1)``. A reconnect loop takes
    ``next()`` before each attempt and starts a new generator after a successful connection.

    Parameters
    ----------
    base_s : float, default 0.5
        The first delay's ceiling, in seconds.
    cap_s : float, default 30.0
        The largest ceiling, in seconds.
    rng : callable, default random.random
        Returns a float in ``[0, 1)``.

    Returns
    -------
    Iterator of float
        The delays in seconds.

    Examples
    --------
    >>> d = backoff_delays(0.5, 3.0, rng=lambda: 1.0)
    >>> [next(d) for _ in range(5)]
    [0.5, 1.0, 2.0, 3.0, 3.0]
    """
    return _delays(_positive("base_s", base_s), _positive("cap_s", cap_s), rng)


def retrying(
    *,
    attempts: int = 5,
    base_s: float = 0.5,
    cap_s: float = 30.0,
    retry_on: tuple[type[BaseException], ...] = PRE_SEND_ERRORS,
    sleep: Sleep = asyncio.sleep,
    rng: Callable[[], float] = random.random,
) -> tenacity.AsyncRetrying:
    """A retry policy for idempotent async calls: capped exponential backoff, full jitter.

    .. warning::
       Only wrap a call whose outcome is known not to have happened when it fails: a read (GET)
       or a request refused before it was sent (the default ``retry_on``). **Never wrap an order
       placement or cancel whose reply may have been lost** (timeout, dropped connection, 5xx):
       the venue may have acted on it, and a retry can double the order. Reconcile by client
       order id instead.

    Parameters
    ----------
    attempts : int, default 5
        Calls in all, the first included (>= 1).
    base_s : float, default 0.5
        The first wait's ceiling, in seconds.
    cap_s : float, default 30.0
        The largest wait's ceiling, in seconds.
    retry_on : tuple of exception classes, default PRE_SEND_ERRORS
        The only exceptions that are retried; any other propagates at once.
    sleep : coroutine function, default asyncio.sleep
        Waits a number of seconds.
    rng : callable, default random.random
        Returns a float in ``[0, 1)``; the wait before retry k (k = 0, 1, ...) is
        ``rng() * min(cap_s, base_s * 2**k)`` seconds.

    Returns
    -------
    tenacity.AsyncRetrying
        Use as ``await policy(fn, *args)`` or ``async for attempt in policy: with attempt: ...``.
        When every attempt fails, the last exception is raised as is (``reraise=True``).

    Examples
    --------
    >>> import asyncio
    >>> waits, calls = [], []
    >>> async def no_sleep(s: float) -> None:
    ...     waits.append(s)
    >>> async def get_candles() -> str:
    ...     calls.append(1)
    ...     if len(calls) < 3:
    ...         raise ConnectionRefusedError("venue not listening")
    ...     return "candles"
    >>> policy = retrying(attempts=4, base_s=1.0, sleep=no_sleep, rng=lambda: 0.5)
    >>> asyncio.run(policy(get_candles)), waits
    ('candles', [0.5, 1.0])
    """
    attempts = _count("attempts", attempts)
    base_s, cap_s = _positive("base_s", base_s), _positive("cap_s", cap_s)
    types = _exception_types("retry_on", retry_on)

    def wait(state: tenacity.RetryCallState) -> float:
        return rng() * _ceiling(base_s, cap_s, state.attempt_number - 1)

    return tenacity.AsyncRetrying(
        sleep=sleep,
        stop=tenacity.stop_after_attempt(attempts),
        wait=wait,
        retry=tenacity.retry_if_exception_type(types),
        reraise=True,
    )


__all__ = [
    "PRE_SEND_ERRORS",
    "BreakerState",
    "CircuitBreaker",
    "CircuitOpenError",
    "Provider",
    "RateLimiter",
    "Transition",
    "backoff_delays",
    "retry_after_s",
    "retrying",
]
