"""Were the alerts answered, and how fast? Response indicators from the alert workflow's tables.

Inputs are the two tables as the store keeps them: the **events** (``episode_id, at_time, day,
user_name, action, from_state, to_state, note``; ``user_name`` is ``system`` for the detect job)
and the **episodes** (``episode_id, kind, region, syndrome, detectors`` (a JSON list),
``opened_on, state, outcome, created_at``, and optionally ``outbreak_start``, the date an
outbreak began, recorded when it is closed as confirmed).

Per episode (``episode_timeliness``), from the opening (the ``opened`` event's time):

* **first action**: the first event by a person (any user but ``system``: a transition, a
  reopening or a note);
* **verification**: the first transition out of ``new``;
* **investigation**: the first move to ``investigating``; **closure**: the first move to ``closed``;
* for confirmed outbreaks with a start date, **7-1-7**: detection (outbreak start to the alert)
  within 7 days, notification (alert to first action) within 1 day, response (first action to
  the first investigation or closure) within 7 days.

Per group of episodes (``response_indicators``; by region, detector, syndrome or any column
of the episodes; an episode found by several detectors counts for each): the share of alerts
with a first action within 24 hours, median and 90th percentile hours to first action,
verification and closure (over the alerts that reached the step), the outcomes of closed
alerts and the positive predictive value (confirmed outbreaks over alerts closed with an
outcome), and the share of confirmed outbreaks meeting each 7-1-7 target. An alert opened
less than 24 hours before ``as_of`` and not yet answered is *pending*: it counts neither for
nor against the 24-hour share.
"""

from __future__ import annotations

import json
from typing import Sequence

import numpy as np
import pandas as pd

from .. import vocabulary
from ..errors import SurveillanceError
from ..vocabulary import SYSTEM_USER

# The workflow's words, from the vocabulary (the workflow's transitions are alerts.workflow's).
OPENED = "opened"
FIRST_STATE = next(iter(vocabulary.STATES))
INVESTIGATING = "investigating"
CLOSED = "closed"
CONFIRMED = "confirmed_outbreak"
OUTCOMES = tuple(vocabulary.OUTCOMES)
HUMAN_ACTIONS = ("transition", "reopened", "note")

EVENT_COLUMNS = ("episode_id", "at_time", "user_name", "action", "from_state", "to_state")
EPISODE_COLUMNS = ("episode_id", "region", "syndrome", "detectors", "outcome", "created_at")
ACTION_HOURS = 24.0
DETECTION_DAYS, NOTIFICATION_DAYS, RESPONSE_DAYS = 7, 1, 7


def _require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SurveillanceError(f"response indicators: the {name} table lacks column(s) {', '.join(missing)}")


def _first(events: pd.DataFrame, mask: pd.Series, name: str) -> pd.Series:
    return events[mask].groupby("episode_id")["at_time"].min().rename(name)


def detector_list(value) -> list[str]:
    """The detectors of an episode, from its JSON list (or a list)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value]
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return []
    parsed = json.loads(value)
    return [str(v) for v in (parsed if isinstance(parsed, list) else [parsed])]


def episode_timeliness(events: pd.DataFrame, episodes: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """One row per episode: its columns, the times of opening, first action, verification,
    investigation and closure, the hours between, and the 7-1-7 intervals and targets, from the
    events up to ``as_of`` (default: the last event)."""
    _require(events, EVENT_COLUMNS, "events")
    _require(episodes, EPISODE_COLUMNS, "episodes")
    events = events.assign(at_time=pd.to_datetime(events["at_time"]))
    as_of = pd.Timestamp(as_of) if as_of is not None else events["at_time"].max()
    events = events[events["at_time"] <= as_of]  # as known at as_of
    out = episodes.copy()
    out["created_at"] = pd.to_datetime(out["created_at"])
    opened = _first(events, events["action"] == OPENED, "opened_at")
    out = out.merge(opened, left_on="episode_id", right_index=True, how="left")
    out["opened_at"] = out["opened_at"].fillna(out["created_at"])  # an episode always has its creation

    after = events.merge(out[["episode_id", "opened_at"]], on="episode_id")
    after = after[after["at_time"] >= after["opened_at"]]
    human = (after["user_name"] != SYSTEM_USER) & after["action"].isin(HUMAN_ACTIONS)
    steps = [
        _first(after, human, "first_action_at"),
        _first(after, (after["action"] == "transition") & (after["from_state"] == FIRST_STATE), "verified_at"),
        _first(after, after["to_state"] == INVESTIGATING, "investigating_at"),
        _first(after, after["to_state"] == CLOSED, "closed_at"),
    ]
    for step in steps:
        out = out.merge(step, left_on="episode_id", right_index=True, how="left")

    def hours(column: str) -> pd.Series:
        return (out[column] - out["opened_at"]).dt.total_seconds() / 3600.0

    out["hours_to_action"] = hours("first_action_at")
    out["hours_to_verification"] = hours("verified_at")
    out["hours_to_closure"] = hours("closed_at")
    unanswered = out["first_action_at"].isna()
    out["pending"] = unanswered & ((as_of - out["opened_at"]).dt.total_seconds() / 3600.0 < ACTION_HOURS)
    within = out["hours_to_action"] <= ACTION_HOURS
    out["action_within_24h"] = within.where(~out["pending"])  # NaN while it may still be answered in time

    start = pd.to_datetime(out["outbreak_start"]) if "outbreak_start" in out.columns else pd.NaT
    out["outbreak_start"] = start
    response_at = out[["investigating_at", "closed_at"]].min(axis=1)
    confirmed = (out["outcome"] == CONFIRMED) & out["outbreak_start"].notna()
    out["detection_days"] = ((out["opened_at"].dt.normalize() - out["outbreak_start"]).dt.days).where(confirmed)
    out["notification_days"] = (out["hours_to_action"] / 24.0).where(confirmed)
    out["response_days"] = ((response_at - out["first_action_at"]).dt.total_seconds() / 86400.0).where(confirmed)
    for column, days, target in (("detection_days", DETECTION_DAYS, "detect_7d"),
                                 ("notification_days", NOTIFICATION_DAYS, "notify_1d"),
                                 ("response_days", RESPONSE_DAYS, "respond_7d")):
        # A confirmed outbreak whose step never happened has missed its target.
        out[target] = (out[column] <= days).where(confirmed)
    out["meets_717"] = (out["detect_7d"].astype(bool) & out["notify_1d"].astype(bool)
                        & out["respond_7d"].astype(bool)).where(confirmed)
    return out


def _share(values: pd.Series) -> float:
    judged = values.dropna()
    return float(judged.astype(bool).mean()) if len(judged) else np.nan


def _quantile(values: pd.Series, q: float) -> float:
    present = values.dropna()
    return float(np.quantile(present, q)) if len(present) else np.nan


def response_indicators(events: pd.DataFrame, episodes: pd.DataFrame, by: Sequence[str] = ("region", "detector", "syndrome"),
                        *, since=None, until=None, as_of=None) -> pd.DataFrame:
    """Indicators per group of the episodes opened from ``since`` to ``until`` (days, inclusive).
    ``by`` names episode columns, or ``detector`` for each of an episode's detectors; ``()`` for one row."""
    timeliness = episode_timeliness(events, episodes, as_of)
    opened_day = timeliness["opened_at"].dt.normalize()
    if since is not None:
        timeliness = timeliness[opened_day >= pd.Timestamp(since)]
    if until is not None:
        timeliness = timeliness[opened_day.loc[timeliness.index] <= pd.Timestamp(until)]
    by = list(by)
    if "detector" in by:
        timeliness = timeliness.assign(detector=timeliness["detectors"].map(detector_list)).explode("detector")
        timeliness = timeliness[timeliness["detector"].notna()]
    unknown = [c for c in by if c not in timeliness.columns]
    if unknown:
        raise SurveillanceError(f"response indicators: cannot group by {', '.join(unknown)}; "
                                f"episode columns: {', '.join(episodes.columns)}, or detector")
    groups = timeliness.groupby(by, dropna=False, sort=True) if by else [((), timeliness)]
    rows = []
    for key, g in groups:
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        closed = g[g["outcome"].isin(OUTCOMES)]
        outbreaks = g[g["meets_717"].notna()]
        row.update({
            "alerts": len(g),
            "actioned": int(g["first_action_at"].notna().sum()),
            "pending": int(g["pending"].sum()),
            "share_action_24h": _share(g["action_within_24h"]),
            "median_hours_to_action": _quantile(g["hours_to_action"], 0.5),
            "p90_hours_to_action": _quantile(g["hours_to_action"], 0.9),
            "verified": int(g["verified_at"].notna().sum()),
            "median_hours_to_verification": _quantile(g["hours_to_verification"], 0.5),
            "p90_hours_to_verification": _quantile(g["hours_to_verification"], 0.9),
            "closed": int(g["closed_at"].notna().sum()),
            "median_hours_to_closure": _quantile(g["hours_to_closure"], 0.5),
            "p90_hours_to_closure": _quantile(g["hours_to_closure"], 0.9),
            "closed_with_outcome": len(closed),
            **{outcome: int((closed["outcome"] == outcome).sum()) for outcome in OUTCOMES},
            "ppv": (closed["outcome"] == CONFIRMED).mean() if len(closed) else np.nan,
            "outbreaks_717": len(outbreaks),
            "share_detect_7d": _share(outbreaks["detect_7d"]),
            "share_notify_1d": _share(outbreaks["notify_1d"]),
            "share_respond_7d": _share(outbreaks["respond_7d"]),
            "share_717": _share(outbreaks["meets_717"]),
        })
        rows.append(row)
    return pd.DataFrame(rows)
