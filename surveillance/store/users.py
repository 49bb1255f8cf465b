"""The dashboard's accounts, as stored (the rules on them are ``surveillance.users``; the audit trail
is :mod:`surveillance.store.audit`)."""

from __future__ import annotations

from datetime import datetime

from .query import first_row

USER_FIELDS = "name, role, region, language, created_at, disabled_at, must_change_password"
USER_FIELD_COUNT = len(USER_FIELDS.split(","))


def user_row(con, name: str, *, with_hash: bool = False) -> tuple | None:
    """The ``USER_FIELDS`` of one user (and then its ``password_hash``), or None."""
    fields = USER_FIELDS + (", password_hash" if with_hash else "")
    return first_row(con, f"SELECT {fields} FROM users WHERE name = ?", [name])


def user_rows(con) -> list[tuple]:
    return con.execute(f"SELECT {USER_FIELDS} FROM users ORDER BY name").fetchall()


def user_count(con) -> int:
    return first_row(con, "SELECT count(*) FROM users")[0]


def active_admins_of_everything(con) -> list[str]:
    """Administrators of every region who may sign in: the ones who can always repair the others."""
    return [r[0] for r in con.execute("SELECT name FROM users WHERE role = 'admin' AND region IS NULL"
                                      " AND disabled_at IS NULL ORDER BY name").fetchall()]


def insert_user(cur, name: str, password_hash: str, role: str, region: str | None, language: str,
                created_at: datetime, *, must_change_password: bool = False) -> None:
    cur.execute("INSERT INTO users (name, password_hash, role, region, language, created_at, must_change_password)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [name, password_hash, role, region, language, created_at, must_change_password])


def update_user(cur, name: str, **fields) -> None:
    """Set the given columns (``password_hash``, ``language``, ``disabled_at``, ...) of one user."""
    allowed = {"password_hash", "role", "region", "language", "disabled_at", "must_change_password"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"users: no such column(s) {', '.join(sorted(unknown))}")
    sets = ", ".join(f"{column} = ?" for column in fields)
    cur.execute(f"UPDATE users SET {sets} WHERE name = ?", [*fields.values(), name])


def region_level(con, code: str) -> str | None:
    """The level of a stored region, or None when there is no such region."""
    row = first_row(con, "SELECT level FROM regions WHERE code = ?", [code])
    return row[0] if row else None
