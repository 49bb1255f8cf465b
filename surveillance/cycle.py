"""One full cycle of the service: reference data, every feed, then the snapshot.

Detection and alerting join this cycle as they are built; the scheduler and the CLI's
``cycle`` command both call :func:`run_cycle`, so a manual run does what the service does.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

from .config import Config
from .ingest.runner import pull_all, summarise
from .store import Store
from .store.reference import load_reference, read_regions_file, read_units_file
from .store.runs import job_run
from .store.snapshot import refresh_snapshot


def load_configured_reference(store: Store, config: Config) -> bool:
    """Load the regions and units files named in the config, if any. Returns whether it did."""
    files = config.regions
    if files.regions_file is None or files.units_file is None:
        return False
    regions = read_regions_file(files.regions_file, files.boundaries_file)
    units = read_units_file(files.units_file)
    neighbours = None
    if files.neighbours_file is not None:
        import pandas as pd

        neighbours = pd.read_csv(files.neighbours_file, dtype=str)
    load_reference(store, regions, units, neighbours)
    return True


def ingest_job(store: Store, config: Config, today: date, progress: Callable | None = None) -> dict:
    with job_run(store, "ingest") as details:
        outcomes = pull_all(store, config, today, progress)
        details["feeds"] = summarise(outcomes)
        failed = [name for name, s in details["feeds"].items() if s["failed"]]
        if failed:
            details["message"] = f"feed(s) with failed batches: {', '.join(failed)}"
    return details


def run_cycle(store: Store, config: Config, today: date, progress: Callable | None = None) -> dict:
    result = {"ingest": ingest_job(store, config, today, progress)}
    if config.database.snapshot_path is not None:
        refresh_snapshot(store, config.database.snapshot_path)
        result["snapshot"] = str(config.database.snapshot_path)
    return result
