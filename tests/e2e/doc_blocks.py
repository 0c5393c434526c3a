"""The ```python blocks of a Markdown file, in order, to run as a test.

A block runs unless the line just before its fence is ``<!-- not run: REASON -->``; only blocks
that need the network (a remote server, an exchange) may be marked, and the reason says so.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

_FENCE = re.compile(r"^```python\n(.*?)^```", flags=re.S | re.M)
_SKIP = re.compile(r"<!--\s*not run:\s*(.*?)\s*-->\s*$")


class Block(NamedTuple):
    """One code block: its source, the line of its fence (1-based) and why it is not run."""

    code: str
    line: int
    skip: str | None


def python_blocks(path: Path) -> list[Block]:
    """Every ```python block of ``path`` in order (fences at the start of a line)."""
    text = path.read_text(encoding="utf-8")
    blocks = []
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        reason = _SKIP.search(before)
        blocks.append(Block(match.group(1), line, reason.group(1) if reason else None))
    return blocks


def run_blocks(path: Path, namespace: dict[str, object] | None = None) -> dict[str, object]:
    """Execute the blocks of ``path`` that are not marked, in one namespace; returns it.

    A failure names the file and the line of the block's fence in its traceback.
    """
    namespace = {} if namespace is None else namespace
    for block in python_blocks(path):
        if block.skip is not None:
            continue
        # pad so that a traceback's line numbers are the Markdown file's own
        source = "\n" * block.line + block.code
        exec(compile(source, str(path), "exec"), namespace)
    return namespace
