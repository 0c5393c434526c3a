"""Telegram notifications against a local Bot API stand-in on 127.0.0.1: delivery in order,
Telegram's 429 ``retry_after`` honoured, 5xx and dropped connections retried, refusals not
retried, a bounded queue that never makes the decision loop wait, and the token never shown, on
the error paths above all; then a paper replay that notifies its trades and its exit."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import traceback
from pathlib import Path

import numpy as np
import pytest

import soltrader as st
from soltrader.adapters.telegram import TelegramBot, TelegramError
from soltrader.domain.errors import ParameterError
from soltrader.domain.records import fill_dt
from soltrader.domain.secret import Secret
from soltrader.domain.state import intent_dt
from soltrader.engine.live_spec import parse_live_spec
from soltrader.runtime.journal import Journal
from soltrader.runtime.notify import Notifier
from soltrader.runtime.ops import notifier_for, telegram_secrets
from soltrader.runtime.runner import BarReport, RunEvent
from tests.conftest import read_sample_bars
from tests.telegram_server import TelegramServer

TOKEN = "987654321:SENTINEL-telegram-token-do-not-show"
CHAT = "-100123"


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


def _notifier(bot: TelegramBot, **kw) -> Notifier:
    kw.setdefault("sleep", asyncio.sleep)
    return Notifier(bot, label="sma SOL/USDT 1m", base="SOL", quote="USDT", rng=lambda: 0.0, **kw)


def _bar(open_ms: int, equity: float, sides: tuple[int, ...] = ()) -> BarReport:
    fills = np.zeros(len(sides), dtype=fill_dt)
    fills["side"], fills["size"], fills["price"], fills["fees"] = sides, 2.5, 101.25, 0.25
    fills["reason"] = -1
    return BarReport(0, open_ms, 101.0, 0, np.zeros(0, intent_dt), fills, (), 0.0, equity, 0.0,
                     equity, 0.0)  # fmt: skip


def test_messages_arrive_in_order_with_the_trade_and_the_guard_events() -> None:
    async def main() -> list[str]:
        server = TelegramServer(TOKEN)
        async with server.running():
            bot = TelegramBot(Secret(TOKEN), CHAT, base_url=server.url)
            notes = _notifier(bot, error_every_s=1000.0)
            async with notes:
                notes.on_event(RunEvent("bar", "", 0, _bar(0, 1000.0, (1,))))
                notes.on_event(RunEvent("halt", "kill switch: drawdown 0.2", 0))
                notes.on_event(RunEvent("error", "feed stale", 0))
                notes.on_event(RunEvent("error", "feed disconnected", 0))  # held back
                notes.on_event(RunEvent("bar", "", 86_400_000, _bar(86_400_000, 1010.0)))
                await notes.close("process exited (end)")
            assert {r.chat_id for r in server.received} == {CHAT}
            assert notes.sent == 5 and notes.failed == notes.dropped == 0
            return [r.text for r in server.received]

    texts = asyncio.run(main())
    assert texts[0] == (
        "sma SOL/USDT 1m: BUY 2.5 SOL @ 101.25 USDT (fees 0.25, entry); equity 1,000.00"
    )
    assert texts[1] == "sma SOL/USDT 1m: HALTED: kill switch: drawdown 0.2"
    assert texts[2] == "sma SOL/USDT 1m: error: feed stale"
    assert texts[3].endswith(
        "day 1970-01-01 UTC: P&L +0.00 USDT (+0.00%), equity 1,000.00, 1 fills, 1 bars"
    )
    assert texts[4] == "sma SOL/USDT 1m: process exited (end)"


def test_a_429_is_waited_out_and_5xx_and_drops_are_retried() -> None:
    async def main() -> TelegramServer:
        server = TelegramServer(TOKEN, faults=["429:1", "500", "drop"])
        async with server.running():
            bot = TelegramBot(Secret(TOKEN), CHAT, base_url=server.url)
            notes = _notifier(bot)
            async with notes:
                started = asyncio.get_running_loop().time()
                notes.notify("first")
                await notes.close(timeout_s=30)
                assert asyncio.get_running_loop().time() - started >= 1.0  # retry_after
            assert notes.sent == 1 and notes.failed == 0
        return server

    server = asyncio.run(main())
    assert server.requests == 4 and [r.text for r in server.received] == ["sma SOL/USDT 1m: first"]


def test_a_refusal_is_not_retried_and_attempts_are_bounded() -> None:
    async def main() -> tuple[Notifier, TelegramServer]:
        server = TelegramServer("another-token", faults=[])
        async with server.running():
            bot = TelegramBot(Secret(TOKEN), CHAT, base_url=server.url)
            notes = _notifier(bot, sleep=_no_wait, max_attempts=3)
            async with notes:
                notes.notify("refused: wrong token")
                await notes.close()
            assert server.requests == 1 and notes.failed == 1
            server.token, server.faults = TOKEN, __import__("collections").deque(["500"] * 5)
            notes = _notifier(bot, sleep=_no_wait, max_attempts=3)
            async with notes:
                notes.notify("always 500")
                await notes.close()
            return notes, server

    notes, server = asyncio.run(main())
    assert notes.failed == 1 and server.requests == 1 + 3


def test_the_token_never_shows_on_any_error_path(caplog: pytest.LogCaptureFixture) -> None:
    """The sentinel token and the base URL reach no exception text, traceback or log line."""
    seen: list[str] = []

    async def main() -> None:
        server = TelegramServer(TOKEN, faults=["echo", "500", "drop", "stall:3"])
        async with server.running():
            base = Secret(server.url)
            bot = TelegramBot(Secret(TOKEN), CHAT, base_url=base, timeout_s=1.0)
            for _ in range(4):
                with pytest.raises(TelegramError) as caught:
                    await bot.send("x")
                seen.append("".join(traceback.format_exception(caught.value)))
                seen.append(repr(caught.value))
            notes = _notifier(bot, sleep=_no_wait, max_attempts=1)
            async with notes:
                server.faults.append("echo")
                notes.notify("y")
                await notes.close()
            await bot.close()
        dead = TelegramBot(Secret(TOKEN), CHAT, base_url=server.url)  # nothing listens now
        with pytest.raises(TelegramError) as caught:
            await dead.send("z")
        await dead.close()
        seen.append("".join(traceback.format_exception(caught.value)))
        seen.append(str(caught.value))

    with caplog.at_level(logging.DEBUG):
        asyncio.run(main())
    seen += [caplog.text, repr(TelegramBot(Secret(TOKEN), CHAT))]
    assert "cannot route" in seen[0] and "HTTP 400" in seen[0]  # the echo was received...
    for text in seen:
        assert TOKEN not in text and "SENTINEL" not in text  # ...and scrubbed
        assert "127.0.0.1" not in text
    assert "got no usable answer" in seen[-3]


def test_notifying_never_waits_and_a_full_queue_drops_its_oldest() -> None:
    async def main() -> tuple[Notifier, TelegramServer, int]:
        server = TelegramServer(TOKEN, faults=["stall:2"])
        async with server.running():
            bot = TelegramBot(Secret(TOKEN), CHAT, base_url=server.url, timeout_s=10.0)
            notes = _notifier(bot, max_queue=10)
            ticks = 0
            async with notes:
                for i in range(100):  # the decision loop, while the sender is stuck
                    notes.notify(f"n{i}")
                    await asyncio.sleep(0)
                    ticks += 1
                await notes.close(timeout_s=30)
            return notes, server, ticks

    notes, server, ticks = asyncio.run(main())
    assert ticks == 100
    texts = [r.text.split(": ")[1] for r in server.received]
    assert texts[0] == "n0" and texts[-10:] == [f"n{i}" for i in range(90, 100)]
    assert notes.dropped == 100 - len(texts) and notes.sent == len(texts)


def _spec(ops: dict) -> object:
    return parse_live_spec(
        {"data": {"symbol": "SOL/USDT", "timeframe": "1m"}, "strategy": {"name": "sma_cross"},
         "ops": ops}
    )  # fmt: skip


def test_the_ops_table_reads_the_token_from_the_environment() -> None:
    spec = _spec({"telegram_token_env": "TG_TOKEN", "telegram_chat": CHAT,
                  "telegram_base_url": "http://127.0.0.1:9"})  # fmt: skip
    assert [s.reveal() for s in telegram_secrets(spec, {"TG_TOKEN": TOKEN})] == [
        TOKEN, "http://127.0.0.1:9"
    ]  # fmt: skip
    with pytest.raises(ParameterError, match="TG_TOKEN is not set"):
        telegram_secrets(spec, {})
    with pytest.raises(ParameterError, match="both a token and telegram_chat"):
        telegram_secrets(_spec({"telegram_token_env": "TG_TOKEN"}), {"TG_TOKEN": TOKEN})
    assert notifier_for(_spec({}), {}) is None
    assert TOKEN not in repr(_spec({"telegram_token": TOKEN, "telegram_chat": CHAT}))


@pytest.mark.slow
def test_a_paper_replay_notifies_its_trades_and_its_exit(tmp_path: Path) -> None:
    data = tmp_path / "bars.csv"
    read_sample_bars("binance", "SOL-USDT", "1m").iloc[:150].reset_index().to_csv(data, index=False)
    spec = st.promote(
        st.strategies.sma_cross, {"fast": 5, "slow": 20, "fees": 0.001}, tmp_path / "sma.toml",
        symbol="SOL/USDT", timeframe="1m",
    )  # fmt: skip
    server = TelegramServer(TOKEN)
    with server.in_thread():
        ops = f'telegram_token_env = "TG_TOKEN"\ntelegram_chat = "{CHAT}"\n'
        spec.write_text(spec.read_text() + f'\n[ops]\n{ops}telegram_base_url = "{server.url}"\n')
        env = {**os.environ, "TG_TOKEN": TOKEN}
        done = subprocess.run(
            [sys.executable, "-m", "soltrader.cli", "live", str(spec), "--replay", str(data),
             "--speed", "600"],  # a bar every 0.1 s: Telegram allows a message a second
            capture_output=True, text=True, timeout=300, env=env,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert TOKEN not in done.stdout + done.stderr
    texts = [r.text for r in server.received]
    with Journal(tmp_path / "sma" / "state" / "journal.sqlite", read_only=True) as journal:
        fills = journal.fills()
    trades = [t for t in texts if " @ " in t]
    assert len(trades) == len(fills) > 0  # every fill, in order
    assert all(t.split(": ")[1].startswith(("BUY", "SELL")) for t in trades)
    first = fills[0]
    side = "BUY" if first["side"] > 0 else "SELL"
    assert trades[0].startswith(f"sma_cross SOL/USDT 1m: {side} {first['size']:.6g} SOL @ ")
    assert texts[-1] == (
        "sma_cross SOL/USDT 1m: process exited (end): 150 bars decided, "
        f"{len(journal_intents(tmp_path))} intents in the journal"
    )


def journal_intents(tmp_path: Path) -> np.ndarray:
    with Journal(tmp_path / "sma" / "state" / "journal.sqlite", read_only=True) as journal:
        return journal.intents()
