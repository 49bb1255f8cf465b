"""Alert emails: multipart plain text and HTML, in English or Simplified Chinese.

Only aggregated counts appear: region, syndrome, observed vs expected, p-value, detector,
completeness, the last four weeks of daily counts, and a link to the alert's page. The subject, the
severity colour and the body say one :class:`~surveillance.alerts.explain.Headline` (one day, one set
of figures), and the body's "Why" is its sentence (:mod:`surveillance.alerts.sentence`). For a
recipient without exact counts the headline's hidden figures carry their marks (``<5``, ``*``) and the
history's hidden days too (``history["hidden"]``), with a line saying what the marks mean.
"""

from __future__ import annotations

import html
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pandas as pd

from ..alerts.explain import Headline, rank_order
from ..alerts.sentence import count_text, percent_text, sentence
from ..store.alerts import json_list
from ..vocabulary import (ALL_AGES, Term, age_label, classification_line, detector_label, place_label, severity_colour,
                          severity_ink, severity_label, state_label, suppressed_label, suppression_note, topic_label,
                          withheld_label)

# The email's own words; codes (syndromes, severities, states...) take theirs from the vocabulary.
TEXT = {
    "alert": Term("alert", "预警"), "dq": Term("Data quality", "数据质量"), "opened": Term("New alert", "新预警"),
    "escalated": Term("Alert escalated", "预警升级"), "observed": Term("Observed", "观察值"),
    "expected": Term("expected", "期望值"), "threshold": Term("threshold", "阈值"), "pvalue": Term("p-value", "P值"),
    "detector": Term("Detector", "检测方法"), "completeness": Term("Data completeness", "数据完整率"),
    "region": Term("Region", "地区"), "syndrome": Term("Syndrome", "症候群"), "age": Term("Age group", "年龄组"),
    "since": Term("Signal since", "信号开始"), "last": Term("Last signal", "最近信号"),
    "severity": Term("Severity", "级别"), "regions": Term("Regions", "涉及地区"),
    "history": Term("Daily counts, last 4 weeks", "近4周每日就诊数"), "date": Term("Date", "日期"),
    "count": Term("Count", "人数"), "link": Term("Open the alert", "查看预警"),
    "incomplete": Term("Incomplete data: judged on partial reports; red is not confirmed until the data fill in.",
                       "数据不完整：基于部分报告判断，数据补齐前不按红色预警发送。"),
    "provisional": Term("Provisional: data still arriving. The newest days are judged against the share of the usual "
                        "count reported by now, and again as the data arrive.",
                        "临时：数据仍在上报。最近几天按通常此时已上报的比例与期望值比较，数据到齐后将重新判断。"),
    "why": Term("Why", "原因"), "days": Term("Signal days", "信号日期"),
    "total_of": Term("sum of the {n} signal days", "{n}个信号日合计"),
    "span_day": Term("on {day}", "{day}"), "span_days": Term("over {n} days to {day}", "截至{day}的{n}天"),
    "span_week": Term("in the week to {day}", "截至{day}的一周"), "span_weeks": Term("over {n} weeks to {day}", "截至{day}的{n}周"), "state": Term("Workflow state", "处理状态"),
    "footer": Term("Aggregated counts only; no patient data. You receive this as a subscriber of the surveillance "
                   "service.", "仅含汇总数据，不含任何患者信息。您作为监测系统订阅者收到此邮件。"),
    "visits": Term("visits", "就诊"), "digest": Term("Daily digest", "每日摘要"),
    "open_alerts": Term("open alerts", "条进行中的预警"), "none_open": Term("No open alerts.", "暂无进行中的预警。"),
}


def _words(language: str) -> dict[str, str]:
    return {key: term.say(language) for key, term in TEXT.items()}


def _badge(severity: str, language: str) -> str:
    """The severity in its colour with its word (as on the dashboard: never the colour alone)."""
    return (f"<span style='background:{severity_colour(severity)};color:{severity_ink(severity)};"
            f"padding:0 6px;border-radius:3px'>{html.escape(severity_label(severity, language))}</span>")


def _num(value, digits: int = 1) -> str:
    if value is None or value != value:
        return "–"
    value = float(value)
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.{digits}f}"


def _p(value) -> str:
    return "–" if value is None or value != value else f"{float(value):.2g}"


def _pct(value) -> str:
    return "–" if value is None or value != value else f"{float(value):.0%}"


def _place(code: str, names: dict[str, str], language: str) -> str:
    """``Dongcheng District (320102)`` / ``东城区 (320102)``: the place's name in the reader's language."""
    return f"{place_label(code, names, language)} ({code})"


def alert_link(base_url: str, episode_id: int) -> str:
    return f"{base_url.rstrip('/')}/alerts/{episode_id}"


def compose_alert(
    *,
    episode: dict,
    event: dict,
    headline: Headline,
    history: pd.DataFrame,
    region_names: dict[str, str],
    base_url: str,
    sender: str,
    recipient: str,
    language: str = "en",
    classification: str | None = None,
) -> EmailMessage:
    """One alert email. ``headline`` (:func:`surveillance.alerts.explain.headline`) gives the day, the
    figures and the severity that the subject, the colour and the body all say; ``history`` is the
    series' ``date, count`` for the last four weeks; ``classification`` the data classification label
    (``audit.classification``) printed at the top and the foot."""
    t = _words(language)
    h = headline
    severity = h.severity  # the subject's tag, the badge, the bars and the facts: one severity
    sev_word = severity_label(severity, language).upper()  # the subject's tag: [RED], 【红色预警】
    place = _place(h.place, region_names, language)
    syndrome = topic_label(h.syndrome, language)
    age = age_label(h.age_group, language) if h.age_group not in (None, ALL_AGES) else None
    dq = h.kind == "data_quality"
    link = alert_link(base_url, int(episode["episode_id"]))
    judged = h.day is not None and not dq
    incomplete = bool(judged and h.incomplete)
    provisional = judged and h.provisional

    if dq:
        subject = (f"【{t['dq']}】{syndrome}：{place}" if language == "zh" else f"[{t['dq']}] {syndrome}: {place}")
    elif judged:
        obs, exp = _figure(h, "observed", h.observed, language), _figure(h, "expected", h.expected, language)
        if language == "zh":
            subject = (f"【{sev_word}{t['alert']}】{syndrome}{' ' + age if age else ''} {place}：{t['observed']} "
                       f"{obs}，{t['expected']} {exp}（{_span(h, language)}）")
        else:
            subject = (f"[{sev_word}] {syndrome} {t['alert']}{', ' + age if age else ''}: {place}: {obs} observed "
                       f"vs {exp} expected {_span(h, language)}")
    else:
        subject = f"[{sev_word}] {syndrome} {t['alert']}: {place}"
    if incomplete:
        subject += "（数据不完整）" if language == "zh" else " (incomplete data)"

    facts: list[tuple[str, str]] = [(t["severity"], severity_label(severity, language)),
                                    (t["why"], sentence(h, language, region_names)),
                                    (t["region"], place), (t["syndrome"], syndrome)]
    if age:
        facts.append((t["age"], age))
    regions = json_list(episode["regions"])
    if len(regions) > 1:
        facts.append((t["regions"], ("、" if language == "zh" else ", ").join(_place(r, region_names, language)
                                                                            for r in regions)))
    facts += [(t["since"], str(episode["opened_on"])), (t["last"], str(episode["last_signal_on"]))]
    if judged:
        facts.append((t["days"], _days(h)))
        facts.append((t["observed"], _observed(h, t, language)))
        facts.append((t["pvalue"], h.shown("pvalue", _p(h.pvalue), language)))
        detectors = json_list(episode.get("detectors")) or [str(h.detector)]
        facts.append((t["detector"], ("、" if language == "zh" else ", ").join(detector_label(d, language)
                                                                             for d in detectors)))
        facts.append((t["completeness"], _pct(h.completeness)))
    facts.append((t["state"], state_label(episode.get("state") or "new", language)))

    title = t["escalated"] if event.get("action") == "escalated" else t["opened"]
    lines = [f"{title}: {subject}", *classified_lines(classification, language), ""]
    lines += [f"{k}: {v}" for k, v in facts]
    if incomplete:
        lines += ["", t["incomplete"]]
    if provisional and not dq:
        lines += ["", t["provisional"]]
    counts = _history_counts(history, h, language)
    if len(history):
        lines += ["", t["history"] + ":", f"{t['date']:<12}{t['count']:>8}"]
        lines += [f"{str(pd.Timestamp(d).date()):<12}{c:>8}" for d, c in zip(history["date"], counts)]
    marked = bool(h.withheld) or ("hidden" in history and bool(history["hidden"].any()))
    note = suppression_note(h.min_cell, language) if marked else None
    lines += ["", f"{t['link']}: {link}", "", *([note] if note else []), t["footer"],
              *classified_lines(classification, language)]
    text = "\n".join(lines) + "\n"

    colour = severity_colour(severity)
    rows = "".join(f"<tr><th style='text-align:left;padding:2px 8px'>{html.escape(k)}</th>"
                   f"<td style='padding:2px 8px'>{html.escape(v)}</td></tr>" for k, v in facts)
    chart = ""
    if len(history):
        top = max(float(history["count"].fillna(0).max() or 0), 1.0)
        bars = "".join(
            f"<tr><td style='font-size:11px;padding:0 6px'>{pd.Timestamp(d).date()}</td>"
            f"<td style='font-size:11px;text-align:right;padding:0 6px'>{html.escape(text)}</td>"
            f"<td style='padding:0'><div style='background:{colour};height:9px;width:{int(200 * (float(c) if c == c and c is not None else 0.0) / top)}px'>"
            f"</div></td></tr>" for d, c, text in zip(history["date"], history["count"], counts))
        chart = (f"<h3 style='font-size:14px'>{html.escape(t['history'])}</h3>"
                 f"<table id='history' style='border-collapse:collapse'>{bars}</table>")
    warn = (f"<p style='color:#b26a00'><b>{html.escape(t['incomplete'])}</b></p>" if incomplete else "")
    warn += (f"<p id='provisional' style='color:#b26a00'>{html.escape(t['provisional'])}</p>"
             if provisional else "")
    body_html = (
        f"<!doctype html><html lang='{'zh-CN' if language == 'zh' else 'en'}'><head><meta charset='utf-8'></head>"
        f"<body style='font-family:sans-serif;color:#222'>"
        f"{classified_html(classification, language)}"
        f"<h2>{_badge(severity, language)} {html.escape(title)}: {html.escape(subject)}</h2>{warn}"
        f"<p id='why'>{html.escape(sentence(h, language, region_names))}</p>"
        f"<table id='facts' style='border-collapse:collapse'>{rows}</table>{chart}"
        f"<p><a href='{html.escape(link)}'>{html.escape(t['link'])}</a></p>"
        + (f"<p id='suppressed' style='font-size:11px;color:#666'>{html.escape(note)}</p>" if note else "")
        + f"<p style='font-size:11px;color:#666'>{html.escape(t['footer'])}</p>"
        + f"{classified_html(classification, language)}</body></html>"
    )
    return email_message(subject, text, body_html, sender, recipient, classification)


def _history_counts(history: pd.DataFrame, h: Headline, language: str) -> list[str]:
    """The history's counts as written: a hidden day's count (NaN) as ``<5``, a cluster's (a sum over its
    regions) as ``*``."""
    hidden = history["hidden"] if "hidden" in history else pd.Series(False, index=history.index)
    mark = withheld_label(language) if h.kind == "cluster" else suppressed_label(h.min_cell, language)
    return [mark if gone else _num(c) for c, gone in zip(history["count"], hidden)]


def _value(value, measure: str) -> str:
    """A figure as the subject, the body and the sentence write it."""
    return percent_text(value) if measure == "percent" else count_text(value)


def _figure(h: Headline, name: str, value, language: str) -> str:
    """One of the headline's figures with its unit, or the mark of a figure the recipient may not see."""
    text = _value(value, h.measure) + ("%" if h.measure == "percent" else "")
    return h.shown(name, text, language)


def _span(h: Headline, language: str) -> str:
    """The days the figures cover: ``on 2026-11-20`` / ``over 3 days to 2026-11-20`` (weeks for weekly)."""
    day = h.day.isoformat()
    weekly = h.period_days > 1 and h.kind != "cluster"
    key = ("span_week" if h.days <= 1 else "span_weeks") if weekly else ("span_day" if h.days <= 1 else "span_days")
    return TEXT[key].say(language).format(n=h.days, day=day)


def _days(h: Headline) -> str:
    """The signal days behind the figures (a cluster: its window)."""
    if h.kind == "cluster":
        first = h.day - pd.Timedelta(days=max(h.days, 1) - 1)
        return f"{first} – {h.day}" if h.days > 1 else str(h.day)
    days = [d.isoformat() for d in h.signal_days]
    return ", ".join(days) if len(days) <= 7 else f"{days[0]}, …, {days[-1]}"


def _observed(h: Headline, t: dict[str, str], language: str) -> str:
    """Observed against expected over the days, and the headline day's own judgement with its threshold."""
    unit = "%" if h.measure == "percent" else ""
    day = (f"{_figure(h, 'day_observed', h.day_observed, language)} "
           f"({t['expected']} {_value(h.day_expected, h.measure)}{unit}, "
           f"{t['threshold']} {_value(h.upperbound, h.measure)}{unit})")
    if len(h.signal_days) <= 1:
        return day
    return (f"{_figure(h, 'observed', h.observed, language)} "
            f"({t['expected']} {_value(h.expected, h.measure)}{unit}, "
            f"{t['total_of'].format(n=len(h.signal_days))}); {h.day}: {day}")


def compose_digest(*, episodes: pd.DataFrame, headlines: dict[int, Headline], day, region_names: dict[str, str],
                   base_url: str, sender: str, recipient: str, language: str = "en",
                   classification: str | None = None) -> EmailMessage:
    """The daily digest: one line per open alert of the subscription, most important first, each with
    its sentence; the data classification label at the top and the foot."""
    t = _words(language)
    subject = f"{t['digest']} {day}: {len(episodes)} {t['open_alerts']}"
    lines, items = [subject, *classified_lines(classification, language), ""], []
    for ep in rank_order(episodes, headlines).to_dict("records"):
        h = headlines[int(ep["episode_id"])]
        sev = severity_label(h.severity, language).upper()
        line = (f"[{sev}] #{ep['episode_id']} {sentence(h, language, region_names)} "
                f"{ep['opened_on']} - {ep['last_signal_on']}, {state_label(ep['state'], language)}: "
                f"{alert_link(base_url, ep['episode_id'])}")
        lines.append(line)
        items.append(f"<li><a href='{html.escape(alert_link(base_url, ep['episode_id']))}'>{html.escape(line)}</a></li>")
    if not len(episodes):
        lines.append(t["none_open"])
    lines += ["", t["footer"], *classified_lines(classification, language)]
    body_html = (f"<!doctype html><html><head><meta charset='utf-8'></head><body style='font-family:sans-serif'>"
                 f"{classified_html(classification, language)}"
                 f"<h2>{html.escape(subject)}</h2><ul>{''.join(items) or html.escape(t['none_open'])}</ul>"
                 f"<p style='font-size:11px;color:#666'>{html.escape(t['footer'])}</p>"
                 f"{classified_html(classification, language)}</body></html>")
    return email_message(subject, "\n".join(lines) + "\n", body_html, sender, recipient, classification)


def classified_lines(classification: str | None, language: str) -> list[str]:
    """The data classification line of the plain text (none when no label is given)."""
    return [classification_line(classification, language)] if classification else []


def classified_html(classification: str | None, language: str) -> str:
    if not classification:
        return ""
    return (f"<p class='classification' style='font-size:12px;color:#52606d'>"
            f"{html.escape(classification_line(classification, language))}</p>")


def email_message(subject: str, text: str, body_html: str, sender: str, recipient: str,
             classification: str | None = None) -> EmailMessage:
    # SMTP line endings; headers kept on one line (the default folding mangles a leading "[")
    msg = EmailMessage(policy=email_policy.SMTP.clone(max_line_length=998))
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    if classification:  # for mail filters and archives (encoded as the header's words need)
        msg["X-Data-Classification"] = classification
    msg.set_content(text, charset="utf-8")
    msg.add_alternative(body_html, subtype="html", charset="utf-8")
    return msg
