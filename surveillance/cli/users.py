"""Commands for dashboard users."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..errors import SurveillanceError
from .common import app, database_path


user_app = typer.Typer(no_args_is_help=True, help="Dashboard users: add and list.")
app.add_typer(user_app, name="user")


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
