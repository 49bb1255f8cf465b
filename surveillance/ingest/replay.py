"""Replaying a history of delivery files (the demo's years of daily CSVs) into the store.

Ingested one by one, each file pays a batch's fixed cost (reading the ledger, a dozen statements
of validation, the write, a commit), which for a day's few thousand rows is most of the work.
Here runs of consecutive files are validated and written together
(:mod:`surveillance.store.deliveries`), and the store ends up as :func:`.pipeline.ingest_file`
on each file in turn would leave it: a batch per file, its rows stamped with its own received_at,
later files revising earlier ones. A run where that might not hold (a file that cannot be read,
content seen before, files read with different column types, all ages mixed with age groups
across its files) is taken file by file.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pyarrow as pa

from ..store import Store
from ..store.database import STORE_FAULTS
from ..store.deliveries import Delivery, ingested_checksums, validate_deliveries, write_deliveries
from ..store.staging import DELIVERY, drop_validation_objects
from ..store.write import BatchOutcome
from .files import read_file
from .pipeline import IngestContext, ingest_file, prepare_batch

log = logging.getLogger(__name__)

FILES_PER_RUN = 30  # a month of daily files: the fixed costs shrink thirtyfold, a run stays small in memory


class _OneByOne(Exception):
    """The run cannot be judged as a whole: undo it and take its files one by one."""


def replay_files(
    store: Store,
    files: Iterable[tuple[str | Path, datetime]],
    ctx: IngestContext,
    *,
    files_per_run: int = FILES_PER_RUN,
) -> Iterator[tuple[Path, BatchOutcome]]:
    """Ingest (path, received_at) files in the order given, yielding each with its outcome once stored."""
    files = [(Path(path), received_at) for path, received_at in files]
    for begin in range(0, len(files), files_per_run):
        run = files[begin:begin + files_per_run]
        outcomes = _ingest_run(store, run, ctx)
        if outcomes is None:
            outcomes = [ingest_file(store, path, ctx, received_at=received_at) for path, received_at in run]
        yield from zip((path for path, _ in run), outcomes)


def _ingest_run(store: Store, run: list[tuple[Path, datetime]], ctx: IngestContext) -> list[BatchOutcome] | None:
    """Store a run of files as one transaction, or None (nothing stored) when it must go file by file."""
    typed = {src: dst for src, dst in ctx.columns.items() if dst in ("date", "count", "total")}
    deliveries, tables = [], []
    try:
        for path, received_at in run:
            started = datetime.now()
            raw = read_file(path, typed=typed)
            tables.append(prepare_batch(raw, ctx))
            deliveries.append(Delivery(source=raw.label, checksum=raw.checksum, received_at=received_at,
                                       started_at=started))
    except Exception:  # noqa: BLE001 - the file-by-file path records why the file failed
        return None
    checksums = [d.checksum for d in deliveries]
    with store.cursor() as cur:
        seen = ingested_checksums(cur, ctx.feed, checksums)
    if len(set(checksums)) < len(checksums) or seen:
        return None  # content seen before is skipped, one file at a time
    if any(table.schema != tables[0].schema for table in tables):
        return None
    together = pa.concat_tables([
        table.append_column(DELIVERY, pa.array(np.full(table.num_rows, i, dtype=np.int64)))
        for i, table in enumerate(tables)])
    try:
        with store.transaction() as cur:
            cur.register("raw_deliveries", together)
            found = validate_deliveries(
                cur, "raw_deliveries", len(deliveries), syndromes=list(ctx.syndromes),
                age_groups=list(ctx.age_groups), today=ctx.today, default_age_group=ctx.default_age_group,
                timezone=ctx.timezone)
            if found is None:
                raise _OneByOne
            outcomes = write_deliveries(cur, feed=ctx.feed, deliveries=deliveries, validations=found)
            drop_validation_objects(cur)
            cur.unregister("raw_deliveries")
    except _OneByOne:
        return None
    except STORE_FAULTS:
        raise
    except Exception:  # noqa: BLE001 - an input nobody foresaw: the file-by-file path says which file
        log.exception("ingesting %s to %s together failed; taking them one by one", run[0][0].name, run[-1][0].name)
        return None
    return outcomes
