"""Writing a validated batch: new rows, revisions, quarantine and the ledger in one transaction."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

import pandas as pd

from .database import Store
from .query import first_row

KEY = ("date", "unit", "syndrome", "age_group")


@dataclass
class BatchOutcome:
    """What one batch did to the store. ``rejected`` counts rows sent to quarantine."""

    feed: str
    source: str
    status: str  # loaded | partial | failed | already_ingested
    batch_id: int | None = None
    rows_read: int = 0
    new_rows: int = 0
    revised_rows: int = 0
    unchanged_rows: int = 0
    collapsed_rows: int = 0
    rejected_rows: int = 0
    message: str | None = None
    first_reasons: list[str] = field(default_factory=list)

    @property
    def accepted_rows(self) -> int:
        return self.new_rows + self.revised_rows + self.unchanged_rows

    def as_dict(self) -> dict:
        return {**asdict(self), "accepted_rows": self.accepted_rows}


def already_ingested(store: Store, feed: str, checksum: str | None) -> bool:
    """Whether this exact content was loaded before (the ledger), so it can be skipped."""
    if not checksum:
        return False
    cur = store.cursor()
    row = cur.execute(
        "SELECT count(*) FROM ingest_batches WHERE feed = ? AND checksum = ? AND status IN ('loaded', 'partial')",
        [feed, checksum],
    ).fetchall()[0]
    return row[0] > 0


def stored_newest(key_hashes: str) -> str:
    """SQL of the newest stored revision (``count, total, revision``) of each key whose hash ``key_hashes``
    (a query) gives, on the days between two parameters: what an arriving row is compared with."""
    return ("SELECT date, unit, syndrome, age_group, max_by(count, revision) AS count,"
            " arg_max_null(total, revision) AS total, max(revision) AS revision FROM observations"
            f" WHERE date BETWEEN ? AND ? AND hash(date, unit, syndrome, age_group) IN ({key_hashes}) GROUP BY ALL")


def write_batch(
    cur,
    *,
    feed: str,
    source: str,
    checksum: str | None,
    valid_table: str,
    quarantined: pd.DataFrame,
    rows_read: int,
    collapsed_rows: int,
    received_at: datetime,
    started_at: datetime,
    feed_state: dict | None = None,
) -> BatchOutcome:
    """Append a batch's rows as revisions and record the batch, inside the caller's transaction.

    A row identical to the latest revision of its key changes nothing; a row that differs
    becomes the next revision. ``valid_table`` (on ``cur``) has columns date, unit,
    syndrome, age_group, count, total; ``quarantined`` has row_number, field, value,
    reason, raw.
    """
    batch_id = cur.execute("SELECT nextval('batch_ids')").fetchall()[0][0]
    lo, hi, valid = cur.execute(f"SELECT min(date), max(date), count(*) FROM {valid_table}").fetchall()[0]
    # Compare with the newest revision of each key the batch brings (a hash of the key narrows the
    # stored rows of its days down to those); insert only what is new or different. Streaming
    # straight into the table avoids a staging copy.
    cur.execute(
        f"""
        INSERT INTO observations
        WITH current AS ({stored_newest(f"SELECT hash(date, unit, syndrome, age_group) FROM {valid_table}")})
        SELECT s.date, s.unit, s.syndrome, s.age_group, s.count, s.total,
               coalesce(c.revision, 0) + 1, ?, ?, ?
        FROM {valid_table} s
        LEFT JOIN current c USING (date, unit, syndrome, age_group)
        WHERE c.revision IS NULL OR c.count <> s.count OR c.total IS DISTINCT FROM s.total
        """,
        [lo, hi, feed, batch_id, received_at],
    )
    new_rows, revised_rows = cur.execute(
        "SELECT count(*) FILTER (revision = 1), count(*) FILTER (revision > 1) FROM observations"
        " WHERE batch_id = ? AND date BETWEEN ? AND ?",
        [batch_id, lo, hi],
    ).fetchall()[0]
    changes = {"new": new_rows, "revised": revised_rows, "unchanged": valid - new_rows - revised_rows}
    if len(quarantined):
        rows = quarantined.assign(batch_id=batch_id, feed=feed, source=source, quarantined_at=received_at)
        rows = rows[["batch_id", "feed", "source", "row_number", "field", "value", "reason", "raw", "quarantined_at"]]
        cur.register("quarantined_rows", rows)
        cur.execute("INSERT INTO quarantine SELECT * FROM quarantined_rows")
        cur.unregister("quarantined_rows")
    outcome = BatchOutcome(
        feed=feed,
        source=source,
        status="partial" if len(quarantined) else "loaded",
        batch_id=batch_id,
        rows_read=rows_read,
        new_rows=changes.get("new", 0),
        revised_rows=changes.get("revised", 0),
        unchanged_rows=changes.get("unchanged", 0),
        collapsed_rows=collapsed_rows,
        rejected_rows=len(quarantined),
        first_reasons=first_reasons_of(quarantined),
    )
    record_batch(cur, outcome, checksum, received_at, started_at)
    if feed_state is not None:
        save_feed_state(cur, feed, feed_state)
    return outcome


def record_failed_batch(
    store: Store, *, feed: str, source: str, checksum: str | None, message: str,
    received_at: datetime, started_at: datetime,
) -> BatchOutcome:
    """Record a batch refused whole (unreadable file, garbage page): no rows, one message."""
    outcome = BatchOutcome(feed=feed, source=source, status="failed", message=message)
    with store.transaction() as cur:
        outcome.batch_id = cur.execute("SELECT nextval('batch_ids')").fetchall()[0][0]
        record_batch(cur, outcome, checksum, received_at, started_at)
    return outcome


def save_feed_state(cur, feed: str, state: dict) -> None:
    cur.execute(
        "INSERT OR REPLACE INTO feed_state VALUES (?, ?, current_localtimestamp())",
        [feed, json.dumps(state, default=str)],
    )


def load_feed_state(store: Store, feed: str) -> dict:
    row = first_row(store.cursor(), "SELECT state FROM feed_state WHERE feed = ?", [feed])  # None before the first pull
    return json.loads(row[0]) if row else {}


def record_batch(cur, outcome: BatchOutcome, checksum, received_at, started_at) -> None:
    cur.execute(
        "INSERT INTO ingest_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_localtimestamp())",
        [
            outcome.batch_id, outcome.feed, outcome.source, checksum, outcome.status,
            outcome.rows_read, outcome.new_rows, outcome.revised_rows, outcome.unchanged_rows,
            outcome.collapsed_rows, outcome.rejected_rows, outcome.message, received_at, started_at,
        ],
    )


def record_batches(cur, outcomes: list[BatchOutcome], stamps: list[tuple]) -> None:
    """The ledger rows of several batches in one statement; ``stamps`` gives each its (checksum,
    received_at, started_at), as :func:`record_batch` takes them."""
    rows = pd.DataFrame({
        "batch_id": [o.batch_id for o in outcomes], "feed": [o.feed for o in outcomes],
        "source": [o.source for o in outcomes], "checksum": pd.Series([c for c, _, _ in stamps], dtype=object),
        "status": [o.status for o in outcomes],
        **{name: [getattr(o, name) for o in outcomes] for name in (
            "rows_read", "new_rows", "revised_rows", "unchanged_rows", "collapsed_rows", "rejected_rows")},
        "message": pd.Series([o.message for o in outcomes], dtype=object),
        "received_at": [r for _, r, _ in stamps], "started_at": [s for _, _, s in stamps],
    })
    cur.register("recorded_batches", rows)
    cur.execute("INSERT INTO ingest_batches SELECT *, current_localtimestamp() FROM recorded_batches")
    cur.unregister("recorded_batches")


def first_reasons_of(quarantined: pd.DataFrame, n: int = 5) -> list[str]:
    if not len(quarantined):
        return []
    head = quarantined.sort_values("row_number", kind="stable").head(n)
    return [f"row {int(r)}: {reason}" if pd.notna(r) else reason for r, reason in zip(head["row_number"], head["reason"])]
