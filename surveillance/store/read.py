"""Reading: the latest (or as-of) counts, aggregated up the region hierarchy, as long tables or panels.

``as_of`` is a day: the answer is what the store had received by the end of that day,
so a backtest sees the partial counts a real run would have seen.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from ..vocabulary import ALL_AGES, PANEL_LEVELS
from ..errors import UnknownName
from ..panel import Panel, panel_from_long, to_weekly


def _as_of_end(as_of) -> datetime | None:
    if as_of is None:
        return None
    day = pd.Timestamp(as_of).date()
    return datetime.combine(day + timedelta(days=1), datetime.min.time())


def _in_list(column: str, values, params: list) -> str:
    if values is None:
        return ""
    values = [values] if isinstance(values, str) else list(values)
    params.extend(values)
    return f" AND {column} IN ({', '.join('?' for _ in values)})"


def read_counts(
    con: duckdb.DuckDBPyConnection,
    *,
    level: str = "county",
    syndromes=None,
    age_groups=None,
    start=None,
    end=None,
    as_of=None,
    within: str | list[str] | None = None,
) -> pd.DataFrame:
    """Long table ``date, region, syndrome, age_group, count, total`` at a hierarchy level.

    ``age_groups=None`` sums all ages into age group "all"; a list keeps those groups apart.
    ``within`` keeps only regions inside that region code (its subtree), or inside any of a list of codes.
    """
    if level not in PANEL_LEVELS:
        raise UnknownName(f"unknown region level {level!r}; valid levels: {', '.join(PANEL_LEVELS)}")
    params: list = []
    # Filters on the revision table go inside, so DuckDB prunes before aggregating revisions.
    filters = ""
    if start is not None:
        filters += " AND date >= ?"
        params.append(pd.Timestamp(start).date())
    if end is not None:
        filters += " AND date <= ?"
        params.append(pd.Timestamp(end).date())
    filters += _in_list("syndrome", syndromes, params)
    if age_groups is not None:
        filters += _in_list("age_group", age_groups, params)
    if within is not None:  # by unit, inside: revisions of other regions' units are never aggregated
        codes = [within] if isinstance(within, str) else list(within)
        if not codes:
            raise ValueError("within: an empty list of regions")
        filters += (" AND unit IN (SELECT unit FROM unit_regions"
                    " WHERE list_has_any([facility, county, city, province], ?::VARCHAR[]))")
        params.append(codes)
    if as_of is not None:
        filters += " AND received_at < ?"
        params.append(_as_of_end(as_of))
        known = (
            "SELECT date, unit, syndrome, age_group, max_by(count, revision) AS count,"
            f" arg_max_null(total, revision) AS total FROM observations WHERE true {filters} GROUP BY ALL"
        )
    else:
        known = f"SELECT date, unit, syndrome, age_group, count, total FROM observations_latest WHERE true {filters}"
    age = "k.age_group" if age_groups is not None else f"'{ALL_AGES}'"
    sql = f"""
        SELECT k.date, ur.{level} AS region, k.syndrome, {age} AS age_group,
               sum(k.count)::DOUBLE AS count, sum(k.total)::DOUBLE AS total
        FROM ({known}) k
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
    within: str | None = None,
    freq: str = "daily",
) -> Panel:
    """The counts of :func:`read_counts` as a panel keyed by (region, syndrome, age_group).

    Days on which no unit of a region reported are NaN (missing), not zero.
    """
    long = read_counts(
        con, level=level, syndromes=syndromes, age_groups=age_groups,
        start=start, end=end, as_of=as_of, within=within,
    )
    if end is None and as_of is not None:
        end = pd.Timestamp(as_of)
    panel = panel_from_long(long, ["region", "syndrome", "age_group"], start=start, end=end)
    panel.attrs.update(level=level, as_of=None if as_of is None else str(pd.Timestamp(as_of).date()))
    if freq == "weekly":
        panel = to_weekly(panel)
    return panel


def date_range(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    return tuple(con.execute("SELECT min(date), max(date) FROM observations").fetchone())
