"""The email outbox and its delivery log, as stored (composition and delivery are ``surveillance.notify``)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from .query import first_row

OUTBOX_FIELDS = ["dedupe_key", "kind", "episode_id", "event_id", "recipient", "language", "subject", "message"]


def enqueue(cur, messages: pd.DataFrame, now: datetime) -> int:
    """Store the messages (columns :data:`OUTBOX_FIELDS`) whose ``dedupe_key`` is not in the outbox yet, in
    one statement; returns how many."""
    if not len(messages):
        return 0
    cur.register("queued_messages", messages[OUTBOX_FIELDS].drop_duplicates("dedupe_key"))
    try:
        return first_row(cur, 
            "INSERT INTO outbox SELECT nextval('message_ids'), dedupe_key, kind, episode_id, event_id, recipient,"
            " language, subject, message, 'queued', 0, ?, NULL, ?, NULL FROM queued_messages"
            " WHERE dedupe_key NOT IN (SELECT dedupe_key FROM outbox)", [now, now])[0]
    finally:
        cur.unregister("queued_messages")


def due_messages(con, now: datetime) -> list[tuple]:
    """``(message_id, recipient, message, attempts)`` of the queued messages due by ``now``, oldest first."""
    return con.execute("SELECT message_id, recipient, message, attempts FROM outbox WHERE status = 'queued'"
                       " AND next_attempt_at <= ? ORDER BY message_id", [now]).fetchall()


def record_sent(cur, message_id: int, attempt: int, now: datetime) -> None:
    cur.execute("UPDATE outbox SET status = 'sent', attempts = ?, sent_at = ?, last_error = NULL"
                " WHERE message_id = ?", [attempt, now, message_id])
    _log(cur, message_id, attempt, now, "sent", None)


def record_unsent(cur, message_id: int, attempt: int, now: datetime, *, failed: bool, next_attempt_at: datetime,
                  error: str) -> None:
    """An attempt that did not deliver: queued again for ``next_attempt_at``, or ``failed`` for good."""
    cur.execute("UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE message_id = ?",
                ["failed" if failed else "queued", attempt, next_attempt_at, error, message_id])
    _log(cur, message_id, attempt, now, "failed" if failed else "retry", error)


def _log(cur, message_id: int, attempt: int, now: datetime, outcome: str, error: str | None) -> None:
    cur.execute("INSERT INTO delivery_log VALUES (?, ?, ?, ?, ?)", [message_id, attempt, now, outcome, error])


def outbox_status(con) -> dict[str, int]:
    """Messages per status (``queued``, ``sent``, ``failed``)."""
    return dict(con.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())
