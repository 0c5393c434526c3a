"""The operations surface of one run, wired: metrics, health, the ops server (and notifications).

:class:`Operations` subscribes the metrics to the runner's events, judges health from the
runner, the feed's and the venue's providers and the machine, and serves both on 127.0.0.1 for
as long as the run lasts (see :mod:`soltrader.runtime.ops_server`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from soltrader.adapters.resilience import Provider
from soltrader.adapters.telegram import DEFAULT_BASE_URL, TelegramBot
from soltrader.data.timeframes import timeframe_ms
from soltrader.domain.errors import ParameterError
from soltrader.domain.secret import Secret
from soltrader.engine.live_spec import LiveSpec
from soltrader.runtime.health import (
    HealthLimits,
    HealthReport,
    ProviderHealth,
    SystemProbe,
    assess,
)
from soltrader.runtime.metrics import RuntimeMetrics
from soltrader.runtime.notify import Notifier
from soltrader.runtime.ops_server import OpsServer
from soltrader.runtime.runner import Runner, RunSummary

#: The shortest expected interval between bars a replay's health assumes (seconds): at full
#: speed bars come every few milliseconds, and a pause of a few of them is no illness.
MIN_BAR_INTERVAL_S = 1.0


def expected_interval_s(timeframe: str, speed: float | None) -> float:
    """Seconds between bars: the timeframe, divided by a replay's speed (None: as fast as
    possible), at least :data:`MIN_BAR_INTERVAL_S`.

    Examples
    --------
    >>> expected_interval_s("1m", None), expected_interval_s("1m", 10.0)
    (1.0, 6.0)
    >>> expected_interval_s("1h", 1.0)
    3600.0
    """
    seconds = timeframe_ms(timeframe) / 1000.0
    if speed is None:
        return MIN_BAR_INTERVAL_S
    return max(MIN_BAR_INTERVAL_S, seconds / speed)


def telegram_token(spec: LiveSpec, environ: Mapping[str, str] | None = None) -> Secret | None:
    """The bot token of ``[ops]``: from the environment variable ``telegram_token_env``, else
    ``telegram_token``; None when notifications are off.

    Raises
    ------
    ParameterError
        The named variable is not set, or a token is given without ``telegram_chat`` (or
        the reverse).
    """
    ops = spec.ops
    environ = os.environ if environ is None else environ
    token = ops.telegram_token
    if ops.telegram_token_env is not None:
        if not environ.get(ops.telegram_token_env):
            raise ParameterError(
                "ops.telegram_token_env", f"the variable {ops.telegram_token_env} is not set"
            )
        token = Secret(environ[ops.telegram_token_env])
    if (token is None) != (ops.telegram_chat is None):
        raise ParameterError(
            "ops.telegram_chat", "notifications need both a token and telegram_chat"
        )
    return token


def telegram_secrets(spec: LiveSpec, environ: Mapping[str, str] | None = None) -> list[Secret]:
    """What the notifications hold that no log may show: the token and a non-default base URL
    (a self-hosted Bot API server's address)."""
    token = telegram_token(spec, environ)
    if token is None:
        return []
    base = spec.ops.telegram_base_url
    return [token] if base == DEFAULT_BASE_URL else [token, Secret(base)]


def notifier_for(spec: LiveSpec, environ: Mapping[str, str] | None = None) -> Notifier | None:
    """The spec's :class:`~soltrader.runtime.notify.Notifier` (None: notifications off)."""
    token = telegram_token(spec, environ)
    if token is None:
        return None
    assert spec.ops.telegram_chat is not None
    bot = TelegramBot(token, spec.ops.telegram_chat, base_url=Secret(spec.ops.telegram_base_url))
    base, _, quote = spec.data.symbol.partition("/")
    label = f"{spec.strategy.name} {spec.data.symbol} {spec.data.timeframe}"
    return Notifier(bot, label=label, base=base, quote=quote, daily_summary=spec.ops.daily_summary)


class Operations:
    """Metrics, health and their server for one runner.

    Parameters
    ----------
    runner : Runner
        The runner (its events and state).
    venue : object, optional
        The real venue (its ``providers()`` are the venue's); None: the paper venue.
    speed : float, optional
        A replay's speed (None: as fast as possible; 1.0 for a live feed).
    notifier : Notifier, optional
        Sends the runner's events to a chat (None: no notifications).

    Examples
    --------
    >>> ops = Operations(runner, venue)                 # doctest: +SKIP
    >>> ops.attach_feed(feed)                           # doctest: +SKIP
    >>> async with ops:                                 # doctest: +SKIP
    ...     await runner.run()
    """

    def __init__(
        self,
        runner: Runner,
        venue: Any = None,
        *,
        speed: float | None = 1.0,
        notifier: Notifier | None = None,
    ) -> None:
        spec = runner.spec
        self.runner = runner
        self.notifier = notifier
        self._final: str | None = None
        self._venue = venue
        self._feed: Any = None
        self._state_dir = runner.journal.path.parent
        self.limits = HealthLimits(
            expected_interval_s(spec.data.timeframe, speed), stale_after_s=spec.risk.kill_stale_s
        )
        self.metrics = RuntimeMetrics(
            runner.spec.live.venue,
            state=runner.state,
            providers=self.providers,
            feed_silent=self._feed_silent,
        )
        runner.subscribe(self.metrics.on_event)
        self.server = OpsServer(
            self.health,
            self.metrics.registry,
            self._state_dir,
            health_port=spec.ops.health_port,
            metrics_port=spec.ops.metrics_port,
        )

    def attach_feed(self, feed: Any) -> None:
        """The feed whose silence and providers to watch (it is built after the runner)."""
        self._feed = feed

    def providers(self) -> list[Provider]:
        """Every provider of the feed and the venue."""
        return [p for _, p in self._roles()]

    def _roles(self) -> Sequence[tuple[str, Provider]]:
        found: list[tuple[str, Provider]] = []
        for role, owner in (("feed", self._feed), ("venue", self._venue)):
            if owner is not None and hasattr(owner, "providers"):
                found += [(role, p) for p in owner.providers()]
        return found

    def _feed_silent(self) -> float | None:
        return None if self._feed is None else self._feed.silent_s()

    def health(self) -> HealthReport:
        """The runner's health now."""
        providers = [ProviderHealth.of(role, p) for role, p in self._roles()]
        system = SystemProbe.read(Path(self._state_dir))
        return assess(self.runner.state(), providers, system, self.limits, self._feed_silent())

    def stopped(self, summary: RunSummary) -> None:
        """Say how the run ended (the notifier's last text)."""
        halted = ", HALTED" if summary.halted else ""
        self._final = (
            f"process exited ({summary.stopped}): {summary.decided} bars decided, "
            f"{summary.intents} intents in the journal{halted}"
        )

    async def __aenter__(self) -> Self:
        await self.server.__aenter__()
        if self.notifier is not None:
            await self.notifier.__aenter__()
            self.runner.subscribe(self.notifier.on_event)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        try:
            if self.notifier is not None:
                final = self._final
                if final is None:
                    why = "cancelled" if kind is None else f"an error ({kind.__name__})"
                    final = f"process exited on {why}"
                await self.notifier.close(final)
        finally:
            await self.server.__aexit__(kind, *exc)


__all__ = [
    "MIN_BAR_INTERVAL_S",
    "Operations",
    "expected_interval_s",
    "notifier_for",
    "telegram_secrets",
    "telegram_token",
]
