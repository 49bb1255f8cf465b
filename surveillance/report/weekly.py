"""The Monday job: each subscription with ``report = "weekly"`` gets the report of its region for the
week just ended, in its language, once.

A message's outbox key is ``report:{week}:{region}:{recipient}``: a job that runs twice (a retry, a
restart, a manual run) finds the key and neither builds nor queues it again. Recipients of the same
region, language and exactness share one build, stored for the dashboard's Reports page.
"""

from __future__ import annotations

from datetime import date, datetime

from ..config import Config
from ..notify.outbox import Queued, queue_composed
from ..service.cycle import deliver_job
from ..store.outbox import known_keys
from ..store.runs import job_run
from .build import build_report, store_report
from .content import hierarchy_of, report_region
from .mail import compose_report_email
from .numbers import last_complete_week, week_code
from .words import say


def report_key(week: str, region: str | None, email: str) -> str:
    return f"report:{week}:{region or '*'}:{email}"


def queue_weekly_reports(store, config: Config, today: date, *, now: datetime | None = None,
                         pdf: bool = True) -> dict:
    """Build, store and queue the week's reports not queued before; returns ``week, queued, built``."""
    now = now or datetime.now()
    week = last_complete_week(today)
    code = week_code(week)
    readers = [s for s in config.subscriptions if s.report == "weekly"]
    if not readers:
        return {"week": code, "queued": 0, "built": 0}
    with store.transaction() as cur:
        tree = hierarchy_of(cur)
        regions = {s.email: report_region(tree, s.region) for s in readers}
        done = known_keys(cur, [report_key(code, regions[s.email], s.email) for s in readers])
    names = {lang: tree.names(lang) for lang in ("en", "zh")}
    built: dict[tuple, object] = {}
    messages = []
    for sub in readers:
        region = regions[sub.email]
        key = report_key(code, region, sub.email)
        if key in done:
            continue
        which = (region, sub.language, sub.exact_counts)
        if which not in built:
            report = build_report(store, config, region=region, week=week, language=sub.language,
                                  exact=sub.exact_counts, pdf=pdf, now=now)
            store_report(store, report)
            built[which] = report
        report = built[which]
        named = names[sub.language].get(region, region)
        place = say("everywhere", sub.language) if region is None else f"{named} ({region})"
        msg = compose_report_email(report, sender=config.smtp.sender, recipient=sub.email,
                                   base_url=config.service.base_url, place=place)
        messages.append(Queued(key, "report", None, None, sub.email, sub.language, msg))
    with store.transaction() as cur:
        queued = queue_composed(cur, messages, now)
    return {"week": code, "queued": queued, "built": len(built)}


def weekly_report_job(store, config: Config, today: date, *, now: datetime | None = None) -> dict:
    """The scheduled job: queue the week's reports (recorded in ``job_runs`` as ``report``), then deliver
    what is due as the service's delivery job does (undelivered mail raises the administrators' alert)."""
    with job_run(store, "report") as details:
        details.update(queue_weekly_reports(store, config, today, now=now))
        details["message"] = (f"{details['week']}: {details['queued']} report email(s) queued, "
                              f"{details['built']} report(s) built")
    return {**details, "delivery": deliver_job(store, config, now=now)}
