"""Prometheus metrics of a running runner (``prometheus_client``, one registry per runner).

:class:`RuntimeMetrics` listens to the runner's :class:`~soltrader.runtime.runner.RunEvent`
stream (counted in the decision loop, a few microseconds per bar) and reads the rest when it is
scraped: the runner's state, how long the feed has been silent, and each provider's requests,
rate-limit answers and circuit-breaker state. Every name starts with ``soltrader_``; money is in
the quote currency, quantities in base units, times in seconds.

======================================  ====================================================
metric                                  meaning
======================================  ====================================================
``soltrader_bars_total``                bars decided in this process
``soltrader_candles_quarantined_total`` candles refused by the data rules (not decided)
``soltrader_intents_total{reason}``     intents issued, by purpose (entry, stop_loss, ...)
``soltrader_orders_total{venue}``       market intents handed to the venue
``soltrader_fills_total{venue,side}``   fills booked
``soltrader_rejects_total{reason}``     executions the venue refused, by reason class
``soltrader_errors_total``              edge errors (feed drops and stalls, failed calls)
``soltrader_equity``                    equity after the last bar (quote)
``soltrader_drawdown_ratio``            1 - equity / peak equity
``soltrader_position``                  position after the last bar (base units)
``soltrader_halted``                    1 while halted
``soltrader_decision_latency_seconds``  histogram: bar arrival to journal commit
``soltrader_bar_age_seconds``           seconds since a bar was last decided
``soltrader_feed_silent_seconds``       seconds since the feed last sent a message
``soltrader_requests_total{provider}``  requests sent through the provider's rate limiter
``soltrader_rate_limited_total{...}``   rate-limit answers (HTTP 429 / 418) per provider
``soltrader_breaker_state{breaker}``    0 closed, 1 half-open, 2 open
======================================  ====================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from soltrader.adapters.resilience import BreakerState, Provider
from soltrader.domain.state import IntentReason
from soltrader.runtime.runner import BarReport, RunEvent, RunnerState

#: Decision latency buckets (seconds): the target is 1 ms at p99.
LATENCY_BUCKETS = (0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
BREAKER_CODE = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}
_REASON_NAMES = {int(r): r.name.lower() for r in IntentReason}
_RULE = re.compile(r"\(([a-z_]+)\)")
_KNOWN = (
    "insufficient",
    "slippage",
    "price_impact",
    "min_cost",
    "min_amount",
    "max_amount",
    "lot",
    "auth",
    "expired",
    "filter",
)


def reject_class(reason: str) -> str:
    """A venue refusal's text → a short label for a metric (bounded cardinality).

    The rule named in parentheses (``"... (min_cost)"``) wins, then a known keyword, else
    ``"other"``.

    Examples
    --------
    >>> reject_class("order of 0.01 SOL refused (min_cost): 1.5 < 5 USDT")
    'min_cost'
    >>> reject_class("exchange says: Account has insufficient balance")
    'insufficient'
    >>> reject_class("something new")
    'other'
    """
    found = _RULE.search(reason)
    if found and found.group(1) in _KNOWN:
        return found.group(1)
    low = reason.lower()
    return next((word for word in _KNOWN if word in low), "other")


class RuntimeMetrics:
    """The metrics of one runner (see the module docstring).

    Parameters
    ----------
    venue : str
        The venue's name (``"paper"``, ``"solana"``, ``"binance"``...), a label of orders and
        fills.
    state : callable
        The runner's :meth:`~soltrader.runtime.runner.Runner.state`, read at each scrape.
    providers : callable, optional
        The providers (feed, venue, RPC, Jupiter) whose requests, 429s and breakers to report.
    feed_silent : callable, optional
        Seconds since the feed's last message (None: unknown).
    registry : CollectorRegistry, optional
        Where to register (default: a new registry of its own, so two runners never mix).

    Examples
    --------
    >>> from prometheus_client import generate_latest
    >>> m = RuntimeMetrics("paper", state=lambda: None)
    >>> m.on_event(RunEvent("error", "feed stale", -1))
    >>> b"soltrader_errors_total 1.0" in generate_latest(m.registry)
    True
    """

    def __init__(
        self,
        venue: str,
        *,
        state: Callable[[], RunnerState | None],
        providers: Callable[[], Sequence[Provider]] = list,
        feed_silent: Callable[[], float | None] = lambda: None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.venue = venue
        self.registry = CollectorRegistry() if registry is None else registry
        r = self.registry
        self.bars = Counter("soltrader_bars", "Bars decided", registry=r)
        self.quarantined = Counter(
            "soltrader_candles_quarantined", "Candles refused by the data rules", registry=r
        )
        self.intents = Counter("soltrader_intents", "Intents issued", ["reason"], registry=r)
        self.orders = Counter(
            "soltrader_orders", "Market intents handed to the venue", ["venue"], registry=r
        )
        self.fills = Counter("soltrader_fills", "Fills booked", ["venue", "side"], registry=r)
        self.rejects = Counter(
            "soltrader_rejects", "Executions the venue refused", ["reason"], registry=r
        )
        self.errors = Counter("soltrader_errors", "Edge errors", registry=r)
        self.equity = Gauge("soltrader_equity", "Equity after the last bar (quote)", registry=r)
        self.drawdown = Gauge("soltrader_drawdown_ratio", "1 - equity / peak", registry=r)
        self.position = Gauge("soltrader_position", "Position (base units)", registry=r)
        self.latency = Histogram(
            "soltrader_decision_latency_seconds",
            "Bar arrival to journal commit",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        r.register(_Scraped(state, providers, feed_silent))

    def on_event(self, event: RunEvent) -> None:
        """Count one runner event (a runner listener)."""
        if event.kind == "bar" and event.bar is not None:
            self._bar(event.bar)
        elif event.kind == "quarantine":
            self.quarantined.inc()
        elif event.kind == "error":
            self.errors.inc()

    def _bar(self, bar: BarReport) -> None:
        self.bars.inc()
        self.latency.observe(bar.latency_s)
        for code in bar.intents["reason"]:
            name = _REASON_NAMES.get(int(code), str(int(code)))
            self.intents.labels(name).inc()
            if int(code) != IntentReason.CANCEL:
                self.orders.labels(self.venue).inc()
        for side in bar.fills["side"]:
            self.fills.labels(self.venue, "buy" if int(side) > 0 else "sell").inc()
        for refusal in bar.refused:
            self.rejects.labels(reject_class(refusal.reason)).inc()
        self.equity.set(bar.equity)
        peak = bar.peak_equity
        self.drawdown.set(0.0 if not peak > 0 else max(0.0, 1.0 - bar.equity / peak))
        self.position.set(bar.position)


class _Scraped(Collector):
    """What is read at scrape time: the runner's state, the feed, the providers."""

    def __init__(
        self,
        state: Callable[[], RunnerState | None],
        providers: Callable[[], Sequence[Provider]],
        feed_silent: Callable[[], float | None],
    ) -> None:
        self._state = state
        self._providers = providers
        self._feed_silent = feed_silent

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        state = self._state()
        if state is not None:
            yield GaugeMetricFamily(
                "soltrader_bar_age_seconds",
                "Seconds since a bar was last decided",
                value=state.seconds_since_bar,
            )
            # read from the runner, so a runner restarted while halted shows 1 at once
            yield GaugeMetricFamily(
                "soltrader_halted", "1 while halted", value=float(state.halted is not None)
            )
        silent = self._feed_silent()
        if silent is not None:
            yield GaugeMetricFamily(
                "soltrader_feed_silent_seconds", "Seconds since the feed's last message", silent
            )
        yield from self._provider_families(self._providers())

    @staticmethod
    def _provider_families(
        providers: Sequence[Provider],
    ) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        sent = CounterMetricFamily("soltrader_requests", "Requests sent", labels=["provider"])
        limited = CounterMetricFamily(
            "soltrader_rate_limited", "Rate-limit answers (429/418)", labels=["provider"]
        )
        breakers = GaugeMetricFamily(
            "soltrader_breaker_state", "0 closed, 1 half-open, 2 open", labels=["breaker"]
        )
        for p in providers:
            if p.limiter is not None:
                sent.add_metric([p.name], p.limiter.acquired)
                limited.add_metric([p.name], p.limiter.penalized)
            if p.breaker is not None:
                breakers.add_metric([p.name], BREAKER_CODE[p.breaker.state])
        yield from (sent, limited, breakers)


__all__ = ["BREAKER_CODE", "LATENCY_BUCKETS", "RuntimeMetrics", "reject_class"]
