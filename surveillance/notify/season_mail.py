"""Season emails: a region's influenza-like illness or hand, foot and mouth disease season started, or
its intensity rose (``surveillance.situation.season``), in English or Simplified Chinese.

The email says the event, the level reached and its colour (with the word, as everywhere), the week,
the region's thresholds of the Moving Epidemic Method, and links to the region's trends. Recipients
without exact counts read the level and the thresholds, not the week's percent of visits.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from urllib.parse import urlencode

from ..vocabulary import (SEASON_EVENTS, SEASON_LEVELS, Term, label, place_label, syndrome_label, tone_colours)
from .compose import classified_lines, classified_html, email_message

TEXT = {
    "tag": Term("SEASON", "流行季"),
    "subject": Term("{syndrome}: {event} in {place}, {week} (level {level})",
                    "{syndrome}：{place}{event}，{week}（流行强度：{level}）"),
    "level": Term("Level", "流行强度"), "week": Term("Week", "周次"), "season": Term("Season", "流行季"),
    "percent": Term("Share of all visits that week", "当周占总就诊比例"),
    "thresholds": Term("Thresholds (share of visits): epidemic {epidemic}, medium {medium}, high {high}, "
                       "very high {very_high}", "阈值（占就诊比例）：流行 {epidemic}，中 {medium}，高 {high}，极高 {very_high}"),
    "method": Term("Thresholds from the past seasons by the Moving Epidemic Method; one email for each start "
                   "and each rise of the level.", "阈值由既往流行季按移动流行区间法计算；每次流行开始或强度上升仅发送一封邮件。"),
    "link": Term("Open the region's trends", "查看该地区趋势"),
    "footer": Term("Aggregated counts only; no patient data. You receive this as a subscriber of the surveillance "
                   "service.", "仅含汇总数据，不含任何患者信息。您作为监测系统订阅者收到此邮件。"),
}


def _pct(value) -> str:
    return "–" if value is None or value != value else f"{float(value):.2f}%"


def trends_link(base_url: str, region: str, syndrome: str) -> str:
    return f"{base_url.rstrip('/')}/app/trends?{urlencode({'region': region, 'syndrome': syndrome})}"


def compose_season(*, event: dict, region_names: dict[str, str], base_url: str, sender: str, recipient: str,
                   language: str = "en", exact: bool = False, classification: str | None = None) -> EmailMessage:
    """One season email. ``event``: a row of ``service.situation.season_events`` (region, syndrome,
    season, event, level, week, that week's percent of visits, written only for recipients with exact
    counts, and the thresholds)."""
    say = {key: term.say(language) for key, term in TEXT.items()}
    place = f"{place_label(event['region'], region_names, language)} ({event['region']})"
    level = label(SEASON_LEVELS, event["level"], language)
    facts = {"syndrome": syndrome_label(event["syndrome"], language), "place": place,
             "event": label(SEASON_EVENTS, event["event"], language), "week": event["week"], "level": level}
    subject = (f"【{say['tag']}】" if language == "zh" else f"[{say['tag']}] ") + say["subject"].format(**facts)
    thresholds = say["thresholds"].format(epidemic=_pct(event["epidemic_threshold"]),
                                          medium=_pct(event["medium_threshold"]), high=_pct(event["high_threshold"]),
                                          very_high=_pct(event["very_high_threshold"]))
    link = trends_link(base_url, event["region"], event["syndrome"])
    sep = "：" if language == "zh" else ": "
    lines = [f"{say['season']}{sep}{event['season']}", f"{say['week']}{sep}{event['week']}",
             f"{say['level']}{sep}{level}"]
    if exact:
        lines.append(f"{say['percent']}{sep}{_pct(event['percent'])}")
    lines += [thresholds, say["method"]]
    text = "\n".join([subject, *classified_lines(classification, language), "", *lines, "",
                      f"{say['link']}{sep}{link}", "", say["footer"], *classified_lines(classification, language)]) + "\n"
    colour, ink = tone_colours(SEASON_LEVELS, event["level"])
    badge = (f"<span style='background:{colour};color:{ink};padding:0 6px;border-radius:3px'>"
             f"{html.escape(level)}</span>")
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    page = (f"<!doctype html><html><head><meta charset='utf-8'></head><body style='font-family:sans-serif'>"
            f"{classified_html(classification, language)}<h2>{badge} {html.escape(say['subject'].format(**facts))}</h2>"
            f"{body}<p><a href='{html.escape(link)}'>{html.escape(say['link'])}</a></p>"
            f"<p style='font-size:11px;color:#666'>{html.escape(say['footer'])}</p>"
            f"{classified_html(classification, language)}</body></html>")
    return email_message(subject, text, page, sender, recipient, classification)
