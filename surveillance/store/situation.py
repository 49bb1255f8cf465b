"""The alerts of a region's subtree with their workflow events, for the response indicators.

A region here is any code of the hierarchy (a province, city, county or a facility): its alerts
are those placed in it or anywhere below it (its counts: ``counts.region_daily``).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from .alerts import EPISODE_COLUMNS

EVENT_COLUMNS = ["event_id", "episode_id", "at_time", "day", "user_name", "action", "from_state", "to_state",
                 "severity", "note"]


def _subtree(region: str | None, params: list, column: str = "region") -> str:
    """A condition keeping rows whose ``column`` is ``region``, a region below it or a unit below it."""
    if region is None:
        return ""
    params.extend([str(region), str(region)])
    return f"""
        AND {column} IN (
            WITH RECURSIVE below(code) AS (
                SELECT ?::VARCHAR
                UNION SELECT r.code FROM regions r JOIN below b ON r.parent = b.code
            )
            SELECT code FROM below
            UNION SELECT unit FROM unit_regions WHERE ?::VARCHAR IN (facility, county, city, province)
        )"""


def episodes_opened(con, *, region: str | None, since: date | None = None, until: date | None = None) -> pd.DataFrame:
    """The alert episodes opened from ``since`` to ``until`` (days, inclusive) whose place (``region``:
    a cluster's centre, a data-quality episode's unit) lies in ``region``'s subtree (every one for
    ``None``), with ``outbreak_start`` and ``created_at``, oldest first."""
    where, params = "true", []
    if since is not None:
        where += " AND opened_on >= ?"
        params.append(pd.Timestamp(since).date())
    if until is not None:
        where += " AND opened_on <= ?"
        params.append(pd.Timestamp(until).date())
    where += _subtree(region, params)
    return con.execute(f"SELECT {', '.join(EPISODE_COLUMNS)}, outbreak_start, created_at FROM alert_episodes WHERE {where}"
                       " ORDER BY opened_on, episode_id", params).df()


def events_of(con, episode_ids) -> pd.DataFrame:
    """The workflow events of these episodes, in the order they happened."""
    ids = [int(i) for i in episode_ids]
    return con.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM alert_events"
                       " WHERE episode_id IN (SELECT unnest(?::BIGINT[])) ORDER BY event_id", [ids]).df()


def is_place(con, code: str) -> bool:
    """Whether ``code`` is a region or a reporting unit of the stored hierarchy."""
    return bool(con.execute("SELECT count(*) FROM (SELECT code FROM regions UNION ALL SELECT code FROM units)"
                            " WHERE code = ?", [str(code)]).fetchone()[0])
