"""The dashboard's data, read through the store's API for the user's :class:`~dashboards.access.Scope`:
each function asks the scope for the region it reads (``OutOfScope`` outside the user's subtree), so
nothing outside the user's subtree is ever read. Here the tables are shaped for the pages.

Tables of counts carry, for a user without exact counts, which of them are hidden (``hidden`` and
``*_hidden`` columns: :mod:`dashboards.disclosure`; all False for the others); the pages write those as
their marks. What such a user reads of alerts (evidence, notes, headlines) is already the shown part.

Until detection results are shown, "expected" is the average of the same weekday over the four
weeks before (weekly seasonality, no model); completeness is :func:`surveillance.quality.completeness`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, timedelta

import numpy as np
import pandas as pd

from surveillance.alerts.explain import Headline, explain_episodes, rank_order
from surveillance.alerts.sentence import sentence
from surveillance.privacy import primary, viewer_detail, viewer_headlines
from surveillance.quality import completeness_at
from surveillance.service.delays import county_shares, day_share
from surveillance.store import alerts as stored_alerts
from surveillance.store import counts, operations
from surveillance.store.alerts import json_list
from surveillance.store.reference import neighbours_of as stored_neighbours
from surveillance.vocabulary import suppressed_label

from .access import Scope, drill_level
from .disclosure import hidden_rows, shown_headlines

BASELINE_WEEKS = 4
_CACHE_SIZE = 64
_cache: "OrderedDict[tuple, pd.DataFrame]" = OrderedDict()
_cache_lock = threading.Lock()


def cached(con, key: tuple, compute):
    """``compute()``, remembered until the next batch arrives (a small LRU shared by all users: the key
    must hold everything the answer depends on, including the region)."""
    key = (operations.data_version(con), *key)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key].copy()
    value = compute()
    with _cache_lock:
        _cache[key] = value
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return value.copy()


def _day(value) -> date:
    return pd.Timestamp(value).date()


def latest_day(con, scope: Scope) -> date | None:
    """The newest day with data in the user's subtree."""
    return counts.date_range(con, within=scope.root)[1]


def all_dates(con, scope: Scope) -> tuple[date | None, date | None]:
    """The first and last day with data in the user's subtree."""
    return counts.date_range(con, within=scope.root)


def same_weekdays(day, weeks: int = BASELINE_WEEKS) -> list[date]:
    day = _day(day)
    return [day - timedelta(weeks=k) for k in range(weeks + 1)]


def _baseline(table: pd.DataFrame, day, value: str) -> pd.Series:
    """Per region: the mean of ``value`` on the same weekday of the weeks before ``day`` (at least two known)."""
    day = pd.Timestamp(day)
    past = table[table["date"] != day]
    grouped = past.groupby("region")[value]
    mean = grouped.mean()
    return mean.where(grouped.count() >= 2)


def county_ratios(con, scope: Scope, day, syndrome: str) -> pd.DataFrame:
    """Per county in the subtree: ``region, observed, expected, ratio, total, total_expected, percent``, and
    ``observed_hidden`` (the day's count is hidden), ``expected_hidden`` (a count of the weeks before is)."""
    days = pd.to_datetime(same_weekdays(day))
    table = counts.read_counts(con, level="county", syndromes=[syndrome], start=days.min(), end=days.max(),
                               within=scope.root)
    table["date"] = pd.to_datetime(table["date"])
    table = table[table["date"].isin(days)]
    table["hidden"] = hidden_rows(con, scope, table, syndrome=syndrome)
    counties = pd.Index(scope.counties(), name="region")
    out = pd.DataFrame(index=counties)
    if len(table):
        today = table[table["date"] == pd.Timestamp(day)].set_index("region")
        out["observed"] = today["count"]
        out["total"] = today["total"]
        out["expected"] = _baseline(table, day, "count")
        out["total_expected"] = _baseline(table, day, "total")
    else:
        out["observed"] = out["total"] = out["expected"] = out["total_expected"] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        out["ratio"] = np.where(out["expected"] > 0, out["observed"] / out["expected"], np.nan)
        out["percent"] = np.where(out["total"] > 0, out["observed"] / out["total"], np.nan)
    today = table["date"] == pd.Timestamp(day)
    for column, rows in (("observed_hidden", today), ("expected_hidden", ~today)):
        out[column] = table[rows].groupby("region")["hidden"].any().reindex(counties, fill_value=False).astype(bool)
    return out.reset_index()


def county_completeness(con, scope: Scope, day, quality) -> pd.DataFrame:
    """Per county in the subtree on ``day``: ``region, units_usual, units_reporting, completeness``."""
    table = completeness_at(con, quality, "county", day, day, within=scope.root)
    return table.drop(columns="date")


def provisional_day(con, scope: Scope, day, today, delay) -> bool:
    """Whether less than ``delay.provisional_below`` of ``day``'s final count is usually known by ``today``
    in the user's counties (the detect job's delay, surveillance.service.delays); never with the delay off."""
    if not delay.adjust:
        return False
    shares = cached(con, ("delay", str(today), delay.max_days, delay.training_days, delay.by_syndrome),
                    lambda: county_shares(con, delay, today))
    counties = None if scope.root is None else [c for c in shares.index.get_level_values(0) if scope.allows(c)]
    return day_share(shares, _day(day), _day(today), counties) < delay.provisional_below


def scope_daily(con, scope: Scope, syndrome: str, start, end, region: str | None = None) -> pd.DataFrame:
    """``date, count, total, units, hidden`` summed over the subtree (or ``region`` in it), one row per day
    with data."""
    code = scope.region(region)
    table = counts.subtree_daily(con, syndromes=[syndrome], start=start, end=end, within=code)
    table = table[["date", "count", "total", "units"]]
    return table.assign(hidden=hidden_rows(con, scope, table, region=code, syndrome=syndrome))


def with_weekday_baseline(daily: pd.DataFrame, column: str = "count", weeks: int = BASELINE_WEEKS) -> pd.Series:
    """For each day, the mean of ``column`` on the same weekday of the ``weeks`` weeks before (two known at least)."""
    if daily.empty:
        return pd.Series(dtype=float)
    series = daily.set_index("date")[column].asfreq("D")
    lagged = pd.concat([series.shift(7 * k) for k in range(1, weeks + 1)], axis=1)
    mean = lagged.mean(axis=1).where(lagged.count(axis=1) >= 2)
    return mean.reindex(daily["date"]).reset_index(drop=True)


def region_series(con, scope: Scope, region: str | None, *, syndromes: list[str], age_groups: list[str] | None,
                  start=None, end=None) -> pd.DataFrame:
    """``date, syndrome, age_group, count, total, hidden`` of one region (everything visible for ``None``),
    summed over its units; ``age_groups=None`` sums all ages into ``all``. Remembered until new data arrive."""
    code = scope.region(region)
    syndromes = list(syndromes)
    ages = list(age_groups) if age_groups else None

    def compute() -> pd.DataFrame:
        frame = counts.subtree_daily(con, syndromes=syndromes, age_groups=ages, start=start, end=end, within=code)
        return frame.drop(columns="units")

    key = ("series", code, tuple(syndromes), tuple(ages or ()), str(start), str(end))
    frame = cached(con, key, compute)
    return frame.assign(hidden=hidden_rows(con, scope, frame, region=code))


def children_totals(con, scope: Scope, region: str | None, syndrome: str, end, days: int = 7) -> pd.DataFrame:
    """``region, count, total, hidden`` of each region directly below ``region`` over the ``days`` days to
    ``end`` (``hidden``: a day's count of it is)."""
    code = scope.region(region)
    child_level = drill_level(scope.index.level(code) if code else None)
    if child_level is None:
        return pd.DataFrame(columns=["region", "count", "total", "hidden"])
    end = _day(end)
    frame = counts.read_counts(con, level=child_level, syndromes=[syndrome], start=end - timedelta(days=days - 1),
                               end=end, within=code)
    frame["hidden"] = hidden_rows(con, scope, frame)
    frame = frame.groupby("region", as_index=False).agg(count=("count", "sum"), total=("total", "sum"),
                                                         hidden=("hidden", "any"))
    children = [c for c in scope.index.children(code) if scope.allows(c)]
    frame = frame[frame["region"].isin(children)]
    # most first; hidden ones after them in code order, so that their place says nothing of their counts
    frame = frame.assign(_key=np.where(frame["hidden"], np.inf, -frame["count"]))
    return frame.sort_values(["_key", "region"]).drop(columns="_key").reset_index(drop=True)


# --- data quality ---------------------------------------------------------------------------


def unit_day_status(con, scope: Scope, county: str, start, end) -> pd.DataFrame:
    """``unit, date, status, fever, fever_hidden`` for every unit of ``county`` with data in ``[start, end]``:
    ``on_time`` (first arrival by the end of the next day), ``late``, or ``revised`` (on time, corrected later)."""
    table = counts.arrivals(con, start, end, within=scope.region(county))
    table["status"] = np.where(~table["on_time"].astype(bool), "late",
                               np.where(table["revision"] > 1, "revised", "on_time"))
    table["fever_hidden"] = hidden_rows(con, scope, table.rename(columns={"unit": "region"}), syndrome="fever")
    return table


def revisions(con, scope: Scope, county: str | None, start, end, limit: int = 500) -> pd.DataFrame:
    """Reports corrected after they first arrived, newest first (see :func:`surveillance.store.counts.revisions`);
    for a user without exact counts the syndromes that changed without their counts (``fever, ili``)."""
    table = counts.revisions(con, start, end, within=scope.region(county), limit=limit)
    if not scope.exact:
        table["changes"] = table["changes"].str.replace(r" \d+→\d+", "", regex=True)
    return table


def quarantined(con, scope: Scope, limit: int = 500) -> pd.DataFrame:
    """Quarantined rows, newest first. A user with a region sees only rows whose unit lies in it
    (rows naming an unknown unit belong to no region: only users of every region see them)."""
    table = operations.quarantined(con, within=scope.root, limit=limit)
    if not scope.exact and len(table):  # a refused row's count, and its reason that repeats it
        value = pd.to_numeric(table["value"], errors="coerce")
        small = (table["field"] == "count") & primary(value.to_numpy(), scope.cells.min_cell)
        mark = suppressed_label(scope.cells.min_cell, None)
        table.loc[small, "reason"] = [r.replace(f"count {v}", f"count {mark}", 1)
                                      for r, v in zip(table.loc[small, "reason"], table.loc[small, "value"])]
        table.loc[small, "value"] = mark
    return table


def feed_status(con, config, now=None) -> pd.DataFrame:
    """Each configured (and each seen) feed: batches, failures and rows of the last 7 days, last batches."""
    now = pd.Timestamp(now) if now is not None else pd.Timestamp.now()
    stats = operations.feed_activity(con, (now - pd.Timedelta(days=7)).to_pydatetime())
    names = [f.name for f in config.feeds] + [f for f in stats.index if f not in {x.name for x in config.feeds}]
    kinds = {f.name: f.kind for f in config.feeds}
    out = stats.reindex(names)
    out.insert(0, "kind", [kinds.get(n, "?") for n in names])
    return out.rename_axis("feed").reset_index()


# --- jobs ----------------------------------------------------------------------------------


def job_runs(con, limit: int = 200) -> pd.DataFrame:
    return operations.job_runs(con, limit).drop(columns="details")


# --- alerts and clusters ---------------------------------------------------------------------

def alert_visible(scope: Scope, episode: dict) -> bool:
    """An episode belongs to its region: visible inside that region's subtree; a cluster also to every user
    whose subtree holds one of its regions. Feeds and other non-regions (data-quality episodes) are visible
    only to users of every region."""
    if scope.root is None:
        return True
    if scope.allows(str(episode.get("region"))):
        return True
    return episode.get("kind") == "cluster" and any(scope.allows(r) for r in json_list(episode.get("regions")))


def visible_evidence(scope: Scope, episode: dict, evidence: list[dict]) -> list[dict]:
    """The evidence rows of a visible episode the user may see: those of regions in their subtree (an alert
    that neighbouring regions joined carries their rows too). A cluster's rows are the cluster's own figures
    (observed and expected over all its regions), shown to everyone who sees the cluster."""
    if scope.root is None or episode.get("kind") == "cluster":
        return evidence
    return [row for row in evidence if scope.allows(str(row.get("region")))]


def alerts(con, scope: Scope, *, include_ended: bool = True, kind: str | None = None,
           since=None) -> pd.DataFrame:
    """The user's episodes, newest signal first; ``detectors`` as lists, ``regions`` the regions of a
    cluster (empty for other kinds, whose place is ``region``), ``alert_regions`` the regions of every
    kind (neighbours that joined, silent units) that the user may see."""
    frame = stored_alerts.episodes_table(con, include_ended=include_ended, kind=kind, since=since)
    frame = frame.drop(columns="created_at")
    if frame.empty:
        return frame
    if scope.root is not None:  # each distinct place is checked once: national tables have tens of thousands of rows
        places = frame[["kind", "region", "regions"]]
        places = places.astype(object).where(places.notna(), None)
        keys = list(zip(places["kind"], places["region"], places["regions"]))
        visible = {key: alert_visible(scope, dict(zip(("kind", "region", "regions"), key))) for key in set(keys)}
        frame = frame[[visible[key] for key in keys]].reset_index(drop=True)
    detectors = frame["detectors"].to_numpy(dtype=object)  # numpy iterates far faster than arrow strings
    parsed = {v: json_list(v) for v in set(detectors)}  # a few distinct sets
    frame["detectors"] = [list(parsed[v]) for v in detectors]
    cluster = (frame["kind"] == "cluster").to_numpy()
    stored = frame["regions"].to_numpy(dtype=object)
    visible = {v: [r for r in json_list(v) if scope.root is None or scope.allows(r)] for v in set(stored)}
    frame["alert_regions"] = [list(visible[v]) for v in stored]  # every kind's regions the user may see
    frame["regions"] = [json_list(v) if c else [] for c, v in zip(cluster, stored)]
    for column in ("opened_on", "last_signal_on", "ended_on"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def alert(con, scope: Scope, episode_id) -> dict | None:
    """One episode with its evidence and events, or None if there is none the user may see
    (an episode outside the user's subtree is answered exactly like a missing one). For a user without exact
    counts a hidden evidence row has no figures (``suppressed`` true) and the service's notes none either."""
    try:
        episode_id = int(episode_id)
    except (TypeError, ValueError):
        return None
    detail = stored_alerts.episode_detail(con, episode_id)
    if detail is None or not alert_visible(scope, detail):
        return None
    detail["evidence"] = visible_evidence(scope, detail, detail["evidence"])
    regions = json_list(detail["regions"])
    if not scope.exact:  # the evidence of every region of a cluster counts in its figures
        detail = viewer_detail(con, scope.cells, {**detail, "regions": regions})
    detail["regions"] = [r for r in regions if scope.root is None or scope.allows(r)]
    detail["detectors"] = json_list(detail["detectors"])
    return detail


_EXPLAINED_SIZE = 100_000
_explained: "OrderedDict[tuple, dict]" = OrderedDict()  # alert key -> {"headline": ..., language: sentence}


def explained(con, scope: Scope, frame: pd.DataFrame, lang: str, *, silent_days: int = 2) -> pd.DataFrame:
    """``frame`` (rows of :func:`alerts`) most important first (:func:`surveillance.alerts.explain.rank_order`),
    with each alert's reason as ``sentence`` in ``lang``; a sentence names only regions the user may see.

    Headlines and sentences are remembered per alert until it changes (``updated_at``: the detect job
    updates an alert whose evidence changed) or the regions change, so a long list is explained once, not
    on every request or ingest batch (late counts move the facilities named at the next detect run)."""
    if frame.empty:
        return frame.assign(sentence=pd.Series(dtype=object))
    version = (scope.index.version(), scope.root, silent_days)
    ids = frame["episode_id"].astype(int).tolist()
    keys = [(version, i, str(u)) for i, u in zip(ids, frame["updated_at"])]
    with _cache_lock:
        known = {key[1]: _explained[key] for key in keys if key in _explained}
    missing = [n for n, key in enumerate(keys) if key[1] not in known]
    if missing:
        rows = frame.iloc[missing].drop(columns="regions").rename(columns={"alert_regions": "regions"})
        found = explain_episodes(con, rows.to_dict("records"), silent_days=silent_days)
        with _cache_lock:
            for n in missing:
                known[ids[n]] = _explained[keys[n]] = {"headline": found[ids[n]]}
            while len(_explained) > _EXPLAINED_SIZE:
                _explained.popitem(last=False)
    ordered = rank_order(frame, {i: entry["headline"] for i, entry in known.items()})
    if not scope.exact:  # ranked on the exact figures, said without the hidden ones
        known = shown_headlines(con, scope, frame, {i: entry["headline"] for i, entry in known.items()}, version)
    names = scope.index.names(lang)
    for entry in known.values():
        if lang not in entry:
            entry[lang] = sentence(entry["headline"], lang, names)
    ordered["sentence"] = [known[int(i)][lang] for i in ordered["episode_id"]]
    return ordered


def alert_headline(con, scope: Scope, detail: dict, *, silent_days: int = 2) -> Headline:
    """The headline of one alert from :func:`alert` (its regions already those the user may see), without
    the figures the user may not see."""
    episode_id = int(detail["episode_id"])
    found = explain_episodes(con, [detail], silent_days=silent_days)[episode_id]
    if scope.exact:
        return found
    stored = stored_alerts.episodes_by_id(con, [episode_id])  # a cluster's figures count all its regions
    return viewer_headlines(con, scope.cells, list(stored.values()), {episode_id: found})[episode_id]


def alert_signals(con, episode: dict) -> pd.DataFrame:
    """Every judged point (quiet days too) of the episode's series by the detectors that fed it, the latest
    judgement of each day: ``detector, method, date, measure, observed, expected, upperbound, pvalue, severity,
    score, period_days, regions``."""
    return episodes_signals(con, [episode]).drop(columns="episode_id")


def episodes_signals(con, episodes: list[dict]) -> pd.DataFrame:
    """:func:`alert_signals` of several episodes in one query, with an ``episode_id`` column."""
    return stored_alerts.episodes_signals(con, episodes)


def alert_counts(con, scope: Scope, episode: dict, start, end, *, regions: list[str] | None = None,
                 age_groups: list[str] | None = None) -> pd.DataFrame:
    """``date, region, age_group, count, total, hidden`` of the episode's syndrome in ``regions`` (default: its
    region), read with :func:`surveillance.store.counts.read_counts`, only for regions the user may see."""
    regions = [r for r in (regions or [episode["region"]]) if scope.allows(r)]
    level = scope.index.level(regions[0]) if regions else None
    if not regions or level not in ("province", "city", "county", "facility"):
        return pd.DataFrame(columns=["date", "region", "age_group", "count", "total", "hidden"])
    by_level: dict[str, list[str]] = {}
    for region in regions:
        by_level.setdefault(scope.index.level(region), []).append(region)
    frames = [counts.read_counts(con, level=lvl, syndromes=[episode["syndrome"]], age_groups=age_groups, start=start,
                          end=end, within=codes) for lvl, codes in by_level.items()]  # one query per level
    out = pd.concat(frames, ignore_index=True)
    out = out[out["region"].isin(regions)]
    out["date"] = pd.to_datetime(out["date"])
    out["hidden"] = hidden_rows(con, scope, out)
    return out[["date", "region", "age_group", "count", "total", "hidden"]]


def age_groups_seen(con) -> list[str]:
    return counts.age_groups_seen(con)


def neighbours_of(con, scope: Scope, region: str) -> list[str]:
    return [r for r in stored_neighbours(con, region) if scope.allows(r)]
