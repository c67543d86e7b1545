"""Render a run folder's ``report.html``: Jinja2 over ``content.report_context``.

The page is one file with everything inline (CSS in a ``<style>``, plots as ``data:`` PNGs, no
script, no font or stylesheet from the network), so it opens from a mail attachment, a CI
artifact or a laptop without network, and prints. It is written to a temporary name and renamed
over ``report.html``: a reader never sees half a page, and ``mmm report RUN`` can rebuild it in a
finished run folder.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..errors import UsageError
from ..version import __version__
from .content import report_context

REPORT = "report.html"
TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class ReportInfo:
    path: Path
    bytes: int
    seconds: float

    def to_json(self) -> dict:
        return {"report": str(self.path), "bytes": self.bytes, "seconds": round(self.seconds, 3)}


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,  # a name the template expects but content lacks is a bug
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(run: Path) -> str:
    """The report of run folder ``run`` as one HTML string."""
    context = report_context(Path(run))
    return _environment().get_template("report.html.j2").render(**context, version=__version__)


def write_report(run: Path, out: Path | None = None) -> ReportInfo:
    """Write ``run/report.html`` (or ``out``) atomically; the size and time it took."""
    started = time.perf_counter()
    html = render_report(run)
    target = Path(out) if out is not None else Path(run) / REPORT
    if target.is_symlink():  # write through a link, never replace it
        target = target.resolve()
    if target.exists() and not target.is_file():
        raise UsageError(f"{target}: exists and is not a regular file; give a file path")
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"{target}: cannot write the report: {exc.strerror}") from None
    return ReportInfo(target, target.stat().st_size, time.perf_counter() - started)
