"""Data quality: which units reported on which days (and how late), late revisions, quarantined
rows with their reasons, and the feeds' recent batches. For a user without exact counts a unit-day's
hidden fever count reads ``<5``, a revision names the syndromes that changed without their counts, and a
refused row's small count reads ``<5``."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, dash_table, dcc, html

from surveillance.ingest_words import field_label
from surveillance.ingest_words import render as render_reason
from surveillance.vocabulary import feed_kind_label, syndrome_label

from .. import data
from ..access import OutOfScope
from ..disclosure import legend, mark
from ..i18n import date_label, t, week_span
from ..theme import FONT, QUALITY_COLOURS, base_layout, date_axis, empty_figure, graph_config

NAME = "quality"
PATH = "/quality"
TITLE = "nav.quality"
ROLE = "viewer"
NAV = True

DAYS = ["28", "60", "90"]
STATUSES = ["missing", "late", "revised", "on_time"]  # heatmap z = index


def layout(ctx, scope, lang, query, multi):
    counties = scope.counties()
    try:
        county = scope.region(query.get("county")) if query.get("county") else None
    except OutOfScope:
        county = None
    if county not in counties:
        county = counties[0] if counties else None
    days = query.get("days") if query.get("days") in DAYS else "28"
    return html.Div(className="page page-quality", children=[
        html.Div(className="page-head", children=[
            html.H1(t("quality.title", lang)),
            html.Div(className="controls", children=[
                html.Label(className="wide", children=[t("quality.county", lang), dcc.Dropdown(
                    placeholder=t("select", lang), id="quality-county", value=county, clearable=False,
                    options=[{"label": ctx.regions.label(c, lang), "value": c} for c in counties])]),
                html.Fieldset([html.Legend(t("quality.days", lang)), dcc.RadioItems(
                    id="quality-days", value=days, inline=True, options=[{"label": d, "value": d} for d in DAYS])]),
            ]),
        ]),
        html.Section(className="card", children=[
            html.H2(t("quality.heatmap", lang)),
            html.Div(className="legend", children=[
                html.Span([html.I(style={"background": QUALITY_COLOURS[s]}), t("quality." + s, lang)])
                for s in reversed(STATUSES)]),
            dcc.Graph(id="quality-heatmap", config=graph_config(lang)),
            legend(scope, lang, "quality-suppressed"),
        ]),
        html.Section(className="card", children=[
            html.H2(t("quality.revisions", lang)),
            html.Div(id="quality-revisions"),
        ]),
        html.Section(className="card", children=[
            html.H2(t("quality.quarantine", lang)),
            html.Div(id="quality-quarantine"),
        ]),
        html.Section(className="card", children=[
            html.H2(t("quality.feeds", lang)),
            html.Div(id="quality-feeds"),
        ]),
    ])


def _table(table_id: str, frame: pd.DataFrame, columns: list[tuple[str, str]], lang, *, page_size=12,
           empty_text: str | None = None, style_rules=None):
    if frame.empty:
        return html.P(empty_text or t("no_data", lang), className="muted", id=f"{table_id}-empty")
    records = frame[[c for c, _ in columns]].copy()
    for column in records.columns:
        if pd.api.types.is_datetime64_any_dtype(records[column]):
            fmt = "%Y-%m-%d" if (records[column].dt.normalize() == records[column]).all() else "%Y-%m-%d %H:%M"
            records[column] = records[column].dt.strftime(fmt)
    records = records.astype(object).where(records.notna(), None)
    return dash_table.DataTable(
        id=table_id, data=records.to_dict("records"),
        columns=[{"name": t(label, lang), "id": c} for c, label in columns],
        page_size=page_size, sort_action="native", filter_action="native",
        filter_options={"placeholder_text": t("table.filter", lang)},
        style_table={"overflowX": "auto"}, style_cell={"textAlign": "left", "whiteSpace": "normal", "height": "auto",
                                                       "fontFamily": FONT, "fontSize": "0.9rem", "padding": "4px 8px"},
        style_header={"fontWeight": "600", "backgroundColor": "#f3f5f7"},
        style_data_conditional=style_rules or [],
    )


def _empty(lang):
    return empty_figure(lang), html.P(t("no_data", lang), className="muted")


def register(ctx):
    @ctx.callback(
        Output("quality-heatmap", "figure"), Output("quality-revisions", "children"),
        Input("quality-county", "value"), Input("quality-days", "value"),
        empty=_empty,
    )
    def county_view(scope, county, days):
        lang = scope.user.language
        if not county:
            return _empty(lang)
        county = scope.region(county)
        if ctx.regions.level(county) != "county":
            return _empty(lang)
        days = int(days) if days in DAYS else 28
        cur = ctx.cursor()
        last = data.latest_day(cur, scope)
        if last is None:
            return _empty(lang)
        start = last - timedelta(days=days - 1)
        status = data.unit_day_status(cur, scope, county, start, last)
        heat = _heatmap(ctx, county, status, start, last, lang, hidden_mark=mark(scope, lang))
        changed = data.revisions(cur, scope, county, start, last)
        changed["unit"] = [ctx.regions.label(u, lang) for u in changed["unit"]]
        changed["changes"] = [_changes(c, lang) for c in changed["changes"]]
        table = _table("quality-revisions-table", changed,
                       [("date", "col.date"), ("unit", "col.unit"), ("revision", "col.revision"),
                        ("received_at", "col.received_at"), ("total_before", "col.total_before"),
                        ("total_after", "col.total_after"), ("changes", "col.changes")], lang,
                       empty_text=t("quality.none_revised", lang))
        return heat, table

    @ctx.callback(
        Output("quality-quarantine", "children"), Output("quality-feeds", "children"),
        Input("quality-days", "value"),
        empty=lambda lang: (html.P(t("no_data", lang)), html.P(t("no_data", lang))),
    )
    def tables(scope, _days):
        lang = scope.user.language
        cur = ctx.cursor()
        rows = said_quarantine(data.quarantined(cur, scope), lang)
        quarantine = _table("quality-quarantine-table", rows,
                            [("quarantined_at", "col.quarantined_at"), ("feed", "col.feed"), ("source", "col.source"),
                             ("row_number", "col.row"), ("field", "col.field"), ("value", "col.value"),
                             ("reason", "col.reason")], lang, empty_text=t("quality.none_quarantined", lang))
        feeds = data.feed_status(cur, ctx.config)
        feeds["kind"] = [feed_kind_label(k, lang) for k in feeds["kind"]]
        feeds["last_message"] = [render_reason(m, lang) if isinstance(m, str) else m for m in feeds["last_message"]]
        feed_table = _table("quality-feeds-table", feeds,
                            [("feed", "col.feed"), ("kind", "col.source"), ("batches", "col.batches"),
                             ("failed", "col.failed"), ("rows", "col.rows"), ("last_batch", "col.last_batch"),
                             ("last_good", "col.last_good"), ("last_message", "col.last_message")], lang,
                            style_rules=[{"if": {"filter_query": "{failed} > 0", "column_id": "failed"},
                                          "backgroundColor": "#fdecea", "color": "#8a1c1c"}])
        return quarantine, feed_table


def said_quarantine(rows: pd.DataFrame, lang) -> pd.DataFrame:
    """Quarantined rows with the blamed field and the reason in ``lang`` (stored in English)."""
    said = rows.copy()
    said["field"] = [field_label(f, lang) for f in said["field"]]
    said["reason"] = [render_reason(r, lang) if isinstance(r, str) else r for r in said["reason"]]
    return said


def _heatmap(ctx, county, status: pd.DataFrame, start, end, lang, *, hidden_mark: str = "") -> go.Figure:
    units = ctx.regions.units()
    units = units[units["county"] == county].sort_values("code")
    if units.empty:
        return empty_figure(lang)
    dates = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    codes = units["code"].tolist()
    z = np.zeros((len(codes), len(dates)))  # 0 = missing
    fever = np.full((len(codes), len(dates)), "–", dtype=object)
    if not status.empty:
        u = pd.Index(codes).get_indexer(status["unit"])
        d = dates.get_indexer(status["date"])
        ok = (u >= 0) & (d >= 0)
        z[u[ok], d[ok]] = [STATUSES.index(s) for s in status["status"][ok]]
        fever[u[ok], d[ok]] = [hidden_mark if h else ("–" if pd.isna(v) else f"{v:,.0f}")
                               for v, h in zip(status["fever"][ok], status["fever_hidden"][ok])]
    words = np.array([t("quality." + s, lang) for s in STATUSES], dtype=object)
    day_text = [date_label(d, lang) for d in dates]
    custom = np.dstack([words[z.astype(int)], np.tile(day_text, (len(codes), 1)), fever])
    labels = [ctx.regions.label(c, lang) for c in units["code"]]
    n = len(STATUSES)
    scale = []
    for i, s in enumerate(STATUSES):
        scale += [[i / n, QUALITY_COLOURS[s]], [(i + 1) / n, QUALITY_COLOURS[s]]]
    fig = go.Figure(go.Heatmap(
        z=z, x=dates, y=labels, zmin=-0.5, zmax=n - 0.5, colorscale=scale, showscale=False, xgap=1, ygap=1,
        customdata=custom,
        hovertemplate=f"%{{y}}<br>%{{customdata[1]}}: %{{customdata[0]}}<br>{syndrome_label('fever', lang)}: "
                      "%{customdata[2]}<extra></extra>"))
    fig.update_layout(**base_layout(height=max(220, 22 * len(codes) + 90), hovermode="closest",
                                    margin=dict(l=8, r=16, t=8, b=48)))
    fig.update_yaxes(autorange="reversed", automargin=True, gridcolor="rgba(0,0,0,0)")
    fig.update_xaxes(tickformat=date_axis(lang).get("tickformat", "%d %b"), gridcolor="rgba(0,0,0,0)")
    week_starts = [d for d in dates if d.dayofweek == 0]
    for monday in week_starts:
        fig.add_vline(x=monday - pd.Timedelta(hours=12), line_color="#ffffff", line_width=3)
    fig.update_xaxes(tickvals=week_starts, ticktext=[week_span(d, lang) if len(week_starts) <= 6 else
                                                       _short_day(d, lang) for d in week_starts])
    return fig


def _short_day(day, lang) -> str:
    return f"{day.month}月{day.day}日" if lang == "zh" else day.strftime("%m-%d")


def _changes(text, lang) -> str:
    """``fever 7→10, ili 0→1`` with the syndromes in their words."""
    if not isinstance(text, str) or lang != "zh":
        return text
    return "，".join(" ".join([syndrome_label(part.split(" ", 1)[0], lang), *part.split(" ", 1)[1:]])
                    for part in text.split(", "))
