"""Overview: today at a glance for the user's regions.

Visits of a syndrome on the data day against the usual (the same weekday over the four weeks
before), the syndrome's share of all visits, reporting completeness, a map of counties coloured
by observed / expected, the counties furthest above usual, the last eight weeks, and the epidemic
situation of the user's region and its children (trend labels, the influenza-like illness and hand,
foot and mouth disease seasons: ``situation_parts``). Clicking a
county (on the map or in the list) opens its trends. A data day whose reports are still arriving is
marked provisional. For a user without exact counts a hidden count reads ``<5`` and what is computed
from one (a usual, a ratio, a percentage) ``*``; such a county is grey on the map and not ranked.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html

from surveillance.clock import today
from surveillance.vocabulary import data_state_label, severity_colour, state_label, syndrome_label, topic_label

from .. import data
from ..disclosure import hidden_points, lagged_hidden, legend, mark, shown_ratios, written
from ..geo import county_shapes_url
from ..i18n import calendar, date_label, number, percent, t
from ..situation import situation_regions
from ..theme import (ACCENT, FONT, INK, MUTED, RATIO_MAX, RATIO_SCALE, base_layout, date_axis, empty_figure,
                     graph_config, severity_badge)
from .situation_parts import situation_section

NAME = "overview"
PATH = "/"
TITLE = "nav.overview"
ROLE = "viewer"
NAV = True

MAP_LABEL_LIMIT = 40  # county names are written on the map up to this many counties


def layout(ctx, scope, lang, query, multi):
    cur = ctx.cursor()
    latest = data.latest_day(cur, scope)
    first, _ = data.all_dates(cur, scope)
    syndromes = ctx.config.syndromes
    syndrome = query.get("syndrome") if query.get("syndrome") in syndromes else syndromes[0]
    day = query.get("day") or (latest.isoformat() if latest else None)
    return html.Div(className="page page-overview", children=[
        html.Div(className="page-head", children=[
            html.H1(t("overview.title", lang)),
            html.Div(className="controls", children=[
                html.Label([t("overview.day", lang), dcc.DatePickerSingle(
                    id="overview-day", date=day, min_date_allowed=first, max_date_allowed=latest,
                    display_format="YYYY-MM-DD", first_day_of_week=1, clearable=False,
                    placeholder=t("word.date", lang), **calendar(lang))]),
                html.Label([t("overview.syndrome", lang), dcc.Dropdown(placeholder=t("select", lang),
                    id="overview-syndrome", value=syndrome, clearable=False, searchable=False,
                    options=[{"label": syndrome_label(s, lang), "value": s} for s in syndromes])]),
            ]),
        ]),
        html.Div(id="overview-day-label", className="day-label"),
        html.Div(id="overview-kpis", className="kpis"),
        html.Div(className="grid-2-1", children=[
            html.Section(className="card", children=[
                html.H2(t("overview.map", lang)),
                dcc.Graph(id="overview-map", className="map-graph", config={
                    **graph_config(lang), "scrollZoom": False,
                    # The county shapes come with the figure; no base map is fetched from the internet.
                    "topojsonURL": ctx.url("/assets/topojson/")}),
                html.P(t("overview.map_hint", lang), className="hint"),
            ]),
            html.Section(className="card", children=[
                html.H2(t("overview.ranking", lang)),
                html.Div(id="overview-ranking"),
            ]),
        ]),
        html.Section(className="card", children=[
            html.H2(id="overview-recent-title"),
            dcc.Graph(id="overview-recent", config=graph_config(lang), className="line-graph"),
        ]),
        legend(scope, lang, "overview-suppressed"),
        html.Section(className="card", id="overview-situation", children=html.P(t("loading", lang), className="muted")),
        _alerts_card(ctx, scope, lang),
        dcc.Location(id="overview-go", refresh="callback-nav"),
    ])


TOP_ALERTS = 8


def _alerts_card(ctx, scope, lang):
    """Active alerts by severity and the ones that matter most, each with its reason (links to their pages)."""
    active = data.explained(ctx.cursor(), scope, data.alerts(ctx.cursor(), scope, include_ended=False), lang,
                            silent_days=ctx.config.quality.silent_days)
    counts = active["severity"].value_counts() if len(active) else {}
    red, yellow = int(counts.get("red", 0)), int(counts.get("yellow", 0))
    kpi = _kpi(t("alerts.active", lang), f"{red + yellow}", t("alerts.active_detail", lang, red=red, yellow=yellow),
               tone="tone-red" if red else "tone-yellow" if yellow else "", kpi_id="overview-kpi-alerts")
    items = []
    for r in active.head(TOP_ALERTS).itertuples():
        items.append(html.Li([
            severity_badge(r.severity, lang),
            dcc.Link(f"#{r.episode_id} {topic_label(r.syndrome, lang)}{'，' if lang == 'zh' else ', '}"
                     f"{ctx.regions.name(r.region, lang)}", href=ctx.url(f"/alerts/{r.episode_id}")),
            html.Span(f"{state_label(r.state, lang)} · {date_label(r.last_signal_on, lang, weekday=False)}",
                      className="muted"),
            html.Span(r.sentence, className="alert-why"),
        ]))
    newest = (html.Ul(items, className="alert-list", id="overview-alerts-list") if items
              else html.P(t("alerts.none", lang), className="muted"))
    return html.Section(className="card", id="overview-alerts", children=[
        html.H2(t("alerts.newest", lang)),
        html.Div(className="kpis", children=[kpi]),
        newest,
        dcc.Link(t("alerts.all", lang), href=ctx.url("/alerts")),
    ])


def _empty(lang):
    return ("", [], empty_figure(lang), [], "", empty_figure(lang))


def _kpi(title, value, detail, *, tone="", kpi_id=None):
    return html.Div(className=f"kpi {tone}", id=kpi_id, children=[
        html.Div(title, className="kpi-title"),
        html.Div(value, className="kpi-value"),
        html.Div(detail, className="kpi-detail"),
    ])


def _tone(ratio) -> str:
    if ratio is None or not np.isfinite(ratio):
        return ""
    return "tone-red" if ratio >= 2 else "tone-yellow" if ratio >= 1.5 else ""


def _change(observed, expected) -> str:
    if not expected or not np.isfinite(expected) or observed is None or not np.isfinite(observed):
        return ""
    change = observed / expected - 1
    return f" ({'+' if change >= 0 else ''}{change:.0%})"


def register(ctx):
    @ctx.callback(
        Output("overview-day-label", "children"), Output("overview-kpis", "children"), Output("overview-map", "figure"),
        Output("overview-ranking", "children"), Output("overview-recent-title", "children"),
        Output("overview-recent", "figure"),
        Input("overview-day", "date"), Input("overview-syndrome", "value"),
        empty=_empty,
    )
    def update(scope, day, syndrome):
        lang = scope.user.language
        if syndrome not in ctx.config.syndromes:
            return _empty(lang)
        cur = ctx.cursor()
        if not day:
            latest = data.latest_day(cur, scope)
            if latest is None:
                return _empty(lang)
            day = latest
        day = pd.Timestamp(day).normalize()
        name = syndrome_label(syndrome, lang)

        # The three reads are independent scans; DuckDB runs them side by side on their own cursors.
        with ThreadPoolExecutor(max_workers=3) as pool:
            ratios = pool.submit(data.county_ratios, ctx.cursor(), scope, day, syndrome)
            completeness = pool.submit(data.county_completeness, ctx.cursor(), scope, day, ctx.config.quality)
            daily = pool.submit(data.scope_daily, ctx.cursor(), scope, syndrome, day - timedelta(days=56 + 27), day)
            counties, by_county, daily = ratios.result(), completeness.result(), daily.result()
        counties = counties.merge(by_county, on="region", how="left")
        hidden_today = bool(daily.loc[daily["date"] == day, "hidden"].any())  # the subtree's own count
        hidden_usual = bool(counties["expected_hidden"].any())

        observed = counties["observed"].sum(min_count=1)
        expected = counties["expected"].sum(min_count=1)
        total = counties["total"].sum(min_count=1)
        total_expected = counties["total_expected"].sum(min_count=1)
        share = observed / total if total and np.isfinite(total) and total > 0 else np.nan
        share_usual = expected / total_expected if total_expected and np.isfinite(total_expected) and total_expected > 0 else np.nan
        usual = int(by_county["units_usual"].sum())
        reported = int(by_county["units_reporting"].sum())
        complete = reported / usual if usual else np.nan
        ratio = observed / expected if expected and np.isfinite(expected) and expected > 0 else np.nan
        if hidden_today or hidden_usual:
            ratio = np.nan
        counties = shown_ratios(counties)
        high = int((counties["ratio"] >= 1.5).sum())
        low_completeness = np.isfinite(complete) and complete < ctx.config.quality.min_completeness
        withheld = mark(scope, lang, withheld=True)

        kpis = [
            _kpi(t("overview.visits_today", lang, syndrome=name),
                 written(observed, hidden_today, scope, lang)
                 + ("" if np.isnan(ratio) else _change(observed, expected)),
                 t("overview.vs_usual", lang, expected=withheld if hidden_usual else number(expected)),
                 tone=_tone(ratio), kpi_id="overview-kpi-visits"),
            _kpi(t("overview.percent", lang, syndrome=name), withheld if hidden_today else percent(share),
                 t("overview.percent_usual", lang, expected=withheld if hidden_usual else percent(share_usual)),
                 kpi_id="overview-kpi-percent"),
            _kpi(t("overview.completeness", lang), percent(complete, 0),
                 t("overview.completeness_detail", lang, reporting=reported, usual=usual),
                 tone="tone-yellow" if low_completeness else "", kpi_id="overview-kpi-completeness"),
            _kpi(t("overview.high", lang), f"{high}", t("overview.high_detail", lang, n=int(counties["ratio"].notna().sum())),
                 tone="tone-yellow" if high else "", kpi_id="overview-kpi-high"),
        ]
        label = date_label(day, lang, week=True)
        if data.provisional_day(cur, scope, day, today(ctx.config), ctx.config.detection.delay):
            label = [label, " · ", html.Span(data_state_label("provisional", lang), className="tone-yellow",
                                             id="overview-provisional")]

        return (label, kpis, _map(ctx, scope, counties, lang), _ranking(ctx, counties, syndrome, lang),
                t("overview.recent", lang, syndrome=name), _recent(scope, daily, day, lang))

    @ctx.callback(Output("overview-situation", "children"), Input("overview-day", "date"),
                  empty=lambda lang: html.P(t("no_data", lang), className="muted"))
    def situation(scope, day):
        day = day or data.latest_day(ctx.cursor(), scope)
        if not day:
            return html.P(t("no_data", scope.user.language), className="muted")
        return situation_section(ctx, scope, situation_regions(ctx, scope), day, ctx.config.syndromes,
                                 scope.user.language, "overview")

    @ctx.callback(
        Output("overview-go", "href"),
        Input("overview-map", "clickData"), State("overview-syndrome", "value"),
        prevent_initial_call=True, empty=None,
    )
    def open_county(scope, click, syndrome):
        from dash.exceptions import PreventUpdate

        try:
            code = click["points"][0]["location"]
        except (TypeError, KeyError, IndexError):
            raise PreventUpdate from None
        code = scope.region(code)  # a county outside the scope opens nothing
        return ctx.url("/trends", region=code, syndrome=syndrome)


def _map(ctx, scope, counties: pd.DataFrame, lang) -> dict:
    shown = set(ctx.regions.county_shape_codes(scope.root))
    if not shown:
        return empty_figure(lang)
    geojson = county_shapes_url(ctx, scope)
    counties = counties[counties["region"].isin(shown)].copy()
    counties["name"] = [ctx.regions.name(c, lang) for c in counties["region"]]
    withheld = mark(scope, lang, withheld=True)
    ratio_hidden = counties["observed_hidden"] | counties["expected_hidden"]
    custom = np.column_stack([
        counties["name"], counties["region"],
        [written(v, h, scope, lang) for v, h in zip(counties["observed"], counties["observed_hidden"])],
        [written(v, h, scope, lang, digits=1, withheld=True) for v, h in zip(counties["expected"],
                                                                          counties["expected_hidden"])],
        [withheld if h else ("–" if not np.isfinite(v) else f"{v:.2f}")
         for v, h in zip(counties["ratio"], ratio_hidden)],
        [percent(v, 0) for v in counties["completeness"]],
    ])
    hover = (f"<b>%{{customdata[0]}}</b> (%{{customdata[1]}})<br>{t('word.observed', lang)}: %{{customdata[2]}}"
             f"<br>{t('word.expected', lang)}: %{{customdata[3]}}<br>{t('word.ratio', lang)}: %{{customdata[4]}}"
             f"<br>{t('word.completeness', lang)}: %{{customdata[5]}}<extra></extra>")
    known = counties["ratio"].notna().to_numpy()
    # A plain dict, not go.Figure: validating thousands of county shapes costs more than drawing them.
    line = {"color": "#ffffff", "width": 1}
    data = []
    if (~known).any():
        data.append({"type": "choropleth", "geojson": geojson, "locations": counties["region"][~known].tolist(),
                     "z": [0] * int((~known).sum()), "colorscale": [[0, "#d9d9d9"], [1, "#d9d9d9"]],
                     "showscale": False, "customdata": custom[~known].tolist(), "hovertemplate": hover,
                     "marker": {"line": line}, "name": t("no_data", lang)})
    data.append({"type": "choropleth", "geojson": geojson, "locations": counties["region"][known].tolist(),
                 "z": np.clip(counties["ratio"][known], 0, RATIO_MAX).round(3).tolist(), "zmin": 0, "zmax": RATIO_MAX,
                 "colorscale": RATIO_SCALE, "customdata": custom[known].tolist(), "hovertemplate": hover,
                 "marker": {"line": line},
                 "colorbar": {"title": {"text": t("word.ratio", lang)}, "thickness": 14, "len": 0.8,
                              "tickvals": [0, 0.5, 1, 1.5, 2, 3], "ticktext": ["0", "0.5", "1", "1.5", "2", "≥3"]}})
    if len(counties) <= MAP_LABEL_LIMIT:
        regions = ctx.regions.regions().set_index("code")
        at = regions.reindex(counties["region"])
        data.append({"type": "scattergeo", "lon": at["lon"].tolist(), "lat": at["lat"].tolist(),
                     "text": counties["name"].str.replace(r"( County| District|县|区)$", "", regex=True).tolist(),
                     "mode": "text", "textfont": {"size": 11, "color": "#1f2933"}, "hoverinfo": "skip",
                     "showlegend": False})
    layout = {"geo": {"fitbounds": "locations", "visible": False, "projection": {"type": "mercator"},
                      "bgcolor": "rgba(0,0,0,0)"},
              "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "paper_bgcolor": "#ffffff", "hoverlabel": {"align": "left"},
              "uirevision": scope.root or "all", "height": 460, "dragmode": False,
              "font": {"family": FONT, "size": 13, "color": INK}}
    return {"data": data, "layout": layout}


def _ranking(ctx, counties: pd.DataFrame, syndrome: str, lang):
    ranked = counties[counties["ratio"].notna()].sort_values("ratio", ascending=False).head(10)
    if ranked.empty:
        return html.P(t("no_data", lang), className="muted")
    rows = []
    for row in ranked.itertuples():
        tone = _tone(row.ratio)
        rows.append(html.Tr([
            html.Td(dcc.Link(ctx.regions.name(row.region, lang), href=ctx.url("/trends", region=row.region, syndrome=syndrome))),
            html.Td(number(row.observed), className="num"),
            html.Td(number(row.expected, digits=1), className="num"),
            html.Td(f"{row.ratio:.2f}", className=f"num ratio {tone}"),
        ]))
    head = html.Tr([html.Th(t("word.region", lang)), html.Th(t("word.observed", lang), className="num"),
                    html.Th(t("word.expected", lang), className="num"), html.Th(t("word.ratio", lang), className="num")])
    return html.Table(className="table", id="overview-ranking-table", children=[html.Thead(head), html.Tbody(rows)])


def _recent(scope, daily: pd.DataFrame, day, lang) -> go.Figure:
    if daily.empty:
        return empty_figure(lang)
    daily = daily.copy()
    daily["usual"] = data.with_weekday_baseline(daily)
    # a hidden day's count, and a usual over a hidden day, are not drawn (the hidden days marked on the axis)
    usual_hidden = lagged_hidden(daily.set_index("date")["hidden"], data.BASELINE_WEEKS).to_numpy()
    daily.loc[daily["hidden"].to_numpy(), "count"] = np.nan
    daily.loc[usual_hidden, "usual"] = np.nan
    shown = daily[daily["date"] > pd.Timestamp(day) - pd.Timedelta(days=56)]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=shown["date"], y=shown["usual"], name=t("overview.usual_line", lang),
                             line=dict(color=MUTED, dash="dash", width=1.5), hovertemplate="%{y:,.0f}"))
    fig.add_trace(go.Scatter(x=shown["date"], y=shown["count"], name=t("word.observed", lang), mode="lines+markers",
                             line=dict(color=ACCENT, width=2), marker=dict(size=5), hovertemplate="%{y:,.0f}"))
    if shown["hidden"].any():
        fig.add_trace(hidden_points(shown.loc[shown["hidden"], "date"], scope, lang, withheld=False, colour=ACCENT))
    fig.add_vline(x=pd.Timestamp(day), line_color=severity_colour("yellow"), line_width=2, opacity=0.7)
    fig.update_layout(**base_layout(height=280))
    fig.update_xaxes(**(date_axis(lang) or {"hoverformat": "%a %d %b %Y"}))
    return fig
