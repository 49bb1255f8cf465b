"""Delivering the outbox over SMTP: each message at most once, none holding up the others.

* Every attempt is recorded before any byte goes out, and again once the whole message has been
  written (only the final dot left), each committed first (``surveillance.store.outbox``). A process
  killed in between leaves that trace: the next run sends again a message the server cannot have
  (the attempt ended before the whole message was written) and never one it may have.
* Each message's exchange has a deadline (``smtp.timeout_seconds``, see :mod:`.smtp_client`). A
  message refused, deferred or timed out uses up one of its ``email.max_attempts`` and waits out its
  backoff behind the others; after the last it is ``failed``. A message whose answer never came after
  it was all written is ``unconfirmed``: not sent again. The next message gets a fresh connection.
* A server that cannot be reached costs the messages nothing (they wait; an outage must not fail
  them), and three exchanges in a row that end without an answer (the deadline, a broken connection)
  end the run, the rest waiting for the next one, so that a slow server costs a run at most three
  deadlines.
* Messages carry a Message-ID derived from their outbox key, the same on every attempt, so that a
  copy a server or mail client sees twice is recognisably one message.
"""

from __future__ import annotations

import hashlib
import smtplib
from datetime import datetime, timedelta

from ..config import Config, EmailConfig, SmtpConfig, smtp_settings
from ..store.outbox import (due_messages, interrupted_attempts, mark_handed_over, record_sent, record_unconfirmed,
                            record_unsent, start_attempt)
from .smtp_client import close, open_session, send_one

FAILURES_IN_A_ROW = 3  # exchanges in a row without an answer that end a run: the server is unwell, not the messages


def stable_message_id(key: str, sender: str) -> str:
    """The Message-ID of the outbox message with this key: the same for every attempt and every run."""
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{domain}>"


def deliver(store, config: Config, now: datetime | None = None, *, smtp: SmtpConfig | None = None) -> dict:
    """Send the queued messages that are due. Returns how many were ``sent``, are to ``retry`` (including
    those a run cut short left waiting), ``failed`` for good and ``unconfirmed``, and the run's ``error``."""
    now = now or datetime.now()
    smtp = smtp or smtp_settings(config)
    email = config.email
    result = {"sent": 0, "retry": 0, "failed": 0, "unconfirmed": 0, "error": None}
    if not email.enabled:
        return result
    _settle_interrupted(store, now, email, result)
    due = due_messages(store.cursor(), now)
    session, in_a_row = None, 0
    try:
        for position, (message_id, recipient, text, attempts, failures) in enumerate(due):
            if in_a_row >= FAILURES_IN_A_ROW:
                result["retry"] += len(due) - position  # untouched: still due, tried first next run
                result["error"] = f"{result['error']}; the run stopped after {FAILURES_IN_A_ROW} failures in a row"
                break
            if session is None:
                try:
                    session = open_session(smtp)
                except (OSError, smtplib.SMTPException) as exc:
                    error = f"cannot reach the SMTP server {smtp.host}:{smtp.port}: {exc or type(exc).__name__}"
                    for mid, _, _, att, fails in due[position:]:  # an outage is not the messages' fault
                        _unsent(store, mid, att + 1, fails, error, now, email, counts=False)
                    result["retry"] += len(due) - position
                    result["error"] = error
                    break
            attempt = attempts + 1
            with store.transaction() as cur:
                start_attempt(cur, message_id, attempt, now)
            sent = send_one(session, smtp, recipient, text.encode("utf-8"),
                            on_handed_over=lambda mid=message_id: _handed_over(store, mid, now))
            if not sent.session_usable:
                close(session)
                session = None
            in_a_row = in_a_row + 1 if sent.outcome in ("lost", "unconfirmed") else 0
            if sent.outcome == "sent":
                with store.transaction() as cur:
                    record_sent(cur, message_id, attempt, now)
                result["sent"] += 1
            elif sent.outcome == "unconfirmed":
                with store.transaction() as cur:
                    record_unconfirmed(cur, message_id, attempt, now, sent.error)
                result["unconfirmed"] += 1
                result["error"] = sent.error
            else:  # refused, deferred, lost: one of the message's attempts
                result[_unsent(store, message_id, attempt, failures, sent.error, now, email, counts=True)] += 1
                result["error"] = sent.error
    finally:
        close(session)
    return result


def _handed_over(store, message_id: int, now: datetime) -> None:
    with store.transaction() as cur:
        mark_handed_over(cur, message_id, now)


def _settle_interrupted(store, now: datetime, email: EmailConfig, result: dict) -> None:
    """Attempts a killed process left in flight: a message not all written is due again at once (the
    server cannot have it); one all written is unconfirmed, never sent twice."""
    for message_id, attempt, failures, handed_over in interrupted_attempts(store.cursor()):
        if handed_over:
            with store.transaction() as cur:
                record_unconfirmed(cur, message_id, attempt, now, "unconfirmed: the process stopped after the whole"
                                   " message was sent, before the server's answer; not sent again")
            result["unconfirmed"] += 1
        else:
            _unsent(store, message_id, attempt, failures, "interrupted: the process stopped before the message was"
                    " all sent", now, email, counts=False, wait=False)


def _unsent(store, message_id: int, attempt: int, failures: int, error: str, now: datetime, email: EmailConfig, *,
            counts: bool, wait: bool = True) -> str:
    """Record an attempt that did not deliver; ``counts``: it was the message's own failure (of
    ``max_attempts``). Returns ``failed`` or ``retry``."""
    failures += 1 if counts else 0
    failed = counts and failures >= email.max_attempts
    delay = min(email.backoff_seconds * (2 ** (attempt - 1)), email.max_backoff_seconds) if wait else 0
    with store.transaction() as cur:
        record_unsent(cur, message_id, attempt, now, failed=failed, next_attempt_at=now + timedelta(seconds=delay),
                      error=error, failures=failures)
    return "failed" if failed else "retry"
