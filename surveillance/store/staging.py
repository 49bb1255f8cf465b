"""Validation of a staged batch, set-based in DuckDB against the stored units and regions: every row gets
its first problem, or none.

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

from ..vocabulary import ALL_AGES, REQUIRED_COLUMNS

MALFORMED = "_malformed"  # the column a file reader fills with why a line could not be parsed
DELIVERY = "_delivery"  # the column saying which of several deliveries judged together a row came in

# Date formats accepted from feeds; a timestamp at midnight (in the service's time zone) is a date too.
DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]
# Age group values that mean "not given" (pandas, R and spreadsheets write them for a missing value).
MISSING_WORDS = ("na", "n/a", "nan", "null", "none", "-", "#n/a")
EARLIEST_DATE = "1990-01-01"  # older dates are typos of the year, not surveillance data
MAX_COUNT = 1_000_000_000  # beyond INTEGER; no facility sees a billion visits in a day


INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT")


def _text(column: str) -> str:
    return f"nullif(trim({column}::VARCHAR), '')"


def _date_sql(column: str, kind: str, zone: str) -> dict[str, str]:
    """Raw text, missing flag, date (``d_day``) and time of day (``d_at``) of a date column, by its type.

    A date is a day; a timestamp is a day only at midnight in the service's time zone ``zone``: a
    time-zone-aware value (a Parquet timestamp with a zone, ``2026-10-31T16:00:00Z``) is first
    converted to that zone (never the host's), a naive one is taken as that zone's wall-clock time.
    ``d_at`` is the local timestamp of a timestamp value (NULL for a plain date); the caller keeps
    its day when it is midnight and refuses it otherwise. Text is parsed with a 4-digit year
    required, so that '26-11-02' is refused rather than read as year 26.
    """
    local = f"timezone({_sql_str(zone)}, {column})"
    if kind == "DATE":
        return {"d_day": f"{column}::DATE", "d_at": "NULL::TIMESTAMP", "d_missing": f"{column} IS NULL",
                "d_raw": f"{column}::VARCHAR"}
    if kind.startswith("TIMESTAMP"):
        at = local if "TIME ZONE" in kind else f"{column}::TIMESTAMP"
        return {"d_day": "NULL::DATE", "d_at": at, "d_missing": f"{column} IS NULL", "d_raw": f"{column}::VARCHAR"}
    text = _text(column)
    formats = "[" + ", ".join(map(_sql_str, DATE_FORMATS)) + "]"
    day = (f"CASE WHEN regexp_matches({text}, '^\\d{{4}}[-/]?\\d') AND length({text}) <= 10 THEN "
           f"coalesce(try_cast({text} AS DATE), try_strptime({text}, {formats})::DATE) END")
    # a date with a time of day: ISO 8601 with either separator, seconds optional, a zone optional
    stamp = f"replace({text}, '/', '-')"
    zoned = f"regexp_matches({text}, '(Z|[+-]\\d{{2}}(:?\\d{{2}})?)$')"
    at = (f"CASE WHEN length({text}) > 10 AND regexp_matches({text}, '^\\d{{4}}[-/]\\d{{1,2}}[-/]\\d{{1,2}}[ T]\\d') THEN "
          f"CASE WHEN {zoned} THEN timezone({_sql_str(zone)}, try_cast({stamp} AS TIMESTAMPTZ)) "
          f"ELSE try_cast({stamp} AS TIMESTAMP) END END")
    return {"d_day": day, "d_at": at, "d_missing": f"{text} IS NULL", "d_raw": text}


def _number_sql(column: str, kind: str, prefix: str) -> dict[str, str]:
    """Value (DOUBLE, NULL when not a finite number), missing flag and raw text of a count column."""
    if kind in INTEGER_TYPES:
        value = f"{column}::DOUBLE"
        missing = f"{column} IS NULL"
    elif kind in ("FLOAT", "DOUBLE") or kind.startswith("DECIMAL"):
        value = f"CASE WHEN isfinite({column}::DOUBLE) THEN {column}::DOUBLE END"
        missing = f"{column} IS NULL"
    else:
        number = f"try_cast({_text(column)} AS DOUBLE)"
        value = f"CASE WHEN isfinite({number}) THEN {number} END"
        missing = f"{_text(column)} IS NULL"
    return {prefix: value, f"{prefix}_missing": missing, f"{prefix}_raw": _text(column)}


def _code_sql(column: str, known: list[str], lower: bool = False) -> str:
    """A code column; clean values skip the trimming (most rows of most feeds are clean)."""
    cleaned = f"lower({_text(column)})" if lower else _text(column)
    return f"CASE WHEN {column}::VARCHAR IN ({', '.join(map(_sql_str, known))}) THEN {column}::VARCHAR ELSE {cleaned} END"


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _shown(expr: str) -> str:
    """A received value as a reason quotes it: on one line, and cut short when long (a 1 MB field
    must not make a 1 MB reason)."""
    flat = f"regexp_replace({expr}, '[\\r\\n\\t]+', ' ', 'g')"
    return f"CASE WHEN length({expr}) > 80 THEN left({flat}, 80) || '...' ELSE {flat} END"


def _checks(has_total: bool, has_region: bool, has_malformed: bool, syndromes: list[str], age_groups: list[str],
            today: date, zone: str):
    """(field, condition, reason expression) in the order rows are judged."""
    known_syndromes = ", ".join(syndromes)
    known_ages = ", ".join(age_groups)
    q = "'''"  # a quote inside a SQL string
    d_raw, c_raw, t_raw, u, s, a, r = (_shown(x) for x in ("d_raw", "c_raw", "t_raw", "u", "s", "a", "r"))
    checks = [
        ("row", "m IS NOT NULL", "m"),
    ] if has_malformed else []
    checks += [
        ("date", "d_missing", "'date is missing'"),
        ("date", "d_at::TIME <> TIME '00:00:00'",
         f"'date {q} || {d_raw} || {q} has a time of day (' || strftime(d_at, '%H:%M:%S') || ' in {zone}); "
         "a timestamp is taken as a date only at midnight: send the day as YYYY-MM-DD'"),
        ("date", "d IS NULL", f"'date {q} || {d_raw} || {q} is not a date; use YYYY-MM-DD or YYYY/MM/DD'"),
        ("date", f"d < DATE '{EARLIEST_DATE}'",
         f"'date ' || d::VARCHAR || ' is before {EARLIEST_DATE}; check the year'"),
        ("date", f"d > DATE '{today.isoformat()}'",
         f"'date ' || d::VARCHAR || ' is in the future (today is {today.isoformat()})'"),
        ("unit", "u IS NULL", "'unit is missing'"),
        ("unit", "NOT unit_known",
         f"'unknown reporting unit {q} || {u} || {q}; add it to the units file or correct the code'"),
        ("syndrome", "s IS NULL", "'syndrome is missing'"),
        ("syndrome", f"s NOT IN ({', '.join(map(_sql_str, syndromes))})",
         f"'unknown syndrome {q} || {s} || {q}; known syndromes: {known_syndromes}'"),
        ("age_group", "a IS NULL",
         f"'age group is missing; give one of {known_ages} (all: the unit''s visits of every age), "
         "or set the feed''s default_age_group'"),
        ("age_group", f"a NOT IN ({', '.join(map(_sql_str, age_groups))})",
         f"'unknown age group {q} || {a} || {q}; known age groups: {known_ages}'"),
        ("count", "c_missing", "'count is missing'"),
        ("count", "c IS NULL", f"'count {q} || {c_raw} || {q} is not a number'"),
        ("count", "c <> floor(c)", f"'count ' || {c_raw} || ' is not a whole number'"),
        ("count", "c < 0", f"'count ' || {c_raw} || ' is negative'"),
        ("count", f"c > {MAX_COUNT}", f"'count ' || {c_raw} || ' is implausibly large'"),
    ]
    if has_total:
        checks += [
            ("total", "NOT t_missing AND t IS NULL", f"'total {q} || {t_raw} || {q} is not a number'"),
            ("total", "t <> floor(t)", f"'total ' || {t_raw} || ' is not a whole number'"),
            ("total", "t < 0", f"'total ' || {t_raw} || ' is negative'"),
            ("total", f"t > {MAX_COUNT}", f"'total ' || {t_raw} || ' is implausibly large'"),
            ("count", "c > t", f"'count ' || {c_raw} || ' is more than total visits ' || {t_raw}"),
        ]
    if has_region:
        checks += [
            ("region", "NOT region_known", f"'unknown region {q} || {r} || {q}'"),
            ("region", "NOT unit_in_region",
             f"'unit {q} || {u} || {q} is not in region {q} || {r} || {q}'"),
        ]
    return checks


@dataclass
class Validation:
    """Findings of one batch. Valid rows are left in the temp view ``valid_rows``."""

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
    default_age_group: str | None = None,
    timezone: str = "Asia/Shanghai",
) -> Validation:
    """Judge the rows of ``raw_table`` (canonical column names, text or typed values, ``_row`` numbers).

    Leaves the typed good rows in the temp view ``valid_rows`` on the same connection, for the
    writer; :func:`drop_validation_objects` removes it afterwards. A row without an age group takes
    ``default_age_group`` when the feed sets one and is refused otherwise; a batch without an age
    group column is all ages (``default_age_group``, else ``all``). Timestamps are dates at midnight
    in ``timezone`` (the service's), see :func:`_date_sql`.
    """
    quarantined = judge_rows(cur, raw_table, syndromes=syndromes, age_groups=age_groups, today=today,
                             default_age_group=default_age_group, timezone=timezone)
    rows_read = cur.execute(f"SELECT count(*) FROM {raw_table}").fetchall()[0][0]
    collapsed = cur.execute(
        "SELECT coalesce(sum(copies - 1), 0) FROM repeated_keys WHERE versions = 1").fetchall()[0][0]
    return Validation(rows_read=rows_read, valid_rows=rows_read - len(quarantined) - collapsed,
                      collapsed_rows=int(collapsed), quarantined=quarantined.drop(columns=[DELIVERY]))


def judge_rows(
    cur: duckdb.DuckDBPyConnection,
    raw_table: str,
    *,
    syndromes: list[str],
    age_groups: list[str],
    today: date,
    default_age_group: str | None = None,
    timezone: str = "Asia/Shanghai",
) -> pd.DataFrame:
    """The work of :func:`validate`, for one batch or for several deliveries at once.

    When ``raw_table`` has a ``_delivery`` column (which delivery of several each row came in), every
    rule that compares rows with one another (duplicates, all ages mixed with age groups) compares the
    rows of one delivery only, and ``valid_rows`` and ``repeated_keys`` carry it; without one, the
    rows are one delivery, 0. Returns the refused rows (``_delivery``, row_number, field, value,
    reason, raw), ordered by delivery and row. Rows mixing with the store are judged against what
    was stored before all of them.
    """
    types = dict(cur.execute(f"SELECT column_name, column_type FROM (DESCRIBE {raw_table})").fetchall())
    delivery = DELIVERY if DELIVERY in types else "0"
    missing = [c for c in REQUIRED_COLUMNS if c not in types]
    if missing:
        raise ValueError(f"raw rows lack required column(s) {missing}")  # the caller checks first
    has_total, has_region = "total" in types, "region" in types
    has_malformed = MALFORMED in types
    sql = {**_date_sql("date", types["date"], timezone), **_number_sql("count", types["count"], "c")}
    if has_total:
        sql.update(_number_sql("total", types["total"], "t"))
    else:
        sql.update(t="NULL::DOUBLE", t_missing="true", t_raw="NULL::VARCHAR")
    sql["u"] = _text("unit")
    sql["s"] = _code_sql("syndrome", syndromes, lower=True)
    if "age_group" in types:  # "NA" and the like are no age group; without a default they are refused
        words = ", ".join(map(_sql_str, MISSING_WORDS))
        age = f"CASE WHEN lower({_text('age_group')}) IN ({words}) THEN NULL ELSE {_code_sql('age_group', age_groups)} END"
        sql["a"] = f"coalesce({age}, {_sql_str(default_age_group)})" if default_age_group else age
    else:
        sql["a"] = _sql_str(default_age_group or ALL_AGES)
    sql["a_raw"] = _text("age_group") if "age_group" in types else "NULL::VARCHAR"
    sql["r"] = _text("region") if has_region else "NULL::VARCHAR"
    sql["m"] = MALFORMED if has_malformed else "NULL::VARCHAR"
    checks = _checks(has_total, has_region, has_malformed, syndromes, age_groups, today, timezone)
    # Judge every row with one cheap CASE giving the number of its first failing check;
    # the field, value and reason are spelled out only for the rows that fail.
    problem_case = " ".join(f"WHEN {cond} THEN {i}" for i, (_, cond, _) in enumerate(checks))
    value_of = {"date": "d_raw", "unit": "u", "syndrome": "s", "age_group": "coalesce(a, a_raw)", "count": "c_raw",
                "total": "t_raw", "region": "r", "row": "m"}
    field_case = " ".join(f"WHEN {i} THEN {_sql_str(fld)}" for i, (fld, _, _) in enumerate(checks))
    reason_case = " ".join(f"WHEN {i} THEN {reason}" for i, (_, _, reason) in enumerate(checks))
    value_case = " ".join(f"WHEN {i} THEN {value_of[fld]}" for i, (fld, _, _) in enumerate(checks))
    region_known = "r IS NULL OR r IN (SELECT code FROM regions UNION SELECT code FROM units)"
    unit_in_region = "r IS NULL OR r IN (ur.facility, ur.county, ur.city, ur.province)"
    parsed = ",\n                   ".join(f"{expr} AS {name}" for name, expr in sql.items())
    raw_delivery = f"raw.{DELIVERY}" if delivery == DELIVERY else "0"
    received = ", ".join(f'"{name}" := raw."{name}"' for name in types if name not in ("_row", MALFORMED, DELIVERY))
    # One pass parses and judges every row into a narrow typed table; the reasons are
    # spelled out only for the rows that fail (CASE evaluates a branch only where it matches).
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE findings AS
        WITH parsed AS (
            SELECT _row, {delivery} AS _delivery,
                   {parsed}
            FROM {raw_table}
        ),
        judged AS (
            SELECT p.*, p.u IN (SELECT code FROM units) AS unit_known,
                   CASE WHEN p.d_at IS NULL THEN p.d_day WHEN p.d_at::TIME = TIME '00:00:00' THEN p.d_at::DATE
                   END AS d,
                   {region_known if has_region else "true"} AS region_known,
                   {unit_in_region if has_region else "true"} AS unit_in_region
            FROM parsed p {"LEFT JOIN unit_regions ur ON ur.unit = p.u" if has_region else ""}
        ),
        numbered AS (
            SELECT *, CASE {problem_case} END AS problem FROM judged
        )
        SELECT _delivery, _row, d, u, s, a, c, t, problem,
               CASE problem {field_case} END AS problem_field,
               CASE problem {value_case} END AS problem_value,
               CASE problem {reason_case} END AS problem_reason,
               CASE WHEN problem IS NULL THEN NULL ELSE c_raw END AS c_raw
        FROM numbered
        """
    )
    _refuse_mixed_ages(cur, problem=len(checks))
    # Duplicates among good rows: identical ones collapse, conflicting ones are refused.
    # A hash of the key finds candidates in one cheap pass; real batches rarely have any.
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE repeated_hashes AS SELECT hash(_delivery, d, u, s, a) AS h FROM findings"
        " WHERE problem IS NULL GROUP BY h HAVING count(*) > 1"
    )
    candidates = cur.execute("SELECT count(*) FROM repeated_hashes").fetchall()[0][0]
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE repeated_keys AS
        SELECT _delivery, d, u, s, a, count(*) AS copies, count(DISTINCT (c, t)) AS versions,
               min(_row) AS first_row, string_agg(_row::VARCHAR, ', ' ORDER BY _row) AS key_rows
        FROM findings
        WHERE {"problem IS NULL AND hash(_delivery, d, u, s, a) IN (SELECT h FROM repeated_hashes)"
               if candidates else "false"}
        GROUP BY _delivery, d, u, s, a HAVING count(*) > 1
        """
    )
    cur.execute("DROP TABLE repeated_hashes")
    cur.execute(
        """
        CREATE OR REPLACE TEMP VIEW valid_rows AS
        SELECT f.d AS date, f.u AS unit, f.s AS syndrome, f.a AS age_group,
               f.c::INTEGER AS count, f.t::INTEGER AS total, f._delivery AS delivery,
               f._row AS source_row
        FROM findings f LEFT JOIN repeated_keys k USING (_delivery, d, u, s, a)
        WHERE f.problem IS NULL AND (k.versions IS NULL OR (k.versions = 1 AND f._row = k.first_row))
        """
    )
    quarantined = cur.execute(
        f"""
        WITH refused AS (
            SELECT _delivery, _row, problem_field AS field, problem_value AS value, problem_reason AS reason
            FROM findings WHERE problem IS NOT NULL
            UNION ALL
            SELECT f._delivery, f._row, 'count', f.c::BIGINT::VARCHAR,
                   'conflicting duplicates: rows ' || k.key_rows || ' give different counts for '
                   || f.d::VARCHAR || ', unit ' || f.u || ', ' || f.s || ', age ' || f.a || '; send one value per day'
            FROM findings f JOIN (SELECT * FROM repeated_keys WHERE versions > 1) k USING (_delivery, d, u, s, a)
            WHERE f.problem IS NULL
        )
        SELECT refused._delivery, refused._row AS row_number, field, value, reason,
               to_json(struct_pack({received})) AS raw
        FROM refused JOIN {raw_table} raw ON raw._row = refused._row AND {raw_delivery} = refused._delivery
        ORDER BY 1, 2
        """
    ).df()
    return quarantined


def _refuse_mixed_ages(cur: duckdb.DuckDBPyConnection, *, problem: int) -> None:
    """A unit's day and syndrome comes as all ages or by age group, never both: read together, the
    all-ages row and the age groups would count the same visits twice. Within the batch every row
    of such a key is refused (nobody can tell which is right); a row that would mix with what is
    stored is refused and the stored rows stay. Costs one scan of the good rows when the batch holds
    one kind only, and a look at the stored rows of its days."""
    has_all, has_ages, lo, hi = cur.execute(
        f"SELECT bool_or(a = '{ALL_AGES}'), bool_or(a <> '{ALL_AGES}'), min(d), max(d) FROM findings"
        " WHERE problem IS NULL").fetchall()[0]
    if lo is None:
        return
    stored_kinds = [kind for kind, present in (("true", has_ages), ("false", has_all)) if present]
    within = f"""
        SELECT f._delivery, f._row, 'unit ' || f.u || ' on ' || f.d::VARCHAR || ' (' || f.s || ') is given for all ages and by'
               || ' age group (rows ' || k.key_rows || '); send one or the other: read together they count the'
               || ' same visits twice' AS reason
        FROM findings f JOIN (
            SELECT _delivery, d, u, s, string_agg(_row::VARCHAR, ', ' ORDER BY _row) AS key_rows FROM findings
            WHERE problem IS NULL GROUP BY _delivery, d, u, s
            HAVING bool_or(a = '{ALL_AGES}') AND bool_or(a <> '{ALL_AGES}')) k USING (_delivery, d, u, s)
        WHERE f.problem IS NULL"""
    against_store = f"""
        SELECT f._delivery, f._row, 'unit ' || f.u || ' on ' || f.d::VARCHAR || ' (' || f.s || ') already has '
               || CASE WHEN f.a = '{ALL_AGES}' THEN 'visits by age group stored; an all-ages row would count them'
                       || ' twice: send the age groups'
                       ELSE 'an all-ages row stored; rows by age group would count it twice: send all ages' END
               AS reason
        FROM findings f SEMI JOIN (
            SELECT DISTINCT date AS d, unit AS u, syndrome AS s, age_group = '{ALL_AGES}' AS stored_all
            FROM observations WHERE date BETWEEN ? AND ? AND (age_group = '{ALL_AGES}') IN ({", ".join(stored_kinds)})
        ) o ON o.d = f.d AND o.u = f.u AND o.s = f.s AND o.stored_all = (f.a <> '{ALL_AGES}')
        WHERE f.problem IS NULL"""
    parts = ([within] if has_all and has_ages else []) + [against_store]
    cur.execute(f"CREATE OR REPLACE TEMP TABLE mixed_rows AS SELECT _delivery, _row, min(reason) AS reason FROM"
                f" ({' UNION ALL '.join(parts)}) GROUP BY _delivery, _row", [lo, hi])
    cur.execute(
        f"UPDATE findings SET problem = {problem}, problem_field = 'age_group', problem_value = findings.a,"
        " problem_reason = m.reason FROM mixed_rows m WHERE findings._row = m._row AND findings._delivery = m._delivery")
    cur.execute("DROP TABLE mixed_rows")


def drop_validation_objects(cur: duckdb.DuckDBPyConnection) -> None:
    """Remove the views and tables :func:`validate` left for the writer."""
    cur.execute("DROP VIEW IF EXISTS valid_rows")
    cur.execute("DROP TABLE IF EXISTS findings")
    cur.execute("DROP TABLE IF EXISTS repeated_keys")
