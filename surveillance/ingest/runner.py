"""Pulling every configured feed once: the body of the scheduled ingest job.

One feed's failure, whatever it is, never keeps the other feeds from being pulled: it is recorded
as a failed batch of that feed (and logged with its traceback when nobody foresaw it). Only a
failure of the store itself stops the pull, since nothing could be recorded.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Callable

from ..errors import FeedError
from ..store import Store
from ..store.database import STORE_FAULTS
from ..store.write import BatchOutcome, load_feed_state, record_failed_batch
from .dropfolder import process_folder
from .pipeline import IngestContext, ingest_batch

log = logging.getLogger(__name__)


def _unforeseen(exc: Exception) -> str:
    first = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}{': ' + first if first else ''}"


def pull_feed(store: Store, feed, config, today: date,
              progress: Callable[[str, BatchOutcome], None] | None = None) -> list[BatchOutcome]:
    """Ingest what is new in one feed. A feed that fails is recorded as a failed batch, not raised."""
    ctx = IngestContext.for_feed(feed, config, today)
    if feed.kind in ("folder", "fhir"):
        return process_folder(store, feed, ctx, progress=(lambda p, o: progress(str(p), o)) if progress else None)
    if feed.kind == "http":
        from .http import pull_http as pull
        from .http_client import mask_url
    elif feed.kind == "sql":
        from .sql import mask_url, pull_sql as pull
    else:  # a new kind must be wired here
        raise ValueError(f"feed kind {feed.kind!r} has no reader")
    outcomes = []
    started = datetime.now()
    try:
        # Each batch carries the state to save with it, so a failure resumes after the last good one.
        for raw in pull(feed, load_feed_state(store, feed.name)):
            try:
                outcome = ingest_batch(store, raw, ctx)
            except STORE_FAULTS:
                raise
            except Exception as exc:  # noqa: BLE001 - a page nobody foresaw is refused, not raised
                log.exception("feed %s: ingesting %s failed", feed.name, raw.label)
                outcome = record_failed_batch(store, feed=feed.name, source=raw.label, checksum=raw.checksum,
                                              message=f"{raw.label}: could not be ingested ({_unforeseen(exc)})",
                                              received_at=datetime.now(), started_at=datetime.now())
            outcomes.append(outcome)
            if progress:
                progress(raw.label, outcome)
            if outcome.status == "failed":  # stop at a bad page; the next pull retries it
                break
    except STORE_FAULTS:
        raise
    except Exception as exc:  # noqa: BLE001 - FeedError is the foreseen kind; any other is recorded the same way
        message = str(exc) if isinstance(exc, FeedError) else f"feed {feed.name}: the pull failed ({_unforeseen(exc)})"
        if not isinstance(exc, FeedError):
            log.exception("feed %s: the pull failed", feed.name)
        source = mask_url(feed.url or feed.url_env or feed.name) if feed.kind == "sql" else mask_url(feed.url)
        outcomes.append(record_failed_batch(store, feed=feed.name, source=source, checksum=None, message=message,
                                            received_at=started, started_at=started))
    return outcomes


def pull_all(store: Store, config, today: date,
             progress: Callable[[str, BatchOutcome], None] | None = None) -> dict[str, list[BatchOutcome]]:
    """Every enabled feed once; a feed that fails in a way its reader did not foresee is recorded as a
    failed batch and the next feed is pulled."""
    outcomes = {}
    for feed in config.feeds:
        if not feed.enabled:
            continue
        try:
            outcomes[feed.name] = pull_feed(store, feed, config, today, progress)
        except STORE_FAULTS:
            raise
        except Exception as exc:  # noqa: BLE001
            log.exception("feed %s failed", feed.name)
            now = datetime.now()
            outcomes[feed.name] = [record_failed_batch(
                store, feed=feed.name, source=feed.name, checksum=None,
                message=f"feed {feed.name}: the pull failed ({_unforeseen(exc)})", received_at=now, started_at=now)]
    return outcomes


def summarise(outcomes: dict[str, list[BatchOutcome]]) -> dict:
    """Per feed: batches by status and row counts, for job details and the API."""
    summary = {}
    for name, items in outcomes.items():
        summary[name] = {
            "batches": len(items),
            "failed": sum(o.status == "failed" for o in items),
            "new_rows": sum(o.new_rows for o in items),
            "revised_rows": sum(o.revised_rows for o in items),
            "rejected_rows": sum(o.rejected_rows for o in items),
            "errors": [o.message for o in items if o.status == "failed"][:5],
        }
    return summary
