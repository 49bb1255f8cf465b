"""Commands for dashboard users and their API tokens.

Each works whether or not the service runs: on the database file when nobody holds it, else through
the running service's control channel (:mod:`surveillance.admin`), so the change is live at once.
Passwords and token secrets made here are printed once, on standard output; what they are, on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..errors import SurveillanceError
from .common import app, database_path

user_app = typer.Typer(no_args_is_help=True, help="Dashboard users: add, list, disable, enable, reset a password, "
                                                   "change a role or region; their API tokens.")
app.add_typer(user_app, name="user")
token_app = typer.Typer(no_args_is_help=True, help="Read-only API tokens: create, list, revoke.")
user_app.add_typer(token_app, name="token")

DB_HELP = "Database file (or --config)."
CONFIG_HELP = "Config file (its database)."


def _perform(db: Optional[Path], config: Optional[Path], operation: str, **args) -> dict:
    from ..admin import perform

    return perform(database_path(db, config), operation, {k: v for k, v in args.items() if v is not None})


def _stamp(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else ""


def _state(user: dict) -> str:
    if user.get("disabled_at"):
        return f"disabled {_stamp(user['disabled_at'])}"
    return "must change password" if user.get("must_change_password") else "active"


def _shown_once(what: str, secret: str) -> None:
    typer.echo(f"{what}, shown only now:", err=True)
    typer.echo(secret)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="User name."),
    db: Optional[Path] = typer.Option(None, help=DB_HELP),
    config: Optional[Path] = typer.Option(None, help=CONFIG_HELP),
    role: str = typer.Option("viewer", help="viewer, epidemiologist or admin."),
    region: Optional[str] = typer.Option(None, help="Region code whose subtree the user sees (default: all)."),
    language: str = typer.Option("en", help="en or zh."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
    one_time: bool = typer.Option(False, "--one-time", help="Make a one-time password (printed once) that the "
                                                             "user must change at the first sign-in."),
):
    """Add a dashboard user. The password is read from standard input (never the command line), or made."""
    if password_stdin == one_time:
        raise SurveillanceError("give the password on standard input with --password-stdin, or have a one-time "
                                "password made with --one-time")
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    done = _perform(db, config, "user.add", name=name, password=password, role=role, region=region,
                    language=language)
    user = done["user"]
    typer.echo(f"user {user['name']} added: {user['role']}, region {user['region'] or 'all'}, "
               f"language {user['language']}", err=bool(done["password"]))
    if done["password"]:
        _shown_once(f"one-time password of {user['name']} (to be changed at the first sign-in)", done["password"])


@user_app.command("list")
def user_list(
    db: Optional[Path] = typer.Option(None, help=DB_HELP),
    config: Optional[Path] = typer.Option(None, help=CONFIG_HELP),
):
    """List dashboard users: name, role, region, language, created, state (active, disabled, must change
    password)."""
    for user in _perform(db, config, "user.list")["users"]:
        typer.echo(f"{user['name']}\t{user['role']}\t{user['region'] or 'all'}\t{user['language']}\t"
                   f"{_stamp(user['created_at'])}\t{_state(user)}")


@user_app.command("disable")
def user_disable(
    name: str = typer.Argument(..., help="User name."),
    db: Optional[Path] = typer.Option(None, help=DB_HELP),
    config: Optional[Path] = typer.Option(None, help=CONFIG_HELP),
):
    """Disable a user: no more sign-ins; their sessions end and their API tokens are revoked."""
    user = _perform(db, config, "user.disable", name=name)["user"]
    typer.echo(f"user {user['name']} disabled: their sessions ended and their API tokens were revoked")


@user_app.command("enable")
def user_enable(
    name: str = typer.Argument(..., help="User name."),
    db: Optional[Path] = typer.Option(None, help=DB_HELP),
    config: Optional[Path] = typer.Option(None, help=CONFIG_HELP),
):
    """Let a disabled user sign in again (with their password; revoked tokens stay revoked)."""
    user = _perform(db, config, "user.enable", name=name)["user"]
    typer.echo(f"user {user['name']} enabled: {_state(user)}")


@user_app.command("reset-password")
def user_reset_password(
    name: str = typer.Argument(..., help="User name."),
    db: Optional[Path] = typer.Option(None, help=DB_HELP),
    config: Optional[Path] = typer.Option(None, help=CONFIG_HELP),
):
    """Give a user a one-time password (printed once) to change at the next sign-in; their sessions end.
    On the machine, this recovers a lost administrator's password too."""
    done = _perform(db, config, "user.reset_password", name=name)
    _shown_once(f"one-time password of {done['user']['name']} (to be changed at the next sign-in)", done["password"])


@user_app.command("change")
def user_change(
    name: str = typer.Argument(..., help="User name."),
    db: Optional[Path] = typer.Option(None, help=DB_HELP),
    config: Optional[Path] = typer.Option(None, help=CONFIG_HELP),
    role: Optional[str] = typer.Option(None, help="The new role: viewer, epidemiologist or admin."),
    region: Optional[str] = typer.Option(None, help="The new region code, or `all` for every region."),
):
    """Change a user's role and/or region; their sessions end and their API tokens are revoked."""
    if role is None and region is None:
        raise SurveillanceError("give --role, --region or both")
    user = _perform(db, config, "user.change", name=name, role=role, region=region)["user"]
    typer.echo(f"user {user['name']}: {user['role']}, region {user['region'] or 'all'}")


@token_app.command("create")
def token_create(
    user: str = typer.Option(..., "--user", help="The user the token reads as."),
    db: Optional[Path] = typer.Option(None, help=DB_HELP),
    config: Optional[Path] = typer.Option(None, help=CONFIG_HELP),
    region: Optional[str] = typer.Option(None, help="A region inside the user's own whose subtree the token reads"
                                                   " (default: the user's regions)."),
    label: Optional[str] = typer.Option(None, help="What the token is for (shown by `token list`)."),
    days: Optional[int] = typer.Option(None, min=1, help="Expire after this many days (default: until revoked)."),
):
    """Make a read-only API token; its secret is printed once and never stored (send it as
    `Authorization: Bearer SECRET`)."""
    done = _perform(db, config, "token.create", user=user, region=region, label=label, days=days)
    token = done["token"]
    scope = token["region"] or "the user's regions"
    expires = f", expires {_stamp(token['expires_at'])}" if token["expires_at"] else ""
    typer.echo(f"token {token['token_id']} for {token['user']} ({scope}{expires}); its secret, shown only now:",
               err=True)
    typer.echo(done["secret"])


@token_app.command("list")
def token_list(
    db: Optional[Path] = typer.Option(None, help=DB_HELP),
    config: Optional[Path] = typer.Option(None, help=CONFIG_HELP),
    user: Optional[str] = typer.Option(None, "--user", help="Only this user's tokens."),
):
    """List API tokens (never their secrets): id, user, region, label, created, expires, revoked."""
    for t in _perform(db, config, "token.list", user=user)["tokens"]:
        state = f"revoked {_stamp(t['revoked_at'])}" if t["revoked_at"] else "active"
        expires = _stamp(t["expires_at"]) or "never"
        typer.echo(f"{t['token_id']}\t{t['user']}\t{t['region'] or 'user scope'}\t{t['label'] or ''}\t"
                   f"{_stamp(t['created_at'])} by {t['created_by']}\texpires {expires}\t{state}")


@token_app.command("revoke")
def token_revoke(
    token_id: int = typer.Argument(..., help="The token's id (from `token list`)."),
    db: Optional[Path] = typer.Option(None, help=DB_HELP),
    config: Optional[Path] = typer.Option(None, help=CONFIG_HELP),
):
    """Revoke an API token for good."""
    token = _perform(db, config, "token.revoke", token_id=token_id)["token"]
    typer.echo(f"token {token['token_id']} of {token['user']} revoked")
