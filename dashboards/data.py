"""The dashboard's queries. Each one takes the user's :class:`~dashboards.access.Scope` and asks it
for the regions it reads, so nothing outside the user's subtree is ever read.

Until detection results are shown, "expected" is the average of the same weekday over the four
weeks before (weekly seasonality, no model); completeness is the share of the units that usually
report (on at least ``quality.usual_share`` of the ``quality.usual_window_days`` days before)
that reported on the day.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .access import Scope

BASELINE_WEEKS = 4
_CACHE_SIZE = 64
_cache: "OrderedDict[tuple, pd.DataFrame]" = OrderedDict()
_cache_lock = threading.Lock()


def _latest(filters: str) -> str:
    """The newest revision of each count matching ``filters`` (on ``observations``). Filters go inside the
    aggregation, so only the rows asked for are aggregated (the ``observations_latest`` view aggregates
    every column of every row first)."""
    return ("SELECT date, unit, syndrome, age_group, max_by(count, revision) AS count,"
            f" arg_max_null(total, revision) AS total FROM observations WHERE {filters} GROUP BY ALL")


def _units_in(where: str) -> str:
    return "true" if where == "true" else f"unit IN (SELECT unit FROM unit_regions ur WHERE {where})"


def data_version(con) -> tuple:
    """Changes whenever a batch is stored (cached answers are keyed by it)."""
    return tuple(con.execute("SELECT count(*), max(batch_id), max(finished_at) FROM ingest_batches").fetchone())


def cached(con, key: tuple, compute):
    """``compute()``, remembered until the next batch arrives (a small LRU shared by all users: the key
    must hold everything the answer depends on, including the region)."""
    key = (data_version(con), *key)
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
    where, params = scope.sql()
    if where == "true":
        row = con.execute("SELECT max(date) FROM observations").fetchone()
    else:
        row = con.execute(
            f"SELECT max(date) FROM observations WHERE unit IN (SELECT unit FROM unit_regions ur WHERE {where})",
            params).fetchone()
    return row[0]


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
    """Per county in the subtree: ``region, observed, expected, ratio, total, total_expected, percent``."""
    where, params = scope.sql()
    days = same_weekdays(day)
    latest = _latest(f"syndrome = ? AND date IN ({', '.join('?' for _ in days)}) AND {_units_in(where)}")
    table = con.execute(f"""
        SELECT ur.county AS region, o.date, sum(o.count)::DOUBLE AS count, sum(o.total)::DOUBLE AS total
        FROM ({latest}) o JOIN unit_regions ur ON ur.unit = o.unit
        WHERE ur.county IS NOT NULL
        GROUP BY ALL""", [syndrome, *days, *params]).df()
    counties = pd.Index(scope.counties(), name="region")
    out = pd.DataFrame(index=counties)
    if len(table):
        table["date"] = pd.to_datetime(table["date"])
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
    return out.reset_index()


def unit_reporting(con, scope: Scope, day, *, window_days: int = 28, usual_share: float = 0.5,
                   region: str | None = None) -> pd.DataFrame:
    """Per unit in the subtree: ``unit, county, days_reported`` (of the window before ``day``),
    ``usual`` and ``reported`` (on ``day``)."""
    where, params = scope.sql(code=region)
    day = _day(day)
    first = day - timedelta(days=window_days)
    table = con.execute(f"""
        WITH seen AS (
            SELECT DISTINCT unit, date FROM observations
            WHERE date BETWEEN ? AND ? AND unit IN (SELECT unit FROM unit_regions ur WHERE {where})
        )
        SELECT ur.unit, ur.county,
               count(*) FILTER (s.date < ?)::INTEGER AS days_reported,
               coalesce(bool_or(s.date = ?), false) AS reported
        FROM unit_regions ur LEFT JOIN seen s ON s.unit = ur.unit
        WHERE {where}
        GROUP BY ALL""", [first, day, *params, day, day, *params]).df()
    table["usual"] = table["days_reported"] >= usual_share * window_days
    return table


def completeness_by_county(reporting: pd.DataFrame) -> pd.DataFrame:
    usual = reporting[reporting["usual"]]
    out = usual.groupby("county").agg(units_usual=("unit", "size"), units_reporting=("reported", "sum"))
    out["completeness"] = out["units_reporting"] / out["units_usual"]
    return out.rename_axis("region").reset_index()


def scope_daily(con, scope: Scope, syndrome: str, start, end, region: str | None = None) -> pd.DataFrame:
    """``date, count, total, units`` summed over the subtree (or ``region`` in it), one row per day with data."""
    where, params = scope.sql(code=region)
    latest = _latest(f"syndrome = ? AND date BETWEEN ? AND ? AND {_units_in(where)}")
    table = con.execute(f"""
        SELECT o.date, sum(o.count)::DOUBLE AS count, sum(o.total)::DOUBLE AS total, count(DISTINCT o.unit) AS units
        FROM ({latest}) o
        GROUP BY ALL ORDER BY o.date""", [syndrome, _day(start), _day(end), *params]).df()
    table["date"] = pd.to_datetime(table["date"])
    return table


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
    """``date, syndrome, age_group, count, total`` of one region (everything visible for ``None``), summed
    over its units; ``age_groups=None`` sums all ages into ``all``. Remembered until new data arrive."""
    code = scope.region(region)
    syndromes = list(syndromes)
    ages = list(age_groups) if age_groups else None

    def compute() -> pd.DataFrame:
        where, params = ("true", []) if code is None else scope.sql(code=code)
        filters = f"syndrome IN ({', '.join('?' for _ in syndromes)})"
        values: list = [*syndromes]
        if ages:
            filters += f" AND age_group IN ({', '.join('?' for _ in ages)})"
            values += ages
        if start is not None:
            filters += " AND date >= ?"
            values.append(_day(start))
        if end is not None:
            filters += " AND date <= ?"
            values.append(_day(end))
        age = "age_group" if ages else "'all'"
        frame = con.execute(f"""
            SELECT date, syndrome, {age} AS age_group, sum(count)::DOUBLE AS count, sum(total)::DOUBLE AS total
            FROM ({_latest(filters + " AND " + _units_in(where))})
            GROUP BY ALL ORDER BY syndrome, age_group, date""", [*values, *params]).df()
        frame["date"] = pd.to_datetime(frame["date"])
        return frame

    key = ("series", code, tuple(syndromes), tuple(ages or ()), str(start), str(end))
    return cached(con, key, compute)


def children_totals(con, scope: Scope, region: str | None, syndrome: str, end, days: int = 7) -> pd.DataFrame:
    """``region, count, total`` of each region directly below ``region`` over the ``days`` days to ``end``."""
    from .access import drill_level

    code = scope.region(region)
    child_level = drill_level(scope.index.level(code) if code else None)
    if child_level is None:
        return pd.DataFrame(columns=["region", "count", "total"])
    end = _day(end)
    where, params = ("true", []) if code is None else scope.sql(code=code)
    frame = con.execute(f"""
        SELECT ur.{child_level} AS region, sum(o.count)::DOUBLE AS count, sum(o.total)::DOUBLE AS total
        FROM ({_latest("syndrome = ? AND date BETWEEN ? AND ? AND " + _units_in(where))}) o
        JOIN unit_regions ur ON ur.unit = o.unit
        WHERE ur.{child_level} IS NOT NULL
        GROUP BY ALL""", [syndrome, end - timedelta(days=days - 1), end, *params]).df()
    children = [c for c in scope.index.children(code) if scope.allows(c)]
    return frame[frame["region"].isin(children)].sort_values("count", ascending=False).reset_index(drop=True)


def all_dates(con, scope: Scope) -> tuple[date | None, date | None]:
    where, params = scope.sql()
    if where == "true":
        return tuple(con.execute("SELECT min(date), max(date) FROM observations").fetchone())
    return tuple(con.execute(
        f"SELECT min(date), max(date) FROM observations WHERE unit IN (SELECT unit FROM unit_regions ur WHERE {where})",
        params).fetchone())


# --- data quality ---------------------------------------------------------------------------


def unit_day_status(con, scope: Scope, county: str, start, end) -> pd.DataFrame:
    """``unit, date, status`` for every unit of ``county`` with data in ``[start, end]``:
    ``on_time`` (first arrival by the end of the next day), ``late``, or ``revised`` (on time, corrected later)."""
    where, params = scope.sql(code=county)
    table = con.execute(f"""
        SELECT o.unit, o.date, min(o.received_at) AS first_at, max(o.revision) AS revision,
               sum(o.count) FILTER (o.syndrome = 'fever') AS fever
        FROM observations o JOIN unit_regions ur ON ur.unit = o.unit
        WHERE o.date BETWEEN ? AND ? AND {where}
        GROUP BY ALL""", [_day(start), _day(end), *params]).df()
    if table.empty:
        return table.assign(status=pd.Series(dtype=object))
    table["date"] = pd.to_datetime(table["date"])
    deadline = table["date"] + pd.Timedelta(days=2)
    late = pd.to_datetime(table["first_at"]) >= deadline
    table["status"] = np.where(late, "late", np.where(table["revision"] > 1, "revised", "on_time"))
    return table


def revisions(con, scope: Scope, county: str | None, start, end, limit: int = 500) -> pd.DataFrame:
    """Reports corrected after they first arrived, newest first: one row per day, unit and revision with
    all visits before and after and the syndrome counts that changed (``changes``: ``fever 7→10, ili 0→1``)."""
    where, params = scope.sql(code=county)
    start, end = _day(start), _day(end)
    rows = con.execute(f"""
        WITH changed AS (
            SELECT o.date, o.unit, o.revision, o.syndrome, sum(p.count)::BIGINT AS before, sum(o.count)::BIGINT AS after,
                   sum(p.total)::BIGINT AS total_before, sum(o.total)::BIGINT AS total_after,
                   max(o.received_at) AS received_at
            FROM observations o
            JOIN observations p ON p.date = o.date AND p.unit = o.unit AND p.syndrome = o.syndrome
                 AND p.age_group = o.age_group AND p.revision = o.revision - 1
            JOIN unit_regions ur ON ur.unit = o.unit
            WHERE o.revision > 1 AND o.date BETWEEN ? AND ? AND p.date BETWEEN ? AND ? AND {where}
            GROUP BY o.date, o.unit, o.revision, o.syndrome
        )
        SELECT date, unit, revision, max(received_at) AS received_at,
               max(total_before) AS total_before, max(total_after) AS total_after,
               string_agg(CASE WHEN before <> after THEN syndrome || ' ' || before || '→' || after END, ', '
                          ORDER BY syndrome) AS changes
        FROM changed GROUP BY date, unit, revision
        ORDER BY received_at DESC, date DESC, unit
        LIMIT ?""", [start, end, start, end, *params, limit]).df()
    return rows


def quarantined(con, scope: Scope, limit: int = 500) -> pd.DataFrame:
    """Quarantined rows, newest first. A user with a region sees only rows whose unit lies in it
    (rows naming an unknown unit belong to no region: only users of every region see them)."""
    if scope.root is None:
        unit_filter, params = "", []
    else:
        where, params = scope.sql()
        unit_filter = f"AND json_extract_string(q.raw, '$.unit') IN (SELECT unit FROM unit_regions ur WHERE {where})"
    return con.execute(f"""
        SELECT q.quarantined_at, q.feed, q.source, q.row_number, q.field, q.value, q.reason,
               json_extract_string(q.raw, '$.unit') AS unit
        FROM quarantine q WHERE true {unit_filter}
        ORDER BY q.quarantined_at DESC, q.batch_id DESC, q.row_number
        LIMIT ?""", [*params, limit]).df()


def feed_status(con, config, now=None) -> pd.DataFrame:
    """Each configured (and each seen) feed: batches, failures and rows of the last 7 days, last batches."""
    now = pd.Timestamp(now) if now is not None else pd.Timestamp.now()
    since = (now - pd.Timedelta(days=7)).to_pydatetime()
    stats = con.execute("""
        SELECT feed,
               count(*) FILTER (received_at >= ?) AS batches,
               count(*) FILTER (received_at >= ? AND status = 'failed') AS failed,
               coalesce(sum(new_rows + revised_rows) FILTER (received_at >= ?), 0) AS rows,
               max(finished_at) AS last_batch,
               max(finished_at) FILTER (status <> 'failed') AS last_good,
               arg_max(message, batch_id) AS last_message
        FROM ingest_batches GROUP BY feed""", [since, since, since]).df().set_index("feed")
    names = [f.name for f in config.feeds] + [f for f in stats.index if f not in {x.name for x in config.feeds}]
    kinds = {f.name: f.kind for f in config.feeds}
    out = stats.reindex(names)
    out.insert(0, "kind", [kinds.get(n, "?") for n in names])
    return out.rename_axis("feed").reset_index()


# --- jobs ----------------------------------------------------------------------------------


def job_runs(con, limit: int = 200) -> pd.DataFrame:
    table = con.execute("""
        SELECT run_id, job, started_at, finished_at, status, message,
               date_diff('millisecond', started_at, finished_at) / 1000.0 AS seconds
        FROM job_runs ORDER BY run_id DESC LIMIT ?""", [limit]).df()
    return table


# --- alerts and clusters ---------------------------------------------------------------------

ALERT_COLUMNS = ("episode_id, kind, level, region, regions, syndrome, age_group, detectors, period_days, opened_on,"
                 " last_signal_on, ended_on, severity, notify_severity, incomplete, state, outcome, updated_at")


def alert_visible(scope: Scope, episode: dict) -> bool:
    """An episode belongs to its region (a cluster to its centre): visible inside that region's subtree.
    Feeds and other non-regions (data-quality episodes) are visible only to users of every region."""
    if scope.root is None:
        return True
    return scope.allows(str(episode.get("region")))


def alerts(con, scope: Scope, *, include_ended: bool = True, kind: str | None = None,
           since=None) -> pd.DataFrame:
    """The user's episodes, newest signal first; ``detectors`` as lists, ``regions`` the regions of a
    cluster (empty for other kinds, whose place is ``region``)."""
    where, params = ["true"], []
    if not include_ended:
        where.append("ended_on IS NULL AND state <> 'closed'")
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    if since is not None:
        where.append("last_signal_on >= ?")
        params.append(_day(since))
    frame = con.execute(f"SELECT {ALERT_COLUMNS} FROM alert_episodes WHERE {' AND '.join(where)}"
                        " ORDER BY last_signal_on DESC, episode_id DESC", params).df()
    if frame.empty:
        return frame
    if scope.root is not None:  # each distinct region is checked once: national tables have tens of thousands of rows
        visible = {r: alert_visible(scope, {"region": r}) for r in frame["region"].unique()}
        frame = frame[frame["region"].map(visible)].reset_index(drop=True)
    detectors = frame["detectors"].to_numpy(dtype=object)  # numpy iterates far faster than arrow strings
    parsed = {v: json_list(v) for v in set(detectors)}  # a few distinct sets
    frame["detectors"] = [list(parsed[v]) for v in detectors]
    cluster = (frame["kind"] == "cluster").to_numpy()
    frame["regions"] = [json_list(v) if c else [] for c, v in zip(cluster, frame["regions"].to_numpy(dtype=object))]
    for column in ("opened_on", "last_signal_on", "ended_on"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def json_list(value) -> list:
    import json

    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return list(json.loads(value)) if isinstance(value, str) else list(value)


def alert(con, scope: Scope, episode_id) -> dict | None:
    """One episode with its evidence and events, or None if there is none the user may see
    (an episode outside the user's subtree is answered exactly like a missing one)."""
    from surveillance.alerts.store import episode_detail

    try:
        episode_id = int(episode_id)
    except (TypeError, ValueError):
        return None
    detail = episode_detail(con, episode_id)
    if detail is None or not alert_visible(scope, detail):
        return None
    detail["regions"] = [r for r in json_list(detail["regions"]) if scope.root is None or scope.allows(r)]
    detail["detectors"] = json_list(detail["detectors"])
    return detail


SIGNAL_COLUMNS = ["detector", "method", "date", "measure", "observed", "expected", "upperbound", "pvalue", "severity",
                  "score", "period_days", "regions"]


def alert_signals(con, episode: dict) -> pd.DataFrame:
    """Every judged point (quiet days too) of the episode's series by the detectors that fed it, the latest
    judgement of each day: ``detector, method, date, measure, observed, expected, upperbound, pvalue, severity,
    score, period_days, regions``."""
    return episodes_signals(con, [episode]).drop(columns="episode_id")


def episodes_signals(con, episodes: list[dict]) -> pd.DataFrame:
    """:func:`alert_signals` of several episodes in one query, with an ``episode_id`` column."""
    wanted = [(int(ep["episode_id"]), ep["region"], ep["syndrome"], ep["age_group"], d)
              for ep in episodes for d in (ep["detectors"] or [])]
    if not wanted:
        return pd.DataFrame(columns=["episode_id", *SIGNAL_COLUMNS])
    values = ", ".join("(?, ?, ?, ?, ?)" for _ in wanted)
    frame = con.execute(f"""
        WITH wanted(episode_id, region, syndrome, age_group, detector) AS (VALUES {values})
        SELECT w.episode_id, s.detector, s.method, s.date, s.measure, arg_max(s.observed, s.as_of) AS observed,
               arg_max(s.expected, s.as_of) AS expected, arg_max(s.upperbound, s.as_of) AS upperbound,
               arg_max(s.pvalue, s.as_of) AS pvalue, arg_max(s.severity, s.as_of) AS severity,
               arg_max(s.score, s.as_of) AS score, arg_max(s.period_days, s.as_of) AS period_days,
               arg_max(s.regions, s.as_of) AS regions
        FROM signals s JOIN wanted w USING (region, syndrome, age_group, detector)
        GROUP BY w.episode_id, s.detector, s.method, s.date, s.measure
        ORDER BY w.episode_id, s.date, s.detector""", [v for row in wanted for v in row]).df()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def alert_counts(con, scope: Scope, episode: dict, start, end, *, regions: list[str] | None = None,
                 age_groups: list[str] | None = None) -> pd.DataFrame:
    """``date, region, age_group, count, total`` of the episode's syndrome in ``regions`` (default: its region),
    read with :func:`surveillance.store.read.read_counts`, only for regions the user may see."""
    from surveillance.store.read import read_counts

    regions = [r for r in (regions or [episode["region"]]) if scope.allows(r)]
    level = scope.index.level(regions[0]) if regions else None
    if not regions or level not in ("province", "city", "county", "facility"):
        return pd.DataFrame(columns=["date", "region", "age_group", "count", "total"])
    by_level: dict[str, list[str]] = {}
    for region in regions:
        by_level.setdefault(scope.index.level(region), []).append(region)
    frames = [read_counts(con, level=lvl, syndromes=[episode["syndrome"]], age_groups=age_groups, start=start,
                          end=end, within=codes) for lvl, codes in by_level.items()]  # one query per level
    out = pd.concat(frames, ignore_index=True)
    out = out[out["region"].isin(regions)]
    out["date"] = pd.to_datetime(out["date"])
    return out[["date", "region", "age_group", "count", "total"]]


def age_groups_seen(con) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT age_group FROM observations WHERE date >= (SELECT max(date) - 28 FROM observations)"
        " ORDER BY age_group").fetchall()]


def neighbours_of(con, scope: Scope, region: str) -> list[str]:
    rows = con.execute("SELECT neighbour FROM region_neighbours WHERE region = ? UNION "
                       "SELECT region FROM region_neighbours WHERE neighbour = ?", [region, region]).fetchall()
    return sorted(r[0] for r in rows if r[0] != region and scope.allows(r[0]))
