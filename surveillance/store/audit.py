"""The audit trail, as stored (the rules on it are ``surveillance.audit``).

Append-only from the application's side: this module inserts lines and reads them, and its one
deletion, :func:`prune_audit`, removes only lines older than a cutoff the caller computes from
``audit.keep_days``. There is no function that updates a line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

import pandas as pd

from .query import first_row

AUDIT_COLUMNS = ("audit_id", "at_time", "user_name", "address", "action", "target", "detail")


def insert_audit(cur, user: str, action: str, target: str | None, detail: str | None, *,
                 address: str | None = None, at: datetime | None = None) -> None:
    """Append one line; ``at`` defaults to now (the tests date lines in the past to prune them)."""
    cur.execute("INSERT INTO audit_log (audit_id, at_time, user_name, action, target, detail, address)"
                " VALUES (nextval('audit_ids'), coalesce(?, current_localtimestamp()), ?, ?, ?, ?, ?)",
                [at, user, action, target, detail, address])


def _where(user: Iterable[str] | str | None, actions: Iterable[str] | str | None, since: datetime | None,
           until: datetime | None) -> tuple[str, list]:
    """``user``, ``actions``: one or several (an empty list matches nothing for users, anything for actions)."""
    where, params = ["true"], []
    if isinstance(user, str):
        user = [user]
    if user is not None:
        user = list(user)
        where.append(f"user_name IN ({', '.join('?' for _ in user)})" if user else "false")
        params.extend(user)
    if isinstance(actions, str):
        actions = [actions]
    if actions:
        actions = list(actions)
        where.append(f"action IN ({', '.join('?' for _ in actions)})")
        params.extend(actions)
    if since is not None:
        where.append("at_time >= ?")
        params.append(since)
    if until is not None:
        where.append("at_time < ?")
        params.append(until)
    return " AND ".join(where), params


def audit_rows(con, *, limit: int | None = 100, user: Iterable[str] | str | None = None,
               action: Iterable[str] | str | None = None, since: datetime | None = None,
               until: datetime | None = None) -> pd.DataFrame:
    """The newest lines first (``since`` included, ``until`` not): the columns of ``AUDIT_COLUMNS``."""
    where, params = _where(user, action, since, until)
    cap = "" if limit is None else " LIMIT ?"
    return con.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log WHERE {where}"
                       f" ORDER BY audit_id DESC{cap}", [*params, *([] if limit is None else [limit])]).df()


def audit_count(con, *, user: Iterable[str] | str | None = None, action: Iterable[str] | str | None = None,
                since: datetime | None = None, until: datetime | None = None) -> int:
    where, params = _where(user, action, since, until)
    return int(first_row(con, f"SELECT count(*) FROM audit_log WHERE {where}", params)[0])


def audit_names(con) -> list[str]:
    """Every user name the trail holds (also of users since removed, and names tried at sign-in)."""
    return [r[0] for r in con.execute("SELECT DISTINCT user_name FROM audit_log ORDER BY 1").fetchall()]


def audit_actions(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT action FROM audit_log ORDER BY 1").fetchall()]


def oldest_audit(con) -> datetime | None:
    return first_row(con, "SELECT min(at_time) FROM audit_log")[0]


def prune_audit(cur, before: datetime) -> int:
    """Delete the lines older than ``before`` (retention); returns how many. The only deletion."""
    n = int(first_row(cur, "SELECT count(*) FROM audit_log WHERE at_time < ?", [before])[0])
    if n:
        cur.execute("DELETE FROM audit_log WHERE at_time < ?", [before])
    return n
