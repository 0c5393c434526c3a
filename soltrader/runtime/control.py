"""Operator requests to a runner: halt, resume, and the control mode (normal, pause, reduce).

The journal has one writer: while a runner holds it, ``soltrader halt`` / ``resume`` /
``control`` cannot write it. They leave a request file in the state folder instead (written to a
temporary name and renamed, so a runner never reads half a request); the runner takes it before
its next bar and applies it through the journal, where it then persists. When no runner is
running, the commands write the journal directly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

from soltrader.domain.errors import ParameterError
from soltrader.domain.state import ControlMode

REQUEST_FILE = "operator_request.json"
#: Control modes an operator may set without halting (EMERGENCY is ``halt``).
MODES = ("normal", "pause", "reduce")
#: The journal meta key of the operator's control mode.
MODE_KEY = "control_mode"


class OperatorRequest(NamedTuple):
    """``action`` is ``"halt"``, ``"resume"`` or ``"mode"``; ``value`` the reason or the mode;
    ``at_ms`` when it was asked (epoch ms)."""

    action: str
    value: str
    at_ms: int


def submit(state_dir: Path, request: OperatorRequest) -> Path:
    """Leave ``request`` for the runner (replacing an earlier one not yet taken).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = submit(folder, OperatorRequest("halt", "maintenance", 0))
    >>> take(folder), take(folder)
    (OperatorRequest(action='halt', value='maintenance', at_ms=0), None)
    """
    if request.action not in ("halt", "resume", "mode"):
        raise ParameterError("action", f"{request.action!r}: use halt, resume or mode")
    if request.action == "mode" and request.value not in MODES:
        raise ParameterError("mode", f"{request.value!r}: use one of {list(MODES)}")
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / REQUEST_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(request._asdict()))
    os.replace(tmp, path)
    return path


def take(state_dir: Path) -> OperatorRequest | None:
    """The pending request, removed from the folder (None when there is none)."""
    path = state_dir / REQUEST_FILE
    if not path.exists():  # a stat per bar; opening would cost more on the common path
        return None
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    path.unlink(missing_ok=True)
    return OperatorRequest(str(raw["action"]), str(raw["value"]), int(raw["at_ms"]))


def mode_code(name: str) -> int:
    """``"pause"`` → ``ControlMode.PAUSE`` (as an int)."""
    return int(ControlMode[name.upper()])


__all__ = ["MODES", "MODE_KEY", "REQUEST_FILE", "OperatorRequest", "mode_code", "submit", "take"]
