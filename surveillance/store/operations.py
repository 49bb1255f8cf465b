"""The service's own records: ingest batches, quarantined rows, feeds, job runs, stored data quality,
and the store's summary for `surveillance status` and the status API."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd

from .counts import Within, _day, _units_within, daily_totals, date_range
from .migrate import schema_version
from .reference import reference_sizes
from .query import first_row


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def data_version(con) -> tuple:
    """Changes whenever a batch is stored (cached answers are keyed by it)."""
    return tuple(first_row(con, "SELECT count(*), max(batch_id), max(finished_at) FROM ingest_batches"))


def last_good_ingest(con) -> datetime | None:
    """When the newest batch that was not refused finished."""
    return first_row(con, "SELECT max(finished_at) FROM ingest_batches WHERE status <> 'failed'")[0]


def feed_days(con, start, end) -> pd.DataFrame:
    """``feed, date``: the days (of arrival) on which each feed delivered a good batch."""
    out = con.execute(
        "SELECT DISTINCT feed, CAST(received_at AS DATE) AS date FROM ingest_batches"
        " WHERE status IN ('loaded', 'partial') AND CAST(received_at AS DATE) BETWEEN ? AND ?",
        [_day(start), _day(end)]).df()
    out["date"] = pd.to_datetime(out["date"])
    return out


def feed_activity(con, since: datetime) -> pd.DataFrame:
    """Per feed seen: ``batches, failed, rows`` since ``since``, ``last_batch, last_good, last_message``."""
    return con.execute("""
        SELECT feed,
               count(*) FILTER (received_at >= ?) AS batches,
               count(*) FILTER (received_at >= ? AND status = 'failed') AS failed,
               coalesce(sum(new_rows + revised_rows) FILTER (received_at >= ?), 0) AS rows,
               max(finished_at) AS last_batch,
               max(finished_at) FILTER (status <> 'failed') AS last_good,
               arg_max(message, batch_id) AS last_message
        FROM ingest_batches GROUP BY feed""", [since, since, since]).df().set_index("feed")


def quarantined(con, *, within: Within = None, limit: int = 500) -> pd.DataFrame:
    """Quarantined rows, newest first. With ``within`` only rows whose unit lies in those regions (rows
    naming an unknown unit belong to no region: only a reader of everything sees them)."""
    params: list = []
    units = _units_within(within, params, unit="json_extract_string(q.raw, '$.unit')")
    return con.execute(f"""
        SELECT q.quarantined_at, q.feed, q.source, q.row_number, q.field, q.value, q.reason,
               json_extract_string(q.raw, '$.unit') AS unit
        FROM quarantine q WHERE true {units}
        ORDER BY q.quarantined_at DESC, q.batch_id DESC, q.row_number
        LIMIT ?""", [*params, limit]).df()


def job_runs(con, limit: int = 200) -> pd.DataFrame:
    """The newest job runs with how long each took (``seconds``)."""
    return con.execute("""
        SELECT run_id, job, started_at, finished_at, status, message, details,
               date_diff('millisecond', started_at, finished_at) / 1000.0 AS seconds
        FROM job_runs ORDER BY run_id DESC LIMIT ?""", [limit]).df()


def mark_interrupted_runs(cur) -> int:
    """Job runs left 'running' by a process that was killed: mark them failed."""
    n = first_row(cur, "SELECT count(*) FROM job_runs WHERE status = 'running'")[0]
    if n:
        cur.execute("UPDATE job_runs SET status = 'failed', finished_at = current_localtimestamp(),"
                    " message = 'interrupted: the process ended during the run' WHERE status = 'running'")
    return int(n)


def save_quality(cur, completeness: pd.DataFrame, as_of) -> int:
    """Store completeness rows (county level) not stored before for this as-of day; returns how many."""
    if not len(completeness):
        return 0
    frame = completeness.reindex(columns=["region", "date", "units_usual", "units_reporting", "completeness",
                                          "timeliness", "visits"]).copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    frame["level"] = "county"
    frame["as_of"] = _day(as_of)
    before = first_row(cur, "SELECT count(*) FROM data_quality")[0]
    cur.register("new_quality", frame)
    try:
        cur.execute(
            "INSERT INTO data_quality SELECT level, region, date, as_of, units_usual, units_reporting, completeness,"
            " timeliness, visits FROM new_quality n WHERE NOT EXISTS (SELECT 1 FROM data_quality q WHERE"
            " q.level = n.level AND q.region = n.region AND q.date = n.date AND q.as_of = n.as_of)")
    finally:
        cur.unregister("new_quality")
    return first_row(cur, "SELECT count(*) FROM data_quality")[0] - before


def observation_summary(con) -> dict:
    """Rows of the newest revisions, of all revisions, and the rows per syndrome. Every key has exactly one
    first revision, so counting those counts the keys without aggregating the revisions (40 times faster
    than counting ``observations_latest`` on the demo's 8 million rows)."""
    latest, revisions = first_row(con, "SELECT count(*) FILTER (revision = 1), count(*) FROM observations")
    syndromes = dict(con.execute(
        "SELECT syndrome, count(*) FROM observations WHERE revision = 1 GROUP BY syndrome ORDER BY syndrome").fetchall())
    return {"latest": latest, "revisions": revisions, "syndromes": syndromes}


def recent_batches(con, limit: int = 10) -> list[dict]:
    """The newest ingest batches with their row counts and messages, as records."""
    return _records(con.execute("""
        SELECT batch_id, feed, source, status, rows_read, new_rows, revised_rows, unchanged_rows,
               collapsed_rows, rejected_rows, message, received_at, finished_at
        FROM ingest_batches ORDER BY batch_id DESC LIMIT ?""", [limit]).df())


def feed_summary(con) -> list[dict]:
    """Per feed seen: ``batches, failed_batches, last_batch_at, last_good_batch_at``, as records."""
    return _records(con.execute("""
        SELECT feed, count(*) AS batches, count(*) FILTER (status = 'failed') AS failed_batches,
               max(finished_at) AS last_batch_at,
               max(CASE WHEN status <> 'failed' THEN finished_at END) AS last_good_batch_at
        FROM ingest_batches GROUP BY feed ORDER BY feed""").df())


def store_status(con, *, recent: int = 10) -> dict:
    """What is in the store: reference sizes, days, rows, the last batches, quarantine, feeds and job runs."""
    first, last = date_range(con)
    levels, units = reference_sizes(con)
    rows = observation_summary(con)
    return {
        "schema_version": schema_version(con),
        "regions": levels,
        "units": units,
        "date_range": {"first": first.isoformat() if first else None, "last": last.isoformat() if last else None},
        "rows": {"latest": rows["latest"], "revisions": rows["revisions"]},
        "syndromes": rows["syndromes"],
        "last_batches": recent_batches(con, recent),
        "quarantine": {
            "rows": first_row(con, "SELECT count(*) FROM quarantine")[0],
            "by_feed": dict(con.execute("SELECT feed, count(*) FROM quarantine GROUP BY feed ORDER BY feed").fetchall()),
            "top_fields": dict(con.execute(
                "SELECT coalesce(field, '?'), count(*) AS n FROM quarantine GROUP BY ALL ORDER BY n DESC LIMIT 10"
            ).fetchall()),
        },
        "feeds": feed_summary(con),
        "job_runs": _records(job_runs(con, recent).drop(columns=["details", "seconds"])),
    }


def daily_counts(con, *, days: int = 60, syndrome: str | None = None, within: Within = None) -> list[dict]:
    """Per day over the last ``days`` days with data (below ``within``): visits per syndrome and all visits,
    as records."""
    frame = daily_totals(con, days=days, syndrome=syndrome, within=within)
    frame["date"] = frame["date"].astype(str)
    return _records(frame)


def status_version(con) -> tuple:
    """What changes whenever the status page's and API's figures may: a stored batch (``data_version``),
    and the newest job run with when the last one finished (a run that ends changes its status)."""
    return (data_version(con), *first_row(con, "SELECT max(run_id), max(finished_at) FROM job_runs"))
