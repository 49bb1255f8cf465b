"""One weekly report from the store: gathered, written as HTML, printed to PDF, and stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from epiweeks import Week

from ..config import Config
from ..store.reports import save_report
from .content import ReportContent, gather
from .pdf import print_pdf
from .render import render_html


@dataclass(frozen=True)
class Report:
    content: ReportContent
    html: str
    pdf: bytes | None
    no_pdf_reason: str | None  # why there is no PDF (None when there is one)

    @property
    def summary(self) -> dict:
        return self.content.summary()


def build_report(store, config: Config, *, region: str | None, week: Week, language: str = "en",
                 exact: bool = False, pdf: bool = True, now: datetime | None = None) -> Report:
    """The report of ``region`` (None: every region) for the ISO ``week`` in ``language``; ``exact``: for
    a reader entitled to exact counts (else small counts are suppressed); ``pdf``: print it too."""
    content = gather(store, config, region=region, week=week, language=language, exact=exact, now=now)
    page = render_html(content)
    printed = print_pdf(page) if pdf else None
    return Report(content, page, printed.pdf if printed else None, printed.reason if printed else "no PDF asked for")


def store_report(store, report: Report) -> int:
    """Keep the report for the dashboard's Reports page; returns its id."""
    c = report.content
    with store.transaction() as cur:
        return save_report(cur, region=c.region, week=c.week_code, language=c.language, exact=c.exact,
                           html=report.html, pdf=report.pdf, summary=report.summary, now=c.created_at)


def write_report(report: Report, html_path: str | Path) -> Path | None:
    """Write the HTML and, when there is one, the PDF beside it (same name, ``.pdf``); returns the PDF's path."""
    html_path = Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(report.html, encoding="utf-8")
    if report.pdf is None:
        return None
    pdf_path = html_path.with_suffix(".pdf")
    pdf_path.write_bytes(report.pdf)
    return pdf_path
