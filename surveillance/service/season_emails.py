"""Season emails from the notify job: once when a region's influenza-like illness or hand, foot and mouth
disease season starts, and once each time its intensity rises (``season.season_events``).

Which regions: every subscription's own region (the provinces for a subscription of everywhere) and
every province and city. Who: the outbreak subscriptions covering the region (its own or an ancestor's,
or everywhere) whose syndromes include the season's; a red-only subscription only for a rise to high
or very high. When: the events of the last ``RECENT_WEEKS`` whole weeks, so that a service started
mid-season does not email its whole past, and one missed cycle loses nothing. Never twice: each
message's outbox key names the region, syndrome, season, event and level (not the week, which a
late revision can move), and the outbox keeps a key once (``notify.outbox``).
"""

from __future__ import annotations

from contextlib import closing
from datetime import date, datetime, timedelta

import pandas as pd

from ..config import Config
from ..notify.outbox import Queued, enqueue_messages
from ..notify.season_mail import compose_season
from ..privacy import SmallCells
from ..store.reference import hierarchy
from .situation import SEASON_STARTS, complete_week, iso_monday, season_events

RECENT_WEEKS = 2
RED_LEVELS = ("high", "very_high")  # what a red-only subscription hears of


def season_regions(config: Config, tree) -> list[str]:
    """The regions whose seasons are followed: the subscriptions' own, every province and city."""
    regions = tree.regions if tree is not None else pd.DataFrame(columns=["code", "level"])
    codes = set(regions.loc[regions["level"].isin(["province", "city"]), "code"])
    codes |= {sub.region for sub in config.subscriptions if sub.region is not None}
    return sorted(codes)


def subscribers_of(config: Config, event: dict, tree) -> list:
    """The subscriptions a season event goes to."""
    lineage = tree.lineage(event["region"]) if tree is not None else {event["region"]}
    out = []
    for sub in config.subscriptions:
        if not sub.outbreaks or (sub.syndromes is not None and event["syndrome"] not in sub.syndromes):
            continue
        if sub.region is not None and sub.region not in lineage:
            continue
        if sub.min_severity == "red" and event["level"] not in RED_LEVELS:
            continue
        out.append(sub)
    return out


def season_key(event: dict, recipient: str) -> str:
    return f"season:{event['region']}:{event['syndrome']}:{event['season']}:{event['event']}:{event['level']}:{recipient}"


def queue_season_messages(store, config: Config, today: date, now: datetime | None = None) -> dict:
    """Queue the emails of the season events of the last whole weeks before ``today``; returns how many
    messages were queued and how many events were recent."""
    now = now or datetime.now()
    if not config.subscriptions:
        return {"queued": 0, "events": 0}
    week = complete_week(today - timedelta(days=1))
    with closing(store.cursor()) as con:
        tree = hierarchy(con)
    regions = season_regions(config, tree)
    if not regions:
        return {"queued": 0, "events": 0}
    events = season_events(store, regions=regions, week=week, syndromes=tuple(SEASON_STARTS))
    since = pd.Timestamp(iso_monday(week)) - pd.Timedelta(weeks=RECENT_WEEKS - 1)
    recent = events[pd.to_datetime(events["monday"]) >= since]
    names = {lang: tree.names(lang) if tree is not None else {} for lang in ("en", "zh")}
    small = SmallCells(config.privacy, config.age_groups)
    messages = []
    for event in recent.to_dict("records"):
        for sub in subscribers_of(config, event, tree):
            msg = compose_season(event=event, region_names=names[sub.language], base_url=config.service.base_url,
                                 sender=config.smtp.sender, recipient=sub.email, language=sub.language,
                                 exact=sub.exact_counts or small.min_cell <= 1,
                                 classification=config.audit.classification)
            messages.append(Queued(season_key(event, sub.email), "season", None, None, sub.email, sub.language, msg))
    with store.transaction() as cur:
        queued = enqueue_messages(cur, messages, now)
    return {"queued": queued, "events": len(recent)}
