"""The weekly report's email: a short summary (the headline figures) in the body, the report attached as
a PDF (as HTML when no PDF could be printed), in the subscription's language."""

from __future__ import annotations

import html
from email.message import EmailMessage

from ..notify.compose import email_message
from ..vocabulary import classification_line, suppressed_label, suppression_note, syndrome_label, withheld_label
from . import numbers as fmt
from .build import Report
from .headline import VISITS
from .words import level_word, say, trend_word

REPORTS_PATH = "/app/reports"


def attachment_name(report: Report, extension: str) -> str:
    c = report.content
    return f"report-{c.region or 'all'}-{c.week_code}-{c.language}.{extension}"


def summary_lines(report: Report) -> list[str]:
    """One line per measure: this week's count, its change on last week and on last year, the trend; then
    the seasons' levels and the alerts of the week."""
    c, lang = report.content, report.content.language
    hidden_mark = suppressed_label(c.min_cell, lang)
    sep, open_, comma, close = ("：", "（", "，", "）") if lang == "zh" else (": ", " (", ", ", ")")
    figures = report.summary["figures"]
    lines = []
    for syndrome in [VISITS, *c.syndromes]:
        f = figures.get(syndrome)
        if not f:
            continue
        name = say("all_visits", lang) if syndrome == VISITS else syndrome_label(syndrome, lang)
        count = hidden_mark if f.get("hidden_this") else fmt.count(f.get("count_this"), lang)
        week = withheld_label(lang) if f.get("hidden_this") or f.get("hidden_last") else fmt.change(f.get("ratio_last_week"))
        year = withheld_label(lang) if f.get("hidden_this") or f.get("hidden_last_year") else \
            fmt.change(f.get("ratio_last_year"))
        trend = f" · {say('trend', lang)}{sep}{trend_word(f['trend'], lang)}" if f.get("trend") else ""
        lines.append(f"{name}{sep}{count}{open_}{say('vs_last_week', lang)} {week}{comma}"
                     f"{say('vs_last_year', lang)} {year}{close}{trend}")
    seasons = c.seasons[c.seasons["region"] == c.region] if c.seasons is not None and len(c.seasons) else []
    for row in (seasons.to_dict("records") if len(seasons) else []):
        lines.append(f"{say('season', lang)} · {syndrome_label(row['syndrome'], lang)}{sep}"
                     f"{level_word(row.get('level'), lang)}")
    if c.alerts is not None and len(c.alerts):
        n = {k: int(c.alerts["actions"].map(lambda a, k=k: k in a).sum()) for k in ("opened", "escalated", "closed", "ended")}
        lines.append(f"{say('alerts', lang)}{sep}{say('alerts_summary', lang, **n)}")
    else:
        lines.append(say("no_alerts", lang))
    return lines


def compose_report_email(report: Report, *, sender: str, recipient: str, base_url: str, place: str) -> EmailMessage:
    """The email of one report to one recipient; ``place`` is the region as the reader names it."""
    c, lang = report.content, report.content.language
    subject = say("email_subject", lang, week=c.week_code, region=place)
    label = classification_line(c.classification, lang)
    link = base_url.rstrip("/") + REPORTS_PATH
    intro = say("email_intro", lang, region=place, span=fmt.week_span(c.week, lang))
    lines = summary_lines(report)
    extra = [] if report.pdf is not None else [say("email_attached_html", lang)]
    note = [] if c.exact else [suppression_note(c.min_cell, lang)]
    sep = "：" if lang == "zh" else ": "
    text = "\n".join([label, "", intro, *extra, "", *lines, "", f"{say('reports', lang)}{sep}{link}", "", *note,
                      say("footer", lang), label]) + "\n"
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    body = (f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'></head>"
            f"<body style='font-family:sans-serif;color:#222'><p class='classification' style='font-size:12px;"
            f"color:#52606d'>{html.escape(label)}</p><h2>{html.escape(subject)}</h2><p>{html.escape(intro)}</p>"
            + "".join(f"<p>{html.escape(e)}</p>" for e in extra)
            + f"<ul id='summary'>{items}</ul><p><a href='{html.escape(link)}'>{html.escape(say('reports', lang))}</a></p>"
            + "".join(f"<p style='font-size:11px;color:#666'>{html.escape(n)}</p>" for n in note)
            + f"<p style='font-size:11px;color:#666'>{html.escape(say('footer', lang))}</p>"
            f"<p class='classification' style='font-size:12px;color:#52606d'>{html.escape(label)}</p></body></html>")
    msg = email_message(subject, text, body, sender, recipient, c.classification)
    if report.pdf is not None:
        msg.add_attachment(report.pdf, maintype="application", subtype="pdf", filename=attachment_name(report, "pdf"))
    else:
        msg.add_attachment(report.html.encode("utf-8"), maintype="text", subtype="html",
                           filename=attachment_name(report, "html"))
    return msg
