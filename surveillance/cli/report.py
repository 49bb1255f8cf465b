"""The weekly situation report as files: `surveillance report`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import SurveillanceError
from ..vocabulary import LANGUAGES
from .common import app, load_config, open_for_reading


@app.command()
def report(
    config: Path = typer.Option(..., help="Config file."),
    week: str = typer.Option(..., help="ISO week, Monday to Sunday, e.g. 2026-W48."),
    region: Optional[str] = typer.Option(None, help="Region code (default: every region; the province of a "
                                                    "single-province config)."),
    language: str = typer.Option("en", help="en or zh."),
    exact: bool = typer.Option(False, "--exact", help="Exact counts (for readers entitled to them); by default "
                                                      "small counts are suppressed, as for viewers."),
    output: Path = typer.Option(..., "-o", "--output", help="The HTML file; the PDF is written beside it."),
):
    """Write the weekly situation report: one self-contained HTML file and FILE.pdf beside it (headless
    Chromium prints it; without Chromium, the HTML only and one line saying why)."""
    from ..report.build import build_report, write_report
    from ..report.numbers import parse_week

    if language not in LANGUAGES:
        raise SurveillanceError(f"unknown --language {language!r}; valid: {', '.join(LANGUAGES)}")
    if output.suffix.lower() not in (".html", ".htm"):
        raise SurveillanceError(f"-o {output}: the report is HTML; name the file FILE.html")
    iso_week = parse_week(week)
    cfg = load_config(config)
    with open_for_reading(cfg) as store:
        built = build_report(store, cfg, region=region, week=iso_week, language=language, exact=exact)
    pdf = write_report(built, output)
    where = built.content.region or "every region"
    typer.echo(f"report {built.content.week_code} for {where} ({language}): {output}")
    if pdf is not None:
        typer.echo(f"PDF: {pdf}")
    else:
        typer.echo(built.no_pdf_reason)
