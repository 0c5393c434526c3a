"""The runtime's Prometheus metrics count what the runner's events say, and read providers and
the runner's state at scrape time."""

from __future__ import annotations

import numpy as np
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from soltrader.adapters.resilience import CircuitBreaker, Provider, RateLimiter
from soltrader.domain.records import fill_dt
from soltrader.domain.state import IntentReason, intent_dt
from soltrader.runtime.journal import Refusal
from soltrader.runtime.metrics import RuntimeMetrics, reject_class
from soltrader.runtime.runner import BarReport, RunEvent, RunnerState

STATE = RunnerState(3, 0, 0, 2.5, None, "normal", 0, 1.0, None, 0)


def _samples(metrics: RuntimeMetrics) -> dict[tuple[str, tuple], float]:
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _bar(reasons: list[int], sides: list[int], refused: tuple[Refusal, ...], equity: float):
    intents = np.zeros(len(reasons), dtype=intent_dt)
    intents["reason"] = reasons
    fills = np.zeros(len(sides), dtype=fill_dt)
    fills["side"] = sides
    return BarReport(0, 0, 100.0, 0, intents, fills, refused, 0.0, equity, 1.0, 1000.0, 0.0004)


def test_bar_events_count_intents_orders_fills_rejects_and_set_gauges() -> None:
    now = [0.0]
    state = [STATE]
    limiter = RateLimiter(10, 1.0, clock=lambda: now[0])
    breaker = CircuitBreaker("rpc main", failures=1, clock=lambda: now[0])
    limiter.try_acquire()
    limiter.penalize(5.0)
    breaker.record_failure()
    m = RuntimeMetrics(
        "binance",
        state=lambda: state[0],
        providers=lambda: [Provider("rpc main", limiter, breaker)],
        feed_silent=lambda: 0.75,
    )
    m.on_event(
        RunEvent("bar", "", 0, _bar([IntentReason.ENTRY, IntentReason.CANCEL], [1], (), 990.0))
    )
    refusal = Refusal(7, "order refused (min_cost): 1 < 5 USDT")
    m.on_event(RunEvent("bar", "", 60_000, _bar([IntentReason.STOP_LOSS], [], (refusal,), 950.0)))
    m.on_event(RunEvent("quarantine", "ohlc", 120_000))
    m.on_event(RunEvent("halt", "kill switch", 120_000))
    state[0] = STATE._replace(halted="kill switch")  # what the runner's state says then
    s = _samples(m)
    assert s[("soltrader_bars_total", ())] == 2
    assert s[("soltrader_intents_total", (("reason", "entry"),))] == 1
    assert s[("soltrader_intents_total", (("reason", "cancel"),))] == 1
    assert s[("soltrader_intents_total", (("reason", "stop_loss"),))] == 1
    assert s[("soltrader_orders_total", (("venue", "binance"),))] == 2  # cancels are not orders
    assert s[("soltrader_fills_total", (("side", "buy"), ("venue", "binance")))] == 1
    assert s[("soltrader_rejects_total", (("reason", "min_cost"),))] == 1
    assert s[("soltrader_candles_quarantined_total", ())] == 1
    assert s[("soltrader_halted", ())] == 1
    assert s[("soltrader_equity", ())] == 950.0
    assert s[("soltrader_drawdown_ratio", ())] == pytest.approx(0.05)
    assert s[("soltrader_decision_latency_seconds_count", ())] == 2
    assert s[("soltrader_decision_latency_seconds_bucket", (("le", "0.0005"),))] == 2
    assert s[("soltrader_bar_age_seconds", ())] == 2.5
    assert s[("soltrader_feed_silent_seconds", ())] == 0.75
    assert s[("soltrader_requests_total", (("provider", "rpc main"),))] == 1
    assert s[("soltrader_rate_limited_total", (("provider", "rpc main"),))] == 1
    assert s[("soltrader_breaker_state", (("breaker", "rpc main"),))] == 2


def test_two_runners_never_share_a_registry() -> None:
    a = RuntimeMetrics("paper", state=lambda: None)
    b = RuntimeMetrics("paper", state=lambda: None)
    a.on_event(RunEvent("error", "feed stale", -1))
    assert _samples(a)[("soltrader_errors_total", ())] == 1
    assert _samples(b)[("soltrader_errors_total", ())] == 0


def test_reject_classes_are_bounded() -> None:
    assert reject_class("refused (max_amount): too big") == "max_amount"
    assert reject_class("refused (made_up_rule): x") == "other"
    assert reject_class("Slippage tolerance exceeded") == "slippage"


def test_a_runner_restarted_while_halted_reports_it_before_any_event() -> None:
    halted = RuntimeMetrics("paper", state=lambda: STATE._replace(halted="operator: x"))
    assert _samples(halted)[("soltrader_halted", ())] == 1
    assert _samples(RuntimeMetrics("paper", state=lambda: STATE))[("soltrader_halted", ())] == 0
