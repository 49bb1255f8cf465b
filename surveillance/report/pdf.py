"""The report's PDF: headless Chromium prints the HTML (Debian's ``chromium``; ``make system-packages``).

The HTML has no script and its maps are inline SVG, so what Chromium prints is what a browser shows;
``--virtual-time-budget`` still gives the page its fonts before printing. Without Chromium there is no PDF
and :func:`print_pdf` says why in one line; the HTML stands on its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 120
ENV_BROWSER = "SURVEILLANCE_CHROMIUM"  # a browser's path, for machines where it has another name


@dataclass(frozen=True)
class Printed:
    pdf: bytes | None
    reason: str | None = None  # why there is no PDF


def find_browser() -> str | None:
    named = os.environ.get(ENV_BROWSER)
    if named:
        return named if Path(named).exists() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html: str, *, browser: str | None = None) -> Printed:
    """The HTML printed to PDF, or no PDF and the reason."""
    browser = browser or find_browser()
    if browser is None:
        return Printed(None, "no PDF: headless Chromium was not found (install the Debian package chromium, "
                             f"`make system-packages`, or set {ENV_BROWSER})")
    with tempfile.TemporaryDirectory(prefix="report-") as folder:
        page, out = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                   "--no-first-run", "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", f"--user-data-dir={Path(folder) / 'profile'}", "--no-pdf-header-footer",
                   "--virtual-time-budget=5000", f"--print-to-pdf={out}", page.as_uri()]
        try:
            run = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            return Printed(None, f"no PDF: Chromium did not finish printing within {TIMEOUT_SECONDS} s")
        except OSError as exc:
            return Printed(None, f"no PDF: Chromium could not start: {exc}")
        if not out.exists() or out.stat().st_size == 0:
            why = (run.stderr or b"").decode("utf-8", "replace").strip().splitlines()
            return Printed(None, f"no PDF: Chromium exited with code {run.returncode}"
                                 + (f": {why[-1][:200]}" if why else ""))
        return Printed(out.read_bytes())
