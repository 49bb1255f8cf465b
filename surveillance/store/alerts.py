"""Signals, alert episodes, their evidence and events: the tables the detect job writes and the
dashboard, the API, the emails and the evaluations read.

Writes happen inside the caller's transaction (the detect job stores a whole cycle at once).
Storing signals is idempotent: a signal already stored (same detector, series, day and as-of day)
is not stored again, so re-running the same day changes nothing.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
from .query import first_row

SIGNAL_COLUMNS = [
    "detector", "method", "level", "region", "syndrome", "age_group", "date", "period_days", "as_of", "measure",
    "observed", "expected", "upperbound", "score", "pvalue", "status", "severity", "completeness", "incomplete",
    "regions", "detail", "provisional",
]
SIGNAL_KEY = ("detector", "region", "syndrome", "age_group", "date", "as_of")
EPISODE_COLUMNS = [
    "episode_id", "kind", "level", "region", "regions", "syndrome", "age_group", "detectors", "period_days",
    "opened_on", "last_signal_on", "ended_on", "severity", "notify_severity", "incomplete", "state", "outcome",
    "provisional",
]
EVENT_COLUMNS = ["episode_id", "day", "user_name", "action", "from_state", "to_state", "severity", "note", "notify"]
EVIDENCE_COLUMNS = [
    "episode_id", "detector", "region", "date", "as_of", "measure", "observed", "expected", "upperbound", "pvalue",
    "severity", "completeness", "incomplete", "detail", "syndrome", "age_group", "provisional",
]
JUDGED_COLUMNS = ["detector", "method", "date", "measure", "observed", "expected", "upperbound", "pvalue", "severity",
                  "score", "period_days", "regions"]
DAY_COLUMNS = ("opened_on", "last_signal_on", "ended_on")
TEMPORAL = "period_days = 1 AND detector <> 'quality'"  # daily signals of the detectors (not data quality)


# Flags added after the first schema: a frame without one (written before it existed) means false.
LATER_FLAGS = ("provisional",)


def with_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame``'s ``columns`` in order, a missing later flag (or a missing value of one) as false."""
    frame = frame.reindex(columns=columns)
    for flag in LATER_FLAGS:
        if flag in columns:
            frame[flag] = frame[flag].eq(True)
    return frame


def _nullable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None)


def _records(frame: pd.DataFrame) -> list[dict]:
    return _nullable(frame).to_dict("records")


def _with_days(frame: pd.DataFrame) -> pd.DataFrame:
    """The episode's day columns as dates (None where missing), not timestamps."""
    frame = frame.copy()
    for column in DAY_COLUMNS:
        days = pd.to_datetime(frame[column]).dt.date
        frame[column] = days.astype(object).where(days.notna(), None)
    return frame


def _with(cur, name: str, frame: pd.DataFrame, sql: str, params=()) -> None:
    """Run ``sql`` with ``frame`` visible as the table ``name``."""
    cur.register(name, frame)
    try:
        cur.execute(sql, list(params))
    finally:
        cur.unregister(name)


def json_list(value) -> list:
    """A JSON list column (``regions``, ``detectors``) as a list; missing values as an empty list."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return list(json.loads(value)) if isinstance(value, str) else list(value)


# --- signals ---------------------------------------------------------------------------------------------


def insert_new_signals(cur, signals: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Store the signals not stored before; returns those (the ones episodes have not seen)."""
    if not len(signals):
        return signals
    signals = signals.assign(provisional=with_columns(signals, SIGNAL_COLUMNS)["provisional"].to_numpy())
    frame = signals[SIGNAL_COLUMNS].copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame["incomplete"] = frame["incomplete"].astype(bool)
    for column in ("regions", "detail"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    frame["_row"] = range(len(frame))
    on = " AND ".join(f"s.{k} = i.{k}" for k in SIGNAL_KEY)
    new = f"FROM incoming_signals i WHERE NOT EXISTS (SELECT 1 FROM signals s WHERE {on})"
    cur.register("incoming_signals", frame)
    try:
        rows = np.sort(cur.execute(f"SELECT i._row {new}").fetchnumpy()["_row"])  # as the signals came
        if len(rows):
            cur.execute(f"INSERT INTO signals ({', '.join(SIGNAL_COLUMNS)}, created_at)"
                        f" SELECT {', '.join('i.' + c for c in SIGNAL_COLUMNS)}, ? {new}", [now])
    finally:
        cur.unregister("incoming_signals")
    return signals.iloc[rows].reset_index(drop=True)


def last_judged_day(con) -> date | None:
    """The newest day the detectors judged (daily series)."""
    return first_row(con, f"SELECT max(date) FROM signals WHERE {TEMPORAL}")[0]


def last_judged_ok_day(con) -> date | None:
    """The newest day with a judged point (status ``ok``) of any detector."""
    return first_row(con, "SELECT max(date) FROM signals WHERE status = 'ok'")[0]


def days_to_recheck(con, start: date, end: date, today: date) -> list[date]:
    """Days in ``[start, end)`` judged on incomplete or provisional data before ``today`` whose data changed
    since."""
    rows = con.execute(
        "WITH judged AS (SELECT date, max(as_of) AS as_of,"
        " bool_or(incomplete OR coalesce(provisional, false)) AS incomplete FROM signals"
        f" WHERE {TEMPORAL} AND date >= ? AND date < ? GROUP BY date)"
        " SELECT j.date FROM judged j WHERE j.incomplete AND j.as_of < ? AND EXISTS (SELECT 1 FROM observations o"
        " WHERE o.date = j.date AND o.received_at >= j.as_of + INTERVAL 1 DAY) ORDER BY j.date",
        [start, end, today]).fetchall()
    return [r[0] for r in rows]


def judged_points(con, since: date, until: date) -> pd.DataFrame:
    """Temporal signals judged ``ok`` between ``since`` and ``until``, each point as first judged."""
    return con.execute("""
        SELECT detector, level, region, syndrome, age_group, measure, date, period_days, observed, expected,
               pvalue, severity
        FROM signals
        WHERE date BETWEEN ? AND ? AND status = 'ok' AND regions IS NULL AND detector <> 'quality'
        QUALIFY row_number() OVER (PARTITION BY detector, region, syndrome, age_group, date ORDER BY as_of) = 1
        """, [since, until]).df()


def episodes_signals(con, episodes: list[dict]) -> pd.DataFrame:
    """Every judged point (quiet days too) of each episode's series by the detectors that fed it, the latest
    judgement of each day: ``episode_id`` and :data:`JUDGED_COLUMNS`, in one query."""
    wanted = [(int(ep["episode_id"]), ep["region"], ep["syndrome"], ep["age_group"], d)
              for ep in episodes for d in (ep["detectors"] or [])]
    if not wanted:
        return pd.DataFrame(columns=["episode_id", *JUDGED_COLUMNS])
    values = ", ".join("(?, ?, ?, ?, ?)" for _ in wanted)
    latest = ", ".join(f"arg_max(s.{c}, s.as_of) AS {c}" for c in JUDGED_COLUMNS
                       if c not in ("detector", "method", "date", "measure"))
    frame = con.execute(f"""
        WITH wanted(episode_id, region, syndrome, age_group, detector) AS (VALUES {values})
        SELECT w.episode_id, s.detector, s.method, s.date, s.measure, {latest}
        FROM signals s JOIN wanted w USING (region, syndrome, age_group, detector)
        GROUP BY w.episode_id, s.detector, s.method, s.date, s.measure
        ORDER BY w.episode_id, s.date, s.detector""", [v for row in wanted for v in row]).df()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame[["episode_id", *JUDGED_COLUMNS]]


# --- episodes --------------------------------------------------------------------------------------------


def load_episodes(cur, since: date | None = None) -> pd.DataFrame:
    """Episodes still running, and those ended on or after ``since`` (for signals of past days)."""
    sql = f"SELECT {', '.join(EPISODE_COLUMNS)} FROM alert_episodes WHERE ended_on IS NULL"
    params: list = []
    if since is not None:
        sql += " OR ended_on >= ?"
        params.append(since)
    return cur.execute(sql + " ORDER BY episode_id", params).df()


def next_episode_id(cur) -> int:
    return int(first_row(cur, "SELECT coalesce(max(episode_id), 0) + 1 FROM alert_episodes")[0])


def save_alerts(cur, episodes: pd.DataFrame, events: pd.DataFrame, evidence: pd.DataFrame, now: datetime) -> None:
    """Upsert changed episodes (their workflow state and outcome kept), replace their evidence of the same
    detector, region and day, and append the events."""
    if len(episodes):
        frame = with_columns(episodes, EPISODE_COLUMNS)
        frame["created_at"] = frame["updated_at"] = now
        for c in DAY_COLUMNS:
            frame[c] = pd.to_datetime(frame[c]).dt.date
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
        keep = ("episode_id", "state", "outcome", "created_at")
        updates = ", ".join(f"{c} = excluded.{c}" for c in [*EPISODE_COLUMNS, "updated_at"] if c not in keep)
        _with(cur, "changed_episodes", frame,
              f"INSERT INTO alert_episodes ({', '.join(EPISODE_COLUMNS)}, created_at, updated_at)"
              f" SELECT {', '.join(EPISODE_COLUMNS)}, created_at, updated_at"
              f" FROM changed_episodes ON CONFLICT (episode_id) DO UPDATE SET {updates}")
    if len(evidence):
        frame = with_columns(evidence, EVIDENCE_COLUMNS)
        frame["date"] = pd.to_datetime(frame["date"]).dt.date
        frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
        frame["detail"] = frame["detail"].astype(object).where(frame["detail"].notna(), None)
        _with(cur, "new_evidence", frame,
              "DELETE FROM alert_evidence e USING new_evidence n WHERE e.episode_id = n.episode_id"
              " AND e.detector = n.detector AND e.region = n.region AND e.date = n.date"
              " AND e.syndrome IS NOT DISTINCT FROM n.syndrome AND e.age_group IS NOT DISTINCT FROM n.age_group")
        _with(cur, "new_evidence", frame, f"INSERT INTO alert_evidence ({', '.join(EVIDENCE_COLUMNS)})"
              f" SELECT {', '.join(EVIDENCE_COLUMNS)} FROM new_evidence")
    if len(events):
        frame = events[EVENT_COLUMNS].copy()
        frame["day"] = pd.to_datetime(frame["day"]).dt.date
        frame["at_time"] = now
        _with(cur, "new_events", frame,
              "INSERT INTO alert_events SELECT nextval('alert_event_ids'), episode_id, at_time, day, user_name, action,"
              " from_state, to_state, severity, note, notify, false FROM new_events ORDER BY day, episode_id")


def episodes_table(con, *, include_ended: bool = True, kind: str | None = None, since=None,
                   limit: int | None = None) -> pd.DataFrame:
    """Episodes newest signal first, as a table (``updated_at`` included); ``include_ended=False`` keeps
    the running ones (not ended, not closed)."""
    where, params = ["true"], []
    if not include_ended:
        where.append("ended_on IS NULL AND state <> 'closed'")
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    if since is not None:
        where.append("last_signal_on >= ?")
        params.append(pd.Timestamp(since).date())
    sql = (f"SELECT {', '.join(EPISODE_COLUMNS)}, created_at, updated_at FROM alert_episodes"
           f" WHERE {' AND '.join(where)} ORDER BY last_signal_on DESC, episode_id DESC")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return con.execute(sql, params).df()


def list_episodes(con, *, include_ended: bool = False, limit: int = 500) -> list[dict]:
    """Episodes, newest first, as records: running ones (and with ``include_ended`` the ended and closed ones)."""
    return _records(_with_days(episodes_table(con, include_ended=include_ended, limit=limit)))


def episodes_by_id(con, episode_ids) -> dict[int, dict]:
    """The episodes with these ids, as records keyed by id."""
    ids = [int(i) for i in episode_ids]
    if not ids:
        return {}
    frame = con.execute(f"SELECT {', '.join(EPISODE_COLUMNS)} FROM alert_episodes WHERE episode_id IN"
                        " (SELECT unnest(?::BIGINT[]))", [ids]).df()
    return {int(r["episode_id"]): r for r in _with_days(frame).to_dict("records")}


def open_episodes(con) -> pd.DataFrame:
    """Episodes not ended and not closed, oldest first."""
    return _with_days(con.execute(f"SELECT {', '.join(EPISODE_COLUMNS)} FROM alert_episodes WHERE ended_on IS NULL"
                                  " AND state <> 'closed' ORDER BY episode_id").df())


def evidence_of(con, episode_ids) -> pd.DataFrame:
    """The evidence rows of these episodes, by episode, day and detector, with the ``period_days`` of the
    signal each came from (a cluster's window in days; missing for evidence older than its signal's key)."""
    return con.execute(
        "SELECT e.*, s.period_days FROM alert_evidence e LEFT JOIN signals s ON s.detector = e.detector"
        " AND s.region = e.region AND s.date = e.date AND s.as_of = e.as_of AND s.syndrome = e.syndrome"
        " AND s.age_group = e.age_group WHERE e.episode_id IN (SELECT unnest(?::BIGINT[]))"
        " ORDER BY e.episode_id, e.date, e.detector", [[int(i) for i in episode_ids]]).df()


def episode_detail(con, episode_id: int) -> dict | None:
    """One episode with its evidence and events, or None."""
    rows = con.execute(f"SELECT {', '.join(EPISODE_COLUMNS)}, outbreak_start FROM alert_episodes WHERE episode_id = ?",
                       [episode_id]).df()
    if not len(rows):
        return None
    out = _records(rows)[0]
    out["outbreak_start"] = None if out["outbreak_start"] is None else pd.Timestamp(out["outbreak_start"]).date()
    out["evidence"] = _records(evidence_of(con, [episode_id]))
    out["events"] = _records(con.execute("SELECT * FROM alert_events WHERE episode_id = ? ORDER BY event_id",
                                         [episode_id]).df())
    return out


def confirmed_evidence(con, since: date, until: date) -> pd.DataFrame:
    """Evidence rows of alerts closed as confirmed outbreaks that opened in the window."""
    return con.execute("""
        SELECT e.episode_id, v.detector, v.pvalue, v.severity
        FROM alert_episodes e JOIN alert_evidence v USING (episode_id)
        WHERE e.outcome = 'confirmed_outbreak' AND e.opened_on BETWEEN ? AND ?""", [since, until]).df()


# --- workflow and notification ---------------------------------------------------------------------------


def episode_state(cur, episode_id: int) -> str | None:
    """The episode's workflow state, or None when there is no such episode."""
    row = first_row(cur, "SELECT state FROM alert_episodes WHERE episode_id = ?", [episode_id])
    return row[0] if row else None


def episode_opened_on(cur, episode_id: int) -> date | None:
    """The day the episode opened, or None when there is no such episode."""
    row = first_row(cur, "SELECT opened_on FROM alert_episodes WHERE episode_id = ?", [episode_id])
    return row[0] if row else None


def set_state(cur, episode_id: int, state: str, outcome: str | None, at: datetime,
              outbreak_start: date | None = None) -> None:
    """The episode's new state and outcome; the outbreak's start goes with them (cleared by any other change)."""
    cur.execute("UPDATE alert_episodes SET state = ?, outcome = ?, outbreak_start = ?, updated_at = ?"
                " WHERE episode_id = ?", [state, outcome, outbreak_start, at, episode_id])


def record_event(cur, episode_id: int, *, at: datetime, user: str, action: str, from_state: str | None = None,
                 to_state: str | None = None, note: str | None = None) -> None:
    """Append a person's event (a transition or a note) to the episode's history; it is not emailed."""
    cur.execute("INSERT INTO alert_events VALUES (nextval('alert_event_ids'), ?, ?, NULL, ?, ?, ?, ?, NULL, ?,"
                " false, false)", [episode_id, at, user, action, from_state, to_state, note])


def pending_events(cur) -> pd.DataFrame:
    """Events to email that have not been queued yet, oldest first."""
    return cur.execute("SELECT event_id, episode_id, day, action, severity, note FROM alert_events"
                       " WHERE notify AND NOT notified ORDER BY event_id").df()


def mark_events_notified(cur) -> None:
    cur.execute("UPDATE alert_events SET notified = true WHERE notify AND NOT notified")


def confirmed_cells(con, since: date, until: date) -> pd.DataFrame:
    """``region, syndrome, age_group, date``: the series-days of the evidence of alerts closed as confirmed
    outbreaks, between ``since`` and ``until`` (left out of later baselines)."""
    return con.execute("""
        SELECT DISTINCT v.region, coalesce(v.syndrome, e.syndrome) AS syndrome,
               coalesce(v.age_group, e.age_group) AS age_group, v.date
        FROM alert_episodes e JOIN alert_evidence v USING (episode_id)
        WHERE e.outcome = 'confirmed_outbreak' AND e.kind = 'outbreak' AND v.date BETWEEN ? AND ?""",
                       [since, until]).df()


JUDGEMENT_TABLES = ("alert_evidence", "alert_events", "alert_episodes", "outbox", "signals", "alarm_thresholds")


def clear_judgements(cur) -> None:
    """Forget every signal, alert, queued email and learnt budget (the observations stay): for judging a
    store's history again from scratch, e.g. on a copy in the operational evaluation."""
    for table in JUDGEMENT_TABLES:
        cur.execute(f"DELETE FROM {table}")
