"""Trends: one region's series, with drill-down province -> city -> county -> facility.

Syndromes and age groups, visits or percent of all visits, daily or ISO week, a time span,
a trailing moving average, and a year-over-year overlay of the seasons. The region and the
choices live in the address (``/app/trends?region=320102&syndrome=fever&freq=weekly``), so a
view can be bookmarked or sent. Under the series, the region's epidemic situation (``situation_parts``):
the trend label of each syndrome in it and its children, the influenza-like illness and hand, foot and
mouth disease seasons, and the first syndrome's forecast 1-4 weeks ahead where the model beat the naive
baseline. For a user without exact counts a hidden day is a gap marked on the axis
(``<5``), and a week, a percentage or a moving average over one is too (``*``).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from surveillance.vocabulary import age_label, level_label, measure_label, syndrome_label

from .. import data
from ..access import OutOfScope, drill_level
from ..disclosure import hidden_points, legend, mark
from ..i18n import date_label, listing, t, week_span
from ..situation import situation_regions
from ..theme import ACCENT, SERIES, base_layout, date_axis, empty_figure, graph_config
from .situation_parts import forecast_figure, situation_section

NAME = "trends"
PATH = "/trends"
TITLE = "nav.trends"
ROLE = "viewer"
NAV = True

RANGES = ["90", "365", "1095", "all"]
SMOOTHING = ["0", "7", "28"]
MAX_CHILD_BARS = 40


def _choice(query, key, valid, default):
    value = query.get(key)
    return value if value in valid else default


def _state(ctx, query, multi) -> dict:
    syndromes = [s for s in multi.get("syndrome", []) if s in ctx.config.syndromes] or [ctx.config.syndromes[0]]
    ages = [a for a in multi.get("age", []) if a in _ages(ctx)]
    return {
        "syndromes": syndromes, "ages": ages,
        "measure": _choice(query, "measure", ("count", "percent"), "count"),
        "freq": _choice(query, "freq", ("daily", "weekly"), "daily"),
        "range": _choice(query, "range", RANGES, "365"),
        "smooth": _choice(query, "smooth", SMOOTHING, "0"),
        "overlay": query.get("overlay") == "1",
    }


def _ages(ctx) -> list[str]:
    return [a for a in ctx.config.age_groups if a != "all"]


def layout(ctx, scope, lang, query, multi):
    try:
        region = scope.region(query.get("region"))
    except OutOfScope:
        region = scope.root
    state = _state(ctx, query, multi)
    index = ctx.regions
    crumbs = []
    if scope.root is None:
        crumbs.append(dcc.Link(t("scope.all", lang), href=ctx.url("/trends", **_query(state)))
                      if region is not None else html.Span(t("scope.all", lang)))
    for code in scope.visible_ancestors(region) if region else []:
        crumbs.append(dcc.Link(index.name(code, lang), href=ctx.url("/trends", region=code, **_query(state))))
    if region is not None:
        crumbs.append(html.Span(index.name(region, lang)))
    breadcrumb = []
    for i, crumb in enumerate(crumbs):
        if i:
            breadcrumb.append(html.Span("›", className="sep"))
        breadcrumb.append(crumb)
    children = [c for c in index.children(region) if scope.allows(c)]
    level = index.level(region) if region else None
    title = index.label(region, lang) if region else t("scope.all", lang)
    subtitle = level_label(level, lang) if level else ""
    return html.Div(className="page page-trends", children=[
        html.Nav(breadcrumb, className="breadcrumb", id="trends-breadcrumb"),
        html.Div(className="page-head", children=[
            html.H1([title, html.Small(subtitle, className="level-tag")] if subtitle else title, id="trends-title"),
            html.Label(className="drill", children=[t("trends.down", lang), dcc.Dropdown(
                id="trends-child", placeholder="…", clearable=True,
                options=[{"label": index.label(c, lang), "value": c} for c in children], disabled=not children)]),
        ]),
        dcc.Store(id="trends-region", data=region),
        html.Div(className="controls controls-wrap", children=[
            html.Label(className="wide", children=[t("trends.syndromes", lang), dcc.Dropdown(
                placeholder=t("select", lang), id="trends-syndromes", multi=True, value=state["syndromes"], clearable=False,
                options=[{"label": syndrome_label(s, lang), "value": s} for s in ctx.config.syndromes])]),
            html.Fieldset([html.Legend(t("trends.ages", lang)), dcc.Checklist(
                id="trends-ages", value=state["ages"], inline=True,
                options=[{"label": age_label(a, lang), "value": a} for a in _ages(ctx)])]),
            html.Fieldset([html.Legend(t("trends.measure", lang)), dcc.RadioItems(
                id="trends-measure", value=state["measure"], inline=True,
                options=[{"label": measure_label(m, lang), "value": m} for m in ("count", "percent")])]),
            html.Fieldset([html.Legend(t("trends.freq", lang)), dcc.RadioItems(
                id="trends-freq", value=state["freq"], inline=True,
                options=[{"label": t("trends.daily", lang), "value": "daily"},
                         {"label": t("trends.weekly", lang), "value": "weekly"}])]),
            html.Fieldset([html.Legend(t("trends.range", lang)), dcc.RadioItems(
                id="trends-range", value=state["range"], inline=True,
                options=[{"label": t("trends.range." + r, lang), "value": r} for r in RANGES])]),
            html.Fieldset([html.Legend(t("trends.smooth", lang)), dcc.RadioItems(
                id="trends-smooth", value=state["smooth"], inline=True,
                options=[{"label": t("trends.smooth." + s, lang), "value": s} for s in SMOOTHING])]),
            html.Fieldset([html.Legend(t("trends.overlay", lang)), dcc.Checklist(
                id="trends-overlay", value=["1"] if state["overlay"] else [], inline=True,
                options=[{"label": t("trends.overlay.on", lang), "value": "1"}])]),
        ]),
        html.Section(className="card", children=[
            dcc.Graph(id="trends-series", config=graph_config(lang), className="series-graph"),
            legend(scope, lang, "trends-suppressed"),
        ]),
        html.Section(className="card", hidden=not children, children=[
            html.H2(id="trends-children-title"),
            dcc.Graph(id="trends-children", config=graph_config(lang)),
        ]),
        html.Section(className="card", children=[
            html.H2(id="trends-forecast-title"),
            dcc.Graph(id="trends-forecast", config=graph_config(lang)),
            html.P(id="trends-forecast-note", className="hint"),
        ]),
        html.Section(className="card", id="trends-situation"),
        dcc.Location(id="trends-go", refresh="callback-nav"),
    ])


def _query(state: dict) -> dict:
    return {"syndrome": state["syndromes"], "age": state["ages"],
            "measure": None if state["measure"] == "count" else state["measure"],
            "freq": None if state["freq"] == "daily" else state["freq"],
            "range": None if state["range"] == "365" else state["range"],
            "smooth": None if state["smooth"] == "0" else state["smooth"],
            "overlay": "1" if state["overlay"] else None}


def _weekly(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum days into ISO weeks (dated by their Monday), with the number of days that had data."""
    frame = frame.assign(date=frame["date"] - pd.to_timedelta(frame["date"].dt.dayofweek, unit="D"))
    return frame.groupby(["date", "syndrome", "age_group"], as_index=False).agg(
        count=("count", "sum"), total=("total", lambda s: s.sum(min_count=1)), days=("count", "size"),
        hidden=("hidden", "any"))


def _values(frame: pd.DataFrame, measure: str) -> pd.Series:
    """The values drawn: counts or percentages; NaN where the count is hidden (or a week holds a hidden day)."""
    if measure == "percent":
        with np.errstate(invalid="ignore", divide="ignore"):
            values = 100 * frame["count"] / frame["total"].where(frame["total"] > 0)
    else:
        values = frame["count"]
    return values.where(~frame["hidden"].astype(bool))


def _series_name(syndrome, age, lang, n_syndromes, n_ages) -> str:
    parts = []
    if n_syndromes > 1 or n_ages <= 1:
        parts.append(syndrome_label(syndrome, lang))
    if age != "all":
        parts.append(age_label(age, lang))
    return " · ".join(parts)


def register(ctx):
    @ctx.callback(
        Output("trends-series", "figure"),
        Input("trends-region", "data"), Input("trends-syndromes", "value"), Input("trends-ages", "value"),
        Input("trends-measure", "value"), Input("trends-freq", "value"), Input("trends-range", "value"),
        Input("trends-smooth", "value"), Input("trends-overlay", "value"),
        empty=lambda lang: empty_figure(lang),
    )
    def series(scope, region, syndromes, ages, measure, freq, span, smooth, overlay):
        lang = scope.user.language
        syndromes = [s for s in (syndromes or []) if s in ctx.config.syndromes][:6]
        ages = [a for a in (ages or []) if a in _ages(ctx)]
        if not syndromes:
            return empty_figure(lang)
        cur = ctx.cursor()
        first, last = data.all_dates(cur, scope)
        if last is None:
            return empty_figure(lang)
        yoy = bool(overlay)
        start = None if (yoy or span == "all" or span not in RANGES) else last - timedelta(days=int(span) - 1)
        frame = data.region_series(cur, scope, region, syndromes=syndromes, age_groups=ages or None,
                                   start=start, end=last)
        if frame.empty:
            return empty_figure(lang)
        weekly = freq == "weekly"
        if weekly:
            frame = _weekly(frame)
        else:
            frame = frame.assign(days=1)
        frame["value"] = _values(frame, measure)
        window = {"0": 0, "7": 2 if weekly else 7, "28": 4 if weekly else 28}.get(smooth, 0)
        measure_word = measure_label(measure, lang)
        freq_word = t("word.week" if weekly else "word.date", lang) if lang == "zh" else ("week" if weekly else "day")
        name = ctx.regions.label(region, lang) if region else t("scope.all", lang)
        what = listing([syndrome_label(s, lang) for s in syndromes], lang)
        title = t("trends.series_title", lang, what=what, measure=measure_word, freq=freq_word, region=name)
        if yoy:
            return _overlay(frame, syndromes[0], (ages or ["all"])[0], weekly, window, title, measure, lang)
        fig = _lines(frame, syndromes, ages, weekly, window, title, measure, lang)
        if frame["hidden"].any():  # a count is a cell ("<5"); a week or a percentage is computed from one ("*")
            fig.add_trace(hidden_points(sorted(frame.loc[frame["hidden"], "date"].unique()), scope, lang,
                                        withheld=weekly or measure == "percent", colour=SERIES[0]))
        return fig

    @ctx.callback(
        Output("trends-children-title", "children"), Output("trends-children", "figure"),
        Input("trends-region", "data"), Input("trends-syndromes", "value"),
        empty=lambda lang: ("", empty_figure(lang)),
    )
    def children(scope, region, syndromes):
        lang = scope.user.language
        syndromes = [s for s in (syndromes or []) if s in ctx.config.syndromes]
        if not syndromes:
            return "", empty_figure(lang)
        cur = ctx.cursor()
        _, last = data.all_dates(cur, scope)
        code = scope.region(region)
        level = drill_level(ctx.regions.level(code) if code else None)
        if last is None or level is None:
            return "", empty_figure(lang)
        table = data.children_totals(cur, scope, code, syndromes[0], last).head(MAX_CHILD_BARS)
        title = t("trends.children", lang, level=level_label(level, lang, plural=True),
                  region=ctx.regions.name(code, lang) if code else t("scope.all", lang))
        if table.empty:
            return title, empty_figure(lang)
        table = table.iloc[::-1]
        labels = [ctx.regions.label(c, lang) for c in table["region"]]
        hidden = table["hidden"].astype(bool).to_numpy()  # a week of a child with a hidden day: no bar, its mark
        withheld = mark(scope, lang, withheld=True)
        fig = go.Figure(go.Bar(
            x=np.where(hidden, 0, table["count"]), y=labels, orientation="h", customdata=table["region"],
            marker_color=ACCENT, text=[withheld if h else "" for h in hidden], textposition="outside",
            hovertext=[withheld if h else f"{v:,.0f}" for v, h in zip(table["count"], hidden)],
            hovertemplate="%{y}: %{hovertext}<extra></extra>", name=syndrome_label(syndromes[0], lang)))
        fig.update_layout(**base_layout(height=max(160, 26 * len(table) + 60), hovermode="closest",
                                        margin=dict(l=8, r=16, t=8, b=32)))
        fig.update_yaxes(automargin=True)
        subtitle = f"{syndrome_label(syndromes[0], lang)}, {date_label(last - timedelta(days=6), lang, weekday=False)} – {date_label(last, lang, weekday=False)}"
        return f"{title} · {subtitle}", fig

    @ctx.callback(
        Output("trends-situation", "children"), Output("trends-forecast-title", "children"),
        Output("trends-forecast", "figure"), Output("trends-forecast-note", "children"),
        Input("trends-region", "data"), Input("trends-syndromes", "value"),
        empty=lambda lang: ([], "", empty_figure(lang), ""),
    )
    def situation(scope, region, syndromes):
        lang = scope.user.language
        syndromes = [s for s in (syndromes or []) if s in ctx.config.syndromes]
        _, last = data.all_dates(ctx.cursor(), scope)
        code = scope.region(region)
        regions = situation_regions(ctx, scope, code)
        if not syndromes or last is None or not regions:
            return [], "", empty_figure(lang), ""
        place = code or regions[0]
        figure, note = forecast_figure(ctx, scope, place, syndromes[0], last, lang)
        title = t("situation.forecast", lang, syndrome=syndrome_label(syndromes[0], lang)) + \
            ("，" if lang == "zh" else ", ") + ctx.regions.name(place, lang)
        return situation_section(ctx, scope, regions, last, syndromes, lang, "trends"), title, figure, note

    @ctx.callback(
        Output("trends-go", "href"),
        Input("trends-child", "value"), Input("trends-children", "clickData"),
        State("trends-syndromes", "value"), State("trends-ages", "value"), State("trends-measure", "value"),
        State("trends-freq", "value"), State("trends-range", "value"), State("trends-smooth", "value"),
        State("trends-overlay", "value"),
        prevent_initial_call=True, empty=None,
    )
    def drill(scope, child, click, syndromes, ages, measure, freq, span, smooth, overlay):
        from dash import ctx as callback_context

        if callback_context.triggered_id == "trends-children":
            try:
                child = click["points"][0]["customdata"]
            except (TypeError, KeyError, IndexError):
                raise PreventUpdate from None
        if not child:
            raise PreventUpdate
        code = scope.region(child)
        state = {"syndromes": syndromes or [], "ages": ages or [], "measure": measure, "freq": freq, "range": span,
                 "smooth": smooth, "overlay": bool(overlay)}
        return ctx.url("/trends", region=code, **_query(state))


def _hover_dates(dates: pd.Series, weekly: bool, lang) -> list[str]:
    if weekly:
        return [week_span(d, lang) for d in dates]
    return [date_label(d, lang) for d in dates]


def _lines(frame, syndromes, ages, weekly, window, title, measure, lang) -> go.Figure:
    fig = go.Figure()
    keys = frame[["syndrome", "age_group"]].drop_duplicates().sort_values(["syndrome", "age_group"])
    order = {s: i for i, s in enumerate(syndromes)}
    keys = keys.sort_values("syndrome", key=lambda s: s.map(order))
    n_ages = max(1, len(ages))
    digits = ".2f" if measure == "percent" else ",.0f"
    for i, (syndrome, age) in enumerate(keys.itertuples(index=False)):
        part = frame[(frame["syndrome"] == syndrome) & (frame["age_group"] == age)].sort_values("date")
        if weekly:  # a week without all 7 days is partial: shown, marked, not joined to the line
            part = part.assign(value=np.where(part["days"] < 7, np.nan, part["value"]))
        grid = pd.date_range(part["date"].min(), part["date"].max(), freq="7D" if weekly else "D")
        part = part.set_index("date").reindex(grid).rename_axis("date").reset_index()
        colour = SERIES[i % len(SERIES)]
        label = _series_name(syndrome, age, lang, len(syndromes), n_ages)
        hover = _hover_dates(part["date"], weekly, lang)
        fig.add_trace(go.Scatter(
            x=part["date"], y=part["value"], name=label, customdata=hover, mode="lines",
            line=dict(color=colour, width=1.2 if window else 2), opacity=0.45 if window else 1,
            hovertemplate=f"%{{customdata}}: %{{y:{digits}}}<extra>{label}</extra>"))
        if window:
            smooth = part["value"].rolling(window, min_periods=window).mean()
            fig.add_trace(go.Scatter(
                x=part["date"], y=smooth, name=f"{label} ({t('trends.smooth', lang)})", customdata=hover,
                mode="lines", line=dict(color=colour, width=3),
                hovertemplate=f"%{{customdata}}: %{{y:{digits}}}<extra>{label}</extra>"))
    fig.update_layout(**base_layout(height=440, title=dict(text=title, x=0, font=dict(size=15)),
                                    hovermode="closest", margin=dict(l=56, r=16, t=70, b=40)))
    fig.update_xaxes(**date_axis(lang))
    fig.update_yaxes(title_text=measure_label(measure, lang))
    return fig


def _overlay(frame, syndrome, age, weekly, window, title, measure, lang) -> go.Figure:
    part = frame[(frame["syndrome"] == syndrome) & (frame["age_group"] == age)].sort_values("date")
    if part.empty:
        return empty_figure(lang)
    if window:
        grid = pd.date_range(part["date"].min(), part["date"].max(), freq="7D" if weekly else "D")
        part = part.set_index("date").reindex(grid).rename_axis("date").reset_index()
        part["value"] = part["value"].rolling(window, min_periods=window).mean()
    iso = part["date"].dt.isocalendar()
    part = part.assign(year=iso["year"].astype(int) if weekly else part["date"].dt.year,
                       x=iso["week"].astype(int) if weekly else part["date"].dt.dayofyear)
    years = sorted(part["year"].unique())
    fig = go.Figure()
    digits = ".2f" if measure == "percent" else ",.0f"
    for i, year in enumerate(years):
        one = part[part["year"] == year]
        newest = year == years[-1]
        hover = _hover_dates(one["date"], weekly, lang)
        fig.add_trace(go.Scatter(
            x=one["x"], y=one["value"], name=str(year), customdata=hover, mode="lines",
            line=dict(color=ACCENT if newest else SERIES[(i + 2) % len(SERIES)], width=3 if newest else 1.5),
            opacity=1 if newest else 0.7, hovertemplate=f"%{{customdata}}: %{{y:{digits}}}<extra>{year}</extra>"))
    fig.update_layout(**base_layout(height=440, hovermode="closest", margin=dict(l=56, r=16, t=70, b=48),
                                    title=dict(text=title, x=0, font=dict(size=15))))
    fig.update_xaxes(title_text=t("trends.season_axis" if weekly else "trends.season_axis_day", lang),
                     range=[1, 53] if weekly else [1, 366])
    fig.update_yaxes(title_text=measure_label(measure, lang))
    return fig
