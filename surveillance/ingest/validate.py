"""Row validation, set-based in DuckDB: every row gets its first problem, or none.

Each check is one line of the table below: the field it concerns, the condition that
makes a row bad, and the reason shown to the person who must fix the source. Rows
without a problem are typed and kept; duplicates of one key within a batch are
collapsed when identical and all refused when they disagree (we cannot know which is
right). Validation returns findings; it never raises for a bad row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from ..codes import REQUIRED_COLUMNS
from .files import MALFORMED

# Date formats accepted from feeds; a timestamp at midnight is a date too.
DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%d"]
MAX_COUNT = 1_000_000_000  # beyond INTEGER; no facility sees a billion visits in a day


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _checks(has_total: bool, has_region: bool, has_malformed: bool, syndromes: list[str], age_groups: list[str], today: date):
    """(field, condition, reason expression) in the order rows are judged."""
    known_syndromes = ", ".join(syndromes)
    known_ages = ", ".join(age_groups)
    q = "'''"  # a quote inside a SQL string
    checks = [
        ("row", "m IS NOT NULL",
         "'the line does not have the header''s number of fields: ' || left(m, 120)"),
    ] if has_malformed else []
    checks += [
        ("date", "d_raw IS NULL", "'date is missing'"),
        ("date", "d IS NULL", f"'date {q} || d_raw || {q} is not a date; use YYYY-MM-DD or YYYY/MM/DD'"),
        ("date", f"d > DATE '{today.isoformat()}'",
         f"'date ' || d::VARCHAR || ' is in the future (today is {today.isoformat()})'"),
        ("unit", "u IS NULL", "'unit is missing'"),
        ("unit", "NOT unit_known",
         f"'unknown reporting unit {q} || u || {q}; add it to the units file or correct the code'"),
        ("syndrome", "s IS NULL", "'syndrome is missing'"),
        ("syndrome", f"s NOT IN ({', '.join(map(_sql_str, syndromes))})",
         f"'unknown syndrome {q} || s || {q}; known syndromes: {known_syndromes}'"),
        ("age_group", f"a NOT IN ({', '.join(map(_sql_str, age_groups))})",
         f"'unknown age group {q} || a || {q}; known age groups: {known_ages}'"),
        ("count", "c_raw IS NULL", "'count is missing'"),
        ("count", "c IS NULL", f"'count {q} || c_raw || {q} is not a number'"),
        ("count", "c <> floor(c)", "'count ' || c_raw || ' is not a whole number'"),
        ("count", "c < 0", "'count ' || c_raw || ' is negative'"),
        ("count", f"c > {MAX_COUNT}", "'count ' || c_raw || ' is implausibly large'"),
    ]
    if has_total:
        checks += [
            ("total", "t_raw IS NOT NULL AND t IS NULL", f"'total {q} || t_raw || {q} is not a number'"),
            ("total", "t <> floor(t)", "'total ' || t_raw || ' is not a whole number'"),
            ("total", "t < 0", "'total ' || t_raw || ' is negative'"),
            ("total", f"t > {MAX_COUNT}", "'total ' || t_raw || ' is implausibly large'"),
            ("count", "c > t", "'count ' || c_raw || ' is more than total visits ' || t_raw"),
        ]
    if has_region:
        checks += [
            ("region", "NOT region_known", f"'unknown region {q} || r || {q}'"),
            ("region", "NOT unit_in_region",
             f"'unit {q} || u || {q} is not in region {q} || r || {q}'"),
        ]
    return checks


@dataclass
class Validation:
    """Findings of one batch. Valid rows are left in the temp table ``valid_rows``."""

    rows_read: int
    valid_rows: int
    collapsed_rows: int
    quarantined: pd.DataFrame  # row_number, field, value, reason, raw


def validate(
    cur: duckdb.DuckDBPyConnection,
    raw_table: str,
    *,
    syndromes: list[str],
    age_groups: list[str],
    today: date,
    default_age_group: str = "all",
) -> Validation:
    """Judge the rows of ``raw_table`` (canonical column names, values as text, ``_row`` numbers).

    Leaves the typed good rows in the temp table ``valid_rows`` on the same connection.
    """
    columns = {name for (name,) in cur.execute(f"SELECT column_name FROM (DESCRIBE {raw_table})").fetchall()}
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ValueError(f"raw rows lack required column(s) {missing}")  # the caller checks first
    has_total, has_region = "total" in columns, "region" in columns
    has_malformed = MALFORMED in columns
    age_expr = "nullif(trim(age_group::VARCHAR), '')" if "age_group" in columns else "NULL"
    formats = "[" + ", ".join(map(_sql_str, DATE_FORMATS)) + "]"
    checks = _checks(has_total, has_region, has_malformed, syndromes, age_groups, today)
    # Judge every row with one cheap CASE giving the number of its first failing check;
    # the field, value and reason are spelled out only for the rows that fail.
    problem_case = " ".join(f"WHEN {cond} THEN {i}" for i, (_, cond, _) in enumerate(checks))
    value_of = {"date": "d_raw", "unit": "u", "syndrome": "s", "age_group": "a", "count": "c_raw",
                "total": "t_raw", "region": "r", "row": "m"}
    field_case = " ".join(f"WHEN {i} THEN {_sql_str(fld)}" for i, (fld, _, _) in enumerate(checks))
    reason_case = " ".join(f"WHEN {i} THEN {reason}" for i, (_, _, reason) in enumerate(checks))
    value_case = " ".join(f"WHEN {i} THEN {value_of[fld]}" for i, (fld, _, _) in enumerate(checks))
    region_known = "r IS NULL OR r IN (SELECT code FROM regions UNION SELECT code FROM units)"
    unit_in_region = "r IS NULL OR r IN (ur.facility, ur.county, ur.city, ur.province)"
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE findings AS
        WITH parsed AS (
            SELECT _row,
                   nullif(trim(date::VARCHAR), '') AS d_raw,
                   coalesce(try_cast(nullif(trim(date::VARCHAR), '') AS DATE),
                            try_strptime(nullif(trim(date::VARCHAR), ''), {formats})::DATE) AS d,
                   nullif(trim(unit::VARCHAR), '') AS u,
                   lower(nullif(trim(syndrome::VARCHAR), '')) AS s,
                   coalesce({age_expr}, {_sql_str(default_age_group)}) AS a,
                   nullif(trim(count::VARCHAR), '') AS c_raw,
                   try_cast(nullif(trim(count::VARCHAR), '') AS DOUBLE) AS c,
                   {"nullif(trim(total::VARCHAR), '')" if has_total else "NULL::VARCHAR"} AS t_raw,
                   {"try_cast(nullif(trim(total::VARCHAR), '') AS DOUBLE)" if has_total else "NULL::DOUBLE"} AS t,
                   {"nullif(trim(region::VARCHAR), '')" if has_region else "NULL::VARCHAR"} AS r,
                   {MALFORMED if has_malformed else "NULL::VARCHAR"} AS m
            FROM {raw_table}
        ),
        judged AS (
            SELECT p.*, ur.unit IS NOT NULL AS unit_known,
                   {region_known if has_region else "true"} AS region_known,
                   {unit_in_region if has_region else "true"} AS unit_in_region
            FROM parsed p LEFT JOIN unit_regions ur ON ur.unit = p.u
        )
        SELECT _row, d, u, s, a, c, t, d_raw, c_raw, t_raw, r, m, CASE {problem_case} END AS problem
        FROM judged
        """
    )
    # Duplicates among otherwise good rows: identical ones collapse, conflicting ones are refused.
    # Grouping first keeps this cheap: real batches have few or no repeated keys.
    cur.execute(
        """
        CREATE OR REPLACE TEMP TABLE repeated_keys AS
        WITH repeated AS (
            SELECT d, u, s, a FROM findings WHERE problem IS NULL GROUP BY d, u, s, a HAVING count(*) > 1
        )
        SELECT d, u, s, a, count(DISTINCT (f.c, f.t)) AS versions, min(f._row) AS first_row,
               string_agg(f._row::VARCHAR, ', ' ORDER BY f._row) AS key_rows
        FROM findings f JOIN repeated USING (d, u, s, a)
        WHERE f.problem IS NULL
        GROUP BY d, u, s, a
        """
    )
    cur.execute(
        """
        CREATE OR REPLACE TEMP TABLE valid_rows AS
        SELECT f.d AS date, f.u AS unit, f.s AS syndrome, f.a AS age_group, f.c::INTEGER AS count, f.t::INTEGER AS total
        FROM findings f LEFT JOIN repeated_keys k USING (d, u, s, a)
        WHERE f.problem IS NULL AND (k.versions IS NULL OR (k.versions = 1 AND f._row = k.first_row))
        """
    )
    quarantined = cur.execute(
        f"""
        WITH refused AS (
            SELECT _row, CASE problem {field_case} END AS field, CASE problem {value_case} END AS value,
                   CASE problem {reason_case} END AS reason
            FROM findings WHERE problem IS NOT NULL
            UNION ALL
            SELECT f._row, 'count', f.c_raw,
                   'conflicting duplicates: rows ' || k.key_rows || ' give different counts for '
                   || f.d::VARCHAR || ', unit ' || f.u || ', ' || f.s || ', age ' || f.a || '; send one value per day'
            FROM findings f JOIN repeated_keys k USING (d, u, s, a)
            WHERE f.problem IS NULL AND k.versions > 1
        )
        SELECT refused._row AS row_number, field, value, reason, to_json(raw) AS raw
        FROM refused JOIN {raw_table} raw ON raw._row = refused._row
        ORDER BY 1
        """
    ).df()
    rows_read, valid_rows, collapsed = cur.execute(
        "SELECT (SELECT count(*) FROM findings), (SELECT count(*) FROM valid_rows),"
        " (SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM findings f"
        "  JOIN repeated_keys k USING (d, u, s, a) WHERE f.problem IS NULL AND k.versions = 1 GROUP BY d, u, s, a))"
    ).fetchone()
    for table in ("findings", "repeated_keys"):
        cur.execute(f"DROP TABLE {table}")
    return Validation(rows_read=rows_read, valid_rows=valid_rows, collapsed_rows=collapsed, quarantined=quarantined)
