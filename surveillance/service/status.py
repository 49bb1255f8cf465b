"""What is in a store, for `surveillance status` and the service's status API."""

from __future__ import annotations

import json

import duckdb

from ..store.migrate import schema_version


def _records(con, sql: str, params=None) -> list[dict]:
    frame = con.execute(sql, params or []).df()
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def store_status(con: duckdb.DuckDBPyConnection, *, recent: int = 10) -> dict:
    first, last = con.execute("SELECT min(date), max(date) FROM observations").fetchone()
    revisions, = con.execute("SELECT count(*) FROM observations").fetchone()
    latest, = con.execute("SELECT count(*) FROM observations_latest").fetchone()
    return {
        "schema_version": schema_version(con),
        "regions": dict(con.execute("SELECT level, count(*) FROM regions GROUP BY level ORDER BY level").fetchall()),
        "units": con.execute("SELECT count(*) FROM units").fetchone()[0],
        "date_range": {"first": first.isoformat() if first else None, "last": last.isoformat() if last else None},
        "rows": {"latest": latest, "revisions": revisions},
        "syndromes": dict(con.execute(
            "SELECT syndrome, count(*) FROM observations_latest GROUP BY syndrome ORDER BY syndrome").fetchall()),
        "last_batches": _records(con, """
            SELECT batch_id, feed, source, status, rows_read, new_rows, revised_rows, unchanged_rows,
                   collapsed_rows, rejected_rows, message, received_at, finished_at
            FROM ingest_batches ORDER BY batch_id DESC LIMIT ?""", [recent]),
        "quarantine": {
            "rows": con.execute("SELECT count(*) FROM quarantine").fetchone()[0],
            "by_feed": dict(con.execute("SELECT feed, count(*) FROM quarantine GROUP BY feed ORDER BY feed").fetchall()),
            "top_fields": dict(con.execute(
                "SELECT coalesce(field, '?'), count(*) AS n FROM quarantine GROUP BY ALL ORDER BY n DESC LIMIT 10"
            ).fetchall()),
        },
        "feeds": _records(con, """
            SELECT feed, count(*) AS batches, count(*) FILTER (status = 'failed') AS failed_batches,
                   max(finished_at) AS last_batch_at,
                   max(CASE WHEN status <> 'failed' THEN finished_at END) AS last_good_batch_at
            FROM ingest_batches GROUP BY feed ORDER BY feed"""),
        "job_runs": _records(con, """
            SELECT run_id, job, started_at, finished_at, status, message
            FROM job_runs ORDER BY run_id DESC LIMIT ?""", [recent]),
    }


def daily_counts(con: duckdb.DuckDBPyConnection, *, days: int = 60, syndrome: str | None = None) -> list[dict]:
    """Per day over the last ``days`` days with data: visits per syndrome and all visits."""
    params: list = [days]
    where = ""
    if syndrome:
        where = "AND syndrome = ?"
        params.append(syndrome)
    return _records(con, f"""
        WITH last AS (SELECT max(date) AS d FROM observations)
        SELECT date::VARCHAR AS date, syndrome, sum(count)::BIGINT AS count, sum(total)::BIGINT AS total,
               count(DISTINCT unit) AS units_reporting
        FROM observations_latest, last
        WHERE date > last.d - ?::INTEGER {where}
        GROUP BY ALL ORDER BY date, syndrome""", params)
