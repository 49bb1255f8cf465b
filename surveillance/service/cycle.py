"""One full cycle of the service: ingest, detect (with data-quality checks and alert episodes),
notify, the audit trail's retention, then the snapshot.

The scheduler and the CLI's ``run-once`` (alias ``cycle``) both call :func:`run_cycle`, so a
manual run does what the service does. Every job is recorded in ``job_runs``. Each job
commits its work in one transaction (ingest: one per batch), so a process killed in the
middle leaves the database as it was before the unfinished step, and the next run does it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Callable

from ..config import Config
from ..errors import SurveillanceError
from ..ingest.runner import pull_all, summarise
from ..store import Store
from ..notes import joined, note
from ..store import operations
from ..store.runs import job_run
from ..store.database import STORE_FAULTS
from ..store.snapshot import refresh_snapshot

log = logging.getLogger(__name__)


def ingest_job(store: Store, config: Config, today: date, progress: Callable | None = None) -> dict:
    with job_run(store, "ingest") as details:
        outcomes = pull_all(store, config, today, progress)
        details["feeds"] = summarise(outcomes)
        failed = [name for name, s in details["feeds"].items() if s["failed"]]
        if failed:
            details["message"] = note("failed_feeds", feeds=", ".join(failed))
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
        message = joined([note("judged", days=len(days), signals=details["signals"]),
                          note("episodes", opened=details["episodes_opened"], escalated=details["episodes_escalated"],
                               ended=details["episodes_ended"])])
        details["message"] = message
    return {**details, "message": message}


def notify_job(store: Store, config: Config, today: date, *, digest: bool = False,
               now: datetime | None = None) -> dict:
    """Queue the emails of new and escalated episodes, of seasons that started or rose (and the digest),
    then deliver what is due. A run that left due messages undelivered is recorded as failed and raises
    the administrators' alert."""
    from ..notify import deliver, queue_alert_messages, queue_digests
    from .season_emails import queue_season_messages

    with job_run(store, "notify") as details:
        details["queue"] = queue_alert_messages(store, config, today, now=now)
        season_failure = None
        try:
            details["season"] = queue_season_messages(store, config, today, now=now)
        except Exception as exc:  # the alerts' emails go out all the same; the run is then recorded as failed
            season_failure, details["season"] = exc, {"queued": 0, "error": _error_line(exc)}
        if digest:
            details["digest"] = queue_digests(store, config, today, now=now)
        details["delivery"] = deliver(store, config, now=now)
        queued = details["queue"]["queued"] + details["season"]["queued"]
        message = joined([note("queued", n=queued), _delivery_line(details["delivery"])])
        _undelivered(store, config, today, details["delivery"], details, now)
        details["message"] = message
        if season_failure is not None:
            raise season_failure
    return {**details, "message": message}


def deliver_job(store: Store, config: Config, now: datetime | None = None) -> dict:
    """Retry the queued messages that are due (the service runs this every few minutes)."""
    from .. import clock
    from ..notify import deliver, outbox_status

    queued = outbox_status(store.cursor()).get("queued", 0)
    if not queued:
        return {"sent": 0, "retry": 0, "failed": 0, "unconfirmed": 0}
    with job_run(store, "deliver") as details:
        details.update(deliver(store, config, now=now))
        day = now.date() if now is not None else clock.today(config)
        _undelivered(store, config, day, details, details, now)
        details["message"] = _delivery_line(details)
    return details


def _delivery_line(d: dict) -> str:
    counts = {"sent": d["sent"], "retry": d["retry"], "failed": d["failed"]}
    line = (note("delivered_unconfirmed", **counts, unconfirmed=d["unconfirmed"]) if d.get("unconfirmed")
            else note("delivered", **counts))
    return joined([line, str(d["error"])]) if d.get("error") else line


def _undelivered(store: Store, config: Config, day: date, delivery: dict, details: dict,
                 now: datetime | None) -> None:
    """Due messages that did not go out: the run is red and administrators get a data-quality alert
    (queued at once, so it goes out with the next delivery the server takes)."""
    from ..notify import queue_alert_messages
    from ..notify.undelivered import raise_delivery_alert, undelivered_count

    if not undelivered_count(delivery):
        return
    details["status"] = "failed"
    if raise_delivery_alert(store, config, day, delivery):
        details["alert_queued"] = queue_alert_messages(store, config, day, now=now)["queued"]


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


class CycleFailed(SurveillanceError):
    """Jobs of a cycle failed (each recorded as a failed job run) after every job had its turn."""

    def __init__(self, failures: list[tuple[str, Exception]]):
        self.failures = failures
        super().__init__("; ".join(f"{job} failed: {_error_line(exc)}" for job, exc in failures))


def _error_line(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, SurveillanceError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_cycle(store: Store, config: Config, today: date, progress: Callable | None = None, *,
              detect: bool = True, notify: bool = True, digest: bool = False) -> dict:
    """Ingest, detect, alert, notify, prune the audit trail, snapshot. Each job runs whatever happened to the ones before it
    (detection judges what is stored when ingest failed; notify delivers what is queued when detection
    failed) and the snapshot is always refreshed, so that what did succeed is visible to notebooks.
    A failed job is recorded in ``job_runs`` and raised at the end: a lone user-facing error as it is
    (``DetectorsFailed`` keeps the other detectors' results), anything else as ``CycleFailed``."""
    from .detect import DetectorsFailed

    result: dict = {}
    failures: list[tuple[str, Exception]] = []
    steps = [("ingest", lambda: ingest_job(store, config, today, progress))]
    if detect:
        steps.append(("detect", lambda: detect_job(store, config, today)))
    if notify:
        steps.append(("notify", lambda: notify_job(store, config, today, digest=digest)))
    steps.append(("audit_pruned", lambda: audit_retention_job(store, config)))
    if config.database.snapshot_path is not None:
        steps.append(("snapshot", lambda: snapshot_job(store, config)))
    for name, job in steps:
        try:
            result[name] = job()
        except STORE_FAULTS as exc:  # the store itself failed: the next jobs could not record anything
            failures.append((name, exc))
            break
        except DetectorsFailed as exc:
            failures.append((name, exc))
            result[name] = exc.summary
        except Exception as exc:  # noqa: BLE001 - recorded as a failed job run; the next jobs still run
            log.exception("job %s failed", name)
            failures.append((name, exc))
    if len(failures) == 1 and isinstance(failures[0][1], SurveillanceError):
        raise failures[0][1]
    if failures:
        raise CycleFailed(failures) from failures[0][1]
    return result
