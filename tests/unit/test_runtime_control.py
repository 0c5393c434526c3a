"""Operator requests to a running runner: the request file and the bell a runner watches."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as hs

from soltrader.runtime.control import (
    BELL_FILE,
    REQUEST_FILE,
    OperatorRequest,
    RequestWatch,
    ring,
    submit,
)

_REQUESTS = hs.builds(
    OperatorRequest,
    hs.sampled_from(["halt", "resume", "mode"]),
    hs.just("pause"),
    hs.integers(0, 2**40),
)
#: One step: an operator's request, a ring with no request, a runner's bar, or a runner restart.
_STEPS = hs.lists(
    hs.one_of(_REQUESTS, hs.sampled_from(["ring", "take", "restart"])), min_size=1, max_size=40
)


@settings(max_examples=150, deadline=None)
@given(steps=_STEPS)
def test_each_bar_takes_the_request_left_since_the_last_bar(steps: list) -> None:
    """Against a model: a bar's take gives the last request submitted since the previous take
    (a newer one replaces it, as the file does), else None; a spurious ring gives None; a
    restarted runner takes a request left while it was down."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        watch = RequestWatch(folder)
        pending = None
        for step in steps:
            if isinstance(step, OperatorRequest):
                submit(folder, step)
                pending = step
            elif step == "ring":
                ring(folder)
            elif step == "restart":
                watch.close()
                watch = RequestWatch(folder)
            else:
                assert watch.take() == pending
                pending = None
        assert watch.take() == pending
        assert watch.take() is None
        watch.close()


def test_a_request_from_another_process_rings_the_mapped_bell(tmp_path: Path) -> None:
    watch = RequestWatch(tmp_path)
    assert watch.take() is None
    code = (
        "import sys; from pathlib import Path; "
        "from soltrader.runtime.control import OperatorRequest, submit; "
        "submit(Path(sys.argv[1]), OperatorRequest('halt', 'from afar', 7))"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    assert watch.take() == OperatorRequest("halt", "from afar", 7)
    assert watch.take() is None and not (tmp_path / REQUEST_FILE).exists()
    watch.close()


def test_a_quiet_bell_is_not_a_look_at_the_folder(tmp_path: Path) -> None:
    """Until the bell rings, take() does not look for the request file: one written without a
    ring stays where it is (the bell, not a stat per bar, is what a runner watches)."""
    watch = RequestWatch(tmp_path)
    assert watch.take() is None
    (tmp_path / REQUEST_FILE).write_text('{"action": "halt", "value": "x", "at_ms": 1}')
    assert watch.take() is None
    ring(tmp_path)
    assert watch.take() == OperatorRequest("halt", "x", 1)
    watch.close()


def test_without_a_bell_each_take_looks_for_the_request(tmp_path: Path) -> None:
    """A folder where the bell cannot be made: the watch falls back to the file itself."""
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / BELL_FILE).mkdir()  # a directory where the bell should be: it cannot be opened
    watch = RequestWatch(folder)
    assert watch.take() is None
    (folder / REQUEST_FILE).write_text('{"action": "mode", "value": "pause", "at_ms": 3}')
    assert watch.take() == OperatorRequest("mode", "pause", 3)
    assert watch.take() is None
    watch.close()


def test_ring_keeps_the_bell_eight_bytes_and_private(tmp_path: Path) -> None:
    ring(tmp_path)
    ring(tmp_path)
    bell = tmp_path / BELL_FILE
    assert bell.stat().st_size == 8
    assert os.stat(bell).st_mode & 0o077 == 0
