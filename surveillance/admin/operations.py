"""The administrative operations on users and tokens, from and to plain values (JSON-able dicts), so that
the command line runs the same code on the database file as the service runs for it on its control
channel. Each operation records itself in the audit trail with who asked and from where."""

from __future__ import annotations

import getpass
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import credentials, users
from ..errors import DatabaseBusy, SurveillanceError
from ..store import Store, open_store


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        return "?"


@dataclass(frozen=True)
class Operator:
    """Who asks: the command line on the machine (``cli``), from ``local (os user NAME)``."""

    name: str = "cli"
    address: str = field(default_factory=lambda: f"local (os user {_os_user()})")


def _region(value):
    """``all`` or empty: every region."""
    return None if value in (None, "", "all") else str(value)


def user_add(store: Store, who: Operator, *, name: str, password: str | None = None, role: str = "viewer",
             region: str | None = None, language: str = "en") -> dict:
    """Without ``password``, a one-time password is made, returned once, and must be changed at sign-in."""
    one_time = password is None
    if one_time:
        password = users.generate_password()
    user = users.add_user(store, name, password, role=role, region=_region(region), language=language,
                          by=who.name, address=who.address, must_change_password=one_time)
    return {"user": user.as_dict(), "password": password if one_time else None}


def user_list(store: Store, who: Operator) -> dict:
    return {"users": [u.as_dict() for u in users.list_users(store)]}


def user_disable(store: Store, who: Operator, *, name: str) -> dict:
    return {"user": users.disable_user(store, name, by=who.name, address=who.address).as_dict()}


def user_enable(store: Store, who: Operator, *, name: str) -> dict:
    return {"user": users.enable_user(store, name, by=who.name, address=who.address).as_dict()}


def user_reset_password(store: Store, who: Operator, *, name: str) -> dict:
    user, password = users.reset_password(store, name, by=who.name, address=who.address)
    return {"user": user.as_dict(), "password": password}


def user_change(store: Store, who: Operator, *, name: str, role: str | None = None, region: str | None = None) -> dict:
    """``region`` None leaves it; ``all`` (or empty) means every region."""
    changed = users.change_user(store, name, role=role, region=users.UNCHANGED if region is None else _region(region),
                                by=who.name, address=who.address)
    return {"user": changed.as_dict()}


def token_create(store: Store, who: Operator, *, user: str, region: str | None = None, label: str | None = None,
                 days: int | None = None) -> dict:
    token, secret = credentials.create_token(store, user, region=_region(region), label=label, days=days,
                                             by=who.name, address=who.address)
    return {"token": token.as_dict(), "secret": secret}


def token_list(store: Store, who: Operator, *, user: str | None = None) -> dict:
    return {"tokens": [t.as_dict() for t in credentials.list_tokens(store, user)]}


def token_revoke(store: Store, who: Operator, *, token_id: int) -> dict:
    if not isinstance(token_id, int) or isinstance(token_id, bool):
        raise SurveillanceError(f"a token's id is a whole number, not {token_id!r}")
    return {"token": credentials.revoke_token(store, token_id, by=who.name, address=who.address).as_dict()}


OPERATIONS: dict[str, Callable[..., dict]] = {
    "user.add": user_add, "user.list": user_list, "user.disable": user_disable, "user.enable": user_enable,
    "user.reset_password": user_reset_password, "user.change": user_change,
    "token.create": token_create, "token.list": token_list, "token.revoke": token_revoke,
}
READ_ONLY = frozenset({"user.list", "token.list"})


def run(store: Store, operation: str, args: dict, who: Operator) -> dict:
    """Run one operation on an open store; a request it cannot take is one line (SurveillanceError)."""
    fn = OPERATIONS.get(operation)
    if fn is None:
        raise SurveillanceError(f"unknown operation {operation!r}; operations: {', '.join(OPERATIONS)}")
    if not isinstance(args, dict):
        raise SurveillanceError("an operation's arguments are a JSON object")
    try:
        inspect.signature(fn).bind(store, who, **args)
    except TypeError as exc:
        raise SurveillanceError(f"{operation}: {exc}") from None
    return fn(store, who, **args)


def perform(db: Path, operation: str, args: dict, who: Operator | None = None) -> dict:
    """Run ``operation`` on the database file, or through the running service when it holds the file."""
    from . import channel

    who = who or Operator()
    try:
        store = open_store(db, read_only=operation in READ_ONLY)
    except DatabaseBusy as busy:
        return channel.call(db, operation, args, who, busy=busy)
    with store:
        return run(store, operation, args, who)
