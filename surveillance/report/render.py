"""The report as one self-contained HTML page: inline CSS, maps as inline SVG, no script and nothing
fetched, so that it opens offline, mails as an attachment and prints to PDF as it looks.

Every figure a reader without exact counts may not see reads ``<5`` (a small count, or one hidden with
it) or ``*`` (computed from such a count), with the note that says so; the data classification label is
printed at the top and at the foot, as on the dashboard's pages and in the emails.
"""

from __future__ import annotations

import html

import pandas as pd

from ..vocabulary import (TRENDS, classification_line, event_label, outcome_label, severity_colour, severity_ink, severity_label,
                          state_label, suppressed_label, suppression_note, syndrome_label, tone_colours,
                          topic_label, withheld_label)
from . import numbers as fmt
from .content import ReportContent
from .headline import VISITS
from .maps import breaks, choropleth, legend
from .words import LEVEL_COLOURS, LEVEL_INKS, level_word, phase_word, say, trend_word

CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", system-ui, sans-serif;
       color: #1f2933; margin: 0 auto; max-width: 1000px; padding: 16px; font-size: 13px; }
h1 { font-size: 22px; margin: 4px 0; } h2 { font-size: 16px; margin: 22px 0 6px; border-bottom: 2px solid #334e68;
     padding-bottom: 2px; break-after: avoid; } h3 { font-size: 13px; margin: 6px 0; }
.meta { color: #52606d; margin: 2px 0; } .classification { font-weight: 600; color: #8a1c1c; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; break-inside: auto; }
th, td { border-bottom: 1px solid #d9e2ec; padding: 3px 6px; text-align: right; vertical-align: top; }
th { background: #f0f4f8; font-weight: 600; } th:first-child, td:first-child, td.text, th.text { text-align: left; }
tr { break-inside: avoid; } .note { color: #52606d; font-size: 11px; margin: 2px 0 6px; }
.badge { padding: 0 6px; border-radius: 3px; white-space: nowrap; }
.up { color: #b3161b; } .down { color: #1f5f99; }
.maps { display: flex; flex-wrap: wrap; gap: 10px; } .map { width: 310px; break-inside: avoid; }
.legend { font-size: 10px; color: #3e4c59; } .key { margin-right: 6px; white-space: nowrap; }
.key i { display: inline-block; width: 10px; height: 10px; margin-right: 2px; vertical-align: middle; }
footer { margin-top: 24px; font-size: 11px; color: #52606d; border-top: 1px solid #d9e2ec; padding-top: 6px; }
"""


def _e(text) -> str:
    return html.escape(str(text))


class Writer:
    """The figures of one report as its reader's language writes them."""

    def __init__(self, content: ReportContent):
        self.c, self.lang = content, content.language

    def place(self, code) -> str:
        if code is None:
            return say("everywhere", self.lang)
        name = self.c.name(code)
        return f"{name} ({code})" if name != code else str(code)

    def measure(self, syndrome: str) -> str:
        return say("all_visits", self.lang) if syndrome == VISITS else syndrome_label(syndrome, self.lang)

    def count(self, row, week: str) -> str:
        if row.get(f"hidden_{week}"):
            return suppressed_label(self.c.min_cell, self.lang)
        return fmt.count(row.get(f"count_{week}"), self.lang)

    def percent(self, row, week: str) -> str:
        return withheld_label(self.lang) if row.get(f"hidden_{week}") else fmt.percent(row.get(f"percent_{week}"))

    def change(self, row, column: str) -> str:
        if row.get(f"withheld_{column}"):
            return withheld_label(self.lang)
        text = fmt.change(row.get(column))
        css = "up" if text.startswith("+") else ("down" if text.startswith("-") else "")
        return f"<span class='{css}'>{_e(text)}</span>"

    def trend(self, region, syndrome) -> str:
        t = self.c.trends
        if syndrome == VISITS or t is None or t.empty:
            return "–"
        match = t[(t["region"] == region) & (t["syndrome"] == syndrome)]
        if match.empty:
            return "–"
        code = match.iloc[0]["label"]
        colour, ink = tone_colours(TRENDS, code)
        return f"<span class='badge' style='background:{colour};color:{ink}'>{_e(trend_word(code, self.lang))}</span>"


def _table(head: list[str], rows: list[list[str]], text_columns: int = 1) -> str:
    cells = "".join(f"<th class='{'text' if i < text_columns else ''}'>{_e(h)}</th>" for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f"<td class='{'text' if i < text_columns else ''}'>{v}</td>"
                                    for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def headline_section(w: Writer) -> str:
    c, lang = w.c, w.lang
    top = c.headline[c.headline["region"].isna()] if c.region is None else c.headline[c.headline["region"] == c.region]
    head = [say("measure", lang), say("this_week", lang), say("share", lang), say("last_week", lang),
            say("vs_last_week", lang), say("last_year", lang), say("vs_last_year", lang), say("trend", lang)]
    rows = [[_e(w.measure(r["syndrome"])), w.count(r, "this"),
             "" if r["syndrome"] == VISITS else w.percent(r, "this"), w.count(r, "last"),
             w.change(r, "ratio_last_week"), w.count(r, "last_year"), w.change(r, "ratio_last_year"),
             w.trend(c.region, r["syndrome"])] for r in _ordered(top, c.syndromes)]
    out = f"<h2 id='headline'>{_e(say('headline', lang))}</h2><p class='note'>{_e(say('headline_note', lang))}</p>"
    out += "<div id='headline-figures'>" + _table(head, rows) + "</div>"
    below = c.headline[c.headline["region"].isin(c.areas.children)]
    if len(below):
        head = [say("area", lang), say("all_visits", lang), *[syndrome_label(s, lang) for s in c.syndromes]]
        rows = []
        for code in c.areas.children:
            mine = below[below["region"] == code].set_index("syndrome")
            if mine.empty:
                continue
            cells = [_e(w.place(code))]
            for s in [VISITS, *c.syndromes]:
                if s not in mine.index:
                    cells.append("–")
                    continue
                r = mine.loc[s].to_dict()
                cells.append(f"{w.count(r, 'this')} {w.change(r, 'ratio_last_week')}"
                             + ("" if s == VISITS else f"<br><small>{w.percent(r, 'this')} · {w.trend(code, s)}</small>"))
            rows.append(cells)
        out += f"<h3>{_e(say('by_area', lang))}</h3>" + _table(head, rows)
    return out


def _ordered(frame: pd.DataFrame, syndromes: list[str]) -> list[dict]:
    order = {s: i for i, s in enumerate([VISITS, *syndromes])}
    return sorted(frame.to_dict("records"), key=lambda r: order.get(r["syndrome"], 99))


def season_section(w: Writer) -> str:
    c, lang = w.c, w.lang
    out = f"<h2 id='season'>{_e(say('season', lang))}</h2><p class='note'>{_e(say('season_note', lang))}</p>"
    if c.seasons is None or c.seasons.empty:
        return out + f"<p>{_e(say('no_data', lang))}</p>"
    head = [say("area", lang), say("syndrome", lang), say("season_col", lang), say("level", lang),
            say("phase", lang), say("share", lang), say("threshold", lang), say("started", lang), say("ended", lang)]
    rows = []
    for r in c.seasons.to_dict("records"):
        level = r.get("level") if isinstance(r.get("level"), str) else None
        badge = (f"<span class='badge' style='background:{LEVEL_COLOURS.get(level, '#e4e7eb')};"
                 f"color:{LEVEL_INKS.get(level, '#1f2933')}'>{_e(level_word(level, lang))}</span>")
        rows.append([_e(w.place(r["region"])), _e(syndrome_label(r["syndrome"], lang)), _e(r.get("season") or "–"),
                     badge, _e(phase_word(r.get("phase"), lang)), _e(fmt.percent(r.get("percent"), lang)),
                     _e(fmt.percent(r.get("epidemic_threshold"), lang)), _e(r.get("started_week") or "–"),
                     _e(r.get("ended_week") or "–")])
    return out + "<div id='season-table'>" + _table(head, rows, text_columns=5) + "</div>"


def maps_section(w: Writer) -> str:
    c, lang = w.c, w.lang
    out = f"<h2 id='maps'>{_e(say('maps', lang))}</h2><p class='note'>{_e(say('maps_note', lang))}</p>"
    if not c.shapes:
        return out + f"<p>{_e(say('no_shape', lang))}</p>"
    if len(c.shapes) == 1:  # one county's report: its own figures are the headline's
        return out + f"<p id='maps-one'>{_e(say('one_county', lang))}</p>"
    figures = []
    for syndrome in c.syndromes:
        rows = c.counties[c.counties["syndrome"] == syndrome] if len(c.counties) else c.counties
        values = dict(zip(rows["region"], rows["percent_this"])) if len(rows) else {}
        hidden = set(rows.loc[rows["hidden_this"], "region"]) if len(rows) else set()
        labels = {code: f"{w.place(code)}: " + (withheld_label(lang) if code in hidden else
                                               fmt.percent(values.get(code))) for code in c.shapes}
        svg = choropleth(c.shapes, values, hidden, labels, hidden_mark=withheld_label(lang))
        limits = breaks([v for k, v in values.items() if k not in hidden])
        figures.append(f"<div class='map'><h3>{_e(syndrome_label(syndrome, lang))}</h3>{svg}"
                       f"{legend(limits, lambda v: fmt.percent(v))}</div>")
    return out + "<div class='maps' id='maps-grid'>" + "".join(figures) + "</div>"


def alerts_section(w: Writer) -> str:
    c, lang = w.c, w.lang
    out = f"<h2 id='alerts'>{_e(say('alerts', lang))}</h2>"
    if c.alerts is None or c.alerts.empty:
        return out + f"<p id='alerts-none'>{_e(say('no_alerts', lang))}</p>"
    n = {k: int(c.alerts["actions"].map(lambda a, k=k: k in a).sum()) for k in ("opened", "escalated", "closed", "ended")}
    out += f"<p id='alerts-summary'>{_e(say('alerts_summary', lang, **n))}</p>"
    head = [say("alert", lang), say("area", lang), say("syndrome", lang), say("severity", lang), say("opened_on", lang),
            say("this_week_events", lang), say("state", lang), say("outcome", lang)]
    rows = []
    for r in c.alerts.to_dict("records"):
        sev = r["severity"] or "none"
        badge = (f"<span class='badge' style='background:{severity_colour(sev)};color:{severity_ink(sev)}'>"
                 f"{_e(severity_label(sev, lang))}</span>")
        actions = ", ".join(state_label("closed", lang) if a == "closed" else event_label(a, lang) for a in r["actions"])
        rows.append([f"#{r['episode_id']}", _e(w.place(r["region"])), _e(topic_label(r["syndrome"], lang)), badge,
                     _e(fmt.day_text(r["opened_on"], lang)), _e(actions), _e(state_label(r["state"], lang)),
                     _e(outcome_label(r["outcome"], lang) if isinstance(r["outcome"], str) else "–")])
    return out + _table(head, rows, text_columns=8)


def response_section(w: Writer) -> str:
    c, lang = w.c, w.lang
    out = f"<h2 id='response'>{_e(say('response', lang))}</h2><p class='note'>{_e(say('response_note', lang))}</p>"
    head = [say("period", lang), say("alerts_n", lang), say("answered_24h", lang), say("hours_action", lang),
            say("hours_verify", lang), say("hours_close", lang), say("ppv", lang)]
    rows = [[_e(say(r["period"], lang)), _e(fmt.count(r.get("alerts", 0), lang)), _e(fmt.share(r.get("share_action_24h"))),
             _e(fmt.hours(r.get("median_hours_to_action"))), _e(fmt.hours(r.get("median_hours_to_verification"))),
             _e(fmt.hours(r.get("median_hours_to_closure"))), _e(fmt.share(r.get("ppv")))]
            for r in c.response.to_dict("records")]
    return out + "<div id='response-table'>" + _table(head, rows) + "</div>"


def quality_section(w: Writer) -> str:
    c, lang = w.c, w.lang
    out = f"<h2 id='quality'>{_e(say('quality', lang))}</h2><p class='note'>{_e(say('quality_note', lang))}</p>"
    head = [say("area", lang), say("completeness", lang), say("timeliness", lang), say("silent", lang)]
    rows = [[_e(w.place(r["region"])), _e(fmt.share(r["completeness"])), _e(fmt.share(r["timeliness"])),
             _e(fmt.count(r["silent"], lang))] for r in c.quality.to_dict("records")]
    out += "<div id='quality-table'>" + _table(head, rows) + "</div>"
    silent = ", ".join(w.place(u) for u in c.silent_units[:30]) or say("none", lang)
    more = f" … (+{len(c.silent_units) - 30})" if len(c.silent_units) > 30 else ""
    out += f"<p><b>{_e(say('silent_list', lang))}:</b> {_e(silent + more)}</p>"
    return out + f"<p id='quality-quarantined'><b>{_e(say('quarantined', lang))}:</b> {_e(fmt.count(c.quarantined, lang))}</p>"


def forecast_section(w: Writer) -> str:
    c, lang = w.c, w.lang
    out = f"<h2 id='forecast'>{_e(say('forecast', lang))}</h2><p class='note'>{_e(say('forecast_note', lang))}</p>"
    if c.forecasts is None or c.forecasts.empty:
        return out + f"<p id='forecast-none'>{_e(say('no_forecast', lang))}</p>"

    def value(v) -> str:
        if not c.exact and not fmt.missing(v) and float(v) < c.min_cell:
            return suppressed_label(c.min_cell, lang)
        return fmt.count(v, lang)

    head = [say("area", lang), say("syndrome", lang), say("forecast_week", lang), say("median", lang),
            say("interval50", lang), say("interval90", lang)]
    rows = [[_e(w.place(r["region"])), _e(syndrome_label(r["syndrome"], lang)), _e(r["week"]), _e(value(r["median"])),
             _e(f"{value(r['lower50'])}–{value(r['upper50'])}"), _e(f"{value(r['lower90'])}–{value(r['upper90'])}")]
            for r in c.forecasts.to_dict("records")]
    return out + "<div id='forecast-table'>" + _table(head, rows, text_columns=3) + "</div>"


def render_html(content: ReportContent) -> str:
    w, lang = Writer(content), content.language
    label = _e(classification_line(content.classification, lang))
    title = f"{say('title', lang)} · {w.place(content.region)} · {content.week_code}"
    data_to = fmt.day_text(content.last_day, lang) if content.last_day is not None else "–"
    note = "" if content.exact else f"<p id='suppressed'>{_e(suppression_note(content.min_cell, lang))}</p>"
    return (
        f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{_e(title)}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<p class='classification' id='classification-top'>{label}</p>"
        f"<h1>{_e(say('title', lang))}</h1>"
        f"<p class='meta' id='report-region'><b>{_e(say('region', lang))}:</b> {_e(w.place(content.region))}</p>"
        f"<p class='meta' id='report-week'><b>{_e(say('week', lang))}:</b> {_e(content.week_code)} · "
        f"{_e(fmt.week_span(content.week, lang))}</p>"
        f"<p class='meta'><b>{_e(say('data_to', lang))}:</b> {_e(data_to)} · <b>{_e(say('generated', lang))}:</b> "
        f"{_e(content.created_at.strftime('%Y-%m-%d %H:%M'))}</p>"
        + headline_section(w) + season_section(w) + maps_section(w) + alerts_section(w) + response_section(w)
        + quality_section(w) + forecast_section(w)
        + f"<footer>{note}<p>{_e(say('footer', lang))}</p><p class='classification' id='classification-foot'>{label}"
          "</p></footer></body></html>")
