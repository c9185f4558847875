"""Headless Chromium for the tests that look at a page as a person would: load it, read its DOM, screenshot it.

Debian's `chromium` (the Makefile installs it as root; elsewhere the tests
that need it say in one line that they are skipped and why).  Every run has a
fresh profile folder and no network services, so nothing outside the page is
fetched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)
CONSOLE = re.compile(r":(?:INFO|WARNING|ERROR):CONSOLE[^\]]*\] (.*)")


def chromium() -> str | None:
    """The chromium binary, or None."""
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _run(page: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    binary = chromium()
    assert binary is not None
    with tempfile.TemporaryDirectory(prefix="fpga-opt-chromium-") as profile:
        return subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def dump_dom(page: Path) -> tuple[str, list[str]]:
    """The DOM after the page loaded, and every console message it logged (errors included)."""
    done = _run(page, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, CONSOLE.findall(done.stderr)


def screenshot(page: Path, png: Path, width: int = 1500, height: int = 1500) -> None:
    """A PNG of the page's first `width` x `height` pixels."""
    done = _run(page, f"--screenshot={png.resolve()}", f"--window-size={width},{height}")
    assert done.returncode == 0 and png.is_file(), done.stderr[-2000:]
