"""Shared pieces of the `surveillance` command: the Typer app, error handling, and the helpers
its commands use (config beside a database, progress bars, reading while the service runs)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from ..errors import SurveillanceError

if TYPE_CHECKING:
    from ..config import Config

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Syndromic surveillance and early warning from aggregated daily visit counts.")


def load_config(path: Path) -> Config:
    """The config file, read and checked. Imported here, not at start-up: the configuration brings
    pydantic, which commands on files (``scan-file``, ``detect-file``) never need."""
    from ..config import load_config as load

    return load(path)


def today(config: Config | None = None):
    """Today in the service's time zone: 'future dates' are judged there, not in UTC."""
    from .. import clock

    return clock.today(config)


def config_beside(db: Path) -> Config | None:
    candidate = db.parent / "surveillance.toml"
    return load_config(candidate) if candidate.exists() else None


def progress_bar(total: int | None, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="file", disable=None, file=sys.stderr, leave=False)


def describe(path: str, outcome) -> str:
    name = Path(path).name
    if outcome.status == "already_ingested":
        return f"{name}: already ingested (same checksum); nothing changed"
    if outcome.status == "failed":
        return f"{name}: rejected whole: {outcome.message}"
    return (f"{name}: {outcome.rows_read:,} rows read; {outcome.accepted_rows:,} accepted "
            f"({outcome.new_rows:,} new, {outcome.revised_rows:,} revised, {outcome.unchanged_rows:,} unchanged), "
            f"{outcome.collapsed_rows:,} collapsed duplicates, {outcome.rejected_rows:,} rejected")


def run_with_store(config: Path, work) -> dict:
    """Open the configured store, load the reference files, run ``work``, print per-feed totals."""
    from ..store import open_store
    from ..store.reference import load_configured_reference

    cfg = load_config(config)
    with open_store(cfg.database.path, memory_limit=cfg.database.memory_limit) as store:
        load_configured_reference(store, cfg)
        feeds = work(store, cfg)
    for name, s in feeds.items():
        typer.echo(f"feed {name}: {s['batches']} batches, {s['new_rows']:,} new rows, {s['revised_rows']:,} revised, "
                   f"{s['rejected_rows']:,} rejected, {s['failed']} failed")
    return feeds


def open_for_reading(cfg: Config):
    """The database read-only, or its snapshot while the service holds the database."""
    from ..errors import DatabaseBusy
    from ..store import open_store

    try:
        return open_store(cfg.database.path, read_only=True)
    except DatabaseBusy:
        if cfg.database.snapshot_path is None:
            raise
        return open_store(cfg.database.snapshot_path, read_only=True)


def parse_params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SurveillanceError(f"--param {pair!r}: expected key=value")
        params[key.strip()] = value.strip()
    return params


def database_path(db: Optional[Path], config: Optional[Path]) -> Path:
    if db is not None:
        return db
    if config is not None:
        return load_config(config).database.path
    raise SurveillanceError("give --db or --config")


def main() -> None:
    try:
        app()
    except SurveillanceError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
