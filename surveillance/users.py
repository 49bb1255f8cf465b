"""Dashboard users: accounts with hashed passwords, roles, a region scope, a language.

Roles, each including the one before:

* ``viewer`` reads the dashboard;
* ``epidemiologist`` also acts on alerts (workflow transitions, notes);
* ``admin`` also sees the administration pages (jobs, users, the audit trail).

A user's ``region`` is the root of the subtree they may see (a province, city or county
code); ``None`` means every region. Passwords are kept only as salted hashes
(``werkzeug.security``, scrypt). The functions here record the changes they make in the audit trail
(:mod:`surveillance.audit`) in the same transaction, with who made them and from where; sign-ins are
recorded by the caller through :func:`record_audit`.

Administrators manage users while the service runs (:mod:`surveillance.admin`): disabling a user, or
changing their role or region, ends their sessions and revokes their API tokens; a reset password is a
one-time password its user must change at the next sign-in. An administrator with a region manages the
users inside it only, and nobody may take away the last administrator of every region who can sign in.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from werkzeug.security import check_password_hash, generate_password_hash

from . import audit
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
    disabled_at: datetime | None = None  # set: the user may not sign in
    must_change_password: bool = False  # a one-time password: changed at the next sign-in

    def can(self, role: str) -> bool:
        """True if this user has ``role`` or a higher one (admin > epidemiologist > viewer)."""
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def as_dict(self) -> dict:
        def stamp(value):
            return value.isoformat(timespec="seconds") if value else None

        return {"name": self.name, "role": self.role, "region": self.region, "language": self.language,
                "created_at": stamp(self.created_at), "disabled_at": stamp(self.disabled_at),
                "must_change_password": self.must_change_password}


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
    """A :class:`User` from the store's ``USER_FIELDS``."""
    name, role, region, language, created_at, disabled_at, must_change = row[:stored.USER_FIELD_COUNT]
    return User(name=name, role=role, region=region, language=language, created_at=created_at,
                disabled_at=disabled_at, must_change_password=bool(must_change))


def add_user(
    store: Store,
    name: str,
    password: str,
    *,
    role: str = "viewer",
    region: str | None = None,
    language: str = "en",
    by: str = SYSTEM_USER,
    address: str | None = None,
    manager: User | None = None,
    must_change_password: bool = False,
) -> User:
    """Add a user; ``region=None`` lets them see every region. Raises ``UserError`` /
    ``UnknownName`` with one line (name taken, unknown role, region or language, short password).
    ``manager``: the administrator adding them in the dashboard (the region must be inside theirs);
    ``must_change_password``: ``password`` is a one-time password."""
    _check_name(name)
    _check_role(role)
    _check_language(language)
    _check_password(password)
    password_hash = generate_password_hash(password)
    with store.transaction() as cur:
        region = _check_region(cur, region)
        _check_manager(cur, manager, region)
        if stored.user_row(cur, name) is not None:
            raise UserError(f"user {name!r} already exists")
        now = datetime.now()
        stored.insert_user(cur, name, password_hash, role, region, language, now,
                           must_change_password=must_change_password)
        _audit(cur, by, "user_added", name, f"role {role}, region {region or 'all'}"
               + (", one-time password" if must_change_password else ""), address)
    return User(name=name, role=role, region=region, language=language, created_at=now,
                must_change_password=must_change_password)


def get_user(store: Store, name: str) -> User | None:
    row = stored.user_row(store.cursor(), name)
    return user_from_row(row) if row else None


def list_users(store: Store) -> list[User]:
    return [user_from_row(r) for r in stored.user_rows(store.cursor())]


def verify_password(store: Store, name: str, password: str) -> User | None:
    """The user if ``password`` is theirs and they may sign in (not disabled), else None (the same work
    whether or not the name exists)."""
    row = stored.user_row(store.cursor(), name, with_hash=True)
    if row is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(row[stored.USER_FIELD_COUNT], password or ""):
        return None
    user = user_from_row(row)
    return None if user.disabled else user


def set_password(store: Store, name: str, password: str, *, by: str = SYSTEM_USER,
                 address: str | None = None) -> int:
    """Set a new password (a one-time one is then changed); every session of the user ends with the old
    one. Returns how many ended."""
    _check_password(password)
    password_hash = generate_password_hash(password)
    with store.transaction() as cur:
        _require(cur, name)
        stored.update_user(cur, name, password_hash=password_hash, must_change_password=False)
        ended = stored_sessions.delete_user_sessions(cur, name)
        _audit(cur, by, "password_set", name, f"{ended} session(s) ended" if ended else None, address)
    return ended


def set_language(store: Store, name: str, language: str, *, address: str | None = None) -> None:
    _check_language(language)
    with store.transaction() as cur:
        _require(cur, name)
        stored.update_user(cur, name, language=language)
        _audit(cur, name, "language_set", name, language, address)


def _require(cur, name: str) -> User:
    row = stored.user_row(cur, name)
    if row is None:
        raise UnknownName(f"unknown user {name!r}")
    return user_from_row(row)


def _audit(cur, user: str, action: str, target: str | None, detail: str | None, address: str | None = None) -> None:
    audit.append(cur, user, action, target, detail, address=address)


def record_audit(store: Store, user: str, action: str, target: str | None = None, detail: str | None = None, *,
                 address: str | None = None) -> None:
    """Append one line to the audit trail (who, did what, to what, details, from where)."""
    audit.record(store, user, action, target, detail, address=address)


def audit_log(store: Store, *, limit: int = 100, user: str | None = None, action: str | None = None) -> pd.DataFrame:
    """The newest audit lines first: ``audit_id, at_time, user_name, address, action, target, detail``."""
    return audit.trail(store, user=user, actions=action, limit=limit)


# --- managing users while the service runs ---------------------------------------------------------

UNCHANGED = object()  # change_user(region=UNCHANGED) keeps the region; None means every region


def _within(cur, region: str | None, root: str | None) -> bool:
    if root is None:
        return True
    return region is not None and root in stored_sessions.region_chain(cur, region)


def _check_manager(cur, manager: User | None, region: str | None, target: User | None = None) -> None:
    """An administrator in the dashboard manages the users of their own subtree and gives regions inside
    it; ``manager=None`` is the machine's operator (the command line), who manages everyone."""
    if manager is None:
        return
    if not manager.is_admin:
        raise UserError(f"{manager.name} is not an administrator")
    for code in ([target.region] if target else []) + [region]:
        if not _within(cur, code, manager.region):
            raise UserError(f"{code or 'every region'} is outside {manager.name}'s regions ({manager.region})")


def may_manage(store: Store, manager: User | None, user: User) -> bool:
    """Whether ``manager`` (None: the command line) may manage ``user`` (and their tokens)."""
    try:
        _check_manager(store.cursor(), manager, user.region)
    except UserError:
        return False
    return True


def _keep_an_administrator(cur, target: User, *, disabled: bool, role: str, region) -> None:
    """Refuse a change that leaves no administrator of every region able to sign in."""
    others = [n for n in stored.active_admins_of_everything(cur) if n != target.name]
    still = not disabled and role == "admin" and region is None
    if not others and not still and target.name in stored.active_admins_of_everything(cur):
        raise UserError(f"{target.name} is the last administrator of every region who can sign in; "
                        "make another one first")


def _not_yourself(manager: User | None, name: str, what: str) -> None:
    if manager is not None and manager.name == name:
        raise UserError(f"you cannot {what} yourself; another administrator can")


def _end_access(cur, name: str, now: datetime) -> str:
    """End every session and revoke every token of ``name``; the audit line's account of it."""
    ended = stored_sessions.delete_user_sessions(cur, name)
    revoked = stored_sessions.revoke_user_tokens(cur, name, now)
    return (f"{ended} session(s) ended" + (f", token(s) {', '.join(map(str, revoked))} revoked" if revoked else ""))


def disable_user(store: Store, name: str, *, by: str = SYSTEM_USER, address: str | None = None,
                 manager: User | None = None, now: datetime | None = None) -> User:
    """Disable a user: they cannot sign in, their sessions end and their tokens are revoked (enabling them
    again restores neither: they sign in anew and are given new tokens)."""
    now = now or datetime.now()
    with store.transaction() as cur:
        user = _require(cur, name)
        _not_yourself(manager, name, "disable")
        _check_manager(cur, manager, user.region, user)
        _keep_an_administrator(cur, user, disabled=True, role=user.role, region=user.region)
        if not user.disabled:
            stored.update_user(cur, name, disabled_at=now)
        _audit(cur, by, "user_disabled", name, _end_access(cur, name, now), address)
    return get_user(store, name)


def enable_user(store: Store, name: str, *, by: str = SYSTEM_USER, address: str | None = None,
                manager: User | None = None) -> User:
    """Let a disabled user sign in again (with their password as it was)."""
    with store.transaction() as cur:
        user = _require(cur, name)
        _check_manager(cur, manager, user.region, user)
        if user.disabled:
            stored.update_user(cur, name, disabled_at=None)
            _audit(cur, by, "user_enabled", name, None, address)
    return get_user(store, name)


def reset_password(store: Store, name: str, *, by: str = SYSTEM_USER, address: str | None = None,
                   manager: User | None = None) -> tuple[User, str]:
    """Give ``name`` a new one-time password (returned, to be shown once; never stored) that they must
    change at the next sign-in; their sessions end. The way back in for a lost password, an
    administrator's too (``surveillance user reset-password`` on the machine)."""
    password = generate_password()
    password_hash = generate_password_hash(password)
    with store.transaction() as cur:
        user = _require(cur, name)
        _not_yourself(manager, name, "reset the password of")  # they change their own on the password form
        _check_manager(cur, manager, user.region, user)
        stored.update_user(cur, name, password_hash=password_hash, must_change_password=True)
        ended = stored_sessions.delete_user_sessions(cur, name)
        _audit(cur, by, "password_reset", name, f"{ended} session(s) ended; to be changed at the next sign-in",
               address)
    return get_user(store, name), password


def change_user(store: Store, name: str, *, role: str | None = None, region=UNCHANGED, by: str = SYSTEM_USER,
                address: str | None = None, manager: User | None = None, now: datetime | None = None) -> User:
    """Change a user's role and/or region (``region=None``: every region). A change ends their sessions and
    revokes their tokens, so nothing goes on reading with the old rights."""
    now = now or datetime.now()
    with store.transaction() as cur:
        user = _require(cur, name)
        new_role = _check_role(role) if role is not None else user.role
        new_region = user.region if region is UNCHANGED else _check_region(cur, region)
        if (new_role, new_region) == (user.role, user.region):
            return user
        _not_yourself(manager, name, "change the role or region of")
        _check_manager(cur, manager, new_region, user)
        _keep_an_administrator(cur, user, disabled=user.disabled, role=new_role, region=new_region)
        stored.update_user(cur, name, role=new_role, region=new_region)
        change = []
        if new_role != user.role:
            change.append(f"role {user.role} -> {new_role}")
        if new_region != user.region:
            change.append(f"region {user.region or 'all'} -> {new_region or 'all'}")
        _audit(cur, by, "user_changed", name, f"{', '.join(change)}; {_end_access(cur, name, now)}", address)
    return get_user(store, name)


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
