"""The scheduler factory: which job runs when.

* ``ingest`` every ``ingest_every_minutes``: pull every feed, then refresh the snapshot;
* ``daily`` at ``detect_at``: the full cycle (ingest, detect with data-quality checks and alert
  episodes, notify, snapshot);
* ``deliver`` every ``email.retry_every_minutes``: send queued emails that are due (retries after
  an SMTP outage);
* ``digest`` at ``email.digest_at`` (when set): the daily digest;
* ``report`` on Mondays, ``REPORT_AFTER_MINUTES`` after ``detect_at`` (once the daily cycle has taken
  Sunday's data in): the weekly situation report of the week just ended, for the subscriptions with
  ``report = "weekly"``.

One instance of each job at a time, misfires coalesced, and a lock so that the cycle jobs never
overlap (one process owns the database; its writers take turns). A failed job is recorded in
``job_runs`` by the library and retried ``RETRIES`` times, ``RETRY_MINUTES`` apart.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from surveillance import clock
from surveillance.config import Config
from surveillance.report.weekly import weekly_report_job
from surveillance.service.cycle import deliver_job, ingest_job, notify_job, run_cycle, snapshot_job
from surveillance.store import Store

log = logging.getLogger(__name__)

RETRIES = 3
RETRY_MINUTES = 10
MISFIRE_GRACE_SECONDS = 3600
REPORT_AFTER_MINUTES = 60


class Jobs:
    """The job bodies, sharing one lock so that cycle steps do not interleave."""

    def __init__(self, store: Store, config: Config, scheduler: BackgroundScheduler | None = None):
        self.store, self.config, self.scheduler = store, config, scheduler
        self.lock = threading.Lock()

    def _guarded(self, name: str, body, attempt: int = 0) -> None:
        with self.lock:
            try:
                body()
            except Exception:  # recorded as failed in job_runs; the scheduler must keep going
                log.exception("job %s failed (attempt %d)", name, attempt + 1)
                if self.scheduler is not None and attempt < RETRIES:
                    when = clock.now(self.config) + timedelta(minutes=RETRY_MINUTES)
                    self.scheduler.add_job(self._guarded, "date", run_date=when, args=[name, body, attempt + 1],
                                           id=f"{name}-retry", replace_existing=True, misfire_grace_time=None)

    def ingest(self) -> None:
        def body():
            try:
                ingest_job(self.store, self.config, clock.today(self.config))
            finally:  # what was ingested before a failure is still worth a fresh snapshot
                snapshot_job(self.store, self.config)
        self._guarded("ingest", body)

    def daily(self) -> None:
        self._guarded("daily", lambda: run_cycle(self.store, self.config, clock.today(self.config)))

    def deliver(self) -> None:
        self._guarded("deliver", lambda: deliver_job(self.store, self.config))

    def digest(self) -> None:
        def body():
            notify_job(self.store, self.config, clock.today(self.config), digest=True)
        self._guarded("digest", body)

    def report(self) -> None:
        self._guarded("report", lambda: weekly_report_job(self.store, self.config, clock.today(self.config)))


def create_scheduler(store: Store, config: Config) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=clock.service_zone(config))
    once = {"max_instances": 1, "coalesce": True, "misfire_grace_time": MISFIRE_GRACE_SECONDS}
    jobs = Jobs(store, config, scheduler)
    scheduler.add_job(jobs.ingest, "interval", minutes=config.schedule.ingest_every_minutes,
                      id="ingest", name="pull every feed", **once)
    hour, minute = (int(part) for part in config.schedule.detect_at.split(":"))
    scheduler.add_job(jobs.daily, "cron", hour=hour, minute=minute, id="daily",
                      name="daily cycle: ingest, detect, alert, notify, snapshot", **once)
    scheduler.add_job(jobs.deliver, "interval", minutes=config.email.retry_every_minutes, id="deliver",
                      name="send queued emails that are due", **once)
    if config.email.digest_at:
        hour, minute = (int(part) for part in config.email.digest_at.split(":"))
        scheduler.add_job(jobs.digest, "cron", hour=hour, minute=minute, id="digest", name="daily digest", **once)
    if any(sub.report == "weekly" for sub in config.subscriptions):
        hour, minute = (int(part) for part in config.schedule.detect_at.split(":"))
        hour, minute = divmod((hour * 60 + minute + REPORT_AFTER_MINUTES) % (24 * 60), 60)
        scheduler.add_job(jobs.report, "cron", day_of_week="mon", hour=hour, minute=minute, id="report",
                          name="weekly situation report of the week just ended", **once)
    return scheduler
