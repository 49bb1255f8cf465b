"""Alerts: the alert episodes of the user's regions in a table that filters and sorts, most important first
(:func:`surveillance.alerts.explain.rank_order`: running before ended, then severity, excess cases and the
population affected), with their rank, reason (the alert's sentence), severity (ESSENCE colour and word),
workflow state, region, syndrome, opened and last-signal days (a last signal on data still arriving marked
provisional). Each row links to the alert's page."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, dash_table, dcc, html, no_update

from surveillance.audit import classified_csv

from surveillance.vocabulary import (KINDS, STATES, age_label, data_state_label, detector_label, kind_label,
                                     outcome_label, severity_label, state_label, syndrome_label, topic_label)

from .. import data
from ..auditing import record
from ..i18n import t
from ..theme import FONT, severity_rules

NAME = "alerts"
PATH = "/alerts"
TITLE = "nav.alerts"
ROLE = "viewer"
NAV = True

SEVERITIES = ["red", "yellow"]  # an alert is never "none"


def layout(ctx, scope, lang, query, multi):
    states = [s for s in multi.get("state", []) if s in STATES]
    return html.Div(className="page page-alerts", children=[
        html.Div(className="page-head", children=[html.H1(t("alerts.title", lang))]),
        html.Div(className="controls controls-wrap", children=[
            html.Label([t("alerts.severity", lang), dcc.Dropdown(placeholder=t("select", lang),
                id="alerts-severity", multi=True, value=[s for s in multi.get("severity", []) if s in SEVERITIES],
                options=[{"label": severity_label(s, lang), "value": s} for s in SEVERITIES])]),
            html.Label([t("alerts.state", lang), dcc.Dropdown(placeholder=t("select", lang),
                id="alerts-state", multi=True, value=states,
                options=[{"label": state_label(s, lang), "value": s} for s in STATES])]),
            html.Label([t("alerts.syndrome", lang), dcc.Dropdown(placeholder=t("select", lang),
                id="alerts-syndrome", multi=True, value=[s for s in multi.get("syndrome", []) if s in ctx.config.syndromes],
                options=[{"label": syndrome_label(s, lang), "value": s} for s in ctx.config.syndromes])]),
            html.Label([t("alerts.kind", lang), dcc.Dropdown(placeholder=t("select", lang),
                id="alerts-kind", multi=True, value=[k for k in multi.get("kind", []) if k in KINDS],
                options=[{"label": kind_label(k, lang), "value": k} for k in KINDS])]),
            dcc.Checklist(id="alerts-ended", value=["1"] if query.get("all") == "1" else [], inline=True,
                          options=[{"label": t("alerts.include_ended", lang), "value": "1"}]),
            html.Button(t("export.csv", lang), id="alerts-export", n_clicks=0, className="export"),
        ]),
        html.P(id="alerts-count", className="day-label"),
        html.Section(className="card", children=[html.Div(id="alerts-box")]),
        dcc.Download(id="alerts-download"),
    ])


def rows(ctx, frame, lang) -> list[dict]:
    """The table's rows, built column-wise: tens of thousands of alerts must not cost a Python loop each."""
    def each(column, name):  # translate every distinct value once
        return frame[column].map({v: name(v) for v in frame[column].unique()})

    ids = frame["episode_id"].astype(int)
    outcome = each("outcome", lambda o: f" ({outcome_label(o, lang)})" if isinstance(o, str) and o else "")
    marked = frame["provisional"].eq(True) if "provisional" in frame else pd.Series(False, index=frame.index)
    provisional = marked.map({True: f" ({data_state_label('provisional', lang)})", False: ""})
    columns = {
        "alert": "[#" + ids.astype(str) + "](" + ctx.url("/alerts/") + ids.astype(str) + ")",
        "episode_id": ids,
        "severity": each("severity", lambda s: severity_label(s, lang)),
        "state": each("state", lambda s: state_label(s, lang)) + outcome,
        "kind": each("kind", lambda k: kind_label(k, lang)),
        "region": each("region", lambda r: ctx.regions.label(r, lang)),
        "syndrome": each("syndrome", lambda s: topic_label(s, lang)),
        "age_group": each("age_group", lambda a: age_label(a, lang)),
        "opened": frame["opened_on"].dt.strftime("%Y-%m-%d"),
        "last_signal": frame["last_signal_on"].dt.strftime("%Y-%m-%d") + provisional,
        "ended": frame["ended_on"].dt.strftime("%Y-%m-%d").fillna(""),
        "detectors": [("、" if lang == "zh" else ", ").join(detector_label(one, lang) for one in d)
                      for d in frame["detectors"]],
    }
    if "sentence" in frame:  # ranked by data.explained: the order is the rank
        columns = {"rank": list(range(1, len(frame) + 1)), "why": frame["sentence"], **columns}
    values = [list(v) if isinstance(v, list) else v.tolist() for v in columns.values()]
    return [dict(zip(columns, row)) for row in zip(*values)]


def _filtered(ctx, scope, severities, states, syndromes, kinds, ended):
    """The user's alerts as the page's filters choose them (not yet ranked)."""
    frame = data.alerts(ctx.cursor(), scope, include_ended=bool(ended) or "closed" in (states or []))
    if not frame.empty:
        if severities:
            frame = frame[frame["severity"].isin(severities)]
        if states:
            frame = frame[frame["state"].isin(states)]
        if syndromes:
            frame = frame[frame["syndrome"].isin(syndromes)]
        if kinds:
            frame = frame[frame["kind"].isin(kinds)]
    return frame


# The export's columns and their headings (the table's, with the alert's number).
EXPORT_COLUMNS = [("rank", "col.rank"), ("episode_id", "col.alert"), ("why", "col.why"), ("severity", "col.severity"),
                  ("state", "col.state"), ("kind", "col.kind"), ("region", "col.region"), ("syndrome", "col.syndrome"),
                  ("age_group", "col.age_group"), ("opened", "col.opened"), ("last_signal", "col.last_signal"),
                  ("ended", "col.ended"), ("detectors", "col.detectors")]
FILTERS = ("alerts-severity", "alerts-state", "alerts-syndrome", "alerts-kind")


def register(ctx):
    @ctx.callback(
        Output("alerts-download", "data"),
        Input("alerts-export", "n_clicks"),
        *[State(f, "value") for f in FILTERS], State("alerts-ended", "value"),
        prevent_initial_call=True, empty=no_update,
    )
    def export(scope, clicks, severities, states, syndromes, kinds, ended):
        """The list as shown, as CSV with the data classification on its first line; the export is audited."""
        lang = scope.user.language
        frame = _filtered(ctx, scope, severities, states, syndromes, kinds, ended)
        if not frame.empty:
            frame = data.explained(ctx.cursor(), scope, frame, lang, silent_days=ctx.config.quality.silent_days)
        table = pd.DataFrame(rows(ctx, frame, lang) if not frame.empty else [])
        table = table.drop(columns=[c for c in ("alert",) if c in table])
        if lang == "zh":  # English keeps the column codes its exports have always had
            table = table.rename(columns={c: t(label, lang) for c, label in EXPORT_COLUMNS})
        asked = "; ".join(f"{name} {','.join(v)}" for name, v in
                          (("severity", severities), ("state", states), ("syndrome", syndromes), ("kind", kinds)) if v)
        record(ctx.store, scope.user.name, "export", "alerts",
               f"alert list CSV: {len(table)} alert(s), {'with' if ended else 'without'} ended ones"
               + (f"; {asked}" if asked else ""))
        text = classified_csv(table, ctx.config.audit.classification, lang)
        return dcc.send_string(text, f"alerts-{pd.Timestamp.now():%Y%m%d-%H%M%S}.csv", type="text/csv")

    @ctx.callback(
        Output("alerts-count", "children"), Output("alerts-box", "children"),
        Input("alerts-severity", "value"), Input("alerts-state", "value"), Input("alerts-syndrome", "value"),
        Input("alerts-kind", "value"), Input("alerts-ended", "value"),
        empty=lambda lang: ("", html.P(t("no_data", lang), className="muted")),
    )
    def table(scope, severities, states, syndromes, kinds, ended):
        lang = scope.user.language
        frame = _filtered(ctx, scope, severities, states, syndromes, kinds, ended)
        if frame.empty:
            return t("alerts.count", lang, n=0), html.P(t("alerts.none", lang), className="muted", id="alerts-none")
        frame = data.explained(ctx.cursor(), scope, frame, lang, silent_days=ctx.config.quality.silent_days)
        columns = [("rank", "col.rank"), ("alert", "col.alert"), ("why", "col.why"), ("severity", "col.severity"),
                   ("state", "col.state"), ("kind", "col.kind"), ("region", "col.region"), ("syndrome", "col.syndrome"),
                   ("age_group", "col.age_group"), ("opened", "col.opened"), ("last_signal", "col.last_signal"), ("ended", "col.ended"),
                   ("detectors", "col.detectors")]
        return t("alerts.count", lang, n=len(frame)), dash_table.DataTable(
            id="alerts-table", data=rows(ctx, frame, lang),
            columns=[{"name": t(label, lang), "id": c, **({"presentation": "markdown"} if c == "alert" else {})}
                     for c, label in columns],
            markdown_options={"link_target": "_self"},
            page_size=25, sort_action="native", filter_action="native",
            filter_options={"placeholder_text": t("table.filter", lang)},
            style_table={"overflowX": "auto"},
            style_cell={"textAlign": "left", "whiteSpace": "normal", "height": "auto", "fontFamily": FONT,
                        "fontSize": "0.9rem", "padding": "4px 8px"},
            style_header={"fontWeight": "600", "backgroundColor": "#f3f5f7"},
            style_data_conditional=severity_rules("severity", lang),
            style_cell_conditional=[{"if": {"column_id": "why"}, "minWidth": "22rem", "maxWidth": "40rem"}],
        )
