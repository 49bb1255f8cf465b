"""Persisting a cycle's signals, episodes, events, evidence and data quality: one transaction.

Idempotent: signals already stored (same detector, series, day and as-of day) are not stored
again and do not reach the episodes, so re-running the same day changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from .episodes import EPISODE_COLUMNS, EVENT_COLUMNS, EVIDENCE_COLUMNS, update_episodes
from .signals import SIGNAL_COLUMNS

SIGNAL_KEY = ("detector", "region", "syndrome", "age_group", "date", "as_of")


def _register(cur, name: str, frame: pd.DataFrame) -> None:
    cur.register(name, frame)


def insert_new_signals(cur, signals: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Store the signals not stored before; returns those (the ones episodes have not seen)."""
    if not len(signals):
        return signals
    frame = signals[SIGNAL_COLUMNS].copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame["incomplete"] = frame["incomplete"].astype(bool)
    frame["regions"] = frame["regions"].astype(object).where(frame["regions"].notna(), None)
    frame["detail"] = frame["detail"].astype(object).where(frame["detail"].notna(), None)
    frame["_row"] = range(len(frame))
    _register(cur, "incoming_signals", frame)
    on = " AND ".join(f"s.{k} = i.{k}" for k in SIGNAL_KEY)
    fresh = cur.execute(
        f"SELECT i._row FROM incoming_signals i WHERE NOT EXISTS (SELECT 1 FROM signals s WHERE {on})"
    ).fetchall()
    rows = [r[0] for r in fresh]
    if rows:
        cur.execute(
            f"INSERT INTO signals SELECT {', '.join('i.' + c for c in SIGNAL_COLUMNS)}, ? FROM incoming_signals i"
            f" WHERE NOT EXISTS (SELECT 1 FROM signals s WHERE {on})",
            [now],
        )
    cur.unregister("incoming_signals")
    return signals.iloc[rows].reset_index(drop=True)


def load_episodes(cur, since: date | None = None) -> pd.DataFrame:
    """Episodes still running, and those ended on or after ``since`` (for signals of past days)."""
    sql = f"SELECT {', '.join(EPISODE_COLUMNS)} FROM alert_episodes WHERE ended_on IS NULL"
    params: list = []
    if since is not None:
        sql += " OR ended_on >= ?"
        params.append(since)
    return cur.execute(sql + " ORDER BY episode_id", params).df()


def load_neighbours(cur) -> pd.DataFrame:
    return cur.execute("SELECT region, neighbour FROM region_neighbours").df()


def save_alerts(cur, episodes: pd.DataFrame, events: pd.DataFrame, evidence: pd.DataFrame, now: datetime) -> None:
    if len(episodes):
        frame = episodes[EPISODE_COLUMNS].copy()
        frame["created_at"] = now
        frame["updated_at"] = now
        for c in ("opened_on", "last_signal_on", "ended_on"):
            frame[c] = pd.to_datetime(frame[c]).dt.date
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
        _register(cur, "changed_episodes", frame)
        keep = ("episode_id", "state", "outcome", "created_at")
        updates = ", ".join(f"{c} = excluded.{c}" for c in [*EPISODE_COLUMNS, "updated_at"] if c not in keep)
        cur.execute(
            f"INSERT INTO alert_episodes SELECT {', '.join(EPISODE_COLUMNS)}, created_at, updated_at FROM changed_episodes"
            f" ON CONFLICT (episode_id) DO UPDATE SET {updates}"
        )
        cur.unregister("changed_episodes")
    if len(evidence):
        frame = evidence[EVIDENCE_COLUMNS].copy()
        frame["date"] = pd.to_datetime(frame["date"]).dt.date
        frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
        frame["detail"] = frame["detail"].astype(object).where(frame["detail"].notna(), None)
        _register(cur, "new_evidence", frame)
        cur.execute(
            "DELETE FROM alert_evidence e USING new_evidence n WHERE e.episode_id = n.episode_id"
            " AND e.detector = n.detector AND e.region = n.region AND e.date = n.date"
        )
        cur.execute(f"INSERT INTO alert_evidence SELECT {', '.join(EVIDENCE_COLUMNS)} FROM new_evidence")
        cur.unregister("new_evidence")
    if len(events):
        frame = events[EVENT_COLUMNS].copy()
        frame["day"] = pd.to_datetime(frame["day"]).dt.date
        frame["at_time"] = now
        _register(cur, "new_events", frame)
        cur.execute(
            "INSERT INTO alert_events SELECT nextval('alert_event_ids'), episode_id, at_time, day, user_name, action,"
            " from_state, to_state, severity, note, notify, false FROM new_events ORDER BY day, episode_id"
        )
        cur.unregister("new_events")


def save_quality(cur, completeness: pd.DataFrame, as_of) -> int:
    """Store completeness rows (county level) not stored before for this as-of day."""
    if not len(completeness):
        return 0
    frame = completeness.reindex(columns=["region", "date", "units_usual", "units_reporting", "completeness",
                                          "timeliness", "visits"]).copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    frame["level"] = "county"
    frame["as_of"] = pd.Timestamp(as_of).date()
    _register(cur, "new_quality", frame)
    before = cur.execute("SELECT count(*) FROM data_quality").fetchall()[0][0]
    cur.execute(
        "INSERT INTO data_quality SELECT level, region, date, as_of, units_usual, units_reporting, completeness,"
        " timeliness, visits FROM new_quality n WHERE NOT EXISTS (SELECT 1 FROM data_quality q WHERE"
        " q.level = n.level AND q.region = n.region AND q.date = n.date AND q.as_of = n.as_of)"
    )
    cur.unregister("new_quality")
    return cur.execute("SELECT count(*) FROM data_quality").fetchall()[0][0] - before


def apply_signals(cur, signals: pd.DataFrame, *, today: date, gap_days: int, quiet_days: int,
                  notify_since: date | None, now: datetime | None = None) -> dict:
    """Inside the caller's transaction: store new signals and update episodes from them."""
    now = now or datetime.now()
    fresh = insert_new_signals(cur, signals, now)
    since = None
    if len(fresh):
        since = pd.to_datetime(fresh["date"]).min().date() - timedelta(days=(quiet_days + gap_days + 1) * 7)
    existing = load_episodes(cur, since)
    next_id = cur.execute("SELECT coalesce(max(episode_id), 0) + 1 FROM alert_episodes").fetchall()[0][0]
    episodes, events, evidence = update_episodes(existing, fresh, load_neighbours(cur), today, gap_days, quiet_days,
                                                 next_id=int(next_id), notify_since=notify_since)
    save_alerts(cur, episodes, events, evidence, now)
    return {
        "signals": int(len(fresh)),
        "signals_coloured": int(fresh["severity"].isin(["yellow", "red"]).sum()) if len(fresh) else 0,
        "episodes_opened": int((events["action"] == "opened").sum()) if len(events) else 0,
        "episodes_escalated": int((events["action"] == "escalated").sum()) if len(events) else 0,
        "episodes_ended": int((events["action"] == "ended").sum()) if len(events) else 0,
    }


def list_episodes(con, *, include_ended: bool = False, limit: int = 500) -> list[dict]:
    """Episodes, newest first: running ones (and with ``include_ended`` the ended and closed ones too)."""
    where = "" if include_ended else " WHERE ended_on IS NULL AND state <> 'closed'"
    frame = con.execute(
        f"SELECT {', '.join(EPISODE_COLUMNS)}, created_at, updated_at FROM alert_episodes{where}"
        " ORDER BY last_signal_on DESC, episode_id DESC LIMIT ?", [limit]).df()
    for column in ("opened_on", "last_signal_on", "ended_on"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_dict("records")


def episode_detail(con, episode_id: int) -> dict | None:
    """One episode with its evidence and events (for the dashboard's alert page)."""
    rows = con.execute(f"SELECT {', '.join(EPISODE_COLUMNS)} FROM alert_episodes WHERE episode_id = ?",
                       [episode_id]).df()
    if not len(rows):
        return None
    def records(frame):
        return frame.astype(object).where(frame.notna(), None).to_dict("records")
    out = records(rows)[0]
    out["evidence"] = records(con.execute("SELECT * FROM alert_evidence WHERE episode_id = ? ORDER BY date, detector",
                                          [episode_id]).df())
    out["events"] = records(con.execute("SELECT * FROM alert_events WHERE episode_id = ? ORDER BY event_id",
                                        [episode_id]).df())
    return out
