"""A cycle's signals into episodes: store the new signals, update the episodes they touch, record the
events and evidence, all inside the caller's transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from ..store.alerts import insert_new_signals, load_episodes, next_episode_id, save_alerts
from ..store.counts import county_of_units
from ..store.reference import neighbour_pairs
from .episodes import update_episodes


def apply_signals(cur, signals: pd.DataFrame, *, today: date, gap_days: int, quiet_days: int,
                  notify_since: date | None, now: datetime | None = None, by_event: bool = False) -> dict:
    """Store new signals and update episodes from them; returns what changed."""
    now = now or datetime.now()
    fresh = insert_new_signals(cur, signals, now)
    since = None
    if len(fresh):
        since = pd.to_datetime(fresh["date"]).min().date() - timedelta(days=(quiet_days + gap_days + 1) * 7)
    episodes, events, evidence = update_episodes(load_episodes(cur, since), fresh, neighbour_pairs(cur), today, gap_days,
                                                 quiet_days, next_id=next_episode_id(cur), notify_since=notify_since,
                                                 by_event=by_event, place_of=county_of_units(cur) if by_event else None)
    save_alerts(cur, episodes, events, evidence, now)
    actions = events["action"] if len(events) else pd.Series(dtype=object)
    return {
        "signals": int(len(fresh)),
        "signals_coloured": int(fresh["severity"].isin(["yellow", "red"]).sum()) if len(fresh) else 0,
        "episodes_opened": int((actions == "opened").sum()),
        "episodes_escalated": int((actions == "escalated").sum()),
        "episodes_ended": int((actions == "ended").sum()),
    }
