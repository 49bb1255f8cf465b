"""Who gets which email, and the outbox.

Messages are composed when an episode opens or escalates and stored in the ``outbox`` with a
unique ``dedupe_key`` (one message per episode change and recipient) and a Message-ID derived
from it, in the same transaction that marks the events as notified; delivery is a separate step
(:mod:`.delivery`). So an SMTP outage loses nothing: queued messages wait and go out once each
when the server is back.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from email.message import EmailMessage
from typing import NamedTuple

import pandas as pd

from ..vocabulary import ALL_AGES, DEFAULT_LANGUAGE, LANGUAGES, PANEL_LEVELS, severity_rank
from ..config import Config
from ..regions import Hierarchy
from ..alerts.explain import explain_episodes
from ..privacy import SmallCells, series_hidden, viewer_headlines
from ..store.alerts import episodes_by_id, json_list, mark_events_notified, open_episodes, pending_events
from ..store.outbox import enqueue
from ..store.reference import hierarchy
from .compose import compose_alert, compose_digest
from .delivery import stable_message_id

def subscribers_for(config: Config, episode: dict, severity: str, tree: Hierarchy | None) -> list:
    """The subscriptions an episode change at ``severity`` goes to (a subscription's region covers the
    episode when it is the episode's region, one of a cluster's regions, or above one of them)."""
    covered = set()
    for r in {episode["region"], *json_list(episode["regions"])}:
        covered |= tree.lineage(r) if tree is not None else {r}
    dq = episode["kind"] == "data_quality"
    out = []
    for sub in config.subscriptions:
        if dq and not sub.data_quality:
            continue
        if not dq and not sub.outbreaks:
            continue
        if severity_rank(severity) < sub.min_rank:
            continue
        if not dq and sub.syndromes is not None and episode["syndrome"] not in sub.syndromes:
            continue
        if sub.region is not None and sub.region not in covered:
            continue
        out.append(sub)
    return out


HISTORY_DAYS = 28


def _series_regions(episode: dict) -> list[str]:
    return json.loads(episode["regions"]) if episode["kind"] == "cluster" else [episode["region"]]


def _histories(cur, episodes: list[dict], days: int = HISTORY_DAYS) -> dict[int, pd.DataFrame]:
    """Per episode: ``date, count`` of its series over the ``days`` days up to its last signal (NaN
    where nothing was reported), read with one query per level, syndrome and age group, not one
    per episode: a national first cycle opens thousands of episodes."""
    from ..store.counts import read_counts

    out: dict[int, pd.DataFrame] = {}
    groups: dict[tuple, list[dict]] = {}
    for ep in episodes:
        if ep["kind"] == "data_quality" or ep["level"] not in PANEL_LEVELS:
            out[int(ep["episode_id"])] = pd.DataFrame(columns=["date", "count"])
        else:
            groups.setdefault((ep["level"], ep["syndrome"], ep["age_group"]), []).append(ep)
    span = pd.Timedelta(days=days - 1)
    for (level, syndrome, age), members in groups.items():
        regions = sorted({r for ep in members for r in _series_regions(ep)})
        ends = [pd.Timestamp(ep["last_signal_on"]) for ep in members]
        long = read_counts(cur, level=level, syndromes=[syndrome], age_groups=None if age == ALL_AGES else [age],
                           start=min(ends) - span, end=max(ends), within=regions)
        wide = (long.assign(date=pd.to_datetime(long["date"]))
                .pivot_table(index="date", columns="region", values="count", aggfunc="sum")
                .reindex(index=pd.date_range(min(ends) - span, max(ends)), columns=regions))
        for ep, day in zip(members, ends):
            window = wide.loc[day - span:day, _series_regions(ep)]
            out[int(ep["episode_id"])] = pd.DataFrame({"date": window.index,
                                                       "count": window.sum(axis=1, min_count=1).to_numpy()})
    return out


def _headline_series(episode: dict, headline) -> dict:
    """The episode with the series and day its email's headline speaks of, for its four weeks of counts."""
    if headline.day is None or episode["kind"] == "data_quality":
        return episode
    return {**episode, "region": headline.region, "syndrome": headline.syndrome, "age_group": headline.age_group,
            "last_signal_on": headline.day}


def _exact(small: SmallCells, sub) -> bool:
    """Whether a subscription's recipients read exact counts: only when it says so (they are viewers)."""
    return sub.exact_counts or small.min_cell <= 1


def _hidden_history(cur, small: SmallCells, episode: dict, history: pd.DataFrame) -> pd.DataFrame:
    """The four weeks of counts of an episode's headline series (``_headline_series``) with its hidden days
    (``hidden``, their count NaN), for recipients without exact counts."""
    if not len(history) or episode["kind"] == "data_quality":
        return history.assign(hidden=False)
    hidden = series_hidden(cur, small, episode["syndrome"], _series_regions(episode), episode["age_group"],
                           history["date"])
    return history.assign(count=history["count"].where(~hidden), hidden=hidden)


def queue_alert_messages(store, config: Config, today: date, now: datetime | None = None) -> dict:
    """Compose and queue the emails of un-notified events (opened, escalated), one per episode and
    recipient per cycle, and mark the events notified, in one transaction. Recipients of a subscription
    without ``exact_counts`` read small counts suppressed (``[privacy]``), as viewers do."""
    now = now or datetime.now()
    queued = skipped = 0
    with store.transaction() as cur:
        events = pending_events(cur)
        if not len(events):
            return {"queued": 0, "events": 0}
        tree = hierarchy(cur)
        names = _names(tree)
        pending = events["episode_id"].unique()
        episodes = episodes_by_id(cur, pending)
        news = {}  # episode id -> its subscribers, for episodes still running
        for episode_id in events["episode_id"].unique():
            ep = episodes[int(episode_id)]
            if ep["ended_on"] is not None and not pd.isna(ep["ended_on"]):
                skipped += 1  # it was over before anyone could act: history, not news
                continue
            subscribers = subscribers_for(config, ep, ep["notify_severity"], tree)
            if subscribers:
                news[int(episode_id)] = subscribers
        headlines = explain_episodes(cur, [episodes[i] for i in news], silent_days=config.quality.silent_days)
        series = {i: _headline_series(episodes[i], headlines[i]) for i in news}
        histories = _histories(cur, list(series.values()))
        small = SmallCells(config.privacy, config.age_groups)
        viewers = [i for i in news if not all(_exact(small, sub) for sub in news[i])]
        shown = viewer_headlines(cur, small, [episodes[i] for i in viewers], {i: headlines[i] for i in viewers})
        shown_histories = {i: _hidden_history(cur, small, series[i], histories[i]) for i in viewers}
        messages = []
        for episode_id, group in events.groupby("episode_id", sort=True):
            if int(episode_id) not in news:
                continue
            ep = episodes[int(episode_id)]
            last = group.iloc[-1].to_dict()
            for sub in news[int(episode_id)]:
                exact = _exact(small, sub)
                msg = compose_alert(episode=ep, event=last,
                                    headline=(headlines if exact else shown)[int(episode_id)],
                                    history=(histories if exact else shown_histories)[int(episode_id)],
                                    region_names=names[sub.language], base_url=config.service.base_url, sender=config.smtp.sender,
                                    recipient=sub.email, language=sub.language,
                                    classification=config.audit.classification)
                messages.append(Queued(f"alert:{int(episode_id)}:{int(last['event_id'])}:{sub.email}",
                                       "data_quality" if ep["kind"] == "data_quality" else "alert", int(episode_id),
                                       int(last["event_id"]), sub.email, sub.language, msg))
        queued = _enqueue(cur, messages, now)
        mark_events_notified(cur)
    return {"queued": queued, "events": int(len(events)), "skipped_ended": skipped}


def queue_digests(store, config: Config, today: date, now: datetime | None = None) -> dict:
    """The daily digest for subscribers who asked for one: the open alerts of their subscription."""
    now = now or datetime.now()
    queued = 0
    with store.transaction() as cur:
        tree = hierarchy(cur)
        names = _names(tree)
        open_eps = open_episodes(cur)
        readers = [sub for sub in config.subscriptions if sub.digest]
        headlines = explain_episodes(cur, open_eps.to_dict("records"), silent_days=config.quality.silent_days) \
            if readers else {}
        small = SmallCells(config.privacy, config.age_groups)
        shown = viewer_headlines(cur, small, open_eps.to_dict("records"), headlines) \
            if not all(_exact(small, sub) for sub in readers) else headlines
        for sub in readers:
            mine = [ep for ep in open_eps.to_dict("records")
                    if sub in subscribers_for(config, ep, ep["notify_severity"], tree)]
            msg = compose_digest(episodes=pd.DataFrame(mine, columns=open_eps.columns),
                                 headlines=headlines if _exact(small, sub) else shown,
                                 day=today, region_names=names[sub.language],
                                 base_url=config.service.base_url, sender=config.smtp.sender, recipient=sub.email,
                                 language=sub.language, classification=config.audit.classification)
            queued += _enqueue(cur, [Queued(f"digest:{today}:{sub.email}", "digest", None, None, sub.email,
                                            sub.language, msg)], now)
    return {"queued": queued}


def _names(tree) -> dict[str, dict[str, str]]:
    """The places' names in each language (a recipient reads them in the subscription's language)."""
    names = {lang: (tree.names(lang) if tree is not None else {}) for lang in LANGUAGES}
    return defaultdict(lambda: names[DEFAULT_LANGUAGE], names)


class Queued(NamedTuple):
    """A composed message for the outbox; ``key`` makes it unique (one per episode change and recipient)."""
    key: str
    kind: str
    episode_id: int | None
    event_id: int | None
    recipient: str
    language: str
    message: EmailMessage


def enqueue_messages(cur, messages: list[Queued], now: datetime) -> int:
    """Store composed messages whose key is not in the outbox yet (a key is sent once, ever); returns how many."""
    return _enqueue(cur, messages, now)


def _enqueue(cur, messages: list[Queued], now: datetime) -> int:
    """Store the messages whose key is not in the outbox yet, in one statement; returns how many."""
    if not messages:
        return 0
    frame = pd.DataFrame({
        "dedupe_key": [m.key for m in messages], "kind": [m.kind for m in messages],
        "episode_id": pd.array([m.episode_id for m in messages], dtype="Int64"),
        "event_id": pd.array([m.event_id for m in messages], dtype="Int64"),
        "recipient": [m.recipient for m in messages], "language": [m.language for m in messages],
        "subject": [str(m.message["Subject"]) for m in messages],
        "message": [_with_stable_id(m).as_string() for m in messages],
    })
    return enqueue(cur, frame, now)


def queue_composed(cur, messages: list[Queued], now: datetime) -> int:
    """Store composed messages not in the outbox yet (by their key), with their stable Message-ID, for
    senders outside this module (the weekly reports); returns how many."""
    return _enqueue(cur, messages, now)


def _with_stable_id(queued: Queued) -> EmailMessage:
    """The message with the Message-ID of its outbox key, so every copy of it says it is the same one."""
    message = queued.message
    del message["Message-ID"]
    message["Message-ID"] = stable_message_id(queued.key, str(message["From"]))
    return message
