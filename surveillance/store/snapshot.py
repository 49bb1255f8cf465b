"""A read-only copy of the database for notebooks, replaced atomically after each cycle.

DuckDB lets one process write a file and no other process open it, so readers outside
the service use this copy instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import SurveillanceError
from .database import Store, open_store
from .query import first_row


def refresh_snapshot(store: Store, target: str | Path) -> Path:
    """Write the copy beside ``target`` and move it into place. With every change checkpointed into the
    database file (no write-ahead log left), the copy is the file itself, copied under the write lock (a
    second or less where copying the tables took 10 s on the demo); otherwise the database copies its
    tables into a new file."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with store.write_lock:
        cur = store.cursor()
        if not _checkpointed(cur, store.path):
            source = first_row(cur, "SELECT current_database()")[0]
            cur.execute(f"ATTACH '{partial}' AS snapshot_copy")
            try:
                cur.execute(f'COPY FROM DATABASE "{source}" TO snapshot_copy')
            finally:
                cur.execute("DETACH snapshot_copy")
        else:
            shutil.copyfile(store.path, partial)
    os.replace(partial, target)  # readers holding the old file keep reading it
    return target


def _checkpointed(cur, path: Path) -> bool:
    """Checkpoint; whether the database file now holds every change (a reader's open transaction can keep
    the checkpoint from finishing: then the write-ahead log still holds some)."""
    if not path.is_file():
        return False
    try:
        cur.execute("CHECKPOINT")
    except Exception:  # noqa: BLE001 - another transaction in the way: the tables are copied instead
        return False
    wal = path.with_name(path.name + ".wal")
    return not wal.exists() or wal.stat().st_size == 0


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
