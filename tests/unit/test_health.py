"""The health rules (``soltrader.runtime.health.assess``), one finding at a time, and the worst
finding wins."""

from __future__ import annotations

import pytest

from soltrader.adapters.resilience import CircuitBreaker, Provider, RateLimiter
from soltrader.runtime.health import (
    MIN_DISK_BYTES,
    HealthLimits,
    ProviderHealth,
    SystemProbe,
    assess,
)
from soltrader.runtime.runner import RunnerState

OK = RunnerState(100, 0, 1_700_000_000_000, 1.0, None, "normal", 0, 0.0, None, 0)
ROOM = SystemProbe(200 * 1024**2, 50 * 1024**3)
LIMITS = HealthLimits(60.0)


def _provider(role: str, name: str, breaker: str) -> ProviderHealth:
    return ProviderHealth(role, name, breaker, 10, 0)


def test_all_well_is_healthy_with_no_reasons() -> None:
    report = assess(OK, [_provider("feed", "klines", "closed")], ROOM, LIMITS)
    assert (report.status, report.reasons) == ("healthy", ())


@pytest.mark.parametrize(
    ("state", "status", "reason"),
    [
        (OK._replace(halted="kill switch: drawdown"), "unhealthy", "halted: kill switch"),
        (OK._replace(seconds_since_bar=181.0), "unhealthy", "no bar decided for 181 s"),
        (OK._replace(seconds_since_bar=91.0), "degraded", "bar late"),
        (OK._replace(seconds_since_bar=89.0), "healthy", None),
        (OK._replace(mode="reduce"), "degraded", "control mode is reduce"),
        (OK._replace(errors_last_hour=2), "degraded", "2 edge errors"),
        (OK._replace(reconcile_problem="venue 1.0 != journal 2.0"), "unhealthy", "reconcil"),
    ],
)
def test_runner_findings(state: RunnerState, status: str, reason: str | None) -> None:
    report = assess(state, [], ROOM, LIMITS)
    assert report.status == status
    if reason is None:
        assert report.reasons == ()
    else:
        assert len(report.reasons) == 1 and reason in report.reasons[0]


def test_the_stale_limit_follows_the_kill_switch_when_set() -> None:
    limits = HealthLimits(60.0, stale_after_s=100.0)
    assert assess(OK._replace(seconds_since_bar=101.0), [], ROOM, limits).status == "unhealthy"


def test_breakers_degrade_and_all_of_a_role_open_is_unhealthy() -> None:
    two = [_provider("venue", "rpc a", "open"), _provider("venue", "rpc b", "closed")]
    report = assess(OK, two, ROOM, LIMITS)
    assert report.status == "degraded" and "rpc a" in report.reasons[0]
    both = [_provider("venue", "rpc a", "open"), _provider("venue", "rpc b", "open")]
    report = assess(OK, both, ROOM, LIMITS)
    assert report.status == "unhealthy" and "venue unreachable" in report.reasons[0]
    feed = [_provider("feed", "klines", "half_open")]
    assert assess(OK, feed, ROOM, LIMITS).status == "degraded"
    assert assess(OK, [_provider("venue", "binance", "none")], ROOM, LIMITS).status == "healthy"


def test_disk_and_memory() -> None:
    low = SystemProbe(ROOM.rss_bytes, MIN_DISK_BYTES - 1)
    assert assess(OK, [], low, LIMITS).status == "unhealthy"
    tight = SystemProbe(ROOM.rss_bytes, MIN_DISK_BYTES * 2 - 1)
    assert assess(OK, [], tight, LIMITS).status == "degraded"
    capped = LIMITS._replace(max_rss_bytes=ROOM.rss_bytes - 1)
    assert "memory" in assess(OK, [], ROOM, capped).reasons[0]


def test_the_worst_finding_decides_and_comes_first() -> None:
    state = OK._replace(mode="pause", halted="operator: x")
    report = assess(state, [], ROOM, LIMITS)
    assert report.status == "unhealthy" and report.reasons[0].startswith("halted")
    assert report.to_json()["reasons"] == list(report.reasons)


def test_a_provider_is_read_from_its_limiter_and_breaker() -> None:
    now = [0.0]
    limiter = RateLimiter(5, 1.0, clock=lambda: now[0])
    breaker = CircuitBreaker("jupiter", failures=1, clock=lambda: now[0])
    assert limiter.try_acquire() and limiter.try_acquire()
    limiter.penalize(10.0)
    breaker.record_failure()
    seen = ProviderHealth.of("venue", Provider("jupiter", limiter, breaker))
    assert seen == ProviderHealth("venue", "jupiter", "open", 2, 1)
