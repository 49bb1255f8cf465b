"""Building the demo: a synthetic province fed through the same drop folder as real data.

The simulated facilities deliver one CSV per day; the demo replays those deliveries into
the store stamped with the day they arrived, so as-of queries and backfills behave as
they would on real history. The newest day's delivery is left in the drop folder for
the service's first cycle to pick up.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable

import tomli_w

from ..config import load_config
from ..store.counts import date_range
from ..store.operations import observation_summary
from ..store.reference import load_configured_reference, reference_sizes
from ..errors import SurveillanceError
from ..ingest.pipeline import IngestContext
from ..ingest.replay import replay_files
from .simulate import build_geography, default_period, simulate, write_demo_files
from ..store import open_store

DELIVERY_TIME = time(6, 0)  # facilities' overnight exports arrive early in the morning
FEED = "clinics"


DEMO_SMTP = {"host": "127.0.0.1", "port": 8025, "security": "none", "sender": "surveillance@example.org"}


def demo_subscriptions(province: str | None) -> list[dict]:
    """Example recipients (example.org addresses): the epidemiology team for everything yellow and
    above (exact counts: epidemiologists see them on the dashboard too), a Chinese-speaking duty officer
    for red alerts with a daily digest and the weekly situation report, and an administrator for
    data-quality alerts."""
    where = {"region": province} if province else {}
    return [
        {"email": "epi-team@example.org", "name": "Epidemiology team", **where, "min_severity": "yellow",
         "language": "en", "exact_counts": True},
        {"email": "duty-officer@example.org", "name": "值班员", **where, "min_severity": "red", "language": "zh",
         "digest": True, "report": "weekly"},
        {"email": "data-admin@example.org", "name": "Data administrator", "outbreaks": False, "data_quality": True,
         "language": "en"},
    ]


def demo_config(db: Path, province: str | None = "320000") -> dict:
    """The demo's surveillance.toml: paths relative to the config's own folder. Detection uses the
    defaults (regional excess on facility counts by age group, within the alarm budget
    learnt from the demo's history), written out so they can be edited."""
    return {
        "database": {"path": db.name, "snapshot_path": f"{db.stem}.snapshot.duckdb"},
        "regions": {
            "regions_file": "regions.csv",
            "units_file": "units.csv",
            "boundaries_file": "boundaries.geojson",
            "neighbours_file": "neighbours.csv",
        },
        "feeds": [{"name": FEED, "kind": "folder", "path": "drop", "patterns": ["*.csv"]}],
        "service": {"host": "127.0.0.1", "port": 8050, "base_url": "http://127.0.0.1:8050"},
        "schedule": {"ingest_every_minutes": 60, "detect_at": "06:30", "timezone": "Asia/Shanghai"},
        "detection": {
            "severity": {"red": 0.01, "yellow": 0.05},
            "detectors": [
                {"name": "regional_excess", "levels": ["facility"],
                 "age_groups": ["all", "0-4", "5-14", "15-64", "65+"], "history_days": 60},
            ],
            "budget": {"noise_alerts_per_quarter": 0.5, "learn": True, "history_days": 365, "relearn_days": 28},
        },
        "alerts": {"gap_days": 2, "quiet_days": 7},
        "quality": {"min_completeness": 0.8},
        "smtp": dict(DEMO_SMTP),
        "subscriptions": demo_subscriptions(province),
    }


def build_demo(
    db: str | Path,
    *,
    scale: str = "city",
    years: int = 3,
    seed: int = 0,
    end: date | None = None,
    days: int | None = None,
    geography_options: dict | None = None,
    progress: Callable | None = None,
) -> dict:
    """Build the demo. ``days`` (instead of ``years``) and ``geography_options`` (e.g.
    ``{"n_facilities": 40}``) make small demos for tests and quick looks."""
    db = Path(db).resolve()
    if db.exists():
        raise SurveillanceError(f"{db}: already exists; remove it or choose another path for the demo")
    folder = db.parent
    folder.mkdir(parents=True, exist_ok=True)
    start, end = default_period(years, end)
    if days is not None:
        start = end - timedelta(days=days - 1)
    geography = build_geography(scale=scale, seed=seed, **(geography_options or {}))
    simulation = simulate(geography, start, end, seed=seed, age_groups=(scale == "city"))
    deliveries = write_demo_files(geography, simulation, folder)
    config_path = folder / "surveillance.toml"
    province = geography.regions.loc[geography.regions["level"] == "province", "code"].tolist()
    config_path.write_text(tomli_w.dumps(demo_config(db, province[0] if len(province) == 1 else None)),
                           encoding="utf-8")
    config = load_config(config_path)

    with open_store(db) as store:
        load_configured_reference(store, config)
        ctx = IngestContext.for_feed(config.feed(FEED), config, today=end)
        # Replay all but the newest delivery: that one waits in the drop folder for the service.
        replay = sorted(deliveries, key=lambda d: d[1])[:-1]
        bar = progress(len(replay), "replaying deliveries") if progress else None
        archive = config.feed(FEED).path / "archive"
        archive.mkdir(parents=True, exist_ok=True)
        stamped = [(path, datetime.combine(delivered_on, DELIVERY_TIME)) for path, delivered_on in replay]
        for path, outcome in replay_files(store, stamped, ctx):
            if outcome.status == "failed":
                raise SurveillanceError(f"demo delivery {Path(path).name} failed: {outcome.message}")
            Path(path).rename(archive / Path(path).name)
            if bar:
                bar.update(1)
        if bar:
            bar.close()
        first, last = date_range(store.con)
        rows = observation_summary(store.con)["latest"]
        levels, units = reference_sizes(store.con)
        counties = levels.get("county", 0)
    return {"rows": rows, "first": first, "last": last, "counties": counties, "units": units,
            "config": str(config_path), "outbreaks": len(simulation.outbreaks)}
