"""The types the episode rules (:mod:`surveillance.alerts.episodes`) work on, and their rows.

* :class:`Episode`: one row of ``alert_episodes`` with its JSON lists as lists and its days as
  dates; :meth:`Episode.from_row` reads a row as the store loads it, :meth:`Episode.to_row`
  gives the row the store saves.
* :class:`SignalGroup`: the coloured signals of one day that feed one episode, with what the
  rules need of them (highest severity, regions, detectors) worked out once.
* :class:`Event`: a system event of an episode (``opened``, ``escalated``, ``ended``) as a row
  of ``alert_events``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..notes import joined, note
from ..vocabulary import SYSTEM_USER, syndrome_group
from ..vocabulary import severity_rank as rank
from .signals import cap_incomplete

QUALITY_DETECTOR = "quality"  # the detector label of data-quality findings (see signals_from_findings)


@dataclass
class Episode:
    """An alert episode (the columns of ``alert_episodes`` without its timestamps)."""

    episode_id: int
    kind: str  # outbreak | cluster | data_quality (vocabulary.KINDS)
    level: str
    region: str  # cluster: the region of its first signal; data quality: unit, feed or region
    regions: list[str]  # the region and neighbours that joined, or the cluster's regions
    syndrome: str  # data quality: the finding
    age_group: str
    detectors: list[str]  # labels of the detectors that signalled, sorted
    period_days: int  # 1 daily, 7 weekly: the unit of the gap and the quiet period
    opened_on: date
    last_signal_on: date
    ended_on: date | None  # set once the quiet period has passed
    severity: str  # highest severity of its signals
    notify_severity: str  # highest with red on incomplete data counted as yellow: what emails say
    incomplete: bool  # its latest signal was on incomplete data
    state: str = "new"  # of the workflow; the rules never change it
    outcome: str | None = None
    provisional: bool = False  # its latest signal was on a day whose data were still arriving

    @classmethod
    def from_row(cls, row: dict) -> Episode:
        """An episode from a row as loaded (JSON lists, timestamps or NaT; NaN for a missing value)."""
        return cls(
            episode_id=int(row["episode_id"]), kind=row["kind"], level=row["level"], region=row["region"],
            regions=_list(row["regions"]) or [row["region"]], syndrome=row["syndrome"], age_group=row["age_group"],
            detectors=_list(row["detectors"]), period_days=int(row["period_days"] or 1),
            opened_on=day_of(row["opened_on"]), last_signal_on=day_of(row["last_signal_on"]),
            ended_on=day_of(row.get("ended_on")), severity=row["severity"], notify_severity=row["notify_severity"],
            incomplete=bool(row["incomplete"]), state=row.get("state") or "new",
            outcome=None if _missing(row.get("outcome")) else row["outcome"],
            provisional=flag(row.get("provisional")),
        )

    def to_row(self) -> dict:
        """The row to save: the lists as sorted JSON."""
        return asdict(self) | {"regions": json.dumps(sorted(self.regions)),
                               "detectors": json.dumps(sorted(self.detectors))}

    def event(self, day: date, action: str, note: str, notify: bool = False) -> Event:
        """An event of this episode now: it records the severity an email would say at this point."""
        return Event(self.episode_id, day, action, note, self.notify_severity, notify)

    def quiet_until(self, quiet_days: int) -> date:
        """The day its quiet period completes if no signal comes."""
        return self.last_signal_on + timedelta(days=quiet_days * self.period_days)

    def reaches(self, day: date, gap_days: int) -> bool:
        """Whether ``day`` is at most ``gap_days`` periods before its opening or after its last signal."""
        reach = timedelta(days=(gap_days + 1) * self.period_days)
        return self.opened_on - reach <= day <= self.last_signal_on + reach

    def covers(self, day: date) -> bool:
        """Running, or ended with ``day`` inside it (a late judgement of one of its days)."""
        return self.ended_on is None or self.opened_on <= day <= self.ended_on

    def takes(self, group: SignalGroup, gap_days: int, by_event: bool = False, place_of=None,
              adjacency: dict | None = None) -> bool:
        """Whether ``group`` may extend this episode: the same key (a cluster: a shared region), on
        a day it covers and within the gap. ``by_event``: an outbreak's key is its place and syndrome
        group (every age group, related syndromes; with ``place_of`` a facility's place is its county, and
        with ``adjacency`` a neighbouring county's signals join the event too), not its series."""
        if self.kind != group.kind:
            return False
        if by_event and self.kind == "outbreak":
            if syndrome_group(self.syndrome) != syndrome_group(group.syndrome):
                return False
        elif self.syndrome != group.syndrome or self.age_group != group.age_group:
            return False
        if self.kind == "cluster":
            same_place = bool(set(self.regions) & set(group.regions))
        elif self.kind == "data_quality" and place_of is not None:  # a finding of any unit of the place
            same_place = place_of(self.region) == place_of(group.region)
        elif by_event and self.kind == "outbreak" and place_of is not None:
            mine = {place_of(r) for r in [self.region, *self.regions]}
            near = set().union(*(adjacency.get(r, set()) for r in mine)) if adjacency else set()
            same_place = bool({place_of(r) for r in group.regions} & (mine | near))
        else:
            same_place = self.region == group.region
        return same_place and self.covers(group.day) and self.reaches(group.day, gap_days)


@dataclass(frozen=True)
class Event:
    """A system event of an episode."""

    episode_id: int
    day: date  # the data day that caused it
    action: str  # opened | escalated | ended (vocabulary.EVENTS)
    note: str
    severity: str  # the episode's notify_severity when it happened
    notify: bool  # worth an email (it is emailed only if on a day not before notify_since)

    def to_row(self, notify_since: date) -> dict:
        return {"episode_id": self.episode_id, "day": self.day, "user_name": SYSTEM_USER, "action": self.action,
                "from_state": None, "to_state": None, "severity": self.severity, "note": self.note,
                "notify": bool(self.notify and self.day >= notify_since)}


@dataclass(frozen=True)
class SignalGroup:
    """The coloured signals (rows of ``signals``, in order) of one day that feed one episode."""

    kind: str
    day: date
    signals: list[dict]
    period_days: int  # the longest of its signals (1 for a cluster, whatever its length in days)
    regions: list[str]  # sorted: its region, or all regions of its clusters
    detectors: frozenset[str]
    severity: str  # the highest
    notify_severity: str  # the highest with red on incomplete data counted as yellow
    incomplete: bool  # a signal of the highest severity is on incomplete data
    provisional: bool = False  # a signal of the highest severity is on a day whose data were still arriving

    @classmethod
    def of(cls, kind: str, day: date, signals: list[dict]) -> SignalGroup:
        cluster = kind == "cluster"
        severity = max((s["severity"] for s in signals), key=rank)
        return cls(
            kind=kind, day=day, signals=signals,
            period_days=1 if cluster else max(int(s["period_days"]) for s in signals),
            regions=sorted({region for s in signals for region in (_list(s["regions"]) if cluster else [s["region"]])}),
            detectors=frozenset(s["detector"] for s in signals), severity=severity,
            notify_severity=max((cap_incomplete(s["severity"], bool(s["incomplete"])) for s in signals), key=rank),
            incomplete=any(bool(s["incomplete"]) and s["severity"] == severity for s in signals),
            provisional=any(flag(s.get("provisional")) and s["severity"] == severity for s in signals),
        )

    @staticmethod
    def kind_of(signal: dict) -> str:
        """The kind of episode a signal feeds."""
        if signal["detector"] == QUALITY_DETECTOR:
            return "data_quality"
        return "cluster" if signal.get("regions") else "outbreak"

    @property
    def first(self) -> dict:
        """The signal an episode opened by this group takes its level, region and series from: the most
        severe, then the most significant (the first of those in order)."""
        return min(self.signals, key=lambda s: (-rank(s["severity"]), 1.0 if _missing(s["pvalue"]) else s["pvalue"]))

    @property
    def region(self) -> str:
        return self.first["region"]

    @property
    def syndrome(self) -> str:
        return self.first["syndrome"]

    @property
    def age_group(self) -> str:
        return self.first["age_group"]

    def describe(self) -> str:
        """The note of an ``opened`` event, from its most significant signal (smallest p-value)."""
        best = min(self.signals, key=lambda s: 1.0 if _missing(s["pvalue"]) else s["pvalue"])
        parts = [note("observed", detector=best["detector"], observed=_fmt(best["observed"]),
                      expected=_fmt(best["expected"]))]
        if not _missing(best.get("pvalue")):
            parts.append(note("pvalue", pvalue=f"{best['pvalue']:.2g}"))
        if best.get("detail"):
            parts.append(str(best["detail"]))
        if self.severity != self.notify_severity:
            completeness = best.get("completeness")
            parts.append(note("incomplete", severity=self.severity) if _missing(completeness) else
                         note("incomplete_known", severity=self.severity, share=f"{completeness:.0%}"))
            parts.append(note("said_as", severity=self.notify_severity))
        return joined(parts)

    def evidence(self, episode_id: int) -> dict[tuple, dict]:
        """Its signals as ``alert_evidence`` rows of ``episode_id``, by (episode, detector, region, day, series)."""
        rows = {}
        for s in self.signals:
            rows[(episode_id, s["detector"], s["region"], self.day, s["syndrome"], s["age_group"])] = {
                "episode_id": episode_id, "detector": s["detector"], "region": s["region"], "date": self.day,
                "as_of": day_of(s["as_of"]), "measure": s["measure"], "observed": s["observed"],
                "expected": s["expected"], "upperbound": s["upperbound"], "pvalue": s["pvalue"],
                "severity": s["severity"], "completeness": s["completeness"], "incomplete": bool(s["incomplete"]),
                "detail": s.get("detail"), "syndrome": s["syndrome"], "age_group": s["age_group"],
                "provisional": flag(s.get("provisional")),
            }
        return rows


def day_of(value) -> date | None:
    """A date from a date, timestamp or string; None for a missing one (None, NaN, NaT)."""
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def flag(value) -> bool:
    """A flag column's value as a bool: missing (a row from before the column, None, NaN) is false."""
    return bool(value) if isinstance(value, (bool, np.bool_)) else False


def _list(value) -> list:
    """A list from a list or its JSON; empty for a missing one."""
    if isinstance(value, list):
        return list(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return list(json.loads(value))


def _missing(value) -> bool:
    return value is None or pd.isna(value)


def _fmt(value) -> str:
    if _missing(value):
        return "?"
    return f"{value:,.1f}" if abs(value - round(value)) > 1e-9 else f"{value:,.0f}"
