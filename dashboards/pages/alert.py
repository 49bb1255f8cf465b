"""Alert detail (``/app/alerts/<id>``): one alert episode with everything needed to act on it.

Its reason first (the alert's sentence, :mod:`surveillance.alerts.sentence`), then the series with the
detector's expected line, its threshold band (the upper bound) and the alarm days marked; the evidence
(observed, expected, threshold, p-value, detector, completeness per day) and the detectors' parameters;
the age groups and the neighbouring regions over the last seven days; the workflow state with its full
history. Epidemiologists and administrators move it through the workflow (verify, monitor, investigate,
close with an outcome, reopen) with a note; viewers see the state and history only, and the server
refuses (and audits) a workflow callback from anyone else. An alert outside the user's regions is
answered like a missing one. For a user without exact counts the hidden counts read ``<5`` and figures
computed from them ``*`` (sums over days or a cluster's regions, shares, p-values), in the reason, the
series, the evidence and the tables alike.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, dcc, html, no_update
from dash import ctx as callback_context
from dash.exceptions import PreventUpdate

from surveillance.alerts.episode_types import flag
from surveillance.alerts.sentence import sentence
from surveillance.alerts.workflow import OUTCOMES, WorkflowError, add_note, allowed, transition
from surveillance.notes import render as render_note
from surveillance.store.alerts import episode_state
from surveillance.vocabulary import (AGE_GROUPS, OUTBREAK_START, age_label, data_state_label, detector_label, event_label,
                                     kind_label, measure_label, outcome_label, severity_colour, severity_label,
                                     severity_rank, state_label, topic_label, user_label)

from .. import data
from ..access import OutOfScope
from ..disclosure import hidden_points, legend, mark, written
from ..auditing import record as record_audit
from ..i18n import aside, date_label, listing, number, percent, t
from ..theme import (ACCENT, MUTED, base_layout, date_axis, empty_figure, graph_config, hover_day, severity_badge,
                    severity_rules, tint)
from .quality import _table

NAME = "alert"
PATH = "/alerts/detail"
PATTERN = re.compile(r"/alerts/(?P<id>\d{1,12})")
TITLE = "nav.alerts"
ROLE = "viewer"
NAV = False
NAV_PARENT = "alerts"

HISTORY_DAYS = 42  # days of the series before the alert opened
RECENT_DAYS = 7


def _not_found(ctx, scope, lang, episode_id):
    return html.Div(className="page page-alert", children=[
        dcc.Link(t("alert.back", lang), href=ctx.url("/alerts"), className="back"),
        html.Div(t("alert.not_found", lang, id=episode_id), className="notice", id="alert-not-found"),
    ])


def layout(ctx, scope, lang, query, multi):
    episode_id = query.get("id")
    cur = ctx.cursor()
    detail = data.alert(cur, scope, episode_id)
    if detail is None:
        exists = episode_id and str(episode_id).isdigit() and episode_state(cur, int(episode_id)) is not None
        if exists:  # someone asked for an alert of another region: the same answer as for a missing one
            record_audit(ctx.store, scope.user.name, "refused", "alert", f"alert {episode_id} is outside the user's regions")
        return _not_found(ctx, scope, lang, episode_id)
    record_audit(ctx.store, scope.user.name, "alert_viewed", f"alert {detail['episode_id']}", "page")
    signals = data.alert_signals(cur, detail)
    kind = detail["kind"]
    name = topic_label(detail["syndrome"], lang)
    region = ctx.regions.label(detail["region"], lang)
    summary = t("alert.summary", lang, kind=kind_label(kind, lang), age=age_label(detail["age_group"], lang),
                opened=date_label(detail["opened_on"], lang), last=date_label(detail["last_signal_on"], lang))
    ended = (f" · {t('alerts.ended', lang)} {date_label(detail['ended_on'], lang)}" if detail["ended_on"] is not None
             else f" · {t('alerts.running', lang)}")
    others = [r for r in detail["regions"] if r != detail["region"]]
    recent = _recent_days(cur, scope, detail)
    return html.Div(className="page page-alert", children=[
        dcc.Link(t("alert.back", lang), href=ctx.url("/alerts"), className="back", id="alert-back"),
        dcc.Store(id="alert-id", data=int(detail["episode_id"])),
        html.Div(className="page-head", children=[
            html.H1([severity_badge(detail["severity"], lang, badge_id="alert-severity"), " ",
                     t("alert.title", lang, id=detail["episode_id"], syndrome=name, region=region)], id="alert-title"),
        ]),
        html.P(sentence(data.alert_headline(cur, scope, detail, silent_days=ctx.config.quality.silent_days), lang,
                        ctx.regions.names(lang)), className="alert-why", id="alert-why"),
        legend(scope, lang, "alert-suppressed"),
        html.P([summary, ended] + ([" · ", html.Span(t("alerts.incomplete", lang), className="tone-yellow")]
                                   if detail["incomplete"] else [])
               + ([" · ", html.Span(data_state_label("provisional", lang), className="tone-yellow",
                                    id="alert-provisional")] if flag(detail.get("provisional")) else []),
               className="day-label", id="alert-summary"),
        html.P([t("col.regions", lang), "：" if lang == "zh" else ": ",
                listing([ctx.regions.label(r, lang) for r in [detail["region"], *others]], lang)],
               className="muted", id="alert-regions") if others else None,
        html.Section(className="card", children=[
            html.H2(t("alert.series", lang)),
            dcc.Graph(id="alert-series", config=graph_config(lang), figure=_series(ctx, scope, detail, signals, lang)),
            html.P(t("alert.series_hint", lang), className="hint"),
        ]),
        html.Div(className="grid-2-1", children=[
            html.Section(className="card", children=[html.H2(t("alert.workflow", lang)),
                                                     html.Div(id="alert-message", className="alert-message"),
                                                     html.Div(id="alert-workflow",
                                                              children=_workflow(ctx, scope, detail, lang))]),
            html.Section(className="card", children=[html.H2(t("alert.parameters", lang)),
                                                     _parameters(ctx, detail, lang)]),
        ]),
        html.Section(className="card", children=[html.H2(t("alert.evidence", lang)),
                                                 _evidence(ctx, scope, detail, signals, lang)]),
        html.Section(className="card", children=[html.H2(t("alert.ages", lang)),
                                                 _ages(cur, scope, detail, recent, lang)]) if kind != "data_quality" else None,
        html.Section(className="card", children=[html.H2(t("alert.neighbours", lang)),
                                                 _neighbours(ctx, cur, scope, detail, recent, lang)])
        if kind != "data_quality" else None,
    ])


# --- the series ----------------------------------------------------------------------------


def _series(ctx, scope, detail, signals, lang):
    if detail["kind"] == "data_quality":
        return empty_figure(lang, t("alert.no_series", lang))
    cur = ctx.cursor()
    last = data.latest_day(cur, scope)
    opened = pd.Timestamp(detail["opened_on"])
    end = max(pd.Timestamp(detail["last_signal_on"]), pd.Timestamp(last) if last else opened)
    start = opened - timedelta(days=HISTORY_DAYS)
    regions = detail["regions"] if detail["kind"] == "cluster" else [detail["region"]]
    age = detail["age_group"]
    counts = data.alert_counts(cur, scope, detail, start, end, regions=regions, age_groups=None if age == "all" else [age])
    if counts.empty:
        return empty_figure(lang, t("alert.no_series", lang))
    daily = counts.groupby("date").agg(count=("count", lambda c: c.sum(min_count=1)),
                                       total=("total", lambda c: c.sum(min_count=1)), hidden=("hidden", "any"))
    daily = daily.sort_index()
    measures = set(signals["measure"]) if len(signals) else set()
    measure = "count" if "count" in measures or not measures else sorted(measures)[0]
    if measure == "percent":
        values = 100 * daily["count"] / daily["total"].where(daily["total"] > 0)
    else:
        values = daily["count"]
    hidden = daily["hidden"].astype(bool)
    values = values.where(~hidden)  # a hidden day is a gap, marked on the axis
    axis = measure_label(measure, lang)
    day = hover_day(lang)
    digits = ".2f" if measure == "percent" else ",.0f"
    fig = go.Figure()
    judged = signals[(signals["measure"] == measure) & signals["expected"].notna()] if len(signals) else signals
    if detail["kind"] != "cluster" and len(judged):
        for detector, part in judged.groupby("detector"):
            part = part.sort_values("date")
            fig.add_trace(go.Scatter(x=part["date"], y=part["expected"], mode="lines+markers",
                                     name=f"{t('word.expected', lang)} ({detector_label(detector, lang)})",
                                     line=dict(color=MUTED, dash="dash", width=1.5), marker=dict(size=4),
                                     hovertemplate=f"{day}: %{{y:{digits}}}<extra></extra>"))
            if part["upperbound"].notna().any():
                fig.add_trace(go.Scatter(x=part["date"], y=part["upperbound"], mode="lines", fill="tonexty",
                                         fillcolor=tint(severity_colour("yellow"), 0.18), line=dict(color=severity_colour("yellow"), width=1),
                                         name=f"{t('alert.threshold', lang)} ({detector_label(detector, lang)})",
                                         hovertemplate=f"{day}: %{{y:{digits}}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=values.index, y=values.to_numpy(), mode="lines+markers", name=t("word.observed", lang),
                             line=dict(color=ACCENT, width=2), marker=dict(size=4),
                             hovertemplate=f"{day}: %{{y:{digits}}}<extra></extra>"))
    evidence = pd.DataFrame(detail["evidence"])
    if len(evidence):
        evidence["date"] = pd.to_datetime(evidence["date"])
        worst = evidence.assign(r=evidence["severity"].map(severity_rank)).sort_values("r").groupby("date").last()
        for severity in ("yellow", "red"):
            days = worst[worst["severity"] == severity].index
            if not len(days):
                continue
            y = values.reindex(days).where(~hidden.reindex(days, fill_value=False), 0)
            fig.add_trace(go.Scatter(
                x=days, y=y.to_numpy(), mode="markers+text", text=[severity_label(severity, lang)] * len(days),
                textposition="top center", textfont=dict(size=11, color="#1f2933"),
                name=f"{t('alert.signal', lang)}: {severity_label(severity, lang)}",
                marker=dict(size=13, color=severity_colour(severity), symbol="diamond",
                            line=dict(color="#1f2933", width=1)),
                hovertemplate=f"{day}: %{{y:{digits}}} ({severity_label(severity, lang)})<extra></extra>"))
    if detail["kind"] == "cluster" and len(signals):
        newest = signals.sort_values("date").iloc[-1]
        days = int(newest["period_days"] or 1)
        fig.add_vrect(x0=newest["date"] - pd.Timedelta(days=days - 0.5), x1=newest["date"] + pd.Timedelta(hours=12),
                      fillcolor=severity_colour("yellow"), opacity=0.12, line_width=0)
    if hidden.any():  # one region's day is a count; a cluster's (a sum over regions) or a percentage is not
        fig.add_trace(hidden_points(hidden.index[hidden.to_numpy()], scope, lang, colour=ACCENT,
                                    withheld=len(regions) > 1 or measure == "percent"))
    fig.add_vrect(x0=opened - pd.Timedelta(hours=12), x1=pd.Timestamp(detail["last_signal_on"]) + pd.Timedelta(hours=12),
                  fillcolor=severity_colour("red"), opacity=0.06, line_width=0)
    fig.update_layout(**base_layout(height=380, hovermode="closest"))
    fig.update_yaxes(title_text=axis)
    fig.update_xaxes(**date_axis(lang))
    return fig


# --- evidence and parameters ---------------------------------------------------------------


def _evidence(ctx, scope, detail, signals, lang):
    frame = pd.DataFrame(detail["evidence"])
    if frame.empty:
        return html.P(t("no_data", lang), className="muted")
    frame = frame.sort_values(["date", "detector"], ascending=[False, True])
    def digits(measure, value=None):
        return 2 if measure == "percent" else 0 if value is None or float(value).is_integer() else 1
    gone = frame["suppressed"].astype(bool) if "suppressed" in frame else pd.Series(False, index=frame.index)
    withheld = mark(scope, lang, withheld=True)
    cluster = detail["kind"] == "cluster"  # its count is a sum over its regions and days
    names = ctx.regions.names(lang)
    table = pd.DataFrame({
        "date": [pd.Timestamp(d).strftime("%Y-%m-%d") for d in frame["date"]],
        "detector": [detector_label(d, lang) for d in frame["detector"]],
        "region": [ctx.regions.label(r, lang) for r in frame["region"]],
        "observed": [mark(scope, lang, withheld=cluster or m == "percent") if g else number(v, digits=digits(m, v))
                     for v, m, g in zip(frame["observed"], frame["measure"], gone)],
        "expected": [number(v, digits=digits(m, 0.5)) for v, m in zip(frame["expected"], frame["measure"])],
        "upperbound": [number(v, digits=digits(m, 0.5)) for v, m in zip(frame["upperbound"], frame["measure"])],
        "pvalue": [withheld if g else "–" if v is None or v != v else f"{v:.3g}" for v, g in zip(frame["pvalue"], gone)],
        "severity": [severity_label(s, lang) for s in frame["severity"]],
        "completeness": [percent(v, 0) + (f" ({t('alerts.incomplete', lang)})" if inc else "")
                         for v, inc in zip(frame["completeness"], frame["incomplete"])],
        "as_of": [pd.Timestamp(d).strftime("%Y-%m-%d") + (f" ({data_state_label('provisional', lang)})" if flag(p)
                                                          else "")
                  for d, p in zip(frame["as_of"], frame.get("provisional", pd.Series(False, index=frame.index)))],
        "detail": [render_note(d, lang, names) + ("" if m == "count" else f" [{measure_label(m, lang)}]")
                   for d, m in zip(frame["detail"], frame["measure"])],
    })
    return _table("alert-evidence", table,
                  [("date", "col.date"), ("detector", "col.detector"), ("region", "col.region"),
                   ("observed", "col.observed"), ("expected", "col.expected"), ("upperbound", "col.upperbound"),
                   ("pvalue", "col.pvalue"), ("severity", "col.severity"), ("completeness", "col.completeness"),
                   ("as_of", "col.as_of"), ("detail", "col.detail")], lang, page_size=14,
                  style_rules=severity_rules("severity", lang))


def _parameters(ctx, detail, lang):
    specs = {spec.id: spec for spec in ctx.config.detection.detectors}
    items = []
    for label in detail["detectors"]:
        spec = specs.get(label)
        if spec is None:  # a detector no longer configured, or the data-quality checks
            items.append(html.Li([html.B(detector_label(label, lang))]))
            continue
        extra = [detector_label(spec.name, lang), t(f"freq.{spec.freq}", lang)] + (["%"] if spec.percent else [])
        colon = "：" if lang == "zh" else ": "
        parts = [html.B(detector_label(label, lang)), aside(("，" if lang == "zh" else ", ").join(extra), lang), colon]
        # parameter names are the detector's own (as the configuration writes them)
        parts.append(html.Code(json.dumps(spec.params, sort_keys=True)) if spec.params else t("alert.default_params", lang))
        items.append(html.Li(parts))
    return html.Ul(items, id="alert-parameters")


# --- ages and neighbours -------------------------------------------------------------------


def _recent_days(cur, scope, detail) -> list[pd.Timestamp]:
    end = pd.Timestamp(detail["last_signal_on"])
    return [end - pd.Timedelta(days=k) for k in range(RECENT_DAYS - 1, -1, -1)]


def _day_head(day, lang) -> str:
    return day.strftime("%m-%d") if lang == "zh" else day.strftime("%a %d")


def _ages(cur, scope, detail, days, lang):
    regions = detail["regions"] if detail["kind"] == "cluster" else [detail["region"]]
    order = list(AGE_GROUPS)
    ages = sorted((a for a in data.age_groups_seen(cur) if a != "all"),
                  key=lambda a: (order.index(a) if a in order else len(order), a))
    counts = data.alert_counts(cur, scope, detail, days[0], days[-1], regions=regions, age_groups=ages or None)
    if counts.empty:
        return html.P(t("no_data", lang), className="muted")
    table = counts.pivot_table(index="age_group", columns="date", values="count", aggfunc="sum")
    table = table.reindex(index=[a for a in ages if a in table.index] or table.index, columns=days)
    hidden = (counts.pivot_table(index="age_group", columns="date", values="hidden", aggfunc="max")
              .reindex(index=table.index, columns=days).fillna(False).astype(bool))
    total = table.sum(axis=1)
    share = total / total.sum() if total.sum() else total * float("nan")
    gone_total = hidden.any(axis=1)  # a week over a hidden day; and every share, when a week is hidden
    several = len(regions) > 1  # a cluster's day is a sum over its regions
    head = html.Tr([html.Th(t("col.age_group", lang))] + [html.Th(_day_head(d, lang), className="num") for d in days]
                   + [html.Th(t("col.total_7", lang), className="num"), html.Th(t("col.share", lang), className="num")])
    body = [html.Tr([html.Td(age_label(a, lang))]
                    + [html.Td(written(table.loc[a, d], hidden.loc[a, d], scope, lang, withheld=several),
                               className="num") for d in days]
                    + [html.Td(written(total[a], gone_total[a], scope, lang, withheld=True), className="num"),
                       html.Td(mark(scope, lang, withheld=True) if gone_total.any() else percent(share[a], 0),
                               className="num")])
            for a in table.index]
    return html.Div(className="table-scroll", children=html.Table(
        className="table", id="alert-ages", children=[html.Thead(head), html.Tbody(body)]))


def _neighbours(ctx, cur, scope, detail, days, lang):
    centre = detail["region"]
    neighbours = data.neighbours_of(cur, scope, centre)
    if not neighbours:
        return html.P(t("alert.no_neighbours", lang), className="muted", id="alert-neighbours-none")
    regions = [centre, *neighbours]
    counts = data.alert_counts(cur, scope, detail, days[0], days[-1], regions=regions,
                               age_groups=None if detail["age_group"] == "all" else [detail["age_group"]])
    table = (counts.pivot_table(index="region", columns="date", values="count", aggfunc="sum")
             .reindex(index=regions, columns=days))
    hidden = (counts.pivot_table(index="region", columns="date", values="hidden", aggfunc="max")
              .reindex(index=regions, columns=days).fillna(False).astype(bool))
    head = html.Tr([html.Th(t("col.region", lang))] + [html.Th(_day_head(d, lang), className="num") for d in days]
                   + [html.Th(t("col.total_7", lang), className="num"), html.Th(t("col.in_alert", lang))])
    body = []
    for code in regions:
        link = dcc.Link(ctx.regions.label(code, lang), href=ctx.url("/trends", region=code, syndrome=detail["syndrome"]))
        body.append(html.Tr([html.Td(html.B(link) if code == centre else link)]
                            + [html.Td(written(table.loc[code, d], hidden.loc[code, d], scope, lang), className="num")
                               for d in days]
                            + [html.Td(written(table.loc[code].sum(min_count=1), hidden.loc[code].any(), scope, lang,
                                             withheld=True), className="num"),
                               html.Td("✓" if code in detail["regions"] else "")]))
    return html.Div(className="table-scroll", children=html.Table(
        className="table", id="alert-neighbours", children=[html.Thead(head), html.Tbody(body)]))


# --- workflow ------------------------------------------------------------------------------


def _workflow(ctx, scope, detail, lang):
    state = detail["state"]
    line = [t("alert.state_now", lang, state=""), html.Span(state_label(state, lang), className="state-badge",
                                                             id="alert-state")]
    if detail.get("outcome"):
        line += [" · ", html.Span(t("alert.outcome_now", lang, outcome=outcome_label(detail["outcome"], lang)),
                                  id="alert-outcome-now")]
    if detail.get("outbreak_start"):
        line += [" · ", html.Span(f"{OUTBREAK_START.say(lang)}{'：' if lang == 'zh' else ': '}"
                                  f"{date_label(detail['outbreak_start'], lang)}", id="alert-outbreak-start-now")]
    children = [html.P(line)]
    if scope.user.can("epidemiologist"):
        outcomes = [o for o in OUTCOMES if not (state == "new" and o == "confirmed_outbreak")]
        buttons = []
        for to in allowed(state):
            label = (t("action.reopen", lang, state=state_label(to, lang)) if state == "closed"
                     else t("action." + to, lang))
            buttons.append(html.Button(label, id={"type": "alert-action", "to": to}, n_clicks=0,
                                       className="primary" if to != "closed" else ""))
        buttons.append(html.Button(t("action.note", lang), id={"type": "alert-action", "to": "note"}, n_clicks=0))
        children.append(html.Div(className="alert-form", children=[
            html.Label([t("alert.note", lang), dcc.Textarea(id="alert-note", value="", maxLength=2000)]),
            html.Fieldset([html.Legend(t("alert.outcome", lang)), dcc.RadioItems(
                id="alert-outcome", value=None,
                options=[{"label": outcome_label(o, lang), "value": o} for o in outcomes]),
                html.Label([t("alert.outbreak_start", lang),
                            dcc.Input(id="alert-outbreak-start", type="date", value=None,
                                      max=pd.Timestamp(detail["opened_on"]).strftime("%Y-%m-%d"))],
                           hidden="confirmed_outbreak" not in outcomes)],
                hidden=state == "closed"),
        ]))
        children.append(html.Div(buttons, className="alert-actions", id="alert-actions"))
    else:
        children.append(html.P(t("alert.read_only", lang), className="muted", id="alert-read-only"))
    children.append(html.H3(t("alert.history", lang)))
    children.append(_history(detail, lang, ctx.regions.names(lang)))
    return children


def _history(detail, lang, names):
    rows = []
    for e in reversed(detail["events"]):
        change = ""
        if e.get("from_state") or e.get("to_state"):
            change = f"{state_label(e['from_state'], lang) if e.get('from_state') else ''} → " \
                     f"{state_label(e['to_state'], lang) if e.get('to_state') else ''}"
        at = pd.Timestamp(e["at_time"]).strftime("%Y-%m-%d %H:%M")
        day = f" ({pd.Timestamp(e['day']).strftime('%Y-%m-%d')})" if e.get("day") is not None else ""
        rows.append(html.Tr(className=f"event event-{e['action']}", children=[
            html.Td(at + day), html.Td(user_label(e["user_name"], lang), className="event-user"),
            html.Td(event_label(e["action"], lang)), html.Td(change, className="event-change"),
            html.Td(severity_badge(e["severity"], lang) if e.get("severity") else ""),
            html.Td(render_note(e.get("note"), lang, names), className="event-note"),
        ]))
    head = html.Tr([html.Th(t(k, lang)) for k in ("col.time", "col.user", "col.action", "col.change", "col.severity",
                                                  "col.note")])
    return html.Div(className="table-scroll", children=html.Table(
        className="table", id="alert-history", children=[html.Thead(head), html.Tbody(rows)]))


def register(ctx):
    @ctx.callback(
        Output("alert-workflow", "children"), Output("alert-message", "children"),
        Input({"type": "alert-action", "to": ALL}, "n_clicks"),
        State("alert-id", "data"), State("alert-note", "value"), State("alert-outcome", "value"),
        State("alert-outbreak-start", "value"),
        role="epidemiologist", prevent_initial_call=True,
        empty=lambda lang: (no_update, html.Span(t("alert.refused", lang), className="error", id="alert-refused")),
    )
    def act(scope, clicks, episode_id, note, outcome, outbreak_start):
        triggered = callback_context.triggered_id
        value = callback_context.triggered[0].get("value") if callback_context.triggered else None
        if not isinstance(triggered, dict) or not value:
            raise PreventUpdate
        lang, user = scope.user.language, scope.user.name
        detail = data.alert(ctx.cursor(), scope, episode_id)
        if detail is None:
            raise OutOfScope(f"alert {episode_id!r} is not among {user}'s regions")
        episode_id = int(detail["episode_id"])
        to = str(triggered.get("to"))
        note = (note or "").strip()[:2000] or None
        try:
            if to == "note":
                if not note:
                    return no_update, html.Span(t("alert.need_note", lang), className="error")
                add_note(ctx.store, episode_id, user=user, note=note)
                record_audit(ctx.store, user, "alert_note", f"alert {episode_id}", note)
                message = t("alert.note_added", lang)
            else:
                closing = to == "closed"
                event = transition(ctx.store, episode_id, to, user=user, note=note,
                                   outcome=(outcome or None) if closing else None,
                                   outbreak_start=(outbreak_start or None) if closing and outcome == "confirmed_outbreak"
                                   else None)
                record_audit(ctx.store, user, "alert_" + event["action"], f"alert {episode_id}",
                             f"{event['from_state']} -> {event['to_state']}" + (f"; {event['note']}" if event["note"] else ""))
                message = t("alert.done", lang, state=state_label(to, lang))
        except WorkflowError as exc:
            record_audit(ctx.store, user, "alert_refused", f"alert {episode_id}", str(exc))
            return no_update, html.Span(exc.say(lang), className="error", id="alert-error")
        fresh = data.alert(ctx.cursor(), scope, episode_id)
        return _workflow(ctx, scope, fresh, lang), html.Span(message, id="alert-done")
