"""Helpers for tests that run ``soltrader live`` in a process of its own."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from soltrader.runtime.ops_server import OpsEndpoints, running_endpoints


def cli(*args: str) -> list[str]:
    """The command line of ``soltrader ARGS`` with this interpreter."""
    return [sys.executable, "-m", "soltrader.cli", *args]


def state_dir(spec: Path) -> Path:
    """The default state folder of a spec (``<spec folder>/<spec name>/state``)."""
    return spec.parent / spec.stem / "state"


def wait_for_runner(spec: Path, proc: subprocess.Popen, limit_s: float = 60.0) -> OpsEndpoints:
    """Wait until the runner of ``spec`` serves its operations endpoints (it has restored its
    journal, installed its signal handlers and is deciding bars); fail if ``proc`` ends first."""
    deadline = time.monotonic() + limit_s
    while (ends := running_endpoints(state_dir(spec))) is None:
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the runner did not start"
        time.sleep(0.1)
    return ends
