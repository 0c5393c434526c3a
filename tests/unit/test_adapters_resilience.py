"""The edge's circuit breaker, sliding-window rate limiter and retry policy, on a fake clock."""

from __future__ import annotations

import asyncio
import random

import pytest
import tenacity
from hypothesis import given
from hypothesis import strategies as hs

from soltrader.adapters.resilience import (
    PRE_SEND_ERRORS,
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    Hold,
    RateLimiter,
    Transition,
    backoff_delays,
    retrying,
)
from soltrader.domain.errors import Error, ParameterError

CLOSED, OPEN, HALF_OPEN = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN


class FakeClock:
    """A monotonic clock moved by hand, with a sleep that records its waits and advances it."""

    def __init__(self, t: float = 0.0) -> None:
        self.t = t
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def advance(self, s: float) -> None:
        self.t += s

    async def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s


class DownError(Exception):
    """The dependency failed."""


async def _fail() -> None:
    raise DownError("venue 503")


async def _ok() -> str:
    return "ok"


def _breaker(clock: FakeClock, **kw) -> tuple[CircuitBreaker, list[tuple[BreakerState, ...]]]:
    changes: list[tuple[BreakerState, ...]] = []
    cb = CircuitBreaker(
        "venue", clock=clock, on_change=lambda old, new: changes.append((old, new)), **kw
    )
    return cb, changes


def _fail_times(cb: CircuitBreaker, n: int) -> None:
    for _ in range(n):
        with pytest.raises(DownError):
            asyncio.run(cb.call(_fail))


# --------------------------------------------------------------------------- circuit breaker


def test_breaker_opens_after_three_consecutive_failures_and_refuses_at_once() -> None:
    clock = FakeClock()
    cb, changes = _breaker(clock)
    _fail_times(cb, 2)
    assert cb.state is CLOSED and cb.consecutive_failures == 2
    _fail_times(cb, 1)
    assert cb.state is OPEN and changes == [(CLOSED, OPEN)]
    called: list[int] = []

    async def spy() -> None:
        called.append(1)

    clock.advance(100.0)
    with pytest.raises(CircuitOpenError) as info:
        asyncio.run(cb.call(spy))
    assert called == []
    err = info.value
    assert isinstance(err, Error) and err.breaker == "venue" and not err.probing
    assert err.retry_in_s == pytest.approx(200.0)
    assert "'venue'" in str(err) and "200.0 s" in str(err)
    assert not cb.allow()


def test_a_success_resets_the_consecutive_count() -> None:
    cb, _ = _breaker(FakeClock())
    _fail_times(cb, 2)
    assert asyncio.run(cb.call(_ok)) == "ok"
    _fail_times(cb, 2)
    assert cb.state is CLOSED


def test_half_open_after_reset_lets_exactly_one_probe_and_success_closes() -> None:
    clock = FakeClock()
    cb, changes = _breaker(clock)
    _fail_times(cb, 3)
    clock.advance(299.999)
    assert cb.state is OPEN
    clock.advance(0.001)
    assert cb.state is HALF_OPEN

    async def scenario() -> tuple[str, CircuitOpenError]:
        gate = asyncio.Event()

        async def slow_probe() -> str:
            await gate.wait()
            return "probe ok"

        probe = asyncio.create_task(cb.call(slow_probe))
        await asyncio.sleep(0)  # the probe is admitted and waits
        with pytest.raises(CircuitOpenError) as info:
            await cb.call(_ok)
        gate.set()
        return await probe, info.value

    result, refused = asyncio.run(scenario())
    assert result == "probe ok"
    assert refused.probing and refused.retry_in_s == 0.0 and "probe is in flight" in str(refused)
    assert cb.state is CLOSED and cb.consecutive_failures == 0
    assert changes == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]
    assert [t.at_s for t in cb.transitions] == [0.0, 300.0, 300.0]
    assert asyncio.run(cb.call(_ok)) == "ok"


def test_probe_failure_reopens_with_a_fresh_timer() -> None:
    clock = FakeClock()
    cb, changes = _breaker(clock)
    _fail_times(cb, 3)
    clock.advance(450.0)  # late: the probe comes well after the reset time
    _fail_times(cb, 1)
    assert cb.state is OPEN
    assert cb.transitions[-1] == Transition(450.0, HALF_OPEN, OPEN)
    assert cb.retry_in_s() == pytest.approx(300.0)
    clock.advance(299.0)
    with pytest.raises(CircuitOpenError):
        asyncio.run(cb.call(_ok))
    clock.advance(1.0)
    assert asyncio.run(cb.call(_ok)) == "ok"
    assert changes == [
        (CLOSED, OPEN),
        (OPEN, HALF_OPEN),
        (HALF_OPEN, OPEN),
        (OPEN, HALF_OPEN),
        (HALF_OPEN, CLOSED),
    ]


def test_uncounted_exceptions_pass_through_without_counting() -> None:
    clock = FakeClock()
    cb, _ = _breaker(clock, counts=(DownError,))

    async def bad_request() -> None:
        raise ValueError("bad symbol")

    for _ in range(5):
        with pytest.raises(ValueError):
            asyncio.run(cb.call(bad_request))
    assert cb.state is CLOSED and cb.consecutive_failures == 0


def test_an_uncounted_probe_outcome_frees_the_probe_slot() -> None:
    clock = FakeClock()
    cb, _ = _breaker(clock, counts=(DownError,))
    _fail_times(cb, 3)
    clock.advance(300.0)

    async def cancelled() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(cb.call(cancelled))
    assert cb.state is HALF_OPEN
    assert asyncio.run(cb.call(_ok)) == "ok"  # a new probe may go
    assert cb.state is CLOSED


def test_a_stale_outcome_from_before_the_breaker_opened_is_ignored() -> None:
    clock = FakeClock()
    cb, _ = _breaker(clock)

    async def scenario() -> None:
        gate = asyncio.Event()

        async def slow() -> str:
            await gate.wait()
            return "late"

        task = asyncio.create_task(cb.call(slow))
        await asyncio.sleep(0)
        for _ in range(3):
            cb.record_failure()
        clock.advance(300.0)
        assert cb.allow()  # this caller holds the probe
        gate.set()
        assert await task == "late"

    asyncio.run(scenario())
    assert cb.state is HALF_OPEN  # the late success did not close it; the probe decides
    cb.record_failure()
    assert cb.state is OPEN


def test_manual_allow_and_record() -> None:
    clock = FakeClock()
    cb, _ = _breaker(clock, failures=1, reset_after_s=10.0)
    assert cb.allow()
    cb.record_failure()
    assert cb.state is OPEN and not cb.allow()
    cb.record_success()  # ignored while open
    assert cb.state is OPEN
    clock.advance(10.0)
    assert cb.allow() and not cb.allow()
    cb.record_success()
    assert cb.state is CLOSED and cb.allow() and cb.allow()


@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"failures": 0}, "failures"),
        ({"failures": 2.0}, "failures"),
        ({"reset_after_s": 0.0}, "reset_after_s"),
        ({"reset_after_s": float("inf")}, "reset_after_s"),
        ({"counts": ()}, "counts"),
        ({"counts": (int,)}, "counts"),
    ],
)
def test_breaker_refuses_bad_arguments(kw: dict, name: str) -> None:
    with pytest.raises(ParameterError, match=name):
        CircuitBreaker("x", **kw)


# --------------------------------------------------------------------------- rate limiter


def _at_most_per_window(times: list[float], max_calls: int, per_s: float) -> bool:
    """No half-open interval [t, t + per_s) holds more than max_calls of the sorted times."""
    return all(times[i + max_calls] - times[i] >= per_s for i in range(len(times) - max_calls))


@given(
    max_calls=hs.integers(1, 12),
    per_s=hs.sampled_from([0.1, 1.0, 1.5, 10.0]),
    steps=hs.lists(hs.floats(0.0, 0.7, allow_nan=False), min_size=1, max_size=300),
    scale=hs.sampled_from([0.01, 0.1, 1.0]),
)
def test_limiter_never_exceeds_max_calls_in_any_window(
    max_calls: int, per_s: float, steps: list[float], scale: float
) -> None:
    clock = FakeClock(1_000.0)
    lim = RateLimiter(max_calls, per_s, clock=clock)
    granted: list[float] = []
    for step in steps:
        clock.advance(step * scale)
        if lim.try_acquire():
            granted.append(clock.t)
        else:  # refused only when the window really is full
            recent = [t for t in granted if clock.t - t < per_s]
            assert len(recent) >= max_calls
            assert lim.wait_time() > 0
    assert _at_most_per_window(granted, max_calls, per_s)


@given(
    max_calls=hs.integers(1, 6),
    per_s=hs.sampled_from([0.5, 1.0]),
    actions=hs.lists(
        hs.tuples(hs.floats(0.0, 0.7), hs.booleans(), hs.integers(0, 10), hs.floats(0.0, 1.0)),
        max_size=200,
    ),
)
def test_held_slots_keep_every_window_of_arrivals_within_the_quota(
    max_calls: int, per_s: float, actions: list[tuple[float, bool, int, float]]
) -> None:
    # requests overlap and travel for any time: the provider sees each one at some moment
    # between its slot's grant and its release (``frac`` of the way); however they travel, no
    # window of the provider holds more than max_calls of them
    clock = FakeClock(100.0)
    lim = RateLimiter(max_calls, per_s, clock=clock)
    out: list[tuple[Hold, float, float]] = []
    arrivals: list[float] = []

    def finish(k: int) -> None:
        held, granted, frac = out.pop(k)
        lim.release(held)
        arrivals.append(granted + frac * (clock.t - granted))

    for step, send, pick, frac in actions:
        clock.advance(step * per_s)
        if send or not out:
            held = lim.try_hold()
            if held is not None:
                out.append((held, clock.t, frac))
            else:
                assert lim.wait_time() > 0
        else:
            finish(pick % len(out))
    while out:
        clock.advance(0.3)
        finish(0)
    assert _at_most_per_window(sorted(arrivals), max_calls, per_s)


def test_a_slot_counts_from_its_release_so_a_late_request_cannot_crowd_a_window() -> None:
    clock = FakeClock()
    late = RateLimiter(2, 1.0, clock=clock)
    held = RateLimiter(2, 1.0, clock=clock)
    slow = held.try_hold()
    assert late.try_acquire() and slow is not None  # a request leaves at 0.0 ...
    clock.t = 0.9
    held.release(slow)  # ... and reaches the provider at 0.9, answered at once
    clock.t = 1.0
    assert late.try_acquire() and late.try_acquire()  # counted from 0.0: 3 arrivals in 0.1 s
    assert held.try_acquire() and not held.try_acquire()  # counted from 0.9: one more only
    assert held.wait_time() == pytest.approx(0.9)
    clock.t = 1.95
    assert held.try_acquire()


def test_slot_releases_when_the_request_fails_or_is_cancelled() -> None:
    clock = FakeClock()
    lim = RateLimiter(1, 1.0, clock=clock, sleep=clock.sleep)

    async def failing() -> None:
        async with lim.slot():
            clock.advance(2.0)
            raise DownError("venue 503")

    with pytest.raises(DownError):
        asyncio.run(failing())
    assert lim.wait_time() == pytest.approx(1.0)  # counted from the failure at 2.0 s
    clock.advance(1.0)

    async def cancelled() -> None:
        task = asyncio.create_task(_held_forever(lim))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancelled())
    assert lim.acquired == 2 and lim.wait_time() == pytest.approx(1.0)


async def _held_forever(lim: RateLimiter) -> None:
    async with lim.slot():
        await asyncio.Event().wait()


def test_limiter_allows_no_burst_across_a_window_boundary() -> None:
    # a leaky bucket of 10/s admits 10 at 0.99 s and ~9 more by 1.9 s: 19 in one second
    clock = FakeClock()
    lim = RateLimiter(10, 1.0, clock=clock)
    clock.t = 0.99
    assert all(lim.try_acquire() for _ in range(10))
    granted = [0.99] * 10
    for k in range(1, 151):  # one attempt every 10 ms until 2.49 s
        clock.t = 0.99 + k * 0.01
        if lim.try_acquire():
            granted.append(clock.t)
    assert min(granted[10:]) >= 1.99 - 1e-9
    assert len(granted) == 20  # ten more from 1.99 s, then the window is full again
    assert _at_most_per_window(granted, 10, 1.0)


def test_acquire_sleeps_exactly_until_the_oldest_send_leaves_the_window() -> None:
    clock = FakeClock()
    lim = RateLimiter(2, 1.0, clock=clock, sleep=clock.sleep)

    async def sends() -> list[float]:
        out = []
        for _ in range(5):
            await lim.acquire()
            out.append(clock.t)
            clock.advance(0.25)
        return out

    times = asyncio.run(sends())
    assert times == pytest.approx([0.0, 0.25, 1.0, 1.25, 2.0])
    assert clock.sleeps == pytest.approx([0.5, 0.5])


def test_concurrent_acquirers_are_served_in_order_within_the_limit() -> None:
    clock = FakeClock()
    lim = RateLimiter(3, 1.0, clock=clock, sleep=clock.sleep)
    order: list[tuple[int, float]] = []

    async def worker(i: int) -> None:
        await lim.acquire()
        order.append((i, clock.t))

    async def main() -> None:
        await asyncio.gather(*(worker(i) for i in range(10)))

    asyncio.run(main())
    assert [i for i, _ in order] == list(range(10))
    assert _at_most_per_window([t for _, t in order], 3, 1.0)


def test_penalize_blocks_every_acquisition_until_the_given_time() -> None:
    clock = FakeClock(50.0)
    lim = RateLimiter(100, 1.0, clock=clock, sleep=clock.sleep)
    lim.penalize(62.5)  # HTTP 429, Retry-After: 12.5
    lim.penalize(55.0)  # an earlier bound never shortens it
    assert not lim.try_acquire()
    assert lim.wait_time() == pytest.approx(12.5)
    clock.t = 62.4
    assert not lim.try_acquire()
    asyncio.run(lim.acquire())
    assert clock.t == pytest.approx(62.5) and clock.sleeps == pytest.approx([0.1])
    assert lim.try_acquire()


def test_wait_time_combines_penalty_and_full_window() -> None:
    clock = FakeClock()
    lim = RateLimiter(1, 10.0, clock=clock)
    assert lim.wait_time() == 0.0 and lim.try_acquire()
    lim.penalize(4.0)
    assert lim.wait_time() == pytest.approx(10.0)  # the window outlasts the penalty
    lim.penalize(15.0)
    assert lim.wait_time() == pytest.approx(15.0)


@pytest.mark.parametrize(
    ("args", "name"),
    [((0, 1.0), "max_calls"), ((1.5, 1.0), "max_calls"), ((5, 0.0), "per_s"), ((5, -1), "per_s")],
)
def test_limiter_refuses_bad_arguments(args: tuple, name: str) -> None:
    with pytest.raises(ParameterError, match=name):
        RateLimiter(*args)


# --------------------------------------------------------------------------- retries


def _flaky(exc: BaseException, fails: int) -> tuple[list[int], object]:
    calls: list[int] = []

    async def fn() -> str:
        calls.append(1)
        if len(calls) <= fails:
            raise exc
        return "done"

    return calls, fn


def test_retrying_retries_listed_exceptions_until_success() -> None:
    clock = FakeClock()
    calls, fn = _flaky(ConnectionRefusedError("refused"), fails=3)
    policy = retrying(attempts=5, sleep=clock.sleep, rng=lambda: 0.5)
    assert asyncio.run(policy(fn)) == "done"
    assert len(calls) == 4 and clock.sleeps == [0.25, 0.5, 1.0]


def test_retrying_does_not_retry_other_exceptions() -> None:
    clock = FakeClock()
    calls, fn = _flaky(TimeoutError("reply lost"), fails=10)
    with pytest.raises(TimeoutError, match="reply lost"):
        asyncio.run(retrying(sleep=clock.sleep)(fn))
    assert len(calls) == 1 and clock.sleeps == []
    assert TimeoutError not in PRE_SEND_ERRORS  # an order's reply may be lost after sending


def test_retrying_gives_up_after_attempts_and_reraises_the_last_error() -> None:
    clock = FakeClock()
    calls, fn = _flaky(DownError("still down"), fails=100)
    policy = retrying(attempts=4, retry_on=(DownError,), sleep=clock.sleep)
    with pytest.raises(DownError, match="still down"):
        asyncio.run(policy(fn))
    assert len(calls) == 4 and len(clock.sleeps) == 3


@pytest.mark.parametrize("seed", range(5))
def test_retry_waits_are_full_jitter_capped_exponential(seed: int) -> None:
    clock = FakeClock()
    _, fn = _flaky(DownError("x"), fails=100)
    base, cap = 0.3, 5.0
    policy = retrying(
        attempts=12, base_s=base, cap_s=cap, retry_on=(DownError,), sleep=clock.sleep,
        rng=random.Random(seed).random,
    )  # fmt: skip
    with pytest.raises(DownError):
        asyncio.run(policy(fn))
    assert len(clock.sleeps) == 11
    for k, s in enumerate(clock.sleeps):
        assert 0.0 <= s <= min(cap, base * 2**k)


def test_retry_async_for_form_and_type() -> None:
    clock = FakeClock()
    calls, fn = _flaky(ConnectionRefusedError(), fails=1)
    policy = retrying(sleep=clock.sleep, rng=lambda: 0.0)
    assert isinstance(policy, tenacity.AsyncRetrying)

    async def main() -> str:
        async for attempt in policy:
            with attempt:
                return await fn()
        raise AssertionError("unreachable")

    assert asyncio.run(main()) == "done" and len(calls) == 2 and clock.sleeps == [0.0]


def test_backoff_delays_reach_the_cap_and_stay_there() -> None:
    top = backoff_delays(0.5, 30.0, rng=lambda: 1.0)
    assert [next(top) for _ in range(9)] == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]
    far = backoff_delays(0.5, 30.0, rng=lambda: 1.0)
    assert [next(far) for _ in range(3000)][-1] == 30.0  # no overflow
    jittered = backoff_delays(1.0, 8.0, rng=random.Random(1).random)
    for k in range(50):
        assert 0.0 <= next(jittered) <= min(8.0, 2.0**k)


def test_retry_arguments_are_checked() -> None:
    with pytest.raises(ParameterError, match="attempts"):
        retrying(attempts=0)
    with pytest.raises(ParameterError, match="retry_on"):
        retrying(retry_on=())
    with pytest.raises(ParameterError, match="cap_s"):
        backoff_delays(0.5, -1.0)
