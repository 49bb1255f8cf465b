"""Colours and figure defaults shared by the pages.

Severity colours and words are the vocabulary's (ESSENCE: red alert, yellow warning, blue none),
the same as in the emails; every coloured mark also carries its word, so colour is never the
only cue.
"""

from __future__ import annotations

import plotly.graph_objects as go

from surveillance.vocabulary import SEVERITIES, severity_colour, severity_ink, severity_label

from .i18n import t

INK = "#1f2933"
MUTED = "#6b7785"
ACCENT = "#1f4e79"
GRID = "#e4e8ec"
SERIES = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f"]

# Observed / expected: below usual in blue, usual in pale grey, then ESSENCE yellow to red (2x and above).
RATIO_MAX = 3.0
RATIO_SCALE = [
    [0.0, "#2c7bb6"],
    [0.5 / RATIO_MAX, "#abd9e9"],
    [1.0 / RATIO_MAX, "#f2f2f2"],
    [1.5 / RATIO_MAX, "#f5c400"],
    [2.0 / RATIO_MAX, "#e8590c"],
    [1.0, "#b2182b"],
]

QUALITY_COLOURS = {"missing": "#d7191c", "late": "#f5c400", "revised": "#9ecae1", "on_time": "#2c7fb8"}

FONT = 'system-ui, "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif'


def base_layout(**extra) -> dict:
    layout = dict(
        font=dict(family=FONT, size=13, color=INK),
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        margin=dict(l=56, r=16, t=36, b=40),
        hovermode="x unified",
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, bgcolor="rgba(255,255,255,0)"),
        xaxis=dict(gridcolor=GRID, linecolor=GRID, zeroline=False),
        yaxis=dict(gridcolor=GRID, linecolor=GRID, zeroline=False, rangemode="tozero"),
    )
    layout.update(extra)
    return layout


def empty_figure(lang: str | None, message: str | None = None) -> go.Figure:
    """A blank figure that says why it is blank (no data, or nothing the user may see)."""
    fig = go.Figure()
    fig.update_layout(**base_layout(hovermode=False, height=240))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(text=message or t("no_data", lang), showarrow=False, x=0.5, y=0.5, xref="paper",
                       yref="paper", font=dict(size=16, color=MUTED))
    return fig


GRAPH_CONFIG = {"displaylogo": False,
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}
PLOTLY_LOCALES = {"zh": "zh-CN"}  # assets/plotly-locale-zh-cn.js: weekdays, months and the mode bar's words


def graph_config(lang: str | None, **extra) -> dict:
    """A chart's config in ``lang``: plotly's locale (its words, weekday and month names) for Chinese."""
    locale = {"locale": PLOTLY_LOCALES[lang]} if lang in PLOTLY_LOCALES else {}
    return {**GRAPH_CONFIG, **locale, **extra}


DAY_MS = 86_400_000


def date_axis(lang: str | None, *, times: bool = False) -> dict:
    """A date axis's tick and hover formats: ``11月20日`` / plotly's own English; with ``times`` (an axis of
    moments) ``15:42`` under its day when the ticks are less than a day apart."""
    if lang != "zh":
        return {}
    if times:
        return {"tickformatstops": [{"dtickrange": [None, DAY_MS], "value": "%H:%M\n%-m月%-d日"},
                                    {"dtickrange": [DAY_MS, None], "value": "%-m月%-d日"}],
                "hoverformat": "%Y年%-m月%-d日 %H:%M"}
    return {"tickformat": "%-m月%-d日", "hoverformat": "%Y年%-m月%-d日 %a"}


def hover_day(lang: str | None) -> str:
    """A day in a hover text: ``2026年11月20日 周五`` / ``Fri 20 Nov 2026``."""
    return "%{x|%Y年%-m月%-d日 %a}" if lang == "zh" else "%{x|%a %d %b %Y}"


def tint(colour: str, opacity: float) -> str:
    """``#rrggbb`` as a translucent ``rgba(...)`` (a band's fill in a severity's colour)."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{opacity})"


def severity_badge(code: str, lang: str | None, *, badge_id: str | None = None):
    """The severity as a coloured badge with its word (never the colour alone)."""
    from dash import html

    code = code if code in SEVERITIES else "none"
    extra = {"id": badge_id} if badge_id else {}
    return html.Span(severity_label(code, lang), className=f"severity severity-{code}", **extra,
                     style={"background": severity_colour(code), "color": severity_ink(code)})


def severity_rules(column: str, lang: str | None) -> list[dict]:
    """DataTable styles colouring ``column`` (which holds the severity's word) in ESSENCE colours."""
    return [{"if": {"filter_query": f'{{{column}}} = "{severity_label(code, lang)}"', "column_id": column},
             "backgroundColor": severity_colour(code), "color": severity_ink(code), "fontWeight": "600"}
            for code in ("red", "yellow")]
