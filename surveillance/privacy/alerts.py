"""What a reader without exact counts sees of an alert: its judgements, its headline and its history.

A judgement (an evidence row, a signal) is a count as the detector saw it: hidden when that count is
from 1 to ``min_cell - 1``, or when a cell it counts is hidden now (:class:`~surveillance.privacy.masks.
SmallCells`): the series' day, or for a cluster every region of it over its window, for a weekly series
every day of its week. A hidden judgement shows neither its count nor what gives the count away with the
expectation shown beside it: the p-value, the score (a cluster's relative risk), the excess cases. The
expectation and the threshold are the detector's figures and stay.

The headline says a hidden single day's count as ``<5`` and a sum over days, a cluster's cases or a
percentage that holds a hidden count as ``*``. Data-quality alerts count all visits, which are not
suppressed (the small-cell rule is about syndromes: who came with what).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..alerts.episode_types import day_of
from ..alerts.explain import Headline
from ..store.alerts import evidence_of, json_list
from ..vocabulary import ALL_AGES, SYSTEM_USER
from .masks import SmallCells

JUDGED_FIGURES = ("observed", "pvalue", "score")  # a hidden judgement's figures
_FIGURES_IN_NOTES = [
    re.compile(r": observed [^\s;]+ vs expected [^\s;]+"),  # "ears_c2: observed 4 vs expected 1.3"
    re.compile(r"; p=[^;]+"),
    re.compile(r", relative risk [\d.]+"),
]


def _window(row: Mapping, cluster: bool) -> list[date]:
    """The days a judgement counts: its day; a cluster's window ending on it; a week starting on it."""
    day = day_of(row["date"])
    period = row.get("period_days")
    period = int(period) if period is not None and not pd.isna(period) and period > 1 else 1
    if cluster:
        return [day - timedelta(days=k) for k in range(period)]
    return [day + timedelta(days=k) for k in range(period)]


def judgements_hidden(con, small: SmallCells, rows: Iterable[Mapping], *, kind: str | None = None,
                      regions: Iterable[str] | None = None) -> np.ndarray:
    """Whether each judgement (``region, syndrome, age_group, date, measure, observed`` and ``period_days``,
    a cluster's ``regions``) is hidden. ``kind="cluster"`` with ``regions``: the judgements are one cluster
    episode's, over those regions (each row's own ``regions`` otherwise)."""
    rows = [dict(r) for r in rows]
    out = np.zeros(len(rows), dtype=bool)
    lookups: dict[str, list[tuple[int, str, str, date]]] = {}
    values = np.full(len(rows), np.nan)
    for i, row in enumerate(rows):
        measure = row.get("measure") or "count"
        if measure not in ("count", "percent") or kind == "data_quality":
            continue  # all visits (data quality): not suppressed
        own = json_list(row.get("regions")) if regions is None else list(regions)
        cluster = kind == "cluster" or len(own) > 1
        places = own if cluster and own else [row["region"]]
        age = row.get("age_group") or ALL_AGES
        for day in _window(row, cluster):
            for place in places:
                lookups.setdefault(row["syndrome"], []).append((i, place, age, day))
        if measure == "count":
            values[i] = row.get("observed") if row.get("observed") is not None else np.nan
    out |= _primary(values, small.min_cell)
    for syndrome, wanted in lookups.items():
        index = np.array([w[0] for w in wanted])
        mask = small.mask(con, syndrome, {w[3] for w in wanted})
        hidden = mask.hides([w[1] for w in wanted], [w[2] for w in wanted], [w[3] for w in wanted])
        np.logical_or.at(out, index, hidden)
    return out


def _primary(values: np.ndarray, min_cell: int) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values >= 1) & (values < min_cell)


def hide_judgements(rows: list[dict], hidden: Iterable[bool]) -> list[dict]:
    """The rows with a hidden one's figures set to None and ``suppressed`` saying which rows those are."""
    out = []
    for row, gone in zip(rows, hidden):
        row = {**row, "suppressed": bool(gone)}
        if gone:
            row.update({f: None for f in JUDGED_FIGURES if f in row})
            if row.get("detail"):
                row["detail"] = figure_free(str(row["detail"]))
        out.append(row)
    return out


def figure_free(note: str) -> str:
    """A note the service wrote (an opened event's, a cluster's detail) without the judgement's figures."""
    for pattern in _FIGURES_IN_NOTES:
        note = pattern.sub("", note)
    return note


def viewer_detail(con, small: SmallCells, detail: dict) -> dict:
    """An alert's detail (its evidence and events) as a reader without exact counts sees it."""
    kind = detail.get("kind")
    evidence = [{**row, "syndrome": row.get("syndrome") or detail["syndrome"],
                 "age_group": row.get("age_group") or detail["age_group"]} for row in detail["evidence"]]
    hidden = judgements_hidden(con, small, evidence, kind=kind,
                               regions=json_list(detail.get("regions")) if kind == "cluster" else None)
    events = [{**e, "note": figure_free(e["note"])} if e.get("user_name") == SYSTEM_USER and e.get("note") else e
              for e in detail["events"]]
    return {**detail, "evidence": hide_judgements(evidence, hidden), "events": events}


def viewer_headline(h: Headline, hidden_days: set[date], min_cell: int) -> Headline:
    """``h`` as a reader without exact counts sees it, given which of its series' days are hidden."""
    if h.kind == "data_quality" or h.day is None or not hidden_days & set(h.signal_days):
        return h
    cell = "suppressed" if h.measure == "count" and h.kind != "cluster" else "withheld"
    single = len(h.signal_days) <= 1 and h.kind != "cluster"
    withheld = {"observed": cell if single else "withheld", "excess": "withheld"}
    changes = {"observed": math.nan, "excess": math.nan}
    if h.day in hidden_days:
        withheld.update(day_observed=cell, pvalue="withheld")
        changes.update(day_observed=math.nan, pvalue=math.nan)
    return replace(h, **changes, withheld=tuple(withheld.items()), min_cell=min_cell)


def viewer_headlines(con, small: SmallCells, episodes: Iterable[Mapping], headlines: Mapping[int, Headline],
                     evidence: pd.DataFrame | None = None) -> dict[int, Headline]:
    """The headlines of ``episodes`` as a reader without exact counts sees them (the evidence read once)."""
    episodes = {int(e["episode_id"]): dict(e) for e in episodes}
    judged = {i: h for i, h in headlines.items() if i in episodes and h.kind != "data_quality" and h.day is not None}
    if not judged:
        return dict(headlines)
    if evidence is None:
        evidence = evidence_of(con, list(judged))
    rows = evidence.astype(object).where(evidence.notna(), None).to_dict("records")
    by_episode: dict[int, list[dict]] = {}
    for row in rows:
        if int(row["episode_id"]) in judged:
            by_episode.setdefault(int(row["episode_id"]), []).append(row)
    out = dict(headlines)
    for episode_id, h in judged.items():
        ep = episodes[episode_id]
        series = [{**r, "syndrome": r.get("syndrome") or ep["syndrome"], "age_group": r.get("age_group") or ep["age_group"]}
                  for r in by_episode.get(episode_id, [])]
        series = [r for r in series if (r["region"], r["syndrome"], r["age_group"]) == (h.region, h.syndrome, h.age_group)
                  and (r.get("measure") or "count") == h.measure and day_of(r["date"]) in set(h.signal_days)]
        hidden = judgements_hidden(con, small, series, kind=ep["kind"],
                                   regions=json_list(ep.get("regions")) if ep["kind"] == "cluster" else None)
        days = {day_of(r["date"]) for r, gone in zip(series, hidden) if gone}
        out[episode_id] = viewer_headline(h, days, small.min_cell)
    return out


def series_hidden(con, small: SmallCells, syndrome: str, regions: list[str], age_group: str, dates) -> np.ndarray:
    """Per day of ``dates``, whether the count of ``regions`` together (one region: its cell; several, as a
    cluster: their sum) is hidden: one of its cells is."""
    dates = [day_of(d) for d in dates]
    if not dates or not regions:
        return np.zeros(len(dates), dtype=bool)
    mask = small.mask(con, syndrome, dates)
    hidden = np.zeros(len(dates), dtype=bool)
    for region in regions:
        hidden |= mask.hides([region] * len(dates), age_group, dates)
    return hidden
