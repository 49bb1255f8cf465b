"""Several deliveries of one feed validated and written together, each recorded as its own batch.

Replaying a history of daily files one by one pays the fixed cost of a batch (a dozen statements,
a transaction) per file; here a run of deliveries shares them. The store ends up as the files
ingested one after another would leave it: each delivery gets its own batch id (in delivery
order), ledger row and quarantine rows, each row keeps its delivery's received_at, and a row of a
later delivery revises the same key of an earlier one. The one rule that reads what earlier
deliveries stored, all ages against age groups, is judged against the store as it was before the
run; :func:`validate_deliveries` says when that could differ (the caller then takes the files
one by one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from ..vocabulary import ALL_AGES
from .staging import DELIVERY, Validation, judge_rows
from .write import BatchOutcome, first_reasons_of, record_batches, stored_newest


@dataclass(frozen=True)
class Delivery:
    """Where a delivery came from and when: what its batch records."""

    source: str
    checksum: str | None
    received_at: datetime
    started_at: datetime


def validate_deliveries(
    cur: duckdb.DuckDBPyConnection,
    raw_table: str,
    n_deliveries: int,
    *,
    syndromes: list[str],
    age_groups: list[str],
    today: date,
    default_age_group: str | None = None,
    timezone: str = "Asia/Shanghai",
) -> list[Validation] | None:
    """Judge the rows of ``raw_table`` (with a ``_delivery`` column numbering the deliveries 0, 1, ...)
    as :func:`~.staging.validate` judges each delivery alone; the good rows are left in the temp view
    ``valid_rows`` with their ``delivery``. None when one unit's day and syndrome comes for all ages
    in one delivery and by age group in another: one by one, the later would be refused for what the
    earlier stored."""
    quarantined = judge_rows(cur, raw_table, syndromes=syndromes, age_groups=age_groups, today=today,
                             default_age_group=default_age_group, timezone=timezone)
    # Most runs hold one kind only (all ages, or age groups); only a run with both is looked at closely.
    has_all, has_ages = cur.execute(f"SELECT bool_or(age_group = '{ALL_AGES}'), bool_or(age_group <> '{ALL_AGES}')"
                                    " FROM valid_rows").fetchall()[0]
    if has_all and has_ages and cur.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM valid_rows GROUP BY date, unit, syndrome"
            f" HAVING bool_or(age_group = '{ALL_AGES}') AND bool_or(age_group <> '{ALL_AGES}'))").fetchall()[0][0]:
        return None
    rows_read = dict(cur.execute(f"SELECT {DELIVERY}, count(*) FROM {raw_table} GROUP BY ALL").fetchall())
    collapsed = dict(cur.execute(
        f"SELECT {DELIVERY}, sum(copies - 1) FROM repeated_keys WHERE versions = 1 GROUP BY ALL").fetchall())
    found = []
    for delivery in range(n_deliveries):
        refused = quarantined[quarantined[DELIVERY] == delivery].drop(columns=[DELIVERY]).reset_index(drop=True)
        read, merged = rows_read.get(delivery, 0), int(collapsed.get(delivery, 0))
        found.append(Validation(rows_read=read, valid_rows=read - len(refused) - merged, collapsed_rows=merged,
                                quarantined=refused))
    return found


def write_deliveries(
    cur,
    *,
    feed: str,
    deliveries: list[Delivery],
    validations: list[Validation],
    valid_table: str = "valid_rows",
) -> list[BatchOutcome]:
    """Append the good rows of several deliveries as revisions, one batch per delivery, inside the
    caller's transaction. ``valid_table`` has the columns of :func:`~.write.write_batch`'s plus
    ``delivery`` (the position in ``deliveries``, at most one row per key and delivery) and
    ``source_row`` (its row in the delivery).

    A key's rows go in delivery order: each that differs from the one before it (the first: from the
    newest stored revision) becomes the next revision, as when the deliveries came one at a time.
    """
    # One statement for all ids: consecutive, as one call per file would give them.
    batch_ids = sorted(i for (i,) in cur.execute("SELECT nextval('batch_ids') FROM range(?)",
                                                  [len(deliveries)]).fetchall())
    batches = pd.DataFrame({"delivery": range(len(deliveries)), "batch_id": batch_ids,
                            "received_at": [d.received_at for d in deliveries]})
    cur.register("delivery_batches", batches)
    cur.execute(f"CREATE OR REPLACE TEMP TABLE arriving AS"
                f" SELECT *, hash(date, unit, syndrome, age_group) AS key_hash FROM {valid_table}")
    lo, hi = cur.execute("SELECT min(date), max(date) FROM arriving").fetchall()[0]
    # Only the stored keys the run brings again are looked up (a hash narrows them down cheaply).
    # Most keys come once in a run and compare with the store only; the few that come again
    # (a partial report and its correction) are put in order, the costly part. Keys sharing a
    # hash with such a key go that way too, where they are judged just as well.
    cur.execute(
        f"""
        INSERT INTO observations
        WITH current AS MATERIALIZED ({stored_newest("SELECT key_hash FROM arriving")}),
        repeated AS (SELECT key_hash FROM arriving GROUP BY ALL HAVING count(*) > 1),
        once AS (
            SELECT a.date, a.unit, a.syndrome, a.age_group, a.count, a.total, a.delivery, a.source_row,
                   coalesce(c.revision, 0) + 1 AS revision,
                   c.revision IS NULL OR c.count <> a.count OR c.total IS DISTINCT FROM a.total AS changed
            FROM (SELECT * FROM arriving WHERE key_hash NOT IN (SELECT key_hash FROM repeated)) a
            LEFT JOIN current c USING (date, unit, syndrome, age_group)
        ),
        in_order AS (
            SELECT s.date, s.unit, s.syndrome, s.age_group, s.count, s.total, s.delivery, s.source_row,
                   lag(s.count) OVER key_order AS previous_count,
                   lag(s.total) OVER key_order AS previous_total,
                   row_number() OVER key_order AS nth
            FROM (SELECT * FROM arriving WHERE key_hash IN (SELECT key_hash FROM repeated)) s
            WINDOW key_order AS (PARTITION BY s.date, s.unit, s.syndrome, s.age_group ORDER BY s.delivery)
        ),
        judged AS (
            SELECT a.*, c.revision AS stored_revision,
                   CASE WHEN a.nth = 1 THEN c.revision IS NULL OR c.count <> a.count OR c.total IS DISTINCT FROM a.total
                        ELSE a.previous_count <> a.count OR a.previous_total IS DISTINCT FROM a.total END AS changed
            FROM in_order a LEFT JOIN current c USING (date, unit, syndrome, age_group)
        ),
        again AS (
            SELECT date, unit, syndrome, age_group, count, total, delivery, source_row,
                   coalesce(stored_revision, 0) + sum(changed::INTEGER) OVER (
                       PARTITION BY date, unit, syndrome, age_group ORDER BY delivery
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS revision,
                   changed
            FROM judged
        )
        SELECT n.date, n.unit, n.syndrome, n.age_group, n.count, n.total, n.revision, ?, b.batch_id, b.received_at
        FROM (SELECT * FROM once UNION ALL SELECT * FROM again) n JOIN delivery_batches b USING (delivery)
        WHERE n.changed
        ORDER BY n.delivery, n.source_row  -- as the files came: the table stays in delivery order
        """,
        [lo, hi, feed],
    )
    cur.execute("DROP TABLE arriving")
    changes = {batch: (new, revised) for batch, new, revised in cur.execute(
        "SELECT batch_id, count(*) FILTER (revision = 1), count(*) FILTER (revision > 1) FROM observations"
        " WHERE batch_id BETWEEN ? AND ? AND date BETWEEN ? AND ? GROUP BY ALL",
        [min(batch_ids), max(batch_ids), lo, hi]).fetchall()}
    cur.unregister("delivery_batches")
    refused = [v.quarantined.assign(batch_id=batch_id, feed=feed, source=d.source, quarantined_at=d.received_at)
               for d, v, batch_id in zip(deliveries, validations, batch_ids) if len(v.quarantined)]
    if refused:
        rows = pd.concat(refused, ignore_index=True)
        rows = rows[["batch_id", "feed", "source", "row_number", "field", "value", "reason", "raw", "quarantined_at"]]
        cur.register("quarantined_rows", rows)
        cur.execute("INSERT INTO quarantine SELECT * FROM quarantined_rows")
        cur.unregister("quarantined_rows")
    outcomes = []
    for delivery, found, batch_id in zip(deliveries, validations, batch_ids):
        new_rows, revised_rows = changes.get(batch_id, (0, 0))
        outcomes.append(BatchOutcome(
            feed=feed, source=delivery.source, status="partial" if len(found.quarantined) else "loaded",
            batch_id=batch_id, rows_read=found.rows_read, new_rows=new_rows, revised_rows=revised_rows,
            unchanged_rows=found.valid_rows - new_rows - revised_rows, collapsed_rows=found.collapsed_rows,
            rejected_rows=len(found.quarantined), first_reasons=first_reasons_of(found.quarantined),
        ))
    record_batches(cur, outcomes, [(d.checksum, d.received_at, d.started_at) for d in deliveries])
    return outcomes


def ingested_checksums(cur, feed: str, checksums: list[str]) -> set[str]:
    """Which of these contents the ledger holds as loaded (see :func:`~.write.already_ingested`)."""
    cur.register("offered_checksums", pd.DataFrame({"checksum": checksums}))
    rows = cur.execute(
        "SELECT DISTINCT checksum FROM ingest_batches SEMI JOIN offered_checksums USING (checksum)"
        " WHERE feed = ? AND status IN ('loaded', 'partial')", [feed]).fetchall()
    cur.unregister("offered_checksums")
    return {checksum for (checksum,) in rows}
