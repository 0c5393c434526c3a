"""A real aiohttp server on 127.0.0.1 for the tests of live code (one setup, used everywhere)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web


@contextlib.asynccontextmanager
async def serving(
    app: web.Application, *, port: int = 0, shutdown_timeout: float = 60.0
) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 at ``port`` (0: a free one); yields its base URL
    (``http://127.0.0.1:N``) and shuts the server down on exit, waiting at most
    ``shutdown_timeout`` seconds for open connections.

    Examples
    --------
    >>> import asyncio, aiohttp
    >>> async def empty(request: web.Request) -> web.Response:
    ...     return web.Response(status=204)
    >>> async def main() -> int:
    ...     app = web.Application()
    ...     app.router.add_get("/", empty)
    ...     async with serving(app) as url, aiohttp.ClientSession() as http:
    ...         async with http.get(url) as response:
    ...             return response.status
    >>> asyncio.run(main())
    204
    """
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
