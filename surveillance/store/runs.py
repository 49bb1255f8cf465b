"""Job runs: when each scheduled job started, how it ended, and what it did."""

from __future__ import annotations

import json
from contextlib import contextmanager

from .database import Store
from .query import first_row


@contextmanager
def job_run(store: Store, job: str):
    """Record a job run; the block fills ``details`` (a dict) and may set ``details['message']``, and
    ``details['status'] = 'failed'`` for a run that did its work but whose outcome needs a look (emails
    that could not be delivered): shown red like a run that raised, without the scheduler's retries."""
    with store.write_lock:
        cur = store.cursor()
        run_id = first_row(cur, "SELECT nextval('job_run_ids')")[0]
        cur.execute(
            "INSERT INTO job_runs VALUES (?, ?, current_localtimestamp(), NULL, 'running', NULL, NULL)",
            [run_id, job],
        )
    details: dict = {}
    status, message = "ok", None
    try:
        yield details
    except Exception as exc:
        status, message = "failed", str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise
    finally:
        message = details.pop("message", message)
        if details.pop("status", None) == "failed":
            status = "failed"
        with store.write_lock:
            store.cursor().execute(
                "UPDATE job_runs SET finished_at = current_localtimestamp(), status = ?, message = ?, details = ?"
                " WHERE run_id = ?",
                [status, message, json.dumps(details, default=str), run_id],
            )


def recent_runs(con, limit: int = 20):
    return con.execute(
        "SELECT run_id, job, started_at, finished_at, status, message, details FROM job_runs"
        " ORDER BY run_id DESC LIMIT ?",
        [limit],
    ).df()
