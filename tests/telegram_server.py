"""A local stand-in for Telegram's Bot API (``POST /bot<token>/sendMessage``) on 127.0.0.1,
with faults on request: 429 with ``retry_after``, 5xx, a dropped connection, a stall, and a
refusal whose description echoes the request path (the token with it), as a careless proxy would.

It answers the way the Bot API does: ``{"ok": true, "result": {"message_id": N, ...}}``, or
``{"ok": false, "error_code": C, "description": "...", "parameters": {"retry_after": S}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import NamedTuple

from aiohttp import web

from tests.local_http import serving


class Received(NamedTuple):
    """One message the server accepted: when (monotonic seconds), the chat and the text."""

    at_s: float
    chat_id: str
    text: str


class TelegramServer:
    """The Bot API for one token (see the module docstring).

    ``faults`` is consumed one per request, before the request is judged: ``"429:S"`` (wait S
    seconds), ``"500"``, ``"drop"`` (close the connection unanswered), ``"stall:S"`` (answer
    after S seconds), ``"echo"`` (400 with the path in the description).
    """

    def __init__(self, token: str, faults: list[str] | None = None) -> None:
        self.token = token
        self.faults: deque[str] = deque(faults or [])
        self.received: list[Received] = []
        self.requests = 0
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/sendMessage", self._send)
        return app

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[TelegramServer]:
        async with serving(self.app(), shutdown_timeout=1.0) as url:
            self.url = url
            yield self

    @contextlib.contextmanager
    def in_thread(self) -> Iterator[TelegramServer]:
        """Serve from a thread of its own (for tests that run the CLI in a subprocess)."""
        ready, stop = threading.Event(), threading.Event()

        async def main() -> None:
            async with self.running():
                ready.set()
                while not stop.is_set():
                    await asyncio.sleep(0.05)

        thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
        thread.start()
        assert ready.wait(10), "the Telegram stand-in did not start"
        try:
            yield self
        finally:
            stop.set()
            thread.join(10)

    async def _send(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        fault = self.faults.popleft() if self.faults else ""
        if fault.startswith("429"):
            wait = float(fault.split(":")[1])
            return self._error(429, f"Too Many Requests: retry after {wait:g}", retry_after=wait)
        if fault == "500":
            return self._error(500, "Internal Server Error")
        if fault == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        if fault.startswith("stall"):
            await asyncio.sleep(float(fault.split(":")[1]))
        if fault == "echo":
            return self._error(400, f"Bad Request: cannot route {request.path}")
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        body = await request.json()
        if not body.get("text"):
            return self._error(400, "Bad Request: message text is empty")
        self.received.append(Received(time.monotonic(), str(body["chat_id"]), body["text"]))
        result = {"message_id": len(self.received), "chat": {"id": body["chat_id"]}}
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(code: int, description: str, retry_after: float | None = None) -> web.Response:
        body: dict = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=code)
