"""Small counts on the dashboard, the status page and in the API (:mod:`surveillance.privacy`): which of a
table's counts this user may not see, and how a figure not shown is written: ``<5`` for a count (under
``privacy.min_cell``, or hidden with one so that it cannot be worked out from a total), ``*`` for a figure
computed from a hidden count (a sum over days or regions, a mean, a ratio, a percentage, a p-value).

A user whose role reads exact counts (``privacy.exact_roles``) gets every flag False and nothing is read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
import pandas as pd
from dash import html

from surveillance.privacy import viewer_headlines
from surveillance.store.operations import data_version
from surveillance.vocabulary import ALL_AGES, suppressed_label, suppression_note, withheld_label

from .i18n import number

COLUMN = object()  # "read it from the frame's column"


def hidden_rows(con, scope, frame: pd.DataFrame, *, region=COLUMN, syndrome: str | None = None,
                age_group: str | None = None) -> np.ndarray:
    """Whether each row's count is a hidden cell of its day: the row's ``date`` and ``region`` (or
    ``region``: a code, None for everything), ``syndrome`` column (or ``syndrome``) and ``age_group`` column
    (or ``age_group``; neither: all ages)."""
    n = len(frame)
    out = np.zeros(n, dtype=bool)
    if scope.exact or not n:
        return out
    regions = frame["region"].tolist() if region is COLUMN else [region] * n
    if age_group is not None or "age_group" not in frame:
        ages = [age_group or ALL_AGES] * n
    else:
        ages = frame["age_group"].tolist()
    syndromes = np.array([syndrome] * n if syndrome is not None else frame["syndrome"].tolist(), dtype=object)
    dates = pd.to_datetime(frame["date"]).tolist()
    for name in dict.fromkeys(syndromes):
        at = np.flatnonzero(syndromes == name)
        mask = scope.cells.mask(con, name, [dates[i] for i in at])
        out[at] = mask.hides([regions[i] for i in at], [ages[i] for i in at], [dates[i] for i in at])
    return out


def shown_ratios(counties: pd.DataFrame) -> pd.DataFrame:
    """County ratios (:func:`dashboards.data.county_ratios`) without what the user may not see: a hidden count
    and what is computed from it (its percentage, its ratio; an expectation over hidden counts, its ratio)."""
    out = counties.copy()
    out.loc[out["observed_hidden"], ["observed", "percent"]] = np.nan
    out.loc[out["expected_hidden"], "expected"] = np.nan
    out.loc[out["observed_hidden"] | out["expected_hidden"], "ratio"] = np.nan
    return out


_SHOWN_SIZE = 100_000
_shown: "OrderedDict[tuple, dict]" = OrderedDict()  # alert -> its headline without hidden figures, until new data
_shown_lock = threading.Lock()


def shown_headlines(con, scope, frame: pd.DataFrame, headlines: dict, version: tuple) -> dict[int, dict]:
    """``{episode id: {"headline": ...}}``: the headlines of the alerts of ``frame`` (rows of
    :func:`dashboards.data.alerts`) without the figures a user without exact counts may not see (a cluster's
    over all its regions), remembered per alert until it or the data change."""
    stamp = (data_version(con), scope.cells.min_cell, *version)
    ids = frame["episode_id"].astype(int).tolist()
    keys = {i: (stamp, i, str(u)) for i, u in zip(ids, frame["updated_at"])}
    with _shown_lock:
        found = {i: _shown[key] for i, key in keys.items() if key in _shown}
    missing = frame[[i not in found for i in ids]]
    if len(missing):
        regions = [r if k == "cluster" else [] for k, r in zip(missing["kind"], missing["regions"])]
        wanted = {int(i): headlines[int(i)] for i in missing["episode_id"]}
        masked = viewer_headlines(con, scope.cells, missing.assign(regions=regions).to_dict("records"), wanted)
        with _shown_lock:
            for i in wanted:
                found[i] = _shown[keys[i]] = {"headline": masked[i]}
            while len(_shown) > _SHOWN_SIZE:
                _shown.popitem(last=False)
    return found


def lagged_hidden(hidden: pd.Series, weeks: int) -> pd.Series:
    """By day (``hidden`` indexed by date): whether any of the same weekday's ``weeks`` weeks before is hidden,
    i.e. whether a baseline over them is computed from a hidden count."""
    if hidden.empty:
        return hidden.astype(bool)
    daily = hidden.astype(float).asfreq("D")
    lagged = pd.concat([daily.shift(7 * k) for k in range(1, weeks + 1)], axis=1)
    return (lagged.fillna(0).max(axis=1) > 0).reindex(hidden.index)


def mark(scope, lang, *, withheld: bool = False) -> str:
    """The mark of a figure not shown: ``<5`` for a count, ``*`` for one computed from a hidden count."""
    return withheld_label(lang) if withheld else suppressed_label(scope.cells.min_cell, lang)


def written(value, gone: bool, scope, lang, *, digits: int = 0, withheld: bool = False) -> str:
    """``value`` written out, or its mark when it is not shown to this user."""
    return mark(scope, lang, withheld=withheld) if gone else number(value, digits=digits)


def legend(scope, lang, element_id: str, *, shown_when: bool = True):
    """What the marks mean, under a table or chart that holds one (nothing otherwise)."""
    if scope.exact or not shown_when:
        return None
    return html.P(suppression_note(scope.cells.min_cell, lang), className="hint", id=element_id)


def hidden_points(dates, scope, lang, *, withheld: bool, colour: str) -> dict:
    """A chart trace marking the days not shown, on the axis (y = 0), their mark in the hover."""
    text = mark(scope, lang, withheld=withheld)
    return {"type": "scatter", "x": list(dates), "y": [0] * len(dates), "mode": "markers", "name": text,
            "marker": {"symbol": "circle-open", "size": 7, "color": colour}, "text": [text] * len(dates),
            "hovertemplate": "%{x|%Y-%m-%d}: %{text}<extra></extra>"}
