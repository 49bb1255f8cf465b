"""The weekly situation report (周报) for a health bureau's director: how this week compares with the
last and with the same ISO week a year earlier, where the influenza-like illness and HFMD seasons stand,
the week's alerts and how fast they were answered, data quality, and the forecast of the next two weeks.

    build_report(store, config, region=..., week=..., language=...)   # gathered, HTML, PDF
    write_report(report, "report.html")                                # report.html and report.pdf
    queue_weekly_reports(store, config, today)                         # the Monday emails, once each

Sections are gathered in :mod:`.content` (figures from :mod:`surveillance.service.situation` and the
store), written by :mod:`.render` as one self-contained HTML page (maps as inline SVG: :mod:`.maps`),
printed by headless Chromium (:mod:`.pdf`), stored for the dashboard's Reports page and emailed to
subscriptions with ``report = "weekly"`` (:mod:`.weekly`).
"""

from .build import Report, build_report, store_report, write_report

__all__ = ["Report", "build_report", "store_report", "write_report"]
