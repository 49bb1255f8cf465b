"""Signals -> alert episodes: one alert per region x syndrome x age group while its signal lasts.

A pure function of explicit inputs (:func:`update_episodes`); the store persists its output.

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

Events (``opened``, ``escalated``, ``ended``) carry ``notify``: whether they should be emailed
(opened or escalated, on a day not before ``notify_since``).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..vocabulary import SYSTEM_USER
from ..vocabulary import severity_rank as rank
from ..store.alerts import EPISODE_COLUMNS, EVENT_COLUMNS, EVIDENCE_COLUMNS
from .signals import cap_incomplete


def _day(value) -> date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def _list(value) -> list:
    if isinstance(value, list):
        return list(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return list(json.loads(value))


def _kind(signal: dict) -> str:
    if signal["detector"] == "quality":
        return "data_quality"
    return "cluster" if signal.get("regions") else "outbreak"


def _max_severity(values) -> str:
    return max(values, key=rank)


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
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply ``new_signals`` (rows of ``signals``) to the ``existing`` episodes as of ``today``.

    Returns ``(episodes, events, evidence)``: every episode that is new or changed (all columns
    of ``EPISODE_COLUMNS``; new ones numbered from ``next_id``), the events to record, and the
    evidence rows to upsert (keyed by episode, detector, region and date). ``neighbours`` is a
    ``region, neighbour`` table (or a dict of sets). Existing episodes that nothing touched are
    not returned. Deterministic: the same inputs give the same outputs.
    """
    today = _day(today)
    notify_since = _day(notify_since) if notify_since is not None else date.min
    adjacency = _adjacency(neighbours)
    episodes: dict[int, dict] = {}
    for row in ([] if existing is None else existing.to_dict("records")):
        ep = {c: row.get(c) for c in EPISODE_COLUMNS}
        ep["regions"] = _list(ep["regions"]) or [ep["region"]]
        ep["detectors"] = _list(ep["detectors"])
        for c in ("opened_on", "last_signal_on", "ended_on"):
            ep[c] = _day(ep[c])
        ep["period_days"] = int(ep["period_days"] or 1)
        ep["incomplete"] = bool(ep["incomplete"])
        ep["state"] = ep.get("state") or "new"
        episodes[int(ep["episode_id"])] = ep
    changed: set[int] = set()
    events: list[dict] = []
    evidence: dict[tuple, dict] = {}
    counter = [next_id]

    def event(ep, day, action, note, notify=False, severity=None):
        events.append({"episode_id": ep["episode_id"], "day": day, "user_name": SYSTEM_USER, "action": action,
                       "from_state": None, "to_state": None, "severity": severity or ep["notify_severity"],
                       "note": note, "notify": bool(notify and day >= notify_since)})

    def end_quiet(before: date) -> None:
        for ep in episodes.values():
            if ep["ended_on"] is None:
                end = ep["last_signal_on"] + timedelta(days=quiet_days * ep["period_days"])
                if end < before:
                    ep["ended_on"] = end
                    changed.add(ep["episode_id"])
                    event(ep, end, "ended", f"no signal for {quiet_days} "
                          f"{'days' if ep['period_days'] == 1 else 'periods'} since {ep['last_signal_on']}")

    signals = new_signals[new_signals["severity"].isin(["yellow", "red"])] if len(new_signals) else new_signals
    records = [] if not len(signals) else signals.assign(_date=pd.to_datetime(signals["date"])).sort_values(
        ["_date", "detector", "region", "syndrome", "age_group"], kind="stable").to_dict("records")
    by_day: dict[date, list[dict]] = {}
    for r in records:
        by_day.setdefault(_day(r["_date"]), []).append(r)

    for day in sorted(by_day):
        end_quiet(day)
        groups: dict[tuple, list[dict]] = {}
        for r in by_day[day]:
            kind = _kind(r)
            if kind == "cluster":
                key = (kind, r["detector"], r["region"], r["syndrome"], r["age_group"])
            else:
                key = (kind, r["region"], r["syndrome"], r["age_group"])
            groups.setdefault(key, []).append(r)
        opened_today: list[dict] = []
        touched_today: list[dict] = []
        for key, rows in groups.items():
            kind = key[0]
            period = int(max(int(r["period_days"]) if kind != "cluster" else 1 for r in rows))
            regions = sorted({reg for r in rows for reg in (_list(r["regions"]) if kind == "cluster" else [r["region"]])})
            severity = _max_severity([r["severity"] for r in rows])
            notify_sev = _max_severity([cap_incomplete(r["severity"], bool(r["incomplete"])) for r in rows])
            incomplete = any(bool(r["incomplete"]) and r["severity"] == severity for r in rows)
            ep = _match(episodes, kind, rows[0], regions, day, gap_days)
            if ep is None:
                ep = {
                    "episode_id": counter[0], "kind": kind, "level": rows[0]["level"], "region": rows[0]["region"],
                    "regions": regions, "syndrome": rows[0]["syndrome"], "age_group": rows[0]["age_group"],
                    "detectors": sorted({r["detector"] for r in rows}), "period_days": period, "opened_on": day,
                    "last_signal_on": day, "ended_on": None, "severity": severity, "notify_severity": notify_sev,
                    "incomplete": incomplete, "state": "new", "outcome": None,
                }
                counter[0] += 1
                episodes[ep["episode_id"]] = ep
                note = _describe(rows, severity, notify_sev)
                event(ep, day, "opened", note, notify=True)
                opened_today.append(ep)
            else:
                reasons = []
                if rank(severity) > rank(ep["severity"]):
                    ep["severity"] = severity
                    reasons.append(f"severity rose to {severity}")
                notify_rose = rank(notify_sev) > rank(ep["notify_severity"])
                if notify_rose:
                    if ep["severity"] == notify_sev and reasons == []:
                        reasons.append(f"{notify_sev} confirmed on complete data")
                    ep["notify_severity"] = notify_sev
                new_regions = [reg for reg in regions if reg not in ep["regions"]]
                if kind == "cluster" and new_regions:
                    ep["regions"] = sorted(set(ep["regions"]) | set(new_regions))
                    reasons.append(f"cluster grew by {', '.join(new_regions)}")
                if day < ep["opened_on"]:
                    ep["opened_on"] = day
                if day >= ep["last_signal_on"]:
                    ep["last_signal_on"] = day
                    ep["incomplete"] = incomplete
                ep["detectors"] = sorted(set(ep["detectors"]) | {r["detector"] for r in rows})
                if reasons:
                    event(ep, day, "escalated", "; ".join(reasons), notify=notify_rose or bool(new_regions))
            changed.add(ep["episode_id"])
            touched_today.append(ep)
            for r in rows:
                evidence[(ep["episode_id"], r["detector"], r["region"], day)] = _evidence(ep["episode_id"], r, day)
        _neighbours_join(touched_today, opened_today, episodes, adjacency, day, gap_days, event, changed)

    end_quiet(today + timedelta(days=1))
    out = pd.DataFrame([_export(episodes[i]) for i in sorted(changed)], columns=EPISODE_COLUMNS)
    return (out, pd.DataFrame(events, columns=EVENT_COLUMNS),
            pd.DataFrame(list(evidence.values()), columns=EVIDENCE_COLUMNS))


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


def _within_gap(ep: dict, day: date, gap_days: int) -> bool:
    period = ep["period_days"]
    lo = ep["opened_on"] - timedelta(days=(gap_days + 1) * period)
    hi = ep["last_signal_on"] + timedelta(days=(gap_days + 1) * period)
    return lo <= day <= hi


def _match(episodes: dict, kind: str, row: dict, regions: list[str], day: date, gap_days: int) -> dict | None:
    """The episode this group of signals belongs to; an episode the group cannot extend because the
    gap has passed is ended first."""
    best = None
    for ep in episodes.values():
        if ep["kind"] != kind or ep["syndrome"] != row["syndrome"] or ep["age_group"] != row["age_group"]:
            continue
        if kind == "cluster":
            if not set(ep["regions"]) & set(regions):
                continue
        elif ep["region"] != row["region"]:
            continue
        if ep["ended_on"] is not None and not (ep["opened_on"] <= day <= ep["ended_on"]):
            continue
        if _within_gap(ep, day, gap_days):
            if best is None or ep["last_signal_on"] > best["last_signal_on"]:
                best = ep
    return best


def _neighbours_join(touched, opened_today, episodes, adjacency, day, gap_days, event, changed) -> None:
    """Outbreak episodes of neighbouring regions (same syndrome and age group) running together."""
    if not adjacency:
        return
    opened_ids = {ep["episode_id"] for ep in opened_today}
    for new in touched:
        if new["kind"] != "outbreak":
            continue
        for other in episodes.values():
            if (other["kind"] != "outbreak" or other is new or other["syndrome"] != new["syndrome"]
                    or other["age_group"] != new["age_group"] or other["region"] not in adjacency.get(new["region"], ())
                    or other["ended_on"] is not None or not _within_gap(other, day, gap_days)):
                continue
            for a, b in ((other, new), (new, other)):
                if b["region"] in a["regions"]:
                    continue
                a["regions"] = sorted(set(a["regions"]) | {b["region"]})
                changed.add(a["episode_id"])
                if a["episode_id"] not in opened_ids:
                    event(a, day, "escalated", f"neighbouring region {b['region']} joined", notify=True)


def _describe(rows: list[dict], severity: str, notify_sev: str) -> str:
    best = min(rows, key=lambda r: (r["pvalue"] if r["pvalue"] == r["pvalue"] and r["pvalue"] is not None else 1.0))
    parts = [f"{best['detector']}: observed {_fmt(best['observed'])} vs expected {_fmt(best['expected'])}"]
    if best.get("pvalue") is not None and best["pvalue"] == best["pvalue"]:
        parts.append(f"p={best['pvalue']:.2g}")
    if best.get("detail"):
        parts.append(str(best["detail"]))
    if severity != notify_sev:
        comp = best.get("completeness")
        text = f" (completeness {comp:.0%})" if comp is not None and comp == comp else ""
        parts.append(f"{severity} on incomplete data{text}; said as {notify_sev} until the data fill in")
    return "; ".join(parts)


def _fmt(value) -> str:
    if value is None or value != value:
        return "?"
    return f"{value:,.1f}" if abs(value - round(value)) > 1e-9 else f"{value:,.0f}"


def _evidence(episode_id: int, r: dict, day: date) -> dict:
    return {
        "episode_id": episode_id, "detector": r["detector"], "region": r["region"], "date": day,
        "as_of": _day(r["as_of"]), "measure": r["measure"], "observed": r["observed"], "expected": r["expected"],
        "upperbound": r["upperbound"], "pvalue": r["pvalue"], "severity": r["severity"],
        "completeness": r["completeness"], "incomplete": bool(r["incomplete"]), "detail": r.get("detail"),
    }


def _export(ep: dict) -> dict:
    out = dict(ep)
    out["regions"] = json.dumps(sorted(ep["regions"]))
    out["detectors"] = json.dumps(sorted(ep["detectors"]))
    return out
