"""The scheduler factory: which job runs when."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler

from surveillance.config import Config
from surveillance.cycle import run_cycle
from surveillance.store import Store

log = logging.getLogger(__name__)


def _cycle(store: Store, config: Config) -> None:
    today = datetime.now(ZoneInfo(config.schedule.timezone)).date()
    try:
        result = run_cycle(store, config, today)
        log.info("cycle done: %s", result["ingest"].get("feeds"))
    except Exception:  # the job run is recorded as failed; the scheduler must keep going
        log.exception("cycle failed")


def create_scheduler(store: Store, config: Config) -> BackgroundScheduler:
    """Feeds are pulled every ``ingest_every_minutes``, and a full cycle runs daily at ``detect_at``."""
    scheduler = BackgroundScheduler(timezone=ZoneInfo(config.schedule.timezone))
    scheduler.add_job(_cycle, "interval", minutes=config.schedule.ingest_every_minutes, args=[store, config],
                      id="ingest", name="pull every feed", max_instances=1, coalesce=True)
    hour, minute = (int(part) for part in config.schedule.detect_at.split(":"))
    scheduler.add_job(_cycle, "cron", hour=hour, minute=minute, args=[store, config],
                      id="daily", name="daily cycle", max_instances=1, coalesce=True)
    return scheduler
