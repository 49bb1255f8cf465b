"""Clusters: the space-time cluster episodes (``spacetime_permutation`` / ``spacetime_poisson``) of
the user's regions over the last days, on a map (each cluster's regions in its severity colour, its
centre marked) and in a list with their days, observed and expected cases, relative risk and
recurrence interval (1 / p days for a daily scan), each linking to its alert page. For a user without exact
counts a cluster whose cases hold a hidden count (or are fewer than ``privacy.min_cell``) shows ``*`` for its
cases, relative risk and recurrence interval."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from dash import Input, Output, dcc, html

from surveillance.vocabulary import severity_colour, severity_label, state_label, syndrome_label

from surveillance.privacy import judgements_hidden

from .. import data
from ..disclosure import legend, mark
from ..geo import county_shapes_url
from ..i18n import date_label, listing, number, t
from ..theme import FONT, INK, empty_figure, graph_config, severity_badge

NAME = "clusters"
PATH = "/clusters"
TITLE = "nav.clusters"
ROLE = "viewer"
NAV = True

DAYS = ["7", "30", "90"]


def layout(ctx, scope, lang, query, multi):
    days = query.get("days") if query.get("days") in DAYS else "30"
    return html.Div(className="page page-clusters", children=[
        html.Div(className="page-head", children=[
            html.H1(t("clusters.title", lang)),
            html.Div(className="controls", children=[
                html.Fieldset([html.Legend(t("clusters.days", lang)), dcc.RadioItems(
                    id="clusters-days", value=days, inline=True, options=[{"label": d, "value": d} for d in DAYS])]),
            ]),
        ]),
        html.P(id="clusters-summary", className="day-label"),
        html.Section(className="card", children=[
            html.H2(t("clusters.map", lang)),
            dcc.Graph(id="clusters-map", className="map-graph",
                      config={**graph_config(lang), "scrollZoom": False, "topojsonURL": ctx.url("/assets/topojson/")}),
        ]),
        html.Section(className="card", children=[html.H2(t("clusters.list", lang)), html.Div(id="clusters-list"),
                                                 legend(scope, lang, "clusters-suppressed")]),
    ])


def clusters(ctx, scope, days: int) -> pd.DataFrame:
    """The cluster episodes whose last signal falls in the last ``days`` days, with their newest signal."""
    cur = ctx.cursor()
    last = data.latest_day(cur, scope)
    if last is None:
        return pd.DataFrame()
    frame = data.alerts(cur, scope, kind="cluster", since=last - timedelta(days=days - 1))
    if frame.empty:
        return frame
    episodes = frame.to_dict("records")
    every = data.episodes_signals(cur, episodes)
    signals_of = dict(tuple(every.groupby("episode_id")))
    rows = []
    for ep in episodes:
        signals = signals_of.get(ep["episode_id"], every.iloc[:0])
        coloured = signals[signals["severity"].isin(["yellow", "red"])] if len(signals) else signals
        newest = (coloured if len(coloured) else signals).sort_values("date").iloc[-1] if len(signals) else None
        period = int(newest["period_days"]) if newest is not None and newest["period_days"] == newest["period_days"] else 1
        end = newest["date"] if newest is not None else ep["last_signal_on"]
        p = float(coloured["pvalue"].min()) if len(coloured) else float("nan")
        hidden = False
        if not scope.exact and newest is not None:  # its cases over its regions and window, as a viewer sees them
            judged = {**newest.to_dict(), "region": ep["region"], "syndrome": ep["syndrome"],
                      "age_group": ep["age_group"]}
            hidden = bool(judgements_hidden(cur, scope.cells, [judged], kind="cluster", regions=ep["regions"])[0])
        rows.append({**ep, "window_start": end - pd.Timedelta(days=period - 1), "window_end": end, "days": period,
                     "hidden": hidden,
                     "observed": newest["observed"] if newest is not None else float("nan"),
                     "expected": newest["expected"] if newest is not None else float("nan"),
                     "rr": newest["score"] if newest is not None else float("nan"), "pvalue": p,
                     "recurrence": 1 / p if p and p == p else float("nan"),
                     "signal_days": sorted(pd.Timestamp(d) for d in coloured["date"]) if len(coloured) else []})
    return pd.DataFrame(rows)


def _empty(lang, days=30):
    return (t("clusters.none", lang, n=days), empty_figure(lang, t("clusters.none", lang, n=days)),
            html.P(t("clusters.none", lang, n=days), className="muted", id="clusters-none"))


def register(ctx):
    @ctx.callback(
        Output("clusters-summary", "children"), Output("clusters-map", "figure"), Output("clusters-list", "children"),
        Input("clusters-days", "value"),
        empty=lambda lang: _empty(lang),
    )
    def update(scope, days):
        lang = scope.user.language
        days = int(days) if days in DAYS else 30
        table = clusters(ctx, scope, days)
        if table.empty:
            return _empty(lang, days)
        summary = t("clusters.count", lang, n=len(table), days=days)
        return summary, _map(ctx, scope, table, lang), _list(ctx, scope, table, lang)


def _recurrence(value, lang) -> str:
    if value != value:
        return "–"
    return t("clusters.recurrence", lang, n=f"{value:,.0f}")


def _list(ctx, scope, table: pd.DataFrame, lang):
    withheld = mark(scope, lang, withheld=True)
    head = html.Tr([html.Th(t(k, lang)) for k in ("col.alert", "col.severity", "col.syndrome", "col.centre",
                                                  "col.regions", "col.days", "col.observed", "col.expected",
                                                  "col.rr", "col.recurrence", "col.state")])
    body = []
    for r in table.itertuples():
        window = f"{date_label(r.window_start, lang, weekday=False)} – {date_label(r.window_end, lang, weekday=False)}"
        signal_days = t("clusters.signal_days", lang, days=" ".join(d.strftime("%m-%d") for d in r.signal_days))
        body.append(html.Tr(className="cluster-row", children=[
            html.Td(dcc.Link(f"#{r.episode_id}", href=ctx.url(f"/alerts/{r.episode_id}"))),
            html.Td(severity_badge(r.severity, lang)),
            html.Td(syndrome_label(r.syndrome, lang)),
            html.Td(ctx.regions.name(r.region, lang)),
            html.Td(listing([ctx.regions.name(c, lang) for c in r.regions], lang)),
            html.Td([t("clusters.window1" if r.days == 1 else "clusters.window", lang, n=r.days, window=window), html.Br(),
                     html.Small(signal_days, className="muted")]),
            html.Td(withheld if r.hidden else number(r.observed), className="num"),
            html.Td(number(r.expected, digits=1), className="num"),
            html.Td(withheld if r.hidden else "–" if r.rr != r.rr else f"{r.rr:.2f}", className="num"),
            html.Td(withheld if r.hidden else _recurrence(r.recurrence, lang)),
            html.Td(state_label(r.state, lang)),
        ]))
    return html.Div(className="table-scroll", children=html.Table(
        className="table", id="clusters-table", children=[html.Thead(head), html.Tbody(body)]))


def _map(ctx, scope, table: pd.DataFrame, lang) -> dict:
    shown = ctx.regions.county_shape_codes(scope.root)
    if not shown:
        return empty_figure(lang)
    geojson = county_shapes_url(ctx, scope)
    names = [ctx.regions.name(c, lang) for c in shown]
    traces = [{"type": "choropleth", "geojson": geojson, "locations": shown, "z": [0] * len(shown),
               "colorscale": [[0, "#eef1f4"], [1, "#eef1f4"]], "showscale": False, "text": names,
               "hovertemplate": "%{text}<extra></extra>", "marker": {"line": {"color": "#ffffff", "width": 1}},
               "showlegend": False}]
    regions = ctx.regions.regions().set_index("code")
    # Older clusters first, so the newest is drawn on top.
    on_map = set(shown)
    for r in table.iloc[::-1].itertuples():
        inside = [c for c in r.regions if c in on_map]
        if not inside:
            continue
        colour = severity_colour(r.severity)
        label = f"#{r.episode_id} {syndrome_label(r.syndrome, lang)} ({severity_label(r.severity, lang)})"
        traces.append({"type": "choropleth", "geojson": geojson, "locations": inside, "z": [1] * len(inside),
                       "colorscale": [[0, colour], [1, colour]], "showscale": False, "name": label,
                       "text": [f"{ctx.regions.name(c, lang)}<br>{label}" for c in inside],
                       "hovertemplate": "%{text}<extra></extra>", "marker": {"opacity": 0.75,
                                                                             "line": {"color": INK, "width": 1.5}},
                       "showlegend": True})
    centres = table[table["region"].isin(regions.index)]
    at = regions.reindex(centres["region"])
    traces.append({"type": "scattergeo", "lon": at["lon"].tolist(), "lat": at["lat"].tolist(), "mode": "markers+text",
                   "text": [f"#{i}" for i in centres["episode_id"]], "textposition": "top center",
                   "textfont": {"size": 12, "color": INK},
                   "marker": {"size": 14, "symbol": "star", "color": INK, "line": {"color": "#ffffff", "width": 1}},
                   "name": t("clusters.centre", lang),
                   "hovertemplate": "%{text} " + t("clusters.centre", lang) + "<extra></extra>"})
    layout = {"geo": {"fitbounds": "locations", "visible": False, "projection": {"type": "mercator"},
                      "bgcolor": "rgba(0,0,0,0)"},
              "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "paper_bgcolor": "#ffffff", "height": 460,
              "dragmode": False, "legend": {"orientation": "h", "y": -0.02},
              "font": {"family": FONT, "size": 13, "color": INK}}
    return {"data": traces, "layout": layout}
