"""Dashboard users: accounts with hashed passwords, roles, a region scope, a language; the audit log.

Roles, each including the one before:

* ``viewer`` reads the dashboard;
* ``epidemiologist`` also acts on alerts (workflow transitions, notes);
* ``admin`` also sees the administration pages (jobs, users).

A user's ``region`` is the root of the subtree they may see (a province, city or county
code); ``None`` means every region. Passwords are kept only as salted hashes
(``werkzeug.security``, scrypt). Every change to a user and every login is written to
``audit_log`` by the caller through :func:`record_audit` (the functions here record the
changes they make themselves).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from werkzeug.security import check_password_hash, generate_password_hash

from .errors import SurveillanceError, UnknownName
from .store import Store
from .store import sessions as stored_sessions
from .store import users as stored
from .store.reference import reference_sizes
from .vocabulary import LANGUAGES, SYSTEM_USER

ROLES = ("viewer", "epidemiologist", "admin")
MIN_PASSWORD_LENGTH = 8
NAME_PATTERN = re.compile(r"^[\w.@-]{1,64}$")
DEFAULT_ADMIN = "admin"

# Checked against when the user does not exist, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class UserError(SurveillanceError):
    """A user cannot be added or changed (name taken, unknown role or region, weak password)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    region: str | None
    language: str
    created_at: datetime

    def can(self, role: str) -> bool:
        """True if this user has ``role`` or a higher one (admin > epidemiologist > viewer)."""
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def as_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "region": self.region, "language": self.language,
                "created_at": self.created_at.isoformat(timespec="seconds") if self.created_at else None}


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise UserError(f"user name {name!r} is not valid: use 1-64 letters, digits, '.', '_', '@' or '-'")
    if name == SYSTEM_USER:
        raise UserError(f"user name {SYSTEM_USER!r} is reserved for the service itself")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UnknownName(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    return role


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise UnknownName(f"unknown language {language!r}; languages: {', '.join(LANGUAGES)}")
    return language


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if password != password.strip() or "\n" in password:
        raise UserError("the password must not start or end with spaces or contain line breaks")
    return password


def _check_region(con, region: str | None) -> str | None:
    if region is None or region == "":
        return None
    if stored.region_level(con, region) is None:
        known = sum(reference_sizes(con)[0].values())
        hint = "" if known else " (no regions are loaded yet: run a cycle first)"
        raise UnknownName(f"unknown region {region!r}; give a province, city or county code{hint}")
    return region


def user_from_row(row) -> User:
    """A :class:`User` from ``(name, role, region, language, created_at)``."""
    name, role, region, language, created_at = row
    return User(name=name, role=role, region=region, language=language, created_at=created_at)


def add_user(
    store: Store,
    name: str,
    password: str,
    *,
    role: str = "viewer",
    region: str | None = None,
    language: str = "en",
    by: str = SYSTEM_USER,
) -> User:
    """Add a user; ``region=None`` lets them see every region. Raises ``UserError`` /
    ``UnknownName`` with one line (name taken, unknown role, region or language, short password)."""
    _check_name(name)
    _check_role(role)
    _check_language(language)
    _check_password(password)
    password_hash = generate_password_hash(password)
    with store.transaction() as cur:
        region = _check_region(cur, region)
        if stored.user_row(cur, name) is not None:
            raise UserError(f"user {name!r} already exists")
        now = datetime.now()
        stored.insert_user(cur, name, password_hash, role, region, language, now)
        _audit(cur, by, "user_added", name, f"role {role}, region {region or 'all'}")
    return User(name=name, role=role, region=region, language=language, created_at=now)


def get_user(store: Store, name: str) -> User | None:
    row = stored.user_row(store.cursor(), name)
    return user_from_row(row) if row else None


def list_users(store: Store) -> list[User]:
    return [user_from_row(r) for r in stored.user_rows(store.cursor())]


def verify_password(store: Store, name: str, password: str) -> User | None:
    """The user if ``password`` is theirs, else None (same work whether or not the name exists)."""
    row = stored.user_row(store.cursor(), name, with_hash=True)
    if row is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(row[5], password or ""):
        return None
    return user_from_row(row[:5])


def set_password(store: Store, name: str, password: str, *, by: str = SYSTEM_USER) -> int:
    """Set a new password; every session of the user ends with the old one. Returns how many ended."""
    _check_password(password)
    password_hash = generate_password_hash(password)
    with store.transaction() as cur:
        _require(cur, name)
        stored.update_user(cur, name, password_hash=password_hash)
        ended = stored_sessions.delete_user_sessions(cur, name)
        _audit(cur, by, "password_set", name, f"{ended} session(s) ended" if ended else None)
    return ended


def set_language(store: Store, name: str, language: str) -> None:
    _check_language(language)
    with store.transaction() as cur:
        _require(cur, name)
        stored.update_user(cur, name, language=language)
        _audit(cur, name, "language_set", name, language)


def _require(cur, name: str) -> None:
    if stored.user_row(cur, name) is None:
        raise UnknownName(f"unknown user {name!r}")


def _audit(cur, user: str, action: str, target: str | None, detail: str | None) -> None:
    stored.insert_audit(cur, user, action, target, detail)


def record_audit(store: Store, user: str, action: str, target: str | None = None, detail: str | None = None) -> None:
    """Append one line to the audit log (who, did what, to what, details)."""
    with store.transaction() as cur:
        _audit(cur, user, action, target, detail)


def audit_log(store: Store, *, limit: int = 100, user: str | None = None, action: str | None = None) -> pd.DataFrame:
    """The newest audit lines first: ``audit_id, at_time, user_name, action, target, detail``."""
    return stored.audit_rows(store.cursor(), limit=limit, user=user, action=action)


def generate_password(length: int = 16) -> str:
    """A random password of letters and digits (no look-alikes), for new accounts."""
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def ensure_default_admin(store: Store, name: str = DEFAULT_ADMIN) -> tuple[str, str] | None:
    """When no user exists yet, add an admin for every region with a generated password and return
    ``(name, password)`` so that it can be shown once; None when users exist already."""
    with store.write_lock:
        if stored.user_count(store.cursor()):
            return None
        password = generate_password()
        add_user(store, name, password, role="admin", region=None)
    return name, password
