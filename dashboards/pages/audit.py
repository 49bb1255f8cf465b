"""Audit trail (administrators): who did what, when, from where, to what (:mod:`surveillance.audit`),
newest first, filtered by user, action and days, and exported as CSV (the export carries the data
classification label and is itself audited). An administrator with a region sees the lines of the users
they manage only; an administrator of every region sees every line, names tried at sign-in included."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from surveillance import audit
from surveillance.audit_words import detail_words, target_words
from surveillance.vocabulary import AUDIT_ACTIONS, audit_action_label, user_label

from ..auditing import record
from ..i18n import calendar, t
from .admin_forms import manageable
from .quality import _table

NAME = "audit"
PATH = "/audit"
TITLE = "nav.audit"
ROLE = "admin"
NAV = True

SHOWN = 1000  # lines in the table; the export has up to audit.EXPORT_LIMIT


def _names(ctx, scope) -> list[str] | None:
    """The user names ``scope``'s administrator may read lines of (None: every line)."""
    if scope.root is None:
        return None
    return [u.name for u in manageable(ctx, scope)]


def layout(ctx, scope, lang, query, multi):
    names = _names(ctx, scope)
    seen = audit.names(ctx.store) if names is None else names
    actions = list(AUDIT_ACTIONS) + [a for a in audit.actions(ctx.store) if a not in AUDIT_ACTIONS]
    return html.Div(className="page page-audit", children=[
        html.Div(className="page-head", children=[html.H1(t("audit.title", lang))]),
        html.Div(className="controls controls-wrap", children=[
            html.Label([t("audit.user", lang), dcc.Dropdown(
                placeholder=t("select", lang), id="audit-user",
                options=[{"label": user_label(name, lang), "value": name} for name in seen],
                value=query.get("user") if query.get("user") in seen else None)]),
            html.Label([t("audit.action", lang), dcc.Dropdown(
                placeholder=t("select", lang), id="audit-action", multi=True,
                value=[a for a in multi.get("action", []) if a in actions],
                options=[{"label": audit_action_label(a, lang), "value": a} for a in actions])], className="wide"),
            html.Label([t("audit.dates", lang), dcc.DatePickerRange(
                id="audit-dates", display_format="YYYY-MM-DD", first_day_of_week=1, clearable=True, **calendar(lang),
                start_date=query.get("since"), end_date=query.get("until"),
                start_date_placeholder_text=t("audit.from", lang), end_date_placeholder_text=t("audit.to", lang))]),
            html.Div(className="admin-actions", children=[
                html.Button(t("audit.export", lang), id="audit-export", n_clicks=0, className="primary")]),
        ]),
        html.P(id="audit-count", className="day-label"),
        html.P(t("audit.keep", lang, days=ctx.config.audit.keep_days), className="hint"),
        html.Div(id="audit-message", className="admin-message"),
        html.Section(className="card", children=[html.Div(id="audit-box")]),
        dcc.Download(id="audit-download"),
    ])


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _filters(ctx, scope, user, actions, since, until) -> dict:
    names = _names(ctx, scope)
    if user and (names is None or user in names):
        chosen = user
    elif user:
        chosen = []  # a name outside the administrator's users: no lines, as for an unknown name
    else:
        chosen = names
    return {"user": chosen, "actions": list(actions or []) or None, "since": _day(since), "until": _day(until)}


def _shaped(frame, lang, names=None):
    """The lines as the table shows them: the user, the action, its target and detail in ``lang``, the time to
    the second."""
    frame = frame.copy()
    frame["action_words"] = [audit_action_label(a, lang) for a in frame["action"]]
    frame["user_name"] = [user_label(u, lang) for u in frame["user_name"]]
    frame["target"] = [target_words(v, lang) for v in frame["target"]]
    frame["detail"] = [detail_words(d, a, lang, names) for d, a in zip(frame["detail"], frame["action"])]
    frame["at_time"] = pd.to_datetime(frame["at_time"]).dt.strftime("%Y-%m-%d %H:%M:%S")
    return frame


def register(ctx):
    @ctx.callback(
        Output("audit-count", "children"), Output("audit-box", "children"),
        Input("audit-user", "value"), Input("audit-action", "value"), Input("audit-dates", "start_date"),
        Input("audit-dates", "end_date"),
        role="admin", empty=lambda lang: ("", html.P(t("no_data", lang), className="muted")),
    )
    def table(scope, user, actions, since, until):
        lang = scope.user.language
        filters = _filters(ctx, scope, user, actions, since, until)
        total = audit.count(ctx.store, **filters)
        frame = _shaped(audit.trail(ctx.store, limit=SHOWN, **filters), lang, ctx.regions.names(lang))
        return (t("audit.count", lang, n=f"{total:,}", shown=f"{min(total, SHOWN):,}"),
                _table("audit-table", frame, [("at_time", "col.time"), ("user_name", "col.user"),
                                              ("address", "col.address"), ("action_words", "col.action"),
                                              ("target", "col.target"), ("detail", "col.detail")], lang,
                       page_size=25))

    @ctx.callback(
        Output("audit-download", "data"), Output("audit-message", "children"),
        Input("audit-export", "n_clicks"),
        State("audit-user", "value"), State("audit-action", "value"), State("audit-dates", "start_date"),
        State("audit-dates", "end_date"),
        role="admin", prevent_initial_call=True, empty=(no_update, no_update),
    )
    def export(scope, clicks, user, actions, since, until):
        lang = scope.user.language
        filters = _filters(ctx, scope, user, actions, since, until)
        frame = audit.trail(ctx.store, limit=audit.EXPORT_LIMIT, **filters)
        total = audit.count(ctx.store, **filters)
        asked = ", ".join(f"{k} {v}" for k, v in (("user", user), ("actions", ",".join(actions or [])),
                                                   ("since", filters["since"]), ("until", filters["until"])) if v)
        record(ctx.store, scope.user.name, "export", "audit_log",
               f"audit trail CSV: {len(frame)} of {total} line(s)" + (f"; {asked}" if asked else ""))
        text = audit.classified_csv(frame, ctx.config.audit.classification, lang)
        name = f"audit-trail-{datetime.now():%Y%m%d-%H%M%S}.csv"
        message = html.Span(t("audit.too_many", lang, n=f"{len(frame):,}"), className="error") \
            if total > len(frame) else None
        return dcc.send_string(text, name, type="text/csv"), message
