"""Sign-in sessions and API tokens, as stored (the rules on them are ``surveillance.credentials``).

Both tables hold only the SHA-256 of a secret: a stolen copy of the database opens nothing.
"""

from __future__ import annotations

from datetime import datetime

from .query import first_row
from .users import USER_FIELDS

TOKEN_FIELDS = "token_id, user_name, region, label, created_at, created_by, expires_at, revoked_at"


def _user_fields(alias: str) -> str:
    return ", ".join(f"{alias}.{field.strip()}" for field in USER_FIELDS.split(","))


# --- sessions ----------------------------------------------------------------------------------------


def insert_session(cur, session_hash: str, user_name: str, csrf: str, created_at: datetime,
                   expires_at: datetime, address: str | None) -> None:
    cur.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                [session_hash, user_name, csrf, created_at, expires_at, address])


def session_row(con, session_hash: str, now: datetime) -> tuple | None:
    """``(user fields..., csrf)`` of the user of an unexpired session, or None (also when the user is disabled)."""
    return first_row(con, f"SELECT {_user_fields('u')}, s.csrf FROM sessions s JOIN users u ON u.name = s.user_name"
                          " WHERE s.session_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL",
                     [session_hash, now])


def delete_session(cur, session_hash: str) -> str | None:
    """End one session; returns its user's name (None when there was no such session)."""
    row = first_row(cur, "SELECT user_name FROM sessions WHERE session_hash = ?", [session_hash])
    if row:
        cur.execute("DELETE FROM sessions WHERE session_hash = ?", [session_hash])
    return row[0] if row else None


def delete_user_sessions(cur, user_name: str) -> int:
    """End every session of one user; returns how many there were."""
    n = first_row(cur, "SELECT count(*) FROM sessions WHERE user_name = ?", [user_name])[0]
    if n:
        cur.execute("DELETE FROM sessions WHERE user_name = ?", [user_name])
    return int(n)


def delete_expired_sessions(cur, now: datetime) -> int:
    n = first_row(cur, "SELECT count(*) FROM sessions WHERE expires_at <= ?", [now])[0]
    if n:
        cur.execute("DELETE FROM sessions WHERE expires_at <= ?", [now])
    return int(n)


def session_count(con, user_name: str | None = None) -> int:
    """Unexpired or not, the sessions stored (of one user)."""
    if user_name is None:
        return int(first_row(con, "SELECT count(*) FROM sessions")[0])
    return int(first_row(con, "SELECT count(*) FROM sessions WHERE user_name = ?", [user_name])[0])


def live_session_counts(con, now: datetime) -> dict[str, int]:
    """Unexpired sessions per user."""
    rows = con.execute("SELECT user_name, count(*) FROM sessions WHERE expires_at > ? GROUP BY 1", [now]).fetchall()
    return {name: int(n) for name, n in rows}


# --- API tokens --------------------------------------------------------------------------------------


def insert_token(cur, secret_hash: str, user_name: str, region: str | None, label: str | None,
                 created_at: datetime, created_by: str, expires_at: datetime | None) -> int:
    token_id = first_row(cur, "SELECT nextval('api_token_ids')")[0]
    cur.execute("INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [token_id, secret_hash, user_name, region, label, created_at, created_by, expires_at])
    return int(token_id)


def token_by_secret(con, secret_hash: str, now: datetime) -> tuple | None:
    """``(token fields..., user fields...)`` of a token neither revoked nor expired whose user exists and is not
    disabled, or None."""
    fields = ", ".join(f"t.{f.strip()}" for f in TOKEN_FIELDS.split(","))
    return first_row(con, f"SELECT {fields}, {_user_fields('u')} FROM api_tokens t JOIN users u ON u.name = t.user_name"
                          " WHERE t.secret_hash = ? AND t.revoked_at IS NULL AND u.disabled_at IS NULL"
                          " AND (t.expires_at IS NULL OR t.expires_at > ?)", [secret_hash, now])


def token_row(con, token_id: int) -> tuple | None:
    return first_row(con, f"SELECT {TOKEN_FIELDS} FROM api_tokens WHERE token_id = ?", [token_id])


def token_rows(con, user_name: str | None = None) -> list[tuple]:
    """Every token (of one user), oldest first, revoked ones included."""
    if user_name is None:
        return con.execute(f"SELECT {TOKEN_FIELDS} FROM api_tokens ORDER BY token_id").fetchall()
    return con.execute(f"SELECT {TOKEN_FIELDS} FROM api_tokens WHERE user_name = ? ORDER BY token_id",
                       [user_name]).fetchall()


def revoke_token(cur, token_id: int, at: datetime) -> None:
    cur.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL", [at, token_id])


def revoke_user_tokens(cur, user_name: str, at: datetime) -> list[int]:
    """Revoke every live token of one user; returns their ids."""
    ids = [r[0] for r in cur.execute("SELECT token_id FROM api_tokens WHERE user_name = ? AND revoked_at IS NULL"
                                     " ORDER BY token_id", [user_name]).fetchall()]
    if ids:
        cur.execute("UPDATE api_tokens SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL", [at, user_name])
    return [int(i) for i in ids]


def region_chain(con, code: str) -> list[str]:
    """``code`` and the regions above it, nearest first (a unit's county first); empty when unknown."""
    unit = first_row(con, "SELECT county FROM units WHERE code = ?", [code])
    start = unit[0] if unit else code
    rows = con.execute("""
        WITH RECURSIVE up(code, parent, depth) AS (
            SELECT code, parent, 0 FROM regions WHERE code = ?
            UNION ALL
            SELECT r.code, r.parent, up.depth + 1 FROM regions r JOIN up ON r.code = up.parent WHERE up.depth < 16)
        SELECT code FROM up ORDER BY depth""", [start]).fetchall()
    chain = [r[0] for r in rows]
    return ([code] + chain) if unit and chain else chain
