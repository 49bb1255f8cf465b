"""Counts as the store knows them: the latest (or as-of) revision of each count, summed up the region
hierarchy, as long tables, panels or per-unit tables.

Three rules of the schema live here and nowhere else:

* **latest revision** (:func:`_known`): a count is its newest revision; ``as_of`` (a day) keeps only the
  revisions received by the end of that day, so a backtest sees the partial counts a real run saw;
* **subtree** (:func:`_units_within`): a region's counts are those of the units below it, at any level;
* **on time** (:data:`ON_TIME`): a count arrived on time when its first revision came by the end of the
  next day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from ..errors import UnknownName
from ..panel import Panel, panel_from_long, to_weekly
from ..vocabulary import ALL_AGES, PANEL_LEVELS
from .query import first_row

ON_TIME = "received_at < date + INTERVAL 2 DAY"

Within = str | list[str] | tuple[str, ...] | None  # region code(s) whose subtree is read; None: everything


def _day(value) -> date:
    return pd.Timestamp(value).date()


def _as_of_end(as_of) -> datetime:
    return datetime.combine(_day(as_of) + timedelta(days=1), datetime.min.time())


def _in_list(column: str, values, params: list) -> str:
    if values is None:
        return ""
    values = [values] if isinstance(values, str) else list(values)
    params.extend(values)
    return f" AND {column} IN ({', '.join('?' for _ in values)})"


def _units_within(within: Within, params: list, unit: str = "unit") -> str:
    """A condition keeping the rows whose ``unit`` (a column or expression) lies below ``within`` (any
    level), or nothing for ``None``."""
    if within is None:
        return ""
    codes = [within] if isinstance(within, str) else list(within)
    if not codes:
        raise ValueError("within: an empty list of regions")
    params.append(codes)
    return (f" AND {unit} IN (SELECT unit FROM unit_regions"
            " WHERE list_has_any([facility, county, city, province], ?::VARCHAR[]))")


def _filters(params: list, *, start=None, end=None, syndromes=None, age_groups=None, within: Within = None,
             as_of=None) -> str:
    """Conditions on ``observations``; they go inside the revision aggregation so DuckDB prunes first."""
    sql = ""
    if start is not None:
        sql += " AND date >= ?"
        params.append(_day(start))
    if end is not None:
        sql += " AND date <= ?"
        params.append(_day(end))
    sql += _in_list("syndrome", syndromes, params)
    sql += _in_list("age_group", age_groups, params)
    sql += _units_within(within, params)
    if as_of is not None:
        sql += " AND received_at < ?"
        params.append(_as_of_end(as_of))
    return sql


def _known(filters: str) -> str:
    """The newest revision of each count matching ``filters``: ``date, unit, syndrome, age_group, count, total``."""
    return ("SELECT date, unit, syndrome, age_group, max_by(count, revision) AS count,"
            f" arg_max_null(total, revision) AS total FROM observations WHERE true {filters} GROUP BY ALL")


def _check_level(level: str) -> None:
    if level not in PANEL_LEVELS:
        raise UnknownName(f"unknown region level {level!r}; valid levels: {', '.join(PANEL_LEVELS)}")


def read_counts(
    con: duckdb.DuckDBPyConnection,
    *,
    level: str = "county",
    syndromes=None,
    age_groups=None,
    start=None,
    end=None,
    as_of=None,
    within: Within = None,
) -> pd.DataFrame:
    """Long table ``date, region, syndrome, age_group, count, total, units`` at a hierarchy level.

    ``age_groups=None`` sums all ages into age group "all"; a list keeps those groups apart.
    ``within`` keeps only regions inside that region code (its subtree), or inside any of a list of codes.
    ``units`` is the number of units that reported.
    """
    _check_level(level)
    params: list = []
    filters = _filters(params, start=start, end=end, syndromes=syndromes, age_groups=age_groups, within=within,
                       as_of=as_of)
    age = "k.age_group" if age_groups is not None else f"'{ALL_AGES}'"
    sql = f"""
        SELECT k.date, ur.{level} AS region, k.syndrome, {age} AS age_group,
               sum(k.count)::DOUBLE AS count, sum(k.total)::DOUBLE AS total, count(DISTINCT k.unit) AS units
        FROM ({_known(filters)}) k
        JOIN unit_regions ur ON ur.unit = k.unit
        WHERE ur.{level} IS NOT NULL
        GROUP BY ALL
        ORDER BY region, k.syndrome, age_group, k.date
    """
    return con.execute(sql, params).df()


def read_panel(
    con: duckdb.DuckDBPyConnection,
    *,
    level: str = "county",
    syndromes=None,
    age_groups=None,
    start=None,
    end=None,
    as_of=None,
    within: Within = None,
    freq: str = "daily",
) -> Panel:
    """The counts of :func:`read_counts` as a panel keyed by (region, syndrome, age_group).

    Days on which no unit of a region reported are NaN (missing), not zero.
    """
    long = read_counts(
        con, level=level, syndromes=syndromes, age_groups=age_groups,
        start=start, end=end, as_of=as_of, within=within,
    ).drop(columns="units")
    if end is None and as_of is not None:
        end = pd.Timestamp(as_of)
    panel = panel_from_long(long, ["region", "syndrome", "age_group"], start=start, end=end)
    panel.attrs.update(level=level, as_of=None if as_of is None else str(pd.Timestamp(as_of).date()))
    if freq == "weekly":
        panel = to_weekly(panel)
    return panel


def subtree_daily(con, *, syndromes, start=None, end=None, age_groups=None, within: Within = None) -> pd.DataFrame:
    """``date, syndrome, age_group, count, total, units`` summed over every unit below ``within`` (all units
    for ``None``), one row per day with data; ``age_groups=None`` sums all ages into ``all``."""
    params: list = []
    filters = _filters(params, start=start, end=end, syndromes=syndromes, age_groups=age_groups, within=within)
    age = "age_group" if age_groups is not None else f"'{ALL_AGES}'"
    frame = con.execute(f"""
        SELECT date, syndrome, {age} AS age_group, sum(count)::DOUBLE AS count, sum(total)::DOUBLE AS total,
               count(DISTINCT unit) AS units
        FROM ({_known(filters)})
        GROUP BY ALL ORDER BY syndrome, age_group, date""", params).df()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def units_daily(con, *, units, syndrome: str, age_group: str = ALL_AGES, start=None, end=None) -> pd.Series:
    """The final daily counts of ``units`` summed, for one syndrome and age group (``all``: every age),
    indexed by day (days nobody reported are absent)."""
    params: list = []
    ages = None if age_group == ALL_AGES else [age_group]
    filters = _filters(params, start=start, end=end, syndromes=[syndrome], age_groups=ages)
    filters += _in_list("unit", list(units), params)
    frame = con.execute(f"SELECT date, sum(count)::DOUBLE AS count FROM ({_known(filters)}) GROUP BY date ORDER BY date",
                        params).df()
    return pd.Series(frame["count"].to_numpy(), index=pd.to_datetime(frame["date"]), name="count")


def region_daily(con, *, regions: list[str], syndromes=None, start=None, end=None, as_of=None) -> pd.DataFrame:
    """``date, region, syndrome, count, total``: per requested region code and day with data, the newest
    counts of all units in its subtree, all ages summed (``total``: all visits of those units)."""
    columns = ["date", "region", "syndrome", "count", "total"]
    codes = [str(r) for r in regions]
    if not codes:
        return pd.DataFrame(columns=columns)
    params: list = []
    filters = _filters(params, start=start, end=end, syndromes=syndromes, within=codes, as_of=as_of)
    frame = con.execute(f"""
        SELECT k.date, r.code AS region, k.syndrome, sum(k.count)::DOUBLE AS count, sum(k.total)::DOUBLE AS total
        FROM ({_known(filters)}) k
        JOIN unit_regions ur ON ur.unit = k.unit
        JOIN (SELECT unnest(?::VARCHAR[]) AS code) r
             ON r.code IN (ur.facility, ur.county, ur.city, ur.province)
        GROUP BY ALL ORDER BY region, k.syndrome, k.date""", [*params, codes]).df()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame[columns]


def date_range(con, *, within: Within = None, as_of=None) -> tuple[date | None, date | None]:
    """The first and last day with data (below ``within``; received by the end of ``as_of``)."""
    params: list = []
    filters = _filters(params, within=within, as_of=as_of)
    return tuple(first_row(con, f"SELECT min(date), max(date) FROM observations WHERE true {filters}",
                             params))


def age_groups_seen(con, days: int = 28) -> list[str]:
    """The age groups reported in the last ``days`` days with data."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT age_group FROM observations WHERE date >= (SELECT max(date) - ?::INTEGER FROM observations)"
        " ORDER BY age_group", [days]).fetchall()]


def daily_totals(con, *, days: int = 60, syndrome: str | None = None, within: Within = None) -> pd.DataFrame:
    """``date, syndrome, count, total, units_reporting`` per day over the last ``days`` days with data
    (in the subtree of ``within``)."""
    params: list = []
    filters = _in_list("syndrome", syndrome, params) + _units_within(within, params)
    last_params: list = []
    last = f"SELECT max(date) FROM observations WHERE true {_units_within(within, last_params)}"
    return con.execute(f"""
        SELECT date, syndrome, sum(count)::BIGINT AS count, sum(total)::BIGINT AS total,
               count(DISTINCT unit) AS units_reporting
        FROM ({_known(filters + f" AND date > ({last}) - ?::INTEGER")})
        GROUP BY ALL ORDER BY date, syndrome""", [*params, *last_params, days]).df()


# --- per unit: reporting, arrival, revisions --------------------------------------------------------------


def unit_regions(con, *, within: Within = None) -> pd.DataFrame:
    """``unit, facility, county, city, province`` of every unit (below ``within``)."""
    params: list = []
    return con.execute("SELECT unit, facility, county, city, province FROM unit_regions WHERE true"
                       + _units_within(within, params), params).df()


def county_of_units(con):
    """A function from a code to its county: a unit's county; any other code (a region, a feed) itself."""
    units = unit_regions(con)
    county = dict(zip(units["unit"], units["county"]))
    return lambda code: county.get(code, code)


def unit_counts_on(con, wanted: pd.DataFrame) -> pd.DataFrame:
    """``county, syndrome, age_group, date, unit, count``: the newest count of each unit of each wanted
    ``county, syndrome, age_group, date`` (age group ``all`` sums the unit's ages); a unit without a
    report that day has no row. One query however many rows are wanted."""
    columns = ["county", "syndrome", "age_group", "date", "unit", "count"]
    if not len(wanted):
        return pd.DataFrame(columns=columns).astype({"date": "datetime64[ns]", "count": float})
    frame = wanted[["county", "syndrome", "age_group", "date"]].drop_duplicates().copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    params: list = []
    filters = _filters(params, start=min(frame["date"]), end=max(frame["date"]),
                       syndromes=sorted(frame["syndrome"].unique()))
    # only the wanted unit-days are read (a semi join), not every day between the first and the last
    filters += (" AND EXISTS (SELECT 1 FROM wanted_unit_days w JOIN unit_regions ur ON ur.county = w.county"
                " WHERE ur.unit = observations.unit AND w.syndrome = observations.syndrome"
                " AND w.date = observations.date)")
    con.register("wanted_unit_days", frame)
    try:
        out = con.execute(f"""
            SELECT w.county, w.syndrome, w.age_group, w.date, k.unit, sum(k.count)::DOUBLE AS count
            FROM wanted_unit_days w
            JOIN unit_regions ur ON ur.county = w.county
            JOIN ({_known(filters)}) k ON k.unit = ur.unit AND k.date = w.date AND k.syndrome = w.syndrome
                 AND (w.age_group = '{ALL_AGES}' OR k.age_group = w.age_group)
            GROUP BY ALL ORDER BY w.county, w.syndrome, w.age_group, w.date, k.unit""", params).df()
    finally:
        con.unregister("wanted_unit_days")
    out["date"] = pd.to_datetime(out["date"])
    return out[columns]


def unit_days(con, start, end, *, as_of=None, within: Within = None) -> pd.DataFrame:
    """``unit, date, visits``: one row per unit and day with data, as known at the end of ``as_of``.

    ``visits`` is all visits of the unit that day (the largest total over its syndrome rows,
    summed over age groups), or the sum of its counts when no total was sent.
    """
    params: list = []
    filters = _filters(params, start=start, end=end, within=within, as_of=as_of)
    out = con.execute(f"""
        WITH per_age AS (
            SELECT unit, date, age_group, coalesce(max(total), sum(count)) AS visits
            FROM ({_known(filters)}) GROUP BY ALL
        )
        SELECT unit, date, sum(visits)::DOUBLE AS visits FROM per_age GROUP BY ALL ORDER BY unit, date""",
        params).df()
    out["date"] = pd.to_datetime(out["date"])
    return out


def timeliness(con, start, end, *, level: str = "county") -> pd.DataFrame:
    """``region, date, timeliness``: the share of the final count (all syndromes) that arrived on time."""
    _check_level(level)
    out = con.execute(f"""
        WITH per_key AS (
            SELECT date, unit, syndrome, age_group, max_by(count, revision) AS final,
                   coalesce(max_by(count, revision) FILTER ({ON_TIME}), 0) AS early
            FROM observations WHERE date BETWEEN ? AND ? GROUP BY ALL
        )
        SELECT ur.{level} AS region, k.date, sum(k.early)::DOUBLE / nullif(sum(k.final), 0) AS timeliness
        FROM per_key k JOIN unit_regions ur ON ur.unit = k.unit
        WHERE ur.{level} IS NOT NULL GROUP BY ALL ORDER BY region, k.date""", [_day(start), _day(end)]).df()
    out["date"] = pd.to_datetime(out["date"])
    return out


def arrivals(con, start, end, *, within: Within = None) -> pd.DataFrame:
    """``unit, date, on_time, revision, fever`` per unit and day with data: whether the day's first report
    arrived on time, its newest revision number and the newest fever count."""
    params: list = []
    filters = _filters(params, start=start, end=end, within=within)
    out = con.execute(f"""
        SELECT unit, date, bool_or({ON_TIME}) AS on_time, max(revision) AS revision,
               sum(count) FILTER (syndrome = 'fever' AND is_newest) AS fever
        FROM (SELECT *, revision = max(revision) OVER (PARTITION BY date, unit, syndrome, age_group) AS is_newest
              FROM observations WHERE true {filters})
        GROUP BY ALL""", params).df()
    out["date"] = pd.to_datetime(out["date"])
    return out


def revisions(con, start, end, *, within: Within = None, limit: int = 500) -> pd.DataFrame:
    """Reports corrected after they first arrived, newest first: one row per day, unit and revision with
    all visits before and after and the syndrome counts that changed (``changes``: ``fever 7→10, ili 0→1``)."""
    params: list = [_day(start), _day(end), _day(start), _day(end)]
    units = _units_within(within, params, unit="o.unit")
    return con.execute(f"""
        WITH changed AS (
            SELECT o.date, o.unit, o.revision, o.syndrome, sum(p.count)::BIGINT AS before, sum(o.count)::BIGINT AS after,
                   sum(p.total)::BIGINT AS total_before, sum(o.total)::BIGINT AS total_after,
                   max(o.received_at) AS received_at
            FROM observations o
            JOIN observations p ON p.date = o.date AND p.unit = o.unit AND p.syndrome = o.syndrome
                 AND p.age_group = o.age_group AND p.revision = o.revision - 1
            WHERE o.revision > 1 AND o.date BETWEEN ? AND ? AND p.date BETWEEN ? AND ? {units}
            GROUP BY o.date, o.unit, o.revision, o.syndrome
        )
        SELECT date, unit, revision, max(received_at) AS received_at,
               max(total_before) AS total_before, max(total_after) AS total_after,
               string_agg(CASE WHEN before <> after THEN syndrome || ' ' || before || '→' || after END, ', '
                          ORDER BY syndrome) AS changes
        FROM changed GROUP BY date, unit, revision
        ORDER BY received_at DESC, date DESC, unit
        LIMIT ?""", [*params, limit]).df()

