"""Indicators: how fast the alerts of a period were answered, in the user's regions.

The period (the days the alerts opened, by default the last 90) and a region of the user's subtree
are chosen on the page (and kept in the address: ``/app/indicators?region=320102&since=2026-09-01``).
Figures for all the alerts first (answered within 24 hours, positive predictive value, the 7-1-7
targets of confirmed outbreaks), then per detector and syndrome. The library computes them
(``surveillance.situation.indicators``); they count alerts, never visits.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from dash import Input, Output, dcc, html

from surveillance.clock import today
from surveillance.vocabulary import detector_label, topic_label

from .. import situation
from ..access import OutOfScope
from ..i18n import calendar, number, percent, t
from .quality import _table

NAME = "indicators"
PATH = "/indicators"
TITLE = "nav.indicators"
ROLE = "viewer"
NAV = True

DEFAULT_DAYS = 90


def _day(value, default: date) -> date:
    try:
        return date.fromisoformat(str(value)[:10]) if value else default
    except ValueError:
        return default


def layout(ctx, scope, lang, query, multi):
    last = today(ctx.config)
    until = min(_day(query.get("until"), last), last)
    since = min(_day(query.get("since"), until - timedelta(days=DEFAULT_DAYS - 1)), until)
    try:
        region = scope.region(query.get("region"))
    except OutOfScope:
        region = scope.root
    choices = situation.situation_regions(ctx, scope, scope.root)
    if region is not None and region not in choices:
        choices = [region, *choices]
    options = ([] if scope.root is not None else [{"label": t("scope.all", lang), "value": ""}]) + \
        [{"label": ctx.regions.label(c, lang), "value": c} for c in choices]
    return html.Div(className="page page-indicators", children=[
        html.Div(className="page-head", children=[
            html.H1(t("indicators.title", lang)),
            html.Div(className="controls", children=[
                html.Label([t("indicators.period", lang), dcc.DatePickerRange(
                    id="indicators-period", start_date=since.isoformat(), end_date=until.isoformat(),
                    max_date_allowed=last.isoformat(), display_format="YYYY-MM-DD", first_day_of_week=1,
                    clearable=False, start_date_placeholder_text=t("indicators.from", lang),
                    end_date_placeholder_text=t("indicators.to", lang), **calendar(lang))]),
                html.Label([t("indicators.region", lang), dcc.Dropdown(
                    id="indicators-region", value=region or "", clearable=False, options=options)]),
            ]),
        ]),
        html.Div(id="indicators-kpis", className="kpis"),
        html.Section(className="card", children=[
            html.H2(t("indicators.table", lang)),
            html.Div(id="indicators-table"),
            html.P(t("indicators.hint", lang), className="hint"),
        ]),
    ])


def _kpi(title, value, detail, kpi_id):
    return html.Div(className="kpi", id=kpi_id, children=[
        html.Div(title, className="kpi-title"), html.Div(value, className="kpi-value"),
        html.Div(detail, className="kpi-detail")])


def _count(value) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def _kpis(total: pd.Series, lang) -> list:
    return [
        _kpi(t("indicators.alerts", lang), str(_count(total["alerts"])),
             t("indicators.alerts_detail", lang, closed=_count(total["closed"]), pending=_count(total["pending"])),
             "indicators-kpi-alerts"),
        _kpi(t("indicators.answered", lang), percent(total["share_action_24h"], 0),
             t("indicators.answered_detail", lang, hours=number(total["median_hours_to_action"], digits=1)),
             "indicators-kpi-answered"),
        _kpi(t("indicators.ppv", lang), percent(total["ppv"], 0),
             t("indicators.ppv_detail", lang, confirmed=_count(total["confirmed_outbreak"]),
               closed=_count(total["closed_with_outcome"])), "indicators-kpi-ppv"),
        _kpi(t("indicators.717", lang), percent(total["share_717"], 0),
             [t("indicators.717_detail", lang, n=_count(total["outbreaks_717"])), html.Br(),
              t("indicators.717_parts", lang, detect=percent(total["share_detect_7d"], 0),
                notify=percent(total["share_notify_1d"], 0), respond=percent(total["share_respond_7d"], 0))],
             "indicators-kpi-717"),
    ]


def _rows(table: pd.DataFrame, lang) -> pd.DataFrame:
    hours = {c: [number(v, digits=1) for v in table[c]]
             for c in ("median_hours_to_action", "median_hours_to_verification", "median_hours_to_closure")}
    shares = {c: [percent(v, 0) for v in table[c]] for c in ("share_action_24h", "ppv", "share_717")}
    return pd.DataFrame({"detector": [detector_label(d, lang) for d in table["detector"]],
                         "syndrome": [topic_label(s, lang) for s in table["syndrome"]],
                         "alerts": table["alerts"], "closed_with_outcome": table["closed_with_outcome"],
                         "confirmed_outbreak": table["confirmed_outbreak"], **hours, **shares})


COLUMNS = [("detector", "col.detector"), ("syndrome", "col.syndrome"), ("alerts", "col.alerts"),
           ("share_action_24h", "col.answered_24h"), ("median_hours_to_action", "col.hours_action"),
           ("median_hours_to_verification", "col.hours_verification"),
           ("median_hours_to_closure", "col.hours_closure"), ("closed_with_outcome", "col.closed_outcome"),
           ("confirmed_outbreak", "col.confirmed"), ("ppv", "col.ppv"), ("share_717", "col.share_717")]


def _empty(lang):
    return [], html.P(t("no_data", lang), className="muted")


def register(ctx):
    @ctx.callback(
        Output("indicators-kpis", "children"), Output("indicators-table", "children"),
        Input("indicators-period", "start_date"), Input("indicators-period", "end_date"),
        Input("indicators-region", "value"),
        empty=_empty,
    )
    def update(scope, start, end, region):
        lang = scope.user.language
        last = today(ctx.config)
        until = min(_day(end, last), last)
        since = min(_day(start, until - timedelta(days=DEFAULT_DAYS - 1)), until)
        code = region or None
        now = datetime.now()
        total = situation.indicators_table(ctx, scope, code, since, until, by=(), as_of=now)
        table = situation.indicators_table(ctx, scope, code, since, until, as_of=now)
        kpis = _kpis(total.iloc[0], lang) if len(total) else []
        return kpis, _table("indicators-detectors", _rows(table, lang) if len(table) else table, COLUMNS, lang,
                            page_size=20, empty_text=t("alerts.none", lang))
