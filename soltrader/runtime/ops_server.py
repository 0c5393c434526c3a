"""The runtime's operations endpoints: ``/health`` (JSON) and ``/metrics`` (Prometheus text).

An ``aiohttp.web`` server on 127.0.0.1 inside the trading process (aiohttp installs no signal
handlers, so SIGINT / SIGTERM stay the runner's). ``[ops] health_port`` chooses its port (None
or 0: any free port); ``metrics_port`` serves ``/metrics`` on a second port (None: on the health
port). While it runs, ``ops.json`` in the state folder names the process and the URLs, so
``soltrader status`` and the dashboard find the running runner; it is removed at the stop, and a
file left by a killed process is recognised by its dead pid.

``/health`` answers HTTP 200 when healthy or degraded and 503 when unhealthy (what load
balancers and uptime checkers expect), with :meth:`HealthReport.to_json
<soltrader.runtime.health.HealthReport.to_json>` as the body.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, Self

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.aiohttp import make_aiohttp_handler

from soltrader.runtime.health import UNHEALTHY, HealthReport

OPS_FILE = "ops.json"
HOST = "127.0.0.1"


class OpsEndpoints(NamedTuple):
    """Where a running runner answers: its pid and the two URLs."""

    pid: int
    health_url: str
    metrics_url: str


def running_endpoints(state_dir: Path) -> OpsEndpoints | None:
    """The endpoints of the runner running on ``state_dir`` (None: no runner is running there,
    or the one that wrote ``ops.json`` is dead)."""
    path = Path(state_dir) / OPS_FILE
    try:
        found = OpsEndpoints(**json.loads(path.read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        return None
    return found if _alive(found.pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OpsServer:
    """Serve ``/health`` and ``/metrics`` on 127.0.0.1 while the runner runs.

    Parameters
    ----------
    health : callable
        Returns the current :class:`~soltrader.runtime.health.HealthReport`.
    registry : CollectorRegistry
        The runner's metrics (:attr:`RuntimeMetrics.registry
        <soltrader.runtime.metrics.RuntimeMetrics.registry>`).
    state_dir : Path
        Where ``ops.json`` is written.
    health_port, metrics_port : int, optional
        The ports (None or 0: a free port; ``metrics_port`` None: the health port).

    Examples
    --------
    >>> async with OpsServer(report, metrics.registry, state_dir) as ops:   # doctest: +SKIP
    ...     print(ops.endpoints.health_url)
    http://127.0.0.1:40123/health
    """

    def __init__(
        self,
        health: Callable[[], HealthReport],
        registry: CollectorRegistry,
        state_dir: Path,
        *,
        health_port: int | None = None,
        metrics_port: int | None = None,
    ) -> None:
        self._health = health
        self._registry = registry
        self._state_dir = Path(state_dir)
        self._health_port = health_port or 0
        self._metrics_port = metrics_port
        self._runners: list[web.AppRunner] = []
        self.endpoints: OpsEndpoints | None = None

    async def __aenter__(self) -> Self:
        metrics = make_aiohttp_handler(self._registry)
        routes = [web.get("/health", self._answer_health)]
        if self._metrics_port is None:
            routes.append(web.get("/metrics", metrics))
        health_port = await self._serve(routes, self._health_port)
        metrics_port = health_port
        if self._metrics_port is not None:
            metrics_port = await self._serve([web.get("/metrics", metrics)], self._metrics_port)
        self.endpoints = OpsEndpoints(
            os.getpid(),
            f"http://{HOST}:{health_port}/health",
            f"http://{HOST}:{metrics_port}/metrics",
        )
        self._write(self.endpoints)
        return self

    async def __aexit__(self, *exc: object) -> None:
        (self._state_dir / OPS_FILE).unlink(missing_ok=True)
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    async def _serve(self, routes: list[web.RouteDef], port: int) -> int:
        app = web.Application()
        app.add_routes(routes)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        self._runners.append(runner)
        await web.TCPSite(runner, HOST, port).start()
        return int(runner.addresses[0][1])

    def _write(self, endpoints: OpsEndpoints) -> None:
        self._state_dir.mkdir(parents=True, exist_ok=True)
        path = self._state_dir / OPS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(endpoints._asdict()))
        os.replace(tmp, path)

    async def _answer_health(self, request: web.Request) -> web.Response:
        report = self._health()
        code = 503 if report.status == UNHEALTHY else 200
        return web.json_response(report.to_json(), status=code)


__all__ = ["HOST", "OPS_FILE", "OpsEndpoints", "OpsServer", "running_endpoints"]
