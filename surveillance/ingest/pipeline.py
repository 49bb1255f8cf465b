"""The one path every batch takes: map columns, validate, write, in one transaction.

Whatever the feed (file, HTTP page, query, FHIR bundle), a :class:`RawBatch` is mapped to
canonical column names, judged row by row (:mod:`.validate`), and its good rows land as
revisions while its bad rows land in quarantine, together or not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..config import ScheduleConfig
from ..errors import FileRejected
from ..store import Store
from ..store.database import STORE_FAULTS
from ..store.write import BatchOutcome, already_ingested, record_failed_batch, save_feed_state, write_batch
from ..vocabulary import AGE_GROUPS, OBSERVATION_COLUMNS, REQUIRED_COLUMNS, SYNDROMES
from .batch import RawBatch, as_text
from .files import MALFORMED, read_file
from ..store.staging import drop_validation_objects, validate


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestContext:
    """What validation needs to know besides the rows: explicit, never read from globals."""

    today: date
    syndromes: tuple[str, ...] = tuple(SYNDROMES)
    age_groups: tuple[str, ...] = tuple(AGE_GROUPS)
    feed: str = "manual"
    columns: dict[str, str] = field(default_factory=dict)  # source name -> canonical name
    syndrome_values: dict[str, str] = field(default_factory=dict)
    age_group_values: dict[str, str] = field(default_factory=dict)
    default_age_group: str | None = None  # for rows without an age group; None: such rows are refused
    timezone: str = ScheduleConfig().timezone  # timestamps are dates at midnight in this zone (the service's)

    @classmethod
    def for_feed(cls, feed, config, today: date) -> "IngestContext":
        return cls(
            today=today,
            syndromes=tuple(config.syndromes),
            age_groups=tuple(config.age_groups),
            feed=feed.name,
            columns=dict(feed.columns),
            syndrome_values=dict(feed.syndrome_values),
            age_group_values=dict(feed.age_group_values),
            default_age_group=feed.default_age_group,
            timezone=config.schedule.timezone,
        )


def canonical_columns(names: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Source column -> canonical name: the feed's mapping first, then names matching case-insensitively."""
    renamed = {}
    for name in names:
        if name in mapping:
            renamed[name] = mapping[name]
        elif name.strip().lower() in OBSERVATION_COLUMNS or name.strip().lower() == "region":
            renamed[name] = name.strip().lower()
    return renamed


def prepare_batch(raw: RawBatch, ctx: IngestContext) -> pa.Table:
    """The batch with canonical names, text values and a ``_row`` number column."""
    table = raw.frame if isinstance(raw.frame, pa.Table) else pa.Table.from_pandas(raw.frame, preserve_index=False)
    renamed = canonical_columns(table.column_names, ctx.columns)
    targets = list(renamed.values())
    repeated = sorted({t for t in targets if targets.count(t) > 1})
    if repeated:
        sources = ", ".join(src for src, dst in renamed.items() if dst in repeated)
        raise FileRejected(f"{_short(raw.label)}: columns {sources} all map to {', '.join(repeated)}; keep one")
    missing = [c for c in REQUIRED_COLUMNS if c not in targets]
    if missing:
        found = ", ".join(c for c in table.column_names if c != MALFORMED)[:200]
        raise FileRejected(
            f"{_short(raw.label)}: missing required column(s) {', '.join(missing)} (found: {found}); "
            "map source columns to canonical names with the feed's [columns] setting"
        )
    keep = {src: dst for src, dst in renamed.items()}
    if MALFORMED in table.column_names:
        keep[MALFORMED] = MALFORMED
    arrays = []
    for src, dst in keep.items():
        column = table.column(src)
        # Dates and counts keep a native type (validation reads them without parsing); codes are text.
        native = dst in ("date", "count", "total") and (
            pa.types.is_date(column.type) or pa.types.is_timestamp(column.type)
            or pa.types.is_integer(column.type) or pa.types.is_floating(column.type))
        arrays.append(column if native or pa.types.is_string(column.type) else _as_text(column))
    rows = raw.row_numbers if raw.row_numbers is not None else np.arange(1, table.num_rows + 1)
    prepared = pa.table(dict(zip(keep.values(), arrays)) | {"_row": pa.array(np.asarray(rows, dtype=np.int64))})
    for column, values in (("syndrome", ctx.syndrome_values), ("age_group", ctx.age_group_values)):
        if values and column in prepared.column_names:
            prepared = _recode(prepared, column, values)
    return prepared


def _as_text(column) -> pa.ChunkedArray:
    """A column's values as text. Lists and structs (a nested Parquet column) become JSON text and
    bytes that are not UTF-8 are decoded with replacement marks, so each such row is refused with
    its value shown and the other rows load."""
    try:
        return column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.chunked_array([pa.array([None if v is None else as_text(v) for v in column.to_pylist()],
                                          pa.string())])


def _recode(table: pa.Table, column: str, values: dict[str, str]) -> pa.Table:
    """Replace source codes (e.g. 发热) by canonical ones (fever); unknown codes stay for validation to name."""
    source = pd.Series(table.column(column).to_pandas(), dtype=object)
    recoded = source.map(lambda v: values.get(v.strip(), v) if isinstance(v, str) else v)
    return table.set_column(table.column_names.index(column), column, pa.array(recoded, pa.string()))


def ingest_batch(
    store: Store,
    raw: RawBatch,
    ctx: IngestContext,
    *,
    received_at: datetime | None = None,
) -> BatchOutcome:
    """Validate and store one batch. A batch already in the ledger (same checksum) changes nothing."""
    started = datetime.now()
    received_at = received_at or started
    if already_ingested(store, ctx.feed, raw.checksum):
        if raw.state:  # a page seen before still moves the feed's position on
            with store.transaction() as cur:
                save_feed_state(cur, ctx.feed, raw.state)
        return BatchOutcome(feed=ctx.feed, source=raw.label, status="already_ingested",
                            message="the same content was ingested before; nothing changed")
    try:
        prepared = prepare_batch(raw, ctx)
    except FileRejected as exc:
        return record_failed_batch(store, feed=ctx.feed, source=raw.label, checksum=raw.checksum,
                                   message=str(exc), received_at=received_at, started_at=started)
    with store.transaction() as cur:
        cur.register("raw_batch", prepared)
        found = validate(cur, "raw_batch", syndromes=list(ctx.syndromes), age_groups=list(ctx.age_groups),
                         today=ctx.today, default_age_group=ctx.default_age_group, timezone=ctx.timezone)
        outcome = write_batch(
            cur, feed=ctx.feed, source=raw.label, checksum=raw.checksum, valid_table="valid_rows",
            quarantined=found.quarantined, rows_read=found.rows_read, collapsed_rows=found.collapsed_rows,
            received_at=received_at, started_at=started, feed_state=raw.state or None,
        )
        drop_validation_objects(cur)
        cur.unregister("raw_batch")
    return outcome


def ingest_file(
    store: Store,
    path: str | Path,
    ctx: IngestContext,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    received_at: datetime | None = None,
) -> BatchOutcome:
    """Read, validate and store one file. A file refused whole is recorded as a failed batch."""
    path = Path(path)
    typed = {src: dst for src, dst in ctx.columns.items() if dst in ("date", "count", "total")}
    try:
        raw = read_file(path, encoding=encoding, delimiter=delimiter, typed=typed)
        return ingest_batch(store, raw, ctx, received_at=received_at)
    except FileRejected as exc:
        message = str(exc)
    except STORE_FAULTS:
        raise  # the store itself is failing: not this file's fault, and nothing can be recorded
    except Exception as exc:  # noqa: BLE001 - an input nobody foresaw must not stop the feed
        log.exception("ingesting %s failed", path)
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        message = f"{path.name}: could not be ingested ({type(exc).__name__}{': ' + first if first else ''})"
    started = datetime.now()
    return record_failed_batch(store, feed=ctx.feed, source=str(path), checksum=None, message=message,
                               received_at=received_at or started, started_at=started)


def _short(label: str) -> str:
    return Path(label).name if "/" in label and not label.startswith(("http", "sql")) else label
