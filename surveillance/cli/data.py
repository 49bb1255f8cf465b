"""Commands for data: the demo database, ingesting files and feeds, what a store holds."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Optional

import typer

from ..errors import SurveillanceError
from .common import app, config_beside, describe, load_config, progress_bar, run_with_store, today


@app.command()
def demo(
    db: Path = typer.Option(..., help="Database file to create (its folder gets the drop folder and config)."),
    scale: str = typer.Option("city", help="city (~10 counties, ~300 facilities) or national (~3,000 counties)."),
    years: int = typer.Option(3, min=1, max=10, help="Years of daily history."),
    seed: int = typer.Option(0, help="Random seed: the same seed gives the same province."),
    end: Optional[str] = typer.Option(None, help="Last day of data (default: yesterday)."),
):
    """Build a demo database of a synthetic province, its drop folder and surveillance.toml."""
    from ..synthetic.demo import build_demo

    if scale not in ("city", "national"):
        raise SurveillanceError(f"unknown scale {scale!r}; valid scales: city, national")
    summary = build_demo(db, scale=scale, years=years, seed=seed,
                         end=date.fromisoformat(end) if end else None, progress=progress_bar)
    typer.echo(
        f"demo database {db}: {summary['units']} units in {summary['counties']} counties, "
        f"{summary['first']} to {summary['last']}, {summary['rows']:,} rows; config {summary['config']}"
    )


@app.command("ingest-file")
def ingest_file_command(
    file: Path = typer.Argument(..., help="CSV, Parquet, JSON Lines or FHIR JSON file."),
    db: Path = typer.Option(..., help="Database file."),
    feed: Optional[str] = typer.Option(None, help="Feed whose column mapping and encoding apply (from the config)."),
    config: Optional[Path] = typer.Option(None, help="Config file (default: surveillance.toml beside the database)."),
    received_at: Optional[str] = typer.Option(None, help="When the data arrived (ISO time), for replaying history."),
):
    """Ingest one file. Exit 0: all rows accepted; 3: some quarantined; 2: file rejected whole."""
    from ..ingest.pipeline import IngestContext, ingest_file
    from ..store import open_store

    cfg = load_config(config) if config else config_beside(db)
    if not file.exists():
        raise SurveillanceError(f"{file}: file not found")
    encoding, delimiter = "utf-8", ","
    if feed is not None:
        if cfg is None:
            raise SurveillanceError(f"--feed {feed} needs a config: none given and no surveillance.toml beside {db}")
        feed_cfg = cfg.feed(feed)
        ctx = IngestContext.for_feed(feed_cfg, cfg, today(cfg))
        encoding, delimiter = getattr(feed_cfg, "encoding", "utf-8"), getattr(feed_cfg, "delimiter", ",")
    else:
        ctx = IngestContext(today=today(cfg), feed="manual",
                            **({"syndromes": tuple(cfg.syndromes), "age_groups": tuple(cfg.age_groups),
                                "timezone": cfg.schedule.timezone} if cfg else {}))
    when = datetime.fromisoformat(received_at) if received_at else None
    with open_store(db) as store:
        outcome = ingest_file(store, file, ctx, encoding=encoding, delimiter=delimiter, received_at=when)
    typer.echo(describe(str(file), outcome))
    for reason in outcome.first_reasons:
        typer.echo(f"  {reason}")
    if outcome.rejected_rows > len(outcome.first_reasons):
        typer.echo(f"  ... {outcome.rejected_rows - len(outcome.first_reasons):,} more in quarantine")
    if outcome.status == "failed":
        raise typer.Exit(2)
    if outcome.rejected_rows:
        raise typer.Exit(3)


@app.command()
def ingest(config: Path = typer.Option(..., help="Config file.")):
    """Pull every configured feed once. Exit 1 when a feed failed."""
    from ..service.cycle import ingest_job

    def work(store, cfg):
        echo = lambda label, outcome: typer.echo(describe(label, outcome))  # noqa: E731
        return ingest_job(store, cfg, today(cfg), progress=echo)["feeds"]

    feeds = run_with_store(config, work)
    if any(s["failed"] for s in feeds.values()):
        raise typer.Exit(1)


@app.command()
def status(
    db: Path = typer.Option(..., help="Database file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Regions, units, date range, rows, last batches and quarantine counts."""
    from ..store.operations import store_status
    from ..store import open_store

    if not db.exists():
        raise SurveillanceError(f"{db}: database not found")
    with open_store(db, read_only=True) as store:
        info = store_status(store.con)
    if as_json:
        typer.echo(json.dumps(info, indent=2, default=str))
        return
    typer.echo(f"regions: {info['regions']}; units: {info['units']}")
    typer.echo(f"dates: {info['date_range']['first']} to {info['date_range']['last']}; "
               f"rows: {info['rows']['latest']:,} latest, {info['rows']['revisions']:,} with revisions")
    typer.echo(f"quarantine: {info['quarantine']['rows']:,} rows")
    for b in info["last_batches"]:
        typer.echo(f"  batch {b['batch_id']} {b['feed']} {b['status']}: {Path(b['source']).name} "
                   f"+{b['new_rows']} new, {b['revised_rows']} revised, {b['rejected_rows']} rejected")


@app.command("export-parquet")
def export_parquet(
    config: Path = typer.Option(..., help="Config file."),
    dataset: Optional[Path] = typer.Option(None, help="Folder to write (default: engine.dataset of the config)."),
):
    """Export the store as the Parquet dataset the Dask engine's workers read; only changed partitions are
    written again."""
    from ..store import open_store
    from ..store.export import export_dataset

    cfg = load_config(config)
    folder = dataset or cfg.engine.dataset_for(cfg.database.path)
    with open_store(cfg.database.path, read_only=True) as store:
        summary = export_dataset(store.con, folder)
    typer.echo(f"{folder}: {len(summary['written'])} partition(s) written, {summary['kept']} up to date, "
               f"{len(summary['removed'])} removed; tables {', '.join(summary['tables'])}")
