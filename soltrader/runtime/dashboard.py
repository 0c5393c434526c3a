"""``soltrader dashboard``: a read-only page on 127.0.0.1 over one or more specs' journals.

An ``aiohttp.web`` app serves the page (``static/``: plain HTML, CSS and JavaScript with the
vendored uPlot chart library, nothing from a CDN) and ``/api/state``, the JSON it refreshes every
few seconds: :func:`~soltrader.runtime.dashboard_data.strategy_view` of each spec, read from its
journal opened read-only (``file:…?mode=ro``) in a worker thread, plus the ``/health`` of the
runner running it, if one is. There is no route that writes: every route is a GET, the page has
no form and no button that could trade; halting and resuming stay in the CLI (``soltrader halt``,
``resume``, ``control``). Responses carry a content security policy that allows this origin only.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import aiohttp
from aiohttp import web

from soltrader.domain.errors import ParameterError
from soltrader.engine.live_spec import LiveSpec
from soltrader.runtime.app import journal_path, load_spec
from soltrader.runtime.dashboard_data import strategy_view
from soltrader.runtime.journal import Journal
from soltrader.runtime.ops_server import HOST, running_endpoints

STATIC = Path(__file__).resolve().parent / "static"
#: Seconds between two refreshes of the page (the default of ``--refresh``).
REFRESH_S = 2.0
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Watched(NamedTuple):
    """One spec the dashboard shows: its name on the page, the spec and its journal file."""

    name: str
    spec: LiveSpec
    journal: Path


def watched_specs(paths: Sequence[Path], state: Path | None = None) -> list[Watched]:
    """Read the specs (``state`` only with one spec: it names that spec's state folder).

    Raises
    ------
    ParameterError
        No spec, ``--state`` with several specs, a spec that cannot be read, or two specs
        with the same file name.
    """
    if not paths:
        raise ParameterError("spec", "name at least one live spec")
    if state is not None and len(paths) > 1:
        raise ParameterError("--state", "give --state with one spec only")
    out = [Watched(p.stem, spec := load_spec(p), journal_path(spec, p, state)) for p in paths]
    names = [w.name for w in out]
    if len(set(names)) != len(names):
        raise ParameterError("spec", f"two specs share a file name: {names}")
    return out


def _read(w: Watched, health: dict[str, Any] | None) -> dict[str, Any]:
    if not w.journal.exists():
        return {"name": w.name, "strategy": w.spec.strategy.name, "missing": "no journal yet"}
    with Journal(w.journal, read_only=True) as journal:
        return strategy_view(w.spec, w.name, journal, health)


async def _health(http: aiohttp.ClientSession, w: Watched) -> dict[str, Any] | None:
    ends = running_endpoints(w.journal.parent)
    if ends is None:
        return None
    try:
        async with http.get(ends.health_url) as reply:
            return dict(await reply.json())
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return {"status": "unhealthy", "reasons": ["the runner does not answer on /health"]}


def dashboard_app(watched: Sequence[Watched], *, refresh_s: float = REFRESH_S) -> web.Application:
    """The dashboard's app (read-only GET routes; see the module docstring).

    Examples
    --------
    >>> app = dashboard_app([])
    >>> sorted({r.method for r in app.router.routes()})
    ['GET', 'HEAD']
    """

    @web.middleware
    async def headers(request: web.Request, handler: Callable) -> web.StreamResponse:
        response = await handler(request)
        response.headers.update(_HEADERS)
        return response

    async def state(request: web.Request) -> web.Response:
        http: aiohttp.ClientSession = request.app[_HTTP]
        healths = await asyncio.gather(*(_health(http, w) for w in watched))
        views = [
            await asyncio.to_thread(_read, w, h) for w, h in zip(watched, healths, strict=True)
        ]
        return web.json_response({"refresh_s": refresh_s, "strategies": views})

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def session(app: web.Application) -> Any:
        app[_HTTP] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1.0))
        yield
        await app[_HTTP].close()

    app = web.Application(middlewares=[headers])
    app.router.add_get("/", index)
    app.router.add_get("/api/state", state)
    app.router.add_static("/static/", STATIC, show_index=False, follow_symlinks=False)
    app.cleanup_ctx.append(session)
    return app


_HTTP = web.AppKey("http", aiohttp.ClientSession)


async def serve_dashboard(
    watched: Sequence[Watched],
    *,
    port: int = 0,
    refresh_s: float = REFRESH_S,
    on_ready: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve the dashboard on 127.0.0.1 until SIGINT / SIGTERM (or ``stop`` is set); calls
    ``on_ready`` with its URL once it listens (``port`` 0: a free port)."""
    runner = web.AppRunner(dashboard_app(watched, refresh_s=refresh_s), access_log=None)
    await runner.setup()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        await web.TCPSite(runner, HOST, port).start()
        on_ready(f"http://{HOST}:{runner.addresses[0][1]}/")
        for sig in (signal.SIGINT, signal.SIGTERM):
            # no signal handlers where the loop cannot take them (Windows: NotImplementedError;
            # a loop outside the main thread, as in tests: RuntimeError); stop still stops it
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        await runner.cleanup()


__all__ = ["REFRESH_S", "STATIC", "Watched", "dashboard_app", "serve_dashboard", "watched_specs"]
