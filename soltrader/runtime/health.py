"""The health of a running runner: ``healthy``, ``degraded`` or ``unhealthy``, with the reasons.

:func:`assess` is a pure function of what was observed (the runner's state, its providers'
breakers, the process's memory and the disk), so every rule is tested without a process; the
runtime serves its answer at ``/health`` and ``soltrader status`` prints it.

The rules, worst first:

* **unhealthy**: halted (the kill switch, an operator, a venue problem); no bar decided for
  ``stale_after_s`` (default three bar intervals); every breaker of the feed, or every breaker of
  the venue, open (nothing can be read, or nothing can be traded); less free disk than
  ``min_disk_bytes``;
* **degraded**: a bar late (more than 1.5 intervals since the last one); a control mode other
  than ``normal``; edge errors in the last hour; some breakers open or half-open; less than
  twice ``min_disk_bytes`` free; memory above ``max_rss_bytes``.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from soltrader.adapters.resilience import BreakerState, Provider
from soltrader.runtime.runner import RunnerState

HEALTHY, DEGRADED, UNHEALTHY = "healthy", "degraded", "unhealthy"
_RANK = {HEALTHY: 0, DEGRADED: 1, UNHEALTHY: 2}
#: Free disk below which the journal's folder makes the runner unhealthy (bytes).
MIN_DISK_BYTES = 200 * 1024**2


class HealthLimits(NamedTuple):
    """The thresholds of :func:`assess`: the expected seconds between bars (a replay's
    interval divided by its speed), seconds without a bar that make the runner unhealthy
    (None: three intervals), the least free disk (bytes) and the most memory (RSS bytes; None:
    no limit)."""

    bar_interval_s: float
    stale_after_s: float | None = None
    min_disk_bytes: int = MIN_DISK_BYTES
    max_rss_bytes: int | None = None


class ProviderHealth(NamedTuple):
    """One provider as the health check sees it: its role (``"feed"`` or ``"venue"``), name,
    breaker state (``"closed"``, ``"half_open"``, ``"open"``; ``"none"`` without a breaker),
    requests sent and rate-limit answers."""

    role: str
    name: str
    breaker: str
    requests: int
    rate_limited: int

    @classmethod
    def of(cls, role: str, provider: Provider) -> ProviderHealth:
        """Read a provider's limiter and breaker."""
        lim, br = provider.limiter, provider.breaker
        return cls(
            role,
            provider.name,
            "none" if br is None else br.state.value,
            0 if lim is None else lim.acquired,
            0 if lim is None else lim.penalized,
        )


class SystemProbe(NamedTuple):
    """The process and its disk: resident memory (bytes), free bytes on the journal's disk."""

    rss_bytes: int
    disk_free_bytes: int

    @classmethod
    def read(cls, folder: Path) -> SystemProbe:
        """Measure this process's memory and the free space where ``folder`` is."""
        return cls(rss_bytes(), shutil.disk_usage(folder).free)


class HealthReport(NamedTuple):
    """The answer of :func:`assess`: the status, its reasons (empty when healthy), what was
    observed, and the feed's silence (seconds; None: unknown)."""

    status: str
    reasons: tuple[str, ...]
    runner: RunnerState
    providers: tuple[ProviderHealth, ...]
    system: SystemProbe
    feed_silent_s: float | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``/health`` body)."""
        return {
            "status": self.status,
            "reasons": list(self.reasons),
            "runner": self.runner._asdict(),
            "providers": [p._asdict() for p in self.providers],
            "system": self.system._asdict(),
            "feed_silent_s": self.feed_silent_s,
        }


def rss_bytes() -> int:
    """This process's resident memory (bytes): ``/proc/self/statm`` where it exists, else the
    peak from ``getrusage``."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        pages = int(statm.read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def assess(
    state: RunnerState,
    providers: Sequence[ProviderHealth],
    system: SystemProbe,
    limits: HealthLimits,
    feed_silent_s: float | None = None,
) -> HealthReport:
    """Judge the runner's health (the rules are in the module docstring).

    Parameters
    ----------
    state : RunnerState
        :meth:`Runner.state() <soltrader.runtime.runner.Runner.state>`.
    providers : sequence of ProviderHealth
        The feed's and the venue's providers.
    system : SystemProbe
        Memory and disk.
    limits : HealthLimits
        The thresholds.
    feed_silent_s : float, optional
        Seconds since the feed's last message (reported, not judged: a bar's lateness is).

    Examples
    --------
    >>> st = RunnerState(10, 0, 0, 0.5, None, "normal", 0, 0.0, None, 0)
    >>> assess(st, [], SystemProbe(10**8, 10**10), HealthLimits(60.0)).status
    'healthy'
    >>> assess(st._replace(mode="pause"), [], SystemProbe(10**8, 10**10), HealthLimits(60.0))[:2]
    ('degraded', ('control mode is pause',))
    >>> late = st._replace(seconds_since_bar=400.0)
    >>> assess(late, [], SystemProbe(10**8, 10**10), HealthLimits(60.0)).reasons
    ('no bar decided for 400 s (unhealthy after 180 s)',)
    """
    found: list[tuple[str, str]] = []
    found += _runner_findings(state, limits)
    found += _provider_findings(providers)
    found += _system_findings(system, limits)
    status = max((level for level, _ in found), key=_RANK.__getitem__, default=HEALTHY)
    reasons = tuple(why for level, why in sorted(found, key=lambda f: -_RANK[f[0]]))
    return HealthReport(status, reasons, state, tuple(providers), system, feed_silent_s)


def _runner_findings(state: RunnerState, limits: HealthLimits) -> list[tuple[str, str]]:
    found = []
    if state.halted is not None:
        found.append((UNHEALTHY, f"halted: {state.halted}"))
    stale = limits.stale_after_s or 3.0 * limits.bar_interval_s
    quiet = state.seconds_since_bar
    if quiet > stale:
        why = f"no bar decided for {quiet:,.0f} s (unhealthy after {stale:g} s)"
        found.append((UNHEALTHY, why))
    elif quiet > 1.5 * limits.bar_interval_s:
        found.append((DEGRADED, f"bar late: none decided for {quiet:,.1f} s"))
    if state.mode != "normal":
        found.append((DEGRADED, f"control mode is {state.mode}"))
    if state.errors_last_hour:
        found.append((DEGRADED, f"{state.errors_last_hour} edge errors in the last hour"))
    if state.reconcile_problem:
        found.append((UNHEALTHY, f"reconciliation: {state.reconcile_problem}"))
    return found


def _provider_findings(providers: Sequence[ProviderHealth]) -> list[tuple[str, str]]:
    found = []
    for role in ("feed", "venue"):
        mine = [p for p in providers if p.role == role and p.breaker != "none"]
        down = [p.name for p in mine if p.breaker == BreakerState.OPEN.value]
        probing = [p.name for p in mine if p.breaker == BreakerState.HALF_OPEN.value]
        if mine and len(down) == len(mine):
            found.append((UNHEALTHY, f"{role} unreachable: breaker open ({', '.join(down)})"))
        elif down or probing:
            names = ", ".join(down + probing)
            found.append((DEGRADED, f"{role} breaker open or probing ({names})"))
    return found


def _system_findings(system: SystemProbe, limits: HealthLimits) -> list[tuple[str, str]]:
    found = []
    free_mb = system.disk_free_bytes / 1024**2
    if system.disk_free_bytes < limits.min_disk_bytes:
        found.append((UNHEALTHY, f"disk nearly full: {free_mb:,.0f} MiB free"))
    elif system.disk_free_bytes < 2 * limits.min_disk_bytes:
        found.append((DEGRADED, f"disk getting full: {free_mb:,.0f} MiB free"))
    if limits.max_rss_bytes is not None and system.rss_bytes > limits.max_rss_bytes:
        found.append((DEGRADED, f"memory {system.rss_bytes / 1024**2:,.0f} MiB over the limit"))
    return found


__all__ = [
    "DEGRADED",
    "HEALTHY",
    "MIN_DISK_BYTES",
    "UNHEALTHY",
    "HealthLimits",
    "HealthReport",
    "ProviderHealth",
    "SystemProbe",
    "assess",
    "rss_bytes",
]
