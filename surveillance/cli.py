"""The `surveillance` command. Errors are one line on stderr, not a traceback.

Exit codes: 0 done; 1 error; 2 input refused whole; 3 some rows quarantined.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Optional

import typer

from .config import Config, load_config
from .errors import SurveillanceError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Syndromic surveillance and early warning from aggregated daily visit counts.")


def _today(config: Config | None = None) -> date:
    """Today in the service's time zone: 'future dates' are judged there, not in UTC."""
    from zoneinfo import ZoneInfo

    zone = config.schedule.timezone if config else "Asia/Shanghai"
    return datetime.now(ZoneInfo(zone)).date()


def _config_beside(db: Path) -> Config | None:
    candidate = db.parent / "surveillance.toml"
    return load_config(candidate) if candidate.exists() else None


def _progress(total: int | None, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="file", disable=None, file=sys.stderr, leave=False)


@app.command()
def demo(
    db: Path = typer.Option(..., help="Database file to create (its folder gets the drop folder and config)."),
    scale: str = typer.Option("city", help="city (~10 counties, ~300 facilities) or national (~3,000 counties)."),
    years: int = typer.Option(3, min=1, max=10, help="Years of daily history."),
    seed: int = typer.Option(0, help="Random seed: the same seed gives the same province."),
    end: Optional[str] = typer.Option(None, help="Last day of data (default: yesterday)."),
):
    """Build a demo database of a synthetic province, its drop folder and surveillance.toml."""
    from .demo import build_demo

    if scale not in ("city", "national"):
        raise SurveillanceError(f"unknown scale {scale!r}; valid scales: city, national")
    summary = build_demo(db, scale=scale, years=years, seed=seed,
                         end=date.fromisoformat(end) if end else None, progress=_progress)
    typer.echo(
        f"demo database {db}: {summary['units']} units in {summary['counties']} counties, "
        f"{summary['first']} to {summary['last']}, {summary['rows']:,} rows; config {summary['config']}"
    )


def _describe(path: str, outcome) -> str:
    name = Path(path).name
    if outcome.status == "already_ingested":
        return f"{name}: already ingested (same checksum); nothing changed"
    if outcome.status == "failed":
        return f"{name}: rejected whole: {outcome.message}"
    return (f"{name}: {outcome.rows_read:,} rows read; {outcome.accepted_rows:,} accepted "
            f"({outcome.new_rows:,} new, {outcome.revised_rows:,} revised, {outcome.unchanged_rows:,} unchanged), "
            f"{outcome.collapsed_rows:,} collapsed duplicates, {outcome.rejected_rows:,} rejected")


@app.command("ingest-file")
def ingest_file_command(
    file: Path = typer.Argument(..., help="CSV, Parquet, JSON Lines or FHIR JSON file."),
    db: Path = typer.Option(..., help="Database file."),
    feed: Optional[str] = typer.Option(None, help="Feed whose column mapping and encoding apply (from the config)."),
    config: Optional[Path] = typer.Option(None, help="Config file (default: surveillance.toml beside the database)."),
    received_at: Optional[str] = typer.Option(None, help="When the data arrived (ISO time), for replaying history."),
):
    """Ingest one file. Exit 0: all rows accepted; 3: some quarantined; 2: file rejected whole."""
    from .ingest.pipeline import IngestContext, ingest_file
    from .store import open_store

    cfg = load_config(config) if config else _config_beside(db)
    if not file.exists():
        raise SurveillanceError(f"{file}: file not found")
    encoding, delimiter = "utf-8", ","
    if feed is not None:
        if cfg is None:
            raise SurveillanceError(f"--feed {feed} needs a config: none given and no surveillance.toml beside {db}")
        feed_cfg = cfg.feed(feed)
        ctx = IngestContext.for_feed(feed_cfg, cfg, _today(cfg))
        encoding, delimiter = getattr(feed_cfg, "encoding", "utf-8"), getattr(feed_cfg, "delimiter", ",")
    else:
        ctx = IngestContext(today=_today(cfg), feed="manual",
                            **({"syndromes": tuple(cfg.syndromes), "age_groups": tuple(cfg.age_groups)} if cfg else {}))
    when = datetime.fromisoformat(received_at) if received_at else None
    with open_store(db) as store:
        outcome = ingest_file(store, file, ctx, encoding=encoding, delimiter=delimiter, received_at=when)
    typer.echo(_describe(str(file), outcome))
    for reason in outcome.first_reasons:
        typer.echo(f"  {reason}")
    if outcome.rejected_rows > len(outcome.first_reasons):
        typer.echo(f"  ... {outcome.rejected_rows - len(outcome.first_reasons):,} more in quarantine")
    if outcome.status == "failed":
        raise typer.Exit(2)
    if outcome.rejected_rows:
        raise typer.Exit(3)


def _run_with_store(config: Path, work) -> dict:
    """Open the configured store, load the reference files, run ``work``, print per-feed totals."""
    from .cycle import load_configured_reference
    from .store import open_store

    cfg = load_config(config)
    with open_store(cfg.database.path, memory_limit=cfg.database.memory_limit) as store:
        load_configured_reference(store, cfg)
        feeds = work(store, cfg)
    for name, s in feeds.items():
        typer.echo(f"feed {name}: {s['batches']} batches, {s['new_rows']:,} new rows, {s['revised_rows']:,} revised, "
                   f"{s['rejected_rows']:,} rejected, {s['failed']} failed")
    return feeds


@app.command()
def ingest(config: Path = typer.Option(..., help="Config file.")):
    """Pull every configured feed once. Exit 1 when a feed failed."""
    from .cycle import ingest_job

    def work(store, cfg):
        echo = lambda label, outcome: typer.echo(_describe(label, outcome))  # noqa: E731
        return ingest_job(store, cfg, _today(cfg), progress=echo)["feeds"]

    feeds = _run_with_store(config, work)
    if any(s["failed"] for s in feeds.values()):
        raise typer.Exit(1)


def _run_once(config: Path, today: Optional[str], digest: bool) -> None:
    from .config import check_detectors
    from .cycle import mark_interrupted_runs, run_cycle

    cfg = load_config(config)
    check_detectors(cfg)  # a misspelt detector fails before any work is done
    day = date.fromisoformat(today) if today else _today(cfg)
    results: dict = {}

    def work(store, cfg):
        mark_interrupted_runs(store)
        echo = lambda label, outcome: typer.echo(_describe(label, outcome))  # noqa: E731
        typer.echo("ingest: pulling every feed")
        results.update(run_cycle(store, cfg, day, progress=echo, digest=digest))
        return results["ingest"]["feeds"]

    _run_with_store(config, work)
    if "detect" in results:
        typer.echo(f"detect: {results['detect']['message']}")
    if "notify" in results:
        typer.echo(f"notify: {results['notify']['message']}")


@app.command("run-once")
def run_once(
    config: Path = typer.Option(..., help="Config file."),
    today: Optional[str] = typer.Option(None, help="Run as if today were this day (default: today in the service's time zone)."),
    digest: bool = typer.Option(False, help="Also queue the daily digest for subscribers who want one."),
):
    """One full cycle without the scheduler: ingest, detect, alert, notify, snapshot. For cron and checks."""
    _run_once(config, today, digest)


@app.command()
def cycle(
    config: Path = typer.Option(..., help="Config file."),
    today: Optional[str] = typer.Option(None, help="Run as if today were this day."),
):
    """Same as run-once: one full cycle of the service, then exit."""
    _run_once(config, today, False)


@app.command()
def detect(
    config: Path = typer.Option(..., help="Config file."),
    since: Optional[str] = typer.Option(None, help="Re-judge every day from this one (a backfill, with the data as known on each day)."),
    until: Optional[str] = typer.Option(None, help="Last day to judge (default: the newest day with data)."),
    today: Optional[str] = typer.Option(None, help="Run as if today were this day."),
):
    """Run the detectors (data quality, signals, alert episodes) without ingesting or emailing."""
    from .config import check_detectors
    from .cycle import detect_job
    from .store import open_store

    cfg = load_config(config)
    check_detectors(cfg)
    day = date.fromisoformat(today) if today else _today(cfg)
    with open_store(cfg.database.path, memory_limit=cfg.database.memory_limit) as store:
        summary = detect_job(store, cfg, day, since=date.fromisoformat(since) if since else None,
                             until=date.fromisoformat(until) if until else None,
                             progress=lambda d, n: typer.echo(f"  {d}: {n} results"))
    typer.echo(f"detect: {summary['message']}")


def _open_for_reading(cfg: Config):
    """The database read-only, or its snapshot while the service holds the database."""
    from .errors import DatabaseBusy
    from .store import open_store

    try:
        return open_store(cfg.database.path, read_only=True)
    except DatabaseBusy:
        if cfg.database.snapshot_path is None:
            raise
        return open_store(cfg.database.snapshot_path, read_only=True)


@app.command()
def alerts(
    config: Path = typer.Option(..., help="Config file."),
    all_: bool = typer.Option(False, "--all", help="Also ended and closed alerts."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """List the alert episodes (read from the snapshot if the service holds the database)."""
    from .alerts.store import list_episodes

    with _open_for_reading(load_config(config)) as store:
        rows = list_episodes(store.cursor(), include_ended=all_)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    for r in rows:
        typer.echo(f"{r['episode_id']:>5} {r['notify_severity']:<6} {r['kind']:<12} {r['region']:<10} {r['syndrome']:<11} "
                   f"{r['opened_on']} .. {r['last_signal_on']} {r['state']}{' (ended ' + str(r['ended_on']) + ')' if r['ended_on'] else ''}")
    typer.echo(f"{len(rows)} alert(s)")


@app.command()
def alert(
    episode_id: int = typer.Argument(..., help="Alert (episode) number."),
    config: Path = typer.Option(..., help="Config file."),
    to: str = typer.Option(..., "--to", help="New state: verifying, monitoring, investigating or closed."),
    user: str = typer.Option(..., help="Who makes the change."),
    note: Optional[str] = typer.Option(None, help="A note for the audit trail."),
    outcome: Optional[str] = typer.Option(None, help="When closing: confirmed_outbreak, not_an_outbreak or data_artefact."),
):
    """Move an alert through the workflow (the change is recorded with user, time and note)."""
    from .alerts.workflow import transition
    from .store import open_store

    cfg = load_config(config)
    with open_store(cfg.database.path, memory_limit=cfg.database.memory_limit) as store:
        event = transition(store, episode_id, to, user=user, note=note, outcome=outcome)
    typer.echo(f"alert {episode_id}: {event['from_state']} -> {event['to_state']} by {user}")


@app.command()
def status(
    db: Path = typer.Option(..., help="Database file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Regions, units, date range, rows, last batches and quarantine counts."""
    from .status import store_status
    from .store import open_store

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


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SurveillanceError(f"--param {pair!r}: expected key=value")
        params[key.strip()] = value.strip()
    return params


@app.command("detect-file")
def detect_file_command(
    input: Path = typer.Argument(..., help="Long CSV: series,date,count[,total]."),
    method: str = typer.Option(..., help="Registered detector name (see the README's detector table)."),
    param: list[str] = typer.Option([], help="Detector parameter as key=value; repeat for several."),
    freq: str = typer.Option("auto", help="auto, daily or weekly."),
    output: Path = typer.Option(..., "-o", "--output", help="Output CSV."),
):
    """Run one detector over a CSV; one output row per input row."""
    from .detectors.files import detect_file

    if freq not in ("auto", "daily", "weekly"):
        raise SurveillanceError(f"unknown --freq {freq!r}; valid: auto, daily, weekly")
    result = detect_file(input, output, method, _parse_params(param), freq=freq)
    alarms = int(result["alarm"].fillna(0).astype(bool).sum()) if "alarm" in result else 0
    typer.echo(f"{output}: {len(result):,} rows, {alarms:,} alarms ({method})")


@app.command()
def evaluate(
    suite: str = typer.Option(..., help="weekly (Noufaily et al. 2013, 42 scenarios) or daily (the demo generator's "
                                        "series with injected outbreaks, 9 scenarios)."),
    methods: str = typer.Option(..., help="Comma-separated registered detectors, e.g. farrington_flexible,bayes."),
    reps: int = typer.Option(100, min=1, help="Replicate series per scenario."),
    seed: int = typer.Option(1, help="Random seed: the same seed gives the same series."),
    param: list[str] = typer.Option([], help="Detector parameter as key=value for every method that takes it, or "
                                             "method.key=value for one; repeat for several."),
    scenario: list[int] = typer.Option([], help="Scenario id to run (default: all); repeat for several."),
    target_rate: Optional[float] = typer.Option(None, help="Also judge with thresholds tuned to this many alarms per "
                                                           "series-year (12 = one a month)."),
    tune_by: str = typer.Option("series", help="Tune one threshold per series or per scenario (pooled)."),
    output: Path = typer.Option(..., "-o", "--output", help="HTML report; CSV files go to <name>_files/ beside it."),
):
    """Judge detectors on simulated series with known outbreaks: POD, false positive rate,
    sensitivity, specificity, timeliness, calibration; HTML report and CSV files."""
    from .evaluation import evaluate_to_report

    params: dict = {}
    for key, value in _parse_params(param).items():
        method, dot, name = key.rpartition(".")
        if dot:
            params.setdefault(method, {})[name] = value
        else:
            params[name] = value
    done = evaluate_to_report(suite, methods, reps, seed, output, params, scenarios=scenario or None,
                              target_per_year=target_rate, tune_by=tune_by)
    ev = done["evaluation"]
    table = done["overall"].set_index("method")
    typer.echo(f"{suite} suite, {len(ev.scenarios)} scenarios x {reps} replicates, seed {seed} "
               f"({done['seconds']:.0f} s)")
    typer.echo(table.to_string(float_format=lambda x: f"{x:.4f}"))
    if ev.tuned_overall is not None:
        typer.echo(f"at {ev.target_per_year:g} alarms per series-year (tuned per {ev.tune_by}):")
        typer.echo(ev.tuned_overall.set_index("method")[list(table.columns)].to_string(
            float_format=lambda x: f"{x:.4f}"))
    typer.echo(f"report {done['html']}, CSV files in {done['html'].with_name(done['html'].stem + '_files')}")


@app.command()
def tune(
    config: Path = typer.Option(..., help="Config file."),
    target_rate: float = typer.Option(12.0, help="Yellow-or-red signals wanted per series-year (12 = one a month)."),
    since: Optional[str] = typer.Option(None, help="First day of the history (default: a year before --until)."),
    until: Optional[str] = typer.Option(None, help="Last day of the history (default: the newest judged day)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="CSV with the per-series figures."),
):
    """How many signals each configured detector raised per series-year on the store's history, and
    the severity thresholds that would have raised the target rate."""
    from datetime import timedelta

    from .evaluation.workload import workload

    cfg = load_config(config)
    with _open_for_reading(cfg) as store:
        last = date.fromisoformat(until) if until else store.con.execute(
            "SELECT max(date) FROM signals WHERE status = 'ok'").fetchone()[0]
        if last is None:
            raise SurveillanceError("no judged signals yet; run `surveillance cycle` or backfill with "
                                    "`surveillance detect --since DAY`")
        first = date.fromisoformat(since) if since else last - timedelta(days=364)
        summary, per_series = workload(store.con, cfg, first, last, target_rate)
    typer.echo(f"history {first} to {last}; target {target_rate:g} yellow-or-red signals per series-year")
    shown = summary.set_index("detector")
    typer.echo(shown.to_string(float_format=lambda x: f"{x:.4g}"))
    typer.echo("\nTo apply, add to each detector's entry in the config:")
    for row in summary.itertuples():
        typer.echo(f"  {row.detector}: severity = {{ red = {row.red:.3g}, yellow = {row.yellow:.3g} }}")
    if output:
        per_series.to_csv(output, index=False)
        typer.echo(f"per-series figures: {output}")


@app.command("scan-file")
def scan_file_command(
    counts: Path = typer.Argument(..., help="CSV: region,date,count[,expected][,syndrome][,age_group]."),
    regions: Path = typer.Option(..., help="CSV: region,lat,lon[,population]."),
    method: str = typer.Option(..., help="permutation or poisson."),
    param: list[str] = typer.Option([], help="Scan parameter as key=value; repeat for several."),
    output: Path = typer.Option(..., "-o", "--output", help="Output JSON."),
):
    """Space-time cluster scan over a counts CSV; writes the clusters as JSON."""
    from .spatial import scan_file

    document = scan_file(counts, regions, output, method, _parse_params(param))
    clusters = document.get("clusters", [])
    typer.echo(f"{output}: {len(clusters)} cluster(s) ({method})")
    for c in clusters[:5]:
        typer.echo(f"  #{c['rank']} {c['n_regions']} region(s) {c['start_date']}..{c['end_date']}: "
                   f"observed {c['observed']}, expected {c['expected']:.1f}, p={c['p_value']}")


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
    from .store import open_store
    from .users import add_user

    if not password_stdin:
        raise SurveillanceError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    with open_store(_database(db, config)) as store:
        user = add_user(store, name, password, role=role, region=region, language=language, by="cli")
    typer.echo(f"user {user.name} added: {user.role}, region {user.region or 'all'}, language {user.language}")


@user_app.command("list")
def user_list(
    db: Optional[Path] = typer.Option(None, help="Database file (or --config)."),
    config: Optional[Path] = typer.Option(None, help="Config file (its database)."),
):
    """List dashboard users with their role, region and language."""
    from .store import open_store
    from .users import list_users

    with open_store(_database(db, config), read_only=True) as store:
        for user in list_users(store):
            typer.echo(f"{user.name}\t{user.role}\t{user.region or 'all'}\t{user.language}\t{user.created_at}")


def _database(db: Optional[Path], config: Optional[Path]) -> Path:
    if db is not None:
        return db
    if config is not None:
        return load_config(config).database.path
    raise SurveillanceError("give --db or --config")


@app.command()
def serve(
    config: Path = typer.Option(..., help="Config file."),
    host: Optional[str] = typer.Option(None, help="Address to listen on (default from the config)."),
    port: Optional[int] = typer.Option(None, help="Port (default from the config)."),
):
    """Run the service: web server, scheduler and store in one process."""
    from jobs.service import run_service

    run_service(load_config(config), host=host, port=port)


def main() -> None:
    try:
        app()
    except SurveillanceError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
