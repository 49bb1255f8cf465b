"""Commands for dashboard users."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..errors import SurveillanceError
from .common import app, database_path


user_app = typer.Typer(no_args_is_help=True, help="Dashboard users: add and list; their API tokens.")
app.add_typer(user_app, name="user")
token_app = typer.Typer(no_args_is_help=True, help="Read-only API tokens: create, list, revoke.")
user_app.add_typer(token_app, name="token")


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="User name."),
    db: Optional[Path] = typer.Option(None, help="Database file (or --config)."),
    config: Optional[Path] = typer.Option(None, help="Config file (its database)."),
    role: str = typer.Option("viewer", help="viewer, epidemiologist or admin."),
    region: Optional[str] = typer.Option(None, help="Region code whose subtree the user sees (default: all)."),
    language: str = typer.Option("en", help="en or zh."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
):
    """Add a dashboard user. The password is read from standard input, never from the command line."""
    from ..store import open_store
    from ..users import add_user

    if not password_stdin:
        raise SurveillanceError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    with open_store(database_path(db, config)) as store:
        user = add_user(store, name, password, role=role, region=region, language=language, by="cli")
    typer.echo(f"user {user.name} added: {user.role}, region {user.region or 'all'}, language {user.language}")


@user_app.command("list")
def user_list(
    db: Optional[Path] = typer.Option(None, help="Database file (or --config)."),
    config: Optional[Path] = typer.Option(None, help="Config file (its database)."),
):
    """List dashboard users with their role, region and language."""
    from ..store import open_store
    from ..users import list_users

    with open_store(database_path(db, config), read_only=True) as store:
        for user in list_users(store):
            typer.echo(f"{user.name}\t{user.role}\t{user.region or 'all'}\t{user.language}\t{user.created_at}")


@token_app.command("create")
def token_create(
    user: str = typer.Option(..., "--user", help="The user the token reads as."),
    db: Optional[Path] = typer.Option(None, help="Database file (or --config)."),
    config: Optional[Path] = typer.Option(None, help="Config file (its database)."),
    region: Optional[str] = typer.Option(None, help="A region inside the user's own whose subtree the token reads"
                                                   " (default: the user's regions)."),
    label: Optional[str] = typer.Option(None, help="What the token is for (shown by `token list`)."),
    days: Optional[int] = typer.Option(None, min=1, help="Expire after this many days (default: until revoked)."),
):
    """Make a read-only API token; its secret is printed once and never stored (send it as
    `Authorization: Bearer SECRET`)."""
    from ..credentials import create_token
    from ..store import open_store

    with open_store(database_path(db, config)) as store:
        token, secret = create_token(store, user, region=region, label=label, days=days, by="cli")
    scope = token.region or "the user's regions"
    expires = f", expires {token.expires_at:%Y-%m-%d %H:%M}" if token.expires_at else ""
    typer.echo(f"token {token.token_id} for {token.user_name} ({scope}{expires}); its secret, shown only now:",
               err=True)
    typer.echo(secret)


@token_app.command("list")
def token_list(
    db: Optional[Path] = typer.Option(None, help="Database file (or --config)."),
    config: Optional[Path] = typer.Option(None, help="Config file (its database)."),
    user: Optional[str] = typer.Option(None, "--user", help="Only this user's tokens."),
):
    """List API tokens (never their secrets): id, user, region, label, created, expires, revoked."""
    from ..credentials import list_tokens
    from ..store import open_store

    with open_store(database_path(db, config), read_only=True) as store:
        for t in list_tokens(store, user):
            state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            expires = f"{t.expires_at:%Y-%m-%d %H:%M}" if t.expires_at else "never"
            typer.echo(f"{t.token_id}\t{t.user_name}\t{t.region or 'user scope'}\t{t.label or ''}\t"
                       f"{t.created_at:%Y-%m-%d %H:%M} by {t.created_by}\texpires {expires}\t{state}")


@token_app.command("revoke")
def token_revoke(
    token_id: int = typer.Argument(..., help="The token's id (from `token list`)."),
    db: Optional[Path] = typer.Option(None, help="Database file (or --config)."),
    config: Optional[Path] = typer.Option(None, help="Config file (its database)."),
):
    """Revoke an API token for good."""
    from ..credentials import revoke_token
    from ..store import open_store

    with open_store(database_path(db, config)) as store:
        token = revoke_token(store, token_id, by="cli")
    typer.echo(f"token {token.token_id} of {token.user_name} revoked")
