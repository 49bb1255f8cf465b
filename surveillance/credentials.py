"""What proves who is asking: sign-in sessions and API tokens, both kept by the server.

* A **session** starts when a user signs in. Its secret goes in a cookie; the store keeps only the
  secret's SHA-256, the user, a CSRF token and when it expires. Signing out deletes it; a password
  change or reset, disabling the user or changing their role or region deletes all of the user's
  sessions; a restart of the service keeps them.
* An **API token** is made by an administrator for one user. It reads as that user, read-only, within
  a region subtree (the user's own, or a smaller one inside it). Its secret (``svt_`` and 43 random
  characters) is shown once; the store keeps its SHA-256. Revoking it, removing or disabling its user,
  or changing their role or region ends it.

The secrets are random 256-bit values, so a plain SHA-256 is enough to keep them (there is nothing to
guess that a slow hash would protect).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .errors import UnknownName
from .store import Store
from .store import sessions as stored
from .audit import append as insert_audit
from .store.users import USER_FIELD_COUNT
from .users import User, UserError, get_user, user_from_row
from .vocabulary import SYSTEM_USER

SESSION_HOURS = 12
TOKEN_PREFIX = "svt_"
MAX_LABEL = 200


def digest(secret: str) -> str:
    """The stored form of a secret: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# --- sessions ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    secret: str  # goes in the cookie, never stored
    csrf: str
    user: User
    expires_at: datetime


def start_session(store: Store, user: User, *, address: str | None = None, hours: float = SESSION_HOURS,
                  now: datetime | None = None) -> Session:
    """A new session for ``user`` (and the expired ones of everybody cleared away)."""
    now = now or datetime.now()
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + timedelta(hours=hours)
    with store.transaction() as cur:
        stored.delete_expired_sessions(cur, now)
        stored.insert_session(cur, digest(secret), user.name, csrf, now, expires, address)
    return Session(secret=secret, csrf=csrf, user=user, expires_at=expires)


def session_user(store: Store, secret: str | None, *, now: datetime | None = None) -> tuple[User, str] | None:
    """The user of an unexpired session and its CSRF token, or None."""
    if not secret or not isinstance(secret, str) or len(secret) > 200:
        return None
    row = stored.session_row(store.cursor(), digest(secret), now or datetime.now())
    if row is None:
        return None
    return user_from_row(row[:USER_FIELD_COUNT]), row[USER_FIELD_COUNT]


def end_session(store: Store, secret: str | None) -> str | None:
    """Sign a session out for good; returns its user's name (None for an unknown session)."""
    if not secret or not isinstance(secret, str):
        return None
    with store.transaction() as cur:
        return stored.delete_session(cur, digest(secret))


def end_sessions(store: Store, name: str) -> int:
    """End every session of ``name`` (their browsers must sign in again); returns how many ended."""
    with store.transaction() as cur:
        return stored.delete_user_sessions(cur, name)


def live_sessions(store: Store, *, now: datetime | None = None) -> dict[str, int]:
    """How many unexpired sessions each user has (for the administrators' page)."""
    return stored.live_session_counts(store.cursor(), now or datetime.now())


# --- API tokens --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiToken:
    token_id: int
    user_name: str
    region: str | None  # None: the user's own scope
    label: str | None
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None

    def live(self, now: datetime | None = None) -> bool:
        now = now or datetime.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def as_dict(self) -> dict:
        def stamp(value):
            return value.isoformat(timespec="seconds") if value else None

        return {"token_id": self.token_id, "user": self.user_name, "region": self.region, "label": self.label,
                "created_at": stamp(self.created_at), "created_by": self.created_by,
                "expires_at": stamp(self.expires_at), "revoked_at": stamp(self.revoked_at)}


def _token(row) -> ApiToken:
    return ApiToken(*row)


def _within(con, region: str, root: str | None) -> bool:
    return root is None or root in stored.region_chain(con, region)


def create_token(store: Store, user_name: str, *, region: str | None = None, label: str | None = None,
                 days: int | None = None, by: str = SYSTEM_USER, address: str | None = None,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new read-only token for ``user_name`` and its secret (shown once, never stored). ``region`` narrows
    the token to a subtree inside the user's own scope; ``days`` makes it expire."""
    now = now or datetime.now()
    if days is not None and (not isinstance(days, int) or days < 1):
        raise UserError("a token's lifetime must be a whole number of days, at least 1")
    if label is not None and len(label) > MAX_LABEL:
        raise UserError(f"a token's label must have at most {MAX_LABEL} characters")
    user = get_user(store, user_name)
    if user is None:
        raise UnknownName(f"unknown user {user_name!r}")
    if user.disabled:
        raise UserError(f"user {user_name!r} is disabled; enable them first")
    region = region or None
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(days=days) if days else None
    with store.transaction() as cur:
        if region is not None:
            if not stored.region_chain(cur, region):
                raise UnknownName(f"unknown region {region!r}")
            if not _within(cur, region, user.region):
                raise UserError(f"region {region} is outside {user.name}'s regions ({user.region})")
        token_id = stored.insert_token(cur, digest(secret), user.name, region, label, now, by, expires)
        insert_audit(cur, by, "token_created", user.name,
                     f"token {token_id}, region {region or user.region or 'all'}"
                     + (f", expires {expires:%Y-%m-%d}" if expires else ""), address=address)
    return _token(stored.token_row(store.cursor(), token_id)), secret


def token_user(store: Store, secret: str | None, *, now: datetime | None = None) -> tuple[User, ApiToken] | None:
    """The user a token reads as, with the token's region as their scope, or None for a secret that is not a
    live token (unknown, revoked, expired, its user gone, or its region no longer inside the user's)."""
    if not secret or not isinstance(secret, str) or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    con = store.cursor()
    row = stored.token_by_secret(con, digest(secret), now or datetime.now())
    if row is None:
        return None
    token, user = _token(row[:8]), user_from_row(row[8:])
    if token.region is None:
        return user, token
    if not _within(con, token.region, user.region):
        return None
    return replace(user, region=token.region), token


def list_tokens(store: Store, user_name: str | None = None) -> list[ApiToken]:
    return [_token(r) for r in stored.token_rows(store.cursor(), user_name)]


def revoke_token(store: Store, token_id: int, *, by: str = SYSTEM_USER, address: str | None = None,
                 now: datetime | None = None) -> ApiToken:
    """Revoke a token for good (revoking a revoked token changes nothing)."""
    with store.transaction() as cur:
        row = stored.token_row(cur, int(token_id))
        if row is None:
            raise UnknownName(f"no API token {token_id}")
        if row[7] is None:
            stored.revoke_token(cur, int(token_id), now or datetime.now())
            insert_audit(cur, by, "token_revoked", row[1], f"token {token_id}", address=address)
    return _token(stored.token_row(store.cursor(), int(token_id)))
