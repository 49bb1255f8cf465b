"""The alarm budget's learnt thresholds (table ``alarm_thresholds``)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

THRESHOLD_COLUMNS = ["learnt_for", "level", "history_from", "history_to", "families", "q_nominal", "q_learnt",
                     "onsets", "q_red_learnt"]


def save_thresholds(cur, rows: pd.DataFrame, now: datetime) -> None:
    """Store one learning (rows of :data:`THRESHOLD_COLUMNS`), replacing one for the same day and level."""
    if not len(rows):
        return
    frame = rows[THRESHOLD_COLUMNS].assign(created_at=now)
    cur.register("_thresholds", frame)
    try:
        cur.execute("DELETE FROM alarm_thresholds WHERE (learnt_for, level) IN (SELECT learnt_for, level FROM _thresholds)")
        cur.execute(f"INSERT INTO alarm_thresholds ({', '.join(THRESHOLD_COLUMNS)}, created_at) "
                    f"SELECT {', '.join(THRESHOLD_COLUMNS)}, created_at FROM _thresholds")
    finally:
        cur.unregister("_thresholds")


def thresholds_for(con, day: date) -> pd.DataFrame:
    """The learning for judging ``day``, one row per level: the latest learnt for ``day`` or before, else
    (a day judged again after a later learning) the earliest."""
    return con.execute(f"""
        SELECT {', '.join(THRESHOLD_COLUMNS)} FROM alarm_thresholds
        WHERE learnt_for = coalesce((SELECT max(learnt_for) FROM alarm_thresholds WHERE learnt_for <= ?),
                                    (SELECT min(learnt_for) FROM alarm_thresholds))
        ORDER BY level""", [day]).df()


def threshold_history(con) -> pd.DataFrame:
    """Every learning, newest first (for the status page and ``surveillance tune``)."""
    return con.execute(f"SELECT {', '.join(THRESHOLD_COLUMNS)}, created_at FROM alarm_thresholds "
                       "ORDER BY learnt_for DESC, level").df()

