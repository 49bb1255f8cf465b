"""A read-only copy of the database for notebooks, replaced atomically after each cycle.

DuckDB lets one process write a file and no other process open it, so readers outside
the service use this copy instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from .database import Store


def refresh_snapshot(store: Store, target: str | Path) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with store.write_lock:
        cur = store.cursor()
        source = cur.execute("SELECT current_database()").fetchone()[0]
        cur.execute(f"ATTACH '{partial}' AS snapshot_copy")
        try:
            cur.execute(f'COPY FROM DATABASE "{source}" TO snapshot_copy')
        finally:
            cur.execute("DETACH snapshot_copy")
    os.replace(partial, target)  # readers holding the old file keep reading it
    return target
