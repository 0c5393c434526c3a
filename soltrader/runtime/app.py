"""The composition root of ``soltrader live`` / ``status`` / ``halt`` / ``resume``.

This is the one place that wires the edge (the kline feed, the replay server, the SQLite journal,
with ``--live`` the spec's real venue: :func:`~soltrader.runtime.venues.solana_venue` or
:func:`~soltrader.runtime.venues.ccxt_venue`) to the
decision core (:class:`~soltrader.runtime.runner.Runner` over
:class:`~soltrader.engine.paper.PaperLoop`). ``--replay FILE`` starts a local server on
127.0.0.1 that speaks Binance's kline protocol and streams FILE, so a replay runs the real feed →
candle check → decision → venue → journal path; running the same command again after a crash
resumes from the journal and streams only the bars not yet decided.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import signal
import tomllib
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import pandas as pd

from soltrader.adapters.binance_feed import Backoff, FeedEvent, KlineFeed
from soltrader.adapters.replay_server import ReplayServer
from soltrader.adapters.resilience import CircuitBreaker, RateLimiter
from soltrader.adapters.store import read_ohlcv
from soltrader.data.timeframes import timeframe_ms
from soltrader.domain.errors import ParameterError
from soltrader.domain.ports import ExecutingVenue
from soltrader.domain.secret import Secret
from soltrader.engine.intents import intents_csv, intents_table
from soltrader.engine.live_spec import LiveSpec, parse_live_spec
from soltrader.runtime.control import MODE_KEY, OperatorRequest, submit
from soltrader.runtime.health import UNHEALTHY
from soltrader.runtime.journal import Journal, JournalBusyError, JournalError, JournalStatus
from soltrader.runtime.ops import Operations, notifier_for, telegram_secrets
from soltrader.runtime.ops_server import running_endpoints
from soltrader.runtime.runner import Runner, RunSummary, spec_identity, state_dir_for
from soltrader.runtime.secrets import RedactingFilter, Redactor, sanitized
from soltrader.runtime.venues import ccxt_secrets, ccxt_venue, solana_secrets, solana_venue

log = logging.getLogger("soltrader.live")
T = TypeVar("T")

#: Seconds a stop request waits for the bar being decided before the loop is cancelled.
STOP_GRACE_S = 2.0
_JOURNAL = "journal.sqlite"


class LiveOptions(NamedTuple):
    """What ``soltrader live`` was asked: the spec file, the replay file and its speed (None:
    as fast as possible), the state folder override, real trading, the intents CSV."""

    spec_path: Path
    replay: Path | None = None
    speed: float | None = None
    state: Path | None = None
    live: bool = False
    intents_out: Path | None = None


def load_spec(path: Path) -> LiveSpec:
    """Read and validate a live spec file (errors name the file, or the table and key)."""
    try:
        raw = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ParameterError("spec", f"{path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError("spec", f"{path} is not valid TOML: {exc}") from None
    return parse_live_spec(raw)


def journal_path(spec: LiveSpec, spec_path: Path, state: Path | None) -> Path:
    """The spec's journal file: ``--state``, else ``[live] state_dir``, else beside the spec."""
    override = state if state is not None else _as_path(spec.live.state_dir)
    return state_dir_for(Path(spec_path), override) / _JOURNAL


def _as_path(value: str | None) -> Path | None:
    return None if value is None else Path(value)


def spec_secrets(spec: LiveSpec) -> list[Secret]:
    """Every secret a spec holds (venue credentials, the notification token)."""
    found = [spec.live.credentials.api_key, spec.live.credentials.api_secret]
    found.append(spec.ops.telegram_token)
    return [s for s in found if s is not None]


def install_redaction(
    spec: LiveSpec, logger: logging.Logger | None = None, extra: Sequence[Secret] = ()
) -> Redactor:
    """Scrub the spec's secrets and ``extra`` ones (a venue's, read from the environment), and
    any key-like URL parameter, from every record that the handlers of ``logger`` (default:
    the root logger) emit, tracebacks included."""
    redactor = Redactor([*spec_secrets(spec), *extra])
    target = logger or logging.getLogger()
    for handler in target.handlers:
        handler.addFilter(RedactingFilter(redactor))
    return redactor


def binance_symbol(symbol: str) -> str:
    """``"SOL/USDT"`` → ``"SOLUSDT"``."""
    return symbol.replace("/", "").replace("-", "").upper()


def _replay_bars(path: Path) -> pd.DataFrame:
    """The replay file's bars, unvalidated (bad candles are the runtime's to quarantine)."""
    bars = read_ohlcv(path, validate=False)
    if len(bars) == 0:
        raise ParameterError("replay", f"{path} holds no bars")
    return bars


def _open_ms(bars: pd.DataFrame) -> pd.Series:
    return pd.Series(bars.index.as_unit("ms").asi8, index=bars.index)


async def run_live(opts: LiveOptions, on_status: Callable[[str], None]) -> RunSummary:
    """``soltrader live``: restore from the journal, then decide the bars the feed delivers.

    Raises
    ------
    ParameterError
        ``--live`` with a venue that is not wired (``solana`` and ``ccxt`` are), a real venue
        without ``--live`` (or the reverse), a spec without a replay file or feed URLs.
    """
    spec = load_spec(opts.spec_path)
    extra = [*solana_secrets(spec), *ccxt_secrets(spec)] if opts.live else []
    extra += telegram_secrets(spec)
    redactor = install_redaction(spec, extra=extra)
    return await guarded(_run_spec(spec, opts, on_status), redactor)


async def guarded(run: Awaitable[T], redactor: Redactor) -> T:
    """Await ``run``; an exception is logged (through the redacting handlers) and re-raised as
    a :class:`~soltrader.runtime.secrets.SanitizedError` ``from None``, so no secret in its text
    or its chain reaches a traceback or the terminal. Errors of the library's own checks (bad
    spec keys, bad arguments) pass through unchanged: their text holds no secret."""
    try:
        return await run
    except (ParameterError, JournalError):
        raise
    except Exception as exc:
        log.error("the runtime stopped on an error", exc_info=True)
        raise sanitized(exc, redactor) from None


async def _run_spec(
    spec: LiveSpec, opts: LiveOptions, on_status: Callable[[str], None]
) -> RunSummary:
    _check_mode(spec, opts.live)
    if opts.replay is None:
        raise ParameterError(
            "--replay", "give a replay FILE (a live exchange feed needs the network, not offered)"
        )
    bars = _replay_bars(opts.replay)
    with Journal(journal_path(spec, opts.spec_path, opts.state)) as journal:
        if not opts.live:
            return await _replay(spec, journal, bars, opts, on_status)
        build = ccxt_venue if spec.live.venue == "ccxt" else solana_venue
        async with build(spec, journal) as venue:
            return await _replay(spec, journal, bars, opts, on_status, venue)


def _check_mode(spec: LiveSpec, live: bool) -> None:
    """``--live`` exactly when the spec names a real venue, and that venue is wired."""
    venue = spec.live.venue
    if live and venue == "paper":
        raise ParameterError("--live", 'the spec\'s venue is "paper": name a real venue in [live]')
    if not live and venue != "paper":
        raise ParameterError(
            "--live",
            f"the spec trades on {venue!r}: run it with --live, or copy it with venue = "
            '"paper" to paper-trade it (one spec, one journal, one venue)',
        )
    if live and venue not in ("solana", "ccxt"):
        raise ParameterError("--live", f"venue {venue!r} is not wired; solana and ccxt are")


async def _replay(
    spec: LiveSpec,
    journal: Journal,
    bars: pd.DataFrame,
    opts: LiveOptions,
    on_status: Callable[[str], None],
    venue: ExecutingVenue | None = None,
) -> RunSummary:
    open_ms = _open_ms(bars)
    first_ms, last_ms = int(open_ms.iloc[0]), int(open_ms.max())
    holder: dict[str, Any] = {}
    runner = Runner(
        spec, journal, lambda start: holder["feed"].closed(start, last_ms),
        start_ms=first_ms, until_ms=last_ms, on_status=on_status, state_dir=journal.path.parent,
        venue=venue,
    )  # fmt: skip
    runner.restore()
    ops = Operations(runner, venue, speed=opts.speed, notifier=notifier_for(spec))
    # everything loaded so far (libraries, compiled kernels, the restored state) lives as long
    # as the process: out of the collector's reach, a full collection during a bar stays short
    gc.freeze()
    done = journal.status().last_open_time_ms
    rest = bars if done is None else bars[open_ms.to_numpy() > done]
    if len(rest) == 0:
        return await runner.run()
    server = ReplayServer(
        rest, symbol=binance_symbol(spec.data.symbol), interval=spec.data.timeframe,
        speed=opts.speed,
    )  # fmt: skip
    async with server:
        holder["feed"] = KlineFeed(
            rest_url=server.rest_url,
            ws_url=server.ws_url,
            symbol=binance_symbol(spec.data.symbol),
            interval=spec.data.timeframe,
            stale_after_s=_stale_after(spec, opts.speed),
            on_event=lambda event: _on_feed_event(runner, event),
            backoff=Backoff(cap_s=spec.live.feed.reconnect_cap_s),
            limiter=RateLimiter(spec.live.feed.rest_per_s, 1.0),
            breaker=CircuitBreaker(
                "kline REST",
                failures=spec.live.feed.breaker_failures,
                reset_after_s=spec.live.feed.breaker_reset_s,
            ),
        )
        ops.attach_feed(holder["feed"])
        watchdog = asyncio.ensure_future(_stale_watchdog(runner))
        try:
            async with ops:
                summary = await _until_signal(runner)
                ops.stopped(summary)
                return summary
        finally:
            watchdog.cancel()
            with suppress(asyncio.CancelledError):
                await watchdog


def _stale_after(spec: LiveSpec, speed: float | None) -> float:
    """Seconds of silence before the feed reconnects: ``[live.feed] stale_after_s``, else two
    bar intervals at the replay speed (at least 0.5 s; 2 s at max speed)."""
    if spec.live.feed.stale_after_s is not None:
        return spec.live.feed.stale_after_s
    if speed is None:
        return 2.0
    bar_s = timeframe_ms(spec.data.timeframe) / 1000.0
    return max(0.5, 2 * bar_s / speed)


def _on_feed_event(runner: Runner, event: FeedEvent) -> None:
    """Log a feed event; drops and stalls count as errors for the kill switch."""
    level = logging.INFO if event.kind in ("connected", "backfill") else logging.WARNING
    log.log(level, "feed %s: %s", event.kind, event.detail)
    if event.kind in ("disconnected", "stale"):
        runner.note_error(f"feed {event.kind}")


async def _stale_watchdog(runner: Runner, every_s: float = 0.5) -> None:
    """Check every ``every_s`` seconds whether bars stopped coming (``kill_stale_s``)."""
    while True:
        await asyncio.sleep(every_s)
        runner.check_stale()


async def _until_signal(runner: Runner) -> RunSummary:
    """Run until the end; SIGINT / SIGTERM stop deciding after the current bar, and cancel
    the loop if it waits on the feed longer than :data:`STOP_GRACE_S`."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(runner.run())

    def stop() -> None:
        runner.request_stop()
        loop.call_later(STOP_GRACE_S, task.cancel)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    try:
        summary = await task
    except asyncio.CancelledError:
        status = runner.journal.status()
        summary = RunSummary(0, 0, 0, status.intents, status.halted is not None, "signal")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with suppress(Exception):
                loop.remove_signal_handler(sig)
    if summary.stopped == "signal" and runner.spec.live.flatten_on_exit:
        _halt_for_exit(runner)
        summary = summary._replace(halted=True)
    return summary


def _halt_for_exit(runner: Runner) -> None:
    """``flatten_on_exit``: halt, so that the positions are flattened at the first bar the
    runner decides (the paper venue fills only on bars) and no entry follows until resume."""
    if runner.journal.halted() is None:
        last = runner.journal.status().last_open_time_ms
        runner.journal.halt("shutdown with flatten_on_exit", -1 if last is None else last)


def journal_intents_csv(spec: LiveSpec, journal: Journal) -> str:
    """Every journalled intent in decision order, as the intents CSV."""
    bars = journal.bars()
    times = bars["open_time_ms"].astype("int64") * 1_000_000
    return intents_csv(intents_table(journal.intents(), times, [spec.data.symbol]))


def open_journal(spec_path: Path, state: Path | None, *, read_only: bool) -> Journal:
    """The spec's journal (``read_only`` for status)."""
    spec = load_spec(spec_path)
    path = journal_path(spec, spec_path, state)
    if read_only and not path.exists():
        raise ParameterError(
            "spec",
            f"{spec_path} has no journal yet ({path} is missing): start it with "
            f"soltrader live {spec_path} --paper --replay FILE",
        )
    journal = Journal(path, read_only=read_only)
    if not read_only:
        journal.bind(spec_identity(spec))
    return journal


def operator_request(spec_path: Path, state: Path | None, request: OperatorRequest) -> str:
    """Apply an operator's request: straight to the journal when no runner holds it, else left
    for the running runner, which applies it before its next bar. Returns what was done."""
    spec = load_spec(spec_path)
    path = journal_path(spec, spec_path, state)
    try:
        journal = Journal(path)
    except JournalBusyError:
        submit(path.parent, request)
        return "queued: the running runner applies it before its next bar"
    with journal:
        journal.bind(spec_identity(spec))
        if request.action == "halt":
            journal.halt(f"operator: {request.value}", request.at_ms)
        elif request.action == "resume":
            journal.resume()
        else:
            journal.set_meta(MODE_KEY, request.value)
    return "applied to the journal"


def status_text(
    status: JournalStatus, spec: LiveSpec, now_ms: int, health: dict[str, Any] | None = None
) -> str:
    """``soltrader status``: positions, equity, guard state, the last bar and the feed lag, from
    the journal. The lag is the running runner's (seconds since it decided a bar, and since the
    feed's last message: its ``health``) when one runs, else the wall time ``now_ms`` since the
    last decided bar closed (how stale the journal is)."""
    last = (
        "none"
        if status.last_open_time_ms is None
        else pd.Timestamp(status.last_open_time_ms, unit="ms", tz="UTC").isoformat()
    )
    halted = "no" if status.halted is None else f"yes ({status.halted.reason})"
    mode = status.meta.get(MODE_KEY, "normal")
    lag = "-"
    runner = (health or {}).get("runner")
    if runner is not None:
        lag = f"{runner['seconds_since_bar']:,.1f} s since a bar was decided"
        if health.get("feed_silent_s") is not None:
            lag += f", {health['feed_silent_s']:,.1f} s since the feed's last message"
    elif status.last_open_time_ms is not None:
        closed_ms = status.last_open_time_ms + timeframe_ms(spec.data.timeframe)
        lag = f"{(now_ms - closed_ms) / 1000:,.0f} s since the last bar closed (not running)"
    lines = [
        f"spec        {spec.strategy.name} on {spec.data.symbol} {spec.data.timeframe}",
        f"bars        {status.bars} (last bar opened {last})",
        f"feed lag    {lag}",
        f"equity      {_num(status.equity)} (peak {_num(status.peak_equity)})",
        f"cash        {_num(status.cash)}",
        f"position    {_num(status.position)} {spec.data.symbol.split('/')[0]}",
        f"intents     {status.intents}; fills {status.fills}; quarantined {status.quarantined}",
        f"halted      {halted}",
        f"control     {mode}",
    ]
    return "\n".join(lines)


def live_health(spec_path: Path, state: Path | None, timeout_s: float = 2.0) -> dict[str, Any]:
    """The health of the runner running the spec, asked over HTTP (its ``/health``); when no
    runner is running, ``unhealthy`` with the reason "not running"."""
    spec = load_spec(spec_path)
    ends = running_endpoints(journal_path(spec, spec_path, state).parent)
    if ends is None:
        return {"status": UNHEALTHY, "reasons": ["not running: no runner process holds the spec"]}
    try:
        with urllib.request.urlopen(ends.health_url, timeout=timeout_s) as reply:
            return dict(json.loads(reply.read()))
    except urllib.error.HTTPError as answer:  # 503: unhealthy, with the report as the body
        with answer:
            return dict(json.loads(answer.read()))
    except (OSError, ValueError) as exc:
        why = f"the runner (pid {ends.pid}) does not answer on its health port ({exc})"
        return {"status": UNHEALTHY, "reasons": [why]}


def health_text(health: dict[str, Any]) -> str:
    """``soltrader status``'s health lines: the status and its reasons, then each provider."""
    reasons = "; ".join(health.get("reasons", []))
    lines = [f"health      {health['status']}{': ' + reasons if reasons else ''}"]
    for p in health.get("providers", []):
        lines.append(
            f"provider    {p['name']} ({p['role']}): breaker {p['breaker']}, "
            f"{p['requests']} requests, {p['rate_limited']} rate-limited"
        )
    system = health.get("system")
    if system:
        lines.append(
            f"process     {system['rss_bytes'] / 1024**2:,.0f} MiB resident, "
            f"{system['disk_free_bytes'] / 1024**3:,.1f} GiB free on the journal's disk"
        )
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.6g}"


__all__ = [
    "LiveOptions",
    "binance_symbol",
    "guarded",
    "health_text",
    "install_redaction",
    "journal_intents_csv",
    "journal_path",
    "live_health",
    "load_spec",
    "open_journal",
    "operator_request",
    "run_live",
    "spec_secrets",
    "status_text",
]
