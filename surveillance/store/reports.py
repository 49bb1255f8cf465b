"""Stored weekly reports (table ``reports``): saved by the report job and the CLI, listed and served by
the dashboard's Reports page."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd

from .query import first_row

LIST_COLUMNS = ["report_id", "region", "week", "language", "exact", "created_at"]


def save_report(cur, *, region: str | None, week: str, language: str, exact: bool, html: str,
                pdf: bytes | None, summary: dict | None = None, now: datetime | None = None) -> int:
    """Store one report; returns its id. A report of the same region, week, language and exactness
    replaces the one before (the newest build of a week is the week's report)."""
    now = now or datetime.now()
    cur.execute("DELETE FROM reports WHERE region IS NOT DISTINCT FROM ? AND week = ? AND language = ? AND exact = ?",
                [region, week, language, exact])
    return int(first_row(cur, "INSERT INTO reports (region, week, language, exact, created_at, summary, html, pdf)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING report_id",
                         [region, week, language, exact, now, json.dumps(summary or {}, default=str), html,
                          pdf])[0])


def list_reports(con, *, limit: int = 500) -> pd.DataFrame:
    """Every stored report's :data:`LIST_COLUMNS` and whether it has a PDF (``has_pdf``), newest week first."""
    return con.execute(f"SELECT {', '.join(LIST_COLUMNS)}, pdf IS NOT NULL AS has_pdf FROM reports"
                       " ORDER BY week DESC, created_at DESC, report_id DESC LIMIT ?", [limit]).df()


def report_by_id(con, report_id: int) -> dict | None:
    """One report with its ``html`` and ``pdf`` (bytes or None), or None when there is none."""
    rows = con.execute("SELECT report_id, region, week, language, exact, created_at, summary, html, pdf"
                       " FROM reports WHERE report_id = ?", [int(report_id)]).fetchall()
    if not rows:
        return None
    keys = ["report_id", "region", "week", "language", "exact", "created_at", "summary", "html", "pdf"]
    out = dict(zip(keys, rows[0]))
    out["summary"] = json.loads(out["summary"]) if out["summary"] else {}
    out["pdf"] = bytes(out["pdf"]) if out["pdf"] is not None else None
    return out


def find_report(con, *, region: str | None, week: str, language: str, exact: bool) -> int | None:
    """The id of the stored report of that region, week, language and exactness, or None."""
    row = first_row(con, "SELECT max(report_id) FROM reports WHERE region IS NOT DISTINCT FROM ? AND week = ?"
                         " AND language = ? AND exact = ?", [region, week, language, exact])
    return int(row[0]) if row and row[0] is not None else None


def alert_events_between(con, start, end) -> pd.DataFrame:
    """The alert events of the days ``[start, end]`` (a person's by the day of their time) with their
    episode's ``kind, level, region, syndrome, severity, opened_on, state, outcome``, in order."""
    return con.execute("""
        SELECT v.event_id, v.episode_id, coalesce(v.day, CAST(v.at_time AS DATE)) AS day, v.user_name, v.action,
               v.from_state, v.to_state, v.severity AS event_severity, e.kind, e.level, e.region, e.syndrome,
               e.severity, e.opened_on, e.ended_on, e.state, e.outcome
        FROM alert_events v JOIN alert_episodes e USING (episode_id)
        WHERE coalesce(v.day, CAST(v.at_time AS DATE)) BETWEEN ? AND ?
        ORDER BY v.event_id""", [pd.Timestamp(start).date(), pd.Timestamp(end).date()]).df()


def quarantined_between(con, start, end, *, within=None) -> int:
    """Rows quarantined on the days ``[start, end]`` (below ``within``: rows naming one of its units)."""
    from .counts import _units_within

    params: list = [pd.Timestamp(start).date(), pd.Timestamp(end).date()]
    units = _units_within(within, params, unit="json_extract_string(raw, '$.unit')")
    return int(first_row(con, "SELECT count(*) FROM quarantine WHERE CAST(quarantined_at AS DATE) BETWEEN ? AND ?"
                              f" {units}", params)[0])
