"""A read-only copy of the database for notebooks, replaced atomically after each cycle.

DuckDB lets one process write a file and no other process open it, so readers outside
the service use this copy instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import SurveillanceError
from .database import Store, open_store
from .query import first_row


def refresh_snapshot(store: Store, target: str | Path) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with store.write_lock:
        cur = store.cursor()
        source = first_row(cur, "SELECT current_database()")[0]
        cur.execute(f"ATTACH '{partial}' AS snapshot_copy")
        try:
            cur.execute(f'COPY FROM DATABASE "{source}" TO snapshot_copy')
        finally:
            cur.execute("DETACH snapshot_copy")
    os.replace(partial, target)  # readers holding the old file keep reading it
    return target


def open_snapshot(config) -> Store:
    """The snapshot of ``config`` (a loaded config), read-only: what notebooks read, so that they
    never hold the file the service writes."""
    path = config.database.snapshot_path
    if path is None:
        raise SurveillanceError("the config sets no database.snapshot_path, so no snapshot is made")
    if not Path(path).exists():
        raise SurveillanceError(f"no snapshot at {path} yet: it is written at the end of each cycle "
                                "(`surveillance cycle --config ...`, or `make run`)")
    return open_store(path, read_only=True)
