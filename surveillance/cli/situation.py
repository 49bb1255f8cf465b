"""Commands of the epidemic situation: how fast the alerts of a period were answered."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from ..errors import SurveillanceError
from .common import app, load_config, open_for_reading
from .common import today as service_today

# column, heading, how it is written
COLUMNS = [
    ("alerts", "alerts", "count"), ("actioned", "answered", "count"), ("pending", "pending", "count"),
    ("share_action_24h", "in 24 h", "share"), ("median_hours_to_action", "h to action", "hours"),
    ("p90_hours_to_action", "p90 h", "hours"), ("median_hours_to_verification", "h to verify", "hours"),
    ("median_hours_to_closure", "h to close", "hours"), ("closed_with_outcome", "closed", "count"),
    ("confirmed_outbreak", "confirmed", "count"), ("ppv", "PPV", "share"), ("outbreaks_717", "7-1-7 n", "count"),
    ("share_detect_7d", "detect 7d", "share"), ("share_notify_1d", "notify 1d", "share"),
    ("share_respond_7d", "respond 7d", "share"), ("share_717", "7-1-7", "share"),
]


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SurveillanceError(f"{option} {value!r}: expected a day as YYYY-MM-DD") from None


def _written(value, how: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if how == "share":
        return f"{100 * value:.0f}%"
    if how == "hours":
        return f"{value:.1f}"
    return f"{int(value)}"


def indicator_lines(table, by: list[str]) -> list[str]:
    """The indicators as an aligned text table, one line per group."""
    heads = [*by, *(head for _, head, _ in COLUMNS)]
    rows = [[str(r[c]) for c in by] + [_written(r[c], how) for c, _, how in COLUMNS] for _, r in table.iterrows()]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(heads)]
    def line(cells):
        return "  ".join(c.ljust(w) if i < len(by) else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return [line(heads), *(line(row) for row in rows)]


@app.command()
def indicators(
    config: Path = typer.Option(..., help="Config file."),
    since: str = typer.Option(..., help="First day of the period: alerts opened from this day."),
    until: Optional[str] = typer.Option(None, help="Last day of the period (default: today)."),
    region: Optional[str] = typer.Option(None, help="A region code: its alerts and those of its whole subtree "
                                                   "(default: every alert)."),
    by: str = typer.Option("detector,syndrome", help="Group by these, comma-separated: detector, syndrome, region, "
                                                     "kind (empty: one line for all)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """How fast the alerts opened in a period were answered: the share answered within 24 hours, hours to
    action, verification and closure, outcomes and positive predictive value, and the 7-1-7 targets of
    confirmed outbreaks (read from the snapshot if the service holds the database)."""
    from ..service.situation import region_indicators
    from ..store.situation import is_place

    cfg = load_config(config)
    first = _day(since, "--since")
    last = _day(until, "--until") if until else service_today(cfg)
    if last < first:
        raise SurveillanceError(f"--until {last} is before --since {first}")
    groups = [g.strip() for g in by.split(",") if g.strip()]
    with open_for_reading(cfg) as store:
        if region is not None and not is_place(store.cursor(), region):
            raise SurveillanceError(f"--region {region!r}: no such region or unit in the store")
        table = region_indicators(store, region=region, since=first, until=last, by=groups)
    if as_json:
        typer.echo(json.dumps({"since": str(first), "until": str(last), "region": region, "by": groups,
                               "groups": json.loads(table.to_json(orient="records"))}, indent=2, ensure_ascii=False))
        return
    typer.echo(f"Alerts opened {first} to {last}" + (f" in {region} and below" if region else "") + ":")
    if table.empty:
        typer.echo("no alerts")
        return
    for text in indicator_lines(table, groups):
        typer.echo(text)
