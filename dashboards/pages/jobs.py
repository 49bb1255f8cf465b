"""Jobs (administrators): recent runs of the scheduled jobs, their durations and failures, and the
next scheduled runs when the server knows the schedule."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, dcc, html

from surveillance.notes import render as render_note
from surveillance.vocabulary import job_label, job_status_label, severity_colour

from .. import data
from ..i18n import t
from ..theme import SERIES, base_layout, date_axis, empty_figure, graph_config
from .quality import _table

NAME = "jobs"
PATH = "/jobs"
TITLE = "nav.jobs"
ROLE = "admin"
NAV = True

REFRESH_MS = 60_000


def layout(ctx, scope, lang, query, multi):
    return html.Div(className="page page-jobs", children=[
        html.Div(className="page-head", children=[html.H1(t("jobs.title", lang))]),
        html.P(id="jobs-failures", className="day-label"),
        html.Section(className="card", children=[
            html.H2(t("jobs.next", lang)), html.Div(id="jobs-next")]),
        html.Section(className="card", children=[
            html.H2(t("jobs.durations", lang)), dcc.Graph(id="jobs-durations", config=graph_config(lang))]),
        html.Section(className="card", children=[
            html.H2(t("jobs.runs", lang)), html.Div(id="jobs-runs")]),
        dcc.Interval(id="jobs-refresh", interval=REFRESH_MS),
    ])


def _empty(lang):
    return "", html.P(t("no_data", lang)), empty_figure(lang), html.P(t("no_data", lang))


def register(ctx):
    @ctx.callback(
        Output("jobs-failures", "children"), Output("jobs-next", "children"), Output("jobs-durations", "figure"),
        Output("jobs-runs", "children"),
        Input("jobs-refresh", "n_intervals"),
        role="admin", empty=_empty,
    )
    def update(scope, _tick):
        lang = scope.user.language
        runs = data.job_runs(ctx.cursor())
        week_ago = pd.Timestamp(datetime.now() - timedelta(days=7))
        failed = int(((runs["status"] == "failed") & (pd.to_datetime(runs["started_at"]) >= week_ago)).sum()) \
            if len(runs) else 0
        summary = t("jobs.failures", lang, n=failed)
        next_runs = _next_runs(ctx, lang)
        table = _table("jobs-runs-table", _shown(runs, lang),
                       [("run_id", "col.run"), ("job", "col.job"), ("started_at", "col.started"),
                        ("finished_at", "col.finished"), ("seconds", "col.duration"), ("status", "col.status"),
                        ("message", "col.message")], lang, page_size=15,
                       style_rules=[{"if": {"filter_query": f'{{status}} = "{job_status_label("failed", lang)}"'},
                                     "backgroundColor": "#fdecea", "color": "#8a1c1c"}])
        return summary, next_runs, _durations(runs, lang), table


def _shown(runs: pd.DataFrame, lang) -> pd.DataFrame:
    """The runs as the table shows them: the job, its outcome and the service's message in ``lang`` (the error
    of a failed run as the failing part said it)."""
    runs = runs.copy()
    runs["job"] = [job_label(j, lang) for j in runs["job"]]
    runs["message"] = [render_note(m, lang) if isinstance(m, str) else m for m in runs["message"]]
    runs["status"] = [job_status_label(s, lang) for s in runs["status"]]
    return runs


def _next_runs(ctx, lang):
    if ctx.next_runs is None:
        return html.P(t("jobs.no_schedule", lang), className="muted")
    rows = pd.DataFrame(ctx.next_runs() or [], columns=["job", "next_run"])
    rows["next_run"] = pd.to_datetime(rows["next_run"], errors="coerce")
    if rows["next_run"].dt.tz is not None:
        rows["next_run"] = rows["next_run"].dt.tz_localize(None)
    rows["job"] = [job_label(j, lang) for j in rows["job"]]
    return _table("jobs-next-table", rows, [("job", "col.job"), ("next_run", "col.next_run")], lang)


def _durations(runs: pd.DataFrame, lang) -> go.Figure:
    done = runs[runs["seconds"].notna()]
    if done.empty:
        return empty_figure(lang)
    fig = go.Figure()
    for i, (job, part) in enumerate(done.groupby("job")):
        failed = part["status"] == "failed"
        fig.add_trace(go.Scatter(
            x=part["started_at"], y=part["seconds"], name=job_label(job, lang), mode="markers+lines",
            line=dict(color=SERIES[i % len(SERIES)], width=1),
            marker=dict(size=[11 if f else 7 for f in failed], symbol=["x" if f else "circle" for f in failed],
                        color=[severity_colour("red") if f else SERIES[i % len(SERIES)] for f in failed]),
            customdata=_shown(part, lang)[["status", "message"]].fillna("").to_numpy(),
            hovertemplate="%{x|%Y-%m-%d %H:%M}: %{y:.1f} " + t("word.seconds", lang)
                          + ", %{customdata[0]} %{customdata[1]}<extra>" + job_label(job, lang) + "</extra>"))
    fig.update_layout(**base_layout(height=300, hovermode="closest"))
    fig.update_xaxes(**date_axis(lang, times=True))
    fig.update_yaxes(title_text=t("col.duration", lang))
    return fig
