"""Signals -> alert episodes: one alert per region x syndrome x age group while its signal lasts.

A pure function of explicit inputs (:func:`update_episodes`); the store persists its output.
Inside, an episode is an :class:`Episode` (one ``alert_episodes`` row with lists and dates),
the signals of one day that feed one episode are a :class:`SignalGroup`, and each rule below is
a function of those (it may update the episodes it is given) that returns the :class:`Event`
objects it caused.

Rules, for the signals of each day in date order (only signals with severity yellow or red):

* **Key.** Outbreak episodes are keyed by ``(region, syndrome, age_group)``: several detectors
  signalling the same series on the same day feed one episode. A space-time cluster is one
  episode (kind ``cluster``) covering its regions; a later cluster of the same syndrome sharing
  a region extends it. Data-quality findings make ``data_quality`` episodes keyed by the finding.
* **Open / extend.** A signal opens an episode unless an episode of its key is still running and
  its last signal is at most ``gap_days`` periods back (days for daily series, weeks for weekly
  ones); then it extends that episode and joins its evidence.
* **End.** An episode without a signal for ``quiet_days`` periods ends on the day the quiet period
  completes (``ended_on``); a later signal opens a new episode.
* **Escalate.** When the severity rises above the episode's highest so far, or (outbreaks) when an
  episode of a neighbouring region with the same syndrome runs at the same time (it "joins"), or
  (clusters) when the cluster gains regions. Episodes opened on the same day list each other as
  neighbours without an escalation.
* **Incomplete data.** ``notify_severity`` is the highest severity with red on incomplete data
  counted as yellow: emails say what ``notify_severity`` says, so red on partial data is not
  emailed as red until a judgement on filled-in data confirms it (an escalation).
* **Provisional data.** ``provisional`` says the latest signal was on a day whose data were still
  arriving (judged against an expectation scaled to the share usually known by then). Unlike
  incomplete data it does not lower what emails say: the scaling already allows for the delay.

Events (``opened``, ``escalated``, ``ended``) carry ``notify``: whether they should be emailed
(opened or escalated, on a day not before ``notify_since``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import pandas as pd

from .. import notes
from ..vocabulary import SEVERITIES, syndrome_group
from ..vocabulary import severity_rank as rank
from ..store.alerts import EPISODE_COLUMNS, EVENT_COLUMNS, EVIDENCE_COLUMNS
from .episode_types import Episode, Event, SignalGroup, day_of

__all__ = ["EPISODE_COLUMNS", "EVENT_COLUMNS", "EVIDENCE_COLUMNS", "Episode", "Event", "SignalGroup",
           "update_episodes"]

# Signals coloured above "none" (yellow, red) make and feed episodes; the others are quiet days.
COLOURED = tuple(code for code in SEVERITIES if rank(code) > rank("none"))

# The order signals are applied in, after their day: fixed so the result is deterministic.
SIGNAL_ORDER = ["_date", "detector", "region", "syndrome", "age_group"]


def update_episodes(
    existing: pd.DataFrame | None,
    new_signals: pd.DataFrame,
    neighbours: pd.DataFrame | dict | None,
    today,
    gap_days: int = 2,
    quiet_days: int = 7,
    *,
    next_id: int = 1,
    notify_since=None,
    by_event: bool = False,
    place_of=None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply ``new_signals`` (rows of ``signals``) to the ``existing`` episodes as of ``today``.

    Returns ``(episodes, events, evidence)``: every episode that is new or changed (all columns
    of ``EPISODE_COLUMNS``; new ones numbered from ``next_id``), the events to record, and the
    evidence rows to upsert (keyed by episode, detector, region and date). ``neighbours`` is a
    ``region, neighbour`` table (or a dict of sets). Existing episodes that nothing touched are
    not returned. Deterministic: the same inputs give the same outputs. ``by_event``: one outbreak
    episode per region and syndrome group (every age group, related syndromes, every detector) instead
    of one per series; with ``place_of`` (a unit's county) also one data-quality episode per finding and
    place, gathering its silent units, instead of one per unit.
    """
    place = place_of if by_event else None
    today = day_of(today)
    notify_since = day_of(notify_since) if notify_since is not None else date.min
    adjacency = _adjacency(neighbours)
    episodes: dict[int, Episode] = {}
    index = EpisodeIndex(by_event, place)
    for row in ([] if existing is None else existing.to_dict("records")):
        episode = Episode.from_row(row)
        episodes[episode.episode_id] = episode
        index.add(episode)
    events: list[Event] = []
    signalled: set[int] = set()  # episodes that got a signal (the others changed only if they have an event)
    evidence: dict[tuple, dict] = {}  # the newest judgement of a signal replaces an earlier one

    for day, groups in signal_groups_by_day(new_signals, by_event, place):
        events += end_quiet(episodes.values(), day, quiet_days)
        fed: list[Episode] = []
        opened_ids: set[int] = set()
        for group in groups:
            episode = find_episode(index.taking(group), group, gap_days, by_event, place, adjacency)
            if episode is None:
                episode, opened = open_episode(group, next_id, place if by_event else None)
                next_id += 1
                episodes[episode.episode_id] = episode
                index.add(episode)
                opened_ids.add(episode.episode_id)
                events.append(opened)
            else:
                events += extend_episode(episode, group)
            if by_event and place is not None and group.kind == "outbreak":  # the event's places (counties)
                episode.regions = sorted(set(episode.regions) | {place(r) for r in group.regions})
            fed.append(episode)
            evidence.update(group.evidence(episode.episode_id))
        events += join_neighbours(fed, opened_ids, index, adjacency, day, gap_days, by_event)
        signalled.update(episode.episode_id for episode in fed)

    events += end_quiet(episodes.values(), today + timedelta(days=1), quiet_days)
    changed = sorted(signalled | {event.episode_id for event in events})
    return (pd.DataFrame([episodes[i].to_row() for i in changed], columns=EPISODE_COLUMNS),
            pd.DataFrame([event.to_row(notify_since) for event in events], columns=EVENT_COLUMNS),
            pd.DataFrame(list(evidence.values()), columns=EVIDENCE_COLUMNS))


def signal_groups_by_day(signals: pd.DataFrame, by_event: bool = False,
                         place_of=None) -> list[tuple[date, list[SignalGroup]]]:
    """The coloured signals, day by day in date order, each day's grouped by the episode they feed:
    one group per outbreak series or data-quality finding, one per cluster (detector and centre)."""
    coloured = signals[signals["severity"].isin(COLOURED)] if len(signals) else signals
    if not len(coloured):
        return []
    records = coloured.assign(_date=pd.to_datetime(coloured["date"])).sort_values(
        SIGNAL_ORDER, kind="stable").to_dict("records")
    by_day: dict[date, dict[tuple, list[dict]]] = {}
    for record in records:
        kind = SignalGroup.kind_of(record)
        by_day.setdefault(day_of(record["_date"]), {}).setdefault(_group_key(kind, record, by_event, place_of), []).append(record)
    return [(day, [SignalGroup.of(key[0], day, rows) for key, rows in by_day[day].items()]) for day in sorted(by_day)]


def _group_key(kind: str, signal: dict, by_event: bool = False, place_of=None) -> tuple:
    if by_event and kind == "outbreak":
        place = place_of(signal["region"]) if place_of is not None else signal["region"]
        return (kind, place, syndrome_group(signal["syndrome"]))
    if place_of is not None and kind == "data_quality":
        return (kind, place_of(signal["region"]), signal["syndrome"])
    series = (signal["region"], signal["syndrome"], signal["age_group"])
    # Each cluster is judged apart (it carries its own regions); the others group per series.
    return (kind, signal["detector"], *series) if kind == "cluster" else (kind, *series)


def end_quiet(episodes: Iterable[Episode], before: date, quiet_days: int) -> list[Event]:
    """End the running episodes whose quiet period completed before ``before``; their ``ended`` events."""
    events = []
    for episode in episodes:
        if episode.ended_on is not None:
            continue
        end = episode.quiet_until(quiet_days)
        if end < before:
            episode.ended_on = end
            key = "ended_days" if episode.period_days == 1 else "ended_periods"
            events.append(episode.event(end, "ended", notes.note(key, n=quiet_days, day=episode.last_signal_on)))
    return events


def find_episode(episodes: Iterable[Episode], group: SignalGroup, gap_days: int,
                 by_event: bool = False, place_of=None, adjacency: dict | None = None) -> Episode | None:
    """The episode ``group`` extends: of its key, covering its day, within the gap; the one with
    the latest signal (the first of those in order) when several qualify."""
    candidates = [episode for episode in episodes if episode.takes(group, gap_days, by_event, place_of, adjacency)]
    return max(candidates, key=lambda episode: episode.last_signal_on, default=None)


def open_episode(group: SignalGroup, episode_id: int, place_of=None) -> tuple[Episode, Event]:
    """A new episode from ``group``, and its ``opened`` event (for email). With ``place_of`` an outbreak
    belongs to its place: a facility's signals open an episode of its county."""
    level, region, regions = group.first["level"], group.first["region"], group.regions
    if place_of is not None and group.kind == "outbreak":
        region, regions = place_of(region), sorted({place_of(r) for r in group.regions})
        level = "county" if level == "facility" else level
    episode = Episode(
        episode_id=episode_id, kind=group.kind, level=level, region=region,
        regions=regions, syndrome=group.first["syndrome"], age_group=group.first["age_group"],
        detectors=sorted(group.detectors), period_days=group.period_days, opened_on=group.day,
        last_signal_on=group.day, ended_on=None, severity=group.severity, notify_severity=group.notify_severity,
        incomplete=group.incomplete, provisional=group.provisional,
    )
    return episode, episode.event(group.day, "opened", group.describe(), notify=True)


def extend_episode(episode: Episode, group: SignalGroup) -> list[Event]:
    """Add ``group`` to ``episode``; an ``escalated`` event when it rose in severity, had its red
    confirmed on complete data, or (a cluster) gained regions."""
    reasons = []
    if rank(group.severity) > rank(episode.severity):
        episode.severity = group.severity
        reasons.append(notes.note("rose", severity=group.severity))
    notify_rose = rank(group.notify_severity) > rank(episode.notify_severity)
    if notify_rose:
        if episode.severity == group.notify_severity and not reasons:
            reasons.append(notes.note("confirmed", severity=group.notify_severity))
        episode.notify_severity = group.notify_severity
    new_regions = [region for region in group.regions if region not in episode.regions]
    if group.kind == "data_quality" and new_regions:  # another unit of the place fell silent
        episode.regions = sorted(set(episode.regions) | set(new_regions))
    if group.kind == "cluster" and new_regions:
        episode.regions = sorted(set(episode.regions) | set(new_regions))
        reasons.append(notes.note("grew", regions=", ".join(new_regions)))
    episode.opened_on = min(episode.opened_on, group.day)  # a late judgement of an earlier day
    if group.day >= episode.last_signal_on:
        episode.last_signal_on = group.day
        episode.incomplete = group.incomplete
        episode.provisional = group.provisional
    episode.detectors = sorted(set(episode.detectors) | group.detectors)
    if not reasons:
        return []
    # A severity rise seen only on incomplete data is recorded but not emailed.
    return [episode.event(group.day, "escalated", notes.joined(reasons), notify=notify_rose or bool(new_regions))]


def join_neighbours(fed: list[Episode], opened_ids: set[int], index: EpisodeIndex,
                    adjacency: dict[str, set[str]], day: date, gap_days: int, by_event: bool = False) -> list[Event]:
    """Outbreak episodes of neighbouring regions (same syndrome and age group) running together list
    each other's region; an ``escalated`` event for each that was not opened today."""
    if not adjacency:
        return []
    events = []
    for new in fed:
        if new.kind != "outbreak":
            continue
        for other in index.beside(new, adjacency):
            if not _runs_beside(other, new, adjacency, day, gap_days, by_event):
                continue
            for joined, joining in ((other, new), (new, other)):
                if joining.region in joined.regions:
                    continue
                joined.regions = sorted(set(joined.regions) | {joining.region})
                if joined.episode_id not in opened_ids:
                    events.append(joined.event(day, "escalated", notes.note("joined", region=joining.region),
                                               notify=True))
    return events


class EpisodeIndex:
    """The episodes by what a signal group or a neighbour must share with them, so that finding the one a
    group extends, or the neighbours an outbreak runs beside, looks at those few instead of every episode
    of a national backfill; each list keeps the episodes' order (which one wins a tie)."""

    def __init__(self, by_event: bool = False, place_of=None):
        self.by_event, self.place_of = by_event, place_of
        self._taking: dict[tuple, list[Episode]] = {}
        self._outbreaks: dict[tuple, list[Episode]] = {}
        self._order: dict[int, int] = {}

    def _key(self, kind: str, syndrome: str, age_group: str, region: str) -> tuple:
        """What :meth:`Episode.takes` requires to be equal before it looks further."""
        if self.by_event and kind == "outbreak":
            return (kind, syndrome_group(syndrome))
        if kind == "cluster" or (kind == "data_quality" and self.place_of is not None):
            return (kind, syndrome, age_group)  # a shared region, or the same place
        return (kind, syndrome, age_group, region)

    def _series(self, episode: Episode) -> tuple:
        return (syndrome_group(episode.syndrome),) if self.by_event else (episode.syndrome, episode.age_group)

    def add(self, episode: Episode) -> None:
        self._order[episode.episode_id] = len(self._order)
        key = self._key(episode.kind, episode.syndrome, episode.age_group, episode.region)
        self._taking.setdefault(key, []).append(episode)
        if episode.kind == "outbreak":
            self._outbreaks.setdefault((*self._series(episode), episode.region), []).append(episode)

    def taking(self, group: SignalGroup) -> list[Episode]:
        """The episodes that might take ``group`` (``Episode.takes`` decides)."""
        return self._taking.get(self._key(group.kind, group.syndrome, group.age_group, group.region), [])

    def beside(self, episode: Episode, adjacency: dict[str, set[str]]) -> list[Episode]:
        """The outbreak episodes of ``episode``'s neighbouring regions and series, in the episodes' order."""
        series = self._series(episode)
        near = [other for region in adjacency.get(episode.region, ())
                for other in self._outbreaks.get((*series, region), [])]
        return sorted(near, key=lambda other: self._order[other.episode_id])


def _runs_beside(other: Episode, new: Episode, adjacency: dict[str, set[str]], day: date, gap_days: int,
                 by_event: bool = False) -> bool:
    same = (syndrome_group(other.syndrome) == syndrome_group(new.syndrome) if by_event
            else other.syndrome == new.syndrome and other.age_group == new.age_group)
    return (other.kind == "outbreak" and other is not new and same and other.region in adjacency.get(new.region, ())
            and other.ended_on is None and other.reaches(day, gap_days))


def _adjacency(neighbours) -> dict[str, set[str]]:
    if neighbours is None:
        return {}
    if isinstance(neighbours, dict):
        return {k: set(v) for k, v in neighbours.items()}
    adj: dict[str, set[str]] = {}
    for a, b in zip(neighbours["region"].astype(str), neighbours["neighbour"].astype(str)):
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    return adj
