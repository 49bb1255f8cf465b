"""Reports: the weekly situation reports of the user's region (``surveillance.report``), this week's
first (built on request when the Monday job has not built it for this region, language and counts),
then the past ones the user may read, each opened as a page or downloaded as a PDF."""

from __future__ import annotations

from dash import Input, Output, html

from surveillance import clock
from surveillance.report.build import build_report, store_report
from surveillance.report.content import hierarchy_of, report_region
from surveillance.report.numbers import day_text, last_complete_week, week_code, week_of, week_span
from surveillance.report.words import say
from surveillance.store.counts import date_range
from surveillance.store.reports import find_report
from surveillance.vocabulary import LANGUAGES

from ..reports import report_url, visible_reports

NAME = "reports"
PATH = "/reports"
TITLE = "nav.reports"
ROLE = "viewer"
NAV = True


def current_week(ctx, scope):
    """The week the page offers first: the last complete ISO week, or the week of the region's newest
    data day when the data stop before it (a demo, a feed that stopped)."""
    region = report_region(hierarchy_of(ctx.cursor()), scope.root)
    last = date_range(ctx.cursor(), within=region)[1]
    week = last_complete_week(clock.today(ctx.config))
    if last is not None and week_of(last).startdate() < week.startdate():
        week = week_of(last)
    return region, week


def _links(ctx, report_id: int, has_pdf: bool, lang: str, prefix: str):
    links = [html.A(say("reports_open", lang), href=report_url(ctx, report_id), target="_blank",
                    id=f"{prefix}-open", className="report-link")]
    if has_pdf:
        links += [" · ", html.A(say("reports_pdf", lang), href=report_url(ctx, report_id, "pdf"),
                                id=f"{prefix}-pdf", className="report-link")]
    return links


def _current(ctx, scope, lang):
    region, week = current_week(ctx, scope)
    found = find_report(ctx.cursor(), region=region, week=week_code(week), language=lang, exact=scope.exact)
    title = f"{say('reports_current', lang)}: {week_code(week)} · {week_span(week, lang)}"
    if found is None:
        body = [html.P(say("reports_missing", lang), className="muted", id="reports-missing"),
                html.Div(className="admin-actions", children=[
                    html.Button(say("reports_build", lang), id="reports-build", n_clicks=0, className="primary")])]
    else:
        row = visible_reports(ctx.cursor(), scope)
        has_pdf = bool(row.loc[row["report_id"] == found, "has_pdf"].any()) if len(row) else False
        body = [html.P(_links(ctx, found, has_pdf, lang, "reports-current"), id="reports-current-links"),
                html.Button(say("reports_build", lang), id="reports-build", n_clicks=0, style={"display": "none"})]
    return [html.H2(title, id="reports-current-title"), *body]


def _past(ctx, scope, lang):
    table = visible_reports(ctx.cursor(), scope)
    if table.empty:
        return html.P(say("reports_none", lang), className="muted", id="reports-empty")
    rows = []
    for r in table.to_dict("records"):
        rows.append(html.Tr([
            html.Td(ctx.regions.label(r["region"], lang) if isinstance(r["region"], str) else say("everywhere", lang)),
            html.Td(r["week"]), html.Td(LANGUAGES.get(r["language"], r["language"])),
            html.Td(say("counts_exact" if r["exact"] else "counts_suppressed", lang)),
            html.Td(day_text(r["created_at"], lang) + " " + r["created_at"].strftime("%H:%M")),
            html.Td(_links(ctx, int(r["report_id"]), bool(r["has_pdf"]), lang, f"reports-{int(r['report_id'])}"))]))
    head = html.Tr([html.Th(say(k, lang)) for k in ("region", "week", "reports_language", "reports_counts",
                                                     "reports_created")] + [html.Th("")])
    return html.Table([html.Thead(head), html.Tbody(rows)], id="reports-table", className="table")


def layout(ctx, scope, lang, query, multi):
    return html.Div(className="page page-reports", children=[
        html.Div(className="page-head", children=[html.H1(say("reports", lang))]),
        html.Section(className="card", id="reports-current", children=_current(ctx, scope, lang)),
        html.Section(className="card", children=[html.H2(say("reports_past", lang)),
                                                 html.Div(id="reports-past", children=_past(ctx, scope, lang))]),
    ])


def register(ctx):
    @ctx.callback(
        Output("reports-current", "children"), Output("reports-past", "children"),
        Input("reports-build", "n_clicks"),
        prevent_initial_call=True, empty=lambda lang: ([html.P(say("no_data", lang))], []),
    )
    def build(scope, clicks):
        lang = scope.user.language
        if clicks and not ctx.store.read_only:
            region, week = current_week(ctx, scope)
            report = build_report(ctx.store, ctx.config, region=region, week=week, language=lang, exact=scope.exact)
            store_report(ctx.store, report)
        return _current(ctx, scope, lang), _past(ctx, scope, lang)


__all__ = ["current_week", "layout", "register"]
