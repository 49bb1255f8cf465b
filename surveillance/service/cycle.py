"""One full cycle of the service: ingest, detect (with data-quality checks and alert episodes),
notify, the audit trail's retention, then the snapshot.

The scheduler and the CLI's ``run-once`` (alias ``cycle``) both call :func:`run_cycle`, so a
manual run does what the service does. Every job is recorded in ``job_runs``. Each job
commits its work in one transaction (ingest: one per batch), so a process killed in the
middle leaves the database as it was before the unfinished step, and the next run does it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Callable

from ..config import Config
from ..ingest.runner import pull_all, summarise
from ..store import Store
from ..store import operations
from ..store.runs import job_run
from ..store.snapshot import refresh_snapshot


def ingest_job(store: Store, config: Config, today: date, progress: Callable | None = None) -> dict:
    with job_run(store, "ingest") as details:
        outcomes = pull_all(store, config, today, progress)
        details["feeds"] = summarise(outcomes)
        failed = [name for name, s in details["feeds"].items() if s["failed"]]
        if failed:
            details["message"] = f"feed(s) with failed batches: {', '.join(failed)}"
    return details


def detect_job(store: Store, config: Config, today: date, *, since: date | None = None,
               until: date | None = None, progress: Callable | None = None) -> dict:
    """Judge the due days (or a backfill from ``since``): data quality, signals, alert episodes.

    When some detectors failed, the others' work is stored, the run is recorded as failed with
    the first failure (detector, day, error) as its message, and ``DetectorsFailed`` is raised."""
    from .detect import DetectorsFailed, run_detection

    with job_run(store, "detect") as details:
        try:
            details.update(run_detection(store, config, today, since=since, until=until, progress=progress))
        except DetectorsFailed as exc:
            details.update(exc.summary)
            raise
        days = details.get("days") or []
        message = (f"judged {len(days)} day(s), {details['signals']} signals; "
                   f"{details['episodes_opened']} opened, {details['episodes_escalated']} escalated, "
                   f"{details['episodes_ended']} ended")
        details["message"] = message
    return {**details, "message": message}


def notify_job(store: Store, config: Config, today: date, *, digest: bool = False,
               now: datetime | None = None) -> dict:
    """Queue the emails of new and escalated episodes (and the digest), then deliver what is due."""
    from ..notify import deliver, queue_alert_messages, queue_digests

    with job_run(store, "notify") as details:
        details["queue"] = queue_alert_messages(store, config, today, now=now)
        if digest:
            details["digest"] = queue_digests(store, config, today, now=now)
        details["delivery"] = deliver(store, config, now=now)
        d = details["delivery"]
        message = (f"{details['queue']['queued']} queued; {d['sent']} sent, {d['retry']} to retry, "
                   f"{d['failed']} failed" + (f"; {d['error']}" if d.get("error") else ""))
        details["message"] = message
    return {**details, "message": message}


def deliver_job(store: Store, config: Config, now: datetime | None = None) -> dict:
    """Retry the queued messages that are due (the service runs this every few minutes)."""
    from ..notify import deliver, outbox_status

    queued = outbox_status(store.cursor()).get("queued", 0)
    if not queued:
        return {"sent": 0, "retry": 0, "failed": 0}
    with job_run(store, "deliver") as details:
        details.update(deliver(store, config, now=now))
    return details


def snapshot_job(store: Store, config: Config) -> str | None:
    if config.database.snapshot_path is None:
        return None
    with job_run(store, "snapshot") as details:
        refresh_snapshot(store, config.database.snapshot_path)
        details["message"] = str(config.database.snapshot_path)
    return str(config.database.snapshot_path)


def audit_retention_job(store: Store, config: Config, now: datetime | None = None) -> int:
    """Delete the audit lines older than ``audit.keep_days`` (never newer ones); the deletion is itself an
    audit line. Returns how many went."""
    from .. import audit

    return audit.prune(store, config.audit.keep_days, now=now)


def mark_interrupted_runs(store: Store) -> int:
    """Job runs left 'running' by a process that was killed: the owner of the database marks them failed."""
    with store.transaction() as cur:
        return operations.mark_interrupted_runs(cur)


def run_cycle(store: Store, config: Config, today: date, progress: Callable | None = None, *,
              detect: bool = True, notify: bool = True, digest: bool = False) -> dict:
    """Ingest, detect, alert, notify, prune the audit trail, snapshot. A failing step is recorded and raised
    after the snapshot, so that what did succeed is visible to notebooks. Detection in which only some
    detectors failed still goes on to notify: the others' episodes are stored and due."""
    from .detect import DetectorsFailed

    result: dict = {"ingest": ingest_job(store, config, today, progress)}
    error = None
    try:
        if detect:
            try:
                result["detect"] = detect_job(store, config, today)
            except DetectorsFailed as exc:
                error, result["detect"] = exc, exc.summary
        if notify:
            result["notify"] = notify_job(store, config, today, digest=digest)
    except Exception as exc:
        error = error or exc
    try:
        result["audit_pruned"] = audit_retention_job(store, config)
    except Exception as exc:
        error = error or exc
    if config.database.snapshot_path is not None:
        snapshot_job(store, config)
        result["snapshot"] = str(config.database.snapshot_path)
    if error is not None:
        raise error
    return result

