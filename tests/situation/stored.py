"""A small store for the situation's service tables: seasonal daily counts of the conftest hierarchy's
three units, and hand-made alert episodes with their workflow events."""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd

from ..batches import write_rows

FIRST_DAY = date(2023, 6, 5)  # a Monday
LAST_DAY = date(2026, 11, 29)  # the Sunday of ISO week 2026-W48
LATE_UNIT = "F320103001"  # Xicheng's only unit reports from here on: too few past seasons there
LATE_FIRST_DAY = date(2025, 3, 3)
UNITS = {"F320102001": 260.0, "F320102002": 140.0, LATE_UNIT: 200.0}  # usual daily visits


def seasonal_rows(seed: int = 11) -> pd.DataFrame:
    """Daily ``date, unit, syndrome, age_group, count, total``: ILI peaking each winter (the current season
    early and high in Dongcheng), hand, foot and mouth disease each May-June, a little fever."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(FIRST_DAY, LAST_DAY)
    doy = days.day_of_year.to_numpy()
    rows = []
    for unit, visits in UNITS.items():
        keep = days >= pd.Timestamp(LATE_FIRST_DAY) if unit == LATE_UNIT else np.ones(len(days), bool)
        total = rng.poisson(visits * (1 + 0.1 * np.sin(2 * np.pi * doy / 7)), len(days))
        winter = np.exp(-0.5 * (((doy + 20) % 365 - 20) / 18.0) ** 2)  # peak around 1 January
        early = np.where((days >= "2026-10-01") & unit.startswith("F320102"),
                         np.exp(-0.5 * ((days - pd.Timestamp("2026-12-20")).days.to_numpy() / 20.0) ** 2), 0.0)
        share = {"ili": 0.02 + 0.08 * winter + 0.3 * early,
                 "hfmd": 0.004 + 0.03 * np.exp(-0.5 * ((doy - 160) / 20.0) ** 2),
                 "fever": np.full(len(days), 0.05)}
        for syndrome, p in share.items():
            count = rng.binomial(total, p)
            rows.append(pd.DataFrame({"date": days[keep].date, "unit": unit, "syndrome": syndrome, "age_group": "all",
                                      "count": count[keep], "total": total[keep]}))
    return pd.concat(rows, ignore_index=True)


def write_seasonal(store, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    rows = seasonal_rows() if rows is None else rows
    write_rows(store, rows, datetime(2026, 11, 30, 8, 0))
    return rows


def subtree_sums(rows: pd.DataFrame, units: list[str]) -> pd.DataFrame:
    """``date, syndrome, count, total`` of these units summed: a region's figures computed by hand."""
    part = rows[rows["unit"].isin(units)]
    out = part.groupby(["date", "syndrome"], as_index=False)[["count", "total"]].sum()
    out["date"] = pd.to_datetime(out["date"])
    return out


REGION_UNITS = {"320102": ["F320102001", "F320102002"], "320103": [LATE_UNIT],
                "320100": list(UNITS), "320000": list(UNITS)}


# --- alerts ---------------------------------------------------------------------------------------------

EPISODE_SQL = """INSERT INTO alert_episodes (episode_id, kind, level, region, regions, syndrome, age_group,
    detectors, period_days, opened_on, last_signal_on, ended_on, severity, notify_severity, incomplete, state,
    outcome, created_at, updated_at)
    VALUES (?, ?, 'county', ?, ?, ?, 'all', ?, 1, ?, ?, NULL, 'red', 'red', false, ?, ?, ?, ?)"""

# episode, kind, region, syndrome, detectors, opened, state, outcome
EPISODES = [
    (1, "outbreak", "320102", "ili", ["ears_c2"], "2026-03-01 08:00", "closed", "confirmed_outbreak"),
    (2, "outbreak", "320102", "ili", ["ears_c2", "farrington"], "2026-03-02 09:00", "closed", "not_an_outbreak"),
    (3, "outbreak", "320103", "hfmd", ["farrington"], "2026-03-05 00:00", "closed", "data_artefact"),
    (4, "data_quality", "F320102001", "unit_silent", ["quality"], "2026-03-06 00:00", "verifying", None),
    (5, "outbreak", "320103", "ili", ["ears_c2"], "2026-04-20 00:00", "new", None),  # after the period
]
# episode, at, user, action, from, to
EVENTS = [
    (1, "2026-03-01 08:00", "system", "opened", None, None),
    (1, "2026-03-01 10:00", "li.wei", "note", None, None),  # first action after 2 h
    (1, "2026-03-01 20:00", "li.wei", "transition", "new", "verifying"),
    (1, "2026-03-03 08:00", "li.wei", "transition", "verifying", "investigating"),
    (1, "2026-03-06 08:00", "li.wei", "transition", "investigating", "closed"),  # closed after 120 h
    (2, "2026-03-02 09:00", "system", "opened", None, None),
    (2, "2026-03-03 15:00", "zhang", "transition", "new", "verifying"),  # first action after 30 h
    (2, "2026-03-04 09:00", "zhang", "transition", "verifying", "closed"),  # closed after 48 h
    (3, "2026-03-05 00:00", "system", "opened", None, None),
    (3, "2026-03-05 06:00", "zhang", "transition", "new", "closed"),  # answered and closed after 6 h
    (4, "2026-03-06 00:00", "system", "opened", None, None),
    (4, "2026-03-06 12:00", "wang", "transition", "new", "verifying"),  # after 12 h
    (5, "2026-04-20 00:00", "system", "opened", None, None),
]


def write_alerts(store, episodes=EPISODES, events=EVENTS, outbreak_starts: dict | None = None) -> None:
    """Store hand-made episodes and events; ``outbreak_starts``: episode -> the day its outbreak began."""
    with store.transaction() as cur:
        for episode_id, kind, region, syndrome, detectors, opened, state, outcome in episodes:
            at = pd.Timestamp(opened).to_pydatetime()
            cur.execute(EPISODE_SQL, [episode_id, kind, region, json.dumps([region]), syndrome, json.dumps(detectors),
                                      at.date(), at.date(), state, outcome, at, at])
        for episode_id, at, user, action, from_state, to_state in events:
            cur.execute("INSERT INTO alert_events VALUES (nextval('alert_event_ids'), ?, ?, NULL, ?, ?, ?, ?, NULL,"
                        " NULL, false, false)", [episode_id, pd.Timestamp(at).to_pydatetime(), user, action,
                                                 from_state, to_state])
        for episode_id, start in (outbreak_starts or {}).items():
            cur.execute("UPDATE alert_episodes SET outbreak_start = ? WHERE episode_id = ?", [start, episode_id])
