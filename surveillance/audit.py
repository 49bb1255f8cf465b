"""The audit trail: who did what, when, from where, to what.

Sign-ins and failed sign-ins, every view of an alert (page and API), every API call, every export and
every administrative change are appended here by the code that does them (the dashboard, the API,
:mod:`surveillance.users` and :mod:`surveillance.credentials`, the command line). The trail is
append-only from the application's side: lines are inserted and read, never updated, and the one
deletion is :func:`prune`, run by the daily cycle, which removes only lines older than
``audit.keep_days`` (at least 180 days, the Cybersecurity Law's six months).

Exports carry the configured data classification label (``audit.classification``) on their first line.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pandas as pd

from .config import MIN_AUDIT_KEEP_DAYS
from .errors import SurveillanceError
from .store import Store
from .store import audit as stored
from .vocabulary import SYSTEM_USER, classification_line

MAX_TARGET = 200
MAX_DETAIL = 2000
EXPORT_LIMIT = 200_000  # lines in one CSV export (the page says when more matched)


def _clip(value: str | None, size: int) -> str | None:
    if value is None:
        return None
    value = str(value)
    return value if len(value) <= size else value[: size - 1] + "…"


def append(cur, user: str, action: str, target: str | None = None, detail: str | None = None, *,
           address: str | None = None, at: datetime | None = None) -> None:
    """Append one line inside the caller's transaction (a change and its audit line land together)."""
    stored.insert_audit(cur, _clip(user, 64) or "?", action, _clip(target, MAX_TARGET), _clip(detail, MAX_DETAIL),
                        address=_clip(address, 100), at=at)


def record(store: Store, user: str, action: str, target: str | None = None, detail: str | None = None, *,
           address: str | None = None) -> None:
    """Append one line on its own. It does not wait for the store's write lock: appends never conflict in
    DuckDB, and an API call or a sign-in must not wait for a cycle's long transaction to commit."""
    cur = store.cursor()
    try:
        append(cur, user, action, target, detail, address=address)
    finally:
        cur.close()


def _day_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(since, datetime.min.time()) if since else None
    end = datetime.combine(until + timedelta(days=1), datetime.min.time()) if until else None
    return start, end


def trail(store_or_con, *, user: list[str] | str | None = None, actions: list[str] | str | None = None,
          since: date | None = None, until: date | None = None, limit: int | None = 1000) -> pd.DataFrame:
    """The newest lines first, of ``user`` (one or several), of ``actions``, from the day ``since`` to the day
    ``until`` (both included): ``audit_id, at_time, user_name, address, action, target, detail``."""
    con = store_or_con.cursor() if isinstance(store_or_con, Store) else store_or_con
    start, end = _day_bounds(since, until)
    return stored.audit_rows(con, limit=limit, user=user, action=actions, since=start, until=end)


def count(store_or_con, *, user: list[str] | str | None = None, actions: list[str] | str | None = None,
          since: date | None = None, until: date | None = None) -> int:
    con = store_or_con.cursor() if isinstance(store_or_con, Store) else store_or_con
    start, end = _day_bounds(since, until)
    return stored.audit_count(con, user=user, action=actions, since=start, until=end)


def names(store: Store) -> list[str]:
    return stored.audit_names(store.cursor())


def actions(store: Store) -> list[str]:
    return stored.audit_actions(store.cursor())


def prune(store: Store, keep_days: int, *, now: datetime | None = None) -> int:
    """Delete the lines older than ``keep_days`` days (never fewer than 180); a deletion is itself audited.
    Returns how many lines went."""
    if not isinstance(keep_days, int) or keep_days < MIN_AUDIT_KEEP_DAYS:
        raise SurveillanceError(f"the audit trail is kept at least {MIN_AUDIT_KEEP_DAYS} days, not {keep_days}")
    cutoff = (now or datetime.now()) - timedelta(days=keep_days)
    with store.transaction() as cur:
        gone = stored.prune_audit(cur, cutoff)
        if gone:
            append(cur, SYSTEM_USER, "audit_pruned", "audit_log",
                   f"{gone} line(s) older than {cutoff:%Y-%m-%d %H:%M} ({keep_days} days)")
    return gone


def classified_csv(frame: pd.DataFrame, classification: str, lang: str | None) -> str:
    """``frame`` as CSV whose first line is the data classification (``# Data classification: 内部``);
    readers skip that line (``pandas.read_csv(path, skiprows=1)``)."""
    out = io.StringIO()
    out.write(f"# {classification_line(classification, lang)}\n")
    frame.to_csv(out, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return out.getvalue()
