"""The email outbox and its delivery log, as stored (composition and delivery are ``surveillance.notify``).

A delivery attempt is written in three steps, each committed before the next thing happens on the
wire: :func:`start_attempt` before any byte goes out, :func:`mark_handed_over` once the whole
message is written and only the final dot is left, then the outcome. So after a kill the next run
knows whether the server may already hold the message (:func:`interrupted_attempts`).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from .query import first_row

OUTBOX_FIELDS = ["dedupe_key", "kind", "episode_id", "event_id", "recipient", "language", "subject", "message"]
CLEAR_ATTEMPT = "attempt_started_at = NULL, handed_over_at = NULL"


def enqueue(cur, messages: pd.DataFrame, now: datetime) -> int:
    """Store the messages (columns :data:`OUTBOX_FIELDS`) whose ``dedupe_key`` is not in the outbox yet, in
    one statement; returns how many."""
    if not len(messages):
        return 0
    cur.register("queued_messages", messages[OUTBOX_FIELDS].drop_duplicates("dedupe_key"))
    try:
        return first_row(cur,
            "INSERT INTO outbox (message_id, dedupe_key, kind, episode_id, event_id, recipient, language, subject,"
            " message, status, attempts, next_attempt_at, last_error, created_at, sent_at)"
            " SELECT nextval('message_ids'), dedupe_key, kind, episode_id, event_id, recipient,"
            " language, subject, message, 'queued', 0, ?, NULL, ?, NULL FROM queued_messages"
            " WHERE dedupe_key NOT IN (SELECT dedupe_key FROM outbox)", [now, now])[0]
    finally:
        cur.unregister("queued_messages")


def known_keys(con, keys) -> set[str]:
    """The ones of ``keys`` already in the outbox (queued, sent or failed)."""
    keys = [str(k) for k in keys]
    if not keys:
        return set()
    return {r[0] for r in con.execute("SELECT dedupe_key FROM outbox WHERE dedupe_key IN (SELECT unnest(?::VARCHAR[]))",
                                      [keys]).fetchall()}


def due_messages(con, now: datetime) -> list[tuple]:
    """``(message_id, recipient, message, attempts, failures)`` of the queued messages due by ``now``, those
    waiting longest first (a message that failed waits out its backoff behind the others)."""
    return con.execute("SELECT message_id, recipient, message, attempts, coalesce(failures, 0) FROM outbox"
                       " WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, message_id",
                       [now]).fetchall()


def interrupted_attempts(con) -> list[tuple]:
    """``(message_id, attempts, failures, handed_over)`` of attempts a process left in flight (it was killed)."""
    return con.execute("SELECT message_id, attempts, coalesce(failures, 0), handed_over_at IS NOT NULL FROM outbox"
                       " WHERE status = 'queued' AND attempt_started_at IS NOT NULL ORDER BY message_id").fetchall()


def start_attempt(cur, message_id: int, attempt: int, now: datetime) -> None:
    cur.execute("UPDATE outbox SET attempts = ?, attempt_started_at = ?, handed_over_at = NULL WHERE message_id = ?",
                [attempt, now, message_id])


def mark_handed_over(cur, message_id: int, now: datetime) -> None:
    cur.execute("UPDATE outbox SET handed_over_at = ? WHERE message_id = ?", [now, message_id])


def record_sent(cur, message_id: int, attempt: int, now: datetime) -> None:
    cur.execute(f"UPDATE outbox SET status = 'sent', attempts = ?, sent_at = ?, last_error = NULL, {CLEAR_ATTEMPT}"
                " WHERE message_id = ?", [attempt, now, message_id])
    _log(cur, message_id, attempt, now, "sent", None)


def record_unconfirmed(cur, message_id: int, attempt: int, now: datetime, error: str) -> None:
    """Sent, but the server's answer to the whole message never came: not sent again (it most likely has
    it, and a second copy is the likelier mistake); marked so that it shows as a delivery problem."""
    cur.execute(f"UPDATE outbox SET status = 'sent', attempts = ?, sent_at = ?, last_error = ?, unconfirmed = true,"
                f" {CLEAR_ATTEMPT} WHERE message_id = ?", [attempt, now, error, message_id])
    _log(cur, message_id, attempt, now, "sent", error)


def record_unsent(cur, message_id: int, attempt: int, now: datetime, *, failed: bool, next_attempt_at: datetime,
                  error: str, failures: int) -> None:
    """An attempt that did not deliver: queued again for ``next_attempt_at``, or ``failed`` for good;
    ``failures`` is the message's own failed attempts so far (what ``max_attempts`` counts)."""
    cur.execute(f"UPDATE outbox SET status = ?, attempts = ?, failures = ?, next_attempt_at = ?, last_error = ?,"
                f" {CLEAR_ATTEMPT} WHERE message_id = ?",
                ["failed" if failed else "queued", attempt, failures, next_attempt_at, error, message_id])
    _log(cur, message_id, attempt, now, "failed" if failed else "retry", error)


def _log(cur, message_id: int, attempt: int, now: datetime, outcome: str, error: str | None) -> None:
    cur.execute("INSERT INTO delivery_log VALUES (?, ?, ?, ?, ?)", [message_id, attempt, now, outcome, error])


def outbox_status(con) -> dict[str, int]:
    """Messages per status (``queued``, ``sent``, ``failed``)."""
    return dict(con.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())

