"""Pieces of the epidemic situation shared by the Overview and Trends pages: trend labels per region and
syndrome, the season status of influenza-like illness and hand, foot and mouth disease, and the
forecast chart. The library computes (``surveillance.service.situation``, read through
:mod:`dashboards.situation`); these only present, each coloured mark with its word."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import html

from surveillance.service.situation import complete_week
from surveillance.vocabulary import (SEASON_LEVELS, SEASON_PHASES, TRENDS, label, syndrome_label, tone_colours)

from .. import situation as read
from ..disclosure import mark
from ..i18n import percent, t, week_label
from ..theme import ACCENT, MUTED, base_layout, date_axis, empty_figure, tint


def badge(table, code, lang):
    """A trend's or season level's word on its colour."""
    colour, ink = tone_colours(table, code)
    return html.Span(label(table, code, lang), className="badge situation-badge",
                     style={"backgroundColor": colour, "color": ink}, **{"data-code": str(code)})


def _week(value, lang) -> str:
    """An ISO week label of the service (``2026-W49``) in the user's language."""
    if not isinstance(value, str):
        return "–"
    year, week = value.split("-W")
    return week_label(pd.Timestamp.fromisocalendar(int(year), int(week), 1), lang)


def trend_grid(ctx, table: pd.DataFrame, regions: list[str], syndromes: list[str], lang, table_id: str):
    """Regions down, syndromes across, each cell the trend's coloured word (its p-value in the hover)."""
    if table.empty:
        return html.P(t("no_data", lang), className="muted", id=f"{table_id}-empty")
    cells = table.set_index(["region", "syndrome"])
    head = html.Tr([html.Th(t("col.region", lang))] + [html.Th(syndrome_label(s, lang)) for s in syndromes])
    rows = []
    for region in regions:
        tds = [html.Td(ctx.regions.label(region, lang))]
        for syndrome in syndromes:
            if (region, syndrome) not in cells.index:
                tds.append(html.Td("–", className="muted"))
                continue
            row = cells.loc[(region, syndrome)]
            hover = t("situation.trend_cell", lang, percent=percent(row["percent"] / 100, 2),
                      p="–" if pd.isna(row["pvalue"]) else f"{row['pvalue']:.3g}")
            tds.append(html.Td(badge(TRENDS, row["label"], lang), title=hover))
        rows.append(html.Tr(tds))
    return html.Div(className="table-scroll", children=html.Table(
        className="table situation-table", id=table_id, children=[html.Thead(head), html.Tbody(rows)]))


def _season_cell(row, scope, lang):
    if not isinstance(row["level"], str):
        return html.Td(html.Span(t("situation.no_level", lang), className="muted", title=row["reason"] or ""))
    started = (t("situation.started", lang, week=_week(row["started_week"], lang))
               if isinstance(row["started_week"], str) else t("situation.not_started", lang))
    value = mark(scope, lang, withheld=True) if pd.isna(row["percent"]) and not scope.exact \
        else percent(row["percent"] / 100, 2)
    phase = label(SEASON_PHASES, row["phase"], lang) if isinstance(row["phase"], str) else ""
    return html.Td([badge(SEASON_LEVELS, row["level"], lang), " ", html.Span(f"{started} · {value}", className="muted")],
                   title=phase)


def season_grid(ctx, scope, table: pd.DataFrame, regions: list[str], lang, table_id: str):
    """Regions down; for each season syndrome its level (coloured), the week it started and the percent."""
    syndromes = list(read.SEASON_SYNDROMES)
    cells = table.set_index(["region", "syndrome"])
    head = html.Tr([html.Th(t("col.region", lang))] + [html.Th(syndrome_label(s, lang)) for s in syndromes])
    rows = [html.Tr([html.Td(ctx.regions.label(region, lang))]
                    + [_season_cell(cells.loc[(region, s)], scope, lang) for s in syndromes])
            for region in regions if all((region, s) in cells.index for s in syndromes)]
    return html.Div(className="table-scroll", children=html.Table(
        className="table situation-table", id=table_id, children=[html.Thead(head), html.Tbody(rows)]))


def situation_section(ctx, scope, regions: list[str], day, syndromes: list[str], lang, prefix: str):
    """The trend and season tables of ``regions`` on ``day`` (the season at the last whole week)."""
    week = complete_week(day)
    trends = read.trend_table(ctx, scope, regions, day)
    seasons = read.season_table(ctx, scope, regions, week)
    return [
        html.H2(t("situation.trends", lang)),
        trend_grid(ctx, trends, regions, syndromes, lang, f"{prefix}-trend-table"),
        html.P(t("situation.trend_hint", lang), className="hint"),
        html.H2(t("situation.season", lang, week=week_label(pd.Timestamp(week.startdate()), lang))),
        season_grid(ctx, scope, seasons, regions, lang, f"{prefix}-season-table"),
        html.P(t("situation.season_hint", lang), className="hint"),
    ]


def forecast_figure(ctx, scope, region: str, syndrome: str, day, lang):
    """The region's last weeks and, where the model beat the naive baseline, its forecast 1-4 weeks ahead
    with the 50 % and 90 % intervals; otherwise the weeks alone and why there is no forecast."""
    week = complete_week(day)
    observed = read.weekly_visits(ctx, scope, region, syndrome, week)
    table = read.forecast_table(ctx, scope, region, syndrome, week)
    shown = table[table["shown"].astype(bool)] if len(table) else table
    if observed.empty:
        return empty_figure(lang), t("situation.forecast_none", lang, why=t("situation.why.no_data", lang))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=observed["week"], y=observed["count"], mode="lines+markers", name=t("word.observed", lang),
                             line=dict(color=ACCENT, width=2), hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f}<extra></extra>"))
    if len(shown):
        weeks = [pd.Timestamp.fromisocalendar(int(w[:4]), int(w[6:]), 1) for w in shown["week"]]
        for lower, upper, name, opacity in (("lower90", "upper90", "situation.band90", 0.15),
                                            ("lower50", "upper50", "situation.band50", 0.3)):
            fig.add_trace(go.Scatter(x=weeks + weeks[::-1], y=np.r_[shown[upper], shown[lower][::-1]],
                                     fill="toself", fillcolor=tint(ACCENT, opacity), line=dict(width=0),
                                     name=t(name, lang), hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=weeks, y=shown["median"], mode="lines+markers", name=t("situation.median", lang),
                                 line=dict(color=ACCENT, dash="dot", width=2),
                                 hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f}<extra></extra>"))
    fig.update_layout(**base_layout(height=320, hovermode="closest"))
    fig.update_xaxes(**date_axis(lang))
    fig.update_yaxes(title_text=t("word.visits", lang), rangemode="tozero", gridcolor=tint(MUTED, 0.2))
    return fig, _forecast_note(scope, table, shown, lang)


def _forecast_note(scope, table, shown, lang) -> str:
    if not scope.exact:
        why = "exact_only"
    elif table.empty:
        why = "no_data"
    elif (table["status"] != "ok").all():
        why = str(table["status"].iloc[0])  # insufficient_history or no_recent_value
    elif shown.empty:
        why = "not_better"
    elif len(shown) < len(table):
        hidden = ", ".join(str(h) for h in table.loc[~table["shown"].astype(bool), "horizon"])
        return t("situation.forecast_some", lang, weeks=hidden)
    else:
        return t("situation.forecast_hint", lang)
    return t("situation.forecast_none", lang, why=t(f"situation.why.{why}", lang))
