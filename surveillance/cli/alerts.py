"""Commands of the alert chain: the cycle, detection and backfills, alerts and their workflow, tuning."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from ..errors import SurveillanceError
from .common import app, describe, load_config, open_for_reading, run_with_store
from .common import today as service_today


def _run_once(config: Path, today: Optional[str], digest: bool) -> None:
    from ..service.cycle import mark_interrupted_runs, run_cycle

    cfg = load_config(config)  # a misspelt detector or parameter fails here, before any work is done
    day = date.fromisoformat(today) if today else service_today(cfg)
    results: dict = {}

    def work(store, cfg):
        mark_interrupted_runs(store)
        echo = lambda label, outcome: typer.echo(describe(label, outcome))  # noqa: E731
        typer.echo("ingest: pulling every feed")
        results.update(run_cycle(store, cfg, day, progress=echo, digest=digest))
        return results["ingest"]["feeds"]

    run_with_store(config, work)
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
    from ..service.cycle import detect_job
    from ..store import open_store

    cfg = load_config(config)
    day = date.fromisoformat(today) if today else service_today(cfg)
    with open_store(cfg.database.path, memory_limit=cfg.database.memory_limit) as store:
        summary = detect_job(store, cfg, day, since=date.fromisoformat(since) if since else None,
                             until=date.fromisoformat(until) if until else None,
                             progress=lambda d, n: typer.echo(f"  {d}: {n} results"))
    typer.echo(f"detect: {summary['message']}")


@app.command()
def alerts(
    config: Path = typer.Option(..., help="Config file."),
    all_: bool = typer.Option(False, "--all", help="Also ended and closed alerts."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    language: str = typer.Option("en", help="The language of the places' names: en or zh."),
):
    """List the alert episodes (read from the snapshot if the service holds the database), each with its
    region's name in ``--language``."""
    from ..store.alerts import list_episodes
    from ..store.reference import hierarchy

    with open_for_reading(load_config(config)) as store:
        rows = list_episodes(store.cursor(), include_ended=all_)
        tree = hierarchy(store.cursor())
    names = tree.names(language) if tree is not None else {}
    if as_json:
        typer.echo(json.dumps([{**r, "region_name": names.get(r["region"], r["region"])} for r in rows], indent=2,
                              default=str))
        return
    for r in rows:
        typer.echo(f"{r['episode_id']:>5} {r['notify_severity']:<6} {r['kind']:<12} {r['region']:<10} {r['syndrome']:<11} "
                   f"{r['opened_on']} .. {r['last_signal_on']} {r['state']}{' (ended ' + str(r['ended_on']) + ')' if r['ended_on'] else ''}"
                   f"  {names.get(r['region'], '')}")
    typer.echo(f"{len(rows)} alert(s)")


@app.command()
def alert(
    episode_id: int = typer.Argument(..., help="Alert (episode) number."),
    config: Path = typer.Option(..., help="Config file."),
    to: str = typer.Option(..., "--to", help="New state: verifying, monitoring, investigating or closed."),
    user: str = typer.Option(..., help="Who makes the change."),
    note: Optional[str] = typer.Option(None, help="A note for the audit trail."),
    outcome: Optional[str] = typer.Option(None, help="When closing: confirmed_outbreak, not_an_outbreak or data_artefact."),
    outbreak_start: Optional[str] = typer.Option(None, help="When closing as confirmed_outbreak: the day it began "
                                                            "(YYYY-MM-DD, not after the alert opened)."),
):
    """Move an alert through the workflow (the change is recorded with user, time and note)."""
    from ..alerts.workflow import transition
    from ..store import open_store

    cfg = load_config(config)
    with open_store(cfg.database.path, memory_limit=cfg.database.memory_limit) as store:
        event = transition(store, episode_id, to, user=user, note=note, outcome=outcome,
                           outbreak_start=outbreak_start)
    typer.echo(f"alert {episode_id}: {event['from_state']} -> {event['to_state']} by {user}")


@app.command()
def tune(
    config: Path = typer.Option(..., help="Config file."),
    target_rate: float = typer.Option(12.0, help="Yellow-or-red signals wanted per series-year (12 = one a month)."),
    since: Optional[str] = typer.Option(None, help="First day of the history (default: a year before --until)."),
    until: Optional[str] = typer.Option(None, help="Last day of the history (default: the newest judged day)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="CSV with the per-series figures."),
    outbreaks: Optional[Path] = typer.Option(None, help="The true outbreaks (the demo's outbreaks.csv) for the "
                                                       "budget's cost; default: the alerts closed as confirmed."),
):
    """How many signals each configured detector raised per series-year on the store's history, and
    the severity thresholds that would have raised the target rate; the alarm budget's learnt level and
    what it costs in detection."""
    from datetime import timedelta

    from ..evaluation.workload import workload
    from ..store.alerts import last_judged_ok_day

    cfg = load_config(config)
    with open_for_reading(cfg) as store:
        last = date.fromisoformat(until) if until else last_judged_ok_day(store.con)
        if last is None:
            raise SurveillanceError("no judged signals yet; run `surveillance cycle` or backfill with "
                                    "`surveillance detect --since DAY`")
        first = date.fromisoformat(since) if since else last - timedelta(days=364)
        summary, per_series = workload(store.con, cfg, first, last, target_rate)
        budget_lines = _budget_report(store.con, first, last, outbreaks)
    typer.echo(f"history {first} to {last}; target {target_rate:g} yellow-or-red signals per series-year")
    shown = summary.set_index("detector")
    typer.echo(shown.to_string(float_format=lambda x: f"{x:.4g}"))
    typer.echo("\nTo apply, add to each detector's entry in the config:")
    for row in summary.itertuples():
        typer.echo(f"  {row.detector}: severity = {{ red = {row.red:.3g}, yellow = {row.yellow:.3g} }}")
    if output:
        per_series.to_csv(output, index=False)
        typer.echo(f"per-series figures: {output}")
    typer.echo("")
    for line in budget_lines:
        typer.echo(line)


def _budget_report(con, first: date, last: date, outbreaks: Optional[Path]) -> list[str]:
    """The latest learnt level of the alarm budget and what it costs against the nominal one."""
    import pandas as pd

    from ..evaluation.budget_cost import budget_cost
    from ..evaluation.province import confirmed_as_truth
    from ..store.alerts import episodes_table
    from ..store.thresholds import thresholds_for

    learnt = thresholds_for(con, last)
    county = learnt[learnt["level"] == "county"]
    if county.empty:
        return ["alarm budget: nothing learnt yet (the detect job learns it when it judges a day)"]
    row = county.iloc[0]
    lines = [f"alarm budget, county families (learnt for {row.learnt_for:%Y-%m-%d} from {row.history_from:%Y-%m-%d} "
             f"to {row.history_to:%Y-%m-%d}): q <= {row.q_learnt:.3g} instead of the nominal {row.q_nominal:.3g}; "
             f"{row.onsets} alerts in that history for {row.families} families"]
    truth = pd.read_csv(outbreaks, dtype=str) if outbreaks else confirmed_as_truth(episodes_table(con))
    if truth.empty:
        return lines + ["  its cost in detection: no true outbreaks to count (pass --outbreaks or close alerts as "
                        "confirmed outbreaks)"]
    cost = budget_cost(con, first, last, truth, {"nominal": row.q_nominal, "learnt": row.q_learnt})
    for c in cost.itertuples():
        delay = "" if c.median_delay_days != c.median_delay_days else f", median {c.median_delay_days:g} days from start"
        lines.append(f"  at the {c.level} level (q <= {c.q:.3g}): {c.detected} of {c.outbreaks} true outbreaks "
                     f"alerted during their course{delay}")
    return lines


@app.command("alert-workload")
def alert_workload(
    config: Path = typer.Option(..., help="Config file."),
    since: str = typer.Option(..., help="First day of the period (judge it first: `surveillance detect --since`)."),
    until: Optional[str] = typer.Option(None, help="Last day (default: the newest judged day)."),
    outbreaks: Optional[Path] = typer.Option(None, help="The true outbreaks (the demo's outbreaks.csv); default: "
                                                       "the alerts closed as confirmed outbreaks."),
    min_severity: str = typer.Option("yellow", help="The subscription whose emails are counted."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """The alerts the teams would have had to answer over a judged period, and the outbreaks they caught."""
    import pandas as pd

    from ..evaluation.province import store_workload
    from ..store.alerts import last_judged_day

    cfg = load_config(config)
    with open_for_reading(cfg) as store:
        last = date.fromisoformat(until) if until else last_judged_day(store.con)
        if last is None:
            raise SurveillanceError("no judged days yet; backfill with `surveillance detect --since DAY`")
        truth = pd.read_csv(outbreaks, dtype=str) if outbreaks else None
        figures = store_workload(store.con, date.fromisoformat(since), last, outbreaks=truth,
                                 min_severity=min_severity)
    if as_json:
        typer.echo(json.dumps(figures, indent=2, default=float))
        return
    typer.echo(f"{since} to {last} ({figures['weeks']:.1f} weeks)")
    for key, value in figures.items():
        if key != "weeks":
            typer.echo(f"  {key:<24} {value:.3g}" if isinstance(value, float) else f"  {key:<24} {value}")
