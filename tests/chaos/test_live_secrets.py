"""A sentinel secret in a spec's credentials never shows: a forced HTTP error path (a local
server on 127.0.0.1 answering 400 to a URL that holds the secret) runs through the runtime, and
the logs, the error the runtime raises, its traceback, the spec's repr and the journal file hold
zero occurrences of it."""

from __future__ import annotations

import asyncio
import io
import logging
import traceback
from contextlib import aclosing
from pathlib import Path

import pytest
from aiohttp import web

from soltrader.adapters.binance_feed import KlineFeed
from soltrader.engine.live_spec import parse_live_spec
from soltrader.runtime.app import guarded, install_redaction
from soltrader.runtime.journal import Journal
from soltrader.runtime.runner import Runner
from soltrader.runtime.secrets import SanitizedError
from tests.local_http import serving

SENTINEL = "SENTINEL-a7c41e09"


def _refusing_app() -> web.Application:
    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"code": -2015, "msg": "Invalid API-key"}, status=401)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    return app


def _feed(port: int) -> KlineFeed:
    # the secret in the URL, as RPC providers and bot APIs put it
    return KlineFeed(
        rest_url=f"http://127.0.0.1:{port}/{SENTINEL}", ws_url=f"ws://127.0.0.1:{port}/{SENTINEL}",
        backoff=[0.01], stale_after_s=1.0,
    )  # fmt: skip


async def _original_error(port: int) -> BaseException:
    try:
        async with aclosing(_feed(port).closed(0)) as bars:
            async for _ in bars:
                break
    except Exception as exc:  # the raw error, to show that it leaks
        return exc
    raise AssertionError("the forced error path did not fail")


def test_the_sentinel_never_shows(tmp_path: Path) -> None:
    spec = parse_live_spec(
        {
            "data": {"symbol": "SOL/USDT", "timeframe": "1m"},
            "strategy": {"name": "sma_cross"},
            "live": {"credentials": {"api_key": SENTINEL, "api_secret": SENTINEL + "-2"}},
        }
    )
    stream = io.StringIO()
    logger = logging.getLogger("soltrader")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    install_redaction(spec, logger)
    journal_path = tmp_path / "journal.sqlite"

    async def scenario() -> tuple[BaseException, BaseException]:
        async with serving(_refusing_app()) as url:
            port = int(url.rsplit(":", 1)[1])
            raw = await _original_error(port)
            feed = _feed(port)
            with Journal(journal_path) as journal:
                runner = Runner(spec, journal, lambda start: feed.closed(start), start_ms=0)
                with pytest.raises(SanitizedError) as caught:
                    await asyncio.wait_for(guarded(runner.run(), install_redaction(spec)), 30)
            return raw, caught.value

    try:
        raw, err = asyncio.run(scenario())
    finally:
        logger.removeHandler(handler)
    assert SENTINEL in str(raw) + "".join(traceback.format_exception(raw))  # it would leak
    shown = [
        stream.getvalue(),
        str(err),
        repr(err),
        "".join(traceback.format_exception(err)),
        repr(spec),
        str(spec.model_dump()),
        journal_path.read_bytes().decode("latin-1"),
    ]
    assert "the runtime stopped" in shown[0] and "401" in str(err)
    for text in shown:
        assert SENTINEL not in text
