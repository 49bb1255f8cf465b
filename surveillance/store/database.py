"""Opening the database file, and the clear error when another process holds it."""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ..errors import DatabaseBusy, SurveillanceError
from .migrate import migrate


# Failures of the store itself (disk, a broken database, an interrupted query), not of what was being
# written: callers that refuse an input for an error it caused let these through.
STORE_FAULTS = (duckdb.IOException, duckdb.FatalException, duckdb.InterruptException)


class Store:
    """A DuckDB database with the surveillance schema.

    ``read_only`` opens without migrating (a snapshot, or a database another process
    writes to is not allowed by DuckDB at all: see :class:`DatabaseBusy`).
    """

    def __init__(self, path: str | Path, *, read_only: bool = False, memory_limit: str | None = None):
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise SurveillanceError(f"{self.path}: database not found")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        config = {"memory_limit": memory_limit} if memory_limit else {}
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            raise _busy_or_unreadable(self.path, exc) from None
        # Serialises writers inside this process; readers use their own cursors freely.
        self.write_lock = threading.RLock()
        if not read_only:
            migrate(self.con)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection for the calling thread (DuckDB connections are not thread-safe)."""
        return self.con.cursor()

    @contextmanager
    def transaction(self):
        """Run a block as one transaction: all of it lands, or none of it."""
        with self.write_lock:
            cur = self.con.cursor()
            cur.begin()
            try:
                yield cur
            except BaseException:
                cur.rollback()
                raise
            else:
                cur.commit()
            finally:
                cur.close()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_store(path: str | Path, *, read_only: bool = False, memory_limit: str | None = None) -> Store:
    return Store(path, read_only=read_only, memory_limit=memory_limit)


def _busy_or_unreadable(path: Path, exc: Exception) -> SurveillanceError:
    text = str(exc)
    if "lock" in text.lower():
        pid = re.search(r"PID (\d+)", text)
        holder = f" (process {pid.group(1)})" if pid else ""
        return DatabaseBusy(
            f"{path}: the database is held by another process{holder}, probably `surveillance serve`; "
            "stop it, or use the service (its API), or read the snapshot it refreshes"
        )
    return SurveillanceError(f"{path}: cannot open the database: {text.splitlines()[0]}")

