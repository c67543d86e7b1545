"""Open a report in headless Chromium as a reader would, and say what the page did.

Playwright drives the system's Chromium (Debian's ``chromium`` package; ``.ci/run`` installs it):
no browser is downloaded. Every request that is not a ``file:`` or ``data:`` URL is blocked and
recorded, so a page that needs the network fails the check instead of loading something.

    python -m tests.report.browser RUN/report.html docs/report-calibrated.png

prints the check as JSON and writes a full-page screenshot (how the README's picture is made).
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # the closed network refuses these, noisily
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str | None:
    """The system Chromium, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def why_not() -> str | None:
    """Why a browser test cannot run here, or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if chromium() is None:
        return "no Chromium on PATH (apt-get install chromium; .ci/run does)"
    return None


@dataclass
class PageCheck:
    title: str
    images: int
    broken_images: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    channel_rows: int = 0
    status: str = ""
    width_overflow: int = 0  # px the page is wider than the window (0: nothing cut off)
    printed_bytes: int = 0  # size of the page printed to an A4 PDF
    nav_printed: bool = True  # the navigation links are left out of the print


def check_report(report: Path, screenshot: Path | None = None, width: int = 1280) -> PageCheck:
    """Load ``report`` and collect what a reader would notice; optionally save a screenshot."""
    from playwright.sync_api import sync_playwright

    console_errors: list[str] = []
    page_errors: list[str] = []
    blocked: list[str] = []

    def route(r) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on(
                "console",
                lambda m: console_errors.append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.route("**/*", route)
            page.goto(Path(report).resolve().as_uri(), wait_until="load")
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.alt, i.complete && i.naturalWidth > 0])"
            )
            check = PageCheck(
                title=page.title(),
                images=len(images),
                broken_images=[alt for alt, ok in images if not ok],
                console_errors=console_errors,
                page_errors=page_errors,
                blocked_requests=blocked,
                channel_rows=page.locator("#channel-table tbody tr").count(),
                status=page.locator("#status").inner_text().strip().lower(),
                width_overflow=page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth"
                ),
            )
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
            pdf = page.pdf(format="A4")
            check.printed_bytes = len(pdf) if pdf.startswith(b"%PDF") else 0
            page.emulate_media(media="print")
            check.nav_printed = page.locator("nav.toc").is_visible()
        finally:
            browser.close()
    return check


if __name__ == "__main__":
    reason = why_not()
    if reason:
        sys.exit(f"cannot check the report: {reason}")
    result = check_report(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    print(json.dumps(asdict(result), indent=2))
