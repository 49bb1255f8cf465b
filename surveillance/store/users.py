"""The dashboard's accounts and the audit log, as stored (the rules on them are ``surveillance.users``)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from .query import first_row

USER_FIELDS = "name, role, region, language, created_at"


def user_row(con, name: str, *, with_hash: bool = False) -> tuple | None:
    """``(name, role, region, language, created_at[, password_hash])`` of one user, or None."""
    fields = USER_FIELDS + (", password_hash" if with_hash else "")
    return first_row(con, f"SELECT {fields} FROM users WHERE name = ?", [name])


def user_rows(con) -> list[tuple]:
    return con.execute(f"SELECT {USER_FIELDS} FROM users ORDER BY name").fetchall()


def user_count(con) -> int:
    return first_row(con, "SELECT count(*) FROM users")[0]


def insert_user(cur, name: str, password_hash: str, role: str, region: str | None, language: str,
                created_at: datetime) -> None:
    cur.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)",
                [name, password_hash, role, region, language, created_at])


def update_user(cur, name: str, **fields) -> None:
    """Set the given columns (``password_hash``, ``language``, ...) of one user."""
    allowed = {"password_hash", "role", "region", "language"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"users: no such column(s) {', '.join(sorted(unknown))}")
    sets = ", ".join(f"{column} = ?" for column in fields)
    cur.execute(f"UPDATE users SET {sets} WHERE name = ?", [*fields.values(), name])


def region_level(con, code: str) -> str | None:
    """The level of a stored region, or None when there is no such region."""
    row = first_row(con, "SELECT level FROM regions WHERE code = ?", [code])
    return row[0] if row else None


def insert_audit(cur, user: str, action: str, target: str | None, detail: str | None) -> None:
    cur.execute("INSERT INTO audit_log VALUES (nextval('audit_ids'), current_localtimestamp(), ?, ?, ?, ?)",
                [user, action, target, detail])


def audit_rows(con, *, limit: int = 100, user: str | None = None, action: str | None = None) -> pd.DataFrame:
    """The newest audit lines first: ``audit_id, at_time, user_name, action, target, detail``."""
    where, params = ["true"], []
    if user is not None:
        where.append("user_name = ?")
        params.append(user)
    if action is not None:
        where.append("action = ?")
        params.append(action)
    return con.execute(f"SELECT audit_id, at_time, user_name, action, target, detail FROM audit_log"
                       f" WHERE {' AND '.join(where)} ORDER BY audit_id DESC LIMIT ?", [*params, limit]).df()
