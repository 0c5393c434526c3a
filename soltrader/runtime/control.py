"""Operator requests to a runner: halt, resume, and the control mode (normal, pause, reduce).

The journal has one writer: while a runner holds it, ``soltrader halt`` / ``resume`` /
``control`` cannot write it. They leave a request file in the state folder instead (written to a
temporary name and renamed, so a runner never reads half a request) and ring its bell; the
runner takes it before its next bar and applies it through the journal, where it then persists.
When no runner is running, the commands write the journal directly.

The bell is a file of 8 bytes in the state folder that the runner maps into memory
(:class:`RequestWatch`): ``submit`` writes new bytes into it after leaving the request, and the
runner compares them with the ones it last saw. A bar with no request so costs a read of memory,
not a system call on the decision's path (a ``stat`` of the request file took ~0.1 ms on a
machine whose caches went cold in the minute between two bars).
"""

from __future__ import annotations

import json
import mmap
import os
from pathlib import Path
from typing import NamedTuple

from soltrader.domain.errors import ParameterError
from soltrader.domain.state import ControlMode

REQUEST_FILE = "operator_request.json"
#: The bell a runner watches (8 bytes that change whenever a request is left).
BELL_FILE = "operator_request.bell"
_BELL_SIZE = 8
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
    ring(state_dir)
    return path


def ring(state_dir: Path) -> None:
    """Write new bytes into the state folder's bell (creating it), after a request is left.

    Random bytes, never the ones the bell holds: two operators ringing at once both change it
    from what a runner saw (a counter could be written twice with the same value).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> ring(folder); first = (folder / BELL_FILE).read_bytes()
    >>> ring(folder); len(first), (folder / BELL_FILE).read_bytes() != first
    (8, True)
    """
    with open(_bell_fd(state_dir / BELL_FILE), "r+b") as bell:
        held = bell.read(_BELL_SIZE)
        new = os.urandom(_BELL_SIZE)
        while new == held:
            new = os.urandom(_BELL_SIZE)
        bell.seek(0)
        bell.write(new)


def _bell_fd(path: Path) -> int:
    """A descriptor of the bell opened for reading and writing, created with 8 zero bytes when
    missing or short (``r+b`` cannot create, ``w+b`` would empty a runner's bell)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.fstat(fd).st_size < _BELL_SIZE:
            os.ftruncate(fd, _BELL_SIZE)
    except OSError:
        os.close(fd)
        raise
    return fd


def _mapped_bell(path: Path) -> mmap.mmap | None:
    """The bell at ``path`` mapped into memory (created when missing); None where it cannot
    be made or mapped."""
    try:
        fd = _bell_fd(path)
    except OSError:
        return None
    try:
        return mmap.mmap(fd, _BELL_SIZE)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)  # the mapping keeps the file


class RequestWatch:
    """A runner's watch for operator requests in ``state_dir``: :meth:`take` gives the pending
    request at most once, reading only the mapped bell until a request rings it.

    A request left before the watch started is taken at the first :meth:`take`. Where the bell
    cannot be mapped (a folder that refuses it), each :meth:`take` looks for the request file
    instead, as before the bell.

    Parameters
    ----------
    state_dir : Path
        The runner's state folder (it must exist).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = submit(folder, OperatorRequest("mode", "pause", 1))   # before the runner started
    >>> watch = RequestWatch(folder)
    >>> watch.take(), watch.take()
    (OperatorRequest(action='mode', value='pause', at_ms=1), None)
    >>> _ = submit(folder, OperatorRequest("halt", "maintenance", 2))
    >>> watch.take()
    OperatorRequest(action='halt', value='maintenance', at_ms=2)
    >>> watch.close()
    """

    def __init__(self, state_dir: Path) -> None:
        self._dir = state_dir
        self._bell = _mapped_bell(state_dir / BELL_FILE)  # None: a stat per take
        self._seen = b""  # differs from any bell: the first take looks for a request

    def take(self) -> OperatorRequest | None:
        """The request left since the last call, removed from the folder; None when there is
        none (without a system call when the bell has not rung)."""
        bell = self._bell
        if bell is not None:
            rung = bell[:_BELL_SIZE]
            if rung == self._seen:
                return None
            self._seen = rung  # before the file: a request left after this rings again
        return take(self._dir)

    def close(self) -> None:
        """Unmap the bell (later calls look for the request file)."""
        if self._bell is not None:
            self._bell.close()
            self._bell = None


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


__all__ = [
    "BELL_FILE",
    "MODES",
    "MODE_KEY",
    "REQUEST_FILE",
    "OperatorRequest",
    "RequestWatch",
    "mode_code",
    "ring",
    "submit",
    "take",
]
