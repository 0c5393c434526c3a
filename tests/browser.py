"""Headless Chromium for the page tests: Debian's ``chromium`` driven by Playwright.

Playwright's own browser download is never used (``playwright install`` needs the network);
the system browser is launched by path. ``make test`` installs it with apt when it is missing and
runs as root; anywhere else a missing browser fails the test with what to install, so a browser
test never passes by not running.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Where page tests write their screenshots (ignored by git: ``backtests/*/``).
SCREENSHOTS = Path(__file__).resolve().parents[1] / "backtests" / "screenshots"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu"]
INSTALL = (
    "the browser tests need Chromium: as root run `apt-get install -y chromium` (Debian/Ubuntu; "
    "`make test` does it), or point SOLTRADER_CHROMIUM at a Chromium or Chrome binary"
)


def chromium_path() -> str:
    """The Chromium binary: ``SOLTRADER_CHROMIUM``, else ``chromium`` on the PATH."""
    found = os.environ.get("SOLTRADER_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail(INSTALL, pytrace=False)
    return found


@contextlib.contextmanager
def browser_page(width: int = 1400, height: int = 1000) -> Iterator[object]:
    """A Playwright page in headless Chromium (closed on exit)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def screenshot(page: object, name: str) -> Path:
    """Write a full-page screenshot to :data:`SCREENSHOTS` and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
