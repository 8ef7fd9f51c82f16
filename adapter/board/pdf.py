"""The board pack as PDF, for board papers: the HTML page printed at A4 by headless Chromium
(Debian's `chromium`), which lays out the same CSS a reader's browser does.

Chromium runs with a new empty profile, no network services and no sandbox (it runs as root
in CI containers); it only reads the page from a temporary file.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from adapter.errors import UsageError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-pdf-header-footer",
)
TIMEOUT_SECONDS = 120


def find_chromium() -> str:
    """The Chromium executable, or a usage error saying how to get one."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise UsageError(
        "--format pdf needs Chromium, which is not installed; install it (Debian: "
        "apt-get install chromium), or write --format html and print that"
    )


def chromium_command(browser: str, profile: Path, *extra: str) -> list[str]:
    return [browser, *FLAGS, f"--user-data-dir={profile}", *extra]


def html_to_pdf(page: str) -> bytes:
    """`page` printed to PDF (A4, as the page's `@page` rule says)."""
    browser = find_chromium()
    with tempfile.TemporaryDirectory(prefix="referee-pdf-") as folder:
        work = Path(folder)
        source, target = work / "board.html", work / "board.pdf"
        source.write_text(page, encoding="utf-8")
        command = chromium_command(
            browser, work / "profile", f"--print-to-pdf={target}", source.as_uri()
        )
        done = subprocess.run(  # noqa: S603 (fixed flags, our own temporary files)
            command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False
        )
        if not target.is_file():
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise RuntimeError(f"Chromium made no PDF (exit {done.returncode}): {tail}")
        return target.read_bytes()
